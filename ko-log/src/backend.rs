//! `Backend`: the `log::Log` implementation, and how it is built from a [`Config`].

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ko_log_config::{Config, HandlerConfig, RendererConfig};
use log::{LevelFilter, Log, Metadata, Record};

use crate::dispatch::guard::Shutdown;
use crate::dispatch::queue::Queue;
use crate::dispatch::worker::{Pipeline, Worker};
use crate::dispatch::{on_dispatcher, Guard, Msg, Shared};
use crate::route::Routes;
use crate::stats::Stats;
use crate::{capture, clock, context, handler, process, render, report, Error};

/// ko-log's `log::Log`: filters and captures on the caller thread, queues, and lets the
/// dispatcher thread do the rest.
///
/// [`crate::init`] builds one and installs it as the global logger. Build one yourself
/// with [`Backend::new`] to compose it with other loggers or to test without touching the
/// global logger; it works the same through `Log::log`. `flush_on_signals` takes effect
/// only when the backend is installed ([`crate::install`], which every init function
/// calls): a standalone backend never touches the process's signal handling.
#[derive(Debug)]
pub struct Backend {
    routes: Arc<Routes>,
    queue: Arc<Queue>,
    shared: Arc<Shared>,
    /// What dropping the guard does, for `flush_on_signals`.
    shutdown: Shutdown,
    flush_on_signals: bool,
}

impl Backend {
    /// Validates `config`, opens every handler and starts the dispatcher thread.
    ///
    /// A file that cannot be opened, a bad processor or an invalid config is an error here,
    /// before anything is logged.
    pub fn new(config: Config) -> Result<(Backend, Guard), Error> {
        Backend::with_instances(config, Vec::new())
    }

    /// [`Backend::new`] with handler values built in code ([`crate::Builder`]): each
    /// replaces the placeholder of its name in `config.handlers`.
    pub(crate) fn with_instances(
        config: Config,
        mut instances: Vec<Instance>,
    ) -> Result<(Backend, Guard), Error> {
        config.validate()?;
        crate::registry::check()?;
        clock::local_offset();
        crate::panic::install_hook();
        let names: Vec<&String> = config.handlers.keys().collect();
        let mut pipelines = Vec::with_capacity(names.len());
        for (name, handler) in &config.handlers {
            let instance = instances
                .iter()
                .position(|i| i.name == *name)
                .map(|at| instances.swap_remove(at));
            pipelines.push(match instance {
                Some(instance) => instance_pipeline(handler, instance)?,
                None => build_pipeline(name, handler)?,
            });
        }
        let mut routes = Routes::new(&config, |name| {
            names.iter().position(|n| n.as_str() == name)
        });
        let holds: Vec<_> = pipelines
            .iter()
            .map(|p| p.handler.hold().map(|hold| (hold, p.level)))
            .collect();
        routes.attach_holds(&holds);
        let routes = Arc::new(routes);
        let shared = Arc::new(Shared {
            counters: crate::stats::Counters::with_handlers(config.handlers.keys()),
            holds: holds.into_iter().flatten().map(|(hold, _)| hold).collect(),
            ..Shared::default()
        });
        let (tx, rx) = flume::bounded(config.queue.capacity.max(1));
        let queue = Arc::new(Queue::new(
            tx,
            &rx,
            config.queue.backpressure,
            Arc::clone(&shared),
        ));
        let (done_tx, done_rx) = flume::bounded(1);
        let worker = Worker {
            rx,
            shared: Arc::clone(&shared),
            routes: Arc::clone(&routes),
            pipelines,
            queue: config.queue.clone(),
            _done: done_tx,
        };
        let thread = std::thread::Builder::new()
            .name("ko-log".to_owned())
            .spawn(move || worker.run())
            .map_err(Error::Spawn)?;
        let shutdown = Shutdown {
            shared: Arc::clone(&shared),
            queue: Arc::clone(&queue),
            done: done_rx,
            drain_timeout: config.queue.drain_timeout,
        };
        let guard = Guard::new(shutdown.clone(), thread);
        Ok((
            Backend {
                routes,
                queue,
                shared,
                shutdown,
                flush_on_signals: config.flush_on_signals,
            },
            guard,
        ))
    }

    /// The loosest level any logger accepts (what `log::set_max_level` should be).
    pub fn max_level(&self) -> LevelFilter {
        self.routes.max_level()
    }

    /// The pipeline's counters so far.
    pub fn stats(&self) -> Stats {
        self.shared.counters.snapshot()
    }

    /// Whether the config asked for `flush_on_signals`.
    #[cfg_attr(not(unix), allow(dead_code))]
    pub(crate) fn flush_on_signals(&self) -> bool {
        self.flush_on_signals
    }

    /// What dropping the guard does (closes the queue, drains, flushes).
    #[cfg_attr(not(unix), allow(dead_code))]
    pub(crate) fn shutdown(&self) -> &Shutdown {
        &self.shutdown
    }

    /// Like `log::logger().flush()`, giving up at `deadline` if there is one; whether every
    /// record logged before the call is now written and flushed. `true` on the dispatcher
    /// thread (a no-op) and after shutdown (the guard's drain writes what is queued).
    pub(crate) fn flush_until(&self, deadline: Option<Instant>) -> bool {
        if on_dispatcher() || self.shared.is_closed() {
            return true;
        }
        let (reply, done) = flume::bounded(1);
        if !self.queue.push_control(Msg::Flush(reply), deadline) {
            return false;
        }
        loop {
            let slice = match deadline {
                None => FLUSH_POLL,
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return false;
                    }
                    left.min(FLUSH_POLL)
                }
            };
            match done.recv_timeout(slice) {
                Ok(()) => return true,
                Err(flume::RecvTimeoutError::Disconnected) => return false,
                Err(flume::RecvTimeoutError::Timeout) => {
                    if self.shared.finished.load(Ordering::Acquire) {
                        return false;
                    }
                }
            }
        }
    }

    /// The route of an enabled record, or `None` when it is filtered out. After shutdown
    /// (except on the draining dispatcher) the record is counted as dropped and `None`
    /// returned.
    #[inline]
    pub(crate) fn route_of(&self, record: &Record<'_>) -> Option<usize> {
        let index = self.routes.lookup(record.target());
        match self.routes.get(index) {
            Some(route) if record.level() <= route.level => {}
            _ => return None,
        }
        // The dispatcher itself still writes what its processors log while it drains.
        if self.shared.is_closed() && !on_dispatcher() {
            self.dropped_after_shutdown();
            return None;
        }
        Some(index)
    }

    /// Counts a record logged after the guard was dropped, and says so on stderr at the
    /// 1st, 10th, 100th … such record: nobody else is left to tell, and a silent drop is
    /// what ko-log promises never to do. (The only write on a caller thread, and only
    /// once the pipeline is gone.)
    #[cold]
    fn dropped_after_shutdown(&self) {
        let counters = &self.shared.counters;
        counters.dropped_other.fetch_add(1, Ordering::Relaxed);
        let n = counters.after_shutdown.fetch_add(1, Ordering::Relaxed) + 1;
        if is_power_of_ten(n) {
            report::say(
                "RUNTIME::Logger::SHUTDOWN::WARNING",
                &format!(
                    "{n} record{} logged after ko-log shut down (its Guard was dropped) {} dropped; \
                     all of them are counted in ko_log::stats().dropped",
                    if n == 1 { "" } else { "s" },
                    if n == 1 { "was" } else { "were" },
                ),
            );
        }
    }

    /// Waits while a `block` network handler of `route` that accepts `level` has its hold
    /// up (see [`crate::handler::Hold`]); `false` when the backend closed meanwhile, the
    /// record then counted as dropped after shutdown. The dispatcher never waits.
    #[inline]
    fn passes_holds(&self, route: usize, level: log::Level) -> bool {
        match self.routes.get(route) {
            Some(route) if !route.holds.is_empty() && !on_dispatcher() => {
                self.wait_for_holds(&route.holds, level)
            }
            _ => true,
        }
    }

    #[cold]
    fn wait_for_holds(
        &self,
        holds: &[(crate::handler::Hold, LevelFilter)],
        level: log::Level,
    ) -> bool {
        let open = || !self.shared.is_closed();
        for (hold, accepts) in holds {
            if level <= *accepts && !hold.wait(open) {
                self.dropped_after_shutdown();
                return false;
            }
        }
        true
    }

    /// Queues a record of `route` (from [`Backend::route_of`]) captured on this thread,
    /// with the scoped context it was logged in: waits at the route's raised holds, then
    /// pushes under the queue's backpressure. `Log::log` and the tracing bridge both end
    /// here, so a record from either takes the same path.
    #[inline]
    pub(crate) fn submit(
        &self,
        route: usize,
        captured: capture::Captured,
        scope: Option<Arc<context::Frame>>,
    ) {
        let level = captured.level();
        let msg = Msg::Record(route, captured, scope);
        if self.passes_holds(route, level) {
            self.queue.push(msg);
        }
    }

    /// Wakes the dispatcher (never waits): it flushes its handlers when it finds the
    /// queue dry, which makes them log the status records their threads queued.
    pub(crate) fn wake(&self) {
        self.queue.wake();
    }

    /// Queues a record from async code (see [`crate::ainfo!`]); under a raised hold the
    /// task waits, not its thread.
    pub(crate) async fn push_async(&self, msg: Msg) {
        if let Msg::Record(route, captured, _) = &msg {
            let holds = match self.routes.get(*route) {
                Some(route) if !on_dispatcher() => route.holds.as_slice(),
                _ => &[],
            };
            let level = captured.level();
            for (hold, accepts) in holds {
                if level <= *accepts && !hold.wait_async(|| !self.shared.is_closed()).await {
                    self.dropped_after_shutdown();
                    return;
                }
            }
        }
        self.queue.push_async(msg).await;
    }
}

/// Whether `n` is 1, 10, 100, …
fn is_power_of_ten(mut n: u64) -> bool {
    while n >= 10 && n % 10 == 0 {
        n /= 10;
    }
    n == 1
}

/// How often a waiting flush checks that the dispatcher is still running.
const FLUSH_POLL: Duration = Duration::from_millis(100);

/// A handler value built in code, with its renderer (`None`: the config's).
#[derive(Debug)]
pub(crate) struct Instance {
    pub name: String,
    pub handler: Box<dyn crate::Handler>,
    pub renderer: Option<Box<dyn crate::Render>>,
}

/// The pipeline of a handler value built in code; its renderer, processors and level
/// come from `config` unless the instance brings a renderer.
fn instance_pipeline(config: &HandlerConfig, instance: Instance) -> Result<Pipeline, Error> {
    let renderer = match instance.renderer {
        Some(renderer) => renderer,
        None => render::build(
            &renderer_config(config, instance.handler.as_ref()),
            instance.handler.is_terminal(),
        )?,
    };
    let processors = config
        .processors
        .iter()
        .map(|p| Ok((p.type_name().to_owned(), process::build(p)?)))
        .collect::<Result<Vec<_>, Error>>()?;
    Ok(Pipeline {
        structured: instance.handler.structured(),
        name: instance.name,
        level: config.level.unwrap_or(LevelFilter::Trace),
        processors,
        renderer,
        handler: instance.handler,
    })
}

/// The handler's renderer: the one its config names, or, when none was written (in a
/// file: no `renderer` key; in Rust: left at the default), the handler's own default.
fn renderer_config(config: &HandlerConfig, handler: &dyn crate::Handler) -> RendererConfig {
    let unset = config
        .origin
        .has_key("renderer")
        .map_or(config.renderer == RendererConfig::default(), |written| {
            !written
        });
    match handler.default_renderer() {
        Some(preferred) if unset => preferred,
        _ => config.renderer.clone(),
    }
}

fn build_pipeline(name: &str, config: &HandlerConfig) -> Result<Pipeline, Error> {
    let handler = handler::build(&config.kind).map_err(|error| match error {
        // Already located (an unknown `type`, bad params, a constructor's error).
        Error::Config(located) => Error::Config(located),
        // A handler that cannot start (a file it cannot open) is a mistake in the config
        // like any other: located at its `path`, through where the table was written.
        source => {
            let message = format!("handler `{name}` cannot start: {source}");
            match config.origin.error_at("path", message) {
                Some(located) => Error::Config(located.with_cause(source)),
                None => Error::Handler {
                    name: name.to_owned(),
                    source: Box::new(source),
                },
            }
        }
    })?;
    let renderer = render::build(
        &renderer_config(config, handler.as_ref()),
        handler.is_terminal(),
    )?;
    let processors = config
        .processors
        .iter()
        .map(|p| Ok((p.type_name().to_owned(), process::build(p)?)))
        .collect::<Result<Vec<_>, Error>>()?;
    Ok(Pipeline {
        structured: handler.structured(),
        name: name.to_owned(),
        level: config.level.unwrap_or(LevelFilter::Trace),
        processors,
        renderer,
        handler,
    })
}

impl Log for Backend {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        let route = self.routes.lookup(metadata.target());
        self.routes
            .get(route)
            .is_some_and(|route| metadata.level() <= route.level)
    }

    fn log(&self, record: &Record<'_>) {
        if let Some(route) = self.route_of(record) {
            self.submit(route, capture::capture(record), context::current());
        }
    }

    /// Returns once every record logged before the call is written and every handler
    /// flushed. A no-op on the dispatcher thread itself and after shutdown.
    fn flush(&self) {
        let _ = self.flush_until(None);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn powers_of_ten() {
        let found: Vec<u64> = (0..=10_000)
            .filter(|&n| super::is_power_of_ten(n))
            .collect();
        assert_eq!(found, [1, 10, 100, 1000, 10_000]);
    }
}
