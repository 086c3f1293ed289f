//! Faults survived, through the whole pipeline (the global logger, real files):
//!
//! - a disk that fills up (a 64 KiB tmpfs when the machine lets us mount one, `/dev/full`
//!   otherwise): reported with its code, counted, other handlers unaffected, writing resumes
//!   when space returns and every line written after recovery is whole;
//! - logrotate's `create` and `copytruncate` styles done to the live file (and the real
//!   `logrotate` when it is installed): nothing lost with `create`, no NUL hole with
//!   `copytruncate`;
//! - permission removed at run time and restored, staged in ways that stop root too: an
//!   immutable file (`chattr +i`), the path turned into a symlink into `/sys`, the
//!   directory replaced by a file, rotation refused by an append-only file (`chattr +a`);
//!   and permission denied at init, refused with a located error;
//! - a custom processor that panics, values whose `Display` panics;
//! - shutdown: the guard dropped while the thread panics still writes what was logged;
//!   a stalled or slow handler is given up after `drain_timeout` with an exact count;
//!   `std::process::exit` after `flush()` loses nothing.
//!
//! Each test installs its own global config, so each runs in a child process. A fault
//! that cannot be staged on this machine (no `mount`, no `chattr`) prints `skipped:` with
//! the reason and passes.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ko_log::config::Format;
use ko_log::{Action, Event};

static GATE: support::Gate = support::Gate::new();

/// Holds the dispatcher at the gate while it is closed.
#[ko_log::processor(name = "gate")]
fn gate() -> impl FnMut(&mut Event) -> Action + Send + 'static {
    |_| {
        GATE.pass();
        Action::Keep
    }
}

/// Sleeps on each record: a handler slow on purpose.
#[ko_log::processor(name = "slow")]
fn slow() -> impl FnMut(&mut Event) -> Action + Send + 'static {
    |_| {
        std::thread::sleep(Duration::from_millis(2));
        Action::Keep
    }
}

/// Panics on records whose message contains `boom`; marks the others.
#[ko_log::processor(name = "explode")]
fn explode() -> impl FnMut(&mut Event) -> Action + Send + 'static {
    |event| {
        if event.message.contains("boom") {
            panic!("the processor exploded");
        }
        event.fields.insert("seen", true);
        Action::Keep
    }
}

/// Runs the test `name` in a child process and returns its stderr, or `None` when this
/// process is that child.
fn parent(name: &str) -> Option<String> {
    (!support::is_child(name)).then(|| support::run_child_ok(name, &[]))
}

fn figure(name: &str, value: impl std::fmt::Display) {
    println!("figure: {name} {value}");
}

fn skipped(reason: &str) {
    println!("skipped: {reason}");
}

/// `rec 000042 end`.
fn rec(i: usize) -> String {
    format!("rec {i:06} end")
}

fn number(line: &str) -> Option<usize> {
    let digits = line.strip_prefix("rec ")?.strip_suffix(" end")?;
    (digits.len() == 6).then(|| digits.parse().ok())?
}

fn log_range(range: std::ops::Range<usize>) {
    for i in range {
        log::info!("{}", rec(i));
    }
    log::logger().flush();
}

fn numbers(lines: &[String]) -> Vec<usize> {
    lines
        .iter()
        .map(|line| number(line).unwrap_or_else(|| panic!("torn or foreign line {line:?}")))
        .collect()
}

/// A plain file handler named `name` at `path`, writing the bare message.
fn file_handler(name: &str, path: &Path, extra: &str) -> String {
    format!(
        "[handlers.{name}]\ntype = \"file\"\npath = \"{}\"\n{extra}\nrenderer = {{ type = \"plain\", format = \"{{message}}\" }}\n",
        path.display()
    )
}

/// Installs a config whose root logger writes to `handlers`, with their tables.
fn init(handlers: &[&str], tables: &str) -> ko_log::Guard {
    let list: Vec<String> = handlers.iter().map(|h| format!("\"{h}\"")).collect();
    let config = format!(
        "[loggers.root]\nhandlers = [{}]\n{tables}",
        list.join(", ")
    );
    ko_log::init_from_str(&config, Format::Toml).unwrap()
}

fn wait_past(interval: Duration) {
    std::thread::sleep(interval * 3);
}

// ---------------------------------------------------------------------------------------
// Disk full

const FULL_DISK: &str = "disk_full_on_a_tmpfs_is_reported_and_writing_resumes_with_whole_lines";

#[test]
fn disk_full_on_a_tmpfs_is_reported_and_writing_resumes_with_whole_lines() {
    if let Some(stderr) = parent(FULL_DISK) {
        if !stderr.contains("tmpfs mounted") {
            return; // skipped, reason printed
        }
        assert!(
            stderr.contains("[HANDLER::File::IO::ERROR::RECOVERABLE] handler `small`: File handler: cannot write")
                && stderr.contains("No space left on device"),
            "{stderr}"
        );
        let reports = stderr.matches("handler `small`").count();
        assert!((1..=3).contains(&reports), "rate limited:\n{stderr}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mount = dir.path().join("small");
    fs::create_dir(&mount).unwrap();
    let tmpfs = match support::Tmpfs::mount(&mount, "64k") {
        Ok(tmpfs) => tmpfs,
        Err(reason) => return skipped(&format!("{FULL_DISK}: {reason}")),
    };
    eprintln!("tmpfs mounted");
    let small = tmpfs.path().join("app.log");
    let ballast = tmpfs.path().join("ballast");
    fs::write(&ballast, vec![b'b'; 40 * 1024]).unwrap();
    let good = dir.path().join("good.log");
    let guard = init(
        &["small", "good"],
        &(file_handler("small", &small, "create_dirs = false")
            + &file_handler("good", &good, "")),
    );

    // ~24 KiB fit; 2,000 lines of 15 bytes (30 KB) do not. Flushed every 100 lines.
    for chunk in 0..20 {
        log_range(chunk * 100..(chunk + 1) * 100);
    }
    let full = ko_log::stats();
    assert!(full.handler_errors >= 1, "{full:?}");

    // Space returns: the next writes land, and the first of them ends any torn line.
    fs::remove_file(&ballast).unwrap();
    for chunk in 20..25 {
        log_range(chunk * 100..(chunk + 1) * 100);
    }
    let after = ko_log::stats();
    assert_eq!(after.handler_errors, full.handler_errors, "{after:?}");
    drop(guard);

    let expected: Vec<String> = (0..2500).map(rec).collect();
    assert_eq!(support::lines(&good), expected, "the other handler got everything");
    let lines = support::lines(&small);
    let whole: Vec<usize> = lines.iter().filter_map(|l| number(l)).collect();
    let torn = lines.len() - whole.len();
    assert!(torn <= 1, "{torn} torn lines");
    // Before the disk filled: a run from 0. After recovery: everything from 2000, whole.
    let split = whole.iter().position(|&n| n >= 2000).expect("lines after recovery");
    assert_eq!(whole[..split], (0..split).collect::<Vec<_>>());
    assert_eq!(whole[split..], (2000..2500).collect::<Vec<_>>());
    assert_eq!(
        lines[lines.len() - 500..],
        expected[2000..],
        "the lines written after recovery are the last ones, whole"
    );
    figure(
        "disk_full.tmpfs",
        format!(
            "written_before_full={split} lost={} torn={torn} handler_errors={}",
            2000 - split,
            after.handler_errors
        ),
    );
}

const DEV_FULL: &str = "dev_full_then_space_again_resumes_through_the_pipeline";

/// Where no tmpfs can be mounted: the path is a symlink to `/dev/full`, then to a file.
#[cfg(target_os = "linux")]
#[test]
fn dev_full_then_space_again_resumes_through_the_pipeline() {
    if let Some(stderr) = parent(DEV_FULL) {
        assert!(
            stderr.contains("[HANDLER::File::IO::ERROR::RECOVERABLE] handler `full`")
                && stderr.contains("No space left on device"),
            "{stderr}"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let real = dir.path().join("real.log");
    std::os::unix::os::unix::fs::symlink("/dev/full", &path).unwrap();
    let good = dir.path().join("good.log");
    let guard = init(
        &["full", "good"],
        &(file_handler("full", &path, "") + &file_handler("good", &good, "")),
    );
    log_range(0..100);
    assert!(ko_log::stats().handler_errors >= 1);
    fs::remove_file(&path).unwrap();
    std::os::unix::fs::symlink(&real, &path).unwrap();
    log_range(100..200);
    drop(guard);
    assert_eq!(numbers(&support::lines(&real)), (100..200).collect::<Vec<_>>());
    assert_eq!(numbers(&support::lines(&good)), (0..200).collect::<Vec<_>>());
}
