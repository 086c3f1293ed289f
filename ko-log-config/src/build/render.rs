//! `renderer = { type = ... }`: the `type`, and the table's other keys kept as located
//! [`Params`] for the runtime's renderer of that name.

use super::Cx;
use crate::node::{KeyPath, Node, NodeValue, Params};
use crate::{ConfigError, RendererConfig};

const TYPE: &[&str] = &["type"];

/// Reads a renderer from its table, or from a bare type name (`renderer = "json"`).
pub(super) fn renderer(
    cx: &Cx,
    node: &Node,
    path: &KeyPath,
) -> Result<RendererConfig, ConfigError> {
    let bare;
    let (name, type_mark, table) = match node.as_str() {
        Some(name) => {
            bare = Node::new(NodeValue::Map(Vec::new()), node.mark());
            (name, node.mark(), &bare)
        }
        None => {
            cx.table(node, path, "a renderer table or type name")?;
            let (name, mark) = cx.type_of(node, path, &[])?;
            (name, mark, node)
        }
    };
    Ok(RendererConfig {
        name: name.to_owned(),
        params: Params::new(
            name,
            table.clone(),
            type_mark,
            path.clone(),
            cx.source.clone(),
            TYPE,
        ),
    })
}
