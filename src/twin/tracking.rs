//! A controlled value against its setpoint: an oven zone's temperature and the setpoint its
//! controller holds it at (Kepware's `Zone1.Temperature` and `Zone1.Setpoint`), a 3D printer's
//! bed (`actual` and `target`), a mould's temperature and its `mold_temp_setpoint` topic.
//!
//! Premise: a controller holds its process value at its setpoint; once the value has reached
//! a setpoint that then stays, the minute means of their difference sit within a band the
//! series shows while healthy (its hysteresis, its sawtooth), whatever the time of day. A
//! difference that leaves that band and stays three minutes is the sensor or the loop
//! failing (an offset, a heater losing power), said as a `level_shift`; a value that has not
//! reached a setpoint set long before, where it reached the earlier ones sooner, is too. What
//! it cannot know: a setpoint of 0 is a heater switched off (the value falls to the room's
//! temperature): nothing is judged then; nor before [`TRACK_WARM`] settled minutes were
//! learnt over the series' life, at whatever setpoints (the difference a loop holds is taken
//! to be the same at each of them).
//!
//! A creep of the difference slower than the minute test follows (it learns a slow change)
//! is judged on ten-minute means (see [`Slow`]) and said as a `drift`.
//!
//! Pairs are found by name only (see [`setpoint_names`]): a field or topic whose last word
//! is a measured value's (`actual`, `temperature`, `pv`) beside one whose word is a setpoint's
//! (`target`, `setpoint`, `sp`), or a topic beside the same topic with `_setpoint`.
//!
//! Cost: O(1) per reading of a paired series (a sum per minute).

use super::levels;

/// Settled minutes (means of the difference) learnt before a difference is judged.
pub const TRACK_WARM: u32 = 30;
/// How far (in its learnt spread, mean absolute deviation × 1.25) a minute's mean difference
/// must lie from the learnt one to count as beyond.
pub const TRACK_K: f64 = 6.0;
/// Minutes in a row beyond before it is said.
pub const TRACK_MINUTES: u8 = 3;
/// Minutes after the value reached its setpoint before the difference is learnt or judged:
/// an overshoot settles.
pub const TRACK_SETTLE_MS: i64 = 5 * 60_000;
/// A value that has not reached its setpoint this long after it was set, and twice as long
/// as it took for any setpoint before, is said not to reach it.
pub const TRACK_REACH_MIN_MS: i64 = 15 * 60_000;
/// Learning rate of the band once warm (per settled minute): a slow creep of a controller's
/// offset is followed over hours, a fault of minutes is not.
const ALPHA: f64 = 0.02;
/// Settled minutes per block of the slow test, blocks learnt before one is judged (two
/// hours), and blocks in a row beyond the bar ([`TRACK_K`] × their spread) before a creep is
/// said.
pub const SLOW_BLOCK: u32 = 10;
pub const SLOW_WARM: u32 = 12;
pub const SLOW_BLOCKS: u8 = 2;
/// Learning rate of the slow test's band once warm (per block): a creep over hours is news,
/// one over days the loop's own (about 17 hours to follow a change).
const SLOW_ALPHA: f64 = 0.01;
/// Blocks within this many spreads of the centre are ordinary, and learnt from.
const SLOW_LEARN_K: f64 = 3.0;

/// Gaps between reports learnt while settled at a setpoint before a silence is judged, how
/// many times the longest of them a silence must last, and the least it must last. Premise:
/// a value a controller holds at its setpoint moves about it (its sawtooth, its noise), so a
/// series that reports on change sends something every so often while held there (an
/// OctoPrint hotend at 215 °C at least every 166 s over a day of prints); nothing for three
/// times the longest such gap while its device keeps reporting is its value frozen. A value
/// that holds its setpoint more closely than it reports shows longer gaps, and is given them.
pub const HELD_WARM: u32 = 30;
pub const HELD_K: i64 = 3;
pub const HELD_MIN_MS: i64 = 5 * 60_000;

/// A spike while the controller is off: a value whose setpoint has been 0 (heater off) for
/// [`REST_MS`] rests at the room's temperature and moves only slowly toward it; one reading
/// [`REST_SPIKE_RES`] scales or more from the reading before it, with the reading after it
/// (within [`REST_RETURN_MS`]) back within [`REST_BACK_RES`] scales of the one before, is the
/// probe's glitch; one whose next reading is not back within the minute held there, and is
/// a level shift the probe made (said at that next reading: a value reported past a deadband
/// says nothing while it holds, an idle hotend read 27.3 where it rested at 20.6 and reported
/// again 25 minutes later, back); nor one back, within the minute, where the series rested
/// before the reading it jumped from, which was then the excursion. The reading before a
/// spike may have been taken while the value still cooled, when [`REST_MS`] or more passed
/// since: the reading after, back at it, says where it rested (an idle hotend that cooled to
/// 20.85 five minutes after its heater went off read -1.19 six hours later and 20.85 two
/// seconds after: a spike, missed while its neighbour before had to be taken at rest; 24 h
/// home seeds 27, 64, 98 and two more of 200); a step that held from such a reading is not
/// judged (a value read steadily whose readings were lost may have cooled on). The scale is
/// the series' resolution, or the mean change between its readings at rest where that is more
/// (a bed read to 0.01 °C every 10 s wanders by more). Premise: nothing heats or cools a bed
/// or a hotend whose heater is off by several degrees in seconds and back; no long history at
/// rest is needed (an idle printer reports once an hour, a day gives little to learn from),
/// its resolution bounds the scale from below.
pub const REST_MS: i64 = 30 * 60_000;
pub const REST_SPIKE_RES: f64 = 5.0;
/// A value reported past a deadband, at rest: at least [`REST_DEADBAND_SEEN`] changes between
/// readings at rest learnt, every one of them at least [`REST_DEADBAND_EVEN`] × their mean
/// (the deadband: it reports each time it moved that far, never less, and never repeats).
/// There a jump of [`REST_DEADBAND_JUMPS`] scales is news, not [`REST_SPIKE_RES`]. Premise:
/// such a value, moving slowly, crosses one deadband between reports (an idle hotend warming
/// with its room is reported at each 1 °C the OctoPrint plugin's threshold lets through), so a
/// report three deadbands or more from the one before jumped; a value read steadily wanders by
/// changes of every size, and keeps the wider bar. The case: idle hotends that read +4.5 to
/// +5.0 °C (4.3 to 4.8 deadbands) above their rest after hours unreported and held there,
/// missed in seven held-out 24-hour home worlds of 279.
pub const REST_DEADBAND_SEEN: u32 = 2;
pub const REST_DEADBAND_EVEN: f64 = 0.75;
pub const REST_DEADBAND_JUMPS: f64 = 3.0;
pub const REST_BACK_RES: f64 = 2.0;
pub const REST_RETURN_MS: i64 = 60_000;

/// Words that end a measured value's name, and a setpoint's.
const VALUE_WORDS: [&str; 6] = [
    "actual",
    "temperature",
    "temp",
    "pv",
    "local_temperature",
    "current_temperature",
];
const SETPOINT_WORDS: [&str; 6] = [
    "target",
    "setpoint",
    "set_point",
    "sp",
    "occupied_heating_setpoint",
    "current_heating_setpoint",
];

/// Where a series' setpoint may be, by name: `(topic, field)` pairs to look for, in order.
/// A field path's last or last-but-one word that is a [`VALUE_WORDS`] one, replaced by each
/// [`SETPOINT_WORDS`] one (`values.Zone1.Temperature.v` → `values.Zone1.Setpoint.v`, `actual`
/// → `target`), in the same topic; and for a whole-payload reading (`value`), the topic with
/// `_setpoint` or `_sp` after its last level when that level ends with such a word
/// (`press1/mold_temp` → `press1/mold_temp_setpoint`).
/// Empty when the name has none of these words.
pub fn setpoint_names(topic: &str, field: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let words: Vec<&str> = field.split('.').collect();
    for back in 1..=2.min(words.len()) {
        let i = words.len() - back;
        if VALUE_WORDS.iter().any(|w| w.eq_ignore_ascii_case(words[i])) {
            for sp in SETPOINT_WORDS {
                let mut w = words.clone();
                // Keep the name's own style: `Temperature` → `Setpoint`.
                let capital = words[i].starts_with(|c: char| c.is_ascii_uppercase());
                let sp = if capital {
                    let mut s = sp.to_string();
                    s[..1].make_ascii_uppercase();
                    s
                } else {
                    sp.to_string()
                };
                w[i] = &sp;
                out.push((topic.to_string(), w.join(".")));
            }
        }
    }
    let last = levels::last(topic);
    let last_word = last.rsplit('_').next().unwrap_or(last);
    if field == "value"
        && VALUE_WORDS
            .iter()
            .any(|w| w.eq_ignore_ascii_case(last_word))
    {
        for suffix in ["_setpoint", "_sp"] {
            out.push((format!("{topic}{suffix}"), "value".to_string()));
        }
    }
    out
}

/// What a series' name says of setpoints: `(may have one, is one)`. A name's last or
/// last-but-one field word, or for a whole-payload reading its topic's last level's last word,
/// is one of [`VALUE_WORDS`] (it may have a setpoint, see [`setpoint_names`]) or of
/// [`SETPOINT_WORDS`] (it is one: the twin looks for the setpoints of other series again only
/// when one of these is added). One pass over the name, no allocation: asked of every new
/// series.
pub fn setpoint_role(topic: &str, field: &str) -> (bool, bool) {
    let in_list = |words: &[&str], w: &[u8]| {
        words
            .iter()
            .any(|x| x.len() == w.len() && x.as_bytes().eq_ignore_ascii_case(w))
    };
    // The part after the last `sep` (a plain loop: names are short).
    let after = |s: &[u8], sep: u8| s.iter().rposition(|&b| b == sep).map_or(0, |i| i + 1);
    let f = field.as_bytes();
    let start = after(f, b'.');
    let mut words: [&[u8]; 2] = [&f[start..], &[]];
    if start > 0 {
        let rest = &f[..start - 1];
        words[1] = &rest[after(rest, b'.')..];
    } else if field == "value" {
        let t = topic.as_bytes();
        let level = &t[after(t, b'/')..];
        words[1] = &level[after(level, b'_')..];
    }
    let role = |list: &[&str]| words.iter().any(|w| !w.is_empty() && in_list(list, w));
    (role(&VALUE_WORDS), role(&SETPOINT_WORDS))
}

/// A series' setpoint, once found: where it is, and the test.
#[derive(Debug, Clone)]
pub struct Setpoint {
    pub found: (String, String),
    pub tracking: Tracking,
}

impl Setpoint {
    /// The setpoint series found, and where the test stands.
    pub fn status(&self, floor: f64) -> Option<(String, Status)> {
        let (topic, field) = &self.found;
        let name = if field == "value" {
            topic.clone()
        } else {
            field.clone()
        };
        Some((name, self.tracking.status(floor)?))
    }
}

/// The difference of a series from its setpoint, learnt and judged.
#[derive(Debug, Clone)]
pub struct Tracking {
    /// The setpoint in force, since when (epoch ms), and the difference when it was set.
    sp: f64,
    sp_since_ms: i64,
    start_diff: f64,
    /// When the value reached it (epoch ms), if it has.
    reached_ms: Option<i64>,
    /// The minute being summed (epoch minutes), its Σ difference and count.
    minute: i64,
    sum: f64,
    n: u32,
    /// Settled minutes learnt, their mean difference and mean absolute deviation.
    learnt: u32,
    mean: f64,
    mad: f64,
    /// The longest a setpoint took to be reached (ms), over how many.
    reach_max_ms: i64,
    reaches: u32,
    /// The centre before the latest change taken as the normal (see [`Tracking::close`]).
    before: Option<f64>,
    /// Minutes in a row beyond the band, and whether not reaching was said for this setpoint.
    beyond: u8,
    unreached_said: bool,
    /// The slow test (see [`Slow`]).
    slow: Slow,
    /// The last report while settled at the setpoint in force (epoch ms), and the gaps
    /// between such reports: the longest and how many (see [`HELD_WARM`]).
    settled_ms: Option<i64>,
    gap_max_ms: i64,
    gaps: u32,
    /// The hold since the last report was said (once: the next report ends it).
    pub held_said: bool,
    /// When the setpoint went to 0 (epoch ms), and the last two readings since (oldest
    /// first), for the spike test at rest (see [`REST_MS`]).
    off_since_ms: Option<i64>,
    rest: [(i64, f64); 2],
    rest_len: u8,
    /// Where the series rested before the last step said at rest: a step back there is its
    /// return, no news.
    rest_from: Option<f64>,
    /// The reading before the last two, since the setpoint went to 0: a jump back to it
    /// within the minute ended the excursion the reading between made (see [`REST_MS`]).
    rest_before: Option<f64>,
    /// The mean |change| between readings at rest, and how many were learnt: a bed read to
    /// 0.01 °C every 10 s wanders by more than its resolution.
    rest_dev: f64,
    rest_n: u32,
    /// The smallest of those changes (see [`REST_DEADBAND_EVEN`]).
    rest_min: f64,
}

/// The slow test: the difference's means over [`SLOW_BLOCK`] settled minutes, learnt and
/// judged like the minutes. Premise: a loop that holds its value holds the mean difference
/// of ten minutes far steadier than that of one (its sawtooth averages out), so a creep of
/// the sensor's offset that the minute test follows unseen (it learns a slow change) shows
/// there: a Kepware oven zone's ten-minute means held +0.07 ± 0.05 °C all day while its minute
/// means swung with the controller's cycle. A block with a minute beyond the minute band is
/// the minute test's (a shift) and neither learnt nor judged.
#[derive(Debug, Clone, Default)]
struct Slow {
    /// The block being summed: Σ of its minute means, how many, whether one was beyond.
    sum: f64,
    n: u32,
    spoilt: bool,
    /// Blocks learnt, their mean and mean absolute deviation.
    learnt: u32,
    mean: f64,
    mad: f64,
    /// Blocks in a row beyond, and the centre before a change taken as the normal.
    beyond: u8,
    before: Option<f64>,
    /// The last block lay on the way back to `before` (see `close`).
    returning: bool,
}

impl Default for Tracking {
    fn default() -> Tracking {
        Tracking {
            sp: f64::NAN,
            sp_since_ms: 0,
            start_diff: 0.0,
            reached_ms: None,
            minute: i64::MIN,
            sum: 0.0,
            n: 0,
            learnt: 0,
            mean: 0.0,
            mad: 0.0,
            reach_max_ms: 0,
            reaches: 0,
            before: None,
            beyond: 0,
            unreached_said: false,
            slow: Slow::default(),
            settled_ms: None,
            gap_max_ms: 0,
            gaps: 0,
            held_said: false,
            off_since_ms: None,
            rest: [(0, 0.0); 2],
            rest_len: 0,
            rest_from: None,
            rest_before: None,
            rest_dev: 0.0,
            rest_n: 0,
            rest_min: f64::INFINITY,
        }
    }
}

/// What the tracking test found on a reading.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Off {
    /// How far beyond the bar (in the band's spread), and why.
    pub score: f64,
    pub reason: String,
    /// Found by the slow test (ten-minute means): a creep, said as a `drift`.
    pub slow: bool,
    /// A spike while off and at rest (see [`REST_MS`]): the reading's time (epoch ms).
    pub spike_ms: Option<i64>,
    /// A step while off and at rest that held (see [`REST_MS`]): the stepped reading's time.
    pub step_ms: Option<i64>,
    /// The bar a spike or step at rest was judged against, in scales ([`REST_SPIKE_RES`], or
    /// [`REST_DEADBAND_JUMPS`] for a value reported past a deadband).
    pub rest_bar: f64,
}

/// What the test knows of a series and its setpoint, for the screens and the snapshot.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Status {
    /// `off` (setpoint 0), `reaching` (not there since it was set), `learning` (fewer than
    /// [`TRACK_WARM`] settled minutes seen), or `judged`.
    pub state: &'static str,
    pub setpoint: f64,
    /// While judged: the difference it holds and its spread.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub holds: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spread: Option<f64>,
}

impl Status {
    /// One line for the detail view.
    pub fn line(&self) -> String {
        match (self.state, self.holds, self.spread) {
            ("judged", Some(h), Some(s)) => format!("{} {h:+.2} ± {s:.2}", self.setpoint),
            (state, _, _) => format!("{} · {state}", self.setpoint),
        }
    }
}

impl Tracking {
    /// Where the test stands (`None` before a setpoint was seen).
    pub fn status(&self, floor: f64) -> Option<Status> {
        if self.sp.is_nan() {
            return None;
        }
        let state = if self.sp == 0.0 {
            "off"
        } else if self.reached_ms.is_none() {
            "reaching"
        } else if self.learnt < TRACK_WARM {
            "learning"
        } else {
            "judged"
        };
        let judged = state == "judged";
        Some(Status {
            state,
            setpoint: self.sp,
            holds: judged.then_some(self.mean),
            spread: judged.then(|| self.spread(floor)),
        })
    }

    /// How long the value may send nothing while settled at an active setpoint before it is
    /// said to be held (see [`HELD_WARM`]): `None` while off, reaching, settling, before the
    /// gaps are learnt, or once the hold was said.
    pub fn held_limit_ms(&self) -> Option<i64> {
        (self.sp != 0.0 && self.settled_ms.is_some() && self.gaps >= HELD_WARM && !self.held_said)
            .then(|| (HELD_K * self.gap_max_ms).max(HELD_MIN_MS))
    }

    /// The setpoint in force (`NaN` before one was seen).
    pub fn setpoint(&self) -> f64 {
        self.sp
    }

    /// The longest gap learnt while settled (ms).
    pub fn gap_max_ms(&self) -> i64 {
        self.gap_max_ms
    }

    /// The spike test while off and at rest (see [`REST_MS`]) on reading `x` at `at_ms`;
    /// `res` is the series' resolution (nothing is judged while it is unknown).
    fn rest_spike(&mut self, x: f64, at_ms: i64, res: f64) -> Option<Off> {
        let since = self.off_since_ms?;
        // Its scale: the resolution, or how far it wanders between readings at rest if more.
        let scale = res.max(self.rest_dev);
        let bar = if self.rest_n >= REST_DEADBAND_SEEN
            && self.rest_min >= REST_DEADBAND_EVEN * self.rest_dev
        {
            REST_DEADBAND_JUMPS
        } else {
            REST_SPIKE_RES
        };
        let mut out = None;
        if res > 0.0 && self.rest_len == 2 {
            let [(t0, x0), (t1, x1)] = self.rest;
            let jump = x1 - x0;
            let back = (x - x0).abs() <= REST_BACK_RES * scale;
            let returned = self
                .rest_from
                .is_some_and(|r| (x1 - r).abs() <= REST_BACK_RES * scale);
            // Back within the minute: a spike's shape.
            let spike = back && at_ms - t1 <= REST_RETURN_MS;
            // … taken at rest, [`REST_MS`] at least after the reading before it (taken while
            // the value still cooled): what that reading was is what it came back to (a value
            // reported past a deadband held within it meanwhile; a steady one whose readings
            // were lost came back to it all the same), so the reading left a rest.
            let glitch_at_rest = spike && t1 >= since + REST_MS && t1 - t0 >= REST_MS;
            let undone = t1 - t0 <= REST_RETURN_MS
                && self
                    .rest_before
                    .is_some_and(|r| (x1 - r).abs() <= REST_BACK_RES * scale);
            if returned {
                self.rest_from = None;
            } else if undone {
                // Back where it rested before the reading it jumped from: that reading was the
                // excursion, unjudged where it came too soon after the heater went off.
            } else if (t0 >= since + REST_MS || glitch_at_rest) && jump.abs() >= bar * scale {
                let score = jump.abs() / scale;
                let why = format!(
                    "while its setpoint was 0 for {} min: at rest, with its heater off, its value moves only slowly ({score:.0}× its resolution or wander)",
                    (t1 - since) / 60_000
                );
                out = Some(if spike {
                    Off {
                        spike_ms: Some(t1),
                        rest_bar: bar,
                        score,
                        reason: format!(
                            "one reading of {x1} stood {jump:+.3} from {x0} and {x} around it {why}"
                        ),
                        ..Off::default()
                    }
                } else {
                    // (Not back within the minute: it held there, however it went on. A
                    // value reported past a deadband says nothing while it holds, so the
                    // step is said at the next report, which may be its return.)
                    self.rest_from = (!back).then_some(x0);
                    Off {
                        step_ms: Some(t1),
                        rest_bar: bar,
                        score,
                        reason: format!(
                            "it jumped {jump:+.3} from {x0} to {x1} and held {} min (next {x}) {why}",
                            (at_ms - t1) / 60_000
                        ),
                        ..Off::default()
                    }
                });
            }
        }
        // (What it wanders at rest, from changes smaller than a spike's.)
        if let Some(&(t, last)) = self.rest[..usize::from(self.rest_len)].last() {
            let d = (x - last).abs();
            if out.is_none() && t >= since + REST_MS && (d < bar * scale || res == 0.0) {
                self.rest_n = self.rest_n.saturating_add(1);
                self.rest_dev += (d - self.rest_dev) / f64::from(self.rest_n.min(100));
                self.rest_min = self.rest_min.min(d);
            }
        }
        if out.is_some() {
            // (What was said is not judged again: the next step is from this reading.)
            self.rest[0] = (at_ms, x);
            self.rest_len = 1;
            self.rest_before = None;
        } else if self.rest_len == 2 {
            self.rest_before = Some(self.rest[0].1);
            self.rest[0] = self.rest[1];
            self.rest[1] = (at_ms, x);
        } else {
            self.rest[usize::from(self.rest_len)] = (at_ms, x);
            self.rest_len += 1;
        }
        out
    }

    /// The band a settled difference keeps: the learnt spread, at least `floor` (the
    /// series' resolution and noise).
    fn spread(&self, floor: f64) -> f64 {
        (1.25 * self.mad).max(floor)
    }

    /// Takes in a reading `x` while the setpoint is `sp`, at `at_ms`; `floor` is what the
    /// series can move unseen. Returns a finding when the difference is news.
    pub fn observe(&mut self, x: f64, sp: f64, at_ms: i64, floor: f64) -> Option<Off> {
        if !x.is_finite() || !sp.is_finite() {
            return None;
        }
        let diff = x - sp;
        self.held_said = false;
        if sp != self.sp {
            self.sp = sp;
            self.sp_since_ms = at_ms;
            self.start_diff = diff;
            self.reached_ms = None;
            self.beyond = 0;
            self.n = 0;
            self.unreached_said = false;
            self.settled_ms = None;
            self.off_since_ms = (sp == 0.0).then_some(at_ms);
            self.rest_len = 0;
            self.rest_before = None;
            self.rest_from = None;
            // (A block holds settled minutes of one setpoint.)
            self.slow.sum = 0.0;
            self.slow.n = 0;
            self.slow.spoilt = false;
            return None;
        }
        // A setpoint of 0: the controller is off; only a spike at rest is judged.
        if sp == 0.0 {
            return self.rest_spike(x, at_ms, floor);
        }
        let band = 2.0 * self.spread(floor);
        let Some(reached) = self.reached_ms else {
            if diff.abs() <= band || diff.signum() != self.start_diff.signum() {
                self.reached_ms = Some(at_ms);
                // How long it took, when it had a way to go.
                if self.start_diff.abs() > 3.0 * band {
                    self.reach_max_ms = self.reach_max_ms.max(at_ms - self.sp_since_ms);
                    self.reaches += 1;
                }
                return None;
            }
            let waited = at_ms - self.sp_since_ms;
            if self.reaches > 0
                && !self.unreached_said
                && self.start_diff.abs() > 3.0 * band
                && waited > TRACK_REACH_MIN_MS.max(2 * self.reach_max_ms)
            {
                self.unreached_said = true;
                return Some(Off {
                    score: waited as f64 / (2 * self.reach_max_ms).max(1) as f64,
                    reason: format!(
                        "{x} has not reached its setpoint {sp} in {} min (it reached earlier ones within {} min)",
                        waited / 60_000,
                        (self.reach_max_ms + 59_999) / 60_000
                    ),
                    ..Off::default()
                });
            }
            return None;
        };
        if at_ms - reached < TRACK_SETTLE_MS {
            return None;
        }
        // (A gap longer than the limit was a hold said, or one that would have been: not
        // learnt.)
        if let Some(last) = self.settled_ms {
            let gap = at_ms - last;
            if self.held_limit_ms().is_none_or(|limit| gap <= limit) {
                self.gap_max_ms = self.gap_max_ms.max(gap);
                self.gaps = self.gaps.saturating_add(1);
            }
        }
        self.settled_ms = Some(at_ms);
        let minute = at_ms.div_euclid(60_000);
        let mut out = None;
        if minute > self.minute {
            if self.n > 0 {
                out = self.close(sp, floor);
            }
            self.minute = minute;
            self.sum = 0.0;
            self.n = 0;
        }
        self.sum += diff;
        self.n += 1;
        out
    }

    /// Judges, else learns, the minute that closed, and the block it completes.
    fn close(&mut self, sp: f64, floor: f64) -> Option<Off> {
        let m = self.sum / f64::from(self.n);
        let shifted = self.before.is_some();
        let minute = self.close_minute(m, sp, floor);
        // (A minute beyond the band, one judged before the band was known, and one while a
        // shift the minute test took as the normal lasts or ends, spoil their block.)
        self.slow.spoilt |= self.beyond > 0
            || minute.is_some()
            || self.learnt < TRACK_WARM
            || shifted
            || self.before.is_some();
        self.slow.sum += m;
        self.slow.n += 1;
        let block = if self.slow.n >= SLOW_BLOCK {
            let b = self.slow.sum / f64::from(self.slow.n);
            let spoilt = self.slow.spoilt;
            (self.slow.sum, self.slow.n, self.slow.spoilt) = (0.0, 0, false);
            (!spoilt).then(|| self.slow.close(b, sp, floor)).flatten()
        } else {
            None
        };
        minute.or(block)
    }

    /// Judges, else learns, the minute whose mean difference was `m`.
    fn close_minute(&mut self, m: f64, sp: f64, floor: f64) -> Option<Off> {
        if self.learnt >= TRACK_WARM {
            let spread = self.spread(floor);
            // Back at the centre it held before a change taken as the normal: that again.
            if let Some(b) = self.before.filter(|b| ((m - b) / spread).abs() <= TRACK_K) {
                self.mean = b;
                self.before = None;
                self.beyond = 0;
                return None;
            }
            let z = (m - self.mean) / spread;
            if z.abs() > TRACK_K {
                self.beyond = self.beyond.saturating_add(1);
                // Beyond for as long as the twin takes a persistent change as the normal:
                // the new difference is the band's centre from now on.
                // (The old centre is kept: coming back to it is no news.)
                if i64::from(self.beyond) * 60 >= super::judging::ADOPT_AFTER_S {
                    self.before = Some(self.mean);
                    self.mean = m;
                    self.beyond = 0;
                    return None;
                }
                if self.beyond >= TRACK_MINUTES {
                    return Some(Off {
                        score: z,
                        reason: format!(
                            "it holds {m:+.3} from its setpoint {sp} for {} min, where it held {:+.3} ± {spread:.3} ({:.1}× that)",
                            self.beyond,
                            self.mean,
                            z.abs()
                        ),
                        ..Off::default()
                    });
                }
                return None;
            }
            self.beyond = 0;
            learn(&mut self.mean, &mut self.mad, m, ALPHA);
        } else {
            self.learnt += 1;
            learn(
                &mut self.mean,
                &mut self.mad,
                m,
                1.0 / f64::from(self.learnt),
            );
        }
        None
    }
}

/// Moves a band's centre `mean` and its mean absolute deviation `mad` toward `x` at `rate`
/// (1 / n for a plain mean over the first n, then a running one).
fn learn(mean: &mut f64, mad: &mut f64, x: f64, rate: f64) {
    *mean += rate * (x - *mean);
    *mad += rate * ((x - *mean).abs() - *mad);
}

impl Slow {
    /// Judges, else learns, a block whose mean difference was `b`.
    fn close(&mut self, b: f64, sp: f64, floor: f64) -> Option<Off> {
        if self.learnt < SLOW_WARM {
            self.learnt += 1;
            learn(
                &mut self.mean,
                &mut self.mad,
                b,
                1.0 / f64::from(self.learnt),
            );
            return None;
        }
        // (A block's mean is of many readings: finer than the series' resolution, which
        // bounds one reading, by the square root of its minutes at least.)
        let spread = (1.25 * self.mad).max(floor / f64::from(SLOW_BLOCK).sqrt());
        // Back at the centre it held before a creep taken as the normal (an ordinary block
        // there, not one still within the bar of it): that again.
        if let Some(c) = self
            .before
            .filter(|c| ((b - c) / spread).abs() <= SLOW_LEARN_K)
        {
            self.mean = c;
            self.before = None;
            self.beyond = 0;
            return None;
        }
        // A block beyond the centre it crept to, strictly between it and the one it held
        // before, is on its way back (a ten-minute mean that straddles a drifted probe's step
        // back: an oven zone's came back from +2.9 to +0.27 for one block, then to +0.05 where
        // it held; a false drift ten minutes after the fault's end, held-out 24 h plant seeds
        // 66, 77, 97, 104): not judged, once; the next block is back or is judged.
        if let Some(c) = self.before {
            let away = ((b - self.mean) / spread).abs() > SLOW_LEARN_K;
            if !self.returning && away && b > c.min(self.mean) && b < c.max(self.mean) {
                self.returning = true;
                self.beyond = 0;
                return None;
            }
        }
        self.returning = false;
        let z = (b - self.mean) / spread;
        if z.abs() <= TRACK_K {
            self.beyond = 0;
            // Learnt from ordinary blocks only: a creep on its way to the bar must not widen
            // the band it is measured against.
            if z.abs() <= SLOW_LEARN_K {
                learn(&mut self.mean, &mut self.mad, b, SLOW_ALPHA);
            }
            return None;
        }
        self.beyond = self.beyond.saturating_add(1);
        if self.beyond < SLOW_BLOCKS {
            return None;
        }
        // Said once; the difference it crept to is the centre from now on (the first centre
        // is kept: coming back to it is no news), so a creep that goes on is said again only
        // once it has gone as far again.
        let held = self.mean;
        self.before.get_or_insert(held);
        self.mean = b;
        self.beyond = 0;
        Some(Off {
            slow: true,
            score: z,
            reason: format!(
                "its ten-minute mean difference from its setpoint {sp} crept to {b:+.3}, where it held {held:+.3} ± {spread:.3} ({:.1}× that)",
                z.abs()
            ),
            ..Off::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An oven zone every 5 s from `from` to `to` seconds: its controller's sawtooth of
    /// ±1.5 °C about the setpoint, plus `off(t)`, read to 0.1 °C.
    fn oven(t: &mut Tracking, sp: f64, from: i64, to: i64, off: impl Fn(i64) -> f64) -> Vec<i64> {
        oven_all(t, sp, from, to, off)
            .into_iter()
            .map(|(s, _)| s)
            .collect()
    }

    /// [`oven`], each finding with whether the slow test made it.
    fn oven_all(
        t: &mut Tracking,
        sp: f64,
        from: i64,
        to: i64,
        off: impl Fn(i64) -> f64,
    ) -> Vec<(i64, bool)> {
        let mut found = Vec::new();
        let mut rng = fastrand::Rng::with_seed(3);
        for s in (from..to).step_by(5) {
            let saw = 3.0 * ((s % 40) as f64 / 40.0 - 0.5).abs() * 2.0 - 1.5;
            let x = sp + saw + off(s) + 0.2 * (rng.f64() - 0.5);
            let x = (x * 10.0).round() / 10.0;
            if let Some(off) = t.observe(x, sp, s * 1000, 0.1) {
                found.push((s, off.slow));
            }
        }
        found
    }

    /// Heating from 20 to 180 over the first ten minutes, as an offset from the setpoint 180.
    fn heat(s: i64) -> f64 {
        if s < 600 {
            (s as f64 / 600.0 - 1.0) * 160.0
        } else {
            0.0
        }
    }

    #[test]
    fn a_controlled_value_that_leaves_its_setpoint_is_news_and_its_return_is_not() {
        let mut t = Tracking::default();
        // Heats from 20 to 180 over ten minutes, then holds it for three hours.
        assert_eq!(oven(&mut t, 180.0, 0, 3 * 3600, heat), Vec::<i64>::new());
        assert!(t.learnt >= TRACK_WARM);
        // Then reads 3 °C high for 25 minutes: said within four minutes, once taken as the
        // normal not said again, and its end is no news either.
        let shift = |s: i64| if s < 3 * 3600 + 1500 { 3.0 } else { 0.0 };
        let found = oven(&mut t, 180.0, 3 * 3600, 4 * 3600, shift);
        assert!(!found.is_empty(), "the shift");
        assert!(found[0] < 3 * 3600 + 240, "{found:?}");
        assert!(
            found.iter().all(|s| *s < 3 * 3600 + 660),
            "said until taken as the normal, not after it ended: {found:?}"
        );
    }

    #[test]
    fn a_creep_the_minutes_follow_is_said_by_the_ten_minute_means() {
        let mut t = Tracking::default();
        // Heats and holds 180 for eight hours: nothing.
        assert_eq!(oven_all(&mut t, 180.0, 0, 8 * 3600, heat), []);
        assert!(t.slow.learnt >= SLOW_WARM);
        // Then its probe creeps 0.2 °C an hour for five hours: the minute test follows it
        // unseen; the ten-minute means say it, as a creep, before it reaches 1 °C.
        let start = 8 * 3600;
        let creep = |s: i64| 0.2 * (s - start) as f64 / 3600.0;
        let found = oven_all(&mut t, 180.0, start, 13 * 3600, creep);
        assert!(!found.is_empty(), "the creep");
        assert!(found.iter().all(|(_, slow)| *slow), "{found:?}");
        assert!(
            creep(found[0].0) < 1.0,
            "said at {:.2} °C",
            creep(found[0].0)
        );
        // A shift of 3 °C for 20 to 60 minutes is the minute test's alone: no block judges
        // it, nor its end (the minute test took it as the normal after ten minutes).
        for minutes in [20, 23, 27, 35, 45, 60] {
            let mut t = Tracking::default();
            oven(&mut t, 180.0, 0, 4 * 3600, heat);
            let end = 4 * 3600 + minutes * 60;
            let shift = |s: i64| if s < end { 3.0 } else { 0.0 };
            let found = oven_all(&mut t, 180.0, 4 * 3600, 6 * 3600, shift);
            assert!(
                !found.is_empty() && found.iter().all(|(_, slow)| !slow),
                "{minutes} min: {found:?}"
            );
        }
    }

    #[test]
    fn a_drifted_probe_stepping_back_to_where_it_held_is_no_new_creep() {
        // Heats and holds 180 for eight hours; then its probe creeps 3 °C an hour for 50 to 59
        // minutes and steps back at once, and the zone holds 180 for an hour more. The creep
        // is said; after the step back (whatever part of a ten-minute block it falls in),
        // nothing: the block that straddles it lies on the way back.
        for minutes in 50..60 {
            let mut t = Tracking::default();
            oven(&mut t, 180.0, 0, 8 * 3600, heat);
            let (start, end) = (8 * 3600, 8 * 3600 + minutes * 60);
            let creep = |s: i64| {
                if s < end {
                    3.0 * (s - start) as f64 / 3600.0
                } else {
                    0.0
                }
            };
            let found = oven_all(&mut t, 180.0, start, end + 3600, creep);
            assert!(!found.is_empty(), "{minutes} min: the creep");
            assert!(
                found.iter().all(|(s, slow)| *slow && *s < end),
                "{minutes} min: {found:?}"
            );
        }
    }

    #[test]
    fn a_glitch_of_a_heater_at_rest_is_a_spike_and_its_cooling_is_not() {
        // A printer's bed read to 1 °C steps: held at 60, switched off at 0 s, cooling a degree
        // a minute to 20 (with a glitch of +6 back at once 20 minutes in, before it rests),
        // then at rest with a report an hour. At 5 h a reading of 29 between two of 20 (2 s
        // apart); at 6 h a step to 27 that stays.
        let mut t = Tracking::default();
        let min = 60_000;
        let mut found = Vec::new();
        let feed = |t: &mut Tracking, found: &mut Vec<_>, ms: i64, x: f64, sp: f64| {
            if let Some(o) = t.observe(x, sp, ms, 1.0) {
                found.push((ms, o.spike_ms, o.slow));
            }
        };
        for i in 0..40 {
            feed(&mut t, &mut found, -40 * min + i * min, 60.0, 60.0);
        }
        for i in 0..=40 {
            feed(&mut t, &mut found, i * min, 60.0 - i as f64, 0.0);
            if i == 20 {
                feed(&mut t, &mut found, i * min + 2_000, 46.0, 0.0);
            }
        }
        for h in 1..5 {
            feed(&mut t, &mut found, h * 60 * min, 20.0 + (h % 2) as f64, 0.0);
        }
        assert_eq!(found, [], "cooling and its first half hour are no spike");
        let at = 300 * min;
        feed(&mut t, &mut found, at, 29.0, 0.0);
        feed(&mut t, &mut found, at + 2_000, 20.0, 0.0);
        assert_eq!(found, [(at + 2_000, Some(at), false)]);
        // A step that stays is no spike: a level shift, said at the reading after it (and
        // nothing of what follows it).
        feed(&mut t, &mut found, 360 * min, 27.0, 0.0);
        feed(&mut t, &mut found, 361 * min, 27.0, 0.0);
        feed(&mut t, &mut found, 362 * min, 27.0, 0.0);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[1], (361 * min, None, false));
        // A step reported past a deadband that holds 25 minutes and comes back at its next
        // report: a level shift too, said at that report.
        feed(&mut t, &mut found, 420 * min, 20.0, 0.0);
        let n = found.len();
        feed(&mut t, &mut found, 480 * min, 27.3, 0.0);
        feed(&mut t, &mut found, 505 * min, 20.6, 0.0);
        assert_eq!(found[n..], [(505 * min, None, false)], "{found:?}");
    }

    #[test]
    fn a_glitch_whose_neighbour_before_was_still_cooling_is_a_spike_and_no_level_to_step_from() {
        // An idle hotend reported on change: off at 0, it cools to 20.85 in five minutes and
        // says nothing for six hours; then -1.19 and, two seconds later, 20.85 again: a spike,
        // though the -1.19's neighbour before was taken while it cooled (six hours before: it
        // came back to where it rested). Its next report, five hours on, 28.8: a level shift
        // "from -1.19" would be false. `rested`: a report of 20.85 an hour after the heater
        // went off, at rest.
        let min = 60_000;
        let run = |first: f64, rested: bool| {
            let mut t = Tracking::default();
            let mut found = Vec::new();
            let mut feed = |ms: i64, x: f64, sp: f64| {
                if let Some(o) = t.observe(x, sp, ms, 0.01) {
                    found.push((ms, o.spike_ms, o.step_ms));
                }
            };
            feed(-min, 215.0, 215.0);
            for (i, x) in [60.0, 35.0, 26.0, 21.86, 20.85].into_iter().enumerate() {
                feed(i as i64 * min, x, 0.0);
            }
            if rested {
                feed(60 * min, 20.85, 0.0);
            }
            feed(360 * min, first, 0.0);
            feed(
                360 * min + 2_000,
                if first < 0.0 { 20.85 } else { first },
                0.0,
            );
            feed(690 * min, 28.8, 0.0);
            found
        };
        let at = 360 * min;
        assert_eq!(run(-1.19, false), [(at + 2_000, Some(at), None)]);
        // From a reading at rest too, and nothing comes of it after.
        assert_eq!(run(-1.19, true), [(at + 2_000, Some(at), None)]);
        // A step from where it rested that held is a level shift, said at the reading after;
        // from a reading taken while it cooled, nothing is known of where it rested.
        assert_eq!(run(27.3, true), [(at + 2_000, None, Some(at))]);
        assert_eq!(run(27.3, false), []);
    }

    #[test]
    fn a_jump_of_a_few_deadbands_at_rest_is_a_step_where_the_value_reports_past_one() {
        // An idle hotend reported past the OctoPrint plugin's 1 °C threshold (its resolution
        // learnt as that): off at 0, it cools to 17.58, then warms with its room, one report
        // at each 1.03 °C, hours apart; then +4.5 (4.4 of its changes at rest), and 57
        // minutes later back: a step that held, said at that report. `changes`: its changes
        // at rest between reports; `floor`: its resolution.
        let min = 60_000;
        let run = |changes: &[f64], jump: f64, floor: f64| {
            let mut t = Tracking::default();
            let mut found = Vec::new();
            let mut feed = |ms: i64, x: f64, sp: f64| {
                if let Some(o) = t.observe(x, sp, ms, floor) {
                    found.push((ms, o.step_ms, o.rest_bar));
                }
            };
            feed(-min, 215.0, 215.0);
            for (i, x) in [60.0, 35.0, 26.0, 21.86, 18.6, 17.58]
                .into_iter()
                .enumerate()
            {
                feed(i as i64 * min, x, 0.0);
            }
            let mut x = 17.58;
            let mut at = 90 * min;
            for d in changes {
                x += d;
                feed(at, x, 0.0);
                at += 40 * min;
            }
            feed(at + 300 * min, x + jump, 0.0);
            feed(at + 357 * min, x + 0.28, 0.0);
            (found, at + 300 * min)
        };
        let (found, at) = run(&[1.04, 1.03, 1.03], 4.5, 1.0);
        assert_eq!(found, [(at + 57 * min, Some(at), REST_DEADBAND_JUMPS)]);
        // A value read steadily at rest (to 0.1 °C) changes by every size between its
        // readings (a mean of 0.22 learnt here): 4 of them is within its wander.
        let (found, _) = run(&[0.4, 0.1, 0.3, 0.05, 0.45, 0.2], 0.9, 0.1);
        assert_eq!(found, []);
    }

    #[test]
    fn a_value_that_does_not_reach_its_setpoint_is_news_and_a_heater_off_is_not() {
        let mut t = Tracking::default();
        // A bed idle at 20 °C (target 0: off) for an hour, then a print: 60 °C reached in
        // 8 minutes, held an hour, off again.
        let mut at = 0;
        let mut feed = |t: &mut Tracking, x: f64, sp: f64| {
            at += 10_000;
            t.observe(x, sp, at, 0.01)
        };
        for _ in 0..360 {
            assert_eq!(feed(&mut t, 20.0, 0.0), None);
        }
        for i in 0..48 {
            assert_eq!(feed(&mut t, 20.0 + 40.0 * f64::from(i) / 47.0, 60.0), None);
        }
        for i in 0..360 {
            let x = 60.0 + if i % 2 == 0 { 0.1 } else { -0.1 };
            assert_eq!(feed(&mut t, x, 60.0), None);
        }
        for _ in 0..360 {
            assert_eq!(feed(&mut t, 25.0, 0.0), None, "off is no news");
        }
        // The next print stops 5 °C short: said once, when it has taken twice the 8 minutes
        // the first one took.
        let mut said = Vec::new();
        for i in 0..180 {
            let x = (25.0 + 30.0 * f64::from(i) / 47.0).min(55.0);
            if let Some(off) = feed(&mut t, x, 60.0) {
                said.push((i, off.reason));
            }
        }
        assert_eq!(said.len(), 1, "{said:?}");
        assert!((94..=97).contains(&said[0].0), "{said:?}");
        assert!(
            said[0].1.contains("has not reached its setpoint 60"),
            "{said:?}"
        );
    }

    #[test]
    fn setpoints_are_found_by_name() {
        let names = setpoint_names(
            "iotgateway/line2/oven1",
            "values.Line2.Oven1.Zone1.Temperature.v",
        );
        assert!(names.contains(&(
            "iotgateway/line2/oven1".to_string(),
            "values.Line2.Oven1.Zone1.Setpoint.v".to_string()
        )));
        let names = setpoint_names("octoPrint/temperature/bed", "actual");
        assert_eq!(
            names[0],
            ("octoPrint/temperature/bed".into(), "target".into())
        );
        let names = setpoint_names("acme/hamburg/line1/press1/mold_temp", "value");
        assert!(names.contains(&(
            "acme/hamburg/line1/press1/mold_temp_setpoint".into(),
            "value".into()
        )));
        assert!(setpoint_names("home/kitchen", "humidity").is_empty());
        assert!(setpoint_names("a/b_setpoint", "value").is_empty());
        // The cheap tests agree with the names.
        let role = setpoint_role;
        assert_eq!(role("octoPrint/temperature/bed", "actual"), (true, false));
        assert_eq!(role("oven1", "values.Zone1.Temperature.v"), (true, false));
        assert_eq!(role("acme/line1/press1/mold_temp", "value"), (true, false));
        assert_eq!(role("home/kitchen", "humidity"), (false, false));
        assert_eq!(role("octoPrint/temperature/bed", "target"), (false, true));
        assert_eq!(role("oven1", "values.Zone1.Setpoint.v"), (false, true));
        assert_eq!(
            role("acme/line1/press1/mold_temp_setpoint", "value"),
            (false, true)
        );
        assert_eq!(role("home/kitchen", "value"), (false, false));
        assert_eq!(
            role("a/temp", "x.y.z"),
            (false, false),
            "only a field's last two words"
        );
    }
}
