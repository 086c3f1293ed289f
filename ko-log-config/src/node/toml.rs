//! TOML into a [`Node`] tree, with `toml`'s spanned document parser (`DeTable`).

use ::toml::de::{DeTable, DeValue};
use ::toml::Spanned;

use super::{check_depth, syntax_error, Key, MapBuilder, Node, NodeValue};
use crate::source::Source;
use crate::{ConfigError, ConfigErrorKind};

pub(super) fn parse(source: &Source) -> Result<Node, ConfigError> {
    let root = DeTable::parse(source.text()).map_err(|e| {
        let offset = e.span().map_or(0, |span| span.start);
        let message = e.message().to_owned();
        syntax_error(source, source.mark_at(offset), message).with_source(e)
    })?;
    let root_mark = source.mark_at(0);
    let table = table(source, root.get_ref(), 1)?;
    Ok(Node::new(table, root_mark))
}

fn table(source: &Source, table: &DeTable<'_>, depth: usize) -> Result<NodeValue, ConfigError> {
    // `DeTable` orders keys by name; put them back in document order.
    let mut entries: Vec<_> = table.iter().collect();
    entries.sort_by_key(|(key, _)| key.span().start);
    let mut map = MapBuilder::new(source);
    for (key, value) in entries {
        let key = Key::new(key.get_ref().to_string(), source.mark_at(key.span().start));
        map.push(key, node(source, value, depth + 1)?)?;
    }
    Ok(map.finish())
}

fn node(source: &Source, value: &Spanned<DeValue<'_>>, depth: usize) -> Result<Node, ConfigError> {
    let mark = source.mark_at(value.span().start);
    check_depth(source, depth, mark)?;
    let out_of_range = |what: &str| {
        ConfigError::new(
            ConfigErrorKind::InvalidValue,
            format!(
                "{what} `{}` is out of range",
                &source.text().get(value.span()).unwrap_or("")
            ),
        )
        .at(source, mark)
    };
    let value = match value.get_ref() {
        DeValue::String(s) => NodeValue::String(s.to_string()),
        DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
            .map(NodeValue::Int)
            .map_err(|_| out_of_range("integer"))?,
        DeValue::Float(f) => f
            .as_str()
            .parse::<f64>()
            .map(NodeValue::Float)
            .map_err(|_| out_of_range("float"))?,
        DeValue::Boolean(b) => NodeValue::Bool(*b),
        DeValue::Datetime(d) => NodeValue::String(d.to_string()),
        DeValue::Array(items) => NodeValue::Seq(
            items
                .iter()
                .map(|item| node(source, item, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        DeValue::Table(t) => table(source, t, depth)?,
    };
    Ok(Node::new(value, mark))
}
