//! `type = "socket"`: rendered lines to a TCP, UDP or unix stream socket, from the
//! handler's own thread (see [`sender`](super::plumbing::sender) for buffering, backpressure,
//! reconnecting and shutdown).
//!
//! ```toml
//! [handlers.vector]
//! type = "socket"
//! transport = "tcp"             # tcp (default) | udp | unix (a unix stream socket)
//! address = "127.0.0.1:9000"    # host:port, or a path for unix
//! renderer = { type = "json" }  # the default for this handler: one JSON object per line
//! buffer = 10000
//! backpressure = "drop_oldest"  # block | drop | drop_oldest
//! write_timeout = "2s"
//! reconnect = { min = "100ms", max = "30s" }
//! max_datagram = 65507          # udp only
//! spool = { dir = "var/spool/vector", max_bytes = "1 GiB", sync = "batch" }  # see `spool`
//! ```
//!
//! One record is one line, ending with `\n` (the renderer's line; a renderer of one's own
//! that forgets the `\n` gets one added). Over UDP each line is one datagram; a line
//! longer than `max_datagram` bytes is cut to `max_datagram - 1` bytes, on a UTF-8
//! character boundary, and ends with `\n` — a JSON line so cut is no longer valid JSON,
//! which is how a receiver can tell. Nothing else is changed: the renderer has already
//! escaped newlines inside values, so a value cannot forge a second line.
//!
//! With a `spool` (module [`spool`](super::plumbing::spool)), each JSON line gets one more field,
//! `"log.record.uid"`, a unique id a receiver can drop duplicates by (delivery from a
//! spool is at least once); a line that is not a JSON object is sent as it is.

use std::path::PathBuf;

use ko_log_config::units::HumanDuration;
use ko_log_config::Backpressure;

use super::otlp::Refusal;
use super::plumbing::sender::{self, NetConfig, Reconnect, Sender};
use super::plumbing::spool::{self, Spool, SpoolParams};
use super::plumbing::transport::{self, Address, Transport};
use super::Handle;
use crate::{component::Handler, error::Error, event::Event};

/// Largest UDP payload over IPv4.
const MAX_UDP: usize = 65_507;

/// `transport` of a socket handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
enum SocketTransport {
    #[default]
    Tcp,
    Udp,
    Unix,
}

/// The keys of a `socket` handler table.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct SocketParams {
    #[serde(default)]
    transport: SocketTransport,
    address: String,
    #[serde(default = "sender::default_buffer")]
    buffer: usize,
    #[serde(default = "sender::default_backpressure")]
    backpressure: Backpressure,
    #[serde(default = "sender::default_write_timeout")]
    write_timeout: HumanDuration,
    #[serde(default)]
    reconnect: Reconnect,
    #[serde(default = "default_max_datagram")]
    max_datagram: usize,
    #[serde(default)]
    spool: Option<SpoolParams>,
}

fn default_max_datagram() -> usize {
    MAX_UDP
}

/// Sends each rendered line to a socket (module docs).
#[derive(Debug)]
pub(crate) struct Socket {
    sender: Sender<Vec<u8>>,
    /// Cut lines to this many bytes (UDP); `None` for streams.
    max_datagram: Option<usize>,
    /// Add `log.record.uid` to each JSON line (the handler spools).
    uid: bool,
}

impl SocketParams {
    /// Everything [`Socket::new`] checks, opening and starting nothing: the sender's
    /// settings, the address and the datagram limit. Also what `ko_log::check` runs.
    fn plan(&self) -> Result<(NetConfig, Address, Option<usize>), Refusal> {
        let config = NetConfig::new(
            self.buffer,
            self.backpressure,
            self.write_timeout,
            self.reconnect,
            512,
        )?;
        spool::check(self.spool.as_ref())?;
        if self.max_datagram == 0 || self.max_datagram > MAX_UDP {
            return Err(format!("`max_datagram` must be from 1 to {MAX_UDP}").into());
        }
        let (address, max_datagram) = match self.transport {
            SocketTransport::Tcp => (Address::Tcp(self.address.clone()), None),
            SocketTransport::Udp => (Address::Udp(self.address.clone()), Some(self.max_datagram)),
            SocketTransport::Unix => (Address::UnixStream(PathBuf::from(&self.address)), None),
        };
        Ok((config, address, max_datagram))
    }
}

/// The JSON Schema of a `socket` table's own keys.
fn schema() -> serde_json::Value {
    use ko_log_config::schema::{describe, integer, one_of, string, table, with};
    let mut keys = vec![
        (
            "transport",
            describe(
                one_of(&["tcp", "udp", "unix"]),
                "tcp (default), udp, or unix (a unix stream socket).",
            ),
        ),
        (
            "address",
            describe(string(), "host:port, or a path for unix."),
        ),
        (
            "max_datagram",
            describe(
                with(
                    integer(),
                    serde_json::json!({"minimum": 1, "maximum": MAX_UDP}),
                ),
                "udp only: a longer line is cut to this many bytes (default 65507).",
            ),
        ),
    ];
    keys.extend(sender::schema_keys("drop_oldest"));
    keys.push(spool::schema_key());
    ko_log_config::schema::describe(
        table(&keys, &["address"]),
        "Rendered lines (JSON lines by default) to a TCP, UDP or unix stream socket, sent from the handler's own thread behind a bounded buffer.",
    )
}

impl Socket {
    /// Starts the handler's thread; nothing connects until the first record.
    pub fn new(params: &SocketParams, handle: &Handle) -> Result<Socket, Refusal> {
        let (config, address, max_datagram) = params.plan()?;
        let spool = params.spool.as_ref().map(Spool::open).transpose()?;
        let uid = spool.is_some();
        let transport = Transport::new(address, config.write_timeout);
        let sender = Sender::spawn("socket", transport, config, spool, handle)
            .map_err(|e| format!("cannot start its thread: {e}"))?;
        Ok(Socket {
            sender,
            max_datagram,
            uid,
        })
    }
}

impl Handler for Socket {
    /// JSON lines: what Vector, Fluent Bit and Logstash read from a socket.
    fn default_renderer(&self) -> Option<ko_log_config::RendererConfig> {
        Some(ko_log_config::RendererConfig::new("json"))
    }

    fn write(&mut self, line: &[u8], _event: &Event) -> Result<(), Error> {
        let mut message = Vec::with_capacity(line.len() + 64);
        message.extend_from_slice(line);
        if message.ends_with(b"\n") {
            message.pop();
        }
        if self.uid {
            add_uid(&mut message, &spool::next_uid());
        }
        message.push(b'\n');
        if let Some(max) = self.max_datagram {
            transport::truncate(&mut message, max, true);
        }
        self.sender.push(message);
        Ok(())
    }

    super::plumbing::sender::sent_by_sender!();
}

/// Adds `"log.record.uid":"UID"` as the last field of `line` when it is a JSON object
/// (without its newline).
fn add_uid(line: &mut Vec<u8>, uid: &str) {
    if !(line.starts_with(b"{") && line.ends_with(b"}")) {
        return;
    }
    line.pop();
    if line.len() > 1 {
        line.push(b',');
    }
    line.extend_from_slice(b"\"log.record.uid\":\"");
    line.extend_from_slice(uid.as_bytes());
    line.extend_from_slice(b"\"}");
}

/// `[handlers.NAME]` with `type = "socket"`: registered like a user's handler.
#[ko_log::handler(check = SocketParams::plan, schema = schema)]
fn socket(params: &SocketParams, handle: &Handle) -> Result<Socket, Refusal> {
    Socket::new(params, handle)
}

crate::registry::schema_test!(schema, SocketParams);

#[cfg(test)]
mod tests {
    #[test]
    fn the_uid_is_the_last_field_of_a_json_line_only() {
        let mut line = br#"{"message":"hi"}"#.to_vec();
        super::add_uid(&mut line, "a-1-2");
        assert_eq!(line, br#"{"message":"hi","log.record.uid":"a-1-2"}"#);
        let mut empty = b"{}".to_vec();
        super::add_uid(&mut empty, "u");
        assert_eq!(empty, br#"{"log.record.uid":"u"}"#);
        let mut plain = b"INFO hi".to_vec();
        super::add_uid(&mut plain, "u");
        assert_eq!(plain, b"INFO hi");
    }
}
