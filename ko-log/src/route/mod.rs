//! Routing: which logger a target belongs to, and which handlers its records reach.
//!
//! Logger names are `log` targets. `my_app::db` owns the target `my_app::db` and every
//! target below it (`my_app::db::pool`, not `my_app::dbx`); `root` owns every target.
//! The most specific logger wins. Its level (or the nearest ancestor's, then
//! `default_level`) filters on the caller thread; its handlers, plus its ancestors' while
//! each link is `additive`, receive the record; its `context`, then its ancestors', is
//! added to the record's fields without overwriting them. Everything is computed once at
//! init. A lookup walks the list of names when there are few loggers, and otherwise looks
//! up only the names that can own the target (`a::b::c`, `a::b`, `a`), so its cost does
//! not grow with the number of loggers.

mod readers;

pub(crate) use readers::{InForce, Pinned};

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::AtomicUsize;

use ko_log_config::logger::owners;
pub(crate) use ko_log_config::logger::owns;
use ko_log_config::{Config, ROOT};
use log::LevelFilter;

use crate::component::Hold;
use crate::event::{Str, Value};

/// One compiled logger: what a record routed to it gets.
#[derive(Debug)]
pub(crate) struct Route {
    /// The logger's effective level.
    pub level: LevelFilter,
    /// The dispatcher's handler slots, deduplicated, in configuration order, each with
    /// the handler's own level (its `level` key).
    pub handlers: Vec<(usize, LevelFilter)>,
    /// Context fields, nearest logger first.
    pub context: Vec<(Str, Value)>,
    /// The holds of this route's `block` network handlers, with each handler's level: a
    /// caller whose record such a handler accepts waits while its hold is up.
    pub holds: Vec<(Hold, LevelFilter)>,
}

/// All routes, and the logger names that select them.
#[derive(Debug)]
pub(crate) struct Routes {
    /// `(logger name, route index)`, longest name first; root is not in this list. Walked
    /// in order for a small config; empty when `by_name` is used instead.
    prefixes: Vec<(String, usize)>,
    /// Logger name to route index, for a config with more than [`LINEAR_MAX`] loggers: a
    /// lookup then tries the few names that could own the target (see [`owners`]), so it
    /// costs the same with ten thousand loggers as with ten.
    by_name: HashMap<Box<str>, usize>,
    routes: Vec<Route>,
    root: usize,
    /// Which config this is: 0 at init, one more at each reload. A record carries it, so
    /// that the dispatcher routes it as the config in force when it was logged did.
    generation: u32,
    /// The slots of every handler this config has, routed to or not: the handlers it
    /// keeps alive.
    slots: Vec<usize>,
    /// Callers on the slow path routing by these routes and not done queueing yet
    /// (`route::readers`): a reload retires them once it is 0.
    pub in_flight: AtomicUsize,
}

/// Up to this many loggers (root aside), a lookup walks them all: a handful of prefix
/// comparisons beat hashing. Above it, lookups go through a hash map.
const LINEAR_MAX: usize = 16;

/// Interns a config string for the life of the process: context is added to every
/// record, and a `'static` string is copied into it for free. Configs are built a
/// handful of times per process, so the leak is bounded and small.
fn intern(s: &str) -> Str {
    Cow::Borrowed(Box::leak(s.to_owned().into_boxed_str()))
}

fn intern_value(value: &ko_log_config::Value) -> Value {
    match value {
        ko_log_config::Value::String(s) => Value::Str(intern(s)),
        other => Value::from(other.clone()),
    }
}

/// The loggers a config's routes are compiled for: each configured one, and `root`
/// (configured or not), in name order with `root` last when it is not configured.
pub(crate) fn logger_names(config: &Config) -> impl Iterator<Item = &str> {
    let with_root = (!config.loggers.contains_key(ROOT)).then_some(ROOT);
    config.loggers.keys().map(String::as_str).chain(with_root)
}

/// What the records of logger `name` get, by the rules of the module docs.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Resolved<'a> {
    /// The effective level.
    pub level: LevelFilter,
    /// The logger whose `level` it is; `None` when it is `default_level`.
    pub level_from: Option<&'a str>,
    /// The handlers reached, by name, deduplicated, in configuration order (the logger's
    /// own, then each ancestor's while the links are `additive`).
    pub handlers: Vec<&'a str>,
    /// The context fields, nearest logger first.
    pub context: Vec<(&'a str, &'a ko_log_config::Value)>,
}

/// Resolves logger `name` (a configured logger, or `root`) in `config`: the one copy of
/// the level, handler and context inheritance rules, for the router and for
/// `ko_log::check::routes`.
pub(crate) fn resolve<'a>(config: &'a Config, name: &'a str) -> Resolved<'a> {
    // The chain of a logger: itself, then each configured ancestor, root last.
    let mut chain: Vec<&str> = owners(name)
        .filter(|owner| *owner != ROOT && config.loggers.contains_key(*owner))
        .collect();
    if name == ROOT {
        chain.clear();
    }
    chain.push(ROOT);
    let mut resolved = Resolved {
        level: config.default_level,
        level_from: None,
        handlers: Vec::new(),
        context: Vec::new(),
    };
    let mut deliver = true;
    for link in chain {
        let Some((link, logger)) = config.loggers.get_key_value(link) else {
            continue;
        };
        if resolved.level_from.is_none() {
            if let Some(level) = logger.level {
                resolved.level = level;
                resolved.level_from = Some(link);
            }
        }
        if deliver {
            for handler in &logger.handlers {
                if !resolved.handlers.contains(&handler.as_str()) {
                    resolved.handlers.push(handler);
                }
            }
            deliver = logger.additive;
        }
        for (key, value) in &logger.context {
            if !resolved.context.iter().any(|(k, _)| k == key) {
                resolved.context.push((key, value));
            }
        }
    }
    resolved
}

impl Routes {
    /// Compiles the loggers of `config`; `handler_index` maps a handler name to its index.
    ///
    /// Linear in the number of loggers: a logger's chain of ancestors is found by looking
    /// up the few names that can own it, not by comparing it with every other logger.
    pub fn new(config: &Config, handler_index: impl Fn(&str) -> Option<usize>) -> Routes {
        let mut routes = Vec::with_capacity(config.loggers.len() + 1);
        let mut prefixes = Vec::new();
        let mut root = None;
        for name in logger_names(config) {
            let resolved = resolve(config, name);
            let handlers = resolved
                .handlers
                .iter()
                .filter_map(|handler| {
                    let level = config.handlers.get(*handler).and_then(|h| h.level);
                    Some((handler_index(handler)?, level.unwrap_or(LevelFilter::Trace)))
                })
                .collect();
            let context = resolved
                .context
                .iter()
                .map(|(key, value)| (intern(key), intern_value(value)))
                .collect();
            let level = resolved.level;
            let index = routes.len();
            routes.push(Route {
                level,
                handlers,
                context,
                holds: Vec::new(),
            });
            if name == ROOT {
                root = Some(index);
            } else {
                prefixes.push((name.to_owned(), index));
            }
        }
        let mut by_name = HashMap::new();
        if prefixes.len() > LINEAR_MAX {
            by_name = prefixes
                .drain(..)
                .map(|(name, index)| (name.into_boxed_str(), index))
                .collect();
        } else {
            prefixes.sort_by_key(|(name, _)| std::cmp::Reverse(name.len()));
        }
        Routes {
            prefixes,
            by_name,
            root: root.unwrap_or(0),
            routes,
            generation: 0,
            slots: Vec::new(),
            in_flight: AtomicUsize::new(0),
        }
    }

    /// These routes as generation `generation` (see [`Routes::generation`]).
    pub fn with_generation(mut self, generation: u32) -> Routes {
        self.generation = generation;
        self
    }

    /// Which config these routes were built from: 0 at init, one more per reload.
    #[inline]
    pub fn generation(&self) -> u32 {
        self.generation
    }

    /// These routes as those of a config whose handlers are in `slots`.
    pub fn with_slots(mut self, slots: Vec<usize>) -> Routes {
        self.slots = slots;
        self
    }

    /// Whether this config has the handler in slot `slot` (routed to or not).
    pub fn uses(&self, slot: usize) -> bool {
        self.slots.contains(&slot)
    }

    /// Gives each route the holds of its handlers (`hold_of(slot)`, for a handler that
    /// has one), with each handler's level.
    pub fn attach_holds(&mut self, hold_of: impl Fn(usize) -> Option<Hold>) {
        for route in &mut self.routes {
            route.holds = route
                .handlers
                .iter()
                .filter_map(|&(slot, level)| Some((hold_of(slot)?, level)))
                .collect();
        }
    }

    /// The index of the route of `target`.
    #[inline]
    pub fn lookup(&self, target: &str) -> usize {
        if self.by_name.is_empty() {
            for (name, index) in &self.prefixes {
                if owns(name, target) {
                    return *index;
                }
            }
            return self.root;
        }
        owners(target)
            .find_map(|owner| self.by_name.get(owner).copied())
            .unwrap_or(self.root)
    }

    /// The route at `index` (an index from [`Routes::lookup`] always exists).
    #[inline]
    pub fn get(&self, index: usize) -> Option<&Route> {
        self.routes.get(index)
    }

    /// The loosest level of any route: what `log::set_max_level` is set to.
    pub fn max_level(&self) -> LevelFilter {
        self.routes
            .iter()
            .map(|route| route.level)
            .max()
            .unwrap_or(LevelFilter::Off)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ko_log_config::LoggerConfig;

    fn logger(level: Option<LevelFilter>, handlers: &[&str], additive: bool) -> LoggerConfig {
        let mut logger = LoggerConfig::new(handlers);
        logger.level = level;
        logger.additive = additive;
        logger
    }

    fn slots(route: &Route) -> Vec<usize> {
        route.handlers.iter().map(|(slot, _)| *slot).collect()
    }

    fn routes(loggers: Vec<(&str, LoggerConfig)>) -> Routes {
        let mut config = Config::empty();
        config.loggers = loggers
            .into_iter()
            .map(|(n, l)| (n.to_owned(), l))
            .collect();
        let handlers = ["a", "b", "c"];
        Routes::new(&config, |name| handlers.iter().position(|h| *h == name))
    }

    #[test]
    fn most_specific_logger_wins_and_prefixes_stop_at_path_boundaries() {
        let r = routes(vec![
            ("root", logger(Some(LevelFilter::Info), &["a"], true)),
            ("app", logger(Some(LevelFilter::Warn), &["b"], true)),
            ("app::db", logger(Some(LevelFilter::Debug), &["c"], true)),
        ]);
        let route = |t: &str| r.get(r.lookup(t)).expect("route");
        let level = |t: &str| route(t).level;
        assert_eq!(level("app::db::pool"), LevelFilter::Debug);
        assert_eq!(level("app::db"), LevelFilter::Debug);
        assert_eq!(level("app::dbx"), LevelFilter::Warn);
        assert_eq!(level("app"), LevelFilter::Warn);
        assert_eq!(level("application"), LevelFilter::Info);
        assert_eq!(slots(route("app::db")), vec![2, 1, 0]);
        assert_eq!(r.max_level(), LevelFilter::Debug);
    }

    #[test]
    fn additive_false_stops_handler_inheritance_and_levels_inherit() {
        let r = routes(vec![
            ("root", logger(Some(LevelFilter::Error), &["a"], true)),
            ("app", logger(None, &["b"], false)),
            ("app::db", logger(None, &["c"], true)),
        ]);
        let db = r.get(r.lookup("app::db")).expect("route");
        assert_eq!(slots(db), vec![2, 1]);
        assert_eq!(db.level, LevelFilter::Error);
    }

    #[test]
    fn a_large_config_routes_like_a_small_one() {
        let mut loggers = vec![("root", logger(Some(LevelFilter::Warn), &["a"], true))];
        let names: Vec<String> = (0..200).map(|i| format!("m{i}::sub")).collect();
        for (i, name) in names.iter().enumerate() {
            let level = if i % 2 == 0 {
                LevelFilter::Debug
            } else {
                LevelFilter::Error
            };
            loggers.push((name.as_str(), logger(Some(level), &["b"], i % 3 != 0)));
        }
        loggers.push(("m7", logger(Some(LevelFilter::Trace), &["c"], true)));
        let r = routes(loggers);
        assert!(!r.by_name.is_empty(), "the hashed lookup is in use");
        let route = |t: &str| r.get(r.lookup(t)).expect("route");
        assert_eq!(route("m4::sub::deep").level, LevelFilter::Debug);
        assert_eq!(route("m5::sub").level, LevelFilter::Error);
        assert_eq!(route("m4::subway").level, LevelFilter::Warn);
        assert_eq!(slots(route("m7::sub")), vec![1, 2, 0]);
        assert_eq!(slots(route("m7::other")), vec![2, 0]);
        assert_eq!(route("m7::other").level, LevelFilter::Trace);
        assert_eq!(slots(route("m6::sub")), vec![1], "additive = false");
        assert_eq!(route("elsewhere").level, LevelFilter::Warn);
    }
}
