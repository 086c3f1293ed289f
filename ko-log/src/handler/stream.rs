//! `type = "stream"`: [`StdStream`] writes rendered lines to the process's stdout or
//! stderr.
//!
//! Lines are buffered and written out, under the stream's lock, when the buffer is full and
//! on [`Handler::flush`], so a batch reaches the terminal or pipe in one piece. Whether the
//! stream is a terminal is read once, at construction (the colored renderer's `auto`). A
//! failed write drops the buffered lines (counted by [`StdStream::lost`]); if it left a
//! line half-written, the next write starts with `\n`.
//!
//! `journal_prefix` starts every line with an sd-daemon level prefix (`<3>` error, `<4>`
//! warn, `<6>` info, `<7>` debug and trace; sd-daemon(3)), which journald strips and
//! takes as the line's priority, so `journalctl -p err` finds errors written to stderr.
//! `auto` decides once, at construction: the prefix is written when `$JOURNAL_STREAM`
//! (`DEVICE:INODE`, which systemd sets for a service whose output goes to the journal)
//! names the stream's own device and inode ([`connected_to_journal`]), so output
//! redirected elsewhere by the service stays clean.
//!
//! Its keys ([`StreamConfig`]), their defaults and schema are here, with its registration
//! under `type = "stream"`.

use std::ffi::OsStr;
use std::io::{self, IsTerminal, Write};

use ko_log_config::handler::{JournalPrefix, Stream};
use ko_log_config::node::Params;
use ko_log_config::schema::{describe, one_of, table, with};
use ko_log_config::values::{JournalPrefixDe, StreamDe};
use ko_log_config::ConfigError;
use log::Level;
use serde::Deserialize;
use serde_json::{json, Value};

use super::plumbing::buffer::Lines;
use super::{Handle, Handler};
use crate::{error::Error, event::Event};

/// Keys of a `stream` handler.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StreamConfig {
    /// Which stream (key `stream`, default `stderr`).
    pub stream: Stream,
    /// sd-daemon level prefixes (key `journal_prefix`, default `never`).
    pub journal_prefix: JournalPrefix,
}

impl StreamConfig {
    /// The keys of a `[handlers.NAME]` table with `type = "stream"`, each mistake located
    /// at its key.
    pub fn from_params(params: &Params) -> Result<StreamConfig, ConfigError> {
        let raw: RawStream = params.deserialize()?;
        Ok(StreamConfig {
            stream: raw.stream.map(|s| s.0).unwrap_or_default(),
            journal_prefix: raw.journal_prefix.map(|p| p.0).unwrap_or_default(),
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a handler table")]
struct RawStream {
    stream: Option<StreamDe>,
    journal_prefix: Option<JournalPrefixDe>,
}

fn schema() -> Value {
    let keys = [
        ("stream", describe(with(one_of(StreamDe::NAMES), json!({"default": "stderr"})), "Which standard stream (default \"stderr\").")),
        ("journal_prefix", describe(with(one_of(JournalPrefixDe::NAMES), json!({"default": "never"})), "Start every line with its sd-daemon level prefix (<3> error … <7> debug) for journald; auto: only when the stream is the journal (default \"never\").")),
    ];
    describe(table(&keys, &[]), "Standard output or standard error.")
}

fn open(config: &StreamConfig, _: &Handle) -> Result<StdStream, Error> {
    Ok(StdStream::new(config))
}

crate::registry::register_handler!("stream", StreamConfig, open, schema, RawStream);

/// Writes rendered lines to stdout or stderr, buffered.
#[derive(Debug)]
pub struct StdStream {
    /// Stdout, else stderr.
    stdout: bool,
    terminal: bool,
    /// Lines start with `<N>` (resolved from `journal_prefix` at construction).
    prefix: bool,
    /// The prefixed line being built, reused.
    prefixed: Vec<u8>,
    lines: Lines,
    lost: u64,
}

impl StdStream {
    /// A handler writing to `config.stream`.
    pub fn new(config: &StreamConfig) -> StdStream {
        let stdout = config.stream == Stream::Stdout;
        let terminal = match stdout {
            true => io::stdout().is_terminal(),
            false => io::stderr().is_terminal(),
        };
        let prefix = match config.journal_prefix {
            JournalPrefix::Always => true,
            JournalPrefix::Auto => {
                let journal = std::env::var_os("JOURNAL_STREAM");
                stream_identity(stdout)
                    .is_some_and(|(dev, ino)| connected_to_journal(journal.as_deref(), dev, ino))
            }
            _ => false,
        };
        StdStream {
            stdout,
            terminal,
            prefix,
            prefixed: Vec::new(),
            lines: Lines::new(),
            lost: 0,
        }
    }

    /// Whether lines get an sd-daemon level prefix (`journal_prefix`, `auto` resolved).
    pub fn journal_prefix(&self) -> bool {
        self.prefix
    }

    fn write_out(&mut self) -> Result<(), Error> {
        if self.lines.is_empty() {
            return Ok(());
        }
        match self.stdout {
            true => self.write_to(&mut io::stdout().lock(), "<stdout>"),
            false => self.write_to(&mut io::stderr().lock(), "<stderr>"),
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

    fn write(&mut self, line: &[u8], event: &Event) -> Result<(), Error> {
        if self.prefix {
            self.prefixed.clear();
            let prefix = level_prefix(event.level).as_bytes();
            for part in line.split_inclusive(|&b| b == b'\n') {
                self.prefixed.extend_from_slice(prefix);
                self.prefixed.extend_from_slice(part);
            }
            self.lines.push(&self.prefixed);
        } else {
            self.lines.push(line);
        }
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

/// The sd-daemon prefix of a level: `<3>` error, `<4>` warn, `<6>` info, `<7>` debug and
/// trace.
fn level_prefix(level: Level) -> &'static str {
    match level {
        Level::Error => "<3>",
        Level::Warn => "<4>",
        Level::Info => "<6>",
        Level::Debug | Level::Trace => "<7>",
    }
}

/// Whether `journal_stream`, the value of `$JOURNAL_STREAM` (`DEVICE:INODE`, both
/// decimal), names the file whose device and inode are `dev` and `ino`: the stream is
/// connected to the journal. No variable, or a malformed one, is not.
pub fn connected_to_journal(journal_stream: Option<&OsStr>, dev: u64, ino: u64) -> bool {
    let Some(value) = journal_stream.and_then(OsStr::to_str) else {
        return false;
    };
    let Some((d, i)) = value.split_once(':') else {
        return false;
    };
    d.parse::<u64>() == Ok(dev) && i.parse::<u64>() == Ok(ino)
}

/// The device and inode of the file open as stdout (else stderr), or `None` when it
/// cannot be read (a closed stream; not Unix).
#[cfg(unix)]
fn stream_identity(stdout: bool) -> Option<(u64, u64)> {
    use std::os::fd::AsFd;
    match stdout {
        true => identity(io::stdout().as_fd()),
        false => identity(io::stderr().as_fd()),
    }
}

#[cfg(not(unix))]
fn stream_identity(_: bool) -> Option<(u64, u64)> {
    None
}

/// The device and inode of the file open as `fd`.
#[cfg(unix)]
fn identity(fd: std::os::fd::BorrowedFd<'_>) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    let file = std::fs::File::from(fd.try_clone_to_owned().ok()?);
    let meta = file.metadata().ok()?;
    Some((meta.dev(), meta.ino()))
}

impl Drop for StdStream {
    fn drop(&mut self) {
        // Only matters for a handler dropped without a flush; nobody to report to.
        let _ = self.write_out();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journal_stream_must_name_the_streams_device_and_inode() {
        let value = |s: &'static str| Some(OsStr::new(s));
        assert!(connected_to_journal(value("8:1234"), 8, 1234));
        assert!(!connected_to_journal(value("8:1235"), 8, 1234));
        assert!(!connected_to_journal(value("9:1234"), 8, 1234));
        assert!(!connected_to_journal(None, 8, 1234));
        for bad in [
            "", "8", "8:", ":1234", "8:1234:5", "x:1234", " 8:1234", "-8:1234",
        ] {
            assert!(!connected_to_journal(value(bad), 8, 1234), "{bad:?}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn an_open_file_has_the_identity_its_metadata_says() {
        use std::os::fd::AsFd;
        use std::os::unix::fs::MetadataExt;
        let file = tempfile::tempfile().unwrap();
        let meta = file.metadata().unwrap();
        let (dev, ino) = identity(file.as_fd()).unwrap();
        assert_eq!((dev, ino), (meta.dev(), meta.ino()));
        let journal = std::ffi::OsString::from(format!("{dev}:{ino}"));
        assert!(connected_to_journal(Some(&journal), dev, ino));
    }

    #[test]
    fn every_line_of_a_record_gets_its_level_prefix() {
        let mut stream = StdStream::new(&StreamConfig {
            stream: Stream::Stdout,
            journal_prefix: JournalPrefix::Always,
        });
        assert!(stream.journal_prefix());
        let event = Event::new(Level::Error, "app", "x");
        stream.write(b"one\ntwo\n", &event).unwrap();
        assert_eq!(stream.prefixed, b"<3>one\n<3>two\n");
        let levels = [Level::Warn, Level::Info, Level::Debug, Level::Trace];
        let prefixes: Vec<&str> = levels.into_iter().map(level_prefix).collect();
        assert_eq!(prefixes, ["<4>", "<6>", "<7>", "<7>"]);
        stream.lines.discard();
        let never = StdStream::new(&StreamConfig {
            stream: Stream::Stdout,
            journal_prefix: JournalPrefix::Never,
        });
        assert!(!never.journal_prefix());
    }
}
