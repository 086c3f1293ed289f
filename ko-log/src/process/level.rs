//! `filter_by_level`: drop records below a level, for one handler.

use ko_log_config::node::Params;
use ko_log_config::values::Level;
use ko_log_config::ConfigError;
use log::LevelFilter;
use serde::Deserialize;

use super::{Action, Processor};
use crate::event::Event;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a processor table")]
struct Raw {
    min_level: Level,
}

fn schema() -> serde_json::Value {
    use ko_log_config::schema::{describe, level, table};
    let keys = [("min_level", describe(level(), "The lowest level kept."))];
    describe(
        table(&keys, &["min_level"]),
        "Drop records below min_level for this handler.",
    )
}

crate::registry::register_processor!("filter_by_level", FilterByLevel, schema, Raw);

/// Drops records less severe than `min_level` (a handler-level filter placed anywhere in
/// the pipeline).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FilterByLevel {
    min_level: LevelFilter,
}

impl FilterByLevel {
    /// Reads the keys of a `filter_by_level` entry (`min_level`, required).
    pub fn from_params(params: &Params) -> Result<FilterByLevel, ConfigError> {
        let raw: Raw = params.deserialize()?;
        Ok(FilterByLevel::new(raw.min_level.0))
    }
    /// Keeps records at `min_level` or more severe (`off` drops everything).
    pub fn new(min_level: LevelFilter) -> FilterByLevel {
        FilterByLevel { min_level }
    }
}

impl Processor for FilterByLevel {
    fn process(&mut self, event: &mut Event) -> Action {
        if event.level <= self.min_level {
            Action::Keep
        } else {
            Action::Drop
        }
    }
}
