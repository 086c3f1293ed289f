//! spdlog-rs: a logger named `bench` over an `AsyncPoolSink` (its own one-thread pool,
//! default capacity, `OverflowPolicy::Block`) over a `FileSink`, fed with its own
//! `info!(logger: ..)` macro (native `kv:` in the `kv` scenario); default full formatter.
//! Dropping the last handle to the pool processes what is queued and joins its thread.

use std::sync::Arc;

use spdlog::sink::{AsyncPoolSink, FileSink, OverflowPolicy};
use spdlog::{Level, LevelFilter, Logger, ThreadPool};

use super::err;
use crate::workload::{timed, Ctx, Timings};

pub fn run(ctx: &Ctx) -> Result<Timings, String> {
    let file = FileSink::builder()
        .path(&ctx.file)
        .build_arc()
        .map_err(err)?;
    let pool = ThreadPool::builder().build_arc().map_err(err)?;
    let sink = AsyncPoolSink::builder()
        .sink(file)
        .thread_pool(pool)
        .overflow_policy(OverflowPolicy::Block)
        .build_arc()
        .map_err(err)?;
    let level = if ctx.scenario.enabled() {
        Level::Info
    } else {
        Level::Warn
    };
    let logger: Arc<Logger> = Logger::builder()
        .name("bench")
        .sink(sink)
        .level_filter(LevelFilter::MoreSevereEqual(level))
        .build_arc()
        .map_err(err)?;
    let produced = if ctx.scenario.kv() {
        ctx.drive(|i, user| {
            spdlog::info!(logger: logger, "request {} handled for user {}", i, user,
                kv: { user_id = i, path = "/api/v1/items" })
        })
    } else {
        ctx.drive(
            |i, user| spdlog::info!(logger: logger, "request {} handled for user {}", i, user),
        )
    };
    let finish = timed(|| {
        logger.flush();
        drop(logger);
    });
    Ok(Timings {
        produced,
        finish,
        extra: String::new(),
        ..Timings::default()
    })
}
