//! `time_format`: a `time` crate format description, compiled at load time.

use time::format_description::well_known::Rfc3339;
use time::format_description::OwnedFormatItem;

/// How a timestamp is written (key `time_format`).
///
/// `"rfc3339"` selects RFC 3339 with nanoseconds; any other string is a `time` format
/// description such as `"[hour]:[minute]:[second]"`, compiled when the config loads so a
/// mistake is a config error. The default is
/// [`TimeFormat::DEFAULT_DESCRIPTION`]: `2026-11-24T05:55:58.123+00:00`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TimeFormat {
    source: String,
    compiled: Compiled,
    /// The finest unit the format writes, in nanoseconds (at most one second).
    resolution: u32,
}

const NANOS_PER_SECOND: u32 = 1_000_000_000;

#[derive(Debug, Clone)]
enum Compiled {
    Rfc3339,
    Items(OwnedFormatItem),
}

impl TimeFormat {
    /// The default description: milliseconds and the UTC offset.
    pub const DEFAULT_DESCRIPTION: &'static str =
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3][offset_hour sign:mandatory]:[offset_minute]";

    /// Compiles a description (`"rfc3339"` or a `time` format description).
    pub fn parse(source: &str) -> Result<TimeFormat, TimeFormatError> {
        let (compiled, resolution) = if source.eq_ignore_ascii_case("rfc3339") {
            (Compiled::Rfc3339, 1)
        } else {
            let items = parse_description(source)?;
            let resolution = resolution(&items);
            (Compiled::Items(items), resolution)
        };
        Ok(TimeFormat {
            source: source.to_owned(),
            compiled,
            resolution,
        })
    }

    /// Whether this is `"rfc3339"`.
    pub fn is_rfc3339(&self) -> bool {
        matches!(self.compiled, Compiled::Rfc3339)
    }

    /// The finest unit the format writes, in nanoseconds, capped at one second: two times
    /// in the same such unit (counted from the Unix epoch) are written identically, which
    /// lets a renderer format each unit once. `[subsecond digits:3]` gives 1 000 000;
    /// `rfc3339` and `[subsecond]` give 1.
    pub fn resolution_nanos(&self) -> u32 {
        self.resolution
    }

    /// The description as written in the config.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Writes `time` in this format to `out`.
    pub fn format_into(
        &self,
        out: &mut impl std::io::Write,
        time: time::OffsetDateTime,
    ) -> Result<usize, time::error::Format> {
        match &self.compiled {
            Compiled::Rfc3339 => time.format_into(out, &Rfc3339),
            Compiled::Items(items) => time.format_into(out, items),
        }
    }
}

impl Default for TimeFormat {
    fn default() -> Self {
        match TimeFormat::parse(Self::DEFAULT_DESCRIPTION) {
            Ok(format) => format,
            Err(_) => TimeFormat {
                source: "rfc3339".to_owned(),
                compiled: Compiled::Rfc3339,
                resolution: 1,
            },
        }
    }
}

impl PartialEq for TimeFormat {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

/// The finest unit `item` writes, in nanoseconds, capped at one second. Whole-second
/// offsets keep sub-second units aligned to the epoch, so the cap is safe for any offset.
#[allow(deprecated)]
fn resolution(item: &OwnedFormatItem) -> u32 {
    use time::format_description::modifier::{SubsecondDigits, UnixTimestampPrecision};
    use time::format_description::Component;
    match item {
        OwnedFormatItem::Compound(items) | OwnedFormatItem::First(items) => items
            .iter()
            .map(resolution)
            .min()
            .unwrap_or(NANOS_PER_SECOND),
        OwnedFormatItem::Optional(item) => resolution(item),
        OwnedFormatItem::Component(Component::Subsecond(subsecond)) => match subsecond.digits {
            SubsecondDigits::One => 100_000_000,
            SubsecondDigits::Two => 10_000_000,
            SubsecondDigits::Three => 1_000_000,
            SubsecondDigits::Four => 100_000,
            SubsecondDigits::Five => 10_000,
            SubsecondDigits::Six => 1_000,
            SubsecondDigits::Seven => 100,
            SubsecondDigits::Eight => 10,
            _ => 1,
        },
        OwnedFormatItem::Component(Component::UnixTimestamp(unix)) => match unix.precision {
            UnixTimestampPrecision::Second => NANOS_PER_SECOND,
            UnixTimestampPrecision::Millisecond => 1_000_000,
            UnixTimestampPrecision::Microsecond => 1_000,
            _ => 1,
        },
        OwnedFormatItem::Component(Component::UnixTimestampMillisecond(_)) => 1_000_000,
        OwnedFormatItem::Component(Component::UnixTimestampMicrosecond(_)) => 1_000,
        OwnedFormatItem::Component(Component::UnixTimestampNanosecond(_)) => 1,
        _ => NANOS_PER_SECOND,
    }
}

/// Why a `time_format` was refused: the reason, and the byte offset in the description
/// it points at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
#[non_exhaustive]
pub struct TimeFormatError {
    /// What is wrong (the `time` crate's words where it gave them).
    pub message: String,
    /// The byte offset in the description.
    pub index: usize,
}

impl From<time::error::InvalidFormatDescription> for TimeFormatError {
    fn from(error: time::error::InvalidFormatDescription) -> TimeFormatError {
        use time::error::InvalidFormatDescription as E;
        let index = match &error {
            E::UnclosedOpeningBracket { index, .. }
            | E::InvalidComponentName { index, .. }
            | E::InvalidModifier { index, .. }
            | E::MissingComponentName { index, .. }
            | E::MissingRequiredModifier { index, .. }
            | E::Expected { index, .. }
            | E::NotSupported { index, .. }
            | E::DuplicateModifier { index, .. }
            | E::InvalidModifierCombination { index, .. } => *index,
            _ => 0,
        };
        TimeFormatError {
            message: error.to_string(),
            index,
        }
    }
}

/// `time`'s parser, guarded: some malformed descriptions (`[hour]:['[['minute]`) trip a
/// `debug_assert` inside `time` 0.3.55 instead of returning its error. ko-log refuses
/// every bad config with an error, never a panic, so that panic becomes an error pointing
/// at the first `[` that does not open a component.
fn parse_description(source: &str) -> Result<OwnedFormatItem, TimeFormatError> {
    match std::panic::catch_unwind(|| time::format_description::parse_owned::<2>(source)) {
        Ok(result) => result.map_err(TimeFormatError::from),
        Err(_) => {
            let bytes = source.as_bytes();
            let index = (0..bytes.len())
                .find(|&i| {
                    bytes[i] == b'[' && !bytes.get(i + 1).is_some_and(u8::is_ascii_lowercase)
                })
                .unwrap_or(0);
            Err(TimeFormatError {
                message: format!("a `[` at byte index {index} opens no component"),
                index,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::TimeFormat;

    #[test]
    fn resolution_is_the_finest_unit_written() {
        let of = |s: &str| TimeFormat::parse(s).map(|f| f.resolution_nanos()).ok();
        assert_eq!(of(TimeFormat::DEFAULT_DESCRIPTION), Some(1_000_000));
        assert_eq!(of("[hour]:[minute]:[second]"), Some(1_000_000_000));
        assert_eq!(of("[year]-[month]-[day]"), Some(1_000_000_000));
        assert_eq!(of("[second].[subsecond digits:6]"), Some(1_000));
        assert_eq!(of("[subsecond]"), Some(1));
        assert_eq!(
            of("[unix_timestamp precision:millisecond]"),
            Some(1_000_000)
        );
        assert_eq!(of("rfc3339"), Some(1));
    }
}
