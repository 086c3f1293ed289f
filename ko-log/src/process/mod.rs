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

use ko_log_config::ProcessorConfig;

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
pub use crate::component::{Action, Processor};

/// The processor one entry of a handler's `processors` list describes, found by its
/// `type` in the registry, ko-log's own and the `#[ko_log::processor]`s alike; a `type`
/// that no processor is registered under is refused with a config error listing the
/// known names.
pub fn build(config: &ProcessorConfig) -> Result<Box<dyn Processor>, crate::error::Error> {
    crate::registry::processor(&config.name, &config.params)
}
