//! The Alarms tab: every alarm that is not normal, most urgent first, then oldest; `a`
//! acknowledges the selected one, `z` shelves it for a time typed in the tab bar (1h offered;
//! from 1m to 7d), on a shelved one unshelves it; below, the
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

/// What `z` offers (selected, so the first key typed replaces it).
pub const SHELVE_DEFAULT: &str = "1h";

/// The longest shelving: a shelved alarm always comes back (ISA-18.2 shelving is timed).
pub const SHELVE_MAX: std::time::Duration = std::time::Duration::from_secs(7 * 24 * 3600);

/// The duration being typed after `z`.
#[derive(Debug, Clone, PartialEq)]
pub struct ShelvePrompt {
    rule: usize,
    subject: String,
    pub text: String,
    /// The offered text is still selected: the first character typed replaces it.
    fresh: bool,
    /// Why the last Enter was not taken.
    pub error: Option<String>,
}

/// Reads a shelving time: a duration from 1 minute to [`SHELVE_MAX`].
pub fn shelve_duration(text: &str) -> Result<std::time::Duration, String> {
    let d = crate::text::parse_duration(text)?;
    if d < std::time::Duration::from_secs(60) {
        Err("at least 1m".into())
    } else if d > SHELVE_MAX {
        Err("at most 7d".into())
    } else {
        Ok(d)
    }
}

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
    /// `z` asked for how long.
    pub shelving: Option<ShelvePrompt>,
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
        if let Some(p) = &mut self.shelving {
            match action {
                Action::Char(c) => {
                    if p.fresh {
                        p.text.clear();
                        p.fresh = false;
                    }
                    if p.text.len() < 12 {
                        p.text.push(c);
                    }
                    p.error = None;
                }
                Action::Backspace => {
                    p.fresh = false;
                    p.text.pop();
                    p.error = None;
                }
                Action::Enter => match shelve_duration(&p.text) {
                    Ok(d) => {
                        self.request = Some(AlarmRequest::Shelve(
                            p.rule,
                            std::mem::take(&mut p.subject),
                            Some(d),
                        ));
                        self.shelving = None;
                    }
                    Err(e) => p.error = Some(e),
                },
                Action::Back => self.shelving = None,
                _ => return false,
            }
            return true;
        }
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
                if shelved {
                    self.request = Some(AlarmRequest::Shelve(rule, subject, None));
                } else {
                    self.shelving = Some(ShelvePrompt {
                        rule,
                        subject,
                        text: SHELVE_DEFAULT.into(),
                        fresh: true,
                        error: None,
                    });
                }
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

    fn editing(&self) -> bool {
        self.shelving.is_some()
    }

    fn status(&self, theme: &Theme) -> Vec<Span<'static>> {
        let Some(p) = &self.shelving else {
            return Vec::new();
        };
        let mut v = vec![
            Span::raw("shelve for: "),
            Span::styled(
                p.text.clone(),
                if p.fresh {
                    theme.selected()
                } else {
                    Style::default().fg(theme.accent)
                },
            ),
            Span::styled("▏", Style::default().fg(theme.accent)),
        ];
        if let Some(e) = &p.error {
            v.push(Span::styled(
                format!(" {e}"),
                Style::default().fg(theme.warn),
            ));
        }
        v
    }

    fn hints(&self, _demo: bool) -> &'static [Hint] {
        if self.shelving.is_some() {
            return &[
                ("e.g.", "30m 8h 2d"),
                ("Enter", "shelve"),
                ("Esc", "cancel"),
            ];
        }
        &[
            ("↑↓", "select"),
            ("a", "acknowledge"),
            ("z", "shelve for… / unshelve"),
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
                if twin.alarms.rules.is_empty() {
                    " Alarms — no rules ".to_string()
                } else {
                    format!(
                        " Alarms — {} · {} rules ",
                        summary(twin),
                        twin.alarms.rules.len()
                    )
                },
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
            frame.render_widget(
                Paragraph::new(Line::styled(text, theme.dim()))
                    .wrap(ratatui::widgets::Wrap { trim: true }),
                inner,
            );
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
            {
                let most = if load.top.is_empty() {
                    "none".to_string()
                } else {
                    load.top
                        .iter()
                        .take(3)
                        .map(|(n, c)| format!("{n} ×{c}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                let long = format!(
                    " Load — {:.1} per 10 min (peak {}) · {} chattering · {} standing > 24 h · most: {most} ",
                    load.per_10min_mean, load.per_10min_peak, load.chattering, load.standing,
                );
                // Narrow: the figures, in fewer words.
                if long.chars().count() + 2 <= area.width as usize {
                    long
                } else {
                    format!(
                        " Load {:.1}/10 min, peak {} · chat {} · stand {} ",
                        load.per_10min_mean, load.per_10min_peak, load.chattering, load.standing,
                    )
                }
            },
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::event::{Event, Message};
    use crate::twin::alarms::RuleConfig;
    use crate::twin::TwinConfig;

    fn raised() -> Twin {
        let rule = RuleConfig {
            name: "freezer warm".into(),
            when: "value".into(),
            topic: Some("home/+/temperature".into()),
            above: Some(-10.0),
            ..RuleConfig::default()
        };
        let mut t = Twin::new(TwinConfig {
            alarms: crate::twin::alarms::rules(&[rule]).unwrap(),
            ..TwinConfig::default()
        });
        let now = Utc::now();
        t.apply(&Event::Message(Message::new(
            now,
            "home/freezer/temperature",
            b"-2".to_vec(),
        )));
        t.tick(now);
        t
    }

    fn keys(v: &mut AlarmsView, twin: &Twin, typed: &str) {
        for c in typed.chars() {
            assert!(v.handle(Action::Char(c), twin));
        }
    }

    #[test]
    fn z_asks_how_long_the_first_key_replaces_the_offer_and_enter_shelves() {
        let twin = raised();
        let mut v = AlarmsView::default();
        v.refresh(&twin, Utc::now());
        assert!(v.handle(Action::Shelve, &twin));
        assert!(v.editing(), "letters go to the prompt");
        assert_eq!(v.shelving.as_ref().unwrap().text, "1h");
        keys(&mut v, &twin, "30m");
        assert_eq!(
            v.shelving.as_ref().unwrap().text,
            "30m",
            "replaced, not appended"
        );
        assert!(v.handle(Action::Enter, &twin));
        assert_eq!(
            v.request,
            Some(AlarmRequest::Shelve(
                0,
                "home/freezer/temperature".into(),
                Some(std::time::Duration::from_secs(1800))
            ))
        );
        assert!(!v.editing());
    }

    #[test]
    fn a_wrong_time_is_said_and_esc_shelves_nothing() {
        let twin = raised();
        let mut v = AlarmsView::default();
        v.refresh(&twin, Utc::now());
        v.handle(Action::Shelve, &twin);
        keys(&mut v, &twin, "9d");
        v.handle(Action::Enter, &twin);
        assert_eq!(
            v.shelving.as_ref().unwrap().error.as_deref(),
            Some("at most 7d")
        );
        assert_eq!(v.request, None);
        v.handle(Action::Backspace, &twin);
        v.handle(Action::Backspace, &twin);
        keys(&mut v, &twin, "soon");
        v.handle(Action::Enter, &twin);
        assert!(v.shelving.as_ref().unwrap().error.is_some());
        assert!(v.handle(Action::Back, &twin));
        assert_eq!((v.shelving.is_none(), v.request.is_none()), (true, true));
        // Enter on the offer as it is: an hour.
        v.handle(Action::Shelve, &twin);
        v.handle(Action::Enter, &twin);
        assert!(matches!(
            v.request,
            Some(AlarmRequest::Shelve(_, _, Some(d))) if d.as_secs() == 3600
        ));
        assert_eq!(shelve_duration("30s"), Err("at least 1m".into()));
        assert_eq!(
            crate::ui::widgets::span(std::time::Duration::from_secs(5400)),
            "90m"
        );
        assert_eq!(
            crate::ui::widgets::span(std::time::Duration::from_secs(172_800)),
            "2d"
        );
        assert_eq!(
            crate::ui::widgets::span(std::time::Duration::from_secs(1800)),
            "30m"
        );
    }
}
