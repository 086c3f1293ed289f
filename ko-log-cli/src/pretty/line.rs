//! One line at a time: split the input into lines (bounded in memory), and turn each
//! JSON record into a human line with ko-log's colored renderer.

use std::fmt;
use std::io::{self, Write};

use ko_log::config::Template;
use ko_log::render::ColoredConfig;
use ko_log::render::{Colored, Renderer};
use ko_log::{ErrorValue, Event, Value};
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

/// Lines longer than this (in bytes) are written unchanged, without being held whole.
pub(crate) const MAX_LINE: usize = 1 << 20;

/// The keys a record's line is made of; the others are its fields.
const TIMESTAMP: &str = "timestamp";
const LEVEL: &str = "level";
const TARGET: &str = "target";
const MESSAGE: &str = "message";

/// Turns records into human lines.
pub(crate) struct Pretty {
    /// For records with a timestamp, and for those without.
    stamped: Colored,
    bare: Colored,
}

impl Pretty {
    /// Colors the level when `color`.
    pub(crate) fn new(color: bool) -> Pretty {
        let renderer = |format: &str| {
            let config = ColoredConfig {
                format: Template::parse(format).unwrap_or_default(),
                ..ColoredConfig::default()
            };
            Colored::with_color(&config, color)
        };
        Pretty {
            stamped: renderer("{timestamp} {level:<5} [{target}] {message}{kv}"),
            bare: renderer("{level:<5} [{target}] {message}{kv}"),
        }
    }

    /// Writes `line` (with its line break, if it has one) rewritten, or as it is.
    pub(crate) fn line(&self, line: &[u8], out: &mut impl Write) -> io::Result<()> {
        let body = line.strip_suffix(b"\n").unwrap_or(line);
        let body = body.strip_suffix(b"\r").unwrap_or(body);
        match record(body) {
            Some((event, stamped)) => {
                let mut rendered = Vec::with_capacity(body.len() + 16);
                if stamped {
                    self.stamped.render(&event, &mut rendered);
                } else {
                    self.bare.render(&event, &mut rendered);
                }
                out.write_all(&rendered)
            }
            None => out.write_all(line),
        }
    }
}

/// The entries of a JSON object, in their order, values as written.
struct Entries<'a>(Vec<(String, &'a RawValue)>);

impl<'de: 'a, 'a> serde::Deserialize<'de> for Entries<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Object;
        impl<'de> Visitor<'de> for Object {
            type Value = Entries<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Entries<'de>, M::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry::<String, &'de RawValue>()? {
                    entries.push(entry);
                }
                Ok(Entries(entries))
            }
        }
        deserializer.deserialize_map(Object)
    }
}

/// The record a line holds, and whether it has a timestamp; `None` when the line is not
/// a JSON object with a known level.
fn record(line: &[u8]) -> Option<(Event, bool)> {
    let trimmed = line.trim_ascii_start();
    if !trimmed.starts_with(b"{") {
        return None;
    }
    let Entries(entries) = serde_json::from_slice(line).ok()?;
    let text = |key: &str| {
        entries.iter().find(|(k, _)| k == key).map(|(_, raw)| {
            match serde_json::from_str::<String>(raw.get()) {
                Ok(text) => text,
                Err(_) => raw.get().to_owned(),
            }
        })
    };
    let level = text(LEVEL)
        .and_then(|name| ko_log::config::level::parse(&name))
        .and_then(|filter| filter.to_level())?;
    let timestamp = text(TIMESTAMP);
    let mut event = Event::new(
        level,
        text(TARGET).unwrap_or_default(),
        text(MESSAGE).unwrap_or_default(),
    );
    if let Some(timestamp) = &timestamp {
        event.fields.insert(TIMESTAMP, timestamp.clone());
    }
    for (key, raw) in &entries {
        if [TIMESTAMP, LEVEL, TARGET, MESSAGE].contains(&key.as_str()) {
            continue;
        }
        event.fields.insert_default(key.clone(), value(raw));
    }
    Some((event, timestamp.is_some()))
}

/// A field's value, keeping its kind.
fn value(raw: &RawValue) -> Value {
    let Ok(parsed) = serde_json::from_str::<serde_json::Value>(raw.get()) else {
        return Value::Str(raw.get().to_owned().into());
    };
    match parsed {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(b),
        serde_json::Value::Number(n) => n
            .as_i64()
            .map(Value::I64)
            .or_else(|| n.as_u64().map(Value::U64))
            .or_else(|| n.as_f64().map(Value::F64))
            .unwrap_or(Value::Null),
        serde_json::Value::String(s) => Value::Str(s.into()),
        serde_json::Value::Object(object) => match error_value(&object) {
            Some(error) => Value::Error(Box::new(error)),
            None => Value::Str(raw.get().to_owned().into()),
        },
        serde_json::Value::Array(_) => Value::Str(raw.get().to_owned().into()),
    }
}

/// `{"message": "...", "sources": ["...", ...]}`, as the JSON renderer writes an error.
fn error_value(object: &serde_json::Map<String, serde_json::Value>) -> Option<ErrorValue> {
    if object.len() != 2 {
        return None;
    }
    let message = object.get("message")?.as_str()?.to_owned();
    let sources = object
        .get("sources")?
        .as_array()?
        .iter()
        .map(|s| s.as_str().map(str::to_owned))
        .collect::<Option<Vec<String>>>()?;
    Some(ErrorValue { message, sources })
}

/// Splits input into lines, holding at most [`MAX_LINE`] bytes of one.
#[derive(Debug, Default)]
pub(crate) struct Lines {
    /// The line so far.
    held: Vec<u8>,
    /// Inside a line too long to hold: its bytes are written as they come.
    passing: bool,
}

impl Lines {
    /// Takes the next bytes of the input, writing each line they complete.
    pub(crate) fn feed(
        &mut self,
        mut bytes: &[u8],
        pretty: &Pretty,
        out: &mut impl Write,
    ) -> io::Result<()> {
        while !bytes.is_empty() {
            let (part, rest, ends) = match bytes.iter().position(|&b| b == b'\n') {
                Some(at) => {
                    let (part, rest) = bytes.split_at(at + 1);
                    (part, rest, true)
                }
                None => (bytes, &[][..], false),
            };
            bytes = rest;
            if self.passing {
                out.write_all(part)?;
                self.passing = !ends;
                continue;
            }
            if self.held.len() + part.len() > MAX_LINE {
                out.write_all(&self.held)?;
                out.write_all(part)?;
                self.held.clear();
                self.passing = !ends;
                continue;
            }
            self.held.extend_from_slice(part);
            if ends {
                pretty.line(&self.held, out)?;
                self.held.clear();
            }
        }
        Ok(())
    }

    /// The input ended (or its file was replaced): writes the last line, which has no
    /// line break.
    pub(crate) fn finish(&mut self, pretty: &Pretty, out: &mut impl Write) -> io::Result<()> {
        if !self.held.is_empty() {
            pretty.line(&self.held, out)?;
            self.held.clear();
        }
        self.passing = false;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pretty(input: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut lines = Lines::default();
        let pretty = Pretty::new(false);
        lines.feed(input, &pretty, &mut out).unwrap();
        lines.finish(&pretty, &mut out).unwrap();
        out
    }

    #[test]
    fn records_are_rewritten() {
        let line = br#"{"timestamp":"2026-01-02T03:04:05.678Z","level":"WARN","target":"app::db","message":"slow query","ms":1200,"table":"users","ok":false}"#;
        assert_eq!(
            String::from_utf8(pretty(line)).unwrap(),
            "2026-01-02T03:04:05.678Z WARN  [app::db] slow query ms=1200 table=users ok=false\n"
        );
    }

    #[test]
    fn other_lines_are_kept_byte_for_byte() {
        for line in [
            &b"plain text\n"[..],
            b"[1, 2]\n",
            b"\"a string\"\n",
            b"{\"no\": \"level\"}\n",
            b"{\"level\": \"LOUD\"}\n",
            b"{\"level\": \"INFO\", \xff}\n",
            b"{broken\r\n",
            b"no newline at the end",
            b"",
        ] {
            assert_eq!(pretty(line), line, "{:?}", String::from_utf8_lossy(line));
        }
    }

    #[test]
    fn a_huge_line_passes_through_in_pieces() {
        let mut input = vec![b'{'; MAX_LINE + 10];
        input.push(b'\n');
        input.extend_from_slice(br#"{"level":"info","message":"after"}"#);
        input.push(b'\n');
        let mut out = Vec::new();
        let mut lines = Lines::default();
        let pretty = Pretty::new(false);
        for chunk in input.chunks(4096) {
            lines.feed(chunk, &pretty, &mut out).unwrap();
            assert!(lines.held.len() <= MAX_LINE);
        }
        lines.finish(&pretty, &mut out).unwrap();
        let (long, rest) = out.split_at(MAX_LINE + 11);
        assert_eq!(long, &input[..MAX_LINE + 11]);
        assert_eq!(rest, b"INFO  [] after\n");
    }
}
