//! log4rs: a `FileAppender` with a `PatternEncoder`, configured in code (the same tree a
//! log4rs YAML file builds). Synchronous: the caller formats, locks and writes (log4rs
//! flushes its buffered writer after every record).

use log4rs::append::file::FileAppender;
use log4rs::config::{Appender, Config, Root};
use log4rs::encode::pattern::PatternEncoder;

use super::{drive_facade, err, facade_level};
use crate::workload::{timed, Ctx, Timings};

pub fn run(ctx: &Ctx) -> Result<Timings, String> {
    let pattern = if ctx.scenario.kv() {
        "{d(%Y-%m-%dT%H:%M:%S%.6f%:z)} {l:<5} [{t}] {m} user_id={K(user_id)} path={K(path)}{n}"
    } else {
        "{d(%Y-%m-%dT%H:%M:%S%.6f%:z)} {l:<5} [{t}] {m}{n}"
    };
    let file = FileAppender::builder()
        .encoder(Box::new(PatternEncoder::new(pattern)))
        .build(&ctx.file)
        .map_err(err)?;
    let config = Config::builder()
        .appender(Appender::builder().build("file", Box::new(file)))
        .build(Root::builder().appender("file").build(facade_level(ctx)))
        .map_err(err)?;
    let _handle = log4rs::init_config(config).map_err(err)?;
    let produced = drive_facade!(ctx);
    let finish = timed(|| log::logger().flush());
    Ok(Timings {
        produced,
        finish,
        extra: String::new(),
        ..Timings::default()
    })
}
