//! Status records: how a handler that sends from a thread of its own (`socket`, `syslog`
//! through `sender`, and `otlp`) tells the rest of the program that its destination went
//! away and came back.
//!
//! - **What is logged**, on the `ko_log` target: a `warn` record when the destination
//!   becomes unreachable (`log destination D is unreachable (E); …`, fields
//!   `destination`, `error`, `sender`) and an `info` record when it is back (fields
//!   `destination`, `dropped` meanwhile, `down_ms`, `sender`). The wording and fields are
//!   the same for every handler, so users read one vocabulary.
//! - **Who does what.** The handler's thread notices the outage and its end through an
//!   [`Outage`], which queues at most one status per transition into the handler's
//!   [`Statuses`]. The handler, on the dispatcher thread, calls [`Statuses::log`] at its
//!   next `write`, `flush` or `sync` (the dispatcher flushes whenever its queue runs dry),
//!   which logs them through `log::logger()`; no thread of a handler ever calls the
//!   logger itself.
//! - **Never to the destination they are about.** Each [`Statuses`] has a process-wide
//!   id, written in the `sender` field; the handler skips the records whose `sender` is its
//!   own ([`Statuses::is_own`]), so they reach every other handler the `ko_log` target
//!   routes to.

use std::fmt::Display;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::Event;

/// The field of a status record that names the handler it is about.
pub(crate) const SENDER_FIELD: &str = "sender";

/// Numbers the status sources of a process, so a status record names the one it is about.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A destination going away or coming back, queued for the dispatcher to log.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Status {
    Gone { error: String },
    Back { dropped: u64, down_for: Duration },
}

/// One handler's queued status records, its id and its destination. Shared between the
/// handler (which logs and filters) and its thread (which queues, through [`Outage`]).
#[derive(Debug)]
pub(crate) struct Statuses {
    id: u64,
    destination: String,
    /// The handler's `buffer`, quoted in the `unreachable` record.
    buffer: usize,
    queued: Mutex<Vec<Status>>,
}

impl Statuses {
    /// The statuses of a handler sending to `destination` (`tcp://127.0.0.1:601`, an
    /// OTLP URL) that holds at most `buffer` records while it is away.
    pub fn new(destination: String, buffer: usize) -> Statuses {
        Statuses {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            destination,
            buffer,
            queued: Mutex::new(Vec::new()),
        }
    }

    /// Queues `status` and wakes the dispatcher, whose routine flush (the queue ran dry)
    /// makes the handler log it: an idle program gets the record now, not with its next
    /// one.
    fn queue(&self, status: Status) {
        self.queued
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(status);
        if let Some(backend) = crate::init::installed() {
            backend.wake();
        }
    }

    /// Whether `event` is a status record about this handler, which it must not send to
    /// the destination it is about.
    pub fn is_own(&self, event: &Event) -> bool {
        event.target == "ko_log"
            && matches!(event.fields.get(SENDER_FIELD), Some(crate::Value::U64(id)) if *id == self.id)
    }

    /// Logs the queued status records through the global logger. Called by the handler
    /// on the dispatcher thread.
    pub fn log(&self) {
        let statuses = {
            let mut queued = self.queued.lock().unwrap_or_else(|e| e.into_inner());
            if queued.is_empty() {
                return;
            }
            std::mem::take(&mut *queued)
        };
        let destination = self.destination.as_str();
        for status in statuses {
            match status {
                Status::Gone { error } => {
                    let fields: [(&str, log::kv::Value<'_>); 3] = [
                        ("destination", destination.into()),
                        ("error", error.as_str().into()),
                        (SENDER_FIELD, self.id.into()),
                    ];
                    emit(
                        log::Level::Warn,
                        format_args!(
                            "log destination {destination} is unreachable ({error}); records are buffered (at most {}) and sent when it is back",
                            self.buffer
                        ),
                        &fields,
                    );
                }
                Status::Back { dropped, down_for } => {
                    let millis = u64::try_from(down_for.as_millis()).unwrap_or(u64::MAX);
                    let fields: [(&str, log::kv::Value<'_>); 4] = [
                        ("destination", destination.into()),
                        ("dropped", dropped.into()),
                        ("down_ms", millis.into()),
                        (SENDER_FIELD, self.id.into()),
                    ];
                    emit(
                        log::Level::Info,
                        format_args!(
                            "log destination {destination} is back after {:.1}s; {dropped} records were dropped meanwhile",
                            down_for.as_secs_f64()
                        ),
                        &fields,
                    );
                }
            }
        }
    }
}

impl Drop for Statuses {
    /// A status the handler's thread queued after the dispatcher's last flush (while it
    /// delivered what it held at shutdown) can no longer be logged: it is said on stderr,
    /// never dropped unseen.
    fn drop(&mut self) {
        let queued = self.queued.get_mut().unwrap_or_else(|e| e.into_inner());
        for status in std::mem::take(queued) {
            let destination = self.destination.as_str();
            crate::report::say(
                "HANDLER::Status::SHUTDOWN::WARNING",
                &match status {
                    Status::Gone { error } => format!(
                        "log destination {destination} became unreachable ({error}) as ko-log shut down"
                    ),
                    Status::Back { dropped, down_for } => format!(
                        "log destination {destination} was back after {:.1}s as ko-log shut down; {dropped} records were dropped meanwhile",
                        down_for.as_secs_f64()
                    ),
                },
            );
        }
    }
}

/// Logs one status record through the global logger, on the `ko_log` target.
pub(super) fn emit(
    level: log::Level,
    args: std::fmt::Arguments<'_>,
    fields: &[(&str, log::kv::Value<'_>)],
) {
    let logger = log::logger();
    let metadata = log::Metadata::builder()
        .level(level)
        .target("ko_log")
        .build();
    if !logger.enabled(&metadata) {
        return;
    }
    logger.log(
        &log::Record::builder()
            .metadata(metadata)
            .args(args)
            .module_path_static(Some(module_path!()))
            .key_values(&fields)
            .build(),
    );
}

/// The sending thread's view of an outage: since when, and the handler's drop count
/// then. Queues one status when it starts and one when it ends.
#[derive(Debug, Default)]
pub(crate) struct Outage {
    since: Option<(Instant, u64)>,
}

impl Outage {
    /// A send or connection failed with `error`, the handler having dropped `dropped`
    /// records so far. Returns whether this began an outage (queued `unreachable`).
    pub fn down(&mut self, statuses: &Statuses, dropped: u64, error: &dyn Display) -> bool {
        if self.since.is_some() {
            return false;
        }
        self.since = Some((Instant::now(), dropped));
        statuses.queue(Status::Gone {
            error: error.to_string(),
        });
        true
    }

    /// The destination answered, the handler having dropped `dropped` records so far.
    /// Returns whether this ended an outage (queued `back`, with the drops meanwhile).
    pub fn up(&mut self, statuses: &Statuses, dropped: u64) -> bool {
        let Some((since, dropped_then)) = self.since.take() else {
            return false;
        };
        statuses.queue(Status::Back {
            dropped: dropped.saturating_sub(dropped_then),
            down_for: since.elapsed(),
        });
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_status_per_transition_with_the_drops_meanwhile() {
        let statuses = Statuses::new("tcp://x".to_owned(), 10);
        let mut outage = Outage::default();
        assert!(!outage.up(&statuses, 0), "not down: nothing to say");
        assert!(outage.down(&statuses, 3, &"refused"));
        assert!(!outage.down(&statuses, 5, &"refused again"));
        assert!(outage.up(&statuses, 10));
        assert!(!outage.up(&statuses, 10));
        let queued = statuses.queued.lock().unwrap().clone();
        assert_eq!(queued.len(), 2);
        assert_eq!(
            queued[0],
            Status::Gone {
                error: "refused".to_owned()
            }
        );
        assert!(matches!(queued[1], Status::Back { dropped: 7, .. }));
    }

    #[test]
    fn only_its_own_status_records_are_its_own() {
        let a = Statuses::new("a".to_owned(), 1);
        let b = Statuses::new("b".to_owned(), 1);
        let mut event = Event::new(log::Level::Warn, "ko_log", "down");
        event.fields.insert(SENDER_FIELD, a.id);
        assert!(a.is_own(&event));
        assert!(!b.is_own(&event));
        event.target = "app".into();
        assert!(!a.is_own(&event), "only on the ko_log target");
    }
}
