//! What the Topics tab and the snapshot's `topics` list show of every topic: its traffic
//! (count, first and last seen, size, QoS, retained flag) and its last few payloads.
//!
//! Kept per topic in the twin's topic table, updated by one lookup per message that the twin
//! does anyway. Payload copies are bounded: the last payload up to [`KEEP_LAST`] bytes, the
//! [`RECENT`]` - 1` before it up to [`KEEP_OLDER`] bytes each; the sizes shown are the real
//! ones. Buffers are reused, so a topic in steady traffic allocates nothing per message.

use std::collections::VecDeque;

use chrono::{DateTime, Utc};

use crate::event::Message;

/// Payloads kept per topic (the last one and the ones before it).
pub const RECENT: usize = 4;
/// Bytes kept of the last payload.
pub const KEEP_LAST: usize = 16 * 1024;
/// Bytes kept of each earlier payload.
pub const KEEP_OLDER: usize = 256;

/// One payload as kept: when, its bytes (perhaps cut), its real size.
#[derive(Debug, Clone)]
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
    /// Oldest first; the last is the newest.
    pub recent: VecDeque<Kept>,
}

impl Traffic {
    pub fn new(m: &Message) -> Traffic {
        let mut t = Traffic {
            count: 0,
            first: m.at,
            last: m.at,
            qos: m.qos,
            retained: 0,
            recent: VecDeque::with_capacity(RECENT),
        };
        t.record(m);
        t
    }

    pub fn record(&mut self, m: &Message) {
        self.count += 1;
        self.last = self.last.max(m.at);
        self.first = self.first.min(m.at);
        self.qos = m.qos;
        self.retained += u64::from(m.retain);
        // The previous newest becomes an older one: cut it down to size.
        if let Some(prev) = self.recent.back_mut() {
            if prev.bytes.len() > KEEP_OLDER {
                prev.bytes.truncate(KEEP_OLDER);
                prev.bytes.shrink_to(KEEP_OLDER);
            }
        }
        let mut slot = if self.recent.len() == RECENT {
            self.recent.pop_front().expect("full")
        } else {
            Kept {
                at: m.at,
                bytes: Vec::new(),
                size: 0,
                retained: false,
            }
        };
        slot.at = m.at;
        slot.size = m.payload.len();
        slot.retained = m.retain;
        slot.bytes.clear();
        slot.bytes
            .extend_from_slice(&m.payload[..m.payload.len().min(KEEP_LAST)]);
        self.recent.push_back(slot);
    }

    pub fn last_payload(&self) -> Option<&Kept> {
        self.recent.back()
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
    fn keeps_the_last_payloads_bounded_and_counts() {
        let t0 = Utc.with_ymd_and_hms(2026, 12, 1, 8, 0, 0).unwrap();
        let msg = |i: i64, payload: Vec<u8>, retain: bool| {
            let mut m = Message::new(t0 + chrono::TimeDelta::seconds(i), "a/b", payload);
            m.retain = retain;
            m.qos = 1;
            m
        };
        let mut t = Traffic::new(&msg(0, vec![b'x'; KEEP_LAST + 10], true));
        assert!(t.last_payload().unwrap().truncated());
        assert_eq!(t.last_payload().unwrap().size, KEEP_LAST + 10);
        for i in 1..10 {
            t.record(&msg(i, format!("{i}").into_bytes(), false));
        }
        assert_eq!(t.count, 10);
        assert_eq!(t.retained, 1);
        assert_eq!(t.recent.len(), RECENT);
        let kept: Vec<&[u8]> = t.recent.iter().map(|k| k.bytes.as_slice()).collect();
        assert_eq!(kept, [b"6", b"7", b"8", b"9"]);
        assert!((t.average_rate() - 1.0).abs() < 1e-9);
        // A big payload is cut to KEEP_OLDER once a newer one arrives.
        t.record(&msg(10, vec![b'y'; 5000], false));
        t.record(&msg(11, b"z".to_vec(), false));
        let older = &t.recent[RECENT - 2];
        assert_eq!((older.bytes.len(), older.size), (KEEP_OLDER, 5000));
    }
}
