//! The JSON renderer: exact objects for exact events, value kinds, the reserved-key rule,
//! nested fields, pretty output, and hostile text that must still parse back.

use std::borrow::Cow;

use ko_log::config::handler::Timezone;
use ko_log::render::{Json, JsonConfig, Renderer};
use ko_log::{ErrorValue, Event, Value};
use log::Level;
use support::{render, Keys};
use time::macros::datetime;

fn json(config: JsonConfig) -> Json {
    Json::new(&JsonConfig {
        timezone: Timezone::Utc,
        ..config
    })
}

fn compact() -> Json {
    json(JsonConfig::default())
}

fn event(message: impl Into<ko_log::Str>) -> Event {
    let mut event = Event::new(Level::Info, "app::db", message);
    event.time = datetime!(2026-11-24 05:55:58.123456789 UTC);
    event
}

/// Checks that `out` is one JSON object on one line without duplicate keys; returns it.
fn parse_line(out: &str) -> serde_json::Value {
    let line = out.strip_suffix('\n').expect("ends with a newline");
    assert!(!line.contains('\n'), "one line");
    let Keys(keys) = serde_json::from_str(line).expect("valid JSON");
    let mut unique = keys.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), keys.len(), "duplicate keys in {keys:?}");
    serde_json::from_str(line).expect("valid JSON")
}

#[test]
fn one_object_per_line() {
    let mut event = event("Processing request");
    event.fields.insert("user_id", 123);
    event.fields.insert("name", "Ada");
    let out = render(&compact(), &event);
    assert_eq!(
        out,
        "{\"timestamp\":\"2026-11-24T05:55:58.123456789Z\",\"level\":\"INFO\",\"target\":\"app::db\",\"message\":\"Processing request\",\"user_id\":123,\"name\":\"Ada\"}\n"
    );
    parse_line(&out);
}

#[test]
fn timestamp_is_utc_rfc3339() {
    let mut event = event("m");
    event.time = datetime!(2026-11-24 07:55:58.5 +02:00);
    let out = render(&compact(), &event);
    assert!(
        out.starts_with("{\"timestamp\":\"2026-11-24T05:55:58.5Z\","),
        "{out}"
    );
}

#[test]
fn values_keep_their_kind() {
    let mut event = event("m");
    event.fields.insert("i", -7);
    event.fields.insert("u", u64::MAX);
    event.fields.insert("f", 2.5);
    event.fields.insert("whole", 1.0);
    event.fields.insert("nan", f64::NAN);
    event.fields.insert("inf", f64::INFINITY);
    event.fields.insert("ninf", f64::NEG_INFINITY);
    event.fields.insert("b", true);
    event.fields.insert("n", Value::Null);
    event.fields.insert("s", "x");
    let error = ErrorValue {
        message: "outer".to_owned(),
        sources: vec!["middle".to_owned(), "inner".to_owned()],
    };
    event.fields.insert("err", Value::Error(Box::new(error)));
    let bare = ErrorValue {
        message: "e".to_owned(),
        sources: Vec::new(),
    };
    event.fields.insert("bare", Value::Error(Box::new(bare)));
    event.fields.insert(
        "list",
        Value::List(vec![
            Value::from(1),
            Value::from("a"),
            Value::List(vec![Value::Bool(true)]),
        ]),
    );
    let out = render(&compact(), &event);
    assert_eq!(
        out,
        concat!(
            "{\"timestamp\":\"2026-11-24T05:55:58.123456789Z\",\"level\":\"INFO\",\"target\":\"app::db\",\"message\":\"m\",",
            "\"i\":-7,\"u\":18446744073709551615,\"f\":2.5,\"whole\":1.0,\"nan\":\"NaN\",\"inf\":\"inf\",\"ninf\":\"-inf\",",
            "\"b\":true,\"n\":null,\"s\":\"x\",\"err\":{\"message\":\"outer\",\"sources\":[\"middle\",\"inner\"]},",
            "\"bare\":{\"message\":\"e\",\"sources\":[]},\"list\":[1,\"a\",[true]]}\n"
        )
    );
    parse_line(&out);
}

#[test]
fn reserved_keys_never_overwrite_the_record() {
    let mut event = event("the record's message");
    event.fields.insert("message", "m2");
    event.fields.insert("level", 5);
    event.fields.insert("fields.message", "taken");
    event.fields.insert("timestamp", "t");
    event.fields.insert("target", "tg");
    event.fields.insert("other", 1);
    let out = render(&compact(), &event);
    assert_eq!(
        out,
        concat!(
            "{\"timestamp\":\"2026-11-24T05:55:58.123456789Z\",\"level\":\"INFO\",\"target\":\"app::db\",",
            "\"message\":\"the record's message\",\"fields.fields.message\":\"m2\",\"fields.level\":5,",
            "\"fields.message\":\"taken\",\"fields.timestamp\":\"t\",\"fields.target\":\"tg\",\"other\":1}\n"
        )
    );
    let value = parse_line(&out);
    assert_eq!(value["message"], "the record's message");
    assert_eq!(value["level"], "INFO");
}

#[test]
fn nested_fields() {
    let renderer = json(JsonConfig {
        flatten: false,
        fields_key: "ctx".to_owned(),
        ..JsonConfig::default()
    });
    let mut event = event("m");
    assert_eq!(
        render(&renderer, &event),
        "{\"timestamp\":\"2026-11-24T05:55:58.123456789Z\",\"level\":\"INFO\",\"target\":\"app::db\",\"message\":\"m\",\"ctx\":{}}\n"
    );
    event.fields.insert("message", "inner");
    event.fields.insert("a", 1);
    let out = render(&renderer, &event);
    assert_eq!(
        out,
        "{\"timestamp\":\"2026-11-24T05:55:58.123456789Z\",\"level\":\"INFO\",\"target\":\"app::db\",\"message\":\"m\",\"ctx\":{\"message\":\"inner\",\"a\":1}}\n"
    );
    parse_line(&out);
}

#[test]
fn nested_fields_under_a_reserved_name() {
    let renderer = json(JsonConfig {
        flatten: false,
        fields_key: "message".to_owned(),
        ..JsonConfig::default()
    });
    let mut event = event("m");
    event.fields.insert("a", 1);
    let out = render(&renderer, &event);
    assert!(
        out.ends_with(",\"message\":\"m\",\"fields.message\":{\"a\":1}}\n"),
        "{out}"
    );
    parse_line(&out);
}

#[test]
fn pretty() {
    let renderer = json(JsonConfig {
        pretty: true,
        indent: 4,
        ..JsonConfig::default()
    });
    let mut event = event("m");
    event.fields.insert("a", 1);
    event
        .fields
        .insert("list", Value::List(vec![Value::from(1), Value::from(2)]));
    let out = render(&renderer, &event);
    assert_eq!(
        out,
        r#"{
    "timestamp": "2026-11-24T05:55:58.123456789Z",
    "level": "INFO",
    "target": "app::db",
    "message": "m",
    "a": 1,
    "list": [
        1,
        2
    ]
}
"#
    );
    let value: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
    assert_eq!(value["a"], 1);
}

#[test]
fn hostile_text_is_escaped() {
    let mut event = event("a\nb\u{1b}[31m\0\u{9b}\u{2028}\"\\");
    event.target = Cow::Borrowed("t\r");
    event.fields.insert("k\"\n", "v\u{7f}\t");
    let out = render(&compact(), &event);
    assert_eq!(
        out,
        concat!(
            "{\"timestamp\":\"2026-11-24T05:55:58.123456789Z\",\"level\":\"INFO\",\"target\":\"t\\r\",",
            "\"message\":\"a\\nb\\u001b[31m\\u0000\u{9b}\u{2028}\\\"\\\\\",\"k\\\"\\n\":\"v\u{7f}\\t\"}\n"
        )
    );
    let value = parse_line(&out);
    assert_eq!(value["message"], "a\nb\u{1b}[31m\0\u{9b}\u{2028}\"\\");
}

#[test]
fn every_character_round_trips() {
    let mut message: String = (0u32..0x100).filter_map(char::from_u32).collect();
    message.push_str(&String::from_utf8_lossy(b"lossy\xff\xfe"));
    message.push_str("\u{2028}\u{2029}\u{feff}😀");
    let mut event = event(message.clone());
    event.fields.insert(message.clone(), message.clone());
    let value = parse_line(&render(&compact(), &event));
    assert_eq!(value["message"], message.as_str());
    assert_eq!(value[message.as_str()], message.as_str());
}

#[test]
fn ten_mebibyte_message_parses_back() {
    let big = "\x1b\n".repeat(5 << 20);
    let event = event(big.clone());
    let value = parse_line(&render(&compact(), &event));
    assert_eq!(value["message"].as_str(), Some(big.as_str()));
}

#[test]
fn appends_to_the_buffer() {
    let renderer = compact();
    let mut out = Vec::new();
    renderer.render(&event("one"), &mut out);
    renderer.render(&event("two"), &mut out);
    let text = String::from_utf8(out).expect("UTF-8");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2);
    for line in lines {
        parse_line(&format!("{line}\n"));
    }
}
