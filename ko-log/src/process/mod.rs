//! Processors: per-handler steps run on a record before it is rendered.
//!
//! Each handler runs its own processors in order on its own copy of the event, so a
//! processor that removes a key or drops a record affects that handler only.

use std::fmt;

use crate::Event;

/// What a processor decided about a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Go on to the next processor and the renderer.
    Keep,
    /// Skip this record for this handler.
    Drop,
}

/// A step of a handler's pipeline.
pub trait Process: fmt::Debug + Send + 'static {
    /// Inspects or changes `event`; returns whether the handler keeps it.
    fn process(&mut self, event: &mut Event) -> Action;
}
