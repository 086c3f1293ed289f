//! ticklog 0.1: a 1 MiB ring per producer thread (allocated on the thread's first
//! call), into which its macro encodes a binary record (the format string and file by
//! pointer, the arguments as they are); one drain thread, spinning when idle, decodes,
//! formats and timestamps each record and writes it to a `FileSink` (a 64 KiB
//! `BufWriter<File>`, flushed whenever the drain catches up, and at shutdown).
//! `Backpressure::Block`: a producer whose ring is full spins until there is room;
//! nothing is dropped.
//!
//! ticklog has no `log` bridge, so it runs the `native` scenarios only, fed with
//! `ticklog::info!`. Its level and backpressure are compile-time constants that
//! `configure!` hands to the macros (`max_level: Level::Info`). It has no target: its
//! default format, kept here, is `{timestamp} {level} {file}:{line} {message}`.
//! Dropping the guard drains every ring (those of exited threads too), flushes the
//! sink and joins the drain.
//!
//! The macro call itself is `crate::ticklog_drive`, in `main.rs`: `configure!` hands
//! the level and backpressure to the macros through two macros it exports at the crate
//! root, which only code in the crate root can name (`use crate::...` of a
//! macro-expanded `#[macro_export]` macro is refused, rust-lang/rust#52234).

use ticklog::FileSink;

use super::err;
use crate::workload::{timed, Ctx, Timings};

/// `ticklog`: fed with `ticklog::info!`.
pub fn native(ctx: &Ctx) -> Result<Timings, String> {
    let sink = FileSink::truncate(&ctx.file).map_err(err)?;
    // Full paths: the macros expand these two expressions where ticklog's macros are
    // called (`crate::ticklog_drive`).
    let guard = ticklog::configure! {
        sink: sink,
        max_level: ticklog::Level::Info,
        backpressure: ticklog::Backpressure::Block,
    }
    .map_err(err)?;
    let produced = crate::ticklog_drive(ctx);
    let finish = timed(|| drop(guard));
    Ok(Timings {
        produced,
        finish,
        extra: String::new(),
        ..Timings::default()
    })
}
