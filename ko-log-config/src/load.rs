//! Reading a file or text into a validated [`Config`].
//! TODO(config helper)

use std::path::Path;

use crate::{Config, ConfigError, Format};

pub(crate) fn from_path(path: &Path) -> Result<Config, ConfigError> {
    let _ = path;
    todo!()
}

pub(crate) fn from_str(
    text: &str,
    format: Format,
    file: Option<&Path>,
) -> Result<Config, ConfigError> {
    let _ = (text, format, file);
    todo!()
}
