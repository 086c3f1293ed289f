//! `redact`: mask the values of sensitive fields.
//!
//! A field whose key equals one of the configured keys, compared case-insensitively
//! (Unicode lowercase: `Password`, `PASSWORD` and `password` all match `password`), has its
//! value replaced by the replacement text (default `***`), whatever its kind. Only whole
//! keys match (`user_password` is not `password`); the message is not inspected. Put
//! `redact` after processors that add fields (such as `add_context_defaults`) so their
//! values are masked too.

use ko_log_config::node::Params;
use ko_log_config::ConfigError;
use serde::Deserialize;

use super::{Action, Processor};
use crate::event::{Event, Str, Value};

/// `redact`'s default keys.
const KEYS: &[&str] = &["password", "token", "authorization", "secret"];

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a processor table")]
struct Raw {
    keys: Option<Vec<String>>,
    replacement: Option<String>,
}

fn schema() -> serde_json::Value {
    use ko_log_config::schema::{describe, string, strings, table};
    let keys = [
        ("keys", describe(strings(), "Field names whose values are masked, case-insensitive (default password, token, authorization, secret).")),
        ("replacement", describe(string(), "The text written instead (default \"***\").")),
    ];
    describe(table(&keys, &[]), "Mask these fields' values.")
}

crate::registry::register_processor!("redact", Redact, schema, Raw);

/// Replaces the values of the configured keys.
#[derive(Debug, Clone, PartialEq)]
pub struct Redact {
    /// Keys, lowercased.
    keys: Vec<String>,
    replacement: Str,
}

impl Redact {
    /// Reads the keys of a `redact` entry (`keys`, default `password`, `token`,
    /// `authorization`, `secret`; `replacement`, default `***`).
    pub fn from_params(params: &Params) -> Result<Redact, ConfigError> {
        let raw: Raw = params.deserialize()?;
        let replacement = raw.replacement.unwrap_or_else(|| "***".to_owned());
        Ok(match raw.keys {
            Some(keys) => Redact::new(keys, replacement),
            None => Redact::new(KEYS, replacement),
        })
    }

    /// Masks the values of `keys` (case-insensitive) with `replacement`.
    pub fn new<K: AsRef<str>>(
        keys: impl IntoIterator<Item = K>,
        replacement: impl Into<String>,
    ) -> Redact {
        Redact {
            keys: keys
                .into_iter()
                .map(|key| key.as_ref().to_lowercase())
                .collect(),
            replacement: Str::Owned(replacement.into()),
        }
    }

    fn matches(&self, key: &str) -> bool {
        self.keys
            .iter()
            .any(|k| key.chars().flat_map(char::to_lowercase).eq(k.chars()))
    }
}

impl Processor for Redact {
    fn process(&mut self, event: &mut Event) -> Action {
        for (key, value) in event.fields.iter_mut() {
            if self.matches(key) {
                *value = Value::Str(self.replacement.clone());
            }
        }
        Action::Keep
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_insensitive_whole_keys() {
        let redact = Redact::new(["Password", "TOKEN", "Clé"], "***");
        assert!(redact.matches("password"));
        assert!(redact.matches("PASSWORD"));
        assert!(redact.matches("Token"));
        assert!(redact.matches("CLÉ"));
        assert!(!redact.matches("user_password"));
        assert!(!redact.matches("passwor"));
        assert!(!redact.matches(""));
    }
}
