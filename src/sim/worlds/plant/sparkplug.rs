use super::prelude::*;
use crate::decode::sparkplug::{datatype::*, encode, Metric, Payload, Value as SpValue};

/// The pump house: a Sparkplug B edge node with a pump and a tank.
pub(super) struct PumpHouse {
    client: usize,
    node: usize,
    pump: usize,
    tank: usize,
    start: chrono::DateTime<chrono::Utc>,
    seq: u64,
    bd_seq: u64,
    flow: Probe,
    motor: Probe,
    level: Probe,
    level_x: f64,
    running: bool,
    motor_x: f64,
    hours: f64,
    reported: Vec<f64>,
    tick: Ticker,
    connected: bool,
    down: Downtime,
    rng: Rng,
}

pub(super) const GROUP: &str = "water";
pub(super) const EDGE: &str = "pumphouse";
/// The devices as Sparkplug names them: the group is part of a node's identity
/// (`group/node[/device]`).
const NODE_ID: &str = "water/pumphouse";
const PUMP_ID: &str = "water/pumphouse/pump1";
const TANK_ID: &str = "water/pumphouse/tank1";

pub(super) fn sp_topic(kind: &str, device: Option<&str>) -> String {
    match device {
        Some(d) => format!("spBv1.0/{GROUP}/{kind}/{EDGE}/{d}"),
        None => format!("spBv1.0/{GROUP}/{kind}/{EDGE}"),
    }
}

pub(super) fn metric(
    name: Option<&str>,
    alias: u64,
    dt: Option<u32>,
    ts: u64,
    v: SpValue,
    unit: Option<&str>,
) -> Metric {
    Metric {
        name: name.map(String::from),
        alias: Some(alias),
        timestamp: Some(ts),
        datatype: dt,
        unit: unit.map(String::from),
        value: v,
        ..Metric::default()
    }
}

impl PumpHouse {
    pub(super) fn new(b: &mut Builder) -> PumpHouse {
        let mut rng = Rng::with_seed(b.seed());
        let death = |bd: u64| {
            encode(&Payload {
                timestamp: None,
                seq: None,
                metrics: vec![metric(
                    Some("bdSeq"),
                    0,
                    Some(INT64),
                    0,
                    SpValue::Int(bd as i64),
                    None,
                )],
                cut: 0,
            })
        };
        let client = b.client(
            "pumphouse-edge",
            Some(Msg::new(sp_topic("NDEATH", None), death(0), false)),
            30,
        );
        let node = b.device(NODE_ID, "sparkplug", "birth-death", Some(45.0));
        let pump = b.device(PUMP_ID, "sparkplug", "birth-death", Some(45.0));
        let tank = b.device(TANK_ID, "sparkplug", "birth-death", Some(45.0));
        let pt = sp_topic("DDATA", Some("pump1"));
        let flow = b
            .probe(
                pump,
                &pt,
                "Flow",
                "continuous",
                0.1,
                "on_change",
                &[
                    FaultKind::Spike,
                    FaultKind::LevelShift,
                    FaultKind::Stuck,
                    FaultKind::NoiseBurst,
                ],
            )
            .scale(8.0);
        let motor = b
            .probe(
                pump,
                &pt,
                "Motor/Temperature",
                "continuous",
                0.1,
                "on_change",
                TEMP_FAULTS,
            )
            .scale(2.0);
        b.series(pump, &pt, "RunHours", "counter", Some(0.01), "on_change");
        b.series(
            pump,
            &pt,
            "Outlet/Pressure",
            "continuous",
            Some(0.01),
            "on_change",
        );
        let tt = sp_topic("DDATA", Some("tank1"));
        let level = b
            .probe(
                tank,
                &tt,
                "Level",
                "continuous",
                0.1,
                "on_change",
                &[
                    FaultKind::Spike,
                    FaultKind::Stuck,
                    FaultKind::OutOfRange,
                    FaultKind::DriftFast,
                ],
            )
            .scale(3.0)
            .out_of_range(-12.0);
        PumpHouse {
            client,
            node,
            pump,
            tank,
            start: b.start,
            seq: 0,
            bd_seq: 0,
            flow,
            motor,
            level,
            level_x: 55.0,
            running: false,
            motor_x: 20.0,
            hours: 8123.4,
            reported: vec![f64::NAN; 5],
            tick: Ticker::new(1.0, 0.0, &mut rng),
            connected: false,
            down: Downtime::default(),
            rng,
        }
    }

    fn next_seq(&mut self) -> u64 {
        let s = self.seq;
        self.seq = (self.seq + 1) % 256;
        s
    }

    fn values(&self) -> [SpValue; 5] {
        [
            SpValue::Float(if self.running { 118.0 } else { 0.0 }),
            SpValue::Float(self.motor_x),
            SpValue::Float(self.hours),
            SpValue::Float(if self.running { 3.4 } else { 0.2 }),
            SpValue::Bool(self.running),
        ]
    }

    fn births(&mut self, t: f64, sink: &mut Sink) {
        let ts = at(self.start, t).timestamp_millis() as u64;
        let (c, n) = (self.client, self.node);
        sink.connect(t, c, n);
        self.seq = 0;
        let nb = Payload {
            timestamp: Some(ts),
            seq: Some(self.next_seq()),
            metrics: vec![
                metric(
                    Some("bdSeq"),
                    0,
                    Some(INT64),
                    ts,
                    SpValue::Int(self.bd_seq as i64),
                    None,
                ),
                metric(
                    Some("Node Control/Rebirth"),
                    1,
                    Some(BOOLEAN),
                    ts,
                    SpValue::Bool(false),
                    None,
                ),
                metric(
                    Some("Properties/Firmware"),
                    2,
                    Some(STRING),
                    ts,
                    SpValue::Str("2.4.1".into()),
                    None,
                ),
            ],
            cut: 0,
        };
        sink.publish(
            t,
            c,
            n,
            Msg::new(sp_topic("NBIRTH", None), encode(&nb), false),
        );
        let v = self.values();
        let pb = Payload {
            timestamp: Some(ts),
            seq: Some(self.next_seq()),
            metrics: vec![
                metric(
                    Some("Flow"),
                    10,
                    Some(FLOAT),
                    ts,
                    v[0].clone(),
                    Some("l/min"),
                ),
                metric(
                    Some("Motor/Temperature"),
                    11,
                    Some(FLOAT),
                    ts,
                    v[1].clone(),
                    Some("°C"),
                ),
                metric(
                    Some("RunHours"),
                    12,
                    Some(DOUBLE),
                    ts,
                    v[2].clone(),
                    Some("h"),
                ),
                metric(
                    Some("Outlet/Pressure"),
                    13,
                    Some(DOUBLE),
                    ts,
                    v[3].clone(),
                    Some("bar"),
                ),
                metric(Some("Running"), 14, Some(BOOLEAN), ts, v[4].clone(), None),
            ],
            cut: 0,
        };
        sink.publish(
            t + 0.01,
            c,
            self.pump,
            Msg::new(sp_topic("DBIRTH", Some("pump1")), encode(&pb), false),
        );
        let tb = Payload {
            timestamp: Some(ts),
            seq: Some(self.next_seq()),
            metrics: vec![metric(
                Some("Level"),
                20,
                Some(FLOAT),
                ts,
                SpValue::Float(self.level_x),
                Some("%"),
            )],
            cut: 0,
        };
        sink.publish(
            t + 0.02,
            c,
            self.tank,
            Msg::new(sp_topic("DBIRTH", Some("tank1")), encode(&tb), false),
        );
        self.connected = true;
    }
}

impl Device for PumpHouse {
    fn advance(&mut self, now: f64, until: f64, _env: &Env, sink: &mut Sink) {
        for s in self.down.starting(now, until).collect::<Vec<_>>() {
            sink.drop_conn(s, self.client, self.node);
            self.connected = false;
            self.bd_seq += 1;
        }
        if self.down.down(until) {
            while self.tick.due(until, &mut self.rng).is_some() {}
            return;
        }
        if !self.connected {
            let t = self.down.ending(now, until).next().unwrap_or(0.0).max(now);
            self.births(t, sink);
        }
        while let Some(t) = self.tick.due(until, &mut self.rng) {
            // The pump fills the tank between 40 and 80 %; the town draws from it.
            self.level_x -= 0.004 + self.rng.f64() * 0.002;
            if self.running {
                self.level_x += 0.012;
                self.hours += 1.0 / 3600.0;
            }
            if self.level_x < 40.0 {
                self.running = true;
            } else if self.level_x > 80.0 {
                self.running = false;
            }
            let goal = if self.running { 55.0 } else { 18.0 };
            self.motor_x += (goal - self.motor_x) / 900.0;
            let ts = at(self.start, t).timestamp_millis() as u64;
            let flow = self.flow.read(
                t,
                if self.running {
                    118.0 + gaussian(&mut self.rng, 0.8)
                } else {
                    0.0
                },
            );
            let motor = self
                .motor
                .read(t, self.motor_x + gaussian(&mut self.rng, 0.05));
            let level = self.level.read(t, self.level_x);
            // Report by exception past a deadband.
            let now_v = [
                flow,
                motor,
                quantise(self.hours, 0.01),
                if self.running { 3.4 } else { 0.2 },
                if self.running { 1.0 } else { 0.0 },
            ];
            let bands = [1.0, 0.5, 0.1, 0.05, 0.5];
            let mut metrics = Vec::new();
            for (k, (v, band)) in now_v.iter().zip(bands).enumerate() {
                if self.reported[k].is_nan() || (v - self.reported[k]).abs() >= band {
                    self.reported[k] = *v;
                    match k {
                        0 => self.flow.shown(t),
                        1 => self.motor.shown(t),
                        _ => {}
                    }
                    let val = match k {
                        0 | 1 => SpValue::Float(*v),
                        4 => SpValue::Bool(*v > 0.5),
                        _ => SpValue::Float(*v),
                    };
                    metrics.push(metric(None, 10 + k as u64, None, ts, val, None));
                }
            }
            if !metrics.is_empty() {
                let p = Payload {
                    timestamp: Some(ts),
                    seq: Some(self.next_seq()),
                    metrics,
                    cut: 0,
                };
                sink.publish(
                    t,
                    self.client,
                    self.pump,
                    Msg::new(sp_topic("DDATA", Some("pump1")), encode(&p), false),
                );
            }
            if (t as i64) % 10 == 0 {
                // (The level is read at every scan and sent every ten seconds: a spike on a
                // scan it did not send showed nothing.)
                self.level.sent_value(t, level);
                let p = Payload {
                    timestamp: Some(ts),
                    seq: Some(self.next_seq()),
                    metrics: vec![metric(None, 20, None, ts, SpValue::Float(level), None)],
                    cut: 0,
                };
                sink.publish(
                    t + 0.01,
                    self.client,
                    self.tank,
                    Msg::new(sp_topic("DDATA", Some("tank1")), encode(&p), false),
                );
            }
        }
    }

    fn probes(&mut self) -> Vec<&mut Probe> {
        vec![&mut self.flow, &mut self.motor, &mut self.level]
    }

    fn device_faults(&self) -> &'static [FaultKind] {
        &[FaultKind::Offline]
    }

    fn inject(&mut self, kind: FaultKind, start: f64, end: f64, rng: &mut Rng) -> Vec<TruthFault> {
        // The node's death takes its devices with it.
        let mut out = Vec::new();
        for dev in [NODE_ID, PUMP_ID, TANK_ID] {
            let mut d = Downtime::default();
            out.extend(down_faults(
                &mut d,
                kind,
                start,
                end,
                rng,
                self.start,
                dev,
                &sp_topic("NDEATH", None),
            ));
        }
        self.down.periods.push((start, end));
        out
    }
}
