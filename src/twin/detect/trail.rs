//! Where a series stood over the last hours: a reading kept every so often, whatever its pace,
//! for the tests that ask whether a step undid a creep (see `Detector::creep_undone`).

use super::{DRIFT_RATES, FIT_SHARE, FIT_SPREAD, LONG_CREEP_BACK, RAMP_MIN_MS};

/// A reading kept every `EVERY_MS`, the latest `N` of them: where the series stood over the
/// last `N × EVERY_MS`, whatever its pace.
#[derive(Debug, Clone)]
pub(super) struct Trail<const N: usize, const EVERY_MS: i64> {
    kept: [(i64, f64); N],
    len: u8,
    next: u8,
    due_ms: i64,
}

impl<const N: usize, const EVERY_MS: i64> Default for Trail<N, EVERY_MS> {
    fn default() -> Self {
        Trail {
            kept: [(0, 0.0); N],
            len: 0,
            next: 0,
            due_ms: 0,
        }
    }
}

impl<const N: usize, const EVERY_MS: i64> Trail<N, EVERY_MS> {
    /// Keeps the reading `x` at `at_ms` if one is due (one comparison otherwise).
    #[inline]
    pub(super) fn keep(&mut self, at_ms: i64, x: f64) {
        if at_ms < self.due_ms {
            return;
        }
        self.kept[usize::from(self.next)] = (at_ms, x);
        self.next = ((usize::from(self.next) + 1) % N) as u8;
        self.len = (usize::from(self.len) + 1).min(N) as u8;
        self.due_ms = at_ms + EVERY_MS;
    }

    /// The kept readings, latest first (`rev()`: oldest first).
    pub(super) fn latest_first(&self) -> impl DoubleEndedIterator<Item = (i64, f64)> + '_ {
        let n = usize::from(self.len);
        (1..=n).map(move |k| self.kept[(usize::from(self.next) + N - k) % N])
    }

    /// Where a creep that a step at `ms` from `base` to `landed` undid began: the latest kept
    /// reading at least [`RAMP_MIN_MS`] before the step within `within` of `landed`, from which
    /// the series went to `base` at one pace (its rates to the kept reading nearest halfway,
    /// and from there to the step, the same way and within [`DRIFT_RATES`] of each other).
    pub(super) fn creep_from(
        &self,
        ms: i64,
        base: f64,
        landed: f64,
        within: f64,
    ) -> Option<(i64, f64)> {
        let (t0, x0) = self
            .latest_first()
            .filter(|(t, _)| ms - t >= RAMP_MIN_MS)
            .find(|(_, x)| (landed - x).abs() <= within)?;
        self.at_one_pace((t0, x0), ms, base)
    }

    /// As [`Trail::creep_from`], for a series that was on a course of its own when the creep
    /// began (an outdoor thermometer warming with the morning): the latest kept reading at
    /// least [`RAMP_MIN_MS`] before the step from which that course, carried on to the step,
    /// lands within `within` of `landed`, and from which the series went to `base` at one pace
    /// once the course is taken off. `course` gives the course (per ms) the series kept up to a
    /// kept reading, where it kept one. Where the creep began, when, and the course.
    pub(super) fn creep_off_course(
        &self,
        ms: i64,
        (base, landed): (f64, f64),
        within: f64,
        course: impl Fn(i64, f64) -> Option<f64>,
    ) -> Option<(i64, f64, f64)> {
        let (t0, x0, rate) = self
            .latest_first()
            .filter(|(t, _)| ms - t >= RAMP_MIN_MS)
            .find_map(|(t0, x0)| {
                let rate = course(t0, x0)?;
                ((landed - (x0 + rate * (ms - t0) as f64)).abs() <= within)
                    .then_some((t0, x0, rate))
            })?;
        self.at_one_pace_on((t0, x0), ms, base, rate)
            .map(|(t0, x0)| (t0, x0, rate))
    }

    /// `(t0, x0)` if the series went from there to `base` at `ms` at one pace: its rates to the
    /// kept reading nearest halfway, and from there to the step, the same way and within
    /// [`DRIFT_RATES`] of each other.
    pub(super) fn at_one_pace(&self, kept: (i64, f64), ms: i64, base: f64) -> Option<(i64, f64)> {
        self.at_one_pace_on(kept, ms, base, 0.0)
    }

    /// [`Trail::at_one_pace`] with the course `rate` (per ms) taken off both rates.
    fn at_one_pace_on(
        &self,
        (t0, x0): (i64, f64),
        ms: i64,
        base: f64,
        rate: f64,
    ) -> Option<(i64, f64)> {
        let half = t0 + (ms - t0) / 2;
        let (t1, x1) = self
            .latest_first()
            .filter(|(t, _)| *t > t0 && *t < ms)
            .min_by_key(|(t, _)| (t - half).abs())?;
        let (r0, r1) = (
            (x1 - x0) / (t1 - t0) as f64 - rate,
            (base - x1) / (ms - t1) as f64 - rate,
        );
        let q = r0 / r1;
        (r0.signum() == r1.signum() && (1.0 / DRIFT_RATES..=DRIFT_RATES).contains(&q))
            .then_some((t0, x0))
    }

    /// Where a creep that a step at `ms` from `base` to `landed` undid began, read through the
    /// noise: the earliest kept reading `min_ms` before the step at least from which the
    /// least-squares line through every reading kept since, and `base` at the step, starts
    /// within `within` of `landed`, builds [`FIT_SHARE`] of the
    /// step to 1/[`FIT_SHARE`] of it the other way, and the readings stray from it by
    /// [`FIT_SPREAD`] of what it built at most (root mean square), and `ok` with the reading
    /// and how many were kept within it. Where the line began, and when.
    pub(super) fn fitted_creep(
        &self,
        ms: i64,
        (base, landed): (f64, f64),
        within: f64,
        min_ms: i64,
        ok: impl Fn(i64, f64, usize) -> bool,
    ) -> Option<(i64, f64)> {
        let step = landed - base;
        self.latest_first()
            .rev()
            .filter(|&(t, _)| ms - t >= min_ms)
            .find_map(|(t0, x0)| {
                // (One pass of sums, hours from `t0` against the reading less `base`.)
                let (mut n, mut st, mut sx, mut stt, mut stx, mut sxx) =
                    (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
                let pts = self.latest_first().filter(|&(t, _)| t >= t0 && t < ms);
                for (t, x) in pts.chain(std::iter::once((ms, base))) {
                    let (t, x) = ((t - t0) as f64 / 3_600_000.0, x - base);
                    n += 1.0;
                    (st, sx, stt, stx, sxx) =
                        (st + t, sx + x, stt + t * t, stx + t * x, sxx + x * x);
                }
                let (mt, mx) = (st / n, sx / n);
                let (stt, stx, sxx) = (stt - n * mt * mt, stx - n * mt * mx, sxx - n * mx * mx);
                if n < 4.0 || stt <= 0.0 {
                    return None;
                }
                let slope = stx / stt;
                let at = |t: f64| base + mx + slope * (t - mt);
                let span = (ms - t0) as f64 / 3_600_000.0;
                let built = slope * span;
                let rms = ((sxx - slope * stx).max(0.0) / n).sqrt();
                let share = -built / step;
                ((FIT_SHARE..=1.0 / FIT_SHARE).contains(&share)
                    && (landed - at(0.0)).abs() <= within
                    && rms <= FIT_SPREAD * built.abs()
                    && ok(t0, x0, n as usize - 2))
                .then_some((t0, (at(0.0) * 1000.0).round() / 1000.0))
            })
    }

    /// Whether the readings kept after `t0` and before `ms` went from `x0` to `base` one way:
    /// none fell back more than [`LONG_CREEP_BACK`] of the way from the furthest it had got,
    /// nor passed `base` by as much. A noisy series wanders both ways between any two of its
    /// places; a probe creeping for hours does not. How many were kept, if they did.
    pub(super) fn one_way(&self, t0: i64, x0: f64, ms: i64, base: f64) -> Option<usize> {
        let way = base - x0;
        let tol = LONG_CREEP_BACK * way.abs();
        let mut furthest = x0;
        let mut n = 0;
        self.latest_first()
            .rev()
            .filter(|(t, _)| *t > t0 && *t < ms)
            .all(|(_, x)| {
                n += 1;
                let ok = (x - furthest) * way.signum() >= -tol && (x - base) * way.signum() <= tol;
                if (x - furthest) * way.signum() > 0.0 {
                    furthest = x;
                }
                ok
            })
            .then_some(n)
    }
}
