//! The levels a few-level signal dwells at (a plug's 0 W and 82 W, a compressor loaded and
//! unloaded), their own noise, the levels proven over a day, and where the series last dwelt.

use super::*;

/// The levels a few-level signal dwells at: a plug's 0 W and 82 W, a compressor loaded and
/// unloaded, a valve open and shut. Premise: a series whose readings (at least 90 % of a
/// window of 200) sit near at most four levels, two of them well apart and each holding at
/// least 5 %, lives by switching between them; a step from one known level to another is its
/// normal life (not a burst, and an overshoot on the way not a spike), and a rest at a known
/// level is not stuck. An unseen level, or noise within a level, is still judged.
#[derive(Debug, Clone)]
pub(super) struct Levels {
    pub(super) at: [(f64, u32); LEVELS],
    /// The mean step within each level (its own noise), and the steps it was learnt from.
    pub(super) noise: [f64; LEVELS],
    pub(super) noise_n: [u16; LEVELS],
    /// The longest run of repeats at each level that ended by itself.
    pub(super) longest_run: [u32; LEVELS],
    pub(super) seen: u32,
    pub(super) missed: u32,
    pub(super) few: bool,
    pub(super) total: u32,
    /// The levels proven while the series was a few-level one (allocated then: most series
    /// never are).
    pub(super) proven: Option<Box<Proven>>,
    /// The largest held level's magnitude (see [`Levels::largest`]).
    pub(super) top: f64,
    /// Where the series last dwelt (NaN before any) and when it was last there; the largest
    /// step since; the held level it is at now and the readings in a row there; the moves
    /// between dwellings well apart that switched and that ramped (see [`SWITCH_SHARE`]),
    /// halved every window as the table's counts are (not to zero: one ramp seen and no
    /// switch since still says which the series does).
    pub(super) home: f64,
    pub(super) home_ms: i64,
    pub(super) way: f64,
    pub(super) stay: (f64, u32),
    pub(super) switched: f32,
    pub(super) ramped: f32,
}

/// Levels that held at least 5 % of a window while the series was a few-level one. The
/// window's table forgets a level visited only at breaks (its count halves every window);
/// this keeps it for a day.
#[derive(Debug, Clone, Default)]
pub(super) struct Proven {
    /// Centre and when last so held (epoch ms; 0: empty).
    pub(super) at: [(f64, i64); PROVEN],
    /// When the set last gained a level, and when it last had to forget one seen within
    /// [`STEP_MEMORY_MS`] to make room (epoch ms).
    pub(super) changed_ms: i64,
    pub(super) crowded_ms: Option<i64>,
}

impl Proven {
    /// The levels still remembered at `at_ms` (held within [`STEP_MEMORY_MS`]).
    pub(super) fn live(&self, at_ms: i64) -> impl Iterator<Item = f64> + '_ {
        self.at
            .iter()
            .filter(move |(_, t)| *t > 0 && at_ms - t < STEP_MEMORY_MS)
            .map(|(l, _)| *l)
    }
}

impl Default for Levels {
    fn default() -> Levels {
        Levels {
            at: [(0.0, 0); LEVELS],
            noise: [0.0; LEVELS],
            noise_n: [0; LEVELS],
            longest_run: [0; LEVELS],
            seen: 0,
            missed: 0,
            few: false,
            total: 0,
            proven: None,
            top: 0.0,
            home: f64::NAN,
            home_ms: 0,
            way: 0.0,
            stay: (f64::NAN, 0),
            switched: 0.0,
            ramped: 0.0,
        }
    }
}

impl Levels {
    /// The largest level's magnitude (what "near zero" is measured against).
    pub(super) fn largest(&self) -> f64 {
        self.top
    }

    /// Recomputes [`Levels::largest`] after the table changed (once per reading learnt, where
    /// several lookups per reading had each scanned the table).
    pub(super) fn refresh_largest(&mut self) {
        self.top = self
            .at
            .iter()
            .filter(|l| l.1 > 0)
            .fold(0.0f64, |m, l| m.max(l.0.abs()));
    }

    /// How near a level `c` a reading must be: 5 % of the level, at least two steps of the
    /// resolution; a level near zero (under 5 % of the largest, `m`) takes 1 % of the largest,
    /// so a meter's idle noise around 0 W stays at its level.
    pub(super) fn tol(res: f64, c: f64, m: f64) -> f64 {
        let base = (2.0 * res).max(0.05 * c.abs());
        let base = if c.abs() < 0.05 * m {
            base.max(0.01 * m)
        } else {
            base
        };
        base.max(1e-9)
    }

    pub(super) fn find(&self, x: f64, res: f64) -> Option<usize> {
        let m = self.largest();
        self.at
            .iter()
            .enumerate()
            .filter(|(_, (c, n))| *n > 0 && (x - c).abs() <= Levels::tol(res, *c, m))
            .min_by(|a, b| (x - a.1 .0).abs().total_cmp(&(x - b.1 .0).abs()))
            .map(|(i, _)| i)
    }

    /// How near a level at `c` a reading must be to be at it (see [`Levels::tol`]).
    pub(super) fn band(&self, c: f64, res: f64) -> f64 {
        Levels::tol(res, c, self.largest())
    }

    pub(super) fn apart(&self, i: usize, j: usize, res: f64) -> bool {
        let ((a, _), (b, _)) = (self.at[i], self.at[j]);
        Levels::well_apart(res, a, b, self.largest())
    }

    /// Two levels at `a` and `b` are two, not one, when further apart than four times their
    /// bands together (`m`: the largest level, see [`Levels::tol`]).
    pub(super) fn well_apart(res: f64, a: f64, b: f64, m: f64) -> bool {
        (a - b).abs() > 4.0 * (Levels::tol(res, a, m) + Levels::tol(res, b, m))
    }

    /// The noise at the known level `x` sits at: a few-level signal's steps within a level
    /// are judged against that level's own noise (a compressor at load is noisier than at
    /// rest). `Some(None)`: `x` is at a known level whose noise is still being learnt (fewer
    /// than [`LEVEL_NOISE_KNOWN`] steps within it), so nothing that depends on it is judged;
    /// `None`: not at a known level of a few-level signal.
    ///
    /// Before a series is known to be a few-level one, the noise of a level it has dwelt at is
    /// still given once learnt (the caller takes the larger of it and the series' own).
    pub(super) fn noise_at(&self, x: f64, res: f64) -> Option<Option<f64>> {
        if !self.few {
            let i = self.find(x, res).filter(|i| self.at[*i].1 >= 3)?;
            return (self.noise_n[i] >= LEVEL_NOISE_KNOWN).then_some(Some(self.noise[i]));
        }
        let i = self.known(x, res)?;
        Some((self.noise_n[i] >= LEVEL_NOISE_KNOWN).then_some(self.noise[i]))
    }

    /// `x` sits at a known level whose noise was learnt from fewer than
    /// [`LEVEL_NOISE_TRUSTED`] steps.
    pub(super) fn young_at(&self, x: f64, res: f64) -> bool {
        self.known(x, res)
            .is_some_and(|i| self.noise_n[i] < LEVEL_NOISE_TRUSTED)
    }

    /// `run`: the repeats of `prev` before `x` (see [`Detector`]'s `run`).
    pub(super) fn observe(&mut self, prev: f64, x: f64, res: f64, at_ms: i64, run: u32) {
        let found = self.find(x, res);
        self.moved(prev, x, found, res, at_ms);
        match found {
            Some(i) => {
                self.at[i].1 = self.at[i].1.saturating_add(1);
                // Every step from within three of the level's bands counts, not only those
                // nearest to it (a noisy level near zero may hold several fragments) nor only
                // those within one band (5 % of the level may be narrower than its noise, and
                // the noise learnt from within it too small: a press vibrating at 2.4 ± 0.12).
                let m = self.largest();
                let c = self.at[i].0;
                if (prev - c).abs() <= 3.0 * Levels::tol(res, c, m) {
                    // A plain mean over the first steps, then a running one; once known,
                    // clipped as the series' own scale is, so a spike within the level
                    // cannot teach it the spike.
                    let mut step = (x - prev).abs();
                    let known = self.noise_n[i] >= LEVEL_NOISE_KNOWN;
                    if known {
                        step = step.min(4.0 * self.noise[i].max(res));
                    }
                    // A repeat in a run longer than any the level had, at a level known to
                    // move by its resolution or more, is not learnt: a plug frozen at its on
                    // level taught the level its own stillness, run by run, until its run was
                    // no longer judged.
                    let frozen =
                        known && step == 0.0 && run >= self.longest_run[i] && self.noise[i] >= res;
                    if !frozen {
                        self.noise_n[i] = self.noise_n[i].saturating_add(1);
                        let k = f64::from(self.noise_n[i].min(LEVEL_NOISE_WINDOW));
                        self.noise[i] += (step - self.noise[i]) / k;
                    }
                }
            }
            None => {
                self.missed += 1;
                // The least held level gives way, one reading at a time.
                let j = (0..LEVELS).min_by_key(|j| self.at[*j].1).unwrap_or(0);
                if self.at[j].1 <= 1 {
                    self.at[j] = (x, 1);
                    self.noise[j] = 0.0;
                    self.noise_n[j] = 0;
                    self.longest_run[j] = 0;
                } else {
                    self.at[j].1 -= 1;
                }
            }
        }
        self.refresh_largest();
        self.seen += 1;
        self.total = self.total.saturating_add(1);
        // The first verdict comes early, so a cycling plug is known within its first hour.
        let window = if self.total <= LEVEL_FIRST {
            LEVEL_FIRST
        } else {
            LEVEL_WINDOW
        };
        if self.seen >= window {
            self.merge(res);
            self.refresh_largest();
            let big: Vec<usize> = (0..LEVELS)
                .filter(|i| self.at[*i].1 >= self.seen / 20)
                .collect();
            let separated = big
                .iter()
                .any(|&i| big.iter().any(|&j| i < j && self.apart(i, j, res)));
            // Proven once (two levels well apart), a few-level series stays one while its
            // readings keep to its levels: a compressor that runs all shift is still one.
            self.few = self.missed * 10 <= self.seen && (separated || self.few);
            self.switched /= 2.0;
            self.ramped /= 2.0;
            if self.few {
                self.prove(&big, res, at_ms);
            }
            self.seen = 0;
            self.missed = 0;
            for l in &mut self.at {
                l.1 /= 2;
            }
            self.refresh_largest();
        }
    }

    /// Its moves between the places it dwells at were mostly ramps (see [`SWITCH_SHARE`]).
    pub(super) fn ramps(&self) -> bool {
        self.ramped > self.switched
    }

    /// Follows the series between the places it dwells at (`found`: the table level `x` is
    /// at): a move from where it last dwelt to a dwelling well apart is counted a switch or a
    /// ramp (see [`SWITCH_SHARE`]).
    pub(super) fn moved(&mut self, prev: f64, x: f64, found: Option<usize>, res: f64, at_ms: i64) {
        let m = self.largest();
        if self.home.is_finite() && (x - self.home).abs() <= Levels::tol(res, self.home, m) {
            self.home_ms = at_ms;
            self.way = 0.0;
            self.stay = (self.home, 0);
            return;
        }
        self.way = self.way.max((x - prev).abs());
        let Some(c) = found
            .filter(|&i| self.at[i].1 >= LEVEL_HELD)
            .map(|i| self.at[i].0)
        else {
            self.stay.1 = 0;
            return;
        };
        self.stay = if self.stay.0 == c {
            (c, self.stay.1.saturating_add(1))
        } else {
            (c, 1)
        };
        if self.stay.1 < LEVEL_DWELL {
            return;
        }
        if self.home.is_finite() && Levels::well_apart(res, self.home, c, m) {
            let quick = at_ms - self.home_ms <= SWITCH_SETTLE_MS;
            if quick || self.way >= SWITCH_SHARE * (c - self.home).abs() {
                self.switched += 1.0;
            } else {
                self.ramped += 1.0;
            }
        } else if self.home.is_finite() {
            // A place near where it dwelt (a fragment of a noisy level): not a move.
            return;
        }
        self.home = c;
        self.home_ms = at_ms;
        self.way = 0.0;
    }

    /// Notes the levels that held a share of the window just closed (`big`) as proven. A
    /// level not well apart from a proven one is that one (a noisy level's table holds
    /// fragments of it: a press's 2.45 and 2.61).
    pub(super) fn prove(&mut self, big: &[usize], res: f64, at_ms: i64) {
        let m = self.largest();
        let table = self.at;
        let p = self.proven.get_or_insert_with(Box::default);
        for &i in big {
            let c = table[i].0;
            let near = (0..PROVEN).find(|&k| {
                let (l, t) = p.at[k];
                t > 0 && !Levels::well_apart(res, l, c, m)
            });
            match near {
                Some(k) => p.at[k].1 = at_ms,
                None => {
                    let k = (0..PROVEN).min_by_key(|&k| p.at[k].1).unwrap_or(0);
                    let t = p.at[k].1;
                    if t > 0 && at_ms - t < STEP_MEMORY_MS {
                        p.crowded_ms = Some(at_ms);
                    }
                    p.at[k] = (c, at_ms);
                    p.changed_ms = at_ms;
                }
            }
        }
    }

    /// `x` is at none of the proven levels of a few-level signal whose proven set (at least
    /// two, seen within [`STEP_MEMORY_MS`]) has not changed for [`LEVELS_STABLE_MS`], and is
    /// well apart from each (as two levels must be to be a switch); `from` is at one of them.
    ///
    /// Premise: a machine whose levels have been the same few for hours (a press stopped and
    /// running, its vibration at 0 and 2.4) and that goes to a level it never took is news (a
    /// bearing's vibration up to 3.7). A series whose levels keep changing (a site's meter,
    /// its loads combining anew) has no stable set, and one that had more levels in a week
    /// than are remembered ([`PROVEN`]) has forgotten some it lives by: neither is judged so.
    ///
    /// `from` is at a level when within its band; when `settled` (no jump outside its switches
    /// for [`LEVELS_STABLE_MS`]), also when at a fragment of it in the window's table. Premise:
    /// a noisy level's readings stray beyond its band (a press at 2.41 reads 2.59), and a
    /// series that has only switched between its levels for hours was at one of them; a series
    /// still jumping about (a site's meter at night, 1,100 W off its proven base) was not
    /// (that gave two false shifts of the plant meter in 48 h).
    pub(super) fn unseen(&self, from: f64, x: f64, res: f64, at_ms: i64, settled: bool) -> bool {
        let Some(p) = self.proven.as_deref().filter(|_| self.few) else {
            return false;
        };
        if at_ms - p.changed_ms < LEVELS_STABLE_MS
            || p.crowded_ms.is_some_and(|t| at_ms - t < STEP_MEMORY_MS)
        {
            return false;
        }
        let m = self.largest();
        p.live(at_ms).count() >= 2
            && self.at_proven(from, res, at_ms, settled).is_some()
            && p.live(at_ms).all(|l| Levels::well_apart(res, x, l, m))
    }

    /// The proven level (of a few-level series, seen within [`STEP_MEMORY_MS`]) `x` is at:
    /// within its band or, when `fragments`, at a level of the window's table that is a
    /// fragment of it (a press's noisy 2.41 is held in the table as 2.45 and 2.61, and proven
    /// as one, see `prove`).
    pub(super) fn at_proven(&self, x: f64, res: f64, at_ms: i64, fragments: bool) -> Option<f64> {
        let p = self.proven.as_deref().filter(|_| self.few)?;
        let m = self.largest();
        let fragment = self
            .find(x, res)
            .filter(|&i| fragments && self.at[i].1 >= 3)
            .map(|i| self.at[i].0);
        p.live(at_ms).find(|&l| {
            (x - l).abs() <= Levels::tol(res, l, m)
                || fragment.is_some_and(|c| !Levels::well_apart(res, l, c, m))
        })
    }

    /// `x` is near a level the series has dwelt at (whether or not it is a few-level one).
    pub(super) fn dwelt(&self, x: f64, res: f64) -> bool {
        self.find(x, res).is_some_and(|i| self.at[i].1 >= 3)
    }

    /// Levels that came to overlap (their bands widen as the largest level grows) become one:
    /// the more held takes the other's readings.
    pub(super) fn merge(&mut self, res: f64) {
        let m = self.largest();
        for i in 0..LEVELS {
            for j in 0..LEVELS {
                let ((a, na), (b, nb)) = (self.at[i], self.at[j]);
                if i == j || na == 0 || nb == 0 || na < nb || (na == nb && i > j) {
                    continue;
                }
                if (a - b).abs() <= Levels::tol(res, a, m).max(Levels::tol(res, b, m)) {
                    self.at[i].1 = na.saturating_add(nb);
                    self.at[j] = (0.0, 0);
                    if self.noise_n[j] > self.noise_n[i] {
                        self.noise[i] = self.noise[j];
                        self.noise_n[i] = self.noise_n[j];
                    }
                    self.noise[j] = 0.0;
                    self.noise_n[j] = 0;
                    self.longest_run[i] = self.longest_run[i].max(self.longest_run[j]);
                    self.longest_run[j] = 0;
                }
            }
        }
    }

    /// `x` sits at a known level of a few-level series.
    pub(super) fn known(&self, x: f64, res: f64) -> Option<usize> {
        if !self.few {
            return None;
        }
        self.find(x, res).filter(|i| self.at[*i].1 >= 3)
    }

    /// `x` and `y` sit at two known levels well apart: a switch between them.
    pub(super) fn switch(&self, x: f64, y: f64, res: f64) -> bool {
        match (self.known(x, res), self.known(y, res)) {
            (Some(i), Some(j)) => i != j && self.apart(i, j, res),
            _ => false,
        }
    }
}
