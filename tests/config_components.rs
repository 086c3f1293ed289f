//! The built-in handlers', renderers' and processors' keys, read by each component's own
//! file in ko-log through the registry: every mistake refused at its file, line, column
//! and key path, as it was when the config crate read them (these tests moved here from
//! ko-log-config's `errors.rs` and `check.rs` unchanged but for how the error is obtained:
//! `ko_log::check`, whose first error is the one init refuses the text with).

use ko_log::config::handler::Timezone;
use ko_log::config::render::{Color, ColorMode, TimeFormat};
use ko_log::config::ConfigErrorKind::InvalidValue;
use ko_log::config::{Config, ConfigError, ConfigErrorKind, Format, Template};
use ko_log::render::{ColoredConfig, JsonConfig, LevelColors, PlainConfig};
use support::config::assert_at;

fn refuse(format: Format, text: &str) -> ConfigError {
    match ko_log::check::text(text, format).errors.into_iter().next() {
        Some(e) => e,
        None => panic!("accepted:\n{text}"),
    }
}

#[test]
fn bad_template_placeholder_points_into_the_string() {
    let text = "[handlers.c]\ntype = \"stream\"\nrenderer = { type = \"plain\", format = \"{time} {level:<8x} {message}\" }\n";
    let e = refuse(Format::Toml, text);
    // Column of the `x` inside the string.
    assert_at(&e, InvalidValue, 3, 56, "handlers.c.renderer.format");
    let e = refuse(Format::Yaml, "handlers:\n  c:\n    type: stream\n    renderer:\n      type: colored\n      format: \"{time} {message\"\n");
    assert_at(&e, InvalidValue, 6, 23, "handlers.c.renderer.format");
    // An escape before the mistake: the column falls back to the start of the string.
    let e = refuse(Format::Json, "{\"handlers\": {\"c\": {\"type\": \"stream\", \"renderer\": {\"type\": \"plain\", \"format\": \"\\u0041 {}\"}}}}");
    assert_at(&e, InvalidValue, 1, 79, "handlers.c.renderer.format");
}

#[test]
fn bad_time_format() {
    let text = "[handlers.c]\ntype = \"stream\"\nrenderer = { type = \"plain\", time_format = \"[hour]:[minnute]\" }\n";
    let e = refuse(Format::Toml, text);
    assert_at(&e, InvalidValue, 3, 53, "handlers.c.renderer.time_format");
}

#[test]
fn snapshot_template() {
    let checked = ko_log::check::file("ko-log-config/tests/fixtures/errors/template.yaml", None);
    let e = &checked.errors[0];
    assert_eq!(
        e.to_string(),
        "\
error: invalid template: unclosed `{` (write `{{` for a literal brace)
 --> ko-log-config/tests/fixtures/errors/template.yaml:7:34
  |
7 |       format: \"{time} {level:<8} {message\"
  |                                  ^
  = key: handlers.file.renderer.format"
    );
}

/// Found by the fuzz test: `time` 0.3.55 panics on this description (a `debug_assert`)
/// instead of returning its error; ko-log refuses it like any bad `time_format`.
#[test]
fn a_time_format_that_trips_the_time_crate_is_refused_not_a_panic() {
    let e = refuse(
        Format::Toml,
        "[handlers.c]\ntype = \"stream\"\nrenderer = { type = \"plain\", time_format = \"[hour]:['[['minute]\" }\n",
    );
    assert_eq!(e.key_path(), "handlers.c.renderer.time_format");
    assert!(
        e.message().starts_with("invalid time format: "),
        "{}",
        e.message()
    );
    let location = e.location().unwrap();
    assert_eq!(location.line, 3);
}

#[test]
fn bad_color() {
    let text = "[handlers.c]\ntype = \"stream\"\nrenderer = { type = \"colored\", colors = { warn = \"orange\" } }\n";
    let e = refuse(Format::Toml, text);
    assert_at(&e, InvalidValue, 3, 50, "handlers.c.renderer.colors.warn");
    assert_eq!(e.message(), "unknown color `orange`");
}

#[test]
fn a_json_indent_above_16_and_an_empty_fields_key_are_refused_at_their_value() {
    let text = "[handlers.c]\ntype = \"stream\"\nrenderer = { type = \"json\", indent = 17 }\n";
    let e = refuse(Format::Toml, text);
    assert_at(&e, InvalidValue, 3, 38, "handlers.c.renderer.indent");
    assert_eq!(e.message(), "indent 17 is larger than 16");
    let text =
        "[handlers.c]\ntype = \"stream\"\nrenderer = { type = \"json\", fields_key = \"\" }\n";
    let e = refuse(Format::Toml, text);
    assert_at(&e, InvalidValue, 3, 42, "handlers.c.renderer.fields_key");
    assert_eq!(e.message(), "`fields_key` must not be empty");
}

/// The renderers of `full.toml` (every key, once) read into their typed configs; the
/// config crate's `formats.rs` checks that the three formats give the same params.
#[test]
fn the_full_fixtures_renderers_read_every_key() {
    for file in ["full.toml", "full.json", "full.yaml"] {
        let config = Config::from_path(format!("ko-log-config/tests/fixtures/{file}")).unwrap();
        let renderer = |name: &str| &config.handlers[name].renderer;
        assert_eq!(
            ColoredConfig::from_params(&renderer("console").params).unwrap(),
            ColoredConfig {
                format: Template::parse("{time} {level:<8} [{target}] {message}{kv}").unwrap(),
                time_format: TimeFormat::parse("[hour]:[minute]:[second]").unwrap(),
                timezone: Timezone::Utc,
                colors: LevelColors {
                    error: Color::BrightRed,
                    warn: Color::Rgb(0xff, 0xaa, 0x00),
                    info: Color::Green,
                    debug: Color::Blue,
                    trace: Color::BrightBlack,
                },
                color: ColorMode::Always,
            },
            "{file}"
        );
        assert_eq!(
            JsonConfig::from_params(&renderer("file").params).unwrap(),
            JsonConfig {
                flatten: false,
                fields_key: "kv".to_owned(),
                pretty: true,
                indent: 4,
                timezone: Timezone::Utc,
            },
            "{file}"
        );
        assert_eq!(
            PlainConfig::from_params(&renderer("db_file").params).unwrap(),
            PlainConfig {
                format: Template::parse("{level:>5} {message} {user_id:^10}").unwrap(),
                time_format: TimeFormat::parse("rfc3339").unwrap(),
                timezone: Timezone::Local,
            },
            "{file}"
        );
        assert_eq!(
            PlainConfig::from_params(&renderer("null").params).unwrap(),
            PlainConfig::default()
        );
    }
}

/// The handlers of `full.toml` (every key, once) read into their typed configs, and the
/// defaults of each (were ko-log-config's `formats.rs`, which now checks that the three
/// formats give the same params).
#[test]
fn the_full_fixtures_handlers_read_every_key_and_default_the_rest() {
    use ko_log::config::handler::{Compress, JournalPrefix, Rotation, Stream};
    use ko_log::handler::{FileConfig, OpenMode, RotatingFileConfig, StreamConfig};
    use std::time::Duration;
    for file in ["full.toml", "full.json", "full.yaml"] {
        let config = Config::from_path(format!("ko-log-config/tests/fixtures/{file}")).unwrap();
        let params = |name: &str| &config.handlers[name].params;
        assert_eq!(
            StreamConfig::from_params(params("console")).unwrap(),
            StreamConfig {
                stream: Stream::Stdout,
                journal_prefix: JournalPrefix::Never,
            },
            "{file}"
        );
        assert_eq!(
            RotatingFileConfig::from_params(params("file")).unwrap(),
            RotatingFileConfig {
                file: FileConfig {
                    path: "logs/app.log".into(),
                    mode: OpenMode::Truncate,
                    create_dirs: false,
                    file_mode: 0o600,
                    reopen_check: Duration::ZERO,
                },
                max_bytes: Some(10 * 1024 * 1024),
                rotation: Rotation::Daily,
                backup_count: 7,
                timezone: Timezone::Utc,
                compress: Compress::Gzip,
                max_age: Some(Duration::from_secs(14 * 86_400)),
            },
            "{file}"
        );
        assert_eq!(
            FileConfig::from_params(params("db_file")).unwrap(),
            FileConfig {
                path: "logs/db.log".into(),
                mode: OpenMode::Append,
                create_dirs: true,
                file_mode: 0o644,
                reopen_check: Duration::from_secs(2),
            },
            "{file}"
        );
    }
    let text = "[handlers.f]\ntype = \"file\"\npath = \"a.log\"\n[handlers.r]\ntype = \"rotating_file\"\npath = \"b.log\"\n[handlers.s]\ntype = \"stream\"\n";
    let config = Config::from_str(text, Format::Toml).unwrap();
    let read = |name: &str| &config.handlers[name].params;
    let file = FileConfig::from_params(read("f")).unwrap();
    let (m, c, fm, rc) = (
        file.mode,
        file.create_dirs,
        file.file_mode,
        file.reopen_check,
    );
    assert_eq!(
        (m, c, fm, rc),
        (OpenMode::Append, true, 0o640, Duration::from_secs(1))
    );
    assert_eq!(file, FileConfig::new("a.log"));
    let r = RotatingFileConfig::from_params(read("r")).unwrap();
    let policy = (r.max_bytes, r.rotation, r.backup_count, r.timezone);
    assert_eq!(policy, (None, Rotation::Never, 5, Timezone::Local));
    assert_eq!((r.compress, r.max_age), (Compress::None, None));
    assert_eq!(r, RotatingFileConfig::new(FileConfig::new("b.log")));
    let s = StreamConfig::from_params(read("s")).unwrap();
    assert_eq!(
        (s.stream, s.journal_prefix),
        (Stream::Stderr, JournalPrefix::Never)
    );
}

/// What `Config::validate` checked on a handler built in Rust is the handler's own check
/// now, run by init and `ko_log::check::config` with the same key path.
#[test]
fn a_handler_built_in_rust_is_checked_at_its_key_path() {
    let mut config = Config::default();
    config.handlers.insert(
        "f".to_owned(),
        ko_log::config::HandlerConfig::new("rotating_file")
            .with("path", "x.log")
            .with("max_bytes", 0),
    );
    config.handlers.insert(
        "g".to_owned(),
        ko_log::config::HandlerConfig::new("file").with("path", ""),
    );
    let found: Vec<(String, String, bool)> = ko_log::check::config(&config)
        .iter()
        .map(|e| {
            (
                e.key_path().to_owned(),
                e.message().to_owned(),
                e.location().is_none(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            (
                "handlers.f.max_bytes".to_owned(),
                "the size must be greater than 0".to_owned(),
                true
            ),
            (
                "handlers.g.path".to_owned(),
                "the path must not be empty".to_owned(),
                true
            ),
        ]
    );
    let Err(refused) = ko_log::Backend::new(config) else {
        panic!("accepted")
    };
    assert!(
        refused
            .to_string()
            .contains("the size must be greater than 0"),
        "{refused}"
    );
}

/// The config crate's fixture of mistakes in every part of a config.
const MANY: &str = include_str!("../ko-log-config/tests/fixtures/many_mistakes.toml");

/// ko-log-config's `check.rs` reports this file's own mistakes; `ko_log::check` adds the
/// handlers', the renderer's and the processors' (which only the runtime knows), each at
/// its place, every mistake of a table (the missing `path` beside the unknown key).
#[test]
fn a_check_reports_the_components_mistakes_in_document_order() {
    let found: Vec<(usize, usize, String, String)> = ko_log::check::text(MANY, Format::Toml)
        .errors
        .iter()
        .map(|e| {
            let at = e.location().unwrap();
            (
                at.line,
                at.column,
                e.key_path().to_owned(),
                e.message().to_owned(),
            )
        })
        .filter(|(_, _, key, _)| key.starts_with("handlers."))
        .collect();
    let expected = [
        (17, 10, "handlers.console.stream", "unknown value `stdin`"),
        (
            18,
            42,
            "handlers.console.renderer.format",
            "invalid template: unclosed `{` (write `{{` for a literal brace)",
        ),
        (20, 1, "handlers.file.path", "missing key `path`"),
        (22, 1, "handlers.file.max_byte", "unknown key `max_byte`"),
        (
            23,
            55,
            "handlers.file.processors[0].min_level",
            "unknown level `loud`",
        ),
        (
            23,
            91,
            "handlers.file.processors[1].keys",
            "expected a sequence, found integer `5`",
        ),
    ];
    let expected: Vec<(usize, usize, String, String)> = expected
        .iter()
        .map(|(l, c, k, m)| (*l, *c, (*k).to_owned(), (*m).to_owned()))
        .collect();
    assert_eq!(found, expected);
}

/// A check goes on after a refused handler type: the handler's renderer is still
/// checked (ko-log-config's `check.rs` has the rest of this file's mistakes).
#[test]
fn a_check_reports_a_renderer_mistake_beside_the_configs_own() {
    let text = "[handlers.console]\ntype = \"stream\"\nstream = \"stdin\"\nrenderer = { type = \"colored\", format = \"{time\" }\n";
    let found: Vec<(usize, usize, String)> = ko_log::check::text(text, Format::Toml)
        .errors
        .iter()
        .map(|e| {
            let at = e.location().unwrap();
            (at.line, at.column, e.key_path().to_owned())
        })
        .collect();
    assert_eq!(
        found,
        [
            (3, 10, "handlers.console.stream".to_owned()),
            (4, 42, "handlers.console.renderer.format".to_owned()),
        ]
    );
}

/// A mistake in merged YAML content is reported at the anchor's line (ko-log-config's
/// `yaml_merge.rs` has the handler half of this test).
#[test]
fn a_mistake_inside_a_merged_handler_is_reported_at_the_anchor() {
    // `path` suits the file handler that holds the anchor, not the stream that merges it.
    let text = "\
handlers:
  app: &file
    type: file
    path: app.log
  console:
    <<: *file
    type: stream
";
    let e = refuse(Format::Yaml, text);
    let location = e.location().unwrap();
    assert_eq!(
        (
            e.kind(),
            e.message(),
            location.line,
            location.column,
            e.key_path()
        ),
        (
            ConfigErrorKind::UnknownKey,
            "unknown key `path`",
            4,
            5,
            "handlers.console.path"
        )
    );
}

#[test]
fn a_mistake_inside_a_merged_processor_is_reported_at_the_anchor() {
    // The anchor is on the first item; `keys` suits `filter_keys`, not the item merging it.
    let text = "\
handlers:
  c:
    type: stream
    processors:
      - &keys
        type: filter_keys
        keys: [password]
      - <<: *keys
        type: filter_by_level
        min_level: info
";
    let e = refuse(Format::Yaml, text);
    let location = e.location().unwrap();
    let at = (
        e.kind(),
        e.message(),
        location.line,
        location.column,
        e.key_path(),
    );
    assert_eq!(
        at,
        (
            ConfigErrorKind::UnknownKey,
            "unknown key `keys`",
            7,
            9,
            "handlers.c.processors[1].keys"
        )
    );
}

/// The renderers' and processors' keys are checked before any handler opens: a mistake in
/// the second handler's renderer leaves the first handler's file uncreated, as when the
/// config crate refused such a file (each handler would otherwise have opened first).
#[test]
fn a_components_mistake_creates_no_file() {
    let (_dir, log) = support::temp_path("app.log");
    for (renderer, processor) in [
        ("\"plain\"", "{ type = \"redact\", keys = 5 }"),
        ("{ type = \"json\", indent = 99 }", "\"filter_markup\""),
    ] {
        let text = format!(
            "[handlers.a]\ntype = \"file\"\npath = {log:?}\n[handlers.b]\ntype = \"file\"\npath = {log:?}\nrenderer = {renderer}\nprocessors = [{processor}]\n"
        );
        let config = Config::from_str(&text, Format::Toml).unwrap();
        let error = ko_log::Backend::new(config).unwrap_err().to_string();
        assert!(error.contains("handlers.b."), "{error}");
        assert!(!log.exists(), "{text}");
    }
    // The same for the second handler's own keys (the config crate used to refuse them).
    for key in ["max_bytes = 0", "max_byts = 5", "compress = \"brotli\""] {
        let text = format!(
            "[handlers.a]\ntype = \"file\"\npath = {log:?}\n[handlers.b]\ntype = \"rotating_file\"\npath = {log:?}\n{key}\n"
        );
        let config = Config::from_str(&text, Format::Toml).unwrap();
        let error = ko_log::Backend::new(config).unwrap_err().to_string();
        assert!(error.contains("handlers.b."), "{error}");
        assert!(!log.exists(), "{text}");
    }
}

// ---- the handlers' keys (were ko-log-config's `errors.rs`) ----

/// `(format, text, kind, line, column, key path, suggestion or message)`.
type Case = (
    Format,
    &'static str,
    ConfigErrorKind,
    usize,
    usize,
    &'static str,
    Option<&'static str>,
);

/// Each handler-key mistake ko-log-config's `errors.rs` pinned, at the same line, column
/// and key path.
#[test]
fn a_handlers_mistake_is_refused_at_its_key() {
    use ConfigErrorKind::{InvalidValue, MissingKey, UnknownKey};
    let cases: &[Case] = &[
        (Format::Toml, "[handlers.file]\ntype = \"rotating_file\"\npath = \"x\"\nmax_byts = 5\n",
            UnknownKey, 4, 1, "handlers.file.max_byts", Some("max_bytes")),
        (Format::Json, "{\"handlers\": {\"file\": {\"type\": \"rotating_file\", \"path\": \"x\",\n    \"max_byts\": 5}}}",
            UnknownKey, 2, 5, "handlers.file.max_byts", Some("max_bytes")),
        (Format::Yaml, "handlers:\n  file:\n    type: rotating_file\n    path: x\n    max_byts: 5\n",
            UnknownKey, 5, 5, "handlers.file.max_byts", Some("max_bytes")),
        // The keys every handler takes are suggested too.
        (Format::Toml, "[handlers.c]\ntype = \"stream\"\nrenderr = \"json\"\n",
            UnknownKey, 3, 1, "handlers.c.renderr", Some("renderer")),
        (Format::Json, "{\"handlers\": {\"f\": {\"type\": \"file\"}}}",
            MissingKey, 1, 20, "handlers.f.path", Some("missing key `path`")),
        (Format::Toml, "[handlers.f]\ntype = \"rotating_file\"\npath = \"x\"\nmax_bytes = \"10 MiBB\"\n",
            InvalidValue, 4, 13, "handlers.f.max_bytes", None),
        (Format::Json, "{\"handlers\": {\"f\": {\"type\": \"rotating_file\", \"path\": \"x\", \"max_bytes\": 0}}}",
            InvalidValue, 1, 72, "handlers.f.max_bytes", Some("the size must be greater than 0")),
        (Format::Yaml, "handlers:\n  f:\n    type: file\n    path: x\n    file_mode: 640\n",
            InvalidValue, 5, 16, "handlers.f.file_mode", None),
        (Format::Yaml, "handlers:\n  f:\n    type: file\n    path: x\n    file_mode: 0689\n",
            InvalidValue, 5, 16, "handlers.f.file_mode", None),
        (Format::Yaml, "handlers:\n  f:\n    type: file\n    path: x\n    reopen_check: -1\n",
            InvalidValue, 5, 19, "handlers.f.reopen_check", None),
    ];
    for &(format, text, kind, line, column, key_path, said) in cases {
        let e = refuse(format, text);
        assert_at(&e, kind, line, column, key_path);
        if let Some(said) = said {
            assert!(
                [e.suggestion(), Some(e.message())].contains(&Some(said)),
                "{e}"
            );
        }
    }
}
