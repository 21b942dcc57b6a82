//! Scores anomaly episodes against a labelled world's truth: per fault kind, recall (found at
//! all, and found with the right kind named) and delay; overall, false episodes per healthy
//! sensor-hour; and process changes found or invented.
//!
//! The rules, so that a figure can be checked by hand:
//! - a fault is *found* by the first episode on its sensor that is noticed (`t` of its
//!   `anomaly_start`) between one interval before the fault starts and
//!   [`GRACE_S`] after it ends; its *delay* is that `t` minus the fault's start; it is
//!   *named* when that episode's final kind is the fault's kind;
//! - every episode on a sensor that never had a fault is a false one; so is an episode on a
//!   faulty sensor noticed outside all its faults' windows (counted apart);
//! - a process change is found by a `process_change` start in its zone between its start
//!   and its end; one matching no process change is false.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::offline::{self, OfflineSpec, Truth, FAULT_KINDS};
use crate::twin::detect::EpisodeKind;
use crate::twin::journal::{Happening, What};
use crate::twin::{Twin, TwinConfig};

/// How long after a fault ends an episode still counts as finding it.
pub const GRACE_S: f64 = 120.0;

/// An episode as the events file tells it.
#[derive(Debug, Clone, PartialEq)]
pub struct Seen {
    pub topic: String,
    pub noticed: DateTime<Utc>,
    pub start: DateTime<Utc>,
    pub kind: EpisodeKind,
}

/// A process change as the events file tells it.
#[derive(Debug, Clone, PartialEq)]
pub struct SeenProcess {
    pub zone: String,
    pub noticed: DateTime<Utc>,
}

/// Episodes (with their final kinds) and process changes from happenings.
pub fn episodes(happenings: &[Happening]) -> (Vec<Seen>, Vec<SeenProcess>) {
    let mut seen: Vec<Seen> = Vec::new();
    let mut open: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut zones = Vec::new();
    for h in happenings {
        match &h.what {
            What::AnomalyStart {
                topic,
                field,
                kind,
                start,
                ..
            } => {
                open.insert((topic.clone(), field.clone()), seen.len());
                seen.push(Seen {
                    topic: topic.clone(),
                    noticed: h.t,
                    start: *start,
                    kind: *kind,
                });
            }
            What::AnomalyEnd {
                topic, field, kind, ..
            } => {
                if let Some(i) = open.remove(&(topic.clone(), field.clone())) {
                    seen[i].kind = *kind;
                }
            }
            What::ProcessChange { zone, state, .. } if *state == "start" => {
                zones.push(SeenProcess {
                    zone: zone.clone(),
                    noticed: h.t,
                })
            }
            _ => {}
        }
    }
    (seen, zones)
}

/// Reads happenings back from an events file's text (other lines are skipped).
pub fn parse_events(text: &str) -> Vec<Happening> {
    let mut out = Vec::new();
    for line in text.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let s = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string();
        let time = |k: &str| {
            v.get(k)
                .and_then(|x| x.as_str())
                .and_then(|x| DateTime::parse_from_rfc3339(x).ok())
                .map(|x| x.with_timezone(&Utc))
        };
        let Some(t) = time("t") else { continue };
        let kind = EpisodeKind::parse(&s("kind"));
        let what = match (s("type").as_str(), kind) {
            ("anomaly_start", Some(kind)) => What::AnomalyStart {
                topic: s("topic"),
                field: s("field"),
                sensor: s("sensor"),
                kind,
                start: time("start").unwrap_or(t),
                score: 0.0,
                threshold: 0.0,
                anomaly_score: 0.0,
                severity: crate::twin::detect::Severity::Minor,
                reason: String::new(),
            },
            ("anomaly_end", Some(kind)) => What::AnomalyEnd {
                topic: s("topic"),
                field: s("field"),
                sensor: s("sensor"),
                kind,
                start: time("start").unwrap_or(t),
                end: time("end").unwrap_or(t),
                peak: 0.0,
                severity: crate::twin::detect::Severity::Minor,
                reason: String::new(),
            },
            ("process_change", _) => What::ProcessChange {
                zone: s("zone"),
                measurement: s("measurement"),
                field: s("field"),
                state: if s("state") == "start" {
                    "start"
                } else {
                    "end"
                },
                start: time("start").unwrap_or(t),
                change: 0.0,
                sensors: 0,
                reason: String::new(),
            },
            _ => continue,
        };
        out.push(Happening { t, what });
    }
    out
}

/// Per fault kind.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KindScore {
    pub faults: usize,
    pub found: usize,
    pub named: usize,
    /// Seconds from fault start to notice, for each found fault.
    pub delays: Vec<f64>,
}

impl KindScore {
    pub fn recall(&self) -> f64 {
        ratio(self.found, self.faults)
    }
    pub fn named_share(&self) -> f64 {
        ratio(self.named, self.faults)
    }
    pub fn median_delay(&self) -> Option<f64> {
        let mut d = self.delays.clone();
        if d.is_empty() {
            return None;
        }
        d.sort_by(f64::total_cmp);
        Some(d[d.len() / 2])
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        1.0
    } else {
        a as f64 / b as f64
    }
}

/// The score of one or more worlds (add with [`Report::add`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    pub worlds: usize,
    pub kinds: BTreeMap<EpisodeKind, KindScore>,
    /// Episodes on sensors that never had a fault.
    pub false_healthy: usize,
    pub healthy_hours: f64,
    /// Episodes on faulty sensors outside their faults' windows.
    pub false_faulty: usize,
    pub process_changes: usize,
    pub process_found: usize,
    pub process_false: usize,
    /// One line per fault missed or misnamed, and per false episode (for people tuning).
    pub notes: Vec<String>,
}

impl Report {
    pub fn false_per_healthy_hour(&self) -> f64 {
        if self.healthy_hours > 0.0 {
            self.false_healthy as f64 / self.healthy_hours
        } else {
            0.0
        }
    }

    pub fn recall(&self) -> f64 {
        let (f, n) = self
            .kinds
            .values()
            .fold((0, 0), |(f, n), k| (f + k.found, n + k.faults));
        ratio(f, n)
    }

    pub fn add(&mut self, other: &Report) {
        self.worlds += other.worlds;
        for (k, s) in &other.kinds {
            let mine = self.kinds.entry(*k).or_default();
            mine.faults += s.faults;
            mine.found += s.found;
            mine.named += s.named;
            mine.delays.extend(&s.delays);
        }
        self.false_healthy += other.false_healthy;
        self.healthy_hours += other.healthy_hours;
        self.false_faulty += other.false_faulty;
        self.process_changes += other.process_changes;
        self.process_found += other.process_found;
        self.process_false += other.process_false;
        self.notes.extend(other.notes.iter().cloned());
    }

    /// A table for people.
    pub fn table(&self, title: &str) -> String {
        let mut out = format!(
            "{title}: {} world(s), {:.0} healthy sensor-hours\n  {:<12} {:>6} {:>6} {:>6} {:>12}\n",
            self.worlds, self.healthy_hours, "kind", "faults", "found", "named", "median delay"
        );
        for (k, s) in &self.kinds {
            out += &format!(
                "  {:<12} {:>6} {:>5.0}% {:>5.0}% {:>12}\n",
                k.as_str(),
                s.faults,
                100.0 * s.recall(),
                100.0 * s.named_share(),
                s.median_delay()
                    .map_or("—".to_string(), |d| format!("{d:.0} s"))
            );
        }
        out += &format!(
            "  false episodes: {:.3} per healthy sensor-hour ({} in all); {} more on faulty sensors outside their faults\n  process changes: {} of {} found, {} false\n",
            self.false_per_healthy_hour(),
            self.false_healthy,
            self.false_faulty,
            self.process_found,
            self.process_changes,
            self.process_false
        );
        out
    }
}

/// Scores one world.
pub fn score(truth: &Truth, happenings: &[Happening]) -> Report {
    let (seen, zones) = episodes(happenings);
    let hours = (truth.end - truth.start).num_milliseconds() as f64 / 3_600_000.0;
    let before = chrono::Duration::milliseconds((truth.interval_s * 1000.0) as i64);
    let grace = chrono::Duration::milliseconds((GRACE_S * 1000.0) as i64);
    let mut r = Report {
        worlds: 1,
        ..Report::default()
    };
    for k in FAULT_KINDS {
        r.kinds.entry(k).or_default();
    }
    let healthy: Vec<&str> = truth
        .sensors
        .iter()
        .filter(|s| !s.faulty)
        .map(|s| s.topic.as_str())
        .collect();
    r.healthy_hours = healthy.len() as f64 * hours;
    let mut matched = vec![false; seen.len()];
    for f in &truth.faults {
        let ks = r.kinds.entry(f.kind).or_default();
        ks.faults += 1;
        let (from, to) = (f.start - before, f.end + grace);
        let mut first = None;
        for (i, e) in seen.iter().enumerate() {
            if e.topic == f.topic && e.noticed >= from && e.noticed <= to {
                matched[i] = true;
                first.get_or_insert(i);
            }
        }
        if let Some(i) = first {
            ks.found += 1;
            ks.named += usize::from(seen[i].kind == f.kind);
            ks.delays
                .push(((seen[i].noticed - f.start).num_milliseconds() as f64 / 1000.0).max(0.0));
            if seen[i].kind != f.kind {
                r.notes.push(format!(
                    "{} on {} ({:+.2}) named {}",
                    f.kind.as_str(),
                    f.topic,
                    f.magnitude,
                    seen[i].kind.as_str()
                ));
            }
        } else {
            r.notes.push(format!(
                "{} on {} ({:+.2}, {} s) missed",
                f.kind.as_str(),
                f.topic,
                f.magnitude,
                (f.end - f.start).num_seconds()
            ));
        }
    }
    for (i, e) in seen.iter().enumerate() {
        if matched[i] {
            continue;
        }
        let rel = (e.noticed - truth.start).num_seconds();
        if healthy.contains(&e.topic.as_str()) {
            r.false_healthy += 1;
            r.notes.push(format!(
                "false {} on healthy {} at +{rel} s",
                e.kind.as_str(),
                e.topic
            ));
        } else {
            r.false_faulty += 1;
            r.notes.push(format!(
                "false {} on faulty {} at +{rel} s",
                e.kind.as_str(),
                e.topic
            ));
        }
    }
    r.process_changes = truth.process_changes.len();
    let mut used = vec![false; zones.len()];
    for p in &truth.process_changes {
        if let Some(i) = zones
            .iter()
            .position(|z| z.zone == p.zone && z.noticed >= p.start && z.noticed <= p.end)
        {
            r.process_found += 1;
            used[i] = true;
        }
    }
    r.process_false = used.iter().filter(|u| !**u).count();
    r
}

/// Builds a world and runs it through a twin exactly as `replay --headless` does (ticking on
/// the recording's clock once per second of it); returns its truth and every happening.
pub fn run_world(spec: &OfflineSpec, cfg: &TwinConfig) -> (Truth, Vec<Happening>) {
    let mut twin = Twin::new(cfg.clone());
    twin.journal.keep_for_writer();
    let mut out = Vec::new();
    let mut last: Option<DateTime<Utc>> = None;
    let truth = offline::build(spec).for_each(|ev| {
        let t = crate::source::replay::event_time(&ev);
        if last.is_some_and(|l| t.timestamp() > l.timestamp()) {
            twin.tick(t);
        }
        last = Some(last.map_or(t, |l| l.max(t)));
        twin.apply(&ev);
        out.extend(twin.journal.take_new());
    });
    twin.tick(truth.end);
    out.extend(twin.journal.take_new());
    (truth, out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(s: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0).unwrap() + chrono::Duration::seconds(s)
    }

    fn start(topic: &str, at: i64, kind: EpisodeKind) -> Happening {
        Happening {
            t: t(at),
            what: What::AnomalyStart {
                topic: topic.into(),
                field: "value".into(),
                sensor: String::new(),
                kind,
                start: t(at),
                score: 9.0,
                threshold: 6.0,
                anomaly_score: 0.65,
                severity: crate::twin::detect::Severity::Minor,
                reason: String::new(),
            },
        }
    }

    #[test]
    fn scoring_by_hand() {
        let truth = Truth {
            twinview: "truth".into(),
            version: 1,
            seed: 0,
            start: t(0),
            end: t(3600),
            interval_s: 5.0,
            sensors: ["/z/temperature/a", "/z/temperature/b", "/z/temperature/c"]
                .iter()
                .enumerate()
                .map(|(i, topic)| offline::TruthSensor {
                    topic: topic.to_string(),
                    sensor: String::new(),
                    zone: "z".into(),
                    faulty: i == 0,
                })
                .collect(),
            faults: vec![offline::TruthFault {
                kind: EpisodeKind::Drift,
                topic: "/z/temperature/a".into(),
                sensor: "a".into(),
                start: t(1000),
                end: t(2000),
                magnitude: 2.0,
            }],
            process_changes: vec![],
            shape: String::new(),
        };
        let h = vec![
            start("/z/temperature/a", 1300, EpisodeKind::LevelShift),
            start("/z/temperature/a", 3000, EpisodeKind::Spike),
            start("/z/temperature/b", 10, EpisodeKind::Spike),
        ];
        let r = score(&truth, &h);
        let d = &r.kinds[&EpisodeKind::Drift];
        assert_eq!((d.faults, d.found, d.named), (1, 1, 0));
        assert_eq!(d.median_delay(), Some(300.0));
        assert_eq!((r.false_healthy, r.false_faulty), (1, 1));
        assert!((r.false_per_healthy_hour() - 0.5).abs() < 1e-9);
        // Read back from lines, the same.
        let text: String = h.iter().map(|x| x.to_line() + "\n").collect();
        assert_eq!(score(&truth, &parse_events(&text)), r);
    }
}
