//! The disk spool (`spool = { dir, max_bytes, sync }`, issue 21) against the real
//! collectors the suite runs: an in-test OTLP/HTTP receiver that decodes every request
//! with the official protobuf definitions (`opentelemetry-proto`), and a real rsyslogd
//! over TCP (tests/support/rsyslog.rs).
//!
//! 1. A collector down while 100,000 records are logged, the application closed, then
//!    started again while the collector is still down and the collector started: every
//!    record arrives, checked by `log.record.uid` and by its own number; duplicates are
//!    counted and at most one batch.
//! 2. `kill -9` of a child process logging during an outage, then a restart: every
//!    record of a synced batch arrives; a torn record is counted in `torn`.
//! 3. A spool smaller than the outage under `drop`, `drop_oldest` and `block`: what the
//!    collector got plus `dropped` is what was logged, exactly.
//! 4. A full disk while spooling, for real: a child process whose files may not grow
//!    past 32 KiB (`RLIMIT_FSIZE`, so a write past it fails with `EFBIG` as it would with
//!    `ENOSPC`): spooled + dropped is what was logged, the loss is reported, and the spool
//!    holds exactly the records counted as spooled, which a restart delivers.
//!
//! Also: the `log.record.uid` of each spooled record in `socket`'s JSON lines (the OTLP
//! attribute and the syslog structured-data parameter are checked by 1 to 3), and a
//! second handler on one spool directory refused at its key.
//!
//! Each application run is a [`Backend`] (one process may hold many, unlike the global
//! logger), except the one killed, which is a child process. Waits are bounded only so
//! that a bug fails instead of hanging.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ko_log::config::{Config, Format};
use ko_log::Backend;
use log::Log;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
use prost::Message;
use support::rsyslog::{self, Rsyslog};

/// An OTLP/HTTP receiver that answers 200 to every POST and keeps, for each record, its
/// `n` attribute and its `log.record.uid`.
struct Collector {
    records: Arc<Mutex<Vec<(i64, String)>>>,
}

impl Collector {
    fn start(listener: TcpListener) -> Collector {
        let records = Arc::new(Mutex::new(Vec::new()));
        let store = Arc::clone(&records);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let store = Arc::clone(&store);
                std::thread::spawn(move || serve(stream, &store));
            }
        });
        Collector { records }
    }

    fn records(&self) -> Vec<(i64, String)> {
        self.records.lock().unwrap().clone()
    }
}

fn serve(stream: std::net::TcpStream, store: &Mutex<Vec<(i64, String)>>) {
    let mut reader = BufReader::new(stream);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut length = 0;
        loop {
            let mut header = String::new();
            reader.read_line(&mut header).unwrap();
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            let (k, v) = header.split_once(':').unwrap();
            if k.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        let request = ExportLogsServiceRequest::decode(&body[..]).expect("valid OTLP");
        let mut got = Vec::new();
        for record in &request.resource_logs[0].scope_logs[0].log_records {
            let value = |key: &str| {
                record
                    .attributes
                    .iter()
                    .find(|kv| kv.key == key)
                    .and_then(|kv| kv.value.clone())
                    .and_then(|v| v.value)
            };
            let Some(Any::IntValue(n)) = value("n") else {
                panic!("no n in {record:?}")
            };
            let Some(Any::StringValue(uid)) = value("log.record.uid") else {
                panic!("no log.record.uid in {record:?}")
            };
            got.push((n, uid));
        }
        store.lock().unwrap().extend(got);
        let writer = reader.get_mut();
        let answer = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
        if writer
            .write_all(answer)
            .and_then(|()| writer.flush())
            .is_err()
        {
            return;
        }
    }
}

fn backend(handler: &str) -> (Backend, ko_log::Guard) {
    backend_with(100_000, handler)
}

/// A backend whose queue holds `capacity` records, with handler `out`.
fn backend_with(capacity: usize, handler: &str) -> (Backend, ko_log::Guard) {
    let text = format!(
        "[queue]\ncapacity = {capacity}\n[loggers.root]\nlevel = \"trace\"\nhandlers = [\"out\"]\n[handlers.out]\n{handler}\n"
    );
    Backend::new(Config::from_str(&text, Format::Toml).expect("config")).expect("backend")
}

fn log_n(backend: &Backend, n: u64) {
    let kvs: [(&str, log::kv::Value<'_>); 1] = [("n", n.into())];
    backend.log(
        &log::Record::builder()
            .level(log::Level::Info)
            .target("app::spool")
            .args(format_args!("record {n}"))
            .key_values(&kvs.as_slice())
            .build(),
    );
}

/// Flushes `backend` until `done` holds of handler `out`'s figures; panics with them
/// after a minute.
fn wait_for(
    backend: &Backend,
    mut done: impl FnMut(ko_log::HandlerStats) -> bool,
) -> ko_log::HandlerStats {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        backend.flush();
        let stats = backend.stats().handler("out").expect("configured");
        if done(stats) {
            return stats;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not done within a minute: {stats:?}"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn otlp_handler(addr: SocketAddr, dir: &Path, extra: &str) -> String {
    format!(
        "type = \"otlp\"\nendpoint = \"http://{addr}/v1/logs\"\nreconnect = {{ min = \"10ms\", max = \"100ms\" }}\nbatch_interval = \"20ms\"\nwrite_timeout = \"500ms\"\nspool = {{ dir = \"{}\" {extra} }}",
        dir.display()
    )
}

#[test]
fn every_record_logged_during_an_outage_arrives_after_a_restart_checked_by_id() {
    const N: u64 = 100_000;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("spool");
    let addr = support::free_port();
    let handler = format!("{}\nbackpressure = \"block\"", otlp_handler(addr, &dir, ""));

    // The first run: the collector is down from start to exit.
    let (first, guard) = backend(&handler);
    for n in 0..N {
        log_n(&first, n);
    }
    let stats = wait_for(&first, |s| s.spooled == N);
    assert_eq!((stats.sent, stats.dropped), (0, 0), "{stats:?}");
    assert!(stats.spool_bytes > 0);
    let started = std::time::Instant::now();
    drop(guard);
    let shutdown = started.elapsed();
    // Shutdown does not wait out a dead collector (drain_timeout is 5 s).
    assert!(shutdown < Duration::from_secs(4), "{shutdown:?}");
    let summary = ko_log::handler::inspect_spool(&dir).unwrap();
    assert_eq!((summary.records, summary.torn), (N, 0), "{summary:?}");
    let mode = std::fs::metadata(&dir).unwrap();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o777,
        0o700
    );

    // The second run starts while the collector is still down, then it comes back.
    let (second, guard) = backend(&handler);
    wait_for(&second, |s| s.retries >= 1);
    // Logged behind the backlog: spooled, and delivered after it.
    log_n(&second, N);
    let collector = Collector::start(TcpListener::bind(addr).unwrap());
    let back = std::time::Instant::now();
    let stats = wait_for(&second, |s| s.replayed == N + 1 && s.spool_bytes == 0);
    let replay = back.elapsed();
    assert_eq!((stats.spooled, stats.replayed), (1, N + 1), "{stats:?}");
    assert_eq!(
        (stats.dropped, stats.torn, stats.spool_bytes),
        (0, 0, 0),
        "{stats:?}"
    );
    drop(guard);

    let records = collector.records();
    let mut by_uid: HashMap<&str, i64> = HashMap::new();
    for (n, uid) in &records {
        if let Some(seen) = by_uid.insert(uid, *n) {
            assert_eq!(seen, *n, "one uid for two records: {uid}");
        }
    }
    let duplicates = records.len() - by_uid.len();
    let mut numbers: Vec<i64> = by_uid.values().copied().collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (0..=N as i64).collect::<Vec<_>>(), "0 lost");
    // At least once: duplicates at most one batch (batch_size 512).
    assert!(duplicates <= 512, "{duplicates} duplicates");
    println!(
        "figure: spool restart: {N} records spooled, guard dropped in {} ms against the dead collector, replayed in {} ms once it was back, {duplicates} duplicates, 0 lost",
        shutdown.as_millis(),
        replay.as_millis()
    );
    assert_eq!(ko_log::handler::inspect_spool(&dir).unwrap().segments, 0);
}

#[test]
fn a_second_handler_on_one_spool_dir_is_refused_at_its_key() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("spool");
    let handler = otlp_handler(support::free_port(), &dir, "");
    let (_first, _guard) = backend(&handler);
    let text = format!("[loggers.root]\nhandlers = [\"out\"]\n[handlers.out]\n{handler}\n");
    let error = Backend::new(Config::from_str(&text, Format::Toml).unwrap()).unwrap_err();
    let ko_log::Error::Config(config) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(config.key_path(), "handlers.out.spool.dir");
    assert_eq!(config.location().map(|l| l.line), Some(9));
    assert!(
        config
            .message()
            .contains("is in use by another handler or process"),
        "{error}"
    );
}

macro_rules! need_rsyslog {
    () => {
        if let Some(reason) = rsyslog::missing() {
            support::skipped(&reason);
            return;
        }
    };
}

fn syslog_handler(port: u16, dir: &Path, spool: &str, extra: &str) -> String {
    format!(
        "type = \"syslog\"\ntransport = \"tcp\"\naddress = \"127.0.0.1:{port}\"\napp_name = \"kotest\"\nreconnect = {{ min = \"10ms\", max = \"100ms\" }}\nspool = {{ dir = \"{}\" {spool} }}\n{extra}",
        dir.display()
    )
}

/// The `n` and `log.record.uid` of each message rsyslogd parsed.
fn syslog_records(collector: &Rsyslog) -> Vec<(u64, String)> {
    collector
        .lines("parsed.log")
        .iter()
        .map(|line| {
            let sd = line.split('|').nth(6).unwrap_or_default();
            let param = |name: &str| {
                let start = sd
                    .find(&format!(" {name}=\""))
                    .unwrap_or_else(|| panic!("{line}"));
                let value = &sd[start + name.len() + 3..];
                value[..value.find('"').unwrap()].to_owned()
            };
            (param("n").parse().unwrap(), param("log.record.uid"))
        })
        .collect()
}

#[test]
fn a_spool_smaller_than_the_outage_counts_every_record_under_each_policy() {
    need_rsyslog!();
    const N: u64 = 5_000;
    for policy in ["drop", "drop_oldest", "block"] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("spool");
        let mut collector = Rsyslog::configure();
        // 64 KiB: about 350 messages; the outage is 5,000.
        let handler = syslog_handler(
            collector.tcp,
            &dir,
            ", max_bytes = \"64 KiB\"",
            // `block`: a small memory buffer, so that the callers are soon held; the
            // others: one that never overflows, so that every drop is the spool's.
            &format!(
                "backpressure = \"{policy}\"\nbuffer = {}",
                if policy == "block" { 100 } else { 10_000 }
            ),
        );
        // `block`: a small queue too, so that the callers cannot queue the whole outage
        // before the handler's hold is up.
        let capacity = if policy == "block" { 100 } else { 100_000 };
        let (first, guard) = backend_with(capacity, &handler);
        let written = if policy == "block" {
            // The callers are held once memory and spool are full: they log from a
            // thread of their own, and the collector comes back while they wait.
            let first = Arc::new(first);
            let logger = {
                let first = Arc::clone(&first);
                std::thread::spawn(move || (0..N).for_each(|n| log_n(&first, n)))
            };
            wait_for(&first, |s| s.spool_bytes > 48 << 10);
            assert!(!logger.is_finished(), "block held no caller");
            collector.run();
            logger.join().unwrap();
            let stats = wait_for(&first, |s| s.sent == N);
            assert!(stats.spooled > 0 && stats.replayed > 0, "{stats:?}");
            assert_eq!(stats.dropped, 0, "{stats:?}");
            drop(guard);
            N
        } else {
            for n in 0..N {
                log_n(&first, n);
            }
            // Every record handled: spooled (`drop_oldest` spools all, deleting the
            // oldest segments for room) or refused (`drop`).
            let stats = wait_for(&first, |s| match policy {
                "drop" => s.spooled + s.dropped == N,
                _ => s.spooled == N,
            });
            drop(guard);
            let held = ko_log::handler::inspect_spool(&dir).unwrap().records;
            // Every record logged is in the spool or dropped (counted), exactly.
            assert!(stats.dropped > 0, "{policy}: {stats:?}");
            assert_eq!(held + stats.dropped, N, "{policy}: {stats:?}");
            // The collector comes back; the next run delivers the spool.
            collector.run();
            let (second, guard) = backend(&handler);
            wait_for(&second, |s| s.replayed == held);
            drop(guard);
            held
        };
        let records = collector.wait_lines("parsed.log", written as usize, Duration::from_secs(20));
        assert_eq!(records.len() as u64, written, "{policy}");
        let mut numbers: Vec<u64> = syslog_records(&collector).iter().map(|(n, _)| *n).collect();
        numbers.sort_unstable();
        numbers.dedup();
        assert_eq!(
            numbers.len() as u64,
            written,
            "{policy}: duplicates or losses"
        );
        match policy {
            // `drop` keeps the oldest records, `drop_oldest` the newest.
            "drop" => assert_eq!(numbers, (0..written).collect::<Vec<_>>()),
            "drop_oldest" => assert_eq!(numbers, (N - written..N).collect::<Vec<_>>()),
            _ => assert_eq!(numbers, (0..N).collect::<Vec<_>>()),
        }
        println!(
            "figure: spool {policy}: {N} logged, {written} delivered, {} dropped",
            N - written
        );
        collector.stop();
    }
}

/// The child of the `kill -9` test: logs into a spool whose collector is down, and after
/// each `flush()` (every record before it spooled and synced) prints how many.
#[test]
fn child_logging_into_a_spool_until_killed() {
    let Ok(config) = std::env::var("SPOOL_CHILD_HANDLER") else {
        return;
    };
    let (backend, _guard) = backend(&config);
    let mut stdout = std::io::stdout();
    for n in 0.. {
        log_n(&backend, n);
        if n % 500 == 499 {
            backend.flush();
            let _ = writeln!(stdout, "synced {}", n + 1);
            let _ = stdout.flush();
        }
    }
}

#[test]
fn kill_9_during_an_outage_loses_no_synced_record_and_counts_the_torn_one() {
    need_rsyslog!();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("spool");
    let mut collector = Rsyslog::configure();
    let handler = syslog_handler(
        collector.tcp,
        &dir,
        ", sync = \"batch\"",
        "backpressure = \"block\"",
    );
    let mut child = support::child_command("child_logging_into_a_spool_until_killed", &[])
        .env("SPOOL_CHILD_HANDLER", &handler)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut synced = 0;
    while synced < 20_000 {
        let line = lines.next().expect("the child runs").unwrap();
        if let Some(count) = line.strip_prefix("synced ") {
            synced = count.parse().unwrap();
        }
    }
    // SIGKILL: no shutdown, no drain, whatever write was under way is cut.
    child.kill().unwrap();
    child.wait().unwrap();
    // A write cut in the middle leaves part of a frame at the end of the newest segment:
    // here the first 20 bytes of a 64-byte one, as a torn write leaves it.
    let newest = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "seg"))
        .max()
        .unwrap();
    let mut torn = b"KOSR".to_vec();
    torn.extend_from_slice(&52u32.to_le_bytes());
    torn.extend_from_slice(&[0xab; 12]);
    std::fs::OpenOptions::new()
        .append(true)
        .open(&newest)
        .unwrap()
        .write_all(&torn)
        .unwrap();
    let summary = ko_log::handler::inspect_spool(&dir).unwrap();
    assert_eq!(summary.torn, 1, "{summary:?}");
    assert!(summary.records >= synced, "{summary:?} < {synced}");

    collector.run();
    let (again, guard) = backend(&handler);
    let stats = wait_for(&again, |s| s.replayed == summary.records);
    assert_eq!((stats.torn, stats.dropped), (1, 0), "{stats:?}");
    drop(guard);
    let got = collector.wait_lines(
        "parsed.log",
        summary.records as usize,
        Duration::from_secs(20),
    );
    assert_eq!(got.len() as u64, summary.records);
    let mut numbers: Vec<u64> = syslog_records(&collector).iter().map(|(n, _)| *n).collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (0..summary.records).collect::<Vec<_>>());
    println!(
        "figure: kill -9: {synced} records synced, {} in the spool, all delivered, 1 torn counted",
        summary.records
    );
    collector.stop();
}

#[test]
fn socket_json_lines_replayed_from_a_spool_carry_a_unique_uid_field() {
    const N: u64 = 2_000;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("spool");
    let addr = support::free_port();
    let handler = format!(
        "type = \"socket\"\naddress = \"{addr}\"\nreconnect = {{ min = \"10ms\", max = \"100ms\" }}\nspool = {{ dir = \"{}\" }}",
        dir.display()
    );
    let (backend, guard) = backend(&handler);
    for n in 0..N {
        log_n(&backend, n);
    }
    wait_for(&backend, |s| s.spooled == N);
    // The receiver comes back: a plain TCP listener reading JSON lines.
    let listener = TcpListener::bind(addr).unwrap();
    let reader = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        BufReader::new(stream)
            .lines()
            .take(N as usize)
            .map(|line| serde_json::from_str::<serde_json::Value>(&line.unwrap()).unwrap())
            .collect::<Vec<_>>()
    });
    wait_for(&backend, |s| s.replayed == N);
    drop(guard);
    let lines = reader.join().unwrap();
    let mut uids = std::collections::HashSet::new();
    let mut numbers = Vec::new();
    for line in &lines {
        let uid = line["log.record.uid"]
            .as_str()
            .unwrap_or_else(|| panic!("{line}"));
        assert!(uids.insert(uid.to_owned()), "twice: {uid}");
        numbers.push(line["n"].as_u64().unwrap());
    }
    // In order, each once.
    assert_eq!(numbers, (0..N).collect::<Vec<_>>());
}

/// The child of the full-disk test: logs `SPOOL_FULL_RECORDS` records into a spool whose
/// destination is down, in a process whose files cannot grow past a limit (set by the
/// parent), then prints the handler's figures once each record is spooled or dropped.
#[test]
fn child_logging_into_a_spool_on_a_full_disk() {
    let (Ok(config), Ok(records)) = (
        std::env::var("SPOOL_FULL_HANDLER"),
        std::env::var("SPOOL_FULL_RECORDS"),
    ) else {
        return;
    };
    let records: u64 = records.parse().unwrap();
    let (backend, guard) = backend(&config);
    for n in 0..records {
        log_n(&backend, n);
    }
    let stats = wait_for(&backend, |s| s.spooled + s.dropped >= records);
    println!(
        "figures spooled={} dropped={}",
        stats.spooled, stats.dropped
    );
    drop(guard);
}

#[test]
fn a_full_disk_while_spooling_counts_reports_and_keeps_exactly_what_it_spooled() {
    const N: u64 = 5_000;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("spool");
    let addr = support::free_port();
    // `block`: the memory never drops, so every loss is the spool's. Segments of 8 MiB,
    // far above the 32 KiB a file may reach: each one ends at the limit.
    let handler = format!(
        "type = \"socket\"\naddress = \"{addr}\"\nbackpressure = \"block\"\nreconnect = {{ min = \"10ms\", max = \"100ms\" }}\nspool = {{ dir = \"{}\", max_bytes = \"64 MiB\" }}",
        dir.display()
    );
    // dash's `ulimit -f` counts 512-byte blocks: 64 is 32 KiB. SIGXFSZ ignored (kept
    // across exec), so the write past the limit fails with EFBIG instead of killing.
    let limited = "trap '' XFSZ; ulimit -f 64; exec \"$0\" \"$@\"";
    let child = "child_logging_into_a_spool_on_a_full_disk";
    let output = support::child_command(child, &["/bin/sh", "-c", limited])
        .env("SPOOL_FULL_HANDLER", &handler)
        .env("SPOOL_FULL_RECORDS", N.to_string())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    let figure = |key: &str| -> u64 {
        let at = stdout
            .find(key)
            .unwrap_or_else(|| panic!("no {key} in {stdout}"));
        stdout[at + key.len()..]
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    let (spooled, dropped) = (figure("spooled="), figure("dropped="));
    assert_eq!(spooled + dropped, N, "{stdout}");
    assert!(spooled > 0 && dropped > 0, "{stdout}");
    assert!(
        stderr.contains("[HANDLER::Spool::IO::ERROR] cannot write to the spool")
            && stderr.contains("File too large"),
        "{stderr}"
    );
    // Every segment stopped at the limit, and holds exactly what was counted spooled:
    // no record both dropped and kept, no torn frame.
    for entry in std::fs::read_dir(&dir).unwrap() {
        let entry = entry.unwrap();
        assert!(entry.metadata().unwrap().len() <= 32 << 10, "{entry:?}");
    }
    let summary = ko_log::handler::inspect_spool(&dir).unwrap();
    assert_eq!((summary.records, summary.torn), (spooled, 0), "{summary:?}");

    // Room again (this process has no limit): a restart delivers each spooled record
    // once, in order.
    let listener = TcpListener::bind(addr).unwrap();
    let reader = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        BufReader::new(stream)
            .lines()
            .take(spooled as usize)
            .map(|line| serde_json::from_str::<serde_json::Value>(&line.unwrap()).unwrap())
            .map(|line| line["n"].as_u64().unwrap())
            .collect::<Vec<_>>()
    });
    let (again, guard) = backend(&handler);
    wait_for(&again, |s| s.replayed == spooled);
    drop(guard);
    let numbers = reader.join().unwrap();
    assert_eq!(numbers.len() as u64, spooled);
    assert!(
        numbers.windows(2).all(|w| w[0] < w[1]),
        "out of order or twice"
    );
    println!(
        "figure: full disk: {N} logged, {spooled} spooled, {dropped} dropped and reported, {} segments of at most 32 KiB, every spooled record delivered after",
        summary.segments
    );
}
