//! Micro-benchmarks of ko-log's hot paths, to check a change quickly
//! (`cargo bench -p ko-log`; one group: `cargo bench -p ko-log -- render`).
//!
//! - `caller`: `Log::log` on a [`ko_log::Backend`] built from a config with one `null`
//!   handler (the dispatcher thread runs, and competes for the cores as in real use):
//!   an enabled record with a literal message, with format arguments, with two
//!   key-values, and a record below the level (the filtered call inside ko-log; the
//!   `log` macros' own `max_level` check in front of it is not ko-log's code);
//! - `route`: `Log::enabled` (level check plus the route lookup) for targets that hit
//!   a nested logger, a top-level one, or fall through to `root`, with nine loggers;
//! - `scope`: through the installed logger and `log`'s macros, as an application calls
//!   it: an INFO record with no context set (one thread-local check) and in a trace
//!   scope; a DEBUG record refused with no level scope open (stopped by `log`'s
//!   `max_level`) and while a level scope is open elsewhere (`max_level` raised: it
//!   reaches ko-log's filter, then the scope check);
//! - `render`: each renderer (`Plain`, `Json`, `Colored`) writing one event with two
//!   fields into a reused buffer, as the dispatcher does.
//!
//! divan rather than criterion: it needs a fraction of criterion's dependencies (no
//! plotting, no serde stack), builds in seconds, and its per-iteration sampling and
//! `args` cover what these groups need. The side-by-side comparison with other crates
//! lives in `bench/` (a separate workspace).

use std::hint::black_box;
use std::sync::OnceLock;

use divan::Bencher;
use ko_log::config::handler::HandlerConfig;
use ko_log::config::{Config, LoggerConfig};
use ko_log::render::{Colored, ColoredConfig, Json, JsonConfig, Plain, PlainConfig, Renderer};
use ko_log::{Backend, Event};
use log::kv::Value;
use log::{Level, LevelFilter, Log, Record};

fn main() {
    divan::main();
}

/// A config with one `null` handler and the given loggers (`root` always present).
fn config(loggers: &[(&str, LevelFilter)]) -> Config {
    let mut config = Config::empty();
    config.env_filter = None;
    let root = LoggerConfig::new(&["null"]).with_level(LevelFilter::Info);
    config.loggers.insert("root".to_owned(), root);
    for (name, level) in loggers {
        let logger = LoggerConfig::new(&[]).with_level(*level);
        config.loggers.insert((*name).to_owned(), logger);
    }
    let null = HandlerConfig::new("null");
    config.handlers.insert("null".to_owned(), null);
    config
}

/// One backend per process, kept running (its guard is leaked on purpose).
fn backend() -> &'static Backend {
    static BACKEND: OnceLock<Backend> = OnceLock::new();
    BACKEND.get_or_init(|| {
        let (backend, guard) = Backend::new(config(&[])).expect("null backend");
        std::mem::forget(guard);
        backend
    })
}

/// The loggers of the route lookup (nine with `root`).
const NINE: &[(&str, LevelFilter)] = &[
    ("app", LevelFilter::Info),
    ("app::db", LevelFilter::Debug),
    ("app::db::pool", LevelFilter::Warn),
    ("app::http", LevelFilter::Info),
    ("app::http::client", LevelFilter::Debug),
    ("hyper", LevelFilter::Warn),
    ("tokio", LevelFilter::Warn),
    ("sqlx::query", LevelFilter::Error),
];

/// Nine loggers, for the route lookup.
fn routed() -> &'static Backend {
    static BACKEND: OnceLock<Backend> = OnceLock::new();
    BACKEND.get_or_init(|| {
        let (backend, guard) = Backend::new(config(NINE)).expect("routed backend");
        std::mem::forget(guard);
        backend
    })
}

/// The nine loggers of [`routed`] plus 10,000 more.
fn many() -> &'static Backend {
    static BACKEND: OnceLock<Backend> = OnceLock::new();
    BACKEND.get_or_init(|| {
        let names: Vec<String> = (0..10_000).map(|i| format!("mod{i}::sub")).collect();
        let mut loggers: Vec<(&str, LevelFilter)> = NINE.to_vec();
        loggers.extend(names.iter().map(|n| (n.as_str(), LevelFilter::Debug)));
        let (backend, guard) = Backend::new(config(&loggers)).expect("10k backend");
        std::mem::forget(guard);
        backend
    })
}

mod caller {
    use super::*;

    #[divan::bench]
    fn enabled_literal(bencher: Bencher) {
        let backend = backend();
        bencher.bench_local(|| {
            backend.log(
                &Record::builder()
                    .level(Level::Info)
                    .target("bench")
                    .module_path_static(Some("bench"))
                    .args(format_args!("request handled"))
                    .build(),
            );
        });
    }

    #[divan::bench]
    fn enabled_args(bencher: Bencher) {
        let backend = backend();
        let mut i = 0u64;
        bencher.bench_local(|| {
            i += 1;
            backend.log(
                &Record::builder()
                    .level(Level::Info)
                    .target("bench")
                    .module_path_static(Some("bench"))
                    .args(format_args!(
                        "request {} handled for user {}",
                        black_box(i),
                        "alice"
                    ))
                    .build(),
            );
        });
    }

    #[divan::bench]
    fn enabled_kv(bencher: Bencher) {
        let backend = backend();
        let mut i = 0u64;
        bencher.bench_local(|| {
            i += 1;
            let kvs = [
                ("user_id", Value::from(black_box(i))),
                ("path", Value::from("/api/v1/items")),
            ];
            backend.log(
                &Record::builder()
                    .level(Level::Info)
                    .target("bench")
                    .module_path_static(Some("bench"))
                    .args(format_args!(
                        "request {} handled for user {}",
                        black_box(i),
                        "alice"
                    ))
                    .key_values(&kvs)
                    .build(),
            );
        });
    }

    /// A DEBUG record when `root` is at INFO: what ko-log itself spends on a filtered
    /// call (the `log` macros usually stop it earlier, at `log::max_level()`).
    #[divan::bench]
    fn disabled(bencher: Bencher) {
        let backend = backend();
        bencher.bench_local(|| {
            backend.log(
                &Record::builder()
                    .level(Level::Debug)
                    .target(black_box("bench"))
                    .args(format_args!("request {} handled", 1))
                    .build(),
            );
        });
    }
}

mod route {
    use super::*;

    /// `Log::enabled` on `backend` for `target`.
    fn bench(bencher: Bencher, backend: &Backend, target: &str) {
        bencher.bench_local(|| {
            backend.enabled(
                &log::Metadata::builder()
                    .level(Level::Info)
                    .target(black_box(target))
                    .build(),
            )
        });
    }

    #[divan::bench(args = ["app::db::pool::conn", "app::http", "hyper::proto::h1", "my_crate::module"])]
    fn enabled(bencher: Bencher, target: &str) {
        bench(bencher, routed(), target);
    }

    /// The same lookups with 10,000 loggers (`modN::sub` plus the nine above): an
    /// enabled call must cost about what it costs with nine.
    #[divan::bench(args = ["app::db::pool::conn", "mod5000::sub::inner", "hyper::proto::h1", "my_crate::module"])]
    fn enabled_10k_loggers(bencher: Bencher, target: &str) {
        bench(bencher, many(), target);
    }
}

mod render {
    use super::*;

    fn event() -> Event {
        let mut event = Event::new(
            Level::Info,
            "bench",
            "request 123456 handled for user alice".to_owned(),
        );
        event.fields.insert("user_id", 123_456u64);
        event.fields.insert("path", "/api/v1/items");
        event
    }

    fn bench(bencher: Bencher, renderer: &dyn Renderer) {
        let event = event();
        let mut out = Vec::with_capacity(512);
        bencher.bench_local(|| {
            out.clear();
            renderer.render(black_box(&event), &mut out);
            black_box(out.len())
        });
    }

    #[divan::bench]
    fn plain(bencher: Bencher) {
        bench(bencher, &Plain::new(&PlainConfig::default()));
    }

    #[divan::bench]
    fn json(bencher: Bencher) {
        bench(bencher, &Json::new(&JsonConfig::default()));
    }

    #[divan::bench]
    fn colored(bencher: Bencher) {
        bench(bencher, &Colored::new(&ColoredConfig::default(), true));
    }
}

mod scope {
    use super::*;

    /// ko-log installed as `log`'s logger (once per process; its guard leaked).
    fn installed() {
        static INSTALLED: OnceLock<()> = OnceLock::new();
        INSTALLED.get_or_init(|| {
            std::mem::forget(ko_log::init(config(&[])).expect("installed"));
        });
    }

    /// `log::info!` with no scoped context, no trace, no level scope.
    #[divan::bench]
    fn enabled_no_context(bencher: Bencher) {
        installed();
        bencher.bench_local(|| log::info!(target: "bench", "request handled"));
    }

    /// The same inside a trace scope (`context::push_trace`).
    #[divan::bench]
    fn enabled_in_trace_scope(bencher: Bencher) {
        installed();
        let trace = ko_log::TraceContext::new([0xab; 16], [0xcd; 8], 1).expect("ids");
        let _trace = ko_log::context::push_trace(trace);
        bencher.bench_local(|| log::info!(target: "bench", "request handled"));
    }

    /// `log::debug!` under an INFO root, no level scope open anywhere: `log`'s
    /// `max_level` check stops it.
    #[divan::bench]
    fn disabled_no_level_scope(bencher: Bencher) {
        installed();
        bencher.bench_local(|| log::debug!(target: black_box("bench"), "request {} handled", 1));
    }

    /// The same while a `with_level(Debug)` scope is open (not on this thread): `log`'s
    /// max level is raised, so the call reaches ko-log's filter and its scope check.
    #[divan::bench]
    fn disabled_level_scope_open_elsewhere(bencher: Bencher) {
        installed();
        let open = ko_log::with_level(LevelFilter::Debug, std::future::pending::<()>());
        assert_eq!(log::max_level(), LevelFilter::Debug);
        bencher.bench_local(|| log::debug!(target: black_box("bench"), "request {} handled", 1));
        drop(open);
    }
}
