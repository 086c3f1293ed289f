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
const FLUSH_GRACE: Duration = Duration::from_secs(1);

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
/// `log::logger().flush()`) before calling it, or the last records are lost.
#[must_use = "dropping the guard shuts ko-log down at once; bind it: `let _guard = ...`"]
#[derive(Debug)]
pub struct Guard {
    shared: Arc<Shared>,
    queue: Arc<Queue>,
    done: flume::Receiver<()>,
    thread: Option<JoinHandle<()>>,
    drain_timeout: Duration,
}

impl Guard {
    pub(crate) fn new(
        shared: Arc<Shared>,
        queue: Arc<Queue>,
        done: flume::Receiver<()>,
        thread: JoinHandle<()>,
        drain_timeout: Duration,
    ) -> Guard {
        Guard {
            shared,
            queue,
            done,
            thread: Some(thread),
            drain_timeout,
        }
    }

    /// The pipeline's counters so far.
    pub fn stats(&self) -> Stats {
        self.shared.counters.snapshot()
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self
            .shared
            .deadline
            .set(Instant::now() + self.drain_timeout);
        if self.shared.closed.swap(true, Ordering::AcqRel) {
            return;
        }
        self.queue.wake();
        match self.done.recv_timeout(self.drain_timeout + FLUSH_GRACE) {
            Err(flume::RecvTimeoutError::Timeout) => {
                // A handler is stuck in a write. Take what is still queued out of its
                // reach, so every record is counted once: written if the dispatcher got
                // to it, dropped if it is taken here.
                let stuck = self.queue.take_records();
                self.shared
                    .counters
                    .dropped_other
                    .fetch_add(stuck, Ordering::Relaxed);
                report::report(
                    "RUNTIME::Dispatcher::SHUTDOWN::ERROR",
                    &format!(
                        "the dispatcher did not finish within drain_timeout ({:?}): a handler is stalled; {stuck} queued records were not written",
                        self.drain_timeout
                    ),
                );
            }
            _ => {
                if let Some(thread) = self.thread.take() {
                    let _ = thread.join();
                }
            }
        }
    }
}
