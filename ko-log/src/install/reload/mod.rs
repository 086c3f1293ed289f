//! Hot reload: [`reload`] (the config file again), [`reconfigure`] (a config built in
//! Rust) and `watch` (module `watch`): validate the whole new config, then swap routing,
//! handlers and levels at once; a config that does not validate changes nothing.
//!
//! **One swap, and every record routed once.** Callers read the routes in force through
//! a per-thread copy checked against a generation counter, and mark their thread as
//! reading them until their record is queued (`route::readers`: the protocol, and why
//! the reload below sees every such caller); the record carries the routes' *generation*.
//! A reload:
//!
//! 1. builds what is new: the handlers that are new or whose params changed (opened now,
//!    so a file that cannot be opened refuses the reload with nothing changed), the
//!    renderers and processors of kept handlers whose other keys changed, the routes;
//! 2. hands the new generation to the dispatcher (`Shared::pending`), which takes it up
//!    at its first record;
//! 3. swaps the routes and bumps the generation counter: every `log` call that starts
//!    after this uses the new config (`reload` returns here);
//! 4. on a thread of its own, waits until no caller still routes by the old routes (no
//!    thread's mark says it reads them, none is counted in flight on them: each has
//!    queued its record), then queues [`Msg::Retire`]: once the dispatcher reaches it, no
//!    record of the old generation is left, so it forgets that generation and hands back
//!    the handlers no newer generation uses, which are flushed and closed on that thread.
//!
//! So a record goes to the handlers of the config in force when it was logged, whatever
//! the reload does meanwhile, and a handler that a reload removes still gets every record
//! routed to it before. A kept handler (same name, same params) is never reopened; its
//! new renderer or processors apply from the dispatcher's next record on.
//!
//! **What cannot change live**: the queue (`capacity`, `backpressure`, `drain_timeout`),
//! `flush_on_signals`, and `log_panics` once on. A reload that changes them applies
//! everything else and says so in a warning record; they take effect at the next start.
//! The `env_filter` variable (`KO_LOG`) is read again at each reload, as at init, when
//! the init function read it.
//!
//! Every reload is told by a record on the `ko_log` target: `info` when applied (with the
//! handlers kept, opened and closed), `error` when refused (with the located error, the
//! running config kept), `warn` for what did not apply.

mod watch;

use std::path::Path;
use std::sync::{Arc, MutexGuard};
use std::time::Duration;

use ko_log_config::Config;

use crate::caller::backend::{self, Backend};
use crate::component::handle::Core;
use crate::dispatch::pipeline::{
    build_pipeline, effective_renderer, processors, routes_over, Live, Slot,
};
use crate::dispatch::worker::{Generation, Pipeline, Update};
use crate::dispatch::{lock, on_dispatcher, Msg};
use crate::handler::Hold;
use crate::route::Routes;
use crate::{error::Error, render, report};

pub(crate) use watch::{spawn as watch, stamp};

/// What a reload changed ([`reload`], [`reconfigure`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Reloaded {
    /// The new config's generation: 1 after the first reload, one more at each.
    pub generation: u32,
    /// Handlers kept open: same name, same params (their renderer, processors and level
    /// may have changed).
    pub kept: Vec<String>,
    /// Handlers opened: new names, or names whose params changed.
    pub opened: Vec<String>,
    /// Handlers flushed and closed once the records routed to them before the reload are
    /// written: names no longer in the config, or whose params changed.
    pub closed: Vec<String>,
    /// Settings that changed but apply at the next start only (`queue.capacity`,
    /// `queue.backpressure`, `queue.drain_timeout`, `flush_on_signals`, `log_panics`
    /// turned off).
    pub not_applied: Vec<String>,
}

/// Reads the config file ko-log was initialized from (by [`crate::init_from_file`]) again
/// and applies it as a reload (module docs): validated as a whole first; refused, with the
/// running config kept, when it does not validate or a new handler cannot be opened.
///
/// The new config applies to every `log` call that starts after this returns. A refusal
/// is also logged, as an `error` record on the `ko_log` target; so is a success (`info`).
///
/// ```no_run
/// let _guard = ko_log::init_from_file("log.toml")?;
/// // … the file is edited …
/// let reloaded = ko_log::reload()?;
/// println!("opened {:?}, closed {:?}", reloaded.opened, reloaded.closed);
/// # Ok::<(), ko_log::Error>(())
/// ```
///
/// Fails with [`Error::Reload`] when ko-log is not installed or was not initialized from
/// a file, or when called from the dispatcher thread (a processor or handler).
pub fn reload() -> Result<Reloaded, Error> {
    installed()?.reload_source()
}

/// Applies `config` as a reload of the installed ko-log, as [`reload`] does with the
/// file. Handlers built in code ([`crate::Builder::handler`]) are kept when the new config
/// has their placeholder unchanged under the same name.
pub fn reconfigure(config: Config) -> Result<Reloaded, Error> {
    installed()?.reconfigure(config, true)
}

fn installed() -> Result<&'static Backend, Error> {
    backend::installed().ok_or_else(|| Error::Reload("ko-log is not installed".to_owned()))
}

/// What a reload will do, built before anything changes.
struct Plan {
    slots: Vec<Slot>,
    opened: Vec<(usize, Pipeline)>,
    updated: Vec<(usize, Update)>,
    next_slot: usize,
}

/// Builds what `config` needs beyond what `live` runs; nothing is changed yet, and an
/// error drops (closes) what was built.
fn plan(live: &Live, config: &Config, core: &Arc<Core>) -> Result<Plan, Error> {
    // Every handler's keys, renderer and processors first, so a mistake opens nothing.
    for (name, handler) in &config.handlers {
        crate::registry::steps(name, handler).try_for_each(|checked| checked)?;
    }
    let mut plan = Plan {
        slots: Vec::with_capacity(config.handlers.len()),
        opened: Vec::new(),
        updated: Vec::new(),
        next_slot: live.next_slot,
    };
    for (name, handler) in &config.handlers {
        let kept = live.slots.iter().find(|slot| {
            slot.name == *name
                && slot.config.name == handler.name
                && slot.config.params == handler.params
        });
        match kept {
            Some(kept) => {
                let renderer = effective_renderer(handler, kept.preferred.clone());
                let was = effective_renderer(&kept.config, kept.preferred.clone());
                if renderer != was
                    || handler.processors != kept.config.processors
                    || handler.on_error != kept.config.on_error
                {
                    plan.updated.push((
                        kept.slot,
                        Update {
                            renderer: render::build(
                                &crate::registry::placed_renderer(&renderer, name),
                                kept.terminal,
                            )?,
                            processors: processors(name, handler)?,
                            on_error: handler.on_error,
                        },
                    ));
                }
                plan.slots.push(Slot {
                    config: handler.clone(),
                    ..kept.clone()
                });
            }
            None => {
                let pipeline = build_pipeline(name, handler, core)?;
                let slot = Slot::of(name, plan.next_slot, handler, &pipeline);
                plan.next_slot += 1;
                plan.opened.push((slot.slot, pipeline));
                plan.slots.push(slot);
            }
        }
    }
    Ok(plan)
}

/// The settings that changed between `old` and `new` but cannot change while running.
fn not_applied(old: &Config, new: &Config) -> Vec<String> {
    let mut changed = Vec::new();
    let mut check = |key: &str, differs: bool| {
        if differs {
            changed.push(key.to_owned());
        }
    };
    check("queue.capacity", old.queue.capacity != new.queue.capacity);
    check(
        "queue.backpressure",
        old.queue.backpressure != new.queue.backpressure,
    );
    check(
        "queue.drain_timeout",
        old.queue.drain_timeout != new.queue.drain_timeout,
    );
    check(
        "flush_on_signals",
        old.flush_on_signals != new.flush_on_signals,
    );
    // Turned on by a reload, it applies; once on, it cannot be turned off.
    check("log_panics", old.log_panics && !new.log_panics);
    changed
}

impl Backend {
    fn live(&self) -> MutexGuard<'_, Live> {
        lock(&self.live)
    }

    /// Whether this backend is the installed one (the one `log::set_max_level` is for).
    fn is_installed(&self) -> bool {
        backend::installed().is_some_and(|installed| std::ptr::eq(installed, self))
    }

    /// [`reload`] for this backend: reads its source file and applies it.
    pub(crate) fn reload_source(&self) -> Result<Reloaded, Error> {
        let Some(path) = self.live().source.clone() else {
            return Err(Error::Reload(
                "ko-log was not initialized from a file (use ko_log::reconfigure)".to_owned(),
            ));
        };
        match Config::read_file(&path) {
            Ok(text) => self.reload_bytes(&path, &text),
            Err(error) => {
                let error = Error::Config(error);
                refused(&error);
                Err(error)
            }
        }
    }

    /// Applies the config file `path` whose bytes are `text`.
    pub(crate) fn reload_bytes(&self, path: &Path, text: &[u8]) -> Result<Reloaded, Error> {
        match Config::from_file_bytes(path, text) {
            Ok(config) => self.reconfigure(config, false),
            Err(error) => {
                let error = Error::Config(error);
                refused(&error);
                Err(error)
            }
        }
    }

    /// [`reconfigure`] for this backend (module docs); `validate`: `config` was not
    /// loaded from a file (whose loader validated it).
    pub(crate) fn reconfigure(&self, config: Config, validate: bool) -> Result<Reloaded, Error> {
        if on_dispatcher() {
            return Err(Error::Reload(
                "called from the dispatcher thread (a processor, renderer or handler)".to_owned(),
            ));
        }
        if self.shared.is_closed() {
            return Err(Error::Reload("ko-log has shut down".to_owned()));
        }
        let result = self.apply(config, validate);
        match &result {
            Ok(reloaded) => applied(reloaded),
            Err(error) => refused(error),
        }
        result
    }

    fn apply(&self, mut config: Config, validate: bool) -> Result<Reloaded, Error> {
        // One reload at a time: each plans against the config the last one left.
        let mut live = self.live();
        if live.reads_env {
            config.apply_env_filter()?;
        }
        if validate {
            config.validate()?;
        }
        crate::registry::check()?;
        let plan = plan(&live, &config, &self.shared.core)?;
        let generation = live.generation + 1;
        let routes = Arc::new(routes_over(&plan.slots, &config, generation));
        let kept: Vec<String> = plan
            .slots
            .iter()
            .filter(|slot| !plan.opened.iter().any(|(s, _)| *s == slot.slot))
            .map(|slot| slot.name.clone())
            .collect();
        let opened: Vec<String> = plan
            .opened
            .iter()
            .map(|(_, pipeline)| pipeline.name.clone())
            .collect();
        let closed: Vec<String> = live
            .slots
            .iter()
            .filter(|old| !plan.slots.iter().any(|new| new.slot == old.slot))
            .map(|old| old.name.clone())
            .collect();
        let new_holds: Vec<Hold> = plan
            .slots
            .iter()
            .filter(|slot| slot.slot >= live.next_slot)
            .filter_map(|slot| slot.hold.clone())
            .collect();

        // The dispatcher has the new generation before any caller can route by it.
        lock(&self.shared.pending).push(Generation {
            routes: Arc::clone(&routes),
            opened: plan.opened,
            updated: plan.updated,
        });
        lock(&self.shared.holds).extend(new_holds);
        self.shared.counters.set_handlers(
            plan.slots
                .iter()
                .map(|slot| (slot.name.clone(), Arc::clone(&slot.counters)))
                .collect(),
        );
        let max_level = routes.max_level();
        let old = self.routes.publish(routes);
        if self.is_installed() {
            crate::level_scope::set_base(max_level);
            if config.log_panics {
                crate::install::panic::log_panics();
            }
            // tracing's cached answers were the old loggers'.
            #[cfg(feature = "tracing")]
            crate::caller::tracing::loggers_changed();
        }
        let reloaded = Reloaded {
            generation,
            kept,
            opened,
            closed,
            not_applied: not_applied(&live.config, &config),
        };
        live.config = config;
        live.slots = plan.slots;
        live.next_slot = plan.next_slot;
        live.generation = generation;
        drop(live);
        self.retire(old);
        Ok(reloaded)
    }

    /// Step 4 of the module docs, on a thread of its own (inline if none can start).
    fn retire(&self, old: Arc<Routes>) {
        let queue = Arc::clone(&self.queue);
        let shared = Arc::clone(&self.shared);
        let routes = Arc::clone(&self.routes);
        let work = move || {
            crate::component::handle::mark_own_thread();
            // Until no caller routes by the old routes (each has queued its record).
            let routed = routes.wait_readers(&old, || {
                std::thread::sleep(Duration::from_millis(1));
                !shared.is_closed()
            });
            if !routed {
                return;
            }
            let generation = old.generation();
            drop(old);
            let (reply, handed) = flume::bounded(1);
            if !queue.push_control(Msg::Retire(generation, reply)) {
                return; // Shut down: the dispatcher closes every handler itself.
            }
            for mut pipeline in handed.recv().unwrap_or_default() {
                let name = pipeline.name.clone();
                match crate::unwind::catch(|| pipeline.handler.sync()) {
                    Ok(Ok(())) => {}
                    Ok(Err(error)) => report::error(&format!("handler `{name}`"), &error),
                    Err(_) => report::report(
                        "HANDLER::Custom::PANIC::ERROR::RECOVERABLE",
                        &format!("handler `{name}` panicked in its last flush after a reload"),
                    ),
                }
                if crate::unwind::catch(move || drop(pipeline)).is_err() {
                    report::report(
                        "HANDLER::Custom::PANIC::ERROR::RECOVERABLE",
                        &format!("handler `{name}` panicked as it was closed after a reload"),
                    );
                }
            }
        };
        let spawned = std::thread::Builder::new()
            .name("ko-log-retire".to_owned())
            .spawn(work);
        if let Err(error) = spawned {
            report::report(
                "RUNTIME::Reload::THREAD::ERROR::RECOVERABLE",
                &format!(
                    "cannot start a thread to close the handlers a reload replaced ({error}); they stay open"
                ),
            );
        }
    }
}

/// The `info` record of an applied reload, and the `warn` one for what did not apply.
fn applied(reloaded: &Reloaded) {
    let list = |names: &[String]| names.join(", ");
    log::info!(
        target: "ko_log",
        generation = reloaded.generation,
        kept = list(&reloaded.kept).as_str(),
        opened = list(&reloaded.opened).as_str(),
        closed = list(&reloaded.closed).as_str();
        "config reloaded (generation {}): kept [{}], opened [{}], closed [{}]",
        reloaded.generation,
        list(&reloaded.kept),
        list(&reloaded.opened),
        list(&reloaded.closed),
    );
    if !reloaded.not_applied.is_empty() {
        log::warn!(
            target: "ko_log",
            settings = list(&reloaded.not_applied).as_str();
            "config reloaded, but {} cannot change while running: the running value is kept until the next start",
            list(&reloaded.not_applied),
        );
    }
}

/// The `error` record of a refused reload, located when the error is.
fn refused(error: &Error) {
    let headline = error.to_string();
    let headline = headline.lines().next().unwrap_or_default();
    match error {
        Error::Config(config) => {
            let location = config.location();
            let file = location
                .and_then(|l| l.file.as_ref())
                .map(|f| f.display().to_string())
                .unwrap_or_default();
            log::error!(
                target: "ko_log",
                code = config.code(),
                file = file.as_str(),
                line = location.map_or(0, |l| l.line),
                column = location.map_or(0, |l| l.column),
                key = config.key_path(),
                error = error.to_string().as_str();
                "config reload refused, the running config is kept: {headline}"
            );
        }
        other => log::error!(
            target: "ko_log",
            code = other.code().as_ref();
            "config reload refused, the running config is kept: {headline}"
        ),
    }
}
