//! Home Assistant MQTT discovery, read without configuration: a retained
//! `homeassistant/<component>/[<node>/]<object>/config` message describes one entity — its
//! state topic, friendly name, unit, device class, the field of a JSON state it reads (from
//! `value_template`) and the device it belongs to (name, manufacturer, model). twinview uses
//! it to name, unit and group the series and state series on that state topic, and to say
//! what a device is.
//!
//! Abbreviated keys (`stat_t`, `unit_of_meas`, `dev`, `mf`, `~`, …) are expanded. A template
//! twinview cannot read (anything beyond `{{ value }}` and `{{ value_json.a.b | filter }}`)
//! leaves the field unknown: the entity then names nothing, only groups its topic's series
//! under its device. An empty config (the entity removed) forgets the entity; labels already
//! given stay until the series is forgotten.

use super::levels;
use serde_json::{Map, Value};

use super::FastMap;

/// Entities kept (a config beyond this is counted, not kept).
pub const MAX_ENTITIES: usize = 10_000;
/// Entities reading one state topic (a Zigbee2MQTT device's state topic carries a few dozen):
/// with no bound, 10,000 configs naming one topic made each new one cost all the others.
pub const MAX_PER_STATE_TOPIC: usize = 64;
/// The longest name, unit, class, device name, manufacturer, model or payload word kept.
pub const MAX_TEXT: usize = 256;
/// The longest state topic (or `~` base) a config may name.
pub const MAX_TOPIC: usize = 1024;
/// The discovery prefix Home Assistant uses unless configured otherwise.
pub const PREFIX: &str = "homeassistant/";

/// The device an entity belongs to, as its config says.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HaDevice {
    pub name: Option<String>,
    pub manufacturer: Option<String>,
    pub model: Option<String>,
}

impl HaDevice {
    /// `Manufacturer Model`, or whichever is known.
    pub fn make(&self) -> Option<String> {
        match (&self.manufacturer, &self.model) {
            (Some(a), Some(b)) => Some(format!("{a} {b}")),
            (Some(a), None) | (None, Some(a)) => Some(a.clone()),
            (None, None) => None,
        }
    }
}

/// One discovered entity.
#[derive(Debug, Clone, PartialEq)]
pub struct Entity {
    pub config_topic: String,
    /// `sensor`, `binary_sensor`, `switch`, …
    pub component: String,
    pub state_topic: String,
    pub name: Option<String>,
    pub unit: Option<String>,
    pub device_class: Option<String>,
    /// The field of the payload it reads (`value` for the whole payload, `ENERGY.Power` for
    /// `value_json.ENERGY.Power`); `None` when the template is beyond twinview.
    pub field: Option<String>,
    pub device: Option<HaDevice>,
    /// What the payload says for on and for off (`payload_on` / `pl_on`; Home Assistant's
    /// defaults `ON` / `OFF` when not given), for binary sensors, switches and lights.
    pub payload_on: Option<String>,
    pub payload_off: Option<String>,
}

/// The words Home Assistant shows for a binary sensor's device class: (on, off).
fn class_words(component: &str, class: Option<&str>) -> (&'static str, &'static str) {
    if component != "binary_sensor" {
        return ("on", "off");
    }
    match class.unwrap_or("") {
        "door" | "garage_door" | "opening" | "window" => ("open", "closed"),
        "motion" | "occupancy" | "presence" | "moving" | "vibration" | "sound" | "smoke"
        | "gas" | "carbon_monoxide" | "tamper" => ("detected", "clear"),
        "moisture" => ("wet", "dry"),
        "battery" => ("low", "normal"),
        "battery_charging" => ("charging", "not charging"),
        "cold" => ("cold", "normal"),
        "heat" => ("hot", "normal"),
        "connectivity" => ("connected", "disconnected"),
        "lock" => ("unlocked", "locked"),
        "plug" => ("plugged in", "unplugged"),
        "problem" => ("problem", "OK"),
        "safety" => ("unsafe", "safe"),
        "light" => ("light detected", "no light"),
        "running" => ("running", "not running"),
        "update" => ("update available", "up to date"),
        _ => ("on", "off"),
    }
}

impl Entity {
    /// The word the description gives a state's raw value (`false` of a door contact whose
    /// `payload_on` is `false` → `open`); `None` when this entity has no on/off or the value
    /// is neither.
    pub fn word_for(&self, raw: &str) -> Option<&'static str> {
        let (on, off) = (self.payload_on.as_deref()?, self.payload_off.as_deref()?);
        let (w_on, w_off) = class_words(&self.component, self.device_class.as_deref());
        if raw.eq_ignore_ascii_case(on) {
            Some(w_on)
        } else if raw.eq_ignore_ascii_case(off) {
            Some(w_off)
        } else {
            None
        }
    }
}

/// A payload member as the state it is compared with: strings as they are, booleans and
/// numbers as twinview writes them (`true`, `1`).
fn payload_text(map: &Map<String, Value>, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| match map.get(*k) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Bool(b)) => Some(b.to_string()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    })
}

/// What one config message did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// A new or changed entity reading this state topic (what is there takes its names).
    Named(String),
    /// Understood, nothing to relabel (repeated, removed, no state topic, over the bound).
    Nothing,
    /// Not a config: not JSON, or not an object.
    NotAConfig,
}

/// Every entity, by config topic, and which config topics name each state topic.
#[derive(Debug, Clone, Default)]
pub struct Discovery {
    by_config: FastMap<String, Entity>,
    by_state: FastMap<String, Vec<String>>,
    /// Configs not kept because of [`MAX_ENTITIES`], [`MAX_PER_STATE_TOPIC`], or a text over
    /// [`MAX_TEXT`] / [`MAX_TOPIC`] (retained configs of a megabyte each would otherwise be
    /// kept, and come back at every start).
    pub refused: u64,
}

/// Whether `topic` is a discovery config topic (`homeassistant/<component>/[<node>/]<object>/config`).
pub fn is_config_topic(topic: &str) -> bool {
    topic.strip_prefix(PREFIX).is_some_and(|rest| {
        let levels = levels::count(rest);
        rest.ends_with("/config") && (levels == 3 || levels == 4)
    })
}

impl Discovery {
    pub fn len(&self) -> usize {
        self.by_config.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_config.is_empty()
    }

    /// Reads one config message.
    pub fn apply(&mut self, topic: &str, payload: &[u8]) -> Applied {
        if payload.iter().all(u8::is_ascii_whitespace) {
            self.forget(topic);
            return Applied::Nothing;
        }
        let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(payload) else {
            return Applied::NotAConfig;
        };
        if too_long(&map) {
            self.forget(topic);
            self.refused += 1;
            return Applied::Nothing;
        }
        let Some(entity) = parse(topic, &map) else {
            // A config without a state topic (a button, a trigger): understood, nothing to show.
            self.forget(topic);
            return Applied::Nothing;
        };
        if self.by_config.get(topic) == Some(&entity) {
            return Applied::Nothing;
        }
        if !self.by_config.contains_key(topic) && self.by_config.len() >= MAX_ENTITIES {
            self.refused += 1;
            return Applied::Nothing;
        }
        self.forget(topic);
        if self
            .by_state
            .get(&entity.state_topic)
            .is_some_and(|v| v.len() >= MAX_PER_STATE_TOPIC)
        {
            self.refused += 1;
            return Applied::Nothing;
        }
        let state = entity.state_topic.clone();
        self.by_state
            .entry(state.clone())
            .or_default()
            .push(topic.to_string());
        self.by_config.insert(topic.to_string(), entity);
        Applied::Named(state)
    }

    fn forget(&mut self, config_topic: &str) {
        if let Some(old) = self.by_config.remove(config_topic) {
            if let Some(v) = self.by_state.get_mut(&old.state_topic) {
                v.retain(|c| c != config_topic);
                if v.is_empty() {
                    self.by_state.remove(&old.state_topic);
                }
            }
        }
    }

    /// The entities reading `state_topic`.
    pub fn of_state_topic(&self, state_topic: &str) -> impl Iterator<Item = &Entity> {
        self.by_state
            .get(state_topic)
            .into_iter()
            .flatten()
            .filter_map(|c| self.by_config.get(c))
    }

    /// The entity that reads `field` of `state_topic`, if one says so.
    pub fn entity(&self, state_topic: &str, field: &str) -> Option<&Entity> {
        self.of_state_topic(state_topic)
            .find(|e| e.field.as_deref() == Some(field))
    }

    /// The device any entity of `state_topic` belongs to.
    pub fn device(&self, state_topic: &str) -> Option<&HaDevice> {
        self.of_state_topic(state_topic)
            .find_map(|e| e.device.as_ref())
    }

    /// The entity whose config arrived on `config_topic`.
    pub fn by_config_topic(&self, config_topic: &str) -> Option<&Entity> {
        self.by_config.get(config_topic)
    }
}

/// Whether a config holds a text longer than twinview keeps (anywhere it reads one).
fn too_long(map: &Map<String, Value>) -> bool {
    let long = |m: &Map<String, Value>, keys: &[&str], max: usize| {
        keys.iter()
            .any(|k| matches!(m.get(*k), Some(Value::String(s)) if s.len() > max))
    };
    long(
        map,
        &["~", "state_topic", "stat_t", "value_template", "val_tpl"],
        MAX_TOPIC,
    ) || long(
        map,
        &[
            "name",
            "unit_of_measurement",
            "unit_of_meas",
            "device_class",
            "dev_cla",
            "payload_on",
            "pl_on",
            "payload_off",
            "pl_off",
        ],
        MAX_TEXT,
    ) || matches!(map.get("device").or_else(|| map.get("dev")), Some(Value::Object(d))
            if long(d, &["name", "manufacturer", "mf", "model", "mdl"], MAX_TEXT))
}

/// A string member under its full or abbreviated key.
fn text(map: &Map<String, Value>, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| match map.get(*k) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        _ => None,
    })
}

fn parse(config_topic: &str, map: &Map<String, Value>) -> Option<Entity> {
    let component = config_topic
        .strip_prefix(PREFIX)?
        .split('/')
        .next()?
        .to_string();
    let base = text(map, &["~"]);
    let expand = |t: String| match &base {
        Some(b) if t.starts_with('~') => format!("{b}{}", &t[1..]),
        Some(b) if t.ends_with('~') => format!("{}{b}", &t[..t.len() - 1]),
        _ => t,
    };
    let state_topic = expand(text(map, &["state_topic", "stat_t"])?);
    if state_topic.is_empty() || state_topic.contains(['+', '#']) {
        return None;
    }
    let field = match text(map, &["value_template", "val_tpl"]) {
        Some(t) => template_field(&t),
        None => Some("value".to_string()),
    };
    let device = match map.get("device").or_else(|| map.get("dev")) {
        Some(Value::Object(d)) => Some(HaDevice {
            name: text(d, &["name"]),
            manufacturer: text(d, &["manufacturer", "mf"]),
            model: text(d, &["model", "mdl"]),
        }),
        _ => None,
    };
    let on_off = matches!(
        component.as_str(),
        "binary_sensor" | "switch" | "light" | "fan"
    );
    let pick = |keys: &[&str], default: &str| {
        on_off.then(|| payload_text(map, keys).unwrap_or_else(|| default.to_string()))
    };
    Some(Entity {
        config_topic: config_topic.to_string(),
        payload_on: pick(&["payload_on", "pl_on"], "ON"),
        payload_off: pick(&["payload_off", "pl_off"], "OFF"),
        component,
        state_topic,
        name: text(map, &["name"]),
        unit: text(map, &["unit_of_measurement", "unit_of_meas"]),
        device_class: text(map, &["device_class", "dev_cla"]),
        field,
        device,
    })
}

/// The field a `value_template` reads: `{{ value }}` → `value`; `{{ value_json.a.b }}`,
/// `{{ value_json['a']["b"] }}`, `{{ value_json.a[0] | float | round(1) }}` → `a.b`, `a.0`.
/// Anything else (conditions, arithmetic, other variables) → `None`.
pub fn template_field(template: &str) -> Option<String> {
    let inner = template
        .trim()
        .strip_prefix("{{")?
        .strip_suffix("}}")?
        .trim();
    let expr = inner.split('|').next()?.trim();
    if expr == "value" {
        return Some("value".to_string());
    }
    let mut rest = expr.strip_prefix("value_json")?;
    let mut path: Vec<String> = Vec::new();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            let end = r
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(r.len());
            if end == 0 {
                return None;
            }
            path.push(r[..end].to_string());
            rest = &r[end..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let close = r.find(']')?;
            let key = r[..close].trim();
            let key = key
                .strip_prefix('\'')
                .and_then(|k| k.strip_suffix('\''))
                .or_else(|| key.strip_prefix('"').and_then(|k| k.strip_suffix('"')))
                .or_else(|| key.chars().all(|c| c.is_ascii_digit()).then_some(key))?;
            if key.is_empty() {
                return None;
            }
            path.push(key.to_string());
            rest = &r[close + 1..];
        } else {
            return None;
        }
    }
    (!path.is_empty()).then(|| path.join("."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_name_the_field_they_read() {
        for (t, f) in [
            ("{{ value }}", Some("value")),
            ("{{value_json.temperature}}", Some("temperature")),
            ("{{ value_json.ENERGY.Power }}", Some("ENERGY.Power")),
            (
                "{{ value_json['aenergy'][\"total\"] | float }}",
                Some("aenergy.total"),
            ),
            ("{{ value_json.temps[0] | round(1) }}", Some("temps.0")),
            ("{{ value_json.a if value_json.a is defined else 0 }}", None),
            ("{{ value | int * 2 }}", Some("value")),
            ("{{ states('sensor.x') }}", None),
            ("value_json.a", None),
            ("{{ value_json }}", None),
        ] {
            assert_eq!(template_field(t).as_deref(), f, "{t}");
        }
    }

    #[test]
    fn config_topics_are_recognised() {
        assert!(is_config_topic(
            "homeassistant/sensor/kitchen/temperature/config"
        ));
        assert!(is_config_topic("homeassistant/binary_sensor/door/config"));
        assert!(!is_config_topic("homeassistant/status"));
        assert!(!is_config_topic("homeassistant/sensor/a/b/c/config"));
        assert!(!is_config_topic("home/sensor/a/config"));
    }

    #[test]
    fn abbreviations_and_base_topic_expand() {
        let mut d = Discovery::default();
        let cfg = br#"{"~":"tele/plug_1","name":"Power","stat_t":"~/SENSOR",
            "unit_of_meas":"W","dev_cla":"power","val_tpl":"{{value_json.ENERGY.Power}}",
            "dev":{"ids":["abc"],"name":"Plug 1","mf":"Tasmota","mdl":"Sonoff S31"}}"#;
        assert_eq!(
            d.apply("homeassistant/sensor/plug_1/power/config", cfg),
            Applied::Named("tele/plug_1/SENSOR".into())
        );
        let e = d.entity("tele/plug_1/SENSOR", "ENERGY.Power").unwrap();
        assert_eq!(e.name.as_deref(), Some("Power"));
        assert_eq!(e.unit.as_deref(), Some("W"));
        assert_eq!(e.device_class.as_deref(), Some("power"));
        assert_eq!(
            e.device.as_ref().and_then(HaDevice::make).as_deref(),
            Some("Tasmota Sonoff S31")
        );
        // Repeated: no change to report. Removed: forgotten.
        assert_eq!(
            d.apply("homeassistant/sensor/plug_1/power/config", cfg),
            Applied::Nothing
        );
        assert_eq!(
            d.apply("homeassistant/sensor/plug_1/power/config", b""),
            Applied::Nothing
        );
        assert!(d.is_empty());
        assert_eq!(
            d.apply("homeassistant/sensor/x/config", b"{oops"),
            Applied::NotAConfig
        );
        // No state topic (a button): understood, nothing kept.
        assert_eq!(
            d.apply(
                "homeassistant/button/x/config",
                br#"{"name":"Restart","cmd_t":"cmnd/x/Restart"}"#
            ),
            Applied::Nothing
        );
        assert!(d.is_empty());
    }

    #[test]
    fn long_texts_and_crowded_state_topics_are_refused_and_counted() {
        let mut d = Discovery::default();
        let cfg = |name: &str, state: &str| {
            serde_json::json!({"name": name, "state_topic": state, "unit_of_measurement": "°C"})
                .to_string()
        };
        let big = "x".repeat(MAX_TEXT + 1);
        assert_eq!(
            d.apply(
                "homeassistant/sensor/a/config",
                cfg(&big, "home/a").as_bytes()
            ),
            Applied::Nothing
        );
        let long_topic = format!("home/{}", "t".repeat(MAX_TOPIC));
        d.apply(
            "homeassistant/sensor/b/config",
            cfg("ok", &long_topic).as_bytes(),
        );
        let dev = serde_json::json!({"state_topic": "home/c", "dev": {"mdl": big}}).to_string();
        d.apply("homeassistant/sensor/c/config", dev.as_bytes());
        assert_eq!((d.len(), d.refused), (0, 3));
        // A changed config that grows too long forgets what the old one said.
        d.apply(
            "homeassistant/sensor/a/config",
            cfg("fine", "home/a").as_bytes(),
        );
        assert_eq!(d.len(), 1);
        d.apply(
            "homeassistant/sensor/a/config",
            cfg(&big, "home/a").as_bytes(),
        );
        assert_eq!(d.len(), 0);
        // 10,000 configs naming one state topic: 64 kept, each later one refused at once.
        let mut d = Discovery::default();
        for i in 0..10_000 {
            let t = format!("homeassistant/sensor/s{i}/config");
            d.apply(&t, cfg(&format!("s{i}"), "home/one").as_bytes());
        }
        assert_eq!(d.of_state_topic("home/one").count(), MAX_PER_STATE_TOPIC);
        assert_eq!(d.refused, 10_000 - MAX_PER_STATE_TOPIC as u64);
    }
}
