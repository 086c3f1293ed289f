//! Bound loggers: a name plus fields, carried by value and cheap to clone.
//!
//! ```
//! let log = ko_log::Logger::new("app").bind("service", "auth");
//! let request = log.bind("request_id", "r-42");
//! request.warn("Rate limit exceeded");
//! // Format arguments and extra key-values go through `log`'s own macros:
//! log::warn!(logger: request, ip = "10.0.0.7"; "Rate limit exceeded for {}", "ana");
//! ```
//!
//! Records go through the installed global logger (the same pipeline as `log::info!`)
//! with the logger's name as their target and its fields after the record's own
//! key-values (a key given at the call wins over a bound one).

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use log::kv::{self, Source, VisitSource};
use log::{Level, Log, Metadata, Record};

use crate::event::{Str, Value};

/// A named logger with bound context. `Clone` is two reference-count increments.
#[derive(Clone, Debug)]
pub struct Logger {
    name: Str,
    fields: Arc<[(Str, Value)]>,
}

impl Logger {
    /// A logger whose records have `name` as their target (e.g. `"app"` or
    /// `module_path!()`), with no bound fields.
    pub fn new(name: impl Into<Str>) -> Logger {
        Logger {
            name: name.into(),
            fields: Arc::from(Vec::new()),
        }
    }

    /// A new logger with `key = value` added (replacing a bound `key`); `self` is unchanged.
    pub fn bind(&self, key: impl Into<Str>, value: impl Into<Value>) -> Logger {
        // A key made at run time is interned here, once, so that every record passes it
        // on as `'static` and the capture keeps it inline instead of copying it.
        let key = match key.into() {
            Cow::Owned(key) => crate::capture::intern(&key),
            borrowed => borrowed,
        };
        let mut fields: Vec<(Str, Value)> = Vec::with_capacity(self.fields.len() + 1);
        fields.extend(self.fields.iter().filter(|(k, _)| *k != key).cloned());
        fields.push((key, value.into()));
        Logger {
            name: self.name.clone(),
            fields: Arc::from(fields),
        }
    }

    /// The logger's name (the target of its records).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The bound fields, in binding order.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.fields.iter().map(|(k, v)| (k.as_ref(), v))
    }

    /// Logs `message` at `level` with the bound fields.
    pub fn log_message(&self, level: Level, message: impl fmt::Display) {
        if level > log::max_level() {
            return;
        }
        self.log(
            &Record::builder()
                .level(level)
                .target(&self.name)
                .args(format_args!("{message}"))
                .build(),
        );
    }

    /// Logs `message` at error level.
    pub fn error(&self, message: impl fmt::Display) {
        self.log_message(Level::Error, message);
    }
    /// Logs `message` at warn level.
    pub fn warn(&self, message: impl fmt::Display) {
        self.log_message(Level::Warn, message);
    }
    /// Logs `message` at info level.
    pub fn info(&self, message: impl fmt::Display) {
        self.log_message(Level::Info, message);
    }
    /// Logs `message` at debug level.
    pub fn debug(&self, message: impl fmt::Display) {
        self.log_message(Level::Debug, message);
    }
    /// Logs `message` at trace level.
    pub fn trace(&self, message: impl fmt::Display) {
        self.log_message(Level::Trace, message);
    }
}

/// A `Logger` is a `log::Log`: use it with `log::info!(logger: my_logger, ...)` for format
/// arguments and extra key-values. It forwards to the global logger.
impl Log for Logger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        log::logger().enabled(
            &Metadata::builder()
                .level(metadata.level())
                .target(&self.name)
                .build(),
        )
    }

    fn log(&self, record: &Record<'_>) {
        let chained = Chained {
            first: record.key_values(),
            bound: &self.fields,
        };
        log::logger().log(
            &record
                .to_builder()
                .target(&self.name)
                .key_values(&chained)
                .build(),
        );
    }

    fn flush(&self) {
        log::logger().flush();
    }
}

/// The record's key-values, then the bound ones.
struct Chained<'a> {
    first: &'a dyn Source,
    bound: &'a [(Str, Value)],
}

impl Source for Chained<'_> {
    fn visit<'kvs>(&'kvs self, visitor: &mut dyn VisitSource<'kvs>) -> Result<(), kv::Error> {
        self.first.visit(visitor)?;
        for (key, value) in self.bound {
            let key = match key {
                Cow::Borrowed(key) => kv::Key::from_str_static(key),
                Cow::Owned(key) => kv::Key::from_str(key),
            };
            visitor.visit_pair(key, to_kv(value))?;
        }
        Ok(())
    }
}

fn to_kv(value: &Value) -> kv::Value<'_> {
    match value {
        Value::Null => kv::Value::null(),
        Value::Bool(v) => kv::Value::from(*v),
        Value::I64(v) => kv::Value::from(*v),
        Value::U64(v) => kv::Value::from(*v),
        Value::F64(v) => kv::Value::from(*v),
        Value::Str(v) => kv::Value::from(v.as_ref()),
        other => kv::Value::from_display(other),
    }
}

#[cfg(test)]
mod inline_tests {
    use super::*;

    #[test]
    fn bound_fields_pass_on_static_keys_and_stay_inline_in_the_record() {
        let logger = Logger::new("app")
            .bind("request_id", "r-42")
            .bind(String::from("tenant"), 7u64);
        let own: [(&str, &str); 0] = [];
        let chained = Chained {
            first: &own,
            bound: &logger.fields,
        };
        let record = Record::builder()
            .args(format_args!("m"))
            .target("app")
            .key_values(&chained)
            .build();
        let mut captured = crate::capture::capture(&record);
        assert!(
            captured.fields_inline(),
            "no allocation for the bound fields"
        );
        let event = captured.take_event(
            &mut Default::default(),
            &mut Default::default(),
            &mut Default::default(),
        );
        let fields: Vec<_> = event
            .fields
            .iter()
            .map(|(k, v)| (k.to_owned(), v.clone()))
            .collect();
        assert_eq!(
            fields,
            [
                ("request_id".to_owned(), Value::Str("r-42".into())),
                ("tenant".to_owned(), Value::U64(7)),
            ]
        );
    }
}
