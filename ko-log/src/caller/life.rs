//! Lifecycle timing: [`Life`], the guard behind `#[ko_log::life]` and
//! `ko_log::life_guard!`.
//!
//! A life logs `Begin: <label>` when it starts and, when it ends, one of
//!
//! | line | level | when |
//! | --- | --- | --- |
//! | `End (0.50): <label>` | the life's level | it ended normally (return, early `return`, `Ok`) |
//! | `Failed (0.12): <label>` | `error` | a `Result` function returned `Err` (field `error`) |
//! | `Panicked (0.01): <label>` | `error` | a panic unwound through it |
//! | `Cancelled (0.30): <label>` | `warn` (or the life's level when that is `error`) | an async life was dropped before completing |
//!
//! The figure in parentheses is the elapsed time in seconds with two decimals; every end
//! line also carries the exact figure as the field `elapsed_ms` (an `f64`), after the
//! life's own fields. Each line is an ordinary `log` record (`log::logger().log`), with the
//! life's target, level, module path, file and line, so routing, processors, renderers and
//! scoped context apply to it as to any other record, with ko-log or any other `log`
//! backend.
//!
//! **Disabled means free.** A life first asks `log` whether its level is enabled for its
//! target (the static max level, `log::max_level()`, then the logger). When it is not,
//! the life is an empty guard: no clock read, no field evaluated, no allocation, nothing
//! logged when it ends — not even `Failed` or `Panicked`. When it is, its fields are
//! evaluated once, at the start, into owned values that both lines share.
//!
//! The macros build lives from a `static` describing the call site (label, level, target,
//! module, file, line); code without macros can time a future with [`Life::scope`]. The
//! guide, with the expansion of `#[life]`, is `docs/MACROS.md`.

use std::error::Error as StdError;
use std::future::Future;
use std::panic::Location;
use std::time::{Duration, Instant};

use log::kv::{self, Key, VisitSource};
use log::{Level, Metadata, Record};

use self::__private::{Chain, Site};
use crate::event::Value;

/// The target of lives started by [`Life::scope`], which has no module path to use.
pub const SCOPE_TARGET: &str = "ko_log::life";

/// A running lifecycle timer: logs `Begin: <label>` when made, and `End (s.ss): <label>`
/// (or `Failed`, `Panicked`, `Cancelled`) when it ends. See the [module docs](self).
///
/// Made by `#[ko_log::life]` around a function, by `ko_log::life_guard!` for a block, and
/// by [`Life::scope`] for a future:
///
/// ```
/// # fn run_query() {}
/// fn handle() {
///     let _life = ko_log::life_guard!("Database query", fields(table = "users"));
///     run_query();
/// } // End (0.00): Database query table=users elapsed_ms=0.0021
/// ```
#[must_use = "a life ends when it is dropped: bind it with `let _life = ...`"]
#[derive(Debug)]
pub struct Life {
    /// Boxed so that a disabled life is one null pointer to move and check.
    active: Option<Box<Active>>,
}

/// The state of an enabled life.
#[derive(Debug)]
struct Active {
    site: Site,
    fields: Vec<(&'static str, Value)>,
    /// The error fields' chains, in order: what `log` is handed for them.
    chains: Vec<Chain>,
    start: Instant,
    /// What a drop without an explicit end means: `End` for a block, `Cancelled` for the
    /// body of an async function or a scoped future.
    on_drop: Ending,
    /// Whether a panic was already unwinding when the life started (a life inside a
    /// `Drop` run by unwinding must not report `Panicked` for someone else's panic).
    panicking_at_start: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    End,
    Cancelled,
}

/// How a life ended.
enum Outcome<'e> {
    End,
    Failed(kv::Value<'e>),
    Panicked,
    Cancelled,
}

impl Life {
    /// Starts a life at `site` whose drop means `End` (a function or a block), evaluating
    /// `fields` only when the site's level is enabled. Used by the macros.
    #[doc(hidden)]
    #[inline]
    pub fn start<F>(site: &'static Site, fields: F) -> Life
    where
        F: FnOnce(&mut Vec<(&'static str, Value)>),
    {
        if enabled(site) {
            Life::begin(*site, Ending::End, fields)
        } else {
            Life { active: None }
        }
    }

    /// Like [`Life::start`], for the body of an `async fn`: a drop before
    /// [`Life::end`]/[`Life::finish`] means the future was cancelled.
    #[doc(hidden)]
    #[inline]
    pub fn start_async<F>(site: &'static Site, fields: F) -> Life
    where
        F: FnOnce(&mut Vec<(&'static str, Value)>),
    {
        if enabled(site) {
            Life::begin(*site, Ending::Cancelled, fields)
        } else {
            Life { active: None }
        }
    }

    /// A life that logs nothing (what a `life_guard!` with errors expands to).
    #[doc(hidden)]
    pub fn disabled() -> Life {
        Life { active: None }
    }

    /// Evaluates the fields (the only part generic over the call site), then begins.
    fn begin<F>(site: Site, on_drop: Ending, fields: F) -> Life
    where
        F: FnOnce(&mut Vec<(&'static str, Value)>),
    {
        let mut values = Vec::new();
        fields(&mut values);
        Life::begin_with(site, on_drop, values)
    }

    /// Logs `Begin` and starts the clock.
    fn begin_with(site: Site, on_drop: Ending, values: Vec<(&'static str, Value)>) -> Life {
        let chains = Chain::of_errors(&values);
        let kvs = Kvs {
            fields: &values,
            chains: &chains,
            elapsed_ms: None,
            error: None,
        };
        log::logger().log(
            &Record::builder()
                .args(format_args!("Begin: {}", site.label))
                .level(site.level)
                .target(site.target)
                .module_path_static(site.module_path)
                .file_static(Some(site.file))
                .line(Some(site.line))
                .key_values(&kvs)
                .build(),
        );
        Life {
            active: Some(Box::new(Active {
                site,
                fields: values,
                chains,
                start: Instant::now(),
                on_drop,
                panicking_at_start: std::thread::panicking(),
            })),
        }
    }

    /// Whether this life logs anything (its level was enabled when it started).
    pub fn is_enabled(&self) -> bool {
        self.active.is_some()
    }

    /// Ends the life now with `End (s.ss): <label>` (what dropping a block's life does).
    pub fn end(mut self) {
        if let Some(active) = self.active.take() {
            active.emit(Outcome::End);
        }
    }

    /// Ends the life now with `Failed (s.ss): <label>` at error level, with `error` (and
    /// its `source()` chain) as the field `error`.
    pub fn fail(mut self, error: &(dyn StdError + 'static)) {
        if let Some(active) = self.active.take() {
            active.emit(Outcome::Failed(kv::Value::from_dyn_error(error)));
        }
    }

    /// Ends the life: `Failed` with `error` as the field `error` when there is one, `End`
    /// otherwise. Used by the macros.
    #[doc(hidden)]
    pub fn finish(mut self, error: Option<kv::Value<'_>>) {
        if let Some(active) = self.active.take() {
            active.emit(match error {
                Some(error) => Outcome::Failed(error),
                None => Outcome::End,
            });
        }
    }

    /// Times `future` as a life labelled `label` at `info` level under the target
    /// [`SCOPE_TARGET`], with the caller's file and line: `Begin` when it is first
    /// polled, `End` when it completes, `Panicked` if polling it panics, `Cancelled` if it
    /// is dropped before completing.
    ///
    /// For another level, target or fields, start the life with `ko_log::life_guard!`
    /// and hand it the future with [`Life::around`].
    ///
    /// ```
    /// # async fn fetch() -> u32 { 7 }
    /// # async fn run() {
    /// let n = ko_log::Life::scope("Fetch", fetch()).await;
    /// # }
    /// ```
    #[track_caller]
    pub fn scope<F: Future>(label: &'static str, future: F) -> impl Future<Output = F::Output> {
        let caller = Location::caller();
        let site = Site {
            label,
            level: Level::Info,
            target: SCOPE_TARGET,
            module_path: None,
            file: caller.file(),
            line: caller.line(),
        };
        async move {
            let life = if enabled(&site) {
                Life::begin(site, Ending::Cancelled, |_| {})
            } else {
                Life { active: None }
            };
            let output = future.await;
            life.end();
            output
        }
    }

    /// Makes this life the life of `future`: it ends with `End` when the future completes,
    /// `Panicked` if polling it panics, and `Cancelled` if the future is dropped before
    /// completing. The life has started already (its `Begin` is logged), so the elapsed
    /// time counts from `life_guard!`, not from the first poll.
    ///
    /// ```
    /// # async fn fetch(url: &str) -> usize { url.len() }
    /// # async fn run() {
    /// let url = "https://example.com";
    /// let life = ko_log::life_guard!("Fetch", level = "debug", fields(url));
    /// let size = life.around(fetch(url)).await;
    /// # }
    /// ```
    pub fn around<F: Future>(mut self, future: F) -> impl Future<Output = F::Output> {
        if let Some(active) = &mut self.active {
            active.on_drop = Ending::Cancelled;
        }
        async move {
            let life = self;
            let output = future.await;
            life.end();
            output
        }
    }
}

impl Drop for Life {
    /// Inlined so a disabled life's drop is a null check at the call site.
    #[inline]
    fn drop(&mut self) {
        if self.active.is_some() {
            self.end_on_drop();
        }
    }
}

impl Life {
    /// The out-of-line part of dropping an enabled life.
    #[inline(never)]
    fn end_on_drop(&mut self) {
        if let Some(active) = self.active.take() {
            active.dropped();
        }
    }
}

/// Whether a life at `site` would be logged: the check `log::log_enabled!` makes.
#[inline]
fn enabled(site: &Site) -> bool {
    site.level <= log::STATIC_MAX_LEVEL
        && site.level <= log::max_level()
        && log::logger().enabled(
            &Metadata::builder()
                .level(site.level)
                .target(site.target)
                .build(),
        )
}

impl Active {
    /// Ends a life dropped without an explicit end.
    fn dropped(&self) {
        let outcome = if std::thread::panicking() && !self.panicking_at_start {
            Outcome::Panicked
        } else if self.on_drop == Ending::Cancelled {
            Outcome::Cancelled
        } else {
            Outcome::End
        };
        self.emit(outcome);
    }

    fn emit(&self, outcome: Outcome<'_>) {
        let elapsed = self.start.elapsed();
        let (level, word, error) = match outcome {
            Outcome::End => (self.site.level, "End", None),
            Outcome::Failed(error) => (Level::Error, "Failed", Some(error)),
            Outcome::Panicked => (Level::Error, "Panicked", None),
            Outcome::Cancelled => (self.site.level.min(Level::Warn), "Cancelled", None),
        };
        if level > log::max_level() {
            return;
        }
        let kvs = Kvs {
            fields: &self.fields,
            chains: &self.chains,
            elapsed_ms: Some(elapsed_ms(elapsed)),
            error,
        };
        log::logger().log(
            &Record::builder()
                .args(format_args!(
                    "{word} ({:.2}): {}",
                    elapsed.as_secs_f64(),
                    self.site.label
                ))
                .level(level)
                .target(self.site.target)
                .module_path_static(self.site.module_path)
                .file_static(Some(self.site.file))
                .line(Some(self.site.line))
                .key_values(&kvs)
                .build(),
        );
    }
}

/// The elapsed time in milliseconds, to the nanosecond (divided, not multiplied, so a
/// whole number of microseconds prints as such: `60.29547`, not `60.295469999999995`).
fn elapsed_ms(elapsed: Duration) -> f64 {
    elapsed.as_nanos() as f64 / 1_000_000.0
}

/// The key-values of one life record: the life's fields, then `elapsed_ms`, then `error`.
struct Kvs<'a> {
    fields: &'a [(&'static str, Value)],
    /// The chain of each error field, in order.
    chains: &'a [Chain],
    elapsed_ms: Option<f64>,
    error: Option<kv::Value<'a>>,
}

impl kv::Source for Kvs<'_> {
    fn visit<'kvs>(&'kvs self, visitor: &mut dyn VisitSource<'kvs>) -> Result<(), kv::Error> {
        let mut chains = self.chains.iter();
        for (key, value) in self.fields {
            let value = match value {
                Value::Error(_) => chains
                    .next()
                    .map_or_else(kv::Value::null, |chain| kv::Value::from_dyn_error(chain)),
                Value::Null => kv::Value::null(),
                Value::Bool(v) => kv::Value::from(*v),
                Value::I64(v) => kv::Value::from(*v),
                Value::U64(v) => kv::Value::from(*v),
                Value::F64(v) => kv::Value::from(*v),
                Value::Str(v) => kv::Value::from(&**v),
                other => kv::Value::from_display(other),
            };
            visitor.visit_pair(Key::from_str_static(key), value)?;
        }
        if let Some(ms) = self.elapsed_ms {
            visitor.visit_pair(Key::from_str_static("elapsed_ms"), kv::Value::from(ms))?;
        }
        if let Some(error) = &self.error {
            visitor.visit_pair(Key::from_str_static("error"), error.clone())?;
        }
        Ok(())
    }

    fn count(&self) -> usize {
        self.fields.len()
            + usize::from(self.elapsed_ms.is_some())
            + usize::from(self.error.is_some())
    }
}

/// Support for the code `#[ko_log::life]` and `ko_log::life_guard!` generate; not public
/// API (reached as `ko_log::__private::life`).
#[doc(hidden)]
pub mod __private {
    use std::error::Error as StdError;
    use std::fmt;

    use log::kv::{self, ToValue};
    use log::Level;

    use crate::capture::capture_value;
    use crate::event::{ErrorValue, Value};

    pub use super::Life;

    /// A life's call site and settings, a `static` in the generated code.
    #[derive(Debug, Clone, Copy)]
    pub struct Site {
        /// The label (`"Database migration"`).
        pub label: &'static str,
        /// The level of `Begin` and `End`.
        pub level: Level,
        /// The `log` target (by default the module path).
        pub target: &'static str,
        /// The module path of the call site.
        pub module_path: Option<&'static str>,
        /// The source file.
        pub file: &'static str,
        /// The source line.
        pub line: u32,
    }

    /// `key = value`: a value with `log`'s `ToValue` (numbers, strings, booleans, options).
    pub fn value<T: ToValue + ?Sized>(value: &T) -> Value {
        capture_value(&value.to_value())
    }

    /// `key:% = value`: the value's `Display`.
    pub fn display<T: fmt::Display + ?Sized>(value: &T) -> Value {
        capture_value(&kv::Value::from_display(&value))
    }

    /// `key:? = value`: the value's `Debug`.
    pub fn debug<T: fmt::Debug + ?Sized>(value: &T) -> Value {
        capture_value(&kv::Value::from_debug(&value))
    }

    /// `key:err = value`: an error, with its `source()` chain (logged as an error again,
    /// through its [`Chain`]).
    pub fn error(value: &(dyn StdError + 'static)) -> Value {
        capture_value(&kv::Value::from_dyn_error(value))
    }

    /// An owned copy of an error and its `source()` chain that is itself an error.
    #[derive(Debug)]
    pub struct Chain {
        message: String,
        source: Option<Box<Chain>>,
    }

    impl Chain {
        /// The chain of each error among `fields`, in order.
        pub(crate) fn of_errors(fields: &[(&'static str, Value)]) -> Vec<Chain> {
            let errors = fields.iter().filter_map(|(_, value)| match value {
                Value::Error(captured) => Some(Chain::from_captured((**captured).clone())),
                _ => None,
            });
            errors.collect()
        }

        fn from_captured(captured: ErrorValue) -> Chain {
            let mut source = None;
            for message in captured.sources.into_iter().rev() {
                source = Some(Box::new(Chain { message, source }));
            }
            Chain {
                message: captured.message,
                source,
            }
        }
    }

    impl fmt::Display for Chain {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(&self.message)
        }
    }

    impl StdError for Chain {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            self.source
                .as_deref()
                .map(|s| s as &(dyn StdError + 'static))
        }
    }

    /// The `Err` of a function's `Result`, on its way to the `error` field. Which of the
    /// traits below applies is decided by autoref at the call site:
    /// `(&&&ErrorField(e)).ko_log_error_value()` takes an error as an error (with its
    /// chain), else its `Display`, else its `Debug`, else its type name.
    pub struct ErrorField<'a, E: ?Sized>(pub &'a E);

    impl<E: ?Sized> Clone for ErrorField<'_, E> {
        fn clone(&self) -> Self {
            *self
        }
    }

    impl<E: ?Sized> Copy for ErrorField<'_, E> {}

    /// `E: Error + 'static`: logged as an error value.
    pub trait ViaError<'a> {
        /// The `log` value.
        fn ko_log_error_value(self) -> kv::Value<'a>;
    }

    /// `E: Display`: logged as text.
    pub trait ViaDisplay<'a> {
        /// The `log` value.
        fn ko_log_error_value(self) -> kv::Value<'a>;
    }

    /// `E: Debug`: logged as its debug form.
    pub trait ViaDebug<'a> {
        /// The `log` value.
        fn ko_log_error_value(self) -> kv::Value<'a>;
    }

    /// Anything else: logged as its type name.
    pub trait ViaTypeName<'a> {
        /// The `log` value.
        fn ko_log_error_value(self) -> kv::Value<'a>;
    }

    impl<'a, E: StdError + 'static> ViaError<'a> for &&&ErrorField<'a, E> {
        fn ko_log_error_value(self) -> kv::Value<'a> {
            kv::Value::from_dyn_error(self.0)
        }
    }

    impl<'a, E: fmt::Display> ViaDisplay<'a> for &&ErrorField<'a, E> {
        fn ko_log_error_value(self) -> kv::Value<'a> {
            kv::Value::from_display(self.0)
        }
    }

    impl<'a, E: fmt::Debug> ViaDebug<'a> for &ErrorField<'a, E> {
        fn ko_log_error_value(self) -> kv::Value<'a> {
            kv::Value::from_debug(self.0)
        }
    }

    impl<'a, E: ?Sized> ViaTypeName<'a> for ErrorField<'a, E> {
        fn ko_log_error_value(self) -> kv::Value<'a> {
            kv::Value::from(std::any::type_name::<E>())
        }
    }

    /// What `#[life]` needs of a return type to log `Failed`: being a `Result`.
    #[diagnostic::on_unimplemented(
        message = "#[ko_log::life(err = true)] needs a function returning `Result`, not `{Self}`",
        label = "not a `Result`",
        note = "remove `err = true`: a function that does not return `Result` always ends with `End`"
    )]
    pub trait LifeResult {
        /// The error type.
        type Error;
        /// The error, when this is an `Err`.
        fn life_error(&self) -> Option<&Self::Error>;
    }

    impl<T, E> LifeResult for Result<T, E> {
        type Error = E;
        #[inline]
        fn life_error(&self) -> Option<&E> {
            self.as_ref().err()
        }
    }

    /// Calls `body` once. The generated code runs a `Result` function's body through it,
    /// so the closure is `FnOnce` (a body may return a borrow of a moved-in `&mut self`)
    /// and its return type comes from the function's.
    #[inline(always)]
    pub fn call_once<R, F: FnOnce() -> R>(body: F) -> R {
        body()
    }
}

#[cfg(test)]
mod tests {
    use std::fmt;

    use super::__private::*;
    use super::*;
    use crate::event::Value;

    #[derive(Debug)]
    struct Outer(std::io::Error);
    impl fmt::Display for Outer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("migration failed")
        }
    }
    impl StdError for Outer {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn an_error_field_keeps_its_chain() {
        let err = Outer(std::io::Error::other("disk full"));
        let chains = Chain::of_errors(&[("error", error(&err))]);
        let [chain] = &chains[..] else {
            panic!("not captured as an error");
        };
        assert_eq!(chain.to_string(), "migration failed");
        assert_eq!(
            chain.source().map(ToString::to_string).as_deref(),
            Some("disk full")
        );
        assert!(chain.source().and_then(StdError::source).is_none());
    }

    #[test]
    fn field_values_keep_their_kind() {
        let text = String::from("ana");
        let cases = [
            (value(&7u32).to_string(), "7"),
            (value(&text).to_string(), "ana"),
            (value(&Some(1.5f64)).to_string(), "1.5"),
            (
                display(&std::net::Ipv4Addr::LOCALHOST).to_string(),
                "127.0.0.1",
            ),
            (debug(&vec![1, 2]).to_string(), "[1, 2]"),
        ];
        for (got, expected) in cases {
            assert_eq!(got, expected);
        }
        assert!(matches!(value(&7u32), Value::U64(7)));
        assert!(matches!(value(&-7i8), Value::I64(-7)));
    }

    #[test]
    #[allow(clippy::needless_borrow)] // autoref picks the impl: the borrows are the point
    fn the_error_value_is_chosen_by_what_the_error_implements() {
        #[derive(Debug)]
        struct OnlyDebug;
        struct Nothing;
        let io = std::io::Error::other("boom");
        let as_error = (&&&ErrorField(&io)).ko_log_error_value();
        assert!(as_error.to_borrowed_error().is_some());
        let as_display = (&&&ErrorField(&"text")).ko_log_error_value();
        assert_eq!(as_display.to_string(), "text");
        let as_debug = (&&&ErrorField(&OnlyDebug)).ko_log_error_value();
        assert_eq!(as_debug.to_string(), "OnlyDebug");
        let as_name = (&&&ErrorField(&Nothing)).ko_log_error_value();
        assert!(as_name.to_string().ends_with("Nothing"));
    }

    #[test]
    fn a_disabled_life_does_nothing() {
        static SITE: Site = Site {
            label: "x",
            level: Level::Trace,
            target: "nowhere",
            module_path: None,
            file: file!(),
            line: line!(),
        };
        // No logger is installed in unit tests: every level is disabled.
        let mut evaluated = false;
        let life = Life::start(&SITE, |_| evaluated = true);
        assert!(!life.is_enabled());
        drop(life);
        assert!(!evaluated);
    }

    #[test]
    fn elapsed_is_reported_in_milliseconds() {
        assert_eq!(elapsed_ms(Duration::from_micros(1500)), 1.5);
        assert_eq!(
            elapsed_ms(Duration::from_nanos(60_295_470)).to_string(),
            "60.29547"
        );
    }
}
