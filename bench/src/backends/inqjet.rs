//! inqjet 1.2: one lock-free byte ring (`nexus-logbuf`, its default 64 KiB) drained by
//! one archiver thread into a `BufWriter<File>` (the archiver flushes it after every
//! pass that found records, and at shutdown, so buffering is safe), colors off,
//! `BackpressureMode::Backoff` (its default: a producer that finds the ring full spins,
//! then yields, until there is room; nothing is dropped).
//!
//! Two ways in, two backends:
//! - [`bridge`] (`inqjet`): `log::info!` through inqjet's `log` bridge, which formats
//!   the message on the caller into a per-thread `String` and copies it into the ring.
//!   The bridge renders no `log` key-values, so no `kv` run.
//! - [`native`] (`inqjet-native`, the `native` scenarios): `inqjet::info!`, whose
//!   proc macro copies the arguments as raw bytes (the `u64` as 8 bytes, the `&str`
//!   length-prefixed) and formats them on the archiver thread.
//!
//! Both write `<RFC 3339 UTC, ns> [INFO] bench:<line> request <i> handled for user
//! <user>`. `log::logger().flush()` is a no-op in inqjet; dropping the guard stops the
//! archiver, which drains the ring and flushes the writer before it is joined.

use std::fs::File;
use std::io::BufWriter;

use inqjet::{BackpressureMode, ColorMode, InqJetBuilder, InqJetGuard};

use super::{drive_facade, err, facade_level};
use crate::workload::{timed, Ctx, Produced, Timings};

fn run(ctx: &Ctx, drive: fn(&Ctx) -> Produced) -> Result<Timings, String> {
    let file = BufWriter::new(File::create(&ctx.file).map_err(err)?);
    // `build` also installs inqjet as the `log` logger and sets `log`'s max level.
    let guard: InqJetGuard = InqJetBuilder::default()
        .with_writer(file)
        .with_log_level(facade_level(ctx).into())
        .with_color_mode(ColorMode::Never)
        .with_backpressure(BackpressureMode::Backoff)
        .build()
        .map_err(err)?;
    let produced = drive(ctx);
    let finish = timed(|| {
        log::logger().flush();
        drop(guard);
    });
    Ok(Timings {
        produced,
        finish,
        extra: String::new(),
        ..Timings::default()
    })
}

/// `inqjet`: fed with `log::info!` through inqjet's `log` bridge.
pub fn bridge(ctx: &Ctx) -> Result<Timings, String> {
    run(ctx, |ctx| drive_facade!(ctx))
}

/// `inqjet-native`: fed with `inqjet::info!`.
pub fn native(ctx: &Ctx) -> Result<Timings, String> {
    run(ctx, |ctx| {
        ctx.drive(
            |i, user| inqjet::info!(target: "bench", "request {} handled for user {}", i, user),
        )
    })
}
