//! What an error shows of the user's text: control characters escaped, long parts cut.
//!
//! A [`ConfigError`](crate::ConfigError) quotes the config (a key, a value, the source line)
//! and is printed to a terminal, so it must neither act on the terminal nor flood it:
//!
//! - **Escaped**: C0 and C1 control characters, DEL, U+2028/U+2029 (line and paragraph
//!   separators) and the invisible characters that reorder or hide text (U+061C,
//!   U+200B–U+200F, U+202A–U+202E, U+2060–U+2069, U+FEFF) are written as in a Rust
//!   string literal: `\n`, `\r`, `\t`, `\0`, `\u{1b}`, `\u{202e}`. An `ESC[2J` in a value
//!   shows as `\u{1b}[2J`. The source line of the excerpt keeps its tabs, so that the
//!   caret line below it (which copies them) stays aligned.
//! - **Cut**: the excerpt shows at most [`EXCERPT_WIDTH`] characters of the line, a
//!   window around the column with `…` where the line goes on; a backtick-quoted part of
//!   a message (`` unknown key `…` ``) keeps at most [`QUOTED_WIDTH`] characters, and a
//!   message, hint or key path at most [`TEXT_WIDTH`], cut in the middle with `…`.

/// Most characters of the source line an excerpt shows (ellipses included).
pub(crate) const EXCERPT_WIDTH: usize = 120;

/// Most characters of one backtick-quoted part of a message.
pub(crate) const QUOTED_WIDTH: usize = 120;

/// Most characters of a message, a hint or a key path.
pub(crate) const TEXT_WIDTH: usize = 512;

/// Where text is cut.
const ELLIPSIS: char = '…';

/// Whether `c` is written escaped (see the module doc).
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{2069}'
                | '\u{feff}'
        )
}

/// How many characters `c` takes once escaped.
fn width(c: char, keep_tabs: bool) -> usize {
    if (keep_tabs && c == '\t') || !needs_escape(c) {
        1
    } else {
        c.escape_debug().count()
    }
}

/// Appends `c`, escaped if it needs to be.
fn push(out: &mut String, c: char, keep_tabs: bool) {
    if (keep_tabs && c == '\t') || !needs_escape(c) {
        out.push(c);
    } else {
        out.extend(c.escape_debug());
    }
}

/// `chars` escaped; when that is wider than `max`, its start and end around `…`
/// (two thirds of the room for the start).
fn elide(chars: &[char], max: usize) -> Vec<char> {
    let total: usize = chars.iter().map(|&c| width(c, false)).sum();
    if total <= max {
        return chars.to_vec();
    }
    let room = max.saturating_sub(1);
    let mut head = 0;
    let mut used = 0;
    while let Some(&c) = chars.get(head) {
        if used + width(c, false) > room * 2 / 3 {
            break;
        }
        used += width(c, false);
        head += 1;
    }
    let mut tail = chars.len();
    while tail > head {
        let w = width(chars[tail - 1], false);
        if used + w > room {
            break;
        }
        used += w;
        tail -= 1;
    }
    let mut out = chars[..head].to_vec();
    out.push(ELLIPSIS);
    out.extend_from_slice(&chars[tail..]);
    out
}

/// A message, hint or key path as an error keeps it: backtick-quoted parts cut to
/// [`QUOTED_WIDTH`], the whole to [`TEXT_WIDTH`], control characters escaped.
pub(crate) fn clean(text: &str) -> String {
    let fits = text.len() <= QUOTED_WIDTH && !text.chars().any(needs_escape);
    if fits {
        return text.to_owned();
    }
    let mut chars: Vec<char> = Vec::new();
    for (index, part) in text.split('`').enumerate() {
        if index > 0 {
            chars.push('`');
        }
        let part: Vec<char> = part.chars().collect();
        // Odd parts are between backticks.
        if index % 2 == 1 {
            chars.extend(elide(&part, QUOTED_WIDTH));
        } else {
            chars.extend(part);
        }
    }
    let mut out = String::new();
    for c in elide(&chars, TEXT_WIDTH) {
        push(&mut out, c, false);
    }
    out
}

/// The part of `line` an excerpt shows for 1-based `column`, escaped, and the padding
/// that puts a caret under that column's character: at most [`EXCERPT_WIDTH`]
/// characters, with about a third of the room before the column.
pub(crate) fn excerpt(line: &str, column: usize) -> (String, String) {
    let chars: Vec<char> = line.chars().collect();
    let caret = column.saturating_sub(1).min(chars.len());
    let w = |i: usize| width(chars[i], true);
    let total: usize = (0..chars.len()).map(w).sum();
    let (mut lo, mut hi) = (0, chars.len());
    if total > EXCERPT_WIDTH {
        // Room for the characters once both ellipses are shown.
        let room = EXCERPT_WIDTH - 2;
        lo = caret;
        hi = caret;
        let mut used = 0;
        if caret < chars.len() {
            used = w(caret);
            hi += 1;
        }
        while lo > 0 && used + w(lo - 1) <= room / 3 {
            lo -= 1;
            used += w(lo);
        }
        while hi < chars.len() && used + w(hi) <= room {
            used += w(hi);
            hi += 1;
        }
        while lo > 0 && used + w(lo - 1) <= room {
            lo -= 1;
            used += w(lo);
        }
        // One end reached: its ellipsis' room is the other end's.
        while lo == 0 && hi < chars.len() && used + w(hi) < EXCERPT_WIDTH {
            used += w(hi);
            hi += 1;
        }
        while hi == chars.len() && lo > 0 && used + w(lo - 1) < EXCERPT_WIDTH {
            lo -= 1;
            used += w(lo);
        }
    }
    let mut text = String::new();
    let mut pad = String::new();
    if lo > 0 {
        text.push(ELLIPSIS);
        pad.push(' ');
    }
    for (i, &c) in chars.iter().enumerate().take(hi).skip(lo) {
        push(&mut text, c, true);
        if i < caret {
            if c == '\t' {
                pad.push('\t');
            } else {
                pad.extend(std::iter::repeat_n(' ', w(i)));
            }
        }
    }
    if hi < chars.len() {
        text.push(ELLIPSIS);
    }
    (text, pad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_controls_and_cuts_quoted_parts() {
        assert_eq!(
            clean("unknown key `a\u{1b}[2Jb`"),
            "unknown key `a\\u{1b}[2Jb`"
        );
        assert_eq!(
            clean("a\nb\tc\r\u{202e}\u{85}"),
            "a\\nb\\tc\\r\\u{202e}\\u{85}"
        );
        assert_eq!(
            clean("plain `text`, \"quotes\" and \\"),
            "plain `text`, \"quotes\" and \\"
        );
        let long = format!("unknown key `{}` here", "k".repeat(1000));
        let cut = clean(&long);
        let quoted = cut.split('`').nth(1).unwrap();
        assert_eq!(quoted.chars().count(), QUOTED_WIDTH);
        assert_eq!(quoted.chars().filter(|&c| c == ELLIPSIS).count(), 1);
        assert!(cut.starts_with("unknown key `kkk") && cut.ends_with("kkk` here"));
        let huge = "x".repeat(100_000);
        assert_eq!(clean(&huge).chars().count(), TEXT_WIDTH);
        // An escape is never cut in two.
        let escapes = "\u{1b}".repeat(1000);
        let cut = clean(&escapes);
        assert!(cut.chars().count() <= TEXT_WIDTH);
        assert_eq!(cut.replace("\\u{1b}", "").chars().collect::<String>(), "…");
    }

    #[test]
    fn excerpts_keep_short_lines_whole() {
        assert_eq!(
            excerpt("a = \"\u{1b}[2J\"", 6),
            ("a = \"\\u{1b}[2J\"".to_owned(), "     ".to_owned())
        );
        assert_eq!(
            excerpt("\tkey = 1", 2),
            ("\tkey = 1".to_owned(), "\t".to_owned())
        );
        assert_eq!(excerpt("ab", 9), ("ab".to_owned(), "  ".to_owned()));
    }

    #[test]
    fn excerpts_window_long_lines_around_the_column() {
        let line: String = (0..10_000)
            .map(|i| char::from(b'a' + (i % 26) as u8))
            .collect();
        for column in [1, 2, 50, 5_000, 9_999, 10_000, 10_001] {
            let (text, pad) = excerpt(&line, column);
            assert_eq!(text.chars().count(), EXCERPT_WIDTH, "{column}: {text}");
            let under: Option<char> = text.chars().nth(pad.chars().count());
            let expected = line.chars().nth(column - 1);
            if column <= 10_000 {
                assert_eq!(under, expected, "{column}");
            } else {
                assert_eq!(under, None, "{column}");
            }
            assert_eq!(text.starts_with(ELLIPSIS), column > 40, "{column}");
        }
    }
}
