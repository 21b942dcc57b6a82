//! A small plant as its systems send it. Each model follows the system's own documentation:
//!
//! - **A unified namespace fed by Node-RED** (the ISA-95 topic hierarchy
//!   `<enterprise>/<site>/<area>/<machine>/<tag>` that UNS write-ups describe; Node-RED's
//!   `mqtt out` node sends what it is given, here plain numbers and words on a fixed inject
//!   interval): presses whose motor temperature follows their load over two shifts, vibration,
//!   a parts counter, cycle time, a state word and a mould setpoint that never moves. One
//!   press's gateway registers a will on `…/status`; the other, and the Node-RED instance that
//!   also publishes the chiller and the hall's 0.5 °C room sensor, register none.
//! - **Kepware's IoT Gateway MQTT agent** (its manual, "Standard template"): one JSON message
//!   per publish interval, `{"timestamp":…,"values":[{"id":"Channel.Device.Tag","v":…,"q":true,
//!   "t":…}]}`, an oven's three zones under on/off control around their setpoints.
//! - **Shelly Pro 3EM** (Shelly's Gen 2 API, "EM" and "EMData"): the air compressor's three
//!   phases on `<prefix>/status/em:0` and the energy counters on `<prefix>/status/emdata:0`;
//!   `<prefix>/online` is its will. The compressor loads and unloads against its pressure band.
//! - **Tasmota's Smart Meter Interface** (tasmota.github.io "Smart Meter Interface"): the
//!   site's meter on `tele/<topic>/SENSOR` every TelePeriod, `{"Time":…,"<meter>":{"Total_in":…,
//!   "Power_curr":…,"Meter_Number":…}}`; `tele/<topic>/LWT` its will.
//! - **rtl_433** (its README, "MQTT output"): 433 MHz sensors decoded by a receiver and
//!   published field by field under `rtl_433/<host>/devices/<model>/<channel>/<id>/<field>`; a
//!   sensor repeats each transmission, so readings often arrive two or three times; no will.
//! - **Sparkplug B** (the Eclipse Sparkplug 3.0 specification): a pump house edge node with a
//!   pump and a tank; NDEATH with its bdSeq as the will, NBIRTH then DBIRTH (names, aliases,
//!   datatypes), DDATA by exception with aliases, `seq` 0–255 across the node's messages.
//!   Births are not retained: a host that joins later sees data it cannot name until it asks
//!   for a rebirth, and this scripted node does not answer one (start twinview first).
//! - The Contract Net factory of the seed labs runs beside the live plant (machines bidding for
//!   jobs); it is not in offline recordings, which hold what the script can say in advance.

use fastrand::Rng;
use serde_json::json;

use super::home::down_faults;
use super::signal::{fmt, quantise, Downtime, Env, FaultKind, Probe, Ticker, Wander};
use super::{at, Builder, Device, Msg, Sink, TruthFault};
use crate::sim::sensors::gaussian;
use crate::sparkplug::{datatype::*, encode, Metric, Payload, Value as SpValue};

const TEMP_FAULTS: &[FaultKind] = &[
    FaultKind::Spike,
    FaultKind::LevelShift,
    FaultKind::DriftFast,
    FaultKind::DriftSlow,
    FaultKind::Stuck,
    FaultKind::NoiseBurst,
    FaultKind::UnitChange,
];

/// Whether the presses run at `h` o'clock: two shifts, with breaks.
fn shift(h: f64) -> bool {
    (6.0..22.0).contains(&h)
        && !(9.5..9.75).contains(&h)
        && !(12.0..12.5).contains(&h)
        && !(18.0..18.5).contains(&h)
}

/// A press on the unified namespace.
struct Press {
    client: usize,
    device: usize,
    name: &'static str,
    base: String,
    start: chrono::DateTime<chrono::Utc>,
    motor: Probe,
    vibration: Probe,
    parts: Probe,
    temp: f64,
    count: f64,
    tick: Ticker,
    state: &'static str,
    wander: Wander,
    has_will: bool,
    state_seen: bool,
    connected: bool,
    down: Downtime,
    rng: Rng,
}

impl Press {
    fn new(b: &mut Builder, name: &'static str, will: bool, client: Option<usize>) -> Press {
        let mut rng = Rng::with_seed(b.seed());
        let base = format!("acme/hamburg/line1/{name}");
        let client = client.unwrap_or_else(|| {
            b.client(
                &format!("nodered-{name}"),
                will.then(|| Msg::new(format!("{base}/status"), "offline", true)),
                30,
            )
        });
        let device = b.device(
            name,
            "uns",
            if will { "will" } else { "none" },
            will.then_some(45.0),
        );
        let motor = b
            .probe(
                device,
                &format!("{base}/motor_temp"),
                "value",
                "continuous",
                0.1,
                "steady",
                TEMP_FAULTS,
            )
            .scale(2.0);
        let vibration = b
            .probe(
                device,
                &format!("{base}/vibration"),
                "value",
                "continuous",
                0.01,
                "steady",
                &[
                    FaultKind::Spike,
                    FaultKind::NoiseBurst,
                    FaultKind::LevelShift,
                ],
            )
            .scale(0.6);
        let parts = b.probe(
            device,
            &format!("{base}/parts_count"),
            "value",
            "counter",
            1.0,
            "steady",
            &[FaultKind::CounterReset],
        );
        b.series(
            device,
            &format!("{base}/cycle_time"),
            "value",
            "continuous",
            Some(0.01),
            "steady",
        );
        b.series(
            device,
            &format!("{base}/mold_temp_setpoint"),
            "value",
            "setpoint",
            Some(1.0),
            "steady",
        );
        Press {
            client,
            device,
            name,
            base,
            start: b.start,
            motor,
            vibration,
            parts,
            temp: 30.0,
            count: 100_000.0 + rng.f64() * 50_000.0,
            tick: Ticker::new(10.0, 0.01, &mut rng),
            state: "IDLE",
            wander: Wander::new(0.15, 0.97),
            has_will: will,
            state_seen: false,
            connected: false,
            down: Downtime::default(),
            rng,
        }
    }
}

impl Device for Press {
    fn advance(&mut self, now: f64, until: f64, env: &Env, sink: &mut Sink) {
        let (c, d) = (self.client, self.device);
        for s in self.down.starting(now, until).collect::<Vec<_>>() {
            if self.has_will {
                sink.drop_conn(s, c, d);
            }
            self.connected = false;
        }
        if self.down.down(until) {
            while self.tick.due(until, &mut self.rng).is_some() {}
            return;
        }
        if !self.connected {
            let t = self.down.ending(now, until).next().unwrap_or(0.0).max(now);
            if self.has_will {
                sink.connect(t, c, d);
                sink.publish(
                    t,
                    c,
                    d,
                    Msg::new(format!("{}/status", self.base), "online", true),
                );
            } else if now == 0.0 {
                sink.connect(t, c, d);
            }
            self.connected = true;
        }
        let hall = env.room("hall");
        while let Some(t) = self.tick.due(until, &mut self.rng) {
            let running = shift(env.hour(t));
            let state = if running { "RUNNING" } else { "IDLE" };
            if state != self.state {
                self.state = state;
                sink.publish(
                    t,
                    c,
                    d,
                    Msg::new(format!("{}/state", self.base), state, true),
                );
            }
            // Motor temperature: first order towards hall + load heat (τ 20 min).
            let goal = env.temp(hall, t) + if running { 40.0 } else { 0.0 };
            if self.state_seen {
                self.temp += (goal - self.temp) * (10.0 / 1200.0);
            } else {
                self.state_seen = true;
                self.temp = goal;
            }
            let m = self
                .motor
                .read(t, self.temp + self.wander.next(&mut self.rng));
            let v = self.vibration.read(
                t,
                if running {
                    2.4 + gaussian(&mut self.rng, 0.12)
                } else {
                    0.05 + self.rng.f64() * 0.03
                },
            );
            if running {
                self.count += 10.0 / (12.0 + gaussian(&mut self.rng, 0.15));
            }
            let p = self.parts.read(t, self.count.floor());
            let b = &self.base;
            sink.publish(
                t,
                c,
                d,
                Msg::new(format!("{b}/motor_temp"), fmt(m, 0.1), false),
            );
            sink.publish(
                t + 0.001,
                c,
                d,
                Msg::new(format!("{b}/vibration"), fmt(v.max(0.0), 0.01), false),
            );
            sink.publish(
                t + 0.002,
                c,
                d,
                Msg::new(format!("{b}/parts_count"), format!("{p}"), false),
            );
            if running {
                sink.publish(
                    t + 0.003,
                    c,
                    d,
                    Msg::new(
                        format!("{b}/cycle_time"),
                        fmt(12.0 + gaussian(&mut self.rng, 0.15), 0.01),
                        false,
                    ),
                );
            }
            if (t / 10.0).round() as i64 % 6 == 0 {
                sink.publish(
                    t + 0.004,
                    c,
                    d,
                    Msg::new(format!("{b}/mold_temp_setpoint"), "45", true),
                );
            }
        }
        let _ = (self.name, self.start);
    }

    fn probes(&mut self) -> Vec<&mut Probe> {
        vec![&mut self.motor, &mut self.vibration, &mut self.parts]
    }

    fn device_faults(&self) -> &'static [FaultKind] {
        if self.has_will {
            &[FaultKind::Offline, FaultKind::Flapping]
        } else {
            &[FaultKind::Silence]
        }
    }

    fn inject(&mut self, kind: FaultKind, start: f64, end: f64, rng: &mut Rng) -> Vec<TruthFault> {
        let topic = if self.has_will {
            format!("{}/status", self.base)
        } else {
            format!("{}/motor_temp", self.base)
        };
        down_faults(
            &mut self.down,
            kind,
            start,
            end,
            rng,
            self.start,
            self.name,
            &topic,
        )
    }
}

/// The chiller and the hall's room sensor, through the same Node-RED (no will).
struct Utilities {
    client: usize,
    chiller: usize,
    hall: usize,
    supply: Probe,
    room: Probe,
    supply_t: f64,
    valve: f64,
    setpoint: f64,
    tick: Ticker,
    room_tick: Ticker,
    rng: Rng,
}

impl Utilities {
    fn new(b: &mut Builder, client: usize) -> Utilities {
        let mut rng = Rng::with_seed(b.seed());
        let chiller = b.device("chiller1", "uns", "none", None);
        let base = "acme/hamburg/utilities/chiller1";
        let supply = b
            .probe(
                chiller,
                &format!("{base}/supply_temp"),
                "value",
                "continuous",
                0.1,
                "steady",
                TEMP_FAULTS,
            )
            .scale(0.5);
        b.series(
            chiller,
            &format!("{base}/return_temp"),
            "value",
            "continuous",
            Some(0.1),
            "steady",
        );
        b.series(
            chiller,
            &format!("{base}/setpoint"),
            "value",
            "setpoint",
            Some(0.5),
            "steady",
        );
        b.series(
            chiller,
            &format!("{base}/valve_position"),
            "value",
            "continuous",
            Some(1.0),
            "steady",
        );
        let hall = b.device("hall_sensor", "uns", "none", None);
        let room = b.probe(
            hall,
            "acme/hamburg/hall/room_temp",
            "value",
            "quantised",
            0.5,
            "steady",
            &[
                FaultKind::Spike,
                FaultKind::LevelShift,
                FaultKind::DriftFast,
                FaultKind::DriftSlow,
                FaultKind::Stuck,
                FaultKind::UnitChange,
            ],
        );
        Utilities {
            client,
            chiller,
            hall,
            supply,
            room,
            supply_t: 7.0,
            valve: 40.0,
            setpoint: 7.0,
            tick: Ticker::new(15.0, 0.01, &mut rng),
            room_tick: Ticker::new(30.0, 0.01, &mut rng),
            rng,
        }
    }
}

impl Device for Utilities {
    fn advance(&mut self, _now: f64, until: f64, env: &Env, sink: &mut Sink) {
        let c = self.client;
        let base = "acme/hamburg/utilities/chiller1";
        while let Some(t) = self.tick.due(until, &mut self.rng) {
            let load = if shift(env.hour(t)) { 1.0 } else { 0.3 };
            // The controller opens the valve with the load; supply holds its setpoint.
            self.valve += ((35.0 + 50.0 * load) - self.valve) * 0.05 + gaussian(&mut self.rng, 0.8);
            self.supply_t += (self.setpoint - self.supply_t) * 0.1 + gaussian(&mut self.rng, 0.05);
            let s = self.supply.read(t, self.supply_t);
            let r = self.supply_t + 3.0 + 2.0 * load + gaussian(&mut self.rng, 0.1);
            let d = self.chiller;
            sink.publish(
                t,
                c,
                d,
                Msg::new(format!("{base}/supply_temp"), fmt(s, 0.1), false),
            );
            sink.publish(
                t + 0.001,
                c,
                d,
                Msg::new(format!("{base}/return_temp"), fmt(r, 0.1), false),
            );
            sink.publish(
                t + 0.002,
                c,
                d,
                Msg::new(
                    format!("{base}/valve_position"),
                    fmt(self.valve.clamp(0.0, 100.0), 1.0),
                    false,
                ),
            );
            sink.publish(
                t + 0.003,
                c,
                d,
                Msg::new(format!("{base}/setpoint"), fmt(self.setpoint, 0.5), false),
            );
        }
        let hall = env.room("hall");
        while let Some(t) = self.room_tick.due(until, &mut self.rng) {
            let x = self
                .room
                .read(t, env.temp(hall, t) + gaussian(&mut self.rng, 0.05));
            sink.publish(
                t,
                c,
                self.hall,
                Msg::new("acme/hamburg/hall/room_temp", fmt(x, 0.5), false),
            );
        }
    }

    fn probes(&mut self) -> Vec<&mut Probe> {
        vec![&mut self.supply, &mut self.room]
    }
}

/// An oven behind Kepware's IoT Gateway.
struct Oven {
    client: usize,
    device: usize,
    start: chrono::DateTime<chrono::Utc>,
    zones: Vec<(Probe, f64, f64, bool)>,
    tick: Ticker,
    rng: Rng,
}

impl Oven {
    fn new(b: &mut Builder) -> Oven {
        let mut rng = Rng::with_seed(b.seed());
        let client = b.client("kepware-iotgateway", None, 60);
        let device = b.device("oven1", "kepware", "none", None);
        let topic = "iotgateway/line2/oven1";
        let mut zones = Vec::new();
        for (i, sp) in [180.0, 200.0, 190.0].into_iter().enumerate() {
            let p = b
                .probe(
                    device,
                    topic,
                    &format!("values.{}.v", i * 2),
                    "continuous",
                    0.1,
                    "steady",
                    TEMP_FAULTS,
                )
                .scale(2.0);
            b.series(
                device,
                topic,
                &format!("values.{}.v", i * 2 + 1),
                "setpoint",
                Some(1.0),
                "steady",
            );
            b.series(
                device,
                topic,
                &format!("values.{}.t", i * 2),
                "epoch",
                None,
                "steady",
            );
            b.series(
                device,
                topic,
                &format!("values.{}.t", i * 2 + 1),
                "epoch",
                None,
                "steady",
            );
            zones.push((p, sp, sp - 2.0, false));
        }
        b.series(device, topic, "timestamp", "epoch", None, "steady");
        Oven {
            client,
            device,
            start: b.start,
            zones,
            tick: Ticker::new(5.0, 0.002, &mut rng),
            rng,
        }
    }
}

impl Device for Oven {
    fn advance(&mut self, now: f64, until: f64, env: &Env, sink: &mut Sink) {
        let (c, d) = (self.client, self.device);
        if now == 0.0 {
            sink.connect(0.0, c, d);
        }
        while let Some(t) = self.tick.due(until, &mut self.rng) {
            let on_shift = shift(env.hour(t));
            let ms = at(self.start, t).timestamp_millis();
            let mut values = Vec::new();
            for (i, (p, sp, x, heating)) in self.zones.iter_mut().enumerate() {
                let set = if on_shift { *sp } else { 80.0 };
                // On/off control with a 1.5 °C band.
                if *x < set - 1.5 {
                    *heating = true;
                } else if *x > set + 1.5 {
                    *heating = false;
                }
                *x += if *heating { 0.9 } else { -0.5 } + gaussian(&mut self.rng, 0.05);
                let v = p.read(t, *x);
                values.push(json!({"id": format!("Line2.Oven1.Zone{}.Temperature", i + 1), "v": v, "q": true, "t": ms}));
                values.push(json!({"id": format!("Line2.Oven1.Zone{}.Setpoint", i + 1), "v": set, "q": true, "t": ms}));
            }
            let m = json!({"timestamp": ms, "values": values});
            sink.publish(
                t,
                c,
                d,
                Msg::new("iotgateway/line2/oven1", m.to_string(), false),
            );
        }
    }

    fn probes(&mut self) -> Vec<&mut Probe> {
        self.zones.iter_mut().map(|z| &mut z.0).collect()
    }
}

/// The air compressor on a Shelly Pro 3EM, and the site meter on Tasmota SML.
struct Compressor {
    client: usize,
    device: usize,
    meter_client: usize,
    meter: usize,
    prefix: String,
    start: chrono::DateTime<chrono::Utc>,
    power: Probe,
    total: Probe,
    meter_total: Probe,
    pressure: f64,
    loaded: bool,
    kwh: f64,
    site_kwh: f64,
    tick: Ticker,
    energy_tick: Ticker,
    meter_tick: Ticker,
    last_w: f64,
    connected: [bool; 2],
    down: Downtime,
    meter_down: Downtime,
    rng: Rng,
}

impl Compressor {
    fn new(b: &mut Builder) -> Compressor {
        let mut rng = Rng::with_seed(b.seed());
        let prefix = format!("shellypro3em-08f9e0{:06x}", rng.u32(..0xFFFFFF));
        let client = b.client(
            &prefix,
            Some(Msg::new(format!("{prefix}/online"), "false", true)),
            60,
        );
        let device = b.device("air_compressor", "shelly", "will", Some(90.0));
        let em = format!("{prefix}/status/em:0");
        let power = b
            .probe(
                device,
                &em,
                "total_act_power",
                "power",
                0.001,
                "steady",
                &[FaultKind::Spike, FaultKind::Stuck],
            )
            .scale(800.0);
        for ph in ["a", "b", "c"] {
            b.series(
                device,
                &em,
                &format!("{ph}_act_power"),
                "power",
                Some(0.1),
                "steady",
            );
            b.series(
                device,
                &em,
                &format!("{ph}_current"),
                "power",
                Some(0.001),
                "steady",
            );
            b.series(
                device,
                &em,
                &format!("{ph}_voltage"),
                "continuous",
                Some(0.1),
                "steady",
            );
            b.series(
                device,
                &em,
                &format!("{ph}_pf"),
                "power",
                Some(0.01),
                "steady",
            );
        }
        b.series(device, &em, "*", "power", None, "steady");
        let ed = format!("{prefix}/status/emdata:0");
        b.series(device, &ed, "*", "counter", None, "steady");
        let total = b.probe(
            device,
            &ed,
            "total_act",
            "counter",
            0.01,
            "steady",
            &[FaultKind::CounterReset],
        );
        let meter_client = b.client(
            "DVES_5F2A11",
            Some(Msg::new("tele/plant_meter/LWT", "Offline", true)),
            30,
        );
        let meter = b.device("plant_meter", "tasmota", "will", Some(45.0));
        let s = "tele/plant_meter/SENSOR";
        let meter_total = b.probe(
            meter,
            s,
            "MT681.Total_in",
            "counter",
            0.0001,
            "steady",
            &[FaultKind::CounterReset],
        );
        b.series(meter, s, "MT681.Power_curr", "power", Some(1.0), "steady");
        b.series(
            meter,
            s,
            "MT681.Total_out",
            "counter",
            Some(0.0001),
            "steady",
        );
        Compressor {
            client,
            device,
            meter_client,
            meter,
            prefix,
            start: b.start,
            power,
            total,
            meter_total,
            pressure: 7.0,
            loaded: false,
            kwh: 48_211.0 + rng.f64() * 100.0,
            site_kwh: 1_204_333.0 + rng.f64() * 1000.0,
            tick: Ticker::new(5.0, 0.05, &mut rng),
            energy_tick: Ticker::new(60.0, 0.0, &mut rng),
            meter_tick: Ticker::new(10.0, 0.0, &mut rng),
            last_w: 0.0,
            connected: [false, false],
            down: Downtime::default(),
            meter_down: Downtime::default(),
            rng,
        }
    }
}

impl Device for Compressor {
    fn advance(&mut self, now: f64, until: f64, env: &Env, sink: &mut Sink) {
        let (c, d) = (self.client, self.device);
        for s in self.down.starting(now, until).collect::<Vec<_>>() {
            sink.drop_conn(s, c, d);
            self.connected[0] = false;
        }
        for s in self.meter_down.starting(now, until).collect::<Vec<_>>() {
            sink.drop_conn(s, self.meter_client, self.meter);
            self.connected[1] = false;
        }
        let down = self.down.down(until);
        if !down && !self.connected[0] {
            let t = self.down.ending(now, until).next().unwrap_or(0.0).max(now);
            sink.connect(t, c, d);
            sink.publish(
                t,
                c,
                d,
                Msg::new(format!("{}/online", self.prefix), "true", true),
            );
            self.connected[0] = true;
        }
        let meter_down = self.meter_down.down(until);
        if !meter_down && !self.connected[1] {
            let t = self
                .meter_down
                .ending(now, until)
                .next()
                .unwrap_or(0.0)
                .max(now);
            sink.connect(t, self.meter_client, self.meter);
            sink.publish(
                t,
                self.meter_client,
                self.meter,
                Msg::new("tele/plant_meter/LWT", "Online", true),
            );
            self.connected[1] = true;
        }
        while let Some(t) = self.tick.due(until, &mut self.rng) {
            // Air use follows the shifts; the compressor loads below 6.5 bar, unloads at 7.5.
            let use_rate = if shift(env.hour(t)) { 0.006 } else { 0.0008 };
            self.pressure -= use_rate * 5.0;
            if self.loaded {
                self.pressure += 0.012 * 5.0;
            }
            if self.pressure < 6.5 {
                self.loaded = true;
            } else if self.pressure > 7.5 {
                self.loaded = false;
            }
            let w = if self.loaded {
                7400.0 + gaussian(&mut self.rng, 60.0)
            } else if shift(env.hour(t)) {
                2100.0 + gaussian(&mut self.rng, 30.0)
            } else {
                0.0
            };
            self.last_w = w;
            self.kwh += w * 5.0 / 3_600_000.0;
            if down {
                continue;
            }
            let p = self.power.read(t, w);
            let mut em = serde_json::Map::new();
            em.insert("id".into(), json!(0));
            for ph in ["a", "b", "c"] {
                let pw = quantise(p / 3.0 + gaussian(&mut self.rng, 5.0), 0.1);
                let v = quantise(230.0 + gaussian(&mut self.rng, 0.7), 0.1);
                em.insert(
                    format!("{ph}_current"),
                    json!(quantise((pw / v / 0.85).abs(), 0.001)),
                );
                em.insert(format!("{ph}_voltage"), json!(v));
                em.insert(format!("{ph}_act_power"), json!(pw));
                em.insert(format!("{ph}_aprt_power"), json!(quantise(pw / 0.85, 0.1)));
                em.insert(
                    format!("{ph}_pf"),
                    json!(if pw.abs() > 1.0 { 0.85 } else { 0.0 }),
                );
            }
            em.insert("n_current".into(), serde_json::Value::Null);
            em.insert("total_act_power".into(), json!(p));
            em.insert("total_aprt_power".into(), json!(quantise(p / 0.85, 0.001)));
            sink.publish(
                t,
                c,
                d,
                Msg::new(
                    format!("{}/status/em:0", self.prefix),
                    serde_json::Value::Object(em).to_string(),
                    false,
                ),
            );
        }
        while let Some(t) = self.energy_tick.due(until, &mut self.rng) {
            if !down {
                let e = json!({"id": 0, "a_total_act_energy": quantise(self.kwh * 1000.0 / 3.0, 0.01), "b_total_act_energy": quantise(self.kwh * 1000.0 / 3.0, 0.01),
                    "c_total_act_energy": quantise(self.kwh * 1000.0 / 3.0, 0.01), "total_act": self.total.read(t, self.kwh * 1000.0), "total_act_ret": 0.0});
                sink.publish(
                    t,
                    c,
                    d,
                    Msg::new(
                        format!("{}/status/emdata:0", self.prefix),
                        e.to_string(),
                        false,
                    ),
                );
            }
        }
        while let Some(t) = self.meter_tick.due(until, &mut self.rng) {
            let site = 18_000.0
                + if shift(env.hour(t)) { 60_000.0 } else { 0.0 }
                + self.last_w
                + gaussian(&mut self.rng, 400.0);
            self.site_kwh += site * 10.0 / 3_600_000.0;
            if meter_down {
                continue;
            }
            let m = json!({"Time": at(self.start, t).format("%Y-%m-%dT%H:%M:%S").to_string(),
                "MT681": {"Total_in": self.meter_total.read(t, self.site_kwh), "Total_out": 0.0, "Power_curr": quantise(site, 1.0), "Meter_Number": "0901454d48000066c8b1"}});
            sink.publish(
                t,
                self.meter_client,
                self.meter,
                Msg::new("tele/plant_meter/SENSOR", m.to_string(), false),
            );
        }
    }

    fn probes(&mut self) -> Vec<&mut Probe> {
        vec![&mut self.power, &mut self.total, &mut self.meter_total]
    }

    fn device_faults(&self) -> &'static [FaultKind] {
        &[FaultKind::Offline, FaultKind::Flapping]
    }

    fn inject(&mut self, kind: FaultKind, start: f64, end: f64, rng: &mut Rng) -> Vec<TruthFault> {
        if kind == FaultKind::Flapping {
            down_faults(
                &mut self.meter_down,
                kind,
                start,
                end,
                rng,
                self.start,
                "plant_meter",
                "tele/plant_meter/LWT",
            )
        } else {
            let topic = format!("{}/online", self.prefix);
            down_faults(
                &mut self.down,
                kind,
                start,
                end,
                rng,
                self.start,
                "air_compressor",
                &topic,
            )
        }
    }
}

/// 433 MHz sensors through rtl_433: the cold store and the yard.
struct Rtl433 {
    client: usize,
    start: chrono::DateTime<chrono::Utc>,
    sensors: Vec<(usize, String, Probe, Ticker, Option<usize>, f64)>,
    rng: Rng,
}

impl Rtl433 {
    fn new(b: &mut Builder, env: &Env) -> Rtl433 {
        let mut rng = Rng::with_seed(b.seed());
        let client = b.client("rtl_433-pi", None, 60);
        let mut sensors = Vec::new();
        for (model, ch, id, room, period) in [
            (
                "Acurite-Tower",
                "A",
                1234,
                Some(env.room("cold_store")),
                16.0,
            ),
            ("LaCrosse-TX141THBv2", "0", 77, None, 50.0),
        ] {
            let base = format!("rtl_433/pi/devices/{model}/{ch}/{id}");
            let dev = b.device(&format!("{model} {id}"), "rtl_433", "none", None);
            let p = b.probe(
                dev,
                &format!("{base}/temperature_C"),
                "value",
                "quantised",
                0.1,
                "steady",
                TEMP_FAULTS,
            );
            b.series(
                dev,
                &format!("{base}/humidity"),
                "value",
                "quantised",
                Some(1.0),
                "steady",
            );
            b.series(
                dev,
                &format!("{base}/battery_ok"),
                "value",
                "level",
                Some(1.0),
                "steady",
            );
            b.series(
                dev,
                &format!("{base}/id"),
                "value",
                "identifier",
                Some(1.0),
                "steady",
            );
            sensors.push((
                dev,
                base,
                p,
                Ticker::new(period, 0.002, &mut rng),
                room,
                rng.f64() * 0.4,
            ));
        }
        Rtl433 {
            client,
            start: b.start,
            sensors,
            rng,
        }
    }
}

impl Device for Rtl433 {
    fn advance(&mut self, now: f64, until: f64, env: &Env, sink: &mut Sink) {
        let c = self.client;
        if now == 0.0 {
            if let Some(s) = self.sensors.first() {
                sink.connect(0.0, c, s.0);
            }
        }
        for (dev, base, p, tick, room, off) in &mut self.sensors {
            while let Some(t) = tick.due(until, &mut self.rng) {
                // A lost transmission now and then; repeats of one decoded now and then.
                if self.rng.f64() < 0.05 {
                    continue;
                }
                let truth = match room {
                    Some(r) => env.temp(*r, t),
                    None => env.outdoor(t),
                } + *off;
                let x = p.read(t, truth + gaussian(&mut self.rng, 0.03));
                let copies = if self.rng.f64() < 0.4 {
                    1 + self.rng.usize(1..3)
                } else {
                    1
                };
                for k in 0..copies {
                    let tt = t + k as f64 * 0.07;
                    sink.publish(
                        tt,
                        c,
                        *dev,
                        Msg::new(
                            format!("{base}/time"),
                            at(self.start, tt).format("%Y-%m-%d %H:%M:%S").to_string(),
                            false,
                        ),
                    );
                    sink.publish(
                        tt,
                        c,
                        *dev,
                        Msg::new(
                            format!("{base}/id"),
                            base.rsplit('/').next().unwrap_or("0"),
                            false,
                        ),
                    );
                    sink.publish(
                        tt,
                        c,
                        *dev,
                        Msg::new(format!("{base}/battery_ok"), "1", false),
                    );
                    sink.publish(
                        tt,
                        c,
                        *dev,
                        Msg::new(format!("{base}/temperature_C"), fmt(x, 0.1), false),
                    );
                    sink.publish(
                        tt,
                        c,
                        *dev,
                        Msg::new(
                            format!("{base}/humidity"),
                            format!("{}", (80.0 + gaussian(&mut self.rng, 2.0)).round()),
                            false,
                        ),
                    );
                    sink.publish(
                        tt,
                        c,
                        *dev,
                        Msg::new(format!("{base}/mic"), "CHECKSUM", false),
                    );
                }
            }
        }
    }

    fn probes(&mut self) -> Vec<&mut Probe> {
        self.sensors.iter_mut().map(|s| &mut s.2).collect()
    }
}

/// The pump house: a Sparkplug B edge node with a pump and a tank.
struct PumpHouse {
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

const GROUP: &str = "water";
const EDGE: &str = "pumphouse";

fn sp_topic(kind: &str, device: Option<&str>) -> String {
    match device {
        Some(d) => format!("spBv1.0/{GROUP}/{kind}/{EDGE}/{d}"),
        None => format!("spBv1.0/{GROUP}/{kind}/{EDGE}"),
    }
}

fn metric(
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
    fn new(b: &mut Builder) -> PumpHouse {
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
        let node = b.device(EDGE, "sparkplug", "birth-death", Some(45.0));
        let pump = b.device("pump1", "sparkplug", "birth-death", Some(45.0));
        let tank = b.device("tank1", "sparkplug", "birth-death", Some(45.0));
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
        for dev in [EDGE, "pump1", "tank1"] {
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

/// Every device of the plant.
pub fn devices(b: &mut Builder, env: &Env) -> Vec<Box<dyn Device>> {
    let mut out: Vec<Box<dyn Device>> = Vec::new();
    out.push(Box::new(Press::new(b, "press1", true, None)));
    let shared = b.client("nodered-plant", None, 60);
    out.push(Box::new(Press::new(b, "press2", false, Some(shared))));
    out.push(Box::new(Utilities::new(b, shared)));
    out.push(Box::new(Oven::new(b)));
    out.push(Box::new(Compressor::new(b)));
    out.push(Box::new(Rtl433::new(b, env)));
    out.push(Box::new(PumpHouse::new(b)));
    out
}
