//! `KO_LOG` (or the variable `env_filter` names) overrides the config's levels at init, in
//! env_logger's syntax, matching at module-path boundaries; a bad directive refuses init
//! with its position in the variable. Each test re-runs itself as a child with the
//! variable set (never in this process) and reads back what the child wrote.

use std::path::{Path, PathBuf};
use std::process::Output;

use ko_log::config::{Config, Format};

const DIR_ENV: &str = "KO_LOG_ENV_FILTER_DIR";

const OVERRIDE: &str = "ko_log_overrides_the_files_levels_at_module_path_boundaries";
const NEW_LOGGER: &str = "a_directive_for_a_target_without_a_logger_writes_to_its_parents_handlers";
const RUST_LOG: &str = "rust_log_is_read_instead_when_env_filter_names_it";
const OFF: &str = "env_filter_false_reads_no_variable";
const BAD_LEVEL: &str = "a_misspelt_level_refuses_init_at_its_column_with_did_you_mean";
const REGEX: &str = "a_regex_filter_is_refused_at_its_slash";
const NOT_UTF8: &str = "a_value_that_is_not_utf8_is_refused_where_it_stops_being_utf8";
const PATHS: &str =
    "init_and_builder_install_read_the_variable_backend_new_and_builder_build_do_not";
const DEFAULT: &str = "init_default_reads_ko_log";

/// Runs `test` as a child with `env` (and nothing of this process's `KO_LOG` or
/// `RUST_LOG`), giving it a fresh directory; returns its output and the directory.
fn run(test: &str, env: &[(&str, &std::ffi::OsStr)]) -> (Output, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let output = support::child_command(test, &[])
        .env(DIR_ENV, dir.path())
        .env_remove("KO_LOG")
        .env_remove("RUST_LOG")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "child {test} failed ({}):\n--- stdout\n{}\n--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output, dir)
}

/// `run` with string values.
fn run_with(test: &str, env: &[(&str, &str)]) -> tempfile::TempDir {
    let env: Vec<(&str, &std::ffi::OsStr)> = env.iter().map(|(k, v)| (*k, v.as_ref())).collect();
    run(test, &env).1
}

fn child_dir() -> PathBuf {
    PathBuf::from(std::env::var_os(DIR_ENV).expect("the child's directory"))
}

/// A file handler named `name` at `dir/name.log` with one line per record.
fn file_handler(dir: &Path, name: &str) -> String {
    format!(
        "[handlers.{name}]\ntype = \"file\"\npath = \"{}\"\nrenderer = {{ type = \"plain\", format = \"{{level}} [{{target}}] {{message}}{{kv}}\" }}\n",
        dir.join(format!("{name}.log")).display()
    )
}

/// One record at every level for each target.
fn log_each(targets: &[&str]) {
    for target in targets {
        log::error!(target: target, "e");
        log::warn!(target: target, "w");
        log::info!(target: target, "i");
        log::debug!(target: target, "d");
        log::trace!(target: target, "t");
    }
}

#[test]
fn ko_log_overrides_the_files_levels_at_module_path_boundaries() {
    if support::is_child(OVERRIDE) {
        let dir = child_dir();
        let path = dir.join("log.toml");
        let text = format!(
            "[loggers.root]\nlevel = \"info\"\nhandlers = [\"all\"]\n\n[loggers.\"my_app::db\"]\nlevel = \"error\"\n\n[loggers.hyper]\nlevel = \"debug\"\n\n{}",
            file_handler(&dir, "all")
        );
        std::fs::write(&path, text).unwrap();
        let guard = ko_log::init_from_file(&path).unwrap();
        log_each(&[
            "app",
            "my_app::db",
            "my_app::db::pool",
            "my_app::dbx",
            "hyper::client",
            "chatty::x",
            "chattybox",
        ]);
        drop(guard);
        return;
    }
    let dir = run_with(
        OVERRIDE,
        &[("KO_LOG", "warn,my_app::db=debug,hyper=off,chatty")],
    );
    assert_eq!(
        support::lines(dir.path().join("all.log")),
        [
            "ERROR [app] e",
            "WARN [app] w",
            // The directive beats the file's `error`, for the logger and below it.
            "ERROR [my_app::db] e",
            "WARN [my_app::db] w",
            "INFO [my_app::db] i",
            "DEBUG [my_app::db] d",
            "ERROR [my_app::db::pool] e",
            "WARN [my_app::db::pool] w",
            "INFO [my_app::db::pool] i",
            "DEBUG [my_app::db::pool] d",
            // `my_app::dbx` is not below `my_app::db`: the bare `warn` decides.
            "ERROR [my_app::dbx] e",
            "WARN [my_app::dbx] w",
            // `hyper=off` beats the file's `debug`; a bare target is `trace`, and
            // `chattybox` is not below `chatty`.
            "ERROR [chatty::x] e",
            "WARN [chatty::x] w",
            "INFO [chatty::x] i",
            "DEBUG [chatty::x] d",
            "TRACE [chatty::x] t",
            "ERROR [chattybox] e",
            "WARN [chattybox] w",
        ]
    );
}

#[test]
fn a_directive_for_a_target_without_a_logger_writes_to_its_parents_handlers() {
    if support::is_child(NEW_LOGGER) {
        let dir = child_dir();
        let text = format!(
            "[loggers.root]\nhandlers = [\"all\"]\n\n[loggers.my_app]\nlevel = \"warn\"\nhandlers = [\"app\"]\nadditive = false\ncontext = {{ svc = \"db\" }}\n\n{}\n{}",
            file_handler(&dir, "all"),
            file_handler(&dir, "app")
        );
        let guard = ko_log::init_from_str(&text, Format::Toml).unwrap();
        log_each(&["my_app::db", "my_app::web", "other"]);
        drop(guard);
        return;
    }
    let dir = run_with(NEW_LOGGER, &[("KO_LOG", "my_app::db=trace")]);
    assert_eq!(
        support::lines(dir.path().join("app.log")),
        [
            "ERROR [my_app::db] e svc=db",
            "WARN [my_app::db] w svc=db",
            "INFO [my_app::db] i svc=db",
            "DEBUG [my_app::db] d svc=db",
            "TRACE [my_app::db] t svc=db",
            "ERROR [my_app::web] e svc=db",
            "WARN [my_app::web] w svc=db",
        ]
    );
    // `additive = false` on `my_app` holds for the new logger below it too.
    assert_eq!(
        support::lines(dir.path().join("all.log")),
        ["ERROR [other] e", "WARN [other] w", "INFO [other] i"]
    );
}

/// Initialises with `env_filter` set to `setting` and the root at `info`, logs, and
/// drops the guard.
fn init_with_env_filter_and_log(setting: &str) {
    let dir = child_dir();
    let text = format!(
        "env_filter = {setting}\n[loggers.root]\nlevel = \"info\"\nhandlers = [\"all\"]\n\n{}",
        file_handler(&dir, "all")
    );
    let guard = ko_log::init_from_str(&text, Format::Toml).unwrap();
    log_each(&["app"]);
    drop(guard);
}

#[test]
fn rust_log_is_read_instead_when_env_filter_names_it() {
    if support::is_child(RUST_LOG) {
        return init_with_env_filter_and_log("\"RUST_LOG\"");
    }
    let dir = run_with(RUST_LOG, &[("KO_LOG", "off"), ("RUST_LOG", "app=debug")]);
    assert_eq!(
        support::lines(dir.path().join("all.log")),
        [
            "ERROR [app] e",
            "WARN [app] w",
            "INFO [app] i",
            "DEBUG [app] d"
        ]
    );
}

#[test]
fn env_filter_false_reads_no_variable() {
    if support::is_child(OFF) {
        return init_with_env_filter_and_log("false");
    }
    let dir = run_with(OFF, &[("KO_LOG", "off"), ("RUST_LOG", "off")]);
    assert_eq!(
        support::lines(dir.path().join("all.log")),
        ["ERROR [app] e", "WARN [app] w", "INFO [app] i"]
    );
}

/// In the child: tries to init, which must be refused, and writes the error's code and
/// diagnostic to `error.txt`; `root` logs to `all.log` meanwhile (it must stay empty).
fn refused_init() {
    let dir = child_dir();
    let text = format!(
        "[loggers.root]\nhandlers = [\"all\"]\n\n{}",
        file_handler(&dir, "all")
    );
    let error = match ko_log::init_from_str(&text, Format::Toml) {
        Ok(_) => panic!("init accepted the variable"),
        Err(error) => error,
    };
    log::error!("nothing is installed: this goes nowhere");
    std::fs::write(dir.join("error.txt"), format!("{}\n{error}", error.code())).unwrap();
}

/// The error the child wrote, after checking nothing was logged.
fn refusal(dir: &tempfile::TempDir) -> String {
    assert!(
        !dir.path().join("all.log").exists()
            || support::lines(dir.path().join("all.log")).is_empty()
    );
    std::fs::read_to_string(dir.path().join("error.txt")).unwrap()
}

#[test]
fn a_misspelt_level_refuses_init_at_its_column_with_did_you_mean() {
    if support::is_child(BAD_LEVEL) {
        return refused_init();
    }
    let dir = run_with(BAD_LEVEL, &[("KO_LOG", "info,my_app::db=debgu,hyper=off")]);
    assert_eq!(
        refusal(&dir),
        "CONFIGURATION::Config::ENVIRONMENT::ERROR\n\
         error: unknown level `debgu`\n \
         --> $KO_LOG:1:17\n  \
         |\n\
         1 | info,my_app::db=debgu,hyper=off\n  \
         |                 ^\n  \
         = help: did you mean `debug`?"
    );
}

#[test]
fn a_regex_filter_is_refused_at_its_slash() {
    if support::is_child(REGEX) {
        return refused_init();
    }
    let dir = run_with(REGEX, &[("KO_LOG", "info/GET /health")]);
    assert_eq!(
        refusal(&dir),
        "CONFIGURATION::Config::ENVIRONMENT::ERROR\n\
         error: ko-log does not support env_logger's `/regex` message filter\n \
         --> $KO_LOG:1:5\n  \
         |\n\
         1 | info/GET /health\n  \
         |     ^\n  \
         = help: write only `target=level` directives, separated by `,`"
    );
}

#[cfg(unix)]
#[test]
fn a_value_that_is_not_utf8_is_refused_where_it_stops_being_utf8() {
    use std::os::unix::ffi::OsStrExt;
    if support::is_child(NOT_UTF8) {
        return refused_init();
    }
    let value = std::ffi::OsStr::from_bytes(b"warn,caf\xe9=debug");
    let (_, dir) = run(NOT_UTF8, &[("KO_LOG", value)]);
    assert_eq!(
        refusal(&dir),
        "CONFIGURATION::Config::ENVIRONMENT::ERROR\n\
         error: the value of `KO_LOG` is not valid UTF-8\n \
         --> $KO_LOG:1:9\n  \
         |\n\
         1 | warn,caf\n  \
         |         ^"
    );
}

#[test]
fn init_and_builder_install_read_the_variable_backend_new_and_builder_build_do_not() {
    if support::is_child(PATHS) {
        let config =
            || Config::from_str("[loggers.app]\nlevel = \"trace\"\n", Format::Toml).unwrap();
        let enabled = |backend: &ko_log::Backend, target: &str, level: log::Level| {
            use log::Log;
            backend.enabled(&log::Metadata::builder().target(target).level(level).build())
        };
        // The environment-free ways: the config's levels as written.
        let (backend, guard) = ko_log::Backend::new(config()).unwrap();
        assert!(enabled(&backend, "app", log::Level::Trace));
        assert_eq!(backend.max_level(), log::LevelFilter::Trace);
        drop(guard);
        let (backend, guard) = ko_log::Builder::new(config()).build().unwrap();
        assert!(enabled(&backend, "app", log::Level::Trace));
        drop(guard);
        // Builder::install reads it, over levels set in code too.
        let guard = ko_log::Builder::new(config())
            .level("app::db", log::LevelFilter::Trace)
            .install()
            .unwrap();
        assert_eq!(log::max_level(), log::LevelFilter::Warn);
        assert!(log::log_enabled!(target: "app::db", log::Level::Warn));
        assert!(!log::log_enabled!(target: "app::db", log::Level::Info));
        drop(guard);
        std::fs::write(child_dir().join("done"), "").unwrap();
        return;
    }
    let dir = run_with(PATHS, &[("KO_LOG", "warn")]);
    assert!(dir.path().join("done").exists(), "the child ran its checks");
}

#[test]
fn init_default_reads_ko_log() {
    if support::is_child(DEFAULT) {
        let guard = ko_log::init_default().unwrap();
        assert_eq!(log::max_level(), log::LevelFilter::Debug);
        assert!(!log::log_enabled!(target: "noisy::x", log::Level::Error));
        drop(guard);
        std::fs::write(child_dir().join("done"), "").unwrap();
        return;
    }
    let dir = run_with(DEFAULT, &[("KO_LOG", "debug,noisy=off")]);
    assert!(dir.path().join("done").exists(), "the child ran its checks");
}

/// A `Builder` that turns the variable off keeps the levels of code and config.
#[test]
fn builder_env_filter_none_keeps_the_codes_levels() {
    const NAME: &str = "builder_env_filter_none_keeps_the_codes_levels";
    if support::is_child(NAME) {
        let guard = ko_log::Builder::empty()
            .level("app", log::LevelFilter::Trace)
            .env_filter(None)
            .install()
            .unwrap();
        assert_eq!(log::max_level(), log::LevelFilter::Trace);
        drop(guard);
        std::fs::write(child_dir().join("done"), "").unwrap();
        return;
    }
    let dir = run_with(NAME, &[("KO_LOG", "off")]);
    assert!(dir.path().join("done").exists(), "the child ran its checks");
}
