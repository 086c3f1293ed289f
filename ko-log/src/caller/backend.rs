//! `Backend`: the `log::Log` implementation, and how it is built from a [`Config`].

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use ko_log_config::Config;
use log::{LevelFilter, Log, Metadata, Record};

use crate::dispatch::guard::Shutdown;
use crate::dispatch::pipeline::{build_pipeline, instance_pipeline, Instance, Live};
use crate::dispatch::queue::Queue;
use crate::dispatch::worker::Worker;
use crate::dispatch::{on_dispatcher, Guard, Msg, Routed, Shared};
use crate::handler::Hold;
use crate::route::Routes;
use crate::route::{InForce, Pinned};
use crate::stats::Stats;
use crate::{capture, clock, context, error::Error, report};

/// ko-log's `log::Log`: filters and captures on the caller thread, queues, and lets the
/// dispatcher thread do the rest.
///
/// [`crate::init`] builds one and installs it as the global logger. Build one yourself
/// with [`Backend::new`] to compose it with other loggers or to test without touching the
/// global logger; it works the same through `Log::log`. `flush_on_signals` takes effect
/// only when the backend is installed ([`crate::install()`], which every init function
/// calls): a standalone backend never touches the process's signal handling. So does
/// `log_panics`. Neither reads `KO_LOG`: only the init functions do.
#[derive(Debug)]
pub struct Backend {
    /// The routes in force and the threads reading them; a reload puts new ones in
    /// force ([`crate::reload()`]).
    pub(crate) routes: Arc<InForce>,
    pub(crate) queue: Arc<Queue>,
    pub(crate) shared: Arc<Shared>,
    /// What dropping the guard does, for `flush_on_signals`.
    shutdown: Shutdown,
    flush_on_signals: bool,
    /// The running config and where its handlers live, for reloads.
    pub(crate) live: Mutex<Live>,
    log_panics: bool,
}

impl Backend {
    /// Validates `config`, opens every handler and starts the dispatcher thread.
    ///
    /// A file that cannot be opened, a bad processor or an invalid config is an error here,
    /// before anything is logged.
    pub fn new(config: Config) -> Result<(Backend, Guard), Error> {
        config.validate()?;
        Backend::with_instances(config, Vec::new())
    }

    /// [`Backend::new`] for a `config` already valid (its loader or the caller checked
    /// it: validation runs once), with handler values built in code
    /// ([`crate::Builder`]): each replaces the placeholder of its name in
    /// `config.handlers`.
    pub(crate) fn with_instances(
        config: Config,
        mut instances: Vec<Instance>,
    ) -> Result<(Backend, Guard), Error> {
        crate::registry::check()?;
        // Every renderer's and processor's keys before any handler opens: a mistake in
        // one creates no file.
        for (name, handler) in &config.handlers {
            crate::registry::steps(name, handler).try_for_each(|checked| checked)?;
        }
        clock::local_offset();
        crate::unwind::install_hook();
        let shared = Arc::new(Shared::default());
        let mut pipelines = Vec::with_capacity(config.handlers.len());
        for (name, handler) in &config.handlers {
            let instance = instances
                .iter()
                .position(|i| i.name == *name)
                .map(|at| instances.swap_remove(at));
            pipelines.push(match instance {
                Some(instance) => instance_pipeline(handler, instance, &shared.core)?,
                None => build_pipeline(name, handler, &shared.core)?,
            });
        }
        let live = Live::new(&config, &pipelines);
        let routes = Arc::new(live.routes(&config, 0));
        shared.counters.set_handlers(live.counters());
        *crate::dispatch::lock(&shared.holds) = live.holds().collect();
        let (queue, control) = Queue::new(
            config.queue.capacity,
            config.queue.backpressure,
            Arc::clone(&shared),
        );
        let queue = Arc::new(queue);
        let weak = Arc::downgrade(&queue);
        shared.core.set_wake(move || {
            if let Some(queue) = weak.upgrade() {
                queue.wake();
            }
        });
        let (done_tx, done_rx) = flume::bounded(1);
        // Calibrates the callers' clock here, once (under a millisecond), not on the
        // first record.
        crate::clock::ticks();
        let worker = Worker {
            control,
            shared: Arc::clone(&shared),
            generations: vec![Arc::clone(&routes)],
            pipelines: pipelines.into_iter().map(Some).collect(),
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
                routes: Arc::new(InForce::new(routes)),
                queue,
                shared,
                shutdown,
                flush_on_signals: config.flush_on_signals,
                live: Mutex::new(live),
                log_panics: config.log_panics,
            },
            guard,
        ))
    }

    /// The loosest level any logger accepts (what `log::set_max_level` should be).
    pub fn max_level(&self) -> LevelFilter {
        self.routes.peek(Routes::max_level)
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

    /// Whether the config asked for `log_panics`.
    pub(crate) fn log_panics(&self) -> bool {
        self.log_panics
    }

    /// Queues `record` now, waiting for room until `deadline` under every policy (a
    /// `drop_oldest` queue evicts instead), then waits until it is written and every
    /// handler flushed, or `deadline` passes: the panic hook's path. Whether it was
    /// written. Not for the dispatcher thread, which cannot wait for itself.
    pub(crate) fn log_and_flush(&self, record: &Record<'_>, deadline: Instant) -> bool {
        if on_dispatcher() || self.shared.is_closed() {
            return false;
        }
        // Read until queued, as in `log`; no hold is waited for (the wait is bounded).
        let queued = self.routes.read(|routes| {
            let Some(routed) = self.route_in(routes, record) else {
                return false;
            };
            let msg = Msg::Record(routed, capture::capture(record), context::current());
            self.queue.push_within(msg, deadline)
        });
        queued && self.flush_until(Some(deadline))
    }

    /// How long [`Backend::log_and_flush`] may wait: `queue.drain_timeout`.
    pub(crate) fn drain_timeout(&self) -> Duration {
        self.shutdown.drain_timeout
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
        if !self.queue.push_control(Msg::Flush(reply)) {
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

    /// The route `record` takes in `routes`, or `None` when it is filtered out. After
    /// shutdown (except on the draining dispatcher) the record is counted as dropped and
    /// `None` returned.
    #[inline]
    pub(crate) fn route_in(&self, routes: &Routes, record: &Record<'_>) -> Option<Routed> {
        let index = routes.lookup(record.target());
        match routes.get(index) {
            Some(route) if record.level() <= route.level => {}
            Some(_) if crate::level_scope::admits(record.level()) => {}
            _ => return None,
        }
        // The dispatcher itself still writes what its processors log while it drains.
        if self.shared.is_closed() && !on_dispatcher() {
            self.dropped_after_shutdown();
            return None;
        }
        Some(Routed {
            generation: routes.generation(),
            route: index as u32,
        })
    }

    /// The raised holds of the `block` handlers of `routed` that accept `level` (see
    /// [`crate::handler::Hold`]); `None` when there are none, and on the dispatcher,
    /// which never waits.
    #[inline]
    fn held(&self, routes: &Routes, routed: Routed, level: log::Level) -> Option<Vec<Hold>> {
        let route = routes.get(routed.route as usize)?;
        if route.holds.is_empty() || crate::dispatch::never_held() {
            return None;
        }
        raised(&route.holds, level)
    }

    /// Waits until every hold in `holds` is lowered; `false` (the record counted as
    /// dropped after shutdown) when the backend closed meanwhile.
    #[cold]
    fn wait_for(&self, holds: &[Hold]) -> bool {
        for hold in holds {
            if !hold.wait(|| !self.shared.is_closed()) {
                self.dropped_after_shutdown();
                return false;
            }
        }
        true
    }

    /// Counts a record logged after the guard was dropped, and says so on stderr at the
    /// 1st, 10th, 100th … such record: nobody else is left to tell, and a silent drop is
    /// what ko-log promises never to do. (The only write on a caller thread, and only
    /// once the pipeline is gone.)
    #[cold]
    fn dropped_after_shutdown(&self) {
        // Once a signal's last word is said, wait here for the end it announced.
        let _last = crate::dispatch::lock(&self.shared.last_word);
        let counters = &self.shared.counters;
        counters.dropped_other.fetch_add(1, Ordering::Relaxed);
        let n = counters.after_shutdown.fetch_add(1, Ordering::Relaxed) + 1;
        if is_power_of_ten(n) {
            let why = match self.shared.ending_by.get() {
                Some(end) => format!(
                    "after {} when ko-log closed its queue to end the process (flush_on_signals)",
                    end.name
                ),
                None => "after ko-log shut down (its Guard was dropped)".to_owned(),
            };
            report::say(
                "RUNTIME::Logger::SHUTDOWN::WARNING",
                &format!(
                    "{n} record{} logged {why} {} dropped; \
                     all of them are counted in ko_log::stats().dropped",
                    if n == 1 { "" } else { "s" },
                    if n == 1 { "was" } else { "were" },
                ),
            );
        }
    }

    /// Routes `record` by the config in force, waits at the raised holds of its route,
    /// then queues what `capture` makes (the record and the scoped context it was logged
    /// in) under the queue's backpressure. The thread is marked as reading the routes
    /// until it is queued (a reload waits for that before it retires them:
    /// `route::readers`), and reads them again after a wait, which it does unmarked.
    /// `Log::log` and the tracing bridge both end here, so a record from either takes the
    /// same path.
    #[inline]
    pub(crate) fn submit_with(
        &self,
        record: &Record<'_>,
        capture: impl FnOnce() -> (capture::Captured, Option<Arc<context::Frame>>),
    ) {
        let mut capture = Some(capture);
        loop {
            // The filter inline, the rest (capture, queue) out of line: a filtered call
            // stays short.
            let held = self.routes.read(|routes| {
                let routed = self.route_in(routes, record)?;
                self.hold_or_queue(routes, routed, record.level(), &mut capture)
            });
            match held {
                None => return,
                Some(held) => {
                    if !self.wait_for(&held) {
                        return;
                    }
                }
            }
        }
    }

    /// For [`Backend::submit_with`]: the raised holds `routed` must wait for, or else
    /// queues what `capture` makes (once). (A boxed slice: returned in two registers.)
    #[inline(never)]
    fn hold_or_queue(
        &self,
        routes: &Routes,
        routed: Routed,
        level: log::Level,
        capture: &mut Option<impl FnOnce() -> (capture::Captured, Option<Arc<context::Frame>>)>,
    ) -> Option<Box<[Hold]>> {
        if let Some(held) = self.held(routes, routed, level) {
            return Some(held.into_boxed_slice());
        }
        if let Some(capture) = capture.take() {
            self.queue.push_with(|| {
                let (captured, scope) = capture();
                Msg::Record(routed, captured, scope)
            });
        }
        None
    }

    /// Queues a record from async code (see [`crate::ainfo!`]), routed by `routes`
    /// (counted in flight until it is queued, or the future dropped, so that a reload
    /// keeps their generation until then); under a raised hold the task waits, not its
    /// thread.
    pub(crate) async fn push_async(&self, routes: Pinned, msg: Msg) {
        if let Msg::Record(routed, captured, _) = &msg {
            let held = self.held(&routes, *routed, captured.level());
            for hold in held.iter().flatten() {
                if !hold.wait_async(|| !self.shared.is_closed()).await {
                    self.dropped_after_shutdown();
                    return;
                }
            }
        }
        self.queue.push_async(msg).await;
        drop(routes);
    }
}

/// The holds in `holds` that are raised and whose handler accepts `level`.
#[cold]
fn raised(holds: &[(Hold, LevelFilter)], level: log::Level) -> Option<Vec<Hold>> {
    let raised: Vec<Hold> = holds
        .iter()
        .filter(|(hold, accepts)| level <= *accepts && hold.is_raised())
        .map(|(hold, _)| hold.clone())
        .collect();
    (!raised.is_empty()).then_some(raised)
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

impl Log for Backend {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        self.routes.peek(|routes| {
            let route = routes.lookup(metadata.target());
            routes.get(route).is_some_and(|route| {
                metadata.level() <= route.level || crate::level_scope::admits(metadata.level())
            })
        })
    }

    fn log(&self, record: &Record<'_>) {
        self.submit_with(record, || (capture::capture(record), context::current()));
    }

    /// Returns once every record logged before the call is written and every handler
    /// flushed. A no-op on the dispatcher thread itself and after shutdown.
    fn flush(&self) {
        let _ = self.flush_until(None);
    }
}

/// The global `log` logger when ko-log is installed: forwards to the backend, once set.
#[derive(Debug)]
pub(crate) struct Global {
    backend: OnceLock<&'static Backend>,
}

pub(crate) static GLOBAL: Global = Global {
    backend: OnceLock::new(),
};

impl Log for Global {
    #[inline]
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        self.backend
            .get()
            .is_some_and(|backend| backend.enabled(metadata))
    }

    #[inline]
    fn log(&self, record: &Record<'_>) {
        if let Some(backend) = self.backend.get() {
            backend.log(record);
        }
    }

    fn flush(&self) {
        if let Some(backend) = self.backend.get() {
            backend.flush();
        }
    }
}

impl Global {
    /// Puts `backend` behind the global logger (once; the init functions' last step).
    pub(crate) fn install(&self, backend: &'static Backend) {
        let _ = self.backend.set(backend);
    }
}

/// The backend installed by an init function, if any.
pub(crate) fn installed() -> Option<&'static Backend> {
    GLOBAL.backend.get().copied()
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
