//! The tracing bridge (feature `tracing`): tracing events into ko-log's pipeline.
//!
//! [`layer()`] is a `tracing_subscriber` layer for a registry. Each tracing event it
//! receives becomes a ko-log record that takes the same path as a `log` record: routed by
//! target and level through the installed backend's loggers, held at a raised `block`
//! hold, queued under the queue's backpressure, counted in [`crate::stats`], then run
//! through each handler's processors and renderer. tokio, hyper or axum instrumentation
//! thus lands in the same files, with the same counters, as `log::info!`.
//!
//! ```
//! # #[cfg(feature = "tracing")] {
//! use tracing_subscriber::layer::SubscriberExt as _;
//!
//! let _guard = ko_log::init_default()?;
//! tracing::subscriber::set_global_default(
//!     tracing_subscriber::registry().with(ko_log::tracing::layer()),
//! )?;
//! tracing::info!(user_id = 7, "Processing request");
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Set the subscriber with `set_global_default`, not tracing-subscriber's `.init()`:
//! with its default `tracing-log` feature, `.init()` also claims `log`'s global logger,
//! which ko-log holds. docs/TRACING.md in the repository has the whole story.
//!
//! - The event's `message` field is the message; every other field is a key-value of
//!   the same kind (`i64`, `u64`, `f64`, `bool`, text; a 128-bit integer as `log`'s are;
//!   `record_error` an error with its `source()` chain; `record_debug` the `Debug` text).
//!   Target, level, file, line, module path and thread are those of the call site.
//! - Span fields are scoped context: the fields of every span the event is in, innermost
//!   first, join the event's own key-values without replacing any (the event's field
//!   wins, then the nearer span's), then ko-log's own scoped context, the loggers'
//!   `context` and so on, as for a `log` record. A span's later `record` of a field
//!   replaces its value for the events that follow. The names of those spans, outermost
//!   first, are one text field, [`SPANS_KEY`] (`spans = "outer:inner"`), added last.
//! - Trace context: when the event's fields and its spans' (as merged above) hold
//!   OpenTelemetry ids, `trace_id` (32 hex digits) and `span_id` (16), with an optional
//!   `trace_flags` (2, else `00`), that make a valid W3C context, they become the
//!   record's trace context ([`crate::TraceContext`]) instead of plain fields: rendered
//!   as such in every format, the OTLP LogRecord's own ids among them. With the feature
//!   `opentelemetry` too, the current OpenTelemetry span (set by a layer that makes its
//!   span's context current on enter) is read as for a `log` record.
//! - A level scope ([`crate::with_level`]) does not reach tracing events: a callsite
//!   that the loggers refuse is disabled for good.
//! - Filtering is per layer ([`LoggerLevels`]): ko-log's loggers decide which events and
//!   spans ko-log sees, and a callsite none of them accepts is disabled for good, so it
//!   costs nothing; other layers in the same subscriber keep their own filters. A span
//!   whose level its logger refuses is not recorded, and its fields join no event.
//! - Without an installed ko-log (before init, or after a failed one) the layer does
//!   nothing. After the [`crate::Guard`] is dropped, an event is counted as dropped, as
//!   a `log` record is. The layer never panics and never waits but where a `log` record
//!   would (a raised hold, a full queue under `block`).

use std::borrow::Cow;
use std::fmt;

use log::kv;
use tracing_core::field::{Field, Visit};
use tracing_core::span::{Attributes, Id, Record};
use tracing_core::subscriber::Interest;
use tracing_core::{Event, Level, LevelFilter, Metadata, Subscriber};
use tracing_subscriber::filter::Filtered;
use tracing_subscriber::layer::{Context, Filter, Layer};
use tracing_subscriber::registry::LookupSpan;

use crate::caller::backend::{self, Backend};
use crate::capture::{self, Text};
use crate::event::{Fields, Value};
use crate::{context, trace::TraceContext};

/// The key of the span names added to each event inside spans: the names of the spans
/// it is in, outermost first, joined by `:` (`"outer:inner"`), as tracing-subscriber's
/// own formatter prints them. A field of that name on the event or a span wins.
pub const SPANS_KEY: &str = "spans";

/// The bridge as it is usually installed: [`KoLogLayer`] filtered by [`LoggerLevels`].
///
/// ```
/// # #[cfg(feature = "tracing")] {
/// use tracing_subscriber::layer::SubscriberExt as _;
///
/// let subscriber = tracing_subscriber::registry().with(ko_log::tracing::layer());
/// # drop(subscriber);
/// # }
/// ```
pub fn layer<S>() -> Filtered<KoLogLayer, LoggerLevels, S>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    KoLogLayer::new().with_filter(LoggerLevels::new())
}

/// A `tracing_subscriber` layer that turns each tracing event into a ko-log record and
/// keeps span fields as their events' context (see [the module docs](self)).
///
/// It does not filter the subscriber: wrap it in a filter, [`LoggerLevels`] as
/// [`layer()`] does, or one of your own, or use it bare. Either way an event goes
/// through ko-log's routes and a span is kept only when its logger accepts its level,
/// so a target whose logger refuses a level writes nothing. Bare, every event reaches
/// the layer and is refused there (a route lookup): use it so when another layer of
/// the subscriber has a filter that decides per event (tracing-subscriber can then
/// skip an event for a per-layer-filtered layer after an `enabled!` check,
/// tokio-rs/tracing#2519).
#[derive(Debug, Default, Clone, Copy)]
pub struct KoLogLayer {
    _private: (),
}

impl KoLogLayer {
    /// The layer, unfiltered.
    pub fn new() -> KoLogLayer {
        KoLogLayer::default()
    }
}

/// The levels of the installed backend's loggers as a per-layer filter: an event or span
/// is enabled when the logger of its target accepts its level.
///
/// Once ko-log is installed, tracing caches each callsite's answer (`always` or
/// `never`), so a refused callsite costs nothing; ko-log's init rebuilds that cache, so
/// a subscriber set before init filters by the loggers of the config it installs. Before
/// init every callsite is asked again at each use and let through (to a layer that then
/// does nothing with it): an answer of "no" there would leave tracing-subscriber's
/// per-layer state stale after a `tracing::enabled!` check, and cost the next event
/// (tokio-rs/tracing#2519).
#[derive(Debug, Default, Clone, Copy)]
pub struct LoggerLevels {
    _private: (),
}

impl LoggerLevels {
    /// The filter.
    pub fn new() -> LoggerLevels {
        LoggerLevels::default()
    }
}

impl<S> Filter<S> for LoggerLevels {
    fn enabled(&self, metadata: &Metadata<'_>, _: &Context<'_, S>) -> bool {
        backend::installed().is_none_or(|backend| accepts(backend, metadata))
    }

    fn callsite_enabled(&self, metadata: &'static Metadata<'static>) -> Interest {
        match backend::installed() {
            None => Interest::sometimes(),
            Some(backend) if accepts(backend, metadata) => Interest::always(),
            Some(_) => Interest::never(),
        }
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        backend::installed().map(|backend| level_filter(backend.max_level()))
    }
}

/// Whether `backend`'s logger of `metadata`'s target accepts its level.
fn accepts(backend: &Backend, metadata: &Metadata<'_>) -> bool {
    log::Log::enabled(
        backend,
        &log::Metadata::builder()
            .level(log_level(metadata.level()))
            .target(metadata.target())
            .build(),
    )
}

fn log_level(level: &Level) -> log::Level {
    if *level == Level::ERROR {
        log::Level::Error
    } else if *level == Level::WARN {
        log::Level::Warn
    } else if *level == Level::INFO {
        log::Level::Info
    } else if *level == Level::DEBUG {
        log::Level::Debug
    } else {
        log::Level::Trace
    }
}

fn level_filter(filter: log::LevelFilter) -> LevelFilter {
    match filter {
        log::LevelFilter::Off => LevelFilter::OFF,
        log::LevelFilter::Error => LevelFilter::ERROR,
        log::LevelFilter::Warn => LevelFilter::WARN,
        log::LevelFilter::Info => LevelFilter::INFO,
        log::LevelFilter::Debug => LevelFilter::DEBUG,
        log::LevelFilter::Trace => LevelFilter::TRACE,
    }
}

/// Rebuilds tracing's cache of callsite answers: called by init once the backend is
/// installed, so that [`LoggerLevels`] answers with the new loggers.
pub(crate) fn loggers_changed() {
    tracing_core::callsite::rebuild_interest_cache();
}

/// A span's own fields, kept in its registry extensions.
#[derive(Debug)]
struct SpanFields(Vec<(&'static str, Value)>);

impl<S> Layer<S> for KoLogLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        // Checked here too for a layer without `LoggerLevels` in front of it.
        if !backend::installed().is_some_and(|backend| accepts(backend, attrs.metadata())) {
            return;
        }
        let mut fields = Vec::with_capacity(attrs.metadata().fields().len());
        attrs.record(&mut Collect {
            fields: &mut fields,
            message: None,
        });
        // Kept even when empty: it marks the span as one of ko-log's.
        if let Some(span) = ctx.span(id) {
            // `replace`, not `insert` (which panics when the value is there already, as
            // with the same layer twice in one subscriber).
            span.extensions_mut().replace(SpanFields(fields));
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        if backend::installed().is_none() {
            return;
        }
        // Visited before the span is locked: a `Debug` impl may log in this very span.
        let mut update = Vec::new();
        values.record(&mut Collect {
            fields: &mut update,
            message: None,
        });
        let Some(span) = ctx.span(id) else {
            return;
        };
        if update.is_empty() {
            return;
        }
        // A span without its fields was refused (or opened before init): left alone.
        let mut extensions = span.extensions_mut();
        if let Some(SpanFields(fields)) = extensions.get_mut::<SpanFields>() {
            for (key, value) in update {
                fields.put(key, value);
            }
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let Some(backend) = backend::installed() else {
            return;
        };
        let metadata = event.metadata();
        let level = log_level(metadata.level());
        let routed = log::Record::builder()
            .level(level)
            .target(metadata.target())
            .build();
        backend.submit_with(&routed, || {
            let mut fields = Fields::with_capacity(metadata.fields().len());
            let mut message = None;
            event.record(&mut Collect {
                fields: &mut fields,
                message: Some(&mut message),
            });
            if let Some(scope) = ctx.event_scope(event) {
                let mut names: Vec<&'static str> = Vec::new();
                for span in scope {
                    let extensions = span.extensions();
                    // Spans ko-log's loggers refused have no fields kept, and are skipped.
                    let Some(SpanFields(own)) = extensions.get::<SpanFields>() else {
                        continue;
                    };
                    names.push(span.name());
                    for (key, value) in own {
                        if fields.get(key).is_none() {
                            fields.push_unchecked(Cow::Borrowed(key), value.clone());
                        }
                    }
                }
                if !names.is_empty() && fields.get(SPANS_KEY).is_none() {
                    names.reverse();
                    fields.push_unchecked(Cow::Borrowed(SPANS_KEY), Value::from(names.join(":")));
                }
            }
            let trace = take_trace(&mut fields);
            let captured = capture::capture_parts(
                level,
                Cow::Borrowed(metadata.target()),
                metadata.module_path().map(Cow::Borrowed),
                metadata.file().map(Cow::Borrowed),
                metadata.line(),
                message.unwrap_or_else(|| Text::literal("")),
                fields,
            );
            let scope = context::current();
            match trace {
                Some(trace) => (captured, Some(context::traced(scope.as_deref(), trace))),
                None => (captured, scope),
            }
        });
    }
}

/// The OpenTelemetry ids an event or its spans carry as fields (`trace_id`: 32 hex
/// digits, `span_id`: 16, and optionally `trace_flags`: 2, else `00`), taken out of
/// `fields` to become the record's trace context; `None`, and `fields` left as they
/// are, unless they make a valid W3C trace context.
fn take_trace(fields: &mut Fields) -> Option<TraceContext> {
    let text = |fields: &Fields, key: &str| match fields.get(key) {
        Some(Value::Str(text)) => Some(text.to_ascii_lowercase()),
        _ => None,
    };
    let trace_id = text(fields, "trace_id")?;
    let span_id = text(fields, "span_id")?;
    let flags = text(fields, "trace_flags");
    let trace = TraceContext::from_traceparent(&format!(
        "00-{trace_id}-{span_id}-{}",
        flags.as_deref().unwrap_or("00")
    ))
    .ok()?;
    for key in crate::trace::FIELD_NAMES {
        if key != "trace_flags" || flags.is_some() {
            fields.remove(key);
        }
    }
    Some(trace)
}

/// Where a visited field goes: the event's fields (the first value of a name wins, as
/// for `log`'s key-values) or a span's (the last one wins: a later `record` updates).
trait Put {
    fn put(&mut self, key: &'static str, value: Value);
}

impl Put for Fields {
    fn put(&mut self, key: &'static str, value: Value) {
        if self.get(key).is_none() {
            self.push_unchecked(Cow::Borrowed(key), value);
        }
    }
}

impl Put for Vec<(&'static str, Value)> {
    fn put(&mut self, key: &'static str, value: Value) {
        match self.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.push((key, value)),
        }
    }
}

/// Copies the fields of an event or span into owned [`Value`]s of the same kind; the
/// event's `message` field goes to `message` when there is one.
struct Collect<'a, P> {
    fields: &'a mut P,
    message: Option<&'a mut Option<Text>>,
}

impl<P: Put> Collect<'_, P> {
    /// Stores `value`, or takes it as the message when it is the event's `message`.
    fn store(&mut self, field: &Field, value: Value, text: impl FnOnce() -> Text) {
        match &mut self.message {
            Some(message) if field.name() == "message" => **message = Some(text()),
            _ => self.fields.put(field.name(), value),
        }
    }
}

impl<P: Put> Visit for Collect<'_, P> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.store(field, Value::F64(value), || {
            Text::of(&format_args!("{value}"))
        });
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.store(field, Value::I64(value), || {
            Text::of(&format_args!("{value}"))
        });
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.store(field, Value::U64(value), || {
            Text::of(&format_args!("{value}"))
        });
    }

    fn record_i128(&mut self, field: &Field, value: i128) {
        self.store(
            field,
            capture::capture_value(&kv::Value::from(value)),
            || Text::of(&format_args!("{value}")),
        );
    }

    fn record_u128(&mut self, field: &Field, value: u128) {
        self.store(
            field,
            capture::capture_value(&kv::Value::from(value)),
            || Text::of(&format_args!("{value}")),
        );
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.store(field, Value::Bool(value), || {
            Text::of(&format_args!("{value}"))
        });
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if self.message.is_some() && field.name() == "message" {
            self.store(field, Value::Null, || Text::of(&format_args!("{value}")));
        } else {
            self.fields
                .put(field.name(), Value::Str(Cow::Owned(value.to_owned())));
        }
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        if self.message.is_some() && field.name() == "message" {
            self.store(field, Value::Null, || Text::of(&format_args!("{value}")));
        } else {
            self.fields.put(
                field.name(),
                capture::capture_value(&kv::Value::from_dyn_error(value)),
            );
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if self.message.is_some() && field.name() == "message" {
            // `tracing::info!("{x}")` records its message as `format_args!`, whose
            // `Debug` is its text.
            self.store(field, Value::Null, || Text::of(&format_args!("{value:?}")));
        } else {
            self.fields.put(
                field.name(),
                capture::capture_value(&kv::Value::from_dyn_debug(value)),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_map_one_to_one() {
        let pairs = [
            (Level::ERROR, log::Level::Error),
            (Level::WARN, log::Level::Warn),
            (Level::INFO, log::Level::Info),
            (Level::DEBUG, log::Level::Debug),
            (Level::TRACE, log::Level::Trace),
        ];
        for (tracing, log) in pairs {
            assert_eq!(log_level(&tracing), log);
            assert_eq!(
                level_filter(log.to_level_filter()),
                LevelFilter::from(tracing)
            );
        }
        assert_eq!(level_filter(log::LevelFilter::Off), LevelFilter::OFF);
    }
}
