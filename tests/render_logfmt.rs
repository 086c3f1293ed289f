//! The logfmt renderer: exact lines through `init_from_str` and a file handler, a refused
//! key name, and a property test in which a strict decoder that follows go-logfmt's
//! (`decode.go`, `unquoteBytes` in `jsonstring.go`) gets every field back byte for byte,
//! keys compared with the documented sanitized form.
//!
//! The decoder is written here: the logfmt crates on crates.io (`logfmt` 0.0.2,
//! `tpt-logfmt-parse` 0.1, `logfmt-zerocopy` 0.1) do not implement go-logfmt's unquoting
//! (`\uXXXX` and surrogate pairs, `\r`, `\b`, `\f`, `\/`; refusal of raw control
//! characters inside quotes), so they could neither read back what go-logfmt writes nor
//! catch an encoder that leaves a raw newline in a value.
//!
//! Each property runs 256 cases; set `KO_LOG_FUZZ_CASES` for a longer hunt.

use ko_log::config::handler::Timezone;
use ko_log::config::render::TimeFormat;
use ko_log::render::{Logfmt, LogfmtConfig};
use ko_log::{Event, Value};
use log::Level;
use proptest::prelude::*;
use support::render;
use time::format_description::well_known::Rfc3339;
use time::macros::datetime;
use time::OffsetDateTime;

// ---- the decoder ----

/// One decoded pair: the key and the value (`None` for a key without `=`).
type Pair = (Vec<u8>, Option<Vec<u8>>);

/// Decodes one logfmt record the way go-logfmt's `Decoder.ScanKeyval` does, refusing
/// what it refuses.
fn decode(line: &[u8]) -> Result<Vec<Pair>, String> {
    let mut pairs = Vec::new();
    let mut pos = 0;
    loop {
        // Anything at or below a space between pairs is skipped.
        while line.get(pos).is_some_and(|&c| c <= b' ') {
            pos += 1;
        }
        if pos >= line.len() {
            return Ok(pairs);
        }
        let start = pos;
        while let Some(&c) = line.get(pos) {
            if c == b'=' || c <= b' ' {
                break;
            }
            if c == b'"' {
                return Err(format!("unexpected '\"' in a key at {pos}"));
            }
            pos += 1;
        }
        let key = line[start..pos].to_vec();
        if key.is_empty() {
            return Err(format!("unexpected '=' at {pos}"));
        }
        if String::from_utf8(key.clone()).map_or(true, |k| k.contains('\u{fffd}')) {
            return Err(format!("invalid key at {start}"));
        }
        if line.get(pos) != Some(&b'=') {
            pairs.push((key, None));
            continue;
        }
        pos += 1;
        match line.get(pos) {
            None => pairs.push((key, Some(Vec::new()))),
            Some(&c) if c <= b' ' => pairs.push((key, Some(Vec::new()))),
            Some(b'"') => {
                let start = pos;
                pos += 1;
                let mut escaped = false;
                loop {
                    let Some(&c) = line.get(pos) else {
                        return Err("unterminated quoted value".to_owned());
                    };
                    pos += 1;
                    match c {
                        _ if escaped => escaped = false,
                        b'\\' => escaped = true,
                        b'"' => break,
                        _ => {}
                    }
                }
                pairs.push((key, Some(unquote(&line[start + 1..pos - 1])?)));
            }
            Some(_) => {
                let start = pos;
                while let Some(&c) = line.get(pos) {
                    if c == b'=' || c == b'"' {
                        return Err(format!("unexpected {:?} at {pos}", c as char));
                    }
                    if c <= b' ' {
                        break;
                    }
                    pos += 1;
                }
                pairs.push((key, Some(line[start..pos].to_vec())));
            }
        }
    }
}

/// The inside of a quoted value, unescaped as go-logfmt's `unquoteBytes` does.
fn unquote(text: &[u8]) -> Result<Vec<u8>, String> {
    fn u4(text: &[u8], at: usize) -> Option<u32> {
        if text.get(at..at + 2)? != b"\\u" {
            return None;
        }
        let hex = std::str::from_utf8(text.get(at + 2..at + 6)?).ok()?;
        u32::from_str_radix(hex, 16).ok()
    }
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&c) = text.get(i) {
        match c {
            b'\\' => {
                let escape = *text.get(i + 1).ok_or("a lone backslash")?;
                i += 2;
                let byte = match escape {
                    b'"' | b'\\' | b'/' | b'\'' => escape,
                    b'b' => 0x08,
                    b'f' => 0x0c,
                    b'n' => b'\n',
                    b'r' => b'\r',
                    b't' => b'\t',
                    b'u' => {
                        let code = u4(text, i - 2).ok_or("a bad \\u escape")?;
                        i += 4;
                        let c = if (0xd800..0xe000).contains(&code) {
                            let low = u4(text, i).filter(|low| (0xdc00..0xe000).contains(low));
                            match (code < 0xdc00, low) {
                                (true, Some(low)) => {
                                    i += 6;
                                    char::from_u32(
                                        0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00),
                                    )
                                }
                                _ => None,
                            }
                            .unwrap_or(char::REPLACEMENT_CHARACTER)
                        } else {
                            char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER)
                        };
                        out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                        continue;
                    }
                    other => return Err(format!("unknown escape \\{}", other as char)),
                };
                out.push(byte);
            }
            b'"' => return Err("a raw '\"' inside quotes".to_owned()),
            c if c < b' ' => return Err(format!("a raw control byte {c:#04x} inside quotes")),
            c if c < 0x80 => {
                out.push(c);
                i += 1;
            }
            _ => {
                // Coerced to well-formed UTF-8, one U+FFFD per bad sequence.
                let rest = &text[i..];
                let (valid, size) = match std::str::from_utf8(rest) {
                    Ok(s) => (s.chars().next(), s.chars().next().map_or(1, char::len_utf8)),
                    Err(e) if e.valid_up_to() > 0 => {
                        let s = std::str::from_utf8(&rest[..e.valid_up_to()]).unwrap_or_default();
                        (s.chars().next(), s.chars().next().map_or(1, char::len_utf8))
                    }
                    Err(e) => (None, e.error_len().unwrap_or(1)),
                };
                let c = valid.unwrap_or(char::REPLACEMENT_CHARACTER);
                out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                i += size;
            }
        }
    }
    Ok(out)
}

fn pairs(line: &str) -> Vec<(String, String)> {
    let line = line
        .strip_suffix('\n')
        .expect("a record ends with a newline");
    assert!(!line.contains('\n'), "one record is one line: {line:?}");
    decode(line.as_bytes())
        .unwrap_or_else(|e| panic!("{e}: {line:?}"))
        .into_iter()
        .map(|(k, v)| {
            let v = v.unwrap_or_else(|| panic!("a key without a value in {line:?}"));
            (
                String::from_utf8(k).expect("UTF-8 key"),
                String::from_utf8(v).expect("UTF-8 value"),
            )
        })
        .collect()
}

#[test]
fn the_decoder_follows_go_logfmt() {
    let ok = |line: &str| decode(line.as_bytes()).unwrap();
    let pair = |k: &str, v: &str| (k.as_bytes().to_vec(), Some(v.as_bytes().to_vec()));
    assert_eq!(
        ok(r#"a=1 b="x y" c= d="" e"#),
        [
            pair("a", "1"),
            pair("b", "x y"),
            pair("c", ""),
            pair("d", ""),
            (b"e".to_vec(), None)
        ]
    );
    assert_eq!(
        ok(r#"k="\"\\\/\'\b\f\n\r\t\u00e9\u0000\ud83d\ude00\ud800x""#),
        [pair("k", "\"\\/'\u{8}\u{c}\n\r\té\0😀\u{fffd}x")]
    );
    assert_eq!(ok(r"path=C:\dir"), [pair("path", r"C:\dir")]);
    for bad in [
        "k=\"open",
        "k=a\"b",
        "k=a=b",
        "=v",
        "k\"=v",
        "k=\"a\nb\"",
        "k=\"\\x41\"",
        "k=\"\\u12\"",
        "k\u{fffd}=v",
    ] {
        assert!(decode(bad.as_bytes()).is_err(), "accepted {bad:?}");
    }
}

// ---- exact lines ----

fn renderer(config: LogfmtConfig) -> Logfmt {
    Logfmt::new(&LogfmtConfig {
        timezone: Timezone::Utc,
        ..config
    })
}

fn event(message: impl Into<ko_log::Str>) -> Event {
    let mut event = Event::new(Level::Info, "app::db", message);
    event.time = datetime!(2026-11-24 05:55:58.123456789 UTC);
    event
}

#[test]
fn hostile_text_stays_on_one_line_and_decodes() {
    let mut event = event("line one\nline two\r\n\x1b[31mred\u{9b}0m \"quoted\" a=b");
    event.fields.insert("path", r"C:\Program Files\x");
    event.fields.insert("user id", "null");
    event.fields.insert("", "lossy \u{fffd} \u{2028}");
    let out = render(&renderer(LogfmtConfig::default()), &event);
    assert_eq!(
        out,
        "ts=2026-11-24T05:55:58.123+00:00 level=INFO target=app::db \
         msg=\"line one\\nline two\\r\\n\\u001b[31mred\\u009b0m \\\"quoted\\\" a=b\" \
         path=\"C:\\\\Program Files\\\\x\" user_id=\"null\" _=\"lossy \\ufffd \\u2028\"\n"
    );
    assert_eq!(
        pairs(&out)[3..],
        [
            (
                "msg",
                "line one\nline two\r\n\x1b[31mred\u{9b}0m \"quoted\" a=b"
            ),
            ("path", r"C:\Program Files\x"),
            ("user_id", "null"),
            ("_", "lossy \u{fffd} \u{2028}"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
    );
}

#[test]
fn rfc3339_time_in_an_offset() {
    let out = render(
        &Logfmt::new(&LogfmtConfig {
            time_format: TimeFormat::parse("rfc3339").unwrap(),
            timezone: Timezone::Utc,
            ..LogfmtConfig::default()
        }),
        &event("m"),
    );
    assert_eq!(
        out,
        "ts=2026-11-24T05:55:58.123456789Z level=INFO target=app::db msg=m\n"
    );
}

/// The one test here that installs ko-log (once per process): a refused key name first
/// (nothing is installed), then a file handler with the logfmt renderer, records with
/// key-values and context, read back line by line.
#[test]
fn through_init_from_str_with_a_file_handler() {
    let (message, key, line, column) = support::init_refusal(
        "[loggers.root]\nhandlers = [\"f\"]\n[handlers.f]\ntype = \"null\"\nrenderer = { type = \"logfmt\", message_key = \"message text\" }\n",
    );
    assert_eq!(
        (message.as_str(), key.as_str(), line, column),
        (
            "`message_key` cannot contain a space: a logfmt key has no spaces, `=`, `\"` or control characters",
            "handlers.f.renderer.message_key",
            5,
            45
        )
    );

    let (_dir, path) = support::temp_path("app.log");
    let config = format!(
        "[loggers.root]\n\
         handlers = [\"f\"]\n\
         context = {{ app = \"shop\", \"request id\" = \"r-1\", msg = \"from context\" }}\n\
         [handlers.f]\n\
         type = \"file\"\n\
         path = \"{}\"\n\
         renderer = {{ type = \"logfmt\", time_format = \"rfc3339\", timezone = \"utc\", target_key = \"logger\" }}\n",
        path.display()
    );
    let before = OffsetDateTime::now_utc();
    let guard = ko_log::init_from_str(&config, ko_log::config::Format::Toml).unwrap();
    log::info!(target: "shop::cart", user_id = 123, name = "Ada Lovelace"; "Processing request");
    log::warn!(target: "shop::cart", note = "two\nlines", empty = ""; "say \"hi\"");
    kv_log_macro::error!("disk full", { free: 0.5, ok: false });
    drop(guard);
    let after = OffsetDateTime::now_utc();

    let lines = support::lines(&path);
    let rest: Vec<&str> = lines
        .iter()
        .map(|line| {
            let (ts, rest) = line
                .strip_prefix("ts=")
                .and_then(|line| line.split_once(' '))
                .unwrap_or_else(|| panic!("no ts first: {line}"));
            let time = OffsetDateTime::parse(ts, &Rfc3339).unwrap();
            assert!(before <= time && time <= after, "{ts}");
            assert!(ts.ends_with('Z'), "{ts}");
            rest
        })
        .collect();
    let context = "app=shop fields.msg=\"from context\" request_id=r-1";
    assert_eq!(
        rest,
        [
            format!("level=INFO logger=shop::cart msg=\"Processing request\" user_id=123 name=\"Ada Lovelace\" {context}"),
            format!("level=WARN logger=shop::cart msg=\"say \\\"hi\\\"\" note=\"two\\nlines\" empty=\"\" {context}"),
            format!("level=ERROR logger=render_logfmt msg=\"disk full\" free=0.5 ok=false {context}"),
        ]
    );
    // The config's context table comes in key order.
    let context = [
        ("app", "shop"),
        ("fields.msg", "from context"),
        ("request_id", "r-1"),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()));
    for line in &lines {
        let decoded = pairs(&format!("{line}\n"));
        assert_eq!(decoded[0].0, "ts");
        assert_eq!(decoded[decoded.len() - 3..], context, "{line}");
    }
    let stats = ko_log::stats();
    assert_eq!((stats.written, stats.dropped), (3, 0), "{stats:?}");
}

// ---- the property ----

/// A record with only `message`, target `t`.
fn event_with(message: &str) -> Event {
    let mut event = event(message.to_owned());
    event.target = "t".into();
    event
}

fn cases() -> u32 {
    std::env::var("KO_LOG_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(256)
}

/// Characters that matter to logfmt, often, and any character otherwise.
fn character() -> impl Strategy<Value = char> {
    prop_oneof![
        3 => prop::sample::select(vec![
            ' ', '=', '"', '\\', '\n', '\r', '\t', '\0', '\x01', '\x1b', '\x1f', '\x7f',
            '\u{80}', '\u{85}', '\u{9b}', '\u{9f}', '\u{a0}', '\u{2028}', '\u{2029}',
            '\u{202a}', '\u{fffd}', '\u{fffc}', 'é', '日', '😀', '.', '_', 'a', 'z',
        ]),
        2 => prop::char::range('!', '~'),
        1 => any::<char>(),
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => Just(String::new()),
        1 => Just("null".to_owned()),
        8 => prop::collection::vec(character(), 1..24).prop_map(String::from_iter),
    ]
}

/// Keys: arbitrary text, and the record's own keys and their `fields.` forms, so that
/// collisions happen.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => prop::sample::select(vec!["ts", "level", "target", "msg", "fields.msg", "fields.fields.msg", "a", "a.0"])
            .prop_map(str::to_owned),
        5 => text(),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        6 => text().prop_map(Value::from),
        1 => any::<i64>().prop_map(Value::from),
        2 => prop::collection::vec(text().prop_map(Value::from), 0..4).prop_map(Value::List),
    ]
}

/// The documented key rule: each character a logfmt key cannot hold becomes `_`, an
/// empty key is `_`.
fn sanitized(key: &str) -> String {
    if key.is_empty() {
        return "_".to_owned();
    }
    key.chars()
        .map(|c| {
            let bad = c <= ' '
                || c == '='
                || c == '"'
                || ('\u{7f}'..='\u{9f}').contains(&c)
                || c == '\u{2028}'
                || c == '\u{2029}'
                || c == '\u{fffd}';
            if bad {
                '_'
            } else {
                c
            }
        })
        .collect()
}

/// The documented reserved-key rule: a written key equal to one of the record's own is
/// prefixed `fields.` while it is one of them or (once prefixed) another field's key.
fn moved(key: String, own: &[&str], fields: &[(String, Value)]) -> String {
    if !own.contains(&key.as_str()) {
        return key;
    }
    let mut free = format!("fields.{key}");
    while own.contains(&free.as_str()) || fields.iter().any(|(k, _)| *k == free) {
        free.insert_str(0, "fields.");
    }
    free
}

/// The pairs a field must decode to.
fn expected(
    key: &str,
    value: &Value,
    own: &[&str],
    fields: &[(String, Value)],
) -> Vec<(String, String)> {
    let key = sanitized(key);
    match value {
        Value::List(items) if items.is_empty() => vec![(moved(key, own, fields), "[]".to_owned())],
        Value::List(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| (moved(format!("{key}.{i}"), own, fields), item.to_string()))
            .collect(),
        other => vec![(moved(key, own, fields), other.to_string())],
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn a_decoder_gets_every_field_back(
        message in text(),
        target in text(),
        fields in prop::collection::vec((key(), value()), 0..6),
    ) {
        let mut event = event(message.clone());
        event.target = target.clone().into();
        for (key, value) in &fields {
            event.fields.insert(key.clone(), value.clone());
        }
        // What the event holds (a repeated key keeps its first place, last value).
        let fields: Vec<(String, Value)> =
            event.fields.iter().map(|(k, v)| (k.to_owned(), v.clone())).collect();
        let out = render(&renderer(LogfmtConfig::default()), &event);
        let own = ["ts", "level", "target", "msg"];
        let mut want = vec![
            ("ts".to_owned(), "2026-11-24T05:55:58.123+00:00".to_owned()),
            ("level".to_owned(), "INFO".to_owned()),
            ("target".to_owned(), target),
            ("msg".to_owned(), message.clone()),
        ];
        for (key, value) in &fields {
            want.extend(expected(key, value, &own, &fields));
        }
        prop_assert_eq!(pairs(&out), want);
        // The record's own keys appear once.
        let decoded = pairs(&out);
        for name in own {
            prop_assert_eq!(decoded.iter().filter(|(k, _)| k == name).count(), 1);
        }
        // A value with nothing to quote is written bare; any other in quotes.
        let alone = render(&renderer(LogfmtConfig::default()), &event_with(&message));
        let written = alone
            .strip_prefix("ts=2026-11-24T05:55:58.123+00:00 level=INFO target=t msg=")
            .and_then(|rest| rest.strip_suffix('\n'))
            .unwrap_or_else(|| panic!("{alone:?}"));
        let quote = message.is_empty()
            || message == "null"
            || message.chars().any(|c| {
                c <= ' '
                    || c == '='
                    || c == '"'
                    || ('\u{7f}'..='\u{9f}').contains(&c)
                    || c == '\u{2028}'
                    || c == '\u{2029}'
                    || c == '\u{fffd}'
            });
        if quote {
            prop_assert!(written.len() >= 2 && written.starts_with('"') && written.ends_with('"'), "{:?}", written);
        } else {
            prop_assert_eq!(written, message.as_str());
        }
    }
}
