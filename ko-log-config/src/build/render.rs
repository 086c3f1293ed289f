//! `renderer = { type = ... }`: dispatch on `type`; compile templates and time formats.

use serde::Deserialize;

use super::values::{ColorDe, ColorModeDe, Count, NonEmpty, TimezoneDe};
use super::Cx;
use crate::node::{KeyPath, Node, NodeValue, Params};
use crate::render::BUILTIN;
use crate::render::{
    ColoredConfig, JsonConfig, LevelColors, LogfmtConfig, PlainConfig, TimeFormat,
};
use crate::source::Mark;
use crate::{ConfigError, ConfigErrorKind, RendererConfig, Template};

const TYPE: &[&str] = &["type"];

/// The largest `indent`.
const MAX_INDENT: usize = 16;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a renderer table")]
struct RawPlain {
    format: Option<String>,
    time_format: Option<String>,
    timezone: Option<TimezoneDe>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a renderer table")]
struct RawJson {
    flatten: Option<bool>,
    fields_key: Option<NonEmpty>,
    pretty: Option<bool>,
    indent: Option<Count>,
    timezone: Option<TimezoneDe>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a renderer table")]
struct RawColored {
    format: Option<String>,
    time_format: Option<String>,
    timezone: Option<TimezoneDe>,
    colors: Option<RawColors>,
    color: Option<ColorModeDe>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a renderer table")]
struct RawLogfmt {
    time_key: Option<String>,
    level_key: Option<String>,
    target_key: Option<String>,
    message_key: Option<String>,
    time_format: Option<String>,
    timezone: Option<TimezoneDe>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table of level colors")]
struct RawColors {
    error: Option<ColorDe>,
    #[serde(alias = "warning")]
    warn: Option<ColorDe>,
    info: Option<ColorDe>,
    debug: Option<ColorDe>,
    trace: Option<ColorDe>,
}

/// Builds a renderer from its table, or from a bare type name (`renderer = "json"`).
pub(super) fn renderer(
    cx: &Cx,
    node: &Node,
    path: &KeyPath,
) -> Result<RendererConfig, ConfigError> {
    if let Some(name) = node.as_str() {
        return match name {
            "plain" => Ok(RendererConfig::Plain(PlainConfig::default())),
            "json" => Ok(RendererConfig::Json(JsonConfig::default())),
            "colored" => Ok(RendererConfig::Colored(ColoredConfig::default())),
            "logfmt" => Ok(RendererConfig::Logfmt(LogfmtConfig::default())),
            other => {
                let bare = Node::new(NodeValue::Map(Vec::new()), node.mark());
                Ok(custom(cx, other, &bare, node.mark(), path))
            }
        };
    }
    cx.table(node, path, "a renderer table or type name")?;
    let (name, type_mark) = cx.type_of(node, path, BUILTIN)?;
    Ok(match name {
        "plain" => {
            let raw: RawPlain = cx.de(node, path, TYPE)?;
            RendererConfig::Plain(PlainConfig {
                format: cx.recover(
                    template(cx, raw.format.as_deref(), node, path),
                    Template::default,
                )?,
                time_format: cx.recover(
                    time_format(cx, raw.time_format.as_deref(), node, path),
                    TimeFormat::default,
                )?,
                timezone: raw.timezone.map(|t| t.0).unwrap_or_default(),
            })
        }
        "json" => {
            let raw: RawJson = cx.de(node, path, TYPE)?;
            let defaults = JsonConfig::default();
            let mut indent = raw.indent.map_or(defaults.indent, |i| i.0);
            if indent > MAX_INDENT {
                let mark = node.get("indent").map_or(node.mark(), Node::mark);
                let error = cx.error(
                    ConfigErrorKind::InvalidValue,
                    mark,
                    &path.key("indent"),
                    format!("indent {indent} is larger than {MAX_INDENT}"),
                );
                indent = cx.recover(Err(error), || defaults.indent)?;
            }
            RendererConfig::Json(JsonConfig {
                flatten: raw.flatten.unwrap_or(defaults.flatten),
                fields_key: raw.fields_key.map_or(defaults.fields_key, |k| k.0),
                pretty: raw.pretty.unwrap_or(defaults.pretty),
                indent,
                timezone: raw.timezone.map(|t| t.0).unwrap_or_default(),
            })
        }
        "colored" => {
            let raw: RawColored = cx.de(node, path, TYPE)?;
            let defaults = LevelColors::default();
            let colors = raw.colors.map_or(defaults, |c| LevelColors {
                error: c.error.map_or(defaults.error, |c| c.0),
                warn: c.warn.map_or(defaults.warn, |c| c.0),
                info: c.info.map_or(defaults.info, |c| c.0),
                debug: c.debug.map_or(defaults.debug, |c| c.0),
                trace: c.trace.map_or(defaults.trace, |c| c.0),
            });
            RendererConfig::Colored(ColoredConfig {
                format: cx.recover(
                    template(cx, raw.format.as_deref(), node, path),
                    Template::default,
                )?,
                time_format: cx.recover(
                    time_format(cx, raw.time_format.as_deref(), node, path),
                    TimeFormat::default,
                )?,
                timezone: raw.timezone.map(|t| t.0).unwrap_or_default(),
                colors,
                color: raw.color.map(|c| c.0).unwrap_or_default(),
            })
        }
        "logfmt" => {
            // That the key names are valid and distinct is a rule of `Config::validate`.
            let raw: RawLogfmt = cx.de(node, path, TYPE)?;
            let defaults = LogfmtConfig::default();
            RendererConfig::Logfmt(LogfmtConfig {
                time_key: raw.time_key.unwrap_or(defaults.time_key),
                level_key: raw.level_key.unwrap_or(defaults.level_key),
                target_key: raw.target_key.unwrap_or(defaults.target_key),
                message_key: raw.message_key.unwrap_or(defaults.message_key),
                time_format: time_format(cx, raw.time_format.as_deref(), node, path)?,
                timezone: raw.timezone.map(|t| t.0).unwrap_or_default(),
            })
        }
        other => custom(cx, other, node, type_mark, path),
    })
}

/// Any other `type` names a registered renderer: the runtime resolves it and reads its
/// params from the table.
fn custom(cx: &Cx, name: &str, table: &Node, type_mark: Mark, path: &KeyPath) -> RendererConfig {
    RendererConfig::Custom {
        name: name.to_owned(),
        params: Params::new(
            name,
            table.clone(),
            type_mark,
            path.clone(),
            cx.source.clone(),
            TYPE,
        ),
    }
}

/// The compiled `format` of a renderer table, located through the table.
fn template(
    cx: &Cx,
    text: Option<&str>,
    table: &Node,
    path: &KeyPath,
) -> Result<Template, ConfigError> {
    let Some(text) = text else {
        return Ok(Template::default());
    };
    Template::parse(text).map_err(|e| {
        let node = table.get("format").map_or(table.mark(), Node::mark);
        let mark = cx.source.mark_within(node, text, e.offset);
        cx.error(
            ConfigErrorKind::InvalidValue,
            mark,
            &path.key("format"),
            format!("invalid template: {}", e.message),
        )
        .with_source(e)
    })
}

/// The compiled `time_format` of a renderer table, located through the table.
fn time_format(
    cx: &Cx,
    text: Option<&str>,
    table: &Node,
    path: &KeyPath,
) -> Result<TimeFormat, ConfigError> {
    let Some(text) = text else {
        return Ok(TimeFormat::default());
    };
    TimeFormat::parse(text).map_err(|e| {
        let node = table.get("time_format").map_or(table.mark(), Node::mark);
        let index = e.index;
        let mark = cx.source.mark_within(node, text, index);
        cx.error(
            ConfigErrorKind::InvalidValue,
            mark,
            &path.key("time_format"),
            format!("invalid time format: {e}"),
        )
        .with_source(e)
    })
}

/// The keys of each built-in renderer type (see [`super::keys`]).
#[cfg(test)]
pub(super) fn keys() -> Vec<(&'static str, Vec<&'static str>)> {
    use crate::schema::fields_of;
    let with_type = |own: &[&'static str]| [own, TYPE].concat();
    vec![
        ("plain", with_type(fields_of::<RawPlain>())),
        ("json", with_type(fields_of::<RawJson>())),
        ("colored", with_type(fields_of::<RawColored>())),
        ("logfmt", with_type(fields_of::<RawLogfmt>())),
    ]
}

/// The keys of `colors`.
#[cfg(test)]
pub(super) fn color_keys() -> &'static [&'static str] {
    crate::schema::fields_of::<RawColors>()
}
