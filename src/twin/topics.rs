//! What the Topics tab and the snapshot's `topics` list show of every topic: its traffic
//! (count, first and last seen, size, QoS, retained flag) and its last few payloads.
//!
//! Kept per topic in the twin's topic table, updated by one lookup per message that the twin
//! does anyway. Only the last payload is copied (up to [`KEEP_LAST`] bytes; the size shown is
//! the real one), into a buffer the topic reuses, so a topic in steady traffic allocates
//! nothing per message. The Topics tab keeps the earlier payloads of the topic it shows, so the
//! twin's cost stays one payload per topic (BENCHMARKS.md, "Per-topic memory").

use chrono::{DateTime, Utc};

use crate::source::event::Message;

/// Bytes kept of the last payload.
pub const KEEP_LAST: usize = 16 * 1024;

/// One payload as kept: when, its bytes (perhaps cut), its real size.
#[derive(Debug, Clone, PartialEq)]
pub struct Kept {
    pub at: DateTime<Utc>,
    pub bytes: Vec<u8>,
    pub size: usize,
    pub retained: bool,
}

impl Kept {
    pub fn truncated(&self) -> bool {
        self.bytes.len() < self.size
    }
}

/// A topic's traffic.
#[derive(Debug, Clone)]
pub struct Traffic {
    pub count: u64,
    pub first: DateTime<Utc>,
    pub last: DateTime<Utc>,
    /// QoS of the last message.
    pub qos: u8,
    /// Messages that arrived with the retain flag (a broker's stored value at subscribe).
    pub retained: u64,
    /// The newest payload: the only one the twin keeps (one buffer per topic, reused).
    last_payload: Kept,
}

impl Traffic {
    pub fn new(m: &Message) -> Traffic {
        Traffic {
            count: 1,
            first: m.at,
            last: m.at,
            qos: m.qos,
            retained: u64::from(m.retain),
            last_payload: Kept {
                at: m.at,
                bytes: m.payload[..m.payload.len().min(KEEP_LAST)].to_vec(),
                size: m.payload.len(),
                retained: m.retain,
            },
        }
    }

    /// A topic twinview knows of but has not received (a Sparkplug DATA topic named by a
    /// birth): counted as nothing, listed nowhere until a message arrives.
    pub fn unseen(at: DateTime<Utc>) -> Traffic {
        Traffic {
            count: 0,
            first: at,
            last: at,
            qos: 0,
            retained: 0,
            last_payload: Kept {
                at,
                bytes: Vec::new(),
                size: 0,
                retained: false,
            },
        }
    }

    pub fn record(&mut self, m: &Message) {
        if self.count == 0 {
            self.first = m.at;
            self.last = m.at;
        }
        self.count += 1;
        self.last = self.last.max(m.at);
        self.first = self.first.min(m.at);
        self.qos = m.qos;
        self.retained += u64::from(m.retain);
        let last = &mut self.last_payload;
        last.at = m.at;
        last.size = m.payload.len();
        last.retained = m.retain;
        last.bytes.clear();
        last.bytes
            .extend_from_slice(&m.payload[..m.payload.len().min(KEEP_LAST)]);
        // A one-off huge payload does not keep its buffer.
        if last.bytes.capacity() > 4 * last.bytes.len().max(256) {
            last.bytes.shrink_to(last.bytes.len().max(256));
        }
    }

    pub fn last_payload(&self) -> &Kept {
        &self.last_payload
    }

    /// Messages per second over the time it has been seen (0 with a single message).
    pub fn average_rate(&self) -> f64 {
        let span = (self.last - self.first).num_milliseconds() as f64 / 1000.0;
        if self.count > 1 && span > 0.0 {
            (self.count - 1) as f64 / span
        } else {
            0.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn keeps_the_last_payload_bounded_and_counts() {
        let t0 = Utc.with_ymd_and_hms(2026, 12, 1, 8, 0, 0).unwrap();
        let msg = |i: i64, payload: Vec<u8>, retain: bool| {
            let mut m = Message::new(t0 + chrono::TimeDelta::seconds(i), "a/b", payload);
            m.retain = retain;
            m.qos = 1;
            m
        };
        let mut t = Traffic::new(&msg(0, vec![b'x'; KEEP_LAST + 10], true));
        assert!(t.last_payload().truncated());
        assert_eq!(t.last_payload().size, KEEP_LAST + 10);
        for i in 1..10 {
            t.record(&msg(i, format!("{i}").into_bytes(), false));
        }
        assert_eq!((t.count, t.retained, t.qos), (10, 1, 1));
        assert_eq!(t.last_payload().bytes, b"9");
        assert!(!t.last_payload().retained);
        assert!((t.average_rate() - 1.0).abs() < 1e-9);
        // The buffer of a one-off big payload is given back.
        assert!(t.last_payload().bytes.capacity() < 4096);
    }
}
