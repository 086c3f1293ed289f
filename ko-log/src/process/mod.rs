//! Processors: per-handler steps run on a record before it is rendered.
//!
//! Each handler runs its own processors in order on its own copy of the event, so a
//! processor that removes a key or drops a record affects that handler only. The
//! built-in ones, one module per family, each register there exactly as a user's
//! `#[ko_log::processor]` does (their params type, defaults, check and schema beside
//! them), and [`build`] finds any of them by name:
//!
//! | `type` | processor | effect |
//! | --- | --- | --- |
//! | `add_callsite` | [`AddCallsite`] | adds `file`, `line`, `module` fields |
//! | `add_context_defaults` | [`AddContextDefaults`] | adds fields the record lacks |
//! | `dict_tracebacks` | [`DictTracebacks`] | an error field becomes the list of its messages |
//! | `filter_by_level` | [`FilterByLevel`] | drops records below a level |
//! | `filter_keys` | [`FilterKeys`] | removes fields |
//! | `filter_markup` | [`FilterMarkup`] | strips `[bold]`-style tags from the message |
//! | `redact` | [`Redact`] | masks the values of sensitive keys |
//! | `rate_limit` | [`RateLimit`] | suppresses a key's records over its rate, counting them |
//!
//! Any other `type` names a custom processor, resolved through the same registry of
//! components (`#[ko_log::processor]`).
//!
//! A processor may have something to say on its own, without a record to act on (a rate
//! limiter's summary at the end of a window): it tells the dispatcher when through
//! [`Processor::due`], and the dispatcher, awake at that time even when no record comes,
//! calls [`Processor::tick`], whose records it runs through the processors after this
//! one and writes to the handler.

use std::fmt;
use std::time::SystemTime;

use ko_log_config::ProcessorConfig;

use crate::Event;

mod callsite;
mod context_defaults;
mod keys;
mod level;
mod markup;
mod rate_limit;
mod redact;
mod tracebacks;

pub use self::callsite::AddCallsite;
pub use self::context_defaults::AddContextDefaults;
pub use self::keys::FilterKeys;
pub use self::level::FilterByLevel;
pub use self::markup::FilterMarkup;
pub use self::rate_limit::RateLimit;
pub use self::redact::Redact;
pub use self::tracebacks::DictTracebacks;

/// What a processor decided about a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// Go on to the next processor and the renderer.
    Keep,
    /// Skip this record for this handler.
    Drop,
    /// Skip this record for this handler, counted in the handler's
    /// [`crate::HandlerStats::suppressed`] (a limit it was over, which the processor
    /// reports itself later: see [`RateLimit`]).
    Suppress,
}

/// A step of a handler's pipeline.
pub trait Processor: fmt::Debug + Send + 'static {
    /// Inspects or changes `event`; returns whether the handler keeps it.
    fn process(&mut self, event: &mut Event) -> Action;

    /// When this processor next has records of its own to add ([`Processor::tick`]), as
    /// wall-clock time; `None` (the default): nothing pending. The dispatcher wakes by
    /// then even when no record comes.
    fn due(&self) -> Option<SystemTime> {
        None
    }

    /// Called on the dispatcher at or after [`Processor::due`] (with `closing` false), and
    /// once more when the processor is replaced (a reload) or the handler closes (with
    /// `closing` true: say everything still pending). Pushes the records it adds to
    /// `out`; they go through the processors after this one, then to the handler.
    fn tick(&mut self, now: SystemTime, closing: bool, out: &mut Vec<Event>) {
        let _ = (now, closing, out);
    }
}

/// The processor one entry of a handler's `processors` list describes, found by its
/// `type` in the registry, ko-log's own and the `#[ko_log::processor]`s alike; a `type`
/// that no processor is registered under is refused with a config error listing the
/// known names.
pub fn build(config: &ProcessorConfig) -> Result<Box<dyn Processor>, crate::Error> {
    crate::registry::processor(&config.name, &config.params)
}

/// Entry `index` of handler `handler`'s processors, its params placed at
/// `handlers.HANDLER.processors[INDEX]` when it was built in Rust (read from a file, they
/// know where they are), so that their errors name their key.
pub(crate) fn placed(config: &ProcessorConfig, handler: &str, index: usize) -> ProcessorConfig {
    let path = ko_log_config::node::KeyPath::root()
        .key("handlers")
        .key(handler)
        .key("processors")
        .index(index);
    let mut config = config.clone();
    config.params = config.params.under(path);
    config
}

/// A processor made of a registered function's step.
pub(crate) struct Step<F> {
    name: &'static str,
    step: F,
}

impl<F> Step<F> {
    pub(crate) fn new(name: &'static str, step: F) -> Step<F> {
        Step { name, step }
    }
}

impl<F> fmt::Debug for Step<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Processor")
            .field("type", &self.name)
            .finish_non_exhaustive()
    }
}

impl<F> Processor for Step<F>
where
    F: FnMut(&mut Event) -> Action + Send + 'static,
{
    fn process(&mut self, event: &mut Event) -> Action {
        (self.step)(event)
    }
}
