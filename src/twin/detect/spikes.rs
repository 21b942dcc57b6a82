//! Spikes as a series' life: a sensor whose readings jump out and straight back now and then.
//!
//! Premise: a spike is news where a series does not spike. One that has shown
//! [`LIFE_N`] spikes said, spread over a day at least ([`LIFE_SPAN_MS`]) and all within a week
//! ([`LIFE_WINDOW_MS`]), spikes as part of its life: a DHT22's bad reads, a CPU's short bursts
//! caught by a five-minute sample, a meter's occasional misread. Saying each of them again
//! teaches its user to ignore the series. From the spike that makes the count on, a spike no
//! larger than [`LIFE_MARGIN`] × the largest of those is not said; the spike that makes the
//! count says so once, in its reason. A larger one is still said (and counted: the life grows
//! to the largest of the last five, saying so in that spike's reason). Spikes of that size
//! that come [`LIFE_FASTER`] times as often as the five that taught it are news once, and
//! their pace is its life from then on. A month without a spike past the bar
//! ([`LIFE_FORGET_MS`]) forgets it all: the premise no longer holds, and the next spike is news
//! again. (A week was too short: a rain gauge's showers, its spikes among zeros, stop for a
//! dry fortnight, and it said five more spikes to learn its life again.)
//!
//! A spell: [`SPELL_N`] spikes said within an hour (and over ten minutes at least: quicker,
//! they are a burst's) are a spell of them; the third says so once, and spikes up to
//! [`LIFE_MARGIN`] × the largest of the spell are not said until [`SPELL_QUIET_MS`] pass without
//! a spike past the bar; a larger one is said and the spell grows to it. Premise: spikes that
//! come every few minutes are one thing happening (broken clouds over a PV array, a storm on a
//! radio link, a loose contact shaken), said by its first three; each further one adds nothing
//! but an episode (a PV inverter's first cloudy day after a sunny week: nine spikes and three
//! bursts became three spikes and four bursts). What it cannot know: a second fault that
//! spikes within such a spell looks the same.
//!
//! What it cannot know: a glitch that comes back more often with a failing part (a loose
//! contact), but less than [`LIFE_FASTER`] times as often at a time, looks the same once its
//! size is learnt; the five said before are in the events,
//! the store and the alarms. A burst of spikes within an hour teaches nothing (they span less
//! than a day): that is a noise burst's or a fault's, not a life's.
//!
//! Cost: O(1) per spike said (a ring of five); nothing for a series that never spiked (the
//! state is boxed at its first spike).

/// Spikes said before their sizes are taken as the series' life.
pub const LIFE_N: usize = 5;
/// The first and the last of them at least this far apart (a day).
pub const LIFE_SPAN_MS: i64 = 24 * 3_600_000;
/// And all within this (a week).
pub const LIFE_WINDOW_MS: i64 = 7 * 24 * 3_600_000;
/// A spike up to this many times the largest of them is the series' life.
pub const LIFE_MARGIN: f64 = 1.5;
/// A series without a spike past the bar for this long (30 days) forgets its spikes.
pub const LIFE_FORGET_MS: i64 = 30 * 24 * 3_600_000;

/// Spikes of its life's size that come this many times as often as its life's are news (once:
/// the new pace is its life from then on). Premise: a glitch's rate is part of its life as much
/// as its size; a part failing, or a process gone unstable, spikes more often (NAB's
/// `art_increase_spike_density` is that shape).
pub const LIFE_FASTER: i64 = 4;

/// Spikes said that make a spell of them: this many …
pub const SPELL_N: usize = 3;
/// … spanning at least this (ten minutes: quicker, they are a burst's, which the burst test
/// judges) and at most this (an hour).
pub const SPELL_MIN_MS: i64 = 10 * 60_000;
pub const SPELL_MAX_MS: i64 = 3_600_000;
/// A spell is over after this long without a spike past the bar (two hours).
pub const SPELL_QUIET_MS: i64 = 2 * 3_600_000;

/// A span, in hours under two days, else in days.
fn took(ms: i64) -> String {
    let h = ms as f64 / 3_600_000.0;
    if h < 48.0 {
        format!("{h:.1} h")
    } else {
        format!("{:.1} days", h / 24.0)
    }
}

/// One series' spikes said, and the size taken as its life.
#[derive(Debug, Clone, Default)]
pub struct SpikeLife {
    /// When each of the last spikes said was (epoch ms) and its size (its distance from its
    /// neighbours' mean, in the series' unit); a ring, `next` the oldest once full.
    said: [(i64, f64); LIFE_N],
    len: u8,
    next: u8,
    /// The largest size taken as the series' life (0: none), and the time its last
    /// [`LIFE_N`] spikes took then (how often it spikes, as its life).
    life: f64,
    life_span_ms: i64,
    /// When the last [`LIFE_N`] spikes past the bar were, said or not (a ring, `seen_next`
    /// the oldest once full).
    seen: [i64; LIFE_N],
    seen_len: u8,
    seen_next: u8,
    /// The latest spike past the bar, said or not (epoch ms).
    last_ms: i64,
    /// The largest of the spell of spikes under way (0: none; see [`SPELL_N`]).
    spell: f64,
}

/// What a spike past the bar is.
#[derive(Debug, Clone, PartialEq)]
pub enum SpikeNews {
    /// News: say it.
    Said,
    /// News, and the spike that makes the count: say it, adding this to its reason.
    Learnt(String),
    /// Within the sizes its life showed: not said.
    Life,
}

impl SpikeLife {
    /// Judges a spike past the bar at `at_ms`, `size` from its neighbours' mean (absolute).
    pub fn judge(&mut self, at_ms: i64, size: f64) -> SpikeNews {
        if at_ms - self.last_ms > LIFE_FORGET_MS {
            *self = SpikeLife::default();
        }
        if at_ms - self.last_ms > SPELL_QUIET_MS {
            self.spell = 0.0;
        }
        self.last_ms = at_ms;
        let size = size.abs();
        self.seen[usize::from(self.seen_next)] = at_ms;
        self.seen_next = (self.seen_next + 1) % LIFE_N as u8;
        self.seen_len = (self.seen_len + 1).min(LIFE_N as u8);
        if self.life > 0.0 && size <= LIFE_MARGIN * self.life {
            // Its life's size, but far more often than its life: that is news, once; the
            // new pace is its life from then on.
            let span = at_ms - self.seen[usize::from(self.seen_next)];
            if usize::from(self.seen_len) == LIFE_N && span * LIFE_FASTER < self.life_span_ms {
                let why = format!(
                    "; {LIFE_N} spikes in {}, {:.0}× as often as when spikes were taken as its \
                     life ({LIFE_N} in {}): spikes this often are taken as its life from now",
                    took(span),
                    self.life_span_ms as f64 / span.max(1) as f64,
                    took(self.life_span_ms)
                );
                self.life_span_ms = span;
                return SpikeNews::Learnt(why);
            }
            return SpikeNews::Life;
        }
        // Within a spell's sizes while it lasts: not said.
        if self.spell > 0.0 && size <= LIFE_MARGIN * self.spell {
            return SpikeNews::Life;
        }
        self.said[usize::from(self.next)] = (at_ms, size);
        self.next = (self.next + 1) % LIFE_N as u8;
        self.len = (self.len + 1).min(LIFE_N as u8);
        // A larger one is said; the spell grows to it.
        if self.spell > 0.0 {
            self.spell = size;
        }
        let spell = self.spell_began(at_ms);
        if usize::from(self.len) < LIFE_N {
            return spell;
        }
        let first = self.said[usize::from(self.next)].0;
        let span = at_ms - first;
        if !(LIFE_SPAN_MS..=LIFE_WINDOW_MS).contains(&span) {
            return spell;
        }
        let largest = self.said.iter().map(|s| s.1).fold(0.0, f64::max);
        if largest <= self.life {
            return spell;
        }
        self.life = largest;
        self.life_span_ms = span;
        SpikeNews::Learnt(format!(
            "; its {LIFE_N}th spike in {}, none larger than {largest:.3}: spikes up to \
             {LIFE_MARGIN} × that are taken as its life from now",
            took(span)
        ))
    }

    /// Whether the spike just said at `at_ms` began a spell: the last [`SPELL_N`] said span
    /// [`SPELL_MIN_MS`] to [`SPELL_MAX_MS`]. Says so once, in its reason.
    fn spell_began(&mut self, at_ms: i64) -> SpikeNews {
        if self.spell > 0.0 || usize::from(self.len) < SPELL_N {
            return SpikeNews::Said;
        }
        let k = |back: usize| self.said[(usize::from(self.next) + LIFE_N - back) % LIFE_N];
        let span = at_ms - k(SPELL_N).0;
        if !(SPELL_MIN_MS..=SPELL_MAX_MS).contains(&span) {
            return SpikeNews::Said;
        }
        self.spell = (1..=SPELL_N).map(|b| k(b).1).fold(0.0, f64::max);
        SpikeNews::Learnt(format!(
            "; its {SPELL_N}rd spike in {:.0} min, none larger than {:.3}: a spell of them, \
             spikes up to {LIFE_MARGIN} × that are not said until {} h pass without one",
            span as f64 / 60_000.0,
            self.spell,
            SPELL_QUIET_MS / 3_600_000
        ))
    }

    /// When the latest spike past the bar was, said or not (epoch ms).
    pub fn last_ms(&self) -> i64 {
        self.last_ms
    }

    /// The size taken as the series' life (0: none).
    #[cfg(test)]
    pub fn life(&self) -> f64 {
        self.life
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;

    /// A series taught its life by five spikes of 30, ten hours apart (40 h in all).
    fn taught() -> SpikeLife {
        let mut s = SpikeLife::default();
        for i in 0..5 {
            s.judge(i * 10 * H, 30.0);
        }
        s
    }

    #[test]
    fn five_spikes_over_days_become_its_life_and_a_larger_one_is_still_news() {
        let mut s = SpikeLife::default();
        for i in 0..4 {
            assert_eq!(s.judge(i * 10 * H, 30.0), SpikeNews::Said);
        }
        let SpikeNews::Learnt(why) = s.judge(40 * H, 36.0) else {
            panic!("the fifth spike over more than a day is learnt");
        };
        assert!(why.contains("5th spike in 40.0 h"), "{why}");
        assert_eq!(s.life(), 36.0);
        assert_eq!(s.judge(50 * H, 50.0), SpikeNews::Life);
        assert_eq!(s.judge(51 * H, -54.0), SpikeNews::Life);
        // Said, and the ring's largest now: the life grows to it, saying so.
        assert!(matches!(s.judge(60 * H, 55.0), SpikeNews::Learnt(_)));
        assert_eq!(s.life(), 55.0);
    }

    #[test]
    fn spikes_of_its_life_four_times_as_often_are_news_once() {
        let mut s = taught();
        // Taught by five in 40 h; five more at its life's size within 9 h.
        for i in 0..4 {
            assert_eq!(s.judge(50 * H + i * 2 * H, 30.0), SpikeNews::Life);
        }
        let SpikeNews::Learnt(why) = s.judge(59 * H, 30.0) else {
            panic!("five in 9 h where five took 40 h is news");
        };
        assert!(why.contains("5 spikes in 9.0 h, 4× as often"), "{why}");
        // That pace is its life now.
        assert_eq!(s.judge(60 * H, 30.0), SpikeNews::Life);
    }

    #[test]
    fn spikes_within_an_hour_teach_nothing() {
        let mut s = SpikeLife::default();
        for i in 0..20 {
            assert_eq!(s.judge(i * 60_000, 30.0), SpikeNews::Said);
        }
        assert_eq!(s.life(), 0.0);
    }

    #[test]
    fn three_spikes_within_an_hour_are_a_spell_said_once_until_two_quiet_hours() {
        const MIN: i64 = 60_000;
        let mut s = SpikeLife::default();
        // A PV inverter's power under broken clouds: dips every ten minutes or so.
        assert_eq!(s.judge(0, -346.0), SpikeNews::Said);
        assert_eq!(s.judge(21 * MIN, -300.0), SpikeNews::Said);
        let SpikeNews::Learnt(why) = s.judge(31 * MIN, -481.5) else {
            panic!("the third within the hour makes a spell");
        };
        assert!(
            why.contains("3rd spike in 31 min, none larger than 481.500"),
            "{why}"
        );
        // Up to 1.5 × its largest: not said while the spell lasts.
        assert_eq!(s.judge(50 * MIN, -700.0), SpikeNews::Life);
        // A larger one is said, and the spell grows to it.
        assert_eq!(s.judge(60 * MIN, -835.0), SpikeNews::Said);
        assert_eq!(s.judge(100 * MIN, -1200.0), SpikeNews::Life);
        // Two hours without a spike: the spell is over, the next is news.
        assert_eq!(s.judge(100 * MIN + 2 * H + 1, -400.0), SpikeNews::Said);
        // Three within ten minutes are a burst's, three over more than an hour no spell.
        let mut s = SpikeLife::default();
        for i in 0..3 {
            assert_eq!(s.judge(i * 4 * MIN, 30.0), SpikeNews::Said);
        }
        let mut s = SpikeLife::default();
        for i in 0..3 {
            assert_eq!(s.judge(i * 40 * MIN, 30.0), SpikeNews::Said);
        }
        assert_eq!(s.judge(125 * MIN, 30.0), SpikeNews::Said);
    }

    #[test]
    fn spikes_spread_over_more_than_a_week_teach_nothing() {
        let mut s = SpikeLife::default();
        for i in 0..10 {
            assert_eq!(s.judge(i * 50 * H, 30.0), SpikeNews::Said);
        }
        assert_eq!(s.life(), 0.0);
    }

    #[test]
    fn a_month_without_a_spike_forgets_its_life() {
        let mut s = taught();
        assert_eq!(s.judge(45 * H, 30.0), SpikeNews::Life);
        assert_eq!(s.judge(45 * H + LIFE_FORGET_MS + 1, 30.0), SpikeNews::Said);
        assert_eq!(s.life(), 0.0);
    }
}
