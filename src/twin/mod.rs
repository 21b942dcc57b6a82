//! The domain: a live model of the sensor network, fed one [`Event`] at a time.
//!
//! Nothing here knows about terminals; the UI and the headless snapshot both read a `&Twin`.

pub mod anomaly;
pub mod bound;
pub mod broker;
pub mod cnp;
pub mod detect;
pub mod devices;
pub mod discovery;
pub mod identity;
pub mod journal;
pub mod rate;
pub mod schema;
pub mod series;
pub mod sparkplug;
pub mod states;
pub mod topics;

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::Duration;

use chrono::{DateTime, Utc};
use smallvec::SmallVec;

use crate::decode::{Decoded, Undecodable};
use crate::source::event::{CommandEvent, ConnState, Event, Message, Outcome};
use anomaly::{AnomalyKind, GroupStats};
use detect::{Consensus, DetectorConfig, Episode, EpisodeKind, Finding, ZoneNews};
use devices::{Devices, Status, Transition};
use journal::{Happening, Journal, What};
use rate::RateMeter;
use schema::{Schemas, TopicInfo, TopicKind};
use series::{Series, Window};
use topics::Traffic;

/// The maps looked up for every message: hashbrown (already in the tree) with its default
/// hasher, foldhash, which is several times cheaper than SipHash on short topic strings and is
/// seeded per process, so topics chosen by whoever publishes cannot be aimed at one bucket in
/// advance; `entry_ref` finds-or-inserts by `&str` in one lookup.
pub type FastMap<K, V> = hashbrown::HashMap<K, V>;

/// How many alerts are kept (oldest dropped first).
const MAX_ALERTS: usize = 1000;
/// How many distinct topics are tracked as undecoded (least recently seen forgotten first;
/// the total keeps counting).
const MAX_UNDECODED_TOPICS: usize = 10_000;
/// How many distinct command names seen on the wire are counted (least recently seen
/// forgotten first).
const MAX_COMMAND_NAMES: usize = 10_000;
/// Characters of an undecodable payload kept as a sample for the user.
const SAMPLE_CHARS: usize = 80;

/// Settings of the twin that users can change.
#[derive(Debug, Clone)]
pub struct TwinConfig {
    /// Ring-buffer length per series.
    pub window: usize,
    /// |z| above which a reading is flagged.
    pub z_threshold: f64,
    /// k in "beyond group mean ± k·σ".
    pub group_sigma: f64,
    pub schemas: Schemas,
    /// Larger payloads are counted as undecoded without being parsed.
    pub max_payload: usize,
    /// `--stale-after`: silence after which any device is stale (else derived per device).
    pub stale_after: Option<Duration>,
    /// Contract Net topic prefix (`/cnp`).
    pub cnp_prefix: String,
    /// How long a call for proposals waits when its payload names no deadline.
    pub cnp_deadline: Duration,
    /// At most this many series (and devices); the least recently seen are forgotten first.
    pub max_series: usize,
    /// Which anomaly detectors run.
    pub detector: DetectorMode,
    /// Thresholds of the default detectors.
    pub anomaly: DetectorConfig,
}

/// The anomaly detectors a twin runs (`--detector`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DetectorMode {
    /// One detector per fault kind, on noise scales learnt robustly (README, "Anomalies").
    #[default]
    Default,
    /// The seed labs' rules exactly: |z| > threshold over the window, and beyond the group's
    /// mean ± kσ. Kept for teaching; noisy on real data.
    Lab,
}

impl DetectorMode {
    pub fn parse(s: &str) -> Option<DetectorMode> {
        match s {
            "default" => Some(DetectorMode::Default),
            "lab" => Some(DetectorMode::Lab),
            _ => None,
        }
    }
}

impl Default for TwinConfig {
    fn default() -> Self {
        TwinConfig {
            window: 120,
            z_threshold: 3.0,
            group_sigma: 2.0,
            schemas: Schemas::default(),
            max_payload: crate::decode::DEFAULT_MAX_PAYLOAD,
            stale_after: None,
            cnp_prefix: "/cnp".into(),
            cnp_deadline: Duration::from_secs(3),
            max_series: 100_000,
            detector: DetectorMode::Default,
            anomaly: DetectorConfig::default(),
        }
    }
}

/// A topic whose payloads could not be decoded.
#[derive(Debug, Clone)]
pub struct UndecodedTopic {
    pub count: u64,
    pub reason: Undecodable,
    pub last_at: DateTime<Utc>,
    pub sample: String,
}

/// How often something was seen, and when last.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Seen {
    pub count: u64,
    pub last: DateTime<Utc>,
}

/// A time twinview was disconnected from the broker.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outage {
    pub from: DateTime<Utc>,
    /// None while it lasts.
    pub to: Option<DateTime<Utc>>,
    /// The broker resumed a session it kept for twinview at the reconnection.
    pub resumed: bool,
}

/// Outages remembered (oldest forgotten first).
const MAX_OUTAGES: usize = 64;

/// An alert published by another agent, naming suspect sensors.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRecord {
    pub topic: String,
    pub sensors: Vec<String>,
    pub at: DateTime<Utc>,
}

/// A command twinview published, and what became of it.
#[derive(Debug, Clone, PartialEq)]
pub struct CommandRecord {
    pub id: u64,
    pub at: DateTime<Utc>,
    pub topic: String,
    pub payload: String,
    pub qos: u8,
    pub outcome: Outcome,
}

/// What the twin remembers about a topic, so a message costs one hash lookup.
#[derive(Debug, Clone)]
struct TopicEntry {
    info: TopicInfo,
    /// (field, series index). Inline for a topic's first series, and the commonest field name
    /// (`value`) is the static string: finding a reading's series then reads no memory of its
    /// own, where a list and a name on the heap were two cache misses per message at 10,000
    /// topics.
    series: SmallVec<[(Cow<'static, str>, usize); 1]>,
    traffic: Traffic,
    /// No convention can explain the topic (see [`Twin::ordinary`]): its messages go straight
    /// to the decoder, without the topic checks every other message needs.
    ordinary: bool,
}

type GroupKey = (String, String, String);

/// Where a new series is listed (see [`Twin::placement`]).
struct Placement {
    sensor: String,
    device: String,
    group: String,
    label: String,
    aggregate: bool,
    /// The unit Home Assistant discovery gives, used when the payload names none.
    unit: Option<String>,
}

/// One reading's anomaly score: time, topic, field, score (`None` while learning).
pub type ScoreLine = (DateTime<Utc>, String, String, Option<f32>);

/// Scores kept between two drains of [`Twin::take_scores`], at most.
const MAX_SCORES_QUEUED: usize = 1 << 20;

/// Devices read from one Zigbee2MQTT device list (the rest are not described).
const MAX_DESCRIBED: usize = 1024;

/// The digital twin.
#[derive(Debug, Clone)]
pub struct Twin {
    pub cfg: TwinConfig,
    pub series: Vec<Box<Series>>,
    topics: FastMap<Box<str>, TopicEntry>,
    /// Bumped when a topic is first seen or topics are forgotten (the Topics tab's cache key).
    pub topics_revision: u64,
    /// Topics forgotten because of the topic table's bound (see [`Twin::max_topics`]).
    pub evicted_topics: u64,
    /// Pooled statistics per group (`--detector lab` only).
    groups: FastMap<GroupKey, GroupStats>,
    /// Robust consensus and process-change detector per group (default detectors).
    pub zones: Vec<(GroupKey, Consensus)>,
    /// Where each zone is in `zones`.
    zone_index: FastMap<GroupKey, usize>,
    /// Each series' zone (an index into `zones`), parallel to `series`.
    series_zone: Vec<Option<usize>>,
    /// Which group each series belongs to, parallel to `series`.
    series_group: Vec<Option<GroupKey>>,
    /// Each series' position among its zone's members, parallel to `series`.
    zone_pos: Vec<usize>,
    pub undecoded: HashMap<String, UndecodedTopic>,
    pub devices: Devices,
    pub cnp: cnp::Cnp,
    /// Text states (`ON`, `idle`, `"occupancy":true`), each a series of words.
    pub states: states::States,
    /// Home Assistant discovery configs seen (names, units, devices of state topics).
    pub discovery: discovery::Discovery,
    /// Homie devices under vendor roots, learnt from their `$state` / `$homie` topics.
    learnt: identity::Learnt,
    /// Every reading's anomaly score, when asked (`replay --scores`): (time, series, score),
    /// drained by the caller ([`Twin::take_scores`]).
    scores_out: Option<Vec<ScoreLine>>,
    /// Sparkplug B edge nodes (sessions, aliases, seq) and primary hosts.
    pub sparkplug: sparkplug::Sparkplug,
    pub alerts: VecDeque<AlertRecord>,
    /// Commands twinview published (oldest dropped first).
    pub commands: VecDeque<CommandRecord>,
    /// Commands seen on the wire (published by anyone), by name.
    pub commands_seen: BTreeMap<String, Seen>,
    /// Commands seen on command topics (anyone's): time, topic, name (oldest dropped first).
    pub commands_wire: VecDeque<(DateTime<Utc>, String, String)>,
    /// The broker's own health, from `$SYS/…`.
    pub broker: broker::BrokerHealth,
    pub messages: u64,
    /// Malformed payloads (invalid JSON, non-finite numbers, over a limit, …).
    pub undecoded_total: u64,
    /// Well-formed payloads that hold no reading or state (empty, binary, long text, JSON
    /// without values): shown per topic, not counted as a fault.
    pub ignored_total: u64,
    /// Anomaly episodes ever opened.
    pub anomalies_total: u64,
    /// What happened (episodes, process changes, statuses, awards, alerts, commands).
    pub journal: Journal,
    /// No series can fall silent, and no silence close, before this instant without a
    /// reading, a device's change or an episode closing first (each lowers it to its time);
    /// a full pass of the silence check sets it to the earliest deadline. `None`: nothing can
    /// until then. At rest the once-a-second pass over every series is then skipped.
    silence_due: Option<DateTime<Utc>>,
    /// Series forgotten because of `max_series`.
    pub evicted_series: u64,
    /// Entries of the other bounded maps forgotten (see [`bound`]).
    pub evicted: bound::Evicted,
    /// Events whose application panicked (caught by `guard`; each counted, ingest went on).
    pub panics: u64,
    /// Series with an open anomaly episode.
    pub anomalous_series: usize,
    pub rate: RateMeter,
    pub connection: ConnState,
    pub connection_since: Option<DateTime<Utc>>,
    /// When the latest connection event came (a retry's countdown starts there).
    pub connection_at: Option<DateTime<Utc>>,
    /// Times twinview was disconnected from the broker, oldest first.
    pub outages: VecDeque<Outage>,
    /// Connections lost, ever (the outages kept are the latest 64).
    pub outages_total: u64,
    /// Contract Net violations found, ever.
    pub violations_total: u64,
    pub first_event: Option<DateTime<Utc>>,
    pub last_event: Option<DateTime<Utc>>,
    /// Grows with every change to the set of series; views cache on it.
    pub layout_revision: u64,
}

impl Default for Twin {
    fn default() -> Self {
        Twin::new(TwinConfig::default())
    }
}

impl Twin {
    pub fn new(cfg: TwinConfig) -> Self {
        Twin {
            series: Vec::new(),
            topics: FastMap::default(),
            topics_revision: 0,
            evicted_topics: 0,
            groups: FastMap::default(),
            zones: Vec::new(),
            zone_index: FastMap::default(),
            series_zone: Vec::new(),
            series_group: Vec::new(),
            zone_pos: Vec::new(),
            undecoded: HashMap::new(),
            devices: Devices::with_cap(cfg.stale_after, cfg.max_series.max(1)),
            cnp: cnp::Cnp {
                max_machines: cfg.max_series.max(1),
                ..cnp::Cnp::new(&cfg.cnp_prefix, cfg.cnp_deadline)
            },
            states: states::States::with_cap(cfg.max_series),
            discovery: discovery::Discovery::default(),
            learnt: identity::Learnt::default(),
            scores_out: None,
            sparkplug: sparkplug::Sparkplug::with_cap(cfg.max_series),
            alerts: VecDeque::new(),
            commands: VecDeque::new(),
            commands_seen: BTreeMap::new(),
            commands_wire: VecDeque::new(),
            broker: broker::BrokerHealth::default(),
            messages: 0,
            undecoded_total: 0,
            ignored_total: 0,
            anomalies_total: 0,
            journal: Journal::default(),
            silence_due: None,
            evicted_series: 0,
            evicted: bound::Evicted::default(),
            panics: 0,
            anomalous_series: 0,
            rate: RateMeter::default(),
            connection: ConnState::default(),
            connection_since: None,
            connection_at: None,
            outages: VecDeque::new(),
            outages_total: 0,
            violations_total: 0,
            first_event: None,
            last_event: None,
            layout_revision: 0,
            cfg,
        }
    }

    /// Topics remembered at most: twice `--max-series`, plus 1,000. Past it, the topics that
    /// hold no series are forgotten (counted in [`Twin::evicted_topics`]).
    pub fn max_topics(&self) -> usize {
        2 * self.cfg.max_series.max(1) + 1000
    }

    /// Every topic seen (and not forgotten) with its traffic, in no particular order.
    pub fn topic_traffic(&self) -> impl Iterator<Item = (&str, &Traffic)> {
        self.topics
            .iter()
            .filter(|(_, e)| e.traffic.count > 0)
            .map(|(t, e)| (&**t, &e.traffic))
    }

    /// One topic's traffic (`None` for a topic never received).
    pub fn traffic(&self, topic: &str) -> Option<&Traffic> {
        self.topics
            .get(topic)
            .map(|e| &e.traffic)
            .filter(|t| t.count > 0)
    }

    /// The series a topic feeds (indices into `series`), by field.
    pub fn topic_series(&self, topic: &str) -> Vec<(&str, usize)> {
        self.topics
            .get(topic)
            .map(|e| e.series.iter().map(|(f, i)| (&**f, *i)).collect())
            .unwrap_or_default()
    }

    /// The connection state in words at `now`, a retry counting down (`reconnecting in 7s`).
    pub fn connection_text(&self, now: DateTime<Utc>) -> String {
        let elapsed = self
            .connection_at
            .and_then(|at| (now - at).to_std().ok())
            .unwrap_or_default();
        self.connection.describe_after(elapsed)
    }

    pub fn apply(&mut self, event: &Event) {
        match event {
            Event::Message(m) => self.apply_message(m, None),
            Event::Connection(c) => {
                if self.connection != c.state {
                    self.connection_since = Some(c.at);
                }
                self.note_outage(c);
                self.connection = c.state.clone();
                self.connection_at = Some(c.at);
                self.touch(c.at);
            }
            Event::Command(c) => self.apply_command(c),
        }
    }

    /// Whether twinview is disconnected now, after having been connected: it cannot hear
    /// the network, so nothing is judged silent or stale meanwhile.
    pub fn blind(&self) -> bool {
        self.outages.back().is_some_and(|o| o.to.is_none())
    }

    /// Opens an outage when a connection is lost, closes it (and says so) when it returns.
    fn note_outage(&mut self, c: &crate::source::event::ConnEvent) {
        let up = c.state.is_connected();
        if self.connection.is_connected() && !up {
            if self.outages.len() == MAX_OUTAGES {
                self.outages.pop_front();
            }
            self.outages_total += 1;
            self.outages.push_back(Outage {
                from: c.at,
                to: None,
                resumed: false,
            });
        } else if up && self.blind() {
            let o = self.outages.back_mut().expect("blind: an open outage");
            o.to = Some(c.at.max(o.from));
            o.resumed = c.resumed;
            let (from, seconds) = (
                o.from,
                (c.at - o.from).num_milliseconds().max(0) as f64 / 1000.0,
            );
            // Silence is counted from here at the earliest: before, twinview could not hear.
            self.devices.heard_since = Some(c.at);
            self.silence_soon(c.at);
            self.journal.push(Happening {
                t: c.at,
                what: What::Outage {
                    from,
                    seconds,
                    resumed: c.resumed,
                },
            });
        }
    }

    fn apply_command(&mut self, c: &CommandEvent) {
        self.touch(c.at);
        let sent = self
            .commands
            .iter()
            .rev()
            .find(|r| r.id == c.command.id)
            .map(|r| r.at);
        self.journal.push(Happening {
            t: c.at,
            what: What::Command {
                id: c.command.id,
                topic: c.command.topic.clone(),
                payload: c.command.payload.clone(),
                qos: c.command.qos,
                outcome: match &c.outcome {
                    Outcome::Failed(why) => format!("failed: {why}"),
                    o => o.as_str().to_string(),
                },
                sent,
            },
        });
        if let Some(r) = self
            .commands
            .iter_mut()
            .rev()
            .find(|r| r.id == c.command.id)
        {
            r.outcome = c.outcome.clone();
            return;
        }
        if self.commands.len() == MAX_ALERTS {
            self.commands.pop_front();
        }
        self.commands.push_back(CommandRecord {
            id: c.command.id,
            at: c.at,
            topic: c.command.topic.clone(),
            payload: c.command.payload.clone(),
            qos: c.command.qos,
            outcome: c.outcome.clone(),
        });
    }

    fn touch(&mut self, at: DateTime<Utc>) {
        self.first_event.get_or_insert(at);
        self.last_event = Some(at);
    }

    /// [`Twin::apply`] for a message whose payload was already decoded with
    /// `crate::decode::decode(&m.payload, max_payload)` — on another thread, so that decoding
    /// overlaps applying (replay does this). The result is exactly that of `apply`.
    /// Both are borrowed, so whoever owns them frees them (replay hands batches back to its
    /// reader thread for that).
    pub fn apply_decoded(&mut self, m: &Message, decoded: &Decoded) {
        self.apply_message(m, Some(decoded));
    }

    fn apply_message(&mut self, m: &Message, decoded: Option<&Decoded>) {
        self.messages += 1;
        self.rate.add(m.at.timestamp());
        self.touch(m.at);

        // One lookup for a known topic (the common case): its traffic, and the schema match
        // done once.
        let (kind, ordinary) = match self.topics.get_mut(m.topic.as_str()) {
            Some(e) => {
                e.traffic.record(m);
                (e.info.kind(), e.ordinary)
            }
            None => {
                // A topic explosion must not grow memory without bound: forget topics that hold
                // no series (their schema match is only a cache, their traffic is counted).
                if self.topics.len() >= self.max_topics() {
                    let before = self.topics.len();
                    self.topics.retain(|_, e| !e.series.is_empty());
                    self.evicted_topics += (before - self.topics.len()) as u64;
                }
                let info = self.cfg.schemas.match_topic(&m.topic);
                let kind = info.kind();
                let ordinary = self.ordinary(&m.topic);
                self.topics.insert(
                    m.topic.as_str().into(),
                    TopicEntry {
                        info,
                        series: SmallVec::new(),
                        traffic: Traffic::new(m),
                        ordinary,
                    },
                );
                self.topics_revision += 1;
                (kind, ordinary)
            }
        };

        // One size limit for every payload, before any parsing (alerts, Contract Net, commands
        // and liveness included): counted, and only its traffic kept.
        if m.payload.len() > self.cfg.max_payload {
            self.count_undecoded(m, Undecodable::TooLarge);
            return;
        }

        if !ordinary && self.apply_convention(m) {
            return;
        }

        if kind == TopicKind::Alert {
            match crate::decode::decode_alert(&m.payload) {
                Some(sensors) if !crate::decode::alert_within_limits(&sensors) => {
                    self.count_undecoded(m, Undecodable::FieldTooLong)
                }
                Some(sensors) => {
                    if self.alerts.len() == MAX_ALERTS {
                        self.alerts.pop_front();
                    }
                    log::warn!("alert on {}: {}", m.topic, sensors.join(", "));
                    let info = self.topics[m.topic.as_str()].info.clone();
                    for s in self.series.iter_mut().filter(|s| {
                        sensors.contains(&s.sensor)
                            && (info.zone.is_none() || s.zone == info.zone)
                            && (info.measurement.is_none() || s.measurement == info.measurement)
                    }) {
                        s.alerted_at = Some(m.at);
                    }
                    self.journal.push(Happening {
                        t: m.at,
                        what: What::Alert {
                            topic: m.topic.clone(),
                            sensors: sensors.clone(),
                        },
                    });
                    self.alerts.push_back(AlertRecord {
                        topic: m.topic.clone(),
                        sensors,
                        at: m.at,
                    });
                }
                None => self.count_undecoded(m, Undecodable::NoNumbers),
            }
            return;
        }

        let here;
        let decoded = match decoded {
            Some(d) => d,
            None => {
                here = crate::decode::decode(&m.payload, self.cfg.max_payload);
                &here
            }
        };
        match decoded {
            Decoded::Readings(r) => {
                let time = r.time.unwrap_or(m.at);
                for (field, value) in &r.fields {
                    self.apply_reading(
                        m,
                        field,
                        *value,
                        time,
                        r.device.as_deref(),
                        r.unit.as_deref(),
                    );
                }
                for (field, value) in &r.states {
                    self.apply_state(m, field, value, r.device.as_deref());
                }
            }
            Decoded::Command { name } => self.note_command(name.clone(), m.at),
            Decoded::Undecoded(why) => self.count_undecoded(m, *why),
        }
    }

    /// Topics a convention explains (broker health, Sparkplug, discovery configs, commands,
    /// liveness, Homie attributes, Contract Net): applied here, and `true` returned. Whether a
    /// topic can be one is known from the topic alone, so ordinary reading topics skip this
    /// (see [`TopicEntry::ordinary`]).
    fn apply_convention(&mut self, m: &Message) -> bool {
        // `$…` topics are the broker's own (MQTT reserves them): its health, never devices or
        // sensors.
        if m.topic.starts_with('$') {
            self.broker.apply(&m.topic, &m.payload, m.at);
            return true;
        }
        // Sparkplug B: protobuf, decoded only in its own namespace.
        if let Some(topic) = sparkplug::parse_topic(&m.topic) {
            self.apply_sparkplug(m, topic);
            return true;
        }
        // Home Assistant discovery configs describe other topics; they are no readings.
        if discovery::is_config_topic(&m.topic) {
            match self.discovery.apply(&m.topic, &m.payload) {
                discovery::Applied::Named(state_topic) => self.relabel(&state_topic),
                discovery::Applied::Nothing => {}
                discovery::Applied::NotAConfig => self.count_undecoded(m, Undecodable::InvalidJson),
            }
            return true;
        }
        // Commands addressed to devices are said as commands, never read as readings.
        if let Some(name) = command_topic(&m.topic, &m.payload) {
            log::info!("command {name} seen on {}", m.topic);
            if self.commands_wire.len() == MAX_ALERTS {
                self.commands_wire.pop_front();
            }
            self.commands_wire
                .push_back((m.at, m.topic.clone(), name.clone()));
            self.note_command(name, m.at);
            return true;
        }

        // Descriptions (Tasmota's discovery, the Zigbee2MQTT bridge's inventory, Homie
        // attributes under any root) say what devices are; they are no readings.
        if identity::is_description(&m.topic) {
            self.learnt.learn(&m.topic);
            self.describe(m);
            return true;
        }
        if let Some(report) = devices::classify(&m.topic, &m.payload) {
            self.learnt.learn(&m.topic);
            let t = if m.retain {
                self.devices.report_retained(&report, m.at)
            } else {
                self.devices.report(&report, m.at)
            };
            self.transition(t);
            return true;
        }
        // Homie attributes (`$homie`, `$name`, `$nodes`, `$unit`, …) describe a device; they
        // are neither readings nor states (its `$state` was read just above).
        if m.topic.starts_with("homie/")
            && m.topic
                .rsplit('/')
                .next()
                .is_some_and(|l| l.starts_with('$'))
        {
            return true;
        }
        if let Some((step, machine)) = self.cnp.classify(&m.topic) {
            match self.cnp.apply(step, machine.as_deref(), &m.payload, m.at) {
                Ok(notes) => {
                    for n in notes {
                        log::warn!("Contract Net violation — {n}");
                    }
                }
                Err(why) => self.count_undecoded(
                    m,
                    if why == cnp::TOO_LONG {
                        Undecodable::FieldTooLong
                    } else {
                        Undecodable::ContractNet
                    },
                ),
            }
            self.take_cnp_news(m.at);
            // Bids, dones and awards are the machine's activity: its last seen and rate.
            if let Some(machine) = machine {
                let t = self.devices.data(&machine, m.at);
                self.transition(t);
            }
            return true;
        }

        false
    }

    /// What a description topic says of its device: Tasmota's discovery config names the
    /// device of its topic (`dn`, module `md`); the Zigbee2MQTT bridge's device list names
    /// each device's vendor and model. Anything else it holds is not read.
    fn describe(&mut self, m: &Message) {
        use serde_json::Value;
        let Ok(v) = serde_json::from_slice::<Value>(&m.payload) else {
            return;
        };
        let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(String::from);
        if m.topic.starts_with("tasmota/discovery/") && m.topic.ends_with("/config") {
            if let Some(t) = text(&v, "t") {
                let d = discovery::HaDevice {
                    name: text(&v, "dn"),
                    manufacturer: Some("Tasmota".into()),
                    model: text(&v, "md"),
                };
                self.devices.describe(&t, &d);
            }
        } else if m.topic == "zigbee2mqtt/bridge/devices" {
            for dev in v.as_array().into_iter().flatten().take(MAX_DESCRIBED) {
                let (Some(name), Some(def)) = (text(dev, "friendly_name"), dev.get("definition"))
                else {
                    continue;
                };
                let d = discovery::HaDevice {
                    name: None,
                    manufacturer: text(def, "vendor"),
                    model: text(def, "model"),
                };
                self.devices.describe(&name, &d);
            }
        }
    }

    /// Whether no convention can explain `topic` (only its payload tells what it holds).
    fn ordinary(&self, topic: &str) -> bool {
        !(topic.starts_with('$')
            || identity::is_description(topic)
            || topic.starts_with("homie/")
            || sparkplug::parse_topic(topic).is_some()
            || discovery::is_config_topic(topic)
            || is_command_topic(topic)
            || devices::may_report(topic)
            || self.cnp.classify(topic).is_some())
    }

    /// Counts a command seen on the wire, by name (at most `MAX_COMMAND_NAMES` names).
    fn note_command(&mut self, name: String, at: DateTime<Utc>) {
        if let Some(n) = self.commands_seen.get_mut(&name) {
            n.count += 1;
            n.last = n.last.max(at);
            return;
        }
        if self.commands_seen.len() >= MAX_COMMAND_NAMES {
            for old in bound::least_recent(self.commands_seen.iter().map(|(k, n)| (k, n.last))) {
                self.commands_seen.remove(&old);
                self.evicted.command_names += 1;
            }
        }
        self.commands_seen.insert(name, Seen { count: 1, last: at });
    }

    /// Entries every bounded map forgot so far (series, devices and topics have their own
    /// counters).
    pub fn evicted_entries(&self) -> bound::Evicted {
        let c = self.cnp.evicted();
        bound::Evicted {
            machines: c.machines,
            jobs: c.jobs,
            negotiation: c.negotiation,
            job_types: c.job_types,
            sparkplug_nodes: self.sparkplug.evicted,
            ..self.evicted
        }
    }

    /// One Sparkplug B message: the session's bookkeeping, then its metrics as readings and
    /// states of the node's or device's DATA topic (births and data feed the same series).
    fn apply_sparkplug(&mut self, m: &Message, topic: sparkplug::Topic<'_>) {
        let (group, kind, node, device) = match topic {
            sparkplug::Topic::State { host } => {
                match self.sparkplug.host_state(host, &m.payload, m.at) {
                    Some((id, status, word)) => self.sparkplug_liveness(id, status, word, m.at),
                    None => self.count_undecoded(m, Undecodable::Sparkplug),
                }
                return;
            }
            sparkplug::Topic::Message {
                group,
                kind,
                node,
                device,
            } => (group, kind, node, device),
        };
        let payload = match crate::decode::sparkplug::decode(&m.payload) {
            Ok(p) => p,
            Err(e) => {
                log::info!("{}: {}", m.topic, e.as_str());
                return self.count_undecoded(m, Undecodable::Sparkplug);
            }
        };
        let out = self
            .sparkplug
            .apply(group, kind, node, device, &payload, m.at);
        for (id, status, word) in out.liveness {
            self.sparkplug_liveness(id, status, word, m.at);
        }
        for note in &out.notes {
            log::warn!("{note}");
        }
        for name in out.commands {
            if self.commands_wire.len() == MAX_ALERTS {
                self.commands_wire.pop_front();
            }
            self.commands_wire
                .push_back((m.at, m.topic.clone(), name.clone()));
            self.note_command(name, m.at);
        }
        if out.readings.is_empty() && out.states.is_empty() {
            return;
        }
        let data_topic = match device {
            Some(d) => format!("spBv1.0/{group}/DDATA/{node}/{d}"),
            None => format!("spBv1.0/{group}/NDATA/{node}"),
        };
        if !self.topics.contains_key(data_topic.as_str()) {
            let info = self.cfg.schemas.match_topic(&data_topic);
            self.topics.insert(
                data_topic.as_str().into(),
                TopicEntry {
                    info,
                    series: SmallVec::new(),
                    traffic: Traffic::unseen(m.at),
                    ordinary: false,
                },
            );
            self.topics_revision += 1;
        }
        let dm = Message {
            source: m.source,
            at: m.at,
            topic: data_topic,
            payload: m.payload.clone(),
            qos: m.qos,
            retain: m.retain,
        };
        let who = sparkplug::Sparkplug::device_id(node, device);
        for (field, x, time, unit) in out.readings {
            self.apply_reading(
                &dm,
                &field,
                x,
                time.unwrap_or(m.at),
                Some(&who),
                unit.as_deref(),
            );
        }
        for (field, text) in out.states {
            self.apply_state(&dm, &field, &text, Some(&who));
        }
    }

    fn sparkplug_liveness(
        &mut self,
        device: String,
        status: Status,
        word: String,
        at: DateTime<Utc>,
    ) {
        let report = devices::Report {
            device,
            status,
            word,
            convention: devices::Convention::Sparkplug,
        };
        let t = self.devices.report(&report, at);
        self.transition(t);
    }

    /// One text state reported: its series (made on first sight, placed like a numeric
    /// series) keeps the value and, when it changed, the change.
    fn apply_state(&mut self, m: &Message, field: &str, value: &str, device: Option<&str>) {
        // In the words the device's own description gives (a door contact's `false` is
        // `open` when discovery says `payload_on: false`, `device_class: door`).
        let value = if self.discovery.is_empty() {
            value
        } else {
            self.discovery
                .entity(&m.topic, field)
                .and_then(|e| e.word_for(value))
                .unwrap_or(value)
        };
        let before = self.states.evicted;
        let place = || {
            let p = self.placement(&m.topic, field, device);
            states::Placement {
                device: p.device,
                group: p.group,
                label: p.label,
            }
        };
        let p = if self.states.find(&m.topic, field).is_none() {
            Some(place())
        } else {
            None
        };
        self.states
            .report(&m.topic, field, value, m.at, || p.expect("placed when new"));
        self.evicted.states += self.states.evicted - before;
    }

    /// Where a new series (numeric or state) of `topic`'s `field` is listed: the payload's
    /// device, else the convention that explains the topic, else the schema's sensor level,
    /// else the topic itself (see `identity`); its heading and label; and what Home Assistant
    /// discovery says of it.
    fn placement(&self, topic: &str, field: &str, device: Option<&str>) -> Placement {
        let info = self.topics.get(topic).map(|e| &e.info);
        let sensor = info.and_then(|i| i.sensor.clone());
        // Whether a convention (or the leaf's parent level) named the device: then the
        // topic's other levels tell its series apart (`identity::part_of`).
        let mut by_topic = false;
        let device = device
            .map(String::from)
            .or_else(|| {
                let d = self
                    .learnt
                    .device_of(topic)
                    .or_else(|| identity::device_of(topic).map(|(d, _)| d));
                by_topic = d.is_some();
                d
            })
            .or_else(|| sensor.clone())
            .or_else(|| {
                let d = identity::parent_of(topic);
                by_topic = d.is_some();
                d
            })
            .unwrap_or_else(|| topic.to_string());
        let aggregate = info.is_some_and(|i| i.kind() == TopicKind::Aggregate);
        let zone = info.and_then(|i| i.zone.as_ref());
        let measurement = info.and_then(|i| i.measurement.as_ref());
        // Grouped by the device itself: one heading per physical device, whichever of its
        // topics a discovery config describes (the heading shows the name discovery gives).
        let group = match (zone, measurement) {
            (Some(z), Some(m)) => format!("{z} · {m}"),
            (Some(z), None) => z.clone(),
            _ => device.clone(),
        };
        let name = if aggregate {
            "average".to_string()
        } else {
            sensor.clone().unwrap_or_else(|| device.clone())
        };
        let entity = self.discovery.entity(topic, field);
        // Under a device's own heading its fields need no device prefix.
        // A device that publishes on several topics: the part of the topic that tells its
        // series apart (`tool0 · actual` and `bed · actual` of one printer).
        let part = (by_topic && !aggregate)
            .then(|| identity::part_of(topic, &device))
            .flatten();
        let label = match entity.and_then(|e| e.name.clone()) {
            Some(friendly) => friendly,
            None if part.is_some() && field == "value" => part.unwrap_or_default(),
            None if part.is_some() => format!("{} · {field}", part.unwrap_or_default()),
            None if field == "value" => name,
            None if group == device || self.discovery.device(topic).is_some() => field.to_string(),
            None => format!("{name} · {field}"),
        };
        Placement {
            sensor: sensor.unwrap_or_else(|| device.clone()),
            device,
            group,
            label,
            aggregate,
            unit: entity.and_then(|e| e.unit.clone()),
        }
    }

    /// Home Assistant discovery named `state_topic` anew: its series and states take the
    /// names, units and heading it gives, and its device what the config says it is.
    fn relabel(&mut self, state_topic: &str) {
        let Some(entry) = self.topics.get(state_topic) else {
            return;
        };
        let fields: Vec<(String, usize)> = entry
            .series
            .iter()
            .map(|(f, i)| (f.to_string(), *i))
            .collect();
        for (field, i) in fields {
            let p = self.placement(state_topic, &field, Some(&self.series[i].device.clone()));
            let s = &mut self.series[i];
            s.label = p.label;
            s.group = p.group;
            if s.unit.is_none() {
                s.unit = p.unit;
            }
        }
        let states: Vec<(String, String)> = self
            .states
            .of_topic(state_topic)
            .map(|s| (s.field.clone(), s.device.clone()))
            .collect();
        let placed: Vec<(String, Placement)> = states
            .into_iter()
            .map(|(f, d)| {
                let p = self.placement(state_topic, &f, Some(&d));
                (f, p)
            })
            .collect();
        self.states.relabel(state_topic, |s| {
            if let Some((_, p)) = placed.iter().find(|(f, _)| *f == s.field) {
                s.label.clone_from(&p.label);
                s.group.clone_from(&p.group);
            }
        });
        self.describe_devices(state_topic);
        self.layout_revision += 1;
    }

    /// What discovery says of the device behind `state_topic`, given to that device.
    fn describe_devices(&mut self, state_topic: &str) {
        let Some(d) = self.discovery.device(state_topic).cloned() else {
            return;
        };
        let ids: Vec<String> = self
            .topics
            .get(state_topic)
            .map(|e| {
                e.series
                    .iter()
                    .map(|(_, i)| self.series[*i].device.clone())
                    .collect()
            })
            .unwrap_or_default();
        for id in ids {
            self.devices.describe(&id, &d);
        }
    }

    fn count_undecoded(&mut self, m: &Message, why: Undecodable) {
        if why.is_malformed() {
            self.undecoded_total += 1;
        } else {
            self.ignored_total += 1;
        }
        let sample = || {
            let text = String::from_utf8_lossy(&m.payload[..m.payload.len().min(SAMPLE_CHARS * 4)]);
            text.chars().take(SAMPLE_CHARS).collect::<String>()
        };
        if let Some(u) = self.undecoded.get_mut(&m.topic) {
            u.count += 1;
            u.reason = why;
            u.last_at = m.at;
            u.sample = sample();
        } else {
            if self.undecoded.len() >= MAX_UNDECODED_TOPICS {
                for old in bound::least_recent(self.undecoded.iter().map(|(k, u)| (k, u.last_at))) {
                    self.undecoded.remove(&old);
                    self.evicted.undecoded_topics += 1;
                }
            }
            if why.is_malformed() {
                log::info!("cannot decode payload on {}: {}", m.topic, why.as_str());
            }
            self.undecoded.insert(
                m.topic.clone(),
                UndecodedTopic {
                    count: 1,
                    reason: why,
                    last_at: m.at,
                    sample: sample(),
                },
            );
        }
    }

    fn series_index(
        &mut self,
        topic: &str,
        field: &str,
        device: Option<&str>,
        unit: Option<&str>,
        now: DateTime<Utc>,
    ) -> usize {
        let entry = self.topics.get(topic).expect("topic entry exists");
        if let Some((_, idx)) = entry.series.iter().find(|(f, _)| f.as_ref() == field) {
            return *idx;
        }
        let info = entry.info.clone();
        if self.series.len() >= self.cfg.max_series.max(1) {
            self.evict_series();
        }
        let idx = self.series.len();
        let Placement {
            sensor,
            device,
            group,
            label,
            aggregate,
            unit: ha_unit,
        } = self.placement(topic, field, device);
        self.series.push(Box::new(Series {
            topic: topic.to_string(),
            field: field.to_string(),
            sensor,
            device,
            unit: unit.map(String::from).or(ha_unit),
            zone: info.zone.clone(),
            measurement: info.measurement.clone(),
            aggregate,
            group,
            label,
            window: Window::new(self.cfg.window),
            count: 0,
            last: 0.0,
            last_time: now,
            last_seen: now,
            rate: RateMeter::default(),
            anomalies: 0,
            anomalous: false,
            score: None,
            episode: None,
            episodes: VecDeque::new(),
            alerted_at: None,
            gaps: 0,
            last_gap: None,
            detector: detect::Detector::default(),
            device_slot: None,
        }));
        let key = match (&info.zone, &info.measurement) {
            (Some(z), Some(m)) if !aggregate => Some((z.clone(), m.clone(), field.to_string())),
            _ => None,
        };
        let (mut pos, mut zone) = (0, None);
        if let Some(k) = &key {
            match self.cfg.detector {
                DetectorMode::Lab => self.groups.entry(k.clone()).or_default().members.push(idx),
                DetectorMode::Default => {
                    let zones = &mut self.zones;
                    let zi = *self.zone_index.entry(k.clone()).or_insert_with(|| {
                        zones.push((k.clone(), Consensus::default()));
                        zones.len() - 1
                    });
                    pos = self.zones[zi].1.add_member(idx, now);
                    zone = Some(zi);
                }
            }
        }
        self.series_group.push(key);
        self.zone_pos.push(pos);
        self.series_zone.push(zone);
        if !aggregate {
            self.devices.add_series(&self.series[idx].device, now);
            if let Some(d) = self.discovery.device(topic) {
                self.devices.describe(&self.series[idx].device, d);
            }
        }
        self.topics
            .get_mut(topic)
            .expect("topic entry exists")
            .series
            .push((
                match field {
                    "value" => Cow::Borrowed("value"),
                    f => Cow::Owned(f.to_string()),
                },
                idx,
            ));
        self.layout_revision += 1;
        idx
    }

    fn apply_reading(
        &mut self,
        m: &Message,
        field: &str,
        value: f64,
        time: DateTime<Utc>,
        device: Option<&str>,
        unit: Option<&str>,
    ) {
        // An epoch time inside a payload (`tst`, `_timestamp`, `frame_time`, `unixtime`) is a
        // time, not a reading: no series, no statistics, no detectors.
        if is_epoch_time(value, m.at) {
            return;
        }
        let idx = self.series_index(&m.topic, field, device, unit, m.at);
        self.silence_soon(m.at);
        let s = &mut self.series[idx];
        if !s.aggregate {
            let t = self.devices.data_slot(&mut s.device_slot, &s.device, m.at);
            self.transition(t);
        }
        // A reading ends a silence.
        if self.series[idx]
            .episode
            .as_ref()
            .is_some_and(|e| e.kind == EpisodeKind::Silence)
        {
            self.close_episode(idx, m.at, m.at);
        }
        self.note_gap(idx, m.at);
        let (findings, abnormal) = match self.cfg.detector {
            DetectorMode::Default => self.detect_default(idx, value, m.at),
            DetectorMode::Lab => (self.detect_lab(idx, value, m.at), false),
        };
        let s = &mut self.series[idx];
        let evicted = s.window.push(time.timestamp_millis(), value);
        s.count += 1;
        s.last = value;
        s.last_time = time;
        s.last_seen = m.at;
        s.rate.add(m.at.timestamp());
        if let Some(u) = unit {
            if s.unit.as_deref() != Some(u) {
                s.unit = Some(u.to_string());
            }
        }
        self.episode_step(idx, findings, abnormal, m.at);

        if self.cfg.detector == DetectorMode::Lab {
            let group = self.series_group[idx]
                .as_ref()
                .and_then(|key| self.groups.get_mut(key));
            if let Some(g) = group {
                g.add(value);
                if let Some(y) = evicted {
                    g.remove(y);
                }
                if g.needs_exact() {
                    let series = &self.series;
                    g.reset_exact(
                        g.members
                            .clone()
                            .into_iter()
                            .flat_map(|i| series[i].window.values()),
                    );
                }
            }
        }
    }

    /// The default detectors on one reading; the zone consensus is updated after judging.
    fn detect_default(
        &mut self,
        idx: usize,
        value: f64,
        at: DateTime<Utc>,
    ) -> (Vec<Finding>, bool) {
        let zi = self.series_zone[idx];
        let zone = zi.map(|i| &mut self.zones[i].1);
        let pos = self.zone_pos[idx];
        let consensus = zone.as_ref().and_then(|z| z.value_for(pos));
        let moving = zone.as_ref().is_some_and(|z| z.moving());
        let s = &mut self.series[idx];
        let mut v = s
            .detector
            .observe_in(value, at, consensus, moving, &self.cfg.anomaly);
        s.score = v.ratio.map(|r| detect::score(r) as f32);
        if let Some(out) = &mut self.scores_out {
            if out.len() < MAX_SCORES_QUEUED {
                out.push((at, s.topic.clone(), s.field.clone(), s.score));
            }
        }
        if s.aggregate {
            // An aggregate moves with its inputs: their spikes and shifts are theirs. Only a
            // frozen or silent aggregate is its own fault.
            v.findings.retain(|f| f.kind == EpisodeKind::Stuck);
        }
        let interval = s.detector.interval;
        if let Some(z) = zone {
            if let Some(news) = z.update(pos, v.corrected, at, interval, &self.cfg.anomaly) {
                let (zone, measurement, field) =
                    zi.map(|i| self.zones[i].0.clone()).unwrap_or_default();
                let (state, p) = match news {
                    ZoneNews::Started(p) => ("start", p),
                    ZoneNews::Ended(p) => ("end", p),
                };
                if state == "start" {
                    log::warn!("process change in {zone} · {measurement}: {}", p.reason);
                } else {
                    log::info!("process change in {zone} · {measurement} is over");
                }
                self.journal.push(Happening {
                    t: at,
                    what: What::ProcessChange {
                        zone,
                        measurement,
                        field,
                        state,
                        start: p.start,
                        change: if state == "start" { p.change } else { p.peak },
                        sensors: p.sensors,
                        reason: p.reason,
                    },
                });
            }
        }
        (v.findings, v.abnormal)
    }

    /// The lab's rules: z-score over the window and the group's mean ± kσ.
    fn detect_lab(&mut self, idx: usize, value: f64, at: DateTime<Utc>) -> Vec<Finding> {
        let (z, k) = (self.cfg.z_threshold, self.cfg.group_sigma);
        let group = self.series_group[idx]
            .as_ref()
            .and_then(|key| self.groups.get(key));
        let s = &self.series[idx];
        let mut flags = Vec::new();
        if let Some(kind) = anomaly::zscore(&s.window, value, z) {
            flags.push(kind);
        }
        if let Some(g) = group {
            if let Some(kind) = g.check(value, k, g.members.len()) {
                flags.push(kind);
            }
        }
        flags
            .into_iter()
            .map(|a| {
                let (kind, score, threshold) = match &a {
                    AnomalyKind::ZScore { z: score, .. } => (EpisodeKind::Zscore, *score, z),
                    AnomalyKind::Group { mean, stddev, .. } => {
                        (EpisodeKind::Group, (value - mean) / stddev, k)
                    }
                };
                Finding {
                    kind,
                    at,
                    score,
                    threshold,
                    reason: format!("{value}: {}", a.reason()),
                }
            })
            .collect()
    }

    /// Opens, extends or (after a calm run) closes the series' episode.
    fn episode_step(
        &mut self,
        idx: usize,
        findings: Vec<Finding>,
        abnormal: bool,
        at: DateTime<Utc>,
    ) {
        let close_after = self.cfg.anomaly.close_after;
        let s = &mut self.series[idx];
        // A change that persists becomes the series' normal: its episode closes, saying so
        // once, and the detector learns the new level, noise or repetition from here.
        if let Some(e) = &mut s.episode {
            let open_s = (at - e.start).num_seconds();
            if let Some(limit) = adopt_after(e.kind).filter(|l| open_s >= *l) {
                e.reason = format!(
                    "{}; persistent for {} min, now taken as its normal",
                    e.reason,
                    limit / 60
                );
                s.detector.adopt(e.kind);
                self.close_episode(idx, at, at);
                return;
            }
        }
        let s = &mut self.series[idx];
        if findings.is_empty() {
            let Some(e) = &mut s.episode else { return };
            if abnormal {
                e.calm = 0;
                return;
            }
            e.calm += 1;
            if e.calm >= close_after {
                let end = e.last;
                self.close_episode(idx, end, at);
            }
            return;
        }
        match &mut s.episode {
            Some(e) => {
                for f in findings {
                    e.extend(f);
                }
            }
            None => {
                // The most telling kind names the episode.
                let rank = |k: EpisodeKind| match k {
                    EpisodeKind::Stuck => 0,
                    EpisodeKind::NoiseBurst => 1,
                    EpisodeKind::LevelShift | EpisodeKind::Drift => 2,
                    _ => 3,
                };
                let mut findings = findings;
                findings.sort_by_key(|f| rank(f.kind));
                let mut it = findings.into_iter();
                let first = it.next().expect("not empty");
                let mut e = Episode::open(first);
                for f in it {
                    e.extend(f);
                }
                self.open_episode(idx, e, at);
            }
        }
        let s = &mut self.series[idx];
        s.detector.open = s.episode.as_ref().map(|e| e.kind);
    }

    fn open_episode(&mut self, idx: usize, e: Episode, at: DateTime<Utc>) {
        let s = &mut self.series[idx];
        log::warn!(
            "anomaly on {}: {} — {}",
            s.display_name(),
            e.kind.as_str(),
            e.reason
        );
        self.journal.push(Happening {
            t: at,
            what: What::AnomalyStart {
                topic: s.topic.clone(),
                field: s.field.clone(),
                sensor: s.sensor.clone(),
                kind: e.kind,
                start: e.start,
                score: e.peak,
                threshold: e.threshold,
                anomaly_score: if e.threshold > 0.0 {
                    detect::score(e.peak.abs() / e.threshold)
                } else {
                    1.0
                },
                severity: e.severity(),
                reason: e.reason.clone(),
            },
        });
        s.anomalies += 1;
        s.anomalous = true;
        s.detector.open = Some(e.kind);
        s.episode = Some(e);
        self.anomalies_total += 1;
        self.anomalous_series += 1;
    }

    /// Closes the open episode of series `idx` as ended at `end`, noticed at `at`.
    /// Something that can change what the silence check finds happened at `at`.
    fn silence_soon(&mut self, at: DateTime<Utc>) {
        self.silence_due = Some(self.silence_due.map_or(at, |due| due.min(at)));
    }

    fn close_episode(&mut self, idx: usize, end: DateTime<Utc>, at: DateTime<Utc>) {
        self.silence_soon(at);
        let s = &mut self.series[idx];
        let Some(mut e) = s.episode.take() else {
            return;
        };
        e.closed = true;
        e.last = end.max(e.start);
        log::info!(
            "anomaly on {} is over: {} from {} to {}",
            s.display_name(),
            e.kind.as_str(),
            e.start.format("%H:%M:%S"),
            e.last.format("%H:%M:%S")
        );
        self.journal.push(Happening {
            t: at,
            what: What::AnomalyEnd {
                topic: s.topic.clone(),
                field: s.field.clone(),
                sensor: s.sensor.clone(),
                kind: e.kind,
                start: e.start,
                end: e.last,
                peak: e.peak,
                severity: e.severity(),
                reason: e.reason.clone(),
            },
        });
        s.anomalous = false;
        s.detector.open = None;
        s.remember(e);
        self.anomalous_series -= 1;
    }

    /// Logs a liveness change and notes it in the journal.
    fn transition(&mut self, t: Option<Transition>) {
        let Some(t) = t else { return };
        self.silence_soon(t.at);
        self.journal.push(Happening {
            t: t.at,
            what: What::DeviceStatus {
                id: t.device.clone(),
                from: t.from.as_str(),
                to: t.to.as_str(),
                detail: if t.before_start {
                    Some(format!(
                        "{} (before twinview started)",
                        t.word.as_deref().unwrap_or(t.to.as_str())
                    ))
                } else {
                    t.word.clone()
                },
            },
        });
        log_transition(Some(t));
    }

    fn take_cnp_news(&mut self, at: DateTime<Utc>) {
        for n in std::mem::take(&mut self.cnp.news) {
            let what = match n {
                cnp::CnpNews::Awarded { job, machine } => What::JobAwarded { job, machine },
                cnp::CnpNews::Violation { job, text } => {
                    self.violations_total += 1;
                    What::JobViolation {
                        job,
                        violation: text,
                    }
                }
            };
            self.journal.push(Happening { t: at, what });
        }
    }

    /// Forgets the least recently seen 1 % of the series (at least one), in one O(n) pass, so
    /// a flood of new topics costs amortised O(1) per new series.
    fn evict_series(&mut self) {
        let n = self.series.len();
        let doomed_n = (self.cfg.max_series / 100).max(1).min(n);
        let mut order: Vec<usize> = (0..n).collect();
        if doomed_n < n {
            order.select_nth_unstable_by_key(doomed_n, |&i| self.series[i].last_seen);
        }
        let mut doomed = vec![false; n];
        for &i in &order[..doomed_n] {
            doomed[i] = true;
        }
        let mut remap: Vec<Option<usize>> = vec![None; n];
        let old_series = std::mem::take(&mut self.series);
        let old_groups = std::mem::take(&mut self.series_group);
        for (i, (s, g)) in old_series.into_iter().zip(old_groups).enumerate() {
            if doomed[i] {
                self.devices.remove_series(&s.device);
                if s.anomalous {
                    self.anomalous_series -= 1;
                }
                continue;
            }
            remap[i] = Some(self.series.len());
            self.series.push(s);
            self.series_group.push(g);
        }
        for e in self.topics.values_mut() {
            e.series.retain_mut(|(_, idx)| match remap[*idx] {
                Some(new) => {
                    *idx = new;
                    true
                }
                None => false,
            });
        }
        let series = &self.series;
        self.groups.retain(|_, g| {
            g.members = g.members.iter().filter_map(|&i| remap[i]).collect();
            g.reset_exact(
                g.members
                    .clone()
                    .into_iter()
                    .flat_map(|i| series[i].window.values()),
            );
            !g.members.is_empty()
        });
        self.zones.retain_mut(|(_, z)| {
            z.remap(&remap);
            !z.members.is_empty()
        });
        self.zone_pos = vec![0; self.series.len()];
        self.series_zone = vec![None; self.series.len()];
        self.zone_index.clear();
        for (zi, (key, z)) in self.zones.iter().enumerate() {
            self.zone_index.insert(key.clone(), zi);
            for (pos, &m) in z.members.iter().enumerate() {
                self.zone_pos[m] = pos;
                self.series_zone[m] = Some(zi);
            }
        }
        self.evicted_series += doomed_n as u64;
        self.layout_revision += 1;
        // Said once; the header and the snapshot keep the running count.
        if self.evicted_series == doomed_n as u64 {
            log::warn!(
                "series limit {} reached: forgetting the least recently seen series (--max-series)",
                self.cfg.max_series
            );
        }
    }

    /// A reading at `at` after the latest outage, whose previous reading came before it:
    /// when the silence is longer than 1.5 of the series' learnt intervals, readings were
    /// probably published while twinview could not hear (a gap). Not when the broker resumed
    /// a kept session (it delivered what it kept), nor before an interval is learnt (unknown).
    fn note_gap(&mut self, idx: usize, at: DateTime<Utc>) {
        let Some(Outage {
            from,
            to: Some(to),
            resumed: false,
        }) = self.outages.back().copied()
        else {
            return;
        };
        let s = &mut self.series[idx];
        let interval = s.detector.interval;
        if s.count == 0 || s.last_seen > from || at < to || interval <= 0.0 {
            return;
        }
        let silent = (at - s.last_seen).num_milliseconds() as f64 / 1000.0;
        if silent > 1.5 * interval {
            s.gaps += 1;
            let missed = ((silent / interval).round() as u64)
                .saturating_sub(1)
                .max(1);
            s.last_gap = Some((s.last_seen, at, missed));
        }
    }

    /// Re-judges liveness at `now`: devices fall stale through silence, not through messages.
    /// Nothing is re-judged while twinview is disconnected (it cannot hear the network).
    /// Call about once a second (the UI and headless loops do).
    pub fn tick(&mut self, now: DateTime<Utc>) {
        if self.blind() {
            return;
        }
        for t in self.devices.evaluate(now) {
            self.transition(Some(t));
        }
        for n in self.cnp.tick(now) {
            log::info!("Contract Net — {n}");
        }
        self.take_cnp_news(now);
        if self.cfg.detector == DetectorMode::Default {
            self.silences(now);
        }
    }

    /// Opens a silence episode on every series overdue while its device is not offline, and
    /// closes silences whose device has since gone offline (that is said as its status).
    fn silences(&mut self, now: DateTime<Utc>) {
        if self.silence_due.is_none_or(|due| now <= due) {
            return;
        }
        let mut due: Option<DateTime<Utc>> = None;
        // One silence per device, not one per field or topic: the device's first series
        // speaks for it, and the device is quiet only when none of its series reports.
        enum Act {
            Close(usize, DateTime<Utc>),
            Open(usize, Finding),
        }
        let mut acts: Vec<Act> = Vec::new();
        {
            let mut judged: hashbrown::HashSet<&str> = hashbrown::HashSet::new();
            for (idx, s) in self.series.iter().enumerate() {
                if s.aggregate || !judged.insert(s.device.as_str()) {
                    continue;
                }
                let device = self.devices.get(s.device_slot, &s.device);
                let offline = device.is_some_and(|d| d.status == Status::Offline);
                let heard = device
                    .and_then(|d| d.last_data)
                    .map_or(s.last_seen, |t| t.max(s.last_seen));
                // A device that just said it is back online is given its interval again
                // before its silence counts (it announces itself before its first reading).
                let quiet_since = match device {
                    Some(d) if d.status == Status::Online => heard.max(d.since),
                    _ => heard,
                };
                // Silence while twinview was disconnected is not the sensor's.
                let quiet_since = self
                    .devices
                    .heard_since
                    .map_or(quiet_since, |h| quiet_since.max(h));
                // A device whose own convention speaks for its liveness is judged silent only
                // at a metronome's pace (a fixed-period publisher); a series that reports on
                // change can look steady for a while and then rest.
                let authoritative = device.is_some_and(|d| d.said.is_some());
                let judged_here = !authoritative || s.detector.spread <= METRONOME_SPREAD;
                match &s.episode {
                    Some(e) if e.kind == EpisodeKind::Silence && offline => {
                        acts.push(Act::Close(idx, now));
                    }
                    // The device spoke again on another of its series since the silence began.
                    Some(e) if e.kind == EpisodeKind::Silence && heard > e.start => {
                        acts.push(Act::Close(idx, heard));
                    }
                    None if !offline && judged_here => {
                        if let Some(f) = s.detector.silence(quiet_since, now, &self.cfg.anomaly) {
                            acts.push(Act::Open(idx, f));
                        } else if let Some(at) =
                            s.detector.silence_deadline(quiet_since, &self.cfg.anomaly)
                        {
                            due = Some(due.map_or(at, |due| due.min(at)));
                        }
                    }
                    _ => {}
                }
            }
        }
        for a in acts {
            match a {
                Act::Close(idx, at) => self.close_episode(idx, at, now),
                Act::Open(idx, f) => self.open_episode(idx, Episode::open(f), now),
            }
        }
        // Closing a silence above lowered `silence_due`; what the pass left open or closed is in
        // `due` already (an open episode and an offline device have no deadline).
        self.silence_due = due;
    }

    /// Starts keeping every reading's anomaly score for [`Twin::take_scores`].
    pub fn keep_scores(&mut self) {
        self.scores_out.get_or_insert_with(Vec::new);
    }

    /// The scores kept since the last call, as (time, topic, field, score).
    pub fn take_scores(&mut self) -> Vec<ScoreLine> {
        self.scores_out
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    /// The liveness of a device, if it is known.
    pub fn device_status(&self, id: &str) -> Option<Status> {
        self.devices.by_id.get(id).map(|d| d.status)
    }

    /// Messages per second over the last seconds before `now`.
    pub fn message_rate(&self, now: DateTime<Utc>) -> f64 {
        self.rate.per_second(now.timestamp())
    }

    /// The current value of a topic's text state `field`, if it reported one.
    pub fn state_value(&self, topic: &str, field: &str) -> Option<&str> {
        self.states
            .find(topic, field)
            .map(|i| self.states.list[i].value.as_str())
    }
}

/// The command a topic carries, when its topic says it is one: Tasmota `cmnd/<device>/<name>`,
/// and `…/reset`, `…/set`, `…/command`, `…/commands` (twinview's own templates among them).
/// The name is the payload's `"command"` when it has one, else the topic's last level.
/// Whether `topic` addresses commands to devices (Tasmota's `cmnd/…`, `…/set`, `…/reset`).
fn is_command_topic(topic: &str) -> bool {
    let last = topic.rsplit('/').next().unwrap_or("");
    let first = topic.split('/').find(|l| !l.is_empty()).unwrap_or("");
    first == "cmnd" || matches!(last, "reset" | "set" | "command" | "commands")
}

fn command_topic(topic: &str, payload: &[u8]) -> Option<String> {
    if !is_command_topic(topic) {
        return None;
    }
    let last = topic.rsplit('/').next().unwrap_or("");
    let named = serde_json::from_slice::<serde_json::Value>(payload)
        .ok()
        .and_then(|v| v.get("command").and_then(|c| c.as_str()).map(String::from));
    Some(
        named
            .unwrap_or_else(|| last.to_string())
            .chars()
            .take(64)
            .collect(),
    )
}

/// How long an episode of `kind` stays open before its change is taken as the series' new
/// normal (seconds): a noise level that lasts ten minutes is how the series behaves now (a
/// machine running, a room in use), and a level, drift or repetition that lasts half an hour
/// is its new baseline. Premise: a fault worth an operator's attention has been said by then;
/// an episode that stays open for hours misleads. Silences and counter resets are not adopted.
fn adopt_after(kind: EpisodeKind) -> Option<i64> {
    match kind {
        EpisodeKind::NoiseBurst => Some(600),
        EpisodeKind::Stuck | EpisodeKind::LevelShift | EpisodeKind::Drift => Some(1800),
        _ => None,
    }
}

/// A device whose own convention says it is online is judged silent only when its first
/// series reports at least this evenly (upper quartile of its intervals over the lower).
const METRONOME_SPREAD: f32 = 1.5;

/// Whether `value` is an epoch time near `at`: seconds or milliseconds since 1970 within two
/// days of the message. Premise: no reading other than a time of day lands there by chance.
fn is_epoch_time(value: f64, at: DateTime<Utc>) -> bool {
    const SLACK_S: f64 = 2.0 * 86_400.0;
    if value < 1.0e9 {
        return false;
    }
    let now = at.timestamp() as f64;
    (value - now).abs() < SLACK_S || (value / 1000.0 - now).abs() < SLACK_S
}

/// Logs a liveness change: went offline, came back, fell silent.
fn log_transition(t: Option<Transition>) {
    let Some(t) = t else { return };
    let at = t.at.format("%H:%M:%S");
    let word = match t.word.as_deref() {
        Some(w) if !w.eq_ignore_ascii_case(t.to.as_str()) => format!(" ({w})"),
        _ => String::new(),
    };
    match t.to {
        // A status in place before twinview started: when it began is not known.
        Status::Offline if t.before_start => {
            log::warn!("{} is offline{word} (before twinview started)", t.device)
        }
        Status::Offline => log::warn!("{} went offline{word} at {at}", t.device),
        Status::Stale => log::warn!("{} is stale: silent too long, at {at}", t.device),
        Status::Online if t.from != Status::Unknown => {
            log::info!("{} is online again{word} at {at}", t.device)
        }
        // First sight of a device: one line per device would flood the log on a busy broker.
        Status::Online => log::debug!("{} is online{word}", t.device),
        Status::Unknown => log::info!("{} status unknown{word} at {at}", t.device),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::event::ConnEvent;
    use chrono::TimeZone;

    fn at(sec: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + sec, 0).unwrap()
    }

    fn msg(sec: i64, topic: &str, payload: &str) -> Event {
        Event::Message(Message::new(at(sec), topic, payload.as_bytes().to_vec()))
    }

    #[test]
    fn one_size_limit_before_any_parsing_and_job_ids_have_a_length() {
        let mut t = Twin::default();
        let big_alert = format!("[{}]", vec!["\"s1\""; 300_000].join(","));
        assert!(big_alert.len() > crate::decode::DEFAULT_MAX_PAYLOAD);
        t.apply(&msg(1, "/living_room/temperature/alert", &big_alert));
        assert!(t.alerts.is_empty());
        let long_id = "J".repeat(cnp::MAX_ID + 1);
        t.apply(&msg(2, "/cnp/cfp", &format!(r#"{{"job_id":"{long_id}"}}"#)));
        assert!(t.cnp.jobs.is_empty());
        let reasons: Vec<(&str, &str)> = {
            let mut r: Vec<(&str, &str)> = t
                .undecoded
                .iter()
                .map(|(k, u)| (k.as_str(), u.reason.as_str()))
                .collect();
            r.sort();
            r
        };
        assert_eq!(
            reasons,
            [
                ("/cnp/cfp", "a name or unit over its length limit"),
                ("/living_room/temperature/alert", "payload too large")
            ]
        );
        assert_eq!(t.undecoded_total, 2);
    }

    #[test]
    fn plain_numbers_make_one_series_with_schema_levels() {
        let mut t = Twin::default();
        for (i, v) in [21.0, 22.0, 23.0].iter().enumerate() {
            t.apply(&msg(
                i as i64,
                "/living_room/temperature/s1",
                &v.to_string(),
            ));
        }
        assert_eq!(t.series.len(), 1);
        let s = &t.series[0];
        assert_eq!(
            (
                s.zone.as_deref(),
                s.measurement.as_deref(),
                s.device.as_str()
            ),
            (Some("living_room"), Some("temperature"), "s1")
        );
        assert_eq!((s.count, s.last), (3, 23.0));
        assert_eq!(s.window.mean(), Some(22.0));
        assert_eq!(s.label, "s1");
        assert_eq!(s.group, "living_room · temperature");
        assert_eq!(t.messages, 3);
    }

    #[test]
    fn lab6_json_uses_payload_device_unit_and_time() {
        let mut t = Twin::default();
        t.apply(&msg(
            0,
            "digital_twin/lab/sensor/temperature",
            r#"{"timestamp_utc":"2024-01-15T14:23:45.123456Z","sensor_id":"TEMP_SENSOR_001","value":22.4,"unit":"Celsius","metadata":{"location":"Lab Environment"}}"#,
        ));
        let s = &t.series[0];
        assert_eq!(s.device, "TEMP_SENSOR_001");
        assert_eq!(s.unit.as_deref(), Some("Celsius"));
        assert_eq!(s.last_time.timestamp(), 1_705_328_625);
        assert_eq!(s.last_seen, at(0));
    }

    #[test]
    fn multi_field_json_makes_a_series_per_field() {
        let mut t = Twin::default();
        t.apply(&msg(
            0,
            "home/living-room-01/sensors",
            r#"{"device_id":"living-room-01","temperature_c":22.1,"temperature_f":71.8,"humidity":45.2,"timestamp":1737028800.5}"#,
        ));
        let mut fields: Vec<_> = t.series.iter().map(|s| s.field.as_str()).collect();
        fields.sort();
        assert_eq!(fields, ["humidity", "temperature_c", "temperature_f"]);
        assert!(t.series.iter().all(|s| s.device == "living-room-01"));
    }

    #[test]
    fn undecodable_payloads_are_counted_per_topic_and_ingest_goes_on() {
        let mut t = Twin::default();
        t.apply(&msg(0, "x/y/z", "[1,"));
        t.apply(&msg(1, "x/y/z", "{broken"));
        t.apply(&msg(2, "x/y/z", "1.5"));
        assert_eq!(t.undecoded_total, 2);
        let u = &t.undecoded["x/y/z"];
        assert_eq!((u.count, u.reason), (2, Undecodable::InvalidJson));
        assert_eq!(u.sample, "{broken");
        assert_eq!(t.series.len(), 1);
        assert_eq!(t.messages, 3);
    }

    #[test]
    fn states_statuses_commands_and_alerts_are_not_series() {
        let mut t = Twin::default();
        t.apply(&msg(0, "home/living-room-01/status", "online"));
        t.apply(&msg(
            1,
            "digital_twin/lab/sensor/status",
            r#"{"sensor_id":"TEMP_SENSOR_001","status":"offline"}"#,
        ));
        t.apply(&msg(
            2,
            "/s2/reset",
            r#"{"command":"RESET","timestamp":"x"}"#,
        ));
        t.apply(&msg(3, "/living_room/temperature/alert", r#"["s2","s4"]"#));
        assert!(t.series.is_empty());
        assert_eq!(t.undecoded_total, 0);
        assert_eq!(t.device_status("living-room-01"), Some(Status::Online));
        assert_eq!(t.device_status("TEMP_SENSOR_001"), Some(Status::Offline));
        t.apply(&msg(4, "lights/kitchen/state", "ON"));
        assert_eq!(t.state_value("lights/kitchen/state", "value"), Some("ON"));
        assert_eq!(t.commands_seen["RESET"].count, 1);
        assert_eq!(t.alerts[0].sensors, ["s2", "s4"]);
        t.apply(&msg(5, "/living_room/temperature/s2", "21.0"));
        t.apply(&msg(6, "/living_room/temperature/alert", "s2"));
        assert_eq!(t.series[0].alerted_at, Some(at(6)));
    }

    fn lab() -> Twin {
        Twin::new(TwinConfig {
            detector: DetectorMode::Lab,
            ..TwinConfig::default()
        })
    }

    #[test]
    fn lab_zscore_opens_an_episode_with_reason_and_closes_after_calm_readings() {
        let mut t = lab();
        for i in 0..20 {
            let v = 22.0 + if i % 2 == 0 { 0.1 } else { -0.1 };
            t.apply(&msg(i, "/lab/temp/a", &v.to_string()));
        }
        assert_eq!(t.series[0].anomalies, 0);
        t.apply(&msg(20, "/lab/temp/a", "30"));
        let s = &t.series[0];
        assert!(s.anomalous);
        assert_eq!(s.anomalies, 1);
        assert_eq!(t.anomalous_series, 1);
        let e = s.last_anomaly().unwrap();
        assert_eq!(e.kind, EpisodeKind::Zscore);
        assert!(e.reason.contains("z = +"), "{}", e.reason);
        // Hysteresis: open through four calm readings, closed at the fifth.
        for i in 21..25 {
            t.apply(&msg(i, "/lab/temp/a", "22.0"));
            assert!(t.series[0].anomalous, "still open at {i}");
        }
        t.apply(&msg(25, "/lab/temp/a", "22.0"));
        assert!(!t.series[0].anomalous);
        assert_eq!(t.anomalous_series, 0);
        assert_eq!(t.series[0].episodes[0].end(), Some(at(20)));
        assert_eq!(t.anomalies_total, 1);
    }

    #[test]
    fn lab_group_rule_catches_one_outlier_among_four() {
        // Four sensors with the same noise; one reading far off. Its own window is warm, so
        // z-score fires too, but the group check must fire on its own account.
        let mut t = Twin::new(TwinConfig {
            z_threshold: 1e9,
            detector: DetectorMode::Lab,
            ..TwinConfig::default()
        });
        for i in 0..15 {
            for s in 1..=4 {
                let v = 20.0 + ((i * 7 + s * 3) % 5) as f64 * 0.1;
                t.apply(&msg(i, &format!("/room/temperature/s{s}"), &v.to_string()));
            }
        }
        assert_eq!(t.anomalies_total, 0);
        t.apply(&msg(16, "/room/temperature/s3", "25"));
        let s3 = t.series.iter().find(|s| s.device == "s3").unwrap();
        assert!(s3.anomalous);
        let e = s3.last_anomaly().unwrap();
        assert_eq!(e.kind, EpisodeKind::Group);
        assert!(e.reason.contains("4 sensors"), "{}", e.reason);
    }

    #[test]
    fn default_detectors_make_one_episode_per_spike_and_journal_it() {
        let mut t = Twin::default();
        t.journal.keep_for_writer();
        let mut rng = fastrand::Rng::with_seed(3);
        for i in 0..200 {
            let mut v =
                21.0 + (i as f64 / 40.0).sin() + crate::sim::sensors::gaussian(&mut rng, 0.05);
            if i == 150 {
                v += 4.0;
            }
            t.apply(&msg(i, "/room/temperature/s1", &format!("{v:.3}")));
        }
        let s = &t.series[0];
        assert_eq!(s.anomalies, 1, "{:?}", s.last_anomaly());
        let e = s.last_anomaly().unwrap();
        assert_eq!(
            (e.kind, e.start, e.end()),
            (EpisodeKind::Spike, at(150), Some(at(150)))
        );
        let types: Vec<&str> = t
            .journal
            .take_new()
            .iter()
            .map(|h| h.what.type_name())
            .filter(|n| n.starts_with("anomaly"))
            .collect();
        assert_eq!(types, ["anomaly_start", "anomaly_end"]);
    }

    #[test]
    fn a_silent_sensor_opens_a_silence_episode_unless_its_device_is_offline() {
        let mut t = Twin::default();
        for i in 0..40 {
            t.apply(&msg(
                i,
                "/room/temperature/s1",
                &format!("{}", 20.0 + (i % 3) as f64 * 0.1),
            ));
            t.apply(&msg(
                i,
                "/room/temperature/s2",
                &format!("{}", 20.0 + (i % 4) as f64 * 0.1),
            ));
        }
        t.tick(at(50));
        assert!(!t.series.iter().any(|s| s.anomalous));
        t.apply(&msg(50, "/room/s2/status", "offline"));
        t.tick(at(60));
        let s1 = t.series.iter().find(|s| s.device == "s1").unwrap();
        let s2 = t.series.iter().find(|s| s.device == "s2").unwrap();
        assert_eq!(
            s1.episode.as_ref().map(|e| e.kind),
            Some(EpisodeKind::Silence)
        );
        assert!(
            s2.episode.is_none(),
            "offline is said as a status, not as a silence"
        );
        // The next reading ends it.
        t.apply(&msg(61, "/room/temperature/s1", "20.1"));
        let s1 = t.series.iter().find(|s| s.device == "s1").unwrap();
        assert!(s1.episode.is_none());
        assert_eq!(s1.episodes[0].kind, EpisodeKind::Silence);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]
        /// Skipping the once-a-second passes while nothing can have fallen silent or stale
        /// changes nothing: the same episodes and statuses as a twin that passes every time.
        #[test]
        fn skipped_passes_find_what_full_passes_find(
            steps in proptest::collection::vec((0u8..4, 0u8..6, 0i64..25), 1..160)
        ) {
            let (mut skip, mut full) = (Twin::default(), Twin::default());
            let mut now = 0i64;
            for (sensor, what, dt) in steps {
                now += dt;
                let ev = match what {
                    // Readings, mostly; a device saying it is offline or back; a tick.
                    0..=2 => Some(msg(now, &format!("/z/t/s{sensor}"), &format!("{}", 20 + sensor))),
                    3 => Some(msg(now, &format!("/z/s{sensor}/status"), if now % 2 == 0 { "offline" } else { "online" })),
                    _ => None,
                };
                match ev {
                    Some(e) => {
                        skip.apply(&e);
                        full.apply(&e);
                    }
                    None => {
                        full.silence_due = Some(DateTime::<Utc>::MIN_UTC);
                        full.devices.force_next_pass();
                        skip.tick(at(now));
                        full.tick(at(now));
                    }
                }
                let look = |t: &Twin| {
                    let mut v: Vec<(String, Option<EpisodeKind>, usize)> = t
                        .series
                        .iter()
                        .map(|s| (s.topic.clone(), s.episode.as_ref().map(|e| e.kind), s.episodes.len()))
                        .collect();
                    v.sort_by(|a, b| a.0.cmp(&b.0));
                    let mut d: Vec<(String, Status)> =
                        t.devices.by_id.values().map(|d| (d.id.clone(), d.status)).collect();
                    d.sort_by(|a, b| a.0.cmp(&b.0));
                    (v, d)
                };
                proptest::prop_assert_eq!(look(&skip), look(&full));
            }
        }
    }

    #[test]
    fn aggregates_do_not_join_their_group() {
        let mut t = Twin::default();
        t.apply(&msg(0, "/room/temperature/average", "21"));
        assert!(t.series[0].aggregate);
        assert_eq!(t.series[0].label, "average");
        assert!(t.groups.is_empty());
    }

    #[test]
    fn a_topic_flood_is_capped_least_recently_seen_first() {
        let mut t = Twin::new(TwinConfig {
            max_series: 100,
            ..TwinConfig::default()
        });
        for i in 0..250i64 {
            // Zone topics, so groups are exercised too; sensor 0 keeps publishing.
            t.apply(&msg(i, &format!("/z{}/t/s{i}", i % 5), "20"));
            t.apply(&msg(i, "/z0/t/s0", "21"));
        }
        assert!(t.series.len() <= 100, "{}", t.series.len());
        assert_eq!(t.evicted_series as usize + t.series.len(), 250);
        // The busy sensor and the newest survive.
        assert!(t.series.iter().any(|s| s.topic == "/z0/t/s0"));
        assert!(t.series.iter().any(|s| s.topic == "/z4/t/s249"));
        assert!(!t.series.iter().any(|s| s.topic == "/z1/t/s1"));
        // Every index still points at its own series.
        for (topic, e) in &t.topics {
            for (field, idx) in &e.series {
                assert_eq!(
                    (&t.series[*idx].topic, t.series[*idx].field.as_str()),
                    (&topic.to_string(), field.as_ref())
                );
            }
        }
        for g in t.groups.values() {
            for &i in &g.members {
                assert!(i < t.series.len());
            }
        }
        assert!(t.devices.by_id.len() <= 100);
        // Readings keep flowing into the survivors.
        let before = t
            .series
            .iter()
            .find(|s| s.topic == "/z0/t/s0")
            .unwrap()
            .count;
        t.apply(&msg(300, "/z0/t/s0", "22"));
        assert_eq!(
            t.series
                .iter()
                .find(|s| s.topic == "/z0/t/s0")
                .unwrap()
                .count,
            before + 1
        );
    }

    #[test]
    fn broker_topics_and_command_topics_are_neither_devices_nor_sensors() {
        let mut t = Twin::default();
        for (i, (topic, payload)) in [
            ("$SYS/broker/clients/connected", "7"),
            ("$SYS/broker/load/messages/received/1min", "120.5"),
            ("$SYS/broker/bytes/received", "123456"),
            (
                "digital_twin/lab/control/commands",
                r#"{"command":"SET_THRESHOLD","value":25}"#,
            ),
            ("/s2/reset", r#"{"command":"RESET"}"#),
            ("cmnd/plug1/POWER", "ON"),
            ("zigbee2mqtt/lamp/set", r#"{"state":"ON","brightness":120}"#),
        ]
        .into_iter()
        .enumerate()
        {
            t.apply(&msg(i as i64, topic, payload));
        }
        assert!(
            t.series.is_empty(),
            "{:?}",
            t.series.iter().map(|s| &s.topic).collect::<Vec<_>>()
        );
        assert!(
            t.devices.by_id.is_empty(),
            "{:?}",
            t.devices.by_id.keys().collect::<Vec<_>>()
        );
        assert_eq!(t.undecoded_total, 0);
        assert_eq!(t.broker.clients, Some(7));
        assert_eq!(t.broker.messages, 3);
        assert_eq!(t.commands_seen["SET_THRESHOLD"].count, 1);
        assert_eq!(t.commands_seen["RESET"].count, 1);
        assert_eq!(t.commands_seen["POWER"].count, 1);
        assert_eq!(t.commands_seen["set"].count, 1);
    }

    fn conn(sec: i64, state: ConnState, resumed: bool) -> Event {
        Event::Connection(ConnEvent {
            at: at(sec),
            state,
            resumed,
        })
    }

    fn lost() -> ConnState {
        ConnState::Reconnecting {
            reason: "connection reset".into(),
            retry_in: Duration::from_secs(2),
        }
    }

    /// A sensor every 5 s, then twinview away from 200 s to 260 s.
    fn outage_world(resumed: bool) -> Twin {
        let mut t = Twin::default();
        t.apply(&conn(0, ConnState::Connected, false));
        for sec in (0..=200).step_by(5) {
            t.apply(&msg(sec, "/z/temperature/s1", &format!("{}", 20 + sec % 3)));
            t.tick(at(sec));
        }
        t.apply(&conn(201, lost(), false));
        for sec in 202..260 {
            // Blind: no silence, no stale, however long.
            t.tick(at(sec));
        }
        assert!(t.blind());
        assert_eq!(t.anomalies_total, 0);
        assert_eq!(t.device_status("s1"), Some(Status::Online));
        t.apply(&conn(260, ConnState::Connected, resumed));
        t
    }

    #[test]
    fn an_outage_is_said_and_the_readings_it_cost_are_a_gap() {
        let mut t = outage_world(false);
        assert!(!t.blind());
        let said = t.journal.recent.back().unwrap();
        assert_eq!(said.what.type_name(), "outage");
        assert!(said.is_warning());
        assert!(
            said.describe().contains("59.0 s away"),
            "{}",
            said.describe()
        );
        assert!(said.describe().contains("lost to twinview"));
        // The next reading comes a little after the reconnection: no silence was judged in
        // between (silence counts from the reconnection), and a gap of ~12 readings is noted.
        for sec in 261..266 {
            t.tick(at(sec));
        }
        t.apply(&msg(266, "/z/temperature/s1", "21"));
        let s = &t.series[0];
        assert_eq!(s.gaps, 1);
        let (from, to, missed) = s.last_gap.unwrap();
        assert_eq!((from, to), (at(200), at(266)));
        assert_eq!(missed, 12);
        assert_eq!(t.anomalies_total, 0);
        // The next reading is no gap.
        t.apply(&msg(271, "/z/temperature/s1", "21"));
        assert_eq!(t.series[0].gaps, 1);
    }

    #[test]
    fn a_resumed_session_is_no_gap() {
        let mut t = outage_world(true);
        let said = t.journal.recent.back().unwrap();
        assert!(!said.is_warning());
        assert!(said.describe().contains("resumed"));
        // The broker delivers what it kept, late: no gap is claimed.
        t.apply(&msg(260, "/z/temperature/s1", "21"));
        assert_eq!(t.series[0].gaps, 0);
        assert_eq!(t.outages.len(), 1);
        assert!(t.outages[0].resumed);
    }

    #[test]
    fn a_machine_is_active_when_it_bids_is_awarded_or_reports_done() {
        let mut t = Twin::default();
        t.apply(&msg(0, "factory/m1/status", "online"));
        for (sec, topic, payload) in [
            (40, "/cnp/cfp", r#"{"job_id":"J"}"#),
            (41, "/cnp/bid/m1", r#"{"job_id":"J","time":2}"#),
            (42, "/cnp/assign/m1", r#"{"job_id":"J","time":2}"#),
            (44, "/cnp/done/m1", r#"{"job_id":"J"}"#),
        ] {
            t.apply(&msg(sec, topic, payload));
        }
        let d = &t.devices.by_id["m1"];
        assert_eq!(d.last_seen, at(44));
        assert_eq!(d.status, Status::Online);
        assert!(d.messages >= 3, "{}", d.messages);
    }

    #[test]
    fn connection_events_set_state_and_since() {
        let mut t = Twin::default();
        t.apply(&Event::Connection(ConnEvent {
            at: at(5),
            state: ConnState::Connected,
            resumed: false,
        }));
        assert!(t.connection.is_connected());
        assert_eq!(t.connection_since, Some(at(5)));
    }
}
