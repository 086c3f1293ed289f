//! The one place ko-log's own problems are written: stderr, rate limited.
//!
//! Nothing else in ko-log prints. A report never panics and never fails (a broken stderr
//! is ignored).
//!
//! **Rate limit.** A failure is printed the first time, then at most once per
//! [`INTERVAL`]; repeats in between are counted. Two reports are the same failure when
//! they have the same code, the same handler (or other context) and the same *shape*:
//! the message with every run of digits folded ([`shape`]), so `cannot rotate
//! …/app.log.2: is a symlink` and `cannot reopen …/app.log: is now a symlink` are two
//! failures, each printed at once, while `3 records dropped` and `5 records dropped` are
//! one. A code and handler hold at most [`SHAPES`] shapes at a time; messages of further
//! shapes share one more slot, so a message that changes with each record cannot flood
//! stderr.
//!
//! **Suppressed counts are always printed**: with the next report of the same failure,
//! or when its window ends ([`tick`], which the dispatcher calls, also while it sleeps),
//! or at shutdown ([`summarize`], called when the guard is dropped or a signal ends the
//! process), whichever comes first:
//! `ko-log: [CODE] 41 more reports like this suppressed in the 10.0 s after it was
//! printed; the last: MESSAGE`.

use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Minimum time between two reports of the same failure.
pub(crate) const INTERVAL: Duration = Duration::from_secs(10);

/// Most message shapes tracked apart per code and handler; the rest share one slot.
pub(crate) const SHAPES: usize = 8;

/// One failure's window.
#[derive(Debug)]
struct Seen {
    /// `None`: the slot shared by shapes beyond [`SHAPES`].
    shape: Option<String>,
    code: String,
    /// When it was last printed.
    last: Instant,
    suppressed: u64,
    /// The last suppressed message, printed with the count.
    latest: String,
}

impl Seen {
    fn due(&self) -> Instant {
        self.last + INTERVAL
    }
}

#[derive(Debug, Default)]
struct Table {
    /// By code and context: the failures seen within their window, or with a count still
    /// to print.
    failures: HashMap<String, Vec<Seen>>,
    /// Codes [`warn_once`] has printed.
    once: std::collections::HashSet<String>,
}

fn table() -> &'static Mutex<Table> {
    static TABLE: OnceLock<Mutex<Table>> = OnceLock::new();
    TABLE.get_or_init(Default::default)
}

/// When the earliest suppressed count is due, in milliseconds after [`epoch`]
/// (`u64::MAX`: none), so [`tick`] costs one atomic load while nothing is.
static NEXT_DUE: AtomicU64 = AtomicU64::new(u64::MAX);

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn millis(at: Instant) -> u64 {
    u64::try_from(at.saturating_duration_since(epoch()).as_millis()).unwrap_or(u64::MAX - 1)
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

/// Prints the count of reports suppressed in `seen`'s window.
fn emit_count(seen: &mut Seen, now: Instant) {
    let n = std::mem::take(&mut seen.suppressed);
    let secs = now.saturating_duration_since(seen.last).as_secs_f64();
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(
        stderr,
        "ko-log: [{}] {n} more report{} like this suppressed in the {secs:.1} s after it was printed; the last: {}",
        seen.code,
        if n == 1 { "" } else { "s" },
        seen.latest
    );
}

/// The shape of a message: every run of ASCII digits becomes `#`, so counts, sizes,
/// error numbers and numbered backups do not make a failure new.
pub(crate) fn shape(message: &str) -> String {
    let mut shape = String::with_capacity(message.len());
    let mut in_digits = false;
    for c in message.chars() {
        if c.is_ascii_digit() {
            if !in_digits {
                shape.push('#');
            }
            in_digits = true;
        } else {
            shape.push(c);
            in_digits = false;
        }
    }
    shape
}

/// Reports `message` under `code`, rate limited per code and shape (module docs).
pub(crate) fn report(code: &str, message: &str) {
    report_keyed(code, code, message);
}

/// Reports `message` under `code`, rate limited per `key` and the message's shape.
fn report_keyed(key: &str, code: &str, message: &str) {
    let now = Instant::now();
    let shape = shape(message);
    let mut table = table().lock().unwrap_or_else(|e| e.into_inner());
    let seens = table.failures.entry(key.to_owned()).or_default();
    // Forget what has nothing left to say.
    seens.retain(|seen| seen.suppressed > 0 || now < seen.due());
    let at = seens
        .iter()
        .position(|seen| seen.shape.as_deref() == Some(shape.as_str()))
        .or_else(|| {
            let shaped = seens.iter().filter(|seen| seen.shape.is_some()).count();
            (shaped >= SHAPES)
                .then(|| seens.iter().position(|seen| seen.shape.is_none()))
                .flatten()
        });
    let Some(at) = at else {
        let overflow = seens.iter().filter(|seen| seen.shape.is_some()).count() >= SHAPES;
        seens.push(Seen {
            shape: (!overflow).then_some(shape),
            code: code.to_owned(),
            last: now,
            suppressed: 0,
            latest: String::new(),
        });
        drop(table);
        emit(code, message, 0);
        return;
    };
    let seen = &mut seens[at];
    if now < seen.due() {
        seen.suppressed += 1;
        message.clone_into(&mut seen.latest);
        NEXT_DUE.fetch_min(millis(seen.due()) + 1, Ordering::AcqRel);
    } else {
        let suppressed = std::mem::take(&mut seen.suppressed);
        seen.last = now;
        drop(table);
        emit(code, message, suppressed);
    }
}

/// When the earliest suppressed count is due, if one is waiting.
pub(crate) fn next_due() -> Option<Instant> {
    let due = NEXT_DUE.load(Ordering::Acquire);
    (due != u64::MAX).then(|| epoch() + Duration::from_millis(due))
}

/// Prints the suppressed counts whose window has ended (one atomic load when none is
/// due).
pub(crate) fn tick() {
    let due = NEXT_DUE.load(Ordering::Acquire);
    if due == u64::MAX || millis(Instant::now()) < due {
        return;
    }
    print_counts(false);
}

/// Prints every suppressed count now, window ended or not: at shutdown, so none is lost
/// with the process.
pub(crate) fn summarize() {
    print_counts(true);
}

fn print_counts(all: bool) {
    let now = Instant::now();
    let mut table = table().lock().unwrap_or_else(|e| e.into_inner());
    let mut next = u64::MAX;
    for seen in table.failures.values_mut().flatten() {
        if seen.suppressed == 0 {
            continue;
        }
        if all || now >= seen.due() {
            emit_count(seen, now);
        } else {
            next = next.min(millis(seen.due()) + 1);
        }
    }
    NEXT_DUE.store(next, Ordering::Release);
}

/// Says `message` under `code` now, with no rate limit (the caller bounds how often).
pub(crate) fn say(code: &str, message: &str) {
    emit(code, message, 0);
}

/// Reports `message` under `code` once for the life of the process.
pub(crate) fn warn_once(code: &str, message: &str) {
    let mut table = table().lock().unwrap_or_else(|e| e.into_inner());
    if table.once.insert(code.to_owned()) {
        drop(table);
        emit(code, message, 0);
    }
}

/// Reports a run-time error with its code, rate limited per code, `context` (so two
/// failing handlers are both reported) and the message's shape (so two different
/// failures of one handler are both reported).
pub(crate) fn error(context: &str, error: &crate::error::Error) {
    let code = error.code();
    report_keyed(
        &format!("{code} {context}"),
        &code,
        &format!("{context}: {error}"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A count is printed once its window has ended, by `tick`, without another report.
    #[test]
    fn a_count_is_printed_when_its_window_ends() {
        let key = "TEST::Report::WINDOW::ERROR unit";
        for _ in 0..4 {
            report_keyed(key, "TEST::Report::WINDOW::ERROR", "it failed");
        }
        let suppressed = |table: &Table| table.failures[key][0].suppressed;
        assert_eq!(suppressed(&table().lock().unwrap()), 3);
        assert!(next_due().is_some());
        tick(); // Not due yet: nothing printed.
        assert_eq!(suppressed(&table().lock().unwrap()), 3);
        {
            let mut table = table().lock().unwrap();
            let seen = &mut table.failures.get_mut(key).unwrap()[0];
            seen.last = Instant::now() - INTERVAL;
        }
        NEXT_DUE.store(0, Ordering::Release);
        tick();
        assert_eq!(suppressed(&table().lock().unwrap()), 0);
    }

    #[test]
    fn shapes_fold_digit_runs_only() {
        assert_eq!(
            shape("cannot rotate /tmp/x9/app.log.2: is a symlink (os error 40)"),
            "cannot rotate /tmp/x#/app.log.#: is a symlink (os error #)"
        );
        assert_ne!(
            shape("handler `f`: cannot rotate /l/app.log.2: is a symlink"),
            shape("handler `f`: cannot reopen /l/app.log: is now a symlink")
        );
        assert_eq!(shape("3 records dropped"), shape("1500 records dropped"));
    }
}
