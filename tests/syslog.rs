//! `type = "syslog"` against a real rsyslogd (tests/support/rsyslog.rs): every record
//! arrives with its level and fields over UDP, TCP (both framings) and a unix socket; a
//! collector down at start and one restarted mid-run; hostile values; a 1 MiB record
//! over UDP. Without rsyslogd these tests print `skipped:` (and fail under `CI`).

use std::time::{Duration, Instant};

use ko_log::config::{Config, Format};
use ko_log::Backend;
use log::Log;
use support::rsyslog::{self, Rsyslog};

/// A backend whose root logger sends everything to the syslog handlers `tables`
/// (`[handlers.NAME]` bodies without `type`).
fn backend(tables: &[(&str, String)]) -> (Backend, ko_log::Guard) {
    let names: Vec<String> = tables.iter().map(|(n, _)| format!("\"{n}\"")).collect();
    let mut text = format!(
        "[loggers.root]\nlevel = \"trace\"\nhandlers = [{}]\n",
        names.join(", ")
    );
    for (name, keys) in tables {
        text.push_str(&format!(
            "[handlers.{name}]\ntype = \"syslog\"\napp_name = \"kotest\"\nhostname = \"testhost\"\nreconnect = {{ min = \"10ms\", max = \"300ms\" }}\n{keys}\n"
        ));
    }
    Backend::new(Config::from_str(&text, Format::Toml).expect("config")).expect("backend")
}

/// [`backend`] with one handler, `udp`, sending to `collector` over UDP.
fn udp_backend(collector: &Rsyslog) -> (Backend, ko_log::Guard) {
    backend(&[(
        "udp",
        format!(
            "transport = \"udp\"\naddress = \"127.0.0.1:{}\"",
            collector.udp
        ),
    )])
}

/// A backend whose root logger sends everything to one syslog handler `tcp`, over TCP to
/// `collector`.
fn tcp_backend(collector: &Rsyslog) -> (Backend, ko_log::Guard) {
    let address = format!(
        "transport = \"tcp\"\naddress = \"127.0.0.1:{}\"",
        collector.tcp
    );
    backend(&[("tcp", address)])
}

fn log_with(backend: &Backend, level: log::Level, message: &str, fields: &[(&str, &str)]) {
    let kvs: Vec<(&str, log::kv::Value<'_>)> =
        fields.iter().map(|(k, v)| (*k, (*v).into())).collect();
    backend.log(
        &log::Record::builder()
            .level(level)
            .target("app::syslog")
            .args(format_args!("{message}"))
            .key_values(&kvs.as_slice())
            .build(),
    );
}

/// `SEVERITY|FACILITY|APP|PROCID|MSGID|TIME|SD|MSG` of parsed.log, split.
fn parsed(line: &str) -> Vec<String> {
    line.splitn(8, '|').map(str::to_owned).collect()
}

/// Parses one SD-ELEMENT `[id k="v" …]` as RFC 5424 reads it: the id, the params with
/// their values unescaped, and what follows the element.
fn sd_element(text: &str) -> (String, Vec<(String, String)>, String) {
    let mut chars = text.chars().peekable();
    assert_eq!(chars.next(), Some('['), "{text}");
    let mut id = String::new();
    while let Some(&c) = chars.peek() {
        if c == ' ' || c == ']' {
            break;
        }
        id.push(c);
        chars.next();
    }
    let mut params = Vec::new();
    loop {
        match chars.next() {
            Some(']') => break,
            Some(' ') => {}
            other => panic!("unexpected {other:?} in {text}"),
        }
        let mut name = String::new();
        for c in chars.by_ref() {
            if c == '=' {
                break;
            }
            assert!(c.is_ascii_graphic() && c != ']' && c != '"', "{text}");
            name.push(c);
        }
        assert_eq!(chars.next(), Some('"'), "{text}");
        let mut value = String::new();
        loop {
            match chars.next() {
                Some('\\') => match chars.next() {
                    Some(c @ ('"' | '\\' | ']')) => value.push(c),
                    Some(c) => {
                        value.push('\\');
                        value.push(c);
                    }
                    None => panic!("{text}"),
                },
                Some('"') => break,
                Some(c) => value.push(c),
                None => panic!("unterminated value in {text}"),
            }
        }
        params.push((name, value));
    }
    (id, params, chars.collect())
}

macro_rules! need_rsyslog {
    () => {
        if let Some(reason) = rsyslog::missing() {
            support::skipped(&reason);
            return;
        }
    };
}

#[test]
fn every_record_arrives_with_level_and_fields_over_udp_tcp_and_unix() {
    need_rsyslog!();
    let collector = Rsyslog::start();
    let (backend, guard) = backend(&[
        (
            "udp",
            format!("transport = \"udp\"\naddress = \"127.0.0.1:{}\"", collector.udp),
        ),
        (
            "tcp",
            format!("transport = \"tcp\"\naddress = \"127.0.0.1:{}\"", collector.tcp),
        ),
        (
            "tcp_lf",
            format!(
                "transport = \"tcp\"\naddress = \"127.0.0.1:{}\"\nframing = \"lf\"\nfacility = \"local3\"",
                collector.tcp
            ),
        ),
        (
            "unix",
            format!("address = \"{}\"", collector.socket().display()),
        ),
    ]);
    let levels = [
        (log::Level::Error, "3"),
        (log::Level::Warn, "4"),
        (log::Level::Info, "6"),
        (log::Level::Debug, "7"),
    ];
    let start = time::OffsetDateTime::now_utc();
    for i in 0..100 {
        let (level, _) = levels[i % 4];
        let i = i.to_string();
        log_with(
            &backend,
            level,
            &format!("record {i}"),
            &[("i", &i), ("user id", "7")],
        );
    }
    backend.flush();
    let lines = collector.wait_lines("parsed.log", 400, Duration::from_secs(20));
    assert_eq!(lines.len(), 400, "{lines:#?}");
    let mut seen = std::collections::HashMap::new();
    for line in &lines {
        let f = parsed(line);
        assert_eq!(f[2], "kotest");
        assert_eq!(f[3], std::process::id().to_string());
        assert_eq!(f[4], "-");
        let (id, params, rest) = sd_element(&f[6]);
        assert_eq!(id, "ko@32473");
        assert_eq!(rest, "");
        assert_eq!(params[1], ("user_id".to_owned(), "7".to_owned()));
        let i: usize = params[0].1.parse().unwrap();
        assert_eq!(f[7], format!("record {i}"));
        assert_eq!(f[0], levels[i % 4].1, "{line}");
        let time =
            time::OffsetDateTime::parse(&f[5], &time::format_description::well_known::Rfc3339)
                .unwrap();
        assert!(time >= start - Duration::from_secs(1), "{line}");
        assert!(f[1] == "user" || f[1] == "local3", "{line}");
        *seen.entry(i).or_insert(0) += 1;
    }
    assert!(seen.values().all(|n| *n == 4) && seen.len() == 100);
    // The raw form: RFC 5424 with the record's time in microseconds.
    let raw = collector.lines("raw.log");
    assert!(
        raw.iter().any(|l| l.starts_with("<11>1 ")
            && l.contains(" testhost kotest ")
            && l.contains("Z testhost")
            && l.split(' ').nth(1).is_some_and(|t| t.len() == 27)),
        "{raw:#?}"
    );
    for name in ["udp", "tcp", "tcp_lf", "unix"] {
        let stats = backend.stats().handler(name).unwrap();
        assert_eq!((stats.sent, stats.dropped), (100, 0), "{name}: {stats:?}");
    }
    drop(guard);
}

#[test]
fn records_logged_while_the_collector_is_down_are_delivered_when_it_starts() {
    need_rsyslog!();
    let mut collector = Rsyslog::configure();
    let (backend, guard) = tcp_backend(&collector);
    for i in 0..200 {
        log_with(&backend, log::Level::Info, &format!("early {i}"), &[]);
    }
    // The first connection was refused and tried again: a retry, counted (issue 20).
    support::wait_for_retry(&backend, "tcp", "a retry after the refused connection");
    collector.run();
    let lines = collector.wait_lines("parsed.log", 200, Duration::from_secs(20));
    let messages: Vec<String> = lines.iter().map(|l| parsed(l)[7].clone()).collect();
    let expected: Vec<String> = (0..200).map(|i| format!("early {i}")).collect();
    assert_eq!(messages, expected);
    support::assert_sent_on_first_connection(&backend, "tcp", 200);
    drop(guard);
}

#[test]
fn delivery_resumes_after_the_collector_restarts_with_bounded_loss() {
    need_rsyslog!();
    let mut collector = Rsyslog::start();
    let (backend, guard) = tcp_backend(&collector);
    for i in 0..300 {
        log_with(&backend, log::Level::Info, &format!("n {i}"), &[]);
    }
    backend.flush();
    assert_eq!(
        collector
            .wait_lines("parsed.log", 300, Duration::from_secs(20))
            .len(),
        300
    );
    collector.stop();
    for i in 300..600 {
        log_with(&backend, log::Level::Info, &format!("n {i}"), &[]);
        if i % 50 == 0 {
            backend.flush();
        }
    }
    // The sender found the connection closed and tries again (refused until the restart).
    support::wait_for_retry(&backend, "tcp", "a retry while the collector is down");
    let restarted = Instant::now();
    collector.run();
    let lines = collector.wait_lines("parsed.log", 600, Duration::from_secs(20));
    let took = restarted.elapsed();
    let numbers: Vec<usize> = lines
        .iter()
        .map(|l| parsed(l)[7].trim_start_matches("n ").parse().unwrap())
        .collect();
    let mut unique = numbers.clone();
    unique.dedup();
    assert_eq!(unique, numbers, "no record twice, in order");
    let lost = 600 - numbers.len();
    // TCP can lose what was written into the dead connection before the sender saw it
    // close (docs/SHIPPING.md): at most one batch, and only across the restart.
    assert!(lost <= 512, "lost {lost}");
    assert!(numbers.contains(&599));
    // Delivery resumed within the backoff cap (300 ms) plus rsyslogd's start.
    assert!(took < Duration::from_secs(10), "{took:?}");
    backend.flush();
    let stats = backend.stats().handler("tcp").unwrap();
    assert!(stats.reconnects >= 1 && stats.retries >= 1, "{stats:?}");
    {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "collector restart: lost {lost} of the 300 logged while it was down, {stats:?}"
        );
    }
    drop(guard);
}

#[test]
fn hostile_values_cannot_forge_a_message_or_break_structured_data() {
    need_rsyslog!();
    let collector = Rsyslog::start();
    let (backend, guard) = backend(&[
        (
            "lf",
            format!(
                "transport = \"tcp\"\naddress = \"127.0.0.1:{}\"\nframing = \"lf\"\nrenderer = {{ type = \"plain\", format = \"{{message}}\" }}",
                collector.tcp
            ),
        ),
        (
            "udp",
            format!("transport = \"udp\"\naddress = \"127.0.0.1:{}\"", collector.udp),
        ),
    ]);
    let hostile =
        "a\"b]c\\d\ne<13>1 2024-01-01T00:00:00Z evil forged - - - FORGED\r\u{1b}[31m\u{7}";
    log_with(
        &backend,
        log::Level::Warn,
        &format!("msg {hostile}"),
        &[("v", hostile), ("k=\"]", "x"), ("x] [evil@1 a", "1")],
    );
    // A last record through both handlers: each handler's messages arrive in order, so
    // once both of these are in, so is everything the hostile record became.
    log_with(&backend, log::Level::Warn, "end of test", &[]);
    backend.flush();
    let last = |l: &String| l.contains("end of test");
    let (mut lines, mut parsed_lines) = (Vec::new(), Vec::new());
    support::wait_until("both handlers' last records", || {
        lines = collector.lines("raw.log");
        parsed_lines = collector.lines("parsed.log");
        lines.iter().filter(|l| last(l)).count() == 2
            && parsed_lines.iter().filter(|l| last(l)).count() == 2
    });
    lines.retain(|l| !last(l));
    parsed_lines.retain(|l| !last(l));
    assert_eq!(
        lines.len(),
        2,
        "one message per handler, never more: {lines:#?}"
    );
    for line in &lines {
        assert!(
            !line.contains("FORGED") || line.starts_with("<12>1 "),
            "{line}"
        );
        // <PRI>1 TS HOST APP PROCID MSGID, then the SD element.
        let mut parts = line.splitn(7, ' ');
        assert_eq!(parts.next(), Some("<12>1"));
        for _ in 0..5 {
            parts.next();
        }
        let (id, params, rest) = sd_element(parts.next().unwrap());
        assert_eq!(id, "ko@32473");
        let names: Vec<&str> = params.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            ["v", "k__]", "x]_[evil@1_a"].map(|n| n.replace(']', "_"))
        );
        // The value keeps everything but control characters, which are spelled out.
        assert_eq!(
            params[0].1,
            "a\"b]c\\d\\ne<13>1 2024-01-01T00:00:00Z evil forged - - - FORGED\\r\\u{1b}[31m\\u{07}"
        );
        assert!(rest.starts_with(" msg "), "{rest}");
        assert!(!rest.contains('\n'));
    }
    assert_eq!(parsed_lines.len(), 2);
    for line in parsed_lines {
        assert_eq!(parsed(&line)[0], "4");
        assert_eq!(parsed(&line)[2], "kotest");
    }
    drop(guard);
}

#[test]
fn a_one_mebibyte_record_over_udp_is_cut_to_max_datagram() {
    need_rsyslog!();
    let collector = Rsyslog::start();
    let (backend, guard) = udp_backend(&collector);
    let big = "x".repeat(1 << 20);
    log_with(&backend, log::Level::Info, &big, &[("size", "1MiB")]);
    log_with(&backend, log::Level::Info, "after", &[]);
    backend.flush();
    let lines = collector.wait_lines("raw.log", 2, Duration::from_secs(20));
    assert_eq!(
        lines.len(),
        2,
        "{:?}",
        lines.iter().map(String::len).collect::<Vec<_>>()
    );
    assert_eq!(lines[0].len(), 2048, "cut to max_datagram (default 2048)");
    assert!(lines[0].contains("[ko@32473 size=\"1MiB\"] xxx"));
    assert!(lines[1].ends_with("after"));
    drop(guard);
}

#[test]
fn bad_keys_are_refused_at_init() {
    for (keys, expected) in [
        ("facility = \"users\"", "unknown facility `users`"),
        ("sd_id = \"a b\"", "sd_id"),
        ("transport = \"udp\"\nframing = \"lf\"", "framing"),
        ("format = \"rfc9999\"", "rfc9999"),
        ("apname = \"x\"", "apname"),
    ] {
        let text = format!("[handlers.s]\ntype = \"syslog\"\n{keys}\n");
        let error = support::config::refusal(&text);
        assert!(error.to_string().contains(expected), "{keys}: {error}");
    }
}

#[test]
fn a_record_in_a_trace_carries_an_opentelemetry_sd_element() {
    need_rsyslog!();
    let collector = Rsyslog::start();
    let (backend, guard) = udp_backend(&collector);
    let trace = ko_log::TraceContext::from_traceparent(
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    )
    .unwrap();
    {
        let _trace = ko_log::context::push_trace(trace);
        log_with(&backend, log::Level::Info, "traced", &[("user", "7")]);
    }
    log_with(&backend, log::Level::Info, "untraced", &[]);
    backend.flush();
    let lines = collector.wait_lines("sd.log", 2, Duration::from_secs(20));
    assert_eq!(lines.len(), 2, "{lines:#?}");
    // As rsyslog's mmpstrucdata decodes the structured data.
    let decoded: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!(
        decoded,
        serde_json::json!({
            "ko@32473": {"user": "7"},
            "opentelemetry": {
                "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
                "span_id": "00f067aa0ba902b7",
                "trace_flags": "01",
            },
        })
    );
    // A record outside the scope has no structured data at all.
    let parsed_lines = collector.wait_lines("parsed.log", 2, Duration::from_secs(20));
    assert_eq!(parsed(&parsed_lines[1])[6], "-");
    assert_eq!(parsed(&parsed_lines[1])[7], "untraced");
    drop(guard);
}
