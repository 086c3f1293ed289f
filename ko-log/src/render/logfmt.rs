//! `type = "logfmt"`: one line of `key=value` pairs per record, quoted as go-logfmt does.
//!
//! ```text
//! ts=2026-11-24T05:55:58.123+00:00 level=INFO target=app::db msg="Processing request" user_id=123 name="Ada Lovelace"
//! ```
//!
//! The record's own pairs come first: the time (key `time_key`, default `ts`, written in
//! `time_format` and `timezone` like the plain renderer's `{time}`), the level
//! (`level_key`, `level`: `ERROR`, `WARN`, `INFO`, `DEBUG`, `TRACE`), the target
//! (`target_key`, `target`) and the message (`message_key`, `msg`); then every field, the
//! record's key-values and its context, in order. A record logged in a trace
//! ([`crate::TraceContext`]) has `trace_id`, `span_id` and `trace_flags` (lowercase hex)
//! right after the message; a field of one of these names is then written
//! `fields.<key>`.
//!
//! **Values** follow go-logfmt's encoder (`encode.go`, `jsonstring.go`):
//!
//! - a value is written as it is unless it contains a space or any character below it,
//!   `=`, `"`, DEL, or U+FFFD; then it is written in double quotes. A backslash alone
//!   does not call for quotes (`path=C:\dir`), as in go-logfmt;
//! - inside quotes, `\` is `\\`, `"` is `\"`, newline, carriage return and tab are `\n`,
//!   `\r`, `\t`, any other character below U+0020 and DEL are `\u00XX` (lowercase hex),
//!   and U+FFFD is `\ufffd`;
//! - the string `null` is written `"null"`, so that it reads apart from a null value,
//!   which is `null`; numbers, booleans and `null` are never quoted (a float as Rust
//!   writes it: `1.5`, `NaN`, `inf`, `-inf`);
//! - ko-log's text is Rust `str`, valid UTF-8 by construction: bytes that were not valid
//!   UTF-8 were replaced with U+FFFD before they reached the record (a lossy conversion
//!   upstream), and U+FFFD is then quoted and written `\ufffd`, which is how go-logfmt
//!   writes invalid UTF-8 too. A decoder gets U+FFFD back.
//!
//! Where ko-log **deviates** from go-logfmt's encoder:
//!
//! - an empty value is `""` (go-logfmt writes `key=`; its decoder reads both as empty);
//! - the C1 controls U+0080–U+009F (CSI U+009B, NEL U+0085) and the line and paragraph
//!   separators U+2028/U+2029 are quoted and written `\u0085`, `\u2028` …, as the plain
//!   renderer escapes them, so that no value can move a terminal's cursor or break a line
//!   in a viewer (go-logfmt writes them raw). go-logfmt's decoder reads `\uXXXX` back;
//! - a bad key is sanitized rather than refused (go-logfmt drops the bad characters and
//!   fails on a key left empty; logforth's logfmt fails the whole record).
//!
//! **Keys** of fields are sanitized, never refused: each character that a logfmt key
//! cannot hold (see [`is_key_char`]: a space or below, `=`, `"`, DEL, C1 controls,
//! U+2028/U+2029, U+FFFD) becomes one `_`, and an empty key becomes `_`
//! (`"user id"` → `user_id`, `"a=b"` → `a_b`, `""` → `_`).
//!
//! **Nested values** are flattened with dotted keys: list items are `key.0`, `key.1` …
//! (`key.0.1` in a list of lists), an empty list is `key=[]`; an error is `key=<message>`
//! followed by its `source()` chain, outermost first, as `key.sources.0`,
//! `key.sources.1` … (the JSON renderer's `{"message": ..., "sources": [...]}`,
//! flattened).
//!
//! **Reserved keys:** a field whose key (sanitized and flattened) is one of the record's
//! own four does not repeat it: it is written `fields.<key>` (`fields.msg`), with more
//! `fields.` prefixes while that name is one of the four too or the key of another field,
//! as the JSON renderer does. The record's own keys therefore appear once per line.
//! Sanitizing and flattening can still give two fields the same written key (`a b` and
//! `a_b`, or a list `a` and a field `a.0`): both pairs are written, in order, as logfmt
//! allows.
//!
//! Rendering allocates nothing per record: keys are put together in a buffer the
//! renderer reuses, values are scanned eight bytes at a time and copied in runs.

use std::cell::RefCell;
use std::io::Write as _;

use ko_log_config::handler::Timezone;
use ko_log_config::node::Params;
use ko_log_config::render::TimeFormat;
use ko_log_config::values::TimezoneDe;
use ko_log_config::ConfigError;
use serde::Deserialize;

use super::escape::{
    class, copy, special, BACKSLASH, CONTROL, HEX, LEAD_C2, LEAD_E2, LEAD_EF, QUOTE, SEPARATOR,
};
use super::timestamp::Stamp;
use super::Renderer;
use crate::event::{Event, Fields, Value};

/// The prefix put before a field key that collides with one of the record's own.
const PREFIX: &[u8] = b"fields.";

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a renderer table")]
struct Raw {
    time_key: Option<String>,
    level_key: Option<String>,
    target_key: Option<String>,
    message_key: Option<String>,
    time_format: Option<String>,
    timezone: Option<TimezoneDe>,
}

impl LogfmtConfig {
    /// Reads the keys of a `logfmt` renderer's table; a mistake is located at its key (a
    /// time format's at its character). The record's own key names must be valid logfmt
    /// keys and distinct.
    pub fn from_params(params: &Params) -> Result<LogfmtConfig, ConfigError> {
        let raw: Raw = params.deserialize()?;
        let defaults = LogfmtConfig::default();
        let config = LogfmtConfig {
            time_key: raw.time_key.unwrap_or(defaults.time_key),
            level_key: raw.level_key.unwrap_or(defaults.level_key),
            target_key: raw.target_key.unwrap_or(defaults.target_key),
            message_key: raw.message_key.unwrap_or(defaults.message_key),
            time_format: super::time_format(params, raw.time_format)?,
            timezone: raw.timezone.map(|t| t.0).unwrap_or_default(),
        };
        logfmt_keys(&config).map_err(|(key, message)| params.error_at(key, message))?;
        Ok(config)
    }
}

/// The logfmt renderer's own key names are valid logfmt keys and distinct: on error,
/// the config key to blame and the message. Of two equal names, the one that is not its
/// default is blamed (it is the one written in the file), else the later one.
fn logfmt_keys(config: &LogfmtConfig) -> Result<(), (&'static str, String)> {
    let keys = config.keys();
    for (key, name) in keys {
        if let Some(problem) = LogfmtConfig::key_problem(name) {
            return Err((key, format!("`{key}` {problem}")));
        }
    }
    let defaults = LogfmtConfig::default();
    let defaults = defaults.keys();
    for (i, (later, name)) in keys.iter().enumerate() {
        for (j, (earlier, other)) in keys.iter().enumerate().take(i) {
            if name == other {
                let earlier_is_set = defaults.get(j).is_some_and(|(_, d)| d != other);
                let later_is_set = defaults.get(i).is_some_and(|(_, d)| d != name);
                let (blamed, with) = if earlier_is_set && !later_is_set {
                    (*earlier, *later)
                } else {
                    (*later, *earlier)
                };
                return Err((
                    blamed,
                    format!("`{blamed}` and `{with}` are both `{name}`: each of the record's own keys needs its own name"),
                ));
            }
        }
    }
    Ok(())
}

fn schema() -> serde_json::Value {
    use ko_log_config::schema::{describe, one_of, string, table};
    let key = |what: &str| {
        describe(
            serde_json::json!({"type": "string", "pattern": "^[^\\s=\"]+$"}),
            what,
        )
    };
    describe(table(
        &[
            ("time_key", key("Key of the time (default \"ts\").")),
            ("level_key", key("Key of the level (default \"level\").")),
            ("target_key", key("Key of the target (default \"target\").")),
            ("message_key", key("Key of the message (default \"msg\").")),
            ("time_format", describe(string(), "How the time is written: \"rfc3339\", or a `time` crate format description.")),
            ("timezone", describe(one_of(TimezoneDe::NAMES), "Clock of the time (default \"local\").")),
        ],
        &[],
    ), "One logfmt line per record (key=value, go-logfmt's quoting).")
}

crate::registry::register_renderer!("logfmt", LogfmtConfig, Logfmt::new, schema, Raw);

/// The logfmt renderer.
#[derive(Debug, Clone)]
pub struct Logfmt {
    /// `ts=`.
    time_key: Box<[u8]>,
    /// ` level=ERROR` … ` level=TRACE`, indexed by `Level as usize - 1`.
    levels: [Box<[u8]>; 5],
    /// ` target=`.
    target_key: Box<[u8]>,
    /// ` msg=`.
    message_key: Box<[u8]>,
    /// The record's own four keys (sanitized), which no field repeats.
    reserved: [Box<[u8]>; 4],
    stamp: Stamp,
    scratch: RefCell<Scratch>,
}

/// Buffers reused from record to record.
#[derive(Debug, Clone, Default)]
struct Scratch {
    /// A field's key, sanitized and flattened.
    key: Vec<u8>,
    /// The formatted time, before it is quoted (if its format calls for it).
    time: Vec<u8>,
}

impl Logfmt {
    /// A renderer for the `logfmt` config. The key names are expected to be valid and
    /// distinct ([`LogfmtConfig::from_params`] refuses others); a name that is not a
    /// valid logfmt key is sanitized like a field key. A `local` timezone uses the offset
    /// captured when ko-log first needed it.
    pub fn new(config: &LogfmtConfig) -> Logfmt {
        let [time, level, target, message] = config.keys().map(|(_, name)| {
            let mut key = Vec::with_capacity(name.len());
            push_key(&mut key, name);
            key.into_boxed_slice()
        });
        let pair_key = |key: &[u8], space: bool| {
            let mut out = Vec::with_capacity(key.len() + 2);
            if space {
                out.push(b' ');
            }
            out.extend_from_slice(key);
            out.push(b'=');
            out.into_boxed_slice()
        };
        let levels = log::Level::iter()
            .map(|l| {
                [&pair_key(&level, true)[..], l.as_str().as_bytes()]
                    .concat()
                    .into()
            })
            .collect::<Vec<Box<[u8]>>>()
            .try_into()
            .unwrap_or_else(|_| Default::default());
        Logfmt {
            time_key: pair_key(&time, false),
            levels,
            target_key: pair_key(&target, true),
            message_key: pair_key(&message, true),
            reserved: [time, level, target, message],
            stamp: Stamp::new(
                &config.time_format,
                crate::clock::offset_of(config.timezone),
            ),
            scratch: RefCell::new(Scratch {
                key: Vec::with_capacity(64),
                time: Vec::with_capacity(40),
            }),
        }
    }

    fn write_time(&self, event: &Event, time: &mut Vec<u8>, out: &mut Vec<u8>) {
        time.clear();
        if !self.stamp.write(event.time, time) {
            // Outside the format's range: `time`'s own display.
            let _ = write!(time, "{}", event.time);
        }
        match std::str::from_utf8(time) {
            Ok(text) => write_str(out, text),
            // Unreachable (formats and `Display` write UTF-8); still a valid value.
            Err(_) => write_str(out, &String::from_utf8_lossy(time)),
        }
    }

    /// Writes the pairs of one field, whose sanitized key is in `key`.
    fn write_pairs(&self, key: &mut Vec<u8>, value: &Value, fields: &Fields, out: &mut Vec<u8>) {
        match value {
            Value::List(items) if !items.is_empty() => {
                let len = key.len();
                for (index, item) in items.iter().enumerate() {
                    let _ = write!(key, ".{index}");
                    self.write_pairs(key, item, fields, out);
                    key.truncate(len);
                }
            }
            Value::List(_) => {
                self.write_key(key, fields, out);
                out.extend_from_slice(b"[]");
            }
            Value::Error(error) => {
                self.write_key(key, fields, out);
                write_str(out, &error.message);
                let len = key.len();
                for (index, source) in error.sources.iter().enumerate() {
                    let _ = write!(key, ".sources.{index}");
                    self.write_key(key, fields, out);
                    write_str(out, source);
                    key.truncate(len);
                }
            }
            Value::Str(text) => {
                self.write_key(key, fields, out);
                write_str(out, text);
            }
            Value::Null | Value::Bool(_) | Value::I64(_) | Value::U64(_) | Value::F64(_) => {
                self.write_key(key, fields, out);
                // Digits, `.`, `-`, `NaN`, `inf`, `true`, `false`, `null`: never quoted.
                let _ = write!(out, "{value}");
            }
        }
    }

    /// Writes ` key=`, moved out of the way of the record's own keys.
    fn write_key(&self, key: &[u8], fields: &Fields, out: &mut Vec<u8>) {
        out.push(b' ');
        let mut prefixes = 0;
        while self.is_taken(key, prefixes, fields) {
            prefixes += 1;
        }
        for _ in 0..prefixes {
            out.extend_from_slice(PREFIX);
        }
        out.extend_from_slice(key);
        out.push(b'=');
    }

    /// Whether `key` with `prefixes` times `fields.` before it may not be written: it is
    /// one of the record's own keys, or (once prefixed) another field's.
    fn is_taken(&self, key: &[u8], prefixes: usize, fields: &Fields) -> bool {
        self.reserved
            .iter()
            .any(|name| is_prefixed(name, prefixes, key))
            || (prefixes > 0
                && fields
                    .iter()
                    .any(|(name, _)| is_prefixed(name.as_bytes(), prefixes, key)))
    }
}

impl Renderer for Logfmt {
    fn render(&self, event: &Event, out: &mut Vec<u8>) {
        let mut fallback = Scratch::default();
        let mut borrowed = self.scratch.try_borrow_mut();
        let scratch = match &mut borrowed {
            Ok(scratch) => &mut **scratch,
            // Unreachable (one dispatcher thread renders); correct, only slower.
            Err(_) => &mut fallback,
        };
        out.extend_from_slice(&self.time_key);
        self.write_time(event, &mut scratch.time, out);
        if let Some(level) = self.levels.get((event.level as usize).wrapping_sub(1)) {
            out.extend_from_slice(level);
        }
        out.extend_from_slice(&self.target_key);
        write_str(out, &event.target);
        out.extend_from_slice(&self.message_key);
        write_str(out, &event.message);
        let traced = event.trace.is_some();
        if let Some(trace) = &event.trace {
            for (key, hex) in trace.fields() {
                out.push(b' ');
                out.extend_from_slice(key.as_bytes());
                out.push(b'=');
                out.extend_from_slice(hex.as_str().as_bytes());
            }
        }
        for (name, value) in event.fields.iter() {
            scratch.key.clear();
            if traced && crate::trace::FIELD_NAMES.contains(&name) {
                scratch.key.extend_from_slice(PREFIX);
            }
            push_key(&mut scratch.key, name);
            self.write_pairs(&mut scratch.key, value, &event.fields, out);
        }
        out.push(b'\n');
    }
}

/// Whether `candidate` is `prefixes` times `fields.` followed by `key`.
fn is_prefixed(candidate: &[u8], prefixes: usize, key: &[u8]) -> bool {
    (0..prefixes)
        .try_fold(candidate, |rest, _| rest.strip_prefix(PREFIX))
        .is_some_and(|rest| rest == key)
}

/// Whether an ASCII byte may be copied into a key as it is (`!` to `~` but `=` and `"`).
fn is_plain_key_byte(b: u8) -> bool {
    (0x21..0x7f).contains(&b) && b != b'=' && b != b'"'
}

/// Appends `name`, sanitized: each character [`is_key_char`] refuses becomes `_`, and an
/// empty name is `_`.
fn push_key(key: &mut Vec<u8>, name: &str) {
    if name.is_empty() {
        key.push(b'_');
        return;
    }
    let bytes = name.as_bytes();
    let clean = bytes
        .iter()
        .position(|&b| !is_plain_key_byte(b))
        .unwrap_or(bytes.len());
    key.extend_from_slice(bytes.get(..clean).unwrap_or_default());
    for c in name.get(clean..).unwrap_or_default().chars() {
        if is_key_char(c) {
            key.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
        } else {
            key.push(b'_');
        }
    }
}

/// What a word scan looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quoting {
    /// Reasons to quote.
    Detect,
    /// Bytes to escape inside quotes.
    Escape,
}

/// Whether 8 bytes hold nothing that needs a look for `quoting`: no byte at or below a
/// space (`Detect`) or below it (`Escape`: a space is plain inside quotes), none from DEL
/// up, and no `"`, no `=` (`Detect`) or no `\` (`Escape`).
#[inline]
fn clean_word(word: &[u8], quoting: Quoting) -> bool {
    match quoting {
        Quoting::Detect => super::escape::clean_word(word, 0x21, b"\"="),
        Quoting::Escape => super::escape::clean_word(word, 0x20, b"\"\\"),
    }
}

/// How far from `i` the bytes are clean 8 at a time for `quoting`.
fn skip_clean(bytes: &[u8], mut i: usize, quoting: Quoting) -> usize {
    while let Some(word) = bytes.get(i..i + 8) {
        if !clean_word(word, quoting) {
            break;
        }
        i += 8;
    }
    i
}

/// Whether a value must be written in quotes.
fn needs_quotes(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.is_empty() || bytes == b"null" {
        return true;
    }
    let mut i = 0;
    loop {
        i = skip_clean(bytes, i, Quoting::Detect);
        let Some(&b) = bytes.get(i) else {
            return false;
        };
        match class(b) {
            SEPARATOR | CONTROL | QUOTE => return true,
            lead @ (LEAD_C2 | LEAD_E2 | LEAD_EF) if special(bytes, i, lead).is_some() => {
                return true
            }
            _ => i += 1,
        }
    }
}

/// Appends a string value, quoted and escaped when [`needs_quotes`] says so.
fn write_str(out: &mut Vec<u8>, text: &str) {
    if needs_quotes(text) {
        write_quoted(out, text);
    } else {
        out.extend_from_slice(text.as_bytes());
    }
}

/// Appends `"text"` with go-logfmt's escapes (and ko-log's for C1 and U+2028/U+2029).
fn write_quoted(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut run = 0;
    let mut i = 0;
    loop {
        i = skip_clean(bytes, i, Quoting::Escape);
        let Some(&b) = bytes.get(i) else {
            break;
        };
        match class(b) {
            CONTROL => {
                copy(out, bytes, run, i);
                match b {
                    b'\n' => out.extend_from_slice(b"\\n"),
                    b'\r' => out.extend_from_slice(b"\\r"),
                    b'\t' => out.extend_from_slice(b"\\t"),
                    _ => write_u(out, u16::from(b)),
                }
                i += 1;
                run = i;
            }
            QUOTE | BACKSLASH => {
                copy(out, bytes, run, i);
                out.push(b'\\');
                out.push(b);
                i += 1;
                run = i;
            }
            lead @ (LEAD_C2 | LEAD_E2 | LEAD_EF) => match special(bytes, i, lead) {
                Some((len, code)) => {
                    copy(out, bytes, run, i);
                    write_u(out, code);
                    i += len;
                    run = i;
                }
                None => i += 1,
            },
            _ => i += 1,
        }
    }
    copy(out, bytes, run, bytes.len());
    out.push(b'"');
}

/// `\uXXXX`, lowercase hex.
fn write_u(out: &mut Vec<u8>, code: u16) {
    out.extend_from_slice(b"\\u");
    for shift in [12, 8, 4, 0] {
        out.push(HEX[usize::from((code >> shift) & 0xf)]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorValue;
    use ko_log_config::handler::Timezone;
    use ko_log_config::render::TimeFormat;
    use log::Level;
    use time::macros::datetime;

    fn value(text: &str) -> String {
        let mut out = Vec::new();
        write_str(&mut out, text);
        String::from_utf8(out).expect("UTF-8")
    }

    fn key(name: &str) -> String {
        let mut out = Vec::new();
        push_key(&mut out, name);
        String::from_utf8(out).expect("UTF-8")
    }

    fn renderer() -> Logfmt {
        Logfmt::new(&LogfmtConfig {
            timezone: Timezone::Utc,
            ..LogfmtConfig::default()
        })
    }

    fn event(message: &'static str) -> Event {
        let mut event = Event::new(Level::Info, "app::db", message);
        event.time = datetime!(2026-11-24 05:55:58.123456789 UTC);
        event
    }

    fn render(renderer: &Logfmt, event: &Event) -> String {
        let mut out = Vec::new();
        renderer.render(event, &mut out);
        String::from_utf8(out).expect("UTF-8")
    }

    #[test]
    fn values_are_quoted_like_go_logfmt() {
        for (text, written) in [
            ("plain", "plain"),
            ("", r#""""#),
            ("null", r#""null""#),
            ("nullable", "nullable"),
            ("two words", r#""two words""#),
            ("a=b", r#""a=b""#),
            (r#"say "hi""#, r#""say \"hi\"""#),
            (r"C:\dir", r"C:\dir"),
            (r"C:\my dir", r#""C:\\my dir""#),
            ("x\ny", r#""x\ny""#),
            ("\r\t", r#""\r\t""#),
            ("\0\x01\x1b[31m\x7f", r#""\u0000\u0001\u001b[31m\u007f""#),
            ("wörld✓日本", "wörld✓日本"),
            (
                "\u{a0}\u{bf}\u{2027}\u{202a}\u{fffc}",
                "\u{a0}\u{bf}\u{2027}\u{202a}\u{fffc}",
            ),
            ("a\u{85}b\u{9b}", r#""a\u0085b\u009b""#),
            ("\u{2028}\u{2029}", r#""\u2028\u2029""#),
            ("bad\u{fffd}", r#""bad\ufffd""#),
            (
                "a long value without anything special",
                r#""a long value without anything special""#,
            ),
            ("abcdefghijklmnop=", r#""abcdefghijklmnop=""#),
            ("abcdefgh\\ijklmnop \"", r#""abcdefgh\\ijklmnop \"""#),
        ] {
            assert_eq!(value(text), written, "{text:?}");
        }
    }

    #[test]
    fn keys_are_sanitized() {
        for (name, written) in [
            ("user_id", "user_id"),
            ("", "_"),
            ("user id", "user_id"),
            ("a=b", "a_b"),
            ("say\"", "say_"),
            ("x\ny\r\t", "x_y__"),
            ("\x7f\u{85}\u{2028}\u{fffd}", "____"),
            ("wörld✓", "wörld✓"),
            ("C:\\dir", "C:\\dir"),
            ("  ", "__"),
        ] {
            assert_eq!(key(name), written, "{name:?}");
        }
    }

    #[test]
    fn the_word_scans_find_every_byte_that_needs_a_look() {
        for b in 0..=255u8 {
            for at in 0..8 {
                let mut word = [b'a'; 8];
                word[at] = b;
                let ascii = (0x20..0x7f).contains(&b);
                let detect = ascii && b != b' ' && b != b'=' && b != b'"';
                let escape = ascii && b != b'"' && b != b'\\';
                assert_eq!(clean_word(&word, Quoting::Detect), detect, "{b:#x} at {at}");
                assert_eq!(clean_word(&word, Quoting::Escape), escape, "{b:#x} at {at}");
            }
        }
    }

    #[test]
    fn a_whole_record() {
        let mut event = event("Processing request");
        event.fields.insert("user_id", 123);
        event.fields.insert("name", "Ada Lovelace");
        event.fields.insert("ratio", 0.5);
        event.fields.insert("ok", true);
        event.fields.insert("none", Value::Null);
        event.fields.insert("empty", "");
        assert_eq!(
            render(&renderer(), &event),
            "ts=2026-11-24T05:55:58.123+00:00 level=INFO target=app::db msg=\"Processing request\" \
             user_id=123 name=\"Ada Lovelace\" ratio=0.5 ok=true none=null empty=\"\"\n"
        );
    }

    #[test]
    fn nested_values_are_flattened() {
        let mut event = event("m");
        event.fields.insert(
            "tags",
            Value::List(vec![
                Value::from("a b"),
                Value::List(vec![Value::from(1), Value::from(2)]),
                Value::List(Vec::new()),
            ]),
        );
        event.fields.insert("none", Value::List(Vec::new()));
        let error = ErrorValue {
            message: "timed out".to_owned(),
            sources: vec!["connection reset".to_owned(), "eof".to_owned()],
        };
        event.fields.insert("err", Value::Error(Box::new(error)));
        assert_eq!(
            render(&renderer(), &event),
            "ts=2026-11-24T05:55:58.123+00:00 level=INFO target=app::db msg=m \
             tags.0=\"a b\" tags.1.0=1 tags.1.1=2 tags.2=[] none=[] \
             err=\"timed out\" err.sources.0=\"connection reset\" err.sources.1=eof\n"
        );
    }

    #[test]
    fn fields_never_repeat_the_records_own_keys() {
        let mut clashing = event("m");
        clashing.fields.insert("msg", "field");
        clashing.fields.insert("fields.msg", "taken");
        clashing
            .fields
            .insert("level", Value::List(vec![Value::from(1)]));
        clashing.fields.insert("ts", 1);
        assert_eq!(
            render(&renderer(), &clashing),
            "ts=2026-11-24T05:55:58.123+00:00 level=INFO target=app::db msg=m \
             fields.fields.msg=field fields.msg=taken level.0=1 fields.ts=1\n"
        );
        // A flattened key equal to an own key is moved too.
        let renderer = Logfmt::new(&LogfmtConfig {
            message_key: "list.0".to_owned(),
            timezone: Timezone::Utc,
            ..LogfmtConfig::default()
        });
        let mut listed = event("m");
        listed
            .fields
            .insert("list", Value::List(vec![Value::from(1)]));
        assert_eq!(
            render(&renderer, &listed),
            "ts=2026-11-24T05:55:58.123+00:00 level=INFO target=app::db list.0=m fields.list.0=1\n"
        );
    }

    #[test]
    fn own_key_names_and_time_format() {
        let renderer = Logfmt::new(&LogfmtConfig {
            time_key: "time".to_owned(),
            level_key: "severity".to_owned(),
            target_key: "logger".to_owned(),
            message_key: "message".to_owned(),
            time_format: TimeFormat::parse("[year]-[month]-[day] [hour]:[minute]").expect("format"),
            timezone: Timezone::Utc,
        });
        let mut event = event("hi");
        event.level = Level::Warn;
        event.fields.insert("msg", 1);
        assert_eq!(
            render(&renderer, &event),
            "time=\"2026-11-24 05:55\" severity=WARN logger=app::db message=hi msg=1\n"
        );
    }

    #[test]
    fn bad_configured_names_are_sanitized_too() {
        let renderer = Logfmt::new(&LogfmtConfig {
            time_key: String::new(),
            message_key: "the msg".to_owned(),
            timezone: Timezone::Utc,
            ..LogfmtConfig::default()
        });
        assert_eq!(
            render(&renderer, &event("x")),
            "_=2026-11-24T05:55:58.123+00:00 level=INFO target=app::db the_msg=x\n"
        );
    }

    #[test]
    fn every_level() {
        let renderer = renderer();
        for (level, name) in [
            (Level::Error, "ERROR"),
            (Level::Warn, "WARN"),
            (Level::Info, "INFO"),
            (Level::Debug, "DEBUG"),
            (Level::Trace, "TRACE"),
        ] {
            let mut event = event("m");
            event.level = level;
            assert_eq!(
                render(&renderer, &event),
                format!("ts=2026-11-24T05:55:58.123+00:00 level={name} target=app::db msg=m\n")
            );
        }
    }

    #[test]
    fn an_empty_target_and_message_are_quoted() {
        let mut event = event("");
        event.target = "".into();
        assert_eq!(
            render(&renderer(), &event),
            "ts=2026-11-24T05:55:58.123+00:00 level=INFO target=\"\" msg=\"\"\n"
        );
    }
}

#[cfg(test)]
mod key_tests {
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
