//! `ConfigError`: every way a configuration can be refused, with its location.
//!
//! An error knows its [`ConfigErrorKind`], a one-line message, where it is (file, line,
//! column, and the text of that line, captured when the error is made), the dotted key
//! path, and a "did you mean" suggestion or another hint. `Display` renders all of it the
//! way rustc and the `toml` crate do:
//!
//! ```text
//! error: unknown key `max_byte`
//!  --> log.toml:9:1
//!   |
//! 9 | max_byte = "10 MiB"
//!   | ^
//!   = key: handlers.file.max_byte
//!   = help: did you mean `max_bytes`?
//! ```
//!
//! `Debug` renders the same. What the error quotes of the config is made safe to print
//! ([`crate::escape`]): control characters are escaped (`\u{1b}`), the excerpt is a window
//! of at most 120 characters around the column, and long quoted parts are cut with `…`.

use std::error::Error as StdError;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::escape;
use crate::source::{Mark, Source};

/// A refused configuration: what is wrong, where (file, line, column, key path), and a
/// suggestion when a near name exists.
///
/// `Debug` prints the same diagnostic as `Display`, so `fn main() -> Result<(), Box<dyn
/// Error>>` shows it as is; the parts are reachable through the accessors.
#[non_exhaustive]
pub struct ConfigError {
    /// Boxed so that `Result<_, ConfigError>` stays one pointer wide.
    inner: Box<Inner>,
}

struct Inner {
    kind: ConfigErrorKind,
    message: String,
    file: Option<PathBuf>,
    location: Option<Location>,
    /// The part of the source line of `location` that is shown, escaped, and the padding
    /// that puts the caret under the column (see [`crate::escape`]).
    snippet: Option<(String, String)>,
    key_path: String,
    suggestion: Option<String>,
    help: Option<String>,
    source: Option<Box<dyn StdError + Send + Sync + 'static>>,
}

/// The category of a [`ConfigError`].
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigErrorKind {
    /// The file could not be read.
    Io,
    /// The file's extension names no known format (`.toml`, `.json`, `.yaml`, `.yml`).
    UnknownFormat,
    /// The text is not valid TOML/JSON/YAML (or not UTF-8, or holds a duplicate key).
    Syntax,
    /// A key that the table does not have (a typo, usually).
    UnknownKey,
    /// A required key is absent.
    MissingKey,
    /// A handler or renderer `type` (or a processor `type`, checked by the runtime) that
    /// names nothing known.
    UnknownType,
    /// A logger names a handler that is not defined.
    UnknownHandler,
    /// A value of the wrong type or out of range: a bad level, size, duration, template,
    /// color, zero capacity, ...
    InvalidValue,
    /// A rule across values broken by a configuration built in Rust
    /// ([`ConfigError::validation`]).
    Validation,
    /// An environment variable is unset, or `env_file` cannot be read or parsed.
    Environment,
}

/// Where in a config file a mistake is.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Location {
    /// The file, when the config came from one.
    pub file: Option<PathBuf>,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.file {
            Some(file) => write!(f, "{}:{}:{}", file.display(), self.line, self.column),
            None => write!(f, "line {}, column {}", self.line, self.column),
        }
    }
}

impl ConfigError {
    /// A validation error at a key path, without location (for configs built in Rust).
    pub fn validation(key_path: impl Into<String>, message: impl Into<String>) -> ConfigError {
        ConfigError::new(ConfigErrorKind::Validation, message).with_path(key_path)
    }

    /// An error of `kind` with no location yet.
    pub(crate) fn new(kind: ConfigErrorKind, message: impl Into<String>) -> ConfigError {
        ConfigError {
            inner: Box::new(Inner {
                kind,
                message: escape::clean(&message.into()),
                file: None,
                location: None,
                snippet: None,
                key_path: String::new(),
                suggestion: None,
                help: None,
                source: None,
            }),
        }
    }

    /// Places the error at `mark` in `source`, capturing the excerpt of its line.
    pub(crate) fn at(mut self, source: &Source, mark: Mark) -> ConfigError {
        self.inner.file = source.file().cloned();
        self.inner.location = Some(source.location(mark));
        self.inner.snippet = source
            .line_text(mark.line)
            .map(|line| escape::excerpt(line, mark.column));
        self
    }

    pub(crate) fn with_file(mut self, file: &Path) -> ConfigError {
        self.inner.file = Some(file.to_owned());
        self
    }

    pub(crate) fn with_path(mut self, key_path: impl Into<String>) -> ConfigError {
        self.inner.key_path = escape::clean(&key_path.into());
        self
    }

    pub(crate) fn with_suggestion(mut self, suggestion: Option<&str>) -> ConfigError {
        self.inner.suggestion = suggestion.map(escape::clean);
        self
    }

    pub(crate) fn with_help(mut self, help: Option<String>) -> ConfigError {
        self.inner.help = help.as_deref().map(escape::clean);
        self
    }

    pub(crate) fn with_source(
        mut self,
        source: impl StdError + Send + Sync + 'static,
    ) -> ConfigError {
        self.inner.source = Some(Box::new(source));
        self
    }

    /// The same error with `cause` as its `source()` (for errors the runtime meets while
    /// acting on a valid config, such as a log file it cannot open).
    pub fn with_cause(self, cause: impl Into<Box<dyn StdError + Send + Sync>>) -> ConfigError {
        let mut error = self;
        error.inner.source = Some(cause.into());
        error
    }

    /// The category.
    pub fn kind(&self) -> ConfigErrorKind {
        self.inner.kind
    }

    /// The structured code: `CONFIGURATION::Config::SYNTAX::ERROR` for syntax errors,
    /// `...::IO::ERROR` when the file cannot be read, `...::ENVIRONMENT::ERROR` for
    /// `${VAR}` and `env_file` problems, `CONFIGURATION::Config::VALIDATION::ERROR` for
    /// everything else.
    pub fn code(&self) -> &'static str {
        match self.inner.kind {
            ConfigErrorKind::Io => "CONFIGURATION::Config::IO::ERROR",
            ConfigErrorKind::Syntax => "CONFIGURATION::Config::SYNTAX::ERROR",
            ConfigErrorKind::Environment => "CONFIGURATION::Config::ENVIRONMENT::ERROR",
            ConfigErrorKind::UnknownFormat
            | ConfigErrorKind::UnknownKey
            | ConfigErrorKind::MissingKey
            | ConfigErrorKind::UnknownType
            | ConfigErrorKind::UnknownHandler
            | ConfigErrorKind::InvalidValue
            | ConfigErrorKind::Validation => "CONFIGURATION::Config::VALIDATION::ERROR",
        }
    }

    /// What is wrong, in one line (without location, key path or suggestion).
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// Where the mistake is, when known.
    pub fn location(&self) -> Option<&Location> {
        self.inner.location.as_ref()
    }

    /// The config file involved, when there is one (also for [`ConfigErrorKind::Io`]
    /// errors, which have no line).
    pub fn file(&self) -> Option<&Path> {
        self.inner.file.as_deref()
    }

    /// The dotted key path (`handlers.file.max_bytes`), empty for the whole document.
    ///
    /// Keys that are not plain words (`[A-Za-z0-9_-]+`) are quoted as in TOML
    /// (`loggers."my_app::db".level`); list items are `[index]`
    /// (`handlers.file.processors[2].type`).
    pub fn key_path(&self) -> &str {
        &self.inner.key_path
    }

    /// The known name the mistaken one is probably a typo of (shown as "did you mean").
    pub fn suggestion(&self) -> Option<&str> {
        self.inner.suggestion.as_deref()
    }

    /// Another hint, shown when there is no suggestion (e.g. the list of accepted names).
    pub fn help(&self) -> Option<&str> {
        self.inner.help.as_deref()
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: {}", self.inner.message)?;
        let gutter = self
            .inner
            .location
            .as_ref()
            .map_or(1, |l| l.line.to_string().len());
        let pad = " ".repeat(gutter);
        if let Some(location) = &self.inner.location {
            write!(f, "\n{pad}--> {location}")?;
            if let Some((snippet, caret_pad)) = &self.inner.snippet {
                write!(f, "\n{pad} |")?;
                write!(f, "\n{} | {snippet}", location.line)?;
                write!(f, "\n{pad} | {caret_pad}^")?;
            }
        } else if let Some(file) = &self.inner.file {
            write!(f, "\n{pad}--> {}", file.display())?;
        }
        if !self.inner.key_path.is_empty() {
            write!(f, "\n{pad} = key: {}", self.inner.key_path)?;
        }
        if let Some(suggestion) = &self.inner.suggestion {
            write!(f, "\n{pad} = help: did you mean `{suggestion}`?")?;
        } else if let Some(help) = &self.inner.help {
            write!(f, "\n{pad} = help: {help}")?;
        }
        Ok(())
    }
}

/// The same diagnostic as `Display` (see [`ConfigError`]).
impl fmt::Debug for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl StdError for ConfigError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|e| e as &(dyn StdError + 'static))
    }
}
