//! The tracing bridge (feature `tracing`; `cargo test --features tracing --test
//! tracing_bridge`): real `#[tracing::instrument]`ed functions, sync and async on tokio,
//! through `tracing_subscriber::registry().with(ko_log::tracing::layer())`, written by a
//! JSON file handler and checked line by line: message, level, target, typed fields, span
//! fields as context and who wins on a duplicate key, an error with its source chain,
//! ko-log's logger levels as the filter (with the exact counts), and `log` records and
//! tracing events in one file, in order.
//!
//! Each test owns its process (one `log` logger and one global tracing dispatcher per
//! process): it re-runs itself as a child.

use std::error::Error;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use ko_log::config::Format;
use support::config::{file, plain};
use tracing_subscriber::layer::SubscriberExt as _;

/// Re-runs the calling test as a child process and returns, unless this is that child.
macro_rules! own_process {
    ($name:literal) => {
        if !support::is_child($name) {
            support::run_child_ok($name, &[]);
            return;
        }
    };
}

/// The JSON log and the plain log (thread, module, file and line) of a test.
struct Logs {
    json: PathBuf,
    plain: PathBuf,
}

/// A config with `root` at info writing both logs, and `noisy` (and below) at error.
/// The plain handler's format.
const FORMAT: &str = "{thread} {module} {file}:{line} {level} {message}";

fn config(dir: &Path) -> (String, Logs) {
    let logs = Logs {
        json: dir.join("app.jsonl"),
        plain: dir.join("app.log"),
    };
    let text = format!(
        r#"
        [loggers.root]
        level = "info"
        handlers = ["json", "plain"]

        [loggers.noisy]
        level = "error"

        {}{}"#,
        file(
            "json",
            &logs.json,
            "renderer = { type = \"json\", timezone = \"utc\" }"
        ),
        file("plain", &logs.plain, &plain(FORMAT))
    );
    (text, logs)
}

/// Installs ko-log with [`config`], then the registry with ko-log's layer as the global
/// tracing dispatcher.
fn install(dir: &Path) -> (ko_log::Guard, Logs) {
    let (text, logs) = config(dir);
    let guard = ko_log::init_from_str(&text, Format::Toml).unwrap();
    tracing::subscriber::set_global_default(
        tracing_subscriber::registry().with(ko_log::tracing::layer()),
    )
    .unwrap();
    (guard, logs)
}

/// The lines of the JSON log after a flush, each without its `timestamp` (checked to be
/// UTC first).
fn json_lines(path: &Path) -> Vec<String> {
    log::logger().flush();
    support::lines(path)
        .iter()
        .map(|line| {
            let rest = line
                .strip_prefix("{\"timestamp\":\"")
                .unwrap_or_else(|| panic!("no timestamp first: {line}"));
            let (timestamp, rest) = rest.split_once("\",").unwrap();
            assert!(timestamp.ends_with('Z'), "{timestamp}");
            format!("{{{rest}")
        })
        .collect()
}

#[derive(Debug)]
struct Refused;

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection refused")
    }
}

impl Error for Refused {}

#[derive(Debug)]
struct ConnectFailed(Refused);

impl fmt::Display for ConnectFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connect failed")
    }
}

impl Error for ConnectFailed {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&self.0)
    }
}

/// Shown with `%`: its `Display`.
struct Shown;

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("shown")
    }
}

/// The line of the next statement.
macro_rules! next_line {
    () => {
        line!() + 1
    };
}

#[tracing::instrument(skip(lines), fields(request_id = "r-42", step = "outer", status = tracing::field::Empty))]
fn handle(user: &str, attempt: u32, lines: &mut Vec<u32>) {
    lines.push(next_line!());
    tracing::info!(
        count = 7u64,
        delta = -3i64,
        ratio = 0.5,
        ok = true,
        big = u128::MAX,
        small = 5i128,
        name = "ada",
        tags = ?["a", "b"],
        shown = %Shown,
        "handling {user}"
    );
    lookup(lines);
    tracing::Span::current().record("status", 200u64);
    lines.push(next_line!());
    tracing::warn!(user = "the event's own", "recorded status");
}

#[tracing::instrument(skip(lines), fields(step = "inner"))]
fn lookup(lines: &mut Vec<u32>) {
    let err = ConnectFailed(Refused);
    lines.push(next_line!());
    tracing::error!(error = &err as &(dyn Error + 'static), "lookup failed");
    log::info!("a log record inside the span");
}

#[test]
fn instrumented_sync_function() {
    own_process!("instrumented_sync_function");
    let dir = tempfile::tempdir().unwrap();
    let (_guard, logs) = install(dir.path());
    let mut lines = Vec::new();
    let thread = std::thread::Builder::new()
        .name("worker-7".to_owned())
        .spawn(move || {
            log::info!(n = 1; "before, through log");
            {
                let _ctx = ko_log::context!(request_id = "ko-log's context", tenant = "t1");
                handle("ana", 1, &mut lines);
            }
            log::info!("after, through log");
            // Written while this thread is alive: an exited thread's name may be gone
            // by the time the dispatcher reads it (it is then written as `#N`).
            log::logger().flush();
            lines
        })
        .unwrap();
    let lines = thread.join().unwrap();
    let stats = ko_log::stats();

    assert_eq!(
        json_lines(&logs.json),
        [
            r#"{"level":"INFO","target":"tracing_bridge","message":"before, through log","n":1}"#,
            concat!(
                r#"{"level":"INFO","target":"tracing_bridge","message":"handling ana","#,
                r#""count":7,"delta":-3,"ratio":0.5,"ok":true,"big":"340282366920938463463374607431768211455","small":5,"#,
                r#""name":"ada","tags":"[\"a\", \"b\"]","shown":"shown","#,
                r#""user":"ana","attempt":1,"request_id":"r-42","step":"outer","spans":"handle","tenant":"t1"}"#,
            ),
            concat!(
                r#"{"level":"ERROR","target":"tracing_bridge","message":"lookup failed","#,
                r#""error":{"message":"connect failed","sources":["connection refused"]},"#,
                r#""step":"inner","user":"ana","attempt":1,"request_id":"r-42","spans":"handle:lookup","tenant":"t1"}"#,
            ),
            r#"{"level":"INFO","target":"tracing_bridge","message":"a log record inside the span","request_id":"ko-log's context","tenant":"t1"}"#,
            concat!(
                r#"{"level":"WARN","target":"tracing_bridge","message":"recorded status","#,
                r#""user":"the event's own","attempt":1,"request_id":"r-42","step":"outer","status":200,"spans":"handle","tenant":"t1"}"#,
            ),
            r#"{"level":"INFO","target":"tracing_bridge","message":"after, through log"}"#,
        ]
    );
    let file = "tests/tracing_bridge.rs";
    let plain = support::lines(&logs.plain);
    let tracing_lines: Vec<String> = plain
        .into_iter()
        .filter(|l| !l.contains("through log") && !l.contains("log record"))
        .collect();
    assert_eq!(
        tracing_lines,
        [
            format!(
                "worker-7 tracing_bridge {file}:{} INFO handling ana",
                lines[0]
            ),
            format!(
                "worker-7 tracing_bridge {file}:{} ERROR lookup failed",
                lines[1]
            ),
            format!(
                "worker-7 tracing_bridge {file}:{} WARN recorded status",
                lines[2]
            ),
        ]
    );
    assert_eq!((stats.enqueued, stats.dropped), (6, 0), "{stats:?}");
}

#[tracing::instrument(fields(job = "sync-users"))]
async fn run_job(batch: u64) {
    tracing::info!("started");
    tokio::task::yield_now().await;
    step(batch * 2).await;
    tracing::info!(done = true, "finished");
}

#[tracing::instrument]
async fn step(size: u64) {
    tokio::task::yield_now().await;
    tracing::debug!("below root's level: not written");
    tracing::info!(left = 0u64, "step done");
}

#[test]
fn instrumented_async_function_on_tokio() {
    own_process!("instrumented_async_function_on_tokio");
    let dir = tempfile::tempdir().unwrap();
    let (_guard, logs) = install(dir.path());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("tokio-worker")
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let jobs = [tokio::spawn(run_job(3)), tokio::spawn(run_job(4))];
        for job in jobs {
            job.await.unwrap();
        }
    });
    let lines = json_lines(&logs.json);
    // The two jobs run concurrently: their lines interleave, each job's in order.
    let of_batch = |batch: &str| -> Vec<String> {
        lines
            .iter()
            .filter(|l| l.contains(&format!("\"batch\":{batch},")))
            .cloned()
            .collect()
    };
    let expected = |batch: u64| {
        [
            format!(
                r#"{{"level":"INFO","target":"tracing_bridge","message":"started","batch":{batch},"job":"sync-users","spans":"run_job"}}"#
            ),
            format!(
                r#"{{"level":"INFO","target":"tracing_bridge","message":"step done","left":0,"size":{},"batch":{batch},"job":"sync-users","spans":"run_job:step"}}"#,
                batch * 2
            ),
            format!(
                r#"{{"level":"INFO","target":"tracing_bridge","message":"finished","done":true,"batch":{batch},"job":"sync-users","spans":"run_job"}}"#
            ),
        ]
    };
    assert_eq!(of_batch("3"), expected(3));
    assert_eq!(of_batch("4"), expected(4));
    assert_eq!(lines.len(), 6, "{lines:#?}");
    let plain = support::lines(&logs.plain);
    assert_eq!(plain.len(), 6);
    for line in plain {
        assert!(
            line.starts_with("tokio-worker tracing_bridge tests/tracing_bridge.rs:"),
            "{line}"
        );
    }
    let stats = ko_log::stats();
    assert_eq!(
        (stats.enqueued, stats.written, stats.dropped),
        (6, 6, 0),
        "{stats:?}"
    );
}

#[test]
fn the_loggers_levels_filter_and_refused_events_count_nothing() {
    own_process!("the_loggers_levels_filter_and_refused_events_count_nothing");
    let dir = tempfile::tempdir().unwrap();
    let (guard, logs) = install(dir.path());
    assert_eq!(
        tracing::level_filters::LevelFilter::current(),
        tracing::level_filters::LevelFilter::INFO,
        "the hint is the loosest logger's level"
    );
    assert!(!tracing::enabled!(target: "noisy", tracing::Level::WARN));
    assert!(tracing::enabled!(target: "noisy", tracing::Level::ERROR));
    assert!(!tracing::enabled!(target: "noisyx", tracing::Level::DEBUG));
    assert!(tracing::enabled!(target: "noisyx", tracing::Level::INFO));
    for i in 0..100 {
        tracing::info!(target: "noisy", i, "refused");
        tracing::warn!(target: "noisy::deep", i, "refused too");
        tracing::debug!(i, "below root's level");
        let hidden = tracing::debug_span!("hidden", secret = i);
        let _entered = hidden.enter();
        tracing::info!(target: "noisyx", i, "in a refused span");
    }
    tracing::error!(target: "noisy::deep", "accepted");
    assert_eq!(
        json_lines(&logs.json)[..2],
        [
            r#"{"level":"INFO","target":"noisyx","message":"in a refused span","i":0}"#,
            r#"{"level":"INFO","target":"noisyx","message":"in a refused span","i":1}"#,
        ]
    );
    let lines = json_lines(&logs.json);
    assert_eq!(lines.len(), 101);
    assert_eq!(
        lines[100],
        r#"{"level":"ERROR","target":"noisy::deep","message":"accepted"}"#
    );
    let stats = ko_log::stats();
    assert_eq!(
        (stats.enqueued, stats.written, stats.dropped),
        (101, 101, 0),
        "{stats:?}"
    );
    assert_eq!(stats.handler("json").unwrap().written, 101);

    drop(guard);
    tracing::info!("after shutdown: counted as dropped");
    let stats = ko_log::stats();
    assert_eq!((stats.enqueued, stats.dropped), (101, 1), "{stats:?}");
    assert_eq!(support::lines(&logs.json).len(), 101);
}

/// Counts the events a layer beside ko-log's receives.
struct Counter(Arc<AtomicU64>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Counter {
    fn on_event(&self, _: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

#[test]
fn before_init_the_layer_does_nothing_and_other_layers_keep_their_events() {
    own_process!("before_init_the_layer_does_nothing_and_other_layers_keep_their_events");
    let seen = Arc::new(AtomicU64::new(0));
    tracing::subscriber::set_global_default(
        tracing_subscriber::registry()
            .with(ko_log::tracing::layer())
            .with(Counter(Arc::clone(&seen))),
    )
    .unwrap();
    let emit = |round: u32| {
        let span = tracing::info_span!("request", round);
        let _entered = span.enter();
        tracing::info!(round, "accepted");
        tracing::info!(target: "noisy", round, "refused by ko-log, seen by the counter");
        tracing::trace!(round, "refused by ko-log, seen by the counter");
    };
    emit(0);
    assert_eq!(ko_log::stats(), ko_log::Stats::default());
    assert_eq!(seen.load(Ordering::Relaxed), 3);

    // Callsites registered before init are asked again against the installed loggers.
    let dir = tempfile::tempdir().unwrap();
    let (text, logs) = config(dir.path());
    let _guard = ko_log::init_from_str(&text, Format::Toml).unwrap();
    emit(1);
    assert_eq!(
        json_lines(&logs.json),
        [
            r#"{"level":"INFO","target":"tracing_bridge","message":"accepted","round":1,"spans":"request"}"#
        ]
    );
    assert_eq!(ko_log::stats().enqueued, 1);
    assert_eq!(seen.load(Ordering::Relaxed), 6);
}

#[test]
fn a_subscriber_set_before_init_takes_the_loggers_levels_at_init() {
    own_process!("a_subscriber_set_before_init_takes_the_loggers_levels_at_init");
    tracing::subscriber::set_global_default(
        tracing_subscriber::registry().with(ko_log::tracing::layer()),
    )
    .unwrap();
    let emit = || {
        tracing::debug!("refused by root's level");
        tracing::info!("accepted once ko-log is installed");
    };
    // One callsite, asked before and after init.
    let noisy_warn_enabled = || tracing::enabled!(target: "noisy", tracing::Level::WARN);
    emit();
    // Nothing installed: no level hint, and every callsite is asked at each use
    // (tracing-subscriber's registry then says yes, and the layer is skipped).
    assert_eq!(
        tracing::level_filters::LevelFilter::current(),
        tracing::level_filters::LevelFilter::TRACE
    );
    assert!(noisy_warn_enabled());

    let dir = tempfile::tempdir().unwrap();
    let (text, logs) = config(dir.path());
    let _guard = ko_log::init_from_str(&text, Format::Toml).unwrap();
    // Init rebuilt tracing's interest cache: the hint is now root's level, and the
    // callsite refused by `noisy`'s level is disabled for good.
    assert_eq!(
        tracing::level_filters::LevelFilter::current(),
        tracing::level_filters::LevelFilter::INFO
    );
    assert!(!noisy_warn_enabled());
    emit();
    assert_eq!(
        json_lines(&logs.json),
        [
            r#"{"level":"INFO","target":"tracing_bridge","message":"accepted once ko-log is installed"}"#
        ]
    );
}

#[test]
fn an_unfiltered_layer_still_follows_the_loggers() {
    own_process!("an_unfiltered_layer_still_follows_the_loggers");
    let dir = tempfile::tempdir().unwrap();
    let (text, logs) = config(dir.path());
    let _guard = ko_log::init_from_str(&text, Format::Toml).unwrap();
    tracing::subscriber::set_global_default(
        tracing_subscriber::registry().with(ko_log::tracing::KoLogLayer::new()),
    )
    .unwrap();
    // Without `LoggerLevels` the subscriber enables everything; ko-log still refuses.
    assert!(tracing::enabled!(target: "noisy", tracing::Level::TRACE));
    let outer = tracing::info_span!("outer", kept = 1);
    let _outer = outer.enter();
    let refused = tracing::debug_span!("refused", secret = 2);
    let _refused = refused.enter();
    tracing::info!(target: "noisy", "refused by noisy's level");
    tracing::debug!("refused by root's level");
    tracing::info!("accepted");
    assert_eq!(
        json_lines(&logs.json),
        [
            r#"{"level":"INFO","target":"tracing_bridge","message":"accepted","kept":1,"spans":"outer"}"#
        ]
    );
    let stats = ko_log::stats();
    assert_eq!((stats.enqueued, stats.written), (1, 1), "{stats:?}");
}

/// A `Debug` and `Display` that panic.
struct Panics;

impl fmt::Debug for Panics {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        panic!("Debug panicked")
    }
}

impl fmt::Display for Panics {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        panic!("Display panicked")
    }
}

#[test]
fn a_panicking_field_or_message_is_caught() {
    own_process!("a_panicking_field_or_message_is_caught");
    let dir = tempfile::tempdir().unwrap();
    let (_guard, logs) = install(dir.path());
    let span = tracing::info_span!("hostile", in_span = ?Panics);
    let _entered = span.enter();
    tracing::info!(debug = ?Panics, display = %Panics, "message {}", Panics);
    tracing::info!("still logging");
    assert_eq!(
        json_lines(&logs.json),
        [
            concat!(
                r#"{"level":"INFO","target":"tracing_bridge","message":"<panicked while formatting>","#,
                r#""debug":"<panicked while formatting>","display":"<panicked while formatting>","#,
                r#""in_span":"<panicked while formatting>","spans":"hostile"}"#
            ),
            r#"{"level":"INFO","target":"tracing_bridge","message":"still logging","in_span":"<panicked while formatting>","spans":"hostile"}"#,
        ]
    );
}

#[tracing::instrument(fields(trace_id = "4bf92f3577b34da6a3ce929d0e0e4736", span_id = tracing::field::Empty))]
fn traced_request() {
    tracing::Span::current().record("span_id", "00f067aa0ba902b7");
    tracing::info!(trace_flags = "01", "inside");
    tracing::info!(
        span_id = "not an id",
        "a bad id leaves the fields as they are"
    );
}

#[test]
fn opentelemetry_ids_on_a_span_become_the_records_trace_context() {
    own_process!("opentelemetry_ids_on_a_span_become_the_records_trace_context");
    let dir = tempfile::tempdir().unwrap();
    let (_guard, logs) = install(dir.path());
    traced_request();
    tracing::info!("outside");
    assert_eq!(
        json_lines(&logs.json),
        [
            r#"{"level":"INFO","target":"tracing_bridge","message":"inside","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","trace_flags":"01","spans":"traced_request"}"#,
            r#"{"level":"INFO","target":"tracing_bridge","message":"a bad id leaves the fields as they are","span_id":"not an id","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","spans":"traced_request"}"#,
            r#"{"level":"INFO","target":"tracing_bridge","message":"outside"}"#,
        ]
    );
}
