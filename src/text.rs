//! Text from the wire or from files, made safe for a terminal; and the one reading of a
//! duration written as text ([`parse_duration`]), for the command line, the config file and
//! alarm rules alike.
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

/// `text` with its user-info (everything between the scheme and the last `@`) replaced by
/// `…`, for error messages.
pub fn redacted(text: &str) -> String {
    let (scheme, rest) = match text.split_once("://") {
        Some((s, r)) => (format!("{s}://"), r),
        None => (String::new(), text),
    };
    match rest.rsplit_once('@') {
        Some((_, host)) => format!("{scheme}…@{host}"),
        None => text.to_string(),
    }
}

/// `500ms`, `30s`, `5m`, `1h`, `7d`, or a plain number of seconds.
pub fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let n: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a duration (try 30s, 5m, 1h, 7d or 500ms)"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" | "min" => n * 60.0,
        "h" => n * 3600.0,
        "d" => n * 86_400.0,
        _ => {
            return Err(format!(
                "unknown unit `{unit}` in `{s}` (use ms, s, m, h or d)"
            ))
        }
    };
    if !secs.is_finite() || !(0.0..=1e9).contains(&secs) {
        return Err(format!("`{s}` is out of range"));
    }
    Ok(std::time::Duration::from_secs_f64(secs))
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
