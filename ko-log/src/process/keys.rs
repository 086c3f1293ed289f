//! `filter_keys`: remove fields by exact key.

use ko_log_config::node::Params;
use ko_log_config::ConfigError;
use serde::Deserialize;

use super::{Action, Processor};
use crate::event::Event;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a processor table")]
struct Raw {
    keys: Vec<String>,
}

fn schema() -> serde_json::Value {
    use ko_log_config::schema::{describe, strings, table};
    let keys = [("keys", describe(strings(), "Field names removed."))];
    describe(table(&keys, &["keys"]), "Remove these fields.")
}

crate::registry::register_processor!("filter_keys", FilterKeys, schema, Raw);

/// Removes the fields with the given keys (compared exactly, case-sensitively; see
/// [`Redact`](super::Redact) to mask rather than remove).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterKeys {
    keys: Vec<String>,
}

impl FilterKeys {
    /// Reads the keys of a `filter_keys` entry (`keys`, required).
    pub fn from_params(params: &Params) -> Result<FilterKeys, ConfigError> {
        let raw: Raw = params.deserialize()?;
        Ok(FilterKeys::new(raw.keys))
    }
    /// Removes `keys`.
    pub fn new<K: Into<String>>(keys: impl IntoIterator<Item = K>) -> FilterKeys {
        FilterKeys {
            keys: keys.into_iter().map(Into::into).collect(),
        }
    }
}

impl Processor for FilterKeys {
    fn process(&mut self, event: &mut Event) -> Action {
        if !event.fields.is_empty() {
            event
                .fields
                .retain(|key, _| !self.keys.iter().any(|k| k == key));
        }
        Action::Keep
    }
}
