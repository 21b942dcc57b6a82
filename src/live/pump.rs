//! The one ingest pump every mode uses (headless, terminal UI): take what is waiting on the
//! source channel in a batch, apply each event to the twin (panics caught, see
//! [`crate::live::guard`]), and let messages gather for a moment once the channel runs dry.
//!
//! Drawing happens between batches on the same task: a frame takes a few milliseconds, and the
//! source channel ([`crate::EVENT_CHANNEL`] events) holds far more than a local broker delivers
//! meanwhile, so ingest loses nothing while a frame is drawn. A separate thread would need the
//! twin behind a lock for every frame, which costs more than it saves (BENCHMARKS.md).

use std::time::Duration;

use tokio::sync::mpsc;

use crate::source::event::Event;
use crate::twin::Twin;

/// Events applied per batch before the loop looks at its timers (keys, frames) again.
pub const BATCH: usize = 4096;
/// How long the loops let messages gather once they have emptied the channel: each wake-up
/// for a single message is a futex call and a context switch.
pub const GATHER: Duration = Duration::from_millis(2);

/// What the caller wants after seeing an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Go,
    /// Apply this event, then end the batch and report [`Batch::stopped`].
    StopAfter,
    /// End the batch without applying this event.
    StopBefore,
}

/// What one batch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Batch {
    /// Events applied.
    pub applied: usize,
    /// The caller asked to stop.
    pub stopped: bool,
}

impl Batch {
    /// Whether the channel ran dry before the batch was full.
    pub fn drained(&self) -> bool {
        self.applied < BATCH
    }
}

/// Applies `first` and whatever else is waiting (up to [`BATCH`] events). `look` sees each
/// event before it is applied and may end the batch.
pub fn apply_batch(
    twin: &mut Twin,
    first: Event,
    rx: &mut mpsc::Receiver<Event>,
    mut look: impl FnMut(&Twin, &Event) -> Step,
) -> Batch {
    let mut next = Some(first);
    let mut applied = 0;
    while let Some(ev) = next.take() {
        match look(twin, &ev) {
            Step::StopBefore => {
                return Batch {
                    applied,
                    stopped: true,
                }
            }
            Step::StopAfter => {
                crate::live::guard::apply(twin, &ev);
                return Batch {
                    applied: applied + 1,
                    stopped: true,
                };
            }
            Step::Go => crate::live::guard::apply(twin, &ev),
        }
        applied += 1;
        if applied < BATCH {
            next = rx.try_recv().ok();
        }
    }
    Batch {
        applied,
        stopped: false,
    }
}

/// After a batch: when the channel ran dry, wait [`GATHER`] so the next wake-up finds several
/// messages rather than one.
pub async fn settle(batch: Batch) {
    if batch.drained() {
        tokio::time::sleep(GATHER).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::event::Message;
    use chrono::Utc;

    fn msg(i: usize) -> Event {
        Event::Message(Message::new(
            Utc::now(),
            format!("/z/t/s{i}"),
            b"1".to_vec(),
        ))
    }

    #[test]
    fn a_batch_takes_what_waits_and_stops_when_asked() {
        let (tx, mut rx) = mpsc::channel(16);
        for i in 1..5 {
            tx.try_send(msg(i)).unwrap();
        }
        let mut twin = Twin::default();
        let b = apply_batch(&mut twin, msg(0), &mut rx, |_, _| Step::Go);
        assert_eq!(
            b,
            Batch {
                applied: 5,
                stopped: false
            }
        );
        assert!(b.drained());
        assert_eq!(twin.messages, 5);
        for i in 0..3 {
            tx.try_send(msg(i)).unwrap();
        }
        let b = apply_batch(&mut twin, msg(9), &mut rx, |t, _| {
            if t.messages == 6 {
                Step::StopBefore
            } else {
                Step::Go
            }
        });
        assert_eq!((b.applied, b.stopped, twin.messages), (1, true, 6));
        // The event that stopped the batch was taken; the rest is still waiting.
        assert_eq!(rx.len(), 2);
    }
}
