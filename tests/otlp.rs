//! `type = "otlp"`: what an OTLP/HTTP collector receives, checked with the official
//! protobuf definitions (`opentelemetry-proto` + `prost`) and with serde_json for the
//! JSON encoding; delivery through a collector that is down, then up; 503 with
//! `Retry-After`; exact drop counts under `drop_oldest`; the `OTEL_EXPORTER_OTLP_LOGS_*`
//! environment; outage status records reaching a file handler and never the collector;
//! `https://` and `tls` refused at their key without the `otlp-https` feature; with it,
//! refused connections and failed handshakes retried and counted, and an in-test TLS
//! collector (rustls, with a CA, server and client certificates rcgen makes at test
//! time) that gets the records with `tls.ca_file`, refuses an unknown issuer, and, when
//! it requires a client certificate, gets them with `cert_file`/`key_file` and refuses
//! a handler without; the `OTEL_EXPORTER_OTLP_*CERTIFICATE`/`_CLIENT_*` variables; TLS
//! files that cannot be used refused at init at their key. Each test installs ko-log,
//! so each runs as a child process of its own.
//! No timing is asserted but lower bounds that slowness cannot break; waits are bounded
//! only so that a bug fails instead of hanging.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ko_log::config::Format;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use prost::Message;

/// One POST the collector received.
#[derive(Debug, Clone)]
struct Request {
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    status: u16,
    at: Instant,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// An in-test OTLP/HTTP receiver: answers 503 with `Retry-After: 1` to the first
/// `unavailable` requests, 200 after, and records every request.
#[derive(Clone)]
struct Collector {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<Request>>>,
}

impl Collector {
    fn start(listener: TcpListener, unavailable: usize) -> Collector {
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let left = Arc::new(AtomicUsize::new(unavailable));
        let (store, left2) = (Arc::clone(&requests), Arc::clone(&left));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (store, left) = (Arc::clone(&store), Arc::clone(&left2));
                std::thread::spawn(move || serve(stream, &store, &left));
            }
        });
        Collector { addr, requests }
    }

    fn url(&self) -> String {
        format!("http://{}/v1/logs", self.addr)
    }

    fn accepted(&self) -> Vec<Request> {
        let all = self.requests.lock().unwrap().clone();
        all.into_iter().filter(|r| r.status == 200).collect()
    }

    fn all(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }

    /// Every record of every accepted protobuf request.
    /// The `i` attribute of every record received, sorted.
    fn ids(&self) -> Vec<i64> {
        let mut ids: Vec<i64> = self
            .records()
            .iter()
            .flat_map(|(request, _)| request.resource_logs[0].scope_logs[0].log_records.clone())
            .map(|r| match attr(&r.attributes, "i") {
                Some(Any::IntValue(i)) => *i,
                other => panic!("no i: {other:?}"),
            })
            .collect();
        ids.sort_unstable();
        ids
    }

    fn records(&self) -> Vec<(ExportLogsServiceRequest, usize)> {
        self.accepted()
            .iter()
            .map(|r| {
                let request = ExportLogsServiceRequest::decode(&r.body[..]).expect("valid OTLP");
                let n = request.resource_logs[0].scope_logs[0].log_records.len();
                (request, n)
            })
            .collect()
    }
}

/// Answers the requests of one connection (plain TCP, or TLS after its handshake).
fn serve(stream: impl Read + Write, store: &Mutex<Vec<Request>>, left: &AtomicUsize) {
    let mut reader = BufReader::new(stream);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let path = line.split(' ').nth(1).unwrap_or_default().to_owned();
        let mut headers = Vec::new();
        loop {
            let mut header = String::new();
            reader.read_line(&mut header).unwrap();
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            let (k, v) = header.split_once(':').unwrap();
            headers.push((k.trim().to_owned(), v.trim().to_owned()));
        }
        let length: usize = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            .map(|(_, v)| v.parse().unwrap())
            .unwrap_or(0);
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        let busy = left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        let status = if busy { 503 } else { 200 };
        store.lock().unwrap().push(Request {
            path,
            headers,
            body,
            status,
            at: Instant::now(),
        });
        let answer: &[u8] = if busy {
            b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 4\r\n\r\nbusy"
        } else {
            b"HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nContent-Length: 0\r\n\r\n"
        };
        let writer = reader.get_mut();
        if writer
            .write_all(answer)
            .and_then(|()| writer.flush())
            .is_err()
        {
            return;
        }
    }
}

fn config(endpoint: &str, extra: &str) -> String {
    format!(
        r#"
        [queue]
        capacity = 100000
        [loggers.root]
        level = "trace"
        handlers = ["otel"]
        [handlers.otel]
        type = "otlp"
        {endpoint}
        reconnect = {{ min = "10ms", max = "50ms" }}
        batch_interval = "20ms"
        {extra}
        "#
    )
}

/// Calls `log::logger().flush()` until `done` holds of the otel handler's figures, for
/// at most a minute.
fn wait_for(mut done: impl FnMut(ko_log::HandlerStats) -> bool) -> ko_log::HandlerStats {
    let until = Instant::now() + Duration::from_secs(60);
    loop {
        log::logger().flush();
        let stats = ko_log::stats().handler("otel").expect("configured");
        if done(stats) {
            return stats;
        }
        assert!(
            Instant::now() < until,
            "not done within a minute: {stats:?}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The text of the string attribute `key`.
fn text_attr<'a>(attributes: &'a [KeyValue], key: &str) -> Option<&'a str> {
    match attr(attributes, key)? {
        Any::StringValue(text) => Some(text),
        other => panic!("{key} is not a string: {other:?}"),
    }
}

fn attr<'a>(attributes: &'a [KeyValue], key: &str) -> Option<&'a Any> {
    attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref())
        .and_then(|v| v.value.as_ref())
}

fn in_child(name: &str, env: &[(&str, &str)], body: impl FnOnce()) -> Option<String> {
    if support::is_child(name) {
        body();
        None
    } else {
        Some(support::run_child_ok(name, env))
    }
}

#[derive(Debug)]
struct Timeout;

impl std::fmt::Display for Timeout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("read timed out")
    }
}

impl std::error::Error for Timeout {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        None
    }
}

#[derive(Debug)]
struct Query(Timeout);

impl std::fmt::Display for Query {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("query failed")
    }
}

impl std::error::Error for Query {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

const TRACE: &str = "0af7651916cd43dd8448eb211c80319c";
const SPAN: &str = "b7ad6b7169203331";

#[test]
fn records_arrive_with_severity_body_typed_attributes_resource_and_trace_context() {
    support::child_only!(
        "records_arrive_with_severity_body_typed_attributes_resource_and_trace_context"
    );
    let collector = Collector::start(TcpListener::bind("127.0.0.1:0").unwrap(), 0);
    let text = config(
        &format!("endpoint = \"{}\"", collector.url()),
        r#"resource = { "service.name" = "billing", "deployment.environment" = "test" }
        headers = { authorization = "Bearer t0k" }"#,
    );
    let guard = ko_log::init_from_str(&text, Format::Toml).unwrap();
    log::info!(target: "billing::api", user_id = 42, ratio = 0.5, ok = true, name = "ann", trace_id = TRACE, span_id = SPAN; "charged");
    let error = Query(Timeout);
    log::error!(err:err = error; "failed");
    log::trace!("t");
    log::debug!("d");
    log::warn!("w");
    wait_for(|s| s.sent == 5);
    drop(guard);

    let requests = collector.accepted();
    assert_eq!(
        requests[0].header("content-type"),
        Some("application/x-protobuf")
    );
    assert_eq!(requests[0].header("authorization"), Some("Bearer t0k"));
    assert_eq!(requests[0].path, "/v1/logs");
    let mut records = Vec::new();
    for (request, _) in collector.records() {
        let resource_logs = &request.resource_logs[0];
        let resource = &resource_logs.resource.as_ref().unwrap().attributes;
        assert_eq!(text_attr(resource, "service.name"), Some("billing"));
        assert_eq!(text_attr(resource, "deployment.environment"), Some("test"));
        let scope = resource_logs.scope_logs[0].scope.as_ref().unwrap();
        assert_eq!(scope.name, "ko-log");
        records.extend(resource_logs.scope_logs[0].log_records.iter().cloned());
    }
    assert_eq!(records.len(), 5);
    let charged = &records[0];
    assert_eq!(
        (charged.severity_number, charged.severity_text.as_str()),
        (9, "INFO")
    );
    assert_eq!(
        charged.body.as_ref().unwrap().value,
        Some(Any::StringValue("charged".into()))
    );
    assert!(charged.time_unix_nano > 1_600_000_000_000_000_000);
    assert!(charged.observed_time_unix_nano >= charged.time_unix_nano);
    let a = &charged.attributes;
    assert_eq!(attr(a, "user_id"), Some(&Any::IntValue(42)));
    assert_eq!(attr(a, "ratio"), Some(&Any::DoubleValue(0.5)));
    assert_eq!(attr(a, "ok"), Some(&Any::BoolValue(true)));
    assert_eq!(text_attr(a, "name"), Some("ann"));
    assert_eq!(text_attr(a, "log.target"), Some("billing::api"));
    assert_eq!(text_attr(a, "code.namespace"), Some("otlp"));
    assert!(matches!(attr(a, "code.lineno"), Some(Any::IntValue(n)) if *n > 0));
    assert!(
        matches!(attr(a, "code.filepath"), Some(Any::StringValue(f)) if f.ends_with("otlp.rs"))
    );
    assert_eq!(attr(a, "trace_id"), None, "trace context is not repeated");
    assert_eq!(attr(a, "span_id"), None);
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    assert_eq!(hex(&charged.trace_id), TRACE);
    assert_eq!(hex(&charged.span_id), SPAN);

    let failed = &records[1];
    assert_eq!(
        (failed.severity_number, failed.severity_text.as_str()),
        (17, "ERROR")
    );
    assert_eq!(
        text_attr(&failed.attributes, "exception.message"),
        Some("query failed")
    );
    assert_eq!(
        text_attr(&failed.attributes, "exception.stacktrace"),
        Some("caused by: read timed out")
    );
    assert!(failed.trace_id.is_empty());
    let levels: Vec<i32> = records[2..].iter().map(|r| r.severity_number).collect();
    assert_eq!(levels, [1, 5, 13]);
}

#[test]
fn json_encoding_carries_the_same_content() {
    support::child_only!("json_encoding_carries_the_same_content");
    let collector = Collector::start(TcpListener::bind("127.0.0.1:0").unwrap(), 0);
    let text = config(
        &format!("endpoint = \"{}\"", collector.url()),
        r#"encoding = "json"
        resource = { "service.name" = "billing" }"#,
    );
    let guard = ko_log::init_from_str(&text, Format::Toml).unwrap();
    log::warn!(user_id = 42, ratio = 0.5, ok = true, trace_id = TRACE, span_id = SPAN; "charged");
    wait_for(|s| s.sent == 1);
    drop(guard);

    let requests = collector.accepted();
    assert_eq!(requests[0].header("content-type"), Some("application/json"));
    let body: serde_json::Value = serde_json::from_slice(&requests[0].body).unwrap();
    let resource_logs = &body["resourceLogs"][0];
    assert_eq!(
        resource_logs["resource"]["attributes"][0],
        serde_json::json!({ "key": "service.name", "value": { "stringValue": "billing" } })
    );
    assert_eq!(resource_logs["scopeLogs"][0]["scope"]["name"], "ko-log");
    let record = &resource_logs["scopeLogs"][0]["logRecords"][0];
    assert_eq!(record["severityNumber"], 13);
    assert_eq!(record["severityText"], "WARN");
    assert_eq!(record["body"]["stringValue"], "charged");
    assert_eq!(record["traceId"], TRACE);
    assert_eq!(record["spanId"], SPAN);
    let time: u64 = record["timeUnixNano"].as_str().unwrap().parse().unwrap();
    assert!(time > 1_600_000_000_000_000_000);
    let attributes = record["attributes"].as_array().unwrap();
    let get = |key: &str| {
        attributes
            .iter()
            .find(|kv| kv["key"] == key)
            .map(|kv| kv["value"].clone())
    };
    assert_eq!(
        get("user_id"),
        Some(serde_json::json!({ "intValue": "42" }))
    );
    assert_eq!(
        get("ratio"),
        Some(serde_json::json!({ "doubleValue": 0.5 }))
    );
    assert_eq!(get("ok"), Some(serde_json::json!({ "boolValue": true })));
    assert_eq!(get("trace_id"), None);
}

#[test]
fn a_collector_down_at_start_then_up_gets_everything_under_block() {
    support::child_only!("a_collector_down_at_start_then_up_gets_everything_under_block");
    let addr = support::free_port();
    let text = config(
        &format!("endpoint = \"http://{addr}/v1/logs\""),
        r#"buffer = 10000
    backpressure = "block"
    write_timeout = "200ms""#,
    );
    let guard = ko_log::init_from_str(&text, Format::Toml).unwrap();
    for i in 0..2000 {
        log::info!(i = i; "record {i}");
    }
    // The exporter has met the closed port at least once.
    wait_for(|s| s.retries >= 1);
    let collector = Collector::start(TcpListener::bind(addr).unwrap(), 0);
    let stats = wait_for(|s| s.sent == 2000);
    // Its first connection is no reconnection (issue 20).
    assert_eq!((stats.dropped, stats.reconnects), (0, 0), "{stats:?}");
    drop(guard);
    let mut seen = collector.ids();
    seen.dedup();
    assert_eq!(seen, (0..2000).collect::<Vec<_>>());
}

/// Issue 20: a collector lost and back. Its first connection answers one request and
/// closes, with the listener; the next record meets a refused connection and is tried
/// again (`retries`) until a collector listens there again (`reconnects`: one).
#[test]
fn a_collector_lost_and_back_counts_its_retries_and_one_reconnect() {
    support::child_only!("a_collector_lost_and_back_counts_its_retries_and_one_reconnect");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let first = one_request(listener);
    let text = config(
        &format!("endpoint = \"http://{addr}/v1/logs\""),
        r#"write_timeout = "200ms""#,
    );
    let guard = ko_log::init_from_str(&text, Format::Toml).unwrap();
    log::info!("before");
    wait_for(|s| s.sent == 1);
    first.join().unwrap();
    log::info!("during");
    wait_for(|s| s.retries >= 1);
    let collector = Collector::start(TcpListener::bind(addr).unwrap(), 0);
    let stats = wait_for(|s| s.sent == 2);
    assert_eq!((stats.dropped, stats.reconnects), (0, 1), "{stats:?}");
    assert_eq!(collector.records().len(), 1);
    drop(guard);
}

/// Serves one request on `listener`, then closes the connection and the listener: a
/// collector that goes away.
fn one_request(listener: TcpListener) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream);
        let mut length = 0;
        let mut line = String::new();
        while reader.read_line(&mut line).unwrap() > 2 {
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap();
            }
            line.clear();
        }
        reader.read_exact(&mut vec![0; length]).unwrap();
        let answer = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
        reader.get_mut().write_all(answer).unwrap();
    })
}

/// Issue 20: a collector restarted while the program was idle. The next request meets
/// the kept connection closed and is tried again on a new one: one retry, one reconnect.
#[test]
fn a_collector_restarted_while_idle_counts_one_retry_and_one_reconnect() {
    support::child_only!("a_collector_restarted_while_idle_counts_one_retry_and_one_reconnect");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let first = one_request(listener);
    let text = config(&format!("endpoint = \"http://{addr}/v1/logs\""), "");
    let guard = ko_log::init_from_str(&text, Format::Toml).unwrap();
    log::info!("before");
    wait_for(|s| s.sent == 1);
    first.join().unwrap();
    let collector = Collector::start(TcpListener::bind(addr).unwrap(), 0);
    log::info!("after");
    let stats = wait_for(|s| s.sent == 2);
    assert_eq!((stats.retries, stats.reconnects), (1, 1), "{stats:?}");
    assert_eq!(collector.records().len(), 1);
    drop(guard);
}

#[test]
fn a_busy_collector_is_retried_after_retry_after_and_nothing_is_lost() {
    support::child_only!("a_busy_collector_is_retried_after_retry_after_and_nothing_is_lost");
    let collector = Collector::start(TcpListener::bind("127.0.0.1:0").unwrap(), 2);
    let text = config(
        &format!("endpoint = \"{}\"", collector.url()),
        r#"backpressure = "block"
    write_timeout = "5s""#,
    )
    // Retry-After is capped at reconnect.max: leave it room.
    .replace("max = \"50ms\"", "max = \"5s\"");
    let guard = ko_log::init_from_str(&text, Format::Toml).unwrap();
    for i in 0..100 {
        log::info!("record {i}");
    }
    let stats = wait_for(|s| s.sent == 100);
    drop(guard);
    assert_eq!(stats.dropped, 0);
    assert!(stats.retries >= 2, "{stats:?}");
    let all = collector.all();
    assert_eq!(all[0].status, 503);
    assert_eq!(all[1].status, 503);
    // Retry-After: 1 was honoured although the backoff starts at 10ms (a lower bound only:
    // slowness cannot break it).
    assert!(all[1].at - all[0].at >= Duration::from_millis(900));
    assert!(all[2].at - all[1].at >= Duration::from_millis(900));
    let delivered: usize = collector.records().iter().map(|(_, n)| n).sum();
    assert_eq!(delivered, 100);
}

#[test]
fn drop_oldest_with_a_tiny_buffer_and_no_collector_counts_exactly() {
    let stderr = in_child(
        "drop_oldest_with_a_tiny_buffer_and_no_collector_counts_exactly",
        &[],
        || {
            let addr = support::free_port();
            let text = config(
                &format!("endpoint = \"http://{addr}/v1/logs\""),
                r#"buffer = 4
                batch_size = 4
                backpressure = "drop_oldest"
                write_timeout = "200ms"
                drain_timeout = "100ms""#,
            )
            .replace("batch_interval = \"20ms\"", "batch_interval = \"1h\"");
            let guard = ko_log::init_from_str(&text, Format::Toml).unwrap();
            for i in 0..4 {
                log::info!("first {i}");
            }
            // The exporter took those four as its batch and is retrying it.
            wait_for(|s| s.retries >= 1);
            for i in 0..96 {
                log::info!("then {i}");
            }
            // Four in flight, four in the buffer: the other 92 were dropped, oldest first.
            let stats = wait_for(|s| s.dropped >= 92);
            // `written` is the 100 records: the `unreachable` status record about its own
            // collector is never handed to it.
            assert_eq!((stats.dropped, stats.sent, stats.written), (92, 0, 100));
            drop(guard);
        },
    );
    if let Some(stderr) = stderr {
        assert!(
            stderr.contains("given up") || stderr.contains("gave up"),
            "{stderr}"
        );
    }
}

#[test]
fn the_environment_gives_endpoint_and_headers_when_the_config_does_not() {
    const NAME: &str = "the_environment_gives_endpoint_and_headers_when_the_config_does_not";
    if support::is_child(NAME) {
        let text = config("", "");
        let guard = ko_log::init_from_str(&text, Format::Toml).unwrap();
        log::info!("from the environment");
        wait_for(|s| s.sent == 1);
        drop(guard);
        return;
    }
    let collector = Collector::start(TcpListener::bind("127.0.0.1:0").unwrap(), 0);
    let endpoint = format!("http://{}/custom/logs", collector.addr);
    support::run_child_ok(
        NAME,
        &[
            ("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", &endpoint),
            (
                "OTEL_EXPORTER_OTLP_LOGS_HEADERS",
                "x-tenant=a%20b,authorization=Basic%20eA%3D%3D",
            ),
        ],
    );
    let requests = collector.accepted();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].path, "/custom/logs");
    assert_eq!(requests[0].header("x-tenant"), Some("a b"));
    assert_eq!(requests[0].header("authorization"), Some("Basic eA=="));
    let (request, _) = &collector.records()[0];
    let resource = &request.resource_logs[0]
        .resource
        .as_ref()
        .unwrap()
        .attributes;
    // service.name defaults to the executable's file name: this test binary's.
    assert!(
        matches!(attr(resource, "service.name"), Some(Any::StringValue(s)) if s.starts_with("otlp"))
    );
}

/// Without the `otlp-https` feature an `https://` endpoint is refused at `endpoint`, and
/// a `tls` table at `tls`, each at its own line and column.
#[cfg(not(feature = "otlp-https"))]
#[test]
fn an_https_endpoint_and_a_tls_table_are_refused_at_init_at_their_key() {
    in_child(
        "an_https_endpoint_and_a_tls_table_are_refused_at_init_at_their_key",
        &[],
        || {
            let text = config("endpoint = \"https://otel.example/v1/logs\"", "");
            let (message, key, line, column) = support::init_refusal(&text);
            assert_eq!(
                message,
                "handler `otlp` cannot start: endpoint `https://otel.example/v1/logs` is https://, which needs ko-log's `otlp-https` feature (off in this build): enable it, or use an http:// endpoint (a local OpenTelemetry Collector) and let it forward over TLS"
            );
            assert_eq!(
                (key.as_str(), line, column),
                ("handlers.otel.endpoint", 9, 20)
            );

            let text = config(
                "endpoint = \"http://127.0.0.1:4318/v1/logs\"",
                "tls = { ca_file = \"ca.pem\" }",
            );
            let (message, key, line, column) = support::init_refusal(&text);
            assert_eq!(
                message,
                "handler `otlp` cannot start: `tls` needs ko-log's `otlp-https` feature (off in this build): enable it, or remove `tls` and send over http:// to a local OpenTelemetry Collector that forwards over TLS"
            );
            assert_eq!((key.as_str(), line, column), ("handlers.otel.tls", 12, 15));
        },
    );
}

#[test]
fn an_outage_is_told_by_status_records_to_the_other_handlers_and_never_to_the_collector() {
    support::child_only!(
        "an_outage_is_told_by_status_records_to_the_other_handlers_and_never_to_the_collector"
    );
    let (_dir, path) = support::temp_path("app.log");
    let addr = support::free_port();
    let url = format!("http://{addr}/v1/logs");
    let otel = format!(
        r#"
        type = "otlp"
        endpoint = "{url}"
        reconnect = {{ min = "10ms", max = "50ms" }}
        batch_interval = "20ms"
        buffer = 4
        backpressure = "drop_oldest"
        write_timeout = "200ms"
        "#
    );
    let text = support::config::beside_json_file("otel", &otel, &path);
    let guard = ko_log::init_from_str(&text, Format::Toml).unwrap();
    log::info!(i = 0; "first");
    // The exporter holds `first` and retries it; the outage is told once.
    let gone = support::unreachable_status(&path, url.as_str());
    assert_eq!(
        gone["message"],
        format!(
            "log destination {url} is unreachable ({}); records are buffered (at most 4) and sent when it is back",
            gone["error"].as_str().unwrap()
        )
    );
    // Buffer of 4 while `first` is held: 16 of these 20 are dropped, oldest first.
    for i in 1..=20 {
        log::info!(i = i; "then {i}");
    }
    let stats = wait_for(|s| s.dropped >= 16);
    assert_eq!(stats.dropped, 16);

    let collector = Collector::start(TcpListener::bind(addr).unwrap(), 0);
    wait_for(|s| s.sent == 5);
    let back = support::back_status(&path, url.as_str(), 16, &gone);
    assert!(back["message"]
        .as_str()
        .unwrap()
        .ends_with("; 16 records were dropped meanwhile"));
    drop(guard);

    assert_eq!(
        support::json_lines_with(&path, "is unreachable").len(),
        1,
        "one per outage"
    );
    assert_eq!(support::json_lines_with(&path, "is back after").len(), 1);
    let records: Vec<_> = collector
        .records()
        .iter()
        .flat_map(|(request, _)| request.resource_logs[0].scope_logs[0].log_records.clone())
        .collect();
    let targets: Vec<_> = records
        .iter()
        .map(|r| attr(&r.attributes, "log.target").cloned())
        .collect();
    assert!(
        targets
            .iter()
            .all(|t| *t != Some(Any::StringValue("ko_log".into()))),
        "the collector got a status record about itself: {targets:?}"
    );
    assert_eq!(records.len(), 5, "first and the newest four");
}

#[cfg(feature = "otlp-https")]
#[test]
fn an_https_endpoint_is_accepted_and_a_refused_connection_is_retried_and_counted() {
    in_child(
        "an_https_endpoint_is_accepted_and_a_refused_connection_is_retried_and_counted",
        &[],
        || {
            // Nothing listens: the TCP connection is refused.
            let closed = support::free_port();
            let text = config(
                &format!("endpoint = \"https://{closed}/v1/logs\""),
                r#"write_timeout = "200ms""#,
            );
            let guard = ko_log::init_from_str(&text, Format::Toml).expect("https is built");
            log::info!("over TLS");
            let stats = wait_for(|s| s.retries >= 2);
            assert_eq!((stats.sent, stats.dropped), (0, 0), "{stats:?}");
            drop(guard);
        },
    );
}

#[cfg(feature = "otlp-https")]
#[test]
fn an_https_endpoint_whose_server_drops_the_handshake_is_retried_and_counted() {
    in_child(
        "an_https_endpoint_whose_server_drops_the_handshake_is_retried_and_counted",
        &[],
        || {
            // Accepts and closes at once: TCP connects, the TLS handshake fails.
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let accepted = Arc::new(AtomicUsize::new(0));
            let count = Arc::clone(&accepted);
            std::thread::spawn(move || {
                for stream in listener.incoming().flatten() {
                    count.fetch_add(1, Ordering::SeqCst);
                    drop(stream);
                }
            });
            let text = config(
                &format!("endpoint = \"https://localhost:{}/v1/logs\"", addr.port()),
                r#"write_timeout = "200ms""#,
            );
            let guard = ko_log::init_from_str(&text, Format::Toml).expect("https is built");
            log::info!("over TLS");
            let stats = wait_for(|s| s.retries >= 2 && s.reconnects >= 1);
            assert_eq!((stats.sent, stats.dropped), (0, 0), "{stats:?}");
            assert!(accepted.load(Ordering::SeqCst) >= 2);
            drop(guard);
        },
    );
}

/// Found by the network benchmark: with the collector away, a `flush()` waited the whole
/// `write_timeout`, and dropping the guard outlasted `queue.drain_timeout`, so the guard
/// gave up on the dispatcher ("a handler is stalled"). Now a flush does not wait for what
/// cannot be delivered, and the handler's shutdown keeps within the guard's deadline.
#[test]
fn a_dead_collector_holds_neither_flush_nor_the_guard_past_its_deadline() {
    let stderr =
        in_child(
            "a_dead_collector_holds_neither_flush_nor_the_guard_past_its_deadline",
            &[],
            || {
                let url = format!("http://{}/v1/logs", support::free_port());
                let text = config(
                &format!("endpoint = \"{url}\""),
                "write_timeout = \"30s\"\ndrain_timeout = \"60s\"\nbackpressure = \"drop_oldest\"",
            )
            .replace("capacity = 100000", "capacity = 100000\ndrain_timeout = \"300ms\"");
                let guard = ko_log::init_from_str(&text, Format::Toml).unwrap();
                for i in 0..100 {
                    log::info!("record {i}");
                }
                // Each flush returns once the exporter knows the collector is away.
                let start = std::time::Instant::now();
                let stats = wait_for(|s| s.retries > 0);
                assert!(stats.retries > 0, "{stats:?}");
                // A generous bound, only so that a regression fails instead of hanging CI:
                // before, the first flush alone waited the whole `write_timeout` (30 s).
                assert!(
                    start.elapsed() < std::time::Duration::from_secs(20),
                    "flush waited"
                );
                drop(guard);
                let otel = ko_log::stats().handler("otel").unwrap();
                assert_eq!(otel.sent, 0);
            },
        );
    if let Some(stderr) = stderr {
        assert!(
            !stderr.contains("did not finish within drain_timeout"),
            "the guard gave up on the dispatcher:\n{stderr}"
        );
        assert!(
            stderr.contains("[HANDLER::Otlp::SHUTDOWN::ERROR] OTLP: ")
                && (stderr.contains("given up") || stderr.contains("gave up")),
            "the records given up are reported:\n{stderr}"
        );
    }
}

/// The config of the `block` tests: `shipped` goes to the collector and the file, every
/// other target to the file only; a small buffer and batches, so that the callers of
/// `shipped` are held after at most `buffer + batch_size + capacity` records.
fn held_config(addr: SocketAddr, file: &std::path::Path) -> String {
    format!(
        r#"
        [queue]
        capacity = 1000
        [loggers.root]
        level = "trace"
        handlers = ["file"]
        [loggers.shipped]
        handlers = ["otel"]
        [handlers.file]
        type = "file"
        path = "{}"
        [handlers.otel]
        type = "otlp"
        endpoint = "http://{addr}/v1/logs"
        reconnect = {{ min = "10ms", max = "50ms" }}
        batch_interval = "20ms"
        batch_size = 10
        buffer = 100
        backpressure = "block"
        "#,
        file.display()
    )
}

/// The most records a caller of `shipped` gets past a full buffer before it is held (see
/// `held_config`).
const HELD_AFTER: usize = 100 + 10 + 1000 + 1;

/// Logs `n` records to `shipped` on a thread of its own, counting them in `progress`.
fn shipping_thread(n: usize, progress: &Arc<AtomicUsize>) -> std::thread::JoinHandle<()> {
    let progress = Arc::clone(progress);
    std::thread::spawn(move || {
        for i in 0..n {
            log::info!(target: "shipped", i = i; "shipped {i}");
            progress.fetch_add(1, Ordering::SeqCst);
        }
    })
}

/// Issue 12: `block` on a network handler waits only the callers routed to it, never the
/// dispatcher. With the collector down, the thread logging to `shipped` is held once the
/// buffer is full, while 10,000 records of another target reach the file handler; when
/// the collector comes up, the held thread goes on and every one of its records arrives,
/// exactly once.
#[test]
fn block_holds_only_the_callers_routed_to_the_collector_and_loses_nothing() {
    support::child_only!("block_holds_only_the_callers_routed_to_the_collector_and_loses_nothing");
    let (_dir, file) = support::temp_path("app.log");
    let addr = support::free_port();
    let guard = ko_log::init_from_str(&held_config(addr, &file), Format::Toml).unwrap();
    let progress = Arc::new(AtomicUsize::new(0));
    let shipper = shipping_thread(5000, &progress);
    // The buffer and a batch are full: from here on the shipper is held.
    support::wait_until("the shipper fills the buffer", || {
        progress.load(Ordering::SeqCst) >= 110
    });
    for i in 0..10_000 {
        log::info!(target: "other", "other {i}");
    }
    log::logger().flush();
    let lines = support::lines(&file);
    let other = lines.iter().filter(|l| l.contains(" other ")).count();
    assert_eq!(other, 10_000, "the file handler was held up");
    let held_at = progress.load(Ordering::SeqCst);
    assert!(
        held_at <= HELD_AFTER && !shipper.is_finished(),
        "the shipper was not held: {held_at} records"
    );
    assert_eq!(ko_log::stats().handler("otel").unwrap().dropped, 0);

    let collector = Collector::start(TcpListener::bind(addr).unwrap(), 0);
    shipper.join().unwrap();
    let stats = wait_for(|s| s.sent == 5000);
    assert_eq!(stats.dropped, 0);
    drop(guard);
    assert_eq!(ko_log::stats().dropped, 0);
    let seen = collector.ids();
    assert_eq!(
        seen,
        (0..5000).collect::<Vec<_>>(),
        "each record exactly once"
    );
    let shipped = support::lines(&file)
        .iter()
        .filter(|l| l.contains(" shipped "))
        .count();
    assert_eq!(shipped, 5000);
}

/// A caller held by a dead collector is let go when the guard is dropped: its record and
/// every later one are counted as dropped after shutdown, and every record is accounted
/// for (written to the file or counted).
#[test]
fn a_held_caller_is_let_go_at_shutdown_and_every_record_is_counted() {
    support::child_only!("a_held_caller_is_let_go_at_shutdown_and_every_record_is_counted");
    let (_dir, file) = support::temp_path("app.log");
    let text = held_config(support::free_port(), &file).replace(
        "capacity = 1000",
        "capacity = 1000\ndrain_timeout = \"200ms\"",
    );
    let guard = ko_log::init_from_str(&text, Format::Toml).unwrap();
    let progress = Arc::new(AtomicUsize::new(0));
    let shipper = shipping_thread(5000, &progress);
    support::wait_until("the shipper fills the buffer", || {
        progress.load(Ordering::SeqCst) >= 110
    });
    drop(guard);
    // Returns: nothing waits on a closed backend.
    shipper.join().unwrap();
    let stats = ko_log::stats();
    let lines = support::lines(&file);
    let in_file = lines.iter().filter(|l| l.contains(" shipped ")).count() as u64;
    assert!(in_file >= 110, "{in_file}");
    // The collector's status records (logged by the dispatcher's last flushes)
    // are written too, so `dropped` counts only records of `shipped`.
    let own: Vec<_> = lines.iter().filter(|l| l.contains(" ko_log ")).collect();
    assert_eq!(in_file + stats.dropped, 5000, "{stats:?}\n{own:#?}");
}

/// Certificates made at test time (rcgen): a CA, a server certificate it signed for
/// `127.0.0.1` and `localhost`, a client certificate it signed, and strangers (another
/// CA, another key), as PEM files in a temp dir; and the in-test collector behind TLS.
#[cfg(feature = "otlp-https")]
mod pki {
    use std::net::{TcpListener, TcpStream};
    use std::path::PathBuf;
    use std::sync::atomic::AtomicUsize;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
        KeyPair, KeyUsagePurpose,
    };
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    use rustls::server::WebPkiClientVerifier;
    use rustls::{RootCertStore, ServerConfig, ServerConnection, StreamOwned};

    use super::Collector;

    pub struct Pki {
        dir: tempfile::TempDir,
        ca: CertificateDer<'static>,
        server: CertificateDer<'static>,
        server_key: PrivatePkcs8KeyDer<'static>,
        /// The client certificate, as the collector sees it.
        pub client: CertificateDer<'static>,
    }

    fn new_ca(name: &str) -> (CertificateParams, KeyPair) {
        let mut params = CertificateParams::new(Vec::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        (params, KeyPair::generate().unwrap())
    }

    fn leaf(
        names: &[&str],
        usage: ExtendedKeyUsagePurpose,
        issuer: &Issuer<'_, KeyPair>,
    ) -> (rcgen::Certificate, KeyPair) {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut params = CertificateParams::new(names).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "ko-log test");
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![usage];
        params.use_authority_key_identifier_extension = true;
        let key = KeyPair::generate().unwrap();
        (params.signed_by(&key, issuer).unwrap(), key)
    }

    impl Pki {
        pub fn new() -> Pki {
            let dir = tempfile::tempdir().unwrap();
            let (ca_params, ca_key) = new_ca("ko-log test CA");
            let ca = ca_params.self_signed(&ca_key).unwrap();
            let issuer = Issuer::new(ca_params, ca_key);
            let (server, server_key) = leaf(
                &["127.0.0.1", "localhost"],
                ExtendedKeyUsagePurpose::ServerAuth,
                &issuer,
            );
            let (client, client_key) = leaf(&[], ExtendedKeyUsagePurpose::ClientAuth, &issuer);
            let (other_params, other_key) = new_ca("another CA");
            let other_ca = other_params.self_signed(&other_key).unwrap();
            let write =
                |name: &str, text: String| std::fs::write(dir.path().join(name), text).unwrap();
            write("ca.pem", ca.pem());
            write("client.pem", client.pem());
            write("client.key", client_key.serialize_pem());
            write("other-ca.pem", other_ca.pem());
            write("other.key", KeyPair::generate().unwrap().serialize_pem());
            Pki {
                ca: ca.der().clone(),
                server: server.der().clone(),
                server_key: PrivatePkcs8KeyDer::from(server_key.serialize_der()),
                client: client.der().clone(),
                dir,
            }
        }

        /// One of the PEM files: `ca.pem`, `client.pem`, `client.key`, `other-ca.pem`,
        /// `other.key`.
        pub fn path(&self, name: &str) -> PathBuf {
            self.dir.path().join(name)
        }

        /// The collector's TLS: its certificate, and, with `client_auth`, a client
        /// certificate signed by the CA required.
        pub fn server(&self, client_auth: bool) -> Arc<ServerConfig> {
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
                .with_safe_default_protocol_versions()
                .unwrap();
            let builder = if client_auth {
                let mut roots = RootCertStore::empty();
                roots.add(self.ca.clone()).unwrap();
                let verifier =
                    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                        .build()
                        .unwrap();
                builder.with_client_cert_verifier(verifier)
            } else {
                builder.with_no_client_auth()
            };
            let key = PrivateKeyDer::Pkcs8(self.server_key.clone_key());
            Arc::new(
                builder
                    .with_single_cert(vec![self.server.clone()], key)
                    .unwrap(),
            )
        }
    }

    /// How one TLS connection's handshake ended at the collector: the client certificate
    /// it was shown (if any), or why it failed.
    pub type Handshake = Result<Option<CertificateDer<'static>>, String>;

    /// The in-test collector behind TLS: each connection's handshake is kept, then its
    /// requests are answered as [`Collector`] answers them (200 to all).
    pub struct TlsCollector {
        pub http: Collector,
        pub handshakes: Arc<Mutex<Vec<Handshake>>>,
    }

    impl TlsCollector {
        pub fn start(listener: TcpListener, tls: Arc<ServerConfig>) -> TlsCollector {
            let addr = listener.local_addr().unwrap();
            let requests = Arc::new(Mutex::new(Vec::new()));
            let handshakes = Arc::new(Mutex::new(Vec::new()));
            let (store, seen) = (Arc::clone(&requests), Arc::clone(&handshakes));
            std::thread::spawn(move || {
                for stream in listener.incoming().flatten() {
                    let (store, seen, tls) =
                        (Arc::clone(&store), Arc::clone(&seen), Arc::clone(&tls));
                    std::thread::spawn(move || {
                        if let Some(stream) = handshake(stream, tls, &seen) {
                            super::serve(stream, &store, &AtomicUsize::new(0));
                        }
                    });
                }
            });
            TlsCollector {
                http: Collector { addr, requests },
                handshakes,
            }
        }

        pub fn url(&self, host: &str) -> String {
            format!("https://{host}:{}/v1/logs", self.http.addr.port())
        }

        pub fn handshakes(&self) -> Vec<Handshake> {
            self.handshakes.lock().unwrap().clone()
        }
    }

    fn handshake(
        mut tcp: TcpStream,
        tls: Arc<ServerConfig>,
        seen: &Mutex<Vec<Handshake>>,
    ) -> Option<StreamOwned<ServerConnection, TcpStream>> {
        tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut conn = ServerConnection::new(tls).unwrap();
        while conn.is_handshaking() {
            if let Err(error) = conn.complete_io(&mut tcp) {
                seen.lock().unwrap().push(Err(error.to_string()));
                return None;
            }
        }
        let client = conn
            .peer_certificates()
            .and_then(|chain| chain.first().cloned());
        seen.lock().unwrap().push(Ok(client));
        Some(StreamOwned::new(conn, tcp))
    }
}

/// The config of the https tests: every record to `otel` (at `url`, with `tls`) and to a
/// JSON file, which also gets the status records.
#[cfg(feature = "otlp-https")]
fn https_config(url: &str, tls: &str, file: &std::path::Path) -> String {
    let otel = format!(
        r#"
        type = "otlp"
        endpoint = "{url}"
        reconnect = {{ min = "10ms", max = "50ms" }}
        batch_interval = "20ms"
        write_timeout = "10s"
        drain_timeout = "200ms"
        {tls}
        "#
    );
    support::config::beside_json_file("otel", &otel, file)
}

/// The bodies of the records the collector accepted, in order.
#[cfg(feature = "otlp-https")]
fn bodies(collector: &Collector) -> Vec<String> {
    collector
        .records()
        .iter()
        .flat_map(|(request, _)| request.resource_logs[0].scope_logs[0].log_records.clone())
        .map(|r| match r.body.and_then(|b| b.value) {
            Some(Any::StringValue(s)) => s,
            other => panic!("not a string body: {other:?}"),
        })
        .collect()
}

/// Logs three records to a collector that refuses every handshake, then checks what
/// every refusal test asserts: the file's `unreachable` status record says
/// `status_error`; once refused three times the handler sent and dropped nothing and was
/// handed the three records; the first three handshakes the collector saw (none cut by the
/// shutdown) failed with `handshake_error`; after the guard, no request got through.
#[cfg(feature = "otlp-https")]
fn refused(
    collector: &pki::TlsCollector,
    file: &std::path::Path,
    url: &str,
    guard: ko_log::Guard,
    status_error: &str,
    handshake_error: &str,
) {
    for i in 0..3 {
        log::info!("over TLS {i}");
    }
    let gone = support::unreachable_status(file, url);
    let stats = wait_for(|s| s.retries >= 3);
    support::wait_until("three failed handshakes", || {
        collector.handshakes().len() >= 3
    });
    let handshakes = collector.handshakes()[..3].to_vec();
    assert_eq!(gone["error"], status_error);
    // The three records: the status record goes to the other handlers only (it is about
    // this collector). A record of rustls' own, from the exporter thread, would count here.
    assert_eq!(
        (stats.sent, stats.dropped, stats.written),
        (0, 0, 3),
        "{stats:?}"
    );
    let failed = Err(handshake_error.to_owned());
    assert_eq!(handshakes, [failed.clone(), failed.clone(), failed]);
    drop(guard);
    assert_eq!(collector.http.all().len(), 0, "no request got through");
}

/// Issue 12: over `https://` to a collector whose certificate a private CA signed,
/// trusted through `tls.ca_file`: every record arrives (decoded with the official
/// definitions), on one TLS connection, with no client certificate shown.
#[cfg(feature = "otlp-https")]
#[test]
fn records_arrive_over_https_verified_against_the_ca_file() {
    in_child(
        "records_arrive_over_https_verified_against_the_ca_file",
        &[],
        || {
            let pki = pki::Pki::new();
            let collector = pki::TlsCollector::start(
                TcpListener::bind("127.0.0.1:0").unwrap(),
                pki.server(false),
            );
            let (_dir, file) = support::temp_path("app.log");
            let tls = format!("tls = {{ ca_file = \"{}\" }}", pki.path("ca.pem").display());
            let text = https_config(&collector.url("127.0.0.1"), &tls, &file);
            let guard = ko_log::init_from_str(&text, Format::Toml).unwrap();
            for i in 0..3 {
                log::info!(i = i; "over TLS {i}");
            }
            let stats = wait_for(|s| s.sent == 3);
            assert_eq!(
                (stats.sent, stats.dropped, stats.retries, stats.reconnects),
                (3, 0, 0, 0),
                "{stats:?}"
            );
            drop(guard);
            assert_eq!(
                bodies(&collector.http),
                ["over TLS 0", "over TLS 1", "over TLS 2"]
            );
            assert!(collector
                .http
                .all()
                .iter()
                .all(|r| r.status == 200 && r.path == "/v1/logs"));
            assert_eq!(
                collector.handshakes(),
                [Ok(None)],
                "one connection, no client certificate"
            );
            assert!(support::json_lines_with(&file, "is unreachable").is_empty());
        },
    );
}

/// The same collector without `ca_file`: the built-in roots do not know its CA, so each
/// connection fails its handshake (unknown issuer), is retried and counted, and the
/// outage is told once; the collector gets no request.
#[cfg(feature = "otlp-https")]
#[test]
fn without_the_ca_file_a_private_ca_is_an_unknown_issuer_retried_and_counted() {
    in_child(
        "without_the_ca_file_a_private_ca_is_an_unknown_issuer_retried_and_counted",
        &[],
        || {
            let pki = pki::Pki::new();
            let collector = pki::TlsCollector::start(
                TcpListener::bind("127.0.0.1:0").unwrap(),
                pki.server(false),
            );
            let (_dir, file) = support::temp_path("app.log");
            let url = collector.url("127.0.0.1");
            let guard =
                ko_log::init_from_str(&https_config(&url, "", &file), Format::Toml).unwrap();
            refused(
                &collector,
                &file,
                &url,
                guard,
                "invalid peer certificate: UnknownIssuer",
                "received fatal alert: UnknownCA",
            );
        },
    );
}

/// Issue 12 (mTLS): a collector that requires a client certificate signed by its CA gets
/// every record from a handler with `cert_file` and `key_file`, and sees that
/// certificate.
#[cfg(feature = "otlp-https")]
#[test]
fn a_collector_requiring_client_certificates_gets_records_with_cert_file_and_key_file() {
    in_child(
        "a_collector_requiring_client_certificates_gets_records_with_cert_file_and_key_file",
        &[],
        || {
            let pki = pki::Pki::new();
            let collector = pki::TlsCollector::start(
                TcpListener::bind("127.0.0.1:0").unwrap(),
                pki.server(true),
            );
            let (_dir, file) = support::temp_path("app.log");
            let tls = format!(
                "[handlers.otel.tls]\nca_file = \"{}\"\ncert_file = \"{}\"\nkey_file = \"{}\"",
                pki.path("ca.pem").display(),
                pki.path("client.pem").display(),
                pki.path("client.key").display()
            );
            let text = https_config(&collector.url("127.0.0.1"), &tls, &file);
            let guard = ko_log::init_from_str(&text, Format::Toml).unwrap();
            for i in 0..3 {
                log::info!("over TLS {i}");
            }
            let stats = wait_for(|s| s.sent == 3);
            assert_eq!(
                (stats.sent, stats.dropped, stats.retries),
                (3, 0, 0),
                "{stats:?}"
            );
            drop(guard);
            assert_eq!(
                bodies(&collector.http),
                ["over TLS 0", "over TLS 1", "over TLS 2"]
            );
            assert_eq!(collector.handshakes(), [Ok(Some(pki.client.clone()))]);
        },
    );
}

/// The same collector and a handler with `ca_file` only: the collector ends each
/// handshake for want of a client certificate; the handler retries and counts, tells the
/// outage once, and nothing gets through.
#[cfg(feature = "otlp-https")]
#[test]
fn a_collector_requiring_client_certificates_refuses_a_handler_without_one() {
    in_child(
        "a_collector_requiring_client_certificates_refuses_a_handler_without_one",
        &[],
        || {
            let pki = pki::Pki::new();
            let collector = pki::TlsCollector::start(
                TcpListener::bind("127.0.0.1:0").unwrap(),
                pki.server(true),
            );
            let (_dir, file) = support::temp_path("app.log");
            let url = collector.url("127.0.0.1");
            let tls = format!("tls = {{ ca_file = \"{}\" }}", pki.path("ca.pem").display());
            let guard =
                ko_log::init_from_str(&https_config(&url, &tls, &file), Format::Toml).unwrap();
            refused(
                &collector,
                &file,
                &url,
                guard,
                "received fatal alert: CertificateRequired",
                "peer sent no certificates",
            );
        },
    );
}

/// With no `tls` table, the CA and the client certificate come from the environment, as
/// OpenTelemetry's exporters read it: `OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE` before
/// `OTEL_EXPORTER_OTLP_CERTIFICATE` (which names a CA that did not sign the collector's
/// certificate here), and `OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE` / `..._CLIENT_KEY`; the
/// endpoint names the collector by its DNS name.
#[cfg(feature = "otlp-https")]
#[test]
fn the_environment_gives_the_ca_and_the_client_certificate_when_the_config_does_not() {
    const NAME: &str =
        "the_environment_gives_the_ca_and_the_client_certificate_when_the_config_does_not";
    if support::is_child(NAME) {
        let guard = ko_log::init_from_str(&config("", ""), Format::Toml).unwrap();
        log::info!("from the environment");
        let stats = wait_for(|s| s.sent == 1);
        assert_eq!((stats.sent, stats.retries), (1, 0), "{stats:?}");
        drop(guard);
        return;
    }
    let pki = pki::Pki::new();
    let collector =
        pki::TlsCollector::start(TcpListener::bind("127.0.0.1:0").unwrap(), pki.server(true));
    let path = |name: &str| pki.path(name).display().to_string();
    support::run_child_ok(
        NAME,
        &[
            (
                "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
                &collector.url("localhost"),
            ),
            ("OTEL_EXPORTER_OTLP_CERTIFICATE", &path("other-ca.pem")),
            ("OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE", &path("ca.pem")),
            ("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", &path("client.pem")),
            ("OTEL_EXPORTER_OTLP_CLIENT_KEY", &path("client.key")),
        ],
    );
    assert_eq!(bodies(&collector.http), ["from the environment"]);
    assert_eq!(collector.handshakes(), [Ok(Some(pki.client.clone()))]);
}

/// TLS files that cannot be used refuse init at their own key, line and column.
#[cfg(feature = "otlp-https")]
#[test]
fn tls_files_that_cannot_be_used_are_refused_at_init_at_their_key() {
    in_child(
        "tls_files_that_cannot_be_used_are_refused_at_init_at_their_key",
        &[],
        || {
            let pki = pki::Pki::new();
            let https = "endpoint = \"https://127.0.0.1:4318/v1/logs\"";
            let path = |name: &str| pki.path(name).display().to_string();
            let refusal =
                |endpoint: &str, tls: String| support::init_refusal(&config(endpoint, &tls));

            let missing = path("missing.pem");
            let (message, key, line, column) =
                refusal(https, format!("tls = {{ ca_file = \"{missing}\" }}"));
            assert_eq!(
                message,
                format!("handler `otlp` cannot start: cannot read `{missing}`: No such file or directory (os error 2)")
            );
            assert_eq!(
                (key.as_str(), line, column),
                ("handlers.otel.tls.ca_file", 12, 27)
            );

            // The key is a file of PEM, but holds no certificate.
            let (message, key, line, column) = refusal(
                https,
                format!("tls = {{ ca_file = \"{}\" }}", path("client.key")),
            );
            assert_eq!(
                message,
                format!("handler `otlp` cannot start: `{}` has no PEM `CERTIFICATE` block (the CA certificates that sign the collector's)", path("client.key"))
            );
            assert_eq!(
                (key.as_str(), line, column),
                ("handlers.otel.tls.ca_file", 12, 27)
            );

            let (message, key, line, column) = refusal(
                https,
                format!(
                    "[handlers.otel.tls]\ncert_file = \"{}\"",
                    path("client.pem")
                ),
            );
            assert_eq!(
                message,
                format!("handler `otlp` cannot start: the client certificate `{}` needs its private key: set `tls.key_file` (or OTEL_EXPORTER_OTLP_CLIENT_KEY) too", path("client.pem"))
            );
            assert_eq!(
                (key.as_str(), line, column),
                ("handlers.otel.tls.cert_file", 13, 13)
            );

            let (message, key, line, column) = refusal(
                https,
                format!(
                    "[handlers.otel.tls]\ncert_file = \"{}\"\nkey_file = \"{}\"",
                    path("client.pem"),
                    path("other.key")
                ),
            );
            assert_eq!(
                message,
                format!(
                    "handler `otlp` cannot start: the key in `{}` is not the key of the certificate in `{}`",
                    path("other.key"),
                    path("client.pem")
                )
            );
            assert_eq!(
                (key.as_str(), line, column),
                ("handlers.otel.tls.key_file", 14, 12)
            );

            let (message, key, line, column) = refusal(
                "endpoint = \"http://127.0.0.1:4318/v1/logs\"",
                format!("tls = {{ ca_file = \"{}\" }}", path("ca.pem")),
            );
            assert_eq!(
                message,
                "handler `otlp` cannot start: `tls` applies to https:// endpoints only, and the endpoint is `http://127.0.0.1:4318/v1/logs`"
            );
            assert_eq!((key.as_str(), line, column), ("handlers.otel.tls", 12, 15));

            let (message, key, line, column) =
                refusal(https, "tls = { ca_path = \"ca.pem\" }".to_owned());
            assert!(message.starts_with("unknown key `ca_path`"), "{message}");
            assert_eq!(
                (key.as_str(), line, column),
                ("handlers.otel.tls.ca_path", 12, 17)
            );
        },
    );
}

#[test]
fn a_scoped_trace_context_is_the_log_records_own_ids_and_flags() {
    support::child_only!("a_scoped_trace_context_is_the_log_records_own_ids_and_flags");
    let collector = Collector::start(TcpListener::bind("127.0.0.1:0").unwrap(), 0);
    let text = config(&format!("endpoint = \"{}\"", collector.url()), "");
    let guard = ko_log::init_from_str(&text, Format::Toml).unwrap();
    let sampled = ko_log::TraceContext::from_traceparent(&format!("00-{TRACE}-{SPAN}-01")).unwrap();
    let other = ko_log::TraceContext::from_traceparent(
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",
    )
    .unwrap();
    {
        let _trace = ko_log::context::push_trace(sampled);
        log::info!(user_id = 7; "in the sync scope");
    }
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(ko_log::with_trace(other, async {
            tokio::task::yield_now().await;
            // A field of the same name stays an attribute: the scope's ids win.
            log::info!(trace_id = TRACE; "in the task scope");
        }));
    log::info!("outside");
    wait_for(|s| s.sent == 3);
    drop(guard);

    let mut records = Vec::new();
    for (request, _) in collector.records() {
        records.extend(
            request.resource_logs[0].scope_logs[0]
                .log_records
                .iter()
                .cloned(),
        );
    }
    assert_eq!(records.len(), 3);
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let ids = |r: &opentelemetry_proto::tonic::logs::v1::LogRecord| {
        (hex(&r.trace_id), hex(&r.span_id), r.flags)
    };
    assert_eq!(ids(&records[0]), (TRACE.to_owned(), SPAN.to_owned(), 1));
    assert_eq!(
        ids(&records[1]),
        (
            "4bf92f3577b34da6a3ce929d0e0e4736".to_owned(),
            "00f067aa0ba902b7".to_owned(),
            0
        )
    );
    assert_eq!(ids(&records[2]), (String::new(), String::new(), 0));
    for record in &records[..1] {
        for key in ["trace_id", "span_id", "trace_flags"] {
            assert_eq!(attr(&record.attributes, key), None, "{key}");
        }
    }
    assert_eq!(
        attr(&records[0].attributes, "user_id"),
        Some(&Any::IntValue(7))
    );
    assert_eq!(text_attr(&records[1].attributes, "trace_id"), Some(TRACE));
}
