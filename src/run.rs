//! The modes twinview runs in: monitor a broker, the demo, and the simulated world alone.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::cli::{ConnArgs, DemoArgs, SimArgs, ViewArgs, WorldArgs};
use crate::config::{self, Settings};
use crate::error::AppError;
use crate::headless::{self, Limits};
use crate::sim::{self, broker, WorldSpec};
use crate::source::mqtt::{self, SourceStats};
use crate::twin::Twin;
use crate::ui::app::{self, AppOptions};
use crate::ui::theme::Theme;
use crate::{logging, EVENT_CHANNEL};

fn password_env() -> Option<String> {
    std::env::var("TWINVIEW_PASSWORD").ok()
}

/// `twinview [options]`: watch a broker in the UI, or headless.
pub async fn monitor(conn: ConnArgs, view: ViewArgs) -> Result<(), AppError> {
    let settings = config::resolve(&conn, &view, password_env())?;
    watch(settings, None).await
}

/// Connects to the broker in `settings` and runs the UI or the headless snapshot.
async fn watch(settings: Settings, world: Option<sim::World>) -> Result<(), AppError> {
    // Check the theme before the terminal changes mode, so a typo is a clean error.
    let theme = if settings.headless {
        None
    } else {
        Some(Theme::load(&settings.theme)?)
    };
    if settings.headless {
        logging::init_stderr();
    } else {
        logging::init_ui();
    }
    let source = settings.conn.url();
    let (tx, rx) = mpsc::channel(EVENT_CHANNEL);
    let stats = Arc::new(SourceStats::default());
    let publisher = mqtt::spawn(settings.conn.clone(), tx, stats.clone());
    let publisher = (!settings.read_only).then_some(publisher);
    let twin = Twin::new(settings.twin.clone());
    match theme {
        None => {
            let limits = Limits {
                duration: settings.duration,
                count: settings.count,
            };
            headless::run(twin, rx, limits, &source, stats).await
        }
        Some(theme) => {
            let opts = AppOptions {
                source,
                theme,
                fps: settings.fps,
                duration: settings.duration,
                world,
                publisher,
                templates: settings.commands.clone(),
            };
            app::run(twin, rx, stats, opts).await
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
    Ok(WorldSpec {
        lab_sensors: w.sensors,
        zone_sensors: w.zone_sensors,
        interval: Duration::from_secs_f64(w.interval),
        seed: w.seed,
        machines,
        supervisor: w.supervisor || (demo && machines > 0),
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
    })
}

/// `twinview demo`: embedded broker + simulated world + the UI (or headless).
pub async fn demo(args: DemoArgs) -> Result<(), AppError> {
    let mut settings = config::resolve(&ConnArgs::default(), &args.view, None)?;
    let spec = world_spec(&args.world, true, &settings.twin.cnp_prefix)?;
    let b = broker::start()?;
    settings.conn.host = b.host().to_string();
    settings.conn.port = b.port;
    let world = sim::spawn(b.host(), b.port, &spec);
    watch(settings, Some(world)).await
}

/// `twinview sim`: only the simulated world, against any broker.
pub async fn sim(args: SimArgs) -> Result<(), AppError> {
    let spec = world_spec(&args.world, false, &args.cnp_prefix)?;
    let settings = config::resolve(&args.conn, &ViewArgs::default(), password_env())?;
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
    let world = sim::spawn(&settings.conn.host, settings.conn.port, &spec);
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
    Ok(())
}
