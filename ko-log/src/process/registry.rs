//! The registry of custom processors, looked up by their `type` name.
//!
//! A config entry whose `type` is not a built-in processor names a custom one. The
//! `#[ko_log::processor]` macro (a later issue) will register each such processor here
//! with a constructor that deserializes its own params type from the entry's other keys
//! (`Params::deserialize`), so mistakes are reported at their own line. Until then the
//! registry is empty and every custom `type` is refused at init with the list of
//! built-in names.

use ko_log_config::node::Params;

use super::Process;

/// Builds a custom processor from its config params.
pub(crate) type Constructor = fn(&Params) -> Result<Box<dyn Process>, crate::Error>;

/// The constructor registered under `name`, if any (none yet).
pub(crate) fn lookup(name: &str) -> Option<Constructor> {
    let _ = name;
    None
}
