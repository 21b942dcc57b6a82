//! A panic while applying one event must not end twinview: the event is counted, its topic
//! named once in the log, and ingest goes on (the twin is a view of the network; one bad
//! message costs that message, not the session).
//!
//! The panic hook is wrapped so that a panic caught here is neither printed over the UI nor
//! allowed to restore the terminal underneath it; every other panic goes to the hook that
//! was installed before (which restores the terminal in the UI).

use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe};

use crate::source::event::Event;
use crate::twin::Twin;

thread_local! {
    static GUARDED: Cell<bool> = const { Cell::new(false) };
    static MESSAGE: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Wraps the current panic hook. The UI calls it again after the terminal's own hook is set
/// up, so that a caught panic stops here and never reaches the hook that restores the
/// terminal; an uncaught one goes down the whole chain as before.
pub fn install() {
    let previous = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        if GUARDED.with(Cell::get) {
            let text = info.to_string();
            MESSAGE.with(|m| *m.borrow_mut() = Some(text));
        } else {
            previous(info);
        }
    }));
}

/// Runs `f`; a panic inside it is caught and returned as its message.
pub fn catch<R>(f: impl FnOnce() -> R) -> Result<R, String> {
    GUARDED.with(|g| g.set(true));
    let r = panic::catch_unwind(AssertUnwindSafe(f));
    GUARDED.with(|g| g.set(false));
    r.map_err(|payload| {
        MESSAGE
            .with(|m| m.borrow_mut().take())
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".into())
    })
}

/// Applies `ev` to the twin; a panic is counted in `twin.panics` and said once per topic.
pub fn apply(twin: &mut Twin, ev: &Event) {
    apply_with(twin, ev, |t| t.apply(ev));
}

/// [`apply`] around any way of applying `ev` (replay applies pre-decoded messages).
pub fn apply_with(twin: &mut Twin, ev: &Event, f: impl FnOnce(&mut Twin)) {
    if let Err(why) = catch(|| f(twin)) {
        twin.panics += 1;
        let topic = match ev {
            Event::Message(m) => m.topic.as_str(),
            Event::Command(c) => c.command.topic.as_str(),
            Event::Connection(_) => "(connection event)",
        };
        if twin.panics <= 20 {
            log::error!(
                "could not apply a message on {topic}: {} — counted, ingest goes on",
                crate::live::guard::first_line(&why)
            );
        }
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_is_caught_counted_and_ingest_goes_on() {
        install();
        assert_eq!(catch(|| 41 + 1), Ok(42));
        let err = catch(|| -> u8 { panic!("boom on purpose") }).unwrap_err();
        assert!(err.contains("boom on purpose"), "{err}");
        let mut twin = Twin::default();
        let ev = Event::Message(crate::source::event::Message::new(
            chrono::Utc::now(),
            "a/b",
            b"1".to_vec(),
        ));
        apply_with(&mut twin, &ev, |_| panic!("inside the twin"));
        assert_eq!(twin.panics, 1);
        apply(&mut twin, &ev);
        assert_eq!((twin.panics, twin.messages), (1, 1));
    }
}
