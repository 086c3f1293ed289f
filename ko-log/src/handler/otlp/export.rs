//! The OTLP handler's bounded buffer and its exporter thread.
//!
//! The dispatcher pushes [`Record`]s into [`Buffer`] (`write`); one exporter thread takes
//! up to `batch_size` of them (or what is there `batch_interval` after the first arrived,
//! or at once when a flush or shutdown asks), encodes and POSTs them, retrying until the
//! collector acknowledges, rejects, or the shutdown deadline passes.
//!
//! Accounting is exact and by sequence: every record accepted into the buffer gets the
//! next number (`pushed`), and `resolved` counts those that are finished: acknowledged
//! (`sent`), rejected by the collector, discarded by `drop_oldest`, lost to a panic, or
//! given up at shutdown (all four `dropped`). A record refused at the door (`drop`) is
//! `dropped` and never numbered. `block` never waits: a full buffer takes the record and
//! raises the handler's [`Hold`], so the callers routed here wait instead (module
//! `handler::hold`); the exporter lowers it once it has taken the buffer down to half. A flush waits
//! until `resolved` reaches the `pushed` it saw, at most `write_timeout`.
//!
//! The thread never dies silently: each batch's delivery runs under `catch_unwind`; a
//! panic drops that batch (counted, reported) and the loop carries on.
//!
//! Kept to this module, with no OTLP in it but the `Record` type and the `deliver`
//! callback, so that it can later move onto ko-log's shared network sender.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use ko_log_config::Backpressure;

use super::record::Record;
use crate::handler::hold::{self, Admit, Hold};

/// The handler's own figures, read by `counts()`.
#[derive(Debug, Default)]
pub(crate) struct Counts {
    pub sent: AtomicU64,
    pub dropped: AtomicU64,
    pub retries: AtomicU64,
    pub reconnects: AtomicU64,
}

#[derive(Debug, Default)]
struct State {
    records: VecDeque<Record>,
    /// Records accepted, in total.
    pushed: u64,
    /// Records removed from the front (taken by the exporter or by `drop_oldest`).
    taken: u64,
    /// Accepted records that are finished (sent or dropped).
    resolved: u64,
    /// Send at once everything numbered up to this (a flush asked).
    flush_to: u64,
    /// Shutdown asked: deliver until this deadline, then give up.
    closing: Option<Instant>,
    /// The exporter has given up on everything and stopped.
    done: bool,
}

/// The bounded buffer between the dispatcher and the exporter thread.
#[derive(Debug)]
pub(crate) struct Buffer {
    state: Mutex<State>,
    /// Records arrived, a flush or shutdown asked: wakes the exporter.
    arrived: Condvar,
    /// Records were taken or resolved, or the collector went away: wakes a flush or
    /// `close`.
    changed: Condvar,
    capacity: usize,
    /// Records per request: a push that fills a batch wakes the exporter.
    batch_size: usize,
    policy: Backpressure,
    /// Raised while a `block` buffer is full.
    hold: Hold,
    pub counts: Counts,
    /// The collector is away (set by the exporter between `unreachable` and `back`): a
    /// flush does not wait for what cannot be delivered now.
    down: std::sync::atomic::AtomicBool,
}

/// What the exporter does with one batch: send it until it is finished (sent, rejected
/// or given up at the shutdown deadline), counting which in [`Buffer::counts`].
pub(crate) type Deliver<'a> = dyn FnMut(&[Record], &Buffer) + 'a;

impl Buffer {
    /// An empty buffer holding at most `capacity` records, sent `batch_size` at a time.
    pub fn new(capacity: usize, batch_size: usize, policy: Backpressure) -> Buffer {
        Buffer {
            state: Mutex::new(State::default()),
            arrived: Condvar::new(),
            changed: Condvar::new(),
            capacity: capacity.max(1),
            batch_size: batch_size.max(1),
            policy,
            hold: Hold::new(),
            counts: Counts::default(),
            down: std::sync::atomic::AtomicBool::new(false),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn wait_changed<'a>(
        &self,
        guard: MutexGuard<'a, State>,
        until: Instant,
    ) -> Option<MutexGuard<'a, State>> {
        let left = until.checked_duration_since(Instant::now())?;
        Some(
            self.changed
                .wait_timeout(guard, left)
                .map(|(g, _)| g)
                .unwrap_or_else(|e| e.into_inner().0),
        )
    }

    fn drop_count(&self, n: u64) {
        self.counts.dropped.fetch_add(n, Ordering::Relaxed);
    }

    /// Accepts `record` under the backpressure policy (called by the dispatcher; never
    /// waits).
    pub fn push(&self, record: Record) {
        let mut state = self.lock();
        let admit = match state.closing {
            Some(_) => Admit::Refuse,
            None => hold::admit(state.records.len(), self.capacity, self.policy, &self.hold),
        };
        match admit {
            Admit::Push => {}
            Admit::EvictOldest => {
                state.records.pop_front();
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
        state.records.push_back(record);
        state.pushed += 1;
        let len = state.records.len();
        drop(state);
        if len == 1 || len == self.batch_size {
            self.arrived.notify_one();
        }
    }

    /// The hold this buffer raises under `block` ([`crate::Handler::hold`]).
    pub fn hold(&self) -> Option<Hold> {
        (self.policy == Backpressure::Block).then(|| self.hold.clone())
    }

    /// Asks the exporter to send everything accepted so far, and waits until it is
    /// finished (sent or dropped) or `wait` passed.
    pub fn flush(&self, wait: Duration) {
        let mut state = self.lock();
        let target = state.pushed;
        if state.resolved >= target || self.down.load(Ordering::Acquire) {
            return;
        }
        state.flush_to = state.flush_to.max(target);
        self.arrived.notify_one();
        let until = Instant::now() + wait;
        while state.resolved < target && !state.done && !self.down.load(Ordering::Acquire) {
            match self.wait_changed(state, until) {
                Some(next) => state = next,
                None => return,
            }
        }
    }

    /// Tells whether the collector is away; a waiting flush stops waiting when it is.
    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::Release);
        let _state = self.lock();
        self.changed.notify_all();
    }

    /// Asks for shutdown: deliver until `deadline`, then give up the rest. Returns once
    /// the exporter stopped, or `grace` after the deadline, with the records still
    /// unfinished then (given up; counted as dropped here if the exporter did not).
    pub fn close(&self, deadline: Instant, grace: Duration) -> u64 {
        let mut state = self.lock();
        state.closing = Some(deadline);
        state.flush_to = state.pushed;
        self.hold.lower();
        self.arrived.notify_all();
        self.changed.notify_all();
        let until = deadline + grace;
        while !state.done {
            match self.wait_changed(state, until) {
                Some(next) => state = next,
                None => {
                    // The exporter is stuck in a request: account for what it holds.
                    let mut state = self.lock();
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
        self.lock().closing
    }

    /// Sleeps `delay`, cut short at the shutdown deadline.
    pub fn sleep(&self, delay: Duration) {
        let mut until = Instant::now() + delay;
        let mut state = self.lock();
        loop {
            if let Some(deadline) = state.closing {
                until = until.min(deadline);
            }
            let Some(left) = until.checked_duration_since(Instant::now()) else {
                return;
            };
            state = self
                .arrived
                .wait_timeout(state, left)
                .map(|(g, _)| g)
                .unwrap_or_else(|e| e.into_inner().0);
        }
    }

    /// The next batch: waits for `batch_size` records, or for `interval` after the
    /// first, or for a flush or shutdown. `None` when shut down and empty.
    fn take(&self, interval: Duration) -> Option<Vec<Record>> {
        let batch_size = self.batch_size;
        let mut state = self.lock();
        let mut due: Option<Instant> = None;
        loop {
            if state.done {
                return None;
            }
            let urgent = state.closing.is_some() || state.flush_to > state.taken;
            if !state.records.is_empty() && (urgent || state.records.len() >= batch_size) {
                break;
            }
            if state.records.is_empty() {
                if state.closing.is_some() {
                    state.done = true;
                    drop(state);
                    self.changed.notify_all();
                    return None;
                }
                due = None;
                state = self.arrived.wait(state).unwrap_or_else(|e| e.into_inner());
                continue;
            }
            let now = Instant::now();
            let at = *due.get_or_insert(now + interval);
            if now >= at {
                break;
            }
            state = self
                .arrived
                .wait_timeout(state, at - now)
                .map(|(g, _)| g)
                .unwrap_or_else(|e| e.into_inner().0);
        }
        let n = batch_size.min(state.records.len());
        let batch: Vec<Record> = state.records.drain(..n).collect();
        state.taken += n as u64;
        hold::made_room(state.records.len(), self.capacity, &self.hold);
        drop(state);
        self.changed.notify_all();
        Some(batch)
    }

    /// Marks `n` taken records finished.
    fn resolve(&self, n: usize) {
        let mut state = self.lock();
        // `close` may have given them up already when the exporter was stuck.
        if !state.done {
            state.resolved += n as u64;
        }
        drop(state);
        self.changed.notify_all();
    }

    /// The exporter thread's loop: `batch_size` (or after `interval`) at a time until shutdown, each delivered by `deliver`
    /// under `catch_unwind`.
    pub fn run(&self, interval: Duration, deliver: &mut Deliver<'_>) {
        while let Some(batch) = self.take(interval) {
            let n = batch.len();
            if crate::panic::catch(|| deliver(&batch, self)).is_err() {
                self.drop_count(n as u64);
                crate::report::report(
                    "HANDLER::Otlp::PANIC::ERROR::RECOVERABLE",
                    &format!("the OTLP exporter panicked while sending {n} records; they are dropped and the exporter carries on"),
                );
            }
            self.resolve(n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> Record {
        super::super::record::Record::from_event(&crate::Event::new(log::Level::Info, "t", "m"), 0)
    }

    #[test]
    fn drop_oldest_counts_exactly_and_resolves() {
        let buffer = Buffer::new(2, 1, Backpressure::DropOldest);
        for _ in 0..5 {
            buffer.push(record());
        }
        assert_eq!(buffer.counts.dropped.load(Ordering::Relaxed), 3);
        let state = buffer.lock();
        assert_eq!(
            (state.pushed, state.resolved, state.records.len()),
            (5, 3, 2)
        );
    }

    #[test]
    fn drop_refuses_and_block_overfills_with_its_hold_raised() {
        let buffer = Buffer::new(1, 1, Backpressure::Drop);
        buffer.push(record());
        buffer.push(record());
        assert_eq!(buffer.counts.dropped.load(Ordering::Relaxed), 1);
        assert_eq!(buffer.lock().pushed, 1);
        assert!(buffer.hold().is_none());

        // No exporter runs: `block` takes all 20 without waiting and drops none.
        let buffer = Buffer::new(1, 1, Backpressure::Block);
        for _ in 0..20 {
            buffer.push(record());
        }
        assert_eq!(buffer.counts.dropped.load(Ordering::Relaxed), 0);
        assert_eq!(buffer.lock().records.len(), 20);
        let hold = buffer.hold().expect("block has a hold");
        assert!(hold.is_raised());
        // Taking the buffer down to half (here: empty) lowers it.
        while !buffer.lock().records.is_empty() {
            assert!(hold.is_raised());
            buffer.take(Duration::ZERO);
        }
        assert!(!hold.is_raised());
    }

    #[test]
    fn a_panicking_delivery_is_counted_and_the_loop_goes_on() {
        crate::panic::install_hook();
        let buffer = Buffer::new(8, 1, Backpressure::Block);
        for _ in 0..3 {
            buffer.push(record());
        }
        let mut calls = 0;
        std::thread::scope(|scope| {
            scope.spawn(|| {
                buffer.run(Duration::ZERO, &mut |batch: &[Record], b: &Buffer| {
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
                    Duration::from_secs(1)
                ),
                0
            );
        });
        assert_eq!(buffer.counts.sent.load(Ordering::Relaxed), 2);
        assert_eq!(buffer.counts.dropped.load(Ordering::Relaxed), 1);
    }
}
