//! Status records: how a handler that sends from a thread of its own (`socket`, `syslog`
//! through `sender`, and `otlp`) tells the rest of the program that its destination went
//! away and came back.
//!
//! - **What is logged**, on the `ko_log` target: a `warn` record when the destination
//!   becomes unreachable (`log destination D is unreachable (E); …`, fields
//!   `destination`, `error`, `sender`) and an `info` record when it is back (fields
//!   `destination`, `dropped` meanwhile, `down_ms`, `sender`). The wording and fields are
//!   the same for every handler, so users read one vocabulary; `sender` pairs the two
//!   records of one handler.
//! - **Who does what.** The handler's thread notices the outage and its end through an
//!   [`Outage`], which sends one status record per transition through the handler's
//!   [`Handle`]: straight to the dispatcher, which writes it to every handler the `ko_log`
//!   target routes to but the one it is about.

use std::fmt::Display;
use std::time::Instant;

use crate::event::Event;
use crate::handler::Handle;

/// A handler's destination as its sending thread sees it: where its status records go,
/// and since when (and since which drop count) it is away. Sends one status when an
/// outage starts and one when it ends.
#[derive(Debug)]
pub(crate) struct Outage {
    handle: Handle,
    destination: String,
    /// The handler's `buffer`, quoted in the `unreachable` record.
    buffer: usize,
    since: Option<(Instant, u64)>,
}

impl Outage {
    /// The outages of a handler sending to `destination` (`tcp://127.0.0.1:601`, an
    /// OTLP URL) that holds at most `buffer` records while it is away.
    pub fn new(handle: Handle, destination: String, buffer: usize) -> Outage {
        Outage {
            handle,
            destination,
            buffer,
            since: None,
        }
    }

    /// A send or connection failed with `error`, the handler having dropped `dropped`
    /// records so far. Returns whether this began an outage (sent `unreachable`).
    pub fn down(&mut self, dropped: u64, error: &dyn Display) -> bool {
        if self.since.is_some() {
            return false;
        }
        self.since = Some((Instant::now(), dropped));
        let (destination, error) = (self.destination.as_str(), error.to_string());
        let mut event = status(
            log::Level::Warn,
            format!(
                "log destination {destination} is unreachable ({error}); records are buffered (at most {}) and sent when it is back",
                self.buffer
            ),
        );
        event.fields.insert("destination", destination.to_owned());
        event.fields.insert("error", error);
        self.handle.status(event);
        true
    }

    /// The destination answered, the handler having dropped `dropped` records so far.
    /// Returns whether this ended an outage (sent `back`, with the drops meanwhile).
    pub fn up(&mut self, dropped: u64) -> bool {
        let Some((since, dropped_then)) = self.since.take() else {
            return false;
        };
        let (dropped, down_for) = (dropped.saturating_sub(dropped_then), since.elapsed());
        let destination = self.destination.as_str();
        let mut event = status(
            log::Level::Info,
            format!(
                "log destination {destination} is back after {:.1}s; {dropped} records were dropped meanwhile",
                down_for.as_secs_f64()
            ),
        );
        event.fields.insert("destination", destination.to_owned());
        event.fields.insert("dropped", dropped);
        let millis = u64::try_from(down_for.as_millis()).unwrap_or(u64::MAX);
        event.fields.insert("down_ms", millis);
        self.handle.status(event);
        true
    }
}

/// A status record on the `ko_log` target, from this module, on the current thread.
pub(crate) fn status(level: log::Level, message: String) -> Event {
    let mut event = Event::new(level, "ko_log", message);
    event.module_path = Some(module_path!().into());
    if let Some(name) = std::thread::current().name() {
        event.thread = name.into();
    }
    event
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_status_per_transition_with_the_drops_meanwhile() {
        let core = std::sync::Arc::new(crate::component::handle::Core::default());
        core.set_wake(|| {});
        let mut outage = Outage::new(Handle::new(&core), "tcp://x".to_owned(), 10);
        assert!(!outage.up(0), "not down: nothing to say");
        assert!(outage.down(3, &"refused"));
        assert!(!outage.down(5, &"refused again"));
        assert!(outage.up(10));
        assert!(!outage.up(10));
        let sent = core.take_statuses();
        assert_eq!(sent.len(), 2);
        assert_eq!(
            sent[0].1.message,
            "log destination tcp://x is unreachable (refused); records are buffered (at most 10) and sent when it is back"
        );
        assert_eq!(
            sent[0].1.fields.get("error"),
            Some(&crate::Value::from("refused"))
        );
        assert_eq!(sent[1].1.level, log::Level::Info);
        assert_eq!(sent[1].1.fields.get("dropped"), Some(&crate::Value::U64(7)));
    }
}
