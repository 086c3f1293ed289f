//! The pure decisions of [`RotatingFile`](super::RotatingFile): when to rotate, how
//! backups are named, and which renames shift them.
//!
//! Nothing here touches the file system or reads a clock: the handler passes the time
//! (the latest event timestamp it has seen) and the sizes in, which keeps every rule
//! unit-testable without sleeping.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use ko_log_config::handler::Rotation;
use time::{Duration, OffsetDateTime, UtcOffset};

/// The first `rotation` boundary strictly after `now`, on the clock of `offset`
/// (`None` for [`Rotation::Never`], or past the representable range).
pub(crate) fn next_boundary(
    now: OffsetDateTime,
    rotation: Rotation,
    offset: UtcOffset,
) -> Option<OffsetDateTime> {
    let local = now.checked_to_offset(offset)?;
    let (start, step) = match rotation {
        Rotation::Never => return None,
        Rotation::Minutely => (local.truncate_to_minute(), Duration::MINUTE),
        Rotation::Hourly => (local.truncate_to_hour(), Duration::HOUR),
        Rotation::Daily => (local.truncate_to_day(), Duration::DAY),
    };
    start.checked_add(step)
}

/// Whether the file must be rotated before a line of `line_len` bytes is written to it.
///
/// `len` is the file's current size (buffered bytes included). An empty file is never
/// rotated: a line larger than `max_bytes` goes alone into a fresh file, never split.
/// Otherwise the file rotates when the line would take it past `max_bytes`, or when `now`
/// has reached the time `boundary`.
pub(crate) fn should_rotate(
    len: u64,
    line_len: u64,
    max_bytes: Option<u64>,
    now: OffsetDateTime,
    boundary: Option<OffsetDateTime>,
) -> bool {
    let by_size = max_bytes.is_some_and(|max| len.saturating_add(line_len) > max);
    let by_time = boundary.is_some_and(|at| now >= at);
    len > 0 && (by_size || by_time)
}

/// The `n`th backup of `path`: `app.log` → `app.log.n` (`n` = 1 is the newest).
pub(crate) fn backup_path(path: &Path, n: usize) -> PathBuf {
    let mut name = OsString::from(path.as_os_str());
    name.push(format!(".{n}"));
    PathBuf::from(name)
}

/// The renames that rotate `path` keeping `backup_count` backups, in the order to run
/// them: `path.{N-1}` → `path.N` (replacing the oldest), …, `path.1` → `path.2`, then
/// `path` → `path.1`. Empty when `backup_count` is 0 (the file is truncated in place).
pub(crate) fn rename_plan(path: &Path, backup_count: usize) -> Vec<(PathBuf, PathBuf)> {
    if backup_count == 0 {
        return Vec::new();
    }
    let mut plan: Vec<(PathBuf, PathBuf)> = (1..backup_count)
        .rev()
        .map(|n| (backup_path(path, n), backup_path(path, n + 1)))
        .collect();
    plan.push((path.to_path_buf(), backup_path(path, 1)));
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{datetime, offset};

    fn next(now: OffsetDateTime, rotation: Rotation, offset: UtcOffset) -> OffsetDateTime {
        next_boundary(now, rotation, offset).unwrap()
    }

    #[test]
    fn never_has_no_boundary() {
        assert_eq!(
            next_boundary(
                datetime!(2024-05-01 10:00 UTC),
                Rotation::Never,
                offset!(UTC)
            ),
            None
        );
    }

    #[test]
    fn minutely_hourly_daily_in_utc() {
        let now = datetime!(2024-05-01 10:17:42.5 UTC);
        assert_eq!(
            next(now, Rotation::Minutely, offset!(UTC)),
            datetime!(2024-05-01 10:18 UTC)
        );
        assert_eq!(
            next(now, Rotation::Hourly, offset!(UTC)),
            datetime!(2024-05-01 11:00 UTC)
        );
        assert_eq!(
            next(now, Rotation::Daily, offset!(UTC)),
            datetime!(2024-05-02 00:00 UTC)
        );
    }

    #[test]
    fn a_time_on_a_boundary_gives_the_next_one() {
        let now = datetime!(2024-05-01 00:00 UTC);
        assert_eq!(
            next(now, Rotation::Minutely, offset!(UTC)),
            datetime!(2024-05-01 00:01 UTC)
        );
        assert_eq!(
            next(now, Rotation::Hourly, offset!(UTC)),
            datetime!(2024-05-01 01:00 UTC)
        );
        assert_eq!(
            next(now, Rotation::Daily, offset!(UTC)),
            datetime!(2024-05-02 00:00 UTC)
        );
    }

    #[test]
    fn half_hour_offset() {
        let plus_0530 = offset!(+05:30);
        // 10:17 UTC is 15:47 at +05:30.
        let now = datetime!(2024-05-01 10:17 UTC);
        assert_eq!(
            next(now, Rotation::Hourly, plus_0530),
            datetime!(2024-05-01 10:30 UTC)
        );
        assert_eq!(
            next(now, Rotation::Daily, plus_0530),
            datetime!(2024-05-01 18:30 UTC)
        );
        assert_eq!(
            next(now, Rotation::Minutely, plus_0530),
            datetime!(2024-05-01 10:18 UTC)
        );
        // The result is expressed on the local clock.
        assert_eq!(
            next(now, Rotation::Daily, plus_0530),
            datetime!(2024-05-02 00:00 +05:30)
        );
    }

    #[test]
    fn negative_offset_daily_crosses_the_utc_date() {
        let minus_8 = offset!(-08:00);
        // 03:00 UTC on May 2nd is 19:00 on May 1st at -08:00: next local midnight is
        // May 2nd 00:00 -08:00 = 08:00 UTC.
        let now = datetime!(2024-05-02 03:00 UTC);
        assert_eq!(
            next(now, Rotation::Daily, minus_8),
            datetime!(2024-05-02 08:00 UTC)
        );
        assert_eq!(
            next(now, Rotation::Hourly, minus_8),
            datetime!(2024-05-02 04:00 UTC)
        );
    }

    #[test]
    fn year_end() {
        let now = datetime!(2024-12-31 23:59:59.999 UTC);
        assert_eq!(
            next(now, Rotation::Minutely, offset!(UTC)),
            datetime!(2025-01-01 00:00 UTC)
        );
        assert_eq!(
            next(now, Rotation::Hourly, offset!(UTC)),
            datetime!(2025-01-01 00:00 UTC)
        );
        assert_eq!(
            next(now, Rotation::Daily, offset!(UTC)),
            datetime!(2025-01-01 00:00 UTC)
        );
        // At +05:30 the local year already ended at 18:30 UTC.
        assert_eq!(
            next(
                datetime!(2024-12-31 18:29 UTC),
                Rotation::Daily,
                offset!(+05:30)
            ),
            datetime!(2025-01-01 00:00 +05:30)
        );
    }

    #[test]
    fn leap_day() {
        let now = datetime!(2024-02-28 12:00 UTC);
        assert_eq!(
            next(now, Rotation::Daily, offset!(UTC)),
            datetime!(2024-02-29 00:00 UTC)
        );
    }

    #[test]
    fn end_of_time_has_no_boundary() {
        let now = datetime!(9999-12-31 23:59:30 UTC);
        assert_eq!(next_boundary(now, Rotation::Minutely, offset!(UTC)), None);
    }

    #[test]
    fn size_rotation() {
        let now = datetime!(2024-05-01 10:00 UTC);
        let max = Some(100);
        assert!(
            !should_rotate(90, 10, max, now, None),
            "exactly full is allowed"
        );
        assert!(should_rotate(91, 10, max, now, None));
        assert!(
            !should_rotate(0, 500, max, now, None),
            "an oversized line goes alone"
        );
        assert!(should_rotate(1, 500, max, now, None));
        assert!(
            !should_rotate(10_000, 10, None, now, None),
            "no max, no boundary"
        );
    }

    #[test]
    fn time_rotation() {
        let at = Some(datetime!(2024-05-01 11:00 UTC));
        assert!(!should_rotate(
            10,
            1,
            None,
            datetime!(2024-05-01 10:59:59.999 UTC),
            at
        ));
        assert!(should_rotate(
            10,
            1,
            None,
            datetime!(2024-05-01 11:00 UTC),
            at
        ));
        assert!(should_rotate(
            10,
            1,
            None,
            datetime!(2024-05-03 00:00 UTC),
            at
        ));
        assert!(
            !should_rotate(0, 1, None, datetime!(2024-05-01 11:00 UTC), at),
            "empty file"
        );
    }

    #[test]
    fn size_and_time_together() {
        let at = Some(datetime!(2024-05-01 11:00 UTC));
        let before = datetime!(2024-05-01 10:30 UTC);
        assert!(should_rotate(95, 10, Some(100), before, at));
        assert!(should_rotate(
            5,
            10,
            Some(100),
            datetime!(2024-05-01 11:00 UTC),
            at
        ));
        assert!(!should_rotate(5, 10, Some(100), before, at));
    }

    #[test]
    fn backup_names() {
        assert_eq!(
            backup_path(Path::new("logs/app.log"), 1),
            PathBuf::from("logs/app.log.1")
        );
        assert_eq!(backup_path(Path::new("app"), 12), PathBuf::from("app.12"));
    }

    #[test]
    fn plan_shifts_oldest_first() {
        let p = |s: &str| PathBuf::from(s);
        assert_eq!(
            rename_plan(Path::new("app.log"), 3),
            vec![
                (p("app.log.2"), p("app.log.3")),
                (p("app.log.1"), p("app.log.2")),
                (p("app.log"), p("app.log.1")),
            ]
        );
        assert_eq!(
            rename_plan(Path::new("app.log"), 1),
            vec![(p("app.log"), p("app.log.1"))]
        );
        assert!(rename_plan(Path::new("app.log"), 0).is_empty());
    }
}
