//! The sending side of the queue: where the backpressure policy is applied.
//!
//! - `block`: `send` waits for room. Nothing is lost.
//! - `drop`: `try_send`; a full queue discards the new record and counts it.
//! - `drop_oldest`: `try_send`; a full queue has its oldest message taken by the sender
//!   itself (flume is multi-consumer) and counted, then the new record goes in. A flush
//!   request taken this way is handed to the dispatcher out of band, never lost.
//!
//! A record logged from the dispatcher thread (by a handler or processor) never waits,
//! since only that thread empties the queue. Under `drop` and `drop_oldest` it is queued
//! like any other; under `block`, when the queue is full, it is set aside on the
//! dispatcher (at most `capacity` or [`ASIDE_MIN`] such records at once, whichever is
//! larger) and written after the current
//! batch, so none is lost. Past that bound it is dropped, counted and reported.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use flume::TrySendError;
use ko_log_config::Backpressure;

use super::{on_dispatcher, Msg, Shared};
use crate::report;

/// How many times a `drop_oldest` sender evicts and retries before it drops its own
/// record instead (only reached when many threads race for the same free slot).
const EVICT_ATTEMPTS: usize = 8;

/// The least number of records the dispatcher may hold aside (see the module docs): the
/// bound is the queue capacity or this, whichever is larger.
pub(crate) const ASIDE_MIN: usize = 16_384;

/// The sending side, one per backend, shared by every caller thread.
#[derive(Debug)]
pub(crate) struct Queue {
    tx: flume::Sender<Msg>,
    /// The receiving side, for the guard to empty the queue when it gives up.
    rx: flume::Receiver<Msg>,
    /// Whether senders evict the oldest message when full (`drop_oldest`).
    evict: bool,
    policy: Backpressure,
    shared: Arc<Shared>,
}

impl Queue {
    pub fn new(
        tx: flume::Sender<Msg>,
        rx: &flume::Receiver<Msg>,
        policy: Backpressure,
        shared: Arc<Shared>,
    ) -> Queue {
        Queue {
            tx,
            rx: rx.clone(),
            evict: policy == Backpressure::DropOldest,
            policy,
            shared,
        }
    }

    /// Queues a record according to the policy; never fails, never panics.
    #[inline]
    pub fn push(&self, msg: Msg) {
        let outcome = if on_dispatcher() {
            self.push_from_dispatcher(msg)
        } else {
            match self.policy {
                Backpressure::Block => match self.tx.try_send(msg) {
                    Ok(()) => Outcome::Queued,
                    Err(TrySendError::Disconnected(_)) => Outcome::Closed,
                    Err(TrySendError::Full(msg)) => {
                        // Full: wait (sleeping, with no wake-up handshake per slot) until
                        // the dispatcher has emptied half the queue, then go on in a burst.
                        self.wait_for_room();
                        self.send_while_open(msg, None)
                    }
                },
                Backpressure::Drop => Outcome::of(self.tx.try_send(msg)),
                Backpressure::DropOldest => self.push_evicting(msg, EVICT_ATTEMPTS),
            }
        };
        self.count(outcome);
    }

    /// A record logged by the dispatcher itself: never waits (see the module docs).
    #[cold]
    fn push_from_dispatcher(&self, msg: Msg) -> Outcome {
        match self.policy {
            Backpressure::Block => match self.tx.try_send(msg) {
                Ok(()) => Outcome::Queued,
                Err(TrySendError::Disconnected(_)) => Outcome::Closed,
                Err(TrySendError::Full(msg)) => {
                    let limit = self.tx.capacity().unwrap_or(0).max(ASIDE_MIN);
                    match super::set_aside(msg, limit) {
                        true => Outcome::Queued,
                        false => {
                            report::report(
                                "RUNTIME::Dispatcher::RECURSION::ERROR::RECOVERABLE",
                                &format!(
                                    "a processor or handler logged more records than the queue holds ({limit}) while the queue was full; the excess was dropped (counted in stats().dropped)"
                                ),
                            );
                            Outcome::Closed
                        }
                    }
                }
            },
            Backpressure::Drop => Outcome::of(self.tx.try_send(msg)),
            Backpressure::DropOldest => self.push_evicting(msg, EVICT_ATTEMPTS),
        }
    }

    /// Sleeps until the queue is at most half full (or the backend closes): the
    /// dispatcher wakes it ([`super::Room`]).
    #[cold]
    fn wait_for_room(&self) {
        let low = self.tx.capacity().unwrap_or(0) / 2;
        self.shared.room.wait(|| self.tx.len() > low && self.open());
    }

    /// Whether records can still be written: the guard has not closed the queue and the
    /// dispatcher is running.
    fn open(&self) -> bool {
        !self.shared.is_closed() && !self.shared.finished.load(Ordering::Acquire)
    }

    /// A blocking send that gives up (counting the record) once the queue closes, so a
    /// caller can never wait on a dispatcher that is gone, or at `deadline` (as `Full`).
    #[cold]
    fn send_while_open(&self, mut msg: Msg, deadline: Option<Instant>) -> Outcome {
        loop {
            if !self.open() {
                return Outcome::Closed;
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Outcome::Full;
            }
            match self
                .tx
                .send_timeout(msg, std::time::Duration::from_millis(10))
            {
                Ok(()) => return Outcome::Queued,
                Err(flume::SendTimeoutError::Timeout(back)) => msg = back,
                Err(flume::SendTimeoutError::Disconnected(_)) => return Outcome::Closed,
            }
        }
    }

    fn count(&self, outcome: Outcome) {
        let counters = &self.shared.counters;
        let counter = match outcome {
            Outcome::Queued => &counters.enqueued,
            Outcome::Full => &counters.dropped_by_policy,
            Outcome::Closed => &counters.dropped_other,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        // Queued after the dispatcher's last drain: no one else will see it.
        if outcome == Outcome::Queued && self.shared.finished.load(Ordering::SeqCst) {
            count_stranded(&self.shared, &self.rx);
        }
    }

    /// Queues a record from async code: under `block` the task waits for room
    /// (`send_async`) instead of blocking its thread; otherwise as [`Queue::push`].
    pub async fn push_async(&self, msg: Msg) {
        if self.policy != Backpressure::Block || on_dispatcher() {
            return self.push(msg);
        }
        self.count(match self.tx.send_async(msg).await {
            Ok(()) => Outcome::Queued,
            Err(_) => Outcome::Closed,
        });
    }

    /// Queues a control message (a flush request): it waits for room while the queue is
    /// open (and `deadline` not passed) under every policy but `drop_oldest`, which evicts
    /// to make room.
    pub fn push_control(&self, msg: Msg, deadline: Option<Instant>) -> bool {
        let outcome = match self.policy {
            Backpressure::DropOldest => self.push_evicting(msg, usize::MAX),
            _ => self.send_while_open(msg, deadline),
        };
        outcome == Outcome::Queued
    }

    /// Queues a record that must not be lost to the policy (a panic's): like a control
    /// message, it waits for room while the queue is open and `deadline` not passed under
    /// `block` and `drop`, and evicts under `drop_oldest`. Counted as any record; whether
    /// it was queued.
    pub fn push_within(&self, msg: Msg, deadline: Instant) -> bool {
        let outcome = match self.policy {
            Backpressure::DropOldest => self.push_evicting(msg, EVICT_ATTEMPTS),
            _ => match self.tx.try_send(msg) {
                Ok(()) => Outcome::Queued,
                Err(TrySendError::Disconnected(_)) => Outcome::Closed,
                Err(TrySendError::Full(msg)) => self.send_while_open(msg, Some(deadline)),
            },
        };
        self.count(outcome);
        outcome == Outcome::Queued
    }

    /// Wakes the dispatcher if there is room; a full queue means it is awake anyway.
    pub fn wake(&self) {
        let _ = self.tx.try_send(Msg::Wake);
    }

    /// Empties the queue without writing anything (the guard giving up on a stalled
    /// dispatcher); returns how many records it took. Flush requests are answered.
    pub fn take_records(&self) -> u64 {
        drain(&self.rx)
    }

    /// `try_send`, evicting the oldest message when full, at most `attempts` times.
    fn push_evicting(&self, mut msg: Msg, attempts: usize) -> Outcome {
        if !self.evict {
            return Outcome::of(self.tx.try_send(msg));
        }
        for _ in 0..attempts {
            match self.tx.try_send(msg) {
                Err(TrySendError::Full(back)) => msg = back,
                other => return Outcome::of(other),
            }
            match self.rx.try_recv() {
                Ok(Msg::Record(..)) => {
                    self.shared
                        .counters
                        .dropped_by_policy
                        .fetch_add(1, Ordering::Relaxed);
                }
                Ok(msg @ (Msg::Flush(_) | Msg::Retire(..))) => self.shared.orphan(msg),
                Ok(Msg::Wake) | Err(_) => {}
            }
        }
        Outcome::Full
    }
}

/// Takes what is left in a queue whose dispatcher has exited and counts its records as
/// dropped (flush requests are answered). Called by the dispatcher as it exits, after it
/// marked itself finished, and by a caller whose record went in after that: with the
/// flag set and read in sequentially consistent order, one of the two sees every record.
#[cold]
pub(crate) fn count_stranded(shared: &Shared, rx: &flume::Receiver<Msg>) {
    let records = drain(rx);
    if records > 0 {
        shared
            .counters
            .dropped_other
            .fetch_add(records, Ordering::Relaxed);
        report::report(
            "RUNTIME::Dispatcher::SHUTDOWN::ERROR",
            &format!("{records} records were queued as the dispatcher stopped and were not written (counted in stats().dropped)"),
        );
    }
}

/// Empties the queue without writing anything; returns how many records it took. Flush
/// requests are answered; a retirement's reloader learns from the dropped reply that
/// nothing is handed back.
fn drain(rx: &flume::Receiver<Msg>) -> u64 {
    let mut records = 0;
    while let Ok(msg) = rx.try_recv() {
        match msg {
            Msg::Record(..) => records += 1,
            Msg::Flush(reply) => {
                let _ = reply.send(());
            }
            Msg::Wake | Msg::Retire(..) => {}
        }
    }
    records
}

/// What became of a message offered to the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Queued,
    /// Discarded because the queue was full (a policy drop).
    Full,
    /// Discarded because the dispatcher is gone.
    Closed,
}

impl Outcome {
    fn of(result: Result<(), TrySendError<Msg>>) -> Outcome {
        match result {
            Ok(()) => Outcome::Queued,
            Err(TrySendError::Full(_)) => Outcome::Full,
            Err(TrySendError::Disconnected(_)) => Outcome::Closed,
        }
    }
}
