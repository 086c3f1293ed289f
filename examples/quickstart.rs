//! The five-minute tour: configure ko-log from `examples/log.toml`, log with plain
//! `log` macros (key-values included) from any module, with a request's trace ids, and let
//! the guard flush at exit.
//!
//! Run it with `cargo run --example quickstart`: colored lines appear on stderr and JSON
//! lines in `target/quickstart/logs/app.log` of the workspace (see `examples/log.toml`).

use std::error::Error;

mod db {
    /// A module of its own: its target `quickstart::db` has its own logger in log.toml.
    pub fn migrate(version: u32) {
        log::debug!(version; "Applying migration");
        log::info!(version, tables = 3; "Migration applied");
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/log.toml");
    let _guard = ko_log::init_from_file(config)?;

    log::info!(version = "1.0.0"; "Application started");
    {
        // The request's W3C `traceparent` header: its ids go on every record logged here.
        let header = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let _trace = ko_log::context::push_trace(ko_log::TraceContext::from_traceparent(header)?);
        log::info!(user_id = 123, path = "/api/v1/items"; "Processing request");
    }
    log::debug!("Not shown: the root logger is at info");
    db::migrate(42);
    log::warn!(user = "ana", password = "hunter2"; "Login with a password in the fields");
    kv_log_macro::info!("Structured through kv-log-macro", { cache_hits: 17, ratio: 0.85 });

    let error = std::io::Error::new(std::io::ErrorKind::NotFound, "config.d missing");
    log::error!(error:err; "Could not read the override directory");

    let stats = ko_log::stats();
    log::info!(enqueued = stats.enqueued, dropped = stats.dropped; "Done");
    Ok(())
}
