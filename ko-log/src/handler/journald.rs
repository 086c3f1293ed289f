//! `type = "journald"`: [`Journald`] sends each record to systemd-journald over its native
//! protocol, one datagram per record, with the record's fields as journal fields.
//!
//! A structured handler ([`Handler::structured`]): no renderer runs; the datagram is built
//! from the [`Event`]:
//!
//! | journal field | from |
//! | --- | --- |
//! | `MESSAGE` | the message |
//! | `PRIORITY` | the level: error `3`, warn `4`, info `6`, debug and trace `7` |
//! | `SYSLOG_IDENTIFIER` | key `syslog_identifier`, default the executable's file name |
//! | `CODE_FILE`, `CODE_LINE`, `CODE_MODULE` | the call site, when the record has one |
//! | `TARGET` | the `log` target |
//! | `TRACE_ID`, `SPAN_ID`, `TRACE_FLAGS` | the trace context ([`crate::TraceContext`]), lowercase hex, when the record has one |
//! | one per key-value and context field | the value's text (`7`, `true`, `a: b` for an error and its sources) |
//!
//! **Field names** follow journald's rules ([`field_name`]): ASCII letters uppercased, any
//! other character than `A-Z`, `0-9`, `_` becomes `_` (`user.id` → `USER_ID`); a name that
//! is empty, starts with `_` (journald's trusted fields) or a digit, or is one of the
//! fields above, is prefixed `ESCAPED_` (`_pid` → `ESCAPED__PID`, `message` →
//! `ESCAPED_MESSAGE`); then cut to 64 bytes. Two keys that come out the same (`user.id`
//! and `user_id`) are both sent: journald keeps both values under that name.
//!
//! **Values** are sent as `NAME=value\n`, or, when the value holds a newline, in the
//! binary-safe form `NAME\n<length: u64 little-endian><bytes>\n`, so a value cannot forge
//! another field.
//!
//! **Too big for one datagram** (`EMSGSIZE`: more than the socket's send buffer, about
//! 208 KiB with Linux's default `net.core.wmem_default`): the payload is written to a
//! `memfd`, sealed against any change (`F_SEAL_SHRINK | GROW | WRITE | SEAL`), and its
//! descriptor passed to journald with `SCM_RIGHTS`, as `sd_journal_send` does.
//!
//! **Never blocking the dispatcher**: the socket is non-blocking. When journald is slow
//! and its queue is full (`EAGAIN`), the send is retried for at most [`WRITE_TIMEOUT`];
//! then the record is dropped, and until a send goes through again each record is tried
//! once, without waiting: a journald that stays behind costs the dispatcher one
//! [`WRITE_TIMEOUT`] per congestion, not one per record. **journald absent**: init succeeds (journald may start
//! later, or be restarted); each send names the socket path anew, so sending resumes by
//! itself as soon as the socket is back. Every record not delivered is counted in
//! `stats().handler(NAME).dropped` and returned as an error, which the dispatcher counts
//! in `errors` and reports on stderr (rate limited). Delivered records are `sent`.
//!
//! All system calls go through `rustix`'s safe API. Linux only (memfd, journald).

use std::fmt::Write as _;
use std::io::{self, Write as _};
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, OwnedFd};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use log::Level;
use rustix::fs::{MemfdFlags, SealFlags};
use rustix::io::Errno;
use rustix::net::{
    AddressFamily, SendAncillaryBuffer, SendAncillaryMessage, SendFlags, SocketAddrUnix,
    SocketFlags, SocketType,
};
use serde::Deserialize;

use super::Handler;
use crate::{error::Error, event::Event, stats::HandlerStats};

/// The system journal's native socket (key `socket`'s default).
pub const DEFAULT_SOCKET: &str = "/run/systemd/journal/socket";

/// How long a send is retried while journald's queue is full (`EAGAIN`) before the record
/// is dropped.
pub const WRITE_TIMEOUT: Duration = Duration::from_millis(10);

/// The pause between two tries while journald's queue is full.
const RETRY_PAUSE: Duration = Duration::from_micros(200);

/// The longest field name journald accepts.
const MAX_NAME: usize = 64;

/// The prefix of a field name that journald would refuse or that ko-log writes itself.
pub const ESCAPE_PREFIX: &str = "ESCAPED_";

/// The fields ko-log writes itself: a record's field of that name is renamed.
const STANDARD: &[&str] = &[
    "MESSAGE",
    "PRIORITY",
    "SYSLOG_IDENTIFIER",
    "CODE_FILE",
    "CODE_LINE",
    "CODE_MODULE",
    "TARGET",
    "TRACE_ID",
    "SPAN_ID",
    "TRACE_FLAGS",
];

/// The keys of a `journald` handler.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct JournaldParams {
    /// journald's native socket (key `socket`, default [`DEFAULT_SOCKET`]); a namespace's
    /// is `/run/systemd/journal.NAMESPACE/socket`.
    #[serde(default = "default_socket")]
    pub socket: PathBuf,
    /// `SYSLOG_IDENTIFIER` of every record (key `syslog_identifier`, default the
    /// executable's file name).
    #[serde(default)]
    pub syslog_identifier: Option<String>,
}

fn default_socket() -> PathBuf {
    PathBuf::from(DEFAULT_SOCKET)
}

impl Default for JournaldParams {
    fn default() -> JournaldParams {
        JournaldParams {
            socket: default_socket(),
            syslog_identifier: None,
        }
    }
}

/// Sends records to systemd-journald over its native protocol.
#[derive(Debug)]
pub struct Journald {
    socket: OwnedFd,
    path: PathBuf,
    address: SocketAddrUnix,
    identifier: String,
    /// The datagram being built, reused.
    datagram: Vec<u8>,
    /// A value's text, reused.
    text: String,
    sent: u64,
    dropped: u64,
    /// The last send gave up on a full queue: try once, without waiting, until one
    /// goes through.
    congested: bool,
    /// Sends that waited the whole [`WRITE_TIMEOUT`] (one per congestion).
    waits: u64,
}

impl Journald {
    /// A handler sending to `params.socket`. Fails only when no socket can be made or the
    /// path is too long for a socket address; the socket need not exist yet.
    pub fn new(params: &JournaldParams) -> io::Result<Journald> {
        let socket = rustix::net::socket_with(
            AddressFamily::UNIX,
            SocketType::DGRAM,
            SocketFlags::NONBLOCK | SocketFlags::CLOEXEC,
            None,
        )?;
        let address = address(params)?;
        let identifier = params
            .syslog_identifier
            .clone()
            .or_else(super::executable_name)
            .unwrap_or_else(|| "ko-log".to_owned());
        Ok(Journald {
            socket,
            path: params.socket.clone(),
            address,
            identifier,
            datagram: Vec::with_capacity(1024),
            text: String::new(),
            sent: 0,
            dropped: 0,
            congested: false,
            waits: 0,
        })
    }

    /// Builds the datagram of `event` into `self.datagram`.
    fn encode(&mut self, event: &Event) {
        let out = &mut self.datagram;
        out.clear();
        put(out, "PRIORITY", priority(event.level).as_bytes());
        put(out, "SYSLOG_IDENTIFIER", self.identifier.as_bytes());
        put(out, "MESSAGE", event.message.as_bytes());
        if let Some(file) = &event.file {
            put(out, "CODE_FILE", file.as_bytes());
        }
        if let Some(line) = event.line {
            self.text.clear();
            let _ = write!(self.text, "{line}");
            put(out, "CODE_LINE", self.text.as_bytes());
        }
        if let Some(module) = &event.module_path {
            put(out, "CODE_MODULE", module.as_bytes());
        }
        put(out, "TARGET", event.target.as_bytes());
        if let Some(trace) = &event.trace {
            for (name, hex) in trace
                .fields()
                .into_iter()
                .zip(["TRACE_ID", "SPAN_ID", "TRACE_FLAGS"])
                .map(|((_, hex), name)| (name, hex))
            {
                put(out, name, hex.as_str().as_bytes());
            }
        }
        for (key, value) in event.fields.iter() {
            self.text.clear();
            let _ = write!(self.text, "{value}");
            put(out, &field_name(key), self.text.as_bytes());
        }
    }

    /// Sends the built datagram (directly, or as a sealed memfd when it is too big),
    /// tracking congestion (module docs).
    fn send(&mut self) -> io::Result<()> {
        let patience = if self.congested {
            Duration::ZERO
        } else {
            WRITE_TIMEOUT
        };
        let result = self.send_within(patience);
        let full =
            matches!(&result, Err(e) if e.raw_os_error() == Some(Errno::AGAIN.raw_os_error()));
        if full && !self.congested {
            self.waits += 1;
        }
        self.congested = full;
        result
    }

    fn send_within(&self, patience: Duration) -> io::Result<()> {
        let direct = retrying(patience, || {
            rustix::net::sendto(
                &self.socket,
                &self.datagram,
                SendFlags::empty(),
                &self.address,
            )
            .map(drop)
        });
        match direct {
            Err(Errno::MSGSIZE) => self.send_memfd(patience),
            other => other.map_err(io::Error::from),
        }
    }

    /// Writes the datagram to a memfd, seals it and passes its descriptor.
    fn send_memfd(&self, patience: Duration) -> io::Result<()> {
        let fd = rustix::fs::memfd_create(
            "ko-log-journald",
            MemfdFlags::ALLOW_SEALING | MemfdFlags::CLOEXEC,
        )?;
        let mut file = std::fs::File::from(fd);
        file.write_all(&self.datagram)?;
        rustix::fs::fcntl_add_seals(
            &file,
            SealFlags::SHRINK | SealFlags::GROW | SealFlags::WRITE | SealFlags::SEAL,
        )?;
        let fds = [file.as_fd()];
        let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
        let mut control = SendAncillaryBuffer::new(&mut space);
        if !control.push(SendAncillaryMessage::ScmRights(&fds)) {
            return Err(io::Error::other("no room for SCM_RIGHTS"));
        }
        retrying(patience, || {
            rustix::net::sendmsg_addr(
                &self.socket,
                &self.address,
                &[],
                &mut control,
                SendFlags::empty(),
            )
            .map(drop)
        })
        .map_err(io::Error::from)
        // `file` closes here: journald holds its own descriptor.
    }
}

impl Handler for Journald {
    fn write(&mut self, _line: &[u8], event: &Event) -> Result<(), Error> {
        self.encode(event);
        match self.send() {
            Ok(()) => {
                self.sent += 1;
                Ok(())
            }
            Err(error) => {
                self.dropped += 1;
                Err(Error::io(
                    "Journald",
                    "send",
                    self.path.clone(),
                    explain(error),
                ))
            }
        }
    }

    fn flush(&mut self) -> Result<(), Error> {
        Ok(())
    }

    fn structured(&self) -> bool {
        true
    }

    fn counts(&self) -> HandlerStats {
        HandlerStats {
            sent: self.sent,
            dropped: self.dropped,
            ..HandlerStats::default()
        }
    }
}

/// Tries `send` until it succeeds, fails with another error than `EAGAIN`, or `patience`
/// has passed (then `EAGAIN`; a zero `patience` tries once).
fn retrying(patience: Duration, mut send: impl FnMut() -> Result<(), Errno>) -> Result<(), Errno> {
    let deadline = Instant::now() + patience;
    loop {
        match send() {
            Err(Errno::AGAIN) if Instant::now() < deadline => std::thread::sleep(RETRY_PAUSE),
            Err(Errno::INTR) => {}
            other => return other,
        }
    }
}

/// Says what a failed send means for the user.
fn explain(error: io::Error) -> io::Error {
    let what = match error.raw_os_error().map(Errno::from_raw_os_error) {
        Some(Errno::NOENT) | Some(Errno::CONNREFUSED) => {
            "journald is not running (no socket); record dropped, sending resumes when it is back"
        }
        Some(Errno::AGAIN) => {
            "journald is not keeping up (its queue is full); record dropped, each record tried once until one goes through"
        }
        _ => return error,
    };
    io::Error::new(error.kind(), format!("{what}: {error}"))
}

/// The `PRIORITY` of a level (syslog's: error 3, warning 4, info 6, debug 7).
pub fn priority(level: Level) -> &'static str {
    match level {
        Level::Error => "3",
        Level::Warn => "4",
        Level::Info => "6",
        Level::Debug | Level::Trace => "7",
    }
}

/// The journal field name a record's `key` is sent under (see the module docs):
/// uppercased, `[A-Z0-9_]` only, prefixed [`ESCAPE_PREFIX`] when empty, starting with `_`
/// or a digit, or one of the fields ko-log writes itself, at most 64 bytes.
pub fn field_name(key: &str) -> String {
    let mut name = String::with_capacity(key.len().min(MAX_NAME));
    for c in key.chars() {
        name.push(match c {
            'a'..='z' => c.to_ascii_uppercase(),
            'A'..='Z' | '0'..='9' | '_' => c,
            _ => '_',
        });
        if name.len() > MAX_NAME {
            break;
        }
    }
    let escape = name.is_empty()
        || name.starts_with(|c: char| c == '_' || c.is_ascii_digit())
        || STANDARD.contains(&name.as_str());
    if escape {
        name.insert_str(0, ESCAPE_PREFIX);
    }
    name.truncate(MAX_NAME);
    name
}

/// Appends one field: `NAME=value\n`, or `NAME\n<u64 LE length><value>\n` when the value
/// holds a newline.
fn put(out: &mut Vec<u8>, name: &str, value: &[u8]) {
    out.extend_from_slice(name.as_bytes());
    if value.contains(&b'\n') {
        out.push(b'\n');
        out.extend_from_slice(&(value.len() as u64).to_le_bytes());
    } else {
        out.push(b'=');
    }
    out.extend_from_slice(value);
    out.push(b'\n');
}

/// journald's address, or why `socket` cannot be one (too long): what `ko_log::check`
/// runs, opening nothing.
fn address(params: &JournaldParams) -> io::Result<SocketAddrUnix> {
    SocketAddrUnix::new(params.socket.as_path()).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "socket {} cannot be a socket address: {}",
                params.socket.display(),
                io::Error::from(e)
            ),
        )
    })
}

/// The JSON Schema of a `journald` table's own keys.
fn schema() -> serde_json::Value {
    use ko_log_config::schema::{describe, string, table};
    describe(table(
        &[
            ("socket", describe(string(), "journald's native socket (default /run/systemd/journal/socket); a namespace's is /run/systemd/journal.NAMESPACE/socket.")),
            ("syslog_identifier", describe(string(), "SYSLOG_IDENTIFIER of every record (default: the executable's file name).")),
        ],
        &[],
    ), "Structured records to systemd-journald over its native protocol (Linux); no renderer runs.")
}

/// `type = "journald"`, registered as a user's handler is.
#[ko_log::handler(check = address, schema = schema)]
fn journald(params: &JournaldParams) -> Result<Journald, io::Error> {
    Journald::new(params)
}

crate::registry::schema_test!(schema, JournaldParams);

#[cfg(test)]
mod tests {
    use super::*;

    use std::os::unix::net::UnixDatagram;

    #[test]
    fn names_are_journald_names() {
        assert_eq!(field_name("user_id"), "USER_ID");
        assert_eq!(field_name("user.id"), "USER_ID");
        assert_eq!(field_name("Ünïcode-key"), "ESCAPED__N_CODE_KEY");
        assert_eq!(field_name("héllo"), "H_LLO");
        assert_eq!(field_name("_pid"), "ESCAPED__PID");
        assert_eq!(field_name("9lives"), "ESCAPED_9LIVES");
        assert_eq!(field_name(""), "ESCAPED_");
        assert_eq!(field_name("message"), "ESCAPED_MESSAGE");
        assert_eq!(field_name("target"), "ESCAPED_TARGET");
        assert_eq!(field_name("code_line"), "ESCAPED_CODE_LINE");
        assert_eq!(field_name("message_id"), "MESSAGE_ID");
        assert_eq!(field_name(&"a".repeat(100)), "A".repeat(64));
        assert_eq!(field_name(&"_".repeat(100)).len(), 64);
        assert_eq!(field_name(&"é".repeat(100)).len(), 64);
    }

    #[test]
    fn a_value_with_a_newline_is_length_prefixed() {
        let mut out = Vec::new();
        put(&mut out, "A", b"one");
        put(&mut out, "B", b"x\ny");
        let mut expected = b"A=one\nB\n".to_vec();
        expected.extend_from_slice(&3u64.to_le_bytes());
        expected.extend_from_slice(b"x\ny\n");
        assert_eq!(out, expected);
    }

    #[test]
    fn levels_map_to_syslog_priorities() {
        let all = [
            Level::Error,
            Level::Warn,
            Level::Info,
            Level::Debug,
            Level::Trace,
        ];
        let priorities: Vec<&str> = all.into_iter().map(priority).collect();
        assert_eq!(priorities, ["3", "4", "6", "7", "7"]);
    }

    fn receiver() -> (tempfile::TempDir, UnixDatagram, Journald) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("socket");
        let receiver = UnixDatagram::bind(&path).unwrap();
        let params = JournaldParams {
            socket: path,
            syslog_identifier: Some("kotest".to_owned()),
        };
        (dir, receiver, Journald::new(&params).unwrap())
    }

    #[test]
    fn a_record_is_one_datagram_of_fields() {
        let (_dir, receiver, mut journald) = receiver();
        let mut event = Event::new(Level::Warn, "app::db", "slow query");
        event.file = Some("src/db.rs".into());
        event.line = Some(42);
        event.module_path = Some("app::db".into());
        event.fields.insert("rows", 7u64);
        event.fields.insert("message", "shadow");
        journald.write(b"", &event).unwrap();
        let mut buf = vec![0; 4096];
        let n = receiver.recv(&mut buf).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&buf[..n]),
            "PRIORITY=4\nSYSLOG_IDENTIFIER=kotest\nMESSAGE=slow query\nCODE_FILE=src/db.rs\n\
             CODE_LINE=42\nCODE_MODULE=app::db\nTARGET=app::db\nROWS=7\nESCAPED_MESSAGE=shadow\n"
        );
        assert_eq!(journald.counts().sent, 1);
    }

    #[test]
    fn a_record_too_big_for_a_datagram_goes_as_a_sealed_memfd() {
        use rustix::net::{RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags};
        use std::io::Read;

        let (_dir, receiver, mut journald) = receiver();
        let message = "x".repeat(4 << 20);
        let event = Event::new(Level::Info, "app", message.clone());
        journald.write(b"", &event).unwrap();
        let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
        let mut control = RecvAncillaryBuffer::new(&mut space);
        let mut buf = [0u8; 16];
        let mut iov = [io::IoSliceMut::new(&mut buf)];
        let got =
            rustix::net::recvmsg(&receiver, &mut iov, &mut control, RecvFlags::empty()).unwrap();
        assert_eq!(got.bytes, 0, "no payload beside the descriptor");
        let mut fds = Vec::new();
        for message in control.drain() {
            if let RecvAncillaryMessage::ScmRights(rights) = message {
                fds.extend(rights);
            }
        }
        assert_eq!(fds.len(), 1);
        let fd = fds.pop().unwrap();
        let seals = rustix::fs::fcntl_get_seals(&fd).unwrap();
        assert!(seals
            .contains(SealFlags::SHRINK | SealFlags::GROW | SealFlags::WRITE | SealFlags::SEAL));
        let mut payload = Vec::new();
        let mut file = std::fs::File::from(fd);
        rustix::fs::seek(&file, rustix::fs::SeekFrom::Start(0)).unwrap();
        file.read_to_end(&mut payload).unwrap();
        let text = String::from_utf8(payload).unwrap();
        assert!(text.contains(&format!("\nMESSAGE={message}\n")));
        assert_eq!(journald.counts().sent, 1);
    }

    #[test]
    fn no_socket_is_a_dropped_record_not_a_hang() {
        let dir = tempfile::tempdir().unwrap();
        let params = JournaldParams {
            socket: dir.path().join("absent"),
            syslog_identifier: None,
        };
        let mut journald = Journald::new(&params).unwrap();
        let error = journald
            .write(b"", &Event::new(Level::Info, "app", "lost"))
            .unwrap_err();
        assert!(
            error.to_string().contains("journald is not running"),
            "{error}"
        );
        assert_eq!(journald.counts().dropped, 1);
        assert_eq!(journald.counts().sent, 0);
    }

    #[test]
    fn a_full_queue_is_waited_for_once_per_congestion_then_dropped() {
        let (_dir, receiver, mut journald) = receiver();
        let event = Event::new(Level::Info, "app", "x".repeat(1000));
        for _ in 0..200 {
            let _ = journald.write(b"", &event);
        }
        let counts = journald.counts();
        assert_eq!(counts.sent + counts.dropped, 200);
        assert!(counts.dropped > 0, "{counts:?}");
        // One wait of WRITE_TIMEOUT for the whole congestion, not one per record.
        assert_eq!(journald.waits, 1);
        assert!(journald.congested);
        // journald catches up: the next send goes through and ends the congestion.
        receiver.set_nonblocking(true).unwrap();
        let mut datagram = vec![0; 4096];
        while receiver.recv(&mut datagram).is_ok() {}
        journald
            .write(b"", &event)
            .expect("sent once journald has room");
        assert!(!journald.congested);
    }
}
