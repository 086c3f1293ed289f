//! The sending side of the queue: one lane per producer thread, and where the
//! backpressure policy is applied.
//!
//! Records do not share one channel: each thread that logs gets its own lane the first
//! time it logs through a backend, a lock-free single-producer ring (`rtrb`) of
//! `queue.capacity` records, so producers never contend with each other, and a push is
//! a copy and a release store. The dispatcher drains every lane, merging them by the
//! time the records were logged (`worker.rs`). The lanes are listed in [`Lanes`] (the
//! dispatcher, and the guard when it gives up, read it); each lane's consuming end sits
//! behind a mutex that only the dispatcher takes in the normal course (a `drop_oldest`
//! producer takes it to evict, the guard to empty it). A thread's lane is released once
//! the thread has exited and the dispatcher has emptied it. Control messages (flush
//! requests, retirements, wake-ups) travel on one unbounded `flume` channel the
//! dispatcher sleeps on, so none of them is ever held up or evicted by records.
//!
//! - `block`: a full lane makes its thread wait for room (sleeping on [`super::Room`]
//!   until the dispatcher has emptied it; an async task is woken the same way), so a
//!   thread waits at most once per lane of records it logs. Nothing is lost.
//! - `drop`: a full lane discards the new record and counts it.
//! - `drop_oldest`: a full lane has its oldest record taken by the thread itself and
//!   counted, then the new record goes in.
//!
//! A record logged from the dispatcher thread (by a handler or processor) never waits,
//! since only that thread empties the lanes. Under `drop` and `drop_oldest` it is queued
//! like any other; under `block`, when its lane is full, it is set aside on the
//! dispatcher (at most `capacity` or [`ASIDE_MIN`] such records at once, whichever is
//! larger) and written after the current batch, so none is lost. Past that bound it is
//! dropped, counted and reported.
//!
//! A thread whose thread-locals are gone (logging from a thread-local's destructor), or
//! that logs from inside a push (a `Display` that logs), uses the backend's shared lane,
//! whose producing end is behind a mutex.

use std::cell::RefCell;
use std::future::poll_fn;
use std::sync::atomic::{fence, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::Poll;
use std::time::Instant;

use ko_log_config::Backpressure;
use rtrb::PushError;

use super::{lock, on_dispatcher, Msg, Shared};
use crate::report;

/// How many times a `drop_oldest` sender evicts and retries before it drops its own
/// record instead (only reached when the dispatcher races it for the same slot).
const EVICT_ATTEMPTS: usize = 8;

/// The least number of records the dispatcher may hold aside (see the module docs): the
/// bound is the queue capacity or this, whichever is larger.
pub(crate) const ASIDE_MIN: usize = 16_384;

/// The consuming end of a lane, shared by the dispatcher and the lane's producer.
pub(crate) type Consumer = Arc<Mutex<rtrb::Consumer<Msg>>>;

/// One lane: the producing end, owned by its thread, and the consuming end.
#[derive(Debug)]
pub(crate) struct Lane {
    tx: rtrb::Producer<Msg>,
    rx: Consumer,
}

impl Lane {
    fn new(capacity: usize) -> Lane {
        let (tx, rx) = rtrb::RingBuffer::new(capacity.max(1));
        Lane {
            tx,
            rx: Arc::new(Mutex::new(rx)),
        }
    }

    /// Whether the dispatcher has taken every record in it.
    fn is_empty(&self) -> bool {
        self.tx.slots() == self.tx.buffer().capacity()
    }
}

/// Every lane of a backend, for the dispatcher to drain (and the guard to empty when it
/// gives up). `version` changes whenever a lane is added, so the dispatcher re-reads the
/// list only then.
#[derive(Debug, Default)]
pub(crate) struct Lanes {
    version: AtomicU64,
    list: Mutex<Vec<Consumer>>,
}

impl Lanes {
    /// The lanes' version: it changes when a lane is added.
    pub fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    /// The consuming end of every lane.
    pub fn consumers(&self) -> Vec<Consumer> {
        lock(&self.list).clone()
    }

    fn add(&self, rx: Consumer) {
        let mut list = lock(&self.list);
        list.push(rx);
        self.version.fetch_add(1, Ordering::AcqRel);
    }

    /// Forgets the lanes whose threads have exited and that are empty: their memory is
    /// released.
    pub fn release_closed(&self) {
        lock(&self.list).retain(|rx| !closed(rx));
    }
}

/// Whether a lane's thread has exited and the lane is empty.
pub(crate) fn closed(rx: &Consumer) -> bool {
    let rx = lock(rx);
    rx.is_abandoned() && rx.is_empty()
}

thread_local! {
    /// This thread's lanes, by backend (most programs have one).
    static MINE: RefCell<Vec<(u64, Weak<Shared>, Lane)>> = const { RefCell::new(Vec::new()) };
}

/// Numbers the queues, so that a thread finds its lane of each.
static NEXT_QUEUE: AtomicU64 = AtomicU64::new(1);

/// The sending side, one per backend, shared by every caller thread.
#[derive(Debug)]
pub(crate) struct Queue {
    id: u64,
    /// Flush requests, retirements and wake-ups, to the dispatcher; and the receiving
    /// end, for the guard to answer flush requests when it gives up.
    control: flume::Sender<Msg>,
    control_rx: flume::Receiver<Msg>,
    /// The lane of threads that cannot use their own.
    shared_lane: Mutex<Lane>,
    /// Records per lane at most.
    capacity: usize,
    policy: Backpressure,
    shared: Arc<Shared>,
}

impl Queue {
    /// A queue whose lanes hold `capacity` records each, and the receiving end of its
    /// control channel, for the dispatcher.
    pub fn new(
        capacity: usize,
        policy: Backpressure,
        shared: Arc<Shared>,
    ) -> (Queue, flume::Receiver<Msg>) {
        let (control, control_rx) = flume::unbounded();
        let shared_lane = Lane::new(capacity);
        shared.lanes.add(Arc::clone(&shared_lane.rx));
        let queue = Queue {
            id: NEXT_QUEUE.fetch_add(1, Ordering::Relaxed),
            control,
            control_rx: control_rx.clone(),
            shared_lane: Mutex::new(shared_lane),
            capacity: capacity.max(1),
            policy,
            shared,
        };
        (queue, control_rx)
    }

    /// Runs `f` with this thread's lane, opening it on first use (the shared lane when
    /// this thread's thread-locals are gone, or in use by an outer call).
    #[inline]
    fn with_lane<R: Default>(&self, f: impl FnOnce(&mut Lane) -> R) -> R {
        let mut f = Some(f);
        let ran = MINE.try_with(|mine| {
            let mut mine = mine.try_borrow_mut().ok()?;
            let at = match mine.iter().position(|(id, _, _)| *id == self.id) {
                Some(at) => at,
                None => self.open_lane(&mut mine),
            };
            let f = f.take()?;
            Some(f(&mut mine.get_mut(at)?.2))
        });
        match (ran, f) {
            (Ok(Some(out)), _) => out,
            (_, Some(f)) => f(&mut lock(&self.shared_lane)),
            // Not reached: `f` is taken only where its result is returned.
            (_, None) => R::default(),
        }
    }

    /// Opens this thread's lane of this queue; where it is in `mine`.
    #[cold]
    fn open_lane(&self, mine: &mut Vec<(u64, Weak<Shared>, Lane)>) -> usize {
        // The lanes of backends that are gone are released.
        mine.retain(|(_, owner, _)| owner.strong_count() > 0);
        let lane = Lane::new(self.capacity);
        self.shared.lanes.add(Arc::clone(&lane.rx));
        mine.push((self.id, Arc::downgrade(&self.shared), lane));
        mine.len() - 1
    }

    /// Queues a record according to the policy; never fails, never panics.
    #[inline]
    pub fn push(&self, msg: Msg) {
        self.push_with(move || msg);
    }

    /// Queues the record `make` makes, according to the policy; never fails, never
    /// panics. The record is made once its lane is known to have room for it (or, under
    /// `drop`, not at all when the lane is full): made inside, it is not moved through
    /// the calls on its way (each move a copy of the whole record), and a record `drop`
    /// discards costs no capture.
    #[inline]
    pub fn push_with(&self, make: impl FnOnce() -> Msg) {
        self.with_lane(|lane| {
            let outcome = if on_dispatcher() {
                self.push_from_dispatcher(lane, make())
            } else {
                match self.policy {
                    // Full: sleep (no wake-up handshake per slot) until the dispatcher
                    // has emptied the lane, then go on in a burst.
                    Backpressure::Block if lane.tx.is_full() => {
                        self.push_waiting(lane, make(), None)
                    }
                    Backpressure::Drop if lane.tx.is_full() => Outcome::Full,
                    Backpressure::DropOldest => self.push_evicting(lane, make(), EVICT_ATTEMPTS),
                    _ => Outcome::of(lane.tx.push(make())),
                }
            };
            self.count(lane, outcome);
        });
    }

    /// A record logged by the dispatcher itself: never waits (see the module docs).
    #[cold]
    fn push_from_dispatcher(&self, lane: &mut Lane, msg: Msg) -> Outcome {
        match self.policy {
            Backpressure::Block => match lane.tx.push(msg) {
                Ok(()) => Outcome::Queued,
                Err(PushError::Full(msg)) => {
                    let limit = self.capacity.max(ASIDE_MIN);
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
            Backpressure::DropOldest => self.push_evicting(lane, msg, EVICT_ATTEMPTS),
            _ => Outcome::of(lane.tx.push(msg)),
        }
    }

    /// Whether records can still be written: the guard has not closed the queue and the
    /// dispatcher is running.
    fn open(&self) -> bool {
        !self.shared.is_closed() && !self.shared.finished.load(Ordering::Acquire)
    }

    /// A push that waits for room in a full lane (asleep, woken by the dispatcher once
    /// the lane is empty) while the queue is open, and until `deadline` (then `Full`).
    ///
    /// Empty, not half empty: each wait then buys a whole lane of records, so waits come
    /// half as often for the same memory (a wait costs a sleep and a wake-up, tens of
    /// microseconds, and must stay rarer than one call in a thousand: docs/ARCHITECTURE.md,
    /// "Memory"). The dispatcher meanwhile has every other lane to take from.
    #[cold]
    fn push_waiting(&self, lane: &mut Lane, mut msg: Msg, deadline: Option<Instant>) -> Outcome {
        let mut waited = false;
        loop {
            if !self.open() {
                return Outcome::Closed;
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Outcome::Full;
            }
            match lane.tx.push(msg) {
                Ok(()) => return Outcome::Queued,
                Err(PushError::Full(back)) => msg = back,
            }
            if !waited {
                waited = true;
                self.shared.counters.waits.fetch_add(1, Ordering::Relaxed);
            }
            self.wake_if_asleep();
            self.shared.room.wait(|| {
                !lane.is_empty() && self.open() && deadline.is_none_or(|d| Instant::now() < d)
            });
        }
    }

    /// Counts what became of a record; a queued one wakes a sleeping dispatcher.
    #[inline]
    fn count(&self, lane: &Lane, outcome: Outcome) {
        let counters = &self.shared.counters;
        let counter = match outcome {
            Outcome::Queued => &counters.enqueued,
            Outcome::Full => &counters.dropped_by_policy,
            Outcome::Closed => &counters.dropped_other,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        if outcome == Outcome::Queued {
            self.wake_if_asleep();
            // Queued after the dispatcher's last drain: no one else will see it.
            if self.shared.finished.load(Ordering::SeqCst) {
                count_stranded(&self.shared, &lane.rx);
            }
        }
    }

    /// Wakes the dispatcher if it went to sleep: it checks every lane after saying so
    /// ([`Shared::sleeping`]), and this thread checks the flag after its record went in,
    /// a full fence between each pair, so either it sees the record or this thread sees
    /// the flag.
    #[inline]
    fn wake_if_asleep(&self) {
        fence(Ordering::SeqCst);
        if self.shared.sleeping.load(Ordering::Relaxed)
            && self.shared.sleeping.swap(false, Ordering::SeqCst)
        {
            let _ = self.control.send(Msg::Wake);
        }
    }

    /// Queues a record from async code: under `block` a full lane suspends the task
    /// (woken as a waiting thread is) instead of blocking its thread; otherwise as
    /// [`Queue::push`]. The record goes into the lane of whichever thread polls.
    pub async fn push_async(&self, msg: Msg) {
        if self.policy != Backpressure::Block || on_dispatcher() {
            return self.push(msg);
        }
        let mut msg = Some(msg);
        let mut waited = false;
        poll_fn(|cx| {
            let Some(record) = msg.take() else {
                return Poll::Ready(());
            };
            let back = self.with_lane(|lane| self.try_push_counted(lane, record));
            let Some(record) = back else {
                return Poll::Ready(());
            };
            // Full: wait for the dispatcher's wake-up, then try again (once more now,
            // in case it came between the two).
            self.shared.room.register(cx.waker());
            self.wake_if_asleep();
            match self.with_lane(|lane| self.try_push_counted(lane, record)) {
                None => Poll::Ready(()),
                Some(record) => {
                    msg = Some(record);
                    if !waited {
                        waited = true;
                        self.shared.counters.waits.fetch_add(1, Ordering::Relaxed);
                    }
                    Poll::Pending
                }
            }
        })
        .await;
    }

    /// One push for [`Queue::push_async`]: counted when queued (or when the queue has
    /// closed); handed back when the lane is full.
    fn try_push_counted(&self, lane: &mut Lane, msg: Msg) -> Option<Msg> {
        if !self.open() {
            self.count(lane, Outcome::Closed);
            return None;
        }
        match lane.tx.push(msg) {
            Ok(()) => {
                self.count(lane, Outcome::Queued);
                None
            }
            Err(PushError::Full(back)) => Some(back),
        }
    }

    /// Sends a control message (a flush request, a retirement) to the dispatcher; whether
    /// it is still there to take it. Never waits: the control channel has no bound, and
    /// records never hold a control message up.
    pub fn push_control(&self, msg: Msg) -> bool {
        !self.shared.finished.load(Ordering::Acquire) && self.control.send(msg).is_ok()
    }

    /// Queues a record that must not be lost to the policy (a panic's): it waits for room
    /// while the queue is open and `deadline` not passed under `block` and `drop`, and
    /// evicts under `drop_oldest`. Counted as any record; whether it was queued.
    pub fn push_within(&self, msg: Msg, deadline: Instant) -> bool {
        self.with_lane(|lane| {
            let outcome = match self.policy {
                Backpressure::DropOldest => self.push_evicting(lane, msg, EVICT_ATTEMPTS),
                _ => match lane.tx.push(msg) {
                    Ok(()) => Outcome::Queued,
                    Err(PushError::Full(msg)) => self.push_waiting(lane, msg, Some(deadline)),
                },
            };
            self.count(lane, outcome);
            outcome == Outcome::Queued
        })
    }

    /// Wakes the dispatcher (never waits).
    pub fn wake(&self) {
        let _ = self.control.send(Msg::Wake);
    }

    /// Empties every lane and the control channel without writing anything (the guard
    /// giving up on a stalled dispatcher); returns how many records it took. Flush
    /// requests are answered.
    pub fn take_records(&self) -> u64 {
        drain(&self.control_rx);
        self.shared
            .lanes
            .consumers()
            .iter()
            .map(drain_lane)
            .sum::<u64>()
    }

    /// Push, evicting the oldest record when full, at most `attempts` times.
    fn push_evicting(&self, lane: &mut Lane, mut msg: Msg, attempts: usize) -> Outcome {
        for _ in 0..attempts {
            match lane.tx.push(msg) {
                Err(PushError::Full(back)) => msg = back,
                Ok(()) => return Outcome::Queued,
            }
            // The dispatcher may hold the lane's end this instant: it is then taking
            // records, and the next push finds room.
            let evicted = match lane.rx.try_lock() {
                Ok(mut rx) => rx.pop().is_ok(),
                Err(std::sync::TryLockError::Poisoned(poisoned)) => {
                    poisoned.into_inner().pop().is_ok()
                }
                Err(std::sync::TryLockError::WouldBlock) => false,
            };
            if evicted {
                self.shared
                    .counters
                    .dropped_by_policy
                    .fetch_add(1, Ordering::Relaxed);
            }
        }
        Outcome::Full
    }
}

/// Takes what is left in a lane whose dispatcher has exited and counts its records as
/// dropped. Called by the dispatcher as it exits, after it marked itself finished, and
/// by a caller whose record went in after that: with the flag set and read in
/// sequentially consistent order, one of the two sees every record.
#[cold]
pub(crate) fn count_stranded(shared: &Shared, rx: &Consumer) {
    let records = drain_lane(rx);
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

/// Empties a lane without writing anything; how many records it took.
fn drain_lane(rx: &Consumer) -> u64 {
    let mut rx = lock(rx);
    let mut records = 0;
    while rx.pop().is_ok() {
        records += 1;
    }
    records
}

/// Empties the control channel: flush requests are answered; a retirement's reloader
/// learns from the dropped reply that nothing is handed back.
pub(crate) fn drain(rx: &flume::Receiver<Msg>) {
    while let Ok(msg) = rx.try_recv() {
        if let Msg::Flush(reply) = msg {
            let _ = reply.send(());
        }
    }
}

/// What became of a message offered to the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Queued,
    /// Discarded because the lane was full (a policy drop).
    Full,
    /// Discarded because the dispatcher is gone.
    Closed,
}

impl Outcome {
    fn of(result: Result<(), PushError<Msg>>) -> Outcome {
        match result {
            Ok(()) => Outcome::Queued,
            Err(PushError::Full(_)) => Outcome::Full,
        }
    }
}

#[cfg(test)]
mod tests {
    use log::Log;

    /// A thread's lane is opened when it first logs and released once the thread has
    /// exited and the dispatcher has emptied it.
    #[test]
    fn an_exited_threads_lane_is_released_once_drained() {
        let config = ko_log_config::Config::from_str(
            "[loggers.root]\nhandlers = [\"null\"]\n[handlers.null]\ntype = \"null\"\n",
            ko_log_config::Format::Toml,
        )
        .expect("config");
        let (backend, guard) = crate::Backend::new(config).expect("backend");
        let backend = std::sync::Arc::new(backend);
        let lanes = || backend.shared.lanes.consumers().len();
        let before = lanes();
        let logging = std::sync::Arc::clone(&backend);
        let open = std::thread::spawn(move || {
            for i in 0..100 {
                logging.log(
                    &log::Record::builder()
                        .args(format_args!("record {i}"))
                        .level(log::Level::Info)
                        .target("lanes")
                        .build(),
                );
            }
            // While the thread lives, its lane stays.
            logging.flush();
            logging.shared.lanes.consumers().len()
        })
        .join()
        .expect("thread");
        assert_eq!(open, before + 1, "the thread's lane");
        backend.flush();
        // The dispatcher releases it on its next round over the lanes.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while lanes() > before && std::time::Instant::now() < deadline {
            backend.queue.wake();
            std::thread::yield_now();
        }
        assert_eq!(lanes(), before);
        assert_eq!(backend.stats().written, 100);
        drop(guard);
    }
}
