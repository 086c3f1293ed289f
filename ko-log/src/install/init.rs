//! The init functions: claim the global `log` logger, then build a [`Backend`] and put it
//! behind that logger.
//!
//! The `log` crate has one global logger per process and no way to ask whether it is
//! taken except by taking it. So ko-log installs a small forwarding logger ([`Global`])
//! *first*, before it opens a single file or starts a thread: when another logger (or an
//! earlier ko-log init) holds the slot, init returns [`Error::AlreadyInitialized`] having
//! touched nothing. Only then is the backend built and set behind the forwarder. A build
//! that fails (a bad config, a file that cannot be opened) leaves the slot held by ko-log
//! with no backend behind it, so records go nowhere and a later init can still succeed.
//!
//! Every init function that takes a config lays the level directives of the variable its
//! `env_filter` names (`KO_LOG` by default) over it first
//! ([`Config::apply_env_filter`]): the environment overrides the file and the code.

use std::path::Path;
use std::sync::Mutex;

use crate::caller::backend::{installed, GLOBAL};
use crate::dispatch::Guard;
use crate::stats::Stats;
use crate::{caller::backend::Backend, error::Error};
use ko_log_config::{Config, Format, Watch};

/// Whether ko-log holds `log`'s global slot; held while an init runs, so concurrent inits
/// are serialised and only one builds.
static CLAIMED: Mutex<bool> = Mutex::new(false);

/// Takes `log`'s global slot for ko-log (once), then runs `build` and installs the backend
/// it returns; all under one lock, so two concurrent inits cannot both build.
fn claim_and_install<T>(build: impl FnOnce() -> Result<(Backend, T), Error>) -> Result<T, Error> {
    let mut claimed = CLAIMED.lock().unwrap_or_else(|e| e.into_inner());
    if installed().is_some() {
        return Err(Error::AlreadyInitialized);
    }
    if !*claimed {
        log::set_logger(&GLOBAL).map_err(|_| Error::AlreadyInitialized)?;
        *claimed = true;
    }
    let (backend, rest) = build()?;
    let max_level = backend.max_level();
    let backend: &'static Backend = Box::leak(Box::new(backend));
    // Started before the backend is installed, so that nothing can fail after it; armed
    // after, so that a refused init leaves the process's signal handling untouched.
    #[cfg(unix)]
    let watcher = if backend.flush_on_signals() {
        Some(crate::install::signals::Watcher::spawn(backend)?)
    } else {
        None
    };
    GLOBAL.install(backend);
    crate::level_scope::set_base(max_level);
    if backend.log_panics() {
        crate::install::panic::log_panics();
    }
    // tracing callsites cached before init are asked again, now against these loggers.
    #[cfg(feature = "tracing")]
    crate::caller::tracing::loggers_changed();
    #[cfg(unix)]
    if let Some(watcher) = watcher {
        watcher.arm();
    }
    Ok(rest)
}

/// Reads `path` (TOML, JSON or YAML by extension) and installs ko-log as the global logger.
///
/// ```no_run
/// let _guard = ko_log::init_from_file("log.toml")?;
/// log::info!(user_id = 123; "Processing request");
/// # Ok::<(), ko_log::Error>(())
/// ```
///
/// Every mistake, including a log file that cannot be opened, is a config error located in
/// the file; the file is read once. `KO_LOG` (or the variable `env_filter` names)
/// overrides the file's levels, as in [`init`].
pub fn init_from_file(path: impl AsRef<Path>) -> Result<Guard, Error> {
    let path = path.as_ref();
    // Stamped before it is read: a change made after is seen by `watch`.
    let stamp = crate::install::reload::stamp(path);
    let text = Config::read_file(path)?;
    let config = Config::from_file_bytes(path, &text)?;
    let watch = config.watch;
    let guard = init_with(config, false)?;
    if let Some(backend) = installed() {
        backend
            .live
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .source = Some(path.to_owned());
        if watch != Watch::Off {
            crate::install::reload::watch(backend, path.to_owned(), watch, stamp, text);
        }
    }
    Ok(guard)
}

/// Parses `text` in `format` and installs ko-log as the global logger; `KO_LOG` (or the
/// variable `env_filter` names) overrides its levels, as in [`init`].
pub fn init_from_str(text: &str, format: Format) -> Result<Guard, Error> {
    let config = Config::from_str(text, format)?;
    let watch = config.watch;
    let guard = init_with(config, false)?;
    if watch != Watch::Off {
        log::warn!(
            target: "ko_log",
            "`watch` needs a config read from a file (ko_log::init_from_file): nothing is watched"
        );
    }
    Ok(guard)
}

/// The zero-config setup: `info` and above, colored, to stderr; `KO_LOG` overrides the
/// levels, as in [`init`] (`KO_LOG=debug`, `KO_LOG=warn,my_app=trace`).
pub fn init_default() -> Result<Guard, Error> {
    init(Config::default())
}

/// Installs ko-log, configured by `config`, as the global logger.
///
/// Fails with [`Error::AlreadyInitialized`] when a global logger exists already (the `log`
/// crate allows one per process). That is checked before anything is built: no file is
/// opened (so `append = false` truncates nothing), no thread started, nothing leaked.
///
/// The variable `config.env_filter` names (`KO_LOG` unless set otherwise; `None` reads
/// none) overrides the levels of the loggers, in env_logger's syntax
/// (`warn,my_app::db=debug`): the environment wins over the config, whether that came from
/// a file or from code. A bad directive refuses init with a [`crate::config::ConfigError`]
/// located in the variable. See docs/CONFIG.md, `env_filter`.
pub fn init(config: Config) -> Result<Guard, Error> {
    init_with(config, true)
}

/// [`init`], validating `config` only when its loader did not (`validate`).
fn init_with(mut config: Config, validate: bool) -> Result<Guard, Error> {
    let guard = claim_and_install(|| {
        config.apply_env_filter()?;
        if validate {
            config.validate()?;
        }
        Backend::with_instances(config, Vec::new())
    })?;
    reads_env();
    Ok(guard)
}

/// Marks the installed backend as one whose reloads read `env_filter` as its init did.
pub(crate) fn reads_env() {
    if let Some(backend) = installed() {
        backend
            .live
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .reads_env = true;
    }
}

/// Installs what `build` makes, claiming the global slot before it runs.
pub(crate) fn install_built(
    build: impl FnOnce() -> Result<(Backend, Guard), Error>,
) -> Result<Guard, Error> {
    claim_and_install(build)
}

/// Installs an already built backend as the global logger and sets `log`'s max level.
///
/// Its levels are those it was built with: no environment variable is read here
/// ([`Backend::new`] reads none either).
///
/// The backend lives for the rest of the process (as `log` requires); its dispatcher stops
/// when the [`Guard`] is dropped. Fails with [`Error::AlreadyInitialized`] when a global
/// logger exists already.
///
/// With `flush_on_signals` in its config (Unix), this also starts the `ko-log-signals`
/// thread and watches SIGTERM and SIGINT: on either, what is queued is written within
/// `queue.drain_timeout` before the signal takes its course (docs/CONFIG.md says what
/// happens when the program handles the signal itself). It fails with
/// [`Error::Signals`] when that thread cannot be started.
pub fn install(backend: Backend) -> Result<(), Error> {
    claim_and_install(|| Ok((backend, ())))
}

/// The installed logger's counters (all zero before init).
pub fn stats() -> Stats {
    installed().map(Backend::stats).unwrap_or_default()
}
