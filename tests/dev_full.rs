//! A handler whose disk is full (`/dev/full`) is reported with its error code and
//! counted, while a second handler still receives every record.

use support::config;

const CHILD: &str = "full_disk_is_reported_and_other_handlers_get_every_record";

#[test]
fn full_disk_is_reported_and_other_handlers_get_every_record() {
    if !support::is_child(CHILD) {
        let stderr = support::run_child_ok(CHILD, &[]);
        assert!(
            stderr.contains("[HANDLER::File::IO::ERROR::RECOVERABLE] handler `full`"),
            "stderr was:\n{stderr}"
        );
        // Rate limited: the same error is not printed for every failed flush.
        support::assert_rate_limited(&stderr, "handler `full`");
        return;
    }

    let (_dir, good) = support::temp_path("good.log");
    let full = config::file("full", "/dev/full".as_ref(), "create_dirs = false");
    let good_file = config::file("good", &good, &config::plain("{message}"));
    let guard = config::init(&[config::root(&["full", "good"]), full, good_file].concat());
    for i in 0..1000 {
        log::info!("line {i}");
        if i % 100 == 0 {
            log::logger().flush();
        }
    }
    drop(guard);
    let lines = support::lines(&good);
    let expected: Vec<String> = (0..1000).map(|i| format!("line {i}")).collect();
    assert_eq!(lines, expected);
    let stats = ko_log::stats();
    assert!(stats.handler_errors >= 10, "{stats:?}");
    // Every record the full disk refused is counted as lost, none silently.
    assert_eq!(stats.lost, 1000, "{stats:?}");
    assert_eq!(stats.written, 1000);
}
