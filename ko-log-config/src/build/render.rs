//! `renderer = { type = ... }`: the `type`, and the table's other keys kept as located
//! [`Params`](crate::node::Params) for the runtime's renderer of that name.

use super::Cx;
use crate::node::{KeyPath, Node};
use crate::{ConfigError, RendererConfig};

/// Reads a renderer from its table, or from a bare type name (`renderer = "json"`).
pub(super) fn renderer(
    cx: &Cx,
    node: &Node,
    path: &KeyPath,
) -> Result<RendererConfig, ConfigError> {
    let (name, params) = super::component(cx, node, path, "a renderer table or type name")?;
    Ok(RendererConfig { name, params })
}
