//! `type = "null"`: [`Null`] discards every record (useful with the test `Sink`, or to
//! silence a logger while keeping its configuration). It takes no keys of its own; its
//! registration under `type = "null"` is here.

use ko_log_config::node::Params;
use ko_log_config::schema::{describe, table};

use super::{Handle, Handler};
use crate::{error::Error, event::Event};

fn build(params: &Params, _: &Handle) -> Result<Box<dyn Handler>, Error> {
    check(params)?;
    Ok(Box::new(Null))
}

fn check(params: &Params) -> Result<(), Error> {
    params.deserialize::<crate::registry::__private::NoParams>()?;
    Ok(())
}

fn schema() -> serde_json::Value {
    describe(table(&[], &[]), "Discards every record.")
}

crate::registry::register!(Handler, "null", build, check, schema);

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
