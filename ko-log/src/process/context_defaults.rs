//! `add_context_defaults`: fields added to records that lack them.

use std::collections::BTreeMap;

use ko_log_config::node::Params;
use ko_log_config::values::Scalar;
use ko_log_config::ConfigError;
use serde::Deserialize;

use super::{Action, Processor};
use crate::event::{Event, Str, Value};

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a processor table")]
struct Raw {
    values: BTreeMap<String, Scalar>,
}

fn schema() -> serde_json::Value {
    use ko_log_config::schema::{describe, scalar_map, table};
    let keys = [(
        "values",
        describe(scalar_map(), "Field name to default value."),
    )];
    describe(
        table(&keys, &["values"]),
        "Add these fields to records that lack them.",
    )
}

crate::registry::register_processor!("add_context_defaults", AddContextDefaults, schema, Raw);

/// Adds each configured field unless the record already has that key (the record's own
/// key-values and bound context win).
#[derive(Debug, Clone, PartialEq)]
pub struct AddContextDefaults {
    values: Vec<(Str, Value)>,
}

impl AddContextDefaults {
    /// Reads the keys of an `add_context_defaults` entry (`values`, required).
    pub fn from_params(params: &Params) -> Result<AddContextDefaults, ConfigError> {
        let raw: Raw = params.deserialize()?;
        Ok(AddContextDefaults::new(
            raw.values.into_iter().map(|(key, value)| (key, value.0)),
        ))
    }
    /// Adds `values` (in the order given).
    pub fn new<K: Into<Str>, V: Into<Value>>(
        values: impl IntoIterator<Item = (K, V)>,
    ) -> AddContextDefaults {
        AddContextDefaults {
            values: values
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }
}

impl Processor for AddContextDefaults {
    fn process(&mut self, event: &mut Event) -> Action {
        for (key, value) in &self.values {
            if event.fields.get(key).is_none() {
                event.fields.insert(key.clone(), value.clone());
            }
        }
        Action::Keep
    }
}
