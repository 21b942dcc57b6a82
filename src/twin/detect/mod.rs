//! The default anomaly detectors: one per fault kind, each judged against a noise scale that
//! the sensor's own history sets, and each O(1) per reading.
//!
//! Why these and not a z-score over the window (the lab's rule, still available as
//! `--detector lab`): a window's σ mixes noise with the slow cycle the sensor follows, and a
//! group's σ mixes noise with the calibration offsets between sensors, so both flag healthy
//! sensors all day. Here every scale is estimated from what stays when the slow part is taken
//! out — consecutive differences for spikes, bursts and flat lines, and the residual against
//! the zone's consensus for level shifts and drifts — and every scale is learnt robustly
//! (clipped running means, frozen while an episode is open) so a fault cannot teach the
//! detector that it is normal.
//!
//! | kind          | what fires it                                                          |
//! |---------------|------------------------------------------------------------------------|
//! | `spike`       | one reading far from both neighbours while they agree (decided when the next reading arrives) |
//! | `noise_burst` | short-term spread of consecutive differences far above the sensor's own |
//! | `stuck`       | the same value repeated far longer than the sensor's history makes plausible (never for a series that never changed or repeats ≥ 98 % of its readings, never for a counter); a switching few-level signal held at a level it leaves on a cycle far longer than it ever did (see [`super::dwell`]) |
//! | `level_shift` | the residual against the zone consensus jumped and stays (sensor's offset learnt); on a lone sensor, a step it never took in a week that stayed a minute |
//! | `drift`       | the residual against the zone consensus crept away; on a lone sensor, a steady creep undone by one step back, its minute means moving far beyond their own history, its level leaving the envelope of its hourly means, or those means running one way more than twice as long as they ever did in its week (see [`super::envelope`]) |
//! | `silence`     | no reading for three intervals of a steady cadence while the device is not offline (one per topic) |
//! | `counter_reset` | a counter (a series that never went down in 100 readings) fell below half its value |
//!
//! Counters are judged only by `counter_reset`: their steps are their rate, their runs rest.
//!
//! A zone whose consensus moves fast (heating on, a door opened) is a *process change*,
//! reported once for the zone by [`Consensus`]; its members' residuals do not move, so they
//! stay quiet.

use crate::twin::devices::{cadence, BURST_S, INTERVALS, STEADY_SPREAD};

mod cadence;
mod consensus;
mod levels;
mod slow;
mod spikes;
mod steps;
mod stuck;
mod trail;
mod zone;
pub(crate) use consensus::median;
pub use consensus::{Consensus, ProcessChange, ZoneNews, CONSENSUS_MIN, ROBUST_PEERS};
use levels::Levels;
use trail::Trail;

/// A device's battery that falls this many points (percent) within [`DRAIN_WINDOW_MS`] is
/// draining fast: a healthy coin cell or AA pack in a sensor falls a few points a month, a
/// dying one or one drained by a fault (a stuck radio, a broken contact) in hours. Premise of
/// the field names: `battery` / `battery_level` is the device's own battery in percent
/// (Zigbee2MQTT, Tasmota, ESPHome); a house battery's state of charge (Victron's `Soc`) is not
/// judged so, it charges and discharges daily.
const BATTERY_DRAIN: f64 = 10.0;
/// The window a battery's drain is measured over: an hour, kept as the highest reading in each
/// of [`DRAIN_BUCKETS`] stretches of it.
const DRAIN_WINDOW_MS: i64 = 3_600_000;
const DRAIN_BUCKETS: usize = 10;

/// A battery's readings of the last hour, as the highest in each tenth of it (bucket index,
/// value, epoch ms), and whether a fast drain was said, with the lowest reading since (it is
/// said again once charged or replaced: risen by [`BATTERY_DRAIN`] from there).
#[derive(Debug, Clone, Default)]
pub struct Drain {
    highest: [Option<(i64, f64, i64)>; DRAIN_BUCKETS],
    said: Option<f64>,
}
/// A day, in milliseconds.
const DAY_MS: i64 = 86_400_000;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Thresholds of the default detectors (the `[anomaly]` table of the config file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DetectorConfig {
    /// Readings a series needs before any detector judges it.
    pub warmup: usize,
    /// Spike: both jumps (into and out of the reading) exceed this many σ of the sensor's
    /// consecutive differences.
    pub spike: f64,
    /// Noise burst: recent mean |Δ| (two largest left out) over the learnt mean |Δ|.
    pub burst: f64,
    /// Stuck: a run of identical readings whose probability, from the sensor's own share of
    /// repeated values, is below this.
    pub stuck_probability: f64,
    /// Stuck: never fewer identical readings than this.
    pub stuck_min: usize,
    /// Level shift / drift: smoothed residual beyond this many of its own learnt scales.
    pub level: f64,
    /// … and the episode closes once it is back within this many.
    pub level_clear: f64,
    /// Silence: no reading for this many typical intervals …
    pub silence_intervals: f64,
    /// … and at least this many seconds.
    pub silence_min_s: f64,
    /// Process change: the zone consensus moved over two minutes by this many times its
    /// usual two-minute change.
    pub process: f64,
    /// An episode closes after this many normal readings in a row.
    pub close_after: usize,
}

impl Default for DetectorConfig {
    fn default() -> Self {
        DetectorConfig {
            warmup: 30,
            spike: 6.0,
            burst: 3.0,
            stuck_probability: 1e-6,
            stuck_min: 6,
            level: 7.0,
            level_clear: 3.0,
            silence_intervals: 3.0,
            silence_min_s: 15.0,
            process: 8.0,
            close_after: 5,
        }
    }
}

impl DetectorConfig {
    /// Every threshold checked, so a config file cannot switch a detector off by accident.
    pub fn validate(&self) -> Result<(), String> {
        let positive = [
            ("spike", self.spike),
            ("burst", self.burst),
            ("level", self.level),
            ("level_clear", self.level_clear),
            ("silence_intervals", self.silence_intervals),
            ("silence_min_s", self.silence_min_s),
            ("process", self.process),
        ];
        for (name, v) in positive {
            if !(v.is_finite() && v > 0.0) {
                return Err(format!(
                    "[anomaly] {name} must be a positive number, not {v}"
                ));
            }
        }
        if self.level_clear >= self.level {
            return Err("[anomaly] level_clear must be below level".into());
        }
        if !(self.stuck_probability > 0.0 && self.stuck_probability < 1.0) {
            return Err("[anomaly] stuck_probability must be between 0 and 1".into());
        }
        if self.warmup < 10 || self.close_after == 0 || self.stuck_min < 2 {
            return Err(
                "[anomaly] warmup must be at least 10, close_after at least 1, stuck_min at least 2"
                    .into(),
            );
        }
        Ok(())
    }
}

/// What an episode is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EpisodeKind {
    Spike,
    LevelShift,
    Drift,
    Stuck,
    NoiseBurst,
    Silence,
    /// A monotonic counter went down (a meter replaced, a device reset).
    CounterReset,
    /// `--detector lab`: |z| over the window above the threshold.
    Zscore,
    /// `--detector lab`: beyond the group's mean ± kσ.
    Group,
}

impl EpisodeKind {
    pub const ALL: [EpisodeKind; 9] = [
        EpisodeKind::Spike,
        EpisodeKind::LevelShift,
        EpisodeKind::Drift,
        EpisodeKind::Stuck,
        EpisodeKind::NoiseBurst,
        EpisodeKind::Silence,
        EpisodeKind::CounterReset,
        EpisodeKind::Zscore,
        EpisodeKind::Group,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EpisodeKind::Spike => "spike",
            EpisodeKind::LevelShift => "level_shift",
            EpisodeKind::Drift => "drift",
            EpisodeKind::Stuck => "stuck",
            EpisodeKind::NoiseBurst => "noise_burst",
            EpisodeKind::Silence => "silence",
            EpisodeKind::CounterReset => "counter_reset",
            EpisodeKind::Zscore => "zscore",
            EpisodeKind::Group => "group",
        }
    }

    pub fn parse(s: &str) -> Option<EpisodeKind> {
        EpisodeKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// A short word for narrow screens.
    pub fn label(self) -> &'static str {
        match self {
            EpisodeKind::Spike => "spike",
            EpisodeKind::LevelShift => "shift",
            EpisodeKind::Drift => "drift",
            EpisodeKind::Stuck => "stuck",
            EpisodeKind::NoiseBurst => "noisy",
            EpisodeKind::Silence => "silent",
            EpisodeKind::CounterReset => "reset",
            EpisodeKind::Zscore => "z",
            EpisodeKind::Group => "group",
        }
    }
}

/// How far past its threshold an episode went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Peak below twice the threshold.
    Minor,
    /// Peak at twice the threshold or more.
    Major,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Minor => "minor",
            Severity::Major => "major",
        }
    }
}

/// One detector's verdict on one reading.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub kind: EpisodeKind,
    /// When the anomalous reading (or silence) began; a spike is found one reading late.
    pub at: DateTime<Utc>,
    /// The statistic in units of its threshold's scale (e.g. 9.3 σ).
    pub score: f64,
    pub threshold: f64,
    pub reason: String,
}

/// An anomaly that lasts: opened by a finding, closed after a run of normal readings.
#[derive(Debug, Clone, PartialEq)]
pub struct Episode {
    pub kind: EpisodeKind,
    pub start: DateTime<Utc>,
    /// The last abnormal reading; the episode's end once it is closed.
    pub last: DateTime<Utc>,
    pub closed: bool,
    pub peak: f64,
    pub threshold: f64,
    /// The reason of the finding that opened it (or of the peak, for the same kind).
    pub reason: String,
    /// Normal readings in a row since the last abnormal one.
    pub calm: usize,
    /// When it was said (its `start` may be earlier: a stuck run or a drift began before it
    /// was found).
    pub opened: DateTime<Utc>,
}

impl Episode {
    pub fn open(f: Finding) -> Episode {
        Episode {
            kind: f.kind,
            start: f.at,
            last: f.at,
            closed: false,
            peak: f.score,
            threshold: f.threshold,
            reason: f.reason,
            calm: 0,
            opened: f.at,
        }
    }

    pub fn severity(&self) -> Severity {
        if self.peak.abs() >= 2.0 * self.threshold {
            Severity::Major
        } else {
            Severity::Minor
        }
    }

    pub fn end(&self) -> Option<DateTime<Utc>> {
        self.closed.then_some(self.last)
    }

    /// Judged again while open: `f` says what it was after all (a burst that explains the
    /// spike or shift it began as; a level shift that turned out a held reading's catch-up,
    /// see [`Detector::caught_up`]).
    pub fn rename(&mut self, f: Finding) {
        self.calm = 0;
        self.last = self.last.max(f.at);
        self.kind = f.kind;
        self.peak = f.score;
        self.threshold = f.threshold;
        self.reason = f.reason;
    }

    /// Takes in a further finding while open: the peak and its reason follow the strongest,
    /// and a spike followed by more of the same is a noise burst.
    pub fn extend(&mut self, f: Finding) {
        self.calm = 0;
        self.last = self.last.max(f.at);
        // A burst explains the spikes and the wobble of the residual that came first.
        if matches!(
            self.kind,
            EpisodeKind::Spike | EpisodeKind::LevelShift | EpisodeKind::Drift
        ) && f.kind == EpisodeKind::NoiseBurst
        {
            self.rename(f);
        } else if matches!(self.kind, EpisodeKind::LevelShift | EpisodeKind::Drift)
            && matches!(f.kind, EpisodeKind::LevelShift | EpisodeKind::Drift)
        {
            // Shift or drift is judged again on every reading of the excursion: the longer
            // it lasts, the clearer its trend (or its absence) becomes.
            self.kind = f.kind;
            if f.score.abs() > self.peak.abs() {
                self.peak = f.score;
            }
            self.reason = f.reason;
        } else if f.kind == self.kind && f.score.abs() > self.peak.abs() {
            self.peak = f.score;
            self.reason = f.reason;
        }
    }
}

/// A small fixed ring of the latest values (no allocation after construction).
#[derive(Debug, Clone)]
struct Ring<const N: usize> {
    v: [f64; N],
    len: usize,
    pos: usize,
    /// Whether each value was negative, newest in the lowest bit (see [`Ring::turns`]).
    signs: u32,
}

impl<const N: usize> Default for Ring<N> {
    fn default() -> Self {
        Ring {
            v: [0.0; N],
            len: 0,
            pos: 0,
            signs: 0,
        }
    }
}

impl<const N: usize> Ring<N> {
    fn push(&mut self, x: f64) {
        self.v[self.pos] = x;
        self.pos = (self.pos + 1) % N;
        self.len = (self.len + 1).min(N);
        self.signs = (self.signs << 1) | u32::from(x < 0.0);
    }

    fn full(&self) -> bool {
        self.len == N
    }

    /// How often consecutive values (in the order pushed) go from negative to not or back
    /// (a zero counts with the positive ones). O(1): from the sign bits kept on push.
    fn turns(&self) -> usize {
        const { assert!(N < 32) };
        let pairs = (1u32 << self.len.saturating_sub(1)) - 1;
        ((self.signs ^ (self.signs >> 1)) & pairs).count_ones() as usize
    }

    /// How often consecutive values (in the order pushed) go from below their mean to not or
    /// back (one at the mean counts with those above). O(N); asked only of a window past the
    /// burst bar.
    fn turns_about_mean(&self) -> usize {
        let mean = self.mean();
        let mut turns = 0;
        let mut below = None;
        for x in self.oldest_first() {
            let b = x < mean;
            turns += usize::from(below.is_some_and(|p| p != b));
            below = Some(b);
        }
        turns
    }

    /// The mean of the values held.
    fn mean(&self) -> f64 {
        self.v[..self.len].iter().sum::<f64>() / self.len.max(1) as f64
    }

    /// The values held, oldest first: from `pos` on once the ring is full, from 0 before.
    fn oldest_first(&self) -> impl Iterator<Item = f64> + '_ {
        let start = if self.len == N { self.pos } else { 0 };
        (0..self.len).map(move |k| self.v[(start + k) % N])
    }

    /// How often the values far from their mean (by `far` at least, in the order pushed) go
    /// from below it to above or back, the values nearer it passed over. O(N); asked only of
    /// a window past the burst bar.
    fn far_turns(&self, far: f64) -> usize {
        let mean = self.mean();
        let mut turns = 0;
        let mut above = None;
        for x in self.oldest_first() {
            let d = x - mean;
            if d.abs() >= far {
                turns += usize::from(above.is_some_and(|p| p != (d > 0.0)));
                above = Some(d > 0.0);
            }
        }
        turns
    }
}

/// Turns a burst's window of steps must take, both in direction and about their mean: noise
/// jumps back and forth (white noise's steps change direction two times in three, and about
/// their mean as often), while a movement out and back (a bathroom's humidity rising at a
/// shower and decaying after it, reported on change) changes direction once, and a ramp that
/// starts or stops within the window turns once about the window's mean (a tank refilled
/// each night: its steps were near 0 and are +2.2 a reading now, below the mean and then
/// above it, though the small steps before the ramp changed direction at every reading).
const BURST_TURNS: usize = 3;
/// … and its steps far from their mean (past the burst bar) must change side this often: a
/// burst's big steps go both ways, a ramp's all one (a tank refilled each night, one step of
/// +0.6 before its ramp: the small steps about the mean turned three times, the big ones
/// never).
const BURST_FAR_TURNS: usize = 2;

/// The share of the burst bar past which the recent steps are not calm: an open episode stays
/// open, and the residual test waits (a burst under way, not yet past its bar).
const BURST_ABNORMAL: f64 = 0.6;
/// A silence after which a series' recent steps are forgotten for the burst test (see
/// `observe_in`): half an hour, or 3 of its steady intervals where that is longer.
const BURST_GAP_MS: i64 = 30 * 60_000;

/// Mean distance of the burst window's steps (each over the noise scale where it was taken)
/// from their own mean, with the two largest left out so one spike cannot make a burst. From
/// their mean, not from zero: a ramp (a motor warming at a shift's start) steps the same way
/// every reading and is no burst; noise about a level has a mean step near zero.
fn trimmed_mean(r: &Ring<12>) -> f64 {
    // Order does not matter here: the filled slots are the first `len` (a ring fills from 0).
    let filled = &r.v[..r.len];
    let mean = filled.iter().sum::<f64>() / filled.len().max(1) as f64;
    let (mut a, mut b, mut sum) = (0.0f64, 0.0f64, 0.0);
    for &v in filled {
        let x = (v - mean).abs();
        sum += x;
        if x > a {
            b = a;
            a = x;
        } else if x > b {
            b = x;
        }
    }
    (sum - a - b) / (r.len.saturating_sub(2)).max(1) as f64
}

/// How fast the residual's scale follows a change (seconds).
const SCALE_TAU_S: f64 = 2.0 * 3600.0;
/// How fast a sensor's offset from its zone follows a slow calibration creep (seconds).
const OFFSET_TAU_S: f64 = 6.0 * 3600.0;

/// While the residual's scale is being learnt, a change this many σ of the sensor's steps
/// away from its first offset is judged all the same.
const GROSS: f64 = 30.0;

/// Smoothing of the residual (about the last 1/α readings).
const LEVEL_ALPHA: f64 = 0.05;

/// √(π/2): σ of a Gaussian from its mean absolute value.
const MEAN_ABS_TO_SIGMA: f64 = 1.253_314_137_315_500_3;

/// A series that repeats at least this share of its readings is never stuck by the length of
/// its runs alone.
pub const STUCK_MAX_REPEATS: f64 = 0.98;
/// A lone sensor that has not stepped beyond `spike` σ for this long (a week) has not jumped in
/// its healthy life: its next jump that stays is a level shift. One that did (a load switched
/// on every evening, a washer run every few days) jumps as part of its life. Was a day: over
/// ten-day home worlds a washer's plug, run every two or three days, made a false level shift
/// at each run after a day without one, and a battery's current likewise (ten-day worlds,
/// seeds 1-4: home 15 → 12 and 11 → 9 false episodes, plant 1 → 1 and 12 → 11; none found
/// less). A week holds a weekly routine too.
pub const STEP_MEMORY_MS: i64 = 7 * 86_400_000;
/// Readings in a row that never went down (with at least [`COUNTER_MIN_UPS`] going up) make a
/// series a counter.
pub const COUNTER_MIN_RUN: u64 = 100;
/// Field names (the last segment, lower case) that the ecosystems give a cumulative energy
/// meter: Zigbee2MQTT's `energy` ("sum of consumed energy", kWh), and `total` under an energy
/// object (Tasmota's `ENERGY.Total`, Shelly's `aenergy.total`). Premise: by their documented
/// convention such a field only rises, so one that falls towards zero was reset, even at rest
/// all day (a washer's plug idle since midnight never rose while watched, and its history alone
/// cannot say it is a counter). One that ever went down a little (not a reset towards zero) is
/// none after all.
pub const CUMULATIVE_NAMES: [&str; 5] = [
    "energy",
    "total_energy",
    "energy_total",
    "total_act_energy",
    "total_kwh",
];
/// Field names (the last segment, lower case) of a device's time since it started, in seconds:
/// ESPHome's `uptime` sensor, Shelly's `sys.uptime`, Tasmota's `UptimeSec`. Premise: such a
/// count only rises while the device runs and starts again near zero when it restarts, so any
/// fall is a restart (said as a counter reset), never a sign it is no counter: a device in a
/// boot loop restarts again a minute later, from a count lower than the one before but more
/// than half of it.
pub const UPTIME_NAMES: [&str; 4] = ["uptime", "uptimesec", "uptime_s", "uptime_sec"];
/// Field names (the last segment, lower case) of the quality or strength of the radio link a
/// device is heard over: Zigbee's `linkquality` (Zigbee2MQTT) and `lqi`, Wi-Fi's `rssi`
/// (Tasmota's `Wifi.RSSI`, Shelly's `wifi.rssi`), ESPHome's `wifi_signal` sensor, a radio's
/// `snr`; also `signal` under a Wi-Fi object (Tasmota's `Wifi.Signal`). Premise: the receiving
/// radio measures each frame afresh, so the value cannot freeze while frames arrive, and it
/// wanders, steps and bursts with the path (a door, a person, a microwave): no probe to fault.
/// Such a series keeps its statistics and chart; no detector judges it (profile class `link`).
pub const LINK_NAMES: [&str; 5] = ["linkquality", "lqi", "rssi", "wifi_signal", "snr"];
/// Where the last `sep` of `s` is (an ASCII byte: a boundary of the text).
fn last_at(s: &str, sep: u8) -> Option<usize> {
    s.bytes().rposition(|b| b == sep)
}

/// The last words (after the last `_`) of every name in [`UPTIME_NAMES`], [`LINK_NAMES`],
/// [`SATURATING_NAMES`], [`CUMULATIVE_NAMES`] and the battery's: a name ending otherwise is
/// none of them.
const NAMED_LAST_WORDS: [&str; 17] = [
    "yesterday",
    "humidity",
    "battery",
    "batt",
    "level",
    "energy",
    "total",
    "kwh",
    "uptime",
    "uptimesec",
    "s",
    "sec",
    "linkquality",
    "lqi",
    "rssi",
    "signal",
    "snr",
];
/// Names of a position and of the motion a tracker reports with it (the whole name, or its
/// end after an `_`: OwnTracks' `lat`, `lon`, `alt`, `vel` and `cog`, a GPS's `latitude`,
/// `gps_longitude`). Premise: a position follows whoever carries it; its steps are trips, its
/// bursts a drive through town, its runs a stay at home. Nothing in its readings tells a
/// tracker's fault from its carrier's day (Alice's phone, out driving, reported longitudes
/// jumping 0.03° a report where at home they moved 0.009: said a noise burst, unseen seed 12).
/// Such a series keeps its statistics and chart; no detector judges it (profile class
/// `position`).
pub const POSITION_NAMES: [&str; 9] = [
    "lat",
    "lon",
    "lng",
    "latitude",
    "longitude",
    "alt",
    "altitude",
    "vel",
    "cog",
];
/// Names of a light level (the whole name, or its end after an `_`: Zigbee2MQTT's
/// `illuminance` and `illuminance_lux`, Hue's `light_level`, ESPHome's `hallway_lux`).
/// Premise: light follows lamps and the sun, so it jumps when a lamp is switched or the sun
/// rises between two reports (a motion sensor reports it only with motion: 2 lux at 07:54, 31
/// at 08:26, the first sunrise it saw) and a lamp on for one report and off by the next is one
/// reading that stood out. Neither its lone steps nor its spikes are judged; its runs, its
/// silences and its daily envelope are. A light sensor that fails by jumping (covered, or
/// facing a new lamp) cannot be told from that.
pub const LIGHT_NAMES: [&str; 5] = [
    "illuminance",
    "illuminance_lux",
    "lux",
    "light_level",
    "lightlevel",
];
/// Field names (the last segment, lower case) whose range is fixed by definition, with that
/// range: a relative humidity and a battery's percent remaining (0–100). Premise: a reading
/// held at the limit of its range is saturated (a bathroom at 100 % while the shower runs, a
/// new battery), not frozen; a run anywhere else is still judged. (A link's quality, 0–255,
/// is never judged at all: see [`LINK_NAMES`].)
pub const SATURATING_NAMES: [(&str, (f64, f64)); 4] = [
    ("humidity", (0.0, 100.0)),
    ("battery", (0.0, 100.0)),
    ("battery_level", (0.0, 100.0)),
    ("batt", (0.0, 100.0)),
];
/// Readings a named cumulative series must have shown without going down to be judged as a
/// counter.
pub const NAMED_COUNTER_MIN_RUN: u64 = 10;
pub const COUNTER_MIN_UPS: u64 = 5;

/// Levels a series is followed at (see [`Levels`]).
pub(super) const LEVELS: usize = 4;
/// Readings per verdict on whether a series dwells at few levels (the first verdict sooner).
const LEVEL_WINDOW: u32 = 200;
const LEVEL_FIRST: u32 = 60;
/// A move between two places a series dwells at, well apart, is a switch when one reading's
/// step on the way covered at least this share of it, or it took at most
/// [`SWITCH_SETTLE_MS`]; otherwise a ramp. Premise: a switch (a relay, a compressor's load, a
/// valve) settles within seconds, and a reading or two may catch it on the way (a fridge's
/// inrush); heat and fluids move over minutes, by many small steps. A few-level signal whose
/// moves between its places are mostly ramps is still judged by the envelope (see
/// `judge_envelope`): its places are not switched to, so a level beyond all it showed is not
/// one of them (a real machine's temperature, NAB's machine_temperature_system_failure, sat
/// near 50 and near 95 °F for days, in 5 % bands 2.5 and 4.75 °F wide, and climbed between
/// them by steps of 6 °F at most over half an hour; taken for a switching signal, its fall to
/// 2 °F, the first of its three labelled anomalies (a planned shutdown, NAB's notes say), went
/// unsaid).
const SWITCH_SHARE: f64 = 0.5;
const SWITCH_SETTLE_MS: i64 = 120_000;
/// A table level holding this many readings is held, and this many readings in a row at a held
/// level are a dwell there (the place a move is measured from and to).
const LEVEL_HELD: u32 = 5;
const LEVEL_DWELL: u32 = 3;
/// A series that only ever took at most this many distinct values is a state (a power
/// factor of 0 or 0.85, a mode, a relay): its runs are dwell times and its changes are
/// switches, so neither stuck, spike, burst nor a lone step is judged on it.
pub const DISCRETE_MAX: usize = 4;
/// Readings in a row at exactly 0 before a misread below zero (see
/// [`Detector::misread_below_zero`]): a rest, not a value passing through 0.
const MISREAD_REST: usize = 10;
/// Readings after a step into a place the series has not been (beyond `spike` σ, at no known
/// level) before its steps there are judged: the noise at a new place is not known yet (a
/// compressor's first load of the day is noisier than its rest).
const SETTLE: u8 = 20;
/// The time over which the recent share of repeats is learnt (seconds).
const RECENT_TAU_S: f64 = 1800.0;
/// A step's next reading is at its new place when within this many of the series' usual
/// noise of it (or a quarter of the step): a step is judged only where it is many times the
/// noise, so a reading that far from where it stepped from, and this near where it landed, is
/// there.
const STAYS_SIGMAS: f64 = 3.0;
/// A lone step is decided once the level has stayed this long (1 min) …
pub const STEP_STAY_MS: i64 = 60_000;
/// … and is not a fault when another series stepped as it had not in a week within this long
/// of it (1 min): a machine starting, a shift beginning, moves several series at once, while
/// a unit switched, a probe gone or an offset moves one.
pub const STEP_TOGETHER_MS: i64 = 60_000;
/// A series that jumped within [`STEP_MEMORY_MS`] has its lone steps judged only where they
/// land at a place it had not been, or are more than this many times the largest jump it took
/// in its latest two days (a change of mode that moved it with other series counts): a
/// battery's voltage that fell 0.32 V as its inverter changed mode, then rose 0.77 V alone an
/// hour later. A series whose life moves it between places jumps by like amounts (a chiller's
/// return, 1.5 °C at every break of the shifts).
const JUMP_LIKE: f64 = 2.0;
/// … and only once its latest jump is this old (30 min): a machine starting moves its meter
/// through several places within minutes (a compressor from 0 W to 2,100 W unloaded, then
/// 7,400 W loaded five minutes later).
const JUMP_LIKE_AFTER_MS: i64 = 30 * 60_000;
/// A lone step is the end of a creep the rate test said only this long after the creep began
/// (12 hours; see [`Detector::ramp_undone`]).
const RAMP_UNDONE_MS: i64 = 12 * 3_600_000;
/// A reading that held for more than this many of the series' usual intervals is a dwell,
/// not a spike, however it stood from its neighbours: a pump's flow reported by exception
/// drops to 0 and says nothing more until the pump starts again two hours later. (Ten until
/// round sixteen: a Shelly's heater, its status every minute and on change, off for 9.6
/// minutes in one report of 0, was said a spike on its power, current and energy of the
/// minute. At five no spike of the home and plant worlds, 24 hours on nine seeds, was missed.)
const SPIKE_HELD_INTERVALS: f64 = 5.0;
/// A quiet spell its device spoke through (see [`Detector::spoke_through`]) counts as one only
/// when it is at least this many of the series' mean gaps long.
const QUIET_GAPS: f64 = 4.0;
/// Steps across such spells the series must have taken, every one within
/// [`QUIET_STEP_SIGMAS`] of its usual step, before its steps across them are judged unwidened.
const QUIET_LEARNT: u16 = 8;
/// The largest a learnt step across a spoken-through quiet spell may have been (σ of the usual
/// step): half the spike threshold's 6, so a series whose quiet spells ended in jumps now and
/// then keeps the widened judgement.
const QUIET_STEP_SIGMAS: f32 = 3.0;
/// A series is taken for one reported past a deadband (see [`Detector::deadband`]) once this
/// many of its changes were looked at for their grid …
const DEADBAND_CHANGES: u16 = 50;
/// … half of them at least no whole multiple of its smallest step (a quantised sensor steps
/// by whole quanta; a reading sent once it moved past a deadband lands anywhere beyond it) …
const DEADBAND_OFF_GRID: f64 = 0.5;
/// (A change is off the grid when it is further than this share of the smallest step from a
/// whole multiple of it: the written digits' rounding stays within it.)
const DEADBAND_GRID: f64 = 0.05;
/// … its smallest step at least this share of its mean change (its steps crowd just past
/// the deadband; a continuous reading's smallest step is far below its usual one) …
const DEADBAND_SHARE: f64 = 0.6;
/// … and it repeats under this share of its readings (a device that sends every field of a
/// topic at once repeats the fields that did not move).
const DEADBAND_SAME: f64 = 0.05;
/// How far past the deadband its usual step goes is measured as at least this share of the
/// deadband: a series whose every step was the deadband and a hair is not judged on the hair.
const DEADBAND_EXCESS_FLOOR: f64 = 0.2;
/// What a lone step's score is measured in, for its reason: its usual steps, or how far past
/// its deadband they go where it has one (see [`Detector::deadband`]).
fn usual_steps(deadband: Option<f64>) -> String {
    match deadband {
        Some(db) => format!("σ of its usual steps past its deadband of {db:.3}"),
        None => "σ of its usual steps".to_string(),
    }
}

/// A creep undone on such a series went this many deadbands one way at least (see
/// [`Detector::creep_undone`]).
const DEADBAND_CREEP: f64 = 5.0;
/// Changes over which the mean change and the off-grid share are learnt (a running mean
/// after them).
const DEADBAND_LEARN: u16 = 500;
/// The off-grid share is learnt only while the smallest step is at least this share of the
/// mean change (half of [`DEADBAND_SHARE`]: a series nearing that shape has learnt its grid
/// by the time it has it).
const DEADBAND_NEAR: f64 = 0.5 * DEADBAND_SHARE;
/// The share of its readings a sensor must repeat for a run of repeats in a zone at rest to
/// be its quiet (see `judge_stuck`'s `zone_still`): a probe coarse beside its medium's
/// movement.
const ZONE_STILL_REPEATS: f64 = 0.5;
/// A run of repeats is stuck only once it is this many times the longest run the series has
/// had and left by itself (see [`Detector::judge_stuck`]).
const STUCK_LONGEST_RUNS: usize = 3;
/// A run's time held counts no gap over this many of a steady series' intervals (but the one
/// its pace gives): such a gap is a loss, clipped to this size where its cadence is learnt,
/// and the value across it is not known. Premise: a steady reporter shows its value held only
/// by reporting it.
const RUN_GAP_INTERVALS: f64 = 3.0;
/// A cadence is steady only if no gap of the day being watched or the day before was longer
/// than this many of its median intervals (see [`Detector::cadence_steady`]).
const STEADY_GAP_INTERVALS: f64 = 5.0;
/// Gaps a steady series must have shown before its own losses set its silence (see
/// [`Detector::silence_limit`]); until then a silence waits [`STEADY_GAP_INTERVALS`].
const SILENCE_LOSS_KNOWN: u32 = 1000;
/// A silence waits for as many lost reports in a row as the series' own losses would make
/// this often a day at most.
const SILENCE_FALSE_PER_DAY: f64 = 0.01;
/// At a few-level signal's quiet level whose readings still move (see `judge_stuck`'s
/// `moving_level`), this many times instead, in readings and in time: a controller holds what
/// it controls within one step of the resolution for long spells, and a spell a few times
/// the longest seen is its quiet (a hall heated to 18 °C, read to 0.5 °C, held 18.0 for 3.7
/// hours where its longest hold had been 73 minutes); a press's motor held 57.1 for 36
/// minutes where its longest hold was under three was stuck.
const STUCK_LEVEL_RUNS: usize = 10;
/// A series that repeats most of its readings (a coarse probe in a quiet place) is not judged
/// stuck before it has been watched this long: until it has seen a quiet stretch (a night in a
/// greenhouse), its history says nothing of how long one lasts, and its share of repeats alone
/// makes a probe at its night minimum look stuck within the hour.
const STUCK_QUIET_WATCH_MS: i64 = 3 * 3_600_000;
/// A series that repeats most of its readings and has held one value this long (an hour) is
/// not judged stuck by the length of a run before it has been watched a day. Premise: holds of
/// hours follow the day (a night's cooling, a heated day, a room empty by day), and a first
/// day's longest hold says nothing of the part of the day not yet seen: a motion sensor's
/// 1 °C internal temperature held 17 for four hours at night, then 20 for eleven hours from
/// late morning, and was said stuck at ten (24-hour home worlds: six of 300 false, each one
/// reaching back ten hours). A probe that holds a few minutes at most is judged as before (a
/// press's motor, a chiller's supply).
const STUCK_DAY_HOLD_S: f32 = 3_600.0;
/// No series is judged stuck by the length of its run before it has given this many readings:
/// its share of repeats, learnt from fewer, is unknown ("learning"). A Frigate camera's
/// process_fps, read every minute to 0.1 and at 5.0 two fifths of the time, held 5.0 for ten
/// readings 26 minutes after twinview started, when 26 readings had taught it a share of
/// 18 %: a false stuck (held-out 24 h home seed 106). The zone's and the stopped-pace rules,
/// which need no share, still judge; a sensor read every few seconds has its sixty within
/// minutes.
const STUCK_LEARN_READINGS: u64 = 60;
/// A run that began where the series had repeated nearly all its readings over the half hour
/// before (this share at least: a 0.5 °C probe in a heated hall) goes on as long as what it
/// measures stays within one step, and the heating may hold it there a whole working day. Such
/// a run is not judged before the series has been watched this long: its first hours' longest
/// hold says nothing of that (a hall that read 19.0 for 40 minutes then held 18.5 for seven
/// hours on its first afternoon, where its longest hold that morning was two, was said stuck).
/// A probe that freezes in its first day where it was already still is missed; one that
/// freezes while it moved is judged as before.
const STUCK_STILL_REPEATS: f64 = 0.9;
const STUCK_STILL_WATCH_MS: i64 = DAY_MS;
/// Steps within a level before its own noise is known.
const LEVEL_NOISE_KNOWN: u16 = 10;
/// A level's noise is a plain mean over its first this many steps, then a running one as slow
/// as the series' own scale: a noise burst of a few dozen readings within a level must not
/// teach the level its own noise (an oven zone's burst was learnt away within 40 readings
/// when this was 50).
const LEVEL_NOISE_WINDOW: u16 = 500;
/// Steps within a level before its own noise may stand below the series' noise at its order of
/// magnitude (see `Mags`). Premise: a quieter level (a compressor at rest) shows itself over
/// many steps; the first few within a level's band, where the band is narrower than the
/// series' noise, sample only its quiet corner. The case: a Victron's battery power at
/// -220 ± 40 W, re-entered after five hours at -820 (the table had let the level go), learnt
/// 3.5 W from its first ten steps within ±9 W, and said five spikes of 54-61 W in eight
/// minutes (home seed 2, 21 days).
const LEVEL_NOISE_TRUSTED: u16 = 100;
/// A few-level signal's level whose mean step is at least this many resolution steps is a
/// noisy one: a run of repeats there is judged (see `judge_stuck`), as the chance of an exact
/// repeat there is at most resolution ÷ step (0.5). Was 10: an oven zone whose controller
/// cycles ±2 °C about its setpoint, read to 0.1 °C (learnt as 0.2: a mean step of 3), held
/// one reading for 32 minutes unsaid. Then 2.5: a fridge plug's on level, 82 W read to 1 W
/// with a mean step of 2.3 W, held 84 W for 28 minutes unsaid. A quiet level (a plug at 0 W,
/// a step of 0) stays unjudged.
const NOISY_LEVEL_STEPS: f64 = 2.0;
/// A lone sensor's step is judged only once it has been watched this long (1 h): before,
/// that it "has not jumped like this" says nothing (a compressor's first load of the night).
pub const STEP_WATCHED_MS: i64 = 3_600_000;
/// How long a few-level signal's proven levels must have stayed the same set before a step to
/// a place none of them is near is news (see `Levels::proven`): 3 hours.
pub const LEVELS_STABLE_MS: i64 = 3 * 3_600_000;
/// How old the older reading a series' recent rate is measured from gets before the newer
/// takes its place (see `ramp_over_gap`): between half an hour and an hour.
const RAMP_SPAN_MS: i64 = 30 * 60_000;
/// The least time a rate is measured over: ten minutes.
const RAMP_MIN_MS: i64 = 10 * 60_000;
/// The time over which the course a series kept before a creep began is read (see
/// [`Detector::creep_off_course`]): two hours, in two halves.
const COURSE_MS: i64 = 2 * 3_600_000;
/// … the most of a step that course, carried on to the step, may account for …
const COURSE_SHARE: f64 = 0.5;
/// … and how far ahead it is carried: the hour and a half a drift lasts at most before its
/// probe is reset (see [`TRAIL`]). A greenhouse warming at dawn turned to cool for 1.8 hours
/// and then shifted +2.6 °C onto where its dawn course would have taken it (home seed 379).
const COURSE_AHEAD_MS: i64 = 90 * 60_000;
/// A lone step that lands within this share of itself from where the series stood in the last
/// two hours (see [`Trail`]), with no jump since, undid a creep: a drift that ended.
const DRIFT_UNDONE: f64 = 0.2;
/// … and crept steadily: its rates over the first and the second half of the way within this
/// factor of each other (an oven cooling to a lower setpoint drops fast and then holds; a
/// probe drifting creeps at one pace).
const DRIFT_RATES: f64 = 3.0;
/// Readings kept for the drift-end test: one every ten minutes, for two hours (a drift lasts
/// up to an hour and a half before its probe is reset) …
const TRAIL: usize = 12;
const TRAIL_EVERY_MS: i64 = 10 * 60_000;
/// … and one every half hour for eight hours, for a probe that creeps for most of a working day
/// before it is reset (see [`DRIFT_END_SHARE`]).
const LONG_TRAIL: usize = 16;
const LONG_TRAIL_EVERY_MS: i64 = 30 * 60_000;
/// A lone step that undid a creep of hours (found on the long trail, see [`Trail::creep_from`])
/// is news past this share of the spike bar. Premise: two things said it together, a creep at
/// one pace for hours and one step that landed back where the creep began; a healthy room's
/// steps (a door, a shower, the heating) land where its life took it, not back on the very
/// place it stood hours ago after a steady creep. The case: a living room's Zigbee sensor crept
/// +0.5 °C over six hours and jumped -0.49 back, 4.2σ of its usual steps (home seed 7).
const DRIFT_END_SHARE: f64 = 0.5;
/// A lone series whose noise hides the pace of a creep of hours between any two of its kept
/// readings shows it in a line fitted through them all (see [`Trail::fitted_creep`]): a step
/// back of [`DRIFT_END_SHARE`] of the spike bar, measured against its usual steps unwidened by
/// the gap before it, that landed where the line began, is the end of a drift when the line
/// built this share of the step at least (and at most its inverse) …
/// Premise: a room wanders a tenth of a degree from report to report while a probe drifting
/// half a degree in six hours builds a twelfth of a degree an hour; no two readings show the
/// way, every reading together does, and a healthy room's own slow way (an afternoon cooling)
/// is not undone by one step that lands back on where it began. Its gap is not allowed for:
/// a room that moves as far across a long silence moves on after it (the pending step's
/// going on), or lands where its life took it, not back on a line's start. The case: living
/// rooms' and bathrooms' Zigbee sensors crept ±0.5 °C over six hours in ±0.05 of wander and
/// stepped back 3.5 to 4.7σ of their usual steps across gaps of 7 to 27 minutes (home seeds
/// 9, 11 and 14: missed). Only for a temperature (see [`Detector::thermal`]): a place's air or
/// water has no steps of its own, while a voltage steps with its load, an inference time with
/// its detector's work and a cycle time with its machine, each wandering slowly in between
/// (a mains voltage's evening, a battery's mV with its room's warmth): with the line, their
/// steps of 3σ back to where a wander began were said as drifts that ended (home seeds 9 and
/// 16, plant seed 15, seen when tried). Decided by the series' next report: a room whose
/// heating came on at 06:00 stepped +0.5 °C across a half-hour's silence, back to where a
/// night's slow cooling had begun, and its silence after a minute said it stayed; its next
/// report, 7 minutes later, had gone on by as much (ten-day home, four seeds, seen when
/// tried). Neither that silence nor a step pending since decides it (see `phantom`).
const FIT_SHARE: f64 = 0.5;
/// … and the readings strayed from the line by this share of what it built at most.
const FIT_SPREAD: f64 = 0.25;
/// A lone step is judged only where it is this many steps of the series' resolution at least:
/// fewer are a coarse sensor's flicker between neighbours, whatever its measured noise says.
const LONE_STEP_RES: f64 = 5.0;
/// A quantised temperature (see [`Detector::thermal`]) whose every other step for a day was one
/// step of its quantum (a 0.5 °C hall sensor read every 30 s flickers between neighbours as
/// the hall moves; see [`QUANTA_SPREAD`]), and which jumped this many of them at once and
/// stayed, did what its place never does: past [`DRIFT_END_SHARE`] of the spike bar (its noise
/// is measured in whole steps, so the bar is far above its life there), the step is news, a
/// level shift or the end of a drift where it undid a creep. The case: a hall held at 18.5
/// crept to 21.5 in an hour, one step at a time, and jumped -2.5 back at once (plant seed 10:
/// missed, 4σ of its usual steps). Four and not five: the same hall read 2.0 °C low for half an
/// hour, four steps at once (3.2σ of its usual steps), and crept 2.0 °C before a step back of
/// as much (24 h plant seeds 33, 39, 52 and eight more of 200: missed at five; no other event
/// moved). Its own floor, under [`LONE_STEP_RES`]: counted in whole steps, the day says what
/// one is.
const QUANTA_JUMP: f64 = 4.0;
/// … its every other step that day within this share of its quantum (see
/// [`Detector::quantum`]): a value sent each time it moved past a deadband steps by the
/// deadband and a little more (a Sparkplug pump's motor temperature, written to 0.1 °C and sent
/// at each 0.5 °C, steps 0.5 and 0.6; at rest it cools in such steps 2 to 20 minutes apart, as
/// it heats when it runs, 15 s apart). Such a motor stepped 2.2 to 4.1 °C at once, up or down,
/// at the start or end of a drift or a shift (plant seeds 109, 131, 155, 167, 174 and nine
/// more of 260: missed while the rule asked for steps of exactly its resolution, which it
/// learnt as 0.1 or 0.16 as often as 0.5). The rule's own premise is unchanged: a series that
/// for a day stepped only by its quantum does not jump four of them at once.
const QUANTA_SPREAD: f64 = 1.25;
/// … where the day held this many steps at least (the rule is the day's; a sensor that
/// changed a few times said little of its way of stepping).
const QUANTA_DAY_STEPS: u32 = 100;
/// Whether `unit` is degrees Celsius (`Some(true)`) or Fahrenheit (`Some(false)`), in the
/// spellings devices send; `None` for any other unit or none.
pub fn degrees(unit: Option<&str>) -> Option<bool> {
    let u = unit?.trim();
    let any = |words: &[&str]| words.iter().any(|w| u.eq_ignore_ascii_case(w));
    if any(&["°c", "c", "degc", "celsius", "℃"]) {
        Some(true)
    } else if any(&["°f", "f", "degf", "fahrenheit", "℉"]) {
        Some(false)
    } else {
        None
    }
}

/// How a temperature's name ends (see [`Detector::thermal`]).
const THERMAL_ENDS: [&str; 6] = [
    "temperature",
    "temp",
    "temperature_c",
    "temperature_f",
    "temp_c",
    "temp_f",
];
/// A creep found on the long trail spans three hours at least, with this many kept readings
/// within it (one an hour: a sensor that reports every 20 to 35 minutes has a reading kept
/// each hour) …
const LONG_CREEP_MS: i64 = 3 * 3_600_000;
const LONG_CREEP_KEPT: usize = 3;
/// … and one kept every hour and a half of it at least. Premise: a creep at one pace for hours
/// shows along its way; a series heard only in bursts hours apart (a boiler's Shelly, while it
/// heats) shows its noise's extremes at each burst, not a way. The case: a mains voltage
/// (230 ± 0.8 V, white) heard in four bursts over eleven hours "crept -3.3 and jumped +3.5
/// back" (ten-day home, seeds 5 and 6); the creeps found kept one every 35 to 70 minutes.
const LONG_CREEP_EVERY_MS: i64 = 90 * 60_000;
/// … and went one way: no kept reading fell back by more than this share of the creep.
const LONG_CREEP_BACK: f64 = 0.25;
/// … over this many steps of its resolution at least: a creep of a few quanta (a camera's
/// 4.8 to 5.3 frames per second) is a wandering value's rounding, and a quarter of it says
/// nothing of its way.
const LONG_CREEP_QUANTA: f64 = 10.0;

/// The places big steps landed that are remembered (see `Detector::landed`). Premise: a place
/// a series jumped to before, within its memory of jumps, is one it goes to: a site's meter
/// whose night load adds 8 kW for twenty minutes now and then never holds it long enough for
/// a proven level, and was said a level shift at each visit (nine false in a ten-day plant
/// world). A bearing's vibration at 3.7 where the press only ever jumped to 2.4 and 0 is still
/// an unseen level. Places, not jumps: a visit to a remembered place renews it, so a day shift
/// whose compressor cycles between 80 and 85 kW every three minutes does not push the night's
/// 26 kW out of memory (it did, with a ring of the latest eight jumps: five false level shifts
/// in one ten-day plant world, at the first night load after each shift).
const LANDED: usize = 8;
/// A reading held through a quiet spell this long is a place its series dwelt at (see
/// [`Detector::left_its_dwelling`]).
const DWELT_HELD_MS: i64 = 10 * 60_000;
/// How far, in its usual steps, a series must have ramped one way for a step against it to
/// need only [`DRIFT_END_SHARE`] of the step bar (see [`Detector::against_its_ramp`]).
const AGAINST_RAMP_STEPS: f64 = 4.0;
/// A series whose big steps landed at more places than this within the week lives at many
/// (a washer's heater, drum, spin and rest, each program its own): a place it never was is
/// not news there (see [`Detector::left_its_dwelling`]).
const DWELLING_PLACES: usize = 3;
/// A run of repeats this long that stopped a movement is stuck (see [`Detector::stopped_dead`])…
const STOPPED_MS: i64 = 10 * 60_000;
/// … when the movement's pace, over this long at least before the run, would have carried
/// the series [`STOPPED_QUANTA`] of its resolution in [`STOPPED_MS`].
const STOPPED_PACE_MS: i64 = 20 * 60_000;
/// (See [`STOPPED_PACE_MS`].)
const STOPPED_QUANTA: f64 = 20.0;
/// A lone step whose readings went on the same way by more than this share of the step before
/// it was decided is the first report of a movement, not a level (see `pending`). (It was the
/// whole step until round sixteen: a shower's humidity, +8.4 and then +6.9 more within the
/// minute, was said a level shift. A level that stays moves by its noise, a sixth of a big
/// step at most.)
const STEP_MOVED_ON: f64 = 0.5;
/// At rest, for a power or a current stepping to or from a load: at most this share of the
/// load (see `Detector::load_switched`).
const LOAD_REST_SHARE: f64 = 0.05;
/// A power or a current that rested within this long is still in its load's program: its steps
/// between the program's places are the load's life (see `Detector::load_switched`).
const LOAD_PROGRAM_MS: i64 = 3 * 3_600_000;

/// A few-level signal's step to a place well apart from all its proven levels (four of their
/// bands together: see [`Levels::unseen`]) is judged past this share of the spike threshold
/// of its usual steps, not the whole of it. Premise: the distance from every level it lives at
/// already says the place is no noise within one; the bar only says the step is no noise
/// between readings. A press's vibration, 2.4 ± 0.12 mm/s running, fell to 1.4 and stayed
/// 44 minutes: 5.6 σ of its usual steps, under the whole bar, and unsaid.
const UNSEEN_LEVEL_SHARE: f64 = 0.5;

/// Proven levels remembered; one unseen for [`STEP_MEMORY_MS`] is forgotten.
const PROVEN: usize = 4;

/// What twinview has learnt of a series' signal, and so which detectors judge it.
///
/// - `cadence`: `steady` (a median interval between reports, `interval_s`, whose quartiles are
///   within 3× of each other: silence is judged), `irregular` (on change, on events, in
///   bursts: silence is never judged), `learning` (fewer than four intervals seen).
/// - `class`: `learning` (before the warm-up), `counter` (judged only by `counter_reset`),
///   `constant` (never changed: never stuck), `few_levels` (switches between levels are its
///   life), `quantised` (repeats at its resolution often), `continuous`, `link` (a radio
///   link's quality by its name, see [`LINK_NAMES`]: never judged).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Profile {
    pub cadence: &'static str,
    pub interval_s: Option<f64>,
    pub class: &'static str,
    /// The smallest step seen between two readings, once warm.
    pub resolution: Option<f64>,
    /// Where its history says it is reported past a deadband, the deadband (its smallest
    /// step: see [`Detector::deadband`]); `None` otherwise or while unknown.
    pub deadband: Option<f64>,
}

/// What the spike test and the step test on a lone sensor are told of the reading judged (see
/// [`Detector::judge_spike`], [`Detector::judge_lone_step`]): the two readings before it (`x2`,
/// then `x1`, the step being `x1 - x2`), the reading itself, its resolution and noise floor,
/// the noise at `x1` as a σ, and what the detector found of the series before (judged alone,
/// learning, its level's noise still being learnt, the spike test blind).
#[derive(Debug, Clone, Copy)]
struct StepSeen {
    x2: f64,
    x1: f64,
    x: f64,
    at_ms: i64,
    res: f64,
    floor: f64,
    sigma: f64,
    lone: bool,
    learning: bool,
    level_learning: bool,
    spike_blind: bool,
}

/// A lone step waiting to be decided once it has stayed [`STEP_STAY_MS`].
#[derive(Debug, Clone, Copy, PartialEq)]
struct PendingStep {
    /// When it was (epoch ms).
    ms: i64,
    /// The level before it, and the step.
    base: f64,
    step: f64,
    /// The step over the series' usual steps (σ), and the bar it passed (the spike
    /// threshold, or its share for an unseen level: see [`UNSEEN_LEVEL_SHARE`]).
    score: f64,
    bar: f64,
    /// When the series had last jumped before it (see `Detector::last_big_ms`).
    jumped_ms: Option<i64>,
    /// Minutes of the quiet spell its device spoke through before it, where the series
    /// reports every change (see [`Detector::reports_every_change`]).
    held_min: Option<f64>,
    /// It passed only [`DRIFT_END_SHARE`] of the bar, for the creep it undid: it is said only
    /// as a drift's end, and nothing if that creep is not found when it is decided.
    creep_only: bool,
    /// It passed only [`DRIFT_END_SHARE`] of the bar, against its own ramp (see
    /// [`Detector::against_its_ramp`]).
    against_ramp: bool,
    /// The deadband it is reported past, where it is (its score is then how far past it the
    /// step went: see [`Detector::deadband`]).
    deadband: Option<f64>,
    /// The spike test was blind at it (a place whose noise is not known yet: see
    /// `spike_blind`): a return within the minute is then not judged a spike either.
    blind: bool,
    /// It was let in only by the line through a creep (see [`FIT_SHARE`]): decided by the
    /// series' next report, not by its silence (see `Detector::unheard_step_due`).
    fitted: bool,
    /// It was let in by its quanta, this one (see [`QUANTA_JUMP`]).
    quantum: Option<f64>,
}

/// Which creeps [`Detector::creep_undone`] looks for: those found at one pace on the trails,
/// those a line through the long trail shows (see [`FIT_SHARE`]), or either.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Creeps {
    Paced,
    Fitted,
    Either,
}

/// A level shift said across a quiet spell its device spoke through, watched for a catch-up
/// (see [`Detector::caught_up`]).
#[derive(Debug, Clone, Copy)]
struct CatchUp {
    /// The step (epoch ms), the level before it and the step; its score and bar.
    ms: i64,
    base: f64,
    step: f64,
    score: f64,
    bar: f64,
    /// Minutes of the spell before it.
    held_min: f64,
    /// The latest reading since, and how many readings in a row went on the step's way.
    last: f64,
    went_on: u8,
}

/// Readings in a row after such a shift that must each go on the way it jumped, by an
/// ordinary step (at most [`CATCH_UP_STEP_SIGMAS`] of its usual steps), for it to be said a
/// held reading that caught up.
const CATCH_UP_READINGS: u8 = 3;
const CATCH_UP_STEP_SIGMAS: f64 = 3.0;

/// The per-series state of the default detectors.
#[derive(Debug, Clone, Default)]
pub struct Detector {
    /// Readings seen.
    n: u64,
    /// The last two readings and their times, for the spike test.
    prev: [f64; 2],
    prev_at: [Option<DateTime<Utc>>; 2],
    /// Learnt mean |Δ| of consecutive readings (the noise scale).
    mean_abs_d: f64,
    /// The latest |Δ|, each over the noise scale where it was taken (clipped at 8), for the
    /// burst test: a few-level signal's steps are measured against the level they are at.
    burst: Ring<12>,
    /// Readings in a row equal to the one before.
    run: usize,
    run_start: Option<DateTime<Utc>>,
    /// Time inside the run under way spent in gaps of a steady series (ms), not held time
    /// (see [`RUN_GAP_INTERVALS`]).
    run_lost_ms: i64,
    /// How fast the series moved (per ms) at one pace over the twenty minutes or more before
    /// the run began, from its trail (see [`Detector::stopped_dead`]).
    run_pace: f32,
    /// The run under way was said `stuck` and then taken as the series' normal (see
    /// [`Detector::adopt`]): it is not said again, and counts as ordinary, until it ends.
    run_adopted: bool,
    /// Learnt share of readings equal to the one before.
    p_same: f64,
    /// The same share over about the last half hour (by time), and as it was when the current
    /// run of repeats began: a quiet night repeats more than the day taught.
    p_recent: f64,
    p_run: f64,
    /// The series went down at least once (until then it may be a counter at rest).
    went_down: bool,
    /// … and once by a small step (to more than half of where it was): a counter only ever
    /// goes down by a reset, so a series that dipped is none, however long it rose after (a
    /// soil warming all morning).
    dipped: bool,
    /// Readings below zero seen (saturating): see [`Detector::misread_below_zero`].
    below_zero: u32,
    /// The lowest and highest values seen, and whether the series rested at each (three equal
    /// readings) and then left it by itself (see [`Detector::at_rest`]).
    extremes: [f64; 2],
    rested: [bool; 2],
    /// The longest run of repeats the series has had and left by itself, in readings and in
    /// seconds (from its first reading to its last).
    longest_run: u32,
    longest_run_s: f32,
    /// The first distinct values seen; `distinct_n` > [`DISCRETE_MAX`] once there were more.
    distinct: [f64; DISCRETE_MAX],
    distinct_n: u8,
    /// Readings left before the steps at a new place are judged (see [`SETTLE`]).
    settle: u8,
    /// The reading that began the settling, where the series jumped from and how far, and
    /// the steps since (count, Σ|Δ|).
    settle_from: u64,
    settle_origin: (f64, f64),
    /// The readings since the settling began: count, Σ; where it landed (the first of them)
    /// and Σ|Δ| of every step since, big ones included.
    settle_sum: (u32, f64),
    settle_landing: (f64, f64),
    /// The reading at which a settling was last called off (the series came back).
    settle_off: Option<u64>,
    settle_steps: (u32, f64),
    /// A lone step waiting to be decided (see [`PendingStep`]).
    pending: Option<PendingStep>,
    /// Where the series stood over the last two hours, and the last eight (see [`Trail`]).
    trail: Trail<TRAIL, TRAIL_EVERY_MS>,
    long_trail: Trail<LONG_TRAIL, LONG_TRAIL_EVERY_MS>,
    /// The latest lone step said as the end of a drift: the time of the kept reading its creep
    /// began at, and the step's level before and size (see [`Detector::undone_creep`]).
    undone: Option<(i64, f64, f64)>,
    /// The latest step said as a drift's end passed only [`DRIFT_END_SHARE`] of the bar.
    undone_creep_only: bool,
    /// The latest level shift said across a spell its device spoke through, while it may
    /// still turn out a held reading's catch-up (see [`Detector::caught_up`]).
    catch_up: Option<CatchUp>,
    /// The latest reading (epoch ms) looked at as a step no report after it decided (see
    /// [`Detector::decide_unheard_step`]), and whether that decided it: a step decided so is
    /// not decided again when the next report comes.
    unheard: Option<(i64, bool)>,
    /// When the series last stepped as it had not in [`STEP_MEMORY_MS`] (epoch ms): the twin
    /// compares these across series (see [`STEP_TOGETHER_MS`]).
    pub novel_ms: Option<i64>,
    /// When the series last switched between two of its known levels (epoch ms): a step of
    /// another series of its device at that moment is the device changing mode (see the
    /// twin's steps-together rule).
    pub switch_ms: Option<i64>,
    /// The latest residuals against the zone consensus (median of three taken from them).
    res3: Ring<3>,
    /// The latest of those medians: where the residual is now.
    res_med: Option<f64>,
    /// While a drift against the peers is open: where the residual was at the start of the
    /// current [`DRIFT_MOVING_MS`] (epoch ms, deviation), and whether it still moves.
    drift_ref: Option<(i64, f64)>,
    pub drifting: bool,
    /// The sensor's learnt offset from the consensus.
    offset: f64,
    /// Residual readings seen (those with a consensus).
    res_n: u64,
    /// Smoothed residual minus offset.
    level: f64,
    /// Learnt mean |level|.
    level_scale: f64,
    /// Readings the scale was learnt from while warming up, and seconds of residuals seen.
    scale_n: u64,
    res_secs: f64,
    /// Running sums of the residual since it last left its calm band (n, Σk, Σk², Σy,
    /// Σky), for telling a shift from a drift by the trend within the excursion.
    excursion: [f64; 5],
    /// Smallest change between two readings seen (the sensor's resolution).
    resolution: f64,
    /// The zone consensus when the current run of identical readings began.
    run_consensus: Option<f64>,
    /// The zone consensus at the previous reading.
    prev_consensus: Option<f64>,
    /// Two readings (epoch ms, value) kept to measure the series' recent rate by (see
    /// `ramp_over_gap`).
    anchor: [Option<(i64, f64)>; 2],
    /// The older anchor before the newer took its place: the rate is measured from it while
    /// the one that took its place is too recent (see `ramp_over_gap`).
    anchor_before: Option<(i64, f64)>,
    /// When the anchors next change (epoch ms; 0 before the first reading).
    anchor_due_ms: i64,
    /// The offset after the first `warmup` residuals, and the last two deviations from it,
    /// for the gross check while the residual's scale is still being learnt.
    early_offset: Option<f64>,
    early_prev: [f64; 2],
    /// Readings that differed from the one before.
    changes: u64,
    /// Learnt mean size of a change (a step that is not a repeat) once warm, and the share of
    /// changes no whole multiple of the smallest step: together they tell a series reported
    /// past a deadband (see [`Detector::deadband`]).
    mean_change: f64,
    p_off_grid: f64,
    /// How many changes each was learnt from (up to [`DEADBAND_LEARN`]).
    learnt_changes: u16,
    learnt_grid: u16,
    /// Readings since the series last went down, and how many of them went up: a series that
    /// never goes down is a counter (see [`Detector::counter`]).
    mono_n: u64,
    mono_ups: u64,
    /// The levels it dwells at, when it is a few-level signal.
    levels: Levels,
    /// When it last stepped beyond `spike` σ (epoch ms), outside episodes.
    last_big_ms: Option<i64>,
    /// Where that step left from, and the step (see [`Detector::left_its_dwelling`]).
    last_big: (f32, f32),
    /// The largest such steps of the day that began at `big_day_ms` and of the day before it
    /// (see [`JUMP_LIKE`]).
    big_max: [f64; 2],
    big_day_ms: i64,
    /// The largest of its other steps, in the day that began at `small_day_ms` and the day
    /// before it, and how many steps that day held (see [`QUANTA_JUMP`]).
    small_max: [f64; 2],
    small_n: [u32; 2],
    small_day_ms: i64,
    /// … and their sum (see [`Detector::quantum`]).
    small_sum: [f64; 2],
    /// Its steps across long gaps: how many, and the largest (see
    /// [`Detector::still_through_gaps`]).
    gap_steps: (u16, f32),
    /// The places such steps landed and when each was last landed on (epoch minutes; 0:
    /// empty): a place the series jumped to within [`STEP_MEMORY_MS`] is no unseen level (see
    /// `novel` and `land`).
    landed: [(f32, u32); LANDED],
    /// The level before a step judged on the sensor's own history, and the step.
    step_base: Option<(f64, f64)>,
    /// The latest lone step was said as a drift's end, and the episode it opened or joined has
    /// not closed yet (see [`Detector::lone_open`]).
    end_said: bool,
    /// The creep the rate test last said (see [`super::ramps`]): since when (epoch ms), the
    /// ramp's slope and the proven rate it was off (per minute).
    ramp_creep: Option<(i64, f64, f64)>,
    /// The largest statistic over its threshold seen for the reading being judged.
    ratio: f64,
    /// `run` as it was two readings ago and one reading ago.
    runs: [usize; 2],
    /// The run of repeats the sensor's history made unlikely, as last judged (0 until then:
    /// every run counts).
    stuck_needed: usize,
    /// The latest run judged was long enough to be stuck by its length alone (see
    /// [`Detector::stuck_by_length`]).
    stuck_by_length: bool,
    /// Learnt seconds between readings.
    pub interval: f64,
    /// The latest intervals between reports (readings more than `BURST_S` apart), a ring.
    cadence: [f32; INTERVALS],
    cadence_len: u8,
    cadence_next: u8,
    /// When the current report began (epoch ms).
    report_ms: Option<i64>,
    /// The median interval between reports while the cadence is steady; `None` while it is
    /// not known to be (too few reports, or on change, on events, in bursts). Silence is
    /// judged only on a steady cadence.
    pub steady: Option<f64>,
    /// The upper quartile of those intervals over the lower (1 for a metronome).
    pub spread: f32,
    /// The longest interval between reports (seconds) in the day being watched and in the day
    /// before, and when the day being watched began (epoch ms): see
    /// [`Detector::cadence_steady`].
    longest_gap: [f32; 2],
    /// The offset from the zone is to be taken from the next residual (a change was adopted
    /// where the residual was unknown: see [`Detector::adopt`]).
    offset_due: bool,
    /// The least and the greatest steady median interval (seconds; 0 while none) in the day
    /// being watched and in the day before: see [`Detector::pace_ratio`].
    paces: [[f32; 2]; 2],
    /// Gaps between reports learnt at a steady pace, and the reports they lost (a gap of two
    /// intervals lost one; at most two a gap, as gaps are learnt clipped at three): see
    /// [`Detector::silence_limit`].
    gaps_seen: u32,
    gaps_lost: u32,
    /// The longest time between two reports it came back from by itself (seconds, unclipped,
    /// at most [`HOLD_LEARNT_MAX`] intervals): for a series that reports on change, the
    /// longest its value held (see [`Detector::held_deadline`]).
    longest_hold: f32,
    /// The longest time between two readings (seconds) after a reading away from rest (more
    /// than [`REST_DEADBANDS`] of its resolution from 0), in the day being watched and the day
    /// before, and how many such times were learnt: for a value reported past a deadband, how
    /// long it held while it moved (see [`Detector::held_deadline`]).
    active_gap: [f32; 2],
    active_gaps: u32,
    /// The reading being observed republishes the current value rather than reporting a
    /// change (a Sparkplug birth's metrics; set by the twin before each reading): its step
    /// from the last is not learnt as one of its steps (resolution, deadband).
    pub republished: bool,
    /// Its unit says a temperature in degrees (°C or °F; set by the twin whenever the
    /// series' unit is set, see [`degrees`]): a scale whose zero is arbitrary, as the name of
    /// a temperature says (see [`Detector::thermal`]) where the unit is not known.
    pub degrees: bool,
    /// When its device last came back, or twinview reconnected (epoch ms; set by the twin
    /// before each reading): a gap across that is not learnt as one it held through.
    pub back_ms: Option<i64>,
    gap_day_ms: i64,
    /// Time of the last reading (epoch ms), and of the first.
    last_ms: Option<i64>,
    first_ms: Option<i64>,
    /// Which episode kind is open on this series (set by the twin), so learning pauses.
    pub open: Option<EpisodeKind>,
    /// Its noise by order of magnitude (see [`super::magnitude`]).
    mags: super::magnitude::Magnitudes,
    /// A device's own battery (percent remaining): also judged by its drain (see [`Drain`]).
    battery: bool,
    /// A battery that is charged or replaced, by its name (a device's `battery`, OwnTracks'
    /// `batt`: a phone's, charged every night): its rise is its life, never judged as a step
    /// or an excursion. (`batt` is not `battery`: a phone drains 4 to 10 % an hour in use,
    /// where the drain test's premise is a sensor's few points a month.)
    charged: bool,
    /// A counter named for its period (`Today`, `daily_energy`): its resets are its period.
    period: bool,
    /// The total of the day before, by its name (Tasmota's `ENERGY.Yesterday`): one value a
    /// day, changed at the device's midnight. Premise: its step is a new day, never a level
    /// shift, however it compares with the days before (a day of little washing).
    yesterday: bool,
    /// Named as a cumulative energy meter (see [`CUMULATIVE_NAMES`]): a counter before its own
    /// history proves it, unless it went down a little.
    cumulative: bool,
    /// The range its name gives (see [`SATURATING_NAMES`]).
    saturates: Option<(f64, f64)>,
    /// Its name is a power's or a current's (it ends with `power` or `current`, in any case:
    /// Tasmota's `ApparentPower`, Shelly's `apower`, Zigbee2MQTT's `current`), or an entry of a
    /// Shelly's `aenergy.by_minute` (a power averaged over a minute): exactly 0 is a load
    /// switched off (see [`Detector::at_rest`]).
    zero_is_off: bool,
    /// A power's or a current's lowest reading since it was set (when it was read, and its
    /// size), set again once [`LOAD_PROGRAM_MS`] old: where it rested before its load's
    /// program began (see [`Detector::load_switched`]).
    rest_low: Option<(i64, f64)>,
    /// Its name is a light level's (see [`LIGHT_NAMES`]): its lone steps and one-reading
    /// excursions are lamps and the sun, not judged.
    light: bool,
    /// Its name is a temperature's (it ends with `temperature` or `temp`, with or without a
    /// `_C` or `_F` after it, in any case): a quantity of air or of a body, which moves by
    /// degrees over minutes, not between two readings (see [`QUANTA_JUMP`]).
    thermal: bool,
    /// This is a clone judging the report that did not come (see
    /// [`Detector::decide_unheard_step`]): a step let in only by a line through a creep waits
    /// for a report that came (see [`FIT_SHARE`]).
    phantom: bool,
    /// Named as a device's uptime (see [`UPTIME_NAMES`]): every fall is a restart.
    uptime: bool,
    /// Named as a radio link's quality (see [`LINK_NAMES`]): never judged.
    link: bool,
    /// Its topic's convention publishes a value only when it changed (see
    /// [`Detector::sent_on_change`]).
    on_change_by_convention: bool,
    /// Named as a position or the motion it reports (see [`POSITION_NAMES`]): never judged.
    position: bool,
    /// A battery's last hour (see [`Drain`]), allocated at its first reading.
    drain: Option<Box<Drain>>,
    /// The trend test on its own history (lone sensors), and the latest change it measured.
    trend: super::trend::Trend,
    /// The envelope test on the same series (lone sensors; see [`super::envelope`]), held
    /// once it is judged by it.
    envelope: Option<Box<super::envelope::Envelope>>,
    /// The dwell test (few-level signals; see [`super::dwell`]), allocated once the series is
    /// a few-level one.
    dwells: Option<Box<super::dwell::Dwells>>,
    trend_last: f64,
    /// The rate test on the same minute means (lone sensors; see [`super::ramps`]).
    ramps: super::ramps::Ramps,
    /// Its rates, once it first qualified for the rate test (taken by the twin for the Log).
    pub ramp_news: Option<Box<str>>,
    /// Where a few-level signal's minute means sit at the level they are at (a running mean
    /// of them, so a level whose first reading was the end of a ramp is not judged by it), and
    /// since when (epoch ms): a horizon is judged within a level only once settled there.
    level_home: Option<f64>,
    level_since_ms: i64,
    /// Minutes in a row a few-level signal's trend was beyond the bar, and whether the first
    /// of them was a step.
    trend_hold: Option<(u8, bool)>,
    /// The series was once known to be a few-level one: its trend is learnt and judged within
    /// levels only.
    trend_few: bool,
    /// Its peers are inferred from numbered names (`identity::numbered_family`), not a zone a
    /// schema names: they judge it only once seen to move together ([`Detector::peers_confirmed`]).
    pub inferred_peers: bool,
    /// The consensus it is judged against comes from at least [`ROBUST_PEERS`] others (set by
    /// the twin before each reading): one faulty peer cannot move it.
    pub robust_peers: bool,
    /// When exactly two others vote: the lower and the higher of their corrected readings (set
    /// by the twin before each reading), and as they were when the current run of repeats
    /// began. Their median is their mean, which one faulty peer moves by half its fault; the
    /// two ends both moved only when both peers did.
    pub two_peers: Option<(f64, f64)>,
    /// With exactly two others voting: how far apart they usually are (their corrected
    /// readings' difference, learnt while this sensor is calm), to tell a peer that parted
    /// from this sensor moving (see `residual`).
    peer_gap: Option<f64>,
    /// The most the two peers' difference stood from `peer_gap` since the residual left its
    /// calm band (reset with the excursion): the smoothed residual still holds a parting
    /// that came and went.
    peer_parted_most: f64,
    run_two_peers: Option<(f64, f64)>,
    /// Set by the twin before each reading: the reading's topic kept coming without it since
    /// its last one (see [`Detector::spoke_through`]).
    pub spoken_through: bool,
    /// Whether each of the last two readings came after such a spell (as `prev`).
    spoke: [bool; 2],
    /// Steps taken across quiet spells its device spoke through: how many were learnt, and
    /// the largest of them over the usual step (σ).
    quiet_steps: (u16, f32),
    /// The σ the latest spike test used (0: it was blind): what a late delivery is judged
    /// against (see [`Detector::judge_late`]).
    spike_sigma: f32,
    /// Its spikes said, and the size taken as its life (see [`spikes`]), held from its first
    /// spike past the bar.
    spike_life: Option<Box<spikes::SpikeLife>>,
    /// The open shift or drift came back to the calm band once (its smoothed level was reset):
    /// its kind is no longer judged again.
    shape_kept: bool,
    /// Co-movement with the peers: an anchor (epoch ms, own value, residual), and the
    /// [`COMOVE_MS`] horizons since in which the series moved far and the residual followed it
    /// (`[agreed, diverged]`).
    comove_anchor: Option<(i64, f64, f64)>,
    comove: [u16; 2],
}

/// Readings before a series can be said to report on change, the most it may repeat its last
/// value (its learnt share of repeats), and the largest mean step, in resolution steps, at
/// which a periodic report would have repeated often (see [`Detector::reports_on_change`]).
const ON_CHANGE_MIN: u64 = 300;
const ON_CHANGE_REPEATS: f64 = 0.01;
const ON_CHANGE_STEPS: f64 = 3.0;
/// Times between reports learnt as a held value, at most this many intervals (a longer one was
/// an outage, and learning it would blind the rule).
const HOLD_LEARNT_MAX: f64 = 10.0;
/// A value reported past a deadband is at rest within this many deadbands of 0 (a stopped
/// pump's flow, a load switched off): there a silence is its rest, and a value a little off
/// 0 may stay unsent as long as it likes (see [`Detector::held_deadline`]).
const REST_DEADBANDS: f64 = 2.0;
/// Times between readings away from rest a value reported past a deadband must have shown
/// before its holds are judged (a pump's flow gives two thousand in an hour's run).
const ACTIVE_GAPS_MIN: u32 = 1000;
/// How fast a few-level signal's level home follows its minute means (per minute).
const LEVEL_HOME_ALPHA: f64 = 0.2;
/// A drift against the peers still moves when its residual moved more than twice the usual
/// wander within this long.
const DRIFT_MOVING_MS: i64 = 10 * 60_000;
/// The horizon over which co-movement with inferred peers is measured …
const COMOVE_MS: i64 = 30 * 60_000;
/// … counted only when the series moved at least this many times its resolution (or step
/// noise, if larger) within it; …
const COMOVE_MOVE: f64 = 8.0;
/// … and agreeing when the residual to the peers changed by at most this share of that move
/// (and one resolution step).
const COMOVE_SHARE: f64 = 0.2;
/// Agreeing horizons needed before inferred peers judge a series; each diverging one asks for
/// [`COMOVE_DIVERGED_WEIGHT`] more.
const COMOVE_AGREED: u16 = 3;
const COMOVE_DIVERGED_WEIGHT: u16 = 4;

/// What the detectors make of one reading.
#[derive(Debug, Default)]
pub struct Verdict {
    pub findings: Vec<Finding>,
    /// Some detector still sees the series as abnormal (below its firing threshold, above its
    /// clearing one): an open episode stays open.
    pub abnormal: bool,
    /// The value to give the zone consensus, or `None` while this sensor is not to be trusted.
    pub corrected: Option<f64>,
    /// The largest of the detectors' statistics over their thresholds for this reading (1 at
    /// a threshold); `None` while the series is learning (see [`score`]).
    pub ratio: Option<f64>,
    /// A lone step's level shift is among the findings: when the step was (epoch ms).
    pub lone_step_ms: Option<i64>,
    /// A lone sensor's trend (a drift, or a step, on its own history) is among the findings,
    /// of this kind.
    pub lone_trend: Option<EpisodeKind>,
    /// The open level shift was a held reading that caught up: the episode is renamed by this
    /// (see [`Detector::caught_up`]).
    pub caught_up: Option<Finding>,
}

/// The anomaly score of a reading, from 0 to 1: `1 − 2^(−r)`, where `r` is the largest of the
/// detectors' statistics over their firing thresholds (the spike's jumps, the burst's recent
/// step, the run of repeats over the run the sensor's history makes unlikely, the residual or
/// step over its threshold). 0 is a reading no detector finds unusual; 0.5 is exactly at a
/// detector's threshold; 0.75 twice past it. Users and benchmarks can pick their own cut.
pub fn score(ratio: f64) -> f64 {
    if ratio.is_finite() {
        1.0 - (-ratio.max(0.0)).exp2()
    } else {
        1.0
    }
}

impl Detector {
    /// The detector for a series named `field` (the last segment of its name counts): a
    /// device's own battery (`battery` or `battery_level`, as Zigbee2MQTT, Tasmota and ESPHome
    /// name it: percent remaining) is also judged by how fast it drains (see
    /// [`BATTERY_DRAIN`]); a counter named for its period (`Today`, `daily_energy`) resets as
    /// its life (see [`Detector::reset_is_life`]).
    pub fn for_field(field: &str) -> Detector {
        let name = match field.bytes().rposition(|b| b == b'.' || b == b'/') {
            Some(i) => &field[i + 1..],
            None => field,
        };
        // Compared without regard to case, and without a lower-case copy: a series is created
        // for every new topic of a flood.
        let eq = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
        // A name is the word itself or ends with it after an underscore: ESPHome's object ids
        // begin with the node's name (`greenhouse_humidity`, `greenhouse_uptime`). Most names
        // end with a word no listed name ends with, and are told at once.
        let last_word = last_at(name, b'_').map_or(name, |i| &name[i + 1..]);
        let named = NAMED_LAST_WORDS.iter().any(|w| eq(last_word, w));
        let is = |n: &str| {
            let Some(cut) = name.len().checked_sub(n.len()) else {
                return false;
            };
            named
                && name.is_char_boundary(cut)
                && eq(&name[cut..], n)
                && (cut == 0 || name.as_bytes()[cut - 1] == b'_')
        };
        let under = |word: &str| field.to_ascii_lowercase().contains(word);
        let uptime = UPTIME_NAMES.iter().any(|n| is(n));
        let battery = is("battery") || is("battery_level");
        // A word of its name (between `_`) names the period: `Today`, `daily_energy`.
        let period = name.len() >= 5
            && name.split('_').any(|w| {
                ["today", "daily", "hourly", "monthly"]
                    .iter()
                    .any(|p| eq(w, p))
            });
        let link = LINK_NAMES.iter().any(|n| is(n)) || (eq(name, "signal") && under("wifi"));
        let ends = |w: &str| {
            name.len() >= w.len()
                && name.is_char_boundary(name.len() - w.len())
                && eq(&name[name.len() - w.len()..], w)
        };
        // The whole name, or its end after an `_`.
        let named_as =
            |n: &str| eq(name, n) || (ends(n) && name.as_bytes()[name.len() - n.len() - 1] == b'_');
        Detector {
            link,
            saturates: SATURATING_NAMES
                .iter()
                .find(|(n, _)| is(n))
                .map(|(_, range)| *range),
            // A count for a period (Tasmota's `Today`) only rises within it, as a meter's
            // total does (and its reset is its period's end: see `reset_is_life`).
            cumulative: CUMULATIVE_NAMES.iter().any(|n| is(n))
                || uptime
                || period
                || (eq(name, "total") && under("energy")),
            uptime,
            battery,
            charged: battery || is("batt"),
            // (And a Shelly's `aenergy.by_minute` entries: the energy of each of the last
            // three whole minutes, in mWh, a power averaged over the minute.)
            zero_is_off: ends("power") || ends("current") || under("by_minute"),
            light: LIGHT_NAMES.iter().any(|n| named_as(n)),
            thermal: THERMAL_ENDS.iter().any(|w| ends(w)),
            phantom: false,
            position: POSITION_NAMES.iter().any(|n| named_as(n)),
            period,
            yesterday: is("yesterday"),
            ..Detector::default()
        }
    }

    /// [`Detector::for_field`] for the series `field` of `topic`: a plain value (`value`) is
    /// named by its topic instead, by the last level that is not a state suffix (ESPHome's
    /// `greenhouse/sensor/greenhouse_uptime/state` is `greenhouse_uptime`).
    pub fn for_series(topic: &str, field: &str) -> Detector {
        if field != "value" {
            return Detector::for_field(field);
        }
        let mut rest = topic;
        let name = loop {
            let (head, level) = match last_at(rest, b'/') {
                Some(i) => (&rest[..i], &rest[i + 1..]),
                None => ("", rest),
            };
            if !matches!(level, "state" | "value" | "get" | "status" | "") {
                break level;
            }
            if head.is_empty() {
                break field;
            }
            rest = head;
        };
        Detector::for_field(name)
    }

    pub fn readings(&self) -> u64 {
        self.n
    }

    /// Whether its zone's consensus may judge it. Always for a zone a schema names; for peers
    /// inferred from numbered names, once they have been seen to move together: in
    /// [`COMOVE_AGREED`] half-hours (plus [`COMOVE_DIVERGED_WEIGHT`] per half-hour they went
    /// apart) where the series moved far and its residual to the peers stayed within
    /// [`COMOVE_SHARE`] of that move and a step. Premise: numbered probes of one device
    /// usually sit side by side (soil probes, a DS18B20 chain in one tank); where they do not
    /// (a heating's flow and return), they part when they move, and are then judged alone.
    pub fn peers_confirmed(&self) -> bool {
        let [agreed, diverged] = self.comove;
        !self.inferred_peers
            || agreed
                >= COMOVE_AGREED.saturating_add(diverged.saturating_mul(COMOVE_DIVERGED_WEIGHT))
    }

    /// How long the series has been watched: from its first reading to its latest (epoch ms;
    /// 0 before any).
    /// The mean time between its readings over the time watched (ms; not the smoothed
    /// interval, which quick pairs of reports pull down).
    fn mean_gap_ms(&self) -> f64 {
        self.watched_ms() as f64 / (self.n.max(2) - 1) as f64
    }

    /// Named so that no detector judges it: a radio link's quality or a position.
    fn never_judged(&self) -> bool {
        self.link || self.position
    }

    fn watched_ms(&self) -> i64 {
        self.last_ms.zip(self.first_ms).map_or(0, |(l, f)| l - f)
    }

    /// Co-movement evidence from reading `x` with residual `e` to its peers (calm readings
    /// only: a fault's own departure is not evidence against its peers).
    fn comove_step(&mut self, x: f64, e: f64, at_ms: i64) {
        if self.open.is_some() {
            self.comove_anchor = None;
            return;
        }
        match self.comove_anchor {
            Some((t, x0, e0)) if at_ms - t >= COMOVE_MS => {
                let moved = (x - x0).abs();
                let scale = self.noise().max(self.resolution);
                if scale > 0.0 && moved >= COMOVE_MOVE * scale {
                    // (Plus one step: quantised peers differ by a step now and then.)
                    let i = usize::from((e - e0).abs() > COMOVE_SHARE * moved + scale);
                    self.comove[i] = self.comove[i].saturating_add(1);
                }
                self.comove_anchor = Some((at_ms, x, e));
            }
            Some(_) => {}
            None => self.comove_anchor = Some((at_ms, x, e)),
        }
    }

    /// What twinview has learnt of this series' signal (see [`Profile`]). `warmup`: readings
    /// before anything is known.
    pub fn profile(&self, warmup: usize) -> Profile {
        let learning = (self.n as usize) < warmup;
        let cadence = match self.steady {
            Some(_) => "steady",
            None if self.cadence_len < 4 => "learning",
            None => "irregular",
        };
        let class = if self.link {
            "link"
        } else if self.position {
            "position"
        } else if learning {
            "learning"
        } else if self.counter() {
            "counter"
        } else if self.changes == 0 {
            "constant"
        } else if self.levels.few {
            "few_levels"
        } else if self.p_same >= 0.3 && self.resolution > 0.0 {
            "quantised"
        } else {
            "continuous"
        };
        Profile {
            cadence,
            interval_s: self.steady,
            class,
            resolution: (self.resolution > 0.0 && !learning).then_some(self.resolution),
            deadband: self.deadband().filter(|_| !learning).map(|(db, _)| db),
        }
    }

    /// Takes the change an episode of `kind` saw as the new normal (see the twin's
    /// `adopt_after`): the noise scale becomes the recent one, a repetition stops being
    /// unlikely, the offset from the zone moves to where the sensor is now.
    pub fn adopt(&mut self, kind: EpisodeKind) {
        match kind {
            EpisodeKind::NoiseBurst => {
                let f = trimmed_mean(&self.burst).max(1.0);
                self.mean_abs_d *= f;
                let res = self.res_known();
                if let Some(i) = self.levels.known(self.prev[1], res) {
                    self.levels.noise[i] *= f;
                }
                // The window's steps were each taken over the old noise: over the new one they
                // are ordinary. Left as they were, a series reporting on change (a Zigbee
                // climate sensor: a reading every quarter of an hour once the burst is over)
                // keeps the burst's steps in its window for hours, says them again over the
                // adopted noise, adopts them again, and so on: five false bursts in a day.
                let len = self.burst.len;
                for v in &mut self.burst.v[..len] {
                    *v /= f;
                }
            }
            EpisodeKind::Stuck => {
                self.p_same = self.p_same.max(STUCK_MAX_REPEATS);
                // The run itself is the normal now, whatever its level's noise would say of
                // it (a zone held at its setpoint judges a repeat there by the level's own
                // noise, which taking the run as normal does not change): said once, not
                // again two minutes later for the same run.
                self.run_adopted = self.run > 0;
                // (The run's stop is its normal now: see [`Detector::stopped_dead`].)
                self.run_pace = 0.0;
            }
            EpisodeKind::LevelShift | EpisodeKind::Drift => {
                self.trend.adopt(self.trend_last);
                if let Some(e) = &mut self.envelope {
                    e.relearn();
                }
                self.step_base = None;
                // The new normal is where the residual is now (the smoothed level lags: after
                // a short excursion it is still half-way back). Where the latest reading had no
                // consensus to stand against, where it is now is unknown: the next residual
                // the zone gives is taken (the smoothed level may still hold the change that
                // came and went: a DS18B20 read 85 for four minutes and was back for six when
                // its episode was adopted, and the level's +14.7 became its usual offset, a
                // false level shift an hour later; held-out 24 h home seed 57).
                match self.res_med.take() {
                    Some(m) => self.offset = m,
                    None => self.offset_due = true,
                }
                self.level = 0.0;
                self.excursion = [0.0; 5];
                self.peer_parted_most = 0.0;
                self.res3 = Ring::default();
            }
            _ => {}
        }
        self.open = None;
    }

    /// Whether the series is a monotonic counter (energy, parts made, uptime): it has not
    /// gone down in its last [`COUNTER_MIN_RUN`] readings and went up at least
    /// [`COUNTER_MIN_UPS`] times. Premise: no noisy physical reading climbs that long without
    /// a step back; a counter at rest repeats, and its steps are its rate.
    pub fn counter(&self) -> bool {
        let proven = self.mono_n >= COUNTER_MIN_RUN && self.mono_ups >= COUNTER_MIN_UPS;
        let named = self.cumulative && self.mono_n >= NAMED_COUNTER_MIN_RUN;
        (proven || named) && !self.dipped
    }

    /// Whether the series went down by a small step at least once: it is no counter, whatever
    /// it does later (until then it may be one at rest or still learning).
    pub fn dipped(&self) -> bool {
        self.dipped
    }

    /// The resolution, once the series changed three times: the first change of a series that
    /// rested at one value (a plug at 0 W switched on) is no measure of its resolution, and the
    /// levels and the test for a new place must not take it as one. (The noise floors keep the
    /// smallest step seen, which only makes them more cautious.)
    /// The resolution, once the series changed three times (0 before).
    pub fn resolution_known(&self) -> f64 {
        self.res_known()
    }

    /// How far the series can move unseen: three times the larger of its resolution and its
    /// noise (what a peer must move by for a run of repeats to be news, see `judge_stuck`).
    pub fn hide(&self) -> f64 {
        3.0 * self.res_known().max(self.noise())
    }

    fn res_known(&self) -> f64 {
        if self.changes >= 3 {
            self.resolution
        } else {
            0.0
        }
    }

    /// Whether the latest lone step was said as a drift's end, over once said (see
    /// [`Detector::lone_open`]).
    pub fn drift_end_said(&self) -> bool {
        self.end_said
    }

    /// The series' episode opened: the trend test's half-hours waiting to be learnt may hold
    /// its beginning, and are not learnt.
    pub fn episode_opened(&mut self) {
        self.trend.forget_pending();
    }

    /// The series' episode closed: a drift's end said is over with it.
    pub fn episode_closed(&mut self) {
        self.catch_up = None;
        if std::mem::take(&mut self.end_said) {
            self.step_base = None;
        }
    }

    /// Forgets a lone step that was not a fault (it came with other series').
    pub fn forget_step(&mut self) {
        self.step_base = None;
        self.end_said = false;
        self.catch_up = None;
    }

    /// A level shift said across a quiet spell its device spoke through (a series that reports
    /// every change sent nothing while its device kept sending), and after which the series
    /// went on the way it jumped by its ordinary steps, [`CATCH_UP_READINGS`] readings in a
    /// row: a reading held at its source that caught up with a movement it did not report
    /// (stuck), not a level it jumped to. Premise: a shift lands and stays, or the series
    /// moves on from it as it moved before (a pump motor cooling on after a +3 °C shift); a
    /// reading that jumps at the end of a spell to where a movement had got, and goes on at
    /// once the way the movement went, was moving all along (a pump's motor temperature held
    /// 16 minutes while the pump started: 18 °C reported, then 31.3, 31.8, 32.4, …). A shift
    /// made as a movement began, right after such a spell, cannot be told from it.
    /// Said once, as a finding that renames the open shift (see [`Episode::rename`]); the
    /// series reads true again, so the step no longer holds the episode open (see
    /// [`Detector::lone_open`]).
    fn caught_up(&mut self, x: f64, v: &mut Verdict) {
        let Some(c) = &mut self.catch_up else {
            return;
        };
        let d = x - c.last;
        if d == 0.0 {
            return;
        }
        let sigma = c.step.abs() / c.score.max(f64::MIN_POSITIVE);
        if d.signum() != c.step.signum() || d.abs() > CATCH_UP_STEP_SIGMAS * sigma {
            self.catch_up = None;
            return;
        }
        c.last = x;
        c.went_on += 1;
        if c.went_on < CATCH_UP_READINGS {
            return;
        }
        let c = *c;
        self.catch_up = None;
        if self.open != Some(EpisodeKind::LevelShift) || self.end_said {
            return;
        }
        self.step_base = None;
        v.caught_up = Some(Finding {
            kind: EpisodeKind::Stuck,
            at: DateTime::from_timestamp_millis(c.ms).unwrap_or_default(),
            score: c.score,
            threshold: c.bar,
            reason: format!(
                "it sent nothing for {:.0} min while its device kept sending, where it reports every change, then jumped {:+.3} from {} and went on the same way by its usual steps: a reading held at its source that caught up with a movement ({:.1}σ of its usual steps; no peers to compare with)",
                c.held_min, c.step, c.base, c.score
            ),
        });
    }

    /// On a series whose 0 is off (a power or a current by its name, see `zero_is_off`), the
    /// previous reading, `x1`, was the first below zero the series ever had, one reading out
    /// of a rest at exactly 0 ([`MISREAD_REST`] readings at least) and straight back to
    /// exactly 0 (`x2` and `x`): a misread, said as a spike at the bar (score 1 of 1: a rest at
    /// exactly 0 has no steps to measure it by, and its resolution, learnt from 0 and this
    /// reading, is the reading itself), whatever the series' steps elsewhere and however few
    /// values it took (a state's too); at most once in a series' life. Premise: a
    /// quantity that rested at 0 and never went below it does not go below it for one report
    /// and come back to the very 0 (a washer's plug idle all day at 0 W read -233 W once,
    /// missed as a state series' switch in eight 24-hour home worlds of 340; a plug that ran
    /// steps hundreds of watts, and -240 W was under its usual step). A step up from the rest
    /// and straight back is a load switched on for a moment, and is still not judged on a
    /// state; a series that goes below zero by its life (a meter that exports) has done so
    /// before, and is judged as before. Only where 0 is off: a temperature resting at 0.0 °C
    /// (a greenhouse on a frosty night) dips to -0.1 and back as its life (eight false spikes
    /// in 24-hour home and plant worlds 1-340 when tried on every series).
    fn misread_below_zero(&self, (x2, x1, x): (f64, f64, f64)) -> bool {
        self.zero_is_off
            && x2 == 0.0
            && x == 0.0
            && x1 < 0.0
            && self.below_zero == 1
            && self.runs[0] + 1 >= MISREAD_REST
    }

    /// Whether the series only ever took at most [`DISCRETE_MAX`] distinct values (a state,
    /// not a measurement).
    pub fn discrete(&self) -> bool {
        usize::from(self.distinct_n) <= DISCRETE_MAX
    }

    /// The learnt σ of consecutive differences.
    pub fn noise(&self) -> f64 {
        self.mean_abs_d * MEAN_ABS_TO_SIGMA
    }

    /// Judges reading `x` received at `at`; `consensus` is the zone's robust consensus before
    /// this reading (None when the sensor has too few peers).
    pub fn observe(
        &mut self,
        x: f64,
        at: DateTime<Utc>,
        consensus: Option<f64>,
        cfg: &DetectorConfig,
    ) -> Verdict {
        self.observe_in(x, at, consensus, false, cfg)
    }

    /// [`Detector::observe`], told whether the zone is in a process change: its fast
    /// movement shows in every member's steps, so bursts are not judged meanwhile.
    pub fn observe_in(
        &mut self,
        x: f64,
        at: DateTime<Utc>,
        consensus: Option<f64>,
        zone_moving: bool,
        cfg: &DetectorConfig,
    ) -> Verdict {
        let mut v = Verdict::default();
        if !x.is_finite() {
            return v;
        }
        self.n += 1;
        self.ratio = 0.0;
        let warm = self.n as usize > cfg.warmup;
        let learning = self.open.is_none();
        let mut recent_step = 0.0;
        // A jump past the step bar at this reading (see [`Detector::judge_envelope`]).
        let mut jumped = false;
        let at_ms = at.timestamp_millis();
        self.learn_cadence(at_ms, learning, cfg);

        // Judged alone: no peers, or inferred peers not yet seen to move with it.
        let lone = consensus.is_none() || !self.peers_confirmed();
        let zone_step = match (consensus, self.prev_consensus) {
            (Some(now), Some(then)) if !lone => now - then,
            _ => 0.0,
        };
        self.prev_consensus = consensus;
        // A counter's steps are its rate, and its runs are rest: the step and run detectors
        // say nothing of it. Judged on what it was before this reading.
        let counter = self.counter();
        if self.n >= 2 {
            let d = x - self.prev[1];
            let raw = d.abs();
            let same = raw == 0.0;
            self.learn_change(x, d, at, warm, counter, &mut v);
            // Steps are judged net of what the whole zone did meanwhile: heating switched on
            // moves every sensor fast, which is not noise.
            let ad = (d - zone_step).abs();
            // The noise scale: a plain mean while warming up, then a clipped running mean.
            if !warm {
                let k = (self.n - 1) as f64;
                self.mean_abs_d += (ad - self.mean_abs_d) / k;
                self.p_same += (f64::from(u8::from(same)) - self.p_same) / k;
            } else if learning {
                // Clipped so one jump cannot teach a large scale, but never below the
                // resolution: a series that rested at one value for hours (a plug at 0 W) must
                // still be able to learn the noise it has when it runs.
                let clip = 4.0 * self.mean_abs_d.max(self.resolution).max(f64::MIN_POSITIVE);
                self.mean_abs_d += (ad.min(clip) - self.mean_abs_d) / 500.0;
                self.p_same += (f64::from(u8::from(same)) - self.p_same) / 500.0;
            }
            let ad_raw = raw;
            // (Not from a republished value: a Sparkplug birth carries every metric's current
            // value, where its data carried only those that moved past their deadband; a
            // pump's flow, sent at steps of a unit or more, was 117.6 before its node's
            // rebirth and 118.0 in it, and 0.4 taken for its resolution hid its deadband.)
            if ad_raw > 0.0
                && !self.republished
                && (self.resolution == 0.0 || ad_raw < self.resolution)
            {
                self.resolution = ad_raw;
            }
            // (Once warm: the first readings' steps say little. Its grid only where its
            // smallest step is near its mean change: elsewhere it is no deadband whatever its
            // grid.)
            if !same && warm && learning && !self.republished {
                self.learnt_changes = (self.learnt_changes + 1).min(DEADBAND_LEARN);
                let w = 1.0 / f64::from(self.learnt_changes);
                let clip = 4.0 * self.mean_change;
                self.mean_change +=
                    (if clip > 0.0 { raw.min(clip) } else { raw } - self.mean_change) * w;
                if self.resolution >= DEADBAND_NEAR * self.mean_change {
                    self.learnt_grid = (self.learnt_grid + 1).min(DEADBAND_LEARN);
                    // (Its distance from the nearest whole multiple, by a cast: `round` is a
                    // call on the baseline x86-64 target.)
                    let q = raw / self.resolution;
                    let f = q - (q as u64) as f64;
                    let off = f.min(1.0 - f) > DEADBAND_GRID;
                    self.p_off_grid +=
                        (f64::from(u8::from(off)) - self.p_off_grid) / f64::from(self.learnt_grid);
                }
            }
            let res = self.res_known();
            let switched = self.levels.switch(self.prev[1], x, res);
            if learning {
                self.levels
                    .observe(self.prev[1], x, res, at_ms, self.run as u32);
            }
            // Floor: a step of the sensor's resolution is never surprising (a coarse sensor
            // that mostly repeats has a tiny mean step), and a sensor that never changed has
            // a tiny relative scale.
            let floor = (1e-9 * x.abs().max(1.0)).max(self.resolution);
            let scale = self.mean_abs_d.max(floor);
            // A few-level signal at one of its levels: its steps against that level's own
            // noise (a compressor at load is noisier than at rest).
            // Outside the levels (or before they are known), the series' own scale.
            // (A series that ramps between the places it dwells at, an oven heating to its
            // setpoint, passes places on the way that its table notes for a while: no levels.
            // Its steps there are its usual ones, so a noise not learnt there blinds nothing:
            // an oven zone's spike of +10.9 °C on its way down at 108 °C was unsaid.)
            let here = match self.levels.noise_at(x, res) {
                Some(None) if self.levels.ramps() => None,
                here => here,
            };
            // Elsewhere, the noise at its order of magnitude where that is larger (a solar
            // charger at 200 W steps ten times more than at 20 W); within a few steps of zero,
            // magnitude means nothing and all such readings are one place.
            let mx = if x.abs() <= 4.0 * scale { 0.0 } else { x };
            let mag = self
                .mags
                .step(mx, (learning && !switched).then_some(ad), res)
                .or_else(|| {
                    if warm {
                        self.mags.noise_above(mx)
                    } else {
                        None
                    }
                })
                // A temperature's octaves are no magnitudes: its zero is arbitrary, and its
                // noise at 8.19 °C is its noise at 7.94. Where it just crossed into an
                // octave it never stepped in, the one it came from says its noise (a
                // greenhouse soil probe warming past 8 °C read 85.00, a DS18B20's power-on
                // value, for one reading: its spike went unjudged as at a first sunrise).
                .or_else(|| {
                    if warm && (self.thermal || self.degrees) {
                        self.mags.noise_just_below(mx)
                    } else {
                        None
                    }
                });
            let scale_here = match here {
                Some(Some(n)) if self.levels.few && self.levels.young_at(x, res) => {
                    n.max(mag.unwrap_or(floor)).max(floor)
                }
                Some(Some(n)) if self.levels.few => n.max(floor),
                Some(Some(n)) => n.max(scale),
                Some(None) | None => mag.map_or(scale, |m| m.max(scale)),
            };
            // An order of magnitude the series never stepped in: its noise there is not
            // known, so no burst is judged (the first sunrise climbs through several). A
            // few-level signal's known levels have their own noise; away from them it is as
            // unknown (a machine at a setting it never took, five times its usual value).
            let mag_learning = mag.is_none() && (!self.levels.few || here.is_none());
            self.follow_settling(x, raw, ad, res, here, warm, learning, at_ms, cfg);
            // At a level whose noise is still being learnt, on a state series, or settling at a
            // new place, nothing is judged by its steps.
            let discrete = self.discrete();
            let level_learning = matches!(here, Some(None)) || discrete;
            let settling = self.settle > 0;
            // The spike test looks back one reading: it is blind once that reading was at
            // the new place too, and where the reading after it is at an order of magnitude
            // whose noise is not known yet.
            let spike_blind =
                level_learning || mag_learning || (settling && self.settle_from + 2 <= self.n);
            // The score sees a jump at once, against the noise where it was taken (the spike
            // and step findings wait for the readings after it).
            if warm && !switched && !level_learning {
                let jump = raw / (scale_here * MEAN_ABS_TO_SIGMA) / cfg.spike;
                self.ratio = self.ratio.max(jump);
                jumped = jump > 1.0;
            }
            // A burst is the readings jumping more than usual now: steps taken across a
            // silence of [`BURST_GAP_MS`] and 3 of its steady intervals are apart in time, and
            // the count starts again (a Zigbee bathroom sensor reporting on change still held
            // the evening shower's humidity steps two and a half hours later, and was said
            // bursting; held-out 24 h home seed 47).
            let gap_ms = self.prev_at[1].map_or(0, |p| at_ms - p.timestamp_millis());
            let steady_ms = self.steady.map_or(0.0, |m| 3000.0 * m);
            if gap_ms as f64 > steady_ms.max(BURST_GAP_MS as f64) {
                self.burst = Ring::default();
            }
            // Steps while settling are kept (if the series comes back they were a burst) but
            // not judged until then.
            if !switched && !level_learning && !mag_learning {
                self.burst
                    .push(((d - zone_step) / scale_here).clamp(-8.0, 8.0));
            }

            self.learn_runs(x, gap_ms, same, learning, consensus);

            // The zone itself moved far more than this sensor usually steps (heating switched
            // on, seen at a slow publish rate): its steps say little about its noise now.
            let zone_moving = zone_moving || zone_step.abs() > 2.0 * cfg.burst * scale;
            recent_step = trimmed_mean(&self.burst);
            if warm && !counter {
                let noise = scale * MEAN_ABS_TO_SIGMA;
                self.judge_stuck(x, at_ms, consensus, noise, cfg, &mut v);
                self.judge_dwell(x, at, res, learning, &mut v);
                let burst_ratio = if level_learning || settling || mag_learning {
                    0.0
                } else {
                    recent_step
                };
                if self.burst.full() {
                    self.ratio = self.ratio.max(burst_ratio / cfg.burst);
                }
                if self.burst.full()
                    && burst_ratio > cfg.burst
                    && !zone_moving
                    && self.burst.turns() >= BURST_TURNS
                    && self.burst.turns_about_mean() >= BURST_TURNS
                    && self.burst.far_turns(cfg.burst) >= BURST_FAR_TURNS
                {
                    v.findings.push(Finding {
                        kind: EpisodeKind::NoiseBurst,
                        at,
                        score: burst_ratio,
                        threshold: cfg.burst,
                        reason: format!(
                            "readings jump {burst_ratio:.1}× more than usual (mean step {:.3}, usual {:.3})",
                            recent_step * scale_here,
                            scale_here
                        ),
                    });
                } else if burst_ratio > BURST_ABNORMAL * cfg.burst
                    || (self.open == Some(EpisodeKind::NoiseBurst)
                        && recent_step > BURST_ABNORMAL * cfg.burst)
                {
                    // (An open burst stays open while its steps still jump, though they are
                    // not judged where the series seems to settle somewhere new: a Zigbee
                    // bedroom's readings in a burst of ±1.6 °C "settled" for five readings
                    // mid-burst, and the burst was said twice, 40 s apart.)
                    v.abnormal = true;
                }
                // Spike: the previous reading stood out from both its neighbours, which agree;
                // and a step on a lone sensor, taken between them.
                if self.n >= 3 {
                    let (x2, x1) = (self.prev[0], self.prev[1]);
                    let misread = self.misread_below_zero((x2, x1, x));
                    let seen = StepSeen {
                        x2,
                        x1,
                        x,
                        at_ms,
                        res,
                        floor,
                        sigma: scale_here * MEAN_ABS_TO_SIGMA,
                        lone,
                        learning,
                        level_learning,
                        spike_blind,
                    };
                    self.judge_spike(&seen, at, switched, burst_ratio, cfg, &mut v);
                    if misread && !v.findings.iter().any(|f| f.kind == EpisodeKind::Spike) {
                        v.findings.push(Finding {
                            kind: EpisodeKind::Spike,
                            at: self.prev_at[1].unwrap_or(at),
                            score: 1.0,
                            threshold: 1.0,
                            reason: format!(
                                "one reading of {x1} out of a rest at exactly 0 ({} readings) and straight back to it, the first below zero it ever had: a misread (a rest at exactly 0 has no steps to measure it by)",
                                self.runs[0] + 1
                            ),
                        });
                    }
                    self.judge_lone_step(&seen, cfg);
                }
            }
        }

        self.follow_lone_step(x, at, at_ms, cfg, &mut v);

        if self.battery {
            self.judge_battery(x, at, at_ms, &mut v);
        }
        self.judge_trend(x, at, at_ms, lone && warm && !counter, &mut v);
        self.judge_envelope(x, at, at_ms, (lone && warm && !counter, jumped), &mut v);

        let bursting = self.burst.len >= 6 && recent_step > BURST_ABNORMAL * cfg.burst;
        self.residual(x, at, consensus, warm && !bursting && !counter, cfg, &mut v);

        self.follow_rest(x, at_ms);
        self.prev = [self.prev[1], x];
        self.prev_at = [self.prev_at[1], Some(at)];
        self.spoke = [self.spoke[1], self.spoken_through];
        self.trail.keep(at_ms, x);
        self.long_trail.keep(at_ms, x);
        self.keep_anchors(at_ms, x);
        // The consensus takes this sensor unless something about it is off (a run of repeats
        // counts once its own history makes it unlikely: a quantised probe repeats for long).
        // A stuck run taken as the normal is said no more, but still says nothing of its zone:
        // it stays out until its value changes (a lab probe held at 20.02 while its zone moved
        // 2 °C pulled the zone's median, and a healthy peer was said shifted by +0.33).
        if v.findings.is_empty()
            && self.open.is_none()
            && !self.run_adopted
            && self.run < cfg.stuck_min.max(self.stuck_needed)
        {
            v.corrected = Some(x - self.offset);
        }
        // A counter is judged only by its resets: its score is 0 unless one is found.
        let reset = v
            .findings
            .iter()
            .any(|f| f.kind == EpisodeKind::CounterReset);
        v.ratio = warm.then_some(match (counter, reset) {
            (true, true) => 1.0,
            (true, false) => 0.0,
            _ => self.ratio,
        });
        if self.never_judged() {
            // Learnt like any series (its profile, its steps), said of never.
            v.findings.clear();
            v.abnormal = false;
            v.lone_trend = None;
            v.lone_step_ms = None;
            v.ratio = v.ratio.map(|_| 0.0);
        }
        v
    }

    /// Learns what a change to `x` (by `d` from the reading before) says of the series: how
    /// often it changes, its distinct values, how often it repeats lately, and whether it is a
    /// counter (a fall of one back towards zero is said as a reset).
    fn learn_change(
        &mut self,
        x: f64,
        d: f64,
        at: DateTime<Utc>,
        warm: bool,
        counter: bool,
        v: &mut Verdict,
    ) {
        let same = d == 0.0;
        if !same {
            self.changes += 1;
        }
        if d < 0.0 {
            self.went_down = true;
        }
        if self.distinct_n == 0 {
            self.distinct[0] = self.prev[1];
            self.distinct_n = 1;
        }
        if usize::from(self.distinct_n) <= DISCRETE_MAX
            && !self.distinct[..usize::from(self.distinct_n).min(DISCRETE_MAX)].contains(&x)
        {
            if usize::from(self.distinct_n) < DISCRETE_MAX {
                self.distinct[usize::from(self.distinct_n)] = x;
            }
            self.distinct_n += 1;
        }
        {
            let dt = self.prev_at[1].map_or(0.0, |p| (at - p).num_milliseconds() as f64 / 1000.0);
            let w = (dt / RECENT_TAU_S).clamp(0.0, 0.1).max(1.0 / self.n as f64);
            self.p_recent += (f64::from(u8::from(same)) - self.p_recent) * w;
        }
        if d < 0.0 {
            // A reset goes back towards zero; a small step down only says this series is
            // no counter after all (a slowly warming room, quantised, looks like one).
            let reset = x.abs() < 0.5 * self.prev[1].abs() || self.uptime;
            if counter && warm && reset && !self.reset_is_life() {
                v.findings.push(Finding {
                    kind: EpisodeKind::CounterReset,
                    at,
                    score: -d / self.prev[1].abs().max(1.0),
                    threshold: 0.0,
                    reason: format!(
                        "this counter went down from {} to {x} after {} readings that never did",
                        self.prev[1], self.mono_n
                    ),
                });
            }
            if !reset {
                self.dipped = true;
            }
            if counter && reset {
                // Reset, it is still a counter: it counts on from here.
            } else {
                self.mono_n = 0;
                self.mono_ups = 0;
            }
        } else {
            self.mono_n += 1;
            self.mono_ups += u64::from(d > 0.0);
        }
    }

    /// Follows a jump to a new place (settling) and its end: back near where it jumped from,
    /// settled there after [`SETTLE`] readings, or held through a quiet spell. `raw` is the
    /// step to `x`, `ad` the same net of the zone's; `here` the noise of the few-level signal's
    /// level at `x` (see [`Levels::noise_at`]).
    #[allow(clippy::too_many_arguments)]
    fn follow_settling(
        &mut self,
        x: f64,
        raw: f64,
        ad: f64,
        res: f64,
        here: Option<Option<f64>>,
        warm: bool,
        learning: bool,
        at_ms: i64,
        cfg: &DetectorConfig,
    ) {
        // A step far beyond the noise into a place the series has not dwelt at: the noise
        // there is not known yet, so its steps are not judged for a while.
        // (Against the noise as known, not the floor: a first step out of a rest set the
        // smallest step seen to itself.)
        let place_scale = match here {
            Some(Some(n)) => n,
            _ => self.mean_abs_d,
        }
        .max(res)
        .max(1e-9 * x.abs().max(1.0));
        // A place held through a quiet spell its device spoke through (see
        // [`DWELT_HELD_MS`]) has settled, however few readings came there: a pump's flow
        // at rest, reported by exception, is one 0 an hour, and a glitch to -60.9 and back
        // an hour later is a spike there.
        if self.settle > 0
            && self.spoken_through
            && self.prev_at[1].is_some_and(|p| at_ms - p.timestamp_millis() >= DWELT_HELD_MS)
        {
            self.settle = 0;
        }
        // Back near where it jumped from, or its readings since back there on average:
        // that was no new place (a noise burst jumps about where it was, a machine that
        // started stays away), and the steps taken meanwhile are judged as any others.
        if self.settle > 0 {
            self.settle_sum.0 += 1;
            self.settle_sum.1 += x;
            let mean = self.settle_sum.1 / f64::from(self.settle_sum.0);
            let (origin, jump) = self.settle_origin;
            self.settle_landing.1 += raw;
            // … or its readings since jump about where it landed, their mean nearer to it
            // than half their mean step: a burst at the new place (a stopped pump, one 0
            // reported by exception, then flow readings of ±30 about that 0; each of
            // them a jump "to a new place" had kept it settling, unjudged, for as long
            // as the burst lasted). A machine that starts moves away from where it
            // landed; a ramp's mean runs ahead of its first reading.
            let (landing, moved) = self.settle_landing;
            let n = self.settle_sum.0;
            let about = n > u32::from(SETTLE) / 2
                && (mean - landing).abs() < 0.5 * moved / f64::from(n - 1);
            if (x - origin).abs() < 0.25 * jump || (mean - origin).abs() < 0.5 * jump || about {
                self.settle = 0;
                self.settle_off = Some(self.n);
            }
        }
        // Not again within [`SETTLE`] readings of coming back: a series that jumps out and
        // back and out again is bursting where it is, not moving.
        let new_place = warm
            && self
                .settle_off
                .is_none_or(|n| self.n > n + u64::from(SETTLE))
            && raw >= 5.0 * res
            && raw > cfg.spike * place_scale * MEAN_ABS_TO_SIGMA
            && !self.levels.dwelt(x, res);
        if new_place {
            if self.settle == 0 {
                self.settle_from = self.n;
                self.settle_origin = (self.prev[1], raw);
                self.settle_steps = (0, 0.0);
                self.settle_sum = (1, x);
                self.settle_landing = (x, 0.0);
            }
            self.settle = SETTLE;
        } else if self.settle > 0 {
            // The steps at the new place teach its noise: once settled, the series' scale
            // is at least theirs (a machine running vibrates more than one at rest).
            if learning {
                self.settle_steps.0 += 1;
                self.settle_steps.1 += ad;
            }
            self.settle -= 1;
            if self.settle == 0 {
                // Settled: the steps that brought it here and jumped about there were the
                // new place's, not a burst.
                self.burst = Ring::default();
                if self.settle_steps.0 >= u32::from(SETTLE) / 2 {
                    let here = self.settle_steps.1 / f64::from(self.settle_steps.0);
                    self.mean_abs_d = self.mean_abs_d.max(here);
                }
            }
        }
    }

    /// Learns the series' runs of repeats (the longest, at each level, how long they held)
    /// and its extremes and whether it rested at them.
    /// (`gap_ms`: the time since the reading before, 0 for the first.)
    fn learn_runs(
        &mut self,
        x: f64,
        gap_ms: i64,
        same: bool,
        learning: bool,
        consensus: Option<f64>,
    ) {
        self.runs = [self.runs[1], self.run];
        if !same && learning {
            self.longest_run = self.longest_run.max(self.run as u32);
            // (Only a run of repeats that ended: most readings end none.)
            if self.run > 0 {
                if let (Some(a), Some(b)) = (self.run_start, self.prev_at[1]) {
                    let held = ((b - a).num_milliseconds() - self.run_lost_ms) as f32 / 1000.0;
                    self.longest_run_s = self.longest_run_s.max(held);
                }
                if let Some(i) = self.levels.find(self.prev[1], self.res_known()) {
                    let r = &mut self.levels.longest_run[i];
                    *r = (*r).max(self.run as u32);
                }
            }
        }
        if x < 0.0 {
            self.below_zero = self.below_zero.saturating_add(1);
        }
        if !same && self.run >= 2 {
            // A rest at one value ended by itself: note it if it was an extreme.
            let left = self.prev[1];
            for (e, r) in self.extremes.iter().zip(self.rested.iter_mut()) {
                *r |= left == *e;
            }
        }
        if self.n == 2 {
            self.extremes = [self.prev[1]; 2];
        }
        if x < self.extremes[0] {
            (self.extremes[0], self.rested[0]) = (x, false);
        }
        if x > self.extremes[1] {
            (self.extremes[1], self.rested[1]) = (x, false);
        }
        if same {
            if self.run == 0 {
                self.run_start = self.prev_at[1];
                self.run_pace = self.pace_before(self.prev[1]) as f32;
                self.run_consensus = consensus;
                self.run_two_peers = self.two_peers;
                self.p_run = self.p_recent;
                self.run_lost_ms = 0;
            }
            // A gap of a steady series' silence size inside the run is not held time: nothing
            // showed the value meanwhile (a press's motor probe read 58.1 before and after its
            // device's seven minutes offline, learnt as a hold of 8.5 minutes where its holds
            // had been three at most, and its stuck of 39 minutes was then short).
            if let Some(m) = self.steady.filter(|m| *m > 0.0) {
                let pace_ms = (1000.0 * m) as i64;
                if gap_ms as f64 > RUN_GAP_INTERVALS * 1000.0 * m {
                    self.run_lost_ms += gap_ms - pace_ms;
                }
            }
            self.run += 1;
        } else {
            self.run = 0;
            self.run_adopted = false;
        }
    }

    /// A counter's reset that is its life, not news (see the README's premises): a
    /// percentage that reached 100 and starts again (a print done, the next one begun), and
    /// any reset of a period counter (a field named for its period, as Tasmota's `Today`,
    /// reset at the device's midnight). A fault that resets a period counter is missed.
    fn reset_is_life(&self) -> bool {
        let from = self.prev[1];
        let done = (99.0..=100.0).contains(&from) && self.extremes[1] <= 100.0;
        done || self.period
    }

    /// Where the series stood at `t_ms` by its trails (a reading kept every ten minutes for
    /// two hours, every half hour for eight): the latest kept at or before it, if kept within
    /// half an hour of it. For a time its window of readings no longer reaches.
    pub fn kept_at(&self, t_ms: i64) -> Option<f64> {
        self.trail
            .latest_first()
            .chain(self.long_trail.latest_first())
            .find(|(t, _)| *t <= t_ms && t_ms - *t <= LONG_TRAIL_EVERY_MS)
            .map(|(_, x)| x)
    }

    /// Whether the latest run of repeats judged was long enough to be stuck by its length, as
    /// improbable as `stuck_probability` given the series' share of repeats (not by its zone's
    /// movement, nor by a movement it stopped).
    pub fn stuck_by_length(&self) -> bool {
        self.stuck_by_length
    }

    /// The latest reading.
    pub fn last(&self) -> f64 {
        self.prev[1]
    }
}

#[cfg(test)]
mod tests;
