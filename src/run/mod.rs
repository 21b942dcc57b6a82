//! The modes twinview runs in: monitor a broker, the demo, and the simulated world alone.

pub mod history;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::cli::{ConnArgs, DemoArgs, ReplayArgs, SimArgs, ViewArgs, WorldArgs};
use crate::config::{self, Settings};
use crate::error::AppError;
use crate::live::headless::{self, Limits};
use crate::live::Live;
use crate::sim::{self, broker, WorldSpec};
use crate::source::mqtt::{self, SourceStats};
use crate::source::{record, replay as replay_src};
use crate::twin::Twin;
use crate::ui::app::{self, AppOptions};
use crate::ui::theme::Theme;
use crate::{logging, EVENT_CHANNEL};

/// The process environment, without the password (for runs that connect to no broker of
/// the user's: demo, replay).
fn env_without_password() -> config::Environment {
    config::Environment {
        password: None,
        ..config::Environment::of_process()
    }
}

/// `twinview [options]`: watch a broker in the UI, or headless.
pub async fn monitor(conn: ConnArgs, view: ViewArgs) -> Result<(), AppError> {
    let settings = config::resolve(&conn, &view, &config::Environment::of_process())?;
    watch(settings, None).await
}

/// Connects to the broker in `settings` and runs the UI or the headless snapshot.
async fn watch(settings: Settings, world: Option<sim::World>) -> Result<(), AppError> {
    // Check the theme before the terminal changes mode, so a typo is a clean error.
    let theme = if settings.headless {
        None
    } else {
        Some(Theme::load_from(
            &settings.theme,
            settings.config_dir.as_deref(),
        )?)
    };
    if settings.headless {
        logging::init_stderr();
    } else {
        logging::init_ui();
    }
    let source = settings.conn.url();
    let (tx, rx) = mpsc::channel(EVENT_CHANNEL);
    let stats = Arc::new(SourceStats::default());
    let (rx, recorder) = match &settings.record {
        Some(path) => {
            let (rx, rec) = record::tee(path, &source, &settings.conn.topics, rx)?;
            log::info!("recording to {}", path.display());
            (rx, Some(rec))
        }
        None => (rx, None),
    };
    let mut twin = Twin::new(settings.twin.clone());
    if let Some(store) = &settings.store {
        if store.restore {
            crate::outputs::store::restore(&mut twin, &store.target)?;
        }
    }
    let mut live = Live::new(twin, Some(rx), &source, stats.clone());
    if let Some(store) = &settings.store {
        live.plug(Box::new(crate::outputs::store::Store::open(store)?));
        log::info!("storing the history in {}", store.target.describe());
    }
    if let Some(p) = &settings.events {
        live.plug(Box::new(crate::outputs::events::EventsWriter::create(p)?));
    }
    let per_rule: Vec<Vec<String>> = settings
        .twin
        .alarms
        .iter()
        .map(|r| r.notify.clone())
        .collect();
    if settings.read_only {
        if !settings.notify.is_empty() || per_rule.iter().any(|r| !r.is_empty()) {
            log::warn!("--read-only: alarm notifications are not sent");
        }
    } else {
        let notifier = crate::outputs::notify::Notifier::start(
            &settings.notify,
            &per_rule,
            &settings.notify_with,
        )?;
        if !notifier.is_empty() {
            live.plug(Box::new(notifier));
        }
    }
    let scraped = match &settings.metrics {
        Some(m) => {
            let (server, asks) = crate::outputs::metrics::serve(
                m.addr,
                m.token.as_ref().map(|t| t.expose().to_string()),
                live.waker(),
            )
            .await?;
            if !m.addr.ip().is_loopback() {
                log::warn!(
                    "metrics are served on {} to anyone who can reach it{}",
                    server.addr,
                    if m.token.is_some() {
                        " (/snapshot needs the token)"
                    } else {
                        ""
                    }
                );
            }
            live.plug(Box::new(crate::outputs::metrics::Serving::new(
                asks,
                m.max_series,
            )));
            Some(server.last_scrape)
        }
        None => None,
    };
    let publisher = mqtt::spawn(settings.conn.clone(), tx, stats)?;
    let publisher = (!settings.read_only).then_some(publisher);
    match theme {
        None => {
            let limits = Limits {
                duration: settings.duration,
                count: settings.count,
            };
            let end = headless::run(live, limits).await;
            if let Some(r) = recorder {
                r.finish(end.as_ref().copied().unwrap_or_else(|_| chrono::Utc::now()));
            }
            end.map(|_| ())
        }
        Some(theme) => {
            let opts = AppOptions {
                // The header names the profile the broker came from.
                source: match &settings.profile {
                    Some(p) => format!("@{p} {source}"),
                    None => source,
                },
                theme,
                fps: settings.fps,
                mouse: settings.mouse,
                duration: settings.duration,
                world,
                publisher,
                templates: settings.commands.clone(),
                recorder: recorder.as_ref().map(|r| r.stats.clone()),
                history: settings.store.as_ref().map(|s| s.target.clone()),
                scraped,
            };
            let result = app::run(live, opts).await;
            if let Some(r) = recorder {
                r.finish(chrono::Utc::now());
            }
            result
        }
    }
}

fn world_spec(w: &WorldArgs, demo: bool, cnp_prefix: &str) -> Result<WorldSpec, AppError> {
    for (name, v) in [
        ("--job-every", w.job_every),
        ("--job-deadline", w.job_deadline),
    ] {
        if !(v.is_finite() && (0.01..=3600.0).contains(&v)) {
            return Err(AppError::Usage(format!(
                "{name} must be between 0.01 and 3600 seconds, not {v}"
            )));
        }
    }
    if w.world != sim::worlds::Kind::Lab && !w.faults.is_empty() {
        return Err(AppError::Usage(format!(
            "--fault applies to the lab world; the {} world injects its own faults (see its truth file)",
            w.world.as_str()
        )));
    }
    let machines = w.machines.unwrap_or(if demo { 3 } else { 0 });
    if machines > 1000 {
        return Err(AppError::Usage("at most 1000 simulated machines".into()));
    }
    if !(w.interval.is_finite() && (0.001..=3600.0).contains(&w.interval)) {
        return Err(AppError::Usage(format!(
            "--interval must be between 0.001 and 3600 seconds, not {}",
            w.interval
        )));
    }
    if w.sensors + w.zone_sensors > 10_000 {
        return Err(AppError::Usage(
            "at most 10000 simulated sensors in all".into(),
        ));
    }
    let spec = WorldSpec {
        lab_sensors: w.sensors,
        zone_sensors: w.zone_sensors,
        interval: Duration::from_secs_f64(w.interval),
        seed: w.seed,
        machines,
        supervisor: w.supervisor || (demo && machines > 0),
        sparkplug: w.sparkplug || demo,
        sparkplug_after: Duration::from_secs(if demo { 2 } else { 0 }),
        job_every: Duration::from_secs_f64(w.job_every),
        job_deadline: Duration::from_secs_f64(w.job_deadline),
        cnp_prefix: cnp_prefix.to_string(),
        agents: match &w.agents {
            Some(list) => sim::agents::Agent::parse_list(list).map_err(AppError::Usage)?,
            None if demo => vec![
                sim::agents::Agent::Average,
                sim::agents::Agent::Detect,
                sim::agents::Agent::Identify,
            ],
            None => Vec::new(),
        },
        faults: w
            .faults
            .iter()
            .map(|f| crate::cli::parse_fault(f).map_err(AppError::Usage))
            .collect::<Result<_, _>>()?,
    };
    // A fault must name a device the world has: a typo is an error, not a silent no-op.
    let ids = sim::device_ids(&spec);
    if let Some(f) = spec.faults.iter().find(|f| !ids.contains(&f.sensor)) {
        return Err(AppError::Usage(format!(
            "--fault names `{}`, which the simulated world does not have (it has {})",
            f.sensor,
            if ids.len() > 12 {
                format!("{}, … ({} in all)", ids[..10].join(", "), ids.len())
            } else {
                ids.join(", ")
            }
        )));
    }
    Ok(spec)
}

/// `twinview demo`: embedded broker + simulated world + the UI (or headless).
pub async fn demo(args: DemoArgs) -> Result<(), AppError> {
    let mut settings = config::resolve(&ConnArgs::default(), &args.view, &env_without_password())?;
    let spec = world_spec(&args.world, true, &settings.twin.cnp_prefix)?;
    if settings.twin.alarms.is_empty() {
        settings.twin.alarms = crate::twin::alarms::rules(&demo_rules(args.world.world))
            .map_err(|e| AppError::Other(format!("the demo's alarm rules: {e}")))?;
    }
    let b = broker::start()?;
    // The embedded broker, whatever the config file says about the user's own broker.
    settings.conn = config::ConnSettings {
        host: b.host().to_string(),
        port: b.port,
        topics: vec!["#".into()],
        qos: 0,
        username: None,
        password: None,
        tls: None,
        session_expiry: 0,
        mqtt_version: 4,
        share: None,
        ..settings.conn
    };
    let world = spawn_world(
        b.host(),
        b.port,
        &args.world,
        spec,
        None,
        Duration::from_secs(2),
    )
    .0;
    watch(settings, Some(world)).await
}

/// Starts the chosen world on `host:port`: the lab world as before; home and plant as
/// scripted worlds (the plant with the Contract Net factory beside it), starting `after`
/// from now so a monitor that subscribes first sees their births. With a `duration`, the
/// scripted world's faults fall inside it; without, inside its first hour.
/// The alarm rules a demo world ships when the config file has none (README, "Alarms"): an
/// anomaly that matters, a device offline for a while, twinview itself cut off, and each
/// world's own (the home's front door left open).
fn demo_rules(world: crate::sim::worlds::Kind) -> Vec<crate::twin::alarms::RuleConfig> {
    use crate::sim::worlds::Kind;
    use crate::twin::alarms::RuleConfig;
    let rule = |name: &str, priority: &str, when: &str| RuleConfig {
        name: name.into(),
        priority: Some(priority.into()),
        when: when.into(),
        ..RuleConfig::default()
    };
    let mut v = vec![
        RuleConfig {
            severity: Some("major".into()),
            message: Some("{subject}: a major anomaly (peak {value})".into()),
            ..rule("major anomaly", "high", "anomaly")
        },
        RuleConfig {
            status: Some("offline".into()),
            on_delay: Some("30s".into()),
            message: Some("{subject} has been offline for 30 s".into()),
            ..rule("device offline", "medium", "device")
        },
        RuleConfig {
            condition: Some("disconnected".into()),
            on_delay: Some("10s".into()),
            message: Some("twinview has lost the broker".into()),
            ..rule("broker lost", "critical", "health")
        },
    ];
    match world {
        Kind::Lab => v.push(RuleConfig {
            kind: Some("stuck".into()),
            message: Some("{subject} is stuck".into()),
            ..rule("stuck sensor", "low", "anomaly")
        }),
        Kind::Home => v.push(RuleConfig {
            topic: Some("zigbee2mqtt/front_door".into()),
            field: Some("contact".into()),
            equals: Some("open".into()),
            for_: Some("5m".into()),
            message: Some("the front door has been open for 5 minutes".into()),
            ..rule("front door open", "low", "state")
        }),
        Kind::Plant => v.push(RuleConfig {
            status: Some("stale".into()),
            on_delay: Some("2m".into()),
            message: Some("{subject} has been silent for 2 minutes past its pace".into()),
            ..rule("machine silent", "high", "device")
        }),
    }
    v
}

fn spawn_world(
    host: &str,
    port: u16,
    w: &WorldArgs,
    spec: WorldSpec,
    duration: Option<Duration>,
    after: Duration,
) -> (
    sim::World,
    Option<Arc<std::sync::Mutex<sim::worlds::WorldTruth>>>,
) {
    use sim::worlds::Kind;
    match w.world {
        Kind::Lab => (sim::spawn(host, port, &spec), None),
        kind => {
            let factory = WorldSpec {
                lab_sensors: 0,
                zone_sensors: 0,
                sparkplug: false,
                agents: Vec::new(),
                faults: Vec::new(),
                machines: if kind == Kind::Plant {
                    spec.machines.max(3)
                } else {
                    0
                },
                supervisor: kind == Kind::Plant,
                ..spec
            };
            let seed = spec_seed(&factory);
            let running = sim::worlds::live::spawn(host, port, kind, seed, duration, after);
            let world = sim::spawn(host, port, &factory);
            (world.with_task(running.task), Some(running.truth))
        }
    }
}

fn spec_seed(spec: &WorldSpec) -> u64 {
    spec.seed.unwrap_or_else(|| fastrand::u64(..))
}

/// `twinview sim`: only the simulated world, against any broker.
pub async fn sim(args: SimArgs) -> Result<(), AppError> {
    if args.offline {
        return sim_offline(&args);
    }
    let spec = world_spec(&args.world, false, &args.cnp_prefix)?;
    let settings = config::resolve(
        &args.conn,
        &ViewArgs::default(),
        &config::Environment::of_process(),
    )?;
    if settings.conn.tls.is_some() {
        return Err(AppError::Usage(format!(
            "the simulated devices speak plain MQTT only; give a broker without TLS (mqtt://HOST[:PORT]), not {}",
            settings.conn.url()
        )));
    }
    logging::init_stderr();
    if settings.conn.username.is_some() {
        log::warn!("the simulated devices connect anonymously; --username is not used by sim");
    }
    // Fail fast with exit 3 when the broker is not there, like the monitor does.
    let addr = format!("{}:{}", settings.conn.host, settings.conn.port);
    tokio::time::timeout(
        Duration::from_secs(5),
        tokio::net::TcpStream::connect(&addr),
    )
    .await
    .map_err(|_| {
        AppError::Connect(format!(
            "cannot connect to {}: timed out",
            settings.conn.url()
        ))
    })?
    .map_err(|e| AppError::Connect(format!("cannot connect to {}: {e}", settings.conn.url())))?;
    if args.truth.is_some() && args.world.world == sim::worlds::Kind::Lab {
        return Err(AppError::Usage(
            "--truth without --offline needs --world home or plant (the live lab world keeps no truth)".into(),
        ));
    }
    let (world, truth) = spawn_world(
        &settings.conn.host,
        settings.conn.port,
        &args.world,
        spec.clone(),
        args.duration,
        Duration::ZERO,
    );
    if args.world.world != sim::worlds::Kind::Lab {
        log::info!(
            "simulating the {} world on {} (Ctrl-C stops)",
            args.world.world.as_str(),
            settings.conn.url()
        );
    } else {
        log::info!(
            "simulating {} lab sensors, {} zone sensors, {} machines{} on {} (Ctrl-C stops)",
            spec.lab_sensors,
            spec.zone_sensors,
            spec.machines,
            if spec.supervisor {
                " and a supervisor"
            } else {
                ""
            },
            settings.conn.url()
        );
    }
    let stop = headless::shutdown_signal();
    match args.duration {
        Some(d) => {
            tokio::select! {
                _ = stop => {}
                _ = tokio::time::sleep(d) => {}
            }
        }
        None => stop.await,
    }
    world.abort();
    if let (Some(path), Some(truth)) = (&args.truth, truth) {
        let t = truth.lock().map(|g| g.clone()).unwrap_or_default();
        let text = serde_json::to_string_pretty(&t).expect("truth serialises");
        std::fs::write(path, text + "\n")
            .map_err(|e| AppError::File(format!("cannot write {}: {e}", path.display())))?;
        log::info!("wrote the truth to {}", path.display());
    }
    Ok(())
}

/// `twinview sim --offline --world home|plant`.
fn sim_offline_world(
    args: &SimArgs,
    out: &std::path::Path,
    truth_path: &std::path::Path,
    duration: Duration,
) -> Result<(), AppError> {
    let secs = duration.as_secs_f64();
    if !(60.0..=31.0 * 86400.0).contains(&secs) {
        return Err(AppError::Usage(
            "--duration must be between 1 minute and 31 days with --offline".into(),
        ));
    }
    let kind = args.world.world;
    let seed = args.world.seed.unwrap_or(1);
    let file = |p: &std::path::Path, e: std::io::Error| {
        AppError::File(format!("cannot write {}: {e}", p.display()))
    };
    let f = std::fs::File::create(out).map_err(|e| file(out, e))?;
    let mut bw = std::io::BufWriter::new(f);
    let truth = sim::worlds::write(kind, seed, secs, &mut bw).map_err(|e| file(out, e))?;
    std::io::Write::flush(&mut bw).map_err(|e| file(out, e))?;
    let text = serde_json::to_string_pretty(&truth).expect("truth serialises");
    std::fs::write(truth_path, text + "\n").map_err(|e| file(truth_path, e))?;
    log::info!(
        "wrote {} (the {} world, seed {seed}, {:.0} s: {} devices, {} series declared) and its truth {} ({} faults, {} process changes)",
        out.display(),
        kind.as_str(),
        secs,
        truth.devices.iter().filter(|d| d.ecosystem != "ghost").count(),
        truth.series.len(),
        truth_path.display(),
        truth.faults.len(),
        truth.process_changes.len()
    );
    Ok(())
}

/// `twinview sim --offline`: a labelled world written to a recording and its truth.
fn sim_offline(args: &SimArgs) -> Result<(), AppError> {
    logging::init_stderr();
    let (Some(out), Some(truth_path), Some(duration)) = (&args.out, &args.truth, args.duration)
    else {
        return Err(AppError::Usage(
            "--offline needs --duration, --out and --truth".into(),
        ));
    };
    let w = &args.world;
    if w.world != sim::worlds::Kind::Lab {
        return sim_offline_world(args, out, truth_path, duration);
    }
    if !(w.interval.is_finite() && (0.1..=3600.0).contains(&w.interval)) {
        return Err(AppError::Usage(format!(
            "--interval must be between 0.1 and 3600 seconds with --offline, not {}",
            w.interval
        )));
    }
    if args.zones == 0 || args.per_zone == 0 || args.zones * args.per_zone > 10_000 {
        return Err(AppError::Usage(
            "--zones and --per-zone must be at least 1, and at most 10000 sensors in all".into(),
        ));
    }
    let secs = duration.as_secs_f64();
    if !(60.0..=31.0 * 86400.0).contains(&secs) {
        return Err(AppError::Usage(
            "--duration must be between 1 minute and 31 days with --offline".into(),
        ));
    }
    let spec = sim::offline::OfflineSpec {
        seed: w.seed.unwrap_or(1),
        duration_s: secs,
        interval_s: w.interval,
        zones: args.zones,
        per_zone: args.per_zone,
        faults_per_kind: 1,
    };
    let file = |p: &std::path::Path, e: std::io::Error| {
        AppError::File(format!("cannot write {}: {e}", p.display()))
    };
    let f = std::fs::File::create(out).map_err(|e| file(out, e))?;
    let mut bw = std::io::BufWriter::new(f);
    let truth = sim::offline::write(&spec, &mut bw).map_err(|e| file(out, e))?;
    std::io::Write::flush(&mut bw).map_err(|e| file(out, e))?;
    let text = serde_json::to_string_pretty(&truth).expect("truth serialises");
    std::fs::write(truth_path, text + "\n").map_err(|e| file(truth_path, e))?;
    log::info!(
        "wrote {} ({} sensors in {} zones, every {} s for {:.0} s; {}) and its truth {} ({} faults, {} process changes)",
        out.display(),
        truth.sensors.len(),
        args.zones,
        w.interval,
        secs,
        truth.shape,
        truth_path.display(),
        truth.faults.len(),
        truth.process_changes.len()
    );
    Ok(())
}

/// `twinview replay FILE`: the UI fed from a recording, the snapshot of it (`--headless`), or
/// the session republished to a broker (`--to-broker`).
pub async fn replay(mut args: ReplayArgs) -> Result<(), AppError> {
    // A stored range is written out as a recording first, then replayed like one.
    let _exported = match &args.from_store {
        Some(store) => {
            let file =
                history::export_for_replay(store, args.since.as_deref(), args.until.as_deref())?;
            args.file = Some(file.0.clone());
            Some(file)
        }
        None => None,
    };
    let Some(file) = args.file.clone() else {
        return Err(AppError::Usage(
            "replay needs a FILE or --from-store STORE".into(),
        ));
    };
    let settings = config::resolve(&ConnArgs::default(), &args.view, &env_without_password())?;
    if settings.record.is_some() {
        return Err(AppError::Usage(
            "--record cannot be used with replay".into(),
        ));
    }
    if settings.metrics.is_some() {
        return Err(AppError::Usage(
            "--metrics serves a live twin (a broker, or the demo); a replay has its --headless snapshot".into(),
        ));
    }
    if let Some(target) = &args.to_broker {
        logging::init_stderr();
        return to_broker(&file, target, args.speed.unwrap_or(1.0)).await;
    }
    if settings.store.is_some() && !settings.headless {
        return Err(AppError::Usage(
            "--store with replay stores the whole recording once: add --headless (the interactive replay seeks back and forth)".into(),
        ));
    }
    if args.scores.is_some() && !settings.headless {
        return Err(AppError::Usage(
            "--scores writes a file while replaying headless: add --headless".into(),
        ));
    }
    let said = |e: &Option<history::Exported>| {
        for line in e.iter().flat_map(|e| &e.1) {
            log::info!("{line}");
        }
    };
    if settings.headless {
        logging::init_stderr();
        said(&_exported);
        let snap = replay_headless_scored(&file, &settings, args.scores.as_deref())?;
        snap.print()?;
        return Ok(());
    }
    let theme = Theme::load_from(&settings.theme, settings.config_dir.as_deref())?;
    let recording = replay_src::read(&file)?;
    if recording.events.is_empty() {
        return Err(AppError::File(format!(
            "{} holds no events to replay",
            file.display()
        )));
    }
    logging::init_ui();
    said(&_exported);
    for (line, why) in &recording.skipped {
        log::warn!("{}: line {line} skipped: {why}", file.display());
    }
    let opts = AppOptions {
        source: match &args.from_store {
            Some(s) => format!("replay of the store {}", crate::config::url::redacted(s)),
            None => format!("replay {}", file.display()),
        },
        theme,
        fps: settings.fps,
        mouse: settings.mouse,
        duration: settings.duration,
        world: None,
        publisher: None,
        templates: settings.commands.clone(),
        recorder: None,
        history: None,
        scraped: None,
    };
    let mut live = Live::offline(
        Twin::new(settings.twin.clone()),
        &format!("file://{}", file.display()),
    );
    if let Some(p) = &settings.events {
        live.plug(Box::new(crate::outputs::events::EventsWriter::create(p)?));
    }
    app::run_replay(
        settings.twin.clone(),
        live,
        recording,
        args.speed.unwrap_or(1.0),
        opts,
    )
    .await
}

/// Applies a whole recording as fast as it can, ticking the twin on the recording's own clock,
/// and returns the snapshot at its last event.
///
/// Two threads: one reads lines and decodes payloads, in batches, while this one applies them
/// (reading and decoding are about half the work per message). The bounded channel keeps at
/// most `QUEUED` batches in memory.
pub fn replay_headless(
    path: &std::path::Path,
    settings: &Settings,
) -> Result<crate::outputs::snapshot::Snapshot, AppError> {
    replay_headless_scored(path, settings, None)
}

/// [`replay_headless`], writing every reading's anomaly score to `scores` when given.
pub fn replay_headless_scored(
    path: &std::path::Path,
    settings: &Settings,
    scores: Option<&std::path::Path>,
) -> Result<crate::outputs::snapshot::Snapshot, AppError> {
    const BATCH: usize = 1024;
    const QUEUED: usize = 4;
    type Batch = Vec<(crate::source::event::Event, Option<crate::decode::Decoded>)>;
    let max_payload = settings.twin.max_payload;
    let mut live = crate::live::Live::offline(Twin::new(settings.twin.clone()), "");
    if let Some(store) = &settings.store {
        let mut store = store.clone();
        store.wait_when_full = true;
        live.plug(Box::new(crate::outputs::store::Store::open(&store)?));
    }
    if let Some(p) = &settings.events {
        live.plug(Box::new(crate::outputs::events::EventsWriter::create(p)?));
    }
    if let Some(p) = scores {
        live.plug(Box::new(crate::outputs::scores::Scores::create(p)?));
    }
    let mut last: Option<chrono::DateTime<chrono::Utc>> = None;
    let limit = settings.count;
    let summary = std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Batch>(QUEUED);
        // Applied batches go back to the reader, which frees their events and reuses the Vec:
        // freeing is then off the applying thread, which is the busier of the two.
        let (back_tx, back_rx) = std::sync::mpsc::sync_channel::<Batch>(QUEUED + 2);
        let reader = scope.spawn(move || {
            let fresh = || {
                back_rx.try_recv().map_or_else(
                    |_| Batch::with_capacity(BATCH),
                    |mut b| {
                        b.clear();
                        b
                    },
                )
            };
            let mut batch = fresh();
            let summary = replay_src::for_each(path, |ev| {
                let decoded = match &ev {
                    crate::source::event::Event::Message(m) => {
                        Some(crate::decode::decode(&m.payload, max_payload))
                    }
                    _ => None,
                };
                batch.push((ev, decoded));
                if batch.len() == BATCH {
                    // A closed channel means the applier stopped (--count): drop the rest.
                    let _ = tx.send(std::mem::replace(&mut batch, fresh()));
                }
            });
            let _ = tx.send(batch);
            summary
        });
        'apply: for batch in rx {
            for (ev, decoded) in &batch {
                if limit.is_some_and(|l| live.twin.messages >= l) {
                    break 'apply;
                }
                let t = replay_src::event_time(ev);
                if last.is_some_and(|l| t.timestamp() > l.timestamp()) {
                    live.tick(t);
                }
                last = Some(last.map_or(t, |l| l.max(t)));
                match (ev, decoded) {
                    (crate::source::event::Event::Message(m), Some(d)) => {
                        crate::live::guard::apply_with(&mut live.twin, ev, |t| {
                            t.apply_decoded(m, d)
                        })
                    }
                    _ => live.apply(ev),
                }
            }
            if let Some(t) = last {
                live.feed(t);
            }
            // Full means the reader has finished; the batch is then simply freed here.
            let _ = back_tx.try_send(batch);
        }
        reader.join().unwrap_or_else(|_| {
            Err(AppError::File(format!(
                "reading {} failed unexpectedly",
                path.display()
            )))
        })
    })?;
    let end = summary.end.or(last).unwrap_or_else(chrono::Utc::now);
    live.finish(end)?;
    let source = summary
        .source
        .unwrap_or_else(|| format!("file://{}", path.display()));
    Ok(
        crate::outputs::snapshot::Snapshot::of(&live.twin, &source, 0, end)
            .with_outputs(live.health()),
    )
}

/// Republishes every received message of a recording to `target` with its original timing
/// (scaled by `speed`).
async fn to_broker(path: &std::path::Path, target: &str, speed: f64) -> Result<(), AppError> {
    let url = crate::config::url::parse(target).map_err(AppError::Usage)?;
    if url.tls == Some(true) || url.username.is_some() {
        return Err(AppError::Usage(format!(
            "`{target}`: replay --to-broker publishes over plain MQTT without a login (a test or lab broker); give mqtt://HOST[:PORT]"
        )));
    }
    let (host, port) = (url.host.clone(), url.port_or_default(false));
    let recording = replay_src::read(path)?;
    let url = format!("mqtt://{host}:{port}");
    let mut opts = rumqttc::MqttOptions::new(config::default_client_id(), host.clone(), port);
    opts.set_keep_alive(Duration::from_secs(15));
    opts.set_max_packet_size(16 << 20, 16 << 20);
    let (client, mut eventloop) = rumqttc::AsyncClient::new(opts, 1000);
    // Wait for the connection so a wrong broker is one clear error, not a silent replay.
    match tokio::time::timeout(Duration::from_secs(10), eventloop.poll()).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => {
            return Err(AppError::Connect(format!(
                "cannot connect to {url}: {}",
                mqtt::describe_error(&e)
            )))
        }
        Err(_) => {
            return Err(AppError::Connect(format!(
                "cannot connect to {url}: timed out"
            )))
        }
    }
    let poller = tokio::spawn(async move {
        loop {
            match eventloop.poll().await {
                Ok(rumqttc::Event::Outgoing(rumqttc::Outgoing::Disconnect)) => return,
                Ok(_) => {}
                Err(e) => {
                    log::error!("{e}");
                    return;
                }
            }
        }
    });
    let messages: Vec<crate::source::event::Message> = recording
        .events
        .into_iter()
        .filter_map(|e| match e {
            crate::source::event::Event::Message(m) => Some(m),
            _ => None,
        })
        .collect();
    let Some(t0) = messages.first().map(|m| m.at) else {
        return Err(AppError::File(format!(
            "{} holds no messages",
            path.display()
        )));
    };
    log::info!(
        "republishing {} messages to {url} at {speed}x",
        messages.len()
    );
    let wall0 = tokio::time::Instant::now();
    for m in &messages {
        if speed.is_finite() {
            let offset = (m.at - t0).num_milliseconds().max(0) as f64 / 1000.0 / speed;
            tokio::time::sleep_until(wall0 + Duration::from_secs_f64(offset)).await;
        }
        client
            .publish(
                m.topic.clone(),
                mqtt::qos(m.qos),
                m.retain,
                m.payload.to_vec(),
            )
            .await
            .map_err(|e| AppError::Connect(format!("{url}: {e}")))?;
    }
    let _ = client.disconnect().await;
    let _ = tokio::time::timeout(Duration::from_secs(10), poller).await;
    log::info!("done: {} messages republished", messages.len());
    Ok(())
}
