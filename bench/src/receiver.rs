//! In-process receivers for the network handlers: a thread on `127.0.0.1:0` that reads
//! everything sent to it and counts records and bytes, so a run can say how many of its
//! records arrived and when the last one did.
//!
//! - [`Kind::TcpLines`]: `socket` over TCP, one record per `\n`.
//! - [`Kind::TcpOctetCounted`]: `syslog` over TCP, RFC 6587 frames `LEN SP MSG`.
//! - [`Kind::Udp`]: `socket` or `syslog` over UDP, one record per datagram.
//! - [`Kind::Http`]: `otlp` (protobuf): answers every POST with `200 OK` and
//!   `Content-Length: 0`, and counts the `LogRecord`s in each body.
//!
//! [`dead_tcp_address`] is a loopback port that nothing listens on.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::workload::Delivered;

/// How long a receiver must have been idle (and, for TCP, every connection closed)
/// before [`Receiver::finish`] counts it done.
const QUIET: Duration = Duration::from_millis(200);
/// [`Receiver::finish`] waits at most this long.
const FINISH_LIMIT: Duration = Duration::from_secs(20);
/// Reads wake up this often to look at the stop flag.
const POLL: Duration = Duration::from_millis(50);

/// What is listened for and how records are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    TcpLines,
    TcpOctetCounted,
    Udp,
    Http,
}

#[derive(Debug, Default)]
struct Counts {
    records: AtomicU64,
    bytes: AtomicU64,
    /// Connections open now (TCP).
    open: AtomicUsize,
    /// Requests answered (HTTP).
    requests: AtomicU64,
    last: Mutex<Option<Instant>>,
}

impl Counts {
    fn add(&self, records: u64, bytes: u64) {
        self.records.fetch_add(records, Ordering::Relaxed);
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
        *self.last.lock().unwrap_or_else(PoisonError::into_inner) = Some(Instant::now());
    }

    fn last(&self) -> Option<Instant> {
        *self.last.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A running receiver; [`Receiver::finish`] stops it and returns what it got.
#[derive(Debug)]
pub struct Receiver {
    kind: Kind,
    addr: SocketAddr,
    counts: Arc<Counts>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Receiver {
    pub fn start(kind: Kind) -> io::Result<Receiver> {
        let counts = Arc::new(Counts::default());
        let stop = Arc::new(AtomicBool::new(false));
        let (c, s) = (counts.clone(), stop.clone());
        let (addr, thread) = if kind == Kind::Udp {
            let socket = UdpSocket::bind("127.0.0.1:0")?;
            socket.set_read_timeout(Some(POLL))?;
            let addr = socket.local_addr()?;
            let thread = std::thread::Builder::new()
                .name("bench-rx-udp".into())
                .spawn(move || udp(socket, &c, &s))?;
            (addr, thread)
        } else {
            let listener = TcpListener::bind("127.0.0.1:0")?;
            let addr = listener.local_addr()?;
            let thread = std::thread::Builder::new()
                .name("bench-rx-tcp".into())
                .spawn(move || accept(listener, kind, &c, &s))?;
            (addr, thread)
        };
        Ok(Receiver {
            kind,
            addr,
            counts,
            stop,
            thread: Some(thread),
        })
    }

    /// `127.0.0.1:PORT`.
    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    /// Waits until the sender is done (idle for [`QUIET`], TCP connections closed),
    /// stops the receiver and returns its counts; `tail` is how long after `since` the
    /// last byte came.
    pub fn finish(mut self, since: Instant) -> Delivered {
        let start = Instant::now();
        loop {
            let idle = match self.counts.last() {
                Some(t) => t.elapsed() >= QUIET,
                None => start.elapsed() >= QUIET,
            };
            let closed = self.kind == Kind::Udp || self.counts.open.load(Ordering::Relaxed) == 0;
            if (idle && closed) || start.elapsed() >= FINISH_LIMIT {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let delivered = self.snapshot(since);
        self.stop();
        delivered
    }

    /// The counts so far, without stopping.
    pub fn snapshot(&self, since: Instant) -> Delivered {
        Delivered {
            records: self.counts.records.load(Ordering::Relaxed),
            bytes: self.counts.bytes.load(Ordering::Relaxed),
            tail: self
                .counts
                .last()
                .map_or(Duration::ZERO, |t| t.saturating_duration_since(since)),
        }
    }

    /// HTTP requests answered.
    pub fn requests(&self) -> u64 {
        self.counts.requests.load(Ordering::Relaxed)
    }

    fn stop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if self.kind != Kind::Udp {
            // Wake the blocking `accept`.
            let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A loopback TCP address with no listener (bound, then closed): connections are refused.
pub fn dead_tcp_address() -> io::Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.to_string())
}

fn udp(socket: UdpSocket, counts: &Counts, stop: &AtomicBool) {
    let mut buf = vec![0u8; 65_536];
    while !stop.load(Ordering::Relaxed) {
        match socket.recv(&mut buf) {
            Ok(n) => counts.add(1, n as u64),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(_) => std::thread::sleep(POLL),
        }
    }
}

fn accept(listener: TcpListener, kind: Kind, counts: &Arc<Counts>, stop: &Arc<AtomicBool>) {
    let mut threads = Vec::new();
    for conn in listener.incoming() {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let Ok(conn) = conn else { continue };
        let _ = conn.set_read_timeout(Some(POLL));
        counts.open.fetch_add(1, Ordering::Relaxed);
        let (c, s) = (counts.clone(), stop.clone());
        if let Ok(t) = std::thread::Builder::new()
            .name("bench-rx-conn".into())
            .spawn(move || {
                let _ = match kind {
                    Kind::Http => http(conn, &c, &s),
                    _ => stream(conn, kind, &c, &s),
                };
                c.open.fetch_sub(1, Ordering::Relaxed);
            })
        {
            threads.push(t);
        }
    }
    for t in threads {
        let _ = t.join();
    }
}

fn timed_out(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// Reads a TCP stream to its end, counting lines or octet-counted frames.
fn stream(mut conn: TcpStream, kind: Kind, counts: &Counts, stop: &AtomicBool) -> io::Result<()> {
    let mut buf = vec![0u8; 1 << 16];
    let mut frames = OctetFrames::default();
    loop {
        let n = match conn.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if timed_out(&e) && !stop.load(Ordering::Relaxed) => continue,
            Err(e) => return Err(e),
        };
        let chunk = &buf[..n];
        let records = match kind {
            Kind::TcpOctetCounted => frames.feed(chunk),
            _ => chunk.iter().filter(|&&b| b == b'\n').count() as u64,
        };
        counts.add(records, n as u64);
    }
}

/// The RFC 6587 octet-counting parser, across read boundaries.
#[derive(Debug, Default)]
struct OctetFrames {
    /// Bytes of the current frame's message still to skip.
    skip: usize,
    /// Digits of the length read so far.
    len: usize,
}

impl OctetFrames {
    /// Returns the frames completed in `chunk`.
    fn feed(&mut self, mut chunk: &[u8]) -> u64 {
        let mut done = 0;
        while !chunk.is_empty() {
            if self.skip > 0 {
                let n = self.skip.min(chunk.len());
                self.skip -= n;
                chunk = &chunk[n..];
                if self.skip == 0 {
                    done += 1;
                }
                continue;
            }
            let b = chunk[0];
            chunk = &chunk[1..];
            if b.is_ascii_digit() {
                self.len = self.len * 10 + usize::from(b - b'0');
            } else if b == b' ' {
                self.skip = std::mem::take(&mut self.len);
                if self.skip == 0 {
                    done += 1;
                }
            }
        }
        done
    }
}

/// Serves HTTP/1.1 POSTs on one keep-alive connection.
fn http(conn: TcpStream, counts: &Counts, stop: &AtomicBool) -> io::Result<()> {
    let mut out = conn.try_clone()?;
    let mut reader = BufReader::with_capacity(1 << 16, conn);
    let mut line = String::new();
    let mut body = Vec::new();
    loop {
        // The head: request line and headers, up to the empty line.
        let mut length = 0usize;
        let mut head_bytes = 0u64;
        let mut started = false;
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) => return Ok(()),
                Ok(n) => head_bytes += n as u64,
                Err(e) if timed_out(&e) && !stop.load(Ordering::Relaxed) => continue,
                Err(e) => return Err(e),
            }
            let l = line.trim_end();
            if l.is_empty() {
                if started {
                    break;
                }
                continue;
            }
            started = true;
            if let Some((k, v)) = l.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
        }
        body.resize(length, 0);
        let mut got = 0;
        while got < length {
            match reader.read(&mut body[got..]) {
                Ok(0) => return Ok(()),
                Ok(n) => got += n,
                Err(e) if timed_out(&e) && !stop.load(Ordering::Relaxed) => continue,
                Err(e) => return Err(e),
            }
        }
        counts.add(otlp_log_records(&body), head_bytes + length as u64);
        counts.requests.fetch_add(1, Ordering::Relaxed);
        out.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")?;
    }
}

/// The length-delimited fields `(number, payload)` of a protobuf message; stops at the
/// first malformed field.
fn len_fields(mut buf: &[u8]) -> impl Iterator<Item = (u64, &[u8])> {
    fn varint(buf: &mut &[u8]) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let (&b, rest) = buf.split_first()?;
            *buf = rest;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }
    std::iter::from_fn(move || loop {
        let key = varint(&mut buf)?;
        match key & 7 {
            0 => {
                varint(&mut buf)?;
            }
            1 => buf = buf.get(8..)?,
            5 => buf = buf.get(4..)?,
            2 => {
                let n = usize::try_from(varint(&mut buf)?).ok()?;
                let payload = buf.get(..n)?;
                buf = &buf[n..];
                return Some((key >> 3, payload));
            }
            _ => return None,
        }
    })
}

/// `LogRecord`s in an `ExportLogsServiceRequest`: `resource_logs` (1) → `scope_logs`
/// (2) → `log_records` (2).
fn otlp_log_records(body: &[u8]) -> u64 {
    len_fields(body)
        .filter(|(n, _)| *n == 1)
        .flat_map(|(_, rl)| len_fields(rl).filter(|(n, _)| *n == 2))
        .flat_map(|(_, sl)| len_fields(sl).filter(|(n, _)| *n == 2))
        .count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn octet_frames_across_reads() {
        let mut f = OctetFrames::default();
        let all = b"5 hello11 hello world3 abc";
        let (a, b) = all.split_at(9);
        assert_eq!(f.feed(a) + f.feed(b), 3);
    }

    #[test]
    fn counts_log_records() {
        // resource_logs { resource {} scope_logs { scope {} log_records {..} log_records {..} } }
        let rec = [0x08, 0x09]; // severity_number = 9 (a varint field inside)
        let mut scope_logs = vec![0x0a, 0x00];
        for _ in 0..2 {
            scope_logs.extend([0x12, rec.len() as u8]);
            scope_logs.extend(rec);
        }
        let mut resource_logs = vec![0x0a, 0x00, 0x12, scope_logs.len() as u8];
        resource_logs.extend(&scope_logs);
        let mut body = vec![0x0a, resource_logs.len() as u8];
        body.extend(&resource_logs);
        assert_eq!(otlp_log_records(&body), 2);
    }
}
