//! Capture: turning a borrowed `log::Record` into an owned record on the caller thread.
//!
//! This is the only work ko-log does on the caller's thread besides the queue push: read
//! the clock, take the message, copy the key-values into owned [`Value`]s of the same
//! kind, and note the thread. It locks only to register a thread's name on its first
//! record and to find a call site its thread's 64-slot cache does not hold (a short,
//! uncontended lookup in the process's set of call sites: [`Site::interned`]); it never
//! does I/O and never panics: a `Display` impl that panics while the message or a
//! value is being formatted is caught and replaced by a placeholder text.
//!
//! What crosses the queue is a [`Captured`] record, not yet an [`Event`](crate::event::Event):
//! a literal message is borrowed, a short formatted one is stored inline, the call site is
//! one interned pointer, and the thread is a number. The dispatcher turns it into an
//! `Event` on its own thread (`dispatch/record.rs`: this file is only the caller's side
//! and the record's layout), so the memory of a
//! typical record is allocated and freed by one thread. (Freeing on the dispatcher what a
//! caller allocated makes the two threads fight over the caller's malloc arena: measured,
//! that was the largest single cost of the pipeline.)

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use log::kv::{self, VisitSource, VisitValue};
use log::Level;

use crate::clock;
use crate::event::{ErrorValue, Fields, Str, Value};

/// A record captured on the caller thread, on its way to the dispatcher.
///
/// Kept small (it is moved through the queue by value; `Msg` stays within 208 bytes): the
/// clock as nanoseconds, the level and thread as small numbers, and one inline byte
/// buffer ([`Text`]) holding the formatted message and the text of short key-values.
#[derive(Debug)]
pub(crate) struct Captured {
    /// The clock as read ([`clock::ticks`]); turned into a calendar date on the
    /// dispatcher ([`clock::Timeline`]).
    pub(crate) time: u64,
    pub(crate) level: u8,
    /// ko-log's number for the thread ([`thread_key`]).
    pub(crate) thread: u32,
    pub(crate) origin: Origin,
    pub(crate) message: Text,
    pub(crate) fields: Kv,
}

/// Where a record comes from: the target, module path, file and line of its call site,
/// interned once per call site ([`Site::interned`]) so that a record carries one pointer.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct Site {
    target: &'static str,
    module_path: Option<&'static str>,
    file: Option<&'static str>,
    line: Option<u32>,
}

/// A record's call site: interned, or, when a part of it is not `'static` (a record built
/// at run time) or the set of call sites is full, owned by the record.
#[derive(Debug)]
pub(crate) enum Origin {
    Site(&'static Site),
    Owned(Box<OwnedSite>),
}

/// A call site that could not be interned.
#[derive(Debug)]
pub(crate) struct OwnedSite {
    target: Str,
    module_path: Option<Str>,
    file: Option<Str>,
    line: Option<u32>,
}

/// Distinct call sites kept for the life of the process; beyond, records carry their
/// call site themselves (a program that makes up targets at run time does not grow
/// memory forever).
const INTERNED_SITES: usize = 4096;

impl Site {
    /// The interned call site with these parts, found through a small per-thread cache
    /// keyed by the parts' addresses and line (and checked by content: a reused address is
    /// never trusted), else through the process-wide set; `None` when the set is full.
    pub(crate) fn interned(
        target: &str,
        module_path: Option<&'static str>,
        file: Option<&'static str>,
        line: Option<u32>,
    ) -> Option<&'static Site> {
        const SLOTS: usize = 64;
        thread_local! {
            static RECENT: [std::cell::Cell<Option<&'static Site>>; SLOTS] =
                const { [const { std::cell::Cell::new(None) }; SLOTS] };
        }
        let address = |text: Option<&str>| text.map_or(0, |text| text.as_ptr() as usize);
        let slot = ((address(file) ^ address(Some(target))) >> 3)
            .wrapping_add(line.unwrap_or(0) as usize)
            % SLOTS;
        let cached = RECENT
            .try_with(|recent| recent.get(slot).and_then(std::cell::Cell::get))
            .ok()
            .flatten()
            .filter(|site| site.is(target, module_path, file, line));
        if cached.is_some() {
            return cached;
        }
        let target = match module_path {
            Some(module) if std::ptr::eq(module, target) => module,
            _ => match intern(target) {
                Cow::Borrowed(target) => target,
                Cow::Owned(_) => return None,
            },
        };
        let site = Site {
            target,
            module_path,
            file,
            line,
        };
        static SET: OnceLock<Mutex<std::collections::HashSet<&'static Site>>> = OnceLock::new();
        let interned = SET
            .get_or_init(Default::default)
            .lock()
            .ok()
            .and_then(|mut set| {
                if let Some(site) = set.get(&site) {
                    return Some(*site);
                }
                if set.len() >= INTERNED_SITES {
                    return None;
                }
                let site: &'static Site = Box::leak(Box::new(site));
                set.insert(site);
                Some(site)
            })?;
        let _ = RECENT.try_with(|recent| {
            if let Some(entry) = recent.get(slot) {
                entry.set(Some(interned));
            }
        });
        Some(interned)
    }

    /// Whether this is the call site with these parts (the same address or the same text).
    #[inline]
    fn is(
        &self,
        target: &str,
        module_path: Option<&'static str>,
        file: Option<&'static str>,
        line: Option<u32>,
    ) -> bool {
        self.line == line
            && same(Some(self.target), Some(target))
            && same(self.file, file)
            && same(self.module_path, module_path)
    }
}

/// Whether two parts of a call site are the same: the same address, or the same text.
#[inline]
fn same(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => std::ptr::eq(a, b) || a == b,
        (a, b) => a.is_none() && b.is_none(),
    }
}

impl Origin {
    /// The call site of `record`: interned when its module path and file are `'static`.
    #[inline]
    fn of_record(record: &log::Record<'_>) -> Origin {
        let (module_path, file) = (record.module_path_static(), record.file_static());
        if module_path.is_some() == record.module_path().is_some()
            && file.is_some() == record.file().is_some()
        {
            if let Some(site) = Site::interned(record.target(), module_path, file, record.line()) {
                return Origin::Site(site);
            }
        }
        Origin::owned(
            record.target(),
            module_path
                .map(Cow::Borrowed)
                .or_else(|| record.module_path().map(|m| Cow::Owned(m.to_owned()))),
            file.map(Cow::Borrowed)
                .or_else(|| record.file().map(|f| Cow::Owned(f.to_owned()))),
            record.line(),
        )
    }

    /// The call site of a record made from parts (the tracing bridge): interned when its
    /// module path and file are `'static`.
    #[cfg(feature = "tracing")]
    fn of(target: &str, module_path: Option<Str>, file: Option<Str>, line: Option<u32>) -> Origin {
        let as_static = |text: &Option<Str>| match text {
            None => Some(None),
            Some(Cow::Borrowed(text)) => Some(Some(*text)),
            Some(Cow::Owned(_)) => None,
        };
        if let (Some(module), Some(file)) = (as_static(&module_path), as_static(&file)) {
            if let Some(site) = Site::interned(target, module, file, line) {
                return Origin::Site(site);
            }
        }
        Origin::owned(target, module_path, file, line)
    }

    /// A call site kept by the record itself.
    fn owned(
        target: &str,
        module_path: Option<Str>,
        file: Option<Str>,
        line: Option<u32>,
    ) -> Origin {
        let target = match &module_path {
            Some(Cow::Borrowed(module)) if std::ptr::eq(*module, target) => Cow::Borrowed(*module),
            _ => intern(target),
        };
        Origin::Owned(Box::new(OwnedSite {
            target,
            module_path,
            file,
            line,
        }))
    }

    /// The target, module path, file and line, as the event has them (what was owned is
    /// taken).
    pub(crate) fn take_parts(&mut self) -> (Str, Option<Str>, Option<Str>, Option<u32>) {
        match self {
            Origin::Site(site) => (
                Cow::Borrowed(site.target),
                site.module_path.map(Cow::Borrowed),
                site.file.map(Cow::Borrowed),
                site.line,
            ),
            Origin::Owned(site) => (
                std::mem::take(&mut site.target),
                site.module_path.take(),
                site.file.take(),
                site.line,
            ),
        }
    }
}

impl Captured {
    /// When it was logged, in [`clock::ticks`] (the dispatcher merges the lanes by it).
    pub fn time(&self) -> u64 {
        self.time
    }

    /// The record's level.
    pub fn level(&self) -> Level {
        level_of(self.level)
    }

    /// ko-log's number for the thread that logged it (0: unknown).
    pub fn thread(&self) -> u64 {
        u64::from(self.thread)
    }

    /// Whether the key-values are kept inline (nothing allocated for them).
    #[cfg(test)]
    pub fn fields_inline(&self) -> bool {
        matches!(self.fields, Kv::Inline { .. })
    }
}

/// `level` from its number (`Level as usize`, 1 = error … 5 = trace).
pub(crate) fn level_of(level: u8) -> Level {
    match level {
        1 => Level::Error,
        2 => Level::Warn,
        3 => Level::Info,
        4 => Level::Debug,
        _ => Level::Trace,
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
        time: clock::ticks(),
        level: level as usize as u8,
        origin: Origin::of(&target, module_path, file, line),
        thread: thread_key(),
        message,
        fields: Kv::Heap(fields),
    }
}

/// Captures `record`.
pub(crate) fn capture(record: &log::Record<'_>) -> Captured {
    capture_with(record, Text::of(record.args()), None, true)
}

/// Captures `record` with its message already taken as `message` (ko-log's own macros
/// encode it: [`crate::deferred`]) and, when the caller knows it, its interned `site`;
/// its key-values are read only when it `may_have_fields` (ko-log's macros know).
#[inline]
pub(crate) fn capture_with(
    record: &log::Record<'_>,
    mut message: Text,
    site: Option<&'static Site>,
    may_have_fields: bool,
) -> Captured {
    let mut fields = Kv::EMPTY;
    if may_have_fields {
        let key_values = record.key_values();
        let _ = key_values.visit(&mut FieldCollector {
            fields: &mut fields,
            text: &mut message,
            all: key_values,
        });
    }
    Captured {
        time: clock::ticks(),
        level: record.level() as usize as u8,
        origin: site.map_or_else(|| Origin::of_record(record), Origin::Site),
        message,
        thread: thread_key(),
        fields,
    }
}

/// Key-values kept inside the queued record at most.
const INLINE_FIELDS: usize = 2;

/// A record's key-values as they cross the queue: up to [`INLINE_FIELDS`] with `'static`
/// keys and scalar or short text values are kept inline (the text in the record's
/// [`Text`] buffer, after the message), so that the common record allocates nothing on
/// the caller's thread; any other set goes to the heap as [`Fields`], sized to the record's count.
#[derive(Debug)]
pub(crate) enum Kv {
    Inline {
        len: u8,
        items: [(&'static str, Scalar); INLINE_FIELDS],
    },
    Heap(Fields),
}

impl Kv {
    const EMPTY: Kv = Kv::Inline {
        len: 0,
        items: [("", Scalar::Null); INLINE_FIELDS],
    };

    /// Adds a field on the heap, moving the inline ones there first, into room for
    /// `all` fields (the record's count: they wait in the queue, so sized exactly).
    fn push_heap(&mut self, text: &Text, key: Str, value: Value, all: impl FnOnce() -> usize) {
        match self {
            Kv::Heap(fields) => fields.push_unchecked(key, value),
            Kv::Inline { len, items } => {
                let items = items.get(..usize::from(*len)).unwrap_or_default();
                let mut fields = Fields::with_capacity(all().max(items.len() + 1));
                for (key, scalar) in items {
                    fields.push_unchecked(Cow::Borrowed(*key), scalar.value(text));
                }
                fields.push_unchecked(key, value);
                *self = Kv::Heap(fields);
            }
        }
    }

    /// Whether `key` is there.
    fn contains(&self, key: &str) -> bool {
        match self {
            Kv::Inline { len, items } => items
                .get(..usize::from(*len))
                .is_some_and(|items| items.iter().any(|(k, _)| *k == key)),
            Kv::Heap(fields) => fields.get(key).is_some(),
        }
    }
}

/// A value kept inline: a scalar, or text at `start..start + len` of the record's buffer.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Scalar {
    Null,
    Bool(bool),
    I64(i64),
    U64(u64),
    F64(f64),
    Text { start: u8, len: u8 },
}

impl Scalar {
    pub(crate) fn value(self, text: &Text) -> Value {
        match self {
            Scalar::Null => Value::Null,
            Scalar::Bool(v) => Value::Bool(v),
            Scalar::I64(v) => Value::I64(v),
            Scalar::U64(v) => Value::U64(v),
            Scalar::F64(v) => Value::F64(v),
            Scalar::Text { start, len } => {
                Value::Str(Cow::Owned(text.stored(start, len).to_owned()))
            }
        }
    }
}

/// Bytes stored inside the queued record: the formatted message, then the text of
/// inline key-values. (With the rest of the record, this keeps `Msg` within 208 bytes.)
pub(crate) const INLINE: usize = 62;

/// A record's message as it crosses the queue, with the record's inline byte buffer.
#[derive(Debug)]
pub(crate) struct Text {
    message: Message,
    /// Bytes of `bytes` in use (the inline message, then key-value text).
    used: u8,
    bytes: [u8; INLINE],
}

/// Where the message is.
#[derive(Debug)]
enum Message {
    /// A literal (`Arguments::as_str`).
    Static(&'static str),
    /// Formatted, in the first `len` bytes of the buffer.
    Inline(u8),
    /// Formatted, longer than the buffer.
    Heap(String),
    /// Arguments encoded by ko-log's macros in the first `len` bytes of the buffer,
    /// formatted by `render` on the dispatcher ([`crate::deferred`]).
    Deferred { render: RenderFn, len: u8 },
    /// Encoded arguments longer than the buffer. (Boxed: a `Vec` here would grow every
    /// queued record by 8 bytes, past `Msg`'s 208; only a spilled record pays.)
    #[allow(clippy::box_collection)]
    DeferredHeap {
        render: RenderFn,
        bytes: Box<Vec<u8>>,
    },
}

/// The render function of a message still being encoded.
fn unset(_: &mut Decoder<'_>, _: &mut String) -> fmt::Result {
    Ok(())
}

impl Text {
    /// A literal message.
    pub(crate) fn literal(text: &'static str) -> Text {
        Text {
            message: Message::Static(text),
            used: 0,
            bytes: [0; INLINE],
        }
    }

    /// A message whose arguments are encoded next ([`Text::push_encoded`]) and formatted
    /// on the dispatcher by the function [`Text::rendered_by`] names.
    pub(crate) fn deferred() -> Text {
        Text {
            message: Message::Deferred {
                render: unset,
                len: 0,
            },
            used: 0,
            bytes: [0; INLINE],
        }
    }

    /// Appends encoded argument bytes: inline while they fit, then on the heap. (Inlined
    /// into each argument's encoding, where the length is a constant: a few moves.)
    #[inline(always)]
    pub(crate) fn push_encoded(&mut self, more: &[u8]) {
        if let Message::Deferred { len, .. } = &mut self.message {
            let start = usize::from(*len);
            if let Some(slot) = self.bytes.get_mut(start..start + more.len()) {
                slot.copy_from_slice(more);
                *len = (start + more.len()) as u8;
                self.used = *len;
                return;
            }
        }
        self.spill_encoded(more);
    }

    /// [`Text::push_encoded`] past the inline buffer: the bytes move to the heap.
    #[cold]
    fn spill_encoded(&mut self, more: &[u8]) {
        match &mut self.message {
            Message::Deferred { render, len } => {
                let start = usize::from(*len);
                let mut bytes = Vec::with_capacity(2 * (start + more.len()));
                bytes.extend_from_slice(self.bytes.get(..start).unwrap_or_default());
                bytes.extend_from_slice(more);
                self.message = Message::DeferredHeap {
                    render: *render,
                    bytes: Box::new(bytes),
                };
                self.used = 0;
            }
            Message::DeferredHeap { bytes, .. } => bytes.extend_from_slice(more),
            _ => {}
        }
    }

    /// How many encoded bytes there are so far.
    pub(crate) fn encoded_len(&self) -> usize {
        match &self.message {
            Message::Deferred { len, .. } => usize::from(*len),
            Message::DeferredHeap { bytes, .. } => bytes.len(),
            _ => 0,
        }
    }

    /// Overwrites encoded bytes at `at` (a length written before its text).
    pub(crate) fn patch_encoded(&mut self, at: usize, with: &[u8]) {
        let bytes = match &mut self.message {
            Message::Deferred { .. } => &mut self.bytes[..],
            Message::DeferredHeap { bytes, .. } => &mut bytes[..],
            _ => return,
        };
        if let Some(slot) = bytes.get_mut(at..at + with.len()) {
            slot.copy_from_slice(with);
        }
    }

    /// Names the function that formats the encoded arguments.
    pub(crate) fn rendered_by(&mut self, by: RenderFn) {
        if let Message::Deferred { render, .. } | Message::DeferredHeap { render, .. } =
            &mut self.message
        {
            *render = by;
        }
    }

    /// Stores `args`: borrowed when a literal, otherwise formatted (a panic caught).
    pub(crate) fn of(args: &fmt::Arguments<'_>) -> Text {
        if let Some(literal) = args.as_str() {
            return Text::literal(literal);
        }
        let formatted = crate::unwind::catch(|| {
            let mut text = Text {
                message: Message::Inline(0),
                used: 0,
                bytes: [0; INLINE],
            };
            match text.write_fmt(*args) {
                Ok(()) => {
                    if let Message::Inline(len) = text.message {
                        text.used = len;
                    }
                    text
                }
                Err(_) => Text::literal("<formatting error>"),
            }
        });
        formatted.unwrap_or_else(|_| {
            crate::unwind::count_format_panic();
            Text::literal("<panicked while formatting>")
        })
    }

    /// Copies `text` into the free part of the buffer; where it went, or `None` when it
    /// does not fit.
    fn store(&mut self, text: &str) -> Option<(u8, u8)> {
        let start = usize::from(self.used);
        let slot = self.bytes.get_mut(start..start + text.len())?;
        slot.copy_from_slice(text.as_bytes());
        self.used = (start + text.len()) as u8;
        Some((start as u8, text.len() as u8))
    }

    /// The text [`Text::store`] put at `start`.
    pub(crate) fn stored(&self, start: u8, len: u8) -> &str {
        let start = usize::from(start);
        let bytes = self
            .bytes
            .get(start..start + usize::from(len))
            .unwrap_or_default();
        // Always valid: written from whole `&str`s.
        std::str::from_utf8(bytes).unwrap_or_default()
    }

    /// The message as text: formatted now if deferred, copied into `spare` (or a new
    /// string) if inline, taken if on the heap.
    pub(crate) fn take_str(&mut self, spare: Option<String>) -> Str {
        match &mut self.message {
            Message::Deferred { render, len } => Cow::Owned(rendered(
                *render,
                self.bytes.get(..usize::from(*len)).unwrap_or_default(),
                spare,
            )),
            Message::DeferredHeap { render, bytes } => Cow::Owned(rendered(*render, bytes, spare)),
            Message::Static(text) => Cow::Borrowed(text),
            &mut Message::Inline(len) => {
                let mut owned = spare.unwrap_or_else(|| String::with_capacity(INLINE));
                owned.push_str(self.stored(0, len));
                Cow::Owned(owned)
            }
            Message::Heap(text) => Cow::Owned(std::mem::take(text)),
        }
    }
}

/// How one argument is decoded on the dispatcher, and what it formats as there.
pub trait Kind {
    /// The decoded argument: formats exactly as the caller's value would.
    type View<'a>: fmt::Display + fmt::Debug;
    /// Reads one argument.
    fn decode<'a>(from: &mut Decoder<'a>) -> Self::View<'a>;
    /// Writes a `{}` placeholder's argument: what its `Display` writes (without
    /// `core::fmt` for text and integers).
    #[inline]
    fn display(view: Self::View<'_>, out: &mut String) -> fmt::Result {
        out.write_fmt(format_args!("{view}"))
    }
}

/// Formats a deferred message ([`crate::deferred`]) on the dispatcher: decodes the call
/// site's arguments from the record's bytes, in order, and writes the message into the
/// string. (Defined here, with [`Decoder`] and [`Kind`], because the record carries it;
/// `deferred` re-exports them.)
pub type RenderFn = fn(&mut Decoder<'_>, &mut String) -> fmt::Result;

/// Reads the arguments a call site encoded, in order.
#[derive(Debug)]
pub struct Decoder<'a> {
    bytes: &'a [u8],
}

impl<'a> Decoder<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Decoder<'a> {
        Decoder { bytes }
    }

    /// The next argument, decoded as `K` (the kind it was encoded as).
    #[inline]
    pub fn arg<K: Kind>(&mut self) -> K::View<'a> {
        K::decode(self)
    }

    /// The next `n` bytes (fewer when the record is short, which the encoder never
    /// makes: decoding never panics).
    #[inline]
    pub(crate) fn take(&mut self, n: usize) -> &'a [u8] {
        let (head, tail) = self.bytes.split_at(n.min(self.bytes.len()));
        self.bytes = tail;
        head
    }

    #[inline]
    pub(crate) fn array<const N: usize>(&mut self) -> [u8; N] {
        self.take(N).try_into().unwrap_or([0; N])
    }

    #[inline]
    pub(crate) fn text(&mut self) -> &'a str {
        let len = u32::from_le_bytes(self.array()) as usize;
        // Always valid: written from a whole `&str`.
        std::str::from_utf8(self.take(len)).unwrap_or_default()
    }
}

/// Formats a deferred message from its encoded arguments (into `spare` when there is
/// one); a panic in a type's `Display` (one that opted in with [`crate::Loggable`]) or a
/// formatting error is replaced by a placeholder, as on the caller.
fn rendered(render: RenderFn, bytes: &[u8], spare: Option<String>) -> String {
    let mut out = spare.unwrap_or_else(|| String::with_capacity(INLINE));
    let written = crate::unwind::catch(|| render(&mut Decoder::new(bytes), &mut out));
    match written {
        Ok(Ok(())) => out,
        Ok(Err(_)) => "<formatting error>".to_owned(),
        Err(_) => {
            crate::unwind::count_format_panic();
            "<panicked while formatting>".to_owned()
        }
    }
}

impl fmt::Write for Text {
    /// Appends inline while it fits, then moves everything to the heap.
    fn write_str(&mut self, s: &str) -> fmt::Result {
        match &mut self.message {
            Message::Heap(text) => text.push_str(s),
            Message::Inline(len) => {
                let start = usize::from(*len);
                match self.bytes.get_mut(start..start + s.len()) {
                    Some(slot) => {
                        slot.copy_from_slice(s.as_bytes());
                        *len = (start + s.len()) as u8;
                    }
                    None => {
                        let done = std::str::from_utf8(self.bytes.get(..start).unwrap_or_default())
                            .unwrap_or_default();
                        let mut text = String::with_capacity(start + s.len());
                        text.push_str(done);
                        text.push_str(s);
                        self.message = Message::Heap(text);
                        self.used = 0;
                    }
                }
            }
            Message::Static(_) | Message::Deferred { .. } | Message::DeferredHeap { .. } => {
                return Err(fmt::Error)
            }
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

/// The name the thread ko-log numbered `key` registered, while it runs.
pub(crate) fn thread_name(key: u64) -> Option<Arc<str>> {
    registry()
        .lock()
        .ok()
        .and_then(|names| names.get(&key).cloned())
}

/// Whether the thread ko-log numbered `key` is still running (a thread is registered
/// from its first record until it exits).
pub(crate) fn thread_running(key: u64) -> bool {
    registry()
        .lock()
        .map_or(true, |names| names.contains_key(&key))
}

/// The current thread's number, registering its name on first use.
fn thread_key() -> u32 {
    struct Registered(u32);
    impl Drop for Registered {
        fn drop(&mut self) {
            if let Ok(mut names) = registry().lock() {
                names.remove(&u64::from(self.0));
            }
        }
    }
    thread_local! {
        static KEY: Registered = {
            static NEXT: AtomicU32 = AtomicU32::new(1);
            let key = NEXT.fetch_add(1, Ordering::Relaxed);
            let name: Arc<str> = match std::thread::current().name() {
                Some(name) => Arc::from(name),
                None => Arc::from(format!("#{key}")),
            };
            if let Ok(mut names) = registry().lock() {
                names.insert(u64::from(key), name);
            }
            Registered(key)
        };
    }
    KEY.try_with(|key| key.0).unwrap_or(0)
}

/// Distinct strings (targets, and bound loggers' keys) kept for the life of the process;
/// beyond, they are copied per record (a program that makes up targets at run time does
/// not grow memory forever).
const INTERNED_TARGETS: usize = 4096;

/// An explicit target (`log::info!(target: "audit", ..)`) as a `'static` string.
///
/// `log` hands targets over as borrowed strings even when they are literals, and copying
/// one per record means a `malloc` on the caller and a `free` on the dispatcher. Targets
/// are few and live as long as the code naming them, so each distinct one is copied once
/// into a process-wide set and found again through a small per-thread cache keyed by the
/// string's address (and checked by content, so a reused address is never trusted).
/// A bound [`crate::Logger`]'s keys made at run time are interned the same way, once,
/// when they are bound.
pub(crate) fn intern(target: &str) -> Str {
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
    crate::unwind::catch(|| {
        let mut out = String::new();
        match write!(out, "{value}") {
            Ok(()) => out,
            Err(_) => "<formatting error>".to_owned(),
        }
    })
    .unwrap_or_else(|_| {
        crate::unwind::count_format_panic();
        "<panicked while formatting>".to_owned()
    })
}

/// Copies key-values into a record's [`Kv`], inline while they fit; the first value of
/// a repeated key wins.
struct FieldCollector<'a> {
    fields: &'a mut Kv,
    text: &'a mut Text,
    /// The record's key-values, counted when they go to the heap.
    all: &'a dyn kv::Source,
}

impl<'kvs> VisitSource<'kvs> for FieldCollector<'_> {
    fn visit_pair(&mut self, key: kv::Key<'kvs>, value: kv::Value<'kvs>) -> Result<(), kv::Error> {
        if self.fields.contains(key.as_str()) {
            return Ok(());
        }
        if let (Kv::Inline { len, items }, Some(key)) = (&mut *self.fields, key.to_static_str()) {
            if let Some(slot) = items.get_mut(usize::from(*len)) {
                let mut inline = InlineSlot {
                    text: self.text,
                    scalar: None,
                };
                let _ = value.visit(&mut inline);
                if let Some(scalar) = inline.scalar {
                    *slot = (key, scalar);
                    *len += 1;
                    return Ok(());
                }
            }
        }
        let key = match key.to_static_str() {
            Some(key) => Cow::Borrowed(key),
            None => Cow::Owned(key.as_str().to_owned()),
        };
        let all = self.all;
        self.fields
            .push_heap(self.text, key, capture_value(&value), || all.count());
        Ok(())
    }
}

/// Takes a value inline when it is a scalar, or text that fits in the record's buffer.
struct InlineSlot<'a> {
    text: &'a mut Text,
    scalar: Option<Scalar>,
}

impl<'v> VisitValue<'v> for InlineSlot<'_> {
    fn visit_any(&mut self, _: kv::Value<'_>) -> Result<(), kv::Error> {
        Ok(()) // A `Display` or `Debug` value: formatted on the heap path.
    }
    fn visit_null(&mut self) -> Result<(), kv::Error> {
        self.scalar = Some(Scalar::Null);
        Ok(())
    }
    fn visit_u64(&mut self, value: u64) -> Result<(), kv::Error> {
        self.scalar = Some(Scalar::U64(value));
        Ok(())
    }
    fn visit_i64(&mut self, value: i64) -> Result<(), kv::Error> {
        self.scalar = Some(Scalar::I64(value));
        Ok(())
    }
    fn visit_u128(&mut self, value: u128) -> Result<(), kv::Error> {
        self.scalar = u64::try_from(value).ok().map(Scalar::U64);
        Ok(())
    }
    fn visit_i128(&mut self, value: i128) -> Result<(), kv::Error> {
        self.scalar = i64::try_from(value).ok().map(Scalar::I64);
        Ok(())
    }
    fn visit_f64(&mut self, value: f64) -> Result<(), kv::Error> {
        self.scalar = Some(Scalar::F64(value));
        Ok(())
    }
    fn visit_bool(&mut self, value: bool) -> Result<(), kv::Error> {
        self.scalar = Some(Scalar::Bool(value));
        Ok(())
    }
    fn visit_str(&mut self, value: &str) -> Result<(), kv::Error> {
        self.scalar = self
            .text
            .store(value)
            .map(|(start, len)| Scalar::Text { start, len });
        Ok(())
    }
    fn visit_char(&mut self, value: char) -> Result<(), kv::Error> {
        self.visit_str(value.encode_utf8(&mut [0; 4]))
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
        let captured = crate::unwind::catch(|| ErrorValue::capture(err)).unwrap_or_else(|_| {
            crate::unwind::count_format_panic();
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
    use crate::clock::Timeline;
    use crate::dispatch::record::{Spares, ThreadNames};

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
        crate::unwind::install_hook(); // quiet for caught panics; never swapped in tests
        let value = capture_value(&kv::Value::from_display(&Panics));
        let msg = Text::of(&format_args!("x {}", Panics)).take_str(None);
        assert_eq!(value, Value::Str("<panicked while formatting>".into()));
        assert_eq!(msg, "<panicked while formatting>");
    }

    #[test]
    fn literal_messages_are_borrowed_short_ones_inline_long_ones_spill() {
        assert!(matches!(
            Text::of(&format_args!("literal")).message,
            Message::Static("literal")
        ));
        let n = std::hint::black_box(1);
        let mut short = Text::of(&format_args!("n={n}"));
        assert!(matches!(short.message, Message::Inline(3)));
        assert_eq!(short.used, 3);
        assert_eq!(short.take_str(Some(String::with_capacity(8))), "n=1");
        let long = "é".repeat(100);
        let mut spilled = Text::of(&format_args!("{long} n={n}"));
        assert!(matches!(spilled.message, Message::Heap(_)));
        assert_eq!(spilled.used, 0, "the whole buffer is free for key-values");
        assert_eq!(spilled.take_str(None), format!("{long} n=1"));
        let exact = "x".repeat(INLINE - 2);
        let mut full = Text::of(&format_args!("{exact}{n}{n}"));
        assert!(matches!(full.message, Message::Inline(_)));
        assert_eq!(full.take_str(None), format!("{exact}11"));
    }

    fn record_with<'a>(kvs: &'a dyn kv::Source, args: fmt::Arguments<'a>) -> Captured {
        capture(
            &log::Record::builder()
                .args(args)
                .level(Level::Info)
                .target("t")
                .key_values(kvs)
                .build(),
        )
    }

    /// The event the dispatcher makes of `captured`.
    fn taken(captured: &mut Captured) -> crate::Event {
        captured.take_event(
            &mut ThreadNames::default(),
            &mut Timeline::default(),
            &mut Spares::default(),
        )
    }

    /// The target, module, file and line of `event`.
    fn call_site(event: &crate::Event) -> (&str, Option<&str>, Option<&str>, Option<u32>) {
        let (module, file) = (event.module_path.as_deref(), event.file.as_deref());
        (&event.target, module, file, event.line)
    }

    fn fields_of(mut captured: Captured) -> Vec<(String, Value)> {
        let event = taken(&mut captured);
        event
            .fields
            .iter()
            .map(|(k, v)| (k.to_owned(), v.clone()))
            .collect()
    }

    #[test]
    fn short_key_values_with_static_keys_are_kept_inline_in_order() {
        let n = std::hint::black_box(7);
        let kvs: [(kv::Key<'_>, kv::Value<'_>); 2] = [
            (kv::Key::from_str_static("user_id"), 42u64.into()),
            (kv::Key::from_str_static("path"), "/api/v1/items".into()),
        ];
        let mut captured = record_with(&kvs, format_args!("request {n}"));
        assert!(matches!(captured.fields, Kv::Inline { len: 2, .. }));
        assert_eq!(
            captured.message.used as usize,
            "request 7".len() + "/api/v1/items".len()
        );
        let event = taken(&mut captured);
        assert_eq!(event.message, "request 7");
        assert_eq!(event.fields.get("user_id"), Some(&Value::U64(42)));
        assert_eq!(
            event.fields.get("path"),
            Some(&Value::Str("/api/v1/items".into()))
        );
        assert_eq!(
            event.fields.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            ["user_id", "path"]
        );
    }

    #[test]
    fn key_values_that_do_not_fit_go_to_the_heap_keeping_order_and_first_wins() {
        let long = "v".repeat(INLINE + 1);
        let err = Outer(Inner);
        let k = kv::Key::from_str_static;
        let cases: Vec<Vec<(kv::Key<'_>, kv::Value<'_>)>> = vec![
            // A third field.
            vec![
                (k("a"), 1u64.into()),
                (k("b"), true.into()),
                (k("c"), (-2i64).into()),
            ],
            // A value too long for what the message left.
            vec![(k("a"), 1u64.into()), (k("b"), long.as_str().into())],
            // A value that is not a scalar or text.
            vec![
                (k("a"), 1u64.into()),
                (k("b"), kv::Value::from_dyn_error(&err)),
            ],
            // A key that is not `'static`.
            vec![(k("a"), 1u64.into()), (kv::Key::from_str("b"), 2u64.into())],
            // A repeated key: the first value wins, on either path.
            vec![
                (k("a"), 1u64.into()),
                (k("a"), 2u64.into()),
                (k("b"), 3u64.into()),
                (k("c"), 4u64.into()),
                (k("c"), 5u64.into()),
            ],
        ];
        for kvs in &cases {
            let captured = record_with(kvs, format_args!("m"));
            match &captured.fields {
                // Sized to the record's count once, not grown field by field.
                Kv::Heap(fields) => assert_eq!(fields.capacity(), kvs.len(), "{kvs:?}"),
                Kv::Inline { .. } => panic!("inline: {kvs:?}"),
            }
            let got = fields_of(captured);
            let mut expected: Vec<(String, Value)> = Vec::new();
            for (k, v) in kvs {
                if !expected.iter().any(|(e, _)| e == k.as_str()) {
                    expected.push((k.as_str().to_owned(), capture_value(v)));
                }
            }
            assert_eq!(got, expected);
        }
    }

    #[test]
    fn inline_text_values_share_the_buffer_with_a_message_of_any_kind() {
        let kvs: [(kv::Key<'_>, kv::Value<'_>); 2] = [
            (kv::Key::from_str_static("k"), "x".into()),
            (kv::Key::from_str_static("c"), 'é'.into()),
        ];
        // A literal message leaves the whole buffer to the values.
        let captured = record_with(&kvs, format_args!("literal"));
        assert!(matches!(captured.fields, Kv::Inline { len: 2, .. }));
        assert_eq!(
            fields_of(captured),
            [
                ("k".to_owned(), Value::Str("x".into())),
                ("c".to_owned(), Value::Str("é".into()))
            ]
        );
        // A message that spilled to the heap too.
        let long = "m".repeat(2 * INLINE);
        let mut captured = record_with(&kvs, format_args!("{long}"));
        assert!(matches!(captured.fields, Kv::Inline { len: 2, .. }));
        let event = taken(&mut captured);
        assert_eq!(event.message, long);
        assert_eq!(event.fields.get("c"), Some(&Value::Str("é".into())));
    }

    #[test]
    fn a_site_that_is_not_static_is_kept_owned() {
        let (target, module, file) = (
            String::from("dyn::t"),
            String::from("dyn::m"),
            String::from("d.rs"),
        );
        let mut captured = capture(
            &log::Record::builder()
                .args(format_args!("m"))
                .target(&target)
                .module_path(Some(&module))
                .file(Some(&file))
                .line(Some(3))
                .build(),
        );
        assert!(matches!(captured.origin, Origin::Owned(_)));
        let owned = ("dyn::t", Some("dyn::m"), Some("d.rs"), Some(3));
        assert_eq!(call_site(&taken(&mut captured)), owned);
        let mut captured = capture(
            &log::Record::builder()
                .args(format_args!("m"))
                .target("s")
                .module_path_static(Some("s"))
                .build(),
        );
        assert!(matches!(captured.origin, Origin::Site(_)));
        assert_eq!(
            call_site(&taken(&mut captured)),
            ("s", Some("s"), None, None)
        );
    }

    #[test]
    fn a_call_site_is_interned_once_and_checked_by_content() {
        let site = |target: &str, line: u32| {
            let captured = capture(
                &log::Record::builder()
                    .args(format_args!("m"))
                    .target(target)
                    .module_path_static(Some("app::db"))
                    .file_static(Some("src/db.rs"))
                    .line(Some(line))
                    .build(),
            );
            match captured.origin {
                Origin::Site(site) => site,
                Origin::Owned(_) => panic!("not interned"),
            }
        };
        let first = site("app::db", 10);
        assert!(std::ptr::eq(first, site("app::db", 10)));
        assert!(!std::ptr::eq(first, site("app::db", 11)));
        assert_eq!((first.target, first.line), ("app::db", Some(10)));
        // One target buffer reused for another target at the same call site.
        let mut buffer = String::with_capacity(32);
        buffer.push_str("audit");
        assert_eq!(site(&buffer, 12).target, "audit");
        buffer.clear();
        buffer.push_str("trail");
        assert_eq!(site(&buffer, 12).target, "trail");
    }

    #[test]
    fn explicit_targets_are_interned_and_checked_by_content() {
        let first = intern("audit::trail");
        assert!(matches!(first, Cow::Borrowed("audit::trail")));
        // Same text elsewhere: the same interned string.
        let owned = String::from("audit::trail");
        assert!(matches!(intern(&owned), Cow::Borrowed(t) if t.as_ptr() == first.as_ptr()));
        // One buffer reused for other text at the same address is never mistaken.
        let mut buffer = String::with_capacity(32);
        buffer.push_str("alpha");
        assert_eq!(intern(&buffer), "alpha");
        buffer.clear();
        buffer.push_str("omega");
        assert_eq!(intern(&buffer), "omega");
    }
}
