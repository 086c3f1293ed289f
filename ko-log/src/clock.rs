//! The clocks ko-log reads: the caller's tick counter ([`ticks`]) and the dispatcher's
//! conversion of ticks to dates ([`Timeline`]); the local UTC offset, captured once; and
//! the wall clock of retention by age ([`WallClock`]), which tests replace.
//!
//! **Ticks.** A caller reads the cheapest clock that is correct: the CPU's time-stamp
//! counter where it is invariant (it ticks at one rate whatever the power state, and
//! Linux keeps the cores' counters in step), else the OS monotonic clock. The `quanta`
//! crate decides at first use and calibrates the counter against the monotonic clock
//! once (under a millisecond). On this project's VM the counter costs 10.5 ns a read
//! where `SystemTime::now` costs 34.8 ns. Ticks are monotonic, so the dispatcher merges
//! the threads' records by them with no care for a wall clock set back; it turns them
//! into wall-clock time against an anchor (the wall clock and the counter, read
//! together) that it takes again at the start of every round, so a record is dated by
//! the wall clock of at most one round after it was logged, scaled by the calibration.
//!
//! **The local offset.** The `time` crate refuses to read the local offset once a process has several threads
//! (reading it races with `setenv`; see tracing's issue #2004). ko-log therefore captures
//! it when first asked (at init, ideally before other threads start) and keeps it for the
//! life of the process; when it cannot be read it falls back to UTC and says so once on
//! stderr. A DST change during the run is not picked up: restart, or use `timezone = "utc"`.

use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use time::{OffsetDateTime, UtcOffset};

/// The tick counter, calibrated at first use.
fn counter() -> &'static quanta::Clock {
    static COUNTER: OnceLock<quanta::Clock> = OnceLock::new();
    COUNTER.get_or_init(quanta::Clock::new)
}

/// The clock a record is stamped with on its caller: ticks, in units only
/// [`Timeline`] knows.
#[inline]
pub(crate) fn ticks() -> u64 {
    counter().raw()
}

/// The wall clock now, in nanoseconds since the Unix epoch (negative before it).
pub(crate) fn now_nanos() -> i64 {
    let nanos = |d: Duration| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX);
    match SystemTime::now().duration_since(SystemTime::UNIX_EPOCH) {
        Ok(since) => nanos(since),
        Err(before) => -nanos(before.duration()),
    }
}

/// The dispatcher's conversion of [`ticks`] to dates: an anchor (the wall clock and the
/// ticks, read together) and the calendar date of the second last converted.
#[derive(Debug)]
pub(crate) struct Timeline {
    wall: i64,
    at: u64,
    second: Option<(i64, OffsetDateTime)>,
}

impl Default for Timeline {
    fn default() -> Timeline {
        let mut timeline = Timeline {
            wall: 0,
            at: 0,
            second: None,
        };
        timeline.anchor();
        timeline
    }
}

impl Timeline {
    /// Reads the wall clock and the ticks again: later conversions follow the wall
    /// clock as it is now (set back or forward meanwhile).
    pub(crate) fn anchor(&mut self) {
        self.at = ticks();
        self.wall = now_nanos();
    }

    /// `ticks` as nanoseconds since the epoch.
    pub(crate) fn nanos(&self, ticks: u64) -> i64 {
        let counter = counter();
        let since = |from, to| i64::try_from(counter.delta_as_nanos(from, to)).unwrap_or(i64::MAX);
        if ticks >= self.at {
            self.wall.saturating_add(since(self.at, ticks))
        } else {
            self.wall.saturating_sub(since(ticks, self.at))
        }
    }

    /// `ticks` as a date, computing the calendar once per second.
    pub(crate) fn date(&mut self, ticks: u64) -> OffsetDateTime {
        date(self.nanos(ticks), &mut self.second)
    }
}

/// `nanos` since the epoch as a date, the calendar taken from `cache` when in the same
/// second.
fn date(nanos: i64, cache: &mut Option<(i64, OffsetDateTime)>) -> OffsetDateTime {
    let second = nanos.div_euclid(1_000_000_000);
    let subsec = nanos.rem_euclid(1_000_000_000) as u32;
    let date = match *cache {
        Some((cached, date)) if cached == second => date,
        _ => {
            let date =
                OffsetDateTime::from_unix_timestamp(second).unwrap_or(OffsetDateTime::UNIX_EPOCH);
            *cache = Some((second, date));
            date
        }
    };
    date.replace_nanosecond(subsec).unwrap_or(date)
}

/// Where "now" comes from for the age of rotated files: the system clock, or in tests a
/// clock they set, so retention by age is tested without sleeping.
#[derive(Clone)]
pub(crate) struct WallClock(Arc<dyn Fn() -> SystemTime + Send + Sync>);

impl WallClock {
    /// The system's wall clock.
    pub(crate) fn system() -> WallClock {
        WallClock(Arc::new(SystemTime::now))
    }

    /// A clock that reads `now` (a test's).
    #[cfg(test)]
    pub(crate) fn from_fn(now: impl Fn() -> SystemTime + Send + Sync + 'static) -> WallClock {
        WallClock(Arc::new(now))
    }

    /// The time now, on this clock.
    pub(crate) fn now(&self) -> SystemTime {
        (self.0)()
    }
}

impl fmt::Debug for WallClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WallClock")
    }
}

static LOCAL: OnceLock<UtcOffset> = OnceLock::new();

/// The local offset captured at the first call (UTC when it cannot be determined).
pub(crate) fn local_offset() -> UtcOffset {
    *LOCAL.get_or_init(|| match UtcOffset::current_local_offset() {
        Ok(offset) => offset,
        Err(_) => {
            crate::report::warn_once(
                "RUNTIME::Clock::LOCAL_OFFSET::WARNING",
                "the local UTC offset cannot be read in a multi-threaded process; local times are written in UTC (initialise ko-log before starting threads, or set timezone = \"utc\")",
            );
            UtcOffset::UTC
        }
    })
}

/// The offset of a configured timezone.
pub(crate) fn offset_of(timezone: ko_log_config::handler::Timezone) -> UtcOffset {
    match timezone {
        ko_log_config::handler::Timezone::Utc => UtcOffset::UTC,
        _ => local_offset(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_through_nanoseconds() {
        let mut cache = None;
        assert_eq!(date(0, &mut cache), OffsetDateTime::UNIX_EPOCH);
        let t = 1_764_590_400_123_456_789;
        assert_eq!(date(t, &mut cache).unix_timestamp_nanos(), i128::from(t));
        // Same second from the cache, then the next second.
        assert_eq!(
            date(t + 1, &mut cache).unix_timestamp_nanos(),
            i128::from(t + 1)
        );
        assert_eq!(
            date(t + 1_000_000_000, &mut cache).unix_timestamp_nanos(),
            i128::from(t) + 1_000_000_000
        );
        // Before the epoch.
        assert_eq!(date(-1, &mut cache).unix_timestamp_nanos(), -1);
    }

    /// Ticks read on either side of the anchor convert to the wall clock read beside
    /// them, earlier ones earlier, whichever way the anchor lies.
    #[test]
    fn ticks_convert_to_the_wall_clock() {
        let before = ticks();
        let wall_before = now_nanos();
        let timeline = Timeline::default();
        let wall_after = now_nanos();
        let after = ticks();
        let (early, late) = (timeline.nanos(before), timeline.nanos(after));
        assert!(early <= late, "{early} {late}");
        // Within a millisecond of the wall clock read beside each (calibration error
        // and the time between the two reads).
        assert!(
            (early - wall_before).abs() < 1_000_000,
            "{early} {wall_before}"
        );
        assert!((late - wall_after).abs() < 1_000_000, "{late} {wall_after}");
        // An anchor in the past: the same tick, the same time.
        let mut moved = Timeline {
            wall: timeline.wall - 5_000_000_000,
            at: timeline.at,
            second: None,
        };
        assert_eq!(moved.nanos(after), late - 5_000_000_000);
        assert_eq!(
            moved.date(after).unix_timestamp_nanos(),
            i128::from(late - 5_000_000_000)
        );
    }
}
