//! `Event`: a record captured on the caller thread, owned, ready to cross the queue.
//!
//! Everything a processor, renderer or handler sees is an [`Event`]. Strings that are
//! `'static` at the call site (literal messages, module-path targets, keys from `log`'s
//! macros) are borrowed, not copied. Values keep their kind ([`Value`]) so the JSON
//! renderer writes numbers as numbers and errors keep their `source()` chain.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use log::Level;
use time::OffsetDateTime;

/// A string that is borrowed when it is `'static` and owned otherwise.
pub type Str = Cow<'static, str>;

/// One log record, as the dispatcher receives it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Event {
    /// When the record was captured (UTC).
    pub time: OffsetDateTime,
    /// Its level.
    pub level: Level,
    /// The `log` target (the logger name).
    pub target: Str,
    /// The formatted message.
    pub message: Str,
    /// The module path of the call site, if known.
    pub module_path: Option<Str>,
    /// The source file of the call site, if known.
    pub file: Option<Str>,
    /// The source line of the call site, if known.
    pub line: Option<u32>,
    /// The name of the calling thread, or `#N` (ko-log's own numbering) when unnamed.
    pub thread: Arc<str>,
    /// Key-values of the record, then scoped and configured context, in that order.
    pub fields: Fields,
    /// The trace the record was logged in ([`crate::with_trace`], the tracing bridge, the
    /// current OpenTelemetry span), rendered as `trace_id`, `span_id`, `trace_flags`.
    pub trace: Option<crate::trace::TraceContext>,
}

impl Event {
    /// A record with the given level, target and message, captured now on this thread,
    /// with no call site and no fields. Handy in tests of custom processors and renderers.
    pub fn new(level: Level, target: impl Into<Str>, message: impl Into<Str>) -> Event {
        Event {
            time: OffsetDateTime::now_utc(),
            level,
            target: target.into(),
            message: message.into(),
            module_path: None,
            file: None,
            line: None,
            thread: Arc::from("main"),
            fields: Fields::default(),
            trace: None,
        }
    }
}

/// The key-values of an event, in insertion order. Keys are unique: the first value
/// inserted under a key wins (see [`Fields::insert_default`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Fields(Vec<(Str, Value)>);

impl Fields {
    /// No fields.
    pub const fn new() -> Fields {
        Fields(Vec::new())
    }

    /// No fields, with room for `capacity` without reallocating.
    pub fn with_capacity(capacity: usize) -> Fields {
        Fields(Vec::with_capacity(capacity))
    }

    /// The number of fields.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no fields.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The value under `key`, if any.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// A mutable reference to the value under `key`, if any.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        self.0.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Sets `key` to `value`, replacing an existing value in place.
    pub fn insert(&mut self, key: impl Into<Str>, value: impl Into<Value>) {
        let key = key.into();
        let value = value.into();
        match self.get_mut(&key) {
            Some(slot) => *slot = value,
            None => self.0.push((key, value)),
        }
    }

    /// Adds `key` only when it is not there yet (how context joins a record: the record's
    /// own key-values win).
    pub fn insert_default(&mut self, key: impl Into<Str>, value: impl Into<Value>) {
        let key = key.into();
        if self.get(&key).is_none() {
            self.0.push((key, value.into()));
        }
    }

    /// Appends without checking for an existing key. The caller guarantees uniqueness
    /// (the capture path, which dedups itself).
    pub(crate) fn push_unchecked(&mut self, key: Str, value: Value) {
        self.0.push((key, value));
    }

    /// Empties the fields, yielding their values, and keeps the allocation (the
    /// dispatcher reuses it).
    pub(crate) fn drain_values(&mut self) -> impl Iterator<Item = Value> + '_ {
        self.0.drain(..).map(|(_, value)| value)
    }

    /// Room for fields without reallocating.
    pub(crate) fn capacity(&self) -> usize {
        self.0.capacity()
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        let index = self.0.iter().position(|(k, _)| k == key)?;
        Some(self.0.remove(index).1)
    }

    /// Keeps only the fields for which `keep` returns true.
    pub fn retain(&mut self, mut keep: impl FnMut(&str, &mut Value) -> bool) {
        self.0.retain_mut(|(k, v)| keep(k, v));
    }

    /// The fields in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0.iter().map(|(k, v)| (k.as_ref(), v))
    }

    /// The fields in order, keys as they are held (a `'static` key stays borrowed when
    /// copied: the OTLP handler's record).
    pub(crate) fn entries(&self) -> &[(Str, Value)] {
        &self.0
    }

    /// The fields in order, values mutable.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&str, &mut Value)> {
        self.0.iter_mut().map(|(k, v)| (&**k, v))
    }
}

/// A field value that keeps its kind.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Value {
    /// No value (`log`'s `null`, `Option::None`).
    Null,
    /// A boolean.
    Bool(bool),
    /// A signed integer.
    I64(i64),
    /// An unsigned integer too large for `i64`… or any `u64`.
    U64(u64),
    /// A float.
    F64(f64),
    /// Text (also how `Display`/`Debug` values and 128-bit integers are captured).
    Str(Str),
    /// An error with its `source()` chain.
    Error(Box<ErrorValue>),
    /// A list (for example an error chain after `dict_tracebacks`).
    List(Vec<Value>),
}

/// An error captured from a `log` key-value (`log::error!(err:err; "...")`).
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorValue {
    /// The error's own `Display`.
    pub message: String,
    /// The `Display` of each error in its `source()` chain, outermost first.
    pub sources: Vec<String>,
}

impl ErrorValue {
    /// Captures `error` and its source chain.
    pub fn capture(error: &(dyn std::error::Error + 'static)) -> ErrorValue {
        let mut sources = Vec::new();
        let mut next = error.source();
        while let Some(source) = next {
            sources.push(source.to_string());
            next = source.source();
        }
        ErrorValue {
            message: error.to_string(),
            sources,
        }
    }
}

impl fmt::Display for Value {
    /// Text form used by the plain and colored renderers (before escaping).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(v) => fmt::Display::fmt(v, f),
            Value::I64(v) => fmt::Display::fmt(v, f),
            Value::U64(v) => fmt::Display::fmt(v, f),
            Value::F64(v) => fmt::Display::fmt(v, f),
            Value::Str(v) => f.write_str(v),
            Value::Error(e) => {
                f.write_str(&e.message)?;
                for source in &e.sources {
                    write!(f, ": {source}")?;
                }
                Ok(())
            }
            Value::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    fmt::Display::fmt(item, f)?;
                }
                f.write_str("]")
            }
        }
    }
}

macro_rules! value_from {
    ($($t:ty => $variant:ident as $as:ty),* $(,)?) => {
        $(impl From<$t> for Value {
            fn from(v: $t) -> Value {
                Value::$variant(v as $as)
            }
        })*
    };
}
value_from!(
    bool => Bool as bool,
    i8 => I64 as i64, i16 => I64 as i64, i32 => I64 as i64, i64 => I64 as i64,
    u8 => U64 as u64, u16 => U64 as u64, u32 => U64 as u64, u64 => U64 as u64,
    usize => U64 as u64, isize => I64 as i64,
    f32 => F64 as f64, f64 => F64 as f64,
);

impl From<&'static str> for Value {
    fn from(v: &'static str) -> Value {
        Value::Str(Cow::Borrowed(v))
    }
}

impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Str(Cow::Owned(v))
    }
}

impl From<Str> for Value {
    fn from(v: Str) -> Value {
        Value::Str(v)
    }
}

impl From<ko_log_config::Value> for Value {
    fn from(v: ko_log_config::Value) -> Value {
        match v {
            ko_log_config::Value::Bool(b) => Value::Bool(b),
            ko_log_config::Value::Int(i) => Value::I64(i),
            ko_log_config::Value::Float(f) => Value::F64(f),
            ko_log_config::Value::String(s) => Value::Str(Cow::Owned(s)),
            _ => Value::Null,
        }
    }
}
