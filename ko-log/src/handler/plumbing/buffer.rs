//! `Lines`: the in-memory buffer shared by the file and stream handlers.
//!
//! Handlers append whole rendered lines and write the buffer out when it is full or on
//! flush. Writing out counts exactly how many records did not reach the destination when
//! the operating system refuses a write, and whether the destination was left in the middle
//! of a line, so the handler can start its next write with a `\n` and keep every later line
//! whole.

use std::fmt;
use std::io::{self, Write};

/// Size at which a buffer is written out (and to which an oversized one shrinks back).
pub(crate) const CAPACITY: usize = 64 * 1024;

/// Whole lines waiting to be written, and whether the destination was left mid-line.
#[derive(Default)]
pub(crate) struct Lines {
    bytes: Vec<u8>,
    records: u64,
    /// The destination may end in the middle of a line (a write failed half-way): the next
    /// write-out starts with `\n`. Handlers that can read the destination back (a regular
    /// file) set it from the file's last byte when they reopen it.
    pub(crate) mid_line: bool,
}

/// A write-out the destination refused.
#[derive(Debug)]
pub(crate) struct WriteFailure {
    /// The operating system's error.
    pub(crate) error: io::Error,
    /// Records of the buffer that were not (or not completely) written.
    pub(crate) lost: u64,
}

impl fmt::Debug for Lines {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lines")
            .field("bytes", &self.bytes.len())
            .field("records", &self.records)
            .field("mid_line", &self.mid_line)
            .finish()
    }
}

impl Lines {
    /// An empty buffer with room for [`CAPACITY`] bytes.
    pub(crate) fn new() -> Lines {
        Lines {
            bytes: Vec::with_capacity(CAPACITY),
            ..Lines::default()
        }
    }

    /// Appends one whole line (ending with `\n`).
    pub(crate) fn push(&mut self, line: &[u8]) {
        self.bytes.extend_from_slice(line);
        self.records += 1;
    }

    /// Bytes waiting.
    pub(crate) fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether nothing is waiting.
    pub(crate) fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Whether the buffer should be written out now.
    pub(crate) fn is_full(&self) -> bool {
        self.bytes.len() >= CAPACITY
    }

    /// Forgets the waiting lines, returning how many records they were.
    pub(crate) fn discard(&mut self) -> u64 {
        self.clear();
        std::mem::take(&mut self.records)
    }

    /// Writes every waiting byte to `out` (preceded by `\n` when the destination was left
    /// mid-line) and empties the buffer, whatever the outcome. Returns the bytes written.
    pub(crate) fn write_to(&mut self, out: &mut impl Write) -> Result<u64, WriteFailure> {
        let result = self.write_all_to(out);
        self.discard();
        result
    }

    fn write_all_to(&mut self, out: &mut impl Write) -> Result<u64, WriteFailure> {
        let mut newline = 0;
        if self.mid_line {
            if let Err(error) = out.write_all(b"\n") {
                let lost = self.records;
                return Err(WriteFailure { error, lost });
            }
            self.mid_line = false;
            newline = 1;
        }
        let mut done = 0;
        while let Some(rest) = self.bytes.get(done..).filter(|rest| !rest.is_empty()) {
            let error = match out.write(rest) {
                Ok(0) => io::Error::from(io::ErrorKind::WriteZero),
                Ok(n) => {
                    done += n;
                    continue;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => e,
            };
            let written = self.bytes.get(..done).unwrap_or_default();
            let whole = written.iter().filter(|&&b| b == b'\n').count() as u64;
            self.mid_line = written.last().is_some_and(|&b| b != b'\n');
            let lost = self.records.saturating_sub(whole);
            return Err(WriteFailure { error, lost });
        }
        Ok(newline + done as u64)
    }

    fn clear(&mut self) {
        self.bytes.clear();
        if self.bytes.capacity() > 2 * CAPACITY {
            self.bytes.shrink_to(CAPACITY);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Accepts `room` bytes, then fails with ENOSPC-like errors.
    struct Full {
        data: Vec<u8>,
        room: usize,
    }

    impl Write for Full {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.room == 0 {
                return Err(io::Error::from(io::ErrorKind::StorageFull));
            }
            let n = buf.len().min(self.room).min(3);
            self.data.extend_from_slice(&buf[..n]);
            self.room -= n;
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn writes_everything_in_chunks() {
        let mut lines = Lines::new();
        lines.push(b"one\n");
        lines.push(b"two\n");
        let mut out = Full {
            data: Vec::new(),
            room: usize::MAX,
        };
        assert_eq!(lines.write_to(&mut out).unwrap(), 8);
        assert_eq!(out.data, b"one\ntwo\n");
        assert!(lines.is_empty());
        assert_eq!(lines.discard(), 0);
    }

    #[test]
    fn counts_lost_records_and_a_torn_line() {
        let mut lines = Lines::new();
        lines.push(b"one\n");
        lines.push(b"two\n");
        lines.push(b"three\n");
        let mut out = Full {
            data: Vec::new(),
            room: 6,
        };
        let failure = lines.write_to(&mut out).unwrap_err();
        assert_eq!(out.data, b"one\ntw");
        assert_eq!(failure.lost, 2);
        assert!(lines.mid_line);
        assert_eq!(failure.error.kind(), io::ErrorKind::StorageFull);
        assert!(lines.is_empty());

        // Room again: the next write-out first ends the torn line.
        out.room = usize::MAX;
        lines.push(b"four\n");
        assert_eq!(lines.write_to(&mut out).unwrap(), 6);
        assert_eq!(out.data, b"one\ntw\nfour\n");
        assert!(!lines.mid_line);
    }

    #[test]
    fn a_failure_at_a_line_end_is_not_mid_line() {
        let mut lines = Lines::new();
        lines.push(b"ab\n");
        lines.push(b"cd\n");
        let mut out = Full {
            data: Vec::new(),
            room: 3,
        };
        let failure = lines.write_to(&mut out).unwrap_err();
        assert_eq!(failure.lost, 1);
        assert!(!lines.mid_line);
    }

    #[test]
    fn discard_counts_records() {
        let mut lines = Lines::new();
        lines.push(b"a\n");
        lines.push(b"b\n");
        assert_eq!(lines.len(), 4);
        assert_eq!(lines.discard(), 2);
        assert!(lines.is_empty());
    }

    #[test]
    fn an_oversized_buffer_shrinks_back() {
        let mut lines = Lines::new();
        lines.push(&vec![b'x'; 4 * CAPACITY]);
        assert!(lines.is_full());
        lines.discard();
        assert!(lines.bytes.capacity() <= 2 * CAPACITY);
    }
}
