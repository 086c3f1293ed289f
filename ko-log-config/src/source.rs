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
}

impl Source {
    pub fn new(file: Option<PathBuf>, text: &str) -> Source {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Source {
            file,
            text: text.to_owned(),
            line_starts,
        }
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
        let column = self
            .text
            .get(start..offset)
            .map_or(0, |s| s.chars().count())
            + 1;
        Mark {
            line: line_index + 1,
            column,
            offset,
        }
    }

    /// The mark of a 1-based line and 0-based character column (as YAML reports them).
    pub fn mark_at_line_col(&self, line: usize, col0: usize) -> Mark {
        let Some(&start) = self.line_starts.get(line.saturating_sub(1)) else {
            return self.mark_at(self.text.len());
        };
        let rest = self.text.get(start..).unwrap_or("");
        let end_of_line = rest.find('\n').unwrap_or(rest.len());
        let within = rest
            .get(..end_of_line)
            .and_then(|l| l.char_indices().nth(col0).map(|(i, _)| i))
            .unwrap_or(end_of_line);
        self.mark_at(start + within)
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
}
