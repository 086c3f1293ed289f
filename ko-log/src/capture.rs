//! Capture: turning a borrowed `log::Record` into an owned [`Event`] on the caller thread.
//!
//! This is the only work ko-log does on the caller's thread besides the queue push: read
//! the clock, take the message (borrowed when it is a literal), copy the key-values into
//! owned [`Value`]s of the same kind, and name the thread. It never locks, never does I/O
//! and never panics: a `Display` impl that panics while the message or a value is being
//! formatted is caught and replaced by a placeholder text.

use std::borrow::Cow;
use std::fmt::{self, Write as _};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use log::kv::{self, VisitSource, VisitValue};
use time::OffsetDateTime;

use crate::event::{ErrorValue, Event, Fields, Str, Value};

/// Captures `record` as an owned event.
pub(crate) fn capture(record: &log::Record<'_>) -> Event {
    let mut fields = Fields::new();
    let _ = record.key_values().visit(&mut FieldCollector(&mut fields));
    Event {
        time: OffsetDateTime::now_utc(),
        level: record.level(),
        target: target(record),
        message: message(record.args()),
        module_path: record
            .module_path_static()
            .map(Cow::Borrowed)
            .or_else(|| record.module_path().map(|m| Cow::Owned(m.to_owned()))),
        file: record
            .file_static()
            .map(Cow::Borrowed)
            .or_else(|| record.file().map(|f| Cow::Owned(f.to_owned()))),
        line: record.line(),
        thread: thread_name(),
        fields,
    }
}

/// The target, borrowed when it is the call site's (static) module path — the default
/// target of every `log` macro — and copied otherwise.
fn target(record: &log::Record<'_>) -> Str {
    let target = record.target();
    match record.module_path_static() {
        Some(module) if std::ptr::eq(module, target) => Cow::Borrowed(module),
        _ => Cow::Owned(target.to_owned()),
    }
}

/// The message: borrowed when the format string has no arguments, formatted otherwise.
pub(crate) fn message(args: &fmt::Arguments<'_>) -> Str {
    match args.as_str() {
        Some(literal) => Cow::Borrowed(literal),
        None => Cow::Owned(format_args_caught(args)),
    }
}

/// Formats a message into a buffer sized up front (no `realloc` for a typical message),
/// writing `args` directly rather than through an extra `Display` layer.
fn format_args_caught(args: &fmt::Arguments<'_>) -> String {
    catch_unwind(AssertUnwindSafe(|| {
        let mut out = String::with_capacity(128);
        match out.write_fmt(*args) {
            Ok(()) => out,
            Err(_) => "<formatting error>".to_owned(),
        }
    }))
    .unwrap_or_else(|_| "<panicked while formatting>".to_owned())
}

/// Formats `value`, turning a panic in its `Display` into a placeholder.
fn format_caught(value: &dyn fmt::Display) -> String {
    catch_unwind(AssertUnwindSafe(|| {
        let mut out = String::new();
        match write!(out, "{value}") {
            Ok(()) => out,
            Err(_) => "<formatting error>".to_owned(),
        }
    }))
    .unwrap_or_else(|_| "<panicked while formatting>".to_owned())
}

/// The current thread's name, or `#N` in ko-log's own numbering, cached per thread.
fn thread_name() -> Arc<str> {
    thread_local! {
        static NAME: Arc<str> = {
            static NEXT: AtomicU64 = AtomicU64::new(1);
            match std::thread::current().name() {
                Some(name) => Arc::from(name),
                None => Arc::from(format!("#{}", NEXT.fetch_add(1, Ordering::Relaxed))),
            }
        };
    }
    NAME.try_with(Arc::clone)
        .unwrap_or_else(|_| Arc::from("<exiting>"))
}

/// Copies key-values into [`Fields`]; the first value of a repeated key wins.
struct FieldCollector<'a>(&'a mut Fields);

impl<'kvs> VisitSource<'kvs> for FieldCollector<'_> {
    fn visit_pair(&mut self, key: kv::Key<'kvs>, value: kv::Value<'kvs>) -> Result<(), kv::Error> {
        if self.0.get(key.as_str()).is_none() {
            let key = match key.to_static_str() {
                Some(key) => Cow::Borrowed(key),
                None => Cow::Owned(key.as_str().to_owned()),
            };
            self.0.push_unchecked(key, capture_value(&value));
        }
        Ok(())
    }
}

/// Copies one `log` value, keeping its kind.
pub(crate) fn capture_value(value: &kv::Value<'_>) -> Value {
    let mut slot = ValueSlot(None);
    let _ = value.visit(&mut slot);
    slot.0
        .unwrap_or_else(|| Value::Str(Cow::Owned(format_caught(value))))
}

struct ValueSlot(Option<Value>);

impl<'v> VisitValue<'v> for ValueSlot {
    fn visit_any(&mut self, value: kv::Value<'_>) -> Result<(), kv::Error> {
        self.0 = Some(Value::Str(Cow::Owned(format_caught(&value))));
        Ok(())
    }
    fn visit_null(&mut self) -> Result<(), kv::Error> {
        self.0 = Some(Value::Null);
        Ok(())
    }
    fn visit_u64(&mut self, value: u64) -> Result<(), kv::Error> {
        self.0 = Some(Value::U64(value));
        Ok(())
    }
    fn visit_i64(&mut self, value: i64) -> Result<(), kv::Error> {
        self.0 = Some(Value::I64(value));
        Ok(())
    }
    fn visit_u128(&mut self, value: u128) -> Result<(), kv::Error> {
        self.0 = Some(match u64::try_from(value) {
            Ok(v) => Value::U64(v),
            Err(_) => Value::Str(Cow::Owned(value.to_string())),
        });
        Ok(())
    }
    fn visit_i128(&mut self, value: i128) -> Result<(), kv::Error> {
        self.0 = Some(match i64::try_from(value) {
            Ok(v) => Value::I64(v),
            Err(_) => Value::Str(Cow::Owned(value.to_string())),
        });
        Ok(())
    }
    fn visit_f64(&mut self, value: f64) -> Result<(), kv::Error> {
        self.0 = Some(Value::F64(value));
        Ok(())
    }
    fn visit_bool(&mut self, value: bool) -> Result<(), kv::Error> {
        self.0 = Some(Value::Bool(value));
        Ok(())
    }
    fn visit_str(&mut self, value: &str) -> Result<(), kv::Error> {
        self.0 = Some(Value::Str(Cow::Owned(value.to_owned())));
        Ok(())
    }
    fn visit_char(&mut self, value: char) -> Result<(), kv::Error> {
        self.0 = Some(Value::Str(Cow::Owned(value.to_string())));
        Ok(())
    }
    fn visit_borrowed_error(
        &mut self,
        err: &'v (dyn std::error::Error + 'static),
    ) -> Result<(), kv::Error> {
        self.visit_error(err)
    }
    fn visit_error(&mut self, err: &(dyn std::error::Error + 'static)) -> Result<(), kv::Error> {
        let captured =
            catch_unwind(AssertUnwindSafe(|| ErrorValue::capture(err))).unwrap_or_else(|_| {
                ErrorValue {
                    message: "<panicked while formatting>".to_owned(),
                    sources: Vec::new(),
                }
            });
        self.0 = Some(Value::Error(Box::new(captured)));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Outer(Inner);
    #[derive(Debug)]
    struct Inner;
    impl fmt::Display for Outer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("connect failed")
        }
    }
    impl fmt::Display for Inner {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("connection refused")
        }
    }
    impl std::error::Error for Outer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }
    impl std::error::Error for Inner {}

    struct Panics;
    impl fmt::Display for Panics {
        fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
            panic!("boom")
        }
    }

    #[test]
    fn values_keep_their_kind() {
        let err = Outer(Inner);
        let cases: Vec<(kv::Value<'_>, Value)> = vec![
            (kv::Value::from(-3i32), Value::I64(-3)),
            (kv::Value::from(7u8), Value::U64(7)),
            (kv::Value::from(1.5f64), Value::F64(1.5)),
            (kv::Value::from(true), Value::Bool(true)),
            (kv::Value::from("a b"), Value::Str("a b".into())),
            (kv::Value::from('x'), Value::Str("x".into())),
            (kv::Value::from_display(&42), Value::Str("42".into())),
            (kv::Value::null(), Value::Null),
            (
                kv::Value::from_dyn_error(&err),
                Value::Error(Box::new(ErrorValue {
                    message: "connect failed".into(),
                    sources: vec!["connection refused".into()],
                })),
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(capture_value(&input), expected);
        }
    }

    #[test]
    fn a_panicking_display_becomes_a_placeholder() {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let value = capture_value(&kv::Value::from_display(&Panics));
        let msg = message(&format_args!("x {}", Panics));
        std::panic::set_hook(prev);
        assert_eq!(value, Value::Str("<panicked while formatting>".into()));
        assert_eq!(msg, "<panicked while formatting>");
    }

    #[test]
    fn literal_messages_are_borrowed() {
        assert!(matches!(
            message(&format_args!("literal")),
            Cow::Borrowed("literal")
        ));
        let n = std::hint::black_box(1);
        assert!(matches!(message(&format_args!("n={n}")), Cow::Owned(s) if s == "n=1"));
    }
}
