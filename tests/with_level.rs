//! Debug for one request: inside `context::push_level` / `with_level`, records pass the
//! loggers' levels down to the scope's level, handlers' own levels still apply, records
//! logged elsewhere are unaffected, and `log::max_level()` is raised only while a scope
//! is open. `KO_LOG` and hot reload keep working. Each test re-runs itself as a child
//! (one global logger per process) and reads back the files the child wrote.

use std::path::Path;

use ko_log::config::{Config, Format};
use log::LevelFilter;

fn config(dir: &Path, root_level: &str) -> String {
    let d = dir.display();
    format!(
        r#"
        [loggers.root]
        level = "{root_level}"
        handlers = ["all", "info_only"]
        [handlers.all]
        type = "file"
        path = "{d}/all.log"
        renderer = {{ type = "plain", format = "{{level}} {{message}}" }}
        [handlers.info_only]
        type = "file"
        level = "info"
        path = "{d}/info.log"
        renderer = {{ type = "plain", format = "{{level}} {{message}}" }}
        "#
    )
}

#[test]
fn a_level_scope_lets_its_own_records_through_and_no_one_elses() {
    support::child_only!("a_level_scope_lets_its_own_records_through_and_no_one_elses");
    let dir = tempfile::tempdir().unwrap();
    let guard = ko_log::init_from_str(&config(dir.path(), "info"), Format::Toml).unwrap();
    assert_eq!(log::max_level(), LevelFilter::Info);
    log::debug!("before");
    {
        let _debug = ko_log::context::push_level(LevelFilter::Debug);
        assert_eq!(log::max_level(), LevelFilter::Debug);
        log::debug!("inside");
        log::trace!("trace inside a debug scope");
        // Another thread, same moment: unaffected.
        std::thread::spawn(|| log::debug!("other thread"))
            .join()
            .unwrap();
        {
            let _trace = ko_log::context::push_level(LevelFilter::Trace);
            assert_eq!(log::max_level(), LevelFilter::Trace);
            log::trace!("nested trace");
        }
        assert_eq!(log::max_level(), LevelFilter::Debug);
    }
    assert_eq!(log::max_level(), LevelFilter::Info, "falls back");
    log::debug!("after");

    // The task form, across `.await`s and threads; other tasks unaffected.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let scoped = ko_log::with_level(LevelFilter::Debug, async {
        for i in 0..3 {
            log::debug!("task {i}");
            tokio::task::yield_now().await;
        }
    });
    assert_eq!(
        log::max_level(),
        LevelFilter::Debug,
        "raised while it exists"
    );
    runtime.block_on(async {
        let other = tokio::spawn(async {
            for _ in 0..3 {
                log::debug!("other task");
                tokio::task::yield_now().await;
            }
        });
        tokio::spawn(scoped).await.unwrap();
        other.await.unwrap();
    });
    assert_eq!(log::max_level(), LevelFilter::Info);
    log::info!("end");
    drop(guard);

    let all = support::lines(dir.path().join("all.log"));
    assert_eq!(
        all,
        [
            "DEBUG inside",
            "TRACE nested trace",
            "DEBUG task 0",
            "DEBUG task 1",
            "DEBUG task 2",
            "INFO end"
        ]
    );
    // The handler's own level still applies.
    assert_eq!(support::lines(dir.path().join("info.log")), ["INFO end"]);
}

#[test]
fn ko_log_and_hot_reload_keep_working_while_a_scope_is_open() {
    support::child_only!(
        "ko_log_and_hot_reload_keep_working_while_a_scope_is_open",
        [("KO_LOG", "warn")]
    );
    let dir = tempfile::tempdir().unwrap();
    let guard = ko_log::init_from_str(&config(dir.path(), "info"), Format::Toml).unwrap();
    assert_eq!(log::max_level(), LevelFilter::Warn, "KO_LOG=warn");
    log::info!("refused by KO_LOG");
    let scope = ko_log::context::push_level(LevelFilter::Debug);
    assert_eq!(log::max_level(), LevelFilter::Debug);
    log::debug!("inside before reload");
    // A reload (to `error`, still overridden by KO_LOG) keeps the scope's level.
    let reloaded = Config::from_str(&config(dir.path(), "error"), Format::Toml).unwrap();
    ko_log::reconfigure(reloaded).unwrap();
    assert_eq!(log::max_level(), LevelFilter::Debug, "still raised");
    log::debug!("inside after reload");
    std::thread::spawn(|| {
        log::info!("other thread refused");
        log::warn!("other thread warn");
    })
    .join()
    .unwrap();
    drop(scope);
    assert_eq!(log::max_level(), LevelFilter::Warn, "KO_LOG's level again");
    log::info!("refused again");
    log::warn!("last");
    drop(guard);
    assert_eq!(
        support::lines(dir.path().join("all.log")),
        [
            "DEBUG inside before reload",
            // ko-log's own record of the reload, logged on this thread: in scope.
            "INFO config reloaded (generation 1): kept [all, info_only], opened [], closed []",
            "DEBUG inside after reload",
            "WARN other thread warn",
            "WARN last"
        ]
    );
}
