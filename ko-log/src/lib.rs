//! ko-log: an asynchronous, queue-based, lossless backend for the [`log`] facade.
//!
//! TODO(runtime): crate docs (README is doc-tested separately).

#![warn(missing_docs, clippy::print_stdout, clippy::print_stderr)]

pub mod error;
pub mod event;
pub mod handler;
pub mod process;
pub mod render;
mod clock;
mod report;

pub use error::Error;
pub use event::{ErrorValue, Event, Fields, Str, Value};
pub use handler::Handler;
pub use process::{Action, Process};
pub use render::Render;

/// The configuration model (the `ko-log-config` crate).
pub use ko_log_config as config;
