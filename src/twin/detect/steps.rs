//! The step tests on a series' own history: a spike (one reading out between two that agree),
//! a lone sensor's step that stays (a level shift) or that undid a creep (a drift that ended),
//! and what makes a step its life: a switch between known levels, a place it landed before, a
//! load switched, a ramp carried across a gap, a quiet spell its device spoke through.

use super::*;

impl Detector {
    /// The spike test, at the reading after the one judged (`x1`, between `x2` and `x`): a
    /// reading that stood out from both its neighbours, which agree. `switched`: this reading
    /// switched between a few-level signal's known levels; `burst_ratio`: the burst test's
    /// measure now (a spike within a burst is the burst's).
    pub(super) fn judge_spike(
        &mut self,
        s: &StepSeen,
        at: DateTime<Utc>,
        switched: bool,
        burst_ratio: f64,
        cfg: &DetectorConfig,
        v: &mut Verdict,
    ) {
        let StepSeen {
            x2,
            x1,
            x,
            at_ms,
            res,
            sigma,
            spike_blind,
            ..
        } = *s;
        let (a, b) = (x1 - x2, x1 - x);
        let small = a.abs().min(b.abs());
        let score = small / sigma;
        // Shaped like a spike (beyond both neighbours, the same way), and none of
        // what makes such a shape a series' life (judged only for that shape):
        // - a reading at another known level between two at one is a switch off
        //   and back within a report (a heater's thermostat), and a reading between
        //   two known levels a switch;
        // - it held far longer than the series' usual interval: a dwell (see
        //   [`SPIKE_HELD_INTERVALS`]);
        // - the series rested at one value (a run of repeats) and left it through
        //   this reading for another place (a tenth of the overshoot away, and 5
        //   steps of its resolution): a start-up transient (a compressor's inrush
        //   caught by a sample). A glitch during a rest comes back to the very
        //   value or near it, and is still a spike.
        let spike = !self.light
            && a.signum() == b.signum()
            && !spike_blind
            && !self.levels.switch(x2, x1, res)
            && !self.levels.switch(x2, x, res)
            && !self.prev_at[1].is_some_and(|p| {
                // (Its usual interval: the median of a steady cadence where one is
                // known, which its silences do not lengthen; a Shelly heater's
                // status every minute while on, and one report of 0 when off, had
                // taught a smoothed interval of 80 s, and 6.6 minutes off was
                // said a spike on its power, current and energy.)
                let usual = self.steady.unwrap_or(self.interval);
                let held_s = (at_ms - p.timestamp_millis()) as f64 / 1000.0;
                usual > 0.0 && held_s > SPIKE_HELD_INTERVALS * usual
            })
            && (self.runs[0] == 0 || (x - x2).abs() < (5.0 * res).max(0.1 * small));
        if spike {
            self.ratio = self.ratio.max(score / cfg.spike);
        }
        self.spike_sigma = if spike_blind || self.light {
            0.0
        } else {
            sigma as f32
        };
        // A spike's episode stays open while the readings after it keep jumping as
        // far as it did: that is the start of a burst, which then names the
        // episode (a Zigbee sensor's burst began with a reading said as a spike,
        // and the spike had closed before the burst's window filled).
        if self.open == Some(EpisodeKind::Spike)
            && !spike_blind
            && !switched
            && b.abs() / sigma > cfg.spike
        {
            v.abnormal = true;
        }
        if spike && score > cfg.spike && (x - x2).abs() < 0.5 * small && burst_ratio <= cfg.burst {
            let base = 0.5 * (x2 + x);
            let at = self.prev_at[1].unwrap_or(at);
            // A series that spikes as its life says its spikes until they are known (see
            // [`super::spikes`]).
            let life = self.spike_life.get_or_insert_with(Default::default);
            let learnt = match life.judge(at.timestamp_millis(), x1 - base) {
                spikes::SpikeNews::Life => return,
                spikes::SpikeNews::Said => String::new(),
                spikes::SpikeNews::Learnt(why) => why,
            };
            v.findings.push(Finding {
                kind: EpisodeKind::Spike,
                at,
                score,
                threshold: cfg.spike,
                reason: format!(
                    "one reading of {x1} stood {:+.3} from its neighbours ({score:.1}σ of its usual steps){learnt}",
                    x1 - base
                ),
            });
        }
    }

    /// The step test on a lone sensor, at the reading after the step (`x1 - x2`): a step far
    /// beyond its usual steps that stays is noted as a pending step (decided a minute later by
    /// [`Detector::follow_lone_step`]); a big step is remembered as the series' jump.
    pub(super) fn judge_lone_step(&mut self, s: &StepSeen, cfg: &DetectorConfig) {
        let StepSeen {
            x2,
            x1,
            x,
            at_ms,
            res,
            floor,
            sigma,
            lone,
            learning,
            level_learning,
            spike_blind,
        } = *s;
        // A step on a lone sensor: the level jumped far beyond its usual steps and
        // stays (a unit switched, a probe gone to 85 °C, an offset), judged on its
        // own history where no zone can. Premise: a sensor that has not jumped like
        // this in the last week does not jump in healthy life; switches between
        // a few-level signal's known levels are its life.
        let step = x1 - x2;
        // Against the noise where the step was taken: when this reading switched
        // to a quiet level (a plug off at 0 A), a step within the level it left
        // (on at 0.49 ± 0.005 A) is no jump by the quiet one's measure.
        let sigma_step = match self.levels.noise_at(x1, res) {
            Some(Some(n)) if self.levels.switch(x1, x, res) => n.max(floor) * MEAN_ABS_TO_SIGMA,
            _ => sigma,
        };
        // (The gap's allowances only where the step is big without them, and not
        // across a quiet spell its device spoke through, where its own history
        // says it reports every change: see [`Detector::spoke_through`].)
        let quiet = self.quiet_spell();
        let reported = quiet && self.reports_every_change();
        // (A series reported past a deadband: how far past it the step went,
        // against how far its usual steps go, unwidened by its silence: see
        // [`Detector::deadband`].)
        let deadband = self.deadband();
        let past = |db: f64| (step.abs() - db).max(0.0);
        // (A step of `least` at least: [`LONE_STEP_RES`] steps of its resolution, fewer for
        // the one test that counts them, see [`QUANTA_JUMP`].)
        let unwidened_by = |bar: f64, least: f64| match deadband {
            Some((db, s)) => past(db) / s > bar,
            None => step.abs() / sigma_step > bar && step.abs() >= least,
        };
        let unwidened = |bar: f64| unwidened_by(bar, LONE_STEP_RES * res);
        let beyond_by = |bar: f64, least: f64| {
            unwidened_by(bar, least)
                && (deadband.is_some()
                    || reported
                    || (step - self.ramp_over_gap(step)).abs() / (sigma_step * self.gap_spread())
                        > bar)
        };
        let beyond = |bar: f64| beyond_by(bar, LONE_STEP_RES * res);
        let big = beyond(cfg.spike);
        // A few-level signal's step to a place well apart from all its proven
        // levels (the unseen-level branch of `novel` below) needs only
        // [`UNSEEN_LEVEL_SHARE`] of that bar (see there).
        let beyond_levels = !big && self.levels.few && beyond(UNSEEN_LEVEL_SHARE * cfg.spike);
        // A step that undid a creep of hours needs only [`DRIFT_END_SHARE`] of it.
        let creep_bar = !big && beyond(DRIFT_END_SHARE * cfg.spike);
        // … unwidened by its gap where a line through its kept readings shows the creep (see
        // [`FIT_SHARE`]).
        let fit_bar = !big && self.thermal && unwidened(DRIFT_END_SHARE * cfg.spike);
        // … and so does a step of [`QUANTA_JUMP`] of its quanta (its mean step of the two
        // days), where that rule holds (see `by_quanta`: a temperature's only, so asked of no
        // other series).
        // Unwidened by its gap where its steps across long gaps were single quanta too (see
        // [`Detector::still_through_gaps`]).
        // (A temperature's only: the rule judges no other series, so none other pays for it.)
        let quantum = if self.thermal { self.quantum() } else { 0.0 };
        let quanta_bar = self.thermal && !big && quantum > 0.0 && {
            let (bar, least) = (
                DRIFT_END_SHARE * cfg.spike,
                QUANTA_JUMP * quantum * (1.0 - 1e-6),
            );
            if self.still_through_gaps(quantum) {
                unwidened_by(bar, least)
            } else {
                beyond_by(bar, least)
            }
        };
        if quiet && learning && !reported {
            let (n, top) = self.quiet_steps;
            self.quiet_steps = (
                n.saturating_add(1),
                top.max((step.abs() / sigma_step) as f32),
            );
        }
        let watched = self.watched_ms() >= STEP_WATCHED_MS;
        // (The score says how unusual the step is from the first hour on; only
        // the finding waits for the hour.)
        if lone && !level_learning && self.last_big_ms.is_none_or(|t| at_ms - t >= STEP_MEMORY_MS) {
            self.ratio = self.ratio.max(step.abs() / sigma / cfg.spike);
        }
        // Not the end of a run of repeats long enough to be stuck: a stuck sensor
        // coming back jumps too.
        let jumped_lately = self.last_big_ms.is_some_and(|t| at_ms - t < STEP_MEMORY_MS);
        // The next reading stays at the new place: within a quarter of the step,
        // or within three of its usual noise of it (a press's vibration that fell
        // from 2.4 to 1.3 mm/s, read with a noise of ±0.12, read 1.20 and then 1.55).
        let stays = (x - x1).abs() < (0.25 * step.abs()).max(STAYS_SIGMAS * sigma);
        // (See [`QUANTA_JUMP`]: judged against the days before this step, then learnt.)
        let by_quanta = self.thermal
            && learning
            && stays
            && quanta_bar
            && (!quiet || reported)
            && self.small_n[0].max(self.small_n[1]) >= QUANTA_DAY_STEPS
            && self.small_max[0].max(self.small_max[1]) <= quantum * QUANTA_SPREAD;
        if self.thermal && learning && step != 0.0 && self.gap_spread() >= QUIET_GAPS.sqrt() {
            let (n, top) = self.gap_steps;
            self.gap_steps = (n.saturating_add(1), top.max(step.abs() as f32));
        }
        if !big && step != 0.0 {
            if at_ms - self.small_day_ms >= DAY_MS {
                self.small_max = [0.0, self.small_max[0]];
                self.small_sum = [0.0, self.small_sum[0]];
                self.small_n = [0, self.small_n[0]];
                self.small_day_ms = at_ms;
            }
            self.small_max[0] = self.small_max[0].max(step.abs());
            self.small_sum[0] += step.abs();
            self.small_n[0] = self.small_n[0].saturating_add(1);
        }
        // (`settled`: no jump outside its switches for [`LEVELS_STABLE_MS`], see
        // `unseen`; only asked of a step past its bar.)
        let unseen_level = || {
            let settled = self
                .last_big_ms
                .is_some_and(|t| at_ms - t >= LEVELS_STABLE_MS);
            // (Where it landed, or where it stayed: the first reading after a
            // compressor starts may be its inrush.)
            (self.levels.unseen(x2, x1, res, at_ms, settled)
                || self.left_its_dwelling((x2, x1, x), quiet, res))
                && !self.landed_before(x1, res, at_ms)
                && !self.landed_before(x, res, at_ms)
        };
        let step_ms = self.prev_at[1].map_or(at_ms, |t| t.timestamp_millis());
        let by_level = learning && stays && beyond_levels && unseen_level();
        let undone = |creeps| {
            self.creep_undone(
                step_ms,
                (x2, x1),
                step,
                self.last_big_ms,
                (true, res),
                creeps,
            )
            .is_some()
        };
        let creep_able = learning && stays && !by_level && !jumped_lately;
        let paced = creep_able && creep_bar && undone(Creeps::Paced);
        let fitted = creep_able && !paced && fit_bar && !self.phantom && undone(Creeps::Fitted);
        let by_creep = paced || fitted;
        // A step against its own ramp on a series that reports every change past
        // a deadband needs only [`DRIFT_END_SHARE`] of the bar (see
        // [`Detector::against_its_ramp`]).
        let against_ramp =
            creep_bar && learning && stays && !jumped_lately && self.against_its_ramp(step);
        // A step out of a place held through a quiet spell its device spoke
        // through, judged unwidened: the reading held there, it did not wander
        // (see [`Detector::left_its_dwelling`]).
        let from_held = !big
            && learning
            && stays
            && self.held_through(quiet)
            && step.abs() / sigma_step > cfg.spike
            && step.abs() >= LONE_STEP_RES * res
            && unseen_level();
        let novel = learning
            && stays
            && ((big
                && (!jumped_lately
                    || (step.abs() > JUMP_LIKE * self.big_max[0].max(self.big_max[1])
                        && self
                            .last_big_ms
                            .is_some_and(|t| at_ms - t >= JUMP_LIKE_AFTER_MS))
                    || unseen_level()))
                || by_level
                || by_creep
                || from_held
                || against_ramp
                || by_quanta)
            && !self.levels.switch(x2, x1, res);
        if novel {
            self.novel_ms = Some(step_ms);
        }
        // (A battery's rise is a charge or a new battery, its life: a phone on its
        // charger at night, +30 % between two reports.)
        if novel
            && lone
            && watched
            && !self.light
            && !level_learning
            && !(self.charged && step > 0.0)
            && !self.load_switched(x2, x1)
            && !self.yesterday
            && self.unheard != Some((step_ms, true))
            && (self.stuck_needed == 0 || self.runs[0] < self.stuck_needed)
        {
            // Decided once it has stayed for [`STEP_STAY_MS`] (see `pending`).
            self.end_said = false;
            self.pending = Some(PendingStep {
                ms: step_ms,
                base: x2,
                step,
                score: deadband.map_or(step.abs() / sigma, |(db, s)| past(db) / s),
                deadband: deadband.map(|(db, _)| db),
                blind: spike_blind,
                bar: if big || from_held {
                    cfg.spike
                } else if by_level {
                    UNSEEN_LEVEL_SHARE * cfg.spike
                } else {
                    DRIFT_END_SHARE * cfg.spike
                },
                creep_only: !big && !by_level && !from_held && !against_ramp && !by_quanta,
                fitted: fitted && !from_held && !against_ramp && !by_quanta,
                quantum: by_quanta.then_some(quantum),
                against_ramp: against_ramp && !by_level && !from_held,
                jumped_ms: self.last_big_ms,
                held_min: match self.prev_at {
                    [Some(a), Some(b)] if reported => Some((b - a).num_seconds() as f64 / 60.0),
                    _ => None,
                },
            });
        }
        // A switch between a few-level signal's known levels is its life, not a jump;
        // the twin notes when it happened (see `switch_ms`).
        if learning && big {
            if self.levels.switch(x2, x1, res) {
                self.switch_ms = Some(step_ms);
            } else {
                self.last_big_ms = Some(at_ms);
                self.last_big = (x2 as f32, step as f32);
                if at_ms - self.big_day_ms >= DAY_MS {
                    self.big_max = [0.0, self.big_max[0]];
                    self.big_day_ms = at_ms;
                }
                self.big_max[0] = self.big_max[0].max(step.abs());
                self.land(x1, res, at_ms);
            }
        }
    }

    /// Follows a lone step already noted: a level shift said across a spell that may turn out
    /// a held reading catching up, and a pending step decided once it stayed a minute, went
    /// back (a spike held a few readings) or went on (a movement's first report).
    pub(super) fn follow_lone_step(
        &mut self,
        x: f64,
        at: DateTime<Utc>,
        at_ms: i64,
        cfg: &DetectorConfig,
        v: &mut Verdict,
    ) {
        // A level shift said across a spell may yet turn out a held reading that caught up.
        if self.catch_up.is_some() {
            self.caught_up(x, v);
        }
        // A lone step that stayed a minute is a level shift; one that went back was not. (A
        // minute less a tenth of the usual interval, at most 6 s: a sensor reporting every
        // minute shows the step stayed at its next report, which its jitter may bring a
        // little early.)
        if let Some(PendingStep {
            ms,
            base,
            step,
            score,
            bar,
            jumped_ms,
            held_min,
            creep_only,
            against_ramp,
            deadband,
            blind,
            quantum,
            ..
        }) = self.pending
        {
            let stay_ms = STEP_STAY_MS - (100.0 * self.interval).min(6_000.0) as i64;
            let beyond = x - (base + step);
            if (x - base).abs() <= 0.5 * step.abs() {
                self.pending = None;
                // It came back within the minute, after two readings there at least (one is
                // the spike test's): a spike held a few readings, when the jump passed the
                // whole bar. Premise: a reading that jumps far beyond anything the series
                // did in its week, stays and comes back within the minute is a glitch held
                // for a few readings (a tank's level read -12 % for a minute between 78.0 and
                // 77.6, where it moves 0.05 % a reading), or a process that left its life
                // and came straight back: news either way. Judged as the step is (the steps
                // together rule too: a machine's short start moves several series at once),
                // and not where the spike test was blind at it (a press's vibration at its
                // first start ever, +0.26 at a place whose noise was not known yet).
                if score > cfg.spike && !creep_only && !against_ramp && !blind {
                    let held_s = (at_ms - ms) as f64 / 1000.0;
                    let usual = usual_steps(deadband);
                    v.lone_step_ms = Some(ms);
                    v.findings.push(Finding {
                        kind: EpisodeKind::Spike,
                        at: DateTime::from_timestamp_millis(ms).unwrap_or(at),
                        score,
                        threshold: cfg.spike,
                        reason: format!(
                            "it jumped {step:+.3} from {base} to {} and came back to {x} {held_s:.0} s later: a spike held for more than one reading ({score:.1}{usual}; no peers to compare with)",
                            base + step
                        ),
                    });
                }
            } else if beyond.signum() == step.signum()
                && beyond.abs() > STEP_MOVED_ON * step.abs()
                && !quantum.is_some_and(|q| (x - self.prev[1]).abs() <= QUANTA_SPREAD * q)
            {
                // It went on the same way further than half the step itself: the first report
                // of a movement (a bathroom's humidity at a shower, reported on change after a
                // quiet quarter of an hour: +6 at once, then +7 and +7 within the minute; or
                // +8.4, then +1.9 and +5.0 within the minute), not a level it jumped to. What the
                // movement does is the other tests'. Not where the step was let in by its quanta
                // and the series goes on by one of them (see [`QUANTA_JUMP`]): that is its ramp
                // going on from where it jumped to, as it went before the jump (a pump's motor
                // heating at 0.5 °C a report jumped +2.9 and heated on at 0.5 a report).
                self.pending = None;
            } else if at_ms - ms >= stay_ms {
                self.pending = None;
                let landed = base + step;
                let at = DateTime::from_timestamp_millis(ms).unwrap_or(at);
                // A step back to where the series stood before it crept away without a jump:
                // the end of a drift (a probe's reading creeping as it fails, until it is
                // reset or recovers), not a new level. Premise: a reading kept from the last
                // two hours (ten minutes before the step at least) is within a fifth of the
                // step from where it landed, nothing jumped since, and the way from there to
                // the step crept at one pace, so the whole way out was a creep (see
                // [`Trail::creep_from`]). A level shift made against a creep (a greenhouse
                // warming in the morning sun) lands elsewhere.
                let undone = self.creep_undone(
                    ms,
                    (base, landed),
                    step,
                    jumped_ms,
                    (creep_only, self.res_known()),
                    Creeps::Either,
                );
                // … or undid the creep the rate test said (see [`Detector::ramp_undone`]).
                let ramped = if undone.is_none() && !creep_only {
                    self.ramp_undone(ms, step)
                } else {
                    None
                };
                // … or undid a creep against the course the series was on (see
                // [`Detector::creep_off_course`]).
                let off_course = if undone.is_none() && ramped.is_none() && !creep_only {
                    self.creep_off_course(ms, (base, landed), step, jumped_ms)
                } else {
                    None
                };
                // (A step admitted for a creep of hours that no longer reads as one says
                // nothing: see the match's arm for it below.)
                if !creep_only || undone.is_some() {
                    v.lone_step_ms = Some(ms);
                }
                let said = |kind, reason| Finding {
                    kind,
                    at,
                    score,
                    threshold: bar,
                    reason,
                };
                let since = |t0: i64, form: &str| {
                    DateTime::from_timestamp_millis(t0)
                        .unwrap_or(at)
                        .format(form)
                        .to_string()
                };
                v.findings.extend(match (undone, ramped, off_course) {
                    (None, None, Some((t0, x0, rate))) => {
                        self.step_base = Some((landed, step));
                        self.end_said = true;
                        self.undone = Some((t0, base, step));
                        self.undone_creep_only = false;
                        let hours = (ms - t0) as f64 / 3_600_000.0;
                        let course = rate * 3_600_000.0;
                        Some(said(
                            EpisodeKind::Drift,
                            format!(
                                "it crept {:+.3} off the course it was on at {} ({x0} and {course:+.3} an hour, {:.3} by now) and jumped {step:+.3} back onto it at {:.3}: a drift that ended ({score:.1}σ of its usual steps; no peers to compare with)",
                                base - (x0 + course * hours),
                                since(t0, "%H:%M:%S"),
                                x0 + course * hours,
                                landed,
                            ),
                        ))
                    }
                    (Some((t0, x0)), ..) => {
                        // Over once said (see [`Detector::lone_open`]).
                        self.step_base = Some((landed, step));
                        self.end_said = true;
                        self.undone = Some((t0, base, step));
                        self.undone_creep_only = creep_only;
                        Some(said(
                            EpisodeKind::Drift,
                            format!(
                                "it crept {:+.3} away from {x0} (at {}) and jumped {step:+.3} back to {landed}: a drift that ended ({score:.1}σ of its usual steps; no peers to compare with)",
                                base - x0,
                                since(t0, "%H:%M:%S"),
                            ),
                        ))
                    }
                    (None, Some((t0, slope, rate, built)), _) => {
                        self.step_base = Some((landed, step));
                        self.end_said = true;
                        self.undone = None;
                        Some(said(
                            EpisodeKind::Drift,
                            format!(
                                "it jumped {step:+.3} back to {landed}, undoing the creep its ramps showed since {} ({slope:+.3}/min where they ran at {rate:+.3}/min: {built:+.3} by now): a drift that ended ({score:.1}σ of its usual steps; no peers to compare with)",
                                since(t0, "%H:%M"),
                            ),
                        ))
                    }
                    (None, None, None) if creep_only => None,
                    (None, None, None) => {
                        self.step_base = Some((base, step));
                        self.end_said = false;
                        self.undone = None;
                        self.catch_up = held_min.map(|held_min| CatchUp {
                            ms,
                            base,
                            step,
                            score,
                            bar,
                            held_min,
                            last: x,
                            went_on: 0,
                        });
                        // (Across a spell its device spoke through, that is all twinview
                        // can say: it moved without a report, held at its source or shifted
                        // as the spell ended.)
                        let spell = held_min.map_or(String::new(), |m| {
                            format!(
                                "; after {m:.0} min without a report while its device kept sending, where it reports every change: it moved unreported, held at its source or shifted as the spell ended"
                            )
                        });
                        let turn = if against_ramp {
                            "; against the way it ramped, where it reports every change and turns by one step"
                        } else {
                            ""
                        };
                        let usual = usual_steps(deadband);
                        Some(said(
                            EpisodeKind::LevelShift,
                            format!(
                                "the level jumped {step:+.3} from {base} and stays ({score:.1}{usual}; no peers to compare with{turn}{spell})"
                            ),
                        ))
                    }
                });
            }
        }
    }

    /// Keeps the ramp test's anchors: readings half an hour to an hour old.
    pub(super) fn keep_anchors(&mut self, at_ms: i64, x: f64) {
        // The older anchor stays between half an hour and an hour old once the series has
        // been read that long: the newer is the first reading half an hour after it, and takes
        // its place when it is an hour old.
        // (Only when one is due: one comparison per reading.)
        if at_ms >= self.anchor_due_ms {
            if let [Some((t0, _)), Some(next)] = self.anchor {
                if at_ms - t0 >= 2 * RAMP_SPAN_MS {
                    self.anchor_before = self.anchor[0];
                    self.anchor = [Some(next), None];
                }
            }
            match self.anchor {
                [None, _] => self.anchor = [Some((at_ms, x)), None],
                [Some((t0, _)), None] if at_ms - t0 >= RAMP_SPAN_MS => {
                    self.anchor[1] = Some((at_ms, x));
                }
                _ => {}
            }
            self.anchor_due_ms = match self.anchor {
                [Some((t0, _)), None] => t0 + RAMP_SPAN_MS,
                [Some((t0, _)), Some(_)] => t0 + 2 * RAMP_SPAN_MS,
                [None, _] => at_ms,
            };
        }
    }

    /// Where a creep that the step at `ms` from `base` to `landed` undid began, with no jump
    /// since `jumped_ms`: on the two hours' trail (unless `long_only`) or else a creep of hours
    /// one way on the eight hours' (see [`Trail::creep_from`] and [`Trail::one_way`]).
    pub(super) fn creep_undone(
        &self,
        ms: i64,
        (base, landed): (f64, f64),
        step: f64,
        jumped_ms: Option<i64>,
        (long_only, res): (bool, f64),
        creeps: Creeps,
    ) -> Option<(i64, f64)> {
        let within = self.undone_within(step);
        // (A series reported past a deadband shows a creep only in its reports: three or four
        // of them one way are its wander, a bed holding 60 °C reported at 61.3, 60.1, 59.1 and
        // 58.1 over twenty minutes; a creep goes [`DEADBAND_CREEP`] deadbands one way at least.)
        let deadband = self.deadband();
        let far = |&(_, x0): &(i64, f64)| {
            deadband.is_none_or(|(db, _)| (base - x0).abs() >= DEADBAND_CREEP * db)
        };
        let after = |&(t0, x0): &(i64, f64)| jumped_ms.is_none_or(|t| t < t0) && far(&(t0, x0));
        // A creep of hours read through the noise by a line (see [`FIT_SHARE`]), with what the
        // long trail's creeps need besides their pace: three hours, ten steps of the
        // resolution, a reading kept every hour and a half; and eight hours at most, however
        // far back a sparse series' trail reaches (a living room flat at 20.5 ± 0.05 for
        // fifteen hours built 0.29 along its line, and the evening's cooling began with a
        // step of -0.31 back to its start: 21-day home seed 1, seen when tried). Only for a
        // temperature.
        let fitted = || {
            if !self.thermal {
                return None;
            }
            self.long_trail
                .fitted_creep(ms, (base, landed), within, LONG_CREEP_MS, |t0, x0, n| {
                    after(&(t0, x0))
                        && ms - t0 <= LONG_TRAIL as i64 * LONG_TRAIL_EVERY_MS
                        && (base - x0).abs() >= LONG_CREEP_QUANTA * res
                        && n >= LONG_CREEP_KEPT
                        && n as i64 * LONG_CREEP_EVERY_MS >= ms - t0
                })
        };
        if creeps == Creeps::Fitted {
            return fitted();
        }
        let short = if long_only {
            None
        } else {
            self.trail
                .creep_from(ms, base, landed, within)
                .filter(after)
        };
        short
            .or_else(|| {
                self.long_trail
                    .creep_from(ms, base, landed, within)
                    .filter(after)
                    .filter(|&(t0, x0)| {
                        // (Both trails: the two hours' too, read every ten minutes, went one
                        // way: a white noise's two extremes hours apart, with a slow wander
                        // between them, are no creep.)
                        ms - t0 >= LONG_CREEP_MS
                            && (base - x0).abs() >= LONG_CREEP_QUANTA * res
                            && self.long_trail.one_way(t0, x0, ms, base).is_some_and(|n| {
                                n >= LONG_CREEP_KEPT && n as i64 * LONG_CREEP_EVERY_MS >= ms - t0
                            })
                            && self.trail.one_way(t0, x0, ms, base).is_some()
                    })
            })
            .or_else(|| {
                if long_only && creeps == Creeps::Either {
                    fitted()
                } else {
                    None
                }
            })
    }

    /// How near where a creep began a step of `step` that undid it lands: [`DRIFT_UNDONE`] of
    /// the step, and one usual step more on a series that reports on change: it shows where a
    /// creep began only to within one of its usual steps, its last report before the creep
    /// perhaps a step short of where the movement that brought it there ended, and its kept
    /// readings are its reports (a pump motor cooled to 18.9 at 07:06, crept from there to
    /// 22.9 by 08:11 and stepped back to 18.1; the reading kept nearest its start was 19.4, at
    /// 07:18).
    fn undone_within(&self, step: f64) -> f64 {
        let slack = if self.reports_small_changes() || self.reports_every_change() {
            self.noise()
        } else {
            0.0
        };
        DRIFT_UNDONE * step.abs() + slack
    }

    /// Where a creep began that the step at `ms` from `base` to `landed` undid, measured from
    /// the course the series was on before it (see [`Trail::creep_off_course`]), with no jump
    /// since `jumped_ms`; and that course, per ms. The course is the series' rate over the
    /// [`COURSE_MS`] up to where the creep began, read from its eight hours' trail, where its
    /// two halves went the same way within [`DRIFT_RATES`] of each other. Premise: what an
    /// outdoor or room thermometer measures keeps its course for an hour or two (the morning
    /// warming, the evening cooling); a probe that creeps off it while it warms and is reset
    /// steps back onto it, not onto the place it left (an rtl_433 thermometer crept -1.6 °C
    /// in 77 minutes while the morning warmed it 0.4 °C, and stepped +2.2 back: plant seed
    /// 345). A course that turned (night's cooling into the morning's warming) is none, and
    /// a step off a course kept is a level shift.
    pub(super) fn creep_off_course(
        &self,
        ms: i64,
        (base, landed): (f64, f64),
        step: f64,
        jumped_ms: Option<i64>,
    ) -> Option<(i64, f64, f64)> {
        if !self.thermal {
            return None;
        }
        let within = self.undone_within(step);
        let deadband = self.deadband();
        // (A course carried on is a line; the course of a thermometer bends, the evening's
        // cooling slowing as it nears the night's: only a course that carried the series less
        // than [`COURSE_SHARE`] of the step, over [`COURSE_AHEAD_MS`] at most, is trusted, and
        // one that carried it less than `within` is no course: [`Detector::creep_undone`]
        // judged that step. Past a deadband, the creep went as far as there.)
        self.trail
            .creep_off_course(ms, (base, landed), within, |t0, x0| self.course_to(t0, x0))
            .filter(|&(t0, x0, rate)| {
                let carried = rate * (ms - t0) as f64;
                let crept = base - (x0 + carried);
                jumped_ms.is_none_or(|t| t < t0)
                    && ms - t0 <= COURSE_AHEAD_MS
                    && (within..=COURSE_SHARE * step.abs()).contains(&carried.abs())
                    && deadband.is_none_or(|(db, _)| crept.abs() >= DEADBAND_CREEP * db)
            })
    }

    /// The course (per ms) the series kept over the [`COURSE_MS`] up to the kept reading
    /// `(t0, x0)`, read from its eight hours' trail (the kept readings nearest one and two
    /// hours before), where its two halves went the same way within [`DRIFT_RATES`] of each
    /// other; none where it turned (the night's cooling into the morning's warming).
    fn course_to(&self, t0: i64, x0: f64) -> Option<f64> {
        let near = |at: i64| {
            self.long_trail
                .latest_first()
                .filter(|(t, _)| (at - t).abs() <= COURSE_MS / 8)
                .min_by_key(|(t, _)| (at - t).abs())
        };
        let (ta, xa) = near(t0 - COURSE_MS / 2)?;
        let (tb, xb) = near(t0 - COURSE_MS)?;
        let (r1, r2) = ((x0 - xa) / (t0 - ta) as f64, (xa - xb) / (ta - tb) as f64);
        // (The two windows lie apart and before `t0`: two kept readings, in order.)
        let q = r1 / r2;
        (r1.signum() == r2.signum() && (1.0 / DRIFT_RATES..=DRIFT_RATES).contains(&q))
            .then(|| (x0 - xb) / (t0 - tb) as f64)
    }

    /// Whether a lone step of `step` at `ms` undid the creep the rate test last said: it goes
    /// against it and is half to one and a half times what the creep built by then (the
    /// slope's difference from the proven rate, per minute since it began), within
    /// [`RAMP_UNDONE_MS`]. Premise: a probe whose offset creeps builds it at its own pace
    /// whether the process fills or draws (the pump-house tank's probe creeping 0.1 %/min
    /// shows as a fill at 0.32 where its fills ran at 0.42, and as a draw at 0.40 where its
    /// draws ran at 0.30); reset or recovered, it steps back by what it built. A level shift
    /// after the creep goes the same way, or another distance. Used once; returns (since
    /// when, the slope, the rate, the offset built).
    pub(super) fn ramp_undone(&mut self, ms: i64, step: f64) -> Option<(i64, f64, f64, f64)> {
        let (t0, slope, rate) = self.ramp_creep?;
        let built = (slope - rate) * (ms - t0) as f64 / 60_000.0;
        let ratio = -step / built;
        let undone = ms > t0 && ms - t0 <= RAMP_UNDONE_MS && (0.5..=1.5).contains(&ratio);
        if undone {
            self.ramp_creep = None;
        }
        undone.then_some((t0, slope, rate, built))
    }

    /// How much further than over its mean gap the series may have moved across the gap
    /// before its last reading: √(gap / mean gap), at least 1. The mean gap is the time
    /// watched over the readings (not the smoothed interval, which quick pairs of reports
    /// pull down).
    ///
    /// Premise: what a series measures moves on between its readings, like a random walk,
    /// so a step taken across a gap longer than usual is measured against the usual step
    /// widened by the square root of the gap in mean gaps (a motion sensor's illuminance,
    /// reported only when someone passes, fell at sunset between two passes half an hour
    /// apart: no jump). A steady series' gaps are its mean gap, and nothing changes for it.
    /// Remembers that a big step landed at `x` (see [`LANDED`]): a place within its level band
    /// of one remembered is that place visited again; a new place takes the slot of the place
    /// visited longest ago.
    pub(super) fn land(&mut self, x: f64, res: f64, at_ms: i64) {
        let band = self.levels.band(x, res);
        let minute = (at_ms / 60_000).max(1) as u32;
        let slot = self
            .landed
            .iter()
            .position(|&(l, m)| m > 0 && (f64::from(l) - x).abs() <= band)
            .or_else(|| (0..LANDED).min_by_key(|&i| self.landed[i].1))
            .unwrap_or(0);
        self.landed[slot] = (x as f32, minute);
    }

    /// A step of a series that is not a few-level one, from a reading it held through a
    /// quiet spell of [`DWELT_HELD_MS`] its device spoke through, or (not on a power or a
    /// current by its name) from a place it dwelt at in its table of levels (`x2`), to a
    /// place it has not dwelt at (`x1`, and `x` after it), that does not undo its last big step (against it,
    /// landing within a third of it from where it left, or three quarters to four thirds as
    /// far: a greenhouse that cooled 0.7 °C under an offset of +1.8 comes back by -1.8 to a
    /// place it never read), on a series whose big steps landed at one to [`DWELLING_PLACES`]
    /// places in the week. Premise: a machine that rests at a held reading (a pump's flow
    /// at 0, reported past a deadband, so that a rest is one report) and jumps from it to
    /// somewhere it never was, and stays, is news (the flow read 20.2 while the pump rests),
    /// though it jumped within the week (its starts and stops), and so is its flow down from
    /// 118 to 97.6 while it runs. A plug's load stepping between places is its appliance's
    /// program, not news: a washer's plug from its heater at 2,029 W to its drum at 235 W, a
    /// place it had not been (a false level shift in the ten-day home of seed 2 when a power
    /// was judged so). A series that never jumped is not judged so
    /// either: its spells may end anywhere its wander took it (see
    /// [`Detector::reports_every_change`]).
    pub(super) fn left_its_dwelling(
        &self,
        (x2, x1, x): (f64, f64, f64),
        quiet: bool,
        res: f64,
    ) -> bool {
        let (from, last) = (f64::from(self.last_big.0), f64::from(self.last_big.1));
        let step = x1 - x2;
        let back = last * step < 0.0
            && ((x1 - from).abs() <= last.abs() / 3.0
                || (0.75..=4.0 / 3.0).contains(&(step.abs() / last.abs())));
        !self.levels.few
            && !back
            && (1..=DWELLING_PLACES).contains(&self.landing_places())
            && (self.held_through(quiet) || (!self.zero_is_off && self.levels.dwelt(x2, res)))
            && !self.levels.dwelt(x1, res)
            && !self.levels.dwelt(x, res)
    }

    /// How many places its big steps landed at within [`STEP_MEMORY_MS`] (see [`LANDED`]).
    pub(super) fn landing_places(&self) -> usize {
        let now = self.prev_at[1].map_or(0, |t| t.timestamp_millis());
        self.landings(now).count()
    }

    /// The places big steps landed at that are remembered at `at_ms` (within
    /// [`STEP_MEMORY_MS`]; see [`LANDED`]).
    pub(super) fn landings(&self, at_ms: i64) -> impl Iterator<Item = f64> + '_ {
        self.landed
            .iter()
            .filter(move |&&(_, m)| m > 0 && at_ms - i64::from(m) * 60_000 < STEP_MEMORY_MS)
            .map(|&(l, _)| f64::from(l))
    }

    /// The previous reading came after a quiet spell its device spoke through (`quiet`, see
    /// [`Detector::quiet_spell`]) of [`DWELT_HELD_MS`] at least: the reading before it held.
    pub(super) fn held_through(&self, quiet: bool) -> bool {
        quiet
            && match self.prev_at {
                [Some(a), Some(b)] => (b - a).num_milliseconds() >= DWELT_HELD_MS,
                _ => false,
            }
    }

    /// One of the places big steps landed (see [`LANDED`]) is within `x`'s level band: the
    /// series has jumped to this place before.
    pub(super) fn landed_before(&self, x: f64, res: f64, at_ms: i64) -> bool {
        let band = self.levels.band(x, res);
        self.landings(at_ms).any(|l| (l - x).abs() <= band)
    }

    /// Whether a series' device spoke through the spell since its last reading: `others`
    /// messages of its topic came without it over `gap_ms`, at least three, and the device
    /// was online throughout: by its own word (`said_online`: a Sparkplug birth, a Last Will
    /// topic's "online", said before the spell and not taken back), or else by its pace (at
    /// least half as many messages as its topic's mean interval `topic_mean_ms` would bring
    /// over the spell: a device offline for most of it did not speak through it).
    pub fn spoke_through(others: u64, gap_ms: i64, topic_mean_ms: f64, said_online: bool) -> bool {
        others >= 3
            && (said_online
                || (topic_mean_ms > 0.0 && others as f64 >= 0.5 * gap_ms as f64 / topic_mean_ms))
    }

    /// The previous reading came after a quiet spell its device spoke through: at least
    /// [`QUIET_GAPS`] of the series' mean gaps long, with its topic's other messages coming
    /// meanwhile (see [`Detector::spoke_through`]).
    pub(super) fn quiet_spell(&self) -> bool {
        // (Asked at every reading: the flag first.)
        if !self.spoke[1] {
            return false;
        }
        let mean_gap = self.mean_gap_ms();
        match self.prev_at {
            [Some(a), Some(b)] if mean_gap > 0.0 => {
                (b - a).num_milliseconds() as f64 >= QUIET_GAPS * mean_gap
            }
            _ => false,
        }
    }

    /// Its deadband and how far past it its usual step goes (σ), where its history says it
    /// is reported past a deadband: [`DEADBAND_CHANGES`] changes looked at once warm, at least
    /// [`DEADBAND_OFF_GRID`] of them no whole multiple of its smallest step, that smallest step
    /// at least [`DEADBAND_SHARE`] of its mean change, and under [`DEADBAND_SAME`] of its
    /// readings repeats.
    ///
    /// Premise: a value sent only once it moved past a deadband since the last one sent (an
    /// OctoPrint bed's temperature, published at a change of a degree; a Sparkplug metric
    /// sent by exception) steps by the deadband and what it moved between two looks at it,
    /// whatever the time between its reports: its silence is its standing still. So a step
    /// is measured by how far past the deadband it went, against how far its usual steps
    /// went (a bed idle at 21 °C read 26.3 next, 4.1 past its degree where its steps went
    /// 0.1 past it), and not widened by the time since its last report. A quantised sensor's
    /// steps are whole quanta and a continuous one's smallest step is far below its usual one:
    /// neither is taken for one.
    pub(super) fn deadband(&self) -> Option<(f64, f64)> {
        let db = self.res_known();
        (self.learnt_grid >= DEADBAND_CHANGES
            && db > 0.0
            && self.p_off_grid >= DEADBAND_OFF_GRID
            && self.p_same < DEADBAND_SAME
            && db >= DEADBAND_SHARE * self.mean_change)
            .then(|| {
                let past = (self.mean_change - db).max(DEADBAND_EXCESS_FLOOR * db);
                (db, past * MEAN_ABS_TO_SIGMA)
            })
    }

    /// Its history says it reports every change past a deadband: at least [`QUIET_LEARNT`] of
    /// its steps across quiet spells its device spoke through were learnt, none beyond
    /// [`QUIET_STEP_SIGMAS`] of its usual step.
    ///
    /// Premise: a value reported by exception (a Sparkplug metric left out of its node's DDATA
    /// while it stays within its deadband; a Shelly status that carries only what changed) is
    /// sent whenever it moves past the deadband, so a spell without it while its device kept
    /// sending is a spell it stood still, and its next report is one deadband from its last,
    /// however long the spell. A random walk's widening (`gap_spread`) and a ramp carried
    /// across the gap (`ramp_over_gap`) do not apply: such a series that jumps many of its
    /// steps at the end of a spell moved without being reported (held at its source, or
    /// shifted as the spell ended; twinview cannot tell which, and says the step, until the
    /// reports after it show a catch-up: see [`Detector::caught_up`]). Its own
    /// steps across such spells are the evidence: one learnt beyond half the spike threshold
    /// and it keeps the widened judgement for good. A series whose topic carries all its
    /// fields every time (Zigbee2MQTT, Tasmota) or one topic per field (ESPHome, Homie) never
    /// has such a spell, and nothing changes for it.
    pub(super) fn reports_every_change(&self) -> bool {
        let (n, top) = self.quiet_steps;
        n >= QUIET_LEARNT && top <= QUIET_STEP_SIGMAS
    }

    pub(super) fn gap_spread(&self) -> f64 {
        let mean_gap = self.mean_gap_ms();
        match self.prev_at {
            [Some(a), Some(b)] if mean_gap > 0.0 => {
                let gap = (b - a).num_milliseconds() as f64;
                (gap / mean_gap).max(1.0).sqrt()
            }
            _ => 1.0,
        }
    }

    /// How far the series' recent movement carries it across the gap before its last reading,
    /// where that movement goes the way of `step` (0 otherwise, and at most the step): its
    /// rate from a reading kept half an hour to an hour back (see `anchor`; at least ten
    /// minutes before the gap began) to the reading the gap began at, times the gap.
    ///
    /// Premise: a step that continues a series' movement at its recent rate is that movement,
    /// not a jump (a motion sensor's illuminance climbing 1.1 lux a minute at sunrise, read
    /// again twelve minutes later 15 lux higher). The rate is measured from the older anchor,
    /// or from the one before it while that is within [`RAMP_MIN_MS`] of the reading before
    /// the step (a sparse series' anchor moves on at the very reading whose step is judged:
    /// the same illuminance read 28 lux higher after 28 quiet minutes had lost the rate). A
    /// steady series' gaps are a reading apart, and one reading's worth of its movement is
    /// within its usual steps.
    pub(super) fn ramp_over_gap(&self, step: f64) -> f64 {
        let [Some(a), Some(b)] = self.prev_at else {
            return 0.0;
        };
        let (a_ms, b_ms) = (a.timestamp_millis(), b.timestamp_millis());
        let Some((t0, x0)) = self.anchor_kept(a_ms, RAMP_MIN_MS) else {
            return 0.0;
        };
        let rate = (self.prev[0] - x0) / (a_ms - t0) as f64;
        if rate.signum() != step.signum() {
            return 0.0;
        }
        (rate * (b_ms - a_ms) as f64).abs().min(step.abs()) * step.signum()
    }

    /// A step of `step` on a series that reports every change past a deadband goes against
    /// the way it ramped over the last half hour or more: from the kept reading (see
    /// [`Detector::ramp_over_gap`]) to the reading before the step it moved the other way by
    /// [`AGAINST_RAMP_STEPS`] of its usual steps at least. Premise: such a series moves by
    /// one deadband a report, and turns by one (a pump motor that cools from 55 °C at -0.5 a
    /// report, and heats again at +0.5 when its pump starts); a step of several against its
    /// ramp is a jump, though the uniform steps make it only 4.7 σ of them (a motor cooling
    /// through 27.1 read 30.1, +3.0, and went on cooling from there).
    pub(super) fn against_its_ramp(&self, step: f64) -> bool {
        let [Some(a), Some(_)] = self.prev_at else {
            return false;
        };
        let Some((_, x0)) = self.anchor_kept(a.timestamp_millis(), RAMP_SPAN_MS) else {
            return false;
        };
        let moved = self.prev[0] - x0;
        self.reports_every_change()
            && moved.signum() != step.signum()
            && moved.abs() >= AGAINST_RAMP_STEPS * self.mean_abs_d
    }

    /// The reading kept to measure the recent rate by (see `anchor`) that is at least
    /// `span_ms` older than `a_ms`: the newer anchor, or the one before it.
    pub(super) fn anchor_kept(&self, a_ms: i64, span_ms: i64) -> Option<(i64, f64)> {
        let old_enough = |a: Option<(i64, f64)>| a.filter(|(t0, _)| a_ms - t0 >= span_ms);
        old_enough(self.anchor[0]).or(old_enough(self.anchor_before))
    }

    /// Its quantum for [`QUANTA_JUMP`]: the mean of its steps in the day that began at
    /// `small_day_ms` and the day before it (0 before any step). A quantised sensor that
    /// flickers between neighbours steps by its resolution; a value reported past a deadband
    /// steps by the deadband and a little more, whatever the finer resolution its readings are
    /// written to (a Sparkplug motor's temperature written to 0.1 °C and sent at each 0.5 °C
    /// it moved).
    pub(super) fn quantum(&self) -> f64 {
        let n = self.small_n[0].saturating_add(self.small_n[1]);
        if n == 0 {
            0.0
        } else {
            (self.small_sum[0] + self.small_sum[1]) / f64::from(n)
        }
    }

    /// Its steps across gaps of [`QUIET_GAPS`] of its mean gap or longer were single quanta of
    /// `quantum` (at most [`QUANTA_SPREAD`] of it), [`QUIET_LEARNT`] of them at least: its
    /// silence is its standing still, and a step after one is not widened by its length, nor
    /// taken for its ramp carried across it. Premise: a value reported at each quantum it moves
    /// (a Sparkplug metric sent by exception while its node has nothing else to say: a pump's
    /// motor cooling at rest, 0.5 °C a report, 2 to 20 minutes apart) moved nothing between
    /// two reports, whatever their distance; a sampled series that moved while unread shows
    /// it in bigger steps after its gaps, and one learnt beyond that keeps the widened
    /// judgement for good. The case: a pump's motor cooling at rest from 25 °C, 0.5 a report,
    /// held 22.5 for 17 minutes as a drift kept it warm and read 18.5 next, -4.0 at once
    /// (plant seed 107: the ramp carried across its gap had explained the step away).
    pub(super) fn still_through_gaps(&self, quantum: f64) -> bool {
        let (n, top) = self.gap_steps;
        n >= QUIET_LEARNT && f64::from(top) <= QUANTA_SPREAD * quantum
    }

    /// A power or a current (by its name) stepped from `a` to `b` between rest and a load: the
    /// lower of the two is at most [`LOAD_REST_SHARE`] of the higher (off, or a standby's
    /// draw). Premise: such a step is a load switched on or off, the plug's life however new
    /// the load (a washer's first run: its current from 0.03 A at rest to 8.9 A as its heater
    /// starts). Its first run was said a level shift, and while that episode was open the run's
    /// other places were not learnt, so its next run, two days later, was said one too. A
    /// meter that fails by reading a load where there is none cannot be told from that.
    ///
    /// And within [`LOAD_PROGRAM_MS`] of resting so (`rest_low`): a step between two places
    /// of the load's program is its life too (a washer from its heater's 2,030 W to its drum's
    /// 364 W, or its current from 8.85 to 0.8 A, half an hour after it rested at 0 W: in
    /// ten-day home worlds each was said a level shift, and the trend test said a run's start
    /// after days at rest a drift, "+287 W in 30 min, where it moved 0.000").
    pub(super) fn load_switched(&self, a: f64, b: f64) -> bool {
        let rested = self.rest_low.map_or(f64::INFINITY, |(_, lo)| lo);
        let (lo, hi) = (a.abs().min(b.abs()).min(rested), a.abs().max(b.abs()));
        self.zero_is_off && lo <= LOAD_REST_SHARE * hi
    }

    /// The creep a lone step said as the end of a drift undid (see `pending`'s decision): from
    /// when (epoch ms), and how far (the step's level before, less where it started, is about
    /// minus the step).
    pub fn undone_creep(&self) -> Option<(i64, f64)> {
        self.undone.map(|(t0, _, step)| (t0, -step))
    }

    /// The end of a drift said by `f` was a creep the place made (the twin found another
    /// probe of the device that crept with it): the step is a level shift after all, or
    /// nothing (returns false: the caller drops `f`) where it passed its bar only for the creep
    /// it seemed to undo (see [`DRIFT_END_SHARE`]).
    pub fn creep_was_the_place(&mut self, f: &mut Finding, with: &str) -> bool {
        let Some((_, base, step)) = self.undone.take() else {
            return true;
        };
        if self.undone_creep_only {
            self.end_said = false;
            self.step_base = None;
            return false;
        }
        self.step_base = Some((base, step));
        self.end_said = false;
        f.kind = EpisodeKind::LevelShift;
        f.reason = format!(
            "the level jumped {step:+.3} from {base} and stays ({:.1}σ of its usual steps; no peers to compare with; the creep before it was the place's: {with} crept with it)",
            f.score
        );
        true
    }

    /// The level shift said by `f` brought the series back to where another source says it
    /// belongs (its numbered sibling, see `pairs`): the end of a drift, over once said (see
    /// [`Detector::lone_open`]).
    pub fn step_ended_a_drift(&mut self, f: &mut Finding, reason: String) {
        let Some((base, step)) = self.step_base else {
            return;
        };
        self.step_base = Some((base + step, step));
        self.end_said = true;
        self.catch_up = None;
        f.kind = EpisodeKind::Drift;
        f.reason = reason;
    }

    /// A reading delivered late (stamped before the series' latest: a gateway's store and
    /// forward), judged as a spike against the readings stamped either side of it. Premise:
    /// its neighbours in time are known and seconds from the latest reading, so the noise the
    /// latest reading's spike test used holds for it; only its order of arrival is out of
    /// place. Nothing else is judged of it (it is no next step), nor while an episode is open.
    /// (An oven's spike of +13 °C came in a publish Kepware's gateway held for 15 s, and was
    /// never judged.)
    pub fn judge_late(
        &self,
        before: f64,
        x: f64,
        after: f64,
        at: DateTime<Utc>,
        cfg: &DetectorConfig,
    ) -> Option<Finding> {
        let sigma = f64::from(self.spike_sigma);
        // (A counter's steps are not judged so: its latest spike test may be from before it
        // was known as one.)
        if sigma <= 0.0 || self.open.is_some() || self.counter() || !x.is_finite() {
            return None;
        }
        let (a, b) = (x - before, x - after);
        let small = a.abs().min(b.abs());
        let score = small / sigma;
        let res = self.res_known();
        let spike = a.signum() == b.signum()
            && score > cfg.spike
            && (after - before).abs() < 0.5 * small
            && !self.levels.switch(before, x, res)
            && !self.levels.switch(x, after, res);
        spike.then(|| Finding {
            kind: EpisodeKind::Spike,
            at,
            score,
            threshold: cfg.spike,
            reason: format!(
                "one reading of {x}, delivered late, stood {:+.3} from the readings stamped either side of it ({score:.1}σ of its usual steps)",
                x - 0.5 * (before + after)
            ),
        })
    }

    /// When the latest reading's step is decided though no report came after it (epoch ms): a
    /// minute after it ([`STEP_STAY_MS`]), on a series whose cadence is irregular. Premise:
    /// such a series reports when its value changes, and a publisher that reports on change
    /// reports a return within seconds (a Zigbee sensor samples every few seconds and reports a
    /// change beyond its reportable change after its minimum interval), so a minute without a
    /// report says the level held. The next report comes only when the value next changes, half
    /// an hour later or more: deciding then says a step long after it (and a drift's jump back
    /// past its end). `None` where there is nothing to decide: an ordinary step, one already
    /// looked at, an episode open, a steady or unknown cadence (the next report then comes at
    /// the pace), and a step to exactly 0: a series that reports on change and went to 0 and
    /// quiet has switched off (a PV charger's panel voltage at dusk, a pump's flow reported by
    /// exception when it stops), and its next report decides it as before (its return then
    /// says it went back).
    ///
    /// A step whose next report came and held (`pending`) is due a minute after it too, on any
    /// cadence: a sensor reporting every 50 s shows the step held at its next report, 50 s
    /// after it, and would otherwise be decided at the report after (an rtl_433 sensor's jump
    /// back at a drift's end was said 100 s after it). At the minute every step within a
    /// minute of it has been heard, as when its report decides it (the steps-together rule).
    #[inline]
    pub fn unheard_step_due(&self) -> Option<i64> {
        // (Cheapest first: this is asked after every reading.)
        if self.open.is_some() {
            return None;
        }
        if let Some(p) = self.pending {
            return (!p.fitted).then_some(p.ms + STEP_STAY_MS);
        }
        if self.steady.is_some() {
            return None;
        }
        // Only what could be a big step: the step test itself decides.
        let step = (self.prev[1] - self.prev[0]).abs();
        // (On a series reported past a deadband: how far past it; see [`Detector::deadband`].)
        let small = match self.deadband() {
            Some((db, s)) => step - db <= 2.0 * s,
            None => step <= 2.0 * self.mean_abs_d || step < 5.0 * self.resolution,
        };
        if small || self.prev[1] == 0.0 {
            return None;
        }
        let ms = self.prev_at[1]?.timestamp_millis();
        (usize::from(self.cadence_len) >= 4
            && self.n >= 3
            && !self.never_judged()
            && !self.discrete()
            && !self.counter()
            && self.unheard.is_none_or(|(t, _)| t != ms))
        .then_some(ms + STEP_STAY_MS)
    }

    /// Decides the latest reading's step as the report that did not come would have (a report
    /// of the same value at `now`; see [`Detector::unheard_step_due`]): the level shift or the
    /// end of a drift, if it is one. Nothing of that report is learnt, only that the step is
    /// decided (its next report does not decide it again); a step waiting for the minute
    /// (`pending`) is decided or dropped as the clone decided it.
    pub fn decide_unheard_step(
        &mut self,
        now: DateTime<Utc>,
        cfg: &DetectorConfig,
    ) -> Option<Finding> {
        let waiting = self.pending.map(|p| p.ms);
        let ms = match waiting {
            Some(ms) => ms,
            None => self.prev_at[1]?.timestamp_millis(),
        };
        let mut probe = self.clone();
        probe.phantom = true;
        let v = probe.observe_in(self.prev[1], now, self.prev_consensus, false, cfg);
        let found = v
            .findings
            .into_iter()
            .find(|f| {
                matches!(f.kind, EpisodeKind::LevelShift | EpisodeKind::Drift)
                    && f.at.timestamp_millis() == ms
            })
            .filter(|_| v.lone_step_ms == Some(ms));
        self.unheard = Some((ms, found.is_some()));
        // The jump is remembered as the report that did not come would have had it: the step
        // back after a level shift decided so is judged as one after a jump (it was judged as
        // if the series had not jumped, and could take the shift's step for a creep it undid).
        self.last_big_ms = probe.last_big_ms;
        self.last_big = probe.last_big;
        self.big_max = probe.big_max;
        self.big_day_ms = probe.big_day_ms;
        self.landed = probe.landed;
        if waiting.is_some() {
            self.pending = probe.pending;
        }
        if found.is_some() {
            self.step_base = probe.step_base;
            self.end_said = probe.end_said;
            self.novel_ms = probe.novel_ms;
            self.catch_up = probe.catch_up;
        }
        found
    }
}
