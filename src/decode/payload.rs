//! Payload decoding without configuration (docs/conventions.md §1).
//!
//! One function, [`decode`], turns a payload into readings (numbers and text states), an
//! observed command, or an explanation of why it could not be decoded. It never panics and
//! never allocates more than the payload warrants.

use std::borrow::Cow;

use compact_str::CompactString;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use serde_json::Value;

/// Payloads larger than this are counted as undecoded without being parsed.
pub const DEFAULT_MAX_PAYLOAD: usize = 1 << 20;

/// How deep nested objects are flattened (`a.b.c`): a field name has at most this many levels.
/// Deeper members are ignored; a payload whose only numbers lie deeper is undecoded
/// ([`Undecodable::TooDeep`]).
pub const MAX_DEPTH: usize = 8;
/// Longest id, field name, state word, command name or alerted sensor name taken (bytes);
/// a payload with a longer one is counted as [`Undecodable::FieldTooLong`], not tracked.
pub const MAX_NAME: usize = 256;
/// Longest unit taken (bytes).
pub const MAX_UNIT: usize = 64;
/// Longest text taken as a state value (bytes, single line, no control characters): `idle`,
/// `partlycloudy`, `Printing page 3`. Longer text is not a state ([`Undecodable::Text`]).
pub const MAX_STATE: usize = 64;
/// Most sensors one alert may name.
pub const MAX_ALERT_NAMES: usize = 256;
/// How many numeric fields one payload may produce, so one message cannot create a flood of series.
const MAX_FIELDS: usize = 64;

/// Keys that carry the reading's time; never series.
const TIME_KEYS: &[&str] = &["timestamp_utc", "timestamp", "ts", "time"];
/// Keys that identify the device; never series.
const ID_KEYS: &[&str] = &["sensor_id", "device_id", "id", "sensorId", "deviceId"];
/// Keys that describe rather than measure; never series.
const META_KEYS: &[&str] = &[
    "metadata", "meta", "unit", "units", "status", "command", "type",
];

/// Numeric readings and text states found in one payload (at least one of either).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Readings {
    /// From `sensor_id` / `device_id` / `id`.
    /// Inline up to 24 bytes (`compact_str`): ids and units are short, and two allocations
    /// per message were a measurable part of decoding (BENCHMARKS.md, "Ingest").
    pub device: Option<CompactString>,
    pub unit: Option<CompactString>,
    /// From `timestamp_utc` / `timestamp` / `ts` / `time`.
    pub time: Option<DateTime<Utc>>,
    /// (field, value); the field of a bare number is `value`.
    pub fields: Vec<(Cow<'static, str>, f64)>,
    /// (field, text): a plain word or short text (field `value`), and the string and boolean
    /// members of a JSON object at any depth (`state`, `occupancy`, `update.state`).
    pub states: Vec<(Cow<'static, str>, String)>,
}

/// What a payload turned out to be.
#[derive(Debug, Clone, PartialEq)]
pub enum Decoded {
    Readings(Readings),
    /// A command someone published (`{"command":"RESET",…}`).
    Command {
        name: String,
    },
    /// Not understood; the reason is shown to the user.
    Undecoded(Undecodable),
}

/// Why a payload could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Undecodable {
    Empty,
    TooLarge,
    Binary,
    Text,
    InvalidJson,
    NoNumbers,
    NotFinite,
    /// Numbers only below the nesting limit ([`MAX_DEPTH`] levels).
    TooDeep,
    /// A message on a Contract Net topic that is not JSON with a `job_id`.
    ContractNet,
    /// An id, name or word over [`MAX_NAME`] bytes, or a unit over [`MAX_UNIT`]: counted, not
    /// tracked.
    FieldTooLong,
    /// A payload on a Sparkplug B topic that is not a Sparkplug payload (broken protobuf, a
    /// primary host state that says neither online nor offline).
    Sparkplug,
    /// A topic over [`MAX_TOPIC`] bytes: counted, never tracked (its name would be copied into
    /// a topic, series, sensor, device and label).
    TopicTooLong,
}

/// The longest topic twinview tracks (real topics stay under a few hundred bytes; MQTT allows
/// 65,535, and 2,000 topics of 60 kB made 878 MB).
pub const MAX_TOPIC: usize = 1024;

impl Undecodable {
    /// Whether the payload is broken (what the header's `malformed` counts), as opposed to
    /// well-formed traffic that simply holds no reading or state: empty payloads (retained
    /// clears), binary data, long text, JSON without values (discovery configs, attributes).
    pub fn is_malformed(self) -> bool {
        !matches!(
            self,
            Undecodable::Empty | Undecodable::Binary | Undecodable::Text | Undecodable::NoNumbers
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Undecodable::Empty => "empty payload",
            Undecodable::TooLarge => "payload too large",
            Undecodable::Binary => "binary (not UTF-8)",
            Undecodable::Text => "text too long for a state",
            Undecodable::InvalidJson => "invalid JSON",
            Undecodable::NoNumbers => "JSON without numbers or states",
            Undecodable::NotFinite => "NaN or infinite number",
            Undecodable::TooDeep => "nested deeper than 8 levels",
            Undecodable::ContractNet => "Contract Net message without job_id",
            Undecodable::FieldTooLong => "a name or unit over its length limit",
            Undecodable::TopicTooLong => "topic over 1,024 bytes",
            Undecodable::Sparkplug => "not a Sparkplug B payload",
        }
    }
}

/// Decode a payload. `max_len` bounds the bytes parsed (see [`DEFAULT_MAX_PAYLOAD`]); every
/// name and unit in the result is within [`MAX_NAME`] / [`MAX_UNIT`].
pub fn decode(payload: &[u8], max_len: usize) -> Decoded {
    within_limits(decode_any(payload, max_len))
}

/// The per-field length limits: one name or unit over its limit makes the whole payload
/// [`Undecodable::FieldTooLong`] (a partial reading under a cut name would be a guess).
fn within_limits(d: Decoded) -> Decoded {
    let long = |s: &str| s.len() > MAX_NAME;
    let too_long = match &d {
        Decoded::Readings(r) => {
            r.device.as_deref().is_some_and(long)
                || r.unit.as_ref().is_some_and(|u| u.len() > MAX_UNIT)
                || r.fields.iter().any(|(k, _)| long(k))
                || r.states.iter().any(|(k, v)| long(k) || v.len() > MAX_STATE)
        }
        Decoded::Command { name } => long(name),
        Decoded::Undecoded(_) => false,
    };
    if too_long {
        Decoded::Undecoded(Undecodable::FieldTooLong)
    } else {
        d
    }
}

/// Whether an alert's sensor names are within the limits ([`MAX_ALERT_NAMES`] names of at
/// most [`MAX_NAME`] bytes).
pub fn alert_within_limits(names: &[String]) -> bool {
    names.len() <= MAX_ALERT_NAMES && names.iter().all(|n| n.len() <= MAX_NAME)
}

fn decode_any(payload: &[u8], max_len: usize) -> Decoded {
    if payload.len() > max_len {
        return Decoded::Undecoded(Undecodable::TooLarge);
    }
    let Ok(text) = std::str::from_utf8(payload) else {
        return Decoded::Undecoded(Undecodable::Binary);
    };
    let text = text.trim();
    if text.is_empty() {
        return Decoded::Undecoded(Undecodable::Empty);
    }
    if text == "null" {
        return Decoded::Undecoded(Undecodable::NoNumbers);
    }
    // Fast path: a bare number, the commonest payload of all.
    if let Some(x) = parse_number(text) {
        return if x.is_finite() {
            Decoded::Readings(Readings {
                fields: vec![(Cow::Borrowed("value"), x)],
                ..Readings::default()
            })
        } else {
            Decoded::Undecoded(Undecodable::NotFinite)
        };
    }
    match text.as_bytes()[0] {
        // Objects, the commonest JSON payload, are read without building a `Value` tree.
        b'{' => match serde_json::from_str::<Object>(text) {
            Ok(object) => decode_object(object),
            Err(_) => Decoded::Undecoded(Undecodable::InvalidJson),
        },
        b'[' | b'"' => match serde_json::from_str::<Value>(text) {
            Ok(v) => decode_json(v),
            Err(_) if log_line(text) => Decoded::Undecoded(Undecodable::Text),
            Err(_) => Decoded::Undecoded(Undecodable::InvalidJson),
        },
        _ => text_reading(text),
    }
}

/// Whether `text`, which opens with `[` and is not JSON, is text rather than broken JSON: its
/// first token after the bracket can begin no JSON value (nor a cut-short `true`, `false` or
/// `null`). ESPHome's log lines are such (`[D][sensor:093]: 'Greenhouse Temperature': Sending
/// state …`); an array cut short (`[1, 2`) is broken JSON. Premise: a device that means JSON
/// gets at least its first value right. Such text is never a state: a log line is not one.
fn log_line(text: &str) -> bool {
    if !text.starts_with('[') {
        return false;
    }
    let rest = text[1..].trim_start().as_bytes();
    let Some(&c) = rest.first() else {
        return false;
    };
    if matches!(c, b'{' | b'[' | b'"' | b'-' | b']' | b'0'..=b'9') {
        return false;
    }
    let word = &rest[..rest
        .iter()
        .position(|b| !b.is_ascii_alphabetic())
        .unwrap_or(rest.len())];
    word.is_empty()
        || ![&b"true"[..], b"false", b"null"]
            .iter()
            .any(|w| w.starts_with(word))
}

/// Plain text: a number with its unit, else a short text state, else [`Undecodable::Text`].
fn text_reading(text: &str) -> Decoded {
    if let Some((x, unit)) = number_with_unit(text) {
        return finite_or_undecoded(Readings {
            unit: Some(unit.into()),
            fields: vec![(Cow::Borrowed("value"), x)],
            ..Readings::default()
        });
    }
    match state_text(text) {
        Some(word) => Decoded::Readings(Readings {
            states: vec![(Cow::Borrowed("value"), word.to_string())],
            ..Readings::default()
        }),
        None => Decoded::Undecoded(Undecodable::Text),
    }
}

/// A text that can be a state: trimmed, non-empty, at most [`MAX_STATE`] bytes, one line
/// without control characters.
pub fn state_text(text: &str) -> Option<&str> {
    let t = text.trim();
    (!t.is_empty() && t.len() <= MAX_STATE && !t.chars().any(char::is_control)).then_some(t)
}

/// A number followed by a unit, as devices print them: `21.4 C`, `21.4°C`, `48 %`, `230V`,
/// `1.2 kWh`, `12 km/h`. The unit is at most 8 characters of letters and the usual signs
/// (`° % / µ ² ³ Ω`), with no digits or spaces inside it.
pub fn number_with_unit(text: &str) -> Option<(f64, &str)> {
    let end = text
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_digit() || matches!(c, '+' | '-' | '.' | 'e' | 'E')))
        .map(|(i, _)| i)?;
    // `e`/`E` belong to the number only when digits follow (`1e5`), not in `12 eur`.
    let mut end = end;
    while end > 0 && matches!(text.as_bytes()[end - 1], b'e' | b'E') {
        end -= 1;
    }
    let x = parse_number(&text[..end])?;
    let unit = text[end..].trim_start();
    let ok = !unit.is_empty()
        && unit.chars().count() <= 8
        && unit
            .chars()
            .all(|c| c.is_alphabetic() || matches!(c, '°' | '%' | '/' | 'µ' | '²' | '³' | 'Ω'));
    ok.then_some((x, unit))
}

/// A number in plain text. Rejects words Rust would accept (`inf`, `NaN`) unless they are
/// spelled like numbers, so `nan` counts as non-finite rather than as text.
fn parse_number(text: &str) -> Option<f64> {
    let first = *text.as_bytes().first()?;
    if !(first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.' | b'n' | b'N' | b'i' | b'I'))
    {
        return None;
    }
    text.parse::<f64>().ok()
}

/// Recognises boolean-like words (case-insensitive); returns the normalised form (the UI
/// colours these: `on` as good, `off` as bad).
pub fn state_word(text: &str) -> Option<&'static str> {
    const WORDS: &[(&str, &str)] = &[
        ("true", "true"),
        ("false", "false"),
        ("on", "on"),
        ("off", "off"),
        ("online", "online"),
        ("offline", "offline"),
        ("open", "open"),
        ("closed", "closed"),
    ];
    WORDS
        .iter()
        .find(|(w, _)| w.eq_ignore_ascii_case(text))
        .map(|(_, n)| *n)
}

/// A top-level array or string (objects take [`decode_object`]).
fn decode_json(v: Value) -> Decoded {
    match v {
        Value::Array(items) => decode_array(items),
        Value::String(s) => match parse_number(s.trim()) {
            Some(x) if x.is_finite() => Decoded::Readings(Readings {
                fields: vec![(Cow::Borrowed("value"), x)],
                ..Readings::default()
            }),
            _ => text_reading(s.trim()),
        },
        Value::Bool(b) => Decoded::Readings(Readings {
            states: vec![(Cow::Borrowed("value"), b.to_string())],
            ..Readings::default()
        }),
        // Numbers took the fast path; `null` says nothing.
        Value::Number(_) | Value::Null | Value::Object(_) => {
            Decoded::Undecoded(Undecodable::NoNumbers)
        }
    }
}

/// `[dataType, units, data]` (e.g. `["float","C",23.5]`), else a list of numbers.
fn decode_array(items: Vec<Value>) -> Decoded {
    if let [Value::String(_), Value::String(unit), data] = items.as_slice() {
        if let Some(x) = json_number(data) {
            return finite_or_undecoded(Readings {
                unit: Some(unit.as_str().into()),
                fields: vec![(Cow::Borrowed("value"), x)],
                ..Readings::default()
            });
        }
    }
    let mut fields = Vec::new();
    for (i, item) in items.iter().enumerate().take(MAX_FIELDS) {
        if let Some(x) = json_number(item) {
            fields.push((Cow::Owned(i.to_string()), x));
        }
    }
    finite_or_undecoded(Readings {
        fields,
        ..Readings::default()
    })
}

fn decode_object(object: Object<'_>) -> Decoded {
    // A bare numeric `id` numbers a part of the device (Shelly's `switch:0` says `"id":0`),
    // not the device: only a text `id` names one.
    let device = ID_KEYS.iter().find_map(|k| match (*k, object.get(k)) {
        ("id", Some(Field::Number(_))) => None,
        (_, f) => f.and_then(Field::id_string),
    });
    let time = TIME_KEYS
        .iter()
        .find_map(|k| object.get(k).and_then(Field::time));
    let unit = ["unit", "units"].iter().find_map(|k| {
        object
            .get(k)
            .and_then(Field::as_str)
            .map(CompactString::from)
    });

    let mut acc = Found::default();
    for (key, value) in &object.0 {
        if acc.full() {
            break;
        }
        let number_key = !is_skipped_key(key);
        // (Whether a key may name a state is asked only where it decides something: a number
        // under a number key, the commonest member, never asks. Past the skip below, a key
        // that is no number key is known to be one.)
        let state_key = || !number_key || is_state_key(key);
        if !number_key && !is_state_key(key) {
            continue;
        }
        match value {
            Field::Number(n) if number_key => acc.number(field_name(key), n.as_f64()),
            // `"21.4 C"` in a multi-field payload: the number (one unit per payload cannot
            // say which field it belongs to).
            Field::Str(s) => {
                match text_number(s).or_else(|| number_with_unit(s.trim()).map(|(x, _)| x)) {
                    Some(x) if number_key => acc.number(field_name(key), Some(x)),
                    Some(_) => {}
                    None if state_key() => acc.text(Cow::Owned(key.to_string()), s),
                    None => {}
                }
            }
            Field::Bool(b) if state_key() => acc.flag(Cow::Owned(key.to_string()), *b),
            Field::Nested(v) if number_key => acc.flatten(key.to_string(), v, 1),
            _ => {}
        }
    }
    if !acc.fields.is_empty() || !acc.states.is_empty() {
        return Decoded::Readings(Readings {
            device,
            unit,
            time,
            fields: acc.fields,
            states: acc.states,
        });
    }
    if acc.non_finite {
        return Decoded::Undecoded(Undecodable::NotFinite);
    }
    if acc.too_deep {
        return Decoded::Undecoded(Undecodable::TooDeep);
    }
    if let Some(name) = object.get("command").and_then(Field::as_str) {
        return Decoded::Command {
            name: name.to_string(),
        };
    }
    Decoded::Undecoded(Undecodable::NoNumbers)
}

/// What one payload's members turned out to be, at any depth.
#[derive(Default)]
struct Found {
    fields: Vec<(Cow<'static, str>, f64)>,
    states: Vec<(Cow<'static, str>, String)>,
    non_finite: bool,
    too_deep: bool,
}

impl Found {
    /// At most [`MAX_FIELDS`] numbers and as many states, so one message cannot create a
    /// flood of series.
    fn full(&self) -> bool {
        self.fields.len() >= MAX_FIELDS && self.states.len() >= MAX_FIELDS
    }

    fn number(&mut self, key: Cow<'static, str>, x: Option<f64>) {
        match x {
            Some(x) if !x.is_finite() => self.non_finite = true,
            Some(x) if self.fields.len() < MAX_FIELDS => self.fields.push((key, x)),
            _ => {}
        }
    }

    /// A boolean member: a state.
    fn flag(&mut self, key: Cow<'static, str>, b: bool) {
        if self.states.len() < MAX_FIELDS {
            self.states.push((key, b.to_string()));
        }
    }

    /// A string member: a state when it is short text and not a time (`"Time":"2024-…"`
    /// changes with every message and says nothing about the device).
    fn text(&mut self, key: Cow<'static, str>, s: &str) {
        if self.states.len() >= MAX_FIELDS {
            return;
        }
        if let Some(word) = state_text(s) {
            if parse_time_text(word).is_none() {
                self.states.push((key, word.to_string()));
            }
        }
    }

    fn flatten(&mut self, key: String, value: &Value, depth: usize) {
        if self.full() {
            return;
        }
        match value {
            Value::Object(map) if depth < MAX_DEPTH => {
                for (k, v) in map {
                    if is_skipped_key(k) && !is_state_key(k) {
                        continue;
                    }
                    if is_skipped_key(k) && !matches!(v, Value::String(_) | Value::Bool(_)) {
                        continue;
                    }
                    self.flatten(format!("{key}.{k}"), v, depth + 1);
                }
            }
            Value::Array(items) if depth < MAX_DEPTH => {
                let tags = tag_ids(items);
                for (i, v) in items.iter().enumerate().take(MAX_FIELDS) {
                    match &tags {
                        Some(ids) => self.flatten(format!("{key}.{}", ids[i]), v, depth + 1),
                        None => self.flatten(format!("{key}.{i}"), v, depth + 1),
                    }
                }
            }
            Value::Object(_) | Value::Array(_) => self.too_deep = true,
            Value::Bool(b) => self.flag(Cow::Owned(key), *b),
            Value::String(s) if json_number(value).is_none() => self.text(Cow::Owned(key), s),
            other => self.number(Cow::Owned(key), json_number(other)),
        }
    }
}

/// The text `id` of each member of an array of objects that name themselves, when every member
/// has one and no two are alike: Kepware's IoT Gateway sends `"values":[{"id":
/// "Line2.Oven1.Zone1.Temperature","v":177.5,"q":true,"t":…},…]`. Premise: such a list is of
/// tagged values, and a value is its tag's, not its place's: the place changes when a tag is
/// added to the list, and a series named `values.4.v` would then carry another tag's readings
/// (and mean nothing to whoever reads it). Ids that are empty, over [`MAX_NAME`] bytes, or hold a
/// `/` or control characters name no series.
fn tag_ids(items: &[Value]) -> Option<Vec<&str>> {
    let ids: Vec<&str> = items
        .iter()
        .take(MAX_FIELDS)
        .map(|v| match v.get("id") {
            Some(Value::String(id))
                if !id.is_empty()
                    && id.len() <= MAX_NAME
                    && !id.contains('/')
                    && !id.chars().any(char::is_control) =>
            {
                Some(id.as_str())
            }
            _ => None,
        })
        .collect::<Option<_>>()?;
    let distinct = ids.iter().enumerate().all(|(i, id)| !ids[..i].contains(id));
    (!ids.is_empty() && distinct).then_some(ids)
}

/// Keys whose string or boolean value is a state: every key but the time, id and unit keys
/// and `command` (`status` is one: a device's own word for how it is).
fn is_state_key(k: &str) -> bool {
    !(TIME_KEYS.iter().any(|t| t.eq_ignore_ascii_case(k))
        || ID_KEYS.contains(&k)
        || matches!(
            k,
            "unit" | "units" | "command" | "type" | "metadata" | "meta"
        ))
}

/// A series name; the commonest one costs no allocation.
fn field_name(key: &str) -> Cow<'static, str> {
    match key {
        "value" => Cow::Borrowed("value"),
        _ => Cow::Owned(key.to_string()),
    }
}

/// A JSON object's members, sorted by key with the last of any duplicate kept (what a
/// `serde_json::Map` would hold), borrowing keys and strings from the payload where JSON
/// escapes allow. Nested objects and arrays become `Value`s; members that are only ever
/// metadata are checked for syntax and dropped unread.
struct Object<'a>(Vec<(Cow<'a, str>, Field<'a>)>);

/// One member's value.
enum Field<'a> {
    Number(serde_json::Number),
    Str(Cow<'a, str>),
    Bool(bool),
    Null,
    Nested(Value),
}

/// Members of an object kept in key order as they are read (see [`Object`]'s `visit_map`).
const SORTED_AS_READ: usize = 32;

/// Keys whose values never matter to decoding.
const UNREAD_KEYS: &[&str] = &["metadata", "meta", "type"];

impl<'a> Object<'a> {
    /// The member named `key` (each key once: see [`Object`]). A scan, not a binary search:
    /// a payload holds a handful of members, and a key of another length is passed over
    /// without comparing its bytes, where each step of a search compares them (a lab payload's
    /// id, time and unit lookups cost seven byte comparisons a message).
    fn get(&self, key: &str) -> Option<&Field<'a>> {
        self.0
            .iter()
            .find(|(k, _)| k.as_ref() == key)
            .map(|(_, f)| f)
    }
}

impl Field<'_> {
    fn as_str(&self) -> Option<&str> {
        match self {
            Field::Str(s) => Some(s),
            _ => None,
        }
    }

    fn id_string(&self) -> Option<CompactString> {
        match self {
            Field::Str(s) if !s.is_empty() => Some(CompactString::from(s.as_ref())),
            Field::Number(n) => Some(compact_str::format_compact!("{n}")),
            _ => None,
        }
    }

    fn time(&self) -> Option<DateTime<Utc>> {
        match self {
            Field::Number(n) => epoch(n.as_f64()?),
            Field::Str(s) => parse_time_text(s),
            _ => None,
        }
    }
}

impl<'de> serde::Deserialize<'de> for Object<'de> {
    #[inline]
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Object<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            #[inline]
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Object<'de>, A::Error> {
                // One allocation for the usual payload (a few members; more grow it).
                let mut members: Vec<(Cow<'de, str>, Field<'de>)> =
                    Vec::with_capacity(map.size_hint().unwrap_or(8).min(64));
                // The first members are kept in order as they come (found by a binary search,
                // the last of equal keys replacing the first): fewer comparisons and moves than
                // sorting them after, for the usual payload. Past [`SORTED_AS_READ`] members,
                // inserting would cost O(n) moves each; the rest are pushed and sorted once.
                while let Some(Key(key)) = map.next_key()? {
                    if UNREAD_KEYS.contains(&key.as_ref()) {
                        map.next_value::<serde::de::IgnoredAny>()?;
                        continue;
                    }
                    let value = map.next_value()?;
                    if members.len() >= SORTED_AS_READ {
                        members.push((key, value));
                        continue;
                    }
                    match members.binary_search_by(|(k, _)| k.as_ref().cmp(key.as_ref())) {
                        Ok(i) => members[i].1 = value,
                        Err(i) => members.insert(i, (key, value)),
                    }
                }
                if members.len() > SORTED_AS_READ {
                    // Reversed, then sorted stably: of equal keys the last one comes first,
                    // and is the one kept (in place, no second list).
                    members.reverse();
                    members.sort_by(|a, b| a.0.cmp(&b.0));
                    members.dedup_by(|a, b| a.0 == b.0);
                }
                Ok(Object(members))
            }
        }
        d.deserialize_map(Visit)
    }
}

/// A key, borrowed unless it holds escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    #[inline]
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s.to_string())))
            }
            fn visit_string<E>(self, s: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s)))
            }
        }
        d.deserialize_str(Visit)
    }
}

impl<'de> serde::Deserialize<'de> for Field<'de> {
    #[inline]
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Field<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_bool<E>(self, b: bool) -> Result<Field<'de>, E> {
                Ok(Field::Bool(b))
            }
            fn visit_i64<E>(self, x: i64) -> Result<Field<'de>, E> {
                Ok(Field::Number(x.into()))
            }
            fn visit_u64<E>(self, x: u64) -> Result<Field<'de>, E> {
                Ok(Field::Number(x.into()))
            }
            fn visit_f64<E>(self, x: f64) -> Result<Field<'de>, E> {
                // JSON text cannot spell a non-finite number, so this always succeeds.
                Ok(serde_json::Number::from_f64(x).map_or(Field::Null, Field::Number))
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Field<'de>, E> {
                Ok(Field::Str(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Field<'de>, E> {
                Ok(Field::Str(Cow::Owned(s.to_string())))
            }
            fn visit_string<E>(self, s: String) -> Result<Field<'de>, E> {
                Ok(Field::Str(Cow::Owned(s)))
            }
            fn visit_unit<E>(self) -> Result<Field<'de>, E> {
                Ok(Field::Null)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<Field<'de>, A::Error> {
                serde::Deserialize::deserialize(MapAccessDeserializer::new(map)).map(Field::Nested)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                seq: A,
            ) -> Result<Field<'de>, A::Error> {
                serde::Deserialize::deserialize(SeqAccessDeserializer::new(seq)).map(Field::Nested)
            }
        }
        d.deserialize_any(Visit)
    }
}

fn is_skipped_key(k: &str) -> bool {
    TIME_KEYS.contains(&k) || ID_KEYS.contains(&k) || META_KEYS.contains(&k)
}

/// A JSON number, or a string that holds one (many devices quote their numbers).
fn json_number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => text_number(s),
        _ => None,
    }
}

/// A number quoted as text (`"23.5"`).
fn text_number(s: &str) -> Option<f64> {
    let s = s.trim();
    if s.is_empty() {
        None
    } else {
        parse_number(s)
    }
}

fn finite_or_undecoded(r: Readings) -> Decoded {
    if r.fields.is_empty() && r.states.is_empty() {
        Decoded::Undecoded(Undecodable::NoNumbers)
    } else if r.fields.iter().any(|(_, x)| !x.is_finite()) {
        Decoded::Undecoded(Undecodable::NotFinite)
    } else {
        Decoded::Readings(r)
    }
}

fn id_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A timestamp: ISO 8601 text, or epoch seconds / milliseconds / microseconds / nanoseconds
/// told apart by magnitude. Numbers too small to be a plausible epoch (before 1973) are not
/// times: `{"time": 3.0}` is a duration, not 1970.
pub fn parse_time(v: &Value) -> Option<DateTime<Utc>> {
    match v {
        Value::Number(n) => epoch(n.as_f64()?),
        Value::String(s) => parse_time_text(s),
        _ => None,
    }
}

fn parse_time_text(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Some(t) = utc_rfc3339(s.as_bytes()) {
        return Some(t);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(Utc.from_utc_datetime(&t));
        }
    }
    epoch(s.parse::<f64>().ok()?)
}

/// The one layout nearly every payload uses, `YYYY-MM-DDTHH:MM:SS[.fraction]Z`, read
/// directly: a tenth of chrono's general RFC 3339 parser, which was 5 % of the instructions
/// per lab reading (BENCHMARKS.md, "Ingest"). Anything else (offsets, a space for the `T`,
/// leap seconds, more than nine fraction digits) is `None` and goes to chrono; where this
/// answers, it answers what chrono would (a property test compares them).
fn utc_rfc3339(b: &[u8]) -> Option<DateTime<Utc>> {
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    if *b.last()? != b'Z' {
        return None;
    }
    // Every position of the fixed part is a digit but the separators checked above.
    if !b[..19]
        .iter()
        .enumerate()
        .all(|(i, c)| matches!(i, 4 | 7 | 10 | 13 | 16) || c.is_ascii_digit())
    {
        return None;
    }
    let d = |i: usize| u32::from(b[i] - b'0');
    let two = |i: usize| d(i) * 10 + d(i + 1);
    let year = two(0) * 100 + two(2);
    let (month, day, hour, minute, second) = (two(5), two(8), two(11), two(14), two(17));
    let nanos = match &b[19..b.len() - 1] {
        [] => 0,
        [b'.', digits @ ..] if (1..=9).contains(&digits.len()) => {
            let mut n = 0u32;
            for &c in digits {
                if !c.is_ascii_digit() {
                    return None;
                }
                n = n * 10 + u32::from(c - b'0');
            }
            n * 10u32.pow(9 - digits.len() as u32)
        }
        _ => return None,
    };
    if second > 59 {
        return None;
    }
    let date = chrono::NaiveDate::from_ymd_opt(year as i32, month, day)?;
    Some(Utc.from_utc_datetime(&date.and_hms_nano_opt(hour, minute, second, nanos)?))
}

fn epoch(x: f64) -> Option<DateTime<Utc>> {
    if !x.is_finite() || x < 1e8 {
        return None;
    }
    let nanos = if x >= 1e17 {
        x
    } else if x >= 1e14 {
        x * 1e3
    } else if x >= 1e11 {
        x * 1e6
    } else {
        x * 1e9
    };
    if nanos > i64::MAX as f64 {
        return None;
    }
    Some(DateTime::from_timestamp_nanos(nanos as i64))
}

/// Suspect sensor ids in an alert payload: `["s2","s4"]`, `{"sensors":[…]}`,
/// `{"suspects":[…]}`, or `s2,s4`.
pub fn decode_alert(payload: &[u8]) -> Option<Vec<String>> {
    let text = std::str::from_utf8(payload).ok()?.trim();
    if text.is_empty() {
        return None;
    }
    let ids = |items: &Vec<Value>| -> Vec<String> { items.iter().filter_map(id_string).collect() };
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(items)) => Some(ids(&items)),
        Ok(Value::Object(map)) => ["sensors", "suspects"]
            .iter()
            .find_map(|k| map.get(*k).and_then(Value::as_array))
            .map(ids),
        Ok(Value::String(s)) => Some(split_ids(&s)),
        Ok(_) => None,
        Err(_) => Some(split_ids(text)),
    }
}

fn split_ids(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(String::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4000))]
        /// Where the direct reader answers, it answers what chrono's RFC 3339 parser does.
        #[test]
        fn the_direct_time_reader_agrees_with_chrono(
            date in "[0-9]{4}-[0-1][0-9]-[0-3][0-9]",
            time in "[0-2][0-9]:[0-6][0-9]:[0-6][0-9]",
            sep in "[Tt ]",
            frac in "(\\.[0-9]{0,11})?",
            zone in "(Z|z|\\+01:00|-00:00)",
        ) {
            let text = format!("{date}{sep}{time}{frac}{zone}");
            let chrono = DateTime::parse_from_rfc3339(&text).ok().map(|t| t.with_timezone(&Utc));
            if let Some(t) = utc_rfc3339(text.as_bytes()) {
                proptest::prop_assert_eq!(Some(t), chrono, "{}", text);
            }
            proptest::prop_assert_eq!(parse_time_text(&text), chrono.or_else(|| parse_time_text_slow(&text)), "{}", text);
        }
    }

    /// `parse_time_text` without the direct reader.
    fn parse_time_text_slow(s: &str) -> Option<DateTime<Utc>> {
        let s = s.trim();
        for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
            if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
                return Some(Utc.from_utc_datetime(&t));
            }
        }
        epoch(s.parse::<f64>().ok()?)
    }

    #[test]
    fn the_lab_timestamp_is_read_directly() {
        let t = utc_rfc3339(b"2024-01-15T14:23:45.123456Z").unwrap();
        assert_eq!(t.to_rfc3339(), "2024-01-15T14:23:45.123456+00:00");
        assert!(utc_rfc3339(b"2024-02-30T00:00:00Z").is_none());
        assert!(utc_rfc3339(b"2024-01-15T14:23:45+01:00").is_none());
    }

    fn readings(payload: &str) -> Readings {
        match decode(payload.as_bytes(), DEFAULT_MAX_PAYLOAD) {
            Decoded::Readings(r) => r,
            other => panic!("expected readings from {payload:?}, got {other:?}"),
        }
    }

    fn fields(r: &Readings) -> Vec<(&str, f64)> {
        r.fields.iter().map(|(k, v)| (k.as_ref(), *v)).collect()
    }

    #[test]
    fn form1_plain_number() {
        let r = readings("21.7");
        assert_eq!(fields(&r), vec![("value", 21.7)]);
        assert_eq!(r.device, None);
        assert_eq!(r.time, None);
        assert_eq!(fields(&readings(" -3e2\n")), vec![("value", -300.0)]);
    }

    #[test]
    fn form2_lab6_json() {
        let r = readings(
            r#"{"timestamp_utc":"2024-01-15T14:23:45.123456Z","sensor_id":"TEMP_SENSOR_001","value":22.4,"unit":"Celsius","metadata":{"location":"Lab Environment","sensor_type":"Simulated Thermistor","firmware_version":"1.0.0"}}"#,
        );
        assert_eq!(fields(&r), vec![("value", 22.4)]);
        assert_eq!(r.unit.as_deref(), Some("Celsius"));
        assert_eq!(r.device.as_deref(), Some("TEMP_SENSOR_001"));
        assert_eq!(
            r.time
                .unwrap()
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            "2024-01-15T14:23:45.123456Z"
        );
    }

    #[test]
    fn form4_multi_field() {
        let r = readings(
            r#"{"device_id":"living-room-01","temperature_c":22.1,"temperature_f":71.8,"humidity":45.2,"timestamp":1737028800.5}"#,
        );
        let mut f = fields(&r);
        f.sort_by(|a, b| a.0.cmp(b.0));
        assert_eq!(
            f,
            vec![
                ("humidity", 45.2),
                ("temperature_c", 22.1),
                ("temperature_f", 71.8)
            ]
        );
        assert_eq!(r.device.as_deref(), Some("living-room-01"));
        assert_eq!(r.time.unwrap().timestamp_millis(), 1_737_028_800_500);
    }

    #[test]
    fn form5_datatype_units_data_array() {
        let r = readings(r#"["float","C",23.5]"#);
        assert_eq!(fields(&r), vec![("value", 23.5)]);
        assert_eq!(r.unit.as_deref(), Some("C"));
    }

    #[test]
    fn form6_nested_objects_flatten() {
        let r = readings(r#"{"env":{"t":20.5,"rh":41}}"#);
        let mut f = fields(&r);
        f.sort_by(|a, b| a.0.cmp(b.0));
        assert_eq!(f, vec![("env.rh", 41.0), ("env.t", 20.5)]);
    }

    fn states(payload: &str) -> Vec<(String, String)> {
        match decode(payload.as_bytes(), DEFAULT_MAX_PAYLOAD) {
            Decoded::Readings(r) => r
                .states
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
            other => panic!("{payload}: {other:?}"),
        }
    }

    fn st(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn form7_words_and_short_text_are_states() {
        for (p, v) in [
            ("true", "true"),
            ("false", "false"),
            ("\"ON\"", "ON"),
            ("\"OFF\"", "OFF"),
            ("ON", "ON"),
            ("off", "off"),
            ("Online", "Online"),
            ("idle", "idle"),
            ("unavailable", "unavailable"),
            ("partlycloudy", "partlycloudy"),
            (" Printing page 3 \n", "Printing page 3"),
            ("\"hello world\"", "hello world"),
        ] {
            assert_eq!(states(p), st(&[("value", v)]), "{p}");
        }
        // Longer than a state, or over several lines: text, not a state (and not malformed).
        let long = "x".repeat(MAX_STATE + 1);
        for p in [long.as_str(), "line one\nline two", "\"a\\u0007b\""] {
            assert_eq!(
                decode(p.as_bytes(), DEFAULT_MAX_PAYLOAD),
                Decoded::Undecoded(Undecodable::Text),
                "{p}"
            );
            assert!(!Undecodable::Text.is_malformed());
        }
    }

    #[test]
    fn json_strings_and_booleans_are_states_at_any_depth() {
        // Zigbee2MQTT: numbers are series, words and booleans states; times are neither.
        let p = r#"{"battery":97,"occupancy":true,"state":"ON","update":{"state":"idle","installed_version":-1},"last_seen":"2026-12-01T10:00:00Z"}"#;
        assert_eq!(
            states(p),
            st(&[
                ("occupancy", "true"),
                ("state", "ON"),
                ("update.state", "idle")
            ])
        );
        assert_eq!(
            fields(&readings(p)),
            vec![("battery", 97.0), ("update.installed_version", -1.0)]
        );
        // Tasmota: `Time` (any case) is a time, `POWER` a state.
        assert_eq!(
            states(r#"{"Time":"2026-12-01T10:00:00","POWER":"ON","Wifi":{"SSId":"lab"}}"#),
            st(&[("POWER", "ON"), ("Wifi.SSId", "lab")])
        );
        // Ids, units and commands are never states.
        assert_eq!(
            states(r#"{"sensor_id":"s1","unit":"C","mode":"auto","v":1}"#),
            st(&[("mode", "auto")])
        );
    }

    #[test]
    fn status_json_is_a_state_and_commands_are_commands() {
        assert_eq!(
            decode(
                br#"{"sensor_id":"TEMP_SENSOR_001","status":"offline"}"#,
                DEFAULT_MAX_PAYLOAD
            ),
            Decoded::Readings(Readings {
                device: Some("TEMP_SENSOR_001".into()),
                states: vec![("status".into(), "offline".into())],
                ..Readings::default()
            })
        );
        assert_eq!(
            decode(
                br#"{"command":"RESET","timestamp":"2026-11-21T12:00:00Z"}"#,
                DEFAULT_MAX_PAYLOAD
            ),
            Decoded::Command {
                name: "RESET".into()
            }
        );
    }

    #[test]
    fn timestamps_by_magnitude() {
        let secs = 1_737_028_800i64;
        for v in [
            serde_json::json!(secs),
            serde_json::json!(secs * 1000),
            serde_json::json!(secs * 1_000_000),
            serde_json::json!(secs.to_string()),
            serde_json::json!("2025-01-16T12:00:00Z"),
            serde_json::json!("2025-01-16 12:00:00"),
        ] {
            assert_eq!(parse_time(&v).unwrap().timestamp(), secs, "{v}");
        }
        assert_eq!(parse_time(&serde_json::json!(3.0)), None);
        assert_eq!(parse_time(&serde_json::json!("soon")), None);
    }

    #[test]
    fn a_list_of_tagged_values_is_named_by_its_tags() {
        // Kepware's IoT Gateway: each value names itself.
        let r = readings(
            r#"{"timestamp":1767571201573,"values":[
                {"id":"Line2.Oven1.Zone1.Temperature","q":true,"t":1767571201573,"v":177.5},
                {"id":"Line2.Oven1.Zone1.Setpoint","q":true,"t":1767571201573,"v":80.0}]}"#,
        );
        let names: Vec<&str> = r.fields.iter().map(|(k, _)| k.as_ref()).collect();
        assert!(
            names.contains(&"values.Line2.Oven1.Zone1.Temperature.v"),
            "{names:?}"
        );
        assert!(
            names.contains(&"values.Line2.Oven1.Zone1.Setpoint.v"),
            "{names:?}"
        );
        // Two alike, or one without: by place, as any list.
        let r = readings(r#"{"values":[{"id":"a","v":1},{"id":"a","v":2}]}"#);
        assert_eq!(fields(&r), vec![("values.0.v", 1.0), ("values.1.v", 2.0)]);
        let r = readings(r#"{"values":[{"id":"a","v":1},{"v":2}]}"#);
        assert_eq!(fields(&r), vec![("values.0.v", 1.0), ("values.1.v", 2.0)]);
    }

    #[test]
    fn time_keys_and_ids_are_never_series() {
        let r = readings(r#"{"id":"d7","ts":1737028800000,"v":1.5}"#);
        assert_eq!(fields(&r), vec![("v", 1.5)]);
        assert_eq!(r.device.as_deref(), Some("d7"));
        assert_eq!(r.time.unwrap().timestamp(), 1_737_028_800);
        // A numeric `id` is not a series either, nor a device (Shelly's component number).
        let r = readings(r#"{"id":0,"apower":12.5}"#);
        assert_eq!(fields(&r), vec![("apower", 12.5)]);
        assert_eq!(r.device, None);
    }

    #[test]
    fn quoted_numbers_count() {
        assert_eq!(
            fields(&readings(r#"{"value":"22.5"}"#)),
            vec![("value", 22.5)]
        );
        assert_eq!(fields(&readings(r#""7""#)), vec![("value", 7.0)]);
    }

    #[test]
    fn undecodable_payloads_say_why() {
        let cases: &[(&[u8], Undecodable)] = &[
            (b"", Undecodable::Empty),
            (b"   ", Undecodable::Empty),
            (&[0xff, 0xfe, 0x00], Undecodable::Binary),
            (b"hello\nworld", Undecodable::Text),
            (b"{\"value\": 1", Undecodable::InvalidJson),
            (b"[1, 2", Undecodable::InvalidJson),
            (b"[tru", Undecodable::InvalidJson),
            (b"{ value: 1}", Undecodable::InvalidJson),
            (b"[D] ok", Undecodable::Text),
            // ESPHome's log lines open with a bracket and are text, not broken JSON.
            (
                b"[D][sensor:093]: 'Greenhouse Temperature': Sending state 21.40000 \xc2\xb0C with 1 decimals of accuracy",
                Undecodable::Text,
            ),
            (b"[W][dht:174]: Requesting data from DHT failed!", Undecodable::Text),
            (b"{\"name\":null}", Undecodable::NoNumbers),
            (b"[\"a\",\"b\"]", Undecodable::NoNumbers),
            (b"null", Undecodable::NoNumbers),
            // Found by the property tests: an empty JSON string used to panic.
            (b"\"\"", Undecodable::Text),
            (b"\"   \"", Undecodable::Text),
            (b"NaN", Undecodable::NotFinite),
            (b"-inf", Undecodable::NotFinite),
            (b"1e999", Undecodable::NotFinite),
        ];
        for (payload, why) in cases {
            assert_eq!(
                decode(payload, DEFAULT_MAX_PAYLOAD),
                Decoded::Undecoded(*why),
                "{:?}",
                String::from_utf8_lossy(payload)
            );
        }
        assert_eq!(
            decode(&[b'1'; 100], 10),
            Decoded::Undecoded(Undecodable::TooLarge)
        );
    }

    #[test]
    fn objects_read_as_a_json_map_holds_them() {
        // Fields in key order; the last of duplicate keys wins; escapes in keys and strings.
        let r =
            readings(r#"{"b":2,"a":1,"b":3,"c\u0064":4,"sensor_id":"s\u00e9","metadata":{"x":9}}"#);
        assert_eq!(fields(&r), vec![("a", 1.0), ("b", 3.0), ("cd", 4.0)]);
        assert_eq!(r.device.as_deref(), Some("sé"));
        // The same past the members kept in order as read (32): 40 keys in reverse order,
        // the 10th read given again before the 32nd, the 1st and the 35th after it.
        let mut big: Vec<String> = (0..40).rev().map(|i| format!(r#""k{i:02}":{i}"#)).collect();
        big.push(r#""k39":100"#.into());
        big.push(r#""k05":105"#.into());
        big.insert(20, r#""k30":130"#.into());
        let r = readings(&format!("{{{}}}", big.join(",")));
        let mut want: Vec<(String, f64)> = (0..40)
            .map(|i| (format!("k{i:02}"), f64::from(i)))
            .collect();
        want[39].1 = 100.0;
        want[5].1 = 105.0;
        want[30].1 = 130.0;
        let got: Vec<(String, f64)> = fields(&r)
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        assert_eq!(got, want);
        // A numeric device id keeps its JSON spelling.
        assert_eq!(
            readings(r#"{"device_id":7,"v":1}"#).device.as_deref(),
            Some("7")
        );
        assert_eq!(
            readings(r#"{"sensor_id":7.0,"v":1}"#).device.as_deref(),
            Some("7.0")
        );
        // Metadata is never read, but it must still be JSON.
        assert_eq!(
            decode(br#"{"v":1,"metadata":{"x":}}"#, DEFAULT_MAX_PAYLOAD),
            Decoded::Undecoded(Undecodable::InvalidJson)
        );
        assert_eq!(
            decode(br#"{"v":1} trailing"#, DEFAULT_MAX_PAYLOAD),
            Decoded::Undecoded(Undecodable::InvalidJson)
        );
        // Nested members flatten alongside top-level ones.
        let r = readings(r#"{"z":{"y":[1,{"status":5}]},"a":"2.5"}"#);
        assert_eq!(fields(&r), vec![("a", 2.5), ("z.y.0", 1.0)]);
    }

    #[test]
    fn numbers_with_units_in_text_are_readings_with_that_unit() {
        for (text, x, unit) in [
            ("21.4 C", 21.4, "C"),
            ("21.4°C", 21.4, "°C"),
            ("48 %", 48.0, "%"),
            ("230V", 230.0, "V"),
            ("1.2 kWh", 1.2, "kWh"),
            ("12 km/h", 12.0, "km/h"),
            ("1e3 Pa", 1000.0, "Pa"),
            ("12 eur", 12.0, "eur"),
        ] {
            match decode(text.as_bytes(), DEFAULT_MAX_PAYLOAD) {
                Decoded::Readings(r) => {
                    assert_eq!(r.fields, vec![(Cow::Borrowed("value"), x)], "{text}");
                    assert_eq!(r.unit.as_deref(), Some(unit), "{text}");
                }
                other => panic!("{text}: {other:?}"),
            }
        }
        match decode(br#"{"t":"21.4 C","h":"48 %"}"#, DEFAULT_MAX_PAYLOAD) {
            Decoded::Readings(r) => {
                assert_eq!(fields(&r), vec![("h", 48.0), ("t", 21.4)]);
                assert_eq!(r.unit, None, "one unit per payload cannot say whose");
            }
            other => panic!("{other:?}"),
        }
        // Not a number with a unit: a text state, no reading.
        for text in [
            "C 21.4",
            "21.4 C 22",
            "21 degrees celsius",
            "hello",
            "12 verylongunit",
        ] {
            assert_eq!(states(text), st(&[("value", text)]), "{text}");
        }
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let nested = |levels: usize| format!("{}1{}", "{\"a\":".repeat(levels), "}".repeat(levels));
        // The documented limit: a field name of 8 levels is read …
        assert_eq!(
            fields(&readings(&nested(MAX_DEPTH))),
            vec![("a.a.a.a.a.a.a.a", 1.0)]
        );
        // … one level more is not, and the payload is undecoded with that reason.
        for levels in [MAX_DEPTH + 1, 100] {
            assert_eq!(
                decode(nested(levels).as_bytes(), DEFAULT_MAX_PAYLOAD),
                Decoded::Undecoded(Undecodable::TooDeep),
                "{levels} levels"
            );
        }
        assert_eq!(Undecodable::TooDeep.as_str(), "nested deeper than 8 levels");
        // Past serde_json's own recursion limit (128) it is invalid JSON; nothing panics.
        assert_eq!(
            decode(nested(200).as_bytes(), DEFAULT_MAX_PAYLOAD),
            Decoded::Undecoded(Undecodable::InvalidJson)
        );
        // Numbers beside a too-deep member are still read.
        let mixed = format!(r#"{{"t":20.5,"deep":{}}}"#, nested(MAX_DEPTH + 1));
        assert_eq!(fields(&readings(&mixed)), vec![("t", 20.5)]);
    }

    #[test]
    fn many_fields_are_capped() {
        let body: Vec<String> = (0..500).map(|i| format!("\"k{i}\":{i}")).collect();
        let r = readings(&format!("{{{}}}", body.join(",")));
        assert_eq!(r.fields.len(), MAX_FIELDS);
        // States too: booleans and words, at the top and nested.
        let body: Vec<String> = (0..500)
            .map(|i| match i % 3 {
                0 => format!("\"b{i}\":true"),
                1 => format!("\"w{i}\":\"idle\""),
                _ => format!("\"n{i}\":{{\"on\":false}}"),
            })
            .collect();
        let r = readings(&format!("{{{}}}", body.join(",")));
        assert_eq!(r.states.len(), MAX_FIELDS);
    }

    #[test]
    fn alerts_in_every_form() {
        let want = vec!["s2".to_string(), "s4".to_string()];
        assert_eq!(decode_alert(br#"["s2","s4"]"#), Some(want.clone()));
        assert_eq!(
            decode_alert(br#"{"sensors":["s2","s4"]}"#),
            Some(want.clone())
        );
        assert_eq!(
            decode_alert(br#"{"suspects":["s2","s4"]}"#),
            Some(want.clone())
        );
        assert_eq!(decode_alert(b"s2, s4"), Some(want));
        assert_eq!(decode_alert(b""), None);
    }
}
