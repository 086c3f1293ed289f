//! `ainfo!` on a full `block` queue suspends the task instead of blocking the thread:
//! other tasks on a single-threaded runtime keep running, and it completes once the
//! dispatcher makes room.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[test]
fn ainfo_yields_while_the_queue_is_full_and_completes_when_room_returns() {
    let pipe = support::StalledPipe::new();
    let queue = support::config::queue(4, "block");
    let config = support::config::one_file(
        &queue,
        "pipe",
        pipe.path(),
        "{message}",
        "create_dirs = false",
    );
    let guard = support::config::init(&config);
    let padding = "x".repeat(4096);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let ticks = Arc::new(AtomicU64::new(0));
    let logged = Arc::new(AtomicU64::new(0));
    runtime.block_on(async {
        let ticker = {
            let ticks = Arc::clone(&ticks);
            tokio::spawn(async move {
                loop {
                    ticks.fetch_add(1, Ordering::Relaxed);
                    // A task that runs every millisecond: the other tasks this checks.
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            })
        };
        let producer = {
            let logged = Arc::clone(&logged);
            let padding = padding.clone();
            tokio::spawn(async move {
                // Far more than the pipe (64 KiB), the handler buffer and the queue hold.
                for i in 0..200 {
                    ko_log::ainfo!("{i} {padding}").await;
                    logged.fetch_add(1, Ordering::Relaxed);
                }
            })
        };
        // The producer gets stuck on a full queue; the ticker still runs on this thread:
        // more than 50 ticks, within 60 s.
        let deadline = Instant::now() + Duration::from_secs(60);
        while ticks.load(Ordering::Relaxed) <= 50 {
            let ticks = ticks.load(Ordering::Relaxed);
            assert!(
                Instant::now() < deadline,
                "other tasks did not run: {ticks} ticks"
            );
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let stuck_at = logged.load(Ordering::Relaxed);
        assert!(stuck_at < 200, "the queue never filled up");
        pipe.release();
        producer.await.unwrap();
        ticker.abort();
    });
    assert_eq!(logged.load(Ordering::Relaxed), 200);
    drop(guard);
    let output = pipe.output();
    let lines: Vec<&str> = output.lines().collect();
    assert_eq!(lines.len(), 200);
    assert!(lines[199].starts_with("199 "));
    assert_eq!(ko_log::stats().dropped, 0);
}
