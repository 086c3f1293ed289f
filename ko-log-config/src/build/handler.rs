//! `[handlers.NAME]`: dispatch on `type`, then the type's own keys.

use serde::Deserialize;

use super::values::{
    CompressDe, Count, DurationDe, FileMode, JournalPrefixDe, Level, NonEmpty, RotationDe, Size,
    StreamDe, TimezoneDe,
};
use super::{process, render, Cx};
use crate::handler::BUILTIN;
use log::LevelFilter;

use crate::handler::{
    FileConfig, OnError, OpenMode, RotatingFileConfig, Stream, StreamConfig, DEFAULT_REOPEN_CHECK,
};
use crate::node::{KeyPath, Node, Origin, Params};
use crate::{ConfigError, HandlerConfig, HandlerKind};

/// Keys every handler takes, read here rather than by the type's raw struct.
const COMMON: &[&str] = &["type", "renderer", "processors", "level", "on_error"];

/// Default `file_mode`.
const DEFAULT_FILE_MODE: u32 = 0o640;

/// Default `backup_count`.
const DEFAULT_BACKUP_COUNT: usize = 5;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a handler table")]
struct RawFile {
    path: NonEmpty,
    append: Option<bool>,
    create_dirs: Option<bool>,
    file_mode: Option<FileMode>,
    reopen_check: Option<DurationDe>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a handler table")]
struct RawRotatingFile {
    path: NonEmpty,
    append: Option<bool>,
    create_dirs: Option<bool>,
    file_mode: Option<FileMode>,
    reopen_check: Option<DurationDe>,
    max_bytes: Option<Size>,
    rotation: Option<RotationDe>,
    backup_count: Option<Count>,
    timezone: Option<TimezoneDe>,
    compress: Option<CompressDe>,
    max_age: Option<DurationDe>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a handler table")]
struct RawStream {
    stream: Option<StreamDe>,
    journal_prefix: Option<JournalPrefixDe>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a handler table")]
struct RawNull {}

#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a table like { keep = 200, level = \"debug\" }"
)]
struct RawOnError {
    keep: Count,
    level: Option<Level>,
}

fn file_config(
    path: NonEmpty,
    append: Option<bool>,
    create_dirs: Option<bool>,
    file_mode: Option<FileMode>,
    reopen_check: Option<DurationDe>,
) -> FileConfig {
    FileConfig {
        path: path.into_path(),
        mode: if append.unwrap_or(true) {
            OpenMode::Append
        } else {
            OpenMode::Truncate
        },
        create_dirs: create_dirs.unwrap_or(true),
        file_mode: file_mode.map_or(DEFAULT_FILE_MODE, |m| m.0),
        reopen_check: reopen_check.map_or(DEFAULT_REOPEN_CHECK, |d| d.0),
    }
}

/// Builds the handler whose table is `node`, at `path` (`handlers.NAME`).
pub(super) fn handler(cx: &Cx, node: &Node, path: &KeyPath) -> Result<HandlerConfig, ConfigError> {
    cx.table(node, path, "a handler table")?;
    let (name, type_mark) = cx.type_of(node, path, BUILTIN)?;
    let kind = cx.recover(kind(cx, node, path, name, type_mark), || HandlerKind::Null)?;
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
        // and `origin` tells it that no renderer was written here.
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
    let origin = Origin::new(Params::new(
        name,
        node.clone(),
        type_mark,
        path.clone(),
        cx.source.clone(),
        COMMON,
    ));
    Ok(HandlerConfig {
        kind,
        renderer,
        processors,
        level,
        on_error,
        origin,
    })
}

/// The destination of the handler whose table is `node` and whose `type` is `name`.
fn kind(
    cx: &Cx,
    node: &Node,
    path: &KeyPath,
    name: &str,
    type_mark: crate::source::Mark,
) -> Result<HandlerKind, ConfigError> {
    Ok(match name {
        "file" => {
            let raw: RawFile = cx.de(node, path, COMMON)?;
            HandlerKind::File(file_config(
                raw.path,
                raw.append,
                raw.create_dirs,
                raw.file_mode,
                raw.reopen_check,
            ))
        }
        "rotating_file" => {
            let raw: RawRotatingFile = cx.de(node, path, COMMON)?;
            HandlerKind::RotatingFile(RotatingFileConfig {
                file: file_config(
                    raw.path,
                    raw.append,
                    raw.create_dirs,
                    raw.file_mode,
                    raw.reopen_check,
                ),
                max_bytes: raw.max_bytes.map(|s| s.0),
                rotation: raw.rotation.map(|r| r.0).unwrap_or_default(),
                backup_count: raw.backup_count.map_or(DEFAULT_BACKUP_COUNT, |c| c.0),
                timezone: raw.timezone.map(|t| t.0).unwrap_or_default(),
                compress: raw.compress.map(|c| c.0).unwrap_or_default(),
                max_age: raw.max_age.map(|d| d.0),
            })
        }
        "stream" => {
            let raw: RawStream = cx.de(node, path, COMMON)?;
            HandlerKind::Stream(StreamConfig {
                stream: raw.stream.map_or(Stream::default(), |s| s.0),
                journal_prefix: raw.journal_prefix.map(|p| p.0).unwrap_or_default(),
            })
        }
        "null" => {
            let _: RawNull = cx.de(node, path, COMMON)?;
            HandlerKind::Null
        }
        // Any other `type` names a registered handler: the runtime resolves it and reads
        // its params from the table.
        other => HandlerKind::Custom {
            name: other.to_owned(),
            params: Params::new(
                other,
                node.clone(),
                type_mark,
                path.clone(),
                cx.source.clone(),
                COMMON,
            ),
        },
    })
}

/// The keys of each built-in handler type (see [`super::keys`]).
#[cfg(test)]
pub(super) fn keys() -> Vec<(&'static str, Vec<&'static str>)> {
    use crate::schema::fields_of;
    let with_common = |own: &[&'static str]| [own, COMMON].concat();
    vec![
        ("file", with_common(fields_of::<RawFile>())),
        ("rotating_file", with_common(fields_of::<RawRotatingFile>())),
        ("stream", with_common(fields_of::<RawStream>())),
        ("null", with_common(fields_of::<RawNull>())),
    ]
}
