//! Hostile input, end to end through the global logger into real files:
//!
//! - messages, values, keys and targets with `\n`, `\r`, NUL, ANSI and C1 escapes, Unicode
//!   line separators, lossily converted invalid UTF-8, and 10 MiB of it: the plain and
//!   colored files keep one line per record with the escapes visible (the only escape
//!   sequences in the colored file are ko-log's own level colors), and every line of the
//!   JSON file parses back to exactly what was logged;
//! - fields named like the record's own keys (`level`, `message`, `target`, `timestamp`),
//!   from the record, the scoped context and the config's context, never overwrite them;
//! - created log files get mode 0640 (less the umask) unless configured, backups too;
//! - `redact` masks the configured keys wherever the field came from.
//!
//! Each test installs its own global config, so each runs in a child process.

use std::path::Path;

use support::config::{file, handler, init, plain, root, JSON};
use support::Keys;

/// The plain format of the tests' plain and colored handlers.
const FORMAT: &str = "{level} [{target}] {message}{kv}";

fn read(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap();
    String::from_utf8(bytes).expect("the output is UTF-8")
}

/// Parses one JSON Lines line, checking it has no duplicate key.
fn object(line: &str) -> serde_json::Value {
    let Keys(keys) = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line:.200}"));
    let mut sorted = keys.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), keys.len(), "duplicate keys in {keys:?}");
    serde_json::from_str(line).unwrap()
}

// ---------------------------------------------------------------------------------------
// Control characters, escapes, invalid UTF-8, 10 MiB

/// The hostile texts, each logged as message, value, key and target.
fn hostile() -> Vec<String> {
    let mut texts: Vec<String> = [
        "first\nINFO [forged] a second line that never was",
        "carriage\r\nreturn and\rOVERWRITE",
        "nul\0in the middle",
        "ansi \x1b[31mred\x1b[0m clear \x1b[2J title \x1b]0;pwned\x07 bell",
        "c1 \u{9b}31m csi \u{85} nel \u{80}",
        "line\u{2028}separator\u{2029}paragraph",
        "tab\tdel\x7f backslash-n \\n quote \" equals = ",
        "bidi \u{202e}txt.exe\u{202c} zero\u{200b}width 😀",
        "",
    ]
    .map(str::to_owned)
    .to_vec();
    texts.push(String::from_utf8_lossy(b"lossy \xff\xfe \xc3\x28 \xed\xa0\x80 end").into_owned());
    texts
}

const BIG: usize = 10 << 20;

/// 10 MiB of text with a newline, a carriage return, NUL, an ANSI sequence, a C1 control
/// and a replacement character in every 64 bytes.
fn big() -> String {
    let chunk = "ten mebibytes\n\r\0 \x1b[2J \u{9b}31m \u{fffd} of hostile text ................";
    assert_eq!(chunk.len(), 64);
    chunk.repeat(BIG / 64)
}

/// Where `line` (without its `\n`) holds a character that a terminal or a line splitter
/// would act on: C0 controls, DEL, C1 controls, U+2028/U+2029 (checked on the UTF-8 bytes).
fn raw_control(line: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    bytes.iter().enumerate().position(|(i, &b)| {
        b < 0x20
            || b == 0x7f
            || (b == 0xc2
                && bytes
                    .get(i + 1)
                    .is_some_and(|&n| (0x80..=0x9f).contains(&n)))
            || (b == 0xe2
                && bytes.get(i + 1) == Some(&0x80)
                && matches!(bytes.get(i + 2), Some(0xa8 | 0xa9)))
    })
}

/// Logs record `id` with `text` as its message, as the value of `value`, as a key and as
/// its target.
fn log_hostile(id: usize, text: &str) {
    let kvs: [(&str, &dyn log::kv::ToValue); 3] = [("id", &id), ("value", &text), (text, &"key")];
    let target = format!("hostile::{text}");
    log::logger().log(
        &log::Record::builder()
            .level(log::Level::Info)
            .target(&target)
            .args(format_args!("{text}"))
            .key_values(&kvs)
            .build(),
    );
}

#[test]
fn hostile_text_keeps_one_line_per_record_and_valid_json() {
    support::child_only!("hostile_text_keeps_one_line_per_record_and_valid_json");
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    let colored =
        format!("renderer = {{ type = \"colored\", color = \"always\", format = \"{FORMAT}\" }}");
    let guard = init(&format!(
        r#"
        [queue]
        capacity = 64
        # 10 MiB records take seconds to escape in a debug build.
        drain_timeout = "120s"

        [loggers.root]
        handlers = ["plain", "colored", "json"]

        {}{}{}"#,
        file("plain", &path("plain.log"), &plain(FORMAT)),
        file("colored", &path("colored.log"), &colored),
        file("json", &path("json.log"), JSON),
    ));
    let mut texts = hostile();
    texts.push(big());
    for (id, text) in texts.iter().enumerate() {
        log_hostile(id, text);
    }
    // Through the `log` macros too, with a 10 MiB value.
    let big = &texts[texts.len() - 1];
    log::info!(id = texts.len(), value = big.as_str(); "macro {}", texts[0]);
    drop(guard);
    let records = texts.len() + 1;

    for (name, colored) in [("plain.log", false), ("colored.log", true)] {
        let text = read(&path(name));
        assert!(text.ends_with('\n'));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), records, "{name}: one line per record");
        for (id, line) in lines.iter().enumerate() {
            let line = if colored {
                line.strip_prefix("\x1b[32mINFO\x1b[0m ")
                    .unwrap_or_else(|| panic!("{name}: no level color in {line:.80}"))
            } else {
                line.strip_prefix("INFO ").unwrap()
            };
            if let Some(at) = raw_control(line) {
                panic!("{name}: record {id} holds a raw control at {at}: {line:.200}");
            }
            assert!(line.contains(&format!(" id={id} ")), "{name}: {line:.200}");
        }
        // The escapes are visible, not acted on.
        assert!(lines[0].contains(r"first\nINFO [forged]"), "{}", lines[0]);
        assert!(lines[3].contains(r"\x1b[31mred\x1b[0m"), "{}", lines[3]);
        assert!(lines[4].contains(r"\u{9b}31m"), "{}", lines[4]);
        assert!(lines[2].contains(r"nul\x00in"), "{}", lines[2]);
        assert!(lines[9].contains("lossy \u{fffd}\u{fffd}"), "{}", lines[9]);
        let big_line = lines[records - 2];
        assert!(
            big_line.len() > 2 * BIG,
            "{name}: the 10 MiB record is whole"
        );
    }
    let text = read(&path("json.log"));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), records, "json: one line per record");
    for (id, line) in lines.iter().enumerate() {
        let value = object(line);
        assert_eq!(value["id"], id, "{line:.200}");
        assert_eq!(value["level"], "INFO");
        if let Some(text) = texts.get(id) {
            assert_eq!(value["message"].as_str(), Some(text.as_str()));
            assert_eq!(value["value"].as_str(), Some(text.as_str()));
            assert_eq!(
                value["target"].as_str(),
                Some(format!("hostile::{text}").as_str())
            );
            if !["id", "value"].contains(&text.as_str()) {
                assert_eq!(value[text.as_str()], "key", "the hostile key survives");
            }
        } else {
            assert_eq!(
                value["message"].as_str(),
                Some(format!("macro {}", texts[0]).as_str())
            );
            assert_eq!(value["value"].as_str(), Some(big.as_str()));
        }
    }
    let stats = ko_log::stats();
    assert_eq!((stats.written, stats.handler_errors), (records as u64, 0));
}

// ---------------------------------------------------------------------------------------
// Reserved keys

#[test]
fn fields_named_like_the_record_keys_never_overwrite_it() {
    support::child_only!("fields_named_like_the_record_keys_never_overwrite_it");
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    let guard = init(&format!(
        r#"
        [loggers.root]
        handlers = ["plain", "json", "nested"]
        context = {{ message = "from config", level = "from config", app = "shop" }}

        {}{}{}"#,
        file("plain", &path("plain.log"), &plain(FORMAT)),
        file("json", &path("json.log"), JSON),
        file(
            "nested",
            &path("nested.log"),
            "renderer = { type = \"json\", flatten = false }"
        ),
    ));
    {
        let _scope = ko_log::context!(timestamp = "from scope", target = "from scope");
        log::warn!(level = "forged", message = "forged"; "the real message");
    }
    log::info!(fields = "a field named fields"; "second");
    drop(guard);

    assert_eq!(
        support::lines(path("plain.log")),
        [
            "WARN [reliability_hostile] the real message level=forged message=forged \
             timestamp=\"from scope\" target=\"from scope\" app=shop",
            "INFO [reliability_hostile] second fields=\"a field named fields\" \
             app=shop level=\"from config\" message=\"from config\"",
        ]
    );

    let json = support::lines(path("json.log"));
    let first = object(&json[0]);
    assert_eq!(first["level"], "WARN");
    assert_eq!(first["message"], "the real message");
    assert_eq!(first["target"], "reliability_hostile");
    let timestamp = first["timestamp"].as_str().unwrap();
    time::OffsetDateTime::parse(timestamp, &time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|e| panic!("{timestamp}: {e}"));
    // The record's own key-values win over context; context never overwrites either.
    assert_eq!(first["fields.level"], "forged");
    assert_eq!(first["fields.message"], "forged");
    assert_eq!(first["fields.timestamp"], "from scope");
    assert_eq!(first["fields.target"], "from scope");
    assert_eq!(first["app"], "shop");
    let second = object(&json[1]);
    assert_eq!(second["message"], "second");
    assert_eq!(second["fields.message"], "from config");
    assert_eq!(second["fields"], "a field named fields");

    let nested = support::lines(path("nested.log"));
    let first = object(&nested[0]);
    assert_eq!(first["message"], "the real message");
    assert_eq!(first["fields"]["message"], "forged");
    assert_eq!(first["fields"]["timestamp"], "from scope");
    let second = object(&nested[1]);
    assert_eq!(second["fields"]["fields"], "a field named fields");
}

// ---------------------------------------------------------------------------------------
// File modes

/// A rotating file's limits: a few records to a file, three backups.
const ROTATING: &str = "max_bytes = 200\nbackup_count = 3";

#[cfg(unix)]
#[test]
fn created_files_get_0640_unless_configured() {
    use std::os::unix::fs::PermissionsExt;
    support::child_only!("created_files_get_0640_unless_configured");
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    let existing = path("existing.log");
    std::fs::write(&existing, "").unwrap();
    std::fs::set_permissions(&existing, std::fs::Permissions::from_mode(0o644)).unwrap();
    let guard = init(
        &[
            root(&["file", "rotating", "private", "existing"]),
            file("file", &path("logs/file.log"), ""),
            handler(
                "rotating",
                "rotating_file",
                &path("logs/rotating.log"),
                ROTATING,
            ),
            file("private", &path("private.log"), "file_mode = \"0600\""),
            file("existing", &existing, ""),
        ]
        .concat(),
    );
    for i in 0..20 {
        log::info!("record {i} padded to rotate after a few lines");
    }
    drop(guard);
    let mode = |name: &str| std::fs::metadata(path(name)).unwrap().permissions().mode() & 0o777;
    let default = 0o640 & !support::umask();
    for name in [
        "logs/file.log",
        "logs/rotating.log",
        "logs/rotating.log.1",
        "logs/rotating.log.3",
    ] {
        assert_eq!(mode(name), default, "{name}: {:o}", mode(name));
    }
    assert_eq!(mode("private.log"), 0o600 & !support::umask());
    assert_eq!(
        mode("existing.log"),
        0o644,
        "an existing file keeps its mode"
    );
}

// ---------------------------------------------------------------------------------------
// redact

#[test]
fn redact_masks_configured_keys_wherever_the_field_came_from() {
    support::child_only!("redact_masks_configured_keys_wherever_the_field_came_from");
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    let guard = init(&format!(
        r#"
        [loggers.root]
        handlers = ["redacted", "custom", "raw"]
        context = {{ secret = "config-secret" }}

        {}{}{}"#,
        file(
            "redacted",
            &path("redacted.log"),
            &(JSON.to_owned() + "processors = [{ type = \"redact\" }]")
        ),
        file(
            "custom",
            &path("custom.log"),
            &(plain("{message}{kv}")
                + r#"processors = [{ type = "redact", keys = ["api_key", "password"], replacement = "[redacted]" }]"#)
        ),
        file("raw", &path("raw.log"), JSON),
    ));
    {
        let _scope = ko_log::context!(token = "scope-token");
        let leak = std::io::Error::other("hunter2 in an error");
        log::info!(
            user = "ana",
            password = "hunter2",
            PASSWORD = "hunter2-upper",
            Authorization = "Bearer abc.def",
            api_key = "key-123",
            user_password = "not-a-listed-key",
            cause:err = leak;
            "login"
        );
        log::info!(password:err = std::io::Error::other("hunter2 as an error"); "error value");
    }
    drop(guard);

    let redacted = read(&path("redacted.log"));
    for secret in [
        "\"hunter2\"",
        "hunter2-upper",
        "hunter2 as an error",
        "Bearer",
        "scope-token",
        "config-secret",
    ] {
        assert!(!redacted.contains(secret), "{secret} leaked: {redacted}");
    }
    let lines: Vec<serde_json::Value> = redacted.lines().map(object).collect();
    let first = &lines[0];
    for key in ["password", "PASSWORD", "Authorization", "token", "secret"] {
        assert_eq!(first[key], "***", "{key}");
    }
    assert_eq!(first["user"], "ana");
    assert_eq!(first["api_key"], "key-123", "not in the default list");
    assert_eq!(
        first["user_password"], "not-a-listed-key",
        "whole keys only"
    );
    assert_eq!(lines[1]["password"], "***", "an error value is masked too");
    // The message is not inspected, and neither are other keys' values: `cause` keeps
    // its text. (Documented: redact masks whole configured keys.)
    assert_eq!(first["cause"]["message"], "hunter2 in an error");

    assert_eq!(
        support::lines(path("custom.log")),
        [
            "login user=ana password=[redacted] PASSWORD=[redacted] \
             Authorization=\"Bearer abc.def\" api_key=[redacted] \
             user_password=not-a-listed-key cause=\"hunter2 in an error\" \
             token=scope-token secret=config-secret",
            "error value password=[redacted] token=scope-token secret=config-secret",
        ]
    );
    // Redaction is per handler: one without the processor writes the values.
    assert!(read(&path("raw.log")).contains("\"password\":\"hunter2\""));
}
