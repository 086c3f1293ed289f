//! Catching the panics of code ko-log runs on its users' behalf (processors, renderers,
//! handlers, and the `Display` of logged values), on callers and on the dispatcher alike.
//! A leaf: it imports nothing of ko-log, so the layers below the dispatcher can use it.
//! ko-log's one panic hook is installed here: silent for a panic caught here (the
//! dispatcher reports what was caught, counted, once per interval), and, once
//! `log_panics` asked for it, writing any other panic as a record (`panic.rs`) before the
//! previous hook runs.

use std::cell::Cell;
use std::panic::PanicHookInfo;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, Once, OnceLock};

thread_local! {
    static CATCHING: Cell<bool> = const { Cell::new(false) };
}

/// Messages and values whose formatting panicked on a caller thread, for the dispatcher
/// to report.
pub(crate) static FORMAT_PANICS: AtomicU64 = AtomicU64::new(0);

/// Runs `f`, catching a panic without letting the panic hook print it.
pub(crate) fn catch<R>(f: impl FnOnce() -> R) -> std::thread::Result<R> {
    let outer = CATCHING
        .try_with(|flag| flag.replace(true))
        .unwrap_or(false);
    let result = catch_unwind(AssertUnwindSafe(f));
    let _ = CATCHING.try_with(|flag| flag.set(outer));
    result
}

/// Whether this thread is inside [`catch`] (the panic hook then stays silent).
pub(crate) fn catching() -> bool {
    CATCHING.try_with(Cell::get).unwrap_or(false)
}

/// What the hook does with a panic not caught here, before the previous hook runs.
static ON_PANIC: OnceLock<fn(&PanicHookInfo<'_>)> = OnceLock::new();

/// Installs ko-log's panic hook, once per process, in front of the hook in place then.
pub(crate) fn install_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if catching() {
                return;
            }
            if let Some(on_panic) = ON_PANIC.get() {
                on_panic(info);
            }
            previous(info);
        }));
    });
}

/// From now on, the hook hands every panic not caught here to `on_panic` first (the
/// first one given; `log_panics` cannot be turned off).
pub(crate) fn on_panic(on_panic: fn(&PanicHookInfo<'_>)) {
    let _ = ON_PANIC.set(on_panic);
    install_hook();
}

/// Locks `mutex`, poisoned or not: a panic caught on one thread never stops another
/// from logging.
pub(crate) fn lock<T: ?Sized>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Counts a panic caught while formatting on a caller thread.
pub(crate) fn count_format_panic() {
    FORMAT_PANICS.fetch_add(1, Ordering::Relaxed);
}

/// The text of a panic payload.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_owned()
    }
}
