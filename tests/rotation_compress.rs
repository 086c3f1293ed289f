//! `rotating_file` with `compress` and `max_age`, through the public API: every line is
//! found again, exactly once and in order, by decompressing every backup; retention
//! removes exactly the backups beyond `backup_count` or older than `max_age`, at startup
//! as at rotation, plain and compressed alike; what a crash leaves (a temporary, a plain
//! file beside its compressed copy, a plain backup) is finished at startup; a backup slot
//! taken by a directory or FIFO is left alone and reported, and the plain file kept.
//!
//! Age is set by giving files an old modification time (no sleeping); the rotation code's
//! own clock is injected in its unit tests (`handler::backups`).
//!
//! zstd runs with `cargo test --features zstd --test rotation_compress` (ko-log's `zstd`
//! feature and the reference decoder); without it, `compress = "zstd"` must be refused.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use ko_log::config::handler::{Compress, Timezone};
use ko_log::handler::{FileConfig, Handler, RotatingFile, RotatingFileConfig};
use ko_log::{Error, Event};
use log::Level;

const DAY: Duration = Duration::from_secs(86_400);

fn config(path: &Path, max_bytes: u64, backups: usize, compress: Compress) -> RotatingFileConfig {
    let mut config = RotatingFileConfig::new(FileConfig::new(path));
    (config.max_bytes, config.backup_count) = (Some(max_bytes), backups);
    (config.timezone, config.compress) = (Timezone::Utc, compress);
    config
}

/// Writes `line 0000` … for each number of `range`, each of which must succeed.
fn write_numbered(handler: &mut RotatingFile, range: std::ops::Range<usize>) {
    for i in range {
        write(handler, &format!("line {i:04}\n")).unwrap();
    }
}

/// `first`, then `line 0000` … for each number of `range`: what [`write_numbered`] wrote
/// after `first`.
fn numbered_after(first: &str, range: std::ops::Range<usize>) -> Vec<String> {
    let lines = range.map(|i| format!("line {i:04}"));
    std::iter::once(first.to_owned()).chain(lines).collect()
}

fn write(handler: &mut RotatingFile, line: &str) -> Result<(), Error> {
    handler.write(line.as_bytes(), &Event::new(Level::Info, "test", "m"))
}

/// The text of a backup, decompressed by its extension.
fn read_backup(path: &Path) -> String {
    let bytes = fs::read(path).unwrap();
    let name = path.to_string_lossy();
    let mut text = String::new();
    if name.ends_with(".gz") {
        flate2::read::MultiGzDecoder::new(&bytes[..])
            .read_to_string(&mut text)
            .unwrap_or_else(|e| panic!("{name} is not a whole gzip stream: {e}"));
    } else if name.ends_with(".zst") {
        text = decode_zstd(&bytes, &name);
    } else {
        text = String::from_utf8(bytes).unwrap();
    }
    text
}

#[cfg(feature = "zstd")]
fn decode_zstd(bytes: &[u8], name: &str) -> String {
    let decoded = zstd::stream::decode_all(bytes)
        .unwrap_or_else(|e| panic!("{name} is not a whole zstd stream: {e}"));
    String::from_utf8(decoded).unwrap()
}

#[cfg(not(feature = "zstd"))]
fn decode_zstd(_: &[u8], name: &str) -> String {
    panic!("{name}: zstd backups are read with this package's `zstd` feature")
}

/// The file names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

/// The backups of `path` by number (`app.log.N`, `.N.gz`, `.N.zst`), oldest first.
fn backups(path: &Path) -> Vec<(usize, PathBuf)> {
    let prefix = format!("{}.", path.file_name().unwrap().to_string_lossy());
    let mut found: Vec<(usize, PathBuf)> = Vec::new();
    for entry in fs::read_dir(path.parent().unwrap()).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let Some(rest) = name.strip_prefix(&prefix) else {
            continue;
        };
        let number = rest
            .strip_suffix(".gz")
            .or_else(|| rest.strip_suffix(".zst"))
            .unwrap_or(rest);
        // Written as ko-log writes them: no sign, no leading zero, from 1.
        if number.starts_with('0') || !number.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        if let Ok(n) = number.parse() {
            found.push((n, path.with_file_name(&name)));
        }
    }
    found.sort_by_key(|(n, _)| std::cmp::Reverse(*n));
    found
}

/// Every line of the rotated log in write order: the backups oldest first, then `path`.
fn all_lines(path: &Path) -> Vec<String> {
    let mut lines = Vec::new();
    for (_, backup) in backups(path) {
        lines.extend(read_backup(&backup).lines().map(str::to_owned));
    }
    lines.extend(read_backup(path).lines().map(str::to_owned));
    lines
}

/// Gives `path` the modification time `age` before now.
fn age(path: &Path, age: Duration) {
    fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(SystemTime::now() - age)
        .unwrap();
}

fn modified(path: &Path) -> SystemTime {
    fs::metadata(path).unwrap().modified().unwrap()
}

/// An `Error::Io`'s operation, path and message.
fn io_error(error: Error) -> (&'static str, PathBuf, String) {
    let message = error.to_string();
    match error {
        Error::Io { op, path, .. } => (op, path, message),
        other => panic!("expected an Io error, got {other:?}"),
    }
}

/// What [`io_error`] gives for a refusal to `op` at `path` because it `why`.
fn refused(op: &'static str, path: &Path, why: &str) -> (&'static str, PathBuf, String) {
    let message = format!(
        "RotatingFile handler: cannot {op} {}: {why}",
        path.display()
    );
    (op, path.to_owned(), message)
}

/// The end of the message of a rotation that meets something not a regular file.
const LEFT_ALONE: &str = "not a regular file: rotation leaves it alone";

/// Many rotations while the thread compresses: every line comes back from the `.gz`
/// backups and the live file, once, in order; nothing is left plain or half-written.
fn every_line_comes_back(compress: Compress, extension: &str) {
    let (dir, path) = support::temp_path("app.log");
    let mut handler = RotatingFile::new(&config(&path, 4096, 1000, compress)).unwrap();
    let count = 20_000;
    for i in 0..count {
        write(&mut handler, &format!("line {i} {}\n", "x".repeat(i % 53))).unwrap();
    }
    handler.sync().unwrap();
    let found = backups(&path);
    assert!(found.len() > 100, "only {} backups", found.len());
    for (n, backup) in &found {
        assert_eq!(
            backup.file_name().unwrap().to_string_lossy(),
            format!("app.log.{n}.{extension}"),
            "every backup compressed once sync returned"
        );
    }
    let numbers: Vec<usize> = found.iter().rev().map(|(n, _)| *n).collect();
    assert_eq!(numbers, (1..=found.len()).collect::<Vec<_>>(), "no gap");
    let lines = all_lines(&path);
    assert_eq!(lines.len(), count);
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(*line, format!("line {i} {}", "x".repeat(i % 53)));
    }
    drop(handler);
    assert!(
        names(dir.path()).iter().all(|n| !n.ends_with(".tmp")),
        "{:?}",
        names(dir.path())
    );
}

#[test]
fn gzip_backups_hold_every_line_exactly_once() {
    every_line_comes_back(Compress::Gzip, "gz");
}

#[cfg(feature = "zstd")]
#[test]
fn zstd_backups_hold_every_line_exactly_once() {
    every_line_comes_back(Compress::Zstd, "zst");
}

/// Without the `zstd` feature, `compress = "zstd"` is refused at init, at the key,
/// naming the feature to enable.
#[cfg(not(feature = "zstd"))]
#[test]
fn zstd_without_its_feature_is_refused_at_init_at_the_key() {
    let (_dir, path) = support::temp_path("app.log");
    let error = match RotatingFile::new(&config(&path, 10, 2, Compress::Zstd)) {
        Ok(_) => panic!(
            "ko-log has its `zstd` feature but this package's is off: run `cargo test --features zstd --test rotation_compress`"
        ),
        Err(error) => error,
    };
    assert!(matches!(error, Error::Unsupported(_)), "{error:?}");
    assert!(!path.exists(), "nothing opened");
    let text = format!(
        "[loggers.root]\nhandlers = [\"f\"]\n\n[handlers.f]\ntype = \"rotating_file\"\npath = \"{}\"\ncompress = \"zstd\"\n",
        path.display()
    );
    let (message, key, line, column) = support::init_refusal(&text);
    assert_eq!(
        (message.as_str(), key.as_str(), line, column),
        (
            concat!(
                "handler `f` cannot start: compress = \"zstd\" needs ko-log's `zstd` cargo feature, ",
                "which this build does not have: enable it (`ko-log = { version = \"0.1.0\", ",
                "features = [\"zstd\"] }`), or choose another `compress`"
            ),
            "handlers.f.compress",
            7,
            12
        )
    );
    assert!(!path.exists(), "nothing opened");
    // `ko-log check` finds it too (the handler's own check, which init runs first).
    let checked = ko_log::check::text(&text, ko_log::config::Format::Toml);
    let found: Vec<(&str, &str)> = checked
        .errors
        .iter()
        .map(|e| (e.key_path(), e.message()))
        .collect();
    assert_eq!(found, [("handlers.f.compress", message.as_str())]);
}

/// The compressed file is what `gzip -d` reads (the tool every log reader has).
#[test]
fn gzip_backups_are_read_by_the_gzip_tool() {
    let Ok(version) = std::process::Command::new("gzip").arg("--version").output() else {
        return support::skipped("gzip_backups_are_read_by_the_gzip_tool: no gzip command");
    };
    assert!(version.status.success());
    let (dir, path) = support::temp_path("app.log");
    let mut handler = RotatingFile::new(&config(&path, 30, 3, Compress::Gzip)).unwrap();
    write_numbered(&mut handler, 0..4);
    handler.sync().unwrap();
    assert_eq!(names(dir.path()), ["app.log", "app.log.1.gz"]);
    let out = std::process::Command::new("gzip")
        .arg("-dc")
        .arg(dir.path().join("app.log.1.gz"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(out.stdout, b"line 0000\nline 0001\nline 0002\n");
}

/// Plain backups found at startup (a crash, a restart after `compress` was turned on)
/// are compressed, keeping their modification time (which `max_age` reads); the files
/// left by a crash in the middle of a compression are finished: the temporary removed and
/// its backup compressed again, a plain file beside a complete copy removed.
#[test]
fn what_a_crash_leaves_is_finished_at_startup() {
    let (dir, path) = support::temp_path("app.log");
    fs::write(&path, "live\n").unwrap();
    fs::write(dir.path().join("app.log.1"), "one\n").unwrap();
    age(&dir.path().join("app.log.1"), DAY);
    // Crashed while compressing 2: a truncated temporary beside the plain file.
    fs::write(dir.path().join("app.log.2"), "two\n").unwrap();
    fs::write(dir.path().join("app.log.2.gz.tmp"), [0x1f, 0x8b, 0x08]).unwrap();
    // Crashed between the rename and the removal: both, the same bytes.
    fs::write(dir.path().join("app.log.3"), "three\n").unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, b"three\n").unwrap();
    fs::write(dir.path().join("app.log.3.gz"), gz.finish().unwrap()).unwrap();
    fs::write(dir.path().join("app.log.4.gz"), gzip(b"four\n")).unwrap();
    let before = modified(&dir.path().join("app.log.1"));

    let mut handler = RotatingFile::new(&config(&path, 1000, 5, Compress::Gzip)).unwrap();
    handler.sync().unwrap();
    assert_eq!(
        names(dir.path()),
        [
            "app.log",
            "app.log.1.gz",
            "app.log.2.gz",
            "app.log.3.gz",
            "app.log.4.gz"
        ]
    );
    assert_eq!(all_lines(&path), ["four", "three", "two", "one", "live"]);
    assert_eq!(modified(&dir.path().join("app.log.1.gz")), before);
    handler.flush().unwrap();
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, bytes).unwrap();
    gz.finish().unwrap()
}

/// A plain file beside a compressed one that does not hold its bytes (not ko-log's
/// crash: someone else's file): both kept, the mismatch reported.
#[test]
fn a_plain_backup_beside_a_different_compressed_one_keeps_both() {
    let (dir, path) = support::temp_path("app.log");
    fs::write(dir.path().join("app.log.1"), "mine\n").unwrap();
    fs::write(dir.path().join("app.log.1.gz"), gzip(b"yours\n")).unwrap();
    let mut handler = RotatingFile::new(&config(&path, 1000, 5, Compress::Gzip)).unwrap();
    let plain = dir.path().join("app.log.1");
    let why = format!(
        "{}.gz is beside it and does not hold the same bytes: both are kept",
        plain.display()
    );
    let expected = refused("compress", &plain, &why);
    assert_eq!(io_error(handler.sync().unwrap_err()), expected);
    handler.flush().unwrap();
    assert_eq!(read_backup(&plain), "mine\n");
    assert_eq!(read_backup(&dir.path().join("app.log.1.gz")), "yours\n");
}

/// Retention by count at startup: exactly the backups numbered above `backup_count` go,
/// plain and compressed; other files, even with similar names, stay. Then at each
/// rotation: never more than `backup_count`, the oldest going.
#[test]
fn retention_by_count_removes_exactly_the_backups_beyond_it() {
    let (dir, path) = support::temp_path("app.log");
    let kept_anyway = [
        "app.log.bak",
        "app.log.1.gz.bak",
        "app.log.01",
        "app.log.0",
        "app.log.9.bz2",
        "other.log.9",
    ];
    for name in [
        "app.log.1",
        "app.log.2.gz",
        "app.log.3",
        "app.log.4.gz",
        "app.log.5",
    ]
    .iter()
    .chain(&["app.log.7.zst"])
    .chain(&kept_anyway)
    {
        fs::write(dir.path().join(name), format!("{name}\n")).unwrap();
    }
    let mut handler = RotatingFile::new(&config(&path, 20, 3, Compress::None)).unwrap();
    handler.flush().unwrap();
    let mut expected: Vec<&str> = vec!["app.log", "app.log.1", "app.log.2.gz", "app.log.3"];
    expected.extend(kept_anyway);
    expected.sort_unstable();
    assert_eq!(names(dir.path()), expected);

    // Two rotations: 1 → 2, 2.gz → 3.gz, 3 removed; then again.
    write_numbered(&mut handler, 0..5);
    handler.flush().unwrap();
    let mut expected: Vec<&str> = vec!["app.log", "app.log.1", "app.log.2", "app.log.3"];
    expected.extend(kept_anyway);
    expected.sort_unstable();
    assert_eq!(names(dir.path()), expected);
    assert_eq!(all_lines(&path), numbered_after("app.log.1", 0..5));
}

/// Retention by age at startup and at rotation: a backup last modified more than
/// `max_age` ago goes, compressed or plain, whatever its number; the others stay.
#[test]
fn retention_by_age_removes_exactly_the_old_backups() {
    let (dir, path) = support::temp_path("app.log");
    for (name, days) in [
        ("app.log.1", 1),
        ("app.log.2.gz", 13),
        ("app.log.3", 15),
        ("app.log.4.gz", 40),
        ("app.log.5", 2),
    ] {
        let file = dir.path().join(name);
        fs::write(&file, format!("{name}\n")).unwrap();
        age(&file, DAY * days);
    }
    let mut config = config(&path, 20, 10, Compress::None);
    config.max_age = Some(DAY * 14);
    let mut handler = RotatingFile::new(&config).unwrap();
    handler.flush().unwrap();
    assert_eq!(
        names(dir.path()),
        ["app.log", "app.log.1", "app.log.2.gz", "app.log.5"]
    );

    // The next rotation shifts 1 and 2.gz (the run from 1), and removes what has become
    // too old meanwhile: 2.gz, aged here to 20 days, is 3.gz after the shift.
    age(&dir.path().join("app.log.2.gz"), DAY * 20);
    write_numbered(&mut handler, 0..3);
    handler.flush().unwrap();
    assert_eq!(
        names(dir.path()),
        ["app.log", "app.log.1", "app.log.2", "app.log.5"]
    );
    assert_eq!(
        read_backup(&dir.path().join("app.log.1")),
        "line 0000\nline 0001\n"
    );
    assert_eq!(read_backup(&dir.path().join("app.log.2")), "app.log.1\n");
}

/// Compressed backups count with the plain ones: with `compress` on and a live run of
/// rotations, there are never more than `backup_count` backups, and they are the newest.
#[test]
fn compressed_and_plain_backups_are_counted_together() {
    let (dir, path) = support::temp_path("app.log");
    fs::write(dir.path().join("app.log.1"), "old plain\n").unwrap();
    fs::write(dir.path().join("app.log.2.gz"), gzip(b"old gz\n")).unwrap();
    let mut handler = RotatingFile::new(&config(&path, 20, 3, Compress::Gzip)).unwrap();
    // Two rotations (two 10-byte lines per file): the second removes the old `.gz`.
    write_numbered(&mut handler, 0..5);
    handler.sync().unwrap();
    assert_eq!(
        names(dir.path()),
        ["app.log", "app.log.1.gz", "app.log.2.gz", "app.log.3.gz"]
    );
    assert_eq!(all_lines(&path), numbered_after("old plain", 0..5));
}

/// A directory where the compression's temporary goes: at startup it is not removed (not
/// a regular file), and each compression into it is refused; both reported, one error per
/// flush, and the plain backup kept whole. The directory is left as it was.
#[test]
fn a_compression_refused_keeps_the_plain_file() {
    let (dir, path) = support::temp_path("app.log");
    let blocker = dir.path().join("app.log.1.gz.tmp");
    fs::create_dir(&blocker).unwrap();
    fs::write(blocker.join("inside"), "keep\n").unwrap();
    let mut handler = RotatingFile::new(&config(&path, 20, 3, Compress::Gzip)).unwrap();
    write_numbered(&mut handler, 0..3);
    let first = io_error(handler.sync().unwrap_err());
    let second = io_error(handler.flush().unwrap_err());
    handler.flush().unwrap();
    let directory = format!("is a directory, {LEFT_ALONE}");
    assert_eq!(first, refused("delete", &blocker, &directory));
    let plain = dir.path().join("app.log.1");
    let why = format!("{}: {directory}", blocker.display());
    assert_eq!(second, refused("compress", &plain, &why));
    assert_eq!(read_backup(&plain), "line 0000\nline 0001\n");
    assert_eq!(
        names(dir.path()),
        ["app.log", "app.log.1", "app.log.1.gz.tmp"]
    );
    assert_eq!(names(&blocker), ["inside"]);
    assert_eq!(handler.lost(), 0);
}

/// A FIFO in a backup slot: never opened for compression, nor removed by retention; both
/// reported, the FIFO left as it was.
#[cfg(unix)]
#[test]
fn a_fifo_in_a_backup_slot_is_left_alone_and_reported() {
    let (dir, path) = support::temp_path("app.log");
    let fifo = dir.path().join("app.log.2");
    support::mkfifo(&fifo);
    let node = support::node(&fifo);
    let fifo_why = format!("is a FIFO, {LEFT_ALONE}");
    // Within backup_count: it would be compressed.
    let mut handler = RotatingFile::new(&config(&path, 20, 3, Compress::Gzip)).unwrap();
    let expected = refused("compress", &fifo, &fifo_why);
    assert_eq!(io_error(handler.sync().unwrap_err()), expected);
    handler.flush().unwrap();
    drop(handler);
    // Beyond backup_count: it would be removed.
    let mut handler = RotatingFile::new(&config(&path, 20, 1, Compress::Gzip)).unwrap();
    let expected = refused("delete", &fifo, &fifo_why);
    assert_eq!(io_error(handler.sync().unwrap_err()), expected);
    handler.flush().unwrap();
    assert_eq!(support::node(&fifo), node);
}

/// Dropping the handler without a sync waits for the pending compressions (here within
/// `RotatingFile::COMPRESS_WAIT`, in a program within the shutdown deadline).
#[test]
fn dropping_the_handler_finishes_the_compressions() {
    let (dir, path) = support::temp_path("app.log");
    let mut handler = RotatingFile::new(&config(&path, 1000, 5, Compress::Gzip)).unwrap();
    // 100 lines per file: three rotations.
    write_numbered(&mut handler, 0..350);
    drop(handler);
    assert_eq!(
        names(dir.path()),
        ["app.log", "app.log.1.gz", "app.log.2.gz", "app.log.3.gz"]
    );
    let lines = all_lines(&path);
    let expected: Vec<String> = (0..350).map(|i| format!("line {i:04}")).collect();
    assert_eq!(lines, expected);
}

const RECORD_TEST: &str = "a_failure_is_a_ko_log_record_and_counted";

/// Through `init`: the failures are `warn` records on the `ko_log` target, with the file,
/// the operation and the error, and counted in the handler's `errors`.
#[test]
fn a_failure_is_a_ko_log_record_and_counted() {
    support::child_only!(RECORD_TEST);
    let (dir, path) = support::temp_path("app.log");
    let status = dir.path().join("status.log");
    let blocker = dir.path().join("app.log.1.gz.tmp");
    fs::create_dir(&blocker).unwrap();
    let limits = "max_bytes = 20\nbackup_count = 3\ncompress = \"gzip\"\n".to_owned();
    let text = format!(
        r#"
[loggers.root]
handlers = ["file"]

[loggers.ko_log]
handlers = ["status"]
additive = false

{}{}"#,
        support::config::rotating("file", &path, &limits),
        support::config::file("status", &status, "renderer = \"json\""),
    );
    let guard = support::config::init(&text);
    for i in 0..3 {
        log::info!("line {i:04}");
    }
    // The first flush waits for the compression and logs what failed; the next ones write
    // those records and return the failures, one per flush.
    for _ in 0..3 {
        log::logger().flush();
    }
    let records: Vec<serde_json::Value> = support::lines(&status)
        .iter()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let plain = dir.path().join("app.log.1");
    let seen: Vec<(String, String, String, String, String)> = records
        .iter()
        .map(|r| {
            (
                r["level"].as_str().unwrap().to_owned(),
                r["target"].as_str().unwrap().to_owned(),
                r["op"].as_str().unwrap().to_owned(),
                r["file"].as_str().unwrap().to_owned(),
                r["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let not_regular = "is a directory, not a regular file: rotation leaves it alone";
    assert_eq!(
        seen,
        [
            (
                "WARN".to_owned(),
                "ko_log".to_owned(),
                "delete".to_owned(),
                blocker.display().to_string(),
                format!(
                    "rotated file {} was not deleted: {not_regular}",
                    blocker.display()
                )
            ),
            (
                "WARN".to_owned(),
                "ko_log".to_owned(),
                "compress".to_owned(),
                plain.display().to_string(),
                format!(
                    "rotated file {} was not compressed and is kept as it is: {}: {not_regular}",
                    plain.display(),
                    blocker.display()
                )
            ),
        ]
    );
    assert_eq!(records[0]["error"], not_regular);
    let stats = ko_log::stats().handler("file").unwrap();
    assert_eq!((stats.errors, stats.written), (2, 3));
    drop(guard);
    assert_eq!(read_backup(&plain), "line 0000\nline 0001\n");
    assert_eq!(read_backup(&path), "line 0002\n");
}
