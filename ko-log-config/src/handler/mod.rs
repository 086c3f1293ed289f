//! `[handlers.NAME]`: where rendered records are written.
//!
//! Every handler has a `type`, a `renderer`, a `processors` list and an optional `level`
//! floor; the remaining keys belong to its `type` and live in the module named after it.

mod file;
mod rotating_file;
mod stream;

use log::LevelFilter;

pub use file::{FileConfig, OpenMode};
pub(crate) use rotating_file::DEFAULT_REOPEN_CHECK;
pub use rotating_file::{RotatingFileConfig, Rotation, Timezone};
pub use stream::{Stream, StreamConfig};

use crate::{ProcessorConfig, RendererConfig};

/// One `[handlers.NAME]` table.
#[derive(Debug, Clone, PartialEq)]
pub struct HandlerConfig {
    /// The destination, chosen by `type`.
    pub kind: HandlerKind,
    /// How records are turned into lines (key `renderer`, default `{ type = "plain" }`).
    pub renderer: RendererConfig,
    /// Run in order on each record before rendering (key `processors`, default none).
    pub processors: Vec<ProcessorConfig>,
    /// Records below this level are skipped by this handler only (key `level`).
    pub level: Option<LevelFilter>,
}

/// The destination of a handler, by `type`.
#[derive(Debug, Clone, PartialEq)]
pub enum HandlerKind {
    /// `type = "file"`.
    File(FileConfig),
    /// `type = "rotating_file"`.
    RotatingFile(RotatingFileConfig),
    /// `type = "stream"`.
    Stream(StreamConfig),
    /// `type = "null"`: discards every record.
    Null,
}

impl HandlerKind {
    /// The `type` name of this kind (`file`, `rotating_file`, `stream`, `null`).
    pub fn type_name(&self) -> &'static str {
        match self {
            HandlerKind::File(_) => "file",
            HandlerKind::RotatingFile(_) => "rotating_file",
            HandlerKind::Stream(_) => "stream",
            HandlerKind::Null => "null",
        }
    }
}
