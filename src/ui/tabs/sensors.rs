//! The Sensors tab: the grouped list of series (groups fold), the selected sensor's chart
//! beside or below the list when the terminal has room, and the full detail view of one.

use std::cell::Cell as StdCell;
use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Axis, Block, Borders, Cell, Chart, Dataset, GraphType, Paragraph, Row as TRow, Table,
};
use ratatui::Frame;

use super::{edit_filter, filter_status, hit, state_rows, Hint, TabView, FILTER_HINTS};
use crate::twin::detect::{Episode, Severity};
use crate::twin::devices::Status;
use crate::twin::series::Series;
use crate::twin::Twin;
use crate::ui::keys::Action;
use crate::ui::list::ListNav;
use crate::ui::theme::Theme;
use crate::ui::widgets::{ago, clock, count, fit, num, opt_num, rate, sparkline};
use crate::ui::{UiState, RECENT_ANOMALY_SECS};

/// How the sensor list is ordered within each group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortKey {
    Name,
    Last,
    Sigma,
    Anomalies,
    /// Anomalous now first, then series of offline or stale devices, then the rest.
    Status,
    /// The longest silent first.
    LastSeen,
    Rate,
}

impl SortKey {
    pub fn next(self) -> SortKey {
        match self {
            SortKey::Name => SortKey::Last,
            SortKey::Last => SortKey::Sigma,
            SortKey::Sigma => SortKey::Anomalies,
            SortKey::Anomalies => SortKey::Status,
            SortKey::Status => SortKey::LastSeen,
            SortKey::LastSeen => SortKey::Rate,
            SortKey::Rate => SortKey::Name,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SortKey::Name => "name",
            SortKey::Last => "last value",
            SortKey::Sigma => "σ",
            SortKey::Anomalies => "anomalies",
            SortKey::Status => "status",
            SortKey::LastSeen => "last seen",
            SortKey::Rate => "rate",
        }
    }
}

/// A line of the sensor list. Two headings are the same row when they name the same group
/// (their counts change with the filter, and folding changes the flag), so the selection stays
/// on a heading while it is folded and unfolded.
#[derive(Debug, Clone, Eq)]
pub enum Row {
    /// A group heading, how many series it holds (that match the filter), and whether it is
    /// folded.
    Group(String, usize, bool),
    /// An index into `Twin::series`.
    Series(usize),
    /// An index into `Twin::states.list` (a text state).
    State(usize),
}

impl PartialEq for Row {
    fn eq(&self, other: &Row) -> bool {
        match (self, other) {
            (Row::Group(a, ..), Row::Group(b, ..)) => a == b,
            (Row::Series(a), Row::Series(b)) => a == b,
            (Row::State(a), Row::State(b)) => a == b,
            _ => false,
        }
    }
}

/// The Sensors tab's view state.
#[derive(Debug)]
pub struct SensorsView {
    pub sort: SortKey,
    /// One list across groups, without headings (`v`): a sort then brings the anomalous, the
    /// silent or the busiest to the top whatever their group.
    pub flat: bool,
    pub filter: String,
    pub editing_filter: bool,
    /// The previous filter is selected: the first key typed replaces it.
    filter_fresh: bool,
    /// Showing the selected sensor's detail over the whole tab.
    pub detail: bool,
    /// Folded groups, by name.
    pub folded: BTreeSet<String>,
    pub list: ListNav<Row>,
    /// Where the list's rows were last drawn (for clicks).
    rows_area: StdCell<Rect>,
    cache_key: Option<(u64, String, SortKey, i64, usize, bool)>,
    /// When the rows were last laid out, with the evictions and series count then.
    laid_out: Option<(DateTime<Utc>, u64, usize)>,
}

/// Lists at least this long are laid out at most once a second while they only grow.
const LARGE: usize = 1000;

impl Default for SensorsView {
    fn default() -> Self {
        SensorsView {
            sort: SortKey::Name,
            flat: false,
            filter: String::new(),
            editing_filter: false,
            filter_fresh: false,
            detail: false,
            folded: BTreeSet::new(),
            list: ListNav::default(),
            rows_area: StdCell::new(Rect::default()),
            cache_key: None,
            laid_out: None,
        }
    }
}

impl SensorsView {
    /// The selected series (an index into `Twin::series`), if a sensor row is selected.
    pub fn selected(&self) -> Option<usize> {
        match self.list.selected() {
            Some(Row::Series(i)) => Some(*i),
            _ => None,
        }
    }

    /// The selected text state (an index into `Twin::states.list`), if a state row is selected.
    pub fn selected_state(&self) -> Option<usize> {
        match self.list.selected() {
            Some(Row::State(i)) => Some(*i),
            _ => None,
        }
    }

    /// Whether a series or a state (not a heading) is selected.
    fn on_item(&self) -> bool {
        matches!(self.list.selected(), Some(Row::Series(_) | Row::State(_)))
    }

    /// Series and state rows shown (matching the filter, in unfolded groups).
    fn shown(&self) -> usize {
        self.list
            .rows()
            .iter()
            .filter(|r| !matches!(r, Row::Group(..)))
            .count()
    }

    /// Moves to the next sensor row in the direction of `delta` (headings are skipped): the
    /// detail view's ↑ ↓.
    fn step_sensor(&mut self, delta: isize) {
        let from = self.list.selected_row();
        loop {
            let before = self.list.selected_row();
            self.list.step(delta.signum());
            if self.on_item() || self.list.selected_row() == before {
                break;
            }
        }
        if !self.on_item() {
            // Ran off the end on a heading: go back to where we were.
            let row = self.list.rows()[from].clone();
            self.list.select(row);
        }
    }

    /// Shows series `i` at the next refresh: the filter cleared if it hides it, its group
    /// unfolded, and it selected.
    pub fn reveal(&mut self, i: usize, twin: &Twin, now: DateTime<Utc>) {
        let Some(s) = twin.series.get(i) else { return };
        self.reveal_row(
            Row::Series(i),
            &s.group,
            [&s.topic, &s.field, &s.group, &s.device, &s.label],
            twin,
            now,
        );
    }

    /// [`SensorsView::reveal`] for text state `i`.
    pub fn reveal_state(&mut self, i: usize, twin: &Twin, now: DateTime<Utc>) {
        let Some(s) = twin.states.list.get(i) else {
            return;
        };
        self.reveal_row(
            Row::State(i),
            &s.group,
            [&s.topic, &s.field, &s.group, &s.device, &s.label],
            twin,
            now,
        );
    }

    fn reveal_row(
        &mut self,
        row: Row,
        group: &str,
        texts: [&String; 5],
        twin: &Twin,
        now: DateTime<Utc>,
    ) {
        let needle = self.filter.to_lowercase();
        if !texts.iter().any(|t| t.to_lowercase().contains(&needle)) {
            self.filter.clear();
        }
        self.folded.remove(group);
        self.detail = false;
        self.cache_key = None;
        self.refresh(twin, now);
        self.list.select(row);
    }

    fn toggle_fold(&mut self, group: &str) {
        if !self.folded.remove(group) {
            self.folded.insert(group.to_string());
        }
        self.cache_key = None;
    }
}

impl TabView for SensorsView {
    fn refresh(&mut self, twin: &Twin, now: DateTime<Utc>) {
        let tick = if self.sort == SortKey::Name {
            0
        } else {
            now.timestamp()
        };
        let key = (
            twin.layout_revision + twin.states.revision,
            self.filter.clone(),
            self.sort,
            tick,
            self.folded.len(),
            self.flat,
        );
        // While series keep arriving (a flood of new topics), a large list is laid out again
        // at most once a second: sorting 10,000 rows every frame was most of the UI's CPU.
        // Only for pure growth, where every index laid out is still valid.
        let growing_only =
            self.cache_key.as_ref().is_some_and(|k| {
                (&k.1, k.2, k.3, k.4, k.5) == (&key.1, key.2, key.3, key.4, key.5)
            }) && self.laid_out.is_some_and(|(at, evicted, len)| {
                len >= LARGE
                    && twin.evicted_series + twin.evicted.states == evicted
                    && twin.series.len() >= len
                    && now - at < chrono::TimeDelta::seconds(1)
            });
        if self.cache_key.as_ref() != Some(&key) && !growing_only {
            self.laid_out = Some((
                now,
                twin.evicted_series + twin.evicted.states,
                twin.series.len(),
            ));
            let had = self.list.selected().is_some();
            let rows = layout_rows(twin, &self.filter, self.sort, self.flat, &self.folded, now);
            if !self.list.set_rows(rows) || !had {
                // Nothing (valid) selected: start on the first sensor, not on a heading.
                if let Some(first) = self
                    .list
                    .rows()
                    .iter()
                    .find(|r| !matches!(r, Row::Group(..)))
                    .cloned()
                {
                    self.list.select(first);
                }
            }
            self.cache_key = Some(key);
        }
        if !self.on_item() {
            self.detail = false;
        }
    }

    fn handle(&mut self, action: Action, _twin: &Twin) -> bool {
        if self.editing_filter {
            return edit_filter(
                &mut self.filter,
                &mut self.editing_filter,
                &mut self.filter_fresh,
                action,
            );
        }
        if self.detail {
            match action {
                Action::Up => return self.step_sensor_true(-1),
                Action::Down => return self.step_sensor_true(1),
                _ => {}
            }
        }
        if self.list.nav(action) {
            return true;
        }
        match action {
            Action::Enter => match self.list.selected().cloned() {
                Some(Row::Group(g, ..)) => self.toggle_fold(&g),
                Some(Row::Series(_) | Row::State(_)) => self.detail = !self.detail,
                None => return false,
            },
            Action::Back if self.detail => self.detail = false,
            Action::Back if !self.filter.is_empty() => self.filter.clear(),
            Action::Back => return false,
            Action::Filter => {
                self.detail = false;
                self.editing_filter = true;
                self.filter_fresh = !self.filter.is_empty();
            }
            Action::Sort => self.sort = self.sort.next(),
            Action::View => self.flat = !self.flat,
            _ => return false,
        }
        true
    }

    fn render(&self, frame: &mut Frame, area: Rect, twin: &Twin, ui: &UiState, theme: &Theme) {
        let series = self.selected().and_then(|i| twin.series.get(i));
        let state = self.selected_state().and_then(|i| twin.states.list.get(i));
        // The selected series' chart, or the selected state's timeline and changes.
        let show = |frame: &mut Frame, area: Rect| match (series, state) {
            (Some(s), _) => detail(frame, area, twin, s, ui, theme),
            (None, Some(st)) => state_rows::detail(frame, area, st, ui, theme),
            (None, None) => {}
        };
        if series.is_none() && state.is_none() {
            return self.list_render(frame, area, twin, ui, theme);
        }
        if self.detail {
            return show(frame, area);
        }
        // Room to spare: the selected item's detail below (tall) or beside (wide).
        let rows = self.list.rows().len() as u16 + 3;
        if area.height >= 24 {
            let list_h = rows.clamp(8, area.height - 12);
            let [top, bottom] =
                Layout::vertical([Constraint::Length(list_h), Constraint::Min(12)]).areas(area);
            self.list_render(frame, top, twin, ui, theme);
            show(frame, bottom);
        } else if area.width >= 200 {
            let [left, right] =
                Layout::horizontal([Constraint::Min(120), Constraint::Length(area.width - 120)])
                    .areas(area);
            self.list_render(frame, left, twin, ui, theme);
            show(frame, right);
        } else {
            self.list_render(frame, area, twin, ui, theme);
        }
    }

    fn editing(&self) -> bool {
        self.editing_filter
    }

    fn hints(&self, demo: bool) -> &'static [Hint] {
        if self.editing_filter {
            FILTER_HINTS
        } else if self.detail {
            &[
                ("Esc", "back"),
                ("↑↓", "prev/next sensor"),
                ("[ ]", "zoom 1h/24h/7d"),
                ("r", "reset"),
                ("p", "pause"),
                ("?", "help"),
                ("q", "quit"),
            ]
        } else if demo {
            if self.flat {
                &[
                    ("↑↓", "select"),
                    ("Enter", "detail"),
                    ("/", "filter"),
                    ("s", "sort"),
                    ("v", "flat → grouped"),
                    ("x/u", "drop/restore device"),
                    ("Tab", "tabs"),
                    ("?", "help"),
                    ("q", "quit"),
                ]
            } else {
                &[
                    ("↑↓", "select"),
                    ("Enter", "detail/fold"),
                    ("/", "filter"),
                    ("s", "sort"),
                    ("v", "grouped → flat"),
                    ("x/u", "drop/restore device"),
                    ("Tab", "tabs"),
                    ("?", "help"),
                    ("q", "quit"),
                ]
            }
        } else if self.flat {
            &[
                ("↑↓", "select"),
                ("Enter", "detail"),
                ("/", "filter"),
                ("s", "sort"),
                ("v", "flat → grouped"),
                ("p", "pause"),
                ("Tab", "tabs"),
                ("?", "help"),
                ("q", "quit"),
            ]
        } else {
            &[
                ("↑↓", "select"),
                ("Enter", "detail/fold"),
                ("/", "filter"),
                ("s", "sort"),
                ("v", "grouped → flat"),
                ("p", "pause"),
                ("Tab", "tabs"),
                ("?", "help"),
                ("q", "quit"),
            ]
        }
    }

    fn status(&self, theme: &Theme) -> Vec<Span<'static>> {
        let mut right = vec![Span::styled(
            format!(
                "{}sort: {}",
                if self.flat { "flat · " } else { "" },
                self.sort.label()
            ),
            theme.dim(),
        )];
        let f = filter_status(&self.filter, self.editing_filter, self.filter_fresh, theme);
        if !f.is_empty() {
            right.push(Span::raw("  "));
            right.extend(f);
        }
        right
    }

    fn click(&mut self, x: u16, y: u16) -> bool {
        let r = self.rows_area.get();
        if self.detail || !hit(r, x, y) {
            return false;
        }
        match self.list.click_again((y - r.y) as usize) {
            // A click on the selected row acts like Enter.
            Some(true) => {
                match self.list.selected().cloned() {
                    Some(Row::Group(g, ..)) => self.toggle_fold(&g),
                    Some(Row::Series(_) | Row::State(_)) => self.detail = true,
                    None => {}
                }
                true
            }
            Some(false) => true,
            None => false,
        }
    }

    fn scroll(&mut self, lines: isize) {
        if self.detail {
            self.step_sensor(lines);
        } else {
            self.list.step(lines);
        }
    }
}

impl SensorsView {
    fn step_sensor_true(&mut self, delta: isize) -> bool {
        self.step_sensor(delta);
        true
    }
}

/// Groups (sorted by name), each followed by its matching series in the chosen order; a
/// folded group is its heading alone. `flat`: every matching series in the chosen order across
/// groups, then the text states, no headings.
pub fn layout_rows(
    twin: &Twin,
    filter: &str,
    sort: SortKey,
    flat: bool,
    folded: &BTreeSet<String>,
    now: DateTime<Utc>,
) -> Vec<Row> {
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
                // The device's name as Home Assistant discovery gives it ("Kitchen plug").
                || twin
                    .devices
                    .description(&s.device)
                    .and_then(|d| d.name.as_deref())
                    .is_some_and(|n| n.to_lowercase().contains(&needle))
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
            SortKey::Status => status_rank(twin, y)
                .cmp(&status_rank(twin, x))
                .then(y.anomalies.cmp(&x.anomalies)),
            SortKey::LastSeen => x.last_seen.cmp(&y.last_seen),
            SortKey::Rate => y.rate.per_second(sec).total_cmp(&x.rate.per_second(sec)),
        };
        let by_group = if flat {
            std::cmp::Ordering::Equal
        } else {
            by_group
        };
        by_group
            .then(by_value)
            .then(x.aggregate.cmp(&y.aggregate))
            .then_with(|| x.label.cmp(&y.label))
            .then_with(|| x.topic.cmp(&y.topic))
    });
    // Text states follow the series of their group, by name.
    let states = &twin.states.list;
    let mut sidx: Vec<usize> = (0..states.len())
        .filter(|&i| {
            let s = &states[i];
            needle.is_empty()
                || [&s.topic, &s.field, &s.group, &s.device, &s.label, &s.value]
                    .iter()
                    .any(|t| t.to_lowercase().contains(&needle))
        })
        .collect();
    sidx.sort_by(|&a, &b| {
        let (x, y) = (&states[a], &states[b]);
        if flat {
            (&x.label, &x.topic).cmp(&(&y.label, &y.topic))
        } else {
            (&x.group, &x.label, &x.topic).cmp(&(&y.group, &y.label, &y.topic))
        }
    });
    let mut rows = Vec::with_capacity(idx.len() + sidx.len() + 16);
    if flat {
        rows.extend(idx.iter().map(|&k| Row::Series(k)));
        rows.extend(sidx.iter().map(|&k| Row::State(k)));
        return rows;
    }
    let (mut i, mut j) = (0, 0);
    while i < idx.len() || j < sidx.len() {
        let a = idx.get(i).map(|&k| twin.series[k].group.as_str());
        let b = sidx.get(j).map(|&k| states[k].group.as_str());
        let group = match (a, b) {
            (Some(a), Some(b)) => a.min(b),
            (Some(g), None) | (None, Some(g)) => g,
            (None, None) => break,
        };
        let n = idx[i..]
            .iter()
            .take_while(|&&k| twin.series[k].group == group)
            .count();
        let m = sidx[j..]
            .iter()
            .take_while(|&&k| states[k].group == group)
            .count();
        let fold = folded.contains(group);
        rows.push(Row::Group(group.to_string(), n + m, fold));
        if !fold {
            rows.extend(idx[i..i + n].iter().map(|&k| Row::Series(k)));
            rows.extend(sidx[j..j + m].iter().map(|&k| Row::State(k)));
        }
        i += n;
        j += m;
    }
    rows
}

/// How much a series needs looking at: 2 anomalous now, 1 its device offline or stale, 0.
fn status_rank(twin: &Twin, s: &crate::twin::series::Series) -> u8 {
    if s.anomalous {
        2
    } else if twin.devices.by_id.get(&s.device).is_some_and(|d| {
        matches!(
            d.status,
            crate::twin::devices::Status::Offline | crate::twin::devices::Status::Stale
        )
    }) {
        1
    } else {
        0
    }
}

/// A column of the list that may be left out when the terminal is narrow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Opt {
    Min,
    Max,
    Count,
    Rate,
}

/// Which columns fit, and how wide the name and the sparkline are.
#[derive(Debug, PartialEq, Eq)]
struct Columns {
    shown: Vec<Opt>,
    name: u16,
    spark: u16,
}

const NUM_W: u16 = 8;
const SIGMA_W: u16 = 7;
const ANOM_W: u16 = 5;
const SPARK_MIN: u16 = 8;

impl Opt {
    fn width(self) -> u16 {
        match self {
            Opt::Min | Opt::Max | Opt::Count => NUM_W,
            Opt::Rate => 7,
        }
    }
}

impl Columns {
    /// Lays the columns out in `width` cells: the name gets what its content needs (from 10),
    /// the optional columns come in while they fit (the sorted-by column first: a list is
    /// never sorted by a column it does not show), and the sparkline takes the rest.
    fn plan(width: u16, name_content: u16, sort: SortKey, window: usize) -> Columns {
        // marker, name, last, mean, σ, sparkline, anomalies, with one space between each.
        let fixed = 1 + NUM_W * 2 + SIGMA_W + ANOM_W + 6;
        let name_min = name_content.min(10);
        let mut order = vec![Opt::Min, Opt::Max, Opt::Count, Opt::Rate];
        if sort == SortKey::Rate {
            order.retain(|o| *o != Opt::Rate);
            order.insert(0, Opt::Rate);
        }
        let mut used = fixed + name_content.max(name_min) + SPARK_MIN;
        let mut shown = Vec::new();
        for o in order {
            // Min and max come as a pair, count and rate may come alone.
            let w = o.width() + 1;
            if used + w <= width {
                used += w;
                shown.push(o);
            }
        }
        if shown.contains(&Opt::Max) != shown.contains(&Opt::Min) {
            shown.retain(|o| !matches!(o, Opt::Min | Opt::Max));
        }
        let opt_w: u16 = shown.iter().map(|o| o.width() + 1).sum();
        let room = width.saturating_sub(fixed + opt_w + SPARK_MIN);
        let name = name_content.min(room).max(name_min.min(room));
        let spark = width
            .saturating_sub(fixed + opt_w + name)
            .clamp(SPARK_MIN.min(width), window.clamp(8, 240) as u16);
        shown.sort_by_key(|o| *o as u8);
        Columns { shown, name, spark }
    }

    fn has(&self, o: Opt) -> bool {
        self.shown.contains(&o)
    }
}

/// How a row is marked: an open anomaly episode (`⚠` for a major one, `!` for a minor one),
/// or not at all. `R` resets exactly the rows marked.
fn mark(s: &Series) -> Option<&Episode> {
    s.episode.as_ref()
}

/// The words after a sensor's name: its open episode's kind, `offline`/`stale`, `alert`.
fn suffixes(twin: &Twin, s: &Series, now: DateTime<Utc>) -> Vec<(String, Suffix)> {
    let mut out = Vec::new();
    if let Some(e) = mark(s) {
        out.push((format!(" {}", e.kind.label()), Suffix::Anomaly));
    }
    match twin.device_status(&s.device) {
        Some(Status::Offline) => out.push((" offline".into(), Suffix::Gone)),
        Some(Status::Stale) => out.push((" stale".into(), Suffix::Gone)),
        _ => {}
    }
    if s.alerted_at
        .is_some_and(|t| (now - t).num_seconds() < RECENT_ANOMALY_SECS)
    {
        out.push((" alert".into(), Suffix::Anomaly));
    }
    out
}

/// A state's device, when it is gone: ` offline`, ` stale`.
fn state_suffix(twin: &Twin, device: &str) -> &'static str {
    match twin.device_status(device) {
        Some(Status::Offline) => " offline",
        Some(Status::Stale) => " stale",
        _ => "",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Suffix {
    Anomaly,
    Gone,
}

impl SensorsView {
    fn list_render(&self, frame: &mut Frame, area: Rect, twin: &Twin, ui: &UiState, theme: &Theme) {
        let rows_all = self.list.rows();
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.border())
            .title(Span::styled(
                format!(
                    " Sensors — {} series{}{} ",
                    count(twin.series.len() as u64),
                    if twin.states.is_empty() {
                        String::new()
                    } else {
                        format!(", {} states", count(twin.states.len() as u64))
                    },
                    if self.filter.is_empty() {
                        String::new()
                    } else {
                        format!(", {} match", self.shown())
                    }
                ),
                theme.title(),
            ));
        let inner = block.inner(area);
        frame.render_widget(block, area);

        if rows_all.is_empty() {
            let text = if twin.series.is_empty() {
                vec![
                    Line::from("Waiting for sensor readings…"),
                    Line::from(""),
                    Line::styled(
                        format!("{} — {}", ui.source, twin.connection_text(ui.now)),
                        theme.dim(),
                    ),
                    Line::styled(
                        "Any numeric payload on a subscribed topic becomes a sensor here.",
                        theme.dim(),
                    ),
                ]
            } else {
                vec![
                    Line::from(format!("No match for “{}”.", self.filter)),
                    Line::styled(
                        "The filter looks in topics, fields, groups and devices. Esc clears it.",
                        theme.dim(),
                    ),
                ]
            };
            frame.render_widget(
                Paragraph::new(text).alignment(ratatui::layout::Alignment::Center),
                centered_rows(inner, 4),
            );
            return;
        }

        // Rows that fit below the header line.
        let height = inner.height.saturating_sub(1) as usize;
        let range = self.list.window(height);
        let visible = &rows_all[range];
        self.rows_area.set(Rect::new(
            inner.x,
            inner.y + 1,
            inner.width,
            visible.len() as u16,
        ));
        let selected = self.list.selected();

        // The name column fits the visible names and their suffixes.
        let name_content = visible
            .iter()
            .map(|r| match r {
                Row::Group(..) => 0,
                Row::Series(i) => {
                    let s = &twin.series[*i];
                    let extra: usize = suffixes(twin, s, ui.now)
                        .iter()
                        .map(|(t, _)| t.chars().count())
                        .sum();
                    // Flat: the name says its group too.
                    let group = if self.flat && !s.group.is_empty() && s.group != s.label {
                        s.group.chars().count() + 3
                    } else {
                        0
                    };
                    group + s.label.chars().count() + 2 + extra
                }
                Row::State(i) => {
                    let s = &twin.states.list[*i];
                    s.label.chars().count() + 2 + state_suffix(twin, &s.device).len()
                }
            })
            .max()
            .unwrap_or(12)
            .clamp(8, 120) as u16;
        let cols = Columns::plan(inner.width, name_content, self.sort, twin.cfg.window);
        let mut header = vec!["", "sensor", "last", "mean"];
        let mut widths = vec![
            Constraint::Length(1),
            Constraint::Length(cols.name),
            Constraint::Length(NUM_W),
            Constraint::Length(NUM_W),
        ];
        if cols.has(Opt::Min) {
            header.extend(["min", "max"]);
            widths.extend([Constraint::Length(NUM_W), Constraint::Length(NUM_W)]);
        }
        header.push("σ");
        widths.push(Constraint::Length(SIGMA_W));
        if cols.has(Opt::Count) {
            header.push("count");
            widths.push(Constraint::Length(NUM_W));
        }
        if cols.has(Opt::Rate) {
            header.push("rate");
            widths.push(Constraint::Length(Opt::Rate.width()));
        }
        header.extend(["window", "anom"]);
        widths.extend([Constraint::Length(cols.spark), Constraint::Length(ANOM_W)]);

        let right =
            |s: String| Cell::from(Line::from(s).alignment(ratatui::layout::Alignment::Right));
        // Each series' name and the words after it (anomaly, offline), fitted together so that
        // no two visible names read the same (widgets::fit_apart).
        let room = (cols.name as usize).saturating_sub(2);
        let fitted: Vec<(usize, Vec<(String, Suffix)>)> = visible
            .iter()
            .filter_map(|row| match row {
                Row::Series(i) => {
                    let extra = suffixes(twin, &twin.series[*i], ui.now);
                    let extra_w: usize = extra.iter().map(|(t, _)| t.chars().count()).sum();
                    Some(if room >= extra_w + 6 {
                        (room - extra_w, extra)
                    } else {
                        // Too narrow for every word: the device's status word stays (the
                        // marker still says the anomaly).
                        let gone: Vec<(String, Suffix)> = extra
                            .into_iter()
                            .filter(|(_, k)| *k == Suffix::Gone)
                            .collect();
                        let gone_w: usize = gone.iter().map(|(t, _)| t.chars().count()).sum();
                        if room >= gone_w + 4 {
                            (room - gone_w, gone)
                        } else {
                            (room, Vec::new())
                        }
                    })
                }
                _ => None,
            })
            .collect();
        // Flat, without headings: each name says its group (`kitchen · temperature`).
        let full: Vec<std::borrow::Cow<str>> = visible
            .iter()
            .filter_map(|row| match row {
                Row::Series(i) => {
                    let s = &twin.series[*i];
                    Some(if self.flat && !s.group.is_empty() && s.group != s.label {
                        format!("{} · {}", s.group, s.label).into()
                    } else {
                        s.label.as_str().into()
                    })
                }
                _ => None,
            })
            .collect();
        let labels: Vec<(&str, usize)> = full
            .iter()
            .map(|l| l.as_ref())
            .zip(fitted.iter().map(|(w, _)| *w))
            .collect();
        let mut names = crate::ui::widgets::fit_apart(&labels)
            .into_iter()
            .zip(fitted.into_iter().map(|(_, extra)| extra));
        let rows: Vec<TRow> = visible
            .iter()
            .map(|row| match row {
                // Headings and states are drawn across the whole width below, not squeezed
                // into the numeric columns.
                Row::Group(..) | Row::State(_) => TRow::new(Vec::<Cell>::new()),
                Row::Series(i) => {
                    let s = &twin.series[*i];
                    let w = &s.window;
                    let is_sel = selected == Some(row);
                    // On the selected row every part takes the selection's colours, so
                    // nothing is drawn in a colour on the same background.
                    let fg = |c| {
                        if is_sel {
                            Style::default()
                        } else {
                            Style::default().fg(c)
                        }
                    };
                    let open = mark(s);
                    let hot = open.is_some();
                    let marker = match open {
                        Some(e) if e.severity() == Severity::Major => {
                            Span::styled("⚠", fg(theme.anomaly).add_modifier(Modifier::BOLD))
                        }
                        Some(_) => Span::styled("!", fg(theme.anomaly)),
                        None => Span::raw(" "),
                    };
                    let (label, extra) = names.next().unwrap_or_default();
                    let mut name = vec![Span::raw(format!("  {label}"))];
                    for (text, kind) in extra {
                        name.push(match kind {
                            Suffix::Anomaly => {
                                Span::styled(text, fg(theme.anomaly).add_modifier(Modifier::BOLD))
                            }
                            Suffix::Gone => Span::styled(text, fg(theme.warn)),
                        });
                    }
                    let gone = matches!(
                        twin.device_status(&s.device),
                        Some(Status::Offline | Status::Stale)
                    );
                    let mut cells = vec![
                        Cell::from(marker),
                        Cell::from(Line::from(name)),
                        right(num(s.last)),
                        right(opt_num(w.mean())),
                    ];
                    if cols.has(Opt::Min) {
                        cells.push(right(opt_num(w.min())));
                        cells.push(right(opt_num(w.max())));
                    }
                    cells.push(right(opt_num(w.stddev())));
                    if cols.has(Opt::Count) {
                        cells.push(right(count(s.count)));
                    }
                    if cols.has(Opt::Rate) {
                        cells.push(right(rate(s.rate.per_second(ui.now.timestamp()))));
                    }
                    let (lo, hi) = (w.min().unwrap_or(0.0), w.max().unwrap_or(0.0));
                    cells.push(Cell::from(Span::styled(
                        sparkline(w.values(), cols.spark as usize, lo, hi),
                        fg(if hot { theme.anomaly } else { theme.sparkline }),
                    )));
                    cells.push(right(if s.anomalies > 0 {
                        count(s.anomalies)
                    } else {
                        String::new()
                    }));
                    let r = TRow::new(cells);
                    if is_sel {
                        r.style(theme.selected())
                    } else if gone {
                        r.style(theme.dim())
                    } else if hot {
                        r.style(Style::default().fg(theme.anomaly))
                    } else {
                        r
                    }
                }
            })
            .collect();
        // Where each column starts (every width is a length, one space between columns).
        let mut starts = Vec::with_capacity(widths.len());
        let mut x = inner.x;
        for w in &widths {
            starts.push(x);
            if let Constraint::Length(n) = w {
                x += n + 1;
            }
        }
        let window_col = widths.len() - 2;
        let state_layout = state_rows::RowLayout {
            name: cols.name,
            value_x: starts[2],
            value_w: NUM_W * 2 + 1,
            held_x: starts[4],
            held_w: starts[window_col].saturating_sub(starts[4] + 1),
            timeline_x: starts[window_col],
            timeline_w: cols.spark,
        };
        let table = Table::new(rows, widths)
            .header(TRow::new(header).style(theme.dim().add_modifier(Modifier::BOLD)))
            .column_spacing(1);
        frame.render_widget(table, inner);
        for (i, row) in visible.iter().enumerate() {
            if let Row::State(k) = row {
                let st = &twin.states.list[*k];
                state_rows::row(
                    frame,
                    Rect::new(inner.x, inner.y + 1 + i as u16, inner.width, 1),
                    st,
                    state_suffix(twin, &st.device),
                    &state_layout,
                    selected == Some(row),
                    ui,
                    theme,
                );
            }
        }
        for (i, row) in visible.iter().enumerate() {
            if let Row::Group(name, n, folded) = row {
                let y = inner.y + 1 + i as u16;
                let is_sel = selected == Some(row);
                let arrow = if *folded { "▸" } else { "▾" };
                let style = if is_sel {
                    theme.selected()
                } else {
                    Style::default()
                        .fg(theme.group)
                        .add_modifier(Modifier::BOLD)
                };
                // A device Home Assistant discovery named: its id and that name.
                let friendly = twin
                    .devices
                    .description(name)
                    .and_then(|d| d.name.as_deref())
                    .filter(|f| f != name);
                let name = match friendly {
                    Some(f) => format!("{name} · {f}"),
                    None => name.clone(),
                };
                let name = fit(&name, (inner.width as usize).saturating_sub(14));
                let line = Line::from(vec![
                    Span::styled(format!("  {arrow} {name}"), style),
                    Span::styled(
                        format!("  {n}"),
                        if is_sel {
                            theme.selected()
                        } else {
                            theme.dim()
                        },
                    ),
                ]);
                frame.render_widget(Paragraph::new(line), Rect::new(inner.x, y, inner.width, 1));
            }
        }
    }
}

fn centered_rows(area: Rect, h: u16) -> Rect {
    let y = area.y + area.height.saturating_sub(h) / 2;
    Rect::new(area.x, y, area.width, h.min(area.height))
}

fn detail(frame: &mut Frame, area: Rect, twin: &Twin, s: &Series, ui: &UiState, theme: &Theme) {
    let unit = s
        .unit
        .as_deref()
        .map(|u| format!(" [{u}]"))
        .unwrap_or_default();
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border())
        .title(Span::styled(
            format!(" {}{unit} — {} ", s.display_name(), s.group),
            theme.title(),
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let anomaly_rows = (s.recent_episodes().count().clamp(1, 6) + 1) as u16;
    let [top, bottom] =
        Layout::vertical([Constraint::Min(6), Constraint::Length(anomaly_rows + 1)]).areas(inner);
    let stats_w = if top.width >= 90 { 30 } else { 24 };
    let [chart_area, stats_area] =
        Layout::horizontal([Constraint::Min(20), Constraint::Length(stats_w)]).areas(top);

    chart(frame, chart_area, twin, s, ui, theme);
    let profile = s.detector.profile(twin.cfg.anomaly.warmup);
    stats(
        frame,
        stats_area,
        s,
        twin.cfg.z_threshold,
        &profile,
        ui,
        theme,
    );
    anomalies(frame, bottom, s, ui, theme);
}

fn chart(frame: &mut Frame, area: Rect, twin: &Twin, s: &Series, ui: &UiState, theme: &Theme) {
    if ui.zoom != crate::ui::history::Zoom::Live {
        return long_chart(frame, area, s, ui, theme);
    }
    let w = &s.window;
    let points: Vec<(f64, f64)> = w.points().map(|(t, v)| (t as f64 / 1000.0, v)).collect();
    if points.len() < 2 {
        frame.render_widget(
            Paragraph::new("Collecting readings for the chart…").style(theme.dim()),
            area,
        );
        return;
    }
    let t0 = points.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
    let t1 = points.iter().map(|p| p.0).fold(f64::NEG_INFINITY, f64::max);
    let t1 = if t1 > t0 { t1 } else { t0 + 1.0 };
    let mean = w.mean().unwrap_or(0.0);
    let sd = w.stddev().unwrap_or(0.0);
    let band = twin.cfg.z_threshold * sd;
    let lo = w.min().unwrap_or(0.0).min(mean - band);
    let hi = w.max().unwrap_or(0.0).max(mean + band);
    let pad = ((hi - lo) * 0.05).max(1e-6);
    // Centred on the mean, so the middle label of the axis is the mean itself.
    let half = (mean - (lo - pad)).max(hi + pad - mean);
    let (lo, hi) = (mean - half, mean + half);

    let mean_line = [(t0, mean), (t1, mean)];
    let upper = [(t0, mean + band), (t1, mean + band)];
    let lower = [(t0, mean - band), (t1, mean - band)];
    // Readings inside an episode (open or recent) are marked on the line.
    let spans: Vec<(f64, f64)> = s
        .recent_episodes()
        .map(|e| {
            (
                e.start.timestamp_millis() as f64 / 1000.0,
                // Up to its last abnormal reading, also while it is open.
                e.last.timestamp_millis() as f64 / 1000.0,
            )
        })
        .collect();
    let flagged: Vec<(f64, f64)> = points
        .iter()
        .copied()
        .filter(|(t, _)| spans.iter().any(|(a, b)| t >= a && t <= b))
        .collect();
    // Episodes shaded: a field of dots over their time span, one per cell.
    let cols = area.width.max(1) as f64;
    let rows = area.height.max(1) as f64;
    let mut shade = Vec::new();
    for (a, b) in &spans {
        let (a, b) = (a.max(t0), b.min(t1));
        let step = (t1 - t0) / cols;
        let mut x = a;
        while x <= b && shade.len() < 20_000 {
            for k in 0..rows as usize {
                shade.push((x, lo + (hi - lo) * (k as f64 + 0.5) / rows));
            }
            x += step.max(1e-3);
        }
    }
    let mut datasets = vec![
        Dataset::default()
            .marker(Marker::Dot)
            .graph_type(GraphType::Scatter)
            .style(Style::default().fg(theme.chart_band))
            .data(&shade),
        Dataset::default()
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(Style::default().fg(theme.chart_band))
            .data(&upper),
        Dataset::default()
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(Style::default().fg(theme.chart_band))
            .data(&lower),
        Dataset::default()
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(Style::default().fg(theme.chart_mean))
            .data(&mean_line),
        Dataset::default()
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(Style::default().fg(theme.chart_line))
            .data(&points),
    ];
    if !flagged.is_empty() {
        datasets.push(
            Dataset::default()
                .marker(Marker::Dot)
                .graph_type(GraphType::Scatter)
                .style(
                    Style::default()
                        .fg(theme.anomaly)
                        .add_modifier(Modifier::BOLD),
                )
                .data(&flagged),
        );
    }
    let to_time = |x: f64| {
        DateTime::from_timestamp_millis((x * 1000.0) as i64)
            .map(|t| clock(t, ui.tz))
            .unwrap_or_default()
    };
    let chart = Chart::new(datasets)
        .x_axis(Axis::default().style(theme.dim()).bounds([t0, t1]).labels([
            to_time(t0),
            to_time((t0 + t1) / 2.0),
            to_time(t1),
        ]))
        .y_axis(
            Axis::default()
                .title(Span::styled(
                    s.unit.clone().unwrap_or_else(|| "value".into()),
                    theme.dim(),
                ))
                .style(theme.dim())
                .bounds([lo, hi])
                // The middle label is the mean, where the mean line is drawn.
                .labels([
                    Span::raw(num(lo)),
                    Span::styled(
                        format!("x̄ {}", num(mean)),
                        Style::default().fg(theme.chart_mean),
                    ),
                    Span::raw(num(hi)),
                ]),
        )
        .legend_position(None);
    frame.render_widget(chart, area);
}

/// The detail chart past the ring buffer: the store's readings (1 h) or rollups (24 h, 7 d)
/// as mean with min and max, episodes and status changes marked along the top.
fn long_chart(frame: &mut Frame, area: Rect, s: &Series, ui: &UiState, theme: &Theme) {
    use crate::ui::history::Ask;
    let ask = Ask::Series {
        topic: s.topic.clone(),
        field: s.field.clone(),
        device: s.device.clone(),
        zoom: ui.zoom,
    };
    let Some(h) = ui.history.as_ref() else {
        return;
    };
    let say = |frame: &mut Frame, text: String| {
        frame.render_widget(Paragraph::new(text).style(theme.dim()), area);
    };
    let Some(answer) = h.get(&ask) else {
        return say(
            frame,
            format!("Loading the last {} from {}…", ui.zoom.label(), h.target),
        );
    };
    if let Some(e) = &answer.error {
        return say(frame, format!("No history for {} ({e})", ui.zoom.label()));
    }
    if answer.points.is_empty() {
        return say(
            frame,
            format!("Nothing stored in the last {} · [ ] zoom", ui.zoom.label()),
        );
    }
    let now = ui.now.timestamp_millis() as f64 / 1000.0;
    let span = match ui.zoom {
        crate::ui::history::Zoom::Hour => 3600.0,
        crate::ui::history::Zoom::Day => 86_400.0,
        _ => 7.0 * 86_400.0,
    };
    let (t0, t1) = (now - span, now);
    let mean: Vec<(f64, f64)> = answer.points.iter().map(|p| (p.0, p.1)).collect();
    let lows: Vec<(f64, f64)> = answer.points.iter().map(|p| (p.0, p.2)).collect();
    let highs: Vec<(f64, f64)> = answer.points.iter().map(|p| (p.0, p.3)).collect();
    let lo = lows.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let hi = highs.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    let pad = ((hi - lo) * 0.05).max(1e-6);
    let (lo, hi) = (lo - pad, hi + pad);
    let marks: Vec<(f64, f64)> = answer
        .marks
        .iter()
        .filter(|(t, _)| *t >= t0)
        .map(|(t, _)| (*t, hi - pad / 2.0))
        .collect();
    let mut datasets = vec![
        Dataset::default()
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(Style::default().fg(theme.chart_band))
            .data(&lows),
        Dataset::default()
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(Style::default().fg(theme.chart_band))
            .data(&highs),
        Dataset::default()
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(Style::default().fg(theme.chart_line))
            .data(&mean),
    ];
    if !marks.is_empty() {
        datasets.push(
            Dataset::default()
                .marker(Marker::Dot)
                .graph_type(GraphType::Scatter)
                .style(
                    Style::default()
                        .fg(theme.anomaly)
                        .add_modifier(Modifier::BOLD),
                )
                .data(&marks),
        );
    }
    let to_time = |x: f64| {
        DateTime::from_timestamp_millis((x * 1000.0) as i64)
            .map(|t| {
                if span > 86_400.0 {
                    t.with_timezone(&ui.tz).format("%a %H:%M").to_string()
                } else {
                    clock(t, ui.tz)
                }
            })
            .unwrap_or_default()
    };
    let [chart_area, legend] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(1)]).areas(area);
    let chart = Chart::new(datasets)
        .x_axis(Axis::default().style(theme.dim()).bounds([t0, t1]).labels([
            to_time(t0),
            to_time((t0 + t1) / 2.0),
            to_time(t1),
        ]))
        .y_axis(
            Axis::default()
                .title(Span::styled(
                    s.unit.clone().unwrap_or_else(|| "value".into()),
                    theme.dim(),
                ))
                .style(theme.dim())
                .bounds([lo, hi])
                .labels([Span::raw(num(lo)), Span::raw(num(hi))]),
        )
        .legend_position(None);
    frame.render_widget(chart, chart_area);
    let said: Vec<String> = answer
        .marks
        .iter()
        .rev()
        .take(4)
        .map(|(t, what)| format!("{what} {}", to_time(*t)))
        .collect();
    let text = format!(
        "last {} from {} · mean with min–max{} · [ ] zoom",
        ui.zoom.label(),
        h.target,
        if said.is_empty() {
            String::new()
        } else {
            format!(" · ● {}", said.join(", "))
        }
    );
    frame.render_widget(Paragraph::new(text).style(theme.dim()), legend);
}

fn stats(
    frame: &mut Frame,
    area: Rect,
    s: &Series,
    z_threshold: f64,
    profile: &crate::twin::detect::Profile,
    ui: &UiState,
    theme: &Theme,
) {
    let w = &s.window;
    let kv = |k: &str, v: String| {
        Line::from(vec![
            Span::styled(format!("{k:<10}"), theme.dim()),
            Span::raw(v),
        ])
    };
    let mut lines = vec![
        kv("last", num(s.last)),
        kv("mean", opt_num(w.mean())),
        kv("min", opt_num(w.min())),
        kv("max", opt_num(w.max())),
        kv("σ", opt_num(w.stddev())),
        kv("window", format!("{}/{}", w.len(), w.capacity())),
        kv("count", count(s.count)),
        kv("rate", rate(s.rate.per_second(ui.now.timestamp()))),
        kv("anomalies", count(s.anomalies)),
        // What the detectors know of the signal: `learning` until they do.
        kv(
            "profile",
            match (profile.cadence, profile.interval_s) {
                ("steady", Some(i)) => format!("{} · {}", profile.class, secs(i)),
                (c, _) => format!("{} · {c}", profile.class),
            },
        ),
    ];
    // The deadband it is reported past, where its history says so.
    if let Some(db) = profile.deadband {
        lines.push(kv("deadband", num(db)));
    }
    lines.push(kv("device", s.device.clone()));
    // Its setpoint and the difference it holds from it, when one was found by name.
    if let Some((_, st)) = s
        .setpoint
        .as_ref()
        .and_then(|l| l.status(s.detector.resolution_known()))
    {
        lines.push(kv("setpoint", st.line()));
    }
    // The rates it ramps at, when it moves in ramps of its own and is judged by them.
    if let Some(rates) = s.detector.ramp_rates() {
        lines.push(kv("ramps", rates));
    }
    // The stays at its levels, when it switches between a few and is judged by them.
    for (i, stays) in s.detector.stays_lines().into_iter().enumerate() {
        lines.push(kv(if i == 0 { "stays" } else { "" }, stays));
    }
    lines.extend([
        kv("last seen", ago(s.last_seen, ui.now)),
        kv("at", clock(s.last_time, ui.tz)),
    ]);
    if let Some((from, to, missed)) = s.last_gap {
        // Readings probably published while twinview was disconnected.
        lines.push(Line::from(vec![
            Span::styled(format!("{:<10}", "gaps"), theme.dim()),
            Span::styled(
                format!(
                    "{} (last {}–{}, ≈{missed} missed)",
                    count(s.gaps),
                    clock(from, ui.tz),
                    clock(to, ui.tz)
                ),
                Style::default().fg(theme.warn),
            ),
        ]));
    }
    lines.extend([
        Line::from(""),
        Line::from(vec![
            Span::styled("── ", Style::default().fg(theme.chart_line)),
            Span::styled("reading", theme.dim()),
        ]),
        Line::from(vec![
            Span::styled("── ", Style::default().fg(theme.chart_mean)),
            Span::styled("mean", theme.dim()),
        ]),
        Line::from(vec![
            Span::styled("── ", Style::default().fg(theme.chart_band)),
            Span::styled(format!("mean ± {z_threshold}σ"), theme.dim()),
        ]),
        Line::from(vec![
            Span::styled("•  ", Style::default().fg(theme.anomaly)),
            Span::styled("reading in an episode", theme.dim()),
        ]),
        Line::from(vec![
            Span::styled("·· ", Style::default().fg(theme.chart_band)),
            Span::styled("episode span", theme.dim()),
        ]),
    ]);
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::LEFT)
                .border_style(theme.border()),
        ),
        area,
    );
}

fn anomalies(frame: &mut Frame, area: Rect, s: &Series, ui: &UiState, theme: &Theme) {
    let mut lines = vec![Line::styled(
        format!("Anomaly episodes ({} in all)", count(s.anomalies)),
        theme.title(),
    )];
    if s.episode.is_none() && s.episodes.is_empty() {
        lines.push(Line::styled("none so far", theme.dim()));
    }
    let room = area.height.saturating_sub(1) as usize;
    for e in s.recent_episodes().take(room) {
        let until = if e.closed {
            clock(e.last, ui.tz)
        } else {
            "now".to_string()
        };
        lines.push(Line::from(vec![
            Span::styled(
                format!("{}–{until:<8}  ", clock(e.start, ui.tz)),
                theme.dim(),
            ),
            Span::styled(
                format!("{:<11} {:<5}  ", e.kind.as_str(), e.severity().as_str()),
                Style::default().fg(theme.anomaly),
            ),
            Span::raw(e.reason.clone()),
        ]));
    }
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::TOP)
                .border_style(theme.border()),
        ),
        area,
    );
}

/// An interval as the profile line shows it: `1s`, `2.5s`, `10m`.
fn secs(s: f64) -> String {
    if s >= 600.0 {
        format!("{:.0}m", s / 60.0)
    } else if s >= 10.0 || (s - s.round()).abs() < 0.05 {
        format!("{s:.0}s")
    } else {
        format!("{s:.1}s")
    }
}
