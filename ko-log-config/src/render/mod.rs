//! `renderer = { type = ... }`: how a record becomes bytes.

mod colored;
mod json;
mod logfmt;
mod plain;
mod time_format;

pub use self::colored::{Color, ColorMode, ColoredConfig, LevelColors, COLOR_NAMES};
pub use self::json::JsonConfig;
pub use self::logfmt::{is_key_char, LogfmtConfig};
pub use self::plain::PlainConfig;
pub use self::time_format::{TimeFormat, TimeFormatError};

use crate::node::Params;

/// The `type` names of the typed built-in renderers; any other `type` is a
/// [`RendererConfig::Custom`] for the runtime's registry.
pub const BUILTIN: &[&str] = &["plain", "json", "colored", "logfmt"];

/// A handler's renderer, by `type`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum RendererConfig {
    /// `type = "plain"`: a text line from a template.
    Plain(PlainConfig),
    /// `type = "json"`: one JSON object per line.
    Json(JsonConfig),
    /// `type = "colored"`: like plain, with the level colored.
    Colored(ColoredConfig),
    /// `type = "logfmt"`: `key=value` pairs, one line per record.
    Logfmt(LogfmtConfig),
    /// Any other `type`: a renderer registered with `#[ko_log::renderer]`. The runtime
    /// resolves `name` and deserializes `params` into that renderer's own params type.
    Custom {
        /// The `type` as written.
        name: String,
        /// The table's other keys, with their locations.
        params: Params,
    },
}

impl RendererConfig {
    /// The `type` name of this renderer (`plain`, `json`, `colored`, `logfmt`, or a registered
    /// renderer's name).
    pub fn type_name(&self) -> &str {
        match self {
            RendererConfig::Plain(_) => "plain",
            RendererConfig::Json(_) => "json",
            RendererConfig::Colored(_) => "colored",
            RendererConfig::Logfmt(_) => "logfmt",
            RendererConfig::Custom { name, .. } => name,
        }
    }
}

impl Default for RendererConfig {
    fn default() -> Self {
        RendererConfig::Plain(PlainConfig::default())
    }
}
