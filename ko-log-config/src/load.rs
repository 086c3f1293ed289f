//! Reading a file or text into a validated [`Config`]: parse into a located tree,
//! interpolate `${VAR}`, build the typed layer.

use std::path::Path;
use std::sync::Arc;

use crate::source::Source;
use crate::{build, env, node, Config, ConfigError, ConfigErrorKind, Format};

pub(crate) fn from_path(path: &Path) -> Result<Config, ConfigError> {
    // A name that gives no format is refused before the file is read.
    format_of(path)?;
    from_bytes(path, &read(path)?)
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

/// `bytes` read from `path`, whose extension gives the format and whose name appears in
/// the errors.
pub(crate) fn from_bytes(path: &Path, bytes: &[u8]) -> Result<Config, ConfigError> {
    let format = format_of(path)?;
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let valid = e.valid_up_to();
            let prefix = String::from_utf8_lossy(bytes.get(..valid).unwrap_or_default());
            let source = Source::new(Some(path.to_owned()), &prefix);
            let message = "the file is not valid UTF-8";
            let error = ConfigError::new(ConfigErrorKind::Syntax, message);
            return Err(error.at(&source, source.mark_at(valid)).with_source(e));
        }
    };
    from_str(text, format, Some(path))
}

/// The format `path`'s extension names.
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

pub(crate) fn from_str(
    text: &str,
    format: Format,
    file: Option<&Path>,
) -> Result<Config, ConfigError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let source = Arc::new(Source::new(file.map(Path::to_owned), text));
    let mut root = node::parse(&source, format)?;
    let base_dir = file
        .and_then(Path::parent)
        .filter(|dir| !dir.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    env::interpolate(&mut root, &source, base_dir)?;
    build::config(&root, source)
}
