//! `on_error = { keep, level }`: the records a handler's `level` skips are kept per
//! thread, or per task scope (`ko_log::with_context`) on whichever thread polls it, and
//! an error of that thread or scope writes exactly its own kept records just before
//! itself, in order, with their own times and `deferred = true`. What no error claims is
//! discarded, and kept, deferred and discarded records are counted exactly.

use std::time::Duration;

use ko_log::config::Format;
use serde_json::Value;

const TASKS: u64 = 64;
const KEEP: u64 = 3;

/// Debug records task `i` logs: 0 to 5, so some rings overflow.
fn debug_count(i: u64) -> u64 {
    i % 6
}

/// Whether task `i` ends with an error.
fn errs(i: u64) -> bool {
    i % 4 != 3
}

#[test]
fn each_error_carries_exactly_its_own_threads_or_tasks_kept_records() {
    let (_dir, path) = support::temp_path("app.log");
    let config = format!(
        r#"
        [loggers.root]
        level = "debug"
        handlers = ["file"]
        [handlers.file]
        type = "file"
        path = "{}"
        level = "info"
        on_error = {{ keep = {KEEP}, level = "debug" }}
        renderer = {{ type = "json", timezone = "utc" }}
        "#,
        path.display()
    );
    let guard = ko_log::init_from_str(&config, Format::Toml).unwrap();

    // Two threads: one errs, one does not.
    let a = std::thread::spawn(|| {
        log::debug!(target: "app", "a1");
        log::trace!(target: "app", "a-trace: below on_error.level");
        log::debug!(target: "app", "a2");
        log::info!(target: "app", "a-info");
        log::error!(target: "app", "a-error");
    });
    let b = std::thread::spawn(|| log::debug!(target: "app", "b1"));
    a.join().unwrap();
    b.join().unwrap();

    // 64 tasks on 4 worker threads, each in its own task scope, moving between threads
    // at every await.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_time()
        .build()
        .unwrap();
    runtime.block_on(async {
        let tasks: Vec<_> = (0..TASKS)
            .map(|i| {
                tokio::spawn(ko_log::with_context([("task", i)], async move {
                    for j in 0..debug_count(i) {
                        log::debug!(target: "app", "debug {i} {j}");
                        // Distinct times, and a chance to move to another thread.
                        tokio::time::sleep(Duration::from_millis(1)).await;
                    }
                    log::info!(target: "app", "info {i}");
                    tokio::task::yield_now().await;
                    if errs(i) {
                        log::error!(target: "app", "error {i}");
                    }
                }))
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
    });
    drop(guard);

    let lines: Vec<Value> = support::lines(&path)
        .iter()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect();
    let message = |line: &Value| line["message"].as_str().unwrap().to_owned();
    let at = |text: &str| {
        lines
            .iter()
            .position(|l| l["message"] == text)
            .unwrap_or_else(|| panic!("no line `{text}`"))
    };

    // The thread: its two debug records, just before its error; the trace record and
    // the other thread's record never.
    let error = at("a-error");
    let before: Vec<String> = lines[error - 3..error].iter().map(message).collect();
    assert_eq!(before, ["a-info", "a1", "a2"]);
    for kept in &lines[error - 2..error] {
        assert_eq!(kept["deferred"], true);
        assert_eq!(kept["level"], "DEBUG");
    }
    assert!(!lines
        .iter()
        .any(|l| l["message"] == "b1" || l["message"] == "a-trace: below on_error.level"));

    // Each task's error: exactly its own last KEEP debug records, just before it.
    let mut deferred = 2;
    let mut kept = 3; // a1, a2, b1
    for i in 0..TASKS {
        let n = debug_count(i);
        kept += n;
        if !errs(i) {
            assert!(!lines
                .iter()
                .any(|l| message(l).starts_with(&format!("debug {i} "))));
            continue;
        }
        let carried = n.min(KEEP);
        deferred += carried;
        let error = at(&format!("error {i}"));
        let first = error - carried as usize;
        let expected: Vec<String> = (n - carried..n).map(|j| format!("debug {i} {j}")).collect();
        let got: Vec<String> = lines[first..error].iter().map(message).collect();
        assert_eq!(got, expected, "task {i}");
        let mut times = Vec::new();
        for line in &lines[first..error] {
            assert_eq!(line["deferred"], true, "task {i}");
            assert_eq!(line["task"], i, "task {i}");
            assert_eq!(line["level"], "DEBUG");
            times.push(line["timestamp"].as_str().unwrap().to_owned());
        }
        times.push(lines[error]["timestamp"].as_str().unwrap().to_owned());
        assert!(
            times.windows(2).all(|w| w[0] < w[1]),
            "task {i}: their own times, in order, before the error's: {times:?}"
        );
        assert!(
            error == first || lines[first - 1]["deferred"].is_null(),
            "task {i}: no other kept record before its own"
        );
    }
    let written_debug = lines.iter().filter(|l| l["level"] == "DEBUG").count() as u64;
    assert_eq!(
        written_debug, deferred,
        "no debug record written but those claimed"
    );

    let file = ko_log::stats().handler("file").unwrap();
    assert_eq!(file.kept, kept);
    assert_eq!(file.deferred, deferred);
    assert_eq!(file.discarded, kept - deferred);
    assert_eq!(file.written, lines.len() as u64);
    let infos = TASKS + 1;
    let errors = (0..TASKS).filter(|&i| errs(i)).count() as u64 + 1;
    assert_eq!(file.written, infos + errors + deferred);
    eprintln!(
        "kept {kept}, deferred {deferred}, discarded {}, written {}",
        file.discarded, file.written
    );
}
