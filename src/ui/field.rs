//! One line of text being typed — a form's field or a tab's filter — the way gitui's and
//! lazygit's inputs behave: a cursor (←/→, Home/End), Backspace before it, Ctrl-U clears the
//! field, Ctrl-W deletes the word (or topic level) before the cursor; text offered by twinview
//! (a prefilled payload, the previous filter) is selected, so the first key typed replaces it
//! and a movement key keeps it.

use ratatui::style::Style;
use ratatui::text::Span;

use super::keys::Action;
use super::theme::Theme;

/// Where Ctrl-W's deletion starts in `before` (the text before the cursor): separators at its
/// end first, then back to the previous one, so `home/kitchen/` loses `kitchen/` and `a b `
/// loses `b `.
pub fn word_start(before: &str) -> usize {
    let sep = |c: char| c == ' ' || c == '/';
    before.trim_end_matches(sep).rfind(sep).map_or(0, |i| i + 1)
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TextField {
    text: String,
    /// A byte index at a character boundary.
    cursor: usize,
    /// The text is selected: the next character or Backspace replaces all of it.
    selected: bool,
}

impl TextField {
    /// Text offered and selected, the cursor at its end.
    pub fn offered(text: impl Into<String>) -> TextField {
        let text = text.into();
        TextField {
            cursor: text.len(),
            selected: !text.is_empty(),
            text,
        }
    }

    /// Text to carry on typing after (not selected).
    pub fn with(text: impl Into<String>) -> TextField {
        let text = text.into();
        TextField {
            cursor: text.len(),
            selected: false,
            text,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    pub fn clear(&mut self) {
        *self = TextField::default();
    }

    /// Whether the offered text is still selected.
    pub fn is_selected(&self) -> bool {
        self.selected
    }

    /// Applies an editing key; false for a key that means nothing in a text field.
    pub fn edit(&mut self, action: Action) -> bool {
        match action {
            Action::Char(c) => {
                if std::mem::take(&mut self.selected) {
                    self.text.clear();
                    self.cursor = 0;
                }
                self.text.insert(self.cursor, c);
                self.cursor += c.len_utf8();
            }
            Action::Backspace => {
                if std::mem::take(&mut self.selected) {
                    self.clear();
                } else if let Some(c) = self.text[..self.cursor].chars().next_back() {
                    self.cursor -= c.len_utf8();
                    self.text.remove(self.cursor);
                }
            }
            Action::ClearField => self.clear(),
            Action::DeleteWord => {
                self.selected = false;
                let start = word_start(&self.text[..self.cursor]);
                self.text.replace_range(start..self.cursor, "");
                self.cursor = start;
            }
            Action::CursorLeft => {
                self.selected = false;
                if let Some(c) = self.text[..self.cursor].chars().next_back() {
                    self.cursor -= c.len_utf8();
                }
            }
            Action::CursorRight => {
                self.selected = false;
                if let Some(c) = self.text[self.cursor..].chars().next() {
                    self.cursor += c.len_utf8();
                }
            }
            Action::Home => {
                self.selected = false;
                self.cursor = 0;
            }
            Action::End => {
                self.selected = false;
                self.cursor = self.text.len();
            }
            _ => return false,
        }
        true
    }

    /// The field drawn on one line of `width` columns: the cursor only where the focus is, the
    /// selection highlighted; a longer text scrolls so the cursor stays in view, `…` where it
    /// goes on. Text from the wire (a prefilled payload) is shown with its control characters
    /// escaped.
    pub fn spans(&self, focused: bool, theme: &Theme, width: usize) -> Vec<Span<'static>> {
        let before: Vec<char> = crate::text::visible(&self.text[..self.cursor])
            .chars()
            .collect();
        let after: Vec<char> = crate::text::visible(&self.text[self.cursor..])
            .chars()
            .collect();
        let (n, c) = (before.len() + after.len(), before.len());
        let all: Vec<char> = before.into_iter().chain(after).collect();
        // Columns for text: the cursor takes one where the focus is.
        let room = width.saturating_sub(usize::from(focused)).max(3);
        // Keep the cursor in view, with an ellipsis at each cut end.
        let one_cut = room - 1;
        let (start, end) = if n <= room {
            (0, n)
        } else if c < one_cut {
            (0, one_cut)
        } else if c >= n - one_cut {
            (n - one_cut, n)
        } else {
            let inner = room - 2;
            (c - inner, c)
        };
        let text =
            |a: usize, b: usize| -> String { all[a.max(start)..b.min(end)].iter().collect() };
        let mut v = Vec::new();
        if start > 0 {
            v.push(Span::styled("…", theme.dim()));
        }
        if !focused {
            v.push(Span::raw(text(start, end)));
        } else if self.selected {
            v.push(Span::styled(text(start, end), theme.selected()));
            v.push(Span::styled("▏", Style::default().fg(theme.accent)));
        } else {
            v.push(Span::raw(text(start, c)));
            v.push(Span::styled("▏", Style::default().fg(theme.accent)));
            v.push(Span::raw(text(c, end)));
        }
        if end < n {
            v.push(Span::styled("…", theme.dim()));
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(f: &mut TextField, s: &str) {
        for c in s.chars() {
            f.edit(Action::Char(c));
        }
    }

    #[test]
    fn offered_text_is_replaced_by_the_first_key_and_kept_by_a_movement() {
        let mut f = TextField::offered("21.5");
        typed(&mut f, "22");
        assert_eq!(f.as_str(), "22");
        let mut f = TextField::offered("home/kitchen");
        f.edit(Action::End);
        typed(&mut f, "/temp");
        assert_eq!(f.as_str(), "home/kitchen/temp");
        let mut f = TextField::offered("greenhouse");
        f.edit(Action::Backspace);
        assert!(f.is_empty(), "Backspace on a selection deletes it");
    }

    #[test]
    fn cursor_ctrl_u_and_ctrl_w_edit_where_the_cursor_is() {
        let mut f = TextField::with("home/kitchen/temperature");
        f.edit(Action::DeleteWord);
        assert_eq!(f.as_str(), "home/kitchen/");
        f.edit(Action::DeleteWord);
        assert_eq!(f.as_str(), "home/");
        typed(&mut f, "bath");
        f.edit(Action::Home);
        typed(&mut f, "x/");
        assert_eq!(f.as_str(), "x/home/bath");
        f.edit(Action::CursorRight);
        f.edit(Action::Backspace);
        assert_eq!(f.as_str(), "x/ome/bath");
        f.edit(Action::End);
        f.edit(Action::CursorLeft);
        typed(&mut f, "é");
        assert_eq!(f.as_str(), "x/ome/batéh");
        f.edit(Action::Backspace);
        f.edit(Action::Backspace);
        assert_eq!(f.as_str(), "x/ome/bah");
        f.edit(Action::ClearField);
        assert!(f.is_empty());
        assert!(!f.edit(Action::Quit));
    }

    #[test]
    fn a_long_text_scrolls_to_keep_the_cursor_in_view() {
        let theme = Theme::default();
        let text = |f: &TextField, w: usize| -> String {
            f.spans(true, &theme, w)
                .iter()
                .map(|s| s.content.as_ref())
                .collect()
        };
        let mut f = TextField::with("0123456789abcdefghij");
        assert_eq!(text(&f, 12), "…abcdefghij▏");
        f.edit(Action::Home);
        assert_eq!(text(&f, 12), "▏0123456789…");
        f.edit(Action::CursorRight);
        assert_eq!(text(&f, 12), "0▏123456789…");
        for _ in 0..11 {
            f.edit(Action::CursorRight);
        }
        assert_eq!(text(&f, 12), "…ab▏cdefghij", "near the end: the end shown");
        // In the middle: an ellipsis at both ends, the cursor at the right one.
        let mut g = TextField::with("0123456789abcdefghijklmnopqrstuvwxyzABCD");
        for _ in 0..20 {
            g.edit(Action::CursorLeft);
        }
        assert_eq!(text(&g, 12), "…bcdefghij▏…");
        assert_eq!(text(&TextField::with("short"), 12), "short▏");
        // Not focused: no cursor, one column more.
        assert_eq!(
            f.spans(false, &theme, 12)
                .iter()
                .map(|s| s.content.as_ref())
                .collect::<String>(),
            "…9abcdefghij",
            "unfocused: the same window, no cursor"
        );
    }
}
