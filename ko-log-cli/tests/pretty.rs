//! `ko-log pretty`: JSON lines in, human lines out, every other line unchanged byte for
//! byte; colors as asked; `--follow` through appends, truncation and rotation.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use support::{fixture, ko_log};

fn pretty(args: &[&str], stdin: Option<&[u8]>) -> (Option<i32>, Vec<u8>, String) {
    let mut command = ko_log();
    command.arg("pretty").args(args);
    if stdin.is_some() {
        command.stdin(Stdio::piped());
    }
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Written from a thread: the child's output fills its pipe while it reads.
    let writer = stdin.map(|input| {
        let mut pipe = child.stdin.take().unwrap();
        let input = input.to_vec();
        std::thread::spawn(move || pipe.write_all(&input).unwrap())
    });
    let output = child.wait_with_output().unwrap();
    if let Some(writer) = writer {
        writer.join().unwrap();
    }
    (
        output.status.code(),
        output.stdout,
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn the_fixture_exactly() {
    let input = fixture("app.jsonl");
    let (code, out, err) = pretty(&["--color", "never", input.to_str().unwrap()], None);
    assert_eq!((code, err.as_str()), (Some(0), ""));
    let expected = std::fs::read(fixture("app.pretty")).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out),
        String::from_utf8_lossy(&expected)
    );
    assert_eq!(out, expected, "byte for byte");
    // The lines that are not records are the input's own bytes.
    let text = std::fs::read(&input).unwrap();
    for kept in [
        &b"plain text from another program\n"[..],
        b"{\"timestamp\": \"x\", \"level\": \"INFO\", \xff\xfe}\n",
        b"\xff\xfe invalid UTF-8, not JSON\n",
        b"{\"level\": \"NOTICE\", \"message\": \"not a level ko-log knows\"}\n",
        b"\r\n",
        b"last line without a newline",
    ] {
        assert!(contains(&text, kept) && contains(&out, kept), "{kept:?}");
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn pinned_lines() {
    let expected =
        String::from_utf8_lossy(&std::fs::read(fixture("app.pretty")).unwrap()).into_owned();
    let lines: Vec<&str> = expected.split('\n').collect();
    assert_eq!(
        lines[0],
        "2026-01-02T03:04:05.678Z INFO  [app] started port=8080 tls=false"
    );
    assert_eq!(
        lines[3],
        r#"2026-01-02T03:04:07Z ERROR [app::db] query failed\nretrying error="timeout: connection reset" tags="[\"a\",\"b\"]" nested="{\"z\":1,\"a\":2}""#
    );
    assert_eq!(
        lines[4],
        r#"2026-01-02T03:04:08Z DEBUG [app] escape \x1b[31m attempt user="name with spaces""#,
        "an escape sequence in a record never reaches the terminal"
    );
    assert_eq!(lines[5], r#"TRACE [app] no timestamp empty="""#);
}

#[test]
fn colors_when_asked() {
    let input = fixture("app.jsonl");
    let (_, out, _) = pretty(&["--color", "always", input.to_str().unwrap()], None);
    let out = String::from_utf8_lossy(&out).into_owned();
    let lines: Vec<&str> = out.split('\n').collect();
    assert_eq!(
        lines[0],
        "2026-01-02T03:04:05.678Z \x1b[32mINFO\x1b[0m  [app] started port=8080 tls=false"
    );
    assert_eq!(
        lines[2],
        "2026-01-02T03:04:06.001Z \x1b[33mWARN\x1b[0m  [app::db] slow query ms=1200.5 table=users"
    );
    assert!(
        lines[3].starts_with("2026-01-02T03:04:07Z \x1b[31mERROR\x1b[0m [app::db]"),
        "{}",
        lines[3]
    );
    assert!(
        lines[4].starts_with("2026-01-02T03:04:08Z \x1b[34mDEBUG\x1b[0m [app]"),
        "{}",
        lines[4]
    );
    assert!(
        lines[5].starts_with("\x1b[35mTRACE\x1b[0m [app]"),
        "{}",
        lines[5]
    );
    assert_eq!(
        lines[1], "plain text from another program",
        "other lines are never colored"
    );
    // Colors are only in the level: without them, the same text.
    let (_, plain, _) = pretty(&["--color", "never", input.to_str().unwrap()], None);
    assert_eq!(
        out.replace("\x1b[32m", "")
            .replace("\x1b[33m", "")
            .replace("\x1b[31m", "")
            .replace("\x1b[34m", "")
            .replace("\x1b[35m", "")
            .replace("\x1b[0m", ""),
        String::from_utf8_lossy(&plain)
    );
}

#[test]
fn auto_is_plain_when_not_a_terminal_and_always_overrides_no_color() {
    let line = b"{\"level\":\"ERROR\",\"target\":\"t\",\"message\":\"m\"}\n";
    let (_, auto, _) = pretty(&[], Some(line));
    assert_eq!(auto, b"ERROR [t] m\n", "stdout is a pipe here");
    let mut command = ko_log();
    let output = command
        .args(["pretty", "--color", "always"])
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            child.stdin.take().unwrap().write_all(line)?;
            child.wait_with_output()
        })
        .unwrap();
    assert_eq!(
        output.stdout, b"\x1b[31mERROR\x1b[0m [t] m\n",
        "an explicit --color wins"
    );
}

#[test]
fn stdin_and_odd_input_never_panic() {
    let mut long = b"{\"level\":\"INFO\",\"message\":\"".to_vec();
    long.extend(std::iter::repeat_n(b'x', 3 << 20)); // 3 MiB: passed through, not held
    long.extend_from_slice(b"\"}\n");
    let odd = b"\x00\x01\x02\n{}\n{\"level\":null}\n{\"level\":\"INFO\",\"target\":7,\"message\":{\"a\":1}}\n";
    let input = [long.as_slice(), odd].concat();
    let (code, out, err) = pretty(&[], Some(&input));
    assert_eq!((code, err.as_str()), (Some(0), ""));
    let expected = [
        long.as_slice(),
        b"\x00\x01\x02\n{}\n{\"level\":null}\nINFO  [7] {\"a\":1}\n",
    ]
    .concat();
    assert!(
        out == expected,
        "{:?}",
        String::from_utf8_lossy(&out[long.len()..])
    );
}

#[test]
fn a_missing_file_is_reported_and_the_others_printed() {
    let input = fixture("app.jsonl");
    let (code, out, err) = pretty(
        &["--color=never", "gone.jsonl", input.to_str().unwrap()],
        None,
    );
    assert_eq!(code, Some(1));
    assert!(err.starts_with("ko-log: gone.jsonl: "), "{err}");
    assert_eq!(out, std::fs::read(fixture("app.pretty")).unwrap());
}

/// Reads the child's stdout lines on a thread.
fn lines_of(output: impl std::io::Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(output).lines() {
            if tx.send(line.unwrap_or_default()).is_err() {
                break;
            }
        }
    });
    rx
}

/// `ko-log pretty -f path`, its output piped.
fn follow(path: &std::path::Path) -> std::process::Child {
    ko_log()
        .args(["pretty", "--color", "never", "-f"])
        .arg(path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// The next `n` lines, waiting at most 10 s in all.
fn next(rx: &mpsc::Receiver<String>, n: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut got = Vec::new();
    while got.len() < n {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => got.push(line),
            Err(_) => panic!("only {got:?} within 10 s, expected {n} lines"),
        }
    }
    got
}

fn record(message: &str) -> String {
    format!(
        "{{\"timestamp\":\"T\",\"level\":\"INFO\",\"target\":\"app\",\"message\":\"{message}\"}}\n"
    )
}

fn append(path: &std::path::Path, text: &str) {
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .unwrap();
    file.write_all(text.as_bytes()).unwrap();
}

#[test]
fn follow_picks_up_appends_truncation_and_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    std::fs::write(&path, record("one")).unwrap();
    let mut child = follow(&path);
    let rx = lines_of(child.stdout.take().unwrap());
    let said = lines_of(child.stderr.take().unwrap());
    assert_eq!(next(&rx, 1), ["T INFO  [app] one"]);

    // Appended, in two writes: the line is written once it is complete.
    append(&path, &record("two")[..20]);
    append(&path, &record("two")[20..]);
    append(&path, "not json\n");
    assert_eq!(next(&rx, 2), ["T INFO  [app] two", "not json"]);

    // Rotated: renamed away (a last line still written to it), a new file created.
    let rotated = dir.path().join("app.log.1");
    std::fs::rename(&path, &rotated).unwrap();
    append(&rotated, &record("last of the old file"));
    // The old file's last line is read before the new file exists.
    assert_eq!(next(&rx, 1), ["T INFO  [app] last of the old file"]);
    std::fs::write(&path, record("first of the new file")).unwrap();
    assert_eq!(next(&rx, 1), ["T INFO  [app] first of the new file"]);
    let shown = path.display();
    let replaced = format!("ko-log: {shown} was replaced; following the new file");
    assert_eq!(next(&said, 1), [replaced]);

    // Truncated (copytruncate), then written again once the follower has seen it.
    std::fs::write(&path, "").unwrap();
    let truncated = format!("ko-log: {shown} was truncated; reading it from the start");
    assert_eq!(next(&said, 1), [truncated]);
    append(&path, &record("after truncation"));
    assert_eq!(next(&rx, 1), ["T INFO  [app] after truncation"]);

    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success());
    // Nothing else on stderr (the reader ends once the killed child's pipe closes).
    assert_eq!(said.iter().collect::<Vec<_>>(), Vec::<String>::new());
}

/// ko-log's own `rotating_file` (8 KiB files) writing 3,000 records in a burst: dozens of
/// rotations between two polls of `--follow` (every 100 ms). Returns the messages the
/// follower printed (up to the last record) and its stderr.
fn follow_a_burst(backup_count: usize) -> (Vec<usize>, String) {
    use log::Log;
    const RECORDS: usize = 3000;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let config = format!(
        "[loggers.root]\nhandlers = [\"app\"]\n[handlers.app]\ntype = \"rotating_file\"\n\
         path = \"{}\"\nmax_bytes = \"8 KiB\"\nbackup_count = {backup_count}\nrenderer = \"json\"\n",
        path.display()
    );
    let config = ko_log::config::Config::from_str(&config, ko_log::config::Format::Toml).unwrap();
    let (backend, guard) = ko_log::Backend::new(config).unwrap();
    let log = |message: &str| {
        backend.log(
            &log::Record::builder()
                .level(log::Level::Info)
                .target("app")
                .args(format_args!("{message}"))
                .build(),
        );
    };
    log("ready");
    backend.flush();
    let mut child = follow(&path);
    let rx = lines_of(child.stdout.take().unwrap());
    assert!(next(&rx, 1)[0].ends_with(" ready"));
    for i in 0..RECORDS {
        log(&i.to_string());
    }
    backend.flush();
    let mut got = Vec::new();
    while got.last() != Some(&(RECORDS - 1)) {
        let line = next(&rx, 1).remove(0);
        got.push(line.rsplit(' ').next().unwrap().parse::<usize>().unwrap());
    }
    child.kill().unwrap();
    child.wait().unwrap();
    drop(guard);
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    (got, err)
}

/// Rotation faster than the poll: every generation is read, in order, from the numbered
/// backups the rotation keeps (before, whole generations were skipped: 2,216 of 3,000
/// lines printed).
#[test]
fn follow_reads_every_generation_when_rotation_outpaces_the_poll() {
    let (got, err) = follow_a_burst(1000);
    println!(
        "figure: 3,000 records over 8 KiB files in a burst: {} printed",
        got.len()
    );
    assert_eq!(got, (0..3000).collect::<Vec<_>>(), "stderr:\n{err}");
    assert!(!err.contains("removed unread"), "{err}");
}

/// When the rotation removed generations before the follower could read them, it says
/// so on stderr; what it printed is in order, each once.
#[test]
fn follow_says_when_generations_were_removed_unread() {
    let (got, err) = follow_a_burst(1);
    assert!(got.windows(2).all(|w| w[0] < w[1]), "{got:?}");
    let missing = 3000 - got.len();
    println!("figure: backup_count 1, 3,000 records in a burst: {missing} not printed");
    if missing > 0 {
        assert!(
            err.contains("was rotated faster than it could be read: the generations between the one read last and")
                && err.contains("may have been removed unread"),
            "{missing} records missing, stderr:\n{err}"
        );
    }
}
