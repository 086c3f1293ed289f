//! The one place ko-log's own problems are written: stderr, rate limited.
//!
//! Nothing else in ko-log prints. A report never panics and never fails (a broken stderr
//! is ignored). Each code is printed at most once per [`INTERVAL`]; repeats in between
//! are counted and the count is shown with the next report of that code.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Minimum time between two reports with the same code.
pub(crate) const INTERVAL: Duration = Duration::from_secs(10);

#[derive(Default)]
struct Seen {
    last: Option<Instant>,
    suppressed: u64,
    once: bool,
}

fn table() -> &'static Mutex<HashMap<String, Seen>> {
    static TABLE: OnceLock<Mutex<HashMap<String, Seen>>> = OnceLock::new();
    TABLE.get_or_init(Default::default)
}

fn emit(code: &str, message: &str, suppressed: u64) {
    let mut stderr = std::io::stderr().lock();
    let _ = if suppressed > 0 {
        writeln!(
            stderr,
            "ko-log: [{code}] {message} ({suppressed} similar reports suppressed)"
        )
    } else {
        writeln!(stderr, "ko-log: [{code}] {message}")
    };
}

/// Reports `message` under `code`, at most once per [`INTERVAL`] for that code.
pub(crate) fn report(code: &str, message: &str) {
    report_keyed(code, code, message);
}

/// Reports `message` under `code`, at most once per [`INTERVAL`] for `key`.
fn report_keyed(key: &str, code: &str, message: &str) {
    let now = Instant::now();
    let mut table = table().lock().unwrap_or_else(|e| e.into_inner());
    let seen = table.entry(key.to_owned()).or_default();
    match seen.last {
        Some(last) if now.duration_since(last) < INTERVAL => seen.suppressed += 1,
        _ => {
            let suppressed = std::mem::take(&mut seen.suppressed);
            seen.last = Some(now);
            drop(table);
            emit(code, message, suppressed);
        }
    }
}

/// Says `message` under `code` now, with no rate limit (the caller bounds how often).
pub(crate) fn say(code: &str, message: &str) {
    emit(code, message, 0);
}

/// Reports `message` under `code` once for the life of the process.
pub(crate) fn warn_once(code: &str, message: &str) {
    let mut table = table().lock().unwrap_or_else(|e| e.into_inner());
    let seen = table.entry(code.to_owned()).or_default();
    if !std::mem::replace(&mut seen.once, true) {
        drop(table);
        emit(code, message, 0);
    }
}

/// Reports a run-time error with its code, rate limited per code and `context` (so two
/// failing handlers are both reported).
pub(crate) fn error(context: &str, error: &crate::Error) {
    let code = error.code();
    report_keyed(
        &format!("{code} {context}"),
        &code,
        &format!("{context}: {error}"),
    );
}
