//! The tests of slow change on a lone series: a battery draining, a trend of its minute means
//! (see [`crate::twin::trend`]), its level leaving the envelope of its hourly means (see
//! [`crate::twin::envelope`]), a rate against its own ramps (see [`crate::twin::ramps`]).

use super::*;

impl Detector {
    /// The trend test on the sensor's own history (see [`crate::twin::trend`]): only for a lone
    /// sensor that is neither a state nor a few-level signal, not within a horizon of a big
    /// step of its own (steps are the step test's), not while settling or while an episode is
    /// open (nothing is learnt then either).
    /// A device's battery that fell [`BATTERY_DRAIN`] points from its highest of the last hour
    /// is draining fast. Said once, until it is charged or replaced (it rises by as much).
    pub(super) fn judge_battery(&mut self, x: f64, at: DateTime<Utc>, at_ms: i64, v: &mut Verdict) {
        let open = self.open.is_some();
        let d = self.drain.get_or_insert_with(Box::default);
        let bucket = at_ms.div_euclid(DRAIN_WINDOW_MS / DRAIN_BUCKETS as i64);
        // The highest reading of the last hour before this one (a battery reported every
        // half hour, or falling in several reports, is measured from its highest, not from
        // where the last hour happened to begin).
        let from = d
            .highest
            .iter()
            .flatten()
            .filter(|(b, _, _)| *b <= bucket && bucket - b < DRAIN_BUCKETS as i64)
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|&(_, v, ms)| (ms, v));
        let slot = &mut d.highest[bucket.rem_euclid(DRAIN_BUCKETS as i64) as usize];
        match slot {
            Some((b, v, ms)) if *b == bucket => {
                if x > *v {
                    (*v, *ms) = (x, at_ms);
                }
            }
            _ => *slot = Some((bucket, x, at_ms)),
        }
        if let Some(low) = &mut d.said {
            *low = low.min(x);
            if x >= *low + BATTERY_DRAIN {
                d.said = None;
            }
            return;
        }
        let Some((from_ms, from)) = from else {
            return;
        };
        if !open && from - x >= BATTERY_DRAIN {
            d.said = Some(x);
            let minutes = (at_ms - from_ms) as f64 / 60_000.0;
            v.findings.push(Finding {
                kind: EpisodeKind::Drift,
                at,
                score: (from - x) / BATTERY_DRAIN,
                threshold: 1.0,
                reason: format!(
                    "battery fell from {from} to {x} % in {minutes:.0} min (a healthy one falls a few points a month): draining fast or failing"
                ),
            });
        }
    }

    pub(super) fn judge_trend(
        &mut self,
        x: f64,
        at: DateTime<Utc>,
        at_ms: i64,
        lone: bool,
        v: &mut Verdict,
    ) {
        use crate::twin::trend::{
            TREND_HORIZON_MIN, TREND_K, TREND_LEVEL_SETTLE_MIN, TREND_LEVEL_WARM,
        };
        let res = self.res_known();
        // What was learnt before the series was known to be a few-level one took its switches
        // for changes within its life: it starts again, within levels only, and stays so judged
        // (its verdict may lapse in a window of many switches).
        if self.levels.few && !self.trend_few {
            self.trend.relearn();
            self.trend_few = true;
        }
        let Some(mut c) = self.trend.observe(x, at_ms) else {
            return;
        };
        if lone && !self.discrete() {
            self.judge_ramp(&c, res, at, v);
        }
        // Which level the minute means are at, and since when: the home they settled at while
        // they stay within its band, else a new home at this minute's mean if the series has
        // dwelt there, else none (single readings of a sawtooth stray out of a band; its
        // minute means do not, and a ramp's minutes may fall in bands of their own).
        match self.level_home {
            Some(h) if (c.now - h).abs() <= self.levels.band(h, res) => {
                self.level_home = Some(h + LEVEL_HOME_ALPHA * (c.now - h));
            }
            left => {
                // A few-level signal left its level: the last changes waiting to be learnt
                // may hold the first minute of a ramp out of it, still within the band. (Not
                // any series: a noisy one's minute means leave a band now and then, and
                // Frigate's inference time, once a minute, learnt nothing in four days.)
                if left.is_some() && self.trend_few {
                    self.trend.forget_pending();
                }
                self.level_home = self.levels.dwelt(c.now, res).then_some(c.now);
                self.level_since_ms = at_ms - 60_000;
            }
        }
        self.trend_last = c.change;
        let horizon_ms = (TREND_HORIZON_MIN as i64 + 1) * 60_000;
        // (A horizon that holds a spike past the bar, said or taken as its life, says nothing
        // of a trend: read every 5 minutes, a spike is a minute's mean on its own, and "moved
        // +34 in the last 30 min, all of it in the last 3" was said of one.)
        let spiked = self.spiked_within(at_ms, horizon_ms);
        let stepped = self.last_big_ms.is_some_and(|t| at_ms - t < horizon_ms)
            || self.novel_ms.is_some_and(|t| at_ms - t < horizon_ms)
            || spiked
            || self.settle > 0;
        // A few-level signal: only a horizon within one known level, settled there before it
        // began, says anything; such horizons are judged after hours of them, not a day.
        let within = !self.trend_few
            || (self.level_home.is_some()
                && c.then_ms >= self.level_since_ms + TREND_LEVEL_SETTLE_MIN * 60_000);
        // Judged by what it learnt within levels, not by the day watched: its learning
        // started again when it became a few-level one (a greenhouse's night at a few
        // quantised values made it one for a while; a day later its first sunny morning was
        // "8× the most it moved", against nothing learnt).
        if self.trend_few {
            c.warm = self.trend.learnt >= TREND_LEVEL_WARM;
        }
        // Nor one that spans two levels well apart it has dwelt at (its few-level verdict may
        // not be in yet, or may lapse in a window of many switches).
        let spans = match (self.levels.find(c.then, res), self.levels.find(c.now, res)) {
            (Some(i), Some(j)) => {
                i != j
                    && self.levels.at[i].1 >= 3
                    && self.levels.at[j].1 >= 3
                    && self.levels.apart(i, j, res)
            }
            _ => false,
        };
        let within = within && !spans;
        if stepped || !within || self.open.is_some() {
            self.trend_hold = None;
            // A horizon that holds a big step is not judged, but one whose big steps made a
            // movement nothing was said of is the series' life, and is learnt a horizon from
            // now as any other (forgotten if an episode opens meanwhile). Premise: a movement
            // of steps each past the step bar (a tank refilled each night, +2.2 % every two
            // minutes where it draws 0.05) that opened no episode is how far the series moves
            // in half an hour; left unlearnt, its fourth night's refill, no longer past the step
            // bar, was "4.1x the most it moved in as long while watched". A spike's horizon is
            // not learnt: one reading is a minute's mean on its own.
            if stepped && within && self.open.is_none() && self.settle == 0 && !spiked {
                self.trend.learn(c.change);
            }
            return;
        }
        // Minute means over half an hour: a change within the sensor's resolution or a few of
        // its usual steps is no trend.
        let floor = (2.5 * self.resolution).max(self.noise());
        let judged = lone && !self.discrete() && !self.yesterday;
        if judged && c.warm {
            let bar = TREND_K * c.largest.max(floor);
            self.ratio = self.ratio.max(c.change.abs() / bar);
        }
        // (A power or a current whose half-hour began at rest, or in its load's program: a
        // load switched on, its life; see [`Detector::load_switched`].)
        let drifting = judged && c.drifting(floor) && !self.load_switched(c.then, c.now);
        // Most of it in the last few minutes: the level stepped (an offset, a probe moved),
        // seen by the minute means where single steps hide in the noise. Decided at the first
        // minute beyond the bar.
        let step = match self.trend_hold {
            Some((_, step)) if drifting => step,
            _ => c.stepped(),
        };
        // A few-level signal's change must hold [`TREND_LEVEL_SETTLE_MIN`] minutes within its
        // level: the first minutes of a ramp out of a level are still within its band.
        if drifting && self.trend_few {
            let held = self.trend_hold.map_or(1, |(n, _)| n + 1);
            self.trend_hold = Some((held, step));
            if i64::from(held) < TREND_LEVEL_SETTLE_MIN {
                return;
            }
        }
        self.trend_hold = None;
        if drifting {
            self.trend.drift_found();
            let kind = if step {
                EpisodeKind::LevelShift
            } else {
                EpisodeKind::Drift
            };
            v.lone_trend = Some(kind);
            let how = if kind == EpisodeKind::LevelShift {
                format!(
                    ", {:+.3} of it in the last {} min",
                    c.recent,
                    crate::twin::trend::TREND_STEP_MIN
                )
            } else {
                String::new()
            };
            v.findings.push(Finding {
                kind,
                at,
                score: c.change.abs() / c.largest.max(floor),
                threshold: TREND_K,
                reason: format!(
                    "moved {:+.3} in the last {TREND_HORIZON_MIN} min{how}, {:.1}× the most it moved in as long while watched ({:.3}; no peers to compare with)",
                    c.change,
                    c.change.abs() / c.largest.max(floor),
                    c.largest
                ),
            });
        } else {
            self.trend.learn(c.change);
        }
    }

    /// A spike past the bar, said or taken as the series' life (see [`super::spikes`]), was
    /// within `ms` before `at_ms`.
    fn spiked_within(&self, at_ms: i64, ms: i64) -> bool {
        self.spike_life
            .as_ref()
            .is_some_and(|l| at_ms - l.last_ms() < ms)
    }

    /// The envelope test on a lone series' own history (see [`crate::twin::envelope`]): only where
    /// its premise holds (no peers, no counter, no battery, no state, no few-level signal);
    /// said as a drift once per excursion, and only while no episode is open (nothing is
    /// learnt while one is).
    pub(super) fn judge_envelope(
        &mut self,
        x: f64,
        at: DateTime<Utc>,
        at_ms: i64,
        (lone, jumped): (bool, bool),
        v: &mut Verdict,
    ) {
        use crate::twin::envelope::{ENV_DAYS, ENV_K, ENV_REPEATS, RUN_K, RUN_MIN_H};
        // (Nor a series that holds its value through most readings: it steps rather than
        // moves, and its steps are the step test's: a plug's daily total, which changes once
        // a day.)
        // (A few-level signal that ramps between its places is judged: see
        // [`SWITCH_SHARE`].)
        let switches = (self.levels.few || self.trend_few) && !self.levels.ramps();
        if !lone || self.charged || self.discrete() || switches || self.p_same > ENV_REPEATS {
            return;
        }
        let quiet = self.open.is_none();
        // The least width: a series that held one value for days still moves by its
        // resolution and noise.
        let floor = (5.0 * self.res_known()).max(4.0 * self.noise());
        let spiked = self.spiked_within(at_ms, 2 * crate::twin::envelope::ENV_TAU_MS as i64);
        let env = self.envelope.get_or_insert_with(Box::default);
        if !quiet {
            env.forget_waiting();
        }
        let Some(b) = env.observe(x, at_ms, quiet, floor) else {
            return;
        };
        if !quiet {
            return;
        }
        // A spike past the bar, said or taken as its life, moves the half-hour level for an
        // hour (a spike of +30 on a series read every 5 minutes lifts it by 5): the level says
        // nothing of an excursion until then.
        if spiked {
            return;
        }
        self.ratio = self.ratio.max(b.out / b.margin);
        // A jump at this reading, or a lone step being decided, is the step test's to name
        // (it judges a step at the reading after it, and decides it once it stayed): the
        // excursion is not said meanwhile, and is this test's again once the step test let
        // it be. Premise: a level that left its envelope in one step is a step, not a drift
        // (a Zigbee room's offset of +2.8 °C, one report above anything its hourly means
        // showed, was said a drift at that report, and the step test never spoke).
        if jumped || self.pending.is_some() {
            return;
        }
        // (The level's own news, when it has some, says it first: at the second reading beyond
        // the margin, once the spike test had the reading after a spike to judge it by. A spike
        // where its series spiked before jumps by less than its steps there, so `jumped` does
        // not see it: a +34 spike lifted a half-hour level by 5 beyond its envelope, and was
        // said a drift at its own reading.)
        let before = std::mem::replace(&mut env.beyond, b.news());
        let level_news = b.news() && before && !env.said;
        if b.run_news() && !env.run_said && !level_news {
            env.run_said = true;
            v.lone_trend = Some(EpisodeKind::Drift);
            let way = if b.way > 0 { "risen" } else { "fallen" };
            v.findings.push(Finding {
                kind: EpisodeKind::Drift,
                at,
                score: f64::from(b.run) / f64::from(b.longest_run.max(RUN_MIN_H)),
                threshold: RUN_K,
                reason: format!(
                    "its hourly means have {way} {} hours in a row, more than {RUN_K} × the longest run either way in up to {ENV_DAYS} days watched ({} hours; its half-hour level {:.3}; no peers to compare with)",
                    b.run, b.longest_run, b.level
                ),
            });
        }
        // A day unlike its days (see [`crate::twin::envelope::DayNews`]): once per departure,
        // where neither the level nor the run said it first.
        if let Some(d) = b
            .day
            .filter(|_| !env.day_said && !level_news && !env.run_said)
        {
            env.day_said = true;
            v.lone_trend = Some(EpisodeKind::Drift);
            let way = if d.mean > d.median { "above" } else { "below" };
            let when = DateTime::from_timestamp(d.hour * 3600, 0)
                .map_or_else(String::new, |t| t.format(" at %H:00").to_string());
            let bar = (d.mean - d.median).abs();
            v.findings.push(Finding {
                kind: EpisodeKind::Drift,
                at,
                score: bar / (b.hi - b.lo).max(f64::MIN_POSITIVE),
                threshold: crate::twin::envelope::DAY_K_RANGE,
                reason: format!(
                    "its hourly mean{when} was {:.3}, {bar:.3} {way} the median of that hour on its last {} days ({:.3} to {:.3}), {} hours in a row apart (no peers to compare with)",
                    d.mean, d.days, d.lo, d.hi, d.hours
                ),
            });
        }
        if level_news {
            env.said = true;
            v.lone_trend = Some(EpisodeKind::Drift);
            let way = if b.level > b.hi { "above" } else { "below" };
            v.findings.push(Finding {
                kind: EpisodeKind::Drift,
                at,
                score: b.out / (b.margin / ENV_K),
                threshold: ENV_K,
                reason: format!(
                    "its half-hour level {:.3} is {:.3} {way} anything its hourly means showed in up to {ENV_DAYS} days watched ({:.3} to {:.3}), more than half their range (no peers to compare with)",
                    b.level, b.out, b.lo, b.hi
                ),
            });
        }
    }

    /// The stays at its levels a switching few-level signal is judged by (see
    /// [`crate::twin::dwell`]), while it is one.
    pub fn stays_lines(&self) -> Vec<String> {
        match &self.dwells {
            Some(d) if self.levels.few && !self.levels.ramps() => d.lines(),
            _ => Vec::new(),
        }
    }

    /// The rates a series that ramps is judged by (see [`crate::twin::ramps`]), while it qualifies.
    pub fn ramp_rates(&self) -> Option<String> {
        self.ramps.line()
    }

    /// The rate test on a lone series' minute mean that closed (see [`crate::twin::ramps`]): said
    /// as a drift, once per excursion, and only while no episode is open; nothing is learnt
    /// while one is.
    pub(super) fn judge_ramp(
        &mut self,
        c: &crate::twin::trend::Change,
        res: f64,
        at: DateTime<Utc>,
        v: &mut Verdict,
    ) {
        use crate::twin::ramps::{RAMP_K, RAMP_REL};
        let minute = c.then_ms.div_euclid(60_000) + crate::twin::trend::TREND_HORIZON_MIN as i64;
        let quiet = self.open.is_none();
        let off = self.ramps.minute(minute, c.now, res, quiet);
        if let Some(news) = self.ramps.announce() {
            self.ramp_news = Some(news.into_boxed_str());
        }
        let Some(off) = off else {
            return;
        };
        let r = off.rate;
        let bar = (RAMP_REL * r.rate.abs()).max(RAMP_K * r.spread);
        let ratio = (off.slope - r.rate).abs() / bar;
        self.ratio = self.ratio.max(ratio);
        let since = DateTime::from_timestamp_millis(off.since_ms).unwrap_or(at);
        self.ramp_creep = Some((off.since_ms, off.slope, r.rate));
        v.findings.push(Finding {
            kind: EpisodeKind::Drift,
            at: since.max(at - chrono::Duration::minutes(60)),
            score: RAMP_K * ratio,
            threshold: RAMP_K,
            reason: format!(
                "it ramps {:+.3}/min since {}, where its ramps this way ran at {:+.3}/min ± {:.3} over {} ramps: a creep of the probe or a change in what moves it (no peers to compare with)",
                off.slope,
                since.format("%H:%M"),
                r.rate,
                r.spread,
                r.ramps,
            ),
        });
    }
}
