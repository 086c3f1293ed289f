//! `${VAR}` interpolation and `env_file`.
//!
//! Variables set here have names unique to this file, so tests running in parallel
//! cannot see each other's. They are never set with `std::env::set_var` (not safe while
//! other threads read the environment): a test that needs one re-runs itself as a child
//! process whose environment has it from the start ([`in_child_with`]).

use ko_log_config::env::parse_dotenv;
use ko_log_config::{Config, ConfigError, ConfigErrorKind, Format};

/// Whether this process is the child that runs `test` with `vars` in its environment.
/// Otherwise starts that child (this test binary, only `test`), checks it passed, and
/// returns `false`: the caller returns at once.
fn in_child_with(test: &str, vars: &[(&str, &str)]) -> bool {
    const CHILD: &str = "KO_LOG_CONFIG_ENV_TEST_CHILD";
    if std::env::var(CHILD).is_ok_and(|t| t == test) {
        return true;
    }
    let exe = std::env::current_exe().expect("the test binary");
    let output = std::process::Command::new(exe)
        .args([test, "--exact", "--test-threads=1"])
        .env(CHILD, test)
        .envs(vars.iter().copied())
        .output()
        .expect("run the child test");
    assert!(
        output.status.success(),
        "child {test} failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("1 passed"),
        "the child ran no test"
    );
    false
}

/// The key path, line and column of an environment error (panics on another kind).
fn environment_at(e: &ConfigError) -> (&str, usize, usize) {
    assert_eq!(e.kind(), ConfigErrorKind::Environment, "{e}");
    let location = e.location().unwrap_or_else(|| panic!("not located: {e}"));
    (e.key_path(), location.line, location.column)
}

fn file_path(config: &Config, handler: &str) -> String {
    let params = &config.handlers[handler].params;
    match params.node().get("path").and_then(|path| path.as_str()) {
        Some(path) => path.to_owned(),
        None => panic!("{params:?}"),
    }
}

#[test]
fn variables_are_replaced_in_string_values() {
    if !in_child_with(
        "variables_are_replaced_in_string_values",
        &[("KO_LOG_ENV_T1_DIR", "/var/log/app")],
    ) {
        return;
    }
    let text = "[handlers.f]\ntype = \"file\"\npath = \"${KO_LOG_ENV_T1_DIR}/app.log\"\n";
    let config = Config::from_str(text, Format::Toml).unwrap();
    assert_eq!(file_path(&config, "f"), "/var/log/app/app.log");
}

#[test]
fn defaults_apply_when_unset_or_empty() {
    if !in_child_with(
        "defaults_apply_when_unset_or_empty",
        &[("KO_LOG_ENV_T2_EMPTY", "")],
    ) {
        return;
    }
    let text = "handlers:\n  f:\n    type: file\n    path: ${KO_LOG_ENV_T2_UNSET:-a}/${KO_LOG_ENV_T2_EMPTY:-b}.log\n";
    let config = Config::from_str(text, Format::Yaml).unwrap();
    assert_eq!(file_path(&config, "f"), "a/b.log");
}

#[test]
fn numbers_and_levels_can_come_from_the_environment() {
    if !in_child_with(
        "numbers_and_levels_can_come_from_the_environment",
        &[("KO_LOG_ENV_T3_LEVEL", "DEBUG")],
    ) {
        return;
    }
    let text = r#"{"default_level": "${KO_LOG_ENV_T3_LEVEL}", "queue": {"capacity": "${KO_LOG_ENV_T3_CAP:-64}"}}"#;
    let config = Config::from_str(text, Format::Json).unwrap();
    assert_eq!(config.default_level, log::LevelFilter::Debug);
    assert_eq!(config.queue.capacity, 64);
}

#[test]
fn dollar_dollar_brace_is_a_literal() {
    let text = "[handlers.f]\ntype = \"file\"\npath = \"$${HOME}/$5.log\"\n";
    let config = Config::from_str(text, Format::Toml).unwrap();
    assert_eq!(file_path(&config, "f"), "${HOME}/$5.log");
}

#[test]
fn keys_are_not_interpolated() {
    let text = "[loggers.\"${X}\"]\nlevel = \"info\"\n";
    let config = Config::from_str(text, Format::Toml).unwrap();
    assert!(config.loggers.contains_key("${X}"));
}

#[test]
fn unset_variable_in_a_list_is_located_at_the_item() {
    let text =
        "loggers:\n  root:\n    handlers:\n      - a\n      - \"x-${KO_LOG_ENV_T4_UNSET}\"\n";
    let e = Config::from_str(text, Format::Yaml).unwrap_err();
    assert_eq!(environment_at(&e), ("loggers.root.handlers[1]", 5, 12));
    assert_eq!(
        e.help(),
        Some("set `KO_LOG_ENV_T4_UNSET`, or give a default: `${KO_LOG_ENV_T4_UNSET:-value}`")
    );
}

#[test]
fn unclosed_interpolation_is_an_error() {
    let e = Config::from_str("default_level = \"${LEVEL\"\n", Format::Toml).unwrap_err();
    assert_eq!(e.kind(), ConfigErrorKind::Environment);
    assert_eq!(e.location().map(|l| (l.line, l.column)), Some((1, 18)));
}

#[test]
fn env_file_is_read_relative_to_the_config_and_never_overrides() {
    if !in_child_with(
        "env_file_is_read_relative_to_the_config_and_never_overrides",
        &[("KO_LOG_ENV_T5_NAME", "process")],
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("conf")).unwrap();
    std::fs::write(
        dir.path().join("conf/.env"),
        "# settings\nexport KO_LOG_ENV_T5_DIR=\"/from/file\"\nKO_LOG_ENV_T5_NAME='file name'\n",
    )
    .unwrap();
    let config_path = dir.path().join("conf/log.toml");
    std::fs::write(
        &config_path,
        "env_file = \".env\"\n[handlers.f]\ntype = \"file\"\npath = \"${KO_LOG_ENV_T5_DIR}/${KO_LOG_ENV_T5_NAME}.log\"\n",
    )
    .unwrap();
    let config = Config::from_path(&config_path).unwrap();
    assert_eq!(file_path(&config, "f"), "/from/file/process.log");
    assert!(
        std::env::var("KO_LOG_ENV_T5_DIR").is_err(),
        "the process environment is untouched"
    );
}

#[test]
fn missing_env_file_is_an_environment_error_at_the_key() {
    let e =
        Config::from_str("\nenv_file = \"/nonexistent/ko-log/.env\"\n", Format::Toml).unwrap_err();
    assert_eq!(environment_at(&e), ("env_file", 2, 12));
    assert!(std::error::Error::source(&e).is_some());
}

#[test]
fn bad_env_file_line_is_located_in_the_env_file() {
    let dir = tempfile::tempdir().unwrap();
    let env_path = dir.path().join("bad.env");
    std::fs::write(&env_path, "A=1\n\nthis is not an assignment\n").unwrap();
    let config_path = dir.path().join("log.yaml");
    std::fs::write(&config_path, "env_file: bad.env\n").unwrap();
    let e = Config::from_path(&config_path).unwrap_err();
    let location = e.location().unwrap();
    assert_eq!(location.file.as_deref(), Some(env_path.as_path()));
    assert_eq!(
        (e.kind(), location.line, location.column),
        (ConfigErrorKind::Environment, 3, 1)
    );
    assert!(
        e.to_string().contains("3 | this is not an assignment"),
        "{e}"
    );
}

#[test]
fn dotenv_syntax() {
    let pairs = parse_dotenv("A=1 # comment\nexport B = \"x\\ty\"\nC='${D}'\n").unwrap();
    let pairs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(pairs, [("A", "1"), ("B", "x\ty"), ("C", "${D}")]);
    assert_eq!(parse_dotenv("A=\"open").unwrap_err().line, 1);
    assert_eq!(parse_dotenv("A='x' trailing").unwrap_err().line, 1);
}

#[test]
fn an_empty_variable_cannot_move_a_path_to_the_root() {
    if !in_child_with(
        "an_empty_variable_cannot_move_a_path_to_the_root",
        &[("KO_LOG_ENV_T6_EMPTY", "")],
    ) {
        return;
    }
    let e = Config::from_path("tests/fixtures/errors/empty_dir.toml").unwrap_err();
    assert_eq!(
        e.to_string(),
        "\
error: `KO_LOG_ENV_T6_EMPTY` is empty, so this path starts at the root of the file system: `${KO_LOG_ENV_T6_EMPTY}/app.log` became `/app.log`
 --> tests/fixtures/errors/empty_dir.toml:6:9
  |
6 | path = \"${KO_LOG_ENV_T6_EMPTY}/app.log\"
  |         ^
  = key: handlers.file.path
  = help: set `KO_LOG_ENV_T6_EMPTY`, give a default: `${KO_LOG_ENV_T6_EMPTY:-default}`, or refuse an unset or empty one: `${KO_LOG_ENV_T6_EMPTY:?message}`; write the leading `/` for an absolute path"
    );
    assert_eq!(e.kind(), ConfigErrorKind::Environment);
    assert_eq!(e.code(), "CONFIGURATION::Config::ENVIRONMENT::ERROR");

    // Every path key of a handler, in every format, however many empty variables.
    let refused = |format: Format, text: &str, key: &str, line: usize, column: usize| {
        let e = Config::from_str(text, format).unwrap_err();
        assert_eq!(environment_at(&e), (key, line, column), "{e}");
    };
    refused(
        Format::Yaml,
        "handlers:\n  r:\n    type: rotating_file\n    path: ${KO_LOG_ENV_T6_EMPTY}${KO_LOG_ENV_T6_EMPTY:-}/r.log\n",
        "handlers.r.path",
        4,
        11,
    );
    refused(
        Format::Json,
        "{\"handlers\": {\"s\": {\"type\": \"socket\", \"spool\": {\"dir\": \"${KO_LOG_ENV_T6_EMPTY}/spool\"}}}}",
        "handlers.s.spool.dir",
        1,
        57,
    );
    refused(
        Format::Toml,
        "[handlers.o]\ntype = \"otlp\"\ntls = { ca_file = \"${KO_LOG_ENV_T6_EMPTY}/ca.pem\" }\n",
        "handlers.o.tls.ca_file",
        3,
        20,
    );
    refused(
        Format::Toml,
        "env_file = \"${KO_LOG_ENV_T6_EMPTY}/.env\"\n",
        "env_file",
        1,
        13,
    );
}

#[test]
fn other_uses_of_an_empty_variable_are_unchanged() {
    if !in_child_with(
        "other_uses_of_an_empty_variable_are_unchanged",
        &[("KO_LOG_ENV_T7_EMPTY", "")],
    ) {
        return;
    }
    let paths = [
        ("${KO_LOG_ENV_T7_EMPTY}app.log", "app.log"),
        ("logs/${KO_LOG_ENV_T7_EMPTY}/app.log", "logs//app.log"),
        ("${KO_LOG_ENV_T7_EMPTY:-logs}/app.log", "logs/app.log"),
        ("/var/log/${KO_LOG_ENV_T7_EMPTY}app.log", "/var/log/app.log"),
    ];
    for (written, path) in paths {
        let text = format!("[handlers.f]\ntype = \"file\"\npath = \"{written}\"\n");
        let config = Config::from_str(&text, Format::Toml).unwrap();
        assert_eq!(file_path(&config, "f"), path);
    }
    // Not a path: a template, a logger's context field named `path`, a processor's key.
    let text = "\
[loggers.root]
context = { path = \"${KO_LOG_ENV_T7_EMPTY}/x\" }
[handlers.f]
type = \"file\"
path = \"app.log\"
renderer = { type = \"plain\", format = \"${KO_LOG_ENV_T7_EMPTY}/{message}\" }
";
    let config = Config::from_str(text, Format::Toml).unwrap();
    assert_eq!(
        config.loggers["root"].context["path"],
        ko_log_config::Value::String("/x".to_owned())
    );
}

#[test]
fn a_required_variable_refuses_unset_and_empty() {
    if !in_child_with(
        "a_required_variable_refuses_unset_and_empty",
        &[
            ("KO_LOG_ENV_T8_EMPTY", ""),
            ("KO_LOG_ENV_T8_DIR", "/srv/log"),
        ],
    ) {
        return;
    }
    let path = |written: &str| {
        let text = format!("[handlers.f]\ntype = \"file\"\npath = \"{written}\"\n");
        Config::from_str(&text, Format::Toml).map(|config| file_path(&config, "f"))
    };
    assert_eq!(
        path("${KO_LOG_ENV_T8_DIR:?set the log directory}/app.log").unwrap(),
        "/srv/log/app.log"
    );
    for name in ["KO_LOG_ENV_T8_EMPTY", "KO_LOG_ENV_T8_UNSET"] {
        let e = path(&format!("${{{name}:?set the log directory}}/app.log")).unwrap_err();
        assert_eq!(
            e.message(),
            format!("environment variable `{name}` is unset or empty: set the log directory")
        );
        assert_eq!(environment_at(&e), ("handlers.f.path", 3, 9));
    }
}
