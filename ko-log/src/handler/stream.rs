//! `type = "stream"`: [`StdStream`] writes rendered lines to the process's stdout or
//! stderr.
//!
//! Lines are buffered and written out, under the stream's lock, when the buffer is full and
//! on [`Handler::flush`], so a batch reaches the terminal or pipe in one piece. Whether the
//! stream is a terminal is read once, at construction (the colored renderer's `auto`). A
//! failed write drops the buffered lines (counted by [`StdStream::lost`]); if it left a
//! line half-written, the next write starts with `\n`.

use std::io::{self, IsTerminal, Write};

use ko_log_config::handler::{Stream, StreamConfig};

use super::buffer::Lines;
use super::Handler;
use crate::{Error, Event};

/// Writes rendered lines to stdout or stderr, buffered.
#[derive(Debug)]
pub struct StdStream {
    stream: Stream,
    terminal: bool,
    lines: Lines,
    lost: u64,
}

impl StdStream {
    /// A handler writing to `config.stream`.
    pub fn new(config: &StreamConfig) -> StdStream {
        let terminal = match config.stream {
            Stream::Stdout => io::stdout().is_terminal(),
            Stream::Stderr => io::stderr().is_terminal(),
        };
        StdStream {
            stream: config.stream,
            terminal,
            lines: Lines::new(),
            lost: 0,
        }
    }

    fn write_out(&mut self) -> Result<(), Error> {
        if self.lines.is_empty() {
            return Ok(());
        }
        match self.stream {
            Stream::Stdout => self.write_to(&mut io::stdout().lock(), "<stdout>"),
            Stream::Stderr => self.write_to(&mut io::stderr().lock(), "<stderr>"),
        }
    }

    fn write_to(&mut self, out: &mut impl Write, name: &str) -> Result<(), Error> {
        let result = match self.lines.write_to(out) {
            Ok(_) => out.flush(),
            Err(failure) => {
                self.lost += failure.lost;
                Err(failure.error)
            }
        };
        result.map_err(|e| Error::io("Stream", "write", name, e))
    }
}

impl Handler for StdStream {
    /// Records dropped because a write failed.
    fn lost(&self) -> u64 {
        self.lost
    }

    fn write(&mut self, line: &[u8], _event: &Event) -> Result<(), Error> {
        self.lines.push(line);
        if self.lines.is_full() {
            self.write_out()
        } else {
            Ok(())
        }
    }

    fn flush(&mut self) -> Result<(), Error> {
        self.write_out()
    }

    fn is_terminal(&self) -> bool {
        self.terminal
    }
}

impl Drop for StdStream {
    fn drop(&mut self) {
        // Only matters for a handler dropped without a flush; nobody to report to.
        let _ = self.write_out();
    }
}
