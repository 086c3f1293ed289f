//! `Stats`: what the pipeline has done so far, for dashboards, tests and shutdown reports.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

/// A snapshot of the pipeline's counters ([`crate::stats`], [`crate::Guard::stats`]).
///
/// Every record that passes the level filter is accounted for exactly once: once all
/// records have left the queue, `written + dropped == enqueued + dropped_new`, i.e.
/// everything emitted is either written or counted as dropped. One handler's own figures
/// are [`Stats::handler`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Stats {
    /// Records accepted onto the queue.
    pub enqueued: u64,
    /// Records the dispatcher handed to every handler they reach.
    pub written: u64,
    /// Records discarded: by the `drop` / `drop_oldest` policies, logged after shutdown,
    /// or left in the queue when `drain_timeout` expired.
    pub dropped: u64,
    /// Of `dropped`, those discarded by the backpressure policy.
    pub dropped_by_policy: u64,
    /// Handler operations (write, flush, rotate, reopen) that failed, and processor panics.
    pub handler_errors: u64,
    /// Of `written`, the records a handler accepted but lost when a write failed (the lines
    /// it had buffered then: disk full, permission removed …), summed over handlers. Each
    /// failure is also reported on stderr with its error code.
    pub lost: u64,
    /// The most records seen waiting in the queue (sampled by the dispatcher per batch).
    pub high_water: usize,
    /// Times a caller found its lane full under `block` and waited for room (a thread
    /// asleep, or a task suspended), once per record that waited. A waiting caller goes
    /// on once the dispatcher has emptied its lane, so a thread waits at most once per
    /// `queue.capacity` records it logs.
    pub waits: u64,
    /// Each handler's figures, by configured name, in configuration order.
    handlers: Vec<(String, HandlerStats)>,
}

impl Stats {
    /// The figures of the handler configured as `name` (`stats().handler("file")`), or
    /// `None` when no handler has that name.
    pub fn handler(&self, name: &str) -> Option<HandlerStats> {
        self.handlers
            .iter()
            .find(|(handler, _)| handler == name)
            .map(|(_, stats)| *stats)
    }

    /// Every handler's figures, by configured name, in the order the config file names
    /// them (a [`crate::Builder`]'s handler values after, in the order they were added).
    pub fn handlers(&self) -> impl Iterator<Item = (&str, HandlerStats)> {
        self.handlers
            .iter()
            .map(|(name, stats)| (name.as_str(), *stats))
    }
}

/// One handler's figures ([`Stats::handler`]).
///
/// `written` and `errors` are counted by the dispatcher as it hands records over; the rest
/// are the handler's own ([`crate::Handler::counts`]), read at every flush, so they are
/// current as of the dispatcher's last flush (it flushes whenever the queue runs dry).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct HandlerStats {
    /// Records the dispatcher handed to this handler (after its level floor and
    /// processors) that it accepted, with the `deferred` ones and the records its
    /// processors add (a `rate_limit` summary).
    pub written: u64,
    /// Failed operations of this handler (write, flush, rotate, reopen), panics of it and
    /// of its renderer and processors included.
    pub errors: u64,
    /// Records it accepted but lost to a failed write (its buffered lines then).
    pub lost: u64,
    /// Records a handler with a buffer of its own (a network handler) discarded by its
    /// `backpressure`, or gave up on at shutdown.
    pub dropped: u64,
    /// Records a network handler delivered to its destination.
    pub sent: u64,
    /// Sends a network handler tried again after a failure.
    pub retries: u64,
    /// Times a network handler connected to its destination again after losing it.
    pub reconnects: u64,
    /// Records a processor of this handler suppressed (a `rate_limit` over its limit):
    /// not written, each reported once, as the `suppressed` count of the key's next
    /// record or of its window's summary record.
    pub suppressed: u64,
    /// Records below the handler's `level` kept for `on_error` (each is later
    /// `deferred` or `discarded`, or still kept).
    pub kept: u64,
    /// Kept records written before an error record claimed them (`deferred = true`).
    pub deferred: u64,
    /// Kept records no error claimed: pushed out of a full ring, or their thread or task
    /// scope ended, or the handler closed.
    pub discarded: u64,
    /// Records a network handler wrote to its disk spool (key `spool`).
    pub spooled: u64,
    /// Records delivered from the disk spool (also counted in `sent`).
    pub replayed: u64,
    /// Bytes of the disk spool's segment files now.
    pub spool_bytes: u64,
    /// Torn records (cut by a crash) the spool found and skipped.
    pub torn: u64,
}

/// The live figures of one handler.
#[derive(Debug, Default)]
pub(crate) struct HandlerCounters {
    pub written: AtomicU64,
    pub errors: AtomicU64,
    pub suppressed: AtomicU64,
    pub kept: AtomicU64,
    pub deferred: AtomicU64,
    pub discarded: AtomicU64,
    /// The handler's own counts, copied at each flush.
    pub own: std::sync::Mutex<HandlerStats>,
}

impl HandlerCounters {
    fn snapshot(&self) -> HandlerStats {
        let own = *self.own.lock().unwrap_or_else(|e| e.into_inner());
        HandlerStats {
            written: self.written.load(Ordering::Acquire),
            errors: self.errors.load(Ordering::Acquire),
            suppressed: self.suppressed.load(Ordering::Acquire),
            kept: self.kept.load(Ordering::Acquire),
            deferred: self.deferred.load(Ordering::Acquire),
            discarded: self.discarded.load(Ordering::Acquire),
            ..own
        }
    }
}

/// The live counters behind [`Stats`]. Those the callers bump and those the dispatcher
/// bumps sit on separate cache lines, so neither side slows the other down.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub enqueued: AtomicU64,
    pub dropped_by_policy: AtomicU64,
    pub dropped_other: AtomicU64,
    /// Of `dropped_other`, the records logged after the guard was dropped.
    pub after_shutdown: AtomicU64,
    pub waits: AtomicU64,
    pub written: CacheLine<AtomicU64>,
    pub handler_errors: AtomicU64,
    pub lost: AtomicU64,
    pub high_water: AtomicUsize,
    /// The running config's handlers, in configuration order, each with the counters its
    /// pipeline bumps (replaced as a whole by a reload).
    pub handlers: std::sync::Mutex<Vec<(String, Arc<HandlerCounters>)>>,
}

/// A value alone on its cache line (and the fields after it on the next).
#[derive(Debug, Default)]
#[repr(align(128))]
pub(crate) struct CacheLine<T>(pub T);

impl<T> std::ops::Deref for CacheLine<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl Counters {
    /// Sets the handlers [`Stats::handlers`] lists (at build and at each reload).
    pub fn set_handlers(&self, handlers: Vec<(String, Arc<HandlerCounters>)>) {
        *self.handlers.lock().unwrap_or_else(|e| e.into_inner()) = handlers;
    }

    pub fn snapshot(&self) -> Stats {
        let by_policy = self.dropped_by_policy.load(Ordering::Acquire);
        Stats {
            enqueued: self.enqueued.load(Ordering::Acquire),
            written: self.written.load(Ordering::Acquire),
            dropped: by_policy + self.dropped_other.load(Ordering::Acquire),
            dropped_by_policy: by_policy,
            handler_errors: self.handler_errors.load(Ordering::Acquire),
            lost: self.lost.load(Ordering::Acquire),
            high_water: self.high_water.load(Ordering::Acquire),
            waits: self.waits.load(Ordering::Acquire),
            handlers: self
                .handlers
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .iter()
                .map(|(name, counters)| (name.clone(), counters.snapshot()))
                .collect(),
        }
    }
}
