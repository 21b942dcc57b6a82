//! The Jobs tab: Contract Net jobs and machines, a busy timeline per machine, and the full
//! negotiation of the selected job.

use std::cell::Cell as StdCell;

use chrono::{DateTime, Utc};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table};
use ratatui::Frame;

use super::{click_rows, Hint, TabView};
use crate::twin::cnp::{Job, JobState, Machine, MachineState};
use crate::twin::devices::Status;
use crate::twin::Twin;
use crate::ui::keys::Action;
use crate::ui::list::ListNav;
use crate::ui::theme::Theme;
use crate::ui::widgets::{ago, count, fit, num};
use crate::ui::UiState;

/// How far back the machine timeline reaches.
const TIMELINE_SECS: i64 = 120;

fn state_style(s: JobState, theme: &Theme) -> Style {
    match s {
        JobState::Bidding => Style::default().fg(theme.accent),
        JobState::Assigned | JobState::Running => Style::default().fg(theme.warn),
        JobState::Done => Style::default().fg(theme.ok),
        JobState::Unassigned => Style::default().fg(theme.error),
    }
}

/// The Jobs tab's view state.
#[derive(Debug, Default)]
pub struct JobsView {
    /// Job ids, newest first; the selection is kept by id.
    pub list: ListNav<String>,
    /// Showing the selected job's negotiation.
    pub detail: bool,
    rows_area: StdCell<Rect>,
    cache_key: Option<u64>,
}

impl JobsView {
    pub fn selected(&self) -> Option<&str> {
        self.list.selected().map(String::as_str)
    }
}

impl TabView for JobsView {
    fn refresh(&mut self, twin: &Twin, _now: DateTime<Utc>) {
        // Keyed on a revision the tracker bumps for every job added or forgotten, never on a
        // length (which stops changing once the cap is reached).
        let key = twin.cnp.jobs_revision;
        if self.cache_key == Some(key) {
            return;
        }
        // At the top of the list (and not reading one negotiation), follow the newest job.
        let following = self.list.selected_row() == 0 && !self.detail;
        let rows: Vec<String> = twin.cnp.order.iter().rev().cloned().collect();
        let newest = rows.first().cloned();
        if !self.list.set_rows(rows) {
            self.detail = false;
        }
        if following {
            if let Some(id) = newest {
                self.list.select(id);
            }
        }
        self.cache_key = Some(key);
    }

    fn handle(&mut self, action: Action, _twin: &Twin) -> bool {
        if self.list.nav(action) {
            return true;
        }
        match action {
            Action::Enter => self.detail = !self.detail && self.list.selected().is_some(),
            Action::Back if self.detail => self.detail = false,
            _ => return false,
        }
        true
    }

    fn render(&self, frame: &mut Frame, area: Rect, twin: &Twin, ui: &UiState, theme: &Theme) {
        let selected = self.selected().and_then(|id| twin.cnp.jobs.get(id));
        if let (true, Some(job)) = (self.detail, selected) {
            return negotiation(frame, area, job, theme);
        }
        let (jobs_area, machines_area) = if area.width >= 150 {
            let [a, b] =
                Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                    .areas(area);
            (a, b)
        } else {
            let [a, b] = Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)])
                .areas(area);
            (a, b)
        };
        self.jobs(frame, jobs_area, twin, ui, theme);
        machines(frame, machines_area, twin, ui, theme);
    }

    fn hints(&self, _demo: bool) -> &'static [Hint] {
        if self.detail {
            &[
                ("Esc", "back to jobs"),
                ("↑↓", "prev/next job"),
                ("?", "help"),
                ("q", "quit"),
            ]
        } else {
            &[
                ("↑↓", "select job"),
                ("Enter", "negotiation"),
                ("p", "pause"),
                ("Tab", "tabs"),
                ("?", "help"),
                ("q", "quit"),
            ]
        }
    }

    fn click(&mut self, x: u16, y: u16) -> bool {
        click_rows(&mut self.list, self.rows_area.get(), &mut self.detail, x, y)
    }

    fn scroll(&mut self, lines: isize) {
        self.list.step(lines);
    }
}

impl JobsView {
    fn jobs(&self, frame: &mut Frame, area: Rect, twin: &Twin, ui: &UiState, theme: &Theme) {
        let violations: usize = twin
            .cnp
            .jobs
            .values()
            .filter(|j| !j.violations.is_empty())
            .count();
        let title = format!(
            " Jobs — {}{} ",
            count(twin.cnp.jobs.len() as u64),
            if violations > 0 {
                format!(", {violations} with violations")
            } else {
                String::new()
            }
        );
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.border())
            .title(Span::styled(title, theme.title()));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        if self.list.rows().is_empty() {
            frame.render_widget(
                Paragraph::new(Line::styled(
                    format!(
                        "No Contract Net traffic yet (calls for proposals on {}/cfp).",
                        twin.cnp.prefix
                    ),
                    theme.dim(),
                )),
                inner,
            );
            return;
        }
        let height = inner.height.saturating_sub(1) as usize;
        let range = self.list.window(height);
        let ids = &self.list.rows()[range];
        self.rows_area.set(Rect::new(
            inner.x,
            inner.y + 1,
            inner.width,
            ids.len() as u16,
        ));
        let jobs: Vec<&Job> = ids.iter().filter_map(|id| twin.cnp.jobs.get(id)).collect();
        let best = |j: &Job| j.best().map(|p| format!("{} {}", p.machine, num(p.time)));
        let winner = |j: &Job| match (&j.winner, j.awarded_time) {
            (Some(w), Some(t)) => format!("{w} {}", num(t)),
            (Some(w), None) => w.clone(),
            _ => "—".into(),
        };
        // Every column as wide as its widest visible cell.
        let widest = |f: &dyn Fn(&Job) -> String, min: usize, max: usize| {
            jobs.iter()
                .map(|j| f(j).chars().count())
                .max()
                .unwrap_or(min)
                .clamp(min, max) as u16
        };
        let id_w = widest(&|j| j.id.clone(), 3, 40);
        let type_w = widest(&|j| j.job_type.clone().unwrap_or_default(), 4, 20);
        let best_w = widest(&|j| best(j).unwrap_or_default(), 4, 24);
        let win_w = widest(&winner, 6, 24);
        let fixed = 1 + 10 + 6 + best_w + win_w + 8 + 7;
        let id_w = id_w.min(inner.width.saturating_sub(fixed + type_w)).max(3);
        let rows: Vec<Row> = jobs
            .iter()
            .map(|j| {
                let is_sel = self.selected() == Some(j.id.as_str());
                let mark = if j.violations.is_empty() {
                    Span::raw(" ")
                } else {
                    Span::styled(
                        "!",
                        Style::default()
                            .fg(theme.error)
                            .add_modifier(Modifier::BOLD),
                    )
                };
                let state = if is_sel {
                    Style::default()
                } else {
                    state_style(j.state, theme)
                };
                let row = Row::new(vec![
                    Cell::from(mark),
                    Cell::from(fit(&j.id, id_w as usize)),
                    Cell::from(j.job_type.clone().unwrap_or_else(|| "?".into())),
                    Cell::from(Span::styled(j.state.as_str(), state)),
                    Cell::from(format!("{}/{}", j.proposals.len(), j.refusals.len())),
                    Cell::from(best(j).unwrap_or_else(|| "—".into())),
                    Cell::from(winner(j)),
                    Cell::from(Span::styled(
                        ago(j.cfp_at, ui.now),
                        if is_sel {
                            Style::default()
                        } else {
                            theme.dim()
                        },
                    )),
                ]);
                if is_sel {
                    row.style(theme.selected())
                } else {
                    row
                }
            })
            .collect();
        let table = Table::new(
            rows,
            [
                Constraint::Length(1),
                Constraint::Length(id_w),
                Constraint::Length(type_w),
                Constraint::Length(10),
                Constraint::Length(6),
                Constraint::Length(best_w),
                Constraint::Length(win_w),
                Constraint::Length(8),
            ],
        )
        .header(
            Row::new([
                "", "job", "type", "state", "bid/no", "best", "winner", "cfp",
            ])
            .style(theme.dim().add_modifier(Modifier::BOLD)),
        )
        .column_spacing(1);
        frame.render_widget(table, inner);
    }
}

/// `██··█` — one cell per slice of the last two minutes, full where the machine was busy.
fn timeline(m: &Machine, now: DateTime<Utc>, width: usize) -> String {
    if width == 0 {
        return String::new();
    }
    let start = now - chrono::TimeDelta::seconds(TIMELINE_SECS);
    let slice = TIMELINE_SECS as f64 / width as f64;
    let mut periods: Vec<(DateTime<Utc>, DateTime<Utc>)> = m.periods.iter().copied().collect();
    if let Some(s) = m.busy_since {
        periods.push((s, now));
    }
    (0..width)
        .map(|i| {
            let a = start + chrono::TimeDelta::milliseconds((i as f64 * slice * 1000.0) as i64);
            let b = a + chrono::TimeDelta::milliseconds((slice * 1000.0) as i64);
            if periods.iter().any(|(s, e)| *s < b && *e > a) {
                '█'
            } else {
                '·'
            }
        })
        .collect()
}

fn machines(frame: &mut Frame, area: Rect, twin: &Twin, ui: &UiState, theme: &Theme) {
    let busy = twin
        .cnp
        .machines
        .values()
        .filter(|m| m.state != MachineState::Idle)
        .count();
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border())
        .title(Span::styled(
            format!(
                " Machines — {} ({busy} busy) · timeline: last {TIMELINE_SECS} s ",
                twin.cnp.machines.len()
            ),
            theme.title(),
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if twin.cnp.machines.is_empty() {
        frame.render_widget(
            Paragraph::new(Line::styled(
                "Machines appear with their first proposal or refusal.",
                theme.dim(),
            )),
            inner,
        );
        return;
    }
    let caps_of = |m: &Machine| -> String {
        m.capabilities
            .iter()
            .map(|(t, s)| format!("{t} {}", num(*s)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let id_w = twin
        .cnp
        .machines
        .values()
        .map(|m| m.id.chars().count())
        .max()
        .unwrap_or(2)
        .clamp(2, 24) as u16;
    let fixed = id_w + 14 + 5 + 5 + 5 + 6;
    let rest = inner.width.saturating_sub(fixed) as usize;
    // The capabilities are shown whole when they fit; the timeline takes the rest (≥ 8).
    let caps_content = twin
        .cnp
        .machines
        .values()
        .map(|m| caps_of(m).chars().count())
        .max()
        .unwrap_or(10)
        .max(10);
    let caps_w = caps_content.min(rest.saturating_sub(8)).max(10.min(rest));
    let line_w = rest.saturating_sub(caps_w).clamp(8, 120);
    let rows: Vec<Row> = twin
        .cnp
        .machines
        .values()
        .map(|m| {
            let offline = twin.device_status(&m.id) == Some(Status::Offline);
            let (state, style) = match (&m.state, offline) {
                (_, true) => ("offline".to_string(), Style::default().fg(theme.error)),
                (MachineState::Busy(j), _) => {
                    (format!("busy {j}"), Style::default().fg(theme.warn))
                }
                (MachineState::Idle, _) => ("idle".to_string(), Style::default().fg(theme.ok)),
            };
            Row::new(vec![
                Cell::from(fit(&m.id, id_w as usize)),
                Cell::from(Span::styled(state, style)),
                Cell::from(format!("{}", m.jobs_won)),
                Cell::from(format!("{}", m.jobs_done)),
                Cell::from(format!("{:.0}%", m.utilisation(ui.now) * 100.0)),
                Cell::from(Span::styled(fit(&caps_of(m), caps_w), theme.dim())),
                Cell::from(Span::styled(
                    timeline(m, ui.now, line_w),
                    Style::default().fg(theme.sparkline),
                )),
            ])
        })
        .collect();
    let table = Table::new(
        rows,
        [
            Constraint::Length(id_w),
            Constraint::Length(14),
            Constraint::Length(5),
            Constraint::Length(5),
            Constraint::Length(5),
            Constraint::Length(caps_w as u16),
            Constraint::Length(line_w as u16),
        ],
    )
    .header(
        Row::new(["id", "state", "won", "done", "util", "can do (s)", "busy"])
            .style(theme.dim().add_modifier(Modifier::BOLD)),
    )
    .column_spacing(1);
    frame.render_widget(table, inner);
}

fn negotiation(frame: &mut Frame, area: Rect, job: &Job, theme: &Theme) {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border())
        .title(Span::styled(
            format!(
                " {} — {} — {} ",
                job.id,
                job.job_type.as_deref().unwrap_or("?"),
                job.state.as_str()
            ),
            theme.title(),
        ));
    let mut lines = Vec::new();
    for l in &job.log {
        let rel = (l.at - job.cfp_at).num_milliseconds() as f64 / 1000.0;
        lines.push(Line::from(vec![
            Span::styled(format!("{rel:>+9.3} s  "), theme.dim()),
            Span::styled(
                format!("{:<11}", l.machine.as_deref().unwrap_or("supervisor")),
                Style::default().fg(theme.accent),
            ),
            Span::raw(l.text.clone()),
        ]));
    }
    let silent: Vec<&str> = job.silent().collect();
    if !silent.is_empty() {
        lines.push(Line::from(vec![
            Span::styled(format!("{:>11}  ", "—"), theme.dim()),
            Span::styled(
                format!("{:<11}", "no answer"),
                Style::default().fg(theme.warn),
            ),
            Span::raw(silent.join(", ")),
        ]));
    }
    if let Some(done) = job.done_at {
        if job.done_inferred {
            let rel = (done - job.cfp_at).num_milliseconds() as f64 / 1000.0;
            lines.push(Line::from(vec![
                Span::styled(format!("{rel:>+9.3} s  "), theme.dim()),
                Span::styled(format!("{:<11}", "—"), theme.dim()),
                Span::styled("done (award time + bid time; no done message)", theme.dim()),
            ]));
        }
    }
    lines.push(Line::from(""));
    if job.violations.is_empty() {
        lines.push(Line::styled(
            "No protocol violation.",
            Style::default().fg(theme.ok),
        ));
    } else {
        for v in &job.violations {
            lines.push(Line::styled(
                format!("violation: {v}"),
                Style::default()
                    .fg(theme.error)
                    .add_modifier(Modifier::BOLD),
            ));
        }
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn timeline_marks_busy_slices() {
        let now = Utc.timestamp_opt(1_800_000_120, 0).unwrap();
        let mut m = Machine::new_for_test("m1", now - chrono::TimeDelta::seconds(120));
        m.periods.push_back((
            now - chrono::TimeDelta::seconds(120),
            now - chrono::TimeDelta::seconds(60),
        ));
        assert_eq!(timeline(&m, now, 4), "██··");
        m.busy_since = Some(now - chrono::TimeDelta::seconds(10));
        assert_eq!(timeline(&m, now, 4), "██·█");
    }
}
