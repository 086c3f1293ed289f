//! [`schema`]: the JSON Schema (draft 2020-12) of this program's config files.
//!
//! Every built-in key and `type` ([`ko_log_config::schema::config`]), plus every handler,
//! renderer and processor registered in the program: ko-log's own (`socket`, `syslog`,
//! `otlp`, and on Linux `journald`) and the program's own `#[ko_log::handler]`s,
//! `#[ko_log::renderer]`s and `#[ko_log::processor]`s, with their params when the
//! registration gives their schema (`schema = ...`), and any keys otherwise. The
//! `ko-log schema` command prints it for ko-log's own components; a program prints its
//! own with its components:
//!
//! ```
//! let schema = ko_log::schema();
//! assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
//! println!("{}", serde_json::to_string_pretty(&schema).unwrap());
//! ```

use ko_log_config::schema::{Component, ComponentKind};

use crate::registry::{self, Kind};

/// The JSON Schema of a config file for this program: built-in keys and every registered
/// component (see the module docs).
pub fn schema() -> serde_json::Value {
    let mut components: Vec<Component> = Vec::new();
    for (kind, registration) in registry::all() {
        let kind = match kind {
            Kind::Handler => ComponentKind::Handler,
            Kind::Renderer => ComponentKind::Renderer,
            Kind::Processor => ComponentKind::Processor,
        };
        // A name registered under a built-in's, or twice, is refused at init when a
        // config uses it; the schema describes the name once (ko-log's own first).
        if components
            .iter()
            .any(|c| c.kind == kind && c.name == registration.name)
        {
            continue;
        }
        let params = registration.schema.map(|schema| schema());
        let description = params
            .as_ref()
            .and_then(|p| p.get("description"))
            .and_then(serde_json::Value::as_str)
            .map_or_else(
                || {
                    format!(
                        "Registered by `{}` ({}:{}).",
                        registration.function, registration.file, registration.line
                    )
                },
                str::to_owned,
            );
        components.push(Component::new(
            kind,
            registration.name,
            &description,
            params,
        ));
    }
    ko_log_config::schema::config(&components)
}
