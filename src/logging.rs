//! Where log lines go: the Log tab in the terminal UI, stderr otherwise.

use std::io::Write;

use log::{LevelFilter, Log, Metadata, Record};

/// Log lines from these crates are only shown at warn and above: they are chatty, and the
/// embedded broker's trace spans would drown twinview's own log.
const QUIET_TARGETS: &[&str] = &["rumqttc", "tokio_rustls", "rustls"];
/// Silenced entirely: the embedded broker's tracing spans arrive as ERROR records.
const SILENT_TARGETS: &[&str] = &["rumqttd", "tracing"];

/// The level from `TWINVIEW_LOG` (error, warn, info, debug, trace), default `info`.
fn level_from_env() -> LevelFilter {
    std::env::var("TWINVIEW_LOG")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(LevelFilter::Info)
}

/// Whether a record at `m` passes `level` and the per-crate rules above.
fn enabled(level: LevelFilter, m: &Metadata) -> bool {
    if SILENT_TARGETS.iter().any(|t| m.target().starts_with(t)) {
        return false;
    }
    let quiet = QUIET_TARGETS.iter().any(|t| m.target().starts_with(t));
    m.level()
        <= if quiet {
            LevelFilter::Warn.min(level)
        } else {
            level
        }
}

/// Sends log records to the UI's Log tab.
///
/// Records go straight into tui-logger's buffer through its `Drain`; the UI moves them into the
/// widget's list with [`ui_flush`] before it draws. `tui_logger::init_logger` would instead run
/// a thread that wakes every 10 ms to do that, which was most of the UI's CPU at rest.
pub fn init_ui() {
    let level = level_from_env();
    // As deep as the widget's own list, so nothing is lost between two frames that it could show.
    tui_logger::set_hot_buffer_depth(10_000);
    tui_logger::set_default_level(level);
    if log::set_boxed_logger(Box::new(Ui { level })).is_ok() {
        log::set_max_level(level);
    }
}

/// Moves the records logged since the last call into the Log tab's list (cheap when none were).
pub fn ui_flush() {
    tui_logger::move_events();
}

/// The twin's module: what it logs at warn and below is in its journal.
const TWIN_TARGET: &str = "twinview::twin";

struct Ui {
    level: LevelFilter,
}

impl Log for Ui {
    fn enabled(&self, m: &Metadata) -> bool {
        enabled(self.level, m)
    }

    fn log(&self, r: &Record) {
        // The twin's own lines are its journal, which the Log tab shows: in the UI they would
        // be said twice, and again after every seek back in a replay.
        let journal = r.target().starts_with(TWIN_TARGET) && r.level() > log::Level::Error;
        if self.enabled(r.metadata()) && !journal {
            // Wire text made visible (see `text`): the record is rebuilt only when needed.
            let line = r.args().to_string();
            match crate::text::visible(&line) {
                std::borrow::Cow::Borrowed(_) => tui_logger::Drain::new().log(r),
                std::borrow::Cow::Owned(clean) => tui_logger::Drain::new().log(
                    &Record::builder()
                        .args(format_args!("{clean}"))
                        .level(r.level())
                        .target(r.target())
                        .module_path(r.module_path())
                        .file(r.file())
                        .line(r.line())
                        .build(),
                ),
            }
        }
    }

    fn flush(&self) {}
}

struct Stderr {
    level: LevelFilter,
}

impl Log for Stderr {
    fn enabled(&self, m: &Metadata) -> bool {
        enabled(self.level, m)
    }

    fn log(&self, r: &Record) {
        if self.enabled(r.metadata()) {
            let now = chrono::Utc::now().format("%H:%M:%S%.3f");
            let line = r.args().to_string();
            let _ = writeln!(
                std::io::stderr().lock(),
                "{now} {:<5} {}",
                r.level(),
                crate::text::visible(&line)
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
