//! Handlers: where rendered records are written, one module per destination.
//!
//! The dispatcher thread owns every handler and calls [`Handler::write`] once per rendered
//! record, so a handler never sees half a line and never needs a lock. Handlers buffer;
//! the dispatcher calls [`Handler::flush`] when the queue runs dry, on `log::logger().flush()`
//! and at shutdown. Errors are returned, never printed: the dispatcher counts them, reports
//! them on stderr (rate limited) and keeps calling the handler, which retries.

use std::fmt;

use crate::{Error, Event};

/// A destination for rendered records.
pub trait Handler: fmt::Debug + Send + 'static {
    /// Writes one rendered record. `line` is complete and ends with `\n`; `event` is the
    /// record it was rendered from (its `time` drives time-based rotation).
    fn write(&mut self, line: &[u8], event: &Event) -> Result<(), Error>;

    /// Writes out anything buffered.
    fn flush(&mut self) -> Result<(), Error>;

    /// Whether the destination is an interactive terminal (the colored renderer's `auto`).
    fn is_terminal(&self) -> bool {
        false
    }
}
