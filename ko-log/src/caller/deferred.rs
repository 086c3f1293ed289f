//! Deferred formatting: how `ko_log::info!` and its siblings carry their arguments.
//!
//! `log::info!` hands the backend a `fmt::Arguments`, which borrows the caller's stack, so
//! the message must be formatted before the call returns. ko-log's own macros
//! ([`crate::info!`] …) take the same syntax but parse the format string at compile
//! time (`ko-log-macros`, `deferred/`) and, for each placeholder, copy the argument's
//! bytes into the record when its type is one of the common plain types ([`Encode`]):
//! integers, floats, `bool`, `char`, and text (`&str`, `String`, …: the bytes are
//! copied), or a type that opts in with [`Loggable`]. Any other argument is formatted on
//! the caller, with its placeholder's spec, and travels as text. The dispatcher formats
//! the message from those bytes with a function the macro generated for the call site
//! ([`RenderFn`]), whose format string is the call site's own (with each placeholder
//! numbered), so the result is byte for byte what `format!` gives.
//!
//! The encoding is positional and untagged: the call site's render function decodes each
//! placeholder with the [`Kind`] its argument was encoded with, in order. Integers and
//! floats are little-endian, `bool` one byte, `char` four, text a `u32` length and its
//! bytes. The bytes live in the record's inline buffer and spill to the heap past it.
//!
//! Which path an argument takes is chosen at compile time by method resolution on
//! [`Arg`] (an `Encode` impl is preferred to a `Loggable` one, which is preferred to
//! formatting on the caller), so the caller pays for neither a tag nor a branch.

use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, OnceLock};

use log::kv::{Key, Value};
use log::{Level, Record};

use crate::capture::Text;
pub use crate::capture::{Decoder, Kind, RenderFn};
use crate::{caller::backend, capture, context};

/// Writes a call site's arguments into its record.
#[derive(Debug)]
pub struct Encoder {
    text: Text,
    /// Set when an argument formatted on the caller failed or panicked: the whole
    /// message is then this placeholder, as for a `log` record.
    failed: Option<&'static str>,
}

impl Encoder {
    #[inline]
    fn bytes(&mut self, bytes: &[u8]) {
        self.text.push_encoded(bytes);
    }

    #[inline]
    fn text(&mut self, text: &str) {
        let len = u32::try_from(text.len()).unwrap_or(u32::MAX);
        self.bytes(&len.to_le_bytes());
        self.bytes(text.as_bytes().get(..len as usize).unwrap_or_default());
    }

    /// Runs user code (a `Display`, a `Loggable::to_repr`), catching a panic: the
    /// message becomes a placeholder, as `log` records' do.
    fn caught<R>(&mut self, run: impl FnOnce(&mut Encoder) -> R) -> Option<R> {
        if self.failed.is_some() {
            return None;
        }
        match crate::unwind::catch(|| run(self)) {
            Ok(out) => Some(out),
            Err(_) => {
                crate::unwind::count_format_panic();
                self.failed = Some("<panicked while formatting>");
                None
            }
        }
    }

    /// Formats with `write` as text: a `u32` length, patched once the text is written.
    fn formatted(&mut self, write: impl FnOnce(&mut Slot<'_>) -> fmt::Result) {
        let at = self.text.encoded_len();
        let written = self.caught(|encoder| {
            encoder.bytes(&[0; 4]);
            let mut slot = Slot { encoder, len: 0 };
            write(&mut slot).map(|()| slot.len)
        });
        match written {
            Some(Ok(len)) => self
                .text
                .patch_encoded(at, &u32::try_from(len).unwrap_or(u32::MAX).to_le_bytes()),
            Some(Err(_)) => self.failed = Some("<formatting error>"),
            None => {}
        }
    }
}

/// Where an argument formatted on the caller is written (see [`ViaFormat`]).
#[derive(Debug)]
pub struct Slot<'a> {
    encoder: &'a mut Encoder,
    len: usize,
}

impl fmt::Write for Slot<'_> {
    #[inline]
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.encoder.bytes(s.as_bytes());
        self.len += s.len();
        Ok(())
    }
}

/// A plain value copied as its bytes ([`Encode`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct Plain<T>(std::marker::PhantomData<T>);

/// Text copied as its bytes.
#[derive(Debug, Clone, Copy, Default)]
pub struct Bytes;

/// An argument formatted on the caller (its spec already applied).
#[derive(Debug, Clone, Copy, Default)]
pub struct Formatted;

/// A type that opted in ([`Loggable`]): copied as its `Repr`, rebuilt on the dispatcher.
#[derive(Debug, Clone, Copy)]
pub struct OptedIn<T>(std::marker::PhantomData<T>);

impl Kind for Bytes {
    type View<'a> = &'a str;
    #[inline]
    fn decode<'a>(from: &mut Decoder<'a>) -> &'a str {
        from.text()
    }
    #[inline]
    fn display(view: &str, out: &mut String) -> fmt::Result {
        out.push_str(view);
        Ok(())
    }
}

impl Kind for Formatted {
    type View<'a> = Preformatted<'a>;
    #[inline]
    fn decode<'a>(from: &mut Decoder<'a>) -> Preformatted<'a> {
        Preformatted(from.text())
    }
    #[inline]
    fn display(view: Preformatted<'_>, out: &mut String) -> fmt::Result {
        out.push_str(view.0);
        Ok(())
    }
}

impl<T: Loggable> Kind for OptedIn<T> {
    type View<'a> = T;
    #[inline]
    fn decode<'a>(from: &mut Decoder<'a>) -> T {
        T::from_repr(<Plain<T::Repr> as Kind>::decode(from))
    }
}

/// Text formatted on the caller with its placeholder's spec: written as it is, whatever
/// spec the dispatcher's format string gives it (the caller applied it already).
#[derive(Clone, Copy)]
pub struct Preformatted<'a>(&'a str);

impl fmt::Display for Preformatted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl fmt::Debug for Preformatted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

mod sealed {
    pub trait Sealed {}
}

/// The plain types whose bytes ko-log's macros copy: integers, floats, `bool`, `char`.
/// Sealed: a type of your own opts in through [`Loggable`].
pub trait Primitive: Copy + fmt::Display + fmt::Debug + sealed::Sealed + 'static {
    #[doc(hidden)]
    fn put(self, into: &mut Encoder);
    #[doc(hidden)]
    fn get(from: &mut Decoder<'_>) -> Self;
    /// Writes what `Display` writes.
    #[doc(hidden)]
    fn display(self, out: &mut String) -> fmt::Result;
}

macro_rules! numbers {
    ($how:ident: $($ty:ty),*) => {$(
        impl sealed::Sealed for $ty {}
        impl Primitive for $ty {
            #[inline]
            fn put(self, into: &mut Encoder) {
                into.bytes(&self.to_le_bytes());
            }
            #[inline]
            fn get(from: &mut Decoder<'_>) -> $ty {
                <$ty>::from_le_bytes(from.array())
            }
            #[inline]
            fn display(self, out: &mut String) -> fmt::Result {
                numbers!(@display $how, self, out)
            }
        }
    )*};
    (@display itoa, $value:expr, $out:expr) => {{
        $out.push_str(itoa::Buffer::new().format($value));
        Ok(())
    }};
    (@display fmt, $value:expr, $out:expr) => {
        fmt::Write::write_fmt($out, format_args!("{}", $value))
    };
}
numbers!(itoa: u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize);
numbers!(fmt: f32, f64);

impl sealed::Sealed for bool {}
impl Primitive for bool {
    #[inline]
    fn put(self, into: &mut Encoder) {
        into.bytes(&[u8::from(self)]);
    }
    #[inline]
    fn get(from: &mut Decoder<'_>) -> bool {
        from.array::<1>() != [0]
    }
    #[inline]
    fn display(self, out: &mut String) -> fmt::Result {
        out.push_str(if self { "true" } else { "false" });
        Ok(())
    }
}

impl sealed::Sealed for char {}
impl Primitive for char {
    #[inline]
    fn put(self, into: &mut Encoder) {
        into.bytes(&u32::from(self).to_le_bytes());
    }
    #[inline]
    fn get(from: &mut Decoder<'_>) -> char {
        char::from_u32(u32::get(from)).unwrap_or(char::REPLACEMENT_CHARACTER)
    }
    #[inline]
    fn display(self, out: &mut String) -> fmt::Result {
        out.push(self);
        Ok(())
    }
}

impl<T: Primitive> Kind for Plain<T> {
    type View<'a> = T;
    #[inline]
    fn decode<'a>(from: &mut Decoder<'a>) -> T {
        T::get(from)
    }
    #[inline]
    fn display(view: T, out: &mut String) -> fmt::Result {
        view.display(out)
    }
}

/// A type of your own that `ko_log::info!` and its siblings copy as a plain value and
/// format on the dispatcher, instead of formatting it on the caller.
///
/// Implement it for small `Copy` types whose `Display` and `Debug` are pure functions of
/// one plain value: ids, codes, units. The dispatcher rebuilds the value with
/// [`Loggable::from_repr`] and formats it there, so the output is the same as formatting
/// it on the caller.
///
/// ```
/// use std::fmt;
///
/// #[derive(Debug, Clone, Copy)]
/// struct UserId(u64);
///
/// impl fmt::Display for UserId {
///     fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
///         write!(f, "user-{}", self.0)
///     }
/// }
///
/// impl ko_log::Loggable for UserId {
///     type Repr = u64;
///     fn to_repr(&self) -> u64 { self.0 }
///     fn from_repr(repr: u64) -> UserId { UserId(repr) }
/// }
///
/// ko_log::info!("signed in: {}", UserId(7));
/// ```
pub trait Loggable: fmt::Display + fmt::Debug + Sized + 'static {
    /// The plain value the type is copied as.
    type Repr: Primitive;
    /// The plain value of `self`.
    fn to_repr(&self) -> Self::Repr;
    /// The value back from its plain value (on the dispatcher).
    fn from_repr(repr: Self::Repr) -> Self;
}

/// The argument types ko-log's macros copy as they are: the [`Primitive`]s and text.
pub trait Encode {
    /// How it is decoded.
    type Kind: Kind + Default;
    /// Copies it into the record.
    fn encode(&self, into: &mut Encoder);
}

macro_rules! encode_primitives {
    ($($ty:ty),*) => {$(
        impl Encode for $ty {
            type Kind = Plain<$ty>;
            #[inline]
            fn encode(&self, into: &mut Encoder) {
                self.put(into);
            }
        }
    )*};
}
encode_primitives!(
    u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize, f32, f64, bool, char
);

macro_rules! encode_text {
    ($($ty:ty),*) => {$(
        impl Encode for $ty {
            type Kind = Bytes;
            #[inline]
            fn encode(&self, into: &mut Encoder) {
                into.text(self);
            }
        }
    )*};
}
encode_text!(str, String, Box<str>, Arc<str>, Cow<'_, str>);

impl<T: Encode + ?Sized> Encode for &T {
    type Kind = T::Kind;
    #[inline]
    fn encode(&self, into: &mut Encoder) {
        (**self).encode(into);
    }
}

impl<T: Encode + ?Sized> Encode for &mut T {
    type Kind = T::Kind;
    #[inline]
    fn encode(&self, into: &mut Encoder) {
        (**self).encode(into);
    }
}

/// One argument of a call site, as the macros see it: `(&&Arg(&value)).ko_encode(..)`
/// picks [`ViaCopy`] for an [`Encode`] type, [`ViaLoggable`] for a [`Loggable`] one, and
/// [`ViaFormat`] for anything else.
#[derive(Debug)]
pub struct Arg<'a, T: ?Sized>(pub &'a T);

/// The first choice: the argument's bytes are copied.
pub trait ViaCopy<T: ?Sized> {
    /// The argument's kind.
    type Kind: Kind + Default;
    /// Copies the argument (`format` is not called: the dispatcher formats).
    fn ko_encode<F>(&self, into: &mut Encoder, format: F) -> Self::Kind
    where
        F: FnOnce(&mut Slot<'_>, &T) -> fmt::Result;
}

impl<T: Encode + ?Sized> ViaCopy<T> for &Arg<'_, T> {
    type Kind = T::Kind;
    #[inline]
    fn ko_encode<F>(&self, into: &mut Encoder, _format: F) -> T::Kind
    where
        F: FnOnce(&mut Slot<'_>, &T) -> fmt::Result,
    {
        self.0.encode(into);
        T::Kind::default()
    }
}

/// The second choice: a type that opted in is copied as its plain value.
pub trait ViaLoggable<T: ?Sized> {
    /// The argument's kind.
    type Kind: Kind + Default;
    /// Copies the argument's plain value (`format` is not called).
    fn ko_encode<F>(&self, into: &mut Encoder, format: F) -> Self::Kind
    where
        F: FnOnce(&mut Slot<'_>, &T) -> fmt::Result;
}

impl<T: Loggable> ViaLoggable<T> for &&Arg<'_, T> {
    type Kind = OptedIn<T>;
    #[inline]
    fn ko_encode<F>(&self, into: &mut Encoder, _format: F) -> OptedIn<T>
    where
        F: FnOnce(&mut Slot<'_>, &T) -> fmt::Result,
    {
        if let Some(repr) = into.caught(|_| self.0.to_repr()) {
            repr.put(into);
        }
        OptedIn::default()
    }
}

impl<T> Default for OptedIn<T> {
    fn default() -> OptedIn<T> {
        OptedIn(std::marker::PhantomData)
    }
}

/// The fallback: the argument is formatted on the caller, with its placeholder's spec.
pub trait ViaFormat<T: ?Sized> {
    /// Formats the argument with `format` into the record.
    fn ko_encode<F>(&self, into: &mut Encoder, format: F) -> Formatted
    where
        F: FnOnce(&mut Slot<'_>, &T) -> fmt::Result;
}

impl<T: ?Sized> ViaFormat<T> for Arg<'_, T> {
    #[inline]
    fn ko_encode<F>(&self, into: &mut Encoder, format: F) -> Formatted
    where
        F: FnOnce(&mut Slot<'_>, &T) -> fmt::Result,
    {
        into.formatted(|slot| format(slot, self.0));
        Formatted
    }
}

/// Formats an argument on the caller whatever its type: for a placeholder whose spec
/// names a trait the dispatcher does not format with (`{:x}`, `{:e}`, …).
#[inline]
pub fn formatted<T: ?Sized>(
    into: &mut Encoder,
    value: &T,
    format: impl FnOnce(&mut Slot<'_>, &T) -> fmt::Result,
) -> Formatted {
    into.formatted(|slot| format(slot, value));
    Formatted
}

/// A call site's format, for `N` arguments: implemented by the macros for a type of
/// their own, generic over the arguments' kinds.
macro_rules! formats {
    ($($format:ident: $($k:ident)*;)*) => {$(
        #[doc = concat!("A call site's format string, for its arguments' kinds `", stringify!($($k)*), "`.")]
        pub trait $format {
            /// Decodes the arguments and writes the message.
            #[allow(non_camel_case_types, clippy::too_many_arguments)]
            fn render<$($k: Kind),*>(from: &mut Decoder<'_>, out: &mut String) -> fmt::Result;
        }
        #[allow(non_camel_case_types)]
        impl<F: $format, $($k: Kind),*> FormatFor<($($k,)*)> for F {
            fn pick() -> RenderFn {
                F::render::<$($k),*>
            }
        }
    )*};
}
formats! {
    Format1: k0;
    Format2: k0 k1;
    Format3: k0 k1 k2;
    Format4: k0 k1 k2 k3;
    Format5: k0 k1 k2 k3 k4;
    Format6: k0 k1 k2 k3 k4 k5;
    Format7: k0 k1 k2 k3 k4 k5 k6;
    Format8: k0 k1 k2 k3 k4 k5 k6 k7;
}

/// The most placeholders a deferred call site has; past it, the macros format the
/// message on the caller (as `log::info!` does).
pub const MAX_ARGS: usize = 8;

/// A call site's format, for the kinds its arguments were encoded with: picks its render
/// function.
pub trait FormatFor<Kinds> {
    /// The render function for these kinds.
    fn pick() -> RenderFn;
}

/// The render function of the format `F` for the kinds of `kinds` (inferred).
#[inline]
pub fn render_fn<F: FormatFor<Kinds>, Kinds>(_kinds: Kinds) -> RenderFn {
    F::pick()
}

/// Where a call site is: its target, module and file (as `log`'s macros give them), and
/// line.
pub type Site<'a> = (&'a str, &'static str, &'static str, u32);

/// A call site's interned target, module path, file and line, found on its first record
/// (a `static` per call site whose target is a constant; see [`submit`]).
#[derive(Debug)]
pub struct SiteCache(OnceLock<Option<&'static capture::Site>>);

impl SiteCache {
    /// An empty cache, for a `static`.
    #[allow(clippy::new_without_default)]
    pub const fn new() -> SiteCache {
        SiteCache(OnceLock::new())
    }

    /// The interned call site `site` (the same every time: its target is a constant);
    /// `None` when the process's set of call sites is full.
    #[inline]
    fn get(&self, &(target, module_path, file, line): &Site<'_>) -> Option<&'static capture::Site> {
        *self.0.get_or_init(|| {
            capture::Site::interned(target, Some(module_path), Some(file), Some(line))
        })
    }
}

/// Logs a record whose message is deferred: `encode` copies the arguments and returns the
/// call site's render function. Through the installed ko-log backend the record takes
/// the same path as a `log` record (routing, holds, queue); with another logger (or
/// none) the message is formatted now and handed to `log::logger()`.
///
/// `cache` is the call site's own [`SiteCache`] when its target is a constant (a literal or
/// the module path), so the record's call site is found once, not per record.
#[inline]
pub fn submit(
    level: Level,
    site: &Site<'_>,
    cache: Option<&SiteCache>,
    kvs: &[(Key<'_>, Value<'_>)],
    encode: impl FnOnce(&mut Encoder) -> RenderFn,
) {
    let kvs = &kvs;
    let record = record(level, site, kvs, format_args!(""));
    match backend::installed() {
        Some(backend) => backend.submit_with(&record, || {
            let interned = cache.and_then(|cache| cache.get(site));
            (
                capture::capture_with(&record, encoded(encode), interned, !kvs.is_empty()),
                context::current(),
            )
        }),
        None => elsewhere(&record, encode),
    }
}

/// Logs a record whose message is formatted now: a call site the macros do not defer
/// (a literal message, more than [`MAX_ARGS`] placeholders, a width or precision taken
/// from an argument). The same record `log`'s macros build.
#[inline]
pub fn submit_args(
    level: Level,
    site: &Site<'_>,
    kvs: &[(Key<'_>, Value<'_>)],
    args: fmt::Arguments<'_>,
) {
    log::logger().log(&record(level, site, &kvs, args));
}

/// The record `log`'s own macros build for the same call.
#[inline]
fn record<'a>(
    level: Level,
    &(target, module_path, file, line): &Site<'a>,
    kvs: &'a dyn log::kv::Source,
    args: fmt::Arguments<'a>,
) -> Record<'a> {
    Record::builder()
        .args(args)
        .level(level)
        .target(target)
        .module_path_static(Some(module_path))
        .file_static(Some(file))
        .line(Some(line))
        .key_values(kvs)
        .build()
}

/// The record's message, encoded; an argument formatted on the caller that fails or
/// panics makes the message a placeholder, as for `log` records.
fn encoded(encode: impl FnOnce(&mut Encoder) -> RenderFn) -> Text {
    let mut into = Encoder {
        text: Text::deferred(),
        failed: None,
    };
    let render = encode(&mut into);
    match into.failed {
        Some(placeholder) => Text::literal(placeholder),
        None => {
            into.text.rendered_by(render);
            into.text
        }
    }
}

/// With no ko-log backend installed, the message is formatted now and the record handed
/// to whichever logger `log` has.
#[cold]
fn elsewhere(record: &Record<'_>, encode: impl FnOnce(&mut Encoder) -> RenderFn) {
    let logger = log::logger();
    if !logger.enabled(record.metadata()) {
        return;
    }
    let message = encoded(encode).take_str(None);
    logger.log(&record.to_builder().args(format_args!("{message}")).build());
}

/// The key-values of a call that has none.
pub const NO_KEY_VALUES: &[(Key<'static>, Value<'static>)] = &[];
