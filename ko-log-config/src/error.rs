//! `ConfigError`: every way a configuration can be refused, with its location.
//! TODO(config helper): complete (kinds, Display with caret line, did-you-mean, source).

use std::fmt;
use std::path::PathBuf;

/// A refused configuration: what is wrong, where (file, line, column, key path), and a
/// suggestion when a near name exists.
#[derive(Debug)]
pub struct ConfigError {
    kind: ConfigErrorKind,
    message: String,
    location: Option<Location>,
    key_path: String,
}

/// The category of a [`ConfigError`].
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigErrorKind {
    /// The file could not be read.
    Io,
    /// The text is not valid TOML/JSON/YAML.
    Syntax,
    /// A value or key is not acceptable.
    Validation,
    /// An environment variable is unset or `env_file` is bad.
    Environment,
}

/// Where in a config file a mistake is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file, when the config came from one.
    pub file: Option<PathBuf>,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
}

impl ConfigError {
    /// A validation error at a key path, without location (for configs built in Rust).
    pub fn validation(key_path: impl Into<String>, message: impl Into<String>) -> ConfigError {
        ConfigError {
            kind: ConfigErrorKind::Validation,
            message: message.into(),
            location: None,
            key_path: key_path.into(),
        }
    }

    /// The category.
    pub fn kind(&self) -> ConfigErrorKind {
        self.kind
    }

    /// The structured code, e.g. `CONFIGURATION::Config::VALIDATION::ERROR`.
    pub fn code(&self) -> &'static str {
        match self.kind {
            ConfigErrorKind::Io => "CONFIGURATION::Config::IO::ERROR",
            ConfigErrorKind::Syntax => "CONFIGURATION::Config::SYNTAX::ERROR",
            ConfigErrorKind::Validation => "CONFIGURATION::Config::VALIDATION::ERROR",
            ConfigErrorKind::Environment => "CONFIGURATION::Config::ENVIRONMENT::ERROR",
        }
    }

    /// Where the mistake is, when known.
    pub fn location(&self) -> Option<&Location> {
        self.location.as_ref()
    }

    /// The dotted key path (`handlers.file.max_bytes`), empty for the whole document.
    pub fn key_path(&self) -> &str {
        &self.key_path
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key_path, self.message)
    }
}

impl std::error::Error for ConfigError {}
