//! Readings and states placed into series: which series a field is, its device and label
//! (topic schemas, discovery, identity rules), the bounded tables that hold them and the
//! gaps an outage leaves.

use super::follows::no_mode;
use super::*;

impl Twin {
    /// One text state reported: its series (made on first sight, placed like a numeric
    /// series) keeps the value and, when it changed, the change.
    pub(super) fn apply_state(
        &mut self,
        m: &Message,
        field: &str,
        value: &str,
        device: Option<&str>,
    ) {
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
        let new = p.is_some();
        let changed = self
            .states
            .report(&m.topic, field, value, m.at, || p.expect("placed when new"));
        if self.kept.is_some() && (new || changed.is_some()) {
            self.keep_state(m.at, &m.topic, field, value);
        }
        // (A change that names no mode, an rtl_433 `time` at every report, is no machine's
        // start: looked at before its device is.)
        if let Some((from, to)) = changed.as_ref().filter(|(f, t)| !no_mode(f) && !no_mode(t)) {
            if let Some(device) = self
                .states
                .find(&m.topic, field)
                .map(|i| self.states.list[i].device.clone())
            {
                self.state_changed(&device, (&m.topic, field), (from, to), m.at);
            }
        }
        self.evicted.states += self.states.evicted - before;
    }

    /// Where a new series (numeric or state) of `topic`'s `field` is listed: the payload's
    /// device, else the convention that explains the topic, else the schema's sensor level,
    /// else the topic itself (see `identity`); its heading and label; and what Home Assistant
    /// discovery says of it.
    pub(super) fn placement(&self, topic: &str, field: &str, device: Option<&str>) -> Placement {
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
    pub(super) fn relabel(&mut self, state_topic: &str) {
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
                s.unit_known();
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
    pub(super) fn describe_devices(&mut self, state_topic: &str) {
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

    pub(super) fn count_undecoded(&mut self, m: &Message, why: Undecodable) {
        if why.is_malformed() {
            self.undecoded_total += 1;
        } else {
            self.ignored_total += 1;
        }
        let sample = || {
            let text = String::from_utf8_lossy(&m.payload[..m.payload.len().min(SAMPLE_CHARS * 4)]);
            text.chars().take(SAMPLE_CHARS).collect::<String>()
        };
        // A topic too long to track is listed by its first 200 bytes.
        let key: std::borrow::Cow<str> = if m.topic.len() > crate::decode::payload::MAX_TOPIC {
            let mut end = 200;
            while !m.topic.is_char_boundary(end) {
                end -= 1;
            }
            format!("{}…", &m.topic[..end]).into()
        } else {
            m.topic.as_str().into()
        };
        if let Some(u) = self.undecoded.get_mut(key.as_ref()) {
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
                log::info!("cannot decode payload on {key}: {}", why.as_str());
            }
            self.undecoded.insert(
                key.into_owned(),
                UndecodedTopic {
                    count: 1,
                    reason: why,
                    last_at: m.at,
                    sample: sample(),
                },
            );
        }
    }

    pub(super) fn series_index(
        &mut self,
        topic: &str,
        field: &str,
        device: Option<&str>,
        unit: Option<&str>,
        now: DateTime<Utc>,
    ) -> usize {
        let entry = self.topics.get(topic).expect("topic entry exists");
        if entry.series.len() > super::BIG_TOPIC {
            if let Some(idx) = self.field_index.get(topic).and_then(|ix| ix.get(field)) {
                return *idx;
            }
        } else if let Some((_, idx)) = entry.series.iter().find(|(f, _)| f.as_ref() == field) {
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
        let uid = self.next_uid;
        self.next_uid += 1;
        let setpoints_before = self.setpoint_series;
        let (may_track, is_setpoint) = super::tracking::setpoint_role(topic, field);
        if is_setpoint {
            self.setpoint_series += 1;
        }
        self.series.push(Box::new(Series {
            uid,
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
            topic_seen: 0,
            rate: RateMeter::default(),
            anomalies: 0,
            anomalous: false,
            score: None,
            episode: None,
            episodes: VecDeque::new(),
            alerted_at: None,
            gaps: 0,
            last_gap: None,
            detector: detect::Detector::for_series(topic, field).sent_on_change(
                topic.starts_with("N/")
                    && identity::device_of(topic).is_some_and(|(_, c)| c == "victron"),
            ),
            setpoint: None,
            // (Looked for at its first reading only if a setpoint-named series exists.)
            setpoint_looked: may_track.then_some(if setpoints_before > 0 { usize::MAX } else { 0 }),
            device_slot: None,
            pair: None,
            pair_looked: false,
            sibling: None,
            sibling_end: None,
            sibling_looked: false,
            follows: None,
        }));
        self.series[idx].unit_known();
        let named = match (&info.zone, &info.measurement) {
            (Some(z), Some(m)) if !aggregate => Some((z.clone(), m.clone(), field.to_string())),
            _ => None,
        };
        // Without a zone a schema names, numbered probes of one device are a family of peers
        // (see `identity::numbered_family`), judged against each other only once they have
        // been seen to move together (see `Detector::peers_confirmed`). The lab's rules know
        // only named zones.
        let family = match (&named, self.cfg.detector) {
            (None, DetectorMode::Default) if !aggregate => identity::numbered_family(topic, field)
                .map(|f| {
                    let device = self.series[idx].device.clone();
                    (device, f, field.to_string())
                }),
            _ => None,
        };
        let inferred = family.is_some();
        let key = named.or(family);
        let (mut pos, mut zone) = (0, None);
        if let Some(k) = &key {
            match self.cfg.detector {
                DetectorMode::Lab => self.groups.entry(k.clone()).or_default().members.push(idx),
                DetectorMode::Default => {
                    let zones = &mut self.zones;
                    let zi = *self.zone_index.entry(k.clone()).or_insert_with(|| {
                        zones.push((
                            k.clone(),
                            if inferred {
                                Consensus::family()
                            } else {
                                Consensus::default()
                            },
                        ));
                        zones.len() - 1
                    });
                    self.series[idx].detector.inferred_peers = inferred;
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
        let entry = self.topics.get_mut(topic).expect("topic entry exists");
        entry.series.push((
            match field {
                "value" => Cow::Borrowed("value"),
                f => Cow::Owned(f.to_string()),
            },
            idx,
        ));
        if entry.series.len() > super::BIG_TOPIC {
            let ix = self
                .field_index
                .entry(topic.into())
                .or_insert_with(|| index_of(&entry.series));
            ix.insert(field.into(), idx);
        }
        self.layout_revision += 1;
        self.keep_series(idx);
        idx
    }

    pub(super) fn apply_reading(
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
        // A reading ends a silence, and a held value of a series that reports on change (it
        // sends only new values).
        let s = &self.series[idx];
        if s.episode.as_ref().is_some_and(|e| {
            e.kind == EpisodeKind::Silence
                || (e.kind == EpisodeKind::Stuck && s.detector.sends_only_changes())
        }) {
            self.close_episode(idx, m.at, m.at);
        }
        self.note_gap(idx, m.at);
        // Stamped before the series' latest reading: a late delivery (a gateway's store and
        // forward). It is kept in the history and the store, but not judged as the next step
        // (it is not one) and not taken as the latest value. (`late` below also covers a
        // repeat, which changes nothing of the latest.)
        let s = &self.series[idx];
        // (Within 10 minutes: a device clock set back further, after a reboot or by NTP, is a
        // new clock, not a delivery that late; its readings are judged and taken as latest.)
        let late = s.count > 0
            && time < s.last_time
            && s.last_time - time <= chrono::Duration::minutes(10);
        // The same value again within half a second: one report repeated (rtl_433 sends each
        // radio transmission up to three times, a QoS 1 message may come twice). Kept, but
        // not judged again: it is no new reading of the world. (By arrival: a device whose
        // clock is stuck stamps every reading alike. Not for a series that reports faster than
        // every two seconds: its repeats are readings.)
        let repeat = s.count > 0
            && value == s.last
            && s.detector.interval >= 4.0 * crate::twin::devices::BURST_S
            && (m.at - s.last_seen).num_milliseconds()
                < (crate::twin::devices::BURST_S * 1000.0) as i64;
        let stamped_late = late && !repeat;
        let late = late || repeat;
        // Its topic's messages that came without it since its last reading (a Sparkplug
        // metric left out of its node's DDATA while within its deadband).
        // (Counted when the message came, with no second lookup of its topic.)
        let s = &self.series[idx];
        let (count, first) = self.reading_topic.unwrap_or((0, m.at));
        let others = count.saturating_sub(s.topic_seen + 1);
        let spoke = s.count > 0
            && others >= 3
            && detect::Detector::spoke_through(
                others,
                (m.at - s.last_seen).num_milliseconds(),
                // (Its messages' mean interval.)
                (m.at - first).num_milliseconds() as f64 / count.saturating_sub(1).max(1) as f64,
                // (Online by its own word since before the series' last reading.)
                self.devices
                    .get(s.device_slot, &s.device)
                    .and_then(|d| d.said.as_ref())
                    .is_some_and(|w| w.status == devices::Status::Online && w.at <= s.last_seen),
            );
        let s = &mut self.series[idx];
        s.detector.spoken_through = spoke;
        if count > 0 {
            s.topic_seen = count;
        }
        self.follow_reading(idx, m.at.timestamp_millis());
        let (findings, abnormal) = match self.cfg.detector {
            // (A late delivery is still judged as a spike: see [`Twin::late_spike`].)
            _ if stamped_late => (
                self.late_spike(idx, value, time).into_iter().collect(),
                false,
            ),
            _ if late => (Vec::new(), false),
            DetectorMode::Default => self.detect_default(idx, value, m.at),
            DetectorMode::Lab => (self.detect_lab(idx, value, m.at), false),
        };
        let s = &mut self.series[idx];
        let evicted = s.window.push(time.timestamp_millis(), value);
        s.count += 1;
        if !late {
            s.last = value;
            s.last_time = time;
        }
        s.last_seen = m.at;
        s.rate.add(m.at.timestamp());
        let mut unit_changed = false;
        if let Some(u) = unit {
            if s.unit.as_deref() != Some(u) {
                s.unit = Some(u.to_string());
                s.unit_known();
                unit_changed = true;
            }
        }
        if self.kept.is_some() {
            if unit_changed {
                self.keep_series(idx);
            }
            self.keep_reading(idx, time, value);
        }
        if !late || !findings.is_empty() {
            self.episode_step(idx, findings, abnormal, m.at);
        }

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

    /// A reading stamped before its series' latest, judged as a spike against the readings
    /// stamped either side of it (see [`detect::Detector::judge_late`]; the newest 64 of the
    /// window are looked at, so O(1)). Default detectors only.
    fn late_spike(&self, idx: usize, value: f64, time: DateTime<Utc>) -> Option<Finding> {
        if self.cfg.detector != DetectorMode::Default {
            return None;
        }
        let s = &self.series[idx];
        let t = time.timestamp_millis();
        let (mut before, mut after) = (None::<(i64, f64)>, None::<(i64, f64)>);
        for (pt, px) in s.window.points().rev().take(64) {
            if pt < t && before.is_none_or(|(bt, _)| pt > bt) {
                before = Some((pt, px));
            } else if pt > t && after.is_none_or(|(at, _)| pt < at) {
                after = Some((pt, px));
            }
        }
        let (before, after) = (before?, after?);
        s.detector
            .judge_late(before.1, value, after.1, time, &self.cfg.anomaly)
    }

    /// Forgets the least recently seen 1 % of the series (at least one), in one O(n) pass, so
    /// a flood of new topics costs amortised O(1) per new series.
    pub(super) fn evict_series(&mut self) {
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
        let topics = &self.topics;
        self.field_index.retain(|topic, ix| {
            match topics
                .get(topic)
                .filter(|e| e.series.len() > super::BIG_TOPIC)
            {
                Some(e) => {
                    *ix = index_of(&e.series);
                    true
                }
                None => false,
            }
        });
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
        // Indices moved: the recent steps are forgotten rather than misattributed, and the
        // pairs made again.
        self.novel_steps.clear();
        self.quantities.clear();
        self.siblings.clear();
        for s in &mut self.series {
            s.pair = None;
            s.pair_looked = false;
            s.sibling = None;
            s.sibling_end = None;
            s.sibling_looked = false;
        }
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
    pub(super) fn note_gap(&mut self, idx: usize, at: DateTime<Utc>) {
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
}

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

/// A big topic's field → series map, from its list.
fn index_of(series: &[(Cow<'static, str>, usize)]) -> crate::twin::FastMap<Box<str>, usize> {
    series
        .iter()
        .map(|(f, i)| (Box::from(f.as_ref()), *i))
        .collect()
}
