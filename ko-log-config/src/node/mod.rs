//! The located tree every format is parsed into, and the serde deserializer over it.
//!
//! TOML (with `toml`'s spanned `DeTable`), JSON (with `jsonc-parser`, configured for strict
//! JSON) and YAML (with `saphyr`'s marked loader) each parse into one [`Node`] tree in which
//! every value and every map key remembers its line and column. Everything after parsing —
//! `${VAR}` interpolation, building the typed [`Config`](crate::Config), a custom
//! processor's [`Params`] — works on this tree, so all three formats report a mistake at
//! the same place with the same words.
//!
//! Format details: JSON refuses comments, trailing commas and repeated keys; YAML holds
//! one document, expands anchors and aliases, resolves merge keys (`<<: *defaults`), and
//! keeps a plain number with a leading zero (`0640`) as text; TOML datetimes become
//! strings. Nesting deeper than 64 levels is
//! refused.
//!
//! Reading a tree with serde (as [`Params::deserialize`] does) accepts a string where a
//! boolean or integer is asked for (`"true"`, `"100"`), so values can come from `${VAR}`,
//! and reads an empty YAML value (`queue:`) as an empty table.

mod de;
mod json;
mod params;
pub(crate) mod path;
mod toml;
mod yaml;

pub use self::params::Params;

pub(crate) use self::de::{deserialize, deserialize_located, deserialize_unlocated};
pub use self::path::KeyPath;

use std::collections::HashSet;

use crate::source::{Mark, Source};
use crate::{ConfigError, ConfigErrorKind, Format};

/// Deeper nesting than this is refused (no configuration needs more than a handful).
pub(crate) const MAX_DEPTH: usize = 64;

/// A value in a configuration file, with its position.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Node {
    /// The value.
    pub value: NodeValue,
    /// 1-based line of the value's first character.
    pub line: usize,
    /// 1-based column (in characters) of the value's first character.
    pub column: usize,
    /// Byte offset of the value's first character in the text.
    pub offset: usize,
}

/// The value of a [`Node`].
#[derive(Debug, Clone, PartialEq)]
pub enum NodeValue {
    /// YAML `null`/`~`/nothing, JSON `null` (TOML has none).
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer within `i64`.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// A string (TOML datetimes become their text).
    String(String),
    /// A list, in document order.
    Seq(Vec<Node>),
    /// A table, in document order; keys are unique.
    Map(Vec<(Key, Node)>),
}

impl NodeValue {
    /// A table of `entries`, for params built in Rust
    /// (`NodeValue::table([("error", "red".into())])`).
    pub fn table<'k>(entries: impl IntoIterator<Item = (&'k str, NodeValue)>) -> NodeValue {
        let node = |value| Node::new(value, Mark::default());
        NodeValue::Map(
            entries
                .into_iter()
                .map(|(key, value)| (Key::new(key.to_owned(), Mark::default()), node(value)))
                .collect(),
        )
    }
}

impl From<bool> for NodeValue {
    fn from(value: bool) -> NodeValue {
        NodeValue::Bool(value)
    }
}

impl From<i64> for NodeValue {
    fn from(value: i64) -> NodeValue {
        NodeValue::Int(value)
    }
}

impl From<f64> for NodeValue {
    fn from(value: f64) -> NodeValue {
        NodeValue::Float(value)
    }
}

impl From<&str> for NodeValue {
    fn from(value: &str) -> NodeValue {
        NodeValue::String(value.to_owned())
    }
}

impl From<String> for NodeValue {
    fn from(value: String) -> NodeValue {
        NodeValue::String(value)
    }
}

/// A path as a string (`.with("path", dir.join("app.log"))`); a path that is not UTF-8
/// is written lossily, as a config file could not hold it either.
impl From<&std::path::Path> for NodeValue {
    fn from(value: &std::path::Path) -> NodeValue {
        NodeValue::String(value.to_string_lossy().into_owned())
    }
}

impl From<std::path::PathBuf> for NodeValue {
    fn from(value: std::path::PathBuf) -> NodeValue {
        NodeValue::from(value.as_path())
    }
}

impl<T: Into<NodeValue>> From<Vec<T>> for NodeValue {
    fn from(items: Vec<T>) -> NodeValue {
        let item = |value: T| Node::new(value.into(), Mark::default());
        NodeValue::Seq(items.into_iter().map(item).collect())
    }
}

/// A table key, with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Key {
    /// The key as a string (after unquoting).
    pub name: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// Byte offset in the text.
    pub offset: usize,
}

impl Node {
    /// Parses a text in `format` into a located tree (no interpolation, no validation).
    ///
    /// An empty document (only whitespace or comments) is [`NodeValue::Null`] at 1:1.
    pub fn parse(text: &str, format: Format) -> Result<Node, ConfigError> {
        parse(&Source::new(None, text), format)
    }

    pub(crate) fn new(value: NodeValue, mark: Mark) -> Node {
        Node {
            value,
            line: mark.line,
            column: mark.column,
            offset: mark.offset,
        }
    }

    pub(crate) fn mark(&self) -> Mark {
        Mark {
            line: self.line,
            column: self.column,
            offset: self.offset,
        }
    }

    /// The value of `key` when this node is a table that has it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, node)| node)
    }

    /// The key and value of `key` when this node is a table that has it (a scan of the
    /// table's keys: fine for one lookup, not for a lookup per key of a large table).
    pub fn entry(&self, key: &str) -> Option<(&Key, &Node)> {
        match &self.value {
            NodeValue::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.name == key)
                .map(|(k, v)| (k, v)),
            _ => None,
        }
    }

    /// The string value, when this node is a string.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            NodeValue::String(s) => Some(s),
            _ => None,
        }
    }

    /// What kind of value this is, for messages: `a string`, `a table`, ...
    pub fn kind_name(&self) -> &'static str {
        match self.value {
            NodeValue::Null => "null",
            NodeValue::Bool(_) => "a boolean",
            NodeValue::Int(_) => "an integer",
            NodeValue::Float(_) => "a float",
            NodeValue::String(_) => "a string",
            NodeValue::Seq(_) => "a list",
            NodeValue::Map(_) => "a table",
        }
    }

    /// Whether two trees hold the same values, ignoring positions and key order.
    pub fn same_value(&self, other: &Node) -> bool {
        match (&self.value, &other.value) {
            (NodeValue::Seq(a), NodeValue::Seq(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same_value(y))
            }
            (NodeValue::Map(a), NodeValue::Map(b)) => {
                a.len() == b.len()
                    && a.iter().all(|(key, value)| {
                        other
                            .get(&key.name)
                            .is_some_and(|theirs| value.same_value(theirs))
                    })
            }
            (a, b) => a == b,
        }
    }
}

impl Key {
    pub(crate) fn new(name: String, mark: Mark) -> Key {
        Key {
            name,
            line: mark.line,
            column: mark.column,
            offset: mark.offset,
        }
    }

    pub(crate) fn mark(&self) -> Mark {
        Mark {
            line: self.line,
            column: self.column,
            offset: self.offset,
        }
    }
}

/// Parses `source` in `format`.
pub(crate) fn parse(source: &Source, format: Format) -> Result<Node, ConfigError> {
    match format {
        Format::Toml => toml::parse(source),
        Format::Json => json::parse(source),
        Format::Yaml => yaml::parse(source),
    }
}

/// A syntax error at `mark`.
pub(crate) fn syntax_error(source: &Source, mark: Mark, message: impl Into<String>) -> ConfigError {
    ConfigError::new(ConfigErrorKind::Syntax, message).at(source, mark)
}

/// Tables up to this many keys are checked for a repeated key by a scan; larger ones
/// through a set, so a table of 100,000 loggers is built in linear time.
const SCAN_KEYS: usize = 16;

/// Builds a table from entries, refusing a repeated key (at the repetition).
pub(crate) struct MapBuilder<'s> {
    source: &'s Source,
    entries: Vec<(Key, Node)>,
    /// The names of `entries`, once there are more than [`SCAN_KEYS`].
    names: HashSet<String>,
}

impl<'s> MapBuilder<'s> {
    pub fn new(source: &'s Source) -> MapBuilder<'s> {
        MapBuilder {
            source,
            entries: Vec::new(),
            names: HashSet::new(),
        }
    }

    /// How many keys the table has.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the table already has `name`.
    pub fn contains(&self, name: &str) -> bool {
        if self.entries.len() <= SCAN_KEYS {
            self.entries.iter().any(|(k, _)| k.name == name)
        } else {
            self.names.contains(name)
        }
    }

    pub fn push(&mut self, key: Key, value: Node) -> Result<(), ConfigError> {
        if self.contains(&key.name) {
            return Err(syntax_error(
                self.source,
                key.mark(),
                format!("duplicate key `{}`", key.name),
            ));
        }
        if self.entries.len() == SCAN_KEYS {
            self.names = self.entries.iter().map(|(k, _)| k.name.clone()).collect();
        }
        if self.entries.len() >= SCAN_KEYS {
            self.names.insert(key.name.clone());
        }
        self.entries.push((key, value));
        Ok(())
    }

    pub fn finish(self) -> NodeValue {
        NodeValue::Map(self.entries)
    }

    /// The entries, in the order they were pushed.
    pub fn into_entries(self) -> Vec<(Key, Node)> {
        self.entries
    }
}

/// Refuses nesting deeper than [`MAX_DEPTH`].
pub(crate) fn check_depth(source: &Source, depth: usize, mark: Mark) -> Result<(), ConfigError> {
    if depth > MAX_DEPTH {
        Err(syntax_error(
            source,
            mark,
            format!("values nested deeper than {MAX_DEPTH} levels"),
        ))
    } else {
        Ok(())
    }
}
