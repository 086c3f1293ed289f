//! Renderers: how an [`Event`] becomes bytes, one module per format.
//!
//! A renderer appends exactly one record to a buffer the dispatcher reuses. The plain and
//! colored renderers escape control characters in the message and in values so user data
//! can neither forge a second line nor send escape sequences to a terminal; the JSON
//! renderer relies on JSON string escaping.

use std::fmt;

use crate::Event;

/// Turns events into bytes.
pub trait Render: fmt::Debug + Send + 'static {
    /// Appends one rendered record to `out`, ending with `\n`.
    fn render(&self, event: &Event, out: &mut Vec<u8>);
}
