//! Text states as first-class series: a plain word (`ON`, `idle`, `unavailable`) or a string
//! or boolean member of a JSON payload (`state`, `occupancy`, `update.state`) keeps its
//! current value, since when it holds and a bounded history of its changes.
//!
//! A state's `since` is only known once twinview has seen it change: the first value seen
//! (a retained message, or the first report after twinview started) may have held for any
//! time before, so `since` is `None` — unknown — until the first change.

use std::collections::VecDeque;

use chrono::{DateTime, Utc};

use super::bound;
use super::FastMap;

/// Changes kept per state series (oldest dropped first).
pub const MAX_CHANGES: usize = 32;

/// One state series: a topic's field whose values are words.
#[derive(Debug, Clone, PartialEq)]
pub struct StateSeries {
    pub topic: String,
    pub field: String,
    pub device: String,
    /// The heading it is listed under (as for numeric series).
    pub group: String,
    pub label: String,
    pub value: String,
    /// When the current value began; `None` (unknown) until twinview has seen a change.
    pub since: Option<DateTime<Utc>>,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    /// Reports received (a report repeating the value counts, it is no change).
    pub count: u64,
    /// Changes seen, ever (the history keeps the latest [`MAX_CHANGES`]).
    pub changes: u64,
    /// (when, the value it changed to), oldest first; starts with the first value seen.
    pub history: VecDeque<(DateTime<Utc>, String)>,
}

impl StateSeries {
    /// The value at time `t`, as far as twinview saw: `None` before the first report.
    pub fn value_at(&self, t: DateTime<Utc>) -> Option<&str> {
        self.history
            .iter()
            .rev()
            .find(|(at, _)| *at <= t)
            .map(|(_, v)| v.as_str())
    }

    /// The value it spent the most time at, by its kept changes, up to `until` (a door's
    /// shut); `None` before the first report.
    pub fn most_held(&self, until: DateTime<Utc>) -> Option<&str> {
        let h = &self.history;
        let mut time: Vec<(&str, i64)> = Vec::new();
        for (i, (t, v)) in h.iter().enumerate() {
            let end = h.get(i + 1).map_or(until, |n| n.0);
            let held = (end - *t).num_milliseconds().max(0);
            match time.iter_mut().find(|(w, _)| *w == v.as_str()) {
                Some((_, sum)) => *sum += held,
                None => time.push((v.as_str(), held)),
            }
        }
        time.iter().max_by_key(|(_, sum)| *sum).map(|(v, _)| *v)
    }
}

/// Where a new state series is listed: its device, heading and label.
#[derive(Debug, Clone)]
pub struct Placement {
    pub device: String,
    pub group: String,
    pub label: String,
}

/// Every state series, bounded (`--max-series`; least recently seen eighth forgotten).
#[derive(Debug, Clone)]
pub struct States {
    pub list: Vec<StateSeries>,
    /// Topic → (field, index into `list`).
    index: FastMap<Box<str>, Vec<(Box<str>, usize)>>,
    /// Bumped whenever a series is added or forgotten (the Sensors tab's layout key).
    pub revision: u64,
    /// At most this many series.
    cap: usize,
    /// Series forgotten because of the cap.
    pub evicted: u64,
}

impl Default for States {
    fn default() -> Self {
        States::with_cap(usize::MAX)
    }
}

impl States {
    pub fn with_cap(cap: usize) -> States {
        States {
            list: Vec::new(),
            index: FastMap::default(),
            revision: 0,
            cap: cap.max(1),
            evicted: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub fn find(&self, topic: &str, field: &str) -> Option<usize> {
        self.index
            .get(topic)?
            .iter()
            .find(|(f, _)| f.as_ref() == field)
            .map(|(_, i)| *i)
    }

    /// The first state series of a topic.
    pub fn find_topic(&self, topic: &str) -> Option<usize> {
        self.index.get(topic)?.first().map(|(_, i)| *i)
    }

    /// The state series of a topic.
    pub fn of_topic(&self, topic: &str) -> impl Iterator<Item = &StateSeries> {
        self.index
            .get(topic)
            .into_iter()
            .flatten()
            .map(|(_, i)| &self.list[*i])
    }

    /// Applies one report. Returns `Some((from, to))` when the value changed. `place` is
    /// asked only for a series not seen before; at the cap the least recently reported eighth
    /// is forgotten first (counted in `evicted`).
    pub fn report(
        &mut self,
        topic: &str,
        field: &str,
        value: &str,
        at: DateTime<Utc>,
        place: impl FnOnce() -> Placement,
    ) -> Option<(String, String)> {
        if let Some(i) = self.find(topic, field) {
            let s = &mut self.list[i];
            s.count += 1;
            s.last_seen = s.last_seen.max(at);
            if s.value == value {
                return None;
            }
            let from = std::mem::replace(&mut s.value, value.to_string());
            s.since = Some(at);
            s.changes += 1;
            if s.history.len() >= MAX_CHANGES {
                s.history.pop_front();
            }
            s.history.push_back((at, value.to_string()));
            return Some((from, value.to_string()));
        }
        if self.list.len() >= self.cap {
            self.evicted += self.evict() as u64;
        }
        let p = place();
        let i = self.list.len();
        self.list.push(StateSeries {
            topic: topic.to_string(),
            field: field.to_string(),
            device: p.device,
            group: p.group,
            label: p.label,
            value: value.to_string(),
            since: None,
            first_seen: at,
            last_seen: at,
            count: 1,
            changes: 0,
            history: VecDeque::from([(at, value.to_string())]),
        });
        self.index
            .entry(topic.into())
            .or_default()
            .push((field.into(), i));
        self.revision += 1;
        None
    }

    /// Forgets the least recently seen eighth; returns how many.
    fn evict(&mut self) -> usize {
        let seen: Vec<(usize, DateTime<Utc>)> = self
            .list
            .iter()
            .enumerate()
            .map(|(i, s)| (i, s.last_seen))
            .collect();
        let keys = bound::least_recent(seen.iter().map(|(i, t)| (i, *t)));
        let mut doomed = vec![false; self.list.len()];
        for k in &keys {
            doomed[*k] = true;
        }
        let old = std::mem::take(&mut self.list);
        self.list = old
            .into_iter()
            .enumerate()
            .filter(|(i, _)| !doomed[*i])
            .map(|(_, s)| s)
            .collect();
        self.reindex();
        self.revision += 1;
        keys.len()
    }

    fn reindex(&mut self) {
        self.index.clear();
        for (i, s) in self.list.iter().enumerate() {
            self.index
                .entry(s.topic.as_str().into())
                .or_default()
                .push((s.field.as_str().into(), i));
        }
    }

    /// Relabels every state series of `topic` (Home Assistant discovery arriving late).
    pub fn relabel(&mut self, topic: &str, f: impl Fn(&mut StateSeries)) {
        let Some(entries) = self.index.get(topic) else {
            return;
        };
        for (_, i) in entries {
            f(&mut self.list[*i]);
        }
        self.revision += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(s: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_700_000_000 + s, 0).unwrap()
    }

    fn place() -> Placement {
        Placement {
            device: "d".into(),
            group: "d".into(),
            label: "state".into(),
        }
    }

    #[test]
    fn since_is_unknown_until_a_change_is_seen() {
        let mut s = States::with_cap(10);
        assert_eq!(s.report("a", "state", "ON", t(0), place), None);
        assert_eq!(s.list[0].since, None, "held since before twinview saw it");
        assert_eq!(s.report("a", "state", "ON", t(5), place), None);
        assert_eq!(
            s.report("a", "state", "OFF", t(9), place),
            Some(("ON".into(), "OFF".into()))
        );
        let x = &s.list[0];
        assert_eq!((x.since, x.count, x.changes), (Some(t(9)), 3, 1));
        assert_eq!(x.value_at(t(4)), Some("ON"));
        assert_eq!(x.value_at(t(9)), Some("OFF"));
        assert_eq!(x.value_at(t(-1)), None);
    }

    #[test]
    fn history_and_table_are_bounded() {
        let mut s = States::with_cap(10);
        for i in 0..(MAX_CHANGES as i64 * 3) {
            let v = if i % 2 == 0 { "ON" } else { "OFF" };
            s.report("a", "state", v, t(i), place);
        }
        assert_eq!(s.list[0].history.len(), MAX_CHANGES);
        assert_eq!(s.list[0].changes, MAX_CHANGES as u64 * 3 - 1);
        for i in 0..100 {
            s.report(&format!("t{i}"), "value", "idle", t(1000 + i), place);
        }
        assert!(s.len() <= 10);
        assert_eq!(s.evicted as usize + s.len(), 101);
        assert!(s.find("t99", "value").is_some(), "the newest is kept");
        assert!(s.find("a", "state").is_none(), "the oldest went first");
        for (i, x) in s.list.iter().enumerate() {
            assert_eq!(s.find(&x.topic, &x.field), Some(i));
        }
    }
}
