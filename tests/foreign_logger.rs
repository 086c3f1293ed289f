//! When another crate's logger holds `log`'s global slot, ko-log's init refuses before it
//! builds anything (no file opened or truncated, no thread), and a `Sink` fails the test
//! loudly instead of capturing nothing. One test: the order of these steps matters.

use log::{Log, Metadata, Record};

struct Foreign;

impl Log for Foreign {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn log(&self, _: &Record<'_>) {}
    fn flush(&self) {}
}

#[test]
fn another_crates_logger_is_left_alone_and_nothing_is_built() {
    log::set_logger(&Foreign).unwrap();
    let (dir, live) = support::temp_path("live.log");
    std::fs::write(&live, "a line another program wrote\n").unwrap();
    let fresh = dir.path().join("sub/fresh.log");
    let config = format!(
        "[loggers.root]\nhandlers = [\"live\", \"fresh\"]\n\
         [handlers.live]\ntype = \"file\"\npath = \"{}\"\nappend = false\n\
         [handlers.fresh]\ntype = \"rotating_file\"\npath = \"{}\"\n",
        live.display(),
        fresh.display()
    );
    let error = ko_log::init_from_str(&config, ko_log::config::Format::Toml).unwrap_err();
    assert!(
        matches!(error, ko_log::Error::AlreadyInitialized),
        "{error}"
    );
    assert_eq!(
        std::fs::read_to_string(&live).unwrap(),
        "a line another program wrote\n",
        "append = false truncated a file although init was refused"
    );
    assert!(
        !fresh.exists() && !fresh.parent().unwrap().exists(),
        "a file was created"
    );
    assert!(
        !support::threads().iter().any(|name| name == "ko-log"),
        "a dispatcher thread was started: {:?}",
        support::threads()
    );

    let sink = ko_log::testing::Sink::new();
    let refused = std::panic::catch_unwind(|| {
        let _capture = sink.capture();
    })
    .unwrap_err();
    let message = match refused.downcast_ref::<&str>() {
        Some(text) => text.to_string(),
        None => refused
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_default(),
    };
    assert!(
        message.starts_with(
            "ko_log::testing::Sink cannot capture: the global `log` logger is not ko-log"
        ),
        "{message}"
    );
}
