//! `processors = [ { type = ... }, ... ]`: per-handler steps run before rendering.

use std::collections::BTreeMap;

use log::LevelFilter;

use crate::node::Params;
use crate::Value;

/// One entry of a handler's `processors` list, by `type`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ProcessorConfig {
    /// `add_callsite`: add the call site's `file`, `line` and/or `module` as fields
    /// (key `fields`, default all three).
    AddCallsite {
        /// Which call-site fields to add.
        fields: Vec<CallsiteField>,
    },
    /// `add_context_defaults`: add these fields to records that lack them (key `values`).
    AddContextDefaults {
        /// Field name to default value.
        values: BTreeMap<String, Value>,
    },
    /// `dict_tracebacks`: render error values as their message plus their `source()` chain
    /// (key `backtrace`, default `false`: also capture a backtrace of the dispatcher... see
    /// the runtime docs).
    DictTracebacks {
        /// Add a `backtrace` field to records that carry an error.
        backtrace: bool,
    },
    /// `filter_by_level`: drop records below `min_level` for this handler.
    FilterByLevel {
        /// The lowest level kept (key `min_level`, required).
        min_level: LevelFilter,
    },
    /// `filter_keys`: remove these fields (key `keys`, required).
    FilterKeys {
        /// Field names removed.
        keys: Vec<String>,
    },
    /// `filter_markup`: strip `[bold]`-style markup tags from the message.
    FilterMarkup,
    /// `redact`: replace the values of these fields (key `keys`, default
    /// `["password", "token", "authorization", "secret"]`, compared case-insensitively)
    /// with `replacement` (default `"***"`).
    Redact {
        /// Field names whose values are masked.
        keys: Vec<String>,
        /// The text written instead.
        replacement: String,
    },
    /// Any other `type`: a processor registered in code with `#[ko_log::processor]`.
    /// The runtime resolves `name` and deserializes `params` into that processor's type.
    Custom {
        /// The `type` as written.
        name: String,
        /// The other keys of the table, with their locations.
        params: Params,
    },
}

/// A call-site field for `add_callsite`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallsiteField {
    /// `file`.
    File,
    /// `line`.
    Line,
    /// `module`.
    Module,
}

/// The `type` names of the built-in processors.
pub const BUILTIN: &[&str] = &[
    "add_callsite",
    "add_context_defaults",
    "dict_tracebacks",
    "filter_by_level",
    "filter_keys",
    "filter_markup",
    "redact",
];

impl ProcessorConfig {
    /// The `type` name of this processor as written in the config.
    pub fn type_name(&self) -> &str {
        match self {
            ProcessorConfig::AddCallsite { .. } => "add_callsite",
            ProcessorConfig::AddContextDefaults { .. } => "add_context_defaults",
            ProcessorConfig::DictTracebacks { .. } => "dict_tracebacks",
            ProcessorConfig::FilterByLevel { .. } => "filter_by_level",
            ProcessorConfig::FilterKeys { .. } => "filter_keys",
            ProcessorConfig::FilterMarkup => "filter_markup",
            ProcessorConfig::Redact { .. } => "redact",
            ProcessorConfig::Custom { name, .. } => name,
        }
    }
}
