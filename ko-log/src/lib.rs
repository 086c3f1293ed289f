//! ko-log: an asynchronous, queue-based, lossless backend for the [`log`] facade.
//!
//! TODO(runtime): crate docs (README is doc-tested separately).

#![warn(missing_docs, clippy::print_stdout, clippy::print_stderr)]

mod async_api;
mod backend;
mod capture;
mod clock;
pub mod context;
mod dispatch;
pub mod error;
pub mod event;
pub mod handler;
mod init;
mod logger;
pub mod process;
pub mod render;
mod report;
mod route;
mod stats;
pub mod testing;

pub use backend::Backend;
pub use context::{with_context, ContextGuard, WithContext};
pub use dispatch::Guard;
pub use error::Error;
pub use event::{ErrorValue, Event, Fields, Str, Value};
pub use handler::Handler;
pub use init::{init, init_default, init_from_file, init_from_str, install, stats};
pub use logger::Logger;
pub use process::{Action, Process};
pub use render::Render;
pub use stats::Stats;

/// The configuration model (the `ko-log-config` crate).
pub use ko_log_config as config;

/// Used by ko-log's macros; not public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::async_api::{enqueue, AsyncCapture};
    pub use log;
    pub use std::borrow::Cow;
}
