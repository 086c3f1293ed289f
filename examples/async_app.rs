//! A small tokio service: each request is a task with its own context, logged with the
//! async macros (`ainfo!` waits for room instead of blocking the executor thread).
//!
//! Run with `cargo run --example async_app`.

use std::time::Duration;

use ko_log::config::Format;

const CONFIG: &str = r#"
[queue]
capacity = 1024
backpressure = "block"

[loggers.root]
level = "info"
handlers = ["console"]

[handlers.console]
type = "stream"
stream = "stderr"
renderer = { type = "plain", format = "{time} {level:<5} {message}{kv}", time_format = "[hour]:[minute]:[second].[subsecond digits:3]" }
"#;

async fn handle(id: u32) -> Result<u32, String> {
    ko_log::ainfo!(path = "/items"; "request started").await;
    tokio::time::sleep(Duration::from_millis(10 * u64::from(id % 3))).await;
    if id == 3 {
        return Err("item not found".to_owned());
    }
    ko_log::ainfo!(items = id * 10; "request done").await;
    Ok(id * 10)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let _guard = ko_log::init_from_str(CONFIG, Format::Toml)?;
    ko_log::ainfo!("service up").await;

    let tasks: Vec<_> = (1..=4)
        .map(|id| tokio::spawn(ko_log::with_context([("request_id", id)], handle(id))))
        .collect();
    for task in tasks {
        if let Err(error) = task.await? {
            ko_log::awarn!(error = error.as_str(); "a request failed").await;
        }
    }
    let stats = ko_log::stats();
    ko_log::ainfo!(written = stats.written, dropped = stats.dropped; "service down").await;
    Ok(())
}
