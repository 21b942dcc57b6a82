//! Alarms: rules from the config file, judged on the twin once a second, with the ISA-18.2
//! lifecycle (docs/alarms.md).
//!
//! A rule names a condition (a value above or below a limit, a rate of change, a text state,
//! a device's liveness, an anomaly episode, twinview's own health) and what it watches (topic
//! filters with `+` and `#`). Each subject it matches (a series, a state, a device) is an alarm
//! of its own. The condition must hold for the rule's on-delay before the alarm is raised and
//! stay false for its off-delay before it clears; a value alarm clears only once the value is
//! back past the limit by the deadband.
//!
//! Lifecycle: normal → active unacknowledged → (acknowledged) active acknowledged → cleared →
//! normal; or active unacknowledged → cleared unacknowledged → (acknowledged) normal. An alarm
//! may be shelved for a time (it is judged, not announced); an alarm on a series or state of a
//! device that is offline is suppressed (the offline device is the alarm, its consequences are
//! not); an alarm that changes three times or more in a minute is *chattering*: said once, and
//! announced again only after a calm minute.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::detect::EpisodeKind;
use super::devices::Status;
use super::journal::{Happening, What};
use super::Twin;

/// How urgent an alarm is, most urgent first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Critical,
    High,
    Medium,
    Low,
}

impl Priority {
    pub const ALL: [Priority; 4] = [
        Priority::Critical,
        Priority::High,
        Priority::Medium,
        Priority::Low,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Critical => "critical",
            Priority::High => "high",
            Priority::Medium => "medium",
            Priority::Low => "low",
        }
    }

    fn parse(s: &str) -> Option<Priority> {
        Priority::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// One `[[alarms]]` table of the config file, as written.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    pub name: String,
    /// `critical`, `high`, `medium` or `low` [default: medium]
    pub priority: Option<String>,
    /// `value`, `rate`, `state`, `device`, `anomaly`, `contract_net` or `health`
    pub when: String,
    /// Topic filter of the series or states watched (`+`, `#`).
    pub topic: Option<String>,
    /// The field of the payload [default: any].
    pub field: Option<String>,
    /// Device filter (`device` rules) [default: every device].
    pub device: Option<String>,
    pub above: Option<f64>,
    pub below: Option<f64>,
    /// How far back past the limit a value must come to clear [default: 0].
    pub deadband: Option<f64>,
    /// `rate`: change per minute, in either direction, above which the alarm holds.
    pub per_minute: Option<f64>,
    /// `state`: the word that is the alarm (`open`, `ON`).
    pub equals: Option<String>,
    /// `device`: `offline`, `stale` or `offline_or_stale` [default: offline_or_stale].
    pub status: Option<String>,
    /// `anomaly`: the episode kind [default: any].
    pub kind: Option<String>,
    /// `anomaly`: `major` for major episodes only [default: any].
    pub severity: Option<String>,
    /// `health`: `disconnected` or `dropping`.
    pub condition: Option<String>,
    /// `contract_net`: the job ids watched (an MQTT-style filter: `+` one level, `#` the rest)
    /// [default: every job].
    pub job: Option<String>,
    /// `contract_net`: how long after a job's last violation the condition holds [default: 1m].
    pub hold: Option<String>,
    /// How long the condition holds before the alarm is raised, e.g. "30s" [default: 0].
    pub on_delay: Option<String>,
    /// The same as `on_delay`, in the words of a state or device rule ("open for 10m").
    #[serde(rename = "for")]
    pub for_: Option<String>,
    /// How long the condition is false before the alarm clears [default: 0].
    pub off_delay: Option<String>,
    /// The text of the notification: `{name}`, `{subject}`, `{value}`, `{priority}`, `{state}`.
    pub message: Option<String>,
    /// Where to notify (URLs, docs/alarms.md), besides every `--notify`.
    pub notify: Option<Vec<String>>,
}

/// What a rule watches.
#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    Value {
        topic: String,
        field: Option<String>,
        above: Option<f64>,
        below: Option<f64>,
        deadband: f64,
    },
    Rate {
        topic: String,
        field: Option<String>,
        per_minute: f64,
    },
    State {
        topic: String,
        field: Option<String>,
        equals: String,
    },
    Device {
        device: Option<String>,
        offline: bool,
        stale: bool,
    },
    Anomaly {
        topic: Option<String>,
        kind: Option<EpisodeKind>,
        major_only: bool,
    },
    /// A Contract Net violation on a job within `hold` (the tracker's violations are events:
    /// a second award, an award to a machine that did not bid; the condition is "one happened
    /// lately").
    ContractNet {
        job: Option<String>,
        hold: Duration,
    },
    Disconnected,
    Dropping,
}

/// A validated rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub name: String,
    pub priority: Priority,
    pub cond: Cond,
    pub on_delay: Duration,
    pub off_delay: Duration,
    pub message: String,
    pub notify: Vec<String>,
}

fn delay(rule: &str, key: &str, text: Option<&str>) -> Result<Duration, String> {
    match text {
        None => Ok(Duration::ZERO),
        Some(t) => {
            crate::text::parse_duration(t).map_err(|e| format!("alarm `{rule}`: {key}: {e}"))
        }
    }
}

impl Rule {
    /// Checks a rule as written; the error names the rule and the key.
    pub fn from_config(c: &RuleConfig) -> Result<Rule, String> {
        let name = c.name.trim();
        if name.is_empty() {
            return Err("an alarm needs a name".into());
        }
        let need = |v: &Option<String>, key: &str| {
            v.clone()
                .filter(|s| !s.trim().is_empty())
                .ok_or_else(|| format!("alarm `{name}`: when = \"{}\" needs {key}", c.when))
        };
        let priority = match c.priority.as_deref() {
            None => Priority::Medium,
            Some(p) => Priority::parse(p).ok_or_else(|| {
                format!("alarm `{name}`: priority `{p}` is not critical, high, medium or low")
            })?,
        };
        let cond = match c.when.as_str() {
            "value" => {
                if c.above.is_none() && c.below.is_none() {
                    return Err(format!(
                        "alarm `{name}`: when = \"value\" needs above, below, or both (outside a band)"
                    ));
                }
                if let (Some(a), Some(b)) = (c.above, c.below) {
                    if b >= a {
                        return Err(format!(
                            "alarm `{name}`: below ({b}) must be under above ({a}): the alarm holds outside the band"
                        ));
                    }
                }
                let deadband = c.deadband.unwrap_or(0.0);
                if !deadband.is_finite() || deadband < 0.0 {
                    return Err(format!("alarm `{name}`: deadband must be 0 or more"));
                }
                Cond::Value {
                    topic: need(&c.topic, "topic")?,
                    field: c.field.clone(),
                    above: c.above,
                    below: c.below,
                    deadband,
                }
            }
            "rate" => Cond::Rate {
                topic: need(&c.topic, "topic")?,
                field: c.field.clone(),
                per_minute: c
                    .per_minute
                    .filter(|r| r.is_finite() && *r > 0.0)
                    .ok_or_else(|| format!("alarm `{name}`: when = \"rate\" needs per_minute > 0"))?,
            },
            "state" => Cond::State {
                topic: need(&c.topic, "topic")?,
                field: c.field.clone(),
                equals: need(&c.equals, "equals (the word that is the alarm)")?,
            },
            "device" => {
                let (offline, stale) = match c.status.as_deref().unwrap_or("offline_or_stale") {
                    "offline" => (true, false),
                    "stale" => (false, true),
                    "offline_or_stale" => (true, true),
                    s => {
                        return Err(format!(
                            "alarm `{name}`: status `{s}` is not offline, stale or offline_or_stale"
                        ))
                    }
                };
                Cond::Device {
                    device: c.device.clone(),
                    offline,
                    stale,
                }
            }
            "anomaly" => Cond::Anomaly {
                topic: c.topic.clone(),
                kind: match c.kind.as_deref() {
                    None => None,
                    Some(k) => Some(
                        EpisodeKind::ALL
                            .into_iter()
                            .find(|e| e.as_str() == k)
                            .ok_or_else(|| format!("alarm `{name}`: kind `{k}` is not an episode kind (spike, level_shift, drift, stuck, noise_burst, silence, counter_reset)"))?,
                    ),
                },
                major_only: match c.severity.as_deref() {
                    None | Some("any") | Some("minor") => false,
                    Some("major") => true,
                    Some(s) => {
                        return Err(format!("alarm `{name}`: severity `{s}` is not minor or major"))
                    }
                },
            },
            "contract_net" => Cond::ContractNet {
                job: c.job.clone(),
                hold: match c.hold.as_deref() {
                    None => Duration::from_secs(60),
                    Some(_) => delay(name, "hold", c.hold.as_deref())?,
                },
            },
            "health" => match c.condition.as_deref() {
                Some("disconnected") => Cond::Disconnected,
                Some("dropping") => Cond::Dropping,
                other => {
                    return Err(format!(
                        "alarm `{name}`: when = \"health\" needs condition = \"disconnected\" or \"dropping\"{}",
                        other.map(|o| format!(" (not `{o}`)")).unwrap_or_default()
                    ))
                }
            },
            w => {
                return Err(format!(
                    "alarm `{name}`: when = \"{w}\" is not value, rate, state, device, anomaly, contract_net or health"
                ))
            }
        };
        if c.on_delay.is_some() && c.for_.is_some() {
            return Err(format!("alarm `{name}`: give on_delay or for, not both"));
        }
        let on_delay = delay(
            name,
            "on_delay",
            c.on_delay.as_deref().or(c.for_.as_deref()),
        )?;
        let off_delay = delay(name, "off_delay", c.off_delay.as_deref())?;
        Ok(Rule {
            name: name.to_string(),
            priority,
            cond,
            on_delay,
            off_delay,
            message: c
                .message
                .clone()
                .unwrap_or_else(|| "{name}: {subject} {value}".into()),
            notify: c.notify.clone().unwrap_or_default(),
        })
    }
}

/// Validates every rule; names must be unique.
pub fn rules(configs: &[RuleConfig]) -> Result<Vec<Rule>, String> {
    let mut out: Vec<Rule> = Vec::new();
    for c in configs {
        let r = Rule::from_config(c)?;
        if out.iter().any(|o| o.name == r.name) {
            return Err(format!("two alarms are named `{}`", r.name));
        }
        out.push(r);
    }
    Ok(out)
}

/// Where an alarm is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlarmState {
    Normal,
    ActiveUnacknowledged,
    ActiveAcknowledged,
    ClearedUnacknowledged,
}

impl AlarmState {
    pub fn as_str(self) -> &'static str {
        match self {
            AlarmState::Normal => "normal",
            AlarmState::ActiveUnacknowledged => "active_unacknowledged",
            AlarmState::ActiveAcknowledged => "active_acknowledged",
            AlarmState::ClearedUnacknowledged => "cleared_unacknowledged",
        }
    }

    pub fn active(self) -> bool {
        matches!(
            self,
            AlarmState::ActiveUnacknowledged | AlarmState::ActiveAcknowledged
        )
    }
}

/// One rule on one subject.
#[derive(Debug, Clone, PartialEq)]
pub struct Alarm {
    /// Index of its rule.
    pub rule: usize,
    /// What it is about: `topic field`, a device, or `twinview`.
    pub subject: String,
    pub state: AlarmState,
    /// When the state last changed.
    pub since: DateTime<Utc>,
    /// Since when the condition has held (while it is not yet raised, or still holds).
    holding: Option<DateTime<Utc>>,
    /// Since when the condition has been false (while it is not yet cleared).
    released: Option<DateTime<Utc>>,
    /// The value that raised it, or the latest while active.
    pub value: Option<f64>,
    pub shelved_until: Option<DateTime<Utc>>,
    /// Its device is offline: not raised (the device's own alarm says it).
    pub suppressed: bool,
    /// Raised or cleared three times or more in the last minute.
    pub chattering: bool,
    transitions: VecDeque<DateTime<Utc>>,
    /// Times raised, ever.
    pub raised: u64,
}

/// Raises and clears within this window count towards chattering.
const CHATTER_WINDOW_S: i64 = 60;
const CHATTER_TRANSITIONS: usize = 3;
/// Alarm instances kept at most (the least recently changed normal ones forgotten first).
const MAX_ALARMS: usize = 10_000;
/// Transitions kept for the alarm load figures (a day's worth at most).
const LOAD_KEEP_S: i64 = 86_400;

/// The alarm rules and every alarm they raised.
#[derive(Debug, Clone, Default)]
pub struct Alarms {
    pub rules: Vec<Rule>,
    /// By (rule, subject).
    pub list: BTreeMap<(usize, String), Alarm>,
    /// Times alarms were raised, for the load figures: (time, rule).
    raised_at: VecDeque<(DateTime<Utc>, usize)>,
    /// Raised per rule, ever.
    pub raised_per_rule: Vec<u64>,
    pub revision: u64,
    /// Alarms raised and announced (not shelved, not chattering), ever: the UI's bell.
    announced: u64,
    /// The source's drop count at the last judgment, and when it last grew.
    dropped_seen: u64,
    dropping_since: Option<DateTime<Utc>>,
    /// Contract Net jobs with a violation lately: job → its last violation (bounded by
    /// [`MAX_VIOLATED_JOBS`], forgotten once no rule can hold on it).
    violated: crate::twin::HashMap<String, DateTime<Utc>>,
}

/// Jobs with a recent violation kept at most for `contract_net` rules.
const MAX_VIOLATED_JOBS: usize = 1024;

/// The alarm load in numbers (ISA-18.2 / EEMUA 191 compare these with about one alarm per
/// ten minutes per operator in normal operation).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Load {
    /// Alarms raised per ten minutes, on average over the span seen (at most a day).
    pub per_10min_mean: f64,
    /// The most raised in any ten minutes of that span.
    pub per_10min_peak: u64,
    /// The most frequent rules: (name, raised).
    pub top: Vec<(String, u64)>,
    pub chattering: usize,
    /// Active for more than 24 hours.
    pub standing: usize,
}

impl Alarms {
    /// A Contract Net violation on `job` at `t` (kept only when a rule watches them).
    pub fn violation(&mut self, job: &str, t: DateTime<Utc>) {
        if !self
            .rules
            .iter()
            .any(|r| matches!(r.cond, Cond::ContractNet { .. }))
        {
            return;
        }
        if self.violated.len() >= MAX_VIOLATED_JOBS && !self.violated.contains_key(job) {
            if let Some(oldest) = self
                .violated
                .iter()
                .min_by_key(|(_, t)| **t)
                .map(|(j, _)| j.clone())
            {
                self.violated.remove(&oldest);
            }
        }
        self.violated.insert(job.to_string(), t);
    }

    /// Alarms raised and announced so far.
    pub fn announced(&self) -> u64 {
        self.announced
    }

    pub fn new(rules: Vec<Rule>) -> Alarms {
        Alarms {
            raised_per_rule: vec![0; rules.len()],
            rules,
            ..Alarms::default()
        }
    }

    /// Alarms that are not normal, most urgent first, then oldest.
    pub fn standing(&self) -> Vec<&Alarm> {
        let mut v: Vec<&Alarm> = self
            .list
            .values()
            .filter(|a| a.state != AlarmState::Normal)
            .collect();
        v.sort_by_key(|a| (self.rules[a.rule].priority, a.since));
        v
    }

    /// Active alarms (acknowledged or not, shelved ones left out) by priority.
    pub fn counts(&self) -> [usize; 4] {
        let mut c = [0; 4];
        for a in self.list.values() {
            if a.state.active() && a.shelved_until.is_none() {
                c[self.rules[a.rule].priority as usize] += 1;
            }
        }
        c
    }

    pub fn load(&self, now: DateTime<Utc>) -> Load {
        let n = self.raised_at.len() as u64;
        let span_s = self
            .raised_at
            .front()
            .map_or(0, |(t, _)| (now - *t).num_seconds().max(600));
        let mut peak = 0;
        let mut j = 0;
        let v: Vec<DateTime<Utc>> = self.raised_at.iter().map(|(t, _)| *t).collect();
        for i in 0..v.len() {
            while (v[i] - v[j]).num_seconds() >= 600 {
                j += 1;
            }
            peak = peak.max(i - j + 1);
        }
        let mut top: Vec<(String, u64)> = self
            .rules
            .iter()
            .zip(&self.raised_per_rule)
            .filter(|(_, n)| **n > 0)
            .map(|(r, n)| (r.name.clone(), *n))
            .collect();
        top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        top.truncate(5);
        Load {
            per_10min_mean: if span_s > 0 {
                n as f64 * 600.0 / span_s as f64
            } else {
                0.0
            },
            per_10min_peak: peak as u64,
            top,
            chattering: self.list.values().filter(|a| a.chattering).count(),
            standing: self
                .list
                .values()
                .filter(|a| a.state.active() && (now - a.since).num_seconds() > 86_400)
                .count(),
        }
    }
}

/// What a subject looks like now, for one rule.
struct Seen {
    subject: String,
    holds: bool,
    value: Option<f64>,
    /// Its device is offline.
    device_offline: bool,
}

fn matches(filter: &str, topic: &str) -> bool {
    if !filter.contains(['+', '#']) {
        return filter == topic;
    }
    crate::source::filter_matches(filter, topic)
}

fn subject(topic: &str, field: &str) -> String {
    if field == "value" || field.is_empty() {
        topic.to_string()
    } else {
        format!("{topic} {field}")
    }
}

impl Twin {
    /// The subjects a rule watches now, and whether its condition holds on each.
    fn alarm_subjects(&self, i: usize, now: DateTime<Utc>) -> Vec<Seen> {
        let rule = &self.alarms.rules[i];
        let offline = |device: &str| {
            self.devices
                .by_id
                .get(device)
                .is_some_and(|d| d.status == Status::Offline)
        };
        let active = |subject: &str| {
            self.alarms
                .list
                .get(&(i, subject.to_string()))
                .is_some_and(|a| a.state.active())
        };
        let field_ok =
            |want: &Option<String>, field: &str| want.as_deref().is_none_or(|f| f == field);
        match &rule.cond {
            Cond::Value {
                topic,
                field,
                above,
                below,
                deadband,
            } => self
                .series
                .iter()
                .filter(|s| s.count > 0 && matches(topic, &s.topic) && field_ok(field, &s.field))
                .map(|s| {
                    let subj = subject(&s.topic, &s.field);
                    // Hysteresis: an active alarm holds until the value is back by the deadband.
                    let band = if active(&subj) { *deadband } else { 0.0 };
                    let holds = above.is_some_and(|a| s.last > a - band)
                        || below.is_some_and(|b| s.last < b + band);
                    Seen {
                        subject: subj,
                        holds,
                        value: Some(s.last),
                        device_offline: offline(&s.device),
                    }
                })
                .collect(),
            Cond::Rate {
                topic,
                field,
                per_minute,
            } => self
                .series
                .iter()
                .filter(|s| s.count > 1 && matches(topic, &s.topic) && field_ok(field, &s.field))
                .map(|s| {
                    // Change over the last minute of the window (or what it holds of it).
                    let last_t = s.last_time.timestamp_millis();
                    let first = s.window.points().find(|(t, _)| last_t - t <= 60_000);
                    let rate = first.and_then(|(t, v)| {
                        let minutes = (last_t - t) as f64 / 60_000.0;
                        (minutes > 0.0).then(|| (s.last - v) / minutes)
                    });
                    Seen {
                        subject: subject(&s.topic, &s.field),
                        holds: rate.is_some_and(|r| r.abs() > *per_minute),
                        value: rate,
                        device_offline: offline(&s.device),
                    }
                })
                .collect(),
            Cond::State {
                topic,
                field,
                equals,
            } => self
                .states
                .list
                .iter()
                .filter(|s| matches(topic, &s.topic) && field_ok(field, &s.field))
                .map(|s| Seen {
                    subject: subject(&s.topic, &s.field),
                    holds: s.value.eq_ignore_ascii_case(equals),
                    value: None,
                    device_offline: offline(&s.device),
                })
                .collect(),
            Cond::Device {
                device,
                offline: off,
                stale,
            } => self
                .devices
                .by_id
                .values()
                .filter(|d| device.as_deref().is_none_or(|f| matches(f, &d.id)))
                .map(|d| Seen {
                    subject: d.id.clone(),
                    holds: (*off && d.status == Status::Offline)
                        || (*stale && d.status == Status::Stale),
                    value: None,
                    device_offline: false,
                })
                .collect(),
            Cond::Anomaly {
                topic,
                kind,
                major_only,
            } => self
                .series
                .iter()
                .filter(|s| topic.as_deref().is_none_or(|f| matches(f, &s.topic)))
                .map(|s| {
                    let open = s.episode.as_ref().filter(|e| {
                        kind.is_none_or(|k| k == e.kind)
                            && (!major_only || e.severity() == super::detect::Severity::Major)
                    });
                    Seen {
                        subject: subject(&s.topic, &s.field),
                        holds: open.is_some(),
                        value: open.map(|e| e.peak),
                        device_offline: offline(&s.device),
                    }
                })
                .collect(),
            Cond::ContractNet { job, hold } => self
                .alarms
                .violated
                .iter()
                .filter(|(j, _)| job.as_deref().is_none_or(|f| matches(f, j)))
                .map(|(j, t)| Seen {
                    subject: j.clone(),
                    holds: now.signed_duration_since(*t).to_std().unwrap_or_default() < *hold,
                    value: None,
                    device_offline: false,
                })
                .collect(),
            // Not connected, once a connection was tried (a replay has none).
            Cond::Disconnected => vec![Seen {
                subject: "twinview".into(),
                holds: self.connection_since.is_some() && !self.connection.is_connected(),
                value: None,
                device_offline: false,
            }],
            // The source dropped messages within the last minute (the loop fell behind).
            Cond::Dropping => vec![Seen {
                subject: "twinview".into(),
                holds: self
                    .alarms
                    .dropping_since
                    .is_some_and(|t| (now - t).num_seconds() < 60),
                value: Some(self.source_dropped as f64),
                device_offline: false,
            }],
        }
    }

    /// Judges every alarm rule at `now` (called by [`Twin::tick`], once a second).
    pub(super) fn judge_alarms(&mut self, now: DateTime<Utc>) {
        if self.source_dropped > self.alarms.dropped_seen {
            self.alarms.dropped_seen = self.source_dropped;
            self.alarms.dropping_since = Some(now);
        }
        for i in 0..self.alarms.rules.len() {
            for seen in self.alarm_subjects(i, now) {
                self.judge_alarm(i, seen, now);
            }
        }
        // A violated job is forgotten once every contract_net rule is past its hold and
        // off-delay for it (its alarms have cleared by then).
        if !self.alarms.violated.is_empty() {
            let keep = self
                .alarms
                .rules
                .iter()
                .filter_map(|r| match r.cond {
                    Cond::ContractNet { hold, .. } => Some(hold + r.off_delay),
                    _ => None,
                })
                .max()
                .unwrap_or_default()
                + Duration::from_secs(5);
            self.alarms
                .violated
                .retain(|_, t| now.signed_duration_since(*t).to_std().unwrap_or_default() <= keep);
        }
        // Bounded: forget normal alarms first, oldest change first.
        while self.alarms.list.len() > MAX_ALARMS {
            let oldest = self
                .alarms
                .list
                .iter()
                .filter(|(_, a)| a.state == AlarmState::Normal)
                .min_by_key(|(_, a)| a.since)
                .map(|(k, _)| k.clone());
            match oldest {
                Some(k) => {
                    self.alarms.list.remove(&k);
                }
                None => break,
            }
        }
        while self
            .alarms
            .raised_at
            .front()
            .is_some_and(|(t, _)| (now - *t).num_seconds() > LOAD_KEEP_S)
        {
            self.alarms.raised_at.pop_front();
        }
    }

    fn judge_alarm(&mut self, i: usize, seen: Seen, now: DateTime<Utc>) {
        let (on, off) = {
            let r = &self.alarms.rules[i];
            (
                chrono::Duration::from_std(r.on_delay).unwrap_or_default(),
                chrono::Duration::from_std(r.off_delay).unwrap_or_default(),
            )
        };
        let key = (i, seen.subject.clone());
        if !seen.holds && !self.alarms.list.contains_key(&key) {
            return;
        }
        let a = self.alarms.list.entry(key).or_insert_with(|| Alarm {
            rule: i,
            subject: seen.subject.clone(),
            state: AlarmState::Normal,
            since: now,
            holding: None,
            released: None,
            value: None,
            shelved_until: None,
            suppressed: false,
            chattering: false,
            transitions: VecDeque::new(),
            raised: 0,
        });
        if a.shelved_until.is_some_and(|u| now >= u) {
            a.shelved_until = None;
        }
        let was_suppressed = a.suppressed;
        a.suppressed = seen.device_offline && seen.holds;
        if seen.holds {
            a.released = None;
            a.holding.get_or_insert(now);
            if a.state.active() {
                a.value = seen.value;
            }
        } else {
            a.holding = None;
            if a.state.active() {
                a.released.get_or_insert(now);
            }
        }
        // Raise: held for the on-delay, not already active, not a consequence of an offline
        // device.
        let raise = !a.state.active() && !a.suppressed && a.holding.is_some_and(|h| now - h >= on);
        let clear = a.state.active()
            && (a.released.is_some_and(|r| now - r >= off) || (a.suppressed && !was_suppressed));
        if !raise && !clear {
            return;
        }
        let next = match (raise, a.state) {
            (true, _) => AlarmState::ActiveUnacknowledged,
            (false, AlarmState::ActiveAcknowledged) => AlarmState::Normal,
            (false, _) => AlarmState::ClearedUnacknowledged,
        };
        a.state = next;
        a.since = now;
        a.released = None;
        if raise {
            a.value = seen.value;
            a.raised += 1;
        }
        a.transitions.push_back(now);
        while a
            .transitions
            .front()
            .is_some_and(|t| (now - *t).num_seconds() > CHATTER_WINDOW_S)
        {
            a.transitions.pop_front();
        }
        let chattering_now = a.transitions.len() >= CHATTER_TRANSITIONS;
        let became_chattering = chattering_now && !a.chattering;
        a.chattering = chattering_now;
        let shelved = a.shelved_until.is_some();
        let (subject, value) = (a.subject.clone(), a.value);
        self.alarms.revision += 1;
        if raise {
            self.alarms.raised_per_rule[i] += 1;
            self.alarms.raised_at.push_back((now, i));
        }
        // A shelved alarm is judged, not announced; a chattering one is announced once.
        if shelved || (chattering_now && !became_chattering) {
            return;
        }
        let state = if became_chattering {
            "chattering"
        } else if raise {
            "active"
        } else {
            "cleared"
        };
        if raise {
            self.alarms.announced += 1;
        }
        self.note_alarm(i, &subject, state, value, now);
    }

    fn note_alarm(
        &mut self,
        i: usize,
        subject: &str,
        state: &'static str,
        value: Option<f64>,
        at: DateTime<Utc>,
    ) {
        let rule = &self.alarms.rules[i];
        let value_text = value.map(number).unwrap_or_default();
        let message = rule
            .message
            .replace("{name}", &rule.name)
            .replace("{subject}", subject)
            .replace("{value}", &value_text)
            .replace("{priority}", rule.priority.as_str())
            .replace("{state}", state);
        let h = Happening {
            t: at,
            what: What::Alarm {
                name: rule.name.clone(),
                priority: rule.priority.as_str(),
                subject: subject.to_string(),
                state,
                value,
                message: message.trim().to_string(),
            },
        };
        match state {
            "active" | "chattering" => {
                log::warn!("alarm {}: {}", rule.priority.as_str(), h.describe())
            }
            _ => log::info!("alarm: {}", h.describe()),
        }
        self.journal.push(h);
    }

    /// Acknowledges the alarm of rule `rule` on `subject`: an active one stays active,
    /// acknowledged; a cleared one returns to normal.
    pub fn acknowledge(&mut self, rule: usize, subject: &str, now: DateTime<Utc>) -> bool {
        let Some(a) = self.alarms.list.get_mut(&(rule, subject.to_string())) else {
            return false;
        };
        let next = match a.state {
            AlarmState::ActiveUnacknowledged => AlarmState::ActiveAcknowledged,
            AlarmState::ClearedUnacknowledged => AlarmState::Normal,
            _ => return false,
        };
        a.state = next;
        a.since = now;
        self.alarms.revision += 1;
        self.note_alarm(rule, subject, "acknowledged", None, now);
        true
    }

    /// Shelves an alarm for `for_`: judged, not announced, until then (None: unshelve).
    pub fn shelve(
        &mut self,
        rule: usize,
        subject: &str,
        for_: Option<Duration>,
        now: DateTime<Utc>,
    ) -> bool {
        let Some(a) = self.alarms.list.get_mut(&(rule, subject.to_string())) else {
            return false;
        };
        a.shelved_until = for_.map(|d| now + chrono::Duration::from_std(d).unwrap_or_default());
        self.alarms.revision += 1;
        let state = if for_.is_some() {
            "shelved"
        } else {
            "unshelved"
        };
        self.note_alarm(rule, subject, state, None, now);
        true
    }
}

/// A value as a message shows it: at most three decimals, no trailing zeros.
fn number(v: f64) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::event::{Event, Message};
    use crate::twin::{Twin, TwinConfig};
    use chrono::TimeZone;

    fn at(s: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap() + chrono::Duration::seconds(s)
    }

    fn twin(rules: &[RuleConfig]) -> Twin {
        Twin::new(TwinConfig {
            alarms: super::rules(rules).unwrap(),
            ..TwinConfig::default()
        })
    }

    fn send(t: &mut Twin, s: i64, topic: &str, payload: &str) {
        t.apply(&Event::Message(Message::new(
            at(s),
            topic,
            payload.as_bytes().to_vec(),
        )));
        t.tick(at(s));
    }

    fn states(t: &Twin) -> Vec<(String, &'static str)> {
        t.journal
            .recent
            .iter()
            .filter_map(|h| match &h.what {
                What::Alarm { subject, state, .. } => Some((subject.clone(), *state)),
                _ => None,
            })
            .collect()
    }

    fn freezer() -> RuleConfig {
        RuleConfig {
            name: "freezer warm".into(),
            priority: Some("high".into()),
            when: "value".into(),
            topic: Some("home/+/temperature".into()),
            above: Some(-10.0),
            deadband: Some(2.0),
            on_delay: Some("30s".into()),
            off_delay: Some("10s".into()),
            ..RuleConfig::default()
        }
    }

    #[test]
    fn a_value_alarm_waits_its_on_delay_clears_past_its_deadband_after_its_off_delay() {
        let mut t = twin(&[freezer()]);
        let topic = "home/freezer/temperature";
        send(&mut t, 0, topic, "-18");
        // Warm for 29 s: not yet.
        for s in 1..30 {
            send(&mut t, s, topic, "-5");
        }
        assert!(states(&t).is_empty(), "on-delay not reached");
        send(&mut t, 31, topic, "-5");
        assert_eq!(states(&t), [(topic.to_string(), "active")]);
        assert_eq!(t.alarms.counts()[Priority::High as usize], 1);
        // Back under the limit but inside the deadband (-10 + 2): still active.
        for s in 32..60 {
            send(&mut t, s, topic, "-11");
        }
        assert_eq!(states(&t).len(), 1, "inside the deadband");
        // Past the deadband: cleared after the off-delay (10 s), unacknowledged.
        for s in 60..69 {
            send(&mut t, s, topic, "-15");
        }
        assert_eq!(states(&t).len(), 1, "off-delay not reached");
        send(&mut t, 70, topic, "-15");
        assert_eq!(states(&t).last().unwrap().1, "cleared");
        let a = t.alarms.list.values().next().unwrap();
        assert_eq!(a.state, AlarmState::ClearedUnacknowledged);
        // Acknowledged: normal.
        assert!(t.acknowledge(0, topic, at(71)));
        assert_eq!(
            t.alarms.list.values().next().unwrap().state,
            AlarmState::Normal
        );
    }

    #[test]
    fn the_lifecycle_acknowledged_while_active_returns_to_normal_when_cleared() {
        let mut rule = freezer();
        rule.on_delay = None;
        rule.off_delay = None;
        let mut t = twin(&[rule]);
        let topic = "home/freezer/temperature";
        send(&mut t, 0, topic, "-5");
        assert!(t.acknowledge(0, topic, at(1)));
        assert_eq!(
            t.alarms.list.values().next().unwrap().state,
            AlarmState::ActiveAcknowledged
        );
        assert!(!t.acknowledge(0, topic, at(2)), "once");
        send(&mut t, 3, topic, "-20");
        assert_eq!(
            t.alarms.list.values().next().unwrap().state,
            AlarmState::Normal
        );
        assert_eq!(
            states(&t).iter().map(|s| s.1).collect::<Vec<_>>(),
            ["active", "acknowledged", "cleared"]
        );
    }

    #[test]
    fn a_contract_net_violation_holds_for_its_hold_then_clears() {
        let rule = RuleConfig {
            name: "cnp violation".into(),
            when: "contract_net".into(),
            hold: Some("30s".into()),
            ..RuleConfig::default()
        };
        let mut t = twin(&[rule]);
        send(&mut t, 0, "/cnp/cfp", r#"{"job_id":"L","deadline":1}"#);
        send(&mut t, 1, "/cnp/bid/m1", r#"{"job_id":"L","time":2}"#);
        assert!(states(&t).is_empty());
        // Awarded three seconds past the deadline: a violation.
        send(&mut t, 4, "/cnp/assign/m1", r#"{"job_id":"L"}"#);
        assert_eq!(states(&t), [("L".to_string(), "active")]);
        for s in 5..34 {
            t.tick(at(s));
        }
        assert_eq!(states(&t).len(), 1, "held for 30 s after the violation");
        t.tick(at(35));
        assert_eq!(states(&t).last().unwrap(), &("L".to_string(), "cleared"));
        assert!(t.acknowledge(0, "L", at(36)));
        // Forgotten once no rule can hold on it.
        for s in 37..50 {
            t.tick(at(s));
        }
        assert!(t.alarms.violated.is_empty());
        let bad = RuleConfig {
            name: "x".into(),
            when: "contract_net".into(),
            hold: Some("soon".into()),
            ..RuleConfig::default()
        };
        assert!(Rule::from_config(&bad)
            .unwrap_err()
            .contains("alarm `x`: hold"));
    }

    #[test]
    fn a_door_open_too_long_a_device_offline_and_suppression() {
        let door = RuleConfig {
            name: "door open".into(),
            when: "state".into(),
            topic: Some("zigbee2mqtt/door/contact".into()),
            equals: Some("open".into()),
            for_: Some("10m".into()),
            ..RuleConfig::default()
        };
        let offline = RuleConfig {
            name: "device offline".into(),
            when: "device".into(),
            status: Some("offline".into()),
            on_delay: Some("1m".into()),
            ..RuleConfig::default()
        };
        let warm = RuleConfig {
            on_delay: None,
            off_delay: None,
            topic: Some("lab/+/temperature".into()),
            ..freezer()
        };
        let mut t = twin(&[door, offline, warm]);
        send(&mut t, 0, "zigbee2mqtt/door/contact", "open");
        send(&mut t, 599, "zigbee2mqtt/door/contact", "open");
        assert!(states(&t).is_empty());
        t.tick(at(601));
        assert_eq!(
            states(&t),
            [("zigbee2mqtt/door/contact".to_string(), "active")]
        );

        // A sensor whose device goes offline: its value alarm is suppressed, the device's is
        // raised after its delay.
        send(&mut t, 700, "lab/s1/status", "online");
        send(&mut t, 701, "lab/s1/temperature", "-20");
        send(&mut t, 702, "lab/s1/status", "offline");
        send(&mut t, 703, "lab/s1/temperature", "-5");
        t.tick(at(704));
        let warm_alarm = t.alarms.list.get(&(2, "lab/s1/temperature".to_string()));
        assert!(warm_alarm.is_some_and(|a| a.suppressed && !a.state.active()));
        t.tick(at(763));
        assert!(
            states(&t).contains(&("s1".to_string(), "active")),
            "{:?}",
            states(&t)
        );
    }

    #[test]
    fn a_chattering_alarm_is_said_once_until_it_calms() {
        let mut rule = freezer();
        rule.on_delay = None;
        rule.off_delay = None;
        rule.deadband = None;
        let mut t = twin(&[rule]);
        let topic = "home/freezer/temperature";
        for s in 0..20 {
            send(&mut t, s, topic, if s % 2 == 0 { "-5" } else { "-15" });
        }
        let said = states(&t);
        assert_eq!(
            said.iter().map(|s| s.1).collect::<Vec<_>>(),
            ["active", "cleared", "chattering"],
            "twenty transitions, three said"
        );
        assert!(t.alarms.list.values().next().unwrap().chattering);
        assert_eq!(t.alarms.load(at(20)).chattering, 1);
    }

    #[test]
    fn a_shelved_alarm_is_judged_but_not_said() {
        let mut rule = freezer();
        rule.on_delay = None;
        rule.off_delay = None;
        let mut t = twin(&[rule]);
        let topic = "home/freezer/temperature";
        send(&mut t, 0, topic, "-5");
        assert!(t.shelve(0, topic, Some(Duration::from_secs(3600)), at(1)));
        send(&mut t, 2, topic, "-20");
        send(&mut t, 3, topic, "-5");
        let said: Vec<&str> = states(&t).iter().map(|s| s.1).collect();
        assert_eq!(said, ["active", "shelved"]);
        assert_eq!(
            t.alarms.counts().iter().sum::<usize>(),
            0,
            "shelved ones not counted"
        );
        // The shelf runs out: announced again.
        send(&mut t, 3700, topic, "-20");
        send(&mut t, 3701, topic, "-5");
        assert_eq!(states(&t).last().unwrap().1, "active");
    }

    #[test]
    fn rules_are_checked_with_clear_errors() {
        let bad = |c: RuleConfig| super::rules(&[c]).unwrap_err();
        let base = freezer();
        assert!(bad(RuleConfig {
            priority: Some("urgent".into()),
            ..base.clone()
        })
        .contains("priority `urgent`"));
        assert!(bad(RuleConfig {
            above: None,
            ..base.clone()
        })
        .contains("needs above, below"));
        assert!(bad(RuleConfig {
            below: Some(0.0),
            ..base.clone()
        })
        .contains("below (0) must be under above (-10)"));
        assert!(bad(RuleConfig {
            when: "temperature".into(),
            ..base.clone()
        })
        .contains("is not value, rate"));
        assert!(bad(RuleConfig {
            on_delay: Some("soon".into()),
            ..base.clone()
        })
        .contains("alarm `freezer warm`: on_delay"));
        let e = super::rules(&[base.clone(), base]).unwrap_err();
        assert!(e.contains("two alarms are named `freezer warm`"));
    }

    #[test]
    fn a_rate_rule_and_the_load_figures() {
        let rate = RuleConfig {
            name: "heating fast".into(),
            when: "rate".into(),
            topic: Some("plant/oven/temperature".into()),
            per_minute: Some(5.0),
            ..RuleConfig::default()
        };
        let mut t = twin(&[rate]);
        for s in 0..60 {
            send(
                &mut t,
                s,
                "plant/oven/temperature",
                &format!("{}", 100 + s / 20),
            );
        }
        assert!(states(&t).is_empty(), "3 a minute is calm");
        for s in 60..120 {
            send(
                &mut t,
                s,
                "plant/oven/temperature",
                &format!("{}", 103 + (s - 60)),
            );
        }
        assert_eq!(states(&t)[0].1, "active");
        let load = t.alarms.load(at(120));
        assert_eq!(load.per_10min_peak, 1);
        assert_eq!(load.top, [("heating fast".to_string(), 1)]);
    }

    #[test]
    fn twinview_cut_off_from_its_broker_and_a_major_anomaly() {
        use crate::source::event::{ConnEvent, ConnState};
        let lost = RuleConfig {
            name: "broker lost".into(),
            priority: Some("critical".into()),
            when: "health".into(),
            condition: Some("disconnected".into()),
            on_delay: Some("10s".into()),
            ..RuleConfig::default()
        };
        let spike = RuleConfig {
            name: "major anomaly".into(),
            when: "anomaly".into(),
            severity: Some("major".into()),
            ..RuleConfig::default()
        };
        let mut t = twin(&[lost, spike]);
        let conn = |s: i64, state: ConnState| {
            Event::Connection(ConnEvent {
                at: at(s),
                state,
                resumed: false,
            })
        };
        t.apply(&conn(0, ConnState::Connected));
        // A steady sensor, then one reading far off: a major spike.
        for s in 1..400 {
            let v = 20.0 + ((s * 7919) % 21 - 10) as f64 / 100.0;
            send(&mut t, s, "lab/room/temperature", &v.to_string());
        }
        send(&mut t, 400, "lab/room/temperature", "45");
        for s in 401..440 {
            let v = 20.0 + ((s * 7919) % 21 - 10) as f64 / 100.0;
            send(&mut t, s, "lab/room/temperature", &v.to_string());
        }
        let said = states(&t);
        assert_eq!(
            said.first(),
            Some(&("lab/room/temperature".to_string(), "active"))
        );
        assert!(said.contains(&("lab/room/temperature".to_string(), "cleared")));
        // Cut off: raised only after its ten seconds, cleared on reconnection.
        t.apply(&conn(
            450,
            ConnState::Reconnecting {
                reason: "connection reset".into(),
                retry_in: Duration::from_secs(1),
            },
        ));
        // The delay counts from the first tick that sees the condition (ticks come every second).
        for s in 451..460 {
            t.tick(at(s));
        }
        assert!(!states(&t).iter().any(|s| s.0 == "twinview"));
        t.tick(at(461));
        assert!(states(&t).contains(&("twinview".to_string(), "active")));
        assert_eq!(t.alarms.counts()[Priority::Critical as usize], 1);
        t.apply(&conn(465, ConnState::Connected));
        t.tick(at(466));
        assert!(states(&t).contains(&("twinview".to_string(), "cleared")));
    }
}
