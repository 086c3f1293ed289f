//! `add_callsite`: the call site's `file`, `line` and `module` as fields.

use ko_log_config::process::CallsiteField;

use super::{Action, Process};
use crate::{Event, Value};

/// Adds the configured call-site fields: `file` (string), `line` (integer), `module`
/// (the module path, string). A field the record does not know is left out, and a key
/// the record already has keeps its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddCallsite {
    file: bool,
    line: bool,
    module: bool,
}

impl AddCallsite {
    /// Adds the given call-site fields.
    pub fn new(fields: &[CallsiteField]) -> AddCallsite {
        AddCallsite {
            file: fields.contains(&CallsiteField::File),
            line: fields.contains(&CallsiteField::Line),
            module: fields.contains(&CallsiteField::Module),
        }
    }
}

impl Process for AddCallsite {
    fn process(&mut self, event: &mut Event) -> Action {
        if self.file {
            if let Some(file) = &event.file {
                if event.fields.get("file").is_none() {
                    event.fields.insert("file", Value::Str(file.clone()));
                }
            }
        }
        if self.line {
            if let Some(line) = event.line {
                event.fields.insert_default("line", line);
            }
        }
        if self.module {
            if let Some(module) = &event.module_path {
                if event.fields.get("module").is_none() {
                    event.fields.insert("module", Value::Str(module.clone()));
                }
            }
        }
        Action::Keep
    }
}
