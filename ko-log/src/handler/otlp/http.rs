//! A minimal HTTP/1.1 client for OTLP/HTTP: `POST` over `std::net::TcpStream`.
//!
//! `http://` over a plain `TcpStream`; `https://` over rustls (`tls`), only with the
//! `otlp-https` feature. One connection, kept alive between requests and opened again
//! when it fails or the server closes it; a request that fails on a reused connection
//! before any byte of the answer arrived is sent once more on a new one (the server may
//! have closed an idle connection). Connect, write and read each time out after the
//! configured `write_timeout`. Response bodies are read whole (by `Content-Length`,
//! chunked, or to the end of the connection), keeping a short excerpt for reports; a
//! body longer than [`MAX_BODY`] closes the connection instead of being read.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// The most response body read; beyond it the connection is dropped.
const MAX_BODY: usize = 1 << 20;
/// The most of a body kept for reports.
const EXCERPT: usize = 512;
/// The longest status or header line accepted.
const MAX_LINE: u64 = 16 * 1024;
/// The most header lines accepted in one response.
const MAX_HEADERS: usize = 128;

/// Where to POST: parsed from an `http://host[:port][/path]` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Endpoint {
    /// Host name or address, as written (IPv6 without brackets).
    pub host: String,
    /// Port (80 when not written).
    pub port: u16,
    /// Request target (`/v1/logs`).
    pub path: String,
    /// The `Host` header value.
    authority: String,
    /// `https://`: TLS (only with the `otlp-https` feature).
    pub tls: bool,
}

impl Endpoint {
    /// Parses `url`: `http://`, or `https://` with the `otlp-https` feature (refused
    /// without it).
    pub fn parse(url: &str) -> Result<Endpoint, String> {
        let (rest, tls) = if let Some(rest) = url.strip_prefix("http://") {
            (rest, false)
        } else if let Some(rest) = url
            .strip_prefix("https://")
            .filter(|_| cfg!(feature = "otlp-https"))
        {
            (rest, true)
        } else if url.starts_with("https://") {
            return Err(format!(
                "endpoint `{url}` is https://, which needs ko-log's `otlp-https` feature (off in this build): enable it, or use an http:// endpoint (a local OpenTelemetry Collector) and let it forward over TLS"
            ));
        } else {
            return Err(format!(
                "endpoint `{url}` must start with http:// or https:// (for example http://127.0.0.1:4318/v1/logs)"
            ));
        };
        let (authority, path) = match rest.find('/') {
            Some(at) => (&rest[..at], &rest[at..]),
            None => (rest, "/"),
        };
        if authority.is_empty() || authority.contains('@') {
            return Err(format!(
                "endpoint `{url}` needs a host (and no user info), as in http://127.0.0.1:4318/v1/logs"
            ));
        }
        let bad_port = || format!("endpoint `{url}` has an invalid port");
        let default_port = if tls { 443 } else { 80 };
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (host, after) = v6.split_once(']').ok_or_else(bad_port)?;
            match after.strip_prefix(':') {
                Some(port) => (host, port.parse().map_err(|_| bad_port())?),
                None if after.is_empty() => (host, default_port),
                None => return Err(bad_port()),
            }
        } else {
            match authority.rsplit_once(':') {
                Some((host, port)) => (host, port.parse().map_err(|_| bad_port())?),
                None => (authority, default_port),
            }
        };
        if path.bytes().any(|b| b <= b' ' || b == 0x7f) {
            return Err(format!(
                "endpoint `{url}` has spaces or control characters in its path"
            ));
        }
        Ok(Endpoint {
            host: host.to_owned(),
            port,
            path: path.to_owned(),
            authority: authority.to_owned(),
            tls,
        })
    }
}

/// What the server answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Response {
    /// The status code.
    pub status: u16,
    /// `Retry-After`, as a delay from now, when present and readable.
    pub retry_after: Option<Duration>,
    /// The start of the body, for reports.
    pub excerpt: String,
}

/// A connection: plain TCP, or TLS over it.
#[derive(Debug)]
enum Stream {
    Plain(TcpStream),
    #[cfg(feature = "otlp-https")]
    Tls(Box<super::tls::TlsStream>),
}

impl Stream {
    /// After a write failed because the server closed the connection: the reason it
    /// sent before closing, if any (a TLS alert; a TLS 1.3 server refuses a client
    /// certificate after the client's side of the handshake is done, so the client
    /// learns why only from what it reads).
    fn closing_reason(&mut self) -> Option<io::Error> {
        match self {
            Stream::Plain(_) => None,
            #[cfg(feature = "otlp-https")]
            Stream::Tls(s) => super::tls::closing_alert(s),
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            #[cfg(feature = "otlp-https")]
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            #[cfg(feature = "otlp-https")]
            Stream::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            #[cfg(feature = "otlp-https")]
            Stream::Tls(s) => s.flush(),
        }
    }
}

/// What `https://` connections are made with: the TLS config and the name checked.
#[cfg(feature = "otlp-https")]
#[derive(Debug)]
struct Tls {
    config: std::sync::Arc<rustls::ClientConfig>,
    name: rustls::pki_types::ServerName<'static>,
}

/// One keep-alive connection to an [`Endpoint`].
#[derive(Debug)]
pub(crate) struct Client {
    endpoint: Endpoint,
    /// The request head up to the `Content-Length` value: fixed for the client's life.
    head: Vec<u8>,
    timeout: Duration,
    #[cfg(feature = "otlp-https")]
    tls: Option<Tls>,
    conn: Option<BufReader<Stream>>,
    connected_before: bool,
    /// Connections opened after the first.
    pub reconnects: u64,
    /// Requests tried again on a new connection because the kept one was found closed:
    /// attempts after a failed one, which the exporter adds to its `retries`.
    pub retried: u64,
}

impl Client {
    /// A client that POSTs `content_type` bodies to `endpoint` with `headers`; fails
    /// only when TLS cannot be set up for an `https://` endpoint (with `tls` and the
    /// environment's certificate files, read here).
    pub fn new(
        endpoint: Endpoint,
        content_type: &str,
        headers: &[(String, String)],
        timeout: Duration,
        tls: Option<&super::TlsParams>,
    ) -> Result<Client, super::Refusal> {
        #[cfg(feature = "otlp-https")]
        let tls = if endpoint.tls {
            Some(Tls {
                config: super::tls::config(tls)?,
                name: super::tls::server_name(&endpoint.host)?,
            })
        } else {
            None
        };
        // Without the feature an https:// endpoint or a `tls` table was refused before.
        #[cfg(not(feature = "otlp-https"))]
        let _ = tls;
        let mut head = Vec::with_capacity(256);
        let _ = write!(
            head,
            "POST {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: ko-log/{}\r\nContent-Type: {content_type}\r\n",
            endpoint.path,
            endpoint.authority,
            env!("CARGO_PKG_VERSION")
        );
        for (name, value) in headers {
            let _ = write!(head, "{name}: {value}\r\n");
        }
        head.extend_from_slice(b"Content-Length: ");
        Ok(Client {
            endpoint,
            head,
            timeout,
            #[cfg(feature = "otlp-https")]
            tls,
            conn: None,
            connected_before: false,
            reconnects: 0,
            retried: 0,
        })
    }

    /// Opens TCP and, for `https://`, starts TLS on it.
    fn connect(&mut self) -> io::Result<BufReader<Stream>> {
        let tcp = self.connect_tcp()?;
        #[cfg(feature = "otlp-https")]
        if let Some(tls) = &self.tls {
            let stream = super::tls::connect(&tls.config, &tls.name, tcp)?;
            return Ok(BufReader::new(Stream::Tls(Box::new(stream))));
        }
        Ok(BufReader::new(Stream::Plain(tcp)))
    }

    fn connect_tcp(&mut self) -> io::Result<TcpStream> {
        let addrs = (self.endpoint.host.as_str(), self.endpoint.port).to_socket_addrs()?;
        let mut last = io::Error::new(
            io::ErrorKind::NotFound,
            format!("{} resolves to no address", self.endpoint.host),
        );
        for addr in addrs {
            match TcpStream::connect_timeout(&addr, self.timeout) {
                Ok(stream) => {
                    stream.set_nodelay(true)?;
                    stream.set_read_timeout(Some(self.timeout))?;
                    stream.set_write_timeout(Some(self.timeout))?;
                    if std::mem::replace(&mut self.connected_before, true) {
                        self.reconnects += 1;
                    }
                    return Ok(stream);
                }
                Err(error) => last = error,
            }
        }
        Err(last)
    }

    /// Sends `body`; an `Err` is a connection or protocol failure (worth retrying).
    pub fn post(&mut self, body: &[u8]) -> io::Result<Response> {
        if let Some(conn) = self.conn.take() {
            match exchange(conn, &self.head, body) {
                Ok((response, keep)) => {
                    self.conn = keep;
                    return Ok(response);
                }
                // Nothing came back on a reused connection: it was probably closed while
                // idle. Try once on a new one.
                Err(Failure {
                    answered: false, ..
                }) => self.retried += 1,
                Err(Failure { error, .. }) => return Err(error),
            }
        }
        let conn = self.connect()?;
        let (response, keep) = exchange(conn, &self.head, body).map_err(|f| f.error)?;
        self.conn = keep;
        Ok(response)
    }
}

struct Failure {
    error: io::Error,
    /// Whether any byte of a response arrived.
    answered: bool,
}

fn fail(answered: bool) -> impl FnOnce(io::Error) -> Failure {
    move |error| Failure { error, answered }
}

fn invalid(message: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.into())
}

/// One request and its response on `conn`; returns the connection when it may be
/// reused.
fn exchange(
    mut conn: BufReader<Stream>,
    head: &[u8],
    body: &[u8],
) -> Result<(Response, Option<BufReader<Stream>>), Failure> {
    let stream = conn.get_mut();
    let mut request = Vec::with_capacity(head.len() + 24);
    request.extend_from_slice(head);
    let _ = write!(request, "{}\r\n\r\n", body.len());
    if let Err(error) = stream
        .write_all(&request)
        .and_then(|()| stream.write_all(body))
        .and_then(|()| stream.flush())
    {
        // The server closed the connection: what it said first tells why.
        let error = match error.kind() {
            io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset => {
                stream.closing_reason().unwrap_or(error)
            }
            _ => error,
        };
        return Err(Failure {
            error,
            answered: false,
        });
    }
    loop {
        let first = conn.fill_buf().map_err(fail(false))?;
        if first.is_empty() {
            return Err(Failure {
                error: io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the connection closed before a response",
                ),
                answered: false,
            });
        }
        let (response, keep) = read_response(&mut conn).map_err(fail(true))?;
        // An interim 1xx answer: the real one follows.
        if (100..200).contains(&response.status) {
            continue;
        }
        return Ok((response, keep.then_some(conn)));
    }
}

fn read_line(conn: &mut impl BufRead) -> io::Result<String> {
    let mut line = Vec::new();
    conn.take(MAX_LINE).read_until(b'\n', &mut line)?;
    if line.last() != Some(&b'\n') {
        return Err(invalid("a response line is too long or cut off"));
    }
    while matches!(line.last(), Some(b'\n' | b'\r')) {
        line.pop();
    }
    Ok(String::from_utf8_lossy(&line).into_owned())
}

/// Reads one response: status line, headers, body. Returns it and whether the
/// connection may be reused.
fn read_response(conn: &mut impl BufRead) -> io::Result<(Response, bool)> {
    let status_line = read_line(conn)?;
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    let status: u16 = parts
        .next()
        .and_then(|code| code.parse().ok())
        .filter(|_| version.starts_with("HTTP/1."))
        .ok_or_else(|| invalid(format!("not an HTTP/1.x status line: {status_line:?}")))?;
    let mut keep = version == "HTTP/1.1";
    let mut length = None;
    let mut chunked = false;
    let mut retry_after = None;
    for count in 0.. {
        let line = read_line(conn)?;
        if line.is_empty() {
            break;
        }
        if count >= MAX_HEADERS {
            return Err(invalid("too many response headers"));
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(invalid(format!("a malformed header line: {line:?}")));
        };
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => {
                length = Some(
                    value
                        .parse::<usize>()
                        .map_err(|_| invalid(format!("Content-Length {value:?}")))?,
                );
            }
            "transfer-encoding" => {
                chunked = value.to_ascii_lowercase().ends_with("chunked");
            }
            "connection" => {
                let value = value.to_ascii_lowercase();
                if value.contains("close") {
                    keep = false;
                } else if value.contains("keep-alive") {
                    keep = true;
                }
            }
            "retry-after" => {
                retry_after = parse_retry_after(value, time::OffsetDateTime::now_utc())
            }
            _ => {}
        }
    }
    let mut excerpt = Vec::new();
    let no_body = (100..200).contains(&status) || status == 204 || status == 304;
    if no_body {
    } else if chunked {
        keep &= read_chunked(conn, &mut excerpt)?;
    } else if let Some(length) = length {
        if length > MAX_BODY {
            keep = false;
        } else {
            let mut body = vec![0; length];
            conn.read_exact(&mut body)?;
            excerpt = body;
        }
    } else {
        // Neither: the body ends with the connection.
        keep = false;
        conn.take(MAX_BODY as u64).read_to_end(&mut excerpt)?;
    }
    excerpt.truncate(EXCERPT);
    let excerpt = String::from_utf8_lossy(&excerpt).into_owned();
    Ok((
        Response {
            status,
            retry_after,
            excerpt,
        },
        keep,
    ))
}

/// Reads a chunked body, keeping its start in `excerpt`; returns whether the
/// connection may be reused (not after a body longer than [`MAX_BODY`]).
fn read_chunked(conn: &mut impl BufRead, excerpt: &mut Vec<u8>) -> io::Result<bool> {
    let mut total = 0usize;
    loop {
        let line = read_line(conn)?;
        let size = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size, 16)
            .map_err(|_| invalid(format!("a malformed chunk size: {line:?}")))?;
        if size == 0 {
            // Trailers, up to the empty line.
            while !read_line(conn)?.is_empty() {}
            return Ok(true);
        }
        total = total.saturating_add(size);
        if total > MAX_BODY {
            return Ok(false);
        }
        let mut chunk = vec![0; size];
        conn.read_exact(&mut chunk)?;
        if excerpt.len() < EXCERPT {
            excerpt.extend_from_slice(&chunk);
        }
        if !read_line(conn)?.is_empty() {
            return Err(invalid("a chunk is longer than its size"));
        }
    }
}

/// `Retry-After` as a delay: delay-seconds, or an HTTP-date (`Sun, 06 Nov 1994 08:49:37
/// GMT`) taken relative to `now` (a date in the past is no delay).
pub(crate) fn parse_retry_after(value: &str, now: time::OffsetDateTime) -> Option<Duration> {
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let date = time::PrimitiveDateTime::parse(value, format)
        .ok()?
        .assume_utc();
    Some(Duration::try_from(date - now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_parse_and_https_needs_the_feature() {
        let e = Endpoint::parse("http://127.0.0.1:4318/v1/logs").expect("valid");
        assert_eq!(
            (e.host.as_str(), e.port, e.path.as_str()),
            ("127.0.0.1", 4318, "/v1/logs")
        );
        let e = Endpoint::parse("http://[::1]/x").expect("valid");
        assert_eq!((e.host.as_str(), e.port), ("::1", 80));
        let https = Endpoint::parse("https://otel.example/v1/logs");
        if cfg!(feature = "otlp-https") {
            let e = https.expect("https with the feature");
            assert_eq!(
                (e.host.as_str(), e.port, e.tls),
                ("otel.example", 443, true)
            );
        } else {
            let error = https.expect_err("https without the feature");
            assert!(error.contains("otlp-https"), "{error}");
        }
        assert!(Endpoint::parse("ftp://x").is_err());
        assert!(Endpoint::parse("http://x:port/").is_err());
    }

    #[test]
    fn responses_by_length_chunked_and_close() {
        let text = b"HTTP/1.1 503 Unavailable\r\nRetry-After: 2\r\nContent-Length: 4\r\n\r\nbusy";
        let (r, keep) = read_response(&mut &text[..]).expect("parsed");
        assert_eq!(
            (r.status, r.retry_after, r.excerpt.as_str(), keep),
            (503, Some(Duration::from_secs(2)), "busy", true)
        );
        let text = b"HTTP/1.1 400 Bad\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nbad\r\n4;x=y\r\n req\r\n0\r\n\r\n";
        let (r, keep) = read_response(&mut &text[..]).expect("parsed");
        assert_eq!((r.status, r.excerpt.as_str(), keep), (400, "bad req", true));
        let text = b"HTTP/1.0 200 OK\r\n\r\n{}";
        let (r, keep) = read_response(&mut &text[..]).expect("parsed");
        assert_eq!((r.status, r.excerpt.as_str(), keep), (200, "{}", false));
        assert!(read_response(&mut &b"SSH-2.0\r\n"[..]).is_err());
    }

    #[test]
    fn retry_after_takes_seconds_or_a_date() {
        let now = time::macros::datetime!(1994-11-06 08:49:30 UTC);
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
