//! One numeric stream: a fixed-capacity ring buffer with rolling statistics.
//!
//! Every update is O(1) amortised: mean and variance by Welford's update and its inverse,
//! minimum and maximum by monotonic queues. The statistics are recomputed exactly (two passes)
//! once per window length, so rounding cannot drift, and whenever the reading leaving the
//! window was its minimum or maximum and over a thousand times the other extreme in magnitude:
//! removing such a reading by the inverse update cancels catastrophically (one 1e17 among
//! readings near 1 left a mean below the window's own minimum). That is rare, so this stays
//! O(1) amortised. Windows whose largest magnitude is over 1e150 or under 1e-150 keep their statistics
//! scaled by it, recomputed exactly at each reading, so ±1e308 still gives a finite σ.

use std::collections::VecDeque;

use chrono::{DateTime, Utc};

use super::detect::{self, Detector, Episode};
use super::rate::RateMeter;

/// Windows whose largest magnitude is above this, or below its inverse, keep scaled
/// statistics (squares would overflow, or underflow into subnormals).
const HUGE: f64 = 1e150;

/// How many closed anomaly episodes each series keeps with their reasons.
pub const RECENT_EPISODES: usize = 8;

/// A sliding window over the last `capacity` readings.
#[derive(Debug, Clone)]
pub struct Window {
    capacity: usize,
    values: VecDeque<f64>,
    /// Reading times in epoch milliseconds, parallel to `values` (for the chart).
    times: VecDeque<i64>,
    /// Sequence number of the next reading; readings `pushed - len .. pushed` are in the window.
    pushed: u64,
    mean: f64,
    /// Sum of squared deviations, divided by `scale²`.
    m2: f64,
    /// 1, or the largest magnitude in the window when it exceeds [`HUGE`].
    scale: f64,
    /// Sequence numbers of readings whose values increase from the front: the front is the
    /// minimum. Values are read from `values`, so an entry costs 8 bytes, not 16.
    min_q: VecDeque<u64>,
    /// Sequence numbers of readings whose values decrease from the front: the maximum first.
    max_q: VecDeque<u64>,
    since_exact: usize,
    /// The largest magnitude in the window since the last exact recomputation: the running
    /// sums carry rounding of its order, so once the window's extremes are far below it they
    /// are recomputed (several large readings leaving one after the other add up).
    peak: f64,
}

impl Window {
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(2);
        Window {
            capacity,
            values: VecDeque::new(),
            times: VecDeque::new(),
            pushed: 0,
            mean: 0.0,
            m2: 0.0,
            scale: 1.0,
            min_q: VecDeque::new(),
            max_q: VecDeque::new(),
            since_exact: 0,
            peak: 0.0,
        }
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Adds a reading; returns the one that fell out of the window, if any.
    pub fn push(&mut self, t_ms: i64, x: f64) -> Option<f64> {
        let evicted = if self.values.len() == self.capacity {
            self.times.pop_front();
            let old = self.values.pop_front();
            if let Some(y) = old {
                self.remove_stat(y);
            }
            old
        } else {
            None
        };
        if self.values.len() == self.values.capacity() {
            // Grown in steps of four up to the window's size and no further: a series that
            // has had a few readings holds a few, a full window holds exactly its capacity, and
            // few outgrown buffers are left behind (BENCHMARKS.md, "Memory per series").
            let want = (self.values.len() * 4).max(8).min(self.capacity);
            self.values.reserve_exact(want - self.values.len());
            self.times.reserve_exact(want - self.times.len());
        }
        self.values.push_back(x);
        self.times.push_back(t_ms);
        if self.scale == 1.0 {
            self.add_stat(x);
        }

        let seq = self.pushed;
        self.pushed += 1;
        let oldest = self.pushed - self.values.len() as u64;
        // Entries older than the window leave first, so every lookup below is in range.
        while self.min_q.front().is_some_and(|&q| q < oldest) {
            self.min_q.pop_front();
        }
        while self.max_q.front().is_some_and(|&q| q < oldest) {
            self.max_q.pop_front();
        }
        while self.min_q.back().is_some_and(|&q| self.at(q, oldest) >= x) {
            self.min_q.pop_back();
        }
        self.min_q.push_back(seq);
        while self.max_q.back().is_some_and(|&q| self.at(q, oldest) <= x) {
            self.max_q.pop_back();
        }
        self.max_q.push_back(seq);

        if x.is_finite() {
            self.peak = self.peak.max(x.abs());
        }
        // A reading left and the window's extremes are now far below the largest magnitude the
        // running sums saw: an inverse update would leave rounding of that order, so recompute.
        // (A steadily rising counter loses its minimum at every reading: that stays cheap.)
        let extreme_left = evicted.is_some() && {
            let big = self
                .min()
                .map_or(0.0, f64::abs)
                .max(self.max().map_or(0.0, f64::abs));
            self.peak > 1e3 * big
        };
        self.since_exact += 1;
        if self.since_exact >= self.capacity
            || extreme_left
            || self.scale != 1.0
            || x.abs() > HUGE
            || (x != 0.0 && x.abs() < 1.0 / HUGE)
        {
            self.recompute();
        }
        evicted
    }

    /// The value of reading `seq`, which must still be in the window.
    fn at(&self, seq: u64, oldest: u64) -> f64 {
        self.values[(seq - oldest) as usize]
    }

    fn add_stat(&mut self, x: f64) {
        let n = self.values.len() as f64;
        let d = x - self.mean;
        self.mean += d / n;
        self.m2 += d * (x - self.mean);
    }

    /// Called after `y` left `values`.
    fn remove_stat(&mut self, y: f64) {
        if self.scale != 1.0 {
            return; // recomputed after the push
        }
        let n = self.values.len() as f64;
        if n == 0.0 {
            self.mean = 0.0;
            self.m2 = 0.0;
            return;
        }
        let d = y - self.mean;
        self.mean -= d / n;
        self.m2 = (self.m2 - d * (y - self.mean)).max(0.0);
    }

    fn recompute(&mut self) {
        self.since_exact = 0;
        let n = self.values.len() as f64;
        if n == 0.0 {
            self.mean = 0.0;
            self.m2 = 0.0;
            self.scale = 1.0;
            return;
        }
        let big = self
            .values
            .iter()
            .map(|x| x.abs())
            .filter(|x| x.is_finite())
            .fold(0.0, f64::max);
        // Huge magnitudes would overflow their squares, tiny ones underflow into subnormals.
        self.scale = if big > HUGE || (big > 0.0 && big < 1.0 / HUGE) {
            big
        } else {
            1.0
        };
        self.peak = big;
        let s = self.scale;
        let mean_scaled = self.values.iter().map(|x| x / s).sum::<f64>() / n;
        self.mean = mean_scaled * s;
        self.m2 = self
            .values
            .iter()
            .map(|x| (x / s - mean_scaled).powi(2))
            .sum();
    }

    pub fn mean(&self) -> Option<f64> {
        (!self.is_empty()).then_some(self.mean)
    }

    /// Sum of squared deviations from the mean (for pooling windows; infinite when the
    /// window holds magnitudes whose squares overflow).
    pub fn m2(&self) -> f64 {
        self.m2 * self.scale * self.scale
    }

    /// Sample variance (n − 1); needs two readings.
    pub fn variance(&self) -> Option<f64> {
        (self.len() >= 2).then(|| self.m2 / (self.len() - 1) as f64 * self.scale * self.scale)
    }

    /// Sample standard deviation; needs two readings. Finite for any finite readings.
    pub fn stddev(&self) -> Option<f64> {
        (self.len() >= 2).then(|| (self.m2 / (self.len() - 1) as f64).sqrt() * self.scale)
    }

    fn oldest(&self) -> u64 {
        self.pushed - self.values.len() as u64
    }

    pub fn min(&self) -> Option<f64> {
        self.min_q.front().map(|&q| self.at(q, self.oldest()))
    }

    pub fn max(&self) -> Option<f64> {
        self.max_q.front().map(|&q| self.at(q, self.oldest()))
    }

    /// Values, oldest first.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = f64> + ExactSizeIterator + '_ {
        self.values.iter().copied()
    }

    /// (epoch ms, value), oldest first.
    pub fn points(&self) -> impl DoubleEndedIterator<Item = (i64, f64)> + '_ {
        self.times.iter().copied().zip(self.values.iter().copied())
    }
}

/// Identity and state of one series: (topic, field).
#[derive(Debug, Clone)]
pub struct Series {
    /// The twin's id for the series: unique in this process, never reused (the store's key).
    pub uid: u64,
    pub topic: String,
    pub field: String,
    pub device: String,
    /// The topic's sensor level, else the device (for `{sensor}` in command templates).
    pub sensor: String,
    pub unit: Option<String>,
    pub zone: Option<String>,
    pub measurement: Option<String>,
    /// Published by an averaging agent rather than a sensor.
    pub aggregate: bool,
    /// Grouping label for the UI, computed once.
    pub group: String,
    /// Short row label for the UI, computed once.
    pub label: String,
    pub window: Window,
    /// All readings ever seen.
    pub count: u64,
    pub last: f64,
    /// Time of the last reading (from the payload when it says, else receipt).
    pub last_time: DateTime<Utc>,
    /// Receipt time of the last reading.
    pub last_seen: DateTime<Utc>,
    /// Messages of its topic received when its last reading came (its topic's count then).
    pub topic_seen: u64,
    pub rate: RateMeter,
    /// Anomaly episodes ever opened on this series.
    pub anomalies: u64,
    /// Whether an anomaly episode is open now (what the screen marks and `R` resets).
    pub anomalous: bool,
    /// The anomaly score of the latest reading, 0 to 1 (`detect::score`); `None` while the
    /// series is learning, and with `--detector lab`.
    pub score: Option<f32>,
    /// The open episode, if any.
    pub episode: Option<Episode>,
    /// The latest closed episodes, oldest first.
    pub episodes: VecDeque<Episode>,
    /// Silences that spanned a disconnection of twinview's (not resumed by the broker) and
    /// were longer than the series' usual interval: readings probably missed.
    pub gaps: u64,
    /// The latest such gap: (last reading before, first reading after, readings probably
    /// missed by the learnt interval).
    pub last_gap: Option<(DateTime<Utc>, DateTime<Utc>, u64)>,
    /// When another agent last named this sensor in an alert.
    pub alerted_at: Option<DateTime<Utc>>,
    /// The default detectors' state.
    pub detector: Detector,
    /// Its setpoint, once found by name (see [`super::tracking`]).
    pub setpoint: Option<Box<super::tracking::Setpoint>>,
    /// When its name says it may have a setpoint not yet found: how many setpoint-named series
    /// the twin had when it last looked (it looks again only when one was added).
    pub setpoint_looked: Option<usize>,
    /// Where its device is in the device table, while that stays valid.
    pub device_slot: super::devices::Slot,
    /// The other probe of its quantity on its device, when there is exactly one (see
    /// [`super::pairs`]), and whether it was looked for.
    pub pair: Option<Box<super::pairs::Pair>>,
    pub pair_looked: bool,
    /// The same series of its one numbered sibling device, when there is exactly one
    /// (`press2`'s motor temperature for `press1`'s), compared only to name a lone step (see
    /// [`super::pairs`], "Siblings"); the latest drift's end their difference showed, and
    /// whether the sibling was looked for.
    pub sibling: Option<Box<super::pairs::Pair>>,
    pub sibling_end: Option<super::pairs::DriftEnd>,
    pub sibling_looked: bool,
    /// The state of its device it wakes with, once it was silent at one's change (see
    /// [`super::follows`]).
    pub follows: Option<Box<super::follows::Follows>>,
}

impl Series {
    /// Tells its detector what its unit (just set) says of its scale (see
    /// [`detect::degrees`]): asked when the unit is set, not of every reading.
    pub fn unit_known(&mut self) {
        self.detector.degrees = detect::degrees(self.unit.as_deref()).is_some();
    }

    /// Keeps a closed episode among the recent ones.
    pub fn remember(&mut self, e: Episode) {
        if self.episodes.len() == RECENT_EPISODES {
            self.episodes.pop_front();
        }
        self.episodes.push_back(e);
    }

    /// The open episode, else the latest closed one.
    pub fn last_anomaly(&self) -> Option<&Episode> {
        self.episode.as_ref().or(self.episodes.back())
    }

    /// Open and recent episodes, newest first.
    pub fn recent_episodes(&self) -> impl Iterator<Item = &Episode> {
        self.episode.iter().chain(self.episodes.iter().rev())
    }

    /// `sensor` or `aggregate` (an averaging agent's output), as the snapshot says.
    pub fn kind(&self) -> &'static str {
        if self.aggregate {
            "aggregate"
        } else {
            "sensor"
        }
    }

    /// `topic` or `topic [field]` when the topic carries several fields.
    pub fn display_name(&self) -> String {
        if self.field == "value" {
            self.topic.clone()
        } else {
            format!("{} [{}]", self.topic, self.field)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn naive(values: &[f64]) -> (f64, f64, f64, Option<f64>) {
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let min = values.iter().copied().fold(f64::INFINITY, f64::min);
        let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let sd = (values.len() >= 2)
            .then(|| (values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt());
        (mean, min, max, sd)
    }

    #[test]
    fn a_window_holds_what_it_was_given_and_never_more_than_its_size() {
        let mut w = Window::new(120);
        assert_eq!(
            w.values.capacity(),
            0,
            "nothing allocated before the first reading"
        );
        for i in 0..5 {
            w.push(i, i as f64);
        }
        assert!(
            w.values.capacity() < 120,
            "a few readings hold a small buffer"
        );
        for i in 5..1000 {
            w.push(i, i as f64);
            assert!(w.values.capacity() <= 120 && w.times.capacity() <= 120);
        }
        assert_eq!((w.len(), w.values.capacity()), (120, 120));
        assert_eq!(w.values().next(), Some(880.0));
    }

    #[test]
    fn small_window_by_hand() {
        let mut w = Window::new(3);
        assert_eq!(w.mean(), None);
        assert_eq!(w.stddev(), None);
        for (i, x) in [1.0, 2.0, 3.0].into_iter().enumerate() {
            assert_eq!(w.push(i as i64, x), None);
        }
        assert_eq!(w.mean(), Some(2.0));
        assert_eq!(w.stddev(), Some(1.0));
        assert_eq!((w.min(), w.max()), (Some(1.0), Some(3.0)));
        assert_eq!(w.push(3, 10.0), Some(1.0));
        // window is now [2, 3, 10]
        assert_eq!(w.mean(), Some(5.0));
        assert_eq!((w.min(), w.max()), (Some(2.0), Some(10.0)));
        assert!((w.stddev().unwrap() - 19f64.sqrt()).abs() < 1e-12);
        assert_eq!(w.points().next(), Some((1, 2.0)));
    }

    /// Exact mean and σ of `values` in scaled two-pass form (finite for any finite input).
    fn exact(values: &[f64]) -> (f64, Option<f64>) {
        let n = values.len() as f64;
        let s = values.iter().map(|x| x.abs()).fold(0.0, f64::max);
        let s = if s > 0.0 { s } else { 1.0 };
        let m = values.iter().map(|x| x / s).sum::<f64>() / n;
        let sd = (values.len() >= 2).then(|| {
            (values.iter().map(|x| (x / s - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt() * s
        });
        (m * s, sd)
    }

    #[test]
    fn an_outlier_leaving_the_window_leaves_exact_statistics() {
        // The review's case: one 1e17 among readings of 0.5…2.5, then it leaves a window of 10.
        let mut w = Window::new(10);
        w.push(0, 1e17);
        for i in 1..=10 {
            w.push(i, 0.5 + (i % 5) as f64 * 0.5);
        }
        let vals: Vec<f64> = w.values().collect();
        let (mean, sd) = exact(&vals);
        assert!(
            (w.mean().unwrap() - mean).abs() < 1e-12,
            "{:?} vs {mean}",
            w.mean()
        );
        assert!(w.mean().unwrap() >= w.min().unwrap());
        assert!((w.stddev().unwrap() - sd.unwrap()).abs() < 1e-12);
        // ±1e308 alternating: σ finite and right.
        let mut w = Window::new(4);
        for i in 0..6 {
            w.push(i, if i % 2 == 0 { 1e308 } else { -1e308 });
        }
        let sd = w.stddev().unwrap();
        assert!(sd.is_finite(), "{sd}");
        assert!((sd / 1.1547005383792515e308 - 1.0).abs() < 1e-12, "{sd}");
        assert_eq!(w.mean(), Some(0.0));
    }

    /// Found by the long property run: two large readings leaving one after the other, each
    /// under 1000× the extreme left behind, added their rounding up (σ off by 3e-4).
    #[test]
    fn large_readings_leaving_in_turn_leave_exact_statistics() {
        let mut stream = vec![1e125, -1.0000000000000002e122];
        stream.extend([1.0; 17]);
        stream.extend([1.0000000000000001e119, 1.0]);
        let mut w = Window::new(19);
        for (i, x) in stream.iter().enumerate() {
            w.push(i as i64, *x);
        }
        let (mean, sd) = exact(&stream[stream.len() - 19..]);
        assert!((w.mean().unwrap() - mean).abs() <= 1e-9 * 1e119);
        assert!(
            (w.stddev().unwrap() - sd.unwrap()).abs() <= 1e-9 * 1e119,
            "{:?} vs {sd:?}",
            w.stddev()
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(crate::testing::cases(256)))]
        /// Readings mixing magnitudes from 1e-300 to 1e300: mean and σ stay within a relative
        /// 1e-9 of the exact scaled two-pass values (relative to the window's largest magnitude).
        #[test]
        fn statistics_stay_exact_across_magnitudes(
            cap in 2usize..20,
            stream in prop::collection::vec(
                (any::<bool>(), 1.0f64..10.0, -300i32..300).prop_map(|(neg, m, e)| {
                    let x = m * 10f64.powi(e);
                    if neg { -x } else { x }
                }),
                1..120,
            ),
        ) {
            let mut w = Window::new(cap);
            for (i, &x) in stream.iter().enumerate() {
                w.push(i as i64, x);
                let start = (i + 1).saturating_sub(cap);
                let win = &stream[start..=i];
                let (mean, sd) = exact(win);
                let scale = win.iter().map(|x| x.abs()).fold(f64::MIN_POSITIVE, f64::max);
                prop_assert!((w.mean().unwrap() - mean).abs() <= 1e-9 * scale,
                    "mean {:?} vs {} in {:?}", w.mean(), mean, win);
                match (w.stddev(), sd) {
                    (Some(a), Some(b)) => prop_assert!(a.is_finite() && (a - b).abs() <= 1e-9 * scale,
                        "σ {} vs {} in {:?}", a, b, win),
                    (None, None) => {}
                    other => prop_assert!(false, "stddev mismatch {:?}", other),
                }
            }
        }

        #[test]
        #[test]
        fn rolling_stats_match_naive_recomputation(
            cap in 2usize..50,
            stream in prop::collection::vec(-1e6f64..1e6, 1..400),
        ) {
            let mut w = Window::new(cap);
            for (i, &x) in stream.iter().enumerate() {
                w.push(i as i64, x);
                let start = (i + 1).saturating_sub(cap);
                let win = &stream[start..=i];
                let (mean, min, max, sd) = naive(win);
                let scale = win.iter().map(|x| x.abs()).fold(1.0, f64::max);
                prop_assert_eq!(w.len(), win.len());
                prop_assert!((w.mean().unwrap() - mean).abs() <= 1e-9 * scale);
                prop_assert_eq!(w.min(), Some(min));
                prop_assert_eq!(w.max(), Some(max));
                match (w.stddev(), sd) {
                    (Some(a), Some(b)) => prop_assert!((a - b).abs() <= 1e-6 * scale, "{} vs {}", a, b),
                    (None, None) => {}
                    other => prop_assert!(false, "stddev mismatch {:?}", other),
                }
            }
        }
    }
}
