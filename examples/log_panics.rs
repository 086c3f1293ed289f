//! A panic that is logged before the process ends, even under `panic = "abort"`.
//!
//! `log_panics = true` turns the panic into an ERROR record on target `panic` (thread,
//! location, payload; the backtrace too with `RUST_BACKTRACE=1`), written and flushed to
//! `DIR/panic.log` before the previous hook (std's message) runs and the process ends.
//!
//! Run it with `cargo run --example log_panics -- DIR`, or built with `panic = "abort"`:
//! `cargo rustc --example log_panics -- -C panic=abort`, then
//! `target/debug/examples/log_panics DIR`, which dies by SIGABRT with the record on disk
//! (tests/log_panics.rs runs that one when it has been built).

use std::error::Error;

fn main() -> Result<(), Box<dyn Error>> {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "target/log_panics".to_owned());
    let path = std::path::Path::new(&dir).join("panic.log");
    let config = format!(
        r#"
        log_panics = true

        [loggers.root]
        handlers = ["file"]

        [handlers.file]
        type = "file"
        path = "{}"
        renderer = {{ type = "json" }}
        "#,
        path.display()
    );
    let _guard = ko_log::init_from_str(&config, ko_log::config::Format::Toml)?;
    log::info!("about to panic");
    let strategy = if cfg!(panic = "abort") {
        "abort"
    } else {
        "unwind"
    };
    panic!("panic = {strategy}");
}
