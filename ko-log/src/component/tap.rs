//! The tap: where an observer that is not a handler (`ko_log::testing`'s sinks) sees the
//! records the dispatcher delivers. The observer attaches itself once per process; the
//! dispatcher knows it only by these two functions, which cost one load while nothing is
//! attached.

use std::sync::OnceLock;

use crate::event::Event;

/// What an attached observer is told.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tap {
    /// A record as its route delivers it, before any handler's processors, with the
    /// capture scopes it was logged in.
    pub deliver: fn(&Event, &[u64]),
    /// What a handler (by name) receives, after its processors.
    pub deliver_to_handler: fn(&str, &Event),
}

static TAP: OnceLock<Tap> = OnceLock::new();

/// Attaches the observer; a second one is ignored.
pub(crate) fn attach(tap: Tap) {
    let _ = TAP.set(tap);
}

/// Called by the dispatcher for every record, with the capture scopes it was logged in.
pub(crate) fn deliver(event: &Event, scoped: &[u64]) {
    if let Some(tap) = TAP.get() {
        (tap.deliver)(event, scoped);
    }
}

/// Called by the dispatcher with what `handler` receives, after its processors.
pub(crate) fn deliver_to_handler(handler: &str, event: &Event) {
    if let Some(tap) = TAP.get() {
        (tap.deliver_to_handler)(handler, event);
    }
}
