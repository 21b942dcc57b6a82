//! The dwell test on a few-level signal: a level the series leaves on a cycle, held far longer
//! than it ever held it.
//!
//! Premise: a level a series has left by itself at least [`DWELL_SEEN`] times, its longest stay
//! there within [`DWELL_REGULAR`] × its mean stay, is one it leaves on a cycle (a fridge's
//! compressor off for 20 to 30 minutes, 36 times a day; a heater's thermostat). A stay beyond
//! [`DWELL_K`] × the longest of them is news: the reading is stuck, or what it measures stopped
//! cycling (a compressor that does not start). Twinview cannot tell which, and says both. A
//! level left at irregular times (a washer off between its runs, a press stopped for a night
//! and for a break) is never judged: its longest stay is many times its mean. Stays are known
//! only while the series reports at its steady pace: a gap in its readings ends the stay
//! unlearnt and unjudged (a device that went quiet may have left the level meanwhile), so a
//! series that reports only on change is never judged so.
//!
//! Only a level held exactly is judged by its whole stay (a plug at 0 W: there a frozen
//! reading shows nothing else). At a level whose readings move (a compressor loaded at
//! 12.6 ± 0.15 A), a stay whose readings move is the process's own, and its length follows the
//! demand on it (an air compressor loaded one or two minutes a cycle at night and three in the
//! morning shift, every stay of the morning past 1.5 × the night's longest): there only a hold
//! of one value is judged, from its first reading, against the same bar (see [`Judged`]).
//!
//! Memory: the places of up to [`PLACES`] levels (allocated once the series is a few-level
//! one). Cost: O(1) per reading (a look through the places).

/// Stays at a level, ended by the series leaving it, before its stays are judged.
pub const DWELL_SEEN: u16 = 20;
/// The longest stay at most this many times the mean stay: the level is left on a cycle.
pub const DWELL_REGULAR: f64 = 2.0;
/// A stay beyond this many times the longest stay (that ended) is news. Tried with 2 on the
/// ten-day worlds: a fridge plug stuck at 0 W for 33 minutes inside an off stay was said 11
/// minutes after the fault had ended (the fridge then stayed off for the rest of its cycle).
pub const DWELL_K: f64 = 1.5;
/// Readings in a row away from every known level that end a stay (fewer are noise at the
/// level's edge, or a start-up surge on the way to the next level).
pub const DWELL_AWAY: u8 = 3;
/// A mean stay of at least this many of the series' intervals: a cycle, not a level's noise
/// crossing its band's edge.
pub const DWELL_READINGS: f64 = 10.0;
/// Levels whose stays are remembered: as many as the detector's table of levels holds.
pub const PLACES: usize = super::detect::LEVELS;

/// How the stay under way is timed for judging (see the module's premise).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Judged {
    /// A level held exactly: the whole stay.
    Stay,
    /// A level whose readings move, holding one value since this time (epoch ms): from then.
    HeldSince(i64),
    /// A level whose readings move (or whose noise is still being learnt), moving now: not
    /// judged.
    Not,
}

/// The stays at one level.
#[derive(Debug, Clone, Copy, Default)]
struct Place {
    centre: f64,
    /// Stays learnt; 0: an empty place.
    n: u16,
    longest_s: f32,
    sum_s: f32,
    /// When the series last stayed here (epoch ms): the place visited longest ago is given up
    /// for a new level.
    last_ms: i64,
}

impl Place {
    fn mean_s(&self) -> f64 {
        f64::from(self.sum_s) / f64::from(self.n.max(1))
    }

    /// Its stays are judged: seen often enough, a cycle (see the module's premise), its mean
    /// stay many readings at the series' pace `interval_s`.
    fn judged(&self, interval_s: f64) -> bool {
        let (longest, mean) = (f64::from(self.longest_s), self.mean_s());
        self.n >= DWELL_SEEN
            && longest > 0.0
            && longest <= DWELL_REGULAR * mean
            && mean >= DWELL_READINGS * interval_s
    }
}

/// The series' stays at its levels and the one under way.
#[derive(Debug, Clone, Default)]
pub struct Dwells {
    places: [Place; PLACES],
    /// The stay under way: its level's centre and band, since when, whether every reading of it
    /// could be learnt from, and whether it was said.
    now: Option<Stay>,
    /// The series' steady interval when last seen, seconds (0: never).
    interval_s: f64,
}

#[derive(Debug, Clone, Copy)]
struct Stay {
    /// The level's slot in the series' table of levels, its centre and band.
    slot: usize,
    centre: f64,
    band: f64,
    since_ms: i64,
    /// Readings in a row away from every known level, and when the first of them came.
    away: u8,
    away_ms: i64,
    clean: bool,
    said: bool,
}

impl Stay {
    fn at(level: Option<(usize, f64, f64)>, at_ms: i64, clean: bool) -> Option<Stay> {
        level.map(|(slot, centre, band)| Stay {
            slot,
            centre,
            band,
            since_ms: at_ms,
            away: 0,
            away_ms: at_ms,
            clean,
            said: false,
        })
    }
}

/// A stay judged unusual (see the module's premise).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Unusual {
    /// How long the stay has lasted, seconds.
    pub held_s: f64,
    /// The stays learnt at its level, their mean and the longest, seconds.
    pub stays: u16,
    pub mean_s: f64,
    pub longest_s: f64,
}

impl Unusual {
    /// How far beyond its bar the stay is: `held / (K × longest)`.
    pub fn score(&self) -> f64 {
        self.held_s / (DWELL_K * self.longest_s).max(f64::MIN_POSITIVE)
    }
}

impl Dwells {
    /// A reading at `at_ms`, at the known level `level` (its slot in the series' table of
    /// levels, its centre and band) or at none. A stay lasts while the readings are at the same
    /// slot and near where it began (a slot given to another level is another level).
    /// `pace`: the series' steady interval in seconds when this reading came at that pace
    /// since the one before (else the stay under way is forgotten); `learn`: nothing is open on
    /// the series (a stay with a reading that could not be learnt from is not learnt);
    /// `judged`: how the stay is timed for judging. Returns the stay under way once it is
    /// unusual, once per stay.
    pub fn observe(
        &mut self,
        level: Option<(usize, f64, f64)>,
        at_ms: i64,
        pace: Option<f64>,
        learn: bool,
        judged: Judged,
    ) -> Option<Unusual> {
        let Some(interval_s) = pace else {
            self.now = Stay::at(level, at_ms, false);
            return None;
        };
        self.interval_s = interval_s;
        let here = match (&mut self.now, level) {
            (Some(s), Some((i, c, _))) => i == s.slot && (c - s.centre).abs() <= s.band,
            (Some(s), None) => {
                // Away from every level: noise at the edge or a surge on the way, until
                // [`DWELL_AWAY`] readings in a row say the stay ended where they began.
                if s.away == 0 {
                    s.away_ms = at_ms;
                }
                s.away += 1;
                s.clean &= learn;
                if s.away < DWELL_AWAY {
                    return None;
                }
                false
            }
            (None, _) => false,
        };
        if !here {
            // The stay under way ended (the series left its level): learnt when clean.
            if let Some(s) = self.now.take() {
                if s.clean && learn && !s.said {
                    let end = if s.away > 0 { s.away_ms } else { at_ms };
                    self.learn(s, end);
                }
            }
            self.now = Stay::at(level, at_ms, learn);
            return None;
        }
        let s = self.now.as_mut()?;
        s.away = 0;
        s.clean &= learn;
        let held_s = match judged {
            Judged::Stay => (at_ms - s.since_ms) as f64 / 1000.0,
            Judged::HeldSince(t) => (at_ms - t.max(s.since_ms)) as f64 / 1000.0,
            Judged::Not => return None,
        };
        let p = self
            .places
            .iter()
            .find(|p| p.n > 0 && (p.centre - s.centre).abs() <= s.band)?;
        let longest = f64::from(p.longest_s);
        if p.judged(interval_s) && !s.said && held_s > DWELL_K * longest {
            s.said = true;
            return Some(Unusual {
                held_s,
                stays: p.n,
                mean_s: p.mean_s(),
                longest_s: longest,
            });
        }
        None
    }

    /// Whether the stay under way was said unusual (its episode stays open while it lasts).
    pub fn said(&self) -> bool {
        self.now.is_some_and(|s| s.said)
    }

    /// The stays learnt, for the detail view: a line per level judged (its stays seen, a
    /// cycle), "0.0: ~25 ≤30 min" for its mean and longest stay; "learning (N seen)" with the
    /// stays seen before any level is judged; nothing before a stay ended.
    pub fn lines(&self) -> Vec<String> {
        let mut places: Vec<&Place> = self.places.iter().filter(|p| p.n > 0).collect();
        places.sort_by(|a, b| a.centre.total_cmp(&b.centre));
        let judged: Vec<String> = places
            .iter()
            .filter(|p| p.judged(self.interval_s))
            .map(|p| {
                format!(
                    "{:.1}: ~{:.0} ≤{:.0} min",
                    p.centre,
                    p.mean_s() / 60.0,
                    p.longest_s / 60.0
                )
            })
            .collect();
        if judged.is_empty() && !places.is_empty() {
            let n: u32 = places.iter().map(|p| u32::from(p.n)).sum();
            return vec![format!("learning ({n} seen)")];
        }
        judged
    }

    fn learn(&mut self, s: Stay, end_ms: i64) {
        let held = ((end_ms - s.since_ms) as f64 / 1000.0) as f32;
        let i = self
            .places
            .iter()
            .position(|p| p.n > 0 && (p.centre - s.centre).abs() <= s.band)
            .unwrap_or_else(|| {
                // A new level: an empty place, else the one visited longest ago.
                (0..PLACES)
                    .min_by_key(|&i| (self.places[i].n > 0, self.places[i].last_ms))
                    .unwrap_or(0)
            });
        let p = &mut self.places[i];
        if p.n == 0 || (p.centre - s.centre).abs() > s.band {
            *p = Place {
                centre: s.centre,
                ..Place::default()
            };
        }
        p.n = p.n.saturating_add(1);
        p.longest_s = p.longest_s.max(held);
        p.sum_s += held;
        p.last_ms = end_ms;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    /// A fridge read every minute: off (0) for `off` minutes, on (80) for 15, `cycles` times.
    fn fridge(d: &mut Dwells, t: &mut i64, offs: &[i64]) -> Vec<(i64, Unusual)> {
        let mut said = Vec::new();
        for &off in offs {
            for (level, mins) in [((0, 0.0, 1.0), off), ((1, 80.0, 4.0), 15)] {
                for _ in 0..mins {
                    if let Some(u) = d.observe(Some(level), *t, Some(60.0), true, Judged::Stay) {
                        said.push((*t, u));
                    }
                    *t += MIN;
                }
            }
        }
        said
    }

    #[test]
    fn a_level_left_on_a_cycle_and_held_twice_its_longest_is_said_once() {
        let mut d = Dwells::default();
        let mut t = 0;
        // 40 cycles off for 20 to 30 minutes: nothing said.
        let offs: Vec<i64> = (0..40).map(|i| 20 + (i * 7) % 11).collect();
        assert_eq!(fridge(&mut d, &mut t, &offs), []);
        // Then off for 75 minutes: said once, at 46 minutes (past 1.5 × the longest, 30).
        let start = t;
        let said = fridge(&mut d, &mut t, &[75]);
        assert_eq!(said.len(), 1, "{said:?}");
        let (at, u) = said[0];
        assert_eq!((at - start) / MIN, 46);
        assert_eq!((u.stays, u.longest_s), (40, 1800.0));
        assert!(d.now.is_some());
        // The long stay is not learnt: the next one as long is said again.
        assert_eq!(fridge(&mut d, &mut t, &[75]).len(), 1);
    }

    #[test]
    fn a_reading_or_two_away_is_part_of_the_stay_and_short_stays_are_noise() {
        // A compressor's start-up surge (one reading at 464 W, at no level) between off and
        // on: the off stay ends at the first reading on; one or two readings away in the middle of a
        // stay do not end it.
        let mut d = Dwells::default();
        let mut t = 0;
        for _ in 0..30 {
            for (level, mins) in [
                (Some((0, 0.0, 1.0)), 10),
                (None, 1),
                (Some((1, 80.0, 4.0)), 14),
            ] {
                for k in 0..mins {
                    // Two readings away mid-stay.
                    let level = if mins == 14 && (k == 5 || k == 6) {
                        None
                    } else {
                        level
                    };
                    assert_eq!(d.observe(level, t, Some(60.0), true, Judged::Stay), None);
                    t += MIN;
                }
            }
        }
        let on = d.places.iter().find(|p| p.centre == 80.0).unwrap();
        // The on stays (the last one still under way): 14 minutes each, never broken by the
        // two readings away.
        assert_eq!((on.n, on.longest_s), (29, 14.0 * 60.0));
        // An off stay ends where the readings away from it began: 10 minutes, not 11.
        let off = d.places.iter().find(|p| p.centre == 0.0).unwrap();
        assert_eq!(off.longest_s, 10.0 * 60.0);
        // A level's noise crossing its band's edge makes stays of a few readings: not a cycle.
        let mut d = Dwells::default();
        let mut t = 0;
        for i in 0..400 {
            let level = if i % 4 == 3 {
                Some((1, 81.0, 1.0))
            } else {
                Some((0, 79.0, 1.0))
            };
            d.observe(level, t, Some(60.0), true, Judged::Stay);
            t += MIN;
        }
        for _ in 0..60 {
            assert_eq!(
                d.observe(Some((0, 79.0, 1.0)), t, Some(60.0), true, Judged::Stay),
                None
            );
            t += MIN;
        }
    }

    #[test]
    fn irregular_stays_gaps_and_too_few_are_not_judged() {
        // A washer: off for 20 minutes or for 10 hours: its longest stay is many times its
        // mean, so a day off is its life.
        let mut d = Dwells::default();
        let mut t = 0;
        let offs: Vec<i64> = (0..40).map(|i| if i % 3 == 0 { 600 } else { 20 }).collect();
        fridge(&mut d, &mut t, &offs);
        assert_eq!(fridge(&mut d, &mut t, &[1440]), []);
        // 19 regular stays: too few.
        let mut d = Dwells::default();
        let mut t = 0;
        fridge(&mut d, &mut t, &[25; 19]);
        assert_eq!(fridge(&mut d, &mut t, &[90]), []);
        // A gap in the readings forgets the stay: after it, the stay counts from there.
        let mut d = Dwells::default();
        let mut t = 0;
        fridge(&mut d, &mut t, &[25; 30]);
        // (Without the gap, 70 minutes would be said at 38.)
        for k in 0..70 {
            let pace = (k != 35).then_some(60.0);
            assert_eq!(
                d.observe(Some((0, 0.0, 1.0)), t, pace, true, Judged::Stay),
                None
            );
            t += MIN;
        }
        // While an episode is open nothing is learnt: the stays stay at 30.
        let mut d = Dwells::default();
        let mut t = 0;
        fridge(&mut d, &mut t, &[25; 30]);
        for _ in 0..200 {
            d.observe(Some((0, 0.0, 1.0)), t, Some(60.0), false, Judged::Stay);
            t += MIN;
        }
        d.observe(Some((1, 80.0, 4.0)), t, Some(60.0), true, Judged::Stay);
        let off = d
            .places
            .iter()
            .find(|p| p.n > 0 && p.centre == 0.0)
            .unwrap();
        assert_eq!((off.n, off.longest_s), (30, 1500.0));
        assert_eq!(d.lines(), ["0.0: ~25 ≤25 min", "80.0: ~15 ≤15 min"]);
        assert!(Dwells::default().lines().is_empty());
        let mut d = Dwells::default();
        let mut t = 0;
        fridge(&mut d, &mut t, &[25; 3]);
        assert_eq!(d.lines(), ["learning (5 seen)"]);
    }
}
