//! `--store`: history in a database (docs/store.md). SQLite by default (a file, nothing to
//! install: rusqlite with its bundled SQLite).
//!
//! The store is an [`Output`]: fed after every batch and tick, it hands the rows to a writer
//! thread through a queue bounded in readings ([`MAX_QUEUED`]); what does not fit is counted
//! as lost, never waited for. The writer commits whatever has gathered in one transaction, so
//! at most what arrived since the last commit (well under a second when the database keeps up)
//! is lost to a SIGKILL. When the database fails, the writer keeps its rows, retries with a
//! growing pause (at most [`RETRY_AT_MOST`]) and resumes by itself; meanwhile the queue fills
//! and the loss past it is counted. It also keeps one-minute rollups and prunes what is older
//! than the retention times.

pub mod postgres;
pub mod sqlite;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use super::{Health, News, Output, Wants};
use crate::error::AppError;
use crate::twin::kept::{ReadingRow, SeriesRow, StateRow};
use crate::twin::Twin;

/// Raw readings kept by default (back from the newest stored reading).
pub const DEFAULT_KEEP_RAW: Duration = Duration::from_secs(7 * 86_400);
/// One-minute rollups kept by default.
pub const DEFAULT_KEEP_ROLLUPS: Duration = Duration::from_secs(365 * 86_400);
/// Rows waiting for the writer at most (readings, states and happenings alike): about 40 MB.
pub const MAX_QUEUED: u64 = 1_000_000;
/// The longest pause between two attempts while the database fails.
pub const RETRY_AT_MOST: Duration = Duration::from_secs(5);
/// How long the end of a run waits for a failing database before counting the rest as lost.
pub const GIVE_UP_AFTER: Duration = Duration::from_secs(10);
/// How much history a restart restores at most.
pub const RESTORE_SPAN: Duration = Duration::from_secs(3600);
pub const RESTORE_AT_MOST: usize = 500_000;

/// Where the history goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Sqlite(PathBuf),
    Postgres(postgres::PgTarget),
}

impl Target {
    /// `--store` as given: `postgres://[USER@]HOST[:PORT][/DB]`, else a file path (SQLite).
    pub fn parse(text: &str) -> Result<Target, String> {
        let t = text.trim();
        if t.is_empty() {
            return Err("--store needs a file path or a postgres:// URL".into());
        }
        if t.starts_with("postgres://") || t.starts_with("postgresql://") {
            return postgres::PgTarget::parse(t).map(Target::Postgres);
        }
        Ok(Target::Sqlite(PathBuf::from(t)))
    }

    /// As shown in the header, the snapshot and the log (never with a password).
    pub fn describe(&self) -> String {
        match self {
            Target::Sqlite(p) => format!("sqlite:{}", p.display()),
            Target::Postgres(pg) => pg.describe(),
        }
    }
}

/// `--store` and its companions, resolved.
#[derive(Debug, Clone)]
pub struct StoreSettings {
    pub target: Target,
    pub keep_raw: Duration,
    pub keep_rollups: Duration,
    /// Restore the recent history into the twin at start (`--no-restore` turns it off).
    pub restore: bool,
    /// How often the writer prunes and closes the rollups of series gone quiet.
    pub maintain_every: Duration,
    /// Rows waiting for the writer at most ([`MAX_QUEUED`]; smaller in tests).
    pub queue: u64,
    /// How long the end of a run waits for a failing database ([`GIVE_UP_AFTER`]).
    pub give_up: Duration,
    /// Wait for room in the queue rather than count a loss (a headless replay: its loop
    /// keeps up with no broker, so it may as well wait; at most [`StoreSettings::give_up`]
    /// per batch).
    pub wait_when_full: bool,
}

impl StoreSettings {
    pub fn new(target: Target) -> StoreSettings {
        StoreSettings {
            target,
            keep_raw: DEFAULT_KEEP_RAW,
            keep_rollups: DEFAULT_KEEP_ROLLUPS,
            restore: true,
            maintain_every: Duration::from_secs(60),
            queue: MAX_QUEUED,
            give_up: GIVE_UP_AFTER,
            wait_when_full: false,
        }
    }
}

/// One happening as stored: time, type, what it is about (device, topic or job), its JSON line.
#[derive(Debug, Clone)]
pub struct HappeningRow {
    pub t_ms: i64,
    pub kind: &'static str,
    pub subject: Option<String>,
    pub line: String,
}

/// What the loop hands the writer in one feed.
#[derive(Debug, Default)]
struct Batch {
    series: Vec<SeriesRow>,
    readings: Vec<ReadingRow>,
    states: Vec<StateRow>,
    happenings: Vec<HappeningRow>,
}

impl Batch {
    fn rows(&self) -> u64 {
        (self.readings.len() + self.states.len() + self.happenings.len()) as u64
    }
}

/// A one-minute rollup of one series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rollup {
    pub series: i64,
    /// Epoch minutes.
    pub minute: i64,
    pub count: u64,
    pub mean: f64,
    pub min: f64,
    pub max: f64,
    pub last: f64,
}

impl Rollup {
    fn of(series: i64, minute: i64, v: f64) -> Rollup {
        Rollup {
            series,
            minute,
            count: 1,
            mean: v,
            min: v,
            max: v,
            last: v,
        }
    }

    fn add(&mut self, v: f64) {
        self.count += 1;
        self.mean += (v - self.mean) / self.count as f64;
        self.min = self.min.min(v);
        self.max = self.max.max(v);
        self.last = v;
    }
}

/// A database the writer can write to. Each call is one transaction: all or nothing.
pub trait Backend: Send {
    /// The store's ids of these series (inserted, or updated when known).
    fn series(&mut self, rows: &[SeriesRow]) -> Result<Vec<i64>, String>;
    /// Readings as (store series id, time ms, value), states, happenings and rollups (merged
    /// with a rollup of the same series and minute already stored).
    fn write(
        &mut self,
        readings: &[(i64, i64, f64)],
        states: &[StateRow],
        happenings: &[HappeningRow],
        rollups: &[Rollup],
    ) -> Result<(), String>;
    /// Deletes raw readings, states and happenings before `raw_before` and rollups before
    /// `rollups_before` (epoch ms).
    fn prune(&mut self, raw_before: i64, rollups_before: i64) -> Result<(), String>;
}

/// Counters shared by the store output and its writer.
#[derive(Debug, Default)]
struct Counters {
    written: AtomicU64,
    lost: AtomicU64,
    queued: AtomicU64,
    failing: AtomicBool,
    /// Set when the run ends: a failing database is then given [`GIVE_UP_AFTER`].
    closing: AtomicBool,
}

/// The store as an output of the live loop.
pub struct Store {
    tx: Option<mpsc::Sender<Batch>>,
    queue: u64,
    /// Wait this long at most for room rather than lose ([`StoreSettings::wait_when_full`]).
    wait: Option<Duration>,
    writer: Option<std::thread::JoinHandle<()>>,
    counters: Arc<Counters>,
    describe: Arc<str>,
}

impl Store {
    /// Opens (creating and migrating) the store and starts its writer.
    pub fn open(settings: &StoreSettings) -> Result<Store, AppError> {
        let backend: Box<dyn Backend> = off_runtime(|| {
            Ok::<Box<dyn Backend>, AppError>(match &settings.target {
                Target::Sqlite(path) => Box::new(sqlite::Sqlite::open(path)?),
                Target::Postgres(pg) => Box::new(postgres::Postgres::open(pg)?),
            })
        })?;
        Store::start(backend, settings)
    }

    /// Starts a writer over `backend` (tests use a failing one).
    pub fn start(backend: Box<dyn Backend>, settings: &StoreSettings) -> Result<Store, AppError> {
        let (tx, rx) = mpsc::channel::<Batch>();
        let counters = Arc::new(Counters::default());
        let c = counters.clone();
        let keep = (settings.keep_raw, settings.keep_rollups);
        let every = settings.maintain_every;
        let (queue, give_up) = (settings.queue, settings.give_up);
        let describe: Arc<str> = settings.target.describe().into();
        let shown = describe.clone();
        let writer = std::thread::Builder::new()
            .name("store".into())
            .spawn(move || Writer::new(backend, c, keep, every, shown, queue, give_up).run(rx))
            .map_err(|e| AppError::Other(format!("cannot start the store writer: {e}")))?;
        Ok(Store {
            tx: Some(tx),
            queue: settings.queue,
            wait: settings.wait_when_full.then_some(settings.give_up),
            writer: Some(writer),
            counters,
            describe,
        })
    }

    fn send(&self, batch: Batch) {
        let n = batch.rows();
        if n == 0 && batch.series.is_empty() {
            return;
        }
        let c = &self.counters;
        if let Some(wait) = self.wait {
            let start = Instant::now();
            while c.queued.load(Ordering::Relaxed) + n > self.queue && start.elapsed() < wait {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        if c.queued.load(Ordering::Relaxed) + n > self.queue {
            c.lost.fetch_add(n, Ordering::Relaxed);
            // Series names are never dropped: later readings need them.
            if !batch.series.is_empty() {
                self.forward(Batch {
                    series: batch.series,
                    ..Batch::default()
                });
            }
            return;
        }
        c.queued.fetch_add(n, Ordering::Relaxed);
        self.forward(batch);
    }

    fn forward(&self, batch: Batch) {
        let n = batch.rows();
        if let Some(tx) = &self.tx {
            if tx.send(batch).is_err() {
                // The writer is gone (it cannot be, short of a panic): count, never block.
                self.counters.queued.fetch_sub(n, Ordering::Relaxed);
                self.counters.lost.fetch_add(n, Ordering::Relaxed);
            }
        }
    }
}

impl Output for Store {
    fn wants(&self) -> Wants {
        Wants {
            happenings: true,
            scores: false,
            rows: true,
        }
    }

    fn feed(&mut self, _twin: &Twin, news: &News<'_>) {
        let k = news.kept;
        if k.overflow > 0 {
            self.counters.lost.fetch_add(k.overflow, Ordering::Relaxed);
        }
        let batch = Batch {
            series: k.series.clone(),
            readings: k.readings.clone(),
            states: k.states.clone(),
            happenings: news.happenings.iter().map(happening_row).collect(),
        };
        self.send(batch);
    }

    fn health(&self) -> Option<Health> {
        let c = &self.counters;
        Some(Health {
            output: "store",
            target: self.describe.clone(),
            written: c.written.load(Ordering::Relaxed),
            lost: c.lost.load(Ordering::Relaxed),
            queued: c.queued.load(Ordering::Relaxed),
            failing: c.failing.load(Ordering::Relaxed),
        })
    }

    fn finish(&mut self) -> Result<(), AppError> {
        self.close();
        let lost = self.counters.lost.load(Ordering::Relaxed);
        if lost > 0 {
            log::warn!("{lost} rows could not be stored in {}", self.describe);
        }
        Ok(())
    }
}

impl Store {
    /// Ends the writer: what is queued is written (a failing database is given
    /// [`GIVE_UP_AFTER`]).
    fn close(&mut self) {
        self.counters.closing.store(true, Ordering::Relaxed);
        drop(self.tx.take());
        if let Some(w) = self.writer.take() {
            let _ = w.join();
        }
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        self.close();
    }
}

fn happening_row(h: &crate::twin::journal::Happening) -> HappeningRow {
    HappeningRow {
        t_ms: h.t.timestamp_millis(),
        kind: h.what.type_name(),
        subject: h.subject().map(String::from),
        line: h.to_line(),
    }
}

/// What the writer has yet to write.
#[derive(Default)]
struct Pending {
    series: Vec<SeriesRow>,
    readings: Vec<ReadingRow>,
    states: Vec<StateRow>,
    happenings: Vec<HappeningRow>,
    rollups: Vec<Rollup>,
}

impl Pending {
    fn take(&mut self, b: Batch) {
        self.series.extend(b.series);
        self.readings.extend(b.readings);
        self.states.extend(b.states);
        self.happenings.extend(b.happenings);
    }

    fn rows(&self) -> u64 {
        (self.readings.len() + self.states.len() + self.happenings.len()) as u64
    }

    fn is_empty(&self) -> bool {
        self.series.is_empty()
            && self.readings.is_empty()
            && self.states.is_empty()
            && self.happenings.is_empty()
            && self.rollups.is_empty()
    }
}

struct Writer {
    db: Box<dyn Backend>,
    c: Arc<Counters>,
    keep: (Duration, Duration),
    maintain_every: Duration,
    shown: Arc<str>,
    /// The twin's series uid → the store's series id.
    ids: HashMap<u64, i64>,
    /// The minute being summed, per store series.
    minutes: HashMap<i64, Rollup>,
    newest_ms: i64,
    pending: Pending,
    failures: u32,
    /// While the database fails: the next attempt, not before.
    retry_at: Option<Instant>,
    last_maintained: Instant,
    queue: u64,
    give_up: Duration,
}

/// Batches a writer takes before writing, at most (bounds one transaction).
const TAKE_AT_MOST: usize = 256;

impl Writer {
    fn new(
        db: Box<dyn Backend>,
        c: Arc<Counters>,
        keep: (Duration, Duration),
        maintain_every: Duration,
        shown: Arc<str>,
        queue: u64,
        give_up: Duration,
    ) -> Writer {
        Writer {
            db,
            c,
            keep,
            maintain_every,
            shown,
            ids: HashMap::new(),
            minutes: HashMap::new(),
            newest_ms: i64::MIN,
            pending: Pending::default(),
            failures: 0,
            retry_at: None,
            last_maintained: Instant::now(),
            queue,
            give_up,
        }
    }

    fn run(mut self, rx: mpsc::Receiver<Batch>) {
        let mut open = true;
        let mut closing_since: Option<Instant> = None;
        loop {
            let now = Instant::now();
            let wait = match self.retry_at {
                Some(t) if t > now => t - now,
                _ => Duration::from_secs(1),
            };
            if open && self.pending.rows() < self.queue {
                match rx.recv_timeout(wait) {
                    Ok(b) => {
                        self.pending.take(b);
                        for b in rx.try_iter().take(TAKE_AT_MOST) {
                            self.pending.take(b);
                        }
                    }
                    Err(mpsc::RecvTimeoutError::Timeout) => {}
                    Err(mpsc::RecvTimeoutError::Disconnected) => open = false,
                }
            } else if self.retry_at.is_some_and(|t| t > now) {
                std::thread::sleep(wait);
            }
            // While the database fails, attempts are spaced by the back-off, however fast
            // rows arrive.
            if self.retry_at.is_none_or(|t| Instant::now() >= t) {
                self.flush();
                if !open && self.retry_at.is_none() {
                    // Every minute still summed is written now (a restart merges into it).
                    self.close_minutes(i64::MAX);
                    self.flush();
                }
                if self.retry_at.is_none() && self.last_maintained.elapsed() >= self.maintain_every
                {
                    self.maintain();
                }
            }
            if !open {
                if self.pending.is_empty() {
                    return;
                }
                let since = *closing_since.get_or_insert_with(Instant::now);
                if since.elapsed() >= self.give_up {
                    let n = self.pending.rows();
                    self.c.queued.fetch_sub(n, Ordering::Relaxed);
                    self.c.lost.fetch_add(n, Ordering::Relaxed);
                    log::error!(
                        "{}: gave up writing {n} rows at the end of the run",
                        self.shown
                    );
                    return;
                }
            }
        }
    }

    /// Writes what is pending; on failure keeps it for the next attempt.
    fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        match self.try_flush() {
            Ok(n) => {
                self.c.written.fetch_add(n, Ordering::Relaxed);
                self.c.queued.fetch_sub(n, Ordering::Relaxed);
                if self.failures > 0 {
                    log::info!("{}: writing again", self.shown);
                }
                self.failures = 0;
                self.retry_at = None;
                self.c.failing.store(false, Ordering::Relaxed);
            }
            Err(e) => {
                if self.failures == 0 {
                    log::error!("{}: cannot write ({e}); retrying", self.shown);
                }
                self.failures += 1;
                let pause = RETRY_AT_MOST.min(Duration::from_millis(100 << self.failures.min(6)));
                self.retry_at = Some(Instant::now() + pause);
                self.c.failing.store(true, Ordering::Relaxed);
            }
        }
    }

    fn try_flush(&mut self) -> Result<u64, String> {
        if !self.pending.series.is_empty() {
            let ids = self.db.series(&self.pending.series)?;
            for (row, id) in self.pending.series.drain(..).zip(ids) {
                self.ids.insert(row.uid, id);
            }
        }
        let mut readings = Vec::with_capacity(self.pending.readings.len());
        let mut unnamed = 0u64;
        for r in &self.pending.readings {
            match self.ids.get(&r.uid) {
                Some(&id) => readings.push((id, r.t_ms, r.value)),
                None => unnamed += 1,
            }
        }
        let rollups = std::mem::take(&mut self.pending.rollups);
        let result = self.db.write(
            &readings,
            &self.pending.states,
            &self.pending.happenings,
            &rollups,
        );
        if let Err(e) = result {
            self.pending.rollups = rollups;
            return Err(e);
        }
        // The minutes these readings close: written with the next transaction (at most a
        // second later).
        for &(id, t, v) in &readings {
            self.newest_ms = self.newest_ms.max(t);
            let minute = t.div_euclid(60_000);
            match self.minutes.get_mut(&id) {
                Some(r) if r.minute == minute => r.add(v),
                Some(r) if r.minute < minute => {
                    self.pending.rollups.push(*r);
                    *r = Rollup::of(id, minute, v);
                }
                // A late reading of a minute already closed: its own rollup, merged.
                Some(_) => self.pending.rollups.push(Rollup::of(id, minute, v)),
                None => {
                    self.minutes.insert(id, Rollup::of(id, minute, v));
                }
            }
        }
        let n = self.pending.rows();
        if unnamed > 0 {
            self.c.lost.fetch_add(unnamed, Ordering::Relaxed);
        }
        self.pending.readings.clear();
        self.pending.states.clear();
        self.pending.happenings.clear();
        Ok(n - unnamed)
    }

    /// Queues the rollups of minutes before `before` (epoch minutes) for writing.
    fn close_minutes(&mut self, before: i64) {
        let done: Vec<i64> = self
            .minutes
            .iter()
            .filter(|(_, r)| r.minute < before)
            .map(|(&id, _)| id)
            .collect();
        for id in done {
            if let Some(r) = self.minutes.remove(&id) {
                self.pending.rollups.push(r);
            }
        }
    }

    fn maintain(&mut self) {
        self.last_maintained = Instant::now();
        if self.newest_ms == i64::MIN {
            return;
        }
        // Series that went quiet: their last minute is over once a later one is.
        self.close_minutes(self.newest_ms.div_euclid(60_000) - 1);
        self.flush();
        let raw = self.newest_ms - self.keep.0.as_millis() as i64;
        let rollups = self.newest_ms - self.keep.1.as_millis() as i64;
        if let Err(e) = self.db.prune(raw, rollups) {
            log::warn!("{}: cannot prune old history ({e})", self.shown);
        }
    }
}

/// Restores the recent history of the store at `target` into `twin`: the last
/// [`RESTORE_SPAN`] of readings (at most [`RESTORE_AT_MOST`]), in time order, so that its
/// series, statistics and detectors start where they left off.
pub fn restore(twin: &mut Twin, target: &Target) -> Result<(), AppError> {
    if let Target::Sqlite(path) = target {
        if !path.exists() {
            return Ok(());
        }
    }
    let rows = off_runtime(|| History::open(target)?.recent(RESTORE_SPAN, RESTORE_AT_MOST))?;
    let mut series = std::collections::HashSet::new();
    let (mut first, mut last) = (None, None);
    for r in &rows {
        let Some(at) = chrono::DateTime::from_timestamp_millis(r.t_ms) else {
            continue;
        };
        twin.restore_reading(
            &r.topic,
            &r.field,
            Some(&r.device),
            r.unit.as_deref(),
            at,
            r.value,
        );
        series.insert((r.topic.as_str(), r.field.as_str()));
        first.get_or_insert(at);
        last = Some(at);
    }
    if !rows.is_empty() {
        log::info!(
            "restored {} readings of {} series from {}",
            rows.len(),
            series.len(),
            target.describe()
        );
    }
    twin.restored = Some(crate::twin::kept::Restored {
        from: target.describe(),
        readings: rows.len() as u64,
        series: series.len() as u64,
        first,
        last,
    });
    Ok(())
}

/// Writes the readings and state changes stored in `[since, until)` as a twinview recording
/// (docs/contracts.md, "Recording"), so that `replay` can play them: each reading as a message on
/// its topic (a plain number for the field `value`, else `{"FIELD": value}`), each state change
/// likewise as text. What the store does not keep is not in it: the original payloads, liveness
/// and discovery messages, Contract Net; Sparkplug B series are left out (said in the log).
/// Returns the messages written, and a note on what was left out.
pub fn export_recording(
    h: &mut History,
    since: i64,
    until: i64,
    out: &mut impl std::io::Write,
) -> Result<(u64, Option<String>), AppError> {
    use crate::source::event::{Event, Message};
    let (mut readings, mut states) = h.range(since, until, 10_000_000)?;
    // Sparkplug B series cannot be replayed as text on their own topics (a DATA message means
    // nothing without its node's birth): they are left out, and said.
    let before = readings.len() + states.len();
    readings.retain(|r| !r.topic.starts_with("spBv1.0/"));
    states.retain(|s| !s.topic.starts_with("spBv1.0/"));
    let skipped = before - readings.len() - states.len();
    let note = (skipped > 0).then(|| {
        format!("{skipped} stored Sparkplug B readings and states are not replayed (a DATA payload needs its node's birth)")
    });
    let at = |ms: i64| chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default();
    let payload = |field: &str, v: serde_json::Value| -> Vec<u8> {
        if field == "value" {
            match v {
                serde_json::Value::String(s) => s.into_bytes(),
                other => other.to_string().into_bytes(),
            }
        } else {
            serde_json::json!({ field: v }).to_string().into_bytes()
        }
    };
    let started = readings
        .first()
        .map(|r| r.t_ms)
        .into_iter()
        .chain(states.first().map(|s| s.t_ms))
        .min()
        .unwrap_or(since);
    let w = |r: std::io::Result<()>| r.map_err(|e| AppError::File(format!("cannot write: {e}")));
    w(writeln!(
        out,
        "{}",
        crate::source::record::header(at(started), "store", &["#".to_string()])
    ))?;
    let (mut i, mut j, mut n) = (0, 0, 0u64);
    while i < readings.len() || j < states.len() {
        let take_reading =
            j >= states.len() || (i < readings.len() && readings[i].t_ms <= states[j].t_ms);
        let ev = if take_reading {
            let r = &readings[i];
            i += 1;
            let v = serde_json::Number::from_f64(r.value)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null);
            Message::new(at(r.t_ms), r.topic.as_str(), payload(&r.field, v))
        } else {
            let s = &states[j];
            j += 1;
            Message::new(
                at(s.t_ms),
                s.topic.as_str(),
                payload(&s.field, serde_json::Value::String(s.value.clone())),
            )
        };
        w(writeln!(
            out,
            "{}",
            crate::source::record::line(&Event::Message(ev))
        ))?;
        n += 1;
    }
    Ok((n, note))
}

/// Runs `f` on a thread of its own when called from inside the async runtime: the PostgreSQL
/// client blocks on a runtime of its own, which tokio refuses to start (or drop) inside
/// another.
pub fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    if tokio::runtime::Handle::try_current().is_err() {
        return f();
    }
    std::thread::scope(|s| {
        s.spawn(f)
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p))
    })
}

/// A reader of either store: restore, `twinview history`, the UI's long charts.
pub enum History {
    Sqlite(sqlite::Reader),
    Postgres(Box<postgres::PgReader>),
}

impl History {
    pub fn open(target: &Target) -> Result<History, AppError> {
        Ok(match target {
            Target::Sqlite(p) => History::Sqlite(sqlite::Reader::open(p)?),
            Target::Postgres(pg) => History::Postgres(Box::new(postgres::PgReader::open(pg)?)),
        })
    }

    /// Series whose topic or `topic/field` is `name`, or whose topic matches it as a filter.
    pub fn series(&mut self, name: &str) -> Result<Vec<sqlite::StoredSeries>, AppError> {
        match self {
            History::Sqlite(r) => r.series(name),
            History::Postgres(r) => r.series(name),
        }
    }

    /// Raw readings of series `id` in `[since, until)` (epoch ms), oldest first.
    pub fn readings(
        &mut self,
        id: i64,
        since: i64,
        until: i64,
        limit: usize,
    ) -> Result<Vec<(i64, f64)>, AppError> {
        match self {
            History::Sqlite(r) => r.readings(id, since, until, limit),
            History::Postgres(r) => r.readings(id, since, until, limit),
        }
    }

    /// Rollups of series `id` in `[since, until)` in buckets of `every_min` minutes.
    pub fn buckets(
        &mut self,
        id: i64,
        since: i64,
        until: i64,
        every_min: i64,
    ) -> Result<Vec<sqlite::Bucket>, AppError> {
        match self {
            History::Sqlite(r) => r.buckets(id, since, until, every_min),
            History::Postgres(r) => r.buckets(id, since, until, every_min),
        }
    }

    /// Readings and state changes in `[since, until)`, oldest first, at most `limit` of each.
    pub fn range(
        &mut self,
        since: i64,
        until: i64,
        limit: usize,
    ) -> Result<(Vec<NamedReading>, Vec<StateRow>), AppError> {
        match self {
            History::Sqlite(r) => r.range(since, until, limit),
            History::Postgres(r) => r.range(since, until, limit),
        }
    }

    /// Happenings about `subject` since `since` (epoch ms): (time, type, JSON line), oldest
    /// first, the newest `limit`.
    pub fn happenings(
        &mut self,
        subject: &str,
        since: i64,
        limit: usize,
    ) -> Result<Vec<(i64, String, String)>, AppError> {
        match self {
            History::Sqlite(r) => r.happenings(subject, since, limit),
            History::Postgres(r) => r.happenings(subject, since, limit),
        }
    }

    /// The `span` before the newest reading, at most `limit` readings (the newest), oldest
    /// first.
    pub fn recent(&mut self, span: Duration, limit: usize) -> Result<Vec<NamedReading>, AppError> {
        match self {
            History::Sqlite(r) => r.recent(span, limit),
            History::Postgres(r) => r.recent(span, limit),
        }
    }
}

/// A stored reading with its series named (restore, history).
#[derive(Debug, Clone, PartialEq)]
pub struct NamedReading {
    pub topic: String,
    pub field: String,
    pub device: String,
    pub unit: Option<String>,
    pub t_ms: i64,
    pub value: f64,
}

#[cfg(test)]
mod tests {
    use super::sqlite::{Reader, Sqlite};
    use super::*;
    use crate::live::Live;
    use crate::source::event::{Event, Message};
    use chrono::{DateTime, TimeZone, Utc};
    use std::sync::Mutex;

    fn temp(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "twinview-store-{tag}-{}-{}",
            std::process::id(),
            fastrand::u32(..)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("history.db")
    }

    fn at(s: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap() + chrono::Duration::seconds(s)
    }

    fn reading(s: i64, topic: &str, v: f64) -> Event {
        Event::Message(Message::new(at(s), topic, v.to_string().into_bytes()))
    }

    /// A steady room temperature: 20 °C with ±0.1 of noise, one reading a second.
    fn steady(i: i64) -> f64 {
        20.0 + ((i * 7919) % 21 - 10) as f64 / 100.0
    }

    fn run(live: &mut Live, from: i64, to: i64, topic: &str) {
        for i in from..to {
            live.apply(&reading(i, topic, steady(i)));
            live.tick(at(i));
            live.feed(at(i));
        }
    }

    #[test]
    fn every_reading_is_stored_with_its_value_and_rolled_up_by_minute() {
        let path = temp("all");
        let mut live = Live::offline(Twin::default(), "test");
        live.plug(Box::new(
            Store::open(&StoreSettings::new(Target::Sqlite(path.clone()))).unwrap(),
        ));
        run(&mut live, 0, 600, "home/kitchen/temperature");
        live.apply(&Event::Message(Message::new(
            at(600),
            "home/door/contact",
            b"open".to_vec(),
        )));
        live.finish(at(601)).unwrap();
        let h = &live.health()[0];
        let r = Reader::open(&path).unwrap();
        let rows = r.count("readings").unwrap()
            + r.count("states").unwrap()
            + r.count("happenings").unwrap();
        assert_eq!((h.written, h.lost, h.queued), (rows, 0, 0));
        assert_eq!(r.count("readings").unwrap(), 600);
        let s = r.series("home/kitchen/temperature").unwrap();
        assert_eq!(s.len(), 1);
        let got = r.readings(s[0].id, 0, i64::MAX, 10_000).unwrap();
        let want: Vec<(i64, f64)> = (0..600)
            .map(|i| (at(i).timestamp_millis(), steady(i)))
            .collect();
        assert_eq!(got, want);
        let minutes = r.buckets(s[0].id, 0, i64::MAX, 1).unwrap();
        assert_eq!(minutes.len(), 10);
        for (m, b) in minutes.iter().enumerate() {
            let vals: Vec<f64> = (m as i64 * 60..m as i64 * 60 + 60).map(steady).collect();
            assert_eq!(b.count, 60);
            assert!((b.mean - vals.iter().sum::<f64>() / 60.0).abs() < 1e-9);
            assert_eq!(b.min, vals.iter().cloned().fold(f64::MAX, f64::min));
            assert_eq!(b.max, vals.iter().cloned().fold(f64::MIN, f64::max));
            assert_eq!(b.last, vals[59]);
        }
        // Ten-minute buckets merge them.
        let ten = r.buckets(s[0].id, 0, i64::MAX, 10).unwrap();
        assert_eq!(ten.len(), 1);
        assert_eq!(ten[0].count, 600);
        assert_eq!(r.count("states").unwrap(), 1);
        std::fs::remove_dir_all(path.parent().unwrap()).ok();
    }

    /// Fails its first `fail` writes, then writes for real.
    struct Flaky {
        inner: Sqlite,
        fail: Arc<Mutex<u32>>,
    }

    impl Backend for Flaky {
        fn series(&mut self, rows: &[SeriesRow]) -> Result<Vec<i64>, String> {
            self.inner.series(rows)
        }
        fn write(
            &mut self,
            readings: &[(i64, i64, f64)],
            states: &[StateRow],
            happenings: &[HappeningRow],
            rollups: &[Rollup],
        ) -> Result<(), String> {
            let mut f = self.fail.lock().unwrap();
            if *f > 0 {
                *f -= 1;
                return Err("database is down".into());
            }
            self.inner.write(readings, states, happenings, rollups)
        }
        fn prune(&mut self, a: i64, b: i64) -> Result<(), String> {
            self.inner.prune(a, b)
        }
    }

    #[test]
    fn a_failing_database_loses_nothing_within_the_queue_and_counts_the_rest() {
        for (queue, expect_lost) in [(100_000, false), (50, true)] {
            let path = temp("flaky");
            let mut settings = StoreSettings::new(Target::Sqlite(path.clone()));
            settings.queue = queue;
            settings.give_up = Duration::from_secs(30);
            let fail = Arc::new(Mutex::new(4));
            let backend = Flaky {
                inner: Sqlite::open(&path).unwrap(),
                fail: fail.clone(),
            };
            let mut live = Live::offline(Twin::default(), "test");
            live.plug(Box::new(
                Store::start(Box::new(backend), &settings).unwrap(),
            ));
            run(&mut live, 0, 300, "plant/press/pressure");
            live.finish(at(300)).unwrap();
            let h = &live.health()[0];
            assert_eq!(*fail.lock().unwrap(), 0, "the failures were met");
            let r = Reader::open(&path).unwrap();
            let (readings, happenings) =
                (r.count("readings").unwrap(), r.count("happenings").unwrap());
            assert_eq!(h.written, readings + happenings, "{h:?}");
            assert_eq!(
                h.written + h.lost,
                300 + 1,
                "300 readings, 1 device status: {h:?}"
            );
            assert_eq!(h.queued, 0);
            assert!(!h.failing);
            assert_eq!(h.lost > 0, expect_lost, "queue {queue}: {h:?}");
            std::fs::remove_dir_all(path.parent().unwrap()).ok();
        }
    }

    #[test]
    fn retention_keeps_raw_readings_back_from_the_newest_and_rollups_longer() {
        let path = temp("keep");
        let mut settings = StoreSettings::new(Target::Sqlite(path.clone()));
        settings.keep_raw = Duration::from_secs(120);
        settings.keep_rollups = Duration::from_secs(480);
        settings.maintain_every = Duration::ZERO;
        let mut live = Live::offline(Twin::default(), "test");
        live.plug(Box::new(Store::open(&settings).unwrap()));
        // Fifteen minutes of readings; the writer prunes as it goes.
        for i in 0..900 {
            live.apply(&reading(i, "home/hall/temperature", steady(i)));
            if i % 60 == 59 {
                live.feed(at(i));
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        live.finish(at(900)).unwrap();
        // One more maintenance pass on the final state (a restart runs one too).
        let mut s = Store::open(&settings).unwrap();
        std::thread::sleep(Duration::from_millis(50));
        s.finish().unwrap();
        let r = Reader::open(&path).unwrap();
        let id = r.series("home/hall/temperature").unwrap()[0].id;
        let raw = r.readings(id, 0, i64::MAX, 10_000).unwrap();
        let newest = at(899).timestamp_millis();
        assert!(
            raw.iter().all(|(t, _)| *t >= newest - 120_000),
            "older raw readings pruned"
        );
        assert!(raw.len() >= 100, "the last two minutes kept: {}", raw.len());
        let minutes = r.buckets(id, 0, i64::MAX, 1).unwrap();
        assert!(minutes.iter().all(|b| b.t_ms >= newest - 480_000 - 60_000));
        assert!(
            minutes.len() >= 7 && minutes.len() <= 9,
            "{}",
            minutes.len()
        );
        std::fs::remove_dir_all(path.parent().unwrap()).ok();
    }

    #[test]
    fn a_store_of_a_newer_schema_is_refused_and_an_empty_one_is_created() {
        let path = temp("schema");
        drop(Sqlite::open(&path).unwrap());
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", sqlite::SCHEMA_VERSION + 1)
            .unwrap();
        drop(conn);
        let e = Sqlite::open(&path).err().unwrap().to_string();
        assert!(e.contains("newer than this twinview knows"), "{e}");
        assert!(Reader::open(&path).is_err());
        std::fs::remove_dir_all(path.parent().unwrap()).ok();
    }

    #[test]
    fn after_a_restart_the_first_reading_is_judged_at_once() {
        let path = temp("resume");
        let target = Target::Sqlite(path.clone());
        let topic = "home/kitchen/temperature";
        let mut live = Live::offline(Twin::default(), "test");
        live.plug(Box::new(
            Store::open(&StoreSettings::new(target.clone())).unwrap(),
        ));
        run(&mut live, 0, 1800, topic);
        live.finish(at(1800)).unwrap();

        // A fresh twin is still learning: a spike is not judged.
        let spike = reading(1805, topic, 35.0);
        let mut fresh = Twin::default();
        fresh.apply(&spike);
        assert_eq!(fresh.series[0].anomalies, 0);
        assert!(fresh.series[0].score.is_none(), "learning");

        let mut restored = Twin::default();
        restore(&mut restored, &target).unwrap();
        let r = restored.restored.clone().unwrap();
        assert_eq!((r.series, r.readings), (1, 1800));
        assert_eq!(restored.messages, 0, "restored readings are not messages");
        restored.apply(&spike);
        assert!(
            restored.series[0].score.is_some_and(|s| s > 0.1),
            "judged at once, not learning"
        );
        // The spike is confirmed by the readings after it, as in a twin that never stopped.
        for i in 1806..1810 {
            let calm = reading(i, topic, steady(i));
            restored.apply(&calm);
            fresh.apply(&calm);
        }
        assert_eq!(restored.series[0].anomalies, 1, "an episode opened");
        assert_eq!(fresh.series[0].anomalies, 0, "still learning");
        std::fs::remove_dir_all(path.parent().unwrap()).ok();
    }
}
