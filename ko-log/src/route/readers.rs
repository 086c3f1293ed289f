//! How callers read the routes in force, and how a reload knows that no caller still
//! routes by the routes it replaced: an RCU-like read with one mark per thread.
//!
//! [`InForce`] holds the routes (an `ArcSwap`, written only by reloads), a *generation*
//! counter (the generation of the routes in force, stored after them), and a registry of
//! readers, one per thread that logged through this backend, each an atomic *mark*:
//! `ACTIVE | generation` while the thread routes and queues a record, `IDLE` otherwise.
//! Every thread keeps its own copy of the routes (`thread_local`, with the counter's value
//! when it took it and the identity of the backend it is for), so a call while no reload
//! is in progress touches memory of its own thread plus one shared, read-only load of the
//! counter: no reference count, no `ArcSwap` debt slot.
//!
//! # The protocol
//!
//! **Caller** ([`InForce::read`]):
//!
//! 1. borrow this thread's copy; when there is none for this backend, take one
//!    (`seen = generation.load(Acquire)`, then `ArcSwap::load_full`, whose routes are at
//!    least as new as `seen` since the reloader stores them before the counter; a thread
//!    new to this backend registers its reader);
//! 2. if the thread's mark is `ACTIVE`, this is a nested call (below): route by the copy
//!    as it is and return;
//! 3. `mark = ACTIVE | copy's generation`, then the caller's fence (below);
//! 4. `generation.load(SeqCst)`: if it is not the copy's `seen`, clear the mark, take a
//!    new copy and start again at 1;
//! 5. route by the copy, capture, queue;
//! 6. `mark = IDLE` (Release; also when step 5 unwinds).
//!
//! A caller that waits at a raised hold leaves [`InForce::read`] first (its mark is
//! cleared while it waits: a held caller never stalls a reload) and starts again at 1.
//! `Log::enabled` and the max level ([`InForce::peek`]) take steps 1 and 4 without the
//! mark: an answer, not a record, so a reload need not wait for it.
//!
//! **Reloader** ([`InForce::publish`], then [`InForce::wait_readers`] on the retire
//! thread):
//!
//! 1. store the new routes, then `generation.store(new, SeqCst)`;
//! 2. the reloader's fence (below);
//! 3. wait until no registered reader's mark is `ACTIVE` with a generation at or below
//!    the old routes' (each load `SeqCst`, so also Acquire: it pairs with the caller's
//!    step 6, so what that caller queued is in the queue before anything the reloader
//!    queues next), and until the old routes' in-flight count (the slow path, below)
//!    is 0;
//! 4. queue `Msg::Retire` (module `reload`).
//!
//! **Why it holds.** Caller steps 3-4 are a store then a load; reloader steps 1-3 are a
//! store then a load, of the two other locations. With a full fence between each pair
//! (no store may pass the later load), at least one side sees the other's store: either
//! the caller sees the new generation at its step 4 and starts again (and then routes by
//! the new routes), or the reloader sees the caller's mark and waits until step 6. A
//! caller that passes step 4 with routes older than the new ones has not seen the new
//! counter, so its mark is seen. So when the reloader queues `Msg::Retire`, every record
//! routed by the old routes is ahead of it in the FIFO queue, and no caller can route by
//! them any more: a later call sees the new counter at its step 4 (a copy of the old
//! routes left in an idle thread is memory only; it is never used again).
//!
//! **The fence.** The caller's mark store is `SeqCst` and so is its load at step 4 (one
//! locked instruction, `xchg` on x86-64), paired with the reloader's `SeqCst` store and
//! loads. An asymmetric fence (`membarrier` on the reloader's side, no locked instruction
//! on the caller's) was measured equal on the 2-core AMD EPYC VM of docs/BENCHMARKS.md
//! ("What hot reload costs the caller", `--sample-size 1000`, ten runs of each back to
//! back: `caller::disabled` 7.9 ns with it and 8.0 ns without, `caller::enabled_literal`
//! 79.7 and 80.7 ns) and removed: a second code path that no measurement justified.
//!
//! **Nested calls.** A `Display` impl or a processor that logs while the thread is
//! inside step 5 is a nested call, told by the thread's own mark being `ACTIVE` (no
//! separate depth counter: the mark is only ever written by its own thread): it uses the
//! outer call's copy as it is, with no refresh and no change of the mark (the outer mark
//! covers it; a refresh would replace the routes the outer call is reading, and cannot:
//! the copy is borrowed).
//!
//! **The slow path** ([`InForce::pin`]): when the `thread_local` is gone (a logger called
//! from another thread-local's destructor at thread exit), for a call nested in a call
//! of another backend (the thread's copy is that backend's), and for the async API
//! (which holds the routes across `.await`s, possibly moving threads), the caller counts
//! itself on the routes it loaded (`in_flight += 1`, SeqCst), checks that the counter
//! has not moved past them (if it has, it un-counts and loads again), and un-counts once
//! its record is queued (or its future dropped). The reloader's step 3 waits for the old
//! routes' count. The same store-then-load argument holds, all four accesses being
//! `SeqCst`.
//!
//! A thread keeps one copy, for the backend it used last: a thread that alternates
//! between two backends (tests do) takes a new copy, and registers a new reader, at each
//! switch; the reader it leaves is pruned (the registry holds `Weak`s).

use std::cell::RefCell;
use std::ops::Deref;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

use arc_swap::ArcSwap;

use crate::route::Routes;
use crate::unwind::lock;

/// A mark's bit that says its thread is between steps 2 and 5 (module docs); the low
/// bits hold the generation of the routes it reads.
const ACTIVE: u64 = 1 << 63;

/// The mark of a thread that is not routing a record.
const IDLE: u64 = 0;

/// Gives every backend its own identity, for the threads' copies.
static NEXT_OWNER: AtomicU64 = AtomicU64::new(1);

/// The routes in force, with what a reload needs to know about the threads reading them.
#[derive(Debug)]
pub(crate) struct InForce {
    routes: ArcSwap<Routes>,
    /// The generation of `routes`, stored after them.
    generation: AtomicU64,
    /// Which backend this is: a thread's copy is only used by the backend it was taken
    /// from.
    owner: u64,
    /// One reader per thread that read these routes; weak, so a thread that ended (its
    /// `thread_local` dropped) is pruned.
    readers: Mutex<Vec<Weak<Reader>>>,
}

/// One thread's mark (module docs).
#[derive(Debug)]
struct Reader {
    mark: AtomicU64,
}

/// A thread's copy of the routes of one backend.
struct Cached {
    owner: u64,
    /// The generation counter's value when the copy was taken.
    seen: u64,
    /// What this thread's mark says while it routes by `routes`: `ACTIVE` and their
    /// generation.
    mark: u64,
    routes: Arc<Routes>,
    reader: Arc<Reader>,
}

thread_local! {
    /// This thread's copy. Borrowed (shared) for the whole of a call, so a nested call
    /// can read it too; replaced (`borrow_mut`) only by an outermost call.
    static COPY: RefCell<Option<Cached>> = const { RefCell::new(None) };
}

impl InForce {
    /// `routes` in force, no reader yet.
    pub fn new(routes: Arc<Routes>) -> InForce {
        InForce {
            generation: AtomicU64::new(u64::from(routes.generation())),
            routes: ArcSwap::new(routes),
            owner: NEXT_OWNER.fetch_add(1, Ordering::Relaxed),
            readers: Mutex::new(Vec::new()),
        }
    }

    /// Runs `f` on the routes in force, this thread marked as reading them until `f`
    /// returns (a reload retires them only after): the caller's protocol of the module
    /// docs. `f` runs exactly once.
    #[inline]
    pub fn read<R>(&self, mut f: impl FnMut(&Routes) -> R) -> R {
        match COPY.try_with(|copy| self.read_marked(copy, &mut f)) {
            Ok(Some(done)) => done,
            _ => self.read_pinned(&mut f),
        }
    }

    /// [`InForce::read`] on this thread's copy; `None` (`f` not run) when it cannot be.
    /// Only the outermost call's `f` is called here (inlined); the others go through
    /// `dyn`, out of the way.
    #[inline]
    fn read_marked<R>(
        &self,
        copy: &RefCell<Option<Cached>>,
        f: &mut impl FnMut(&Routes) -> R,
    ) -> Option<R> {
        loop {
            let borrowed = copy.try_borrow().ok()?;
            let cached = match &*borrowed {
                Some(cached) if cached.owner == self.owner => cached,
                _ => {
                    drop(borrowed);
                    if !self.refresh(copy) {
                        return None;
                    }
                    continue;
                }
            };
            let mark = &cached.reader.mark;
            if mark.load(Ordering::Relaxed) != IDLE {
                // Nested: the outer call's mark covers this one (module docs).
                return Some(call(f, &cached.routes));
            }
            announce(mark, cached.mark);
            if self.generation.load(Ordering::SeqCst) != cached.seen {
                mark.store(IDLE, Ordering::Relaxed);
                drop(borrowed);
                if !self.refresh(copy) {
                    return None;
                }
                continue;
            }
            let _active = Active(mark);
            return Some(f(&cached.routes));
        }
    }

    /// The slow path: `f` on routes counted in flight.
    #[cold]
    #[inline(never)]
    fn read_pinned<R>(&self, f: &mut impl FnMut(&Routes) -> R) -> R {
        let pinned = self.pin();
        call(f, &pinned)
    }

    /// Runs `f` on the routes in force without marking this thread (for `Log::enabled`
    /// and the max level: an answer, not a record, so a reload need not wait for it).
    /// Inside a call, the outer call's copy as it is.
    #[inline]
    pub fn peek<R>(&self, f: impl Fn(&Routes) -> R) -> R {
        let local = COPY.try_with(|copy| loop {
            let borrowed = copy.try_borrow().ok()?;
            if let Some(cached) = &*borrowed {
                let current = cached.owner == self.owner
                    && (cached.seen == self.generation.load(Ordering::Acquire)
                        || cached.reader.mark.load(Ordering::Relaxed) != IDLE);
                if current {
                    return Some(f(&cached.routes));
                }
            }
            drop(borrowed);
            if !self.refresh(copy) {
                return None;
            }
        });
        match local {
            Ok(Some(answer)) => answer,
            _ => f(&self.routes.load()),
        }
    }

    /// Takes this thread's copy again, registering a reader if the thread had none for
    /// this backend; `false` when it cannot: inside a call on this thread (the copy is
    /// borrowed), or inside a call of another backend (the copy is that one's). What it
    /// replaces is dropped after the borrow ends.
    #[cold]
    #[inline(never)]
    fn refresh(&self, copy: &RefCell<Option<Cached>>) -> bool {
        let Ok(mut slot) = copy.try_borrow_mut() else {
            return false;
        };
        if let Some(other) = &*slot {
            if other.reader.mark.load(Ordering::Relaxed) != IDLE {
                return false;
            }
        }
        let seen = self.generation.load(Ordering::Acquire);
        // At least as new as `seen`: the routes are stored before the counter.
        let routes = self.routes.load_full();
        let mark = ACTIVE | u64::from(routes.generation());
        match slot.as_mut() {
            Some(cached) if cached.owner == self.owner => {
                cached.seen = seen;
                cached.mark = mark;
                let old = std::mem::replace(&mut cached.routes, routes);
                drop(slot);
                drop(old);
            }
            _ => {
                let cached = Cached {
                    owner: self.owner,
                    seen,
                    mark,
                    routes,
                    reader: self.register(),
                };
                let old = slot.replace(cached);
                drop(slot);
                drop(old);
            }
        }
        true
    }

    /// A new reader in the registry, which drops the readers of threads that ended.
    fn register(&self) -> Arc<Reader> {
        let reader = Arc::new(Reader {
            mark: AtomicU64::new(IDLE),
        });
        let mut readers = lock(&self.readers);
        readers.retain(|reader| reader.strong_count() > 0);
        readers.push(Arc::downgrade(&reader));
        reader
    }

    /// The routes in force, counted in flight until the [`Pinned`] is dropped: the slow
    /// path of the module docs.
    pub fn pin(&self) -> Pinned {
        loop {
            let routes = self.routes.load_full();
            routes.in_flight.fetch_add(1, Ordering::SeqCst);
            let pinned = Pinned(routes);
            if u64::from(pinned.generation()) >= self.generation.load(Ordering::SeqCst) {
                return pinned;
            }
            // Replaced meanwhile: their retirement may not have seen this count.
        }
    }

    /// Puts `routes` in force (the reloader's step 1); the routes they replace.
    pub fn publish(&self, routes: Arc<Routes>) -> Arc<Routes> {
        let generation = u64::from(routes.generation());
        let old = self.routes.swap(routes);
        self.generation.store(generation, Ordering::SeqCst);
        old
    }

    /// The reloader's steps 2 and 3 for `old`, the routes [`InForce::publish`] replaced:
    /// returns `true` once no caller routes by them, or `false` as soon as
    /// `keep_waiting`, called between two looks, says to give up.
    pub fn wait_readers(&self, old: &Routes, mut keep_waiting: impl FnMut() -> bool) -> bool {
        let readers: Vec<Arc<Reader>> = {
            let mut readers = lock(&self.readers);
            readers.retain(|reader| reader.strong_count() > 0);
            readers.iter().filter_map(Weak::upgrade).collect()
        };
        let routes_by_old =
            |mark: u64| mark & ACTIVE != 0 && mark & !ACTIVE <= u64::from(old.generation());
        for reader in &readers {
            while routes_by_old(reader.mark.load(Ordering::SeqCst)) {
                if !keep_waiting() {
                    return false;
                }
            }
        }
        while old.in_flight.load(Ordering::SeqCst) != 0 {
            if !keep_waiting() {
                return false;
            }
        }
        true
    }

    /// The readers registered and not pruned (threads alive that read these routes).
    #[cfg(test)]
    fn readers(&self) -> usize {
        let mut readers = lock(&self.readers);
        readers.retain(|reader| reader.strong_count() > 0);
        readers.len()
    }
}

/// This thread's mark, set to `mark`, with the caller's fence of the module docs.
#[inline]
fn announce(reader: &AtomicU64, mark: u64) {
    reader.store(mark, Ordering::SeqCst);
}

/// Calls `f` out of line: the calls that are not the outermost one's.
#[inline(never)]
fn call<R>(f: &mut dyn FnMut(&Routes) -> R, routes: &Routes) -> R {
    f(routes)
}

/// Clears this thread's mark when the outermost call returns (or unwinds).
struct Active<'a>(&'a AtomicU64);

impl Drop for Active<'_> {
    #[inline]
    fn drop(&mut self) {
        self.0.store(IDLE, Ordering::Release);
    }
}

/// Routes counted in flight ([`InForce::pin`]) until dropped.
#[derive(Debug)]
pub(crate) struct Pinned(Arc<Routes>);

impl Deref for Pinned {
    type Target = Routes;

    fn deref(&self) -> &Routes {
        &self.0
    }
}

impl Drop for Pinned {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use std::fmt;
    use std::sync::atomic::Ordering;
    use std::sync::mpsc;
    use std::sync::{Arc, Condvar, Mutex};
    use std::time::Duration;

    use ko_log_config::{Config, Format};
    use log::{Level, Log, Metadata, Record};

    use super::{ACTIVE, COPY, IDLE};
    use crate::dispatch::Guard;
    use crate::route::Routes;
    use crate::unwind::lock;
    use crate::{Backend, Builder, Event};

    /// How long a test waits for a thread it started before it calls the test hung (an
    /// upper bound on a deadlock, never the thing asserted).
    const HUNG: Duration = Duration::from_secs(20);

    /// What a [`Probe`] wrote, and a condvar to wait for more.
    #[derive(Debug, Default)]
    struct Written {
        lines: Mutex<Vec<String>>,
        more: Condvar,
    }

    impl Written {
        fn push(&self, line: String) {
            lock(&self.lines).push(line);
            self.more.notify_all();
        }

        /// The lines once there are `n` (or what there is if that never happens).
        fn wait_for(&self, n: usize) -> Vec<String> {
            let lines = lock(&self.lines);
            let (lines, _) = self
                .more
                .wait_timeout_while(lines, HUNG, |lines| lines.len() < n)
                .unwrap_or_else(|e| e.into_inner());
            lines.clone()
        }
    }

    /// A handler that keeps the messages it writes, then "closed" when it is dropped.
    #[derive(Debug)]
    struct Probe(Arc<Written>);

    impl crate::Handler for Probe {
        fn write(&mut self, _line: &[u8], event: &Event) -> Result<(), crate::Error> {
            self.0.push(event.message.to_string());
            Ok(())
        }

        fn flush(&mut self) -> Result<(), crate::Error> {
            Ok(())
        }
    }

    impl Drop for Probe {
        fn drop(&mut self) {
            self.0.push("closed".to_owned());
        }
    }

    /// A backend whose `root` logger (at `level`) writes to a [`Probe`]; what it wrote.
    fn probed(level: log::LevelFilter) -> (Backend, Guard, Arc<Written>) {
        let written = Arc::default();
        let (backend, guard) = Builder::empty()
            .handler("probe", Probe(Arc::clone(&written)))
            .route("root", ["probe"])
            .level("root", level)
            .build()
            .expect("a probed backend");
        (backend, guard, written)
    }

    fn log(backend: &Backend, args: fmt::Arguments<'_>) {
        backend.log(
            &Record::builder()
                .level(Level::Info)
                .target("test")
                .args(args)
                .build(),
        );
    }

    fn info_enabled(backend: &Backend) -> bool {
        backend.enabled(
            &Metadata::builder()
                .level(Level::Info)
                .target("test")
                .build(),
        )
    }

    fn lines(backend: &Backend, written: &Written) -> Vec<String> {
        backend.flush();
        lock(&written.lines).clone()
    }

    /// This thread's mark and the generation of its copy (`None`: no copy yet).
    fn this_thread() -> Option<(u64, u32)> {
        COPY.with(|copy| {
            let copy = copy.borrow();
            let copy = copy.as_ref()?;
            Some((
                copy.reader.mark.load(Ordering::Relaxed),
                copy.routes.generation(),
            ))
        })
    }

    /// Logs `inner` through `backend` while it is displayed, noting this thread's mark
    /// and copy before, during and after.
    struct LogsInside<'a> {
        backend: &'a Backend,
        seen: Mutex<Vec<Option<(u64, u32)>>>,
    }

    impl fmt::Display for LogsInside<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            lock(&self.seen).push(this_thread());
            let seen = &self.seen;
            struct Peek<'s>(&'s Mutex<Vec<Option<(u64, u32)>>>);
            impl fmt::Display for Peek<'_> {
                fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    lock(self.0).push(this_thread());
                    f.write_str("inner")
                }
            }
            log(self.backend, format_args!("{}", Peek(seen)));
            lock(&self.seen).push(this_thread());
            f.write_str("outer")
        }
    }

    #[test]
    fn a_nested_call_keeps_the_outer_calls_mark_and_copy() {
        let (backend, _guard, written) = probed(log::LevelFilter::Info);
        let outer = LogsInside {
            backend: &backend,
            seen: Mutex::default(),
        };
        log(&backend, format_args!("{outer}"));
        let active = Some((ACTIVE, 0));
        assert_eq!(
            *lock(&outer.seen),
            [active, active, active],
            "marked (generation 0) around and inside the nested call, on the same copy"
        );
        assert_eq!(this_thread(), Some((IDLE, 0)));
        assert_eq!(lines(&backend, &written), ["inner", "outer"]);
        assert_eq!(backend.routes.readers(), 1);
    }

    /// Logs `inner` through `other` while it is displayed, noting `other`'s in-flight
    /// count on its routes in force from inside that nested call.
    struct LogsToOther<'a> {
        other: &'a Backend,
        in_flight: Mutex<Vec<usize>>,
    }

    impl fmt::Display for LogsToOther<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            struct Count<'c>(&'c LogsToOther<'c>);
            impl fmt::Display for Count<'_> {
                fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    let count = self
                        .0
                        .other
                        .routes
                        .routes
                        .load()
                        .in_flight
                        .load(Ordering::SeqCst);
                    lock(&self.0.in_flight).push(count);
                    f.write_str("inner")
                }
            }
            log(self.other, format_args!("{}", Count(self)));
            f.write_str("outer")
        }
    }

    #[test]
    fn a_call_nested_in_another_backends_call_is_counted_in_flight() {
        let (outer, _guard_outer, written_outer) = probed(log::LevelFilter::Info);
        let (inner, _guard_inner, written_inner) = probed(log::LevelFilter::Info);
        let logs = LogsToOther {
            other: &inner,
            in_flight: Mutex::default(),
        };
        log(&outer, format_args!("{logs}"));
        assert_eq!(*lock(&logs.in_flight), [1], "pinned while nested");
        assert_eq!(
            inner.routes.routes.load().in_flight.load(Ordering::SeqCst),
            0
        );
        assert_eq!(lines(&outer, &written_outer), ["outer"]);
        assert_eq!(lines(&inner, &written_inner), ["inner"]);
        assert_eq!(
            this_thread(),
            Some((IDLE, 0)),
            "the outer backend's copy is kept"
        );
        assert_eq!(inner.routes.readers(), 0);
    }

    /// Parks the thread that displays it until told to go.
    struct Park {
        inside: mpsc::Sender<()>,
        go: Mutex<mpsc::Receiver<()>>,
    }

    impl fmt::Display for Park {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            let _ = self.inside.send(());
            let _ = lock(&self.go).recv_timeout(HUNG);
            f.write_str("parked")
        }
    }

    /// A thread that logs "parked" through `backend` and stays inside its capture until
    /// the returned sender says go (or is dropped); returns once it is inside.
    fn park_in_capture<'scope>(
        scope: &'scope std::thread::Scope<'scope, '_>,
        backend: &'static Backend,
    ) -> mpsc::Sender<()> {
        let (inside, is_inside) = mpsc::channel();
        let (go, wait) = mpsc::channel();
        let park = Park {
            inside,
            go: Mutex::new(wait),
        };
        scope.spawn(move || log(backend, format_args!("{park}")));
        is_inside
            .recv_timeout(HUNG)
            .expect("the caller is inside capture");
        go
    }

    #[test]
    fn a_reload_waits_for_a_caller_parked_inside_capture() {
        let (backend, _guard, _written) = probed(log::LevelFilter::Info);
        let backend: &'static Backend = Box::leak(Box::new(backend));
        std::thread::scope(|scope| {
            let go = park_in_capture(scope, backend);
            let new = Routes::new(&Config::default(), |_| None).with_generation(1);
            let old = backend.routes.publish(Arc::new(new));
            assert_eq!(old.generation(), 0);
            let mut looks = 0;
            let mut enqueued_while_waiting = Vec::new();
            let done = backend.routes.wait_readers(&old, || {
                looks += 1;
                enqueued_while_waiting.push(backend.stats().enqueued);
                let _ = go.send(());
                std::thread::yield_now();
                true
            });
            assert!(done);
            assert!(looks >= 1, "the reload waited for the parked caller");
            assert_eq!(enqueued_while_waiting[0], 0, "not queued when first seen");
            assert_eq!(backend.stats().enqueued, 1, "queued once the wait is over");
        });
    }

    #[test]
    fn a_reconfigure_closes_a_removed_handler_after_the_parked_callers_record() {
        let (backend, _guard, written) = probed(log::LevelFilter::Info);
        let backend: &'static Backend = Box::leak(Box::new(backend));
        let without_probe =
            Config::from_str("[loggers.root]\nlevel = \"info\"\n", Format::Toml).expect("config");
        std::thread::scope(|scope| {
            let go = park_in_capture(scope, backend);
            let reloaded = backend.reconfigure(without_probe, true).expect("reloaded");
            assert_eq!(reloaded.closed, ["probe"]);
            assert_eq!(written.wait_for(0), Vec::<String>::new());
            drop(go);
        });
        // The record the reload waited for, then the handler closed by the retire thread.
        assert_eq!(written.wait_for(2), ["parked", "closed"]);
    }

    #[test]
    fn a_thread_that_ended_is_pruned_from_the_readers() {
        let (backend, _guard, written) = probed(log::LevelFilter::Info);
        assert_eq!(backend.routes.readers(), 0);
        std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    log(&backend, format_args!("from a thread"));
                    assert_eq!(backend.routes.readers(), 1);
                })
                .join()
                .expect("the thread logs");
        });
        assert_eq!(backend.routes.readers(), 0);
        log(&backend, format_args!("from the test"));
        assert_eq!(backend.routes.readers(), 1);
        assert_eq!(
            lines(&backend, &written),
            ["from a thread", "from the test"]
        );
    }

    #[test]
    fn a_threads_stale_copy_is_taken_again_after_a_reload() {
        let (backend, _guard, written) = probed(log::LevelFilter::Info);
        let error_only = Config::from_str(
            "[loggers.root]\nlevel = \"error\"\nhandlers = [\"probe\"]\n\
             [handlers.probe]\ntype = \"null\"\n",
            Format::Toml,
        )
        .expect("config");
        let (step, next) = mpsc::channel::<()>();
        let (answer, answers) = mpsc::channel();
        let backend = &backend;
        std::thread::scope(|scope| {
            scope.spawn(move || {
                for _ in 0..2 {
                    let enabled = info_enabled(backend);
                    log(backend, format_args!("enabled: {enabled}"));
                    let generation = this_thread().map(|(_, generation)| generation);
                    let _ = answer.send((enabled, generation));
                    if next.recv_timeout(HUNG).is_err() {
                        return;
                    }
                }
            });
            assert_eq!(answers.recv_timeout(HUNG), Ok((true, Some(0))));
            backend.reconfigure(error_only, true).expect("reloaded");
            let _ = step.send(());
            assert_eq!(answers.recv_timeout(HUNG), Ok((false, Some(1))));
            let _ = step.send(());
        });
        assert_eq!(lines(backend, &written), ["enabled: true"]);
    }

    #[test]
    fn a_threads_copy_is_only_used_by_the_backend_it_is_from() {
        let (info, _guard_info, written_info) = probed(log::LevelFilter::Info);
        let (error, _guard_error, written_error) = probed(log::LevelFilter::Error);
        for round in 0..2 {
            assert!(info_enabled(&info));
            assert!(!info_enabled(&error));
            log(&info, format_args!("to info {round}"));
            log(&error, format_args!("to error {round}"));
        }
        assert_eq!(lines(&info, &written_info), ["to info 0", "to info 1"]);
        assert_eq!(lines(&error, &written_error), Vec::<String>::new());
        // The thread's copy (and its reader) is for the backend it used last.
        assert_eq!(info.routes.readers(), 0);
        assert_eq!(error.routes.readers(), 1);
    }

    #[test]
    fn a_reload_waits_for_a_caller_counted_in_flight() {
        let (backend, _guard, _written) = probed(log::LevelFilter::Info);
        let pinned = backend.routes.pin();
        let new = Routes::new(&Config::default(), |_| None).with_generation(1);
        let old = backend.routes.publish(Arc::new(new));
        let mut pinned = Some(pinned);
        let mut looks = 0;
        assert!(backend.routes.wait_readers(&old, || {
            looks += 1;
            pinned = None;
            true
        }));
        assert_eq!(looks, 1, "waited until the pinned caller was done");
        let later = backend.routes.pin();
        assert_eq!(
            later.generation(),
            1,
            "a pin after the reload is on the new routes"
        );
        assert!(backend
            .routes
            .wait_readers(&old, || unreachable!("nothing to wait for")));
    }
}
