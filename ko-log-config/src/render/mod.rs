//! `renderer = { type = ... }`: how a record becomes bytes.

mod colored;
mod json;
mod plain;
mod time_format;

pub use self::colored::{Color, ColorMode, ColoredConfig, LevelColors, COLOR_NAMES};
pub use self::json::JsonConfig;
pub use self::plain::PlainConfig;
pub use self::time_format::TimeFormat;

/// A handler's renderer, by `type`.
#[derive(Debug, Clone, PartialEq)]
pub enum RendererConfig {
    /// `type = "plain"`: a text line from a template.
    Plain(PlainConfig),
    /// `type = "json"`: one JSON object per line.
    Json(JsonConfig),
    /// `type = "colored"`: like plain, with the level colored.
    Colored(ColoredConfig),
}

impl RendererConfig {
    /// The `type` name of this renderer (`plain`, `json`, `colored`).
    pub fn type_name(&self) -> &'static str {
        match self {
            RendererConfig::Plain(_) => "plain",
            RendererConfig::Json(_) => "json",
            RendererConfig::Colored(_) => "colored",
        }
    }
}

impl Default for RendererConfig {
    fn default() -> Self {
        RendererConfig::Plain(PlainConfig::default())
    }
}
