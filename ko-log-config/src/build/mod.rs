//! The raw layer: from a located [`Node`] tree to the typed [`Config`].
//!
//! Tables with fixed keys are read by serde into raw structs with
//! `deny_unknown_fields` (so a misspelled key is refused with "did you mean"), through
//! the node deserializer, which places every error at its own key. Handlers, renderers
//! and processors keep their `type` and their table as located params for the runtime's
//! component of that name (a handler's common keys are read here). Checks
//! across values (a logger naming a missing handler) and compiled strings (templates,
//! time formats) come last, located through the tree.

mod handler;
mod process;
mod render;
pub mod values;

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::Deserialize;

pub(crate) use self::values::BackpressureDe as BackpressureValue;
pub(crate) use self::values::DurationDe as DurationValue;
pub(crate) use self::values::Size;
use self::values::{BackpressureDe, Capacity, DurationDe, EnvFilterDe, Level, Scalar, WatchDe};
use crate::check::{Checked, Collector};
use crate::node::{deserialize, deserialize_located, Key, KeyPath, Node, NodeValue};
use crate::source::{Mark, Source};
use crate::suggest::{did_you_mean, one_of};
use crate::{Config, ConfigError, ConfigErrorKind, HandlerConfig, LoggerConfig, QueueConfig};

/// The keys the root table takes besides those of [`RawRoot`].
const ROOT_DISPATCHED: &[&str] = &["handlers"];

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
struct RawRoot {
    default_level: Option<Level>,
    queue: Option<RawQueue>,
    loggers: Option<BTreeMap<String, RawLogger>>,
    /// Read by [`mod@crate::env`] before this; only its type is checked here.
    #[allow(dead_code)]
    env_file: Option<String>,
    flush_on_signals: Option<bool>,
    watch: Option<WatchDe>,
    env_filter: Option<EnvFilterDe>,
    log_panics: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
struct RawQueue {
    capacity: Option<Capacity>,
    backpressure: Option<BackpressureDe>,
    drain_timeout: Option<DurationDe>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
struct RawLogger {
    level: Option<Level>,
    handlers: Option<Vec<String>>,
    context: Option<BTreeMap<String, Scalar>>,
    additive: Option<bool>,
}

/// What every builder needs: the source text, for locating errors, and in a check
/// ([`crate::check`]) the errors kept so far.
pub(crate) struct Cx {
    source: Arc<Source>,
    /// `Some` in a check: an error is kept here and the build goes on without the part at
    /// fault; `None` when loading, which stops at the first error.
    collect: Option<RefCell<Collector>>,
    /// Set in a check when the `handlers` table itself was refused: no handler is known,
    /// so loggers naming one are not refused for it.
    handlers_lost: Cell<bool>,
}

impl Cx {
    /// Reads `node` into `T` (see [`crate::node::deserialize`]). In a check, each key the
    /// error names is left out and `node` read again, so that every bad key of the table
    /// is reported; the error returned is the one that could not be got around (a
    /// missing key, a table that is not one), for the caller to keep or recover from.
    fn de<T: DeserializeOwned>(
        &self,
        node: &Node,
        path: &KeyPath,
        skip: &[&str],
    ) -> Result<T, ConfigError> {
        let Some(collect) = &self.collect else {
            return deserialize(&self.source, node, path, skip);
        };
        let mut node = Cow::Borrowed(node);
        loop {
            match deserialize_located::<T>(&self.source, &node, path, skip) {
                Ok(value) => return Ok(value),
                Err((error, at)) => {
                    if collect.borrow().is_full() || !at.remove_in(path, node.to_mut()) {
                        return Err(error);
                    }
                    collect.borrow_mut().push(error);
                }
            }
        }
    }

    /// When loading, `result` as it is; in a check, an error is kept and `fallback`
    /// stands in for the value, so the build goes on.
    fn recover<T>(
        &self,
        result: Result<T, ConfigError>,
        fallback: impl FnOnce() -> T,
    ) -> Result<T, ConfigError> {
        match (result, &self.collect) {
            (Ok(value), _) => Ok(value),
            (Err(error), Some(collect)) => {
                collect.borrow_mut().push(error);
                Ok(fallback())
            }
            (Err(error), None) => Err(error),
        }
    }

    /// An error of `kind` at `mark` with `path`.
    fn error(
        &self,
        kind: ConfigErrorKind,
        mark: Mark,
        path: &KeyPath,
        message: String,
    ) -> ConfigError {
        ConfigError::new(kind, message)
            .at(&self.source, mark)
            .with_path(path.to_string())
    }

    /// The entries of a table at `path`; `null` reads as an empty table.
    fn table<'a>(
        &self,
        node: &'a Node,
        path: &KeyPath,
        what: &str,
    ) -> Result<&'a [(Key, Node)], ConfigError> {
        match &node.value {
            NodeValue::Map(entries) => Ok(entries),
            NodeValue::Null => Ok(&[]),
            _ => Err(self.error(
                ConfigErrorKind::InvalidValue,
                node.mark(),
                path,
                format!("expected {what}, found {}", node.kind_name()),
            )),
        }
    }

    /// The `type` of the table `node` (the runtime knows the names it may take).
    fn type_of<'a>(&self, node: &'a Node, path: &KeyPath) -> Result<(&'a str, Mark), ConfigError> {
        let type_path = path.key("type");
        match node.get("type") {
            None => Err(self.error(
                ConfigErrorKind::MissingKey,
                node.mark(),
                &type_path,
                "missing key `type`".to_owned(),
            )),
            Some(value) => match value.as_str() {
                Some(name) => Ok((name, value.mark())),
                None => Err(self.error(
                    ConfigErrorKind::InvalidValue,
                    value.mark(),
                    &type_path,
                    format!("expected a string for `type`, found {}", value.kind_name()),
                )),
            },
        }
    }
}

/// A renderer's or processor's `type` and the table's other keys, kept as located
/// [`Params`](crate::node::Params) for the runtime's component of that name; `node` is
/// its table, or a bare type name (`"json"`). `expected` says what a wrong value should
/// have been.
fn component(
    cx: &Cx,
    node: &Node,
    path: &KeyPath,
    expected: &str,
) -> Result<(String, crate::node::Params), ConfigError> {
    let bare;
    let (name, type_mark, table) = match node.as_str() {
        Some(name) => {
            bare = Node::new(NodeValue::Map(Vec::new()), node.mark());
            (name, node.mark(), &bare)
        }
        None => {
            cx.table(node, path, expected)?;
            let (name, mark) = cx.type_of(node, path)?;
            (name, mark, node)
        }
    };
    let params = crate::node::Params::new(
        name,
        table.clone(),
        type_mark,
        path.clone(),
        cx.source.clone(),
        &["type"],
    );
    Ok((name.to_owned(), params))
}

/// Builds and validates the typed configuration from an interpolated tree.
///
/// Reading checks types and syntax (a size, a level, a template); the rules about values
/// (a capacity in range, a handler that exists, a non-empty path) are
/// [`Config::validate`]'s, run here on the built config, and the error it returns is
/// placed at the key it names in the tree: one copy of each rule for files and for
/// configs built in Rust.
pub(crate) fn config(root: &Node, source: Arc<Source>) -> Result<Config, ConfigError> {
    let cx = Cx {
        source,
        collect: None,
        handlers_lost: Cell::new(false),
    };
    let config = build(&cx, root)?;
    config.check().map_err(|violation| {
        let mark = violation.path.mark_in(root, violation.at_key);
        violation.error.at(&cx.source, mark)
    })?;
    Ok(config)
}

/// Like [`config`], going on after each error (see [`crate::check`]): the config as far
/// as it could be built (`None` when the document is not even a table), and every error.
pub(crate) fn check(root: &Node, source: Arc<Source>, collector: Collector) -> Checked {
    let cx = Cx {
        source,
        collect: Some(RefCell::new(collector)),
        handlers_lost: Cell::new(false),
    };
    let config = build(&cx, root);
    let Some(collect) = cx.collect else {
        return Checked::new(None, Collector::default());
    };
    let mut collector = collect.into_inner();
    let config = match config {
        Ok(config) => {
            config.check_each(|violation| {
                let unknown_handler = violation.error.kind() == ConfigErrorKind::UnknownHandler;
                if !(unknown_handler && cx.handlers_lost.get()) {
                    let mark = violation.path.mark_in(root, violation.at_key);
                    collector.push(violation.error.at(&cx.source, mark));
                }
                ControlFlow::Continue(())
            });
            Some(config)
        }
        Err(error) => {
            collector.push(error);
            None
        }
    };
    Checked::new(config, collector)
}

fn build(cx: &Cx, root: &Node) -> Result<Config, ConfigError> {
    let path = KeyPath::root();
    let raw: RawRoot = cx.de(root, &path, ROOT_DISPATCHED)?;

    let handlers_node = root.get("handlers");
    // In the file's order: handlers open (and are listed) in the order they are named.
    let mut handlers = indexmap::IndexMap::new();
    if let Some(node) = handlers_node {
        let handlers_path = path.key("handlers");
        let table = cx.table(node, &handlers_path, "a table of handlers");
        let table = cx.recover(table, || {
            cx.handlers_lost.set(true);
            &[]
        })?;
        for (key, value) in table {
            let handler = handler::handler(cx, value, &handlers_path.key(&key.name));
            // A refused handler stays defined, as `null`, so loggers naming it are fine.
            let handler = cx.recover(handler, || HandlerConfig::new("null"))?;
            handlers.insert(key.name.clone(), handler);
        }
    }

    let default_level = raw.default_level.map_or(log::LevelFilter::Info, |l| l.0);
    let flush_on_signals = raw.flush_on_signals.unwrap_or(false);
    let watch = raw.watch.map_or(crate::Watch::Off, |w| w.0);
    let env_filter = raw.env_filter.map_or_else(
        || Some(crate::env::directives::DEFAULT_VARIABLE.to_owned()),
        |e| e.0,
    );
    let log_panics = raw.log_panics.unwrap_or(false);
    let queue = raw.queue.map_or_else(QueueConfig::default, |q| {
        let defaults = QueueConfig::default();
        QueueConfig {
            capacity: q.capacity.map_or(defaults.capacity, |c| c.0),
            backpressure: q.backpressure.map_or(defaults.backpressure, |b| b.0),
            drain_timeout: q.drain_timeout.map_or(defaults.drain_timeout, |d| d.0),
        }
    });

    let Some(raw_loggers) = raw.loggers else {
        if handlers_node.is_none() {
            // Neither loggers nor handlers: the zero-config setup, with this document's
            // level, queue and flush_on_signals.
            return Ok(Config {
                default_level,
                queue,
                flush_on_signals,
                watch,
                env_filter,
                log_panics,
                ..Config::default()
            });
        }
        return Ok(Config {
            default_level,
            queue,
            loggers: BTreeMap::new(),
            handlers,
            flush_on_signals,
            watch,
            env_filter,
            log_panics,
        });
    };

    let mut loggers = BTreeMap::new();
    for (name, raw) in raw_loggers {
        let names = raw.handlers.unwrap_or_default();
        let logger = LoggerConfig {
            level: raw.level.map(|l| l.0),
            handlers: names,
            context: raw
                .context
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| (k, v.0))
                .collect(),
            additive: raw.additive.unwrap_or(true),
        };
        loggers.insert(name, logger);
    }

    Ok(Config {
        default_level,
        queue,
        loggers,
        handlers,
        flush_on_signals,
        watch,
        env_filter,
        log_panics,
    })
}

/// The error for logger `logger` naming `handler`, which is not among `defined`.
pub(crate) fn unknown_handler<'a>(
    logger: &str,
    handler: &str,
    defined: impl Iterator<Item = &'a String> + Clone,
) -> ConfigError {
    let names = defined.map(String::as_str);
    let help = if names.clone().next().is_none() {
        "no handlers are defined: add one under `handlers`".to_owned()
    } else {
        format!("defined handlers: {}", one_of(names.clone()))
    };
    ConfigError::new(
        ConfigErrorKind::UnknownHandler,
        format!("logger `{logger}` names handler `{handler}`, which is not defined"),
    )
    .with_suggestion(did_you_mean(handler, names))
    .with_help(Some(help))
}

/// The keys each table of the raw layer reads, as its serde structs name them plus the
/// keys read by hand: what the schema's test compares the schema with.
#[cfg(test)]
pub(crate) struct Keys {
    pub root: Vec<&'static str>,
    pub queue: &'static [&'static str],
    pub logger: &'static [&'static str],
}

#[cfg(test)]
pub(crate) fn keys() -> Keys {
    use crate::schema::fields_of;
    let mut root = fields_of::<RawRoot>().to_vec();
    root.extend(ROOT_DISPATCHED);
    Keys {
        root,
        queue: fields_of::<RawQueue>(),
        logger: fields_of::<RawLogger>(),
    }
}
