//! `type = "socket"`: rendered lines to a TCP, UDP or unix stream socket, from the
//! handler's own thread (see [`sender`](super::sender) for buffering, backpressure,
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
//! ```
//!
//! One record is one line, ending with `\n` (the renderer's line; a renderer of one's own
//! that forgets the `\n` gets one added). Over UDP each line is one datagram; a line
//! longer than `max_datagram` bytes is cut to `max_datagram - 1` bytes, on a UTF-8
//! character boundary, and ends with `\n` — a JSON line so cut is no longer valid JSON,
//! which is how a receiver can tell. Nothing else is changed: the renderer has already
//! escaped newlines inside values, so a value cannot forge a second line.

use std::path::PathBuf;

use ko_log_config::units::HumanDuration;
use ko_log_config::Backpressure;

use super::sender::{self, NetConfig, Reconnect, Sender};
use super::transport::{self, Address, Transport};
use crate::{Error, Event, Handler, HandlerStats};

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
}

impl Socket {
    /// Starts the handler's thread; nothing connects until the first record.
    pub fn new(params: &SocketParams) -> Result<Socket, String> {
        let config = NetConfig::new(
            params.buffer,
            params.backpressure,
            params.write_timeout,
            params.reconnect,
            512,
        )?;
        if params.max_datagram == 0 || params.max_datagram > MAX_UDP {
            return Err(format!("`max_datagram` must be from 1 to {MAX_UDP}"));
        }
        let (address, max_datagram) = match params.transport {
            SocketTransport::Tcp => (Address::Tcp(params.address.clone()), None),
            SocketTransport::Udp => (
                Address::Udp(params.address.clone()),
                Some(params.max_datagram),
            ),
            SocketTransport::Unix => (Address::UnixStream(PathBuf::from(&params.address)), None),
        };
        let transport = Transport::new(address, config.write_timeout);
        let sender = Sender::spawn("socket", transport, config)
            .map_err(|e| format!("cannot start its thread: {e}"))?;
        Ok(Socket {
            sender,
            max_datagram,
        })
    }
}

impl Handler for Socket {
    /// JSON lines: what Vector, Fluent Bit and Logstash read from a socket.
    fn default_renderer(&self) -> Option<ko_log_config::RendererConfig> {
        Some(ko_log_config::RendererConfig::Json(
            ko_log_config::render::JsonConfig::default(),
        ))
    }

    fn write(&mut self, line: &[u8], event: &Event) -> Result<(), Error> {
        if self.sender.is_own_status(event) {
            return Ok(());
        }
        let mut message = Vec::with_capacity(line.len() + 1);
        message.extend_from_slice(line);
        if !message.ends_with(b"\n") {
            message.push(b'\n');
        }
        if let Some(max) = self.max_datagram {
            transport::truncate(&mut message, max, true);
        }
        self.sender.push(message);
        Ok(())
    }

    fn flush(&mut self) -> Result<(), Error> {
        self.sender.flush();
        Ok(())
    }

    fn sync(&mut self) -> Result<(), Error> {
        self.sender.sync();
        Ok(())
    }

    fn counts(&self) -> HandlerStats {
        self.sender.counts()
    }

    fn hold(&self) -> Option<super::Hold> {
        self.sender.hold()
    }
}

/// `[handlers.NAME]` with `type = "socket"`: registered like a user's handler.
#[ko_log::handler]
fn socket(params: &SocketParams) -> Result<Socket, String> {
    Socket::new(params)
}
