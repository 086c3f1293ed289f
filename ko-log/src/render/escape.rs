//! Escaping of user text for the plain and colored renderers.
//!
//! Whatever a message, key or value contains, a rendered record stays on one line and
//! sends no control sequence to a terminal:
//!
//! - `\n`, `\r`, `\t` are written as the two characters `\n`, `\r`, `\t`;
//! - every other C0 control character (below U+0020, NUL and ESC included) and DEL
//!   (U+007F) as `\xHH` (`ESC` → `\x1b`);
//! - the C1 controls U+0080–U+009F (CSI U+009B, NEL U+0085 …) as `\u{HH}` (`\u{9b}`);
//! - the Unicode line and paragraph separators U+2028/U+2029 (which some viewers break
//!   lines on) as `\u{2028}` and `\u{2029}`.
//!
//! In the message and in placeholders (`{message}`, `{target}`, `{field}` …) a backslash
//! is written as is: `a\nb` in the output is either a real newline escaped or a message
//! that contained a backslash and an `n`; only the first kind can come from a line break,
//! so no second line can be forged. In `{kv}` values, which are quoted when needed, the
//! quoted form is unambiguous: inside quotes `"` is `\"` and `\` is `\\`.
//!
//! The fast path scans bytes against a table and copies runs of plain text at once; only
//! the bytes that may start an escape (ASCII controls, `0xC2` for C1, `0xE2` for
//! U+2028/9, and `"`/`\` inside quotes) are looked at further.

use std::fmt;
use std::io::Write as _;

/// Escaping context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Message, keys and placeholders: control characters only.
    Text,
    /// Inside a `"`-quoted value: also `"` → `\"` and `\` → `\\`.
    Quoted,
}

impl Mode {
    /// The printable bytes escaped in this mode.
    fn stops(self) -> &'static [u8] {
        match self {
            Mode::Text => b"",
            Mode::Quoted => b"\"\\",
        }
    }
}

/// Byte classes of [`CLASS`], the one byte classifier of the renderers that escape
/// (plain and colored here, logfmt in `logfmt`).
pub(crate) const PLAIN: u8 = 0;
/// Space or `=`: a reason to quote, written as it is.
pub(crate) const SEPARATOR: u8 = 1;
/// Below U+0020, or DEL: always escaped.
pub(crate) const CONTROL: u8 = 2;
/// `"`: escaped inside quotes, and a reason to quote.
pub(crate) const QUOTE: u8 = 3;
/// `\`: escaped inside quotes (here also a reason to quote; not in logfmt).
pub(crate) const BACKSLASH: u8 = 4;
/// `0xC2`: lead byte of U+0080–U+00BF (C1 controls when the next byte is ≤ `0x9F`).
pub(crate) const LEAD_C2: u8 = 5;
/// `0xE2`: lead byte of U+2000–U+2FFF (U+2028/U+2029 among them).
pub(crate) const LEAD_E2: u8 = 6;
/// `0xEF`: lead byte of U+F000–U+FFFF (U+FFFD among them: escaped by logfmt only).
pub(crate) const LEAD_EF: u8 = 7;

static CLASS: [u8; 256] = {
    let mut table = [PLAIN; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = CONTROL;
        b += 1;
    }
    table[0x7f] = CONTROL;
    table[b' ' as usize] = SEPARATOR;
    table[b'=' as usize] = SEPARATOR;
    table[b'"' as usize] = QUOTE;
    table[b'\\' as usize] = BACKSLASH;
    table[0xc2] = LEAD_C2;
    table[0xe2] = LEAD_E2;
    table[0xef] = LEAD_EF;
    table
};

pub(crate) const HEX: &[u8; 16] = b"0123456789abcdef";

/// The class of byte `b`.
pub(crate) fn class(b: u8) -> u8 {
    CLASS[usize::from(b)]
}

/// The escapable character that starts at `bytes[i]` under a lead byte: its length in
/// bytes and its code point (a C1 control, U+2028/U+2029 or U+FFFD), or `None`.
pub(crate) fn special(bytes: &[u8], i: usize, lead: u8) -> Option<(usize, u16)> {
    match (lead, bytes.get(i + 1), bytes.get(i + 2)) {
        (LEAD_C2, Some(&b @ 0x80..=0x9f), _) => Some((2, u16::from(b))),
        (LEAD_E2, Some(0x80), Some(0xa8)) => Some((3, 0x2028)),
        (LEAD_E2, Some(0x80), Some(0xa9)) => Some((3, 0x2029)),
        (LEAD_EF, Some(0xbf), Some(0xbd)) => Some((3, 0xfffd)),
        _ => None,
    }
}

/// Appends `bytes[from..to]`.
pub(crate) fn copy(out: &mut Vec<u8>, bytes: &[u8], from: usize, to: usize) {
    if let Some(run) = bytes.get(from..to) {
        out.extend_from_slice(run);
    }
}

fn write_hex(out: &mut Vec<u8>, b: u8) {
    out.push(HEX[usize::from(b >> 4)]);
    out.push(HEX[usize::from(b & 0xf)]);
}

/// The length of the leading run of whole 8-byte words that need no escaping in `mode`:
/// no byte below `0x20`, none from `0x7f` up (DEL and every non-ASCII byte, so the
/// `0xC2`/`0xE2` lead bytes go to the exact byte loop), and no `"` or `\` when quoted.
/// Word-at-a-time ("SWAR") tests, exact for whether a word has such a byte.
/// When every word is clean and the text is at least 8 bytes long, the last (possibly
/// overlapping) word is tested too, so a clean text is recognised whole, without the
/// byte loop.
fn clean_prefix(bytes: &[u8], mode: Mode) -> usize {
    let mut i = 0;
    while let Some(word) = bytes.get(i..i + 8) {
        if !clean_word(word, 0x20, mode.stops()) {
            return i;
        }
        i += 8;
    }
    match bytes
        .len()
        .checked_sub(8)
        .and_then(|last| bytes.get(last..))
    {
        Some(tail) if i < bytes.len() && clean_word(tail, 0x20, mode.stops()) => bytes.len(),
        _ => i,
    }
}

/// Whether 8 bytes hold no byte below `below`, none from DEL up (so every non-ASCII byte
/// goes to the exact byte loop), and none of `stops`: the one word-at-a-time ("SWAR") test
/// of the renderers that escape (here, and logfmt's scans), exact for whether such a byte
/// is there.
#[inline]
pub(crate) fn clean_word(word: &[u8], below: u8, stops: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let has_zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let mut le = [0u8; 8];
    le.copy_from_slice(word);
    let x = u64::from_le_bytes(le);
    let mut bad =
        (x.wrapping_sub(ONES * u64::from(below)) & !x & HIGH) | ((x | x.wrapping_add(ONES)) & HIGH);
    for &stop in stops {
        bad |= has_zero(x ^ (ONES * u64::from(stop)));
    }
    bad == 0
}

/// Appends `text` to `out`, escaped for `mode`.
pub(crate) fn write_escaped(out: &mut Vec<u8>, text: &str, mode: Mode) {
    let bytes = text.as_bytes();
    let mut run = 0;
    let mut i = clean_prefix(bytes, mode);
    if i == bytes.len() {
        out.extend_from_slice(bytes);
        return;
    }
    while let Some(&b) = bytes.get(i) {
        match class(b) {
            CONTROL => {
                copy(out, bytes, run, i);
                match b {
                    b'\n' => out.extend_from_slice(b"\\n"),
                    b'\r' => out.extend_from_slice(b"\\r"),
                    b'\t' => out.extend_from_slice(b"\\t"),
                    _ => {
                        out.extend_from_slice(b"\\x");
                        write_hex(out, b);
                    }
                }
                i += 1;
                run = i;
            }
            QUOTE | BACKSLASH if mode == Mode::Quoted => {
                copy(out, bytes, run, i);
                out.push(b'\\');
                out.push(b);
                i += 1;
                run = i;
            }
            lead @ (LEAD_C2 | LEAD_E2) => match special(bytes, i, lead) {
                Some((len, code)) => {
                    copy(out, bytes, run, i);
                    let _ = write!(out, "\\u{{{code:x}}}");
                    i += len;
                    run = i;
                }
                None => i += 1,
            },
            _ => i += 1,
        }
    }
    copy(out, bytes, run, bytes.len());
}

/// Whether a `{kv}` value must be written in quotes: it is empty, or contains a space,
/// `"`, `=`, `\` or anything [`write_escaped`] escapes.
pub(crate) fn needs_quotes(text: &str) -> bool {
    text.is_empty() || contains_quote_trigger(text)
}

fn contains_quote_trigger(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.iter().enumerate().any(|(i, &b)| match class(b) {
        PLAIN | LEAD_EF => false,
        lead @ (LEAD_C2 | LEAD_E2) => special(bytes, i, lead).is_some(),
        _ => true,
    })
}

/// A [`fmt::Write`] that escapes into a byte buffer (values written with `Display`).
pub(crate) struct Escaping<'a> {
    /// Where the escaped text goes.
    pub(crate) out: &'a mut Vec<u8>,
    /// How to escape.
    pub(crate) mode: Mode,
}

impl fmt::Write for Escaping<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        write_escaped(self.out, s, self.mode);
        Ok(())
    }
}

/// A [`fmt::Write`] that only finds out whether the text written needs quotes.
#[derive(Default)]
pub(crate) struct QuoteCheck {
    /// Some text was written.
    pub(crate) written: bool,
    /// A character that requires quotes was seen.
    pub(crate) needs: bool,
}

impl fmt::Write for QuoteCheck {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.written |= !s.is_empty();
        self.needs = self.needs || contains_quote_trigger(s);
        Ok(())
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn the_word_scan_finds_every_byte_that_needs_the_byte_loop() {
        // Each byte value at each position of texts of several lengths: the scan may
        // only claim "clean" for texts of plain printable ASCII.
        for len in [8usize, 11, 16, 23] {
            for at in 0..len {
                for b in 0..=255u8 {
                    let mut bytes = vec![b'a'; len];
                    bytes[at] = b;
                    for mode in [Mode::Text, Mode::Quoted] {
                        let special = !(0x20..0x7f).contains(&b)
                            || (mode == Mode::Quoted && (b == b'"' || b == b'\\'));
                        let clean = clean_prefix(&bytes, mode);
                        if special {
                            assert!(clean <= at, "byte {b:#x} at {at} of {len} skipped");
                        } else {
                            assert_eq!(clean, len, "byte {b:#x} at {at} of {len}");
                        }
                    }
                }
            }
        }
    }
    use super::*;

    fn esc(text: &str, mode: Mode) -> String {
        let mut out = Vec::new();
        write_escaped(&mut out, text, mode);
        String::from_utf8(out).expect("escaped text is UTF-8")
    }

    #[test]
    fn plain_text_is_copied() {
        assert_eq!(esc("hello wörld ✓ 日本", Mode::Text), "hello wörld ✓ 日本");
        assert_eq!(esc("", Mode::Text), "");
    }

    #[test]
    fn line_breaks_and_tabs() {
        assert_eq!(esc("a\nb\rc\td", Mode::Text), "a\\nb\\rc\\td");
        assert_eq!(esc("\n", Mode::Text), "\\n");
    }

    #[test]
    fn c0_and_del_in_hex() {
        assert_eq!(
            esc("\0x\x1b[31mred\x7f\x01", Mode::Text),
            "\\x00x\\x1b[31mred\\x7f\\x01"
        );
    }

    #[test]
    fn c1_controls() {
        assert_eq!(
            esc("a\u{9b}31mb\u{85}c\u{80}", Mode::Text),
            "a\\u{9b}31mb\\u{85}c\\u{80}"
        );
        // U+00A0..U+00BF share the 0xC2 lead byte and are not controls.
        assert_eq!(esc("\u{a0}\u{a9}\u{bf}", Mode::Text), "\u{a0}\u{a9}\u{bf}");
    }

    #[test]
    fn unicode_separators() {
        assert_eq!(
            esc("a\u{2028}b\u{2029}c", Mode::Text),
            "a\\u{2028}b\\u{2029}c"
        );
        // Other characters with the 0xE2 lead byte pass.
        assert_eq!(esc("\u{2027}\u{202a}→✓", Mode::Text), "\u{2027}\u{202a}→✓");
    }

    #[test]
    fn backslash_and_quote() {
        assert_eq!(esc(r#"a\b"c"#, Mode::Text), r#"a\b"c"#);
        assert_eq!(esc(r#"a\b"c"#, Mode::Quoted), r#"a\\b\"c"#);
    }

    #[test]
    fn replacement_character_passes() {
        let lossy = String::from_utf8_lossy(b"ok\xff\xfe");
        assert_eq!(esc(&lossy, Mode::Text), "ok\u{fffd}\u{fffd}");
    }

    #[test]
    fn quoting_rule() {
        for (text, quoted) in [
            ("", true),
            ("plain", false),
            ("a b", true),
            ("a=b", true),
            ("a\"b", true),
            ("a\\b", true),
            ("a\nb", true),
            ("a\u{9b}", true),
            ("a\u{a0}", false),
            ("wörld", false),
        ] {
            assert_eq!(needs_quotes(text), quoted, "{text:?}");
        }
    }

    #[test]
    fn lead_bytes_near_the_end() {
        // 0xC2 and 0xE2 lead bytes at the end of the text: no read past it.
        assert_eq!(esc("x\u{a0}", Mode::Text), "x\u{a0}");
        assert_eq!(esc("x\u{2000}", Mode::Text), "x\u{2000}");
        assert_eq!(esc("x\u{2010}", Mode::Text), "x\u{2010}");
    }
}
