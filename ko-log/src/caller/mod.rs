//! The caller side: what runs on the thread that logs. The backend ([`Backend`], the
//! `log::Log` every `log` macro reaches: route, capture, queue) and the API sugar over
//! it: ko-log's own macros and their deferred formatting (`macros`, `deferred`), bound
//! loggers (`logger`), the async API (`async_api`), lives (`life`) and the `tracing`
//! bridge. The record it captures (`capture`), its scope (`context`, with
//! `level_scope`) and its routes (`route`) stand below, where the dispatcher reads them
//! too.
//!
//! [`Backend`]: crate::Backend

pub(crate) mod async_api;
pub(crate) mod backend;
pub mod deferred;
pub mod life;
pub(crate) mod logger;
pub(crate) mod macros;
#[cfg(feature = "tracing")]
pub mod tracing;
