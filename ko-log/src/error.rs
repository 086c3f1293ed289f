//! `Error`: everything ko-log can refuse or report, with a structured `code()`.
//!
//! Codes follow the form `LAYER::Service::CATEGORY::SEVERITY[::RECOVERABLE]` of the Python
//! ko-log, e.g. `CONFIGURATION::Config::VALIDATION::ERROR` or
//! `HANDLER::RotatingFile::IO::ERROR::RECOVERABLE`. Errors never reach the caller of
//! `log::info!`: run-time ones are counted in [`crate::stats`] and reported on stderr.

use std::borrow::Cow;
use std::io;
use std::path::PathBuf;

use ko_log_config::ConfigError;

/// An error from initialising ko-log, or one reported by a handler at run time.
///
/// `Debug` shows the same text as `Display` (for a config error, the located diagnostic
/// with its excerpt), so `fn main() -> Result<(), Box<dyn std::error::Error>>` prints
/// something a person can act on; the structure is in the variants and accessors.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration was refused (its location is in the message).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A global logger is already installed (by ko-log or another crate).
    #[error("a global logger is already installed; ko-log can be initialised once per process")]
    AlreadyInitialized,
    /// A handler's I/O failed.
    #[error("{handler} handler: cannot {op} {}: {source}", path.display())]
    Io {
        /// The handler type in code form (`File`, `RotatingFile`, `Stream`).
        handler: &'static str,
        /// What was being done (`open`, `write`, `flush`, `rotate`, `reopen`).
        op: &'static str,
        /// The path involved (`<stdout>`/`<stderr>` for streams).
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// A handler could not be started at init (its file cannot be opened, say).
    #[error("handler `{name}`: {source}")]
    Handler {
        /// The handler's name in the config.
        name: String,
        /// What went wrong.
        #[source]
        source: Box<Error>,
    },
    /// A handler's own failure that is not an I/O error (a database refused a row, a
    /// collector answered with an error): what a custom handler returns through
    /// [`Error::custom`]. Reported with the handler's configured name.
    #[error("{0}")]
    Custom(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A handler panicked in `write` or `flush`; the record was not written by it. The
    /// other handlers and the dispatcher carry on. (Reported as
    /// ``handler `NAME`: panicked in `write`: ...``.)
    #[error("panicked in `{op}`: {message}")]
    HandlerPanic {
        /// The handler's name in the config.
        handler: String,
        /// What it was doing (`write`, `flush`).
        op: &'static str,
        /// The panic payload, when it was a string.
        message: String,
    },
    /// A renderer panicked; the record was skipped for its handler.
    #[error("the renderer panicked: {message}")]
    RendererPanic {
        /// The configured name of the handler whose renderer it is.
        handler: String,
        /// The panic payload, when it was a string.
        message: String,
    },
    /// A component type this version of ko-log does not know how to build (a config
    /// variant added by a newer `ko-log-config`).
    #[error("{0}")]
    Unsupported(String),
    /// A processor panicked; the record was still written without that processor's effect.
    #[error("processor `{name}` panicked: {message}")]
    ProcessorPanic {
        /// The processor's `type` name.
        name: String,
        /// The panic payload, when it was a string.
        message: String,
    },
    /// The dispatcher thread could not be started.
    #[error("cannot start the ko-log dispatcher thread: {0}")]
    Spawn(#[source] io::Error),
    /// `flush_on_signals` could not be set up: its thread could not be started, or
    /// SIGTERM and SIGINT could not be watched.
    #[error("flush_on_signals: cannot watch SIGTERM and SIGINT: {0}")]
    Signals(#[source] io::Error),
    /// [`crate::reload`] or [`crate::reconfigure`] cannot run: ko-log is not installed,
    /// was not initialized from a file (for `reload`), or was called from the dispatcher
    /// thread. The running config is unchanged.
    #[error("cannot reload: {0}")]
    Reload(String),
}

impl std::fmt::Debug for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

impl Error {
    /// The structured code, e.g. `HANDLER::File::IO::ERROR::RECOVERABLE`.
    pub fn code(&self) -> Cow<'static, str> {
        match self {
            Error::Config(e) => Cow::Owned(e.code().to_owned()),
            Error::AlreadyInitialized => Cow::Borrowed("RUNTIME::Logger::STATE::ERROR"),
            Error::Handler { source, .. } => source.code(),
            Error::Io { handler, .. } => {
                Cow::Owned(format!("HANDLER::{handler}::IO::ERROR::RECOVERABLE"))
            }
            Error::ProcessorPanic { .. } => {
                Cow::Borrowed("PROCESSOR::Custom::PANIC::ERROR::RECOVERABLE")
            }
            Error::Spawn(_) => Cow::Borrowed("RUNTIME::Dispatcher::THREAD::CRITICAL"),
            Error::Custom(_) => Cow::Borrowed("HANDLER::Custom::RUNTIME::ERROR::RECOVERABLE"),
            Error::HandlerPanic { .. } => {
                Cow::Borrowed("HANDLER::Custom::PANIC::ERROR::RECOVERABLE")
            }
            Error::RendererPanic { .. } => {
                Cow::Borrowed("RENDERER::Render::PANIC::ERROR::RECOVERABLE")
            }
            Error::Unsupported(_) => Cow::Borrowed("CONFIGURATION::Config::VALIDATION::ERROR"),
            Error::Signals(_) => Cow::Borrowed("RUNTIME::Signals::SETUP::ERROR"),
            Error::Reload(_) => Cow::Borrowed("RUNTIME::Reload::STATE::ERROR"),
        }
    }

    /// Whether ko-log keeps going after this error (and retries the operation later).
    pub fn recoverable(&self) -> bool {
        match self {
            Error::Io { .. }
            | Error::ProcessorPanic { .. }
            | Error::Custom(_)
            | Error::HandlerPanic { .. }
            | Error::RendererPanic { .. } => true,
            Error::Handler { source, .. } => source.recoverable(),
            _ => false,
        }
    }

    /// A handler's own failure, for a custom handler's `write` or `flush` to return when
    /// the problem is not an `std::io::Error` (which goes in [`Error::Io`]).
    pub fn custom(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Error {
        Error::Custom(error.into())
    }

    /// Shorthand for an [`Error::Io`].
    pub fn io(
        handler: &'static str,
        op: &'static str,
        path: impl Into<PathBuf>,
        source: io::Error,
    ) -> Error {
        Error::Io {
            handler,
            op,
            path: path.into(),
            source,
        }
    }
}

/// A component's constructor refusing one of its own params: the key (a path through the
/// params' tables, `["tls", "ca_file"]`) and why.
///
/// A `#[ko_log::handler]` or `#[ko_log::renderer]` function that returns it (directly or
/// boxed) has init refused at that key's value, with its line, column and key path
/// (`handlers.otel.tls.ca_file`), instead of at the table's `type`: a file the key names
/// that cannot be read, a value only the runtime can check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamError {
    keys: Vec<String>,
    message: String,
}

impl ParamError {
    /// An error about the value at `keys` (`&["path"]`; `&["tls", "ca_file"]` for a key
    /// inside the `tls` table).
    pub fn new(keys: &[&str], message: impl Into<String>) -> ParamError {
        ParamError {
            keys: keys.iter().map(|&key| key.to_owned()).collect(),
            message: message.into(),
        }
    }

    /// The key's path through the params' tables.
    pub fn keys(&self) -> &[String] {
        &self.keys
    }

    /// Why the value is refused.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl std::fmt::Display for ParamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ParamError {}
