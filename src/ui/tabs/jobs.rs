//! The Jobs tab: Contract Net jobs and machines, a busy timeline per machine, and the full
//! negotiation of the selected job.

use chrono::{DateTime, Utc};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table};
use ratatui::Frame;

use crate::twin::cnp::{Job, JobState, Machine, MachineState};
use crate::twin::devices::Status;
use crate::twin::Twin;
use crate::ui::theme::Theme;
use crate::ui::widgets::{ago, count, num};
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

pub fn render(frame: &mut Frame, area: Rect, twin: &Twin, ui: &UiState, theme: &Theme) {
    let selected = ui
        .jobs
        .selected
        .as_ref()
        .and_then(|id| twin.cnp.jobs.get(id));
    if let (true, Some(job)) = (ui.jobs.detail, selected) {
        return negotiation(frame, area, job, theme);
    }
    let (jobs_area, machines_area) = if area.width >= 150 {
        let [a, b] = Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
            .areas(area);
        (a, b)
    } else {
        let [a, b] =
            Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(area);
        (a, b)
    };
    jobs(frame, jobs_area, twin, ui, theme);
    machines(frame, machines_area, twin, ui, theme);
}

fn jobs(frame: &mut Frame, area: Rect, twin: &Twin, ui: &UiState, theme: &Theme) {
    let v = &ui.jobs;
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
    if v.rows.is_empty() {
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
    v.page.set(height.max(1));
    let offset = scroll(v.selected_row, v.offset.get(), height, v.rows.len());
    v.offset.set(offset);
    let rows: Vec<Row> = v.rows[offset..(offset + height).min(v.rows.len())]
        .iter()
        .filter_map(|id| twin.cnp.jobs.get(id))
        .map(|j| {
            let best = j.best().map(|p| format!("{} {}", p.machine, num(p.time)));
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
            let row = Row::new(vec![
                Cell::from(mark),
                Cell::from(j.id.clone()),
                Cell::from(j.job_type.clone().unwrap_or_else(|| "?".into())),
                Cell::from(Span::styled(j.state.as_str(), state_style(j.state, theme))),
                Cell::from(format!("{}/{}", j.proposals.len(), j.refusals.len())),
                Cell::from(best.unwrap_or_else(|| "—".into())),
                Cell::from(match (&j.winner, j.awarded_time) {
                    (Some(w), Some(t)) => format!("{w} {}", num(t)),
                    (Some(w), None) => w.clone(),
                    _ => "—".into(),
                }),
                Cell::from(Span::styled(ago(j.cfp_at, ui.now), theme.dim())),
            ]);
            if v.selected.as_deref() == Some(j.id.as_str()) {
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
            Constraint::Min(8),
            Constraint::Length(11),
            Constraint::Length(10),
            Constraint::Length(6),
            Constraint::Length(9),
            Constraint::Length(9),
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

/// The first visible row that keeps `sel` in view.
fn scroll(sel: usize, offset: usize, height: usize, len: usize) -> usize {
    let mut o = offset;
    if sel < o {
        o = sel;
    } else if height > 0 && sel >= o + height {
        o = sel + 1 - height;
    }
    o.min(len.saturating_sub(height.max(1)))
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
    let fixed = 6 + 14 + 5 + 5 + 5 + 6;
    let rest = inner.width.saturating_sub(fixed) as usize;
    let caps_w = (rest / 2).clamp(10, 40);
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
            let caps: Vec<String> = m
                .capabilities
                .iter()
                .map(|(t, s)| format!("{t} {}", num(*s)))
                .collect();
            Row::new(vec![
                Cell::from(m.id.clone()),
                Cell::from(Span::styled(state, style)),
                Cell::from(format!("{}", m.jobs_won)),
                Cell::from(format!("{}", m.jobs_done)),
                Cell::from(format!("{:.0}%", m.utilisation(ui.now) * 100.0)),
                Cell::from(Span::styled(caps.join(", "), theme.dim())),
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
            Constraint::Length(6),
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
