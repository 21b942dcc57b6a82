//! Event producers. Each runs as its own task and sends [`crate::source::event::Event`]s.

pub mod conn;
pub mod event;
pub mod mqtt;
pub mod record;
pub mod replay;
pub mod tls;

/// Whether `topic` matches the MQTT filter `filter` (`+` one level, `#` the rest); false for a
/// filter without wildcards (compare such a one directly).
pub fn filter_matches(filter: &str, topic: &str) -> bool {
    if !filter.contains(['+', '#']) {
        return false;
    }
    let mut f = filter.split('/');
    let mut t = topic.split('/');
    loop {
        match (f.next(), t.next()) {
            (Some("#"), _) => return true,
            (Some("+"), Some(_)) => {}
            (Some(a), Some(b)) if a == b => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}
