//! Features `tracing` and `opentelemetry` together (`tracing-opentelemetry`): a `tracing`
//! event inside a span that the tracing-opentelemetry layer made an OpenTelemetry span
//! (ids from a real SDK tracer) carries that span's trace id, span id and flags through
//! ko-log's bridge, with no field added by the application. The layer makes the span's
//! context current when the span is entered (its default), and ko-log reads the current
//! OpenTelemetry context. Read back from a JSON file and decoded.

use opentelemetry::trace::{TraceContextExt as _, TracerProvider as _};
use tracing_opentelemetry::OpenTelemetrySpanExt as _;
use tracing_subscriber::layer::SubscriberExt as _;

/// A record's message, trace id, span id and trace flags, as its JSON line has them.
type Ids = (String, Option<String>, Option<String>, Option<String>);

#[test]
fn events_in_a_tracing_opentelemetry_span_carry_its_ids() {
    let (_dir, path) = support::temp_path("app.jsonl");
    let text = format!(
        "[loggers.root]\nlevel = \"info\"\nhandlers = [\"json\"]\n\
         [handlers.json]\ntype = \"file\"\npath = \"{}\"\nrenderer = {{ type = \"json\" }}\n",
        path.display()
    );
    let guard = ko_log::init_from_str(&text, ko_log::config::Format::Toml).unwrap();
    let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")))
        .with(ko_log::tracing::layer());
    let (trace_id, span_id) = tracing::subscriber::with_default(subscriber, || {
        tracing::info!("before");
        let ids = tracing::info_span!("request").in_scope(|| {
            tracing::info!("in span");
            let context = tracing::Span::current().context();
            let span = context.span();
            let ids = span.span_context();
            (ids.trace_id().to_string(), ids.span_id().to_string())
        });
        tracing::info!("after");
        ids
    });
    log::logger().flush();
    drop(guard);
    let lines: Vec<Ids> = support::lines(&path)
        .iter()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let text = |key: &str| v.get(key).and_then(|x| x.as_str()).map(str::to_owned);
            (
                text("message").unwrap(),
                text("trace_id"),
                text("span_id"),
                text("trace_flags"),
            )
        })
        .collect();
    assert_eq!(trace_id.len(), 32, "{trace_id}");
    assert_ne!(trace_id, "0".repeat(32), "the SDK made no span");
    assert_eq!(
        lines,
        [
            ("before".to_owned(), None, None, None),
            (
                "in span".to_owned(),
                Some(trace_id),
                Some(span_id),
                Some("01".to_owned())
            ),
            ("after".to_owned(), None, None, None),
        ]
    );
}
