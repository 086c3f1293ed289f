//! Human sizes and durations, as written in config files.
//!
//! **Sizes** (`max_bytes`): an integer is bytes; a string is a number, optional spaces and
//! a unit, case-insensitive: `B`; decimal `KB`, `MB`, `GB`, `TB` (powers of 1000); binary
//! `KiB`, `MiB`, `GiB`, `TiB` (powers of 1024). No unit means bytes. A fraction is allowed
//! (`"1.5 GiB"`) and rounded down to whole bytes: `"10 MiB"` = 10 485 760,
//! `"500KB"` = 500 000.
//!
//! **Durations** (`drain_timeout`, `reopen_check`): an integer is seconds; a string is one
//! or more number–unit pairs, with optional spaces: `ns`, `us` (or `µs`), `ms`, `s`,
//! `m` (or `min`), `h`, `d`. A fraction is allowed (`"1.5s"`); a bare number is seconds:
//! `"5s"`, `"250ms"`, `"1m"`, `"2h"`, `"1d"`, `"1h 30m"`.

use std::fmt;
use std::time::Duration;

/// Why a size or duration was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UnitError {
    /// What is wrong, naming the offending text.
    pub message: String,
}

impl fmt::Display for UnitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for UnitError {}

fn error(message: String) -> UnitError {
    UnitError { message }
}

const SIZE_UNITS: &[(&str, u64)] = &[
    ("b", 1),
    ("kb", 1_000),
    ("mb", 1_000_000),
    ("gb", 1_000_000_000),
    ("tb", 1_000_000_000_000),
    ("kib", 1 << 10),
    ("mib", 1 << 20),
    ("gib", 1 << 30),
    ("tib", 1 << 40),
];

/// The accepted size units, as documented.
pub const SIZE_UNIT_NAMES: &[&str] = &["B", "KB", "MB", "GB", "TB", "KiB", "MiB", "GiB", "TiB"];

const DURATION_UNITS: &[(&str, u128)] = &[
    ("ns", 1),
    ("us", 1_000),
    ("µs", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
    ("min", 60_000_000_000),
    ("h", 3_600_000_000_000),
    ("d", 86_400_000_000_000),
];

/// The accepted duration units, as documented.
pub const DURATION_UNIT_NAMES: &[&str] = &["ns", "us", "ms", "s", "m", "h", "d"];

/// A decimal number split into its integer part and fraction digits (`"1.5"` → 15, 1).
struct Decimal {
    digits: u128,
    scale: u32,
}

/// Reads a leading unsigned decimal number (`12`, `1.5`, `.5` is refused); returns it and
/// the rest of the text.
fn leading_number(text: &str) -> Option<(Decimal, &str)> {
    let end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
        .unwrap_or(text.len());
    let (number, rest) = text.split_at(end);
    let number = number.replace('_', "");
    let (whole, fraction) = number.split_once('.').unwrap_or((&number, ""));
    if whole.is_empty() || (number.contains('.') && fraction.is_empty()) || fraction.len() > 18 {
        return None;
    }
    let digits = format!("{whole}{fraction}").parse::<u128>().ok()?;
    let scale = u32::try_from(fraction.len()).ok()?;
    Some((Decimal { digits, scale }, rest))
}

/// `value × multiplier`, rounded down, or `None` on overflow.
fn scale(value: &Decimal, multiplier: u128) -> Option<u128> {
    value
        .digits
        .checked_mul(multiplier)
        .map(|n| n / 10u128.pow(value.scale))
}

/// Parses a size such as `"10 MiB"`, `"500KB"` or `"4096"` into bytes.
pub fn parse_size(text: &str) -> Result<u64, UnitError> {
    let trimmed = text.trim();
    let (number, rest) = leading_number(trimmed).ok_or_else(|| {
        error(format!(
            "invalid size `{text}`: expected a number and a unit, like `10 MiB`"
        ))
    })?;
    let unit = rest.trim();
    let multiplier = if unit.is_empty() {
        1
    } else {
        SIZE_UNITS
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(unit))
            .map(|(_, m)| *m)
            .ok_or_else(|| {
                error(format!(
                    "invalid size `{text}`: unknown unit `{unit}`, expected one of {}",
                    SIZE_UNIT_NAMES.join(", ")
                ))
            })?
    };
    scale(&number, u128::from(multiplier))
        .and_then(|bytes| u64::try_from(bytes).ok())
        .ok_or_else(|| error(format!("size `{text}` is too large")))
}

/// Parses a duration such as `"5s"`, `"250ms"`, `"1h 30m"` or `"10"` (seconds).
pub fn parse_duration(text: &str) -> Result<Duration, UnitError> {
    let invalid = || {
        error(format!(
            "invalid duration `{text}`: expected a number and a unit ({}), like `5s`",
            DURATION_UNIT_NAMES.join(", ")
        ))
    };
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let (number, after) = leading_number(rest).ok_or_else(invalid)?;
        let after = after.trim_start();
        let unit_end = after
            .find(|c: char| c.is_ascii_digit() || c.is_whitespace())
            .unwrap_or(after.len());
        let (unit, next) = after.split_at(unit_end);
        let nanos_per_unit = if unit.is_empty() {
            if total > 0 || !next.trim().is_empty() {
                return Err(invalid());
            }
            1_000_000_000
        } else {
            DURATION_UNITS
                .iter()
                .find(|(name, _)| *name == unit.to_lowercase())
                .map(|(_, n)| *n)
                .ok_or_else(|| {
                    error(format!(
                        "invalid duration `{text}`: unknown unit `{unit}`, expected one of {}",
                        DURATION_UNIT_NAMES.join(", ")
                    ))
                })?
        };
        let nanos = scale(&number, nanos_per_unit)
            .and_then(|n| total.checked_add(n))
            .ok_or_else(|| error(format!("duration `{text}` is too long")))?;
        total = nanos;
        rest = next.trim_start();
    }
    let secs = u64::try_from(total / 1_000_000_000)
        .map_err(|_| error(format!("duration `{text}` is too long")))?;
    let nanos = u32::try_from(total % 1_000_000_000).unwrap_or(0);
    Ok(Duration::new(secs, nanos))
}

/// A duration read from a component's params with the rules above (an integer is
/// seconds; `"250ms"`, `"1h 30m"` …), for `#[derive(serde::Deserialize)]` params types of
/// handlers, renderers and processors:
///
/// ```
/// #[derive(serde::Deserialize)]
/// struct Params {
///     timeout: ko_log_config::units::HumanDuration,
/// }
/// ```
///
/// A bad value is refused with the message a built-in key gets, at its own line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct HumanDuration(pub Duration);

impl<'de> serde::Deserialize<'de> for HumanDuration {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        crate::build::DurationValue::deserialize(deserializer).map(|d| HumanDuration(d.0))
    }
}

/// A size read from a component's params with the rules above (an integer is bytes;
/// `"64 KiB"`, `"1MB"` …), as [`HumanDuration`] is for durations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct HumanSize(pub u64);

impl<'de> serde::Deserialize<'de> for HumanSize {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        crate::build::Size::deserialize(deserializer).map(|s| HumanSize(s.0))
    }
}
