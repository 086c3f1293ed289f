//! `type = "null"`: [`Null`] discards every record (useful with the test `Sink`, or to
//! silence a logger while keeping its configuration).

use super::Handler;
use crate::{error::Error, event::Event};

/// Discards every record; never fails.
#[derive(Debug, Clone, Copy, Default)]
pub struct Null;

impl Null {
    /// The discarding handler.
    pub fn new() -> Null {
        Null
    }
}

impl Handler for Null {
    fn write(&mut self, _line: &[u8], _event: &Event) -> Result<(), Error> {
        Ok(())
    }

    fn flush(&mut self) -> Result<(), Error> {
        Ok(())
    }
}
