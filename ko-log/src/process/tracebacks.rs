//! `dict_tracebacks`: errors as their message plus their `source()` chain, as a list.
//!
//! Every [`Value::Error`] field is replaced in place by a [`Value::List`] of strings: the
//! error's own message first, then each source, outermost first. The JSON renderer writes
//! `"err": ["cannot load config", "permission denied"]`; plain writes
//! `err="[cannot load config, permission denied]"`.
//!
//! With `backtrace = true`, a record that carried at least one error also gets a
//! `backtrace` field (unless it has one): a [`Backtrace`] forced at that moment. It is a
//! backtrace of the *dispatcher thread* running this processor, not of the code that
//! logged or created the error (a `log` record cannot carry one), so it is of limited
//! use; it costs a stack walk and symbol resolution per such record.

use std::backtrace::Backtrace;

use ko_log_config::node::Params;
use ko_log_config::ConfigError;
use serde::Deserialize;

use super::{Action, Processor};
use crate::event::{ErrorValue, Event, Value};

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a processor table")]
struct Raw {
    backtrace: Option<bool>,
}

fn schema() -> serde_json::Value {
    use ko_log_config::schema::{boolean, describe, table};
    let keys = [(
        "backtrace",
        describe(boolean(), "Also add a backtrace (default false)."),
    )];
    describe(
        table(&keys, &[]),
        "Render error values with their source() chain; optionally a backtrace.",
    )
}

crate::registry::register_processor!("dict_tracebacks", DictTracebacks, schema, Raw);

/// Replaces error values by the list of messages in their chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DictTracebacks {
    backtrace: bool,
}

impl DictTracebacks {
    /// Reads the keys of a `dict_tracebacks` entry (`backtrace`, default `false`).
    pub fn from_params(params: &Params) -> Result<DictTracebacks, ConfigError> {
        let raw: Raw = params.deserialize()?;
        Ok(DictTracebacks::new(raw.backtrace.unwrap_or(false)))
    }
    /// Also adds a dispatcher-thread `backtrace` field when `backtrace` is true.
    pub fn new(backtrace: bool) -> DictTracebacks {
        DictTracebacks { backtrace }
    }
}

impl Processor for DictTracebacks {
    fn process(&mut self, event: &mut Event) -> Action {
        let mut found = false;
        for (_, value) in event.fields.iter_mut() {
            if !matches!(value, Value::Error(_)) {
                continue;
            }
            if let Value::Error(error) = std::mem::replace(value, Value::Null) {
                let ErrorValue { message, sources } = *error;
                let mut chain = Vec::with_capacity(1 + sources.len());
                chain.push(Value::from(message));
                chain.extend(sources.into_iter().map(Value::from));
                *value = Value::List(chain);
                found = true;
            }
        }
        if found && self.backtrace && event.fields.get("backtrace").is_none() {
            event
                .fields
                .insert("backtrace", Backtrace::force_capture().to_string());
        }
        Action::Keep
    }
}
