//! The two floors, both `log::Log` implementations so that they pay the facade's cost
//! like everyone else, and both writing `2026-01-01T00:00:00.000000Z INFO  [bench] msg`:
//!
//! - `floor-bufwriter`: format and `write!` straight into a `Mutex<BufWriter<File>>` on
//!   the caller; no queue, no thread. What a synchronous logger can do at best.
//! - `floor-flume`: format into a fresh `String` on the caller and send it over a
//!   `flume::bounded(10 000)` channel (blocking when full) to a writer thread that
//!   batches (`recv`, then `try_recv` until empty, then flush). A hand-rolled async
//!   logger with no features.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, Write as _};
use std::sync::{Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use log::kv::{Key, Value, VisitSource};
use log::{LevelFilter, Log, Metadata, Record};

use super::{drive_facade, err, facade_level};
use crate::sys::civil_from_days;
use crate::workload::{timed, Ctx, Timings};

/// `YYYY-MM-DDTHH:MM:SS.ffffffZ`, UTC, hand-formatted.
fn timestamp() -> [u8; 27] {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs() as i64;
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400) as u32;
    let mut b = *b"0000-00-00T00:00:00.000000Z";
    let mut put = |at: usize, width: usize, mut v: u32| {
        for k in (0..width).rev() {
            b[at + k] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, 4, y as u32);
    put(5, 2, m);
    put(8, 2, d);
    put(11, 2, s / 3600);
    put(14, 2, s / 60 % 60);
    put(17, 2, s % 60);
    put(20, 6, now.subsec_micros());
    b
}

struct IoKv<'a, W: std::io::Write>(&'a mut W);

impl<'kvs, W: std::io::Write> VisitSource<'kvs> for IoKv<'_, W> {
    fn visit_pair(&mut self, key: Key<'kvs>, value: Value<'kvs>) -> Result<(), log::kv::Error> {
        write!(self.0, " {key}={value}").map_err(log::kv::Error::boxed)
    }
}

struct StrKv<'a>(&'a mut String);

impl<'kvs> VisitSource<'kvs> for StrKv<'_> {
    fn visit_pair(&mut self, key: Key<'kvs>, value: Value<'kvs>) -> Result<(), log::kv::Error> {
        let _ = write!(self.0, " {key}={value}");
        Ok(())
    }
}

struct BufFloor {
    out: Mutex<BufWriter<File>>,
    level: LevelFilter,
}

impl Log for BufFloor {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= self.level
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let ts = timestamp();
        let mut out = self.out.lock().unwrap_or_else(PoisonError::into_inner);
        let out = &mut *out;
        let _ = out.write_all(&ts);
        let _ = write!(
            out,
            " {:<5} [{}] {}",
            record.level(),
            record.target(),
            record.args()
        );
        let _ = record.key_values().visit(&mut IoKv(out));
        let _ = out.write_all(b"\n");
    }

    fn flush(&self) {
        let _ = self
            .out
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .flush();
    }
}

pub fn bufwriter(ctx: &Ctx) -> Result<Timings, String> {
    let file = File::create(&ctx.file).map_err(err)?;
    let level = facade_level(ctx);
    log::set_boxed_logger(Box::new(BufFloor {
        out: Mutex::new(BufWriter::new(file)),
        level,
    }))
    .map_err(err)?;
    log::set_max_level(level);
    let produced = drive_facade!(ctx);
    let finish = timed(|| log::logger().flush());
    Ok(Timings {
        produced,
        finish,
        extra: String::new(),
        ..Timings::default()
    })
}

enum Msg {
    Line(String),
    Flush(flume::Sender<()>),
}

struct FlumeFloor {
    tx: flume::Sender<Msg>,
    level: LevelFilter,
}

impl Log for FlumeFloor {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= self.level
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let mut line = String::with_capacity(128);
        // The timestamp is ASCII by construction.
        line.push_str(std::str::from_utf8(&timestamp()).unwrap_or_default());
        let _ = write!(
            line,
            " {:<5} [{}] {}",
            record.level(),
            record.target(),
            record.args()
        );
        let _ = record.key_values().visit(&mut StrKv(&mut line));
        line.push('\n');
        let _ = self.tx.send(Msg::Line(line));
    }

    fn flush(&self) {
        let (tx, rx) = flume::bounded(1);
        if self.tx.send(Msg::Flush(tx)).is_ok() {
            let _ = rx.recv();
        }
    }
}

fn writer(rx: flume::Receiver<Msg>, file: File) {
    let mut out = BufWriter::new(file);
    let handle = |msg: Msg, out: &mut BufWriter<File>| match msg {
        Msg::Line(line) => {
            let _ = out.write_all(line.as_bytes());
        }
        Msg::Flush(reply) => {
            let _ = out.flush();
            let _ = reply.send(());
        }
    };
    while let Ok(msg) = rx.recv() {
        handle(msg, &mut out);
        while let Ok(msg) = rx.try_recv() {
            handle(msg, &mut out);
        }
        let _ = out.flush();
    }
}

pub fn flume(ctx: &Ctx) -> Result<Timings, String> {
    let file = File::create(&ctx.file).map_err(err)?;
    let (tx, rx) = flume::bounded(10_000);
    std::thread::Builder::new()
        .name("floor-writer".into())
        .spawn(move || writer(rx, file))
        .map_err(err)?;
    let level = facade_level(ctx);
    log::set_boxed_logger(Box::new(FlumeFloor { tx, level })).map_err(err)?;
    log::set_max_level(level);
    let produced = drive_facade!(ctx);
    let finish = timed(|| log::logger().flush());
    Ok(Timings {
        produced,
        finish,
        extra: String::new(),
        ..Timings::default()
    })
}
