//! The Sensors tab: the grouped list of series, and the detail view of one.

use chrono::DateTime;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Axis, Block, Borders, Cell, Chart, Dataset, GraphType, Paragraph, Row as TRow, Table,
};
use ratatui::Frame;

use crate::twin::detect::{Episode, Severity};
use crate::twin::devices::Status;
use crate::twin::series::Series;
use crate::twin::Twin;
use crate::ui::theme::Theme;
use crate::ui::widgets::{ago, clock, count, num, opt_num, rate, sparkline};
use crate::ui::{Row, UiState, RECENT_ANOMALY_SECS};

pub fn render(frame: &mut Frame, area: Rect, twin: &Twin, ui: &UiState, theme: &Theme) {
    let selected = ui.sensors.selected.and_then(|i| twin.series.get(i));
    match selected {
        Some(s) if ui.sensors.detail => detail(frame, area, twin, s, ui, theme),
        _ => list(frame, area, twin, ui, theme),
    }
}

/// Which columns fit, from the terminal width.
struct Columns {
    min_max: bool,
    count_rate: bool,
    spark: u16,
}

impl Columns {
    fn for_width(w: u16) -> Columns {
        if w >= 140 {
            Columns {
                min_max: true,
                count_rate: true,
                spark: 40,
            }
        } else if w >= 110 {
            Columns {
                min_max: true,
                count_rate: true,
                spark: 24,
            }
        } else if w >= 95 {
            Columns {
                min_max: true,
                count_rate: false,
                spark: 20,
            }
        } else {
            Columns {
                min_max: false,
                count_rate: false,
                spark: 16,
            }
        }
    }
}

/// How a row is marked: an open anomaly episode (`⚠` for a major one, `!` for a minor one),
/// or not at all. `R` resets exactly the rows marked.
fn mark(s: &Series) -> Option<&Episode> {
    s.episode.as_ref()
}

fn list(frame: &mut Frame, area: Rect, twin: &Twin, ui: &UiState, theme: &Theme) {
    let v = &ui.sensors;
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border())
        .title(Span::styled(
            format!(
                " Sensors — {} series{} ",
                count(twin.series.len() as u64),
                if v.filter.is_empty() {
                    String::new()
                } else {
                    format!(
                        ", {} shown",
                        v.rows
                            .iter()
                            .filter(|r| matches!(r, Row::Series(_)))
                            .count()
                    )
                }
            ),
            theme.title(),
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);

    if v.rows.is_empty() {
        let text = if twin.series.is_empty() {
            vec![
                Line::from("Waiting for sensor readings…"),
                Line::from(""),
                Line::styled(
                    format!("{} — {}", ui.source, twin.connection.describe()),
                    theme.dim(),
                ),
                Line::styled(
                    "Any numeric payload on a subscribed topic becomes a sensor here.",
                    theme.dim(),
                ),
            ]
        } else {
            vec![
                Line::from(format!("No sensor matches “{}”.", v.filter)),
                Line::styled("Esc clears the filter.", theme.dim()),
            ]
        };
        frame.render_widget(
            Paragraph::new(text).alignment(ratatui::layout::Alignment::Center),
            centered_rows(inner, 4),
        );
        return;
    }

    let cols = Columns::for_width(inner.width);
    // Rows that fit below the header line.
    let height = inner.height.saturating_sub(1) as usize;
    v.page.set(height.max(1));
    let sel = v.selected_row;
    let mut offset = v.offset.get();
    if sel < offset {
        offset = sel.saturating_sub(1);
    } else if height > 0 && sel >= offset + height {
        offset = sel + 1 - height;
    }
    offset = offset.min(v.rows.len().saturating_sub(height.max(1)));
    v.offset.set(offset);
    let visible = &v.rows[offset..(offset + height).min(v.rows.len())];

    // The name column fits the visible names.
    let name_w = visible
        .iter()
        .map(|r| match r {
            Row::Group(..) => 0,
            Row::Series(i) => {
                let s = &twin.series[*i];
                let gone = matches!(
                    twin.device_status(&s.device),
                    Some(Status::Offline | Status::Stale)
                );
                let alerted = s
                    .alerted_at
                    .is_some_and(|t| (ui.now - t).num_seconds() < RECENT_ANOMALY_SECS);
                let open = s.episode.as_ref().map_or(0, |e| e.kind.label().len() + 1);
                s.label.chars().count()
                    + 2
                    + if gone { 8 } else { 0 }
                    + if alerted { 6 } else { 0 }
                    + open
            }
        })
        .max()
        .unwrap_or(12)
        .clamp(12, 48) as u16;
    let mut header = vec!["", "sensor", "last", "mean"];
    let mut widths = vec![
        Constraint::Length(1),
        Constraint::Length(name_w),
        Constraint::Length(8),
        Constraint::Length(8),
    ];
    if cols.min_max {
        header.extend(["min", "max"]);
        widths.extend([Constraint::Length(8), Constraint::Length(8)]);
    }
    header.push("σ");
    widths.push(Constraint::Length(7));
    if cols.count_rate {
        header.extend(["count", "rate"]);
        widths.extend([Constraint::Length(8), Constraint::Length(7)]);
    }
    header.extend(["window", "anom"]);
    // The sparkline takes what is left, up to one cell per reading in the window.
    let used: u16 = widths
        .iter()
        .map(|c| match c {
            Constraint::Length(n) => *n,
            _ => 0,
        })
        .sum::<u16>()
        + 5
        + widths.len() as u16
        + 1;
    let spark = inner
        .width
        .saturating_sub(used)
        .clamp(cols.spark, twin.cfg.window.clamp(8, 240) as u16);
    widths.extend([Constraint::Length(spark), Constraint::Length(5)]);

    let right = |s: String| Cell::from(Line::from(s).alignment(ratatui::layout::Alignment::Right));
    let rows: Vec<TRow> = visible
        .iter()
        .map(|row| match row {
            // Headings are drawn across the whole width below, not squeezed into a column.
            Row::Group(..) => TRow::new(Vec::<Cell>::new()),
            Row::Series(i) => {
                let s = &twin.series[*i];
                let w = &s.window;
                let open = mark(s);
                let hot = open.is_some();
                let marker = match open {
                    Some(e) if e.severity() == Severity::Major => Span::styled(
                        "⚠",
                        Style::default()
                            .fg(theme.anomaly)
                            .add_modifier(Modifier::BOLD),
                    ),
                    Some(_) => Span::styled("!", Style::default().fg(theme.anomaly)),
                    None => Span::raw(" "),
                };
                // Readings of a device that is offline or stale are history, not news.
                let gone = match twin.device_status(&s.device) {
                    Some(Status::Offline) => Some("offline"),
                    Some(Status::Stale) => Some("stale"),
                    _ => None,
                };
                let alerted = s
                    .alerted_at
                    .is_some_and(|t| (ui.now - t).num_seconds() < RECENT_ANOMALY_SECS);
                let mut name = vec![Span::raw(format!("  {}", s.label))];
                if let Some(e) = open {
                    name.push(Span::styled(
                        format!(" {}", e.kind.label()),
                        Style::default()
                            .fg(theme.anomaly)
                            .add_modifier(Modifier::BOLD),
                    ));
                }
                if let Some(g) = gone {
                    name.push(Span::styled(
                        format!(" {g}"),
                        Style::default().fg(theme.warn),
                    ));
                }
                if alerted {
                    name.push(Span::styled(
                        " alert",
                        Style::default()
                            .fg(theme.anomaly)
                            .add_modifier(Modifier::BOLD),
                    ));
                }
                let name = Line::from(name);
                let mut cells = vec![
                    Cell::from(marker),
                    Cell::from(name),
                    right(num(s.last)),
                    right(opt_num(w.mean())),
                ];
                if cols.min_max {
                    cells.push(right(opt_num(w.min())));
                    cells.push(right(opt_num(w.max())));
                }
                cells.push(right(opt_num(w.stddev())));
                if cols.count_rate {
                    cells.push(right(count(s.count)));
                    cells.push(right(rate(s.rate.per_second(ui.now.timestamp()))));
                }
                let (lo, hi) = (w.min().unwrap_or(0.0), w.max().unwrap_or(0.0));
                cells.push(Cell::from(Span::styled(
                    sparkline(w.values(), spark as usize, lo, hi),
                    Style::default().fg(if hot { theme.anomaly } else { theme.sparkline }),
                )));
                cells.push(right(if s.anomalies > 0 {
                    count(s.anomalies)
                } else {
                    String::new()
                }));
                let mut r = TRow::new(cells);
                if Some(*i) == v.selected {
                    r = r.style(theme.selected());
                } else if gone.is_some() {
                    r = r.style(theme.dim().add_modifier(Modifier::DIM));
                } else if hot {
                    r = r.style(Style::default().fg(theme.anomaly));
                }
                r
            }
        })
        .collect();
    let table = Table::new(rows, widths)
        .header(TRow::new(header).style(theme.dim().add_modifier(Modifier::BOLD)))
        .column_spacing(1);
    frame.render_widget(table, inner);
    for (i, row) in visible.iter().enumerate() {
        if let Row::Group(name, n) = row {
            let y = inner.y + 1 + i as u16;
            let line = Line::from(vec![
                Span::styled(
                    format!("  ▾ {name}"),
                    Style::default()
                        .fg(theme.group)
                        .add_modifier(Modifier::BOLD),
                ),
                Span::styled(format!("  {n}"), theme.dim()),
            ]);
            frame.render_widget(Paragraph::new(line), Rect::new(inner.x, y, inner.width, 1));
        }
    }
}

fn centered_rows(area: Rect, h: u16) -> Rect {
    let y = area.y + area.height.saturating_sub(h) / 2;
    Rect::new(area.x, y, area.width, h.min(area.height))
}

fn detail(frame: &mut Frame, area: Rect, twin: &Twin, s: &Series, ui: &UiState, theme: &Theme) {
    let unit = s
        .unit
        .as_deref()
        .map(|u| format!(" [{u}]"))
        .unwrap_or_default();
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border())
        .title(Span::styled(
            format!(" {}{unit} — {} ", s.display_name(), s.group),
            theme.title(),
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let anomaly_rows = (s.recent_episodes().count().clamp(1, 6) + 1) as u16;
    let [top, bottom] =
        Layout::vertical([Constraint::Min(6), Constraint::Length(anomaly_rows + 1)]).areas(inner);
    let stats_w = if top.width >= 90 { 30 } else { 24 };
    let [chart_area, stats_area] =
        Layout::horizontal([Constraint::Min(20), Constraint::Length(stats_w)]).areas(top);

    chart(frame, chart_area, twin, s, ui, theme);
    stats(frame, stats_area, s, twin.cfg.z_threshold, ui, theme);
    anomalies(frame, bottom, s, ui, theme);
}

fn chart(frame: &mut Frame, area: Rect, twin: &Twin, s: &Series, ui: &UiState, theme: &Theme) {
    let w = &s.window;
    let points: Vec<(f64, f64)> = w.points().map(|(t, v)| (t as f64 / 1000.0, v)).collect();
    if points.len() < 2 {
        frame.render_widget(
            Paragraph::new("Collecting readings for the chart…").style(theme.dim()),
            area,
        );
        return;
    }
    let t0 = points.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
    let t1 = points.iter().map(|p| p.0).fold(f64::NEG_INFINITY, f64::max);
    let t1 = if t1 > t0 { t1 } else { t0 + 1.0 };
    let mean = w.mean().unwrap_or(0.0);
    let sd = w.stddev().unwrap_or(0.0);
    let band = twin.cfg.z_threshold * sd;
    let lo = w.min().unwrap_or(0.0).min(mean - band);
    let hi = w.max().unwrap_or(0.0).max(mean + band);
    let pad = ((hi - lo) * 0.05).max(1e-6);
    let (lo, hi) = (lo - pad, hi + pad);

    let mean_line = [(t0, mean), (t1, mean)];
    let upper = [(t0, mean + band), (t1, mean + band)];
    let lower = [(t0, mean - band), (t1, mean - band)];
    // Readings inside an episode (open or recent) are marked on the line.
    let spans: Vec<(f64, f64)> = s
        .recent_episodes()
        .map(|e| {
            (
                e.start.timestamp_millis() as f64 / 1000.0,
                // Up to its last abnormal reading, also while it is open.
                e.last.timestamp_millis() as f64 / 1000.0,
            )
        })
        .collect();
    let flagged: Vec<(f64, f64)> = points
        .iter()
        .copied()
        .filter(|(t, _)| spans.iter().any(|(a, b)| t >= a && t <= b))
        .collect();
    let mut datasets = vec![
        Dataset::default()
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(Style::default().fg(theme.chart_band))
            .data(&upper),
        Dataset::default()
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(Style::default().fg(theme.chart_band))
            .data(&lower),
        Dataset::default()
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(Style::default().fg(theme.chart_mean))
            .data(&mean_line),
        Dataset::default()
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(Style::default().fg(theme.chart_line))
            .data(&points),
    ];
    if !flagged.is_empty() {
        datasets.push(
            Dataset::default()
                .marker(Marker::Dot)
                .graph_type(GraphType::Scatter)
                .style(
                    Style::default()
                        .fg(theme.anomaly)
                        .add_modifier(Modifier::BOLD),
                )
                .data(&flagged),
        );
    }
    let to_time = |x: f64| {
        DateTime::from_timestamp_millis((x * 1000.0) as i64)
            .map(|t| clock(t, ui.tz))
            .unwrap_or_default()
    };
    let chart = Chart::new(datasets)
        .x_axis(Axis::default().style(theme.dim()).bounds([t0, t1]).labels([
            to_time(t0),
            to_time((t0 + t1) / 2.0),
            to_time(t1),
        ]))
        .y_axis(Axis::default().style(theme.dim()).bounds([lo, hi]).labels([
            num(lo),
            num((lo + hi) / 2.0),
            num(hi),
        ]))
        .legend_position(None);
    frame.render_widget(chart, area);
}

fn stats(frame: &mut Frame, area: Rect, s: &Series, z_threshold: f64, ui: &UiState, theme: &Theme) {
    let w = &s.window;
    let kv = |k: &str, v: String| {
        Line::from(vec![
            Span::styled(format!("{k:<10}"), theme.dim()),
            Span::raw(v),
        ])
    };
    let lines = vec![
        kv("last", num(s.last)),
        kv("mean", opt_num(w.mean())),
        kv("min", opt_num(w.min())),
        kv("max", opt_num(w.max())),
        kv("σ", opt_num(w.stddev())),
        kv("window", format!("{}/{}", w.len(), w.capacity())),
        kv("count", count(s.count)),
        kv("rate", rate(s.rate.per_second(ui.now.timestamp()))),
        kv("anomalies", count(s.anomalies)),
        kv("device", s.device.clone()),
        kv("last seen", ago(s.last_seen, ui.now)),
        kv("at", clock(s.last_time, ui.tz)),
        Line::from(""),
        Line::from(vec![
            Span::styled("── ", Style::default().fg(theme.chart_line)),
            Span::styled("reading", theme.dim()),
        ]),
        Line::from(vec![
            Span::styled("── ", Style::default().fg(theme.chart_mean)),
            Span::styled("mean", theme.dim()),
        ]),
        Line::from(vec![
            Span::styled("── ", Style::default().fg(theme.chart_band)),
            Span::styled(format!("mean ± {z_threshold}σ"), theme.dim()),
        ]),
        Line::from(vec![
            Span::styled("•  ", Style::default().fg(theme.anomaly)),
            Span::styled("anomaly", theme.dim()),
        ]),
    ];
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::LEFT)
                .border_style(theme.border()),
        ),
        area,
    );
}

fn anomalies(frame: &mut Frame, area: Rect, s: &Series, ui: &UiState, theme: &Theme) {
    let mut lines = vec![Line::styled(
        format!("Anomaly episodes ({} in all)", count(s.anomalies)),
        theme.title(),
    )];
    if s.episode.is_none() && s.episodes.is_empty() {
        lines.push(Line::styled("none so far", theme.dim()));
    }
    let room = area.height.saturating_sub(1) as usize;
    for e in s.recent_episodes().take(room) {
        let until = if e.closed {
            clock(e.last, ui.tz)
        } else {
            "now".to_string()
        };
        lines.push(Line::from(vec![
            Span::styled(
                format!("{}–{until:<8}  ", clock(e.start, ui.tz)),
                theme.dim(),
            ),
            Span::styled(
                format!("{:<11} {:<5}  ", e.kind.as_str(), e.severity().as_str()),
                Style::default().fg(theme.anomaly),
            ),
            Span::raw(e.reason.clone()),
        ]));
    }
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::TOP)
                .border_style(theme.border()),
        ),
        area,
    );
}
