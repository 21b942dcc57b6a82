//! How the Sensors tab shows a text state: a row with its value, how long it has held and a
//! timeline of its values over the last ten minutes (instead of a sparkline), and a detail
//! with its change history.

use chrono::{DateTime, TimeDelta, Utc};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table};
use ratatui::Frame;

use crate::decode::state_word;
use crate::twin::states::StateSeries;
use crate::ui::theme::Theme;
use crate::ui::widgets::{ago, clock, count, fit};
use crate::ui::UiState;

/// The time a row's timeline covers.
pub const TIMELINE_SECS: i64 = 600;

/// A value's colour: on-like words good, off-like words bad, any other word neutral.
pub fn colour(value: &str, theme: &Theme) -> Color {
    match state_word(value) {
        Some("online" | "on" | "true" | "open") => theme.ok,
        Some("offline" | "off" | "false" | "closed") => theme.error,
        _ => theme.foreground,
    }
}

/// How long the value has held: `12s`, or `≥3m` when twinview never saw it begin.
pub fn held(s: &StateSeries, now: DateTime<Utc>) -> String {
    let span = |t| ago(t, now).trim_end_matches(" ago").to_string();
    match s.since {
        Some(t) => span(t),
        None => format!("≥{}", span(s.first_seen)),
    }
}

/// The glyph of a value in a timeline: full for on-like, low for off-like, and for other
/// words one of a few heights by their order of first appearance, so that changes show.
fn glyph(value: &str, order: usize) -> char {
    match state_word(value) {
        Some("online" | "on" | "true" | "open") => '█',
        Some("offline" | "off" | "false" | "closed") => '▁',
        _ => ['▄', '▆', '▂', '▅', '▃', '▇'][order % 6],
    }
}

/// `width` cells covering the `secs` before `now`, each the value then: blank before
/// twinview first saw the state (unknown, not drawn as a value).
pub fn timeline(s: &StateSeries, width: usize, secs: i64, now: DateTime<Utc>) -> String {
    let mut seen: Vec<&str> = Vec::new();
    let mut out = String::with_capacity(width * 3);
    for k in 0..width {
        let ms = secs * 1000 * (k as i64 + 1) / width.max(1) as i64;
        let t = now - TimeDelta::seconds(secs) + TimeDelta::milliseconds(ms);
        match s.value_at(t) {
            Some(v) => {
                let order = match seen.iter().position(|x| *x == v) {
                    Some(i) => i,
                    None => {
                        seen.push(v);
                        seen.len() - 1
                    }
                };
                out.push(glyph(v, order));
            }
            None => out.push(' '),
        }
    }
    out
}

/// The line drawn for a state row, given the list's column positions.
pub struct RowLayout {
    pub name: u16,
    /// Where the value starts, and its width (the `last` and `mean` columns).
    pub value_x: u16,
    pub value_w: u16,
    /// Where "held for" starts, and its width (the columns up to the timeline).
    pub held_x: u16,
    pub held_w: u16,
    pub timeline_x: u16,
    pub timeline_w: u16,
}

#[allow(clippy::too_many_arguments)]
pub fn row(
    frame: &mut Frame,
    area: Rect,
    s: &StateSeries,
    suffix: &str,
    l: &RowLayout,
    selected: bool,
    ui: &UiState,
    theme: &Theme,
) {
    let style = |c: Color| {
        if selected {
            theme.selected()
        } else {
            Style::default().fg(c)
        }
    };
    let base = if selected {
        theme.selected()
    } else {
        Style::default()
    };
    let name_w = (l.name as usize).saturating_sub(2 + suffix.chars().count());
    let label = fit(&s.label, name_w);
    let pad = (l.name as usize).saturating_sub(2 + label.chars().count() + suffix.chars().count());
    let mut spans = vec![
        // The marker column and the space after it, as for a series row; the suffix right
        // after the name, as there.
        Span::styled("  ", base),
        Span::styled(format!("  {label}"), base),
        Span::styled(suffix.to_string(), style(theme.warn)),
        Span::styled(" ".repeat(pad + 1), base),
    ];
    let at = |x: u16| x.saturating_sub(area.x) as usize;
    let mut used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
    let pad_to = |spans: &mut Vec<Span<'static>>, x: usize, used: &mut usize| {
        if x > *used {
            spans.push(Span::styled(" ".repeat(x - *used), base));
            *used = x;
        }
    };
    pad_to(&mut spans, at(l.value_x), &mut used);
    let v = fit(&s.value, l.value_w as usize);
    used += v.chars().count();
    spans.push(Span::styled(v, style(colour(&s.value, theme))));
    pad_to(&mut spans, at(l.held_x), &mut used);
    let h = fit(&held(s, ui.now), l.held_w as usize);
    used += h.chars().count();
    spans.push(Span::styled(
        h,
        if selected {
            theme.selected()
        } else {
            theme.dim()
        },
    ));
    pad_to(&mut spans, at(l.timeline_x), &mut used);
    let line = timeline(s, l.timeline_w as usize, TIMELINE_SECS, ui.now);
    used += l.timeline_w as usize;
    spans.push(Span::styled(line, style(theme.sparkline)));
    pad_to(&mut spans, area.width as usize, &mut used);
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The detail of one state: what it is, its value and since when, its timeline and its
/// changes, newest first.
pub fn detail(frame: &mut Frame, area: Rect, s: &StateSeries, ui: &UiState, theme: &Theme) {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border())
        .title(Span::styled(
            format!(" {} — {} (text state) ", s.label, s.group),
            theme.title(),
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let since = match s.since {
        Some(t) => format!("since {} ({})", clock(t, ui.tz), ago(t, ui.now)),
        None => format!(
            "since unknown: unchanged since first seen at {} ({})",
            clock(s.first_seen, ui.tz),
            ago(s.first_seen, ui.now)
        ),
    };
    let facts = vec![
        Line::from(vec![
            Span::styled(
                s.value.clone(),
                Style::default().fg(colour(&s.value, theme)),
            ),
            Span::styled(format!("  {since}"), theme.dim()),
        ]),
        Line::styled(
            format!("topic {}  field {}  device {}", s.topic, s.field, s.device),
            theme.dim(),
        ),
        Line::styled(
            format!(
                "{} reports, {} changes, last {}",
                count(s.count),
                count(s.changes),
                ago(s.last_seen, ui.now)
            ),
            theme.dim(),
        ),
    ];
    let [top, line, rest] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Length(2),
        Constraint::Min(1),
    ])
    .areas(inner);
    frame.render_widget(Paragraph::new(facts), top);
    let w = line.width.saturating_sub(2) as usize;
    frame.render_widget(
        Paragraph::new(vec![
            Line::styled(
                timeline(s, w, TIMELINE_SECS, ui.now),
                Style::default().fg(theme.sparkline),
            ),
            Line::styled(
                format!("{:<half$}{:>half$}", "−10 min", "now", half = w / 2),
                theme.dim(),
            ),
        ]),
        line,
    );
    let rows: Vec<Row> = s
        .history
        .iter()
        .rev()
        .map(|(at, v)| {
            Row::new(vec![
                Cell::from(Span::styled(clock(*at, ui.tz), theme.dim())),
                Cell::from(Span::styled(
                    v.clone(),
                    Style::default().fg(colour(v, theme)),
                )),
            ])
        })
        .collect();
    let first_note = if s.changes as usize >= s.history.len() {
        "changes (the first line is the oldest kept)"
    } else {
        "changes (the first line is the value first seen)"
    };
    frame.render_widget(
        Table::new(rows, [Constraint::Length(10), Constraint::Min(8)])
            .header(Row::new([Cell::from("at"), Cell::from(first_note)]).style(theme.dim())),
        rest,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::twin::states::{Placement, States};
    use chrono::TimeZone;

    #[test]
    fn timeline_shows_values_and_leaves_the_unknown_blank() {
        let t0 = Utc.timestamp_opt(1_700_000_000, 0).unwrap();
        let mut st = States::default();
        let place = || Placement {
            device: "d".into(),
            group: "d".into(),
            label: "x".into(),
        };
        st.report("a", "value", "ON", t0, place);
        st.report("a", "value", "OFF", t0 + TimeDelta::seconds(300), place);
        st.report("a", "value", "idle", t0 + TimeDelta::seconds(450), place);
        let s = &st.list[0];
        // 20 cells of a minute before t0+600: the 9 before t0 are unknown, then ON, OFF and
        // idle (a word of its own height).
        let line = timeline(s, 20, 1200, t0 + TimeDelta::seconds(600));
        assert_eq!(line, "         █████▁▁▁▂▂▂");
    }
}
