//! ftlog: a `FileAppender` as the root appender, default format and timezone; its own
//! default queue (bounded 100 000, discard when full) or the same queue blocking.
//! ftlog does not render `log` key-values (it reads a few of its own, like `limit`).

use ftlog::appender::FileAppender;

use super::{drive_facade, err, facade_level};
use crate::workload::{timed, Ctx, Timings};

fn run(ctx: &Ctx, block: bool) -> Result<Timings, String> {
    let mut builder = ftlog::builder()
        .max_log_level(facade_level(ctx))
        .root(FileAppender::new(&ctx.file));
    if block {
        builder = builder.bounded(100_000, true);
    }
    let guard = builder.try_init().map_err(err)?;
    let produced = drive_facade!(ctx);
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

pub fn block(ctx: &Ctx) -> Result<Timings, String> {
    run(ctx, true)
}

pub fn default(ctx: &Ctx) -> Result<Timings, String> {
    run(ctx, false)
}
