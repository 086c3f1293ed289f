//! Context binding: bound loggers, thread scopes, task scopes across `.await`, and the
//! documented precedence, observed through test sinks.

use ko_log::config::RendererConfig;
use ko_log::testing::{self, Sink};
use ko_log::Logger;

fn plain_sink() -> Sink {
    testing::init();
    Sink::new()
        .with_format("{level} [{target}] {message}{kv}")
        .unwrap()
}

#[test]
fn bound_fields_appear_in_plain_and_json_output() {
    let plain = plain_sink();
    let json = Sink::new()
        .with_renderer(&RendererConfig::new("json"))
        .unwrap();
    let log = Logger::new("app").bind("service", "auth");
    let request = log.bind("request_id", "r-42").bind("service", "auth-v2");
    {
        let _p = plain.capture();
        let _j = json.capture();
        log.info("started");
        request.warn("Rate limit exceeded");
        log::warn!(logger: request, ip = "10.0.0.7", service = "call wins"; "for {}", "ana");
    }
    assert_eq!(
        plain.lines(),
        [
            "INFO [app] started service=auth",
            "WARN [app] Rate limit exceeded request_id=r-42 service=auth-v2",
            "WARN [app] for ana ip=10.0.0.7 service=\"call wins\" request_id=r-42",
        ]
    );
    assert_eq!(
        log.fields().count(),
        1,
        "bind leaves the original unchanged"
    );
    let objects: Vec<serde_json::Value> = json
        .lines()
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(objects[1]["request_id"], "r-42");
    assert_eq!(objects[1]["service"], "auth-v2");
    assert_eq!(objects[1]["target"], "app");
    assert_eq!(objects[2]["ip"], "10.0.0.7");
}

#[test]
fn nested_scopes_merge_inner_first_and_unwind() {
    let sink = plain_sink();
    let _capture = sink.capture();
    {
        let _outer = ko_log::context!(request_id = "abc", user = "ana");
        log::info!("outer");
        {
            let _inner = ko_log::context!(user = "bob", step = 2);
            log::info!(step = 3; "inner");
        }
        log::info!("outer again");
    }
    log::info!("none");
    assert_eq!(
        sink.lines(),
        [
            "INFO [context] outer request_id=abc user=ana",
            "INFO [context] inner step=3 user=bob request_id=abc",
            "INFO [context] outer again request_id=abc user=ana",
            "INFO [context] none",
        ]
    );
}

#[test]
fn context_follows_100_tasks_across_awaits_on_a_multi_threaded_runtime() {
    let sink = plain_sink().with_format("{message}{kv}").unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(sink.scope(async {
        let tasks: Vec<_> = (0..100u64)
            .map(|id| {
                tokio::spawn(ko_log::with_context([("request_id", id)], async move {
                    for step in 0..5 {
                        log::info!(step; "task {id}");
                        tokio::task::yield_now().await;
                        // Interleaves the tasks: what the test checks survives it.
                        tokio::time::sleep(std::time::Duration::from_micros(50)).await;
                    }
                }))
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
    }));
    let events = sink.events();
    assert_eq!(events.len(), 500);
    for event in &events {
        let id = event
            .fields
            .get("request_id")
            .expect("request_id")
            .to_string();
        assert_eq!(
            event.message,
            format!("task {id}"),
            "a task saw another's context"
        );
    }
}

#[test]
fn config_context_and_defaults_rank_below_scoped_context() {
    // The test logger has no config context; add_context_defaults is covered in the
    // processor tests. Here: a record's own key wins over the scope's.
    let sink = plain_sink();
    let _capture = sink.capture();
    let _ctx = ko_log::context!(source = "scope");
    log::info!(source = "record"; "x");
    assert_eq!(sink.lines(), ["INFO [context] x source=record"]);
}
