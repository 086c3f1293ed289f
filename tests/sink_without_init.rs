//! A `Sink` used without `testing::init()` still captures: it installs the test backend
//! itself on first use (its own test binary, so no other test installed a logger first).

use ko_log::testing::Sink;

#[test]
fn a_sink_installs_the_test_backend_when_no_logger_is_installed() {
    assert!(
        ko_log::stats() == ko_log::Stats::default(),
        "nothing installed yet"
    );
    let sink = Sink::new().with_format("{level} {message}").unwrap();
    {
        let _capture = sink.capture();
        log::debug!("captured without testing::init()");
    }
    assert_eq!(sink.lines(), ["DEBUG captured without testing::init()"]);
}
