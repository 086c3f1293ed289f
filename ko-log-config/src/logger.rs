//! `[loggers.NAME]`: which records go to which handlers.

use std::collections::BTreeMap;

use log::LevelFilter;

use crate::Value;

/// One `[loggers.NAME]` table. `NAME` is a `log` target prefix or `root`.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggerConfig {
    /// Minimum level (key `level`); `None` inherits the nearest ancestor's, then
    /// `default_level`.
    pub level: Option<LevelFilter>,
    /// Names of the handlers this logger writes to (key `handlers`, default none).
    pub handlers: Vec<String>,
    /// Fields added to every record routed here (key `context`, default empty).
    pub context: BTreeMap<String, Value>,
    /// Also hand records to the ancestors' handlers (key `additive`, default `true`).
    pub additive: bool,
}

impl Default for LoggerConfig {
    fn default() -> Self {
        LoggerConfig {
            level: None,
            handlers: Vec::new(),
            context: BTreeMap::new(),
            additive: true,
        }
    }
}
