//! [`Hold`]: how a handler with a buffer and a thread of its own keeps `backpressure =
//! "block"` lossless without ever making the dispatcher wait.
//!
//! The dispatcher serves every handler, so if it waited for one (a collector that is
//! down, a slow network), every other handler would wait with it. It never does. When a
//! `block` handler's buffer is full, the handler still takes the record and *raises* its
//! hold. From then on the **callers** whose records are routed to that handler, at a level
//! it accepts, wait in `log::info!` before queueing, exactly as they would for a full
//! queue under the queue's own `block`, until the handler's thread has emptied its
//! buffer to half and *lowers* the hold. The dispatcher, every other handler and every
//! caller logging elsewhere go on at full speed.
//!
//! While a hold is up, the handler still receives what was already on its way: the
//! records in the queue (at most the queue's `capacity`), one per caller that passed the
//! check a moment before it was raised, and what the dispatcher logs itself (which never
//! waits). So a `block` buffer over-fills by at most that much, and loses nothing.
//!
//! Closing the backend (the guard dropped) lowers every hold: a caller waiting then
//! counts its record as dropped after shutdown, as it would for the queue.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use ko_log_config::{Backpressure, QueueConfig};

use crate::report;

/// The most a `block` buffer takes beyond its size while its hold is up: twice the
/// largest queue (what was queued, and what the dispatcher may set aside) and a margin
/// for racing callers. A safety net the bound in the module docs never reaches; past it a
/// record is dropped, counted and reported.
pub(crate) const OVERFILL: usize = 2 * QueueConfig::MAX_CAPACITY + 65_536;

/// What a buffer holding `len` of `capacity` does with one more record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admit {
    /// Room (or `block`, over-filling with its hold raised): push it.
    Push,
    /// `drop_oldest` and full: evict the oldest, then push it.
    EvictOldest,
    /// `drop` and full, or past [`OVERFILL`]: discard it (the caller counts it).
    Refuse,
}

/// Applies `policy` to a buffer of `len` records out of `capacity`, raising `hold` when a
/// `block` buffer is full. Call it under the buffer's lock.
pub(crate) fn admit(len: usize, capacity: usize, policy: Backpressure, hold: &Hold) -> Admit {
    if len < capacity {
        return Admit::Push;
    }
    match policy {
        Backpressure::Drop => Admit::Refuse,
        Backpressure::DropOldest => Admit::EvictOldest,
        Backpressure::Block if len < capacity.saturating_add(OVERFILL) => {
            hold.raise();
            Admit::Push
        }
        // `block` past its overfill (and any policy a later version adds).
        _ => {
            report::report(
                "HANDLER::Hold::OVERFILL::ERROR",
                &format!(
                    "a `block` buffer of {capacity} records grew past {len} with its callers held; the excess is dropped (counted in `dropped`)"
                ),
            );
            Admit::Refuse
        }
    }
}

/// Lowers `hold` once the buffer is down to half its `capacity` (its thread took a
/// batch). Call it under the buffer's lock.
pub(crate) fn made_room(len: usize, capacity: usize, hold: &Hold) {
    if len <= capacity / 2 {
        hold.lower();
    }
}

/// A handler's request that the callers routed to it wait before queueing (see the
/// module docs). Cheap to clone; clones share one state.
///
/// A handler that buffers for a thread of its own returns its hold from
/// [`crate::Handler::hold`] and raises it when its buffer is full under `block`; its
/// thread lowers it once it has made room. Raise and lower it under the lock that guards
/// the buffer, so that the hold always matches the buffer's state.
///
/// ```
/// let hold = ko_log::handler::Hold::new();
/// assert!(!hold.is_raised());
/// hold.raise();
/// assert!(hold.is_raised());
/// hold.lower();
/// assert!(!hold.is_raised());
/// ```
#[derive(Debug, Clone, Default)]
pub struct Hold(Arc<Inner>);

#[derive(Debug, Default)]
struct Inner {
    /// Whether the gate is up: read by every caller routed to the handler, so an atomic.
    raised: AtomicBool,
    gate: Mutex<Option<Gate>>,
}

/// While a hold is up: a channel no one sends on. Lowering drops its sender, which wakes
/// every waiter at once, thread or async task alike.
#[derive(Debug)]
struct Gate {
    _open: flume::Sender<()>,
    closed: flume::Receiver<()>,
}

impl Hold {
    /// A hold that is down.
    pub fn new() -> Hold {
        Hold::default()
    }

    fn lock(&self) -> MutexGuard<'_, Option<Gate>> {
        self.0.gate.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Asks the callers routed to this handler to wait. Does nothing if it is up already.
    pub fn raise(&self) {
        let mut gate = self.lock();
        if gate.is_none() {
            let (open, closed) = flume::bounded(0);
            *gate = Some(Gate {
                _open: open,
                closed,
            });
        }
        self.0.raised.store(true, Ordering::Release);
    }

    /// Lets the waiting callers go on. Does nothing if it is down already.
    pub fn lower(&self) {
        let gate = {
            let mut gate = self.lock();
            self.0.raised.store(false, Ordering::Release);
            gate.take()
        };
        // Dropped outside the lock: the waiters it wakes take the lock next.
        drop(gate);
    }

    /// Whether callers are asked to wait now (one atomic load).
    #[inline]
    pub fn is_raised(&self) -> bool {
        self.0.raised.load(Ordering::Acquire)
    }

    /// The channel to wait on while the hold is up; `None` when it is down.
    fn waiter(&self) -> Option<flume::Receiver<()>> {
        self.lock().as_ref().map(|gate| gate.closed.clone())
    }

    /// Waits while the hold is up and `open()` holds; returns `open()`'s last answer
    /// (`false`: the backend closed while waiting).
    pub(crate) fn wait(&self, open: impl Fn() -> bool) -> bool {
        while let Some(waiter) = self.waiter() {
            if !open() {
                return false;
            }
            // Returns `Disconnected` when the hold is lowered (nothing is ever sent).
            let _ = waiter.recv();
        }
        open()
    }

    /// [`Hold::wait`] for async code: the task waits, its thread does not.
    pub(crate) async fn wait_async(&self, open: impl Fn() -> bool) -> bool {
        while let Some(waiter) = self.waiter() {
            if !open() {
                return false;
            }
            let _ = waiter.recv_async().await;
        }
        open()
    }
}

#[cfg(test)]
mod tests {
    use super::Hold;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    #[test]
    fn a_waiter_goes_on_when_the_hold_is_lowered() {
        let hold = Hold::new();
        hold.raise();
        let went_on = Arc::new(AtomicBool::new(false));
        let waiter = {
            let (hold, went_on) = (hold.clone(), Arc::clone(&went_on));
            std::thread::spawn(move || {
                let open = hold.wait(|| true);
                went_on.store(true, Ordering::SeqCst);
                open
            })
        };
        // The waiter cannot pass a raised hold, however long it is given.
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert!(!went_on.load(Ordering::SeqCst));
        hold.lower();
        assert!(waiter.join().expect("waiter"));
        assert!(went_on.load(Ordering::SeqCst));
    }

    #[test]
    fn a_closed_backend_ends_the_wait_with_false() {
        let hold = Hold::new();
        hold.raise();
        assert!(!hold.wait(|| false));
        hold.lower();
        assert!(hold.wait(|| true));
    }

    #[test]
    fn raise_and_lower_are_idempotent() {
        let hold = Hold::new();
        hold.raise();
        hold.raise();
        assert!(hold.is_raised());
        hold.lower();
        hold.lower();
        assert!(!hold.is_raised());
    }
}
