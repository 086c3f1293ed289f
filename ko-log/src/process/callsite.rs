//! `add_callsite`: the call site's `file`, `line` and `module` as fields.

use ko_log_config::node::Params;
use ko_log_config::process::CallsiteField;
use ko_log_config::values::CallsiteFieldDe;
use ko_log_config::ConfigError;
use serde::Deserialize;

use super::{Action, Processor};
use crate::event::{Event, Value};

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a processor table")]
struct Raw {
    fields: Option<Vec<CallsiteFieldDe>>,
}

fn schema() -> serde_json::Value {
    use ko_log_config::schema::{describe, table};
    let fields = serde_json::json!({"type": "array", "items": {"enum": CallsiteFieldDe::NAMES}});
    let keys = [(
        "fields",
        describe(fields, "Which of file, line, module (default all three)."),
    )];
    describe(table(&keys, &[]), "Add the call site as fields.")
}

crate::registry::register_processor!("add_callsite", AddCallsite, schema, Raw);

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
    /// Reads the keys of an `add_callsite` entry (`fields`, default all three).
    pub fn from_params(params: &Params) -> Result<AddCallsite, ConfigError> {
        let raw: Raw = params.deserialize()?;
        Ok(match raw.fields {
            Some(fields) => AddCallsite::new(&fields.into_iter().map(|f| f.0).collect::<Vec<_>>()),
            None => AddCallsite::new(&[
                CallsiteField::File,
                CallsiteField::Line,
                CallsiteField::Module,
            ]),
        })
    }

    /// Adds the given call-site fields.
    pub fn new(fields: &[CallsiteField]) -> AddCallsite {
        AddCallsite {
            file: fields.contains(&CallsiteField::File),
            line: fields.contains(&CallsiteField::Line),
            module: fields.contains(&CallsiteField::Module),
        }
    }
}

impl Processor for AddCallsite {
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
