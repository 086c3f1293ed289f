//! Checking lifecycle lines whose elapsed figures vary from run to run.
//!
//! [`normalize`] checks the shape of a line's figures — `End (d.dd): ...` with exactly
//! two decimals, a field `elapsed_ms=<f64>` that agrees with them — and replaces them with
//! `(s.ss)` and `<ms>`, so tests can compare whole lines exactly.

#![allow(dead_code)]

use ko_log::testing::Sink;

/// The template the life tests render with.
pub const FORMAT: &str = "{level} {message}{kv}";

/// A sink rendering [`FORMAT`].
pub fn sink() -> Sink {
    ko_log::testing::init();
    Sink::new()
        .with_format(FORMAT)
        .expect("the life tests' template")
}

/// `line` with its elapsed figures checked and replaced; see the module docs.
pub fn normalize(line: &str) -> String {
    normalize_with_ms(line).0
}

/// [`normalize`], also returning the `elapsed_ms` figure (0 for a `Begin` line).
pub fn normalize_with_ms(line: &str) -> (String, f64) {
    let Some(open) = line.find(" (") else {
        assert!(
            !line.contains("elapsed_ms"),
            "a Begin line with elapsed_ms: {line}"
        );
        return (line.to_owned(), 0.0);
    };
    let close = line[open..]
        .find("): ")
        .map(|i| open + i)
        .unwrap_or_else(|| panic!("no `(s.ss): ` in {line:?}"));
    let seconds = &line[open + 2..close];
    let (whole, decimals) = seconds
        .split_once('.')
        .unwrap_or_else(|| panic!("seconds without decimals in {line:?}"));
    assert!(
        !whole.is_empty()
            && whole.bytes().all(|b| b.is_ascii_digit())
            && decimals.len() == 2
            && decimals.bytes().all(|b| b.is_ascii_digit()),
        "seconds not in the form d.dd in {line:?}"
    );
    let seconds: f64 = seconds.parse().expect("seconds");
    let key = " elapsed_ms=";
    let at = line
        .find(key)
        .unwrap_or_else(|| panic!("no elapsed_ms in {line:?}"));
    let rest = &line[at + key.len()..];
    let end = rest.find(' ').unwrap_or(rest.len());
    let ms: f64 = rest[..end]
        .parse()
        .unwrap_or_else(|_| panic!("elapsed_ms is not a number in {line:?}"));
    assert!(
        (ms / 1000.0 - seconds).abs() <= 0.005 + 1e-9,
        "elapsed_ms={ms} disagrees with ({seconds:.2}) in {line:?}"
    );
    let normalized = format!(
        "{}(s.ss){}{key}<ms>{}",
        &line[..open + 1],
        &line[close + 1..at],
        &rest[end..]
    );
    (normalized, ms)
}

/// The sink's lines, normalized.
pub fn lines(sink: &Sink) -> Vec<String> {
    sink.lines().iter().map(|line| normalize(line)).collect()
}

#[test]
fn normalize_checks_and_replaces_the_figures() {
    assert_eq!(
        normalize_with_ms("INFO End (0.50): Migrate version=3 elapsed_ms=500.25 x=1"),
        (
            "INFO End (s.ss): Migrate version=3 elapsed_ms=<ms> x=1".to_owned(),
            500.25
        )
    );
    assert_eq!(
        normalize("INFO Begin: Migrate version=3"),
        "INFO Begin: Migrate version=3"
    );
}
