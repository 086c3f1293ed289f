//! Byte transports for the [`sender`](super::sender): TCP, UDP, unix stream and unix
//! datagram sockets carrying ready-made messages (`Vec<u8>` each), with std sockets only.
//!
//! - Stream sockets (`tcp`, `unix`) write a whole batch with as few `write` calls as the
//!   kernel allows, each bounded by `write_timeout` (`set_write_timeout`), and count how
//!   many messages were fully written before a failure, so a retry resends only the
//!   rest. Before each batch they peek at the socket: a peer that closed its side (a
//!   collector that restarted) is noticed there, before anything is written into a dead
//!   connection.
//! - Datagram sockets (`udp`, unix datagram) send one message per datagram; the caller
//!   has already cut messages to the datagram size it allows.
//! - A unix path that refuses datagrams (`EPROTOTYPE`: a stream socket) is reached as a
//!   stream socket instead ([`Transport::UnixAuto`]), as glibc's `syslog()` does.

use std::io::{self, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs, UdpSocket};
#[cfg(unix)]
use std::os::unix::net::{UnixDatagram, UnixStream};
use std::path::PathBuf;
use std::time::Duration;

use super::sender::{self, Failed};

/// `EPROTOTYPE` on Linux and the BSDs (std has no portable constant for it).
#[cfg(target_os = "linux")]
const EPROTOTYPE: i32 = 91;
#[cfg(not(target_os = "linux"))]
const EPROTOTYPE: i32 = 41;

/// Where a byte transport sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Address {
    /// `tcp`: host and port, resolved at each connection.
    Tcp(String),
    /// `udp`: host and port, resolved at each connection.
    Udp(String),
    /// `unix` stream socket.
    UnixStream(PathBuf),
    /// unix datagram socket, or stream when the path is one (syslog's `unix`).
    UnixAuto(PathBuf),
}

impl Address {
    /// As status records and reports name it: `tcp://127.0.0.1:601`, `unix:///dev/log`.
    pub fn describe(&self) -> String {
        match self {
            Address::Tcp(a) => format!("tcp://{a}"),
            Address::Udp(a) => format!("udp://{a}"),
            Address::UnixStream(p) | Address::UnixAuto(p) => format!("unix://{}", p.display()),
        }
    }
}

/// An open connection.
#[derive(Debug)]
enum Connection {
    Tcp(TcpStream),
    Udp(UdpSocket),
    #[cfg(unix)]
    UnixStream(UnixStream),
    #[cfg(unix)]
    UnixDatagram(UnixDatagram),
}

/// A [`sender::Transport`] of ready-made messages over a std socket.
#[derive(Debug)]
pub(crate) struct Transport {
    address: Address,
    write_timeout: Duration,
    connection: Option<Connection>,
    /// One batch, concatenated for stream sockets.
    scratch: Vec<u8>,
}

impl Transport {
    /// A transport to `address`; nothing connects yet.
    pub fn new(address: Address, write_timeout: Duration) -> Transport {
        Transport {
            address,
            write_timeout,
            connection: None,
            scratch: Vec::new(),
        }
    }
}

/// The addresses `address` resolves to.
fn resolve(address: &str) -> io::Result<Vec<SocketAddr>> {
    let addrs: Vec<SocketAddr> = address.to_socket_addrs()?.collect();
    if addrs.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("`{address}` resolves to no address"),
        ));
    }
    Ok(addrs)
}

fn connect_tcp(address: &str, timeout: Duration, write_timeout: Duration) -> io::Result<TcpStream> {
    let mut last = None;
    for addr in resolve(address)? {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(stream) => {
                stream.set_write_timeout(Some(write_timeout))?;
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Err(error) => last = Some(error),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::from(io::ErrorKind::NotFound)))
}

fn connect_udp(address: &str, write_timeout: Duration) -> io::Result<UdpSocket> {
    let mut last = None;
    for addr in resolve(address)? {
        let local: SocketAddr = if addr.is_ipv4() {
            ([0, 0, 0, 0], 0).into()
        } else {
            ([0u16; 8], 0).into()
        };
        let attempt = UdpSocket::bind(local).and_then(|socket| {
            socket.connect(addr)?;
            socket.set_write_timeout(Some(write_timeout))?;
            Ok(socket)
        });
        match attempt {
            Ok(socket) => return Ok(socket),
            Err(error) => last = Some(error),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::from(io::ErrorKind::NotFound)))
}

impl sender::Transport for Transport {
    type Item = Vec<u8>;

    fn connect(&mut self, timeout: Duration) -> io::Result<()> {
        let write_timeout = self.write_timeout;
        let connection = match &self.address {
            Address::Tcp(address) => Connection::Tcp(connect_tcp(address, timeout, write_timeout)?),
            Address::Udp(address) => Connection::Udp(connect_udp(address, write_timeout)?),
            #[cfg(unix)]
            Address::UnixStream(path) => {
                let stream = UnixStream::connect(path)?;
                stream.set_write_timeout(Some(write_timeout))?;
                Connection::UnixStream(stream)
            }
            #[cfg(unix)]
            Address::UnixAuto(path) => {
                let datagram = UnixDatagram::unbound().and_then(|socket| {
                    socket.connect(path)?;
                    socket.set_write_timeout(Some(write_timeout))?;
                    Ok(socket)
                });
                match datagram {
                    Ok(socket) => Connection::UnixDatagram(socket),
                    Err(error) if error.raw_os_error() == Some(EPROTOTYPE) => {
                        let stream = UnixStream::connect(path)?;
                        stream.set_write_timeout(Some(write_timeout))?;
                        Connection::UnixStream(stream)
                    }
                    Err(error) => return Err(error),
                }
            }
            #[cfg(not(unix))]
            Address::UnixStream(_) | Address::UnixAuto(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::Unsupported,
                    "unix sockets need a unix system",
                ))
            }
        };
        self.connection = Some(connection);
        Ok(())
    }

    fn send(&mut self, batch: &[Vec<u8>]) -> Result<(), Failed> {
        let not_connected = || Failed {
            sent: 0,
            error: io::Error::from(io::ErrorKind::NotConnected),
        };
        let Some(connection) = self.connection.as_mut() else {
            return Err(not_connected());
        };
        match connection {
            Connection::Tcp(stream) => {
                if let Some(error) = tcp_peer_gone(stream) {
                    return Err(Failed { sent: 0, error });
                }
                write_stream(stream, batch, &mut self.scratch)
            }
            #[cfg(unix)]
            Connection::UnixStream(stream) => write_stream(stream, batch, &mut self.scratch),
            Connection::Udp(socket) => send_each(batch, |message| socket.send(message).map(|_| ())),
            #[cfg(unix)]
            Connection::UnixDatagram(socket) => {
                send_each(batch, |message| socket.send(message).map(|_| ()))
            }
        }
    }

    fn disconnect(&mut self) {
        self.connection = None;
    }

    fn destination(&self) -> String {
        self.address.describe()
    }
}

/// Sends one datagram per message, counting those sent before a failure.
fn send_each(
    batch: &[Vec<u8>],
    mut send: impl FnMut(&[u8]) -> io::Result<()>,
) -> Result<(), Failed> {
    for (sent, message) in batch.iter().enumerate() {
        if let Err(error) = send(message) {
            return Err(Failed { sent, error });
        }
    }
    Ok(())
}

/// Whether the peer has closed its side: a zero-byte peek without waiting. Data the peer
/// sent us (collectors send none) is left unread and ignored.
fn tcp_peer_gone(stream: &TcpStream) -> Option<io::Error> {
    if stream.set_nonblocking(true).is_err() {
        return None;
    }
    let mut byte = [0u8; 1];
    let gone = match stream.peek(&mut byte) {
        Ok(0) => Some(io::Error::new(
            io::ErrorKind::ConnectionAborted,
            "the peer closed the connection",
        )),
        Ok(_) => None,
        Err(error) if error.kind() == io::ErrorKind::WouldBlock => None,
        Err(error) => Some(error),
    };
    let _ = stream.set_nonblocking(false);
    gone
}

/// Writes a batch as one byte run; on failure, `sent` is the number of messages written
/// whole before it.
fn write_stream(
    stream: &mut impl Write,
    batch: &[Vec<u8>],
    scratch: &mut Vec<u8>,
) -> Result<(), Failed> {
    scratch.clear();
    for message in batch {
        scratch.extend_from_slice(message);
    }
    let mut written = 0;
    while written < scratch.len() {
        match stream.write(&scratch[written..]) {
            Ok(0) => {
                return Err(Failed {
                    sent: whole(batch, written),
                    error: io::Error::from(io::ErrorKind::WriteZero),
                })
            }
            Ok(n) => written += n,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => {
                return Err(Failed {
                    sent: whole(batch, written),
                    error,
                })
            }
        }
    }
    if scratch.capacity() > 1 << 20 {
        *scratch = Vec::new();
    }
    Ok(())
}

/// How many messages of `batch` fit whole in its first `bytes` bytes.
fn whole(batch: &[Vec<u8>], bytes: usize) -> usize {
    let mut end = 0;
    for (count, message) in batch.iter().enumerate() {
        end += message.len();
        if end > bytes {
            return count;
        }
    }
    batch.len()
}

/// Cuts `message` to at most `max` bytes without splitting a UTF-8 character; when cut
/// and `newline` is set, the last byte kept is a `\n`.
pub(crate) fn truncate(message: &mut Vec<u8>, max: usize, newline: bool) {
    if message.len() <= max {
        return;
    }
    let keep = if newline { max.saturating_sub(1) } else { max };
    let mut end = keep.min(message.len());
    // Back off continuation bytes (10xxxxxx) so no character is split.
    while end > 0 && end < message.len() && (message[end] & 0xC0) == 0x80 {
        end -= 1;
    }
    message.truncate(end);
    if newline {
        message.push(b'\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_counts_fully_written_messages() {
        let batch = vec![b"ab\n".to_vec(), b"cd\n".to_vec(), b"ef\n".to_vec()];
        assert_eq!(whole(&batch, 0), 0);
        assert_eq!(whole(&batch, 3), 1);
        assert_eq!(whole(&batch, 5), 1);
        assert_eq!(whole(&batch, 9), 3);
    }

    #[test]
    fn truncate_keeps_characters_whole() {
        let mut m = "aé\n".as_bytes().to_vec(); // a, é (2 bytes), \n
        truncate(&mut m, 3, true);
        assert_eq!(m, b"a\n");
        let mut m = b"abcdef".to_vec();
        truncate(&mut m, 4, false);
        assert_eq!(m, b"abcd");
        let mut m = b"ab\n".to_vec();
        truncate(&mut m, 10, true);
        assert_eq!(m, b"ab\n");
    }
}
