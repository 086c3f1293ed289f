//! Panics in code ko-log calls on its users' behalf (processors, renderers, handlers, and
//! the `Display` of logged values) are caught, counted and reported by ko-log itself, once
//! per interval, instead of printing one panic message per record.
//!
//! [`catch`] is `catch_unwind` plus a thread-local flag; the panic hook that ko-log chains
//! in front of the existing one (at the first `Backend::new`) stays silent while the flag
//! is set and hands every other panic to the previous hook unchanged.

use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Once;

thread_local! {
    static CATCHING: Cell<bool> = const { Cell::new(false) };
}

/// Messages and values whose formatting panicked on a caller thread, for the dispatcher
/// to report.
pub(crate) static FORMAT_PANICS: AtomicU64 = AtomicU64::new(0);

/// Installs the quiet hook once per process.
pub(crate) fn install_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !CATCHING.try_with(Cell::get).unwrap_or(false) {
                previous(info);
            }
        }));
    });
}

/// Runs `f`, catching a panic without letting the panic hook print it.
pub(crate) fn catch<R>(f: impl FnOnce() -> R) -> std::thread::Result<R> {
    let outer = CATCHING
        .try_with(|flag| flag.replace(true))
        .unwrap_or(false);
    let result = catch_unwind(AssertUnwindSafe(f));
    let _ = CATCHING.try_with(|flag| flag.set(outer));
    result
}

/// Counts a panic caught while formatting on a caller thread.
pub(crate) fn count_format_panic() {
    FORMAT_PANICS.fetch_add(1, Ordering::Relaxed);
}
