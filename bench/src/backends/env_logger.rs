//! env_logger with its default format (timestamps in microseconds, key-values appended)
//! into a `BufWriter<File>` given as `Target::Pipe`, the way its docs show. Note that
//! env_logger flushes a pipe after every record, so the buffer saves nothing: each
//! record is one `write` system call, made on the caller under env_logger's lock.

use std::fs::File;
use std::io::BufWriter;

use super::{drive_facade, err, facade_level};
use crate::workload::{timed, Ctx, Timings};

pub fn run(ctx: &Ctx) -> Result<Timings, String> {
    let file = BufWriter::new(File::create(&ctx.file).map_err(err)?);
    env_logger::Builder::new()
        .filter_level(facade_level(ctx))
        .target(env_logger::Target::Pipe(Box::new(file)))
        .format_timestamp_micros()
        .try_init()
        .map_err(err)?;
    let produced = drive_facade!(ctx);
    let finish = timed(|| log::logger().flush());
    Ok(Timings {
        produced,
        finish,
        extra: String::new(),
        ..Timings::default()
    })
}
