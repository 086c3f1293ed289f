//! `type = "rotating_file"`: [`RotatingFile`] is a [`File`] rotated by size, by time, or
//! both.
//!
//! Before each line the handler asks [`should_rotate`]: the line would take the file past
//! `max_bytes`, or the time has reached the next minute/hour/day boundary. Time is the
//! latest **event timestamp** seen (never the wall clock at write time), so a record is
//! filed by when it was logged, and tests inject time through events. An empty file is
//! never rotated, so a line longer than `max_bytes` goes alone into a fresh file: a line
//! is never split, and none is lost, since the buffer is written out before the renames.
//!
//! Rotation renames `path.{N-1}` → `path.N` … `path` → `path.1` (see [`rename_plan`]) and
//! opens a new `path`; with `backup_count = 0` the file is truncated in place instead.
//! Only the backups that exist in a row from `path.1` are shifted (a rotation costs one
//! rename per existing backup, whatever `backup_count`); a backup beyond a gap (`path.4`
//! when `path.3` was deleted) stays where it is until the gap is filled.
//! When the handler opens an existing file, its size counts toward `max_bytes` and its
//! modification time starts the time boundary; a new or empty file starts the boundary at
//! its first record.
//!
//! A failed rotation (a rename refused) is returned as an [`Error::Io`] with `op` `rotate`;
//! the line is still written, to the current file, and rotation is retried at most once
//! per [`RotatingFile::RETRY`]. Renames happen while the file is open, which Unix allows; elsewhere a
//! refused rename leaves everything in the current file.
//!
//! **Only regular files are rotated.** Rotation renames its file and deletes the oldest
//! backup, which must never happen to a file ko-log does not own (`/dev/null` renamed to
//! `/dev/null.1` by a root process), so:
//!
//! - at init, a `path` that is a device, FIFO, socket or directory is refused (an
//!   [`Error::Io`] with `op` `open`, which `init` reports as a config error at
//!   `handlers.NAME.path`); use a `file` handler to write to a device or FIFO;
//! - a `path` that is a symlink is resolved once, at init, when it names an existing
//!   regular file: the target is rotated, its backups are made beside it (`target.log.1` …),
//!   and the link keeps naming the live file. A symlink to anything else, or to nothing,
//!   is refused;
//! - before each rename, the file moved and the one it would replace are checked to be
//!   regular files (or missing): a device, symlink or directory found in a backup slot or
//!   at `path` after init is left alone, the rotation refused as above and the line
//!   written to the current file;
//! - a reopen opens only a regular file, never through a symlink (see [`File`]).

use std::fs;
use std::io;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use ko_log_config::handler::{FileConfig, RotatingFileConfig, Rotation};
use time::{OffsetDateTime, UtcOffset};

use super::open;
use super::rotation::{backup_path, next_boundary, rename_plan, should_rotate};
use super::{File, Handler};
use crate::{Error, Event};

/// A file rotated by size and/or time, keeping `backup_count` numbered backups.
#[derive(Debug)]
pub struct RotatingFile {
    file: File,
    max_bytes: Option<u64>,
    rotation: Rotation,
    backup_count: usize,
    offset: UtcOffset,
    /// The latest event time seen (or the file's modification time at open).
    latest: Option<OffsetDateTime>,
    /// When the next time rotation is due.
    boundary: Option<OffsetDateTime>,
    /// After a failed rotation: no new attempt before this instant.
    retry_at: Option<Instant>,
}

impl RotatingFile {
    /// Least time between two attempts at a rotation that failed.
    pub const RETRY: Duration = Duration::from_secs(1);

    /// Opens `config.file.path` like [`File::new`], with time boundaries on the clock of
    /// `config.timezone` (the local offset is the one captured at init).
    ///
    /// Fails with an [`Error::Io`] (`op` `open`) when the path is not a regular file, nor
    /// missing, nor a symlink to a regular file.
    pub fn new(config: &RotatingFileConfig) -> Result<RotatingFile, Error> {
        RotatingFile::with_offset(config, crate::clock::offset_of(config.timezone))
    }

    /// Like [`RotatingFile::new`], with time boundaries on the clock of a fixed `offset`
    /// instead of `config.timezone` (for example `+05:30` whatever the machine's zone).
    pub fn with_offset(
        config: &RotatingFileConfig,
        offset: UtcOffset,
    ) -> Result<RotatingFile, Error> {
        let path = open::resolve_for_rotation(&config.file.path)
            .map_err(|e| Error::io("RotatingFile", "open", &config.file.path, e))?;
        let resolved = FileConfig {
            path,
            ..config.file.clone()
        };
        let file = File::open_regular(&resolved, "RotatingFile")?;
        let latest = file.modified().and_then(to_datetime);
        let boundary = latest.and_then(|t| next_boundary(t, config.rotation, offset));
        Ok(RotatingFile {
            file,
            max_bytes: config.max_bytes,
            rotation: config.rotation,
            backup_count: config.backup_count,
            offset,
            latest,
            boundary,
            retry_at: None,
        })
    }

    /// The live file's path (backups are `path.1` … `path.N`): the configured `path`, or
    /// its target when that was a symlink.
    pub fn path(&self) -> &Path {
        self.file.path()
    }

    /// Writes the buffer to the current file, then shifts the backups and opens a new file
    /// (or truncates the file when no backup is kept).
    fn rotate(&mut self) -> Result<(), Error> {
        self.file.write_out()?;
        let path = self.file.path().to_path_buf();
        if self.backup_count == 0 {
            let truncated = self.file.truncate();
            return truncated.map_err(|e| Error::io("RotatingFile", "rotate", path, e));
        }
        // Only the backups that exist are shifted: `backup_count = 1000` costs a rename per
        // existing backup, not a thousand failed renames per rotation.
        let shift = existing_backups(&path, self.backup_count - 1) + 1;
        let plan = rename_plan(&path, shift);
        // Only regular files are moved, or replaced by a move (the oldest backup): nothing
        // is shifted while any of them is something else (a device or symlink put there
        // since), and each is checked again just before its rename.
        for (from, to) in &plan {
            check_step(from, to)?;
        }
        for (from, to) in &plan {
            check_step(from, to)?;
            match fs::rename(from, to) {
                Ok(()) => {}
                // Fewer backups than `backup_count` so far, or `path` deleted outside.
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io("RotatingFile", "rotate", from, e)),
            }
        }
        let reopened = self.file.reopen();
        reopened.map_err(|e| Error::io("RotatingFile", "reopen", path, e))
    }
}

impl Handler for RotatingFile {
    /// Records dropped because a write failed.
    fn lost(&self) -> u64 {
        self.file.lost()
    }

    fn write(&mut self, line: &[u8], event: &Event) -> Result<(), Error> {
        let now = self
            .latest
            .map_or(event.time, |latest| latest.max(event.time));
        self.latest = Some(now);
        if self.boundary.is_none() {
            self.boundary = next_boundary(now, self.rotation, self.offset);
        }
        let mut rotated = Ok(());
        let due = should_rotate(
            self.file.len(),
            line.len() as u64,
            self.max_bytes,
            now,
            self.boundary,
        );
        if due && self.retry_at.is_none_or(|at| Instant::now() >= at) {
            match self.rotate() {
                Ok(()) => {
                    self.retry_at = None;
                    self.boundary = next_boundary(now, self.rotation, self.offset);
                }
                Err(e) => {
                    let now = Instant::now();
                    self.retry_at = Some(now.checked_add(Self::RETRY).unwrap_or(now));
                    rotated = Err(e);
                }
            }
        } else if !due && self.boundary.is_some_and(|at| now >= at) {
            // The file is empty at the boundary: nothing to rotate, aim at the next one.
            self.boundary = next_boundary(now, self.rotation, self.offset);
        }
        let written = self.file.push(line);
        rotated.and(written)
    }

    fn flush(&mut self) -> Result<(), Error> {
        self.file.write_out()
    }

    fn is_terminal(&self) -> bool {
        self.file.is_terminal()
    }
}

/// Checks that renaming `from` onto `to` moves, and replaces, only regular files.
fn check_step(from: &Path, to: &Path) -> Result<(), Error> {
    for at in [from, to] {
        open::check_regular(at).map_err(|e| Error::io("RotatingFile", "rotate", at, e))?;
    }
    Ok(())
}

/// How many backups exist in a row from `path.1` (`path.1` … `path.k`), looking at most at
/// `limit` of them.
fn existing_backups(path: &Path, limit: usize) -> usize {
    (1..=limit)
        .take_while(|&n| fs::symlink_metadata(backup_path(path, n)).is_ok())
        .count()
}

/// A file time as a date-time, if representable.
fn to_datetime(time: SystemTime) -> Option<OffsetDateTime> {
    let secs = time.duration_since(SystemTime::UNIX_EPOCH).ok()?.as_secs();
    OffsetDateTime::from_unix_timestamp(i64::try_from(secs).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn existing_backups_counts_the_run_from_one() {
        let dir = std::env::temp_dir().join(format!("ko-log-backups-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("app.log");
        assert_eq!(existing_backups(&path, 10), 0);
        for n in [1, 2, 4] {
            fs::write(backup_path(&path, n), "").unwrap();
        }
        assert_eq!(existing_backups(&path, 10), 2, "stops at the gap");
        assert_eq!(
            existing_backups(&path, 1),
            1,
            "looks no further than the limit"
        );
        assert_eq!(existing_backups(&path, 0), 0);
        fs::remove_dir_all(&dir).unwrap();
    }
}
