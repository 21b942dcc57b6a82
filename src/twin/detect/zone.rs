//! The residual test against a zone's consensus (a level shift or a drift of one member while
//! its peers hold), and how an episode judged alone is named and opened.

use super::*;

impl Detector {
    pub(super) fn residual(
        &mut self,
        x: f64,
        at: DateTime<Utc>,
        consensus: Option<f64>,
        warm: bool,
        cfg: &DetectorConfig,
        v: &mut Verdict,
    ) {
        let Some(c) = consensus else {
            self.res_med = None;
            self.lone_open(x, v);
            return;
        };
        let e = x - c;
        if !e.is_finite() {
            return;
        }
        // Inferred peers not yet seen to move with it: the residual is learnt, not judged.
        let judging = self.peers_confirmed();
        if !judging {
            self.lone_open(x, v);
        }
        let warm = warm && judging;
        self.res_n += 1;
        self.res3.push(e);
        let med = if self.res3.full() {
            let (a, b, c) = (self.res3.v[0], self.res3.v[1], self.res3.v[2]);
            a.max(b).min(a.min(b).max(c))
        } else {
            e
        };
        self.res_med = Some(med);
        if std::mem::take(&mut self.offset_due) {
            self.offset = med;
            self.level = 0.0;
        }
        if self.inferred_peers {
            self.comove_step(x, med, at.timestamp_millis());
        }
        let n = self.res_n as f64;
        let learning = self.open.is_none();
        self.res_secs += self.interval;
        // Offsets and the residual's scale need longer than the other detectors: the residual
        // wanders slowly, and a scale learnt from too short a stretch is too small. So the
        // offset is learnt over `warmup` readings and 5 minutes at least, then the scale until
        // 3 × `warmup` readings and 20 minutes; meanwhile only a change three times past the
        // threshold (on the provisional scale) is judged.
        let warmup = cfg.warmup as u64;
        if self.res_n == warmup {
            self.early_offset = Some(self.offset);
        }
        if let (Some(early), false) = (
            self.early_offset,
            self.res_n > warmup && self.res_secs >= 1200.0,
        ) {
            // Until the scales are learnt, only a gross change is judged: far beyond the
            // sensor's own step noise from the offset of its first readings (a sensor
            // running away in the first minutes is worth saying).
            let gross = med - early;
            let sigma = self.noise().max(self.resolution);
            let limit = GROSS * sigma;
            if warm && sigma > 0.0 && gross.abs() > limit && self.run < cfg.stuck_min {
                // A step is flat once there; a runaway keeps moving between readings.
                let steady = (gross - self.early_prev[0]).abs() < 0.25 * gross.abs()
                    && (self.early_prev[0] - self.early_prev[1]).abs() < 0.25 * gross.abs();
                let kind = if steady && (gross - self.early_prev[0]).abs() > 0.0 {
                    EpisodeKind::Drift
                } else {
                    EpisodeKind::LevelShift
                };
                v.findings.push(Finding {
                    kind,
                    at,
                    score: gross / sigma,
                    threshold: GROSS,
                    reason: format!(
                        "moved {gross:+.3} from its first offset {early:+.3} to the zone consensus ({:.0}σ of its steps) while its usual wander is still being learnt",
                        (gross / sigma).abs()
                    ),
                });
            } else if judging
                && gross.abs() > 0.5 * limit
                && matches!(
                    self.open,
                    Some(EpisodeKind::LevelShift | EpisodeKind::Drift)
                )
            {
                v.abnormal = true;
            }
            self.early_prev = [gross, self.early_prev[0]];
        }
        if self.res_n <= warmup || self.res_secs < 300.0 {
            // The offset first, as a plain mean …
            if self.open.is_none() {
                self.offset += (med - self.offset) / n;
            }
            self.level = med - self.offset;
            return;
        }
        let dev = med - self.offset;
        self.level += LEVEL_ALPHA * (dev - self.level);
        let provisional = self.res_n <= 3 * warmup || self.res_secs < 1200.0;
        let threshold = if provisional {
            // … then the scale of the smoothed residual, also as a plain mean.
            if self.open.is_none() {
                self.scale_n += 1;
                self.level_scale += (self.level.abs() - self.level_scale) / self.scale_n as f64;
                self.offset += (med - self.offset) / n;
            }
            3.0 * cfg.level
        } else {
            cfg.level
        };
        // A residual is not known finer than half the sensor's resolution: a quantised
        // sensor among quantised peers wanders less than a step between its readings.
        let scale = self
            .level_scale
            .max(1e-9 * c.abs().max(1.0))
            .max(0.5 * self.res_known());
        // An open shift or drift whose last three residuals are all back in the calm band is
        // over: the smoothed level would lag behind them for twenty readings (twenty minutes
        // on a probe read once a minute), and keep the episode open and misnamed meanwhile.
        // (Three, not one, and only once the smoothed level is twice past the threshold: a
        // noisy residual crosses the band now and then while it begins to drift.)
        if matches!(
            self.open,
            Some(EpisodeKind::LevelShift | EpisodeKind::Drift)
        ) && self.level.abs() > 2.0 * cfg.level * scale
            && self.res3.full()
            && self
                .res3
                .v
                .iter()
                .all(|r| ((r - self.offset) / scale).abs() < cfg.level_clear)
        {
            self.level = dev;
            // Its shape is no longer measured from where the excursion began: the kind said
            // stays, should it go on.
            self.shape_kept = true;
        }
        if self.open.is_none() {
            self.shape_kept = false;
        }
        let at_ms = at.timestamp_millis();
        if self.open == Some(EpisodeKind::Drift) {
            match self.drift_ref {
                Some((t, d0)) if at_ms - t >= DRIFT_MOVING_MS => {
                    self.drifting = (dev - d0).abs() > 2.0 * scale;
                    self.drift_ref = Some((at_ms, dev));
                }
                Some(_) => {}
                None => {
                    self.drift_ref = Some((at_ms, dev));
                    self.drifting = true;
                }
            }
        } else {
            self.drift_ref = None;
            self.drifting = false;
        }
        let z = self.level / scale;
        if warm {
            self.ratio = self.ratio.max(z.abs() / threshold);
        }
        if z.abs() < cfg.level_clear {
            self.excursion = [0.0; 5];
            self.peer_parted_most = 0.0;
        } else {
            let [n, sk, skk, sy, sky] = &mut self.excursion;
            let k = *n;
            *n += 1.0;
            *sk += k;
            *skk += k * k;
            *sy += dev;
            *sky += k * dev;
        }
        if learning && !provisional {
            // The scale from every reading outside episodes (clipped, not truncated: learning
            // only from calm readings would shrink it step by step). The offset only while
            // calm: a calibration that creeps is followed over hours, a fault is not absorbed.
            // Rates by time, not by reading: a fault lasts minutes to hours whatever the
            // publish interval, so a fast sensor must not learn its drift away sooner.
            let dt = self.interval.max(1e-3);
            let clip = 3.0 * scale;
            self.level_scale +=
                (self.level.abs().min(clip) - self.level_scale) * (dt / SCALE_TAU_S).min(0.01);
            if z.abs() < cfg.level_clear {
                self.offset += (med - self.offset) * (dt / OFFSET_TAU_S).min(0.005);
                if let Some((lo, hi)) = self.two_peers {
                    let g = self.peer_gap.get_or_insert(hi - lo);
                    *g += (hi - lo - *g) * (dt / OFFSET_TAU_S).min(0.005);
                }
            }
        }
        if !warm {
            return;
        }
        // With exactly two others, their consensus is their mean: one of them that parts from
        // the other moves it by half as far. Where they parted by as much as this sensor's
        // residual moved, which one moved is unknown, and nothing is said (a soil bed
        // drifting 2.3 °C up beside two others made the third "drift -1.0" against the mean of
        // two for 47 minutes; fresh 24 h home seed 95).
        // The most they parted since the residual left its calm band counts: the smoothed
        // residual lags, and still held the parting of a bed that had stepped back a minute
        // before (held-out 24 h home seed 31).
        if let (Some((lo, hi)), Some(g)) = (self.two_peers, self.peer_gap) {
            if z.abs() >= cfg.level_clear {
                self.peer_parted_most = self.peer_parted_most.max((hi - lo - g).abs());
            }
        }
        let peer_parted = match (self.two_peers, self.peer_gap) {
            (Some(_), Some(_)) => self.peer_parted_most >= self.level.abs(),
            _ => false,
        };
        // (What the residual did while the peers' parting held back a finding is theirs, not
        // this sensor's shape: a reading of 85 after a bed's creep is a shift, not the end of
        // a "drift".)
        if peer_parted && z.abs() > threshold {
            self.excursion = [0.0; 5];
        }
        if z.abs() > threshold && self.run < cfg.stuck_min && !peer_parted {
            let kind = match self.open {
                Some(k @ (EpisodeKind::LevelShift | EpisodeKind::Drift)) if self.shape_kept => k,
                _ => self.shape_kind(),
            };
            let word = if kind == EpisodeKind::Drift {
                "drifted"
            } else {
                "shifted"
            };
            v.findings.push(Finding {
                kind,
                at,
                score: z,
                threshold,
                reason: format!(
                    "{word} {:+.3} from its usual offset {:+.3} to the zone consensus ({:.1}× the usual wander {:.3})",
                    self.level, self.offset, z.abs(), scale
                ),
            });
        } else if z.abs() > cfg.level_clear
            && matches!(
                self.open,
                Some(EpisodeKind::LevelShift | EpisodeKind::Drift)
            )
        {
            v.abnormal = true;
        }
    }

    /// Whether an open shift or drift judged without peers is still on.
    pub(super) fn lone_open(&mut self, x: f64, v: &mut Verdict) {
        // A drift's end is over once said: the step brought the reading back to where the
        // probe reads true, and what the series does next (a tank filling on, a press
        // heating) is its own, judged by the other tests. (Forgotten once the episode it
        // opened or joined has closed: see [`Detector::episode_closed`].)
        if self.end_said {
            return;
        }
        match self.step_base {
            // A step on a lone sensor is over when the level is back.
            Some((base, step)) => {
                if (x - base).abs() > 0.5 * step.abs() {
                    v.abnormal = true;
                } else if self.open.is_some() {
                    self.step_base = None;
                }
            }
            // Too few peers to judge: an open shift or drift stays open (unknown is not
            // over).
            None => {
                if matches!(
                    self.open,
                    Some(EpisodeKind::LevelShift | EpisodeKind::Drift)
                ) {
                    v.abnormal = true;
                }
            }
        }
    }

    /// A shift or a drift? Over the readings since the residual left its calm band, a shift
    /// is flat (it left at once, at its new level) while a drift keeps a trend: the fitted
    /// change across the excursion is then a large part of where it ends.
    pub(super) fn shape_kind(&self) -> EpisodeKind {
        let [n, sk, skk, sy, sky] = self.excursion;
        if n < 3.0 {
            return EpisodeKind::LevelShift;
        }
        let sxx = skk - sk * sk / n;
        if sxx <= 0.0 {
            return EpisodeKind::LevelShift;
        }
        let slope = (sky - sk * sy / n) / sxx;
        let mean = sy / n;
        let end = mean + slope * ((n - 1.0) - sk / n);
        let change = slope * (n - 1.0);
        if end.abs() > 0.0 && change / end > 0.3 {
            EpisodeKind::Drift
        } else {
            EpisodeKind::LevelShift
        }
    }
}
