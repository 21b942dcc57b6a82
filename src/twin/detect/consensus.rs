//! A zone's consensus (the median of its members' offset-corrected latest readings) and the
//! process-change detector on it: the whole zone moving together is the process, said once for
//! the zone, not a fault of each member.

use std::collections::VecDeque;

use chrono::{DateTime, Utc};

use super::{DetectorConfig, SCALE_TAU_S};

/// Median of a slice (reordered in place); None when empty.
pub(crate) fn median(xs: &mut [f64]) -> Option<f64> {
    if xs.is_empty() {
        return None;
    }
    let mid = xs.len() / 2;
    let (_, m, _) = xs.select_nth_unstable_by(mid, f64::total_cmp);
    let m = *m;
    if xs.len() % 2 == 1 {
        Some(m)
    } else {
        let lower = xs[..mid].iter().copied().fold(f64::NEG_INFINITY, f64::max);
        Some(0.5 * (lower + m))
    }
}

/// A process change: the whole zone moved together.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessChange {
    pub start: DateTime<Utc>,
    pub last: DateTime<Utc>,
    pub closed: bool,
    /// Consensus change over the horizon when it opened, and the largest since.
    pub change: f64,
    pub peak: f64,
    pub sensors: usize,
    pub reason: String,
    calm: usize,
}

/// The robust consensus of a zone's sensors (median of offset-corrected latest readings),
/// and the process-change detector on it.
#[derive(Debug, Clone, Default)]
pub struct Consensus {
    /// Series indices in the twin.
    pub members: Vec<usize>,
    /// Latest corrected reading of each member, its time (epoch ms), and whether it counts.
    latest: Vec<(f64, i64, bool)>,
    value: Option<f64>,
    since: usize,
    scratch: Vec<f64>,
    /// The votes of the last evaluation, sorted, and when it was made (epoch ms).
    sorted: Vec<f64>,
    evaluated_ms: i64,
    /// (time, consensus, running sum), one a second at most, for the last few minutes.
    history: VecDeque<(DateTime<Utc>, f64, f64)>,
    /// Learnt mean |change of pace|.
    change_scale: f64,
    changes_seen: u64,
    change_secs: f64,
    last_change_at: Option<DateTime<Utc>>,
    pub current: Option<ProcessChange>,
    /// Every process change so far (bounded).
    pub past: VecDeque<ProcessChange>,
    /// A family of numbered probes, not a zone a schema names: its members are compared, but
    /// it has no process changes (the user named no process to follow).
    pub inferred: bool,
}

/// How far back the process-change detector compares the consensus …
const HORIZON_S: i64 = 120;
/// … each time over a minute's mean.
const WINDOW_S: i64 = 60;
/// Members needed for a consensus.
pub const CONSENSUS_MIN: usize = 3;
/// Others voting, at least, for a consensus that one faulty member cannot move (the median of
/// two is their mean).
pub const ROBUST_PEERS: usize = 3;
/// Process changes kept per zone.
const PAST_CHANGES: usize = 16;

/// What a consensus update found about the zone.
#[derive(Debug, PartialEq)]
pub enum ZoneNews {
    Started(ProcessChange),
    Ended(ProcessChange),
}

impl Consensus {
    /// The consensus of a family of numbered probes (no process changes: see `inferred`).
    pub fn family() -> Consensus {
        Consensus {
            inferred: true,
            ..Consensus::default()
        }
    }

    /// Adds series `idx`; returns its position, by which it is named from then on.
    pub fn add_member(&mut self, idx: usize, at: DateTime<Utc>) -> usize {
        self.members.push(idx);
        self.latest.push((f64::NAN, at.timestamp_millis(), false));
        self.members.len() - 1
    }

    /// Replaces member indices (after eviction); `keep[i]` is the new index of member i.
    pub fn remap(&mut self, remap: &[Option<usize>]) {
        let mut members = Vec::new();
        let mut latest = Vec::new();
        for (m, l) in self.members.iter().zip(&self.latest) {
            if let Some(new) = remap[*m] {
                members.push(new);
                latest.push(*l);
            }
        }
        self.members = members;
        self.latest = latest;
        self.since = usize::MAX / 2;
    }

    /// The consensus for judging a member (None with too few peers reporting).
    pub fn value(&self) -> Option<f64> {
        self.value
    }

    /// The consensus of the member at position `pos`'s peers: the median of the others'
    /// latest readings (a sensor is not judged against itself). None with fewer than two
    /// peers voting.
    pub fn value_for(&self, pos: usize) -> Option<f64> {
        self.value_and_voters_for(pos).map(|(v, _, _)| v)
    }

    /// [`Consensus::value_for`], and how many others voted for it.
    /// The median of the others' votes, how many they are, and the lowest and highest of them.
    pub fn value_and_voters_for(&self, pos: usize) -> Option<(f64, usize, (f64, f64))> {
        self.value?;
        let mine = self
            .latest
            .get(pos)
            .filter(|(v, _, ok)| *ok && v.is_finite())
            .map(|(v, _, _)| *v);
        let sorted = &self.sorted;
        let skip = mine.and_then(|v| sorted.binary_search_by(|x| x.total_cmp(&v)).ok());
        let n = sorted.len() - usize::from(skip.is_some());
        if n < 2 {
            return None;
        }
        // The k-th of the others, in the sorted votes with `skip` left out.
        let at = |k: usize| match skip {
            Some(s) if k >= s => sorted[k + 1],
            _ => sorted[k],
        };
        Some((
            if n % 2 == 1 {
                at(n / 2)
            } else {
                0.5 * (at(n / 2 - 1) + at(n / 2))
            },
            n,
            (at(0), at(n - 1)),
        ))
    }

    /// Whether the zone is in a process change now.
    pub fn moving(&self) -> bool {
        self.current.is_some()
    }

    /// Records the reading of the member at position `pos` (`corrected` None: it does not
    /// count for now), and re-evaluates the consensus at most once per eighth of the group
    /// (amortised O(log n) per reading).
    pub fn update(
        &mut self,
        pos: usize,
        corrected: Option<f64>,
        at: DateTime<Utc>,
        interval: f64,
        cfg: &DetectorConfig,
    ) -> Option<ZoneNews> {
        let t = at.timestamp_millis();
        if let Some(l) = self.latest.get_mut(pos) {
            *l = match corrected {
                Some(c) => (c, t, true),
                None => (l.0, t, false),
            };
        }
        self.since += 1;
        // At most once per eighth of the group, and, for groups larger than eight, at most
        // once a second unless the whole group has reported since.
        let n = self.members.len();
        if self.since < (n / 8).max(1) || (n > 8 && self.since < n && t - self.evaluated_ms < 1000)
        {
            return None;
        }
        self.since = 0;
        self.evaluated_ms = t;
        // Members that have not reported for a while do not vote.
        let fresh_ms = ((interval * 5.0).max(30.0) * 1000.0) as i64;
        self.scratch.clear();
        for &(v, seen, ok) in &self.latest {
            if ok && v.is_finite() && t - seen <= fresh_ms {
                self.scratch.push(v);
            }
        }
        let voters = self.scratch.len();
        self.scratch.sort_unstable_by(f64::total_cmp);
        // Two voters judge a third member (one left out while its episode is open is still
        // judged against the other two, so its episode can end); a member is never judged
        // against fewer than two others (`value_for`), and the zone's own movement needs
        // CONSENSUS_MIN voters.
        self.value = if voters >= CONSENSUS_MIN - 1 && self.members.len() >= CONSENSUS_MIN {
            median(&mut self.scratch)
        } else {
            None
        };
        std::mem::swap(&mut self.sorted, &mut self.scratch);
        let c = self.value?;
        if self.inferred || voters < CONSENSUS_MIN {
            return None;
        }
        self.process(c, at, voters, cfg)
    }

    fn process(
        &mut self,
        c: f64,
        at: DateTime<Utc>,
        voters: usize,
        cfg: &DetectorConfig,
    ) -> Option<ZoneNews> {
        // At most one sample a second, with a running sum so that window means cost a search.
        if self
            .history
            .back()
            .is_none_or(|h| (at - h.0).num_milliseconds() >= 1000)
        {
            let sum = self.history.back().map_or(0.0, |h| h.2) + c;
            self.history.push_back((at, c, sum));
        }
        let keep = 2 * HORIZON_S + WINDOW_S + 30;
        while self
            .history
            .front()
            .is_some_and(|h| (at - h.0).num_seconds() > keep)
        {
            self.history.pop_front();
        }
        while self.history.len() > 2 * keep as usize {
            self.history.pop_front();
        }
        let first = self.history.front()?.0;
        if (at - first).num_seconds() < 2 * HORIZON_S + WINDOW_S {
            return None;
        }
        // Mean consensus over the minute ending `ago` seconds before now.
        let mean = |ago: i64| -> Option<f64> {
            let end = at - chrono::Duration::seconds(ago);
            let begin = end - chrono::Duration::seconds(WINDOW_S);
            let i = self.history.partition_point(|h| h.0 <= begin);
            let j = self.history.partition_point(|h| h.0 <= end);
            if j <= i {
                return None;
            }
            let before = if i == 0 { 0.0 } else { self.history[i - 1].2 };
            Some((self.history[j - 1].2 - before) / (j - i) as f64)
        };
        let (a, b, c0) = (mean(0)?, mean(HORIZON_S)?, mean(2 * HORIZON_S)?);
        // The change over the last two minutes minus the one before: a slow cycle, whose
        // pace barely changes in minutes, is not a change.
        let change = (a - b) - (b - c0);
        let moved = a - b;
        let dt = self.last_change_at.map_or(1.0, |l| {
            ((at - l).num_milliseconds() as f64 / 1000.0).max(0.0)
        });
        self.last_change_at = Some(at);
        self.changes_seen += 1;
        self.change_secs += dt;
        let open = self.current.is_some();
        // A plain mean over ten minutes (and 30 samples) at least, then a clipped running mean.
        if self.change_secs < 600.0 || self.changes_seen < 30 {
            self.change_scale += (change.abs() - self.change_scale) / self.changes_seen as f64;
            return None;
        }
        let scale = self.change_scale.max(1e-9 * c.abs().max(1.0));
        let ratio = change / scale;
        if !open {
            self.change_scale +=
                (change.abs().min(3.0 * scale) - self.change_scale) * (dt / SCALE_TAU_S).min(0.01);
        }
        match &mut self.current {
            None if ratio.abs() > cfg.process => {
                let p = ProcessChange {
                    start: at - chrono::Duration::seconds(HORIZON_S + WINDOW_S / 2),
                    last: at,
                    closed: false,
                    change: moved,
                    peak: moved,
                    sensors: voters,
                    reason: format!(
                        "the zone moved {moved:+.3} in {HORIZON_S} s, {:.0}× more than its usual pace, {voters} sensors together",
                        ratio.abs()
                    ),
                    calm: 0,
                };
                self.current = Some(p.clone());
                Some(ZoneNews::Started(p))
            }
            Some(p) => {
                if ratio.abs() > cfg.process / 2.0 {
                    p.calm = 0;
                    p.last = at;
                    if moved.abs() > p.peak.abs() {
                        p.peak = moved;
                    }
                    None
                } else {
                    p.calm += 1;
                    // Calm for a whole horizon: over.
                    if (at - p.last).num_seconds() >= HORIZON_S {
                        let mut p = self.current.take()?;
                        p.closed = true;
                        if self.past.len() == PAST_CHANGES {
                            self.past.pop_front();
                        }
                        self.past.push_back(p.clone());
                        Some(ZoneNews::Ended(p))
                    } else {
                        None
                    }
                }
            }
            None => None,
        }
    }
}
