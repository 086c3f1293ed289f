//! `journal_prefix = "auto"` on a `stream` handler: a child process logs to its stderr,
//! which is a file; with `$JOURNAL_STREAM` naming that file's device and inode (as systemd
//! sets it for a service whose stderr is the journal) every line starts with its sd-daemon
//! level prefix, and with `$JOURNAL_STREAM` naming another file, none does.

use std::os::unix::fs::MetadataExt;
use std::process::Stdio;

const CHILD: &str = "child_logs_each_level_to_stderr";

/// Runs as the child only: logs one record per level to stderr.
#[test]
fn child_logs_each_level_to_stderr() {
    if !support::is_child(CHILD) {
        return;
    }
    let config = "[loggers.root]\nlevel = \"trace\"\nhandlers = [\"err\"]\n\
                  [handlers.err]\ntype = \"stream\"\nstream = \"stderr\"\njournal_prefix = \"auto\"\n\
                  renderer = { type = \"plain\", format = \"{level} {message}\" }\n";
    let guard = ko_log::init_from_str(config, ko_log::config::Format::Toml).unwrap();
    log::error!("kotest failed");
    log::warn!("kotest slow");
    log::info!("kotest started");
    log::debug!("kotest detail");
    log::trace!("kotest step");
    drop(guard);
}

/// The child's ko-log lines on stderr, which is a fresh file; `JOURNAL_STREAM` is that
/// file's `dev:ino` when `matching`, else one inode off.
fn child_lines(matching: bool) -> Vec<String> {
    let (_dir, path) = support::temp_path("stderr");
    let stderr = std::fs::File::create(&path).unwrap();
    let meta = stderr.metadata().unwrap();
    let ino = if matching { meta.ino() } else { meta.ino() + 1 };
    let status = support::child_command(CHILD, &[])
        .env("JOURNAL_STREAM", format!("{}:{ino}", meta.dev()))
        .stdout(Stdio::null())
        .stderr(stderr)
        .status()
        .unwrap();
    assert!(status.success());
    support::lines(&path)
        .into_iter()
        .filter(|line| line.contains("kotest"))
        .collect()
}

#[test]
fn auto_prefixes_lines_only_when_stderr_is_the_journal() {
    if support::is_child(CHILD) {
        return;
    }
    assert_eq!(
        child_lines(true),
        [
            "<3>ERROR kotest failed",
            "<4>WARN kotest slow",
            "<6>INFO kotest started",
            "<7>DEBUG kotest detail",
            "<7>TRACE kotest step",
        ]
    );
    assert_eq!(
        child_lines(false),
        [
            "ERROR kotest failed",
            "WARN kotest slow",
            "INFO kotest started",
            "DEBUG kotest detail",
            "TRACE kotest step",
        ]
    );
}

#[test]
fn journal_prefix_takes_auto_always_or_never() {
    use ko_log::config::handler::JournalPrefix;
    use ko_log::config::Format;
    use ko_log::handler::StreamConfig;
    let parse = |value: &str| {
        let text = format!("[handlers.s]\ntype = \"stream\"\njournal_prefix = \"{value}\"\n");
        match ko_log::check::text(&text, Format::Toml)
            .errors
            .into_iter()
            .next()
        {
            Some(error) => Err(error),
            None => Ok(ko_log::config::Config::from_str(&text, Format::Toml).unwrap()),
        }
    };
    for (value, expected) in [
        ("auto", JournalPrefix::Auto),
        ("always", JournalPrefix::Always),
        ("never", JournalPrefix::Never),
    ] {
        let config = parse(value).unwrap();
        let stream = StreamConfig::from_params(&config.handlers["s"].params).unwrap();
        assert_eq!(stream.journal_prefix, expected);
    }
    let error = parse("sometimes").unwrap_err();
    assert_eq!(error.key_path(), "handlers.s.journal_prefix", "{error}");
    assert!(
        error.to_string().contains("`auto`, `always` or `never`"),
        "{error}"
    );
}
