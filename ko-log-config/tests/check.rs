//! `Config::check_str` / `check_file`: every mistake, not only the first, each located as
//! loading reports it; and a check finds errors exactly when loading refuses, the error
//! loading reports being one of them (replayed over the fuzz corpus, its prefixes and its
//! single-line deletions).

use std::path::{Path, PathBuf};

use ko_log_config::check::MAX_ERRORS;
use ko_log_config::{Config, ConfigErrorKind, Format};

/// `(line, column, key path, message)` of each error.
fn found(text: &str, format: Format) -> Vec<(usize, usize, String, String)> {
    Config::check_str(text, format)
        .errors
        .iter()
        .map(|e| {
            let l = e.location().unwrap_or_else(|| panic!("not located: {e}"));
            (
                l.line,
                l.column,
                e.key_path().to_owned(),
                e.message().to_owned(),
            )
        })
        .collect()
}

fn owned(expected: &[(usize, usize, &str, &str)]) -> Vec<(usize, usize, String, String)> {
    expected
        .iter()
        .map(|(l, c, k, m)| (*l, *c, (*k).to_owned(), (*m).to_owned()))
        .collect()
}

/// One mistake or more in every part of a config (shared with the runtime's
/// `tests/config_components.rs`, which adds the components' mistakes).
const MANY: &str = include_str!("fixtures/many_mistakes.toml");

#[test]
fn every_mistake_is_reported_in_document_order() {
    assert_eq!(
        found(MANY, Format::Toml),
        owned(&[
            (1, 17, "default_level", "unknown level `loud`"),
            (
                4,
                12,
                "queue.capacity",
                "the queue capacity must be at least 1"
            ),
            (5, 16, "queue.backpressure", "unknown value `sometimes`"),
            (
                9,
                24,
                "loggers.root.handlers[1]",
                "logger `root` names handler `fiel`, which is not defined"
            ),
            (12, 1, "loggers.app.levl", "unknown key `levl`"),
            // (17, 10) `handlers.console.stream`, (20, 1) `handlers.file.path` and
            // (22, 1) `handlers.file.max_byte`: the handlers' own keys; (18, 42) the
            // renderer's; (23, 55) and (23, 91) the processors': all checked by the runtime
            // (ko-log's `tests/config_components.rs`).
        ])
    );
}

#[test]
fn loading_reports_the_first_of_them_unchanged() {
    let error = Config::from_str(MANY, Format::Toml).unwrap_err();
    let checked = Config::check_str(MANY, Format::Toml);
    assert_eq!(checked.errors[0].to_string(), error.to_string());
    assert_eq!(
        error.to_string(),
        "error: unknown level `loud`\n --> line 1, column 17\n  |\n1 | default_level = \"loud\"\n  |                 ^\n  = key: default_level\n  = help: expected `off`, `error`, `warn`, `warning`, `info`, `debug` or `trace`"
    );
}

#[test]
fn the_config_leaves_out_what_was_refused() {
    let checked = Config::check_str(MANY, Format::Toml);
    let config = checked.config.expect("built as far as it could be");
    assert_eq!(config.default_level, log::LevelFilter::Info, "the default");
    // The handler's own keys are the runtime's: it is kept as written.
    assert_eq!(config.handlers["file"].name, "rotating_file");
    assert_eq!(
        config.handlers["file"]
            .processors
            .iter()
            .map(|p| p.type_name())
            .collect::<Vec<_>>(),
        ["filter_by_level", "redact", "filter_markup"],
        "the processors are kept: their keys are checked by the runtime"
    );
    assert_eq!(config.loggers["app"].handlers, ["file"]);
}

#[test]
fn the_same_mistakes_in_json_and_yaml() {
    let json = r#"{
  "default_level": "loud",
  "queue": {"capacity": "many"},
  "loggers": {"root": {"handlers": ["nope"], "additive": "maybe"}}
}"#;
    assert_eq!(
        found(json, Format::Json),
        owned(&[
            (2, 20, "default_level", "unknown level `loud`"),
            (
                3,
                25,
                "queue.capacity",
                "expected a positive integer, found string \"many\""
            ),
            (
                4,
                37,
                "loggers.root.handlers[0]",
                "logger `root` names handler `nope`, which is not defined"
            ),
            (
                4,
                58,
                "loggers.root.additive",
                "expected a boolean, found string \"maybe\""
            ),
        ])
    );
    let yaml = "default_level: loud\nqueue:\n  capacity: many\nloggers:\n  root:\n    handlers: [nope]\n    additive: maybe\n";
    assert_eq!(
        found(yaml, Format::Yaml)
            .into_iter()
            .map(|(l, c, k, _)| (l, c, k))
            .collect::<Vec<_>>(),
        [
            (1, 16, "default_level".to_owned()),
            (3, 13, "queue.capacity".to_owned()),
            (6, 16, "loggers.root.handlers[0]".to_owned()),
            (7, 15, "loggers.root.additive".to_owned()),
        ]
    );
}

#[test]
fn an_unset_variable_is_one_error_not_two() {
    let text = "[loggers.root]\nlevel = \"${KO_LOG_CHECK_UNSET_LEVEL}\"\n[loggers.app]\nlevel = \"${KO_LOG_CHECK_UNSET_TOO}\"\n";
    let errors = Config::check_str(text, Format::Toml).errors;
    let summary: Vec<_> = errors
        .iter()
        .map(|e| (e.kind(), e.key_path().to_owned(), e.message().to_owned()))
        .collect();
    assert_eq!(
        summary,
        [
            (
                ConfigErrorKind::Environment,
                "loggers.root.level".to_owned(),
                "environment variable `KO_LOG_CHECK_UNSET_LEVEL` is not set".to_owned()
            ),
            (
                ConfigErrorKind::Environment,
                "loggers.app.level".to_owned(),
                "environment variable `KO_LOG_CHECK_UNSET_TOO` is not set".to_owned()
            ),
        ],
        "not also an unknown level `${{...}}` at the same key"
    );
}

#[test]
fn a_syntax_error_is_the_only_error() {
    let checked = Config::check_str("[queue]\ncapacity = \nbackpressure = \"x\"\n", Format::Toml);
    assert!(checked.config.is_none());
    assert_eq!(checked.errors.len(), 1);
    assert_eq!(checked.errors[0].kind(), ConfigErrorKind::Syntax);
}

#[test]
fn a_document_that_is_not_a_table() {
    let checked = Config::check_str("[1, 2]", Format::Json);
    assert!(checked.config.is_none());
    assert_eq!(
        found("[1, 2]", Format::Json),
        owned(&[(1, 1, "", "expected a table, found a list")])
    );
}

#[test]
fn a_refused_handlers_table_does_not_refuse_every_logger() {
    assert_eq!(
        found(
            "handlers = 3\n[loggers.root]\nhandlers = [\"console\"]\n",
            Format::Toml
        ),
        owned(&[(
            1,
            12,
            "handlers",
            "expected a table of handlers, found an integer"
        )])
    );
}

#[test]
fn at_most_max_errors() {
    let mut text = String::new();
    for i in 0..2 * MAX_ERRORS {
        text.push_str(&format!("[loggers.l{i}]\nlevel = \"loud\"\n"));
    }
    assert_eq!(
        Config::check_str(&text, Format::Toml).errors.len(),
        MAX_ERRORS
    );
}

#[test]
fn a_file_with_its_name_and_a_format_override() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.conf");
    std::fs::write(&path, "default_level = \"loud\"\n[queue]\ncapacity = 0\n").unwrap();
    let by_extension = Config::check_file(&path, None);
    assert_eq!(by_extension.errors.len(), 1);
    assert_eq!(
        by_extension.errors[0].kind(),
        ConfigErrorKind::UnknownFormat
    );
    let checked = Config::check_file(&path, Some(Format::Toml));
    let places: Vec<String> = checked
        .errors
        .iter()
        .map(|e| e.location().unwrap().to_string())
        .collect();
    assert_eq!(
        places,
        [
            format!("{}:1:17", path.display()),
            format!("{}:3:12", path.display())
        ]
    );
    let missing = Config::check_file(dir.path().join("gone.toml"), None);
    assert_eq!(missing.errors[0].kind(), ConfigErrorKind::Io);
}

#[test]
fn a_good_config_builds_what_loading_builds() {
    let text = std::fs::read_to_string(fixtures().join("full.toml")).unwrap();
    let checked = Config::check_str(&text, Format::Toml);
    assert!(checked.is_ok(), "{:?}", checked.errors);
    assert_eq!(
        checked.config,
        Some(Config::from_str(&text, Format::Toml).unwrap())
    );
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// A check errs exactly when loading does, and loading's error is among the check's.
fn agree(text: &str, format: Format) {
    let loaded = Config::from_str(text, format);
    let checked = Config::check_str(text, format);
    match loaded {
        Ok(config) => {
            assert!(checked.is_ok(), "{text:?}: {:?}", checked.errors);
            assert_eq!(checked.config.as_ref(), Some(&config), "{text:?}");
        }
        Err(error) => {
            let shown = error.to_string();
            assert!(
                checked.errors.iter().any(|e| e.to_string() == shown),
                "{text:?}: loading says\n{shown}\nthe check says {:?}",
                checked.errors
            );
        }
    }
}

#[test]
fn a_check_agrees_with_loading_over_the_corpus() {
    let mut seeds = Vec::new();
    for dir in [
        "tests/corpus/config",
        "tests/fixtures",
        "tests/fixtures/errors",
    ] {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let Some(format) = path
                .extension()
                .and_then(|e| e.to_str())
                .and_then(Format::from_extension)
            else {
                continue;
            };
            let bytes = std::fs::read(&path).unwrap();
            seeds.push((format, String::from_utf8_lossy(&bytes).into_owned()));
        }
    }
    assert!(seeds.len() > 10, "{} seeds", seeds.len());
    for (format, text) in &seeds {
        agree(text, *format);
        let lines: Vec<&str> = text.lines().collect();
        for skip in 0..lines.len().min(80) {
            let without: Vec<&str> = lines
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != skip)
                .map(|(_, l)| *l)
                .collect();
            agree(&without.join("\n"), *format);
        }
        for cut in (0..text.len()).step_by((text.len() / 32).max(1)) {
            if let Some(prefix) = text.get(..cut) {
                agree(prefix, *format);
            }
        }
    }
}
