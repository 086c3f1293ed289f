//! Sizes and durations: the public parsers and the keys that use them.

use std::time::Duration;

use ko_log_config::units::{parse_duration, parse_size};
use ko_log_config::values::{DurationDe, FileMode, NonEmpty, Size};
use ko_log_config::{Config, Format};

/// The keys of a file handler these tests write, read with the config's value syntaxes
/// (the handler's own reading is ko-log's, `tests/config_components.rs`).
#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct FileKeys {
    path: NonEmpty,
    max_bytes: Option<Size>,
    reopen_check: Option<DurationDe>,
    file_mode: Option<FileMode>,
}

fn file_keys(text: &str) -> Result<FileKeys, ko_log_config::ConfigError> {
    let config = Config::from_str(text, Format::Toml).unwrap();
    config.handlers["f"].params.deserialize()
}

#[test]
fn sizes() {
    let cases = [
        ("0", 0),
        ("4096", 4096),
        ("10 B", 10),
        ("500KB", 500_000),
        ("500 kb", 500_000),
        ("10 MiB", 10 * 1024 * 1024),
        ("10 mib", 10 * 1024 * 1024),
        ("2MB", 2_000_000),
        ("1.5 GiB", 1_610_612_736),
        ("1 TB", 1_000_000_000_000),
        ("1 TiB", 1 << 40),
        ("1_000 KiB", 1_024_000),
        (" 7 ", 7),
    ];
    for (text, bytes) in cases {
        assert_eq!(parse_size(text), Ok(bytes), "{text}");
    }
    for bad in [
        "",
        "MiB",
        "-5 MiB",
        "-1",
        "10 MiBB",
        "10 M",
        ".5 KB",
        "1.",
        "1e3",
        "99999999999 TiB",
    ] {
        assert!(parse_size(bad).is_err(), "{bad} accepted");
    }
}

#[test]
fn durations() {
    let cases = [
        ("5s", Duration::from_secs(5)),
        ("250ms", Duration::from_millis(250)),
        ("1m", Duration::from_secs(60)),
        ("2h", Duration::from_secs(7200)),
        ("1d", Duration::from_secs(86_400)),
        ("1h30m", Duration::from_secs(5400)),
        ("1h 30m", Duration::from_secs(5400)),
        ("1h 30m 5s", Duration::from_secs(5405)),
        ("1.5s", Duration::from_millis(1500)),
        ("10us", Duration::from_micros(10)),
        ("7ns", Duration::from_nanos(7)),
        ("3 min", Duration::from_secs(180)),
        ("0s", Duration::ZERO),
        ("10", Duration::from_secs(10)),
    ];
    for (text, duration) in cases {
        assert_eq!(parse_duration(text), Ok(duration), "{text}");
    }
    for bad in [
        "",
        "s",
        "5 parsecs",
        "5s 10",
        "-1s",
        "1e3s",
        "99999999999999999999d",
    ] {
        assert!(parse_duration(bad).is_err(), "{bad} accepted");
    }
}

#[test]
fn sizes_and_durations_in_config_keys() {
    let text = "[queue]\ndrain_timeout = 1.5\n[handlers.f]\ntype = \"rotating_file\"\npath = \"x\"\nmax_bytes = 1048576\nreopen_check = \"500ms\"\n";
    let config = Config::from_str(text, Format::Toml).unwrap();
    assert_eq!(config.queue.drain_timeout, Duration::from_millis(1500));
    let keys = file_keys(text).unwrap();
    assert_eq!(keys.max_bytes.map(|s| s.0), Some(1 << 20));
    assert_eq!(
        keys.reopen_check.map(|d| d.0),
        Some(Duration::from_millis(500))
    );
}

#[test]
fn file_modes() {
    for (written, mode) in [
        ("\"0640\"", 0o640),
        ("\"0o600\"", 0o600),
        ("\"755\"", 0o755),
        ("0o644", 0o644),
        ("416", 0o640),
    ] {
        let text = format!("[handlers.f]\ntype = \"file\"\npath = \"x\"\nfile_mode = {written}\n");
        let keys = file_keys(&text).unwrap();
        assert_eq!(keys.file_mode.map(|m| m.0), Some(mode), "{written}");
    }
    for bad in ["\"0800\"", "\"rw-r-----\"", "0o1777", "640"] {
        let text = format!("[handlers.f]\ntype = \"file\"\npath = \"x\"\nfile_mode = {bad}\n");
        assert!(file_keys(&text).is_err(), "{bad} accepted");
    }
}
