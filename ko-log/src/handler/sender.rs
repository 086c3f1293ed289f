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
//!   away, when waiting would only stall the dispatcher. The dispatcher's routine
//!   flushes (queue ran dry) only wake the thread.
//! - **Shutdown** (the handler dropped, which the dispatcher does as it ends): the thread
//!   delivers what it holds until the guard's drain deadline (`queue.drain_timeout`) or,
//!   for a handler dropped elsewhere, `write_timeout`; what it gives up is counted in
//!   `dropped` and reported on stderr.

use std::collections::VecDeque;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ko_log_config::units::HumanDuration;
use ko_log_config::Backpressure;

use super::hold::{self, Admit, Hold};
use super::status::{Outage, Statuses};
use super::Handle;
use crate::{report, HandlerStats};

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

/// What the dispatcher and the sender thread share.
#[derive(Debug)]
struct Shared<T> {
    state: Mutex<State<T>>,
    /// Wakes the sender thread: items pushed, a flush, shutdown.
    work: Condvar,
    /// Wakes a waiting `sync`: items delivered, the destination away, shutdown.
    progress: Condvar,
    dropped: AtomicU64,
    sent: AtomicU64,
    retries: AtomicU64,
    reconnects: AtomicU64,
    statuses: Statuses,
    /// Raised while a `block` buffer is full (see [`Hold`]).
    hold: Hold,
}

#[derive(Debug)]
struct State<T> {
    queue: VecDeque<T>,
    /// Items pushed so far, and items finished (delivered or discarded) so far: a flush
    /// waits until `finished` reaches the `pushed` it saw.
    pushed: u64,
    finished: u64,
    /// The sender cannot reach the destination now.
    down: bool,
    /// Set at shutdown: deliver until then, then give up.
    closing: Option<Instant>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// The handler's side of a network sender: push items, flush, read counters. Dropping
/// it shuts the thread down (see the module docs).
#[derive(Debug)]
pub(crate) struct Sender<T: Send + 'static> {
    shared: Arc<Shared<T>>,
    config: NetConfig,
    handle: Handle,
    thread: Option<JoinHandle<()>>,
}

impl<T: Send + 'static> Sender<T> {
    /// Starts the thread `ko-log-KIND` that drains the buffer into `transport`. Nothing
    /// connects until the first item.
    pub fn spawn<X: Transport<Item = T>>(
        kind: &str,
        transport: X,
        config: NetConfig,
        handle: &Handle,
    ) -> io::Result<Sender<T>> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                pushed: 0,
                finished: 0,
                down: false,
                closing: None,
            }),
            work: Condvar::new(),
            progress: Condvar::new(),
            dropped: AtomicU64::new(0),
            sent: AtomicU64::new(0),
            retries: AtomicU64::new(0),
            reconnects: AtomicU64::new(0),
            statuses: Statuses::new(handle.clone(), transport.destination(), config.buffer),
            hold: Hold::new(),
        });
        let thread = {
            let shared = Arc::clone(&shared);
            handle.spawn(kind, move || run(&shared, transport, config))?
        };
        Ok(Sender {
            shared,
            config,
            handle: handle.clone(),
            thread: Some(thread),
        })
    }

    /// Puts one item in the buffer, applying `backpressure` when it is full (module
    /// docs); never waits. Called on the dispatcher thread.
    pub fn push(&self, item: T) {
        let mut state = lock(&self.shared.state);
        let admit = hold::admit(
            state.queue.len(),
            self.config.buffer,
            self.config.backpressure,
            &self.shared.hold,
        );
        match admit {
            Admit::Push => {}
            Admit::EvictOldest => {
                state.queue.pop_front();
                state.finished += 1;
                self.shared.dropped.fetch_add(1, Ordering::Relaxed);
            }
            Admit::Refuse => {
                drop(state);
                self.shared.dropped.fetch_add(1, Ordering::Relaxed);
                return;
            }
        }
        state.queue.push_back(item);
        state.pushed += 1;
        drop(state);
        self.shared.work.notify_one();
    }

    /// The hold this sender raises under `block` ([`crate::Handler::hold`]).
    pub fn hold(&self) -> Option<Hold> {
        (self.config.backpressure == ko_log_config::Backpressure::Block)
            .then(|| self.shared.hold.clone())
    }

    /// For a `log::logger().flush()` ([`crate::Handler::sync`]): waits, at most
    /// `write_timeout`, until everything pushed so far is handed to the transport, unless
    /// the destination is away.
    pub fn sync(&self) {
        let state = lock(&self.shared.state);
        let target = state.pushed;
        let _ = self.shared.progress.wait_timeout_while(
            state,
            self.handle.wait_at_most(self.config.write_timeout),
            |s| s.finished < target && !s.down,
        );
    }

    /// The sender's figures for [`crate::Handler::counts`].
    pub fn counts(&self) -> HandlerStats {
        HandlerStats {
            dropped: self.shared.dropped.load(Ordering::Relaxed),
            sent: self.shared.sent.load(Ordering::Relaxed),
            retries: self.shared.retries.load(Ordering::Relaxed),
            reconnects: self.shared.reconnects.load(Ordering::Relaxed),
            ..HandlerStats::default()
        }
    }
}

impl<T: Send + 'static> Drop for Sender<T> {
    fn drop(&mut self) {
        let deadline = self
            .handle
            .deadline()
            .unwrap_or_else(|| Instant::now() + self.config.write_timeout);
        lock(&self.shared.state).closing = Some(deadline);
        self.shared.hold.lower();
        self.shared.work.notify_all();
        self.shared.progress.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The sender thread: connect, take a batch, send, reconnect after a failure, until the
/// handler is dropped and what it held is delivered or its deadline passes.
fn run<X: Transport>(shared: &Shared<X::Item>, mut transport: X, config: NetConfig) {
    let mut held: Vec<X::Item> = Vec::with_capacity(config.batch);
    let mut connected = false;
    let mut ever_connected = false;
    // The last attempt (connection or send) failed: the next one is a retry.
    let mut failed = false;
    let mut backoff = Backoff::new(config.reconnect);
    let mut outage = Outage::default();
    loop {
        if held.is_empty() {
            let mut state = lock(&shared.state);
            while state.queue.is_empty() && state.closing.is_none() {
                state = shared.work.wait(state).unwrap_or_else(|e| e.into_inner());
            }
            if state.queue.is_empty() {
                return; // Closing, and everything was delivered.
            }
            let take = state.queue.len().min(config.batch);
            held.extend(state.queue.drain(..take));
            hold::made_room(state.queue.len(), config.buffer, &shared.hold);
            drop(state);
            shared.progress.notify_all();
        }
        let closing = lock(&shared.state).closing;
        if closing.is_some_and(|deadline| Instant::now() >= deadline) {
            give_up(shared, &mut held, &transport.destination());
            return;
        }
        let budget = closing.map_or(config.write_timeout, |deadline| {
            deadline
                .saturating_duration_since(Instant::now())
                .min(config.write_timeout)
        });
        if !connected {
            if failed {
                shared.retries.fetch_add(1, Ordering::Relaxed);
            }
            match transport.connect(budget.max(Duration::from_millis(1))) {
                Ok(()) => {
                    connected = true;
                    let dropped = shared.dropped.load(Ordering::Relaxed);
                    if outage.up(&shared.statuses, dropped) {
                        lock(&shared.state).down = false;
                    }
                    if ever_connected {
                        shared.reconnects.fetch_add(1, Ordering::Relaxed);
                    }
                    ever_connected = true;
                }
                Err(error) => {
                    failed = true;
                    went_down(shared, &mut outage, &error);
                    pause(shared, backoff.next(), closing);
                    continue;
                }
            }
        }
        match transport.send(&held) {
            Ok(()) => {
                // Only a delivery resets the backoff: a peer that accepts and then
                // drops every connection is retried at the backoff's pace.
                backoff.reset();
                failed = false;
                finished(shared, &mut held, None);
            }
            Err(error) => {
                finished(shared, &mut held, Some(error.sent));
                transport.disconnect();
                connected = false;
                failed = true;
                went_down(shared, &mut outage, &error.error);
                // A connection that worked dropped: try again at once, once.
                if backoff.fresh() {
                    backoff.next();
                } else {
                    pause(shared, backoff.next(), closing);
                }
            }
        }
    }
}

/// Counts the first `sent` held items (all with `None`) as delivered.
fn finished<T>(shared: &Shared<T>, held: &mut Vec<T>, sent: Option<usize>) {
    let sent = sent.unwrap_or(held.len()).min(held.len());
    if sent == 0 {
        return;
    }
    held.drain(..sent);
    shared.sent.fetch_add(sent as u64, Ordering::Relaxed);
    lock(&shared.state).finished += sent as u64;
    shared.progress.notify_all();
}

/// Marks the destination away (once per outage: one status record).
fn went_down<T>(shared: &Shared<T>, outage: &mut Outage, error: &io::Error) {
    let dropped = shared.dropped.load(Ordering::Relaxed);
    if outage.down(&shared.statuses, dropped, error) {
        lock(&shared.state).down = true;
        shared.progress.notify_all();
    }
}

/// Waits `wait` before the next attempt, less if the shutdown deadline comes first.
fn pause<T>(shared: &Shared<T>, wait: Duration, closing: Option<Instant>) {
    let wait = closing.map_or(wait, |deadline| {
        wait.min(deadline.saturating_duration_since(Instant::now()))
    });
    let until = Instant::now() + wait;
    let mut state = lock(&shared.state);
    loop {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() || (closing.is_none() && state.closing.is_some()) {
            return;
        }
        state = shared
            .work
            .wait_timeout(state, left)
            .map(|(s, _)| s)
            .unwrap_or_else(|e| e.into_inner().0);
    }
}

/// Shutdown deadline passed: counts what is held and buffered as dropped, and says so.
fn give_up<T>(shared: &Shared<T>, held: &mut Vec<T>, destination: &str) {
    let mut state = lock(&shared.state);
    let given_up = (held.len() + state.queue.len()) as u64;
    held.clear();
    state.queue.clear();
    state.finished += given_up;
    drop(state);
    shared.progress.notify_all();
    if given_up > 0 {
        shared.dropped.fetch_add(given_up, Ordering::Relaxed);
        report::report(
            "HANDLER::Sender::SHUTDOWN::ERROR",
            &format!(
                "{given_up} records for {destination} were not delivered before the shutdown deadline"
            ),
        );
    }
}

/// Capped exponential backoff with equal jitter.
#[derive(Debug)]
struct Backoff {
    min: Duration,
    max: Duration,
    step: Option<Duration>,
    seed: u64,
}

impl Backoff {
    fn new(reconnect: Reconnect) -> Backoff {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0x9e37_79b9_7f4a_7c15, |d| d.as_nanos() as u64)
            | 1;
        Backoff {
            min: reconnect.min.0,
            max: reconnect.max.0,
            step: None,
            seed,
        }
    }

    /// Whether no failure happened since the last success.
    fn fresh(&self) -> bool {
        self.step.is_none()
    }

    fn reset(&mut self) {
        self.step = None;
    }

    /// The next wait: the step (doubled each time, from `min` up to `max`), jittered
    /// to between half of it and all of it. The first call after a success returns 0.
    fn next(&mut self) -> Duration {
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
        let mut backoff = Backoff::new(Reconnect {
            min: HumanDuration(Duration::from_millis(100)),
            max: HumanDuration(Duration::from_millis(800)),
        });
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

    /// Records what it is sent; fails while `down` is set.
    #[derive(Debug)]
    struct Memory {
        got: Arc<Mutex<Vec<u32>>>,
        down: Arc<std::sync::atomic::AtomicBool>,
    }

    impl Transport for Memory {
        type Item = u32;
        fn connect(&mut self, _: Duration) -> io::Result<()> {
            if self.down.load(Ordering::SeqCst) {
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

    /// A memory transport whose destination is away until `down` is cleared; `got`
    /// collects what it receives.
    #[allow(clippy::type_complexity)]
    fn memory_down() -> (
        Memory,
        Arc<Mutex<Vec<u32>>>,
        Arc<std::sync::atomic::AtomicBool>,
    ) {
        let got = Arc::new(Mutex::new(Vec::new()));
        let down = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let transport = Memory {
            got: Arc::clone(&got),
            down: Arc::clone(&down),
        };
        (transport, got, down)
    }

    #[test]
    fn everything_pushed_is_delivered_once_in_order_across_an_outage() {
        let (transport, got, down) = memory_down();
        let sender = Sender::spawn(
            "test",
            transport,
            config(1000, Backpressure::Block),
            &Handle::detached(),
        )
        .expect("spawned");
        for i in 0..100 {
            sender.push(i);
        }
        std::thread::sleep(Duration::from_millis(20));
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
        let (transport, got, down) = memory_down();
        let sender = Sender::spawn(
            "test",
            transport,
            config(10, Backpressure::DropOldest),
            &Handle::detached(),
        )
        .expect("spawned");
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
        let (transport, got, down) = memory_down();
        let sender = Sender::spawn(
            "test",
            transport,
            config(4, Backpressure::Block),
            &Handle::detached(),
        )
        .expect("spawned");
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
    fn only_block_has_a_hold() {
        for (policy, has) in [
            (Backpressure::Block, true),
            (Backpressure::Drop, false),
            (Backpressure::DropOldest, false),
        ] {
            let (transport, _got, _down) = memory_down();
            let sender = Sender::spawn("test", transport, config(4, policy), &Handle::detached())
                .expect("spawned");
            assert_eq!(sender.hold().is_some(), has, "{policy:?}");
        }
    }
}
