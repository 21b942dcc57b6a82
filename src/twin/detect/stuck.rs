//! The stuck tests: a run of repeats far longer than the series' own history makes plausible,
//! a reading that stopped a movement dead, a few-level signal held at a level it leaves on a
//! cycle (see [`crate::twin::dwell`]), and what is rest rather than stuck.

use super::*;
use crate::twin::dwell::Judged;

impl Detector {
    /// Follows `rest_low` (see [`Detector::load_switched`]), after the reading is judged.
    pub(super) fn follow_rest(&mut self, x: f64, at_ms: i64) {
        if !self.zero_is_off || !x.is_finite() {
            return;
        }
        self.rest_low = match self.rest_low {
            Some((t, lo)) if x.abs() > lo && at_ms - t <= LOAD_PROGRAM_MS => Some((t, lo)),
            _ => Some((at_ms, x.abs())),
        };
    }

    /// `x` is the lowest or highest value the series ever had, and it rested there before
    /// and left by itself: a floor or a ceiling (a plug off at 0 W, a link at its best 255, a
    /// tank full). Premise: a run at such a place is rest, not a frozen sensor; a sensor that
    /// freezes elsewhere, or at an extreme it never rested at, is still judged.
    /// Also at the limit of the range its name gives (see [`SATURATING_NAMES`]): there a run is
    /// saturation, even the first time. And at exactly 0 on a power or a current (by its name):
    /// a load switched off, even the first time (a fridge's plug between its first compressor
    /// cycles; a meter stuck at exactly 0 cannot be told from that).
    /// How fast the series moved (per ms) to `x` from the latest reading its trail kept at
    /// least [`STOPPED_PACE_MS`] before the latest reading, where it went there at one pace
    /// (see [`Trail::at_one_pace`]: no jump, no turn); 0 otherwise.
    pub(super) fn pace_before(&self, x: f64) -> f64 {
        let Some(now) = self.prev_at[1].map(|t| t.timestamp_millis()) else {
            return 0.0;
        };
        self.trail
            .latest_first()
            .find(|(t, _)| now - t >= STOPPED_PACE_MS)
            .and_then(|kept| self.trail.at_one_pace(kept, now, x))
            .map_or(0.0, |(t, x0)| (x - x0).abs() / (now - t) as f64)
    }

    /// A run of repeats of `x` that stopped a movement dead: held [`STOPPED_MS`] at least,
    /// where the pace the series moved at, at one pace over the twenty minutes or more before
    /// the run began, would have carried it [`STOPPED_QUANTA`] of its resolution or more in
    /// that time; not at 0 (a machine stopped). Premise: what a sensor measures slows before
    /// it stops (a motor cooling from 58 °C after its press stopped slows as it nears the
    /// hall's air, and reads the same value only once it moves less than a step of its
    /// resolution between reports); a reading that moved 1.0 °C a minute and then read 37.2
    /// for fourteen minutes was held. A process that stops at once (a tank when its pump
    /// stops, a setpoint reached by a controller) holds with its own noise, unless its noise
    /// is under its resolution: such a series, stopped by its process, is said stuck falsely.
    /// The score, and why.
    pub(super) fn stopped_dead(
        &self,
        x: f64,
        at_ms: i64,
        cfg: &DetectorConfig,
    ) -> Option<(f64, String)> {
        let held_ms = at_ms - self.run_start?.timestamp_millis();
        let pace = f64::from(self.run_pace);
        let would = pace * STOPPED_MS as f64;
        let bar = STOPPED_QUANTA * self.resolution;
        (self.run >= cfg.stuck_min
            && held_ms >= STOPPED_MS
            && self.resolution > 0.0
            && x != 0.0
            && would >= bar
            && self.changes > 0
            && !self.discrete()
            && !self.at_rest(x))
        .then(|| {
            (
                would / bar,
                format!(
                    "it moved {:.3} a minute at one pace before the run began, {would:.3} in ten minutes",
                    pace * 60_000.0
                ),
            )
        })
    }

    pub(super) fn at_rest(&self, x: f64) -> bool {
        self.at_limit(x)
            || self
                .extremes
                .iter()
                .zip(self.rested)
                .any(|(e, r)| r && x == *e)
    }

    /// At exactly 0 on a power or a current, or at the limit of the range its name gives (see
    /// [`Detector::at_rest`]).
    pub(super) fn at_limit(&self, x: f64) -> bool {
        (self.zero_is_off && x == 0.0) || self.saturates.is_some_and(|(lo, hi)| x == lo || x == hi)
    }

    /// The dwell test (see [`crate::twin::dwell`]): a few-level signal that switches, held at a level
    /// it leaves on a cycle far longer than it ever did. Its stays are followed while it
    /// reports at its steady pace (a gap of more than 3 usual intervals forgets the stay under
    /// way); said as `stuck`, whose episode stays open while the stay lasts. At a level whose
    /// readings move (its own noise known and above 0), only a hold of one value is judged,
    /// and the episode stays open while the value is held (see [`Judged`]).
    pub(super) fn judge_dwell(
        &mut self,
        x: f64,
        at: DateTime<Utc>,
        res: f64,
        learning: bool,
        v: &mut Verdict,
    ) {
        if !self.levels.few && self.dwells.is_none() {
            return;
        }
        let at_ms = at.timestamp_millis();
        // (A switching signal's only: a ramping one's places are where it happens to rest,
        // and its stays there no cycle; see `Levels::ramps`.)
        let level = if self.levels.few && !self.levels.ramps() {
            self.levels.known(x, res).map(|i| {
                let c = self.levels.at[i].0;
                (i, c, self.levels.band(c, res))
            })
        } else {
            None
        };
        let pace = match (self.steady, self.prev_at[1]) {
            (Some(m), Some(p)) if (at_ms - p.timestamp_millis()) as f64 <= 3.0 * m * 1000.0 => {
                Some(m)
            }
            _ => None,
        };
        // (Away from every level the stay is not timed: see `Dwells::observe`.)
        let judged = match level {
            None => Judged::Stay,
            Some((i, ..)) if self.levels.noise_n[i] < LEVEL_NOISE_KNOWN => Judged::Not,
            Some((i, ..)) if self.levels.noise[i] == 0.0 => Judged::Stay,
            Some(_) => match self.run_start {
                Some(t) if self.run > 0 => Judged::HeldSince(t.timestamp_millis()),
                _ => Judged::Not,
            },
        };
        let d = self.dwells.get_or_insert_with(Box::default);
        if let Some(u) = d.observe(level, at_ms, pace, learning, judged) {
            let start = at - chrono::Duration::milliseconds((u.held_s * 1000.0) as i64);
            v.findings.push(Finding {
                kind: EpisodeKind::Stuck,
                at: start,
                score: u.score(),
                threshold: 1.0,
                reason: format!(
                    "it has held {:.0} min at {x} where it leaves that level on a cycle ({} stays there, {:.0} min on average, {:.0} at most): stuck, or what it measures stopped cycling",
                    u.held_s / 60.0,
                    u.stays,
                    u.mean_s / 60.0,
                    u.longest_s / 60.0
                ),
            });
        } else if d.said() && self.open == Some(EpisodeKind::Stuck) && judged != Judged::Not {
            v.abnormal = true;
        }
    }

    pub(super) fn judge_stuck(
        &mut self,
        x: f64,
        at_ms: i64,
        consensus: Option<f64>,
        noise: f64,
        cfg: &DetectorConfig,
        v: &mut Verdict,
    ) {
        // (Set below where a run is judged; a finding of the dwell test is never the length
        // rule's.)
        self.stuck_by_length = false;
        if self.run == 0 {
            return;
        }
        // Runs as unlikely as `stuck_probability` given how often this sensor repeats … A
        // series that never changed, or repeats nearly always (a setpoint, an id, a battery
        // at 100 %), can repeat for ever: no run of its is unlikely.
        // The share of repeats is the larger of the long-run one and the one of the half hour
        // before this run began: a room gone quiet at night repeats more than its day taught.
        let p = self.p_same.max(self.p_run).clamp(0.01, 0.99);
        let level = self.levels.known(x, self.res_known());
        // A known level whose own steps are far beyond the resolution (a compressor loaded,
        // 2,100 ± 30 W read to the milliwatt): an exact repeat there is as unlikely as the
        // ratio of the two, whatever the series does at its other levels (at rest at 0 W all
        // night). Its runs are judged against that, and against the longest run it had at
        // this level and left by itself.
        let noisy_level = level.filter(|&i| {
            self.levels.noise_n[i] >= LEVEL_NOISE_KNOWN
                && self.resolution > 0.0
                && self.levels.noise[i] >= NOISY_LEVEL_STEPS * self.resolution
        });
        // A known level quiet by that measure whose readings still move now and then (a
        // press's motor at its running heat reads 57.0 and 57.1 to 0.1 °C, a change at about
        // a third of its readings): an exact repeat there is about as likely as 1 − its mean
        // step ÷ the resolution (at least that likely: a step of two resolution steps counts
        // twice in the mean), or as the series' own share of repeats where that is larger.
        // Its runs are judged as a series' are below, at that share, and against the longest
        // run it had at this level too, [`STUCK_LEVEL_RUNS`] times over. Premise: a
        // level held exactly (a plug at 0 W, a setpoint) never steps, and its runs stay
        // unjudged; one whose readings move holds one value only as long as its own history
        // shows, many times over at most (a press's motor held 57.1 for 36 minutes where its
        // longest hold was under three).
        let moving_level = level
            .filter(|&i| {
                noisy_level.is_none()
                    && self.levels.noise_n[i] >= LEVEL_NOISE_KNOWN
                    && self.resolution > 0.0
                    && self.levels.noise[i] > 0.0
            })
            .map(|i| {
                let p = (1.0 - self.levels.noise[i] / self.resolution).max(p);
                (p, self.levels.longest_run[i])
            });
        // (At such a level the highest or lowest value it ever had is where its readings move,
        // not a floor or a ceiling: the press's 57.1 was both.)
        let rest = if moving_level.is_some() {
            self.at_limit(x)
        } else {
            self.at_rest(x)
        };
        // (Shorter in time than its own history allows: see below.)
        let mut short = false;
        let needed = if self.changes == 0
            || !self.went_down
            || self.discrete()
            || (level.is_some() && noisy_level.is_none() && moving_level.is_none())
            || rest
        {
            usize::MAX
        } else if let Some(i) = noisy_level {
            let p_level = (self.resolution / self.levels.noise[i]).clamp(0.01, 0.5);
            ((cfg.stuck_probability.ln() / p_level.ln()).ceil() as usize)
                .max(cfg.stuck_min)
                .max(STUCK_LONGEST_RUNS * self.levels.longest_run[i] as usize + 1)
        } else if self.p_same.max(moving_level.map_or(0.0, |(p, _)| p)) >= STUCK_MAX_REPEATS
            || (self.p_same > 0.5 && self.watched_ms() < STUCK_QUIET_WATCH_MS)
            || self.n < STUCK_LEARN_READINGS
            || (self.p_run >= STUCK_STILL_REPEATS && self.watched_ms() < STUCK_STILL_WATCH_MS)
            || (self.p_same > 0.5
                && self.longest_run_s >= STUCK_DAY_HOLD_S
                && self.watched_ms() < DAY_MS)
        {
            usize::MAX
        } else {
            // Never shorter than three times the longest run this series has had and left by
            // itself: its own history says such runs are its life (a 0.5 °C sensor in a hall
            // quiet all night repeats for hours, a soil probe at its night minimum for an
            // hour), and one quiet stretch may be a few times longer than the last. In time
            // too: a series whose pace follows events counts more readings into the same
            // stretch by day than by night (a motion sensor reports while people move; its
            // 1 °C internal temperature held 6.5 hours at night in 13 reports, and 12 hours by
            // day in 79).
            let held_s = self.run_start.map_or(0.0, |t| {
                (at_ms - t.timestamp_millis() - self.run_lost_ms) as f32 / 1000.0
            });
            let times = if moving_level.is_some() {
                STUCK_LEVEL_RUNS
            } else {
                STUCK_LONGEST_RUNS
            };
            short = held_s < times as f32 * self.longest_run_s;
            let (p, level_run) = moving_level.unwrap_or((p, 0));
            ((cfg.stuck_probability.ln() / p.ln()).ceil() as usize)
                .max(cfg.stuck_min)
                .max(times * self.longest_run.max(level_run) as usize + 1)
        };
        // … or shorter runs while the zone moved well past what the sensor could hide in
        // its resolution and noise.
        // (Only against a consensus one faulty peer cannot move: a drifting peer moves the
        // median of two by half its drift. With exactly two others, only when each of them
        // moved that far the same way, and they agreed with each other at both ends: a
        // drifting one parts from the other.)
        let hide = 3.0 * self.resolution.max(noise);
        let moved = match (consensus, self.run_consensus) {
            (Some(now), Some(then)) if self.robust_peers => (now - then).abs(),
            _ => match (self.two_peers, self.run_two_peers) {
                (Some((lo, hi)), Some((lo0, hi0))) if hi - lo <= hide && hi0 - lo0 <= hide => {
                    let (a, b) = (lo - lo0, hi - hi0);
                    if a.signum() == b.signum() {
                        a.abs().min(b.abs())
                    } else {
                        0.0
                    }
                }
                _ => 0.0,
            },
        };
        let zone_moved = self.run >= cfg.stuck_min && moved > hide;
        // A zone at rest: its peers stayed within what this sensor could hide since the run
        // began (a consensus one faulty peer cannot move, or each of exactly two others). The
        // run is then the place's quiet, however long its own history says runs are: a soil
        // bed read to 0.0625 °C held 6.31 for 95 minutes at its first night's minimum while
        // the two beds beside it each moved a step and back. Premise: peers in one zone read
        // one medium, and a probe whose medium stood still has nothing to report; a probe
        // stuck while its zone is at rest cannot be told from it, and is found once the zone
        // moves (`zone_moved`). A lone sensor has no such evidence and keeps the length rule,
        // and so does one that repeats less than half its readings: its own noise shows in
        // still air, so its repeats are news however still its zone (the seed lab's sensors,
        // stuck while their zone drifted less than three of their noise).
        let quantised = self.p_same.max(self.p_run) >= ZONE_STILL_REPEATS;
        let zone_still = quantised
            && match (consensus, self.run_consensus) {
                (Some(now), Some(then)) if self.robust_peers => (now - then).abs() <= hide,
                _ => match (self.two_peers, self.run_two_peers) {
                    (Some((lo, hi)), Some((lo0, hi0))) => {
                        (lo - lo0).abs().max((hi - hi0).abs()) <= hide
                    }
                    _ => false,
                },
            };
        self.stuck_needed = needed;
        // (A run said and taken as the normal is the normal until it ends.)
        if self.run_adopted {
            return;
        }
        if needed != usize::MAX && !zone_still {
            self.ratio = self.ratio.max(self.run as f64 / needed as f64);
        }
        let long = self.run >= needed && !short && !zone_still;
        let stopped = if long || zone_moved {
            None
        } else {
            self.stopped_dead(x, at_ms, cfg)
        };
        self.stuck_by_length = long;
        if long || zone_moved || stopped.is_some() {
            let why = if long {
                format!(
                    "this sensor repeats {:.0}% of readings",
                    self.p_same * 100.0
                )
            } else if let Some((_, why)) = &stopped {
                why.clone()
            } else {
                format!("its zone moved {moved:.3} meanwhile")
            };
            v.findings.push(Finding {
                kind: EpisodeKind::Stuck,
                at: self.run_start.unwrap_or_default(),
                score: (self.run as f64 / needed as f64)
                    .max(moved / hide.max(f64::MIN_POSITIVE))
                    .max(stopped.map_or(0.0, |(score, _)| score)),
                threshold: 1.0,
                reason: format!("the same value {x} {} times in a row ({why})", self.run + 1),
            });
        } else if self.open == Some(EpisodeKind::Stuck) {
            v.abnormal = true;
        }
    }
}
