//! Reading a file or text into a validated [`Config`]: parse into a located tree, drop
//! the top-level `x-` keys, interpolate `${VAR}`, build the typed layer.

use std::path::Path;
use std::sync::Arc;

use crate::check::{Checked, Collector};
use crate::node::{Node, NodeValue};
use crate::source::Source;
use crate::{build, env, node, Config, ConfigError, ConfigErrorKind, Format};

pub(crate) fn from_path(path: &Path) -> Result<Config, ConfigError> {
    // A name that gives no format is refused before the file is read.
    format_of(path)?;
    from_bytes(path, &read(path)?)
}

/// The format a path's extension names, or the error saying it names none.
fn format_of(path: &Path) -> Result<Format, ConfigError> {
    path.extension()
        .and_then(|ext| ext.to_str())
        .and_then(Format::from_extension)
        .ok_or_else(|| {
            ConfigError::new(
                ConfigErrorKind::UnknownFormat,
                format!(
                    "cannot tell the format of `{}`: expected a `.toml`, `.json`, `.yaml` or `.yml` file",
                    path.display()
                ),
            )
            .with_file(path)
        })
}

/// The bytes of the config file at `path`, or the error `from_path` gives when it cannot
/// be read.
pub(crate) fn read(path: &Path) -> Result<Vec<u8>, ConfigError> {
    std::fs::read(path).map_err(|e| {
        ConfigError::new(
            ConfigErrorKind::Io,
            format!("cannot read config file `{}`: {e}", path.display()),
        )
        .with_file(path)
        .with_source(e)
    })
}

/// The text of `bytes` read from `path`, refused (located at the first bad byte) when it
/// is not UTF-8.
fn utf8<'a>(path: &Path, bytes: &'a [u8]) -> Result<&'a str, ConfigError> {
    std::str::from_utf8(bytes).map_err(|e| {
        let valid = e.valid_up_to();
        let prefix = String::from_utf8_lossy(bytes.get(..valid).unwrap_or_default());
        let source = Source::new(Some(path.to_owned()), &prefix);
        let message = "the file is not valid UTF-8";
        ConfigError::new(ConfigErrorKind::Syntax, message)
            .at(&source, source.mark_at(valid))
            .with_source(e)
    })
}

/// `bytes` read from `path`, whose extension gives the format and whose name appears in
/// the errors.
pub(crate) fn from_bytes(path: &Path, bytes: &[u8]) -> Result<Config, ConfigError> {
    let format = format_of(path)?;
    from_str(utf8(path, bytes)?, format, Some(path))
}

pub(crate) fn from_str(
    text: &str,
    format: Format,
    file: Option<&Path>,
) -> Result<Config, ConfigError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let source = Arc::new(Source::new(file.map(Path::to_owned), text));
    let mut root = node::parse(&source, format)?;
    drop_extensions(&mut root);
    env::interpolate(&mut root, &source, base_dir(file), None)?;
    build::config(&root, source)
}

/// Removes the top-level keys that start with `x-`: the file's own, in every format, as
/// docker-compose has them (a YAML anchor to merge into handlers, a note). What they
/// hold is neither interpolated nor checked; YAML aliases of them were expanded at
/// parsing, where they are used.
fn drop_extensions(root: &mut Node) {
    if let NodeValue::Map(entries) = &mut root.value {
        entries.retain(|(key, _)| !key.name.starts_with("x-"));
    }
}

/// The directory `env_file` is relative to.
fn base_dir(file: Option<&Path>) -> &Path {
    file.and_then(Path::parent)
        .filter(|dir| !dir.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// [`Config::check_file`]: reading as [`from_path`] does, then [`check_str`].
pub(crate) fn check_path(path: &Path, format: Option<Format>) -> Checked {
    let read = format
        .map_or_else(|| format_of(path), Ok)
        .and_then(|format| Ok((format, read(path)?)));
    let checked = read.and_then(|(format, bytes)| {
        let text = utf8(path, &bytes)?;
        Ok(check_str(text, format, Some(path)))
    });
    checked.unwrap_or_else(|error| {
        let mut collector = Collector::default();
        collector.push(error);
        Checked::new(None, collector)
    })
}

/// [`Config::check_str`]: the steps of [`from_str`], going on after each error where the
/// step can (see [`crate::check`]).
pub(crate) fn check_str(text: &str, format: Format, file: Option<&Path>) -> Checked {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let source = Arc::new(Source::new(file.map(Path::to_owned), text));
    let mut collector = Collector::default();
    let mut root = match node::parse(&source, format) {
        Ok(root) => root,
        Err(error) => {
            collector.push(error);
            return Checked::new(None, collector);
        }
    };
    drop_extensions(&mut root);
    if let Err(error) = env::interpolate(&mut root, &source, base_dir(file), Some(&mut collector)) {
        collector.push(error);
        return Checked::new(None, collector);
    }
    build::check(&root, source, collector)
}
