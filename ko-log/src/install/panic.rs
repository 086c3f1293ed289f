//! ko-log's one panic hook: quiet for the panics ko-log catches itself, and, with
//! `log_panics`, a record for every other panic.
//!
//! - Panics in code ko-log calls on its users' behalf (processors, renderers, handlers,
//!   and the `Display` of logged values) are caught, counted and reported by ko-log itself,
//!   once per interval, instead of printing one panic message per record
//!   ([`crate::unwind::catch`]); the hook stays silent while one is caught.
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
//! The hook itself is `unwind::install_hook`'s, installed once per process by the first
//! `Backend::new` or [`log_panics`], in front of the hook in place then; this module is
//! what it does for `log_panics`, so the backend below never imports it.

use std::any::Any;
use std::backtrace::{Backtrace, BacktraceStatus};
use std::cell::Cell;
use std::panic::PanicHookInfo;
use std::time::Instant;

use crate::dispatch::on_dispatcher;
use crate::report;

/// The target of the records [`log_panics`] writes.
pub const PANIC_TARGET: &str = "panic";

thread_local! {
    /// Set while this thread's hook logs a panic (a panic meanwhile is not logged again).
    static LOGGING: Cell<bool> = const { Cell::new(false) };
}

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
    crate::unwind::on_panic(|info| {
        // Not again on this thread while it is logging (or its locals are gone).
        let busy = LOGGING.try_with(|flag| flag.replace(true)).unwrap_or(true);
        if !busy {
            log_panic(info);
            let _ = LOGGING.try_with(|flag| flag.set(false));
        }
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
    let Some(backend) = crate::caller::backend::installed() else {
        return;
    };
    let backtrace = Backtrace::capture();
    let backtrace = (backtrace.status() == BacktraceStatus::Captured).then(|| {
        let full = backtrace.to_string();
        match std::env::var_os("RUST_BACKTRACE") {
            Some(style) if style == "full" => full,
            _ => short_backtrace(&full),
        }
    });
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

/// The frames of `full` (a `Backtrace`'s text) that std's short style shows: those after
/// the panic machinery (this hook, `rust_begin_unwind`, `core::panicking::…`) and before
/// `__rust_begin_short_backtrace`, numbered from 0. `full` itself when it has no such
/// frames to cut.
fn short_backtrace(full: &str) -> String {
    // Each frame: its `N: name` line and the `at file:line` lines below it.
    let mut frames: Vec<(&str, Vec<&str>)> = Vec::new();
    for line in full.lines() {
        let trimmed = line.trim_start();
        let numbered = trimmed
            .split_once(": ")
            .filter(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        match (numbered, frames.last_mut()) {
            (Some((_, name)), _) => frames.push((name, Vec::new())),
            (None, Some((_, lines))) => lines.push(line),
            (None, None) => return full.to_owned(),
        }
    }
    let machinery = |name: &str| {
        name.contains("rust_begin_unwind")
            || name.contains("__rust_end_short_backtrace")
            || name.starts_with("core::panicking::")
            || name.starts_with("std::panicking::")
    };
    let end = frames
        .iter()
        .position(|(name, _)| name.contains("__rust_begin_short_backtrace"))
        .unwrap_or(frames.len());
    let start = frames
        .get(..end)
        .and_then(|before| before.iter().rposition(|(name, _)| machinery(name)))
        .map_or(0, |at| at + 1);
    if start >= end {
        return full.to_owned();
    }
    let mut out = String::new();
    for (index, (name, lines)) in frames
        .get(start..end)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        out.push_str(&format!("{index:>4}: {name}\n"));
        for line in lines {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_short_backtrace_is_the_frames_between_the_panic_and_the_runtime() {
        let full = "   0: ko_log::panic::log_panic
             at ./ko-log/src/panic.rs:122:21
   1: std::panicking::panic_with_hook
             at /rustc/library/std/src/panicking.rs:833:13
   2: __rustc::rust_begin_unwind
   3: core::panicking::panic_fmt
             at /rustc/library/core/src/panicking.rs:80:14
   4: app::job
             at ./src/job.rs:3:5
   5: app::main
             at ./src/main.rs:9:5
   6: std::sys::backtrace::__rust_begin_short_backtrace
             at /rustc/library/std/src/sys/backtrace.rs:166:18
   7: std::panicking::catch_unwind::do_call
   8: main
";
        assert_eq!(
            super::short_backtrace(full),
            "   0: app::job
             at ./src/job.rs:3:5
   1: app::main
             at ./src/main.rs:9:5
"
        );
        let plain = "   0: a\n   1: b\n";
        assert_eq!(super::short_backtrace(plain), plain);
        assert_eq!(
            super::short_backtrace("disabled backtrace"),
            "disabled backtrace"
        );
    }

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
