//! `ko-log spool DIR`: what a spool left by a socket handler whose destination was down
//! holds, printed exactly; a directory that cannot be read exits 1.

mod support;

use std::net::TcpListener;

use ko_log::config::{Config, Format};
use log::Log;

#[test]
fn prints_the_segments_records_and_times_of_a_spool() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("spool");
    // A port nothing listens on.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let text = format!(
        "[loggers.root]\nhandlers = [\"out\"]\n[handlers.out]\ntype = \"socket\"\naddress = \"127.0.0.1:{port}\"\nspool = {{ dir = \"{}\" }}\n",
        dir.display()
    );
    let before = time::OffsetDateTime::now_utc();
    let (backend, guard) =
        ko_log::Backend::new(Config::from_str(&text, Format::Toml).unwrap()).unwrap();
    for i in 0..3 {
        backend.log(
            &log::Record::builder()
                .level(log::Level::Info)
                .target("app")
                .args(format_args!("record {i}"))
                .build(),
        );
    }
    drop(guard);
    let after = time::OffsetDateTime::now_utc();
    let run = support::run_in(tmp.path(), &["spool", "spool"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines[..5],
        [
            "spool:    spool",
            "segments: 1",
            "records:  3",
            lines[3],
            "torn:     0"
        ]
    );
    let bytes: u64 = lines[3]
        .strip_prefix("bytes:    ")
        .unwrap()
        .parse()
        .unwrap();
    assert!(bytes > 3 * 20, "{bytes}");
    for (line, label) in lines[5..].iter().zip(["oldest:   ", "newest:   "]) {
        let text = line.strip_prefix(label).unwrap_or_else(|| panic!("{line}"));
        let at = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
            .unwrap();
        assert!(before <= at && at <= after, "{line}");
    }
    assert_eq!(lines.len(), 7);
}

#[test]
fn a_directory_that_cannot_be_read_exits_1() {
    let tmp = tempfile::tempdir().unwrap();
    let run = support::run_in(tmp.path(), &["spool", "missing"]);
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr
            .starts_with("ko-log: cannot read the spool missing: "),
        "{}",
        run.stderr
    );
    assert_eq!(run.stdout, "");
}
