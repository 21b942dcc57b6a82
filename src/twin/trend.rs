//! The trend test on a sensor's own history: a lone sensor (no zone peers to compare with)
//! that moves further in half an hour than it ever did while watched.
//!
//! Premise: a series watched for [`TREND_WARM_MIN`] minutes (a day) has shown how far it moves in
//! [`TREND_HORIZON_MIN`] minutes in its healthy life (its daily cycle so far, a room warming, a
//! machine loading); a change over that horizon [`TREND_K`] times the largest seen, steady in
//! direction (its later half moved the same way), is a drift of the sensor or of what it
//! measures, and is said as a drift. What it cannot know: a change of a kind the series never
//! showed while watched (the first sunrise, the first shift of a week) looks the same, so it is
//! judged only after hours of watching, only where the series has no peers, and a trend that
//! comes with another series' novel step is taken as a change of mode by the twin. A few-level
//! signal (an oven heating and cooling between its setpoints) is judged, and learns, only over
//! horizons within one level it had settled at: its switches are its life, a drift or a step
//! within a level is news, and is judged after hours of the level held rather than a day
//! ([`TREND_LEVEL_WARM`]), and only then: a series that becomes a few-level one starts its
//! learning again, and a day watched before says nothing of how it moves within a level. A change beyond the bar is a level shift when most of it came in its
//! last minutes ([`TREND_STEP_MIN`]), else a drift.
//!
//! Cost: O(1) per reading (a sum per minute, a ring of minute means).

/// Minutes over which a change is measured.
pub const TREND_HORIZON_MIN: usize = 30;
/// Minutes watched (with minute means at both ends of the horizon) before a trend is judged: a
/// whole day, so the day's own changes (a shift starting, the sun on a battery charger, the
/// heating's morning) have been seen once. Tried with 6 h on the home and plant worlds: 6
/// false drifts a day (two presses at the first shift, a battery charging at the first
/// sunrise), none found.
pub const TREND_WARM_MIN: u32 = 1440;
/// How many times the largest change seen over the horizon a change must be.
pub const TREND_K: f64 = 4.0;
/// Horizons within one level a few-level signal must have shown (and had learnt) before its
/// trends are judged: 3 hours of horizons (six independent half-hours). Premise: a controller
/// holds a level (an oven at its setpoint, a compressor at load); within it, half-hour means sit
/// still whatever the time of day, so the day's own changes need not have been seen, only hours
/// of the level held. Its switches are never learnt or judged (see the detector's
/// `judge_trend`). Tried with 4 hours on the plant world: an oven's level shift in its seventh
/// hour was missed, learnt as healthy, and its end said as a false drift.
pub const TREND_LEVEL_WARM: u32 = 180;
/// Minutes a few-level signal must have been at a level before a horizon starting there is
/// judged or learnt: the end of the ramp into a level lies within the level's band (an oven
/// heating from 80 to 200 °C is "at 200" from 190 on).
pub const TREND_LEVEL_SETTLE_MIN: i64 = 3;
/// A change that happened within this many minutes of the horizon's end, for at least
/// [`TREND_STEP_SHARE`] of it, is a level shift rather than a drift.
pub const TREND_STEP_MIN: usize = 3;
pub const TREND_STEP_SHARE: f64 = 0.75;

const RING: usize = TREND_HORIZON_MIN + 1;

/// Minute means of one series and the largest change it showed over the horizon.
#[derive(Debug, Clone)]
pub struct Trend {
    /// The minute being summed (epoch minutes), its Σ and count.
    minute: i64,
    sum: f64,
    n: u32,
    /// Minute means, `NaN` where a minute had no reading; `pos` is the next slot.
    means: [f64; RING],
    pos: usize,
    /// Minutes seen with a change over the horizon measured.
    watched: u32,
    /// The largest |change| over the horizon while the series was judged healthy.
    pub largest: f64,
    /// Changes learnt so far (see [`Trend::learn`]).
    pub learnt: u32,
    /// Changes judged healthy, learnt a horizon later (`NaN`: none): a drift that builds up
    /// slowly must not teach itself before it is big enough to be seen.
    pending: [f64; RING],
    pending_pos: usize,
}

impl Default for Trend {
    fn default() -> Trend {
        Trend {
            minute: i64::MIN,
            sum: 0.0,
            n: 0,
            means: [f64::NAN; RING],
            pos: 0,
            watched: 0,
            largest: 0.0,
            learnt: 0,
            pending: [f64::NAN; RING],
            pending_pos: 0,
        }
    }
}

/// A change over the horizon, once a minute closes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Change {
    /// The mean of the minute that closed, minus the mean [`TREND_HORIZON_MIN`] minutes before.
    pub change: f64,
    /// The same over the later half of the horizon.
    pub later: f64,
    /// The two minute means compared: the horizon's first and its last.
    pub then: f64,
    pub now: f64,
    /// The largest |change| seen before, and whether enough was watched to judge.
    pub largest: f64,
    pub warm: bool,
    /// When the horizon began (epoch ms of its first minute).
    pub then_ms: i64,
    /// The mean of the closed minute minus the one [`TREND_STEP_MIN`] minutes before it (the
    /// whole change where that minute had no reading).
    pub recent: f64,
}

impl Change {
    /// A drift by the premise of this module: beyond [`TREND_K`] × the largest seen (and the
    /// `floor`, the sensor's own resolution and noise), its later half the same way.
    pub fn drifting(&self, floor: f64) -> bool {
        self.warm
            && self.change.abs() > TREND_K * self.largest.max(floor)
            && self.later.signum() == self.change.signum()
            && self.later.abs() >= 0.25 * self.change.abs()
    }

    /// Most of the change happened in the last few minutes: a step, not a slope.
    pub fn stepped(&self) -> bool {
        self.recent.signum() == self.change.signum()
            && self.recent.abs() >= TREND_STEP_SHARE * self.change.abs()
    }
}

impl Trend {
    /// Adds a reading at `at_ms`; returns the change over the horizon when a minute closed
    /// with means at both ends.
    pub fn observe(&mut self, x: f64, at_ms: i64) -> Option<Change> {
        let minute = at_ms.div_euclid(60_000);
        let mut out = None;
        // A reading stamped earlier than the minute being summed (a device's clock, readings
        // out of order) counts in that minute: time never runs back here.
        if minute > self.minute {
            if self.n > 0 {
                out = self.close();
            }
            // Minutes without a reading leave gaps; a gap longer than the horizon forgets all.
            let gap = minute.saturating_sub(self.minute).saturating_sub(1);
            if self.minute == i64::MIN || gap >= RING as i64 {
                self.means = [f64::NAN; RING];
            } else {
                for _ in 0..gap {
                    self.push(f64::NAN);
                }
            }
            self.minute = minute;
            self.sum = 0.0;
            self.n = 0;
        }
        self.sum += x;
        self.n += 1;
        out
    }

    fn push(&mut self, m: f64) {
        self.means[self.pos] = m;
        self.pos = (self.pos + 1) % RING;
    }

    /// Closes the current minute: its mean joins the ring.
    fn close(&mut self) -> Option<Change> {
        let m = self.sum / f64::from(self.n);
        self.push(m);
        // The newest is at pos − 1, the one a horizon before it at pos (the oldest slot).
        let then = self.means[self.pos];
        let mid = self.means[(self.pos + RING / 2) % RING];
        if then.is_nan() {
            return None;
        }
        let change = m - then;
        let later = if mid.is_nan() { change } else { m - mid };
        let before = self.means[(self.pos + RING - 1 - TREND_STEP_MIN) % RING];
        let c = Change {
            change,
            later,
            then,
            now: m,
            largest: self.largest,
            warm: self.watched >= TREND_WARM_MIN,
            then_ms: (self.minute - TREND_HORIZON_MIN as i64) * 60_000,
            recent: if before.is_nan() { change } else { m - before },
        };
        self.watched = self.watched.saturating_add(1);
        Some(c)
    }

    /// The change was not judged a drift: it is learnt a horizon from now, unless a drift is
    /// found meanwhile (see [`Trend::drift_found`]).
    pub fn learn(&mut self, change: f64) {
        let old = std::mem::replace(&mut self.pending[self.pending_pos], change);
        self.pending_pos = (self.pending_pos + 1) % RING;
        if !old.is_nan() {
            self.largest = self.largest.max(old.abs());
            self.learnt = self.learnt.saturating_add(1);
        }
    }

    /// Forgets what was learnt (not the minute means): the series turned out to be of a kind
    /// whose changes are learnt otherwise.
    pub fn relearn(&mut self) {
        self.largest = 0.0;
        self.learnt = 0;
        self.pending = [f64::NAN; RING];
    }

    /// A drift was found: the changes waiting to be learnt were its beginning.
    pub fn drift_found(&mut self) {
        self.forget_pending();
    }

    /// The changes waiting to be learnt are not learnt.
    pub fn forget_pending(&mut self) {
        self.pending = [f64::NAN; RING];
    }

    /// The change is the series' life now (its drift episode was taken as the new normal).
    pub fn adopt(&mut self, change: f64) {
        self.largest = self.largest.max(change.abs());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(xs: impl Iterator<Item = (i64, f64)>) -> (Trend, Vec<(i64, Change)>) {
        run_with(xs, 0.01)
    }

    fn run_with(xs: impl Iterator<Item = (i64, f64)>, floor: f64) -> (Trend, Vec<(i64, Change)>) {
        let mut t = Trend::default();
        let mut drifts = Vec::new();
        for (ms, x) in xs {
            if let Some(c) = t.observe(x, ms) {
                // As in the detector: nothing is learnt once a drift is open.
                if c.drifting(floor) {
                    t.drift_found();
                    drifts.push((ms, c));
                } else if drifts.is_empty() {
                    t.learn(c.change);
                }
            }
        }
        (t, drifts)
    }

    #[test]
    fn a_daily_cycle_is_learnt_and_a_drift_beyond_it_is_found() {
        // Every 10 s for 28 h: 21 °C ± 1.5 over a day, then from 26 h a drift of 3 °C an hour.
        let at = |i: i64| i * 10_000;
        let x = |i: i64| {
            let h = i as f64 * 10.0 / 3600.0;
            21.0 + 1.5 * (h / 24.0 * std::f64::consts::TAU).sin()
                + if h >= 26.0 { 3.0 * (h - 26.0) } else { 0.0 }
        };
        let (_, drifts) = run((0..10_080).map(|i| (at(i), x(i))));
        let (first, c) = drifts.first().expect("found");
        // The most the cycle moved in 30 min over the day watched: 1.5 × sin's steepest.
        assert!(c.largest > 0.1 && c.largest < 0.25, "{c:?}");
        let first = *first;
        // Found within 25 minutes of its start (26 h), before it reached 1.5 °C.
        assert!(
            (93_600_000..93_600_000 + 25 * 60_000).contains(&first),
            "{first}"
        );
    }

    #[test]
    fn nothing_is_judged_before_hours_of_watching_and_gaps_forget() {
        // A ramp from the first reading: no history, so no judgement.
        let (_, drifts) = run((0..2000).map(|i| (i * 10_000, i as f64 * 0.01)));
        assert_eq!(drifts, []);
        // Readings out of order by up to half a minute do not break the minutes.
        let mut t = Trend::default();
        let some = (0..2160)
            .filter(|i| {
                let jitter = [0, -25_000, 3_000, -12_000][*i as usize % 4];
                t.observe(80.0, i * 5000 + jitter).is_some()
            })
            .count();
        assert!(some >= 140, "{some}");
        // Readings an hour apart never have both ends of a horizon.
        let mut t = Trend::default();
        for i in 0..100 {
            assert_eq!(t.observe(i as f64, i * 3_600_000), None);
        }
    }

    #[test]
    fn a_flat_sensor_judges_against_its_floor_not_zero() {
        // Flat for 25 h, then a move of one resolution step (0.1): against a floor of that
        // step, no drift; against none, any move would be one.
        let xs = || (0..9000).map(|i| (i * 10_000, if i > 8900 { 20.1 } else { 20.0 }));
        assert_eq!(run_with(xs(), 0.1).1, []);
        assert!(!run_with(xs(), 0.0).1.is_empty());
    }
}
