//! fast_log: its file appender with the default format and channel (unbounded, so
//! lossless). `fast_log::flush()` hands back a wait group that is done once the
//! appender has flushed. fast_log does not render `log` key-values.

use super::{drive_facade, err, facade_level};
use crate::workload::{timed, Ctx, Timings};

pub fn run(ctx: &Ctx) -> Result<Timings, String> {
    let path = ctx.file.to_str().ok_or("non-UTF-8 temp path")?;
    fast_log::init(fast_log::Config::new().file(path).level(facade_level(ctx))).map_err(err)?;
    log::set_max_level(facade_level(ctx));
    let produced = drive_facade!(ctx);
    let mut result = Ok(());
    let finish = timed(|| match fast_log::flush() {
        Ok(wait) => wait.wait(),
        Err(e) => result = Err(err(e)),
    });
    result?;
    Ok(Timings {
        produced,
        finish,
        extra: String::new(),
        ..Timings::default()
    })
}
