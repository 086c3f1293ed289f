//! Custom processors and lifecycle timing: two processors written as plain functions,
//! registered with `#[ko_log::processor]`, named by `type` in
//! `examples/custom_processor.toml`, and applied to the records of `#[ko_log::life]`
//! functions.
//!
//! Run it with `cargo run --example custom_processor`. It prints (timings vary):
//!
//! ```text
//! INFO  [custom_processor] Begin: Nightly invoicing batch=42 service=billing region=eu-west-1
//! DEBUG [custom_processor::db] Begin: Load customers service=billing region=eu-west-1
//! INFO  [custom_processor] Invoiced customers=3 service=billing region=eu-west-1
//! INFO  [custom_processor] End (0.06): Nightly invoicing batch=42 elapsed_ms=61.2 service=billing region=eu-west-1
//! ```
//!
//! The fast `Load customers` life ends in about 5 ms, so `slow_only` drops its `End` line;
//! the 60 ms batch is kept. Then it shows what a config naming an unknown processor, or
//! giving a processor params it does not take, gets at start-up.

use std::error::Error;
use std::time::Duration;

use ko_log::config::Format;
use ko_log::{Action, Event, Value};

/// The params of `tag_service`: the keys of its entry in `processors`, checked at init
/// (a key it does not take is refused, no `#[serde(deny_unknown_fields)]` needed).
#[derive(serde::Deserialize)]
struct TagParams {
    service: String,
    region: Option<String>,
}

/// Adds `service` (and `region`, when configured) to every record of the handler.
#[ko_log::processor]
fn tag_service(params: &TagParams) -> impl FnMut(&mut Event) -> Action + Send + 'static {
    let service = params.service.clone();
    let region = params.region.clone();
    move |event| {
        event.fields.insert_default("service", service.clone());
        if let Some(region) = &region {
            event.fields.insert_default("region", region.clone());
        }
        Action::Keep
    }
}

/// The params of `slow_only`.
#[derive(serde::Deserialize)]
struct SlowParams {
    min_ms: f64,
}

/// Drops lifecycle end lines (those with an `elapsed_ms` field) faster than `min_ms`.
#[ko_log::processor(name = "slow_only")]
fn drop_fast_lives(params: &SlowParams) -> impl FnMut(&mut Event) -> Action + Send + 'static {
    let min_ms = params.min_ms;
    move |event| match event.fields.get("elapsed_ms") {
        Some(Value::F64(ms)) if *ms < min_ms => Action::Drop,
        _ => Action::Keep,
    }
}

mod db {
    use std::time::Duration;

    #[ko_log::life("Load customers", level = "debug")]
    pub fn load_customers() -> Vec<&'static str> {
        std::thread::sleep(Duration::from_millis(5));
        vec!["ana", "bo", "chen"]
    }
}

#[ko_log::life("Nightly invoicing", fields(batch))]
fn invoice(batch: u32) -> Result<usize, Box<dyn Error>> {
    let customers = db::load_customers();
    std::thread::sleep(Duration::from_millis(55));
    log::info!(customers = customers.len(); "Invoiced");
    Ok(customers.len())
}

fn main() -> Result<(), Box<dyn Error>> {
    // What start-up reports when the config names a processor that is not registered...
    let typo = "[handlers.h]\ntype = \"null\"\nprocessors = [{ type = \"tag_servce\", service = \"x\" }]\n";
    if let Err(error) = ko_log::init_from_str(typo, Format::Toml) {
        eprintln!("{error}\n");
    }
    // ... or gives it a key its params type does not have.
    let bad = "[handlers.h]\ntype = \"null\"\nprocessors = [{ type = \"tag_service\", service = \"x\", zone = \"y\" }]\n";
    if let Err(error) = ko_log::init_from_str(bad, Format::Toml) {
        eprintln!("{error}\n");
    }

    let config = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/custom_processor.toml"
    );
    let _guard = ko_log::init_from_file(config)?;
    invoice(42)?;
    Ok(())
}
