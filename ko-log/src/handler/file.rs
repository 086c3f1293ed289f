//! `type = "file"`: [`File`] appends rendered lines to one path.
//!
//! The file is always opened with `O_APPEND`, so every write lands at the current end of
//! the file even when an outside tool truncated it (logrotate's `copytruncate`): no hole of
//! NUL bytes, no overwritten lines. Lines are buffered ([`CAPACITY`](super::plumbing::buffer::CAPACITY)
//! bytes) and written out when the buffer is full and on [`Handler::flush`].
//!
//! `path` may be a regular file (created when missing), a symlink, or a device such as
//! `/dev/null` or `/dev/stdout`. Opening never waits: a FIFO with no reader is refused at
//! once ("FIFO has no reader") instead of hanging `init`; with a reader, writes block for
//! room as usual. `append = false` empties only a regular file. A `path` under something
//! that is not a directory is reported naming it (`logs is a regular file, not a
//! directory`).
//!
//! Each time it writes out, at most once per `reopen_check`, the handler compares the
//! device and inode `path` names with those of the file it has open. When the file was
//! renamed (logrotate's `create`) or deleted, or `path` cannot be looked up any more for a
//! reason other than a permission (a directory on the way replaced by a file), it opens
//! `path` again, creating it, and the buffered lines go to the new file (when that fails,
//! they are counted as lost and the error returned). Pair it with logrotate in either
//! style; with `create`, a `postrotate` signal is not needed: lines reach the new file
//! within `reopen_check` plus the dispatcher's next flush.
//!
//! A reopen opens only what `path` was at init, so that a path changed behind ko-log's
//! back never makes it write into a file it does not own:
//!
//! - it never creates a file through a symlink (a symlink to a missing file is refused);
//! - when `path` was not a symlink at init, a symlink found there later is not followed
//!   (`O_NOFOLLOW`); when it was one (the user's choice, say a `current.log` a tool
//!   re-points every day), the reopen follows it to the existing file it names now;
//! - when init opened a regular file, a device, FIFO or socket found there later is not
//!   written to.
//!
//! Each refusal is a `reopen` error, retried at the next write-out (the lines buffered then
//! are counted as lost), until `path` is a file the handler may open again.
//!
//! Errors are returned, never printed. After a failed write (disk full, file removed,
//! permission changed) the buffered records are dropped and counted ([`File::lost`]), and
//! the next write-out opens `path` again. When the file may end with a torn line (checked
//! from its last byte, or remembered from the failed write when it cannot be read), the
//! next write starts with `\n`, so every line written after recovery is whole. The same
//! check runs when an existing file is opened for appending.
//!
//! [`RotatingFile`](super::RotatingFile) is a `File` plus a rotation policy: it uses the
//! crate-internal methods below to measure, truncate and reopen the file. The rules for
//! opening are in the `open` module.
//!
//! Its keys ([`FileConfig`]), their defaults, check and schema are here, with its
//! registration under `type = "file"`.

use std::fs;
use std::io::{self, IsTerminal, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use ko_log_config::node::Params;
use ko_log_config::schema::{boolean, describe, duration, table, with};
use ko_log_config::values::{DurationDe, FileMode, NonEmpty};
use ko_log_config::ConfigError;
use serde::Deserialize;
use serde_json::{json, Value};

use super::plumbing::buffer::Lines;
use super::plumbing::open::{self, Shape};
use super::{Handle, Handler};
use crate::{error::Error, event::Event};

/// Whether an existing file is kept or emptied when opened (key `append`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OpenMode {
    /// `append = true` (default): new lines go after the existing content.
    #[default]
    Append,
    /// `append = false`: the file is emptied when the handler opens it.
    Truncate,
}

/// Keys of a `file` handler (and of a `rotating_file`'s file).
#[derive(Debug, Clone, PartialEq)]
pub struct FileConfig {
    /// The file to write (key `path`, required; relative to the working directory).
    pub path: PathBuf,
    /// Keep or empty existing content (key `append`, default `true`).
    pub mode: OpenMode,
    /// Create missing parent directories (key `create_dirs`, default `true`).
    pub create_dirs: bool,
    /// Unix permissions of a file ko-log creates (key `file_mode`, default `0o640`;
    /// an integer or an octal string such as `"0640"`).
    pub file_mode: u32,
    /// How often the handler checks that `path` still names the file it has open, and
    /// reopens it when an outside tool (logrotate) moved or deleted it
    /// (key `reopen_check`, default `"1s"`; `"0s"` disables the check).
    pub reopen_check: Duration,
}

impl FileConfig {
    /// Default `file_mode`.
    pub const FILE_MODE: u32 = 0o640;
    /// Default `reopen_check`.
    pub const REOPEN_CHECK: Duration = Duration::from_secs(1);

    /// `path` with every other key at its default.
    pub fn new(path: impl Into<PathBuf>) -> FileConfig {
        FileConfig {
            path: path.into(),
            mode: OpenMode::Append,
            create_dirs: true,
            file_mode: FileConfig::FILE_MODE,
            reopen_check: FileConfig::REOPEN_CHECK,
        }
    }

    /// The keys of a `[handlers.NAME]` table with `type = "file"`, each mistake located
    /// at its key.
    pub fn from_params(params: &Params) -> Result<FileConfig, ConfigError> {
        let raw: RawFile = params.deserialize()?;
        FileConfig::of(
            params,
            raw.path,
            raw.append,
            raw.create_dirs,
            raw.file_mode,
            raw.reopen_check,
        )
    }

    /// The config of these keys as read, with their defaults; an empty `path` refused.
    pub(super) fn of(
        params: &Params,
        path: NonEmpty,
        append: Option<bool>,
        create_dirs: Option<bool>,
        file_mode: Option<FileMode>,
        reopen_check: Option<DurationDe>,
    ) -> Result<FileConfig, ConfigError> {
        if path.0.is_empty() {
            return Err(params.error_at("path", "the path must not be empty"));
        }
        Ok(FileConfig {
            path: path.into_path(),
            mode: if append.unwrap_or(true) {
                OpenMode::Append
            } else {
                OpenMode::Truncate
            },
            create_dirs: create_dirs.unwrap_or(true),
            file_mode: file_mode.map_or(FileConfig::FILE_MODE, |m| m.0),
            reopen_check: reopen_check.map_or(FileConfig::REOPEN_CHECK, |d| d.0),
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a handler table")]
struct RawFile {
    path: NonEmpty,
    append: Option<bool>,
    create_dirs: Option<bool>,
    file_mode: Option<FileMode>,
    reopen_check: Option<DurationDe>,
}

/// The schema of the keys of `file`, which `rotating_file` also takes (with their
/// defaults, which `ko-log check` shows).
pub(super) fn keys() -> Vec<(&'static str, Value)> {
    vec![
        ("path", describe(json!({"type": "string", "minLength": 1}), "The file to write (relative to the working directory); not empty.")),
        ("append", describe(with(boolean(), json!({"default": true})), "Keep existing content (default true; false: empty the file when the handler opens it).")),
        ("create_dirs", describe(with(boolean(), json!({"default": true})), "Create missing parent directories (default true).")),
        ("file_mode", describe(json!({"anyOf": [{"type": "integer", "minimum": 0, "maximum": 511}, {"type": "string", "pattern": "^\\s*(0o)?[0-7]+\\s*$"}, {"$ref": "#/$defs/interpolated"}], "default": "0640"}), "Unix permissions of a file ko-log creates, at most 0o777: an octal string (\"0640\") or an integer (default \"0640\").")),
        ("reopen_check", describe(with(duration(), json!({"default": "1s"})), "How often to check that path still names the open file, reopening it after an outside rotation (default \"1s\"; \"0s\" disables).")),
    ]
}

fn schema() -> Value {
    describe(
        table(&keys(), &["path"]),
        "Append (or truncate) to one file.",
    )
}

fn open(config: &FileConfig, _: &Handle) -> Result<File, Error> {
    File::new(config)
}

crate::registry::register_handler!("file", FileConfig, open, schema, RawFile);

/// Appends rendered lines to a file, buffered, reopening the path when it is moved.
#[derive(Debug)]
pub struct File {
    path: PathBuf,
    /// The handler name in error codes (`File`, `RotatingFile`).
    handler: &'static str,
    create_dirs: bool,
    file_mode: u32,
    reopen_check: Duration,
    /// The open file; `None` after a failed write, until the next write-out reopens it.
    out: Option<fs::File>,
    /// Device and inode of `out`, to notice that `path` now names another file.
    identity: Option<(u64, u64)>,
    /// What `path` was at init: what a reopen may open.
    shape: Shape,
    /// Bytes in the file: its size when opened (or last checked) plus what this handler
    /// wrote since.
    size: u64,
    /// Last modification of a non-empty file when it was opened.
    modified: Option<SystemTime>,
    terminal: bool,
    lines: Lines,
    last_check: Instant,
    lost: u64,
}

impl File {
    /// Opens `config.path` for appending (emptying it first with `append = false` when it
    /// is a regular file), creating missing parent directories when `create_dirs` is set
    /// and giving a new file the permissions `file_mode` (on Unix, less the process umask).
    /// Never waits: a FIFO with no reader is refused.
    ///
    /// Fails with an [`Error::Io`] whose `op` is `open` when the file cannot be opened.
    pub fn new(config: &FileConfig) -> Result<File, Error> {
        // What `path` is decides what a reopen may open; learnt at the first open.
        let link = fs::symlink_metadata(&config.path).is_ok_and(|m| m.file_type().is_symlink());
        let shape = Shape {
            link,
            regular: false,
        };
        let mut file = File::closed(config, "File", shape);
        let truncate = config.mode == OpenMode::Truncate;
        let opened = file.create_parents().and_then(|()| {
            let out = open::first_open(&file.path, file.file_mode)?;
            file.shape.regular = out.metadata()?.is_file();
            file.adopt(out, truncate)
        });
        match opened {
            Ok(out) => file.out = Some(out),
            Err(e) => return Err(Error::io("File", "open", &config.path, e)),
        }
        Ok(file)
    }

    /// Opens `config.path`, which must be a regular file or missing (created), for a
    /// [`RotatingFile`](super::RotatingFile): a reopen opens only a regular file, never
    /// through a symlink.
    pub(crate) fn open_regular(config: &FileConfig, handler: &'static str) -> Result<File, Error> {
        let mut file = File::closed(config, handler, Shape::ROTATING);
        let truncate = config.mode == OpenMode::Truncate;
        match file.open_path(truncate) {
            Ok(out) => file.out = Some(out),
            Err(e) => return Err(Error::io(handler, "open", &config.path, e)),
        }
        Ok(file)
    }

    /// The handler for `config`, nothing open yet.
    fn closed(config: &FileConfig, handler: &'static str, shape: Shape) -> File {
        File {
            path: config.path.clone(),
            handler,
            create_dirs: config.create_dirs,
            file_mode: config.file_mode,
            reopen_check: config.reopen_check,
            out: None,
            identity: None,
            shape,
            size: 0,
            modified: None,
            terminal: false,
            lines: Lines::new(),
            last_check: Instant::now(),
            lost: 0,
        }
    }

    /// The path this handler writes to.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Buffers one line, writing the buffer out when it is full.
    pub(crate) fn push(&mut self, line: &[u8]) -> Result<(), Error> {
        self.lines.push(line);
        if self.lines.is_full() {
            self.write_out()
        } else {
            Ok(())
        }
    }

    /// The file's size as this handler knows it, buffered bytes included.
    pub(crate) fn len(&self) -> u64 {
        self.size.saturating_add(self.lines.len() as u64)
    }

    /// When a non-empty file was last modified before this handler opened it.
    pub(crate) fn modified(&self) -> Option<SystemTime> {
        self.modified
    }

    /// Writes the buffer to the file, first reopening `path` when the last write failed or
    /// when `path` no longer names the open file (checked at most once per `reopen_check`).
    pub(crate) fn write_out(&mut self) -> Result<(), Error> {
        if self.lines.is_empty() {
            return Ok(());
        }
        let current = self.out.take().filter(|_| !self.moved());
        let mut out = match current {
            Some(out) => out,
            None => match self.open_path(false) {
                Ok(out) => out,
                Err(e) => {
                    self.lost += self.lines.discard();
                    return Err(Error::io(self.handler, "reopen", &self.path, e));
                }
            },
        };
        match self.lines.write_to(&mut out) {
            Ok(written) => {
                self.size = self.size.saturating_add(written);
                self.out = Some(out);
                Ok(())
            }
            Err(failure) => {
                // `out` is dropped: the next write-out opens `path` again.
                self.lost += failure.lost;
                Err(Error::io(self.handler, "write", &self.path, failure.error))
            }
        }
    }

    /// Opens `path` again (after a rotation renamed it), creating it.
    pub(crate) fn reopen(&mut self) -> io::Result<()> {
        self.out = None;
        self.out = Some(self.open_path(false)?);
        Ok(())
    }

    /// Empties the file in place (rotation with no backups). The buffer must have been
    /// written out first.
    pub(crate) fn truncate(&mut self) -> io::Result<()> {
        let out = match self.out.take() {
            Some(out) => out,
            None => self.open_path(false)?,
        };
        out.set_len(0)?;
        self.out = Some(out);
        self.size = 0;
        self.lines.mid_line = false;
        Ok(())
    }

    /// Whether it is time to check `path` and it no longer names the open file.
    fn moved(&mut self) -> bool {
        if self.reopen_check.is_zero() || self.last_check.elapsed() < self.reopen_check {
            return false;
        }
        self.last_check = Instant::now();
        match fs::metadata(&self.path) {
            Ok(meta) if identity(&meta) == self.identity => {
                // Still our file; learn its real size (another writer, `copytruncate`).
                self.size = meta.len();
                false
            }
            Ok(_) => true,
            // Permission to look was taken away: whether `path` still names the open file
            // cannot be told, so keep writing to it. Any other failure (no such file, a
            // directory on the way replaced by a file, a symlink loop) means `path` does not
            // name it any more: lines written to it would reach nobody.
            Err(e) => e.kind() != io::ErrorKind::PermissionDenied,
        }
    }

    /// Opens `path` again, creating it (and its parents when asked), allowing only what
    /// `path` was at init, and records what the handler needs to know about it.
    fn open_path(&mut self, truncate: bool) -> io::Result<fs::File> {
        self.create_parents()?;
        let out = open::reopen(&self.path, self.file_mode, self.shape)?;
        self.adopt(out, truncate)
    }

    fn create_parents(&self) -> io::Result<()> {
        if self.create_dirs {
            open::create_parents(&self.path)?;
        }
        Ok(())
    }

    /// Takes `out` as the open file: empties it with `truncate` (only a regular file is
    /// ever emptied) and learns its identity, size, age and last byte.
    fn adopt(&mut self, out: fs::File, truncate: bool) -> io::Result<fs::File> {
        let mut meta = out.metadata()?;
        if truncate && meta.is_file() {
            out.set_len(0)?;
            meta = out.metadata()?;
        }
        self.identity = identity(&meta);
        self.size = meta.len();
        self.modified = meta.modified().ok().filter(|_| meta.len() > 0);
        self.terminal = out.is_terminal();
        self.last_check = Instant::now();
        if meta.is_file() {
            if let Ok(last) = last_byte(&self.path, meta.len(), self.identity) {
                self.lines.mid_line = last.is_some_and(|b| b != b'\n');
            }
        }
        Ok(out)
    }
}

impl Handler for File {
    /// Records dropped because a write (or the reopen before it) failed: the lines that
    /// were buffered at that moment. Lines written before and after are unaffected.
    fn lost(&self) -> u64 {
        self.lost
    }

    fn write(&mut self, line: &[u8], _event: &Event) -> Result<(), Error> {
        self.push(line)
    }

    fn flush(&mut self) -> Result<(), Error> {
        self.write_out()
    }

    fn is_terminal(&self) -> bool {
        self.terminal
    }
}

impl Drop for File {
    fn drop(&mut self) {
        // The dispatcher flushes before dropping; this only saves lines of a handler
        // dropped without a flush. An error here has nobody to go to.
        let _ = self.write_out();
    }
}

/// Device and inode of a file (`None` where the platform has no such notion).
pub(super) fn identity(meta: &fs::Metadata) -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Some((meta.dev(), meta.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        None
    }
}

/// The last byte of the regular file at `path` of `len` bytes (`None` when empty), when
/// `path` still names the file of `expected` identity (else an error: nothing is known).
/// The open does not wait (a FIFO put there meanwhile).
fn last_byte(path: &Path, len: u64, expected: Option<(u64, u64)>) -> io::Result<Option<u8>> {
    if len == 0 {
        return Ok(None);
    }
    let mut file = open::open_to_read(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() || identity(&meta) != expected {
        return Err(io::Error::other("the path names another file now"));
    }
    file.seek(SeekFrom::End(-1))?;
    let mut byte = [0u8; 1];
    file.read_exact(&mut byte)?;
    let [last] = byte;
    Ok(Some(last))
}
