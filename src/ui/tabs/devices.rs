//! The Devices tab: one row per device with its liveness, since when, and where it came from.

use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table};
use ratatui::Frame;

use crate::twin::devices::Status;
use crate::twin::Twin;
use crate::ui::theme::Theme;
use crate::ui::widgets::{ago, count, rate};
use crate::ui::UiState;

/// The badge and colour of a status.
pub fn badge(status: Status, theme: &Theme) -> (&'static str, Style) {
    match status {
        Status::Online => ("●", Style::default().fg(theme.ok)),
        Status::Offline => (
            "✖",
            Style::default()
                .fg(theme.error)
                .add_modifier(Modifier::BOLD),
        ),
        Status::Stale => ("◐", Style::default().fg(theme.warn)),
        Status::Unknown => ("?", theme.dim()),
    }
}

/// `12 online · 2 offline · 1 stale` (statuses with no device left out).
pub fn summary(twin: &Twin) -> String {
    let parts: Vec<String> = Status::ALL
        .iter()
        .filter(|s| twin.devices.count(**s) > 0)
        .map(|s| format!("{} {}", twin.devices.count(*s), s.as_str()))
        .collect();
    if parts.is_empty() {
        "no devices yet".into()
    } else {
        parts.join(" · ")
    }
}

pub fn render(frame: &mut Frame, area: Rect, twin: &Twin, ui: &UiState, theme: &Theme) {
    let v = &ui.devices;
    let filter = v
        .filter
        .map(|f| format!(" — showing {} (f)", f.as_str()))
        .unwrap_or_default();
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border())
        .title(Span::styled(
            format!(" Devices — {}{filter} ", summary(twin)),
            theme.title(),
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);

    if v.rows.is_empty() {
        let text = if twin.devices.by_id.is_empty() {
            "No device yet: devices appear with their first reading or status message."
        } else {
            "No device has that status. f changes the filter, Esc clears it."
        };
        frame.render_widget(Paragraph::new(Line::styled(text, theme.dim())), inner);
        return;
    }

    let height = inner.height.saturating_sub(1) as usize;
    v.page.set(height.max(1));
    let sel = v.selected_row;
    let mut offset = v.offset.get();
    if sel < offset {
        offset = sel;
    } else if height > 0 && sel >= offset + height {
        offset = sel + 1 - height;
    }
    offset = offset.min(v.rows.len().saturating_sub(height.max(1)));
    v.offset.set(offset);

    let wide = inner.width >= 90;
    let now = ui.now;
    let sec = now.timestamp();
    let rows: Vec<Row> = v.rows[offset..(offset + height).min(v.rows.len())]
        .iter()
        .filter_map(|id| twin.devices.by_id.get(id))
        .map(|d| {
            let (mark, style) = badge(d.status, theme);
            let word = match d.detail() {
                Some(w) if !w.eq_ignore_ascii_case(d.status.as_str()) => {
                    format!("{} ({w})", d.status.as_str())
                }
                _ => d.status.as_str().to_string(),
            };
            let mut cells = vec![
                Cell::from(Span::styled(mark, style)),
                Cell::from(d.id.clone()),
                Cell::from(Span::styled(word, style)),
                Cell::from(ago(d.since, now)),
                Cell::from(ago(d.last_seen, now)),
                Cell::from(d.convention().as_str()),
            ];
            if wide {
                cells.push(Cell::from(rate(d.rate.per_second(sec))));
                cells.push(Cell::from(count(d.series as u64)));
            }
            let row = Row::new(cells);
            if v.selected.as_deref() == Some(d.id.as_str()) {
                row.style(theme.selected())
            } else {
                row
            }
        })
        .collect();
    let mut header = vec!["", "device", "status", "since", "last seen", "convention"];
    let mut widths = vec![
        Constraint::Length(1),
        Constraint::Min(14),
        Constraint::Length(20),
        Constraint::Length(9),
        Constraint::Length(9),
        Constraint::Length(14),
    ];
    if wide {
        header.extend(["rate", "series"]);
        widths.extend([Constraint::Length(7), Constraint::Length(6)]);
    }
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(theme.dim().add_modifier(Modifier::BOLD)))
        .column_spacing(1);
    frame.render_widget(table, inner);
}
