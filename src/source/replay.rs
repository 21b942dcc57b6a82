//! Replay: reading recordings (twinview's own JSON Lines, and `mosquitto_sub -F %j` / `%J`
//! output) back into events, and the replay clock the UI runs on.

use std::io::{BufRead, Read};
use std::path::Path;
use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::value::RawValue;
use std::borrow::Cow;

use super::record::RESUMED;
use crate::error::AppError;
use crate::source::event::{Command, CommandEvent, ConnEvent, ConnState, Event, Message, Outcome};

/// What a line held.
#[derive(Debug, Clone, PartialEq)]
pub enum Line {
    /// twinview's header: the source it recorded.
    Header {
        source: Option<String>,
    },
    Event(Event),
    /// The session ended here (twinview's closing line).
    End(DateTime<Utc>),
}

/// The time an event happened.
pub fn event_time(ev: &Event) -> DateTime<Utc> {
    match ev {
        Event::Message(m) => m.at,
        Event::Connection(c) => c.at,
        Event::Command(c) => c.at,
    }
}

/// `2026-11-21T12:00:00.512Z`, or Mosquitto's `2026-11-22T00:08:03.967755Z+0000`.
fn parse_time(s: Option<&str>) -> Result<DateTime<Utc>, String> {
    let s = s.ok_or("no time (`t` or `tst`)")?;
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.fZ%z")
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("`{s}` is not a time"))
}

/// `retain` as twinview writes it (`true`) or as Mosquitto does (`1`).
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum Flag {
    Bool(bool),
    Num(u64),
}

/// Every field any supported line may carry, borrowed from the line where it can be: one
/// typed parse per line instead of building a `serde_json::Value`.
#[derive(serde::Deserialize)]
struct RawLine<'a> {
    #[serde(borrow)]
    twinview: Option<Cow<'a, str>>,
    #[serde(borrow)]
    source: Option<Cow<'a, str>>,
    #[serde(borrow)]
    t: Option<Cow<'a, str>>,
    #[serde(borrow)]
    tst: Option<Cow<'a, str>>,
    #[serde(borrow)]
    event: Option<Cow<'a, str>>,
    #[serde(borrow)]
    detail: Option<Cow<'a, str>>,
    #[serde(borrow)]
    topic: Option<Cow<'a, str>>,
    qos: Option<u64>,
    retain: Option<Flag>,
    #[serde(borrow)]
    dir: Option<Cow<'a, str>>,
    id: Option<u64>,
    #[serde(borrow)]
    outcome: Option<Cow<'a, str>>,
    #[serde(borrow)]
    payload: Option<&'a RawValue>,
    #[serde(borrow)]
    payload_b64: Option<Cow<'a, str>>,
}

/// Parses one line. Errors say what is wrong, for the "line N: …" report.
pub fn parse_line(text: &str) -> Result<Line, String> {
    match parse_own_line(text) {
        Some(line) => Ok(line),
        None => parse_any_line(text),
    }
}

/// Every line format, through serde_json.
fn parse_any_line(text: &str) -> Result<Line, String> {
    let raw: RawLine = serde_json::from_str(text).map_err(|e| {
        if e.is_eof() {
            "truncated line".to_string()
        } else if e.is_data() {
            format!("unexpected content ({e})")
        } else {
            format!("not JSON ({e})")
        }
    })?;
    if raw.twinview.as_deref() == Some("recording") {
        return Ok(Line::Header {
            source: raw.source.map(Cow::into_owned),
        });
    }
    let at = parse_time(raw.t.as_deref().or(raw.tst.as_deref()))?;
    if let Some(event) = raw.event.as_deref() {
        let detail = raw.detail.map(Cow::into_owned).unwrap_or_default();
        let resumed = event == "connected" && detail == RESUMED;
        let state = match event {
            "connecting" => ConnState::Connecting,
            "connected" => ConnState::Connected,
            "disconnected" => ConnState::Reconnecting {
                reason: detail,
                retry_in: Duration::ZERO,
            },
            "refused" => ConnState::Refused {
                reason: detail,
                retry_in: Duration::ZERO,
            },
            "end" => return Ok(Line::End(at)),
            other => return Err(format!("unknown event `{other}`")),
        };
        return Ok(Line::Event(Event::Connection(ConnEvent {
            at,
            state,
            resumed,
        })));
    }
    let topic = raw.topic.ok_or("no topic")?.into_owned();
    let payload: Bytes = match (raw.payload, raw.payload_b64) {
        (_, Some(b64)) => base64::engine::general_purpose::STANDARD
            .decode(b64.as_bytes())
            .map_err(|e| format!("bad payload_b64: {e}"))?
            .into(),
        (Some(p), None) => {
            let text = p.get();
            if text.starts_with('"') {
                Bytes::from(unescape(text).ok_or("bad payload: not a valid JSON string")?)
            } else {
                // mosquitto_sub -F %J embeds JSON payloads as JSON: keep their text.
                Bytes::copy_from_slice(text.as_bytes())
            }
        }
        (None, None) => Bytes::new(),
    };
    let qos = match raw.qos {
        None => 0,
        Some(q) if q <= 2 => q as u8,
        Some(q) => return Err(format!("bad qos {q}")),
    };
    let retain = match raw.retain {
        Some(Flag::Bool(b)) => b,
        Some(Flag::Num(n)) => n != 0,
        None => false,
    };
    if raw.dir.as_deref() == Some("out") {
        let outcome = match raw.outcome.as_deref() {
            Some("acknowledged") => Outcome::Acknowledged,
            Some(f) if f.starts_with("failed") => Outcome::Failed(
                f.trim_start_matches("failed")
                    .trim_start_matches(':')
                    .trim()
                    .to_string(),
            ),
            _ => Outcome::Sent,
        };
        return Ok(Line::Event(Event::Command(CommandEvent {
            at,
            command: Command {
                id: raw.id.unwrap_or(0),
                topic,
                payload: String::from_utf8_lossy(&payload).into_owned(),
                qos,
                retain,
                binary: std::str::from_utf8(&payload)
                    .is_err()
                    .then(|| payload.to_vec()),
            },
            outcome,
        })));
    }
    Ok(Line::Event(Event::Message(Message {
        source: crate::source::event::SourceId::MAIN,
        at,
        topic,
        payload,
        qos,
        retain,
    })))
}

/// The bytes of a JSON string literal (quotes included), written straight into one buffer of the
/// right size: the payload of every recorded message passes through here. `None` for a bad
/// escape or a lone UTF-16 surrogate, which no text can hold.
fn unescape(literal: &str) -> Option<Vec<u8>> {
    let body = literal.as_bytes().strip_prefix(b"\"")?;
    let (out, used) = unescape_str(body)?;
    (used == body.len()).then_some(out)
}

/// Unescapes a JSON string from just after its opening quote up to its closing quote. Returns
/// the bytes and how much of `s` they took, closing quote included; `None` for a bad escape, a
/// lone surrogate or a missing closing quote. Control characters are the caller's to refuse.
fn unescape_str(s: &[u8]) -> Option<(Vec<u8>, usize)> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    loop {
        let at = memchr::memchr2(b'"', b'\\', &s[i..])?;
        out.extend_from_slice(&s[i..i + at]);
        i += at;
        if s[i] == b'"' {
            return Some((out, i + 1));
        }
        i += 1;
        let c = *s.get(i)?;
        i += 1;
        let byte = match c {
            b'"' | b'\\' | b'/' => c,
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => {
                let hex = |at: usize| {
                    let digits = s.get(at..at + 4)?;
                    if !digits.iter().all(u8::is_ascii_hexdigit) {
                        return None;
                    }
                    u32::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()
                };
                let hi = hex(i)?;
                i += 4;
                let code = if (0xD800..0xDC00).contains(&hi) {
                    // A high surrogate must be followed by `\u` and a low one.
                    if s.get(i..i + 2)? != b"\\u" {
                        return None;
                    }
                    let lo = hex(i + 2)?;
                    if !(0xDC00..0xE000).contains(&lo) {
                        return None;
                    }
                    i += 6;
                    0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                } else {
                    hi
                };
                let ch = char::from_u32(code)?;
                out.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes());
                continue;
            }
            _ => return None,
        };
        out.push(byte);
    }
}

/// A received message exactly as twinview's recorder writes it —
/// `{"t":"2026-11-21T12:00:00.512Z","topic":"…","qos":0,"retain":false,"payload":"…"}` — read
/// without a JSON parser, at about a third of the cost. `None` for anything else, including
/// anything unusual inside that shape (escapes in the topic, control characters, another time
/// format, a binary payload); the general parse then decides, so this only ever accepts text
/// that is valid JSON and means what it reads as.
fn parse_own_line(text: &str) -> Option<Line> {
    let b = text.as_bytes();
    if b.iter().any(|&c| c < 0x20) {
        return None;
    }
    let rest = b.strip_prefix(br#"{"t":""#)?;
    let at = fixed_time(rest.get(..24)?)?;
    let rest = rest[24..].strip_prefix(br#"","topic":""#)?;
    let end = memchr::memchr2(b'"', b'\\', rest)?;
    if rest[end] != b'"' {
        return None;
    }
    let topic = std::str::from_utf8(&rest[..end]).ok()?;
    let rest = rest[end + 1..].strip_prefix(br#","qos":"#)?;
    let qos = match rest.first()? {
        b @ b'0'..=b'2' => b - b'0',
        _ => return None,
    };
    let rest = rest[1..].strip_prefix(br#","retain":"#)?;
    let (retain, rest) = match rest.strip_prefix(b"true") {
        Some(r) => (true, r),
        None => (false, rest.strip_prefix(b"false")?),
    };
    let rest = rest.strip_prefix(br#","payload":""#)?;
    let (payload, used) = unescape_str(rest)?;
    if &rest[used..] != b"}" {
        return None;
    }
    Some(Line::Event(Event::Message(Message {
        source: crate::source::event::SourceId::MAIN,
        at,
        topic: topic.to_string(),
        payload: payload.into(),
        qos,
        retain,
    })))
}

/// `2026-11-21T12:00:00.512Z`, the recorder's time format, read by position.
fn fixed_time(t: &[u8]) -> Option<DateTime<Utc>> {
    let n = |range: std::ops::Range<usize>| -> Option<u32> {
        t[range].iter().try_fold(0u32, |acc, &d| {
            d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0'))
        })
    };
    let seps = [
        (4, b'-'),
        (7, b'-'),
        (10, b'T'),
        (13, b':'),
        (16, b':'),
        (19, b'.'),
        (23, b'Z'),
    ];
    if t.len() != 24 || seps.iter().any(|&(i, c)| t[i] != c) {
        return None;
    }
    let date = chrono::NaiveDate::from_ymd_opt(n(0..4)? as i32, n(5..7)?, n(8..10)?)?;
    let time = date.and_hms_milli_opt(n(11..13)?, n(14..16)?, n(17..19)?, n(20..23)?)?;
    Some(time.and_utc())
}

/// A recording read whole (for the UI, which seeks).
#[derive(Debug, Default)]
pub struct Recording {
    pub source: Option<String>,
    /// When the session ended, if the recording says.
    pub end: Option<DateTime<Utc>>,
    pub events: Vec<Event>,
    /// (line number, reason) of every line skipped.
    pub skipped: Vec<(usize, String)>,
}

/// What reading a file found besides its events.
#[derive(Debug, Default)]
pub struct Summary {
    pub source: Option<String>,
    pub end: Option<DateTime<Utc>>,
    /// (line number, reason) of every line skipped.
    pub skipped: Vec<(usize, String)>,
}

/// The longest line a recording may hold: a 16 MiB payload as base64 with its JSON around it.
pub const MAX_LINE: usize = 24 << 20;

/// Reads and drops bytes up to and including the next newline (or the end of the file).
fn skip_line(reader: &mut impl std::io::BufRead) -> std::io::Result<()> {
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok(());
        }
        match memchr::memchr(b'\n', buf) {
            Some(i) => {
                reader.consume(i + 1);
                return Ok(());
            }
            None => {
                let n = buf.len();
                reader.consume(n);
            }
        }
    }
}

/// Calls `f` for every event of the file in order; bad lines are reported (logged, and
/// returned as `(line, reason)`) and skipped. Errors only when the file cannot be read.
pub fn for_each(path: &Path, mut f: impl FnMut(Event)) -> Result<Summary, AppError> {
    let file = std::fs::File::open(path)
        .map_err(|e| AppError::File(format!("cannot read recording {}: {e}", path.display())))?;
    let mut reader = std::io::BufReader::with_capacity(1 << 18, file);
    let mut source = None;
    let mut end = None;
    let mut skipped = Vec::new();
    // Only for a line that straddles the end of the reader's buffer; the others are parsed
    // where they lie.
    let mut carry = Vec::new();
    let mut n = 0usize;
    let mut events = 0usize;
    let failed = |e: std::io::Error| {
        AppError::File(format!("cannot read recording {}: {e}", path.display()))
    };
    loop {
        let buf = reader.fill_buf().map_err(failed)?;
        if buf.is_empty() {
            break;
        }
        let (line, used) = match memchr::memchr(b'\n', buf) {
            Some(i) => (&buf[..i], i + 1),
            None => {
                carry.clear();
                let got = (&mut reader)
                    .take(MAX_LINE as u64 + 1)
                    .read_until(b'\n', &mut carry)
                    .map_err(failed)?;
                if got > MAX_LINE {
                    // Longer than any line a recording holds: not a recording at all when
                    // nothing was read yet (`/dev/zero`), else skip to the next line.
                    n += 1;
                    if events == 0 {
                        return Err(AppError::File(format!(
                            "{} is not a recording: line {n} is longer than {} MiB",
                            path.display(),
                            MAX_LINE >> 20
                        )));
                    }
                    skipped.push((n, format!("longer than {} MiB", MAX_LINE >> 20)));
                    if !carry.ends_with(b"\n") {
                        skip_line(&mut reader).map_err(failed)?;
                    }
                    continue;
                }
                (&carry[..], 0)
            }
        };
        n += 1;
        match std::str::from_utf8(line) {
            Err(_) => skipped.push((n, "not UTF-8".to_string())),
            Ok(text) => match text.trim() {
                "" => {}
                text => match parse_line(text) {
                    Ok(Line::Header { source: s }) => source = source.or(s),
                    Ok(Line::Event(ev)) => {
                        events += 1;
                        f(ev)
                    }
                    Ok(Line::End(at)) => end = Some(at),
                    Err(why) => skipped.push((n, why)),
                },
            },
        }
        reader.consume(used);
    }
    for (line, why) in &skipped {
        log::warn!("{}: line {line} skipped: {why}", path.display());
    }
    if events == 0 {
        return Err(AppError::File(format!(
            "{} holds no event to replay ({} line{} skipped)",
            path.display(),
            skipped.len(),
            if skipped.len() == 1 { "" } else { "s" }
        )));
    }
    Ok(Summary {
        source,
        end,
        skipped,
    })
}

pub fn read(path: &Path) -> Result<Recording, AppError> {
    let mut events = Vec::new();
    let summary = for_each(path, |e| events.push(e))?;
    // Files captured by other tools may be slightly out of order; replay needs time order.
    events.sort_by_key(event_time);
    // A recording with no connection line before its first message (a simulated world's,
    // `mosquitto_sub`'s) was connected when that message came: the replay says so, not
    // "connecting" for as long as it plays.
    let first = events.iter().position(|e| matches!(e, Event::Message(_)));
    if let Some(i) = first.filter(|&i| {
        !events[..i]
            .iter()
            .any(|e| matches!(e, Event::Connection(_)))
    }) {
        let at = event_time(&events[i]);
        events.insert(
            i,
            Event::Connection(ConnEvent {
                at,
                state: ConnState::Connected,
                resumed: false,
            }),
        );
    }
    Ok(Recording {
        source: summary.source,
        end: summary.end,
        events,
        skipped: summary.skipped,
    })
}

/// Replay speeds; the last one is "as fast as possible".
pub const SPEEDS: [f64; 10] = [
    0.25,
    0.5,
    1.0,
    2.0,
    4.0,
    8.0,
    16.0,
    32.0,
    64.0,
    f64::INFINITY,
];

/// The replay's own clock: where in the recording it is, how fast it moves, paused or not.
/// Driven by the wall-clock time the caller measures, so tests move it without sleeping.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplayClock {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub position: DateTime<Utc>,
    pub speed: usize,
    pub paused: bool,
}

impl ReplayClock {
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>, speed: f64) -> ReplayClock {
        let speed = SPEEDS
            .iter()
            .position(|s| *s >= speed)
            .unwrap_or(SPEEDS.len() - 1);
        ReplayClock {
            start,
            end: end.max(start),
            position: start,
            speed,
            paused: false,
        }
    }

    pub fn speed(&self) -> f64 {
        SPEEDS[self.speed]
    }

    /// Moves on by `wall` real time at the current speed.
    pub fn advance(&mut self, wall: Duration) {
        if self.paused || self.position >= self.end {
            return;
        }
        let s = self.speed();
        self.position = if s.is_infinite() {
            self.end
        } else {
            let ms = (wall.as_secs_f64() * s * 1000.0) as i64;
            (self.position + TimeDelta::milliseconds(ms)).min(self.end)
        };
    }

    pub fn seek(&mut self, secs: i64) {
        self.position = (self.position + TimeDelta::seconds(secs)).clamp(self.start, self.end);
    }

    pub fn home(&mut self) {
        self.position = self.start;
    }

    pub fn to_end(&mut self) {
        self.position = self.end;
    }

    pub fn faster(&mut self) {
        self.speed = (self.speed + 1).min(SPEEDS.len() - 1);
    }

    pub fn slower(&mut self) {
        self.speed = self.speed.saturating_sub(1);
    }

    pub fn finished(&self) -> bool {
        self.position >= self.end
    }

    /// 0–1.
    pub fn progress(&self) -> f64 {
        let total = (self.end - self.start).num_milliseconds();
        if total <= 0 {
            1.0
        } else {
            (self.position - self.start).num_milliseconds() as f64 / total as f64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn msg(l: &Line) -> &Message {
        match l {
            Line::Event(Event::Message(m)) => m,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn twinview_lines() {
        assert_eq!(
            parse_line(
                r##"{"twinview":"recording","version":1,"started":"2026-11-21T12:00:00.000Z","source":"mqtt://localhost:1883","filters":["#"]}"##
            ),
            Ok(Line::Header {
                source: Some("mqtt://localhost:1883".into())
            })
        );
        let l = parse_line(r#"{"t":"2026-11-21T12:00:00.512Z","topic":"home/living-room-01/status","qos":1,"retain":true,"payload":"online"}"#).unwrap();
        let m = msg(&l);
        assert_eq!(
            (m.topic.as_str(), m.qos, m.retain),
            ("home/living-room-01/status", 1, true)
        );
        assert_eq!(&m.payload[..], b"online");
        assert_eq!(m.at.timestamp_millis() % 1000, 512);
        let l = parse_line(r#"{"t":"2026-11-21T12:00:01.003Z","topic":"bin/blob","qos":0,"retain":false,"payload_b64":"AAEC"}"#).unwrap();
        assert_eq!(&msg(&l).payload[..], &[0u8, 1, 2]);
        match parse_line(r#"{"t":"2026-11-21T12:00:02.000Z","dir":"out","topic":"/s2/reset","qos":1,"retain":false,"payload":"{\"command\":\"RESET\"}"}"#).unwrap() {
            Line::Event(Event::Command(c)) => {
                assert_eq!(c.command.topic, "/s2/reset");
                assert_eq!(c.outcome, Outcome::Sent);
            }
            other => panic!("{other:?}"),
        }
        match parse_line(r#"{"t":"2026-11-21T12:00:03.000Z","event":"disconnected","detail":"connection reset by peer"}"#).unwrap() {
            Line::Event(Event::Connection(c)) => assert!(matches!(c.state, ConnState::Reconnecting { ref reason, .. } if reason == "connection reset by peer")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn mosquitto_sub_lines() {
        // -F %j as Mosquitto 2.0 writes it.
        let l = parse_line(r#"{"tst":"2026-11-22T00:08:03.967755Z+0000","topic":"/living_room/temperature/s1","qos":0,"retain":0,"payloadlen":4,"payload":"21.5"}"#).unwrap();
        let m = msg(&l);
        assert_eq!(
            m.at,
            Utc.with_ymd_and_hms(2026, 11, 22, 0, 8, 3).unwrap() + TimeDelta::microseconds(967_755)
        );
        assert_eq!(&m.payload[..], b"21.5");
        // -F %J embeds a JSON payload as JSON.
        let l = parse_line(r#"{"tst":"2026-11-22T00:08:04.000000Z+0000","topic":"home/x/sensors","qos":1,"retain":1,"payloadlen":12,"payload":{"humidity":45.2}}"#).unwrap();
        let m = msg(&l);
        assert_eq!(&m.payload[..], br#"{"humidity":45.2}"#);
        assert!(m.retain);
    }

    #[test]
    fn payload_strings_unescape_as_serde_json_does() {
        for text in [
            "plain",
            "",
            r#"{"value":22.5,"unit":"°C"}"#,
            "tab\there \\ back/slash \u{1} \u{1f} é 😀 \u{7f}",
            "line\nbreak\r\u{8}\u{c}",
        ] {
            let literal = serde_json::to_string(text).unwrap();
            assert_eq!(
                unescape(&literal).as_deref(),
                Some(text.as_bytes()),
                "{literal}"
            );
        }
        // Escapes serde_json never writes but other tools do.
        assert_eq!(
            unescape(r#""\u00e9\/\ud83d\ude00""#).unwrap(),
            "é/😀".as_bytes()
        );
        for bad in [
            r#""\ud83d""#,
            r#""\ud83dx""#,
            r#""\ude00""#,
            r#""\q""#,
            r#""\u12""#,
        ] {
            assert_eq!(unescape(bad), None, "{bad}");
        }
    }

    #[test]
    fn bad_lines_say_why() {
        assert_eq!(
            parse_line(r#"{"t":"2026-11-21T12:00:00.512Z","topic":"a","#),
            Err("truncated line".into())
        );
        assert!(parse_line("garbage").unwrap_err().starts_with("not JSON"));
        assert_eq!(
            parse_line(r#"{"topic":"a","payload":"1"}"#),
            Err("no time (`t` or `tst`)".into())
        );
        assert_eq!(
            parse_line(r#"{"t":"2026-11-21T12:00:00Z","payload":"1"}"#),
            Err("no topic".into())
        );
        assert!(parse_line(r#"{"t":"yesterday","topic":"a"}"#).is_err());
        assert!(parse_line(r#"{"t":"2026-11-21T12:00:00Z","topic":"a","qos":7}"#).is_err());
    }

    #[test]
    fn files_larger_than_the_read_buffer_lose_no_line() {
        // ~1.2 MB: many lines straddle the 256 KiB buffer's end; one is broken, the last has no
        // newline, and a blank line and a CRLF line are in the middle.
        let path = std::env::temp_dir().join(format!("twinview-big-{}.jsonl", std::process::id()));
        let mut text = String::new();
        for i in 0..4000 {
            let pad = "x".repeat(i % 500);
            text.push_str(&format!(
                r#"{{"t":"2026-11-21T12:00:00Z","topic":"s/{i}","payload":"{i}","note":"{pad}"}}"#
            ));
            text.push_str(match i {
                1000 => "\r\n\n",
                _ => "\n",
            });
            if i == 2000 {
                text.push_str("{\"t\":\"2026-11-21T12:00:00Z\",\"topic\n");
            }
        }
        text.pop();
        std::fs::write(&path, &text).unwrap();
        let mut topics = Vec::new();
        let summary = for_each(&path, |ev| {
            if let Event::Message(m) = ev {
                topics.push(m.topic);
            }
        })
        .unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(topics.len(), 4000);
        assert!(topics
            .iter()
            .enumerate()
            .all(|(i, t)| *t == format!("s/{i}")));
        // Lines: 4000 events + 1 blank + 1 broken; the broken one follows event 2000.
        assert_eq!(summary.skipped.len(), 1);
        assert_eq!(summary.skipped[0].0, 2003);
    }

    #[test]
    fn a_recording_without_connection_lines_was_connected_at_its_first_message() {
        let path = |name: &str| {
            std::env::temp_dir().join(format!("twinview-conn-{name}-{}.jsonl", std::process::id()))
        };
        let states = |text: &str, name: &str| {
            let p = path(name);
            std::fs::write(&p, text).unwrap();
            let r = read(&p).unwrap();
            std::fs::remove_file(&p).unwrap();
            r.events
                .iter()
                .map(|e| match e {
                    Event::Connection(c) => format!("{:?}@{}", c.state, c.at.timestamp()),
                    Event::Message(m) => m.topic.clone(),
                    Event::Command(_) => "command".into(),
                })
                .collect::<Vec<_>>()
        };
        // A simulated world's recording, or `mosquitto_sub`'s: messages only.
        let bare = concat!(
            r##"{"twinview":"recording","version":1,"started":"2026-11-21T12:00:00Z","source":"sim","filters":["#"]}"##,
            "\n",
            r#"{"t":"2026-11-21T12:00:05Z","topic":"a","payload":"1"}"#,
            "\n",
            r#"{"t":"2026-11-21T12:00:06Z","topic":"b","payload":"2"}"#,
            "\n"
        );
        assert_eq!(states(bare, "bare"), ["Connected@1795262405", "a", "b"]);
        // A session's own recording says when it connected: nothing is added.
        let own = concat!(
            r#"{"t":"2026-11-21T12:00:00Z","event":"connecting"}"#,
            "\n",
            r#"{"t":"2026-11-21T12:00:01Z","event":"connected"}"#,
            "\n",
            r#"{"t":"2026-11-21T12:00:05Z","topic":"a","payload":"1"}"#,
            "\n"
        );
        assert_eq!(
            states(own, "own"),
            ["Connecting@1795262400", "Connected@1795262401", "a"]
        );
    }

    #[test]
    fn own_lines_take_the_short_path_and_read_the_same() {
        let line = r#"{"t":"2026-11-21T12:00:00.512Z","topic":"a/b","qos":1,"retain":true,"payload":"{\"v\":1}"}"#;
        let fast = parse_own_line(line).expect("the recorder's shape");
        assert_eq!(Ok(fast), parse_any_line(line));
        // What the recorder writes for an ordinary reading is that shape.
        let at = Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0).unwrap() + TimeDelta::milliseconds(7);
        let ev = Event::Message(Message::new(at, "lab/s1/temperature", r#"{"value":22.5}"#));
        let written = crate::source::record::line(&ev);
        assert_eq!(parse_own_line(written.trim()), Some(Line::Event(ev)));
        // Shapes it leaves to the general parse, which still reads them.
        for other in [
            r#"{"t":"2026-11-21T12:00:00Z","topic":"a","qos":0,"retain":false,"payload":"1"}"#,
            r#"{"t":"2026-11-21T12:00:00.512Z","topic":"a\/b","qos":0,"retain":false,"payload":"1"}"#,
            r#"{"t":"2026-11-21T12:00:00.512Z","topic":"a","qos":0,"retain":false,"payload_b64":"AAE="}"#,
            r#"{"t":"2026-11-21T12:00:00.512Z","topic":"a","qos":0,"retain":false,"payload":"1","x":1}"#,
            r#"{"t":"2026-11-21T12:00:00.512Z","topic":"a","qos":0,"retain":0,"payload":"1"}"#,
        ] {
            assert_eq!(parse_own_line(other), None, "{other}");
            assert!(parse_line(other).is_ok(), "{other}");
        }
        // Not JSON, whatever it looks like: both refuse.
        for bad in [
            "{\"t\":\"2026-11-21T12:00:00.512Z\",\"topic\":\"a\",\"qos\":0,\"retain\":false,\"payload\":\"1\u{1}\"}",
            r#"{"t":"2026-11-21T12:00:00.512Z","topic":"a","qos":0,"retain":false,"payload":"1\q"}"#,
            r#"{"t":"2026-11-21T12:00:00.512Z","topic":"a","qos":0,"retain":false,"payload":"1"} x"#,
            r#"{"t":"2026-02-30T12:00:00.512Z","topic":"a","qos":0,"retain":false,"payload":"1"}"#,
        ] {
            assert_eq!(parse_own_line(bad), None, "{bad}");
            assert!(parse_line(bad).is_err(), "{bad}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(crate::testing::cases(512)))]
        /// Whatever the recorder writes reads back through the short path exactly as the
        /// general parse reads it, and arbitrary text never makes the two disagree.
        #[test]
        fn short_path_agrees_with_serde(
            topic in "\\PC{0,40}",
            payload in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..80),
            text in "\\PC{0,60}",
            millis in 0i64..4_102_444_800_000,
            qos in 0u8..3,
            retain in proptest::prelude::any::<bool>(),
        ) {
            let at = DateTime::from_timestamp_millis(millis).unwrap();
            for payload in [payload, text.into_bytes()] {
                let ev = Event::Message(Message { source: crate::source::event::SourceId::MAIN, at, topic: topic.clone(), payload: payload.into(), qos, retain });
                let line = crate::source::record::line(&ev);
                let general = parse_any_line(line.trim());
                proptest::prop_assert_eq!(&general, &Ok(Line::Event(ev.clone())));
                if let Some(fast) = parse_own_line(line.trim()) {
                    proptest::prop_assert_eq!(Ok(fast), general);
                }
            }
        }

        #[test]
        fn short_path_never_accepts_what_serde_refuses(line in "\\{\"t\":\"2026-11-21T12:00:00\\.512Z\",\"topic\":\"[a-z\"\\\\/]{0,4}\",\"qos\":[0-3],\"retain\":(true|false),\"payload\":\"[ -~\u{1}é]{0,12}\"\\}[ x]{0,1}") {
            if let Some(fast) = parse_own_line(&line) {
                proptest::prop_assert_eq!(Ok(fast), parse_any_line(&line));
            }
        }
    }

    #[test]
    fn clock_speed_pause_seek() {
        let t0 = Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0).unwrap();
        let mut c = ReplayClock::new(t0, t0 + TimeDelta::seconds(100), 1.0);
        c.advance(Duration::from_secs(2));
        assert_eq!(c.position, t0 + TimeDelta::seconds(2));
        c.faster();
        c.faster();
        assert_eq!(c.speed(), 4.0);
        c.advance(Duration::from_millis(500));
        assert_eq!(c.position, t0 + TimeDelta::seconds(4));
        c.paused = true;
        c.advance(Duration::from_secs(10));
        assert_eq!(c.position, t0 + TimeDelta::seconds(4));
        c.paused = false;
        c.seek(-10);
        assert_eq!(c.position, t0);
        c.seek(30);
        assert_eq!(c.progress(), 0.3);
        for _ in 0..3 {
            c.slower();
        }
        assert_eq!(c.speed(), 0.5);
        for _ in 0..20 {
            c.slower();
        }
        assert_eq!(c.speed(), 0.25);
        for _ in 0..20 {
            c.faster();
        }
        assert!(c.speed().is_infinite());
        c.advance(Duration::from_millis(1));
        assert!(c.finished());
        c.home();
        assert_eq!(c.position, t0);
        c.to_end();
        assert_eq!(c.progress(), 1.0);
        assert_eq!(ReplayClock::new(t0, t0, 3.0).speed(), 4.0);
    }
}
