//! The sending side of the queue: one lane per producer thread, and where the
//! backpressure policy is applied.
//!
//! Records do not share one channel: each thread that logs gets its own bounded `flume`
//! channel (its *lane*, `queue.capacity` records) the first time it logs through a
//! backend, so producers never contend with each other, only each with the dispatcher,
//! which drains every lane in turn. The lanes are listed in [`Lanes`] (the dispatcher,
//! and the guard when it gives up, read it); a thread's lane closes when the thread
//! exits and is released once the dispatcher has emptied it. Control messages (flush
//! requests, retirements, wake-ups) travel on one unbounded `flume` channel the
//! dispatcher sleeps on, so none of them is ever held up or evicted by records.
//!
//! - `block`: a full lane makes its thread wait for room (sleeping on [`super::Room`]
//!   until the dispatcher has emptied half of it). Nothing is lost.
//! - `drop`: a full lane discards the new record and counts it.
//! - `drop_oldest`: a full lane has its oldest record taken by the thread itself (its
//!   lane's receiving end is shared with the dispatcher) and counted, then the new record
//!   goes in.
//!
//! A record logged from the dispatcher thread (by a handler or processor) never waits,
//! since only that thread empties the lanes. Under `drop` and `drop_oldest` it is queued
//! like any other; under `block`, when its lane is full, it is set aside on the
//! dispatcher (at most `capacity` or [`ASIDE_MIN`] such records at once, whichever is
//! larger) and written after the current batch, so none is lost. Past that bound it is
//! dropped, counted and reported.
//!
//! A thread whose thread-locals are gone (logging from a thread-local's destructor) uses
//! the backend's shared lane, a lane like the others that any such thread may send on.

use std::cell::RefCell;
use std::sync::atomic::{fence, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Instant;

use flume::TrySendError;
use ko_log_config::Backpressure;

use super::{lock, on_dispatcher, Msg, Shared};
use crate::report;

/// How many times a `drop_oldest` sender evicts and retries before it drops its own
/// record instead (only reached when the dispatcher races it for the same slot).
const EVICT_ATTEMPTS: usize = 8;

/// The least number of records the dispatcher may hold aside (see the module docs): the
/// bound is the queue capacity or this, whichever is larger.
pub(crate) const ASIDE_MIN: usize = 16_384;

/// Both ends of one lane: the thread that owns it sends, and takes its oldest record
/// under `drop_oldest`; the dispatcher receives.
#[derive(Debug, Clone)]
pub(crate) struct Lane {
    tx: flume::Sender<Msg>,
    rx: flume::Receiver<Msg>,
}

impl Lane {
    fn new(capacity: usize) -> Lane {
        let (tx, rx) = flume::bounded(capacity.max(1));
        Lane { tx, rx }
    }
}

/// Every lane of a backend, for the dispatcher to drain (and the guard to empty when it
/// gives up). `version` changes whenever a lane is added, so the dispatcher re-reads the
/// list only then.
#[derive(Debug, Default)]
pub(crate) struct Lanes {
    version: AtomicU64,
    list: Mutex<Vec<flume::Receiver<Msg>>>,
}

impl Lanes {
    /// The lanes' version: it changes when a lane is added.
    pub fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    /// The receiving ends of every lane.
    pub fn receivers(&self) -> Vec<flume::Receiver<Msg>> {
        lock(&self.list).clone()
    }

    fn add(&self, rx: flume::Receiver<Msg>) {
        let mut list = lock(&self.list);
        list.push(rx);
        self.version.fetch_add(1, Ordering::AcqRel);
    }

    /// Forgets the lanes whose threads have exited and that are empty: their memory is
    /// released.
    pub fn release_closed(&self) {
        lock(&self.list).retain(|rx| !(rx.is_disconnected() && rx.is_empty()));
    }
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
    /// Flush requests, retirements and wake-ups, to the dispatcher.
    control: flume::Sender<Msg>,
    /// The lane of threads without thread-locals.
    shared_lane: Lane,
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
        shared.lanes.add(shared_lane.rx.clone());
        let queue = Queue {
            id: NEXT_QUEUE.fetch_add(1, Ordering::Relaxed),
            control,
            shared_lane,
            capacity: capacity.max(1),
            policy,
            shared,
        };
        (queue, control_rx)
    }

    /// Runs `f` with this thread's lane, opening it on first use (the shared lane when
    /// this thread's thread-locals are gone, or in use by an outer call).
    #[inline]
    fn with_lane<R: Default>(&self, f: impl FnOnce(&Lane) -> R) -> R {
        let mut f = Some(f);
        let ran = MINE.try_with(|mine| {
            let mut mine = mine.try_borrow_mut().ok()?;
            let at = match mine.iter().position(|(id, _, _)| *id == self.id) {
                Some(at) => at,
                None => self.open_lane(&mut mine),
            };
            let f = f.take()?;
            Some(f(&mine.get(at)?.2))
        });
        match (ran, f) {
            (Ok(Some(out)), _) => out,
            (_, Some(f)) => f(&self.shared_lane),
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
        self.shared.lanes.add(lane.rx.clone());
        mine.push((self.id, Arc::downgrade(&self.shared), lane));
        mine.len() - 1
    }

    /// Queues a record according to the policy; never fails, never panics.
    #[inline]
    pub fn push(&self, msg: Msg) {
        self.with_lane(|lane| {
            let outcome = if on_dispatcher() {
                self.push_from_dispatcher(lane, msg)
            } else {
                match self.policy {
                    Backpressure::Block => match lane.tx.try_send(msg) {
                        Ok(()) => Outcome::Queued,
                        Err(TrySendError::Disconnected(_)) => Outcome::Closed,
                        Err(TrySendError::Full(msg)) => {
                            // Full: sleep (no wake-up handshake per slot) until the
                            // dispatcher has emptied half the lane, then go on in a burst.
                            self.wait_for_room(lane);
                            self.send_while_open(lane, msg, None)
                        }
                    },
                    Backpressure::Drop => Outcome::of(lane.tx.try_send(msg)),
                    Backpressure::DropOldest => self.push_evicting(lane, msg, EVICT_ATTEMPTS),
                }
            };
            self.count(lane, outcome);
        });
    }

    /// A record logged by the dispatcher itself: never waits (see the module docs).
    #[cold]
    fn push_from_dispatcher(&self, lane: &Lane, msg: Msg) -> Outcome {
        match self.policy {
            Backpressure::Block => match lane.tx.try_send(msg) {
                Ok(()) => Outcome::Queued,
                Err(TrySendError::Disconnected(_)) => Outcome::Closed,
                Err(TrySendError::Full(msg)) => {
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
            Backpressure::Drop => Outcome::of(lane.tx.try_send(msg)),
            Backpressure::DropOldest => self.push_evicting(lane, msg, EVICT_ATTEMPTS),
        }
    }

    /// Sleeps until `lane` is at most half full (or the backend closes): the dispatcher
    /// wakes it ([`super::Room`]).
    #[cold]
    fn wait_for_room(&self, lane: &Lane) {
        let low = self.capacity / 2;
        self.shared.room.wait(|| lane.tx.len() > low && self.open());
    }

    /// Whether records can still be written: the guard has not closed the queue and the
    /// dispatcher is running.
    fn open(&self) -> bool {
        !self.shared.is_closed() && !self.shared.finished.load(Ordering::Acquire)
    }

    /// A blocking send that gives up (counting the record) once the queue closes, so a
    /// caller can never wait on a dispatcher that is gone, or at `deadline` (as `Full`).
    #[cold]
    fn send_while_open(&self, lane: &Lane, mut msg: Msg, deadline: Option<Instant>) -> Outcome {
        loop {
            if !self.open() {
                return Outcome::Closed;
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Outcome::Full;
            }
            self.wake_if_asleep();
            match lane
                .tx
                .send_timeout(msg, std::time::Duration::from_millis(10))
            {
                Ok(()) => return Outcome::Queued,
                Err(flume::SendTimeoutError::Timeout(back)) => msg = back,
                Err(flume::SendTimeoutError::Disconnected(_)) => return Outcome::Closed,
            }
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

    /// Queues a record from async code: under `block` the task waits for room
    /// (`send_async`) instead of blocking its thread; otherwise as [`Queue::push`].
    pub async fn push_async(&self, msg: Msg) {
        if self.policy != Backpressure::Block || on_dispatcher() {
            return self.push(msg);
        }
        // The task may move threads while it waits: it keeps the lane it started on.
        let lane = self
            .with_lane(|lane| Some(lane.clone()))
            .unwrap_or_else(|| self.shared_lane.clone());
        let outcome = match lane.tx.try_send(msg) {
            Ok(()) => Outcome::Queued,
            Err(TrySendError::Disconnected(_)) => Outcome::Closed,
            Err(TrySendError::Full(msg)) => {
                self.wake_if_asleep();
                match lane.tx.send_async(msg).await {
                    Ok(()) => Outcome::Queued,
                    Err(_) => Outcome::Closed,
                }
            }
        };
        self.count(&lane, outcome);
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
                _ => match lane.tx.try_send(msg) {
                    Ok(()) => Outcome::Queued,
                    Err(TrySendError::Disconnected(_)) => Outcome::Closed,
                    Err(TrySendError::Full(msg)) => self.send_while_open(lane, msg, Some(deadline)),
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
        self.shared.lanes.receivers().iter().map(drain).sum::<u64>()
    }

    /// `try_send`, evicting the oldest record when full, at most `attempts` times.
    fn push_evicting(&self, lane: &Lane, mut msg: Msg, attempts: usize) -> Outcome {
        for _ in 0..attempts {
            match lane.tx.try_send(msg) {
                Err(TrySendError::Full(back)) => msg = back,
                other => return Outcome::of(other),
            }
            if let Ok(Msg::Record(..)) = lane.rx.try_recv() {
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

/// Empties a channel without writing anything; returns how many records it took. Flush
/// requests are answered; a retirement's reloader learns from the dropped reply that
/// nothing is handed back.
pub(crate) fn drain(rx: &flume::Receiver<Msg>) -> u64 {
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
    /// Discarded because the lane was full (a policy drop).
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
        let lanes = || backend.shared.lanes.receivers().len();
        let before = lanes();
        let logging = std::sync::Arc::clone(&backend);
        std::thread::spawn(move || {
            for i in 0..100 {
                logging.log(
                    &log::Record::builder()
                        .args(format_args!("record {i}"))
                        .level(log::Level::Info)
                        .target("lanes")
                        .build(),
                );
            }
        })
        .join()
        .expect("thread");
        assert_eq!(
            lanes(),
            before + 1,
            "the thread's lane is open until drained"
        );
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
