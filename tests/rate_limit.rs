//! `rate_limit`: a key's records over its rate are suppressed and counted, and each
//! suppressed record is reported exactly once, by the key's next record that passes
//! (`suppressed = N`) or by a summary record at its window's end, which the dispatcher
//! writes even when nothing else is logged. Across 8 threads, every record emitted is
//! either written or counted as suppressed, exactly.

use std::sync::{Arc, Barrier};
use std::time::SystemTime;

use ko_log::config::Format;
use serde_json::Value;

const THREADS: usize = 8;
const PER_THREAD: u64 = 5_000;
/// Records of the silent key: the burst passes, the rest waits for the summary.
const SILENT: u64 = 20;
const BURST: u64 = 5;

fn json_lines(path: &std::path::Path) -> Vec<Value> {
    support::lines(path)
        .iter()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect()
}

fn summaries(lines: &[Value]) -> Vec<&Value> {
    lines
        .iter()
        .filter(|l| l["target"] == "ko_log" && l["rate_limit_key"].is_string())
        .collect()
}

fn nanos(timestamp: &str) -> i128 {
    time::OffsetDateTime::parse(timestamp, &time::format_description::well_known::Rfc3339)
        .expect("an RFC 3339 timestamp")
        .unix_timestamp_nanos()
}

#[test]
fn every_record_is_written_or_suppressed_and_each_suppression_is_reported_once() {
    let (dir, path) = support::temp_path("app.log");
    let busy_path = dir.path().join("busy.log");
    // The busy key passes 100 records a second but its window is an hour: what it still
    // owes at the end (since the last record that passed) can only be said
    // when the handler closes.
    let config = format!(
        r#"
        [loggers.root]
        level = "info"
        handlers = ["file"]
        [loggers.busy]
        handlers = ["busy"]
        additive = false
        [handlers.file]
        type = "file"
        path = "{}"
        renderer = {{ type = "json", timezone = "utc" }}
        processors = [{{ type = "rate_limit", rate = "5/200ms", burst = {BURST}, per = "callsite" }}]
        [handlers.busy]
        type = "file"
        path = "{}"
        renderer = {{ type = "json", timezone = "utc" }}
        processors = [{{ type = "rate_limit", rate = "360000/h", burst = {BURST}, per = "target" }}]
        "#,
        path.display(),
        busy_path.display()
    );
    let guard = ko_log::init_from_str(&config, Format::Toml).unwrap();

    // A silent key: its burst passes, the rest is suppressed, and nothing more is
    // logged. The summary comes at the end of its window all the same.
    let silent_line = line!() + 2;
    for i in 0..SILENT {
        log::info!(target: "app", "silent {i}");
    }
    let logged = SystemTime::now();
    let mut summary = None;
    support::wait_until("the silent key's summary", || {
        summary = summaries(&json_lines(&path)).first().map(|s| (*s).clone());
        summary.is_some()
    });
    let seen = SystemTime::now();
    let summary = summary.unwrap();
    assert_eq!(summary["level"], "WARN");
    assert_eq!(summary["suppressed"], SILENT - BURST);
    assert_eq!(
        summary["rate_limit_key"],
        format!("tests/rate_limit.rs:{silent_line}")
    );
    assert_eq!(summary["rate_limit_per"], "callsite");
    assert_eq!(
        summary["message"],
        format!(
            "rate_limit: {} records of callsite `tests/rate_limit.rs:{silent_line}` suppressed (over 5/200ms)",
            SILENT - BURST
        )
    );
    // Written at its window's end (200 ms windows on the epoch), not before.
    let written = nanos(summary["timestamp"].as_str().unwrap());
    let first = json_lines(&path)[0].clone();
    let window = 200_000_000i128;
    let window_end = (nanos(first["timestamp"].as_str().unwrap()) / window + 1) * window;
    assert!(written >= window_end, "summary before its window ended");
    eprintln!(
        "summary written {:.1} ms after its window ended (seen by the test {:?} after the last record)",
        (written - window_end) as f64 / 1e6,
        seen.duration_since(logged).unwrap_or_default()
    );

    // Eight threads on one call site, as fast as they can.
    let start = Arc::new(Barrier::new(THREADS));
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let start = Arc::clone(&start);
            std::thread::spawn(move || {
                start.wait();
                for i in 0..PER_THREAD {
                    log::info!(target: "busy", thread = t, i = i; "busy");
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let emitted = SILENT + THREADS as u64 * PER_THREAD;
    // Dropping the guard says what is still pending.
    drop(guard);

    let stats = ko_log::stats();
    let (file, busy) = (
        stats.handler("file").unwrap(),
        stats.handler("busy").unwrap(),
    );
    assert_eq!(stats.enqueued, emitted);
    assert_eq!(file.suppressed, SILENT - BURST);
    assert_eq!(file.written, BURST + 1, "the burst and the summary");
    let lines = json_lines(&busy_path);
    let passed: Vec<&Value> = lines.iter().filter(|l| l["target"] == "busy").collect();
    let summaries = summaries(&lines);
    let carried: u64 = passed.iter().filter_map(|l| l["suppressed"].as_u64()).sum();
    let summed: u64 = summaries
        .iter()
        .map(|s| s["suppressed"].as_u64().unwrap())
        .sum();
    let busy_emitted = THREADS as u64 * PER_THREAD;
    assert!(busy.suppressed > 0);
    assert_eq!(
        passed.len() as u64 + busy.suppressed,
        busy_emitted,
        "emitted = written + suppressed"
    );
    assert_eq!(
        carried + summed,
        busy.suppressed,
        "each suppression reported once"
    );
    assert_eq!(summaries.len(), 1, "one key, one closing summary");
    assert_eq!(summaries[0]["rate_limit_key"], "busy");
    assert_eq!(busy.written, (passed.len() + summaries.len()) as u64);
    assert_eq!(
        lines.len(),
        passed.len() + summaries.len(),
        "nothing else written"
    );
    eprintln!(
        "{busy_emitted} emitted on 8 threads: {} written, {} suppressed ({carried} carried by the next record, {summed} in the closing summary)",
        passed.len(),
        busy.suppressed,
    );
}
