//! What the twin keeps for an output that stores everything (the store): every reading, the
//! series it belongs to, every text state change; and the way back in, [`Twin::restore`],
//! which replays stored readings so that a restarted twin judges at once.

use bytes::Bytes;

use super::*;

/// A series as it is stored: sent once when it is born, and again when its unit changes.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesRow {
    /// The twin's own id for the series, unique in this process (never reused after
    /// eviction).
    pub uid: u64,
    pub topic: String,
    pub field: String,
    pub device: String,
    pub unit: Option<String>,
}

/// One reading: its series, its time (the payload's when it says, else receipt) in epoch
/// milliseconds, its value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReadingRow {
    pub uid: u64,
    pub t_ms: i64,
    pub value: f64,
}

/// A text state's first value or a change of it.
#[derive(Debug, Clone, PartialEq)]
pub struct StateRow {
    pub t_ms: i64,
    pub topic: String,
    pub field: String,
    pub value: String,
}

/// Rows kept between two feeds of the live loop.
#[derive(Debug, Default, Clone)]
pub struct Kept {
    pub series: Vec<SeriesRow>,
    pub readings: Vec<ReadingRow>,
    pub states: Vec<StateRow>,
    /// Rows not kept because nobody took them for too long (a bug in a driver; counted).
    pub overflow: u64,
}

/// Rows kept between two takes at most (the loop takes them after every batch of at most
/// 4,096 events, so this is only a guard).
const MAX_KEPT: usize = 1 << 22;

impl Kept {
    fn room(&mut self) -> bool {
        let n = self.readings.len() + self.states.len() + self.series.len();
        if n >= MAX_KEPT {
            self.overflow += 1;
            return false;
        }
        true
    }
}

/// What [`Twin::restore`] brought back, for the snapshot and the header.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Restored {
    /// Where from (the store, as `--store` names it).
    pub from: String,
    pub readings: u64,
    pub series: u64,
    /// The time span of the restored readings.
    pub first: Option<DateTime<Utc>>,
    pub last: Option<DateTime<Utc>>,
}

impl Twin {
    /// From now on keep every reading, series and state change for [`Twin::take_kept`].
    pub fn keep_rows(&mut self) {
        if self.kept.is_none() {
            self.kept = Some(Box::default());
            // Series born before: named now, so their readings can be stored.
            let born: Vec<SeriesRow> = self.series.iter().map(|s| s.row()).collect();
            if let Some(k) = &mut self.kept {
                k.series = born;
            }
        }
    }

    /// The rows kept since the last call (empty unless [`Twin::keep_rows`]).
    pub fn take_kept(&mut self) -> Kept {
        match &mut self.kept {
            Some(k) => Kept {
                series: std::mem::take(&mut k.series),
                readings: std::mem::take(&mut k.readings),
                states: std::mem::take(&mut k.states),
                overflow: std::mem::take(&mut k.overflow),
            },
            None => Kept::default(),
        }
    }

    /// The kept rows, when kept and not full.
    fn kept_room(&mut self) -> Option<&mut Kept> {
        let k = self.kept.as_deref_mut()?;
        k.room().then_some(k)
    }

    pub(super) fn keep_series(&mut self, idx: usize) {
        if self.kept.is_some() {
            let row = self.series[idx].row();
            if let Some(k) = self.kept_room() {
                k.series.push(row);
            }
        }
    }

    pub(super) fn keep_reading(&mut self, idx: usize, t: DateTime<Utc>, value: f64) {
        let uid = self.series[idx].uid;
        if let Some(k) = self.kept_room() {
            k.readings.push(ReadingRow {
                uid,
                t_ms: t.timestamp_millis(),
                value,
            });
        }
    }

    pub(super) fn keep_state(&mut self, at: DateTime<Utc>, topic: &str, field: &str, value: &str) {
        if let Some(k) = self.kept_room() {
            k.states.push(StateRow {
                t_ms: at.timestamp_millis(),
                topic: topic.to_string(),
                field: field.to_string(),
                value: value.to_string(),
            });
        }
    }

    /// Applies a stored reading as if it had just arrived at `at`, without counting a
    /// message: the series' window, statistics, learnt profile and detectors take it in, so
    /// that after a restart the first live reading is judged at once. Readings must come in
    /// time order. Episodes the restored readings open are real (the data says so) and are
    /// journaled with their own times.
    pub fn restore_reading(
        &mut self,
        topic: &str,
        field: &str,
        device: Option<&str>,
        unit: Option<&str>,
        at: DateTime<Utc>,
        value: f64,
    ) {
        if !self.topics.contains_key(topic) {
            if self.topics.len() >= self.max_topics() {
                return;
            }
            let info = self.cfg.schemas.match_topic(topic);
            let ordinary = self.ordinary(topic);
            self.topics.insert(
                topic.into(),
                TopicEntry {
                    info,
                    series: SmallVec::new(),
                    traffic: Traffic::unseen(at),
                    ordinary,
                },
            );
            self.topics_revision += 1;
        }
        let m = Message::new(at, topic, Bytes::new());
        let kept = self.kept.take();
        self.reading_topic = None;
        self.apply_reading(&m, field, value, at, device, unit);
        self.kept = kept;
    }
}

impl Series {
    /// The series as it is stored.
    pub fn row(&self) -> SeriesRow {
        SeriesRow {
            uid: self.uid,
            topic: self.topic.clone(),
            field: self.field.clone(),
            device: self.device.clone(),
            unit: self.unit.clone(),
        }
    }
}
