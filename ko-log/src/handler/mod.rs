//! Handlers: where rendered records are written, one module per destination.
//!
//! The dispatcher thread owns every handler and calls [`Handler::write`] once per rendered
//! record, so a handler never sees half a line and never needs a lock. Handlers buffer;
//! the dispatcher calls [`Handler::flush`] when the queue runs dry, on `log::logger().flush()`
//! and at shutdown. Errors are returned, never printed: the dispatcher counts them, reports
//! them on stderr (rate limited) and keeps calling the handler, which retries.
//!
//! | `type` | handler | module |
//! | --- | --- | --- |
//! | `file` | [`File`] | `file`: append/truncate, `O_APPEND`, reopen when moved |
//! | `rotating_file` | [`RotatingFile`] | `rotating_file`, with the pure rules in `rotation`, retention and the compression thread in `backups`, the codecs in `compress` |
//! | `stream` | [`StdStream`] | `stream`: stdout or stderr |
//! | `null` | [`Null`] | `null`: discards |
//! | `journald` | [`Journald`] | `journald`: systemd-journald's native protocol (Linux only) |
//! | `otlp` | [`Otlp`] | `otlp/`: OpenTelemetry logs over OTLP/HTTP, own thread and buffer |
//! | `socket` | — | `socket`: rendered lines over TCP, UDP or a unix stream socket |
//! | `syslog` | — | `syslog`: RFC 5424 / 3164 over UDP, TCP or a unix socket |
//!
//! The three network handlers (`socket`, `syslog`, `otlp`) take a disk spool (key
//! `spool`, module `spool`) that their own thread writes what the destination cannot take
//! now to, and delivers from, oldest first, once it is back.
//!
//! Every handler is registered exactly as a user's `#[ko_log::handler]` is: the config
//! crate knows none of them, and each file holds its handler, its params type with their
//! defaults, check and schema, and its registration (the network handlers with the
//! attribute itself, the file and stream handlers with `register_handler!`). A new one is
//! its file and its `mod` line.
//!
//! Every handler the backend builds gets a [`Handle`] at construction (module `handle`):
//! status records straight to the other handlers, waking the dispatcher, the shutdown
//! deadline, a named thread of ko-log's own. No handler reaches the dispatcher, `init`
//! or the global logger otherwise.
//!
//! The network handlers (`socket`, `syslog`) send from a thread of their own behind a
//! bounded buffer (`sender`, over the std sockets of `transport`), so a slow or absent
//! destination never makes the dispatcher do I/O. They and `otlp` tell outages with the
//! status records of `status`, sent through their handle and never to the destination
//! they are about.
//!
//! Both file handlers go through `open` for what they do to paths: opens that never wait,
//! reopens that open only what `path` was at init, renames of regular files only.
//!
//! [`build`] makes the handler a configured [`HandlerConfig`] asks for. Every handler also
//! works on its own, as in this sketch:
//!
//! ```no_run
//! use ko_log::handler::{File, FileConfig, Handler};
//!
//! let mut file = File::new(&FileConfig::new("logs/app.log"))?;
//! let event = ko_log::Event::new(log::Level::Info, "app", "started");
//! file.write(b"started\n", &event)?;
//! file.flush()?;
//! # Ok::<(), ko_log::Error>(())
//! ```

use ko_log_config::HandlerConfig;

use crate::error::Error;

mod file;
#[cfg(target_os = "linux")]
mod journald;
mod null;
mod otlp;
pub(crate) mod plumbing;
mod rotating_file;
mod socket;
mod stream;
mod syslog;

pub use crate::component::{Handle, Handler, Hold};
pub use file::{File, FileConfig, OpenMode};
#[cfg(target_os = "linux")]
pub use journald::{
    field_name, priority, Journald, JournaldParams, DEFAULT_SOCKET, ESCAPE_PREFIX, WRITE_TIMEOUT,
};
pub use null::Null;
pub use otlp::{Encoding, Otlp, OtlpParams, Reconnect, TlsParams};
pub use plumbing::spool::{inspect as inspect_spool, SpoolParams, SpoolSummary, SpoolSync};
pub use rotating_file::{RotatingFile, RotatingFileConfig};
pub use stream::{connected_to_journal, StdStream, StreamConfig};

/// The handler a configured `type` asks for (ko-log's own or registered), opened and
/// ready to write.
///
/// Fails with a located [`Error::Config`] for an unknown `type` or a bad key, and with an
/// [`Error::Io`] (`op` = `open`) when a file cannot be opened: a missing parent with
/// `create_dirs = false`, permission denied, a path that is a directory, a FIFO with no
/// reader, a `rotating_file` path that is not a regular file.
/// Built on its own, outside any backend, with a [`Handle::detached`].
pub fn build(config: &HandlerConfig) -> Result<Box<dyn Handler>, Error> {
    crate::registry::handler(&config.name, &config.params, &Handle::detached())
}

/// The executable's file name (the default `service.name`, APP-NAME and
/// `SYSLOG_IDENTIFIER` of the network handlers).
pub(crate) fn executable_name() -> Option<String> {
    std::env::current_exe()
        .ok()
        .or_else(|| std::env::args_os().next().map(std::path::PathBuf::from))
        .and_then(|path| path.file_name().map(|n| n.to_string_lossy().into_owned()))
}
