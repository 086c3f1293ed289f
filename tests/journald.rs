//! The `journald` handler against a real systemd-journald: each test starts its own
//! journal namespace (`/lib/systemd/systemd-journald kotest-<pid>-<n>`, a plain process,
//! no systemd PID 1 needed, root needed), sends through its socket and reads the entries
//! back with `journalctl --namespace=... -o json --all`.
//!
//! Where systemd-journald is missing (or cannot start: not root), each test says
//! `skipped: ...` on stderr and passes, but fails when `CI` is set.

use std::io::Write as _;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ko_log::config::{Config, Format};
use ko_log::Backend;
use log::Log;
use serde_json::{Map, Value};

const JOURNALD: &str = "/lib/systemd/systemd-journald";

/// One journal namespace with its own systemd-journald, removed (process, sockets and
/// journal files) on drop.
struct Journal {
    namespace: String,
    child: Child,
}

impl Journal {
    /// Starts a fresh namespace; `None` (after saying `skipped:`) where journald cannot
    /// run.
    fn start() -> Option<Journal> {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        Journal::start_named(format!("kotest-{}-{n}", std::process::id()))
    }

    /// Starts journald for `namespace` and waits (up to 10 s) until it is ready.
    fn start_named(namespace: String) -> Option<Journal> {
        if !Path::new(JOURNALD).exists() {
            skip(&format!("{JOURNALD} is not installed"));
            return None;
        }
        // journald says READY=1 on $NOTIFY_SOCKET once it processes requests: its socket
        // file appears earlier, while it is still starting.
        let notify_dir = tempfile::tempdir().unwrap();
        let notify_path = notify_dir.path().join("notify");
        let notify = UnixDatagram::bind(&notify_path).unwrap();
        notify
            .set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        let child = match Command::new(JOURNALD)
            .arg(&namespace)
            .env("NOTIFY_SOCKET", &notify_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        {
            Ok(child) => child,
            Err(e) => {
                skip(&format!("{JOURNALD} cannot start: {e}"));
                return None;
            }
        };
        let mut journal = Journal { namespace, child };
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut buf = [0u8; 4096];
        loop {
            if let Ok(n) = notify.recv(&mut buf) {
                let text = String::from_utf8_lossy(&buf[..n]);
                if text.lines().any(|line| line == "READY=1") && journal.socket().exists() {
                    break;
                }
                continue;
            }
            let exited = journal.child.try_wait().ok().flatten();
            if exited.is_some() || Instant::now() > deadline {
                skip(&format!(
                    "{JOURNALD} {} did not bind {} ({exited:?}; it needs root)",
                    journal.namespace,
                    journal.socket().display()
                ));
                return None;
            }
        }
        Some(journal)
    }

    fn run_dir(namespace: &str) -> PathBuf {
        PathBuf::from(format!("/run/systemd/journal.{namespace}"))
    }

    fn socket(&self) -> PathBuf {
        Journal::run_dir(&self.namespace).join("socket")
    }

    /// The entries whose `SYSLOG_IDENTIFIER` is `identifier`, waiting (up to 10 s) until
    /// there are `count`.
    fn entries(&self, identifier: &str, count: usize) -> Vec<Map<String, Value>> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let output = Command::new("journalctl")
                .arg(format!("--namespace={}", self.namespace))
                .args(["-o", "json", "--all", "--no-pager"])
                .arg(format!("SYSLOG_IDENTIFIER={identifier}"))
                .output()
                .expect("journalctl runs");
            let entries: Vec<Map<String, Value>> = String::from_utf8_lossy(&output.stdout)
                .lines()
                .filter_map(|line| serde_json::from_str(line).ok())
                .collect();
            if entries.len() >= count || Instant::now() > deadline {
                assert_eq!(entries.len(), count, "entries of {identifier}");
                return entries;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Journal {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let machine = std::fs::read_to_string("/etc/machine-id").unwrap_or_default();
        let machine = machine.trim();
        let _ = std::fs::remove_dir_all(Journal::run_dir(&self.namespace));
        for dir in ["/var/log/journal", "/run/log/journal"] {
            let _ = std::fs::remove_dir_all(format!("{dir}/{machine}.{}", self.namespace));
        }
    }
}

/// Says on stderr (past libtest's capture) that a test did not run; fails under CI.
fn skip(why: &str) {
    let _ = writeln!(std::io::stderr(), "skipped: journald tests: {why}");
    assert!(
        std::env::var_os("CI").is_none(),
        "CI is set, so the journald tests must run: {why}"
    );
}

/// A backend whose root logger sends everything to a `journald` handler `j`.
fn backend(socket: &Path, identifier: &str) -> (Backend, ko_log::Guard) {
    let text = format!(
        "[loggers.root]\nlevel = \"trace\"\nhandlers = [\"j\"]\n\
         [handlers.j]\ntype = \"journald\"\nsocket = {socket:?}\nsyslog_identifier = {identifier:?}\n"
    );
    Backend::new(Config::from_str(&text, Format::Toml).unwrap()).unwrap()
}

fn log(backend: &Backend, level: log::Level, message: &str, kvs: &[(&str, &dyn log::kv::ToValue)]) {
    backend.log(
        &log::Record::builder()
            .level(level)
            .target("shop::orders")
            .module_path_static(Some("shop::orders::place"))
            .file_static(Some("src/orders.rs"))
            .line(Some(42))
            .args(format_args!("{message}"))
            .key_values(&kvs)
            .build(),
    );
}

/// A field's text: journalctl writes a string, or an array of byte values for data it
/// does not print as text.
fn text(entry: &Map<String, Value>, field: &str) -> String {
    match entry.get(field) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(bytes)) => String::from_utf8(
            bytes
                .iter()
                .map(|b| {
                    b.as_u64()
                        .and_then(|b| u8::try_from(b).ok())
                        .expect("a byte")
                })
                .collect(),
        )
        .expect("UTF-8"),
        other => panic!("{field}: {other:?} in {entry:?}"),
    }
}

#[test]
fn every_record_arrives_with_its_standard_fields_and_key_values() {
    let Some(journal) = Journal::start() else {
        return;
    };
    let (backend, guard) = backend(&journal.socket(), "kotest-fields");
    let levels = [
        (log::Level::Error, "3"),
        (log::Level::Warn, "4"),
        (log::Level::Info, "6"),
        (log::Level::Debug, "7"),
        (log::Level::Trace, "7"),
    ];
    for (i, (level, _)) in levels.iter().enumerate() {
        log(
            &backend,
            *level,
            &format!("order {i} placed"),
            &[
                ("order_id", &i),
                ("amount", &12.5),
                ("paid", &true),
                ("user.name", &"ann"),
            ],
        );
    }
    backend.flush();
    let entries = journal.entries("kotest-fields", levels.len());
    for (i, (entry, (_, priority))) in entries.iter().zip(levels).enumerate() {
        assert_eq!(text(entry, "MESSAGE"), format!("order {i} placed"));
        assert_eq!(text(entry, "PRIORITY"), priority);
        assert_eq!(text(entry, "CODE_FILE"), "src/orders.rs");
        assert_eq!(text(entry, "CODE_LINE"), "42");
        assert_eq!(text(entry, "CODE_MODULE"), "shop::orders::place");
        assert_eq!(text(entry, "TARGET"), "shop::orders");
        assert_eq!(text(entry, "ORDER_ID"), i.to_string());
        assert_eq!(text(entry, "AMOUNT"), "12.5");
        assert_eq!(text(entry, "PAID"), "true");
        assert_eq!(text(entry, "USER_NAME"), "ann");
    }
    let stats = guard.stats().handler("j").unwrap();
    assert_eq!((stats.sent, stats.dropped, stats.errors), (5, 0, 0));
}

#[test]
fn a_value_with_a_newline_arrives_intact() {
    let Some(journal) = Journal::start() else {
        return;
    };
    let (backend, _guard) = backend(&journal.socket(), "kotest-newline");
    let trace = "line one\nFORGED=yes\nline three\n";
    log(
        &backend,
        log::Level::Error,
        "first line\nsecond line",
        &[("trace", &trace)],
    );
    backend.flush();
    let entries = journal.entries("kotest-newline", 1);
    assert_eq!(text(&entries[0], "MESSAGE"), "first line\nsecond line");
    assert_eq!(text(&entries[0], "TRACE"), trace);
    assert!(!entries[0].contains_key("FORGED"), "{:?}", entries[0]);
}

#[test]
fn hostile_field_names_are_sanitized() {
    let Some(journal) = Journal::start() else {
        return;
    };
    let (backend, _guard) = backend(&journal.socket(), "kotest-names");
    let long = "k".repeat(100);
    log(
        &backend,
        log::Level::Info,
        "the real message",
        &[
            ("message", &"not the message"),
            ("priority", &"0"),
            ("_pid", &"1"),
            ("9lives", &"cat"),
            ("a=b c\nd", &"odd"),
            ("ünï", &"wide"),
            (&long, &"long"),
        ],
    );
    backend.flush();
    let entries = journal.entries("kotest-names", 1);
    let entry = &entries[0];
    assert_eq!(text(entry, "MESSAGE"), "the real message");
    assert_eq!(text(entry, "PRIORITY"), "6");
    assert_eq!(text(entry, "ESCAPED_MESSAGE"), "not the message");
    assert_eq!(text(entry, "ESCAPED_PRIORITY"), "0");
    assert_eq!(text(entry, "ESCAPED__PID"), "1");
    assert_ne!(text(entry, "_PID"), "1", "a trusted field cannot be forged");
    assert_eq!(text(entry, "ESCAPED_9LIVES"), "cat");
    assert_eq!(text(entry, "A_B_C_D"), "odd");
    assert_eq!(text(entry, "ESCAPED__N_"), "wide");
    assert_eq!(text(entry, &"K".repeat(64)), "long");
}

#[test]
fn a_1_mib_record_goes_through_a_memfd_and_arrives_whole() {
    let Some(journal) = Journal::start() else {
        return;
    };
    let (backend, guard) = backend(&journal.socket(), "kotest-big");
    let big: String = (0..(1 << 20))
        .map(|i| (b'a' + (i % 26) as u8) as char)
        .collect();
    log(&backend, log::Level::Info, &big, &[("size", &big.len())]);
    log(&backend, log::Level::Info, "after the big one", &[]);
    backend.flush();
    let entries = journal.entries("kotest-big", 2);
    assert_eq!(text(&entries[0], "MESSAGE").len(), 1 << 20);
    assert_eq!(text(&entries[0], "MESSAGE"), big);
    assert_eq!(text(&entries[1], "MESSAGE"), "after the big one");
    let stats = guard.stats().handler("j").unwrap();
    assert_eq!((stats.sent, stats.dropped), (2, 0));
}

#[test]
fn journald_absent_is_counted_without_hanging_and_sending_resumes_when_it_starts() {
    // A namespace whose journald is not running yet: the socket does not exist.
    let namespace = format!("kotest-{}-late", std::process::id());
    let socket = Journal::run_dir(&namespace).join("socket");
    let (backend, guard) = backend(&socket, "kotest-late");
    let started = Instant::now();
    for i in 0..100 {
        log(&backend, log::Level::Warn, &format!("lost {i}"), &[]);
    }
    backend.flush();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    let stats = guard.stats().handler("j").unwrap();
    assert_eq!((stats.sent, stats.dropped, stats.errors), (0, 100, 100));
    assert_eq!(stats.written, 0);

    // journald comes up later at that socket: the same handler reaches it.
    let Some(journal) = Journal::start_named(namespace) else {
        return;
    };
    log(&backend, log::Level::Warn, "delivered", &[]);
    backend.flush();
    let entries = journal.entries("kotest-late", 1);
    assert_eq!(text(&entries[0], "MESSAGE"), "delivered");
    let stats = guard.stats().handler("j").unwrap();
    assert_eq!((stats.sent, stats.dropped), (1, 100));
}

#[test]
fn a_record_in_a_trace_has_trace_id_span_id_and_trace_flags() {
    let Some(journal) = Journal::start() else {
        return;
    };
    let (backend, guard) = backend(&journal.socket(), "kotest-trace");
    let trace = ko_log::TraceContext::from_traceparent(
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    )
    .unwrap();
    {
        let _trace = ko_log::context::push_trace(trace);
        // A field of a reserved name is renamed, not taken for the trace id.
        log(
            &backend,
            log::Level::Info,
            "traced",
            &[("trace_id", &"mine")],
        );
    }
    log(&backend, log::Level::Info, "untraced", &[]);
    backend.flush();
    let entries = journal.entries("kotest-trace", 2);
    assert_eq!(text(&entries[0], "MESSAGE"), "traced");
    assert_eq!(
        text(&entries[0], "TRACE_ID"),
        "4bf92f3577b34da6a3ce929d0e0e4736"
    );
    assert_eq!(text(&entries[0], "SPAN_ID"), "00f067aa0ba902b7");
    assert_eq!(text(&entries[0], "TRACE_FLAGS"), "01");
    assert_eq!(text(&entries[0], "ESCAPED_TRACE_ID"), "mine");
    assert_eq!(text(&entries[1], "MESSAGE"), "untraced");
    for field in ["TRACE_ID", "SPAN_ID", "TRACE_FLAGS"] {
        assert!(!entries[1].contains_key(field), "{field}: {:?}", entries[1]);
    }
    drop(guard);
}
