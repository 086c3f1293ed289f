//! `type = "file"`: append (or truncate) to one path.

use std::path::PathBuf;
use std::time::Duration;

/// Whether an existing file is kept or emptied when opened (key `append`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OpenMode {
    /// `append = true` (default): new lines go after the existing content.
    #[default]
    Append,
    /// `append = false`: the file is emptied when the handler opens it.
    Truncate,
}

/// Keys of a `file` handler.
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
