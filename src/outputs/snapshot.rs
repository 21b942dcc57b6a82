//! The snapshot: the twin as one JSON document, the schema users script against
//! (docs/contracts.md, "Snapshot"). Printed by `--headless` and `replay --headless`, served on
//! `/snapshot`; built here and nowhere else.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use crate::twin::Twin;

#[derive(Debug, Serialize)]
pub struct Snapshot {
    pub twinview: &'static str,
    pub version: u32,
    pub generated: String,
    pub source: String,
    pub messages: u64,
    /// Malformed payloads (since text states: only what is really broken).
    pub undecoded: u64,
    /// Well-formed payloads holding no reading or state (extension).
    pub ignored: u64,
    /// Messages the source could not hand to the twin because it was behind (extension).
    pub dropped: u64,
    /// Series and devices forgotten because of --max-series (extension).
    pub evicted: u64,
    /// Messages whose application failed inside twinview (a bug, caught: extension).
    pub ingest_errors: u64,
    pub sensors: Vec<SensorSnap>,
    /// Text states, by topic and field (extension).
    pub states: Vec<StateSnap>,
    /// Zones whose sensors moved together (extension).
    pub process_changes: Vec<ProcessSnap>,
    pub devices: Vec<DeviceSnap>,
    pub alerts: Vec<AlertSnap>,
    pub jobs: Vec<JobSnap>,
    pub machines: Vec<MachineSnap>,
    pub commands: Vec<CommandSnap>,
    /// Commands seen on the wire from anyone, by name (extension).
    pub commands_seen: std::collections::BTreeMap<String, u64>,
    /// Undecodable traffic per topic (extension).
    pub undecoded_topics: Vec<UndecodedSnap>,
    /// The broker's own health from its `$SYS` topics; null when it said nothing (extension).
    pub broker: Option<BrokerSnap>,
    /// Every topic seen, by name, with its traffic and last payload (extension).
    pub topics: Vec<TopicSnap>,
    /// Topics forgotten because of the topic table's bound (extension).
    pub evicted_topics: u64,
    /// Entries the other bounded maps forgot, per map (extension; SECURITY.md "Limits").
    pub evicted_entries: crate::twin::bound::Evicted,
    /// Times twinview was disconnected from the broker, oldest first, at most 64 (extension).
    pub outages: Vec<OutageSnap>,
    /// Sparkplug B edge nodes and primary hosts (extension; empty lists when none).
    pub sparkplug: SparkplugSnap,
    /// How the outputs (store, events file) are doing: rows written, lost, queued (extension;
    /// empty when none).
    pub outputs: Vec<crate::outputs::Health>,
    /// What was restored from the store at start, and the span of it; null when nothing was
    /// (extension).
    pub restored: Option<RestoredSnap>,
    /// Alarms: those not normal, the active counts by priority, and the alarm load (extension).
    pub alarms: AlarmsSnap,
}

#[derive(Debug, Serialize)]
pub struct AlarmsSnap {
    /// Rules configured.
    pub rules: usize,
    /// Active alarms (shelved ones left out) by priority.
    pub active: std::collections::BTreeMap<&'static str, usize>,
    /// Every alarm that is not normal, most urgent first.
    pub list: Vec<AlarmSnap>,
    pub load: crate::twin::alarms::Load,
}

#[derive(Debug, Serialize)]
pub struct AlarmSnap {
    pub name: String,
    pub priority: &'static str,
    pub subject: String,
    pub state: &'static str,
    pub since: String,
    pub value: Option<f64>,
    pub shelved_until: Option<String>,
    pub suppressed: bool,
    pub chattering: bool,
    pub raised: u64,
}

#[derive(Debug, Serialize)]
pub struct RestoredSnap {
    pub from: String,
    pub readings: u64,
    pub series: u64,
    pub first: Option<String>,
    pub last: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct SparkplugSnap {
    pub nodes: Vec<EdgeNodeSnap>,
    pub hosts: Vec<HostSnap>,
}

#[derive(Debug, Serialize)]
pub struct EdgeNodeSnap {
    pub group: String,
    pub node: String,
    /// `online`, `offline`, or `unknown` (no birth or death seen).
    pub status: &'static str,
    /// The current session's bdSeq; null before a birth.
    pub bd_seq: Option<u64>,
    pub births: u64,
    pub last_birth: Option<String>,
    pub seq_gaps: u64,
    /// NDEATHs of an older session, ignored.
    pub stale_deaths: u64,
    /// DATA metrics that could not be attributed (unknown alias, or before a birth).
    pub needs_rebirth: u64,
    /// Metrics its birth defined.
    pub metrics: usize,
    /// Values past a payload's budget of 4,096 (metrics, template members, array elements),
    /// not read.
    pub values_cut: u64,
    pub devices: Vec<EdgeDeviceSnap>,
}

#[derive(Debug, Serialize)]
pub struct EdgeDeviceSnap {
    pub device: String,
    pub status: &'static str,
    pub births: u64,
    pub needs_rebirth: u64,
    pub metrics: usize,
}

#[derive(Debug, Serialize)]
pub struct HostSnap {
    pub host: String,
    pub online: bool,
    pub at: String,
}

fn online_word(o: Option<bool>) -> &'static str {
    match o {
        Some(true) => "online",
        Some(false) => "offline",
        None => "unknown",
    }
}

/// Bytes of the last payload a snapshot shows per topic.
pub const SNAPSHOT_PAYLOAD: usize = 256;

#[derive(Debug, Serialize)]
pub struct TopicSnap {
    pub topic: String,
    pub count: u64,
    /// Whether the last message came with the retain flag.
    pub retained: bool,
    /// The last payload as text when it is UTF-8, at most 256 bytes (cut at a character).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
    /// Otherwise its first 256 bytes in base64.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload_b64: Option<String>,
    /// Whether `payload` or `payload_b64` is cut.
    pub truncated: bool,
    /// Size of the last payload in bytes.
    pub bytes: usize,
    pub qos: u8,
    pub first_seen: String,
    pub last_seen: String,
}

impl TopicSnap {
    fn of(topic: &str, t: &crate::twin::topics::Traffic) -> TopicSnap {
        use base64::Engine;
        let last = t.last_payload();
        let (bytes, size, retained) = (last.bytes.as_slice(), last.size, last.retained);
        let head = &bytes[..bytes.len().min(SNAPSHOT_PAYLOAD)];
        let (payload, payload_b64, shown) = match std::str::from_utf8(bytes) {
            Ok(text) => {
                let mut end = text.len().min(SNAPSHOT_PAYLOAD);
                while !text.is_char_boundary(end) {
                    end -= 1;
                }
                (Some(text[..end].to_string()), None, end)
            }
            // Cut inside a character by the kept-bytes bound: still text up to there.
            Err(e) if e.error_len().is_none() && e.valid_up_to() > 0 => {
                let text = std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default();
                let mut end = text.len().min(SNAPSHOT_PAYLOAD);
                while !text.is_char_boundary(end) {
                    end -= 1;
                }
                (Some(text[..end].to_string()), None, end)
            }
            Err(_) => (
                None,
                Some(base64::engine::general_purpose::STANDARD.encode(head)),
                head.len(),
            ),
        };
        TopicSnap {
            topic: topic.to_string(),
            count: t.count,
            retained,
            payload,
            payload_b64,
            truncated: shown < size,
            bytes: size,
            qos: t.qos,
            first_seen: ts(t.first),
            last_seen: ts(t.last),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct BrokerSnap {
    pub clients: Option<u64>,
    pub received_per_min: Option<f64>,
    pub dropped: Option<u64>,
    pub uptime_s: Option<u64>,
    pub version: Option<String>,
    pub messages: u64,
    pub topics: usize,
}

#[derive(Debug, Serialize)]
pub struct SensorSnap {
    pub topic: String,
    pub field: String,
    pub device: String,
    pub unit: Option<String>,
    /// The name shown (Home Assistant's friendly name when discovery gave one; extension).
    pub label: String,
    /// Home Assistant's device class, when discovery gave one (extension).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_class: Option<String>,
    pub count: u64,
    pub last: f64,
    pub mean: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub stddev: Option<f64>,
    /// Anomaly episodes opened on this series.
    pub anomalies: u64,
    /// Whether an episode is open now.
    pub anomalous: bool,
    pub last_seen: String,
    /// `sensor`, or `aggregate` for an averaging agent's output (extension).
    pub kind: &'static str,
    /// What twinview has learnt of the signal: cadence and class, `learning` until known
    /// (extension; README, "Headless snapshot").
    pub profile: crate::twin::detect::Profile,
    /// The latest reading's anomaly score, 0 to 1 (0.5 at a detector's threshold); null while
    /// learning and with `--detector lab` (extension).
    pub score: Option<f64>,
    /// The open episode and the latest closed ones, oldest first (extension).
    pub episodes: Vec<EpisodeSnap>,
    /// Why the most recent episode was opened (extension).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_anomaly: Option<String>,
    /// Silences across a disconnection of twinview's, longer than the sensor's usual
    /// interval: readings probably missed (extension).
    pub gaps: u64,
    /// The latest gap (extension; absent when there was none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_gap: Option<GapSnap>,
    /// Its setpoint, when one was found by name, and where the setpoint test stands.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub setpoint: Option<SetpointSnap>,
}

#[derive(Debug, Serialize)]
pub struct StateSnap {
    pub topic: String,
    pub field: String,
    pub device: String,
    /// The name shown (Home Assistant's friendly name when discovery gave one).
    pub label: String,
    pub value: String,
    /// When the current value began; null when unknown (no change seen yet).
    pub since: Option<String>,
    pub first_seen: String,
    pub last_seen: String,
    pub count: u64,
    pub changes: u64,
    /// The latest changes, oldest first (at most 32), starting with the first value seen.
    pub history: Vec<StateChangeSnap>,
}

#[derive(Debug, Serialize)]
pub struct StateChangeSnap {
    pub at: String,
    pub value: String,
}

#[derive(Debug, Serialize)]
pub struct GapSnap {
    /// The last reading before the gap and the first after it.
    pub from: String,
    pub to: String,
    /// Readings probably missed, by the sensor's learnt interval.
    pub missed: u64,
}

#[derive(Debug, Serialize)]
pub struct OutageSnap {
    pub from: String,
    /// Null while it lasts.
    pub to: Option<String>,
    /// Whether the broker resumed a session it kept (QoS 1/2 messages delivered late).
    pub resumed: bool,
}

#[derive(Debug, Serialize)]
pub struct EpisodeSnap {
    pub kind: &'static str,
    pub start: String,
    /// None while it is open.
    pub end: Option<String>,
    pub severity: &'static str,
    pub peak: f64,
    pub reason: String,
}

#[derive(Debug, Serialize)]
pub struct ProcessSnap {
    pub zone: String,
    pub measurement: String,
    pub field: String,
    pub start: String,
    /// None while it lasts.
    pub end: Option<String>,
    /// The largest two-minute move of the zone's consensus.
    pub change: f64,
    pub reason: String,
}

#[derive(Debug, Serialize)]
pub struct DeviceSnap {
    pub id: String,
    pub status: &'static str,
    pub convention: &'static str,
    /// When the status began; null when twinview cannot know (a status already in place
    /// when twinview subscribed, from a retained message).
    pub since: Option<String>,
    pub last_seen: String,
    /// The device's own word (`offline`, `sleeping`, `NDEATH`, …), when it said one.
    pub detail: Option<String>,
    /// Series it publishes (extension).
    pub series: usize,
    /// Messages from or about it (extension).
    pub messages: u64,
    /// What Home Assistant discovery says it is: its name, and manufacturer and model
    /// (extension; absent when no discovery config described it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub make: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ProposalSnap {
    pub machine: String,
    pub time: f64,
}

#[derive(Debug, Serialize)]
pub struct RefusalSnap {
    pub machine: String,
    pub reason: String,
}

#[derive(Debug, Serialize)]
pub struct JobSnap {
    pub job_id: String,
    pub job_type: Option<String>,
    pub state: &'static str,
    pub proposals: Vec<ProposalSnap>,
    pub refusals: Vec<RefusalSnap>,
    pub winner: Option<String>,
    pub violations: Vec<String>,
    /// When the call for proposals went out (extension).
    pub cfp_at: String,
    /// The awarded execution time in seconds (extension).
    pub awarded_time: Option<f64>,
    /// When the award was seen (extension).
    pub awarded_at: Option<String>,
    /// When it was done, reported or inferred (extension).
    pub done_at: Option<String>,
    /// Done by the clock (award + bid time), not by the winner's message (extension).
    pub done_inferred: bool,
    /// Machines called for proposals that neither bid nor refused (extension).
    pub silent: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct MachineSnap {
    pub id: String,
    /// `idle`, `busy` or `offline` (when its liveness says so).
    pub state: &'static str,
    pub jobs_won: u64,
    pub jobs_done: u64,
    pub busy_seconds: f64,
    /// The job it is busy with (extension).
    pub job: Option<String>,
    /// Busy share of the time since first seen, 0–1 (extension).
    pub utilisation: f64,
    /// Job type → seconds, from its proposals (extension).
    pub capabilities: std::collections::BTreeMap<String, f64>,
}

#[derive(Debug, Serialize)]
pub struct CommandSnap {
    pub topic: String,
    pub payload: String,
    pub at: String,
    /// (extensions)
    pub qos: u8,
    /// `sent`, `acknowledged`, or why it failed.
    pub outcome: String,
}

#[derive(Debug, Serialize)]
pub struct AlertSnap {
    pub topic: String,
    pub sensors: Vec<String>,
    pub at: String,
}

#[derive(Debug, Serialize)]
pub struct UndecodedSnap {
    pub topic: String,
    pub count: u64,
    pub reason: &'static str,
    /// Broken (counted in `undecoded`) or only without values (counted in `ignored`).
    pub malformed: bool,
    pub sample: String,
}

pub fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A series' setpoint in the snapshot (see `twin::tracking`).
#[derive(Debug, Clone, Serialize)]
pub struct SetpointSnap {
    /// The setpoint's field (its topic, for a whole-payload reading).
    pub name: String,
    #[serde(flatten)]
    pub status: crate::twin::tracking::Status,
}

impl Snapshot {
    pub fn of(twin: &Twin, source: &str, dropped: u64, now: DateTime<Utc>) -> Snapshot {
        let mut sensors: Vec<SensorSnap> = twin
            .series
            .iter()
            .map(|s| SensorSnap {
                topic: s.topic.clone(),
                field: s.field.clone(),
                device: s.device.clone(),
                unit: s.unit.clone(),
                label: s.label.clone(),
                device_class: twin
                    .discovery
                    .entity(&s.topic, &s.field)
                    .and_then(|e| e.device_class.clone()),
                count: s.count,
                last: s.last,
                mean: s.window.mean(),
                min: s.window.min(),
                max: s.window.max(),
                stddev: s.window.stddev(),
                anomalies: s.anomalies,
                anomalous: s.anomalous,
                last_seen: ts(s.last_seen),
                kind: s.kind(),
                profile: s.detector.profile(twin.cfg.anomaly.warmup),
                score: s.score.map(|x| (f64::from(x) * 1000.0).round() / 1000.0),
                episodes: s
                    .episodes
                    .iter()
                    .chain(s.episode.iter())
                    .map(|e| EpisodeSnap {
                        kind: e.kind.as_str(),
                        start: ts(e.start),
                        end: e.end().map(ts),
                        severity: e.severity().as_str(),
                        peak: (e.peak * 1000.0).round() / 1000.0,
                        reason: e.reason.clone(),
                    })
                    .collect(),
                last_anomaly: s.last_anomaly().map(|a| a.reason.clone()),
                gaps: s.gaps,
                last_gap: s.last_gap.map(|(from, to, missed)| GapSnap {
                    from: ts(from),
                    to: ts(to),
                    missed,
                }),
                setpoint: s.setpoint.as_ref().and_then(|l| {
                    l.status(s.detector.resolution_known())
                        .map(|(name, status)| SetpointSnap { name, status })
                }),
            })
            .collect();
        let mut process_changes: Vec<ProcessSnap> = twin
            .zones
            .iter()
            .flat_map(|((zone, measurement, field), z)| {
                z.past
                    .iter()
                    .chain(z.current.iter())
                    .map(move |p| ProcessSnap {
                        zone: zone.clone(),
                        measurement: measurement.clone(),
                        field: field.clone(),
                        start: ts(p.start),
                        end: p.closed.then(|| ts(p.last)),
                        change: (p.peak * 1000.0).round() / 1000.0,
                        reason: p.reason.clone(),
                    })
            })
            .collect();
        process_changes.sort_by(|a, b| (&a.start, &a.zone).cmp(&(&b.start, &b.zone)));
        sensors.sort_by(|a, b| (&a.topic, &a.field).cmp(&(&b.topic, &b.field)));
        let mut undecoded_topics: Vec<UndecodedSnap> = twin
            .undecoded
            .iter()
            .map(|(topic, u)| UndecodedSnap {
                topic: topic.clone(),
                count: u.count,
                reason: u.reason.as_str(),
                malformed: u.reason.is_malformed(),
                sample: u.sample.clone(),
            })
            .collect();
        undecoded_topics.sort_by(|a, b| a.topic.cmp(&b.topic));
        let mut devices: Vec<DeviceSnap> = twin
            .devices
            .by_id
            .values()
            .map(|d| DeviceSnap {
                id: d.id.clone(),
                status: d.status.as_str(),
                convention: d.convention().as_str(),
                since: (!d.since_unknown).then(|| ts(d.since)),
                last_seen: ts(d.last_seen),
                detail: d.detail().map(String::from),
                series: d.series,
                messages: d.messages,
                name: twin.devices.description(&d.id).and_then(|x| x.name.clone()),
                make: twin.devices.description(&d.id).and_then(|x| x.make()),
            })
            .collect();
        devices.sort_by(|a, b| a.id.cmp(&b.id));
        let mut topics: Vec<TopicSnap> = twin
            .topic_traffic()
            .map(|(topic, t)| TopicSnap::of(topic, t))
            .collect();
        topics.sort_by(|a, b| a.topic.cmp(&b.topic));
        Snapshot {
            twinview: "snapshot",
            version: 1,
            generated: ts(now),
            source: source.to_string(),
            messages: twin.messages,
            undecoded: twin.undecoded_total,
            ignored: twin.ignored_total,
            outputs: Vec::new(),
            alarms: {
                let a = &twin.alarms;
                let counts = a.counts();
                AlarmsSnap {
                    rules: a.rules.len(),
                    active: crate::twin::alarms::Priority::ALL
                        .iter()
                        .map(|p| (p.as_str(), counts[*p as usize]))
                        .collect(),
                    list: a
                        .standing()
                        .into_iter()
                        .map(|x| AlarmSnap {
                            name: a.rules[x.rule].name.clone(),
                            priority: a.rules[x.rule].priority.as_str(),
                            subject: x.subject.clone(),
                            state: x.state.as_str(),
                            since: ts(x.since),
                            value: x.value,
                            shelved_until: x.shelved_until.map(ts),
                            suppressed: x.suppressed,
                            chattering: x.chattering,
                            raised: x.raised,
                        })
                        .collect(),
                    load: a.load(now),
                }
            },
            restored: twin.restored.as_ref().map(|r| RestoredSnap {
                from: r.from.clone(),
                readings: r.readings,
                series: r.series,
                first: r.first.map(ts),
                last: r.last.map(ts),
            }),
            sparkplug: SparkplugSnap {
                nodes: twin
                    .sparkplug
                    .nodes
                    .values()
                    .map(|n| EdgeNodeSnap {
                        group: n.group.clone(),
                        node: n.node.clone(),
                        status: online_word(n.online),
                        bd_seq: n.bd_seq,
                        births: n.births,
                        last_birth: n.last_birth.map(ts),
                        seq_gaps: n.seq_gaps,
                        stale_deaths: n.stale_deaths,
                        needs_rebirth: n.needs_rebirth_total(),
                        metrics: n.defs.len(),
                        values_cut: n.values_cut,
                        devices: n
                            .devices
                            .iter()
                            .map(|(id, d)| EdgeDeviceSnap {
                                device: id.clone(),
                                status: online_word(d.online),
                                births: d.births,
                                needs_rebirth: d.needs_rebirth,
                                metrics: d.defs.len(),
                            })
                            .collect(),
                    })
                    .collect(),
                hosts: twin
                    .sparkplug
                    .hosts
                    .iter()
                    .map(|(h, s)| HostSnap {
                        host: h.clone(),
                        online: s.online,
                        at: ts(s.at),
                    })
                    .collect(),
            },
            states: {
                let mut v: Vec<StateSnap> = twin
                    .states
                    .list
                    .iter()
                    .map(|s| StateSnap {
                        topic: s.topic.clone(),
                        field: s.field.clone(),
                        device: s.device.clone(),
                        label: s.label.clone(),
                        value: s.value.clone(),
                        since: s.since.map(ts),
                        first_seen: ts(s.first_seen),
                        last_seen: ts(s.last_seen),
                        count: s.count,
                        changes: s.changes,
                        history: s
                            .history
                            .iter()
                            .map(|(at, v)| StateChangeSnap {
                                at: ts(*at),
                                value: v.clone(),
                            })
                            .collect(),
                    })
                    .collect();
                v.sort_by(|a, b| (&a.topic, &a.field).cmp(&(&b.topic, &b.field)));
                v
            },
            dropped,
            evicted: twin.evicted_series + twin.devices.evicted,
            ingest_errors: twin.panics,
            sensors,
            process_changes,
            devices,
            alerts: twin
                .alerts
                .iter()
                .map(|a| AlertSnap {
                    topic: a.topic.clone(),
                    sensors: a.sensors.clone(),
                    at: ts(a.at),
                })
                .collect(),
            jobs: twin
                .cnp
                .order
                .iter()
                .filter_map(|id| twin.cnp.jobs.get(id))
                .map(|j| JobSnap {
                    job_id: j.id.clone(),
                    job_type: j.job_type.clone(),
                    state: j.state.as_str(),
                    proposals: j
                        .proposals
                        .iter()
                        .map(|p| ProposalSnap {
                            machine: p.machine.clone(),
                            time: p.time,
                        })
                        .collect(),
                    refusals: j
                        .refusals
                        .iter()
                        .map(|r| RefusalSnap {
                            machine: r.machine.clone(),
                            reason: r.reason.clone(),
                        })
                        .collect(),
                    winner: j.winner.clone(),
                    violations: j.violations.clone(),
                    cfp_at: ts(j.cfp_at),
                    awarded_time: j.awarded_time,
                    awarded_at: j.awarded_at.map(ts),
                    done_at: j.done_at.map(ts),
                    done_inferred: j.done_inferred,
                    silent: j.silent().map(String::from).collect(),
                })
                .collect(),
            machines: twin
                .cnp
                .machines
                .values()
                .map(|m| {
                    let offline = matches!(
                        twin.device_status(&m.id),
                        Some(crate::twin::devices::Status::Offline)
                    );
                    let job = match &m.state {
                        crate::twin::cnp::MachineState::Busy(j) => Some(j.clone()),
                        crate::twin::cnp::MachineState::Idle => None,
                    };
                    MachineSnap {
                        id: m.id.clone(),
                        state: if offline {
                            "offline"
                        } else if job.is_some() {
                            "busy"
                        } else {
                            "idle"
                        },
                        jobs_won: m.jobs_won,
                        jobs_done: m.jobs_done,
                        busy_seconds: (m.busy_at(now) * 1000.0).round() / 1000.0,
                        job,
                        utilisation: (m.utilisation(now) * 1000.0).round() / 1000.0,
                        capabilities: m.capabilities.clone(),
                    }
                })
                .collect(),
            commands: twin
                .commands
                .iter()
                .map(|c| CommandSnap {
                    topic: c.topic.clone(),
                    payload: c.payload.clone(),
                    at: ts(c.at),
                    qos: c.qos,
                    outcome: c.outcome.as_str().to_string(),
                })
                .collect(),
            commands_seen: twin
                .commands_seen
                .iter()
                .map(|(k, n)| (k.clone(), n.count))
                .collect(),
            undecoded_topics,
            broker: twin.broker.known().then(|| BrokerSnap {
                clients: twin.broker.clients,
                received_per_min: twin.broker.received_per_min,
                dropped: twin.broker.dropped,
                uptime_s: twin.broker.uptime_s,
                version: twin.broker.version.clone(),
                messages: twin.broker.messages,
                topics: twin.broker.topics.len(),
            }),
            topics,
            evicted_topics: twin.evicted_topics,
            evicted_entries: twin.evicted_entries(),
            outages: twin
                .outages
                .iter()
                .map(|o| OutageSnap {
                    from: ts(o.from),
                    to: o.to.map(ts),
                    resumed: o.resumed,
                })
                .collect(),
        }
    }

    /// The snapshot with the loop's outputs' health.
    pub fn with_outputs(mut self, health: Vec<crate::outputs::Health>) -> Snapshot {
        self.outputs = health;
        self
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("snapshot serialises")
    }

    /// Writes the snapshot to stdout without building it in memory first (10,000 sensors
    /// make a document of several megabytes).
    pub fn print(&self) -> std::io::Result<()> {
        use std::io::Write;
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        serde_json::to_writer_pretty(&mut out, self).map_err(std::io::Error::other)?;
        writeln!(out)?;
        out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::event::{Event, Message};
    use chrono::TimeZone;

    #[test]
    fn snapshot_has_the_contract_fields() {
        let mut twin = Twin::default();
        let t0 = Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0).unwrap();
        for (i, v) in [1.0, 2.0, 3.0, 4.0].iter().enumerate() {
            twin.apply(&Event::Message(Message::new(
                t0 + chrono::Duration::seconds(i as i64),
                "/living_room/temperature/s1",
                v.to_string().into_bytes(),
            )));
        }
        twin.apply(&Event::Message(Message::new(t0, "x", b"{oops".to_vec())));
        let v: serde_json::Value =
            serde_json::from_str(&Snapshot::of(&twin, "mqtt://h:1", 0, t0).to_json()).unwrap();
        assert_eq!(v["twinview"], "snapshot");
        assert_eq!(v["version"], 1);
        assert_eq!(v["generated"], "2026-11-21T12:00:00.000Z");
        assert_eq!(v["messages"], 5);
        assert_eq!(v["undecoded"], 1);
        for key in ["devices", "alerts", "jobs", "machines", "commands"] {
            assert!(v[key].is_array(), "{key}");
        }
        let s = &v["sensors"][0];
        assert_eq!(s["topic"], "/living_room/temperature/s1");
        assert_eq!(s["field"], "value");
        assert_eq!(s["device"], "s1");
        assert_eq!(s["unit"], serde_json::Value::Null);
        assert_eq!(s["count"], 4);
        assert_eq!(s["last"], 4.0);
        assert_eq!(s["mean"], 2.5);
        assert_eq!(s["min"], 1.0);
        assert_eq!(s["max"], 4.0);
        let sd = s["stddev"].as_f64().unwrap();
        assert!((sd - (5.0f64 / 3.0).sqrt()).abs() < 1e-12);
        assert_eq!(s["last_seen"], "2026-11-21T12:00:03.000Z");
        // Every topic, sorted, with its last payload as text (or base64 when binary).
        let topics = v["topics"].as_array().unwrap();
        assert_eq!(topics.len(), 2);
        let t = &topics[0];
        assert_eq!(t["topic"], "/living_room/temperature/s1");
        assert_eq!(
            (t["count"].as_u64(), t["payload"].as_str()),
            (Some(4), Some("4"))
        );
        assert_eq!(
            (t["bytes"].as_u64(), t["truncated"].as_bool()),
            (Some(1), Some(false))
        );
        assert_eq!(t["first_seen"], "2026-11-21T12:00:00.000Z");
        assert_eq!(v["evicted_topics"], 0);
    }

    #[test]
    fn snapshot_payloads_are_cut_and_binary_goes_as_base64() {
        let mut twin = Twin::default();
        let t0 = Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0).unwrap();
        let mut long = "é".repeat(200).into_bytes(); // 400 bytes of two-byte characters
        long.push(b'!');
        let mut retained = Message::new(t0, "a/long", long);
        retained.retain = true;
        twin.apply(&Event::Message(retained));
        twin.apply(&Event::Message(Message::new(
            t0,
            "a/bin",
            vec![0xff, 0x00, 0x01],
        )));
        let v: serde_json::Value =
            serde_json::from_str(&Snapshot::of(&twin, "x", 0, t0).to_json()).unwrap();
        let find = |name: &str| {
            v["topics"]
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["topic"] == name)
                .cloned()
                .unwrap()
        };
        let long = find("a/long");
        assert_eq!(long["payload"].as_str().unwrap().len(), SNAPSHOT_PAYLOAD);
        assert_eq!(
            (long["bytes"].as_u64(), long["truncated"].as_bool()),
            (Some(401), Some(true))
        );
        assert_eq!(long["retained"], true);
        let bin = find("a/bin");
        assert_eq!(bin["payload_b64"], "/wAB");
        assert!(bin.get("payload").is_none());
    }
}
