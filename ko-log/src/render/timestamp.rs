//! Timestamps, formatted once per unit of the format and copied for every other record.
//!
//! Formatting a date through `time`'s generic machinery costs far more than the rest of a
//! plain line, and consecutive records almost always share the text of their timestamp
//! (the default format shows milliseconds; at a million records a second a thousand
//! records share each). So a [`Stamp`] keeps the last text it wrote with the unit it
//! belongs to ([`TimeFormat::resolution_nanos`]) and copies it while the unit lasts.
//! RFC 3339 shows nanoseconds: there the date and time of day are kept per second and
//! only the fraction is written per record, by hand, exactly as `time` writes it
//! (trailing zeros trimmed, `Z` for UTC).

use std::cell::RefCell;
use std::io::Write;

use ko_log_config::render::TimeFormat;
use time::{OffsetDateTime, UtcOffset};

/// Formats timestamps for one renderer.
#[derive(Debug, Clone)]
pub(crate) struct Stamp {
    format: TimeFormat,
    offset: UtcOffset,
    /// Nanoseconds a formatted text stays valid (a divisor of a second); 0 when not
    /// worth caching.
    unit: i64,
    last: RefCell<Last>,
}

#[derive(Debug, Clone)]
struct Last {
    /// The unit (or, for RFC 3339, the second) `text` belongs to.
    key: i64,
    /// The formatted time (for RFC 3339: up to the seconds).
    text: Vec<u8>,
    /// For RFC 3339: `Z` or `+hh:mm`.
    suffix: Vec<u8>,
}

/// The smallest unit worth caching: below a microsecond few records share a text.
const MIN_UNIT: u32 = 1_000;

const NANOS_PER_SECOND: i64 = 1_000_000_000;

impl Stamp {
    /// A stamp writing `format` in `offset`.
    pub fn new(format: &TimeFormat, offset: UtcOffset) -> Stamp {
        let unit = if format.is_rfc3339() || format.resolution_nanos() < MIN_UNIT {
            0
        } else {
            i64::from(format.resolution_nanos())
        };
        Stamp {
            format: format.clone(),
            offset,
            unit,
            last: RefCell::new(Last {
                key: i64::MIN,
                text: Vec::new(),
                suffix: Vec::new(),
            }),
        }
    }

    /// An RFC 3339 stamp (the JSON renderer's `timestamp`).
    pub fn rfc3339(offset: UtcOffset) -> Stamp {
        match TimeFormat::parse("rfc3339") {
            Ok(format) => Stamp::new(&format, offset),
            Err(_) => Stamp::new(&TimeFormat::default(), offset),
        }
    }

    /// Appends `time` (UTC) in this stamp's format and offset; `false` when it cannot be
    /// written (out of the format's range), with nothing appended.
    pub fn write(&self, time: OffsetDateTime, out: &mut Vec<u8>) -> bool {
        let Ok(mut last) = self.last.try_borrow_mut() else {
            return self.write_uncached(time, out);
        };
        if self.format.is_rfc3339() {
            return self.write_rfc3339(time, &mut last, out);
        }
        if self.unit == 0 {
            return self.write_uncached(time, out);
        }
        // The unit this time falls in, counted from the epoch (i64 arithmetic: an i128
        // division per record is measurable).
        let per_second = NANOS_PER_SECOND / self.unit;
        let key = time.unix_timestamp() * per_second + i64::from(time.nanosecond()) / self.unit;
        if last.key != key {
            last.text.clear();
            if !self.write_uncached(time, &mut last.text) {
                last.key = i64::MIN;
                return false;
            }
            last.key = key;
        }
        out.extend_from_slice(&last.text);
        true
    }

    fn write_uncached(&self, time: OffsetDateTime, out: &mut Vec<u8>) -> bool {
        let start = out.len();
        let written = time
            .checked_to_offset(self.offset)
            .is_some_and(|local| self.format.format_into(out, local).is_ok());
        if !written {
            out.truncate(start);
        }
        written
    }

    fn write_rfc3339(&self, time: OffsetDateTime, last: &mut Last, out: &mut Vec<u8>) -> bool {
        let second = time.unix_timestamp();
        if last.key != second {
            last.text.clear();
            last.suffix.clear();
            let Some(local) = time.checked_to_offset(self.offset) else {
                return false;
            };
            let (hours, minutes, seconds) = local.offset().as_hms();
            if !(0..=9999).contains(&local.year()) || seconds != 0 {
                // Outside what RFC 3339 can say: let `time` decide (it refuses).
                return self.write_uncached(time, out);
            }
            let _ = write!(
                last.text,
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
                local.year(),
                u8::from(local.month()),
                local.day(),
                local.hour(),
                local.minute(),
                local.second()
            );
            if local.offset().is_utc() {
                last.suffix.push(b'Z');
            } else {
                let sign = if hours < 0 || minutes < 0 { '-' } else { '+' };
                let _ = write!(
                    last.suffix,
                    "{sign}{:02}:{:02}",
                    hours.unsigned_abs(),
                    minutes.unsigned_abs()
                );
            }
            last.key = second;
        }
        out.extend_from_slice(&last.text);
        write_fraction(time.nanosecond(), out);
        out.extend_from_slice(&last.suffix);
        true
    }
}

/// `.ddddddddd` with trailing zeros trimmed; nothing for a whole second.
fn write_fraction(nanos: u32, out: &mut Vec<u8>) {
    if nanos == 0 {
        return;
    }
    let mut digits = [b'0'; 9];
    let mut n = nanos;
    for slot in digits.iter_mut().rev() {
        *slot = b'0' + (n % 10) as u8;
        n /= 10;
    }
    let len = digits.iter().rposition(|&d| d != b'0').map_or(0, |i| i + 1);
    out.push(b'.');
    out.extend_from_slice(digits.get(..len).unwrap_or_default());
}

/// `time`'s own RFC 3339 text, for checking the hand-written one.
#[cfg(test)]
fn reference(time: OffsetDateTime, offset: UtcOffset) -> Option<String> {
    use time::format_description::well_known::Rfc3339;
    time.to_offset(offset).format(&Rfc3339).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{datetime, offset};

    fn stamp(stamp: &Stamp, time: OffsetDateTime) -> String {
        let mut out = Vec::new();
        assert!(stamp.write(time, &mut out));
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn rfc3339_by_hand_matches_time_for_fractions_offsets_and_boundaries() {
        let times = [
            datetime!(2026-11-24 05:55:58.123456789 UTC),
            datetime!(2026-11-24 05:55:58.123456789 UTC),
            datetime!(2026-11-24 05:55:58.1 UTC),
            datetime!(2026-11-24 05:55:59 UTC),
            datetime!(2026-12-31 23:59:59.999999999 UTC),
            datetime!(2027-01-01 00:00:00.000000010 UTC),
            datetime!(1969-12-31 23:59:59.5 UTC),
        ];
        for offset in [
            offset!(UTC),
            offset!(+05:30),
            offset!(-08:00),
            offset!(-00:30),
        ] {
            let s = Stamp::rfc3339(offset);
            for time in times {
                assert_eq!(
                    Some(stamp(&s, time)),
                    reference(time, offset),
                    "{time} {offset}"
                );
            }
        }
    }

    #[test]
    fn cached_text_changes_exactly_at_the_unit_boundary() {
        let format = TimeFormat::parse("[hour]:[minute]:[second].[subsecond digits:3]").unwrap();
        let s = Stamp::new(&format, offset!(+01:00));
        assert_eq!(
            stamp(&s, datetime!(2026-11-24 05:55:58.1234 UTC)),
            "06:55:58.123"
        );
        assert_eq!(
            stamp(&s, datetime!(2026-11-24 05:55:58.1239 UTC)),
            "06:55:58.123"
        );
        assert_eq!(
            stamp(&s, datetime!(2026-11-24 05:55:58.124 UTC)),
            "06:55:58.124"
        );
        assert_eq!(
            stamp(&s, datetime!(1969-12-31 23:59:59.9995 UTC)),
            "00:59:59.999"
        );
        let nanos = Stamp::new(&TimeFormat::parse("[subsecond]").unwrap(), offset!(UTC));
        assert_eq!(
            stamp(&nanos, datetime!(2026-11-24 05:55:58.000000007 UTC)),
            "000000007"
        );
    }
}
