//! The configs the tests install, written from the pieces a test varies: its queue, its
//! handlers and their renderers. A test names those pieces; these functions write the TOML
//! around them, so that one config reads as one line of what is special about it.

use std::path::Path;

/// Installs the TOML `text` as the global config; panics with the error and the text when
/// init refuses it.
pub fn init(text: &str) -> ko_log::Guard {
    ko_log::init_from_str(text, ko_log::config::Format::Toml)
        .unwrap_or_else(|error| panic!("init refused the config: {error}\n{text}"))
}

/// The error a backend built from the TOML `text` is refused with (by `Config::from_str` or
/// by `Backend::new`), without installing anything; panics when both accept it.
pub fn refusal(text: &str) -> ko_log::Error {
    ko_log::config::Config::from_str(text, ko_log::config::Format::Toml)
        .map_err(ko_log::Error::from)
        .and_then(|config| ko_log::Backend::new(config).map(drop))
        .err()
        .unwrap_or_else(|| panic!("accepted:\n{text}"))
}

/// `[queue]` of `capacity` records under the `backpressure` policy.
pub fn queue(capacity: usize, backpressure: &str) -> String {
    format!("[queue]\ncapacity = {capacity}\nbackpressure = \"{backpressure}\"\n")
}

/// `[loggers.root]` writing to `handlers`.
pub fn root(handlers: &[&str]) -> String {
    let list: Vec<String> = handlers.iter().map(|h| format!("\"{h}\"")).collect();
    format!("[loggers.root]\nhandlers = [{}]\n", list.join(", "))
}

/// `[handlers.NAME]` of type `kind` writing to `path`, then its `lines` (renderer,
/// processors, limits).
pub fn handler(name: &str, kind: &str, path: &Path, lines: &str) -> String {
    format!(
        "[handlers.{name}]\ntype = \"{kind}\"\npath = \"{}\"\n{lines}\n",
        path.display()
    )
}

/// `[handlers.NAME]`, a `file` handler writing to `path`, then its `lines`.
pub fn file(name: &str, path: &Path, lines: &str) -> String {
    handler(name, "file", path, lines)
}

/// `[handlers.NAME]`, a `rotating_file` handler at `path` writing bare messages, with its
/// `limits` lines (`max_bytes`, `backup_count` …).
pub fn rotating(name: &str, path: &Path, limits: &str) -> String {
    handler(name, "rotating_file", path, &(plain("{message}") + limits))
}

/// The line that gives a handler the JSON renderer.
pub const JSON: &str = "renderer = { type = \"json\" }\n";

/// The line that gives a handler the plain renderer with `format`.
pub fn plain(format: &str) -> String {
    format!("renderer = {{ type = \"plain\", format = \"{format}\" }}\n")
}

/// A config whose root logger writes to the one `file` handler `name` at `path`, which
/// renders the plain `format` and has the `extra` lines; `queue` is the `[queue]` table's
/// text (empty for the defaults).
pub fn one_file(queue: &str, name: &str, path: &Path, format: &str, extra: &str) -> String {
    let lines = plain(format) + extra;
    [queue, &root(&[name]), &handler(name, "file", path, &lines)].concat()
}

/// Installs ko-log writing to the [`StalledPipe`](crate::StalledPipe) at `pipe` (a queue of
/// 1,000 and `drain_timeout`, after the top-level `settings`), and logs 1,000 records of
/// 1 KB: the dispatcher is then stuck in a write with more queued behind it.
pub fn init_stalled(pipe: &Path, settings: &str, drain_timeout: &str) -> ko_log::Guard {
    let queue = format!("[queue]\ncapacity = 1000\ndrain_timeout = \"{drain_timeout}\"\n");
    let stalled = handler("stalled", "file", pipe, "create_dirs = false");
    let guard = init(&[settings, "\n", &queue, &root(&["stalled"]), &stalled].concat());
    let padding = "x".repeat(1000);
    for i in 0..1000 {
        log::info!("{i} {padding}");
    }
    guard
}

/// A config whose root logger sends every record (`trace` and up) to the handler `name`,
/// whose table holds `keys` (its `type` included), and to a JSON file at `file`, which also
/// gets ko-log's status records.
pub fn beside_json_file(name: &str, keys: &str, file: &Path) -> String {
    let tables = self::file("file", file, JSON) + &format!("[handlers.{name}]\n{keys}\n");
    format!("[loggers.root]\nlevel = \"trace\"\nhandlers = [\"{name}\", \"file\"]\n{tables}")
}

/// Asserts a config error's kind, line, column and key path (the error printed on failure).
#[track_caller]
pub fn assert_at(
    error: &ko_log::config::ConfigError,
    kind: ko_log::config::ConfigErrorKind,
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
