//! YAML into a [`Node`] tree, with `saphyr`'s marked loader.
//!
//! `saphyr` is pure Rust and maintained; its `MarkedYaml` nodes carry the line and
//! column of every key and value. Scalars are loaded unresolved and resolved here with
//! the YAML 1.2 core schema, with one deliberate difference: a plain number written with
//! a leading zero (`0640`) stays a string, because YAML 1.1 read it as octal and 1.2 as
//! decimal; the key that receives it (`file_mode`) decides. One document per file;
//! anchors and aliases are expanded by the loader (within its node budget).
//!
//! Merge keys (YAML 1.1 `<<`) are resolved here: `<<: *defaults` inserts the keys of the
//! anchored mapping, `<<: [*a, *b]` those of each mapping in turn. A key written in the
//! mapping itself wins over a merged one, and an earlier mapping of the list over a later
//! one; merged keys take the place of the `<<` in document order. Merged keys and values
//! keep the locations of the anchored mapping, so a mistake inside one is reported at
//! the anchor's lines. A `<<` whose value is not a mapping (or an alias of one, or a list
//! of them) is refused at that value.

use std::borrow::Cow;
use std::collections::HashSet;

use saphyr::{MarkedYaml, Scalar, ScalarStyle, Tag, YamlData, YamlLoader};
use saphyr_parser::{Marker, Parser};

use super::{check_depth, syntax_error, Key, MapBuilder, Node, NodeValue};
use crate::source::{Mark, Source};
use crate::ConfigError;

pub(super) fn parse(source: &Source) -> Result<Node, ConfigError> {
    let mut loader: YamlLoader<'_, MarkedYaml<'_>> = YamlLoader::default();
    loader.early_parse(false);
    let mut parser = Parser::new_from_str(source.text());
    let scan_error = |e: saphyr::ScanError| {
        let mark = mark(source, *e.marker());
        syntax_error(source, mark, e.info().to_owned()).with_source(e)
    };
    parser.load(&mut loader, true).map_err(scan_error)?;
    if let Some(e) = loader.error() {
        return Err(scan_error(e.clone()));
    }
    let mut documents = loader.into_documents().into_iter();
    let Some(document) = documents.next() else {
        return Ok(Node::new(NodeValue::Null, source.mark_at(0)));
    };
    if let Some(second) = documents.next() {
        return Err(syntax_error(
            source,
            mark(source, second.span.start),
            "a config file holds one YAML document, this is a second one",
        ));
    }
    node(source, &document, 1)
}

fn mark(source: &Source, marker: Marker) -> Mark {
    source.mark_at_line_col(marker.line(), marker.col())
}

fn node(source: &Source, yaml: &MarkedYaml<'_>, depth: usize) -> Result<Node, ConfigError> {
    let at = mark(source, yaml.span.start);
    check_depth(source, depth, at)?;
    let value = match &yaml.data {
        YamlData::Representation(text, style, tag) => scalar(text, *style, tag.as_deref())
            .ok_or_else(|| {
                syntax_error(source, at, format!("invalid value `{text}` for its tag"))
            })?,
        YamlData::Value(value) => from_scalar(value),
        YamlData::Sequence(items) => NodeValue::Seq(
            items
                .iter()
                .map(|item| node(source, item, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        YamlData::Mapping(entries) => mapping(source, entries, depth)?,
        YamlData::Tagged(_, inner) => return node(source, inner, depth + 1),
        YamlData::Alias(_) => return Err(syntax_error(source, at, "unresolved alias")),
        YamlData::BadValue => return Err(syntax_error(source, at, "invalid value")),
    };
    Ok(Node::new(value, at))
}

/// The entries of one table.
type Entries = Vec<(Key, Node)>;

/// A mapping, with its merge keys (`<<`) resolved (see the module doc).
fn mapping<'a, 'y: 'a>(
    source: &Source,
    entries: impl IntoIterator<Item = (&'a MarkedYaml<'y>, &'a MarkedYaml<'y>)>,
    depth: usize,
) -> Result<NodeValue, ConfigError> {
    let mut map = MapBuilder::new(source);
    // Each merge key's tables, with how many explicit keys come before it.
    let mut merges: Vec<(usize, Vec<Entries>)> = Vec::new();
    for (key, value) in entries {
        if is_merge_key(key) {
            merges.push((map.len(), merged(source, value, depth + 1)?));
            continue;
        }
        let key = Key::new(key_name(source, key)?, mark(source, key.span.start));
        map.push(key, node(source, value, depth + 1)?)?;
    }
    if merges.is_empty() {
        return Ok(map.finish());
    }
    let explicit = map.into_entries();
    // Explicit keys win over merged ones, and an earlier merged table over a later one.
    let mut taken: HashSet<String> = explicit.iter().map(|(k, _)| k.name.clone()).collect();
    let mut out = Vec::with_capacity(explicit.len());
    let mut explicit = explicit.into_iter();
    let mut written = 0;
    for (before, tables) in merges {
        out.extend(explicit.by_ref().take(before - written));
        written = before;
        for (key, value) in tables.into_iter().flatten() {
            if taken.insert(key.name.clone()) {
                out.push((key, value));
            }
        }
    }
    out.extend(explicit);
    Ok(NodeValue::Map(out))
}

/// Whether `key` is the merge key: a plain `<<`, or one tagged `!!merge`.
fn is_merge_key(key: &MarkedYaml<'_>) -> bool {
    match &key.data {
        YamlData::Representation(text, style, tag) => {
            text == "<<"
                && match tag {
                    None => *style == ScalarStyle::Plain,
                    Some(tag) => tag.is_yaml_core_schema() && tag.suffix == "merge",
                }
        }
        _ => false,
    }
}

/// The tables a merge key's value brings in, in order: one mapping, or a list of them
/// (after alias expansion, each keeps the locations of the anchored mapping).
fn merged(
    source: &Source,
    value: &MarkedYaml<'_>,
    depth: usize,
) -> Result<Vec<Entries>, ConfigError> {
    let table = |yaml: &MarkedYaml<'_>, depth: usize, in_list: bool| {
        let node = node(source, yaml, depth)?;
        match node.value {
            NodeValue::Map(entries) => Ok(entries),
            _ => Err(syntax_error(
                source,
                node.mark(),
                format!(
                    "a merge key `<<` takes a mapping, an alias of one, or a list of them; {} {}",
                    if in_list { "this item is" } else { "this is" },
                    node.kind_name()
                ),
            )),
        }
    };
    match &value.data {
        YamlData::Sequence(items) => {
            check_depth(source, depth, mark(source, value.span.start))?;
            items
                .iter()
                .map(|item| table(item, depth + 1, true))
                .collect()
        }
        _ => Ok(vec![table(value, depth, false)?]),
    }
}

/// A mapping key as text: keys must be scalars.
fn key_name(source: &Source, key: &MarkedYaml<'_>) -> Result<String, ConfigError> {
    match &key.data {
        YamlData::Representation(text, _, _) => Ok(text.to_string()),
        YamlData::Value(value) => Ok(match from_scalar(value) {
            NodeValue::String(s) => s,
            NodeValue::Int(i) => i.to_string(),
            NodeValue::Float(f) => f.to_string(),
            NodeValue::Bool(b) => b.to_string(),
            _ => String::new(),
        }),
        YamlData::Tagged(_, inner) => key_name(source, inner),
        _ => Err(syntax_error(
            source,
            mark(source, key.span.start),
            "a key must be a string, not a list or table",
        )),
    }
}

/// Resolves a scalar as written (see the module doc); `None` when a core tag rejects it.
fn scalar(text: &str, style: ScalarStyle, tag: Option<&Tag>) -> Option<NodeValue> {
    if style != ScalarStyle::Plain {
        return Some(NodeValue::String(text.to_owned()));
    }
    if let Some(tag) = tag {
        if tag.is_yaml_core_schema() && tag.suffix == "str" {
            return Some(NodeValue::String(text.to_owned()));
        }
        let tag = Cow::Borrowed(tag);
        return Scalar::parse_from_cow_and_metadata(Cow::Borrowed(text), style, Some(&tag))
            .map(|s| from_scalar(&s));
    }
    if has_leading_zero(text) {
        return Some(NodeValue::String(text.to_owned()));
    }
    if text.is_empty() {
        return Some(NodeValue::Null);
    }
    Some(from_scalar(&Scalar::parse_from_cow(Cow::Borrowed(text))))
}

/// `0640`, `-007`: digits after a leading zero.
fn has_leading_zero(text: &str) -> bool {
    let digits = text.trim_start_matches(['-', '+']);
    digits.len() > 1 && digits.starts_with('0') && digits.bytes().all(|b| b.is_ascii_digit())
}

fn from_scalar(scalar: &Scalar<'_>) -> NodeValue {
    match scalar {
        Scalar::Null => NodeValue::Null,
        Scalar::Boolean(b) => NodeValue::Bool(*b),
        Scalar::Integer(i) => NodeValue::Int(*i),
        Scalar::FloatingPoint(f) => NodeValue::Float(f.into_inner()),
        Scalar::String(s) => NodeValue::String(s.to_string()),
    }
}
