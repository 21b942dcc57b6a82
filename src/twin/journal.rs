//! What happened, as the twin saw it: anomaly episodes opening and closing, zone process
//! changes, device status changes, awards and violations, alerts and commands.
//!
//! The twin keeps the latest happenings in a bounded journal (for views), and, when an events
//! file is being written, also hands every happening to it (see [`Journal::take_new`]). Each
//! happening serialises as one JSON object of the `--events` file (README, "Events").

use std::collections::VecDeque;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Serialize, Serializer};

use super::detect::{EpisodeKind, Severity};

/// Happenings the journal keeps for views.
pub const JOURNAL_CAP: usize = 2000;

fn rfc3339<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.to_rfc3339_opts(SecondsFormat::Millis, true))
}

fn rfc3339_opt<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => rfc3339(t, s),
        None => s.serialize_none(),
    }
}

/// Scores rounded to what a reader needs (and what stays equal across platforms).
fn round3<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
    if x.is_finite() {
        s.serialize_f64((x * 1000.0).round() / 1000.0)
    } else {
        s.serialize_none()
    }
}

/// One happening: when, and what.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Happening {
    #[serde(serialize_with = "rfc3339")]
    pub t: DateTime<Utc>,
    #[serde(flatten)]
    pub what: What,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum What {
    /// An anomaly episode opened. `t` is when it was found, `start` when it began (a spike is
    /// found one reading late, a silence several intervals late).
    AnomalyStart {
        topic: String,
        field: String,
        sensor: String,
        kind: EpisodeKind,
        #[serde(serialize_with = "rfc3339")]
        start: DateTime<Utc>,
        #[serde(serialize_with = "round3")]
        score: f64,
        #[serde(serialize_with = "round3")]
        threshold: f64,
        /// The finding's anomaly score, 0 to 1 (0.5 at the threshold; `detect::score`).
        #[serde(serialize_with = "round3")]
        anomaly_score: f64,
        severity: Severity,
        reason: String,
    },
    /// An episode closed after a run of normal readings. `kind` is its final kind (a spike
    /// that repeats becomes a noise burst).
    AnomalyEnd {
        topic: String,
        field: String,
        sensor: String,
        kind: EpisodeKind,
        #[serde(serialize_with = "rfc3339")]
        start: DateTime<Utc>,
        #[serde(serialize_with = "rfc3339")]
        end: DateTime<Utc>,
        #[serde(serialize_with = "round3")]
        peak: f64,
        severity: Severity,
        reason: String,
    },
    /// A zone moved together (`state` `start` or `end`).
    ProcessChange {
        zone: String,
        measurement: String,
        field: String,
        state: &'static str,
        #[serde(serialize_with = "rfc3339")]
        start: DateTime<Utc>,
        #[serde(serialize_with = "round3")]
        change: f64,
        sensors: usize,
        reason: String,
    },
    DeviceStatus {
        id: String,
        from: &'static str,
        to: &'static str,
        detail: Option<String>,
    },
    JobAwarded {
        job: String,
        machine: String,
    },
    JobViolation {
        job: String,
        violation: String,
    },
    Alert {
        topic: String,
        sensors: Vec<String>,
    },
    /// twinview's connection to the broker came back after `seconds` away. `resumed`: the
    /// broker resumed a session it kept (`--session-expiry`), so QoS 1/2 messages published
    /// meanwhile are delivered; otherwise what was published meanwhile is lost to twinview.
    Outage {
        #[serde(serialize_with = "rfc3339")]
        from: DateTime<Utc>,
        #[serde(serialize_with = "round3")]
        seconds: f64,
        resumed: bool,
    },
    /// An alarm changed (docs/alarms.md): `state` is `active`, `cleared`, `acknowledged`,
    /// `shelved`, `unshelved` or `chattering`.
    Alarm {
        name: String,
        priority: &'static str,
        subject: String,
        state: &'static str,
        value: Option<f64>,
        message: String,
    },
    /// A command twinview published, and what became of it (`sent`, `acknowledged`, or
    /// `failed: …`).
    Command {
        id: u64,
        topic: String,
        payload: String,
        qos: u8,
        outcome: String,
        #[serde(
            serialize_with = "rfc3339_opt",
            skip_serializing_if = "Option::is_none"
        )]
        sent: Option<DateTime<Utc>>,
    },
}

impl What {
    pub fn type_name(&self) -> &'static str {
        match self {
            What::AnomalyStart { .. } => "anomaly_start",
            What::AnomalyEnd { .. } => "anomaly_end",
            What::ProcessChange { .. } => "process_change",
            What::DeviceStatus { .. } => "device_status",
            What::JobAwarded { .. } => "job_awarded",
            What::JobViolation { .. } => "job_violation",
            What::Alert { .. } => "alert",
            What::Outage { .. } => "outage",
            What::Command { .. } => "command",
            What::Alarm { .. } => "alarm",
        }
    }
}

impl Happening {
    /// Whether a reader should look: anomalies, going offline or stale, violations, alerts
    /// and failed commands.
    pub fn is_warning(&self) -> bool {
        match &self.what {
            What::AnomalyStart { .. } | What::JobViolation { .. } | What::Alert { .. } => true,
            What::ProcessChange { state, .. } => *state == "start",
            What::DeviceStatus { to, .. } => matches!(*to, "offline" | "stale"),
            What::Command { outcome, .. } => outcome.starts_with("failed"),
            What::Alarm { state, .. } => matches!(*state, "active" | "chattering"),
            What::Outage { resumed, .. } => !resumed,
            What::AnomalyEnd { .. } | What::JobAwarded { .. } => false,
        }
    }

    /// What a happening is about, for looking it up later (the store's `subject`): the topic
    /// of an episode, alert or command, the device of a status, the job, the zone.
    pub fn subject(&self) -> Option<&str> {
        match &self.what {
            What::AnomalyStart { topic, .. }
            | What::AnomalyEnd { topic, .. }
            | What::Alert { topic, .. }
            | What::Command { topic, .. } => Some(topic),
            What::ProcessChange { zone, .. } => Some(zone),
            What::DeviceStatus { id, .. } => Some(id),
            What::JobAwarded { job, .. } | What::JobViolation { job, .. } => Some(job),
            What::Outage { .. } => None,
            What::Alarm { subject, .. } => Some(subject),
        }
    }

    /// One sentence for the Log tab.
    pub fn describe(&self) -> String {
        match &self.what {
            What::Alarm {
                name,
                priority,
                subject,
                state,
                message,
                ..
            } => {
                let word = match *state {
                    "active" => "raised",
                    "chattering" => "chattering (said once, until it calms)",
                    s => s,
                };
                if message.is_empty() || matches!(*state, "acknowledged" | "shelved" | "unshelved")
                {
                    format!("alarm {name} ({priority}) on {subject}: {word}")
                } else {
                    format!("alarm {name} ({priority}) {word}: {message}")
                }
            }
            What::AnomalyStart {
                topic,
                field,
                kind,
                severity,
                reason,
                ..
            } => format!(
                "{} {} on {}: {reason}",
                severity.as_str(),
                kind.as_str(),
                field_of(topic, field)
            ),
            What::AnomalyEnd {
                topic, field, kind, ..
            } => format!("{} on {} is over", kind.as_str(), field_of(topic, field)),
            What::ProcessChange {
                zone,
                measurement,
                state,
                reason,
                ..
            } => match *state {
                "start" => format!("process change in {zone} · {measurement}: {reason}"),
                _ => format!("process change in {zone} · {measurement} is over"),
            },
            What::DeviceStatus {
                id,
                from,
                to,
                detail,
            } => {
                let word = detail
                    .as_deref()
                    .filter(|w| !w.eq_ignore_ascii_case(to))
                    .map(|w| format!(" (said “{w}”)"))
                    .unwrap_or_default();
                format!("{id}: {from} → {to}{word}")
            }
            What::JobAwarded { job, machine } => format!("{job} awarded to {machine}"),
            What::JobViolation { job, violation } => {
                format!("Contract Net violation on {job}: {violation}")
            }
            What::Alert { topic, sensors } => {
                format!("alert on {topic}: {}", sensors.join(", "))
            }
            What::Command {
                topic,
                payload,
                outcome,
                ..
            } => {
                if payload.is_empty() {
                    format!("command {topic} (empty payload): {outcome}")
                } else {
                    format!("command {topic} {payload}: {outcome}")
                }
            }
            What::Outage {
                seconds, resumed, ..
            } => {
                if *resumed {
                    format!("reconnected after {seconds:.1} s away; the broker resumed the session it kept, so QoS 1/2 messages published meanwhile are delivered now")
                } else {
                    format!("reconnected after {seconds:.1} s away; messages published meanwhile are lost to twinview (sensors that missed readings show a gap; --session-expiry with --qos 1 asks the broker to keep them)")
                }
            }
        }
    }

    /// One line of the events file (without the newline).
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).expect("happenings serialise")
    }
}

/// `topic` or `topic field` when the payload had several fields.
fn field_of(topic: &str, field: &str) -> String {
    if field.is_empty() || field == "value" {
        topic.to_string()
    } else {
        format!("{topic} {field}")
    }
}

/// The bounded journal, and the happenings not yet taken by an events writer.
#[derive(Debug, Clone, Default)]
pub struct Journal {
    pub recent: VecDeque<Happening>,
    /// Happenings ever recorded.
    pub total: u64,
    /// Set while an events file is written: every happening is also kept here until taken.
    outbox: Option<Vec<Happening>>,
}

impl Journal {
    pub fn push(&mut self, h: Happening) {
        self.total += 1;
        if let Some(out) = &mut self.outbox {
            out.push(h.clone());
        }
        if self.recent.len() == JOURNAL_CAP {
            self.recent.pop_front();
        }
        self.recent.push_back(h);
    }

    /// From now on keep every happening for [`Journal::take_new`].
    pub fn keep_for_writer(&mut self) {
        self.outbox.get_or_insert_with(Vec::new);
    }

    /// The happenings since the last call (empty unless [`Journal::keep_for_writer`]).
    pub fn take_new(&mut self) -> Vec<Happening> {
        match &mut self.outbox {
            Some(out) => std::mem::take(out),
            None => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn lines_have_t_type_and_identifying_fields() {
        let t = Utc.with_ymd_and_hms(2026, 12, 1, 8, 0, 0).unwrap();
        let h = Happening {
            t,
            what: What::AnomalyStart {
                topic: "/z/temperature/s1".into(),
                field: "value".into(),
                sensor: "s1".into(),
                kind: EpisodeKind::LevelShift,
                start: t,
                score: 7.123_456,
                threshold: 7.0,
                anomaly_score: 0.51,
                severity: Severity::Minor,
                reason: "shifted".into(),
            },
        };
        let v: serde_json::Value = serde_json::from_str(&h.to_line()).unwrap();
        assert_eq!(v["t"], "2026-12-01T08:00:00.000Z");
        assert_eq!(v["type"], "anomaly_start");
        assert_eq!(v["kind"], "level_shift");
        assert_eq!(v["score"], 7.123);
        assert_eq!(v["severity"], "minor");
        assert_eq!(h.what.type_name(), "anomaly_start");
        let d = Happening {
            t,
            what: What::DeviceStatus {
                id: "s1".into(),
                from: "online",
                to: "offline",
                detail: None,
            },
        };
        let v: serde_json::Value = serde_json::from_str(&d.to_line()).unwrap();
        assert_eq!(
            (v["type"].as_str(), v["to"].as_str()),
            (Some("device_status"), Some("offline"))
        );
    }

    #[test]
    fn journal_is_bounded_and_the_outbox_only_fills_when_asked() {
        let t = Utc.with_ymd_and_hms(2026, 12, 1, 8, 0, 0).unwrap();
        let h = |i: usize| Happening {
            t,
            what: What::JobAwarded {
                job: format!("J{i}"),
                machine: "m1".into(),
            },
        };
        let mut j = Journal::default();
        j.push(h(0));
        assert!(j.take_new().is_empty());
        j.keep_for_writer();
        for i in 1..=JOURNAL_CAP + 5 {
            j.push(h(i));
        }
        assert_eq!(j.recent.len(), JOURNAL_CAP);
        assert_eq!(j.total, JOURNAL_CAP as u64 + 6);
        assert_eq!(j.take_new().len(), JOURNAL_CAP + 5);
        assert!(j.take_new().is_empty());
    }
}
