//! `flush_on_signals`: on SIGTERM or SIGINT, write what is queued before the signal takes
//! its course (Unix only).
//!
//! [`Watcher::spawn`] starts one thread when the installed backend's config asks for it
//! ([`crate::install()`]; a standalone [`Backend`] never touches signal handling), and
//! [`Watcher::arm`] registers the signals with `signal-hook`. The signal handler is
//! signal-hook's: it only marks the signal and writes one byte to a self-pipe (both
//! async-signal-safe). This module's thread wakes on that byte and does the work, chosen
//! by the signal's disposition when ko-log was installed:
//!
//! - **default** (terminate): the queue is closed and drained within
//!   `queue.drain_timeout`, exactly as when the guard is dropped; then the default action
//!   is restored and the signal raised again, so the process dies by it (exit status
//!   unchanged: killed by signal 15 or 2). A second watched signal while draining stops
//!   the wait at once. Records logged once the queue is closed are counted and said
//!   with the signal as the reason, and their total said last ([`end_process`]); a
//!   network handler that cannot reach its destination gives up within
//!   `dispatch::guard::UNREACHABLE_GRACE`; a guard dropped meanwhile ends the process by
//!   the signal too, never by a return from `main`.
//! - **a handler of the program's** (installed before init, by any means): that handler
//!   keeps running first, from the signal handler (signal-hook-registry chains the
//!   previous handler), and ko-log only flushes, as `log::logger().flush()` does but
//!   bounded by `drain_timeout`. The queue stays open and the process is not ended: the
//!   program's handler decides.
//! - **ignored**: not watched; the signal stays ignored.
//!
//! The disposition is read from `/proc/self/status` (`SigIgn`, `SigCgt`), as asking
//! `sigaction` would take `unsafe` code; where there is no `/proc` the default is assumed.
//! A handler the program registers after init through signal-hook-registry (tokio's
//! `signal`, signal-hook) still runs, but ko-log cannot see it and ends the process after
//! the drain; one installed after init with `sigaction` itself (ctrlc) replaces ko-log's,
//! which then never runs.

use std::ffi::c_int;
use std::io::Read;
use std::os::unix::net::UnixStream;
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use signal_hook::consts::signal::{SIGINT, SIGTERM};
use signal_hook::iterator::backend::SignalDelivery;
use signal_hook::iterator::exfiltrator::SignalOnly;
use signal_hook::low_level;

use crate::dispatch::guard::Ending;
use crate::dispatch::{Shared, SignalEnd};
use crate::{caller::backend::Backend, error::Error, report};

/// The signals `flush_on_signals` watches.
const WATCHED: [c_int; 2] = [SIGTERM, SIGINT];

/// How often the thread looks for signals if its self-pipe ever fails (never expected).
const FALLBACK_POLL: Duration = Duration::from_millis(50);

/// signal-hook's delivery of signals through a self-pipe.
type Delivery = SignalDelivery<UnixStream, SignalOnly>;

/// What a signal did before ko-log watched it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Previous {
    /// The default action: for SIGTERM and SIGINT, end the process.
    Default,
    /// Ignored (`SIG_IGN`), as a shell leaves SIGINT for a background job.
    Ignored,
    /// A handler of the program's own.
    Handled,
}

/// The previous disposition of each watched signal, read at install.
#[derive(Debug, Clone)]
struct Plan {
    signals: Vec<(c_int, Previous)>,
}

impl Plan {
    /// Reads the dispositions from `/proc/self/status` (the default where it cannot).
    fn read() -> Plan {
        let masks = std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|status| masks(&status));
        Plan {
            signals: WATCHED
                .iter()
                .map(|&signal| (signal, previous(signal, masks)))
                .collect(),
        }
    }

    fn previous(&self, signal: c_int) -> Previous {
        self.signals
            .iter()
            .find(|(s, _)| *s == signal)
            .map_or(Previous::Ignored, |(_, previous)| *previous)
    }

    /// The signals to watch: those not ignored.
    fn watched(&self) -> Vec<c_int> {
        self.signals
            .iter()
            .filter(|(_, previous)| *previous != Previous::Ignored)
            .map(|(signal, _)| *signal)
            .collect()
    }
}

/// The `SigIgn` and `SigCgt` masks of a `/proc/PID/status` text (bit `n - 1` is signal
/// `n`).
fn masks(status: &str) -> Option<(u64, u64)> {
    let field = |key: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(key))
            .and_then(|value| u64::from_str_radix(value.trim(), 16).ok())
    };
    Some((field("SigIgn:")?, field("SigCgt:")?))
}

/// What `signal` did according to `masks` (`(ignored, caught)`); the default when unknown.
fn previous(signal: c_int, masks: Option<(u64, u64)>) -> Previous {
    let bit = u32::try_from(signal - 1)
        .ok()
        .and_then(|n| 1u64.checked_shl(n))
        .unwrap_or(0);
    match masks {
        Some((ignored, _)) if ignored & bit != 0 => Previous::Ignored,
        Some((_, caught)) if caught & bit != 0 => Previous::Handled,
        _ => Previous::Default,
    }
}

/// The signal thread, started but not yet watching anything.
#[derive(Debug)]
pub(crate) struct Watcher {
    start: mpsc::Sender<(Delivery, Plan)>,
}

impl Watcher {
    /// Starts the thread for `backend`; it waits for [`Watcher::arm`], and ends without
    /// doing anything if the watcher is dropped instead (the logger could not be set).
    pub fn spawn(backend: &'static Backend) -> Result<Watcher, Error> {
        let (start, started) = mpsc::channel::<(Delivery, Plan)>();
        std::thread::Builder::new()
            .name("ko-log-signals".to_owned())
            .spawn(move || {
                if let Ok((delivery, plan)) = started.recv() {
                    run(backend, delivery, plan);
                }
            })
            .map_err(Error::Signals)?;
        Ok(Watcher { start })
    }

    /// Reads the dispositions and registers the signals not ignored; from here on they
    /// are handled as the module says. The thread is already running, so a signal is
    /// never registered without someone to act on it. If registration fails (never
    /// expected for SIGTERM and SIGINT), that is reported on stderr and the signals keep
    /// their previous disposition.
    pub fn arm(self) {
        let plan = Plan::read();
        let signals = plan.watched();
        if signals.is_empty() {
            return;
        }
        let delivery = UnixStream::pair()
            .and_then(|(read, write)| Delivery::with_pipe(read, write, SignalOnly, &signals));
        match delivery {
            Ok(delivery) => {
                // The thread is waiting for this; it cannot have ended.
                let _ = self.start.send((delivery, plan));
            }
            Err(error) => report::error("flush_on_signals", &Error::Signals(error)),
        }
    }
}

/// The thread: waits for signals and acts on each.
fn run(backend: &'static Backend, mut delivery: Delivery, plan: Plan) {
    let mut degraded = false;
    loop {
        let arrived: Vec<c_int> = match delivery.poll_pending(&mut wait_readable) {
            Ok(Some(pending)) => pending.collect(),
            Ok(None) | Err(_) => {
                // The self-pipe failed: look for signals now and then instead, so that
                // one is still acted on.
                if !degraded {
                    degraded = true;
                    report::report(
                        "RUNTIME::Signals::PIPE::ERROR",
                        "flush_on_signals: the signal pipe failed; checking for signals every 50 ms instead",
                    );
                }
                std::thread::sleep(FALLBACK_POLL);
                delivery.pending().collect()
            }
        };
        for signal in arrived {
            on_signal(backend, &mut delivery, &plan, signal);
        }
    }
}

/// Blocks until the self-pipe has a byte; `Ok(false)` when it is closed.
fn wait_readable(read: &mut UnixStream) -> std::io::Result<bool> {
    loop {
        match read.read(&mut [0u8]) {
            Ok(n) => return Ok(n > 0),
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
}

fn on_signal(backend: &Backend, delivery: &mut Delivery, plan: &Plan, signal: c_int) {
    let name = low_level::signal_name(signal).unwrap_or("the signal");
    match plan.previous(signal) {
        Previous::Default => {
            let shared = &backend.shutdown().shared;
            let _ = shared.ending_by.set(SignalEnd {
                signal,
                name,
                at: Instant::now(),
                dropped_before: shared.counters.dropped_other.load(Ordering::Acquire),
                end_process,
            });
            let ending = backend.shutdown().run(|| {
                delivery
                    .pending()
                    .any(|again| plan.previous(again) == Previous::Default)
            });
            if let Ending::Interrupted(taken) = ending {
                report::report(
                    "RUNTIME::Signals::SHUTDOWN::WARNING",
                    &format!(
                        "{name} again while draining: {taken} queued records were not written"
                    ),
                );
            }
            if let Some(end) = shared.ending_by.get() {
                end_process(shared, *end);
            }
            end_by(signal);
        }
        Previous::Handled => {
            let drain_timeout = backend.shutdown().drain_timeout;
            if !backend.flush_until(Some(Instant::now() + drain_timeout)) {
                report::report(
                    "RUNTIME::Signals::FLUSH::ERROR",
                    &format!("{name}: the flush did not finish within drain_timeout ({drain_timeout:?}): a handler is stalled"),
                );
            }
        }
        Previous::Ignored => {}
    }
}

/// Ends the process by the signal `end` is about, once the drain is over: says how many
/// records the shutdown dropped (those logged after the signal, when the queue was
/// closed, and any left when the drain ended), then raises the signal again. Called by
/// the signal thread and by a guard dropped meanwhile; the first caller does it, a second
/// waits for the end. From the count on, a record logged waits for the end too
/// ([`Shared::last_word`]), so the count said is exact.
pub(crate) fn end_process(shared: &Shared, end: SignalEnd) -> ! {
    static ENDING: std::sync::Once = std::sync::Once::new();
    ENDING.call_once(|| {
        let _last = crate::dispatch::lock(&shared.last_word);
        // The program's handlers registered after ko-log's (through signal-hook) run in
        // the same delivery, after ko-log's wake-up: give them time to finish before the
        // signal, raised again, ends the process.
        std::thread::sleep(LATER_HANDLERS.saturating_sub(end.at.elapsed()));
        let dropped = shared
            .counters
            .dropped_other
            .load(Ordering::Acquire)
            .saturating_sub(end.dropped_before);
        report::summarize();
        if dropped > 0 {
            report::say(
                "RUNTIME::Signals::SHUTDOWN::WARNING",
                &format!(
                    "{}: {dropped} record{} not written: logged after the signal, once ko-log had closed its queue to write what was logged before it (or left when drain_timeout ended); all counted in ko_log::stats().dropped",
                    end.name,
                    if dropped == 1 { " was" } else { "s were" },
                ),
            );
        }
        end_by(end.signal)
    });
    // Only reached if the first caller could not end the process (never expected).
    end_by(end.signal)
}

/// How long the drain's end waits for handlers registered after ko-log's to return
/// before the signal is raised again (they run in microseconds; the drain itself is often
/// shorter than the delivery that woke it).
const LATER_HANDLERS: std::time::Duration = std::time::Duration::from_millis(50);

/// Restores the default action of `signal` and raises it: the process ends by it.
fn end_by(signal: c_int) -> ! {
    // For SIGTERM and SIGINT this does not return (it aborts if the raise fails).
    let _ = low_level::emulate_default_handler(signal);
    low_level::exit(128 + signal)
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &str = "Name:\tapp\nSigQ:\t0/63448\nSigPnd:\t0000000000000000\n\
        ShdPnd:\t0000000000000000\nSigBlk:\t0000000000000000\nSigIgn:\t0000000000001002\n\
        SigCgt:\t0000000000004000\n";

    #[test]
    fn dispositions_come_from_the_proc_masks() {
        let masks = masks(STATUS);
        assert_eq!(masks, Some((0x1002, 0x4000)));
        // SIGINT (2) is ignored, SIGTERM (15) caught, SIGHUP (1) default.
        assert_eq!(previous(SIGINT, masks), Previous::Ignored);
        assert_eq!(previous(SIGTERM, masks), Previous::Handled);
        assert_eq!(previous(1, masks), Previous::Default);
    }

    #[test]
    fn unknown_dispositions_are_the_default() {
        assert_eq!(masks("Name:\tapp\nSigIgn:\tzz\nSigCgt:\t0\n"), None);
        assert_eq!(masks(""), None);
        assert_eq!(previous(SIGTERM, None), Previous::Default);
        assert_eq!(previous(0, Some((u64::MAX, 0))), Previous::Default);
        assert_eq!(previous(200, Some((u64::MAX, 0))), Previous::Default);
    }

    #[test]
    fn ignored_signals_are_not_watched() {
        let plan = Plan {
            signals: vec![(SIGTERM, Previous::Handled), (SIGINT, Previous::Ignored)],
        };
        assert_eq!(plan.watched(), [SIGTERM]);
        assert_eq!(plan.previous(SIGINT), Previous::Ignored);
        assert_eq!(plan.previous(1), Previous::Ignored);
    }
}
