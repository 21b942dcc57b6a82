//! Commands twinview publishes (docs/conventions.md §4), built from configurable templates.

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Deserialize;

use crate::source::event::Command;
use crate::twin::series::Series;

/// Topic and payload templates. Placeholders: `{sensor}`, `{device}`, `{zone}`,
/// `{measurement}`, `{topic}`, `{timestamp}`, and in control payloads `{name}` and `{value}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Templates {
    pub reset_topic: String,
    pub reset_payload: String,
    pub control_topic: String,
    pub control_payload: String,
    /// QoS of every command (1: the broker acknowledges it).
    pub qos: u8,
}

impl Default for Templates {
    fn default() -> Self {
        Templates {
            reset_topic: "/{sensor}/reset".into(),
            reset_payload: r#"{"command":"RESET","timestamp":"{timestamp}"}"#.into(),
            control_topic: "digital_twin/lab/control/commands".into(),
            control_payload: r#"{"command":"{name}","value":{value},"timestamp":"{timestamp}"}"#
                .into(),
            qos: 1,
        }
    }
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

fn next_id() -> u64 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

/// The `{name}` placeholders of a template (a name of lower-case letters and `_`; JSON braces
/// such as `{"command"…` are not placeholders).
fn placeholders(template: &str) -> impl Iterator<Item = &str> {
    template.split('{').skip(1).filter_map(|rest| {
        let (name, _) = rest.split_once('}')?;
        (!name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
            .then_some(name)
    })
}

/// Replaces every `{key}` of `vars` in `template`; unknown placeholders stay as they are.
pub fn fill(template: &str, vars: &[(&str, &str)]) -> String {
    let mut out = template.to_string();
    for (k, v) in vars {
        out = out.replace(&format!("{{{k}}}"), v);
    }
    out
}

fn stamp(now: DateTime<Utc>) -> String {
    now.to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl Templates {
    fn series_vars<'a>(s: &'a Series, ts: &'a str) -> Vec<(&'static str, &'a str)> {
        vec![
            ("sensor", s.sensor.as_str()),
            ("device", s.device.as_str()),
            ("zone", s.zone.as_deref().unwrap_or("")),
            ("measurement", s.measurement.as_deref().unwrap_or("")),
            ("topic", s.topic.as_str()),
            ("timestamp", ts),
        ]
    }

    /// The reset command for a series' sensor, by the rule that fits its device, and that
    /// rule in words. With the default `reset_topic`, a device that speaks a convention of its
    /// own is reset the way it listens: Tasmota (`tele/<device>/…`, `stat/<device>/…`) with
    /// `cmnd/<device>/Restart` and payload `1`; Zigbee2MQTT devices have no reset command, so
    /// none is invented (`Err` says so). A configured `reset_topic` is always used as written.
    pub fn reset_by_rule(
        &self,
        s: &Series,
        now: DateTime<Utc>,
    ) -> Result<(Command, String), String> {
        if self.reset_topic == Templates::default().reset_topic {
            let mut levels = s.topic.split('/');
            match (levels.next(), levels.next()) {
                (Some("tele" | "stat"), Some(dev)) if !dev.is_empty() => {
                    let cmd = Command {
                        id: next_id(),
                        topic: format!("cmnd/{dev}/Restart"),
                        payload: "1".into(),
                        qos: self.qos,
                        retain: false,
                        binary: None,
                    };
                    return Ok((
                        cmd,
                        format!("{dev} speaks Tasmota: its reset is cmnd/{dev}/Restart 1"),
                    ));
                }
                (Some("zigbee2mqtt"), Some(dev)) if !dev.is_empty() => {
                    return Err(format!(
                        "{dev} is a Zigbee2MQTT device, which has no reset command: nothing to send"
                    ));
                }
                _ => {}
            }
        }
        Ok((
            self.reset(s, now),
            format!("reset_topic template {}", self.reset_topic),
        ))
    }

    /// The reset command for a series' sensor, from the templates.
    pub fn reset(&self, s: &Series, now: DateTime<Utc>) -> Command {
        let ts = stamp(now);
        let vars = Self::series_vars(s, &ts);
        Command {
            id: next_id(),
            topic: fill(&self.reset_topic, &vars),
            payload: fill(&self.reset_payload, &vars),
            qos: self.qos,
            retain: false,
            binary: None,
        }
    }

    /// Any message, as typed in the publish form (`P`), or an empty retained one that clears
    /// a topic's retained message.
    pub fn message(topic: &str, payload: &str, qos: u8, retain: bool) -> Command {
        Command {
            id: next_id(),
            topic: topic.to_string(),
            payload: payload.to_string(),
            qos,
            retain,
            binary: None,
        }
    }

    /// The Sparkplug rebirth request to an edge node: NCMD `Node Control/Rebirth` = true, QoS 0
    /// as the specification asks for commands, never retained.
    pub fn rebirth(group: &str, node: &str, now: DateTime<Utc>) -> Command {
        let bytes = crate::decode::sparkplug::rebirth_request(now.timestamp_millis().max(0) as u64);
        Command {
            id: next_id(),
            topic: format!("spBv1.0/{group}/NCMD/{node}"),
            payload: format!(
                "{} = true (Sparkplug B protobuf, {} bytes)",
                crate::decode::sparkplug::REBIRTH,
                bytes.len()
            ),
            qos: 0,
            retain: false,
            binary: Some(bytes),
        }
    }

    /// A control command; `selected` fills the sensor placeholders when the template uses them.
    /// `value` goes into `{value}` as a JSON number when it is one, else as a JSON string
    /// (`ON`, `eco`).
    pub fn control(
        &self,
        name: &str,
        value: &str,
        selected: Option<&Series>,
        now: DateTime<Utc>,
    ) -> Command {
        let ts = stamp(now);
        let value = match value.trim().parse::<f64>() {
            Ok(x) if x.is_finite() => x.to_string(),
            _ => serde_json::Value::String(value.trim().to_string()).to_string(),
        };
        let mut vars = match selected {
            Some(s) => Self::series_vars(s, &ts),
            None => vec![("timestamp", ts.as_str())],
        };
        vars.push(("name", name));
        vars.push(("value", &value));
        Command {
            id: next_id(),
            topic: fill(&self.control_topic, &vars),
            payload: fill(&self.control_payload, &vars),
            qos: self.qos,
            retain: false,
            binary: None,
        }
    }

    /// Checks the templates once, at start-up.
    pub fn validate(&self) -> Result<(), String> {
        if self.qos > 2 {
            return Err(format!("commands.qos must be 0, 1 or 2, not {}", self.qos));
        }
        for (name, t) in [
            ("reset_topic", &self.reset_topic),
            ("control_topic", &self.control_topic),
        ] {
            if t.is_empty() || t.contains(['+', '#']) {
                return Err(format!(
                    "commands.{name} must be a topic without wildcards: `{t}`"
                ));
            }
        }
        // A placeholder nothing fills would be published as it is: refuse it at start.
        const SERIES: &[&str] = &[
            "sensor",
            "device",
            "zone",
            "measurement",
            "topic",
            "timestamp",
        ];
        for (name, t, extra) in [
            ("reset_topic", &self.reset_topic, &[][..]),
            ("reset_payload", &self.reset_payload, &[][..]),
            ("control_topic", &self.control_topic, &["name", "value"][..]),
            (
                "control_payload",
                &self.control_payload,
                &["name", "value"][..],
            ),
        ] {
            if let Some(p) = placeholders(t).find(|p| !SERIES.contains(p) && !extra.contains(p)) {
                let mut known: Vec<&str> = SERIES.iter().chain(extra).copied().collect();
                known.sort_unstable();
                return Err(format!(
                    "commands.{name} uses `{{{p}}}`, which nothing fills (known: {})",
                    known
                        .iter()
                        .map(|k| format!("{{{k}}}"))
                        .collect::<Vec<_>>()
                        .join(" ")
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_placeholders_are_refused_at_start() {
        assert_eq!(Templates::default().validate(), Ok(()));
        let bad = Templates {
            reset_topic: "/{nosuch}/reset".into(),
            ..Templates::default()
        };
        let e = bad.validate().unwrap_err();
        assert!(e.contains("commands.reset_topic uses `{nosuch}`"), "{e}");
        assert!(e.contains("{sensor}"), "{e}");
        // `{value}` only means something in control commands.
        let bad = Templates {
            reset_payload: r#"{"command":"RESET","v":{value}}"#.into(),
            ..Templates::default()
        };
        assert!(bad.validate().unwrap_err().contains("`{value}`"));
        let ok = Templates {
            control_topic: "cmnd/{device}/{name}".into(),
            ..Templates::default()
        };
        assert_eq!(ok.validate(), Ok(()));
    }
    use crate::source::event::{Event, Message};
    use crate::twin::Twin;
    use chrono::TimeZone;

    fn series() -> Twin {
        let mut t = Twin::default();
        t.apply(&Event::Message(Message::new(
            Utc::now(),
            "/living_room/temperature/s2",
            b"21.5".to_vec(),
        )));
        t
    }

    #[test]
    fn a_reset_follows_the_device_s_own_convention() {
        let now = Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0).unwrap();
        let mut t = Twin::default();
        for (topic, payload) in [
            ("tele/plug1/SENSOR", r#"{"ENERGY":{"Power":12.5}}"#),
            ("zigbee2mqtt/door", r#"{"temperature":21.5}"#),
            ("/living_room/temperature/s2", "21.5"),
        ] {
            t.apply(&Event::Message(Message::new(
                now,
                topic,
                payload.as_bytes().to_vec(),
            )));
        }
        let by = |topic: &str, tpl: &Templates| {
            let s = t.series.iter().find(|s| s.topic == topic).unwrap();
            tpl.reset_by_rule(s, now)
        };
        let d = Templates::default();
        let (c, rule) = by("tele/plug1/SENSOR", &d).unwrap();
        assert_eq!(
            (c.topic.as_str(), c.payload.as_str()),
            ("cmnd/plug1/Restart", "1")
        );
        assert!(rule.contains("Tasmota"), "{rule}");
        let err = by("zigbee2mqtt/door", &d).unwrap_err();
        assert!(err.contains("no reset command"), "{err}");
        let (c, rule) = by("/living_room/temperature/s2", &d).unwrap();
        assert_eq!(c.topic, "/s2/reset");
        assert!(rule.contains("template"), "{rule}");
        // A configured template is used as written, whatever the device.
        let mine = Templates {
            reset_topic: "ops/{device}/reset".into(),
            ..Templates::default()
        };
        let (c, _) = by("tele/plug1/SENSOR", &mine).unwrap();
        assert_eq!(c.topic, "ops/plug1/reset");
    }

    #[test]
    fn default_reset_follows_the_convention() {
        let t = series();
        let now = Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0).unwrap();
        let c = Templates::default().reset(&t.series[0], now);
        assert_eq!(c.topic, "/s2/reset");
        assert_eq!(
            c.payload,
            r#"{"command":"RESET","timestamp":"2026-11-21T12:00:00.000Z"}"#
        );
        assert_eq!(c.qos, 1);
        let v: serde_json::Value = serde_json::from_str(&c.payload).unwrap();
        assert_eq!(v["command"], "RESET");
    }

    #[test]
    fn control_and_custom_templates() {
        let t = series();
        let now = Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0).unwrap();
        let c = Templates::default().control("SET_THRESHOLD", "25.0", None, now);
        assert_eq!(c.topic, "digital_twin/lab/control/commands");
        assert_eq!(
            c.payload,
            r#"{"command":"SET_THRESHOLD","value":25,"timestamp":"2026-11-21T12:00:00.000Z"}"#
        );
        // A word is a JSON string, quotes escaped.
        let c = Templates::default().control("MODE", "eco \"2\"", None, now);
        let v: serde_json::Value = serde_json::from_str(&c.payload).unwrap();
        assert_eq!(v["value"], "eco \"2\"");
        let custom = Templates {
            reset_topic: "ctl/{zone}/{measurement}/{device}".into(),
            reset_payload: "reset {topic}".into(),
            ..Templates::default()
        };
        let c = custom.reset(&t.series[0], now);
        assert_eq!(c.topic, "ctl/living_room/temperature/s2");
        assert_eq!(c.payload, "reset /living_room/temperature/s2");
        assert_ne!(c.id, custom.reset(&t.series[0], now).id);
        assert!(Templates {
            reset_topic: "a/#".into(),
            ..Templates::default()
        }
        .validate()
        .is_err());
    }
}
