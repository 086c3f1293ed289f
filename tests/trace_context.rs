//! Trace context in the text formats: a record logged in a `push_trace` or `with_trace`
//! scope carries `trace_id`, `span_id` and `trace_flags` (lowercase hex) in JSON (top
//! level, whatever `flatten` says), logfmt and plain `{kv}`; a record outside carries
//! none. Each file is read back and decoded. (syslog, OTLP and journald: their own tests.)

use ko_log::config::{Config, Format};
use ko_log::{Backend, TraceContext};
use log::Log;
use serde_json::json;

const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const SPAN_ID: &str = "00f067aa0ba902b7";

fn backend(dir: &std::path::Path) -> (Backend, ko_log::Guard) {
    let file = |name: &str, renderer: &str| {
        let renderer = format!("renderer = {{ {renderer} }}");
        support::config::file(name, &dir.join(format!("{name}.log")), &renderer)
    };
    let text = [
        "[loggers.root]\nlevel = \"info\"\nhandlers = [\"json\", \"nested\", \"logfmt\", \"plain\"]\n",
        &file("json", "type = \"json\""),
        &file("nested", "type = \"json\", flatten = false"),
        &file("logfmt", "type = \"logfmt\""),
        &file("plain", "type = \"plain\", format = \"{message}{kv} [{trace_id}]\""),
    ]
    .concat();
    Backend::new(Config::from_str(&text, Format::Toml).unwrap()).unwrap()
}

fn info(backend: &Backend, message: &str, kvs: &[(&str, &str)]) {
    let kvs: Vec<(&str, log::kv::Value<'_>)> = kvs.iter().map(|(k, v)| (*k, (*v).into())).collect();
    backend.log(
        &log::Record::builder()
            .level(log::Level::Info)
            .target("app")
            .args(format_args!("{message}"))
            .key_values(&kvs.as_slice())
            .build(),
    );
}

/// Logs one record in a sync scope, one in a task scope (polled on another thread), one
/// with a field named `trace_id` in scope, and one outside.
fn log_all(backend: &Backend) {
    let trace = TraceContext::from_traceparent(TRACEPARENT).unwrap();
    {
        let _ctx = ko_log::context!(request = "r1");
        let _trace = ko_log::context::push_trace(trace);
        info(backend, "sync", &[("user", "7")]);
    }
    let unsampled = TraceContext::new([0xab; 16], [0xcd; 8], 0).unwrap();
    let task = ko_log::with_trace(unsampled, async { info(backend, "task", &[]) });
    std::thread::scope(|s| {
        s.spawn(|| {
            let waker = std::task::Waker::noop();
            let mut cx = std::task::Context::from_waker(waker);
            let mut task = std::pin::pin!(task);
            assert!(task.as_mut().poll(&mut cx).is_ready());
        });
    });
    {
        let _trace = ko_log::context::push_trace(trace);
        info(backend, "clash", &[("trace_id", "mine")]);
    }
    info(backend, "outside", &[]);
    backend.flush();
}

use std::future::Future as _;

#[test]
fn every_text_format_carries_the_scopes_trace_context() {
    let dir = tempfile::tempdir().unwrap();
    let (backend, guard) = backend(dir.path());
    log_all(&backend);
    drop(guard);
    let read = |name: &str| support::lines(dir.path().join(name));

    let json: Vec<serde_json::Value> = read("json.log")
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let pick = |v: &serde_json::Value, keys: &[&str]| -> serde_json::Value {
        keys.iter()
            .filter_map(|k| v.get(*k).map(|x| (k.to_string(), x.clone())))
            .collect::<serde_json::Map<_, _>>()
            .into()
    };
    let keys = [
        "message",
        "trace_id",
        "span_id",
        "trace_flags",
        "user",
        "request",
        "fields.trace_id",
    ];
    assert_eq!(
        json.iter().map(|v| pick(v, &keys)).collect::<Vec<_>>(),
        [
            json!({"message": "sync", "trace_id": TRACE_ID, "span_id": SPAN_ID, "trace_flags": "01", "user": "7", "request": "r1"}),
            json!({"message": "task", "trace_id": "ab".repeat(16), "span_id": "cd".repeat(8), "trace_flags": "00"}),
            json!({"message": "clash", "trace_id": TRACE_ID, "span_id": SPAN_ID, "trace_flags": "01", "fields.trace_id": "mine"}),
            json!({"message": "outside"}),
        ]
    );
    // Right after the message, before the fields.
    assert!(read("json.log")[0].contains(&format!(
        r#""message":"sync","trace_id":"{TRACE_ID}","span_id":"{SPAN_ID}","trace_flags":"01","user":"7""#
    )));

    let nested: Vec<serde_json::Value> = read("nested.log")
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(nested[0]["trace_id"], TRACE_ID);
    assert_eq!(nested[0]["trace_flags"], "01");
    assert_eq!(nested[0]["fields"], json!({"user": "7", "request": "r1"}));
    assert_eq!(nested[3].get("trace_id"), None);

    // logfmt, decoded pair by pair (no value here needs quotes).
    let pairs = |line: &str| -> Vec<(String, String)> {
        line.split(' ')
            .skip(3) // ts, level, target
            .map(|pair| {
                let (k, v) = pair.split_once('=').unwrap();
                (k.to_owned(), v.to_owned())
            })
            .collect()
    };
    let logfmt: Vec<Vec<(String, String)>> = read("logfmt.log").iter().map(|l| pairs(l)).collect();
    let owned = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let (ab, cd) = ("ab".repeat(16), "cd".repeat(8));
    assert_eq!(
        logfmt,
        [
            owned(&[
                ("msg", "sync"),
                ("trace_id", TRACE_ID),
                ("span_id", SPAN_ID),
                ("trace_flags", "01"),
                ("user", "7"),
                ("request", "r1")
            ]),
            owned(&[
                ("msg", "task"),
                ("trace_id", &ab),
                ("span_id", &cd),
                ("trace_flags", "00")
            ]),
            owned(&[
                ("msg", "clash"),
                ("trace_id", TRACE_ID),
                ("span_id", SPAN_ID),
                ("trace_flags", "01"),
                ("fields.trace_id", "mine")
            ]),
            owned(&[("msg", "outside")]),
        ]
    );

    assert_eq!(
        read("plain.log"),
        [
            format!("sync span_id={SPAN_ID} trace_flags=01 user=7 request=r1 [{TRACE_ID}]"),
            format!("task span_id={cd} trace_flags=00 [{ab}]"),
            format!("clash span_id={SPAN_ID} trace_flags=01 [{TRACE_ID}]"),
            "outside []".to_owned(),
        ]
    );
}
