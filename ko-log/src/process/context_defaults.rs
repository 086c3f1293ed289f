//! `add_context_defaults`: fields added to records that lack them.

use super::{Action, Process};
use crate::{Event, Str, Value};

/// Adds each configured field unless the record already has that key (the record's own
/// key-values and bound context win).
#[derive(Debug, Clone, PartialEq)]
pub struct AddContextDefaults {
    values: Vec<(Str, Value)>,
}

impl AddContextDefaults {
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

impl Process for AddContextDefaults {
    fn process(&mut self, event: &mut Event) -> Action {
        for (key, value) in &self.values {
            if event.fields.get(key).is_none() {
                event.fields.insert(key.clone(), value.clone());
            }
        }
        Action::Keep
    }
}
