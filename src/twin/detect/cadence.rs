//! A series' cadence and its silences: the interval it reports at, whether it is steady, when
//! a silence is due, and a value reported on change that has held too long.

use super::*;

impl Detector {
    /// Learns the series' cadence from the time of this reading: its smoothed interval, and
    /// (between reports, a burst of readings within [`BURST_S`] being one) its steady cadence,
    /// its longest holds and gaps. Only while no episode is open (`learning`).
    pub(super) fn learn_cadence(&mut self, at_ms: i64, learning: bool, cfg: &DetectorConfig) {
        if let Some(last) = self.last_ms {
            let dt = (at_ms - last) as f64 / 1000.0;
            if dt >= 0.0 && dt.is_finite() {
                if self.interval == 0.0 {
                    self.interval = dt;
                } else if learning {
                    // Clipped so one long gap (a silence) does not teach a long interval.
                    self.interval += (dt.min(3.0 * self.interval) - self.interval) / 20.0;
                }
                // (`prev[1]` is the reading the gap began at. Not across its device's
                // return: a pump house offline six minutes mid-run is no hold of its flow.)
                let across_return = self.back_ms.is_some_and(|b| b > last);
                if learning
                    && self.n >= 2
                    && !across_return
                    && !self.at_rest_near_zero(self.prev[1])
                {
                    self.active_gap[0] = self.active_gap[0].max(dt as f32);
                    self.active_gaps = self.active_gaps.saturating_add(1);
                }
            }
        }
        self.last_ms = Some(at_ms);
        self.first_ms.get_or_insert(at_ms);
        match self.report_ms {
            Some(r) if (at_ms - r) as f64 / 1000.0 >= BURST_S => {
                self.report_ms = Some(at_ms);
                if learning {
                    let gap = (at_ms - r) as f64 / 1000.0;
                    if self.steady.is_some_and(|m| gap <= HOLD_LEARNT_MAX * m) {
                        self.longest_hold = self.longest_hold.max(gap as f32);
                    }
                    // Clipped so one silence does not unsettle a steady cadence.
                    let gap = self.steady.map_or(gap, |m| gap.min(3.0 * m));
                    if let Some(m) = self.steady.filter(|m| *m > 0.0) {
                        if self.gaps_seen >= 1 << 20 {
                            self.gaps_seen /= 2;
                            self.gaps_lost /= 2;
                        }
                        self.gaps_seen += 1;
                        self.gaps_lost += ((gap / m).round() - 1.0).clamp(0.0, 2.0) as u32;
                    }
                    self.cadence[usize::from(self.cadence_next)] = gap as f32;
                    self.cadence_next = (self.cadence_next + 1) % INTERVALS as u8;
                    self.cadence_len = (self.cadence_len + 1).min(INTERVALS as u8);
                    if at_ms - self.gap_day_ms > DAY_MS {
                        self.longest_gap = [0.0, self.longest_gap[0]];
                        self.active_gap = [0.0, self.active_gap[0]];
                        self.paces = [[0.0; 2], self.paces[0]];
                        self.gap_day_ms = at_ms;
                    }
                    self.longest_gap[0] = self.longest_gap[0].max(gap as f32);
                    (self.steady, self.spread) = self.cadence_steady(cfg);
                    if let Some(m) = self.steady {
                        let [lo, hi] = &mut self.paces[0];
                        let m = m as f32;
                        *lo = if *lo > 0.0 { lo.min(m) } else { m };
                        *hi = hi.max(m);
                    }
                }
            }
            Some(_) => {}
            None => self.report_ms = Some(at_ms),
        }
    }

    /// Silence at `now`: the reading due after the last one is long overdue. Premise: the
    /// series reports at a steady pace ([`Detector::steady`]); a series that reports on
    /// change, on events or in bursts has no pace to miss, and is never silent.
    /// The instant after which [`Detector::silence`] finds a silence, if no reading comes;
    /// `None` while it cannot (too few readings, no interval yet).
    /// The cadence of the intervals in the ring (see [`cadence`]), steady only if no interval
    /// of the day being watched or the day before was longer than [`STEADY_GAP_INTERVALS`]
    /// × that median (at least `silence_min_s`). Premise: a device that
    /// reports on change looks steady while busy (a bathroom sensor every 10 s while the
    /// shower runs, a phone every 5 minutes while its owner moves), and its own history shows
    /// gaps that a steady device would not leave (half an hour quiet, a night at home): its
    /// quiet is its life, not a silence. (Once steady, a gap counts at most 3 intervals, so a
    /// silence does not unsettle the cadence it is judged against.)
    /// The greatest steady median interval of the day being watched and the day before over
    /// the least (1 while at most one is known). A metronome keeps one pace all day; a
    /// device reporting on change looks steady at the pace its medium moves at, and that
    /// pace changes (a room sensor every 20 minutes through the night, every 6 while the
    /// heating warms the room).
    pub fn pace_ratio(&self) -> f32 {
        let lo = self
            .paces
            .iter()
            .map(|p| p[0])
            .filter(|lo| *lo > 0.0)
            .fold(f32::INFINITY, f32::min);
        let hi = self.paces.iter().map(|p| p[1]).fold(0.0, f32::max);
        if lo.is_finite() && hi > 0.0 {
            hi / lo
        } else {
            1.0
        }
    }

    pub(super) fn cadence_steady(&self, cfg: &DetectorConfig) -> (Option<f64>, f32) {
        let (median, spread) = cadence(&self.cadence[..usize::from(self.cadence_len)]);
        let longest = f64::from(self.longest_gap[0].max(self.longest_gap[1]));
        match median {
            Some(m) if longest > (STEADY_GAP_INTERVALS * m).max(cfg.silence_min_s) => {
                (None, spread.max(STEADY_SPREAD + 1.0))
            }
            _ => (median, spread),
        }
    }

    pub fn silence_deadline(
        &self,
        last_seen: DateTime<Utc>,
        cfg: &DetectorConfig,
    ) -> Option<DateTime<Utc>> {
        if (self.n as usize) < cfg.warmup.min(10) {
            return None;
        }
        let interval = self.steady.filter(|i| *i > 0.0)?;
        let limit = self.silence_limit(interval, cfg);
        // `silence` compares whole milliseconds of quiet with the limit: up to the limit's
        // whole milliseconds it finds nothing.
        let ms = (limit * 1000.0).floor();
        if !ms.is_finite() || ms >= i64::MAX as f64 {
            return None;
        }
        last_seen.checked_add_signed(chrono::Duration::milliseconds(ms as i64))
    }

    /// The series reports on change: over at least [`ON_CHANGE_MIN`] readings it (almost)
    /// never repeated its last value, although its steps are mostly a few steps of its
    /// resolution, where a periodic report would repeat often (a Victron GX publishes a value
    /// only when it changed). Premise: such a publisher sends nothing while its value holds.
    ///
    /// Where its topic's convention says it publishes on change ([`Detector::sent_on_change`])
    /// the size of its steps is not asked: a battery's voltage under charge steps by eight
    /// hundredths at a time, and its GX still sends it only when it moved.
    pub fn reports_on_change(&self) -> bool {
        self.changed_at_every_report()
            && (self.on_change_by_convention
                || self.mean_abs_d <= ON_CHANGE_STEPS * self.resolution)
    }

    /// It sends a value only when it changed: on change ([`Detector::reports_on_change`]) or
    /// past a deadband ([`Detector::deadband`]). A held value of such a series shows as its
    /// silence, and its next reading ends it.
    pub fn sends_only_changes(&self) -> bool {
        self.reports_on_change() || self.deadband().is_some()
    }

    /// [`Detector::reports_on_change`] read from its steps alone: it changed at every report
    /// by a few steps of its resolution (its reports are sparse beside what it measures).
    pub(super) fn reports_small_changes(&self) -> bool {
        self.changed_at_every_report() && self.mean_abs_d <= ON_CHANGE_STEPS * self.resolution
    }

    /// Over at least [`ON_CHANGE_MIN`] readings it (almost) never repeated its last value.
    fn changed_at_every_report(&self) -> bool {
        !self.never_judged()
            && self.n >= ON_CHANGE_MIN
            && self.resolution > 0.0
            && self.p_same < ON_CHANGE_REPEATS
            && !self.discrete()
            && !self.counter()
    }

    /// Its topic's convention publishes a value only when it changed: Victron's dbus-mqtt
    /// (`N/<portal id>/…`) sends a D-Bus path's value at each change and nothing while it
    /// holds (a keepalive's full republish repeats values, which keeps the share of repeats
    /// that [`Detector::reports_on_change`] asks for above its bar). Premise: the convention's
    /// documented behaviour, not the series' steps.
    pub fn sent_on_change(mut self, by_convention: bool) -> Detector {
        self.on_change_by_convention = by_convention;
        self
    }

    /// A series that reports on change ([`Detector::reports_on_change`]) at a steady pace (it
    /// changed at every report, with no quiet stretch in its last day or two) and has sent
    /// nothing for as long as a silence, while its device kept reporting other series: its
    /// value has held, which its history makes improbable — stuck. `device_heard`: the
    /// device's latest report, which must come after this series was overdue (a device gone
    /// quiet as a whole is a silence, said once for the device). Ends at its next reading (a
    /// new value).
    ///
    /// A value reported past a deadband ([`Detector::deadband`]) that is away from rest is
    /// held likewise once quiet for [`STUCK_LONGEST_RUNS`] times the longest it went between
    /// readings away from rest over the day and the day before (see
    /// [`Detector::held_past_deadband`]).
    pub fn held(
        &self,
        last_seen: DateTime<Utc>,
        device_heard: DateTime<Utc>,
        now: DateTime<Utc>,
        cfg: &DetectorConfig,
    ) -> Option<Finding> {
        let due = self.held_deadline(last_seen, cfg)?;
        if now <= due || device_heard <= due {
            return None;
        }
        if self.held_at_pace(last_seen, cfg).is_none() {
            let longest = self.longest_active_gap();
            let quiet = (now - last_seen).num_milliseconds() as f64 / 1000.0;
            let db = self.deadband().map_or(0.0, |(db, _)| db);
            return Some(Finding {
                kind: EpisodeKind::Stuck,
                at: last_seen,
                score: quiet / longest.max(1e-3),
                threshold: STUCK_LONGEST_RUNS as f64,
                reason: format!(
                    "no new value for {quiet:.0} s while its device keeps reporting: it is sent when it moves past a deadband of {db:.3}, and away from rest it did so at least every {longest:.0} s over its last day or two, so its value has held at {}",
                    self.prev[1]
                ),
            });
        }
        let mut f = self.silence(last_seen, now, cfg)?;
        f.kind = EpisodeKind::Stuck;
        f.at = last_seen;
        f.reason = format!(
            "no new value for {:.0} s while its device keeps reporting: it reports on change and changed at every report (every {:.1} s), so its value has held at {}",
            (now - last_seen).num_milliseconds() as f64 / 1000.0,
            self.steady.unwrap_or_default(),
            self.prev[1]
        );
        Some(f)
    }

    /// When a series that sends only changes has held its value too long: at its pace
    /// ([`Detector::held_at_pace`]), else past its deadband
    /// ([`Detector::held_past_deadband`]).
    pub fn held_deadline(
        &self,
        last_seen: DateTime<Utc>,
        cfg: &DetectorConfig,
    ) -> Option<DateTime<Utc>> {
        self.held_at_pace(last_seen, cfg)
            .or_else(|| self.held_past_deadband(last_seen, cfg))
    }

    /// When a series that reports on change has held its value too long: after a silence
    /// would be said and after [`STUCK_LONGEST_RUNS`] times the longest it held before and
    /// came back by itself (as for a run of repeats: its own history says such holds are its
    /// life). `None` where it does not report on change or has no steady pace.
    fn held_at_pace(
        &self,
        last_seen: DateTime<Utc>,
        cfg: &DetectorConfig,
    ) -> Option<DateTime<Utc>> {
        if !self.reports_on_change() {
            return None;
        }
        let silence = self.silence_deadline(last_seen, cfg)?;
        let ms = (STUCK_LONGEST_RUNS as f64 * f64::from(self.longest_hold) * 1000.0) as i64;
        let own = last_seen.checked_add_signed(chrono::Duration::milliseconds(ms))?;
        Some(silence.max(own))
    }

    /// When a value reported past a deadband has held too long: [`STUCK_LONGEST_RUNS`] times
    /// the longest it went between readings while away from rest, over the day being watched
    /// and the day before (at least `silence_min_s`), once [`ACTIVE_GAPS_MIN`] such times were
    /// learnt. `None` where it has no deadband, is at rest, or is a counter.
    ///
    /// Premise: a value reported by exception (Sparkplug's DDATA carries only the metrics
    /// that moved past their deadband) is sent whenever it moves past the deadband; one that
    /// moves past it every few seconds while away from rest (a running pump's flow: at least
    /// every 36 s over a day, from fourteen thousand reports) and has sent nothing for three
    /// times that while its device kept sending other values has held. At rest (within
    /// [`REST_DEADBANDS`] of 0: a stopped pump's flow) a silence is its rest, and the times
    /// after a reading there are not learnt.
    pub(super) fn held_past_deadband(
        &self,
        last_seen: DateTime<Utc>,
        cfg: &DetectorConfig,
    ) -> Option<DateTime<Utc>> {
        if self.never_judged()
            || self.counter()
            || self.deadband().is_none()
            || self.active_gaps < ACTIVE_GAPS_MIN
            || self.at_rest_near_zero(self.prev[1])
        {
            return None;
        }
        let wait = (STUCK_LONGEST_RUNS as f64 * self.longest_active_gap()).max(cfg.silence_min_s);
        last_seen.checked_add_signed(chrono::Duration::milliseconds((wait * 1000.0) as i64))
    }

    /// The longest time between readings after one away from rest, over the day being
    /// watched and the day before (seconds).
    fn longest_active_gap(&self) -> f64 {
        f64::from(self.active_gap[0].max(self.active_gap[1]))
    }

    /// `x` is within [`REST_DEADBANDS`] of its resolution (its deadband, where it has one)
    /// of 0.
    fn at_rest_near_zero(&self, x: f64) -> bool {
        x.abs() <= REST_DEADBANDS * self.res_known()
    }

    /// The quiet after which a steady series is silent. Once it has shown
    /// [`SILENCE_LOSS_KNOWN`] gaps at its pace: as many intervals as the reports it would lose
    /// in a row, at its own share of lost reports (one more lost than counted, for what a
    /// thousand gaps cannot show), no more often than [`SILENCE_FALSE_PER_DAY`] a day, and
    /// one more, within `silence_intervals` (3) and [`STEADY_GAP_INTERVALS`] (5): 3 for a
    /// series every ten seconds that loses nothing. Before that, 5. At least `silence_min_s`.
    /// Premise: a steady device's reading three intervals overdue is missing, unless the
    /// series loses reports, as a 433 MHz sensor does (one transmission in twenty: two lost
    /// in a row several times a day, three now and then); its losses are counted only while
    /// no episode is open, so a silence never teaches a longer one.
    pub(super) fn silence_limit(&self, interval: f64, cfg: &DetectorConfig) -> f64 {
        // (A configured bar above the steady rule's is kept throughout.)
        let most = STEADY_GAP_INTERVALS.max(cfg.silence_intervals);
        let intervals = if self.gaps_seen < SILENCE_LOSS_KNOWN {
            most
        } else {
            let q = (f64::from(self.gaps_lost) + 1.0) / (f64::from(self.gaps_seen) + 1.0);
            let per_day = DAY_MS as f64 / 1000.0 / interval;
            let mut lost = 1;
            while lost < 4 && q.powi(lost) * per_day > SILENCE_FALSE_PER_DAY {
                lost += 1;
            }
            f64::from(lost + 1).clamp(cfg.silence_intervals, most)
        };
        (intervals * interval).max(cfg.silence_min_s)
    }

    pub fn silence(
        &self,
        last_seen: DateTime<Utc>,
        now: DateTime<Utc>,
        cfg: &DetectorConfig,
    ) -> Option<Finding> {
        if (self.n as usize) < cfg.warmup.min(10) {
            return None;
        }
        let interval = self.steady.filter(|i| *i > 0.0)?;
        let quiet = (now - last_seen).num_milliseconds() as f64 / 1000.0;
        let limit = self.silence_limit(interval, cfg);
        (quiet > limit).then(|| Finding {
            kind: EpisodeKind::Silence,
            // The reading that did not come was due one interval after the last.
            at: crate::twin::cnp::after(last_seen, interval).unwrap_or(last_seen),
            score: quiet / interval,
            // (The bar it passed, in its intervals: its own limit, not the configured least.)
            threshold: limit / interval,
            reason: format!(
                "no reading for {quiet:.0} s while it reports steadily every {interval:.1} s"
            ),
        })
    }
}
