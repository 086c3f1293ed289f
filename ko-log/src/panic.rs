//! ko-log's one panic hook: quiet for the panics ko-log catches itself, and, with
//! `log_panics`, a record for every other panic.
//!
//! - Panics in code ko-log calls on its users' behalf (processors, renderers, handlers,
//!   and the `Display` of logged values) are caught, counted and reported by ko-log itself,
//!   once per interval, instead of printing one panic message per record. [`catch`] is
//!   `catch_unwind` plus a thread-local flag; the hook stays silent while it is set.
//! - With `log_panics = true` (or [`log_panics`]), any other panic becomes an ERROR record
//!   on target `panic` ([`PANIC_TARGET`]): the payload as its message (a `&str` or
//!   `String`, else `Box<dyn Any>`), and the fields `thread` (its name, `<unnamed>`
//!   without one), `location` (`file:line:column`) and, when `RUST_BACKTRACE` (or
//!   `RUST_LIB_BACKTRACE`) asks for one, `backtrace`. The hook queues it through the
//!   installed backend and waits, at most `queue.drain_timeout`, until it is written and
//!   every handler flushed, and only then runs the previous hook, so the record is on disk
//!   even when the previous hook or `panic = "abort"` ends the process. A panic on the
//!   dispatcher thread itself cannot wait for that thread: it is written to stderr at once.
//! - Every other panic goes to the previous hook unchanged.
//!
//! The hook is installed once per process, by the first `Backend::new` or
//! [`log_panics`], in front of the hook in place then.

use std::any::Any;
use std::backtrace::{Backtrace, BacktraceStatus};
use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe, PanicHookInfo};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Once;
use std::time::Instant;

use crate::dispatch::on_dispatcher;
use crate::report;

/// The target of the records [`log_panics`] writes.
pub const PANIC_TARGET: &str = "panic";

thread_local! {
    static CATCHING: Cell<bool> = const { Cell::new(false) };
    /// Set while this thread's hook logs a panic (a panic meanwhile is not logged again).
    static LOGGING: Cell<bool> = const { Cell::new(false) };
}

/// Whether panics are logged (`log_panics`).
static LOG_PANICS: AtomicBool = AtomicBool::new(false);

/// Messages and values whose formatting panicked on a caller thread, for the dispatcher
/// to report.
pub(crate) static FORMAT_PANICS: AtomicU64 = AtomicU64::new(0);

/// Logs every panic from now on as an ERROR record on target `panic`, written and flushed
/// before the previous panic hook runs; what `log_panics = true` in the config does once
/// the backend is installed.
///
/// The records go to the backend an init function installed; before init and after its
/// [`Guard`](crate::Guard) is dropped, panics go to the previous hook only. Panics ko-log
/// catches in processors, renderers and handlers are reported as before, not logged
/// here. Calling it again does nothing more; it cannot be turned off.
///
/// ```no_run
/// let _guard = ko_log::init_from_file("log.toml")?;
/// ko_log::log_panics();
/// # Ok::<(), ko_log::Error>(())
/// ```
pub fn log_panics() {
    LOG_PANICS.store(true, Ordering::Release);
    install_hook();
}

/// Installs the hook once per process.
pub(crate) fn install_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if CATCHING.try_with(Cell::get).unwrap_or(false) {
                return;
            }
            if LOG_PANICS.load(Ordering::Acquire) {
                // Not again on this thread while it is logging (or its locals are gone).
                let busy = LOGGING.try_with(|flag| flag.replace(true)).unwrap_or(true);
                if !busy {
                    log_panic(info);
                    let _ = LOGGING.try_with(|flag| flag.set(false));
                }
            }
            previous(info);
        }));
    });
}

/// The text of a panic's payload: a `&str` or `String`, else `Box<dyn Any>` (as std says).
fn payload_text(payload: &(dyn Any + Send)) -> &str {
    if let Some(text) = payload.downcast_ref::<&'static str>() {
        text
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text
    } else {
        "Box<dyn Any>"
    }
}

/// Writes the record of the panic `info` and waits until it is flushed (bounded), or, on
/// the dispatcher thread, writes it to stderr.
fn log_panic(info: &PanicHookInfo<'_>) {
    let thread = std::thread::current();
    let name = thread.name().unwrap_or("<unnamed>");
    let location = info.location();
    let at = location.map_or_else(
        || "<unknown>".to_owned(),
        |l| format!("{}:{}:{}", l.file(), l.line(), l.column()),
    );
    let payload = payload_text(info.payload());
    if on_dispatcher() {
        report::say(
            "RUNTIME::Dispatcher::PANIC::ERROR",
            &format!("thread '{name}' panicked at {at}: {payload}"),
        );
        return;
    }
    let Some(backend) = crate::init::installed() else {
        return;
    };
    let backtrace = Backtrace::capture();
    let backtrace =
        (backtrace.status() == BacktraceStatus::Captured).then(|| backtrace.to_string());
    let mut fields: Vec<(&str, &str)> = vec![("thread", name), ("location", &at)];
    if let Some(backtrace) = &backtrace {
        fields.push(("backtrace", backtrace));
    }
    let fields = fields.as_slice();
    let deadline = Instant::now() + backend.drain_timeout();
    backend.log_and_flush(
        &log::Record::builder()
            .level(log::Level::Error)
            .target(PANIC_TARGET)
            .args(format_args!("{payload}"))
            .file(location.map(|l| l.file()))
            .line(location.map(|l| l.line()))
            .key_values(&fields)
            .build(),
        deadline,
    );
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

#[cfg(test)]
mod tests {
    #[test]
    fn payloads_read_as_std_reads_them() {
        let text: Box<dyn std::any::Any + Send> = Box::new("boom");
        assert_eq!(super::payload_text(text.as_ref()), "boom");
        let owned: Box<dyn std::any::Any + Send> = Box::new(String::from("owned 7"));
        assert_eq!(super::payload_text(owned.as_ref()), "owned 7");
        let other: Box<dyn std::any::Any + Send> = Box::new(7_u8);
        assert_eq!(super::payload_text(other.as_ref()), "Box<dyn Any>");
    }
}
