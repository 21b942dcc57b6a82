//! Keyboard → [`Action`]. One table, so the help overlay and the handling cannot disagree.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// What a key asks for. Which actions apply depends on the tab and mode (see `UiState::handle`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    Help,
    Pause,
    NextTab,
    PrevTab,
    GoTab(usize),
    Up,
    Down,
    PageUp,
    PageDown,
    Home,
    End,
    Enter,
    Back,
    Filter,
    Sort,
    /// `v`: the Sensors tab flat across groups, or grouped again.
    View,
    /// Cycle the Devices tab's status filter.
    StatusFilter,
    /// Demo: cut the selected simulated device off without DISCONNECT.
    DropDevice,
    /// Demo: reconnect the selected simulated device.
    RestoreDevice,
    /// Demo: inject a fault into the selected simulated sensor.
    Fault(crate::sim::FaultKind),
    /// Reset the selected sensor (after confirmation).
    Reset,
    /// Reset every sensor that is anomalous now (after confirmation).
    ResetAnomalous,
    /// Open the control-command form.
    Control,
    /// `P`: publish any message (a form prefilled from the selection).
    Publish,
    /// `X`: clear the retained message of the selected topic (or of a subtree's topics).
    ClearRetained,
    /// Ask the selected Sparkplug edge node to publish its births again.
    Rebirth,
    /// Jump between a topic and its sensor or device.
    Jump,
    /// Ctrl-Z: suspend to the shell (`fg` resumes).
    Suspend,
    /// `y` in a confirmation.
    Confirm,
    /// `n` in a confirmation.
    No,
    /// Replay: pause / resume.
    ReplayPause,
    Faster,
    Slower,
    SeekBack,
    SeekForward,
    /// Replay: jump to the recording's start / end.
    SeekStart,
    SeekEnd,
    /// `a`: acknowledge the selected alarm; `z`: shelve it (again: unshelve).
    Acknowledge,
    Shelve,
    /// `]` / `[`: the detail chart reaches further back (from the store) / nearer.
    ZoomOut,
    ZoomIn,
    /// A character typed while the filter is being edited.
    Char(char),
    Backspace,
    /// In a text field: Ctrl-U clears it, Ctrl-W deletes the word before the cursor, ← →
    /// move the cursor.
    ClearField,
    DeleteWord,
    CursorLeft,
    CursorRight,
}

/// (keys, what they do) for the help overlay and the README.
pub const HELP: &[(&str, &str)] = &[
    ("q  Ctrl-C", "quit"),
    ("Ctrl-Z", "suspend to the shell; fg resumes"),
    ("?", "show / hide this help"),
    (
        "Tab  Shift-Tab  1-6",
        "switch tab (Sensors, Devices, Jobs, Log, Topics, Alarms)",
    ),
    ("p", "pause / resume the display (ingest goes on)"),
    (
        "↑ ↓  j k",
        "move in a list (in a detail view: previous / next)",
    ),
    ("PgUp PgDn", "page through a list or the journal"),
    (
        "Home End  g G",
        "first / last row of a list (Log: oldest / follow)",
    ),
    (
        "Enter",
        "open / close the selected row's detail; fold a group",
    ),
    (
        "/",
        "filter (Sensors, Log, Topics); Enter keeps, Esc clears",
    ),
    (
        "s",
        "sort: name, value, σ, anomalies, status, last seen, rate",
    ),
    ("v", "Sensors: one flat list across groups, or grouped"),
    (
        "t",
        "jump: sensor or device → its topic, topic → its series",
    ),
    (
        "f",
        "Devices: show all / online / offline / stale / unknown",
    ),
    (
        "x  u",
        "demo: drop the selected device hard / bring it back",
    ),
    (
        "! = ~",
        "demo: inject a spike / stuck value / runaway drift",
    ),
    (
        "r  R",
        "reset the selected sensor / every anomalous one (shown first)",
    ),
    (
        "c  B",
        "control command (name, value) · B: Sparkplug rebirth",
    ),
    (
        "P  X",
        "publish any message (prefilled) · Topics: clear retained ones",
    ),
    (
        "[ ]  a  z",
        "chart 1 h / 24 h / 7 d (--store) · Alarms: ack / shelve",
    ),
    ("Enter y / Esc n", "confirm / cancel a command"),
    (
        "space + - ← → < >",
        "replay: pause, speed, seek 10 s, jump to start / end",
    ),
    ("Esc", "close help or detail, clear the filter"),
    (
        "mouse",
        "click a tab or a row (again: open it), wheel scrolls",
    ),
];

/// Maps a key press. `editing` is true while the filter line has focus, so letters type.
pub fn action(key: KeyEvent, editing: bool) -> Option<Action> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        return match key.code {
            KeyCode::Char('c') => Some(Action::Quit),
            KeyCode::Char('z') => Some(Action::Suspend),
            KeyCode::Char('u') if editing => Some(Action::ClearField),
            KeyCode::Char('w') if editing => Some(Action::DeleteWord),
            _ => None,
        };
    }
    if editing {
        return match key.code {
            KeyCode::Char(c) => Some(Action::Char(c)),
            KeyCode::Backspace => Some(Action::Backspace),
            KeyCode::Enter => Some(Action::Enter),
            KeyCode::Esc => Some(Action::Back),
            KeyCode::Tab => Some(Action::NextTab),
            KeyCode::BackTab => Some(Action::PrevTab),
            KeyCode::Up => Some(Action::Up),
            KeyCode::Down => Some(Action::Down),
            KeyCode::Left => Some(Action::CursorLeft),
            KeyCode::Right => Some(Action::CursorRight),
            KeyCode::Home => Some(Action::Home),
            KeyCode::End => Some(Action::End),
            _ => None,
        };
    }
    Some(match key.code {
        KeyCode::Char('q') => Action::Quit,
        KeyCode::Char('?') => Action::Help,
        KeyCode::Char('p') => Action::Pause,
        KeyCode::Tab => Action::NextTab,
        KeyCode::BackTab => Action::PrevTab,
        KeyCode::Char(c @ '1'..='9') => Action::GoTab(c as usize - '1' as usize),
        KeyCode::Up | KeyCode::Char('k') => Action::Up,
        KeyCode::Down | KeyCode::Char('j') => Action::Down,
        KeyCode::PageUp => Action::PageUp,
        KeyCode::PageDown => Action::PageDown,
        KeyCode::Home | KeyCode::Char('g') => Action::Home,
        KeyCode::End | KeyCode::Char('G') => Action::End,
        KeyCode::Enter => Action::Enter,
        KeyCode::Esc | KeyCode::Backspace => Action::Back,
        KeyCode::Char('/') => Action::Filter,
        KeyCode::Char('s') => Action::Sort,
        KeyCode::Char('v') => Action::View,
        KeyCode::Char('f') => Action::StatusFilter,
        KeyCode::Char('r') => Action::Reset,
        KeyCode::Char('R') => Action::ResetAnomalous,
        KeyCode::Char('c') => Action::Control,
        KeyCode::Char('P') => Action::Publish,
        KeyCode::Char('X') => Action::ClearRetained,
        KeyCode::Char('B') => Action::Rebirth,
        KeyCode::Char('t') => Action::Jump,
        KeyCode::Char('y') => Action::Confirm,
        KeyCode::Char(' ') => Action::ReplayPause,
        KeyCode::Char('+') => Action::Faster,
        KeyCode::Char('-') => Action::Slower,
        KeyCode::Left => Action::SeekBack,
        KeyCode::Right => Action::SeekForward,
        KeyCode::Char('<') => Action::SeekStart,
        KeyCode::Char('>') => Action::SeekEnd,
        KeyCode::Char('n') => Action::No,
        KeyCode::Char('x') => Action::DropDevice,
        KeyCode::Char('u') => Action::RestoreDevice,
        KeyCode::Char('!') => Action::Fault(crate::sim::FaultKind::Spike),
        KeyCode::Char('=') => Action::Fault(crate::sim::FaultKind::Stuck),
        KeyCode::Char('~') => Action::Fault(crate::sim::FaultKind::Drift),
        KeyCode::Char('a') => Action::Acknowledge,
        KeyCode::Char('z') => Action::Shelve,
        KeyCode::Char(']') => Action::ZoomOut,
        KeyCode::Char('[') => Action::ZoomIn,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn letters_type_while_editing() {
        assert_eq!(action(key(KeyCode::Char('q')), false), Some(Action::Quit));
        assert_eq!(
            action(key(KeyCode::Char('q')), true),
            Some(Action::Char('q'))
        );
        assert_eq!(
            action(
                KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL),
                true
            ),
            Some(Action::Quit)
        );
    }

    #[test]
    fn tabs_by_number() {
        assert_eq!(
            action(key(KeyCode::Char('2')), false),
            Some(Action::GoTab(1))
        );
        assert_eq!(action(key(KeyCode::F(5)), false), None);
    }
}
