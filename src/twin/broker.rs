//! The broker's own health from its `$SYS/…` topics: never devices, never sensors.
//!
//! Mosquitto's names are read (clients connected, messages received per minute, messages
//! dropped, uptime, version); every other `$SYS` topic is only counted. What the broker did
//! not say stays unknown (`None`).

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

/// Distinct `$SYS` topics remembered (a broker has a few dozen).
const MAX_TOPICS: usize = 1000;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct BrokerHealth {
    pub clients: Option<u64>,
    /// Messages the broker received over the last minute (its 1-minute load average).
    pub received_per_min: Option<f64>,
    pub dropped: Option<u64>,
    pub uptime_s: Option<u64>,
    pub version: Option<String>,
    /// `$SYS` messages seen, and the distinct topics among them.
    pub messages: u64,
    pub topics: BTreeSet<String>,
    pub last_at: Option<DateTime<Utc>>,
}

impl BrokerHealth {
    /// Takes in one `$SYS/…` message.
    pub fn apply(&mut self, topic: &str, payload: &[u8], at: DateTime<Utc>) {
        self.messages += 1;
        self.last_at = Some(at);
        if self.topics.len() < MAX_TOPICS && !self.topics.contains(topic) {
            self.topics.insert(topic.to_string());
        }
        let text = std::str::from_utf8(payload).unwrap_or("").trim();
        let number = || {
            text.split_whitespace()
                .next()
                .and_then(|w| w.parse::<f64>().ok())
        };
        let whole = || {
            number()
                .filter(|x| x.is_finite() && *x >= 0.0)
                .map(|x| x as u64)
        };
        match topic {
            "$SYS/broker/clients/connected" | "$SYS/broker/clients/active" => {
                self.clients = whole()
            }
            "$SYS/broker/load/messages/received/1min" => {
                self.received_per_min = number().filter(|x| x.is_finite())
            }
            "$SYS/broker/publish/messages/dropped" => self.dropped = whole(),
            // "1234 seconds"
            "$SYS/broker/uptime" => self.uptime_s = whole(),
            "$SYS/broker/version" => {
                self.version = Some(text.chars().take(80).collect());
            }
            _ => {}
        }
    }

    /// Whether the broker has said anything about itself.
    pub fn known(&self) -> bool {
        self.messages > 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mosquitto_sys_topics_are_read_and_the_rest_counted() {
        let mut b = BrokerHealth::default();
        let at = DateTime::UNIX_EPOCH;
        for (t, p) in [
            ("$SYS/broker/version", "mosquitto version 2.0.11"),
            ("$SYS/broker/uptime", "3605 seconds"),
            ("$SYS/broker/clients/connected", "12"),
            ("$SYS/broker/load/messages/received/1min", "84.52"),
            ("$SYS/broker/publish/messages/dropped", "0"),
            ("$SYS/broker/heap/current", "56384"),
        ] {
            b.apply(t, p.as_bytes(), at);
        }
        assert_eq!(b.clients, Some(12));
        assert_eq!(b.uptime_s, Some(3605));
        assert_eq!(b.received_per_min, Some(84.52));
        assert_eq!(b.dropped, Some(0));
        assert_eq!(b.version.as_deref(), Some("mosquitto version 2.0.11"));
        assert_eq!((b.messages, b.topics.len()), (6, 6));
        b.apply("$SYS/broker/clients/connected", b"many", at);
        assert_eq!(b.clients, None, "unreadable is unknown, not the old value");
    }
}
