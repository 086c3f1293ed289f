//! `log_panics`: a panic becomes an ERROR record on target `panic` (thread, location,
//! payload, and the backtrace when `RUST_BACKTRACE` asks), written and flushed before the
//! previous hook runs; a dispatcher panic goes to stderr; panics ko-log catches itself stay
//! quiet.
//!
//! `harness = false`: every scenario is this binary re-run as a child (`SCENARIO_ENV`
//! names it), so that it panics on the real `main` thread, or aborts, as a program does.
//! The parent reads the child's log file and stderr. `cargo test --test log_panics [NAME]`.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::Instant;

use ko_log::config::Format;
use serde_json::{json, Value};

const SCENARIO_ENV: &str = "KO_LOG_PANIC_SCENARIO";
const DIR_ENV: &str = "KO_LOG_PANIC_DIR";

/// What the previous hook (installed before init) says, so the parent can check that the
/// record was in the file before it ran.
const PREVIOUS: &str = "previous hook: panic records in the file:";

/// What the stalled scenario's previous hook says: the milliseconds since the panic.
const WAITED: &str = "previous hook: ms since the panic:";

type Test = (&'static str, fn());

const TESTS: &[Test] = &[
    (
        "a_panic_on_main_is_in_the_file_before_the_previous_hook_runs",
        main_thread,
    ),
    (
        "a_named_thread_with_a_string_payload_and_log_panics_in_code",
        named_thread,
    ),
    ("rust_backtrace_adds_the_backtrace_field", backtrace),
    ("a_payload_that_is_not_text_reads_box_dyn_any", any_payload),
    ("an_abort_in_the_previous_hook_keeps_the_record", abort),
    (
        "a_binary_built_with_panic_abort_keeps_the_record",
        panic_abort_binary,
    ),
    ("without_the_key_nothing_is_logged", off_by_default),
    (
        "panics_ko_log_catches_in_a_handler_stay_quiet",
        caught_quietly,
    ),
    ("a_panic_on_the_dispatcher_goes_to_stderr", dispatcher),
    (
        "a_stalled_handler_delays_the_previous_hook_by_drain_timeout_then_gives_up",
        stalled,
    ),
];

fn main() {
    if let Ok(scenario) = std::env::var(SCENARIO_ENV) {
        return run_scenario(&scenario);
    }
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let chosen: Vec<&Test> = TESTS
        .iter()
        .filter(|(name, _)| filter.as_ref().is_none_or(|f| name.contains(f.as_str())))
        .collect();
    println!("\nrunning {} tests", chosen.len());
    for (name, test) in &chosen {
        test();
        println!("test {name} ... ok");
    }
    println!("\ntest result: ok. {} passed", chosen.len());
}

// ---- the parent side ----

/// Runs `scenario` as a child with `env` (and `RUST_BACKTRACE=0` unless `env` sets it),
/// in a fresh directory; returns its output, its stderr and the directory.
fn child(scenario: &str, env: &[(&str, &str)]) -> (Output, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(std::env::current_exe().unwrap())
        .env(SCENARIO_ENV, scenario)
        .env(DIR_ENV, dir.path())
        .env("RUST_BACKTRACE", "0")
        .env_remove("RUST_LIB_BACKTRACE")
        .env_remove("KO_LOG")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output, stderr, dir)
}

/// The JSON records of the child's log, without their timestamps.
fn records(dir: &tempfile::TempDir) -> Vec<Value> {
    let dir = dir.path();
    support::lines(dir.join("log.json"))
        .iter()
        .map(|line| {
            let mut record: Value = serde_json::from_str(line).expect("a JSON line");
            record
                .as_object_mut()
                .and_then(|o| o.remove("timestamp"))
                .expect("a timestamp");
            record
        })
        .collect()
}

/// Where std's own hook says `thread` panicked (`thread 'main' panicked at FILE:L:C:`,
/// or `thread 'main' (ID) panicked at …` in newer versions).
fn std_location(stderr: &str, thread: &str) -> String {
    let line = stderr
        .lines()
        .find_map(|line| {
            let rest = line.strip_prefix(&format!("thread '{thread}' "))?;
            let rest = match rest.strip_prefix('(') {
                Some(id) => id.split_once(") ")?.1,
                None => rest,
            };
            rest.strip_prefix("panicked at ")
        })
        .unwrap_or_else(|| panic!("std's panic message is missing:\n{stderr}"));
    let location = line.strip_suffix(':').unwrap_or(line).to_owned();
    assert!(location.starts_with("tests/log_panics.rs:"), "{location}");
    location
}

#[track_caller]
fn assert_exit_code(output: &Output, code: i32, stderr: &str) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "{}\n{stderr}",
        output.status
    );
}

fn main_thread() {
    let (output, stderr, dir) = child("main_thread", &[]);
    assert_exit_code(&output, 101, &stderr);
    let location = std_location(&stderr, "main");
    assert_eq!(
        records(&dir),
        [json!({
            "level": "ERROR",
            "target": "panic",
            "message": "boom",
            "thread": "main",
            "location": location,
        })]
    );
    // The previous hook ran after the record was written and flushed, and it still ran.
    assert!(stderr.contains(&format!("{PREVIOUS} 1\n")), "{stderr}");
    let previous = stderr.find(PREVIOUS).unwrap();
    let std_message = stderr.find("thread 'main' ").unwrap();
    assert!(previous < std_message, "{stderr}");
}

fn named_thread() {
    let (output, stderr, dir) = child("named_thread", &[]);
    assert_exit_code(&output, 0, &stderr);
    let location = std_location(&stderr, "worker-7");
    assert_eq!(
        records(&dir),
        [
            json!({
                "level": "ERROR",
                "target": "panic",
                "message": "job 7 failed",
                "thread": "worker-7",
                "location": location,
            }),
            json!({"level": "INFO", "target": "log_panics", "message": "after the join"}),
        ]
    );
}

fn backtrace() {
    let (output, stderr, dir) = child("backtrace", &[("RUST_BACKTRACE", "1")]);
    assert_exit_code(&output, 101, &stderr);
    let mut records = records(&dir);
    assert_eq!(records.len(), 1, "{records:?}");
    let backtrace = records[0]
        .as_object_mut()
        .and_then(|o| o.remove("backtrace"))
        .expect("a backtrace field");
    let backtrace = backtrace.as_str().expect("a string");
    // std's short style: from the panicking function on, without the hook's frames.
    assert!(
        backtrace.starts_with("   0: log_panics::scenario_backtrace\n"),
        "the panicking function is the first frame:\n{backtrace}"
    );
    assert!(!backtrace.contains("ko_log::panic"), "{backtrace}");
    assert_eq!(
        records[0],
        json!({
            "level": "ERROR",
            "target": "panic",
            "message": "with a backtrace",
            "thread": "main",
            "location": std_location(&stderr, "main"),
        })
    );
}

fn any_payload() {
    let (output, stderr, dir) = child("any_payload", &[]);
    assert_exit_code(&output, 101, &stderr);
    let records = records(&dir);
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["message"], "Box<dyn Any>");
    assert_eq!(records[0]["location"], std_location(&stderr, "main"));
}

fn abort() {
    let (output, stderr, dir) = child("abort", &[]);
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(output.status.signal(), Some(6), "SIGABRT: {stderr}");
    }
    #[cfg(not(unix))]
    assert!(!output.status.success());
    assert!(stderr.contains(&format!("{PREVIOUS} 1\n")), "{stderr}");
    // The guard was never dropped: the hook's own flush put the record in the file.
    assert_eq!(
        records(&dir),
        [
            json!({"level": "INFO", "target": "log_panics", "message": "before"}),
            json!({
                "level": "ERROR",
                "target": "panic",
                "message": "abort after this",
                "thread": "main",
                "location": std_location(&stderr, "main"),
            }),
        ]
    );
}

/// Builds `examples/log_panics.rs` with `-C panic=abort` (only the example: the
/// libraries it links were built for unwinding, which an abort binary may use), runs it,
/// and reads its file.
fn panic_abort_binary() {
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
    let build = Command::new(env!("CARGO"))
        .args(["rustc", "--offline", "--quiet", "--example", "log_panics"])
        .args(["--message-format=json", "--manifest-path", manifest])
        .args(["--", "-C", "panic=abort"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&build.stdout);
    assert!(
        build.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&build.stderr)
    );
    let executable = stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "log_panics")
        .and_then(|m| m["executable"].as_str().map(PathBuf::from))
        .expect("the example's executable");
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(executable)
        .arg(dir.path())
        .env("RUST_BACKTRACE", "0")
        .env_remove("KO_LOG")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(output.status.signal(), Some(6), "SIGABRT: {stderr}");
    }
    let location = stderr
        .lines()
        .find_map(|l| {
            Some(
                l.split_once(" panicked at ")?
                    .1
                    .strip_suffix(':')?
                    .to_owned(),
            )
        })
        .unwrap_or_else(|| panic!("std's message:\n{stderr}"));
    assert!(
        location.starts_with("examples/log_panics.rs:"),
        "{location}"
    );
    let records: Vec<Value> = support::lines(dir.path().join("panic.log"))
        .iter()
        .map(|line| {
            let mut record: Value = serde_json::from_str(line).unwrap();
            record.as_object_mut().and_then(|o| o.remove("timestamp"));
            record
        })
        .collect();
    assert_eq!(
        records,
        [
            json!({"level": "INFO", "target": "log_panics", "message": "about to panic"}),
            json!({
                "level": "ERROR",
                "target": "panic",
                "message": "panic = abort",
                "thread": "main",
                "location": location,
            }),
        ]
    );
}

fn off_by_default() {
    let (output, stderr, dir) = child("off_by_default", &[]);
    assert_exit_code(&output, 101, &stderr);
    std_location(&stderr, "main");
    assert!(stderr.contains(&format!("{PREVIOUS} 0\n")), "{stderr}");
    assert_eq!(
        records(&dir),
        [json!({"level": "INFO", "target": "log_panics", "message": "before"})]
    );
}

fn caught_quietly() {
    let (output, stderr, dir) = child("caught_quietly", &[]);
    assert_exit_code(&output, 0, &stderr);
    assert!(
        !stderr.contains("panicked at"),
        "std's hook stayed quiet:\n{stderr}"
    );
    assert!(
        stderr.contains("handler `bad`: panicked in `write`: explode"),
        "ko-log reported it:\n{stderr}"
    );
    assert_eq!(
        records(&dir),
        [json!({"level": "INFO", "target": "log_panics", "message": "to both handlers"})]
    );
}

fn dispatcher() {
    let (output, stderr, dir) = child("dispatcher", &[]);
    assert_exit_code(&output, 0, &stderr);
    let location = std_location(&stderr, "ko-log");
    let line =
        format!("ko-log: [RUNTIME::Dispatcher::PANIC::ERROR] thread 'ko-log' panicked at {location}: dropped\n");
    assert!(stderr.contains(&line), "{line}\n{stderr}");
    // Said before the previous (std's) hook's message.
    let std_message = stderr.rfind("thread 'ko-log' ").unwrap();
    assert!(stderr.find(&line).unwrap() < std_message, "{stderr}");
    assert_eq!(
        records(&dir),
        [json!({"level": "INFO", "target": "log_panics", "message": "before"})]
    );
}

fn stalled() {
    let (output, stderr, _dir) = child("stalled", &[]);
    assert_exit_code(&output, 101, &stderr);
    std_location(&stderr, "main");
    // The hook gave up on the stuck dispatcher at `drain_timeout` (300 ms), and the
    // previous hook still ran (the file, written by that dispatcher, had no panic record).
    assert!(stderr.contains(&format!("{PREVIOUS} 0\n")), "{stderr}");
    let waited: u64 = stderr
        .lines()
        .find_map(|l| l.strip_prefix(WAITED))
        .and_then(|ms| ms.trim().parse().ok())
        .unwrap_or_else(|| panic!("no `{WAITED}` line:\n{stderr}"));
    println!("figure: with a stalled handler the previous hook ran {waited} ms after the panic (drain_timeout 300 ms)");
    assert!((300..10_000).contains(&waited), "{waited} ms");
}

// ---- the child side ----

fn run_scenario(name: &str) {
    match name {
        "main_thread" => scenario_main_thread(),
        "named_thread" => scenario_named_thread(),
        "backtrace" => scenario_backtrace(),
        "any_payload" => scenario_any_payload(),
        "abort" => scenario_abort(),
        "off_by_default" => scenario_off_by_default(),
        "caught_quietly" => scenario_caught_quietly(),
        "dispatcher" => scenario_dispatcher(),
        "stalled" => scenario_stalled(),
        other => panic!("no scenario {other}"),
    }
}

fn dir() -> PathBuf {
    PathBuf::from(std::env::var_os(DIR_ENV).expect("the child's directory"))
}

/// A config with one JSON file handler, `log.json`, for every target at `info`, plus
/// `extra` at the top (`log_panics = true`, say) and `handlers` (more handler tables).
fn config(extra: &str, more_handlers: &str) -> String {
    format!(
        "{extra}\n[loggers.root]\nlevel = \"info\"\nhandlers = [\"file\"{more_handlers}]\n\n[handlers.file]\ntype = \"file\"\npath = \"{}\"\nrenderer = {{ type = \"json\" }}\n",
        dir().join("log.json").display()
    )
}

/// Installs, before ko-log, a hook that says how many panic records the file holds when
/// it runs, then hands over to std's default hook; `then` runs after both.
fn previous_hook(then: fn()) {
    let default = std::panic::take_hook();
    let file = dir().join("log.json");
    std::panic::set_hook(Box::new(move |info| {
        let count = support::lines(&file)
            .iter()
            .filter(|l| l.contains(r#""target":"panic""#))
            .count();
        eprintln!("{PREVIOUS} {count}");
        default(info);
        then();
    }));
}

fn scenario_main_thread() {
    previous_hook(|| {});
    let _guard = ko_log::init_from_str(&config("log_panics = true", ""), Format::Toml).unwrap();
    panic!("boom");
}

fn scenario_named_thread() {
    let guard = ko_log::init_from_str(&config("", ""), Format::Toml).unwrap();
    ko_log::log_panics();
    let joined = std::thread::Builder::new()
        .name("worker-7".to_owned())
        .spawn(|| panic!("job {} failed", 7))
        .unwrap()
        .join();
    assert!(joined.is_err());
    log::info!("after the join");
    drop(guard);
}

fn scenario_backtrace() {
    let _guard = ko_log::init_from_str(&config("log_panics = true", ""), Format::Toml).unwrap();
    panic!("with a backtrace");
}

fn scenario_any_payload() {
    let _guard = ko_log::init_from_str(&config("log_panics = true", ""), Format::Toml).unwrap();
    std::panic::panic_any(42_u32);
}

fn scenario_abort() {
    // What `panic = "abort"` does after the hook.
    previous_hook(|| std::process::abort());
    let guard = ko_log::init_from_str(&config("log_panics = true", ""), Format::Toml).unwrap();
    log::info!("before");
    std::mem::forget(guard);
    panic!("abort after this");
}

fn scenario_off_by_default() {
    previous_hook(|| {});
    let _guard = ko_log::init_from_str(&config("", ""), Format::Toml).unwrap();
    log::info!("before");
    panic!("not logged");
}

/// A handler whose `write` panics, or (with `in_drop`) whose `Drop` does.
#[derive(Debug)]
struct Panicky {
    in_drop: bool,
}

impl ko_log::Handler for Panicky {
    fn write(&mut self, _line: &[u8], _event: &ko_log::Event) -> Result<(), ko_log::Error> {
        if !self.in_drop {
            panic!("explode");
        }
        Ok(())
    }
    fn flush(&mut self) -> Result<(), ko_log::Error> {
        Ok(())
    }
}

impl Drop for Panicky {
    fn drop(&mut self) {
        if self.in_drop {
            panic!("dropped");
        }
    }
}

fn scenario_caught_quietly() {
    let config =
        ko_log::config::Config::from_str(&config("log_panics = true", ""), Format::Toml).unwrap();
    let guard = ko_log::Builder::new(config)
        .handler("bad", Panicky { in_drop: false })
        .route("root", ["bad"])
        .install()
        .unwrap();
    log::info!("to both handlers");
    log::logger().flush();
    assert_eq!(ko_log::stats().handler("bad").map(|h| h.errors), Some(1));
    drop(guard);
}

fn scenario_dispatcher() {
    let config =
        ko_log::config::Config::from_str(&config("log_panics = true", ""), Format::Toml).unwrap();
    let guard = ko_log::Builder::new(config)
        .handler("bad", Panicky { in_drop: true })
        .route("root", ["bad"])
        .install()
        .unwrap();
    log::info!("before");
    // The dispatcher drops its handlers as it ends: `Panicky` panics there.
    drop(guard);
}

/// When the stalled scenario panicked.
static PANICKED: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();

fn scenario_stalled() {
    previous_hook(|| {
        let waited = PANICKED.get().map(Instant::elapsed).unwrap_or_default();
        eprintln!("{WAITED} {}", waited.as_millis());
    });
    let fifo = dir().join("stalled.pipe");
    let _pipe = support::StalledPipe::at(&fifo);
    let stalled = support::config::handler("stalled", "file", &fifo, "create_dirs = false");
    let text = format!(
        "{}{stalled}",
        config(
            "log_panics = true\n[queue]\ndrain_timeout = \"300ms\"",
            ", \"stalled\""
        )
    );
    let _guard = ko_log::init_from_str(&text, Format::Toml).unwrap();
    // Fill the pipe (64 KiB) and the handler's buffer, so the dispatcher is stuck.
    let padding = "x".repeat(1000);
    for i in 0..1000 {
        log::info!("filler {i} {padding}");
    }
    let _ = PANICKED.set(Instant::now());
    panic!("stalled");
}
