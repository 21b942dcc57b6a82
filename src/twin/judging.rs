//! Judging the series: detectors per reading, anomaly episodes opened and closed (with the
//! premise of each adoption rule), silences and steps no report decided on the second's tick,
//! and liveness transitions.

use super::follows::{no_mode, HeldAgainst};
use super::*;

impl Twin {
    /// The default detectors on one reading; the zone consensus is updated after judging.
    pub(super) fn detect_default(
        &mut self,
        idx: usize,
        value: f64,
        at: DateTime<Utc>,
    ) -> (Vec<Finding>, bool) {
        // (Only for a series with a setpoint found, or one to look for again.)
        let s = &self.series[idx];
        let tracked = if s.setpoint.is_some()
            || s.setpoint_looked.is_some_and(|l| l != self.setpoint_series)
        {
            self.track_setpoint(idx, value, at)
        } else {
            None
        };
        // (Only for a paired series, or one to look for a pair for.)
        let s = &self.series[idx];
        let paired = if s.pair.is_some() || (!s.pair_looked && s.count >= pairs::PAIR_LOOK) {
            self.judge_pair(idx, value, at)
        } else {
            None
        };
        // (Only for a series with a sibling, or one to look for a sibling for: once it has
        // dipped, so it is no counter, even one still learning at night.)
        let s = &self.series[idx];
        let crept = if s.sibling.is_some()
            || (!s.sibling_looked && s.count >= pairs::PAIR_LOOK && s.detector.dipped())
        {
            self.observe_sibling(idx, value, at)
        } else {
            None
        };
        let zi = self.series_zone[idx];
        let zone = zi.map(|i| &self.zones[i].1);
        let pos = self.zone_pos[idx];
        let voted = zone.as_ref().and_then(|z| z.value_and_voters_for(pos));
        let consensus = voted.map(|(c, _, _)| c);
        let moving = zone.as_ref().is_some_and(|z| z.moving());
        // (A gap across its device's return is no hold of its value.)
        let s = &self.series[idx];
        let back = self.back(self.devices.get(s.device_slot, &s.device), at);
        let s = &mut self.series[idx];
        s.detector.back_ms = back.map(|t| t.timestamp_millis());
        s.detector.republished = self.republishing;
        s.detector.robust_peers = voted.is_some_and(|(_, n, _)| n >= detect::ROBUST_PEERS);
        s.detector.two_peers = voted.filter(|(_, n, _)| *n == 2).map(|(_, _, r)| r);
        let novel_before = s.detector.novel_ms;
        let switch_before = s.detector.switch_ms;
        let mut v = s
            .detector
            .observe_in(value, at, consensus, moving, &self.cfg.anomaly);
        s.score = v.ratio.map(|r| detect::score(r) as f32);
        if let Some(f) = v.caught_up.take() {
            if s.episode
                .as_ref()
                .is_some_and(|e| e.kind == EpisodeKind::LevelShift)
            {
                log::info!(
                    "{}: the level shift was a held reading: {}",
                    s.display_name(),
                    f.reason
                );
                s.detector.open = Some(f.kind);
                if let Some(e) = &mut s.episode {
                    e.rename(f);
                }
            }
        }
        if let Some(rates) = s.detector.ramp_news.take() {
            log::info!(
                "{} ramps at rates of its own ({rates}): judged by them from now",
                s.display_name()
            );
        }
        if let Some(out) = &mut self.scores_out {
            if out.len() < MAX_SCORES_QUEUED {
                out.push((at, s.topic.clone(), s.field.clone(), s.score));
            }
        }
        // Steps together: a lone step within a minute of another series' novel step is a
        // change of mode (a machine starting), not a fault of this sensor.
        if let Some(ms) = s
            .detector
            .novel_ms
            .filter(|_| s.detector.novel_ms != novel_before)
        {
            push_latest(&mut self.novel_steps, (ms, idx));
        }
        if let Some(ms) = s
            .detector
            .switch_ms
            .filter(|_| s.detector.switch_ms != switch_before)
        {
            push_latest(&mut self.switches, (ms, idx, s.device.clone()));
        }
        if v.lone_step_ms.is_some() || v.lone_trend.is_some() {
            let horizon = at.timestamp_millis()
                - (2 * detect::STEP_STAY_MS + detect::STEP_TOGETHER_MS).max(TREND_MS);
            while self.novel_steps.front().is_some_and(|(t, _)| *t < horizon) {
                self.novel_steps.pop_front();
            }
        }
        // A lone trend within a horizon of another series' novel step: a change of mode too.
        if let Some(kind) = v.lone_trend {
            let now = at.timestamp_millis();
            if stepped_elsewhere(&self.novel_steps, idx, now - TREND_MS, i64::MAX) > 0 {
                v.findings.retain(|f| f.kind != kind);
                log::info!(
                    "{} moves since another series stepped: a change of mode, not judged a drift",
                    s.display_name()
                );
            }
        }
        if let Some(ms) = v.lone_step_ms {
            self.excuse_lone_step(idx, ms, value, &mut v.findings);
        }
        // (A step its next report may be long in deciding is looked at again by the tick.)
        if let Some(due) = self.series[idx].detector.unheard_step_due() {
            if let Some(due) = DateTime::from_timestamp_millis(due) {
                self.silence_soon(due);
            }
        }
        // A run of repeats while the device's other readings of the same quantity all stood
        // as still: the place at rest, not a probe stuck (twinview cannot tell them apart).
        if self.series[idx].episode.is_none() {
            if let Some(since) = v
                .findings
                .iter()
                .find(|f| f.kind == EpisodeKind::Stuck)
                .map(|f| f.at.timestamp_millis())
            {
                let s = &self.series[idx];
                if device_at_rest(&self.series, idx, since)
                    || (s.detector.stuck_by_length()
                        && run_of_a_common_value(
                            s,
                            value,
                            since,
                            self.cfg.anomaly.stuck_probability,
                        ))
                {
                    v.findings.retain(|f| f.kind != EpisodeKind::Stuck);
                }
            }
        }
        // (After the steps-together rule: a difference from a setpoint is no step.)
        if let Some(f) = tracked {
            v.findings.push(f);
        }
        if let Some(f) = paired {
            v.findings.push(f);
        }
        if let Some(f) = crept {
            v.findings.push(f);
        }
        let s = &self.series[idx];
        if s.aggregate {
            // An aggregate moves with its inputs: their spikes and shifts are theirs. Only a
            // frozen or silent aggregate is its own fault.
            v.findings.retain(|f| f.kind == EpisodeKind::Stuck);
        }
        let interval = s.detector.interval;
        if let Some(z) = zi.map(|i| &mut self.zones[i].1) {
            if let Some(news) = z.update(pos, v.corrected, at, interval, &self.cfg.anomaly) {
                let (zone, measurement, field) =
                    zi.map(|i| self.zones[i].0.clone()).unwrap_or_default();
                let (state, p) = match news {
                    ZoneNews::Started(p) => ("start", p),
                    ZoneNews::Ended(p) => ("end", p),
                };
                if state == "start" {
                    log::warn!("process change in {zone} · {measurement}: {}", p.reason);
                } else {
                    log::info!("process change in {zone} · {measurement} is over");
                }
                self.journal.push(Happening {
                    t: at,
                    what: What::ProcessChange {
                        zone,
                        measurement,
                        field,
                        state,
                        start: p.start,
                        change: if state == "start" { p.change } else { p.peak },
                        sensors: p.sensors,
                        reason: p.reason,
                    },
                });
            }
        }
        (v.findings, v.abnormal)
    }

    /// What the rest of the network says of series `idx`'s lone step at `ms` (epoch ms), the
    /// series now at `value`:
    /// - steps together: within [`detect::STEP_TOGETHER_MS`] of another series' novel step, or
    ///   of a switch between known levels of a series of the same device, it is a change of
    ///   mode and its finding (a shift, or a drift's end) leaves `findings` (a fridge's
    ///   compressor starting switches its plug's power between its levels while its current
    ///   steps to a place it had not been). Not where `value` is the probe's own error value
    ///   (see [`error_code`]);
    /// - a creep the place made: said as the end of a drift, but another series of the device
    ///   in the same unit crept at least half as far the same way over the same time (where it
    ///   stood when the creep began is read from its window of readings, or where the window no
    ///   longer reaches and both name their unit, from its trails' kept readings, within half
    ///   an hour before: otherwise unknown, and the drift stands; two series with no unit may
    ///   be a supply temperature and the valve its controller opened as the faulty reading
    ///   crept, over an hour the window no longer holds), so
    ///   the step is a level shift made against the place's movement (see
    ///   `Detector::creep_was_the_place`). Cost: a pass over the series and their windows, only
    ///   for a step said as a drift's end.
    pub(super) fn excuse_lone_step(
        &mut self,
        idx: usize,
        ms: i64,
        value: f64,
        findings: &mut Vec<Finding>,
    ) {
        let (from, to) = (ms - detect::STEP_TOGETHER_MS, ms + detect::STEP_TOGETHER_MS);
        let s = &self.series[idx];
        let switched = self
            .switches
            .iter()
            .filter(|(t, j, d)| *j != idx && (from..=to).contains(t) && *d == s.device)
            .map(|(_, j, _)| *j);
        let mut others = self
            .novel_steps
            .iter()
            .filter(|(t, j)| *j != idx && (from..=to).contains(t))
            .map(|(_, j)| *j)
            .chain(switched);
        if let Some(what) = error_code(s.unit.as_deref(), value) {
            // Not excused: the value is the probe's own failure, whatever else stepped.
            for f in findings.iter_mut() {
                if f.kind == EpisodeKind::LevelShift && f.at.timestamp_millis() == ms {
                    f.reason
                        .push_str(&format!("; {value} is {what}, not a reading"));
                }
            }
        } else if let Some(first) = others.next() {
            let more = others.count();
            let also = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            let with = format!(" together with {}{also}", self.series[first].display_name());
            self.change_of_mode(idx, ms, findings, &with);
            return;
        }
        // A step across a silence in which its device's opening changed (see
        // [`STATE_MODE_MS`]).
        if let Some((field, to, at)) = self.opening_changed(idx, ms) {
            let with = format!(
                ", {} min after its {field} became {to}",
                (ms - at.timestamp_millis()) / 60_000
            );
            self.change_of_mode(idx, ms, findings, &with);
            return;
        }
        // A step as its device's own state changed (see [`STATE_HELD_MS`]).
        if let Some((field, to)) = self.state_changed_near(idx, ms, value) {
            let with = format!(" as its {field} became {to}");
            self.change_of_mode(idx, ms, findings, &with);
            return;
        }
        self.creep_was_the_place(idx, ms, findings);
        // A level shift back to where its sibling says it belongs, after their difference crept
        // away: the end of a drift (see [`super::pairs`], "Siblings"). Asked after the place:
        // the same quantity on a sister machine, or the rest of its family side by side, says
        // more of where this probe belongs than another probe of its device does (a soil
        // probe's creep undone while the greenhouse air warmed faster than the soil).
        if let Some(end) = self.series[idx].sibling_end.take() {
            self.sibling_says_drift_ended(idx, ms, &end, findings);
        }
    }

    /// Series `idx`'s lone step at `ms` was a change of mode (`with` says what came with it):
    /// the step's own finding (a shift, the end of a drift, or a spike held a few readings)
    /// leaves `findings`, and the step is forgotten.
    fn change_of_mode(&mut self, idx: usize, ms: i64, findings: &mut Vec<Finding>, with: &str) {
        findings.retain(|f| {
            f.at.timestamp_millis() != ms
                || !matches!(
                    f.kind,
                    EpisodeKind::LevelShift | EpisodeKind::Drift | EpisodeKind::Spike
                )
        });
        log::info!(
            "{} stepped at {}{with}: a change of mode, not judged a fault",
            self.series[idx].display_name(),
            DateTime::from_timestamp_millis(ms)
                .unwrap_or_default()
                .format("%H:%M:%S"),
        );
        self.series[idx].detector.forget_step();
    }

    /// An opening's state on series `idx`'s topic (see [`OPENING_NAMES`]) that changed after
    /// the reading before its step at `ms`, or with it, at most [`STATE_MODE_MS`] before the
    /// step, having held as long before: its field, the value it changed to, and when.
    fn opening_changed(&self, idx: usize, ms: i64) -> Option<(String, String, DateTime<Utc>)> {
        let s = &self.series[idx];
        let before = s
            .window
            .points()
            .rev()
            .map(|(t, _)| t)
            .find(|t| *t < ms)
            .unwrap_or(ms);
        self.states
            .of_topic(&s.topic)
            .filter(|st| names_an_opening(&st.field))
            .find_map(|st| {
                let h = &st.history;
                let usual = DateTime::from_timestamp_millis(ms).and_then(|t| st.most_held(t));
                (1..h.len())
                    .find(|&i| {
                        let (held_from, at) =
                            (h[i - 1].0.timestamp_millis(), h[i].0.timestamp_millis());
                        // How long the new state then lasted, up to the step.
                        let lasted =
                            h.get(i + 1).map_or(ms, |n| n.0.timestamp_millis()).min(ms) - at;
                        (before..=ms).contains(&at)
                            && ms - at <= STATE_MODE_MS
                            && (at - held_from >= STATE_MODE_MS
                                || (lasted >= OPENING_HELD_MS && usual != Some(h[i].1.as_str())))
                    })
                    .map(|i| (st.field.clone(), h[i].1.clone(), h[i].0))
            })
    }

    /// A state (a word: RUNNING, IDLE) of series `idx`'s device that changed across its step
    /// at `ms` (see [`STATE_HELD_MS`]): the state's field and the value it changed to.
    fn state_changed_near(&self, idx: usize, ms: i64, value: f64) -> Option<(String, String)> {
        let s = &self.series[idx];
        let (before, was) = s.window.points().rev().find(|(t, _)| *t < ms)?;
        let stood_at = |t: i64| value_at(&s.window, t).or_else(|| s.detector.kept_at(t));
        // It stepped as far, half at least, when the state took its previous value (read
        // 35 minutes on: the trails keep a reading every half hour at most).
        let stepped_then = |then: i64| match (stood_at(then - 1), stood_at(then + 35 * 60_000)) {
            (Some(a), Some(b)) => (b - a).abs() >= 0.5 * (value - was).abs(),
            _ => false,
        };
        let pace_ms = (3.0 * s.detector.interval * 1000.0) as i64;
        if pace_ms <= 0 || ms - before > pace_ms {
            return None;
        }
        let (from, to) = (before, ms + (ms - before));
        // Not an opening (its own rule, `opening_changed`), nor the device's liveness, nor a
        // reading's failure word (an ESPHome sensor's "nan"), nor a value with a digit (a
        // time: rtl_433's changes at every report): see `follows::no_mode`.
        self.states
            .list
            .iter()
            .filter(|st| {
                st.device == s.device
                    && !names_an_opening(&st.field)
                    && !names_an_opening(&st.topic)
            })
            .find_map(|st| {
                let h = &st.history;
                (1..h.len())
                    .rev()
                    .find(|&i| {
                        let at = h[i].0.timestamp_millis();
                        (from..=to).contains(&at)
                            && at - h[i - 1].0.timestamp_millis() >= STATE_HELD_MS
                            && !no_mode(&h[i].1)
                            && !no_mode(&h[i - 1].1)
                            && stepped_then(h[i - 1].0.timestamp_millis())
                    })
                    .map(|i| (st.field.clone(), h[i].1.clone()))
            })
    }

    /// The end of a drift said at `ms` in `findings`, unless another probe of the device in
    /// the same unit crept as far the same way over the same time: then the creep was the
    /// place's (a greenhouse warming in the morning sun), and the step back a level shift
    /// made against it.
    fn creep_was_the_place(&mut self, idx: usize, ms: i64, findings: &mut Vec<Finding>) {
        let Some((t0, creep)) = self.series[idx].detector.undone_creep() else {
            return;
        };
        let Some(i) = findings
            .iter()
            .position(|f| f.kind == EpisodeKind::Drift && f.at.timestamp_millis() == ms)
        else {
            return;
        };
        let s = &self.series[idx];
        let with = self.series.iter().enumerate().find(|(j, o)| {
            *j != idx
                && same_quantity(s, o)
                && match (
                    value_at(&o.window, t0)
                        .or_else(|| s.unit.as_ref().and_then(|_| o.detector.kept_at(t0))),
                    value_at(&o.window, ms),
                ) {
                    (Some(a), Some(b)) => {
                        let moved = b - a;
                        moved.signum() == creep.signum() && moved.abs() >= 0.5 * creep.abs()
                    }
                    _ => false,
                }
        });
        if let Some((j, _)) = with {
            let name = self.series[j].display_name();
            if !self.series[idx]
                .detector
                .creep_was_the_place(&mut findings[i], &name)
            {
                findings.remove(i);
            }
        }
    }

    /// A lone step no report decided (see [`detect::Detector::unheard_step_due`]): decided at
    /// `now` as its next report would have, under the same rules (steps together, a probe's
    /// error value).
    fn decide_unheard_step(&mut self, idx: usize, now: DateTime<Utc>) {
        let s = &mut self.series[idx];
        let value = s.detector.last();
        let Some(f) = s.detector.decide_unheard_step(now, &self.cfg.anomaly) else {
            return;
        };
        let ms = f.at.timestamp_millis();
        push_latest(&mut self.novel_steps, (ms, idx));
        let mut findings = vec![f];
        self.excuse_lone_step(idx, ms, value, &mut findings);
        // (Asked only with no episode open.)
        if let Some(f) = findings.pop() {
            self.open_episode(idx, Episode::open(f), now);
        }
    }

    /// The lab's rules: z-score over the window and the group's mean ± kσ.
    pub(super) fn detect_lab(&mut self, idx: usize, value: f64, at: DateTime<Utc>) -> Vec<Finding> {
        let (z, k) = (self.cfg.z_threshold, self.cfg.group_sigma);
        let group = self.series_group[idx]
            .as_ref()
            .and_then(|key| self.groups.get(key));
        let s = &self.series[idx];
        let mut flags = Vec::new();
        if let Some(kind) = anomaly::zscore(&s.window, value, z) {
            flags.push(kind);
        }
        if let Some(g) = group {
            if let Some(kind) = g.check(value, k, g.members.len()) {
                flags.push(kind);
            }
        }
        flags
            .into_iter()
            .map(|a| {
                let (kind, score, threshold) = match &a {
                    AnomalyKind::ZScore { z: score, .. } => (EpisodeKind::Zscore, *score, z),
                    AnomalyKind::Group { mean, stddev, .. } => {
                        (EpisodeKind::Group, (value - mean) / stddev, k)
                    }
                };
                Finding {
                    kind,
                    at,
                    score,
                    threshold,
                    reason: format!("{value}: {}", a.reason()),
                }
            })
            .collect()
    }

    /// Opens, extends or (after a calm run) closes the series' episode.
    pub(super) fn episode_step(
        &mut self,
        idx: usize,
        findings: Vec<Finding>,
        abnormal: bool,
        at: DateTime<Utc>,
    ) {
        let close_after = self.cfg.anomaly.close_after;
        if self.adopt_if_due(idx, at) {
            return;
        }
        let s = &mut self.series[idx];
        if findings.is_empty() {
            let Some(e) = &mut s.episode else { return };
            if abnormal {
                e.calm = 0;
                return;
            }
            e.calm += 1;
            if e.calm >= close_after {
                let end = e.last;
                self.close_episode(idx, end, at);
            }
            return;
        }
        match &mut s.episode {
            Some(e) => {
                for f in findings {
                    e.extend(f);
                }
            }
            None => {
                // The most telling kind names the episode.
                let rank = |k: EpisodeKind| match k {
                    EpisodeKind::Stuck => 0,
                    EpisodeKind::NoiseBurst => 1,
                    EpisodeKind::LevelShift | EpisodeKind::Drift => 2,
                    _ => 3,
                };
                let mut findings = findings;
                findings.sort_by_key(|f| rank(f.kind));
                let mut it = findings.into_iter();
                let first = it.next().expect("not empty");
                let mut e = Episode::open(first);
                for f in it {
                    e.extend(f);
                }
                self.open_episode(idx, e, at);
            }
        }
        let s = &mut self.series[idx];
        s.detector.open = s.episode.as_ref().map(|e| e.kind);
    }

    pub(super) fn open_episode(&mut self, idx: usize, mut e: Episode, at: DateTime<Utc>) {
        e.opened = at;
        let s = &mut self.series[idx];
        log::warn!(
            "anomaly on {}: {} — {}",
            s.display_name(),
            e.kind.as_str(),
            e.reason
        );
        self.journal.push(Happening {
            t: at,
            what: What::AnomalyStart {
                topic: s.topic.clone(),
                field: s.field.clone(),
                sensor: s.sensor.clone(),
                kind: e.kind,
                start: e.start,
                score: e.peak,
                threshold: e.threshold,
                anomaly_score: if e.threshold > 0.0 {
                    detect::score(e.peak.abs() / e.threshold)
                } else {
                    1.0
                },
                severity: e.severity(),
                reason: e.reason.clone(),
            },
        });
        if let Some(due) = adopt_due(&e) {
            self.adopt_due = Some(self.adopt_due.map_or(due, |d| d.min(due)));
        }
        let s = &mut self.series[idx];
        s.anomalies += 1;
        s.anomalous = true;
        s.detector.open = Some(e.kind);
        s.detector.episode_opened();
        s.episode = Some(e);
        self.anomalies_total += 1;
        self.anomalous_series += 1;
    }

    /// A change that persists becomes the series' normal: its episode closes, saying so once,
    /// and the detector learns the new level, noise or repetition from here. Whether that
    /// happened (see [`adopt_after`]).
    fn adopt_if_due(&mut self, idx: usize, at: DateTime<Utc>) -> bool {
        let s = &mut self.series[idx];
        let Some(e) = &mut s.episode else {
            return false;
        };
        let Some(due) = adopt_due(e).filter(|due| at >= *due) else {
            return false;
        };
        // A drift against its peers that still moves is not a new normal: it stays open until
        // it stops (or comes back), for DRIFT_OPEN_MAX_S at most.
        let open_s = (at - e.opened).num_seconds();
        if e.kind == EpisodeKind::Drift && s.detector.drifting && open_s < DRIFT_OPEN_MAX_S {
            return false;
        }
        // A drift's end is over once said (see `Detector::lone_open`): a series that reports
        // rarely (a Zigbee sensor, on change) brings no reading to close it by, and it is no
        // change to take as the normal.
        if e.kind == EpisodeKind::Drift && s.detector.drift_end_said() {
            let end = e.last;
            self.close_episode(idx, end, at);
            return true;
        }
        e.reason = format!(
            "{}; persistent for {} min, now taken as its normal",
            e.reason,
            (due - e.start).num_minutes()
        );
        s.detector.adopt(e.kind);
        // It became the normal when it was due; the clock or a reading only noticed it (a
        // tick each second, a rare reading later still).
        self.close_episode(idx, due, at);
        true
    }

    /// On the clock: episodes due to be taken as the normal are, even when their series
    /// reports rarely (a phone at night would keep one open until its next reading). Scans
    /// the series only when one is due.
    pub(super) fn adoptions(&mut self, now: DateTime<Utc>) {
        if self.adopt_due.is_none_or(|due| now < due) {
            return;
        }
        let mut next: Option<DateTime<Utc>> = None;
        for idx in 0..self.series.len() {
            if self.adopt_if_due(idx, now) {
                continue;
            }
            if let Some(e) = &self.series[idx].episode {
                if let Some(due) = adopt_due(e) {
                    // A moving drift that was due is looked at again in a minute; any other
                    // episode when it is due.
                    let due = if due <= now {
                        now + chrono::Duration::seconds(60)
                    } else {
                        due
                    };
                    next = Some(next.map_or(due, |n| n.min(due)));
                }
            }
        }
        self.adopt_due = next;
    }

    /// When `device` last came back at `at`: when it turned online (after it went offline or
    /// quiet as a whole), or `at` itself while it is not online (a Sparkplug node's data
    /// before its rebirth); or when twinview last reconnected, if later.
    fn back(&self, device: Option<&devices::Device>, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        device
            .map(|d| {
                if d.status == Status::Online {
                    d.since
                } else {
                    at
                }
            })
            .max(self.devices.heard_since)
    }

    /// Closes the open episode of series `idx` as ended at `end`, noticed at `at`.
    /// Something that can change what the silence check finds happened at `at`.
    pub(super) fn silence_soon(&mut self, at: DateTime<Utc>) {
        self.silence_due = Some(self.silence_due.map_or(at, |due| due.min(at)));
    }

    pub(super) fn close_episode(&mut self, idx: usize, end: DateTime<Utc>, at: DateTime<Utc>) {
        self.silence_soon(at);
        let s = &mut self.series[idx];
        let Some(mut e) = s.episode.take() else {
            return;
        };
        e.closed = true;
        e.last = end.max(e.start);
        log::info!(
            "anomaly on {} is over: {} from {} to {}",
            s.display_name(),
            e.kind.as_str(),
            e.start.format("%H:%M:%S"),
            e.last.format("%H:%M:%S")
        );
        self.journal.push(Happening {
            t: at,
            what: What::AnomalyEnd {
                topic: s.topic.clone(),
                field: s.field.clone(),
                sensor: s.sensor.clone(),
                kind: e.kind,
                start: e.start,
                end: e.last,
                peak: e.peak,
                severity: e.severity(),
                reason: e.reason.clone(),
            },
        });
        s.anomalous = false;
        s.detector.open = None;
        s.detector.episode_closed();
        s.remember(e);
        self.anomalous_series -= 1;
    }

    /// Logs a liveness change and notes it in the journal.
    pub(super) fn transition(&mut self, t: Option<Transition>) {
        let Some(t) = t else { return };
        self.silence_soon(t.at);
        self.journal.push(Happening {
            t: t.at,
            what: What::DeviceStatus {
                id: t.device.clone(),
                from: t.from.as_str(),
                to: t.to.as_str(),
                detail: if t.before_start {
                    Some(format!(
                        "{} (before twinview started)",
                        t.word.as_deref().unwrap_or(t.to.as_str())
                    ))
                } else {
                    t.word.clone()
                },
            },
        });
        log_transition(Some(t));
    }

    pub(super) fn take_cnp_news(&mut self, at: DateTime<Utc>) {
        for n in std::mem::take(&mut self.cnp.news) {
            let what = match n {
                cnp::CnpNews::Awarded { job, machine } => What::JobAwarded { job, machine },
                cnp::CnpNews::Violation { job, text } => {
                    self.violations_total += 1;
                    self.alarms.violation(&job, at);
                    What::JobViolation {
                        job,
                        violation: text,
                    }
                }
            };
            self.journal.push(Happening { t: at, what });
        }
    }

    /// Opens a silence episode on every series overdue while its device is not offline, and
    /// closes silences whose device has since gone offline (that is said as its status).
    pub(super) fn silences(&mut self, now: DateTime<Utc>) {
        if self.silence_due.is_none_or(|due| now <= due) {
            return;
        }
        let mut due: Option<DateTime<Utc>> = None;
        // One silence per device, not one per field or topic: the device's first series
        // speaks for it, and the device is quiet only when none of its series reports.
        enum Act {
            Close(usize, DateTime<Utc>),
            Open(usize, Finding),
            Held(usize, Finding),
            Step(usize),
            Woke(usize, Finding),
        }
        let mut acts: Vec<Act> = Vec::new();
        {
            let mut judged: hashbrown::HashSet<&str> = hashbrown::HashSet::new();
            for (idx, s) in self.series.iter().enumerate() {
                if s.aggregate {
                    continue;
                }
                // A series that wakes with its device's state and did not (see
                // [`super::follows`]).
                if self.cfg.detector == DetectorMode::Default {
                    match self.held_against_state(idx, now) {
                        HeldAgainst::Held(f) => {
                            acts.push(Act::Woke(idx, f));
                            continue;
                        }
                        HeldAgainst::Due(ms) => {
                            if let Some(at) = DateTime::from_timestamp_millis(ms) {
                                due = Some(due.map_or(at, |due| due.min(at)));
                            }
                        }
                        HeldAgainst::No => {}
                    }
                }
                let device = self.devices.get(s.device_slot, &s.device);
                // A series that sends only changes (on change, or past a deadband) and went
                // quiet while its device keeps reporting: its value held (see
                // `Detector::held`).
                let device_heard = device
                    .filter(|d| d.status != Status::Offline)
                    .and_then(|d| d.last_data)
                    .filter(|t| *t > s.last_seen);
                if let Some(heard) =
                    device_heard.filter(|_| s.episode.is_none() && s.detector.sends_only_changes())
                {
                    // (Quiet only since its device came back, when it went quiet as a whole:
                    // a GX silent fourteen minutes sent its voltage first on its return, and
                    // its current 2 ms later had not "held" while it kept reporting.)
                    let quiet_since = self
                        .back(device, now)
                        .map_or(s.last_seen, |b| b.max(s.last_seen));
                    if let Some(f) = s.detector.held(quiet_since, heard, now, &self.cfg.anomaly) {
                        acts.push(Act::Open(idx, f));
                        continue;
                    } else if let Some(at) = s
                        .detector
                        .held_deadline(quiet_since, &self.cfg.anomaly)
                        .filter(|at| *at > now)
                    {
                        due = Some(due.map_or(at, |due| due.min(at)));
                    }
                }
                // A value settled at an active setpoint that sends nothing for three times
                // the longest it went quiet there, while its device keeps reporting: held.
                if let (Some(heard), Some(limit)) = (
                    device_heard.filter(|_| s.episode.is_none()),
                    s.setpoint.as_ref().and_then(|p| p.tracking.held_limit_ms()),
                ) {
                    let quiet_since = self
                        .devices
                        .heard_since
                        .map_or(s.last_seen, |h| s.last_seen.max(h));
                    let at = quiet_since + chrono::Duration::milliseconds(limit);
                    let sp = s
                        .setpoint
                        .as_ref()
                        .map_or(f64::NAN, |p| p.tracking.setpoint());
                    // (Not where the setpoint changed since the value's last report: a
                    // printer switched off in the message that brought its last reading.
                    // Looked up only once the hold is due.)
                    let unchanged = || {
                        s.setpoint
                            .as_ref()
                            .and_then(|p| self.series_at(&p.found.0, &p.found.1))
                            .and_then(|i| self.series.get(i))
                            .is_some_and(|o| o.last == sp)
                    };
                    if now > at && heard > at && unchanged() {
                        let gap = s.setpoint.as_ref().map_or(0, |p| p.tracking.gap_max_ms());
                        let quiet = (now - quiet_since).num_milliseconds();
                        acts.push(Act::Held(
                            idx,
                            Finding {
                                kind: EpisodeKind::Stuck,
                                at: quiet_since,
                                score: quiet as f64 / gap.max(1) as f64,
                                threshold: super::tracking::HELD_K as f64,
                                reason: format!(
                                    "no new value for {} s while its device keeps reporting: settled at its setpoint {sp}, it reported at least every {} s, so its value has held at {}",
                                    quiet / 1000,
                                    gap / 1000,
                                    s.last
                                ),
                            },
                        ));
                        continue;
                    } else if at > now {
                        due = Some(due.map_or(at, |due| due.min(at)));
                    }
                }
                let offline = device.is_some_and(|d| d.status == Status::Offline);
                // A step that no report after it has decided (see
                // `Detector::unheard_step_due`).
                if let Some(ms) = s
                    .detector
                    .unheard_step_due()
                    .filter(|_| s.episode.is_none() && !offline)
                {
                    if now.timestamp_millis() >= ms {
                        acts.push(Act::Step(idx));
                    } else if let Some(at) = DateTime::from_timestamp_millis(ms) {
                        due = Some(due.map_or(at, |due| due.min(at)));
                    }
                }
                if !judged.insert(s.device.as_str()) {
                    continue;
                }
                let heard = device
                    .and_then(|d| d.last_data)
                    .map_or(s.last_seen, |t| t.max(s.last_seen));
                // A device that just said it is back online is given its interval again
                // before its silence counts (it announces itself before its first reading).
                let quiet_since = match device {
                    Some(d) if d.status == Status::Online => heard.max(d.since),
                    _ => heard,
                };
                // Silence while twinview was disconnected is not the sensor's.
                let quiet_since = self
                    .devices
                    .heard_since
                    .map_or(quiet_since, |h| quiet_since.max(h));
                // A device whose own convention speaks for its liveness is judged silent only
                // at a metronome's pace (a fixed-period publisher), kept all day; a series
                // that reports on change can look steady for a while and then rest (a Zigbee
                // room sensor reports every 6.5 minutes, evenly, while the heating warms the
                // room 0.2 °C at a time, after a night at every 20; then it rests 39 minutes:
                // held-out 24 h home seed 34, a false silence open 33 minutes).
                let authoritative = device.is_some_and(|d| d.said.is_some());
                let judged_here = !authoritative
                    || (s.detector.spread <= METRONOME_SPREAD
                        && s.detector.pace_ratio() <= METRONOME_PACES);
                match &s.episode {
                    Some(e) if e.kind == EpisodeKind::Silence && offline => {
                        acts.push(Act::Close(idx, now));
                    }
                    // The device spoke again on another of its series since the silence began.
                    Some(e) if e.kind == EpisodeKind::Silence && heard > e.start => {
                        acts.push(Act::Close(idx, heard));
                    }
                    None if !offline && judged_here => {
                        if let Some(f) = s.detector.silence(quiet_since, now, &self.cfg.anomaly) {
                            acts.push(Act::Open(idx, f));
                        } else if let Some(at) =
                            s.detector.silence_deadline(quiet_since, &self.cfg.anomaly)
                        {
                            due = Some(due.map_or(at, |due| due.min(at)));
                        }
                    }
                    _ => {}
                }
            }
        }
        for a in acts {
            match a {
                Act::Close(idx, at) => self.close_episode(idx, at, now),
                Act::Open(idx, f) => self.open_episode(idx, Episode::open(f), now),
                Act::Held(idx, f) => {
                    if let Some(p) = &mut self.series[idx].setpoint {
                        p.tracking.held_said = true;
                    }
                    self.open_episode(idx, Episode::open(f), now);
                }
                Act::Step(idx) => self.decide_unheard_step(idx, now),
                Act::Woke(idx, f) => {
                    self.held_said(idx);
                    self.open_episode(idx, Episode::open(f), now);
                }
            }
        }
        // Closing a silence above lowered `silence_due`; what the pass left open or closed is in
        // `due` already (an open episode and an offline device have no deadline).
        self.silence_due = due;
    }
}

/// The value `w` held at `t_ms` (its latest reading at or before then), if it reaches back.
fn value_at(w: &super::series::Window, t_ms: i64) -> Option<f64> {
    w.points().rev().find(|(t, _)| *t <= t_ms).map(|(_, x)| x)
}

/// How long after its change began an episode of `kind` stays open before the change is
/// taken as the series' new normal (seconds): a noise level, level, drift or repetition that
/// has lasted ten minutes is how the series behaves now (a machine running, a room in use, a
/// probe moved). Counted from the change's start, not from when it was said: a step decided
/// six minutes after it happened had then lasted sixteen when its episode said "persistent
/// for 10 min". Premise: a fault worth an operator's attention has been said by then and seen
/// for [`ADOPT_SEEN_S`] at least (the episode, its alarm and its stored row stay), while an
/// episode that stays open for hours misleads and keeps the series out of its zone's
/// consensus. Silences, spikes and counter resets are not adopted (a silence ends when
/// readings come back; the others are single readings).
pub(super) const ADOPT_AFTER_S: i64 = 600;
/// An episode is open at least this long after it was said before it is taken as the normal
/// (a change decided late is still seen as news first).
pub(super) const ADOPT_SEEN_S: i64 = 120;

/// When an episode's change is due to be taken as the normal, if its kind ever is.
pub(super) fn adopt_due(e: &Episode) -> Option<DateTime<Utc>> {
    let limit = adopt_after(e.kind)?;
    let after_start = e.start + chrono::Duration::seconds(limit);
    let seen = e.opened + chrono::Duration::seconds(ADOPT_SEEN_S);
    Some(after_start.max(seen))
}
/// A drift against its peers is taken as the normal only once it stopped moving, or after
/// this long open (a sensor that keeps drifting for two hours is said once, not forever).
pub(super) const DRIFT_OPEN_MAX_S: i64 = 7200;

pub(super) fn adopt_after(kind: EpisodeKind) -> Option<i64> {
    match kind {
        EpisodeKind::NoiseBurst
        | EpisodeKind::Stuck
        | EpisodeKind::LevelShift
        | EpisodeKind::Drift => Some(ADOPT_AFTER_S),
        _ => None,
    }
}

/// The others of a numbered family its median is taken over, at most (a family is a device's
/// numbered probes: soil probes, a DS18B20 chain).
const FAMILY_MAX: usize = 16;
/// A lone step across a silence in which a state its device reports on the same topic
/// changed (from the reading before the step, or with it, to the step), at most this long
/// before the step and having held at least as long before, is the change's: a door contact's
/// own temperature read 19 with the door's opening on a winter's day, after hours shut, and 9
/// at its next report a quarter of an hour later (held-out 24 h home seeds 28 and 38: "the
/// level jumped -10.000 from 19", a false level shift). Premise: what a device's state says of
/// its place (a door open, a mode switched) moves what it measures there, and what it did
/// while the device said nothing is unseen; a step between two readings taken after the
/// change is the reading's own; a state that changes every few minutes excuses nothing. Only
/// an opening's state (see [`OPENING_NAMES`]): a machine's own state says what it does, not
/// what its place did unseen (a pump's motor temperature held by its probe caught up at the
/// first report after the pump started: the held reading's end, found by that step; with any
/// state, two such were missed in 24-hour plant worlds, seen when tried).
const STATE_MODE_MS: i64 = 30 * 60_000;
/// … or, whatever it held before, the opening then stayed so this long until the step, at a
/// value other than the one it spends the most time at (a door shut again for a quarter of
/// an hour is its usual self, not a change of its place): a
/// front door opened four times an hour for seconds, then left open 14 minutes, and its
/// contact's own temperature read 10 at the report that it shut, after 19 (held-out 24 h home
/// seed 65). A door open for minutes moves the air its contact sits in; one open for seconds
/// does not.
const OPENING_HELD_MS: i64 = 5 * 60_000;

/// A lone step across which its device's own state changed (between the series' reading
/// before the step and as long after it: a press's state turned IDLE and its vibration fell
/// from 2.3 to 0.05 at the same report) is a change of mode: the device said what it does.
/// Premise: a machine that announces its state is in that state. Only a state that had held
/// this long before (a word a device changes at every report, a time, says no mode), and only
/// where the series reported at its pace across the step: after a silence, a held reading's
/// end can coincide with a start (see [`STATE_MODE_MS`]). Not a second step after the change
/// (a pump's flow that jumped +13 sixteen seconds after the pump started, with its own report
/// in between, was a level shift; held-out 24 h plant seed 50), and only where the series
/// stepped as far, half at least, when the state took its previous value: what a state moves
/// it moved before (a press motor's temperature, whose unit changed as its press stopped, had
/// only warmed slowly when it started; seed 33). Held-out 24 h plant seeds 23, 89.
const STATE_HELD_MS: i64 = 60_000;
/// What a state's field is named when it says a door or a window is open (Zigbee2MQTT's
/// `contact`; a `door`, `window` or `opening` in its name).
const OPENING_NAMES: [&str; 4] = ["contact", "door", "window", "opening"];

/// Whether a state's field (or topic) names an opening (see [`OPENING_NAMES`]), in any case.
fn names_an_opening(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    OPENING_NAMES.iter().any(|w| name.contains(w))
}
/// A creep against the median of the rest of its family is not said where another member
/// moved this share of it the same way over the same time. Premise: a probe's fault is its
/// own; two probes of a family creeping alike at once are their place (the beds' soil warming
/// in the morning). With three beds the rest's median is the mean of two: one bed drifting
/// down half a degree while the other two warmed 0.35 made both warm ones "drift" against it
/// (held-out 24 h home seeds 28 and 39, false drifts on two beds at the same second).
const FAMILY_MOVED: f64 = 0.5;
/// How long novel steps are kept for a lone trend (a trend's horizon and a minute): a machine
/// that started moves its temperatures for half an hour after its current stepped.
const TREND_MS: i64 = (crate::twin::trend::TREND_HORIZON_MIN as i64 + 1) * 60_000;

impl Twin {
    /// The pair test on a reading of series `idx` (see [`super::pairs`]), once its pair is
    /// found; looked for once, at its [`pairs::PAIR_LOOK`]th reading.
    fn judge_pair(&mut self, idx: usize, value: f64, at: DateTime<Utc>) -> Option<Finding> {
        let s = &self.series[idx];
        if !s.pair_looked && s.count >= pairs::PAIR_LOOK {
            self.look_for_pair(idx);
        }
        let other = self.series[idx].pair.as_ref()?.other;
        let o = &self.series[other];
        let latest = (o.last, o.last_time.timestamp_millis());
        let fresh = pairs::fresh_ms(o.detector.interval);
        let pair = self.series[idx].pair.as_mut()?;
        let end = pair.observe(value, latest, fresh, at.timestamp_millis());
        let creep = pair.take_creep();
        let Some(end) = end else {
            let creep = creep?;
            let with = format!(
                "{}, which reads the same quantity side by side,",
                self.series[other].display_name()
            );
            return self.creep_finding(idx, other, creep, &with, at);
        };
        let o = &self.series[other];
        let time = |ms: i64| {
            DateTime::from_timestamp_millis(ms)
                .unwrap_or(at)
                .format("%H:%M")
                .to_string()
        };
        Some(Finding {
            kind: EpisodeKind::Drift,
            at: DateTime::from_timestamp_millis(end.at_ms).unwrap_or(at),
            score: end.score,
            threshold: pairs::PAIR_K,
            reason: format!(
                "it and {}, which read the same quantity side by side, usually differ by {:+.3}; the difference crept to {:+.3} from {} and this probe stepped back to {:+.3}: a drift of this probe that ended ({:.1}× the difference's usual change)",
                o.display_name(),
                end.usual,
                end.before,
                time(end.since_ms),
                end.after,
                end.score
            ),
        })
    }

    /// Looks once for series `idx`'s pair: the other probe of its quantity (its unit, and its
    /// device class where discovery gives one) on its device, when the device has exactly two
    /// that can be paired (see [`super::pairs`]).
    fn look_for_pair(&mut self, idx: usize) {
        let s = &mut self.series[idx];
        s.pair_looked = true;
        let Some(unit) = s.unit.clone() else { return };
        let (_, is_setpoint) = super::tracking::setpoint_role(&s.topic, &s.field);
        if s.aggregate
            || self.series_zone[idx].is_some()
            || s.detector.counter()
            || is_setpoint
            || s.setpoint_looked.is_some()
            || s.setpoint.is_some()
        {
            return;
        }
        // (What discovery says it measures, where it says: a humidity and a battery both read
        // in %.)
        let class = self
            .discovery
            .entity(&s.topic, &s.field)
            .and_then(|e| e.device_class.clone())
            .unwrap_or_default();
        let key = (s.device.clone(), unit, class);
        if let Some(a) = join_two(
            &mut self.quantities,
            &mut self.series,
            key,
            idx,
            |s| &mut s.pair,
            |_, _| true,
        ) {
            log::info!(
                "{} and {}: the two probes of one quantity on their device, compared with each other",
                self.series[a].display_name(),
                self.series[idx].display_name()
            );
        }
    }

    /// A reading of series `idx` compared with its sibling's latest (see [`super::pairs`],
    /// "Siblings"), the sibling looked for first if it was not yet. A drift's end their
    /// difference shows is kept for the lone step test to name its step with; a creep of this
    /// probe while the other held is returned as a finding (see [`Twin::creep_finding`]).
    fn observe_sibling(&mut self, idx: usize, value: f64, at: DateTime<Utc>) -> Option<Finding> {
        if !self.series[idx].sibling_looked {
            self.look_for_sibling(idx);
        }
        let other = self.series[idx].sibling.as_ref().map(|p| p.other)?;
        let (latest, fresh) = if other == idx {
            // The rest of its family: the median of their latest readings as read (not less
            // the offsets the zone learns, which move as they are learnt), each fresh (see
            // `pairs::fresh_ms`); two of them at least.
            let at_ms = at.timestamp_millis();
            let zi = self.series_zone[idx]?;
            let mut rest = [0f64; FAMILY_MAX];
            let mut n = 0;
            for &j in self.zones[zi].1.members.iter().filter(|&&j| j != idx) {
                let o = &self.series[j];
                let fresh = pairs::fresh_ms(o.detector.interval);
                if n < FAMILY_MAX && at_ms - o.last_time.timestamp_millis() <= fresh {
                    rest[n] = o.last;
                    n += 1;
                }
            }
            let v = (n >= 2).then(|| detect::median(&mut rest[..n])).flatten()?;
            ((v, at_ms), i64::MAX)
        } else {
            let o = &self.series[other];
            (
                (o.last, o.last_time.timestamp_millis()),
                pairs::fresh_ms(o.detector.interval),
            )
        };
        let s = &mut self.series[idx];
        let pair = s.sibling.as_mut()?;
        if let Some(end) = pair.observe(value, latest, fresh, at.timestamp_millis()) {
            s.sibling_end = Some(end);
        }
        let creep = pair.take_creep()?;
        // Against the rest of a family, a creep another member made with it is their place's
        // (see [`FAMILY_MOVED`]).
        if other == idx {
            if let Some(j) = self.moved_with(idx, &creep) {
                log::info!(
                    "{} moved {:+.3} since {} as {} did: their place moved, not judged a drift",
                    self.series[idx].display_name(),
                    creep.moved,
                    DateTime::from_timestamp_millis(creep.since_ms)
                        .unwrap_or(at)
                        .format("%H:%M"),
                    self.series[j].display_name()
                );
                return None;
            }
        }
        let with = self.sibling_named(idx, other);
        self.creep_finding(idx, other, creep, &with, at)
    }

    /// Another member of series `idx`'s family that moved since the creep `c` began at least
    /// [`FAMILY_MOVED`] of what this probe moved, the same way (from the latest reading in
    /// its window at or before then to its latest).
    fn moved_with(&self, idx: usize, c: &pairs::Creep) -> Option<usize> {
        let zi = self.series_zone[idx]?;
        self.zones[zi]
            .1
            .members
            .iter()
            .copied()
            .filter(|&j| j != idx)
            .find(|&j| {
                let o = &self.series[j];
                value_at(&o.window, c.since_ms).is_some_and(|from| {
                    let moved = o.last - from;
                    moved.signum() == c.moved.signum()
                        && moved.abs() >= FAMILY_MOVED * c.moved.abs()
                })
            })
    }

    /// How series `idx`'s sibling `other` is named in a reason (itself: the rest of its
    /// family).
    fn sibling_named(&self, idx: usize, other: usize) -> String {
        if other == idx {
            "the median of the rest of its numbered family".to_string()
        } else {
            format!(
                "{}, its numbered sibling,",
                self.series[other].display_name()
            )
        }
    }

    /// A drift said while it creeps, on the probe of a pair (or of siblings, or of a family)
    /// that moved while the other held (see [`super::pairs`], "While it creeps"), unless the
    /// other has an episode open, or had a held reading since the creep began (a reference
    /// that is itself at fault says nothing of this one: unknown), or this probe's own episode
    /// is a held reading (its difference creeps as the other moves on). `with`: how the other
    /// is named in the reason.
    fn creep_finding(
        &self,
        idx: usize,
        other: usize,
        c: pairs::Creep,
        with: &str,
        at: DateTime<Utc>,
    ) -> Option<Finding> {
        let s = &self.series[idx];
        // (A held reading of the other since the creep began, said and perhaps already taken
        // as its normal, makes their difference creep as this one moves on: a press whose
        // sibling's reading froze at a shift's end cools away from it.)
        let o = &self.series[other];
        let held = o
            .episode
            .iter()
            .chain(o.episodes.iter())
            .any(|e| e.kind == EpisodeKind::Stuck && e.last.timestamp_millis() >= c.since_ms);
        if other != idx && (o.episode.is_some() || held) {
            return None;
        }
        if s.episode
            .as_ref()
            .is_some_and(|e| e.kind == EpisodeKind::Stuck)
        {
            return None;
        }
        let since = DateTime::from_timestamp_millis(c.since_ms)
            .unwrap_or(at)
            .format("%H:%M");
        let score = (c.now - c.usual).abs() / c.spread.max(f64::MIN_POSITIVE);
        Some(Finding {
            kind: EpisodeKind::Drift,
            at,
            score: score.min(1e6),
            threshold: pairs::CREEP_K,
            reason: format!(
                "it and {with} usually differ by {:+.3} (their ten-minute means within {:.3} of that, as a median); the difference has crept to {:+.3} since {since}, this probe moving {:+.3} while the other moved {:+.3}: this probe drifts",
                c.usual, c.spread, c.now, c.moved, c.other_moved
            ),
        })
    }

    /// Looks once for series `idx`'s sibling: the one other series of its numbered family
    /// (see `identity::numbered_family`) in the same unit, on another device, when the family
    /// has exactly two such series and this one has no peers of its own device; or, for a
    /// probe of a numbered family of at least three on its own device, the rest of that family
    /// (its sibling is then itself: see `observe_sibling`). That names only the lone step
    /// test's steps, so it matters only while the family has not been seen to move together
    /// (soil probes that hardly move at night are judged alone until the morning warms them).
    fn look_for_sibling(&mut self, idx: usize) {
        let s = &mut self.series[idx];
        s.sibling_looked = true;
        let (_, is_setpoint) = super::tracking::setpoint_role(&s.topic, &s.field);
        let zone = self.series_zone[idx].map(|zi| &self.zones[zi].1);
        let own_peers = zone.is_some_and(|z| z.members.len() > 1);
        if zone.is_some_and(|z| z.inferred && z.members.len() >= detect::CONSENSUS_MIN)
            && self.cfg.detector == DetectorMode::Default
            && !s.aggregate
            && !is_setpoint
            && s.setpoint.is_none()
        {
            s.sibling = Some(Box::new(pairs::Pair::new(idx)));
            log::info!(
                "{}: compared with the rest of its numbered family to tell a drift's end from a level shift",
                s.display_name()
            );
            return;
        }
        // (No counter: it is looked for only once the series has dipped.)
        if s.aggregate
            || own_peers
            || is_setpoint
            || s.setpoint.is_some()
            || self.cfg.detector != DetectorMode::Default
        {
            return;
        }
        let Some(family) = identity::numbered_family(&s.topic, &s.field) else {
            return;
        };
        let key = (family, s.unit.clone().unwrap_or_default(), String::new());
        let apart = |a: &Series, b: &Series| a.device != b.device;
        if let Some(a) = join_two(
            &mut self.siblings,
            &mut self.series,
            key,
            idx,
            |s| &mut s.sibling,
            apart,
        ) {
            log::info!(
                "{} and {}: numbered siblings, compared to tell a drift's end from a level shift",
                self.series[a].display_name(),
                self.series[idx].display_name()
            );
        }
    }

    /// The level shift series `idx` stepped at `ms`, in `findings`, is the end of a drift when
    /// its sibling's difference `end` crept away and came back with the same step.
    fn sibling_says_drift_ended(
        &mut self,
        idx: usize,
        ms: i64,
        end: &pairs::DriftEnd,
        findings: &mut [Finding],
    ) {
        if (end.at_ms - ms).abs() > detect::STEP_TOGETHER_MS {
            return;
        }
        let Some(f) = findings
            .iter_mut()
            .find(|f| f.kind == EpisodeKind::LevelShift && f.at.timestamp_millis() == ms)
        else {
            return;
        };
        let s = &self.series[idx];
        let Some(other) = s.sibling.as_ref().map(|p| p.other) else {
            return;
        };
        // A reading held while its sibling moved on makes their difference creep too: a way
        // out that was a stuck reading is no drift.
        let held = s
            .episode
            .iter()
            .chain(s.episodes.iter())
            .any(|e| e.kind == EpisodeKind::Stuck && e.last.timestamp_millis() >= end.since_ms);
        if held {
            return;
        }
        let since = DateTime::from_timestamp_millis(end.since_ms)
            .unwrap_or(f.at)
            .format("%H:%M");
        let with = self.sibling_named(idx, other);
        let reason = format!(
            "it and {with} usually differ by {:+.3}; the difference crept to {:+.3} from {since} and this probe stepped back to {:+.3}: a drift of this probe that ended ({:.1}σ of its usual steps)",
            end.usual,
            end.before,
            end.after,
            f.score
        );
        self.series[idx].detector.step_ended_a_drift(f, reason);
    }

    /// The series of `topic` whose field is `field` (in any case), if it exists.
    fn series_at(&self, topic: &str, field: &str) -> Option<usize> {
        let entry = self.topics.get(topic)?;
        entry
            .series
            .iter()
            .find(|(f, _)| f.eq_ignore_ascii_case(field))
            .map(|(_, i)| *i)
    }

    /// The setpoint test on a reading of series `idx` (see [`super::tracking`]), once its
    /// setpoint series is found by name. It is looked for again only when a series named as
    /// a setpoint was added since (see `tracking::setpoint_role`).
    #[cold]
    #[inline(never)]
    fn track_setpoint(&mut self, idx: usize, value: f64, at: DateTime<Utc>) -> Option<Finding> {
        let find = |topic: &str, field: &str| self.series_at(topic, field);
        let s = &self.series[idx];
        let sp_idx = match (&s.setpoint, s.setpoint_looked) {
            (Some(l), _) => find(&l.found.0, &l.found.1)?,
            (None, Some(looked)) if looked != self.setpoint_series => {
                let names = super::tracking::setpoint_names(&s.topic, &s.field);
                let hit = names
                    .into_iter()
                    .find_map(|(t, f)| find(&t, &f).map(|i| (t, f, i)));
                let s = &mut self.series[idx];
                s.setpoint_looked = Some(self.setpoint_series);
                let (t, f, i) = hit?;
                s.setpoint = Some(Box::new(super::tracking::Setpoint {
                    found: (t, f),
                    tracking: Default::default(),
                }));
                s.setpoint_looked = None;
                i
            }
            _ => return None,
        };
        if sp_idx == idx || self.series[sp_idx].count == 0 {
            return None;
        }
        let sp = self.series[sp_idx].last;
        let s = &mut self.series[idx];
        let floor = s.detector.resolution_known();
        let link = s.setpoint.as_mut()?;
        let off = link
            .tracking
            .observe(value, sp, at.timestamp_millis(), floor)?;
        // A step at rest said at the report after it, perhaps long after: not again where an
        // episode of the series began at it or since (the step test said it when it was
        // decided, a minute after).
        if off.step_ms.is_some_and(|t1| {
            s.last_anomaly()
                .is_some_and(|e| e.start.timestamp_millis() >= t1)
        }) {
            return None;
        }
        Some(Finding {
            kind: match (off.spike_ms, off.slow) {
                (Some(_), _) => EpisodeKind::Spike,
                (None, true) => EpisodeKind::Drift,
                (None, false) => EpisodeKind::LevelShift,
            },
            at: off
                .spike_ms
                .or(off.step_ms)
                .and_then(DateTime::from_timestamp_millis)
                .unwrap_or(at),
            score: off.score,
            threshold: match off.spike_ms.or(off.step_ms) {
                Some(_) => off.rest_bar,
                None => super::tracking::TRACK_K,
            },
            reason: off.reason,
        })
    }
}

/// Whether every other series of `idx`'s device in the same unit that reported since
/// `since_ms` (at least twice) stayed within what it can move unseen
/// ([`detect::Detector::hide`]), and there is at least one. Premise: a device that measures
/// one quantity with several probes (an ESPHome node's air and soil temperatures) shows the
/// place at rest when all of them are still; a run of repeats of one of them then is the
/// place's quiet (a greenhouse at its dawn minimum), not a probe stuck; when any of them
/// moves, the run is judged as any other. Series without a unit have no such peers.
/// Cost: one pass over the series, only for a run already long enough to be stuck.
///
/// A probe with a partner side by side (see [`pairs`]) asks that partner only, by its level:
/// the means of its readings in each [`PARTNER_BLOCK_MS`] since the run began stayed within
/// what this probe hides (three times its resolution or noise, as a zone at rest in
/// `judge_stuck`). Premise: the two read one medium, so the partner's level still is the
/// medium still, and a probe holding one value then cannot be told from one stuck; it is
/// found once the partner's level moves. The partner's noise is no movement: a DHT22 beside
/// a BME280 in a greenhouse at its dawn minimum jumps ±0.1 °C every minute while the BME280,
/// finer and quieter, holds 0.1 for an hour (held-out 24 h home seed 25, a false stuck open
/// 56 min).
fn device_at_rest(series: &[Box<Series>], idx: usize, since_ms: i64) -> bool {
    let s = &series[idx];
    if let Some(p) = &s.pair {
        return series
            .get(p.other)
            .is_some_and(|o| level_still_since(o, since_ms, s.detector.hide()));
    }
    if s.unit.is_none() {
        return false;
    }
    let mut peers = 0;
    for (j, o) in series.iter().enumerate() {
        if j == idx || !same_quantity(s, o) {
            continue;
        }
        match still_since(o, since_ms) {
            Some(false) => return false,
            Some(true) => peers += 1,
            None => {}
        }
    }
    peers > 0
}

/// Whether the run of repeats of `x` on `s` since `since_ms` is as probable as
/// `limit` or more at the share of its readings in the window before the run that read that
/// value (at least [`VALUE_SHARE_MIN`] of them). Premise: where a sensor's noise is
/// independent from one reading to the next, a reading repeats its value about as often as
/// the series reads that value; at the value it reads most often that is far above its overall
/// share of repeats, by which the length rule judges (a plug's mains voltage read to 1 V,
/// 227 to 234 around 231, which it reads a third of the time: ten 231s in a row, said stuck
/// at a 19 % share of repeats, are a 1 in 30,000 run, one a day or two among a home's plugs;
/// held-out 24 h home seed 42). Only ever lengthens the run a finding needs.
fn run_of_a_common_value(s: &Series, x: f64, since_ms: i64, limit: f64) -> bool {
    let (mut before, mut at_x, mut run) = (0u32, 0u32, 0i32);
    for (t, v) in s.window.points() {
        if t < since_ms {
            before += 1;
            at_x += u32::from(v == x);
        } else if v == x {
            run += 1;
        }
    }
    before >= VALUE_SHARE_MIN
        && run >= 2
        && (f64::from(at_x) / f64::from(before)).powi(run - 1) >= limit
}

/// Readings before a run needed to read how often the series reads the run's value.
const VALUE_SHARE_MIN: u32 = 60;

/// The blocks a pair partner's level is read in (see [`device_at_rest`]).
const PARTNER_BLOCK_MS: i64 = 10 * 60_000;

/// Whether the means of `o`'s readings in each whole [`PARTNER_BLOCK_MS`] from `since_ms` on
/// (up to its latest reading) stayed within `bar` of each other, over two blocks at least. (A
/// block under way is left out: its mean may be a reading or two of noise.)
fn level_still_since(o: &Series, since_ms: i64, bar: f64) -> bool {
    let Some((latest, _)) = o.window.points().next_back() else {
        return false;
    };
    let whole = ((latest - since_ms).max(0) / PARTNER_BLOCK_MS) as usize;
    let mut blocks = vec![(0.0, 0u32); whole];
    for (t, x) in o.window.points().rev() {
        if t < since_ms {
            break;
        }
        if let Some(b) = blocks.get_mut(((t - since_ms) / PARTNER_BLOCK_MS) as usize) {
            b.0 += x;
            b.1 += 1;
        }
    }
    let means = blocks
        .iter()
        .filter(|b| b.1 > 0)
        .map(|b| b.0 / f64::from(b.1));
    let (lo, hi, n) = means.fold((f64::INFINITY, f64::NEG_INFINITY, 0), |(lo, hi, n), m| {
        (lo.min(m), hi.max(m), n + 1)
    });
    n >= 2 && hi - lo <= bar
}

/// Whether `o` stayed within what it can move unseen ([`detect::Detector::hide`]) since
/// `since_ms`; `None` where it reported fewer than twice since.
fn still_since(o: &Series, since_ms: i64) -> Option<bool> {
    let (mut lo, mut hi, mut n) = (f64::INFINITY, f64::NEG_INFINITY, 0);
    for (t, x) in o.window.points().rev() {
        if t < since_ms {
            break;
        }
        lo = lo.min(x);
        hi = hi.max(x);
        n += 1;
    }
    (n >= 2).then(|| hi - lo <= o.detector.hide())
}

/// Whether `o` is another probe of `s`'s device measuring the same quantity: not an aggregate,
/// the same device and the same unit (two series without a unit count as one quantity; a rule
/// that must not guess, as `device_at_rest`, asks for a unit first).
fn same_quantity(s: &Series, o: &Series) -> bool {
    !o.aggregate && o.device == s.device && o.unit == s.unit
}

/// Values some temperature probes send instead of a reading when they fail, by unit: what a
/// DS18B20 reads after a power-on reset before any conversion (85 °C), what a conversion that
/// failed for lack of power leaves (0x07FF, 127.94 °C), and what the common Dallas library
/// reports for a probe that stopped answering (-127 °C).
const ERROR_CODES: [(bool, f64, &str); 6] = [
    (true, 85.0, "what a DS18B20 reads after a power-on reset"),
    (
        true,
        127.94,
        "what a DS18B20 leaves when a conversion fails",
    ),
    (
        true,
        -127.0,
        "what the Dallas library reports for a probe that stopped answering",
    ),
    (false, 185.0, "what a DS18B20 reads after a power-on reset"),
    (
        false,
        262.29,
        "what a DS18B20 leaves when a conversion fails",
    ),
    (
        false,
        -196.6,
        "what the Dallas library reports for a probe that stopped answering",
    ),
];

/// The failure a value stands for, where the series' unit makes it one of [`ERROR_CODES`].
/// Premise: a lone step that lands exactly on one of them is the probe failing, even when
/// another series stepped in the same minute (the steps-together rule would otherwise take
/// it for a change of mode); the step itself must still be judged a level shift on its own
/// history, so an oven that holds 85 °C is not blamed for it.
pub(super) fn error_code(unit: Option<&str>, x: f64) -> Option<&'static str> {
    let celsius = detect::degrees(unit)?;
    ERROR_CODES
        .iter()
        .find(|(c, code, _)| *c == celsius && (x - code).abs() < 0.005)
        .map(|(_, _, what)| *what)
}

/// How many of the kept novel `steps` (epoch ms, series) of series other than `idx` fall
/// within `from..=to`.
fn stepped_elsewhere(
    steps: &std::collections::VecDeque<(i64, usize)>,
    idx: usize,
    from: i64,
    to: i64,
) -> usize {
    steps
        .iter()
        .filter(|(t, i)| *i != idx && (from..=to).contains(t))
        .count()
}

/// Recent novel steps (and level switches) kept for the steps-together rule.
pub(super) const NOVEL_STEPS: usize = 256;

/// Keeps `item` as the latest of at most [`NOVEL_STEPS`].
fn push_latest<T>(recent: &mut std::collections::VecDeque<T>, item: T) {
    if recent.len() >= NOVEL_STEPS {
        recent.pop_front();
    }
    recent.push_back(item);
}

/// A device whose own convention says it is online is judged silent only when its first
/// series reports at least this evenly (upper quartile of its intervals over the lower).
pub(super) const METRONOME_SPREAD: f32 = 1.5;
/// … and whose steady pace stayed within this factor over the day being watched and the day
/// before (see [`detect::Detector::pace_ratio`]).
pub(super) const METRONOME_PACES: f32 = 1.5;

/// Logs a liveness change: went offline, came back, fell silent.
pub(super) fn log_transition(t: Option<Transition>) {
    let Some(t) = t else { return };
    let at = t.at.format("%H:%M:%S");
    let word = match t.word.as_deref() {
        Some(w) if !w.eq_ignore_ascii_case(t.to.as_str()) => format!(" ({w})"),
        _ => String::new(),
    };
    match t.to {
        // A status in place before twinview started: when it began is not known.
        Status::Offline if t.before_start => {
            log::warn!("{} is offline{word} (before twinview started)", t.device)
        }
        Status::Offline => log::warn!("{} went offline{word} at {at}", t.device),
        Status::Stale => log::warn!("{} is stale: silent too long, at {at}", t.device),
        Status::Online if t.from != Status::Unknown => {
            log::info!("{} is online again{word} at {at}", t.device)
        }
        // First sight of a device: one line per device would flood the log on a busy broker.
        Status::Online => log::debug!("{} is online{word}", t.device),
        Status::Unknown => log::info!("{} status unknown{word} at {at}", t.device),
    }
}

/// Joins series `idx` to `key` in `table`: when it is the second there (and `fits` the first),
/// each of the two gets the other in `slot` and the first is returned; at a third, the two
/// lose theirs (see [`pairs::Quantities`]).
fn join_two(
    table: &mut pairs::Quantities,
    series: &mut [Box<Series>],
    key: (String, String, String),
    idx: usize,
    slot: fn(&mut Series) -> &mut Option<Box<pairs::Pair>>,
    fits: impl Fn(&Series, &Series) -> bool,
) -> Option<usize> {
    match table.join(key, idx) {
        pairs::Joined::Paired(a)
            if a != idx && a < series.len() && fits(&series[a], &series[idx]) =>
        {
            *slot(&mut series[a]) = Some(Box::new(pairs::Pair::new(idx)));
            *slot(&mut series[idx]) = Some(Box::new(pairs::Pair::new(a)));
            Some(a)
        }
        pairs::Joined::Unpaired(a, b) => {
            for j in [a, b] {
                if let Some(s) = series.get_mut(j) {
                    *slot(s) = None;
                }
            }
            None
        }
        _ => None,
    }
}
