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
pub use rotating_file::{Compress, RotatingFileConfig, Rotation, Timezone};
pub use stream::{JournalPrefix, Stream, StreamConfig};

use crate::node::{Origin, Params};
use crate::{ProcessorConfig, RendererConfig};

/// The `type` names of the typed built-in handlers; any other `type` is a
/// [`HandlerKind::Custom`] for the runtime's registry.
pub const BUILTIN: &[&str] = &["file", "rotating_file", "stream", "null"];

/// One `[handlers.NAME]` table.
#[derive(Debug, Clone, PartialEq)]
pub struct HandlerConfig {
    /// The destination, chosen by `type`.
    pub kind: HandlerKind,
    /// How records are turned into lines (key `renderer`, default `{ type = "plain" }`,
    /// unless the handler prefers another default and no renderer was written: see the
    /// runtime's `Handler::default_renderer`).
    pub renderer: RendererConfig,
    /// Run in order on each record before rendering (key `processors`, default none).
    pub processors: Vec<ProcessorConfig>,
    /// Records below this level are skipped by this handler only (key `level`).
    pub level: Option<LevelFilter>,
    /// Keep records below `level` until an error needs them (key `on_error`).
    pub on_error: Option<OnError>,
    /// Where the table was written (set by the loader), so the runtime locates a problem
    /// it meets later, such as a file it cannot open, without reading the file again.
    pub origin: Origin,
}

impl HandlerConfig {
    /// A handler of `kind` with the plain renderer, no processors, no level floor.
    pub fn new(kind: HandlerKind) -> HandlerConfig {
        HandlerConfig {
            kind,
            renderer: RendererConfig::default(),
            processors: Vec::new(),
            level: None,
            on_error: None,
            origin: Origin::default(),
        }
    }
}

/// `on_error = { keep = 200, level = "debug" }`: the records a handler skips for its
/// `level` but that are at or above `level` here are kept, up to `keep` per thread or
/// task scope, and written just before the next error record of that thread or scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OnError {
    /// Records kept at most per thread or task scope; older ones are discarded (key
    /// `keep`, at least 1).
    pub keep: usize,
    /// The lowest level kept (key `level`, default `debug`); below the handler's own.
    pub level: LevelFilter,
}

/// The destination of a handler, by `type`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum HandlerKind {
    /// `type = "file"`.
    File(FileConfig),
    /// `type = "rotating_file"`.
    RotatingFile(RotatingFileConfig),
    /// `type = "stream"`.
    Stream(StreamConfig),
    /// `type = "null"`: discards every record.
    Null,
    /// Any other `type`: a handler registered with `#[ko_log::handler]` (or a built-in
    /// without a typed config). The runtime resolves `name` and deserializes `params`
    /// into that handler's own params type.
    Custom {
        /// The `type` as written.
        name: String,
        /// The table's other keys (all but `type`, `renderer`, `processors`, `level`,
        /// `on_error`),
        /// with their locations.
        params: Params,
    },
}

impl HandlerKind {
    /// The `type` name of this kind (`file`, `rotating_file`, `stream`, `null`, or a
    /// registered handler's name).
    pub fn type_name(&self) -> &str {
        match self {
            HandlerKind::File(_) => "file",
            HandlerKind::RotatingFile(_) => "rotating_file",
            HandlerKind::Stream(_) => "stream",
            HandlerKind::Null => "null",
            HandlerKind::Custom { name, .. } => name,
        }
    }
}
