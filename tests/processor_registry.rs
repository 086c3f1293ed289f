//! `#[ko_log::processor]` at init: a registered processor is named by its `type` in a
//! config and runs in the handler's pipeline; an unknown name, params that do not fit and
//! a name registered twice are refused with exact, located errors.

use ko_log::config::{Config, Format, ProcessorConfig};
use ko_log::{Action, Event, Value};
use support::config;

/// The params of `add_request_id`. No `#[serde(deny_unknown_fields)]`: a key it does not
/// take is refused all the same.
#[derive(serde::Deserialize)]
struct RequestIdParams {
    request_id: String,
    #[serde(default)]
    overwrite: bool,
}

#[ko_log::processor]
fn add_request_id(params: &RequestIdParams) -> impl FnMut(&mut Event) -> Action + Send + 'static {
    let request_id = params.request_id.clone();
    let overwrite = params.overwrite;
    move |event| {
        if overwrite {
            event.fields.insert("request_id", request_id.clone());
        } else {
            event
                .fields
                .insert_default("request_id", request_id.clone());
        }
        Action::Keep
    }
}

#[ko_log::processor(name = "shout")]
fn uppercase_messages() -> impl FnMut(&mut Event) -> Action + Send + 'static {
    |event| {
        event.message = event.message.to_uppercase().into();
        Action::Keep
    }
}

#[ko_log::processor(name = "drop_below_warn")]
fn drop_chatter() -> impl FnMut(&mut Event) -> Action + Send + 'static {
    |event| {
        if event.level <= log::Level::Warn {
            Action::Keep
        } else {
            Action::Drop
        }
    }
}

mod one {
    #[ko_log::processor(name = "twice")]
    pub fn first() -> impl FnMut(&mut ko_log::Event) -> ko_log::Action + Send + 'static {
        |_| ko_log::Action::Keep
    }
}

mod two {
    #[ko_log::processor(name = "twice")]
    pub fn second() -> impl FnMut(&mut ko_log::Event) -> ko_log::Action + Send + 'static {
        |_| ko_log::Action::Drop
    }
}

/// The processors of handler `h` in a config whose `processors` line is `processors`.
fn processors(processors: &str) -> Result<Vec<ProcessorConfig>, String> {
    let text = format!(
        "[loggers.root]\nhandlers = [\"h\"]\n\n[handlers.h]\ntype = \"null\"\n{processors}\n"
    );
    let mut config = Config::from_str(&text, Format::Toml).map_err(|e| e.to_string())?;
    Ok(config
        .handlers
        .shift_remove("h")
        .expect("handler h")
        .processors)
}

/// Builds the first processor of `line`, or its error as text.
fn build(line: &str) -> Result<Box<dyn ko_log::Processor>, String> {
    let configs = processors(line)?;
    ko_log::process::build(&configs[0]).map_err(|e| e.to_string())
}

fn event(level: log::Level, message: &'static str) -> Event {
    Event::new(level, "app", message)
}

#[test]
fn a_registered_processor_is_resolved_by_name_with_its_params() {
    let mut processor =
        build(r#"processors = [{ type = "add_request_id", request_id = "abc" }]"#).unwrap();
    let mut event = event(log::Level::Info, "hello");
    event.fields.insert("request_id", "kept");
    assert_eq!(processor.process(&mut event), Action::Keep);
    assert_eq!(event.fields.get("request_id"), Some(&Value::from("kept")));

    let mut processor = build(
        r#"processors = [{ type = "add_request_id", request_id = "abc", overwrite = true }]"#,
    )
    .unwrap();
    assert_eq!(processor.process(&mut event), Action::Keep);
    assert_eq!(event.fields.get("request_id"), Some(&Value::from("abc")));
    assert_eq!(
        format!("{processor:?}"),
        "Processor { type: \"add_request_id\", .. }"
    );
}

#[test]
fn a_processor_without_params_is_named_by_its_registered_name() {
    let mut shout = build(r#"processors = [{ type = "shout" }]"#).unwrap();
    let mut filter = build(r#"processors = ["drop_below_warn"]"#).unwrap();
    let mut event = event(log::Level::Info, "quiet please");
    assert_eq!(shout.process(&mut event), Action::Keep);
    assert_eq!(event.message, "QUIET PLEASE");
    assert_eq!(filter.process(&mut event), Action::Drop);
}

#[test]
fn an_unknown_name_is_refused_at_its_type_with_did_you_mean() {
    let error = build(r#"processors = [{ type = "add_request_ids", request_id = "abc" }]"#)
        .expect_err("refused");
    assert_eq!(
        error,
        "error: unknown processor type `add_request_ids`\n \
         --> line 6, column 24\n  \
         |\n\
         6 | processors = [{ type = \"add_request_ids\", request_id = \"abc\" }]\n  \
         |                        ^\n  \
         = key: handlers.h.processors[0].type\n  \
         = help: did you mean `add_request_id`?"
    );
}

#[test]
fn an_unknown_name_lists_the_builtin_and_registered_names() {
    let error = build(r#"processors = [{ type = "geolocate" }]"#).expect_err("refused");
    assert_eq!(
        error,
        "error: unknown processor type `geolocate`\n \
         --> line 6, column 24\n  \
         |\n\
         6 | processors = [{ type = \"geolocate\" }]\n  \
         |                        ^\n  \
         = key: handlers.h.processors[0].type\n  \
         = help: expected `add_callsite`, `add_context_defaults`, `add_request_id`, \
         `dict_tracebacks`, `drop_below_warn`, `filter_by_level`, `filter_keys`, \
         `filter_markup`, `rate_limit`, `redact`, `shout` or `twice`"
    );
}

#[test]
fn params_that_do_not_fit_are_reported_at_their_own_key() {
    let error =
        build("processors = [\n  { type = \"add_request_id\",\n    reqest_id = \"abc\" },\n]")
            .expect_err("refused");
    assert!(
        error.contains("--> line 8, column 5") && error.contains("reqest_id"),
        "{error}"
    );
    assert!(
        error.contains("key: handlers.h.processors[0].reqest_id"),
        "{error}"
    );

    let error = build(r#"processors = [{ type = "add_request_id", request_id = ["a"] }]"#)
        .expect_err("refused");
    assert!(
        error.contains("key: handlers.h.processors[0].request_id"),
        "{error}"
    );

    let error = build(r#"processors = [{ type = "shout", volume = 11 }]"#).expect_err("refused");
    assert!(
        error.contains("volume") && error.contains("key: handlers.h.processors[0].volume"),
        "{error}"
    );
}

#[test]
fn a_misspelled_optional_key_is_refused_without_deny_unknown_fields() {
    let error =
        build(r#"processors = [{ type = "add_request_id", request_id = "abc", overwrit = true }]"#)
            .expect_err("refused");
    assert_eq!(
        error,
        "error: unknown key `overwrit`\n \
         --> line 6, column 62\n  \
         |\n\
         6 | processors = [{ type = \"add_request_id\", request_id = \"abc\", overwrit = true }]\n  \
         |                                                              ^\n  \
         = key: handlers.h.processors[0].overwrit\n  \
         = help: did you mean `overwrite`?"
    );
}

#[test]
fn a_name_registered_twice_is_refused_naming_both_registrations() {
    let error = build(r#"processors = [{ type = "twice" }]"#).expect_err("refused");
    let first = error.lines().next().unwrap_or_default();
    let line_of = |needle: &str| {
        1 + include_str!("processor_registry.rs")
            .lines()
            .position(|line| line.contains(needle))
            .expect("in this file")
    };
    assert_eq!(
        first,
        format!(
            "error: processor type `twice` is registered more than once: by \
             `processor_registry::one::first` (tests/processor_registry.rs:{}) and by \
             `processor_registry::two::second` (tests/processor_registry.rs:{}); give all \
             but one another name with #[ko_log::processor(name = \"...\")]",
            line_of("pub fn first()"),
            line_of("pub fn second()"),
        )
    );
    assert!(error.contains("--> line 6, column 24"), "{error}");
}

#[test]
fn init_runs_registered_processors_in_the_handler_pipeline() {
    let (_dir, path) = support::temp_path("app.log");
    let processors = r#"processors = [
  { type = "drop_below_warn" },
  { type = "add_request_id", request_id = "req-7" },
  "shout",
]"#;
    let file = config::file(
        "file",
        &path,
        &(config::plain("{level} {message}{kv}") + processors),
    );
    let root = "[loggers.root]\nlevel = \"trace\"\nhandlers = [\"file\"]\n";
    let guard = config::init(&(root.to_owned() + &file));
    log::info!("dropped by drop_below_warn");
    log::warn!(user = "ana"; "disk almost full");
    log::error!(request_id = "own"; "write failed");
    compact(3);
    log::logger().flush();
    drop(guard);
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[..3],
        [
            "WARN DISK ALMOST FULL user=ana request_id=req-7",
            "ERROR WRITE FAILED request_id=own",
            "WARN BEGIN: COMPACT segments=3 request_id=req-7",
        ]
    );
    // Lifecycle records go through the same pipeline as any other.
    assert!(
        lines[3].starts_with("WARN END (")
            && lines[3].contains("): COMPACT segments=3 elapsed_ms="),
        "{}",
        lines[3]
    );
    assert!(lines[3].ends_with(" request_id=req-7"), "{}", lines[3]);
    assert_eq!(lines.len(), 4);
}

#[ko_log::life("Compact", level = "warn", fields(segments))]
fn compact(segments: u32) {
    log::debug!("dropped by drop_below_warn");
}
