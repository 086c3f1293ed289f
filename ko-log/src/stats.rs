//! `Stats`: what the pipeline has done so far, for dashboards, tests and shutdown reports.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// A snapshot of the pipeline's counters ([`crate::stats`], [`crate::Guard::stats`]).
///
/// Every record that passes the level filter is accounted for exactly once: once all
/// records have left the queue, `written + dropped == enqueued + dropped_new`, i.e.
/// everything emitted is either written or counted as dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
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
    pub written: CacheLine<AtomicU64>,
    pub handler_errors: AtomicU64,
    pub lost: AtomicU64,
    pub high_water: AtomicUsize,
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
        }
    }
}
