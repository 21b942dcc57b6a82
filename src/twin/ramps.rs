//! The rate test: a series that moves in straight ramps at a few rates of its own (a tank that
//! a pump fills at its rate and a draw empties at another), judged by those rates.
//!
//! Premise: where a pump, a heater at full power or a steady draw moves a value, it moves it
//! in straight lines at the rates its own history shows, ramp after ramp; a ramp at a rate
//! off every rate learnt for its direction is a probe creeping while the process runs (a
//! level probe's offset creeping 6 % in an hour adds its creep to the fill rate) or the
//! process changing (a pump losing capacity, a leak): news either way, said as a drift. The
//! rule holds only where the history shows it: the series must have moved in straight
//! ten-minute windows that nearly all fell on a few rates, each seen over several separate
//! ramps; a series whose rates wander (a water tower whose town draws more at breakfast, a
//! battery charged by the sun) never qualifies, and nothing is judged there. Windows across a
//! switch (a kink), at rest or with a gap are neither learnt nor judged: the switches are the
//! process's life.
//!
//! Cost: a few dozen operations per minute mean (once a minute per series), nothing per
//! reading.

/// Minute means in a window whose slope is measured.
pub const RAMP_WINDOW: usize = 10;
/// Rates a series may have (its rest is not one of them): a tank has two, filling and
/// draining; a third for a second pump. A series with more is not judged.
pub const RAMP_MODES: usize = 3;
/// A window is straight when no minute mean is further from its line than this share of the
/// window's change (or than the resolution): a window across a switch is kinked.
pub const RAMP_STRAIGHT: f64 = 0.05;
/// A window that changed by at most this many resolutions is at rest.
pub const RAMP_REST_RES: f64 = 3.0;
/// A window within this share of a rate is on it (learnt into it), and one off every rate
/// of its direction by more than this share and [`RAMP_K`] × the rate's spread is judged off.
pub const RAMP_REL: f64 = 0.15;
/// How many times a rate's learnt spread (mean absolute deviation of its windows) a window
/// must be off it.
pub const RAMP_K: f64 = 6.0;
/// A rate is proven once this many windows fell on it over [`RAMP_RAMPS`] separate ramps.
pub const RAMP_PROVEN_WINDOWS: u32 = 30;
pub const RAMP_RAMPS: u32 = 3;
/// Straight moving windows learnt before a series is judged, and the share of them that may
/// fall on no proven rate (windows beside the switches, a rare odd ramp).
pub const RAMP_LEARNT: u32 = 120;
pub const RAMP_STRAY_SHARE: f64 = 0.1;
/// Windows in a row off every rate before it is said: a window straddling the start of a
/// creep is only partly off.
pub const RAMP_HOLD: u8 = 5;

/// One rate the series ramps at.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Rate {
    /// Per minute.
    pub rate: f64,
    /// Mean absolute deviation of its windows' slopes from `rate`.
    pub spread: f64,
    pub windows: u32,
    pub ramps: u32,
}

impl Rate {
    fn proven(&self) -> bool {
        self.windows >= RAMP_PROVEN_WINDOWS && self.ramps >= RAMP_RAMPS
    }

    fn on(&self, slope: f64) -> bool {
        slope.signum() == self.rate.signum()
            && (slope - self.rate).abs() <= RAMP_REL * self.rate.abs()
    }

    fn off(&self, slope: f64) -> bool {
        (slope - self.rate).abs() > (RAMP_REL * self.rate.abs()).max(RAMP_K * self.spread)
    }
}

/// What the rate test says of a window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Off {
    /// The window's slope, per minute.
    pub slope: f64,
    /// The proven rates of its direction it is off.
    pub rate: Rate,
    /// When the first window off began (epoch ms).
    pub since_ms: i64,
}

/// The rates one series ramps at, and the windows of minute means they are measured on.
#[derive(Debug, Clone, Default)]
pub struct Ramps {
    /// The last minute means (oldest first) and the minute of the newest.
    means: [f64; RAMP_WINDOW],
    len: usize,
    minute: i64,
    pub rates: [Rate; RAMP_MODES],
    /// The direction of the last window if it was a straight moving one (0 after a window
    /// at rest, kinked or cut by a gap): a ramp begins after a break.
    moving: f64,
    /// Straight moving windows learnt (those not on a proven rate are the strays).
    learnt: u32,
    /// Windows in a row off every proven rate, and when the first began.
    off: u8,
    off_since_ms: i64,
    /// The excursion was said: not again until a window falls on a rate.
    said: bool,
    /// Its qualifying was told once (see [`Ramps::announce`]).
    announced: bool,
}

impl Ramps {
    /// Whether the series' history shows the premise: enough straight windows, nearly all on
    /// proven rates.
    pub fn qualified(&self) -> bool {
        let proven = || self.rates.iter().filter(|r| r.proven());
        let on: u32 = proven().map(|r| r.windows).sum();
        // Rates of one direction close together are slices of a continuum (a greenhouse
        // warming faster or slower each morning), not a pump's and a draw's.
        let apart = proven().all(|a| {
            proven().all(|b| {
                a == b
                    || a.rate.signum() != b.rate.signum()
                    || (a.rate - b.rate).abs() > 2.0 * RAMP_REL * a.rate.abs().max(b.rate.abs())
            })
        });
        self.learnt >= RAMP_LEARNT
            && on > 0
            && apart
            && f64::from(self.learnt.saturating_sub(on))
                <= RAMP_STRAY_SHARE * f64::from(self.learnt)
    }

    /// Once, when the series first qualified: its proven rates and their spreads, for the
    /// Log (`-0.300/min ± 0.001, +0.420/min ± 0.002`).
    pub fn announce(&mut self) -> Option<String> {
        if self.announced || !self.qualified() {
            return None;
        }
        self.announced = true;
        Some(self.rates_as(|r| format!("{:+.3}/min ± {:.3}", r.rate, r.spread), ", "))
    }

    /// Its proven rates in short (`-0.300 +0.420 /min`, for the detail view), while it
    /// qualifies.
    pub fn line(&self) -> Option<String> {
        self.qualified()
            .then(|| format!("{} /min", self.rates_as(|r| format!("{:+.3}", r.rate), " ")))
    }

    fn rates_as(&self, one: impl Fn(&Rate) -> String, sep: &str) -> String {
        let rates: Vec<String> = self.rates.iter().filter(|r| r.proven()).map(one).collect();
        rates.join(sep)
    }

    /// The minute mean `mean` of minute `minute` (epoch minutes) closed. `res` is the
    /// series' resolution (0 if unknown); `quiet` is false while an episode is open (nothing
    /// is learnt or said then: an excursion held meanwhile is said once it closes). Returns a
    /// window off every proven rate of its direction, held [`RAMP_HOLD`] windows in a row,
    /// once per excursion.
    pub fn minute(&mut self, minute: i64, mean: f64, res: f64, quiet: bool) -> Option<Off> {
        if self.len > 0 && minute != self.minute + 1 {
            self.len = 0;
            self.moving = 0.0;
        }
        self.minute = minute;
        if self.len == RAMP_WINDOW {
            self.means.copy_within(1.., 0);
            self.len -= 1;
        }
        self.means[self.len] = mean;
        self.len += 1;
        if self.len < RAMP_WINDOW {
            return None;
        }
        let (slope, worst) = fit(&self.means);
        let change = slope.abs() * (RAMP_WINDOW - 1) as f64;
        let straight = worst <= (RAMP_STRAIGHT * change).max(res);
        if !straight || change <= RAMP_REST_RES * res || !mean.is_finite() {
            self.off = 0;
            self.moving = 0.0;
            return None;
        }
        // The nearest proven rate of its direction, and whether it is off every one of them.
        let mut nearest: Option<Rate> = None;
        let mut off_all = true;
        for r in self
            .rates
            .iter()
            .filter(|r| r.proven() && r.rate.signum() == slope.signum())
        {
            off_all &= r.off(slope);
            if nearest.is_none_or(|n| (r.rate - slope).abs() < (n.rate - slope).abs()) {
                nearest = Some(*r);
            }
        }
        let was = std::mem::replace(&mut self.moving, slope.signum());
        match nearest {
            Some(rate) if off_all && self.qualified() => {
                if self.off == 0 {
                    self.off_since_ms = (minute - RAMP_WINDOW as i64 + 1) * 60_000;
                }
                self.off = self.off.saturating_add(1);
                if self.off < RAMP_HOLD || self.said || !quiet {
                    return None;
                }
                self.said = true;
                Some(Off {
                    slope,
                    rate,
                    since_ms: self.off_since_ms,
                })
            }
            _ => {
                self.off = 0;
                self.said = false;
                if quiet {
                    self.learn(slope, was != slope.signum());
                }
                None
            }
        }
    }

    /// Learns a straight moving window's slope; `new_ramp` after a break.
    fn learn(&mut self, slope: f64, new_ramp: bool) {
        let on = (0..RAMP_MODES)
            .filter(|&i| self.rates[i].windows > 0 && self.rates[i].on(slope))
            .min_by(|&a, &b| {
                (self.rates[a].rate - slope)
                    .abs()
                    .total_cmp(&(self.rates[b].rate - slope).abs())
            });
        let i = match on {
            Some(i) => i,
            None => {
                // A new rate takes an empty place or the least seen unproven one's.
                let Some(i) = (0..RAMP_MODES)
                    .filter(|&i| !self.rates[i].proven())
                    .min_by_key(|&i| self.rates[i].windows)
                else {
                    self.count();
                    return;
                };
                self.rates[i] = Rate {
                    rate: slope,
                    ..Rate::default()
                };
                i
            }
        };
        let r = &mut self.rates[i];
        r.windows = r.windows.saturating_add(1);
        // A running mean, following slowly after a few hundred windows.
        let w = 1.0 / f64::from(r.windows.min(300));
        let dev = (slope - r.rate).abs();
        r.rate += w * (slope - r.rate);
        r.spread += w * (dev - r.spread);
        if new_ramp {
            r.ramps = r.ramps.saturating_add(1);
        }
        self.count();
    }

    fn count(&mut self) {
        self.learnt = self.learnt.saturating_add(1);
        // Halved now and then: the share of strays is of its recent life.
        if self.learnt >= 2000 {
            self.learnt /= 2;
            for r in &mut self.rates {
                r.windows /= 2;
            }
        }
    }
}

/// The least-squares slope of equally spaced values (per step) and the largest distance of a
/// value from that line.
fn fit(ys: &[f64; RAMP_WINDOW]) -> (f64, f64) {
    let n = RAMP_WINDOW as f64;
    let xm = (n - 1.0) / 2.0;
    let ym = ys.iter().sum::<f64>() / n;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (i, y) in ys.iter().enumerate() {
        let dx = i as f64 - xm;
        sxy += dx * (y - ym);
        sxx += dx * dx;
    }
    let b = sxy / sxx;
    let worst = ys
        .iter()
        .enumerate()
        .map(|(i, y)| (y - ym - b * (i as f64 - xm)).abs())
        .fold(0.0, f64::max);
    (b, worst)
}

/// A tank a pump fills from 40 % to 80 % while a draw empties it, for the tests here and the
/// detector's.
#[cfg(test)]
#[derive(Debug, Clone, Copy)]
pub(crate) struct TestTank {
    x: f64,
    running: bool,
}

#[cfg(test)]
impl TestTank {
    pub(crate) fn new() -> TestTank {
        TestTank {
            x: 60.0,
            running: false,
        }
    }

    /// One step: `draw` out, the pump's `fill` in while it runs; the level after it.
    pub(crate) fn step(&mut self, draw: f64, fill: f64) -> f64 {
        self.x -= draw;
        if self.running {
            self.x += fill;
        }
        if self.x < 40.0 {
            self.running = true;
        } else if self.x > 80.0 {
            self.running = false;
        }
        self.x
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tank's minute means over `minutes`: a pump fills it at 0.42 %/min from 40 % to 80 %
    /// while a draw of 0.30 %/min (a little uneven from minute to minute) empties it; `creep`
    /// adds the probe's own error at a minute.
    fn tank(minutes: i64, creep: impl Fn(i64) -> f64) -> Vec<f64> {
        let mut tank = TestTank::new();
        (0..minutes)
            .map(|m| {
                let x = tank.step(0.30 + 0.01 * ((m * 7919) % 13 - 6) as f64 / 6.0, 0.72);
                ((x + creep(m)) * 100.0).round() / 100.0
            })
            .collect()
    }

    fn offs(means: &[f64]) -> (Ramps, Vec<(i64, Off)>) {
        let mut r = Ramps::default();
        let mut found = Vec::new();
        for (m, x) in means.iter().enumerate() {
            if let Some(o) = r.minute(m as i64, *x, 0.01, true) {
                found.push((m as i64, o));
            }
        }
        (r, found)
    }

    #[test]
    fn a_tank_is_judged_by_its_fill_and_draw_rates_and_a_creeping_probe_is_found() {
        // Healthy for 20 hours: its rates are learnt, the switches never judged.
        let (r, found) = offs(&tank(1200, |_| 0.0));
        assert!(r.qualified(), "{:?}", r.rates);
        assert_eq!(found, []);
        let mut rates: Vec<f64> = r
            .rates
            .iter()
            .filter(|r| r.proven())
            .map(|r| r.rate)
            .collect();
        rates.sort_by(f64::total_cmp);
        assert_eq!(rates.len(), 2, "{rates:?}");
        assert!(
            (rates[0] + 0.30).abs() < 0.01 && (rates[1] - 0.42).abs() < 0.01,
            "{rates:?}"
        );
        // The probe creeps 0.1 %/min from minute 900 for 50 minutes, then is back.
        let creep = |m: i64| {
            if (900..950).contains(&m) {
                0.1 * (m - 900) as f64
            } else {
                0.0
            }
        };
        let (_, found) = offs(&tank(1200, creep));
        assert_eq!(found.len(), 1, "{found:?}");
        let (m, o) = found[0];
        assert!((905..920).contains(&m), "found at minute {m}");
        assert!((o.slope - o.rate.rate).abs() > 0.05, "{o:?}");
    }

    #[test]
    fn an_excursion_held_while_an_episode_is_open_is_said_once_it_closes() {
        let creep = |m: i64| {
            if (900..950).contains(&m) {
                0.1 * (m - 900) as f64
            } else {
                0.0
            }
        };
        let mut r = Ramps::default();
        let mut found = Vec::new();
        for (m, x) in tank(1200, creep).iter().enumerate() {
            // Another test's episode is open from minute 890 to 930.
            let quiet = !(890..930).contains(&m);
            if let Some(o) = r.minute(m as i64, *x, 0.01, quiet) {
                found.push(m);
                assert!(o.since_ms < 930 * 60_000, "{o:?}");
            }
        }
        assert_eq!(found, [930]);
    }

    #[test]
    fn rates_that_wander_from_ramp_to_ramp_are_no_premise_and_nothing_is_judged() {
        // A ramp up and down, each at its own pace (0.2 to 0.5 a minute), 40 hours.
        let mut means = Vec::new();
        let mut x: f64 = 50.0;
        for ramp in 0..80_i64 {
            let pace = 0.2 + 0.3 * ((ramp * 37) % 11) as f64 / 10.0;
            let way = if ramp % 2 == 0 { 1.0 } else { -1.0 };
            for _ in 0..30 {
                x += way * pace;
                means.push((x * 100.0).round() / 100.0);
            }
        }
        let (r, found) = offs(&means);
        assert!(!r.qualified(), "{:?}", r.rates);
        assert_eq!(found, []);
    }

    #[test]
    fn a_window_across_a_switch_or_a_gap_is_neither_learnt_nor_judged() {
        let mut r = Ramps::default();
        // Down 10 minutes, then up 10: every window holding the kink is not straight.
        for m in 0..20 {
            let x = if m < 10 {
                50.0 - m as f64
            } else {
                40.0 + 2.0 * (m - 10) as f64
            };
            assert_eq!(r.minute(m, x, 0.01, true), None);
        }
        // Straight windows on either side were learnt; the kinked ones were not.
        let learnt = r.learnt;
        assert!((2..=3).contains(&learnt), "{learnt}");
        // A gap starts the window again: nine minutes after it are no window.
        for m in 30..39 {
            r.minute(m, 60.0 + m as f64, 0.01, true);
        }
        assert_eq!(r.learnt, learnt);
    }
}
