//! `type = "plain"`: one text line per record, built from the compiled template.
//!
//! The template (see [`ko_log_config::template`]) is walked piece by piece and every
//! placeholder is written straight into the output buffer: no allocation per record on the
//! common path. The [`Colored`](super::Colored) renderer is this same walk with the level
//! wrapped in color codes.
//!
//! Placeholders:
//!
//! - `{time}`: the event time moved to the configured timezone, in `time_format`;
//! - `{level}`: `ERROR`, `WARN`, `INFO`, `DEBUG`, `TRACE`;
//! - `{target}`, `{message}`, `{module}`, `{file}`, `{line}`, `{thread}`: from the event
//!   (empty when unknown);
//! - `{kv}`: every field not named by another placeholder, each as ` key=value` (a leading
//!   space per pair). A value is quoted with `"` when it is empty or contains a space, `"`,
//!   `=`, `\` or a control character; inside quotes `"` is `\"` and `\` is `\\`;
//!   keys are written as they are, control characters escaped;
//!   A record logged in a trace ([`crate::TraceContext`]) has `trace_id`, `span_id` and
//!   `trace_flags` (lowercase hex) first among them, in place of fields of those names;
//! - `{any_other_name}`: the value of that field, unquoted (empty when absent);
//!   `{trace_id}`, `{span_id}` and `{trace_flags}` are the trace context's when there is
//!   one.
//!
//! Text from the record is escaped (see [`escape`](super::escape)) so that a record is
//! always exactly one line. A width (`{level:<8}`) is a minimum counted in characters
//! (`char`s, not display columns), padded with spaces; longer text is never cut.

use std::fmt::Write as _;
use std::io::Write as _;

use ko_log_config::handler::Timezone;
use ko_log_config::node::Params;
use ko_log_config::render::TimeFormat;
use ko_log_config::template::{Align, FieldRef, Piece, Placeholder};
use ko_log_config::values::TimezoneDe;
use ko_log_config::{ConfigError, Template};
use serde::Deserialize;

use super::colored::Palette;
use super::escape::{self, Escaping, Mode, QuoteCheck};
use super::timestamp::Stamp;
use super::Renderer;
use crate::event::{Event, Value};

/// Keys of the plain renderer.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PlainConfig {
    /// The line template (key `format`, default [`Template::DEFAULT`]).
    pub format: Template,
    /// How `{time}` is written (key `time_format`, default [`TimeFormat::default`]).
    pub time_format: TimeFormat,
    /// Clock of `{time}` (key `timezone`, default `local`).
    pub timezone: Timezone,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a renderer table")]
struct Raw {
    format: Option<String>,
    time_format: Option<String>,
    timezone: Option<TimezoneDe>,
}

impl PlainConfig {
    /// Reads the keys of a `plain` renderer's table; a mistake is located at its key
    /// (a template's at its character).
    pub fn from_params(params: &Params) -> Result<PlainConfig, ConfigError> {
        let raw: Raw = params.deserialize()?;
        Ok(PlainConfig {
            format: super::template(params, raw.format)?,
            time_format: super::time_format(params, raw.time_format)?,
            timezone: raw.timezone.map(|t| t.0).unwrap_or_default(),
        })
    }
}

fn schema() -> serde_json::Value {
    use ko_log_config::schema::{describe, table};
    describe(
        table(&super::text_keys(), &[]),
        "One text line per record, from a template.",
    )
}

crate::registry::register_renderer!("plain", PlainConfig, Plain::new, schema, Raw);

/// The plain text renderer.
#[derive(Debug, Clone)]
pub struct Plain {
    /// The template, compiled once more for rendering: see [`Step`].
    steps: Vec<Step>,
    /// Keys named by their own placeholder, left out of `{kv}`.
    named: Vec<String>,
    time: Stamp,
    palette: Option<Palette>,
}

/// One step of rendering a line: neighbouring literals are merged, and `{level}`
/// (padded and colored) is rendered ahead of time for each of the five levels.
#[derive(Debug, Clone)]
enum Step {
    Text(Box<[u8]>),
    /// The rendered level, indexed by `Level as usize - 1`.
    Level([Box<[u8]>; 5]),
    Field(Placeholder),
}

impl Plain {
    /// A renderer for the `plain` config. A `local` timezone uses the offset captured
    /// when ko-log first needed it (see the crate docs on local time).
    pub fn new(config: &PlainConfig) -> Plain {
        Plain::with_palette(&config.format, &config.time_format, config.timezone, None)
    }

    /// The shared constructor of plain and colored: `palette` colors the level.
    pub(super) fn with_palette(
        format: &Template,
        time_format: &TimeFormat,
        timezone: Timezone,
        palette: Option<Palette>,
    ) -> Plain {
        let named = format
            .pieces()
            .iter()
            .filter_map(|piece| match piece {
                Piece::Field(Placeholder {
                    field: FieldRef::Key(key),
                    ..
                }) => Some(key.clone()),
                _ => None,
            })
            .collect();
        let mut plain = Plain {
            steps: Vec::new(),
            named,
            time: Stamp::new(time_format, crate::clock::offset_of(timezone)),
            palette,
        };
        plain.steps = plain.compile(format);
        plain
    }

    /// The steps of `format`, with each level rendered by the same code as at run time.
    fn compile(&self, format: &Template) -> Vec<Step> {
        let mut steps: Vec<Step> = Vec::new();
        for piece in format.pieces() {
            let step = match piece {
                Piece::Literal(text) => Step::Text(text.as_bytes().into()),
                Piece::Field(placeholder) if placeholder.field == FieldRef::Level => Step::Level(
                    log::Level::iter()
                        .map(|level| {
                            let mut out = Vec::new();
                            self.placeholder(placeholder, &Event::new(level, "", ""), &mut out);
                            out.into_boxed_slice()
                        })
                        .collect::<Vec<_>>()
                        .try_into()
                        .unwrap_or_else(|_| Default::default()),
                ),
                Piece::Field(placeholder) => Step::Field(placeholder.clone()),
                _ => continue,
            };
            match (steps.last_mut(), step) {
                (Some(Step::Text(before)), Step::Text(text)) => {
                    *before = [&before[..], &text[..]].concat().into_boxed_slice();
                }
                (_, step) => steps.push(step),
            }
        }
        steps
    }

    /// Whether the level is colored (only through [`Colored`](super::Colored)).
    pub(super) fn is_colored(&self) -> bool {
        self.palette.is_some()
    }

    fn placeholder(&self, placeholder: &Placeholder, event: &Event, out: &mut Vec<u8>) {
        let start = out.len();
        // Characters written, when not simply those of `out[start..]` (color codes).
        let mut chars = None;
        match &placeholder.field {
            FieldRef::Time => {
                self.time.write(event.time, out);
            }
            FieldRef::Level => {
                let name = event.level.as_str();
                match &self.palette {
                    Some(palette) => {
                        out.extend_from_slice(palette.start(event.level).as_bytes());
                        out.extend_from_slice(name.as_bytes());
                        out.extend_from_slice(Palette::RESET.as_bytes());
                        chars = Some(name.len());
                    }
                    None => out.extend_from_slice(name.as_bytes()),
                }
            }
            FieldRef::Target => escape::write_escaped(out, &event.target, Mode::Text),
            FieldRef::Message => escape::write_escaped(out, &event.message, Mode::Text),
            FieldRef::Kv => self.write_kv(event, out),
            FieldRef::Module => write_opt(out, event.module_path.as_deref()),
            FieldRef::File => write_opt(out, event.file.as_deref()),
            FieldRef::Line => {
                if let Some(line) = event.line {
                    super::write_u64(out, u64::from(line));
                }
            }
            FieldRef::Thread => escape::write_escaped(out, &event.thread, Mode::Text),
            FieldRef::Key(key) => match (trace_field(event, key), event.fields.get(key)) {
                (Some(hex), _) => out.extend_from_slice(hex.as_str().as_bytes()),
                (None, Some(value)) => write_value(out, value, Mode::Text),
                (None, None) => {}
            },
            _ => {}
        }
        if let Some(width) = placeholder.width {
            let chars = chars.unwrap_or_else(|| count_chars(out.get(start..).unwrap_or_default()));
            pad(out, start, chars, width, placeholder.align);
        }
    }

    fn write_kv(&self, event: &Event, out: &mut Vec<u8>) {
        if let Some(trace) = &event.trace {
            for (key, hex) in trace.fields() {
                if !self.named.iter().any(|named| named == key) {
                    out.push(b' ');
                    out.extend_from_slice(key.as_bytes());
                    out.push(b'=');
                    out.extend_from_slice(hex.as_str().as_bytes());
                }
            }
        }
        for (key, value) in event.fields.iter() {
            if self.named.iter().any(|named| named == key) || trace_field(event, key).is_some() {
                continue;
            }
            out.push(b' ');
            escape::write_escaped(out, key, Mode::Text);
            out.push(b'=');
            write_kv_value(out, value);
        }
    }
}

impl Renderer for Plain {
    fn render(&self, event: &Event, out: &mut Vec<u8>) {
        for step in &self.steps {
            match step {
                Step::Text(text) => out.extend_from_slice(text),
                Step::Level(levels) => {
                    let text = levels.get(event.level as usize - 1);
                    out.extend_from_slice(text.map_or(&[][..], |text| &text[..]));
                }
                Step::Field(placeholder) => self.placeholder(placeholder, event, out),
            }
        }
        out.push(b'\n');
    }
}

/// The trace context's field `key` (`trace_id`, `span_id`, `trace_flags`) when the event
/// has one: it takes the place of a record field of the same name.
fn trace_field(event: &Event, key: &str) -> Option<crate::trace::HexBuf> {
    let trace = event.trace.as_ref()?;
    trace
        .fields()
        .into_iter()
        .find(|(name, _)| *name == key)
        .map(|(_, hex)| hex)
}

fn write_opt(out: &mut Vec<u8>, text: Option<&str>) {
    if let Some(text) = text {
        escape::write_escaped(out, text, Mode::Text);
    }
}

/// Writes a value, escaped for `mode` (without quotes).
fn write_value(out: &mut Vec<u8>, value: &Value, mode: Mode) {
    match value {
        Value::Str(text) => escape::write_escaped(out, text, mode),
        // Numbers, booleans and null never contain anything to escape.
        Value::U64(n) => super::write_u64(out, *n),
        Value::I64(n) => super::write_i64(out, *n),
        Value::Null | Value::Bool(_) | Value::F64(_) => {
            let _ = write!(out, "{value}");
        }
        Value::Error(_) | Value::List(_) => {
            let _ = write!(Escaping { out, mode }, "{value}");
        }
    }
}

/// Writes a `{kv}` value, quoted when [`escape::needs_quotes`] says so.
fn write_kv_value(out: &mut Vec<u8>, value: &Value) {
    let quoted = match value {
        Value::Str(text) => escape::needs_quotes(text),
        Value::Null | Value::Bool(_) | Value::I64(_) | Value::U64(_) | Value::F64(_) => false,
        Value::Error(_) | Value::List(_) => {
            let mut check = QuoteCheck::default();
            let _ = write!(check, "{value}");
            check.needs || !check.written
        }
    };
    if quoted {
        out.push(b'"');
        write_value(out, value, Mode::Quoted);
        out.push(b'"');
    } else {
        write_value(out, value, Mode::Text);
    }
}

/// The number of `char`s in UTF-8 `bytes` (those that are not continuation bytes).
fn count_chars(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| (b as i8) >= -0x40).count()
}

/// Pads the text at `out[start..]`, `chars` characters long, to `width` characters.
fn pad(out: &mut Vec<u8>, start: usize, chars: usize, width: usize, align: Align) {
    let Some(padding) = width.checked_sub(chars).filter(|&n| n > 0) else {
        return;
    };
    let before = match align {
        Align::Left => 0,
        Align::Right => padding,
        _ => padding / 2,
    };
    out.resize(out.len() + padding, b' ');
    if before > 0 {
        if let Some(text) = out.get_mut(start..) {
            text.rotate_right(before);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn padded(text: &str, width: usize, align: Align) -> String {
        let mut out = b"ab".to_vec();
        out.extend_from_slice(text.as_bytes());
        pad(&mut out, 2, text.chars().count(), width, align);
        String::from_utf8(out).expect("UTF-8")
    }

    #[test]
    fn counts_chars_not_bytes() {
        assert_eq!(count_chars("héllo✓日本".as_bytes()), 8);
        assert_eq!(count_chars(b""), 0);
    }

    #[test]
    fn alignment_with_unicode() {
        assert_eq!(padded("é✓", 5, Align::Left), "abé✓   ");
        assert_eq!(padded("é✓", 5, Align::Right), "ab   é✓");
        assert_eq!(padded("é✓", 5, Align::Center), "ab é✓  ");
        assert_eq!(padded("日本語", 3, Align::Right), "ab日本語");
        assert_eq!(padded("toolong", 3, Align::Center), "abtoolong");
        assert_eq!(padded("", 2, Align::Center), "ab  ");
    }

    fn kv(value: Value) -> String {
        let mut out = Vec::new();
        write_kv_value(&mut out, &value);
        String::from_utf8(out).expect("UTF-8")
    }

    #[test]
    fn kv_quoting() {
        assert_eq!(kv(Value::from("plain")), "plain");
        assert_eq!(kv(Value::from("")), r#""""#);
        assert_eq!(kv(Value::from("two words")), r#""two words""#);
        assert_eq!(kv(Value::from("a=b")), r#""a=b""#);
        assert_eq!(kv(Value::from(r#"say "hi""#)), r#""say \"hi\"""#);
        assert_eq!(kv(Value::from(r"C:\dir")), r#""C:\\dir""#);
        assert_eq!(kv(Value::from("x\ny")), r#""x\ny""#);
        assert_eq!(kv(Value::from(-3)), "-3");
        assert_eq!(kv(Value::from(1.5)), "1.5");
        assert_eq!(kv(Value::F64(f64::NAN)), "NaN");
        assert_eq!(kv(Value::Null), "null");
        assert_eq!(kv(Value::Bool(true)), "true");
        assert_eq!(
            kv(Value::List(vec![Value::from(1), Value::from("a\"")])),
            r#""[1, a\"]""#
        );
        assert_eq!(kv(Value::List(vec![Value::from("x")])), "[x]");
        assert_eq!(kv(Value::List(vec![Value::from("")])), "[]");
        let error = crate::ErrorValue {
            message: "boom".to_owned(),
            sources: vec!["disk\x1b full".to_owned()],
        };
        assert_eq!(
            kv(Value::Error(Box::new(error))),
            r#""boom: disk\x1b full""#
        );
        let bare = crate::ErrorValue {
            message: String::new(),
            sources: Vec::new(),
        };
        assert_eq!(kv(Value::Error(Box::new(bare))), r#""""#);
    }
}
