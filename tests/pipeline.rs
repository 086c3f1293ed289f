//! End to end through the global logger: `log` macros with key-values from several
//! modules, routing by target, additive loggers, per-handler level floors, context, and
//! `flush()` that waits.

use ko_log::config::Format;
use support::config::{file, plain};

mod app {
    pub mod db {
        pub fn query() {
            log::debug!(rows = 3; "query done");
        }
    }
    pub fn request(id: u64) {
        log::info!(request_id = id, path = "/a b"; "handled {}", "request");
    }
}

#[test]
fn records_reach_exactly_the_handlers_their_logger_routes_to() {
    let (dir, all) = support::temp_path("all.log");
    let db = dir.path().join("db.log");
    let warn = dir.path().join("warn.log");
    let config = format!(
        r#"
        [loggers.root]
        level = "info"
        handlers = ["all", "warn"]
        context = {{ app = "test" }}

        [loggers."pipeline::app::db"]
        level = "debug"
        handlers = ["db"]
        context = {{ component = "db", app = "inner wins" }}

        {all}
        {db}
        {warn}
        "#,
        all = file("all", &all, &plain("{level} [{target}] {message}{kv}")),
        db = file("db", &db, &plain("{level} {message}{kv}")),
        warn = file(
            "warn",
            &warn,
            &(plain("{level} {message}") + "level = \"warn\"")
        ),
    );
    let guard = ko_log::init_from_str(&config, Format::Toml).unwrap();
    assert!(matches!(
        ko_log::init_from_str(&config, Format::Toml),
        Err(ko_log::Error::AlreadyInitialized)
    ));

    app::request(7);
    app::db::query();
    log::debug!("filtered out at the root");
    log::warn!(target: "elsewhere", "disk almost full");
    log::logger().flush();

    assert_eq!(
        support::lines(&all),
        [
            r#"INFO [pipeline::app] handled request request_id=7 path="/a b" app=test"#,
            "DEBUG [pipeline::app::db] query done rows=3 app=\"inner wins\" component=db",
            "WARN [elsewhere] disk almost full app=test",
        ]
    );
    assert_eq!(
        support::lines(&db),
        ["DEBUG query done rows=3 app=\"inner wins\" component=db"]
    );
    assert_eq!(support::lines(&warn), ["WARN disk almost full"]);

    let stats = ko_log::stats();
    assert_eq!((stats.enqueued, stats.written, stats.dropped), (3, 3, 0));
    drop(guard);
    log::info!("after shutdown");
    assert_eq!(ko_log::stats().dropped, 1);
    assert_eq!(support::lines(&all).len(), 3);
}
