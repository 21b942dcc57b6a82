//! The UI loop: apply events as they arrive, draw on a clock.
//!
//! Events are drained in batches and applied to the twin; the screen is redrawn at most
//! `fps` times a second and only when something changed (or once a second, for the clocks).
//! Keys are read on their own thread so a slow frame never loses input.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{Local, Utc};
use crossterm::event::{self as ct, Event as CtEvent};
use tokio::sync::mpsc;

use super::keys;
use super::theme::Theme;
use super::{render, Flow, UiState};
use crate::error::AppError;
use crate::event::Event;
use crate::headless::{shutdown_signal, BATCH};
use crate::sim::SimControl;
use crate::source::mqtt::SourceStats;
use crate::twin::Twin;

pub struct AppOptions {
    pub source: String,
    pub theme: Theme,
    pub fps: f64,
    pub duration: Option<Duration>,
    /// The demo's simulated world, so keys can drop and restore its devices.
    pub world: Option<crate::sim::World>,
    /// Publishes confirmed commands; `None` with `--read-only`.
    pub publisher: Option<crate::source::mqtt::Publisher>,
    pub templates: crate::commands::Templates,
}

/// Reads terminal events on a plain thread until `stop` is set or the receiver is gone.
fn spawn_input(tx: mpsc::Sender<CtEvent>, stop: Arc<AtomicBool>) {
    std::thread::Builder::new()
        .name("keyboard".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                match ct::poll(Duration::from_millis(100)) {
                    Ok(true) => match ct::read() {
                        Ok(ev) => {
                            if tx.blocking_send(ev).is_err() {
                                return;
                            }
                        }
                        Err(e) => {
                            log::error!("cannot read the terminal: {e}");
                            return;
                        }
                    },
                    Ok(false) => {}
                    Err(e) => {
                        log::error!("cannot poll the terminal: {e}");
                        return;
                    }
                }
            }
        })
        .expect("spawn keyboard thread");
}

/// Runs the terminal UI until the user quits, `duration` passes, or SIGINT/SIGTERM.
pub async fn run(
    mut twin: Twin,
    mut rx: mpsc::Receiver<Event>,
    stats: Arc<SourceStats>,
    opts: AppOptions,
) -> Result<(), AppError> {
    let mut terminal = ratatui::try_init()
        .map_err(|e| AppError::Other(format!("cannot set up the terminal: {e}")))?;
    let result = event_loop(&mut terminal, &mut twin, &mut rx, &stats, &opts).await;
    ratatui::restore();
    result
}

async fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    twin: &mut Twin,
    rx: &mut mpsc::Receiver<Event>,
    stats: &SourceStats,
    opts: &AppOptions,
) -> Result<(), AppError> {
    let (key_tx, mut key_rx) = mpsc::channel(256);
    let stop = Arc::new(AtomicBool::new(false));
    spawn_input(key_tx, stop.clone());
    // Stop the keyboard thread however this function ends.
    struct StopOnDrop(Arc<AtomicBool>);
    impl Drop for StopOnDrop {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Relaxed);
        }
    }
    let _stop = StopOnDrop(stop);

    let tz = *Local::now().offset();
    let mut ui = UiState::new(opts.source.clone(), Utc::now(), tz);
    ui.demo = opts.world.is_some();
    ui.read_only = opts.publisher.is_none();
    ui.templates = opts.templates.clone();
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / opts.fps));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    let deadline = tokio::time::sleep(
        opts.duration
            .unwrap_or(Duration::from_secs(u32::MAX as u64)),
    );
    tokio::pin!(deadline);
    let mut dirty = true;
    let mut last_second = 0;
    let mut source_open = true;

    loop {
        tokio::select! {
            biased;
            key = key_rx.recv() => {
                let Some(ev) = key else { return Ok(()) };
                match ev {
                    CtEvent::Key(k) => {
                        if let Some(action) = keys::action(k, ui.editing()) {
                            match ui.handle(action, twin) {
                                Flow::Quit => return Ok(()),
                                Flow::Continue => {}
                                Flow::Publish(cmds) => {
                                    ui.now = Utc::now();
                                    let n = cmds.len();
                                    let failed: Vec<String> = match &opts.publisher {
                                        Some(p) => cmds.into_iter().filter_map(|c| p.send(c).err()).collect(),
                                        None => vec!["read-only".into()],
                                    };
                                    ui.say(match failed.first() {
                                        None => format!("publishing {n} command{}…", if n == 1 { "" } else { "s" }),
                                        Some(e) => format!("not published: {e}"),
                                    });
                                }
                                Flow::Sim(id, control) => {
                                    ui.now = Utc::now();
                                    let sent = opts.world.as_ref().is_some_and(|w| w.control(&id, control));
                                    ui.say(match (sent, control) {
                                        (false, _) => format!("{id} is not a simulated device"),
                                        (true, SimControl::Drop) => format!("dropping {id} hard: watch its Last Will arrive"),
                                        (true, SimControl::Restore) => format!("bringing {id} back"),
                                        (true, SimControl::Fault(k)) => format!("{k:?} fault injected into {id}"),
                                    });
                                }
                            }
                        }
                    }
                    CtEvent::Resize(..) => {}
                    _ => continue,
                }
                // Answer keys at once rather than on the next tick.
                draw(terminal, twin, &mut ui, stats, opts)?;
                dirty = false;
            }
            _ = &mut shutdown => return Ok(()),
            _ = &mut deadline => return Ok(()),
            _ = tick.tick() => {
                let sec = Utc::now().timestamp();
                if sec != last_second {
                    twin.tick(Utc::now());
                }
                if dirty || sec != last_second {
                    last_second = sec;
                    draw(terminal, twin, &mut ui, stats, opts)?;
                    dirty = false;
                }
            }
            ev = rx.recv(), if source_open => {
                match ev {
                    Some(ev) => {
                        let mut next = Some(ev);
                        let mut n = 0;
                        while let Some(ev) = next.take() {
                            twin.apply(&ev);
                            if let crate::event::Event::Command(c) = &ev {
                                ui.now = Utc::now();
                                ui.say(match &c.outcome {
                                    crate::event::Outcome::Failed(why) => format!("✖ {} failed: {why}", c.command.topic),
                                    o => format!("✔ {} {}", c.command.topic, o.as_str()),
                                });
                            }
                            n += 1;
                            if n < BATCH {
                                next = rx.try_recv().ok();
                            }
                        }
                        dirty = true;
                    }
                    None => {
                        log::warn!("the event source has ended");
                        source_open = false;
                    }
                }
            }
        }
    }
}

fn draw(
    terminal: &mut ratatui::DefaultTerminal,
    twin: &Twin,
    ui: &mut UiState,
    stats: &SourceStats,
    opts: &AppOptions,
) -> Result<(), AppError> {
    ui.now = Utc::now();
    ui.dropped = stats.dropped();
    ui.refresh(twin);
    terminal
        .draw(|frame| render(frame, twin, ui, &opts.theme))
        .map_err(|e| AppError::Other(format!("cannot draw: {e}")))?;
    Ok(())
}
