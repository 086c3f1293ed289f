//! `filter_keys`: remove fields by exact key.

use super::{Action, Process};
use crate::Event;

/// Removes the fields with the given keys (compared exactly, case-sensitively; see
/// [`Redact`](super::Redact) to mask rather than remove).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterKeys {
    keys: Vec<String>,
}

impl FilterKeys {
    /// Removes `keys`.
    pub fn new<K: Into<String>>(keys: impl IntoIterator<Item = K>) -> FilterKeys {
        FilterKeys {
            keys: keys.into_iter().map(Into::into).collect(),
        }
    }
}

impl Process for FilterKeys {
    fn process(&mut self, event: &mut Event) -> Action {
        if !event.fields.is_empty() {
            event
                .fields
                .retain(|key, _| !self.keys.iter().any(|k| k == key));
        }
        Action::Keep
    }
}
