//! `[handlers.NAME]`: where rendered records are written.
//!
//! This crate knows no handler: it reads the keys every handler takes (`type`, `renderer`,
//! `processors`, `level`, `on_error`) and keeps the table's other keys, located, as
//! [`Params`] for the runtime, where each handler (ko-log's own or registered) reads them
//! into its own params type. What is here besides are value syntaxes ko-log's own
//! handlers' keys use ([`Rotation`], [`Compress`], [`Stream`], ...).

mod values;

use log::LevelFilter;

pub use values::{Compress, JournalPrefix, Rotation, Stream, Timezone};

use crate::node::{NodeValue, Params};
use crate::{ProcessorConfig, RendererConfig};

/// The keys every handler takes, read by this crate; the others are the handler's params.
pub const COMMON: &[&str] = &["type", "renderer", "processors", "level", "on_error"];

/// One `[handlers.NAME]` table.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct HandlerConfig {
    /// The `type` as written (`file`, `stream`, `socket`, or a registered handler's name).
    pub name: String,
    /// The table's other keys (all but [`COMMON`]), with their locations; the runtime's
    /// handler of that `type` reads them into its own params type. Two handler configs
    /// with equal params (as values, wherever written) are the same handler to a reload.
    pub params: Params,
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
}

impl HandlerConfig {
    /// A handler of `type = name` with no keys of its own (each takes its defaults), the
    /// plain renderer, no processors, no level floor: a config built in Rust, e.g.
    /// `HandlerConfig::new("file").with("path", "logs/app.log")`.
    pub fn new(name: &str) -> HandlerConfig {
        HandlerConfig {
            name: name.to_owned(),
            params: Params::named(name),
            renderer: RendererConfig::default(),
            processors: Vec::new(),
            level: None,
            on_error: None,
        }
    }

    /// This handler with its key `key` set to `value` (`.with("max_bytes", 1024)`).
    pub fn with(mut self, key: &str, value: impl Into<NodeValue>) -> HandlerConfig {
        self.params = self.params.with(key, value);
        self
    }

    /// This handler with `renderer`.
    pub fn with_renderer(mut self, renderer: RendererConfig) -> HandlerConfig {
        self.renderer = renderer;
        self
    }

    /// The `type` name of this handler.
    pub fn type_name(&self) -> &str {
        &self.name
    }

    /// Whether the table came from a config text and has `key` (`Some(false)`: written
    /// without it; `None`: built in Rust, so nobody can tell).
    pub fn has_key(&self, key: &str) -> Option<bool> {
        self.params
            .is_located()
            .then(|| self.params.node().get(key).is_some())
    }
}

/// `on_error = { keep = 200, level = "debug" }`: the records a handler skips for its
/// `level` but that are at or above `level` here are kept, up to `keep` per thread or
/// task scope, and written just before the next error record of that thread or scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct OnError {
    /// Records kept at most per thread or task scope; older ones are discarded (key
    /// `keep`, at least 1).
    pub keep: usize,
    /// The lowest level kept (key `level`, default `debug`); below the handler's own.
    pub level: LevelFilter,
}

impl OnError {
    /// Keep at most `keep` records per thread or task scope, down to `level`.
    pub fn new(keep: usize, level: LevelFilter) -> OnError {
        OnError { keep, level }
    }
}
