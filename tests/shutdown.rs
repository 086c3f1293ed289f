//! Shutdown keeps its promises: dropping the guard writes everything queued; with a
//! stalled handler it gives up after `drain_timeout` and says how many records it could
//! not write; `flush()` returns only when everything before it is on disk.

use std::time::{Duration, Instant};

const STALLED: &str = "a_stalled_handler_is_abandoned_after_drain_timeout_and_reported";

#[test]
fn flush_waits_and_guard_drop_loses_nothing() {
    let (_dir, path) = support::temp_path("app.log");
    let config = support::config::one_file(
        "[queue]\ncapacity = 100000\n",
        "file",
        &path,
        "{message}",
        "",
    );
    let guard = support::config::init(&config);
    for i in 0..50_000 {
        log::info!("a {i}");
    }
    log::logger().flush();
    assert_eq!(support::lines(&path).len(), 50_000, "flush returned early");
    for i in 0..50_000 {
        log::info!("b {i}");
    }
    drop(guard);
    let lines = support::lines(&path);
    assert_eq!(lines.len(), 100_000);
    assert_eq!(lines.last().map(String::as_str), Some("b 49999"));
}

#[test]
fn a_stalled_handler_is_abandoned_after_drain_timeout_and_reported() {
    if support::is_child(STALLED) {
        return stalled_child();
    }
    let stderr = support::run_child_ok(STALLED, &[]);
    assert!(
        stderr.contains("[RUNTIME::Dispatcher::SHUTDOWN::ERROR]")
            && stderr.contains("did not finish within drain_timeout"),
        "stderr was:\n{stderr}"
    );
}

/// A pipe that is opened but never read: the dispatcher blocks once it is full.
fn stalled_child() {
    let pipe = support::StalledPipe::new();
    let guard = support::config::init_stalled(pipe.path(), "", "300ms");
    let start = Instant::now();
    drop(guard);
    let took = start.elapsed();
    assert!(took < Duration::from_secs(5), "guard drop took {took:?}");
    let stats = ko_log::stats();
    assert!(stats.dropped > 0, "{stats:?}");
    std::process::exit(0); // the dispatcher thread is still stuck in write(): leave at once
}

const AFTER: &str = "records_logged_after_shutdown_are_counted_and_said_on_stderr";

#[test]
fn records_logged_after_shutdown_are_counted_and_said_on_stderr() {
    if support::is_child(AFTER) {
        let config = "[loggers.root]\nhandlers = [\"null\"]\n[handlers.null]\ntype = \"null\"\n";
        drop(support::config::init(config));
        for i in 0..150 {
            log::info!("too late {i}");
        }
        let stats = ko_log::stats();
        assert_eq!((stats.enqueued, stats.dropped), (0, 150), "{stats:?}");
        return;
    }
    let stderr = support::run_child_ok(AFTER, &[]);
    let said: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("ko-log:"))
        .collect();
    let line = |n: &str, verb: &str| {
        format!("ko-log: [RUNTIME::Logger::SHUTDOWN::WARNING] {n} logged after ko-log shut down (its Guard was dropped) {verb} dropped; all of them are counted in ko_log::stats().dropped")
    };
    assert_eq!(
        said,
        [
            line("1 record", "was"),
            line("10 records", "were"),
            line("100 records", "were")
        ]
    );
}
