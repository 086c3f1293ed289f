//! One fixture tree in TOML, JSON and YAML: all three load to the same `Config`, equal to
//! the one built here in Rust; plus the defaults and the format-specific details.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ko_log_config::node::{Node, NodeValue, Params};
use ko_log_config::{
    Backpressure, Config, Format, HandlerConfig, LoggerConfig, ProcessorConfig, QueueConfig,
    RendererConfig, Value,
};
use log::LevelFilter;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn load(name: &str) -> Config {
    match Config::from_path(fixture(name)) {
        Ok(config) => config,
        Err(e) => panic!("{name}:\n{e}"),
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// The fixture tree, built in Rust.
fn expected() -> Config {
    // The handlers' and renderers' keys as written; their typed reading is the
    // components' own (ko-log's `tests/config_components.rs`).
    let mut console = HandlerConfig::new("stream")
        .with("stream", "stdout")
        .with_renderer(
            RendererConfig::new("colored")
                .with("format", "{time} {level:<8} [{target}] {message}{kv}")
                .with("time_format", "[hour]:[minute]:[second]")
                .with("timezone", "utc")
                .with("color", "always")
                .with(
                    "colors",
                    NodeValue::table([
                        ("error", "bright_red".into()),
                        ("warn", "#ffaa00".into()),
                        ("info", "green".into()),
                        ("debug", "blue".into()),
                        ("trace", "bright_black".into()),
                    ]),
                ),
        );
    console.level = Some(LevelFilter::Trace);
    let mut file = HandlerConfig::new("rotating_file")
        .with("path", "logs/app.log")
        .with("append", false)
        .with("create_dirs", false)
        .with("file_mode", "0600")
        .with("reopen_check", "0s")
        .with("max_bytes", "10 MiB")
        .with("rotation", "daily")
        .with("backup_count", 7)
        .with("timezone", "utc")
        .with("compress", "gzip")
        .with("max_age", "14d")
        .with_renderer(
            RendererConfig::new("json")
                .with("flatten", false)
                .with("fields_key", "kv")
                .with("pretty", true)
                .with("indent", 4)
                .with("timezone", "utc"),
        );
    // The processors' keys as written; their typed reading is the processors' own
    // (ko-log's `tests/process_builtin.rs`).
    file.processors = vec![
        ProcessorConfig::new("add_callsite").with("fields", vec!["file", "line"]),
        ProcessorConfig::new("add_context_defaults").with(
            "values",
            NodeValue::table([("env", "prod".into()), ("shard", 1.into())]),
        ),
        ProcessorConfig::new("dict_tracebacks").with("backtrace", true),
        ProcessorConfig::new("filter_by_level").with("min_level", "info"),
        ProcessorConfig::new("filter_keys").with("keys", vec!["password"]),
        ProcessorConfig::new("filter_markup"),
        ProcessorConfig::new("redact")
            .with("keys", vec!["token"])
            .with("replacement", "<hidden>"),
        ProcessorConfig::new("request_id")
            .with("header", "X-Request-Id")
            .with("length", 16),
    ];
    let db_file = HandlerConfig::new("file")
        .with("path", "logs/db.log")
        .with("file_mode", 0o644)
        .with("reopen_check", 2)
        .with_renderer(
            RendererConfig::new("plain")
                .with("format", "{level:>5} {message} {user_id:^10}")
                .with("time_format", "rfc3339")
                .with("timezone", "local"),
        );
    let null = HandlerConfig::new("null");
    let mut root = LoggerConfig::new(&["console", "file"]).with_level(LevelFilter::Info);
    root.context = BTreeMap::from([
        ("app".to_owned(), Value::String("myapp".to_owned())),
        ("version".to_owned(), Value::Int(3)),
        ("ratio".to_owned(), Value::Float(0.5)),
        ("canary".to_owned(), Value::Bool(false)),
    ]);
    let mut db = LoggerConfig::new(&["db_file", "null"]).with_level(LevelFilter::Warn);
    db.additive = false;
    let mut config = Config::empty();
    config.default_level = LevelFilter::Debug;
    config.queue.capacity = 2048;
    config.queue.backpressure = Backpressure::DropOldest;
    config.queue.drain_timeout = Duration::from_millis(250);
    config.loggers = BTreeMap::from([("root".to_owned(), root), ("my_app::db".to_owned(), db)]);
    config.handlers = ko_log_config::IndexMap::from([
        ("console".to_owned(), console),
        ("file".to_owned(), file),
        ("db_file".to_owned(), db_file),
        ("null".to_owned(), null),
    ]);
    config.flush_on_signals = true;
    config
}

#[test]
fn toml_fixture_matches_the_rust_config() {
    assert_eq!(load("full.toml"), expected());
}

#[test]
fn json_fixture_matches_the_rust_config() {
    assert_eq!(load("full.json"), expected());
}

#[test]
fn yaml_fixture_matches_the_rust_config() {
    assert_eq!(load("full.yaml"), expected());
}

#[test]
fn the_three_formats_agree() {
    let toml = load("full.toml");
    assert_eq!(toml, load("full.json"));
    assert_eq!(toml, load("full.yaml"));
    assert_eq!(toml.validate().map_err(|e| e.to_string()), Ok(()));
}

#[test]
fn custom_params_deserialize_into_the_processors_type() {
    #[derive(serde::Deserialize, Debug, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct RequestId {
        header: String,
        length: u32,
    }
    for name in ["full.toml", "full.json", "full.yaml"] {
        let config = load(name);
        let Some(ProcessorConfig { params, .. }) = config.handlers["file"].processors.last() else {
            panic!("no custom processor in {name}");
        };
        let params: RequestId = params.deserialize().unwrap();
        assert_eq!(
            params,
            RequestId {
                header: "X-Request-Id".to_owned(),
                length: 16
            }
        );
    }
}

#[test]
fn empty_documents_are_the_zero_config_setup() {
    for format in [Format::Toml, Format::Json, Format::Yaml] {
        assert_eq!(Config::from_str("", format).unwrap(), Config::default());
        assert_eq!(Config::from_str("  \n", format).unwrap(), Config::default());
    }
    assert_eq!(
        Config::from_str("# nothing\n", Format::Yaml).unwrap(),
        Config::default()
    );
    assert_eq!(
        Config::from_str("{}", Format::Json).unwrap(),
        Config::default()
    );
}

#[test]
fn a_document_without_loggers_and_handlers_keeps_its_level_and_queue() {
    let config = Config::from_str(
        "default_level = \"warn\"\n[queue]\ncapacity = 5\n",
        Format::Toml,
    )
    .unwrap();
    assert_eq!(config.default_level, LevelFilter::Warn);
    assert_eq!(config.queue.capacity, 5);
    assert_eq!(config.handlers, Config::default().handlers);
    assert_eq!(config.loggers, Config::default().loggers);
}

#[test]
fn flush_on_signals_is_off_unless_set_in_any_format() {
    assert!(!Config::default().flush_on_signals);
    assert!(!Config::from_str("", Format::Toml).unwrap().flush_on_signals);
    for (text, format) in [
        ("flush_on_signals = true\n", Format::Toml),
        ("{ \"flush_on_signals\": true }", Format::Json),
        ("flush_on_signals: true\n", Format::Yaml),
        ("flush_on_signals = \"true\"\n[loggers]\n", Format::Toml),
    ] {
        let config = Config::from_str(text, format).unwrap();
        assert!(config.flush_on_signals, "{text}");
    }
}

#[test]
fn env_filter_is_ko_log_unless_named_or_turned_off() {
    assert_eq!(Config::default().env_filter.as_deref(), Some("KO_LOG"));
    for (text, format, expected) in [
        ("", Format::Toml, Some("KO_LOG")),
        ("[loggers]\n", Format::Toml, Some("KO_LOG")),
        (
            "env_filter = \"RUST_LOG\"\n",
            Format::Toml,
            Some("RUST_LOG"),
        ),
        ("env_filter = false\n", Format::Toml, None),
        (
            "env_filter = true\n[loggers]\n",
            Format::Toml,
            Some("KO_LOG"),
        ),
        (
            "{ \"env_filter\": \"MY_LOG\" }",
            Format::Json,
            Some("MY_LOG"),
        ),
        ("{ \"env_filter\": false }", Format::Json, None),
        ("env_filter: RUST_LOG\n", Format::Yaml, Some("RUST_LOG")),
        ("env_filter: false\n", Format::Yaml, None),
        // What `${VAR}` expands to: the strings read as the booleans.
        (
            "env_filter = \"${NO_SUCH_VAR_KO:-false}\"\n",
            Format::Toml,
            None,
        ),
    ] {
        let config = Config::from_str(text, format).unwrap();
        assert_eq!(config.env_filter.as_deref(), expected, "{text}");
    }
}

#[test]
fn log_panics_is_off_unless_set_in_any_format() {
    assert!(!Config::default().log_panics);
    assert!(!Config::from_str("", Format::Toml).unwrap().log_panics);
    for (text, format) in [
        ("log_panics = true\n", Format::Toml),
        ("{ \"log_panics\": true, \"loggers\": {} }", Format::Json),
        ("log_panics: true\n", Format::Yaml),
    ] {
        let config = Config::from_str(text, format).unwrap();
        assert!(config.log_panics, "{text}");
    }
}

#[test]
fn explicit_empty_loggers_mean_no_loggers() {
    let config = Config::from_str("[loggers]\n", Format::Toml).unwrap();
    assert!(config.loggers.is_empty() && config.handlers.is_empty());
}

#[test]
fn the_default_config_is_colored_stderr_at_info() {
    let config = Config::default();
    assert_eq!(config.default_level, LevelFilter::Info);
    assert_eq!(config.loggers["root"].handlers, strings(&["console"]));
    let console = &config.handlers["console"];
    assert_eq!(console.name, "stream");
    assert_eq!(
        console.params,
        Params::named("stream"),
        "stderr, no prefix: the defaults"
    );
    assert_eq!(console.renderer, RendererConfig::new("colored"));
    assert_eq!(config.validate().map_err(|e| e.to_string()), Ok(()));
}

#[test]
fn defaults_of_every_table() {
    let text = r#"
[loggers.root]
handlers = ["f", "r"]
[handlers.f]
type = "file"
path = "a.log"
[handlers.r]
type = "rotating_file"
path = "b.log"
renderer = "colored"
processors = ["add_callsite", "redact", "my_custom"]
"#;
    let config = Config::from_str(text, Format::Toml).unwrap();
    assert_eq!(config.queue, QueueConfig::default());
    assert_eq!(config.default_level, LevelFilter::Info);
    let root = &config.loggers["root"];
    assert_eq!(
        (root.level, root.additive, root.context.len()),
        (None, true, 0)
    );
    // Each handler's defaults are its own (ko-log's `tests/config_components.rs`).
    assert_eq!(
        config.handlers["f"],
        HandlerConfig::new("file").with("path", "a.log")
    );
    assert_eq!(config.handlers["f"].renderer, RendererConfig::new("plain"));
    let rotating = &config.handlers["r"];
    assert_eq!(
        rotating.params,
        Params::named("rotating_file").with("path", "b.log")
    );
    assert_eq!(rotating.renderer, RendererConfig::new("colored"));
    // Bare names: no keys (each processor's defaults are its own).
    assert_eq!(
        rotating.processors,
        ["add_callsite", "redact", "my_custom"].map(ProcessorConfig::new)
    );
    assert_eq!(rotating.processors[2].params, Params::default());
}

#[test]
fn yaml_numbers_with_a_leading_zero_stay_text() {
    let node = Node::parse("mode: 0640\nplain: 640\noctal: 0o640\n", Format::Yaml).unwrap();
    assert_eq!(
        node.get("mode").unwrap().value,
        NodeValue::String("0640".to_owned())
    );
    assert_eq!(node.get("plain").unwrap().value, NodeValue::Int(640));
    assert_eq!(node.get("octal").unwrap().value, NodeValue::Int(0o640));
}

#[test]
fn nodes_remember_lines_and_columns() {
    let node = Node::parse("[a]\nkey = \"v\"\n", Format::Toml).unwrap();
    let (key, value) = node.get("a").unwrap().entry("key").unwrap();
    assert_eq!((key.line, key.column), (2, 1));
    assert_eq!((value.line, value.column), (2, 7));
    let node = Node::parse("{\n  \"a\": [1, \"é\", 3]\n}", Format::Json).unwrap();
    let NodeValue::Seq(items) = &node.get("a").unwrap().value else {
        panic!()
    };
    assert_eq!((items[2].line, items[2].column), (2, 17));
    let node = Node::parse("a:\n  - x\n  - y: 1\n", Format::Yaml).unwrap();
    let NodeValue::Seq(items) = &node.get("a").unwrap().value else {
        panic!()
    };
    let (key, _) = items[1].entry("y").unwrap();
    assert_eq!((key.line, key.column), (3, 5));
}

#[test]
fn strings_stand_for_numbers_and_booleans() {
    let text = "[queue]\ncapacity = \"64\"\n[loggers.root]\nadditive = \"false\"\n";
    let config = Config::from_str(text, Format::Toml).unwrap();
    assert_eq!(config.queue.capacity, 64);
    assert!(!config.loggers["root"].additive);
}
