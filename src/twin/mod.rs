//! The domain: a live model of the sensor network, fed one [`Event`] at a time.
//!
//! Nothing here knows about terminals or files; the live loop ([`crate::live`]) owns the twin,
//! the views and outputs read a `&Twin`. [`Twin`] and its entry points are here; its work is
//! in one file per concern:
//!
//! - `messages.rs`: one message in (conventions, then the decoded payload);
//! - `readings.rs`: readings and states placed into series, the bounded tables, gaps;
//! - `judging.rs`: detectors, anomaly episodes, silences, liveness transitions;
//! - `session.rs`: the twin's own connection, outages and published commands;
//!
//! and the parts it is made of: `series.rs` (ring buffer, rolling statistics), `detect/`
//! (the default detectors and episodes, one file per question), `anomaly.rs` (the lab's rules), `devices.rs`
//! (liveness), `identity.rs` (which device a topic belongs to), `discovery.rs` (Home Assistant
//! discovery), `sparkplug.rs` (Sparkplug B sessions), `cnp.rs` (Contract Net), `states.rs`
//! (text states), `journal.rs` (happenings), `schema.rs` (topic levels), `topics.rs`,
//! `broker.rs` (`$SYS`), `rate.rs`, `bound.rs` (bounded maps).

pub mod alarms;
pub mod anomaly;
pub mod bound;
pub mod broker;
pub mod cnp;
pub mod detect;
pub mod devices;
pub mod discovery;
pub mod dwell;
pub mod envelope;
mod follows;
pub mod identity;
pub mod journal;
mod judging;
pub mod kept;
pub mod levels;
pub mod magnitude;
mod messages;
pub mod pairs;
pub mod ramps;
pub mod rate;
mod readings;
pub mod schema;
pub mod series;
mod session;
pub mod sparkplug;
pub mod states;
pub mod topics;
pub mod tracking;
pub mod trend;

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
    /// Alarm rules, validated (`[[alarms]]` in the config file).
    pub alarms: Vec<alarms::Rule>,
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
            alarms: Vec::new(),
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

/// A topic with more series than this finds them through [`Twin::field_index`], not a scan.
const BIG_TOPIC: usize = 16;

/// Devices read from one Zigbee2MQTT device list (the rest are not described).
const MAX_DESCRIBED: usize = 1024;

/// The digital twin.
#[derive(Debug, Clone)]
pub struct Twin {
    pub cfg: TwinConfig,
    pub series: Vec<Box<Series>>,
    topics: FastMap<Box<str>, TopicEntry>,
    /// Field → series for topics with more than [`BIG_TOPIC`] series (a Sparkplug node's
    /// metrics, a wide JSON object): finding a reading's series stays O(1) where a scan of the
    /// topic's list would make one message cost its series count squared.
    field_index: FastMap<Box<str>, FastMap<Box<str>, usize>>,
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
    /// Series that lately stepped as they had not in a week: (when, epoch ms; series index),
    /// the latest [`NOVEL_STEPS`] within a few minutes (see `detect::STEP_TOGETHER_MS`).
    novel_steps: std::collections::VecDeque<(i64, usize)>,
    /// Series created whose names say they are setpoints (see `tracking::setpoint_role`).
    setpoint_series: usize,
    /// The probes of each quantity of each device looked at so far (see `pairs`).
    quantities: pairs::Quantities,
    /// The numbered families of series looked at so far, across devices (see `pairs`,
    /// "Siblings"): a sibling is made when there are exactly two.
    siblings: pairs::Quantities,
    /// Series that lately switched between two of their known levels: (when, epoch ms; series
    /// index; its device), the latest [`NOVEL_STEPS`] (see `detect::Detector::switch_ms`).
    switches: std::collections::VecDeque<(i64, usize, String)>,
    /// Every reading, series and state change, when an output stores them
    /// ([`Twin::keep_rows`]).
    kept: Option<Box<kept::Kept>>,
    /// The next series' [`Series::uid`].
    next_uid: u64,
    /// What was restored from a store at start, if anything.
    pub restored: Option<kept::Restored>,
    /// The alarm rules and the alarms they raised.
    pub alarms: alarms::Alarms,
    /// Messages the source dropped so far (set by the live loop before each tick).
    pub source_dropped: u64,
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
    /// The traffic of the topic whose message is being applied, as its readings need it (see
    /// `apply_reading`): its messages counted so far, and when its first came. `None` for
    /// readings not of that topic's own message (a Sparkplug birth's, a restored one).
    reading_topic: Option<(u64, DateTime<Utc>)>,
    /// The readings being applied republish current values (a Sparkplug birth's metrics):
    /// see `Detector::republished`.
    republishing: bool,
    /// The earliest time an open episode is due to be taken as its series' normal (an episode
    /// whose kind changed since may be due earlier: its next reading finds it).
    adopt_due: Option<DateTime<Utc>>,
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
            field_index: FastMap::default(),
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
            novel_steps: std::collections::VecDeque::new(),
            setpoint_series: 0,
            quantities: pairs::Quantities::default(),
            siblings: pairs::Quantities::default(),
            switches: std::collections::VecDeque::new(),
            kept: None,
            next_uid: 1,
            restored: None,
            alarms: alarms::Alarms::new(cfg.alarms.clone()),
            source_dropped: 0,
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
            reading_topic: None,
            republishing: false,
            adopt_due: None,
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
            sparkplug_definitions: self.sparkplug.defs_not_kept,
            sparkplug_devices: self.sparkplug.devices_not_kept,
            discovery_configs: self.discovery.refused,
            ..self.evicted
        }
    }

    /// Re-judges liveness at `now`: devices fall stale through silence, not through messages.
    /// Nothing is re-judged while twinview is disconnected (it cannot hear the network).
    /// Call about once a second (the UI and headless loops do).
    pub fn tick(&mut self, now: DateTime<Utc>) {
        if self.blind() {
            // Deaf: nothing is judged silent or stale, but alarms on twinview's own health are.
            if !self.alarms.rules.is_empty() {
                self.judge_alarms(now);
            }
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
            self.adoptions(now);
        }
        if !self.alarms.rules.is_empty() {
            self.judge_alarms(now);
        }
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

#[cfg(test)]
mod tests;
