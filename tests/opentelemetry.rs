//! Feature `opentelemetry`: a record logged while an OpenTelemetry span context is
//! current carries its trace id, span id and flags, without the application adding
//! fields; a ko-log trace scope takes precedence; outside any span a record has none.
//! Read back from a JSON file and decoded.

use ko_log::config::{Config, Format};
use ko_log::Backend;
use log::Log;
use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const SPAN_ID: &str = "00f067aa0ba902b7";

fn info(backend: &Backend, message: &str) {
    backend.log(
        &log::Record::builder()
            .level(log::Level::Info)
            .target("app")
            .args(format_args!("{message}"))
            .build(),
    );
}

#[test]
fn records_in_an_opentelemetry_span_carry_its_ids() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "[loggers.root]\nlevel = \"info\"\nhandlers = [\"json\"]\n\
         [handlers.json]\ntype = \"file\"\npath = \"{}/json.log\"\nrenderer = {{ type = \"json\" }}\n",
        dir.path().display()
    );
    let (backend, guard) = Backend::new(Config::from_str(&text, Format::Toml).unwrap()).unwrap();
    info(&backend, "before");
    let span = SpanContext::new(
        TraceId::from_hex(TRACE_ID).unwrap(),
        SpanId::from_hex(SPAN_ID).unwrap(),
        TraceFlags::SAMPLED,
        true,
        TraceState::default(),
    );
    {
        let _attached = opentelemetry::Context::current()
            .with_remote_span_context(span)
            .attach();
        let _ctx = ko_log::context!(request = "r1");
        info(&backend, "in span");
        let own = ko_log::TraceContext::new([0xab; 16], [0xcd; 8], 0).unwrap();
        let _trace = ko_log::context::push_trace(own);
        info(&backend, "ko-log scope wins");
    }
    info(&backend, "after");
    backend.flush();
    drop(guard);
    let lines: Vec<serde_json::Value> = support::lines(dir.path().join("json.log"))
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let ids = |v: &serde_json::Value| {
        (
            v["message"].as_str().unwrap().to_owned(),
            v.get("trace_id")
                .and_then(|x| x.as_str())
                .map(str::to_owned),
            v.get("span_id").and_then(|x| x.as_str()).map(str::to_owned),
            v.get("trace_flags")
                .and_then(|x| x.as_str())
                .map(str::to_owned),
        )
    };
    let some = |s: &str| Some(s.to_owned());
    assert_eq!(
        lines.iter().map(ids).collect::<Vec<_>>(),
        [
            ("before".to_owned(), None, None, None),
            (
                "in span".to_owned(),
                some(TRACE_ID),
                some(SPAN_ID),
                some("01")
            ),
            (
                "ko-log scope wins".to_owned(),
                some(&"ab".repeat(16)),
                some(&"cd".repeat(8)),
                some("00")
            ),
            ("after".to_owned(), None, None, None),
        ]
    );
    assert_eq!(lines[1]["request"], "r1", "the scope's fields are kept");
}
