//! A reload that replaces a handler's `rate_limit` has the old one say what it still
//! owes first, and one that changes `on_error` discards what was kept under the old one,
//! counting it.

use ko_log::config::{Config, Format};
use serde_json::Value;

fn config(path: &std::path::Path, rate: &str, keep: u32) -> String {
    format!(
        r#"
        [loggers.root]
        level = "debug"
        handlers = ["file"]
        [handlers.file]
        type = "file"
        path = "{}"
        level = "info"
        on_error = {{ keep = {keep} }}
        renderer = {{ type = "json", timezone = "utc" }}
        processors = [{{ type = "rate_limit", rate = "{rate}", burst = 1 }}]
        "#,
        path.display()
    )
}

#[test]
fn a_reload_reports_what_the_replaced_limit_owed_and_discards_what_was_kept() {
    let (_dir, path) = support::temp_path("app.log");
    let guard = ko_log::init_from_str(&config(&path, "1/h", 5), Format::Toml).unwrap();
    log::debug!(target: "app", "kept under the old on_error");
    let line = line!() + 2;
    for i in 0..3 {
        log::info!(target: "app", "limited {i}");
    }
    let new = Config::from_str(&config(&path, "2/h", 6), Format::Toml).unwrap();
    ko_log::reconfigure(new).unwrap();
    log::info!(target: "app", "after the reload");
    log::error!(target: "app", "an error: nothing kept to carry");
    log::logger().flush();

    let lines: Vec<Value> = support::lines(&path)
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|l: &Value| l["target"] == "app" || l["rate_limit_key"].is_string())
        .collect();
    let messages: Vec<&str> = lines
        .iter()
        .map(|l| l["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        messages,
        [
            "limited 0".to_owned(),
            format!("rate_limit: 2 records of callsite `tests/noise_reload.rs:{line}` suppressed (over 1/1h)"),
            "after the reload".to_owned(),
            "an error: nothing kept to carry".to_owned(),
        ]
    );
    let file = ko_log::stats().handler("file").unwrap();
    assert_eq!(
        (file.suppressed, file.kept, file.deferred, file.discarded),
        (2, 1, 0, 1)
    );
    drop(guard);
}
