//! The Alarms tab: every alarm that is not normal, most urgent first, then oldest; `a`
//! acknowledges the selected one, `z` shelves it for an hour (again: unshelves); below, the
//! alarm load and the latest alarm changes.

use std::cell::Cell as StdCell;

use chrono::{DateTime, Utc};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table};
use ratatui::Frame;

use super::{click_rows, Hint, TabView};
use crate::twin::alarms::{AlarmState, Priority};
use crate::twin::journal::What;
use crate::twin::Twin;
use crate::ui::keys::Action;
use crate::ui::list::ListNav;
use crate::ui::theme::Theme;
use crate::ui::widgets::{ago, fit};
use crate::ui::UiState;

/// How long `z` shelves an alarm.
pub const SHELVE_FOR: std::time::Duration = std::time::Duration::from_secs(3600);

/// What the tab asks of the twin's owner (the UI only reads the twin).
#[derive(Debug, Clone, PartialEq)]
pub enum AlarmRequest {
    Acknowledge(usize, String),
    /// Shelve for this long; `None` unshelves.
    Shelve(usize, String, Option<std::time::Duration>),
}

/// The Alarms tab's view state.
#[derive(Debug, Default)]
pub struct AlarmsView {
    /// (rule, subject) in display order.
    pub list: ListNav<(usize, String)>,
    rows_area: StdCell<Rect>,
    cache_key: Option<u64>,
    /// A request made by the last key, taken by the UI.
    pub request: Option<AlarmRequest>,
}

/// The colour of a priority.
pub fn priority_style(p: Priority, theme: &Theme) -> Style {
    match p {
        Priority::Critical => Style::default()
            .fg(theme.error)
            .add_modifier(Modifier::BOLD),
        Priority::High => Style::default().fg(theme.error),
        Priority::Medium => Style::default().fg(theme.warn),
        Priority::Low => theme.dim(),
    }
}

impl TabView for AlarmsView {
    fn refresh(&mut self, twin: &Twin, _now: DateTime<Utc>) {
        if self.cache_key == Some(twin.alarms.revision) {
            return;
        }
        self.cache_key = Some(twin.alarms.revision);
        let rows = twin
            .alarms
            .standing()
            .into_iter()
            .map(|a| (a.rule, a.subject.clone()))
            .collect();
        self.list.set_rows(rows);
    }

    fn handle(&mut self, action: Action, twin: &Twin) -> bool {
        if self.list.nav(action) {
            return true;
        }
        let Some((rule, subject)) = self.list.selected().cloned() else {
            return false;
        };
        match action {
            Action::Acknowledge => {
                self.request = Some(AlarmRequest::Acknowledge(rule, subject));
            }
            Action::Shelve => {
                let shelved = twin
                    .alarms
                    .list
                    .get(&(rule, subject.clone()))
                    .is_some_and(|a| a.shelved_until.is_some());
                self.request = Some(AlarmRequest::Shelve(
                    rule,
                    subject,
                    (!shelved).then_some(SHELVE_FOR),
                ));
            }
            _ => return false,
        }
        true
    }

    fn render(&self, frame: &mut Frame, area: Rect, twin: &Twin, ui: &UiState, theme: &Theme) {
        let [top, bottom] =
            Layout::vertical([Constraint::Min(6), Constraint::Length(9)]).areas(area);
        self.table(frame, top, twin, ui, theme);
        history(frame, bottom, twin, ui, theme);
    }

    fn hints(&self, _demo: bool) -> &'static [Hint] {
        &[
            ("↑↓", "select"),
            ("a", "acknowledge"),
            ("z", "shelve 1 h / unshelve"),
            ("Tab", "tabs"),
            ("?", "help"),
            ("q", "quit"),
        ]
    }

    fn click(&mut self, x: u16, y: u16) -> bool {
        let mut open = false;
        click_rows(&mut self.list, self.rows_area.get(), &mut open, x, y)
    }

    fn scroll(&mut self, lines: isize) {
        self.list.step(lines);
    }
}

/// `2 critical · 1 high` active (priorities with none left out), or what there is to say.
pub fn summary(twin: &Twin) -> String {
    let c = twin.alarms.counts();
    let parts: Vec<String> = Priority::ALL
        .iter()
        .filter(|p| c[**p as usize] > 0)
        .map(|p| format!("{} {}", c[*p as usize], p.as_str()))
        .collect();
    if twin.alarms.rules.is_empty() {
        "no rules: [[alarms]] in the config file".into()
    } else if parts.is_empty() {
        "none active".into()
    } else {
        parts.join(" · ")
    }
}

impl AlarmsView {
    fn table(&self, frame: &mut Frame, area: Rect, twin: &Twin, ui: &UiState, theme: &Theme) {
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.border())
            .title(Span::styled(
                format!(
                    " Alarms — {} · {} rules ",
                    summary(twin),
                    twin.alarms.rules.len()
                ),
                theme.title(),
            ));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        if self.list.rows().is_empty() {
            let text = if twin.alarms.rules.is_empty() {
                "No alarm rules. Add [[alarms]] tables to the config file (README, \"Alarms\"); the demo worlds ship their own."
            } else {
                "No alarm stands: every rule's condition is normal."
            };
            frame.render_widget(Paragraph::new(Line::styled(text, theme.dim())), inner);
            return;
        }
        let height = inner.height.saturating_sub(1) as usize;
        let range = self.list.window(height);
        let keys = &self.list.rows()[range];
        self.rows_area.set(Rect::new(
            inner.x,
            inner.y + 1,
            inner.width,
            keys.len() as u16,
        ));
        let subject_w = inner
            .width
            .saturating_sub(8 + 24 + 20 + 9 + 10 + 14 + 6)
            .max(12);
        let rows: Vec<Row> = keys
            .iter()
            .filter_map(|k| twin.alarms.list.get(k))
            .map(|a| {
                let rule = &twin.alarms.rules[a.rule];
                let is_sel = self.list.selected() == Some(&(a.rule, a.subject.clone()));
                let style = if is_sel {
                    Style::default()
                } else {
                    priority_style(rule.priority, theme)
                };
                let state = match a.state {
                    AlarmState::ActiveUnacknowledged => "ACTIVE, unack",
                    AlarmState::ActiveAcknowledged => "active, ack",
                    AlarmState::ClearedUnacknowledged => "cleared, unack",
                    AlarmState::Normal => "normal",
                };
                let mut flags = Vec::new();
                if let Some(u) = a.shelved_until {
                    flags.push(format!("shelved {}", crate::ui::widgets::clock(u, ui.tz)));
                }
                if a.suppressed {
                    flags.push("suppressed".into());
                }
                if a.chattering {
                    flags.push("chattering".into());
                }
                let row = Row::new(vec![
                    Cell::from(Span::styled(rule.priority.as_str(), style)),
                    Cell::from(Span::styled(state, style)),
                    Cell::from(fit(&rule.name, 20)),
                    Cell::from(fit(&a.subject, subject_w as usize)),
                    Cell::from(a.value.map(crate::ui::widgets::num).unwrap_or_default()),
                    Cell::from(ago(a.since, ui.now)),
                    Cell::from(flags.join(", ")),
                ]);
                if is_sel {
                    row.style(theme.selected())
                } else {
                    row
                }
            })
            .collect();
        let widths = [
            Constraint::Length(8),
            Constraint::Length(14),
            Constraint::Length(20),
            Constraint::Length(subject_w),
            Constraint::Length(9),
            Constraint::Length(9),
            Constraint::Min(10),
        ];
        let table = Table::new(rows, widths)
            .header(
                Row::new([
                    "priority", "state", "alarm", "subject", "value", "since", "",
                ])
                .style(theme.dim().add_modifier(Modifier::BOLD)),
            )
            .column_spacing(1);
        frame.render_widget(table, inner);
    }
}

/// The alarm load and the latest alarm changes from the journal.
fn history(frame: &mut Frame, area: Rect, twin: &Twin, ui: &UiState, theme: &Theme) {
    let load = twin.alarms.load(ui.now);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border())
        .title(Span::styled(
            format!(
                " Load — {:.1} per 10 min (peak {}) · {} chattering · {} standing > 24 h · most: {} ",
                load.per_10min_mean,
                load.per_10min_peak,
                load.chattering,
                load.standing,
                if load.top.is_empty() {
                    "none".to_string()
                } else {
                    load.top
                        .iter()
                        .take(3)
                        .map(|(n, c)| format!("{n} ×{c}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ),
            theme.title(),
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let lines: Vec<Line> = twin
        .journal
        .recent
        .iter()
        .rev()
        .filter(|h| matches!(h.what, What::Alarm { .. }))
        .take(inner.height as usize)
        .map(|h| {
            Line::from(vec![
                Span::styled(
                    format!("{}  ", crate::ui::widgets::clock(h.t, ui.tz)),
                    theme.dim(),
                ),
                Span::raw(crate::text::visible(&h.describe()).into_owned()),
            ])
        })
        .collect();
    if lines.is_empty() {
        frame.render_widget(
            Paragraph::new(Line::styled("No alarm has changed yet.", theme.dim())),
            inner,
        );
    } else {
        frame.render_widget(Paragraph::new(lines), inner);
    }
}
