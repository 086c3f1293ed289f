//! The test Sink: tests running in parallel in one process each see only their own
//! records; attached sinks see a logger's records from any thread.

use std::sync::{Arc, Barrier};

use ko_log::testing::{self, Sink};

/// Two threads capture at the same time, each in its own scope, and log at the same
/// moment: each sink sees exactly its own records, once each although it captures twice.
/// (Inside one test, so it cannot wait for a partner test that `--test-threads=1` or a
/// name filter never starts.)
#[test]
fn parallel_captures_each_see_only_their_own_records() {
    testing::init();
    let barrier = Arc::new(Barrier::new(2));
    let run = |name: &'static str| {
        let barrier = Arc::clone(&barrier);
        std::thread::spawn(move || {
            let sink = Sink::new().with_format("{message}").unwrap();
            let _capture = sink.capture();
            let _again = sink.capture();
            barrier.wait();
            for i in 0..100 {
                log::info!("{name} {i}");
            }
            let expected: Vec<String> = (0..100).map(|i| format!("{name} {i}")).collect();
            assert_eq!(sink.lines(), expected);
        })
    };
    let (first, second) = (run("first"), run("second"));
    first.join().unwrap();
    second.join().unwrap();
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

/// A renderer that panics on the message `boom`, as a user's renderer may.
#[derive(Debug)]
struct Fragile;

impl ko_log::render::Renderer for Fragile {
    fn render(&self, event: &ko_log::Event, out: &mut Vec<u8>) {
        assert!(event.message != "boom", "fragile cannot render this");
        out.extend_from_slice(format!("{}\n", event.message).as_bytes());
    }
}

#[ko_log::renderer]
fn fragile(_params: &std::collections::HashMap<String, String>) -> Fragile {
    Fragile
}

/// A sink is a handler like any other: its renderer's panic is caught on the dispatcher,
/// which goes on writing to it and to the other sinks.
#[test]
fn a_sink_whose_renderer_panics_leaves_the_dispatcher_and_other_sinks_whole() {
    testing::init();
    let config = ko_log::config::RendererConfig::new("fragile");
    let fragile = Sink::new().with_renderer(&config).unwrap();
    let plain = Sink::new().with_format("{message}").unwrap();
    {
        let _fragile = fragile.capture();
        let _plain = plain.capture();
        log::info!("boom");
        log::info!("after");
    }
    assert_eq!(plain.lines(), ["boom", "after"]);
    assert_eq!(fragile.lines(), ["after"]);
}
