//! `renderer = { type = ... }`: how a record becomes bytes.
//!
//! This crate knows no renderer: it reads the `type` and keeps the table's other keys,
//! located, as [`Params`] for the runtime, where each renderer (built-in or registered)
//! reads them into its own params type. What is here are value syntaxes renderers share:
//! [`TimeFormat`], and the colors of the colored renderer's keys.

mod colored;
mod time_format;

pub use self::colored::{Color, ColorMode, COLOR_NAMES};
pub use self::time_format::{TimeFormat, TimeFormatError};

use crate::node::{NodeValue, Params};

/// A handler's renderer: its `type` and the table's other keys.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RendererConfig {
    /// The `type` as written (`plain`, `json`, or a registered renderer's name).
    pub name: String,
    /// The table's other keys, with their locations (none for a bare name).
    pub params: Params,
}

impl RendererConfig {
    /// The renderer `type = name` with no keys (each takes its defaults).
    pub fn new(name: &str) -> RendererConfig {
        RendererConfig {
            name: name.to_owned(),
            params: Params::named(name),
        }
    }

    /// This renderer with `key` set to `value`: a config built in Rust, e.g.
    /// `RendererConfig::new("json").with("flatten", false)`.
    pub fn with(mut self, key: &str, value: impl Into<NodeValue>) -> RendererConfig {
        self.params = self.params.with(key, value);
        self
    }

    /// The `type` name of this renderer.
    pub fn type_name(&self) -> &str {
        &self.name
    }
}

/// `{ type = "plain" }`.
impl Default for RendererConfig {
    fn default() -> Self {
        RendererConfig::new("plain")
    }
}
