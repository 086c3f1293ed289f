//! `ko-log check`: every error of a config at once, with its location, exit 1; or what a
//! valid config does, exit 0; `--format json` for CI. Nothing but the config is touched.

mod support;

use support::{fixture, listing, run_in};

/// `fixture` copied into a fresh directory as `name`.
fn config_dir(fixture_name: &str, name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixture(fixture_name), dir.path().join(name)).unwrap();
    dir
}

const GOOD_REPORT: &str = r#"log.toml: valid

default_level     warn
queue             capacity 4096, backpressure drop_oldest, drain_timeout 2s
flush_on_signals  false

loggers
  my_app::db        level debug                      handlers db_file, context component="db"
  my_app::db::pool  level debug (from my_app::db)    handlers vector, not additive
  root              level warn (from default_level)  handlers console

routes
  my_app::db::pool and below                     debug and above  -> vector
  my_app::db and below, except my_app::db::pool  debug and above  -> db_file, console
  every other target                             warn and above   -> console

handlers
  console: stream, renderer colored
    journal_prefix = "never"
    stream = "stderr"
  db_file: rotating_file, renderer rotating_file's default, level info, processors redact, filter_markup
    path = "logs/db.log"
    max_bytes = "10 MiB"
    rotation = "daily"
    append = true
    backup_count = 5
    compress = "none"
    create_dirs = true
    file_mode = "0640"
    reopen_check = "1s"
    timezone = "local"
  vector: socket, renderer socket's default
    address = "127.0.0.1:9000"
    buffer = 100
  spare: null, renderer null's default (no logger names it: it receives nothing)
"#;

#[test]
fn a_valid_config_is_described_and_nothing_is_created() {
    let dir = config_dir("good.toml", "log.toml");
    let run = run_in(dir.path(), &["check", "log.toml"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.stdout, GOOD_REPORT);
    assert_eq!(run.stderr, "");
    assert_eq!(
        listing(dir.path()),
        ["log.toml"],
        "no `logs/` directory, no log file: check opens nothing"
    );
}

const BAD_REPORT: &str = r#"error: unknown level `loud`
 --> log.toml:1:17
  |
1 | default_level = "loud"
  |                 ^
  = key: default_level
  = help: expected `off`, `error`, `warn`, `warning`, `info`, `debug` or `trace`

error: the queue capacity must be at least 1
 --> log.toml:4:12
  |
4 | capacity = 0
  |            ^
  = key: queue.capacity

error: logger `root` names handler `consle`, which is not defined
 --> log.toml:7:24
  |
7 | handlers = ["console", "consle"]
  |                        ^
  = key: loggers.root.handlers[1]
  = help: did you mean `console`?

error: unknown value `stdin`
  --> log.toml:11:10
   |
11 | stream = "stdin"
   |          ^
   = key: handlers.console.stream
   = help: expected `stdout` or `stderr`

error: unknown key `apend`
  --> log.toml:16:1
   |
16 | apend = true
   | ^
   = key: handlers.file.apend
   = help: did you mean `append`?

error: handler `socket` cannot start: `buffer` must be at least 1
  --> log.toml:19:8
   |
19 | type = "socket"
   |        ^
   = key: handlers.vector

error: unknown handler type `otlpp`
  --> log.toml:24:8
   |
24 | type = "otlpp"
   |        ^
   = key: handlers.ship.type
   = help: did you mean `otlp`?

log.toml: 7 errors
"#;

#[test]
fn every_error_is_reported_at_once_with_its_location() {
    let dir = config_dir("bad.toml", "log.toml");
    let run = run_in(dir.path(), &["check", "log.toml"]);
    assert_eq!(run.code, Some(1));
    assert_eq!(run.stdout, BAD_REPORT);
    assert_eq!(listing(dir.path()), ["log.toml"]);
}

#[test]
fn the_first_error_is_the_one_init_reports() {
    let dir = config_dir("bad.toml", "log.toml");
    let error = ko_log::config::Config::from_path(dir.path().join("log.toml")).unwrap_err();
    let first = BAD_REPORT.split("\n\n").next().unwrap();
    assert_eq!(
        error.to_string(),
        first.replace(
            "log.toml",
            &dir.path().join("log.toml").display().to_string()
        )
    );
}

#[test]
fn json_for_ci() {
    let dir = config_dir("bad.toml", "log.toml");
    let run = run_in(dir.path(), &["check", "--format", "json", "log.toml"]);
    assert_eq!(run.code, Some(1));
    let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(report["valid"], false);
    assert_eq!(report["file"], "log.toml");
    let errors = report["errors"].as_array().unwrap();
    let summary: Vec<(i64, i64, &str, &str)> = errors
        .iter()
        .map(|e| {
            assert_eq!(e["file"], "log.toml");
            assert_eq!(e["code"], "CONFIGURATION::Config::VALIDATION::ERROR");
            (
                e["line"].as_i64().unwrap(),
                e["column"].as_i64().unwrap(),
                e["key"].as_str().unwrap(),
                e["message"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (1, 17, "default_level", "unknown level `loud`"),
            (
                4,
                12,
                "queue.capacity",
                "the queue capacity must be at least 1"
            ),
            (
                7,
                24,
                "loggers.root.handlers[1]",
                "logger `root` names handler `consle`, which is not defined"
            ),
            (11, 10, "handlers.console.stream", "unknown value `stdin`"),
            (16, 1, "handlers.file.apend", "unknown key `apend`"),
            (
                19,
                8,
                "handlers.vector",
                "handler `socket` cannot start: `buffer` must be at least 1"
            ),
            (24, 8, "handlers.ship.type", "unknown handler type `otlpp`"),
        ]
    );
    assert_eq!(errors[2]["suggestion"], "console");
    assert_eq!(errors[2]["kind"], "UnknownHandler");
    assert_eq!(
        errors[0]["text"].as_str().unwrap(),
        BAD_REPORT.split("\n\n").next().unwrap()
    );
}

#[test]
fn json_of_a_valid_config() {
    let dir = config_dir("good.toml", "log.toml");
    let run = run_in(dir.path(), &["check", "--format=json", "log.toml"]);
    assert_eq!(run.code, Some(0));
    let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(report["valid"], true);
    assert_eq!(report["errors"], serde_json::json!([]));
    let config = &report["config"];
    assert_eq!(
        config["queue"],
        serde_json::json!({"capacity": 4096, "backpressure": "drop_oldest", "drain_timeout": "2s"})
    );
    assert_eq!(
        config["routes"],
        serde_json::json!([
            {"logger": "my_app::db::pool", "targets": "my_app::db::pool and below", "except": [], "level": "debug", "level_from": "my_app::db", "handlers": ["vector"]},
            {"logger": "my_app::db", "targets": "my_app::db and below, except my_app::db::pool", "except": ["my_app::db::pool"], "level": "debug", "level_from": "my_app::db", "handlers": ["db_file", "console"]},
            {"logger": "root", "targets": "every other target", "except": ["my_app::db"], "level": "warn", "level_from": "default_level", "handlers": ["console"]},
        ])
    );
    let vector = config["handlers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["name"] == "vector")
        .unwrap();
    assert_eq!(
        *vector,
        serde_json::json!({"name": "vector", "type": "socket", "renderer": "socket's default", "level": null, "processors": [], "params": {"address": "127.0.0.1:9000", "buffer": 100}, "used_by": ["my_app::db::pool"]})
    );
}

#[test]
fn the_format_comes_from_the_extension_or_the_option() {
    let dir = config_dir("good.toml", "log.conf");
    let run = run_in(dir.path(), &["check", "log.conf"]);
    assert_eq!(run.code, Some(1));
    assert_eq!(
        run.stdout,
        "error: cannot tell the format of `log.conf`: expected a `.toml`, `.json`, `.yaml` or `.yml` file\n --> log.conf\n\nlog.conf: 1 error\n"
    );
    let run = run_in(
        dir.path(),
        &["check", "--config-format", "toml", "log.conf"],
    );
    assert_eq!(run.code, Some(0));
    assert!(
        run.stdout.starts_with("log.conf: valid\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn yaml_and_json_report_the_same_places() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("log.yaml"),
        "default_level: loud\nloggers:\n  root:\n    handlers: [nope]\n",
    )
    .unwrap();
    let run = run_in(dir.path(), &["check", "--format", "json", "log.yaml"]);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let places: Vec<(i64, i64)> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["line"].as_i64().unwrap(), e["column"].as_i64().unwrap()))
        .collect();
    assert_eq!(places, [(1, 16), (4, 16)]);
}

#[test]
fn a_syntax_error_is_one_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("log.toml"), "[queue\ncapacity = 0\n").unwrap();
    let run = run_in(dir.path(), &["check", "log.toml"]);
    assert_eq!(run.code, Some(1));
    assert!(
        run.stdout.ends_with("\n\nlog.toml: 1 error\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let run = run_in(dir.path(), &["check", "gone.toml"]);
    assert_eq!(run.code, Some(1));
    assert!(
        run.stdout
            .starts_with("error: cannot read config file `gone.toml`: "),
        "{}",
        run.stdout
    );
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    for (args, first) in [
        (
            &["check"][..],
            "ko-log: check needs the config file to check",
        ),
        (
            &["check", "--format", "xml", "a.toml"][..],
            "ko-log: --format: `xml`: expected text or json",
        ),
        (
            &["frobnicate"][..],
            "ko-log: unknown command `frobnicate`: expected check, pretty, schema or spool",
        ),
        (
            &[][..],
            "ko-log: a command is needed: check, pretty, schema or spool",
        ),
    ] {
        let run = run_in(dir.path(), args);
        assert_eq!(run.code, Some(2), "{args:?}");
        assert_eq!(run.stdout, "");
        assert_eq!(run.stderr.lines().next(), Some(first), "{args:?}");
        assert!(run.stderr.contains("usage: ko-log check"), "{args:?}");
    }
    let run = run_in(dir.path(), &["--help"]);
    assert_eq!(run.code, Some(0));
    assert!(run.stdout.contains("pretty [FILE...]"));
}

/// 20,000 loggers: the report is right and the check completes (it took minutes while the
/// routes and the report scanned every logger for each logger; `ko_log::check`'s
/// `routes_look_up_each_parent_once` counts the lookups that made it so).
#[test]
fn twenty_thousand_loggers_are_described() {
    use std::fmt::Write as _;
    let mut text = String::from(
        "[handlers.void]\ntype = \"null\"\n\n[loggers.root]\nlevel = \"info\"\nhandlers = [\"void\"]\n\n",
    );
    for k in 0..200 {
        let _ = write!(text, "[loggers.\"mod{k}\"]\nlevel = \"warn\"\n\n");
    }
    for i in 0..20_000 {
        let _ = write!(
            text,
            "[loggers.\"mod{}::sub{i}\"]\nlevel = \"debug\"\n\n",
            i % 1_000
        );
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("log.toml"), text).unwrap();

    let run = run_in(dir.path(), &["check", "log.toml"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    let section = |name: &str| {
        let start = lines.iter().position(|l| *l == name).unwrap() + 1;
        let len = lines[start..]
            .iter()
            .position(|l| l.is_empty())
            .unwrap_or(lines.len() - start);
        &lines[start..start + len]
    };
    let loggers = section("loggers");
    assert_eq!(loggers.len(), 20_201);
    let words = |line: &str| line.split_whitespace().collect::<Vec<_>>().join(" ");
    assert_eq!(
        loggers
            .iter()
            .filter(|l| words(l) == "mod7 level warn handlers (none)")
            .count(),
        1
    );
    let routes = section("routes");
    assert_eq!(routes.len(), 20_201);
    // In name order, as the config holds them: `mod7::sub10007` before `mod7::sub1007`.
    let mut subs: Vec<String> = (0..20)
        .map(|j| format!("mod7::sub{}", 7 + 1_000 * j))
        .collect();
    subs.sort();
    let mod7 = format!(
        "mod7 and below, except {} warn and above -> void",
        subs.join(", ")
    );
    assert_eq!(
        routes.iter().filter(|l| words(l) == mod7).count(),
        1,
        "{mod7}"
    );
    assert!(routes[0].starts_with("  mod0::sub0 and below "));
    assert!(routes[20_200].starts_with("  every other target "));
    assert_eq!(
        section("handlers"),
        ["  void: null, renderer null's default"],
        "used by root: no `no logger names it`"
    );
}

/// An OTLP handler with credentials in a header and in a query parameter of its endpoint,
/// beside a harmless header and parameter.
const SECRETS: &str = r#"[loggers.root]
handlers = ["otel"]

[handlers.otel]
type = "otlp"
endpoint = "http://collector:4318/v1/logs?token=t0ken&tenant=acme"
headers = { "x-api-key" = "k3y", "access-token" = "4cc3ss", tenant = "acme" }
"#;

/// `ko-log check` on `SECRETS`: the text report, the JSON report, and the handler's
/// params in the JSON.
fn secrets_report() -> (String, String, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("log.toml"), SECRETS).unwrap();
    let text = run_in(dir.path(), &["check", "log.toml"]);
    let json = run_in(dir.path(), &["check", "--format=json", "log.toml"]);
    assert_eq!(
        (text.code, json.code),
        (Some(0), Some(0)),
        "{}",
        text.stdout
    );
    let report: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let params = report["config"]["handlers"][0]["params"].clone();
    (text.stdout, json.stdout, params)
}

#[test]
fn secret_headers_are_masked() {
    let (text, json, params) = secrets_report();
    for secret in ["k3y", "4cc3ss"] {
        assert!(
            !text.contains(secret) && !json.contains(secret),
            "{secret}: {text}{json}"
        );
    }
    assert!(
        text.contains(
            "\n    headers = {\"access-token\":\"***\",\"tenant\":\"acme\",\"x-api-key\":\"***\"}\n"
        ),
        "{text}"
    );
    assert_eq!(
        params["headers"],
        serde_json::json!({"access-token": "***", "tenant": "acme", "x-api-key": "***"})
    );
}

#[test]
fn secret_query_parameters_are_masked() {
    let (text, json, params) = secrets_report();
    assert!(
        !text.contains("t0ken") && !json.contains("t0ken"),
        "{text}{json}"
    );
    assert!(
        text.contains("\n    endpoint = \"http://collector:4318/v1/logs?token=***&tenant=acme\"\n"),
        "{text}"
    );
    assert_eq!(
        params["endpoint"],
        "http://collector:4318/v1/logs?token=***&tenant=acme"
    );
}
