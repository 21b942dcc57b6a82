//! The one event type every source produces and the twin consumes.
//!
//! Live MQTT, the simulated world (through a broker) and tests all feed the twin with
//! [`Event`]s, so recording, replay and deterministic tests share one path.

use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};

/// Something that happened at a source.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A message received from the broker.
    Message(Message),
    /// The connection to the broker changed state.
    Connection(ConnEvent),
    /// A command twinview published was written or acknowledged, or failed.
    Command(CommandEvent),
}

/// A command twinview publishes (docs/conventions.md §4).
#[derive(Debug, Clone, PartialEq)]
pub struct Command {
    /// Unique within a run, so its acknowledgement can find it.
    pub id: u64,
    pub topic: String,
    /// The payload as text; for a binary command (a Sparkplug rebirth request) a description
    /// of what `binary` holds.
    pub payload: String,
    pub qos: u8,
    pub retain: bool,
    /// The bytes sent instead of `payload`, when the command is binary.
    pub binary: Option<Vec<u8>>,
}

/// What became of a command.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Written to the broker (final for QoS 0).
    Sent,
    /// The broker acknowledged it (QoS 1 and 2).
    Acknowledged,
    Failed(String),
}

impl Outcome {
    pub fn as_str(&self) -> &str {
        match self {
            Outcome::Sent => "sent",
            Outcome::Acknowledged => "acknowledged",
            Outcome::Failed(why) => why,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct CommandEvent {
    pub at: DateTime<Utc>,
    pub command: Command,
    pub outcome: Outcome,
}

/// Which source an event came from. Every mode has one source today (`SourceId::MAIN`); the
/// id is carried so that a second broker, or a replay beside a live feed, can later feed one
/// twin without changing the event type. Recordings do not store it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct SourceId(pub u16);

impl SourceId {
    pub const MAIN: SourceId = SourceId(0);
}

/// A received MQTT publish, stamped with the time of receipt.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub source: SourceId,
    pub at: DateTime<Utc>,
    pub topic: String,
    pub payload: Bytes,
    pub qos: u8,
    pub retain: bool,
}

impl Message {
    /// A QoS 0, non-retained message; convenient in tests and benches.
    pub fn new(at: DateTime<Utc>, topic: impl Into<String>, payload: impl Into<Bytes>) -> Self {
        Message {
            source: SourceId::MAIN,
            at,
            topic: topic.into(),
            payload: payload.into(),
            qos: 0,
            retain: false,
        }
    }
}

/// A connection state change and when it happened.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnEvent {
    pub at: DateTime<Utc>,
    pub state: ConnState,
    /// On `Connected`: the broker resumed a session it kept for twinview (`--session-expiry`),
    /// so QoS 1/2 messages published while twinview was away are delivered now.
    pub resumed: bool,
}

/// What the header shows about the broker connection.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum ConnState {
    /// Before the first answer from the broker.
    #[default]
    Connecting,
    /// ConnAck received and subscriptions sent.
    Connected,
    /// The connection failed or dropped; the next attempt comes after `retry_in`.
    Reconnecting { reason: String, retry_in: Duration },
    /// The broker answered and said no (bad credentials, not authorised, …).
    Refused { reason: String, retry_in: Duration },
}

impl ConnState {
    /// A short human description, e.g. `reconnecting in 4s (connection refused)`.
    pub fn describe(&self) -> String {
        self.describe_after(Duration::ZERO)
    }

    /// The description `elapsed` after the state began: the retry counts down, and says
    /// `retrying now` once it is due.
    pub fn describe_after(&self, elapsed: Duration) -> String {
        let left = |retry_in: &Duration| {
            let s = retry_in.saturating_sub(elapsed).as_secs_f64().ceil();
            if s > 0.0 {
                format!("in {s}s")
            } else {
                "now".to_string()
            }
        };
        match self {
            ConnState::Connecting => "connecting".into(),
            ConnState::Connected => "connected".into(),
            ConnState::Reconnecting { reason, retry_in } => {
                format!("reconnecting {} ({reason})", left(retry_in))
            }
            ConnState::Refused { reason, retry_in } => {
                format!("refused: {reason} (retry {})", left(retry_in))
            }
        }
    }

    pub fn is_connected(&self) -> bool {
        matches!(self, ConnState::Connected)
    }
}
