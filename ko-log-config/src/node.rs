//! The located tree every format is parsed into, and the serde deserializer over it.
//!
//! TODO(config helper): `Node`, `de` submodule, per-format parsers.

use crate::ConfigError;

/// The keys of a custom processor's table (everything but `type`), with their locations,
/// kept so the runtime can deserialize them into the processor's own params type and
/// report a mistake at the right line.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {}

impl Params {
    /// Deserializes the params into `T`; a mistake is reported at its own key.
    pub fn deserialize<T: serde::de::DeserializeOwned>(&self) -> Result<T, ConfigError> {
        todo!()
    }

    /// The error for a `type` that names no known processor: lists `known` and suggests
    /// the nearest one, located at the `type` value.
    pub fn unknown_type(&self, known: &[&str]) -> ConfigError {
        let _ = known;
        todo!()
    }
}
