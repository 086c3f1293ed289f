//! `[handlers.NAME]`: the keys every handler takes, and the table's other keys kept as
//! located [`Params`] for the runtime's handler of that `type`.

use log::LevelFilter;
use serde::Deserialize;

use super::values::{Count, Level};
use super::{process, render, Cx};
use crate::handler::{OnError, COMMON};
use crate::node::{KeyPath, Node, Params};
use crate::{ConfigError, HandlerConfig};

#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a table like { keep = 200, level = \"debug\" }"
)]
struct RawOnError {
    keep: Count,
    level: Option<Level>,
}

/// Builds the handler whose table is `node`, at `path` (`handlers.NAME`).
pub(super) fn handler(cx: &Cx, node: &Node, path: &KeyPath) -> Result<HandlerConfig, ConfigError> {
    cx.table(node, path, "a handler table")?;
    let (name, type_mark) = cx.type_of(node, path)?;
    let level = match node.get("level") {
        Some(level) => cx.recover(
            cx.de::<Option<Level>>(level, &path.key("level"), &[])
                .map(|l| l.map(|l| l.0)),
            || None,
        )?,
        None => None,
    };
    let renderer = match node.get("renderer") {
        Some(renderer) => cx.recover(
            render::renderer(cx, renderer, &path.key("renderer")),
            crate::RendererConfig::default,
        )?,
        // The handler may prefer another default (socket: JSON); the runtime asks it,
        // and the params tell it that no renderer was written here.
        None => crate::RendererConfig::default(),
    };
    let processors = match node.get("processors") {
        Some(list) => process::processors(cx, list, &path.key("processors"))?,
        None => Vec::new(),
    };
    let on_error = match node.get("on_error") {
        Some(on_error) => cx.recover(
            cx.de::<Option<RawOnError>>(on_error, &path.key("on_error"), &[])
                .map(|raw| {
                    raw.map(|raw| OnError {
                        keep: raw.keep.0,
                        level: raw.level.map_or(LevelFilter::Debug, |l| l.0),
                    })
                }),
            || None,
        )?,
        None => None,
    };
    let params = Params::new(
        name,
        node.clone(),
        type_mark,
        path.clone(),
        cx.source.clone(),
        COMMON,
    );
    Ok(HandlerConfig {
        name: name.to_owned(),
        params,
        renderer,
        processors,
        level,
        on_error,
    })
}
