//! `type = "json"`: one JSON object per record (JSON Lines unless `pretty`).

use crate::handler::Timezone;

/// Keys of the JSON renderer.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonConfig {
    /// Put the record's fields at the top level next to `timestamp`, `level`, `target`
    /// and `message` (key `flatten`, default `true`); when `false` they go in one object
    /// under `fields_key`.
    pub flatten: bool,
    /// Name of the nested fields object when `flatten = false`
    /// (key `fields_key`, default `"fields"`).
    pub fields_key: String,
    /// Indent each object over several lines (key `pretty`, default `false`); this breaks
    /// JSON Lines, so use it for humans only.
    pub pretty: bool,
    /// Spaces per indentation level when `pretty` (key `indent`, default 2).
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
