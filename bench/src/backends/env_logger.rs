//! env_logger with its default format (timestamps in microseconds, key-values appended)
//! into a buffered file. env_logger flushes a `Target::Pipe` after every record, which
//! would make the buffer useless, so the pipe is a `BufWriter<File>` behind a handle
//! whose `flush` does nothing; the real flush happens once, at the end. Synchronous: the
//! caller formats and writes under env_logger's lock.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::sync::{Arc, Mutex, PoisonError};

use super::{drive_facade, err, facade_level};
use crate::workload::{timed, Ctx, Timings};

#[derive(Clone)]
struct Deferred(Arc<Mutex<BufWriter<File>>>);

impl Write for Deferred {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).write(buf)
    }
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).write_all(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

pub fn run(ctx: &Ctx) -> Result<Timings, String> {
    let file = Deferred(Arc::new(Mutex::new(BufWriter::new(
        File::create(&ctx.file).map_err(err)?,
    ))));
    env_logger::Builder::new()
        .filter_level(facade_level(ctx))
        .target(env_logger::Target::Pipe(Box::new(file.clone())))
        .format_timestamp_micros()
        .try_init()
        .map_err(err)?;
    let produced = drive_facade!(ctx);
    let finish = timed(|| {
        log::logger().flush();
        let _ = file.0.lock().unwrap_or_else(PoisonError::into_inner).flush();
    });
    Ok(Timings {
        produced,
        finish,
        extra: String::new(),
    })
}
