//! The Log tab: the twin's journal (anomaly episodes, status changes, awards, violations,
//! alerts, commands), filterable and wrapped at words; twinview's own diagnostics (connections,
//! the recorder) below it; beside them the undecodable traffic per topic and the latest state
//! words devices reported.
//!
//! The journal is part of the twin, so a replay that seeks back shows each happening once: the
//! twin is rebuilt, and so is its journal. The diagnostics pane leaves out the twin's own log
//! records for the same reason (see `logging`).

use std::cell::Cell as StdCell;

use chrono::{DateTime, Utc};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table};
use ratatui::Frame;
use tui_logger::{TuiLoggerLevelOutput, TuiLoggerWidget, TuiWidgetState};

use super::{edit_filter, filter_status, Hint, TabView, FILTER_HINTS};
use crate::twin::journal::Happening;
use crate::twin::Twin;
use crate::ui::keys::Action;
use crate::ui::theme::Theme;
use crate::ui::widgets::{ago, clock, count};
use crate::ui::UiState;

/// Rows of each side table at most; the rest is summarised.
const SIDE_ROWS: usize = 200;

/// The Log tab's view state.
pub struct LogView {
    pub filter: String,
    pub editing_filter: bool,
    /// The previous filter is selected: the first key typed replaces it.
    filter_fresh: bool,
    /// Happenings skipped from the newest (0: following the newest).
    pub scroll: usize,
    /// The journal's total when last refreshed, so a scrolled view stays on its lines while
    /// new ones arrive.
    seen_total: u64,
    /// Happenings that pass the filter (for the title and scrolling).
    matching: usize,
    page: StdCell<usize>,
    /// tui-logger's state for the diagnostics pane.
    pub diagnostics: TuiWidgetState,
}

impl Default for LogView {
    fn default() -> Self {
        LogView {
            filter: String::new(),
            editing_filter: false,
            filter_fresh: false,
            scroll: 0,
            seen_total: 0,
            matching: 0,
            page: StdCell::new(1),
            diagnostics: TuiWidgetState::new(),
        }
    }
}

impl std::fmt::Debug for LogView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogView")
            .field("filter", &self.filter)
            .field("scroll", &self.scroll)
            .finish()
    }
}

/// Whether a happening passes a (lower-case) filter.
fn matches(h: &Happening, needle: &str) -> bool {
    needle.is_empty()
        || h.describe().to_lowercase().contains(needle)
        || h.what.type_name().contains(needle)
}

/// `text` wrapped at spaces into lines of at most `width` characters; words longer than a
/// line are cut.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut len = 0;
    for word in text.split(' ') {
        let mut word: Vec<char> = word.chars().collect();
        loop {
            let need = word.len() + usize::from(len > 0);
            if len + need <= width {
                if len > 0 {
                    line.push(' ');
                }
                line.extend(word.iter());
                len += need;
                break;
            }
            if len > 0 {
                lines.push(std::mem::take(&mut line));
                len = 0;
                continue;
            }
            // A word longer than a whole line.
            let rest = word.split_off(width);
            lines.push(word.iter().collect());
            word = rest;
        }
    }
    if len > 0 || lines.is_empty() {
        lines.push(line);
    }
    lines
}

impl TabView for LogView {
    fn refresh(&mut self, twin: &Twin, _now: DateTime<Utc>) {
        let total = twin.journal.total;
        if self.scroll > 0 && total > self.seen_total {
            self.scroll += (total - self.seen_total) as usize;
        }
        self.seen_total = total;
        let needle = self.filter.to_lowercase();
        self.matching = twin
            .journal
            .recent
            .iter()
            .filter(|h| matches(h, &needle))
            .count();
        self.scroll = self.scroll.min(self.matching.saturating_sub(1));
    }

    fn handle(&mut self, action: Action, _twin: &Twin) -> bool {
        if self.editing_filter {
            let handled = edit_filter(
                &mut self.filter,
                &mut self.editing_filter,
                &mut self.filter_fresh,
                action,
            );
            if handled {
                self.scroll = 0;
            }
            return handled;
        }
        let page = self.page.get().max(1);
        let last = self.matching.saturating_sub(1);
        match action {
            Action::Up => self.scroll = (self.scroll + 1).min(last),
            Action::Down => self.scroll = self.scroll.saturating_sub(1),
            Action::PageUp => self.scroll = (self.scroll + page).min(last),
            Action::PageDown => self.scroll = self.scroll.saturating_sub(page),
            Action::Home => self.scroll = last,
            Action::End => self.scroll = 0,
            Action::Back if self.scroll > 0 => self.scroll = 0,
            Action::Back if !self.filter.is_empty() => self.filter.clear(),
            Action::Filter => {
                self.editing_filter = true;
                self.filter_fresh = !self.filter.is_empty();
            }
            _ => return false,
        }
        true
    }

    fn render(&self, frame: &mut Frame, area: Rect, twin: &Twin, ui: &UiState, theme: &Theme) {
        let side = if area.width >= 120 { 56 } else { 40 };
        let show_side = area.width >= 80;
        let [main, side_area] = Layout::horizontal([
            Constraint::Min(30),
            Constraint::Length(if show_side { side } else { 0 }),
        ])
        .areas(area);
        let diag_h = if main.height >= 20 {
            main.height / 3
        } else {
            0
        };
        let [journal_area, diag_area] =
            Layout::vertical([Constraint::Min(5), Constraint::Length(diag_h)]).areas(main);
        self.journal(frame, journal_area, twin, ui, theme);
        if diag_h > 0 {
            diagnostics(frame, diag_area, &self.diagnostics, theme);
        }
        if show_side {
            let [undecoded_area, states_area] =
                Layout::vertical([Constraint::Percentage(60), Constraint::Percentage(40)])
                    .areas(side_area);
            undecoded(frame, undecoded_area, twin, theme);
            states(frame, states_area, twin, ui, theme);
        }
    }

    fn editing(&self) -> bool {
        self.editing_filter
    }

    fn hints(&self, _demo: bool) -> &'static [Hint] {
        if self.editing_filter {
            FILTER_HINTS
        } else {
            &[
                ("↑↓ PgUp/PgDn", "scroll"),
                ("End/Esc", "follow"),
                ("/", "filter"),
                ("Tab", "tabs"),
                ("?", "help"),
                ("q", "quit"),
            ]
        }
    }

    fn status(&self, theme: &Theme) -> Vec<Span<'static>> {
        filter_status(&self.filter, self.editing_filter, self.filter_fresh, theme)
    }

    fn scroll(&mut self, lines: isize) {
        let last = self.matching.saturating_sub(1) as isize;
        // The wheel down goes towards the newest.
        self.scroll = (self.scroll as isize - lines).clamp(0, last.max(0)) as usize;
    }
}

impl LogView {
    fn journal(&self, frame: &mut Frame, area: Rect, twin: &Twin, ui: &UiState, theme: &Theme) {
        let j = &twin.journal;
        let where_ = if self.scroll > 0 {
            format!(", {} newer below (End follows)", self.scroll)
        } else {
            String::new()
        };
        let shown = if self.filter.is_empty() {
            String::new()
        } else {
            format!(", {} match", count(self.matching as u64))
        };
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.border())
            .title(Span::styled(
                format!(" Journal — {} happenings{shown}{where_} ", count(j.total)),
                theme.title(),
            ));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let height = inner.height as usize;
        self.page.set(height.max(1));
        if self.matching == 0 {
            let text = if j.recent.is_empty() {
                "Nothing has happened yet: anomaly episodes, status changes, awards, violations, \
                 alerts and commands appear here."
                    .to_string()
            } else {
                format!("No match for “{}”. Esc clears the filter.", self.filter)
            };
            frame.render_widget(
                Paragraph::new(Line::styled(text, theme.dim()))
                    .wrap(ratatui::widgets::Wrap { trim: true }),
                inner,
            );
            return;
        }
        let needle = self.filter.to_lowercase();
        const STAMP: usize = 9;
        let text_w = (inner.width as usize).saturating_sub(STAMP).max(8);
        // From the newest (less what is scrolled past) backwards until the pane is full.
        let mut lines: Vec<Line> = Vec::new();
        for h in j
            .recent
            .iter()
            .rev()
            .filter(|h| matches(h, &needle))
            .skip(self.scroll)
        {
            if lines.len() >= height {
                break;
            }
            let style = if h.is_warning() {
                Style::default().fg(theme.warn)
            } else {
                Style::default().fg(theme.foreground)
            };
            let wrapped = wrap(&h.describe(), text_w);
            let mut block: Vec<Line> = wrapped
                .into_iter()
                .enumerate()
                .map(|(i, part)| {
                    let stamp = if i == 0 {
                        Span::styled(format!("{} ", clock(h.t, ui.tz)), theme.dim())
                    } else {
                        Span::raw(" ".repeat(STAMP))
                    };
                    Line::from(vec![stamp, Span::styled(part, style)])
                })
                .collect();
            // Whole happenings only, unless one alone is taller than the pane.
            if !lines.is_empty() && lines.len() + block.len() > height {
                break;
            }
            block.reverse();
            lines.extend(block);
        }
        lines.truncate(height);
        lines.reverse();
        frame.render_widget(Paragraph::new(lines), inner);
    }
}

fn diagnostics(frame: &mut Frame, area: Rect, state: &TuiWidgetState, theme: &Theme) {
    let logger = TuiLoggerWidget::default()
        .block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(theme.border())
                .title(Span::styled(
                    " Diagnostics — connections, sources, recorder ",
                    theme.title(),
                )),
        )
        .output_separator(' ')
        .output_timestamp(Some("%H:%M:%S".into()))
        .output_level(Some(TuiLoggerLevelOutput::Abbreviated))
        .output_target(false)
        .output_file(false)
        .output_line(false)
        .style(theme.base())
        .style_error(Style::default().fg(theme.error))
        .style_warn(Style::default().fg(theme.warn))
        .style_info(Style::default().fg(theme.foreground))
        .style_debug(theme.dim())
        .style_trace(theme.dim())
        .state(state);
    frame.render_widget(logger, area);
}

fn undecoded(frame: &mut Frame, area: Rect, twin: &Twin, theme: &Theme) {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border())
        .title(Span::styled(
            format!(
                " Not decoded — {} malformed · {} other ",
                count(twin.undecoded_total),
                count(twin.ignored_total)
            ),
            theme.title(),
        ));
    if twin.undecoded.is_empty() {
        frame.render_widget(
            Paragraph::new(Line::styled(
                "Every payload so far was understood.",
                theme.dim(),
            ))
            .block(block),
            area,
        );
        return;
    }
    let mut topics: Vec<_> = twin.undecoded.iter().collect();
    topics.sort_by(|a, b| b.1.last_at.cmp(&a.1.last_at).then(a.0.cmp(b.0)));
    topics.truncate(SIDE_ROWS);
    // Columns by need: the reason whole (it is short), the count, the topic what is left,
    // cut so that no two topics read the same.
    let inner_w = block.inner(area).width as usize;
    let count_w = topics
        .iter()
        .map(|(_, u)| count(u.count).len())
        .max()
        .unwrap_or(5)
        .max(5);
    let mut why_w = topics
        .iter()
        .map(|(_, u)| u.reason.as_str().chars().count())
        .max()
        .unwrap_or(3)
        .max(3);
    let mut topic_w = inner_w.saturating_sub(count_w + why_w + 2);
    if topic_w < 12 {
        // Narrow: the topic keeps 12 columns, the reason gives them up.
        why_w = inner_w.saturating_sub(count_w + 2 + 12).max(3);
        topic_w = inner_w.saturating_sub(count_w + why_w + 2);
    }
    let names = crate::ui::widgets::fit_apart(
        &topics
            .iter()
            .map(|(t, _)| (t.as_str(), topic_w))
            .collect::<Vec<_>>(),
    );
    let rows: Vec<Row> = topics
        .iter()
        .zip(names)
        .map(|((_, u), name)| {
            Row::new(vec![
                Cell::from(name),
                Cell::from(count(u.count)),
                Cell::from(Span::styled(
                    crate::ui::widgets::fit(u.reason.as_str(), why_w),
                    if u.reason.is_malformed() {
                        Style::default().fg(theme.error)
                    } else {
                        theme.dim()
                    },
                )),
            ])
        })
        .collect();
    frame.render_widget(
        Table::new(
            rows,
            [
                Constraint::Length(topic_w as u16),
                Constraint::Length(count_w as u16),
                Constraint::Length(why_w as u16),
            ],
        )
        .header(Row::new(["topic", "count", "why"]).style(theme.dim()))
        .block(block),
        area,
    );
}

fn states(frame: &mut Frame, area: Rect, twin: &Twin, ui: &UiState, theme: &Theme) {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border())
        .title(Span::styled(" States reported ", theme.title()));
    if twin.states.is_empty() {
        frame.render_widget(
            Paragraph::new(Line::styled(
                "No device has reported a text state (ON, idle, \"occupancy\":true…).",
                theme.dim(),
            ))
            .block(block),
            area,
        );
        return;
    }
    // The latest reports first: the few most recently seen, without sorting them all.
    let mut latest: Vec<&crate::twin::states::StateSeries> = Vec::with_capacity(SIDE_ROWS + 1);
    for s in &twin.states.list {
        let at = latest.partition_point(|x| x.last_seen >= s.last_seen);
        if at < SIDE_ROWS {
            latest.insert(at, s);
            latest.truncate(SIDE_ROWS);
        }
    }
    let rows: Vec<Row> = latest
        .into_iter()
        .map(|s| {
            let color = match crate::decode::state_word(&s.value) {
                Some("online" | "on" | "true" | "open") => theme.ok,
                Some("offline" | "off" | "false" | "closed") => theme.error,
                _ => theme.warn,
            };
            let name = if s.field == "value" {
                s.device.clone()
            } else {
                format!("{} · {}", s.device, s.field)
            };
            Row::new(vec![
                Cell::from(name),
                Cell::from(Span::styled(s.value.clone(), Style::default().fg(color))),
                Cell::from(Span::styled(ago(s.last_seen, ui.now), theme.dim())),
            ])
        })
        .collect();
    frame.render_widget(
        Table::new(
            rows,
            [
                Constraint::Min(12),
                Constraint::Length(9),
                Constraint::Length(8),
            ],
        )
        .block(block),
        area,
    );
}
