//! The network sender every network handler (`socket`, `syslog`, later `otlp`) sits on:
//! a bounded buffer the dispatcher pushes into and a thread of the handler's own that
//! drains it into a [`Transport`].
//!
//! - **The dispatcher never does I/O for a network handler.** `write` renders and
//!   [`Sender::push`]es; the sender thread connects (lazily, at the first record),
//!   takes up to `batch` items at a time and hands them to [`Transport::send`].
//! - **The buffer** holds `buffer` items (key `buffer`, default 10000). When it is full
//!   the handler's `backpressure` decides: `drop_oldest` (default) evicts the oldest,
//!   `drop` refuses the new one, `block` takes it and raises the handler's [`Hold`], so
//!   that the callers routed here wait until the thread has emptied the buffer to half;
//!   the dispatcher never waits (module `hold`). Every discarded item is counted
//!   (`dropped`).
//! - **Reconnect** with capped exponential backoff (`reconnect = { min, max }`, doubling
//!   from `min` to `max`, "equal jitter": each wait is between half and all of the
//!   current step). A batch that failed stays with the thread and is sent again on the
//!   next connection; the items a transport reports as delivered before the failure are
//!   not sent twice. Every attempt after a failed one, a first connection that was
//!   refused included, counts in `retries`; a connection made after losing an
//!   established one counts in `reconnects`.
//! - **Status records** on the `ko_log` target (module `status`, shared with `otlp`): a
//!   warning when the destination goes away and an info record when it is back, sent by
//!   the sender thread through the handler's [`Handle`] to every other handler, never to
//!   the destination they are about.
//! - **`flush`**: a `log::logger().flush()` waits, at most `write_timeout`, until every
//!   item pushed before it has been handed to the transport — unless the destination is
//!   away, when waiting would only stall the dispatcher (with a `spool`, it waits until
//!   every item is delivered or spooled, away or not). The dispatcher's routine
//!   flushes (queue ran dry) only wake the thread.
//! - **Shutdown** (the handler dropped, which the dispatcher does as it ends): the thread
//!   delivers what it holds until the guard's drain deadline (`queue.drain_timeout`) or,
//!   for a handler dropped elsewhere, `write_timeout`; what it gives up is counted in
//!   `dropped` and reported on stderr. When a signal ends the process
//!   (`flush_on_signals`), a destination that cannot be reached gets one more connection
//!   attempt, bounded by `UNREACHABLE_GRACE` (500 ms) from when the dispatcher has
//!   written everything ([`Handle::unreachable_deadline`]), and is then given up: no
//!   backoff until the drain deadline.

use std::collections::VecDeque;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ko_log_config::units::HumanDuration;
use ko_log_config::Backpressure;

use super::spool::{self, Outcome, Spool, Spooled};
use super::status::Outage;
use crate::component::hold::{self, Admit, Hold};
use crate::handler::Handle;
use crate::{report, stats::HandlerStats};

/// The keys every network handler takes, as its params type spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NetConfig {
    /// Items held while the destination is slow or away (key `buffer`).
    pub buffer: usize,
    /// What a full buffer does (key `backpressure`).
    pub backpressure: Backpressure,
    /// Longest a socket write or connection attempt may take, and the bound of a `flush`
    /// (key `write_timeout`).
    pub write_timeout: Duration,
    /// First and longest wait between connection attempts (key `reconnect`).
    pub reconnect: Reconnect,
    /// Most items handed to [`Transport::send`] at once.
    pub batch: usize,
}

/// `reconnect = { min = "100ms", max = "30s" }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
pub(crate) struct Reconnect {
    /// The first wait after a failure (default `100ms`).
    #[serde(default = "default_reconnect_min")]
    pub min: HumanDuration,
    /// The longest wait (default `30s`).
    #[serde(default = "default_reconnect_max")]
    pub max: HumanDuration,
}

impl Default for Reconnect {
    fn default() -> Self {
        Reconnect {
            min: default_reconnect_min(),
            max: default_reconnect_max(),
        }
    }
}

fn default_reconnect_min() -> HumanDuration {
    HumanDuration(Duration::from_millis(100))
}

fn default_reconnect_max() -> HumanDuration {
    HumanDuration(Duration::from_secs(30))
}

/// The schema of the keys every sender-backed handler takes (`buffer`, `backpressure`,
/// `write_timeout`, `reconnect`), with `backpressure`'s default as documented.
pub(crate) fn schema_keys(backpressure: &str) -> Vec<(&'static str, serde_json::Value)> {
    use ko_log_config::schema::{describe, duration, integer, one_of, table, with};
    vec![
        ("buffer", describe(with(integer(), serde_json::json!({"minimum": 1})), "Records held for the handler's own thread (default 10000).")),
        ("backpressure", describe(one_of(&["block", "drop", "drop_oldest"]), &format!("When the buffer is full: block holds the callers routed here, never the dispatcher; drop; drop_oldest (default {backpressure})."))),
        ("write_timeout", describe(duration(), "Connect and write timeout; also the longest a flush waits.")),
        ("reconnect", describe(table(&[
            ("min", describe(duration(), "The first wait after a failure (default \"100ms\").")),
            ("max", describe(duration(), "The longest wait (default \"30s\").")),
        ], &[]), "Capped exponential backoff between connection attempts.")),
    ]
}

/// Default of `buffer`.
pub(crate) fn default_buffer() -> usize {
    10_000
}

/// Default of `backpressure` for network handlers.
pub(crate) fn default_backpressure() -> Backpressure {
    Backpressure::DropOldest
}

/// Default of `write_timeout`.
pub(crate) fn default_write_timeout() -> HumanDuration {
    HumanDuration(Duration::from_secs(2))
}

impl NetConfig {
    /// Checks the values a params type read; the message names the key.
    pub fn new(
        buffer: usize,
        backpressure: Backpressure,
        write_timeout: HumanDuration,
        reconnect: Reconnect,
        batch: usize,
    ) -> Result<NetConfig, String> {
        if buffer == 0 {
            return Err("`buffer` must be at least 1".to_owned());
        }
        if write_timeout.0.is_zero() {
            return Err("`write_timeout` must be more than 0".to_owned());
        }
        if reconnect.min.0.is_zero() || reconnect.min > reconnect.max {
            return Err(
                "`reconnect.min` must be more than 0 and at most `reconnect.max`".to_owned(),
            );
        }
        Ok(NetConfig {
            buffer,
            backpressure,
            write_timeout: write_timeout.0,
            reconnect,
            batch: batch.max(1),
        })
    }
}

/// Why a [`Transport::send`] stopped: the error, and how many items of the batch (from
/// its start) were delivered before it.
#[derive(Debug)]
pub(crate) struct Failed {
    pub sent: usize,
    pub error: io::Error,
}

/// A destination the sender thread drives. Only that thread calls it.
pub(crate) trait Transport: Send + 'static {
    /// What the buffer holds: a rendered line, a framed message, an OTLP record.
    type Item: Send + 'static;

    /// Opens the connection (called lazily, and again after a failure). `timeout` bounds
    /// the attempt.
    fn connect(&mut self, timeout: Duration) -> io::Result<()>;

    /// Delivers `batch` (at most `batch` items, in order) on the open connection.
    fn send(&mut self, batch: &[Self::Item]) -> Result<(), Failed>;

    /// Drops the connection after a failure.
    fn disconnect(&mut self);

    /// Where it sends, for status records and reports (`tcp://127.0.0.1:601`).
    fn destination(&self) -> String;
}

/// A handler's own figures ([`crate::Handler::counts`]), counted by its thread.
#[derive(Debug, Default)]
pub(crate) struct Counts {
    pub sent: AtomicU64,
    pub dropped: AtomicU64,
    pub retries: AtomicU64,
    pub reconnects: AtomicU64,
    /// The disk spool's, when the handler has one.
    pub spool: super::spool::SpoolCounts,
}

#[derive(Debug)]
struct State<T> {
    items: VecDeque<T>,
    /// Items accepted, in total.
    pushed: u64,
    /// Items removed from the front (taken by the thread or evicted by `drop_oldest`).
    taken: u64,
    /// Accepted items that are finished (sent or dropped): a flush waits until this
    /// reaches the `pushed` it saw.
    resolved: u64,
    /// Send at once everything numbered up to this (a flush asked).
    flush_to: u64,
    /// Shutdown asked: deliver until this deadline, then give up.
    closing: Option<Instant>,
    /// Set at shutdown when a signal ends the process: while the destination cannot be
    /// reached, give up at this instant rather than at `closing`.
    unreachable_by: Option<Instant>,
    /// The thread has given up on everything and stopped.
    done: bool,
}

/// The one bounded buffer between the dispatcher and a handler's own thread, with its
/// backpressure, its hold, its figures and its shutdown (module docs). `sender` drives
/// it for `socket` and `syslog` ([`Sender`]), the OTLP exporter for `otlp`.
#[derive(Debug)]
pub(crate) struct Buffer<T> {
    state: Mutex<State<T>>,
    /// Items arrived, a flush or shutdown asked: wakes the thread.
    arrived: Condvar,
    /// Items were taken or resolved, or the destination went away: wakes a flush or
    /// `close`.
    changed: Condvar,
    capacity: usize,
    /// Items per batch: a push that fills a batch wakes the thread.
    batch_size: usize,
    policy: Backpressure,
    /// Raised while a `block` buffer is full (see [`Hold`]).
    hold: Hold,
    pub counts: Counts,
    /// The destination is away (set by the thread between `unreachable` and `back`): a
    /// flush does not wait for what cannot be delivered now.
    down: AtomicBool,
    /// The thread writes what it cannot deliver to a disk spool (module `spool`): a
    /// flush then waits, destination away or not, until it is delivered or spooled.
    spooled: bool,
}

/// What the thread does with one batch: deliver it until it is finished (sent, rejected
/// or given up at the shutdown deadline), counting which in [`Buffer::counts`].
pub(crate) type Deliver<'a, T> = dyn FnMut(&[T], &Buffer<T>) + 'a;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Waits on `condvar` with `guard` until `until`: `None` once it has passed, else the
/// guard again (woken, or timed out, or the lock poisoned: the caller looks again).
fn wait_until<'a, S>(
    condvar: &Condvar,
    guard: MutexGuard<'a, S>,
    until: Instant,
) -> Option<MutexGuard<'a, S>> {
    let left = until.checked_duration_since(Instant::now())?;
    Some(
        condvar
            .wait_timeout(guard, left)
            .map(|(g, _)| g)
            .unwrap_or_else(|e| e.into_inner().0),
    )
}

impl<T> Buffer<T> {
    /// An empty buffer holding at most `capacity` items, taken `batch_size` at a time.
    pub fn new(capacity: usize, batch_size: usize, policy: Backpressure) -> Buffer<T> {
        Buffer {
            state: Mutex::new(State {
                items: VecDeque::new(),
                pushed: 0,
                taken: 0,
                resolved: 0,
                flush_to: 0,
                closing: None,
                unreachable_by: None,
                done: false,
            }),
            arrived: Condvar::new(),
            changed: Condvar::new(),
            capacity: capacity.max(1),
            batch_size: batch_size.max(1),
            policy,
            hold: Hold::new(),
            counts: Counts::default(),
            down: AtomicBool::new(false),
            spooled: false,
        }
    }

    /// The same buffer, for a thread that spools (see the `spooled` field).
    pub fn spooling(mut self, spooled: bool) -> Buffer<T> {
        self.spooled = spooled;
        self
    }

    /// Whether a flush may stop waiting: the destination is away and nothing spools.
    fn flush_gives_up(&self) -> bool {
        !self.spooled && self.down.load(Ordering::Acquire)
    }

    /// Waits on `arrived` until `until` (`None` once it has passed).
    fn wait_arrived<'a>(
        &self,
        guard: MutexGuard<'a, State<T>>,
        until: Instant,
    ) -> Option<MutexGuard<'a, State<T>>> {
        wait_until(&self.arrived, guard, until)
    }

    /// Waits on `changed` until `until` (`None` once it has passed).
    fn wait_changed<'a>(
        &self,
        guard: MutexGuard<'a, State<T>>,
        until: Instant,
    ) -> Option<MutexGuard<'a, State<T>>> {
        wait_until(&self.changed, guard, until)
    }

    /// Whether the memory holds more than half its capacity: records come faster than
    /// the destination takes them (a spooling thread then moves them to the spool).
    pub(super) fn filling(&self) -> bool {
        lock(&self.state).items.len() > self.capacity / 2
    }

    pub(super) fn drop_count(&self, n: u64) {
        self.counts.dropped.fetch_add(n, Ordering::Relaxed);
    }

    /// Accepts `item` under the backpressure policy (called by the dispatcher; never
    /// waits).
    pub fn push(&self, item: T) {
        let mut state = lock(&self.state);
        let admit = match state.closing {
            Some(_) => Admit::Refuse,
            None => hold::admit(state.items.len(), self.capacity, self.policy, &self.hold),
        };
        match admit {
            Admit::Push => {}
            Admit::EvictOldest => {
                state.items.pop_front();
                state.taken += 1;
                state.resolved += 1;
                self.drop_count(1);
            }
            Admit::Refuse => {
                drop(state);
                self.drop_count(1);
                return;
            }
        }
        state.items.push_back(item);
        state.pushed += 1;
        let len = state.items.len();
        drop(state);
        if len == 1 || len == self.batch_size {
            self.arrived.notify_one();
        }
    }

    /// The hold this buffer raises under `block` ([`crate::Handler::hold`]).
    pub fn hold(&self) -> Option<Hold> {
        (self.policy == Backpressure::Block).then(|| self.hold.clone())
    }

    /// Asks the thread to send everything accepted so far, and waits until it is
    /// finished (sent or dropped) or `wait` passed, unless the destination is away.
    pub fn flush(&self, wait: Duration) {
        let mut state = lock(&self.state);
        let target = state.pushed;
        if state.resolved >= target || self.flush_gives_up() {
            return;
        }
        state.flush_to = state.flush_to.max(target);
        self.arrived.notify_one();
        let until = Instant::now() + wait;
        while state.resolved < target && !state.done && !self.flush_gives_up() {
            match self.wait_changed(state, until) {
                Some(next) => state = next,
                None => return,
            }
        }
    }

    /// The destination failed with `error`: the first time in an outage, `outage` says
    /// so, and a waiting flush stops waiting.
    pub fn went_down(&self, outage: &mut Outage, error: &dyn std::fmt::Display) {
        if outage.down(self.counts.dropped.load(Ordering::Relaxed), error) {
            self.set_down(true);
        }
    }

    /// The destination answered: after an outage, `outage` says so, with the drops
    /// meanwhile.
    pub fn came_back(&self, outage: &mut Outage) {
        if outage.up(self.counts.dropped.load(Ordering::Relaxed)) {
            self.set_down(false);
        }
    }

    /// Tells whether the destination is away; a waiting flush stops waiting when it is.
    fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::Release);
        let _state = lock(&self.state);
        self.changed.notify_all();
    }

    /// Asks for shutdown: deliver until `deadline`, then give up the rest (at
    /// `unreachable_by` already while the destination cannot be reached, when a signal
    /// ends the process). Returns once the thread stopped, or `grace` after the deadline,
    /// with the items still unfinished then (given up; counted as dropped here if the
    /// thread did not).
    pub fn close(
        &self,
        deadline: Instant,
        grace: Duration,
        unreachable_by: Option<Instant>,
    ) -> u64 {
        let mut state = lock(&self.state);
        state.closing = Some(deadline);
        state.unreachable_by = unreachable_by;
        state.flush_to = state.pushed;
        self.hold.lower();
        self.arrived.notify_all();
        self.changed.notify_all();
        let until = deadline + grace;
        while !state.done {
            match self.wait_changed(state, until) {
                Some(next) => state = next,
                None => {
                    // The thread is stuck in a request: account for what it holds.
                    let mut state = lock(&self.state);
                    let left = state.pushed - state.resolved;
                    state.resolved = state.pushed;
                    state.done = true;
                    self.drop_count(left);
                    return left;
                }
            }
        }
        0
    }

    /// The shutdown deadline, once shutdown was asked.
    pub fn deadline(&self) -> Option<Instant> {
        lock(&self.state).closing
    }

    /// When a signal ends the process: until when a destination that cannot be reached
    /// is tried (see [`Buffer::close`]).
    pub fn unreachable_by(&self) -> Option<Instant> {
        lock(&self.state).unreachable_by
    }

    /// Whether the destination is away now.
    pub fn is_down(&self) -> bool {
        self.down.load(Ordering::Acquire)
    }

    /// Whether the shutdown deadline has passed.
    pub fn past_deadline(&self) -> bool {
        self.deadline().is_some_and(|d| Instant::now() >= d)
    }

    /// Sleeps `delay`, cut short at the shutdown deadline, and when shutdown begins
    /// meanwhile (one more attempt, at once, before giving up).
    pub fn sleep(&self, delay: Duration) {
        let mut until = Instant::now() + delay;
        let mut state = lock(&self.state);
        let closing = state.closing.is_some();
        loop {
            if let Some(deadline) = state.closing {
                if !closing {
                    return;
                }
                until = until.min(deadline);
            }
            match self.wait_arrived(state, until) {
                Some(next) => state = next,
                None => return,
            }
        }
    }

    /// Past the shutdown deadline: gives up the `held` items of the current batch and
    /// everything still buffered, counted as dropped; returns how many (the caller
    /// reports them).
    pub fn give_up(&self, held: usize) -> u64 {
        let mut state = lock(&self.state);
        let buffered = state.items.len() as u64;
        state.items.clear();
        state.taken += buffered;
        state.resolved += buffered;
        drop(state);
        let given_up = buffered + held as u64;
        self.drop_count(given_up);
        self.changed.notify_all();
        given_up
    }

    /// The next batch, for both of the thread's loops (memory only, [`Buffer::run`], and
    /// with a spool, `spool::run`): up to `max` items, once `batch_size` are there,
    /// `interval` after the first, or at once when a flush waits for items still here or
    /// shutdown began. `Some` of an empty batch when `until` passes first (`None`: wait
    /// for items); `None` once shutdown began and nothing is left (or `close` gave up).
    pub(super) fn take(
        &self,
        interval: Duration,
        until: Option<Instant>,
        max: usize,
    ) -> Option<Vec<T>> {
        let mut state = lock(&self.state);
        let mut due: Option<Instant> = None;
        loop {
            let len = state.items.len();
            let closing = state.closing.is_some();
            if state.done || (closing && len == 0) {
                return None;
            }
            if closing || state.flush_to > state.taken || len >= self.batch_size {
                break;
            }
            let now = Instant::now();
            let mut wake = until;
            if len == 0 {
                due = None;
            } else {
                let at = *due.get_or_insert(now + interval);
                wake = Some(wake.map_or(at, |until| until.min(at)));
            }
            match wake {
                Some(at) if now >= at => break,
                Some(at) => {
                    state = self
                        .arrived
                        .wait_timeout(state, at - now)
                        .map(|(g, _)| g)
                        .unwrap_or_else(|e| e.into_inner().0);
                }
                None => state = self.arrived.wait(state).unwrap_or_else(|e| e.into_inner()),
            }
        }
        let n = max.min(state.items.len());
        let batch: Vec<T> = state.items.drain(..n).collect();
        state.taken += n as u64;
        hold::made_room(state.items.len(), self.capacity, &self.hold);
        drop(state);
        self.changed.notify_all();
        Some(batch)
    }

    /// Marks `n` taken items finished.
    pub(super) fn resolve(&self, n: usize) {
        let mut state = lock(&self.state);
        // `close` may have given them up already when the thread was stuck.
        if !state.done {
            state.resolved += n as u64;
        }
        drop(state);
        self.changed.notify_all();
    }

    /// What a full buffer does (key `backpressure`).
    pub(super) fn policy(&self) -> Backpressure {
        self.policy
    }

    /// Items per batch.
    pub(super) fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// Whether the buffer holds nothing.
    pub(super) fn is_empty(&self) -> bool {
        lock(&self.state).items.is_empty()
    }

    /// Waits until `until`, or until shutdown begins.
    pub(super) fn wait_closing_or(&self, until: Instant) {
        let mut state = lock(&self.state);
        while state.closing.is_none() {
            match self.wait_arrived(state, until) {
                Some(next) => state = next,
                None => return,
            }
        }
    }

    /// The thread has finished: everything it took is resolved, and it stops.
    pub(super) fn finish(&self) {
        lock(&self.state).done = true;
        self.changed.notify_all();
    }

    /// The thread's loop: `batch_size` (or after `interval`) at a time until shutdown,
    /// each delivered by `deliver` under `catch_unwind` (a panic drops that batch,
    /// counted and reported, and the loop carries on).
    pub fn run(&self, interval: Duration, deliver: &mut Deliver<'_, T>) {
        while let Some(batch) = self.take(interval, None, self.batch_size) {
            let n = batch.len();
            if n == 0 {
                continue;
            }
            if crate::unwind::catch(|| deliver(&batch, self)).is_err() {
                self.drop_count(n as u64);
                report::report(
                    "HANDLER::Sender::PANIC::ERROR::RECOVERABLE",
                    &format!("a handler's sender thread panicked while sending {n} records; they are dropped and it carries on"),
                );
            }
            self.resolve(n);
        }
        self.finish();
    }

    /// The figures for [`crate::Handler::counts`].
    pub fn stats(&self) -> HandlerStats {
        HandlerStats {
            dropped: self.counts.dropped.load(Ordering::Relaxed),
            sent: self.counts.sent.load(Ordering::Relaxed),
            retries: self.counts.retries.load(Ordering::Relaxed),
            reconnects: self.counts.reconnects.load(Ordering::Relaxed),
            spooled: self.counts.spool.spooled.load(Ordering::Relaxed),
            replayed: self.counts.spool.replayed.load(Ordering::Relaxed),
            spool_bytes: self.counts.spool.bytes.load(Ordering::Relaxed),
            torn: self.counts.spool.torn.load(Ordering::Relaxed),
            ..HandlerStats::default()
        }
    }
}

/// The handler's side of a network sender over a [`Transport`]: push items, sync, read
/// counters. Dropping it shuts the thread down (see the module docs).
#[derive(Debug)]
pub(crate) struct Sender<T: Send + 'static> {
    buffer: Arc<Buffer<T>>,
    config: NetConfig,
    handle: Handle,
    thread: Option<JoinHandle<()>>,
}

impl<T: Spooled> Sender<T> {
    /// Starts the thread `ko-log-KIND` that drains the buffer into `transport`, and
    /// into `spool` when there is one (module `spool`). Nothing connects until the first
    /// item.
    pub fn spawn<X: Transport<Item = T>>(
        kind: &str,
        transport: X,
        config: NetConfig,
        spool: Option<Spool>,
        handle: &Handle,
    ) -> io::Result<Sender<T>> {
        let buffer = Arc::new(
            Buffer::new(config.buffer, config.batch, config.backpressure).spooling(spool.is_some()),
        );
        let outage = Outage::new(handle.clone(), transport.destination(), config.buffer);
        let thread = {
            let buffer = Arc::clone(&buffer);
            handle.spawn(kind, move || run(&buffer, transport, config, outage, spool))?
        };
        Ok(Sender {
            buffer,
            config,
            handle: handle.clone(),
            thread: Some(thread),
        })
    }

    /// Puts one item in the buffer, applying `backpressure` when it is full (module
    /// docs); never waits. Called on the dispatcher thread.
    pub fn push(&self, item: T) {
        self.buffer.push(item);
    }

    /// The hold this sender raises under `block` ([`crate::Handler::hold`]).
    pub fn hold(&self) -> Option<Hold> {
        self.buffer.hold()
    }

    /// For a `log::logger().flush()` ([`crate::Handler::sync`]): waits, at most
    /// `write_timeout`, until everything pushed so far is handed to the transport, unless
    /// the destination is away.
    pub fn sync(&self) {
        self.buffer
            .flush(self.handle.wait_at_most(self.config.write_timeout));
    }

    /// The sender's figures for [`crate::Handler::counts`].
    pub fn counts(&self) -> HandlerStats {
        self.buffer.stats()
    }
}

/// The [`Handler`](crate::component::Handler) methods of a handler whose records leave
/// through its `sender` field (`socket`, `syslog`): `flush` has nothing to do (the
/// sender's thread sends on its own), `sync` waits for it, and the counts and the hold
/// are the sender's.
macro_rules! sent_by_sender {
    () => {
        fn flush(&mut self) -> Result<(), $crate::error::Error> {
            Ok(())
        }

        fn sync(&mut self) -> Result<(), $crate::error::Error> {
            self.sender.sync();
            Ok(())
        }

        fn counts(&self) -> $crate::stats::HandlerStats {
            self.sender.counts()
        }

        fn hold(&self) -> Option<$crate::component::Hold> {
            self.sender.hold()
        }
    };
}
pub(crate) use sent_by_sender;

impl<T: Send + 'static> Drop for Sender<T> {
    fn drop(&mut self) {
        let deadline = self
            .handle
            .deadline()
            .unwrap_or_else(|| Instant::now() + self.config.write_timeout);
        let unreachable_by = self.handle.unreachable_deadline();
        if self
            .buffer
            .close(deadline, self.config.write_timeout, unreachable_by)
            == 0
        {
            if let Some(thread) = self.thread.take() {
                let _ = thread.join();
            }
        }
    }
}

/// A transport and its connection state, as the sender thread drives it.
struct Link<X: Transport> {
    transport: X,
    connected: bool,
    ever_connected: bool,
    /// The last attempt (connection or send) failed: the next one is a retry.
    failed: bool,
    outage: Outage,
}

/// Where [`Link::attempt`] failed.
enum Stage {
    /// Could not connect.
    Connect,
    /// The connection failed after the first `sent` items.
    Send { sent: usize },
}

impl<X: Transport> Link<X> {
    /// One try at `batch`: connects if needed (within `budget`), sends, counts `sent`,
    /// `retries` and `reconnects`, and tells the outage's start and end.
    fn attempt(
        &mut self,
        batch: &[X::Item],
        buffer: &Buffer<X::Item>,
        budget: Duration,
    ) -> Result<(), Stage> {
        let counts = &buffer.counts;
        if !self.connected {
            if self.failed {
                counts.retries.fetch_add(1, Ordering::Relaxed);
            }
            match self.transport.connect(budget.max(Duration::from_millis(1))) {
                Ok(()) => {
                    self.connected = true;
                    if self.ever_connected {
                        counts.reconnects.fetch_add(1, Ordering::Relaxed);
                    }
                    self.ever_connected = true;
                }
                Err(error) => {
                    self.failed = true;
                    buffer.went_down(&mut self.outage, &error);
                    return Err(Stage::Connect);
                }
            }
        }
        match self.transport.send(batch) {
            Ok(()) => {
                self.failed = false;
                counts.sent.fetch_add(batch.len() as u64, Ordering::Relaxed);
                // After the figures: the `back` record wakes the dispatcher, which then
                // reads them.
                buffer.came_back(&mut self.outage);
                Ok(())
            }
            Err(error) => {
                let sent = error.sent.min(batch.len());
                counts.sent.fetch_add(sent as u64, Ordering::Relaxed);
                self.transport.disconnect();
                self.connected = false;
                self.failed = true;
                buffer.went_down(&mut self.outage, &error.error);
                Err(Stage::Send { sent })
            }
        }
    }
}

/// The sender thread: connect, take a batch, send, reconnect after a failure, until the
/// handler is dropped and what it held is delivered or its deadline passes. With a
/// spool, [`spool::run`] drives the same [`Link`].
fn run<X: Transport>(
    buffer: &Buffer<X::Item>,
    transport: X,
    config: NetConfig,
    outage: Outage,
    spool: Option<Spool>,
) where
    X::Item: Spooled,
{
    let mut link = Link {
        transport,
        connected: false,
        ever_connected: false,
        failed: false,
        outage,
    };
    let mut backoff = Backoff::new(config.reconnect.min.0, config.reconnect.max.0);
    let budget = |buffer: &Buffer<X::Item>| {
        buffer.deadline().map_or(config.write_timeout, |deadline| {
            deadline
                .saturating_duration_since(Instant::now())
                .min(config.write_timeout)
        })
    };
    if let Some(mut spool) = spool {
        spool::run(
            buffer,
            &mut spool,
            Duration::ZERO,
            backoff,
            &mut |batch, buffer| match link.attempt(batch, buffer, budget(buffer)) {
                Ok(()) => Outcome::Accepted,
                Err(Stage::Connect) => Outcome::Failed {
                    sent: 0,
                    wait: None,
                },
                Err(Stage::Send { sent }) => Outcome::Failed { sent, wait: None },
            },
        );
        return;
    }
    buffer.run(Duration::ZERO, &mut |batch, buffer| {
        let mut rest = batch;
        while !rest.is_empty() {
            if buffer.past_deadline() {
                give_up(
                    buffer,
                    rest.len(),
                    &link.transport,
                    "before the shutdown deadline",
                );
                return;
            }
            // Ending on a signal, a connection attempt ends by `unreachable_by`
            // (module `dispatch::guard`, UNREACHABLE_GRACE).
            let unreachable_by = buffer.unreachable_by();
            let budget = unreachable_by.map_or(budget(buffer), |by| {
                budget(buffer).min(by.saturating_duration_since(Instant::now()))
            });
            match link.attempt(rest, buffer, budget) {
                Ok(()) => {
                    // Only a delivery resets the backoff: a peer that accepts and then
                    // drops every connection is retried at the backoff's pace.
                    backoff.reset();
                    rest = &[];
                }
                Err(Stage::Connect) => {
                    // Ending on a signal: one attempt, no backoff (every record
                    // logged while this waits is lost for every handler).
                    if unreachable_by.is_some() {
                        give_up(
                            buffer,
                            rest.len(),
                            &link.transport,
                            "as the process ends on a signal: it could not be reached",
                        );
                        return;
                    }
                    buffer.sleep(backoff.next());
                }
                Err(Stage::Send { sent }) => {
                    rest = &rest[sent..];
                    // A connection that worked dropped: try again at once, once.
                    if backoff.fresh() {
                        backoff.next();
                    } else {
                        buffer.sleep(backoff.next());
                    }
                }
            }
        }
    });
}

/// Gives up the `held` items of the current batch and everything buffered, counted as
/// dropped, and says so (`when`: why).
fn give_up<X: Transport>(buffer: &Buffer<X::Item>, held: usize, transport: &X, when: &str) {
    let given_up = buffer.give_up(held);
    let destination = transport.destination();
    report::report(
        "HANDLER::Sender::SHUTDOWN::ERROR",
        &format!("{given_up} records for {destination} were not delivered {when}"),
    );
}

/// Capped exponential backoff with equal jitter (the network handlers' `reconnect`).
#[derive(Debug)]
pub(crate) struct Backoff {
    min: Duration,
    max: Duration,
    step: Option<Duration>,
    seed: u64,
}

impl Backoff {
    /// Doubling from `min`, at most `max`.
    pub fn new(min: Duration, max: Duration) -> Backoff {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0x9e37_79b9_7f4a_7c15, |d| d.as_nanos() as u64)
            | 1;
        Backoff {
            min,
            max,
            step: None,
            seed,
        }
    }

    /// Whether no failure happened since the last success.
    fn fresh(&self) -> bool {
        self.step.is_none()
    }

    pub fn reset(&mut self) {
        self.step = None;
    }

    /// The next wait: the step (doubled each time, from `min` up to `max`), jittered
    /// to between half of it and all of it. The first call after a success returns 0.
    pub fn next(&mut self) -> Duration {
        let step = match self.step {
            None => {
                self.step = Some(self.min);
                return Duration::ZERO;
            }
            Some(step) => step,
        };
        self.step = Some((step * 2).min(self.max));
        // xorshift64: no dependency for a jitter.
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        let fraction = (self.seed % 1000) as f64 / 1000.0;
        step.mul_f64(0.5 + fraction / 2.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_with_jitter() {
        let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_millis(800));
        assert_eq!(backoff.next(), Duration::ZERO);
        let mut steps = Vec::new();
        for _ in 0..6 {
            steps.push(backoff.next());
        }
        let caps = [100, 200, 400, 800, 800, 800];
        for (wait, cap) in steps.iter().zip(caps) {
            let cap = Duration::from_millis(cap);
            assert!(*wait <= cap && *wait >= cap / 2, "{wait:?} for {cap:?}");
        }
        backoff.reset();
        assert_eq!(backoff.next(), Duration::ZERO);
    }

    impl Spooled for u32 {
        fn time_unix_nano(&self) -> Option<u64> {
            None
        }
        fn encode(&self, out: &mut Vec<u8>) {
            out.extend_from_slice(&self.to_le_bytes());
        }
        fn decode(bytes: &[u8]) -> Option<u32> {
            Some(u32::from_le_bytes(bytes.try_into().ok()?))
        }
    }

    /// Records what it is sent; fails while `down` is set.
    #[derive(Debug)]
    struct Memory {
        got: Arc<Mutex<Vec<u32>>>,
        down: Arc<Outage>,
    }

    /// The memory destination's outage: whether it is down, and how many connections it
    /// refused meanwhile.
    #[derive(Debug, Default)]
    struct Outage {
        down: std::sync::atomic::AtomicBool,
        refused: std::sync::atomic::AtomicUsize,
    }

    impl Outage {
        fn load(&self, order: Ordering) -> bool {
            self.down.load(order)
        }

        fn store(&self, down: bool, order: Ordering) {
            self.down.store(down, order);
        }
    }

    impl Transport for Memory {
        type Item = u32;
        fn connect(&mut self, _: Duration) -> io::Result<()> {
            if self.down.load(Ordering::SeqCst) {
                self.down.refused.fetch_add(1, Ordering::SeqCst);
                Err(io::Error::from(io::ErrorKind::ConnectionRefused))
            } else {
                Ok(())
            }
        }
        fn send(&mut self, batch: &[u32]) -> Result<(), Failed> {
            if self.down.load(Ordering::SeqCst) {
                // Half the batch went through before the failure.
                let sent = batch.len() / 2;
                lock(&self.got).extend_from_slice(&batch[..sent]);
                return Err(Failed {
                    sent,
                    error: io::Error::from(io::ErrorKind::BrokenPipe),
                });
            }
            lock(&self.got).extend_from_slice(batch);
            Ok(())
        }
        fn disconnect(&mut self) {}
        fn destination(&self) -> String {
            "memory".to_owned()
        }
    }

    fn config(buffer: usize, backpressure: Backpressure) -> NetConfig {
        NetConfig::new(
            buffer,
            backpressure,
            HumanDuration(Duration::from_millis(200)),
            Reconnect {
                min: HumanDuration(Duration::from_millis(1)),
                max: HumanDuration(Duration::from_millis(5)),
            },
            16,
        )
        .expect("valid")
    }

    /// A sender with a buffer of `buffer` under `backpressure`, into a memory transport
    /// whose destination is away until `down` is cleared; `got` collects what it receives.
    #[allow(clippy::type_complexity)]
    fn sender_while_down(
        buffer: usize,
        backpressure: Backpressure,
    ) -> (Sender<u32>, Arc<Mutex<Vec<u32>>>, Arc<Outage>) {
        let got = Arc::new(Mutex::new(Vec::new()));
        let down = Arc::new(Outage::default());
        down.store(true, Ordering::SeqCst);
        let transport = Memory {
            got: Arc::clone(&got),
            down: Arc::clone(&down),
        };
        let config = config(buffer, backpressure);
        let sender = Sender::spawn("test", transport, config, None, &Handle::detached());
        (sender.expect("spawned"), got, down)
    }

    #[test]
    fn everything_pushed_is_delivered_once_in_order_across_an_outage() {
        let (sender, got, down) = sender_while_down(1000, Backpressure::Block);
        for i in 0..100 {
            sender.push(i);
        }
        // The outage lasts until the sender has been refused and has tried again.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while down.refused.load(Ordering::SeqCst) < 2 {
            assert!(
                std::time::Instant::now() < deadline,
                "the sender never tried"
            );
            std::thread::yield_now();
        }
        down.store(false, Ordering::SeqCst);
        for i in 100..200 {
            sender.push(i);
        }
        // Not on a dispatcher: the shutdown deadline is write_timeout from now.
        drop(sender);
        assert_eq!(*lock(&got), (0..200).collect::<Vec<_>>());
    }

    #[test]
    fn drop_oldest_keeps_the_newest_and_counts() {
        let (sender, got, down) = sender_while_down(10, Backpressure::DropOldest);
        for i in 0..1000 {
            sender.push(i);
        }
        // The thread may hold a first batch (up to 16 items, or none if it has not taken
        // one yet) while the destination is away; the buffer holds the newest 10.
        let dropped = sender.counts().dropped;
        assert!((1000 - 10 - 16..=1000 - 10).contains(&dropped), "{dropped}");
        down.store(false, Ordering::SeqCst);
        drop(sender);
        let got = lock(&got).clone();
        assert!(got.ends_with(&[990, 991, 992, 993, 994, 995, 996, 997, 998, 999]));
        assert!(got.len() <= 10 + 16, "{}", got.len());
    }

    #[test]
    fn block_never_waits_raises_the_hold_and_loses_nothing() {
        let (sender, got, down) = sender_while_down(4, Backpressure::Block);
        let hold = sender.hold().expect("block has a hold");
        // 100 pushes into a buffer of 4 with the destination away: none waits (a wait
        // would be `write_timeout`, 200 ms, each), none is dropped, and the hold is up.
        for i in 0..100 {
            sender.push(i);
        }
        assert!(hold.is_raised());
        assert_eq!(sender.counts().dropped, 0);
        down.store(false, Ordering::SeqCst);
        // Once the thread has emptied the buffer to half, the hold comes down by itself.
        assert!(hold.wait(|| true));
        drop(sender);
        assert_eq!(*lock(&got), (0..100).collect::<Vec<_>>());
        assert!(!hold.is_raised());
    }

    #[test]
    fn drop_oldest_counts_exactly_and_resolves() {
        let buffer = Buffer::<u32>::new(2, 1, Backpressure::DropOldest);
        assert!(buffer.hold().is_none(), "only block has a hold");
        for _ in 0..5 {
            buffer.push(0);
        }
        assert_eq!(buffer.counts.dropped.load(Ordering::Relaxed), 3);
        let state = lock(&buffer.state);
        assert_eq!((state.pushed, state.resolved, state.items.len()), (5, 3, 2));
    }

    #[test]
    fn drop_refuses_and_block_overfills_with_its_hold_raised() {
        let buffer = Buffer::<u32>::new(1, 1, Backpressure::Drop);
        buffer.push(0);
        buffer.push(0);
        assert_eq!(buffer.counts.dropped.load(Ordering::Relaxed), 1);
        assert_eq!(lock(&buffer.state).pushed, 1);
        assert!(buffer.hold().is_none());

        // No exporter runs: `block` takes all 20 without waiting and drops none.
        let buffer = Buffer::<u32>::new(1, 1, Backpressure::Block);
        for _ in 0..20 {
            buffer.push(0);
        }
        assert_eq!(buffer.counts.dropped.load(Ordering::Relaxed), 0);
        assert_eq!(lock(&buffer.state).items.len(), 20);
        let hold = buffer.hold().expect("block has a hold");
        assert!(hold.is_raised());
        // Taking the buffer down to half (here: empty) lowers it.
        while !lock(&buffer.state).items.is_empty() {
            assert!(hold.is_raised());
            buffer.take(Duration::ZERO, None, 1);
        }
        assert!(!hold.is_raised());
    }

    #[test]
    fn a_panicking_delivery_is_counted_and_the_loop_goes_on() {
        crate::unwind::install_hook();
        let buffer = Buffer::<u32>::new(8, 1, Backpressure::Block);
        for _ in 0..3 {
            buffer.push(0);
        }
        let mut calls = 0;
        std::thread::scope(|scope| {
            scope.spawn(|| {
                buffer.run(Duration::ZERO, &mut |batch: &[u32], b: &Buffer<u32>| {
                    calls += 1;
                    if calls == 2 {
                        panic!("boom");
                    }
                    b.counts
                        .sent
                        .fetch_add(batch.len() as u64, Ordering::Relaxed);
                })
            });
            buffer.flush(Duration::from_secs(1));
            assert_eq!(
                buffer.close(
                    Instant::now() + Duration::from_secs(5),
                    Duration::from_secs(1),
                    None
                ),
                0
            );
        });
        assert_eq!(buffer.counts.sent.load(Ordering::Relaxed), 2);
        assert_eq!(buffer.counts.dropped.load(Ordering::Relaxed), 1);
    }
}
