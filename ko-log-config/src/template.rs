//! The `format` template of the plain and colored renderers, compiled at load time.
//!
//! Syntax: literal text with placeholders `{name}` or `{name:<8}` (`<` left, `>` right,
//! `^` center, then a minimum width); `{{` and `}}` are literal braces. Names: `time`,
//! `level`, `target`, `message`, `kv` (the fields not named elsewhere in the template, as
//! ` key=value`), `module`, `file`, `line`, `thread`, or any field key of the record
//! (empty when the record lacks it).

use std::fmt;

/// A compiled line template.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Template {
    source: String,
    pieces: Vec<Piece>,
}

/// One part of a compiled template.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Piece {
    /// Text copied as is (braces already unescaped).
    Literal(String),
    /// A `{...}` placeholder.
    Field(Placeholder),
}

/// A `{name:<width}` placeholder.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Placeholder {
    /// What to write.
    pub field: FieldRef,
    /// Minimum width in characters, padded with spaces.
    pub width: Option<usize>,
    /// Where the padding goes.
    pub align: Align,
}

impl Placeholder {
    /// `field`, padded to `width` on the side `align` says.
    pub fn new(field: FieldRef, width: Option<usize>, align: Align) -> Placeholder {
        Placeholder {
            field,
            width,
            align,
        }
    }
}

/// What a placeholder refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FieldRef {
    /// `{time}`: the record's timestamp in the renderer's `time_format`.
    Time,
    /// `{level}`: `ERROR`, `WARN`, `INFO`, `DEBUG`, `TRACE`.
    Level,
    /// `{target}`: the `log` target (logger name).
    Target,
    /// `{message}`.
    Message,
    /// `{kv}`: every field not named by another placeholder, as ` key=value`.
    Kv,
    /// `{module}`: the module path of the call site.
    Module,
    /// `{file}`: the source file of the call site.
    File,
    /// `{line}`: the source line of the call site.
    Line,
    /// `{thread}`: the name (or id) of the calling thread.
    Thread,
    /// `{anything_else}`: the record field with that key.
    Key(String),
}

/// Padding side for a placeholder with a width.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Align {
    /// `<` (default).
    #[default]
    Left,
    /// `>`.
    Right,
    /// `^`.
    Center,
}

/// Why a template failed to compile, with the byte offset in the template text.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TemplateError {
    /// Byte offset in the template of the offending character.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (at offset {} of the template)",
            self.message, self.offset
        )
    }
}

impl std::error::Error for TemplateError {}

impl Template {
    /// The default template: `{time} {level:<5} [{target}] {message}{kv}`.
    pub const DEFAULT: &'static str = "{time} {level:<5} [{target}] {message}{kv}";

    /// Compiles a template.
    ///
    /// Refused, with the byte offset of the offending character: a `{` without its `}`,
    /// a `}` that is not `}}`, an empty or malformed name, and a spec other than an
    /// optional alignment (`<`, `>`, `^`) followed by a width.
    pub fn parse(source: &str) -> Result<Template, TemplateError> {
        let mut pieces = Vec::new();
        let mut literal = String::new();
        let mut chars = source.char_indices().peekable();
        while let Some((offset, c)) = chars.next() {
            match c {
                '{' if chars.peek().map(|&(_, c)| c) == Some('{') => {
                    chars.next();
                    literal.push('{');
                }
                '{' => {
                    let close = source
                        .get(offset + 1..)
                        .and_then(|rest| rest.find(['{', '}']).map(|i| (i, rest.as_bytes().get(i))))
                        .filter(|&(_, b)| b == Some(&b'}'))
                        .map(|(i, _)| offset + 1 + i)
                        .ok_or_else(|| {
                            error(offset, "unclosed `{` (write `{{` for a literal brace)")
                        })?;
                    let inner = source.get(offset + 1..close).unwrap_or_default();
                    if !literal.is_empty() {
                        pieces.push(Piece::Literal(std::mem::take(&mut literal)));
                    }
                    pieces.push(Piece::Field(placeholder(inner, offset + 1)?));
                    while chars.peek().is_some_and(|&(i, _)| i <= close) {
                        chars.next();
                    }
                }
                '}' if chars.peek().map(|&(_, c)| c) == Some('}') => {
                    chars.next();
                    literal.push('}');
                }
                '}' => {
                    return Err(error(
                        offset,
                        "unmatched `}` (write `}}` for a literal brace)",
                    ))
                }
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            pieces.push(Piece::Literal(literal));
        }
        Ok(Template {
            source: source.to_owned(),
            pieces,
        })
    }

    /// The template as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The compiled pieces, in order.
    pub fn pieces(&self) -> &[Piece] {
        &self.pieces
    }

    /// Whether the template names the record field `key` by its own placeholder
    /// (such fields are left out of `{kv}`).
    pub fn names_key(&self, key: &str) -> bool {
        self.pieces.iter().any(|piece| {
            matches!(piece, Piece::Field(Placeholder { field: FieldRef::Key(k), .. }) if k == key)
        })
    }
}

fn error(offset: usize, message: &str) -> TemplateError {
    TemplateError {
        offset,
        message: message.to_owned(),
    }
}

/// Compiles the inside of `{...}`, which starts at byte `start` of the template.
fn placeholder(inner: &str, start: usize) -> Result<Placeholder, TemplateError> {
    let (name, spec) = match inner.split_once(':') {
        Some((name, spec)) => (name, Some(spec)),
        None => (inner, None),
    };
    if name.is_empty() {
        return Err(error(start, "empty placeholder name"));
    }
    if let Some((i, c)) = name
        .char_indices()
        .find(|&(_, c)| !(c.is_alphanumeric() || c == '_' || c == '.' || c == '-'))
    {
        return Err(TemplateError {
            offset: start + i,
            message: format!("invalid character `{c}` in placeholder name `{name}`"),
        });
    }
    let field = match name {
        "time" => FieldRef::Time,
        "level" => FieldRef::Level,
        "target" => FieldRef::Target,
        "message" => FieldRef::Message,
        "kv" => FieldRef::Kv,
        "module" => FieldRef::Module,
        "file" => FieldRef::File,
        "line" => FieldRef::Line,
        "thread" => FieldRef::Thread,
        key => FieldRef::Key(key.to_owned()),
    };
    let (align, width) = match spec {
        None => (Align::Left, None),
        Some(spec) => self::spec(spec, start + name.len() + 1)?,
    };
    Ok(Placeholder {
        field,
        width,
        align,
    })
}

/// Compiles a spec (`<8`, `>5`, `^10`, `12`), which starts at byte `start`.
fn spec(spec: &str, start: usize) -> Result<(Align, Option<usize>), TemplateError> {
    let (align, digits, digits_start) = match spec.chars().next() {
        None => return Err(error(start, "empty format spec after `:`")),
        Some('<') => (Align::Left, spec.get(1..).unwrap_or_default(), start + 1),
        Some('>') => (Align::Right, spec.get(1..).unwrap_or_default(), start + 1),
        Some('^') => (Align::Center, spec.get(1..).unwrap_or_default(), start + 1),
        Some(_) => (Align::Left, spec, start),
    };
    if digits.is_empty() {
        return Err(error(digits_start, "expected a width after the alignment"));
    }
    if let Some((i, c)) = digits.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        return Err(TemplateError {
            offset: digits_start + i,
            message: format!(
                "unknown format spec character `{c}`: expected an alignment (`<`, `>`, `^`) and a width"
            ),
        });
    }
    let width = digits
        .parse::<usize>()
        .ok()
        .filter(|&w| w <= MAX_WIDTH)
        .ok_or_else(|| error(digits_start, "width is larger than 1000"))?;
    Ok((align, Some(width)))
}

/// The widest padding a placeholder may ask for.
const MAX_WIDTH: usize = 1000;

impl Default for Template {
    fn default() -> Self {
        match Template::parse(Template::DEFAULT) {
            Ok(template) => template,
            Err(_) => Template {
                source: String::new(),
                pieces: Vec::new(),
            },
        }
    }
}
