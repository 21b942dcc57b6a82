//! A series that wakes with its device's state: a pump's flow, sent by exception and silent
//! while its pump rests, reports again in the very message that turns its `Running` true.
//!
//! Premise: a reading silent for [`FOLLOW_QUIET_MS`] or more that reported again within
//! [`FOLLOW_WITHIN_MS`] of each of the last [`FOLLOW_LEARNT`] changes of one state of its
//! device to one value (a word or a flag: `Running` turning true, `RUNNING`; not its liveness,
//! not a value with a digit) measures what that state starts. When the state turns to that
//! value again while the reading is silent, and it then sends nothing at all for
//! [`FOLLOW_LATE_LAGS`] times the longest it ever lagged, and [`FOLLOW_LATE_MIN_MS`] at least,
//! its value is held: the probe is stuck, or what it measures did not follow (a flow meter
//! read 0 while its pump ran). Twinview cannot tell which, and says both. A series that
//! reports without waking with the state (it reports all the time, or it woke late by itself)
//! is not judged by this rule, and one that woke late starts its learning again. Two such
//! wakings in a row are not chance: a series that reports every quarter of an hour, by
//! itself, falls within 10 s of a change about once in 45, twice in a row about once in 2,000.
//! The case: a Sparkplug pump whose flow was held at 0 from its rest into its next run, its
//! `Running` true and its pressure up for five minutes before the flow's first report (plant
//! seeds 32, 45, 102 and 172: missed before).
//!
//! Memory: one small box for a series that was silent at a change of its device's state or
//! woke with one; nothing for the others. Cost: a look through the series at a state's change
//! (rare), and one comparison per series in the silence pass.

use super::*;

/// A report within this long of its device's state's change, either way, woke with it …
pub const FOLLOW_WITHIN_MS: i64 = 10_000;
/// … after a silence this long at least.
pub const FOLLOW_QUIET_MS: i64 = 10 * 60_000;
/// Such changes in a row the series woke with before one it did not wake with is news.
pub const FOLLOW_LEARNT: u8 = 2;
/// How long the series may send nothing after the state's change, in its longest lag …
pub const FOLLOW_LATE_LAGS: i64 = 3;
/// … and at least.
pub const FOLLOW_LATE_MIN_MS: i64 = 120_000;

/// The state a series wakes with, and how well.
#[derive(Debug, Clone, Default)]
pub struct Follows {
    /// The state's topic and field (of the series' device), and the value the series wakes
    /// with (a pump's flow with `Running` turning true, not false: it is the flow's stop that
    /// comes with that, and its motor's temperature wakes with the start only, its cooling
    /// taking minutes to show).
    pub topic: String,
    pub field: String,
    pub to: String,
    /// Its changes in a row the series woke with (see [`FOLLOW_LEARNT`]).
    pub streak: u8,
    /// The longest it lagged the state (ms).
    pub lag_ms: i64,
    /// The state changed then (epoch ms) to that value while the series was silent, and it
    /// has not reported since.
    pub awaiting: Option<i64>,
}

impl Follows {
    /// Nothing learnt yet of `topic`'s `field` turning `to`.
    fn of(topic: &str, field: &str, to: &str) -> Follows {
        Follows {
            topic: topic.to_string(),
            field: field.to_string(),
            to: to.to_string(),
            ..Follows::default()
        }
    }

    /// When the series, silent since the state's change at `since`, is held (epoch ms).
    pub fn due_ms(&self, since: i64) -> i64 {
        since + (FOLLOW_LATE_LAGS * self.lag_ms).max(FOLLOW_LATE_MIN_MS)
    }

    /// The series woke with a change `lag_ms` away.
    fn followed(&mut self, lag_ms: i64) {
        self.streak = self.streak.saturating_add(1);
        self.lag_ms = self.lag_ms.max(lag_ms);
        self.awaiting = None;
    }
}

/// A state's value that says no mode of a machine: its liveness, a reading's failure word, or
/// a value with a digit (a time, a counter, a firmware version).
pub(super) fn no_mode(v: &str) -> bool {
    matches!(
        v.to_ascii_lowercase().as_str(),
        "online" | "offline" | "nan" | "unavailable" | "unknown" | "none" | "null" | ""
    ) || v.chars().any(|c| c.is_ascii_digit())
}

impl Twin {
    /// A state (`topic`'s `field`) of `device` changed from `from` to `to` at `at` (both naming a
    /// mode: see [`no_mode`]; the caller asks, before it looks up the device): each series
    /// of the device that had been silent [`FOLLOW_QUIET_MS`] and reported within
    /// [`FOLLOW_WITHIN_MS`] before woke with it; each one silent that long now awaits it.
    pub(super) fn state_changed(
        &mut self,
        device: &str,
        (topic, field): (&str, &str),
        (from, to): (&str, &str),
        at: DateTime<Utc>,
    ) {
        debug_assert!(!no_mode(from) && !no_mode(to));
        let ms = at.timestamp_millis();
        let mut due = None;
        for s in self.series.iter_mut().filter(|s| s.device == device) {
            let mut reports = s.window.points().rev().map(|(t, _)| t);
            let (last, before) = (reports.next(), reports.next());
            let Some(last) = last else {
                continue;
            };
            let woke =
                ms - last <= FOLLOW_WITHIN_MS && before.is_none_or(|b| last - b >= FOLLOW_QUIET_MS);
            let silent = ms - last >= FOLLOW_QUIET_MS;
            if !woke && !silent {
                continue;
            }
            let same = |f: &Follows| f.topic == topic && f.field == field && f.to == to;
            if woke {
                let f = s.follows.get_or_insert_with(Box::default);
                if !same(f) {
                    **f = Follows::of(topic, field, to);
                }
                f.followed(ms - last);
            } else {
                // (A series that learnt no other state yet awaits this one, to learn whether it
                // wakes with it when its report comes after the state's.)
                if s.follows.as_ref().is_none_or(|f| f.streak == 0 && !same(f)) {
                    s.follows = Some(Box::new(Follows::of(topic, field, to)));
                }
                if let Some(f) = s.follows.as_mut().filter(|f| same(f)) {
                    f.awaiting = Some(ms);
                    let at = f.due_ms(ms);
                    due = Some(due.map_or(at, |d: i64| d.min(at)));
                }
            }
        }
        if let Some(at) = due.and_then(DateTime::from_timestamp_millis) {
            self.silence_soon(at);
        }
    }

    /// Series `idx` reported at `ms`: it woke with the state it awaited, or late.
    pub(super) fn follow_reading(&mut self, idx: usize, ms: i64) {
        let Some(f) = self.series[idx].follows.as_mut() else {
            return;
        };
        if let Some(since) = f.awaiting {
            if ms - since <= FOLLOW_WITHIN_MS {
                f.followed(ms - since);
            } else {
                // Late, by itself: its learning starts again.
                f.streak = 0;
                f.awaiting = None;
            }
        }
    }

    /// The silence pass's look at series `idx` (see the module's premise): a finding once it
    /// is held, else when it will be (epoch ms).
    pub(super) fn held_against_state(&self, idx: usize, now: DateTime<Utc>) -> HeldAgainst {
        let s = &self.series[idx];
        let Some((f, since)) = s
            .follows
            .as_ref()
            .and_then(|f| f.awaiting.as_ref().map(|a| (f, a)))
            .filter(|(f, _)| f.streak >= FOLLOW_LEARNT && s.episode.is_none())
        else {
            return HeldAgainst::No;
        };
        let due = f.due_ms(*since);
        let to = &f.to;
        if now.timestamp_millis() < due {
            return HeldAgainst::Due(due);
        }
        let start = DateTime::from_timestamp_millis(*since).unwrap_or(now);
        let quiet_s = (now - start).num_seconds();
        // (A plain value is named by its topic's last level: a press's `state`.)
        let state = match f.field.as_str() {
            "value" => f.topic.rsplit('/').next().unwrap_or(&f.topic),
            field => field,
        };
        HeldAgainst::Held(Finding {
            kind: EpisodeKind::Stuck,
            at: start,
            score: (now.timestamp_millis() - since) as f64 / (due - since).max(1) as f64,
            threshold: 1.0,
            reason: format!(
                "its device's {state} turned {to} at {} and it has sent nothing since ({quiet_s} s), held at {}, where it reported again within {:.0} s of each of that state's last {} changes after a silence: stuck, or what it measures did not follow",
                start.format("%H:%M:%S"),
                s.last,
                f.lag_ms as f64 / 1000.0,
                f.streak,
            ),
        })
    }

    /// Series `idx` was said held against its device's state: its learning starts again.
    pub(super) fn held_said(&mut self, idx: usize) {
        if let Some(f) = self.series[idx].follows.as_mut() {
            f.streak = 0;
            f.awaiting = None;
        }
    }
}

/// What [`Twin::held_against_state`] says.
pub(super) enum HeldAgainst {
    No,
    Due(i64),
    Held(Finding),
}
