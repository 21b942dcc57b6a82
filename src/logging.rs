//! Where log lines go: the Log tab in the terminal UI, stderr otherwise.

use std::io::Write;

use log::{LevelFilter, Log, Metadata, Record};

/// Log lines from these crates are only shown at warn and above: they are chatty, and the
/// embedded broker's trace spans would drown twinview's own log.
const QUIET_TARGETS: &[&str] = &["rumqttc", "tokio_rustls", "rustls"];
/// Silenced entirely: the embedded broker's tracing spans arrive as ERROR records.
const SILENT_TARGETS: &[&str] = &["rumqttd", "tracing"];

/// The same as an env-filter directive string for tui-logger.
fn directives(level: LevelFilter) -> String {
    let mut d = level.to_string().to_lowercase();
    for t in QUIET_TARGETS {
        d.push_str(&format!(",{t}=warn"));
    }
    for t in SILENT_TARGETS {
        d.push_str(&format!(",{t}=off"));
    }
    d
}

/// The level from `TWINVIEW_LOG` (error, warn, info, debug, trace), default `info`.
fn level_from_env() -> LevelFilter {
    std::env::var("TWINVIEW_LOG")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(LevelFilter::Info)
}

/// Sends log records to the UI's Log tab.
pub fn init_ui() {
    let level = level_from_env();
    if tui_logger::init_logger(level).is_ok() {
        tui_logger::set_default_level(level);
        tui_logger::set_env_filter_from_string(&directives(level));
    }
}

struct Stderr {
    level: LevelFilter,
}

impl Log for Stderr {
    fn enabled(&self, m: &Metadata) -> bool {
        if SILENT_TARGETS.iter().any(|t| m.target().starts_with(t)) {
            return false;
        }
        let quiet = QUIET_TARGETS.iter().any(|t| m.target().starts_with(t));
        m.level()
            <= if quiet {
                LevelFilter::Warn.min(self.level)
            } else {
                self.level
            }
    }

    fn log(&self, r: &Record) {
        if self.enabled(r.metadata()) {
            let now = chrono::Utc::now().format("%H:%M:%S%.3f");
            let _ = writeln!(
                std::io::stderr().lock(),
                "{now} {:<5} {}",
                r.level(),
                r.args()
            );
        }
    }

    fn flush(&self) {}
}

/// Sends log records to stderr (headless and `sim` modes).
pub fn init_stderr() {
    let level = level_from_env();
    if log::set_boxed_logger(Box::new(Stderr { level })).is_ok() {
        log::set_max_level(level);
    }
}
