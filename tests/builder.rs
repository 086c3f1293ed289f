//! Composing ko-log in code: handler values beside configured handlers, routed by name;
//! a structured handler that gets records, not lines; per-handler counters; a handler
//! sink that sees what a handler receives after its processors; a panicking handler that
//! leaves the others whole. One test: the steps share the one global logger.

use std::sync::{Arc, Mutex};

use ko_log::config::{Config, Format};
use ko_log::testing::Sink;
use ko_log::{Builder, Event, Handler};

/// Keeps the lines it is given.
#[derive(Debug, Clone, Default)]
struct Lines(Arc<Mutex<Vec<String>>>);

impl Handler for Lines {
    fn write(&mut self, line: &[u8], _event: &Event) -> Result<(), ko_log::Error> {
        let line = String::from_utf8_lossy(line).trim_end().to_owned();
        self.0.lock().unwrap().push(line);
        Ok(())
    }
    fn flush(&mut self) -> Result<(), ko_log::Error> {
        Ok(())
    }
}

/// Takes records: keeps `message|line length|user`.
#[derive(Debug, Clone, Default)]
struct Records(Arc<Mutex<Vec<String>>>);

impl Handler for Records {
    fn write(&mut self, line: &[u8], event: &Event) -> Result<(), ko_log::Error> {
        let user = event
            .fields
            .get("user")
            .map(|v| v.to_string())
            .unwrap_or_default();
        self.0
            .lock()
            .unwrap()
            .push(format!("{}|{}|{user}", event.message, line.len()));
        Ok(())
    }
    fn flush(&mut self) -> Result<(), ko_log::Error> {
        Ok(())
    }
    fn structured(&self) -> bool {
        true
    }
}

/// Panics on every record whose message contains `boom`.
#[derive(Debug)]
struct Fragile;

impl Handler for Fragile {
    fn write(&mut self, _line: &[u8], event: &Event) -> Result<(), ko_log::Error> {
        if event.message.contains("boom") {
            panic!("fragile handler broke");
        }
        Ok(())
    }
    fn flush(&mut self) -> Result<(), ko_log::Error> {
        Ok(())
    }
}

#[test]
fn handler_values_are_routed_counted_and_isolated() {
    // Mistakes are refused like a config's.
    let twice = Builder::new(Config::default())
        .handler("console", Lines::default())
        .build()
        .unwrap_err();
    assert!(
        twice
            .to_string()
            .contains("handler `console` is defined twice: by the config and by the builder"),
        "{twice}"
    );
    let unknown = Builder::empty()
        .route("root", ["nowhere"])
        .build()
        .unwrap_err();
    assert!(
        unknown
            .to_string()
            .contains("logger `root` names handler `nowhere`, which is not defined"),
        "{unknown}"
    );

    let (_dir, file) = support::temp_path("app.log");
    let config = Config::from_str(
        &format!(
            "[loggers.root]\nhandlers = [\"file\"]\n\
             [handlers.file]\ntype = \"file\"\npath = \"{}\"\n\
             processors = [{{ type = \"redact\", keys = [\"user\"] }}]\n\
             renderer = {{ type = \"plain\", format = \"{{message}}{{kv}}\" }}\n",
            file.display()
        ),
        Format::Toml,
    )
    .unwrap();
    let lines = Lines::default();
    let records = Records::default();
    let guard = Builder::new(config)
        .handler("lines", lines.clone())
        .handler("records", records.clone())
        .handler("fragile", Fragile)
        .route("root", ["lines", "fragile"])
        .route("builder::audit", ["records"])
        .install()
        .unwrap();

    let after_processors = Sink::handler("file").with_format("{message}{kv}").unwrap();
    log::info!(user = "ana"; "hello");
    log::info!(target: "builder::audit", user = "bob"; "audited");
    log::info!("boom");
    log::logger().flush();

    let without_time: Vec<String> = lines
        .0
        .lock()
        .unwrap()
        .iter()
        .map(|l| l.split_once(' ').unwrap().1.to_owned())
        .collect();
    assert_eq!(
        without_time,
        [
            "INFO  [builder] hello user=ana",
            "INFO  [builder::audit] audited user=bob",
            "INFO  [builder] boom"
        ],
        "the plain renderer's default template"
    );
    assert_eq!(
        *records.0.lock().unwrap(),
        ["audited|0|bob"],
        "records, no rendering"
    );
    assert_eq!(
        support::lines(&file),
        ["hello user=***", "audited user=***", "boom"]
    );
    assert_eq!(
        after_processors.lines(),
        ["hello user=***", "audited user=***", "boom"],
        "the handler sink sees the record after redact"
    );

    let stats = ko_log::stats();
    let of = |name: &str| stats.handler(name).unwrap();
    assert_eq!((of("lines").written, of("lines").errors), (3, 0));
    assert_eq!((of("records").written, of("records").errors), (1, 0));
    assert_eq!((of("file").written, of("file").errors), (3, 0));
    assert_eq!(
        (of("fragile").written, of("fragile").errors),
        (2, 1),
        "the panic is counted for its handler only"
    );
    assert_eq!(stats.handler_errors, 1);
    assert_eq!(stats.handler("nowhere"), None);
    assert_eq!(
        stats.handlers().map(|(name, _)| name).collect::<Vec<_>>(),
        ["file", "lines", "records", "fragile"],
        "the config's handlers, then the builder's in the order they were added"
    );
    drop(guard);
}
