//! `flush_on_signals`: SIGTERM and SIGINT no longer lose the tail of the log. Each test
//! re-runs itself as a child that logs 100,000 numbered records and is then signalled;
//! the parent checks how the child ended and what reached the file.
#![cfg(unix)]

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use ko_log::config::Format;
use signal_hook::consts::signal::{SIGINT, SIGTERM};

const RECORDS: usize = 100_000;
const DIR_ENV: &str = "KO_LOG_SIGNALS_DIR";

const TERM: &str = "sigterm_writes_every_record_then_the_process_dies_by_sigterm";
const INT: &str = "sigint_from_another_process_writes_every_record_then_dies_by_sigint";
const OFF: &str = "without_the_key_sigterm_ends_the_process_at_once_as_before";
const BEFORE: &str = "a_handler_installed_before_init_runs_and_the_process_lives_on";
const AFTER: &str = "a_handler_registered_after_init_runs_then_the_process_dies_by_sigterm";
const STALLED: &str = "a_stalled_handler_delays_the_end_by_at_most_drain_timeout";
const AGAIN: &str = "a_second_sigterm_while_draining_ends_the_process_at_once";
const KILL: &str = "kill_9_loses_what_is_queued_and_buffered_even_with_the_key";
const CAPACITY_ENV: &str = "KO_LOG_SIGNALS_CAPACITY";
const DOWN: &str =
    "sigterm_with_a_destination_down_ends_by_the_signal_within_a_bound_and_keeps_the_file_whole";
const POLICY_ENV: &str = "KO_LOG_SIGNALS_SYSLOG_POLICY";

#[test]
fn sigterm_writes_every_record_then_the_process_dies_by_sigterm() {
    if support::is_child(TERM) {
        let _guard = init(true);
        log_all();
        raise_and_wait(SIGTERM);
    }
    let (output, dir) = run(TERM);
    assert_killed_by(&output, SIGTERM);
    assert_every_record_once(dir.path());
}

#[test]
fn sigint_from_another_process_writes_every_record_then_dies_by_sigint() {
    if support::is_child(INT) {
        let _guard = init(true);
        log_all();
        // Sent by another process, to the process (any thread may take it).
        let status = Command::new("kill")
            .args(["-s", "INT", &std::process::id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill failed: {status}");
        wait_for_the_end();
    }
    let (output, dir) = run(INT);
    assert_killed_by(&output, SIGINT);
    assert_every_record_once(dir.path());
}

#[test]
fn without_the_key_sigterm_ends_the_process_at_once_as_before() {
    if support::is_child(OFF) {
        let _guard = init(false);
        // ko-log installed no handler: SIGTERM keeps its default action.
        assert!(
            !caught(SIGTERM) && !caught(SIGINT),
            "a handler was installed"
        );
        log_all();
        raise_and_wait(SIGTERM);
    }
    let (output, dir) = run(OFF);
    assert_killed_by(&output, SIGTERM);
    let lost = RECORDS - distinct_records(dir.path());
    println!("figure: without flush_on_signals, SIGTERM right after {RECORDS} records lost {lost}");
}

#[test]
fn a_handler_installed_before_init_runs_and_the_process_lives_on() {
    if support::is_child(BEFORE) {
        let dir = child_dir();
        let marker = dir.join("marker");
        let file = std::fs::File::create(&marker).unwrap();
        signal_hook::low_level::pipe::register(SIGTERM, file).unwrap();
        let guard = init(true);
        log_all();
        signal_hook::low_level::raise(SIGTERM).unwrap();
        // Long enough for ko-log to have ended the process, had it chosen to: the test is
        // that nothing happens, so a window, not a condition, is what there is to wait for.
        std::thread::sleep(Duration::from_millis(500));
        log::info!("{RECORDS}");
        drop(guard);
        assert_eq!(
            std::fs::read(&marker).unwrap(),
            b"X",
            "the program's handler"
        );
        let lines = support::lines(log_path(&dir));
        support::check_exactly_once(&lines, RECORDS + 1, |l| l.parse().ok()).unwrap();
        return;
    }
    let (output, _dir) = run(BEFORE);
    assert!(
        output.status.success(),
        "child {}:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn a_handler_registered_after_init_runs_then_the_process_dies_by_sigterm() {
    if support::is_child(AFTER) {
        let _guard = init(true);
        let file = std::fs::File::create(child_dir().join("marker")).unwrap();
        signal_hook::low_level::pipe::register(SIGTERM, file).unwrap();
        log_all();
        raise_and_wait(SIGTERM);
    }
    let (output, dir) = run(AFTER);
    assert_killed_by(&output, SIGTERM);
    assert_eq!(std::fs::read(dir.path().join("marker")).unwrap(), b"X");
    assert_every_record_once(dir.path());
}

#[test]
fn a_stalled_handler_delays_the_end_by_at_most_drain_timeout() {
    if support::is_child(STALLED) {
        let pipe = support::StalledPipe::new();
        let _guard = support::config::init_stalled(pipe.path(), "flush_on_signals = true", "300ms");
        signal_hook::low_level::raise(SIGTERM).unwrap();
        die_within_10s("SIGTERM");
    }
    let start = Instant::now();
    let (output, _dir) = run(STALLED);
    let took = start.elapsed();
    let stderr = assert_killed_by(&output, SIGTERM);
    assert!(
        stderr.contains("[RUNTIME::Dispatcher::SHUTDOWN::ERROR]")
            && stderr.contains("did not finish within drain_timeout (300ms)"),
        "stderr was:\n{stderr}"
    );
    assert!(took < Duration::from_secs(8), "the child took {took:?}");
}

#[test]
fn a_second_sigterm_while_draining_ends_the_process_at_once() {
    if support::is_child(AGAIN) {
        let pipe = support::StalledPipe::new();
        let _guard = support::config::init_stalled(pipe.path(), "flush_on_signals = true", "60s");
        signal_hook::low_level::raise(SIGTERM).unwrap();
        // Once the drain has begun, records are counted as dropped (a probe that finds
        // the queue full waits until then).
        support::wait_until("the drain to begin", || {
            log::info!("probe");
            ko_log::stats().dropped > 0
        });
        signal_hook::low_level::raise(SIGTERM).unwrap();
        die_within_10s("the second SIGTERM");
    }
    let start = Instant::now();
    let (output, _dir) = run(AGAIN);
    let took = start.elapsed();
    let stderr = assert_killed_by(&output, SIGTERM);
    assert!(
        stderr.contains("[RUNTIME::Signals::SHUTDOWN::WARNING] SIGTERM again while draining"),
        "stderr was:\n{stderr}"
    );
    assert!(took < Duration::from_secs(8), "the child took {took:?}");
}

#[test]
fn kill_9_loses_what_is_queued_and_buffered_even_with_the_key() {
    if support::is_child(KILL) {
        let _guard = init(true);
        log_all();
        raise_and_wait(signal_hook::consts::signal::SIGKILL);
    }
    for capacity in ["8192", "1024"] {
        let (output, dir) = run_with(KILL, &[(CAPACITY_ENV, capacity)]);
        assert_killed_by(&output, signal_hook::consts::signal::SIGKILL);
        let lost = RECORDS - distinct_records(dir.path());
        println!(
            "figure: kill -9 right after {RECORDS} records, queue.capacity {capacity}: lost {lost}"
        );
    }
}

/// The issue's case: a `file` handler beside a `syslog` handler over TCP to a port
/// nobody listens on, queue `block`, the program logging every 200 µs from its main
/// thread. Another thread sends SIGTERM once `BEFORE` records are logged; the main thread
/// logs on (held, under `block`, once the syslog buffer is full), then drops its guard
/// and returns, as a program whose loop ends does. Whatever it does, the process must
/// die by SIGTERM, soon (the unreachable destination adds at most
/// `UNREACHABLE_GRACE`), with every record logged before the signal in the file, and
/// the records it logged after it either in the file or counted on stderr, with the
/// right reason.
#[test]
fn sigterm_with_a_destination_down_ends_by_the_signal_within_a_bound_and_keeps_the_file_whole() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    const BEFORE: usize = 300;
    const AFTER: usize = 4000;
    if support::is_child(DOWN) {
        let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = dead.local_addr().unwrap().port();
        drop(dead); // Bound, then closed: a connection is refused.
        let policy = std::env::var(POLICY_ENV).unwrap();
        let network = match policy.as_str() {
            "otlp" => format!(
                "type = \"otlp\"\nendpoint = \"http://127.0.0.1:{port}/v1/logs\"\nbatch_interval = \"20ms\""
            ),
            _ => format!(
                "type = \"syslog\"\ntransport = \"tcp\"\naddress = \"127.0.0.1:{port}\"\n\
                 backpressure = \"{policy}\"\nbuffer = {}",
                if policy == "block" { 500 } else { 10_000 }
            ),
        };
        let config = format!(
            r#"
            flush_on_signals = true
            [queue]
            backpressure = "block"
            [loggers.root]
            handlers = ["file", "network"]
            [handlers.file]
            type = "file"
            path = "{}"
            renderer = {{ type = "plain", format = "{{message}}" }}
            [handlers.network]
            {network}
            "#,
            log_path(&child_dir()).display()
        );
        let guard = ko_log::init_from_str(&config, Format::Toml).unwrap();
        static LOGGED: AtomicUsize = AtomicUsize::new(0);
        std::thread::spawn(|| {
            support::wait_until("records to log", || LOGGED.load(Ordering::SeqCst) >= BEFORE);
            let logged = LOGGED.load(Ordering::SeqCst);
            let at = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_micros();
            std::fs::write(child_dir().join("signalled"), format!("{logged} {at}")).unwrap();
            signal_hook::low_level::raise(SIGTERM).unwrap();
        });
        let (progress, next) = (
            child_dir().join("progress"),
            child_dir().join("progress.new"),
        );
        for i in 0..BEFORE + AFTER {
            log::info!("{i}");
            LOGGED.store(i + 1, Ordering::SeqCst);
            // How many calls have returned, for the parent; renamed into place, so a
            // death at any point leaves a whole number.
            std::fs::write(&next, (i + 1).to_string()).unwrap();
            std::fs::rename(&next, &progress).unwrap();
            // Pacing, part of the scenario: the signal arrives while records still come.
            std::thread::sleep(Duration::from_micros(200));
        }
        drop(guard);
        return; // The process must not end here, by returning: only by the signal.
    }
    for policy in ["drop_oldest", "block", "otlp"] {
        let (output, dir) = run_with(DOWN, &[(POLICY_ENV, policy)]);
        let ended = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_micros();
        let signalled = std::fs::read_to_string(dir.path().join("signalled")).unwrap();
        let (logged, at) = signalled.split_once(' ').unwrap();
        let (logged, at): (usize, u128) = (logged.parse().unwrap(), at.parse().unwrap());
        let took = Duration::from_micros((ended - at) as u64);
        let lines = support::lines(log_path(dir.path()));
        let numbers: Vec<usize> = lines.iter().filter_map(|l| l.parse().ok()).collect();
        println!(
            "figure: {policy} down, SIGTERM after {logged} records: ended ({}) {took:?} after it; {} records in the file",
            output.status,
            numbers.len()
        );
        let stderr = assert_killed_by(&output, SIGTERM);
        // Every record logged before the signal is in the healthy file, once, in order.
        assert_eq!(
            numbers.get(..logged),
            Some(&(0..logged).collect::<Vec<_>>()[..]),
            "{policy}: stderr:\n{stderr}"
        );
        assert!(
            !stderr.contains("Guard was dropped"),
            "{policy}: the guard was not dropped by the signal:\n{stderr}"
        );
        // Those logged after it, and not written, are counted on stderr with the reason.
        let after = numbers.len() - logged;
        let dropped = stderr
            .lines()
            .find_map(|l| {
                l.strip_prefix("ko-log: [RUNTIME::Signals::SHUTDOWN::WARNING] SIGTERM: ")
                    .filter(|rest| rest.contains(" not written: logged after the signal"))
                    .map(|rest| rest.split(' ').next().unwrap().parse::<usize>().unwrap())
            })
            .unwrap_or(0);
        println!("figure: {policy}: {after} written after the signal, {dropped} dropped and said");
        // Every call that returned is in the file or in the count said (the one the
        // process may have died right after is not yet in `progress`).
        let returned: usize = std::fs::read_to_string(dir.path().join("progress"))
            .unwrap()
            .parse()
            .unwrap();
        let accounted = numbers.len() + dropped;
        assert!(
            (returned..=returned + 1).contains(&accounted),
            "{policy}: {returned} calls returned, {} in the file + {dropped} said dropped:\n{stderr}",
            numbers.len()
        );
        if dropped > 0 {
            assert!(
                stderr.contains(
                    "logged after SIGTERM when ko-log closed its queue to end the process"
                ),
                "{policy}: the reason:\n{stderr}"
            );
        }
        // The destination that cannot be reached adds at most UNREACHABLE_GRACE (500 ms)
        // to a drain that takes milliseconds; 2 s leaves room for a loaded machine.
        assert!(
            took < Duration::from_secs(2),
            "{policy}: took {took:?}:\n{stderr}"
        );
    }
}

/// How many of the numbers `0..RECORDS` are in the log (a death may tear the last line).
fn distinct_records(dir: &Path) -> usize {
    let mut seen = vec![false; RECORDS];
    for line in support::lines(log_path(dir)) {
        if let Some(slot) = line.parse::<usize>().ok().and_then(|n| seen.get_mut(n)) {
            *slot = true;
        }
    }
    seen.iter().filter(|&&s| s).count()
}

/// The child's directory, from the parent.
fn child_dir() -> PathBuf {
    PathBuf::from(std::env::var_os(DIR_ENV).expect("run as a child"))
}

fn log_path(dir: &Path) -> PathBuf {
    dir.join("app.log")
}

/// Installs ko-log writing `{message}` lines to `app.log` in the child's directory, with a
/// queue capacity of 8192 (the default until 2026-12-08) unless the parent set one.
fn init(flush_on_signals: bool) -> ko_log::Guard {
    let capacity = std::env::var(CAPACITY_ENV).unwrap_or_else(|_| "8192".to_owned());
    let top = format!("flush_on_signals = {flush_on_signals}\n[queue]\ncapacity = {capacity}\n");
    let file = support::config::one_file(&top, "file", &log_path(&child_dir()), "{message}", "");
    support::config::init(&file)
}

fn log_all() {
    for i in 0..RECORDS {
        log::info!("{i}");
    }
}

/// Sends `signal` to this process right after the last log call, then waits to be ended.
fn raise_and_wait(signal: i32) -> ! {
    signal_hook::low_level::raise(signal).unwrap();
    wait_for_the_end()
}

/// Waits for the signal just raised to end the process; fails if it is still alive 10 s
/// after (the sleep is that deadline: the process's end is the condition, and it never
/// returns from the sleep when the test passes).
fn die_within_10s(signal: &str) -> ! {
    std::thread::sleep(Duration::from_secs(10));
    panic!("still alive 10 s after {signal}");
}

/// Sleeps until ko-log ends the process; exits with 3 if it does not within 60 s (the
/// sleep is that deadline: the process's end is the condition).
fn wait_for_the_end() -> ! {
    std::thread::sleep(Duration::from_secs(60));
    std::process::exit(3)
}

/// Whether this process catches `signal` (its bit in `/proc/self/status`'s `SigCgt`).
fn caught(signal: i32) -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let mask = status
        .lines()
        .find_map(|l| l.strip_prefix("SigCgt:"))
        .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
        .unwrap();
    mask & (1 << (signal - 1)) != 0
}

/// Runs `test` as a child in a fresh directory, with SIGTERM and SIGINT at their default
/// dispositions (a shell leaves SIGINT ignored for a background job, and that is
/// inherited).
fn run(test: &str) -> (Output, tempfile::TempDir) {
    run_with(test, &[])
}

/// [`run`] with extra environment variables.
fn run_with(test: &str, env: &[(&str, &str)]) -> (Output, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let output = support::child_command(test, &["env", "--default-signal=INT,TERM"])
        .env(DIR_ENV, dir.path())
        .envs(env.iter().copied())
        .output()
        .unwrap_or_else(|e| panic!("cannot run the child test {test}: {e}"));
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        if let Some(at) = line.find("figure:") {
            println!("{}", &line[at..]);
        }
    }
    (output, dir)
}

/// Asserts the child was killed by `signal`; returns its stderr.
#[track_caller]
fn assert_killed_by(output: &Output, signal: i32) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(
        output.status.signal(),
        Some(signal),
        "child {}:\n--- stdout\n{}\n--- stderr\n{stderr}",
        output.status,
        String::from_utf8_lossy(&output.stdout)
    );
    stderr
}

#[track_caller]
fn assert_every_record_once(dir: &Path) {
    let lines = support::lines(log_path(dir));
    if let Err(problem) = support::check_exactly_once(&lines, RECORDS, |l| l.parse().ok()) {
        panic!("{problem} ({} lines)", lines.len());
    }
}
