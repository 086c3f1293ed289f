//! `renderer = { type = "logfmt" }`: its keys read into `LogfmtConfig` (by the renderer's
//! own file in ko-log, through the registry), and each mistake (an unknown key, a bad
//! time format, a key name that is not a logfmt key, two own keys with one name) refused
//! with its line, column and key path by `ko_log::check`, as init refuses it.

use ko_log::config::handler::Timezone;
use ko_log::config::render::TimeFormat;
use ko_log::config::ConfigErrorKind::{InvalidValue, UnknownKey};
use ko_log::config::{Config, ConfigError, ConfigErrorKind, Format, RendererConfig};
use ko_log::render::LogfmtConfig;
use support::config::assert_at;

fn renderer(format: Format, text: &str) -> RendererConfig {
    match Config::from_str(text, format) {
        Ok(config) => config.handlers["c"].renderer.clone(),
        Err(e) => panic!("refused:\n{text}\n{e}"),
    }
}

/// The typed config the logfmt renderer reads from `text`.
fn typed(format: Format, text: &str) -> LogfmtConfig {
    let renderer = renderer(format, text);
    assert_eq!(renderer.name, "logfmt");
    LogfmtConfig::from_params(&renderer.params).unwrap_or_else(|e| panic!("refused:\n{text}\n{e}"))
}

/// The first error `ko_log::check` reports: the one init refuses the text with.
fn refuse(text: &str) -> ConfigError {
    let checked = ko_log::check::text(text, Format::Toml);
    match checked.errors.into_iter().next() {
        Some(e) => e,
        None => panic!("accepted:\n{text}"),
    }
}

/// A stream handler `c` with `renderer` on line 3.
fn with_renderer(renderer: &str) -> String {
    format!("[handlers.c]\ntype = \"stream\"\nrenderer = {renderer}\n")
}

#[test]
fn a_bare_name_or_a_table_without_keys_is_the_default() {
    let defaults = RendererConfig::new("logfmt");
    for written in ["\"logfmt\"", "{ type = \"logfmt\" }"] {
        assert_eq!(renderer(Format::Toml, &with_renderer(written)), defaults);
        assert_eq!(
            typed(Format::Toml, &with_renderer(written)),
            LogfmtConfig::default()
        );
    }
    let default = LogfmtConfig::default();
    assert_eq!(
        default.keys(),
        [
            ("time_key", "ts"),
            ("level_key", "level"),
            ("target_key", "target"),
            ("message_key", "msg"),
        ]
    );
    assert_eq!(default.time_format, TimeFormat::default());
    assert_eq!(default.timezone, Timezone::Local);
}

#[test]
fn every_key_in_each_format() {
    let expected = LogfmtConfig {
        time_key: "time".to_owned(),
        level_key: "severity".to_owned(),
        target_key: "logger".to_owned(),
        message_key: "message".to_owned(),
        time_format: TimeFormat::parse("rfc3339").unwrap(),
        timezone: Timezone::Utc,
    };
    let toml = with_renderer(
        "{ type = \"logfmt\", time_key = \"time\", level_key = \"severity\", target_key = \"logger\", message_key = \"message\", time_format = \"rfc3339\", timezone = \"utc\" }",
    );
    assert_eq!(typed(Format::Toml, &toml), expected);
    let json = r#"{"handlers": {"c": {"type": "stream", "renderer": {"type": "logfmt", "time_key": "time", "level_key": "severity", "target_key": "logger", "message_key": "message", "time_format": "rfc3339", "timezone": "utc"}}}}"#;
    assert_eq!(typed(Format::Json, json), expected);
    let yaml = "handlers:\n  c:\n    type: stream\n    renderer:\n      type: logfmt\n      time_key: time\n      level_key: severity\n      target_key: logger\n      message_key: message\n      time_format: rfc3339\n      timezone: utc\n";
    assert_eq!(typed(Format::Yaml, yaml), expected);
}

#[test]
fn an_unknown_key_is_refused_with_did_you_mean() {
    let e = refuse(&with_renderer("{ type = \"logfmt\", mesage_key = \"m\" }"));
    assert_at(&e, UnknownKey, 3, 31, "handlers.c.renderer.mesage_key");
    assert_eq!(e.suggestion(), Some("message_key"));
    // A json-only key is unknown here too.
    let e = refuse(&with_renderer("{ type = \"logfmt\", fields_key = \"f\" }"));
    assert_at(&e, UnknownKey, 3, 31, "handlers.c.renderer.fields_key");
}

#[test]
fn a_bad_time_format_points_into_the_string() {
    let e = refuse(&with_renderer(
        "{ type = \"logfmt\", time_format = \"[hour]:[minnute]\" }",
    ));
    assert_at(&e, InvalidValue, 3, 54, "handlers.c.renderer.time_format");
}

#[test]
fn wrong_value_types_are_refused_at_the_value() {
    let e = refuse(&with_renderer("{ type = \"logfmt\", level_key = 3 }"));
    assert_at(&e, InvalidValue, 3, 43, "handlers.c.renderer.level_key");
    let e = refuse(&with_renderer("{ type = \"logfmt\", timezone = \"mars\" }"));
    assert_at(&e, InvalidValue, 3, 42, "handlers.c.renderer.timezone");
}

#[test]
fn a_key_name_that_is_not_a_logfmt_key_is_refused_at_its_value() {
    for (written, column, key, message) in [
        (
            "message_key = \"my msg\"",
            45,
            "message_key",
            "`message_key` cannot contain a space: a logfmt key has no spaces, `=`, `\"` or control characters",
        ),
        (
            "time_key = \"\"",
            42,
            "time_key",
            "`time_key` must not be empty",
        ),
        (
            "level_key = \"a=b\"",
            43,
            "level_key",
            "`level_key` cannot contain `=`: a logfmt key has no spaces, `=`, `\"` or control characters",
        ),
        (
            "target_key = \"t\\u0085\"",
            44,
            "target_key",
            "`target_key` cannot contain U+0085: a logfmt key has no spaces, `=`, `\"` or control characters",
        ),
    ] {
        let e = refuse(&with_renderer(&format!("{{ type = \"logfmt\", {written} }}")));
        assert_at(
            &e,
            InvalidValue,
            3,
            column,
            &format!("handlers.c.renderer.{key}"),
        );
        assert_eq!(e.message(), message);
    }
}

#[test]
fn two_own_keys_with_one_name_are_refused_at_the_one_written() {
    // `message_key` takes `level_key`'s default: the error is at `message_key`.
    let e = refuse(&with_renderer(
        "{ type = \"logfmt\", message_key = \"level\" }",
    ));
    assert_at(&e, InvalidValue, 3, 45, "handlers.c.renderer.message_key");
    assert_eq!(
        e.message(),
        "`message_key` and `level_key` are both `level`: each of the record's own keys needs its own name"
    );
    // `time_key` (earlier) takes `message_key`'s default: still at the one written.
    let e = refuse(&with_renderer("{ type = \"logfmt\", time_key = \"msg\" }"));
    assert_at(&e, InvalidValue, 3, 42, "handlers.c.renderer.time_key");
    assert_eq!(
        e.message(),
        "`time_key` and `message_key` are both `msg`: each of the record's own keys needs its own name"
    );
    // Both written: the later one.
    let e = refuse(&with_renderer(
        "{ type = \"logfmt\", time_key = \"t\", target_key = \"t\" }",
    ));
    assert_at(&e, InvalidValue, 3, 60, "handlers.c.renderer.target_key");
}

#[test]
fn key_names_of_configs_built_in_rust_are_checked() {
    let with = |renderer: RendererConfig| {
        let mut config = Config::default();
        if let Some(console) = config.handlers.get_mut("console") {
            console.renderer = renderer;
        }
        config
    };
    let errors = ko_log::check::config(&with(
        RendererConfig::new("logfmt").with("level_key", "lvl\n"),
    ));
    let e = &errors[0];
    assert_eq!(
        (e.kind(), e.key_path(), e.location(), e.message()),
        (
            ConfigErrorKind::InvalidValue,
            "handlers.console.renderer.level_key",
            None,
            "`level_key` cannot contain U+000A: a logfmt key has no spaces, `=`, `\"` or control characters"
        )
    );
    assert!(ko_log::check::config(&with(RendererConfig::new("logfmt"))).is_empty());
}
