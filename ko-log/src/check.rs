//! Checking a config without running it: every mistake init would refuse, all of them at
//! once, without opening a file or a socket or starting a thread; and what a valid config
//! will do ([`routes`]). The `ko-log check` command is these functions.
//!
//! ```
//! let checked = ko_log::check::text(
//!     "[loggers.root]\nlevel = \"loud\"\nhandlers = [\"nowhere\"]\n",
//!     ko_log::config::Format::Toml,
//! );
//! let keys: Vec<&str> = checked.errors.iter().map(|e| e.key_path()).collect();
//! assert_eq!(keys, ["loggers.root.level", "loggers.root.handlers[0]"]);
//! ```
//!
//! [`file()`] and [`text()`] run the config crate's check ([`Config::check_file`]: every key,
//! value and rule of the file, going on after each error) and then, on the config it
//! built, what [`Backend::new`](crate::Backend::new) checks before it writes anything
//! ([`config`]):
//!
//! - registrations that can never be used (under a built-in name);
//! - each `type` that names a registered handler, renderer or processor: known, and
//!   registered once;
//! - each component's params (every handler, renderer and processor is a registered
//!   one), read into its own params type and run through its `check` function
//!   (`#[ko_log::handler(check = ...)]`), as building it would, but without building it;
//!   after a mistake at one of its keys the table is checked again without that key, so
//!   every mistake of a table is reported. A `file` or `rotating_file` checks its `path`
//!   is not empty, `max_bytes` and `max_age` are not 0 and its `compress` codec is in
//!   this build. ko-log's own network handlers check there everything their
//!   constructors check before they start their thread: `buffer`, `write_timeout`,
//!   `reconnect`, `max_datagram`, syslog's `facility`, `sd_id` and `framing`, the OTLP
//!   endpoint and headers (reading `OTEL_EXPORTER_OTLP_*` as init does), journald's
//!   socket path length.
//!
//! What only opening can tell is left to init, which reports it at the same key: a file
//! handler's `path` that cannot be opened or created (permissions, a missing parent with
//! `create_dirs = false`, a directory, a FIFO without a reader, a `rotating_file` path
//! that is not a regular file), a journald socket that cannot be created, a thread that
//! cannot be spawned, and whatever a registered component's constructor does beyond its
//! params and `check` function (connecting to its database, say). Nothing here creates,
//! opens or stats a file; the only file read is the config (and its `env_file`).

use std::collections::HashMap;
use std::path::Path;

use ko_log_config::node::Params;
use ko_log_config::{Checked, Config, ConfigError, Format, Value};
use log::LevelFilter;

use crate::error::Error;
use crate::registry::{self, Kind};

/// Checks the config file at `path` (TOML, JSON or YAML by its extension, unless `format`
/// says) as init would, reporting every error (see the module docs).
pub fn file(path: impl AsRef<Path>, format: Option<Format>) -> Checked {
    with_runtime(Config::check_file(path, format))
}

/// Checks a config text as init would, reporting every error (see the module docs).
pub fn text(text: &str, format: Format) -> Checked {
    with_runtime(Config::check_str(text, format))
}

fn with_runtime(mut checked: Checked) -> Checked {
    if let Some(built) = &checked.config {
        for error in config(built) {
            checked.add(error);
        }
    }
    checked
}

/// The checks [`Backend::new`](crate::Backend::new) makes on a built config before it
/// opens anything, beyond [`Config::validate`]: every error, not only the first (see the
/// module docs).
pub fn config(config: &Config) -> Vec<ConfigError> {
    let mut errors: Vec<ConfigError> = registry::dead_registrations().collect();
    for (name, handler) in &config.handlers {
        let params = registry::placed_handler(handler, name);
        every_error(Kind::Handler, &handler.name, params, &mut errors);
        let r = registry::placed_renderer(&handler.renderer, name);
        every_error(Kind::Renderer, &r.name, r.params, &mut errors);
        for (index, p) in handler.processors.iter().enumerate() {
            let p = registry::placed_processor(p, name, index);
            every_error(Kind::Processor, &p.name, p.params, &mut errors);
        }
    }
    errors
}

/// Checks the params of the component of `kind` named `name` as building it would, and
/// after a mistake at one of its keys checks them again without that key, so that every
/// mistake of the table is reported (a component's params type stops at its first).
fn every_error(kind: Kind, name: &str, mut params: Params, errors: &mut Vec<ConfigError>) {
    let mut left_out = None;
    while errors.len() < ko_log_config::check::MAX_ERRORS {
        let Err(error) = registry::check_params(kind, name, &params) else {
            return;
        };
        let error = into_config_error(error);
        // The key just left out, now missing, is no new mistake.
        if left_out.as_deref() == Some(error.key_path()) {
            return;
        }
        left_out = Some(error.key_path().to_owned());
        let next = params.without_key_of(&error);
        errors.push(error);
        match next {
            Some(next) => params = next,
            None => return,
        }
    }
}

/// The registry's errors are config errors; anything else (none today) says what it is.
fn into_config_error(error: Error) -> ConfigError {
    match error {
        Error::Config(error) => error,
        other => ConfigError::validation("", other.to_string()),
    }
}

/// What the records of one logger get: the route ko-log compiles for it at init.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Route {
    /// The logger (`root`, or a target prefix such as `my_app::db`).
    pub logger: String,
    /// The loggers below this one (`my_app::db::pool`): their targets take their own
    /// route, not this one.
    pub except: Vec<String>,
    /// The effective level: the logger's own, else the nearest ancestor's, else
    /// `default_level`.
    pub level: LevelFilter,
    /// The logger whose `level` that is; `None` when it is `default_level`.
    pub level_from: Option<String>,
    /// The handlers the records reach, in order: the logger's own, then each ancestor's
    /// while the links are `additive`.
    pub handlers: Vec<String>,
    /// The context fields added to the records, nearest logger first.
    pub context: Vec<(String, Value)>,
}

/// The route of each logger of `config` (and of `root`, which exists even when not
/// configured), most specific first, `root` last: the router's own rules, so what this
/// says is what init compiles.
pub fn routes(config: &Config) -> Vec<Route> {
    let names: Vec<&str> = crate::route::logger_names(config).collect();
    let mut children = children(&names, |name| parent(config, name));
    let mut routes: Vec<Route> = names
        .iter()
        .map(|&name| {
            let resolved = crate::route::resolve(config, name);
            Route {
                logger: name.to_owned(),
                except: children.remove(name).unwrap_or_default(),
                level: resolved.level,
                level_from: resolved.level_from.map(str::to_owned),
                handlers: resolved.handlers.iter().map(|h| (*h).to_owned()).collect(),
                context: resolved
                    .context
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).clone()))
                    .collect(),
            }
        })
        .collect();
    // Most specific first: more `::` segments, then by name; root last.
    routes.sort_by(|a, b| {
        let root = |r: &Route| r.logger == ko_log_config::ROOT;
        let depth = |r: &Route| r.logger.matches("::").count();
        root(a)
            .cmp(&root(b))
            .then(depth(b).cmp(&depth(a)))
            .then(a.logger.cmp(&b.logger))
    });
    routes
}

/// Each logger's children (the loggers whose `parent` it is), in the order of `names`,
/// grouped in one pass: one `parent` lookup per logger, so `routes` is linear in the
/// number of loggers (scanning every name for each logger made it quadratic).
fn children<'a>(
    names: &[&'a str],
    mut parent: impl FnMut(&'a str) -> Option<&'a str>,
) -> HashMap<&'a str, Vec<String>> {
    let mut children: HashMap<&str, Vec<String>> = HashMap::new();
    for &name in names {
        if let Some(parent) = parent(name) {
            children.entry(parent).or_default().push(name.to_owned());
        }
    }
    children
}

/// The logger whose route `name`'s targets would take without `name`: the nearest
/// configured ancestor, else `root` (`None` for `root` itself).
fn parent<'a>(config: &'a Config, name: &str) -> Option<&'a str> {
    #[cfg(test)]
    tests::PARENT_LOOKUPS.with(|n| n.set(n.get() + 1));
    if name == ko_log_config::ROOT {
        return None;
    }
    let configured = ko_log_config::logger::owners(name)
        .skip(1)
        .find_map(|ancestor| config.loggers.get_key_value(ancestor));
    Some(configured.map_or(ko_log_config::ROOT, |(name, _)| name.as_str()))
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::fmt::Write;

    use super::*;

    thread_local! {
        /// How many times this thread called `parent`.
        pub(super) static PARENT_LOOKUPS: Cell<usize> = const { Cell::new(0) };
    }

    /// `routes` finds each logger's parent once: with 2,000 loggers, 2,000 lookups and
    /// not 2,000 for each logger (the count is the algorithm's, so this does not depend on
    /// the machine's speed).
    #[test]
    fn routes_look_up_each_parent_once() {
        let mut text = String::from("[loggers.root]\nlevel = \"info\"\n");
        for i in 0..1_000 {
            let _ = write!(text, "[loggers.\"m{i}\"]\n[loggers.\"m{i}::s\"]\n");
        }
        text.push_str("[loggers.\"m7::s::deep::er\"]\n");
        let config = Config::from_str(&text, ko_log_config::Format::Toml).unwrap();
        PARENT_LOOKUPS.with(|n| n.set(0));
        let routes = routes(&config);
        assert_eq!(routes.len(), 2_002);
        assert_eq!(PARENT_LOOKUPS.with(Cell::get), 2_002);

        let except = |logger: &str| {
            let route = routes.iter().find(|r| r.logger == logger).unwrap();
            route.except.clone()
        };
        assert_eq!(except("m7"), ["m7::s"]);
        assert_eq!(except("m7::s"), ["m7::s::deep::er"]);
        assert_eq!(except("m8::s"), Vec::<String>::new());
        let top = except(ko_log_config::ROOT);
        assert_eq!(top.len(), 1_000);
        assert!(top.iter().all(|name| !name.contains("::")));
    }
}
