//! Routing: which logger a target belongs to, and which handlers its records reach.
//!
//! Logger names are `log` targets. `my_app::db` owns the target `my_app::db` and every
//! target below it (`my_app::db::pool`, not `my_app::dbx`); `root` owns every target.
//! The most specific logger wins. Its level (or the nearest ancestor's, then
//! `default_level`) filters on the caller thread; its handlers, plus its ancestors' while
//! each link is `additive`, receive the record; its `context`, then its ancestors', is
//! added to the record's fields without overwriting them. Everything is computed once at
//! init, so a lookup is a walk over a short list of prefixes.

use std::borrow::Cow;

use ko_log_config::{Config, ROOT};
use log::LevelFilter;

use crate::event::{Str, Value};

/// One compiled logger: what a record routed to it gets.
#[derive(Debug)]
pub(crate) struct Route {
    /// The logger's effective level.
    pub level: LevelFilter,
    /// Indexes into the dispatcher's handlers, deduplicated, in configuration order.
    pub handlers: Vec<usize>,
    /// Context fields, nearest logger first.
    pub context: Vec<(Str, Value)>,
}

/// All routes, and the prefixes that select them.
#[derive(Debug)]
pub(crate) struct Routes {
    /// `(logger name, route index)`, longest name first; root is not in this list.
    prefixes: Vec<(String, usize)>,
    routes: Vec<Route>,
    root: usize,
}

/// Whether `target` is the logger `name` or below it.
pub(crate) fn owns(name: &str, target: &str) -> bool {
    match target.strip_prefix(name) {
        Some(rest) => rest.is_empty() || rest.starts_with("::"),
        None => false,
    }
}

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

impl Routes {
    /// Compiles the loggers of `config`; `handler_index` maps a handler name to its index.
    pub fn new(config: &Config, handler_index: impl Fn(&str) -> Option<usize>) -> Routes {
        let names: Vec<&str> = config.loggers.keys().map(String::as_str).collect();
        // The chain of a logger: itself, then each configured ancestor, root last.
        let chain = |name: &str| -> Vec<&str> {
            let mut chain: Vec<&str> = names
                .iter()
                .copied()
                .filter(|other| *other != ROOT && owns(other, name))
                .collect();
            chain.sort_by_key(|other| std::cmp::Reverse(other.len()));
            if name != ROOT || chain.is_empty() {
                chain.push(ROOT);
            }
            chain.dedup();
            chain
        };

        let mut routes = Vec::new();
        let mut prefixes = Vec::new();
        let mut root = None;
        let mut all: Vec<&str> = names.clone();
        if !all.contains(&ROOT) {
            all.push(ROOT);
        }
        for name in all {
            let mut level = None;
            let mut handlers = Vec::new();
            let mut context: Vec<(Str, Value)> = Vec::new();
            let mut deliver = true;
            for link in chain(name) {
                let Some(logger) = config.loggers.get(link) else {
                    continue;
                };
                level = level.or(logger.level);
                if deliver {
                    for handler in &logger.handlers {
                        if let Some(index) = handler_index(handler) {
                            if !handlers.contains(&index) {
                                handlers.push(index);
                            }
                        }
                    }
                    deliver = logger.additive;
                }
                for (key, value) in &logger.context {
                    if !context.iter().any(|(k, _)| k == key) {
                        context.push((intern(key), intern_value(value)));
                    }
                }
            }
            let index = routes.len();
            routes.push(Route {
                level: level.unwrap_or(config.default_level),
                handlers,
                context,
            });
            if name == ROOT {
                root = Some(index);
            } else {
                prefixes.push((name.to_owned(), index));
            }
        }
        prefixes.sort_by_key(|(name, _)| std::cmp::Reverse(name.len()));
        Routes {
            prefixes,
            root: root.unwrap_or(0),
            routes,
        }
    }

    /// The index of the route of `target`.
    #[inline]
    pub fn lookup(&self, target: &str) -> usize {
        for (name, index) in &self.prefixes {
            if owns(name, target) {
                return *index;
            }
        }
        self.root
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
        LoggerConfig {
            level,
            handlers: handlers.iter().map(|h| h.to_string()).collect(),
            additive,
            ..LoggerConfig::default()
        }
    }

    fn routes(loggers: Vec<(&str, LoggerConfig)>) -> Routes {
        let config = Config {
            default_level: LevelFilter::Info,
            queue: Default::default(),
            loggers: loggers
                .into_iter()
                .map(|(n, l)| (n.to_owned(), l))
                .collect(),
            handlers: Default::default(),
            flush_on_signals: false,
        };
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
        assert_eq!(route("app::db").handlers, vec![2, 1, 0]);
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
        assert_eq!(db.handlers, vec![2, 1]);
        assert_eq!(db.level, LevelFilter::Error);
    }
}
