//! `type = "logfmt"`: one line of `key=value` pairs per record, quoted as go-logfmt does.
//!
//! The record's own keys (time, level, target, message) are named here; the rules for
//! a name are [`is_key_char`]'s, the one copy shared by [`Config::validate`] (which
//! refuses a bad name) and the runtime renderer (which sanitizes a bad field key).
//!
//! [`Config::validate`]: crate::Config::validate

use crate::handler::Timezone;
use crate::render::TimeFormat;

/// Keys of the logfmt renderer.
#[derive(Debug, Clone, PartialEq)]
pub struct LogfmtConfig {
    /// Key of the timestamp (key `time_key`, default `"ts"`).
    pub time_key: String,
    /// Key of the level (key `level_key`, default `"level"`).
    pub level_key: String,
    /// Key of the target (key `target_key`, default `"target"`).
    pub target_key: String,
    /// Key of the message (key `message_key`, default `"msg"`).
    pub message_key: String,
    /// How the timestamp is written (key `time_format`, default [`TimeFormat::default`]).
    pub time_format: TimeFormat,
    /// Clock of the timestamp (key `timezone`, default `local`).
    pub timezone: Timezone,
}

impl LogfmtConfig {
    /// The config key and the value of each of the record's own key names, in the
    /// order they are written: `time_key`, `level_key`, `target_key`, `message_key`.
    pub fn keys(&self) -> [(&'static str, &str); 4] {
        [
            ("time_key", &self.time_key),
            ("level_key", &self.level_key),
            ("target_key", &self.target_key),
            ("message_key", &self.message_key),
        ]
    }

    /// Why `name` cannot be one of the record's own keys: it is empty, or has a
    /// character a logfmt key cannot hold (see [`is_key_char`]). `None` when it can.
    pub fn key_problem(name: &str) -> Option<String> {
        if name.is_empty() {
            return Some("must not be empty".to_owned());
        }
        let bad = name.chars().find(|&c| !is_key_char(c))?;
        Some(format!(
            "cannot contain {}: a logfmt key has no spaces, `=`, `\"` or control characters",
            describe(bad)
        ))
    }
}

impl Default for LogfmtConfig {
    fn default() -> Self {
        LogfmtConfig {
            time_key: "ts".to_owned(),
            level_key: "level".to_owned(),
            target_key: "target".to_owned(),
            message_key: "msg".to_owned(),
            time_format: TimeFormat::default(),
            timezone: Timezone::default(),
        }
    }
}

/// Whether `c` may appear in a logfmt key as written: not a space or any character
/// below it, `=`, `"`, DEL, a C1 control (U+0080–U+009F), the line and paragraph
/// separators U+2028/U+2029, or U+FFFD (what invalid UTF-8 became).
///
/// go-logfmt's encoder refuses the same characters (`keyRuneFilter`), except that it
/// lets the C1 controls and U+2028/U+2029 through; ko-log keeps them out of keys too, as
/// they are out of its plain lines, so that no key can move a terminal's cursor or
/// break a line in a viewer.
pub fn is_key_char(c: char) -> bool {
    !(c <= ' '
        || c == '='
        || c == '"'
        || ('\u{7f}'..='\u{9f}').contains(&c)
        || c == '\u{2028}'
        || c == '\u{2029}'
        || c == char::REPLACEMENT_CHARACTER)
}

/// A character for an error message: printable ones in backticks, others by code point.
fn describe(c: char) -> String {
    if c == ' ' {
        "a space".to_owned()
    } else if c.is_control() || c == '\u{2028}' || c == '\u{2029}' {
        format!("U+{:04X}", u32::from(c))
    } else {
        format!("`{c}`")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_characters() {
        for c in [
            'a', 'Z', '0', '.', '_', '-', '/', '\\', ':', '~', 'é', '✓', '\u{a0}',
        ] {
            assert!(is_key_char(c), "{c:?}");
        }
        for c in [
            ' ', '\0', '\n', '\t', '\x1b', '=', '"', '\x7f', '\u{80}', '\u{85}', '\u{9b}',
            '\u{9f}', '\u{2028}', '\u{2029}', '\u{fffd}',
        ] {
            assert!(!is_key_char(c), "{c:?}");
        }
    }

    #[test]
    fn key_problems() {
        assert_eq!(LogfmtConfig::key_problem("ts"), None);
        assert_eq!(LogfmtConfig::key_problem("log.level"), None);
        assert_eq!(
            LogfmtConfig::key_problem("").as_deref(),
            Some("must not be empty")
        );
        assert_eq!(
            LogfmtConfig::key_problem("my key").as_deref(),
            Some("cannot contain a space: a logfmt key has no spaces, `=`, `\"` or control characters")
        );
        assert!(
            LogfmtConfig::key_problem("a=b").is_some_and(|p| p.starts_with("cannot contain `=`:"))
        );
        assert!(LogfmtConfig::key_problem("a\nb")
            .is_some_and(|p| p.starts_with("cannot contain U+000A:")));
    }
}
