//! The UI's driver of the live loop ([`crate::live::Live`]): keys and frames.
//!
//! The loop applies events in batches, ticks the twin and feeds the outputs; this adds the
//! keys (read on their own thread so a slow frame never loses input) and the frames: the
//! screen is redrawn at most `fps` times a second and only when something changed (or once a
//! second, for the clocks). A replay drives the same loop by the recording's clock.

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
use crate::live::{Live, Woke};
use crate::sim::SimControl;
use crate::source::event::Event;
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
    /// With --store: where the UI reads history from.
    pub history: Option<crate::outputs::store::Target>,
    /// The recording in progress, for the header.
    pub recorder: Option<Arc<crate::source::record::RecorderStats>>,
    /// `--metrics`: when /metrics was last scraped (epoch ms, 0 never), for the header.
    pub scraped: Option<Arc<std::sync::atomic::AtomicI64>>,
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
    ui.history = opts
        .history
        .clone()
        .map(crate::ui::history::HistoryPane::start);
    ui
}

/// Runs the terminal UI on a recording: the replay clock decides which events the twin has
/// seen; seeking backwards rebuilds the twin from the start.
pub async fn run_replay(
    cfg: TwinConfig,
    live: Live,
    recording: Recording,
    speed: f64,
    opts: AppOptions,
) -> Result<(), AppError> {
    let mut state = ReplayState::with_live(cfg, live, recording.events);
    let mut terminal = init_terminal(opts.mouse)?;
    let result = replay_loop(&mut terminal, &mut state, recording.end, speed, &opts).await;
    restore_terminal(opts.mouse);
    let at = state.position;
    let finished = state.live.finish(at);
    result.and(finished)
}

/// The twin as it was at a point of a recording.
pub struct ReplayState {
    cfg: TwinConfig,
    events: Vec<Event>,
    times: Vec<DateTime<Utc>>,
    /// Events applied so far (`events[..cursor]`).
    cursor: usize,
    /// The loop that owns the twin and feeds the outputs (an events file): a rebuilt twin
    /// does not feed them again what they had.
    pub live: Live,
    /// Where the twin is.
    pub position: DateTime<Utc>,
}

impl ReplayState {
    pub fn new(cfg: TwinConfig, events: Vec<Event>) -> ReplayState {
        let live = Live::offline(Twin::new(cfg.clone()), "replay");
        ReplayState::with_live(cfg, live, events)
    }

    /// Replays into `live` (with its outputs plugged); `cfg` rebuilds its twin.
    pub fn with_live(cfg: TwinConfig, live: Live, events: Vec<Event>) -> ReplayState {
        let times: Vec<DateTime<Utc>> = events.iter().map(event_time).collect();
        let position = times.first().copied().unwrap_or_else(Utc::now);
        ReplayState {
            live,
            cfg,
            events,
            times,
            cursor: 0,
            position,
        }
    }

    pub fn twin(&self) -> &Twin {
        &self.live.twin
    }

    pub fn span(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        let first = self.times.first().copied().unwrap_or_else(Utc::now);
        (first, self.times.last().copied().unwrap_or(first))
    }

    /// Brings the twin to `position`: forwards by applying events, backwards by rebuilding.
    pub fn sync(&mut self, position: DateTime<Utc>) {
        if self.cursor > 0 && self.times[self.cursor - 1] > position {
            self.live.rebuild(Twin::new(self.cfg.clone()));
            self.cursor = 0;
        }
        let mut last_sec = None;
        while self.cursor < self.events.len() && self.times[self.cursor] <= position {
            let t = self.times[self.cursor];
            if last_sec.is_some_and(|s| t.timestamp() > s) {
                self.live.tick(t);
            }
            last_sec = Some(t.timestamp());
            self.live.apply(&self.events[self.cursor]);
            self.cursor += 1;
        }
        self.live.tick(position);
        self.live.feed(position);
        self.position = position;
    }
}

async fn replay_loop(
    terminal: &mut ratatui::DefaultTerminal,
    state: &mut ReplayState,
    end: Option<DateTime<Utc>>,
    speed: f64,
    opts: &AppOptions,
) -> Result<(), AppError> {
    let (mut key_rx, _stop) = keyboard();
    let mut ui = new_ui(opts);
    ui.read_only = true;
    let (start, last) = state.span();
    let end = end.map_or(last, |e| e.max(last));
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
                            match ui.handle(action, state.twin()) {
                                Flow::Quit => return Ok(()),
                                Flow::Suspend => suspend(terminal, opts.mouse)?,
                                _ => {}
                            }
                        }
                    }
                    CtEvent::Mouse(m) => {
                        ui.mouse(m, state.twin());
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
        last = now;
        ui.refresh(state.twin());
        crate::logging::ui_flush();
        terminal
            .draw(|frame| render(frame, state.twin(), &ui, &opts.theme))
            .map_err(|e| AppError::Other(format!("cannot draw: {e}")))?;
    }
}

/// Runs the terminal UI until the user quits, `duration` passes, or SIGINT/SIGTERM; then the
/// loop's outputs finish.
pub async fn run(mut live: Live, opts: AppOptions) -> Result<(), AppError> {
    let mut terminal = init_terminal(opts.mouse)?;
    let result = event_loop(&mut terminal, &mut live, &opts).await;
    restore_terminal(opts.mouse);
    let finished = live.finish(Utc::now());
    result.and(finished)
}

async fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    live: &mut Live,
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

    loop {
        let mut flash = None;
        tokio::select! {
            biased;
            key = key_rx.recv() => {
                let Some(ev) = key else { return Ok(()) };
                let twin = &live.twin;
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
                                Flow::Alarm(req) => {
                                    ui.now = Utc::now();
                                    let now = ui.now;
                                    use crate::ui::tabs::alarms::AlarmRequest;
                                    let done = match &req {
                                        AlarmRequest::Acknowledge(rule, subject) => live.twin.acknowledge(*rule, subject, now),
                                        AlarmRequest::Shelve(rule, subject, d) => live.twin.shelve(*rule, subject, *d, now),
                                    };
                                    ui.say(match (&req, done) {
                                        (_, false) => "nothing to do: that alarm has changed".to_string(),
                                        (AlarmRequest::Acknowledge(_, s), true) => format!("acknowledged: {s}"),
                                        (AlarmRequest::Shelve(_, s, Some(d)), true) => format!("shelved for {}: {s}", crate::ui::widgets::span(*d)),
                                        (AlarmRequest::Shelve(_, s, None), true) => format!("unshelved: {s}"),
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
                draw(terminal, live, &mut ui, opts)?;
                dirty = false;
            }
            _ = &mut shutdown => return Ok(()),
            _ = tstp(&mut tstp_sig) => {
                suspend(terminal, opts.mouse)?;
                draw(terminal, live, &mut ui, opts)?;
            }
            _ = &mut deadline => return Ok(()),
            _ = &mut next_frame => {
                let now = Utc::now();
                let sec = now.timestamp();
                // Ingest comes first: while more than a batch is waiting (a burst of retained
                // messages at connect, say), frames wait too — but never more than a second, so
                // the screen stays alive under a sustained flood.
                let behind = live.queued() > crate::live::pump::BATCH
                    && last_draw.elapsed() < Duration::from_secs(1);
                if (dirty || sec != last_second) && !behind {
                    last_second = sec;
                    draw(terminal, live, &mut ui, opts)?;
                    last_draw = std::time::Instant::now();
                    dirty = false;
                }
                // Idle: sleep to the next second; busy: the next frame.
                let to_next_second = Duration::from_millis(1000 - u64::from(now.timestamp_subsec_millis()).min(999));
                let wait = if dirty { frame } else { to_next_second.max(frame) };
                next_frame.as_mut().reset(tokio::time::Instant::now() + wait);
            }
            woke = live.step(|_, ev| {
                if let Event::Command(c) = ev {
                    flash = Some(match &c.outcome {
                        crate::source::event::Outcome::Failed(why) => format!("✖ {} failed: {why}", c.command.topic),
                        o => format!("✔ {} {}", c.command.topic, o.as_str()),
                    });
                }
                crate::live::pump::Step::Go
            }) => match woke {
                Woke::Batch(batch) => {
                    if let Some(text) = flash.take() {
                        ui.now = Utc::now();
                        ui.say(text);
                    }
                    dirty = true;
                    // Woken at rest: draw within a frame, not at the next second.
                    let soon = tokio::time::Instant::now() + frame;
                    if next_frame.deadline() > soon {
                        next_frame.as_mut().reset(soon);
                    }
                    crate::live::pump::settle(batch).await;
                }
                Woke::Ended => log::warn!("the event source has ended"),
                Woke::Tick | Woke::Asked => {}
            },
        }
    }
}

fn draw(
    terminal: &mut ratatui::DefaultTerminal,
    live: &Live,
    ui: &mut UiState,
    opts: &AppOptions,
) -> Result<(), AppError> {
    let twin = &live.twin;
    ui.now = Utc::now();
    ui.dropped = live.dropped();
    // The terminal bell when an alarm is raised (not for one that is shelved or chattering:
    // those are not announced).
    let raised = twin.alarms.announced();
    if raised > ui.bell_at {
        use std::io::Write;
        let _ = std::io::stdout().write_all(b"\x07");
        ui.bell_at = raised;
    }
    ui.outputs = live.health();
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
        let at_mid = json(state.twin(), mid);
        state.sync(end);
        assert_ne!(json(state.twin(), mid), at_mid);
        state.sync(mid);
        assert_eq!(json(state.twin(), mid), at_mid, "seek back");
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
            .twin()
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
            .twin()
            .journal
            .recent
            .iter()
            .map(|h| h.describe())
            .collect();
        assert_eq!(again, once);
        let mut ui = UiState::new("replay", end, chrono::FixedOffset::east_opt(0).unwrap());
        ui.tab = crate::ui::Tab::Log;
        ui.refresh(state.twin());
        let mut terminal = ratatui::Terminal::new(TestBackend::new(120, 40)).unwrap();
        terminal
            .draw(|f| render(f, state.twin(), &ui, &Theme::default()))
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
        assert_eq!(state.twin().messages, 3 * 41 + 1);
        clock.seek(-10);
        state.sync(clock.position);
        assert_eq!(state.twin().messages, 3 * 21);
        clock.to_end();
        state.sync(clock.position);
        assert_eq!(state.twin().messages, 361);
    }
}
