//! ko-log itself, configured from TOML the way a user would: one `file` handler with the
//! plain renderer, the default queue (10 000 records), `block` or `drop`.

use super::{drive_facade, err};
use crate::workload::{timed, Ctx, Timings};

/// The plain line every ko-log run writes.
pub const FORMAT: &str = "{time} {level:<5} [{target}] {message}{kv}";

fn config(ctx: &Ctx, backpressure: &str) -> String {
    let level = if ctx.scenario.enabled() { "info" } else { "warn" };
    format!(
        r#"default_level = "{level}"

[queue]
backpressure = "{backpressure}"

[loggers.root]
level = "{level}"
handlers = ["file"]

[handlers.file]
type = "file"
path = '{path}'
renderer = {{ type = "plain", format = "{FORMAT}" }}
"#,
        path = ctx.file.display()
    )
}

fn run(ctx: &Ctx, backpressure: &str) -> Result<Timings, String> {
    let text = config(ctx, backpressure);
    let guard = ko_log::init_from_str(&text, ko_log::config::Format::Toml).map_err(err)?;
    let produced = drive_facade!(ctx);
    let finish = timed(|| {
        log::logger().flush();
        drop(guard);
    });
    let s = ko_log::stats();
    Ok(Timings {
        produced,
        finish,
        extra: format!(
            "enqueued={},written={},dropped={},dropped_by_policy={},handler_errors={},high_water={}",
            s.enqueued, s.written, s.dropped, s.dropped_by_policy, s.handler_errors, s.high_water
        ),
    })
}

pub fn block(ctx: &Ctx) -> Result<Timings, String> {
    run(ctx, "block")
}

pub fn drop(ctx: &Ctx) -> Result<Timings, String> {
    run(ctx, "drop")
}
