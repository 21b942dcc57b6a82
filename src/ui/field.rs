//! One line of text being typed — a form's field or a tab's filter — the way gitui's and
//! lazygit's inputs behave: a cursor (←/→, Home/End), Backspace before it, Ctrl-U clears the
//! field, Ctrl-W deletes the word (or topic level) before the cursor; text offered by twinview
//! (a prefilled payload, the previous filter) is selected, so the first key typed replaces it
//! and a movement key keeps it.

use ratatui::style::Style;
use ratatui::text::Span;

use super::keys::Action;
use super::theme::Theme;

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
                let before = &self.text[..self.cursor];
                // Separators at the cursor first, then back to the previous one: `home/kitchen/`
                // loses `kitchen/`, `a b ` loses `b `.
                let sep = |c: char| c == ' ' || c == '/';
                let trimmed = before.trim_end_matches(sep);
                let start = trimmed.rfind(sep).map_or(0, |i| i + 1);
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

    /// The field drawn: the cursor only where the focus is, the selection highlighted. Text
    /// from the wire (a prefilled payload) is shown with its control characters escaped.
    pub fn spans(&self, focused: bool, theme: &Theme) -> Vec<Span<'static>> {
        let shown = |s: &str| crate::text::visible(s).into_owned();
        if !focused {
            return vec![Span::raw(shown(&self.text))];
        }
        let cursor = Span::styled("▏", Style::default().fg(theme.accent));
        if self.selected {
            return vec![Span::styled(shown(&self.text), theme.selected()), cursor];
        }
        vec![
            Span::raw(shown(&self.text[..self.cursor])),
            cursor,
            Span::raw(shown(&self.text[self.cursor..])),
        ]
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
}
