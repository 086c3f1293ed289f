//! The root of the typed configuration and its entry points.

use std::collections::BTreeMap;
use std::path::Path;

use log::LevelFilter;

use crate::{ConfigError, HandlerConfig, LoggerConfig, QueueConfig};

/// The name of the logger that matches every target.
pub const ROOT: &str = "root";

/// The whole configuration: one queue, named loggers and named handlers.
///
/// Logger names are `log` targets: `my_app::db` matches the target `my_app::db` and every
/// target below it (`my_app::db::pool`); [`ROOT`] matches every target. Handlers are named
/// once and referenced by loggers, so two loggers writing one file share one handler.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The level of a logger that does not set one and has no ancestor that does
    /// (key `default_level`, default `info`).
    pub default_level: LevelFilter,
    /// The queue between the caller threads and the dispatcher (key `queue`).
    pub queue: QueueConfig,
    /// Loggers by name (key `loggers`); validated so every handler they name exists.
    pub loggers: BTreeMap<String, LoggerConfig>,
    /// Handlers by name (key `handlers`).
    pub handlers: BTreeMap<String, HandlerConfig>,
}

/// The syntax of a configuration text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
    /// Reads and validates a config file, choosing the format by its extension.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Config, ConfigError> {
        crate::load::from_path(path.as_ref())
    }

    /// Parses and validates a config text (no file name appears in its errors).
    #[allow(clippy::should_implement_trait)]
    pub fn from_str(text: &str, format: Format) -> Result<Config, ConfigError> {
        crate::load::from_str(text, format, None)
    }
}

/// The zero-config setup: everything at `info` and above, colored, to stderr.
impl Default for Config {
    fn default() -> Config {
        todo!()
    }
}
