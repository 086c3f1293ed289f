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
//! [`Sink::lines`] and [`Sink::events`] first flush the pipeline, so every record logged
//! before the call is there.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};

use ko_log_config::{Config, ConfigError, LoggerConfig, RendererConfig, Template};
use log::LevelFilter;

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

/// Makes sure a ko-log backend is installed before a sink starts capturing: installs the
/// test backend ([`init`]) when no logger is, and fails the test with what to do when the
/// global logger belongs to another crate (a sink would silently capture nothing).
#[allow(clippy::panic)] // failing the test loudly is the point
fn ensure_backend() {
    if crate::caller::backend::installed().is_some() {
        return;
    }
    init();
    if crate::caller::backend::installed().is_none() {
        panic!(
            "ko_log::testing::Sink cannot capture: the global `log` logger is not ko-log \
             (another crate installed one first). Call `ko_log::testing::init()` (or a \
             ko-log init function) before anything else installs a logger."
        );
    }
}

/// Captures rendered lines and events. Cheap to clone; clones share the captured records.
#[derive(Debug, Clone)]
pub struct Sink {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    id: u64,
    /// Which records the sink captures.
    scope: Scope,
    renderer: Mutex<Box<dyn Renderer>>,
    captured: Mutex<Captured>,
}

#[derive(Debug, Default)]
struct Captured {
    lines: Vec<String>,
    events: Vec<Event>,
}

/// Which records a sink captures.
#[derive(Debug)]
enum Scope {
    /// Those logged inside its capture scopes ([`Sink::new`]).
    Scoped,
    /// Every record whose target the logger owns ([`Sink::attach`]).
    Logger(String),
    /// What the handler receives, after its processors ([`Sink::handler`]).
    Handler(String),
}

/// Live sinks by id; weak, so a dropped sink stops capturing.
fn registry() -> &'static Mutex<HashMap<u64, Weak<Inner>>> {
    static REGISTRY: OnceLock<Mutex<HashMap<u64, Weak<Inner>>>> = OnceLock::new();
    REGISTRY.get_or_init(Default::default)
}

/// Whether any attached (unscoped) sink exists: the dispatcher's fast path.
static ATTACHED: AtomicBool = AtomicBool::new(false);

/// Whether any sink attached to a handler exists: the dispatcher's fast path.
static HANDLER_ATTACHED: AtomicBool = AtomicBool::new(false);

impl Sink {
    /// A sink that captures the records logged inside its [`capture`](Sink::capture) and
    /// [`scope`](Sink::scope) scopes, rendered with [`DEFAULT_FORMAT`].
    pub fn new() -> Sink {
        Sink::register(Scope::Scoped)
    }

    /// A sink that captures every record whose target is `logger` or below it
    /// (`"root"` for all), from any thread, scoped or not.
    pub fn attach(logger: &str) -> Sink {
        ensure_backend();
        ATTACHED.store(true, Ordering::Release);
        Sink::register(Scope::Logger(logger.to_owned()))
    }

    /// A sink that captures what the handler configured as `handler` receives: the
    /// records routed to it that pass its `level`, *after* its processors ran (a record a
    /// processor dropped is not there; a field `redact` masked is masked), from any
    /// thread. Use it to test a handler's processors with the real config. Its lines are
    /// rendered with the sink's own renderer, not the handler's.
    pub fn handler(handler: &str) -> Sink {
        ensure_backend();
        HANDLER_ATTACHED.store(true, Ordering::Release);
        Sink::register(Scope::Handler(handler.to_owned()))
    }

    fn register(scope: Scope) -> Sink {
        crate::component::tap::attach(crate::component::tap::Tap {
            deliver,
            deliver_to_handler,
        });
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        let config = render::PlainConfig {
            format: Template::parse(DEFAULT_FORMAT).unwrap_or_default(),
            ..Default::default()
        };
        let renderer: Box<dyn Renderer> = Box::new(render::Plain::new(&config));
        let inner = Arc::new(Inner {
            id,
            scope,
            renderer: Mutex::new(renderer),
            captured: Mutex::default(),
        });
        lock(registry()).insert(id, Arc::downgrade(&inner));
        Sink { inner }
    }

    /// Renders lines with `renderer` instead of the default template (a registered
    /// renderer too; building it can fail as at init).
    pub fn with_renderer(self, renderer: &RendererConfig) -> Result<Sink, crate::error::Error> {
        *lock(&self.inner.renderer) = render::build(renderer, false)?;
        Ok(self)
    }

    /// Renders lines with the plain `template` (e.g. `"{level} {message}{kv}"`).
    pub fn with_format(self, template: &str) -> Result<Sink, ConfigError> {
        let format = Template::parse(template)
            .map_err(|e| ConfigError::validation("format", e.to_string()))?;
        let config = render::PlainConfig {
            format,
            ..Default::default()
        };
        *lock(&self.inner.renderer) = Box::new(render::Plain::new(&config));
        Ok(self)
    }

    /// Captures the records logged on this thread until the guard drops.
    pub fn capture(&self) -> ContextGuard {
        ensure_backend();
        context::enter(Vec::new(), Some(self.inner.id))
    }

    /// Captures the records logged by `future`, on whichever thread polls it.
    pub fn scope<F: Future>(&self, future: F) -> WithContext<F> {
        ensure_backend();
        context::scoped(Vec::new(), Some(self.inner.id), future)
    }

    /// The rendered lines captured so far, without their trailing newline.
    pub fn lines(&self) -> Vec<String> {
        log::logger().flush();
        lock(&self.inner.captured).lines.clone()
    }

    /// The events captured so far, as the renderer saw them (context merged).
    pub fn events(&self) -> Vec<Event> {
        log::logger().flush();
        lock(&self.inner.captured).events.clone()
    }

    /// Forgets what was captured.
    pub fn clear(&self) {
        log::logger().flush();
        *lock(&self.inner.captured) = Captured::default();
    }

    fn receive(&self, event: &Event) {
        let mut buf = Vec::new();
        lock(&self.inner.renderer).render(event, &mut buf);
        while buf.last() == Some(&b'\n') {
            buf.pop();
        }
        let mut captured = lock(&self.inner.captured);
        captured
            .lines
            .push(String::from_utf8_lossy(&buf).into_owned());
        captured.events.push(event.clone());
    }
}

impl Default for Sink {
    fn default() -> Self {
        Sink::new()
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        lock(registry()).remove(&self.id);
    }
}

/// The live sinks that `keep` selects. The registry is locked only while the sinks are
/// upgraded: a sink whose last handle another thread just dropped is released here, and
/// its `Drop` takes the registry lock, so nothing may be dropped while it is held.
fn live_sinks(keep: impl Fn(&Inner) -> bool) -> Vec<Sink> {
    let live: Vec<Arc<Inner>> = lock(registry())
        .values()
        .filter_map(Weak::upgrade)
        .collect();
    live.into_iter()
        .filter(|inner| keep(inner))
        .map(|inner| Sink { inner })
        .collect()
}

/// Told by the dispatcher's tap of every record: hands it to the sinks whose scope it
/// was logged in, and to attached sinks whose logger owns its target.
fn deliver(event: &Event, scoped: &[u64]) {
    if scoped.is_empty() && !ATTACHED.load(Ordering::Acquire) {
        return;
    }
    let sinks = live_sinks(|inner| match &inner.scope {
        Scope::Scoped => scoped.contains(&inner.id),
        Scope::Logger(logger) => owns(logger, &event.target),
        Scope::Handler(_) => false,
    });
    for sink in sinks {
        sink.receive(event);
    }
}

/// Told by the dispatcher's tap what `handler` receives, after its processors: hands it
/// to the sinks attached to that handler.
fn deliver_to_handler(handler: &str, event: &Event) {
    if !HANDLER_ATTACHED.load(Ordering::Acquire) {
        return;
    }
    let sinks = live_sinks(|inner| matches!(&inner.scope, Scope::Handler(name) if name == handler));
    for sink in sinks {
        sink.receive(event);
    }
}

fn owns(logger: &str, target: &str) -> bool {
    logger == ko_log_config::ROOT || crate::route::owns(logger, target)
}
