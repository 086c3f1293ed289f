//! flexi_logger to a file (`bench.log` in the run's directory, no timestamp in the name),
//! in `WriteMode::Async` (an unbounded channel to an output thread) or
//! `WriteMode::BufferAndFlush` (synchronous writes into a shared buffer that a
//! background thread flushes). The format function is the usual hand-written one:
//! timestamp, level, target, message, then the key-values.

use flexi_logger::{DeferredNow, FileSpec, Logger, WriteMode};
use log::kv::{Key, Value, VisitSource};
use log::Record;

use super::{drive_facade, err, facade_level};
use crate::workload::{timed, Ctx, Timings};

struct Kv<'a>(&'a mut dyn std::io::Write);

impl<'kvs> VisitSource<'kvs> for Kv<'_> {
    fn visit_pair(&mut self, key: Key<'kvs>, value: Value<'kvs>) -> Result<(), log::kv::Error> {
        write!(self.0, " {key}={value}").map_err(log::kv::Error::boxed)
    }
}

fn format(
    w: &mut dyn std::io::Write,
    now: &mut DeferredNow,
    record: &Record,
) -> std::io::Result<()> {
    write!(
        w,
        "{} {:<5} [{}] {}",
        now.format("%Y-%m-%dT%H:%M:%S%.6f%:z"),
        record.level(),
        record.target(),
        record.args()
    )?;
    let _ = record.key_values().visit(&mut Kv(w));
    Ok(())
}

fn run(ctx: &Ctx, mode: WriteMode) -> Result<Timings, String> {
    let handle = Logger::with(
        flexi_logger::LogSpecification::builder()
            .default(facade_level(ctx))
            .build(),
    )
    .log_to_file(
        FileSpec::default()
            .directory(&ctx.dir)
            .basename("bench")
            .suppress_timestamp(),
    )
    .write_mode(mode)
    .format(format)
    .start()
    .map_err(err)?;
    let produced = drive_facade!(ctx);
    let finish = timed(|| {
        handle.flush();
        handle.shutdown();
    });
    Ok(Timings {
        produced,
        finish,
        extra: String::new(),
        ..Timings::default()
    })
}

pub fn async_mode(ctx: &Ctx) -> Result<Timings, String> {
    run(ctx, WriteMode::Async)
}

pub fn buffer_and_flush(ctx: &Ctx) -> Result<Timings, String> {
    run(ctx, WriteMode::BufferAndFlush)
}
