//! Capturing log output in tests: [`Sink`].
//!
//! `cargo test` runs many tests in one process, and a process has one global logger. A
//! [`Sink`] works with that: it receives records from whatever ko-log backend is
//! installed (call [`init`] to install one for tests, at `trace`, writing nowhere else),
//! and it keeps only the records logged inside *its own capture scope*, so tests running
//! in parallel never see each other's records:
//!
//! ```
//! use ko_log::testing::{self, Sink};
//!
//! testing::init();
//! let sink = Sink::new();
//! {
//!     let _capture = sink.capture(); // this thread, until dropped
//!     log::info!(user = "ana"; "logged in");
//! }
//! log::info!("not captured: outside the scope");
//! assert_eq!(sink.lines(), ["INFO [rust_out] logged in user=ana"]);
//! ```
//!
//! For async tests, [`Sink::scope`] wraps a future so the records of the task (on
//! whichever thread polls it) are captured. [`Sink::attach`] instead captures every record
//! under a logger name, from any thread, scoped or not. These sinks see a record before
//! any handler's processors; [`Sink::handler`] captures what one handler receives, after
//! its processors, to test `redact` rules or processors of your own with the real config.
//!
//! A sink is a handler attached, while it lives, to the installed backend's core (what
//! every handler's [`Handle`](crate::handler::Handle) shares): no path of its own.
//!
//! [`Sink::lines`] and [`Sink::events`] first flush the pipeline, so every record logged
//! before the call is there.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use ko_log_config::{Config, ConfigError, LoggerConfig, RendererConfig, Template};
use log::LevelFilter;

use crate::component::handle::Attach;
use crate::component::Handler;
use crate::context::{self, ContextGuard, WithContext};
use crate::event::Event;
use crate::render::{self, Renderer};
use crate::unwind::lock;

/// The template of a sink's lines unless [`Sink::with_renderer`] says otherwise.
pub const DEFAULT_FORMAT: &str = "{level} [{target}] {message}{kv}";

/// Installs ko-log for tests, once per process: every level, no handlers, so records
/// reach only the sinks; `KO_LOG` is not read. Does nothing if a logger is installed
/// already (a ko-log one still feeds the sinks). Safe to call from every test.
///
/// A sink calls it itself when it starts capturing and no logger is installed, so a test
/// that forgets it still captures; a test whose process has another crate's logger fails
/// with a message saying so, instead of passing on an empty capture.
pub fn init() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let mut config = Config::empty();
        config.default_level = LevelFilter::Trace;
        // A developer's `KO_LOG` must not change what the sinks capture.
        config.env_filter = None;
        let mut root = LoggerConfig::default();
        root.level = Some(LevelFilter::Trace);
        config.loggers.insert(ko_log_config::ROOT.to_owned(), root);
        if let Ok(guard) = crate::install::init::init(config) {
            // The test process exits without running statics' destructors; the sinks
            // flush on every read, so nothing is lost by never dropping the guard.
            std::mem::forget(guard);
        }
    });
}

/// The installed ko-log backend a sink attaches to: installs the test backend
/// ([`init`]) when no logger is, and fails the test with what to do when the global
/// logger belongs to another crate (a sink would silently capture nothing).
#[allow(clippy::panic)] // failing the test loudly is the point
fn backend() -> &'static crate::caller::backend::Backend {
    if crate::caller::backend::installed().is_none() {
        init();
    }
    crate::caller::backend::installed().unwrap_or_else(|| {
        panic!(
            "ko_log::testing::Sink cannot capture: the global `log` logger is not ko-log \
             (another crate installed one first). Call `ko_log::testing::init()` (or a \
             ko-log init function) before anything else installs a logger."
        )
    })
}

/// Captures rendered lines and events. Cheap to clone; clones share the captured records.
#[derive(Debug, Clone)]
pub struct Sink {
    /// The id of its capture scopes (`context::Frame::sinks`).
    id: u64,
    /// The handler attached to the backend.
    capture: Arc<Mutex<Capture>>,
}

/// What a sink attaches: a handler that renders with the sink's renderer and keeps the
/// lines and the events it is given.
#[derive(Debug)]
struct Capture {
    renderer: Box<dyn Renderer>,
    lines: Vec<String>,
    events: Vec<Event>,
}

impl Handler for Capture {
    fn write(&mut self, _line: &[u8], event: &Event) -> Result<(), crate::error::Error> {
        let mut buf = Vec::new();
        self.renderer.render(event, &mut buf);
        let line = String::from_utf8_lossy(&buf);
        self.lines.push(line.trim_end_matches('\n').to_owned());
        self.events.push(event.clone());
        Ok(())
    }

    fn flush(&mut self) -> Result<(), crate::error::Error> {
        Ok(())
    }
}

impl Sink {
    /// A sink that captures the records logged inside its [`capture`](Sink::capture) and
    /// [`scope`](Sink::scope) scopes, rendered with [`DEFAULT_FORMAT`].
    pub fn new() -> Sink {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let capture = Capture {
            renderer: plain(Template::parse(DEFAULT_FORMAT).unwrap_or_default()),
            lines: Vec::new(),
            events: Vec::new(),
        };
        Sink {
            id: NEXT.fetch_add(1, Ordering::Relaxed),
            capture: Arc::new(Mutex::new(capture)),
        }
    }

    /// A sink that captures every record whose target is `logger` or below it
    /// (`"root"` for all), from any thread, scoped or not.
    pub fn attach(logger: &str) -> Sink {
        Sink::new().attached(Attach::Logger(logger.to_owned()))
    }

    /// A sink that captures what the handler configured as `handler` receives: the
    /// records routed to it that pass its `level`, *after* its processors ran (a record a
    /// processor dropped is not there; a field `redact` masked is masked), from any
    /// thread. Use it to test a handler's processors with the real config. Its lines are
    /// rendered with the sink's own renderer, not the handler's.
    pub fn handler(handler: &str) -> Sink {
        Sink::new().attached(Attach::Handler(handler.to_owned()))
    }

    /// Attaches the sink's handler to the installed backend where `to` says.
    fn attached(self, to: Attach) -> Sink {
        let capture: Arc<Mutex<dyn Handler>> = self.capture.clone();
        backend().shared.core.attach(to, &capture);
        self
    }

    /// Renders lines with `renderer` instead of the default template (a registered
    /// renderer too; building it can fail as at init).
    pub fn with_renderer(self, renderer: &RendererConfig) -> Result<Sink, crate::error::Error> {
        lock(&self.capture).renderer = render::build(renderer, false)?;
        Ok(self)
    }

    /// Renders lines with the plain `template` (e.g. `"{level} {message}{kv}"`).
    pub fn with_format(self, template: &str) -> Result<Sink, ConfigError> {
        let format = Template::parse(template)
            .map_err(|e| ConfigError::validation("format", e.to_string()))?;
        lock(&self.capture).renderer = plain(format);
        Ok(self)
    }

    /// Captures the records logged on this thread until the guard drops.
    pub fn capture(&self) -> ContextGuard {
        let id = self.clone().attached(Attach::Scope(self.id)).id;
        context::enter(Vec::new(), Some(id))
    }

    /// Captures the records logged by `future`, on whichever thread polls it.
    pub fn scope<F: Future>(&self, future: F) -> WithContext<F> {
        let id = self.clone().attached(Attach::Scope(self.id)).id;
        context::scoped(Vec::new(), Some(id), future)
    }

    /// The rendered lines captured so far, without their trailing newline.
    pub fn lines(&self) -> Vec<String> {
        log::logger().flush();
        lock(&self.capture).lines.clone()
    }

    /// The events captured so far, as the renderer saw them (context merged).
    pub fn events(&self) -> Vec<Event> {
        log::logger().flush();
        lock(&self.capture).events.clone()
    }

    /// Forgets what was captured.
    pub fn clear(&self) {
        log::logger().flush();
        let mut capture = lock(&self.capture);
        capture.lines.clear();
        capture.events.clear();
    }
}

impl Default for Sink {
    fn default() -> Self {
        Sink::new()
    }
}

/// The plain renderer with `format`.
fn plain(format: Template) -> Box<dyn Renderer> {
    let config = render::PlainConfig {
        format,
        ..Default::default()
    };
    Box::new(render::Plain::new(&config))
}
