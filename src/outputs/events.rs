//! `--events FILE`: the twin's happenings as JSON Lines, written on their own thread and
//! flushed as they happen (README, "Events").

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::{Health, News, Output, Wants};
use crate::error::AppError;
use crate::twin::journal::Happening;
use crate::twin::Twin;

/// Batches waiting for the disk at most; beyond that they are counted as lost.
const QUEUE: usize = 4096;

/// A running events file.
pub struct EventsWriter {
    tx: Option<std::sync::mpsc::SyncSender<Vec<String>>>,
    writer: Option<std::thread::JoinHandle<()>>,
    /// Happenings that found the queue full (disk too slow) or could not be written.
    pub lost: Arc<AtomicU64>,
    /// Happenings written.
    written: Arc<AtomicU64>,
    /// The file, as shown.
    shown: Arc<str>,
}

impl EventsWriter {
    /// Creates (or truncates) `path`; the error names the file.
    pub fn create(path: &Path) -> Result<EventsWriter, AppError> {
        let file = crate::error::open_output(path, false).map_err(|e| {
            AppError::File(format!("cannot write events file {}: {e}", path.display()))
        })?;
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<String>>(QUEUE);
        let lost = Arc::new(AtomicU64::new(0));
        let lost_w = lost.clone();
        let written = Arc::new(AtomicU64::new(0));
        let written_w = written.clone();
        let shown = path.display().to_string();
        let shown_arc: Arc<str> = shown.as_str().into();
        let writer = std::thread::Builder::new()
            .name("events".into())
            .spawn(move || {
                let mut out = std::io::BufWriter::new(file);
                let mut failed = false;
                for batch in rx {
                    let n = batch.len() as u64;
                    let ok =
                        batch.iter().all(|l| writeln!(out, "{l}").is_ok()) && out.flush().is_ok();
                    if ok {
                        written_w.fetch_add(n, Ordering::Relaxed);
                    } else {
                        lost_w.fetch_add(n, Ordering::Relaxed);
                        if !failed {
                            log::error!("cannot write events file {shown}");
                            failed = true;
                        }
                    }
                }
            })
            .map_err(|e| AppError::Other(format!("cannot start the events writer: {e}")))?;
        Ok(EventsWriter {
            tx: Some(tx),
            writer: Some(writer),
            lost,
            written,
            shown: shown_arc,
        })
    }

    /// Hands over happenings; never blocks.
    pub fn write(&self, happenings: &[Happening]) {
        if happenings.is_empty() {
            return;
        }
        let n = happenings.len() as u64;
        let lines = happenings.iter().map(Happening::to_line).collect();
        if let Some(tx) = &self.tx {
            if tx.try_send(lines).is_err() {
                self.lost.fetch_add(n, Ordering::Relaxed);
            }
        }
    }

    /// Writes everything still queued and waits for the disk (dropping does the same).
    pub fn finish(mut self) {
        self.close();
    }

    fn close(&mut self) {
        drop(self.tx.take());
        if let Some(w) = self.writer.take() {
            let _ = w.join();
            let lost = self.lost.load(Ordering::Relaxed);
            if lost > 0 {
                log::warn!("{lost} happenings could not be written to the events file");
            }
        }
    }
}

impl Drop for EventsWriter {
    fn drop(&mut self) {
        self.close();
    }
}

/// The events file as an output of the live loop.
impl Output for EventsWriter {
    fn wants(&self) -> Wants {
        Wants {
            happenings: true,
            scores: false,
            rows: false,
        }
    }

    fn feed(&mut self, _twin: &Twin, news: &News<'_>) {
        self.write(news.happenings);
    }

    fn health(&self) -> Option<Health> {
        Some(Health {
            output: "events",
            target: self.shown.clone(),
            written: self.written.load(Ordering::Relaxed),
            lost: self.lost.load(Ordering::Relaxed),
            queued: 0,
            failing: false,
        })
    }

    fn finish(&mut self) -> Result<(), AppError> {
        self.close();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::event::{Event, Message};
    use chrono::TimeZone;

    #[test]
    fn happenings_reach_the_file_as_json_lines() {
        let dir = std::env::temp_dir().join(format!("twinview-sink-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("events.jsonl");
        let mut twin = Twin::default();
        twin.journal.keep_for_writer();
        let mut w: Box<dyn Output> = Box::new(EventsWriter::create(&path).unwrap());
        let t = chrono::Utc.with_ymd_and_hms(2026, 12, 1, 8, 0, 0).unwrap();
        twin.apply(&Event::Message(Message::new(
            t,
            "/living_room/temperature/alert",
            b"[\"s2\"]".to_vec(),
        )));
        twin.apply(&Event::Message(Message::new(
            t,
            "/living_room/s2/status",
            b"offline".to_vec(),
        )));
        let news = News {
            now: t,
            happenings: &twin.journal.take_new(),
            scores: &[],
            kept: &Default::default(),
            health: &[],
            source: "test",
            dropped: 0,
            queued: 0,
        };
        w.feed(&twin, &news);
        w.finish().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let types: Vec<String> = text
            .lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["type"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(types, ["alert", "device_status"]);
        std::fs::remove_dir_all(&dir).ok();
    }
}
