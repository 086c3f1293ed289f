//! Value syntaxes of ko-log's own handlers' keys (`rotation`, `timezone`, `compress`,
//! `stream`, `journal_prefix`), read by [`crate::values`] and shared with the renderers
//! (`timezone`). The handlers themselves, their params and defaults, are the runtime's.

/// Time-based rotation boundary (key `rotation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
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
#[non_exhaustive]
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

/// Which standard stream (key `stream`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Stream {
    /// `stdout`.
    Stdout,
    /// `stderr` (default).
    #[default]
    Stderr,
}

/// Whether lines start with an sd-daemon level prefix (`<3>` for error, `<4>` warn, `<6>`
/// info, `<7>` debug and trace), which journald reads as the line's priority when the
/// stream is connected to it (key `journal_prefix`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum JournalPrefix {
    /// `auto`: when the stream is the journal, i.e. `$JOURNAL_STREAM` (set by systemd for
    /// a service whose output goes to the journal) names the stream's device and inode.
    Auto,
    /// `always`.
    Always,
    /// `never` (default).
    #[default]
    Never,
}
