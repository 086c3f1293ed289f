//! Large configs load in linear time: a correctness test at 100,000 loggers, and an
//! ignored measurement that prints load times (no timer is asserted).
//!
//! Run the measurement with
//! `cargo test --release -p ko-log-config --test scale -- --ignored --nocapture`.

use std::fmt::Write as _;
use std::time::Instant;

use ko_log_config::{Config, ConfigErrorKind, Format};

/// `n` loggers `modI::sub`, each with a level, a handler and a context, in `format`.
fn loggers(n: usize, format: Format) -> String {
    let mut text = String::new();
    match format {
        Format::Toml => {
            text.push_str("[handlers.console]\ntype = \"stream\"\n\n");
            for i in 0..n {
                let _ = write!(
                    text,
                    "[loggers.\"mod{i}::sub\"]\nlevel = \"debug\"\nhandlers = [\"console\"]\ncontext = {{ shard = {i} }}\n\n"
                );
            }
        }
        Format::Json => {
            text.push_str(
                "{\n\"handlers\": {\"console\": {\"type\": \"stream\"}},\n\"loggers\": {\n",
            );
            for i in 0..n {
                let comma = if i + 1 < n { "," } else { "" };
                let _ = writeln!(
                    text,
                    "  \"mod{i}::sub\": {{\"level\": \"debug\", \"handlers\": [\"console\"], \"context\": {{\"shard\": {i}}}}}{comma}"
                );
            }
            text.push_str("}\n}\n");
        }
        Format::Yaml => {
            text.push_str("handlers:\n  console:\n    type: stream\nloggers:\n");
            for i in 0..n {
                let _ = write!(
                    text,
                    "  \"mod{i}::sub\":\n    level: debug\n    handlers: [console]\n    context: {{shard: {i}}}\n"
                );
            }
        }
        other => panic!("no text for {other:?}"),
    }
    text
}

#[test]
fn a_hundred_thousand_loggers_load_and_a_duplicate_among_them_is_located() {
    const N: usize = 100_000;
    let text = loggers(N, Format::Toml);
    let config = Config::from_str(&text, Format::Toml).unwrap();
    assert_eq!(config.loggers.len(), N);
    assert_eq!(config.loggers["mod99999::sub"].handlers, ["console"]);

    // Logger 77,777 repeated at the end: reported at the repetition's key.
    let text = format!("{text}[loggers.\"mod77777::sub\"]\nlevel = \"info\"\n");
    let error = Config::from_str(&text, Format::Toml).unwrap_err();
    let location = error.location().unwrap();
    assert_eq!(
        (
            error.kind(),
            error.message(),
            location.line,
            location.column
        ),
        (ConfigErrorKind::Syntax, "duplicate key", 3 + 5 * N + 1, 10)
    );
}

#[test]
fn json_and_yaml_refuse_a_repeated_logger_among_many_at_its_key() {
    const N: usize = 20_000;
    let json = loggers(N, Format::Json).replacen("\"mod12::sub\"", "\"mod11::sub\"", 1);
    let error = Config::from_str(&json, Format::Json).unwrap_err();
    let location = error.location().unwrap();
    assert_eq!(
        (error.message(), location.line, location.column),
        ("duplicate key `mod11::sub`", 4 + 12, 3)
    );
    // The same on one line (minified).
    let error = Config::from_str(&json.replace('\n', ""), Format::Json).unwrap_err();
    let location = error.location().unwrap();
    let column = json.replace('\n', "").find("\"mod11::sub\": {\"level\": \"debug\", \"handlers\": [\"console\"], \"context\": {\"shard\": 12}").unwrap() + 1;
    assert_eq!(
        (error.message(), location.line, location.column),
        ("duplicate key `mod11::sub`", 1, column)
    );

    let yaml = loggers(N, Format::Yaml).replacen("\"mod19998::sub\"", "\"mod5::sub\"", 1);
    let error = Config::from_str(&yaml, Format::Yaml).unwrap_err();
    let location = error.location().unwrap();
    assert_eq!(
        (error.message(), location.line, location.column),
        ("duplicated key in mapping", 5 + 4 * 19_998, 3)
    );
}

/// CPU time of this thread (Linux `schedstat`), so that other work on the machine does
/// not count; wall-clock time elsewhere.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos: f64 = stat.split_whitespace().next()?.parse().ok()?;
    Some(nanos / 1e9)
}

/// The fastest of three loads of `text`: (CPU seconds, wall seconds).
fn time_load(text: &str, format: Format, n: usize) -> (f64, f64) {
    let mut best = (f64::MAX, f64::MAX);
    for _ in 0..3 {
        let cpu = cpu_seconds();
        let start = Instant::now();
        let config = Config::from_str(text, format).unwrap();
        let wall = start.elapsed().as_secs_f64();
        let cpu = cpu.zip(cpu_seconds()).map_or(wall, |(a, b)| b - a);
        assert_eq!(config.loggers.len(), n);
        drop(config);
        best = (best.0.min(cpu), best.1.min(wall));
    }
    best
}

#[test]
#[ignore = "a measurement: run in release with --ignored --nocapture"]
fn measure_load_times() {
    let sizes = [4_000, 8_000, 16_000, 32_000, 85_341];
    for format in [Format::Toml, Format::Json, Format::Yaml] {
        for n in sizes {
            let text = loggers(n, format);
            let (cpu, wall) = time_load(&text, format, n);
            println!(
                "{format:?} {n:>6} loggers ({:>4.1} MB): {cpu:>7.3} s CPU, {wall:>7.3} s wall",
                text.len() as f64 / 1e6,
            );
        }
    }
    // Minified JSON: the whole file is one line.
    for n in sizes {
        let text = loggers(n, Format::Json).replace('\n', "");
        let (cpu, wall) = time_load(&text, Format::Json, n);
        println!(
            "Json on one line {n:>6} loggers ({:>4.1} MB): {cpu:>7.3} s CPU, {wall:>7.3} s wall",
            text.len() as f64 / 1e6,
        );
    }
}
