//! Every refusal names the file, line, column and key path: one test per mistake in
//! issue 2's list (in each format where the format matters), plus whole-message snapshots.

use std::error::Error as _;

use ko_log_config::ConfigErrorKind::{
    Environment, InvalidValue, MissingKey, Syntax, UnknownHandler, UnknownKey, UnknownType,
};
use ko_log_config::{Config, ConfigError, ConfigErrorKind, Format, ProcessorConfig};

fn refuse(format: Format, text: &str) -> ConfigError {
    match Config::from_str(text, format) {
        Ok(config) => panic!("accepted:\n{text}\n{config:?}"),
        Err(e) => e,
    }
}

/// Asserts kind, line, column and key path.
#[track_caller]
fn assert_at(
    error: &ConfigError,
    kind: ConfigErrorKind,
    line: usize,
    column: usize,
    key_path: &str,
) {
    let location = error
        .location()
        .unwrap_or_else(|| panic!("no location:\n{error}"));
    assert_eq!(
        (
            error.kind(),
            location.line,
            location.column,
            error.key_path()
        ),
        (kind, line, column, key_path),
        "\n{error}"
    );
}

// ---- syntax ----

#[test]
fn toml_syntax_error() {
    let e = refuse(Format::Toml, "[queue]\ncapacity = \n");
    assert_at(&e, Syntax, 2, 12, "");
    assert_eq!(e.code(), "CONFIGURATION::Config::SYNTAX::ERROR");
    assert!(e.source().is_some(), "the parser's error is the source");
}

#[test]
fn json_syntax_error() {
    let e = refuse(Format::Json, "{\n  \"queue\": {\"capacity\": 1,}\n}");
    assert_at(&e, Syntax, 2, 26, "");
    assert_eq!(e.message(), "Trailing commas are not allowed");
    let e = refuse(Format::Json, "{\n  // comment\n}");
    assert_at(&e, Syntax, 2, 3, "");
}

#[test]
fn yaml_syntax_error() {
    let e = refuse(Format::Yaml, "queue:\n  capacity: 1\n bad: 2\n");
    assert_at(&e, Syntax, 3, 2, "");
    let e = refuse(Format::Yaml, "queue: [1, 2\n");
    assert_eq!(e.kind(), ConfigErrorKind::Syntax);
    assert!(e.location().is_some());
}

#[test]
fn duplicate_keys_are_syntax_errors_in_every_format() {
    let e = refuse(
        Format::Toml,
        "default_level = \"info\"\ndefault_level = \"warn\"\n",
    );
    assert_at(&e, Syntax, 2, 1, "");
    let e = refuse(
        Format::Json,
        "{\"default_level\": \"info\",\n \"default_level\": \"warn\"}",
    );
    assert_at(&e, Syntax, 2, 2, "");
    assert_eq!(e.message(), "duplicate key `default_level`");
    let e = refuse(Format::Yaml, "default_level: info\ndefault_level: warn\n");
    assert_at(&e, Syntax, 2, 1, "");
}

#[test]
fn a_second_yaml_document_is_refused() {
    let e = refuse(
        Format::Yaml,
        "default_level: info\n---\ndefault_level: warn\n",
    );
    assert_at(&e, Syntax, 3, 1, "");
}

#[test]
fn the_root_must_be_a_table() {
    let e = refuse(Format::Json, "\n  [1, 2]");
    assert_at(&e, InvalidValue, 2, 3, "");
    assert_eq!(e.message(), "expected a table, found a list");
}

// ---- unknown keys and types ----

#[test]
fn unknown_top_level_key_lists_the_keys() {
    let e = refuse(Format::Toml, "[handler.c]\ntype = \"stream\"\n");
    assert_at(&e, UnknownKey, 1, 2, "handler");
    assert_eq!(e.suggestion(), Some("handlers"));
    let e = refuse(Format::Toml, "colour = 1\n");
    assert_eq!(e.suggestion(), None);
    assert_eq!(
        e.help(),
        Some("expected `default_level`, `queue`, `loggers`, `env_file`, `flush_on_signals`, `watch`, `env_filter`, `log_panics` or `handlers`")
    );
}

#[test]
fn an_unknown_handler_type_is_kept_for_the_runtime_registry() {
    // The runtime resolves it among registered handlers and refuses a misspelling with
    // "did you mean" (tests/init_errors.rs); here it is kept with its located params.
    let config = Config::from_str(
        "[handlers.file]\ntype = \"rotating_fil\"\npath = \"x\"\nlevel = \"warn\"\n",
        Format::Toml,
    )
    .unwrap();
    let handler = &config.handlers["file"];
    let (name, params) = (&handler.name, &handler.params);
    assert_eq!(name, "rotating_fil");
    assert_eq!(params.key_path(), "handlers.file");
    assert_eq!(
        handler.level,
        Some(log::LevelFilter::Warn),
        "common keys still read"
    );
    let e = params.unknown_type("handler", &["file", "rotating_file"]);
    assert_at(&e, UnknownType, 2, 8, "handlers.file.type");
    assert_eq!(e.suggestion(), Some("rotating_file"));
}

#[test]
fn missing_handler_type() {
    let e = refuse(Format::Toml, "[handlers.file]\npath = \"x\"\n");
    assert_at(&e, MissingKey, 1, 1, "handlers.file.type");
}

#[test]
fn an_unknown_renderer_type_is_kept_for_the_runtime_registry() {
    let config = Config::from_str(
        "[handlers.c]\ntype = \"stream\"\nrenderer = { type = \"jsn\" }\n",
        Format::Toml,
    )
    .unwrap();
    let ko_log_config::RendererConfig { name, params, .. } = &config.handlers["c"].renderer;
    assert_eq!(name, "jsn");
    let e = params.unknown_type("renderer", &["colored", "json", "logfmt", "plain"]);
    assert_at(&e, UnknownType, 3, 21, "handlers.c.renderer.type");
    assert_eq!(e.suggestion(), Some("json"));
    let config = Config::from_str(
        "handlers:\n  c:\n    type: stream\n    renderer: colour\n",
        Format::Yaml,
    )
    .unwrap();
    let params = &config.handlers["c"].renderer.params;
    let e = params.unknown_type("renderer", &["colored", "json", "logfmt", "plain"]);
    assert_at(&e, UnknownType, 4, 15, "handlers.c.renderer.type");
}

#[test]
fn unknown_processor_type_is_reported_by_the_runtime_through_params() {
    let text = "[handlers.c]\ntype = \"stream\"\nprocessors = [\n  { type = \"filter_keys\", keys = [] },\n  { type = \"filter_by_levl\", min_level = \"info\" },\n]\n";
    let config = Config::from_str(text, Format::Toml).unwrap();
    let ProcessorConfig { name, params, .. } = &config.handlers["c"].processors[1];
    assert_eq!(name, "filter_by_levl");
    let e = params.unknown_type("processor", &["filter_by_level", "filter_keys", "redact"]);
    assert_at(&e, UnknownType, 5, 12, "handlers.c.processors[1].type");
    assert_eq!(e.suggestion(), Some("filter_by_level"));
}

#[test]
fn custom_processor_params_errors_are_located() {
    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct RequestId {
        header: String,
        length: u8,
    }
    let text = "handlers:\n  c:\n    type: stream\n    processors:\n      - type: request_id\n        header: X-Id\n        length: 300\n      - type: request_id\n        header: X-Id\n        lenght: 3\n";
    let config = Config::from_str(text, Format::Yaml).unwrap();
    let params = |i: usize| config.handlers["c"].processors[i].params.clone();
    let e = params(0).deserialize::<RequestId>().unwrap_err();
    assert_at(&e, InvalidValue, 7, 17, "handlers.c.processors[0].length");
    let e = params(1).deserialize::<RequestId>().unwrap_err();
    assert_at(&e, UnknownKey, 10, 9, "handlers.c.processors[1].lenght");
    assert_eq!(e.suggestion(), Some("length"));
    let e = params(1).error("the registry is closed");
    assert_at(&e, InvalidValue, 8, 15, "handlers.c.processors[1]");
    let e = params(1).error_at("header", "header names are lower case here");
    assert_at(&e, InvalidValue, 9, 17, "handlers.c.processors[1].header");
}

#[test]
fn custom_params_refuse_keys_the_type_does_not_take_without_deny_unknown_fields() {
    use std::collections::{BTreeMap, HashMap};

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Header {
        name: String,
        #[serde(default)]
        lower_case: bool,
    }

    /// No `deny_unknown_fields`: serde's derive would skip an unknown key.
    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct RequestId {
        header: Header,
        #[serde(default, alias = "len")]
        length: u8,
        #[serde(default)]
        overwrite: bool,
    }

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Flattened {
        header: String,
        #[serde(flatten)]
        rest: BTreeMap<String, String>,
    }

    let text = "\
handlers:
  c:
    type: stream
    processors:
      - type: request_id
        header: {name: X-Id}
        len: 8
        overwrit: true
      - type: request_id
        header:
          name: X-Id
          lowercase: true
      - type: request_id
        header: {name: X-Id}
        volume: 11
";
    let config = Config::from_str(text, Format::Yaml).unwrap();
    let params = |i: usize| config.handlers["c"].processors[i].params.clone();
    let e = params(0).deserialize::<RequestId>().unwrap_err();
    assert_at(&e, UnknownKey, 8, 9, "handlers.c.processors[0].overwrit");
    assert_eq!(e.message(), "unknown key `overwrit`");
    assert_eq!(e.suggestion(), Some("overwrite"));
    // In a nested table too.
    let e = params(1).deserialize::<RequestId>().unwrap_err();
    assert_at(
        &e,
        UnknownKey,
        12,
        11,
        "handlers.c.processors[1].header.lowercase",
    );
    assert_eq!(e.suggestion(), Some("lower_case"));
    // No near name: the accepted keys (aliases included, and `type`).
    let e = params(2).deserialize::<RequestId>().unwrap_err();
    assert_at(&e, UnknownKey, 15, 9, "handlers.c.processors[2].volume");
    assert_eq!(
        e.help(),
        Some("expected `header`, `len`, `length`, `overwrite` or `type`")
    );

    // Maps take any key; a flattened map takes the keys the struct does not name.
    let map: HashMap<String, serde::de::IgnoredAny> = params(2).deserialize().unwrap();
    assert_eq!(map.len(), 2);
    let text = "[handlers.c]\ntype = \"stream\"\nprocessors = [{ type = \"tag\", header = \"X\", zone = \"eu\" }]\n";
    let config = Config::from_str(text, Format::Toml).unwrap();
    let params = &config.handlers["c"].processors[0].params;
    assert_eq!(
        params.deserialize::<Flattened>().unwrap(),
        Flattened {
            header: "X".to_owned(),
            rest: BTreeMap::from([("zone".to_owned(), "eu".to_owned())]),
        }
    );
}

// ---- references ----

#[test]
fn logger_naming_a_missing_handler() {
    let text = "[loggers.root]\nhandlers = [\"console\", \"fil\"]\n[handlers.file]\ntype = \"null\"\n[handlers.console]\ntype = \"null\"\n";
    let e = refuse(Format::Toml, text);
    assert_at(&e, UnknownHandler, 2, 24, "loggers.root.handlers[1]");
    assert_eq!(e.suggestion(), Some("file"));
    let e = refuse(
        Format::Yaml,
        "loggers:\n  \"my_app::db\":\n    handlers:\n      - audit\n",
    );
    assert_at(
        &e,
        UnknownHandler,
        4,
        9,
        "loggers.\"my_app::db\".handlers[0]",
    );
    assert_eq!(
        e.help(),
        Some("no handlers are defined: add one under `handlers`")
    );
}

// ---- values ----

#[test]
fn bad_level() {
    let e = refuse(Format::Toml, "[loggers.\"my_app::db\"]\nlevel = \"inf\"\n");
    assert_at(&e, InvalidValue, 2, 9, "loggers.\"my_app::db\".level");
    assert_eq!(e.message(), "unknown level `inf`");
    assert_eq!(e.suggestion(), Some("info"));
    let e = refuse(Format::Json, "{\"default_level\": 3}");
    assert_at(&e, InvalidValue, 1, 19, "default_level");
    let e = refuse(
        Format::Yaml,
        "handlers:\n  c:\n    type: stream\n    level: verbose\n",
    );
    assert_at(&e, InvalidValue, 4, 12, "handlers.c.level");
}

#[test]
fn bad_duration() {
    let e = refuse(Format::Toml, "[queue]\ndrain_timeout = \"5 parsecs\"\n");
    assert_at(&e, InvalidValue, 2, 17, "queue.drain_timeout");
}

#[test]
fn zero_capacity() {
    let e = refuse(Format::Toml, "[queue]\ncapacity = 0\n");
    assert_at(&e, InvalidValue, 2, 12, "queue.capacity");
    assert_eq!(e.message(), "the queue capacity must be at least 1");
}

#[test]
fn capacity_above_the_maximum() {
    assert_eq!(ko_log_config::QueueConfig::MAX_CAPACITY, 1_048_576);
    let e = refuse(Format::Toml, "[queue]\ncapacity = 10000000000\n");
    assert_at(&e, InvalidValue, 2, 12, "queue.capacity");
    assert_eq!(
        e.message(),
        "the queue capacity must be at most 1048576 (2^20)"
    );
    let e = refuse(Format::Json, "{\"queue\": {\"capacity\": \"1048577\"}}");
    assert_at(&e, InvalidValue, 1, 24, "queue.capacity");
    let e = refuse(Format::Yaml, "queue:\n  capacity: 18446744073709551615\n");
    assert_at(&e, InvalidValue, 2, 13, "queue.capacity");
    let config = Config::from_str("[queue]\ncapacity = 1048576\n", Format::Toml).unwrap();
    assert_eq!(config.queue.capacity, 1 << 20);
}

#[test]
fn bad_enum_value() {
    let e = refuse(Format::Toml, "[queue]\nbackpressure = \"drop-oldest\"\n");
    assert_at(&e, InvalidValue, 2, 16, "queue.backpressure");
    assert_eq!(e.suggestion(), Some("drop_oldest"));
}

#[test]
fn wrong_value_types() {
    let e = refuse(Format::Toml, "[loggers.root]\nadditive = \"yes\"\n");
    assert_at(&e, InvalidValue, 2, 12, "loggers.root.additive");
    assert_eq!(e.message(), "expected a boolean, found string \"yes\"");
    let e = refuse(Format::Toml, "flush_on_signals = 1\n");
    assert_at(&e, InvalidValue, 1, 20, "flush_on_signals");
    let e = refuse(Format::Toml, "log_panics = \"yes\"\n");
    assert_at(&e, InvalidValue, 1, 14, "log_panics");
    let e = refuse(
        Format::Toml,
        "[loggers.root]\ncontext = { nested = { a = 1 } }\n",
    );
    assert_at(&e, InvalidValue, 2, 22, "loggers.root.context.nested");
    let e = refuse(Format::Toml, "queue = 5\n");
    assert_at(&e, InvalidValue, 1, 9, "queue");
}

// ---- environment and files ----

#[test]
fn unset_environment_variable() {
    let text = "[handlers.f]\ntype = \"file\"\npath = \"logs/${KO_LOG_TEST_SURELY_UNSET}/x.log\"\n";
    let e = refuse(Format::Toml, text);
    assert_at(&e, Environment, 3, 14, "handlers.f.path");
    assert_eq!(e.code(), "CONFIGURATION::Config::ENVIRONMENT::ERROR");
    assert_eq!(
        e.message(),
        "environment variable `KO_LOG_TEST_SURELY_UNSET` is not set"
    );
}

#[test]
fn unreadable_file() {
    let e = Config::from_path("tests/fixtures/no-such-file.toml").unwrap_err();
    assert_eq!(e.kind(), ConfigErrorKind::Io);
    assert_eq!(e.code(), "CONFIGURATION::Config::IO::ERROR");
    assert_eq!(
        e.file(),
        Some(std::path::Path::new("tests/fixtures/no-such-file.toml"))
    );
    assert!(
        e.message().contains("tests/fixtures/no-such-file.toml"),
        "{e}"
    );
    assert!(e.source().is_some_and(|s| s.is::<std::io::Error>()));
    let dir = tempfile::tempdir().unwrap();
    let e = Config::from_path(dir.path().join("sub").with_extension("yaml")).unwrap_err();
    assert_eq!(e.kind(), ConfigErrorKind::Io);
}

#[test]
fn unknown_extension() {
    let e = Config::from_path("log.ini").unwrap_err();
    assert_eq!(e.kind(), ConfigErrorKind::UnknownFormat);
    assert_eq!(e.file(), Some(std::path::Path::new("log.ini")));
}

#[test]
fn invalid_utf8_is_a_located_syntax_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.toml");
    std::fs::write(&path, b"[queue]\ncapacity = \xff\n").unwrap();
    let e = Config::from_path(&path).unwrap_err();
    assert_at(&e, Syntax, 2, 12, "");
    assert_eq!(e.location().unwrap().file.as_deref(), Some(path.as_path()));
}

#[test]
fn validate_checks_configs_built_in_rust() {
    let mut config = Config::default();
    config.queue.capacity = 0;
    let e = config.validate().unwrap_err();
    assert_eq!(
        (e.kind(), e.key_path(), e.location()),
        (ConfigErrorKind::InvalidValue, "queue.capacity", None)
    );
    let mut config = Config::default();
    config.queue.capacity = ko_log_config::QueueConfig::MAX_CAPACITY;
    assert!(config.validate().is_ok());
    config.queue.capacity += 1;
    let e = config.validate().unwrap_err();
    assert_eq!(
        (e.kind(), e.key_path(), e.location(), e.message()),
        (
            ConfigErrorKind::InvalidValue,
            "queue.capacity",
            None,
            "the queue capacity must be at most 1048576 (2^20)"
        )
    );
    let mut config = Config::default();
    config
        .loggers
        .get_mut("root")
        .unwrap()
        .handlers
        .push("consol".to_owned());
    let e = config.validate().unwrap_err();
    assert_eq!(
        (e.kind(), e.key_path()),
        (ConfigErrorKind::UnknownHandler, "loggers.root.handlers[1]")
    );
    assert_eq!(e.suggestion(), Some("console"));
    let e = ConfigError::validation("handlers.x", "custom rule");
    assert_eq!(
        (e.kind(), e.code()),
        (
            ConfigErrorKind::Validation,
            "CONFIGURATION::Config::VALIDATION::ERROR"
        )
    );
}

// ---- whole messages ----

#[test]
fn snapshot_capacity() {
    let e = Config::from_path("tests/fixtures/errors/capacity.json").unwrap_err();
    assert_eq!(
        e.to_string(),
        "\
error: the queue capacity must be at least 1
 --> tests/fixtures/errors/capacity.json:3:17
  |
3 |     \"capacity\": 0
  |                 ^
  = key: queue.capacity"
    );
}

#[test]
fn snapshot_from_str_and_wide_gutter() {
    let text = format!("{}[loggers.root]\nlevel = \"loud\"\n", "\n".repeat(10));
    let e = refuse(Format::Toml, &text);
    assert_eq!(
        e.to_string(),
        "\
error: unknown level `loud`
  --> line 12, column 9
   |
12 | level = \"loud\"
   |         ^
   = key: loggers.root.level
   = help: expected `off`, `error`, `warn`, `warning`, `info`, `debug` or `trace`"
    );
}

// ---- what an error shows of the text ----

#[test]
fn debug_shows_the_same_diagnostic_as_display() {
    let e = refuse(Format::Toml, "[loggers.root]\nlevel = \"loud\"\n");
    assert_eq!(format!("{e:?}"), format!("{e}"));
    assert_eq!(
        format!("{e:?}"),
        "\
error: unknown level `loud`
 --> line 2, column 9
  |
2 | level = \"loud\"
  |         ^
  = key: loggers.root.level
  = help: expected `off`, `error`, `warn`, `warning`, `info`, `debug` or `trace`"
    );
    let e = ConfigError::validation("queue.capacity", "too small");
    assert_eq!(
        format!("{e:?}"),
        "error: too small\n  = key: queue.capacity"
    );
}

/// No character of `text` acts on a terminal (a line break only between lines).
#[track_caller]
fn assert_printable(text: &str) {
    let raw = text
        .chars()
        .find(|&c| c != '\n' && (c.is_control() || ('\u{2028}'..='\u{202e}').contains(&c)));
    assert_eq!(raw, None, "{text:?}");
}

#[test]
fn a_200_kb_line_is_shown_as_a_window_with_the_caret_under_the_column() {
    let context: Vec<String> = (0..10_000)
        .map(|i| format!("\"k{i}\": \"value {i}\""))
        .collect();
    let handlers: Vec<String> = (0..10_000).map(|i| format!("\"h{i}\"")).collect();
    let text = format!(
        "{{\"loggers\": {{\"root\": {{\"context\": {{{}}}, \"level\": \"loud\", \"handlers\": [{}]}}}}}}",
        context.join(", "),
        handlers.join(", ")
    );
    assert!(text.len() > 200_000, "{}", text.len());
    let e = refuse(Format::Json, &text);
    let column = text.find("\"loud\"").unwrap() + 1;
    assert_at(&e, InvalidValue, 1, column, "loggers.root.level");
    let rendered = e.to_string();
    let lines: Vec<&str> = rendered.lines().collect();
    let source = lines[3].strip_prefix("1 | ").unwrap();
    let caret = lines[4].strip_prefix("  | ").unwrap();
    assert_eq!(source.chars().count(), 120, "{source}");
    assert!(source.starts_with('…') && source.ends_with('…'), "{source}");
    assert_eq!(caret.trim_start(), "^");
    let under: String = source.chars().skip(caret.len() - 1).take(25).collect();
    assert_eq!(under, "\"loud\", \"handlers\": [\"h0\"");
    // A third of the window before the caret: `…` and 38 characters.
    assert_eq!(caret.len() - 1, 39);
    assert!(rendered.len() < 600, "{rendered}");
}

#[test]
fn control_characters_are_escaped_in_the_whole_error() {
    // In a value (quoted by the message) and a key (in the message and key path).
    let e = refuse(Format::Toml, "[loggers.root]\nlevel = \"\\u001b[2Jloud\"\n");
    assert_eq!(e.message(), "unknown level `\\u{1b}[2Jloud`");
    assert_printable(&e.to_string());
    let e = refuse(Format::Json, "{\"queue\": {\"\\u001b]0;pwned\\u0007\": 1}}");
    assert_eq!(e.message(), "unknown key `\\u{1b}]0;pwned\\u{7}`");
    assert_eq!(e.key_path(), "queue.\"\\u{1b}]0;pwned\\u{7}\"");
    assert_printable(&e.to_string());
    // Raw in the source line (a TOML comment may not hold one): the excerpt escapes it
    // and the caret stays under the same character.
    let e = refuse(
        Format::Toml,
        "[queue]\ncapacity = 1 # \u{1b}[2J\u{202e}\r\n",
    );
    assert_printable(&e.to_string());
    assert_eq!(
        e.to_string().lines().nth(3),
        Some("2 | capacity = 1 # \\u{1b}[2J\\u{202e}")
    );
    let e = refuse(Format::Yaml, "queue:\n  capacity: \"\u{1b}[2J\" # \u{85}\n");
    assert_printable(&e.to_string());
}

#[test]
fn a_huge_key_is_cut_in_the_message_and_key_path() {
    let key = "k".repeat(200_000);
    let e = refuse(Format::Json, &format!("{{\"queue\": {{\"{key}\": 1}}}}"));
    let quoted = e.message().split('`').nth(1).unwrap();
    assert_eq!(quoted.chars().count(), 120);
    assert!(quoted.contains('…'));
    assert_eq!(e.key_path().chars().count(), 512);
    assert!(e.to_string().len() < 2_000, "{e}");
}

/// `env_filter` names a variable: anything else is refused at its value, in every format.
#[test]
fn env_filter_that_is_not_a_variable_name() {
    for (format, text, line, column) in [
        (
            Format::Toml,
            "default_level = \"info\"\nenv_filter = \"\"\n",
            2,
            14,
        ),
        (Format::Toml, "env_filter = \"RUST LOG\"\n", 1, 14),
        (Format::Json, "{\n  \"env_filter\": \"1LOG\"\n}", 2, 17),
        (Format::Yaml, "env_filter: KO-LOG\n", 1, 13),
    ] {
        let e = refuse(format, text);
        assert_at(&e, InvalidValue, line, column, "env_filter");
        assert_eq!(
            e.help(),
            Some("a name is `[A-Za-z_][A-Za-z0-9_]*`; `env_filter = false` reads none")
        );
    }
    let e = refuse(Format::Toml, "env_filter = \"KO=LOG\"\n");
    assert_eq!(
        e.message(),
        "`env_filter` names an environment variable, like `RUST_LOG`; `KO=LOG` is not a variable name"
    );
    let e = refuse(Format::Toml, "env_filter = 3\n");
    assert_at(&e, InvalidValue, 1, 14, "env_filter");
    // The same rule for a config built in Rust.
    let mut config = Config::default();
    config.env_filter = Some(String::new());
    assert_eq!(config.validate().unwrap_err().key_path(), "env_filter");
}

/// `Params::error_in`: a runtime error about a key inside a nested table is located at
/// that key's value, else at the deepest key of its path that is written, else at `type`.
#[test]
fn a_runtime_error_in_a_nested_table_is_located_at_the_deepest_written_key() {
    let text = "[handlers.o]\ntype = \"otlp\"\ntls = { ca_file = \"ca.pem\" }\n";
    let config = Config::from_str(text, Format::Toml).unwrap();
    let params = &config.handlers["o"].params;
    let e = params.error_in(&["tls", "ca_file"], "cannot read ca.pem");
    assert_at(&e, InvalidValue, 3, 19, "handlers.o.tls.ca_file");
    let e = params.error_in(&["tls", "key_file"], "needs a certificate");
    assert_at(&e, InvalidValue, 3, 7, "handlers.o.tls.key_file");
    let e = params.error_in(&["headers", "x"], "not written");
    assert_at(&e, InvalidValue, 2, 8, "handlers.o.headers.x");
}
