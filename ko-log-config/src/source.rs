//! The text of a configuration and the file it came from, with the arithmetic that turns
//! byte offsets into the 1-based lines and character columns every error reports.

use std::path::PathBuf;

use crate::Location;

/// A position in the text: 1-based line and character column, plus the byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Mark {
    pub line: usize,
    pub column: usize,
    pub offset: usize,
}

/// A configuration text and where it came from.
#[derive(Debug)]
pub(crate) struct Source {
    file: Option<PathBuf>,
    text: String,
    /// Byte offset of the start of each line.
    line_starts: Vec<usize>,
    /// `chars_at[i]`: how many characters start before byte `i * BLOCK`, so a column is
    /// found by scanning at most one block, not the whole line (a minified JSON file is
    /// one line: scanning from its start for every key would be quadratic).
    chars_at: Vec<usize>,
}

/// Bytes between two entries of `Source::chars_at`.
const BLOCK: usize = 256;

/// Whether `byte` starts a character (is not a UTF-8 continuation byte).
fn starts_char(byte: u8) -> bool {
    byte & 0xc0 != 0x80
}

impl Source {
    pub fn new(file: Option<PathBuf>, text: &str) -> Source {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        let mut chars_at = Vec::with_capacity(text.len() / BLOCK + 1);
        let mut chars = 0;
        for block in text.as_bytes().chunks(BLOCK) {
            chars_at.push(chars);
            chars += block.iter().filter(|&&b| starts_char(b)).count();
        }
        chars_at.push(chars);
        Source {
            file,
            text: text.to_owned(),
            line_starts,
            chars_at,
        }
    }

    /// How many characters start before byte `offset` (at most `BLOCK` bytes scanned).
    fn chars_before(&self, offset: usize) -> usize {
        let block = offset / BLOCK;
        let base = self.chars_at.get(block).copied().unwrap_or(0);
        let bytes = self.text.as_bytes();
        base + bytes
            .get(block * BLOCK..offset)
            .map_or(0, |b| b.iter().filter(|&&b| starts_char(b)).count())
    }

    /// How many characters start in `start..end`: counted directly on a short span,
    /// through `chars_at` on a long one.
    fn chars_between(&self, start: usize, end: usize) -> usize {
        if end - start <= 2 * BLOCK {
            let bytes = self.text.as_bytes().get(start..end).unwrap_or_default();
            bytes.iter().filter(|&&b| starts_char(b)).count()
        } else {
            self.chars_before(end) - self.chars_before(start)
        }
    }

    /// The byte offset of the end of 1-based `line` (its `\n`, or the end of the text).
    fn line_end(&self, line: usize) -> usize {
        self.line_starts
            .get(line)
            .map_or(self.text.len(), |next| next - 1)
    }

    pub fn file(&self) -> Option<&PathBuf> {
        self.file.as_ref()
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// The mark of a byte offset (clamped to the text and moved back to a char boundary).
    pub fn mark_at(&self, offset: usize) -> Mark {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line_index = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let start = self.line_starts.get(line_index).copied().unwrap_or(0);
        let column = self.chars_between(start, offset) + 1;
        Mark {
            line: line_index + 1,
            column,
            offset,
        }
    }

    /// The mark of a 1-based line and 0-based character column (as YAML reports them).
    pub fn mark_at_line_col(&self, line: usize, col0: usize) -> Mark {
        let line = line.max(1);
        let Some(&start) = self.line_starts.get(line - 1) else {
            return self.mark_at(self.text.len());
        };
        let end = self.line_end(line);
        // Scan from the line's start, or on a long line from the last block that starts
        // at or before the wanted character.
        let (mut at, mut chars, target) = if col0 <= 2 * BLOCK {
            (start, 0, col0)
        } else {
            let target = self.chars_before(start) + col0;
            let block = self
                .chars_at
                .partition_point(|&c| c <= target)
                .saturating_sub(1);
            let at = start.max(block * BLOCK);
            (at, self.chars_before(at), target)
        };
        let bytes = self.text.as_bytes();
        while at < end {
            let starts = bytes.get(at).is_some_and(|&b| starts_char(b));
            if starts && chars == target {
                return Mark {
                    line,
                    column: col0 + 1,
                    offset: at,
                };
            }
            chars += usize::from(starts);
            at += 1;
        }
        self.mark_at(end)
    }

    /// The text of a 1-based line, without its line break.
    pub fn line_text(&self, line: usize) -> Option<&str> {
        let start = *self.line_starts.get(line.checked_sub(1)?)?;
        let rest = self.text.get(start..)?;
        let line = rest.split('\n').next().unwrap_or("");
        Some(line.strip_suffix('\r').unwrap_or(line))
    }

    pub fn location(&self, mark: Mark) -> Location {
        Location {
            file: self.file.clone(),
            line: mark.line,
            column: mark.column,
        }
    }

    /// The mark of the character `within` bytes into a string value whose node starts at
    /// `node`, when the text there spells the value literally (plain or after one quote);
    /// otherwise `node` itself (escapes or interpolation moved things).
    pub fn mark_within(&self, node: Mark, value: &str, within: usize) -> Mark {
        let Some(at) = self.text.get(node.offset..) else {
            return node;
        };
        let Some(prefix) = value.get(..within).filter(|p| !p.contains('\n')) else {
            return node;
        };
        let skip = if at.starts_with(value) {
            0
        } else if (at.starts_with('"') || at.starts_with('\''))
            && at.get(1..).is_some_and(|s| s.starts_with(value))
        {
            1
        } else {
            return node;
        };
        let offset = node.offset + skip + prefix.len();
        // A literal spelling never spans lines here, so the column moves with the chars.
        Mark {
            line: node.line,
            column: node.column + skip + prefix.chars().count(),
            offset,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks() {
        let s = Source::new(None, "ab\né = 1\n");
        assert_eq!(
            s.mark_at(0),
            Mark {
                line: 1,
                column: 1,
                offset: 0
            }
        );
        assert_eq!(s.mark_at(3).line, 2);
        assert_eq!(s.mark_at(6).column, 3);
        assert_eq!(s.mark_at(4).offset, 3); // inside é: moved back
        assert_eq!(s.mark_at(999).line, 3);
        assert_eq!(s.mark_at_line_col(2, 2).offset, 6);
        assert_eq!(s.line_text(2), Some("é = 1"));
        assert_eq!(s.line_text(9), None);
    }

    /// Columns on lines longer than a block, with multi-byte characters across block
    /// boundaries, match counting the characters from the start of the line.
    #[test]
    fn marks_on_long_lines() {
        let text = format!("x\n{}\r\nab", "aé€😀b".repeat(300));
        let s = Source::new(None, &text);
        let line_two = text.find('\n').unwrap() + 1;
        for (offset, _) in text.char_indices() {
            let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
            let column = text[line_start..offset].chars().count() + 1;
            let mark = s.mark_at(offset);
            assert_eq!((mark.column, mark.offset), (column, offset), "{offset}");
            if line_start == line_two {
                assert_eq!(s.mark_at_line_col(2, column - 1), mark);
            }
        }
        // Past the end of a line: its end (the `\n`, after the `\r`).
        let end = text.rfind('\n').unwrap();
        assert_eq!(s.mark_at_line_col(2, 999_999).offset, end);
        assert_eq!(s.mark_at_line_col(3, 2).offset, text.len());
        assert_eq!(s.mark_at_line_col(9, 0).offset, text.len());
        assert_eq!(s.mark_at_line_col(0, 1), s.mark_at_line_col(1, 1));
    }
}
