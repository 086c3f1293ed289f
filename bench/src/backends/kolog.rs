//! ko-log itself: one `file` handler with the plain renderer, the default queue
//! (2048 records a thread), `block` or `drop`. The configuration is the TOML a user would
//! write ([`toml`]), passed to `ko_log::init_from_str`; with `KO_LOG_BENCH_TYPED=1` the
//! same configuration is built as a typed `Config` in Rust ([`typed`]) and passed to
//! `ko_log::init`, which keeps the benchmark usable while the config loader is being
//! changed. Parsing is not timed either way.

use ko_log::config::handler::HandlerConfig;
use ko_log::config::render::RendererConfig;
use ko_log::config::{Backpressure, Config, LoggerConfig};

use super::{drive_facade, err, facade_level};
use crate::workload::{timed, Ctx, Produced, Timings};

/// The plain line every ko-log run writes.
pub const FORMAT: &str = "{time} {level:<5} [{target}] {message}{kv}";

/// The configuration as TOML.
pub fn toml(ctx: &Ctx, backpressure: &str) -> String {
    let level = if ctx.scenario.enabled() {
        "info"
    } else {
        "warn"
    };
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

/// The same configuration as [`toml`], built in Rust.
pub fn typed(ctx: &Ctx, backpressure: &str) -> Result<Config, String> {
    let level = facade_level(ctx);
    let file = HandlerConfig::new("file")
        .with("path", ctx.file.as_path())
        .with_renderer(RendererConfig::new("plain").with("format", FORMAT));
    // `env_filter`, `log_panics`, `watch`, `flush_on_signals`: the defaults, as in the TOML.
    let mut config = Config::empty();
    config.default_level = level;
    config.queue.backpressure = match backpressure {
        "drop" => Backpressure::Drop,
        _ => Backpressure::Block,
    };
    let root = LoggerConfig::new(&["file"]).with_level(level);
    config.loggers.insert("root".to_owned(), root);
    config.handlers.insert("file".to_owned(), file);
    Ok(config)
}

/// Sets ko-log up, feeds it with `drive`, and times its flush and shutdown.
fn run(ctx: &Ctx, backpressure: &str, drive: fn(&Ctx) -> Produced) -> Result<Timings, String> {
    let guard = if std::env::var_os("KO_LOG_BENCH_TYPED").is_some_and(|v| v == "1") {
        ko_log::init(typed(ctx, backpressure)?).map_err(err)?
    } else {
        let text = toml(ctx, backpressure);
        ko_log::init_from_str(&text, ko_log::config::Format::Toml).map_err(err)?
    };
    let produced = drive(ctx);
    let flush = timed(|| log::logger().flush());
    // Everything is written: the dispatcher's CPU time is its work for the whole run.
    let consumer_ns = crate::sys::thread_cpu_ns("ko-log");
    let finish = flush + timed(|| std::mem::drop(guard));
    let s = ko_log::stats();
    Ok(Timings {
        produced,
        finish,
        extra: format!(
            "enqueued={},written={},dropped={},dropped_by_policy={},handler_errors={},high_water={},waits={}",
            s.enqueued, s.written, s.dropped, s.dropped_by_policy, s.handler_errors, s.high_water, s.waits
        ),
        consumer_ns,
        ..Timings::default()
    })
}

pub fn block(ctx: &Ctx) -> Result<Timings, String> {
    run(ctx, "block", |ctx| drive_facade!(ctx))
}

pub fn drop_policy(ctx: &Ctx) -> Result<Timings, String> {
    run(ctx, "drop", |ctx| drive_facade!(ctx))
}

/// `ko-log-native`: [`block`]'s configuration fed through ko-log's own macro in the
/// `native` scenarios.
pub fn native(ctx: &Ctx) -> Result<Timings, String> {
    run(ctx, "block", |ctx| {
        ctx.drive(
            |i, user| ko_log::info!(target: "bench", "request {} handled for user {}", i, user),
        )
    })
}
