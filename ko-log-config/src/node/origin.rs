//! [`Origin`]: where a handler's table was written, kept through the typed layer so the
//! runtime can locate a problem it meets later (a file it cannot open) without reading or
//! parsing the config file again.

use std::fmt;

use super::Params;
use crate::ConfigError;

/// Where a table was written: its node, key path and source text. Configs built in Rust
/// have none (`Origin::default()`); their errors carry a key path but no location.
///
/// Two origins always compare equal: where a handler was written is not part of what it
/// is, so one config in TOML, JSON and YAML (or built in Rust) compares equal.
#[derive(Clone, Default)]
pub struct Origin {
    table: Option<Params>,
}

impl Origin {
    pub(crate) fn new(table: Params) -> Origin {
        Origin { table: Some(table) }
    }

    /// An error about the value of `key` in this table, located at that value (or at the
    /// table's `type` when the key is absent); `None` for a table built in Rust.
    pub fn error_at(&self, key: &str, message: impl Into<String>) -> Option<ConfigError> {
        self.table
            .as_ref()
            .map(|table| table.error_at(key, message))
    }

    /// Whether the table came from a config text and has `key` (`Some(false)`: written
    /// without it; `None`: built in Rust, so nobody can tell).
    pub fn has_key(&self, key: &str) -> Option<bool> {
        self.table
            .as_ref()
            .map(|table| table.node().get(key).is_some())
    }

    /// Whether the table came from a config text.
    pub fn is_located(&self) -> bool {
        self.table.is_some()
    }
}

impl PartialEq for Origin {
    fn eq(&self, _: &Origin) -> bool {
        true
    }
}

impl fmt::Debug for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.table {
            Some(table) => write!(f, "Origin({})", table.key_path()),
            None => f.write_str("Origin(built in Rust)"),
        }
    }
}
