//! Reading the log files back: every record id is checked, so a lost or duplicated line
//! is counted, not guessed from a line count.
//!
//! A record line is any line containing `request <id> `; other lines (a backend's own
//! drop report, a line cut short at the snapshot) are counted apart. Only the bytes
//! present when the backend's shutdown returned are read (see [`snapshot`]).

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// Every regular file under `dir` with its size now.
pub fn snapshot(dir: &Path) -> io::Result<Vec<(PathBuf, u64)>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let entry = entry?;
            let meta = entry.metadata()?;
            if meta.is_dir() {
                stack.push(entry.path());
            } else if meta.is_file() {
                out.push((entry.path(), meta.len()));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// What was found on disk.
#[derive(Debug, Default)]
pub struct Found {
    /// Distinct ids in `0..expected`.
    pub unique: u64,
    /// Extra copies of ids already seen.
    pub dup: u64,
    /// Lines that are no benchmark record.
    pub other: u64,
    pub bytes: u64,
    /// The first record line, to show each backend's format.
    pub sample_line: String,
}

/// The id after the first `request ` in `line`.
fn record_id(line: &[u8]) -> Option<u64> {
    const PAT: &[u8] = b"request ";
    let mut from = 0;
    while let Some(p) = line[from..].iter().position(|&b| b == b'r') {
        let at = from + p;
        if line[at..].starts_with(PAT) {
            let digits = &line[at + PAT.len()..];
            let end = digits
                .iter()
                .position(|b| !b.is_ascii_digit())
                .unwrap_or(digits.len());
            if end == 0 || end > 19 {
                return None;
            }
            return Some(
                digits[..end]
                    .iter()
                    .fold(0, |n, d| n * 10 + u64::from(d - b'0')),
            );
        }
        from = at + 1;
    }
    None
}

/// Reads the first `size` bytes of each file and checks the ids against `0..expected`.
pub fn scan(files: &[(PathBuf, u64)], expected: u64) -> io::Result<Found> {
    let mut seen = vec![0u8; expected as usize];
    let mut found = Found::default();
    let mut line = Vec::with_capacity(256);
    for (path, size) in files {
        found.bytes += size;
        let mut reader = BufReader::with_capacity(1 << 20, File::open(path)?.take(*size));
        loop {
            line.clear();
            if reader.read_until(b'\n', &mut line)? == 0 {
                break;
            }
            match record_id(&line) {
                Some(id) if line.ends_with(b"\n") && id < expected => {
                    let count = &mut seen[id as usize];
                    if *count == 0 {
                        found.unique += 1;
                    } else {
                        found.dup += 1;
                    }
                    *count = count.saturating_add(1);
                    if found.sample_line.is_empty() {
                        found.sample_line = String::from_utf8_lossy(&line).trim_end().to_owned();
                    }
                }
                _ => found.other += 1,
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::record_id;

    #[test]
    fn ids() {
        assert_eq!(
            record_id(b"2026-01-01 INFO [bench] request 42 handled for user bob"),
            Some(42)
        );
        assert_eq!(record_id(b"dropped 3 messages, retry request x"), None);
        // inqjet (bridge and own macro) and ticklog, as they write the line.
        assert_eq!(
            record_id(
                b"2026-12-07T19:43:38.427984458Z [INFO] bench:52 request 0 handled for user alice"
            ),
            Some(0)
        );
        assert_eq!(
            record_id(b"2026-12-07T19:43:38.493470573Z INFO src/main.rs:88 request 2500 handled for user erin"),
            Some(2500)
        );
    }
}
