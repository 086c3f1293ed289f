//! Scoped context: fields that every record logged in a scope carries, from any crate.
//!
//! Two scopes, both captured on the caller thread at the moment of the `log` call, so the
//! dispatcher never sees another request's fields:
//!
//! - a thread scope, [`ContextGuard`] (`let _ctx = ko_log::context!(request_id = "abc");`):
//!   the fields apply to the current thread until the guard is dropped;
//! - a task scope, [`with_context`]: wraps a future so its fields apply while it is polled,
//!   on whichever executor thread polls it, across every `.await`. No async runtime is
//!   assumed.
//!
//! Scopes nest: an inner scope sees the outer fields plus its own, and an inner field
//! wins over an outer one of the same name. Precedence on a record, first wins: the
//! record's own key-values, then scoped context (inner before outer), then the logger's
//! `context` from the config (nearest logger first), then `add_context_defaults`.
//!
//! A scope can also carry a trace context ([`push_trace`], [`crate::with_trace`]): the
//! innermost one applies, and every record logged in it renders `trace_id`, `span_id`
//! and `trace_flags` (see [`crate::TraceContext`]). A level scope ([`push_level`],
//! [`crate::with_level`]) lets the records logged in it pass the loggers' levels down to
//! a given level.

use std::cell::RefCell;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use crate::event::{Str, Value};
use crate::trace::TraceContext;

pub use crate::level_scope::{push_level, with_level, LevelGuard, WithLevel};

/// A merged set of scoped fields (inner first) and the test sinks capturing in scope.
#[derive(Debug, Default)]
pub(crate) struct Frame {
    pub fields: Vec<(Str, Value)>,
    pub sinks: Vec<u64>,
    /// The innermost task scope ([`with_context`]) this frame is in, if any: a handler's
    /// `on_error` keeps records per task scope, else per thread.
    pub task: Option<Arc<TaskScope>>,
    /// The innermost trace context in scope, if any.
    pub trace: Option<TraceContext>,
}

/// The identity of one task scope (one [`with_context`] future): its records share it
/// on whichever thread they are logged, and it lives as long as the scope or a record of
/// it does (the dispatcher holds it weakly to know when it ended).
#[derive(Debug, Default)]
pub(crate) struct TaskScope;

impl Frame {
    /// `fields` over `parent`: new fields first, then the parent's not overridden. The
    /// frame is in `task`, or else in the parent's task scope.
    fn child(
        parent: Option<&Frame>,
        fields: Vec<(Str, Value)>,
        sink: Option<u64>,
        task: Option<Arc<TaskScope>>,
    ) -> Frame {
        let mut merged: Vec<(Str, Value)> = Vec::with_capacity(fields.len());
        for (key, value) in fields {
            match merged.iter_mut().find(|(k, _)| *k == key) {
                Some(slot) => slot.1 = value,
                None => merged.push((key, value)),
            }
        }
        let mut sinks = Vec::new();
        if let Some(parent) = parent {
            for (key, value) in &parent.fields {
                if !merged.iter().any(|(k, _)| k == key) {
                    merged.push((key.clone(), value.clone()));
                }
            }
            sinks.extend_from_slice(&parent.sinks);
        }
        sinks.extend(sink);
        Frame {
            fields: merged,
            sinks,
            task: task.or_else(|| parent.and_then(|parent| parent.task.clone())),
            trace: parent.and_then(|parent| parent.trace),
        }
    }
}

thread_local! {
    static CURRENT: RefCell<Option<Arc<Frame>>> = const { RefCell::new(None) };
}

/// The current thread's scoped context, if any (cheap: one `Arc` clone).
///
/// With the feature `opentelemetry`, a scope without a trace context of its own takes
/// the current OpenTelemetry span's, when there is one (a new frame: one allocation per
/// record logged in such a span).
#[inline]
pub(crate) fn current() -> Option<Arc<Frame>> {
    let frame = CURRENT
        .try_with(|current| current.try_borrow().ok().and_then(|c| c.clone()))
        .ok()
        .flatten();
    #[cfg(feature = "opentelemetry")]
    if frame.as_ref().is_none_or(|frame| frame.trace.is_none()) {
        if let Some(trace) = crate::trace::opentelemetry_current() {
            return Some(traced(frame.as_deref(), trace));
        }
    }
    frame
}

/// A frame with `parent`'s fields and sinks, and `trace` as its trace context.
pub(crate) fn traced(parent: Option<&Frame>, trace: TraceContext) -> Arc<Frame> {
    let mut frame = Frame::child(parent, Vec::new(), None, None);
    frame.trace = Some(trace);
    Arc::new(frame)
}

/// Replaces the current frame, returning the previous one.
fn replace(frame: Option<Arc<Frame>>) -> Option<Arc<Frame>> {
    CURRENT
        .try_with(|current| match current.try_borrow_mut() {
            Ok(mut current) => std::mem::replace(&mut *current, frame),
            Err(_) => None,
        })
        .ok()
        .flatten()
}

/// Pushes a scope with `fields` (and optionally a test sink) onto the current thread.
pub(crate) fn enter(fields: Vec<(Str, Value)>, sink: Option<u64>) -> ContextGuard {
    let parent = current();
    let frame = Frame::child(parent.as_deref(), fields, sink, None);
    ContextGuard {
        prev: replace(Some(Arc::new(frame))),
        _not_send: PhantomData,
    }
}

/// Keeps a thread scope of context fields alive; dropping it restores the outer scope.
///
/// Made by [`crate::context!`]. It is not `Send`: a scope belongs to one thread. For
/// async code, which may move between threads at each `.await`, use [`with_context`].
#[must_use = "the context applies only while the guard is alive: `let _ctx = ...`"]
#[derive(Debug)]
pub struct ContextGuard {
    prev: Option<Arc<Frame>>,
    _not_send: PhantomData<*const ()>,
}

impl Drop for ContextGuard {
    fn drop(&mut self) {
        replace(self.prev.take());
    }
}

/// Gives every record logged on this thread `trace` as its trace context until the
/// guard drops (the sync form of [`crate::with_trace`]).
///
/// ```
/// let ctx = ko_log::TraceContext::from_traceparent(
///     "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
/// )?;
/// let _trace = ko_log::context::push_trace(ctx);
/// log::info!("carries trace_id=4bf92f3577b34da6a3ce929d0e0e4736");
/// # Ok::<(), ko_log::TraceparentError>(())
/// ```
pub fn push_trace(trace: TraceContext) -> ContextGuard {
    let parent = current();
    ContextGuard {
        prev: replace(Some(traced(parent.as_deref(), trace))),
        _not_send: PhantomData,
    }
}

/// Runs `future` with `trace` as its trace context on every poll, on any thread (the
/// task form of [`push_trace`]; fields in scope where it is called are kept).
///
/// ```
/// # async fn handle() {}
/// # fn serve(header: &str) -> Result<(), ko_log::TraceparentError> {
/// let ctx = ko_log::TraceContext::from_traceparent(header)?;
/// let task = ko_log::with_trace(ctx, async {
///     log::info!("carries the request's trace_id and span_id");
///     handle().await;
/// });
/// # drop(task);
/// # Ok(())
/// # }
/// # serve("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").unwrap();
/// ```
pub fn with_trace<F: Future>(trace: TraceContext, future: F) -> WithContext<F> {
    let parent = current();
    WithContext {
        frame: traced(parent.as_deref(), trace),
        future: Some(Box::pin(future)),
    }
}

/// Adds `fields` to every record logged on this thread until the guard drops.
///
/// Most code uses the [`crate::context!`] macro instead.
pub fn push<K, V>(fields: impl IntoIterator<Item = (K, V)>) -> ContextGuard
where
    K: Into<Str>,
    V: Into<Value>,
{
    enter(collect(fields), None)
}

fn collect<K: Into<Str>, V: Into<Value>>(
    fields: impl IntoIterator<Item = (K, V)>,
) -> Vec<(Str, Value)> {
    fields
        .into_iter()
        .map(|(k, v)| (k.into(), v.into()))
        .collect()
}

/// Runs `future` with `fields` as scoped context on every poll, on any thread.
///
/// The fields are merged over the context current where `with_context` is called, so a
/// task spawned inside a request scope keeps that request's fields.
///
/// ```
/// # async fn handle() {}
/// let task = ko_log::with_context([("request_id", "abc")], async {
///     log::info!("seen with request_id=abc");
///     handle().await;
///     log::info!("still request_id=abc, whichever thread polls this");
/// });
/// # drop(task);
/// ```
pub fn with_context<K, V, F>(fields: impl IntoIterator<Item = (K, V)>, future: F) -> WithContext<F>
where
    K: Into<Str>,
    V: Into<Value>,
    F: Future,
{
    scoped(collect(fields), None, future)
}

pub(crate) fn scoped<F: Future>(
    fields: Vec<(Str, Value)>,
    sink: Option<u64>,
    future: F,
) -> WithContext<F> {
    let parent = current();
    WithContext {
        frame: Arc::new(Frame::child(
            parent.as_deref(),
            fields,
            sink,
            Some(Arc::default()),
        )),
        future: Some(Box::pin(future)),
    }
}

/// A future that carries scoped context ([`with_context`]).
///
/// The context also applies while the inner future is dropped, so a record logged by a
/// destructor (a cancelled `#[ko_log::life]` for instance) keeps its scope.
#[must_use = "futures do nothing unless polled"]
pub struct WithContext<F> {
    frame: Arc<Frame>,
    future: Option<Pin<Box<F>>>,
}

impl<F> std::fmt::Debug for WithContext<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WithContext")
            .field("fields", &self.frame.fields)
            .finish_non_exhaustive()
    }
}

impl<F: Future> Future for WithContext<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<F::Output> {
        let _scope = Restore::enter(&self.frame);
        match self.future.as_mut() {
            Some(future) => future.as_mut().poll(cx),
            None => Poll::Pending,
        }
    }
}

impl<F> Drop for WithContext<F> {
    fn drop(&mut self) {
        if let Some(future) = self.future.take() {
            let _scope = Restore::enter(&self.frame);
            drop(future);
        }
    }
}

/// Makes `frame` current until dropped, then restores the previous one (also when the
/// poll or drop it wraps panics).
struct Restore(Option<Option<Arc<Frame>>>);

impl Restore {
    fn enter(frame: &Arc<Frame>) -> Restore {
        Restore(Some(replace(Some(Arc::clone(frame)))))
    }
}

impl Drop for Restore {
    fn drop(&mut self) {
        if let Some(prev) = self.0.take() {
            replace(prev);
        }
    }
}

/// Adds key-values to every record logged on this thread until the returned guard drops.
///
/// ```
/// let _ctx = ko_log::context!(request_id = "abc", attempt = 2);
/// log::info!("carries request_id=abc attempt=2");
/// ```
#[macro_export]
macro_rules! context {
    ($($key:ident = $value:expr),* $(,)?) => {
        $crate::context::push([$(
            ($crate::__private::Cow::Borrowed(stringify!($key)), $crate::event::Value::from($value)),
        )*])
    };
}
