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
pub struct Template {
    source: String,
    pieces: Vec<Piece>,
}

/// One part of a compiled template.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    /// Text copied as is (braces already unescaped).
    Literal(String),
    /// A `{...}` placeholder.
    Field(Placeholder),
}

/// A `{name:<width}` placeholder.
#[derive(Debug, Clone, PartialEq)]
pub struct Placeholder {
    /// What to write.
    pub field: FieldRef,
    /// Minimum width in characters, padded with spaces.
    pub width: Option<usize>,
    /// Where the padding goes.
    pub align: Align,
}

/// What a placeholder refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    pub fn parse(source: &str) -> Result<Template, TemplateError> {
        let _ = source;
        todo!("parse pieces; unknown spec, unclosed brace, empty name are errors")
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
