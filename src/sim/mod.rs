//! The built-in simulated world. Every simulated device is its own MQTT client with its own
//! connection and Last Will, so it reaches twinview through a real broker exactly as a real
//! device would.

pub mod broker;
pub mod factory;
pub mod sensors;

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use fastrand::Rng;
use rumqttc::{AsyncClient, LastWill, MqttOptions, Packet, QoS};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use sensors::{LabSensor, ZoneSensor};

/// The zone the demo's zone sensors live in.
pub const ZONE: &str = "living_room";

/// What to simulate.
#[derive(Debug, Clone)]
pub struct WorldSpec {
    pub lab_sensors: usize,
    pub zone_sensors: usize,
    pub interval: Duration,
    pub seed: Option<u64>,
    /// Contract Net machines `m1`…`mN`.
    pub machines: usize,
    /// Run a supervisor that generates jobs.
    pub supervisor: bool,
    /// Seconds between jobs and how long each call for proposals waits.
    pub job_every: Duration,
    pub job_deadline: Duration,
    pub cnp_prefix: String,
}

impl Default for WorldSpec {
    fn default() -> Self {
        WorldSpec {
            lab_sensors: 3,
            zone_sensors: 4,
            interval: Duration::from_secs(1),
            seed: None,
            machines: 3,
            supervisor: true,
            job_every: Duration::from_secs(4),
            job_deadline: Duration::from_secs(1),
            cnp_prefix: "/cnp".into(),
        }
    }
}

#[derive(Debug, Clone)]
enum Model {
    Lab(LabSensor),
    Zone(ZoneSensor),
}

/// One simulated device: its identity, its topics and its model.
#[derive(Debug, Clone)]
struct SimSensor {
    id: String,
    topic: String,
    status_topic: String,
    model: Model,
}

impl SimSensor {
    fn lab(i: usize) -> Self {
        let id = format!("TEMP_{:03}", i + 1);
        SimSensor {
            topic: format!("digital_twin/lab/sensor/{id}/temperature"),
            status_topic: format!("digital_twin/lab/sensor/{id}/status"),
            id,
            model: Model::Lab(LabSensor::default()),
        }
    }

    fn zone(i: usize) -> Self {
        let id = format!("s{}", i + 1);
        // Sensor 3 (or the last, in smaller worlds) spikes now and then.
        let mut model = ZoneSensor::new(i as f64 * 0.15);
        if i == 2 {
            model = model.with_spikes(15.0);
        }
        SimSensor {
            topic: format!("/{ZONE}/temperature/{id}"),
            status_topic: format!("/{ZONE}/{id}/status"),
            id,
            model: Model::Zone(model),
        }
    }

    fn status_payload(&self, online: bool) -> String {
        let word = if online { "online" } else { "offline" };
        match self.model {
            Model::Lab(_) => format!(r#"{{"sensor_id":"{}","status":"{word}"}}"#, self.id),
            Model::Zone(_) => word.to_string(),
        }
    }

    fn reading(&mut self, dt: f64, rng: &mut Rng) -> String {
        match &mut self.model {
            Model::Lab(m) => {
                let v = m.step(dt, rng);
                format!(
                    r#"{{"timestamp_utc":"{}","sensor_id":"{}","value":{:.3},"unit":"Celsius","metadata":{{"location":"Lab Environment","sensor_type":"Simulated Thermistor","firmware_version":"1.0.0"}}}}"#,
                    Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true),
                    self.id,
                    v
                )
            }
            Model::Zone(m) => format!("{:.3}", m.step(dt, rng)),
        }
    }
}

/// Builds the world's sensors (pure; the tasks are started by [`spawn`]).
fn sensors(spec: &WorldSpec) -> Vec<SimSensor> {
    let mut all: Vec<SimSensor> = (0..spec.lab_sensors).map(SimSensor::lab).collect();
    let spiky = spec.zone_sensors.min(3).saturating_sub(1);
    for i in 0..spec.zone_sensors {
        let mut s = SimSensor::zone(i);
        if i == spiky && i != 2 {
            if let Model::Zone(m) = &mut s.model {
                *m = m.clone().with_spikes(15.0);
            }
        }
        all.push(s);
    }
    all
}

/// The topics the world publishes readings on, for tests and help text.
pub fn reading_topics(spec: &WorldSpec) -> Vec<String> {
    sensors(spec).into_iter().map(|s| s.topic).collect()
}

/// What the demo can do to a running simulated device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimControl {
    /// Cut the connection without DISCONNECT, so the broker fires the device's Last Will.
    Drop,
    /// Reconnect a dropped device.
    Restore,
}

/// The running world: one task per device and a way to reach each.
#[derive(Debug, Default)]
pub struct World {
    controls: BTreeMap<String, mpsc::UnboundedSender<SimControl>>,
    tasks: Vec<JoinHandle<()>>,
}

impl World {
    /// Sends `c` to the device `id`; false when no simulated device has that id.
    pub fn control(&self, id: &str, c: SimControl) -> bool {
        self.controls.get(id).is_some_and(|tx| tx.send(c).is_ok())
    }

    pub fn device_ids(&self) -> impl Iterator<Item = &str> {
        self.controls.keys().map(String::as_str)
    }

    /// Stops every device (their connections close without DISCONNECT).
    pub fn abort(&self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Starts every simulated device as a background task connected to `host:port`.
pub fn spawn(host: &str, port: u16, spec: &WorldSpec) -> World {
    let mut seeder = match spec.seed {
        Some(s) => Rng::with_seed(s),
        None => Rng::new(),
    };
    let run_id = seeder.u32(..);
    let mut world = World::default();
    for s in sensors(spec) {
        let rng = Rng::with_seed(seeder.u64(..));
        let (tx, rx) = mpsc::unbounded_channel();
        world.controls.insert(s.id.clone(), tx);
        let link = Link {
            host: host.to_string(),
            port,
            client_id: format!("sim-{}-{run_id:08x}", s.id),
        };
        world
            .tasks
            .push(tokio::spawn(run_sensor(link, s, spec.interval, rng, rx)));
    }
    let prefix = spec.cnp_prefix.trim_end_matches('/').to_string();
    let mut rng = Rng::with_seed(seeder.u64(..));
    for m in factory::machines(spec.machines, &mut rng) {
        world.tasks.push(tokio::spawn(factory::run_machine(
            host.to_string(),
            port,
            run_id,
            prefix.clone(),
            m,
        )));
    }
    if spec.supervisor {
        let sup = factory::SupervisorSpec {
            every: spec.job_every,
            deadline: spec.job_deadline,
            impossible_share: 0.1,
        };
        world.tasks.push(tokio::spawn(factory::run_supervisor(
            host.to_string(),
            port,
            run_id,
            prefix,
            sup,
            Rng::with_seed(seeder.u64(..)),
        )));
    }
    world
}

/// Where and as whom a simulated device connects.
struct Link {
    host: String,
    port: u16,
    client_id: String,
}

/// Connects a device: its own client, its own Last Will, its event loop on its own task.
/// Dropping the returned handle's task cuts the connection without DISCONNECT.
fn connect(link: &Link, sensor: &SimSensor) -> (AsyncClient, JoinHandle<()>) {
    let mut opts = MqttOptions::new(link.client_id.clone(), link.host.clone(), link.port);
    opts.set_keep_alive(Duration::from_secs(5));
    opts.set_last_will(LastWill::new(
        sensor.status_topic.clone(),
        sensor.status_payload(false),
        QoS::AtLeastOnce,
        true,
    ));
    let (client, mut eventloop) = AsyncClient::new(opts, 64);
    // The event loop must be polled for anything to move; it also re-announces the sensor
    // as online after every (re)connection.
    let announcer = client.clone();
    let status_topic = sensor.status_topic.clone();
    let online = sensor.status_payload(true);
    let poller = tokio::spawn(async move {
        loop {
            match eventloop.poll().await {
                Ok(rumqttc::Event::Incoming(Packet::ConnAck(_))) => {
                    let _ = announcer.try_publish(
                        status_topic.clone(),
                        QoS::AtLeastOnce,
                        true,
                        online.clone(),
                    );
                }
                Ok(_) => {}
                Err(e) => {
                    log::debug!("simulated sensor {status_topic}: {e}");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    });
    (client, poller)
}

async fn run_sensor(
    link: Link,
    mut sensor: SimSensor,
    interval: Duration,
    mut rng: Rng,
    mut control: mpsc::UnboundedReceiver<SimControl>,
) {
    let mut conn = Some(connect(&link, &sensor));
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let dt = interval.as_secs_f64();
    let mut controlled = true;
    loop {
        tokio::select! {
            _ = tick.tick() => {
                let payload = sensor.reading(dt, &mut rng);
                if let Some((client, _)) = &conn {
                    // A full request queue (broker away) drops the reading, as a real device would.
                    let _ = client.try_publish(sensor.topic.clone(), QoS::AtMostOnce, false, payload);
                }
            }
            c = control.recv(), if controlled => match c {
                Some(SimControl::Drop) => {
                    if let Some((_, poller)) = conn.take() {
                        poller.abort();
                        log::warn!("simulated {} dropped hard (no DISCONNECT): the broker fires its Last Will", sensor.id);
                    }
                }
                Some(SimControl::Restore) => {
                    if conn.is_none() {
                        conn = Some(connect(&link, &sensor));
                        log::info!("simulated {} reconnecting", sensor.id);
                    }
                }
                None => controlled = false,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::twin::decode::{decode, Decoded, DEFAULT_MAX_PAYLOAD};

    #[test]
    fn default_world_matches_the_demo_description() {
        let topics = reading_topics(&WorldSpec::default());
        assert_eq!(topics.len(), 7);
        assert!(topics.contains(&"digital_twin/lab/sensor/TEMP_001/temperature".to_string()));
        assert!(topics.contains(&"/living_room/temperature/s4".to_string()));
        let spiky = sensors(&WorldSpec::default())
            .into_iter()
            .filter(|s| matches!(&s.model, Model::Zone(z) if z.spikes.is_some()))
            .count();
        assert_eq!(spiky, 1);
        // A smaller world still has a spiking sensor.
        let small = WorldSpec {
            zone_sensors: 2,
            ..WorldSpec::default()
        };
        assert!(sensors(&small)
            .iter()
            .any(|s| matches!(&s.model, Model::Zone(z) if z.spikes.is_some())));
    }

    #[test]
    fn payloads_decode_as_their_conventions_say() {
        let mut rng = Rng::with_seed(1);
        let mut lab = SimSensor::lab(0);
        match decode(lab.reading(1.0, &mut rng).as_bytes(), DEFAULT_MAX_PAYLOAD) {
            Decoded::Readings(r) => {
                assert_eq!(r.device.as_deref(), Some("TEMP_001"));
                assert_eq!(r.unit.as_deref(), Some("Celsius"));
                assert!(r.time.is_some());
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            decode(lab.status_payload(false).as_bytes(), DEFAULT_MAX_PAYLOAD),
            Decoded::Status { ref status, .. } if status == "offline"
        ));
        let mut zone = SimSensor::zone(0);
        assert!(matches!(
            decode(zone.reading(1.0, &mut rng).as_bytes(), DEFAULT_MAX_PAYLOAD),
            Decoded::Readings(_)
        ));
    }
}
