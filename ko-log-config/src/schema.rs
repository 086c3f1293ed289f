//! The JSON Schema (draft 2020-12) of a config file, for editors and CI.
//!
//! [`config`] describes every key this crate reads: the top-level keys, `queue`,
//! `loggers`, the keys every handler takes, with enums for levels and `backpressure`, and
//! a description of each key from `docs/CONFIG.md`. Components are added by the caller as
//! [`Component`]s, each a branch of a `oneOf` told apart by `type` (`ko_log::schema()`
//! adds every registered one: every handler, renderer and processor, ko-log's own and
//! the program's own).
//!
//! The schema is written by hand here, next to the raw layer whose keys it describes,
//! with the value syntaxes ([`level`], [`size`], [`duration`], [`boolean`], ...) in one
//! place so that a component's own params schema can use them too. It cannot drift
//! silently: a test compares the keys of each table with the fields the raw layer's
//! serde structs read ([`fields_of`]), in both directions.
//!
//! What a schema cannot say, the loader still checks: that a logger's handlers exist,
//! that a template or time format compiles, that a `${VAR}` is set. Values are written as
//! the loader reads them: a boolean or integer may also be a string holding one, and any
//! value may be a string with `${VAR}` in it; an optional key may be `null`.

use std::cell::Cell;

use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde_json::{json, Map, Value};

use crate::render::COLOR_NAMES;

/// A kind of component a config names by `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ComponentKind {
    /// A handler (`[handlers.NAME]`).
    Handler,
    /// A renderer (`renderer = ...`).
    Renderer,
    /// A processor (an item of `processors`).
    Processor,
}

/// A component registered in code, for [`config`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Component {
    /// Its kind.
    pub kind: ComponentKind,
    /// The `type` name configs use.
    pub name: String,
    /// Shown by editors: where it comes from, what it does.
    pub description: String,
    /// The JSON Schema of its params (the table's keys beside `type`, and for a handler
    /// beside `renderer`, `processors`, `level` and `on_error`), as [`table`] makes one; `None` when
    /// unknown, so that any key is accepted.
    pub params: Option<Value>,
}

impl Component {
    /// A component of `kind` named `name`, with its `description` and its params' schema.
    pub fn new(
        kind: ComponentKind,
        name: &str,
        description: &str,
        params: Option<Value>,
    ) -> Component {
        Component {
            kind,
            name: name.to_owned(),
            description: description.to_owned(),
            params,
        }
    }
}

/// The `$id` of the schema.
pub const ID: &str = "https://example.invalid/ko-log/config.schema.json";

/// The schema of a config file: every built-in key, plus `components`.
pub fn config(components: &[Component]) -> Value {
    let of = |kind| components.iter().filter(move |c| c.kind == kind);
    let handlers: Vec<Value> = of(ComponentKind::Handler)
        .map(|c| variant(c, true))
        .collect();
    let renderers: Vec<Value> = of(ComponentKind::Renderer)
        .map(|c| variant(c, false))
        .collect();
    let processors: Vec<Value> = of(ComponentKind::Processor)
        .map(|c| variant(c, false))
        .collect();
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": ID,
        "title": "ko-log configuration",
        "description": "A ko-log config file (TOML, JSON or YAML: the same tree). Reference: docs/CONFIG.md.",
        "type": ["object", "null"],
        "additionalProperties": false,
        "patternProperties": {
            "^x-": describe(json!({}), "Ignored: the file's own (a YAML anchor shared by handlers, a note), as docker-compose has them."),
        },
        "properties": {
            "default_level": describe(level(), "Level of a logger that sets none and has no ancestor that does (default \"info\")."),
            "env_file": describe(json!({"type": "string"}), "A .env file read before ${VAR} interpolation, relative to the config file's directory."),
            "flush_on_signals": describe(boolean(), "On SIGTERM or SIGINT, write what is queued (within queue.drain_timeout) before the signal takes its course (default false). Unix only."),
            "env_filter": describe(json!({"anyOf": [{"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"}, {"type": "boolean"}]}), "The environment variable whose env_logger-style directives override the loggers' levels at init (default \"KO_LOG\"); false reads none."),
            "log_panics": describe(boolean(), "Log every panic as an ERROR record on target `panic`, written and flushed before the previous panic hook runs (default false)."),
            "watch": describe(json!({"anyOf": [{"type": "boolean"}, {"const": "poll"}]}), "Reload the config when its file changes (default false); \"poll\" checks it every second instead of using file-system events."),
            "queue": {"$ref": "#/$defs/queue"},
            "loggers": {
                "description": "Loggers by name: a log target prefix (`my_app::db` matches my_app::db and my_app::db::*), or `root` for every target.",
                "type": ["object", "null"],
                "propertyNames": {"pattern": "\\S"},
                "additionalProperties": {"$ref": "#/$defs/logger"},
            },
            "handlers": {
                "description": "Handlers by name, referenced by loggers.",
                "type": ["object", "null"],
                "additionalProperties": {"$ref": "#/$defs/handler"},
            },
        },
        "$defs": {
            "interpolated": {
                "description": "A string with ${VAR}, ${VAR:-default} or ${VAR:?message} in it, expanded from the environment when the file loads.",
                "type": "string",
                "pattern": "\\$\\{",
            },
            "level": {
                "anyOf": [
                    {"enum": ["off", "error", "warn", "info", "debug", "trace"]},
                    {"type": "string", "pattern": format!("^\\s*({})\\s*$", crate::level::NAMES.iter().map(|n| any_case(n)).collect::<Vec<_>>().join("|"))},
                    {"$ref": "#/$defs/interpolated"},
                ],
            },
            "boolean": {
                "anyOf": [
                    {"type": "boolean"},
                    {"type": "string", "pattern": "^\\s*(true|false)\\s*$"},
                    {"$ref": "#/$defs/interpolated"},
                ],
            },
            "integer": {
                "anyOf": [
                    {"type": "integer"},
                    {"type": "string", "pattern": "^\\s*[+-]?[0-9]+\\s*$"},
                    {"$ref": "#/$defs/interpolated"},
                ],
            },
            "size": {
                "description": "An integer number of bytes, or a number and a unit: \"10 MiB\", \"500KB\" (B, KB, MB, GB, TB, KiB, MiB, GiB, TiB).",
                "anyOf": [
                    {"type": "integer", "minimum": 0},
                    {"type": "string", "pattern": format!("^\\s*{NUMBER}\\s*({}|{}|{})?\\s*$", any_case("b"), any_case_units(&["kb", "mb", "gb", "tb"]), any_case_units(&["kib", "mib", "gib", "tib"]))},
                    {"$ref": "#/$defs/interpolated"},
                ],
            },
            "duration": {
                "description": "Seconds (a number), or number-unit pairs: \"5s\", \"250ms\", \"1h 30m\" (ns, us, µs, ms, s, m, min, h, d).",
                "anyOf": [
                    {"type": "number", "minimum": 0},
                    {"type": "string", "pattern": format!("^\\s*({NUMBER}\\s*|({NUMBER}\\s*({})\\s*)+)$", any_case_units(&["ns", "us", "µs", "ms", "min", "s", "m", "h", "d"]))},
                    {"$ref": "#/$defs/interpolated"},
                ],
            },
            "scalar": {
                "description": "A string, number or boolean.",
                "type": ["string", "number", "boolean"],
            },
            "color": {
                "anyOf": [
                    {"enum": COLOR_NAMES},
                    {"type": "string", "pattern": format!("^(#[0-9a-fA-F]{{6}}|{})$", COLOR_NAMES.iter().map(|n| any_case(n)).collect::<Vec<_>>().join("|"))},
                    {"$ref": "#/$defs/interpolated"},
                ],
            },
            "queue": describe(table(&[
                ("capacity", describe(with(integer(), json!({"minimum": 1, "maximum": crate::QueueConfig::MAX_CAPACITY})), "Records each logging thread's lane holds: from 1 to 1048576 (2^20), default 2048.")),
                ("backpressure", describe(one_of(crate::build::BackpressureValue::NAMES), "When the queue is full: `block` the caller waits (default); `drop` the new record is dropped; `drop_oldest` the oldest queued record is dropped. Drops are counted.")),
                ("drain_timeout", describe(duration(), "How long dropping the guard may spend writing what is still queued (default \"5s\").")),
            ], &[]), "The queue between the logging threads and the dispatcher."),
            "logger": table(&[
                ("level", describe(level(), "Minimum level; unset inherits the nearest ancestor's, then default_level.")),
                ("handlers", describe(json!({"type": ["array", "null"], "items": {"type": "string"}}), "Names of handlers (under [handlers]) this logger writes to; each must exist.")),
                ("context", describe(json!({"type": ["object", "null"], "additionalProperties": {"$ref": "#/$defs/scalar"}}), "Fields (string, integer, float or bool) added to every record routed here.")),
                ("additive", describe(boolean(), "Also hand the record to the ancestors' handlers (default true).")),
            ], &[]),
            "handler": {
                "description": "A handler: where records go, chosen by `type`, with its renderer, processors and level.",
                "type": "object",
                "required": ["type"],
                "properties": {"type": {"description": "The destination; the type's own keys follow.", "enum": names(&handlers)}},
                "oneOf": handlers,
            },
            "renderer": {
                "description": "How records become lines: a table with a `type`, or just the type name (`renderer = \"json\"`). Default { type = \"plain\" }.",
                "anyOf": [
                    {"enum": names(&renderers)},
                    {"type": "object", "required": ["type"], "properties": {"type": {"enum": names(&renderers)}}, "oneOf": renderers},
                ],
            },
            "processor": {
                "description": "A step run on each record before rendering: a table with a `type`, or just the type name when it needs no keys (\"filter_markup\").",
                "anyOf": [
                    {"enum": bare_names(&processors)},
                    {"type": "object", "required": ["type"], "properties": {"type": {"enum": names(&processors)}}, "oneOf": processors},
                ],
            },
            "processors": {
                "description": "Steps run in order on each record before rendering (default none).",
                "type": ["array", "null"],
                "items": {"$ref": "#/$defs/processor"},
            },
        },
    })
}

/// A decimal number as sizes and durations write it (`12`, `1.5`, `1_000`).
const NUMBER: &str = "[0-9][0-9_]*(\\.[0-9_]*[0-9][0-9_]*)?";

/// A regex matching `word` in any ASCII case (`[oO][fF][fF]`), for editors whose regexes
/// have no case-insensitive flag.
fn any_case(word: &str) -> String {
    word.chars()
        .map(|c| {
            let (lower, upper) = (c.to_ascii_lowercase(), c.to_ascii_uppercase());
            if lower == upper {
                regex_char(c)
            } else {
                format!("[{lower}{upper}]")
            }
        })
        .collect()
}

fn regex_char(c: char) -> String {
    if "\\^$.|?*+()[]{}".contains(c) {
        format!("\\{c}")
    } else {
        c.to_string()
    }
}

fn any_case_units(units: &[&str]) -> String {
    units
        .iter()
        .map(|u| any_case(u))
        .collect::<Vec<_>>()
        .join("|")
}

/// The `type` names of some variants.
fn names(variants: &[Value]) -> Vec<Value> {
    variants
        .iter()
        .filter_map(|v| v.pointer("/properties/type/const").cloned())
        .collect()
}

/// The `type` names of the variants that can be written as a bare name (no required
/// key besides `type`).
fn bare_names(variants: &[Value]) -> Vec<Value> {
    variants
        .iter()
        .filter(|v| {
            v.get("required")
                .and_then(Value::as_array)
                .is_none_or(|r| r.len() <= 1)
        })
        .filter_map(|v| v.pointer("/properties/type/const").cloned())
        .collect()
}

// ---- value syntaxes, for params schemas ----

/// A level name (`off` … `trace`, `warning`, any case).
pub fn level() -> Value {
    json!({"$ref": "#/$defs/level"})
}

/// A boolean (or a string holding one).
pub fn boolean() -> Value {
    json!({"$ref": "#/$defs/boolean"})
}

/// An integer (or a string holding one); add bounds with [`with`].
pub fn integer() -> Value {
    json!({"$ref": "#/$defs/integer"})
}

/// A size: bytes, or `"10 MiB"`.
pub fn size() -> Value {
    json!({"$ref": "#/$defs/size"})
}

/// A duration: seconds, or `"250ms"`.
pub fn duration() -> Value {
    json!({"$ref": "#/$defs/duration"})
}

/// A color name (`red`, `bright_blue`, …) or `"#rrggbb"`.
pub fn color() -> Value {
    json!({"$ref": "#/$defs/color"})
}

/// A string.
pub fn string() -> Value {
    json!({"type": "string"})
}

/// A list of strings.
pub fn strings() -> Value {
    json!({"type": "array", "items": {"type": "string"}})
}

/// A table of string values (any keys).
pub fn string_map() -> Value {
    json!({"type": ["object", "null"], "additionalProperties": {"type": "string"}})
}

/// A table of scalars (any keys).
pub fn scalar_map() -> Value {
    json!({"type": ["object", "null"], "additionalProperties": {"$ref": "#/$defs/scalar"}})
}

/// One of `names` (or a `${VAR}` string).
pub fn one_of(names: &[&str]) -> Value {
    json!({"anyOf": [{"enum": names}, {"$ref": "#/$defs/interpolated"}]})
}

/// `schema` with a `description`.
pub fn describe(mut schema: Value, description: &str) -> Value {
    if let Some(object) = schema.as_object_mut() {
        object.insert("description".to_owned(), Value::from(description));
    }
    schema
}

/// `schema` with the keywords of `more` added (`{"minimum": 1}`).
pub fn with(mut schema: Value, more: Value) -> Value {
    if let (Some(object), Value::Object(more)) = (schema.as_object_mut(), more) {
        object.extend(more);
    }
    schema
}

/// A table of the given keys (each a schema), `required` among them; no other key.
/// Keys not in `required` may also be `null`, as the loader reads them.
pub fn table(keys: &[(&str, Value)], required: &[&str]) -> Value {
    let mut properties = Map::new();
    for (name, schema) in keys {
        let schema = if required.contains(name) {
            schema.clone()
        } else {
            json!({"anyOf": [schema, {"type": "null"}]})
        };
        properties.insert((*name).to_owned(), schema);
    }
    json!({
        "type": ["object", "null"],
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    })
}

// ---- components ----

/// The branch of a `oneOf` for `type = name` with `params` (a [`table`]), the keys every
/// handler takes added for a handler.
fn branch(name: &str, description: &str, params: Option<&Value>, handler: bool) -> Value {
    let mut properties = Map::new();
    properties.insert("type".to_owned(), json!({"const": name}));
    if handler {
        properties.insert("renderer".to_owned(), json!({"$ref": "#/$defs/renderer"}));
        properties.insert(
            "processors".to_owned(),
            json!({"$ref": "#/$defs/processors"}),
        );
        properties.insert(
            "level".to_owned(),
            json!({"anyOf": [describe(level(), "Records below this level are skipped by this handler only."), {"type": "null"}]}),
        );
        properties.insert(
            "on_error".to_owned(),
            describe(
                table(
                    &[
                        ("keep", describe(with(integer(), json!({"minimum": 1})), "Records kept at most per thread or task scope.")),
                        ("level", describe(level(), "The lowest level kept (default \"debug\"); below the handler's level.")),
                    ],
                    &["keep"],
                ),
                "Keep the records this handler's level skips, down to on_error.level, and write them just before the next error of the same thread or task scope (deferred = true).",
            ),
        );
    }
    let mut required = vec![Value::from("type")];
    let mut additional = Value::Bool(params.is_none());
    if let Some(params) = params {
        if let Some(own) = params.get("properties").and_then(Value::as_object) {
            properties.extend(own.clone());
        }
        if let Some(own) = params.get("required").and_then(Value::as_array) {
            required.extend(own.iter().cloned());
        }
        if let Some(own) = params.get("additionalProperties") {
            additional = own.clone();
        }
    }
    json!({
        "title": format!("type = \"{name}\""),
        "description": description,
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": additional,
    })
}

fn variant(component: &Component, handler: bool) -> Value {
    branch(
        &component.name,
        &component.description,
        component.params.as_ref(),
        handler,
    )
}

// ---- the keys a serde struct reads ----

/// The keys a serde-derived struct reads (its field names, aliases included), found by
/// asking its `Deserialize` impl: for testing a hand-written params schema against its
/// type, in both directions. Empty when `T` is not read as a struct (a map, a
/// `#[serde(flatten)]` struct, an enum).
pub fn fields_of<T: for<'de> Deserialize<'de>>() -> &'static [&'static str] {
    let found = Cell::new(None);
    let _ = T::deserialize(Lister(&found));
    found.get().unwrap_or_default()
}

/// A deserializer that only records the field names it is asked for.
struct Lister<'a>(&'a Cell<Option<&'static [&'static str]>>);

impl<'de> Deserializer<'de> for Lister<'_> {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("not a struct"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.set(Some(fields));
        Err(de::Error::custom("listed"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The property names of the `oneOf` branch for `type = name` in `$defs.def`.
    fn keys_of(schema: &Value, pointer: &str, name: &str) -> Vec<String> {
        let branches = schema
            .pointer(pointer)
            .and_then(Value::as_array)
            .expect(pointer);
        let branch = branches
            .iter()
            .find(|b| b.pointer("/properties/type/const") == Some(&Value::from(name)))
            .unwrap_or_else(|| panic!("no branch for {name}"));
        let mut keys: Vec<String> = branch["properties"]
            .as_object()
            .expect("properties")
            .keys()
            .cloned()
            .collect();
        keys.sort();
        keys
    }

    fn sorted(keys: &[&str]) -> Vec<String> {
        let mut keys: Vec<String> = keys.iter().map(|k| (*k).to_owned()).collect();
        keys.sort();
        keys.dedup();
        keys
    }

    fn properties(schema: &Value, pointer: &str) -> Vec<String> {
        let mut keys: Vec<String> = schema
            .pointer(pointer)
            .and_then(Value::as_object)
            .expect(pointer)
            .keys()
            .cloned()
            .collect();
        keys.sort();
        keys
    }

    /// Every key the raw layer reads is in the schema, and every key of the schema is
    /// read: the schema is hand-written, so this is what keeps it from drifting.
    #[test]
    fn the_schema_has_exactly_the_keys_the_loader_reads() {
        let schema = config(&[]);
        let keys = crate::build::keys();
        assert_eq!(
            properties(&schema, "/properties"),
            sorted(&keys.root),
            "top level"
        );
        assert_eq!(
            properties(&schema, "/$defs/queue/properties"),
            sorted(keys.queue),
            "queue"
        );
        assert_eq!(
            properties(&schema, "/$defs/logger/properties"),
            sorted(keys.logger),
            "loggers.NAME"
        );
    }

    #[test]
    fn fields_of_lists_a_structs_keys() {
        #[derive(serde::Deserialize)]
        #[allow(dead_code)]
        struct Params {
            a: u32,
            #[serde(rename = "b-b")]
            b: Option<String>,
        }
        assert_eq!(fields_of::<Params>(), ["a", "b-b"]);
        assert!(fields_of::<std::collections::HashMap<String, String>>().is_empty());
    }

    #[test]
    fn a_component_is_a_branch_of_its_kind() {
        let schema = config(&[Component {
            kind: ComponentKind::Handler,
            name: "audit".to_owned(),
            description: "Audits.".to_owned(),
            params: Some(table(&[("path", string())], &["path"])),
        }]);
        assert_eq!(
            keys_of(&schema, "/$defs/handler/oneOf", "audit"),
            [
                "level",
                "on_error",
                "path",
                "processors",
                "renderer",
                "type"
            ]
        );
        let branch = &schema["$defs"]["handler"]["oneOf"][0];
        assert_eq!(branch["required"], json!(["type", "path"]));
        assert_eq!(branch["additionalProperties"], json!(false));
        assert_eq!(
            schema.pointer("/$defs/handler/properties/type/enum"),
            Some(&json!(["audit"]))
        );
    }

    #[test]
    fn any_case() {
        assert_eq!(super::any_case("off"), "[oO][fF][fF]");
        assert_eq!(super::any_case("µs"), "µ[sS]");
    }
}
