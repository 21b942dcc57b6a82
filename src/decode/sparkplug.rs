//! Sparkplug B payloads (Eclipse Tahu `sparkplug_b.proto`, proto2): a small hand-written
//! protobuf reader and writer for exactly the messages Sparkplug uses.
//!
//! *Decision:* no protobuf crate. prost needs `protoc` (or generated code checked in plus
//! prost and its derive macros in the tree) for one message family of a dozen fields; the
//! wire format those fields use (varints, fixed 32/64-bit, length-delimited) is a page of
//! code, and reading it by hand lets every length be checked against what is left of the
//! payload before anything is allocated. Property tests (`tests/hostile.rs`) feed it random
//! bytes; unit tests build payloads with [`encode`] and read them back.
//!
//! Decoded only on the `spBv1.0/` namespace: protobuf is never guessed elsewhere.
//!
//! Field numbers (Payload): 1 timestamp, 2 metrics, 3 seq, 4 uuid, 5 body. Metric: 1 name,
//! 2 alias, 3 timestamp, 4 datatype, 5 is_historical, 6 is_transient, 7 is_null, 8 metadata,
//! 9 properties, 10 int_value, 11 long_value, 12 float_value, 13 double_value,
//! 14 boolean_value, 15 string_value, 16 bytes_value, 17 dataset_value, 18 template_value.
//! PropertySet: 1 keys, 2 values; PropertyValue: 1 type, 2 is_null, 3..8 as the metric's
//! 10..15. DataSet: 1 num_of_columns, 2 columns, 3 types, 4 rows. Template: 1 version,
//! 2 metrics, 3 parameters, 4 template_ref, 5 is_definition.

/// Most values read from one payload: metrics at every depth (template members count) and
/// array elements together. A payload with more is cut and says so: without a budget over the
/// whole payload, 4,096 arrays of 64 or nested templates put a quarter of a million readings
/// on one topic from one small message.
pub const MAX_METRICS: usize = 4096;
/// Most elements read from an array metric.
pub const MAX_ARRAY: usize = 64;
/// Deepest nesting of templates read.
const MAX_NESTING: usize = 4;

/// Sparkplug data types (the `datatype` field).
pub mod datatype {
    pub const INT8: u32 = 1;
    pub const INT16: u32 = 2;
    pub const INT32: u32 = 3;
    pub const INT64: u32 = 4;
    pub const UINT8: u32 = 5;
    pub const UINT16: u32 = 6;
    pub const UINT32: u32 = 7;
    pub const UINT64: u32 = 8;
    pub const FLOAT: u32 = 9;
    pub const DOUBLE: u32 = 10;
    pub const BOOLEAN: u32 = 11;
    pub const STRING: u32 = 12;
    pub const DATETIME: u32 = 13;
    pub const TEXT: u32 = 14;
    pub const UUID: u32 = 15;
    pub const DATASET: u32 = 16;
    pub const BYTES: u32 = 17;
    pub const FILE: u32 = 18;
    pub const TEMPLATE: u32 = 19;
    pub const INT8_ARRAY: u32 = 22;
    pub const DOUBLE_ARRAY: u32 = 31;
    pub const BOOLEAN_ARRAY: u32 = 32;

    /// The type's name as the specification spells it.
    pub fn name(t: u32) -> &'static str {
        match t {
            1 => "Int8",
            2 => "Int16",
            3 => "Int32",
            4 => "Int64",
            5 => "UInt8",
            6 => "UInt16",
            7 => "UInt32",
            8 => "UInt64",
            9 => "Float",
            10 => "Double",
            11 => "Boolean",
            12 => "String",
            13 => "DateTime",
            14 => "Text",
            15 => "UUID",
            16 => "DataSet",
            17 => "Bytes",
            18 => "File",
            19 => "Template",
            22..=34 => "Array",
            _ => "Unknown",
        }
    }
}

/// A metric's value, read according to its datatype.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    /// Signed integers (Int8…Int64), sign restored from the unsigned field that carries them.
    Int(i64),
    /// Unsigned integers and DateTime (milliseconds since the epoch).
    UInt(u64),
    Float(f64),
    Bool(bool),
    /// String, Text, UUID.
    Str(String),
    /// Bytes and File: their size.
    Bytes(usize),
    /// A numeric array (Sparkplug 3.0 Int8Array…DoubleArray), at most [`MAX_ARRAY`] elements.
    Array(Vec<f64>),
    /// A table: its columns, and how many rows it holds.
    DataSet {
        columns: Vec<String>,
        rows: usize,
    },
    /// A template instance or definition: what it refers to, and its member metrics.
    Template {
        template_ref: Option<String>,
        metrics: Vec<Metric>,
    },
    /// No value: `is_null`, or a value field missing or of a kind twinview does not read.
    #[default]
    Null,
}

impl Value {
    /// As a number, when it is one (booleans are states, not numbers).
    pub fn number(&self) -> Option<f64> {
        match self {
            Value::Int(x) => Some(*x as f64),
            Value::UInt(x) => Some(*x as f64),
            Value::Float(x) if x.is_finite() => Some(*x),
            _ => None,
        }
    }

    /// A short description for a state or a table cell (`true`, `Running`, `DataSet 3×2`).
    pub fn describe(&self) -> String {
        match self {
            Value::Int(x) => x.to_string(),
            Value::UInt(x) => x.to_string(),
            Value::Float(x) => x.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Str(s) => s.clone(),
            Value::Bytes(n) => format!("{n} bytes"),
            Value::Array(v) => format!("array of {}", v.len()),
            Value::DataSet { columns, rows } => {
                format!("DataSet {rows}×{} ({})", columns.len(), columns.join(", "))
            }
            Value::Template {
                template_ref,
                metrics,
            } => format!(
                "Template {}({} metrics)",
                template_ref
                    .as_deref()
                    .map(|r| format!("{r} "))
                    .unwrap_or_default(),
                metrics.len()
            ),
            Value::Null => "null".to_string(),
        }
    }
}

/// One metric as carried.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Metric {
    pub name: Option<String>,
    pub alias: Option<u64>,
    pub timestamp: Option<u64>,
    pub datatype: Option<u32>,
    pub is_historical: bool,
    pub is_null: bool,
    /// The engineering unit from the metric's properties (`engUnit`, `engineeringUnit`,
    /// `unit`, `units`), when present.
    pub unit: Option<String>,
    pub value: Value,
}

/// A Sparkplug payload.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Payload {
    pub timestamp: Option<u64>,
    pub seq: Option<u64>,
    pub metrics: Vec<Metric>,
    /// Values past [`MAX_METRICS`], not read: each metric left out counts once (its members or
    /// elements unread with it), each element cut from an array or member from a template
    /// that was read counts once.
    pub cut: usize,
}

/// Why a payload could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// It ended inside a field.
    Truncated,
    /// A varint longer than 10 bytes, a length past the end, or a wire type protobuf does not
    /// have.
    Malformed,
    /// Text that is not UTF-8 where a string must be.
    NotUtf8,
}

impl Error {
    pub fn as_str(self) -> &'static str {
        match self {
            Error::Truncated => "Sparkplug payload cut short",
            Error::Malformed => "not a Sparkplug B payload (malformed protobuf)",
            Error::NotUtf8 => "Sparkplug string that is not UTF-8",
        }
    }
}

/// A protobuf reader over a byte slice: every length is checked against what is left.
struct Reader<'a> {
    buf: &'a [u8],
}

enum Field<'a> {
    Varint(u64),
    Fixed64(u64),
    Bytes(&'a [u8]),
    Fixed32(u32),
}

impl<'a> Reader<'a> {
    fn varint(&mut self) -> Result<u64, Error> {
        let mut x: u64 = 0;
        for i in 0..10 {
            let (&b, rest) = self.buf.split_first().ok_or(Error::Truncated)?;
            self.buf = rest;
            x |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(x);
            }
        }
        Err(Error::Malformed)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], Error> {
        if n > self.buf.len() {
            return Err(Error::Truncated);
        }
        let (a, b) = self.buf.split_at(n);
        self.buf = b;
        Ok(a)
    }

    /// The next field: its number and value; `None` at the end.
    fn next(&mut self) -> Result<Option<(u32, Field<'a>)>, Error> {
        if self.buf.is_empty() {
            return Ok(None);
        }
        let key = self.varint()?;
        let number = u32::try_from(key >> 3).map_err(|_| Error::Malformed)?;
        let field = match key & 7 {
            0 => Field::Varint(self.varint()?),
            1 => Field::Fixed64(u64::from_le_bytes(self.take(8)?.try_into().unwrap())),
            2 => {
                let n = usize::try_from(self.varint()?).map_err(|_| Error::Malformed)?;
                Field::Bytes(self.take(n)?)
            }
            5 => Field::Fixed32(u32::from_le_bytes(self.take(4)?.try_into().unwrap())),
            _ => return Err(Error::Malformed),
        };
        Ok(Some((number, field)))
    }
}

fn text(b: &[u8]) -> Result<String, Error> {
    std::str::from_utf8(b)
        .map(String::from)
        .map_err(|_| Error::NotUtf8)
}

/// Reads a Sparkplug B payload.
pub fn decode(bytes: &[u8]) -> Result<Payload, Error> {
    let mut r = Reader { buf: bytes };
    let mut p = Payload::default();
    let mut budget = Budget {
        left: MAX_METRICS,
        cut: 0,
    };
    while let Some((n, f)) = r.next()? {
        match (n, f) {
            (1, Field::Varint(t)) => p.timestamp = Some(t),
            // `take` counts a metric past the budget as cut.
            (2, Field::Bytes(b)) if budget.take() => p.metrics.push(metric(b, 0, &mut budget)?),
            (3, Field::Varint(s)) => p.seq = Some(s),
            _ => {}
        }
    }
    p.cut = budget.cut;
    Ok(p)
}

/// What is left of a payload's [`MAX_METRICS`], and what was cut.
struct Budget {
    left: usize,
    cut: usize,
}

impl Budget {
    /// One more value, if there is room (else it is counted as cut).
    fn take(&mut self) -> bool {
        if self.left > 0 {
            self.left -= 1;
            true
        } else {
            self.cut += 1;
            false
        }
    }
}

/// The raw value fields of a metric (or a property value), read per its datatype at the end.
#[derive(Default)]
struct Raw {
    int: Option<u32>,
    long: Option<u64>,
    float: Option<f32>,
    double: Option<f64>,
    boolean: Option<bool>,
    string: Option<String>,
}

impl Raw {
    fn value(&self, datatype: Option<u32>) -> Value {
        use datatype::*;
        let t = datatype.unwrap_or(0);
        // Signed types travel in unsigned fields as two's complement; some writers fill 32
        // bits, some only the type's width: cutting to the width reads both.
        let int = self.int.map(u64::from).or(self.long);
        match t {
            INT8 => int.map_or(Value::Null, |v| Value::Int(i64::from(v as u8 as i8))),
            INT16 => int.map_or(Value::Null, |v| Value::Int(i64::from(v as u16 as i16))),
            INT32 => int.map_or(Value::Null, |v| Value::Int(i64::from(v as u32 as i32))),
            INT64 => int.map_or(Value::Null, |v| Value::Int(v as i64)),
            UINT8 | UINT16 | UINT32 | UINT64 | DATETIME => int.map_or(Value::Null, Value::UInt),
            FLOAT => self
                .float
                .map(f64::from)
                .or(self.double)
                .map_or(Value::Null, Value::Float),
            DOUBLE => self
                .double
                .or(self.float.map(f64::from))
                .map_or(Value::Null, Value::Float),
            BOOLEAN => self.boolean.map_or(Value::Null, Value::Bool),
            STRING | TEXT | UUID => self.string.clone().map_or(Value::Null, Value::Str),
            // No datatype (DATA messages may leave it to the birth): whatever field is set.
            _ => {
                if let Some(b) = self.boolean {
                    Value::Bool(b)
                } else if let Some(s) = &self.string {
                    Value::Str(s.clone())
                } else if let Some(x) = self.double.or(self.float.map(f64::from)) {
                    Value::Float(x)
                } else if let Some(x) = int {
                    Value::UInt(x)
                } else {
                    Value::Null
                }
            }
        }
    }
}

fn metric(bytes: &[u8], depth: usize, budget: &mut Budget) -> Result<Metric, Error> {
    let mut r = Reader { buf: bytes };
    let mut m = Metric::default();
    let mut raw = Raw::default();
    let mut bytes_value: Option<&[u8]> = None;
    let mut dataset: Option<Value> = None;
    let mut template: Option<Value> = None;
    while let Some((n, f)) = r.next()? {
        match (n, f) {
            (1, Field::Bytes(b)) => m.name = Some(text(b)?),
            (2, Field::Varint(a)) => m.alias = Some(a),
            (3, Field::Varint(t)) => m.timestamp = Some(t),
            (4, Field::Varint(t)) => m.datatype = u32::try_from(t).ok(),
            (5, Field::Varint(b)) => m.is_historical = b != 0,
            (7, Field::Varint(b)) => m.is_null = b != 0,
            (9, Field::Bytes(b)) => m.unit = unit_property(b)?,
            (10, Field::Varint(v)) => raw.int = Some(v as u32),
            (11, Field::Varint(v)) => raw.long = Some(v),
            (12, Field::Fixed32(v)) => raw.float = Some(f32::from_bits(v)),
            (13, Field::Fixed64(v)) => raw.double = Some(f64::from_bits(v)),
            (14, Field::Varint(v)) => raw.boolean = Some(v != 0),
            (15, Field::Bytes(b)) => raw.string = Some(text(b)?),
            (16, Field::Bytes(b)) => bytes_value = Some(b),
            (17, Field::Bytes(b)) => dataset = Some(data_set(b)?),
            (18, Field::Bytes(b)) if depth < MAX_NESTING => {
                template = Some(templ(b, depth + 1, budget)?)
            }
            _ => {}
        }
    }
    m.value = if m.is_null {
        Value::Null
    } else if let Some(d) = dataset {
        d
    } else if let Some(t) = template {
        t
    } else if let Some(b) = bytes_value {
        match m.datatype {
            Some(t @ datatype::INT8_ARRAY..=datatype::DOUBLE_ARRAY) => array(t, b, budget),
            _ => Value::Bytes(b.len()),
        }
    } else {
        raw.value(m.datatype)
    };
    Ok(m)
}

/// A numeric array (Sparkplug 3.0): little-endian elements of the type's width.
fn array(t: u32, b: &[u8], budget: &mut Budget) -> Value {
    let width = match t {
        22 | 26 => 1,
        23 | 27 => 2,
        24 | 28 | 30 => 4,
        _ => 8,
    };
    let present = b.len() / width;
    // The metric itself took one from the budget; its elements take the rest.
    let n = present.min(MAX_ARRAY).min(budget.left + 1);
    budget.left = budget.left.saturating_sub(n.saturating_sub(1));
    budget.cut += present.min(MAX_ARRAY) - n;
    let v = b
        .chunks_exact(width)
        .take(n)
        .map(|c| {
            let mut w = [0u8; 8];
            w[..width].copy_from_slice(c);
            let u = u64::from_le_bytes(w);
            match t {
                22 => f64::from(u as u8 as i8),
                23 => f64::from(u as u16 as i16),
                24 => f64::from(u as u32 as i32),
                25 => u as i64 as f64,
                26..=29 => u as f64,
                30 => f64::from(f32::from_bits(u as u32)),
                _ => f64::from_bits(u),
            }
        })
        .collect();
    Value::Array(v)
}

/// The unit among a metric's properties.
fn unit_property(bytes: &[u8]) -> Result<Option<String>, Error> {
    let mut r = Reader { buf: bytes };
    let mut keys = Vec::new();
    let mut values = Vec::new();
    while let Some((n, f)) = r.next()? {
        match (n, f) {
            (1, Field::Bytes(b)) => keys.push(text(b)?),
            (2, Field::Bytes(b)) => values.push(property_string(b)?),
            _ => {}
        }
        if keys.len() > 256 {
            break;
        }
    }
    Ok(keys
        .iter()
        .zip(values)
        .find(|(k, _)| {
            ["engUnit", "engineeringUnit", "unit", "units"]
                .iter()
                .any(|u| u.eq_ignore_ascii_case(k))
        })
        .and_then(|(_, v)| v))
}

/// A property value's string, if it is one.
fn property_string(bytes: &[u8]) -> Result<Option<String>, Error> {
    let mut r = Reader { buf: bytes };
    let mut s = None;
    while let Some((n, f)) = r.next()? {
        if let (8, Field::Bytes(b)) = (n, f) {
            s = Some(text(b)?);
        }
    }
    Ok(s.filter(|s| !s.is_empty()))
}

fn data_set(bytes: &[u8]) -> Result<Value, Error> {
    let mut r = Reader { buf: bytes };
    let mut columns = Vec::new();
    let mut rows = 0;
    while let Some((n, f)) = r.next()? {
        match (n, f) {
            (2, Field::Bytes(b)) if columns.len() < 256 => columns.push(text(b)?),
            (4, Field::Bytes(_)) => rows += 1,
            _ => {}
        }
    }
    Ok(Value::DataSet { columns, rows })
}

fn templ(bytes: &[u8], depth: usize, budget: &mut Budget) -> Result<Value, Error> {
    let mut r = Reader { buf: bytes };
    let mut template_ref = None;
    let mut metrics = Vec::new();
    while let Some((n, f)) = r.next()? {
        match (n, f) {
            (2, Field::Bytes(b)) if metrics.len() < 256 && budget.take() => {
                metrics.push(metric(b, depth, budget)?)
            }
            (4, Field::Bytes(b)) => template_ref = Some(text(b)?),
            _ => {}
        }
    }
    Ok(Value::Template {
        template_ref,
        metrics,
    })
}

// ---------------------------------------------------------------------------------------
// Writing (the simulated edge node, the rebirth command, tests).

fn put_varint(out: &mut Vec<u8>, mut x: u64) {
    loop {
        let b = (x & 0x7f) as u8;
        x >>= 7;
        if x == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn put_key(out: &mut Vec<u8>, number: u32, wire: u8) {
    put_varint(out, (u64::from(number) << 3) | u64::from(wire));
}

fn put_bytes(out: &mut Vec<u8>, number: u32, b: &[u8]) {
    put_key(out, number, 2);
    put_varint(out, b.len() as u64);
    out.extend_from_slice(b);
}

fn put_uint(out: &mut Vec<u8>, number: u32, x: u64) {
    put_key(out, number, 0);
    put_varint(out, x);
}

/// Writes a payload. Values are written in the field their datatype uses (signed types as
/// two's complement in the unsigned field of their width's carrier); DataSet, Template and
/// arrays are not written (nothing twinview sends uses them).
pub fn encode(p: &Payload) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + p.metrics.len() * 24);
    if let Some(t) = p.timestamp {
        put_uint(&mut out, 1, t);
    }
    for m in &p.metrics {
        put_bytes(&mut out, 2, &encode_metric(m));
    }
    if let Some(s) = p.seq {
        put_uint(&mut out, 3, s);
    }
    out
}

fn encode_metric(m: &Metric) -> Vec<u8> {
    use datatype::*;
    let mut out = Vec::with_capacity(32);
    if let Some(n) = &m.name {
        put_bytes(&mut out, 1, n.as_bytes());
    }
    if let Some(a) = m.alias {
        put_uint(&mut out, 2, a);
    }
    if let Some(t) = m.timestamp {
        put_uint(&mut out, 3, t);
    }
    if let Some(t) = m.datatype {
        put_uint(&mut out, 4, u64::from(t));
    }
    if m.is_historical {
        put_uint(&mut out, 5, 1);
    }
    if m.is_null {
        put_uint(&mut out, 7, 1);
    }
    if let Some(u) = &m.unit {
        // PropertySet { keys: ["engUnit"], values: [PropertyValue { type: String, string_value }] }
        let mut value = Vec::new();
        put_uint(&mut value, 1, u64::from(STRING));
        put_bytes(&mut value, 8, u.as_bytes());
        let mut set = Vec::new();
        put_bytes(&mut set, 1, b"engUnit");
        put_bytes(&mut set, 2, &value);
        put_bytes(&mut out, 9, &set);
    }
    let t = m.datatype.unwrap_or(0);
    match (&m.value, t) {
        (Value::Null, _) => {}
        (Value::Int(x), INT8 | INT16 | INT32) => put_uint(&mut out, 10, u64::from(*x as u32)),
        (Value::Int(x), _) => put_uint(&mut out, 11, *x as u64),
        (Value::UInt(x), UINT8 | UINT16 | UINT32) => put_uint(&mut out, 10, *x),
        (Value::UInt(x), _) => put_uint(&mut out, 11, *x),
        (Value::Float(x), FLOAT) => {
            put_key(&mut out, 12, 5);
            out.extend_from_slice(&(*x as f32).to_bits().to_le_bytes());
        }
        (Value::Float(x), _) => {
            put_key(&mut out, 13, 1);
            out.extend_from_slice(&x.to_bits().to_le_bytes());
        }
        (Value::Bool(b), _) => put_uint(&mut out, 14, u64::from(*b)),
        (Value::Str(s), _) => put_bytes(&mut out, 15, s.as_bytes()),
        (Value::Bytes(n), _) => put_bytes(&mut out, 16, &vec![0; *n]),
        (Value::Array(_) | Value::DataSet { .. } | Value::Template { .. }, _) => {}
    }
    out
}

/// The payload of a rebirth request: NCMD `Node Control/Rebirth` = true.
pub fn rebirth_request(now_ms: u64) -> Vec<u8> {
    encode(&Payload {
        timestamp: Some(now_ms),
        metrics: vec![Metric {
            name: Some(REBIRTH.to_string()),
            timestamp: Some(now_ms),
            datatype: Some(datatype::BOOLEAN),
            value: Value::Bool(true),
            ..Metric::default()
        }],
        ..Payload::default()
    })
}

/// The node control metric that asks an edge node to publish its births again.
pub const REBIRTH: &str = "Node Control/Rebirth";

#[cfg(test)]
mod tests {
    use super::*;
    use datatype::*;

    fn one(datatype: u32, value: Value) -> Metric {
        let p = Payload {
            timestamp: Some(1),
            seq: Some(0),
            metrics: vec![Metric {
                name: Some("m".into()),
                alias: Some(7),
                datatype: Some(datatype),
                value,
                ..Metric::default()
            }],
            cut: 0,
        };
        let back = decode(&encode(&p)).unwrap();
        assert_eq!(back.seq, Some(0));
        back.metrics.into_iter().next().unwrap()
    }

    #[test]
    fn every_scalar_datatype_reads_back() {
        for (t, v) in [
            (INT8, Value::Int(-5)),
            (INT8, Value::Int(127)),
            (INT16, Value::Int(-30000)),
            (INT32, Value::Int(-2_000_000_000)),
            (INT64, Value::Int(-9_000_000_000_000)),
            (UINT8, Value::UInt(255)),
            (UINT16, Value::UInt(65535)),
            (UINT32, Value::UInt(4_000_000_000)),
            (UINT64, Value::UInt(u64::MAX)),
            (FLOAT, Value::Float(1.5)),
            (DOUBLE, Value::Float(-2.25e10)),
            (BOOLEAN, Value::Bool(true)),
            (STRING, Value::Str("Running".into())),
            (TEXT, Value::Str("a longer text".into())),
            (DATETIME, Value::UInt(1_764_583_200_000)),
        ] {
            let m = one(t, v.clone());
            assert_eq!(m.value, v, "{}", datatype::name(t));
            assert_eq!((m.alias, m.name.as_deref()), (Some(7), Some("m")));
        }
    }

    #[test]
    fn signed_values_in_unsigned_fields_of_either_width() {
        // Int8 -1 written as 0xFF (its width) or 0xFFFFFFFF (32 bits): both are -1.
        for raw in [0xffu64, 0xffff_ffff] {
            let mut b = Vec::new();
            put_bytes(&mut b, 1, b"x");
            put_uint(&mut b, 4, u64::from(INT8));
            put_uint(&mut b, 10, raw);
            let mut p = Vec::new();
            put_bytes(&mut p, 2, &b);
            assert_eq!(decode(&p).unwrap().metrics[0].value, Value::Int(-1));
        }
    }

    #[test]
    fn null_unit_arrays_datasets_and_templates() {
        let mut m = one(DOUBLE, Value::Null);
        assert_eq!(m.value, Value::Null);
        m = decode(&encode(&Payload {
            metrics: vec![Metric {
                name: Some("Motor/Speed".into()),
                datatype: Some(DOUBLE),
                is_null: true,
                unit: Some("rpm".into()),
                value: Value::Float(3.0),
                ..Metric::default()
            }],
            ..Payload::default()
        }))
        .unwrap()
        .metrics
        .remove(0);
        assert!(m.is_null);
        assert_eq!(m.value, Value::Null, "is_null wins over a value");
        assert_eq!(m.unit.as_deref(), Some("rpm"));

        // A DoubleArray of two, an Int16Array of two.
        let arr = |t: u32, bytes: &[u8]| {
            let mut b = Vec::new();
            put_uint(&mut b, 4, u64::from(t));
            put_bytes(&mut b, 16, bytes);
            let mut p = Vec::new();
            put_bytes(&mut p, 2, &b);
            decode(&p).unwrap().metrics.remove(0).value
        };
        let mut d = 1.5f64.to_le_bytes().to_vec();
        d.extend_from_slice(&(-2.0f64).to_le_bytes());
        assert_eq!(arr(31, &d), Value::Array(vec![1.5, -2.0]));
        assert_eq!(arr(23, &[0xff, 0xff, 2, 0]), Value::Array(vec![-1.0, 2.0]));

        // A DataSet with two columns and three rows; a template instance with one member.
        let mut ds = Vec::new();
        put_uint(&mut ds, 1, 2);
        put_bytes(&mut ds, 2, b"Time");
        put_bytes(&mut ds, 2, b"Value");
        for _ in 0..3 {
            put_bytes(&mut ds, 4, &[]);
        }
        let mut b = Vec::new();
        put_uint(&mut b, 4, u64::from(DATASET));
        put_bytes(&mut b, 17, &ds);
        let mut p = Vec::new();
        put_bytes(&mut p, 2, &b);
        let v = decode(&p).unwrap().metrics.remove(0).value;
        assert_eq!(v.describe(), "DataSet 3×2 (Time, Value)");
        let member = encode_metric(&Metric {
            name: Some("Temp".into()),
            datatype: Some(FLOAT),
            value: Value::Float(20.5),
            ..Metric::default()
        });
        let mut t = Vec::new();
        put_bytes(&mut t, 2, &member);
        put_bytes(&mut t, 4, b"Motor");
        let mut b = Vec::new();
        put_uint(&mut b, 4, u64::from(TEMPLATE));
        put_bytes(&mut b, 18, &t);
        let mut p = Vec::new();
        put_bytes(&mut p, 2, &b);
        match decode(&p).unwrap().metrics.remove(0).value {
            Value::Template {
                template_ref,
                metrics,
            } => {
                assert_eq!(template_ref.as_deref(), Some("Motor"));
                assert_eq!(metrics[0].value, Value::Float(20.5));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn broken_payloads_say_why() {
        assert_eq!(decode(&[0x12, 0x05, 0x01]), Err(Error::Truncated));
        assert_eq!(decode(&[0x0b]), Err(Error::Malformed), "wire type 3");
        assert_eq!(decode(&[0x08; 11]), Err(Error::Truncated));
        assert_eq!(
            decode(&[0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
            Err(Error::Malformed)
        );
        let mut b = Vec::new();
        put_bytes(&mut b, 1, &[0xff, 0xfe]);
        let mut p = Vec::new();
        put_bytes(&mut p, 2, &b);
        assert_eq!(decode(&p), Err(Error::NotUtf8));
        assert_eq!(decode(b"hello"), Err(Error::Malformed));
    }

    #[test]
    fn the_rebirth_request_is_what_the_spec_asks() {
        let p = decode(&rebirth_request(5)).unwrap();
        assert_eq!(p.metrics[0].name.as_deref(), Some(REBIRTH));
        assert_eq!(p.metrics[0].value, Value::Bool(true));
    }

    /// Protobuf written here by hand from sparkplug_b.proto (field numbers and wire types),
    /// not by this module's encoder, so a mistake shared by both cannot hide.
    mod wire {
        pub fn varint(out: &mut Vec<u8>, mut x: u64) {
            while x >= 0x80 {
                out.push((x as u8) | 0x80);
                x >>= 7;
            }
            out.push(x as u8);
        }
        /// Field `n` of wire type 2 (length-delimited).
        pub fn bytes(out: &mut Vec<u8>, n: u64, b: &[u8]) {
            varint(out, n << 3 | 2);
            varint(out, b.len() as u64);
            out.extend_from_slice(b);
        }
        /// Field `n` of wire type 0.
        pub fn uint(out: &mut Vec<u8>, n: u64, x: u64) {
            varint(out, n << 3);
            varint(out, x);
        }
        /// Metric { name = 1, datatype = 4, bytes_value = 16 }: an Int8Array.
        pub fn int8_array(name: &str, elements: usize) -> Vec<u8> {
            let mut m = Vec::new();
            bytes(&mut m, 1, name.as_bytes());
            uint(&mut m, 4, 22);
            bytes(&mut m, 16, &vec![7u8; elements]);
            m
        }
        /// Metric { name = 1, datatype = 4 (Template = 19), template_value = 18 {
        /// metrics = 2 … } } with `members` Int32 members (int_value = 10).
        pub fn template(name: &str, members: usize) -> Vec<u8> {
            let mut t = Vec::new();
            for i in 0..members {
                let mut m = Vec::new();
                bytes(&mut m, 1, format!("m{i}").as_bytes());
                uint(&mut m, 4, 3);
                uint(&mut m, 10, i as u64);
                bytes(&mut t, 2, &m);
            }
            let mut m = Vec::new();
            bytes(&mut m, 1, name.as_bytes());
            uint(&mut m, 4, 19);
            bytes(&mut m, 18, &t);
            m
        }
        /// Payload { timestamp = 1, metrics = 2 …, seq = 3 }.
        pub fn payload(metrics: &[Vec<u8>]) -> Vec<u8> {
            let mut p = Vec::new();
            uint(&mut p, 1, 1_700_000_000_000);
            for m in metrics {
                bytes(&mut p, 2, m);
            }
            uint(&mut p, 3, 0);
            p
        }
    }

    /// Every value a payload carries: metrics at any depth and array elements.
    fn values(metrics: &[Metric]) -> usize {
        metrics
            .iter()
            .map(|m| match &m.value {
                Value::Array(xs) => xs.len().max(1),
                Value::Template { metrics, .. } => 1 + values(metrics),
                _ => 1,
            })
            .sum()
    }

    #[test]
    fn one_payload_reads_at_most_its_budget_of_values_arrays_and_templates_included() {
        // 2,000 Int8Arrays of 64: 128,000 elements from a 150 kB birth.
        let arrays: Vec<Vec<u8>> = (0..2000)
            .map(|i| wire::int8_array(&format!("a{i}"), 64))
            .collect();
        let p = decode(&wire::payload(&arrays)).unwrap();
        assert!(values(&p.metrics) <= MAX_METRICS, "{}", values(&p.metrics));
        assert_eq!(p.metrics.len(), 64, "64 whole arrays fill the budget");
        assert_eq!(p.metrics[0].value, Value::Array(vec![7.0; 64]));
        assert_eq!(p.cut, 2000 - 64);
        // 300 templates of 256 members: 77,100 values.
        let templates: Vec<Vec<u8>> = (0..300)
            .map(|i| wire::template(&format!("t{i}"), 256))
            .collect();
        let p = decode(&wire::payload(&templates)).unwrap();
        assert!(values(&p.metrics) <= MAX_METRICS, "{}", values(&p.metrics));
        // A template not read counts once; the one cut inside counts its members left out.
        assert_eq!(p.metrics.len(), 4096 / 257 + 1);
        assert!(p.cut >= 300 - p.metrics.len(), "{}", p.cut);
        let Value::Template { metrics, .. } = &p.metrics[0].value else {
            panic!("{:?}", p.metrics[0])
        };
        assert_eq!(metrics.len(), 256);
        assert_eq!(metrics[5].value, Value::Int(5));
        // A payload within the budget is read whole.
        let p = decode(&wire::payload(&[
            wire::int8_array("x", 3),
            wire::template("t", 2),
        ]))
        .unwrap();
        assert_eq!((values(&p.metrics), p.cut), (6, 0));
    }

    /// A DDATA written out byte by byte from sparkplug_b.proto: an alias-only Double, a named
    /// Boolean, a negative Int16 in the unsigned `int_value`.
    #[test]
    fn a_payload_written_byte_by_byte_from_the_proto_reads_back() {
        let bytes: &[u8] = &[
            0x08, 0xe8, 0x07, // timestamp = 1000
            0x12, 0x0d, // metrics, 13 bytes
            0x10, 0x05, //   alias = 5
            0x20, 0x0a, //   datatype = Double
            0x69, 0, 0, 0, 0, 0, 0x80, 0x35, 0x40, //   double_value = 21.5 (fixed64)
            0x12, 0x13, // metrics, 19 bytes
            0x0a, 0x0d, b'M', b'o', b't', b'o', b'r', b'/', b'R', b'u', b'n', b'n', b'i', b'n',
            b'g', //   name
            0x20, 0x0b, //   datatype = Boolean
            0x70, 0x01, //   boolean_value = true
            0x12, 0x0e, // metrics, 14 bytes
            0x0a, 0x04, b'T', b'e', b'm', b'p', //   name
            0x20, 0x02, //   datatype = Int16
            0x50, 0xfc, 0xff, 0xff, 0xff, 0x0f, //   int_value = 0xFFFFFFFC (-4 as uint32)
            0x18, 0x07, // seq = 7
        ];
        let p = decode(bytes).unwrap();
        assert_eq!((p.timestamp, p.seq, p.cut), (Some(1000), Some(7), 0));
        assert_eq!(p.metrics.len(), 3);
        assert_eq!(
            (
                p.metrics[0].name.as_deref(),
                p.metrics[0].alias,
                p.metrics[0].datatype
            ),
            (None, Some(5), Some(datatype::DOUBLE))
        );
        assert_eq!(p.metrics[0].value, Value::Float(21.5));
        assert_eq!(p.metrics[1].name.as_deref(), Some("Motor/Running"));
        assert_eq!(p.metrics[1].value, Value::Bool(true));
        assert_eq!(p.metrics[2].name.as_deref(), Some("Temp"));
        assert_eq!(p.metrics[2].value.number(), Some(-4.0));
        // One byte short: an error, nothing read.
        assert!(decode(&bytes[..bytes.len() - 1]).is_err());
    }
}
