//! The plain renderer: exact lines for exact events, placeholders, widths, `{kv}`
//! quoting, and hostile text that must stay on one line with its escapes visible.

use std::borrow::Cow;
use std::sync::Arc;

use ko_log::config::handler::Timezone;
use ko_log::config::render::TimeFormat;
use ko_log::config::Template;
use ko_log::render::{Plain, PlainConfig, Renderer};
use ko_log::{ErrorValue, Event, Value};
use log::Level;
use support::render;
use time::macros::datetime;

fn plain_with(format: &str, time_format: &str) -> Plain {
    Plain::new(&PlainConfig {
        format: Template::parse(format).expect("template"),
        time_format: TimeFormat::parse(time_format).expect("time format"),
        timezone: Timezone::Utc,
    })
}

fn plain(format: &str) -> Plain {
    plain_with(format, TimeFormat::DEFAULT_DESCRIPTION)
}

fn event(level: Level, message: impl Into<ko_log::Str>) -> Event {
    let mut event = Event::new(level, "app::db", message);
    event.time = datetime!(2026-11-24 05:55:58.123456789 UTC);
    event
}

#[test]
fn default_template() {
    let mut event = event(Level::Info, "Processing request");
    event.fields.insert("user_id", 123);
    event.fields.insert("name", "Ada Lovelace");
    assert_eq!(
        render(&plain(Template::DEFAULT), &event),
        "2026-11-24T05:55:58.123+00:00 INFO  [app::db] Processing request user_id=123 name=\"Ada Lovelace\"\n"
    );
}

#[test]
fn default_config_is_the_default_template() {
    let mut event = event(Level::Warn, "disk almost full");
    event.fields.insert("free", 0.5);
    let out = render(&Plain::new(&PlainConfig::default()), &event);
    // The default timezone is local: only the part after the time is fixed.
    assert!(
        out.ends_with(" WARN  [app::db] disk almost full free=0.5\n"),
        "{out:?}"
    );
}

#[test]
fn every_level_name() {
    let renderer = plain("{level}|");
    assert_eq!(
        support::per_level(|level| render(&renderer, &event(level, "m"))),
        ["ERROR|\n", "WARN|\n", "INFO|\n", "DEBUG|\n", "TRACE|\n"]
    );
}

#[test]
fn every_placeholder() {
    let mut event = event(Level::Error, "failed");
    event.module_path = Some(Cow::Borrowed("app::db::pool"));
    event.file = Some(Cow::Borrowed("src/db/pool.rs"));
    event.line = Some(42);
    event.thread = Arc::from("worker-1");
    event.fields.insert("request_id", "r-7");
    event.fields.insert("attempt", 3);
    let renderer = plain_with(
        "{time} {thread} {module} {file}:{line} {level} {target} {request_id} {message}{kv} {{literal}}",
        "[hour]:[minute]:[second]",
    );
    assert_eq!(
        render(&renderer, &event),
        "05:55:58 worker-1 app::db::pool src/db/pool.rs:42 ERROR app::db r-7 failed attempt=3 {literal}\n"
    );
}

#[test]
fn missing_values_are_empty() {
    let renderer = plain("<{module}><{file}><{line}><{absent}><{kv}>");
    assert_eq!(render(&renderer, &event(Level::Info, "m")), "<><><><><>\n");
}

#[test]
fn named_fields_are_left_out_of_kv() {
    let mut event = event(Level::Info, "m");
    event.fields.insert("a", 1);
    event.fields.insert("b", 2);
    event.fields.insert("c", 3);
    assert_eq!(render(&plain("{b} {message}{kv}"), &event), "2 m a=1 c=3\n");
}

#[test]
fn rfc3339_time_format() {
    assert_eq!(
        render(&plain_with("{time}", "rfc3339"), &event(Level::Info, "m")),
        "2026-11-24T05:55:58.123456789Z\n"
    );
}

#[test]
fn time_is_moved_to_the_configured_timezone() {
    let mut event = event(Level::Info, "m");
    event.time = datetime!(2026-11-24 07:55:58.5 +02:00);
    assert_eq!(
        render(&plain("{time}"), &event),
        "2026-11-24T05:55:58.500+00:00\n"
    );
}

#[test]
fn widths_count_characters() {
    let mut event = event(Level::Info, "é✓");
    event.target = Cow::Borrowed("日本");
    assert_eq!(
        render(&plain("|{level:<6}|{level:>6}|{level:^7}|"), &event),
        "|INFO  |  INFO| INFO  |\n"
    );
    assert_eq!(
        render(&plain("|{target:>4}|{message:^5}|"), &event),
        "|  日本| é✓  |\n"
    );
    // A minimum only: longer text is never cut.
    assert_eq!(
        render(&plain("|{message:<1}|{target:>0}|"), &event),
        "|é✓|日本|\n"
    );
}

#[test]
fn width_counts_escapes_as_written() {
    let event = event(Level::Info, "a\nb");
    assert_eq!(render(&plain("|{message:>6}|"), &event), "|  a\\nb|\n");
}

#[test]
fn kv_values_are_quoted_when_needed() {
    let mut event = event(Level::Info, "m");
    event.fields.insert("plain", "word");
    event.fields.insert("empty", "");
    event.fields.insert("space", "two words");
    event.fields.insert("equals", "a=b");
    event.fields.insert("quote", "say \"hi\"");
    event.fields.insert("backslash", "C:\\temp");
    event.fields.insert("int", -7);
    event.fields.insert("uint", u64::MAX);
    event.fields.insert("float", 2.5);
    event.fields.insert("nan", f64::NAN);
    event.fields.insert("yes", true);
    event.fields.insert("none", Value::Null);
    event
        .fields
        .insert("list", Value::List(vec![Value::from(1), Value::from("x")]));
    assert_eq!(
        render(&plain("{message}{kv}"), &event),
        concat!(
            "m plain=word empty=\"\" space=\"two words\" equals=\"a=b\" quote=\"say \\\"hi\\\"\"",
            " backslash=\"C:\\\\temp\" int=-7 uint=18446744073709551615 float=2.5 nan=NaN",
            " yes=true none=null list=\"[1, x]\"\n"
        )
    );
}

#[test]
fn errors_show_their_chain() {
    let mut event = event(Level::Error, "failed");
    let error = ErrorValue {
        message: "cannot open config".to_owned(),
        sources: vec!["permission denied".to_owned()],
    };
    event.fields.insert("err", Value::Error(Box::new(error)));
    assert_eq!(
        render(&plain("{message}{kv} / {err}"), &event),
        "failed / cannot open config: permission denied\n"
    );
    assert_eq!(
        render(&plain("{message}{kv}"), &event),
        "failed err=\"cannot open config: permission denied\"\n"
    );
}

#[test]
fn hostile_message_stays_on_one_line() {
    let lossy = String::from_utf8_lossy(b"bad\xffutf8").into_owned();
    let message = format!(
        "a\nb\r\nc\td\0e\x1b[31mred\x1b[0m\x07\x7f \u{9b}2J \u{85}nel \u{2028} {lossy} \\n"
    );
    let out = render(&plain("{message}"), &event(Level::Info, message));
    assert_eq!(
        out,
        "a\\nb\\r\\nc\\td\\x00e\\x1b[31mred\\x1b[0m\\x07\\x7f \\u{9b}2J \\u{85}nel \\u{2028} bad\u{fffd}utf8 \\n\n"
    );
}

#[test]
fn hostile_keys_values_and_call_site() {
    let mut event = event(Level::Info, "m");
    event.target = Cow::Borrowed("t\nx");
    event.thread = Arc::from("th\x1b]0;pwned\x07");
    event.file = Some(Cow::Borrowed("f\r.rs"));
    event.fields.insert("k\ney", "v\nal\x1b[2J");
    event.fields.insert("ok", "\u{9b}");
    event.fields.insert("quoted", "a \"b\" \n");
    assert_eq!(
        render(&plain("{target} {thread} {file} {message}{kv}"), &event),
        concat!(
            "t\\nx th\\x1b]0;pwned\\x07 f\\r.rs m",
            " k\\ney=\"v\\nal\\x1b[2J\" ok=\"\\u{9b}\" quoted=\"a \\\"b\\\" \\n\"\n"
        )
    );
}

#[test]
fn ten_mebibyte_message_is_one_line() {
    let big = "x".repeat(10 << 20);
    let out = render(
        &plain("{level} {message}"),
        &event(Level::Info, big.clone()),
    );
    assert_eq!(out.len(), "INFO ".len() + big.len() + 1);
    assert!(out.starts_with("INFO xxx") && out.ends_with("xx\n"));

    let newlines = "\n".repeat(10 << 20);
    let out = render(&plain("{message}"), &event(Level::Info, newlines));
    assert_eq!(out.len(), 2 * (10 << 20) + 1);
    assert_eq!(out.bytes().filter(|&b| b == b'\n').count(), 1);
    assert!(out.starts_with("\\n\\n") && out.ends_with("\\n\n"));
}

#[test]
fn appends_to_the_buffer() {
    let renderer = plain("{message}");
    let mut out = b"before\n".to_vec();
    renderer.render(&event(Level::Info, "one"), &mut out);
    renderer.render(&event(Level::Info, "two"), &mut out);
    assert_eq!(out, b"before\none\ntwo\n");
}
