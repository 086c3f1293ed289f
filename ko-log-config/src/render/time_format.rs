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
pub struct TimeFormat {
    source: String,
    compiled: Compiled,
}

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
    pub fn parse(source: &str) -> Result<TimeFormat, time::error::InvalidFormatDescription> {
        let compiled = if source.eq_ignore_ascii_case("rfc3339") {
            Compiled::Rfc3339
        } else {
            Compiled::Items(time::format_description::parse_owned::<2>(source)?)
        };
        Ok(TimeFormat {
            source: source.to_owned(),
            compiled,
        })
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
            },
        }
    }
}

impl PartialEq for TimeFormat {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}
