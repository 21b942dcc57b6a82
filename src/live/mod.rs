//! The live loop: the one owner of the twin.
//!
//! [`Live`] applies what the sources send (in batches, panics caught: [`pump`], [`guard`]),
//! ticks the twin once a second, and after every batch and tick feeds each plugged
//! [`Output`] with what the twin noted since. The drivers add only what is theirs:
//!
//! - [`headless`]: the stop conditions (duration, count, a broker that refuses), then the
//!   snapshot;
//! - the terminal UI ([`crate::ui::app`]): keys and frames;
//! - replay ([`crate::run`], [`crate::ui::app::ReplayState`]): the recording's clock instead
//!   of the wall clock, through [`Live::apply`], [`Live::tick`] and [`Live::feed`].
//!
//! An output is plugged once with [`Live::plug`] and is then fed the same way in every mode:
//! the events file, the `/metrics` server (which answers its requests when fed, woken through
//! [`Live::waker`]), the `--scores` file. Outputs never block the loop: one that writes to a
//! disk or a network hands the work to its own thread or task through a bounded queue and
//! counts what did not fit.

pub mod guard;
pub mod headless;
pub mod pump;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, Notify};

use crate::error::AppError;
pub use crate::outputs::{News, Output, Wants};
use crate::source::event::Event;
use crate::source::mqtt::SourceStats;
use crate::twin::Twin;
use pump::{Batch, Step};

/// Why [`Live::step`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Woke {
    /// A batch was applied (and the outputs fed); settle with [`pump::settle`].
    Batch(Batch),
    /// The second turned: the twin was ticked.
    Tick,
    /// An output was woken (a request to answer) and fed.
    Asked,
    /// The source channel closed: nothing more will come.
    Ended,
}

/// The owner of the twin and its outputs; see the module documentation.
pub struct Live {
    pub twin: Twin,
    outputs: Vec<Box<dyn Output>>,
    wants: Wants,
    source: String,
    stats: Arc<SourceStats>,
    rx: Option<mpsc::Receiver<Event>>,
    /// The tick's clock; made at the first [`Live::step`] (a replay driven by hand has none).
    second: Option<tokio::time::Interval>,
    wake: Arc<Notify>,
    /// The latest happening fed; after [`Live::rebuild`], happenings up to here are not fed
    /// again.
    fed_until: Option<DateTime<Utc>>,
    replayed_until: Option<DateTime<Utc>>,
    /// [`Live::finish`] ran: the outputs are fed no more.
    finished: bool,
}

impl Live {
    /// A loop over `twin`, reading events from `rx` (none for a replay driven by its own
    /// clock). `source` names the broker or recording in snapshots.
    pub fn new(
        twin: Twin,
        rx: Option<mpsc::Receiver<Event>>,
        source: &str,
        stats: Arc<SourceStats>,
    ) -> Live {
        Live {
            twin,
            outputs: Vec::new(),
            wants: Wants::default(),
            source: source.to_string(),
            stats,
            rx,
            second: Some(every_second()),
            wake: Arc::new(Notify::new()),
            fed_until: None,
            replayed_until: None,
            finished: false,
        }
    }

    /// A loop driven by hand ([`Live::apply`], [`Live::tick`], [`Live::feed`]): replays.
    /// Creating one needs no runtime.
    pub fn offline(twin: Twin, source: &str) -> Live {
        Live {
            twin,
            outputs: Vec::new(),
            wants: Wants::default(),
            source: source.to_string(),
            stats: Arc::default(),
            rx: None,
            second: None,
            wake: Arc::new(Notify::new()),
            fed_until: None,
            replayed_until: None,
            finished: false,
        }
    }

    /// Plugs an output in: from now on it is fed after every batch and tick.
    pub fn plug(&mut self, output: Box<dyn Output>) {
        let w = output.wants();
        self.wants.happenings |= w.happenings;
        self.wants.scores |= w.scores;
        self.wants.rows |= w.rows;
        self.keep_wanted();
        self.outputs.push(output);
    }

    /// Whether any output is plugged in.
    pub fn has_outputs(&self) -> bool {
        !self.outputs.is_empty()
    }

    fn keep_wanted(&mut self) {
        if self.wants.happenings {
            self.twin.journal.keep_for_writer();
        }
        if self.wants.scores {
            self.twin.keep_scores();
        }
        if self.wants.rows {
            self.twin.keep_rows();
        }
    }

    /// How every output with something to report is doing.
    pub fn health(&self) -> Vec<crate::outputs::Health> {
        self.outputs.iter().filter_map(|o| o.health()).collect()
    }

    /// What an output that answers requests notifies so that the loop feeds it at once rather
    /// than at the next batch or second.
    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// The broker or recording the twin describes.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Messages the source dropped because the loop was behind.
    pub fn dropped(&self) -> u64 {
        self.stats.dropped()
    }

    /// Events waiting for the loop.
    pub fn queued(&self) -> usize {
        self.rx.as_ref().map_or(0, |rx| rx.len())
    }

    /// Applies one event (a panic inside is caught and counted).
    pub fn apply(&mut self, ev: &Event) {
        guard::apply(&mut self.twin, ev);
    }

    /// Ticks the twin at `now` (the twin's periodic duties: silences, staleness, rates).
    pub fn tick(&mut self, now: DateTime<Utc>) {
        self.twin.tick(now);
    }

    /// Feeds every output what the twin noted since the last feed.
    pub fn feed(&mut self, now: DateTime<Utc>) {
        if self.outputs.is_empty() || self.finished {
            return;
        }
        let mut happenings = if self.wants.happenings {
            self.twin.journal.take_new()
        } else {
            Vec::new()
        };
        if let Some(until) = self.replayed_until {
            happenings.retain(|h| h.t > until);
        }
        if let Some(last) = happenings.iter().map(|h| h.t).max() {
            self.fed_until = Some(self.fed_until.map_or(last, |f| f.max(last)));
        }
        let scores = if self.wants.scores {
            self.twin.take_scores()
        } else {
            Vec::new()
        };
        let kept = if self.wants.rows {
            self.twin.take_kept()
        } else {
            Default::default()
        };
        let health = self.health();
        let news = News {
            now,
            happenings: &happenings,
            scores: &scores,
            kept: &kept,
            health: &health,
            source: &self.source,
            dropped: self.stats.dropped(),
            queued: self.rx.as_ref().map_or(0, |rx| rx.len()),
        };
        for out in &mut self.outputs {
            out.feed(&self.twin, &news);
        }
    }

    /// Replaces the twin with `fresh` (a replay seeking backwards rebuilds it from the start);
    /// the outputs are not fed again what they already had.
    pub fn rebuild(&mut self, fresh: Twin) {
        self.twin = fresh;
        self.keep_wanted();
        self.replayed_until = self.fed_until;
    }

    /// Waits for the next thing to do and does it: a batch of events (each shown to `look`
    /// first, which may end the batch), the second's tick, or a request to answer. Outputs
    /// are fed after each. Cancel-safe: dropping the future loses nothing.
    pub async fn step(&mut self, look: impl FnMut(&Twin, &Event) -> Step) -> Woke {
        let open = self.rx.is_some();
        let second = self.second.get_or_insert_with(every_second);
        tokio::select! {
            ev = recv(&mut self.rx), if open => match ev {
                None => {
                    self.rx = None;
                    Woke::Ended
                }
                Some(ev) => {
                    let rx = self.rx.as_mut().expect("open source");
                    let batch = pump::apply_batch(&mut self.twin, ev, rx, look);
                    self.feed(Utc::now());
                    Woke::Batch(batch)
                }
            },
            _ = second.tick() => {
                let now = Utc::now();
                self.twin.source_dropped = self.stats.dropped();
                self.twin.tick(now);
                self.feed(now);
                Woke::Tick
            }
            _ = self.wake.notified() => {
                self.feed(Utc::now());
                Woke::Asked
            }
        }
    }

    /// Ends the run: a last tick at `now`, a last feed, then every output finishes (all of
    /// them, even after one fails; the first failure is returned). [`Live::health`] then
    /// gives the final counts; the outputs are fed no more.
    pub fn finish(&mut self, now: DateTime<Utc>) -> Result<(), AppError> {
        self.twin.tick(now);
        self.feed(now);
        self.finished = true;
        let mut first = Ok(());
        for out in &mut self.outputs {
            let r = out.finish();
            if first.is_ok() {
                first = r;
            }
        }
        first
    }
}

async fn recv(rx: &mut Option<mpsc::Receiver<Event>>) -> Option<Event> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

fn every_second() -> tokio::time::Interval {
    let mut second = tokio::time::interval(Duration::from_secs(1));
    second.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    second
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::event::Message;
    use chrono::TimeZone;
    use std::sync::Mutex;

    /// Records what it was fed.
    struct Tap(Arc<Mutex<Vec<String>>>, Wants);

    impl Output for Tap {
        fn wants(&self) -> Wants {
            self.1
        }
        fn feed(&mut self, _twin: &Twin, news: &News<'_>) {
            let mut seen = self.0.lock().unwrap();
            for h in news.happenings {
                seen.push(h.to_line());
            }
            for s in news.scores {
                seen.push(format!("score {}", s.1));
            }
        }
        fn finish(&mut self) -> Result<(), AppError> {
            self.0.lock().unwrap().push("finished".into());
            Ok(())
        }
    }

    fn at(s: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap() + chrono::Duration::seconds(s)
    }

    fn spiky(live: &mut Live) {
        spiky_from(live, 0);
    }

    /// 200 readings a second apart from second `from`, one a spike.
    fn spiky_from(live: &mut Live, from: i64) {
        for i in from..from + 200 {
            let v = if i - from == 150 {
                90.0
            } else {
                // Five values: a series that only ever took four is a state, not judged by
                // its steps.
                20.0 + (i % 5) as f64 * 0.1
            };
            live.apply(&Event::Message(Message::new(
                at(i),
                "home/room/temperature",
                v.to_string().into_bytes(),
            )));
            live.tick(at(i));
            live.feed(at(i));
        }
    }

    #[test]
    fn every_output_gets_each_happening_once_and_is_finished() {
        let (a, b) = (Arc::default(), Arc::default());
        let mut live = Live::offline(Twin::default(), "test");
        let wants = Wants {
            happenings: true,
            scores: false,
            rows: false,
        };
        live.plug(Box::new(Tap(Arc::clone(&a), wants)));
        live.plug(Box::new(Tap(Arc::clone(&b), Wants::default())));
        spiky(&mut live);
        live.finish(at(200)).unwrap();
        let a = a.lock().unwrap();
        let b = b.lock().unwrap();
        assert!(a.iter().any(|l| l.contains("anomaly_start")), "{a:?}");
        let mut unique = a.clone();
        unique.dedup();
        assert_eq!(unique.len(), a.len(), "nothing fed twice");
        assert_eq!(a.last().map(String::as_str), Some("finished"));
        // The second output asked for nothing, yet sees what the first asked for:
        // the loop takes the journal once and hands the same news to all.
        assert_eq!(b.len(), a.len());
    }

    #[test]
    fn scores_are_kept_only_when_an_output_wants_them() {
        let seen = Arc::default();
        let mut live = Live::offline(Twin::default(), "test");
        spiky(&mut live);
        assert!(live.twin.take_scores().is_empty());
        live.plug(Box::new(Tap(
            Arc::clone(&seen),
            Wants {
                happenings: false,
                scores: true,
                rows: false,
            },
        )));
        // Later readings: ones stamped before the latest are late deliveries, not judged.
        spiky_from(&mut live, 200);
        assert_eq!(
            seen.lock()
                .unwrap()
                .iter()
                .filter(|l| l.starts_with("score"))
                .count(),
            200
        );
    }

    #[test]
    fn a_rebuilt_twin_does_not_feed_again_what_was_fed() {
        let seen = Arc::default();
        let mut live = Live::offline(Twin::default(), "test");
        live.plug(Box::new(Tap(
            Arc::clone(&seen),
            Wants {
                happenings: true,
                scores: false,
                rows: false,
            },
        )));
        spiky(&mut live);
        let before = seen.lock().unwrap().len();
        assert!(before > 0);
        live.rebuild(Twin::default());
        spiky(&mut live);
        assert_eq!(seen.lock().unwrap().len(), before);
    }

    #[tokio::test]
    async fn step_applies_batches_ticks_and_reports_the_end() {
        let (tx, rx) = mpsc::channel(16);
        let mut live = Live::new(Twin::default(), Some(rx), "x", Arc::default());
        // The interval's first tick is immediate.
        assert_eq!(live.step(|_, _| Step::Go).await, Woke::Tick);
        for i in 0..3 {
            tx.send(Event::Message(Message::new(at(i), "a/b/c", b"1".to_vec())))
                .await
                .unwrap();
        }
        drop(tx);
        match live.step(|_, _| Step::Go).await {
            Woke::Batch(b) => assert_eq!(b.applied, 3),
            other => panic!("{other:?}"),
        }
        assert_eq!(live.twin.messages, 3);
        assert_eq!(live.step(|_, _| Step::Go).await, Woke::Ended);
        assert_eq!(live.queued(), 0);
    }
}
