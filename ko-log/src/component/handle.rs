//! The [`Handle`] a handler gets at construction: everything it may ask of the core, so
//! that no handler reaches the dispatcher, `init` or the global logger.
//!
//! - **Status records** ([`Handle::status`]): a record about the handler itself (its
//!   destination went away or came back, a rotated file it could not compress) goes
//!   straight to the dispatcher, from any thread, which writes it to every handler the
//!   `ko_log` target routes to but this one. One hop: no queue, no `log::logger()`, no
//!   filter in the handler.
//! - **Waking the dispatcher** ([`Handle::wake`]): it then flushes its handlers and reads
//!   their figures ([`crate::Handler::counts`]).
//! - **The shutdown deadline** ([`Handle::deadline`], [`Handle::wait_at_most`]): set once
//!   the dispatcher shuts down; a handler that delivers what it holds keeps within it.
//! - **A named thread** ([`Handle::spawn`]): `ko-log-NAME`, one of ko-log's own, which is
//!   never held by a `block` handler's [`crate::handler::Hold`] (it may be the very thread
//!   that would lower it).
//!
//! The dispatcher side makes one [`Core`] per backend and a handle per handler from it;
//! a handler built on its own (no backend) gets [`Handle::detached`], whose status
//! records are said on stderr.
//!
//! The core also holds the handlers attached at run time beside the configured ones
//! (`ko_log::testing`'s sinks): the dispatcher writes to them what a route delivers
//! ([`Core::write_attached`]) and what each handler writes ([`Handle::written`]).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

use crate::component::Handler;
use crate::event::Event;
use crate::unwind::lock;

/// What a handler may ask of the core; cheap to clone. See the module docs.
#[derive(Debug, Clone)]
pub struct Handle {
    id: u64,
    core: Arc<Core>,
}

/// What every handle of one backend shares with its dispatcher.
#[derive(Default)]
pub(crate) struct Core {
    /// Wakes the dispatcher; unset for a detached handle.
    wake: OnceLock<Box<dyn Fn() + Send + Sync>>,
    /// Set by the dispatcher as it shuts down.
    deadline: OnceLock<Instant>,
    /// Set by the dispatcher as a signal ends the process: until when a destination that
    /// cannot be reached may be tried.
    unreachable: OnceLock<Instant>,
    /// Status records waiting for the dispatcher, with the id of the handle they are from.
    statuses: Mutex<Vec<(u64, Event)>>,
    /// Whether `statuses` may hold some: what the dispatcher reads after every batch.
    waiting: AtomicBool,
    /// The handlers attached at run time, for as long as they live.
    attached: Mutex<Vec<(Attach, Weak<Attached>)>>,
    /// Whether one ever was: until then the dispatcher's look costs one load.
    any_attached: AtomicBool,
}

/// A handler attached at run time ([`Core::attach`]), shared with what attached it.
pub(crate) type Attached = Mutex<dyn Handler>;

/// Where a handler attached at run time ([`Core::attach`]) takes its records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Attach {
    /// Those logged in this capture scope (`context::Frame::sinks`), as routed.
    Scope(u64),
    /// Those whose target this logger owns (`root`: every one), as routed.
    Logger(String),
    /// What this configured handler writes, after its processors.
    Handler(String),
}

impl std::fmt::Debug for Core {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Core")
            .field("deadline", &self.deadline.get())
            .finish_non_exhaustive()
    }
}

/// Numbers the handles of a process, so a status record names the handler it is from.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// True on the threads started by [`Handle::spawn`] (and ko-log's reload threads).
    static OWN_THREAD: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Marks this thread as one of ko-log's own: a record it logs (a crate it calls, such as
/// a TLS library, may log) is never held by a `block` handler's hold, since the thread
/// may be the very one that would lower it. Such records over-fill the buffer instead,
/// within its bound.
pub(crate) fn mark_own_thread() {
    let _ = OWN_THREAD.try_with(|flag| flag.set(true));
}

/// Whether this thread is one of ko-log's own ([`mark_own_thread`]).
pub(crate) fn is_own_thread() -> bool {
    OWN_THREAD.try_with(|flag| flag.get()).unwrap_or(false)
}

impl Core {
    /// Sets what [`Handle::wake`] does (once the dispatcher's queue exists).
    pub fn set_wake(&self, wake: impl Fn() + Send + Sync + 'static) {
        let _ = self.wake.set(Box::new(wake));
    }

    /// The dispatcher shuts down: its handlers deliver what they hold until `deadline`.
    pub fn set_deadline(&self, deadline: Instant) {
        let _ = self.deadline.set(deadline);
    }

    /// A signal is ending the process: a destination that cannot be reached is tried
    /// until `deadline` at most (`dispatch::guard::UNREACHABLE_GRACE`).
    pub fn set_unreachable_deadline(&self, deadline: Instant) {
        let _ = self.unreachable.set(deadline);
    }

    /// Takes the status records sent so far, each with the id of its handle.
    pub fn take_statuses(&self) -> Vec<(u64, Event)> {
        if !self.has_statuses() {
            return Vec::new();
        }
        self.waiting.store(false, Ordering::Release);
        std::mem::take(&mut *lock(&self.statuses))
    }

    /// Whether status records are waiting (an atomic load).
    pub fn has_statuses(&self) -> bool {
        self.waiting.load(Ordering::Acquire)
    }

    /// Attaches `handler` where `to` says (once: attaching it there again does nothing),
    /// until it is dropped.
    pub fn attach(&self, to: Attach, handler: &Arc<Attached>) {
        let handler = Arc::downgrade(handler);
        let mut attached = lock(&self.attached);
        attached.retain(|(_, live)| live.strong_count() > 0);
        if !attached
            .iter()
            .any(|(at, h)| *at == to && h.ptr_eq(&handler))
        {
            attached.push((to, handler));
        }
        self.any_attached.store(true, Ordering::Release);
    }

    /// Writes `event` to the handlers attached where it is: what `handler` writes, or
    /// (`None`) as routed, logged in the capture `scopes`. A panic is caught. The list is
    /// locked only while they are picked: one dropped meanwhile is released outside it.
    pub fn write_attached(&self, event: &Event, scopes: &[u64], handler: Option<&str>) {
        if !self.any_attached.load(Ordering::Acquire) {
            return;
        }
        let owns = |logger: &str| {
            logger == ko_log_config::ROOT || ko_log_config::logger::owns(logger, &event.target)
        };
        let picked: Vec<_> = lock(&self.attached)
            .iter()
            .filter(|(to, _)| match to {
                Attach::Scope(id) => handler.is_none() && scopes.contains(id),
                Attach::Logger(logger) => handler.is_none() && owns(logger),
                Attach::Handler(name) => handler == Some(name),
            })
            .filter_map(|(_, handler)| handler.upgrade())
            .collect();
        for handler in picked {
            let _ = crate::unwind::catch(|| lock(&handler).write(&[], event));
        }
    }
}

impl Drop for Core {
    /// A status record sent after the dispatcher's last round (while a handler delivered
    /// what it held at shutdown) can no longer be written: it is said on stderr, never
    /// dropped unseen.
    fn drop(&mut self) {
        for (_, event) in self.take_statuses() {
            let message = format!("as ko-log shut down: {}", event.message);
            crate::report::say("HANDLER::Status::SHUTDOWN::WARNING", &message);
        }
    }
}

impl Handle {
    /// A new handle on `core` (the dispatcher side makes one per handler).
    pub(crate) fn new(core: &Arc<Core>) -> Handle {
        Handle {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            core: Arc::clone(core),
        }
    }

    /// A handle for a handler built on its own, outside any backend: no dispatcher to
    /// wake, no shutdown deadline, and status records said on stderr.
    pub fn detached() -> Handle {
        Handle::new(&Arc::default())
    }

    /// This handle's id: the `sender` field of its status records, and how the
    /// dispatcher knows which handler not to give them to.
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// Sends `event` (on the `ko_log` target, as every status record is) to every
    /// handler it routes to except this one, and wakes the dispatcher; never waits.
    /// Callable from any thread.
    pub fn status(&self, mut event: Event) {
        event.fields.insert("sender", self.id);
        match self.core.wake.get() {
            Some(wake) => {
                lock(&self.core.statuses).push((self.id, event));
                self.core.waiting.store(true, Ordering::Release);
                wake();
            }
            None => crate::report::say("HANDLER::Status::WARNING", &event.message),
        }
    }

    /// Wakes the dispatcher (never waits): it flushes its handlers when it finds its
    /// queue dry, and reads their figures.
    pub fn wake(&self) {
        if let Some(wake) = self.core.wake.get() {
            wake();
        }
    }

    /// The dispatcher's shutdown deadline, once it is shutting down.
    pub fn deadline(&self) -> Option<Instant> {
        self.core.deadline.get().copied()
    }

    /// When a signal ends the process (`flush_on_signals`): until when a destination that
    /// cannot be reached may still be tried before what the handler holds is given up.
    /// `None` otherwise (the drain deadline alone applies).
    pub fn unreachable_deadline(&self) -> Option<Instant> {
        self.core.unreachable.get().copied()
    }

    /// The dispatcher: what this handle's handler, `name`, writes goes to the handlers
    /// attached to it too.
    pub(crate) fn written(&self, name: &str, event: &Event) {
        self.core.write_attached(event, &[], Some(name));
    }

    /// How long the handler may wait now for its destination: `limit`, cut at the
    /// shutdown deadline once there is one (so a slow destination cannot make the guard
    /// give up on the dispatcher).
    pub fn wait_at_most(&self, limit: Duration) -> Duration {
        match self.deadline() {
            Some(deadline) => limit.min(deadline.saturating_duration_since(Instant::now())),
            None => limit,
        }
    }

    /// Starts the thread `ko-log-NAME` running `body`, one of ko-log's own: a record it
    /// logs never waits at a hold.
    pub fn spawn<T: Send + 'static>(
        &self,
        name: &str,
        body: impl FnOnce() -> T + Send + 'static,
    ) -> std::io::Result<std::thread::JoinHandle<T>> {
        std::thread::Builder::new()
            .name(format!("ko-log-{name}"))
            .spawn(move || {
                mark_own_thread();
                body()
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_are_cut_at_the_shutdown_deadline_once_it_is_set() {
        let core = Arc::new(Core::default());
        let handle = Handle::new(&core);
        let ten = Duration::from_secs(10);
        assert_eq!(handle.wait_at_most(ten), ten);
        core.set_deadline(Instant::now() + Duration::from_millis(50));
        assert!(handle.wait_at_most(ten) <= Duration::from_millis(50));
        assert!(handle.deadline().is_some());
    }

    /// ko-log's own threads (senders, exporters …) are never held; other threads are.
    #[test]
    fn only_its_own_threads_are_marked() {
        assert!(!is_own_thread());
        let spawned = Handle::detached().spawn("test", is_own_thread).unwrap();
        assert!(spawned.join().unwrap());
        assert!(!is_own_thread(), "the mark is per thread");
    }

    #[test]
    fn a_status_reaches_the_dispatcher_with_its_sender_and_wakes_it() {
        let core = Arc::new(Core::default());
        let woken = Arc::new(AtomicU64::new(0));
        let count = Arc::clone(&woken);
        core.set_wake(move || {
            count.fetch_add(1, Ordering::SeqCst);
        });
        let handle = Handle::new(&core);
        handle.status(Event::new(log::Level::Warn, "ko_log", "gone"));
        assert_eq!(woken.load(Ordering::SeqCst), 1);
        let statuses = core.take_statuses();
        assert_eq!(statuses.len(), 1);
        assert_eq!(statuses[0].0, handle.id());
        let sender = statuses[0].1.fields.get("sender");
        assert_eq!(sender, Some(&crate::Value::U64(handle.id())));
        assert!(!core.has_statuses());
    }
}
