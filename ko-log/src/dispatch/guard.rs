//! `Guard`: keeps the dispatcher running; dropping it drains, flushes and joins.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::queue::Queue;
use super::Shared;
use crate::report;
use crate::stats::Stats;

/// Extra time the guard grants the dispatcher beyond `drain_timeout` for the final flush.
pub(crate) const FLUSH_GRACE: Duration = Duration::from_secs(1);

/// When a signal ends the process (`flush_on_signals`), how long a network handler that
/// is not connected may try to connect once more after the dispatcher has written
/// everything, before it gives up what it holds (a refused connection gives up at once):
/// the most a destination that cannot be reached adds to the drain (docs/CONFIG.md,
/// `flush_on_signals`).
pub(crate) const UNREACHABLE_GRACE: Duration = Duration::from_millis(500);

/// How often a shutdown that waits looks at its `interrupted` check.
const POLL: Duration = Duration::from_millis(20);

/// Returned by every init function. Keep it alive for as long as the program logs
/// (bind it in `main`: `let _guard = ko_log::init_from_file("log.toml")?;`).
///
/// Dropping it (also while unwinding from a panic) closes the queue, lets the dispatcher
/// write what is queued within `queue.drain_timeout`, flushes every handler and joins the
/// thread. Records it could not write in time are counted as dropped and reported on
/// stderr. Records logged after the drop are counted as dropped. Dropping never panics
/// and never waits longer than `drain_timeout` plus one second.
///
/// `std::process::exit` does not run destructors: drop the guard (or call
/// `log::logger().flush()`) before calling it, or the last records are lost. With
/// `flush_on_signals`, SIGTERM and SIGINT drain the same way before they end the process
/// (see [`crate::install()`]).
#[must_use = "dropping the guard shuts ko-log down at once; bind it: `let _guard = ...`"]
#[derive(Debug)]
pub struct Guard {
    shutdown: Shutdown,
    thread: Option<JoinHandle<()>>,
}

impl Guard {
    pub(crate) fn new(shutdown: Shutdown, thread: JoinHandle<()>) -> Guard {
        Guard {
            shutdown,
            thread: Some(thread),
        }
    }

    /// The pipeline's counters so far.
    pub fn stats(&self) -> Stats {
        self.shutdown.shared.counters.snapshot()
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if self.shutdown.run(|| false) == Ending::Finished {
            if let Some(thread) = self.thread.take() {
                let _ = thread.join();
            }
        }
        // A signal is ending the process (the guard was dropped while it drained, by a
        // program whose loop ended or whose held caller was let go): it ends by that
        // signal, never by returning from `main` with status 0.
        if let Some(end) = self.shutdown.shared.ending_by.get() {
            (end.end_process)(&self.shutdown.shared, *end);
        }
    }
}

/// How a [`Shutdown::run`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ending {
    /// The dispatcher wrote what it could, flushed and exited.
    Finished,
    /// The dispatcher did not finish in time (a stalled handler); reported on stderr.
    Stalled,
    /// The caller stopped waiting; this many queued records were taken and not written.
    Interrupted(u64),
}

/// What dropping the [`Guard`] does, shared with the signal watcher (`flush_on_signals`):
/// close the queue, let the dispatcher write what is queued within `drain_timeout`, flush
/// and exit, and count what it could not write.
#[derive(Debug, Clone)]
pub(crate) struct Shutdown {
    pub shared: Arc<Shared>,
    pub queue: Arc<Queue>,
    /// Disconnected when the dispatcher thread ends.
    pub done: flume::Receiver<()>,
    pub drain_timeout: Duration,
}

impl Shutdown {
    /// Closes the queue (if no one has yet) and waits until the dispatcher has exited, at
    /// most `drain_timeout` plus one second, polling `interrupted` every few milliseconds.
    ///
    /// A second caller (the guard dropped while a signal is being handled) waits for the
    /// same dispatcher. Whoever gives up takes what is still queued out of the
    /// dispatcher's reach, so every record is counted once: written if the dispatcher got
    /// to it, dropped if it was taken here. Never panics.
    pub fn run(&self, interrupted: impl FnMut() -> bool) -> Ending {
        let ending = self.drain(interrupted);
        // The counts of reports suppressed in their window are printed now, or never.
        report::summarize();
        ending
    }

    fn drain(&self, mut interrupted: impl FnMut() -> bool) -> Ending {
        let start = Instant::now();
        let _ = self.shared.deadline.set(start + self.drain_timeout);
        self.shared.closed.store(true, Ordering::Release);
        self.shared.lower_holds();
        self.shared.room.wake_if(|| true);
        self.queue.wake();
        let limit = start + self.drain_timeout + FLUSH_GRACE;
        loop {
            let left = limit.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            match self.done.recv_timeout(left.min(POLL)) {
                Err(flume::RecvTimeoutError::Timeout) => {
                    if interrupted() {
                        return Ending::Interrupted(self.take_queued());
                    }
                }
                _ => return Ending::Finished,
            }
        }
        // A handler is stuck in a write.
        let stuck = self.take_queued();
        report::report(
            "RUNTIME::Dispatcher::SHUTDOWN::ERROR",
            &format!(
                "the dispatcher did not finish within drain_timeout ({:?}): a handler is stalled; {stuck} queued records were not written",
                self.drain_timeout
            ),
        );
        Ending::Stalled
    }

    /// Empties the queue without writing it; counts and returns the records taken.
    fn take_queued(&self) -> u64 {
        let taken = self.queue.take_records();
        self.shared
            .counters
            .dropped_other
            .fetch_add(taken, Ordering::Relaxed);
        taken
    }
}
