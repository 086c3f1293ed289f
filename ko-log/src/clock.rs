//! The clocks ko-log reads outside the logging path: the local UTC offset, captured
//! once, and the wall clock of retention by age ([`WallClock`]), which tests replace.
//!
//! **The local offset.** The `time` crate refuses to read the local offset once a process has several threads
//! (reading it races with `setenv`; see tracing's issue #2004). ko-log therefore captures
//! it when first asked (at init, ideally before other threads start) and keeps it for the
//! life of the process; when it cannot be read it falls back to UTC and says so once on
//! stderr. A DST change during the run is not picked up: restart, or use `timezone = "utc"`.

use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

use time::UtcOffset;

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
        ko_log_config::handler::Timezone::Local => local_offset(),
    }
}
