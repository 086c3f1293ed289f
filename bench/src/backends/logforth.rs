//! logforth: its `Async` appender (`append::asynchronous::AsyncBuilder`, one background
//! thread) over its `File` appender (`append::file::FileBuilder`, a single file, no
//! rotation) with `TextLayout` without colors, in a `logforth::core::builder()` logger
//! behind its `log` bridge (`bridge::log::LogBridge`), fed with `log::info!`. This is
//! the setup of logforth's own `asynchronous` example (which uses `JsonLayout`).
//!
//! The async appender is left at its defaults: an unbounded channel (`std::sync::mpsc`)
//! with the `Block` overflow policy, so no record can be dropped; memory grows with the
//! backlog instead. `flush` sends a flush task through the same channel and waits until
//! the worker has handled everything queued before it. logforth's `File` writes each
//! line with its own `write(2)` (no buffer), so once the flush returns every line is in
//! the file. `TextLayout` renders `log` key-values (` user_id=0 path=/api/v1/items`).
//!
//! The level is the dispatch's filter, and `log::set_max_level` is set to the same level
//! as for the other facade backends (logforth's example and `starter_log` set `Trace`
//! and leave the level to the filter; its docs say to call `log::set_max_level` to
//! override that), so `off` measures `log`'s own check.

use logforth::append::asynchronous::AsyncBuilder;
use logforth::append::file::FileBuilder;
use logforth::bridge::log::LogBridge;
use logforth::layout::TextLayout;
use logforth::record::{Level, LevelFilter};

use super::{drive_facade, err, facade_level};
use crate::workload::{timed, Ctx, Timings};

pub fn run(ctx: &Ctx) -> Result<Timings, String> {
    let file = FileBuilder::new(&ctx.dir, "bench.log")
        .layout(TextLayout::default().no_color())
        .build()
        .map_err(err)?;
    let appender = AsyncBuilder::new("logforth-async").append(file).build();
    let level = if ctx.scenario.enabled() {
        Level::Info
    } else {
        Level::Warn
    };
    let logger = logforth::core::builder()
        .dispatch(|d| {
            d.filter(LevelFilter::MoreSevereEqual(level))
                .append(appender)
        })
        .build();
    log::set_boxed_logger(Box::new(LogBridge::new(logger))).map_err(err)?;
    log::set_max_level(facade_level(ctx));
    let produced = drive_facade!(ctx);
    // The logger is `log`'s static and is never dropped: the flush is the shutdown.
    let finish = timed(|| log::logger().flush());
    Ok(Timings {
        produced,
        finish,
        extra: String::new(),
        ..Timings::default()
    })
}
