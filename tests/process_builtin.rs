//! The built-in processors, built from their config as a handler builds them: exact
//! fields and messages after each one, and a pipeline rendered to exact lines.

use std::borrow::Cow;

use ko_log::config::handler::Timezone;
use ko_log::config::node::NodeValue;
use ko_log::config::render::TimeFormat;
use ko_log::config::{ProcessorConfig, Template};
use ko_log::process::{self, Action, Processor};
use ko_log::render::{Json, JsonConfig, Plain, PlainConfig, Renderer};
use ko_log::{ErrorValue, Event, Fields, Value};
use log::{Level, LevelFilter};
use time::macros::datetime;

fn build(config: ProcessorConfig) -> Box<dyn Processor> {
    process::build(&config).expect("built-in processor")
}

fn event(level: Level, message: &'static str) -> Event {
    let mut event = Event::new(level, "app", message);
    event.time = datetime!(2026-11-24 05:55:58.123 UTC);
    event
}

fn fields(pairs: Vec<(&'static str, Value)>) -> Fields {
    let mut fields = Fields::new();
    for (key, value) in pairs {
        fields.insert(key, value);
    }
    fields
}

fn error(message: &str, sources: &[&str]) -> Value {
    Value::Error(Box::new(ErrorValue {
        message: message.to_owned(),
        sources: sources.iter().map(|s| (*s).to_owned()).collect(),
    }))
}

fn list(items: &[&'static str]) -> Value {
    Value::List(items.iter().map(|s| Value::from(*s)).collect())
}

fn with_call_site(mut event: Event) -> Event {
    event.file = Some(Cow::Borrowed("src/main.rs"));
    event.line = Some(7);
    event.module_path = Some(Cow::Borrowed("app::main"));
    event
}

#[test]
fn add_callsite_adds_the_configured_fields_without_overwriting() {
    let mut processor =
        build(ProcessorConfig::new("add_callsite").with("fields", vec!["file", "line", "module"]));
    let mut event = with_call_site(event(Level::Info, "m"));
    event.fields.insert("module", "mine");
    assert_eq!(processor.process(&mut event), Action::Keep);
    assert_eq!(
        event.fields,
        fields(vec![
            ("module", Value::from("mine")),
            ("file", Value::from("src/main.rs")),
            ("line", Value::U64(7)),
        ])
    );
}

#[test]
fn add_callsite_only_what_is_asked_and_known() {
    let mut processor = build(ProcessorConfig::new("add_callsite").with("fields", vec!["line"]));
    let mut event = with_call_site(event(Level::Info, "m"));
    processor.process(&mut event);
    assert_eq!(event.fields, fields(vec![("line", Value::U64(7))]));

    let mut processor =
        build(ProcessorConfig::new("add_callsite").with("fields", vec!["file", "module"]));
    let mut unknown = self::event(Level::Info, "m");
    processor.process(&mut unknown);
    assert!(unknown.fields.is_empty());
}

#[test]
fn add_context_defaults_fills_only_missing_keys() {
    let values = NodeValue::table([
        ("app", "myapp".into()),
        ("retries", 3.into()),
        ("ratio", 0.5.into()),
        ("on", true.into()),
    ]);
    let mut processor = build(ProcessorConfig::new("add_context_defaults").with("values", values));
    let mut event = event(Level::Info, "m");
    event.fields.insert("app", "other");
    assert_eq!(processor.process(&mut event), Action::Keep);
    assert_eq!(
        event.fields,
        fields(vec![
            ("app", Value::from("other")),
            ("on", Value::Bool(true)),
            ("ratio", Value::F64(0.5)),
            ("retries", Value::I64(3)),
        ])
    );
}

#[test]
fn dict_tracebacks_turns_errors_into_lists() {
    let mut processor = build(ProcessorConfig::new("dict_tracebacks").with("backtrace", false));
    let mut event = event(Level::Error, "failed");
    event.fields.insert(
        "err",
        error(
            "cannot load config",
            &["cannot open file", "permission denied"],
        ),
    );
    event.fields.insert("bare", error("timeout", &[]));
    event.fields.insert("n", 1);
    assert_eq!(processor.process(&mut event), Action::Keep);
    assert_eq!(
        event.fields,
        fields(vec![
            (
                "err",
                list(&[
                    "cannot load config",
                    "cannot open file",
                    "permission denied"
                ])
            ),
            ("bare", list(&["timeout"])),
            ("n", Value::I64(1)),
        ])
    );
}

#[test]
fn dict_tracebacks_backtrace_only_with_an_error() {
    let mut processor = build(ProcessorConfig::new("dict_tracebacks").with("backtrace", true));
    let mut plain = event(Level::Error, "no error here");
    processor.process(&mut plain);
    assert!(plain.fields.get("backtrace").is_none());

    let mut failed = event(Level::Error, "failed");
    failed.fields.insert("err", error("boom", &[]));
    processor.process(&mut failed);
    assert_eq!(failed.fields.get("err"), Some(&list(&["boom"])));
    match failed.fields.get("backtrace") {
        Some(Value::Str(trace)) => assert!(!trace.is_empty()),
        other => panic!("expected a backtrace string, got {other:?}"),
    }

    // A record's own `backtrace` key wins.
    let mut own = event(Level::Error, "failed");
    own.fields.insert("err", error("boom", &[]));
    own.fields.insert("backtrace", "mine");
    processor.process(&mut own);
    assert_eq!(own.fields.get("backtrace"), Some(&Value::from("mine")));
}

#[test]
fn filter_by_level() {
    let levels = [
        Level::Error,
        Level::Warn,
        Level::Info,
        Level::Debug,
        Level::Trace,
    ];
    for (min_level, kept) in [
        (LevelFilter::Off, 0),
        (LevelFilter::Error, 1),
        (LevelFilter::Warn, 2),
        (LevelFilter::Info, 3),
        (LevelFilter::Debug, 4),
        (LevelFilter::Trace, 5),
    ] {
        let filter = ProcessorConfig::new("filter_by_level");
        let mut processor = build(filter.with("min_level", min_level.as_str()));
        for (i, level) in levels.into_iter().enumerate() {
            let expected = if i < kept { Action::Keep } else { Action::Drop };
            assert_eq!(
                processor.process(&mut event(level, "m")),
                expected,
                "{min_level} {level}"
            );
        }
    }
}

#[test]
fn filter_keys_removes_exact_keys() {
    let mut processor =
        build(ProcessorConfig::new("filter_keys").with("keys", vec!["password", "absent"]));
    let mut event = event(Level::Info, "m");
    event.fields.insert("user", "ada");
    event.fields.insert("password", "hunter2");
    event.fields.insert("Password", "kept: exact match only");
    event.fields.insert("n", 1);
    assert_eq!(processor.process(&mut event), Action::Keep);
    assert_eq!(
        event.fields,
        fields(vec![
            ("user", Value::from("ada")),
            ("Password", Value::from("kept: exact match only")),
            ("n", Value::I64(1)),
        ])
    );
}

#[test]
fn filter_markup_strips_tags_from_the_message_only() {
    let mut processor = build(ProcessorConfig::new("filter_markup"));
    let mut event = event(
        Level::Info,
        "[bold red]Hello[/] [1, 2] \\[not a tag] [INFO]",
    );
    event.fields.insert("v", "[bold]kept[/bold]");
    assert_eq!(processor.process(&mut event), Action::Keep);
    assert_eq!(event.message, "Hello [1, 2] [not a tag] [INFO]");
    assert_eq!(
        event.fields.get("v"),
        Some(&Value::from("[bold]kept[/bold]"))
    );

    let mut untouched = self::event(Level::Info, "no markup");
    processor.process(&mut untouched);
    assert!(matches!(untouched.message, Cow::Borrowed("no markup")));
}

#[test]
fn redact_masks_configured_keys_case_insensitively() {
    let mut processor = build(
        ProcessorConfig::new("redact")
            .with("keys", vec!["password", "Authorization"])
            .with("replacement", "[redacted]"),
    );
    let mut event = event(Level::Info, "login password=visible-in-message");
    event.fields.insert("Password", "hunter2");
    event.fields.insert("AUTHORIZATION", "Bearer abc");
    event.fields.insert("password", error("not a string", &[]));
    event.fields.insert("user_password", "not a configured key");
    event.fields.insert("token", "not configured here");
    event.fields.insert("n", 1);
    assert_eq!(processor.process(&mut event), Action::Keep);
    assert_eq!(
        event.fields,
        fields(vec![
            ("Password", Value::from("[redacted]")),
            ("AUTHORIZATION", Value::from("[redacted]")),
            ("password", Value::from("[redacted]")),
            ("user_password", Value::from("not a configured key")),
            ("token", Value::from("not configured here")),
            ("n", Value::I64(1)),
        ])
    );
    assert_eq!(event.message, "login password=visible-in-message");
}

/// Runs `configs` in order as a handler does; `None` when one drops the record.
fn run(configs: Vec<ProcessorConfig>, mut event: Event) -> Option<Event> {
    for config in configs {
        if build(config).process(&mut event) == Action::Drop {
            return None;
        }
    }
    Some(event)
}

fn pipeline() -> Vec<ProcessorConfig> {
    vec![
        ProcessorConfig::new("filter_by_level").with("min_level", "info"),
        ProcessorConfig::new("add_callsite").with("fields", vec!["file", "line"]),
        ProcessorConfig::new("add_context_defaults")
            .with("values", NodeValue::table([("app", "myapp".into())])),
        ProcessorConfig::new("dict_tracebacks").with("backtrace", false),
        ProcessorConfig::new("filter_keys").with("keys", vec!["internal"]),
        ProcessorConfig::new("filter_markup"),
        ProcessorConfig::new("redact")
            .with("keys", vec!["token"])
            .with("replacement", "***"),
    ]
}

fn record() -> Event {
    let mut event = with_call_site(event(Level::Warn, "[bold]retrying[/bold] request"));
    event
        .fields
        .insert("err", error("timed out", &["connection reset"]));
    event.fields.insert("internal", true);
    event.fields.insert("Token", "s3cr3t");
    event
}

#[test]
fn pipeline_then_plain() {
    assert!(run(pipeline(), event(Level::Debug, "too low")).is_none());
    let event = run(pipeline(), record()).expect("kept");
    let renderer = Plain::new(&PlainConfig {
        format: Template::parse(Template::DEFAULT).expect("template"),
        time_format: TimeFormat::default(),
        timezone: Timezone::Utc,
    });
    let mut out = Vec::new();
    renderer.render(&event, &mut out);
    assert_eq!(
        String::from_utf8(out).expect("UTF-8"),
        "2026-11-24T05:55:58.123+00:00 WARN  [app] retrying request err=\"[timed out, connection reset]\" Token=*** file=src/main.rs line=7 app=myapp\n"
    );
}

#[test]
fn pipeline_then_json() {
    let event = run(pipeline(), record()).expect("kept");
    let renderer = Json::new(&JsonConfig {
        timezone: Timezone::Utc,
        ..JsonConfig::default()
    });
    let mut out = Vec::new();
    renderer.render(&event, &mut out);
    assert_eq!(
        String::from_utf8(out).expect("UTF-8"),
        concat!(
            "{\"timestamp\":\"2026-11-24T05:55:58.123Z\",\"level\":\"WARN\",\"target\":\"app\",\"message\":\"retrying request\",",
            "\"err\":[\"timed out\",\"connection reset\"],\"Token\":\"***\",\"file\":\"src/main.rs\",\"line\":7,\"app\":\"myapp\"}\n"
        )
    );
}

#[test]
fn an_unregistered_custom_type_is_a_located_config_error() {
    let text = r#"
[loggers.root]
handlers = ["h"]

[handlers.h]
type = "null"
processors = [{ type = "add_calsite", fields = ["file"] }]
"#;
    let config =
        ko_log::config::Config::from_str(text, ko_log::config::Format::Toml).expect("config loads");
    let processor = &config.handlers["h"].processors[0];
    assert_eq!(processor.name, "add_calsite");
    let error = process::build(processor).expect_err("no processor registered under that name");
    assert_eq!(error.code(), "CONFIGURATION::Config::VALIDATION::ERROR");
    assert!(!error.recoverable());
    let message = error.to_string();
    for part in [
        "unknown processor type `add_calsite`",
        "line 7, column 24",
        "handlers.h.processors[0].type",
        "did you mean `add_callsite`?",
    ] {
        assert!(message.contains(part), "{part:?} not in:\n{message}");
    }
}

/// A bare name takes the processor's defaults (checked in ko-log-config's `formats.rs`
/// while the config crate read the built-in processors).
#[test]
fn bare_names_take_each_processors_defaults() {
    use ko_log::config::node::Params;
    use ko_log::config::process::CallsiteField;
    use ko_log::process::{AddCallsite, Redact};
    let fields = [
        CallsiteField::File,
        CallsiteField::Line,
        CallsiteField::Module,
    ];
    assert_eq!(
        AddCallsite::from_params(&Params::default()).unwrap(),
        AddCallsite::new(&fields)
    );
    let keys = ["password", "token", "authorization", "secret"];
    assert_eq!(
        Redact::from_params(&Params::default()).unwrap(),
        Redact::new(keys, "***")
    );
}
