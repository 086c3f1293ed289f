//! What the configuration takes from the environment: `${VAR}` interpolation in string
//! values, the optional `env_file`, and the level directives of `KO_LOG` ([`directives`]).
//!
//! Every string value (not keys) may hold `${NAME}`, replaced by the environment variable
//! `NAME`, or `${NAME:-default}`, replaced by `default` when `NAME` is unset or empty, or
//! `${NAME:?message}`, an error saying `message` when `NAME` is unset or empty.
//! `$${` is a literal `${`; any other `$` is kept as is. An unset variable without a
//! default is an error naming it, at the string that uses it. `NAME` is
//! `[A-Za-z_][A-Za-z0-9_]*`; a default or message runs to the first `}` and is not itself
//! expanded.
//!
//! A path key (`is_path_key`) whose value starts with variables that are all empty,
//! then a `/`, is refused: `path = "${LOG_DIR}/app.log"` with `LOG_DIR=""` would
//! otherwise write `/app.log`, at the root of the file system.
//!
//! A top-level `env_file = ".env"` (relative to the config file's directory; `${VAR}` in
//! it is expanded from the process environment) is read first. Its variables are used
//! only where the process environment does not set the same name: the process
//! environment is never modified. Its syntax is described in [`parse_dotenv`].

pub mod directives;
mod dotenv;

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

pub use self::directives::{parse_directives, Directive, DirectiveError};
pub use self::dotenv::{parse_dotenv, DotenvError};

use crate::check::Collector;
use crate::node::{KeyPath, Node, NodeValue};
use crate::source::Source;
use crate::{ConfigError, ConfigErrorKind};

/// Why a string could not be interpolated.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExpandError {
    /// Byte offset in the string of the `${` at fault.
    pub offset: usize,
    /// The variable, when the problem is that it is unset.
    pub variable: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ExpandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ExpandError {}

/// Replaces `${NAME}`, `${NAME:-default}` and `${NAME:?message}` in `text`, looking
/// names up with `lookup`.
pub fn expand(text: &str, lookup: impl Fn(&str) -> Option<String>) -> Result<String, ExpandError> {
    expand_tracked(text, lookup).map(|expansion| expansion.text)
}

/// A string after expansion.
struct Expansion {
    text: String,
    /// When the text starts with a `/` written after variables that all expanded to
    /// nothing: the first of those variables (its `${` offset and its name).
    empty_start: Option<(usize, String)>,
}

/// [`expand`], noting whether empty variables left an empty segment at the start.
fn expand_tracked(
    text: &str,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<Expansion, ExpandError> {
    let mut out = String::with_capacity(text.len());
    // The first variable, while every variable so far expanded to nothing and nothing
    // else was written.
    let mut empty: Option<(usize, String)> = None;
    let mut empty_start = None;
    let mut literal = |out: &mut String, piece: &str, empty: &Option<(usize, String)>| {
        if out.is_empty() && piece.starts_with('/') && empty_start.is_none() {
            empty_start.clone_from(empty);
        }
        out.push_str(piece);
    };
    let mut rest = text;
    while let Some(dollar) = rest.find('$') {
        let offset = text.len() - rest.len() + dollar;
        let (before, from_dollar) = rest.split_at(dollar);
        literal(&mut out, before, &empty);
        if let Some(after) = from_dollar.strip_prefix("$${") {
            literal(&mut out, "${", &empty);
            rest = after;
        } else if let Some(after) = from_dollar.strip_prefix("${") {
            let close = after.find('}').ok_or_else(|| ExpandError {
                offset,
                variable: None,
                message: "unclosed `${` (write `$${` for a literal `${`)".to_owned(),
            })?;
            let (inner, after_close) = after.split_at(close);
            let (name, value) = substitute(inner, offset, &lookup)?;
            if out.is_empty() && value.is_empty() && empty.is_none() {
                empty = Some((offset, name.to_owned()));
            }
            out.push_str(&value);
            rest = after_close.get(1..).unwrap_or_default();
        } else {
            literal(&mut out, "$", &empty);
            rest = from_dollar.get(1..).unwrap_or_default();
        }
    }
    literal(&mut out, rest, &empty);
    Ok(Expansion {
        text: out,
        empty_start,
    })
}

/// The name and value of one `${inner}` found at `offset`.
fn substitute<'a>(
    inner: &'a str,
    offset: usize,
    lookup: &impl Fn(&str) -> Option<String>,
) -> Result<(&'a str, String), ExpandError> {
    enum Unset<'a> {
        Error,
        Default(&'a str),
        Message(&'a str),
    }
    let (name, unset) = match inner.split_once(':') {
        Some((name, rest)) => match (rest.strip_prefix('-'), rest.strip_prefix('?')) {
            (Some(default), _) => (name, Unset::Default(default)),
            (_, Some(message)) => (name, Unset::Message(message)),
            _ => (inner, Unset::Error),
        },
        None => (inner, Unset::Error),
    };
    if !is_name(name) {
        return Err(ExpandError {
            offset,
            variable: None,
            message: format!("invalid variable name `{name}` in `${{{inner}}}`"),
        });
    }
    let value = match (lookup(name), unset) {
        (Some(value), Unset::Default(default)) if value.is_empty() => default.to_owned(),
        (Some(value), Unset::Message(message)) if value.is_empty() => {
            return Err(unset_or_empty(offset, name, message))
        }
        (Some(value), _) => value,
        (None, Unset::Default(default)) => default.to_owned(),
        (None, Unset::Message(message)) => return Err(unset_or_empty(offset, name, message)),
        (None, Unset::Error) => {
            return Err(ExpandError {
                offset,
                variable: Some(name.to_owned()),
                message: format!("environment variable `{name}` is not set"),
            })
        }
    };
    Ok((name, value))
}

/// The error of `${name:?message}` when `name` is unset or empty.
fn unset_or_empty(offset: usize, name: &str, message: &str) -> ExpandError {
    let mut text = format!("environment variable `{name}` is unset or empty");
    if !message.is_empty() {
        text.push_str(": ");
        text.push_str(message);
    }
    ExpandError {
        offset,
        variable: Some(name.to_owned()),
        message: text,
    }
}

/// Whether the key at `path` holds a file system path, where an empty variable at the
/// start of the value is refused: `env_file`, and a key of a handler (also in a table of
/// it, such as `spool` or `tls`; not in its `processors` or `renderer`) named `path`,
/// `dir` or `socket` or ending in `_path`, `_dir` or `_file` (`ca_file`).
pub(crate) fn is_path_key(path: &KeyPath) -> bool {
    let keys = path.keys();
    let name = match keys.last() {
        Some(Some(name)) => *name,
        _ => return false,
    };
    match keys.as_slice() {
        [Some("env_file")] => true,
        [Some("handlers"), Some(_), first, ..] if keys.len() > 2 => {
            !matches!(first, Some("processors" | "renderer"))
                && (["path", "dir", "socket"].contains(&name)
                    || ["_path", "_dir", "_file"]
                        .iter()
                        .any(|end| name.ends_with(end)))
        }
        _ => false,
    }
}

/// The error for a path key whose value starts with `${name}` (at `offset`), empty,
/// then a `/`.
fn empty_start_error(text: &str, expanded: &str, name: &str) -> (String, String) {
    (
        format!(
            "`{name}` is empty, so this path starts at the root of the file system: `{text}` became `{expanded}`"
        ),
        format!(
            "set `{name}`, give a default: `${{{name}:-default}}`, or refuse an unset or empty one: `${{{name}:?message}}`; write the leading `/` for an absolute path"
        ),
    )
}

/// `[A-Za-z_][A-Za-z0-9_]*`.
pub(crate) fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The variables of the process environment, then of the `env_file`.
struct Variables {
    file: HashMap<String, String>,
}

impl Variables {
    fn get(&self, name: &str) -> Option<String> {
        std::env::var_os(name)
            .and_then(|v| v.into_string().ok())
            .or_else(|| self.file.get(name).cloned())
    }
}

/// Loads `env_file` (if the document names one) and expands every string value of `root`.
///
/// With `collect` (a check), a string that cannot be expanded is kept as written and its
/// error added there, and the walk goes on; an `env_file` that cannot be read is an error
/// either way (every `${VAR}` after it could be one of its variables).
pub(crate) fn interpolate(
    root: &mut Node,
    source: &Source,
    base_dir: &Path,
    mut collect: Option<&mut Collector>,
) -> Result<(), ConfigError> {
    let file = match root.get("env_file") {
        Some(node) => load_env_file(node, source, base_dir)?,
        None => HashMap::new(),
    };
    let variables = Variables { file };
    walk(root, &KeyPath::root(), source, &variables, &mut collect)
}

fn load_env_file(
    node: &Node,
    source: &Source,
    base_dir: &Path,
) -> Result<HashMap<String, String>, ConfigError> {
    let path = KeyPath::root().key("env_file");
    let located = |kind, message: String| {
        ConfigError::new(kind, message)
            .at(source, node.mark())
            .with_path(path.to_string())
    };
    let Some(written) = node.as_str() else {
        return Err(located(
            ConfigErrorKind::InvalidValue,
            format!("expected a path string, found {}", node.kind_name()),
        ));
    };
    let expansion = expand_tracked(written, |name| std::env::var(name).ok()).map_err(|e| {
        let mark = source.mark_within(node.mark(), written, e.offset);
        ConfigError::new(ConfigErrorKind::Environment, e.message)
            .at(source, mark)
            .with_path(path.to_string())
    })?;
    if let Some((offset, variable)) = &expansion.empty_start {
        let (message, help) = empty_start_error(written, &expansion.text, variable);
        let mark = source.mark_within(node.mark(), written, *offset);
        return Err(ConfigError::new(ConfigErrorKind::Environment, message)
            .at(source, mark)
            .with_path(path.to_string())
            .with_help(Some(help)));
    }
    let name = expansion.text;
    let file = base_dir.join(&name);
    let text = std::fs::read_to_string(&file).map_err(|e| {
        located(
            ConfigErrorKind::Environment,
            format!("cannot read env_file `{}`: {e}", file.display()),
        )
        .with_source(e)
    })?;
    let pairs = parse_dotenv(&text).map_err(|e| {
        let env_source = Source::new(Some(file.clone()), &text);
        let mark = env_source.mark_at_line_col(e.line, 0);
        ConfigError::new(ConfigErrorKind::Environment, e.message.clone())
            .at(&env_source, mark)
            .with_path(path.to_string())
            .with_source(e)
    })?;
    Ok(pairs.into_iter().collect())
}

fn walk(
    node: &mut Node,
    path: &KeyPath,
    source: &Source,
    variables: &Variables,
    collect: &mut Option<&mut Collector>,
) -> Result<(), ConfigError> {
    let mark = node.mark();
    match &mut node.value {
        NodeValue::String(text) if text.contains('$') => {
            let located = |offset: usize, message: String, help: Option<String>| {
                let at = source.mark_within(mark, text, offset);
                ConfigError::new(ConfigErrorKind::Environment, message)
                    .at(source, at)
                    .with_path(path.to_string())
                    .with_help(help)
            };
            let expanded = match expand_tracked(text, |name| variables.get(name)) {
                Ok(Expansion {
                    text: expanded,
                    empty_start: Some((offset, variable)),
                }) if is_path_key(path) => {
                    let (message, help) = empty_start_error(text, &expanded, &variable);
                    Err(located(offset, message, Some(help)))
                }
                Ok(expansion) => Ok(expansion.text),
                Err(e) => {
                    let help = e.variable.as_ref().map(|name| {
                        format!("set `{name}`, or give a default: `${{{name}:-value}}`")
                    });
                    Err(located(e.offset, e.message, help))
                }
            };
            match (expanded, collect) {
                (Ok(expanded), _) => *text = expanded,
                (Err(error), Some(collect)) => collect.push(error),
                (Err(error), None) => return Err(error),
            }
        }
        NodeValue::Seq(items) => {
            for (index, item) in items.iter_mut().enumerate() {
                walk(item, &path.index(index), source, variables, collect)?;
            }
        }
        NodeValue::Map(entries) => {
            for (key, value) in entries.iter_mut() {
                walk(value, &path.key(&key.name), source, variables, collect)?;
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(name: &str) -> Option<String> {
        match name {
            "HOME" => Some("/home/me".to_owned()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn expands() {
        assert_eq!(expand("${HOME}/logs", vars).as_deref(), Ok("/home/me/logs"));
        let two = expand("hi ${HOME}, ${NOPE:-guest}", vars);
        assert_eq!(two.as_deref(), Ok("hi /home/me, guest"));
        assert_eq!(expand("${NOPE:-x}", vars).as_deref(), Ok("x"));
        assert_eq!(expand("${EMPTY:-x}", vars).as_deref(), Ok("x"));
        assert_eq!(
            expand("$${HOME} costs $5", vars).as_deref(),
            Ok("${HOME} costs $5")
        );
        let error = expand("a ${NOPE} b", vars).unwrap_err();
        assert_eq!((error.offset, error.variable.as_deref()), (2, Some("NOPE")));
        assert_eq!(expand("x ${HOME", vars).unwrap_err().offset, 2);
        assert!(expand("${1A}", vars).is_err());
        assert_eq!(expand("${HOME:?no home}", vars).as_deref(), Ok("/home/me"));
        for name in ["EMPTY", "NOPE"] {
            let error = expand(&format!("x${{{name}:?no {name}}}"), vars).unwrap_err();
            assert_eq!((error.offset, error.variable.as_deref()), (1, Some(name)));
            assert_eq!(
                error.message,
                format!("environment variable `{name}` is unset or empty: no {name}")
            );
        }
    }

    #[test]
    fn an_empty_start_is_noted_only_before_a_written_slash() {
        let start = |text: &str| expand_tracked(text, vars).unwrap().empty_start;
        assert_eq!(start("${EMPTY}/app.log"), Some((0, "EMPTY".to_owned())));
        assert_eq!(start("${EMPTY}${NOPE:-}/a"), Some((0, "EMPTY".to_owned())));
        assert_eq!(start("${HOME}/app.log"), None);
        assert_eq!(start("${EMPTY}${HOME}/app.log"), None);
        assert_eq!(start("${EMPTY}app.log"), None);
        assert_eq!(start("/${EMPTY}app.log"), None);
        assert_eq!(start("${NOPE:-/abs}/x"), None);
    }
}
