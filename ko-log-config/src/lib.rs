//! The configuration model of ko-log.
//!
//! A config file (TOML, JSON or YAML: the same tree in each) becomes a [`Config`] in three
//! steps:
//!
//! 1. **Parse** ([`node`]): each format's parser produces a located tree
//!    ([`node::Node`]) in which every key and value remembers its line and column.
//! 2. **Interpolate** ([`mod@env`]): `${VAR}` and `${VAR:-default}` in string values, from
//!    the process environment and an optional `env_file`.
//! 3. **Build** (a private raw layer): tables with fixed keys are read by serde, through a
//!    deserializer over the tree that tracks the key path, into raw structs with
//!    `deny_unknown_fields`; handlers are dispatched on `type` here, so a mistake inside
//!    one is reported at its own line, not at the table header. Levels ([`level`]), sizes
//!    and durations ([`units`]) are checked on the way. Renderers and processors (and any
//!    handler but `file`, `rotating_file`, `stream`, `null`) are components of the
//!    runtime: this crate keeps their `type` and their keys as located
//!    [`Params`](node::Params), which each reads into its own params type (with the value
//!    syntaxes of [`values`]), its mistakes located the same way.
//!
//! Every mistake is a [`ConfigError`] naming the file, line, column and key path, with a
//! "did you mean" when a near name exists. The runtime (`ko-log`) consumes the typed layer
//! unchanged and never re-validates it; a [`Config`] built in Rust can be checked with
//! [`Config::validate`].
//!
//! ```
//! use ko_log_config::{Config, Format};
//!
//! let config = Config::from_str(
//!     "[loggers.root]\nhandlers = [\"console\"]\n[handlers.console]\ntype = \"stream\"\n",
//!     Format::Toml,
//! )?;
//! assert_eq!(config.loggers["root"].handlers, ["console"]);
//!
//! let error = Config::from_str("[queue]\ncapacity = 0\n", Format::Toml).unwrap_err();
//! assert_eq!(error.key_path(), "queue.capacity");
//! assert_eq!(error.location().map(|l| (l.line, l.column)), Some((2, 12)));
//! # Ok::<(), ko_log_config::ConfigError>(())
//! ```
//!
//! The reference of every key is `docs/CONFIG.md` in the repository.

#![warn(missing_docs, clippy::print_stdout, clippy::print_stderr)]
#![forbid(unsafe_code)]

mod build;
pub mod check;
mod config;
pub mod env;
mod error;
mod escape;
pub mod handler;
pub mod level;
mod load;
pub mod logger;
pub mod node;
pub mod process;
pub mod queue;
pub mod render;
pub mod schema;
mod source;
mod suggest;
pub mod template;
pub mod units;

pub use build::values;
pub use check::Checked;
pub use config::{Config, Format, Watch, CONSOLE, ROOT};
pub use error::{ConfigError, ConfigErrorKind, Location};
pub use handler::HandlerConfig;
/// The map [`Config::handlers`] is: it keeps the order the handlers were named in.
pub use indexmap::IndexMap;
pub use logger::LoggerConfig;
pub use process::ProcessorConfig;
pub use queue::{Backpressure, QueueConfig};
pub use render::RendererConfig;
pub use template::Template;

/// A scalar value written in a config file (`context` maps, `add_context_defaults`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
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
