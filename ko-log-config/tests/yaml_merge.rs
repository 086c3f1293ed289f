//! YAML merge keys (`<<: *defaults`, `<<: [*a, *b]`): how YAML users share handler
//! settings. Explicit keys win, an earlier merged mapping wins over a later one, and
//! merged keys keep the anchor's locations.

use std::path::Path;

use ko_log_config::node::{Node, NodeValue};
use ko_log_config::values::{Count, FileMode, NonEmpty, Size};
use ko_log_config::{Config, ConfigError, ConfigErrorKind, Format, RendererConfig};

/// The keys of the file handlers these tests write, read with the config's value
/// syntaxes (the handlers' own reading is ko-log's).
#[derive(serde::Deserialize)]
struct FileKeys {
    path: NonEmpty,
    append: Option<bool>,
    create_dirs: Option<bool>,
    file_mode: Option<FileMode>,
    max_bytes: Option<Size>,
    backup_count: Option<Count>,
}

fn file_keys(config: &Config, name: &str) -> FileKeys {
    let params = &config.handlers[name].params;
    params.deserialize().unwrap_or_else(|e| panic!("{e}"))
}

fn load(text: &str) -> Config {
    Config::from_str(text, Format::Yaml).unwrap_or_else(|e| panic!("{e}"))
}

fn refuse(text: &str) -> ConfigError {
    match Config::from_str(text, Format::Yaml) {
        Ok(config) => panic!("accepted:\n{text}\n{config:?}"),
        Err(e) => e,
    }
}

/// (kind, message, line, column, key path).
fn at(e: &ConfigError) -> (ConfigErrorKind, &str, usize, usize, &str) {
    let location = e.location().unwrap_or_else(|| panic!("no location:\n{e}"));
    (
        e.kind(),
        e.message(),
        location.line,
        location.column,
        e.key_path(),
    )
}

/// The key names of the table at `keys` in the parsed tree, in order.
fn key_names(text: &str, keys: &[&str]) -> Vec<String> {
    let mut node = Node::parse(text, Format::Yaml).unwrap();
    for key in keys {
        node = node.get(key).unwrap().clone();
    }
    match node.value {
        NodeValue::Map(entries) => entries.into_iter().map(|(k, _)| k.name).collect(),
        other => panic!("{other:?}"),
    }
}

const SHARED: &str = "\
handlers:
  app: &rotating
    type: rotating_file
    path: logs/app.log
    max_bytes: 10 MiB
    backup_count: 3
    renderer: {type: json}
  audit:
    <<: *rotating
    path: logs/audit.log
";

#[test]
fn handler_settings_are_shared_through_a_merge_key() {
    let config = load(SHARED);
    let [app, audit] = ["app", "audit"].map(|name| file_keys(&config, name));
    assert_eq!(Path::new(&app.path.0), Path::new("logs/app.log"));
    assert_eq!(Path::new(&audit.path.0), Path::new("logs/audit.log"));
    let sizes = |keys: &FileKeys| {
        (
            keys.max_bytes.as_ref().map(|s| s.0),
            keys.backup_count.as_ref().map(|c| c.0),
        )
    };
    assert_eq!(sizes(&audit), (Some(10 << 20), Some(3)));
    assert_eq!(
        config.handlers["audit"].renderer,
        RendererConfig::new("json")
    );
    assert_eq!(sizes(&app), sizes(&audit));
    // Merged keys take the place of `<<`; the explicit `path` stays where it is written.
    assert_eq!(
        key_names(SHARED, &["handlers", "audit"]),
        ["type", "max_bytes", "backup_count", "renderer", "path"]
    );
}

#[test]
fn explicit_keys_win_and_earlier_merged_mappings_win_over_later_ones() {
    let text = "\
handlers:
  a: &a
    type: file
    path: a.log
    append: false
  b: &b
    type: file
    path: b.log
    create_dirs: false
    file_mode: \"0600\"
  c:
    file_mode: \"0644\"
    <<: [*a, *b]
  d:
    <<: {<<: *b, path: d.log}
";
    let config = load(text);
    let c = file_keys(&config, "c");
    assert_eq!(c.append, Some(false));
    assert_eq!(c.create_dirs, Some(false));
    assert_eq!(c.file_mode.map(|m| m.0), Some(0o644));
    assert_eq!(c.path.into_path(), Path::new("a.log"));
    // A merged mapping may itself merge.
    let d = file_keys(&config, "d");
    assert_eq!(d.file_mode.map(|m| m.0), Some(0o600));
    assert_eq!(d.path.into_path(), Path::new("d.log"));
    assert_eq!(
        key_names(text, &["handlers", "c"]),
        ["file_mode", "type", "path", "append", "create_dirs"]
    );
}

#[test]
fn a_merge_key_must_name_a_mapping() {
    let message = "a merge key `<<` takes a mapping, an alias of one, or a list of them;";
    let e = refuse("handlers:\n  c:\n    <<: stream\n");
    assert_eq!(
        at(&e),
        (
            ConfigErrorKind::Syntax,
            &*format!("{message} this is a string"),
            3,
            9,
            ""
        )
    );
    let text =
        "handlers:\n  f:\n    type: file\n    path: &p f.log\n  g:\n    <<: [{type: file}, *p]\n";
    let e = refuse(text);
    assert_eq!(
        at(&e),
        (
            ConfigErrorKind::Syntax,
            &*format!("{message} this item is a string"),
            6,
            24,
            ""
        )
    );
    let e = refuse("handlers:\n  c:\n    <<:\n");
    assert_eq!(at(&e).1, format!("{message} this is null"));
}

#[test]
fn a_quoted_merge_key_is_an_ordinary_key() {
    let e = refuse("handlers:\n  c: &c\n    type: stream\n  d:\n    \"<<\": *c\n");
    assert_eq!(
        at(&e),
        (
            ConfigErrorKind::MissingKey,
            "missing key `type`",
            5,
            5,
            "handlers.d.type"
        )
    );
    // `!!merge <<` is the merge key spelled out.
    let config = load("handlers:\n  c: &c\n    type: stream\n  d:\n    !!merge <<: *c\n");
    assert_eq!(config.handlers["d"], config.handlers["c"]);
}

/// A top-level key starting with `x-` holds anchors, as in docker-compose: it is ignored
/// (its contents are neither interpolated nor checked), and what merges or aliases it
/// gets its keys.
#[test]
fn anchors_live_in_top_level_x_keys() {
    let config = load(
        "\
x-defaults: &h
  type: file
  path: logs/app.log
  append: false
x-renderer: &json {type: json}
x-notes: [\"${KO_LOG_YAML_X_UNSET}\", {anything: 1}]
loggers:
  root: {handlers: [app, audit]}
handlers:
  app: *h
  audit:
    <<: *h
    path: logs/audit.log
    renderer: *json
",
    );
    let file = |name: &str| {
        let keys = file_keys(&config, name);
        (keys.path.0, keys.append)
    };
    assert_eq!(file("app"), ("logs/app.log".to_owned(), Some(false)));
    assert_eq!(file("audit"), ("logs/audit.log".to_owned(), Some(false)));
    assert_eq!(
        config.handlers["audit"].renderer,
        RendererConfig::new("json")
    );
    assert_eq!(config.handlers.len(), 2);
}

/// Only `x-` keys: any other unknown top-level key is refused, at its place.
#[test]
fn other_unknown_top_level_keys_are_refused() {
    let e = refuse(
        "x-defaults: &h {type: \"null\"}\ndefaults: &d {type: \"null\"}\nhandlers:\n  a: *h\n",
    );
    assert_eq!(
        at(&e),
        (
            ConfigErrorKind::UnknownKey,
            "unknown key `defaults`",
            2,
            1,
            "defaults"
        )
    );
    for (format, text, line, column) in [
        (Format::Toml, "x-note = 1\n\"X-note\" = 2\n", 2, 1),
        (Format::Json, "{\"x-note\": 1,\n \"x_note\": 2}", 2, 2),
    ] {
        let e = Config::from_str(text, format).unwrap_err();
        let location = e.location().unwrap();
        assert_eq!(
            (e.kind(), location.line, location.column),
            (ConfigErrorKind::UnknownKey, line, column),
            "{e}"
        );
    }
    // In TOML and JSON too, an `x-` key is ignored: the file is the empty one.
    let empty = Config::from_str("", Format::Toml).unwrap();
    let names = |config: &Config| config.handlers.keys().cloned().collect::<Vec<_>>();
    let toml = Config::from_str(
        "[x-defaults]\nanything = \"${KO_LOG_X_UNSET}\"\n",
        Format::Toml,
    )
    .unwrap();
    assert_eq!(names(&toml), names(&empty));
    let json = Config::from_str("{\"x-defaults\": {\"anything\": [1, 2]}}", Format::Json).unwrap();
    assert_eq!(names(&json), names(&empty));
}
