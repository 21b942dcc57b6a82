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
    if let Some(d) = v
        .selected
        .as_ref()
        .filter(|_| v.detail)
        .and_then(|id| twin.devices.by_id.get(id))
    {
        return detail(frame, area, twin, d, ui, theme);
    }
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

/// Whether a command topic is addressed to device `id` (one of its levels is the id).
fn addressed_to(topic: &str, id: &str) -> bool {
    topic.split('/').any(|l| l == id)
}

/// One device: its liveness, its series, its status history and the commands sent to it.
fn detail(
    frame: &mut Frame,
    area: Rect,
    twin: &Twin,
    d: &crate::twin::devices::Device,
    ui: &UiState,
    theme: &Theme,
) {
    use crate::twin::journal::What;
    use crate::ui::widgets::{clock, num};
    let (mark, style) = badge(d.status, theme);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border())
        .title(Span::styled(
            format!(" {} — {} ", d.id, d.status.as_str()),
            theme.title(),
        ));
    let dim = theme.dim();
    let mut lines = vec![Line::from(vec![
        Span::styled(format!("{mark} {}", d.status.as_str()), style),
        Span::styled(
            format!(
                "  since {}  ·  last seen {}  ·  {}  ·  {} messages  ·  convention {}{}",
                ago(d.since, ui.now),
                ago(d.last_seen, ui.now),
                rate(d.rate.per_second(ui.now.timestamp())),
                count(d.messages),
                d.convention().as_str(),
                d.detail()
                    .map(|w| format!(" (said `{w}`)"))
                    .unwrap_or_default()
            ),
            dim,
        ),
    ])];
    lines.push(Line::from(""));
    let series: Vec<&crate::twin::series::Series> =
        twin.series.iter().filter(|s| s.device == d.id).collect();
    lines.push(Line::styled(
        format!("Series ({})", series.len()),
        theme.title(),
    ));
    if series.is_empty() {
        lines.push(Line::styled("none: it has sent no readings", dim));
    }
    for s in series.iter().take(8) {
        let open = s
            .episode
            .as_ref()
            .map(|e| format!("  ⚠ {} — {}", e.kind.as_str(), e.reason))
            .unwrap_or_default();
        lines.push(Line::from(vec![
            Span::raw(format!("  {:<28}", s.display_name())),
            Span::raw(format!(
                "{:>10}{}",
                num(s.last),
                s.unit
                    .as_deref()
                    .map(|u| format!(" {u}"))
                    .unwrap_or_default()
            )),
            Span::styled(format!("   {} episodes", s.anomalies), dim),
            Span::styled(open, Style::default().fg(theme.anomaly)),
        ]));
    }
    lines.push(Line::from(""));
    lines.push(Line::styled(
        "Status history (newest first, from the journal's latest happenings)",
        theme.title(),
    ));
    let history: Vec<_> = twin
        .journal
        .recent
        .iter()
        .rev()
        .filter_map(|h| match &h.what {
            What::DeviceStatus {
                id,
                from,
                to,
                detail,
            } if *id == d.id => Some((h.t, *from, *to, detail.clone())),
            _ => None,
        })
        .take(6)
        .collect();
    if history.is_empty() {
        lines.push(Line::styled("no change seen", dim));
    }
    for (t, from, to, word) in history {
        lines.push(Line::from(vec![
            Span::styled(format!("  {}  ", clock(t, ui.tz)), dim),
            Span::raw(format!(
                "{from} → {to}{}",
                word.map(|w| format!(" ({w})")).unwrap_or_default()
            )),
        ]));
    }
    lines.push(Line::from(""));
    lines.push(Line::styled("Commands twinview sent to it", theme.title()));
    let sent: Vec<_> = twin
        .commands
        .iter()
        .rev()
        .filter(|c| addressed_to(&c.topic, &d.id))
        .take(5)
        .collect();
    if sent.is_empty() {
        lines.push(Line::styled("none", dim));
    }
    for c in sent {
        lines.push(Line::from(vec![
            Span::styled(format!("  {}  ", clock(c.at, ui.tz)), dim),
            Span::raw(format!("{}  {}  ", c.topic, c.payload)),
            Span::styled(c.outcome.as_str().to_string(), dim),
        ]));
    }
    let seen: Vec<_> = twin
        .commands_wire
        .iter()
        .rev()
        .filter(|(_, topic, _)| addressed_to(topic, &d.id))
        .take(5)
        .collect();
    if !seen.is_empty() {
        lines.push(Line::from(""));
        lines.push(Line::styled(
            "Commands seen on the wire for it (anyone's)",
            theme.title(),
        ));
        for (at, topic, name) in seen {
            lines.push(Line::from(vec![
                Span::styled(format!("  {}  ", clock(*at, ui.tz)), dim),
                Span::raw(format!("{name} on {topic}")),
            ]));
        }
    }
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(ratatui::widgets::Wrap { trim: false })
            .block(block),
        area,
    );
}
