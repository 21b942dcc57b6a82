//! The envelope test on a lone sensor's own history: its level beyond anything its hourly means
//! showed in the days it was watched.
//!
//! Premise: a series watched for days has shown, in its hourly means, the range its healthy
//! life spans (its daily cycle, its loads, its weather). A level (the readings' half-hour mean)
//! that leaves that range by half its width, at least, is news: a machine's temperature
//! sliding from 85 to 26 °C over the day before it fails, an overheat from 58 to 77 °C over six
//! hours. Both move too slowly for the half-hour trend test (their half-hour changes are
//! within what the series' own wander shows) and neither steps. The test sees them before
//! their end: the slide when it is a fifth of the way down, the overheat at 70 to 73 °C
//! (three seeds of each, in the unit tests' shapes).
//!
//! What it cannot know: a change of a kind the series never showed while watched (the first
//! weekend shutdown, a heat wave) looks the same, so it is judged only after
//! [`ENV_WARM_H`] hourly means were learnt (four days watched, one of them waiting), only where
//! the series has no peers, is no counter, no battery, no state and no few-level signal that
//! switches between its places (its switches are its life; one that ramps between them is
//! judged: a machine's temperature resting near 50 and near 95 °F) and repeats at most
//! [`ENV_REPEATS`] of its readings (one that holds and steps is the step test's), never while
//! an episode is open, and a move that comes with another series' novel step is taken as a
//! change of mode by the twin. An hourly mean is
//! learnt a day after its hour ([`ENV_DELAY_H`]): a slide must not teach itself before it is
//! seen; a change slower than half the range a day is learnt as the series' life. Said once per
//! excursion, as a drift; once the twin takes the change as the new normal the envelope is
//! learnt again from there (see [`Envelope::relearn`]).
//!
//! The same hourly means' runs are followed too: a run of them one way (each beyond the one
//! before) longer than [`RUN_K`] times the longest that ended in the days spanned is news,
//! though the level stays within the margin (see [`RUN_MIN_H`] for the premise and the case).
//! And each hour is compared with the same hour of its last week of days: an hour apart from
//! all of them, and from the hours either side, for two hours, is a day unlike its days (see
//! [`DayNews`] for the premise and the bars).
//!
//! Cost: O(1) per reading (a sum, a smoothed level; a scan of [`ENV_DAYS`] slots and three
//! sorts of seven hourly means once an hour). Memory: about 2 kB (a day of hourly means
//! waiting, a week of daily ranges and longest runs, and a week of hourly means by hour, 1,344
//! bytes of it), boxed and held only by series that are judged by it.

/// Hourly means learnt before the envelope judges (three days' worth).
pub const ENV_WARM_H: u32 = 72;
/// Hours an hourly mean waits before it is learnt.
pub const ENV_DELAY_H: usize = 24;
/// Days of hourly means the envelope spans (a week: a weekly rhythm is in it once watched).
pub const ENV_DAYS: usize = 7;
/// How far beyond the envelope the level must be, as a share of its width. Tried 0.75: the
/// overheat of the unit test was said only once past 77 °C on one seed of three. At 0.5, in
/// eight ten-day home and plant worlds, it opened six episodes: five on faults (three dying
/// Zigbee batteries' voltages, two chiller drifts) and one false, a cold store's door open
/// longer than any in its week (7.6 °C where its hourly means spanned 4.4 to 6.5).
pub const ENV_K: f64 = 0.5;
/// A series that repeats more than this share of its readings is not judged: it holds and
/// steps (a daily total that changes at midnight) rather than moves.
pub const ENV_REPEATS: f64 = 0.9;
/// The level judged: the readings' mean weighted by time, over this time constant.
pub const ENV_TAU_MS: f64 = 30.0 * 60_000.0;
/// A run of hourly means each beyond the one before the same way is news once it is longer
/// than this many times the longest run either way that ended in the days spanned …
pub const RUN_K: f64 = 2.0;
/// … and than this many hours. Premise: a machine's shutdowns, its loads and its days move
/// its hourly means one way for hours, then back; one that keeps going twice as long as any
/// move it made in a week is sliding somewhere its life never took it. A real machine (NAB's
/// machine_temperature_system_failure) fell for 18 hours at its longest in the week before
/// its catastrophic failure, and then for 40 hours, from 100 to 27 °F (its level stayed
/// within half the envelope's range of it: the level test alone never said it).
pub const RUN_MIN_H: u8 = 6;

/// The day test (see [`DayNews`]): days of the same hour compared, at least (and at most):
/// a week, so a weekly rhythm is in them (an office's first Saturday after five weekdays is
/// a day unlike its days, but not news).
pub const DAY_MIN: usize = ENV_DAYS;
/// An hour's mean apart from the median of its hour on the days before by more than this
/// share of the week's range of hourly means …
pub const DAY_K_RANGE: f64 = 0.4;
/// … and more than this many times those days' own spread at that hour (their greatest less
/// their least), and than the envelope's floor (its resolution and noise) …
pub const DAY_K_SPREAD: f64 = 4.0;
/// … for this many hours in a row, the same way.
pub const DAY_HOURS: u8 = 2;
/// Hourly means kept for it: a week of them, by hour.
const PROFILE: usize = ENV_DAYS * 24;

const HOUR_MS: i64 = 3_600_000;
const DAY_H: i64 = 24;

/// One series' hourly means and the range they span.
#[derive(Debug, Clone)]
pub struct Envelope {
    /// The hour being summed (epoch hours), its Σ and count.
    hour: i64,
    sum: f64,
    n: u32,
    /// Hourly means waiting to be learnt (hour, mean), oldest first from `wait_pos`.
    waiting: [(i64, f32); ENV_DELAY_H],
    wait_pos: usize,
    /// Per day slot: its day (epoch days; `i64::MIN` when empty) and the least and greatest
    /// hourly mean learnt in it.
    days: [(i64, f32, f32); ENV_DAYS],
    /// The least and greatest hourly mean of the days still spanned, as of the hour's start
    /// (NaN while none is).
    span: (f32, f32),
    /// Hourly means learnt.
    pub learnt: u32,
    /// The smoothed level and when it was last updated (epoch ms).
    level: f64,
    level_ms: i64,
    /// Said for the current excursion (until the level is back within the envelope).
    pub said: bool,
    /// The level was beyond the margin at the reading before (set by the detector).
    pub beyond: bool,
    /// Some hourly mean is waiting (so forgetting them has work to do).
    held: bool,
    /// Per day slot: its day (epoch days; `i32::MIN` when empty) and the longest run of
    /// hourly means one way that ended in it (hours).
    runs: [(i32, u8); ENV_DAYS],
    /// The latest hourly mean (NaN: none, or the run was broken), the current run's way
    /// (+1 up, -1 down, 0 none) and length in hours, and whether it was said.
    last: f32,
    way: i8,
    run: u8,
    pub run_said: bool,
    /// The longest run in the days spanned, as of the hour's start.
    span_run: u8,
    /// Hourly means learnt, by hour of the week (`hour % PROFILE`): its hour (epoch hours;
    /// `i32::MIN` when empty) and its mean.
    profile: Box<[(i32, f32); PROFILE]>,
    /// The day test's hours in a row apart (signed: the way), and the latest one's news.
    day_run: i8,
    day: Option<DayNews>,
    /// Said for the current departure (until an hour is back within the bar).
    pub day_said: bool,
}

/// The hourly means of one hour of the day over the days before.
#[derive(Debug, Clone, Copy)]
struct Spread {
    median: f64,
    lo: f64,
    hi: f64,
    days: u8,
}

/// An hour whose mean stands apart from the same hour of every day before it (see
/// [`DAY_K_RANGE`]). Premise: a series whose days repeat (a machine's shifts, a process on a
/// timer, a building's occupancy) has shown at each hour where it sits; an hour far from all
/// its days at that hour, for two hours, is a day unlike its days: a machine that did not
/// start, a peak that did not come, a plateau that held through its usual fall. The bar is
/// both the days' own spread at that hour (a series whose hours vary from day to day, with the
/// weather, is judged against that) and a share of its week's range (a room held by its
/// thermostat within 0.1 °C is not judged at 0.4 °C), and the hour must be as far from the
/// hours either side of it on those days: days repeat give or take an hour (a machine whose
/// shift ran an hour late ramps down an hour later: not news). What it cannot know: the first day of
/// a kind its week did not show (the first cloudy day after sunny ones, a holiday) looks the
/// same.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DayNews {
    /// The hour (epoch hours), its mean, and the days' median, least and greatest at it.
    pub hour: i64,
    pub mean: f64,
    pub median: f64,
    pub lo: f64,
    pub hi: f64,
    /// Days compared, and hours in a row apart.
    pub days: u8,
    pub hours: u8,
}

impl Default for Envelope {
    fn default() -> Envelope {
        Envelope {
            hour: i64::MIN,
            sum: 0.0,
            n: 0,
            waiting: [(i64::MIN, f32::NAN); ENV_DELAY_H],
            wait_pos: 0,
            days: [(i64::MIN, f32::NAN, f32::NAN); ENV_DAYS],
            span: (f32::NAN, f32::NAN),
            learnt: 0,
            level: f64::NAN,
            level_ms: 0,
            said: false,
            beyond: false,
            held: false,
            runs: [(i32::MIN, 0); ENV_DAYS],
            last: f32::NAN,
            way: 0,
            run: 0,
            run_said: false,
            span_run: 0,
            profile: Box::new([(i32::MIN, f32::NAN); PROFILE]),
            day_run: 0,
            day: None,
            day_said: false,
        }
    }
}

/// Where the level stands against the envelope, once it is warm.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Beyond {
    /// The smoothed level, and the envelope's least and greatest hourly mean.
    pub level: f64,
    pub lo: f64,
    pub hi: f64,
    /// How far beyond the nearer edge the level is (0 within), and the margin it must pass.
    pub out: f64,
    pub margin: f64,
    /// The current run of hourly means one way (hours; its way: +1 up, -1 down) and the
    /// longest run either way that ended in the days spanned.
    pub run: u8,
    pub way: i8,
    pub longest_run: u8,
    /// The day test's news at the last hour that closed, if it was news.
    pub day: Option<DayNews>,
}

impl Beyond {
    /// Beyond the envelope by its margin at least.
    pub fn news(&self) -> bool {
        self.out > self.margin
    }

    /// The current run is longer than [`RUN_K`] times the longest one in the days spanned,
    /// that longest taken as at least [`RUN_MIN_H`] hours.
    pub fn run_news(&self) -> bool {
        f64::from(self.run) > RUN_K * f64::from(self.longest_run.max(RUN_MIN_H))
    }
}

impl Envelope {
    /// Adds reading `x` at `at_ms`; `learn`: the hour's mean may be learnt (no episode open).
    /// `floor`: the least width the envelope is given (the series' resolution and noise: a
    /// series that held one value for days must still move by more than them to be news).
    /// Returns where the level stands, once warm.
    pub fn observe(&mut self, x: f64, at_ms: i64, learn: bool, floor: f64) -> Option<Beyond> {
        if !x.is_finite() {
            return None;
        }
        // The level: weighted by the time since the last reading, so a series that reports
        // every 10 s and one that reports every 5 minutes mean the same half hour.
        // (The weight is the time since the last reading over the time constant, at most 1:
        // near enough to the exponential's for readings much closer than half an hour, and
        // without one per reading.)
        if self.level.is_nan() {
            self.level = x;
        } else if at_ms > self.level_ms {
            let a = ((at_ms - self.level_ms) as f64 / ENV_TAU_MS).min(1.0);
            self.level += a * (x - self.level);
        }
        self.level_ms = self.level_ms.max(at_ms);
        let hour = at_ms.div_euclid(HOUR_MS);
        if hour > self.hour {
            if self.n > 0 && learn {
                let mean = (self.sum / f64::from(self.n)) as f32;
                self.wait(self.hour, mean);
                self.judge_day(self.hour, f64::from(mean), floor);
                // A gap of an hour or more breaks the run (here, at the hour before it).
                let next = hour == self.hour + 1;
                self.follow(if next { mean } else { f32::NAN }, self.hour);
            } else {
                self.follow(f32::NAN, self.hour);
                self.day_run = 0;
                self.day = None;
            }
            self.hour = hour;
            self.sum = 0.0;
            self.n = 0;
            self.span = self.span(hour.div_euclid(DAY_H));
            self.span_run = self.span_runs(hour.div_euclid(DAY_H));
        }
        self.sum += x;
        self.n += 1;
        if self.learnt < ENV_WARM_H {
            return None;
        }
        let (lo, hi) = (f64::from(self.span.0), f64::from(self.span.1));
        if !lo.is_finite() || !hi.is_finite() {
            return None;
        }
        let margin = ENV_K * (hi - lo).max(floor);
        let out = (self.level - hi).max(lo - self.level).max(0.0);
        if out <= 0.0 {
            self.said = false;
        }
        Some(Beyond {
            level: self.level,
            lo,
            hi,
            out,
            margin,
            run: self.run,
            way: self.way,
            longest_run: self.span_run,
            day: self.day,
        })
    }

    /// The day test at hour `hour`, whose mean closed as `mean`: against the same hour of the
    /// days before it (learnt a day after their hour, so the last is yesterday's), once the
    /// envelope is warm.
    fn judge_day(&mut self, hour: i64, mean: f64, floor: f64) {
        self.day = None;
        let (lo, hi) = (f64::from(self.span.0), f64::from(self.span.1));
        let same = self.same_hour(hour, 0);
        let Some(at) = same
            .filter(|d| usize::from(d.days) >= DAY_MIN)
            .filter(|_| self.learnt >= ENV_WARM_H && lo.is_finite() && hi.is_finite())
        else {
            self.day_run = 0;
            return;
        };
        // Apart from that hour, and from the hours either side of it (days repeat give or
        // take an hour: a shift that ran an hour late ramps down an hour later).
        let bar = |d: &Spread| {
            (DAY_K_RANGE * (hi - lo).max(floor))
                .max(DAY_K_SPREAD * (d.hi - d.lo))
                .max(floor)
        };
        let apart = |d: &Spread| (mean - d.median).abs() > bar(d);
        let way = if apart(&at)
            && [-1, 1]
                .iter()
                .filter_map(|&o| self.same_hour(hour, o))
                .all(|d| apart(&d))
        {
            if mean > at.median {
                1
            } else {
                -1
            }
        } else {
            0
        };
        self.day_run = if way == 0 {
            self.day_said = false;
            0
        } else if self.day_run.signum() == way {
            self.day_run.saturating_add(way)
        } else {
            way
        };
        let hours = self.day_run.unsigned_abs();
        if hours >= DAY_HOURS {
            self.day = Some(DayNews {
                hour,
                mean,
                median: at.median,
                lo: at.lo,
                hi: at.hi,
                days: at.days,
                hours,
            });
        }
    }

    /// The hourly means learnt at `hour + offset` on the days before `hour` (up to a week:
    /// those a day or more before it), as their median, least and greatest; `None` for none.
    fn same_hour(&self, hour: i64, offset: i64) -> Option<Spread> {
        let mut prior = [0.0f64; ENV_DAYS];
        let mut n = 0;
        for k in 1..=ENV_DAYS as i64 {
            let h = hour + offset - 24 * k;
            if h > hour - 24 {
                continue;
            }
            let (at, m) = self.profile[h.rem_euclid(PROFILE as i64) as usize];
            if i64::from(at) == h && m.is_finite() {
                prior[n] = f64::from(m);
                n += 1;
            }
        }
        let prior = &mut prior[..n];
        let (lo, hi) = prior
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &m| {
                (a.min(m), b.max(m))
            });
        Some(Spread {
            median: crate::twin::detect::median(prior)?,
            lo,
            hi,
            days: n as u8,
        })
    }

    /// Follows the runs of hourly means one way: `mean` is hour `hour`'s (NaN: none, or not
    /// next to the one before). A run that ends is kept in its day's slot.
    fn follow(&mut self, mean: f32, hour: i64) {
        let way = match mean.partial_cmp(&self.last) {
            Some(std::cmp::Ordering::Greater) => 1,
            Some(std::cmp::Ordering::Less) => -1,
            _ => 0,
        };
        if way != 0 && way == self.way {
            self.run = self.run.saturating_add(1);
        } else {
            if self.run > 0 {
                let day = hour.div_euclid(DAY_H);
                let slot = &mut self.runs[day.rem_euclid(ENV_DAYS as i64) as usize];
                let day = i32::try_from(day).unwrap_or(i32::MIN);
                if slot.0 == day {
                    slot.1 = slot.1.max(self.run);
                } else {
                    *slot = (day, self.run);
                }
            }
            self.way = way;
            self.run = u8::from(way != 0);
            self.run_said = false;
        }
        self.last = mean;
    }

    /// The longest run that ended in the days within [`ENV_DAYS`] of `today`.
    fn span_runs(&self, today: i64) -> u8 {
        self.runs
            .iter()
            .filter(|(d, _)| *d != i32::MIN && today - i64::from(*d) <= ENV_DAYS as i64)
            .map(|(_, r)| *r)
            .max()
            .unwrap_or(0)
    }

    /// The least and greatest hourly mean learnt in the days within [`ENV_DAYS`] of `today`
    /// (NaN while there is none): scanned once an hour, not per reading.
    fn span(&self, today: i64) -> (f32, f32) {
        let (mut lo, mut hi) = (f32::INFINITY, f32::NEG_INFINITY);
        for &(d, a, b) in &self.days {
            if d != i64::MIN && today - d <= ENV_DAYS as i64 {
                lo = lo.min(a);
                hi = hi.max(b);
            }
        }
        if lo.is_finite() && hi.is_finite() {
            (lo, hi)
        } else {
            (f32::NAN, f32::NAN)
        }
    }

    /// Puts an hourly mean in the waiting ring; the one it displaces (a day old) is learnt.
    fn wait(&mut self, hour: i64, mean: f32) {
        let (h, m) = std::mem::replace(&mut self.waiting[self.wait_pos], (hour, mean));
        self.held = true;
        self.wait_pos = (self.wait_pos + 1) % ENV_DELAY_H;
        if h == i64::MIN || !m.is_finite() {
            return;
        }
        if let Ok(at) = i32::try_from(h) {
            self.profile[h.rem_euclid(PROFILE as i64) as usize] = (at, m);
        }
        let day = h.div_euclid(DAY_H);
        let slot = &mut self.days[day.rem_euclid(ENV_DAYS as i64) as usize];
        if slot.0 != day {
            *slot = (day, m, m);
        } else {
            slot.1 = slot.1.min(m);
            slot.2 = slot.2.max(m);
        }
        self.learnt = self.learnt.saturating_add(1);
    }

    /// Hours an episode was open are not learnt: the hourly means still waiting are dropped
    /// (called while one is), and with them the day's hours before it, one of which may hold
    /// its start.
    pub fn forget_waiting(&mut self) {
        if self.held {
            self.waiting = [(i64::MIN, f32::NAN); ENV_DELAY_H];
            self.held = false;
        }
    }

    /// The change was taken as the new normal: the envelope is learnt again from here.
    pub fn relearn(&mut self) {
        *self = Envelope::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every 5 minutes for `days`: 20 at night and `high(day)` from 07:00 to 18:00 (an hour's
    /// ramp each way), ±1 of noise; where the day test said its news (reading index, hours).
    fn daily(days: i64, high: impl Fn(i64) -> f64) -> Vec<(i64, u8)> {
        let mut rng = fastrand::Rng::with_seed(3);
        let mut e = Envelope::default();
        let mut said = Vec::new();
        for i in 0..days * 288 {
            let (day, p) = (i / 288, (i % 288) as f64 / 12.0);
            let h = high(day);
            let x = match p {
                p if !(6.0..19.0).contains(&p) => 20.0,
                p if p < 7.0 => 20.0 + (h - 20.0) * (p - 6.0),
                p if p < 18.0 => h,
                p => h - (h - 20.0) * (p - 18.0),
            } + rng.f64() * 2.0
                - 1.0;
            let Some(b) = e.observe(x, i * 300_000, true, 0.5) else {
                continue;
            };
            if let Some(d) = b.day.filter(|_| !e.day_said) {
                e.day_said = true;
                said.push((i, d.hours));
            }
        }
        said
    }

    #[test]
    fn a_day_unlike_its_days_at_the_same_hours_is_news_after_a_week() {
        // Ten days alike, then one whose high is 50 rather than 80: said at its second hour
        // apart (10:00 of day 11, its 09:00 mean closed; at 07:00 it was as high as its days
        // at 06:00, in their ramp), once.
        let said = daily(12, |d| if d == 10 { 50.0 } else { 80.0 });
        assert_eq!(said, [(10 * 288 + 10 * 12, 2)]);
        // Days alike: nothing.
        assert!(daily(12, |_| 80.0).is_empty());
        // A weekly rhythm (Saturdays and Sundays at 20): a week of it seen, nothing; on the
        // first weekend the test had not a week of days at that hour yet.
        assert!(daily(21, |d| if d % 7 >= 5 { 20.0 } else { 80.0 }).is_empty());
        // Before a week of days, no judgement: the same odd day as the first above, on day 6.
        assert!(daily(8, |d| if d == 6 { 50.0 } else { 80.0 }).is_empty());
    }

    #[test]
    fn hourly_means_that_keep_going_one_way_twice_as_long_as_ever_are_news() {
        // Every 5 minutes: a daily cycle of ±10 (its hourly means run 12 hours each way) for
        // eight days, then from the cycle's low a fall of 0.3 an hour, which does not leave the
        // envelope by half its range (10) within 30 hours.
        let at = |i: i64| i * 300_000;
        let cycle = |i: i64| 50.0 - 10.0 * (i as f64 * std::f64::consts::TAU / 288.0).cos();
        let mut e = Envelope::default();
        for i in 0..8 * 288 {
            if let Some(b) = e.observe(cycle(i), at(i), true, 0.1) {
                assert!(!b.run_news(), "healthy, reading {i}: {b:?}");
            }
        }
        let start = 8 * 288;
        let mut said = None;
        for j in 0..30 * 12 {
            let x = 40.0 - 0.3 * j as f64 / 12.0;
            let b = e.observe(x, at(start + j), true, 0.1).unwrap();
            assert!(!b.news(), "{b:?}");
            if b.run_news() && said.is_none() {
                said = Some((j / 12, b));
            }
        }
        // Said once its hourly means have fallen 25 hours in a row (the cycle's last 12 and
        // 13 of the fall): more than twice the 12 hours its days ran.
        let (hour, b) = said.expect("said");
        assert_eq!(
            (hour, b.run, b.longest_run, b.way),
            (14, 25, 12, -1),
            "{b:?}"
        );
        // A gap of hours breaks the run: the same fall after six hours unheard starts again.
        let mut e = Envelope::default();
        for i in 0..8 * 288 {
            e.observe(cycle(i), at(i), true, 0.1);
        }
        let mut b = None;
        for j in 0..40 * 12 {
            let gap = if j >= 20 * 12 { 6 * 12 } else { 0 };
            b = e.observe(40.0 - 0.3 * j as f64 / 12.0, at(start + j + gap), true, 0.1);
        }
        let b = b.unwrap();
        assert!(b.run < 24 && !b.run_news(), "{b:?}");
    }

    #[test]
    fn an_hourly_mean_is_learnt_a_day_after_its_hour_and_judged_after_three_days() {
        // (The module's word on its memory: the struct, and the week of hourly means it boxes.)
        assert!(std::mem::size_of::<Envelope>() <= 624 + 80);
        assert_eq!(std::mem::size_of::<[(i32, f32); PROFILE]>(), 1344);
        let mut e = Envelope::default();
        let mut last = None;
        // Four days of a level at 10 ± 1 (a daily cycle), every 5 minutes.
        for i in 0..4 * 288 {
            let ms = i * 300_000;
            let x = 10.0 + (i as f64 * std::f64::consts::TAU / 288.0).sin();
            last = e.observe(x, ms, true, 0.1);
        }
        assert_eq!(e.learnt, 72 - 1);
        assert_eq!(last, None);
        let b = e.observe(10.0, 4 * 86_400_000, true, 0.1).unwrap();
        assert!(
            b.lo > 8.9 && b.lo < 9.1 && b.hi > 10.9 && b.hi < 11.1,
            "{b:?}"
        );
        assert!(!b.news());
        // Half an hour at 13.5: beyond 11 by more than half the width (1).
        let mut b = b;
        for k in 1..=12 {
            b = e
                .observe(13.5, 4 * 86_400_000 + k * 300_000, true, 0.1)
                .unwrap();
        }
        assert!(b.news(), "{b:?}");
        e.relearn();
        assert_eq!(e.observe(13.5, 5 * 86_400_000, true, 0.1), None);
    }
}
