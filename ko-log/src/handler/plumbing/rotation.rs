//! The pure decisions of [`RotatingFile`](crate::handler::RotatingFile): when to rotate, how
//! backups are named, which renames shift them, and which backups retention removes.
//!
//! Nothing here touches the file system or reads a clock: the handler passes the time
//! (the latest event timestamp it has seen, or its wall clock for the age of backups),
//! the sizes and the backups it found in, which keeps every rule unit-testable without
//! sleeping.
//!
//! **Names.** Backup `n` of `app.log` is `app.log.n` (plain), `app.log.n.gz` or
//! `app.log.n.zst` (compressed); `n` = 1 is the newest, written without leading zeros. A
//! compression in progress writes `app.log.n.gz.tmp` (or `.zst.tmp`), named after the slot
//! its source had when it started. Plain and compressed backups share the numbers, so they
//! are counted together.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use ko_log_config::handler::Rotation;
use time::{Duration, OffsetDateTime, UtcOffset};

/// What a backup file holds: plain text, or compressed with a codec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Kind {
    /// `app.log.n`.
    Plain,
    /// `app.log.n.gz`.
    Gzip,
    /// `app.log.n.zst`.
    Zstd,
}

impl Kind {
    /// The extension after the number (`None` for a plain backup).
    pub(crate) fn extension(self) -> Option<&'static str> {
        match self {
            Kind::Plain => None,
            Kind::Gzip => Some("gz"),
            Kind::Zstd => Some("zst"),
        }
    }

    const COMPRESSED: [Kind; 2] = [Kind::Gzip, Kind::Zstd];
}

/// A file name next to the live file that belongs to its rotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Name {
    /// Backup `n`, plain or compressed.
    Backup(usize, Kind),
    /// A compression into `kind` of backup `n` that has not finished.
    Temp(usize, Kind),
}

/// Reads `name` (a file name in the live file's directory) as one of the names the
/// rotation of the live file `live` (its file name) makes, if it is one.
pub(crate) fn parse_name(live: &OsStr, name: &OsStr) -> Option<Name> {
    let rest = name
        .as_encoded_bytes()
        .strip_prefix(live.as_encoded_bytes())?
        .strip_prefix(b".")?;
    let rest = std::str::from_utf8(rest).ok()?;
    let (number, tail) = rest.split_once('.').unwrap_or((rest, ""));
    if number.is_empty() || number.starts_with('0') || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: usize = number.parse().ok()?;
    if tail.is_empty() {
        return Some(Name::Backup(n, Kind::Plain));
    }
    let (extension, temp) = match tail.strip_suffix(".tmp") {
        Some(extension) => (extension, true),
        None => (tail, false),
    };
    let kind = Kind::COMPRESSED
        .into_iter()
        .find(|kind| kind.extension() == Some(extension))?;
    Some(if temp {
        Name::Temp(n, kind)
    } else {
        Name::Backup(n, kind)
    })
}

/// The first `rotation` boundary strictly after `now`, on the clock of `offset`
/// (`None` for [`Rotation::Never`], or past the representable range).
pub(crate) fn next_boundary(
    now: OffsetDateTime,
    rotation: Rotation,
    offset: UtcOffset,
) -> Option<OffsetDateTime> {
    let local = now.checked_to_offset(offset)?;
    let (start, step) = match rotation {
        Rotation::Minutely => (local.truncate_to_minute(), Duration::MINUTE),
        Rotation::Hourly => (local.truncate_to_hour(), Duration::HOUR),
        Rotation::Daily => (local.truncate_to_day(), Duration::DAY),
        // `never` (and a rotation this version does not know): by size only.
        _ => return None,
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

/// The `n`th backup of `path` holding `kind`: `app.log` → `app.log.n`, `app.log.n.gz`,
/// `app.log.n.zst` (`n` = 1 is the newest).
pub(crate) fn kind_path(path: &Path, n: usize, kind: Kind) -> PathBuf {
    let mut name = OsString::from(path.as_os_str());
    match kind.extension() {
        Some(extension) => name.push(format!(".{n}.{extension}")),
        None => name.push(format!(".{n}")),
    }
    PathBuf::from(name)
}

/// Where the compression of backup `n` into `kind` is written before its rename:
/// `app.log.n.gz.tmp`.
pub(crate) fn temp_path(path: &Path, n: usize, kind: Kind) -> PathBuf {
    let mut name = kind_path(path, n, kind).into_os_string();
    name.push(".tmp");
    PathBuf::from(name)
}

/// The backups found, by number, with the kinds of file each number has (two only after a
/// crash between a compression's rename and the removal of its plain file).
pub(crate) type Found = BTreeMap<usize, BTreeSet<Kind>>;

/// What a rotation does to the backups before the live file becomes backup 1.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct RotationPlan {
    /// Files of backup `backup_count` to remove first, when the run from 1 reaches it:
    /// the oldest backup, which the shift would push past `backup_count`.
    pub remove: Vec<(usize, Kind)>,
    /// The files renamed from number `n` to `n + 1`, in the order to run them (the
    /// highest first, so no rename replaces a file).
    pub shift: Vec<(usize, Kind)>,
}

/// How a rotation keeping `backup_count` backups shifts those `found`.
///
/// Only the run of numbers present from 1 (`1 … k`) moves up, so a rotation costs a
/// rename per existing backup, whatever `backup_count`; a backup beyond a gap stays where
/// it is until the gap fills. When the run reaches `backup_count`, that oldest backup is
/// removed first, so the shift never renames onto an existing file. Empty when
/// `backup_count` is 0 (the live file is truncated in place).
pub(crate) fn rotation_plan(found: &Found, backup_count: usize) -> RotationPlan {
    if backup_count == 0 {
        return RotationPlan::default();
    }
    let run = (1..)
        .take_while(|n| found.get(n).is_some_and(|kinds| !kinds.is_empty()))
        .count();
    let mut plan = RotationPlan::default();
    if run >= backup_count {
        if let Some(kinds) = found.get(&backup_count) {
            plan.remove = kinds.iter().map(|&kind| (backup_count, kind)).collect();
        }
    }
    let shifted = run.min(backup_count - 1);
    for n in (1..=shifted).rev() {
        if let Some(kinds) = found.get(&n) {
            plan.shift.extend(kinds.iter().map(|&kind| (n, kind)));
        }
    }
    plan
}

/// One backup file as retention sees it: its number, its kind and when it was last
/// modified (`None` when that cannot be read: never removed for its age).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Aged {
    pub n: usize,
    pub kind: Kind,
    pub modified: Option<SystemTime>,
}

/// The backups retention removes: those numbered above `backup_count`, and, with a
/// `max_age`, those last modified more than `max_age` before `now` (a file exactly
/// `max_age` old, or modified after `now`, is kept). Plain and compressed files are
/// judged alike; the result keeps the order of `backups`.
pub(crate) fn expired(
    backups: &[Aged],
    backup_count: usize,
    max_age: Option<std::time::Duration>,
    now: SystemTime,
) -> Vec<(usize, Kind)> {
    backups
        .iter()
        .filter(|backup| {
            let too_many = backup.n > backup_count;
            let too_old = match (max_age, backup.modified) {
                (Some(max_age), Some(modified)) => {
                    now.duration_since(modified).is_ok_and(|age| age > max_age)
                }
                _ => false,
            };
            too_many || too_old
        })
        .map(|backup| (backup.n, backup.kind))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{datetime, offset};

    #[test]
    fn next_boundaries() {
        use Rotation::{Daily, Hourly, Minutely, Never};
        let (utc, plus_0530, minus_8) = (offset!(UTC), offset!(+05:30), offset!(-08:00));
        let check = |now, offset, cases: &[(Rotation, Option<OffsetDateTime>)]| {
            for &(rotation, expected) in cases {
                let next = next_boundary(now, rotation, offset);
                assert_eq!(next, expected, "{now} {rotation:?} {offset}");
            }
        };
        check(datetime!(2024-05-01 10:00 UTC), utc, &[(Never, None)]);
        check(
            datetime!(2024-05-01 10:17:42.5 UTC),
            utc,
            &[
                (Minutely, Some(datetime!(2024-05-01 10:18 UTC))),
                (Hourly, Some(datetime!(2024-05-01 11:00 UTC))),
                (Daily, Some(datetime!(2024-05-02 00:00 UTC))),
            ],
        );
        // A time on a boundary gives the next one.
        check(
            datetime!(2024-05-01 00:00 UTC),
            utc,
            &[
                (Minutely, Some(datetime!(2024-05-01 00:01 UTC))),
                (Hourly, Some(datetime!(2024-05-01 01:00 UTC))),
                (Daily, Some(datetime!(2024-05-02 00:00 UTC))),
            ],
        );
        // 10:17 UTC is 15:47 at +05:30; the result is expressed on the local clock.
        check(
            datetime!(2024-05-01 10:17 UTC),
            plus_0530,
            &[
                (Hourly, Some(datetime!(2024-05-01 10:30 UTC))),
                (Daily, Some(datetime!(2024-05-02 00:00 +05:30))),
                (Minutely, Some(datetime!(2024-05-01 10:18 UTC))),
            ],
        );
        // 03:00 UTC on May 2nd is 19:00 on May 1st at -08:00: next local midnight is
        // May 2nd 00:00 -08:00 = 08:00 UTC.
        check(
            datetime!(2024-05-02 03:00 UTC),
            minus_8,
            &[
                (Daily, Some(datetime!(2024-05-02 08:00 UTC))),
                (Hourly, Some(datetime!(2024-05-02 04:00 UTC))),
            ],
        );
        let new_year = Some(datetime!(2025-01-01 00:00 UTC));
        check(
            datetime!(2024-12-31 23:59:59.999 UTC),
            utc,
            &[(Minutely, new_year), (Hourly, new_year), (Daily, new_year)],
        );
        // At +05:30 the local year already ended at 18:30 UTC.
        let local_new_year = Some(datetime!(2025-01-01 00:00 +05:30));
        check(
            datetime!(2024-12-31 18:29 UTC),
            plus_0530,
            &[(Daily, local_new_year)],
        );
        let leap_day = Some(datetime!(2024-02-29 00:00 UTC));
        check(datetime!(2024-02-28 12:00 UTC), utc, &[(Daily, leap_day)]);
        // The end of time has no boundary.
        check(datetime!(9999-12-31 23:59:30 UTC), utc, &[(Minutely, None)]);
    }

    #[test]
    fn size_and_time_rotation() {
        let now = datetime!(2024-05-01 10:00 UTC);
        let at = Some(datetime!(2024-05-01 11:00 UTC));
        let just_before = datetime!(2024-05-01 10:59:59.999 UTC);
        // (len, line, max, now, at, rotates)
        let cases = [
            (90, 10, Some(100), now, None, false), // exactly full is allowed
            (91, 10, Some(100), now, None, true),
            (0, 500, Some(100), now, None, false), // an oversized line goes alone
            (1, 500, Some(100), now, None, true),
            (10_000, 10, None, now, None, false), // no max, no boundary
            (10, 1, None, just_before, at, false),
            (10, 1, None, datetime!(2024-05-01 11:00 UTC), at, true),
            (10, 1, None, datetime!(2024-05-03 00:00 UTC), at, true),
            (0, 1, None, datetime!(2024-05-01 11:00 UTC), at, false), // empty file
            (95, 10, Some(100), datetime!(2024-05-01 10:30 UTC), at, true),
            (5, 10, Some(100), datetime!(2024-05-01 11:00 UTC), at, true),
            (5, 10, Some(100), datetime!(2024-05-01 10:30 UTC), at, false),
        ];
        for (i, (len, line, max, now, at, rotates)) in cases.into_iter().enumerate() {
            assert_eq!(should_rotate(len, line, max, now, at), rotates, "case {i}");
        }
    }

    #[test]
    fn backup_names() {
        let name = |path: &str, n| kind_path(Path::new(path), n, Kind::Plain);
        assert_eq!(name("logs/app.log", 1), PathBuf::from("logs/app.log.1"));
        assert_eq!(name("app", 12), PathBuf::from("app.12"));
    }

    fn found(entries: &[(usize, Kind)]) -> Found {
        let mut found = Found::new();
        for &(n, kind) in entries {
            found.entry(n).or_default().insert(kind);
        }
        found
    }

    #[test]
    fn plan_shifts_oldest_first() {
        use Kind::{Gzip, Plain, Zstd};
        // Plain and compressed backups shift together, the highest number first.
        assert_eq!(
            rotation_plan(&found(&[(1, Plain), (2, Gzip), (3, Zstd)]), 5),
            RotationPlan {
                remove: vec![],
                shift: vec![(3, Zstd), (2, Gzip), (1, Plain)],
            }
        );
        // The run reaches backup_count: the oldest is removed, the rest shift.
        assert_eq!(
            rotation_plan(&found(&[(1, Gzip), (2, Gzip), (3, Plain)]), 3),
            RotationPlan {
                remove: vec![(3, Plain)],
                shift: vec![(2, Gzip), (1, Gzip)],
            }
        );
        // Both files of a number (a crash between rename and removal) move together.
        assert_eq!(
            rotation_plan(&found(&[(1, Plain), (1, Gzip)]), 1),
            RotationPlan {
                remove: vec![(1, Plain), (1, Gzip)],
                shift: vec![],
            }
        );
        // Nothing yet, or no backups kept.
        assert_eq!(rotation_plan(&found(&[]), 3), RotationPlan::default());
        assert_eq!(
            rotation_plan(&found(&[(1, Plain)]), 0),
            RotationPlan::default()
        );
    }

    #[test]
    fn plan_shifts_only_the_run_from_one() {
        use Kind::{Gzip, Plain};
        // 4 is beyond the gap at 3: it stays, and nothing is removed.
        assert_eq!(
            rotation_plan(&found(&[(1, Plain), (2, Gzip), (4, Gzip)]), 4),
            RotationPlan {
                remove: vec![],
                shift: vec![(2, Gzip), (1, Plain)],
            }
        );
        // No backup 1: nothing shifts (the live file becomes 1).
        assert_eq!(
            rotation_plan(&found(&[(2, Plain), (3, Plain)]), 5),
            RotationPlan::default()
        );
        // A run longer than backup_count (it was lowered): backup_count is removed, the
        // ones above are left to retention.
        assert_eq!(
            rotation_plan(&found(&[(1, Plain), (2, Plain), (3, Plain), (4, Plain)]), 2),
            RotationPlan {
                remove: vec![(2, Plain)],
                shift: vec![(1, Plain)],
            }
        );
    }

    #[test]
    fn names_of_backups_and_temporaries() {
        let live = OsStr::new("app.log");
        let parse = |name: &str| parse_name(live, OsStr::new(name));
        assert_eq!(parse("app.log.1"), Some(Name::Backup(1, Kind::Plain)));
        assert_eq!(parse("app.log.12.gz"), Some(Name::Backup(12, Kind::Gzip)));
        assert_eq!(parse("app.log.3.zst"), Some(Name::Backup(3, Kind::Zstd)));
        assert_eq!(parse("app.log.2.gz.tmp"), Some(Name::Temp(2, Kind::Gzip)));
        assert_eq!(parse("app.log.2.zst.tmp"), Some(Name::Temp(2, Kind::Zstd)));
        for other in [
            "app.log",
            "app.log.",
            "app.log.0",
            "app.log.01",
            "app.log.1.tmp",
            "app.log.1.bz2",
            "app.log.1.gz.bak",
            "app.log.x",
            "app.log.-1",
            "app.log.1.2",
            "app.logs.1",
            "other.log.1",
            "app.log.99999999999999999999999",
        ] {
            assert_eq!(parse(other), None, "{other}");
        }
        let path = Path::new("logs/app.log");
        assert_eq!(
            kind_path(path, 3, Kind::Plain),
            PathBuf::from("logs/app.log.3")
        );
        assert_eq!(
            kind_path(path, 3, Kind::Gzip),
            PathBuf::from("logs/app.log.3.gz")
        );
        assert_eq!(
            kind_path(path, 3, Kind::Zstd),
            PathBuf::from("logs/app.log.3.zst")
        );
        assert_eq!(
            temp_path(path, 3, Kind::Gzip),
            PathBuf::from("logs/app.log.3.gz.tmp")
        );
        // Every name made is read back as what it is.
        for kind in [Kind::Plain, Kind::Gzip, Kind::Zstd] {
            let name = kind_path(Path::new("app.log"), 7, kind);
            assert_eq!(
                parse_name(live, name.as_os_str()),
                Some(Name::Backup(7, kind))
            );
        }
    }

    fn aged(n: usize, kind: Kind, days_old: Option<u64>, now: SystemTime) -> Aged {
        Aged {
            n,
            kind,
            modified: days_old.map(|d| now - std::time::Duration::from_secs(d * 86_400)),
        }
    }

    #[test]
    fn retention_by_count_removes_exactly_the_numbers_above_it() {
        let now = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
        let backups = [
            aged(1, Kind::Plain, Some(0), now),
            aged(2, Kind::Gzip, Some(1), now),
            aged(3, Kind::Gzip, Some(2), now),
            aged(4, Kind::Zstd, Some(3), now),
            aged(7, Kind::Plain, None, now),
        ];
        assert_eq!(
            expired(&backups, 3, None, now),
            [(4, Kind::Zstd), (7, Kind::Plain)]
        );
        assert_eq!(expired(&backups, 7, None, now), []);
        assert_eq!(expired(&backups, 0, None, now).len(), 5);
    }

    #[test]
    fn retention_by_age_keeps_a_file_exactly_max_age_old() {
        let now = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
        let day = std::time::Duration::from_secs(86_400);
        let at = |age: std::time::Duration, n: usize| Aged {
            n,
            kind: Kind::Gzip,
            modified: Some(now - age),
        };
        let backups = [
            at(day * 13, 1),
            at(day * 14, 2),
            at(day * 14 + std::time::Duration::from_secs(1), 3),
            at(day * 30, 4),
            Aged {
                n: 5,
                kind: Kind::Plain,
                modified: None,
            },
            Aged {
                n: 6,
                kind: Kind::Plain,
                modified: Some(now + day),
            },
        ];
        assert_eq!(
            expired(&backups, 10, Some(day * 14), now),
            [(3, Kind::Gzip), (4, Kind::Gzip)]
        );
        // Both limits at once: above the count, or too old.
        assert_eq!(
            expired(&backups, 5, Some(day * 14), now),
            [(3, Kind::Gzip), (4, Kind::Gzip), (6, Kind::Plain)]
        );
    }
}
