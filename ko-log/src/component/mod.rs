//! The contract between the core and its components: the three traits a handler, a
//! renderer and a processor implement, what a processor decides ([`Action`]), the
//! handle a handler is built with ([`Handle`]) and the hold it may raise ([`Hold`]).
//!
//! The core (the registry, the dispatcher, pipeline construction) knows components only
//! through this module; the built-in components (`handler/`, `render/`, `process/`)
//! and a user's import it and the registry, never the other way round. The public paths
//! stay where users find them (`ko_log::Handler`, `ko_log::render::Renderer`, …).

use std::fmt;
use std::time::SystemTime;

use crate::{error::Error, event::Event};

pub(crate) mod handle;
pub(crate) mod hold;

pub use handle::Handle;
pub use hold::Hold;

/// A destination for rendered records.
pub trait Handler: fmt::Debug + Send + 'static {
    /// Writes one rendered record. `line` is complete and ends with `\n`; `event` is the
    /// record it was rendered from (its `time` drives time-based rotation).
    fn write(&mut self, line: &[u8], event: &Event) -> Result<(), Error>;

    /// Writes out anything buffered. Called whenever the queue runs dry, so it must be
    /// quick: a handler with a thread of its own only nudges it here.
    fn flush(&mut self) -> Result<(), Error>;

    /// Called instead of [`Handler::flush`] for `log::logger().flush()` and at shutdown:
    /// returns when what was written before it is delivered (a network handler waits,
    /// bounded, for its destination to acknowledge). Defaults to [`Handler::flush`].
    fn sync(&mut self) -> Result<(), Error> {
        self.flush()
    }

    /// The renderer this handler gets when its config names none (`socket`: JSON lines;
    /// `syslog`: the bare message). `None`: the plain renderer, as for every handler. A
    /// config built in Rust gets it when its `renderer` is left at the default.
    fn default_renderer(&self) -> Option<ko_log_config::RendererConfig> {
        None
    }

    /// Whether the destination is an interactive terminal (the colored renderer's `auto`).
    fn is_terminal(&self) -> bool {
        false
    }

    /// Records this handler accepted but could not write (the lines buffered when a write
    /// failed), so far. The dispatcher reports their sum as [`crate::Stats::lost`].
    fn lost(&self) -> u64 {
        0
    }

    /// Whether this handler takes records, not lines (a database, a structured
    /// protocol): the dispatcher then runs no renderer for it and calls [`Handler::write`]
    /// with an empty `line`; the handler reads `event`. Its processors still run.
    fn structured(&self) -> bool {
        false
    }

    /// This handler's own figures for [`crate::Stats::handler`]: `lost`, and for a
    /// handler with a buffer or thread of its own, `dropped`, `sent`, `retries`,
    /// `reconnects`. The dispatcher reads them at every flush and counts `written` and
    /// `errors` itself (their values here are ignored).
    fn counts(&self) -> crate::stats::HandlerStats {
        crate::stats::HandlerStats {
            lost: self.lost(),
            ..crate::stats::HandlerStats::default()
        }
    }

    /// The [`Hold`] this handler raises when its own buffer is full under `backpressure =
    /// "block"`, asking the callers routed to it to wait instead of the dispatcher (see
    /// [`Hold`]). `None` (the default): the handler never asks anyone to wait. Read once,
    /// when the backend is built.
    fn hold(&self) -> Option<Hold> {
        None
    }
}

/// Turns events into bytes.
pub trait Renderer: fmt::Debug + Send + 'static {
    /// Appends one rendered record to `out`, ending with `\n`.
    fn render(&self, event: &Event, out: &mut Vec<u8>);

    /// Told once, before the first record, whether the handler writes to a terminal (the
    /// colored renderer colors only there by default). Does nothing unless overridden.
    fn terminal(&mut self, is_terminal: bool) {
        let _ = is_terminal;
    }
}

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
    /// reports itself later: see [`crate::process::RateLimit`]).
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
