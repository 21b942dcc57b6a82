//! The built-in simulated world. Every simulated device is its own MQTT client with its own
//! connection and Last Will, so it reaches twinview through a real broker exactly as a real
//! device would.

pub mod agents;
pub mod broker;
pub mod eval;
pub mod factory;
pub mod offline;
pub mod sensors;
pub mod sparkplug;
pub mod wire;
pub mod worlds;

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use fastrand::Rng;
use rumqttc::QoS;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use sensors::{LabSensor, ZoneSensor};
use wire::{Identity, Wire};

/// Where lab sensors listen for control commands (docs/conventions.md §4).
pub const CONTROL_TOPIC: &str = "digital_twin/lab/control/commands";

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
    pub agents: Vec<agents::Agent>,
    pub faults: Vec<FaultPlan>,
    /// A Sparkplug B edge node (`edge1`, group `plant`) with two devices.
    pub sparkplug: bool,
    /// How long the edge node waits before connecting. Sparkplug births are not retained: a
    /// host that subscribes after them sees "needs rebirth" until it asks. The demo starts the
    /// node a little after its own subscription so a newcomer sees it born.
    pub sparkplug_after: Duration,
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
            agents: Vec::new(),
            faults: Vec::new(),
            sparkplug: false,
            sparkplug_after: Duration::ZERO,
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
    fault: Option<Fault>,
    /// Set by `SET_THRESHOLD`: readings above it carry `"alarm": true` (lab sensors).
    threshold: Option<f64>,
}

impl SimSensor {
    fn lab(i: usize) -> Self {
        let id = format!("TEMP_{:03}", i + 1);
        SimSensor {
            topic: format!("digital_twin/lab/sensor/{id}/temperature"),
            status_topic: format!("digital_twin/lab/sensor/{id}/status"),
            id,
            model: Model::Lab(LabSensor::default()),
            fault: None,
            threshold: None,
        }
    }

    fn zone(i: usize) -> Self {
        let id = format!("s{}", i + 1);
        // Sensor 3 (or the last, in smaller worlds) spikes now and then.
        let mut model = ZoneSensor::new(i as f64 * 0.15);
        if i == 2 {
            model = model.with_spikes(40.0);
        }
        SimSensor {
            topic: format!("/{ZONE}/temperature/{id}"),
            status_topic: format!("/{ZONE}/{id}/status"),
            id,
            model: Model::Zone(model),
            fault: None,
            threshold: None,
        }
    }

    fn status_payload(&self, online: bool) -> String {
        let word = if online { "online" } else { "offline" };
        match self.model {
            Model::Lab(_) => format!(r#"{{"sensor_id":"{}","status":"{word}"}}"#, self.id),
            Model::Zone(_) => word.to_string(),
        }
    }

    /// The topics it listens on for commands.
    fn command_topics(&self) -> Vec<String> {
        let mut t = vec![format!("/{}/reset", self.id)];
        if matches!(self.model, Model::Lab(_)) {
            t.push(CONTROL_TOPIC.to_string());
        }
        t
    }

    fn value(&mut self, dt: f64, rng: &mut Rng) -> f64 {
        let v = match &mut self.model {
            Model::Lab(m) => m.step(dt, rng),
            Model::Zone(m) => m.step(dt, rng),
        };
        match &mut self.fault {
            None => v,
            Some(Fault::Spike) => {
                self.fault = None;
                v + 8.0
            }
            Some(Fault::Stuck(held)) => *held.get_or_insert(v),
            Some(Fault::Drift(offset)) => {
                *offset += 0.5 * dt;
                v + *offset
            }
        }
    }

    fn reading(&mut self, dt: f64, rng: &mut Rng) -> String {
        let v = self.value(dt, rng);
        match &self.model {
            Model::Lab(_) => {
                let alarm = self
                    .threshold
                    .map(|t| format!(r#","alarm":{}"#, v > t))
                    .unwrap_or_default();
                format!(
                    r#"{{"timestamp_utc":"{}","sensor_id":"{}","value":{:.3},"unit":"Celsius"{alarm},"metadata":{{"location":"Lab Environment","sensor_type":"Simulated Thermistor","firmware_version":"1.0.0"}}}}"#,
                    Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true),
                    self.id,
                    v
                )
            }
            Model::Zone(_) => format!("{v:.3}"),
        }
    }

    /// Back to base, internal clock restarted, fault cleared.
    fn reset(&mut self) {
        match &mut self.model {
            Model::Lab(m) => m.reset(),
            Model::Zone(m) => m.reset(),
        }
        self.fault = None;
    }

    /// Obeys a command message; returns a new publish interval when one was asked for.
    fn obey(&mut self, topic: &str, payload: &[u8]) -> Option<Duration> {
        if topic.ends_with("/reset") {
            self.reset();
            log::info!("simulated {}: RESET received, back to base", self.id);
            return None;
        }
        let v: serde_json::Value = serde_json::from_slice(payload).ok()?;
        let value = v.get("value").and_then(serde_json::Value::as_f64);
        match (v.get("command").and_then(serde_json::Value::as_str), value) {
            (Some("SET_THRESHOLD"), Some(t)) if t.is_finite() => {
                self.threshold = Some(t);
                log::info!("simulated {}: threshold set to {t}", self.id);
                None
            }
            (Some("SET_INTERVAL"), Some(secs))
                if secs.is_finite() && (0.01..=3600.0).contains(&secs) =>
            {
                log::info!("simulated {}: publishing every {secs} s", self.id);
                Some(Duration::from_secs_f64(secs))
            }
            (Some("RESET"), _) => {
                self.reset();
                log::info!("simulated {}: RESET received, back to base", self.id);
                None
            }
            (cmd, _) => {
                log::info!(
                    "simulated {}: ignoring command {:?}",
                    self.id,
                    cmd.unwrap_or("?")
                );
                None
            }
        }
    }

    fn inject(&mut self, kind: FaultKind) {
        self.fault = match kind {
            FaultKind::Spike => Some(Fault::Spike),
            FaultKind::Stuck => Some(Fault::Stuck(None)),
            FaultKind::Drift => Some(Fault::Drift(0.0)),
            FaultKind::Drop => return,
        };
        log::warn!("simulated {}: {kind:?} fault injected", self.id);
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
                *m = m.clone().with_spikes(40.0);
            }
        }
        all.push(s);
    }
    all
}

/// Every simulated device's id: the sensors, then the machines `m1`…`mN`.
pub fn device_ids(spec: &WorldSpec) -> Vec<String> {
    sensors(spec)
        .into_iter()
        .map(|s| s.id)
        .chain((1..=spec.machines).map(|i| format!("m{i}")))
        .chain(spec.sparkplug.then(|| sparkplug::DEVICE_ID.to_string()))
        .collect()
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
    /// Reconnect a dropped device and clear its fault.
    Restore,
    /// Inject a fault into its readings (until a reset or `Restore`).
    Fault(FaultKind),
}

/// Faults a simulated sensor can be made to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// One reading far too high.
    Spike,
    /// The same value over and over.
    Stuck,
    /// A runaway drift of +0.5 per second.
    Drift,
    /// The connection cut without DISCONNECT (same as [`SimControl::Drop`]).
    Drop,
}

impl FaultKind {
    pub fn parse(s: &str) -> Option<FaultKind> {
        Some(match s {
            "spike" => FaultKind::Spike,
            "stuck" => FaultKind::Stuck,
            "drift" => FaultKind::Drift,
            "drop" => FaultKind::Drop,
            _ => return None,
        })
    }
}

/// A fault to inject into `sensor` after `after`, undone (`Restore`) after `lasting`.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultPlan {
    pub sensor: String,
    pub kind: FaultKind,
    pub after: Duration,
    pub lasting: Option<Duration>,
}

/// A fault in progress.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Fault {
    Spike,
    Stuck(Option<f64>),
    Drift(f64),
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

    /// Adds a task (a scripted world playing beside the lab's agents) to stop with the rest.
    pub fn with_task(mut self, task: JoinHandle<()>) -> World {
        self.tasks.push(task);
        self
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
        let (tx, rx) = mpsc::unbounded_channel();
        world.controls.insert(m.id.clone(), tx);
        world.tasks.push(tokio::spawn(factory::run_machine(
            host.to_string(),
            port,
            run_id,
            prefix.clone(),
            m,
            rx,
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
    if spec.sparkplug {
        let (tx, rx) = mpsc::unbounded_channel();
        world.controls.insert(sparkplug::DEVICE_ID.to_string(), tx);
        let (h, after, every) = (host.to_string(), spec.sparkplug_after, spec.interval);
        let rng = Rng::with_seed(seeder.u64(..));
        world.tasks.push(tokio::spawn(async move {
            tokio::time::sleep(after).await;
            sparkplug::run_edge_node(h, port, run_id, every, rng, rx).await
        }));
    }
    for agent in &spec.agents {
        let (h, p) = (host.to_string(), port);
        world.tasks.push(match agent {
            agents::Agent::Average => tokio::spawn(agents::run_average(h, p, run_id, 10)),
            agents::Agent::Detect => tokio::spawn(agents::run_detect(h, p, run_id)),
            agents::Agent::Identify => tokio::spawn(agents::run_identify(h, p, run_id)),
        });
    }
    for plan in &spec.faults {
        let Some(tx) = world.controls.get(&plan.sensor).cloned() else {
            log::warn!(
                "no simulated sensor `{}` for the fault {:?}",
                plan.sensor,
                plan.kind
            );
            continue;
        };
        let plan = plan.clone();
        world.tasks.push(tokio::spawn(async move {
            tokio::time::sleep(plan.after).await;
            let _ = tx.send(SimControl::Fault(plan.kind));
            if let Some(lasting) = plan.lasting {
                tokio::time::sleep(lasting).await;
                let _ = tx.send(SimControl::Restore);
            }
        }));
    }
    world
}

/// Where and as whom a simulated device connects.
struct Link {
    host: String,
    port: u16,
    client_id: String,
}

fn connect(link: &Link, sensor: &SimSensor) -> Wire {
    Wire::connect(&Identity {
        host: link.host.clone(),
        port: link.port,
        client_id: link.client_id.clone(),
        status_topic: sensor.status_topic.clone(),
        online: sensor.status_payload(true),
        offline: sensor.status_payload(false),
        filters: sensor.command_topics(),
    })
}

async fn run_sensor(
    link: Link,
    mut sensor: SimSensor,
    interval: Duration,
    mut rng: Rng,
    mut control: mpsc::UnboundedReceiver<SimControl>,
) {
    let mut conn = Some(connect(&link, &sensor));
    let mut interval = interval;
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut controlled = true;
    loop {
        let inbox = async {
            match conn.as_mut() {
                Some(w) => w.inbox.recv().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = tick.tick() => {
                let payload = sensor.reading(interval.as_secs_f64(), &mut rng);
                if let Some(w) = &conn {
                    // A full request queue (broker away) drops the reading, as a real device would.
                    let _ = w.client.try_publish(sensor.topic.clone(), QoS::AtMostOnce, false, payload);
                }
            }
            msg = inbox => {
                if let Some((topic, payload)) = msg {
                    if let Some(new) = sensor.obey(&topic, &payload) {
                        interval = new;
                        tick = tokio::time::interval(interval);
                        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                    }
                }
            }
            c = control.recv(), if controlled => match c {
                Some(SimControl::Drop) | Some(SimControl::Fault(FaultKind::Drop)) => {
                    if conn.take().is_some() {
                        log::warn!("simulated {} dropped hard (no DISCONNECT): the broker fires its Last Will", sensor.id);
                    }
                }
                Some(SimControl::Restore) => {
                    sensor.fault = None;
                    if conn.is_none() {
                        conn = Some(connect(&link, &sensor));
                        log::info!("simulated {} reconnecting", sensor.id);
                    }
                }
                Some(SimControl::Fault(kind)) => sensor.inject(kind),
                None => controlled = false,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{decode, Decoded, DEFAULT_MAX_PAYLOAD};

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
        match decode(lab.status_payload(false).as_bytes(), DEFAULT_MAX_PAYLOAD) {
            Decoded::Readings(r) => assert_eq!(r.states, [("status".into(), "offline".into())]),
            other => panic!("{other:?}"),
        }
        let mut zone = SimSensor::zone(0);
        assert!(matches!(
            decode(zone.reading(1.0, &mut rng).as_bytes(), DEFAULT_MAX_PAYLOAD),
            Decoded::Readings(_)
        ));
    }
}
