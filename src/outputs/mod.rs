//! Outputs: everything twinview sends out of the twin.
//!
//! Each is an [`Output`], plugged once into the live loop ([`crate::live::Live::plug`]) and
//! fed the same way in every mode (live, headless, replay): after every batch of events and
//! every tick, with what the twin noted since ([`News`]). An output never blocks the loop:
//! one that writes to a disk or a network hands the work to a thread or task of its own
//! through a bounded queue and counts what did not fit.
//!
//! - [`events`]: the `--events` file (JSON Lines);
//! - [`metrics`]: the `/metrics`, `/snapshot` and `/healthz` server, which answers the
//!   requests that woke the loop when it is fed;
//! - [`scores`]: `replay --headless --scores`, every reading's anomaly score as CSV;
//! - [`snapshot`]: the snapshot document (printed by headless runs, served on `/snapshot`);
//! - [`commands`]: the commands twinview publishes, from templates.

pub mod commands;
pub mod events;
pub mod metrics;
pub mod notify;
pub mod scores;
pub mod snapshot;
pub mod store;

use chrono::{DateTime, Utc};

use crate::error::AppError;
use crate::twin::journal::Happening;
use crate::twin::kept::Kept;
use crate::twin::{ScoreLine, Twin};

/// What an output asks the twin to keep for it between two feeds.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Wants {
    /// Every happening (the journal itself is bounded; these are kept until fed).
    pub happenings: bool,
    /// Every reading's anomaly score.
    pub scores: bool,
    /// Every reading, series and text state change ([`crate::twin::kept`]).
    pub rows: bool,
}

/// How an output is doing, for the header, the snapshot and `/metrics`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Health {
    /// Which output: `store`, `events`.
    pub output: &'static str,
    /// Where it writes, as shown (never with a password).
    pub target: std::sync::Arc<str>,
    /// Rows written.
    pub written: u64,
    /// Rows lost: the queue was full, or the end of the run could not wait any longer.
    pub lost: u64,
    /// Rows waiting to be written.
    pub queued: u64,
    /// The last attempt to write failed (it is being retried).
    pub failing: bool,
}

/// What an output is fed: what the twin noted since the last feed, and what the loop knows
/// besides the twin.
pub struct News<'a> {
    /// The loop's clock: the wall clock live, the recording's in a replay.
    pub now: DateTime<Utc>,
    pub happenings: &'a [Happening],
    pub scores: &'a [ScoreLine],
    /// Readings, series and state changes (when an output wants rows).
    pub kept: &'a Kept,
    /// How every output with something to report is doing.
    pub health: &'a [Health],
    /// The broker (or recording) the twin describes, as the snapshot names it.
    pub source: &'a str,
    /// Messages the source could not hand over because the loop was behind.
    pub dropped: u64,
    /// Events waiting in the channel to the loop.
    pub queued: usize,
}

/// Something the live loop feeds: see the module documentation.
/// Something the live loop feeds: see the module documentation.
pub trait Output: Send {
    /// What the twin must keep for this output.
    fn wants(&self) -> Wants {
        Wants::default()
    }
    /// After every batch and tick. Must not block: hand slow work to a thread or task.
    fn feed(&mut self, twin: &Twin, news: &News<'_>);
    /// How it is doing, when it has something to report (a queue, a loss).
    fn health(&self) -> Option<Health> {
        None
    }
    /// At the end of the run, after the last feed: flush, wait for the writer, report.
    /// Called once, after the last feed; [`Output::health`] then gives the final counts.
    fn finish(&mut self) -> Result<(), AppError>;
}
