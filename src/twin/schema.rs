//! Topic schemas: name the levels of a topic so the UI can group series by zone, measurement
//! and sensor (docs/conventions.md §1).
//!
//! A schema is a pattern such as `/{zone}/{measurement}/{sensor}`: literal levels must match
//! exactly, `{name}` levels capture a non-empty level. The first schema that matches wins.

use super::levels;
use std::fmt;

/// The built-in schemas, most specific first. Config files may add more (tried before these).
pub const DEFAULT_SCHEMAS: &[&str] = &[
    "/{zone}/{measurement}/{sensor}",
    "digital_twin/{site}/sensor/{sensor}/{measurement}",
    "digital_twin/{site}/sensor/{measurement}",
    "home/{device}/sensors",
    "home/{device}/status",
    CATCH_ALL,
];

/// The last built-in schema: any three levels.
const CATCH_ALL: &str = "{location}/{device}/{datatype}";

/// What a role-named level means for grouping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// `{zone}`, `{site}`, `{location}`
    Zone,
    /// `{measurement}`, `{datatype}`
    Measurement,
    /// `{sensor}`, `{device}`
    Sensor,
    /// any other `{name}`: matches a level, captured nowhere
    Any,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Level {
    Literal(String),
    Capture(Role),
}

/// One parsed topic pattern.
#[derive(Debug, Clone)]
pub struct TopicSchema {
    pattern: String,
    levels: Vec<Level>,
}

/// The levels a topic schema found in a topic.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TopicInfo {
    pub zone: Option<String>,
    pub measurement: Option<String>,
    pub sensor: Option<String>,
}

/// What a topic is, judged from its levels alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopicKind {
    /// Readings of one sensor or device.
    Sensor,
    /// A zone aggregate published by an averaging agent (`/{zone}/{measurement}/average`).
    Aggregate,
    /// An alert naming suspect sensors (`/{zone}/{measurement}/alert`).
    Alert,
}

impl TopicInfo {
    pub fn kind(&self) -> TopicKind {
        match self.sensor.as_deref() {
            Some("average") => TopicKind::Aggregate,
            Some("alert") => TopicKind::Alert,
            _ => TopicKind::Sensor,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaError(pub String);

impl fmt::Display for SchemaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SchemaError {}

impl TopicSchema {
    pub fn parse(pattern: &str) -> Result<Self, SchemaError> {
        if pattern.is_empty() {
            return Err(SchemaError("a topic schema cannot be empty".into()));
        }
        let mut levels = Vec::new();
        for level in levels::levels(pattern) {
            if let Some(name) = level.strip_prefix('{').and_then(|l| l.strip_suffix('}')) {
                let role = match name {
                    "zone" | "site" | "location" => Role::Zone,
                    "measurement" | "datatype" => Role::Measurement,
                    "sensor" | "device" => Role::Sensor,
                    "" => {
                        return Err(SchemaError(format!(
                            "topic schema `{pattern}` has an empty {{}} level"
                        )))
                    }
                    _ => Role::Any,
                };
                levels.push(Level::Capture(role));
            } else if level.contains(['{', '}', '+', '#']) {
                return Err(SchemaError(format!(
                    "topic schema `{pattern}`: level `{level}` must be literal text or a whole {{name}}"
                )));
            } else {
                levels.push(Level::Literal(level.to_string()));
            }
        }
        Ok(TopicSchema {
            pattern: pattern.to_string(),
            levels,
        })
    }

    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// The levels this schema finds in `topic`, or `None` when it does not match.
    pub fn match_topic(&self, topic: &str) -> Option<TopicInfo> {
        self.match_levels(topic, levels::count(topic))
    }

    /// [`match_topic`](Self::match_topic) for a topic of `levels` levels: a schema of another
    /// length is passed over without splitting the topic (a new topic is tried against every
    /// schema, and most differ in length).
    fn match_levels(&self, topic: &str, levels: usize) -> Option<TopicInfo> {
        if levels != self.levels.len() {
            return None;
        }
        let mut info = TopicInfo::default();
        let mut parts = levels::levels(topic);
        for level in &self.levels {
            let part = parts.next()?;
            match level {
                Level::Literal(lit) => {
                    if lit != part {
                        return None;
                    }
                }
                Level::Capture(role) => {
                    if part.is_empty() {
                        return None;
                    }
                    let slot = match role {
                        Role::Zone => &mut info.zone,
                        Role::Measurement => &mut info.measurement,
                        Role::Sensor => &mut info.sensor,
                        Role::Any => continue,
                    };
                    *slot = Some(part.to_string());
                }
            }
        }
        // No level is left over: the topic has as many as the schema.
        Some(info)
    }
}

/// An ordered list of schemas; the first match wins.
#[derive(Debug, Clone)]
pub struct Schemas(Vec<TopicSchema>);

impl Default for Schemas {
    fn default() -> Self {
        Schemas::with_extra::<&str>(&[]).expect("built-in schemas parse")
    }
}

impl Schemas {
    /// The built-in schemas, with `extra` (from the config file) tried first.
    pub fn with_extra<S: AsRef<str>>(extra: &[S]) -> Result<Self, SchemaError> {
        let mut all = Vec::new();
        for p in extra {
            all.push(TopicSchema::parse(p.as_ref())?);
        }
        for p in DEFAULT_SCHEMAS {
            all.push(TopicSchema::parse(p)?);
        }
        Ok(Schemas(all))
    }

    /// The first schema that matches. The built-in catch-all `{location}/{device}/{datatype}`
    /// does not apply to a topic a known convention explains (`tele/<device>/SENSOR` is a
    /// Tasmota device's, not the zone `tele`; `<shelly id>/status/switch:0` a Shelly's).
    pub fn match_topic(&self, topic: &str) -> TopicInfo {
        let levels = levels::count(topic);
        self.0
            .iter()
            .find_map(|s| {
                let info = s.match_levels(topic, levels)?;
                if s.pattern() == CATCH_ALL && super::identity::device_of(topic).is_some() {
                    return None;
                }
                Some(info)
            })
            .unwrap_or_default()
    }

    pub fn patterns(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|s| s.pattern())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(z: Option<&str>, m: Option<&str>, s: Option<&str>) -> TopicInfo {
        TopicInfo {
            zone: z.map(String::from),
            measurement: m.map(String::from),
            sensor: s.map(String::from),
        }
    }

    #[test]
    fn zone_schema() {
        let s = Schemas::default();
        assert_eq!(
            s.match_topic("/living_room/temperature/s1"),
            info(Some("living_room"), Some("temperature"), Some("s1"))
        );
        assert_eq!(
            s.match_topic("/living_room/temperature/average").kind(),
            TopicKind::Aggregate
        );
        assert_eq!(
            s.match_topic("/living_room/temperature/alert").kind(),
            TopicKind::Alert
        );
    }

    #[test]
    fn lab_schemas() {
        let s = Schemas::default();
        assert_eq!(
            s.match_topic("digital_twin/lab/sensor/temperature"),
            info(Some("lab"), Some("temperature"), None)
        );
        assert_eq!(
            s.match_topic("digital_twin/lab/sensor/TEMP_002/temperature"),
            info(Some("lab"), Some("temperature"), Some("TEMP_002"))
        );
    }

    #[test]
    fn home_and_fallback() {
        let s = Schemas::default();
        assert_eq!(
            s.match_topic("home/living-room-01/sensors"),
            info(None, None, Some("living-room-01"))
        );
        assert_eq!(
            s.match_topic("garage/node3/humidity"),
            info(Some("garage"), Some("humidity"), Some("node3"))
        );
        // Too many levels: no schema, nothing captured.
        assert_eq!(
            s.match_topic("/samos/node7/gr/north-aegean/samos/campus/a/b2/r101/temperature"),
            TopicInfo::default()
        );
        // An empty level never fills a capture.
        assert_eq!(s.match_topic("/s2/reset"), TopicInfo::default());
    }

    #[test]
    fn extra_schemas_come_first_and_bad_ones_are_rejected() {
        let s = Schemas::with_extra(&["factory/{zone}/{ignored}/{sensor}"]).unwrap();
        assert_eq!(
            s.match_topic("factory/hall1/x/m7"),
            info(Some("hall1"), None, Some("m7"))
        );
        assert!(TopicSchema::parse("a/+/b").is_err());
        assert!(TopicSchema::parse("a/{}/b").is_err());
        assert!(TopicSchema::parse("").is_err());
    }
}
