//! [`Builder`]: compose ko-log in code, for programs that want no config file or want to
//! hand ko-log a handler value they built (a connection pool, a channel, a test double).
//!
//! It starts from a [`Config`] (loaded from a file, or [`Config::default`], or empty) and
//! adds handler *values* under names, and routes loggers to them; the names then work
//! exactly like configured handlers (routing, `level`, processors, `stats().handler`).
//!
//! ```
//! use ko_log::{Builder, Event, Handler};
//!
//! #[derive(Debug, Default)]
//! struct Lines(Vec<String>);
//!
//! impl Handler for Lines {
//!     fn write(&mut self, line: &[u8], _event: &Event) -> Result<(), ko_log::Error> {
//!         self.0.push(String::from_utf8_lossy(line).into_owned());
//!         Ok(())
//!     }
//!     fn flush(&mut self) -> Result<(), ko_log::Error> {
//!         Ok(())
//!     }
//! }
//!
//! let (backend, guard) = Builder::empty()
//!     .handler("lines", Lines::default())
//!     .route("root", ["lines"])
//!     .build()?;
//! # drop((backend, guard));
//! # Ok::<(), ko_log::Error>(())
//! ```

use ko_log_config::{Config, ConfigError, HandlerConfig, LoggerConfig, ROOT};

use crate::dispatch::pipeline::Instance;
use crate::{
    caller::backend::Backend,
    component::{Handler, Renderer},
    dispatch::Guard,
    error::Error,
};

/// Composes a backend from a config plus handler values built in code.
///
/// A name added here must not also be a handler of the config; a logger routed to a
/// name must route to a handler that exists (either kind). Both are checked by
/// [`Builder::build`], with the same errors a config file gets.
#[must_use = "a builder does nothing until `build` or `install`"]
#[derive(Debug)]
pub struct Builder {
    config: Config,
    instances: Vec<Instance>,
    /// The first mistake, reported by `build`.
    error: Option<Error>,
}

impl Builder {
    /// Starts from `config` (its loggers, handlers and queue).
    pub fn new(config: Config) -> Builder {
        Builder {
            config,
            instances: Vec::new(),
            error: None,
        }
    }

    /// Starts from nothing: no handlers, a `root` logger routed nowhere, the default
    /// level and queue.
    pub fn empty() -> Builder {
        let mut config = Config::default();
        config.handlers.clear();
        config.loggers.clear();
        config
            .loggers
            .insert(ROOT.to_owned(), LoggerConfig::default());
        Builder::new(config)
    }

    /// Adds the handler value `handler` under `name`, rendered with the plain renderer.
    pub fn handler(self, name: &str, handler: impl Handler) -> Builder {
        self.add(name, Box::new(handler), None)
    }

    /// Adds the handler value `handler` under `name`, rendered by `renderer`.
    pub fn handler_with(
        self,
        name: &str,
        handler: impl Handler,
        renderer: impl Renderer,
    ) -> Builder {
        self.add(name, Box::new(handler), Some(Box::new(renderer)))
    }

    fn add(
        mut self,
        name: &str,
        handler: Box<dyn Handler>,
        renderer: Option<Box<dyn Renderer>>,
    ) -> Builder {
        if self.config.handlers.contains_key(name) {
            self.fail(format!(
                "handler `{name}` is defined twice: by the config and by the builder"
            ));
            return self;
        }
        // A placeholder, so routing and validation see the name like any other handler;
        // the backend puts the value in its place.
        self.config
            .handlers
            .insert(name.to_owned(), HandlerConfig::new("null"));
        self.instances.push(Instance {
            name: name.to_owned(),
            handler,
            renderer,
        });
        self
    }

    /// Sends the records of `logger` (a target prefix, or `root`) to `handlers` too,
    /// creating the logger when the config has none of that name.
    pub fn route<'a>(
        mut self,
        logger: &str,
        handlers: impl IntoIterator<Item = &'a str>,
    ) -> Builder {
        let entry = self.config.loggers.entry(logger.to_owned()).or_default();
        for handler in handlers {
            if !entry.handlers.iter().any(|h| h == handler) {
                entry.handlers.push(handler.to_owned());
            }
        }
        self
    }

    /// Sets the level of `logger`, creating it when the config has none of that name.
    pub fn level(mut self, logger: &str, level: log::LevelFilter) -> Builder {
        self.config
            .loggers
            .entry(logger.to_owned())
            .or_default()
            .level = Some(level);
        self
    }

    /// Which environment variable [`Builder::install`] reads level directives from
    /// (`config.env_filter`: `KO_LOG` unless the config says otherwise); `None` reads none,
    /// leaving the levels set in code and config as they are.
    pub fn env_filter(mut self, variable: Option<&str>) -> Builder {
        self.config.env_filter = variable.map(str::to_owned);
        self
    }

    fn fail(&mut self, message: String) {
        if self.error.is_none() {
            self.error = Some(ConfigError::validation("handlers", message).into());
        }
    }

    /// Validates and builds the backend without installing it (see [`Backend::new`]); no
    /// environment variable is read.
    pub fn build(self) -> Result<(Backend, Guard), Error> {
        if let Some(error) = self.error {
            return Err(error);
        }
        self.config.validate()?;
        Backend::with_instances(self.config, self.instances)
    }

    /// Builds the backend and installs it as the global logger (see [`crate::init`]):
    /// refused with [`Error::AlreadyInitialized`], before anything is built, when a
    /// global logger exists.
    ///
    /// Like every init function, it first lays the directives of `KO_LOG` (or the variable
    /// [`Builder::env_filter`] names) over the levels, those set with [`Builder::level`]
    /// included: the environment wins.
    pub fn install(mut self) -> Result<Guard, Error> {
        let guard = crate::install::init::install_built(|| {
            self.config.apply_env_filter()?;
            self.build()
        })?;
        crate::install::init::reads_env();
        Ok(guard)
    }
}
