//! ko-log: an asynchronous, queue-based, lossless backend for the [`log`] facade.
//!
//! TODO(runtime): crate docs (README is doc-tested separately).

#![warn(missing_docs, clippy::print_stdout, clippy::print_stderr)]

#[cfg(any())] // TEMP: enabled once handler/render/process build fns land
mod backend;
mod capture;
mod clock;
mod dispatch;
pub mod error;
pub mod event;
pub mod handler;
#[cfg(any())] // TEMP
mod init;
pub mod process;
pub mod render;
mod report;
mod route;
mod stats;

#[cfg(any())] // TEMP
pub use backend::Backend;
pub use dispatch::Guard;
pub use error::Error;
#[cfg(any())] // TEMP
pub use init::{init, init_default, init_from_file, init_from_str, install, stats};
pub use stats::Stats;
pub use event::{ErrorValue, Event, Fields, Str, Value};
pub use handler::Handler;
pub use process::{Action, Process};
pub use render::Render;

/// The configuration model (the `ko-log-config` crate).
pub use ko_log_config as config;
