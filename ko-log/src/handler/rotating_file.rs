//! `type = "rotating_file"`: [`RotatingFile`] is a [`File`] rotated by size, by time, or
//! both, whose backups can be compressed and are kept by count and by age.
//!
//! Before each line the handler asks [`should_rotate`]: the line would take the file past
//! `max_bytes`, or the time has reached the next minute/hour/day boundary. Time is the
//! latest **event timestamp** seen (never the wall clock at write time), so a record is
//! filed by when it was logged, and tests inject time through events. An empty file is
//! never rotated, so a line longer than `max_bytes` goes alone into a fresh file: a line
//! is never split, and none is lost, since the buffer is written out before the renames.
//!
//! Rotation renames `path.{N-1}` → `path.N` … `path` → `path.1` (see [`rotation_plan`];
//! compressed backups `path.N.gz` shift with the plain ones) and opens a new `path`; with
//! `backup_count = 0` the file is truncated in place instead.
//! Only the backups that exist in a row from `path.1` are shifted (a rotation costs one
//! rename per existing backup, whatever `backup_count`); a backup beyond a gap (`path.4`
//! when `path.3` was deleted) stays where it is until the gap is filled.
//! When the handler opens an existing file, its size counts toward `max_bytes` and its
//! modification time starts the time boundary; a new or empty file starts the boundary at
//! its first record.
//!
//! **Retention** (`backups`) runs at startup and after every rotation: a backup numbered
//! above `backup_count`, or (with `max_age`) last modified longer than `max_age` ago on
//! the wall clock, is removed, plain and compressed alike. **Compression** (`compress`)
//! runs on the handler's own thread, never on the dispatcher: `path.1` is compressed into
//! a temporary, renamed to `path.1.gz` when complete, then the plain file is removed; the
//! plain backups found at startup are compressed too. [`Handler::sync`] (that is,
//! `log::logger().flush()`) waits for the compressions started before it, at most
//! [`RotatingFile::COMPRESS_WAIT`]; dropping the handler waits for them until the
//! shutdown deadline and reports on stderr the backups left uncompressed (kept plain, and
//! compressed at the next start). A failed compression or removal is logged as a `warn`
//! record on the `ko_log` target and returned by the next `flush` (so counted in
//! `stats().handler(NAME).errors`); the file stays as it was.
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
//!   written to the current file; retention and compression likewise leave such a file
//!   alone and report it;
//! - a reopen opens only a regular file, never through a symlink (see [`File`]).
//!
//! Its keys ([`RotatingFileConfig`]), their defaults, checks and schema are here, with
//! its registration under `type = "rotating_file"`.

use std::collections::VecDeque;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use ko_log_config::handler::{Compress, Rotation, Timezone};
use ko_log_config::node::Params;
use ko_log_config::schema::{describe, duration, integer, one_of, size, table, with};
use ko_log_config::values::{
    CompressDe, Count, DurationDe, FileMode, NonEmpty, RotationDe, Size, TimezoneDe,
};
use ko_log_config::ConfigError;
use serde::Deserialize;
use serde_json::{json, Value};
use time::{OffsetDateTime, UtcOffset};

use super::plumbing::backups::{Backups, Failure, Policy};
use super::plumbing::compress::Codec;
use super::plumbing::open;
#[cfg(doc)]
use super::plumbing::rotation::rotation_plan;
use super::plumbing::rotation::{next_boundary, should_rotate};
use super::{File, FileConfig, Handle, Handler};
use crate::clock::WallClock;
use crate::{error::Error, event::Event};

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
    /// Shifting, retention and compression of the backups.
    backups: Backups,
    /// Failures of compression or retention already logged, returned one per flush.
    unreturned: VecDeque<Error>,
    /// Where those failures are logged, and the shutdown deadline.
    handle: Handle,
}

impl RotatingFile {
    /// Least time between two attempts at a rotation that failed.
    pub const RETRY: Duration = Duration::from_secs(1);

    /// Longest a [`Handler::sync`] waits for the compressions started before it (less
    /// when the dispatcher is shutting down: its deadline comes first), and a drop of a
    /// handler not owned by a dispatcher waits for the pending ones.
    pub const COMPRESS_WAIT: Duration = Duration::from_secs(5);

    /// Opens `config.file.path` like [`File::new`], with time boundaries on the clock of
    /// `config.timezone` (the local offset is the one captured at init).
    ///
    /// Fails with an [`Error::Io`] (`op` `open`) when the path is not a regular file, nor
    /// missing, nor a symlink to a regular file; with an [`Error::Unsupported`] when
    /// `compress` names a codec this build lacks (`zstd` without the `zstd` feature).
    ///
    /// Applies retention to the backups found and starts compressing the plain ones (see
    /// the module docs); what fails there is reported by the first flush.
    pub fn new(config: &RotatingFileConfig) -> Result<RotatingFile, Error> {
        RotatingFile::with_handle(config, &Handle::detached())
    }

    /// [`RotatingFile::new`] for a backend: failures are logged through `handle`.
    pub(crate) fn with_handle(
        config: &RotatingFileConfig,
        handle: &Handle,
    ) -> Result<RotatingFile, Error> {
        let offset = crate::clock::offset_of(config.timezone);
        RotatingFile::with_clock(config, offset, WallClock::system(), handle)
    }

    /// Like [`RotatingFile::new`], with time boundaries on the clock of a fixed `offset`
    /// instead of `config.timezone` (for example `+05:30` whatever the machine's zone).
    pub fn with_offset(
        config: &RotatingFileConfig,
        offset: UtcOffset,
    ) -> Result<RotatingFile, Error> {
        RotatingFile::with_clock(config, offset, WallClock::system(), &Handle::detached())
    }

    /// Like [`RotatingFile::with_offset`], with the age of backups read on `clock`.
    pub(crate) fn with_clock(
        config: &RotatingFileConfig,
        offset: UtcOffset,
        clock: WallClock,
        handle: &Handle,
    ) -> Result<RotatingFile, Error> {
        if let Some(message) = unsupported(config) {
            return Err(Error::Unsupported(message));
        }
        let codec = Codec::of(config.compress).ok().flatten();
        let path = open::resolve_for_rotation(&config.file.path)
            .map_err(|e| Error::io("RotatingFile", "open", &config.file.path, e))?;
        let resolved = FileConfig {
            path,
            ..config.file.clone()
        };
        let file = File::open_regular(&resolved, "RotatingFile")?;
        let latest = file.modified().and_then(to_datetime);
        let boundary = latest.and_then(|t| next_boundary(t, config.rotation, offset));
        let policy = Policy {
            backup_count: config.backup_count,
            max_age: config.max_age,
            codec,
            file_mode: config.file.file_mode,
        };
        let backups = Backups::open(file.path(), policy, clock, handle)?;
        Ok(RotatingFile {
            file,
            max_bytes: config.max_bytes,
            rotation: config.rotation,
            backup_count: config.backup_count,
            offset,
            latest,
            boundary,
            retry_at: None,
            backups,
            unreturned: VecDeque::new(),
            handle: handle.clone(),
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
        self.backups.rotate()?;
        let reopened = self.file.reopen();
        reopened.map_err(|e| Error::io("RotatingFile", "reopen", path, e))
    }

    /// Logs the failures the backups queued as records on the `ko_log` target (on stderr
    /// once the dispatcher is shutting down, when records can no longer be written), and
    /// keeps them to be returned, one per call, by [`RotatingFile::next_failure`].
    fn report_failures(&mut self) {
        let shutting_down = self.handle.deadline().is_some();
        for failure in self.backups.take_failures() {
            let Failure { op, path, error } = failure;
            if !shutting_down {
                log_failure(&self.handle, op, &path, &error);
            }
            self.unreturned
                .push_back(Error::io("RotatingFile", op, path, error));
        }
    }

    /// The next failure to return from a flush (the dispatcher counts and reports it).
    fn next_failure(&mut self) -> Result<(), Error> {
        match self.unreturned.pop_front() {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }
}

/// Says that the backups could not be compressed or removed, as a `warn` record on the
/// `ko_log` target, with the file, the operation and the error as fields.
fn log_failure(handle: &Handle, op: &'static str, path: &Path, error: &std::io::Error) {
    let (file, reason) = (path.display().to_string(), error.to_string());
    let what = match op {
        "compress" => "was not compressed and is kept as it is",
        "delete" => "was not deleted",
        _ => "could not be looked at for retention",
    };
    let message = format!("rotated file {file} {what}: {reason}");
    let mut event = super::plumbing::status::status(log::Level::Warn, message);
    event.fields.insert("file", file);
    event.fields.insert("op", op);
    event.fields.insert("error", reason);
    handle.status(event);
}

/// Keys of a `rotating_file` handler: those of `file` plus the rotation policy.
///
/// The live file is always `path`; rotated files are `path.1` (newest) … `path.N`, each
/// possibly compressed (`path.N.gz`, `path.N.zst`).
#[derive(Debug, Clone, PartialEq)]
pub struct RotatingFileConfig {
    /// `path`, `append`, `create_dirs`, `file_mode`, `reopen_check`, as for `file`.
    pub file: FileConfig,
    /// Rotate before a record would take the file past this size
    /// (key `max_bytes`: an integer or `"10 MiB"`; default none).
    pub max_bytes: Option<u64>,
    /// Rotate at time boundaries (key `rotation`, default `never`).
    pub rotation: Rotation,
    /// Rotated files kept, oldest removed (key `backup_count`, default 5).
    pub backup_count: usize,
    /// Clock of the time boundaries (key `timezone`, default `local`).
    pub timezone: Timezone,
    /// Compress rotated files (key `compress`, default `none`).
    pub compress: Compress,
    /// Backups whose last modification is older than this are removed, at startup and at
    /// each rotation (key `max_age`, a duration like `"14d"`; default none: by count only).
    pub max_age: Option<Duration>,
}

impl RotatingFileConfig {
    /// Default `backup_count`.
    pub const BACKUP_COUNT: usize = 5;

    /// `file` rotated by nothing yet: every other key at its default.
    pub fn new(file: FileConfig) -> RotatingFileConfig {
        RotatingFileConfig {
            file,
            max_bytes: None,
            rotation: Rotation::Never,
            backup_count: RotatingFileConfig::BACKUP_COUNT,
            timezone: Timezone::Local,
            compress: Compress::None,
            max_age: None,
        }
    }

    /// The keys of a `[handlers.NAME]` table with `type = "rotating_file"`, each mistake
    /// located at its key: a `max_bytes` or `max_age` of 0 is refused, and, in a table
    /// read from a file, a `compress` codec this build lacks.
    pub fn from_params(params: &Params) -> Result<RotatingFileConfig, ConfigError> {
        let raw: RawRotatingFile = params.deserialize()?;
        let file = FileConfig::of(
            params,
            raw.path,
            raw.append,
            raw.create_dirs,
            raw.file_mode,
            raw.reopen_check,
        )?;
        let config = RotatingFileConfig {
            file,
            max_bytes: raw.max_bytes.map(|s| s.0),
            rotation: raw.rotation.map(|r| r.0).unwrap_or_default(),
            backup_count: raw
                .backup_count
                .map_or(RotatingFileConfig::BACKUP_COUNT, |c| c.0),
            timezone: raw.timezone.map(|t| t.0).unwrap_or_default(),
            compress: raw.compress.map(|c| c.0).unwrap_or_default(),
            max_age: raw.max_age.map(|d| d.0),
        };
        if config.max_bytes == Some(0) {
            return Err(params.error_at("max_bytes", "the size must be greater than 0"));
        }
        if config.max_age == Some(Duration::ZERO) {
            return Err(params.error_at(
                "max_age",
                "`max_age` must be greater than 0 (leave it out to keep backups by count only)",
            ));
        }
        // Located at `compress`, not at `path`; built in Rust, opening it says why not.
        if let (true, Some(message)) = (params.is_located(), unsupported(&config)) {
            let name = params.table_key().unwrap_or("rotating_file");
            let message = format!("handler `{name}` cannot start: {message}");
            return Err(params.error_at("compress", message));
        }
        Ok(config)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a handler table")]
struct RawRotatingFile {
    path: NonEmpty,
    append: Option<bool>,
    create_dirs: Option<bool>,
    file_mode: Option<FileMode>,
    reopen_check: Option<DurationDe>,
    max_bytes: Option<Size>,
    rotation: Option<RotationDe>,
    backup_count: Option<Count>,
    timezone: Option<TimezoneDe>,
    compress: Option<CompressDe>,
    max_age: Option<DurationDe>,
}

fn schema() -> Value {
    let mut keys = super::file::keys();
    keys.extend(vec![
        ("max_bytes", describe(with(size(), json!({"not": {"const": 0}})), "Rotate before a record would take the file past this size; greater than 0.")),
        ("rotation", describe(with(one_of(RotationDe::NAMES), json!({"default": "never"})), "Rotate at time boundaries (default \"never\").")),
        ("backup_count", describe(with(integer(), json!({"minimum": 0, "default": 5})), "Rotated files kept (path.1 newest … path.N), default 5; older ones are removed.")),
        ("timezone", describe(with(one_of(TimezoneDe::NAMES), json!({"default": "local"})), "Clock of the time boundaries (default \"local\").")),
        ("compress", describe(with(one_of(CompressDe::NAMES), json!({"default": "none"})), "Compress rotated files on a background thread: none (default), gzip (path.N.gz), zstd (path.N.zst, ko-log's zstd feature).")),
        ("max_age", describe(duration(), "Also remove backups older than this (by modification time), at startup and after each rotation; greater than 0.")),
    ]);
    let described = "A file rotated by size and/or time, keeping backup_count backups.";
    describe(table(&keys, &["path"]), described)
}

crate::registry::register_handler!(
    "rotating_file",
    RotatingFileConfig,
    RotatingFile::with_handle,
    schema,
    RawRotatingFile
);

/// Why `config` cannot be built by this version or build of ko-log (a `compress` codec
/// whose cargo feature is off), as the message of a config error at `compress`.
pub(crate) fn unsupported(config: &RotatingFileConfig) -> Option<String> {
    match Codec::of(config.compress) {
        Err(name) => Some(format!(
            "compress = \"{name}\" is not known to this version of ko-log"
        )),
        Ok(Some(codec)) => codec.missing_feature().map(|feature| {
            format!(
                "compress = \"{}\" needs ko-log's `{feature}` cargo feature, which this build does not have: enable it (`ko-log = {{ version = \"{}\", features = [\"{feature}\"] }}`), or choose another `compress`",
                codec.name(),
                env!("CARGO_PKG_VERSION"),
            )
        }),
        Ok(None) => None,
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
        self.report_failures();
        self.file.write_out()?;
        self.next_failure()
    }

    /// Writes out, then waits for the compressions started so far, at most
    /// [`RotatingFile::COMPRESS_WAIT`] (cut at the dispatcher's shutdown deadline).
    fn sync(&mut self) -> Result<(), Error> {
        let written = self.file.write_out();
        self.backups
            .wait_idle(self.handle.wait_at_most(Self::COMPRESS_WAIT));
        self.report_failures();
        written?;
        self.next_failure()
    }

    fn is_terminal(&self) -> bool {
        self.file.is_terminal()
    }
}

impl Drop for RotatingFile {
    /// Writes out, waits for the pending compressions until the dispatcher's shutdown
    /// deadline (or [`RotatingFile::COMPRESS_WAIT`] for a handler dropped elsewhere), and
    /// reports on stderr the backups left uncompressed and the failures not yet returned.
    fn drop(&mut self) {
        let _ = self.file.write_out();
        let deadline = self
            .handle
            .deadline()
            .unwrap_or_else(|| Instant::now() + Self::COMPRESS_WAIT);
        let left = self.backups.shut_down(deadline);
        for failure in self.backups.take_failures() {
            let Failure { op, path, error } = failure;
            self.unreturned
                .push_back(Error::io("RotatingFile", op, path, error));
        }
        for error in self.unreturned.drain(..) {
            crate::report::say(&error.code(), &format!("rotating_file: {error}"));
        }
        if !left.is_empty() {
            let names: Vec<String> = left.iter().map(|p| p.display().to_string()).collect();
            crate::report::say(
                "HANDLER::RotatingFile::SHUTDOWN::WARNING",
                &format!(
                    "{} rotated file{} left uncompressed at shutdown, kept as {} (compressed at the next start): {}",
                    left.len(),
                    if left.len() == 1 { " was" } else { "s were" },
                    if left.len() == 1 { "it is" } else { "they are" },
                    names.join(", ")
                ),
            );
        }
    }
}

/// A file time as a date-time, if representable.
fn to_datetime(time: SystemTime) -> Option<OffsetDateTime> {
    let secs = time.duration_since(SystemTime::UNIX_EPOCH).ok()?.as_secs();
    OffsetDateTime::from_unix_timestamp(i64::try_from(secs).ok()?).ok()
}
