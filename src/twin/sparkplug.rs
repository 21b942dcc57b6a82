//! Sparkplug B sessions: what each edge node and its devices said in their births (metric
//! names, aliases, datatypes, units), whether they are online, and whether their messages
//! arrive in order.
//!
//! - **Births define, data refers.** NBIRTH starts a session: the node's and its devices'
//!   definitions are forgotten and the birth's metrics define the node's; DBIRTH defines a
//!   device's. NDATA/DDATA metrics that carry only an alias resolve through them. A DATA
//!   metric whose alias no birth defined, and every DATA before the node's first birth, is
//!   counted as **needs rebirth** and applied to nothing: twinview never guesses whose it is.
//! - **Sequence.** Every message of a node but its death carries `seq`, 0 at NBIRTH, then
//!   +1 modulo 256. A jump is a **seq gap** (messages lost or reordered), counted.
//! - **bdSeq.** NBIRTH and the NDEATH registered as the node's Last Will carry the same
//!   `bdSeq`. An NDEATH whose bdSeq is not the current session's is the will of an older
//!   session (delivered late, after the node came back): ignored and counted.
//! - **Primary host.** `spBv1.0/STATE/<host>` says whether the primary host application is
//!   online (Sparkplug 3.0 JSON `{"online":true,…}`, or the older `ONLINE`/`OFFLINE`).

use super::levels;
use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::bound;
use super::devices::Status;
use super::FastMap;
use crate::decode::sparkplug::{self, Metric, Payload, Value};

/// Devices kept per edge node.
pub const MAX_DEVICES: usize = 1024;

/// The longest metric name a birth may define (Ignition's tag paths stay far below).
pub const MAX_NAME: usize = 512;

/// A Sparkplug message type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    NBirth,
    NDeath,
    NData,
    NCmd,
    DBirth,
    DDeath,
    DData,
    DCmd,
}

impl Kind {
    fn parse(s: &str) -> Option<Kind> {
        Some(match s {
            "NBIRTH" => Kind::NBirth,
            "NDEATH" => Kind::NDeath,
            "NDATA" => Kind::NData,
            "NCMD" => Kind::NCmd,
            "DBIRTH" => Kind::DBirth,
            "DDEATH" => Kind::DDeath,
            "DDATA" => Kind::DData,
            "DCMD" => Kind::DCmd,
            _ => return None,
        })
    }

    fn for_device(self) -> bool {
        matches!(self, Kind::DBirth | Kind::DDeath | Kind::DData | Kind::DCmd)
    }
}

/// A parsed Sparkplug topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Topic<'a> {
    /// `spBv1.0/<group>/<type>/<node>[/<device>]`.
    Message {
        group: &'a str,
        kind: Kind,
        node: &'a str,
        device: Option<&'a str>,
    },
    /// `spBv1.0/STATE/<host>`.
    State { host: &'a str },
}

/// Reads a topic in the `spBv1.0/` namespace; `None` for anything else.
pub fn parse_topic(topic: &str) -> Option<Topic<'_>> {
    let rest = topic.strip_prefix("spBv1.0/")?;
    let levels: Vec<&str> = levels::levels(rest).collect();
    match levels.as_slice() {
        ["STATE", host] if !host.is_empty() => Some(Topic::State { host }),
        [group, kind, node] => {
            let kind = Kind::parse(kind)?;
            (!kind.for_device() && !node.is_empty()).then_some(Topic::Message {
                group,
                kind,
                node,
                device: None,
            })
        }
        [group, kind, node, device] => {
            let kind = Kind::parse(kind)?;
            (kind.for_device() && !node.is_empty() && !device.is_empty()).then_some(
                Topic::Message {
                    group,
                    kind,
                    node,
                    device: Some(device),
                },
            )
        }
        _ => None,
    }
}

/// What a birth said of one metric. Names and units are shared (`Arc`), so resolving a
/// DATA metric allocates nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct Def {
    pub name: Arc<str>,
    pub datatype: Option<u32>,
    pub unit: Option<Arc<str>>,
}

/// Metric definitions of one node or device, by name and by alias.
#[derive(Debug, Clone, Default)]
pub struct Defs {
    by_alias: FastMap<u64, Def>,
    by_name: FastMap<Arc<str>, Def>,
}

impl Defs {
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    /// The definitions a birth makes (those of an earlier birth are void), and the aliases it
    /// gave to two different names (the first kept; DATA on them cannot be trusted).
    /// At most `room` definitions are made (the rest are counted in `not_kept`), and none of a
    /// name longer than [`MAX_NAME`].
    fn of_birth(metrics: &[Metric], room: usize, not_kept: &mut u64) -> (Defs, Vec<u64>) {
        let mut d = Defs::default();
        let mut twice = Vec::new();
        for m in metrics {
            if m.name.as_ref().is_some_and(|n| n.len() > MAX_NAME) || d.len() >= room {
                *not_kept += 1;
                continue;
            }
            if let (Some(a), Some(name)) = (m.alias, &m.name) {
                if d.by_alias.get(&a).is_some_and(|old| *old.name != **name) {
                    if twice.len() < 16 && !twice.contains(&a) {
                        twice.push(a);
                    }
                    continue;
                }
            }
            d.define(m);
        }
        (d, twice)
    }

    fn define(&mut self, m: &Metric) {
        let Some(name) = &m.name else { return };
        let def = Def {
            name: Arc::from(name.as_str()),
            datatype: m.datatype,
            unit: m.unit.as_deref().map(Arc::from),
        };
        if let Some(a) = m.alias {
            self.by_alias.insert(a, def.clone());
        }
        self.by_name.insert(def.name.clone(), def);
    }

    /// What a DATA metric refers to: by its name when it has one, else by its alias.
    fn resolve(&self, m: &Metric) -> Option<Def> {
        match (&m.name, m.alias) {
            (Some(n), _) => Some(self.by_name.get(n.as_str()).cloned().unwrap_or(Def {
                name: Arc::from(n.as_str()),
                datatype: m.datatype,
                unit: m.unit.as_deref().map(Arc::from),
            })),
            (None, Some(a)) => self.by_alias.get(&a).cloned(),
            (None, None) => None,
        }
    }
}

/// One device of an edge node.
#[derive(Debug, Clone, Default)]
pub struct EdgeDevice {
    pub online: Option<bool>,
    pub births: u64,
    pub defs: Defs,
    /// DATA metrics that could not be attributed (unknown alias, or before the birth).
    pub needs_rebirth: u64,
    /// Said once until the next birth (a flood of early data is one log line, not one each).
    said_early: bool,
}

/// One edge node's session.
#[derive(Debug, Clone)]
pub struct EdgeNode {
    pub group: String,
    pub node: String,
    /// `None` until a birth or death said.
    pub online: Option<bool>,
    /// The current session's bdSeq (from its NBIRTH).
    pub bd_seq: Option<u64>,
    pub births: u64,
    pub last_birth: Option<DateTime<Utc>>,
    pub last_seen: DateTime<Utc>,
    last_seq: Option<u8>,
    pub seq_gaps: u64,
    /// NDEATHs of an older session, ignored.
    pub stale_deaths: u64,
    pub needs_rebirth: u64,
    /// Said once until the next birth.
    said_early: bool,
    /// Values past a payload's budget (decode::sparkplug::MAX_METRICS), not read; said once.
    pub values_cut: u64,
    pub defs: Defs,
    pub devices: BTreeMap<String, EdgeDevice>,
}

impl EdgeNode {
    /// Definitions held by the node and its devices.
    fn defs_held(&self) -> usize {
        self.defs.len() + self.devices.values().map(|d| d.defs.len()).sum::<usize>()
    }

    fn new(group: &str, node: &str, at: DateTime<Utc>) -> EdgeNode {
        EdgeNode {
            group: group.to_string(),
            node: node.to_string(),
            online: None,
            bd_seq: None,
            births: 0,
            last_birth: None,
            last_seen: at,
            last_seq: None,
            seq_gaps: 0,
            stale_deaths: 0,
            needs_rebirth: 0,
            said_early: false,
            values_cut: 0,
            defs: Defs::default(),
            devices: BTreeMap::new(),
        }
    }

    /// DATA metrics that could not be attributed, on the node and its devices.
    pub fn needs_rebirth_total(&self) -> u64 {
        self.needs_rebirth + self.devices.values().map(|d| d.needs_rebirth).sum::<u64>()
    }

    /// Checks `seq` against the last one; `true` when it was a gap.
    fn sequence(&mut self, seq: Option<u64>, birth: bool) -> bool {
        let Some(seq) = seq.map(|s| (s % 256) as u8) else {
            return false;
        };
        let gap = match (birth, self.last_seq) {
            (true, _) | (false, None) => false,
            (false, Some(last)) => seq != last.wrapping_add(1),
        };
        if gap {
            self.seq_gaps += 1;
        }
        self.last_seq = Some(seq);
        gap
    }
}

/// The primary host application's state.
#[derive(Debug, Clone, PartialEq)]
pub struct HostState {
    pub online: bool,
    pub at: DateTime<Utc>,
}

/// A numeric metric: field, value, time (the metric's or the payload's), unit.
pub type Reading = (Arc<str>, f64, Option<DateTime<Utc>>, Option<Arc<str>>);

/// What one message means for the rest of the twin.
#[derive(Debug, Default, PartialEq)]
pub struct Outcome {
    pub readings: Vec<Reading>,
    /// (field, text): boolean, string and structured metrics.
    pub states: Vec<(Arc<str>, String)>,
    /// (device id, status, word): births and deaths.
    pub liveness: Vec<(String, Status, String)>,
    /// Command metric names (NCMD/DCMD).
    pub commands: Vec<String>,
    /// Something worth a line in the journal (a seq gap, a stale death, needs rebirth).
    pub notes: Vec<String>,
}

/// Every edge node and primary host seen.
#[derive(Debug, Clone)]
pub struct Sparkplug {
    /// By `group/node`.
    pub nodes: BTreeMap<String, EdgeNode>,
    pub hosts: BTreeMap<String, HostState>,
    cap: usize,
    pub evicted: u64,
    /// Scratch for a node's key (`group/node`).
    key: String,
    /// Metric definitions held by every node and device, and devices of every node: each at
    /// most `cap` (`--max-series`), so births cannot grow memory without bound where no
    /// series is ever made.
    defs_total: usize,
    devices_total: usize,
    /// Definitions and devices refused by those bounds (or a name past [`MAX_NAME`]).
    pub defs_not_kept: u64,
    pub devices_not_kept: u64,
}

impl Sparkplug {
    pub fn with_cap(cap: usize) -> Sparkplug {
        Sparkplug {
            nodes: BTreeMap::new(),
            hosts: BTreeMap::new(),
            cap: cap.max(1),
            evicted: 0,
            key: String::new(),
            defs_total: 0,
            devices_total: 0,
            defs_not_kept: 0,
            devices_not_kept: 0,
        }
    }

    /// The device id twinview uses for a node (`group/node`) or one of its devices
    /// (`group/node/device`), as `identity` names them. The group is part of a node's name in
    /// Sparkplug (nodes of one name in two groups are two nodes).
    pub fn device_id(group: &str, node: &str, device: Option<&str>) -> String {
        match device {
            Some(d) => format!("{group}/{node}/{d}"),
            None => format!("{group}/{node}"),
        }
    }

    /// Applies a primary host's STATE message; `None` when the payload says nothing.
    pub fn host_state(
        &mut self,
        host: &str,
        payload: &[u8],
        at: DateTime<Utc>,
    ) -> Option<(String, Status, String)> {
        let text = std::str::from_utf8(payload).ok()?.trim();
        let online = if text.starts_with('{') {
            serde_json::from_str::<serde_json::Value>(text)
                .ok()?
                .get("online")?
                .as_bool()?
        } else if text.eq_ignore_ascii_case("online") {
            true
        } else if text.eq_ignore_ascii_case("offline") {
            false
        } else {
            return None;
        };
        if self.hosts.len() >= self.cap && !self.hosts.contains_key(host) {
            return None;
        }
        self.hosts
            .insert(host.to_string(), HostState { online, at });
        let (status, word) = if online {
            (Status::Online, "STATE online")
        } else {
            (Status::Offline, "STATE offline")
        };
        Some((host.to_string(), status, word.to_string()))
    }

    /// Applies one decoded message of `group`/`node`[/`device`].
    pub fn apply(
        &mut self,
        group: &str,
        kind: Kind,
        node: &str,
        device: Option<&str>,
        p: &Payload,
        at: DateTime<Utc>,
    ) -> Outcome {
        // The node's key, built in a buffer kept for it: no allocation for a known node.
        self.key.clear();
        self.key.push_str(group);
        self.key.push('/');
        self.key.push_str(node);
        if !self.nodes.contains_key(self.key.as_str()) {
            if self.nodes.len() >= self.cap {
                for old in bound::least_recent(self.nodes.iter().map(|(k, n)| (k, n.last_seen))) {
                    if let Some(n) = self.nodes.remove(&old) {
                        self.defs_total = self.defs_total.saturating_sub(n.defs_held());
                        self.devices_total = self.devices_total.saturating_sub(n.devices.len());
                    }
                    self.evicted += 1;
                }
            }
            self.nodes
                .insert(self.key.clone(), EdgeNode::new(group, node, at));
        }
        let n = self
            .nodes
            .get_mut(self.key.as_str())
            .expect("inserted just above");
        n.last_seen = n.last_seen.max(at);
        let mut out = Outcome::default();
        let who = Self::device_id(group, node, device);
        let payload_time = p.timestamp.and_then(ms);
        if p.cut > 0 {
            if n.values_cut == 0 {
                out.notes.push(format!(
                    "{node}: a payload holds more than {} values (metrics, template members and array elements); {} not read, and later ones counted",
                    crate::decode::sparkplug::MAX_METRICS,
                    p.cut
                ));
            }
            n.values_cut += p.cut as u64;
        }

        match kind {
            Kind::NBirth => {
                n.births += 1;
                n.said_early = false;
                n.last_birth = Some(at);
                n.online = Some(true);
                n.sequence(p.seq, true);
                n.bd_seq = bd_seq(p);
                // A new session: every definition of the old one is void.
                self.defs_total = self.defs_total.saturating_sub(n.defs_held());
                let room = self.cap.saturating_sub(self.defs_total);
                let before = self.defs_not_kept;
                let (defs, twice) = Defs::of_birth(&p.metrics, room, &mut self.defs_not_kept);
                self.defs_total += defs.len();
                n.defs = defs;
                if self.defs_not_kept > before {
                    out.notes.push(format!(
                        "{node}: NBIRTH: {} definitions not kept (over --max-series {} in all, or a name over {MAX_NAME} bytes)",
                        self.defs_not_kept - before,
                        self.cap
                    ));
                }
                for a in twice {
                    out.notes.push(format!(
                        "{node}: NBIRTH gives alias {a} to two metrics; the first is kept"
                    ));
                }
                for d in n.devices.values_mut() {
                    d.defs = Defs::default();
                }
                out.liveness.push((who, Status::Online, "NBIRTH".into()));
                values(&p.metrics, payload_time, &mut out);
            }
            Kind::NDeath => {
                let theirs = bd_seq(p);
                // A death must say which session it ends (Sparkplug 3.0: bdSeq in NDEATH); one
                // that does not cannot end the session twinview saw born.
                if n.bd_seq.is_some() && theirs.is_none() {
                    n.stale_deaths += 1;
                    out.notes.push(format!(
                        "{node}: NDEATH without bdSeq ignored (the session is bdSeq {})",
                        n.bd_seq.unwrap_or(0)
                    ));
                    return out;
                }
                if n.bd_seq.is_some() && theirs.is_some() && theirs != n.bd_seq {
                    n.stale_deaths += 1;
                    out.notes.push(format!(
                        "{node}: NDEATH of an older session ignored (bdSeq {} ≠ {})",
                        theirs.unwrap_or(0),
                        n.bd_seq.unwrap_or(0)
                    ));
                    return out;
                }
                n.online = Some(false);
                out.liveness.push((who, Status::Offline, "NDEATH".into()));
                for (id, d) in &mut n.devices {
                    if d.online == Some(true) {
                        d.online = Some(false);
                        out.liveness.push((
                            Self::device_id(group, node, Some(id)),
                            Status::Offline,
                            "NDEATH".into(),
                        ));
                    }
                }
            }
            Kind::NCmd | Kind::DCmd => {
                out.commands = p.metrics.iter().filter_map(|m| m.name.clone()).collect();
            }
            Kind::NData | Kind::DBirth | Kind::DData | Kind::DDeath => {
                if n.sequence(p.seq, false) {
                    out.notes.push(format!(
                        "{node}: Sparkplug seq gap (got {}), messages lost or reordered",
                        p.seq.unwrap_or(0)
                    ));
                }
                let Some(dev_id) = device else {
                    // NDATA.
                    if n.births == 0 {
                        n.needs_rebirth += p.metrics.len() as u64;
                        if !std::mem::replace(&mut n.said_early, true) {
                            out.notes
                                .push(format!("{node}: NDATA before any NBIRTH: needs rebirth"));
                        }
                        return out;
                    }
                    resolved(
                        &n.defs,
                        &p.metrics,
                        payload_time,
                        &mut n.needs_rebirth,
                        &mut out,
                    );
                    return out;
                };
                if !n.devices.contains_key(dev_id) {
                    if n.devices.len() >= MAX_DEVICES || self.devices_total >= self.cap {
                        self.devices_not_kept += 1;
                        return out;
                    }
                    n.devices.insert(dev_id.to_string(), EdgeDevice::default());
                    self.devices_total += 1;
                }
                let born = n.births > 0;
                let d = n.devices.get_mut(dev_id).expect("inserted just above");
                match kind {
                    Kind::DBirth => {
                        d.births += 1;
                        d.said_early = false;
                        d.online = Some(true);
                        self.defs_total = self.defs_total.saturating_sub(d.defs.len());
                        let room = self.cap.saturating_sub(self.defs_total);
                        let before = self.defs_not_kept;
                        let (defs, twice) =
                            Defs::of_birth(&p.metrics, room, &mut self.defs_not_kept);
                        self.defs_total += defs.len();
                        d.defs = defs;
                        if self.defs_not_kept > before {
                            out.notes.push(format!(
                                "{who}: DBIRTH: {} definitions not kept (over --max-series {} in all, or a name over {MAX_NAME} bytes)",
                                self.defs_not_kept - before,
                                self.cap
                            ));
                        }
                        for a in twice {
                            out.notes.push(format!(
                                "{node}/{dev_id}: DBIRTH gives alias {a} to two metrics; the first is kept"
                            ));
                        }
                        out.liveness.push((who, Status::Online, "DBIRTH".into()));
                        values(&p.metrics, payload_time, &mut out);
                    }
                    Kind::DDeath => {
                        d.online = Some(false);
                        out.liveness.push((who, Status::Offline, "DDEATH".into()));
                    }
                    _ => {
                        if !born || d.births == 0 {
                            d.needs_rebirth += p.metrics.len() as u64;
                            if !std::mem::replace(&mut d.said_early, true) {
                                out.notes
                                    .push(format!("{who}: DDATA before its birth: needs rebirth"));
                            }
                            return out;
                        }
                        resolved(
                            &d.defs,
                            &p.metrics,
                            payload_time,
                            &mut d.needs_rebirth,
                            &mut out,
                        );
                    }
                }
            }
        }
        out
    }
}

/// Milliseconds since the epoch as a time.
fn ms(t: u64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_millis(i64::try_from(t).ok()?)
}

/// The `bdSeq` metric of a birth or death.
fn bd_seq(p: &Payload) -> Option<u64> {
    p.metrics
        .iter()
        .find(|m| m.name.as_deref() == Some("bdSeq"))
        .and_then(|m| match m.value {
            Value::Int(x) => u64::try_from(x).ok(),
            Value::UInt(x) => Some(x),
            _ => None,
        })
}

/// DATA metrics as readings and states under the names (and the birth's datatype and unit)
/// their births gave; those that resolve to nothing are counted in `unresolved`.
fn resolved(
    defs: &Defs,
    metrics: &[Metric],
    payload_time: Option<DateTime<Utc>>,
    unresolved: &mut u64,
    out: &mut Outcome,
) {
    for m in metrics {
        let Some(def) = defs.resolve(m) else {
            *unresolved += 1;
            continue;
        };
        if m.is_historical || session_metric(&def.name) {
            continue;
        }
        let unit = m.unit.as_deref().map(Arc::from).or(def.unit);
        let datatype = m.datatype.or(def.datatype);
        // A value sent without its type is read again under the birth's (a signed one).
        let v = match (m.datatype, def.datatype, &m.value) {
            (None, Some(t), Value::UInt(x)) => signed(t, *x),
            _ => None,
        };
        let time = m.timestamp.and_then(ms).or(payload_time);
        value(
            def.name,
            v.as_ref().unwrap_or(&m.value),
            datatype,
            time,
            &unit,
            out,
            0,
        );
    }
}

fn signed(t: u32, x: u64) -> Option<Value> {
    use sparkplug::datatype::*;
    Some(Value::Int(match t {
        INT8 => i64::from(x as u8 as i8),
        INT16 => i64::from(x as u16 as i16),
        INT32 => i64::from(x as u32 as i32),
        INT64 => x as i64,
        _ => return None,
    }))
}

/// Metric values as readings and states. Node control metrics and `bdSeq` are the session's
/// own, not the process's; historical values are not the current state; nulls say nothing.
fn values(metrics: &[Metric], payload_time: Option<DateTime<Utc>>, out: &mut Outcome) {
    for m in metrics {
        let Some(name) = m.name.as_deref() else {
            continue;
        };
        if session_metric(name) || m.is_historical {
            continue;
        }
        let time = m.timestamp.and_then(ms).or(payload_time);
        let unit = m.unit.as_deref().map(Arc::from);
        value(Arc::from(name), &m.value, m.datatype, time, &unit, out, 0);
    }
}

/// `bdSeq` and `Node Control/…`: the session's own metrics, not the process's.
fn session_metric(name: &str) -> bool {
    name == "bdSeq" || name.starts_with("Node Control/")
}

fn value(
    name: Arc<str>,
    v: &Value,
    datatype: Option<u32>,
    time: Option<DateTime<Utc>>,
    unit: &Option<Arc<str>>,
    out: &mut Outcome,
    depth: usize,
) {
    if datatype == Some(sparkplug::datatype::DATETIME) {
        if let Value::UInt(x) = v {
            if let Some(t) = ms(*x) {
                out.states.push((name, t.to_rfc3339()));
            }
        }
        return;
    }
    match v {
        Value::Null => {}
        Value::Int(_) | Value::UInt(_) | Value::Float(_) => {
            if let Some(x) = v.number() {
                out.readings.push((name, x, time, unit.clone()));
            }
        }
        Value::Bool(b) => out.states.push((name, b.to_string())),
        Value::Str(s) => {
            if let Some(word) = crate::decode::state_text(s) {
                out.states.push((name, word.to_string()));
            }
        }
        Value::Array(xs) => {
            for (i, x) in xs.iter().enumerate() {
                if x.is_finite() {
                    out.readings
                        .push((Arc::from(format!("{name}/{i}")), *x, time, unit.clone()));
                }
            }
        }
        Value::Template { metrics, .. } => {
            out.states.push((name.clone(), clip(&v.describe())));
            if depth < 4 {
                for m in metrics {
                    if let Some(member) = m.name.as_deref() {
                        let t = m.timestamp.and_then(ms).or(time);
                        let unit = m.unit.as_deref().map(Arc::from);
                        value(
                            Arc::from(format!("{name}/{member}")),
                            &m.value,
                            m.datatype,
                            t,
                            &unit,
                            out,
                            depth + 1,
                        );
                    }
                }
            }
        }
        Value::Bytes(_) | Value::DataSet { .. } => out.states.push((name, clip(&v.describe()))),
    }
}

/// A description cut to a state's length.
fn clip(s: &str) -> String {
    let max = crate::decode::MAX_STATE;
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max - 3;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::sparkplug::datatype::*;
    use chrono::TimeZone;

    fn t(s: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_700_000_000 + s, 0).unwrap()
    }

    fn metric(name: Option<&str>, alias: Option<u64>, dt: Option<u32>, v: Value) -> Metric {
        Metric {
            name: name.map(String::from),
            alias,
            datatype: dt,
            value: v,
            ..Metric::default()
        }
    }

    fn birth(bd: u64) -> Payload {
        Payload {
            timestamp: Some(1_700_000_000_000),
            seq: Some(0),
            metrics: vec![
                metric(Some("bdSeq"), None, Some(INT64), Value::Int(bd as i64)),
                metric(
                    Some("Node Control/Rebirth"),
                    None,
                    Some(BOOLEAN),
                    Value::Bool(false),
                ),
                Metric {
                    unit: Some("rpm".into()),
                    ..metric(
                        Some("Motor/Speed"),
                        Some(1),
                        Some(DOUBLE),
                        Value::Float(1200.0),
                    )
                },
                metric(
                    Some("Motor/Running"),
                    Some(2),
                    Some(BOOLEAN),
                    Value::Bool(true),
                ),
                metric(Some("Temp"), Some(3), Some(INT16), Value::Int(-4)),
            ],
            cut: 0,
        }
    }

    fn data(seq: u64, metrics: Vec<Metric>) -> Payload {
        Payload {
            seq: Some(seq),
            metrics,
            ..Payload::default()
        }
    }

    #[test]
    fn topics_in_the_namespace_only() {
        assert_eq!(
            parse_topic("spBv1.0/plant/DDATA/edge1/pump"),
            Some(Topic::Message {
                group: "plant",
                kind: Kind::DData,
                node: "edge1",
                device: Some("pump")
            })
        );
        assert_eq!(
            parse_topic("spBv1.0/STATE/scada"),
            Some(Topic::State { host: "scada" })
        );
        for bad in [
            "spBv1.0/plant/DDATA/edge1",
            "spBv1.0/plant/NDATA/edge1/pump",
            "spBv1.0/plant/HELLO/edge1",
            "spAv1.0/plant/NDATA/edge1",
            "plant/NDATA/edge1",
        ] {
            assert_eq!(parse_topic(bad), None, "{bad}");
        }
    }

    #[test]
    fn births_define_and_alias_only_data_resolves() {
        let mut s = Sparkplug::with_cap(100);
        let o = s.apply("g", Kind::NBirth, "edge1", None, &birth(3), t(0));
        assert_eq!(
            o.liveness,
            [("g/edge1".into(), Status::Online, "NBIRTH".into())]
        );
        assert_eq!(
            o.readings,
            [
                (
                    "Motor/Speed".into(),
                    1200.0,
                    ms(1_700_000_000_000),
                    Some("rpm".into())
                ),
                ("Temp".into(), -4.0, ms(1_700_000_000_000), None)
            ]
        );
        assert_eq!(o.states, [("Motor/Running".into(), "true".into())]);
        // Alias-only DATA: names, units and the signed type come from the birth.
        let o = s.apply(
            "g",
            Kind::NData,
            "edge1",
            None,
            &data(
                1,
                vec![
                    metric(None, Some(1), None, Value::Float(1250.0)),
                    metric(None, Some(3), None, Value::UInt(0xfffe)),
                    metric(None, Some(99), None, Value::Float(1.0)),
                ],
            ),
            t(1),
        );
        assert_eq!(
            o.readings,
            [
                ("Motor/Speed".into(), 1250.0, None, Some("rpm".into())),
                ("Temp".into(), -2.0, None, None)
            ]
        );
        let n = &s.nodes["g/edge1"];
        assert_eq!((n.needs_rebirth, n.seq_gaps, n.bd_seq), (1, 0, Some(3)));
    }

    #[test]
    fn data_before_birth_is_counted_never_attributed() {
        let mut s = Sparkplug::with_cap(100);
        let o = s.apply(
            "g",
            Kind::NData,
            "edge1",
            None,
            &data(
                5,
                vec![metric(Some("Temp"), None, Some(DOUBLE), Value::Float(1.0))],
            ),
            t(0),
        );
        assert!(o.readings.is_empty() && o.states.is_empty());
        assert_eq!(o.notes.len(), 1);
        assert_eq!(s.nodes["g/edge1"].needs_rebirth, 1);
        // Said once until a birth, counted every time.
        let again = s.apply(
            "g",
            Kind::NData,
            "edge1",
            None,
            &data(6, vec![metric(None, Some(1), None, Value::Float(1.0))]),
            t(0),
        );
        assert!(again.notes.is_empty(), "{:?}", again.notes);
        assert_eq!(s.nodes["g/edge1"].needs_rebirth, 2);
        // A device's data before its DBIRTH, after the node's birth: the same.
        s.apply("g", Kind::NBirth, "edge1", None, &birth(1), t(1));
        let o = s.apply(
            "g",
            Kind::DData,
            "edge1",
            Some("pump"),
            &data(1, vec![metric(None, Some(1), None, Value::Float(1.0))]),
            t(2),
        );
        assert!(o.readings.is_empty());
        assert_eq!(s.nodes["g/edge1"].needs_rebirth_total(), 3);
    }

    #[test]
    fn seq_gaps_are_counted_across_the_wrap() {
        let mut s = Sparkplug::with_cap(100);
        s.apply("g", Kind::NBirth, "e", None, &birth(1), t(0));
        for seq in 1..=255u64 {
            s.apply("g", Kind::NData, "e", None, &data(seq, vec![]), t(1));
        }
        s.apply("g", Kind::NData, "e", None, &data(0, vec![]), t(2));
        assert_eq!(s.nodes["g/e"].seq_gaps, 0, "255 → 0 is no gap");
        let o = s.apply("g", Kind::NData, "e", None, &data(3, vec![]), t(3));
        assert_eq!(s.nodes["g/e"].seq_gaps, 1);
        assert!(o.notes[0].contains("seq gap"), "{:?}", o.notes);
    }

    #[test]
    fn a_seq_that_repeats_or_goes_back_is_a_gap() {
        // Each is a break in the node's stream (a message lost, resent or reordered), not
        // only a seq that skips ahead: `!=` the expected next, never `>`.
        let mut s = Sparkplug::with_cap(100);
        s.apply("g", Kind::NBirth, "e", None, &birth(1), t(0));
        for seq in [1u64, 2, 3] {
            s.apply("g", Kind::NData, "e", None, &data(seq, vec![]), t(1));
        }
        assert_eq!(s.nodes["g/e"].seq_gaps, 0);
        s.apply("g", Kind::NData, "e", None, &data(3, vec![]), t(2));
        assert_eq!(s.nodes["g/e"].seq_gaps, 1, "a repeated seq");
        s.apply("g", Kind::NData, "e", None, &data(1, vec![]), t(3));
        assert_eq!(s.nodes["g/e"].seq_gaps, 2, "a seq that goes back");
        s.apply("g", Kind::NData, "e", None, &data(2, vec![]), t(4));
        assert_eq!(s.nodes["g/e"].seq_gaps, 2, "in order again");
    }

    #[test]
    fn a_stale_death_is_ignored_and_a_death_takes_the_devices() {
        let mut s = Sparkplug::with_cap(100);
        s.apply("g", Kind::NBirth, "e", None, &birth(7), t(0));
        s.apply("g", Kind::DBirth, "e", Some("pump"), &data(1, vec![]), t(1));
        let death = |bd: i64| Payload {
            metrics: vec![metric(Some("bdSeq"), None, Some(INT64), Value::Int(bd))],
            ..Payload::default()
        };
        let o = s.apply("g", Kind::NDeath, "e", None, &death(6), t(2));
        assert!(o.liveness.is_empty(), "{o:?}");
        assert_eq!(s.nodes["g/e"].stale_deaths, 1);
        assert_eq!(s.nodes["g/e"].online, Some(true));
        let o = s.apply("g", Kind::NDeath, "e", None, &death(7), t(3));
        assert_eq!(
            o.liveness,
            [
                ("g/e".into(), Status::Offline, "NDEATH".into()),
                ("g/e/pump".into(), Status::Offline, "NDEATH".into())
            ]
        );
    }

    #[test]
    fn a_new_birth_forgets_the_old_aliases() {
        let mut s = Sparkplug::with_cap(100);
        s.apply("g", Kind::NBirth, "e", None, &birth(1), t(0));
        let mut b = birth(2);
        b.metrics.truncate(2);
        s.apply("g", Kind::NBirth, "e", None, &b, t(1));
        let o = s.apply(
            "g",
            Kind::NData,
            "e",
            None,
            &data(1, vec![metric(None, Some(1), None, Value::Float(1.0))]),
            t(2),
        );
        assert!(
            o.readings.is_empty(),
            "alias 1 is not defined in this session"
        );
        assert_eq!(s.nodes["g/e"].needs_rebirth, 1);
    }

    #[test]
    fn primary_host_state_both_spellings() {
        let mut s = Sparkplug::with_cap(10);
        assert_eq!(
            s.host_state("scada", br#"{"online":true,"timestamp":1}"#, t(0))
                .map(|x| x.1),
            Some(Status::Online)
        );
        assert_eq!(
            s.host_state("old", b"OFFLINE", t(0)).map(|x| x.1),
            Some(Status::Offline)
        );
        assert_eq!(s.host_state("x", b"maybe", t(0)), None);
    }

    #[test]
    fn a_death_without_bdseq_and_an_alias_given_twice_are_reported() {
        let mut s = Sparkplug::with_cap(100);
        s.apply("g", Kind::NBirth, "e", None, &birth(4), t(0));
        let nodeath = Payload {
            timestamp: Some(0),
            seq: None,
            metrics: vec![],
            cut: 0,
        };
        let o = s.apply("g", Kind::NDeath, "e", None, &nodeath, t(1));
        assert!(o.liveness.is_empty(), "{o:?}");
        assert!(o.notes[0].contains("without bdSeq"), "{:?}", o.notes);
        assert_eq!(s.nodes["g/e"].online, Some(true));
        let twice = Payload {
            timestamp: Some(0),
            seq: Some(1),
            metrics: vec![
                metric(Some("Flow"), Some(7), Some(FLOAT), Value::Float(1.0)),
                metric(Some("Level"), Some(7), Some(FLOAT), Value::Float(2.0)),
            ],
            cut: 0,
        };
        let o = s.apply("g", Kind::DBirth, "e", Some("pump"), &twice, t(2));
        assert!(
            o.notes.iter().any(|n| n.contains("alias 7 to two metrics")),
            "{:?}",
            o.notes
        );
    }

    fn wide_birth(n: usize, prefix: &str) -> Payload {
        Payload {
            metrics: (0..n)
                .map(|i| {
                    metric(
                        Some(&format!("{prefix}{i}")),
                        Some(i as u64),
                        Some(DOUBLE),
                        Value::Null,
                    )
                })
                .collect(),
            ..Payload::default()
        }
    }

    #[test]
    fn definitions_and_devices_are_bounded_in_all_and_names_in_length() {
        let mut s = Sparkplug::with_cap(100);
        s.apply("g", Kind::NBirth, "a", None, &wide_birth(80, "m"), t(0));
        let o = s.apply("g", Kind::NBirth, "b", None, &wide_birth(80, "m"), t(1));
        assert_eq!(s.nodes["g/b"].defs.len(), 20, "100 in all");
        assert_eq!(s.defs_not_kept, 60);
        assert!(
            o.notes[0].contains("60 definitions not kept"),
            "{:?}",
            o.notes
        );
        // A rebirth gives back what the old session held.
        s.apply("g", Kind::NBirth, "a", None, &wide_birth(10, "m"), t(2));
        s.apply("g", Kind::NBirth, "b", None, &wide_birth(80, "m"), t(3));
        assert_eq!(s.nodes["g/b"].defs.len(), 80);
        assert_eq!(s.defs_total, 90);
        // Device births count too, and a node's rebirth voids its devices' definitions.
        s.apply(
            "g",
            Kind::DBirth,
            "a",
            Some("d1"),
            &wide_birth(30, "x"),
            t(4),
        );
        assert_eq!(s.nodes["g/a"].devices["d1"].defs.len(), 10);
        s.apply("g", Kind::NBirth, "a", None, &wide_birth(0, "m"), t(5));
        assert_eq!(s.defs_total, 80);
        // A name past MAX_NAME is never defined.
        let long = "n".repeat(MAX_NAME + 1);
        s.apply(
            "g",
            Kind::NBirth,
            "a",
            None,
            &Payload {
                metrics: vec![metric(Some(&long), Some(1), Some(DOUBLE), Value::Null)],
                ..Payload::default()
            },
            t(6),
        );
        assert_eq!(s.nodes["g/a"].defs.len(), 0);
        // Devices: at most the cap across nodes.
        let mut s = Sparkplug::with_cap(100);
        for node in 0..3 {
            s.apply(
                "g",
                Kind::NBirth,
                &format!("n{node}"),
                None,
                &birth(1),
                t(0),
            );
            for d in 0..50 {
                s.apply(
                    "g",
                    Kind::DBirth,
                    &format!("n{node}"),
                    Some(&format!("d{d}")),
                    &wide_birth(0, "m"),
                    t(1),
                );
            }
        }
        let devices: usize = s.nodes.values().map(|n| n.devices.len()).sum();
        assert_eq!(devices, 100);
        assert_eq!(s.devices_not_kept, 50);
        // Evicting a node gives its share back.
        let mut s = Sparkplug::with_cap(2);
        s.apply("g", Kind::NBirth, "a", None, &wide_birth(2, "m"), t(0));
        s.apply("g", Kind::NBirth, "b", None, &wide_birth(0, "m"), t(1));
        s.apply("g", Kind::NBirth, "c", None, &wide_birth(2, "m"), t(2));
        assert!(!s.nodes.contains_key("g/a"));
        assert_eq!(s.nodes["g/c"].defs.len(), 2);
    }

    #[test]
    fn nodes_of_one_name_in_two_groups_are_two_devices() {
        let mut s = Sparkplug::with_cap(100);
        let a = s.apply("plant", Kind::NBirth, "edge1", None, &birth(1), t(0));
        let b = s.apply("lab", Kind::NBirth, "edge1", None, &birth(1), t(0));
        assert_eq!(a.liveness[0].0, "plant/edge1");
        assert_eq!(b.liveness[0].0, "lab/edge1");
        let death = Payload {
            metrics: vec![metric(Some("bdSeq"), None, Some(INT64), Value::Int(1))],
            ..Payload::default()
        };
        let o = s.apply("lab", Kind::NDeath, "edge1", None, &death, t(1));
        assert_eq!(o.liveness[0].0, "lab/edge1");
        assert_eq!(
            s.nodes["plant/edge1"].online,
            Some(true),
            "the other group's node lives on"
        );
    }
}
