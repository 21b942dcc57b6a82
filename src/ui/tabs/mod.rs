//! One module per tab, each with the same shape ([`TabView`]): its own view state, `refresh`
//! from the twin, `handle` for the keys it owns, and `render`. `ui/mod.rs` only dispatches, so
//! a new tab costs one file and one line in [`crate::ui::Tab`].

pub mod alarms;
pub mod devices;
pub mod jobs;
pub mod log;
pub mod sensors;
pub mod state_rows;
pub mod topics;

use chrono::{DateTime, Utc};
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::Frame;

use super::keys::Action;
use super::theme::Theme;
use super::UiState;
use crate::twin::Twin;

/// A footer hint: (keys, what they do).
pub type Hint = (&'static str, &'static str);

pub trait TabView {
    /// Lays the view's rows out again when what they depend on changed (the twin's revision
    /// counters, the filter, the sort). Called before every frame and after every key; cheap
    /// when nothing changed.
    fn refresh(&mut self, twin: &Twin, now: DateTime<Utc>);

    /// A key this tab owns. False when it means nothing here (the caller then says so).
    fn handle(&mut self, action: Action, twin: &Twin) -> bool;

    /// Draws the tab. Pure: reads the twin, changes nothing but scroll positions.
    fn render(&self, frame: &mut Frame, area: Rect, twin: &Twin, ui: &UiState, theme: &Theme);

    /// Whether typed letters go into a text field of this tab.
    fn editing(&self) -> bool {
        false
    }

    /// Key hints for the footer.
    fn hints(&self, demo: bool) -> &'static [Hint];

    /// Shown at the right of the tab bar (sort, filter).
    fn status(&self, _theme: &Theme) -> Vec<Span<'static>> {
        Vec::new()
    }

    /// A left click at a screen cell; true when it selected or opened something.
    fn click(&mut self, _x: u16, _y: u16) -> bool {
        false
    }

    /// The mouse wheel: `lines` down (negative: up).
    fn scroll(&mut self, lines: isize);
}

/// Keys while a tab's filter line has focus: letters type, Backspace deletes, Ctrl-U clears,
/// Ctrl-W deletes the last word, Enter keeps the filter, Esc clears it. `/` opens the line with
/// the previous filter selected (`fresh`): the first letter starts a new filter, ← → Home End
/// keep it to edit. False for a key that means nothing there.
pub fn edit_filter(
    filter: &mut String,
    editing: &mut bool,
    fresh: &mut bool,
    action: Action,
) -> bool {
    let was_fresh = std::mem::take(fresh);
    match action {
        Action::Char(c) => {
            if was_fresh {
                filter.clear();
            }
            filter.push(c)
        }
        Action::Backspace if was_fresh => filter.clear(),
        Action::Backspace => {
            filter.pop();
        }
        Action::ClearField => filter.clear(),
        Action::DeleteWord => filter.truncate(crate::ui::field::word_start(filter)),
        Action::CursorLeft | Action::CursorRight | Action::Home | Action::End => {}
        Action::Enter => *editing = false,
        Action::Back => {
            filter.clear();
            *editing = false;
        }
        _ => {
            *fresh = was_fresh;
            return false;
        }
    }
    true
}

/// Footer hints while a filter line has focus.
pub const FILTER_HINTS: &[Hint] = &[
    ("Enter", "keep filter"),
    ("Esc", "clear"),
    ("Ctrl-C", "quit"),
];

/// A click on a list whose rows were drawn in `rows_area`: selects the row, and a second click
/// on the selected row opens its detail. False when it hit no row (or a detail is open).
pub fn click_rows<K: Clone + PartialEq>(
    list: &mut super::list::ListNav<K>,
    rows_area: Rect,
    detail: &mut bool,
    x: u16,
    y: u16,
) -> bool {
    if *detail || !hit(rows_area, x, y) {
        return false;
    }
    match list.click_again((y - rows_area.y) as usize) {
        Some(again) => {
            *detail |= again;
            true
        }
        None => false,
    }
}

/// `filter: text▏` for the tab bar, while the filter is edited or set; the previous filter
/// highlighted while the first key would replace it.
pub fn filter_status(
    filter: &str,
    editing: bool,
    fresh: bool,
    theme: &Theme,
) -> Vec<Span<'static>> {
    if !editing && filter.is_empty() {
        return Vec::new();
    }
    let accent = ratatui::style::Style::default().fg(theme.accent);
    let text = crate::text::visible(filter).into_owned();
    let mut v = vec![Span::styled("filter: ", accent)];
    v.push(if editing && fresh {
        Span::styled(text, theme.selected())
    } else {
        Span::styled(text, accent)
    });
    if editing {
        v.push(Span::styled("▏", accent));
    }
    v
}

/// Whether a screen cell lies inside `r`.
pub fn hit(r: Rect, x: u16, y: u16) -> bool {
    x >= r.x && x < r.x.saturating_add(r.width) && y >= r.y && y < r.y.saturating_add(r.height)
}
