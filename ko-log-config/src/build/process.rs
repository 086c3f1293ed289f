//! `processors = [...]`: each entry's `type`, and the table's other keys kept as located
//! [`Params`](crate::node::Params) for the runtime's processor of that name.

use super::Cx;
use crate::node::{KeyPath, Node, NodeValue};
use crate::{ConfigError, ProcessorConfig};

/// Reads a handler's `processors` list.
pub(super) fn processors(
    cx: &Cx,
    node: &Node,
    path: &KeyPath,
) -> Result<Vec<ProcessorConfig>, ConfigError> {
    match &node.value {
        NodeValue::Seq(items) => {
            let mut processors = Vec::with_capacity(items.len());
            for (index, item) in items.iter().enumerate() {
                // In a check, a refused processor is left out and the others checked.
                let built = processor(cx, item, &path.index(index)).map(Some);
                if let Some(built) = cx.recover(built, || None)? {
                    processors.push(built);
                }
            }
            Ok(processors)
        }
        NodeValue::Null => Ok(Vec::new()),
        _ => cx.recover(
            Err(cx.error(
                crate::ConfigErrorKind::InvalidValue,
                node.mark(),
                path,
                format!("expected a list of processors, found {}", node.kind_name()),
            )),
            Vec::new,
        ),
    }
}

/// Reads one processor from its table, or from a bare type name (`"filter_markup"`).
fn processor(cx: &Cx, node: &Node, path: &KeyPath) -> Result<ProcessorConfig, ConfigError> {
    let (name, params) = super::component(cx, node, path, "a processor table or type name")?;
    Ok(ProcessorConfig { name, params })
}
