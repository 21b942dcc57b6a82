//! Pieces shared by the tabs: header, tab bar, footer, help overlay, number formatting and
//! the in-cell sparkline.

use chrono::{DateTime, FixedOffset, Utc};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Row, Table};
use ratatui::Frame;

use super::keys::HELP;
use super::theme::Theme;
use super::{Tab, UiState};
use crate::source::event::ConnState;
use crate::twin::Twin;

/// A number in at most ~8 characters, with precision that suits its size.
pub fn num(x: f64) -> String {
    if !x.is_finite() {
        return "—".into();
    }
    let a = x.abs();
    if a >= 1e6 {
        format!("{x:.3e}")
    } else if a >= 1000.0 {
        format!("{x:.0}")
    } else if a >= 100.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

pub fn opt_num(x: Option<f64>) -> String {
    x.map(num).unwrap_or_else(|| "—".into())
}

/// 1234567 → `1,234,567`.
pub fn count(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub fn rate(per_s: f64) -> String {
    if per_s >= 10_000.0 {
        format!("{:.0}k/s", per_s / 1000.0)
    } else if per_s >= 100.0 {
        format!("{per_s:.0}/s")
    } else {
        format!("{per_s:.1}/s")
    }
}

/// `1 byte`, `512 bytes`, `1,234 bytes`.
pub fn bytes(n: u64) -> String {
    if n == 1 {
        "1 byte".into()
    } else {
        format!("{} bytes", count(n))
    }
}

/// A length of time in its largest whole unit that fits: `90s`, `30m`, `1h 30m`, `2d`.
pub fn span(d: std::time::Duration) -> String {
    let s = d.as_secs();
    match s {
        0..120 => format!("{s}s"),
        120..7200 if !s.is_multiple_of(3600) => format!("{}m", s / 60),
        _ if s.is_multiple_of(86_400) => format!("{}d", s / 86_400),
        _ if s.is_multiple_of(3600) => format!("{}h", s / 3600),
        _ => format!("{}h {}m", s / 3600, s % 3600 / 60),
    }
}

/// `3s ago`, `4m ago`, `2h ago`.
pub fn ago(then: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let s = (now - then).num_seconds().max(0);
    if s < 120 {
        format!("{s}s ago")
    } else if s < 7200 {
        format!("{}m ago", s / 60)
    } else if s < 172_800 {
        format!("{}h ago", s / 3600)
    } else {
        format!("{}d ago", s / 86_400)
    }
}

/// `s` in at most `w` characters. A name too long loses its middle, not its end: the end is
/// what tells `TEMP_001` from `TEMP_002` (`T…_001`).
pub fn fit(s: &str, w: usize) -> String {
    // Names come from the wire: a bidirectional override or a zero-width character could make
    // one row read as another or break the table's borders; they are shown as escapes.
    let s = crate::text::visible(s);
    let s = s.as_ref();
    let n = s.chars().count();
    if n <= w {
        return s.to_string();
    }
    match w {
        0 => String::new(),
        1 => "…".into(),
        _ => {
            let head = (w - 1) / 3;
            let tail = w - 1 - head;
            let mut out: String = s.chars().take(head).collect();
            out.push('…');
            out.extend(s.chars().skip(n - tail));
            out
        }
    }
}

/// Names fitted to their widths so that no two read the same: each is cut as [`fit`] cuts it,
/// and names that would then collide keep instead the part that tells them apart (what lies
/// between the beginning and the end they share), with as much around it as fits:
/// `frigate/front_door/person/threshold/state` and `frigate/back_yard/person/threshold/state`
/// in 24 columns read `…front_door/person/thre…` and `…back_yard/person/thres…`.
pub fn fit_apart(names: &[(&str, usize)]) -> Vec<String> {
    let mut out: Vec<String> = names.iter().map(|(n, w)| fit(n, *w)).collect();
    let mut groups: std::collections::HashMap<&str, Vec<usize>> = std::collections::HashMap::new();
    for (i, f) in out.iter().enumerate() {
        groups.entry(f.as_str()).or_default().push(i);
    }
    let clashes: Vec<Vec<usize>> = groups
        .into_values()
        .filter(|v| v.len() > 1 && v.iter().any(|&i| names[i].0 != names[v[0]].0))
        .collect();
    for group in clashes {
        for &i in &group {
            let (name, w) = names[i];
            let me: Vec<char> = crate::text::visible(name).chars().collect();
            let (mut pre, mut suf) = (0, 0);
            for &j in &group {
                if names[j].0 == name {
                    continue;
                }
                let other: Vec<char> = crate::text::visible(names[j].0).chars().collect();
                let p = me.iter().zip(&other).take_while(|(a, b)| a == b).count();
                let q = me
                    .iter()
                    .rev()
                    .zip(other.iter().rev())
                    .take_while(|(a, b)| a == b)
                    .count();
                pre = pre.max(p);
                suf = suf.max(q);
            }
            out[i] = window_around(&me, pre, me.len().saturating_sub(suf).max(pre), w);
        }
    }
    out
}

/// At most `w` characters of `s` from the word where `s[from..to]` starts (the part that
/// differs), with `…` where the text goes on.
fn window_around(s: &[char], from: usize, to: usize, w: usize) -> String {
    let n = s.len();
    if n <= w {
        return s.iter().collect();
    }
    if w < 3 {
        return fit(&s.iter().collect::<String>(), w);
    }
    // Room for the text between the two ellipses.
    let inner = w - 2;
    let _ = to;
    // From the start of the word where the names part (after the separator before it), then
    // as much as fits: the part that differs comes first.
    let word = s[..from]
        .iter()
        .rposition(|c| matches!(c, '/' | ' ' | '_' | '-' | '.'))
        .map_or(0, |i| i + 1);
    let start = word.min(n - inner);
    let end = (start + inner).min(n);
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    out.extend(&s[start..end]);
    if end < n {
        out.push('…');
    }
    // At the very start or end one ellipsis was spared: use its column.
    let len = out.chars().count();
    if len < w && end < n {
        out.pop();
        out.push(s[end]);
        out.push('…');
    } else if len < w && start > 0 {
        out = format!("…{}", s[start - 1..end].iter().collect::<String>());
    }
    out
}

pub fn clock(t: DateTime<Utc>, tz: FixedOffset) -> String {
    t.with_timezone(&tz).format("%H:%M:%S").to_string()
}

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// The last `width` values as block characters scaled between the window's min and max.
pub fn sparkline(
    values: impl DoubleEndedIterator<Item = f64> + ExactSizeIterator,
    width: usize,
    lo: f64,
    hi: f64,
) -> String {
    let skip = values.len().saturating_sub(width);
    let span = hi - lo;
    let mut out: String = values
        .skip(skip)
        .map(|v| {
            if span > 0.0 && span.is_finite() {
                let level = ((v - lo) / span * 7.0).round().clamp(0.0, 7.0) as usize;
                BARS[level]
            } else {
                BARS[3]
            }
        })
        .collect();
    let missing = width.saturating_sub(out.chars().count());
    if missing > 0 {
        out.insert_str(0, &" ".repeat(missing));
    }
    out
}

fn conn_span(twin: &Twin, now: DateTime<Utc>, theme: &Theme) -> Span<'static> {
    let state = &twin.connection;
    let (dot, color) = match state {
        ConnState::Connected => ("●", theme.ok),
        ConnState::Connecting => ("◌", theme.warn),
        ConnState::Reconnecting { .. } => ("◌", theme.warn),
        ConnState::Refused { .. } => ("✖", theme.error),
    };
    Span::styled(
        format!("{dot} {}", twin.connection_text(now)),
        Style::default().fg(color).bg(theme.header_bg),
    )
}

pub fn header(frame: &mut Frame, area: Rect, twin: &Twin, ui: &UiState, theme: &Theme) {
    let h = theme.header();
    let warn_if = |bad: bool| if bad { h.fg(theme.error) } else { h };
    let conn = conn_span(twin, ui.now, theme);
    // (long form, short form, style); short forms are used when the long ones do not fit.
    let mut items: Vec<(String, String, Style)> = vec![
        (
            rate(twin.message_rate(ui.now)),
            rate(twin.message_rate(ui.now)),
            h,
        ),
        (
            format!("{} msgs", count(twin.messages)),
            format!("{} msg", count(twin.messages)),
            h,
        ),
        (
            format!("{} series", count(twin.series.len() as u64)),
            format!("{} ser", count(twin.series.len() as u64)),
            h,
        ),
        (
            format!("{} malformed", count(twin.undecoded_total)),
            format!("{} bad", count(twin.undecoded_total)),
            warn_if(twin.undecoded_total > 0),
        ),
        (
            format!("{} dropped", count(ui.dropped)),
            format!("{} drop", count(ui.dropped)),
            warn_if(ui.dropped > 0),
        ),
    ];
    // The broker's own word ($SYS), when it gives one.
    if let Some(c) = twin.broker.clients {
        items.push((
            format!("broker: {} clients", count(c)),
            format!("{}cl", count(c)),
            h,
        ));
    }
    if twin.panics > 0 {
        items.push((
            format!("{} ingest errors", count(twin.panics)),
            format!("{} err", count(twin.panics)),
            h.fg(theme.error),
        ));
    }
    let evicted = twin.evicted_series + twin.devices.evicted + twin.evicted_entries().total();
    if evicted > 0 {
        items.push((
            format!("{} evicted", count(evicted)),
            format!("{} evic", count(evicted)),
            h.fg(theme.warn),
        ));
    }
    if ui.read_only && ui.replay.is_none() {
        items.push(("read-only".into(), "RO".into(), h.fg(theme.warn)));
    }
    if let Some(scraped) = ui.scraped {
        // Being watched by Prometheus (or not yet).
        let text = match scraped {
            Some(at) => format!("scraped {}", ago(at, ui.now)),
            None => "metrics: not scraped yet".into(),
        };
        items.push((text, "metrics".into(), h));
    }
    // The store (and any output with a queue): said when it fails, loses or falls behind.
    for o in ui.outputs.iter().filter(|o| o.output == "store") {
        let (text, short, style) = if o.failing {
            (
                format!("store failing, {} queued", count(o.queued)),
                "store ✖".to_string(),
                h.fg(theme.error).add_modifier(Modifier::BOLD),
            )
        } else if o.lost > 0 {
            (
                format!("store: {} lost", count(o.lost)),
                format!("st {} lost", count(o.lost)),
                h.fg(theme.warn),
            )
        } else {
            ("● stored".to_string(), "●st".to_string(), h)
        };
        items.push((text, short, style));
    }
    if let Some((bytes, lost)) = ui.recording {
        let size = if bytes >= 1 << 20 {
            format!("{:.1} MB", bytes as f64 / (1 << 20) as f64)
        } else {
            format!("{} kB", bytes / 1024)
        };
        let lost = if lost > 0 {
            format!(", {lost} lost")
        } else {
            String::new()
        };
        items.push((
            format!("● REC {size}{lost}"),
            format!("●REC {size}"),
            h.fg(theme.error).add_modifier(Modifier::BOLD),
        ));
    }
    // Active alarms by priority, the most urgent's colour.
    let counts = twin.alarms.counts();
    if counts.iter().sum::<usize>() > 0 {
        use crate::twin::alarms::Priority;
        let top = Priority::ALL
            .into_iter()
            .find(|p| counts[*p as usize] > 0)
            .unwrap_or(Priority::Low);
        let long: Vec<String> = Priority::ALL
            .iter()
            .filter(|p| counts[**p as usize] > 0)
            .map(|p| format!("{} {}", counts[*p as usize], p.as_str()))
            .collect();
        items.push((
            format!("⚑ {}", long.join(" ")),
            format!("⚑ {}", counts.iter().sum::<usize>()),
            h.patch(crate::ui::tabs::alarms::priority_style(top, theme)),
        ));
    }
    if twin.anomalous_series > 0 {
        items.push((
            format!("⚠ {} anomalous", twin.anomalous_series),
            format!("⚠ {}", twin.anomalous_series),
            h.fg(theme.anomaly).add_modifier(Modifier::BOLD),
        ));
    }
    let source_short = ui
        .source
        .strip_prefix("mqtt://")
        .unwrap_or(&ui.source)
        .to_string();
    let conn_w = conn.width();
    let width = |items: &[(String, String, Style)], title: &str, source: &str, short: bool| {
        title.chars().count()
            + source.chars().count()
            + 1
            + conn_w
            + items
                .iter()
                .map(|(l, s, _)| 3 + if short { s } else { l }.chars().count())
                .sum::<usize>()
    };
    let paused = ui.frozen.is_some();
    let avail = (area.width as usize).saturating_sub(if paused { PAUSED.len() } else { 0 });
    let (title, source, short) = if width(&items, " twinview ", &ui.source, false) <= avail {
        (" twinview ", ui.source.as_str(), false)
    } else if width(&items, " ", &source_short, false) <= avail {
        (" ", source_short.as_str(), false)
    } else {
        (" ", source_short.as_str(), true)
    };
    // Narrower still (60 columns): counts that say nothing is wrong go first, then the
    // plain figures, never a warning; no item is cut in the middle.
    while width(&items, title, source, short) > avail {
        let rank = |(l, _, _): &(String, String, Style)| -> Option<u8> {
            let zero = l.starts_with("0 ");
            match l {
                _ if zero && (l.ends_with("malformed") || l.ends_with("dropped")) => Some(0),
                _ if l.ends_with(" series") => Some(1),
                _ if l.ends_with(" msgs") => Some(2),
                _ if l.starts_with("broker:") => Some(3),
                _ if l.starts_with("scraped") || l.starts_with("metrics:") => Some(4),
                _ if l == "● stored" => Some(5),
                _ if l.ends_with("/s") => Some(6),
                _ => None,
            }
        };
        let Some(i) = (0..items.len())
            .filter(|&i| rank(&items[i]).is_some())
            .min_by_key(|&i| rank(&items[i]))
        else {
            break;
        };
        items.remove(i);
    }
    let mut spans = vec![
        Span::styled(title, h.add_modifier(Modifier::BOLD)),
        Span::styled(source.to_string(), h),
        Span::styled(" ", h),
        conn,
    ];
    for (long, short_form, style) in items {
        spans.push(Span::styled(" │ ", h));
        spans.push(Span::styled(if short { short_form } else { long }, style));
    }
    let line = Line::from(spans);
    let badge = Span::styled(
        PAUSED,
        Style::default()
            .fg(theme.header_bg)
            .bg(theme.warn)
            .add_modifier(Modifier::BOLD),
    );
    let [left, right] = Layout::horizontal([
        Constraint::Min(0),
        Constraint::Length(if paused { badge.width() as u16 } else { 0 }),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(line).style(h), left);
    if paused {
        frame.render_widget(Paragraph::new(Line::from(badge)), right);
    }
}

/// The tabs' names in the longest form that leaves `room` columns: ` 1 Sensors ` each, then
/// `1 Sensors`, then the current tab's name and the others' numbers, then numbers only.
pub fn tab_labels(current: Tab, room: usize) -> Vec<String> {
    let forms: [&dyn Fn(Tab) -> String; 4] = [
        &|t: Tab| t.label(),
        &|t: Tab| t.label().trim().to_string(),
        &|t: Tab| {
            if t == current {
                t.label()
            } else {
                format!(" {} ", t.label().trim().split(' ').next().unwrap_or(""))
            }
        },
        &|t: Tab| format!(" {} ", t.label().trim().split(' ').next().unwrap_or("")),
    ];
    let mut last = Vec::new();
    for form in forms {
        last = Tab::ALL.iter().map(|t| form(*t)).collect::<Vec<String>>();
        let width: usize = last.iter().map(|l| l.chars().count() + 1).sum();
        if width <= room {
            break;
        }
    }
    last
}

/// The tabs at the left (shortened to fit), the current tab's status (sort, filter) at the
/// right; the status keeps its room first, up to all but the shortest tab names.
pub fn tab_bar(frame: &mut Frame, area: Rect, ui: &UiState, theme: &Theme) {
    let right_line = Line::from(ui.current().status(theme));
    let shortest = Tab::ALL.len() * 4;
    let status_w = (right_line.width() + 1).min((area.width as usize).saturating_sub(shortest));
    let labels = tab_labels(ui.tab, (area.width as usize).saturating_sub(status_w));
    let mut widths = [0u16; 6];
    let mut spans = Vec::new();
    for (i, (tab, label)) in Tab::ALL.iter().zip(labels).enumerate() {
        let style = if *tab == ui.tab {
            theme.title().add_modifier(Modifier::REVERSED)
        } else {
            theme.dim()
        };
        widths[i] = label.chars().count() as u16;
        spans.push(Span::styled(label, style));
        spans.push(Span::raw(" "));
    }
    ui.tab_widths.set(widths);
    let [left_area, right_area] =
        Layout::horizontal([Constraint::Min(0), Constraint::Length(status_w as u16)]).areas(area);
    frame.render_widget(Paragraph::new(Line::from(spans)), left_area);
    frame.render_widget(Paragraph::new(right_line), right_area);
}

const PAUSED: &str = " PAUSED (p) ";

/// How long a footer message stays.
const FLASH_SECS: i64 = 4;

pub fn footer(frame: &mut Frame, area: Rect, ui: &UiState, theme: &Theme) {
    let hints = ui.current().hints(ui.demo);
    // A fresh message replaces the hints for a few seconds.
    if let Some((text, at)) = &ui.flash {
        if (ui.now - *at).num_seconds() < FLASH_SECS {
            let line = Line::from(Span::styled(
                format!(" {text}"),
                Style::default().fg(theme.warn).add_modifier(Modifier::BOLD),
            ));
            frame.render_widget(Paragraph::new(line), area);
            return;
        }
    }
    let mut spans = Vec::new();
    for (k, what) in fitting_hints(hints, area.width as usize) {
        spans.push(Span::styled(format!(" {k} "), theme.title()));
        spans.push(Span::styled(format!("{what} "), theme.dim()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The hints that fit whole in `width` columns, in their order: help and quit always, then
/// each other hint while it fits, so none is cut in the middle of a word.
pub fn fitting_hints(hints: &[super::tabs::Hint], width: usize) -> Vec<super::tabs::Hint> {
    let cost = |h: &super::tabs::Hint| h.0.chars().count() + h.1.chars().count() + 3;
    let always = |h: &super::tabs::Hint| matches!(h.0, "?" | "q");
    let mut room = width.saturating_sub(hints.iter().filter(|h| always(h)).map(cost).sum());
    hints
        .iter()
        .filter(|h| {
            if always(h) {
                return true;
            }
            let fits = cost(h) <= room;
            if fits {
                room -= cost(h);
            }
            fits
        })
        .copied()
        .collect()
}

/// A rectangle of at most `w`×`h` centred in `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

/// The replay's position: `▶ 4× ━━━━━━╸──── 12:03:45 / 12:10:00  34%`.
pub fn progress(
    frame: &mut Frame,
    area: Rect,
    clock: &crate::source::replay::ReplayClock,
    ui: &UiState,
    theme: &Theme,
) {
    let state = if clock.paused {
        "❚❚"
    } else if clock.finished() {
        "■"
    } else {
        "▶"
    };
    let speed = if clock.speed().is_infinite() {
        "max".to_string()
    } else {
        format!("{}×", clock.speed())
    };
    let left = format!(" {state} {speed:>5} ");
    let right = format!(
        " {} / {}  {:>3.0}%  space pause · + - speed · ← → seek ",
        clock
            .position
            .with_timezone(&ui.tz)
            .format("%Y-%m-%d %H:%M:%S"),
        clock.end.with_timezone(&ui.tz).format("%H:%M:%S"),
        clock.progress() * 100.0
    );
    let bar_w = (area.width as usize).saturating_sub(left.chars().count() + right.chars().count());
    let done = ((clock.progress() * bar_w as f64).round() as usize).min(bar_w);
    let line = Line::from(vec![
        Span::styled(left, theme.title()),
        Span::styled("━".repeat(done), Style::default().fg(theme.accent)),
        Span::styled("─".repeat(bar_w - done), theme.dim()),
        Span::styled(right, theme.dim()),
    ]);
    frame.render_widget(Paragraph::new(line), area);
}

/// The command confirmation and the control form.
/// A form's last lines: its error, if any, and the keys.
fn form_end(lines: &mut Vec<Line<'static>>, error: &Option<String>, theme: &Theme) {
    if let Some(e) = error {
        lines.push(Line::styled(e.clone(), Style::default().fg(theme.error)));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(vec![
        Span::styled(" Tab ", theme.title()),
        Span::raw("next field "),
        Span::styled(" Enter ", theme.title()),
        Span::raw("review "),
        Span::styled(" Esc ", theme.title()),
        Span::raw("cancel"),
    ]));
}

/// The widest a popup gets.
const POPUP_W: u16 = 90;

pub fn popup(frame: &mut Frame, area: Rect, popup: &super::Popup, theme: &Theme) {
    let label = |k: &str| Span::styled(format!("{k:<8}"), theme.dim());
    // A form's field: one line of the popup, after its label (borders and label taken off).
    let field_w = (POPUP_W.min(area.width) as usize).saturating_sub(2 + 8);
    let (title, lines): (&str, Vec<Line>) = match popup {
        super::Popup::Confirm(cmds) => {
            let mut lines = Vec::new();
            for (i, c) in cmds.iter().enumerate().take(6) {
                if i > 0 {
                    lines.push(Line::from(""));
                }
                // What will be sent, byte for byte: a control character or an invisible one
                // is shown as its escape, never dropped or acted on by the terminal.
                let topic = crate::text::visible(&c.topic);
                let payload = crate::text::visible(&c.payload);
                let hidden = matches!(topic, std::borrow::Cow::Owned(_))
                    || matches!(payload, std::borrow::Cow::Owned(_));
                lines.push(Line::from(vec![
                    label("topic"),
                    Span::styled(topic.into_owned(), theme.title()),
                ]));
                lines.push(Line::from(vec![
                    label("QoS"),
                    Span::raw(format!(
                        "{}   retain {}",
                        c.qos,
                        if c.retain { "yes" } else { "no" }
                    )),
                ]));
                lines.push(Line::from(vec![
                    label("payload"),
                    Span::raw(payload.into_owned()),
                ]));
                if hidden {
                    lines.push(Line::styled(
                        "        ⚠ control or invisible characters, shown as \\u{…}, are sent as they are",
                        Style::default().fg(theme.warn),
                    ));
                }
            }
            if cmds.len() > 6 {
                lines.push(Line::styled(
                    format!("… and {} more", cmds.len() - 6),
                    theme.dim(),
                ));
            }
            lines.push(Line::from(""));
            lines.push(Line::from(vec![
                Span::styled(" Enter/y ", theme.title()),
                Span::raw(format!(
                    "publish {} ",
                    if cmds.len() == 1 {
                        "it".to_string()
                    } else {
                        format!("all {}", cmds.len())
                    }
                )),
                Span::styled(" Esc/n ", theme.title()),
                Span::raw("cancel"),
            ]));
            ("Publish?", lines)
        }
        super::Popup::ConfirmCount { prefix, cmds } => (
            "Clear retained messages",
            vec![
                Line::from(vec![
                    Span::raw("Clear the retained messages of "),
                    Span::styled(format!("{} topics", cmds.len()), theme.title()),
                    Span::raw(format!(" under {prefix}?")),
                ]),
                Line::styled(
                    "(every topic there that delivered a retained message: an empty retained publish each)",
                    theme.dim(),
                ),
                Line::from(""),
                Line::from(vec![
                    Span::styled(" y ", theme.title()),
                    Span::raw("review them "),
                    Span::styled(" n/Esc ", theme.title()),
                    Span::raw("cancel"),
                ]),
            ],
        ),
        super::Popup::PublishForm {
            topic,
            payload,
            qos,
            retain,
            field,
            error,
        } => {
            let focus = |i: usize| {
                if *field == i {
                    theme.selected()
                } else {
                    Style::default()
                }
            };
            let text = |f: &super::field::TextField, i: usize| {
                let mut v = vec![label(["topic", "payload"][i])];
                v.extend(f.spans(*field == i, theme, field_w));
                Line::from(v)
            };
            let mut lines = vec![
                text(topic, 0),
                text(payload, 1),
                Line::from(vec![label("QoS"), Span::styled(format!("{qos}"), focus(2))]),
                Line::from(vec![
                    label("retain"),
                    Span::styled(if *retain { "yes" } else { "no" }, focus(3)),
                ]),
                Line::styled(
                    "QoS: 0 1 2 · retain: y n or space · an empty retained payload clears the topic",
                    theme.dim(),
                ),
            ];
            form_end(&mut lines, error, theme);
            ("Publish a message", lines)
        }
        super::Popup::ControlForm {
            name,
            value,
            field,
            error,
        } => {
            let text = |f: &super::field::TextField, i: usize| {
                let mut v = vec![label(["command", "value"][i])];
                v.extend(f.spans(*field == i, theme, field_w));
                Line::from(v)
            };
            let mut lines = vec![
                text(name, 0),
                text(value, 1),
                Line::styled(
                    "SET_THRESHOLD, SET_INTERVAL or any name your devices understand",
                    theme.dim(),
                ),
            ];
            form_end(&mut lines, error, theme);
            ("Control command", lines)
        }
    };
    let h = lines.len() as u16 + 2;
    let rect = centered(area, POPUP_W, h);
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(ratatui::widgets::Wrap { trim: false })
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .border_style(Style::default().fg(theme.warn))
                    .title(Span::styled(format!(" {title} "), theme.title()))
                    .style(theme.base()),
            ),
        rect,
    );
}

pub fn help(frame: &mut Frame, area: Rect, theme: &Theme) {
    let rows: Vec<Row> = HELP
        .iter()
        .map(|(k, what)| Row::new(vec![Span::styled(*k, theme.title()), Span::raw(*what)]))
        .collect();
    let popup = centered(area, 86, HELP.len() as u16 + 4);
    frame.render_widget(Clear, popup);
    let table = Table::new(rows, [Constraint::Length(22), Constraint::Min(10)]).block(
        Block::default()
            .borders(Borders::ALL)
            .border_style(theme.border())
            .title(Span::styled(" keys — ? or Esc closes ", theme.title()))
            .style(theme.base()),
    );
    frame.render_widget(table, popup);
}

#[cfg(test)]
mod tests {
    use super::popup as popup_widget;
    use super::*;

    #[test]
    fn the_publish_confirmation_shows_every_byte_that_will_be_sent() {
        use ratatui::backend::TestBackend;
        let cmd = crate::outputs::commands::Templates::message(
            "cmnd/plug/Power",
            "ON\u{1b}[2J\u{7}\u{202e}FFO",
            0,
            false,
        );
        let popup = super::super::Popup::Confirm(vec![cmd]);
        let theme = Theme::built_in("default").unwrap();
        let mut terminal = ratatui::Terminal::new(TestBackend::new(100, 20)).unwrap();
        // The popup drawn, the screen's cells as one string.
        let draw = |t: &mut ratatui::Terminal<TestBackend>, p: &super::super::Popup| {
            t.draw(|f| popup_widget(f, f.area(), p, &theme)).unwrap();
            t.backend()
                .buffer()
                .content()
                .iter()
                .map(|c| c.symbol())
                .collect::<String>()
        };
        let screen = draw(&mut terminal, &popup);
        assert!(
            screen.contains(r"ON\u{1b}[2J\u{7}\u{202e}FFO"),
            "every hidden byte shown: {screen}"
        );
        assert!(screen.contains("are sent as they are"));
        // A plain payload needs no warning.
        let popup =
            super::super::Popup::Confirm(vec![crate::outputs::commands::Templates::message(
                "cmnd/plug/Power",
                "ON",
                0,
                false,
            )]);
        let screen = draw(&mut terminal, &popup);
        assert!(!screen.contains("are sent as they are"));
    }

    #[test]
    fn names_that_would_read_the_same_keep_what_tells_them_apart() {
        let a = "frigate/front_door/person/threshold/state";
        let b = "frigate/back_yard/person/threshold/state";
        let c = "frigate/garage/car/threshold/state";
        for w in [12, 16, 24, 30] {
            let out = fit_apart(&[(a, w), (b, w), (c, w), (a, w)]);
            assert!(out.iter().all(|o| o.chars().count() <= w), "{w}: {out:?}");
            assert_ne!(out[0], out[1], "{w}: {out:?}");
            assert_ne!(out[1], out[2], "{w}: {out:?}");
            assert_ne!(out[0], out[2], "{w}: {out:?}");
            assert_eq!(out[0], out[3], "the same name reads the same");
        }
        assert_eq!(
            fit_apart(&[(a, 24), (b, 24)]),
            ["…front_door/person/thre…", "…back_yard/person/thres…"]
        );
        // Names that fit, or that fit apart, are cut as before.
        assert_eq!(
            fit_apart(&[("TEMP_001", 6), ("TEMP_002", 6)]),
            ["T…_001", "T…_002"]
        );
        assert_eq!(fit_apart(&[("short", 10)]), ["short"]);
    }

    #[test]
    fn formatting() {
        assert_eq!(num(21.734), "21.73");
        assert_eq!(num(-123.45), "-123.5");
        assert_eq!(num(12345.6), "12346");
        assert_eq!(num(f64::NAN), "—");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(count(12), "12");
        assert_eq!(rate(3.25), "3.2/s");
        assert_eq!(rate(25_000.0), "25k/s");
        assert_eq!(fit("TEMP_001", 8), "TEMP_001");
        assert_eq!(fit("TEMP_001", 6), "T…_001");
        assert_eq!(fit("TEMP_002", 5), "T…002");
        assert_eq!(fit("TEMP_002", 1), "…");
    }

    #[test]
    fn sparkline_scales_and_pads() {
        let v = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0];
        assert_eq!(sparkline(v.iter().copied(), 8, 0.0, 7.0), "▁▂▃▄▅▆▇█");
        assert_eq!(sparkline(v.iter().copied(), 3, 0.0, 7.0), "▆▇█");
        assert_eq!(sparkline([1.0].iter().copied(), 3, 1.0, 1.0), "  ▄");
    }
}
