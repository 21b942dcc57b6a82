//! Worlds like the real ones: a home and a small plant that send what real devices send
//! (`twinview sim --world home|plant`, `demo --world …`, `sim --offline --world …`).
//!
//! The lab world (`--world lab`, [`super::spawn`] and [`super::offline`]) models the seed
//! labs. These worlds model real ecosystems, each from its own documentation (the module docs
//! of [`home`] and [`plant`] say what each system sends and where that was learnt), and real
//! signal life ([`signal`]): quantised probes, report-on-change with a heartbeat, jittered
//! and duplicated readings, daily schedules, doors and showers, cycling power, counters,
//! saturated values, epoch times and versions inside payloads, devices that reboot.
//!
//! A world is a script: every device advances in steps of [`STEP_S`] and says what it does
//! (connect, publish, lose its connection) and when. The same script is played two ways:
//! live ([`live`]: every MQTT client of the world is its own connection, with its own Last
//! Will where the real system sets one; a lost connection is cut without DISCONNECT, so the
//! broker publishes the will) or offline ([`write`]: a labelled recording, the will written
//! where the broker would publish it). Faults are injected by the world builder from the
//! seed, and the ground truth ([`WorldTruth`]) lists them, every series with its signal
//! class, every physical device with the topics it uses and its liveness over time.
//!
//! Generators model the real systems, not twinview's detectors: nothing here was chosen to
//! make a detector look good, and a change to a detector never needs a change here.

pub mod home;
pub mod live;
pub mod plant;
pub mod score;
pub mod signal;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

use chrono::{DateTime, TimeZone, Utc};
use fastrand::Rng;
use serde::{Deserialize, Serialize};

use crate::source::event::{Event, Message};
use signal::{Env, FaultKind, Probe};

/// Seconds a world advances at a time: the resolution of rooms and processes.
pub const STEP_S: f64 = 10.0;

/// Which world.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The seed labs' world (lab-style JSON sensors, zones, Contract Net, Sparkplug).
    Lab,
    /// A home: Zigbee2MQTT, Tasmota, Shelly, ESPHome, OwnTracks, Frigate, OctoPrint, a Homie
    /// robot under a vendor root, a Victron GX, Home Assistant discovery.
    Home,
    /// A small plant: presses on a unified namespace, an oven behind an OPC gateway, an air
    /// compressor, an energy meter, 433 MHz probes, a chiller, a Sparkplug pump house.
    Plant,
}

impl Kind {
    pub fn parse(s: &str) -> Result<Kind, String> {
        match s {
            "lab" => Ok(Kind::Lab),
            "home" => Ok(Kind::Home),
            "plant" => Ok(Kind::Plant),
            _ => Err(format!("`{s}` is not a world (lab, home or plant)")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Lab => "lab",
            Kind::Home => "home",
            Kind::Plant => "plant",
        }
    }
}

/// A message as a client sends it.
#[derive(Debug, Clone, PartialEq)]
pub struct Msg {
    pub topic: String,
    pub payload: Vec<u8>,
    pub retain: bool,
}

impl Msg {
    pub fn new(topic: impl Into<String>, payload: impl Into<Vec<u8>>, retain: bool) -> Msg {
        Msg {
            topic: topic.into(),
            payload: payload.into(),
            retain,
        }
    }
}

/// One MQTT client of the world.
#[derive(Debug, Clone)]
pub struct ClientDef {
    pub id: String,
    /// The Last Will, where the real system registers one.
    pub will: Option<Msg>,
    /// Keep-alive in seconds: a broker notices a dead client after 1.5 × this.
    pub keepalive_s: u64,
}

/// What a client does at a moment.
#[derive(Debug, Clone, PartialEq)]
pub enum Act {
    /// The client connects (its births follow as publishes).
    Connect,
    Publish(Msg),
    /// The client dies without DISCONNECT (power lost, crash, network gone).
    Drop,
    /// The broker publishes the client's will (offline recordings; live, the broker does it).
    Will(Msg),
}

/// An act at `t` seconds from the world's start.
#[derive(Debug, Clone)]
pub struct Out {
    pub t: f64,
    pub client: usize,
    /// The physical device it concerns (index into [`WorldTruth::devices`]).
    pub device: usize,
    pub act: Act,
}

/// Where devices put what they do.
#[derive(Default)]
pub struct Sink {
    pub outs: Vec<Out>,
}

impl Sink {
    pub fn publish(&mut self, t: f64, client: usize, device: usize, m: Msg) {
        self.outs.push(Out {
            t,
            client,
            device,
            act: Act::Publish(m),
        });
    }
    pub fn connect(&mut self, t: f64, client: usize, device: usize) {
        self.outs.push(Out {
            t,
            client,
            device,
            act: Act::Connect,
        });
    }
    pub fn drop_conn(&mut self, t: f64, client: usize, device: usize) {
        self.outs.push(Out {
            t,
            client,
            device,
            act: Act::Drop,
        });
    }
}

/// A simulated physical device (or a hub of several, like Zigbee2MQTT's coordinator).
pub trait Device: Send {
    /// Says everything it does in `(now, until]`; `now` is the previous `until`.
    fn advance(&mut self, now: f64, until: f64, env: &Env, sink: &mut Sink);
    /// The probes it reads, for fault injection (index, allowed fault kinds).
    fn probes(&mut self) -> Vec<&mut Probe> {
        Vec::new()
    }
    /// Whole-device faults it can take (offline, silence, flapping, battery dying, …).
    fn device_faults(&self) -> &'static [FaultKind] {
        &[]
    }
    /// Injects a whole-device fault; returns the truth entries it makes.
    fn inject(
        &mut self,
        _kind: FaultKind,
        _start: f64,
        _end: f64,
        _rng: &mut Rng,
    ) -> Vec<TruthFault> {
        Vec::new()
    }
}

/// The ground truth of a world (version 2: with devices, series classes and the faults'
/// expected names). `sim --offline --world home|plant --truth FILE` writes it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct WorldTruth {
    pub twinview: String,
    pub version: u32,
    pub world: String,
    pub seed: u64,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub devices: Vec<TruthDevice>,
    pub series: Vec<TruthSeries>,
    pub faults: Vec<TruthFault>,
    pub process_changes: Vec<TruthProcess>,
    /// Topics that describe a device that is not there (a stale discovery config): no row
    /// should claim to be a live device for them.
    pub ghosts: Vec<String>,
}

/// One physical device.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct TruthDevice {
    pub id: String,
    pub ecosystem: String,
    /// Where its liveness is said with authority: `will`, `availability` (a hub says it),
    /// `birth-death` (Sparkplug), `homie-state`, or `none` (only its traffic tells).
    pub liveness: String,
    /// How long after it really goes down its own convention says so (seconds); null when
    /// it never does (no liveness source).
    pub offline_within_s: Option<f64>,
    /// Every topic published for it (filled from the script as it plays).
    pub topics: BTreeSet<String>,
    /// When it was really up (`true`) or down, from the start.
    pub timeline: Vec<(DateTime<Utc>, bool)>,
}

/// One numeric series the world publishes, with what kind of signal it is.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct TruthSeries {
    pub topic: String,
    /// The field as twinview names it: `value` for a bare number, `a.b` for nested JSON.
    pub field: String,
    pub device: String,
    /// `continuous`, `quantised`, `on_change`, `power`, `counter`, `battery`, `level`,
    /// `setpoint`, `epoch`, `identifier`, `diagnostic`.
    pub class: String,
    pub resolution: Option<f64>,
    /// `steady`, `on_change`, `event`.
    pub cadence: String,
}

/// One injected fault.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct TruthFault {
    /// The fault as injected (`spike`, `drift_slow`, `unit_change`, `offline`, …).
    pub kind: String,
    /// Episode kinds that name it right; empty when episodes are not the way to see it
    /// (a device going offline with a will is a liveness change, not an anomaly).
    pub names: Vec<String>,
    pub device: String,
    pub topic: String,
    /// Empty for a whole-device fault.
    pub field: String,
    /// Other fields of `topic` the device computes from the faulty one (a meter's current and
    /// apparent power from its power): the fault shows in them too, so their episodes within
    /// its window are its own, not false.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<String>,
    pub start: DateTime<Utc>,
    /// When it ended; for a counter's reset (an instant that persists), when its device
    /// first published the topic after it (the score's window runs to there).
    pub end: DateTime<Utc>,
    pub magnitude: f64,
    /// A probe fault its device never showed: nothing was published on its topic from its
    /// start to [`score::GRACE_S`] after its end (the device was dead or down, or reports on
    /// change and had nothing to say), or every reading its probe took while it lasted was
    /// what the healthy probe would have read, to within one step of its resolution (a plug
    /// stuck at 0 W through a night it idled at 0 W; a 0.5 °C sensor's drift of 0.5 °C in
    /// all: see [`signal::SHOWN_STEPS`]), or none of those its device sent were (a sensor
    /// that reports on change took its altered readings and never sent them) while its
    /// device published no other topic. No tool could see it; the score counts it apart.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hidden: bool,
    /// For a probe fault whose device had published its topic twice after the fault's end only
    /// later than [`score::GRACE_S`] after it, when: until its first report the last reading
    /// it had sent was the fault's, and its end showed only there; the second showed whether
    /// that stayed (a Zigbee sensor that reports a room's temperature every 10 to 25 minutes
    /// showed its drift's end 13 minutes after it, and that it stayed 13 minutes later).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shown_until: Option<DateTime<Utc>>,
}

/// A change of the process the sensors measure (a shower, a door left open, heating on).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct TruthProcess {
    pub zone: String,
    pub kind: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub change: f64,
}

/// What builds a world: the registry devices and series are declared in.
pub struct Builder {
    pub start: DateTime<Utc>,
    pub duration_s: f64,
    pub clients: Vec<ClientDef>,
    pub truth: WorldTruth,
    pub rng: Rng,
}

impl Builder {
    pub fn client(&mut self, id: &str, will: Option<Msg>, keepalive_s: u64) -> usize {
        self.clients.push(ClientDef {
            id: id.to_string(),
            will,
            keepalive_s,
        });
        self.clients.len() - 1
    }

    pub fn device(
        &mut self,
        id: &str,
        ecosystem: &str,
        liveness: &str,
        within: Option<f64>,
    ) -> usize {
        self.truth.devices.push(TruthDevice {
            id: id.to_string(),
            ecosystem: ecosystem.to_string(),
            liveness: liveness.to_string(),
            offline_within_s: within,
            topics: BTreeSet::new(),
            timeline: vec![(self.start, true)],
        });
        self.truth.devices.len() - 1
    }

    /// Declares a series (for the per-class figures).
    pub fn series(
        &mut self,
        device: usize,
        topic: &str,
        field: &str,
        class: &str,
        resolution: Option<f64>,
        cadence: &str,
    ) {
        self.truth.series.push(TruthSeries {
            topic: topic.to_string(),
            field: field.to_string(),
            device: self.truth.devices[device].id.clone(),
            class: class.to_string(),
            resolution,
            cadence: cadence.to_string(),
        });
    }

    /// A probe of a declared series: what its faults are injected into.
    #[allow(clippy::too_many_arguments)]
    pub fn probe(
        &mut self,
        device: usize,
        topic: &str,
        field: &str,
        class: &str,
        resolution: f64,
        cadence: &str,
        faults: &'static [FaultKind],
    ) -> Probe {
        self.series(device, topic, field, class, Some(resolution), cadence);
        Probe::new(
            self.truth.devices[device].id.clone(),
            topic,
            field,
            resolution,
            faults,
            self.rng.u64(..),
        )
    }

    pub fn process(&mut self, zone: &str, kind: &str, start: f64, end: f64, change: f64) {
        self.truth.process_changes.push(TruthProcess {
            zone: zone.to_string(),
            kind: kind.to_string(),
            start: at(self.start, start),
            end: at(self.start, end),
            change,
        });
    }

    pub fn seed(&mut self) -> u64 {
        self.rng.u64(..)
    }
}

/// `start + s` seconds.
pub fn at(start: DateTime<Utc>, s: f64) -> DateTime<Utc> {
    start + chrono::Duration::milliseconds((s * 1000.0).round() as i64)
}

/// A world ready to play.
pub struct World {
    pub kind: Kind,
    pub clients: Vec<ClientDef>,
    pub truth: WorldTruth,
    pub env: Env,
    devices: Vec<Box<dyn Device>>,
    now: f64,
    duration_s: Option<f64>,
    /// Wills the broker publishes later than the drop that caused them.
    pending: Vec<Out>,
    /// Probe faults: whether the device showed each one (see [`TruthFault::hidden`]).
    shown: Vec<Shown>,
}

/// What a probe fault's device published while it lasted (see [`TruthFault::hidden`]).
struct Shown {
    /// Its index in the truth.
    fault: usize,
    topic: String,
    /// Its device's index in the truth.
    device: Option<usize>,
    /// From its start to the score's grace after its end, in world seconds.
    from: f64,
    to: f64,
    /// Its topic was published within.
    seen: bool,
    /// Its end, and when its topic was published the first two times after it (world
    /// seconds).
    end: f64,
    next: [Option<f64>; 2],
    /// Its device published another topic within: a topic that reports on change and fell
    /// silent while its device spoke showed the fault by its silence, whatever it sent.
    spoke: bool,
    /// A stuck fault's field, and the value its device last sent of it while the fault
    /// lasted: after its end, a report of that same value shows no end (see `step`).
    held: Option<(String, f64)>,
}

/// The moment offline worlds start: a winter Monday, at midnight (UTC) for worlds of six
/// hours or more, so they hold whole days; shorter ones at 06:55, when a home wakes up and a
/// plant's first shift is running, so ten minutes hold some life.
pub fn offline_start(duration_s: f64) -> DateTime<Utc> {
    let h = if duration_s >= 6.0 * 3600.0 { 0 } else { 6 };
    let m = if duration_s >= 6.0 * 3600.0 { 0 } else { 55 };
    Utc.with_ymd_and_hms(2026, 1, 5, h, m, 0).unwrap()
}

impl World {
    /// Builds `kind` from `seed`. `duration_s`: how long it will run (faults are placed
    /// inside it); `None` for a live world that runs until stopped (faults are placed in its
    /// first hour).
    pub fn build(kind: Kind, seed: u64, start: DateTime<Utc>, duration_s: Option<f64>) -> World {
        let horizon = duration_s.unwrap_or(3600.0);
        let mut b = Builder {
            start,
            duration_s: horizon,
            clients: Vec::new(),
            truth: WorldTruth {
                twinview: "truth".into(),
                version: 2,
                world: kind.as_str().into(),
                seed,
                start,
                end: at(start, horizon),
                ..WorldTruth::default()
            },
            rng: Rng::with_seed(seed),
        };
        let env = Env::new(&mut b, kind);
        let mut devices: Vec<Box<dyn Device>> = match kind {
            Kind::Home => home::devices(&mut b, &env),
            Kind::Plant => plant::devices(&mut b, &env),
            Kind::Lab => Vec::new(),
        };
        inject_faults(&mut b, &mut devices, kind);
        let secs = |d: DateTime<Utc>| (d - start).num_milliseconds() as f64 / 1000.0;
        let shown = b
            .truth
            .faults
            .iter()
            .enumerate()
            .filter(|(_, f)| !f.field.is_empty())
            .map(|(i, f)| {
                // A counter's reset persists: it shows at the device's next report, whenever
                // that is (see `advance`).
                let to = if f.kind == FaultKind::CounterReset.as_str() {
                    f64::INFINITY
                } else {
                    secs(f.end) + score::GRACE_S
                };
                Shown {
                    fault: i,
                    topic: f.topic.clone(),
                    device: b.truth.devices.iter().position(|d| d.id == f.device),
                    from: secs(f.start),
                    to,
                    seen: false,
                    end: secs(f.end),
                    next: [None; 2],
                    spoke: false,
                    held: None,
                }
            })
            .collect();
        World {
            kind,
            clients: b.clients,
            truth: b.truth,
            env,
            devices,
            now: 0.0,
            duration_s,
            pending: Vec::new(),
            shown,
        }
    }

    /// Seconds played so far.
    pub fn now(&self) -> f64 {
        self.now
    }

    /// Plays the next step into `outs` (time order); false when the world is over.
    pub fn step(&mut self, outs: &mut Vec<Out>) -> bool {
        if self.duration_s.is_some_and(|d| self.now >= d) {
            return false;
        }
        let until = match self.duration_s {
            Some(d) => (self.now + STEP_S).min(d),
            None => self.now + STEP_S,
        };
        self.env.advance(until);
        let mut sink = Sink::default();
        for d in &mut self.devices {
            d.advance(self.now, until, &self.env, &mut sink);
        }
        // Wills: the broker notices a dead client after 1.5 × its keep-alive.
        for o in &sink.outs {
            if o.act == Act::Drop {
                if let Some(w) = &self.clients[o.client].will {
                    self.pending.push(Out {
                        t: o.t + 1.5 * self.clients[o.client].keepalive_s as f64,
                        client: o.client,
                        device: o.device,
                        act: Act::Will(w.clone()),
                    });
                }
            }
        }
        // Anything due after this step (a will, a late publish) waits for its step, so the
        // world's acts stay in time order.
        self.pending.extend(sink.outs);
        let (mut all, later): (Vec<Out>, Vec<Out>) =
            self.pending.drain(..).partition(|o| o.t <= until);
        self.pending = later;
        // A client that reconnects before the broker noticed it was gone takes its session
        // over: the broker publishes the old connection's will then, before the new births.
        let connects: Vec<(usize, f64)> = all
            .iter()
            .filter(|o| o.act == Act::Connect)
            .map(|o| (o.client, o.t))
            .collect();
        for (c, tc) in connects {
            let late = |o: &Out| o.client == c && matches!(o.act, Act::Will(_)) && o.t > tc;
            let (mut moved, keep): (Vec<Out>, Vec<Out>) = self.pending.drain(..).partition(late);
            self.pending = keep;
            all.append(&mut moved);
            for o in all.iter_mut().filter(|o| late(o)) {
                o.t = tc - 0.001;
            }
        }
        all.sort_by(|a, b| a.t.total_cmp(&b.t));
        for o in &all {
            let dev = &mut self.truth.devices[o.device];
            if let Act::Publish(m) | Act::Will(m) = &o.act {
                if !dev.topics.contains(&m.topic) {
                    dev.topics.insert(m.topic.clone());
                }
            }
        }
        for o in &all {
            if let Act::Publish(m) = &o.act {
                // What a faulty probe's device sent while the fault lasted (see
                // [`signal::Probe::sent`]).
                let within = |s: &Shown| o.t >= s.from && o.t <= s.to;
                if self.shown.iter().any(|s| within(s) && s.topic == m.topic) {
                    for d in &mut self.devices {
                        for p in d.probes().into_iter().filter(|p| p.topic == m.topic) {
                            p.sent(o.t, &m.payload);
                        }
                    }
                }
                for s in &mut self.shown {
                    if within(s) && s.topic != m.topic && s.device == Some(o.device) {
                        s.spoke = true;
                    }
                    // (A publish that holds no reading, a DHT22's failed read sent by
                    // ESPHome as nan, shows nothing of the end; nor one of a stuck probe
                    // that carries the value it was held at: until its reading differs, what
                    // its device sends cannot show that the fault is over, as a fridge plug
                    // held at 0 W whose fridge then stayed off another quarter of an hour.)
                    let no_reading = std::str::from_utf8(&m.payload).is_ok_and(holds_no_reading);
                    let still_held = s.held.as_ref().is_some_and(|(field, v)| {
                        signal::field_value(&m.payload, field).is_some_and(|x| x == *v)
                    });
                    if s.topic == m.topic && o.t >= s.from && o.t <= s.end {
                        let f = &self.truth.faults[s.fault];
                        if f.kind == FaultKind::Stuck.as_str() {
                            s.held = signal::field_value(&m.payload, &f.field)
                                .map(|v| (f.field.clone(), v));
                        }
                    }
                    if o.t > s.end && s.topic == m.topic && !no_reading && !still_held {
                        if let Some(n) = s.next.iter_mut().find(|n| n.is_none()) {
                            *n = Some(o.t);
                        }
                    }
                    if !s.seen && within(s) && s.topic == m.topic {
                        s.seen = true;
                        // An instant that persists (a counter's reset) is over for the score
                        // once the device first showed it: a device reporting every five
                        // minutes shows it up to five minutes later.
                        let f = &mut self.truth.faults[s.fault];
                        if f.kind == FaultKind::CounterReset.as_str() {
                            f.end = self.truth.start
                                + chrono::Duration::milliseconds((o.t * 1000.0) as i64);
                        }
                    }
                }
            }
        }
        self.now = until;
        outs.extend(all);
        true
    }

    /// Puts the truth in order once the world is over: each device's timeline by time,
    /// the faults by start.
    pub fn finish_truth(&mut self) {
        for s in &self.shown {
            let f = &mut self.truth.faults[s.fault];
            f.hidden = !s.seen;
            if f.kind != FaultKind::CounterReset.as_str() {
                f.shown_until = s.next[1].filter(|t| *t > s.end + score::GRACE_S).map(|t| {
                    self.truth.start + chrono::Duration::milliseconds((t * 1000.0).ceil() as i64)
                });
            }
        }
        // A device that publishes its topic's fields one at a time says which it published;
        // a fault that altered no reading of its probe showed nothing either, nor one whose
        // altered readings its device took and never sent (a Zigbee sensor reports on change:
        // a humidity held while its room's air stood still was not sent, and the report after
        // the fault carried a healthy reading), unless its topic fell silent while its device
        // published others (a Victron's battery voltage held and unsent while its current
        // moved).
        for d in &mut self.devices {
            for p in d.probes() {
                let unshown = p.partial && !p.shown_in_fault;
                let spoke = self.shown.iter().any(|s| {
                    let f = &self.truth.faults[s.fault];
                    s.spoke && f.topic == p.topic && f.field == p.field
                });
                let sent_altered = p.altered && (p.sent_altered != Some(false) || spoke);
                if !p.faulty() || (!unshown && sent_altered) {
                    continue;
                }
                for f in self.truth.faults.iter_mut() {
                    if f.topic == p.topic && f.field == p.field {
                        f.hidden = true;
                    }
                }
            }
        }
        for dev in &mut self.truth.devices {
            dev.timeline.sort_by_key(|x| x.0);
            dev.timeline.dedup();
        }
        self.truth
            .faults
            .sort_by(|a, b| a.start.cmp(&b.start).then(a.topic.cmp(&b.topic)));
    }
}

/// Places one fault of each kind the world can take, each on its own probe or device.
fn inject_faults(b: &mut Builder, devices: &mut [Box<dyn Device>], kind: Kind) {
    let dur = b.duration_s;
    let kinds: Vec<FaultKind> = FaultKind::ALL
        .iter()
        .copied()
        .filter(|k| *k != FaultKind::DriftSlow || dur >= 8.0 * 3600.0)
        .collect();
    let mut rng = Rng::with_seed(b.rng.u64(..) ^ kind as u64);
    let mut used_probes: BTreeSet<(usize, usize)> = BTreeSet::new();
    let mut used_devices: BTreeSet<usize> = BTreeSet::new();
    for k in kinds {
        let (start, end) = k.window(dur, &mut rng);
        if k.whole_device() {
            let cands: Vec<usize> = (0..devices.len())
                .filter(|i| !used_devices.contains(i) && devices[*i].device_faults().contains(&k))
                .collect();
            if cands.is_empty() {
                continue;
            }
            let i = cands[rng.usize(..cands.len())];
            used_devices.insert(i);
            let faults = devices[i].inject(k, start, end, &mut rng);
            for f in &faults {
                if let Some(d) = b.truth.devices.iter_mut().find(|d| d.id == f.device) {
                    d.timeline.extend(down_timeline(k, b.start, f));
                }
            }
            b.truth.faults.extend(faults);
        } else {
            let mut cands = Vec::new();
            for (i, d) in devices.iter_mut().enumerate() {
                for (j, p) in d.probes().into_iter().enumerate() {
                    if p.allows(k) && !used_probes.contains(&(i, j)) {
                        cands.push((i, j));
                    }
                }
            }
            if cands.is_empty() {
                continue;
            }
            let (i, j) = cands[rng.usize(..cands.len())];
            used_probes.insert((i, j));
            if let Some(p) = devices[i].probes().into_iter().nth(j) {
                let magnitude = p.inject(k, start, end, &mut rng);
                b.truth.faults.push(TruthFault {
                    kind: k.as_str().into(),
                    names: k.names().iter().map(|s| s.to_string()).collect(),
                    device: p.device.clone(),
                    topic: p.topic.clone(),
                    field: p.field.clone(),
                    also: p.derived.clone(),
                    start: at(b.start, start),
                    end: at(b.start, end),
                    magnitude,
                    hidden: false,
                    shown_until: None,
                });
            }
        }
    }
}

/// The truth timeline entries of a whole-device fault: down at its start, up at its end
/// (flapping: the device's own fault entries carry each down/up).
fn down_timeline(
    k: FaultKind,
    start_at: DateTime<Utc>,
    f: &TruthFault,
) -> Vec<(DateTime<Utc>, bool)> {
    match k {
        // Flat for good from the fault's end.
        FaultKind::BatteryDying => vec![(f.end, false)],
        FaultKind::Offline | FaultKind::Silence | FaultKind::Flapping => {
            vec![(f.start, false), (f.end, true)]
                .into_iter()
                .filter(|(t, _)| *t >= start_at)
                .collect()
        }
        _ => Vec::new(),
    }
}

/// Writes a world of `duration_s` as a twinview recording and returns its truth.
pub fn write(
    kind: Kind,
    seed: u64,
    duration_s: f64,
    out: &mut impl Write,
) -> std::io::Result<WorldTruth> {
    let start = offline_start(duration_s);
    let mut w = World::build(kind, seed, start, Some(duration_s));
    writeln!(
        out,
        "{}",
        crate::source::record::header(
            start,
            &format!("sim --offline --world {}", kind.as_str()),
            &["#".to_string()]
        )
    )?;
    let mut outs = Vec::new();
    while w.step(&mut outs) {
        for o in outs.drain(..) {
            if let Act::Publish(m) | Act::Will(m) = o.act {
                let mut msg = Message::new(at(start, o.t), m.topic, m.payload);
                msg.retain = m.retain;
                writeln!(out, "{}", crate::source::record::line(&Event::Message(msg)))?;
            }
        }
    }
    w.finish_truth();
    writeln!(out, "{}", crate::source::record::end_line(w.truth.end))?;
    Ok(w.truth)
}

/// Counts of what a world sends, for people and tests.
pub fn census(kind: Kind, seed: u64, duration_s: f64) -> BTreeMap<String, usize> {
    let mut w = World::build(kind, seed, offline_start(duration_s), Some(duration_s));
    let mut outs = Vec::new();
    let mut n: BTreeMap<String, usize> = BTreeMap::new();
    while w.step(&mut outs) {
        for o in outs.drain(..) {
            let eco = w.truth.devices[o.device].ecosystem.clone();
            *n.entry(eco).or_default() += 1;
        }
    }
    n
}

/// A payload that holds no reading: ESPHome's `nan` for a failed read (a DHT22's), which
/// shows nothing of a fault's end.
fn holds_no_reading(payload: &str) -> bool {
    payload.trim().eq_ignore_ascii_case("nan")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn recording(kind: Kind, seed: u64, secs: f64) -> (String, WorldTruth) {
        let mut out = Vec::new();
        let truth = write(kind, seed, secs, &mut out).unwrap();
        (String::from_utf8(out).unwrap(), truth)
    }

    #[test]
    fn a_world_is_its_seed() {
        for kind in [Kind::Home, Kind::Plant] {
            let (a, ta) = recording(kind, 7, 900.0);
            let (b, tb) = recording(kind, 7, 900.0);
            assert_eq!(a, b, "{kind:?}: same seed, same recording");
            assert_eq!(ta, tb);
            let (c, _) = recording(kind, 8, 900.0);
            assert_ne!(a, c, "{kind:?}: another seed, another world");
            let back: WorldTruth =
                serde_json::from_str(&serde_json::to_string(&ta).unwrap()).unwrap();
            assert_eq!(back, ta);
        }
    }

    /// Until when a 24-hour home world of `seed` shows its fault that `which` picks.
    fn home_shown_until(seed: u64, which: impl Fn(&TruthFault) -> bool) -> String {
        let (_, home) = recording(Kind::Home, seed, 24.0 * 3600.0);
        let f = home.faults.iter().find(|f| which(f)).expect("the fault");
        f.shown_until.expect("seen past the grace").to_rfc3339()
    }

    #[test]
    fn a_failed_read_after_a_faults_end_is_no_report_of_it() {
        // Home seed 60: the greenhouse DHT22's slow drift ends at 16:42:21; its next report,
        // at 16:42:43, is a failed read (nan), and the readings at 16:43:43 and 16:44:43 show
        // the end. The fault is seen to the second of those.
        let until = home_shown_until(60, |f| {
            f.kind == "drift_slow" && f.topic.ends_with("greenhouse_temperature/state")
        });
        assert!(until.starts_with("2026-01-05T16:44:43"), "{until}");
    }

    #[test]
    fn a_stuck_probes_held_value_reported_after_its_end_is_no_report_of_it() {
        // Home seed 144: the fridge plug's power is held at 0 W from 16:49:24 to 17:21:03,
        // inside an off stay of its fridge; the fridge stays off until 17:37, and its plug
        // reports 0 every minute to 17:36:09. Its first report that differs, at 17:37:09,
        // shows the end; the fault is seen to its next, at 17:38:09.
        let until = home_shown_until(144, |f| {
            f.kind == "stuck" && f.topic == "tele/tasmota_77B728/SENSOR"
        });
        assert!(until.starts_with("2026-01-05T17:38:09"), "{until}");
    }

    #[test]
    fn a_plugs_report_carries_the_sample_it_decided_on() {
        // Home seed 81: the washer plug's power spikes by -233 W at 18:12:57 while the washer
        // idles at 0 W, and the plug reports on that sample. Its report carries it: when a
        // report carried the plug's last sample of the world's step, 0 W, the spike was
        // taken and never sent (and counted as missed).
        let (rec, _) = recording(Kind::Home, 81, 24.0 * 3600.0);
        let powers: Vec<f64> = rec
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|v| v.get("topic").and_then(|t| t.as_str()) == Some("zigbee2mqtt/washer_plug"))
            .filter_map(|v| {
                let p = v.get("payload")?.as_str()?;
                serde_json::from_str::<serde_json::Value>(p)
                    .ok()?
                    .get("power")?
                    .as_f64()
            })
            .collect();
        assert!(powers.len() > 100, "{}", powers.len());
        assert!(powers.iter().any(|p| *p <= -200.0), "the spike was sent");
    }

    #[test]
    fn the_two_worlds_hold_every_fault_kind_and_devices_with_their_topics() {
        let (home_rec, home) = recording(Kind::Home, 3, 9.0 * 3600.0);
        let (plant_rec, plant) = recording(Kind::Plant, 3, 9.0 * 3600.0);
        // A meter's apparent power is a magnitude: never negative, even at idle.
        let apparent = plant_rec
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter_map(|v| {
                serde_json::from_str::<serde_json::Value>(v.get("payload")?.as_str()?).ok()
            })
            .filter_map(|p| p.as_object().cloned())
            .flat_map(|o| o.into_iter().filter(|(k, _)| k.ends_with("aprt_power")))
            .map(|(k, v)| (k, v.as_f64().unwrap_or(0.0)))
            .collect::<Vec<_>>();
        assert!(!apparent.is_empty());
        assert!(
            apparent.iter().all(|(_, v)| *v >= 0.0),
            "{:?}",
            apparent.iter().find(|(_, v)| *v < 0.0)
        );
        // A probe fault is hidden when its topic was not published from its start to the
        // score's grace after its end; otherwise only where its device publishes fields one at
        // a time (Sparkplug by exception) and did not publish this one, or where it altered no
        // reading by two steps of its resolution, or sent none it altered while its device
        // published nothing else (only a stuck probe can hold the value it would have read
        // anyway, and only a slow drift stays within a step of it).
        for (rec, t) in [(&home_rec, &home), (&plant_rec, &plant)] {
            // (When, the topic, whether the payload held no reading (nan), and the payload.)
            let published: Vec<(DateTime<Utc>, String, bool, String)> = rec
                .lines()
                .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
                .filter_map(|v| {
                    let at = v.get("t")?.as_str()?.parse().ok()?;
                    let nan = v
                        .get("payload")
                        .and_then(|p| p.as_str())
                        .is_some_and(holds_no_reading);
                    let payload = v.get("payload").and_then(|p| p.as_str()).unwrap_or("");
                    Some((
                        at,
                        v.get("topic")?.as_str()?.to_string(),
                        nan,
                        payload.to_string(),
                    ))
                })
                .collect();
            let grace = chrono::Duration::milliseconds((score::GRACE_S * 1000.0) as i64);
            for f in t.faults.iter().filter(|f| !f.field.is_empty()) {
                let shown = published.iter().any(|(at, topic, ..)| {
                    *topic == f.topic && *at >= f.start && *at <= f.end + grace
                });
                if !shown {
                    assert!(f.hidden, "{} on {}", f.kind, f.topic);
                } else if f.hidden && !f.topic.starts_with("spBv1.0/") {
                    assert!(
                        matches!(f.kind.as_str(), "stuck" | "drift_slow"),
                        "{} on {}",
                        f.kind,
                        f.topic
                    );
                }
                // A counter's reset ends where its device first showed it: the first report
                // of its topic after it.
                if f.kind == "counter_reset" && !f.hidden {
                    let first = published
                        .iter()
                        .filter(|(at, topic, ..)| *topic == f.topic && *at >= f.start)
                        .map(|(at, ..)| *at)
                        .min();
                    let near = |a: DateTime<Utc>| (a - f.end).num_milliseconds().abs() <= 1;
                    assert!(first.is_some_and(near), "{f:?} {first:?}");
                }
                // A fault's window runs to its device's second report of its topic after its
                // end (a nan is none, nor a stuck probe's report of the value it was last
                // sent at within the fault), where that is later than the grace.
                let value = |p: &str| signal::field_value(p.as_bytes(), &f.field);
                let held = published
                    .iter()
                    .filter(|(at, topic, ..)| *topic == f.topic && *at >= f.start && *at <= f.end)
                    .filter_map(|(.., p)| value(p))
                    .next_back()
                    .filter(|_| f.kind == "stuck");
                let after: Vec<DateTime<Utc>> = published
                    .iter()
                    .filter(|(at, topic, nan, p)| {
                        *topic == f.topic
                            && *at > f.end
                            && !nan
                            && held.is_none_or(|h| value(p) != Some(h))
                    })
                    .map(|(at, ..)| *at)
                    .take(2)
                    .collect();
                let second = after.get(1).filter(|a| **a > f.end + grace);
                match (f.shown_until, second) {
                    (Some(u), Some(a)) => assert!((u - *a).num_milliseconds().abs() <= 1, "{f:?}"),
                    (u, a) => assert!(
                        u.is_none() && (a.is_none() || f.kind == "counter_reset"),
                        "{f:?} {a:?}"
                    ),
                }
            }
        }
        let shown_until = home.faults.iter().filter(|f| f.shown_until.is_some());
        assert!(
            shown_until.count() > 0,
            "a Zigbee sensor's fault ends a report later"
        );
        let kinds: BTreeSet<&str> = home
            .faults
            .iter()
            .chain(&plant.faults)
            .map(|f| f.kind.as_str())
            .collect();
        for k in FaultKind::ALL {
            assert!(
                kinds.contains(k.as_str()),
                "no {} fault in either world: {kinds:?}",
                k.as_str()
            );
        }
        for t in [&home, &plant] {
            for d in t.devices.iter().filter(|d| d.ecosystem != "ghost") {
                assert!(!d.topics.is_empty(), "{} published nothing", d.id);
            }
            // Every declared series is published by its device.
            for s in &t.series {
                let d = t.devices.iter().find(|d| d.id == s.device).unwrap();
                let prefix_ok =
                    d.topics.contains(&s.topic) || s.field == "*" || s.cadence == "event";
                assert!(
                    prefix_ok,
                    "{} declares {} {} it never publishes",
                    d.id, s.topic, s.field
                );
            }
        }
        assert_eq!(
            home.devices
                .iter()
                .filter(|d| d.ecosystem != "ghost")
                .count(),
            16
        );
        assert_eq!(home.ghosts.len(), 1);
        assert_eq!(plant.devices.len(), 12);
    }

    /// Every reading of a series the truth calls a counter that is lower than the one before
    /// it though the series rose before, other than a restart at zero (a print's progress),
    /// outside a counter_reset fault on it and on a device that never went down (one that
    /// restarts may start its counters again): `(topic, field, at, from, to)`. A countdown
    /// (a robot's brush minutes left) never rose.
    fn counters_going_back(
        rec: &str,
        truth: &WorldTruth,
    ) -> Vec<(String, String, String, f64, f64)> {
        let counters: Vec<&TruthSeries> = truth
            .series
            .iter()
            .filter(|s| s.class == "counter")
            .collect();
        let mut last: HashMap<(String, String), (f64, bool)> = HashMap::new();
        let mut back = Vec::new();
        for v in rec
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        {
            let (Some(topic), Some(t), Some(payload)) =
                (v["topic"].as_str(), v["t"].as_str(), v["payload"].as_str())
            else {
                continue;
            };
            let at: DateTime<Utc> = t.parse().unwrap();
            let p: serde_json::Value =
                serde_json::from_str(payload).unwrap_or(serde_json::Value::Null);
            for s in counters.iter().filter(|s| s.topic == topic) {
                let x = if s.field == "value" && p.is_number() {
                    p.as_f64()
                } else {
                    s.field
                        .split('.')
                        .try_fold(&p, |o, k| o.get(k))
                        .and_then(|x| x.as_f64())
                };
                let Some(x) = x else { continue };
                let key = (s.topic.clone(), s.field.clone());
                let reset = truth
                    .faults
                    .iter()
                    .any(|f| f.topic == s.topic && f.kind == "counter_reset" && at >= f.start);
                let dev = truth.devices.iter().find(|d| d.id == s.device);
                let restarted = dev.is_some_and(|d| d.timeline.iter().any(|(_, up)| !up));
                let rose = match last.get(&key) {
                    Some(&(x0, rose)) => {
                        if x < x0 && rose && x != 0.0 && !reset && !restarted {
                            back.push((s.topic.clone(), s.field.clone(), t.to_string(), x0, x));
                        }
                        rose || x > x0
                    }
                    None => false,
                };
                last.insert(key, (x, rose));
            }
        }
        back
    }

    #[test]
    fn a_counter_only_grows_unless_reset() {
        for kind in [Kind::Home, Kind::Plant] {
            let (rec, truth) = recording(kind, 3, 12.0 * 3600.0);
            let back = counters_going_back(&rec, &truth);
            assert!(back.is_empty(), "{kind:?}: {back:?}");
        }
    }

    #[test]
    fn a_lost_connection_leaves_its_will_where_the_broker_would_publish_it() {
        // Find a seed whose home has an `offline` fault on a device with a will.
        for seed in 1..40 {
            let (text, truth) = recording(Kind::Home, seed, 3600.0);
            let Some(f) = truth
                .faults
                .iter()
                .find(|f| f.kind == "offline" && f.device != "washer_plug")
            else {
                continue;
            };
            let will_at = |payload: &str| {
                text.lines()
                    .filter(|l| {
                        l.contains(&format!(r#""topic":"{}""#, f.topic)) && l.contains(payload)
                    })
                    .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
                    .filter_map(|v| {
                        v["t"]
                            .as_str()
                            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                    })
                    .map(|t| t.with_timezone(&Utc))
                    .find(|t| *t > f.start)
            };
            let said = will_at("ffline")
                .or_else(|| will_at("\"false\""))
                .expect("the will is in the recording");
            let delay = (said - f.start).num_milliseconds() as f64 / 1000.0;
            assert!(
                (15.0..=95.0).contains(&delay),
                "will {delay} s after the drop"
            );
            let dev = truth.devices.iter().find(|d| d.id == f.device).unwrap();
            assert!(
                dev.timeline.contains(&(f.start, false)) && dev.timeline.contains(&(f.end, true))
            );
            return;
        }
        panic!("no seed in 1..40 drops a device with a will");
    }

    #[test]
    fn worlds_send_what_real_systems_send() {
        let (home, _) = recording(Kind::Home, 2, 1800.0);
        for needle in [
            r#""topic":"zigbee2mqtt/bridge/state","qos":0,"retain":true,"payload":"{\"state\":\"online\"}""#,
            r#""payload":"Online""#,
            r#"/status/switch:0""#,
            r#""topic":"greenhouse/status","qos":0,"retain":true,"payload":"online""#,
            r#""topic":"frigate/available""#,
            r#""topic":"octoPrint/mqtt""#,
            r#""topic":"valetudo/RapidShyMouse/$state""#,
            r#""topic":"owntracks/alice/phone""#,
            r#"{\"value\":null}"#,
            r#""payload":"nan""#,
            r#"homeassistant/sensor/greenhouse/soil_bed_1/config"#,
            r#"\"stat_t\":"#,
            r#"\"state_topic\":"#,
            r#"tasmota/discovery/"#,
            r#""payload_b64":"/9j/"#,
        ] {
            assert!(home.contains(needle), "the home sends no {needle}");
        }
        let (plant, _) = recording(Kind::Plant, 2, 1800.0);
        for needle in [
            r#""topic":"spBv1.0/water/NBIRTH/pumphouse""#,
            r#"iotgateway/line2/oven1"#,
            r#"\"values\":[{\"id\":\"Line2.Oven1"#,
            "rtl_433/pi/devices/Acurite-Tower/A/1234/temperature_C",
            "acme/hamburg/line1/press1/parts_count",
        ] {
            assert!(plant.contains(needle), "the plant sends no {needle}");
        }
        // rtl_433 repeats: some readings arrive twice within a second.
        let times: Vec<&str> = plant
            .lines()
            .filter(|l| l.contains("Acurite-Tower/A/1234/temperature_C"))
            .map(|l| &l[6..25])
            .collect();
        assert!(times.windows(2).any(|w| w[0] == w[1]), "no duplicates");
    }
}
