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

/// Keys of a `rotating_file` handler: those of `file` plus the rotation policy.
///
/// The live file is always `path`; rotated files are `path.1` (newest) … `path.N`.
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
}

/// Default `reopen_check` interval for file handlers.
pub(crate) const DEFAULT_REOPEN_CHECK: Duration = Duration::from_secs(1);
