//! One lane per producer thread: the promises the single queue kept, kept per lane.
//!
//! With the dispatcher held at a gate (a processor that waits), threads log into their
//! own lanes and exit; then:
//! - `flush()` returns only once every record of every thread, exited or not, is written;
//! - each thread's records come out in its own order;
//! - under `block`, a thread whose lane is full waits (asleep) and loses nothing;
//! - under `drop` and `drop_oldest`, each lane keeps exactly its capacity and the rest
//!   are counted, so `written + dropped == emitted` exactly;
//! - shutdown writes what the exited threads left in their lanes;
//! - under `block`, a thread that waited goes on only once its lane is empty, so it
//!   waits at most once per lane of records.
//!
//! Each test installs its own global config, so each runs in a child process.

use std::collections::HashMap;

use support::config::{init, one_file, queue};

support::gate_processor!();

const THREADS: usize = 6;
const CAPACITY: usize = 64;

fn config(dir: &std::path::Path, policy: &str) -> String {
    let gated = "processors = [{ type = \"gate\" }]";
    one_file(
        &queue(CAPACITY, policy),
        "file",
        &dir.join("out.log"),
        "{message}",
        gated,
    )
}

/// Logs `per_thread` records on each of [`THREADS`] threads (`t=<thread> i=<n>`), which
/// then exit; returns when they have.
fn log_from_threads(per_thread: usize) {
    support::in_threads(THREADS, move |t| {
        for i in 0..per_thread {
            ko_log::info!("t={t} i={i}");
        }
    });
}

/// The `i`s of each thread, in file order.
fn by_thread(lines: &[String]) -> HashMap<usize, Vec<usize>> {
    let mut seen: HashMap<usize, Vec<usize>> = HashMap::new();
    for line in lines {
        let (t, i) = line
            .strip_prefix("t=")
            .and_then(|rest| rest.split_once(" i="))
            .unwrap_or_else(|| panic!("unexpected line {line:?}"));
        seen.entry(t.parse().unwrap())
            .or_default()
            .push(i.parse().unwrap());
    }
    seen
}

#[test]
fn exited_threads_records_are_flushed_written_in_order_and_none_lost_under_block() {
    support::child_only!(
        "exited_threads_records_are_flushed_written_in_order_and_none_lost_under_block"
    );
    let dir = tempfile::tempdir().unwrap();
    let guard = init(&config(dir.path(), "block"));
    GATE.close();
    // The dispatcher takes a first record and waits at the gate; the threads fill their
    // lanes (block: the last ones wait for room) and cannot finish until it opens.
    let per_thread = 3 * CAPACITY;
    let logging = std::thread::spawn(move || log_from_threads(per_thread));
    GATE.wait_until_held();
    support::wait_until("every lane full", || {
        ko_log::stats().enqueued >= (THREADS * CAPACITY) as u64
    });
    assert!(
        !logging.is_finished(),
        "block: threads with full lanes wait"
    );
    GATE.open();
    logging.join().unwrap();
    log::logger().flush();
    let lines = support::lines(dir.path().join("out.log"));
    assert_eq!(
        lines.len(),
        THREADS * per_thread,
        "flush waited for every thread"
    );
    for (t, seen) in by_thread(&lines) {
        assert_eq!(
            seen,
            (0..per_thread).collect::<Vec<_>>(),
            "thread {t}'s order"
        );
    }
    let stats = ko_log::stats();
    assert_eq!(stats.written, (THREADS * per_thread) as u64);
    assert_eq!(stats.dropped, 0);
    assert!(stats.high_water <= CAPACITY, "{stats:?}");
    drop(guard);
}

#[test]
fn shutdown_writes_what_exited_threads_left_in_their_lanes() {
    support::child_only!("shutdown_writes_what_exited_threads_left_in_their_lanes");
    let dir = tempfile::tempdir().unwrap();
    let guard = init(&config(dir.path(), "block"));
    GATE.close();
    log_from_threads(CAPACITY / 2);
    GATE.wait_until_held();
    // Every thread has exited with records still in its lane.
    assert!(ko_log::stats().written < (THREADS * CAPACITY / 2) as u64);
    GATE.open();
    drop(guard);
    let lines = support::lines(dir.path().join("out.log"));
    assert_eq!(lines.len(), THREADS * CAPACITY / 2);
    let stats = ko_log::stats();
    assert_eq!((stats.written, stats.dropped), (lines.len() as u64, 0));
}

/// Under `drop` / `drop_oldest`: each lane keeps its capacity; the rest is counted.
fn lossy(policy: &str) {
    let dir = tempfile::tempdir().unwrap();
    let guard = init(&config(dir.path(), policy));
    GATE.close();
    // One record to hold the dispatcher at the gate, from this thread's own lane.
    ko_log::info!("t=99 i=0");
    GATE.wait_until_held();
    let per_thread = 4 * CAPACITY;
    log_from_threads(per_thread);
    let emitted = (1 + THREADS * per_thread) as u64;
    let held = ko_log::stats();
    // `drop` refuses the new record; `drop_oldest` takes the new one (enqueued) and
    // evicts an old one (dropped).
    let offered = match policy {
        "drop" => held.enqueued + held.dropped_by_policy,
        _ => held.enqueued,
    };
    assert_eq!(offered, emitted, "{held:?}");
    // Each lane kept exactly its capacity (the gate's record had left its lane).
    let dropped = (THREADS * (per_thread - CAPACITY)) as u64;
    assert_eq!(held.dropped_by_policy, dropped, "{held:?}");
    GATE.open();
    drop(guard);
    let stats = ko_log::stats();
    assert_eq!(stats.written + stats.dropped, emitted, "{stats:?}");
    let lines = support::lines(dir.path().join("out.log"));
    let records: Vec<String> = lines.into_iter().filter(|l| l.starts_with("t=")).collect();
    assert_eq!(records.len() as u64, emitted - dropped);
    let kept = by_thread(&records);
    for t in 0..THREADS {
        let expect: Vec<usize> = match policy {
            // `drop` keeps each thread's first records, `drop_oldest` its last.
            "drop" => (0..CAPACITY).collect(),
            _ => (per_thread - CAPACITY..per_thread).collect(),
        };
        assert_eq!(kept[&t], expect, "thread {t} under {policy}");
    }
}

#[test]
fn drop_keeps_each_lanes_capacity_and_counts_the_rest() {
    support::child_only!("drop_keeps_each_lanes_capacity_and_counts_the_rest");
    lossy("drop");
}

#[test]
fn drop_oldest_keeps_each_lanes_newest_and_counts_the_rest() {
    support::child_only!("drop_oldest_keeps_each_lanes_newest_and_counts_the_rest");
    lossy("drop_oldest");
}

/// A record logged after another was queued on another thread comes after it, whatever
/// the order the lanes are read in (here the later record's lane is older): the
/// dispatcher merges the lanes by the time their records were logged. This is what keeps
/// an async task's records in order when it moves between threads.
#[test]
fn records_that_follow_each_other_across_threads_keep_their_order() {
    support::child_only!("records_that_follow_each_other_across_threads_keep_their_order");
    let dir = tempfile::tempdir().unwrap();
    let guard = init(&config(dir.path(), "block"));
    GATE.close();
    let (go, wait) = std::sync::mpsc::channel::<()>();
    let (done, finished) = std::sync::mpsc::channel::<()>();
    let second = std::thread::spawn(move || {
        ko_log::info!("t=1 i=0"); // opens this thread's lane first; held at the gate
        wait.recv().unwrap();
        for i in 1..=CAPACITY / 2 {
            ko_log::info!("t=1 i={i}");
        }
        done.send(()).unwrap();
    });
    GATE.wait_until_held();
    let first = std::thread::spawn(|| {
        for i in 0..CAPACITY / 2 {
            ko_log::info!("t=0 i={i}");
        }
    });
    first.join().unwrap();
    go.send(()).unwrap();
    finished.recv().unwrap();
    GATE.open();
    second.join().unwrap();
    log::logger().flush();
    let lines = support::lines(dir.path().join("out.log"));
    let expect: Vec<String> = std::iter::once("t=1 i=0".to_owned())
        .chain((0..CAPACITY / 2).map(|i| format!("t=0 i={i}")))
        .chain((1..=CAPACITY / 2).map(|i| format!("t=1 i={i}")))
        .collect();
    assert_eq!(lines, expect);
    drop(guard);
}

/// Makes the dispatcher slower than any producer: each record it takes costs it this long.
#[ko_log::processor(name = "slow")]
fn slow() -> impl FnMut(&mut ko_log::Event) -> ko_log::Action + Send + 'static {
    |_| {
        std::thread::sleep(std::time::Duration::from_micros(50));
        ko_log::Action::Keep
    }
}

/// Under `block`, a thread whose lane is full sleeps until the dispatcher has emptied it,
/// then queues a whole lane before it can wait again: one thread logging 20 lanes' worth
/// through a dispatcher slower than itself waits at most 20 times, loses nothing and keeps
/// its order. (Woken at half a lane, as before, it waited about twice as often.)
#[test]
fn a_thread_waits_at_most_once_per_lane_of_records_under_block() {
    support::child_only!("a_thread_waits_at_most_once_per_lane_of_records_under_block");
    let dir = tempfile::tempdir().unwrap();
    let slowed = "processors = [{ type = \"slow\" }]";
    let text = one_file(
        &queue(CAPACITY, "block"),
        "file",
        &dir.path().join("out.log"),
        "{message}",
        slowed,
    );
    let guard = init(&text);
    let records = 20 * CAPACITY;
    std::thread::spawn(move || {
        for i in 0..records {
            ko_log::info!("t=0 i={i}");
        }
    })
    .join()
    .unwrap();
    log::logger().flush();
    let stats = ko_log::stats();
    assert_eq!((stats.written, stats.dropped), (records as u64, 0));
    assert!(
        stats.waits > 0,
        "the thread outran the dispatcher: {stats:?}"
    );
    assert!(
        stats.waits <= (records / CAPACITY) as u64,
        "{} waits for {records} records in lanes of {CAPACITY}: {stats:?}",
        stats.waits
    );
    let lines = support::lines(dir.path().join("out.log"));
    assert_eq!(by_thread(&lines)[&0], (0..records).collect::<Vec<_>>());
    drop(guard);
}
