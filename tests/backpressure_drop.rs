//! `drop` never blocks and accounts for every record: with the destination stalled on
//! purpose (a pipe not read until the end) and a tiny queue, `written + dropped == emitted` exactly,
//! and the warning records ko-log writes add up to the number dropped. A record dropped
//! for a full queue is never formatted.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

const EMITTED: u64 = 20_000;

/// How many times a record's message was formatted.
static FORMATTED: AtomicU64 = AtomicU64::new(0);

/// An argument that counts its formatting.
struct Counted(u64);

impl fmt::Display for Counted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        FORMATTED.fetch_add(1, Ordering::Relaxed);
        write!(f, "{}", self.0)
    }
}

#[test]
fn written_plus_dropped_equals_emitted_and_warnings_report_the_drops() {
    let pipe = support::StalledPipe::new();
    let queue = support::config::queue(8, "drop");
    let format = "{level} {message}{kv}";
    let config =
        support::config::one_file(&queue, "slow", pipe.path(), format, "create_dirs = false");
    let guard = support::config::init(&config);
    for i in 0..EMITTED {
        log::info!(
            "record {} with some padding to fill the pipe faster ......................",
            Counted(i)
        );
    }
    let stats_before_drop = ko_log::stats();
    pipe.release();
    drop(guard);
    let output = pipe.output();

    let stats = ko_log::stats();
    assert_eq!(stats.written + stats.dropped, EMITTED, "{stats:?}");
    assert_eq!(stats.dropped, stats.dropped_by_policy);
    assert!(stats.dropped > 0, "the slow pipe should have forced drops");
    assert!(stats_before_drop.enqueued <= EMITTED);
    // Formatted on the caller only when its lane had room.
    assert_eq!(FORMATTED.load(Ordering::Relaxed), stats.written);

    let records = output
        .lines()
        .filter(|l| l.starts_with("INFO record "))
        .count() as u64;
    assert_eq!(records, stats.written);
    let warnings = output.lines().filter(|l| l.starts_with("WARN "));
    let reported: u64 = warnings.map(support::reported_drops).sum();
    assert_eq!(reported, stats.dropped);
    assert!(output.contains("policy=drop"));
}
