//! Renderers: how an [`Event`] becomes bytes, one module per format.
//!
//! A renderer appends exactly one record to a buffer the dispatcher reuses, and never
//! fails or panics:
//!
//! - [`Plain`] (`type = "plain"`): a text line from the compiled template;
//! - [`Colored`] (`type = "colored"`): the same line with the level in color;
//! - [`Json`] (`type = "json"`): one JSON object per line;
//! - [`Logfmt`] (`type = "logfmt"`): `key=value` pairs, quoted as go-logfmt does.
//!
//! [`build`] turns a handler's `renderer` config into one of them. The plain and colored
//! renderers escape control characters in the message, keys and values (the rules are in
//! the `escape` module's docs: `\n`, `\r`, `\t`, `\x1b`, `\u{9b}` …), so user data can
//! neither forge a second line nor send escape sequences to a terminal; the JSON renderer
//! relies on JSON string escaping and keeps the record's own keys from being overwritten
//! by fields (see [`Json`]); the logfmt renderer quotes and escapes by go-logfmt's rules
//! and sanitizes keys (see [`Logfmt`]).

use std::fmt;

use ko_log_config::RendererConfig;

use crate::Event;

mod colored;
mod escape;
mod json;
mod logfmt;
mod plain;
mod timestamp;

pub use self::colored::Colored;
pub use self::json::Json;
pub use self::logfmt::Logfmt;
pub use self::plain::Plain;

/// Turns events into bytes.
pub trait Render: fmt::Debug + Send + 'static {
    /// Appends one rendered record to `out`, ending with `\n`.
    fn render(&self, event: &Event, out: &mut Vec<u8>);
}

/// The renderer a handler's `renderer` config describes. `is_terminal` says whether the
/// handler writes to a terminal (it only matters to `colored` with `color = "auto"`).
///
/// A registered renderer (`RendererConfig::Custom`) is resolved among the
/// `#[ko_log::renderer]`s; an unknown name, params that do not fit or a constructor error
/// is a config error located in the renderer's table.
pub fn build(config: &RendererConfig, is_terminal: bool) -> Result<Box<dyn Render>, crate::Error> {
    Ok(match config {
        RendererConfig::Plain(config) => Box::new(Plain::new(config)),
        RendererConfig::Json(config) => Box::new(Json::new(config)),
        RendererConfig::Colored(config) => Box::new(Colored::new(config, is_terminal)),
        RendererConfig::Logfmt(config) => Box::new(Logfmt::new(config)),
        RendererConfig::Custom { name, params } => crate::registry::renderer(name, params)?,
        other => {
            return Err(crate::Error::Unsupported(format!(
                "renderer type `{}` is not known to this version of ko-log",
                other.type_name()
            )))
        }
    })
}
