//! tracing + tracing-subscriber's `fmt` layer + tracing-appender's `non_blocking` writer,
//! fed with `tracing::info!` (native fields in the `kv` scenario). The writer is a
//! `BufWriter<File>`: tracing-appender's worker flushes it whenever its queue runs dry
//! and at shutdown, so buffering is safe and is tracing's best case.

use std::fs::File;
use std::io::BufWriter;

use tracing_appender::non_blocking::NonBlockingBuilder;

use super::err;
use crate::workload::{timed, Ctx, Timings};

fn run(ctx: &Ctx, lossy: bool) -> Result<Timings, String> {
    let file = BufWriter::new(File::create(&ctx.file).map_err(err)?);
    let (writer, guard) = NonBlockingBuilder::default().lossy(lossy).finish(file);
    let level = if ctx.scenario.enabled() {
        tracing::Level::INFO
    } else {
        tracing::Level::WARN
    };
    let subscriber = tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_max_level(level)
        .finish();
    tracing::subscriber::set_global_default(subscriber).map_err(err)?;
    let produced = if ctx.scenario.kv() {
        ctx.drive(|i, user| {
            tracing::info!(target: "bench", user_id = i, path = "/api/v1/items",
                "request {} handled for user {}", i, user)
        })
    } else {
        ctx.drive(
            |i, user| tracing::info!(target: "bench", "request {} handled for user {}", i, user),
        )
    };
    let finish = timed(|| drop(guard));
    Ok(Timings {
        produced,
        finish,
        extra: String::new(),
        ..Timings::default()
    })
}

pub fn lossless(ctx: &Ctx) -> Result<Timings, String> {
    run(ctx, false)
}

pub fn lossy(ctx: &Ctx) -> Result<Timings, String> {
    run(ctx, true)
}
