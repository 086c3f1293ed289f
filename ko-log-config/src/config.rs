//! The root of the typed configuration and its entry points.

use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::path::Path;

use indexmap::IndexMap;
use log::LevelFilter;

use crate::node::KeyPath;
use crate::{
    Checked, ConfigError, ConfigErrorKind, HandlerConfig, LoggerConfig, QueueConfig, RendererConfig,
};

/// The name of the logger that matches every target.
pub const ROOT: &str = "root";

/// The name of the one handler of [`Config::default`].
pub const CONSOLE: &str = "console";

/// The whole configuration: one queue, named loggers and named handlers.
///
/// Logger names are `log` targets: `my_app::db` matches the target `my_app::db` and every
/// target below it (`my_app::db::pool`); [`ROOT`] matches every target. Handlers are named
/// once and referenced by loggers, so two loggers writing one file share one handler.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Config {
    /// The level of a logger that does not set one and has no ancestor that does
    /// (key `default_level`, default `info`).
    pub default_level: LevelFilter,
    /// The queue between the caller threads and the dispatcher (key `queue`).
    pub queue: QueueConfig,
    /// Loggers by name (key `loggers`); validated so every handler they name exists.
    pub loggers: BTreeMap<String, LoggerConfig>,
    /// Handlers by name (key `handlers`), in the order the file names them (or, built in
    /// Rust, the order they were inserted): they are opened, listed in `Stats` and
    /// reported in this order.
    pub handlers: IndexMap<String, HandlerConfig>,
    /// On SIGTERM or SIGINT, write what is queued within `queue.drain_timeout` before the
    /// signal takes its course (key `flush_on_signals`, default `false`). Unix only; it
    /// takes effect for the backend installed by an init function.
    pub flush_on_signals: bool,
    /// The environment variable whose level directives override the loggers' levels at
    /// init (key `env_filter`: a variable name, or `false` for none; default
    /// [`DEFAULT_VARIABLE`](crate::env::directives::DEFAULT_VARIABLE), `KO_LOG`). `None`
    /// reads no variable. See [`crate::env::directives`].
    pub env_filter: Option<String>,
    /// Log every panic as an ERROR record on target `panic` before the previous panic
    /// hook runs (key `log_panics`, default `false`); it takes effect for the backend
    /// installed by an init function.
    pub log_panics: bool,
    /// Reload the config when its file changes (key `watch`: `true`, `false` or
    /// `"poll"`; default `false`). Only a config read from a file is watched.
    pub watch: Watch,
}

/// How ko-log watches its config file (key `watch`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Watch {
    /// Not watched (`watch = false`, the default); `ko_log::reload()` still reloads.
    #[default]
    Off,
    /// File-system events on the file's directory (`watch = true`), falling back to
    /// polling where they are not available; needs ko-log's `watch` feature.
    Events,
    /// Polling the file every second (`watch = "poll"`), for file systems that send no
    /// events (NFS and other network mounts); std only.
    Poll,
}

/// The syntax of a configuration text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// TOML (`.toml`).
    Toml,
    /// JSON (`.json`).
    Json,
    /// YAML (`.yaml`, `.yml`).
    Yaml,
}

impl Format {
    /// The format a file extension names, if any (`toml`, `json`, `yaml`, `yml`).
    pub fn from_extension(ext: &str) -> Option<Format> {
        match ext.to_ascii_lowercase().as_str() {
            "toml" => Some(Format::Toml),
            "json" => Some(Format::Json),
            "yaml" | "yml" => Some(Format::Yaml),
            _ => None,
        }
    }
}

impl Config {
    /// No loggers and no handlers (records go nowhere until some are added); every other
    /// key at its default, as in [`Config::default`].
    pub fn empty() -> Config {
        let mut config = Config::default();
        config.loggers.clear();
        config.handlers.clear();
        config
    }
}

impl Config {
    /// Reads and validates a config file, choosing the format by its extension.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Config, ConfigError> {
        crate::load::from_path(path.as_ref())
    }

    /// [`Config::from_path`] in two steps, for a program that keeps the bytes (to tell
    /// later whether the file changed): [`Config::read_file`], then this.
    pub fn from_file_bytes(path: impl AsRef<Path>, bytes: &[u8]) -> Result<Config, ConfigError> {
        crate::load::from_bytes(path.as_ref(), bytes)
    }

    /// The bytes of the config file at `path`, or the located error [`Config::from_path`]
    /// gives when it cannot be read.
    pub fn read_file(path: impl AsRef<Path>) -> Result<Vec<u8>, ConfigError> {
        crate::load::read(path.as_ref())
    }

    /// Parses and validates a config text (no file name appears in its errors).
    #[allow(clippy::should_implement_trait)]
    pub fn from_str(text: &str, format: Format) -> Result<Config, ConfigError> {
        crate::load::from_str(text, format, None)
    }

    /// Reads a config file and reports every mistake in it, not only the first (see
    /// [`crate::check`]): the same rules as [`Config::from_path`], which refuses the file
    /// exactly when this finds an error, with the first error it would report among them.
    /// `format` overrides the one the extension names.
    pub fn check_file(path: impl AsRef<Path>, format: Option<Format>) -> Checked {
        crate::load::check_path(path.as_ref(), format)
    }

    /// [`Config::check_file`] for a text (no file name appears in its errors).
    pub fn check_str(text: &str, format: Format) -> Checked {
        crate::load::check_str(text, format, None)
    }
}

impl Config {
    /// Checks a configuration built in Rust the way a loaded one is checked: every
    /// handler a logger names exists, the queue capacity is from 1 to
    /// [`QueueConfig::MAX_CAPACITY`], logger names are not empty, `env_filter` is a
    /// variable name, `on_error` keeps records the handler skips. A handler's, renderer's
    /// or processor's own keys are the runtime's to check.
    ///
    /// These are the only copies of these rules: loading a file runs the same checks on
    /// the config it built and places the error at the key it names. Errors from here
    /// have a key path but no location.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.check().map_err(|violation| violation.error)
    }

    /// The rules of [`Config::validate`], with the key path of the first one broken.
    pub(crate) fn check(&self) -> Result<(), Violation> {
        let mut first = None;
        self.check_each(|violation| {
            first = Some(violation);
            ControlFlow::Break(())
        });
        first.map_or(Ok(()), Err)
    }

    /// Hands every broken rule of [`Config::validate`] to `report`, in order, until it
    /// says to stop: the one copy of the rules, for loading (the first) and for
    /// [`Config::check_str`] (all of them).
    pub(crate) fn check_each(&self, mut report: impl FnMut(Violation) -> ControlFlow<()>) {
        let root = KeyPath::root();
        if let Err(violation) = self.check_env_filter() {
            if report(violation).is_break() {
                return;
            }
        }
        if self.queue.capacity == 0 || self.queue.capacity > QueueConfig::MAX_CAPACITY {
            let message = if self.queue.capacity == 0 {
                QueueConfig::TOO_SMALL
            } else {
                QueueConfig::TOO_LARGE
            };
            if report(Violation::at(root.key("queue").key("capacity"), message)).is_break() {
                return;
            }
        }
        for (name, logger) in &self.loggers {
            let path = root.key("loggers").key(name);
            if name.trim().is_empty() {
                let violation = Violation {
                    at_key: true,
                    ..Violation::at(
                        path.clone(),
                        &format!("a logger name must be a target like `my_app::db` or `{ROOT}`"),
                    )
                };
                if report(violation).is_break() {
                    return;
                }
            }
            for (index, handler) in logger.handlers.iter().enumerate() {
                if !self.handlers.contains_key(handler) {
                    let path = path.key("handlers").index(index);
                    let error = crate::build::unknown_handler(name, handler, self.handlers.keys())
                        .with_path(path.to_string());
                    let violation = Violation {
                        path,
                        at_key: false,
                        error,
                    };
                    if report(violation).is_break() {
                        return;
                    }
                }
            }
        }
        for (name, handler) in &self.handlers {
            let path = root.key("handlers").key(name);
            if let Some(violation) = on_error_rule(handler, &path) {
                if report(violation).is_break() {
                    return;
                }
            }
        }
    }
}

/// The rules on a handler's `on_error`: it keeps at least one record, and only records
/// the handler's own `level` skips (so that level must be set, and above its own).
fn on_error_rule(handler: &crate::HandlerConfig, path: &KeyPath) -> Option<Violation> {
    let on_error = handler.on_error?;
    let at = path.key("on_error");
    if on_error.keep == 0 {
        return Some(Violation::at(
            at.key("keep"),
            "`keep` must be at least 1 (leave `on_error` out to keep nothing)",
        ));
    }
    match handler.level {
        None => Some(Violation::at(
            at,
            "`on_error` keeps the records this handler's `level` skips, and it has none: set `level` (for example \"info\")",
        )),
        Some(level) if on_error.level <= level => Some(Violation::at(
            at.key("level"),
            &format!(
                "`on_error.level` ({}) must be below the handler's `level` ({}): it keeps records the handler skips",
                on_error.level.as_str().to_lowercase(),
                level.as_str().to_lowercase()
            ),
        )),
        Some(_) => None,
    }
}

impl Config {
    /// The rule on `env_filter`: it names a variable (checked again before it is read).
    pub(crate) fn check_env_filter(&self) -> Result<(), Violation> {
        let Some(variable) = &self.env_filter else {
            return Ok(());
        };
        if crate::env::is_name(variable) {
            return Ok(());
        }
        let message = format!(
            "`env_filter` names an environment variable, like `RUST_LOG`; `{variable}` is not a variable name"
        );
        let path = KeyPath::root().key("env_filter");
        let error = ConfigError::new(ConfigErrorKind::InvalidValue, message)
            .with_path(path.to_string())
            .with_help(Some(
                "a name is `[A-Za-z_][A-Za-z0-9_]*`; `env_filter = false` reads none".to_owned(),
            ));
        Err(Violation {
            path,
            at_key: false,
            error,
        })
    }
}

/// A broken rule of [`Config::check`]: the error, and where it points.
pub(crate) struct Violation {
    /// The key the rule is about.
    pub path: KeyPath,
    /// Whether the error points at the key itself (a bad name) rather than its value.
    pub at_key: bool,
    pub error: ConfigError,
}

impl Violation {
    fn at(path: KeyPath, message: &str) -> Violation {
        let error =
            ConfigError::new(ConfigErrorKind::InvalidValue, message).with_path(path.to_string());
        Violation {
            path,
            at_key: false,
            error,
        }
    }
}

/// The zero-config setup: everything at `info` and above, colored, to stderr.
///
/// `default_level` is `info`; the `root` logger sets no level of its own (so it follows
/// `default_level`) and writes to one handler, `console`: a `stream` to stderr with the
/// `colored` renderer and its default template. The queue has its defaults,
/// `flush_on_signals`, `log_panics` and `watch` are off, and `env_filter` is `KO_LOG`.
impl Default for Config {
    fn default() -> Config {
        let console = HandlerConfig::new("stream").with_renderer(RendererConfig::new("colored"));
        let root = LoggerConfig {
            handlers: vec![CONSOLE.to_owned()],
            ..LoggerConfig::default()
        };
        Config {
            default_level: LevelFilter::Info,
            queue: QueueConfig::default(),
            loggers: BTreeMap::from([(ROOT.to_owned(), root)]),
            handlers: IndexMap::from([(CONSOLE.to_owned(), console)]),
            flush_on_signals: false,
            watch: Watch::Off,
            env_filter: Some(crate::env::directives::DEFAULT_VARIABLE.to_owned()),
            log_panics: false,
        }
    }
}
