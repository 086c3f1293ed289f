//! Level scopes: debug (or trace) for one request, without lowering anyone else's level.
//!
//! [`push_level`] (a thread scope) and [`with_level`] (a task scope) let the records
//! logged inside pass the loggers' levels down to the given level; handlers' own `level`
//! filters still apply, and records logged outside are unaffected. Scopes nest, and an
//! inner scope never lowers an outer one's level.
//!
//! `log` filters on its global maximum level before any logger is asked, so while any
//! level scope is open anywhere in the process, `log::max_level()` is raised to the
//! loosest open scope's level, and falls back when the last one closes. This module owns
//! that value: init and reload hand it the loggers' own maximum ([`set_base`]), and it
//! sets `log`'s to the looser of the two. The cost to everyone else while a scope is
//! open: a `debug!` call on another thread passes `log`'s check, looks up its route, and
//! then reads one atomic and one thread-local before it is refused.

use std::cell::Cell;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::task::{Context as TaskContext, Poll};

use log::{Level, LevelFilter};

thread_local! {
    /// The level of the innermost level scope on this thread (`LevelFilter as usize`;
    /// 0, `Off`, when there is none).
    static LEVEL: Cell<usize> = const { Cell::new(0) };
}

/// Level scopes open in the process (guards and `WithLevel` futures alive).
static OPEN: AtomicUsize = AtomicUsize::new(0);

/// The loggers' maximum level (`None` until ko-log is installed: the max level of
/// another logger is never touched) and the open scopes by level.
static STATE: Mutex<State> = Mutex::new(State {
    base: None,
    open: [0; 6],
});

struct State {
    base: Option<LevelFilter>,
    open: [usize; 6],
}

impl State {
    /// Sets `log`'s max level to the looser of the loggers' and the open scopes'.
    fn apply(&self) {
        let Some(base) = self.base else {
            return;
        };
        let scoped = LevelFilter::iter()
            .filter(|level| self.open.get(*level as usize).is_some_and(|n| *n > 0))
            .last()
            .unwrap_or(LevelFilter::Off);
        log::set_max_level(base.max(scoped));
    }
}

fn state() -> std::sync::MutexGuard<'static, State> {
    STATE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Sets `log`'s max level for loggers whose loosest level is `base` (init, reload),
/// kept raised while a level scope is open.
pub(crate) fn set_base(base: LevelFilter) {
    let mut state = state();
    state.base = Some(base);
    state.apply();
}

/// Whether a record at `level`, refused by its logger, passes by the level scope of this
/// thread. One relaxed load when no scope is open anywhere. Out of line, so that the
/// enabled path's routing code stays as short as it was.
#[cold]
#[inline(never)]
pub(crate) fn admits(level: Level) -> bool {
    OPEN.load(Ordering::Relaxed) != 0 && admitted_here(level)
}

fn admitted_here(level: Level) -> bool {
    LEVEL
        .try_with(|scoped| level as usize <= scoped.get())
        .unwrap_or(false)
}

/// The current thread's scope level.
fn current() -> LevelFilter {
    let level = LEVEL.try_with(Cell::get).unwrap_or(0);
    LevelFilter::iter().nth(level).unwrap_or(LevelFilter::Off)
}

/// Replaces this thread's scope level, returning the previous one.
fn replace(level: LevelFilter) -> LevelFilter {
    let prev = LEVEL
        .try_with(|scoped| scoped.replace(level as usize))
        .unwrap_or(0);
    LevelFilter::iter().nth(prev).unwrap_or(LevelFilter::Off)
}

/// One open level scope, counted from creation to drop (raises `log`'s max level).
#[derive(Debug)]
struct Open(LevelFilter);

impl Open {
    fn new(level: LevelFilter) -> Open {
        let mut state = state();
        if let Some(open) = state.open.get_mut(level as usize) {
            *open += 1;
        }
        OPEN.fetch_add(1, Ordering::Relaxed);
        state.apply();
        Open(level)
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        let mut state = state();
        if let Some(open) = state.open.get_mut(self.0 as usize) {
            *open = open.saturating_sub(1);
        }
        OPEN.fetch_sub(1, Ordering::Relaxed);
        state.apply();
    }
}

/// Keeps a thread's level scope open; dropping it restores the outer scope's level (and
/// lowers `log`'s max level back once no scope is open).
///
/// Made by [`push_level`]. Not `Send`: a scope belongs to one thread; async code uses
/// [`with_level`].
#[must_use = "the level applies only while the guard is alive: `let _level = ...`"]
#[derive(Debug)]
pub struct LevelGuard {
    prev: LevelFilter,
    _open: Open,
    _not_send: PhantomData<*const ()>,
}

impl Drop for LevelGuard {
    fn drop(&mut self) {
        replace(self.prev);
    }
}

/// Lets every record logged on this thread pass the loggers' levels down to `level`
/// until the guard drops; handlers' own `level` filters still apply.
///
/// ```
/// let _debug = ko_log::context::push_level(log::LevelFilter::Debug);
/// log::debug!("written even where the logger's level is info");
/// ```
pub fn push_level(level: LevelFilter) -> LevelGuard {
    let level = level.max(current());
    LevelGuard {
        _open: Open::new(level),
        prev: replace(level),
        _not_send: PhantomData,
    }
}

/// Runs `future` with the loggers' levels lowered to `level` for the records it logs,
/// on every poll, on any thread (the task form of [`push_level`]). `log`'s max level is
/// raised from now until the returned future is dropped.
///
/// ```
/// # async fn handle() {}
/// let task = ko_log::with_level(log::LevelFilter::Debug, async {
///     log::debug!("written for this request only");
///     handle().await;
/// });
/// # drop(task);
/// ```
pub fn with_level<F: Future>(level: LevelFilter, future: F) -> WithLevel<F> {
    let level = level.max(current());
    WithLevel {
        open: Open::new(level),
        future: Some(Box::pin(future)),
    }
}

/// A future whose records pass the loggers' levels down to a level ([`with_level`]).
#[must_use = "futures do nothing unless polled"]
pub struct WithLevel<F> {
    open: Open,
    future: Option<Pin<Box<F>>>,
}

impl<F> std::fmt::Debug for WithLevel<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WithLevel")
            .field("level", &self.open.0)
            .finish_non_exhaustive()
    }
}

/// Makes `level` this thread's scope level until dropped.
struct Restore(LevelFilter);

impl Restore {
    fn enter(level: LevelFilter) -> Restore {
        Restore(replace(level))
    }
}

impl Drop for Restore {
    fn drop(&mut self) {
        replace(self.0);
    }
}

impl<F: Future> Future for WithLevel<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<F::Output> {
        let _scope = Restore::enter(self.open.0);
        match self.future.as_mut() {
            Some(future) => future.as_mut().poll(cx),
            None => Poll::Pending,
        }
    }
}

impl<F> Drop for WithLevel<F> {
    fn drop(&mut self) {
        if let Some(future) = self.future.take() {
            let _scope = Restore::enter(self.open.0);
            drop(future);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_nest_never_lower_and_unwind() {
        assert_eq!(current(), LevelFilter::Off);
        assert!(!admitted_here(Level::Debug));
        let outer = push_level(LevelFilter::Debug);
        assert!(admits(Level::Debug));
        assert!(!admits(Level::Trace));
        {
            let _inner = push_level(LevelFilter::Info);
            assert_eq!(current(), LevelFilter::Debug, "an inner scope never lowers");
            let _trace = push_level(LevelFilter::Trace);
            assert!(admits(Level::Trace));
        }
        assert_eq!(current(), LevelFilter::Debug);
        drop(outer);
        assert_eq!(current(), LevelFilter::Off);
        assert!(!admitted_here(Level::Error));
    }
}
