//! `type = "json"`: one JSON object per record (JSON Lines unless `pretty`).
//!
//! The object is serialized straight into the output buffer with `serde_json` (no
//! `serde_json::Value` is built):
//!
//! ```json
//! {"timestamp":"2026-11-24T05:55:58.123456789Z","level":"INFO","target":"app","message":"hi","user_id":123}
//! ```
//!
//! - `timestamp`: RFC 3339 in the configured timezone (`Z` for UTC), with as many
//!   fractional digits as needed;
//! - `level`: `ERROR`, `WARN`, `INFO`, `DEBUG`, `TRACE`; `target` and `message` as
//!   captured;
//! - then the fields, keeping their kinds: integers and finite floats as numbers, a
//!   non-finite float as the string `"NaN"`, `"inf"` or `"-inf"`, booleans, `null`,
//!   strings, lists as arrays, and an error as `{"message": "...", "sources": ["...", ...]}`
//!   (its `source()` chain, outermost first; empty when it has none).
//!
//! A record logged in a trace ([`crate::TraceContext`]) has `trace_id`, `span_id` and
//! `trace_flags` (lowercase hex) after `message`, at the top level whatever `flatten`
//! says; a field of one of these names is then written `fields.<key>`.
//!
//! With `flatten = true` (the default) the fields sit next to the record's own keys.
//! **Reserved keys:** a field named `timestamp`, `level`, `target` or `message` does not
//! overwrite the record's own; it is written as `fields.<key>` (`"fields.message"`), with
//! more `fields.` prefixes should that name be taken by another field too. An object
//! therefore never has a duplicate key. With `flatten = false` the fields go in one
//! object under `fields_key` (present even when empty); a `fields_key` that is itself
//! reserved is prefixed the same way.
//!
//! Strings are escaped by JSON's rules, so any message (control characters, escape
//! sequences, U+FFFD from lossy conversion …) yields valid JSON on one line.

use std::cell::RefCell;

use super::timestamp::Stamp;
use super::Renderer;
use crate::{
    event::{ErrorValue, Event, Fields, Value},
    trace,
};
use ko_log_config::handler::Timezone;
use ko_log_config::node::Params;
use ko_log_config::values::{Count, NonEmpty, TimezoneDe};
use ko_log_config::ConfigError;
use serde::ser::{SerializeMap, SerializeSeq};
use serde::Deserialize;
use serde::{Serialize, Serializer};
use serde_json::ser::{CompactFormatter, Formatter, PrettyFormatter};

/// The record's own keys, which fields never overwrite.
const RESERVED: [&str; 4] = ["timestamp", "level", "target", "message"];

/// The prefix put before a field key that collides with a reserved one.
const PREFIX: &str = "fields.";

/// Keys of the JSON renderer.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonConfig {
    /// Put the record's fields at the top level next to `timestamp`, `level`, `target`
    /// and `message` (key `flatten`, default `true`); when `false` they go in one object
    /// under `fields_key`.
    pub flatten: bool,
    /// Name of the nested fields object when `flatten = false`
    /// (key `fields_key`, default `"fields"`; not empty).
    pub fields_key: String,
    /// Indent each object over several lines (key `pretty`, default `false`); this breaks
    /// JSON Lines, so use it for humans only.
    pub pretty: bool,
    /// Spaces per indentation level when `pretty` (key `indent`, default 2, at most
    /// [`JsonConfig::MAX_INDENT`]).
    pub indent: usize,
    /// Clock of `timestamp`, always RFC 3339 (key `timezone`, default `local`).
    pub timezone: Timezone,
}

impl Default for JsonConfig {
    fn default() -> Self {
        JsonConfig {
            flatten: true,
            fields_key: "fields".to_owned(),
            pretty: false,
            indent: 2,
            timezone: Timezone::default(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a renderer table")]
struct Raw {
    flatten: Option<bool>,
    fields_key: Option<NonEmpty>,
    pretty: Option<bool>,
    indent: Option<Count>,
    timezone: Option<TimezoneDe>,
}

impl JsonConfig {
    /// The largest `indent`.
    pub const MAX_INDENT: usize = 16;

    /// Reads the keys of a `json` renderer's table; a mistake is located at its key.
    pub fn from_params(params: &Params) -> Result<JsonConfig, ConfigError> {
        let raw: Raw = params.deserialize()?;
        let defaults = JsonConfig::default();
        let indent = raw.indent.map_or(defaults.indent, |i| i.0);
        if indent > JsonConfig::MAX_INDENT {
            let message = format!("indent {indent} is larger than {}", JsonConfig::MAX_INDENT);
            return Err(params.error_at("indent", message));
        }
        let fields_key = raw.fields_key.map_or(defaults.fields_key, |k| k.0);
        if fields_key.is_empty() {
            return Err(params.error_at("fields_key", "`fields_key` must not be empty"));
        }
        Ok(JsonConfig {
            flatten: raw.flatten.unwrap_or(defaults.flatten),
            fields_key,
            pretty: raw.pretty.unwrap_or(defaults.pretty),
            indent,
            timezone: raw.timezone.map(|t| t.0).unwrap_or_default(),
        })
    }
}

fn schema() -> serde_json::Value {
    use ko_log_config::schema::{boolean, describe, integer, one_of, table, with};
    use serde_json::json;
    describe(table(
        &[
            ("flatten", describe(boolean(), "Put the record's fields next to timestamp, level, target, message (default true); false nests them under fields_key.")),
            ("fields_key", describe(json!({"type": "string", "minLength": 1}), "Name of the nested object when flatten = false (default \"fields\"); not empty.")),
            ("pretty", describe(boolean(), "Indent over several lines (breaks JSON Lines: for humans only; default false).")),
            ("indent", describe(with(integer(), json!({"minimum": 0, "maximum": JsonConfig::MAX_INDENT})), "Spaces per level when pretty (default 2), at most 16.")),
            ("timezone", describe(one_of(TimezoneDe::NAMES), "Clock of timestamp, always RFC 3339 (default \"local\").")),
        ],
        &[],
    ), "One JSON object per record (JSON Lines).")
}

crate::registry::register_renderer!("json", JsonConfig, Json::new, schema, Raw);

/// The JSON renderer.
#[derive(Debug, Clone)]
pub struct Json {
    flatten: bool,
    /// `fields_key`, already moved out of the way of the reserved keys.
    fields_key: String,
    /// `Some(indent)` when pretty.
    indent: Option<Vec<u8>>,
    stamp: Stamp,
    /// Where the timestamp is written before it goes into the object.
    scratch: RefCell<Vec<u8>>,
}

impl Json {
    /// A renderer for the `json` config.
    pub fn new(config: &JsonConfig) -> Json {
        let mut fields_key = config.fields_key.clone();
        while RESERVED.contains(&fields_key.as_str()) {
            fields_key.insert_str(0, PREFIX);
        }
        Json {
            flatten: config.flatten,
            fields_key,
            indent: config.pretty.then(|| vec![b' '; config.indent]),
            stamp: Stamp::rfc3339(crate::clock::offset_of(config.timezone)),
            scratch: RefCell::new(Vec::with_capacity(40)),
        }
    }

    fn write<F: Formatter>(
        &self,
        event: &Event,
        out: &mut Vec<u8>,
        formatter: F,
    ) -> serde_json::Result<()> {
        let mut serializer = serde_json::Serializer::with_formatter(out, formatter);
        let mut map = serializer.serialize_map(None)?;
        match self.scratch.try_borrow_mut() {
            Ok(mut scratch) => {
                scratch.clear();
                if self.stamp.write(event.time, &mut scratch) {
                    map.serialize_entry("timestamp", &RawAscii(&scratch))?;
                } else {
                    // Beyond RFC 3339's years: `time`'s own display.
                    map.serialize_entry("timestamp", &event.time.to_string())?;
                }
            }
            Err(_) => map.serialize_entry("timestamp", &event.time.to_string())?,
        }
        map.serialize_entry("level", event.level.as_str())?;
        map.serialize_entry("target", &*event.target)?;
        map.serialize_entry("message", &*event.message)?;
        if let Some(trace) = &event.trace {
            for (key, hex) in trace.fields() {
                map.serialize_entry(key, hex.as_str())?;
            }
        }
        let traced = |key: &str| event.trace.is_some() && trace::FIELD_NAMES.contains(&key);
        if self.flatten {
            for (key, value) in event.fields.iter() {
                if RESERVED.contains(&key) || traced(key) {
                    map.serialize_entry(&free_key(key, &event.fields), &JsonValue(value))?;
                } else {
                    map.serialize_entry(key, &JsonValue(value))?;
                }
            }
        } else if traced(&self.fields_key) {
            let key = free_key(&self.fields_key, &Fields::new());
            map.serialize_entry(&key, &JsonFields(&event.fields))?;
        } else {
            map.serialize_entry(&self.fields_key, &JsonFields(&event.fields))?;
        }
        SerializeMap::end(map)
    }
}

impl Renderer for Json {
    fn render(&self, event: &Event, out: &mut Vec<u8>) {
        let start = out.len();
        let written = match &self.indent {
            Some(indent) => self.write(event, out, PrettyFormatter::with_indent(indent)),
            None => self.write(event, out, CompactFormatter),
        };
        if written.is_err() {
            // Unreachable in practice (a Vec does not fail, every key is a string); never
            // leave half an object behind.
            out.truncate(start);
            let fallback = [
                ("level", event.level.as_str()),
                ("target", &*event.target),
                ("message", &*event.message),
            ];
            let result = serde_json::Serializer::new(&mut *out).collect_map(fallback);
            if result.is_err() {
                out.truncate(start);
                out.extend_from_slice(b"{}");
            }
        }
        out.push(b'\n');
    }
}

/// `fields.<key>` (prefixed again while another field has that name).
fn free_key(key: &str, fields: &Fields) -> String {
    let mut free = format!("{PREFIX}{key}");
    while fields.get(&free).is_some() {
        free.insert_str(0, PREFIX);
    }
    free
}

/// Text the stamp wrote (ASCII digits and punctuation) as a JSON string.
struct RawAscii<'a>(&'a [u8]);

impl Serialize for RawAscii<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(std::str::from_utf8(self.0).unwrap_or_default())
    }
}

/// A field value in its JSON form.
struct JsonValue<'a>(&'a Value);

impl Serialize for JsonValue<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Null => serializer.serialize_unit(),
            Value::Bool(b) => serializer.serialize_bool(*b),
            Value::I64(n) => serializer.serialize_i64(*n),
            Value::U64(n) => serializer.serialize_u64(*n),
            Value::F64(f) if f.is_finite() => serializer.serialize_f64(*f),
            Value::F64(f) => serializer.collect_str(f),
            Value::Str(text) => serializer.serialize_str(text),
            Value::Error(error) => JsonError(error).serialize(serializer),
            Value::List(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&JsonValue(item))?;
                }
                seq.end()
            }
        }
    }
}

/// `{"message": ..., "sources": [...]}`.
struct JsonError<'a>(&'a ErrorValue);

impl Serialize for JsonError<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("message", &self.0.message)?;
        map.serialize_entry("sources", &self.0.sources)?;
        SerializeMap::end(map)
    }
}

/// The nested fields object of `flatten = false`.
struct JsonFields<'a>(&'a Fields);

impl Serialize for JsonFields<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in self.0.iter() {
            map.serialize_entry(key, &JsonValue(value))?;
        }
        SerializeMap::end(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_key_skips_taken_names() {
        let mut fields = Fields::new();
        fields.insert("message", 1);
        assert_eq!(free_key("message", &fields), "fields.message");
        fields.insert("fields.message", 2);
        fields.insert("fields.fields.message", 3);
        assert_eq!(free_key("message", &fields), "fields.fields.fields.message");
    }

    #[test]
    fn reserved_fields_key_is_prefixed() {
        let config = JsonConfig {
            fields_key: "level".to_owned(),
            ..JsonConfig::default()
        };
        assert_eq!(Json::new(&config).fields_key, "fields.level");
    }
}
