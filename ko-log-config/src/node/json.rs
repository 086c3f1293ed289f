//! JSON into a [`Node`] tree, with `jsonc-parser`'s AST (which keeps byte ranges).
//!
//! The parser is configured for strict JSON (RFC 8259): no comments, no trailing or
//! missing commas, no single quotes, hexadecimal, `+1`, `.5`, `NaN` or JSON5 escapes.
//! Repeated keys are refused, as TOML and YAML refuse them. An empty text (only
//! whitespace) is an empty document.

use jsonc_parser::ast::{ObjectPropName, Value};
use jsonc_parser::{parse_to_ast, CollectOptions, ParseOptions};

use super::{check_depth, syntax_error, Key, MapBuilder, Node, NodeValue};
use crate::source::Source;
use crate::{ConfigError, ConfigErrorKind};

fn strict() -> ParseOptions {
    ParseOptions {
        allow_comments: false,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    }
}

pub(super) fn parse(source: &Source) -> Result<Node, ConfigError> {
    let parsed =
        parse_to_ast(source.text(), &CollectOptions::default(), &strict()).map_err(|e| {
            let mark = source.mark_at(e.range().start);
            syntax_error(source, mark, e.kind().to_string()).with_source(e)
        })?;
    match parsed.value {
        Some(value) => node(source, &value, 1),
        None => Ok(Node::new(NodeValue::Null, source.mark_at(0))),
    }
}

fn node(source: &Source, value: &Value<'_>, depth: usize) -> Result<Node, ConfigError> {
    let start = match value {
        Value::StringLit(v) => v.range.start,
        Value::NumberLit(v) => v.range.start,
        Value::BooleanLit(v) => v.range.start,
        Value::Object(v) => v.range.start,
        Value::Array(v) => v.range.start,
        Value::NullKeyword(v) => v.range.start,
    };
    let mark = source.mark_at(start);
    check_depth(source, depth, mark)?;
    let value = match value {
        Value::StringLit(s) => NodeValue::String(s.value.to_string()),
        Value::NumberLit(n) => number(n.value).ok_or_else(|| {
            ConfigError::new(
                ConfigErrorKind::InvalidValue,
                format!("number `{}` is out of range", n.value),
            )
            .at(source, mark)
        })?,
        Value::BooleanLit(b) => NodeValue::Bool(b.value),
        Value::NullKeyword(_) => NodeValue::Null,
        Value::Array(a) => NodeValue::Seq(
            a.elements
                .iter()
                .map(|item| node(source, item, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(o) => {
            let mut map = MapBuilder::new(source);
            for prop in &o.properties {
                let (name, start) = match &prop.name {
                    ObjectPropName::String(s) => (s.value.to_string(), s.range.start),
                    ObjectPropName::Word(w) => (w.value.to_owned(), w.range.start),
                };
                let key = Key::new(name, source.mark_at(start));
                map.push(key, node(source, &prop.value, depth + 1)?)?;
            }
            map.finish()
        }
    };
    Ok(Node::new(value, mark))
}

/// An integer when the literal has no fraction or exponent, else a float.
fn number(text: &str) -> Option<NodeValue> {
    if text.contains(['.', 'e', 'E']) {
        text.parse()
            .ok()
            .filter(|f: &f64| f.is_finite())
            .map(NodeValue::Float)
    } else {
        text.parse().ok().map(NodeValue::Int)
    }
}
