//! Text from the wire or from files, made safe for a terminal.
//!
//! Topics, payloads, ids and recording lines reach stderr (log lines, error messages) and the
//! Log tab. A control character there (ESC, BEL, CR…) or a bidirectional override could
//! retitle the terminal, clear the screen or reorder what is shown; [`visible`] writes each
//! as an escape (`\u{1b}`) instead. This is the one place it is done: every log line passes
//! through it on its way to stderr or the Log tab, and so do twinview's error messages. JSON
//! outputs (snapshot, recording, events) keep the exact text.

use std::borrow::Cow;
use std::fmt::Write;

/// Whether a character must not reach a terminal as it is.
fn unsafe_char(c: char) -> bool {
    c.is_control()
        // Bidirectional embeddings, overrides and isolates; marks that reorder text.
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
        // Zero-width characters and joiners: invisible, or gluing characters into one glyph
        // whose width the terminal and twinview disagree on (borders shift).
        || matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{FE0F}')
}

/// `s` with every control character and bidirectional override written as `\u{…}`.
/// Borrowed (no copy) when there is nothing to change, which is nearly always.
pub fn visible(s: &str) -> Cow<'_, str> {
    if !s.chars().any(unsafe_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if unsafe_char(c) {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// [`visible`], keeping line breaks and tabs (for multi-line messages such as help text).
pub fn visible_lines(s: &str) -> String {
    s.split('\n')
        .map(|l| l.split('\t').map(visible).collect::<Vec<_>>().join("\t"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_become_visible_and_plain_text_is_not_copied() {
        assert!(matches!(visible("s1 went offline"), Cow::Borrowed(_)));
        assert_eq!(visible("\u{1b}]0;PWNED\u{7}"), "\\u{1b}]0;PWNED\\u{7}");
        assert_eq!(visible("a\u{202e}b\rc"), "a\\u{202e}b\\u{d}c");
        assert_eq!(visible("é ✓ 温度"), "é ✓ 温度");
        assert_eq!(visible_lines("one\n\ttwo\u{1b}"), "one\n\ttwo\\u{1b}");
        assert_eq!(visible("s\u{200b}1"), "s\\u{200b}1");
        assert_eq!(
            visible("\u{feff}x\u{2764}\u{fe0f}"),
            "\\u{feff}x\u{2764}\\u{fe0f}"
        );
        assert_eq!(crate::ui::widgets::fit("s1\u{202e}2s", 20), "s1\\u{202e}2s");
    }
}
