//! A simulated Sparkplug B edge node with two devices (`twinview sim --sparkplug`, on in the
//! demo): it registers its NDEATH (with its bdSeq) as its Last Will, births on every
//! connection (NBIRTH, then a DBIRTH per device, every metric with a name and an alias),
//! reports by exception (DDATA with aliases only, and only the metrics that moved past their
//! deadband), and answers a rebirth request (NCMD `Node Control/Rebirth` = true) by birthing
//! again. A hard drop cuts the connection without DISCONNECT, so the broker publishes the
//! NDEATH; reconnecting starts a new session with the next bdSeq.

use std::time::Duration;

use fastrand::Rng;
use rumqttc::{AsyncClient, LastWill, MqttOptions, Packet, QoS};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::SimControl;
use crate::decode::sparkplug::{datatype::*, decode, encode, Metric, Payload, Value, REBIRTH};

/// The simulated node's group and id (its device id in twinview is `group/node`,
/// [`DEVICE_ID`]).
pub const GROUP: &str = "plant";
pub const NODE: &str = "edge1";
pub const DEVICE_ID: &str = "plant/edge1";

/// One simulated metric: its alias, type, unit, value and how it moves.
#[derive(Debug, Clone)]
struct SimMetric {
    name: &'static str,
    alias: u64,
    datatype: u32,
    unit: Option<&'static str>,
    value: Value,
    /// The value last reported (report by exception compares against it).
    reported: Value,
    /// Numeric metrics: mean, noise, deadband.
    mean: f64,
    noise: f64,
    deadband: f64,
}

impl SimMetric {
    fn number(
        name: &'static str,
        alias: u64,
        datatype: u32,
        unit: &'static str,
        mean: f64,
        noise: f64,
        deadband: f64,
    ) -> SimMetric {
        let value = if datatype == INT32 {
            Value::Int(mean as i64)
        } else {
            Value::Float(mean)
        };
        SimMetric {
            name,
            alias,
            datatype,
            unit: Some(unit),
            reported: value.clone(),
            value,
            mean,
            noise,
            deadband,
        }
    }

    fn word(name: &'static str, alias: u64, datatype: u32, value: Value) -> SimMetric {
        SimMetric {
            name,
            alias,
            datatype,
            unit: None,
            reported: value.clone(),
            value,
            mean: 0.0,
            noise: 0.0,
            deadband: 0.0,
        }
    }

    /// One step of its process; returns whether it moved past its deadband since reported.
    fn step(&mut self, rng: &mut Rng) -> bool {
        match (&mut self.value, &self.reported) {
            (Value::Float(x), Value::Float(r)) => {
                *x += (self.mean - *x) * 0.2 + (rng.f64() - 0.5) * 2.0 * self.noise;
                (*x - *r).abs() > self.deadband
            }
            (Value::Int(x), Value::Int(r)) => {
                let step =
                    ((self.mean - *x as f64) * 0.2 + (rng.f64() - 0.5) * 2.0 * self.noise).round();
                *x += step as i64;
                (*x - *r).unsigned_abs() as f64 > self.deadband
            }
            (Value::Bool(b), Value::Bool(r)) => {
                // Flips now and then (a pump stopping, a valve opening).
                if rng.f64() < 0.03 {
                    *b = !*b;
                }
                *b != *r
            }
            (Value::Str(s), Value::Str(r)) => {
                if rng.f64() < 0.02 {
                    *s = if s == "auto" {
                        "manual".into()
                    } else {
                        "auto".into()
                    };
                }
                s != r
            }
            _ => false,
        }
    }

    fn birth(&self, now: u64) -> Metric {
        Metric {
            name: Some(self.name.to_string()),
            alias: Some(self.alias),
            timestamp: Some(now),
            datatype: Some(self.datatype),
            unit: self.unit.map(String::from),
            value: self.value.clone(),
            ..Metric::default()
        }
    }

    fn data(&self, now: u64) -> Metric {
        Metric {
            alias: Some(self.alias),
            timestamp: Some(now),
            value: self.value.clone(),
            ..Metric::default()
        }
    }
}

struct SimDevice {
    id: &'static str,
    metrics: Vec<SimMetric>,
}

fn devices() -> Vec<SimDevice> {
    vec![
        SimDevice {
            id: "pump1",
            metrics: vec![
                SimMetric::number("Motor/Speed", 1, DOUBLE, "rpm", 1450.0, 6.0, 4.0),
                SimMetric::number("Motor/Temperature", 2, FLOAT, "°C", 48.0, 0.3, 0.25),
                SimMetric::number("Outlet/Pressure", 3, DOUBLE, "bar", 3.2, 0.03, 0.02),
                SimMetric::word("Motor/Running", 4, BOOLEAN, Value::Bool(true)),
            ],
        },
        SimDevice {
            id: "tank1",
            metrics: vec![
                SimMetric::number("Level", 1, DOUBLE, "%", 62.0, 0.4, 0.3),
                SimMetric::number("Temperature", 2, INT32, "°C", -4.0, 0.6, 0.0),
                SimMetric::word("Valve/Open", 3, BOOLEAN, Value::Bool(false)),
                SimMetric::word("Mode", 4, STRING, Value::Str("auto".into())),
            ],
        },
    ]
}

fn now_ms() -> u64 {
    chrono::Utc::now().timestamp_millis().max(0) as u64
}

fn topic(kind: &str, device: Option<&str>) -> String {
    match device {
        Some(d) => format!("spBv1.0/{GROUP}/{kind}/{NODE}/{d}"),
        None => format!("spBv1.0/{GROUP}/{kind}/{NODE}"),
    }
}

fn bd_seq_metric(bd: u64) -> Metric {
    Metric {
        name: Some("bdSeq".into()),
        timestamp: Some(now_ms()),
        datatype: Some(INT64),
        value: Value::Int(bd as i64),
        ..Metric::default()
    }
}

/// What the connection's poller hands the node.
enum Incoming {
    Connected,
    /// The connection failed; rumqttc retries, and a new ConnAck brings new births.
    Lost,
    Publish(String, Vec<u8>),
}

/// One connection of the edge node, with its NDEATH as Last Will.
struct Conn {
    client: AsyncClient,
    inbox: mpsc::Receiver<Incoming>,
    poller: JoinHandle<()>,
}

impl Conn {
    fn connect(host: &str, port: u16, client_id: &str, bd_seq: u64) -> Conn {
        let mut opts = MqttOptions::new(client_id, host, port);
        opts.set_keep_alive(Duration::from_secs(5));
        let death = encode(&Payload {
            timestamp: Some(now_ms()),
            metrics: vec![bd_seq_metric(bd_seq)],
            ..Payload::default()
        });
        opts.set_last_will(LastWill::new(
            topic("NDEATH", None),
            death,
            QoS::AtLeastOnce,
            false,
        ));
        let (client, mut eventloop) = AsyncClient::new(opts, 256);
        let (tx, inbox) = mpsc::channel(256);
        let c = client.clone();
        let poller = tokio::spawn(async move {
            loop {
                match eventloop.poll().await {
                    Ok(rumqttc::Event::Incoming(Packet::ConnAck(_))) => {
                        let _ = c.try_subscribe(topic("NCMD", None), QoS::AtLeastOnce);
                        let _ = tx.try_send(Incoming::Connected);
                    }
                    Ok(rumqttc::Event::Incoming(Packet::Publish(p))) => {
                        let _ = tx.try_send(Incoming::Publish(p.topic, p.payload.to_vec()));
                    }
                    Ok(_) => {}
                    Err(e) => {
                        log::debug!("simulated edge node: {e}");
                        let _ = tx.try_send(Incoming::Lost);
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
        });
        Conn {
            client,
            inbox,
            poller,
        }
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.poller.abort();
    }
}

/// The node's session: its bdSeq and the seq of its next message.
struct Session {
    bd_seq: u64,
    seq: u64,
}

impl Session {
    fn next(&mut self) -> u64 {
        let s = self.seq;
        self.seq = (self.seq + 1) % 256;
        s
    }
}

fn births(s: &mut Session, devices: &[SimDevice]) -> Vec<(String, Vec<u8>)> {
    let now = now_ms();
    s.seq = 0;
    let mut out = vec![(
        topic("NBIRTH", None),
        encode(&Payload {
            timestamp: Some(now),
            seq: Some(s.next()),
            metrics: vec![
                bd_seq_metric(s.bd_seq),
                Metric {
                    name: Some(REBIRTH.into()),
                    timestamp: Some(now),
                    datatype: Some(BOOLEAN),
                    value: Value::Bool(false),
                    ..Metric::default()
                },
                Metric {
                    name: Some("Properties/Hardware".into()),
                    alias: Some(100),
                    timestamp: Some(now),
                    datatype: Some(STRING),
                    value: Value::Str("twinview simulated edge node".into()),
                    ..Metric::default()
                },
            ],
            cut: 0,
        }),
    )];
    for d in devices {
        out.push((
            topic("DBIRTH", Some(d.id)),
            encode(&Payload {
                timestamp: Some(now),
                seq: Some(s.next()),
                metrics: d.metrics.iter().map(|m| m.birth(now)).collect(),
                cut: 0,
            }),
        ));
    }
    out
}

/// Runs the edge node until aborted. `control` drops it hard or brings it back.
pub async fn run_edge_node(
    host: String,
    port: u16,
    run_id: u32,
    interval: Duration,
    mut rng: Rng,
    mut control: mpsc::UnboundedReceiver<SimControl>,
) {
    let client_id = format!("sim-{NODE}-{run_id:08x}");
    let mut devices = devices();
    let mut session = Session { bd_seq: 0, seq: 0 };
    let mut conn = Some(Conn::connect(&host, port, &client_id, session.bd_seq));
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut controlled = true;
    // No data before this connection's births: a DDATA ahead of its DBIRTH could not be
    // attributed by any host.
    let mut born = false;
    loop {
        let inbox = async {
            match conn.as_mut() {
                Some(c) => c.inbox.recv().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = tick.tick() => {
                let now = now_ms();
                for d in &mut devices {
                    let moved: Vec<usize> = (0..d.metrics.len())
                        .filter(|&i| d.metrics[i].step(&mut rng))
                        .collect();
                    if moved.is_empty() {
                        continue;
                    }
                    let Some(c) = conn.as_ref().filter(|_| born) else { continue };
                    let metrics = moved.iter().map(|&i| d.metrics[i].data(now)).collect();
                    let payload = encode(&Payload { timestamp: Some(now), seq: Some(session.next()), metrics, cut: 0 });
                    if c.client.try_publish(topic("DDATA", Some(d.id)), QoS::AtMostOnce, false, payload).is_ok() {
                        for &i in &moved {
                            d.metrics[i].reported = d.metrics[i].value.clone();
                        }
                    }
                }
            }
            msg = inbox => match msg {
                Some(Incoming::Connected) => {
                    publish_births(&conn, &mut session, &devices);
                    born = true;
                }
                Some(Incoming::Publish(t, payload)) if t == topic("NCMD", None) => {
                    let asked = decode(&payload).is_ok_and(|p| {
                        p.metrics.iter().any(|m| m.name.as_deref() == Some(REBIRTH) && m.value == Value::Bool(true))
                    });
                    if asked {
                        log::info!("simulated {NODE}: rebirth requested");
                        publish_births(&conn, &mut session, &devices);
                    }
                }
                Some(Incoming::Lost) => born = false,
                Some(_) => {}
                None => conn = None,
            },
            c = control.recv(), if controlled => match c {
                Some(SimControl::Drop) | Some(SimControl::Fault(super::FaultKind::Drop)) => {
                    born = false;
                    if conn.take().is_some() {
                        log::warn!("simulated {NODE} dropped hard (no DISCONNECT): the broker publishes its NDEATH");
                    }
                }
                Some(SimControl::Restore) => {
                    if conn.is_none() {
                        session.bd_seq = (session.bd_seq + 1) % 256;
                        conn = Some(Conn::connect(&host, port, &client_id, session.bd_seq));
                        log::info!("simulated {NODE} reconnecting (bdSeq {})", session.bd_seq);
                    }
                }
                Some(SimControl::Fault(_)) => {}
                None => controlled = false,
            }
        }
    }
}

fn publish_births(conn: &Option<Conn>, session: &mut Session, devices: &[SimDevice]) {
    let Some(c) = conn else { return };
    for (t, payload) in births(session, devices) {
        let _ = c.client.try_publish(t, QoS::AtMostOnce, false, payload);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn births_carry_names_aliases_and_the_session() {
        let mut s = Session { bd_seq: 4, seq: 17 };
        let b = births(&mut s, &devices());
        assert_eq!(b.len(), 3);
        let n = decode(&b[0].1).unwrap();
        assert_eq!(
            (b[0].0.as_str(), n.seq),
            ("spBv1.0/plant/NBIRTH/edge1", Some(0))
        );
        assert!(n
            .metrics
            .iter()
            .any(|m| m.name.as_deref() == Some("bdSeq") && m.value == Value::Int(4)));
        let d = decode(&b[1].1).unwrap();
        assert_eq!(
            (b[1].0.as_str(), d.seq),
            ("spBv1.0/plant/DBIRTH/edge1/pump1", Some(1))
        );
        assert!(d
            .metrics
            .iter()
            .all(|m| m.name.is_some() && m.alias.is_some()));
        assert_eq!(d.metrics[0].unit.as_deref(), Some("rpm"));
        assert_eq!(s.seq, 3);
    }

    #[test]
    fn reports_only_what_moved() {
        let mut rng = Rng::with_seed(3);
        let mut m = SimMetric::number("x", 1, DOUBLE, "u", 10.0, 0.01, 1.0);
        assert!(
            !(0..50).any(|_| m.step(&mut rng)),
            "noise under the deadband"
        );
        m.value = Value::Float(12.0);
        assert!(m.step(&mut rng));
    }
}
