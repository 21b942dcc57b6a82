//! Scores what twinview said about a world (its events file and final snapshot) against the
//! world's truth: anomalies per signal class and per fault kind, and devices (rows per
//! physical device, liveness).
//!
//! The rules, so a figure can be checked by hand:
//! - A probe fault (`field` set) is *found* by the first episode on its topic and field
//!   noticed between [`LEAD_S`] before it starts and [`GRACE_S`] after it ends, or until its
//!   device's second report of its topic after its end where that was later (`shown_until`:
//!   the first report shows the end, the second whether it stayed; a report that holds no
//!   reading, or a stuck probe's report of the value it was held at, shows no end); *named* when
//!   that episode's final kind is one of the fault's `names`; its delay is notice − start.
//!   An episode of another fault's `names`, within that fault's reach, is that fault's: it
//!   neither finds nor names this one (a device's silence amid its probe's slow drift); so is
//!   a `silence` within a down period of its device (`offline`, `flapping`).
//!   A whole-device fault with names (`silence`, `battery_dying`) is found by an episode on
//!   any topic of the device in that window.
//! - An episode that finds no fault is *false*, unless it lies inside a whole-device fault's
//!   window of its device (a silent device's other fields). Its length is end − start, or up
//!   to the world's end when it never closed. Healthy series-hours are the snapshot's series
//!   without a probe fault, each counted for the whole world.
//! - A row is attributed to the physical devices whose topics its series and states use; a
//!   row with neither is attributed by its id: the device of that id, else the devices with
//!   the id as whole levels of a topic. A device
//!   with more than one row is *split*; a row with more than one device is a *merge*; a row
//!   of no device is *unattributed*; a row of only a ghost (a stale discovery config) is a
//!   *ghost row*.
//! - Liveness: a device's down period is *said* when a row of it turns `offline` between its
//!   start and `offline_within_s` + [`LIVENESS_MARGIN_S`] later. A row turning `offline` or
//!   `stale` while every device it stands for is up (and none came back in the last
//!   [`LIVENESS_MARGIN_S`]) is a *false* liveness change.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{TruthFault, WorldTruth};

pub const LEAD_S: f64 = 10.0;
pub const GRACE_S: f64 = 120.0;
pub const LIVENESS_MARGIN_S: f64 = 30.0;

#[derive(Debug, Clone, Default)]
pub struct ClassScore {
    pub series: usize,
    pub hours: f64,
    pub false_episodes: usize,
    /// Seconds inside false episodes.
    pub false_seconds: f64,
    pub longest_s: f64,
}

#[derive(Debug, Clone, Default)]
pub struct KindScore {
    pub faults: usize,
    /// Faults of the kind no tool could see (see `TruthFault::hidden`): not in `faults`.
    pub hidden: usize,
    pub found: usize,
    pub named: usize,
    pub delays: Vec<f64>,
}

#[derive(Debug, Clone, Default)]
pub struct Report {
    pub worlds: usize,
    pub classes: BTreeMap<String, ClassScore>,
    pub kinds: BTreeMap<String, KindScore>,
    pub devices: usize,
    pub rows: usize,
    pub split_devices: usize,
    pub merged_rows: usize,
    pub unattributed_rows: usize,
    pub ghost_rows: usize,
    pub device_hours: f64,
    pub down_periods: usize,
    pub down_said: usize,
    pub false_liveness: usize,
    /// Lines for people tuning: misses, false episodes (first few per world), bad rows.
    pub notes: Vec<String>,
}

fn secs(a: DateTime<Utc>, b: DateTime<Utc>) -> f64 {
    (b - a).num_milliseconds() as f64 / 1000.0
}

fn time(v: &Value, k: &str) -> Option<DateTime<Utc>> {
    v.get(k)
        .and_then(Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
}

fn text<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

struct Episode {
    topic: String,
    field: String,
    noticed: DateTime<Utc>,
    start: DateTime<Utc>,
    end: Option<DateTime<Utc>>,
    kind: String,
}

/// Scores one world.
pub fn score(truth: &WorldTruth, events: &str, snapshot: &Value) -> Report {
    let mut r = Report {
        worlds: 1,
        ..Report::default()
    };
    let world_s = secs(truth.start, truth.end).max(1.0);
    let lines: Vec<Value> = events
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    // Episodes, with their final kinds and ends.
    let mut eps: Vec<Episode> = Vec::new();
    let mut open: BTreeMap<(String, String), usize> = BTreeMap::new();
    for v in &lines {
        let Some(t) = time(v, "t") else { continue };
        let key = (text(v, "topic").to_string(), text(v, "field").to_string());
        match text(v, "type") {
            "anomaly_start" => {
                // A start while one is open on the same series closes the old one there.
                if let Some(i) = open.remove(&key) {
                    eps[i].end = Some(t);
                }
                open.insert(key.clone(), eps.len());
                eps.push(Episode {
                    topic: key.0,
                    field: key.1,
                    noticed: t,
                    start: time(v, "start").unwrap_or(t),
                    end: None,
                    kind: text(v, "kind").to_string(),
                });
            }
            "anomaly_end" => {
                if let Some(i) = open.remove(&key) {
                    eps[i].end = Some(time(v, "end").unwrap_or(t));
                    eps[i].kind = text(v, "kind").to_string();
                }
            }
            _ => {}
        }
    }
    // Topic → physical device.
    let mut owner: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, d) in truth.devices.iter().enumerate() {
        for t in &d.topics {
            owner.insert(t.as_str(), i);
        }
    }
    let by_id: BTreeMap<&str, usize> = truth
        .devices
        .iter()
        .enumerate()
        .map(|(i, d)| (d.id.as_str(), i))
        .collect();
    let class_of: BTreeMap<(&str, &str), &str> = truth
        .series
        .iter()
        .map(|s| ((s.topic.as_str(), s.field.as_str()), s.class.as_str()))
        .collect();
    // Faults.
    let mut claimed = vec![false; eps.len()];
    let probe_faulty: BTreeSet<(&str, &str)> = truth
        .faults
        .iter()
        .filter(|f| !f.field.is_empty() && f.kind != "battery_dying")
        .map(|f| (f.topic.as_str(), f.field.as_str()))
        .collect();
    // Whether episode `e` was noticed within fault `f`'s window.
    let in_window = |f: &TruthFault, e: &Episode| -> bool {
        let lo = f.start - chrono::Duration::milliseconds((LEAD_S * 1000.0) as i64);
        let hi = (f.end.min(truth.end) + chrono::Duration::milliseconds((GRACE_S * 1000.0) as i64))
            .max(f.shown_until.unwrap_or(f.end).min(truth.end));
        e.noticed >= lo && e.noticed <= hi
    };
    // An episode fault `f` may be found by: on its series (its device's, for a whole-device
    // fault), noticed in its window.
    let in_reach = |f: &TruthFault, e: &Episode| -> bool {
        let on = if f.field.is_empty() || f.kind == "battery_dying" {
            let dev = by_id.get(f.device.as_str()).copied();
            dev.is_some() && owner.get(e.topic.as_str()).copied() == dev
        } else {
            e.topic == f.topic && e.field == f.field
        };
        on && in_window(f, e)
    };
    // Flapping and offline faults come as one entry per down period; count each fault once.
    let mut seen_fault: BTreeSet<(String, String)> = BTreeSet::new();
    for (fi, f) in truth.faults.iter().enumerate() {
        // An episode of another fault's kind, in that fault's reach, is that fault's finding,
        // not this one's (a press's silence, in the middle of its motor probe's six-hour slow
        // drift, named the drift "silence"; the drift's own episode came later). A silence
        // while its device was down (offline or flapping: the device check judges those, and
        // they name no episode) is the down period's, likewise: a press whose connection
        // flapped went quiet 20 s before its will said it was offline, and that silence named
        // its motor probe's drift.
        let others = |e: &Episode| {
            !f.names.contains(&e.kind)
                && truth.faults.iter().enumerate().any(|(gi, g)| {
                    let down = g.field.is_empty() && g.names.is_empty() && e.kind == "silence";
                    gi != fi && (g.names.contains(&e.kind) || down) && in_reach(g, e)
                })
        };
        let first = eps
            .iter()
            .enumerate()
            .filter(|(_, e)| in_reach(f, e) && !others(e))
            .min_by_key(|(_, e)| e.noticed);
        // Everything on the device (a whole-device fault) or on the series inside the window
        // is explained by the fault: a noise burst first said as a spike and then as a burst
        // is one fault found (named by its first episode), not a fault and a false episode.
        // So is what it did to the fields computed from the faulty one.
        let derived = |e: &Episode| e.topic == f.topic && f.also.contains(&e.field);
        for (i, e) in eps.iter().enumerate() {
            if in_reach(f, e) || (derived(e) && in_window(f, e)) {
                claimed[i] = true;
            }
        }
        if f.names.is_empty() {
            continue;
        }
        if !seen_fault.insert((f.kind.clone(), f.device.clone() + &f.field + &f.topic)) {
            continue;
        }
        let k = r.kinds.entry(f.kind.clone()).or_default();
        if f.hidden {
            k.hidden += 1;
            r.notes.push(format!(
                "{}: {} on {} {} at {} hidden: nothing its device sent showed it, not counted",
                truth.world,
                f.kind,
                f.topic,
                f.field,
                f.start.format("%H:%M:%S")
            ));
            continue;
        }
        k.faults += 1;
        match first {
            Some((_, e)) => {
                k.found += 1;
                k.delays.push(secs(f.start, e.noticed));
                if f.names.contains(&e.kind) {
                    k.named += 1;
                } else {
                    r.notes.push(format!(
                        "{}: {} on {} {} named {}",
                        truth.world, f.kind, f.topic, f.field, e.kind
                    ));
                }
            }
            None => r.notes.push(format!(
                "{}: {} on {} {} at {} missed",
                truth.world,
                f.kind,
                f.topic,
                f.field,
                f.start.format("%H:%M:%S")
            )),
        }
    }
    // Healthy series by class.
    let sensors = snapshot
        .get("sensors")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for s in &sensors {
        if text(s, "kind") == "aggregate" {
            continue;
        }
        let (topic, field) = (text(s, "topic"), text(s, "field"));
        if probe_faulty.contains(&(topic, field)) {
            continue;
        }
        let class = class_at(&class_of, topic, field);
        let c = r.classes.entry(class.to_string()).or_default();
        c.series += 1;
        c.hours += world_s / 3600.0;
    }
    let mut shown = 0;
    let mut covered_until: BTreeMap<(&str, &str), DateTime<Utc>> = BTreeMap::new();
    for (i, e) in eps.iter().enumerate() {
        if claimed[i] {
            continue;
        }
        let class = class_at(&class_of, &e.topic, &e.field);
        let c = r.classes.entry(class.to_string()).or_default();
        c.false_episodes += 1;
        let (from, to) = (
            e.start.max(truth.start),
            e.end.unwrap_or(truth.end).min(truth.end),
        );
        let len = secs(from, to).max(0.0);
        // Time inside false episodes counts once per series where episodes overlap.
        let covered = covered_until
            .entry((e.topic.as_str(), e.field.as_str()))
            .or_insert(truth.start);
        c.false_seconds += secs(from.max(*covered), to).max(0.0);
        *covered = (*covered).max(to);
        c.longest_s = c.longest_s.max(len);
        if shown < 12 {
            shown += 1;
            r.notes.push(format!(
                "{}: false {} on {} {} at {} ({:.0} s)",
                truth.world,
                e.kind,
                e.topic,
                e.field,
                e.noticed.format("%H:%M:%S"),
                len
            ));
        }
    }
    // Devices: rows → physical devices.
    let physical: Vec<usize> = (0..truth.devices.len())
        .filter(|i| truth.devices[*i].ecosystem != "ghost")
        .collect();
    r.devices = physical.len();
    r.device_hours = physical.len() as f64 * world_s / 3600.0;
    let mut row_topics: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for list in ["sensors", "states"] {
        for s in snapshot
            .get(list)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            row_topics
                .entry(text(s, "device").to_string())
                .or_default()
                .insert(text(s, "topic").to_string());
        }
    }
    let rows: Vec<String> = snapshot
        .get("devices")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|d| text(d, "id").to_string())
        .filter(|id| id != "$SYS" && !id.is_empty())
        .collect();
    r.rows = rows.len();
    let mut row_devs: BTreeMap<&str, BTreeSet<usize>> = BTreeMap::new();
    for id in &rows {
        let mut devs: BTreeSet<usize> = row_topics
            .get(id)
            .into_iter()
            .flatten()
            .filter_map(|t| owner.get(t.as_str()).copied())
            .collect();
        if devs.is_empty() {
            // By id: a device of that very id first.
            if let Some(&i) = by_id.get(id.as_str()) {
                devs.insert(i);
            }
        }
        if devs.is_empty() {
            // By id: as whole topic levels (`greenhouse`), or with `-` for `/`
            // (`zigbee2mqtt-bridge` for `zigbee2mqtt/bridge/state`).
            let needle = format!("/{id}/");
            let dashed = format!("/{}/", id.replace('-', "/"));
            for (i, d) in truth.devices.iter().enumerate() {
                if d.topics.iter().any(|t| {
                    let t = format!("/{t}/");
                    t.contains(&needle) || t.contains(&dashed)
                }) {
                    devs.insert(i);
                }
            }
        }
        row_devs.insert(id, devs);
    }
    let mut per_dev: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
    for (id, devs) in &row_devs {
        let real: Vec<usize> = devs
            .iter()
            .copied()
            .filter(|i| truth.devices[*i].ecosystem != "ghost")
            .collect();
        if devs.is_empty() {
            r.unattributed_rows += 1;
            r.notes
                .push(format!("{}: row {id} stands for no device", truth.world));
        } else if real.is_empty() {
            r.ghost_rows += 1;
            r.notes.push(format!(
                "{}: row {id} stands for a stale discovery config",
                truth.world
            ));
        } else if real.len() > 1 {
            r.merged_rows += 1;
            let names: Vec<&str> = real.iter().map(|i| truth.devices[*i].id.as_str()).collect();
            r.notes.push(format!(
                "{}: row {id} merges {}",
                truth.world,
                names.join(", ")
            ));
        }
        for i in real {
            per_dev.entry(i).or_default().push(id);
        }
    }
    for (i, ids) in &per_dev {
        if ids.len() > 1 {
            r.split_devices += 1;
            r.notes.push(format!(
                "{}: {} is split into {} rows ({})",
                truth.world,
                truth.devices[*i].id,
                ids.len(),
                ids.join(", ")
            ));
        }
    }
    // Liveness.
    let status: Vec<(DateTime<Utc>, &str, &str)> = lines
        .iter()
        .filter(|v| text(v, "type") == "device_status")
        .filter_map(|v| Some((time(v, "t")?, text(v, "id"), text(v, "to"))))
        .collect();
    let up_at = |dev: usize, t: DateTime<Utc>| -> bool {
        let d = &truth.devices[dev];
        let mut up = true;
        for (at, u) in &d.timeline {
            if *at <= t {
                up = *u;
            }
        }
        // Came back only just now: its own convention may not have said so yet.
        let recent = d
            .timeline
            .iter()
            .any(|(at, u)| *u && *at <= t && secs(*at, t) < LIVENESS_MARGIN_S);
        up && !recent
    };
    for &i in &physical {
        let d = &truth.devices[i];
        let Some(within) = d.offline_within_s else {
            continue;
        };
        // Each down period with its end (or the world's end).
        let periods: Vec<(DateTime<Utc>, DateTime<Utc>)> = d
            .timeline
            .iter()
            .enumerate()
            .filter(|(_, (_, up))| !*up)
            .map(|(k, (t, _))| {
                let back = d.timeline[k + 1..]
                    .iter()
                    .find(|(_, up)| *up)
                    .map_or(truth.end, |x| x.0);
                (*t, back)
            })
            .collect();
        for (s, back) in periods {
            if s >= truth.end {
                continue;
            }
            // Back before its convention could notice: a will fires at the next connection at
            // the latest, but a hub's timeout (Zigbee2MQTT's 10 min) may never see it.
            if d.liveness != "will" && d.liveness != "birth-death" && secs(s, back) < within {
                continue;
            }
            let deadline =
                s + chrono::Duration::milliseconds(((within + LIVENESS_MARGIN_S) * 1000.0) as i64);
            if deadline > truth.end {
                continue;
            }
            r.down_periods += 1;
            let said = status.iter().any(|(t, id, to)| {
                *to == "offline"
                    && *t >= s
                    && *t <= deadline
                    && row_devs.get(*id).is_some_and(|ds| ds.contains(&i))
            });
            if said {
                r.down_said += 1;
            } else {
                r.notes.push(format!(
                    "{}: {} went down at {} and no row said so",
                    truth.world,
                    d.id,
                    s.format("%H:%M:%S")
                ));
            }
        }
    }
    for (t, id, to) in &status {
        if *to != "offline" && *to != "stale" {
            continue;
        }
        let Some(devs) = row_devs.get(*id) else {
            continue;
        };
        let real: Vec<usize> = devs
            .iter()
            .copied()
            .filter(|i| truth.devices[*i].ecosystem != "ghost")
            .collect();
        if !real.is_empty() && real.iter().all(|i| up_at(*i, *t)) {
            r.false_liveness += 1;
            if r.false_liveness <= 10 {
                r.notes.push(format!(
                    "{}: row {id} said {to} at {} while up",
                    truth.world,
                    t.format("%H:%M:%S")
                ));
            }
        }
    }
    r
}

/// A series' class: declared for its field, else for its whole topic (`*`), else
/// `undeclared`.
fn class_at<'a>(class_of: &BTreeMap<(&str, &str), &'a str>, topic: &str, field: &str) -> &'a str {
    class_of
        .get(&(topic, field))
        .or_else(|| class_of.get(&(topic, "*")))
        .copied()
        .unwrap_or("undeclared")
}

impl Report {
    pub fn add(&mut self, o: &Report) {
        self.worlds += o.worlds;
        for (k, c) in &o.classes {
            let m = self.classes.entry(k.clone()).or_default();
            m.series += c.series;
            m.hours += c.hours;
            m.false_episodes += c.false_episodes;
            m.false_seconds += c.false_seconds;
            m.longest_s = m.longest_s.max(c.longest_s);
        }
        for (k, s) in &o.kinds {
            let m = self.kinds.entry(k.clone()).or_default();
            m.faults += s.faults;
            m.hidden += s.hidden;
            m.found += s.found;
            m.named += s.named;
            m.delays.extend(&s.delays);
        }
        self.devices += o.devices;
        self.rows += o.rows;
        self.split_devices += o.split_devices;
        self.merged_rows += o.merged_rows;
        self.unattributed_rows += o.unattributed_rows;
        self.ghost_rows += o.ghost_rows;
        self.device_hours += o.device_hours;
        self.down_periods += o.down_periods;
        self.down_said += o.down_said;
        self.false_liveness += o.false_liveness;
        self.notes.extend(o.notes.iter().cloned());
    }

    pub fn false_per_hour(&self) -> f64 {
        let (f, h) = self
            .classes
            .values()
            .fold((0, 0.0), |(f, h), c| (f + c.false_episodes, h + c.hours));
        if h > 0.0 {
            f as f64 / h
        } else {
            0.0
        }
    }

    /// Tables for people.
    pub fn table(&self, title: &str) -> String {
        let mut out = format!("{title}: {} world(s)\n", self.worlds);
        out += &format!(
            "  {:<12} {:>6} {:>9} {:>6} {:>9} {:>10} {:>9}\n",
            "class", "series", "hours", "false", "per hour", "time in it", "longest"
        );
        let mut all = ClassScore::default();
        for (k, c) in &self.classes {
            out += &class_line(k, c);
            all.series += c.series;
            all.hours += c.hours;
            all.false_episodes += c.false_episodes;
            all.false_seconds += c.false_seconds;
            all.longest_s = all.longest_s.max(c.longest_s);
        }
        out += &class_line("all", &all);
        out += &format!(
            "  {:<14} {:>6} {:>6} {:>6} {:>12}\n",
            "fault", "faults", "found", "named", "median delay"
        );
        let (mut nf, mut nfound, mut nnamed, mut nhidden) = (0, 0, 0, 0);
        for (k, s) in &self.kinds {
            let mut d = s.delays.clone();
            d.sort_by(f64::total_cmp);
            let med = d
                .get(d.len() / 2)
                .map(|x| format!("{x:.0} s"))
                .unwrap_or_else(|| "-".into());
            out += &format!(
                "  {:<14} {:>6} {:>5.0}% {:>5.0}% {:>12}\n",
                k,
                s.faults,
                pct(s.found, s.faults),
                pct(s.named, s.faults),
                med
            );
            nf += s.faults;
            nhidden += s.hidden;
            nfound += s.found;
            nnamed += s.named;
        }
        out += &format!(
            "  {:<14} {:>6} {:>5.0}% {:>5.0}%\n",
            "all",
            nf,
            pct(nfound, nf),
            pct(nnamed, nf)
        );
        if nhidden > 0 {
            out += &format!(
                "  ({nhidden} more fault(s) hidden: nothing their devices sent showed them)\n"
            );
        }
        out += &format!(
            "  devices: {} physical, {} rows; {} split, {} merged rows, {} rows of no device, {} ghost rows\n",
            self.devices, self.rows, self.split_devices, self.merged_rows, self.unattributed_rows, self.ghost_rows
        );
        out += &format!(
            "  liveness: {} of {} down periods said in time; {} false offline/stale changes ({:.2} per device-hour)\n",
            self.down_said,
            self.down_periods,
            self.false_liveness,
            if self.device_hours > 0.0 { self.false_liveness as f64 / self.device_hours } else { 0.0 }
        );
        out
    }
}

/// What `world_eval --check` (and `CHECK=1 scripts/world_eval.sh`, which CI runs over three
/// seeds of a day of each world) holds the default detectors to. The first three are issue
/// #28's and #29's targets, met on these worlds; the found and named floors are not the target
/// (95 %, not met: see BENCHMARKS.md) but guard what was reached, a little below it.
pub mod gates {
    /// False episodes per healthy series-hour, in every signal class.
    pub const FALSE_PER_HOUR_MAX: f64 = 0.01;
    /// The longest false episode, seconds: ten minutes (an episode taken as the normal ends
    /// when it was due, whenever the tick or a reading noticed it).
    pub const LONGEST_FALSE_MAX_S: f64 = 600.0;
    /// False offline or stale changes per device-hour.
    pub const FALSE_LIVENESS_MAX: f64 = 0.01;
    /// Share of faults found, and found with the right kind named (floors, not targets).
    pub const FOUND_MIN: f64 = 0.85;
    pub const NAMED_MIN: f64 = 0.80;
}

impl Report {
    /// What fails [`gates`]: one line each, empty when all hold. Every down period must be
    /// said in time, and no physical device split into several rows or merged with another.
    pub fn check(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (k, c) in &self.classes {
            let rate = if c.hours > 0.0 {
                c.false_episodes as f64 / c.hours
            } else {
                0.0
            };
            if rate > gates::FALSE_PER_HOUR_MAX {
                out.push(format!(
                    "{k}: {rate:.4} false episodes per healthy series-hour (at most {})",
                    gates::FALSE_PER_HOUR_MAX
                ));
            }
            if c.longest_s > gates::LONGEST_FALSE_MAX_S {
                out.push(format!(
                    "{k}: a false episode of {:.0} s (at most {:.0})",
                    c.longest_s,
                    gates::LONGEST_FALSE_MAX_S
                ));
            }
        }
        let (faults, found, named) = self.kinds.values().fold((0, 0, 0), |(a, b, c), k| {
            (a + k.faults, b + k.found, c + k.named)
        });
        let share = |n: usize| {
            if faults > 0 {
                n as f64 / faults as f64
            } else {
                1.0
            }
        };
        if share(found) < gates::FOUND_MIN {
            out.push(format!(
                "{:.0} % of faults found (at least {:.0} %)",
                100.0 * share(found),
                100.0 * gates::FOUND_MIN
            ));
        }
        if share(named) < gates::NAMED_MIN {
            out.push(format!(
                "{:.0} % of faults named right (at least {:.0} %)",
                100.0 * share(named),
                100.0 * gates::NAMED_MIN
            ));
        }
        if self.down_said < self.down_periods {
            out.push(format!(
                "{} of {} down periods said in time",
                self.down_said, self.down_periods
            ));
        }
        if self.device_hours > 0.0
            && self.false_liveness as f64 / self.device_hours > gates::FALSE_LIVENESS_MAX
        {
            out.push(format!(
                "{} false offline/stale changes in {:.0} device-hours",
                self.false_liveness, self.device_hours
            ));
        }
        if self.split_devices > 0 || self.merged_rows > 0 {
            out.push(format!(
                "{} devices split, {} rows merging devices",
                self.split_devices, self.merged_rows
            ));
        }
        out
    }
}

fn class_line(k: &str, c: &ClassScore) -> String {
    format!(
        "  {:<12} {:>6} {:>9.1} {:>6} {:>9.3} {:>9.1}% {:>8.0}s\n",
        k,
        c.series,
        c.hours,
        c.false_episodes,
        if c.hours > 0.0 {
            c.false_episodes as f64 / c.hours
        } else {
            0.0
        },
        if c.hours > 0.0 {
            100.0 * c.false_seconds / (c.hours * 3600.0)
        } else {
            0.0
        },
        c.longest_s
    )
}

fn pct(a: usize, b: usize) -> f64 {
    if b == 0 {
        100.0
    } else {
        100.0 * a as f64 / b as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::worlds::{TruthDevice, TruthFault, TruthSeries};
    use chrono::TimeZone;

    fn t(m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 5, 0, m, s).unwrap()
    }

    #[test]
    fn a_fault_is_seen_to_its_devices_second_report_after_it() {
        // A drift ends at 00:20; the device reports every 13 minutes, at 00:26 (the end shows)
        // and 00:39 (it stayed). The step back is decided at that second report.
        let truth = |shown_until| WorldTruth {
            start: t(0, 0),
            end: Utc.with_ymd_and_hms(2026, 1, 5, 1, 0, 0).unwrap(),
            series: vec![TruthSeries {
                topic: "z/room".into(),
                field: "temperature".into(),
                device: "room".into(),
                class: "continuous".into(),
                resolution: None,
                cadence: "on_change".into(),
            }],
            faults: vec![TruthFault {
                kind: "drift_slow".into(),
                names: vec!["drift".into()],
                device: "room".into(),
                topic: "z/room".into(),
                field: "temperature".into(),
                also: Vec::new(),
                start: t(0, 0),
                end: t(20, 0),
                magnitude: 0.1,
                hidden: false,
                shown_until,
            }],
            ..WorldTruth::default()
        };
        let events = r#"{"t":"2026-01-05T00:39:00Z","type":"anomaly_start","topic":"z/room","field":"temperature","kind":"drift","start":"2026-01-05T00:26:00Z"}"#;
        let snap = serde_json::json!({
            "sensors": [{"topic": "z/room", "field": "temperature", "device": "room"}],
            "states": [], "devices": [{"id": "room"}],
        });
        let r = score(&truth(Some(t(39, 0))), events, &snap);
        let d = &r.kinds["drift_slow"];
        assert_eq!((d.faults, d.found, d.named), (1, 1, 1));
        let falses = |r: &Report| r.classes.values().map(|c| c.false_episodes).sum::<usize>();
        assert_eq!(falses(&r), 0);
        // Without it the window closes at the grace: missed, and the episode false.
        let r = score(&truth(None), events, &snap);
        assert_eq!(r.kinds["drift_slow"].found, 0);
        assert_eq!(falses(&r), 1);
    }

    #[test]
    fn an_episode_another_fault_explains_names_only_that_fault() {
        // A press's motor probe drifts slowly from 00:00 to 00:50; its device falls silent
        // from 00:20 to 00:25. twinview says the silence at 00:20:30 and the drift at 00:50:30.
        let fault = |kind: &str, names: &[&str], field: &str, from: u32, to: u32| TruthFault {
            kind: kind.into(),
            names: names.iter().map(|n| n.to_string()).collect(),
            device: "press2".into(),
            topic: "line1/press2/motor_temp".into(),
            field: field.into(),
            also: Vec::new(),
            start: t(from, 0),
            end: t(to, 0),
            magnitude: 0.1,
            hidden: false,
            shown_until: None,
        };
        let truth = WorldTruth {
            start: t(0, 0),
            end: Utc.with_ymd_and_hms(2026, 1, 5, 1, 0, 0).unwrap(),
            devices: vec![TruthDevice {
                id: "press2".into(),
                topics: ["line1/press2/motor_temp".to_string()].into(),
                ..TruthDevice::default()
            }],
            series: vec![TruthSeries {
                topic: "line1/press2/motor_temp".into(),
                field: "value".into(),
                device: "press2".into(),
                class: "continuous".into(),
                resolution: None,
                cadence: "periodic".into(),
            }],
            faults: vec![
                fault("drift_slow", &["drift"], "value", 0, 50),
                fault("silence", &["silence"], "", 20, 25),
            ],
            ..WorldTruth::default()
        };
        let events = [("00:20:30", "silence"), ("00:50:30", "drift")]
            .map(|(at, kind)| format!(r#"{{"t":"2026-01-05T{at}Z","type":"anomaly_start","topic":"line1/press2/motor_temp","field":"value","kind":"{kind}","start":"2026-01-05T{at}Z"}}"#))
            .join("\n");
        let snap = serde_json::json!({
            "sensors": [{"topic": "line1/press2/motor_temp", "field": "value", "device": "press2"}],
            "states": [], "devices": [{"id": "press2"}],
        });
        let r = score(&truth, &events, &snap);
        let d = &r.kinds["drift_slow"];
        assert_eq!((d.faults, d.found, d.named), (1, 1, 1), "{:?}", r.notes);
        let s = &r.kinds["silence"];
        assert_eq!((s.faults, s.found, s.named), (1, 1, 1), "{:?}", r.notes);
        // The same silence while the press's connection flapped (its will said offline): the
        // down period's, which names no episode; the drift is named by its own.
        let mut flapped = truth.clone();
        flapped.faults[1] = fault("flapping", &[], "", 20, 25);
        let r = score(&flapped, &events, &snap);
        let d = &r.kinds["drift_slow"];
        assert_eq!((d.faults, d.found, d.named), (1, 1, 1), "{:?}", r.notes);
    }

    #[test]
    fn every_rule_counts_as_documented() {
        let dev = |id: &str,
                   topics: &[&str],
                   within: Option<f64>,
                   timeline: Vec<(DateTime<Utc>, bool)>| TruthDevice {
            id: id.into(),
            ecosystem: "test".into(),
            liveness: "will".into(),
            offline_within_s: within,
            topics: topics.iter().map(|s| s.to_string()).collect(),
            timeline,
        };
        let series = |topic: &str| TruthSeries {
            topic: topic.into(),
            field: "value".into(),
            device: String::new(),
            class: "continuous".into(),
            resolution: None,
            cadence: "steady".into(),
        };
        let truth = WorldTruth {
            twinview: "truth".into(),
            version: 2,
            world: "test".into(),
            start: t(0, 0),
            end: Utc.with_ymd_and_hms(2026, 1, 5, 1, 0, 0).unwrap(),
            devices: vec![
                dev(
                    "a",
                    &["a/temp", "a/status"],
                    Some(45.0),
                    vec![(t(0, 0), true), (t(10, 0), false), (t(20, 0), true)],
                ),
                dev("b", &["b/x"], None, vec![(t(0, 0), true)]),
            ],
            series: vec![series("a/temp"), series("b/x")],
            faults: vec![
                TruthFault {
                    kind: "spike".into(),
                    names: vec!["spike".into()],
                    device: "a".into(),
                    topic: "a/temp".into(),
                    field: "value".into(),
                    // A field the device computes from it carries the spike too.
                    also: vec!["derived".into()],
                    start: t(5, 0),
                    end: t(5, 0),
                    magnitude: 5.0,
                    hidden: false,
                    shown_until: None,
                },
                // Its device sent nothing while it lasted: counted apart, not missed.
                TruthFault {
                    kind: "drift".into(),
                    names: vec!["drift".into()],
                    device: "b".into(),
                    topic: "b/y".into(),
                    field: "value".into(),
                    also: Vec::new(),
                    start: t(45, 0),
                    end: t(50, 0),
                    magnitude: 1.0,
                    hidden: true,
                    shown_until: None,
                },
                TruthFault {
                    kind: "offline".into(),
                    names: vec![],
                    device: "a".into(),
                    topic: "a/status".into(),
                    field: String::new(),
                    also: Vec::new(),
                    start: t(10, 0),
                    end: t(20, 0),
                    magnitude: 0.0,
                    hidden: false,
                    shown_until: None,
                },
            ],
            ..WorldTruth::default()
        };
        let events = [
            r#"{"t":"2026-01-05T00:05:01Z","type":"anomaly_start","topic":"a/temp","field":"value","kind":"spike","start":"2026-01-05T00:05:00Z"}"#,
            r#"{"t":"2026-01-05T00:05:30Z","type":"anomaly_end","topic":"a/temp","field":"value","kind":"spike","start":"2026-01-05T00:05:00Z","end":"2026-01-05T00:05:30Z"}"#,
            // A second episode on the faulty series inside the fault's window: the same fault.
            r#"{"t":"2026-01-05T00:06:00Z","type":"anomaly_start","topic":"a/temp","field":"value","kind":"noise_burst","start":"2026-01-05T00:06:00Z"}"#,
            r#"{"t":"2026-01-05T00:06:30Z","type":"anomaly_end","topic":"a/temp","field":"value","kind":"noise_burst","start":"2026-01-05T00:06:00Z","end":"2026-01-05T00:06:30Z"}"#,
            r#"{"t":"2026-01-05T00:05:01Z","type":"anomaly_start","topic":"a/temp","field":"derived","kind":"spike","start":"2026-01-05T00:05:00Z"}"#,
            r#"{"t":"2026-01-05T00:05:30Z","type":"anomaly_end","topic":"a/temp","field":"derived","kind":"spike","start":"2026-01-05T00:05:00Z","end":"2026-01-05T00:05:30Z"}"#,
            r#"{"t":"2026-01-05T00:30:00Z","type":"anomaly_start","topic":"b/x","field":"value","kind":"stuck","start":"2026-01-05T00:30:00Z"}"#,
            r#"{"t":"2026-01-05T00:40:00Z","type":"anomaly_end","topic":"b/x","field":"value","kind":"stuck","start":"2026-01-05T00:30:00Z","end":"2026-01-05T00:40:00Z"}"#,
            r#"{"t":"2026-01-05T00:10:50Z","type":"device_status","id":"a","from":"online","to":"offline"}"#,
            r#"{"t":"2026-01-05T00:31:00Z","type":"device_status","id":"b","from":"online","to":"stale"}"#,
        ]
        .join("\n");
        let snap = serde_json::json!({
            "sensors": [
                {"topic": "a/temp", "field": "value", "device": "a", "kind": "sensor"},
                {"topic": "b/x", "field": "value", "device": "b", "kind": "sensor"},
                {"topic": "b/x", "field": "other", "device": "x", "kind": "sensor"},
                {"topic": "a/temp", "field": "derived", "device": "a", "kind": "sensor"},
            ],
            "states": [],
            "devices": [{"id": "a"}, {"id": "b"}, {"id": "x"}, {"id": "status"}, {"id": "nothing"}],
        });
        let r = score(&truth, &events, &snap);
        let c = &r.classes["continuous"];
        assert_eq!(
            (c.series, c.false_episodes),
            (1, 1),
            "the faulty series is not healthy, its second episode in the fault's window is the fault's; the stuck is false"
        );
        assert!((c.hours - 1.0).abs() < 1e-9 && (c.false_seconds - 600.0).abs() < 1e-9);
        assert_eq!(
            (
                r.classes["undeclared"].series,
                r.classes["undeclared"].false_episodes
            ),
            (2, 0),
            "the derived field's spike in the fault's window is the fault's"
        );
        let spike = &r.kinds["spike"];
        assert_eq!((spike.faults, spike.found, spike.named), (1, 1, 1));
        assert_eq!(spike.delays, vec![1.0]);
        let drift = &r.kinds["drift"];
        assert_eq!((drift.faults, drift.hidden, drift.found), (0, 1, 0));
        assert!(r.table("t").contains("1 more fault(s) hidden"));
        assert!(
            !r.kinds.contains_key("offline"),
            "liveness faults are judged by the device check"
        );
        assert_eq!((r.devices, r.rows), (2, 5));
        // b has rows b and x; `status` is a level of a's topic (a second row of a); `nothing`
        // stands for no device.
        assert_eq!(
            (r.split_devices, r.merged_rows, r.unattributed_rows),
            (2, 0, 1)
        );
        assert_eq!((r.down_periods, r.down_said, r.false_liveness), (1, 1, 1));
        // The gates: one false stuck in one series-hour is far past 0.01 per hour; the split
        // device and the false liveness change fail too (one in an hour and a half).
        let failed = r.check();
        assert!(
            failed.iter().any(|f| f.starts_with("continuous:")),
            "{failed:?}"
        );
        assert!(
            failed.iter().any(|f| f.contains("devices split")),
            "{failed:?}"
        );
        assert!(
            failed.iter().any(|f| f.contains("false offline")),
            "{failed:?}"
        );
        assert!(!failed.iter().any(|f| f.contains("found")), "{failed:?}");
        assert!(Report::default().check().is_empty());
    }
}
