//! The UI's view into the store: the detail chart zoomed out past the ring buffer (1 h, 24 h,
//! 7 d), with episodes and device status changes marked, and a device's status history.
//!
//! Queries run on a thread of their own with their own connection, so a slow database never
//! holds a frame: the UI asks, draws what it has ("loading…" at first), and picks the answer
//! up at a later frame. Answers are kept for [`FRESH_FOR`], then asked again.

use std::collections::HashMap;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::outputs::store::{History, Target};

/// How long an answer is shown before it is asked again.
pub const FRESH_FOR: Duration = Duration::from_secs(10);

/// How far the detail chart reaches back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Zoom {
    /// The ring buffer (no store needed).
    #[default]
    Live,
    Hour,
    Day,
    Week,
}

impl Zoom {
    pub fn out(self) -> Zoom {
        match self {
            Zoom::Live => Zoom::Hour,
            Zoom::Hour => Zoom::Day,
            Zoom::Day | Zoom::Week => Zoom::Week,
        }
    }

    pub fn r#in(self) -> Zoom {
        match self {
            Zoom::Live | Zoom::Hour => Zoom::Live,
            Zoom::Day => Zoom::Hour,
            Zoom::Week => Zoom::Day,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Zoom::Live => "live",
            Zoom::Hour => "1 h",
            Zoom::Day => "24 h",
            Zoom::Week => "7 d",
        }
    }

    /// The span shown, and the bucket length in minutes (0: raw readings).
    fn span(self) -> (Duration, i64) {
        match self {
            Zoom::Live => (Duration::ZERO, 0),
            Zoom::Hour => (Duration::from_secs(3600), 0),
            Zoom::Day => (Duration::from_secs(86_400), 5),
            Zoom::Week => (Duration::from_secs(7 * 86_400), 30),
        }
    }
}

/// What is asked.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Ask {
    /// A series over a zoom: its points and the marks on its time axis.
    Series {
        topic: String,
        field: String,
        device: String,
        zoom: Zoom,
    },
    /// A device's last status changes.
    Device(String),
}

/// One point of a long chart: time (epoch s), mean, min, max of its bucket (the same three for
/// a raw reading).
pub type Point = (f64, f64, f64, f64);

/// What came back.
#[derive(Debug, Clone, Default)]
pub struct Answer {
    pub points: Vec<Point>,
    /// (time in epoch s, what): episodes opened and device status changes.
    pub marks: Vec<(f64, String)>,
    /// A device's status changes, newest last: (epoch ms, from, to).
    pub statuses: Vec<(i64, String, String)>,
    /// Why there is nothing (the store cannot be read).
    pub error: Option<String>,
}

/// The UI's end.
pub struct HistoryPane {
    tx: mpsc::Sender<Ask>,
    rx: mpsc::Receiver<(Ask, Answer)>,
    answers: HashMap<Ask, (Instant, Answer)>,
    asked: HashMap<Ask, Instant>,
    pub target: String,
}

/// Raw readings drawn at most: more are merged into buckets of equal time.
const MAX_POINTS: usize = 600;

impl HistoryPane {
    /// Starts the query thread over `target` (the connection is opened there, at the first
    /// question).
    pub fn start(target: Target) -> HistoryPane {
        let (tx, asks) = mpsc::channel::<Ask>();
        let (answers_tx, rx) = mpsc::channel();
        let shown = target.describe();
        let _ = std::thread::Builder::new()
            .name("history".into())
            .spawn(move || {
                let mut db: Option<History> = None;
                for ask in asks {
                    let answer = match db.as_mut() {
                        Some(h) => answer(h, &ask),
                        None => match History::open(&target) {
                            Ok(h) => answer(db.insert(h), &ask),
                            Err(e) => Answer {
                                error: Some(e.to_string()),
                                ..Answer::default()
                            },
                        },
                    };
                    if answers_tx.send((ask, answer)).is_err() {
                        return;
                    }
                }
            });
        HistoryPane {
            tx,
            rx,
            answers: HashMap::new(),
            asked: HashMap::new(),
            target: shown,
        }
    }

    /// Takes the answers that came back; asks for `ask` when it has none fresh and none
    /// pending. Called from the UI's refresh, never blocks.
    pub fn want(&mut self, ask: &Ask) {
        while let Ok((a, ans)) = self.rx.try_recv() {
            self.asked.remove(&a);
            self.answers.insert(a, (Instant::now(), ans));
        }
        let fresh = self
            .answers
            .get(ask)
            .is_some_and(|(at, _)| at.elapsed() < FRESH_FOR);
        let pending = self
            .asked
            .get(ask)
            .is_some_and(|at| at.elapsed() < Duration::from_secs(60));
        if !fresh && !pending && self.tx.send(ask.clone()).is_ok() {
            self.asked.insert(ask.clone(), Instant::now());
        }
        // Bounded: only what is being looked at matters.
        if self.answers.len() > 64 {
            self.answers.retain(|a, _| a == ask);
        }
    }

    /// The latest answer to `ask`, if one came.
    pub fn get(&self, ask: &Ask) -> Option<&Answer> {
        self.answers.get(ask).map(|(_, a)| a)
    }
}

fn answer(h: &mut History, ask: &Ask) -> Answer {
    let now = chrono::Utc::now().timestamp_millis();
    let result = match ask {
        Ask::Series {
            topic,
            field,
            device,
            zoom,
        } => series(h, topic, field, device, *zoom, now),
        Ask::Device(id) => device_history(h, id, now),
    };
    result.unwrap_or_else(|e| Answer {
        error: Some(e.to_string()),
        ..Answer::default()
    })
}

fn series(
    h: &mut History,
    topic: &str,
    field: &str,
    device: &str,
    zoom: Zoom,
    now: i64,
) -> Result<Answer, crate::error::AppError> {
    let (span, every) = zoom.span();
    let since = now - span.as_millis() as i64;
    let Some(s) = h
        .series(topic)?
        .into_iter()
        .find(|s| s.topic == topic && s.field == field)
    else {
        return Ok(Answer {
            error: Some("not in the store yet".into()),
            ..Answer::default()
        });
    };
    let points: Vec<Point> = if every == 0 {
        let raw = h.readings(s.id, since, now + 1, 200_000)?;
        merge(&raw, since, now)
    } else {
        h.buckets(s.id, since, now + 1, every)?
            .into_iter()
            .map(|b| (b.t_ms as f64 / 1000.0, b.mean, b.min, b.max))
            .collect()
    };
    let mut marks = Vec::new();
    for (t, kind, line) in h.happenings(topic, since, 500)? {
        if kind == "anomaly_start" {
            let what = serde_json::from_str::<serde_json::Value>(&line)
                .ok()
                .and_then(|v| v["kind"].as_str().map(String::from))
                .unwrap_or_else(|| "anomaly".into());
            marks.push((t as f64 / 1000.0, what));
        }
    }
    for (t, kind, line) in h.happenings(device, since, 500)? {
        if kind == "device_status" {
            let to = serde_json::from_str::<serde_json::Value>(&line)
                .ok()
                .and_then(|v| v["to"].as_str().map(String::from))
                .unwrap_or_default();
            marks.push((t as f64 / 1000.0, to));
        }
    }
    marks.sort_by(|a, b| a.0.total_cmp(&b.0));
    Ok(Answer {
        points,
        marks,
        ..Answer::default()
    })
}

/// Raw readings as at most [`MAX_POINTS`] points: buckets of equal time, each with its mean,
/// min and max.
fn merge(raw: &[(i64, f64)], since: i64, now: i64) -> Vec<Point> {
    if raw.len() <= MAX_POINTS {
        return raw
            .iter()
            .map(|&(t, v)| (t as f64 / 1000.0, v, v, v))
            .collect();
    }
    let width = ((now - since) / MAX_POINTS as i64).max(1);
    let mut out: Vec<(i64, f64, f64, f64, u32)> = Vec::new();
    for &(t, v) in raw {
        let b = (t - since) / width;
        match out.last_mut() {
            Some(last) if last.0 == b => {
                last.1 += v;
                last.2 = last.2.min(v);
                last.3 = last.3.max(v);
                last.4 += 1;
            }
            _ => out.push((b, v, v, v, 1)),
        }
    }
    out.into_iter()
        .map(|(b, sum, min, max, n)| {
            (
                (since + b * width + width / 2) as f64 / 1000.0,
                sum / n as f64,
                min,
                max,
            )
        })
        .collect()
}

fn device_history(h: &mut History, id: &str, now: i64) -> Result<Answer, crate::error::AppError> {
    let since = now - 30 * 86_400_000;
    let mut statuses = Vec::new();
    for (t, kind, line) in h.happenings(id, since, 50)? {
        if kind != "device_status" {
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
        statuses.push((
            t,
            v["from"].as_str().unwrap_or("?").to_string(),
            v["to"].as_str().unwrap_or("?").to_string(),
        ));
    }
    Ok(Answer {
        statuses,
        ..Answer::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn many_raw_readings_merge_into_bounded_buckets_keeping_extremes() {
        let raw: Vec<(i64, f64)> = (0..3600).map(|i| (i * 1000, (i % 7) as f64)).collect();
        let pts = merge(&raw, 0, 3_600_000);
        assert!(pts.len() <= MAX_POINTS, "{}", pts.len());
        assert!(pts.iter().all(|p| p.2 <= p.1 && p.1 <= p.3));
        assert_eq!(pts.iter().map(|p| p.3).fold(f64::MIN, f64::max), 6.0);
        assert_eq!(pts.iter().map(|p| p.2).fold(f64::MAX, f64::min), 0.0);
        let few = merge(&raw[..10], 0, 3_600_000);
        assert_eq!(few.len(), 10);
    }

    #[test]
    fn zoom_steps_out_and_in() {
        let z = Zoom::Live.out().out().out().out();
        assert_eq!(z, Zoom::Week);
        assert_eq!(z.r#in().r#in().r#in().r#in(), Zoom::Live);
    }
}
