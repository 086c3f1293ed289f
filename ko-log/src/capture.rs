//! Capture: turning a borrowed `log::Record` into an owned record on the caller thread.
//!
//! This is the only work ko-log does on the caller's thread besides the queue push: read
//! the clock, take the message, copy the key-values into owned [`Value`]s of the same
//! kind, and note the thread. It never locks (but once per thread, to register its name),
//! never does I/O and never panics: a `Display` impl that panics while the message or a
//! value is being formatted is caught and replaced by a placeholder text.
//!
//! What crosses the queue is a [`Captured`] record, not yet an [`Event`]: a literal
//! message is borrowed, a short formatted one is stored inline, and the thread is a
//! number. The dispatcher turns it into an `Event` on its own thread, so the memory of a
//! typical record is allocated and freed by one thread. (Freeing on the dispatcher what a
//! caller allocated makes the two threads fight over the caller's malloc arena: measured,
//! that was the largest single cost of the pipeline.)

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use log::kv::{self, VisitSource, VisitValue};
use log::Level;
use std::time::{Duration, SystemTime};

use time::OffsetDateTime;

use crate::event::{ErrorValue, Event, Fields, Str, Value};

/// A record captured on the caller thread, on its way to the dispatcher.
#[derive(Debug)]
pub(crate) struct Captured {
    /// The clock as read; turned into a calendar date on the dispatcher.
    time: SystemTime,
    level: Level,
    target: Str,
    module_path: Option<Str>,
    file: Option<Str>,
    line: Option<u32>,
    thread: u64,
    message: Text,
    fields: Fields,
}

impl Captured {
    /// The record's level.
    pub fn level(&self) -> Level {
        self.level
    }

    /// The event the dispatcher works on; thread names are resolved through `threads`,
    /// and an inline message is copied into `spare` when given (a reused buffer).
    pub fn into_event(self, threads: &mut ThreadNames, spare: Option<String>) -> Event {
        Event {
            time: threads.date(self.time),
            level: self.level,
            target: self.target,
            message: self.message.into_str(spare),
            module_path: self.module_path,
            file: self.file,
            line: self.line,
            thread: threads.name(self.thread),
            fields: self.fields,
        }
    }
}

/// A record that does not come from a `log::Record` (the tracing bridge), captured now
/// on this thread: the same clock, thread numbering and message storage as [`capture`].
#[cfg(feature = "tracing")]
pub(crate) fn capture_parts(
    level: Level,
    target: Str,
    module_path: Option<Str>,
    file: Option<Str>,
    line: Option<u32>,
    message: Text,
    fields: Fields,
) -> Captured {
    Captured {
        time: SystemTime::now(),
        level,
        target,
        module_path,
        file,
        line,
        thread: thread_key(),
        message,
        fields,
    }
}

/// Captures `record`.
pub(crate) fn capture(record: &log::Record<'_>) -> Captured {
    // Sized exactly: a record's fields sit in the queue until written.
    let key_values = record.key_values();
    let mut fields = Fields::with_capacity(key_values.count());
    let _ = key_values.visit(&mut FieldCollector(&mut fields));
    Captured {
        time: SystemTime::now(),
        level: record.level(),
        target: target(record),
        message: Text::of(record.args()),
        module_path: record
            .module_path_static()
            .map(Cow::Borrowed)
            .or_else(|| record.module_path().map(|m| Cow::Owned(m.to_owned()))),
        file: record
            .file_static()
            .map(Cow::Borrowed)
            .or_else(|| record.file().map(|f| Cow::Owned(f.to_owned()))),
        line: record.line(),
        thread: thread_key(),
        fields,
    }
}

/// Bytes of a formatted message stored inside the queued record.
const INLINE: usize = 86;

/// A message as it crosses the queue.
#[derive(Debug)]
pub(crate) enum Text {
    /// A literal (`Arguments::as_str`).
    Static(&'static str),
    /// A formatted message of at most [`INLINE`] bytes.
    Inline { len: u8, bytes: [u8; INLINE] },
    /// A longer formatted message.
    Heap(String),
}

impl Text {
    /// Stores `args`: borrowed when a literal, otherwise formatted (a panic caught).
    pub(crate) fn of(args: &fmt::Arguments<'_>) -> Text {
        if let Some(literal) = args.as_str() {
            return Text::Static(literal);
        }
        let formatted = crate::panic::catch(|| {
            let mut text = Text::Inline {
                len: 0,
                bytes: [0; INLINE],
            };
            match text.write_fmt(*args) {
                Ok(()) => text,
                Err(_) => Text::Static("<formatting error>"),
            }
        });
        formatted.unwrap_or_else(|_| {
            crate::panic::count_format_panic();
            Text::Static("<panicked while formatting>")
        })
    }

    fn into_str(self, spare: Option<String>) -> Str {
        match self {
            Text::Static(text) => Cow::Borrowed(text),
            Text::Inline { len, bytes } => {
                let bytes = bytes.get(..usize::from(len)).unwrap_or_default();
                // Always valid: written from whole `&str`s.
                let text = std::str::from_utf8(bytes).unwrap_or_default();
                let mut owned = spare.unwrap_or_else(|| String::with_capacity(INLINE));
                owned.push_str(text);
                Cow::Owned(owned)
            }
            Text::Heap(text) => Cow::Owned(text),
        }
    }
}

impl fmt::Write for Text {
    /// Appends inline while it fits, then moves everything to the heap.
    fn write_str(&mut self, s: &str) -> fmt::Result {
        match self {
            Text::Heap(text) => text.push_str(s),
            Text::Inline { len, bytes } => {
                let start = usize::from(*len);
                match bytes.get_mut(start..start + s.len()) {
                    Some(slot) => {
                        slot.copy_from_slice(s.as_bytes());
                        *len = (start + s.len()) as u8;
                    }
                    None => {
                        let done = std::str::from_utf8(bytes.get(..start).unwrap_or_default())
                            .unwrap_or_default();
                        let mut text = String::with_capacity(start + s.len());
                        text.push_str(done);
                        text.push_str(s);
                        *self = Text::Heap(text);
                    }
                }
            }
            Text::Static(_) => return Err(fmt::Error),
        }
        Ok(())
    }
}

/// Names of the threads that logged, by ko-log's number for them. A thread registers
/// its name the first time it logs and removes it when it exits.
fn registry() -> &'static Mutex<HashMap<u64, Arc<str>>> {
    static REGISTRY: OnceLock<Mutex<HashMap<u64, Arc<str>>>> = OnceLock::new();
    REGISTRY.get_or_init(Default::default)
}

/// The current thread's number, registering its name on first use.
fn thread_key() -> u64 {
    struct Registered(u64);
    impl Drop for Registered {
        fn drop(&mut self) {
            if let Ok(mut names) = registry().lock() {
                names.remove(&self.0);
            }
        }
    }
    thread_local! {
        static KEY: Registered = {
            static NEXT: AtomicU64 = AtomicU64::new(1);
            let key = NEXT.fetch_add(1, Ordering::Relaxed);
            let name: Arc<str> = match std::thread::current().name() {
                Some(name) => Arc::from(name),
                None => Arc::from(format!("#{key}")),
            };
            if let Ok(mut names) = registry().lock() {
                names.insert(key, name);
            }
            Registered(key)
        };
    }
    KEY.try_with(|key| key.0).unwrap_or(0)
}

/// The dispatcher's caches for turning captured records into events: thread names (so
/// it never locks the registry per record) and the calendar date of the current second.
#[derive(Debug, Default)]
pub(crate) struct ThreadNames {
    /// The last thread seen: most records come in runs from one thread.
    last: Option<(u64, Arc<str>)>,
    cache: HashMap<u64, Arc<str>>,
    /// The second last converted to a date, and that date.
    second: Option<(u64, OffsetDateTime)>,
}

impl ThreadNames {
    /// Threads remembered at most; the cache is emptied beyond (threads come and go).
    const LIMIT: usize = 4096;

    fn name(&mut self, key: u64) -> Arc<str> {
        if let Some((last, name)) = &self.last {
            if *last == key {
                return Arc::clone(name);
            }
        }
        let name = self.lookup(key);
        self.last = Some((key, Arc::clone(&name)));
        name
    }

    /// `time` as a date, computing the calendar once per second.
    fn date(&mut self, time: SystemTime) -> OffsetDateTime {
        let Ok(since_epoch) = time.duration_since(SystemTime::UNIX_EPOCH) else {
            return OffsetDateTime::from(time);
        };
        let second = since_epoch.as_secs();
        let date = match self.second {
            Some((cached, date)) if cached == second => date,
            _ => {
                let date =
                    OffsetDateTime::from(SystemTime::UNIX_EPOCH + Duration::from_secs(second));
                self.second = Some((second, date));
                date
            }
        };
        date.replace_nanosecond(since_epoch.subsec_nanos())
            .unwrap_or(date)
    }

    fn lookup(&mut self, key: u64) -> Arc<str> {
        if let Some(name) = self.cache.get(&key) {
            return Arc::clone(name);
        }
        let name = registry()
            .lock()
            .ok()
            .and_then(|names| names.get(&key).cloned())
            .unwrap_or_else(|| Arc::from(format!("#{key}")));
        if self.cache.len() >= Self::LIMIT {
            self.cache.clear();
        }
        self.cache.insert(key, Arc::clone(&name));
        name
    }
}

/// The target, borrowed when it is the call site's (static) module path — the default
/// target of every `log` macro — and otherwise interned (see [`intern_target`]).
fn target(record: &log::Record<'_>) -> Str {
    let target = record.target();
    match record.module_path_static() {
        Some(module) if std::ptr::eq(module, target) => Cow::Borrowed(module),
        _ => intern_target(target),
    }
}

/// Distinct targets kept for the life of the process; beyond, targets are copied per
/// record (a program that makes up targets at run time does not grow memory forever).
const INTERNED_TARGETS: usize = 4096;

/// An explicit target (`log::info!(target: "audit", ..)`) as a `'static` string.
///
/// `log` hands targets over as borrowed strings even when they are literals, and copying
/// one per record means a `malloc` on the caller and a `free` on the dispatcher. Targets
/// are few and live as long as the code naming them, so each distinct one is copied once
/// into a process-wide set and found again through a small per-thread cache keyed by the
/// string's address (and checked by content, so a reused address is never trusted).
fn intern_target(target: &str) -> Str {
    const SLOTS: usize = 64;
    thread_local! {
        static RECENT: [std::cell::Cell<(usize, &'static str)>; SLOTS] =
            const { [const { std::cell::Cell::new((0, "")) }; SLOTS] };
    }
    let address = target.as_ptr() as usize;
    let slot = (address >> 3) % SLOTS;
    let cached = RECENT
        .try_with(|recent| recent.get(slot).map(std::cell::Cell::get))
        .ok()
        .flatten()
        .filter(|(cached, text)| *cached == address && *text == target);
    if let Some((_, text)) = cached {
        return Cow::Borrowed(text);
    }
    static SET: OnceLock<Mutex<std::collections::HashSet<&'static str>>> = OnceLock::new();
    let interned = SET
        .get_or_init(Default::default)
        .lock()
        .ok()
        .and_then(|mut set| {
            if let Some(text) = set.get(target) {
                return Some(*text);
            }
            if set.len() >= INTERNED_TARGETS {
                return None;
            }
            let text: &'static str = Box::leak(target.to_owned().into_boxed_str());
            set.insert(text);
            Some(text)
        });
    match interned {
        Some(text) => {
            let _ = RECENT.try_with(|recent| {
                if let Some(entry) = recent.get(slot) {
                    entry.set((address, text));
                }
            });
            Cow::Borrowed(text)
        }
        None => Cow::Owned(target.to_owned()),
    }
}

/// Formats `value`, turning a panic in its `Display` into a placeholder.
fn format_caught(value: &dyn fmt::Display) -> String {
    crate::panic::catch(|| {
        let mut out = String::new();
        match write!(out, "{value}") {
            Ok(()) => out,
            Err(_) => "<formatting error>".to_owned(),
        }
    })
    .unwrap_or_else(|_| {
        crate::panic::count_format_panic();
        "<panicked while formatting>".to_owned()
    })
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
        let captured = crate::panic::catch(|| ErrorValue::capture(err)).unwrap_or_else(|_| {
            crate::panic::count_format_panic();
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
        crate::panic::install_hook(); // quiet for caught panics; never swapped in tests
        let value = capture_value(&kv::Value::from_display(&Panics));
        let msg = Text::of(&format_args!("x {}", Panics)).into_str(None);
        assert_eq!(value, Value::Str("<panicked while formatting>".into()));
        assert_eq!(msg, "<panicked while formatting>");
    }

    #[test]
    fn literal_messages_are_borrowed_short_ones_inline_long_ones_spill() {
        assert!(matches!(
            Text::of(&format_args!("literal")),
            Text::Static("literal")
        ));
        let n = std::hint::black_box(1);
        let short = Text::of(&format_args!("n={n}"));
        assert!(matches!(short, Text::Inline { len: 3, .. }));
        assert_eq!(short.into_str(Some(String::with_capacity(8))), "n=1");
        let long = "é".repeat(100);
        let spilled = Text::of(&format_args!("{long} n={n}"));
        assert!(matches!(spilled, Text::Heap(_)));
        assert_eq!(spilled.into_str(None), format!("{long} n=1"));
        let exact = "x".repeat(INLINE - 2);
        assert_eq!(
            Text::of(&format_args!("{exact}{n}{n}")).into_str(None),
            format!("{exact}11")
        );
    }

    #[test]
    fn explicit_targets_are_interned_and_checked_by_content() {
        let first = intern_target("audit::trail");
        assert!(matches!(first, Cow::Borrowed("audit::trail")));
        // Same text elsewhere: the same interned string.
        let owned = String::from("audit::trail");
        assert!(matches!(intern_target(&owned), Cow::Borrowed(t) if t.as_ptr() == first.as_ptr()));
        // One buffer reused for other text at the same address is never mistaken.
        let mut buffer = String::with_capacity(32);
        buffer.push_str("alpha");
        assert_eq!(intern_target(&buffer), "alpha");
        buffer.clear();
        buffer.push_str("omega");
        assert_eq!(intern_target(&buffer), "omega");
    }
}
