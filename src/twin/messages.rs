//! One message in: conventions first (liveness, discovery, Sparkplug, Contract Net, commands),
//! then the payload decoded into readings and states ([`crate::decode`]).

use super::levels;
use super::*;

impl Twin {
    /// [`Twin::apply`] for a message whose payload was already decoded with
    /// `crate::decode::decode(&m.payload, max_payload)` — on another thread, so that decoding
    /// overlaps applying (replay does this). The result is exactly that of `apply`.
    /// Both are borrowed, so whoever owns them frees them (replay hands batches back to its
    /// reader thread for that).
    pub fn apply_decoded(&mut self, m: &Message, decoded: &Decoded) {
        self.apply_message(m, Some(decoded));
    }

    pub(super) fn apply_message(&mut self, m: &Message, decoded: Option<&Decoded>) {
        // `$…` topics are the broker's own (subscribed beside `#` by default): counted in
        // `broker.messages`, not among the network's messages, its rate or `--count`.
        if !m.topic.starts_with('$') {
            self.messages += 1;
            self.rate.add(m.at.timestamp());
        }
        self.touch(m.at);

        if m.topic.len() > crate::decode::payload::MAX_TOPIC {
            return self.count_undecoded(m, Undecodable::TopicTooLong);
        }
        // One lookup for a known topic (the common case): its traffic, and the schema match
        // done once.
        let (kind, ordinary) = match self.topics.get_mut(m.topic.as_str()) {
            Some(e) => {
                e.traffic.record(m);
                self.reading_topic = Some((e.traffic.count, e.traffic.first));
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
                self.reading_topic = Some((1, m.at));
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
    pub(super) fn apply_convention(&mut self, m: &Message) -> bool {
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
        if m.topic.starts_with("homie/") && levels::last(&m.topic).starts_with('$') {
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
    pub(super) fn describe(&mut self, m: &Message) {
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
    pub(super) fn ordinary(&self, topic: &str) -> bool {
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
    pub(super) fn note_command(&mut self, name: String, at: DateTime<Utc>) {
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

    /// One Sparkplug B message: the session's bookkeeping, then its metrics as readings and
    /// states of the node's or device's DATA topic (births and data feed the same series).
    pub(super) fn apply_sparkplug(&mut self, m: &Message, topic: sparkplug::Topic<'_>) {
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
        // (A birth's readings are not of their data topic's own message, and republish
        // every metric's current value.)
        let birth = data_topic != m.topic;
        if birth {
            self.reading_topic = None;
        }
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
        let who = sparkplug::Sparkplug::device_id(group, node, device);
        self.republishing = birth;
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
        self.republishing = false;
        for (field, text) in out.states {
            self.apply_state(&dm, &field, &text, Some(&who));
        }
    }

    pub(super) fn sparkplug_liveness(
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
}

/// Whether `topic` addresses commands to devices (Tasmota's `cmnd/…`, `…/set`, `…/reset`).
pub(super) fn is_command_topic(topic: &str) -> bool {
    let last = levels::last(topic);
    let first = levels::levels(topic).find(|l| !l.is_empty()).unwrap_or("");
    first == "cmnd" || matches!(last, "reset" | "set" | "command" | "commands")
}

/// The command a topic carries, when its topic says it is one: Tasmota `cmnd/<device>/<name>`,
/// and `…/reset`, `…/set`, `…/command`, `…/commands` (twinview's own templates among them).
/// The name is the payload's `"command"` when it has one, else the topic's last level.
pub(super) fn command_topic(topic: &str, payload: &[u8]) -> Option<String> {
    if !is_command_topic(topic) {
        return None;
    }
    let last = levels::last(topic);
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
