//! `type = "otlp"`: OpenTelemetry logs over OTLP/HTTP (protobuf or JSON), with no async
//! runtime and no HTTP client crate (and, without `otlp-https`, no dependency at all).
//!
//! ```toml
//! [handlers.otel]
//! type = "otlp"
//! endpoint = "http://127.0.0.1:4318/v1/logs"   # default: the env, then http://localhost:4318/v1/logs
//! encoding = "protobuf"                        # protobuf | json
//! resource = { "service.name" = "billing" }    # service.name defaults to the executable's name
//! headers = { authorization = "Bearer ${OTEL_TOKEN}" }
//! buffer = 10000                               # records held for the exporter
//! backpressure = "drop_oldest"                 # block | drop | drop_oldest
//! write_timeout = "10s"                        # connect, write, read; a flush's wait
//! reconnect = { min = "100ms", max = "30s" }   # retry backoff
//! batch_size = 512                             # records per request
//! batch_interval = "1s"                        # longest a record waits for a full batch
//! drain_timeout = "5s"                         # delivery time left at shutdown
//! tls = { ca_file = "ca.pem", cert_file = "client.pem", key_file = "client.key" }  # https:// only
//! spool = { dir = "var/spool/otel", max_bytes = "1 GiB", sync = "batch" }          # see `spool`
//! ```
//!
//! The dispatcher's `write` turns each event into an owned [`record::Record`] and pushes
//! it into the bounded buffer every network handler uses (`handler::sender`'s
//! [`Buffer`]); one exporter thread per handler batches, encodes
//! (`encode` for protobuf, `json` for JSON) and POSTs with its own HTTP/1.1 client
//! (`http`). Retries: connection failures and 429/502/503/504, after `Retry-After` (capped
//! at `reconnect.max`) or a capped exponential backoff with jitter; any other non-2xx
//! status drops the batch (counted, reported with the status and the start of the body).
//!
//! When `endpoint` or `headers` is not set, `OTEL_EXPORTER_OTLP_LOGS_ENDPOINT` (else
//! `OTEL_EXPORTER_OTLP_ENDPOINT` plus `/v1/logs`) and `OTEL_EXPORTER_OTLP_LOGS_HEADERS`
//! (else `OTEL_EXPORTER_OTLP_HEADERS`; `k=v,k2=v2`, percent-decoded) are read when the
//! handler is built. `https://` needs the `otlp-https` feature (rustls, module `tls`, under
//! the same HTTP/1.1 client); without it an `https://` endpoint, or a `tls` table, is
//! refused at init. `tls` ([`TlsParams`]) names PEM files read once, at init: the CA
//! certificates that replace the built-in roots, and a client certificate and key for
//! mTLS; each left unset comes from `OTEL_EXPORTER_OTLP_[LOGS_]CERTIFICATE`,
//! `..._CLIENT_CERTIFICATE` and `..._CLIENT_KEY`.
//!
//! With a `spool` (module [`spool`](super::plumbing::spool)), the exporter spools what the collector
//! does not accept now and delivers it first once it does (a 2xx); each record then
//! carries the attribute `log.record.uid`, a unique id a downstream can drop duplicates
//! by, since delivery from a spool is at least once.
//!
//! A mistake the constructor finds in a key (an endpoint it cannot parse, a file it
//! cannot read or use) is a [`crate::ParamError`], so init is refused at that key's line.

mod encode;
mod http;
mod json;
mod record;
#[cfg(feature = "otlp-https")]
mod tls;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ko_log_config::Backpressure;
use serde::{Deserialize, Deserializer};

use super::plumbing::sender::{Backoff, Buffer};
use super::plumbing::spool::{self, Outcome, Spool, SpoolParams};
use super::plumbing::status::Outage;
use super::Handle;
use crate::{
    component::Handler,
    error::{Error, ParamError},
    event::{Event, Value},
    stats::HandlerStats,
};
use record::Record;

/// How records are encoded on the wire (key `encoding`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Encoding {
    /// `protobuf` (default): `application/x-protobuf`.
    #[default]
    Protobuf,
    /// `json`: `application/json`, the proto3 JSON mapping.
    Json,
}

/// The retry backoff (key `reconnect`): from `min`, doubling, at most `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Reconnect {
    /// The first delay (default 100 ms).
    #[serde(default = "default_min", deserialize_with = "duration")]
    pub min: Duration,
    /// The longest delay, and the cap on a server's `Retry-After` (default 30 s).
    #[serde(default = "default_max", deserialize_with = "duration")]
    pub max: Duration,
}

impl Default for Reconnect {
    fn default() -> Reconnect {
        Reconnect {
            min: default_min(),
            max: default_max(),
        }
    }
}

/// The `tls` table of `type = "otlp"`: PEM files for an `https://` endpoint (needs the
/// `otlp-https` feature), with the OpenTelemetry Collector's key names. Each is read once,
/// when the handler is built; one left unset comes from the environment variable named
/// below (the `LOGS_` one first), as OpenTelemetry's exporters read it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct TlsParams {
    /// The CA certificates (one or more `CERTIFICATE` blocks) that verify the collector,
    /// *instead of* the built-in roots, as `OTEL_EXPORTER_OTLP_CERTIFICATE` does.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// The client certificate chain (leaf first) for mTLS
    /// (`OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE`); needs `key_file`.
    #[serde(default)]
    pub cert_file: Option<PathBuf>,
    /// The private key of `cert_file` (PKCS#8, PKCS#1 or SEC1;
    /// `OTEL_EXPORTER_OTLP_CLIENT_KEY`).
    #[serde(default)]
    pub key_file: Option<PathBuf>,
}

/// What [`Otlp::new`] refuses with: a [`ParamError`] when a key is at fault, else the
/// reason as text (a file named by an environment variable, a thread that cannot start).
pub(crate) type Refusal = Box<dyn std::error::Error + Send + Sync>;

/// The params of `type = "otlp"`, one field per config key.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct OtlpParams {
    /// The collector's OTLP/HTTP logs URL (`http://host:4318/v1/logs`).
    #[serde(default)]
    pub endpoint: Option<String>,
    /// `protobuf` or `json`.
    #[serde(default)]
    pub encoding: Encoding,
    /// Resource attributes; `service.name` defaults to the executable's file name.
    #[serde(default)]
    pub resource: BTreeMap<String, String>,
    /// Extra request headers (`authorization`, tenant ids).
    #[serde(default)]
    pub headers: Option<BTreeMap<String, String>>,
    /// Records held for the exporter (default 10000).
    #[serde(default = "default_buffer")]
    pub buffer: usize,
    /// What `write` does when the buffer is full (default `drop_oldest`; `block` holds
    /// the callers routed here, never the dispatcher: [`crate::handler::Hold`]).
    #[serde(default = "default_backpressure", deserialize_with = "backpressure")]
    pub backpressure: Backpressure,
    /// Connect, write and read timeout; also the longest a flush waits (default 10 s,
    /// OpenTelemetry's `OTEL_EXPORTER_OTLP_TIMEOUT` default).
    #[serde(default = "default_write_timeout", deserialize_with = "duration")]
    pub write_timeout: Duration,
    /// The retry backoff.
    #[serde(default)]
    pub reconnect: Reconnect,
    /// Most records per request (default 512).
    #[serde(default = "default_batch_size")]
    pub batch_size: usize,
    /// Longest a record waits for a batch to fill (default 1 s).
    #[serde(default = "default_batch_interval", deserialize_with = "duration")]
    pub batch_interval: Duration,
    /// At shutdown, how long the exporter keeps delivering what it holds (default 5 s).
    #[serde(default = "default_drain_timeout", deserialize_with = "duration")]
    pub drain_timeout: Duration,
    /// CA and client certificate files for an `https://` endpoint.
    #[serde(default)]
    pub tls: Option<TlsParams>,
    /// A disk spool for what the collector does not accept now.
    #[serde(default)]
    pub spool: Option<SpoolParams>,
}

fn default_min() -> Duration {
    Duration::from_millis(100)
}
fn default_max() -> Duration {
    Duration::from_secs(30)
}
fn default_buffer() -> usize {
    10_000
}
fn default_backpressure() -> Backpressure {
    Backpressure::DropOldest
}
fn default_write_timeout() -> Duration {
    Duration::from_secs(10)
}
fn default_batch_size() -> usize {
    512
}
fn default_batch_interval() -> Duration {
    Duration::from_secs(1)
}
fn default_drain_timeout() -> Duration {
    Duration::from_secs(5)
}

/// A duration as config files write them: integer seconds or `"250ms"`, `"1h 30m"`.
fn duration<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Seconds(u64),
        Text(String),
    }
    match Raw::deserialize(deserializer)? {
        Raw::Seconds(seconds) => Ok(Duration::from_secs(seconds)),
        Raw::Text(text) => ko_log_config::units::parse_duration(&text)
            .map_err(|e| serde::de::Error::custom(e.message)),
    }
}

fn backpressure<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Backpressure, D::Error> {
    let text = String::deserialize(deserializer)?;
    [
        Backpressure::Block,
        Backpressure::Drop,
        Backpressure::DropOldest,
    ]
    .into_iter()
    .find(|policy| policy.as_str() == text)
    .ok_or_else(|| {
        serde::de::Error::custom(format!(
            "unknown backpressure `{text}`, expected one of `block`, `drop`, `drop_oldest`"
        ))
    })
}

/// The OTLP/HTTP logs exporter: a handler whose records go to an exporter thread.
#[derive(Debug)]
pub struct Otlp {
    buffer: Arc<Buffer<Record>>,
    thread: Option<std::thread::JoinHandle<()>>,
    drain_timeout: Duration,
    write_timeout: Duration,
    endpoint: String,
    handle: Handle,
    /// Give each record a `log.record.uid` (the handler spools).
    uid: bool,
}

/// Reads the process environment once, at construction.
fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `k=v,k2=v2` as the OTel spec writes headers in the environment.
fn env_headers(text: &str) -> Vec<(String, String)> {
    text.split(',')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (percent_decode(k.trim()), percent_decode(v.trim())))
        .filter(|(k, _)| !k.is_empty())
        .collect()
}

fn check_header(name: &str, value: &str) -> Result<(), String> {
    let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if name.is_empty() || !name.bytes().all(token) {
        return Err(format!(
            "header name `{name}` is not a valid HTTP header name"
        ));
    }
    if value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
        return Err(format!(
            "header `{name}` has a line break or NUL in its value"
        ));
    }
    let lower = name.to_ascii_lowercase();
    if [
        "content-length",
        "content-type",
        "host",
        "transfer-encoding",
        "connection",
    ]
    .contains(&lower.as_str())
    {
        return Err(format!(
            "header `{name}` is set by ko-log and cannot be configured"
        ));
    }
    Ok(())
}

const REJECTED: &str = "HANDLER::Otlp::REJECTED::ERROR";

/// Everything [`Otlp::new`] checks, reading the `OTEL_EXPORTER_OTLP_*` environment for
/// what `params` leave unset and the `tls` files, and starting nothing: the endpoint and
/// the HTTP client for it. Also what `ko_log::check` runs. A mistake in a key is a
/// [`ParamError`] naming it.
fn plan(params: &OtlpParams) -> Result<(String, http::Client), Refusal> {
    // Where a refusal of a value goes: at its key when the config gave it, else (the
    // environment gave it) at the handler's table.
    let at = |given: bool, key: &str, message: String| -> Refusal {
        if given {
            Box::new(ParamError::new(&[key], message))
        } else {
            message.into()
        }
    };
    let endpoint = match &params.endpoint {
        Some(endpoint) => endpoint.clone(),
        None => env("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT")
            .or_else(|| {
                env("OTEL_EXPORTER_OTLP_ENDPOINT")
                    .map(|base| format!("{}/v1/logs", base.trim_end_matches('/')))
            })
            .unwrap_or_else(|| "http://localhost:4318/v1/logs".to_owned()),
    };
    let parsed = http::Endpoint::parse(&endpoint)
        .map_err(|e| at(params.endpoint.is_some(), "endpoint", e))?;
    let headers: Vec<(String, String)> = match &params.headers {
        Some(headers) => headers
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        None => env("OTEL_EXPORTER_OTLP_LOGS_HEADERS")
            .or_else(|| env("OTEL_EXPORTER_OTLP_HEADERS"))
            .map(|text| env_headers(&text))
            .unwrap_or_default(),
    };
    for (name, value) in &headers {
        check_header(name, value).map_err(|e| at(params.headers.is_some(), "headers", e))?;
    }
    for (key, value) in [("buffer", params.buffer), ("batch_size", params.batch_size)] {
        if value == 0 {
            return Err(at(true, key, format!("`{key}` must be at least 1")));
        }
    }
    if params.reconnect.min > params.reconnect.max || params.reconnect.min.is_zero() {
        return Err(at(
            true,
            "reconnect",
            "`reconnect.min` must be above zero and at most `reconnect.max`".to_owned(),
        ));
    }
    if params.write_timeout.is_zero() {
        return Err(at(
            true,
            "write_timeout",
            "`write_timeout` must be above zero".to_owned(),
        ));
    }
    spool::check(params.spool.as_ref())?;
    if params.tls.is_some() {
        if !cfg!(feature = "otlp-https") {
            return Err(at(
                    true,
                    "tls",
                    "`tls` needs ko-log's `otlp-https` feature (off in this build): enable it, or remove `tls` and send over http:// to a local OpenTelemetry Collector that forwards over TLS".to_owned(),
                ));
        }
        if !parsed.tls {
            return Err(at(
                true,
                "tls",
                format!(
                    "`tls` applies to https:// endpoints only, and the endpoint is `{endpoint}`"
                ),
            ));
        }
    }
    let content_type = match params.encoding {
        Encoding::Protobuf => "application/x-protobuf",
        Encoding::Json => "application/json",
    };
    let client = http::Client::new(
        parsed,
        content_type,
        &headers,
        params.write_timeout,
        params.tls.as_ref(),
    )?;
    Ok((endpoint, client))
}

/// The JSON Schema of an `otlp` table's own keys.
fn schema() -> serde_json::Value {
    use ko_log_config::schema::{
        describe, duration, integer, one_of, string, string_map, table, with,
    };
    let at_least_one = || with(integer(), serde_json::json!({"minimum": 1}));
    describe(table(&[
        ("endpoint", describe(string(), "The collector's OTLP/HTTP logs URL (default $OTEL_EXPORTER_OTLP_LOGS_ENDPOINT, then $OTEL_EXPORTER_OTLP_ENDPOINT/v1/logs, then http://localhost:4318/v1/logs).")),
        ("encoding", describe(one_of(&["protobuf", "json"]), "protobuf (default) or json.")),
        ("resource", describe(string_map(), "Resource attributes; service.name defaults to the executable's file name.")),
        ("headers", describe(string_map(), "Extra request headers (authorization, tenant ids); default $OTEL_EXPORTER_OTLP_LOGS_HEADERS or $OTEL_EXPORTER_OTLP_HEADERS.")),
        ("buffer", describe(at_least_one(), "Records held for the exporter (default 10000).")),
        ("backpressure", describe(one_of(&["block", "drop", "drop_oldest"]), "When the buffer is full (default drop_oldest; block holds the callers routed here, never the dispatcher).")),
        ("write_timeout", describe(duration(), "Connect, write and read timeout; also the longest a flush waits (default \"10s\").")),
        ("reconnect", describe(table(&[
            ("min", describe(duration(), "The first delay (default \"100ms\").")),
            ("max", describe(duration(), "The longest delay, and the cap on a server's Retry-After (default \"30s\").")),
        ], &[]), "The retry backoff.")),
        ("batch_size", describe(at_least_one(), "Most records per request (default 512).")),
        ("batch_interval", describe(duration(), "Longest a record waits for a batch to fill (default \"1s\").")),
        ("drain_timeout", describe(duration(), "At shutdown, how long the exporter keeps delivering what it holds (default \"5s\").")),
        ("tls", describe(table(&[
            ("ca_file", describe(string(), "PEM CA certificates that verify the collector, instead of the built-in roots (default $OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE, then $OTEL_EXPORTER_OTLP_CERTIFICATE).")),
            ("cert_file", describe(string(), "PEM client certificate chain for mTLS; needs key_file.")),
            ("key_file", describe(string(), "PEM private key of cert_file (PKCS#8, PKCS#1 or SEC1).")),
        ], &[]), "TLS for https:// endpoints (ko-log's otlp-https feature).")),
        spool::schema_key(),
    ], &[]), "OpenTelemetry logs over OTLP/HTTP (protobuf or JSON), batched and sent from the exporter's own thread.")
}

impl Otlp {
    /// Validates `params` (reading the `OTEL_EXPORTER_OTLP_*` environment for what they
    /// leave unset, and the `tls` files), and starts the exporter thread. A mistake in a
    /// key is a [`ParamError`] naming it. Outages are told through `handle` (a handler
    /// built on its own: [`Handle::detached`]).
    pub fn new(params: &OtlpParams, handle: &Handle) -> Result<Otlp, Refusal> {
        let (endpoint, client) = plan(params)?;
        let mut resource: Vec<(String, Value)> = Vec::new();
        if !params.resource.contains_key("service.name") {
            resource.push((
                "service.name".to_owned(),
                Value::from(
                    super::executable_name().unwrap_or_else(|| "unknown_service".to_owned()),
                ),
            ));
        }
        resource.extend(
            params
                .resource
                .iter()
                .map(|(k, v)| (k.clone(), Value::from(v.clone()))),
        );

        let exporter = Exporter {
            client,
            encoding: params.encoding,
            resource_proto: encode::resource(&resource),
            resource_json: json::attributes(&resource),
            scope: encode::scope(),
            reconnect: params.reconnect,
            endpoint: endpoint.clone(),
            body: Vec::new(),
            outage: Outage::new(handle.clone(), endpoint.clone(), params.buffer),
            backoff: Backoff::new(params.reconnect.min, params.reconnect.max),
            failed: false,
        };
        let spool = params.spool.as_ref().map(Spool::open).transpose()?;
        let uid = spool.is_some();
        let buffer = Arc::new(
            Buffer::new(params.buffer, params.batch_size, params.backpressure)
                .spooling(spool.is_some()),
        );
        let thread = {
            let buffer = Arc::clone(&buffer);
            let interval = params.batch_interval;
            let backoff = Backoff::new(params.reconnect.min, params.reconnect.max);
            handle
                .spawn("otlp", move || {
                    let mut exporter = exporter;
                    match spool {
                        Some(mut spool) => spool::run(
                            &buffer,
                            &mut spool,
                            interval,
                            backoff,
                            &mut |batch, buffer| exporter.attempt(batch, buffer),
                        ),
                        None => buffer.run(interval, &mut |batch, buffer| {
                            exporter.deliver(batch, buffer)
                        }),
                    }
                })
                .map_err(|e| format!("cannot start the exporter thread: {e}"))?
        };
        Ok(Otlp {
            buffer,
            thread: Some(thread),
            drain_timeout: params.drain_timeout,
            write_timeout: params.write_timeout,
            endpoint,
            handle: handle.clone(),
            uid,
        })
    }
}

/// The exporter thread's side: encodes and POSTs batches.
struct Exporter {
    client: http::Client,
    encoding: Encoding,
    resource_proto: Vec<u8>,
    resource_json: serde_json::Value,
    scope: Vec<u8>,
    reconnect: Reconnect,
    endpoint: String,
    body: Vec<u8>,
    /// Tells the collector's outages (`unreachable`, `back`).
    outage: Outage,
    backoff: Backoff,
    /// The last attempt failed (the spool's loop): the next one is a retry.
    failed: bool,
}

impl Exporter {
    /// Sends one batch until it is acknowledged, rejected, or the shutdown deadline
    /// passes; counts the outcome.
    fn deliver(&mut self, batch: &[Record], buffer: &Buffer<Record>) {
        self.encode(batch);
        // Its first wait is `reconnect.min` (jittered), not 0.
        self.backoff.reset();
        self.backoff.next();
        loop {
            if buffer.past_deadline() {
                buffer.give_up(batch.len());
                crate::report::report(
                    "HANDLER::Otlp::SHUTDOWN::ERROR",
                    &format!(
                        "OTLP: gave up records still undelivered to {} when drain_timeout expired",
                        self.endpoint
                    ),
                );
                return;
            }
            let step = self.backoff.next();
            let delay = match self.post(batch.len(), buffer) {
                Outcome::Accepted | Outcome::Rejected => return,
                Outcome::Failed { wait, .. } => wait.unwrap_or(step),
            };
            buffer.counts.retries.fetch_add(1, Ordering::Relaxed);
            buffer.sleep(delay);
        }
    }

    /// One try at `batch` for the spool's loop (module `spool`), which waits between
    /// tries; a try after a failed one counts in `retries`.
    fn attempt(&mut self, batch: &[Record], buffer: &Buffer<Record>) -> Outcome {
        if self.failed {
            buffer.counts.retries.fetch_add(1, Ordering::Relaxed);
        }
        self.encode(batch);
        let outcome = self.post(batch.len(), buffer);
        self.failed = matches!(outcome, Outcome::Failed { .. });
        outcome
    }

    fn encode(&mut self, batch: &[Record]) {
        match self.encoding {
            Encoding::Protobuf => {
                encode::request(&mut self.body, &self.resource_proto, &self.scope, batch)
            }
            Encoding::Json => json::request(&mut self.body, &self.resource_json, batch),
        }
    }

    /// POSTs the encoded batch of `n` records once: accepted (2xx), to be tried again
    /// (a connection failure, 429, 502, 503, 504; after `Retry-After` when given), or
    /// rejected (dropped, counted, reported). Counts `sent`, `dropped`, the client's
    /// retries and reconnects, and tells the outage's start and end.
    fn post(&mut self, n: usize, buffer: &Buffer<Record>) -> Outcome {
        let result = self.client.post(&self.body);
        buffer
            .counts
            .reconnects
            .store(self.client.reconnects, Ordering::Relaxed);
        let retried = std::mem::take(&mut self.client.retried);
        buffer.counts.retries.fetch_add(retried, Ordering::Relaxed);
        let n = n as u64;
        match result {
            Ok(response) if (200..300).contains(&response.status) => {
                buffer.counts.sent.fetch_add(n, Ordering::Relaxed);
                buffer.came_back(&mut self.outage);
                Outcome::Accepted
            }
            Ok(response) if matches!(response.status, 429 | 502 | 503 | 504) => {
                buffer.went_down(&mut self.outage, &format_args!("HTTP {}", response.status));
                Outcome::Failed {
                    sent: 0,
                    wait: response
                        .retry_after
                        .map(|after| after.min(self.reconnect.max)),
                }
            }
            Ok(response) => {
                buffer.counts.dropped.fetch_add(n, Ordering::Relaxed);
                buffer.came_back(&mut self.outage);
                crate::report::report(
                    REJECTED,
                    &format!(
                        "OTLP collector at {} refused {n} records with HTTP {}: {}",
                        self.endpoint,
                        response.status,
                        response.excerpt.trim()
                    ),
                );
                Outcome::Rejected
            }
            Err(error) => {
                buffer.went_down(&mut self.outage, &error);
                Outcome::Failed {
                    sent: 0,
                    wait: None,
                }
            }
        }
    }
}

impl Handler for Otlp {
    /// Pushes the record into the exporter's buffer.
    fn write(&mut self, _line: &[u8], event: &Event) -> Result<(), Error> {
        let mut record = Record::from_event(event, spool::now_unix_nanos());
        if self.uid {
            record.uid = Some(spool::next_uid_sequence());
        }
        self.buffer.push(record);
        Ok(())
    }

    /// When the queue runs dry: nothing, the exporter sends on its own schedule.
    fn flush(&mut self) -> Result<(), Error> {
        Ok(())
    }

    /// Asks the exporter to send what it holds and waits, at most `write_timeout`, until
    /// the collector acknowledged it (or it was dropped).
    fn sync(&mut self) -> Result<(), Error> {
        self.buffer
            .flush(self.handle.wait_at_most(self.write_timeout));
        Ok(())
    }

    fn structured(&self) -> bool {
        true
    }

    fn counts(&self) -> HandlerStats {
        self.buffer.stats()
    }

    fn hold(&self) -> Option<crate::handler::Hold> {
        self.buffer.hold()
    }
}

impl Drop for Otlp {
    /// Delivers what the buffer holds until `drain_timeout`, then gives up the rest
    /// (counted, reported) and joins the exporter (unless a request outlives the
    /// deadline by more than `write_timeout`; the thread is then left to end alone).
    fn drop(&mut self) {
        // Dropped by a dispatcher that is shutting down: its deadline (the guard's) comes
        // first, so a dead collector cannot make the guard give up on the dispatcher.
        let own = Instant::now() + self.drain_timeout;
        let (mut deadline, grace) = match self.handle.deadline() {
            Some(dispatcher) => (own.min(dispatcher), Duration::ZERO),
            None => (own, self.write_timeout),
        };
        // Ending on a signal, a collector that is away gets at most UNREACHABLE_GRACE.
        let unreachable_by = self.handle.unreachable_deadline();
        if let Some(unreachable) = unreachable_by {
            if self.buffer.is_down() {
                deadline = deadline.min(unreachable);
            }
        }
        let abandoned = self.buffer.close(deadline, grace, unreachable_by);
        if abandoned > 0 {
            crate::report::report(
                "HANDLER::Otlp::SHUTDOWN::ERROR",
                &format!(
                    "OTLP: {abandoned} records to {} were given up at shutdown",
                    self.endpoint
                ),
            );
        } else if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// `[handlers.NAME]` with `type = "otlp"`.
#[crate::handler(check = plan, schema = schema)]
fn otlp(params: &OtlpParams, handle: &Handle) -> Result<Otlp, Refusal> {
    Otlp::new(params, handle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_has_the_keys_of_the_params() {
        crate::registry::assert_schema_keys(
            &schema(),
            ko_log_config::schema::fields_of::<OtlpParams>(),
        );
        crate::registry::assert_schema_keys(
            &schema()["properties"]["reconnect"]["anyOf"][0],
            ko_log_config::schema::fields_of::<Reconnect>(),
        );
    }

    #[test]
    fn env_headers_are_split_and_percent_decoded() {
        assert_eq!(
            env_headers("authorization=Bearer%20x, tenant=a%2Cb,broken"),
            vec![
                ("authorization".to_owned(), "Bearer x".to_owned()),
                ("tenant".to_owned(), "a,b".to_owned())
            ]
        );
        assert!(check_header("x-a", "b\r\nHost: evil").is_err());
        assert!(check_header("bad name", "v").is_err());
    }
}
