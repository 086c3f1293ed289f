//! What the configuration takes from the environment: `${VAR}` interpolation in string
//! values, the optional `env_file`, and the level directives of `KO_LOG` ([`directives`]).
//!
//! Every string value (not keys) may hold `${NAME}`, replaced by the environment variable
//! `NAME`, or `${NAME:-default}`, replaced by `default` when `NAME` is unset or empty.
//! `$${` is a literal `${`; any other `$` is kept as is. An unset variable without a
//! default is an error naming it, at the string that uses it. `NAME` is
//! `[A-Za-z_][A-Za-z0-9_]*`; a default runs to the first `}` and is not itself expanded.
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

/// Replaces `${NAME}` and `${NAME:-default}` in `text`, looking names up with `lookup`.
pub fn expand(text: &str, lookup: impl Fn(&str) -> Option<String>) -> Result<String, ExpandError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(dollar) = rest.find('$') {
        let offset = text.len() - rest.len() + dollar;
        let (before, from_dollar) = rest.split_at(dollar);
        out.push_str(before);
        if let Some(after) = from_dollar.strip_prefix("$${") {
            out.push_str("${");
            rest = after;
        } else if let Some(after) = from_dollar.strip_prefix("${") {
            let close = after.find('}').ok_or_else(|| ExpandError {
                offset,
                variable: None,
                message: "unclosed `${` (write `$${` for a literal `${`)".to_owned(),
            })?;
            let (inner, after_close) = after.split_at(close);
            out.push_str(&substitute(inner, offset, &lookup)?);
            rest = after_close.get(1..).unwrap_or_default();
        } else {
            out.push('$');
            rest = from_dollar.get(1..).unwrap_or_default();
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// The value of one `${inner}` found at `offset`.
fn substitute(
    inner: &str,
    offset: usize,
    lookup: &impl Fn(&str) -> Option<String>,
) -> Result<String, ExpandError> {
    let (name, default) = match inner.split_once(":-") {
        Some((name, default)) => (name, Some(default)),
        None => (inner, None),
    };
    if !is_name(name) {
        return Err(ExpandError {
            offset,
            variable: None,
            message: format!("invalid variable name `{name}` in `${{{inner}}}`"),
        });
    }
    match (lookup(name), default) {
        (Some(value), Some(default)) if value.is_empty() => Ok(default.to_owned()),
        (Some(value), _) => Ok(value),
        (None, Some(default)) => Ok(default.to_owned()),
        (None, None) => Err(ExpandError {
            offset,
            variable: Some(name.to_owned()),
            message: format!("environment variable `{name}` is not set"),
        }),
    }
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
    let name = expand(written, |name| std::env::var(name).ok()).map_err(|e| {
        let mark = source.mark_within(node.mark(), written, e.offset);
        ConfigError::new(ConfigErrorKind::Environment, e.message)
            .at(source, mark)
            .with_path(path.to_string())
    })?;
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
            let expanded = expand(text, |name| variables.get(name)).map_err(|e| {
                let at = source.mark_within(mark, text, e.offset);
                let help = e
                    .variable
                    .as_ref()
                    .map(|name| format!("set `{name}`, or give a default: `${{{name}:-value}}`"));
                ConfigError::new(ConfigErrorKind::Environment, e.message)
                    .at(source, at)
                    .with_path(path.to_string())
                    .with_help(help)
            });
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
    }
}
