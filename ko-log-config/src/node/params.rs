//! [`Params`]: a registered component's table (handler, renderer or processor), kept
//! located for the runtime.

use std::fmt;
use std::sync::Arc;

use super::{deserialize, deserialize_unlocated, Key, KeyPath, Node, NodeValue};
use crate::source::{Mark, Source};
use crate::suggest::{did_you_mean, one_of};
use crate::{ConfigError, ConfigErrorKind};

/// The keys of a registered component's table (everything but `type`, and for a handler
/// but the keys every handler takes), with their locations, kept so the runtime can
/// deserialize them into the component's own params type and report a mistake at the
/// right line.
///
/// Two `Params` are equal when they hold the same keys and values, wherever they were
/// written (so one config in TOML, JSON and YAML compares equal, and `renderer = "json"`
/// equals `renderer = { type = "json" }`).
#[derive(Clone)]
pub struct Params {
    /// The component's `type`.
    name: String,
    /// Keys of the table that are not the component's own (`type`; for a handler also
    /// `renderer`, `processors`, `level`).
    skip: &'static [&'static str],
    /// The processor's table (or an empty table where the processor was named by a bare
    /// string).
    node: Node,
    /// Where the `type` value is.
    type_mark: Mark,
    /// Key path of the processor's table (`handlers.file.processors[2]`).
    path: KeyPath,
    /// The text the node came from; `None` for params built in Rust.
    source: Option<Arc<Source>>,
}

const TYPE: &[&str] = &["type"];

impl Params {
    pub(crate) fn new(
        name: &str,
        node: Node,
        type_mark: Mark,
        path: KeyPath,
        source: Arc<Source>,
        skip: &'static [&'static str],
    ) -> Params {
        Params {
            name: name.to_owned(),
            skip,
            node,
            type_mark,
            path,
            source: Some(source),
        }
    }

    /// The params of a component named `name` built in Rust, with no keys yet (add them
    /// with [`Params::with`]): `RendererConfig::new("json")` is made of these.
    pub fn named(name: &str) -> Params {
        Params {
            name: name.to_owned(),
            skip: TYPE,
            node: Node::new(NodeValue::Map(Vec::new()), Mark::default()),
            type_mark: Mark::default(),
            path: KeyPath::root(),
            source: None,
        }
    }

    /// These params with `key` set to `value` (params built in Rust; a key set twice
    /// keeps the later value).
    pub fn with(mut self, key: &str, value: impl Into<NodeValue>) -> Params {
        let value = Node::new(value.into(), Mark::default());
        if let NodeValue::Map(entries) = &mut self.node.value {
            entries.retain(|(k, _)| k.name != key);
            entries.push((Key::new(key.to_owned(), Mark::default()), value));
        }
        self
    }

    /// For params built in Rust, these params with the key path their errors name
    /// (`handlers.console.renderer`), which the runtime knows when it builds them; params
    /// read from a file keep their own.
    pub fn under(mut self, path: KeyPath) -> Params {
        if self.source.is_none() {
            self.path = path;
        }
        self
    }

    /// Places `error` at `mark` when the params came from a file.
    fn locate(&self, error: ConfigError, mark: Mark) -> ConfigError {
        match &self.source {
            Some(source) => error.at(source, mark),
            None => error,
        }
    }

    /// Deserializes the params into `T`; a mistake is reported at its own key, with a key
    /// path under the processor's (`handlers.file.processors[2].request_id`).
    ///
    /// A key that `T` does not take is refused at its line with a "did you mean", also
    /// when `T` lacks `#[serde(deny_unknown_fields)]`: nothing is silently ignored. To take
    /// any key, make `T` (or a field with `#[serde(flatten)]`) a map such as
    /// `HashMap<String, String>`; the keys of a struct with a flattened field, or of one
    /// inside an internally tagged or untagged enum (which serde buffers), are not checked.
    /// Values may be read as strings, booleans or numbers as the [`node`](crate::node)
    /// module describes.
    pub fn deserialize<T: serde::de::DeserializeOwned>(&self) -> Result<T, ConfigError> {
        match &self.source {
            Some(source) => deserialize(source, &self.node, &self.path, self.skip),
            None => deserialize_unlocated(&self.node, &self.path, self.skip),
        }
    }

    /// The error for a `type` that names no known component of kind `what` (`handler`,
    /// `renderer`, `processor`): lists `known` and suggests the nearest one, located at
    /// the `type` value.
    pub fn unknown_type(&self, what: &str, known: &[&str]) -> ConfigError {
        let name = self.name.as_str();
        let error = ConfigError::new(
            ConfigErrorKind::UnknownType,
            format!("unknown {what} type `{name}`"),
        );
        self.locate(error, self.type_mark)
            .with_path(self.path.key("type").to_string())
            .with_suggestion(did_you_mean(name, known.iter().copied()))
            .with_help(Some(format!("expected {}", one_of(known.iter().copied()))))
    }

    /// An error about these params with the runtime's own `message`, located at the
    /// processor's `type` (kind [`ConfigErrorKind::InvalidValue`]).
    pub fn error(&self, message: impl Into<String>) -> ConfigError {
        let error = ConfigError::new(ConfigErrorKind::InvalidValue, message);
        self.locate(error, self.type_mark)
            .with_path(self.path.to_string())
    }

    /// An error about the value of `key` with the runtime's own `message`, located at that
    /// value (or at the processor's `type` when the key is absent).
    pub fn error_at(&self, key: &str, message: impl Into<String>) -> ConfigError {
        self.error_in(&[key], message)
    }

    /// An error about the value at `keys`, a path through the params' own tables
    /// (`["tls", "ca_file"]` for `tls = { ca_file = ".." }`), with the runtime's own
    /// `message`, located at that value (else at the deepest key of the path that is
    /// written, else at the processor's `type`).
    pub fn error_in(&self, keys: &[&str], message: impl Into<String>) -> ConfigError {
        let mut mark = self.type_mark;
        let mut node = Some(&self.node);
        let mut path = self.path.clone();
        for key in keys {
            node = node.and_then(|table| table.get(key));
            if let Some(value) = node {
                mark = value.mark();
            }
            path = path.key(key);
        }
        let error = ConfigError::new(ConfigErrorKind::InvalidValue, message);
        self.locate(error, mark).with_path(path.to_string())
    }

    /// An error about the string value of `key` at byte `within` of the string (a
    /// template's bad placeholder), located at that character when the file spells the
    /// string literally, else at the value.
    pub fn error_within(
        &self,
        key: &str,
        within: usize,
        message: impl Into<String>,
    ) -> ConfigError {
        let node = self.node.get(key);
        let mark = node.map_or(self.type_mark, Node::mark);
        let error = ConfigError::new(ConfigErrorKind::InvalidValue, message);
        let error = match (&self.source, node.and_then(Node::as_str)) {
            (Some(source), Some(text)) => error.at(source, source.mark_within(mark, text, within)),
            _ => self.locate(error, mark),
        };
        error.with_path(self.path.key(key).to_string())
    }

    /// These params without the key of their own that `error` is about (`max_byte` for
    /// an error at `handlers.file.max_byte`), so that a check can go on to the table's
    /// next mistake; `None` when the error names no key written in them.
    pub fn without_key_of(&self, error: &ConfigError) -> Option<Params> {
        let own = self.path.to_string();
        let rest = error.key_path().strip_prefix(own.as_str())?;
        let rest = if own.is_empty() {
            rest
        } else {
            rest.strip_prefix('.')?
        };
        let key = rest.split(['.', '[']).next().filter(|k| !k.is_empty())?;
        let NodeValue::Map(entries) = &self.node.value else {
            return None;
        };
        if !entries.iter().any(|(k, _)| k.name == key) || self.skip.contains(&key) {
            return None;
        }
        let mut params = self.clone();
        if let NodeValue::Map(entries) = &mut params.node.value {
            entries.retain(|(k, _)| k.name != key);
        }
        Some(params)
    }

    /// Whether the params were read from a config text (else built in Rust: their
    /// errors have a key path but no location).
    pub fn is_located(&self) -> bool {
        self.source.is_some()
    }

    /// The processor's table as parsed (including its `type` key when it was a table).
    pub fn node(&self) -> &Node {
        &self.node
    }

    /// The component's `type` name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key path of the component (`handlers.file.processors[2]`, `handlers.audit`).
    pub fn key_path(&self) -> String {
        self.path.to_string()
    }

    /// The key the component's table is under: for a handler, its configured name
    /// (`audit` for `[handlers.audit]`); `None` for a list item (a processor).
    pub fn table_key(&self) -> Option<&str> {
        self.path.last_key()
    }
}

/// An empty table, as for a processor named by a bare string.
impl Default for Params {
    fn default() -> Params {
        Params::named("")
    }
}

impl Params {
    /// The table's own keys (without `type` and, for a handler, the keys every handler
    /// takes), for comparing params.
    fn own(&self) -> Node {
        let mut node = self.node.clone();
        if let NodeValue::Map(entries) = &mut node.value {
            entries.retain(|(key, _)| !self.skip.contains(&key.name.as_str()));
        }
        node
    }
}

impl PartialEq for Params {
    fn eq(&self, other: &Params) -> bool {
        self.own().same_value(&other.own())
    }
}

impl fmt::Debug for Params {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Params")
            .field("path", &self.path.to_string())
            .field("node", &self.node)
            .finish()
    }
}
