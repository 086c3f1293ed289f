//! `ko-log schema`: a JSON Schema (draft 2020-12) that accepts every config the loader
//! accepts among the repository's examples (README, docs/, examples/, fixtures) and
//! refuses a set of bad ones, that describes ko-log's registered handlers, and whose keys
//! are the documented ones. (That it has exactly the keys the loader reads is checked by
//! unit tests next to the schema: `ko-log-config`'s `schema` module and each handler's.)

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use ko_log::config::node::{Node, NodeValue};
use ko_log::config::Format;
use serde_json::Value;

fn printed_schema() -> Value {
    let run = support::run_in(Path::new("."), &["schema"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    serde_json::from_str(&run.stdout).expect("the schema is JSON")
}

fn validator(schema: &Value) -> jsonschema::Validator {
    jsonschema::draft202012::new(schema).expect("a valid draft 2020-12 schema")
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A config text as the JSON value the schema sees.
fn as_json(text: &str, format: Format) -> Value {
    fn convert(node: &Node) -> Value {
        match &node.value {
            NodeValue::Null => Value::Null,
            NodeValue::Bool(b) => Value::from(*b),
            NodeValue::Int(i) => Value::from(*i),
            NodeValue::Float(f) => Value::from(*f),
            NodeValue::String(s) => Value::from(s.as_str()),
            NodeValue::Seq(items) => Value::Array(items.iter().map(convert).collect()),
            NodeValue::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.name.clone(), convert(v)))
                    .collect(),
            ),
        }
    }
    convert(&Node::parse(text, format).expect("parses"))
}

/// The fenced ```toml / ```json / ```yaml blocks of a Markdown file.
fn blocks(path: &Path) -> Vec<(Format, String)> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut found = Vec::new();
    let mut current: Option<(Format, String)> = None;
    for line in text.lines() {
        match (&mut current, line.trim_start().strip_prefix("```")) {
            (None, Some(lang)) => {
                current = match lang.trim() {
                    "toml" => Some((Format::Toml, String::new())),
                    "json" => Some((Format::Json, String::new())),
                    "yaml" | "yml" => Some((Format::Yaml, String::new())),
                    _ => None,
                };
                if current.is_none() && !lang.trim().is_empty() {
                    current = Some((Format::Toml, "\u{0}skip".to_owned()));
                }
            }
            (Some(_), Some(_)) => {
                if let Some((format, body)) = current.take() {
                    if !body.starts_with('\u{0}') {
                        found.push((format, body));
                    }
                }
            }
            (Some((_, body)), None) => {
                body.push_str(line);
                body.push('\n');
            }
            (None, None) => {}
        }
    }
    found
}

/// Every config text of the repository: the Markdown blocks, examples/*.toml and the
/// config fixtures.
fn examples() -> Vec<(String, Format, String)> {
    let root = repo();
    let mut all = Vec::new();
    let mut markdown = vec![root.join("README.md")];
    for entry in std::fs::read_dir(root.join("docs")).unwrap() {
        markdown.push(entry.unwrap().path());
    }
    for path in markdown {
        for (i, (format, text)) in blocks(&path).into_iter().enumerate() {
            all.push((format!("{} block {}", path.display(), i + 1), format, text));
        }
    }
    for dir in [
        "examples",
        "ko-log-config/tests/fixtures",
        "ko-log-cli/tests/fixtures",
    ] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            let Some(format) = path
                .extension()
                .and_then(|e| e.to_str())
                .and_then(Format::from_extension)
            else {
                continue;
            };
            all.push((
                path.display().to_string(),
                format,
                std::fs::read_to_string(&path).unwrap(),
            ));
        }
    }
    all
}

/// The components a config names that this binary does not register (the examples of
/// custom components), from the errors that say so: `(kind, name)`.
fn unregistered(errors: &[ko_log::config::ConfigError]) -> Option<Vec<(String, String)>> {
    errors
        .iter()
        .map(|e| {
            let rest = e.message().strip_prefix("unknown ")?;
            let (kind, name) = rest.split_once(" type `")?;
            Some((kind.to_owned(), name.strip_suffix('`')?.to_owned()))
        })
        .collect()
}

/// `schema` with a branch taking any keys for each of `components`, as a program that
/// registers them without a params schema would print it.
fn with_components(mut schema: Value, components: &[(String, String)]) -> Value {
    for (kind, name) in components {
        let (branches, enums): (&str, &[&str]) = match kind.as_str() {
            "handler" => (
                "/$defs/handler/oneOf",
                &["/$defs/handler/properties/type/enum"],
            ),
            "renderer" => (
                "/$defs/renderer/anyOf/1/oneOf",
                &[
                    "/$defs/renderer/anyOf/0/enum",
                    "/$defs/renderer/anyOf/1/properties/type/enum",
                ],
            ),
            _ => (
                "/$defs/processor/anyOf/1/oneOf",
                &[
                    "/$defs/processor/anyOf/0/enum",
                    "/$defs/processor/anyOf/1/properties/type/enum",
                ],
            ),
        };
        let branch = serde_json::json!({"type": "object", "properties": {"type": {"const": name}}, "required": ["type"]});
        schema
            .pointer_mut(branches)
            .unwrap()
            .as_array_mut()
            .unwrap()
            .push(branch);
        for pointer in enums {
            schema
                .pointer_mut(pointer)
                .unwrap()
                .as_array_mut()
                .unwrap()
                .push(Value::from(name.as_str()));
        }
    }
    schema
}

#[test]
fn every_config_the_loader_accepts_the_schema_accepts() {
    let printed = printed_schema();
    let mut accepted = 0;
    for (name, format, text) in examples() {
        let checked = ko_log::check::text(&text, format);
        // A config naming example components (`request_id`, `compact`) is checked
        // against the schema of a program that registers them.
        let Some(components) = unregistered(&checked.errors) else {
            eprintln!("not a config the loader takes: {name}");
            continue;
        };
        let validator = validator(&with_components(printed.clone(), &components));
        accepted += 1;
        let value = as_json(&text, format);
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{name}: the loader accepts it, the schema says {errors:#?}\n{text}"
        );
    }
    assert!(accepted >= 15, "only {accepted} example configs found");
}

const BAD: &[(&str, &str)] = &[
    ("unknown top-level key", "defualt_level = \"info\"\n"),
    ("bad level", "default_level = \"loud\"\n"),
    ("bad backpressure", "[queue]\nbackpressure = \"sometimes\"\n"),
    ("zero capacity", "[queue]\ncapacity = 0\n"),
    ("capacity too large", "[queue]\ncapacity = 2000000\n"),
    ("bad duration", "[queue]\ndrain_timeout = \"5 parsecs\"\n"),
    ("unknown queue key", "[queue]\nsize = 5\n"),
    ("unknown logger key", "[loggers.root]\nlevl = \"info\"\n"),
    ("handlers not a list", "[loggers.root]\nhandlers = \"console\"\n"),
    ("not additive boolean", "[loggers.root]\nadditive = \"maybe\"\n"),
    ("handler without type", "[handlers.h]\npath = \"a.log\"\n"),
    ("unknown handler type", "[handlers.h]\ntype = \"fiel\"\n"),
    ("unknown file key", "[handlers.h]\ntype = \"file\"\npath = \"a.log\"\napend = true\n"),
    ("file without path", "[handlers.h]\ntype = \"file\"\n"),
    ("bad size", "[handlers.h]\ntype = \"rotating_file\"\npath = \"a\"\nmax_bytes = \"10 MeB\"\n"),
    ("zero size", "[handlers.h]\ntype = \"rotating_file\"\npath = \"a\"\nmax_bytes = 0\n"),
    ("bad rotation", "[handlers.h]\ntype = \"rotating_file\"\npath = \"a\"\nrotation = \"weekly\"\n"),
    ("bad file mode", "[handlers.h]\ntype = \"file\"\npath = \"a\"\nfile_mode = \"0999\"\n"),
    ("bad stream", "[handlers.h]\ntype = \"stream\"\nstream = \"stdin\"\n"),
    ("unknown renderer", "[handlers.h]\ntype = \"null\"\nrenderer = { type = \"xml\" }\n"),
    ("unknown renderer key", "[handlers.h]\ntype = \"null\"\nrenderer = { type = \"json\", pretyy = true }\n"),
    ("indent too large", "[handlers.h]\ntype = \"null\"\nrenderer = { type = \"json\", indent = 40 }\n"),
    ("bad color", "[handlers.h]\ntype = \"null\"\nrenderer = { type = \"colored\", colors = { error = \"reddish\" } }\n"),
    ("unknown processor", "[handlers.h]\ntype = \"null\"\nprocessors = [\"filter_markups\"]\n"),
    ("processor missing key", "[handlers.h]\ntype = \"null\"\nprocessors = [{ type = \"filter_by_level\" }]\n"),
    ("bare processor that needs keys", "[handlers.h]\ntype = \"null\"\nprocessors = [\"filter_keys\"]\n"),
    ("bad callsite field", "[handlers.h]\ntype = \"null\"\nprocessors = [{ type = \"add_callsite\", fields = [\"column\"] }]\n"),
    ("socket without address", "[handlers.h]\ntype = \"socket\"\n"),
    ("unknown socket key", "[handlers.h]\ntype = \"socket\"\naddress = \"a:1\"\nbufer = 5\n"),
    ("socket buffer 0", "[handlers.h]\ntype = \"socket\"\naddress = \"a:1\"\nbuffer = 0\n"),
    ("bad syslog facility", "[handlers.h]\ntype = \"syslog\"\nfacility = \"users\"\n"),
    ("bad otlp encoding", "[handlers.h]\ntype = \"otlp\"\nencoding = \"xml\"\n"),
    ("unknown otlp key", "[handlers.h]\ntype = \"otlp\"\nendpont = \"http://a:1/v1/logs\"\n"),
];

#[test]
fn bad_configs_are_refused_by_both() {
    let schema = printed_schema();
    let validator = validator(&schema);
    for (what, text) in BAD {
        assert!(
            !ko_log::check::text(text, Format::Toml).is_ok(),
            "{what}: the loader accepts it"
        );
        assert!(
            !validator.is_valid(&as_json(text, Format::Toml)),
            "{what}: the schema accepts it:\n{text}"
        );
    }
}

#[test]
fn strings_holding_values_and_interpolation_are_accepted_as_the_loader_does() {
    let schema = printed_schema();
    let validator = validator(&schema);
    for text in [
        "[queue]\ncapacity = \"64\"\ndrain_timeout = 2.5\n",
        "default_level = \"WARNING\"\n[loggers.root]\nlevel = \"${LEVEL:-info}\"\nadditive = \"false\"\n",
        "[handlers.h]\ntype = \"rotating_file\"\npath = \"${DIR:-logs}/a.log\"\nmax_bytes = \"1.5 GiB\"\nreopen_check = \"1h 30m\"\nfile_mode = 416\n",
        "[handlers.h]\ntype = \"null\"\nrenderer = \"json\"\nprocessors = [\"filter_markup\", { type = \"redact\" }]\n",
        "[handlers.h]\ntype = \"socket\"\naddress = \"127.0.0.1:9000\"\nreconnect = { min = \"1s\", max = \"1m\" }\n",
    ] {
        let checked = ko_log::check::text(text, Format::Toml);
        assert!(
            checked.errors.iter().all(|e| e.kind() == ko_log::config::ConfigErrorKind::Environment),
            "{text}: {:?}",
            checked.errors
        );
        let errors: Vec<String> = validator
            .iter_errors(&as_json(text, Format::Toml))
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{text}: {errors:#?}");
    }
}

#[test]
fn ko_logs_registered_handlers_are_described_with_their_params() {
    let schema = printed_schema();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    let types: Vec<&str> = schema["$defs"]["handler"]["properties"]["type"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    // Every handler from the registry, by name: ko-log's own are registered like a user's.
    let mut expected = vec!["file"];
    if cfg!(target_os = "linux") {
        expected.push("journald");
    }
    expected.extend([
        "null",
        "otlp",
        "rotating_file",
        "socket",
        "stream",
        "syslog",
    ]);
    assert_eq!(types, expected);
    let file = schema["$defs"]["handler"]["oneOf"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["properties"]["type"]["const"] == "file")
        .unwrap();
    assert_eq!(file["required"], serde_json::json!(["type", "path"]));
    assert_eq!(file["description"], "Append (or truncate) to one file.");
    let socket = schema["$defs"]["handler"]["oneOf"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["properties"]["type"]["const"] == "socket")
        .unwrap();
    assert_eq!(socket["required"], serde_json::json!(["type", "address"]));
    assert_eq!(socket["additionalProperties"], false);
    assert!(socket["description"]
        .as_str()
        .unwrap()
        .starts_with("Rendered lines"));
}

/// Every property name anywhere in the schema.
fn property_names(value: &Value, names: &mut BTreeSet<String>) {
    match value {
        Value::Object(object) => {
            if let Some(Value::Object(properties)) = object.get("properties") {
                names.extend(properties.keys().cloned());
            }
            for v in object.values() {
                property_names(v, names);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| property_names(v, names)),
        _ => {}
    }
}

/// The identifiers a Markdown file writes as code: in backticks, or in its config blocks.
fn backticked(path: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut code: Vec<String> = text
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect();
    code.extend(blocks(path).into_iter().map(|(_, block)| block));
    code.iter()
        .flat_map(|chunk| {
            chunk
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .filter(|w| !w.is_empty())
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn the_schema_keys_are_the_documented_keys() {
    let schema = printed_schema();
    let mut names = BTreeSet::new();
    property_names(&schema, &mut names);
    let config_md = repo().join("docs/CONFIG.md");
    let mut documented = backticked(&config_md);
    documented.extend(backticked(&repo().join("docs/SHIPPING.md")));
    let undocumented: Vec<&String> = names.iter().filter(|n| !documented.contains(*n)).collect();
    assert!(
        undocumented.is_empty(),
        "keys of the schema that no doc names: {undocumented:?}"
    );
    // The key tables of docs/CONFIG.md (`| key | type | default | meaning |`): each key is
    // in the schema.
    let text = std::fs::read_to_string(&config_md).unwrap();
    let mut in_table = false;
    let mut table_keys = Vec::new();
    for line in text.lines() {
        if line.starts_with("| key | type | default | meaning |") {
            in_table = true;
            continue;
        }
        if !line.starts_with('|') {
            in_table = false;
            continue;
        }
        if in_table {
            if let Some(key) = line.split('`').nth(1) {
                table_keys.push(key.to_owned());
            }
        }
    }
    assert!(table_keys.len() > 30, "{table_keys:?}");
    let missing: Vec<&String> = table_keys.iter().filter(|k| !names.contains(*k)).collect();
    assert!(
        missing.is_empty(),
        "documented keys the schema lacks: {missing:?}"
    );
}
