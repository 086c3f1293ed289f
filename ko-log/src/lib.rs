//! ko-log: an asynchronous, queue-based, lossless backend for the [`log`](mod@log) facade.
//!
//! Any crate logs with `log::info!` (or ko-log's own [`info!`], which formats on the
//! dispatcher); ko-log captures the record on the caller's thread (level check, clock,
//! message, key-values: no I/O, no lock, no panic), queues it in that thread's own
//! bounded lock-free lane, and one dispatcher thread merges the lanes, runs each
//! handler's processors, renders and writes. Configure it from a file:
//!
//! ```no_run
//! let _guard = ko_log::init_from_file("log.toml")?; // keep it alive: dropping it drains
//! log::info!(user_id = 123; "Processing request");
//! # Ok::<(), ko_log::Error>(())
//! ```
//!
//! - Setup: [`init_from_file`], [`init_from_str`], [`init`] (a [`config::Config`] built in
//!   Rust), [`init_default`]; [`Backend::new`] builds one without installing it.
//! - Lifetime: [`Guard`] drains, flushes and joins when dropped; `log::logger().flush()`
//!   waits until everything logged before it is written; [`stats`] counts everything;
//!   [`log_panics`] turns panics into records.
//! - Context: bound [`Logger`]s, [`context!`] thread scopes, [`with_context`] task scopes;
//!   trace ids ([`TraceContext`], [`with_trace`]) rendered in every format; debug for one
//!   request ([`with_level`], [`context::push_level`]).
//! - Deferred formatting: [`info!`] and friends take `log`'s syntax and copy plain
//!   arguments, formatting them on the dispatcher ([`deferred`], [`Loggable`]).
//! - Async: [`ainfo!`] and friends wait for room without blocking the executor thread.
//! - Tests: [`testing::Sink`] captures each test's own records.
//! - tracing (feature `tracing`): `ko_log::tracing::layer()` feeds tracing events, with
//!   their spans' fields as context, into the same pipeline.
//! - Extension points: [`Handler`], [`Renderer`], [`Processor`].
//! - Tooling: [`check`] reports every mistake of a config without running it, and what a
//!   valid one does; [`schema()`] is the JSON Schema of its files, registered components
//!   included (the `ko-log` command prints both).
//!
//! The README (doc-tested with the crate) is the guide; `docs/` in the repository has the
//! architecture, configuration, testing and benchmark documents.

#![warn(missing_docs, clippy::print_stdout, clippy::print_stderr)]
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

// The registration macros' generated code names `::ko_log`; built-in components
// registered inside this crate resolve it through this alias.
extern crate self as ko_log;

mod caller;
mod capture;
pub mod check;
mod clock;
mod component;
pub mod context;
mod dispatch;
pub mod error;
pub mod event;
pub mod handler;
mod install;
mod level_scope;
pub mod process;
mod registry;
pub mod render;
mod report;
mod route;
mod schema;
mod stats;
pub mod testing;
mod trace;
mod unwind;

pub use caller::backend::Backend;
pub use caller::deferred::{self, Loggable};
pub use caller::life::{self, Life};
pub use caller::logger::Logger;
#[cfg(feature = "tracing")]
pub use caller::tracing;
pub use component::{Action, Handler, Processor, Renderer};
pub use context::{with_context, with_level, with_trace, ContextGuard, WithContext};
pub use dispatch::Guard;
pub use error::{Error, ParamError};
pub use event::{ErrorValue, Event, Fields, Str, Value};
pub use install::builder::Builder;
pub use install::init::{init, init_default, init_from_file, init_from_str, install, stats};
pub use install::panic::{log_panics, PANIC_TARGET};
pub use install::reload::{reconfigure, reload, Reloaded};
pub use ko_log_macros::{handler, life, life_guard, processor, renderer};
pub use schema::schema;
pub use stats::{HandlerStats, Stats};
pub use trace::{TraceContext, TraceparentError};

/// The configuration model (the `ko-log-config` crate).
pub use ko_log_config as config;

/// Used by ko-log's macros; not public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::caller::async_api::{enqueue, AsyncCapture};
    // ko_log::info! and its siblings:
    pub use crate::caller::deferred;
    pub use ko_log_macros::__deferred as deferred;
    pub use log;
    pub use std::borrow::Cow;
    // #[ko_log::life], ko_log::life_guard!; #[ko_log::handler], #[ko_log::renderer],
    // #[ko_log::processor]:
    pub use crate::caller::life::__private as life;
    pub use crate::registry::__private as component;
    pub use inventory;
}

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;

/// The Rust blocks of the documents in `docs/`, compiled and run as doc tests too.
#[cfg(doctest)]
mod docs {
    #[doc = include_str!("../../docs/ARCHITECTURE.md")]
    struct Architecture;
    #[doc = include_str!("../../docs/BENCHMARKS.md")]
    struct Benchmarks;
    #[doc = include_str!("../../docs/CLI.md")]
    struct Cli;
    #[doc = include_str!("../../docs/CONFIG.md")]
    struct Config;
    #[doc = include_str!("../../docs/CORRELATION.md")]
    struct Correlation;
    #[doc = include_str!("../../docs/EXTENDING.md")]
    struct Extending;
    #[doc = include_str!("../../docs/MACROS.md")]
    struct Macros;
    #[doc = include_str!("../../docs/RELIABILITY.md")]
    struct Reliability;
    #[doc = include_str!("../../docs/SHIPPING.md")]
    struct Shipping;
    #[doc = include_str!("../../docs/TESTING.md")]
    struct Testing;
    #[doc = include_str!("../../docs/TRACING.md")]
    struct Tracing;
}
