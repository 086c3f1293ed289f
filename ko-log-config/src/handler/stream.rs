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

/// Keys of a `stream` handler.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamConfig {
    /// Which stream (key `stream`, default `stderr`).
    pub stream: Stream,
}
