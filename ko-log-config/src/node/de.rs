//! A serde `Deserializer` over `&Node` that knows where it is.
//!
//! Each level carries its key path; when a `Deserialize` impl fails, the error is placed
//! at the innermost node (or key, for an unknown key) that was being read, with that
//! node's key path — unless a deeper level already placed it. Unknown keys and values get
//! a "did you mean" from the names serde lists as expected.
//!
//! Nothing is silently ignored: a struct read with `deserialize_struct` (any serde-derived
//! struct) that skips a key it does not name — serde's derive does so for an unknown
//! field, without `deny_unknown_fields` — gets an "unknown key" error at that key, with a
//! "did you mean" over its field names. Map types (`HashMap<String, _>`) take any key; a
//! struct with a `#[serde(flatten)]` field is read as a map, and one inside an internally
//! tagged or untagged enum from serde's buffer, so their keys are not checked here.
//!
//! Strings are also accepted where a boolean or an integer is asked for (`"true"`,
//! `"100"`), so values can come from `${VAR}` interpolation.

use std::fmt;

use serde::de::{self, DeserializeSeed, Visitor};
use serde::forward_to_deserialize_any;

use super::{Key, KeyPath, Node, NodeValue};
use crate::source::{Mark, Source};
use crate::suggest::{did_you_mean, one_of};
use crate::{ConfigError, ConfigErrorKind};

/// Deserializes `node` (at `path`) into `T`, hiding the keys in `skip` (which the caller
/// handles itself; they still count as known names for "did you mean").
pub(crate) fn deserialize<'de, T: de::Deserialize<'de>>(
    source: &Source,
    node: &'de Node,
    path: &KeyPath,
    skip: &'de [&'de str],
) -> Result<T, ConfigError> {
    deserialize_located(source, node, path, skip).map_err(|(error, _)| error)
}

/// Like [`deserialize`], also giving the key path of the error as a [`KeyPath`] (a check
/// that goes on after an error leaves out the entry it names).
pub(crate) fn deserialize_located<'de, T: de::Deserialize<'de>>(
    source: &Source,
    node: &'de Node,
    path: &KeyPath,
    skip: &'de [&'de str],
) -> Result<T, (ConfigError, KeyPath)> {
    T::deserialize(NodeDe {
        node,
        path: path.clone(),
        skip,
        unnamed: None,
    })
    .map_err(|e| {
        let at = e.path.clone().unwrap_or_else(|| path.clone());
        (e.into_config_error(source, node.mark(), path), at)
    })
}

/// Like [`deserialize`] for a tree without source text (built in Rust): errors have a
/// key path but no location.
pub(crate) fn deserialize_unlocated<'de, T: de::Deserialize<'de>>(
    node: &'de Node,
    path: &KeyPath,
    skip: &'de [&'de str],
) -> Result<T, ConfigError> {
    T::deserialize(NodeDe {
        node,
        path: path.clone(),
        skip,
        unnamed: None,
    })
    .map_err(|e| {
        let path = e.path.clone().unwrap_or_else(|| path.clone());
        e.into_config_error_unlocated().with_path(path.to_string())
    })
}

/// The error type of [`NodeDe`]: a [`ConfigError`] still missing its source text.
/// Boxed so that results stay small.
#[derive(Debug)]
struct DeError(Box<Details>);

#[derive(Debug)]
struct Details {
    kind: ConfigErrorKind,
    message: String,
    mark: Option<Mark>,
    path: Option<KeyPath>,
    suggestion: Option<String>,
    help: Option<String>,
    /// For unknown keys and values: the name and the accepted names.
    unknown: Option<(String, Vec<String>)>,
    /// For missing keys: the key.
    missing: Option<&'static str>,
}

impl DeError {
    fn new(kind: ConfigErrorKind, message: String) -> DeError {
        DeError(Box::new(Details {
            kind,
            message,
            mark: None,
            path: None,
            suggestion: None,
            help: None,
            unknown: None,
            missing: None,
        }))
    }

    fn unknown(kind: ConfigErrorKind, what: &str, name: &str, expected: &[&str]) -> DeError {
        let mut error = DeError::new(kind, format!("unknown {what} `{name}`"));
        error.unknown = Some((
            name.to_owned(),
            expected.iter().map(|s| (*s).to_owned()).collect(),
        ));
        error.suggest();
        error
    }

    /// Recomputes the suggestion and help from `unknown`.
    fn suggest(&mut self) {
        let details = &mut *self.0;
        if let Some((name, expected)) = &details.unknown {
            let names = expected.iter().map(String::as_str);
            details.suggestion = did_you_mean(name, names.clone()).map(str::to_owned);
            details.help = Some(if expected.is_empty() {
                "this table takes no keys".to_owned()
            } else {
                format!("expected {}", one_of(names))
            });
        }
    }

    /// Adds names the caller handles itself to the accepted names of an unknown key.
    fn also_known(mut self, names: &[&str]) -> DeError {
        if self.kind == ConfigErrorKind::UnknownKey {
            if let Some((_, expected)) = &mut self.unknown {
                expected.extend(names.iter().map(|s| (*s).to_owned()));
            }
            self.suggest();
        }
        self
    }

    /// Places the error at `mark` and `path` unless a deeper level already did.
    fn or_at(mut self, mark: Mark, path: &KeyPath) -> DeError {
        if self.mark.is_none() {
            self.mark = Some(mark);
        }
        if self.path.is_none() {
            self.path = Some(match self.missing {
                Some(key) => path.key(key),
                None => path.clone(),
            });
        }
        self
    }

    fn into_config_error(self, source: &Source, mark: Mark, path: &KeyPath) -> ConfigError {
        let at = self.mark.unwrap_or(mark);
        let path = self.path.clone().unwrap_or_else(|| path.clone());
        self.into_config_error_unlocated()
            .at(source, at)
            .with_path(path.to_string())
    }

    fn into_config_error_unlocated(self) -> ConfigError {
        let details = *self.0;
        let help = details.help.filter(|_| details.suggestion.is_none());
        ConfigError::new(details.kind, details.message)
            .with_suggestion(details.suggestion.as_deref())
            .with_help(help)
    }
}

impl std::ops::Deref for DeError {
    type Target = Details;

    fn deref(&self) -> &Details {
        &self.0
    }
}

impl std::ops::DerefMut for DeError {
    fn deref_mut(&mut self) -> &mut Details {
        &mut self.0
    }
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> DeError {
        DeError::new(ConfigErrorKind::InvalidValue, msg.to_string())
    }

    fn invalid_type(unexpected: de::Unexpected<'_>, expected: &dyn de::Expected) -> DeError {
        DeError::custom(format_args!("expected {expected}, found {unexpected}"))
    }

    fn invalid_value(unexpected: de::Unexpected<'_>, expected: &dyn de::Expected) -> DeError {
        DeError::custom(format_args!(
            "invalid value {unexpected}, expected {expected}"
        ))
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> DeError {
        DeError::unknown(ConfigErrorKind::UnknownKey, "key", field, expected)
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> DeError {
        let what = if expected == crate::level::NAMES {
            "level"
        } else if expected == crate::render::COLOR_NAMES {
            "color"
        } else {
            "value"
        };
        DeError::unknown(ConfigErrorKind::InvalidValue, what, variant, expected)
    }

    fn missing_field(field: &'static str) -> DeError {
        let mut error = DeError::new(
            ConfigErrorKind::MissingKey,
            format!("missing key `{field}`"),
        );
        error.missing = Some(field);
        error
    }

    fn duplicate_field(field: &'static str) -> DeError {
        DeError::new(ConfigErrorKind::Syntax, format!("duplicate key `{field}`"))
    }
}

/// Deserializer over one node.
struct NodeDe<'de> {
    node: &'de Node,
    path: KeyPath,
    skip: &'de [&'de str],
    /// Set when this node is the value of a key that the struct being read does not
    /// name: if the struct then ignores the value, the key is refused.
    unnamed: Option<Unnamed<'de>>,
}

/// A key of a struct's table that is not among the struct's fields.
#[derive(Clone, Copy)]
struct Unnamed<'de> {
    key: &'de Key,
    fields: &'static [&'static str],
    skip: &'de [&'de str],
}

impl<'de> NodeDe<'de> {
    fn child(node: &'de Node, path: KeyPath) -> NodeDe<'de> {
        NodeDe {
            node,
            path,
            skip: &[],
            unnamed: None,
        }
    }

    fn located<T>(mark: Mark, path: &KeyPath, result: Result<T, DeError>) -> Result<T, DeError> {
        result.map_err(|e| e.or_at(mark, path))
    }

    /// Visits `entries` as a map; `fields` are the struct's field names when a struct
    /// is being read (so that a key it ignores is refused).
    fn map<V: Visitor<'de>>(
        self,
        entries: &'de [(Key, Node)],
        fields: Option<&'static [&'static str]>,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let mark = self.node.mark();
        let access = MapDe {
            entries: entries.iter(),
            path: &self.path,
            skip: self.skip,
            fields,
            value: None,
        };
        NodeDe::located(mark, &self.path, visitor.visit_map(access))
    }

    /// A table, for `deserialize_map` and `deserialize_struct`.
    fn table<V: Visitor<'de>>(
        self,
        fields: Option<&'static [&'static str]>,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match &self.node.value {
            NodeValue::Map(entries) => self.map(entries, fields, visitor),
            // An empty YAML value (`queue:`) reads as an empty table.
            NodeValue::Null => self.map(&[], fields, visitor),
            // Not `deserialize_any`: derived structs would accept a list of field values.
            _ => {
                let expected: &dyn de::Expected = &visitor;
                let error = <DeError as de::Error>::custom(format_args!(
                    "expected {expected}, found {}",
                    self.node.kind_name()
                ));
                Err(error.or_at(self.node.mark(), &self.path))
            }
        }
    }
}

/// `deserialize_i8` … `deserialize_u64`: each reads a number, or a string that is one.
macro_rules! integers_by_text {
    ($($method:ident)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
                self.deserialize_integer(visitor)
            }
        )*
    };
}

impl<'de> de::Deserializer<'de> for NodeDe<'de> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let mark = self.node.mark();
        let result = match &self.node.value {
            NodeValue::Null => visitor.visit_unit(),
            NodeValue::Bool(b) => visitor.visit_bool(*b),
            NodeValue::Int(i) => visitor.visit_i64(*i),
            NodeValue::Float(f) => visitor.visit_f64(*f),
            NodeValue::String(s) => visitor.visit_borrowed_str(s),
            NodeValue::Seq(items) => visitor.visit_seq(SeqDe {
                items: items.iter().enumerate(),
                path: &self.path,
            }),
            NodeValue::Map(entries) => return self.map(entries, None, visitor),
        };
        NodeDe::located(mark, &self.path, result)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let flag = match self.node.as_str().map(str::trim) {
            Some("true") => true,
            Some("false") => false,
            _ => return self.deserialize_any(visitor),
        };
        NodeDe::located(self.node.mark(), &self.path, visitor.visit_bool(flag))
    }

    integers_by_text! {
        deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let mark = self.node.mark();
        let path = self.path.clone();
        let result = match self.node.value {
            NodeValue::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        };
        NodeDe::located(mark, &path, result)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_any(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let mark = self.node.mark();
        let path = self.path.clone();
        NodeDe::located(mark, &path, visitor.visit_newtype_struct(self))
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.table(None, visitor)
    }

    /// Also refuses a key that is not among `fields` when the struct ignores its value,
    /// as serde's derive does for an unknown field without `deny_unknown_fields`.
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.table(Some(fields), visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match &self.node.value {
            NodeValue::String(name) => {
                let result = visitor.visit_enum(UnitEnum { name });
                NodeDe::located(self.node.mark(), &self.path, result)
            }
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.unnamed {
            // The struct skips a key it does not name: nothing is silently ignored.
            Some(Unnamed { key, fields, skip }) => {
                let error = DeError::unknown(ConfigErrorKind::UnknownKey, "key", &key.name, fields)
                    .also_known(skip);
                Err(error.or_at(key.mark(), &self.path))
            }
            None => visitor.visit_unit(),
        }
    }

    forward_to_deserialize_any! {
        i128 u128 f32 f64 char str string bytes byte_buf unit_struct seq tuple tuple_struct
        identifier
    }
}

impl<'de> NodeDe<'de> {
    fn deserialize_integer<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let Some(text) = self.node.as_str().map(str::trim) else {
            return de::Deserializer::deserialize_any(self, visitor);
        };
        let result = if let Ok(i) = text.parse::<i64>() {
            visitor.visit_i64(i)
        } else if let Ok(u) = text.parse::<u64>() {
            visitor.visit_u64(u)
        } else {
            return de::Deserializer::deserialize_any(self, visitor);
        };
        NodeDe::located(self.node.mark(), &self.path, result)
    }
}

/// The entries of a table.
struct MapDe<'de, 'p> {
    entries: std::slice::Iter<'de, (Key, Node)>,
    path: &'p KeyPath,
    skip: &'de [&'de str],
    /// The field names of the struct being read, if it is one.
    fields: Option<&'static [&'static str]>,
    value: Option<(&'de Key, &'de Node)>,
}

impl<'de> de::MapAccess<'de> for MapDe<'de, '_> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        for (key, value) in self.entries.by_ref() {
            if self.skip.contains(&key.name.as_str()) {
                continue;
            }
            self.value = Some((key, value));
            let result = seed.deserialize(KeyDe { name: &key.name });
            return result.map(Some).map_err(|e| {
                e.also_known(self.skip)
                    .or_at(key.mark(), &self.path.key(&key.name))
            });
        }
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let Some((key, node)) = self.value.take() else {
            return Err(de::Error::custom("value requested before its key"));
        };
        let mut value = NodeDe::child(node, self.path.key(&key.name));
        value.unnamed = self
            .fields
            .filter(|fields| !fields.contains(&key.name.as_str()))
            .map(|fields| Unnamed {
                key,
                fields,
                skip: self.skip,
            });
        seed.deserialize(value)
    }
}

/// The items of a list.
struct SeqDe<'de, 'p> {
    items: std::iter::Enumerate<std::slice::Iter<'de, Node>>,
    path: &'p KeyPath,
}

impl<'de> de::SeqAccess<'de> for SeqDe<'de, '_> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        match self.items.next() {
            Some((index, node)) => seed
                .deserialize(NodeDe::child(node, self.path.index(index)))
                .map(Some),
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

/// A table key, read as a string.
struct KeyDe<'de> {
    name: &'de str,
}

impl<'de> de::Deserializer<'de> for KeyDe<'de> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_borrowed_str(self.name)
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

/// An enum written as its variant's name (`backpressure = "drop"`).
struct UnitEnum<'de> {
    name: &'de str,
}

impl<'de> de::EnumAccess<'de> for UnitEnum<'de> {
    type Error = DeError;
    type Variant = UnitOnly;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, UnitOnly), DeError> {
        seed.deserialize(de::value::BorrowedStrDeserializer::<DeError>::new(
            self.name,
        ))
        .map(|v| (v, UnitOnly))
    }
}

struct UnitOnly;

impl<'de> de::VariantAccess<'de> for UnitOnly {
    type Error = DeError;

    fn unit_variant(self) -> Result<(), DeError> {
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, _seed: T) -> Result<T::Value, DeError> {
        Err(de::Error::invalid_type(
            de::Unexpected::UnitVariant,
            &"a table",
        ))
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, _visitor: V) -> Result<V::Value, DeError> {
        Err(de::Error::invalid_type(
            de::Unexpected::UnitVariant,
            &"a list",
        ))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, DeError> {
        Err(de::Error::invalid_type(
            de::Unexpected::UnitVariant,
            &"a table",
        ))
    }
}
