//! The terminal UI: state, key handling and rendering. Rendering reads the twin and never
//! changes it; everything that belongs to the view (selection, filter, sort, pause) lives in
//! [`UiState`] and in each tab's own view state (`tabs/*.rs`, one shape: [`tabs::TabView`]).
//! This module only dispatches: global keys here, the rest to the current tab.

pub mod app;
pub mod field;
pub mod history;
pub mod keys;
pub mod list;
pub mod tabs;
pub mod theme;
pub mod widgets;

use std::cell::Cell;

use chrono::{DateTime, FixedOffset, Utc};
use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};

use crate::outputs::commands::Templates;
use crate::sim::SimControl;
use crate::source::event::Command;
use ratatui::layout::{Constraint, Layout};
use ratatui::Frame;

use crate::twin::Twin;
use keys::Action;
use tabs::TabView;
use theme::Theme;

pub use tabs::devices::DevicesView;
pub use tabs::jobs::JobsView;
pub use tabs::log::LogView;
pub use tabs::sensors::{layout_rows, Row, SensorsView, SortKey};
pub use tabs::topics::TopicsView;

/// The tabs, in order. A new tab: one variant here, one file in `tabs/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Sensors,
    Devices,
    Jobs,
    Log,
    Topics,
    Alarms,
}

impl Tab {
    pub const ALL: [Tab; 6] = [
        Tab::Sensors,
        Tab::Devices,
        Tab::Jobs,
        Tab::Log,
        Tab::Topics,
        Tab::Alarms,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Tab::Sensors => "Sensors",
            Tab::Devices => "Devices",
            Tab::Jobs => "Jobs",
            Tab::Log => "Log",
            Tab::Topics => "Topics",
            Tab::Alarms => "Alarms",
        }
    }

    fn index(self) -> usize {
        Tab::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }

    /// The tab bar's label; its width is what a click on the bar measures.
    pub fn label(self) -> String {
        format!(" {} {} ", self.index() + 1, self.title())
    }
}

/// What the app should do after a key.
#[derive(Debug, Clone, PartialEq)]
pub enum Flow {
    Continue,
    Quit,
    /// Demo: send this to the simulated device with this id.
    Sim(String, SimControl),
    /// Publish these (confirmed) commands.
    Publish(Vec<Command>),
    /// Give the terminal back to the shell until `fg`.
    Suspend,
    /// Acknowledge or shelve an alarm (the loop owns the twin).
    Alarm(tabs::alarms::AlarmRequest),
}

/// A dialog over the current tab.
#[derive(Debug, Clone, PartialEq)]
pub enum Popup {
    /// Commands waiting for the user's yes.
    Confirm(Vec<Command>),
    /// `P`: any message. `field`: 0 topic, 1 payload, 2 QoS, 3 retain. Text offered in a field
    /// is selected until that field is edited (field::TextField).
    PublishForm {
        topic: field::TextField,
        payload: field::TextField,
        qos: u8,
        retain: bool,
        field: usize,
        error: Option<String>,
    },
    /// Clearing the retained messages of a subtree: the count is confirmed first, then the
    /// messages as usual.
    ConfirmCount { prefix: String, cmds: Vec<Command> },
    /// The control-command form; `field` 0 is the name, 1 the value.
    ControlForm {
        name: field::TextField,
        value: field::TextField,
        field: usize,
        error: Option<String>,
    },
}

/// Everything the views need besides the twin.
pub struct UiState {
    pub tab: Tab,
    pub sensors: SensorsView,
    pub devices: DevicesView,
    pub jobs: JobsView,
    pub log: LogView,
    pub topics: TopicsView,
    pub alarms: tabs::alarms::AlarmsView,
    /// A short message for the footer and when it was set.
    pub flash: Option<(String, DateTime<Utc>)>,
    /// Whether the demo's simulated devices can be dropped and restored (`x`, `u`).
    pub demo: bool,
    pub popup: Option<Popup>,
    /// The form a confirmation came from: `n` or Esc there returns to it with what was typed.
    form_behind: Option<Popup>,
    /// `--read-only`: no command can be published.
    pub read_only: bool,
    pub templates: Templates,
    /// Replaying a recording: where and how fast.
    pub replay: Option<crate::source::replay::ReplayClock>,
    /// How the loop's outputs are doing (the store's header item).
    pub outputs: Vec<crate::outputs::Health>,
    /// With a store: its history, asked for on a thread of its own.
    pub history: Option<history::HistoryPane>,
    /// How far back the detail chart reaches (`[` `]`).
    pub zoom: history::Zoom,
    /// Alarms announced when the bell last rang.
    pub bell_at: u64,
    /// Recording: (bytes written, events lost).
    pub recording: Option<(u64, u64)>,
    /// `--metrics`: when /metrics was last scraped (None: no server; Some(None): not yet).
    pub scraped: Option<Option<DateTime<Utc>>>,
    pub help: bool,
    /// A copy of the twin taken when the display was paused.
    pub frozen: Option<Box<Twin>>,
    /// `mqtt://host:port` or similar.
    pub source: String,
    /// Messages the source had to drop.
    pub dropped: u64,
    /// The clock the views use ("2 s ago", rates).
    pub now: DateTime<Utc>,
    /// Time zone for displayed times.
    pub tz: FixedOffset,
    /// The screen row of the tab bar in the last frame (for clicks).
    tabs_row: Cell<u16>,
    /// The width of each tab's name as last drawn (the tab bar shortens them to fit).
    tab_widths: Cell<[u16; 6]>,
}

/// A recent anomaly keeps its marker for this long (by receipt time), so a single flagged
/// reading is visible for longer than one frame.
pub const RECENT_ANOMALY_SECS: i64 = 10;

impl UiState {
    pub fn new(source: impl Into<String>, now: DateTime<Utc>, tz: FixedOffset) -> Self {
        UiState {
            tab: Tab::Sensors,
            sensors: SensorsView::default(),
            devices: DevicesView::default(),
            jobs: JobsView::default(),
            log: LogView::default(),
            alarms: tabs::alarms::AlarmsView::default(),
            topics: TopicsView::default(),
            flash: None,
            demo: false,
            popup: None,
            form_behind: None,
            read_only: false,
            templates: Templates::default(),
            replay: None,
            outputs: Vec::new(),
            history: None,
            zoom: history::Zoom::Live,
            bell_at: 0,
            recording: None,
            scraped: None,
            help: false,
            frozen: None,
            source: source.into(),
            dropped: 0,
            now,
            tz,
            tabs_row: Cell::new(1),
            // The full names until the first frame draws them.
            tab_widths: Cell::new(Tab::ALL.map(|t| t.label().chars().count() as u16)),
        }
    }

    /// The twin to show: the frozen copy while paused, else the live one.
    pub fn view<'a>(&'a self, live: &'a Twin) -> &'a Twin {
        self.frozen.as_deref().unwrap_or(live)
    }

    /// The current tab's view.
    pub fn current(&self) -> &dyn TabView {
        match self.tab {
            Tab::Sensors => &self.sensors,
            Tab::Devices => &self.devices,
            Tab::Jobs => &self.jobs,
            Tab::Log => &self.log,
            Tab::Topics => &self.topics,
            Tab::Alarms => &self.alarms,
        }
    }

    fn current_mut(&mut self) -> &mut dyn TabView {
        match self.tab {
            Tab::Sensors => &mut self.sensors,
            Tab::Devices => &mut self.devices,
            Tab::Jobs => &mut self.jobs,
            Tab::Log => &mut self.log,
            Tab::Topics => &mut self.topics,
            Tab::Alarms => &mut self.alarms,
        }
    }

    /// Lays the current tab out again where what it shows changed (keyed on the twin's
    /// revision counters, so cheap when nothing did); the others catch up when shown. Call
    /// before rendering.
    pub fn refresh(&mut self, live: &Twin) {
        let twin = self.frozen.as_deref().unwrap_or(live);
        let now = self.now;
        match self.tab {
            Tab::Sensors => self.sensors.refresh(twin, now),
            Tab::Devices => self.devices.refresh(twin, now),
            Tab::Jobs => self.jobs.refresh(twin, now),
            Tab::Log => self.log.refresh(twin, now),
            Tab::Topics => self.topics.refresh(twin, now),
            Tab::Alarms => self.alarms.refresh(twin, now),
        }
        if let Some(ask) = self.history_ask(twin) {
            if let Some(h) = self.history.as_mut() {
                h.want(&ask);
            }
        }
    }

    /// What the store is asked for the view on screen: the selected series over the zoom
    /// (Sensors, detail), or the selected device's status history (Devices, detail).
    pub fn history_ask(&self, twin: &Twin) -> Option<history::Ask> {
        self.history.as_ref()?;
        match self.tab {
            Tab::Sensors if self.zoom != history::Zoom::Live => {
                let s = twin.series.get(self.sensors.selected()?)?;
                Some(history::Ask::Series {
                    topic: s.topic.clone(),
                    field: s.field.clone(),
                    device: s.device.clone(),
                    zoom: self.zoom,
                })
            }
            Tab::Devices if self.devices.detail => {
                Some(history::Ask::Device(self.devices.selected()?.to_string()))
            }
            _ => None,
        }
    }

    /// Whether typed letters go into a text field rather than being commands.
    pub fn editing(&self) -> bool {
        self.current().editing()
            || matches!(
                self.popup,
                Some(Popup::ControlForm { .. } | Popup::PublishForm { .. })
            )
    }

    /// Applies a key's action. `live` is needed to re-lay the lists after a change.
    pub fn handle(&mut self, action: Action, live: &Twin) -> Flow {
        if action == Action::Quit {
            return Flow::Quit;
        }
        if action == Action::Suspend {
            return Flow::Suspend;
        }
        if self.popup.is_some() {
            return self.handle_popup(action, live);
        }
        if self.help {
            if matches!(action, Action::Help | Action::Back | Action::Enter) {
                self.help = false;
            }
            return Flow::Continue;
        }
        if self.current().editing() {
            let twin = self.frozen.take();
            self.current_mut()
                .handle(action, twin.as_deref().unwrap_or(live));
            self.frozen = twin;
            if let Some(flow) = self.alarm_request() {
                return flow;
            }
            self.refresh(live);
            return Flow::Continue;
        }
        if matches!(action, Action::ZoomOut | Action::ZoomIn) && self.tab == Tab::Sensors {
            if self.history.is_none() {
                self.say(
                    "the chart reaches past the ring buffer with a store: start with --store FILE"
                        .to_string(),
                );
                return Flow::Continue;
            }
            self.zoom = if action == Action::ZoomOut {
                self.zoom.out()
            } else {
                self.zoom.r#in()
            };
            self.sensors.detail = self.sensors.detail || self.zoom != history::Zoom::Live;
            self.refresh(live);
            return Flow::Continue;
        }
        if let Some(clock) = self.replay.as_mut() {
            // The replay's own keys; Home and End stay the lists' (README: `g`/`G` and
            // Home/End move in lists, `<` `>` jump to the recording's start and end).
            let handled = match action {
                Action::ReplayPause => {
                    clock.paused = !clock.paused;
                    true
                }
                Action::Faster => {
                    clock.faster();
                    true
                }
                Action::Slower => {
                    clock.slower();
                    true
                }
                Action::SeekBack => {
                    clock.seek(-10);
                    true
                }
                Action::SeekForward => {
                    clock.seek(10);
                    true
                }
                Action::SeekStart => {
                    clock.home();
                    true
                }
                Action::SeekEnd => {
                    clock.to_end();
                    true
                }
                _ => false,
            };
            if handled {
                return Flow::Continue;
            }
        } else if matches!(
            action,
            Action::ReplayPause
                | Action::Faster
                | Action::Slower
                | Action::SeekBack
                | Action::SeekForward
                | Action::SeekStart
                | Action::SeekEnd
        ) {
            self.say("space, + -, ← → and < > control `twinview replay`");
            return Flow::Continue;
        }
        if matches!(
            action,
            Action::Reset
                | Action::Control
                | Action::Publish
                | Action::DropDevice
                | Action::RestoreDevice
                | Action::Fault(_)
        ) {
            // These act on the Sensors tab's selection from any tab: bring it up to date.
            let twin = self.frozen.as_deref().unwrap_or(live);
            self.sensors.refresh(twin, self.now);
        }
        match action {
            Action::Help => self.help = true,
            Action::Pause => {
                self.frozen = match self.frozen.take() {
                    Some(_) => None,
                    None => Some(Box::new(live.clone())),
                };
            }
            Action::NextTab => self.tab = Tab::ALL[(self.tab.index() + 1) % Tab::ALL.len()],
            Action::PrevTab => {
                self.tab = Tab::ALL[(self.tab.index() + Tab::ALL.len() - 1) % Tab::ALL.len()]
            }
            Action::GoTab(i) => match Tab::ALL.get(i) {
                Some(t) => self.tab = *t,
                None => self.say(format!("there are {} tabs", Tab::ALL.len())),
            },
            Action::Reset
            | Action::ResetAnomalous
            | Action::Control
            | Action::Publish
            | Action::ClearRetained
            | Action::Rebirth
                if self.read_only =>
            {
                self.say("read-only: twinview publishes nothing (started with --read-only)");
            }
            Action::Reset => {
                let twin = self.view(live);
                match self.sensors.selected().and_then(|i| twin.series.get(i)) {
                    Some(s) => match self.templates.reset_by_rule(s, self.now) {
                        Ok((cmd, rule)) => {
                            self.popup = Some(Popup::Confirm(vec![cmd]));
                            self.say(format!("rule: {rule}"));
                        }
                        Err(why) => self.say(why),
                    },
                    None => self.say("select a sensor to reset"),
                }
            }
            Action::ResetAnomalous => {
                let twin = self.view(live);
                let mut seen = std::collections::BTreeSet::new();
                let mut cannot = 0;
                let cmds: Vec<Command> = twin
                    .series
                    .iter()
                    .filter(|s| s.anomalous && !s.aggregate)
                    .filter_map(|s| match self.templates.reset_by_rule(s, self.now) {
                        Ok((c, _)) => Some(c),
                        Err(_) => {
                            cannot += 1;
                            None
                        }
                    })
                    .filter(|c| seen.insert(c.topic.clone()))
                    .collect();
                if cmds.is_empty() && cannot == 0 {
                    self.say("no sensor is anomalous right now");
                } else if cmds.is_empty() {
                    self.say(format!(
                        "{cannot} anomalous sensor(s), none with a reset command"
                    ));
                } else {
                    if cannot > 0 {
                        self.say(format!(
                            "{cannot} anomalous sensor(s) have no reset command: left out"
                        ));
                    }
                    self.popup = Some(Popup::Confirm(cmds));
                }
            }
            Action::Publish => {
                let twin = self.view(live);
                // Prefilled from the Topics tab's topic, else the selected sensor's topic.
                let topic = match self.tab {
                    Tab::Topics => self.topics.selected().map(String::from),
                    _ => self
                        .sensors
                        .selected()
                        .and_then(|i| twin.series.get(i))
                        .map(|s| s.topic.clone()),
                };
                let traffic = topic.as_deref().and_then(|t| twin.traffic(t));
                let payload = traffic
                    .map(|t| t.last_payload())
                    .filter(|k| !k.truncated())
                    .and_then(|k| std::str::from_utf8(&k.bytes).ok())
                    .filter(|p| p.len() <= 4096 && !p.contains(['\n', '\r']))
                    .unwrap_or("")
                    .to_string();
                self.popup = Some(Popup::PublishForm {
                    topic: field::TextField::offered(topic.unwrap_or_default()),
                    payload: field::TextField::offered(payload),
                    qos: traffic.map_or(self.templates.qos, |t| t.qos),
                    retain: false,
                    field: 1,
                    error: None,
                });
            }
            Action::ClearRetained => {
                let twin = self.view(live);
                let Some(path) = self.topics.selected().filter(|_| self.tab == Tab::Topics) else {
                    self.say(
                        "X clears retained messages: select a topic or a folder in the Topics tab",
                    );
                    return Flow::Continue;
                };
                let path = path.to_string();
                let clear = |t: &str| Templates::message(t, "", self.templates.qos, true);
                if twin.traffic(&path).is_some() {
                    self.popup = Some(Popup::Confirm(vec![clear(&path)]));
                } else {
                    // A folder: every topic under it that delivered a retained message.
                    let prefix = format!("{path}/");
                    let mut topics: Vec<&str> = twin
                        .topic_traffic()
                        .filter(|(t, tr)| t.starts_with(&prefix) && tr.retained > 0)
                        .map(|(t, _)| t)
                        .collect();
                    topics.sort_unstable();
                    if topics.is_empty() {
                        self.say(format!(
                            "no topic under {prefix} delivered a retained message"
                        ));
                    } else {
                        let cmds = topics.into_iter().map(clear).collect();
                        self.popup = Some(Popup::ConfirmCount { prefix, cmds });
                    }
                }
            }
            Action::Rebirth => {
                let twin = self.view(live);
                match self.sparkplug_node(twin) {
                    Some((group, node)) => {
                        let cmd = Templates::rebirth(&group, &node, self.now);
                        self.popup = Some(Popup::Confirm(vec![cmd]));
                    }
                    None => self.say(
                        "B asks a Sparkplug edge node to rebirth: select the node or one of its devices (Devices), series (Sensors) or topics (Topics)",
                    ),
                }
            }
            Action::Control => {
                self.popup = Some(Popup::ControlForm {
                    name: field::TextField::offered("SET_THRESHOLD"),
                    value: field::TextField::offered("25.0"),
                    field: 1,
                    error: None,
                });
            }
            Action::DropDevice | Action::RestoreDevice => {
                let control = if action == Action::DropDevice {
                    SimControl::Drop
                } else {
                    SimControl::Restore
                };
                return self.device_control(live, control);
            }
            Action::Fault(kind) => return self.device_control(live, SimControl::Fault(kind)),
            Action::Jump => {
                let twin = self.frozen.take();
                self.jump(twin.as_deref().unwrap_or(live));
                self.frozen = twin;
            }
            _ => {
                let twin = self.frozen.take();
                let handled = self
                    .current_mut()
                    .handle(action, twin.as_deref().unwrap_or(live));
                self.frozen = twin;
                if !handled {
                    if let Some(why) = unhandled(action, self.tab) {
                        self.say(why);
                    }
                }
                if let Some(flow) = self.alarm_request() {
                    return flow;
                }
            }
        }
        self.refresh(live);
        Flow::Continue
    }

    /// What the Alarms tab asked of the twin's owner by the last key, if anything.
    fn alarm_request(&mut self) -> Option<Flow> {
        let req = self.alarms.request.take()?;
        if self.replay.is_some() {
            self.say("alarms are acknowledged and shelved on a live twin, not a replay");
            return None;
        }
        Some(Flow::Alarm(req))
    }

    /// A mouse event: a click on a tab's name switches to it, a click on a row selects it (a
    /// second click opens it, like Enter), the wheel scrolls the list.
    /// Returns whether the event could change the screen (moves and releases cannot).
    pub fn mouse(&mut self, ev: MouseEvent, live: &Twin) -> bool {
        if self.popup.is_some() || self.help {
            return false;
        }
        match ev.kind {
            MouseEventKind::Down(MouseButton::Left) => {
                if ev.row == self.tabs_row.get() {
                    let mut x = 0u16;
                    for (t, w) in Tab::ALL.into_iter().zip(self.tab_widths.get()) {
                        if ev.column >= x && ev.column < x + w {
                            self.tab = t;
                            break;
                        }
                        x += w + 1;
                    }
                } else {
                    self.current_mut().click(ev.column, ev.row);
                }
            }
            MouseEventKind::ScrollDown => self.current_mut().scroll(1),
            MouseEventKind::ScrollUp => self.current_mut().scroll(-1),
            _ => return false,
        }
        self.refresh(live);
        true
    }

    fn handle_popup(&mut self, action: Action, live: &Twin) -> Flow {
        let Some(popup) = self.popup.take() else {
            return Flow::Continue;
        };
        match popup {
            Popup::Confirm(cmds) => match action {
                Action::Enter | Action::Confirm => {
                    self.form_behind = None;
                    return Flow::Publish(cmds);
                }
                Action::Back | Action::No => match self.form_behind.take() {
                    Some(form) => {
                        self.popup = Some(form);
                        self.say("not published: back to the form");
                    }
                    None => self.say("cancelled: nothing was published"),
                },
                _ => self.popup = Some(Popup::Confirm(cmds)),
            },
            Popup::ConfirmCount { prefix, cmds } => match action {
                Action::Confirm => self.popup = Some(Popup::Confirm(cmds)),
                Action::Back | Action::No => self.say("cancelled: nothing was published"),
                _ => self.popup = Some(Popup::ConfirmCount { prefix, cmds }),
            },
            Popup::PublishForm {
                mut topic,
                mut payload,
                mut qos,
                mut retain,
                mut field,
                mut error,
            } => {
                match action {
                    Action::Back => {
                        self.say("cancelled: nothing was published");
                        return Flow::Continue;
                    }
                    Action::NextTab | Action::Down => field = (field + 1) % 4,
                    Action::PrevTab | Action::Up => field = (field + 3) % 4,
                    Action::Enter => match crate::config::validate_topic(topic.as_str()) {
                        Ok(()) => {
                            let cmd =
                                Templates::message(topic.as_str(), payload.as_str(), qos, retain);
                            self.form_behind = Some(Popup::PublishForm {
                                topic,
                                payload,
                                qos,
                                retain,
                                field,
                                error: None,
                            });
                            self.popup = Some(Popup::Confirm(vec![cmd]));
                            return Flow::Continue;
                        }
                        Err(why) => error = Some(why),
                    },
                    a if field == 0 => {
                        topic.edit(a);
                        error = None;
                    }
                    a if field == 1 => {
                        payload.edit(a);
                        error = None;
                    }
                    Action::Char(c) if field == 2 => match c.to_digit(10) {
                        Some(d @ 0..=2) => {
                            qos = d as u8;
                            error = None;
                        }
                        _ => error = Some("QoS is 0, 1 or 2".into()),
                    },
                    Action::Char(c) => match c {
                        ' ' | 'y' | 'n' => {
                            retain = if c == ' ' { !retain } else { c == 'y' };
                            error = None;
                        }
                        _ => error = Some("retain: y, n or space".into()),
                    },
                    _ => {}
                }
                self.popup = Some(Popup::PublishForm {
                    topic,
                    payload,
                    qos,
                    retain,
                    field,
                    error,
                });
            }
            Popup::ControlForm {
                mut name,
                mut value,
                mut field,
                mut error,
            } => {
                match action {
                    Action::Back => {
                        self.say("cancelled: nothing was published");
                        return Flow::Continue;
                    }
                    Action::NextTab | Action::PrevTab | Action::Up | Action::Down => {
                        field = 1 - field;
                    }
                    Action::Enter if name.as_str().trim().is_empty() => {
                        error = Some("the command needs a name".into())
                    }
                    Action::Enter if value.as_str().trim().is_empty() => {
                        error = Some("the command needs a value (a number or a word)".into())
                    }
                    Action::Enter => {
                        let twin = self.view(live);
                        let selected = self
                            .sensors
                            .selected()
                            .and_then(|i| twin.series.get(i))
                            .map(|s| &**s);
                        let cmd = self.templates.control(
                            name.as_str().trim(),
                            value.as_str(),
                            selected,
                            self.now,
                        );
                        self.form_behind = Some(Popup::ControlForm {
                            name,
                            value,
                            field,
                            error: None,
                        });
                        self.popup = Some(Popup::Confirm(vec![cmd]));
                        return Flow::Continue;
                    }
                    // Command names are upper case (SET_THRESHOLD).
                    Action::Char(c) if field == 0 => {
                        name.edit(Action::Char(c.to_ascii_uppercase()));
                        error = None;
                    }
                    a => {
                        if field == 0 { &mut name } else { &mut value }.edit(a);
                        error = None;
                    }
                }
                self.popup = Some(Popup::ControlForm {
                    name,
                    value,
                    field,
                    error,
                });
            }
        }
        Flow::Continue
    }

    /// The Sparkplug edge node (group, node) of what is selected: a node or one of its devices
    /// in the Devices tab, a series or state on one of its topics, a topic of it.
    fn sparkplug_node(&self, twin: &Twin) -> Option<(String, String)> {
        use crate::twin::sparkplug::{parse_topic, Topic};
        let from_topic = |t: &str| match parse_topic(t)? {
            Topic::Message { group, node, .. } => Some((group.to_string(), node.to_string())),
            Topic::State { .. } => None,
        };
        match self.tab {
            Tab::Devices => {
                // Ids are `group/node[/device]`.
                let id = self.devices.selected()?;
                let mut parts = id.splitn(3, '/');
                let key = format!("{}/{}", parts.next()?, parts.next()?);
                twin.sparkplug
                    .nodes
                    .get(&key)
                    .map(|n| (n.group.clone(), n.node.clone()))
            }
            Tab::Sensors => match self.sensors.selected_state() {
                Some(i) => from_topic(&twin.states.list.get(i)?.topic),
                None => from_topic(&twin.series.get(self.sensors.selected()?)?.topic),
            },
            Tab::Topics => from_topic(self.topics.selected()?),
            Tab::Jobs | Tab::Log | Tab::Alarms => None,
        }
    }

    /// `t`: from a sensor or a device to its topic in the Topics tab, and from a topic to the
    /// first series it feeds in the Sensors tab.
    fn jump(&mut self, twin: &Twin) {
        match self.tab {
            Tab::Sensors => {
                let topic = match self.sensors.selected_state() {
                    Some(i) => twin.states.list.get(i).map(|s| &s.topic),
                    None => self
                        .sensors
                        .selected()
                        .and_then(|i| twin.series.get(i))
                        .map(|s| &s.topic),
                };
                match topic {
                    Some(t) => {
                        self.topics.reveal(t);
                        self.tab = Tab::Topics;
                    }
                    None => self.say("select a sensor: t shows its topic"),
                }
            }
            Tab::Devices => {
                let Some(id) = self.devices.selected() else {
                    return self.say("select a device: t shows its topic");
                };
                let topic = twin
                    .series
                    .iter()
                    .find(|s| s.device == id)
                    .map(|s| s.topic.clone())
                    .or_else(|| {
                        twin.topic_traffic()
                            .map(|(t, _)| t)
                            .filter(|t| t.split('/').any(|l| l == id))
                            .min()
                            .map(String::from)
                    });
                match topic {
                    Some(t) => {
                        self.topics.reveal(&t);
                        self.tab = Tab::Topics;
                    }
                    None => self.say(format!("no topic names {id}")),
                }
            }
            Tab::Topics => {
                let Some(path) = self.topics.selected().map(String::from) else {
                    return self.say("select a topic: t shows the series it feeds");
                };
                match twin.topic_series(&path).first() {
                    Some((_, i)) => {
                        self.sensors.reveal(*i, twin, self.now);
                        self.tab = Tab::Sensors;
                    }
                    None => match twin.states.find_topic(&path) {
                        Some(i) => {
                            self.sensors.reveal_state(i, twin, self.now);
                            self.tab = Tab::Sensors;
                        }
                        None => self.say(format!("{path} feeds no series or state")),
                    },
                }
            }
            Tab::Jobs | Tab::Log | Tab::Alarms => {
                self.say("t jumps between a topic (Topics tab) and its sensor or device")
            }
        }
    }

    /// Shows `text` in the footer for a few seconds.
    pub fn say(&mut self, text: impl Into<String>) {
        self.flash = Some((text.into(), self.now));
    }

    /// The device the selection points at: the selected device, or the selected sensor's.
    pub fn selected_device(&self, live: &Twin) -> Option<String> {
        let twin = self.view(live);
        match self.tab {
            Tab::Devices => self.devices.selected().map(String::from),
            _ => self
                .sensors
                .selected()
                .and_then(|i| twin.series.get(i))
                .map(|s| s.device.clone()),
        }
    }

    fn device_control(&mut self, live: &Twin, control: SimControl) -> Flow {
        if !self.demo {
            self.say(
                "x, u and the fault keys act on simulated devices: they work in `twinview demo`",
            );
            return Flow::Continue;
        }
        match self.selected_device(live) {
            Some(id) => Flow::Sim(id, control),
            None => {
                self.say("select a device first");
                Flow::Continue
            }
        }
    }
}

/// What to say about a key the current tab does not use (no key is silently dead).
fn unhandled(action: Action, tab: Tab) -> Option<String> {
    let what = match action {
        Action::Filter => "/ filters the Sensors, Topics and Log tabs",
        Action::Sort => "s sorts the Sensors tab",
        Action::View => "v shows the Sensors tab flat or grouped",
        Action::StatusFilter => "f filters the Devices tab by status",
        Action::Enter => "nothing to open here",
        Action::Confirm | Action::No => "y and n answer a confirmation",
        Action::Acknowledge | Action::Shelve => "a and z acknowledge and shelve on the Alarms tab",
        // Esc with nothing to close, movement at the end of a list: nothing to say.
        _ => return None,
    };
    Some(format!("{what} (this is the {} tab)", tab.title()))
}

/// Draws the whole screen.
pub fn render(frame: &mut Frame, live: &Twin, ui: &UiState, theme: &Theme) {
    let twin = ui.view(live);
    let area = frame.area();
    frame.render_widget(ratatui::widgets::Block::default().style(theme.base()), area);
    let progress_h = u16::from(ui.replay.is_some());
    let [header, tabs_bar, progress, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(progress_h),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(area);
    ui.tabs_row.set(tabs_bar.y);
    widgets::header(frame, header, twin, ui, theme);
    widgets::tab_bar(frame, tabs_bar, ui, theme);
    if let Some(clock) = &ui.replay {
        widgets::progress(frame, progress, clock, ui, theme);
    }
    ui.current().render(frame, body, twin, ui, theme);
    widgets::footer(frame, footer, ui, theme);
    if let Some(p) = &ui.popup {
        widgets::popup(frame, area, p, theme);
    }
    if ui.help {
        widgets::help(frame, area, theme);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::event::{Event, Message};
    use chrono::TimeZone;
    use crossterm::event::KeyModifiers;
    use std::collections::BTreeSet;

    fn at() -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000, 0).unwrap()
    }

    fn twin() -> Twin {
        let mut t = Twin::default();
        for (topic, v) in [
            ("/b_room/temperature/s2", "5"),
            ("/b_room/temperature/s1", "9"),
            ("/a_room/humidity/h1", "40"),
        ] {
            t.apply(&Event::Message(Message::new(
                at(),
                topic,
                v.as_bytes().to_vec(),
            )));
        }
        t
    }

    fn ui(t: &Twin) -> UiState {
        let mut ui = UiState::new("test", at(), FixedOffset::east_opt(0).unwrap());
        ui.refresh(t);
        ui
    }

    fn label(t: &Twin, r: &Row) -> String {
        match r {
            Row::Group(g, n, folded) => format!("[{g} {n}{}]", if *folded { " +" } else { "" }),
            Row::Series(i) => t.series[*i].label.clone(),
            Row::State(i) => format!("{}={}", t.states.list[*i].label, t.states.list[*i].value),
        }
    }

    #[test]
    fn rows_are_grouped_sorted_and_fold() {
        let t = twin();
        let none = BTreeSet::new();
        let rows = |filter: &str, sort, folded: &BTreeSet<String>| -> Vec<String> {
            layout_rows(&t, filter, sort, false, folded, at())
                .iter()
                .map(|r| label(&t, r))
                .collect()
        };
        assert_eq!(
            rows("", SortKey::Name, &none),
            [
                "[a_room · humidity 1]",
                "h1",
                "[b_room · temperature 2]",
                "s1",
                "s2"
            ]
        );
        assert_eq!(rows("", SortKey::Last, &none)[3..], ["s1", "s2"]);
        assert_eq!(
            rows("S2", SortKey::Name, &none),
            ["[b_room · temperature 1]", "s2"]
        );
        let folded = BTreeSet::from(["b_room · temperature".to_string()]);
        assert_eq!(
            rows("", SortKey::Name, &folded),
            ["[a_room · humidity 1]", "h1", "[b_room · temperature 2 +]"]
        );
    }

    #[test]
    fn sensors_keys_move_fold_filter_and_quit() {
        let t = twin();
        let mut ui = ui(&t);
        let name = |ui: &UiState| {
            ui.sensors
                .list
                .selected()
                .map(|r| label(&t, r))
                .unwrap_or_default()
        };
        // The first sensor is selected, not the first heading.
        assert_eq!(name(&ui), "h1");
        ui.handle(Action::Down, &t);
        assert_eq!(name(&ui), "[b_room · temperature 2]");
        // Enter on a heading folds the group, again unfolds it.
        ui.handle(Action::Enter, &t);
        assert_eq!(ui.sensors.list.rows().len(), 3);
        assert!(!ui.sensors.detail);
        ui.handle(Action::Enter, &t);
        assert_eq!(ui.sensors.list.rows().len(), 5);
        ui.handle(Action::Down, &t);
        assert_eq!(
            (name(&ui), ui.sensors.list.selected_row()),
            ("s1".into(), 3)
        );
        ui.handle(Action::End, &t);
        assert_eq!(name(&ui), "s2");
        ui.handle(Action::Home, &t);
        assert_eq!(name(&ui), "[a_room · humidity 1]");
        ui.handle(Action::Filter, &t);
        assert!(ui.editing());
        for c in "s2".chars() {
            ui.handle(Action::Char(c), &t);
        }
        ui.handle(Action::Enter, &t);
        assert!(!ui.sensors.editing_filter);
        assert_eq!(name(&ui), "s2");
        ui.handle(Action::Enter, &t);
        assert!(ui.sensors.detail);
        ui.handle(Action::Back, &t);
        assert!(!ui.sensors.detail);
        ui.handle(Action::Back, &t);
        assert_eq!(ui.sensors.filter, "");
        ui.handle(Action::Sort, &t);
        assert_eq!(ui.sensors.sort, SortKey::Last);
        ui.handle(Action::Pause, &t);
        assert!(ui.frozen.is_some());
        ui.handle(Action::Pause, &t);
        assert!(ui.frozen.is_none());
        ui.handle(Action::Help, &t);
        assert!(ui.help);
        ui.handle(Action::Back, &t);
        assert!(!ui.help);
        assert_eq!(ui.handle(Action::Quit, &t), Flow::Quit);
    }

    #[test]
    fn in_the_detail_view_up_and_down_go_from_sensor_to_sensor() {
        let t = twin();
        let mut ui = ui(&t);
        ui.handle(Action::Enter, &t);
        assert!(ui.sensors.detail);
        ui.handle(Action::Down, &t);
        assert_eq!(t.series[ui.sensors.selected().unwrap()].label, "s1");
        ui.handle(Action::Up, &t);
        assert_eq!(t.series[ui.sensors.selected().unwrap()].label, "h1");
        ui.handle(Action::Up, &t);
        assert_eq!(t.series[ui.sensors.selected().unwrap()].label, "h1");
        assert!(ui.sensors.detail);
    }

    /// The screen (160x45) with the detail view of the first sensor open.
    fn first_detail(t: &Twin) -> String {
        let mut ui = ui(t);
        ui.handle(Action::Enter, t);
        assert!(ui.sensors.detail);
        let mut terminal =
            ratatui::Terminal::new(ratatui::backend::TestBackend::new(160, 45)).unwrap();
        terminal
            .draw(|f| render(f, t, &ui, &Theme::default()))
            .unwrap();
        format!("{}", terminal.backend())
    }

    #[test]
    fn the_detail_view_shows_the_deadband_a_series_is_reported_past() {
        // A bed's temperature published at a change of a degree (1.0 to 1.3 past the last
        // value sent), heating and cooling, then idle: its profile line says its deadband.
        let mut t = Twin::default();
        let mut x = 20.0;
        let mut sec = 0;
        for k in 0..120 {
            let up = (k / 40) % 2 == 0;
            x += if up { 1.0 } else { -1.0 } * (1.0 + 0.01 * f64::from(k % 31));
            sec += 7;
            t.apply(&Event::Message(Message::new(
                at() + chrono::TimeDelta::seconds(sec),
                "octoPrint/temperature/bed",
                format!(r#"{{"actual": {x:.2}, "target": 0}}"#).into_bytes(),
            )));
        }
        let screen = first_detail(&t);
        assert!(screen.contains("deadband  1"), "{screen}");
    }

    #[test]
    fn the_detail_view_shows_the_stays_a_cycling_plug_is_judged_by() {
        // A fridge plug's power every minute for a day and a half: off (0 W) for 20 to 30
        // minutes, on at 80 to 83 W for 15. Its stays line says how long it stays at each level.
        let mut t = Twin::default();
        let mut sec = 0;
        for cycle in 0..40 {
            let off = 20 + (cycle * 7) % 11;
            for (w, mins) in [(0, off), (80, 15)] {
                for k in 0..mins {
                    sec += 60;
                    let w = if w > 0 { w + (k * 5 + cycle) % 4 } else { 0 };
                    t.apply(&Event::Message(Message::new(
                        at() + chrono::TimeDelta::seconds(sec),
                        "tele/fridge/SENSOR",
                        format!(r#"{{"ENERGY": {{"Power": {w}}}}}"#).into_bytes(),
                    )));
                }
            }
        }
        let screen = first_detail(&t);
        assert!(screen.contains("stays     0.0: ~25 ≤30 min"), "{screen}");
        assert!(screen.contains("          80.0: ~15 ≤15 min"), "{screen}");
    }

    #[test]
    fn tabs_switch_and_each_owns_its_keys() {
        let mut t = twin();
        t.apply(&Event::Message(Message::new(
            at(),
            "/b_room/s1/status",
            b"offline".to_vec(),
        )));
        let mut ui = ui(&t);
        for tab in [
            Tab::Devices,
            Tab::Jobs,
            Tab::Log,
            Tab::Topics,
            Tab::Alarms,
            Tab::Sensors,
        ] {
            ui.handle(Action::NextTab, &t);
            assert_eq!(ui.tab, tab);
        }
        ui.handle(Action::PrevTab, &t);
        assert_eq!(ui.tab, Tab::Alarms);
        // Devices: f cycles the status filter, Esc clears it, Enter opens the detail.
        ui.handle(Action::GoTab(1), &t);
        assert_eq!(ui.devices.list.rows()[0], "s1", "trouble first");
        ui.handle(Action::StatusFilter, &t);
        assert_eq!(
            ui.devices.filter,
            Some(crate::twin::devices::Status::Online)
        );
        assert!(!ui.devices.list.rows().contains(&"s1".to_string()));
        ui.handle(Action::Back, &t);
        assert_eq!(ui.devices.filter, None);
        ui.handle(Action::Enter, &t);
        assert!(ui.devices.detail);
        ui.handle(Action::Back, &t);
        assert!(!ui.devices.detail);
        // A key another tab owns says where it works instead of doing nothing.
        ui.handle(Action::Sort, &t);
        assert!(ui.flash.as_ref().unwrap().0.contains("Sensors tab"));
        // Jobs: nothing to open without jobs.
        ui.handle(Action::GoTab(2), &t);
        ui.handle(Action::Enter, &t);
        assert!(!ui.jobs.detail);
        ui.handle(Action::GoTab(9), &t);
        assert_eq!(ui.tab, Tab::Jobs);
    }

    #[test]
    fn the_log_tab_scrolls_filters_and_follows() {
        let mut t = twin();
        for i in 0..30 {
            let word = if i % 2 == 0 { "offline" } else { "online" };
            t.apply(&Event::Message(Message::new(
                at() + chrono::TimeDelta::seconds(i),
                "/b_room/s1/status",
                word.as_bytes().to_vec(),
            )));
        }
        let n = t.journal.recent.len();
        assert!(n >= 29, "{n} happenings");
        let mut ui = ui(&t);
        ui.handle(Action::GoTab(3), &t);
        ui.handle(Action::Up, &t);
        ui.handle(Action::Up, &t);
        assert_eq!(ui.log.scroll, 2);
        ui.handle(Action::Home, &t);
        assert_eq!(ui.log.scroll, n - 1);
        ui.handle(Action::End, &t);
        assert_eq!(ui.log.scroll, 0);
        ui.handle(Action::Up, &t);
        // New happenings do not move a scrolled view.
        t.apply(&Event::Message(Message::new(
            at() + chrono::TimeDelta::seconds(60),
            "/b_room/s1/status",
            b"offline".to_vec(),
        )));
        ui.refresh(&t);
        assert_eq!(ui.log.scroll, 2);
        ui.handle(Action::Back, &t);
        assert_eq!(ui.log.scroll, 0);
        ui.handle(Action::Filter, &t);
        for c in "→ online".chars() {
            ui.handle(Action::Char(c), &t);
        }
        ui.handle(Action::Enter, &t);
        assert_eq!(ui.log.filter, "→ online");
        ui.handle(Action::Back, &t);
        assert_eq!(ui.log.filter, "");
    }

    #[test]
    fn replay_keys_leave_home_and_end_to_the_lists() {
        let t = twin();
        let mut ui = ui(&t);
        let (a, b) = (at(), at() + chrono::TimeDelta::seconds(100));
        ui.replay = Some(crate::source::replay::ReplayClock::new(a, b, 1.0));
        ui.handle(Action::End, &t);
        assert_eq!(t.series[ui.sensors.selected().unwrap()].label, "s2");
        assert_eq!(ui.replay.as_ref().unwrap().position, a);
        ui.handle(Action::SeekEnd, &t);
        assert_eq!(ui.replay.as_ref().unwrap().position, b);
        ui.handle(Action::SeekStart, &t);
        assert_eq!(ui.replay.as_ref().unwrap().position, a);
        // Outside a replay those keys say what they are for.
        ui.replay = None;
        ui.handle(Action::SeekStart, &t);
        assert!(ui.flash.as_ref().unwrap().0.contains("replay"));
    }

    #[test]
    fn the_publish_form_edits_like_a_form_and_n_returns_to_it() {
        let t = twin();
        let mut ui = ui(&t);
        ui.tab = Tab::Topics;
        ui.topics.reveal("/b_room/temperature/s1");
        ui.refresh(&t);
        ui.handle(Action::Publish, &t);
        let form = |ui: &UiState| match &ui.popup {
            Some(Popup::PublishForm {
                topic,
                payload,
                field,
                ..
            }) => (
                topic.as_str().to_string(),
                payload.as_str().to_string(),
                *field,
            ),
            other => panic!("{other:?}"),
        };
        // Focus in the payload, its offered text selected: the first key replaces it.
        assert_eq!(form(&ui), ("/b_room/temperature/s1".into(), "9".into(), 1));
        ui.handle(Action::Char('7'), &t);
        assert_eq!(form(&ui).1, "7");
        // Shift-Tab goes back to the topic; End keeps its text, and typing appends.
        ui.handle(Action::PrevTab, &t);
        assert_eq!(form(&ui).2, 0);
        ui.handle(Action::End, &t);
        for c in "/set".chars() {
            ui.handle(Action::Char(c), &t);
        }
        assert_eq!(form(&ui).0, "/b_room/temperature/s1/set");
        ui.handle(Action::DeleteWord, &t);
        assert_eq!(form(&ui).0, "/b_room/temperature/s1/");
        ui.handle(Action::ClearField, &t);
        for c in "cmd/heater".chars() {
            ui.handle(Action::Char(c), &t);
        }
        ui.handle(Action::Enter, &t);
        assert!(matches!(ui.popup, Some(Popup::Confirm(_))));
        // n at the confirmation: back to the form, as typed.
        ui.handle(Action::No, &t);
        assert_eq!(form(&ui), ("cmd/heater".into(), "7".into(), 0));
        ui.handle(Action::Enter, &t);
        let Flow::Publish(cmds) = ui.handle(Action::Confirm, &t) else {
            panic!("not published")
        };
        assert_eq!(
            (cmds[0].topic.as_str(), cmds[0].payload.as_str()),
            ("cmd/heater", "7")
        );
        // Esc at a confirmation that came from no form cancels it.
        ui.popup = Some(Popup::Confirm(cmds));
        ui.handle(Action::Back, &t);
        assert!(ui.popup.is_none());
    }

    #[test]
    fn the_filter_finds_a_device_by_the_name_discovery_gives_it() {
        let mut t = twin();
        for (topic, payload) in [
            (
                "homeassistant/sensor/plug/config",
                r#"{"state_topic":"home/plug1/power","name":"Power","dev":{"name":"Kitchen plug"}}"#,
            ),
            ("home/plug1/power", "12.5"),
        ] {
            t.apply(&Event::Message(Message::new(
                at(),
                topic,
                payload.as_bytes().to_vec(),
            )));
        }
        let rows = layout_rows(&t, "kitchen", SortKey::Name, false, &BTreeSet::new(), at());
        let series: Vec<&str> = rows
            .iter()
            .filter_map(|r| match r {
                Row::Series(i) => Some(t.series[*i].topic.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(series, ["home/plug1/power"]);
    }

    #[test]
    fn slash_starts_a_new_filter_and_v_lists_every_group_as_one() {
        let t = twin();
        let mut ui = ui(&t);
        ui.handle(Action::Filter, &t);
        for c in "b_room".chars() {
            ui.handle(Action::Char(c), &t);
        }
        ui.handle(Action::Enter, &t);
        // The previous filter is offered, selected: typing replaces it, not appends.
        ui.handle(Action::Filter, &t);
        for c in "h1".chars() {
            ui.handle(Action::Char(c), &t);
        }
        ui.handle(Action::Enter, &t);
        assert_eq!(ui.sensors.filter, "h1");
        // ← keeps it to edit.
        ui.handle(Action::Filter, &t);
        ui.handle(Action::CursorLeft, &t);
        ui.handle(Action::Char('x'), &t);
        assert_eq!(ui.sensors.filter, "h1x");
        ui.handle(Action::Back, &t);
        // Flat, sorted by last value: the rows of every group in one order, no headings.
        ui.handle(Action::View, &t);
        ui.sensors.sort = SortKey::Last;
        ui.refresh(&t);
        let names: Vec<String> = ui
            .sensors
            .list
            .rows()
            .iter()
            .map(|r| label(&t, r))
            .collect();
        assert_eq!(names, ["h1", "s1", "s2"]);
        assert!(ui.sensors.status(&Theme::default())[0]
            .content
            .starts_with("flat"));
    }

    #[test]
    fn the_control_form_types_into_the_focused_field() {
        let t = twin();
        let mut ui = ui(&t);
        ui.handle(Action::Control, &t);
        assert!(ui.editing());
        for c in "30".chars() {
            ui.handle(Action::Char(c), &t);
        }
        ui.handle(Action::NextTab, &t);
        for c in "set_interval".chars() {
            ui.handle(Action::Char(c), &t);
        }
        match &ui.popup {
            Some(Popup::ControlForm { name, value, .. }) => {
                assert_eq!((name.as_str(), value.as_str()), ("SET_INTERVAL", "30"))
            }
            other => panic!("{other:?}"),
        }
        ui.handle(Action::Enter, &t);
        match &ui.popup {
            Some(Popup::Confirm(cmds)) => assert!(cmds[0].payload.contains("SET_INTERVAL")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn b_asks_the_selected_sparkplug_node_to_rebirth_after_confirmation() {
        use crate::decode::sparkplug::{datatype::INT64, decode, encode, Metric, Payload, Value};
        let mut t = twin();
        let birth = |topic: &str| {
            Event::Message(crate::source::event::Message::new(
                at(),
                topic,
                encode(&Payload {
                    seq: Some(0),
                    metrics: vec![Metric {
                        name: Some("bdSeq".into()),
                        datatype: Some(INT64),
                        value: Value::Int(1),
                        ..Metric::default()
                    }],
                    ..Payload::default()
                }),
            ))
        };
        t.apply(&birth("spBv1.0/plant/NBIRTH/edge1"));
        let mut ui = ui(&t);
        // Nothing Sparkplug selected: it says where B works.
        ui.handle(Action::Rebirth, &t);
        assert!(ui.popup.is_none());
        assert!(ui.flash.as_ref().unwrap().0.contains("Sparkplug"));
        ui.handle(Action::GoTab(1), &t);
        ui.refresh(&t);
        for _ in 0..t.devices.by_id.len() {
            if ui.devices.selected() == Some("plant/edge1") {
                break;
            }
            ui.handle(Action::Down, &t);
            ui.refresh(&t);
        }
        assert_eq!(ui.devices.selected(), Some("plant/edge1"));
        ui.handle(Action::Rebirth, &t);
        match &ui.popup {
            Some(Popup::Confirm(cmds)) => {
                assert_eq!(cmds[0].topic, "spBv1.0/plant/NCMD/edge1");
                let p = decode(cmds[0].binary.as_ref().unwrap()).unwrap();
                assert_eq!(p.metrics[0].name.as_deref(), Some("Node Control/Rebirth"));
                assert_eq!(p.metrics[0].value, Value::Bool(true));
            }
            other => panic!("{other:?}"),
        }
        ui.popup = None;
        ui.read_only = true;
        ui.handle(Action::Rebirth, &t);
        assert!(ui.popup.is_none());
        assert!(ui.flash.as_ref().unwrap().0.contains("read-only"));
    }

    #[test]
    fn a_click_on_a_tab_name_switches_to_it_and_moves_are_ignored() {
        let t = twin();
        let mut ui = ui(&t);
        let click = |column, row, kind| MouseEvent {
            kind,
            column,
            row,
            modifiers: KeyModifiers::NONE,
        };
        // " 1 Sensors " is 11 wide, then a space: " 2 Devices " starts at 12.
        assert!(ui.mouse(click(13, 1, MouseEventKind::Down(MouseButton::Left)), &t));
        assert_eq!(ui.tab, Tab::Devices);
        assert!(!ui.mouse(click(30, 1, MouseEventKind::Moved), &t));
        assert!(ui.mouse(click(26, 1, MouseEventKind::Down(MouseButton::Left)), &t));
        assert_eq!(ui.tab, Tab::Jobs);
    }

    #[test]
    fn t_jumps_between_a_sensor_and_its_topic() {
        let t = twin();
        let mut ui = ui(&t);
        ui.handle(Action::End, &t);
        assert_eq!(t.series[ui.sensors.selected().unwrap()].label, "s2");
        ui.handle(Action::Jump, &t);
        assert_eq!(ui.tab, Tab::Topics);
        assert_eq!(ui.topics.selected(), Some("/b_room/temperature/s2"));
        // Back from another topic: its series is selected, even if the filter hid it.
        ui.handle(Action::Up, &t);
        assert_eq!(ui.topics.selected(), Some("/b_room/temperature/s1"));
        ui.sensors.filter = "h1".into();
        ui.handle(Action::Jump, &t);
        assert_eq!(ui.tab, Tab::Sensors);
        assert_eq!(ui.sensors.filter, "");
        assert_eq!(t.series[ui.sensors.selected().unwrap()].label, "s1");
        // A node that is not a topic says so.
        ui.handle(Action::Jump, &t);
        ui.handle(Action::Home, &t);
        assert_eq!(ui.topics.selected(), Some(""));
        ui.handle(Action::Jump, &t);
        assert_eq!(ui.tab, Tab::Topics);
        assert!(ui.flash.as_ref().unwrap().0.contains("feeds no series"));
    }

    #[test]
    fn pause_freezes_the_view_while_ingest_goes_on() {
        let mut t = twin();
        let mut ui = ui(&t);
        ui.handle(Action::Pause, &t);
        t.apply(&Event::Message(Message::new(
            Utc::now(),
            "/c/d/e",
            b"1".to_vec(),
        )));
        assert_eq!(t.series.len(), 4);
        assert_eq!(ui.view(&t).series.len(), 3);
    }
}
