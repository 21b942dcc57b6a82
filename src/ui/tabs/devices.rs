//! The Devices tab: one row per device with its liveness, since when, and where it came from;
//! Enter opens one device's detail.

use std::cell::Cell as StdCell;

use chrono::{DateTime, Utc};
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table};
use ratatui::Frame;

use super::{click_rows, Hint, TabView};
use crate::twin::devices::Status;
use crate::twin::Twin;
use crate::ui::keys::Action;
use crate::ui::list::ListNav;
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

/// The Devices tab's view state.
#[derive(Debug, Default)]
pub struct DevicesView {
    /// Show only devices with this status.
    pub filter: Option<Status>,
    /// Device ids in display order; the selection is kept by id.
    pub list: ListNav<String>,
    /// Showing the selected device's detail.
    pub detail: bool,
    rows_area: StdCell<Rect>,
    cache_key: Option<(u64, Option<Status>)>,
    sorted_at: Option<DateTime<Utc>>,
}

impl DevicesView {
    pub fn selected(&self) -> Option<&str> {
        self.list.selected().map(String::as_str)
    }

    fn next_filter(&mut self) {
        self.filter = match self.filter {
            None => Some(Status::Online),
            Some(Status::Online) => Some(Status::Offline),
            Some(Status::Offline) => Some(Status::Stale),
            Some(Status::Stale) => Some(Status::Unknown),
            Some(Status::Unknown) => None,
        };
    }
}

impl TabView for DevicesView {
    fn refresh(&mut self, twin: &Twin, now: DateTime<Utc>) {
        let key = (twin.devices.revision, self.filter);
        if self.cache_key == Some(key) {
            return;
        }
        // Many devices changing (a flood of new ones): sort again at most once a second. Rows
        // are ids, so a row whose device is gone is simply skipped until then.
        let recent = self
            .sorted_at
            .is_some_and(|at| now - at < chrono::TimeDelta::seconds(1));
        if recent
            && self.cache_key.map(|k| k.1) == Some(self.filter)
            && self.list.rows().len() >= 1000
        {
            return;
        }
        self.sorted_at = Some(now);
        let mut rows: Vec<(&Status, &String)> = twin
            .devices
            .by_id
            .values()
            .filter(|d| self.filter.is_none_or(|f| d.status == f))
            .map(|d| (&d.status, &d.id))
            .collect();
        // Trouble first: offline, stale, unknown, then online; by id within each.
        rows.sort_by_cached_key(|(s, id)| (**s, id.to_lowercase()));
        let rows = rows.into_iter().map(|(_, id)| id.clone()).collect();
        if !self.list.set_rows(rows) {
            self.detail = false;
        }
        self.cache_key = Some(key);
    }

    fn handle(&mut self, action: Action, _twin: &Twin) -> bool {
        if self.list.nav(action) {
            return true;
        }
        match action {
            Action::StatusFilter => self.next_filter(),
            Action::Enter => self.detail = !self.detail && self.list.selected().is_some(),
            Action::Back if self.detail => self.detail = false,
            Action::Back if self.filter.is_some() => self.filter = None,
            _ => return false,
        }
        true
    }

    fn render(&self, frame: &mut Frame, area: Rect, twin: &Twin, ui: &UiState, theme: &Theme) {
        if let Some(d) = self
            .selected()
            .filter(|_| self.detail)
            .and_then(|id| twin.devices.by_id.get(id))
        {
            return detail(frame, area, twin, d, ui, theme);
        }
        self.table(frame, area, twin, ui, theme);
    }

    fn hints(&self, demo: bool) -> &'static [Hint] {
        if self.detail {
            &[
                ("Esc", "back to devices"),
                ("↑↓", "prev/next device"),
                ("?", "help"),
                ("q", "quit"),
            ]
        } else if demo {
            &[
                ("↑↓", "select"),
                ("Enter", "detail"),
                ("f", "filter by status"),
                ("x", "drop hard"),
                ("u", "restore"),
                ("Tab", "tabs"),
                ("?", "help"),
                ("q", "quit"),
            ]
        } else {
            &[
                ("↑↓", "select"),
                ("Enter", "detail"),
                ("f", "filter by status"),
                ("p", "pause"),
                ("Tab", "tabs"),
                ("?", "help"),
                ("q", "quit"),
            ]
        }
    }

    fn status(&self, theme: &Theme) -> Vec<Span<'static>> {
        match self.filter {
            Some(f) => vec![Span::styled(
                format!("showing {} (f)", f.as_str()),
                Style::default().fg(theme.accent),
            )],
            None => Vec::new(),
        }
    }

    fn click(&mut self, x: u16, y: u16) -> bool {
        click_rows(&mut self.list, self.rows_area.get(), &mut self.detail, x, y)
    }

    fn scroll(&mut self, lines: isize) {
        self.list.step(lines);
    }
}

impl DevicesView {
    fn table(&self, frame: &mut Frame, area: Rect, twin: &Twin, ui: &UiState, theme: &Theme) {
        let filter = self
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

        if self.list.rows().is_empty() {
            let text = if twin.devices.by_id.is_empty() {
                "No device yet: devices appear with their first reading or status message."
            } else {
                "No device has that status. f changes the filter, Esc clears it."
            };
            frame.render_widget(Paragraph::new(Line::styled(text, theme.dim())), inner);
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
        let now = ui.now;
        let sec = now.timestamp();
        let devices: Vec<_> = ids
            .iter()
            .filter_map(|id| twin.devices.by_id.get(id))
            .collect();
        let word = |d: &crate::twin::devices::Device| match d.detail() {
            Some(w) if !w.eq_ignore_ascii_case(d.status.as_str()) => {
                format!("{} ({w})", d.status.as_str())
            }
            _ => d.status.as_str().to_string(),
        };
        // Columns as wide as what they hold; the device name gets what is left, up to its
        // longest visible name.
        let status_w = devices
            .iter()
            .map(|d| word(d).chars().count())
            .max()
            .unwrap_or(6)
            .clamp(6, 24) as u16;
        let conv_w = devices
            .iter()
            .map(|d| d.convention().as_str().len())
            .max()
            .unwrap_or(10)
            .max(10) as u16;
        let name_content = devices
            .iter()
            .map(|d| {
                shown_name(d, twin.devices.description(&d.id))
                    .chars()
                    .count()
            })
            .max()
            .unwrap_or(6)
            .max(6) as u16;
        // The convention column gives its room to the names first when they would be cut.
        let with_conv = inner.width >= 1 + status_w + 9 + 9 + conv_w + 5 + name_content;
        let fixed = 1 + status_w + 9 + 9 + 4 + if with_conv { conv_w + 1 } else { 0 };
        let extra = 7 + 6 + 2;
        let wide = with_conv && inner.width >= fixed + extra + name_content.min(16);
        let room = inner
            .width
            .saturating_sub(fixed + if wide { extra } else { 0 });
        let name_w = name_content.min(room).max(6.min(room));
        // Names fitted so that no two visible ones read the same (widgets::fit_apart).
        let shown: Vec<String> = devices
            .iter()
            .map(|d| shown_name(d, twin.devices.description(&d.id)))
            .collect();
        let names = crate::ui::widgets::fit_apart(
            &shown
                .iter()
                .map(|n| (n.as_str(), name_w as usize))
                .collect::<Vec<_>>(),
        );
        let rows: Vec<Row> = devices
            .iter()
            .zip(names)
            .map(|(d, name)| {
                let is_sel = self.selected() == Some(d.id.as_str());
                let (mark, style) = badge(d.status, theme);
                let style = if is_sel { Style::default() } else { style };
                let mut cells = vec![
                    Cell::from(Span::styled(mark, style)),
                    Cell::from(name),
                    Cell::from(Span::styled(word(d), style)),
                    Cell::from(since(d, now)),
                    Cell::from(ago(d.last_seen, now)),
                ];
                if with_conv {
                    cells.push(Cell::from(d.convention().as_str()));
                }
                if wide {
                    cells.push(Cell::from(rate(d.rate.per_second(sec))));
                    cells.push(Cell::from(count(d.series as u64)));
                }
                let row = Row::new(cells);
                if is_sel {
                    row.style(theme.selected())
                } else {
                    row
                }
            })
            .collect();
        let mut header = vec!["", "device", "status", "since", "last seen"];
        let mut widths = vec![
            Constraint::Length(1),
            Constraint::Length(name_w),
            Constraint::Length(status_w),
            Constraint::Length(9),
            Constraint::Length(9),
        ];
        if with_conv {
            header.push("convention");
            widths.push(Constraint::Length(conv_w));
        }
        if wide {
            header.extend(["rate", "series"]);
            widths.extend([Constraint::Length(7), Constraint::Length(6)]);
        }
        let table = Table::new(rows, widths)
            .header(Row::new(header).style(theme.dim().add_modifier(Modifier::BOLD)))
            .column_spacing(1);
        frame.render_widget(table, inner);
    }
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
                since(d, ui.now),
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
    if let Some(x) = twin.devices.description(&d.id) {
        lines.push(Line::styled(
            format!(
                "Home Assistant discovery: {}{}",
                x.name.as_deref().unwrap_or("no name"),
                x.make().map(|m| format!(" — {m}")).unwrap_or_default()
            ),
            dim,
        ));
    }
    // A Sparkplug edge node (or one of its devices): its session.
    // Ids are `group/node[/device]`; the node map is keyed `group/node`.
    let mut parts = d.id.splitn(3, '/');
    let node_key = match (parts.next(), parts.next()) {
        (Some(g), Some(n)) => format!("{g}/{n}"),
        _ => String::new(),
    };
    let dev_id = parts.next();
    if let Some(n) = twin.sparkplug.nodes.get(&node_key) {
        let line = match dev_id.and_then(|x| n.devices.get(x)) {
            Some(dev) => format!(
                "Sparkplug device of {}/{}: {} births, {} metrics defined, {} DATA metrics unattributed (needs rebirth) · B: rebirth the node",
                n.group,
                n.node,
                count(dev.births),
                dev.defs.len(),
                count(dev.needs_rebirth)
            ),
            None => format!(
                "Sparkplug edge node {}/{}: bdSeq {}, {} births (last {}), {} metrics, seq gaps {}, stale deaths ignored {}, needs rebirth {} · B: rebirth",
                n.group,
                n.node,
                n.bd_seq.map_or("unknown".to_string(), |b| b.to_string()),
                count(n.births),
                n.last_birth.map_or("never".to_string(), |t| ago(t, ui.now)),
                n.defs.len(),
                count(n.seq_gaps),
                count(n.stale_deaths),
                count(n.needs_rebirth_total())
            ),
        };
        lines.push(Line::styled(line, dim));
    }
    // Its status history, from the store when there is one.
    if let Some(h) = ui.history.as_ref() {
        let ask = crate::ui::history::Ask::Device(d.id.clone());
        let text = match h.get(&ask) {
            None => format!("Status history: loading from {}…", h.target),
            Some(a) if a.error.is_some() => format!(
                "Status history: unavailable ({})",
                a.error.as_deref().unwrap_or_default()
            ),
            Some(a) if a.statuses.is_empty() => {
                "Status history: no change stored in 30 days".to_string()
            }
            Some(a) => format!(
                "Status history ({}): {}",
                a.statuses.len(),
                a.statuses
                    .iter()
                    .rev()
                    .take(6)
                    .map(|(t, from, to)| {
                        let at = chrono::DateTime::from_timestamp_millis(*t)
                            .map(|t| t.with_timezone(&ui.tz).format("%d %b %H:%M").to_string())
                            .unwrap_or_default();
                        format!("{at} {from}→{to}")
                    })
                    .collect::<Vec<_>>()
                    .join(" · ")
            ),
        };
        lines.push(Line::styled(text, dim));
    }
    let states: Vec<&crate::twin::states::StateSeries> = twin
        .states
        .list
        .iter()
        .filter(|s| s.device == d.id)
        .take(8)
        .collect();
    if !states.is_empty() {
        let words: Vec<String> = states
            .iter()
            .map(|s| format!("{} = {}", s.label, s.value))
            .collect();
        lines.push(Line::styled(format!("States: {}", words.join(", ")), dim));
    }
    lines.push(Line::from(""));
    let series: Vec<&crate::twin::series::Series> = twin
        .series
        .iter()
        .map(|s| &**s)
        .filter(|s| s.device == d.id)
        .collect();
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

/// A device's name in the list: its id, with the name Home Assistant discovery gives it when
/// that differs (`Kitchen plug · tasmota_1A2B3C`).
fn shown_name(
    d: &crate::twin::devices::Device,
    described: Option<&crate::twin::discovery::HaDevice>,
) -> String {
    match described.and_then(|x| x.name.as_deref()) {
        Some(n) if n != d.id => format!("{n} · {}", d.id),
        _ => d.id.clone(),
    }
}

/// How long the status has held, or `unknown` when it was already in place before twinview
/// started (a retained status message).
fn since(d: &crate::twin::devices::Device, now: chrono::DateTime<chrono::Utc>) -> String {
    if d.since_unknown {
        "unknown".into()
    } else {
        ago(d.since, now)
    }
}
