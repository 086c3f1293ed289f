//! A life whose level is disabled costs one check: its fields are not evaluated and
//! nothing is logged, whether `log::max_level()` or the logger's route rules it out.
//!
//! This binary installs its own ko-log (root at `info`, `life_disabled::quiet` at
//! `warn`), so it is a file of its own. The ignored test prints the cost per call:
//!
//! ```sh
//! cargo test --release --test life_disabled -- --ignored --nocapture
//! ```

use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::Instant;

use ko_log::config::{Config, LoggerConfig};
use ko_log::testing::Sink;
use log::LevelFilter;

fn install() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let mut config = Config::default();
        config.handlers.clear();
        config.loggers.clear();
        config.default_level = LevelFilter::Info;
        for (name, level) in [
            (ko_log::config::ROOT, LevelFilter::Info),
            ("life_disabled::quiet", LevelFilter::Warn),
        ] {
            config
                .loggers
                .insert(name.to_owned(), LoggerConfig::new(&[]).with_level(level));
        }
        let guard = ko_log::init(config).expect("ko-log installs");
        std::mem::forget(guard);
    });
    assert_eq!(log::max_level(), LevelFilter::Info);
}

static EVALUATED: AtomicUsize = AtomicUsize::new(0);

fn expensive() -> String {
    EVALUATED.fetch_add(1, Ordering::Relaxed);
    "x".repeat(1000)
}

#[ko_log::life("Below max level", level = "debug", fields(payload = expensive()))]
fn below_max_level(n: u64) -> u64 {
    log::info!("ran");
    n + 1
}

#[ko_log::life("Routed away", target = "life_disabled::quiet", fields(payload = expensive()))]
fn routed_away(n: u64) -> Result<u64, String> {
    Err(format!("no {n}"))
}

#[test]
fn a_disabled_life_evaluates_no_field_and_logs_nothing() {
    install();
    let sink = Sink::new().with_format("{level} {message}{kv}").unwrap();
    let _capture = sink.capture();
    let before = EVALUATED.load(Ordering::Relaxed);
    assert_eq!(below_max_level(1), 2);
    assert!(routed_away(1).is_err(), "not even Failed is logged");
    {
        let life = ko_log::life_guard!("Guard", level = "trace", fields(payload = expensive()));
        assert!(!life.is_enabled());
    }
    assert_eq!(EVALUATED.load(Ordering::Relaxed), before);
    assert_eq!(sink.lines(), ["INFO ran"]);
}

#[test]
fn an_enabled_life_next_to_disabled_ones_still_logs() {
    install();
    let sink = Sink::new().with_format("{level} {message}").unwrap();
    let _capture = sink.capture();
    {
        let _life = ko_log::life_guard!("Enabled", level = "info");
    }
    let lines = sink.lines();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0], "INFO Begin: Enabled");
    assert!(lines[1].starts_with("INFO End (") && lines[1].ends_with("): Enabled"));
}

fn plain(n: u64) -> u64 {
    n + 1
}

#[ko_log::life("Bench below max level", level = "debug", fields(n))]
fn bench_below_max_level(n: u64) -> u64 {
    n + 1
}

#[ko_log::life("Bench routed away", target = "life_disabled::quiet", fields(n))]
fn bench_routed_away(n: u64) -> u64 {
    n + 1
}

#[ko_log::life("Bench enabled", fields(n))]
fn bench_enabled(n: u64) -> u64 {
    n + 1
}

/// Nanoseconds per call of `f` over `calls` calls.
fn per_call(calls: u64, f: fn(u64) -> u64) -> f64 {
    let start = Instant::now();
    let mut sum = 0u64;
    for i in 0..calls {
        sum = sum.wrapping_add(f(black_box(i)));
    }
    black_box(sum);
    start.elapsed().as_nanos() as f64 / calls as f64
}

#[test]
#[ignore = "a measurement: run with --release --ignored --nocapture"]
fn cost_of_a_disabled_life() {
    install();
    const CALLS: u64 = 20_000_000;
    let _ = per_call(CALLS / 10, bench_below_max_level);
    let plain = per_call(CALLS, plain);
    let below = per_call(CALLS, bench_below_max_level);
    let routed = per_call(CALLS, bench_routed_away);
    let enabled = per_call(200_000, bench_enabled);
    log::logger().flush();
    println!("plain fn:                          {plain:7.2} ns/call");
    println!("#[life] below log::max_level():    {below:7.2} ns/call");
    println!("#[life] routed below its logger:   {routed:7.2} ns/call");
    println!("#[life] enabled (2 records, no handler): {enabled:7.1} ns/call");
}
