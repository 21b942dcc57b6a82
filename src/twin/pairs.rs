//! Two probes of one device that measure the same quantity side by side: an ESPHome node's
//! DHT22 and BME280 both reading the greenhouse air.
//!
//! Premise: two probes of one device, in one unit and of one device class (where discovery
//! gives one), whose ten-minute means moved together for hours until the creep (their
//! difference spread a fifth of what the probe moved, at most, over the blocks up to its
//! start) measure one place; the difference between them is
//! the probes', and it holds. A probe that drifts takes their difference with it, slowly, and
//! which of the two crept cannot be told from the pair alone (twinview says nothing while it
//! creeps). When one of them then steps back (reset, re-seated, recovered) the difference
//! returns to where it usually sits: the one that stepped is the one that had drifted, and
//! the step is the end of its drift.
//!
//! The rule, at every reading of a paired probe:
//! - the mean difference over its last [`SIDE`] readings stands [`PAIR_K`] × the difference's
//!   usual change between readings (at least its resolution: two probes read to 0.1 °C at rest
//!   differ by the same value for hours) from the mean over the [`SIDE`] before;
//! - the step is this probe's: less the place's own trend (the two probes' mean change per
//!   reading, learnt from the readings before), it moved half the step at least and twice as
//!   far as the other (a greenhouse warming in the morning moves both);
//! - the difference came back within a quarter of the step of its usual value (the median of
//!   its ten-minute means over the last day), having been three quarters of the step away;
//! - it left gradually: since the latest ten-minute mean near its usual value at least two
//!   more passed, none a jump of half the step from the one before, but for an excursion
//!   that came back within two hours to within half the step of where it left (either probe's
//!   level shift that came and went, a machine that stopped and warmed again: back is any
//!   ten-minute mean of the two hours after it left). A level shift of the other probe that
//!   stayed leaves the drift unsaid: which probe the way out was is unknown.
//!
//! While it creeps: at each ten-minute mean of the difference that closes, once six hours of
//! them are kept, a creep is said on the probe that moved, when the latest two stand beyond
//! the difference's usual value by [`CREEP_K`] × the spread of its ten-minute means about it
//! (and [`CREEP_QUANTA`] × its resolution), it left gradually from the latest mean near its
//! usual value 20 minutes to an hour ([`CREEP_BLOCKS`]) before, the two moved together before
//! that, and since then this probe moved the way the difference did by [`CREEP_OWN`] of its
//! change while the other moved [`CREEP_OTHER`] of it at most. Premise: which of the two crept
//! cannot be told from their difference, but while the place holds still (a press running at
//! its heat, a greenhouse at night) the one that moved is the one that crept; over an hour a
//! place held by its process moves less than that. While the place moves (a shift's start, the
//! sun), or over longer (a hall warming a degree over a morning moved one press while its
//! sibling's slow drift cancelled it), which one crept is unknown and nothing is said until
//! the step back. Said once per departure, for pairs, siblings and families alike.
//!
//! Pairs are made only where a device has exactly two such probes (a third makes the pair
//! ambiguous), none of them in a zone or a numbered family (those have peers), named as a
//! setpoint or beside one (the setpoint test's), or a counter. A level shift of one probe
//! (the difference leaving its usual value at a step) is the lone step test's, not this one's.
//!
//! Siblings: the same series of two numbered devices (`line1/press1/motor_temp` and
//! `line1/press2/motor_temp`, one family by `identity::numbered_family`, in one unit, when the
//! family has exactly two and neither has peers on its own device; looked for once a series
//! has dipped, so no counter is one) are compared the same way,
//! but only to name a lone step (and to say a creep while it creeps, above). Premise: two
//! machines of one line run one plan, so their temperatures follow the same shifts, and a
//! probe that creeps takes their difference with it. When the lone step test says a level
//! shift and the difference shows, at that step, the end of a creep by the rule above, the
//! step is the end of a drift. A level shift starts with the difference at its usual value,
//! so it stays a level shift. Not where a stuck episode of the stepping series lasted into the
//! creep: a reading held while its sibling moved on makes the difference creep too. (Two
//! presses' on/off vibrations compared by the pair rule's own steps made 19 false drifts in
//! nine plant days: siblings only name, but for a creep while the other holds.)
//!
//! Families: a probe of a numbered family of at least three on one device (soil probes) is
//! compared the same way with the median of the rest of its family's latest readings, to name
//! its lone steps only, as siblings are. Premise: such probes sit side by side in one medium,
//! so each differs from the others by an offset of its own that holds.
//!
//! The other probe's latest reading counts only within three of its usual intervals (ten
//! minutes at most): a machine whose sibling fell silent heats on, and its difference with the
//! silent one's last reading is no difference between the two.
//!
//! Cost: O(1) per reading of a paired probe (a few sums; a median over a day of ten-minute
//! means, 144 values, only when a step is as large as one, and at each ten-minute mean that
//! closes for the creep). Memory: about 2.4 kB per paired
//! probe; nothing for others.

/// Readings a probe has had before its pair is looked for (its unit and its class are known
/// by then).
pub const PAIR_LOOK: u64 = 100;
/// The mean difference over the last [`SIDE`] readings standing this many times the
/// difference's usual change between readings (mean absolute, at least its resolution) from
/// the mean over the [`SIDE`] before is a step.
pub const PAIR_K: f64 = 3.0;
/// Readings on each side of a step whose means are compared: two, so a probe reporting every
/// minute is decided at its second reading after the step.
const SIDE: usize = 2;
/// Readings kept: both sides, and the two before them that the place's own trend is read
/// from.
const RING: usize = 2 * SIDE + 2;
/// Changes of the difference learnt before a step is judged.
const PAIR_WARM: u32 = 60;
/// Ten-minute means of the difference kept (a day), and the least judged (two hours).
const BLOCKS: usize = 144;
const BLOCKS_WARM: usize = 12;
const BLOCK_MS: i64 = 10 * 60_000;
/// A drift's end is judged against the difference's blocks older than this (see
/// [`Pair::decide`]): a slow drift creeps for up to six hours.
const USUAL_OLDER_MS: i64 = 6 * 3_600_000;
/// Ten-minute blocks an excursion of the difference may span and still be passed over (two
/// hours): a fault of either probe that came and went while the other crept (a greenhouse DHT
/// read in °F for 66 and 85 minutes while the BME beside it crept 0.5 °C over six hours: the
/// BME's end was unsaid with an hour; held-out 24 h home seeds 32 and 37). Longer, too much
/// of the way out is unseen to call it a creep.
const EXCURSION: usize = 12;
/// The other probe's latest reading counts only this fresh (10 minutes), and, where its usual
/// interval is known, only within [`FRESH_INTERVALS`] of them.
const FRESH_MS: i64 = 10 * 60_000;
/// How many of the other probe's usual intervals its latest reading counts within (a press
/// whose sibling fell silent heats on: its difference with the silent one's last reading is no
/// difference between the two).
const FRESH_INTERVALS: f64 = 3.0;

/// How old the other probe's latest reading may be and still count, for a probe that usually
/// reports every `interval_s` seconds (0 when unknown).
pub fn fresh_ms(interval_s: f64) -> i64 {
    if interval_s > 0.0 && interval_s.is_finite() {
        ((FRESH_INTERVALS * interval_s * 1000.0) as i64).min(FRESH_MS)
    } else {
        FRESH_MS
    }
}

/// The pair moved together: the spread of the difference's ten-minute means at most this
/// share of the spread of the probe's own.
const TOGETHER: f64 = 0.2;

/// A creep is judged once this many ten-minute means of the difference are kept (six hours).
const CREEP_WARM: usize = 36;
/// A creep: the difference's latest two ten-minute means beyond its usual value by this many
/// times the spread of its ten-minute means about it (the median of their distances from the
/// median), …
pub const CREEP_K: f64 = 6.0;
/// … and by this many of the difference's smallest change (its resolution, where the probes
/// read to one: two probes read to 0.1 °C differ by whole tenths).
const CREEP_QUANTA: f64 = 5.0;
/// A creep is said while it creeps only within this many ten-minute means of where it left
/// its usual value (an hour): over longer, the place itself moves (a hall warming a degree
/// over a morning moves one press's motor while its sibling's slow drift cancels it), and
/// which probe moved no longer tells which one crept.
const CREEP_BLOCKS: usize = 6;
/// The probe that crept moved this share of the difference's change at least since it left
/// its usual value, the other at most [`CREEP_OTHER`] of it.
const CREEP_OWN: f64 = 0.75;
const CREEP_OTHER: f64 = 0.25;
/// The place's pace before a creep is read over this many ten-minute means before it left
/// its usual value (half an hour).
const PACE_BLOCKS: usize = 3;

/// One probe's view of its pair.
#[derive(Debug, Clone)]
pub struct Pair {
    /// The other probe (a series index; pairs are dropped when series are forgotten).
    pub other: usize,
    /// This probe's value, the other's and their difference at the last readings, oldest
    /// first ([`RING`] once full).
    recent: [[f64; 3]; RING],
    recent_len: usize,
    /// The place's own change per reading (the mean of the two probes'), learnt from
    /// readings before the compared ones.
    trend: f64,
    /// The difference's mean absolute change between readings, and the changes learnt.
    dstep: f64,
    dstep_n: u32,
    /// The least change of the difference seen between readings (its resolution, where the
    /// probes read to one: the usual change of two quantised probes at rest is next to 0).
    dres: f64,
    /// Readings to pass before another step is judged (one said, or the ring refilling).
    quiet: usize,
    /// The ten-minute block being summed: its start, the sums of the value and the difference.
    block: (i64, f64, f64, u32),
    /// Closed blocks (start, mean value, mean difference), a ring of a day.
    blocks: Box<[(i64, f32, f32); BLOCKS]>,
    blocks_len: usize,
    blocks_next: usize,
    /// When each kept reading was (epoch ms).
    recent_ms: [i64; RING],
    /// A creep seen while it creeps, until the caller takes it; and whether the departure
    /// under way was said (once per departure: forgotten when the difference is back).
    creep: Option<Creep>,
    creep_said: bool,
}

/// A creep of this probe away from the other, seen while it creeps (see
/// [`Pair::take_creep`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Creep {
    /// The difference's usual value (the median of its ten-minute means over the last day),
    /// the spread of those means about it, and its latest ten-minute mean.
    pub usual: f64,
    pub spread: f64,
    pub now: f64,
    /// Since when it has been creeping (the latest ten-minute mean near usual, epoch ms).
    pub since_ms: i64,
    /// How far this probe's ten-minute mean moved since then, and the other's.
    pub moved: f64,
    pub other_moved: f64,
}

/// A drift's end the pair saw.
#[derive(Debug, Clone, PartialEq)]
pub struct DriftEnd {
    /// When the step was (the first reading after it, epoch ms).
    pub at_ms: i64,
    /// The difference's usual value, where it stood before the step, and after.
    pub usual: f64,
    pub before: f64,
    pub after: f64,
    /// Since when it had been creeping (the latest ten-minute mean near usual, epoch ms).
    pub since_ms: i64,
    /// The step in the difference's usual changes.
    pub score: f64,
}

impl Pair {
    pub fn new(other: usize) -> Pair {
        Pair {
            other,
            recent: [[0.0; 3]; RING],
            recent_len: 0,
            trend: 0.0,
            dstep: 0.0,
            dstep_n: 0,
            dres: f64::INFINITY,
            quiet: 0,
            block: (0, 0.0, 0.0, 0),
            blocks: Box::new([(0, 0.0, 0.0); BLOCKS]),
            blocks_len: 0,
            blocks_next: 0,
            recent_ms: [0; RING],
            creep: None,
            creep_said: false,
        }
    }

    /// The creep seen at the latest ten-minute mean, if any (taken once).
    pub fn take_creep(&mut self) -> Option<Creep> {
        self.creep.take()
    }

    /// A reading `x` of this probe at `at_ms`, with the other's latest (value, epoch ms) and
    /// how old that may be and still count (see [`fresh_ms`]).
    pub fn observe(
        &mut self,
        x: f64,
        other: (f64, i64),
        fresh_ms: i64,
        at_ms: i64,
    ) -> Option<DriftEnd> {
        let (y, y_ms) = other;
        if at_ms - y_ms > fresh_ms || !x.is_finite() || !y.is_finite() {
            self.recent_len = 0;
            return None;
        }
        let d = x - y;
        self.sum_block(x, d, at_ms);
        if let Some(&[_, _, pd]) = self.recent[..self.recent_len].last() {
            // Learnt plainly at first, then slowly; one change counts at most 3 of the usual
            // (a step does not teach the pair that it steps).
            let dd = (d - pd).abs();
            let c = if self.dstep_n == 0 {
                dd
            } else {
                dd.min(3.0 * self.dstep)
            };
            if dd > 1e-9 {
                self.dres = self.dres.min(dd);
            }
            self.dstep_n = self.dstep_n.saturating_add(1);
            let rate = (1.0 / f64::from(self.dstep_n)).max(1.0 / 500.0);
            self.dstep += (c - self.dstep) * rate;
        }
        if self.recent_len == RING {
            // The place's trend from the two oldest kept (before the compared readings).
            let [a, b] = [self.recent[0], self.recent[1]];
            let change = 0.5 * ((b[0] - a[0]) + (b[1] - a[1]));
            self.trend += (change - self.trend) * 0.2;
            self.recent.copy_within(1.., 0);
            self.recent_ms.copy_within(1.., 0);
            self.recent_len -= 1;
        }
        self.recent[self.recent_len] = [x, y, d];
        self.recent_ms[self.recent_len] = at_ms;
        self.recent_len += 1;
        self.quiet = self.quiet.saturating_sub(1);
        if self.recent_len < RING || self.quiet > 0 || self.dstep_n < PAIR_WARM {
            return None;
        }
        let news = self.decide();
        if news.is_some() {
            self.quiet = RING;
        }
        news
    }

    /// The difference's usual change between readings: its mean absolute change, at least
    /// its resolution.
    fn usual_change(&self) -> f64 {
        if self.dres.is_finite() {
            self.dstep.max(self.dres)
        } else {
            self.dstep
        }
    }

    fn sum_block(&mut self, x: f64, d: f64, at_ms: i64) {
        let (start, sx, sd, n) = self.block;
        if n > 0 && at_ms - start >= BLOCK_MS {
            let nf = f64::from(n);
            self.blocks[self.blocks_next] = (start, (sx / nf) as f32, (sd / nf) as f32);
            self.blocks_next = (self.blocks_next + 1) % BLOCKS;
            self.blocks_len = (self.blocks_len + 1).min(BLOCKS);
            self.block = (at_ms, x, d, 1);
            self.creep = self.judge_creep();
        } else if n == 0 {
            self.block = (at_ms, x, d, 1);
        } else {
            self.block = (start, sx + x, sd + d, n + 1);
        }
    }

    /// The closed blocks, latest first.
    fn latest_first(&self) -> impl Iterator<Item = (i64, f64, f64)> + '_ {
        (1..=self.blocks_len).map(move |k| {
            let (t, a, d) = self.blocks[(self.blocks_next + BLOCKS - k) % BLOCKS];
            (t, f64::from(a), f64::from(d))
        })
    }

    /// Whether the difference's ten-minute means show this probe creeping away from the other
    /// now, judged as each closes (once per departure; see the module's "While it creeps").
    fn judge_creep(&mut self) -> Option<Creep> {
        let n = self.blocks_len;
        if n < CREEP_WARM {
            return None;
        }
        let mut ds = [0f64; BLOCKS];
        let mut blocks = [(0i64, 0f64, 0f64); BLOCKS];
        for (k, b) in self.latest_first().enumerate() {
            blocks[k] = b;
            ds[k] = b.2;
        }
        let blocks = &blocks[..n];
        let (usual, _) = median_mad(&mut ds[..n]);
        for d in &mut ds[..n] {
            *d = (*d - usual).abs();
        }
        let (spread, _) = median_mad(&mut ds[..n]);
        let quanta = if self.dres.is_finite() {
            CREEP_QUANTA * self.dres
        } else {
            0.0
        };
        let bar = (CREEP_K * spread).max(quanta);
        let now = blocks[0].2;
        let dep = now - usual;
        if dep.abs() <= 0.5 * bar {
            self.creep_said = false;
        }
        let beyond = |d: f64| (d - usual).abs() > bar && (d - usual).signum() == dep.signum();
        if self.creep_said || bar <= 0.0 || !beyond(now) || !beyond(blocks[1].2) {
            return None;
        }
        // Gradually, from the latest block near usual: each block within half the departure
        // of the one after it (a level shift is the step tests'), two blocks or more away.
        let near = 0.25 * dep.abs();
        let k0 = (1..n).find(|&k| (blocks[k].2 - usual).abs() <= near)?;
        if !(2..=CREEP_BLOCKS).contains(&k0)
            || (0..k0).any(|k| (blocks[k].2 - blocks[k + 1].2).abs() > 0.5 * dep.abs())
        {
            return None;
        }
        let (since_ms, x0, d0) = blocks[k0];
        // They moved together until the creep (as for a drift's end, see `decide`).
        if !self.together_until(since_ms) {
            return None;
        }
        let change = now - d0;
        // The place held still before the creep: at the pace the two moved together over the
        // half hour before it, the place would have moved over the creep less than the other
        // probe may. Else a probe moving on with its place (a greenhouse cooling at dusk) while
        // the other's drift held that one still looks the same as this probe creeping.
        let place = |k: usize| blocks[k].1 - 0.5 * blocks[k].2;
        if k0 + PACE_BLOCKS < n {
            let pace = (place(k0) - place(k0 + PACE_BLOCKS)) / PACE_BLOCKS as f64;
            if (pace * k0 as f64).abs() > CREEP_OTHER * change.abs() {
                return None;
            }
        }
        // This probe moved, the other held: which of the two crept is then known.
        let moved = blocks[0].1 - x0;
        let other_moved = (blocks[0].1 - now) - (x0 - d0);
        if moved.signum() != change.signum()
            || moved.abs() < CREEP_OWN * change.abs()
            || other_moved.abs() > CREEP_OTHER * change.abs()
        {
            return None;
        }
        self.creep_said = true;
        Some(Creep {
            usual,
            spread,
            now,
            since_ms,
            moved,
            other_moved,
        })
    }

    /// Whether the two moved together over the blocks up to `since_ms` ([`BLOCKS_WARM`] of
    /// them at least): the difference's spread about its median (the median of the blocks'
    /// distances from it) at most [`TOGETHER`] × the probe's own spread.
    fn together_until(&self, since_ms: i64) -> bool {
        let (mut xs, mut ds) = ([0f64; BLOCKS], [0f64; BLOCKS]);
        let mut m = 0;
        for (_, a, d) in self.latest_first().filter(|(t, ..)| *t <= since_ms) {
            (xs[m], ds[m]) = (a, d);
            m += 1;
        }
        if m < BLOCKS_WARM {
            return false;
        }
        let (usual_before, _) = median_mad(&mut ds[..m]);
        for d in &mut ds[..m] {
            *d = (*d - usual_before).abs();
        }
        let (spread_d, _) = median_mad(&mut ds[..m]);
        let (_, spread_x) = median_mad(&mut xs[..m]);
        spread_d <= TOGETHER * spread_x
    }

    /// The step between the two sides of the kept readings, if it ended a drift.
    fn decide(&self) -> Option<DriftEnd> {
        let mean = |from: usize, k: usize| {
            self.recent[from..from + SIDE]
                .iter()
                .map(|r| r[k])
                .sum::<f64>()
                / SIDE as f64
        };
        let (b0, a0) = (RING - 2 * SIDE, RING - SIDE);
        let step = mean(a0, 2) - mean(b0, 2);
        if step.abs() < PAIR_K * self.usual_change() || self.blocks_len < BLOCKS_WARM {
            return None;
        }
        // It was this probe's: less the place's own trend over the time between the sides,
        // it moved half the step at least and twice as far as the other.
        let drift = self.trend * SIDE as f64;
        let jx = mean(a0, 0) - mean(b0, 0) - drift;
        let jy = mean(a0, 1) - mean(b0, 1) - drift;
        if jx.abs() < 0.5 * step.abs() || jx.abs() < 2.0 * jy.abs() {
            return None;
        }
        let (before, after) = (mean(b0, 2), mean(a0, 2));
        let ms = self.recent_ms[a0];
        // Its usual value: the median of the blocks older than six hours, where twelve or more
        // are kept, else of all: a creep of six hours (a probe's slow drift) would otherwise be
        // a third of a day's blocks and pull the median toward it (a greenhouse pair that held
        // -0.30 apart for a night and crept to +0.14 over six hours had a "usual" of -0.24).
        // (Latest first: the blocks of the last six hours lead.)
        let (mut ds, mut n, mut recent) = ([0f64; BLOCKS], 0, 0);
        for (t, _, d) in self.latest_first() {
            ds[n] = d;
            n += 1;
            if ms - t < USUAL_OLDER_MS {
                recent = n;
            }
        }
        let from = if n - recent >= BLOCKS_WARM { recent } else { 0 };
        let (usual, _) = median_mad(&mut ds[from..n]);
        let s = step.abs();
        // (Within half the difference's resolution of each bound: the mean of two readings of
        // quantised probes lands on their grid, the usual value, a median of ten-minute means,
        // between it. A greenhouse's 0.1 °C probes back at -0.45 where they usually differ by
        // -0.30, after a step of 0.6 from +0.15, were a hair outside both.)
        let grid = if self.dres.is_finite() {
            0.5 * self.dres
        } else {
            0.0
        };
        if (after - usual).abs() > 0.25 * s + grid || (before - usual).abs() < 0.75 * s - grid {
            return None;
        }
        // Gradually: from the latest block near usual, two blocks or more, none a jump; an
        // excursion (a jump away and back within two hours, to within half the step of where
        // it left: either probe's level shift that came and went) is passed over. Back is any
        // block of the two hours after where it left, not only the first after the jump: a press
        // that stopped while its sibling heated on comes back to their difference over half
        // an hour, as it warms again.
        let mut kept = [(0i64, 0f64); BLOCKS];
        let mut m = 0;
        for (t, _, d) in self.latest_first().filter(|(t, ..)| *t + BLOCK_MS <= ms) {
            kept[m] = (t, d);
            m += 1;
        }
        let kept = &kept[..m];
        let mut since = None;
        let mut crept = 0;
        let mut later: Option<f64> = None;
        let mut k = 0;
        while k < kept.len() {
            let (t, d) = kept[k];
            if later.is_some_and(|l| (l - d).abs() > 0.5 * s) {
                k = (k + 1..kept.len().min(k + 1 + EXCURSION)).find(|&j| {
                    kept[j.saturating_sub(EXCURSION + 1)..k]
                        .iter()
                        .any(|b| (b.1 - kept[j].1).abs() <= 0.5 * s)
                })?;
                later = Some(kept[k].1);
                continue;
            }
            if (d - usual).abs() <= 0.25 * s {
                since = Some(t);
                break;
            }
            crept += 1;
            later = Some(d);
            k += 1;
        }
        let since_ms = since.filter(|_| crept >= 2)?;
        // They moved together until the creep: over the blocks up to its start (the creep's
        // own blocks would make a pair that holds its difference to a hundredth for hours look
        // loose, as soil probes warming a degree in the morning do), the difference's spread a
        // fifth of the probe's at most. (The difference's spread about its median, as the
        // median of the blocks' distances from it: an excursion of either probe within those
        // hours, a fault that came and went, is no looseness of the pair; a greenhouse's
        // probes held their difference to ±0.05 °C through a night and a morning, but for
        // four blocks 30 °C off while the other probe's unit was °F, and a spread taken as a
        // mean made them loose.)
        if !self.together_until(since_ms) {
            return None;
        }
        Some(DriftEnd {
            at_ms: ms,
            usual,
            before,
            after,
            since_ms,
            score: s / self.usual_change().max(f64::MIN_POSITIVE),
        })
    }
}

/// The probes of each quantity of each device looked at so far, (device, unit, device class)
/// → them, or for siblings the series of each numbered family, (family, unit, nothing) → them:
/// a pair is made when there are exactly two.
#[derive(Debug, Clone, Default)]
pub struct Quantities(super::FastMap<(String, String, String), Probes>);

#[derive(Debug, Clone, Copy)]
enum Probes {
    One(usize),
    Two(usize, usize),
    More,
}

/// What a probe looked at found of its quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Joined {
    /// The first: nothing to pair yet.
    First,
    /// The second: paired with this one.
    Paired(usize),
    /// The third: the two paired before are a pair no more.
    Unpaired(usize, usize),
    /// A fourth or later: nothing.
    Crowded,
}

impl Quantities {
    /// Series `idx` is a probe of `key`.
    pub fn join(&mut self, key: (String, String, String), idx: usize) -> Joined {
        use hashbrown::hash_map::Entry;
        match self.0.entry(key) {
            Entry::Vacant(v) => {
                v.insert(Probes::One(idx));
                Joined::First
            }
            Entry::Occupied(mut o) => {
                let (next, joined) = match *o.get() {
                    Probes::One(a) => (Probes::Two(a, idx), Joined::Paired(a)),
                    Probes::Two(a, b) => (Probes::More, Joined::Unpaired(a, b)),
                    Probes::More => (Probes::More, Joined::Crowded),
                };
                o.insert(next);
                joined
            }
        }
    }

    /// Forgets every probe (series were forgotten and the rest renumbered).
    pub fn clear(&mut self) {
        self.0.clear();
    }
}

/// The median of `v` and its mean absolute deviation from it (sorts `v`).
fn median_mad(v: &mut [f64]) -> (f64, f64) {
    v.sort_unstable_by(f64::total_cmp);
    let m = v[v.len() / 2];
    let mad = v.iter().map(|x| (x - m).abs()).sum::<f64>() / v.len() as f64;
    (m, mad)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::sensors::gaussian;
    use fastrand::Rng;

    /// A day of a greenhouse read by two probes every minute: the air swings 12 °C with the
    /// sun; probe A reads it with noise 0.05, B 0.3 higher with noise 0.02, both to 0.1.
    /// `a_off(minute)` is added to A. Returns the minutes at which A's pair saw a drift end.
    fn greenhouse(a_off: impl Fn(i64) -> f64, b_off: impl Fn(i64) -> f64) -> Vec<i64> {
        let mut rng = Rng::with_seed(7);
        let mut a = Pair::new(1);
        let mut b = Pair::new(0);
        let mut found = Vec::new();
        let q = |x: f64| (x * 10.0).round() / 10.0;
        let mut y_last = (f64::NAN, 0i64);
        for m in 0..24 * 60 {
            let ms = m * 60_000;
            let h = m as f64 / 60.0;
            let air = 15.0 - 6.0 * (std::f64::consts::TAU * h / 24.0).cos();
            let x = q(air + a_off(m) + gaussian(&mut rng, 0.05));
            if let Some(e) = a.observe(x, y_last, FRESH_MS, ms) {
                found.push(e.at_ms / 60_000);
            }
            let y = q(air + 0.3 + b_off(m) + gaussian(&mut rng, 0.02));
            if let Some(e) = b.observe(y, (x, ms), FRESH_MS, ms + 20) {
                found.push(-(e.at_ms / 60_000));
            }
            y_last = (y, ms + 20);
        }
        found
    }

    /// A probe's creep of `size` from minute `from` to minute `to`, reset at its end (0
    /// outside it).
    fn creep_over(from: i64, to: i64, size: f64) -> impl Fn(i64) -> f64 + Copy {
        move |m| {
            if (from..to).contains(&m) {
                size * (m - from) as f64 / (to - from) as f64
            } else {
                0.0
            }
        }
    }

    #[test]
    fn a_probe_that_crept_from_its_twin_and_stepped_back_had_drifted() {
        // A creeps 0.5 °C below over six hours from 14:00 and is reset at 20:00.
        let drift = creep_over(840, 1200, -0.5);
        assert_eq!(greenhouse(drift, |_| 0.0), [1200]);
        // The same on B: said of B (negative minutes are B's).
        assert_eq!(greenhouse(|_| 0.0, drift), [-1200]);
        // B shifted 2 °C for 40 minutes while A crept (17:00–17:40): passed over.
        let b_shift = |m: i64| if (1020..1060).contains(&m) { 2.0 } else { 0.0 };
        assert_eq!(greenhouse(drift, b_shift), [1200]);
        // B rose 2 °C above the place at 17:00 (a machine that worked harder while its sibling
        // idled) and came back to it slowly, for ten minutes each 2, 0.9, 0.5, 0.35, 0.2, 0.1
        // and 0.05 °C above, while A crept: passed over too, though the first block after the
        // jump back was still far from where the difference had left.
        let b_back = |m: i64| match m {
            1020..1030 => 2.0,
            1030..1040 => 0.9,
            1040..1050 => 0.5,
            1050..1060 => 0.35,
            1060..1070 => 0.2,
            1070..1080 => 0.1,
            1080..1090 => 0.05,
            _ => 0.0,
        };
        assert_eq!(greenhouse(drift, b_back), [1200]);
        // B read in °F for 90 minutes (16:00–17:30) while A crept: passed over too.
        let b_unit_while = |m: i64| if (960..1050).contains(&m) { 25.0 } else { 0.0 };
        assert_eq!(greenhouse(drift, b_unit_while), [1200]);
        // … but not for three hours (15:30–18:30): whether the way out was a creep is unknown.
        let b_long = |m: i64| if (930..1110).contains(&m) { 2.0 } else { 0.0 };
        assert_eq!(greenhouse(drift, b_long), Vec::<i64>::new());
        // B read in °F for forty minutes from 09:00, hours before A crept (four blocks 25 °C
        // and more off): an excursion, not a loose pair; A's end is still found.
        let b_unit = |m: i64| if (540..580).contains(&m) { 25.0 } else { 0.0 };
        assert_eq!(greenhouse(drift, b_unit), [1200]);
        // The same creep from 08:00 to 14:00, when the day's blocks before it are only a few
        // more than its own: judged against the blocks older than six hours, found.
        let early = creep_over(480, 840, -0.5);
        assert_eq!(greenhouse(early, |_| 0.0), [840]);
        // B's offset swings ±0.1 °C with the day (its housing warms in the sun), and A creeps
        // +0.45 over six hours from 10:20: the difference's blocks of the day, a third of them
        // the creep's, made a usual value the reset did not come back to; judged against the
        // blocks older than six hours (and half its resolution's grid), A's end is found.
        let swing = |m: i64| 0.1 * (std::f64::consts::TAU * (m as f64 - 360.0) / 1440.0).sin();
        let later = creep_over(620, 980, 0.45);
        assert_eq!(greenhouse(later, swing), [980]);
        assert_eq!(greenhouse(|_| 0.0, swing), Vec::<i64>::new());
        // Healthy: nothing.
        assert_eq!(greenhouse(|_| 0.0, |_| 0.0), Vec::<i64>::new());
        // A level shift of A at 20:00 (no creep before it): not this rule's.
        assert_eq!(
            greenhouse(|m| if m >= 1200 { 0.6 } else { 0.0 }, |_| 0.0),
            Vec::<i64>::new()
        );
        // A shift away at 14:00 and back at 20:00: a jump out, not a creep.
        assert_eq!(
            greenhouse(
                |m| if (840..1200).contains(&m) { -0.6 } else { 0.0 },
                |_| 0.0
            ),
            Vec::<i64>::new()
        );
    }

    /// Twelve hours of two presses' motors read every 10 s to 0.1 °C, each with a noise of
    /// 0.1: `place(minute)` is the heat they share, `a_off(minute)` is added to A. Returns
    /// the minutes at which a creep was seen while it crept: A's positive, B's negative.
    fn presses(place: impl Fn(f64) -> f64, a_off: impl Fn(f64) -> f64) -> Vec<i64> {
        let mut rng = Rng::with_seed(3);
        let (mut a, mut b) = (Pair::new(1), Pair::new(0));
        let q = |x: f64| (x * 10.0).round() / 10.0;
        let mut found = Vec::new();
        let mut y_last = (f64::NAN, 0i64);
        for i in 0..12 * 360 {
            let ms = i * 10_000;
            let m = ms as f64 / 60_000.0;
            let x = q(place(m) + a_off(m) + gaussian(&mut rng, 0.1));
            a.observe(x, y_last, FRESH_MS, ms);
            if a.take_creep().is_some() {
                found.push(ms / 60_000);
            }
            let y = q(place(m) + gaussian(&mut rng, 0.1));
            b.observe(y, (x, ms), FRESH_MS, ms + 5);
            if b.take_creep().is_some() {
                found.push(-(ms / 60_000));
            }
            y_last = (y, ms + 5);
        }
        found
    }

    #[test]
    fn a_probe_creeping_from_its_twin_while_the_twin_holds_is_said_while_it_creeps() {
        // Running at 58 °C, their heat wandering 0.3 °C over hours; A creeps +4 °C an hour
        // from 10:00 for an hour, then is reset.
        let running = |m: f64| 58.0 + 0.3 * (m / 90.0).sin();
        let creep = |m: f64| {
            if (600.0..660.0).contains(&m) {
                4.0 * (m - 600.0) / 60.0
            } else {
                0.0
            }
        };
        let found = presses(running, creep);
        assert_eq!(found.len(), 1, "{found:?}");
        // Said of A, at a ten-minute mean's close, before it was 2.5 °C off (37 minutes in).
        assert!((610..637).contains(&found[0]), "{found:?}");
        // Healthy: nothing.
        assert_eq!(presses(running, |_| 0.0), Vec::<i64>::new());
        // Both cooling at a shift's end while A creeps (10:00, τ 20 minutes down to 20 °C):
        // which of the two crept is unknown while both move; nothing is said.
        let stopping = |m: f64| {
            if m < 600.0 {
                running(m)
            } else {
                20.0 + (running(m) - 20.0) * (-(m - 600.0) / 20.0).exp()
            }
        };
        assert_eq!(presses(stopping, creep), Vec::<i64>::new());
        // The place warming 2 °C over that hour too: B moved half as far as the difference
        // crept, so which probe crept is not known while it creeps.
        let rising = |m: f64| running(m) + ((m - 600.0) / 30.0).clamp(0.0, 2.0);
        assert_eq!(presses(rising, creep), Vec::<i64>::new());
        // The place warms 1.5 °C over four hours from 06:00 while A's probe drifts -1.5 °C
        // over them: A stands still and B moves, but over so long the place moves: nothing
        // said (B would be blamed).
        let warming = |m: f64| running(m) + 1.5 * ((m - 360.0) / 240.0).clamp(0.0, 1.0);
        let slow = |m: f64| -1.5 * ((m - 360.0) / 240.0).clamp(0.0, 1.0);
        assert_eq!(presses(warming, slow), Vec::<i64>::new());
        // The place cooling 2 °C an hour from 08:00 to noon while A's probe drifts +2 °C an
        // hour from 10:00 (reset at 11:00): A stands still and B moves on with the place, as
        // both did for the two hours before; B would be blamed. Nothing is said while it
        // creeps (held-out 24 h home seeds 88, 103, 105: a greenhouse at dusk).
        let cooling = |m: f64| running(m) - 2.0 * ((m - 480.0) / 60.0).clamp(0.0, 4.0);
        let against = |m: f64| creep(m) / 2.0;
        assert_eq!(presses(cooling, against), Vec::<i64>::new());
        // A level shift of A (+3 °C at 10:00, kept): a jump, the step tests'.
        assert_eq!(
            presses(running, |m| if m >= 600.0 { 3.0 } else { 0.0 }),
            Vec::<i64>::new()
        );
    }

    #[test]
    fn the_other_reading_counts_within_three_of_its_intervals_and_ten_minutes() {
        assert_eq!(fresh_ms(10.0), 30_000);
        assert_eq!(fresh_ms(600.0), FRESH_MS);
        assert_eq!(fresh_ms(0.0), FRESH_MS);
        assert_eq!(fresh_ms(f64::NAN), FRESH_MS);
    }

    #[test]
    fn a_pair_is_exactly_two_probes_of_one_quantity() {
        let mut q = Quantities::default();
        let key = |class: &str| {
            (
                "greenhouse".to_string(),
                "°C".to_string(),
                class.to_string(),
            )
        };
        assert_eq!(q.join(key("temperature"), 3), Joined::First);
        // Another device class of the same unit is another quantity.
        assert_eq!(q.join(key("humidity"), 4), Joined::First);
        assert_eq!(q.join(key("temperature"), 7), Joined::Paired(3));
        assert_eq!(q.join(key("temperature"), 9), Joined::Unpaired(3, 7));
        assert_eq!(q.join(key("temperature"), 12), Joined::Crowded);
        q.clear();
        assert_eq!(q.join(key("temperature"), 1), Joined::First);
    }
}
