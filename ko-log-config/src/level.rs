//! Level names: `off`, `error`, `warn` (or `warning`), `info`, `debug`, `trace`, in any
//! case (`"INFO"`, `"Info"`).

use log::LevelFilter;

/// Every accepted level name, in lower case.
pub const NAMES: &[&str] = &["off", "error", "warn", "warning", "info", "debug", "trace"];

/// The level a name stands for (case-insensitive; `warning` is `warn`), or `None`.
pub fn parse(name: &str) -> Option<LevelFilter> {
    Some(match name.trim().to_ascii_lowercase().as_str() {
        "off" => LevelFilter::Off,
        "error" => LevelFilter::Error,
        "warn" | "warning" => LevelFilter::Warn,
        "info" => LevelFilter::Info,
        "debug" => LevelFilter::Debug,
        "trace" => LevelFilter::Trace,
        _ => return None,
    })
}

/// The name written in config files for a level (`off`, `error`, `warn`, ...).
pub fn name(level: LevelFilter) -> &'static str {
    match level {
        LevelFilter::Off => "off",
        LevelFilter::Error => "error",
        LevelFilter::Warn => "warn",
        LevelFilter::Info => "info",
        LevelFilter::Debug => "debug",
        LevelFilter::Trace => "trace",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(parse("INFO"), Some(LevelFilter::Info));
        assert_eq!(parse("Warning"), Some(LevelFilter::Warn));
        assert_eq!(parse("off"), Some(LevelFilter::Off));
        assert_eq!(parse("inf"), None);
        for level in [
            LevelFilter::Off,
            LevelFilter::Error,
            LevelFilter::Warn,
            LevelFilter::Trace,
        ] {
            assert_eq!(parse(name(level)), Some(level));
        }
    }
}
