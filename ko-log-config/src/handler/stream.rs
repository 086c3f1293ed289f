//! `type = "stream"`: the process's stdout or stderr.

/// Which standard stream (key `stream`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
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

/// Keys of a `stream` handler.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StreamConfig {
    /// Which stream (key `stream`, default `stderr`).
    pub stream: Stream,
    /// sd-daemon level prefixes (key `journal_prefix`, default `never`).
    pub journal_prefix: JournalPrefix,
}
