//! The Log tab: twinview's own log (connections, anomalies, undecodable payloads) beside the
//! per-topic list of undecodable traffic and the latest state words devices reported.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table};
use ratatui::Frame;
use tui_logger::{TuiLoggerLevelOutput, TuiLoggerWidget, TuiWidgetEvent, TuiWidgetState};

use crate::twin::Twin;
use crate::ui::keys::Action;
use crate::ui::theme::Theme;
use crate::ui::widgets::{ago, count};
use crate::ui::UiState;

/// Rows of each side table at most; the rest is summarised.
const SIDE_ROWS: usize = 200;

pub fn handle(state: &TuiWidgetState, action: Action) {
    let ev = match action {
        Action::PageUp | Action::Up => TuiWidgetEvent::PrevPageKey,
        Action::PageDown | Action::Down => TuiWidgetEvent::NextPageKey,
        Action::Back | Action::End => TuiWidgetEvent::EscapeKey,
        _ => return,
    };
    state.transition(ev);
}

pub fn render(frame: &mut Frame, area: Rect, twin: &Twin, ui: &UiState, theme: &Theme) {
    let side = if area.width >= 120 { 56 } else { 40 };
    let [log_area, side_area] =
        Layout::horizontal([Constraint::Min(30), Constraint::Length(side)]).areas(area);

    let logger = TuiLoggerWidget::default()
        .block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(theme.border())
                .title(Span::styled(" Log ", theme.title())),
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
        .state(&ui.log);
    frame.render_widget(logger, log_area);

    let [undecoded_area, states_area] =
        Layout::vertical([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(side_area);
    undecoded(frame, undecoded_area, twin, theme);
    states(frame, states_area, twin, ui, theme);
}

fn undecoded(frame: &mut Frame, area: Rect, twin: &Twin, theme: &Theme) {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border())
        .title(Span::styled(
            format!(" Undecoded — {} ", count(twin.undecoded_total)),
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
    let rows: Vec<Row> = topics
        .iter()
        .take(SIDE_ROWS)
        .map(|(topic, u)| {
            Row::new(vec![
                Cell::from(topic.as_str()),
                Cell::from(count(u.count)),
                Cell::from(Span::styled(
                    u.reason.as_str(),
                    Style::default().fg(theme.error),
                )),
            ])
        })
        .collect();
    frame.render_widget(
        Table::new(
            rows,
            [
                Constraint::Min(12),
                Constraint::Length(7),
                Constraint::Length(18),
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
                "No device has reported a state word (online, ON, true…).",
                theme.dim(),
            ))
            .block(block),
            area,
        );
        return;
    }
    let rows: Vec<Row> = twin
        .states
        .iter()
        .take(SIDE_ROWS)
        .map(|(device, w)| {
            let color = match w.value.to_ascii_lowercase().as_str() {
                "online" | "on" | "true" | "open" | "ready" => theme.ok,
                "offline" | "off" | "false" | "closed" | "lost" => theme.error,
                _ => theme.warn,
            };
            Row::new(vec![
                Cell::from(device.as_str()),
                Cell::from(Span::styled(w.value.clone(), Style::default().fg(color))),
                Cell::from(Span::styled(ago(w.at, ui.now), theme.dim())),
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
