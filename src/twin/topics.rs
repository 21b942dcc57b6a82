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
/// Bytes kept of each earlier payload (enough to recognise it).
pub const KEEP_OLDER: usize = 64;

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

/// An earlier payload: when, its size, and where its first bytes lie in `Traffic::older`.
#[derive(Debug, Clone, Copy)]
struct Older {
    at: DateTime<Utc>,
    size: usize,
    retained: bool,
    len: u8,
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
    /// The newest payload.
    last_payload: Kept,
    /// The ones before it, oldest first, their first bytes one after another in `older`:
    /// two allocations per topic whatever the history.
    earlier: VecDeque<Older>,
    older: Vec<u8>,
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
            earlier: VecDeque::new(),
            older: Vec::new(),
        }
    }

    pub fn record(&mut self, m: &Message) {
        self.count += 1;
        self.last = self.last.max(m.at);
        self.first = self.first.min(m.at);
        self.qos = m.qos;
        self.retained += u64::from(m.retain);
        // The newest becomes an earlier one: keep its first bytes.
        if self.earlier.len() == RECENT - 1 {
            if let Some(gone) = self.earlier.pop_front() {
                self.older.drain(..gone.len as usize);
            }
        }
        let prev = &self.last_payload;
        let len = prev.bytes.len().min(KEEP_OLDER);
        self.older.extend_from_slice(&prev.bytes[..len]);
        self.earlier.push_back(Older {
            at: prev.at,
            size: prev.size,
            retained: prev.retained,
            len: len as u8,
        });
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

    pub fn last_payload(&self) -> Option<&Kept> {
        Some(&self.last_payload)
    }

    /// The payloads before the last, newest first, each cut to [`KEEP_OLDER`] bytes.
    pub fn earlier(&self) -> impl Iterator<Item = Kept> + '_ {
        let mut ends = Vec::with_capacity(self.earlier.len());
        let mut at = 0;
        for o in &self.earlier {
            ends.push((at, at + o.len as usize));
            at += o.len as usize;
        }
        self.earlier
            .iter()
            .zip(ends)
            .rev()
            .map(move |(o, (from, to))| Kept {
                at: o.at,
                bytes: self.older[from..to].to_vec(),
                size: o.size,
                retained: o.retained,
            })
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
        assert_eq!(t.last_payload().unwrap().bytes, b"9");
        let earlier: Vec<Vec<u8>> = t.earlier().map(|k| k.bytes).collect();
        assert_eq!(earlier, [b"8".to_vec(), b"7".to_vec(), b"6".to_vec()]);
        assert!((t.average_rate() - 1.0).abs() < 1e-9);
        // A big payload keeps its first KEEP_OLDER bytes once a newer one arrives.
        t.record(&msg(10, vec![b'y'; 5000], false));
        t.record(&msg(11, b"z".to_vec(), false));
        let older = t.earlier().next().unwrap();
        assert_eq!((older.bytes.len(), older.size), (KEEP_OLDER, 5000));
        assert!(t.last_payload().unwrap().bytes.capacity() < 5000);
    }
}
