//! slog + slog-term (`FullFormat` over a `PlainDecorator` over a `BufWriter<File>`) behind
//! slog-async, fed with `slog::info!` (native key-values in the `kv` scenario). slog has
//! no target; its line is `timestamp LEVEL message[, key: value]`. slog-term flushes its
//! decorator after every record (on slog-async's worker thread).

use std::fs::File;
use std::io::BufWriter;

use slog::{o, Drain};
use slog_async::OverflowStrategy;

use super::err;
use crate::workload::{timed, Ctx, Timings};

fn run(ctx: &Ctx, strategy: Option<OverflowStrategy>) -> Result<Timings, String> {
    let file = BufWriter::new(File::create(&ctx.file).map_err(err)?);
    let decorator = slog_term::PlainDecorator::new(file);
    let format = slog_term::FullFormat::new(decorator).build().fuse();
    let mut builder = slog_async::Async::new(format);
    if let Some(strategy) = strategy {
        builder = builder.overflow_strategy(strategy);
    }
    let (drain, guard) = builder.build_with_guard();
    let level = if ctx.scenario.enabled() {
        slog::Level::Info
    } else {
        slog::Level::Warning
    };
    let logger = slog::Logger::root(drain.filter_level(level).fuse(), o!());
    let produced = if ctx.scenario.kv() {
        ctx.drive(|i, user| {
            slog::info!(logger, "request {} handled for user {}", i, user;
                "user_id" => i, "path" => "/api/v1/items")
        })
    } else {
        ctx.drive(|i, user| slog::info!(logger, "request {} handled for user {}", i, user))
    };
    let finish = timed(|| {
        drop(logger);
        drop(guard);
    });
    Ok(Timings {
        produced,
        finish,
        extra: String::new(),
        ..Timings::default()
    })
}

pub fn block(ctx: &Ctx) -> Result<Timings, String> {
    run(ctx, Some(OverflowStrategy::Block))
}

pub fn default(ctx: &Ctx) -> Result<Timings, String> {
    run(ctx, None)
}
