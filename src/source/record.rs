//! Recording: every event, as JSON Lines (docs/contracts.md), written on its own task.
//!
//! The recorder sits between the source and the twin as a tee: it forwards each event to the
//! twin and hands a copy to the writer task over a bounded channel, never blocking on the
//! disk. Lines are flushed twice a second (every 500 ms, and at the end), so a killed process
//! loses at most about the last half second, and a line is only ever appended whole.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use chrono::{DateTime, SecondsFormat, Utc};
use tokio::sync::mpsc;

use crate::error::AppError;
use crate::source::event::{ConnState, Event, Outcome};

/// How often the recorder flushes what it wrote (README, "Recording and replay").
pub const FLUSH_EVERY: Duration = Duration::from_millis(500);

/// Events waiting for the disk at most; beyond that they are counted as lost.
const QUEUE: usize = 65_536;

/// What the header shows about the recording.
#[derive(Debug, Default)]
pub struct RecorderStats {
    pub bytes: AtomicU64,
    pub lines: AtomicU64,
    /// Events that found the writer's queue full (disk too slow).
    pub lost: AtomicU64,
    pub path: PathBuf,
}

impl RecorderStats {
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }
    pub fn lost(&self) -> u64 {
        self.lost.load(Ordering::Relaxed)
    }
}

pub(crate) fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The header line.
pub fn header(started: DateTime<Utc>, source: &str, filters: &[String]) -> String {
    #[derive(serde::Serialize)]
    struct Header<'a> {
        twinview: &'static str,
        version: u32,
        started: String,
        source: &'a str,
        filters: &'a [String],
    }
    serde_json::to_string(&Header {
        twinview: "recording",
        version: 1,
        started: ts(started),
        source,
        filters,
    })
    .expect("header serialises")
}

#[derive(serde::Serialize)]
struct PublishLine<'a> {
    t: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    dir: Option<&'static str>,
    topic: &'a str,
    qos: u8,
    retain: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    payload: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payload_b64: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    outcome: Option<String>,
}

/// The `detail` of a `connected` line when the broker resumed a kept session.
pub const RESUMED: &str = "session resumed";

#[derive(serde::Serialize)]
struct ConnectionLine {
    t: String,
    event: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
}

/// One event as one line (without the newline).
pub fn line(ev: &Event) -> String {
    let text = match ev {
        Event::Message(msg) => {
            let text = std::str::from_utf8(&msg.payload).ok();
            serde_json::to_string(&PublishLine {
                t: ts(msg.at),
                dir: None,
                topic: &msg.topic,
                qos: msg.qos,
                retain: msg.retain,
                payload: text,
                payload_b64: text
                    .is_none()
                    .then(|| base64::engine::general_purpose::STANDARD.encode(&msg.payload)),
                id: None,
                outcome: None,
            })
        }
        Event::Command(c) => serde_json::to_string(&PublishLine {
            t: ts(c.at),
            dir: Some("out"),
            topic: &c.command.topic,
            qos: c.command.qos,
            retain: c.command.retain,
            payload: c
                .command
                .binary
                .is_none()
                .then_some(c.command.payload.as_str()),
            payload_b64: c
                .command
                .binary
                .as_ref()
                .map(|b| base64::engine::general_purpose::STANDARD.encode(b)),
            id: Some(c.command.id),
            outcome: Some(match &c.outcome {
                Outcome::Sent => "sent".into(),
                Outcome::Acknowledged => "acknowledged".into(),
                Outcome::Failed(why) => format!("failed: {why}"),
            }),
        }),
        Event::Connection(c) => {
            let (event, detail) = match &c.state {
                ConnState::Connecting => ("connecting", None),
                ConnState::Connected => ("connected", c.resumed.then(|| RESUMED.to_string())),
                ConnState::Reconnecting { reason, retry_in } => (
                    "disconnected",
                    Some(format!(
                        "{reason}; retry in {:.1} s",
                        retry_in.as_secs_f64()
                    )),
                ),
                ConnState::Refused { reason, retry_in } => (
                    "refused",
                    Some(format!(
                        "{reason}; retry in {:.1} s",
                        retry_in.as_secs_f64()
                    )),
                ),
            };
            serde_json::to_string(&ConnectionLine {
                t: ts(c.at),
                event,
                detail,
            })
        }
    };
    text.expect("recording lines serialise")
}

/// Opens `path` for appending (creating it) and writes the header; the error names the file.
fn open(path: &Path, head: &str) -> Result<std::fs::File, AppError> {
    let mut f = crate::error::open_output(path, true)
        .map_err(|e| AppError::File(format!("cannot write recording {}: {e}", path.display())))?;
    writeln!(f, "{head}")
        .and_then(|_| f.flush())
        .map_err(|e| AppError::File(format!("cannot write recording {}: {e}", path.display())))?;
    Ok(f)
}

/// What the writer thread is handed.
enum ToDisk {
    Event(Event),
    /// The session ended at this time: write the end line, flush, stop.
    End(DateTime<Utc>),
}

/// The end-of-session line (an extension: replay runs its clock up to it).
pub fn end_line(at: DateTime<Utc>) -> String {
    format!(r#"{{"t":"{}","event":"end"}}"#, ts(at))
}

/// A running recording.
pub struct Recorder {
    pub stats: Arc<RecorderStats>,
    disk: std::sync::mpsc::SyncSender<ToDisk>,
    writer: Option<std::thread::JoinHandle<()>>,
}

impl Recorder {
    /// Marks the end of the session and waits (at most 5 s) until everything is on disk.
    pub fn finish(mut self, at: DateTime<Utc>) {
        let _ = self.disk.send(ToDisk::End(at));
        if let Some(w) = self.writer.take() {
            let deadline = std::time::Instant::now() + Duration::from_secs(5);
            while !w.is_finished() && std::time::Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
}

/// Starts recording to `path`: returns the receiver the twin should read (every event of `rx`,
/// forwarded) and the recorder.
pub fn tee(
    path: &Path,
    source: &str,
    filters: &[String],
    mut rx: mpsc::Receiver<Event>,
) -> Result<(mpsc::Receiver<Event>, Recorder), AppError> {
    let head = header(Utc::now(), source, filters);
    let file = open(path, &head)?;
    let stats = Arc::new(RecorderStats {
        bytes: AtomicU64::new(head.len() as u64 + 1),
        lines: AtomicU64::new(1),
        lost: AtomicU64::new(0),
        path: path.to_path_buf(),
    });
    let (to_disk, disk_rx) = std::sync::mpsc::sync_channel::<ToDisk>(QUEUE);
    let (to_twin, twin_rx) = mpsc::channel::<Event>(crate::EVENT_CHANNEL);
    let s = stats.clone();
    let tee_disk = to_disk.clone();
    tokio::spawn(async move {
        while let Some(ev) = rx.recv().await {
            if tee_disk.try_send(ToDisk::Event(ev.clone())).is_err() {
                s.lost.fetch_add(1, Ordering::Relaxed);
            }
            if to_twin.send(ev).await.is_err() {
                return;
            }
        }
    });
    let s = stats.clone();
    let writer = std::thread::Builder::new()
        .name("recorder".into())
        .spawn(move || write_loop(file, disk_rx, s))
        .map_err(|e| AppError::Other(format!("cannot start the recorder: {e}")))?;
    Ok((
        twin_rx,
        Recorder {
            stats,
            disk: to_disk,
            writer: Some(writer),
        },
    ))
}

/// Writes lines as they come and flushes every 500 ms ([`FLUSH_EVERY`]) and at the end, on
/// its own thread so a slow disk never stalls the runtime.
fn write_loop(
    file: std::fs::File,
    rx: std::sync::mpsc::Receiver<ToDisk>,
    stats: Arc<RecorderStats>,
) {
    use std::sync::mpsc::RecvTimeoutError;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, file);
    let every = FLUSH_EVERY;
    let mut last_flush = std::time::Instant::now();
    let mut failed = false;
    let report = |e: std::io::Error, failed: &mut bool| {
        if !*failed {
            log::error!("recording to {} failed: {e}", stats.path.display());
            *failed = true;
        }
    };
    let mut ended = false;
    while !ended {
        let first = match rx.recv_timeout(every) {
            Ok(item) => Some(item),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => break,
        };
        if let Some(item) = first {
            let mut text = String::new();
            let mut n = 0u64;
            let mut next = Some(item);
            while let Some(item) = next.take() {
                match item {
                    ToDisk::Event(e) => text.push_str(&line(&e)),
                    ToDisk::End(at) => {
                        text.push_str(&end_line(at));
                        ended = true;
                    }
                }
                text.push('\n');
                n += 1;
                if !ended && n < 4096 {
                    next = rx.try_recv().ok();
                }
            }
            match out.write_all(text.as_bytes()) {
                Ok(()) => {
                    stats.bytes.fetch_add(text.len() as u64, Ordering::Relaxed);
                    stats.lines.fetch_add(n, Ordering::Relaxed);
                }
                Err(e) => {
                    stats.lost.fetch_add(n, Ordering::Relaxed);
                    report(e, &mut failed);
                }
            }
        }
        if ended || last_flush.elapsed() >= every {
            if let Err(e) = out.flush() {
                report(e, &mut failed);
            }
            last_flush = std::time::Instant::now();
        }
    }
    if let Err(e) = out.flush() {
        report(e, &mut failed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::event::{Command, CommandEvent, ConnEvent, Message};
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0).unwrap() + chrono::TimeDelta::milliseconds(512)
    }

    /// Sparkplug payloads (binary, or by chance valid UTF-8 with control characters) and a
    /// binary rebirth command come back from a recording byte for byte.
    #[test]
    fn binary_payloads_and_commands_replay_exactly() {
        use crate::source::replay::{parse_line, Line};
        let births = [
            crate::decode::sparkplug::rebirth_request(1_764_583_200_000),
            vec![0x08, 0x00, 0x18, 0x00],
            vec![0x12, 0x02, 0x08, 0xff],
        ];
        for bytes in births {
            let m = Message::new(t0(), "spBv1.0/plant/NBIRTH/edge1", bytes.clone());
            match parse_line(&line(&Event::Message(m))).unwrap() {
                Line::Event(Event::Message(back)) => assert_eq!(back.payload.as_ref(), &bytes[..]),
                other => panic!("{other:?}"),
            }
        }
        let cmd = crate::outputs::commands::Templates::rebirth("plant", "edge1", t0());
        let bytes = cmd.binary.clone().unwrap();
        let ev = Event::Command(CommandEvent {
            at: t0(),
            command: cmd,
            outcome: crate::source::event::Outcome::Sent,
        });
        let l = line(&ev);
        assert!(l.contains("payload_b64"), "{l}");
        match parse_line(&l).unwrap() {
            Line::Event(Event::Command(c)) => assert_eq!(c.command.binary, Some(bytes)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn lines_follow_the_interface() {
        let mut m = Message::new(t0(), "home/living-room-01/status", b"online".to_vec());
        m.qos = 1;
        m.retain = true;
        assert_eq!(
            line(&Event::Message(m)),
            r#"{"t":"2026-11-21T12:00:00.512Z","topic":"home/living-room-01/status","qos":1,"retain":true,"payload":"online"}"#
        );
        let bin = Message::new(t0(), "bin/blob", vec![0u8, 1, 2, 0xff]);
        assert_eq!(
            line(&Event::Message(bin)),
            r#"{"t":"2026-11-21T12:00:00.512Z","topic":"bin/blob","qos":0,"retain":false,"payload_b64":"AAEC/w=="}"#
        );
        let cmd = Event::Command(CommandEvent {
            at: t0(),
            command: Command {
                id: 7,
                topic: "/s2/reset".into(),
                payload: r#"{"command":"RESET"}"#.into(),
                qos: 1,
                retain: false,
                binary: None,
            },
            outcome: Outcome::Acknowledged,
        });
        assert_eq!(
            line(&cmd),
            r#"{"t":"2026-11-21T12:00:00.512Z","dir":"out","topic":"/s2/reset","qos":1,"retain":false,"payload":"{\"command\":\"RESET\"}","id":7,"outcome":"acknowledged"}"#
        );
        let conn = Event::Connection(ConnEvent {
            at: t0(),
            resumed: false,
            state: ConnState::Reconnecting {
                reason: "connection reset by peer".into(),
                retry_in: Duration::from_secs(1),
            },
        });
        assert_eq!(
            line(&conn),
            r#"{"t":"2026-11-21T12:00:00.512Z","event":"disconnected","detail":"connection reset by peer; retry in 1.0 s"}"#
        );
        assert_eq!(
            header(t0(), "mqtt://localhost:1883", &["#".into()]),
            r##"{"twinview":"recording","version":1,"started":"2026-11-21T12:00:00.512Z","source":"mqtt://localhost:1883","filters":["#"]}"##
        );
    }
}
