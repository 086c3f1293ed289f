//! `filter_by_level`: drop records below a level, for one handler.

use log::LevelFilter;

use super::{Action, Process};
use crate::Event;

/// Drops records less severe than `min_level` (a handler-level filter placed anywhere in
/// the pipeline).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FilterByLevel {
    min_level: LevelFilter,
}

impl FilterByLevel {
    /// Keeps records at `min_level` or more severe (`off` drops everything).
    pub fn new(min_level: LevelFilter) -> FilterByLevel {
        FilterByLevel { min_level }
    }
}

impl Process for FilterByLevel {
    fn process(&mut self, event: &mut Event) -> Action {
        if event.level <= self.min_level {
            Action::Keep
        } else {
            Action::Drop
        }
    }
}
