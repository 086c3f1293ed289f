//! `type = "rotating_file"`: a file rotated by size, by time, or both.

use std::time::Duration;

use crate::handler::FileConfig;

/// Time-based rotation boundary (key `rotation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Rotation {
    /// `never` (default): rotate by size only.
    #[default]
    Never,
    /// `minutely`: at each minute boundary.
    Minutely,
    /// `hourly`: at each hour boundary.
    Hourly,
    /// `daily`: at each midnight.
    Daily,
}

/// Which clock time boundaries (and rendered times) follow (key `timezone`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Timezone {
    /// `local` (default): the local UTC offset captured at init.
    #[default]
    Local,
    /// `utc`.
    Utc,
}

/// How rotated files are compressed (key `compress`).
///
/// A compressed backup keeps its number and gains the codec's extension: `path.1.gz`,
/// `path.2.zst`. Compression runs on a thread of the handler's own, never on the
/// dispatcher.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Compress {
    /// `none` (default): backups stay plain text.
    #[default]
    None,
    /// `gzip`: `path.N.gz` (ko-log's `gzip` feature, on by default).
    Gzip,
    /// `zstd`: `path.N.zst` (ko-log's `zstd` feature, off by default; refused at init
    /// without it).
    Zstd,
}

impl Compress {
    /// The name written in the config (`none`, `gzip`, `zstd`).
    pub fn as_str(self) -> &'static str {
        match self {
            Compress::None => "none",
            Compress::Gzip => "gzip",
            Compress::Zstd => "zstd",
        }
    }
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

/// Default `reopen_check` interval for file handlers.
pub(crate) const DEFAULT_REOPEN_CHECK: Duration = Duration::from_secs(1);
