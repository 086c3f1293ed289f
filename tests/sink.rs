//! The test Sink: tests running in parallel in one process each see only their own
//! records; attached sinks see a logger's records from any thread.

use std::sync::Barrier;

use ko_log::testing::{self, Sink};

static BARRIER: Barrier = Barrier::new(2);

fn run(name: &str) {
    testing::init();
    let sink = Sink::new().with_format("{message}").unwrap();
    let _capture = sink.capture();
    BARRIER.wait(); // both tests log at the same time
    for i in 0..100 {
        log::info!("{name} {i}");
    }
    let expected: Vec<String> = (0..100).map(|i| format!("{name} {i}")).collect();
    assert_eq!(sink.lines(), expected);
}

#[test]
fn first_parallel_test_sees_only_its_records() {
    run("first");
}

#[test]
fn second_parallel_test_sees_only_its_records() {
    run("second");
}

#[test]
fn an_attached_sink_captures_a_logger_from_any_thread() {
    testing::init();
    let sink = Sink::attach("sink::worker")
        .with_format("{target} {message}")
        .unwrap();
    std::thread::spawn(|| {
        log::info!(target: "sink::worker", "from a thread");
        log::info!(target: "sink::workerz", "not this logger");
        log::debug!(target: "sink::worker::pool", "below it");
    })
    .join()
    .unwrap();
    assert_eq!(
        sink.lines(),
        ["sink::worker from a thread", "sink::worker::pool below it"]
    );
    let events = sink.events();
    assert_eq!(events[1].level, log::Level::Debug);
    sink.clear();
    assert!(sink.lines().is_empty());
}
