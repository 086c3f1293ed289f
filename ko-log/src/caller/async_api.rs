//! The async logging API: `ko_log::ainfo!` and friends.
//!
//! Each macro captures the record at once, on the calling task's thread (with its scoped
//! context), and returns a future that queues it. Under `block` the future waits for room
//! (woken when there is room), so a full lane suspends the task instead of blocking the
//! executor thread; under `drop` and `drop_oldest` it completes at once. Prefer them in
//! async code that logs in bursts (the executor keeps running other tasks while the
//! dispatcher catches up); `log::info!` is fine everywhere else.
//!
//! ```
//! # async fn run() {
//! ko_log::ainfo!(user_id = 7; "Processing request {}", 42).await;
//! # }
//! ```

use std::future::Future;
use std::sync::Mutex;

use log::{Log, Metadata, Record};

use crate::context;
use crate::dispatch::Msg;
use crate::route::Pinned;
use crate::{caller::backend, capture};

/// A `log::Log` that captures one record for [`enqueue`] instead of queueing it.
#[doc(hidden)]
#[derive(Debug, Default)]
pub struct AsyncCapture(Mutex<Option<(Pinned, Msg)>>);

impl AsyncCapture {
    /// An empty capture.
    pub fn new() -> AsyncCapture {
        AsyncCapture::default()
    }
}

impl Log for AsyncCapture {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        backend::installed().is_some_and(|backend| backend.enabled(metadata))
    }

    fn log(&self, record: &Record<'_>) {
        let Some(backend) = backend::installed() else {
            return;
        };
        // Counted in flight on these routes until queued: the future may move threads.
        let routes = backend.routes.pin();
        let Some(routed) = backend.route_in(&routes, record) else {
            return;
        };
        let captured = Msg::Record(routed, capture::capture(record), context::current());
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some((routes, captured));
        }
    }

    fn flush(&self) {}
}

/// Queues what `capture` holds; under `block`, waits for room without blocking the thread.
#[doc(hidden)]
pub fn enqueue(capture: AsyncCapture) -> impl Future<Output = ()> + Send {
    let captured = capture.0.into_inner().ok().flatten();
    async move {
        if let (Some(backend), Some((routes, msg))) = (backend::installed(), captured) {
            backend.push_async(routes, msg).await;
        }
    }
}

/// Captures with a `log` level macro and returns the queueing future.
#[doc(hidden)]
#[macro_export]
macro_rules! __alog {
    ($level:ident, $($arg:tt)+) => {{
        let capture = $crate::__private::AsyncCapture::new();
        $crate::__private::log::$level!(logger: capture, $($arg)+);
        $crate::__private::enqueue(capture)
    }};
}

/// Async `log::error!`: same syntax; returns a future that queues the record.
#[macro_export]
macro_rules! aerror {
    ($($arg:tt)+) => { $crate::__alog!(error, $($arg)+) };
}

/// Async `log::warn!`: same syntax; returns a future that queues the record.
#[macro_export]
macro_rules! awarn {
    ($($arg:tt)+) => { $crate::__alog!(warn, $($arg)+) };
}

/// Async `log::info!`: same syntax; returns a future that queues the record (under
/// `block`, waiting for room without blocking the thread).
#[macro_export]
macro_rules! ainfo {
    ($($arg:tt)+) => { $crate::__alog!(info, $($arg)+) };
}

/// Async `log::debug!`: same syntax; returns a future that queues the record.
#[macro_export]
macro_rules! adebug {
    ($($arg:tt)+) => { $crate::__alog!(debug, $($arg)+) };
}

/// Async `log::trace!`: same syntax; returns a future that queues the record.
#[macro_export]
macro_rules! atrace {
    ($($arg:tt)+) => { $crate::__alog!(trace, $($arg)+) };
}
