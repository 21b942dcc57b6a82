//! A labelled world written straight to a recording, far faster than real time, with the
//! ground truth of every fault and process change beside it (`twinview sim --offline`).
//!
//! Each zone has a slow daily-like cycle; each sensor a fixed calibration offset,
//! autocorrelated noise (AR(1)) and a small white measurement noise, a little timing jitter
//! and, in some worlds, a coarse resolution (readings repeat). Some zones go through a
//! process change (heating switched on: +3 over a few minutes; a door opened: a drop that
//! recovers). Every fault kind is injected into its own sensors: spike, level shift, drift,
//! stuck, noise burst and silence. The seed decides everything, so a world can be rebuilt.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::f64::consts::TAU;
use std::io::Write;

use chrono::{DateTime, TimeZone, Utc};
use fastrand::Rng;
use serde::{Deserialize, Serialize};

use super::sensors::gaussian;
use crate::source::event::{Event, Message};
use crate::twin::detect::EpisodeKind;

/// What to build.
#[derive(Debug, Clone)]
pub struct OfflineSpec {
    pub seed: u64,
    pub duration_s: f64,
    /// Seconds between readings of each sensor.
    pub interval_s: f64,
    pub zones: usize,
    pub per_zone: usize,
    /// Faults of each kind (each on its own sensor while sensors last).
    pub faults_per_kind: usize,
}

impl Default for OfflineSpec {
    fn default() -> Self {
        OfflineSpec {
            seed: 1,
            duration_s: 7200.0,
            interval_s: 5.0,
            zones: 4,
            per_zone: 7,
            faults_per_kind: 1,
        }
    }
}

/// The fault kinds the simulator injects, in the names the detectors use.
pub const FAULT_KINDS: [EpisodeKind; 6] = [
    EpisodeKind::Spike,
    EpisodeKind::LevelShift,
    EpisodeKind::Drift,
    EpisodeKind::Stuck,
    EpisodeKind::NoiseBurst,
    EpisodeKind::Silence,
];

/// The ground truth of a world.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Truth {
    pub twinview: String,
    pub version: u32,
    pub seed: u64,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub interval_s: f64,
    pub sensors: Vec<TruthSensor>,
    pub faults: Vec<TruthFault>,
    pub process_changes: Vec<TruthProcess>,
    /// The world's drawn parameters, for a reader's curiosity.
    pub shape: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TruthSensor {
    pub topic: String,
    pub sensor: String,
    pub zone: String,
    pub faulty: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TruthFault {
    pub kind: EpisodeKind,
    pub topic: String,
    pub sensor: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub magnitude: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TruthProcess {
    pub zone: String,
    pub kind: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub change: f64,
}

#[derive(Debug, Clone)]
struct Zone {
    name: String,
    base: f64,
    amplitude: f64,
    period_s: f64,
    phase: f64,
    /// (start s, kind, change, time constant s)
    process: Option<(f64, &'static str, f64, f64)>,
}

impl Zone {
    fn value(&self, t: f64) -> f64 {
        let mut x = self.base + self.amplitude * (TAU * t / self.period_s + self.phase).sin();
        if let Some((start, kind, change, tau)) = self.process {
            if t >= start {
                let dt = t - start;
                x += match kind {
                    // Heating switched on: first-order rise to the new level.
                    "heating_on" => change * (1.0 - (-dt / tau).exp()),
                    // A door opened: an immediate drop that the room recovers from.
                    _ => change * (-dt / tau).exp(),
                };
            }
        }
        x
    }
}

#[derive(Debug, Clone, Copy)]
struct Fault {
    kind: EpisodeKind,
    start: f64,
    end: f64,
    magnitude: f64,
}

#[derive(Debug, Clone)]
struct Sensor {
    zone: usize,
    id: String,
    topic: String,
    offset: f64,
    phi: f64,
    innovation: f64,
    white: f64,
    ar: f64,
    /// Seconds into the interval of its first reading.
    phase: f64,
    fault: Option<Fault>,
    held: Option<f64>,
}

/// Everything a world is, before it is written.
pub struct World {
    pub truth: Truth,
    zones: Vec<Zone>,
    sensors: Vec<Sensor>,
    resolution: f64,
    rng: Rng,
    spec: OfflineSpec,
}

fn zone_name(i: usize) -> String {
    let letters = [
        "north", "south", "east", "west", "atrium", "lab", "store", "hall",
    ];
    match letters.get(i) {
        Some(l) => l.to_string(),
        None => format!("zone{}", i + 1),
    }
}

/// Draws a world from its spec (all randomness from the seed).
pub fn build(spec: &OfflineSpec) -> World {
    let mut rng = Rng::with_seed(spec.seed);
    let start = Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0).unwrap();
    let dur = spec.duration_s;
    // The world's shape: how noisy, how correlated, how coarse, how fast the cycle.
    let sigma = 0.05 + rng.f64() * 0.25;
    let phi = 0.5 + rng.f64() * 0.45;
    let resolution = if rng.f64() < 0.3 { 0.1 } else { 0.01 };
    let period_s = 3600.0 * (2.0 + rng.f64() * 22.0);
    let shape = format!(
        "noise σ {sigma:.3}, AR φ {phi:.2}, resolution {resolution}, cycle {:.1} h",
        period_s / 3600.0
    );
    let mut zones: Vec<Zone> = (0..spec.zones)
        .map(|i| Zone {
            name: zone_name(i),
            base: 18.0 + rng.f64() * 5.0,
            amplitude: 0.5 + rng.f64() * 2.5,
            period_s,
            phase: rng.f64() * TAU,
            process: None,
        })
        .collect();
    let mut process_changes = Vec::new();
    // Heating in one zone, a door in another (when there are two).
    for (zi, kind) in [(0usize, "heating_on"), (1, "door_opened")] {
        if zi >= zones.len() {
            break;
        }
        let at = dur * (0.35 + rng.f64() * 0.4);
        let (change, tau) = match kind {
            "heating_on" => (3.0, 150.0 + rng.f64() * 150.0),
            _ => (-(1.5 + rng.f64()), 300.0 + rng.f64() * 300.0),
        };
        zones[zi].process = Some((at, kind, change, tau));
        process_changes.push(TruthProcess {
            zone: zones[zi].name.clone(),
            kind: kind.into(),
            start: start + ms(at),
            end: start + ms((at + 3.0 * tau).min(dur)),
            change,
        });
    }
    // Sensors: innovation so that the AR part has σ `sigma`.
    let innovation = sigma * (1.0 - phi * phi).sqrt();
    let mut sensors = Vec::new();
    for (zi, z) in zones.iter().enumerate() {
        for k in 0..spec.per_zone {
            let id = format!("{}{:02}", &z.name[..1], k + 1);
            sensors.push(Sensor {
                zone: zi,
                topic: format!("/{}/temperature/{id}", z.name),
                id,
                offset: gaussian(&mut rng, 0.4),
                phi,
                innovation,
                white: sigma * 0.2,
                ar: gaussian(&mut rng, sigma),
                phase: rng.f64() * spec.interval_s,
                fault: None,
                held: None,
            });
        }
    }
    // Faults: each kind on its own sensors, spread over the zones.
    let mut order: Vec<usize> = (0..sensors.len()).collect();
    rng.shuffle(&mut order);
    let mut next = order.into_iter();
    let mut faults = Vec::new();
    'kinds: for _ in 0..spec.faults_per_kind {
        for kind in FAULT_KINDS {
            let Some(si) = next.next() else {
                break 'kinds;
            };
            let begin = dur * (0.3 + rng.f64() * 0.5);
            let minutes = |a: f64, b: f64, rng: &mut Rng| 60.0 * (a + rng.f64() * (b - a));
            let (length, magnitude) = match kind {
                EpisodeKind::Spike => (0.0, (2.0f64).max(12.0 * sigma) * (1.0 + rng.f64() * 0.5)),
                EpisodeKind::LevelShift => (
                    minutes(20.0, 60.0, &mut rng),
                    (1.0f64).max(5.0 * sigma) * (1.0 + rng.f64()),
                ),
                // °C per hour.
                EpisodeKind::Drift => (minutes(40.0, 90.0, &mut rng), 1.5 + rng.f64() * 1.5),
                EpisodeKind::Stuck => (minutes(10.0, 40.0, &mut rng), 0.0),
                EpisodeKind::NoiseBurst => (
                    minutes(5.0, 20.0, &mut rng),
                    (0.5f64).max(4.0 * sigma) * (1.0 + rng.f64()),
                ),
                _ => (minutes(5.0, 20.0, &mut rng), 0.0),
            };
            let sign = if rng.bool() { 1.0 } else { -1.0 };
            let magnitude = match kind {
                EpisodeKind::Stuck | EpisodeKind::Silence | EpisodeKind::NoiseBurst => magnitude,
                _ => sign * magnitude,
            };
            let end = (begin + length).min(dur);
            let s = &mut sensors[si];
            s.fault = Some(Fault {
                kind,
                start: begin,
                end,
                magnitude,
            });
            faults.push(TruthFault {
                kind,
                topic: s.topic.clone(),
                sensor: s.id.clone(),
                start: start + ms(begin),
                end: start + ms(end),
                magnitude,
            });
        }
    }
    let truth = Truth {
        twinview: "truth".into(),
        version: 1,
        seed: spec.seed,
        start,
        end: start + ms(dur),
        interval_s: spec.interval_s,
        sensors: sensors
            .iter()
            .map(|s| TruthSensor {
                topic: s.topic.clone(),
                sensor: s.id.clone(),
                zone: zones[s.zone].name.clone(),
                faulty: s.fault.is_some(),
            })
            .collect(),
        faults,
        process_changes,
        shape,
    };
    World {
        truth,
        zones,
        sensors,
        resolution,
        rng,
        spec: spec.clone(),
    }
}

fn ms(secs: f64) -> chrono::Duration {
    chrono::Duration::milliseconds((secs * 1000.0).round() as i64)
}

impl World {
    /// Every event of the world in time order: retained `online` statuses first, then the
    /// readings. `f` is called once per event.
    pub fn for_each(mut self, mut f: impl FnMut(Event)) -> Truth {
        let start = self.truth.start;
        for s in &self.sensors {
            let zone = &self.zones[s.zone].name;
            let mut m = Message::new(
                start,
                format!("/{zone}/{}/status", s.id),
                b"online".to_vec(),
            );
            m.retain = true;
            f(Event::Message(m));
        }
        let mut heap: BinaryHeap<Reverse<(u64, usize)>> = self
            .sensors
            .iter()
            .enumerate()
            .map(|(i, s)| Reverse(((s.phase * 1000.0) as u64, i)))
            .collect();
        let end_ms = (self.spec.duration_s * 1000.0) as u64;
        let interval = self.spec.interval_s;
        while let Some(Reverse((t_ms, i))) = heap.pop() {
            if t_ms > end_ms {
                break;
            }
            let t = t_ms as f64 / 1000.0;
            let jitter = 1.0 + (self.rng.f64() - 0.5) * 0.04;
            heap.push(Reverse((t_ms + (interval * jitter * 1000.0) as u64, i)));
            let zone_value = self.zones[self.sensors[i].zone].value(t);
            if let Some(x) = self.reading(i, t, zone_value) {
                let payload = format!("{x:.2}").into_bytes();
                f(Event::Message(Message::new(
                    start + ms(t),
                    &self.sensors[i].topic,
                    payload,
                )));
            }
        }
        self.truth
    }

    /// Sensor `i`'s reading at `t` s, or None when it is silent.
    fn reading(&mut self, i: usize, t: f64, zone_value: f64) -> Option<f64> {
        let rng = &mut self.rng;
        let s = &mut self.sensors[i];
        s.ar = s.phi * s.ar + gaussian(rng, s.innovation);
        let mut x = zone_value + s.offset + s.ar + gaussian(rng, s.white);
        let active = s.fault.filter(|f| t >= f.start && t <= f.end);
        if let Some(f) = active {
            match f.kind {
                // Only the first reading at or after its start.
                EpisodeKind::Spike if s.held.is_none() => {
                    x += f.magnitude;
                    s.held = Some(x);
                }
                EpisodeKind::LevelShift => x += f.magnitude,
                EpisodeKind::Drift => x += f.magnitude * (t - f.start) / 3600.0,
                EpisodeKind::Stuck => x = *s.held.get_or_insert(x),
                EpisodeKind::NoiseBurst => x += gaussian(rng, f.magnitude),
                EpisodeKind::Silence => return None,
                _ => {}
            }
        } else if s
            .fault
            .is_some_and(|f| f.kind == EpisodeKind::Spike && t > f.end)
            && s.held.is_none()
        {
            // A spike whose start fell between two readings lands on the next one.
            let f = s.fault.expect("checked");
            x += f.magnitude;
            s.held = Some(x);
        } else if s
            .fault
            .is_some_and(|f| f.kind == EpisodeKind::Stuck && t > f.end)
        {
            s.held = None;
        }
        Some((x / self.resolution).round() * self.resolution)
    }
}

/// Writes the world as a twinview recording to `out` and returns its truth.
pub fn write(spec: &OfflineSpec, out: &mut impl Write) -> std::io::Result<Truth> {
    let world = build(spec);
    let start = world.truth.start;
    writeln!(
        out,
        "{}",
        crate::source::record::header(start, "sim --offline", &["#".to_string()])
    )?;
    let mut failed = None;
    let truth = world.for_each(|ev| {
        if failed.is_none() {
            if let Err(e) = writeln!(out, "{}", crate::source::record::line(&ev)) {
                failed = Some(e);
            }
        }
    });
    if let Some(e) = failed {
        return Err(e);
    }
    writeln!(out, "{}", crate::source::record::end_line(truth.end))?;
    Ok(truth)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_world_is_its_seed_and_holds_every_fault_kind() {
        let spec = OfflineSpec {
            duration_s: 1800.0,
            ..OfflineSpec::default()
        };
        let mut a = Vec::new();
        let ta = write(&spec, &mut a).unwrap();
        let mut b = Vec::new();
        let tb = write(&spec, &mut b).unwrap();
        assert_eq!(a, b, "same seed, same world");
        assert_eq!(ta, tb);
        let kinds: Vec<EpisodeKind> = ta.faults.iter().map(|f| f.kind).collect();
        assert_eq!(kinds, FAULT_KINDS);
        assert_eq!(ta.sensors.len(), 28);
        assert_eq!(ta.sensors.iter().filter(|s| s.faulty).count(), 6);
        assert_eq!(ta.process_changes.len(), 2);
        let text = String::from_utf8(a).unwrap();
        // Header, 28 statuses, about 28 × 360 readings, the end line.
        let lines = text.lines().count();
        assert!((28 * 350..28 * 370).contains(&lines), "{lines}");
        // The silent sensor sends nothing during its silence.
        let silent = ta
            .faults
            .iter()
            .find(|f| f.kind == EpisodeKind::Silence)
            .unwrap();
        let rec = crate::source::replay::parse_line(text.lines().nth(40).unwrap());
        assert!(rec.is_ok());
        let during = text
            .lines()
            .filter(|l| l.contains(&format!("\"{}\"", silent.topic)))
            .filter_map(|l| crate::source::replay::parse_line(l).ok())
            .filter_map(|l| match l {
                crate::source::replay::Line::Event(Event::Message(m)) => Some(m.at),
                _ => None,
            })
            .filter(|t| *t > silent.start && *t < silent.end)
            .count();
        assert_eq!(during, 0);
        let c = Truth {
            shape: String::new(),
            ..ta
        };
        let back: Truth = serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
        assert_eq!(back, c);
    }
}
