//! Init refuses what it cannot honour, with a located error, and leaves nothing running.

use ko_log::config::Format;

const UNWRITABLE: &str = "/sys/kernel/ko-log-test/app.log"; // refused even for root

#[test]
fn a_log_file_that_cannot_be_opened_is_refused_at_its_line() {
    let text = format!(
        "[loggers.root]\nhandlers = [\"console\", \"file\"]\n\n[handlers.console]\ntype = \"null\"\n\n[handlers.file]\ntype = \"file\"\npath = \"{UNWRITABLE}\"\n"
    );
    let error = ko_log::init_from_str(&text, Format::Toml).unwrap_err();
    let ko_log::Error::Config(config) = &error else {
        panic!("expected a config error, got {error:?}");
    };
    let location = config.location().expect("a location");
    assert_eq!((location.line, location.column), (9, 8));
    assert_eq!(config.key_path(), "handlers.file.path");
    assert!(
        config
            .message()
            .starts_with("handler `file` cannot start: File handler: cannot open"),
        "{}",
        config.message()
    );
    assert_eq!(error.code(), "CONFIGURATION::Config::VALIDATION::ERROR");
    assert!(
        std::error::Error::source(config).is_some(),
        "the I/O error is kept as the source"
    );

    a_file_config_error_names_the_file();
    an_unknown_type_is_refused_with_did_you_mean();

    // Nothing was installed: a correct config can still be installed afterwards. (One
    // test: once a backend is installed, every init is refused before building.)
    let dir = tempfile::tempdir().unwrap();
    let ok = format!(
        "[loggers.root]\nhandlers = [\"f\"]\n[handlers.f]\ntype = \"file\"\npath = \"{}\"\n",
        dir.path().join("ok.log").display()
    );
    let guard = ko_log::init_from_str(&ok, Format::Toml).unwrap();
    drop(guard);
}

fn a_file_config_error_names_the_file() {
    let (_dir, path) = support::temp_path("log.yaml");
    std::fs::write(
        &path,
        format!("handlers:\n  file:\n    type: file\n    path: {UNWRITABLE}\n"),
    )
    .unwrap();
    let error = ko_log::init_from_file(&path).unwrap_err();
    let ko_log::Error::Config(config) = &error else {
        panic!("expected a config error, got {error:?}");
    };
    assert_eq!(config.file(), Some(path.as_path()));
    let location = config.location().unwrap();
    assert_eq!((location.line, location.column), (4, 11));
    assert!(error.to_string().contains("log.yaml:4:11"), "{error}");
}

#[test]
fn debug_shows_the_diagnostic_as_main_returning_result_prints_it() {
    let error = ko_log::init_from_str("[queue]\ncapacity = 0\n", Format::Toml).unwrap_err();
    assert_eq!(format!("{error:?}"), error.to_string());
    assert!(
        format!("{error:?}")
            .starts_with("error: the queue capacity must be at least 1\n --> line 2, column 12\n"),
        "{error:?}"
    );
    let io = ko_log::Error::io("File", "open", "/x", std::io::Error::other("denied"));
    assert_eq!(format!("{io:?}"), "File handler: cannot open /x: denied");
}

/// A `type` that is neither a built-in nor registered is refused at init, at the `type`
/// value, with "did you mean" over built-in and registered names alike.
fn an_unknown_type_is_refused_with_did_you_mean() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/ko-log-config/tests/fixtures/errors/unknown_type.toml"
    );
    let error = ko_log::init_from_file(path).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "\
error: unknown handler type `rotating_fil`
 --> {path}:5:8
  |
5 | type = \"rotating_fil\"
  |        ^
  = key: handlers.file.type
  = help: did you mean `rotating_file`?"
        )
    );
    let text = "[handlers.c]\ntype = \"stream\"\nrenderer = { type = \"jsn\" }\n";
    let error = ko_log::init_from_str(text, Format::Toml).unwrap_err();
    let ko_log::Error::Config(config) = &error else {
        panic!("{error}");
    };
    let location = config.location().unwrap();
    assert_eq!((location.line, location.column), (3, 21));
    assert_eq!(config.key_path(), "handlers.c.renderer.type");
    assert_eq!(config.suggestion(), Some("json"));
}
