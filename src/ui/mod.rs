//! The terminal UI: state, key handling and rendering. Rendering reads the twin and never
//! changes it; everything that belongs to the view (selection, filter, sort, pause) lives in
//! [`UiState`].

pub mod app;
pub mod keys;
pub mod tabs;
pub mod theme;
pub mod widgets;

use std::cell::Cell;

use chrono::{DateTime, FixedOffset, Utc};

use crate::commands::Templates;
use crate::event::Command;
use crate::sim::SimControl;
use crate::twin::devices::Status;
use ratatui::layout::{Constraint, Layout};
use ratatui::Frame;

use crate::twin::Twin;
use keys::Action;
use theme::Theme;

/// The tabs, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Sensors,
    Devices,
    Jobs,
    Log,
}

impl Tab {
    pub const ALL: [Tab; 4] = [Tab::Sensors, Tab::Devices, Tab::Jobs, Tab::Log];

    pub fn title(self) -> &'static str {
        match self {
            Tab::Sensors => "Sensors",
            Tab::Devices => "Devices",
            Tab::Jobs => "Jobs",
            Tab::Log => "Log",
        }
    }

    fn index(self) -> usize {
        Tab::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }
}

/// How the sensor list is ordered within each group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortKey {
    Name,
    Last,
    Sigma,
    Anomalies,
    Rate,
}

impl SortKey {
    pub fn next(self) -> SortKey {
        match self {
            SortKey::Name => SortKey::Last,
            SortKey::Last => SortKey::Sigma,
            SortKey::Sigma => SortKey::Anomalies,
            SortKey::Anomalies => SortKey::Rate,
            SortKey::Rate => SortKey::Name,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SortKey::Name => "name",
            SortKey::Last => "last value",
            SortKey::Sigma => "σ",
            SortKey::Anomalies => "anomalies",
            SortKey::Rate => "rate",
        }
    }
}

/// A line of the sensor list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Row {
    /// A group heading and how many series it holds.
    Group(String, usize),
    /// An index into `Twin::series`.
    Series(usize),
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
}

/// A dialog over the current tab.
#[derive(Debug, Clone, PartialEq)]
pub enum Popup {
    /// Commands waiting for the user's yes.
    Confirm(Vec<Command>),
    /// The control-command form; `field` 0 is the name, 1 the value.
    ControlForm {
        name: String,
        value: String,
        field: usize,
        error: Option<String>,
    },
}

/// Finds the selected id again after `rows` changed (Devices and Jobs keep their selection by
/// id across re-orderings); selects the first row when it is gone and returns false then.
fn reselect(rows: &[String], selected: &mut Option<String>, row: &mut usize) -> bool {
    match selected
        .as_ref()
        .and_then(|s| rows.iter().position(|r| r == s))
    {
        Some(p) => {
            *row = p;
            true
        }
        None => {
            *selected = rows.first().cloned();
            *row = 0;
            false
        }
    }
}

/// Moves a selection kept by id by `delta` rows, clamped to the list.
fn step(rows: &[String], selected: &mut Option<String>, row: &mut usize, delta: isize) {
    if rows.is_empty() {
        return;
    }
    let next = (*row as isize)
        .saturating_add(delta)
        .clamp(0, rows.len() as isize - 1) as usize;
    *row = next;
    *selected = Some(rows[next].clone());
}

/// The Devices tab's view state.
#[derive(Debug, Default)]
pub struct DevicesView {
    pub selected: Option<String>,
    /// Show only devices with this status.
    pub filter: Option<Status>,
    /// Device ids in display order.
    pub rows: Vec<String>,
    pub selected_row: usize,
    pub offset: Cell<usize>,
    pub page: Cell<usize>,
    /// Showing the selected device's detail.
    pub detail: bool,
    cache_key: Option<(u64, Option<Status>)>,
}

impl DevicesView {
    fn next_filter(&mut self) {
        self.filter = match self.filter {
            None => Some(Status::Online),
            Some(Status::Online) => Some(Status::Offline),
            Some(Status::Offline) => Some(Status::Stale),
            Some(Status::Stale) => Some(Status::Unknown),
            Some(Status::Unknown) => None,
        };
    }

    fn refresh(&mut self, twin: &Twin) {
        let key = (twin.devices.revision, self.filter);
        if self.cache_key != Some(key) {
            let mut rows: Vec<(&Status, &String)> = twin
                .devices
                .by_id
                .values()
                .filter(|d| self.filter.is_none_or(|f| d.status == f))
                .map(|d| (&d.status, &d.id))
                .collect();
            // Trouble first: offline, stale, unknown, then online; by id within each.
            rows.sort_by_cached_key(|(s, id)| (**s, id.to_lowercase()));
            self.rows = rows.into_iter().map(|(_, id)| id.clone()).collect();
            self.cache_key = Some(key);
        }
        if !reselect(&self.rows, &mut self.selected, &mut self.selected_row) {
            self.detail = false;
        }
    }

    fn step(&mut self, delta: isize) {
        step(
            &self.rows,
            &mut self.selected,
            &mut self.selected_row,
            delta,
        );
    }
}

/// The sensor list's view state.
#[derive(Debug, Default)]
pub struct SensorsView {
    /// The selected series (an index into `Twin::series`, stable under re-sorting).
    pub selected: Option<usize>,
    pub sort: Option<SortKey>,
    pub filter: String,
    pub editing_filter: bool,
    pub detail: bool,
    /// The list as last laid out.
    pub rows: Vec<Row>,
    /// Position of the selection in `rows`.
    pub selected_row: usize,
    /// First visible row; adjusted while rendering to keep the selection in view.
    pub offset: Cell<usize>,
    /// Visible rows in the last frame, for paging.
    pub page: Cell<usize>,
    cache_key: Option<(u64, String, SortKey, i64)>,
}

impl SensorsView {
    pub fn sort(&self) -> SortKey {
        self.sort.unwrap_or(SortKey::Name)
    }
}

/// The Jobs tab's view state.
#[derive(Debug, Default)]
pub struct JobsView {
    pub selected: Option<String>,
    /// Job ids, newest first.
    pub rows: Vec<String>,
    pub selected_row: usize,
    pub offset: Cell<usize>,
    pub page: Cell<usize>,
    /// Showing the selected job's negotiation.
    pub detail: bool,
    cache_key: Option<u64>,
}

impl JobsView {
    fn refresh(&mut self, twin: &Twin) {
        // Keyed on a revision the tracker bumps for every job added or forgotten, never on a
        // length (which stops changing once the cap is reached).
        let key = twin.cnp.jobs_revision;
        if self.cache_key != Some(key) {
            // At the top of the list (and not reading one negotiation), follow the newest job.
            let following = self.selected_row == 0 && !self.detail;
            self.rows = twin.cnp.order.iter().rev().cloned().collect();
            self.cache_key = Some(key);
            if following {
                self.selected = self.rows.first().cloned();
            }
        }
        if !reselect(&self.rows, &mut self.selected, &mut self.selected_row) {
            self.detail = false;
        }
    }

    fn step(&mut self, delta: isize) {
        step(
            &self.rows,
            &mut self.selected,
            &mut self.selected_row,
            delta,
        );
    }
}

/// Everything the views need besides the twin.
pub struct UiState {
    pub tab: Tab,
    pub sensors: SensorsView,
    pub devices: DevicesView,
    pub jobs: JobsView,
    /// A short message for the footer and when it was set.
    pub flash: Option<(String, DateTime<Utc>)>,
    /// Whether the demo's simulated devices can be dropped and restored (`x`, `u`).
    pub demo: bool,
    pub popup: Option<Popup>,
    /// `--read-only`: no command can be published.
    pub read_only: bool,
    pub templates: Templates,
    /// Replaying a recording: where and how fast.
    pub replay: Option<crate::source::replay::ReplayClock>,
    /// Recording: (bytes written, events lost).
    pub recording: Option<(u64, u64)>,
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
    pub log: tui_logger::TuiWidgetState,
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
            flash: None,
            demo: false,
            popup: None,
            read_only: false,
            templates: Templates::default(),
            replay: None,
            recording: None,
            help: false,
            frozen: None,
            source: source.into(),
            dropped: 0,
            now,
            tz,
            log: tui_logger::TuiWidgetState::new(),
        }
    }

    /// The twin to show: the frozen copy while paused, else the live one.
    pub fn view<'a>(&'a self, live: &'a Twin) -> &'a Twin {
        self.frozen.as_deref().unwrap_or(live)
    }

    /// Lays out the sensor list again when the series, filter or sort changed (or, for sorts
    /// by value, once a second). Call before rendering.
    pub fn refresh(&mut self, live: &Twin) {
        let twin = self.frozen.as_deref().unwrap_or(live);
        self.devices.refresh(twin);
        self.jobs.refresh(twin);
        let v = &mut self.sensors;
        let sort = v.sort();
        let tick = if sort == SortKey::Name {
            0
        } else {
            self.now.timestamp()
        };
        let key = (twin.layout_revision, v.filter.clone(), sort, tick);
        if v.cache_key.as_ref() != Some(&key) {
            v.rows = layout_rows(twin, &v.filter, sort, self.now);
            v.cache_key = Some(key);
        }
        let first_series = || {
            v.rows.iter().find_map(|r| match r {
                Row::Series(i) => Some(*i),
                _ => None,
            })
        };
        let pos = v
            .selected
            .and_then(|sel| v.rows.iter().position(|r| *r == Row::Series(sel)));
        match pos {
            Some(p) => v.selected_row = p,
            None => {
                v.selected = first_series();
                v.selected_row = v
                    .selected
                    .and_then(|sel| v.rows.iter().position(|r| *r == Row::Series(sel)))
                    .unwrap_or(0);
                if v.selected.is_none() {
                    v.detail = false;
                }
            }
        }
    }

    /// Whether typed letters go into a text field rather than being commands.
    pub fn editing(&self) -> bool {
        self.sensors.editing_filter || matches!(self.popup, Some(Popup::ControlForm { .. }))
    }

    /// Applies a key's action. `live` is needed to re-lay the list after a change.
    pub fn handle(&mut self, action: Action, live: &Twin) -> Flow {
        if action == Action::Quit {
            return Flow::Quit;
        }
        if self.popup.is_some() {
            return self.handle_popup(action, live);
        }
        if let Some(clock) = self.replay.as_mut() {
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
                Action::Home if !self.help => {
                    clock.home();
                    true
                }
                Action::End if !self.help => {
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
        ) {
            self.say("space, + - and ← → control `twinview replay`");
            return Flow::Continue;
        }
        if self.help {
            if matches!(action, Action::Help | Action::Back | Action::Enter) {
                self.help = false;
            }
            return Flow::Continue;
        }
        if self.sensors.editing_filter {
            let f = &mut self.sensors.filter;
            match action {
                Action::Char(c) => f.push(c),
                Action::Backspace => {
                    f.pop();
                }
                Action::Enter => self.sensors.editing_filter = false,
                Action::Back => {
                    f.clear();
                    self.sensors.editing_filter = false;
                }
                _ => {}
            }
            self.refresh(live);
            return Flow::Continue;
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
            Action::GoTab(i) => {
                if let Some(t) = Tab::ALL.get(i) {
                    self.tab = *t;
                }
            }
            Action::Reset | Action::ResetAnomalous | Action::Control if self.read_only => {
                self.say("read-only: twinview publishes nothing (started with --read-only)");
            }
            Action::Reset => {
                let twin = self.view(live);
                match self.sensors.selected.and_then(|i| twin.series.get(i)) {
                    Some(s) => {
                        let cmd = self.templates.reset(s, self.now);
                        self.popup = Some(Popup::Confirm(vec![cmd]));
                    }
                    None => self.say("select a sensor to reset"),
                }
            }
            Action::ResetAnomalous => {
                let twin = self.view(live);
                let mut seen = std::collections::BTreeSet::new();
                let cmds: Vec<Command> = twin
                    .series
                    .iter()
                    .filter(|s| s.anomalous && !s.aggregate)
                    .map(|s| self.templates.reset(s, self.now))
                    .filter(|c| seen.insert(c.topic.clone()))
                    .collect();
                if cmds.is_empty() {
                    self.say("no sensor is anomalous right now");
                } else {
                    self.popup = Some(Popup::Confirm(cmds));
                }
            }
            Action::Control => {
                self.popup = Some(Popup::ControlForm {
                    name: "SET_THRESHOLD".into(),
                    value: "25.0".into(),
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
            _ => match self.tab {
                Tab::Sensors => self.handle_sensors(action),
                Tab::Devices => self.handle_devices(action),
                Tab::Jobs => self.handle_jobs(action),
                Tab::Log => tabs::log::handle(&self.log, action),
            },
        }
        self.refresh(live);
        Flow::Continue
    }

    fn handle_popup(&mut self, action: Action, live: &Twin) -> Flow {
        let Some(popup) = self.popup.take() else {
            return Flow::Continue;
        };
        match popup {
            Popup::Confirm(cmds) => match action {
                Action::Enter | Action::Confirm => return Flow::Publish(cmds),
                Action::Back | Action::No => self.say("cancelled: nothing was published"),
                _ => self.popup = Some(Popup::Confirm(cmds)),
            },
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
                    Action::NextTab | Action::Up | Action::Down => field = 1 - field,
                    Action::Char(c) => {
                        if field == 0 {
                            name.push(c.to_ascii_uppercase());
                        } else {
                            value.push(c);
                        }
                        error = None;
                    }
                    Action::Backspace => {
                        if field == 0 {
                            name.pop();
                        } else {
                            value.pop();
                        }
                    }
                    Action::Enter => match value.trim().parse::<f64>() {
                        Ok(v) if v.is_finite() && !name.trim().is_empty() => {
                            let twin = self.view(live);
                            let selected = self.sensors.selected.and_then(|i| twin.series.get(i));
                            let cmd = self.templates.control(name.trim(), v, selected, self.now);
                            self.popup = Some(Popup::Confirm(vec![cmd]));
                            return Flow::Continue;
                        }
                        Ok(_) | Err(_) if name.trim().is_empty() => {
                            error = Some("the command needs a name".into())
                        }
                        _ => error = Some(format!("`{value}` is not a number")),
                    },
                    _ => {}
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

    /// Shows `text` in the footer for a few seconds.
    pub fn say(&mut self, text: impl Into<String>) {
        self.flash = Some((text.into(), self.now));
    }

    /// The device the selection points at: the selected device, or the selected sensor's.
    pub fn selected_device(&self, live: &Twin) -> Option<String> {
        let twin = self.view(live);
        match self.tab {
            Tab::Devices => self.devices.selected.clone(),
            _ => self
                .sensors
                .selected
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

    fn handle_jobs(&mut self, action: Action) {
        let v = &mut self.jobs;
        let page = v.page.get().max(1) as isize;
        match action {
            Action::Up => v.step(-1),
            Action::Down => v.step(1),
            Action::PageUp => v.step(-page),
            Action::PageDown => v.step(page),
            Action::Home => v.step(isize::MIN / 2),
            Action::End => v.step(isize::MAX / 2),
            Action::Enter => v.detail = !v.detail && v.selected.is_some(),
            Action::Back => v.detail = false,
            _ => {}
        }
    }

    fn handle_devices(&mut self, action: Action) {
        let v = &mut self.devices;
        let page = v.page.get().max(1) as isize;
        match action {
            Action::Up => v.step(-1),
            Action::Down => v.step(1),
            Action::PageUp => v.step(-page),
            Action::PageDown => v.step(page),
            Action::Home => v.step(isize::MIN / 2),
            Action::End => v.step(isize::MAX / 2),
            Action::StatusFilter => v.next_filter(),
            Action::Enter => v.detail = !v.detail && v.selected.is_some(),
            Action::Back if v.detail => v.detail = false,
            Action::Back => v.filter = None,
            _ => {}
        }
    }

    fn handle_sensors(&mut self, action: Action) {
        let v = &mut self.sensors;
        let page = v.page.get().max(1);
        match action {
            Action::Up => move_selection(v, -1),
            Action::Down => move_selection(v, 1),
            Action::PageUp => move_selection(v, -(page as isize)),
            Action::PageDown => move_selection(v, page as isize),
            Action::Home => move_selection(v, isize::MIN / 2),
            Action::End => move_selection(v, isize::MAX / 2),
            Action::Enter => v.detail = !v.detail && v.selected.is_some(),
            Action::Back => {
                if v.detail {
                    v.detail = false;
                } else {
                    v.filter.clear();
                }
            }
            Action::Filter => {
                v.detail = false;
                v.editing_filter = true;
            }
            Action::Sort => v.sort = Some(v.sort().next()),
            _ => {}
        }
    }
}

/// Moves the selection by `delta` series rows (group headings are skipped).
fn move_selection(v: &mut SensorsView, delta: isize) {
    let series: Vec<usize> = v
        .rows
        .iter()
        .filter_map(|r| match r {
            Row::Series(i) => Some(*i),
            _ => None,
        })
        .collect();
    if series.is_empty() {
        return;
    }
    let cur = v
        .selected
        .and_then(|s| series.iter().position(|&i| i == s))
        .unwrap_or(0) as isize;
    let next = cur
        .saturating_add(delta)
        .clamp(0, series.len() as isize - 1) as usize;
    v.selected = Some(series[next]);
    v.selected_row = v
        .rows
        .iter()
        .position(|r| *r == Row::Series(series[next]))
        .unwrap_or(0);
}

/// Groups (sorted by name), each followed by its matching series in the chosen order.
pub fn layout_rows(twin: &Twin, filter: &str, sort: SortKey, now: DateTime<Utc>) -> Vec<Row> {
    let needle = filter.to_lowercase();
    let mut idx: Vec<usize> = (0..twin.series.len())
        .filter(|&i| {
            if needle.is_empty() {
                return true;
            }
            let s = &twin.series[i];
            [&s.topic, &s.field, &s.group, &s.device, &s.label]
                .iter()
                .any(|t| t.to_lowercase().contains(&needle))
        })
        .collect();
    let sec = now.timestamp();
    idx.sort_by(|&a, &b| {
        let (x, y) = (&twin.series[a], &twin.series[b]);
        let by_group = x.group.cmp(&y.group);
        let by_value = match sort {
            SortKey::Name => std::cmp::Ordering::Equal,
            SortKey::Last => y.last.total_cmp(&x.last),
            SortKey::Sigma => y
                .window
                .stddev()
                .unwrap_or(0.0)
                .total_cmp(&x.window.stddev().unwrap_or(0.0)),
            SortKey::Anomalies => y.anomalies.cmp(&x.anomalies),
            SortKey::Rate => y.rate.per_second(sec).total_cmp(&x.rate.per_second(sec)),
        };
        by_group
            .then(by_value)
            .then(x.aggregate.cmp(&y.aggregate))
            .then_with(|| x.label.cmp(&y.label))
            .then_with(|| x.topic.cmp(&y.topic))
    });
    let mut rows = Vec::with_capacity(idx.len() + 16);
    let mut i = 0;
    while i < idx.len() {
        let group = &twin.series[idx[i]].group;
        let n = idx[i..]
            .iter()
            .take_while(|&&j| &twin.series[j].group == group)
            .count();
        rows.push(Row::Group(group.clone(), n));
        rows.extend(idx[i..i + n].iter().map(|&j| Row::Series(j)));
        i += n;
    }
    rows
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
    widgets::header(frame, header, twin, ui, theme);
    widgets::tab_bar(frame, tabs_bar, ui, theme);
    if let Some(clock) = &ui.replay {
        widgets::progress(frame, progress, clock, ui, theme);
    }
    match ui.tab {
        Tab::Sensors => tabs::sensors::render(frame, body, twin, ui, theme),
        Tab::Devices => tabs::devices::render(frame, body, twin, ui, theme),
        Tab::Jobs => tabs::jobs::render(frame, body, twin, ui, theme),
        Tab::Log => tabs::log::render(frame, body, twin, ui, theme),
    }
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
    use crate::event::{Event, Message};
    use chrono::TimeZone;

    fn twin() -> Twin {
        let mut t = Twin::default();
        let at = Utc.timestamp_opt(1_800_000_000, 0).unwrap();
        for (topic, v) in [
            ("/b_room/temperature/s2", "5"),
            ("/b_room/temperature/s1", "9"),
            ("/a_room/humidity/h1", "40"),
        ] {
            t.apply(&Event::Message(Message::new(
                at,
                topic,
                v.as_bytes().to_vec(),
            )));
        }
        t
    }

    #[test]
    fn rows_are_grouped_and_sorted() {
        let t = twin();
        let now = Utc::now();
        let label = |r: &Row| match r {
            Row::Group(g, n) => format!("[{g} {n}]"),
            Row::Series(i) => t.series[*i].label.clone(),
        };
        let rows: Vec<String> = layout_rows(&t, "", SortKey::Name, now)
            .iter()
            .map(label)
            .collect();
        assert_eq!(
            rows,
            [
                "[a_room · humidity 1]",
                "h1",
                "[b_room · temperature 2]",
                "s1",
                "s2"
            ]
        );
        let rows: Vec<String> = layout_rows(&t, "", SortKey::Last, now)
            .iter()
            .map(label)
            .collect();
        assert_eq!(rows[3..], ["s1", "s2"]);
        let rows: Vec<String> = layout_rows(&t, "S2", SortKey::Name, now)
            .iter()
            .map(label)
            .collect();
        assert_eq!(rows, ["[b_room · temperature 1]", "s2"]);
    }

    #[test]
    fn keys_move_filter_and_quit() {
        let t = twin();
        let mut ui = UiState::new("test", Utc::now(), FixedOffset::east_opt(0).unwrap());
        ui.refresh(&t);
        let name = |ui: &UiState| t.series[ui.sensors.selected.unwrap()].label.clone();
        assert_eq!(name(&ui), "h1");
        ui.handle(Action::Down, &t);
        assert_eq!(name(&ui), "s1");
        assert_eq!(ui.sensors.selected_row, 3);
        ui.handle(Action::End, &t);
        assert_eq!(name(&ui), "s2");
        ui.handle(Action::Down, &t);
        assert_eq!(name(&ui), "s2");
        ui.handle(Action::Home, &t);
        assert_eq!(name(&ui), "h1");
        ui.handle(Action::Filter, &t);
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
        ui.handle(Action::Pause, &t);
        assert!(ui.frozen.is_some());
        ui.handle(Action::Pause, &t);
        assert!(ui.frozen.is_none());
        ui.handle(Action::NextTab, &t);
        assert_eq!(ui.tab, Tab::Devices);
        ui.handle(Action::NextTab, &t);
        assert_eq!(ui.tab, Tab::Jobs);
        ui.handle(Action::NextTab, &t);
        assert_eq!(ui.tab, Tab::Log);
        ui.handle(Action::Help, &t);
        assert!(ui.help);
        ui.handle(Action::Back, &t);
        assert!(!ui.help);
        assert_eq!(ui.handle(Action::Quit, &t), Flow::Quit);
    }

    #[test]
    fn pause_freezes_the_view_while_ingest_goes_on() {
        let mut t = twin();
        let mut ui = UiState::new("test", Utc::now(), FixedOffset::east_opt(0).unwrap());
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
