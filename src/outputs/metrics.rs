//! The twin, opened: `--metrics ADDR:PORT` serves `GET /metrics` (OpenMetrics text, for
//! Prometheus), `GET /snapshot` (the headless snapshot document of the moment) and
//! `GET /healthz` (whether the broker connection is up). README, "Metrics".
//!
//! The HTTP side (axum, already in the tree through rumqttd) never touches the twin: each
//! request is an [`Ask`] to the task that owns it (the headless or UI loop), answered between
//! two batches of messages. Nothing is computed while nobody scrapes, and a scrape costs the
//! ingest loop one rendering (BENCHMARKS.md, "Metrics").

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use tokio::sync::{mpsc, oneshot};

use crate::error::AppError;
use crate::twin::Twin;

/// Series exported at most by default (`--metrics-max-series`); the rest are counted in
/// `twinview_series_not_exported`.
pub const DEFAULT_MAX_SERIES: usize = 10_000;
/// How long a request waits for the ingest loop before answering 503.
const ANSWER_WITHIN: Duration = Duration::from_secs(10);

/// What the HTTP side asks of the twin's owner.
pub enum Ask {
    Metrics(oneshot::Sender<String>),
    Snapshot(oneshot::Sender<String>),
    Health(oneshot::Sender<(bool, String)>),
}

/// The loop's end of the requests: answered when the loop feeds its outputs (the server
/// wakes the loop for it, see [`serve`]).
pub struct Asks(Option<mpsc::Receiver<Ask>>);

impl Asks {
    pub fn none() -> Asks {
        Asks(None)
    }

    /// A request waiting, if any.
    pub fn try_next(&mut self) -> Option<Ask> {
        self.0.as_mut()?.try_recv().ok()
    }
}

/// An exposition rendered less than this long ago is served again instead of rendered anew:
/// rendering runs on the ingest task, so scrapers, however many and however fast, take at most
/// one render a second from ingest.
pub const RENDER_EVERY: Duration = Duration::from_secs(1);

/// The owner's side of a metrics server, or nothing ([`Serving::none`]).
pub struct Serving {
    pub asks: Asks,
    pub max_series: usize,
    /// The latest exposition and when it was rendered.
    rendered: std::cell::RefCell<Option<(std::time::Instant, String)>>,
    /// Renders done (for tests and the curious).
    pub renders: std::cell::Cell<u64>,
}

impl Serving {
    pub fn new(asks: Asks, max_series: usize) -> Serving {
        Serving {
            asks,
            max_series,
            rendered: Default::default(),
            renders: Default::default(),
        }
    }

    pub fn none() -> Serving {
        Serving::new(Asks::none(), DEFAULT_MAX_SERIES)
    }

    /// Answers `ask` from the twin as it is now; `queued` is the events waiting for it. A
    /// `/metrics` ask within [`RENDER_EVERY`] of the last render gets that render.
    pub fn answer(
        &self,
        ask: Ask,
        twin: &Twin,
        source: &str,
        dropped: u64,
        queued: usize,
        health: &[super::Health],
    ) {
        let cx = Context {
            source,
            dropped,
            queued,
            max_series: self.max_series,
            now: Utc::now(),
            health,
        };
        match ask {
            Ask::Metrics(tx) => {
                let mut cache = self.rendered.borrow_mut();
                let body = match cache.as_ref() {
                    Some((at, body)) if at.elapsed() < RENDER_EVERY => body.clone(),
                    _ => {
                        let body = exposition(twin, &cx);
                        self.renders.set(self.renders.get() + 1);
                        *cache = Some((std::time::Instant::now(), body.clone()));
                        body
                    }
                };
                let _ = tx.send(body);
            }
            other => answer(other, twin, &cx),
        }
    }
}

/// The metrics server as an output of the live loop: fed, it answers what was asked since.
impl super::Output for Serving {
    fn feed(&mut self, twin: &Twin, news: &super::News<'_>) {
        while let Some(ask) = self.asks.try_next() {
            self.answer(
                ask,
                twin,
                news.source,
                news.dropped,
                news.queued,
                news.health,
            );
        }
    }

    fn finish(&mut self) -> Result<(), AppError> {
        Ok(())
    }
}

/// What the owner knows besides the twin.
pub struct Context<'a> {
    pub source: &'a str,
    pub dropped: u64,
    /// Events waiting in the channel to the twin.
    pub queued: usize,
    pub max_series: usize,
    pub now: DateTime<Utc>,
    /// How the loop's outputs are doing (the store's queue and loss among them).
    pub health: &'a [super::Health],
}

/// Answers one ask from the twin as it is now.
pub fn answer(ask: Ask, twin: &Twin, cx: &Context) {
    match ask {
        Ask::Metrics(tx) => {
            let _ = tx.send(exposition(twin, cx));
        }
        Ask::Snapshot(tx) => {
            let snap = crate::outputs::snapshot::Snapshot::of(twin, cx.source, cx.dropped, cx.now)
                .with_outputs(cx.health.to_vec());
            let _ = tx.send(snap.to_json());
        }
        Ask::Health(tx) => {
            let up = twin.connection.is_connected();
            let _ = tx.send((up, twin.connection_text(cx.now)));
        }
    }
}

type Labels = Vec<(&'static str, String)>;

fn gauge_family(
    reg: &mut Registry,
    name: &str,
    help: &str,
) -> Family<Labels, Gauge<f64, AtomicU64>> {
    let f = Family::<Labels, Gauge<f64, AtomicU64>>::default();
    reg.register(name, help, f.clone());
    f
}

fn counter_family(reg: &mut Registry, name: &str, help: &str) -> Family<Labels, Counter> {
    let f = Family::<Labels, Counter>::default();
    reg.register(name, help, f.clone());
    f
}

fn gauge(reg: &mut Registry, name: &str, help: &str, v: f64) {
    let g = Gauge::<f64, AtomicU64>::default();
    g.set(v);
    reg.register(name, help, g);
}

fn counter(reg: &mut Registry, name: &str, help: &str, v: u64) {
    let c = Counter::<u64>::default();
    c.inc_by(v);
    reg.register(name, help, c);
}

/// The OpenMetrics exposition of the twin. Metric names follow Prometheus' rules: a
/// `twinview_` prefix, counters end in `_total`, times in seconds. Sensor readings keep the
/// sensor's own unit, named in the `unit` label (one series per unit, never mixed).
pub fn exposition(twin: &Twin, cx: &Context) -> String {
    let mut reg = Registry::default();
    let mut order: Vec<usize> = (0..twin.series.len()).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&twin.series[a], &twin.series[b]);
        x.topic.cmp(&y.topic).then_with(|| x.field.cmp(&y.field))
    });
    let shown = order.len().min(cx.max_series);
    let rows: Vec<Row> = order[..shown]
        .iter()
        .map(|&i| {
            let s = &twin.series[i];
            let w = &s.window;
            Row {
                labels: [
                    s.topic.clone(),
                    s.field.clone(),
                    s.device.clone(),
                    s.unit.clone().unwrap_or_default(),
                ],
                gauges: [
                    Some(s.last),
                    w.mean(),
                    w.min(),
                    w.max(),
                    w.stddev(),
                    Some(if s.anomalous { 1.0 } else { 0.0 }),
                    Some(s.last_seen.timestamp_millis() as f64 / 1000.0),
                    s.score.map(f64::from),
                ],
                counters: [s.anomalies, s.count, s.gaps],
            }
        })
        .collect();
    reg.register_collector(Box::new(SeriesRows(rows)));
    gauge(
        &mut reg,
        "twinview_series",
        "Series the twin holds",
        twin.series.len() as f64,
    );
    gauge(
        &mut reg,
        "twinview_series_not_exported",
        "Series left out of this exposition by --metrics-max-series (the first by topic are exported)",
        (order.len() - shown) as f64,
    );

    let written = counter_family(
        &mut reg,
        "twinview_output_written",
        "Rows an output (store, events) has written",
    );
    let lost = counter_family(
        &mut reg,
        "twinview_output_lost",
        "Rows an output could not write (its queue was full, or the run ended first)",
    );
    let queued = gauge_family(
        &mut reg,
        "twinview_output_queued",
        "Rows waiting in an output's queue",
    );
    let failing = gauge_family(
        &mut reg,
        "twinview_output_failing",
        "1 while an output's last write failed (it is retried)",
    );
    for h in cx.health {
        let l = vec![("output", h.output.to_string())];
        written.get_or_create(&l).inc_by(h.written);
        lost.get_or_create(&l).inc_by(h.lost);
        queued.get_or_create(&l).set(h.queued as f64);
        failing
            .get_or_create(&l)
            .set(if h.failing { 1.0 } else { 0.0 });
    }

    let active = gauge_family(
        &mut reg,
        "twinview_alarms_active",
        "Active alarms (shelved ones left out), by priority",
    );
    let counts = twin.alarms.counts();
    for p in crate::twin::alarms::Priority::ALL {
        active
            .get_or_create(&vec![("priority", p.as_str().to_string())])
            .set(counts[p as usize] as f64);
    }
    counter(
        &mut reg,
        "twinview_alarms_raised",
        "Alarms raised since twinview started",
        twin.alarms.raised_per_rule.iter().sum(),
    );
    gauge(
        &mut reg,
        "twinview_alarms_per_10min",
        "Alarms raised per ten minutes on average over the last day (ISA-18.2 load)",
        twin.alarms.load(cx.now).per_10min_mean,
    );

    let up = gauge_family(
        &mut reg,
        "twinview_device_up",
        "1 when the device is online, 0 when offline or stale; absent while unknown",
    );
    let state = gauge_family(
        &mut reg,
        "twinview_device_state",
        "1 for the device's status (label state: online, offline, stale, unknown)",
    );
    let mut ids: Vec<&String> = twin.devices.by_id.keys().collect();
    ids.sort();
    for id in ids {
        let d = &twin.devices.by_id[id];
        let status = d.status;
        if status != crate::twin::devices::Status::Unknown {
            let v = if status == crate::twin::devices::Status::Online {
                1.0
            } else {
                0.0
            };
            up.get_or_create(&vec![("device", id.clone())]).set(v);
        }
        state
            .get_or_create(&vec![
                ("device", id.clone()),
                ("state", status.as_str().to_string()),
            ])
            .set(1.0);
    }

    let jobs = gauge_family(
        &mut reg,
        "twinview_jobs",
        "Contract Net jobs kept, by state",
    );
    let mut by_state = std::collections::BTreeMap::<&str, u64>::new();
    for j in twin.cnp.jobs.values() {
        *by_state.entry(j.state.as_str()).or_default() += 1;
    }
    for (st, n) in by_state {
        jobs.get_or_create(&vec![("state", st.to_string())])
            .set(n as f64);
    }
    counter(
        &mut reg,
        "twinview_job_violations",
        "Contract Net protocol violations found",
        twin.violations_total,
    );
    let busy = twin
        .cnp
        .machines
        .values()
        .filter(|m| matches!(m.state, crate::twin::cnp::MachineState::Busy(_)))
        .count();
    gauge(
        &mut reg,
        "twinview_machines",
        "Contract Net machines known",
        twin.cnp.machines.len() as f64,
    );
    gauge(
        &mut reg,
        "twinview_machines_busy",
        "Contract Net machines busy with a job",
        busy as f64,
    );

    counter(
        &mut reg,
        "twinview_messages",
        "Messages received",
        twin.messages,
    );
    counter(
        &mut reg,
        "twinview_undecoded",
        "Malformed payloads (invalid JSON, non-finite numbers, over a limit)",
        twin.undecoded_total,
    );
    counter(
        &mut reg,
        "twinview_ignored",
        "Well-formed payloads holding no reading or state (empty, binary, long text, JSON without values)",
        twin.ignored_total,
    );
    gauge(
        &mut reg,
        "twinview_states",
        "Text state series tracked",
        twin.states.len() as f64,
    );
    counter(
        &mut reg,
        "twinview_dropped",
        "Messages the source could not hand to the twin (it was behind)",
        cx.dropped,
    );
    counter(
        &mut reg,
        "twinview_ingest_errors",
        "Messages whose application failed inside twinview (caught)",
        twin.panics,
    );
    counter(
        &mut reg,
        "twinview_anomaly_episodes",
        "Anomaly episodes opened on any series",
        twin.anomalies_total,
    );
    counter(
        &mut reg,
        "twinview_reconnects",
        "Connections to the broker lost",
        twin.outages_total,
    );
    let evicted = counter_family(
        &mut reg,
        "twinview_evicted",
        "Entries forgotten because of a bound (label what)",
    );
    let e = twin.evicted_entries();
    for (what, n) in [
        ("series", twin.evicted_series),
        ("devices", twin.devices.evicted),
        ("topics", twin.evicted_topics),
        ("states", e.states),
        ("command_names", e.command_names),
        ("undecoded_topics", e.undecoded_topics),
        ("machines", e.machines),
        ("jobs", e.jobs),
        ("negotiation", e.negotiation),
        ("job_types", e.job_types),
        ("sparkplug_nodes", e.sparkplug_nodes),
    ] {
        evicted
            .get_or_create(&vec![("what", what.to_string())])
            .inc_by(n);
    }
    gauge(
        &mut reg,
        "twinview_connected",
        "1 while connected to the broker",
        if twin.connection.is_connected() {
            1.0
        } else {
            0.0
        },
    );
    gauge(
        &mut reg,
        "twinview_ingest_queue",
        "Events waiting for the twin (ingest lag, in events)",
        cx.queued as f64,
    );
    if let Some(at) = twin.last_event {
        gauge(
            &mut reg,
            "twinview_last_event_timestamp_seconds",
            "When the latest event reached the twin (Unix time)",
            at.timestamp_millis() as f64 / 1000.0,
        );
    }
    let mut out = String::new();
    if encode(&mut out, &reg).is_err() {
        out.clear();
        let _ = writeln!(out, "# EOF");
    }
    out
}

/// One exported series: its labels (topic, field, device, unit) and values, copied once.
#[derive(Debug)]
struct Row {
    labels: [String; 4],
    /// In the order of [`GAUGES`]; `None` is left out (a window too short for σ).
    gauges: [Option<f64>; 8],
    /// In the order of [`COUNTERS`].
    counters: [u64; 3],
}

const LABELS: [&str; 4] = ["topic", "field", "device", "unit"];
const GAUGES: [(&str, &str); 8] = [
    (
        "twinview_sensor_last",
        "Latest reading of a sensor series, in its own unit (label unit)",
    ),
    (
        "twinview_sensor_mean",
        "Mean of the readings in the series' window",
    ),
    (
        "twinview_sensor_min",
        "Minimum of the readings in the series' window",
    ),
    (
        "twinview_sensor_max",
        "Maximum of the readings in the series' window",
    ),
    (
        "twinview_sensor_stddev",
        "Sample standard deviation of the readings in the window (absent below two readings)",
    ),
    (
        "twinview_sensor_anomalous",
        "1 while an anomaly episode is open on the series",
    ),
    (
        "twinview_sensor_last_seen_timestamp_seconds",
        "When the series' last reading arrived (Unix time)",
    ),
    (
        "twinview_sensor_anomaly_score",
        "Anomaly score of the series' latest reading, 0 to 1, 0.5 at a detector's threshold (absent while learning)",
    ),
];
const COUNTERS: [(&str, &str); 3] = [
    (
        "twinview_sensor_anomaly_episodes",
        "Anomaly episodes opened on the series",
    ),
    ("twinview_sensor_readings", "Readings of the series"),
    (
        "twinview_sensor_gaps",
        "Silences across a disconnection of twinview's: readings probably missed",
    ),
];

/// The per-series families, encoded straight from the rows: one copy of each series' labels
/// instead of one map entry per family and series (BENCHMARKS.md, "Metrics").
#[derive(Debug)]
struct SeriesRows(Vec<Row>);

impl SeriesRows {
    fn labels(r: &Row) -> [(&'static str, &str); 4] {
        std::array::from_fn(|i| (LABELS[i], r.labels[i].as_str()))
    }
}

impl prometheus_client::collector::Collector for SeriesRows {
    fn encode(
        &self,
        mut encoder: prometheus_client::encoding::DescriptorEncoder,
    ) -> Result<(), std::fmt::Error> {
        use prometheus_client::encoding::EncodeMetric;
        use prometheus_client::metrics::counter::ConstCounter;
        use prometheus_client::metrics::gauge::ConstGauge;
        use prometheus_client::metrics::MetricType;
        for (k, (name, help)) in GAUGES.iter().enumerate() {
            let mut m = encoder.encode_descriptor(name, help, None, MetricType::Gauge)?;
            for r in &self.0 {
                if let Some(v) = r.gauges[k] {
                    ConstGauge::new(v).encode(m.encode_family(&Self::labels(r))?)?;
                }
            }
        }
        for (k, (name, help)) in COUNTERS.iter().enumerate() {
            let mut m = encoder.encode_descriptor(name, help, None, MetricType::Counter)?;
            for r in &self.0 {
                ConstCounter::new(r.counters[k]).encode(m.encode_family(&Self::labels(r))?)?;
            }
        }
        Ok(())
    }
}

/// A running metrics server: its address, and when it was last scraped.
pub struct Server {
    pub addr: SocketAddr,
    /// Epoch milliseconds of the latest `GET /metrics`, 0 before the first (the UI header).
    pub last_scrape: Arc<AtomicI64>,
}

#[derive(Clone)]
struct Shared {
    tx: mpsc::Sender<Ask>,
    /// Wakes the live loop to answer ([`crate::live::Live::waker`]).
    wake: Arc<tokio::sync::Notify>,
    token: Option<Arc<str>>,
    last_scrape: Arc<AtomicI64>,
}

/// Binds `addr` and serves on a task of its own; the returned [`Asks`] go to the live loop
/// (as a [`Serving`] output), which `wake` wakes when a request comes.
pub async fn serve(
    addr: SocketAddr,
    token: Option<String>,
    wake: Arc<tokio::sync::Notify>,
) -> Result<(Server, Asks), AppError> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| AppError::Connect(format!("cannot serve metrics on {addr}: {e}")))?;
    let addr = listener
        .local_addr()
        .map_err(|e| AppError::Connect(format!("cannot serve metrics on {addr}: {e}")))?;
    let (tx, rx) = mpsc::channel(16);
    let last_scrape = Arc::new(AtomicI64::new(0));
    let shared = Shared {
        tx,
        wake,
        token: token.map(Arc::from),
        last_scrape: last_scrape.clone(),
    };
    let app = axum::Router::new()
        .route("/metrics", axum::routing::get(metrics))
        .route("/snapshot", axum::routing::get(snapshot))
        .route("/healthz", axum::routing::get(healthz))
        .with_state(shared);
    tokio::spawn(accept_loop(listener, app));
    log::info!("serving /metrics, /snapshot and /healthz on http://{addr}");
    Ok((Server { addr, last_scrape }, Asks(Some(rx))))
}

/// Connections served at once; one more is closed at once. Under the shipped unit's 1,024
/// descriptors, idle connections can then never starve twinview's own broker connection.
pub const MAX_CONNECTIONS: usize = 64;
/// A request's head must arrive within this; a connection that sends nothing is closed.
pub const HEADER_WITHIN: Duration = Duration::from_secs(5);
/// No connection lives longer than this (a scrape takes well under a second).
pub const CONNECTION_AT_MOST: Duration = Duration::from_secs(60);

/// Accepts connections and serves each with a time limit on the request head and on the
/// connection, at most [`MAX_CONNECTIONS`] at once (a slowloris holds none for long).
async fn accept_loop(listener: tokio::net::TcpListener, app: axum::Router) {
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of descriptors, or a connection reset before it was taken: wait a
                // moment rather than spin.
                log::debug!("metrics: accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            // Over the cap: closed at once, so it holds no descriptor.
            drop(stream);
            continue;
        };
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        tokio::spawn(async move {
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(HEADER_WITHIN)
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
            let _ = tokio::time::timeout(CONNECTION_AT_MOST, conn).await;
            drop(slot);
        });
    }
}

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

async fn ask<T>(s: &Shared, make: impl FnOnce(oneshot::Sender<T>) -> Ask) -> Option<T> {
    let (tx, rx) = oneshot::channel();
    s.tx.send(make(tx)).await.ok()?;
    s.wake.notify_one();
    tokio::time::timeout(ANSWER_WITHIN, rx).await.ok()?.ok()
}

fn unavailable() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        "twinview is not answering (ending, or far behind)\n",
    )
        .into_response()
}

async fn metrics(axum::extract::State(s): axum::extract::State<Shared>) -> Response {
    s.last_scrape
        .store(Utc::now().timestamp_millis(), Ordering::Relaxed);
    match ask(&s, Ask::Metrics).await {
        Some(body) => (
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            body,
        )
            .into_response(),
        None => unavailable(),
    }
}

/// Constant-time comparison, so the token cannot be guessed byte by byte from timings.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The token of an `Authorization: Bearer <token>` value; the scheme is case-insensitive
/// (RFC 7235), so `bearer` and `BEARER` are read too.
fn bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim_start())
}

async fn snapshot(
    axum::extract::State(s): axum::extract::State<Shared>,
    headers: HeaderMap,
) -> Response {
    if let Some(token) = &s.token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(bearer)
            .unwrap_or("");
        if !same(given.as_bytes(), token.as_bytes()) {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                "a bearer token is needed for /snapshot\n",
            )
                .into_response();
        }
    }
    match ask(&s, Ask::Snapshot).await {
        Some(body) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
        None => unavailable(),
    }
}

async fn healthz(axum::extract::State(s): axum::extract::State<Shared>) -> Response {
    match ask(&s, Ask::Health).await {
        Some((true, text)) => (StatusCode::OK, format!("ok: {text}\n")).into_response(),
        Some((false, text)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not connected: {text}\n"),
        )
            .into_response(),
        None => unavailable(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::event::{Event, Message};
    use chrono::TimeZone;
    use std::collections::{BTreeMap, BTreeSet};

    /// One sample: its name, labels and value.
    type Sample = (String, BTreeMap<String, String>, f64);

    /// A strict reader of the OpenMetrics text format, enough to reject what Prometheus
    /// would: every sample belongs to a family declared by `# TYPE` (and `# HELP`) before it,
    /// names and label names are valid, label values are quoted with only `\\`, `\"`, `\n`
    /// escapes, values are numbers, counters' samples end in `_total`, a family is declared
    /// once and its samples are contiguous, a label set appears once per sample name, and the
    /// text ends with `# EOF`. Returns family → (type, samples).
    fn parse_strict(text: &str) -> Result<BTreeMap<String, (String, Vec<Sample>)>, String> {
        let name_ok = |n: &str| {
            !n.is_empty()
                && n.chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
                && n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
        };
        let mut families: BTreeMap<String, (String, Vec<_>)> = BTreeMap::new();
        let mut helped = BTreeSet::new();
        let mut current: Option<String> = None;
        let mut closed = BTreeSet::new();
        let mut seen = BTreeSet::new();
        let lines: Vec<&str> = text.lines().collect();
        if lines.last() != Some(&"# EOF") {
            return Err("no # EOF at the end".into());
        }
        for line in &lines[..lines.len() - 1] {
            if let Some(rest) = line.strip_prefix("# HELP ") {
                let (name, _) = rest.split_once(' ').ok_or(format!("bad HELP: {line}"))?;
                if !helped.insert(name.to_string()) {
                    return Err(format!("HELP twice for {name}"));
                }
                continue;
            }
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let (name, ty) = rest.split_once(' ').ok_or(format!("bad TYPE: {line}"))?;
                if !name_ok(name) || !["gauge", "counter"].contains(&ty) {
                    return Err(format!("bad TYPE: {line}"));
                }
                if families.contains_key(name) {
                    return Err(format!("{name} declared twice"));
                }
                if let Some(c) = current.replace(name.to_string()) {
                    closed.insert(c);
                }
                families.insert(name.to_string(), (ty.to_string(), Vec::new()));
                continue;
            }
            if line.starts_with('#') || line.is_empty() {
                return Err(format!("unexpected line: {line:?}"));
            }
            let (series, value) = line.rsplit_once(' ').ok_or(format!("no value: {line}"))?;
            let value: f64 = match value {
                "NaN" => f64::NAN,
                "+Inf" => f64::INFINITY,
                "-Inf" => f64::NEG_INFINITY,
                v => v.parse().map_err(|_| format!("bad value in {line}"))?,
            };
            let (name, labels) = match series.split_once('{') {
                None => (series, BTreeMap::new()),
                Some((n, rest)) => {
                    let body = rest
                        .strip_suffix('}')
                        .ok_or(format!("unclosed labels: {line}"))?;
                    let mut labels = BTreeMap::new();
                    let mut chars = body.chars().peekable();
                    while chars.peek().is_some() {
                        let key: String = chars.by_ref().take_while(|&c| c != '=').collect();
                        if !name_ok(&key) || chars.next() != Some('"') {
                            return Err(format!("bad label name in {line}"));
                        }
                        let mut v = String::new();
                        loop {
                            match chars.next().ok_or(format!("unterminated value: {line}"))? {
                                '"' => break,
                                '\\' => match chars.next() {
                                    Some('\\') => v.push('\\'),
                                    Some('"') => v.push('"'),
                                    Some('n') => v.push('\n'),
                                    _ => return Err(format!("bad escape in {line}")),
                                },
                                '\n' => return Err("raw newline".into()),
                                c => v.push(c),
                            }
                        }
                        if labels.insert(key, v).is_some() {
                            return Err(format!("label twice in {line}"));
                        }
                        match chars.next() {
                            None => break,
                            Some(',') => {}
                            Some(c) => return Err(format!("`{c}` after a label value in {line}")),
                        }
                    }
                    (n, labels)
                }
            };
            let fam = current
                .clone()
                .ok_or(format!("sample before any TYPE: {line}"))?;
            let (ty, samples) = families.get_mut(&fam).unwrap();
            let want = if ty == "counter" {
                format!("{fam}_total")
            } else {
                fam.clone()
            };
            if name != want || closed.contains(&fam) {
                return Err(format!("sample {name} outside its family {fam}"));
            }
            if !helped.contains(&fam) {
                return Err(format!("{fam} has no HELP"));
            }
            if !seen.insert((name.to_string(), format!("{labels:?}"))) {
                return Err(format!("duplicate sample {line}"));
            }
            samples.push((name.to_string(), labels, value));
        }
        Ok(families)
    }

    fn t(s: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap() + chrono::TimeDelta::seconds(s)
    }

    #[test]
    fn the_exposition_is_well_formed_and_true() {
        let mut twin = Twin::default();
        for i in 0..30 {
            let m =
                |topic: &str, p: String| Event::Message(Message::new(t(i), topic, p.into_bytes()));
            twin.apply(&m("/z/temperature/s1", format!("{}", 20 + i % 3)));
            twin.apply(&m(
                "lab/quote\"and\\back\nslash/humidity",
                format!(r#"{{"value":{},"unit":"%"}}"#, 40 + i % 2),
            ));
        }
        twin.apply(&Event::Message(Message::new(
            t(31),
            "/z/s2/status",
            b"offline".to_vec(),
        )));
        twin.apply(&Event::Message(Message::new(t(31), "junk", b"{x".to_vec())));
        let cx = Context {
            source: "mqtt://h:1",
            dropped: 3,
            queued: 0,
            max_series: 10,
            now: t(32),
            health: &[],
        };
        let text = exposition(&twin, &cx);
        let fams = parse_strict(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        let sample = |fam: &str, key: &str, val: &str| {
            fams[fam]
                .1
                .iter()
                .find(|(_, l, _)| l.get(key).map(String::as_str) == Some(val))
                .map(|s| s.2)
        };
        assert_eq!(
            sample("twinview_sensor_last", "topic", "/z/temperature/s1"),
            Some(22.0)
        );
        assert_eq!(
            sample("twinview_sensor_readings", "topic", "/z/temperature/s1"),
            Some(30.0)
        );
        assert_eq!(
            sample(
                "twinview_sensor_last",
                "topic",
                "lab/quote\"and\\back\nslash/humidity"
            ),
            Some(41.0),
            "escapes round-trip"
        );
        assert_eq!(sample("twinview_sensor_last", "unit", "%"), Some(41.0));
        assert_eq!(sample("twinview_device_up", "device", "s2"), Some(0.0));
        assert_eq!(
            sample("twinview_device_state", "state", "offline"),
            Some(1.0)
        );
        assert_eq!(fams["twinview_messages"].1[0].2, 62.0);
        assert_eq!(fams["twinview_undecoded"].1[0].2, 1.0);
        assert_eq!(fams["twinview_dropped"].1[0].2, 3.0);
        assert_eq!(fams["twinview_series_not_exported"].1[0].2, 0.0);

        // The cap: the first series by topic are exported, the rest counted.
        let capped = exposition(
            &twin,
            &Context {
                max_series: 1,
                ..cx
            },
        );
        let fams = parse_strict(&capped).unwrap();
        assert_eq!(fams["twinview_sensor_last"].1.len(), 1);
        assert_eq!(fams["twinview_series_not_exported"].1[0].2, 1.0);
    }

    #[test]
    fn the_strict_reader_rejects_what_prometheus_would() {
        for bad in [
            "x 1\n# EOF",
            "# HELP a h\n# TYPE a gauge\na 1",
            "# HELP a h\n# TYPE a counter\na 1\n# EOF",
            "# HELP a h\n# TYPE a gauge\na{b=\"\\x\"} 1\n# EOF",
            "# HELP a h\n# TYPE a gauge\na one\n# EOF",
            "# HELP a h\n# TYPE a gauge\na{b=\"1\"} 1\na{b=\"1\"} 2\n# EOF",
        ] {
            assert!(parse_strict(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn listen_addresses_default_to_loopback() {
        use crate::config::parse_listen;
        assert_eq!(parse_listen("9464").unwrap().to_string(), "127.0.0.1:9464");
        assert_eq!(parse_listen(":9464").unwrap().to_string(), "127.0.0.1:9464");
        assert_eq!(
            parse_listen("localhost:9464").unwrap().to_string(),
            "127.0.0.1:9464"
        );
        assert_eq!(
            parse_listen("0.0.0.0:9464").unwrap().to_string(),
            "0.0.0.0:9464"
        );
        assert_eq!(
            parse_listen("[::1]:9464").unwrap().to_string(),
            "[::1]:9464"
        );
        assert!(parse_listen("example.com:9464").is_err());
    }

    #[test]
    fn the_bearer_scheme_is_case_insensitive() {
        assert_eq!(bearer("Bearer abc"), Some("abc"));
        assert_eq!(bearer("bearer abc"), Some("abc"));
        assert_eq!(bearer("BEARER  abc"), Some("abc"));
        assert_eq!(bearer("Basic abc"), None);
        assert_eq!(bearer("Bearerabc"), None);
    }

    #[test]
    fn scrapes_within_a_second_share_one_render() {
        let serving = Serving::none();
        let twin = Twin::default();
        let mut bodies = Vec::new();
        for _ in 0..50 {
            let (tx, rx) = oneshot::channel();
            serving.answer(Ask::Metrics(tx), &twin, "test", 0, 0, &[]);
            bodies.push(rx.blocking_recv().unwrap());
        }
        assert_eq!(
            serving.renders.get(),
            1,
            "fifty scrapes at once, one render"
        );
        assert!(bodies
            .iter()
            .all(|b| b == &bodies[0] && b.contains("twinview_series")));
    }
}
