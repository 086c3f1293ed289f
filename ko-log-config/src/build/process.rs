//! `processors = [...]`: built-in processors by `type`; any other `type` is kept as
//! [`ProcessorConfig::Custom`] with its located [`Params`] for the runtime to resolve.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::values::{CallsiteFieldDe, Level, Scalar};
use super::Cx;
use crate::node::{KeyPath, Node, NodeValue, Params};
use crate::process::CallsiteField;
use crate::{ConfigError, ProcessorConfig};

const TYPE: &[&str] = &["type"];

/// `redact`'s default keys.
const REDACT_KEYS: &[&str] = &["password", "token", "authorization", "secret"];

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a processor table")]
struct RawAddCallsite {
    fields: Option<Vec<CallsiteFieldDe>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a processor table")]
struct RawAddContextDefaults {
    values: BTreeMap<String, Scalar>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a processor table")]
struct RawDictTracebacks {
    backtrace: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a processor table")]
struct RawFilterByLevel {
    min_level: Level,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a processor table")]
struct RawFilterKeys {
    keys: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a processor table")]
struct RawFilterMarkup {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a processor table")]
struct RawRedact {
    keys: Option<Vec<String>>,
    replacement: Option<String>,
}

/// Builds a handler's `processors` list.
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

/// Builds one processor from its table, or from a bare type name (`"filter_markup"`).
fn processor(cx: &Cx, node: &Node, path: &KeyPath) -> Result<ProcessorConfig, ConfigError> {
    let bare;
    let (name, type_mark, table) = match node.as_str() {
        Some(name) => {
            bare = Node::new(NodeValue::Map(Vec::new()), node.mark());
            (name, node.mark(), &bare)
        }
        None => {
            cx.table(node, path, "a processor table or type name")?;
            let (name, mark) = cx.type_of(node, path, crate::process::BUILTIN)?;
            (name, mark, node)
        }
    };
    Ok(match name {
        "add_callsite" => {
            let raw: RawAddCallsite = cx.de(table, path, TYPE)?;
            ProcessorConfig::AddCallsite {
                fields: raw.fields.map_or_else(
                    || {
                        vec![
                            CallsiteField::File,
                            CallsiteField::Line,
                            CallsiteField::Module,
                        ]
                    },
                    |fields| fields.into_iter().map(|f| f.0).collect(),
                ),
            }
        }
        "add_context_defaults" => {
            let raw: RawAddContextDefaults = cx.de(table, path, TYPE)?;
            ProcessorConfig::AddContextDefaults {
                values: raw.values.into_iter().map(|(k, v)| (k, v.0)).collect(),
            }
        }
        "dict_tracebacks" => {
            let raw: RawDictTracebacks = cx.de(table, path, TYPE)?;
            ProcessorConfig::DictTracebacks {
                backtrace: raw.backtrace.unwrap_or(false),
            }
        }
        "filter_by_level" => {
            let raw: RawFilterByLevel = cx.de(table, path, TYPE)?;
            ProcessorConfig::FilterByLevel {
                min_level: raw.min_level.0,
            }
        }
        "filter_keys" => {
            let raw: RawFilterKeys = cx.de(table, path, TYPE)?;
            ProcessorConfig::FilterKeys { keys: raw.keys }
        }
        "filter_markup" => {
            let _: RawFilterMarkup = cx.de(table, path, TYPE)?;
            ProcessorConfig::FilterMarkup
        }
        "redact" => {
            let raw: RawRedact = cx.de(table, path, TYPE)?;
            ProcessorConfig::Redact {
                keys: raw
                    .keys
                    .unwrap_or_else(|| REDACT_KEYS.iter().map(|k| (*k).to_owned()).collect()),
                replacement: raw.replacement.unwrap_or_else(|| "***".to_owned()),
            }
        }
        other => ProcessorConfig::Custom {
            name: other.to_owned(),
            params: Params::new(
                other,
                table.clone(),
                type_mark,
                path.clone(),
                cx.source.clone(),
                TYPE,
            ),
        },
    })
}

/// The keys of each built-in processor type (see [`super::keys`]).
#[cfg(test)]
pub(super) fn keys() -> Vec<(&'static str, Vec<&'static str>)> {
    use crate::schema::fields_of;
    let with_type = |own: &[&'static str]| [own, TYPE].concat();
    vec![
        ("add_callsite", with_type(fields_of::<RawAddCallsite>())),
        (
            "add_context_defaults",
            with_type(fields_of::<RawAddContextDefaults>()),
        ),
        (
            "dict_tracebacks",
            with_type(fields_of::<RawDictTracebacks>()),
        ),
        (
            "filter_by_level",
            with_type(fields_of::<RawFilterByLevel>()),
        ),
        ("filter_keys", with_type(fields_of::<RawFilterKeys>())),
        ("filter_markup", with_type(fields_of::<RawFilterMarkup>())),
        ("redact", with_type(fields_of::<RawRedact>())),
    ]
}
