//! The init functions: build a [`Backend`] and install it as the global `log` logger.

use std::path::Path;
use std::sync::OnceLock;

use ko_log_config::{Config, Format};

use crate::dispatch::Guard;
use crate::stats::Stats;
use crate::{Backend, Error};

/// The installed backend, for [`stats`] and the async logging API.
static INSTALLED: OnceLock<&'static Backend> = OnceLock::new();

/// The backend installed by an init function, if any.
pub(crate) fn installed() -> Option<&'static Backend> {
    INSTALLED.get().copied()
}

/// Reads `path` (TOML, JSON or YAML by extension) and installs ko-log as the global logger.
///
/// ```no_run
/// let _guard = ko_log::init_from_file("log.toml")?;
/// log::info!(user_id = 123; "Processing request");
/// # Ok::<(), ko_log::Error>(())
/// ```
pub fn init_from_file(path: impl AsRef<Path>) -> Result<Guard, Error> {
    let path = path.as_ref();
    init(Config::from_path(path)?).map_err(|error| {
        let format = path
            .extension()
            .and_then(|ext| ext.to_str())
            .and_then(Format::from_extension);
        match (std::fs::read_to_string(path), format) {
            (Ok(text), Some(format)) => locate(error, &text, format, Some(path)),
            _ => error,
        }
    })
}

/// Parses `text` in `format` and installs ko-log as the global logger.
pub fn init_from_str(text: &str, format: Format) -> Result<Guard, Error> {
    init(Config::from_str(text, format)?).map_err(|error| locate(error, text, format, None))
}

/// Turns a handler that failed to start into a config error at its `path` (or its table),
/// so a permission problem is reported like any other mistake in the file.
fn locate(error: Error, text: &str, format: Format, file: Option<&Path>) -> Error {
    match error {
        Error::Handler { name, source } => {
            let keys = ["handlers", name.as_str(), "path"];
            let message = format!("handler `{name}` cannot start: {source}");
            Error::Config(
                ko_log_config::locate(text, format, file, &keys, message).with_cause(*source),
            )
        }
        other => other,
    }
}

/// The zero-config setup: `info` and above, colored, to stderr.
pub fn init_default() -> Result<Guard, Error> {
    init(Config::default())
}

/// Installs ko-log, configured by `config`, as the global logger.
///
/// Fails with [`Error::AlreadyInitialized`] when a global logger exists already (the `log`
/// crate allows one per process); nothing is left running in that case.
pub fn init(config: Config) -> Result<Guard, Error> {
    let (backend, guard) = Backend::new(config)?;
    install(backend)?;
    Ok(guard)
}

/// Installs an already built backend as the global logger and sets `log`'s max level.
///
/// The backend lives for the rest of the process (as `log` requires); its dispatcher stops
/// when the [`Guard`] is dropped.
///
/// With `flush_on_signals` in its config (Unix), this also starts the `ko-log-signals`
/// thread and watches SIGTERM and SIGINT: on either, what is queued is written within
/// `queue.drain_timeout` before the signal takes its course (docs/CONFIG.md says what
/// happens when the program handles the signal itself). It fails with
/// [`Error::Signals`] when that thread cannot be started.
pub fn install(backend: Backend) -> Result<(), Error> {
    if INSTALLED.get().is_some() {
        return Err(Error::AlreadyInitialized);
    }
    let max_level = backend.max_level();
    let backend: &'static Backend = Box::leak(Box::new(backend));
    // Started before the logger is set, so that nothing can fail after it; armed after,
    // so that a refused logger leaves the process's signal handling untouched.
    #[cfg(unix)]
    let watcher = if backend.flush_on_signals() {
        Some(crate::signals::Watcher::spawn(backend)?)
    } else {
        None
    };
    log::set_logger(backend).map_err(|_| Error::AlreadyInitialized)?;
    log::set_max_level(max_level);
    let _ = INSTALLED.set(backend);
    #[cfg(unix)]
    if let Some(watcher) = watcher {
        watcher.arm();
    }
    Ok(())
}

/// The installed logger's counters (all zero before init).
pub fn stats() -> Stats {
    installed().map(Backend::stats).unwrap_or_default()
}
