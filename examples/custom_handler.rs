//! A handler and a renderer of your own, registered with `#[ko_log::handler]` and
//! `#[ko_log::renderer]`, named by `type` in `examples/custom_handler.toml` beside a
//! built-in handler.
//!
//! Run it with `cargo run --example custom_handler`. The `tally` handler counts records
//! per level and prints its table when ko-log shuts down; the console shows each record
//! through the `compact` renderer:
//!
//! ```text
//! I Service started
//! W Disk at 91%: cleaning up…
//! E Upload failed
//! tally: 1 ERROR, 1 WARN, 2 INFO
//! ```
//!
//! It first shows what start-up reports for a misspelled `type` and for params the
//! renderer does not take.

use std::collections::BTreeMap;
use std::error::Error;

use ko_log::config::Format;
use ko_log::render::Renderer;
use ko_log::{Event, Handler};

/// `type = "tally"`: its params.
#[derive(serde::Deserialize)]
struct TallyParams {
    /// The name printed in front of the table.
    label: String,
}

/// Counts records per level; a structured handler (it needs no rendered line).
#[derive(Debug)]
struct Tally {
    label: String,
    counts: BTreeMap<log::Level, u64>,
}

impl Handler for Tally {
    fn write(&mut self, _line: &[u8], event: &Event) -> Result<(), ko_log::Error> {
        *self.counts.entry(event.level).or_default() += 1;
        Ok(())
    }

    fn flush(&mut self) -> Result<(), ko_log::Error> {
        Ok(())
    }

    fn structured(&self) -> bool {
        true
    }
}

impl Drop for Tally {
    fn drop(&mut self) {
        let table: Vec<String> = self
            .counts
            .iter()
            .map(|(level, n)| format!("{n} {level}"))
            .collect();
        eprintln!("{}: {}", self.label, table.join(", "));
    }
}

/// Registered as `tally`; a constructor can refuse its params with an error of its own.
#[ko_log::handler]
fn tally(params: &TallyParams) -> Result<Tally, std::io::Error> {
    if params.label.is_empty() {
        return Err(std::io::Error::other("`label` must not be empty"));
    }
    Ok(Tally {
        label: params.label.clone(),
        counts: BTreeMap::new(),
    })
}

/// `renderer = { type = "compact", width = 24 }`: its params.
#[derive(serde::Deserialize)]
struct CompactParams {
    width: usize,
}

/// The level's initial and the message, cut to `width` characters.
#[derive(Debug)]
struct Compact {
    width: usize,
}

impl Renderer for Compact {
    fn render(&self, event: &Event, out: &mut Vec<u8>) {
        let initial = &event.level.as_str()[..1];
        let cut: String = event.message.chars().take(self.width).collect();
        let more = if event.message.chars().count() > self.width {
            "…"
        } else {
            ""
        };
        out.extend_from_slice(format!("{initial} {cut}{more}\n").as_bytes());
    }
}

#[ko_log::renderer]
fn compact(params: &CompactParams) -> Compact {
    Compact {
        width: params.width,
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    // A misspelled `type`: "did you mean" over built-in and registered names alike.
    let typo = "[handlers.t]\ntype = \"taly\"\nlabel = \"x\"\n";
    if let Err(error) = ko_log::init_from_str(typo, Format::Toml) {
        eprintln!("{error}\n");
    }
    // A key the renderer's params do not have: refused at its line.
    let bad = "[handlers.c]\ntype = \"stream\"\nrenderer = { type = \"compact\", width = 10, colour = true }\n";
    if let Err(error) = ko_log::init_from_str(bad, Format::Toml) {
        eprintln!("{error}\n");
    }

    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/custom_handler.toml");
    let guard = ko_log::init_from_file(config)?;
    log::info!("Service started");
    log::warn!("Disk at 91%: cleaning up the old reports");
    log::error!("Upload failed");
    log::info!(target: "custom_handler::quiet", "Counted, not shown");
    drop(guard); // the tally prints its table as its handler is dropped
    Ok(())
}
