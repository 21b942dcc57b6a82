//! The UI loop: apply events as they arrive, draw on a clock.
//!
//! Events are drained in batches and applied to the twin; the screen is redrawn at most
//! `fps` times a second and only when something changed (or once a second, for the clocks).
//! Keys are read on their own thread so a slow frame never loses input.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Local, Utc};
use crossterm::event::{self as ct, Event as CtEvent};
use tokio::sync::mpsc;

use super::keys;
use super::theme::Theme;
use super::{render, Flow, UiState};
use crate::error::AppError;
use crate::live::headless::shutdown_signal;
use crate::sim::SimControl;
use crate::source::event::Event;
use crate::source::mqtt::SourceStats;
use crate::source::replay::{event_time, Recording, ReplayClock};
use crate::twin::{Twin, TwinConfig};

pub struct AppOptions {
    pub source: String,
    pub theme: Theme,
    pub fps: f64,
    /// Capture the mouse (clicks, wheel).
    pub mouse: bool,
    pub duration: Option<Duration>,
    /// The demo's simulated world, so keys can drop and restore its devices.
    pub world: Option<crate::sim::World>,
    /// Publishes confirmed commands; `None` with `--read-only`.
    pub publisher: Option<crate::source::mqtt::Publisher>,
    pub templates: crate::outputs::commands::Templates,
    /// The recording in progress, for the header.
    pub recorder: Option<Arc<crate::source::record::RecorderStats>>,
    /// `--metrics`: the asks to answer (taken by the live loop).
    pub serving: std::sync::Mutex<crate::outputs::metrics::Serving>,
    /// `--metrics`: when /metrics was last scraped (epoch ms, 0 never), for the header.
    pub scraped: Option<Arc<std::sync::atomic::AtomicI64>>,
    /// `--events`: where the twin's happenings go.
    pub events: Option<crate::outputs::events::EventsWriter>,
}

/// Sets the terminal up (raw mode, alternate screen, and the mouse when asked). Every way out
/// restores it: [`restore_terminal`] on return, and the panic hook installed here (before the
/// guard's, so a caught panic leaves the terminal alone).
fn init_terminal(mouse: bool) -> Result<ratatui::DefaultTerminal, AppError> {
    let terminal = ratatui::try_init()
        .map_err(|e| AppError::Other(format!("cannot set up the terminal: {e}")))?;
    if mouse {
        let restore = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let _ = crossterm::execute!(std::io::stdout(), crossterm::event::DisableMouseCapture);
            restore(info);
        }));
        if let Err(e) = crossterm::execute!(std::io::stdout(), crossterm::event::EnableMouseCapture)
        {
            log::warn!("the mouse is not available: {e}");
        }
    }
    crate::live::guard::install();
    Ok(terminal)
}

/// Gives the terminal back and stops the process, as Ctrl-Z does to any program; on `fg`
/// (SIGCONT) it takes the terminal again and redraws everything.
fn suspend(terminal: &mut ratatui::DefaultTerminal, mouse: bool) -> Result<(), AppError> {
    restore_terminal(mouse);
    // SAFETY: raising a signal on our own process; SIGSTOP cannot be caught, so this returns
    // once the shell continues us.
    unsafe {
        libc::raise(libc::SIGSTOP);
    }
    let mut again = || -> std::io::Result<()> {
        crossterm::terminal::enable_raw_mode()?;
        crossterm::execute!(std::io::stdout(), crossterm::terminal::EnterAlternateScreen)?;
        if mouse {
            crossterm::execute!(std::io::stdout(), crossterm::event::EnableMouseCapture)?;
        }
        terminal.hide_cursor()?;
        terminal.clear()
    };
    again().map_err(|e| AppError::Other(format!("cannot take the terminal back: {e}")))
}

/// SIGTSTP (`kill -TSTP`, or Ctrl-Z where the terminal sends the signal): handled, so that
/// twinview suspends through [`suspend`] instead of stopping with the terminal raw.
async fn tstp(sig: &mut Option<tokio::signal::unix::Signal>) {
    match sig {
        Some(s) => {
            s.recv().await;
        }
        None => std::future::pending().await,
    }
}

fn tstp_signal() -> Option<tokio::signal::unix::Signal> {
    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::from_raw(libc::SIGTSTP)).ok()
}

fn restore_terminal(mouse: bool) {
    if mouse {
        let _ = crossterm::execute!(std::io::stdout(), crossterm::event::DisableMouseCapture);
    }
    ratatui::restore();
    // The shell gets a visible cursor back (also when suspending with Ctrl-Z).
    let _ = crossterm::execute!(std::io::stdout(), crossterm::cursor::Show);
}

/// Reads terminal events on a plain thread until `stop` is set or the receiver is gone.
fn spawn_input(tx: mpsc::Sender<CtEvent>, stop: Arc<AtomicBool>) {
    std::thread::Builder::new()
        .name("keyboard".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                match ct::poll(Duration::from_millis(250)) {
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

/// Stops the keyboard thread when dropped.
struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Terminal events on a channel, read by a thread that stops when the guard is dropped.
fn keyboard() -> (mpsc::Receiver<CtEvent>, StopOnDrop) {
    let (key_tx, key_rx) = mpsc::channel(256);
    let stop = Arc::new(AtomicBool::new(false));
    spawn_input(key_tx, stop.clone());
    (key_rx, StopOnDrop(stop))
}

fn new_ui(opts: &AppOptions) -> UiState {
    let tz = *Local::now().offset();
    let mut ui = UiState::new(opts.source.clone(), Utc::now(), tz);
    ui.demo = opts.world.is_some();
    ui.read_only = opts.publisher.is_none();
    ui.templates = opts.templates.clone();
    ui
}

/// Runs the terminal UI on a recording: the replay clock decides which events the twin has
/// seen; seeking backwards rebuilds the twin from the start.
pub async fn run_replay(
    cfg: TwinConfig,
    recording: Recording,
    speed: f64,
    opts: AppOptions,
) -> Result<(), AppError> {
    let mut terminal = init_terminal(opts.mouse)?;
    let result = replay_loop(&mut terminal, cfg, recording, speed, &opts).await;
    restore_terminal(opts.mouse);
    if let Some(w) = opts.events {
        w.finish();
    }
    result
}

/// The twin as it was at a point of a recording.
pub struct ReplayState {
    cfg: TwinConfig,
    events: Vec<Event>,
    times: Vec<DateTime<Utc>>,
    /// Events applied so far (`events[..cursor]`).
    cursor: usize,
    pub twin: Twin,
    /// With an events file: the latest happening written, so that seeking back (which
    /// rebuilds the twin) does not write the same happenings twice.
    written_until: Option<DateTime<Utc>>,
    keep_events: bool,
}

impl ReplayState {
    pub fn new(cfg: TwinConfig, events: Vec<Event>) -> ReplayState {
        let times = events.iter().map(event_time).collect();
        ReplayState {
            twin: Twin::new(cfg.clone()),
            cfg,
            events,
            times,
            cursor: 0,
            written_until: None,
            keep_events: false,
        }
    }

    /// Keeps the twin's happenings for an events file (see [`ReplayState::new_happenings`]).
    pub fn keep_events(&mut self) {
        self.keep_events = true;
        self.twin.journal.keep_for_writer();
    }

    /// Happenings not written before: those past the furthest point already played.
    pub fn new_happenings(&mut self) -> Vec<crate::twin::journal::Happening> {
        let until = self.written_until;
        let fresh: Vec<_> = self
            .twin
            .journal
            .take_new()
            .into_iter()
            .filter(|h| until.is_none_or(|u| h.t > u))
            .collect();
        if let Some(last) = fresh.iter().map(|h| h.t).max() {
            self.written_until = Some(last);
        }
        fresh
    }

    pub fn span(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        let first = self.times.first().copied().unwrap_or_else(Utc::now);
        (first, self.times.last().copied().unwrap_or(first))
    }

    /// Brings the twin to `position`: forwards by applying events, backwards by rebuilding.
    pub fn sync(&mut self, position: DateTime<Utc>) {
        if self.cursor > 0 && self.times[self.cursor - 1] > position {
            self.twin = Twin::new(self.cfg.clone());
            if self.keep_events {
                self.twin.journal.keep_for_writer();
            }
            self.cursor = 0;
        }
        let mut last_sec = None;
        while self.cursor < self.events.len() && self.times[self.cursor] <= position {
            let t = self.times[self.cursor];
            if last_sec.is_some_and(|s| t.timestamp() > s) {
                self.twin.tick(t);
            }
            last_sec = Some(t.timestamp());
            crate::live::guard::apply(&mut self.twin, &self.events[self.cursor]);
            self.cursor += 1;
        }
        self.twin.tick(position);
    }
}

async fn replay_loop(
    terminal: &mut ratatui::DefaultTerminal,
    cfg: TwinConfig,
    recording: Recording,
    speed: f64,
    opts: &AppOptions,
) -> Result<(), AppError> {
    let (mut key_rx, _stop) = keyboard();
    let mut ui = new_ui(opts);
    ui.read_only = true;
    let mut state = ReplayState::new(cfg, recording.events);
    if opts.events.is_some() {
        state.keep_events();
    }
    let (start, last) = state.span();
    let end = recording.end.map_or(last, |e| e.max(last));
    ui.replay = Some(ReplayClock::new(start, end, speed));
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / opts.fps));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    let mut tstp_sig = tstp_signal();
    let mut last = std::time::Instant::now();
    loop {
        tokio::select! {
            biased;
            key = key_rx.recv() => {
                let Some(ev) = key else { return Ok(()) };
                match ev {
                    CtEvent::Key(k) => {
                        if let Some(action) = keys::action(k, ui.editing()) {
                            match ui.handle(action, &state.twin) {
                                Flow::Quit => return Ok(()),
                                Flow::Suspend => suspend(terminal, opts.mouse)?,
                                _ => {}
                            }
                        }
                    }
                    CtEvent::Mouse(m) => {
                        ui.mouse(m, &state.twin);
                    }
                    _ => {}
                }
            }
            _ = &mut shutdown => return Ok(()),
            _ = tstp(&mut tstp_sig) => suspend(terminal, opts.mouse)?,
            _ = tick.tick() => {}
        }
        let now = std::time::Instant::now();
        if let Some(clock) = ui.replay.as_mut() {
            clock.advance(now - last);
            state.sync(clock.position);
            ui.now = clock.position;
        }
        if let Some(w) = &opts.events {
            w.write(state.new_happenings());
        }
        last = now;
        ui.refresh(&state.twin);
        crate::logging::ui_flush();
        terminal
            .draw(|frame| render(frame, &state.twin, &ui, &opts.theme))
            .map_err(|e| AppError::Other(format!("cannot draw: {e}")))?;
    }
}

/// Runs the terminal UI until the user quits, `duration` passes, or SIGINT/SIGTERM.
pub async fn run(
    mut twin: Twin,
    mut rx: mpsc::Receiver<Event>,
    stats: Arc<SourceStats>,
    opts: AppOptions,
) -> Result<(), AppError> {
    let mut terminal = init_terminal(opts.mouse)?;
    let result = event_loop(&mut terminal, &mut twin, &mut rx, &stats, &opts).await;
    restore_terminal(opts.mouse);
    result
}

async fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    twin: &mut Twin,
    rx: &mut mpsc::Receiver<Event>,
    stats: &SourceStats,
    opts: &AppOptions,
) -> Result<(), AppError> {
    let (mut key_rx, _stop) = keyboard();
    let mut ui = new_ui(opts);
    // Draw at most `fps` times a second while things change; at rest, wake once a second for
    // the clocks ("3s ago", rates) and nothing more.
    let frame = Duration::from_secs_f64(1.0 / opts.fps);
    let next_frame = tokio::time::sleep(frame);
    tokio::pin!(next_frame);
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    let mut tstp_sig = tstp_signal();
    let deadline = tokio::time::sleep(
        opts.duration
            .unwrap_or(Duration::from_secs(u32::MAX as u64)),
    );
    tokio::pin!(deadline);
    let mut dirty = true;
    let mut last_second = 0;
    let mut last_draw = std::time::Instant::now();
    let mut source_open = true;
    let mut serving = std::mem::replace(
        &mut *opts.serving.lock().expect("serving lock"),
        crate::outputs::metrics::Serving::none(),
    );

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
                                Flow::Suspend => suspend(terminal, opts.mouse)?,
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
                    // Mouse moves (reported too while captured) change nothing: no redraw.
                    CtEvent::Mouse(m) => {
                        if !ui.mouse(m, twin) {
                            continue;
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
            _ = tstp(&mut tstp_sig) => {
                suspend(terminal, opts.mouse)?;
                draw(terminal, twin, &mut ui, stats, opts)?;
            }
            _ = &mut deadline => return Ok(()),
            ask = serving.asks.next() => {
                // The snapshot names the broker, not the profile the header shows.
                let source = opts
                    .source
                    .split_once(' ')
                    .filter(|(p, _)| p.starts_with('@'))
                    .map_or(opts.source.as_str(), |(_, url)| url);
                serving.answer(ask, twin, source, stats.dropped(), rx.len());
            }
            _ = &mut next_frame => {
                let now = Utc::now();
                let sec = now.timestamp();
                if sec != last_second {
                    twin.tick(now);
                    if let Some(w) = &opts.events {
                        w.drain(twin);
                    }
                }
                // Ingest comes first: while more than a batch is waiting (a burst of retained
                // messages at connect, say), frames wait too — but never more than a second, so
                // the screen stays alive under a sustained flood.
                let behind = rx.len() > crate::live::pump::BATCH
                    && last_draw.elapsed() < Duration::from_secs(1);
                if (dirty || sec != last_second) && !behind {
                    last_second = sec;
                    draw(terminal, twin, &mut ui, stats, opts)?;
                    last_draw = std::time::Instant::now();
                    dirty = false;
                }
                // Idle: sleep to the next second; busy: the next frame.
                let to_next_second = Duration::from_millis(1000 - u64::from(now.timestamp_subsec_millis()).min(999));
                let wait = if dirty { frame } else { to_next_second.max(frame) };
                next_frame.as_mut().reset(tokio::time::Instant::now() + wait);
            }
            ev = rx.recv(), if source_open => {
                match ev {
                    Some(ev) => {
                        let mut flash = None;
                        let batch = crate::live::pump::apply_batch(twin, ev, rx, |_, ev| {
                            if let crate::source::event::Event::Command(c) = ev {
                                flash = Some(match &c.outcome {
                                    crate::source::event::Outcome::Failed(why) => format!("✖ {} failed: {why}", c.command.topic),
                                    o => format!("✔ {} {}", c.command.topic, o.as_str()),
                                });
                            }
                            crate::live::pump::Step::Go
                        });
                        if let Some(text) = flash {
                            ui.now = Utc::now();
                            ui.say(text);
                        }
                        if let Some(w) = &opts.events {
                            w.drain(twin);
                        }
                        dirty = true;
                        // Woken at rest: draw within a frame, not at the next second.
                        let soon = tokio::time::Instant::now() + frame;
                        if next_frame.deadline() > soon {
                            next_frame.as_mut().reset(soon);
                        }
                        crate::live::pump::settle(batch).await;
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
    ui.recording = opts.recorder.as_ref().map(|r| (r.bytes(), r.lost()));
    ui.scraped = opts.scraped.as_ref().map(|at| {
        let ms = at.load(std::sync::atomic::Ordering::Relaxed);
        (ms > 0)
            .then(|| DateTime::from_timestamp_millis(ms))
            .flatten()
    });
    ui.refresh(twin);
    crate::logging::ui_flush();
    terminal
        .draw(|frame| render(frame, twin, ui, &opts.theme))
        .map_err(|e| AppError::Other(format!("cannot draw: {e}")))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outputs::snapshot::Snapshot;
    use crate::source::event::Message;
    use chrono::TimeZone;

    fn events() -> Vec<Event> {
        let t0 = Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0).unwrap();
        let mut evs = Vec::new();
        for i in 0..120i64 {
            let at = t0 + chrono::TimeDelta::milliseconds(i * 500);
            for s in 1..=3 {
                let v = 20.0 + ((i * 7 + s * 3) % 11) as f64 / 10.0;
                evs.push(Event::Message(Message::new(
                    at,
                    format!("/z/t/s{s}"),
                    v.to_string().into_bytes(),
                )));
            }
            if i == 40 {
                evs.push(Event::Message(Message::new(
                    at,
                    "/z/s2/status",
                    b"offline".to_vec(),
                )));
            }
        }
        evs
    }

    fn json(twin: &Twin, at: DateTime<Utc>) -> String {
        Snapshot::of(twin, "x", 0, at).to_json()
    }

    #[test]
    fn seeking_back_rebuilds_exactly_the_state_of_that_moment() {
        let evs = events();
        let mut state = ReplayState::new(TwinConfig::default(), evs.clone());
        let (start, end) = state.span();
        let mid = start + chrono::TimeDelta::seconds(25);
        state.sync(mid);
        let at_mid = json(&state.twin, mid);
        state.sync(end);
        assert_ne!(json(&state.twin, mid), at_mid);
        state.sync(mid);
        assert_eq!(json(&state.twin, mid), at_mid, "seek back");
        // The same as a twin fed only what had happened by then.
        let mut fresh = Twin::default();
        for e in evs.iter().filter(|e| event_time(e) <= mid) {
            fresh.apply(e);
        }
        fresh.tick(mid);
        assert_eq!(json(&fresh, mid), at_mid);
        assert!(at_mid.contains("\"offline\""));
    }

    /// The Log tab shows the twin's journal, so seeking back and playing again does not say
    /// anything twice.
    #[test]
    fn after_seeking_back_the_log_holds_each_line_once() {
        use ratatui::backend::TestBackend;
        let evs = events();
        let mut state = ReplayState::new(TwinConfig::default(), evs);
        let (start, end) = state.span();
        state.sync(end);
        let once: Vec<String> = state
            .twin
            .journal
            .recent
            .iter()
            .map(|h| h.describe())
            .collect();
        assert!(
            once.iter().any(|l| l.contains("s2: online → offline")),
            "{once:?}"
        );
        state.sync(start + chrono::TimeDelta::seconds(5));
        state.sync(end);
        let again: Vec<String> = state
            .twin
            .journal
            .recent
            .iter()
            .map(|h| h.describe())
            .collect();
        assert_eq!(again, once);
        let mut ui = UiState::new("replay", end, chrono::FixedOffset::east_opt(0).unwrap());
        ui.tab = crate::ui::Tab::Log;
        ui.refresh(&state.twin);
        let mut terminal = ratatui::Terminal::new(TestBackend::new(120, 40)).unwrap();
        terminal
            .draw(|f| render(f, &state.twin, &ui, &Theme::default()))
            .unwrap();
        let screen = format!("{}", terminal.backend());
        assert_eq!(
            screen.matches("s2: online → offline").count(),
            1,
            "{screen}"
        );
    }

    #[test]
    fn the_clock_drives_the_replay_without_sleeping() {
        let mut state = ReplayState::new(TwinConfig::default(), events());
        let (start, end) = state.span();
        let mut clock = ReplayClock::new(start, end, 4.0);
        clock.advance(Duration::from_secs(5)); // 20 s of recording
        state.sync(clock.position);
        assert_eq!(state.twin.messages, 3 * 41 + 1);
        clock.seek(-10);
        state.sync(clock.position);
        assert_eq!(state.twin.messages, 3 * 21);
        clock.to_end();
        state.sync(clock.position);
        assert_eq!(state.twin.messages, 361);
    }
}
