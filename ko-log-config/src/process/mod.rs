//! `processors = [ { type = ... }, ... ]`: per-handler steps run before rendering.
//!
//! This crate knows no processor: it reads each entry's `type` and keeps the table's
//! other keys, located, as [`Params`] for the runtime, where each processor (built-in or
//! registered) reads them into its own params type. [`CallsiteField`] is the value
//! syntax of `add_callsite`'s `fields`.

use crate::node::{NodeValue, Params};

/// One entry of a handler's `processors` list: its `type` and the table's other keys.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ProcessorConfig {
    /// The `type` as written (`redact`, or a registered processor's name).
    pub name: String,
    /// The table's other keys, with their locations (none for a bare name).
    pub params: Params,
}

impl ProcessorConfig {
    /// The processor `type = name` with no keys (each takes its defaults).
    pub fn new(name: &str) -> ProcessorConfig {
        ProcessorConfig {
            name: name.to_owned(),
            params: Params::named(name),
        }
    }

    /// This processor with `key` set to `value`: a config built in Rust, e.g.
    /// `ProcessorConfig::new("filter_keys").with("keys", vec!["password"])`.
    pub fn with(mut self, key: &str, value: impl Into<NodeValue>) -> ProcessorConfig {
        self.params = self.params.with(key, value);
        self
    }

    /// The `type` name of this processor as written in the config.
    pub fn type_name(&self) -> &str {
        &self.name
    }
}

/// A call-site field for `add_callsite`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CallsiteField {
    /// `file`.
    File,
    /// `line`.
    Line,
    /// `module`.
    Module,
}
