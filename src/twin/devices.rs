//! Device liveness (docs/identity.md): what devices say of themselves through Last Will and
//! the other conventions, and what their silence says (`stale`).

use super::levels;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;

/// The least a derived stale limit can be.
pub const MIN_STALE: Duration = Duration::from_secs(10);
/// Stale after this many median publish intervals of silence.
pub const STALE_FACTOR: f64 = 3.0;
/// A silence the device came back from is learnt as its habit when it lasted up to this many
/// median intervals (as they were then); a longer one was an outage, not how it reports (see
/// [`Device::stale_limit`]).
pub const LEARNT_GAP_MAX: f32 = 10.0;
/// Stale once a silence lasts this many times the longest learnt one.
pub const LEARNT_GAP_FACTOR: f64 = 1.5;
/// Messages this close to the start of a report are part of it (seconds).
pub const BURST_S: f64 = 0.5;
/// A cadence is steady when the upper quartile of its intervals is at most this many times
/// the lower quartile.
pub const STEADY_SPREAD: f32 = 3.0;

/// The median of a device's intervals between reports when its cadence is steady; `None`
/// while fewer than two are known, or when they spread too widely to say when it is late.
/// Premise of judging silence: a device that reports at a steady pace and misses three of its
/// reports has gone quiet. A device that reports on change, on events or in irregular bursts
/// (a motion sensor, a phone, a door) has no pace to miss: its silence says nothing, and only
/// a liveness source (a will, an availability topic) can say it is gone.
pub(crate) fn steady_median(intervals: &[f32]) -> Option<f64> {
    cadence(intervals).0
}

/// One pass over the intervals between reports: the median while the cadence is steady (see
/// [`steady_median`]), and the spread, the upper quartile over the lower (infinite below four
/// intervals). Sorted once, in a buffer on the stack.
pub(crate) fn cadence(intervals: &[f32]) -> (Option<f64>, f32) {
    let n = intervals.len().min(INTERVALS);
    if n < 2 {
        return (None, f32::INFINITY);
    }
    let mut buf = [0f32; INTERVALS];
    let v = &mut buf[..n];
    v.copy_from_slice(&intervals[..n]);
    v.sort_unstable_by(f32::total_cmp);
    if n < 4 {
        return (Some(f64::from(v[n / 2])), f32::INFINITY);
    }
    let spread = v[(3 * n) / 4] / v[n / 4].max(1e-3);
    let steady = v[(3 * n) / 4] <= STEADY_SPREAD * v[n / 4].max(1e-3);
    (steady.then(|| f64::from(v[n / 2])), spread)
}

/// Descriptions kept for devices not seen yet, at most.
const MAX_DESCRIPTIONS: usize = 10_000;
/// Publish intervals kept per device for the median.
pub(crate) const INTERVALS: usize = 15;

/// A device's liveness as shown and snapshotted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    Offline,
    Stale,
    Unknown,
    Online,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Online => "online",
            Status::Offline => "offline",
            Status::Stale => "stale",
            Status::Unknown => "unknown",
        }
    }

    pub const ALL: [Status; 4] = [
        Status::Online,
        Status::Offline,
        Status::Stale,
        Status::Unknown,
    ];
}

/// Where a device's liveness came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Convention {
    /// A plain `online`/`offline` status topic (Last Will and Testament).
    Lwt,
    /// `{"sensor_id":…,"status":"offline"}` (lab 6).
    LabJson,
    Tasmota,
    Zigbee2Mqtt,
    HomeAssistant,
    Homie,
    /// Shelly `shellies/<id>/online` (Gen 1) and `<id>/online` (Gen 2, ids `shelly…`):
    /// `true` / `false`.
    Shelly,
    Sparkplug,
    /// Known only from its readings.
    Data,
}

impl Convention {
    pub fn as_str(self) -> &'static str {
        match self {
            Convention::Lwt => "lwt",
            Convention::LabJson => "lab-json",
            Convention::Tasmota => "tasmota",
            Convention::Zigbee2Mqtt => "zigbee2mqtt",
            Convention::HomeAssistant => "home-assistant",
            Convention::Homie => "homie",
            Convention::Shelly => "shelly",
            Convention::Sparkplug => "sparkplug",
            Convention::Data => "data",
        }
    }
}

/// What one message said about a device's liveness.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub device: String,
    /// `Online`, `Offline` or `Unknown` (a word we keep but cannot judge).
    pub status: Status,
    /// The word as sent (`Offline`, `sleeping`, `NDEATH`, …).
    pub word: String,
    pub convention: Convention,
}

/// Maps a status word (case-insensitively) to a liveness.
fn judge(word: &str) -> Option<Status> {
    const ONLINE: &[&str] = &["online", "connected", "ready", "alive", "init", "alert"];
    const OFFLINE: &[&str] = &["offline", "disconnected", "lost", "sleeping", "dead"];
    let w = word.trim();
    if ONLINE.iter().any(|o| o.eq_ignore_ascii_case(w)) {
        Some(Status::Online)
    } else if OFFLINE.iter().any(|o| o.eq_ignore_ascii_case(w)) {
        Some(Status::Offline)
    } else {
        None
    }
}

fn text(payload: &[u8]) -> Option<&str> {
    std::str::from_utf8(payload).ok().map(str::trim)
}

/// A word, either plain or as `{"state":"…"}` / `{"status":"…"}`.
fn word_in(payload: &[u8]) -> Option<String> {
    let t = text(payload)?;
    if t.starts_with('{') {
        let v: Value = serde_json::from_str(t).ok()?;
        ["state", "status"]
            .iter()
            .find_map(|k| v.get(*k).and_then(Value::as_str))
            .map(String::from)
    } else {
        Some(t.trim_matches('"').to_string())
    }
}

/// Recognises a liveness message by its topic (and payload). `None` for everything else.
/// Whether `topic` can carry a liveness report (the topic alone decides).
pub fn may_report(topic: &str) -> bool {
    let first = levels::first(topic);
    let last = levels::last(topic);
    matches!(first, "homie" | "tele" | "zigbee2mqtt")
        || topic == "homeassistant/status"
        || last == "availability"
        || last == "online"
        || last == "$state"
        || topic == "frigate/available"
        || topic == "octoPrint/mqtt"
        || last.eq_ignore_ascii_case("status")
}

pub fn classify(topic: &str, payload: &[u8]) -> Option<Report> {
    // Most topics are readings: rule them out without splitting.
    if !may_report(topic) {
        return None;
    }
    let levels: Vec<&str> = levels::levels(topic).collect();
    let report = |device: &str, word: String, status: Status, convention| {
        Some(Report {
            device: device.to_string(),
            status,
            word,
            convention,
        })
    };

    // Sparkplug B births and deaths are read with their payloads (`twin::sparkplug`: a death
    // of an older session is not an offline).

    // Homie 3/4 `homie/<device>/$state`, Homie 5 `homie/5/<device>/$state`, and Homie under a
    // vendor's root (`valetudo/<id>/$state`).
    if levels.last() == Some(&"$state") {
        let device = match levels.len() {
            3 => levels[1],
            4 if levels[0] == "homie" && levels[1] == "5" => levels[2],
            _ => return None,
        };
        let word = word_in(payload)?;
        let status = judge(&word).unwrap_or(Status::Unknown);
        return report(device, word, status, Convention::Homie);
    }

    // Tasmota `tele/<device>/LWT`.
    if levels.len() == 3 && levels[0] == "tele" && levels[2] == "LWT" {
        let word = word_in(payload)?;
        let status = judge(&word)?;
        return report(levels[1], word, status, Convention::Tasmota);
    }

    // Frigate's `frigate/available` and OctoPrint's `octoPrint/mqtt`: their wills.
    if topic == "frigate/available" || topic == "octoPrint/mqtt" {
        let word = word_in(payload)?;
        let status = judge(&word)?;
        return report(levels[0], word, status, Convention::Lwt);
    }

    // Zigbee2MQTT: `zigbee2mqtt/bridge/state`, `zigbee2mqtt/<device>/availability`.
    if levels.first() == Some(&"zigbee2mqtt") {
        let device = match levels.as_slice() {
            [_, "bridge", "state"] => super::identity::BRIDGE,
            [_, d, "availability"] => d,
            _ => return None,
        };
        let word = word_in(payload)?;
        let status = judge(&word)?;
        return report(device, word, status, Convention::Zigbee2Mqtt);
    }

    // Shelly: `shellies/<id>/online` (Gen 1), `<id>/online` with a `shelly…` id (Gen 2).
    if levels.last() == Some(&"online") {
        let device = match levels.as_slice() {
            ["shellies", d, "online"] => d,
            [d, "online"] if d.starts_with("shelly") => d,
            _ => return None,
        };
        let status = match text(payload)? {
            "true" => Status::Online,
            "false" => Status::Offline,
            _ => return None,
        };
        return report(
            device,
            text(payload)?.to_string(),
            status,
            Convention::Shelly,
        );
    }

    // Home Assistant: `homeassistant/status`, `<anything>/availability`.
    if topic == "homeassistant/status" || levels.last() == Some(&"availability") {
        let word = word_in(payload)?;
        let status = judge(&word)?;
        let device = if topic == "homeassistant/status" {
            "homeassistant"
        } else if levels.len() >= 2 {
            levels[levels.len() - 2]
        } else {
            return None;
        };
        return report(device, word, status, Convention::HomeAssistant);
    }

    // Last Will on `…/<device>/status`: a plain word, or the lab's JSON with the id inside.
    if levels
        .last()
        .is_some_and(|l| l.eq_ignore_ascii_case("status"))
    {
        let t = text(payload)?;
        if t.starts_with('{') {
            let v: Value = serde_json::from_str(t).ok()?;
            let word = v.get("status").and_then(Value::as_str)?.to_string();
            let status = judge(&word)?;
            let device = ["sensor_id", "device_id", "id"]
                .iter()
                .find_map(|k| v.get(*k).and_then(Value::as_str))
                .map(String::from)
                .or_else(|| device_level(&levels))?;
            return report(&device, word, status, Convention::LabJson);
        }
        let word = t.trim_matches('"').to_string();
        let status = judge(&word)?;
        return report(&device_level(&levels)?, word, status, Convention::Lwt);
    }
    None
}

/// The level before the last, which names the device in `…/<device>/status`.
fn device_level(levels: &[&str]) -> Option<String> {
    let d = levels.len().checked_sub(2).map(|i| levels[i])?;
    (!d.is_empty()).then(|| d.to_string())
}

/// Everything known about one device.
#[derive(Debug, Clone)]
pub struct Device {
    pub id: String,
    /// What the device last said of itself, when it said anything.
    pub said: Option<Said>,
    /// The status as last evaluated (see [`Devices::evaluate`]).
    pub status: Status,
    /// When `status` last changed.
    pub since: DateTime<Utc>,
    /// The status was already in place when twinview first heard of it (a retained status
    /// message at subscription): `since` is then when twinview learnt it, not when it began,
    /// and is shown as unknown.
    pub since_unknown: bool,
    pub first_seen: DateTime<Utc>,
    /// Last message of any kind about or from it.
    pub last_seen: DateTime<Utc>,
    /// Last reading (data message).
    pub last_data: Option<DateTime<Utc>>,
    pub messages: u64,
    pub series: usize,
    /// The last `INTERVALS` publish intervals (seconds), a ring kept inline: a reading touches
    /// its device, and a pointer to chase is one more cache miss per message at 10,000 devices.
    intervals: [f32; INTERVALS],
    /// How many of `intervals` are filled, and where the next one goes.
    intervals_len: u8,
    intervals_next: u8,
    /// Cached from `intervals` whenever one is added; `None` while the cadence is not
    /// known to be steady (see [`steady_median`]).
    median_interval: Option<f64>,
    /// The longest silence, in seconds, the device has come back from that was no outage (at
    /// most [`LEARNT_GAP_MAX`] median intervals as they were then): a radio that lost three
    /// packets in a row, a gateway whose buffer held two reports back, a phone that reported
    /// every half hour through the night and every few minutes by day.
    longest_back_s: f32,
    /// When the current report (burst of messages) began.
    burst_start: Option<DateTime<Utc>>,
    pub rate: super::rate::RateMeter,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Said {
    pub status: Status,
    pub word: String,
    pub convention: Convention,
    pub at: DateTime<Utc>,
}

impl Device {
    fn new(id: &str, at: DateTime<Utc>) -> Device {
        Device {
            id: id.to_string(),
            said: None,
            status: Status::Unknown,
            since: at,
            since_unknown: false,
            first_seen: at,
            last_seen: at,
            last_data: None,
            messages: 0,
            series: 0,
            intervals: [0.0; INTERVALS],
            intervals_len: 0,
            intervals_next: 0,
            median_interval: None,
            longest_back_s: 0.0,
            burst_start: None,
            rate: Default::default(),
        }
    }

    pub fn convention(&self) -> Convention {
        self.said
            .as_ref()
            .map(|s| s.convention)
            .unwrap_or(Convention::Data)
    }

    /// The word the device used, when it differs from the status shown (e.g. `sleeping`).
    pub fn detail(&self) -> Option<&str> {
        self.said.as_ref().map(|s| s.word.as_str())
    }

    /// Silence after which the device is stale: `override_` if set, else 3 × its median
    /// publish interval, or 1.5 × the longest silence it has come back from if that is longer,
    /// and once it lost reports (came back from two intervals or more) that silence and 3
    /// intervals more (at least 10 s); `None` until it has published at least three times.
    ///
    /// Premise: a device that once lost k reports in a row and came back may do so again (a
    /// 433 MHz sensor's lost packets, a gateway's store-and-forward buffer), so only a silence
    /// half as long again, and at least 3 intervals longer, is news. (A radio every 16 s that
    /// came back from 32 s in its first half hour then lost three in a row: 64 s was said
    /// stale at 1.5 × 32 = 48; in six simulated plant days, three such false stale changes,
    /// none with the 3 intervals more.) Silences of more than [`LEARNT_GAP_MAX`] intervals are not
    /// learnt: they were outages, and learning them would blind the rule. The silence is kept
    /// in seconds, not in intervals: a device whose pace changes (OwnTracks reports every few
    /// minutes while its phone moves and every half hour at rest) may be as quiet again as it
    /// was at its slowest, whatever its pace is now.
    pub fn stale_limit(&self, override_: Option<Duration>) -> Option<Duration> {
        if override_.is_some() {
            return override_;
        }
        let m = self.median_interval?;
        let longest = f64::from(self.longest_back_s);
        let secs = (STALE_FACTOR * m)
            .max(LEARNT_GAP_FACTOR * longest)
            // (Only once reports were lost: a gap of at least two intervals came back.)
            .max(if longest >= 2.0 * m {
                longest + STALE_FACTOR * m
            } else {
                0.0
            });
        Some(Duration::from_secs_f64(secs).max(MIN_STALE))
    }

    /// The silence after which this device is judged stale, if any. Order of authority: a
    /// device whose own convention said it is online (a will, an availability topic, a birth,
    /// Homie's `$state`) is online until that convention says otherwise; its silence is not
    /// news (a Zigbee2MQTT device the bridge pings, a Sparkplug node whose devices speak for
    /// it, a sensor that reports on change). Silence judges only devices with no such source,
    /// or every device when `--stale-after` is given.
    fn silence_limit(&self, override_: Option<Duration>) -> Option<Duration> {
        if override_.is_none()
            && self
                .said
                .as_ref()
                .is_some_and(|s| s.status == Status::Online)
        {
            return None;
        }
        self.stale_limit(override_)
    }

    /// When silence would make this device stale, if nothing is heard from it before: `None`
    /// when it is stale already, said it is offline, or has no interval to judge by. It is
    /// stale at any instant after this one (see [`Device::judge`]).
    fn deadline(
        &self,
        stale_after: Option<Duration>,
        heard_since: Option<DateTime<Utc>>,
    ) -> Option<DateTime<Utc>> {
        if self.status == Status::Stale
            || self
                .said
                .as_ref()
                .is_some_and(|s| s.status == Status::Offline)
        {
            return None;
        }
        let limit = chrono::Duration::from_std(self.silence_limit(stale_after)?).ok()?;
        let heard = heard_since.map_or(self.last_seen, |h| self.last_seen.max(h));
        heard.checked_add_signed(limit)
    }

    /// The status this device has at `now`.
    /// `heard_since`: when twinview last began hearing the network (its latest reconnection);
    /// silence before it is twinview's own, not the device's.
    fn judge(
        &self,
        now: DateTime<Utc>,
        stale_after: Option<Duration>,
        heard_since: Option<DateTime<Utc>>,
    ) -> Status {
        if self
            .said
            .as_ref()
            .is_some_and(|s| s.status == Status::Offline)
        {
            return Status::Offline;
        }
        // (Heard at `now` or later: silent for no time, as at every message of its own.)
        let heard = heard_since.map_or(self.last_seen, |h| self.last_seen.max(h));
        if now > heard {
            if let Some(limit) = self.silence_limit(stale_after) {
                let silent = (now - heard).to_std().unwrap_or_default();
                if silent > limit {
                    return Status::Stale;
                }
            }
        }
        match &self.said {
            Some(s) => s.status,
            None if self.last_data.is_some() => Status::Online,
            None => Status::Unknown,
        }
    }
}

/// A change of status, for the log.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    pub device: String,
    /// The status was already in place before twinview heard of the device (a retained
    /// status message at subscription): `at` is when twinview learnt it.
    pub before_start: bool,
    pub from: Status,
    pub to: Status,
    pub at: DateTime<Utc>,
    pub word: Option<String>,
}

/// Where a device sits in [`Devices::by_id`], as remembered by a series that reports for it:
/// valid while no device has been forgotten since (forgetting moves devices), so a reading
/// reaches its device without hashing and comparing its id (BENCHMARKS.md, "Ingest").
pub type Slot = Option<(usize, u64)>;

/// All devices, by id.
#[derive(Debug, Clone, Default)]
pub struct Devices {
    /// In the order they were first seen; positions change only when devices are forgotten.
    pub by_id: indexmap::IndexMap<String, Device, hashbrown::DefaultHashBuilder>,
    /// Bumped whenever devices are forgotten: every [`Slot`] taken before is stale.
    generation: u64,
    /// No device can fall stale before this instant without a message first: every message
    /// lowers it to its own time, and a full pass of [`Devices::evaluate`] sets it to the
    /// earliest deadline. `None`: no device can until a message arrives. At rest the
    /// once-a-second pass over every device is then skipped (BENCHMARKS.md).
    due: Option<DateTime<Utc>>,
    /// `--stale-after`: overrides every device's derived limit.
    pub stale_after: Option<Duration>,
    /// When twinview last reconnected: silence is counted from there at the earliest.
    pub heard_since: Option<DateTime<Utc>>,
    /// Counts per status, kept current by `evaluate`.
    pub counts: [usize; 4],
    /// Grows with every new device and every change of status; views cache on it.
    pub revision: u64,
    /// At most this many devices; the least recently seen are forgotten first.
    pub cap: usize,
    pub evicted: u64,
    /// What Home Assistant discovery says devices are (name, manufacturer, model), apart from
    /// `Device`, which every reading touches and is kept small.
    described: super::FastMap<String, super::discovery::HaDevice>,
}

fn count_slot(s: Status) -> usize {
    match s {
        Status::Online => 0,
        Status::Offline => 1,
        Status::Stale => 2,
        Status::Unknown => 3,
    }
}

impl Devices {
    pub fn new(stale_after: Option<Duration>) -> Self {
        Devices::with_cap(stale_after, usize::MAX)
    }

    pub fn with_cap(stale_after: Option<Duration>, cap: usize) -> Self {
        Devices {
            stale_after,
            cap: cap.max(1),
            ..Devices::default()
        }
    }

    /// A series of device `id` was forgotten.
    pub fn remove_series(&mut self, id: &str) {
        if let Some(d) = self.by_id.get_mut(id) {
            d.series = d.series.saturating_sub(1);
        }
    }

    /// Forgets the least recently seen 1 % of the devices (at least one).
    fn evict(&mut self) {
        let n = (self.cap / 100).max(1).min(self.by_id.len());
        let mut seen: Vec<(DateTime<Utc>, String)> = self
            .by_id
            .values()
            .map(|d| (d.last_seen, d.id.clone()))
            .collect();
        if n < seen.len() {
            seen.select_nth_unstable(n);
        }
        self.generation += 1;
        for (_, id) in seen.into_iter().take(n) {
            if let Some(d) = self.by_id.swap_remove(&id) {
                self.counts[count_slot(d.status)] -= 1;
            }
            self.described.remove(&id);
        }
        self.evicted += n as u64;
        self.revision += 1;
    }

    pub fn count(&self, s: Status) -> usize {
        self.counts[count_slot(s)]
    }

    /// Where device `id` is, created if new.
    fn index(&mut self, id: &str, at: DateTime<Utc>) -> usize {
        if let Some(i) = self.by_id.get_index_of(id) {
            return i;
        }
        if self.by_id.len() >= self.cap {
            self.evict();
        }
        self.counts[count_slot(Status::Unknown)] += 1;
        self.revision += 1;
        self.by_id
            .insert_full(id.to_string(), Device::new(id, at))
            .0
    }

    /// The device `id`, created if new, with the counters a status change updates.
    fn entry(&mut self, id: &str, at: DateTime<Utc>) -> (&mut Device, &mut [usize; 4], &mut u64) {
        let i = self.index(id, at);
        self.at_index(i)
    }

    fn at_index(&mut self, i: usize) -> (&mut Device, &mut [usize; 4], &mut u64) {
        let d = self.by_id.get_index_mut(i).expect("a device's index").1;
        (d, &mut self.counts, &mut self.revision)
    }

    /// A reading from `id` arrived at `at`.
    pub fn data(&mut self, id: &str, at: DateTime<Utc>) -> Option<Transition> {
        let i = self.index(id, at);
        self.data_at(i, at)
    }

    /// [`Devices::data`] for a reporter that remembers where its device is: `slot` is used
    /// while still valid and renewed otherwise.
    pub fn data_slot(
        &mut self,
        slot: &mut Slot,
        id: &str,
        at: DateTime<Utc>,
    ) -> Option<Transition> {
        let i = match *slot {
            Some((i, generation)) if generation == self.generation => i,
            _ => {
                let i = self.index(id, at);
                *slot = Some((i, self.generation));
                i
            }
        };
        debug_assert_eq!(self.by_id.get_index(i).map(|(k, _)| k.as_str()), Some(id));
        self.data_at(i, at)
    }

    /// The device `id`, through `slot` while it is valid (see [`Slot`]).
    pub fn get(&self, slot: Slot, id: &str) -> Option<&Device> {
        match slot {
            Some((i, generation)) if generation == self.generation => {
                self.by_id.get_index(i).map(|(_, d)| d)
            }
            _ => self.by_id.get(id),
        }
    }

    fn data_at(&mut self, i: usize, at: DateTime<Utc>) -> Option<Transition> {
        let stale_after = self.stale_after;
        let (d, counts, revision) = self.at_index(i);
        match d.burst_start {
            Some(prev) => {
                let gap = (at - prev).num_milliseconds() as f64 / 1000.0;
                // Messages within BURST_S of a report's first are that report: several
                // series in one payload, one value per topic, a radio's repeats, a pair of
                // attribute reports. Only the time between reports is an interval.
                if gap >= BURST_S {
                    d.burst_start = Some(at);
                    if let Some(m) = d.median_interval {
                        if gap / m <= f64::from(LEARNT_GAP_MAX) {
                            d.longest_back_s = d.longest_back_s.max(gap as f32);
                        }
                    }
                    d.intervals[usize::from(d.intervals_next)] = gap as f32;
                    d.intervals_next = (d.intervals_next + 1) % INTERVALS as u8;
                    d.intervals_len = (d.intervals_len + 1).min(INTERVALS as u8);
                    d.median_interval = steady_median(&d.intervals[..usize::from(d.intervals_len)]);
                }
            }
            None => d.burst_start = Some(at),
        }
        if d.last_data != Some(at) {
            d.messages += 1;
            d.rate.add(at.timestamp());
        }
        d.last_data = Some(at);
        d.last_seen = d.last_seen.max(at);
        let t = settle(d, counts, revision, at, stale_after, None);
        self.lower_due(at);
        t
    }

    fn lower_due(&mut self, at: DateTime<Utc>) {
        self.due = Some(self.due.map_or(at, |due| due.min(at)));
    }

    /// The next [`Devices::evaluate`] passes over every device (tests compare with it).
    #[cfg(test)]
    pub fn force_next_pass(&mut self) {
        self.due = Some(DateTime::<Utc>::MIN_UTC);
    }

    /// A liveness message arrived.
    /// [`Devices::report`] for a message the broker kept (retained): a device twinview first
    /// hears of this way had that status before twinview started, since an unknown time.
    pub fn report_retained(&mut self, r: &Report, at: DateTime<Utc>) -> Option<Transition> {
        let mut t = self.report(r, at)?;
        if t.from == Status::Unknown {
            t.before_start = true;
            if let Some(d) = self.by_id.get_mut(&r.device) {
                d.since_unknown = true;
            }
        }
        Some(t)
    }

    pub fn report(&mut self, r: &Report, at: DateTime<Utc>) -> Option<Transition> {
        let stale_after = self.stale_after;
        let (d, counts, revision) = self.entry(&r.device, at);
        d.said = Some(Said {
            status: r.status,
            word: r.word.clone(),
            convention: r.convention,
            at,
        });
        d.messages += 1;
        d.rate.add(at.timestamp());
        d.last_seen = d.last_seen.max(at);
        let t = settle(d, counts, revision, at, stale_after, None);
        self.lower_due(at);
        t
    }

    /// A series of `id` was created.
    /// Gives a known device what discovery says it is (an unknown device is not made).
    /// A device not seen yet is described too (a hub's device list comes before the devices
    /// speak), while fewer descriptions than the device cap are kept.
    pub fn describe(&mut self, id: &str, d: &super::discovery::HaDevice) {
        let room =
            self.by_id.contains_key(id) || self.described.len() < self.cap.min(MAX_DESCRIPTIONS);
        if room && self.described.get(id) != Some(d) {
            self.described.insert(id.to_string(), d.clone());
            self.revision += 1;
        }
    }

    /// What discovery says device `id` is, if a config described it.
    pub fn description(&self, id: &str) -> Option<&super::discovery::HaDevice> {
        self.described.get(id)
    }

    pub fn add_series(&mut self, id: &str, at: DateTime<Utc>) {
        self.entry(id, at).0.series += 1;
    }

    /// Re-judges every device at `now` (silence makes devices stale without any message).
    pub fn evaluate(&mut self, now: DateTime<Utc>) -> Vec<Transition> {
        if self.due.is_none_or(|due| now <= due) {
            return Vec::new();
        }
        let stale_after = self.stale_after;
        let heard_since = self.heard_since;
        let mut due: Option<DateTime<Utc>> = None;
        let mut changed: Vec<Transition> = self
            .by_id
            .values_mut()
            .filter_map(|d| {
                let t = settle(
                    d,
                    &mut self.counts,
                    &mut self.revision,
                    now,
                    stale_after,
                    heard_since,
                );
                if let Some(at) = d.deadline(stale_after, heard_since) {
                    due = Some(due.map_or(at, |due| due.min(at)));
                }
                t
            })
            .collect();
        self.due = due;
        // The map's order is not stable from run to run: say simultaneous changes by id, so
        // the journal, the events file and the Log read the same every time.
        changed.sort_by(|a, b| a.device.cmp(&b.device));
        changed
    }
}

/// Re-judges one device at `now`, keeping the per-status counts and the revision current.
fn settle(
    d: &mut Device,
    counts: &mut [usize; 4],
    revision: &mut u64,
    now: DateTime<Utc>,
    stale_after: Option<Duration>,
    heard_since: Option<DateTime<Utc>>,
) -> Option<Transition> {
    let next = d.judge(now, stale_after, heard_since);
    if next == d.status {
        return None;
    }
    let t = Transition {
        before_start: false,
        device: d.id.clone(),
        from: d.status,
        to: next,
        at: now,
        word: d.said.as_ref().map(|s| s.word.clone()),
    };
    counts[count_slot(d.status)] -= 1;
    counts[count_slot(next)] += 1;
    d.status = next;
    d.since = now;
    d.since_unknown = false;
    *revision += 1;
    Some(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn c(topic: &str, payload: &str) -> Option<(String, Status, String, &'static str)> {
        classify(topic, payload.as_bytes())
            .map(|r| (r.device, r.status, r.word, r.convention.as_str()))
    }

    fn r(
        d: &str,
        s: Status,
        w: &str,
        conv: &'static str,
    ) -> Option<(String, Status, String, &'static str)> {
        Some((d.to_string(), s, w.to_string(), conv))
    }

    #[test]
    fn plain_lwt() {
        assert_eq!(
            c("home/living-room-01/status", "online"),
            r("living-room-01", Status::Online, "online", "lwt")
        );
        assert_eq!(
            c("home/living-room-01/status", "offline"),
            r("living-room-01", Status::Offline, "offline", "lwt")
        );
        assert_eq!(
            c("/living_room/s1/status", "OFFLINE"),
            r("s1", Status::Offline, "OFFLINE", "lwt")
        );
        // Not a liveness word: not a liveness message.
        assert_eq!(c("home/x/status", "42"), None);
    }

    #[test]
    fn lab_json_lwt() {
        assert_eq!(
            c(
                "digital_twin/lab/sensor/status",
                r#"{"sensor_id":"TEMP_SENSOR_001","status":"offline"}"#
            ),
            r("TEMP_SENSOR_001", Status::Offline, "offline", "lab-json")
        );
    }

    #[test]
    fn tasmota() {
        assert_eq!(
            c("tele/plug-7/LWT", "Online"),
            r("plug-7", Status::Online, "Online", "tasmota")
        );
        assert_eq!(
            c("tele/plug-7/LWT", "Offline"),
            r("plug-7", Status::Offline, "Offline", "tasmota")
        );
    }

    #[test]
    fn zigbee2mqtt() {
        assert_eq!(
            c(
                "zigbee2mqtt/kitchen-sensor/availability",
                r#"{"state":"online"}"#
            ),
            r("kitchen-sensor", Status::Online, "online", "zigbee2mqtt")
        );
        assert_eq!(
            c("zigbee2mqtt/kitchen-sensor/availability", "offline"),
            r("kitchen-sensor", Status::Offline, "offline", "zigbee2mqtt")
        );
        assert_eq!(
            c("zigbee2mqtt/bridge/state", r#"{"state":"online"}"#),
            r(
                "zigbee2mqtt-bridge",
                Status::Online,
                "online",
                "zigbee2mqtt"
            )
        );
    }

    #[test]
    fn home_assistant() {
        assert_eq!(
            c("homeassistant/status", "online"),
            r("homeassistant", Status::Online, "online", "home-assistant")
        );
        assert_eq!(
            c("garage/door-1/availability", "offline"),
            r("door-1", Status::Offline, "offline", "home-assistant")
        );
    }

    #[test]
    fn homie_3_4_and_5() {
        for (word, status) in [
            ("init", Status::Online),
            ("ready", Status::Online),
            ("disconnected", Status::Offline),
            ("sleeping", Status::Offline),
            ("lost", Status::Offline),
            ("alert", Status::Online),
        ] {
            assert_eq!(
                c("homie/boiler/$state", word),
                r("boiler", status, word, "homie")
            );
        }
        assert_eq!(
            c("homie/5/boiler/$state", "ready"),
            r("boiler", Status::Online, "ready", "homie")
        );
        assert_eq!(
            c("homie/boiler/$state", "rebooting"),
            r("boiler", Status::Unknown, "rebooting", "homie")
        );
    }

    #[test]
    fn ordinary_topics_are_not_liveness() {
        assert_eq!(c("/living_room/temperature/s1", "21.7"), None);
        assert_eq!(c("home/x/sensors", "{\"t\":1}"), None);
        assert_eq!(c("lights/kitchen/state", "ON"), None);
    }

    fn t(s: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + s, 0).unwrap()
    }

    #[test]
    fn a_remembered_slot_is_renewed_once_devices_are_forgotten() {
        let mut d = Devices::with_cap(None, 3);
        let mut slot: Slot = None;
        d.data_slot(&mut slot, "c", t(0));
        for (i, id) in ["a", "b"].iter().enumerate() {
            d.data(id, t(1 + i as i64));
        }
        assert_eq!(d.by_id["c"].messages, 1);
        // A fourth device makes room: the least recently seen ("c") is forgotten and the
        // others move; the slot "c" remembered is stale and must not reach another device.
        d.data("d", t(5));
        assert!(!d.by_id.contains_key("c"));
        d.data_slot(&mut slot, "c", t(6));
        assert_eq!(d.by_id["c"].messages, 1, "a new device, counted once");
        for id in ["a", "b", "d"] {
            if let Some(dev) = d.by_id.get(id) {
                assert_eq!(dev.messages, 1, "{id} untouched");
            }
        }
        let (i, _) = slot.expect("renewed");
        assert_eq!(d.by_id.get_index(i).map(|(k, _)| k.as_str()), Some("c"));
    }

    fn lwt(device: &str, word: &str) -> Report {
        classify(&format!("home/{device}/status"), word.as_bytes()).unwrap()
    }

    #[test]
    fn offline_holds_until_the_device_says_otherwise() {
        let mut d = Devices::default();
        d.data("a", t(0));
        assert_eq!(d.by_id["a"].status, Status::Online);
        let tr = d.report(&lwt("a", "offline"), t(1)).unwrap();
        assert_eq!((tr.from, tr.to), (Status::Online, Status::Offline));
        // A (retained) reading does not bring it back.
        assert_eq!(d.data("a", t(2)), None);
        assert_eq!(d.by_id["a"].status, Status::Offline);
        assert_eq!(d.by_id["a"].since, t(1));
        let tr = d.report(&lwt("a", "online"), t(3)).unwrap();
        assert_eq!(tr.to, Status::Online);
        assert_eq!(d.count(Status::Online), 1);
        assert_eq!(d.count(Status::Offline), 0);
    }

    #[test]
    fn stale_after_three_median_intervals_at_least_ten_seconds() {
        let mut d = Devices::default();
        for s in [0, 5, 10, 15] {
            d.data("a", t(s));
        }
        assert_eq!(
            d.by_id["a"].stale_limit(None),
            Some(Duration::from_secs(15))
        );
        assert!(
            d.evaluate(t(30)).is_empty(),
            "15 s of silence is not yet stale"
        );
        let tr = d.evaluate(t(31));
        assert_eq!(tr.len(), 1);
        assert_eq!((tr[0].from, tr[0].to), (Status::Online, Status::Stale));
        assert_eq!(d.count(Status::Stale), 1);
        // Its next reading brings it back.
        let tr = d.data("a", t(40)).unwrap();
        assert_eq!((tr.from, tr.to), (Status::Stale, Status::Online));

        // Fast publishers still get ten seconds.
        let mut d = Devices::default();
        for s in 0..5 {
            d.data("b", t(s));
        }
        assert_eq!(d.by_id["b"].stale_limit(None), Some(MIN_STALE));
        // Too few messages to know its rhythm: never stale by itself.
        let mut d = Devices::default();
        d.data("c", t(0));
        assert!(d.evaluate(t(1000)).is_empty());
    }

    #[test]
    fn a_silence_it_came_back_from_is_learnt_up_to_ten_intervals() {
        let mut d = Devices::default();
        // Every 10 s; then three reports lost in a row, and back.
        for s in (0..=100).step_by(10) {
            d.data("radio", t(s));
        }
        assert_eq!(
            d.by_id["radio"].stale_limit(None),
            Some(Duration::from_secs(30))
        );
        let tr = d.evaluate(t(131));
        assert_eq!(tr.len(), 1, "40 s of silence is news the first time");
        d.data("radio", t(140));
        for s in (150..=200).step_by(10) {
            d.data("radio", t(s));
        }
        // It came back from 4 intervals (3 reports lost): stale after those and 3 intervals
        // more, 7 (half as long again, 6, is less).
        assert_eq!(
            d.by_id["radio"].stale_limit(None),
            Some(Duration::from_secs(70))
        );
        assert!(d.evaluate(t(240)).is_empty(), "the same silence again");
        assert!(d.evaluate(t(265)).is_empty(), "a little longer: more lost");
        assert_eq!(d.evaluate(t(271)).len(), 1, "three intervals more");
        // An outage of an hour is not learnt.
        d.data("radio", t(3800));
        for s in (3810..=3900).step_by(10) {
            d.data("radio", t(s));
        }
        assert_eq!(
            d.by_id["radio"].stale_limit(None),
            Some(Duration::from_secs(70))
        );
    }

    #[test]
    fn a_silence_learnt_at_a_slow_pace_holds_when_the_pace_quickens() {
        // An OwnTracks phone: every 30 min at rest through the night (once 56 min), then
        // every 5 min while it moves.
        let mut d = Devices::default();
        let mut s = 0;
        for gap in [1800, 1800, 1800, 3360, 1800, 1800] {
            s += gap;
            d.data("phone", t(s));
        }
        for _ in 0..20 {
            s += 300;
            d.data("phone", t(s));
        }
        assert_eq!(
            d.by_id["phone"].stale_limit(None),
            Some(Duration::from_secs(5040)),
            "1.5 × the 56 min it came back from, not 1.5 × 56/30 of its 5 min pace"
        );
        assert!(d.evaluate(t(s + 3300)).is_empty(), "55 min at rest again");
        assert_eq!(d.evaluate(t(s + 5041)).len(), 1);
    }

    #[test]
    fn stale_after_override_and_offline_beats_stale() {
        let mut d = Devices::new(Some(Duration::from_secs(2)));
        d.data("a", t(0));
        assert_eq!(d.evaluate(t(3))[0].to, Status::Stale);
        d.report(&lwt("a", "offline"), t(4));
        assert!(d.evaluate(t(100)).is_empty());
        assert_eq!(d.by_id["a"].status, Status::Offline);
    }

    #[test]
    fn status_only_devices_are_online_or_unknown() {
        let mut d = Devices::default();
        d.report(&lwt("a", "online"), t(0));
        assert_eq!(d.by_id["a"].status, Status::Online);
        d.report(&classify("homie/x/$state", b"rebooting").unwrap(), t(0));
        assert_eq!(d.by_id["x"].status, Status::Unknown);
        assert_eq!(d.by_id["x"].detail(), Some("rebooting"));
    }

    #[test]
    fn the_convention_that_knows_beats_silence() {
        // A device its will says is online stays online through any silence...
        let mut d = Devices::default();
        d.report(&lwt("a", "online"), t(0));
        for s in [0, 5, 10, 15] {
            d.data("a", t(s));
        }
        assert!(d.evaluate(t(10_000)).is_empty());
        assert_eq!(d.by_id["a"].status, Status::Online);
        // ...until the will says otherwise.
        let tr = d.report(&lwt("a", "offline"), t(10_001)).unwrap();
        assert_eq!(tr.to, Status::Offline);
        // A device with no such source is judged by its silence.
        for s in [0, 5, 10, 15] {
            d.data("b", t(s));
        }
        assert_eq!(d.evaluate(t(31))[0].to, Status::Stale);
        // --stale-after is the user's word for every device.
        let mut d = Devices::new(Some(Duration::from_secs(2)));
        d.report(&lwt("c", "online"), t(0));
        assert_eq!(d.evaluate(t(3))[0].to, Status::Stale);
    }

    #[test]
    fn a_status_in_place_before_twinview_started_has_no_known_start() {
        let mut d = Devices::default();
        let tr = d.report_retained(&lwt("a", "offline"), t(100)).unwrap();
        assert!(tr.before_start);
        assert!(d.by_id["a"].since_unknown);
        // The next change is seen as it happens.
        let tr = d.report(&lwt("a", "online"), t(200)).unwrap();
        assert!(!tr.before_start);
        assert!(!d.by_id["a"].since_unknown);
        // A retained message about a device already known is no news of before.
        let tr = d.report_retained(&lwt("a", "offline"), t(300)).unwrap();
        assert!(!tr.before_start);
    }

    #[test]
    fn a_report_in_a_burst_is_one_report_and_an_unsteady_device_is_not_judged_by_silence() {
        // A radio sensor every 16 s whose values arrive on six topics, some twice.
        let mut d = Devices::default();
        let ms = |m: i64| Utc.timestamp_millis_opt(1_800_000_000_000 + m).unwrap();
        for k in 0..10 {
            for j in 0..6 {
                d.data("probe", ms(k * 16_000 + j));
                d.data("probe", ms(k * 16_000 + 70 + j));
            }
        }
        assert_eq!(
            d.by_id["probe"].stale_limit(None),
            Some(Duration::from_secs(48))
        );
        // A phone that reports every few minutes to an hour: no pace, no staleness.
        let mut d = Devices::default();
        for s in [0, 900, 1000, 4600, 4700, 9000, 9060, 12_000] {
            d.data("phone", t(s));
        }
        assert_eq!(d.by_id["phone"].stale_limit(None), None);
        assert!(d.evaluate(t(100_000)).is_empty());
    }
}
