//! The queue between caller threads and the one dispatcher thread.
//!
//! - [`queue`]: the sending side, applying the backpressure policy.
//! - [`worker`]: the dispatcher thread: batches, processors, renderers, handlers, flushes.
//! - [`guard`]: the [`Guard`] that drains and joins at shutdown.
//! - [`keep`]: a handler's `on_error` rings of records kept until an error needs them.
//! - [`record`]: a captured record made the [`crate::event::Event`] components see.
//!
//! Records travel as [`Msg::Record`] on one bounded lane per producer thread
//! ([`queue::Lanes`]); flush requests, retirements and wake-ups on one unbounded control
//! channel. A flush request or a retirement is a barrier: before the dispatcher acts on
//! it, it empties every lane of what was there when it took the message, so every
//! record logged before the request is written (or routed by the retired config)
//! first.

pub(crate) mod guard;
pub(crate) mod keep;
pub(crate) mod pipeline;
pub(crate) mod queue;
pub(crate) mod record;
pub(crate) mod worker;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use crate::capture::Captured;
use crate::context::Frame;
use crate::stats::Counters;
pub(crate) use crate::unwind::lock;

pub use guard::Guard;

/// A message on the queue.
///
/// Records travel by value: boxing them would allocate on the caller and free on the
/// dispatcher, the cross-thread malloc traffic `Captured` exists to avoid.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub(crate) enum Msg {
    /// A record, the route it was given when logged, and the scoped context it was
    /// logged in.
    Record(Routed, Captured, Option<Arc<Frame>>),
    /// Flush everything before this message, then reply.
    Flush(flume::Sender<()>),
    /// Nothing to do: wakes the dispatcher to look at the shutdown flag.
    Wake,
    /// No record routed by this generation of the config is still to come (a reload
    /// replaced it and every caller that had read it has queued its record): forget it,
    /// and hand back the pipelines no newer generation uses, to be flushed and closed off
    /// the dispatcher thread.
    Retire(u32, flume::Sender<Vec<worker::Pipeline>>),
}

/// A record crosses the queue by value (copied into its lane and out of it): keep it within
/// four cache lines (measured in docs/BENCHMARKS.md, "What was tried").
const _: () = assert!(std::mem::size_of::<Msg>() <= 208);

/// Where a record goes: route `route` of the config's generation `generation` (see
/// [`crate::route::Routes::generation`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Routed {
    pub generation: u32,
    pub route: u32,
}

/// State shared by callers, the dispatcher and the guard.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    pub counters: Counters,
    /// Set when the guard is dropped: new records are counted as dropped.
    pub closed: AtomicBool,
    /// Set by the guard when it closes the queue: until when the dispatcher may write
    /// what is still queued.
    pub deadline: OnceLock<Instant>,
    /// Set by the dispatcher when it has exited.
    pub finished: AtomicBool,
    /// The producer threads' lanes.
    pub lanes: queue::Lanes,
    /// Set by the dispatcher before it sleeps on the control channel, after which it
    /// looks at every lane once more; a producer that finds it set after queueing clears
    /// it and wakes the dispatcher (`Queue::wake_if_asleep`).
    pub sleeping: AtomicBool,
    /// The holds of the `block` network handlers: lowered when the guard closes the
    /// queue, so no caller waits on a backend that is gone.
    pub holds: Mutex<Vec<crate::handler::Hold>>,
    /// Generations a reload made, with the pipelines they open, waiting for the
    /// dispatcher to take them up (at their first record or any retirement).
    pub pending: Mutex<Vec<worker::Generation>>,
    /// Where `block` callers that found the queue full wait for room.
    pub room: Room,
    /// Set when `flush_on_signals` is ending the process: which signal, and when.
    pub ending_by: OnceLock<SignalEnd>,
    /// Taken, for good, by whoever says the last word before a signal ends the process
    /// (the count of records dropped since the signal): a record logged after that waits
    /// here for the end, so the count said is the count dropped.
    pub last_word: Mutex<()>,
    /// What the handlers' handles share with the dispatcher: their status records, the
    /// shutdown deadline, the wake-up.
    pub core: Arc<crate::component::handle::Core>,
}

/// A signal that is ending the process (`flush_on_signals`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct SignalEnd {
    pub signal: i32,
    pub name: &'static str,
    /// When it arrived.
    pub at: Instant,
    /// `counters.dropped_other` then, to count what the shutdown drops.
    pub dropped_before: u64,
    /// Ends the process by this signal (the signal watcher's; the guard calls it when
    /// dropped meanwhile, without knowing the watcher).
    pub end_process: fn(&Shared, SignalEnd) -> !,
}

/// Callers waiting for their full lane to empty (`block`). The dispatcher wakes them
/// after a batch that emptied a lane, while any waits (each looks at its own lane again),
/// so a waiting caller neither polls its lane's lock nor gets a wake-up per slot or per
/// batch: a thread woken for nothing takes a core from one that is logging, and the
/// call it interrupts shows in the burst's p99.9. The wait is also bounded by
/// [`Room::RECHECK`], should a wake-up ever be missed (none can be: see [`Room::wake_if`]).
#[derive(Debug, Default)]
pub(crate) struct Room {
    /// Threads waiting, plus tasks registered: the dispatcher's one load per batch.
    waiting: std::sync::atomic::AtomicUsize,
    lock: Mutex<()>,
    freed: std::sync::Condvar,
    /// Tasks waiting (`Queue::push_async`), woken with the threads.
    tasks: Mutex<Vec<std::task::Waker>>,
}

impl Room {
    /// The longest a waiting caller sleeps before it looks at the queue again: a bound,
    /// not a poll (at 1 ms, a thread waiting out 8 lanes of a burst woke several times
    /// per wait for nothing).
    const RECHECK: std::time::Duration = std::time::Duration::from_millis(10);

    /// Waits until `full()` is false (checked under the lock the waker takes).
    pub fn wait(&self, full: impl Fn() -> bool) {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let mut guard = lock(&self.lock);
        while full() {
            guard = match self.freed.wait_timeout(guard, Self::RECHECK) {
                Ok((guard, _)) => guard,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
        drop(guard);
        self.waiting.fetch_sub(1, Ordering::SeqCst);
    }

    /// Registers a task to wake with the waiting threads (once).
    pub fn register(&self, waker: &std::task::Waker) {
        let mut tasks = lock(&self.tasks);
        if !tasks.iter().any(|w| w.will_wake(waker)) {
            tasks.push(waker.clone());
            self.waiting.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// Wakes every waiting caller and task when there is one and `room()` says so (a
    /// fence and an atomic load otherwise). The fence orders the records taken before it
    /// ahead of the load: a caller counts itself in `waiting` before it looks at its
    /// lane, so either this sees it waiting or it sees the room.
    pub fn wake_if(&self, room: impl FnOnce() -> bool) {
        std::sync::atomic::fence(Ordering::SeqCst);
        if self.waiting.load(Ordering::SeqCst) > 0 && room() {
            {
                let _guard = lock(&self.lock);
                self.freed.notify_all();
            }
            let tasks = std::mem::take(&mut *lock(&self.tasks));
            self.waiting.fetch_sub(tasks.len(), Ordering::SeqCst);
            for task in tasks {
                task.wake();
            }
        }
    }
}

impl Shared {
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Whether the guard has closed the queue and the drain deadline has passed: queued
    /// records are then counted as dropped instead of written.
    pub fn past_deadline(&self) -> bool {
        self.is_closed() && self.deadline.get().is_some_and(|d| Instant::now() >= *d)
    }

    /// Lowers every hold (the guard closing the queue).
    pub fn lower_holds(&self) {
        for hold in lock(&self.holds).iter() {
            hold.lower();
        }
    }
}

thread_local! {
    /// True on the dispatcher thread: a record logged from a handler or processor must
    /// never wait for the queue that only this thread empties.
    static ON_DISPATCHER: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };

    /// Records the dispatcher logged itself (from a processor, renderer or handler) while
    /// the queue was full under `block`: it cannot wait for room only it can make, so it
    /// keeps them here and writes them after the current batch.
    static ASIDE: std::cell::RefCell<Vec<Msg>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Keeps a record the dispatcher logged aside, unless `limit` are already waiting there;
/// returns whether it was kept (when not, the record is dropped: the caller counts it).
pub(crate) fn set_aside(msg: Msg, limit: usize) -> bool {
    ASIDE
        .try_with(|aside| match aside.try_borrow_mut() {
            Ok(mut aside) if aside.len() < limit => {
                aside.push(msg);
                true
            }
            _ => false,
        })
        .unwrap_or(false)
}

/// Whether records are waiting aside.
pub(crate) fn has_aside() -> bool {
    ASIDE
        .try_with(|aside| aside.try_borrow().is_ok_and(|a| !a.is_empty()))
        .unwrap_or(false)
}

/// Takes the records set aside so far.
pub(crate) fn take_aside() -> Vec<Msg> {
    ASIDE
        .try_with(|aside| aside.try_borrow_mut().map(|mut a| std::mem::take(&mut *a)))
        .ok()
        .and_then(Result::ok)
        .unwrap_or_default()
}

/// Whether the current thread is a ko-log dispatcher.
pub(crate) fn on_dispatcher() -> bool {
    ON_DISPATCHER.try_with(|flag| flag.get()).unwrap_or(false)
}

/// Whether this thread never waits at a hold: the dispatcher, or one of ko-log's own
/// (started through a handler's [`crate::handler::Handle`], or a reload's).
pub(crate) fn never_held() -> bool {
    on_dispatcher() || crate::component::handle::is_own_thread()
}
