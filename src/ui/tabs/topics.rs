//! The Topics tab: every topic seen, as a tree of levels (fold and unfold, topics per subtree,
//! filter), and for the selected topic its traffic and last payloads shown the best way:
//! pretty JSON with the fields that became series marked, text, or hex and ASCII for binary.
//!
//! The tree is laid out from the twin's topic table when a topic appears or goes (its
//! revision), and for a large table at most once a second while topics keep appearing; a
//! frame draws only the visible rows.

use std::cell::Cell as StdCell;
use std::collections::{BTreeSet, VecDeque};

use chrono::{DateTime, Utc};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use super::{edit_filter, filter_status, hit, Hint, TabView, FILTER_HINTS};
use crate::twin::topics::{Kept, Traffic};
use crate::twin::Twin;
use crate::ui::keys::Action;
use crate::ui::list::ListNav;
use crate::ui::theme::Theme;
use crate::ui::widgets::{ago, clock, count, fit, num, rate};
use crate::ui::UiState;

/// One line of the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeRow {
    /// The levels up to this node joined by `/` (a topic, or a prefix of topics).
    pub path: String,
    pub depth: usize,
    /// Its last level.
    pub name: String,
    /// Whether the path is itself a topic (it may also have topics below it).
    pub topic: bool,
    /// Topics at and below it.
    pub under: usize,
    pub children: bool,
    pub folded: bool,
}

/// Tables at least this large are laid out at most once a second while topics keep coming.
const LARGE: usize = 1000;

/// The Topics tab's view state.
#[derive(Debug, Default)]
pub struct TopicsView {
    pub filter: String,
    pub editing_filter: bool,
    /// The previous filter is selected: the first key typed replaces it.
    filter_fresh: bool,
    /// Folded nodes, by path.
    pub folded: BTreeSet<String>,
    /// Row paths in display order; the selection is kept by path.
    pub list: ListNav<String>,
    rows: Vec<TreeRow>,
    /// Showing the selected topic over the whole tab (small terminals).
    pub detail: bool,
    rows_area: StdCell<Rect>,
    cache_key: Option<(u64, String, usize)>,
    laid_out: Option<DateTime<Utc>>,
    /// A topic to select at the next refresh (`t` from another tab).
    reveal: Option<String>,
    /// The payloads of the shown topic as this view saw them, oldest first (at most
    /// [`SEEN`], each cut to [`SEEN_BYTES`]).
    seen: VecDeque<Kept>,
    seen_topic: String,
}

/// Earlier payloads the view keeps of the topic it shows.
const SEEN: usize = 8;
const SEEN_BYTES: usize = 256;

impl TopicsView {
    fn seen_for(&self, path: &str) -> &VecDeque<Kept> {
        static EMPTY: VecDeque<Kept> = VecDeque::new();
        if self.seen_topic == path {
            &self.seen
        } else {
            &EMPTY
        }
    }

    /// Notes the shown topic's last payload if it is new (called before each frame).
    fn watch(&mut self, twin: &Twin) {
        let Some(path) = self.list.selected() else {
            return;
        };
        if *path != self.seen_topic {
            self.seen.clear();
            self.seen_topic.clone_from(path);
        }
        let Some(t) = twin.traffic(path) else { return };
        let k = t.last_payload();
        if self
            .seen
            .back()
            .is_some_and(|s| s.at == k.at && s.size == k.size)
        {
            return;
        }
        if self.seen.len() == SEEN {
            self.seen.pop_front();
        }
        self.seen.push_back(Kept {
            at: k.at,
            bytes: k.bytes[..k.bytes.len().min(SEEN_BYTES)].to_vec(),
            size: k.size,
            retained: k.retained,
        });
    }

    /// Lays the tree out again when topics came or went, or the filter or folding changed.
    fn relayout(&mut self, twin: &Twin, now: DateTime<Utc>) {
        let key = (twin.topics_revision, self.filter.clone(), self.folded.len());
        if self.cache_key.as_ref() == Some(&key) {
            return;
        }
        let only_new_topics = self
            .cache_key
            .as_ref()
            .is_some_and(|k| (&k.1, k.2) == (&key.1, key.2));
        let recent = self
            .laid_out
            .is_some_and(|at| now - at < chrono::TimeDelta::seconds(1));
        if only_new_topics && recent && self.rows.len() >= LARGE && self.reveal.is_none() {
            return;
        }
        self.laid_out = Some(now);
        let needle = self.filter.to_lowercase();
        let mut topics: Vec<&str> = twin
            .topic_traffic()
            .map(|(t, _)| t)
            .filter(|t| needle.is_empty() || t.to_lowercase().contains(&needle))
            .collect();
        self.rows = layout(&mut topics, &self.folded);
        self.list
            .set_rows(self.rows.iter().map(|r| r.path.clone()).collect());
        if let Some(topic) = self.reveal.take() {
            self.list.select(topic);
        }
        self.cache_key = Some(key);
        if self.selected_row().is_none_or(|r| !r.topic) {
            self.detail = false;
        }
    }

    /// The selected row's path.
    pub fn selected(&self) -> Option<&str> {
        self.list.selected().map(String::as_str)
    }

    pub fn rows(&self) -> &[TreeRow] {
        &self.rows
    }

    fn selected_row(&self) -> Option<&TreeRow> {
        self.rows.get(self.list.selected_row())
    }

    /// Shows `topic` at the next refresh: the filter is cleared if it hides it, its
    /// ancestors are unfolded, and it is selected.
    pub fn reveal(&mut self, topic: &str) {
        if !topic.to_lowercase().contains(&self.filter.to_lowercase()) {
            self.filter.clear();
        }
        self.folded
            .retain(|p| !(topic.starts_with(p.as_str()) && topic.len() > p.len()));
        self.reveal = Some(topic.to_string());
        self.detail = false;
        self.cache_key = None;
    }

    fn toggle_fold(&mut self, path: &str) {
        if !self.folded.remove(path) {
            self.folded.insert(path.to_string());
        }
        self.cache_key = None;
    }
}

/// Orders topics level by level (`a/b`, `a/b/c`, then `a/b-c`, `a/bc`): a byte comparison in
/// which `/` sorts before everything, which is the same order and far cheaper than comparing
/// the levels one by one.
fn by_levels(a: &str, b: &str) -> std::cmp::Ordering {
    let key = |c: u8| if c == b'/' { 0 } else { u16::from(c) + 1 };
    a.bytes().map(key).cmp(b.bytes().map(key))
}

/// The tree of `topics` (in any order) with `folded` nodes closed.
pub fn layout(topics: &mut Vec<&str>, folded: &BTreeSet<String>) -> Vec<TreeRow> {
    // By levels, so a topic's subtree stays together.
    topics.sort_unstable_by(|a, b| by_levels(a, b));
    topics.dedup();
    let mut rows: Vec<TreeRow> = Vec::with_capacity(topics.len() + topics.len() / 4);
    // Open nodes: (row index if shown, topics counted when it opened).
    let mut stack: Vec<(Option<usize>, usize)> = Vec::new();
    let mut total = 0usize;
    // Depth of the shallowest open folded node: everything deeper is hidden.
    let mut hidden_below: Option<usize> = None;
    // The previous topic's levels as (start, end) byte ranges, and this one's.
    let mut prev: &str = "";
    let mut prev_levels: Vec<(usize, usize)> = Vec::new();
    let mut levels: Vec<(usize, usize)> = Vec::new();
    let close = |stack: &mut Vec<(Option<usize>, usize)>,
                 rows: &mut Vec<TreeRow>,
                 total: usize,
                 to: usize| {
        while stack.len() > to {
            if let Some((Some(r), before)) = stack.pop() {
                rows[r].under = total - before;
            }
        }
    };
    for &topic in topics.iter() {
        levels.clear();
        let mut start = 0;
        for (i, c) in topic.bytes().enumerate() {
            if c == b'/' {
                levels.push((start, i));
                start = i + 1;
            }
        }
        levels.push((start, topic.len()));
        let common = prev_levels
            .iter()
            .zip(&levels)
            .take_while(|(a, b)| prev[a.0..a.1] == topic[b.0..b.1])
            .count();
        close(&mut stack, &mut rows, total, common);
        if hidden_below.is_some_and(|h| h >= common) {
            hidden_below = None;
        }
        for (depth, &(from, to)) in levels.iter().enumerate().skip(common) {
            let is_topic = depth + 1 == levels.len();
            let shown = hidden_below.is_none_or(|h| depth <= h);
            if let Some((Some(parent), _)) = stack.last() {
                rows[*parent].children = true;
            }
            let path = &topic[..to];
            let is_folded = !folded.is_empty() && folded.contains(path);
            let row = shown.then(|| {
                rows.push(TreeRow {
                    name: topic[from..to].to_string(),
                    path: path.to_string(),
                    depth,
                    topic: is_topic,
                    under: 0,
                    children: false,
                    folded: is_folded,
                });
                rows.len() - 1
            });
            stack.push((row, total));
            if is_folded && shown && hidden_below.is_none() {
                hidden_below = Some(depth);
            }
        }
        total += 1;
        prev = topic;
        std::mem::swap(&mut prev_levels, &mut levels);
    }
    close(&mut stack, &mut rows, total, 0);
    rows
}

impl TabView for TopicsView {
    fn refresh(&mut self, twin: &Twin, now: DateTime<Utc>) {
        self.relayout(twin, now);
        self.watch(twin);
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
        if self.list.nav(action) {
            return true;
        }
        match action {
            Action::Enter => match self.selected_row().cloned() {
                Some(r) if r.children && !self.detail => self.toggle_fold(&r.path),
                Some(r) if r.topic => self.detail = !self.detail,
                _ => return false,
            },
            Action::Back if self.detail => self.detail = false,
            Action::Back if !self.filter.is_empty() => self.filter.clear(),
            Action::Filter => {
                self.detail = false;
                self.editing_filter = true;
                self.filter_fresh = !self.filter.is_empty();
            }
            _ => return false,
        }
        true
    }

    fn render(&self, frame: &mut Frame, area: Rect, twin: &Twin, ui: &UiState, theme: &Theme) {
        let sel = self
            .selected_row()
            .filter(|r| Some(r.path.as_str()) == self.selected());
        if self.detail {
            if let Some(r) = sel {
                return detail(frame, area, twin, r, self.seen_for(&r.path), ui, theme);
            }
        }
        if area.width >= 110 {
            let [left, right] =
                Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)])
                    .areas(area);
            self.tree(frame, left, twin, theme);
            match sel {
                Some(r) => detail(frame, right, twin, r, self.seen_for(&r.path), ui, theme),
                None => empty_detail(frame, right, theme),
            }
        } else if area.height >= 24 {
            let [top, bottom] =
                Layout::vertical([Constraint::Percentage(45), Constraint::Percentage(55)])
                    .areas(area);
            self.tree(frame, top, twin, theme);
            match sel {
                Some(r) => detail(frame, bottom, twin, r, self.seen_for(&r.path), ui, theme),
                None => empty_detail(frame, bottom, theme),
            }
        } else {
            self.tree(frame, area, twin, theme);
        }
    }

    fn editing(&self) -> bool {
        self.editing_filter
    }

    fn hints(&self, _demo: bool) -> &'static [Hint] {
        if self.editing_filter {
            FILTER_HINTS
        } else if self.detail {
            &[
                ("Esc", "back to the tree"),
                ("↑↓", "prev/next"),
                ("t", "its series"),
                ("?", "help"),
                ("q", "quit"),
            ]
        } else {
            &[
                ("↑↓", "select"),
                ("Enter", "fold/open"),
                ("/", "filter"),
                ("t", "its series"),
                ("Tab", "tabs"),
                ("?", "help"),
                ("q", "quit"),
            ]
        }
    }

    fn status(&self, theme: &Theme) -> Vec<Span<'static>> {
        filter_status(&self.filter, self.editing_filter, self.filter_fresh, theme)
    }

    fn click(&mut self, x: u16, y: u16) -> bool {
        let r = self.rows_area.get();
        if self.detail || !hit(r, x, y) {
            return false;
        }
        match self.list.click_again((y - r.y) as usize) {
            Some(true) => {
                if let Some(row) = self.selected_row().filter(|r| r.children).cloned() {
                    self.toggle_fold(&row.path);
                }
                true
            }
            Some(false) => true,
            None => false,
        }
    }

    fn scroll(&mut self, lines: isize) {
        self.list.step(lines);
    }
}

impl TopicsView {
    fn tree(&self, frame: &mut Frame, area: Rect, twin: &Twin, theme: &Theme) {
        let topics = twin.topic_traffic().count();
        let shown = if self.filter.is_empty() {
            String::new()
        } else {
            let n: usize = self
                .rows
                .iter()
                .filter(|r| r.depth == 0)
                .map(|r| r.under)
                .sum();
            format!(", {} match", count(n as u64))
        };
        let evicted = if twin.evicted_topics > 0 {
            format!(", {} forgotten", count(twin.evicted_topics))
        } else {
            String::new()
        };
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.border())
            .title(Span::styled(
                format!(
                    " Topics — {} topic{}{shown}{evicted} ",
                    count(topics as u64),
                    if topics == 1 { "" } else { "s" }
                ),
                theme.title(),
            ));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        if self.rows.is_empty() {
            let text = if topics == 0 {
                "No message yet: every topic appears here with its first message.".to_string()
            } else {
                format!("No topic matches “{}”. Esc clears the filter.", self.filter)
            };
            frame.render_widget(
                Paragraph::new(Line::styled(text, theme.dim()))
                    .wrap(ratatui::widgets::Wrap { trim: true }),
                inner,
            );
            return;
        }
        let range = self.list.window(inner.height as usize);
        let start = range.start;
        let visible = &self.rows[range];
        self.rows_area.set(Rect::new(
            inner.x,
            inner.y,
            inner.width,
            visible.len() as u16,
        ));
        let width = inner.width as usize;
        let lines: Vec<Line> = visible
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let is_sel = self.list.selected_row() == start + i;
                let arrow = match (r.children, r.folded) {
                    (true, true) => "▸ ",
                    (true, false) => "▾ ",
                    _ => "  ",
                };
                let name = if r.name.is_empty() { "/" } else { &r.name };
                let traffic = r.topic.then(|| twin.traffic(&r.path)).flatten();
                let topics = |n: usize| {
                    format!("{} topic{}", count(n as u64), if n == 1 { "" } else { "s" })
                };
                let right = match (r.children, traffic) {
                    (true, Some(t)) => format!(" {} · {}", count(t.count), topics(r.under)),
                    (true, None) => format!(" {}", topics(r.under)),
                    (false, Some(t)) => format!(" {}", count(t.count)),
                    (false, None) => String::new(),
                };
                let indent = "  ".repeat(r.depth.min(12));
                let room = width.saturating_sub(indent.len() + 2 + right.chars().count() + 1);
                let label = format!("{indent}{arrow}{}", fit(name, room.max(4)));
                let pad = width.saturating_sub(label.chars().count() + right.chars().count());
                let style = if is_sel {
                    theme.selected()
                } else if r.topic {
                    Style::default().fg(theme.foreground)
                } else {
                    Style::default()
                        .fg(theme.group)
                        .add_modifier(Modifier::BOLD)
                };
                let dim = if is_sel {
                    theme.selected()
                } else {
                    theme.dim()
                };
                Line::from(vec![
                    Span::styled(label, style),
                    Span::styled(" ".repeat(pad), style),
                    Span::styled(right, dim),
                ])
            })
            .collect();
        frame.render_widget(Paragraph::new(lines), inner);
    }
}

fn empty_detail(frame: &mut Frame, area: Rect, theme: &Theme) {
    frame.render_widget(
        Paragraph::new(Line::styled(
            "Select a topic to see its traffic and payloads.",
            theme.dim(),
        ))
        .block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(theme.border()),
        ),
        area,
    );
}

/// Whether a payload is better shown as hex: not UTF-8, or holding control characters other
/// than line breaks and tabs.
fn binary(bytes: &[u8]) -> bool {
    match std::str::from_utf8(bytes) {
        Ok(t) => t
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')),
        // Cut inside a character by the kept-bytes bound: still text.
        Err(e) => e.error_len().is_some() || e.valid_up_to() == 0,
    }
}

/// `00000000  7b 22 74 22 3a 32 31 2e  35 7d              {"t":21.5}`
pub fn hex_lines(bytes: &[u8], max_lines: usize) -> Vec<String> {
    bytes
        .chunks(16)
        .take(max_lines)
        .enumerate()
        .map(|(i, chunk)| {
            let mut hex = String::with_capacity(50);
            for (j, b) in chunk.iter().enumerate() {
                if j == 8 {
                    hex.push(' ');
                }
                hex.push_str(&format!("{b:02x} "));
            }
            let ascii: String = chunk
                .iter()
                .map(|&b| {
                    if b.is_ascii_graphic() || b == b' ' {
                        b as char
                    } else {
                        '.'
                    }
                })
                .collect();
            format!("{:08x}  {hex:<49} {ascii}", i * 16)
        })
        .collect()
}

/// The payload as lines: pretty JSON (a `◂ series` mark on the lines of fields that became
/// series), text, or hex and ASCII.
pub fn payload_lines(kept: &Kept, fields: &[&str], max_lines: usize) -> Vec<(String, bool)> {
    let bytes = &kept.bytes;
    if bytes.is_empty() {
        return vec![("(empty payload)".into(), false)];
    }
    if binary(bytes) {
        return hex_lines(bytes, max_lines)
            .into_iter()
            .map(|l| (l, false))
            .collect();
    }
    let text = String::from_utf8_lossy(bytes);
    if !kept.truncated() {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) {
            if v.is_object() || v.is_array() {
                let pretty = serde_json::to_string_pretty(&v).unwrap_or_default();
                let leaves: Vec<&str> = fields.iter().map(|f| leaf(f)).collect();
                return pretty
                    .lines()
                    .take(max_lines)
                    .map(|l| {
                        let marked = json_key(l).is_some_and(|k| leaves.contains(&k));
                        (l.to_string(), marked)
                    })
                    .collect();
            }
        }
    }
    text.lines()
        .take(max_lines)
        .map(|l| (l.to_string(), false))
        .collect()
}

/// A Sparkplug B payload (on a `spBv1.0/` topic only) as lines: its seq and time, then each
/// metric's name or alias, value and type. `None` when the topic is not Sparkplug's or the
/// payload does not decode (it is then shown as hex).
pub fn sparkplug_lines(topic: &str, kept: &Kept, max_lines: usize) -> Option<Vec<String>> {
    use crate::decode::sparkplug::{datatype, decode};
    crate::twin::sparkplug::parse_topic(topic)?;
    if kept.truncated() {
        return None;
    }
    let p = decode(&kept.bytes).ok()?;
    let mut out = vec![format!(
        "Sparkplug B · seq {} · timestamp {} · {} metrics",
        p.seq.map_or("none".into(), |s| s.to_string()),
        p.timestamp.map_or("none".into(), |t| t.to_string()),
        p.metrics.len() + p.cut
    )];
    for m in p.metrics.iter().take(max_lines.saturating_sub(1)) {
        let who = match (&m.name, m.alias) {
            (Some(n), Some(a)) => format!("{n} (alias {a})"),
            (Some(n), None) => n.clone(),
            (None, Some(a)) => format!("alias {a}"),
            (None, None) => "(no name or alias)".into(),
        };
        out.push(format!(
            "  {who} = {}{}{}",
            m.value.describe(),
            m.unit
                .as_deref()
                .map(|u| format!(" {u}"))
                .unwrap_or_default(),
            m.datatype
                .map(|t| format!("  [{}]", datatype::name(t)))
                .unwrap_or_default()
        ));
    }
    Some(out)
}

/// The key of a pretty-printed JSON member line (`  "Power": 12,` → `Power`).
fn json_key(line: &str) -> Option<&str> {
    line.trim_start()
        .strip_prefix('"')
        .and_then(|k| k.split_once("\":"))
        .map(|(k, _)| k)
}

/// The last level of a dotted field name (`ENERGY.Power` → `Power`).
fn leaf(field: &str) -> &str {
    field.rsplit('.').next().unwrap_or(field)
}

fn detail(
    frame: &mut Frame,
    area: Rect,
    twin: &Twin,
    r: &TreeRow,
    seen: &VecDeque<Kept>,
    ui: &UiState,
    theme: &Theme,
) {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border())
        .title(Span::styled(
            format!(" {} ", if r.path.is_empty() { "/" } else { &r.path }),
            theme.title(),
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let dim = theme.dim();
    let kv =
        |k: &str, v: String| Line::from(vec![Span::styled(format!("{k:<10}"), dim), Span::raw(v)]);
    let Some(t) = r.topic.then(|| twin.traffic(&r.path)).flatten() else {
        let lines = vec![
            kv(
                "topics",
                format!("{} at and below it", count(r.under as u64)),
            ),
            Line::styled("Not a topic itself: Enter folds or opens it.", theme.dim()),
        ];
        frame.render_widget(Paragraph::new(lines), inner);
        return;
    };
    let series = twin.topic_series(&r.path);
    let states: Vec<&crate::twin::states::StateSeries> = twin.states.of_topic(&r.path).collect();
    let mut fields: Vec<&str> = series.iter().map(|(f, _)| *f).collect();
    fields.extend(states.iter().map(|s| s.field.as_str()));
    let series_leaves: Vec<&str> = series.iter().map(|(f, _)| leaf(f)).collect();
    let last = t.last_payload();
    let mut lines = traffic_lines(t, ui, &kv);
    {
        let k = last;
        lines.push(kv(
            "size",
            format!(
                "{}{}{}",
                crate::ui::widgets::bytes(k.size as u64),
                if k.truncated() {
                    format!(" (first {} kept)", count(k.bytes.len() as u64))
                } else {
                    String::new()
                },
                if k.retained { " · retained" } else { "" }
            ),
        ));
    }
    if series.is_empty() && states.is_empty() {
        lines.push(kv("series", "none (t: nothing to jump to)".into()));
    } else if series.is_empty() {
        lines.push(kv("device", states[0].device.clone()));
    } else {
        let names: Vec<String> = series
            .iter()
            .filter_map(|(f, i)| {
                twin.series.get(*i).map(|s| {
                    format!(
                        "{f} = {}{}",
                        num(s.last),
                        s.unit
                            .as_deref()
                            .map(|u| format!(" {u}"))
                            .unwrap_or_default()
                    )
                })
            })
            .collect();
        lines.push(kv("series", names.join(", ")));
        if let Some(s) = series.first().and_then(|(_, i)| twin.series.get(*i)) {
            lines.push(kv("device", s.device.clone()));
        }
    }
    if !states.is_empty() {
        let words: Vec<String> = states
            .iter()
            .map(|s| format!("{} = {}", s.field, s.value))
            .collect();
        lines.push(kv("states", words.join(", ")));
    }
    // What Home Assistant discovery says: of this config topic, or of this state topic.
    if let Some(e) = twin.discovery.by_config_topic(&r.path) {
        lines.push(kv(
            "discovery",
            format!(
                "{} {} for {}{}{}",
                e.component,
                e.name
                    .as_deref()
                    .map(|n| format!("“{n}”"))
                    .unwrap_or_default(),
                e.state_topic,
                e.field
                    .as_deref()
                    .map(|f| format!(" · {f}"))
                    .unwrap_or_else(|| " · field unknown (template)".into()),
                e.unit
                    .as_deref()
                    .map(|u| format!(" [{u}]"))
                    .unwrap_or_default()
            ),
        ));
    }
    for e in twin.discovery.of_state_topic(&r.path).take(3) {
        lines.push(kv(
            "named by",
            format!(
                "{} ({})",
                e.config_topic,
                e.name.as_deref().unwrap_or("no name")
            ),
        ));
    }
    lines.push(Line::from(""));
    lines.push(Line::styled("Last payload", theme.title()));
    // Earlier payloads: those this view saw while the topic was shown (the twin keeps only
    // the last one of every topic).
    let earlier: Vec<&Kept> = seen
        .iter()
        .rev()
        .filter(|k| !(k.at == last.at && k.size == last.size))
        .take(6)
        .collect();
    let room = (inner.height as usize)
        .saturating_sub(lines.len() + 2 + earlier.len().min(3) + 1)
        .max(3);
    let shown = match sparkplug_lines(&r.path, last, room) {
        Some(lines) => lines.into_iter().map(|l| (l, false)).collect(),
        None => payload_lines(last, &fields, room),
    };
    for (l, marked) in shown {
        let what = if json_key(&l).is_some_and(|k| series_leaves.contains(&k)) {
            "  ◂ series"
        } else {
            "  ◂ state"
        };
        let mut spans = vec![Span::raw(l)];
        if marked {
            spans.push(Span::styled(what, Style::default().fg(theme.accent)));
        }
        lines.push(Line::from(spans));
    }
    if !earlier.is_empty() {
        lines.push(Line::from(""));
        lines.push(Line::styled(
            "Earlier payloads (seen while this topic was shown)",
            theme.title(),
        ));
        for k in earlier {
            let preview = if binary(&k.bytes) {
                format!("{} of binary", crate::ui::widgets::bytes(k.size as u64))
            } else {
                String::from_utf8_lossy(&k.bytes).replace('\n', " ")
            };
            lines.push(Line::from(vec![
                Span::styled(format!("{}  ", clock(k.at, ui.tz)), dim),
                Span::raw(head(&preview, (inner.width as usize).saturating_sub(10))),
            ]));
        }
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The start of `s` in at most `w` characters (a payload's beginning says what it is).
fn head(s: &str, w: usize) -> String {
    if s.chars().count() <= w {
        return s.to_string();
    }
    let mut out: String = s.chars().take(w.saturating_sub(1)).collect();
    out.push('…');
    out
}

fn traffic_lines<'a>(
    t: &Traffic,
    ui: &UiState,
    kv: &dyn Fn(&str, String) -> Line<'a>,
) -> Vec<Line<'a>> {
    vec![
        kv(
            "messages",
            format!(
                "{}  ({} on average)",
                count(t.count),
                rate(t.average_rate())
            ),
        ),
        kv(
            "first",
            format!("{} ({})", clock(t.first, ui.tz), ago(t.first, ui.now)),
        ),
        kv(
            "last",
            format!("{} ({})", clock(t.last, ui.tz), ago(t.last, ui.now)),
        ),
        kv(
            "QoS",
            format!(
                "{}  ·  {} of {} retained",
                t.qos,
                count(t.retained),
                count(t.count)
            ),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(topics: &[&str], folded: &[&str]) -> Vec<String> {
        let folded: BTreeSet<String> = folded.iter().map(|s| s.to_string()).collect();
        let mut t: Vec<&str> = topics.to_vec();
        layout(&mut t, &folded)
            .iter()
            .map(|r| {
                format!(
                    "{}{}{}{} {}",
                    "  ".repeat(r.depth),
                    if r.name.is_empty() { "/" } else { &r.name },
                    if r.topic { "*" } else { "" },
                    if r.folded { "+" } else { "" },
                    r.under
                )
            })
            .collect()
    }

    #[test]
    fn the_tree_groups_levels_counts_and_folds() {
        let topics = [
            "home/kitchen/temp",
            "home/kitchen",
            "home/kitchen-2/temp",
            "/z/t/s1",
            "home/hall/temp",
            "/z/t/s2",
        ];
        assert_eq!(
            tree(&topics, &[]),
            [
                "/ 2",
                "  z 2",
                "    t 2",
                "      s1* 1",
                "      s2* 1",
                "home 4",
                "  hall 1",
                "    temp* 1",
                "  kitchen* 2",
                "    temp* 1",
                "  kitchen-2 1",
                "    temp* 1",
            ]
        );
        assert_eq!(
            tree(&topics, &["home", "/z/t"]),
            ["/ 2", "  z 2", "    t+ 2", "home+ 4"]
        );
    }

    #[test]
    fn payloads_are_shown_the_best_way() {
        let kept = |b: &[u8]| Kept {
            at: Utc::now(),
            bytes: b.to_vec(),
            size: b.len(),
            retained: false,
        };
        let json = payload_lines(
            &kept(br#"{"ENERGY":{"Power":12,"Voltage":230},"name":"plug"}"#),
            &["ENERGY.Power"],
            50,
        );
        assert!(
            json.contains(&(r#"    "Power": 12,"#.to_string(), true)),
            "{json:?}"
        );
        assert!(json.contains(&(r#"    "Voltage": 230"#.to_string(), false)));
        assert_eq!(
            payload_lines(&kept(b"ON"), &[], 5),
            [("ON".to_string(), false)]
        );
        let hex = payload_lines(&kept(&[0x08, 0x01, 0xff, b'A']), &[], 5);
        assert_eq!(hex.len(), 1);
        assert!(hex[0].0.starts_with("00000000  08 01 ff 41"), "{hex:?}");
        assert!(hex[0].0.ends_with("...A"), "{hex:?}");
        assert!(binary(b"a\x1b[2Jb"));
        assert!(!binary("21.4 °C\n".as_bytes()));
    }
}
