//! Context binding: bound loggers, a thread scope and a task scope.
//!
//! Run with `cargo run --example context`. Everything goes to stderr, plain text.

use ko_log::config::Format;
use ko_log::Logger;

const CONFIG: &str = r#"
[loggers.root]
level = "debug"
handlers = ["console"]
context = { service = "billing" }   # added to every record

[handlers.console]
type = "stream"
stream = "stderr"
renderer = { type = "plain", format = "{level:<5} [{target}] {message}{kv}" }
"#;

fn main() -> Result<(), ko_log::Error> {
    let _guard = ko_log::init_from_str(CONFIG, Format::Toml)?;

    // A bound logger: a name (the target) plus fields, immutable and cheap to clone.
    let log = Logger::new("billing::api").bind("version", "2.1");
    let request = log.bind("request_id", "r-7f3a");
    request.info("Request received");
    log::warn!(logger: request, amount = 129.5; "Charge above limit for {}", "acct-42");

    // A thread scope: plain `log` calls from any crate pick the fields up.
    {
        let _ctx = ko_log::context!(tenant = "acme", user_id = 42);
        log::info!("Invoice generated");
        charge();
    }
    log::info!("Outside the scope: only the config context remains");
    Ok(())
}

fn charge() {
    // Deep in other code: no logger passed around, the scope still applies.
    log::debug!(card = "visa"; "Charging card");
}
