//! The configuration model of ko-log.
//!
//! A config file (TOML, JSON or YAML: the same tree in each) is read in two layers:
//!
//! 1. [`node`]: each format's parser produces a located tree ([`node::Node`]) in which every
//!    key and value remembers its line and column. `${VAR}` interpolation ([`env`]) runs on
//!    this tree.
//! 2. The typed layer ([`Config`] and everything under it) is built from the tree by a serde
//!    deserializer over nodes ([`node::de`]), dispatching on `type` itself so that a mistake
//!    inside a handler or renderer is reported at its own line, not at the table header.
//!
//! Every mistake is a [`ConfigError`] naming the file, line, column and key path. The
//! runtime (`ko-log`) consumes the typed layer unchanged and never re-validates it.

#![warn(missing_docs, clippy::print_stdout, clippy::print_stderr)]

mod build;
mod config;
pub mod env;
mod error;
pub mod handler;
pub mod level;
mod load;
pub mod logger;
pub mod node;
pub mod process;
pub mod queue;
pub mod render;
mod source;
mod suggest;
pub mod template;
pub mod units;

pub use config::{Config, Format, CONSOLE, ROOT};
pub use error::{ConfigError, ConfigErrorKind, Location};
pub use handler::{HandlerConfig, HandlerKind};
pub use logger::LoggerConfig;
pub use process::ProcessorConfig;
pub use queue::{Backpressure, QueueConfig};
pub use render::RendererConfig;
pub use template::Template;

/// A scalar value written in a config file (`context` maps, `add_context_defaults`).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `true` / `false`.
    Bool(bool),
    /// An integer that fits `i64`.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// A string (after `${VAR}` interpolation).
    String(String),
}
