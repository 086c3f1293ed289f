//! The `rotating_file` handler used directly: size and time rotation (time injected
//! through event timestamps, never slept), backups kept, nothing lost or split; and only
//! ever a regular file renamed or deleted: a device, FIFO or symlink to one refused at
//! init, a symlink to a regular file rotated beside its target, a backup or the live path
//! replaced by something else after init left alone.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;
use support::init_refusal;

use ko_log::config::handler::{Rotation, Timezone};
use ko_log::handler::{FileConfig, Handler, RotatingFile, RotatingFileConfig};
use ko_log::{Error, Event};
use log::Level;
use time::macros::{datetime, offset};
use time::OffsetDateTime;

fn config(
    path: &Path,
    max_bytes: Option<u64>,
    rotation: Rotation,
    backups: usize,
) -> RotatingFileConfig {
    let mut config = RotatingFileConfig::new(FileConfig::new(path));
    (config.max_bytes, config.rotation, config.backup_count) = (max_bytes, rotation, backups);
    config.timezone = Timezone::Utc;
    config
}

fn event_at(time: OffsetDateTime) -> Event {
    let mut event = Event::new(Level::Info, "test", "m");
    event.time = time;
    event
}

fn write_at(handler: &mut RotatingFile, time: OffsetDateTime, line: &str) -> Result<(), Error> {
    handler.write(line.as_bytes(), &event_at(time))
}

/// Writes `line 0000` … for each number of `range`, each of which must succeed.
fn write_numbered(handler: &mut RotatingFile, range: std::ops::Range<usize>) {
    for i in range {
        write(handler, &format!("line {i:04}\n")).unwrap();
    }
}

fn write(handler: &mut RotatingFile, line: &str) -> Result<(), Error> {
    write_at(handler, datetime!(2024-06-01 12:00 UTC), line)
}

fn backup(path: &Path, n: usize) -> PathBuf {
    PathBuf::from(format!("{}.{n}", path.display()))
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap()
}

/// The files of a rotated log in write order (`path.N` … `path.1`, `path`), as text.
fn files_in_order(path: &Path) -> Vec<String> {
    let mut n = 1;
    while backup(path, n).exists() {
        n += 1;
    }
    let mut files: Vec<String> = (1..n).rev().map(|n| read(&backup(path, n))).collect();
    files.push(read(path));
    files
}

#[test]
fn size_rotation_loses_and_splits_no_line() {
    let (_dir, path) = support::temp_path("app.log");
    let max = 64 * 1024;
    let mut handler = RotatingFile::new(&config(&path, Some(max), Rotation::Never, 1000)).unwrap();
    let count = 10_000;
    for i in 0..count {
        let padding = "x".repeat(i % 97);
        write(&mut handler, &format!("line {i} {padding}\n")).unwrap();
    }
    handler.flush().unwrap();
    drop(handler);

    let files = files_in_order(&path);
    assert!(files.len() >= 8, "rotated only {} times", files.len() - 1);
    for (n, text) in files.iter().enumerate() {
        assert!(
            text.len() as u64 <= max,
            "file {n} has {} bytes",
            text.len()
        );
        assert!(text.ends_with('\n'), "file {n} ends mid-line");
    }
    let lines: Vec<&str> = files.iter().flat_map(|text| text.lines()).collect();
    assert_eq!(lines.len(), count);
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(*line, format!("line {i} {}", "x".repeat(i % 97)));
    }
    // The shared helper agrees: every number exactly once.
    let all = support::rotated_lines(&path);
    support::check_exactly_once(&all, count, |line| line.split(' ').nth(1)?.parse().ok()).unwrap();
}

#[test]
fn size_rotation_keeps_exactly_backup_count_files() {
    let (dir, path) = support::temp_path("app.log");
    let mut handler = RotatingFile::new(&config(&path, Some(100), Rotation::Never, 3)).unwrap();
    // 10-byte lines: 10 per file.
    write_numbered(&mut handler, 0..95);
    handler.flush().unwrap();

    let mut names: Vec<String> = fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["app.log", "app.log.1", "app.log.2", "app.log.3"]);
    let expected = |range: std::ops::Range<usize>| -> String {
        range.map(|i| format!("line {i:04}\n")).collect()
    };
    assert_eq!(read(&backup(&path, 3)), expected(60..70));
    assert_eq!(read(&backup(&path, 2)), expected(70..80));
    assert_eq!(read(&backup(&path, 1)), expected(80..90));
    assert_eq!(read(&path), expected(90..95));
}

#[test]
fn a_line_longer_than_max_bytes_goes_alone_into_a_fresh_file() {
    let (_dir, path) = support::temp_path("app.log");
    let mut handler = RotatingFile::new(&config(&path, Some(100), Rotation::Never, 5)).unwrap();
    let long = format!("{}\n", "L".repeat(299));
    write(&mut handler, "short 1\n").unwrap();
    write(&mut handler, &long).unwrap();
    write(&mut handler, "short 2\n").unwrap();
    handler.flush().unwrap();
    assert_eq!(
        files_in_order(&path),
        ["short 1\n", long.as_str(), "short 2\n"]
    );
}

#[test]
fn a_long_first_line_does_not_rotate_an_empty_file() {
    let (_dir, path) = support::temp_path("app.log");
    let mut handler = RotatingFile::new(&config(&path, Some(10), Rotation::Never, 5)).unwrap();
    write(&mut handler, "a line of twenty b\n").unwrap();
    handler.flush().unwrap();
    assert_eq!(files_in_order(&path), ["a line of twenty b\n"]);
}

#[test]
fn an_existing_file_counts_toward_max_bytes() {
    let (_dir, path) = support::temp_path("app.log");
    fs::write(&path, "x".repeat(89) + "\n").unwrap();
    let mut handler = RotatingFile::new(&config(&path, Some(100), Rotation::Never, 2)).unwrap();
    write(&mut handler, "0123456789\n").unwrap();
    handler.flush().unwrap();
    assert_eq!(read(&backup(&path, 1)), "x".repeat(89) + "\n");
    assert_eq!(read(&path), "0123456789\n");
}

#[test]
fn backup_count_zero_truncates_in_place() {
    let (dir, path) = support::temp_path("app.log");
    let mut handler = RotatingFile::new(&config(&path, Some(25), Rotation::Never, 0)).unwrap();
    write_numbered(&mut handler, 0..7);
    handler.flush().unwrap();
    // 10-byte lines, two per file: line 6 alone remains.
    assert_eq!(read(&path), "line 0006\n");
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn minutely_rotation_follows_event_time() {
    let (_dir, path) = support::temp_path("app.log");
    let mut handler = RotatingFile::new(&config(&path, None, Rotation::Minutely, 10)).unwrap();
    write_at(&mut handler, datetime!(2024-01-01 00:00:10 UTC), "a\n").unwrap();
    write_at(&mut handler, datetime!(2024-01-01 00:00:59.999 UTC), "b\n").unwrap();
    write_at(&mut handler, datetime!(2024-01-01 00:01:00 UTC), "c\n").unwrap();
    write_at(&mut handler, datetime!(2024-01-01 00:03:30 UTC), "d\n").unwrap();
    write_at(&mut handler, datetime!(2024-01-01 00:03:31 UTC), "e\n").unwrap();
    handler.flush().unwrap();
    assert_eq!(files_in_order(&path), ["a\nb\n", "c\n", "d\ne\n"]);
}

#[test]
fn hourly_rotation_follows_event_time() {
    let (_dir, path) = support::temp_path("app.log");
    let mut handler = RotatingFile::new(&config(&path, None, Rotation::Hourly, 10)).unwrap();
    write_at(&mut handler, datetime!(2024-03-10 09:15 UTC), "a\n").unwrap();
    write_at(&mut handler, datetime!(2024-03-10 09:59:59 UTC), "b\n").unwrap();
    write_at(&mut handler, datetime!(2024-03-10 10:00 UTC), "c\n").unwrap();
    write_at(&mut handler, datetime!(2024-03-10 10:45 UTC), "d\n").unwrap();
    write_at(&mut handler, datetime!(2024-03-10 13:01 UTC), "e\n").unwrap();
    handler.flush().unwrap();
    assert_eq!(files_in_order(&path), ["a\nb\n", "c\nd\n", "e\n"]);
}

#[test]
fn daily_rotation_across_the_year_end() {
    let (_dir, path) = support::temp_path("app.log");
    let mut handler = RotatingFile::new(&config(&path, None, Rotation::Daily, 10)).unwrap();
    write_at(&mut handler, datetime!(2024-12-30 08:00 UTC), "a\n").unwrap();
    write_at(&mut handler, datetime!(2024-12-31 23:59:59 UTC), "b\n").unwrap();
    write_at(&mut handler, datetime!(2025-01-01 00:00:01 UTC), "c\n").unwrap();
    write_at(&mut handler, datetime!(2025-01-01 23:00 UTC), "d\n").unwrap();
    handler.flush().unwrap();
    assert_eq!(files_in_order(&path), ["a\n", "b\n", "c\nd\n"]);
}

#[test]
fn daily_rotation_at_a_fixed_offset() {
    let (dir, path) = support::temp_path("app.log");
    // Local midnight at +05:30 is 18:30 UTC.
    let east = config(&path, None, Rotation::Daily, 10);
    let mut handler = RotatingFile::with_offset(&east, offset!(+05:30)).unwrap();
    write_at(&mut handler, datetime!(2024-05-01 12:00 UTC), "a\n").unwrap();
    write_at(&mut handler, datetime!(2024-05-01 18:29:59 UTC), "b\n").unwrap();
    write_at(&mut handler, datetime!(2024-05-01 18:30 UTC), "c\n").unwrap();
    write_at(&mut handler, datetime!(2024-05-01 23:59 UTC), "d\n").unwrap();
    handler.flush().unwrap();
    assert_eq!(files_in_order(&path), ["a\nb\n", "c\nd\n"]);

    // At -08:00, local midnight is 08:00 UTC.
    let path = dir.path().join("west.log");
    let west = config(&path, None, Rotation::Daily, 10);
    let mut handler = RotatingFile::with_offset(&west, offset!(-08:00)).unwrap();
    write_at(&mut handler, datetime!(2024-05-02 03:00 UTC), "a\n").unwrap();
    write_at(&mut handler, datetime!(2024-05-02 07:59 UTC), "b\n").unwrap();
    write_at(&mut handler, datetime!(2024-05-02 08:00 UTC), "c\n").unwrap();
    handler.flush().unwrap();
    assert_eq!(files_in_order(&path), ["a\nb\n", "c\n"]);
}

#[test]
fn a_late_event_does_not_move_time_back() {
    let (_dir, path) = support::temp_path("app.log");
    let mut handler = RotatingFile::new(&config(&path, None, Rotation::Hourly, 10)).unwrap();
    write_at(&mut handler, datetime!(2024-01-01 00:59 UTC), "a\n").unwrap();
    write_at(&mut handler, datetime!(2024-01-01 01:01 UTC), "b\n").unwrap();
    write_at(&mut handler, datetime!(2024-01-01 00:59:30 UTC), "late\n").unwrap();
    write_at(&mut handler, datetime!(2024-01-01 01:30 UTC), "c\n").unwrap();
    handler.flush().unwrap();
    assert_eq!(files_in_order(&path), ["a\n", "b\nlate\nc\n"]);
}

/// A late event that triggers a size rotation must not pull the next time boundary back
/// to its own (older) hour.
#[test]
fn a_late_event_rotating_by_size_keeps_the_time_boundary() {
    let (_dir, path) = support::temp_path("app.log");
    let mut handler = RotatingFile::new(&config(&path, Some(10), Rotation::Hourly, 10)).unwrap();
    write_at(&mut handler, datetime!(2024-01-01 00:30 UTC), "a\n").unwrap();
    write_at(&mut handler, datetime!(2024-01-01 02:10 UTC), "bbbbbbb\n").unwrap(); // hour
    write_at(&mut handler, datetime!(2024-01-01 00:40 UTC), "ll\n").unwrap(); // size
    write_at(&mut handler, datetime!(2024-01-01 02:11 UTC), "c\n").unwrap(); // same hour
    handler.flush().unwrap();
    assert_eq!(files_in_order(&path), ["a\n", "bbbbbbb\n", "ll\nc\n"]);
}

#[test]
fn size_and_time_rotation_together() {
    let (_dir, path) = support::temp_path("app.log");
    let mut handler = RotatingFile::new(&config(&path, Some(20), Rotation::Minutely, 10)).unwrap();
    let t = |s: i64| datetime!(2024-01-01 00:00 UTC) + time::Duration::seconds(s);
    write_at(&mut handler, t(1), "line 01\n").unwrap(); // 8 bytes
    write_at(&mut handler, t(2), "line 02\n").unwrap(); // 16
    write_at(&mut handler, t(3), "line 03\n").unwrap(); // 24 > 20: size rotation
    write_at(&mut handler, t(61), "line 04\n").unwrap(); // next minute: time rotation
    write_at(&mut handler, t(62), "line 05\n").unwrap();
    write_at(&mut handler, t(63), "line 06\n").unwrap(); // size again
    handler.flush().unwrap();
    assert_eq!(
        files_in_order(&path),
        [
            "line 01\nline 02\n",
            "line 03\n",
            "line 04\nline 05\n",
            "line 06\n"
        ]
    );
}

#[test]
fn an_existing_file_starts_the_time_boundary_at_its_mtime() {
    let (_dir, path) = support::temp_path("app.log");
    fs::write(&path, "old\n").unwrap();
    let mtime = datetime!(2024-01-01 00:00:30 UTC);
    fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(mtime.into())
        .unwrap();
    let mut handler = RotatingFile::new(&config(&path, None, Rotation::Minutely, 10)).unwrap();
    write_at(
        &mut handler,
        datetime!(2024-01-01 00:00:50 UTC),
        "same minute\n",
    )
    .unwrap();
    write_at(
        &mut handler,
        datetime!(2024-01-01 00:01:10 UTC),
        "next minute\n",
    )
    .unwrap();
    handler.flush().unwrap();
    assert_eq!(
        files_in_order(&path),
        ["old\nsame minute\n", "next minute\n"]
    );
}

/// `app.log.1` is a non-empty directory: not a regular file, so the rotation leaves it
/// alone (renaming the live file onto it would fail anyway, even for root). The error says
/// `rotate` and names it; the line still goes to the current file.
#[test]
fn a_failed_rotation_is_reported_and_writing_continues() {
    let (_dir, path) = support::temp_path("app.log");
    let blocker = backup(&path, 1);
    fs::create_dir(&blocker).unwrap();
    fs::write(blocker.join("keep"), "").unwrap();
    let mut handler = RotatingFile::new(&config(&path, Some(10), Rotation::Never, 1)).unwrap();
    write(&mut handler, "first 1\n").unwrap();
    let error = write(&mut handler, "second\n").unwrap_err();
    assert_eq!(
        error.code(),
        "HANDLER::RotatingFile::IO::ERROR::RECOVERABLE"
    );
    match &error {
        Error::Io { op, path: at, .. } => {
            assert_eq!(*op, "rotate");
            assert_eq!(at, &blocker);
        }
        other => panic!("expected an Io error, got {other:?}"),
    }
    let why = format!("is a directory, {LEFT_ALONE}");
    assert_eq!(error.to_string(), refused("rotate", &blocker, &why).1);
    // Within RotatingFile::RETRY no new attempt is made: no error per line.
    write(&mut handler, "third\n").unwrap();
    handler.flush().unwrap();
    assert_eq!(read(&path), "first 1\nsecond\nthird\n");
    assert_eq!(handler.lost(), 0);

    // Once the obstacle is gone and RETRY has passed, rotation resumes (that time is the
    // condition: the handler tries again at the first write after it).
    fs::remove_dir_all(&blocker).unwrap();
    std::thread::sleep(RotatingFile::RETRY + Duration::from_millis(50));
    write(&mut handler, "fourth\n").unwrap();
    handler.flush().unwrap();
    assert_eq!(read(&blocker), "first 1\nsecond\nthird\n");
    assert_eq!(read(&path), "fourth\n");
}

// ---------------------------------------------------------------------------------------
// Only regular files are rotated. Nothing ko-log does may harm a file it does not own.

/// How long a test waits for an open that must not block before it fails.
const OPEN_GUARD: Duration = Duration::from_secs(30);

/// The refusal of a path that is `what` (the end of the message after the path).
fn not_regular(what: &str) -> String {
    format!(
        "{what}, not a regular file (rotating_file renames and deletes the files it rotates, so it writes only to regular files; a `file` handler can write to a device or FIFO)"
    )
}

/// The refusal to open `path`, which is `what`.
fn not_regular_at(path: &Path, what: &str) -> String {
    format!(
        "RotatingFile handler: cannot open {}: {}",
        path.display(),
        not_regular(what)
    )
}

/// `RotatingFile::new` on `config`, in a thread: a test fails instead of hanging when the
/// open waits.
fn open_guarded(config: RotatingFileConfig) -> Result<RotatingFile, Error> {
    let (done, opened) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(RotatingFile::new(&config));
    });
    opened
        .recv_timeout(OPEN_GUARD)
        .expect("RotatingFile::new still waiting after 30 s")
}

/// A config whose root logger writes to one `rotating_file` named `name` at `path`.
fn rotating_config_text(name: &str, path: &Path) -> String {
    format!(
        "[loggers.root]\nhandlers = [\"{name}\"]\n\n[handlers.{name}]\ntype = \"rotating_file\"\npath = \"{}\"\nmax_bytes = 1\nbackup_count = 2\n",
        path.display()
    )
}

/// The `op` of an [`Error::Io`] and its message.
fn io_error(error: &Error) -> (&'static str, String) {
    match error {
        Error::Io { op, .. } => (op, error.to_string()),
        other => panic!("expected an Io error, got {other:?}"),
    }
}

/// What [`io_error`] gives for a refusal to `op` at `path` because it `why`.
fn refused(op: &'static str, path: &Path, why: &str) -> (&'static str, String) {
    let message = format!(
        "RotatingFile handler: cannot {op} {}: {why}",
        path.display()
    );
    (op, message)
}

/// The end of the message of a rotation that meets something not a regular file.
const LEFT_ALONE: &str = "not a regular file: rotation leaves it alone";

/// `/dev/null` with a tiny `max_bytes`: refused at init, never renamed. As root, the
/// rotation of old renamed `/dev/null` to `/dev/null.1` and put a regular file in its place.
#[cfg(unix)]
#[test]
fn dev_null_is_refused_at_init_and_never_renamed() {
    let null = Path::new("/dev/null");
    let before = support::node(null);
    assert_eq!(
        init_refusal(&rotating_config_text("null", null)),
        (
            format!(
                "handler `null` cannot start: {}",
                not_regular_at(null, "is a character device")
            ),
            "handlers.null.path".to_owned(),
            6,
            8
        )
    );
    let error = RotatingFile::new(&config(null, Some(1), Rotation::Never, 2)).unwrap_err();
    assert_eq!(
        error.code(),
        "HANDLER::RotatingFile::IO::ERROR::RECOVERABLE"
    );
    match &error {
        Error::Io { op, source, .. } => {
            assert_eq!(*op, "open");
            assert_eq!(source.kind(), io::ErrorKind::InvalidInput);
        }
        other => panic!("expected an Io error, got {other:?}"),
    }
    // `/dev/full` likewise; and a symlink to `/dev/null` (as `/dev/stdout` is to a
    // terminal) is refused for what it points at, the link left as it was.
    let full = Path::new("/dev/full");
    let error = RotatingFile::new(&config(full, None, Rotation::Never, 0)).unwrap_err();
    assert_eq!(
        error.to_string(),
        not_regular_at(full, "is a character device")
    );
    let (_dir, link) = support::temp_path("app.log");
    std::os::unix::fs::symlink(null, &link).unwrap();
    let error = RotatingFile::new(&config(&link, Some(1), Rotation::Never, 2)).unwrap_err();
    assert_eq!(
        error.to_string(),
        not_regular_at(&link, "is a symlink to a character device")
    );
    assert_eq!(fs::read_link(&link).unwrap(), null);
    assert_eq!(support::node(null), before);
    assert!(fs::symlink_metadata("/dev/null.1").is_err());
}

/// A private `/dev/null` made with `mknod` (needs root): refused at init with a located
/// error, the node untouched.
#[cfg(unix)]
#[test]
fn a_character_device_path_is_refused_at_init_and_left_alone() {
    let (dir, device) = support::temp_path("null");
    if let Err(why) = support::mknod_null(&device) {
        return support::skipped(&format!(
            "a_character_device_path_is_refused_at_init_and_left_alone: {why}"
        ));
    }
    let before = support::node(&device);
    assert_eq!(
        init_refusal(&rotating_config_text("dev", &device)),
        (
            format!(
                "handler `dev` cannot start: {}",
                not_regular_at(&device, "is a character device")
            ),
            "handlers.dev.path".to_owned(),
            6,
            8
        )
    );
    assert_eq!(support::node(&device), before);
    assert_eq!(
        fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no backup made"
    );
}

/// A FIFO is refused without waiting for a reader (the open would block forever).
#[cfg(unix)]
#[test]
fn a_fifo_path_is_refused_at_init_at_once() {
    let (_dir, fifo) = support::temp_path("pipe");
    support::mkfifo(&fifo);
    let before = support::node(&fifo);
    let error = open_guarded(config(&fifo, Some(1), Rotation::Never, 2)).unwrap_err();
    assert_eq!(
        io_error(&error),
        ("open", not_regular_at(&fifo, "is a FIFO"))
    );
    assert_eq!(support::node(&fifo), before);
}

const PROC_FD_2: &str = "a_symlink_to_proc_self_fd_2_is_refused_and_not_renamed";

/// `path` a symlink to `/proc/self/fd/2` (as `/dev/stderr` is): the link used to be
/// renamed to `.1`. In a child whose stderr is a pipe, the target is a FIFO: refused.
#[cfg(target_os = "linux")]
#[test]
fn a_symlink_to_proc_self_fd_2_is_refused_and_not_renamed() {
    support::child_only!(PROC_FD_2);
    let (dir, link) = support::temp_path("app.log");
    std::os::unix::fs::symlink("/proc/self/fd/2", &link).unwrap();
    let error = open_guarded(config(&link, Some(1), Rotation::Never, 2)).unwrap_err();
    assert_eq!(
        io_error(&error),
        ("open", not_regular_at(&link, "is a symlink to a FIFO"))
    );
    assert_eq!(fs::read_link(&link).unwrap(), Path::new("/proc/self/fd/2"));
    assert_eq!(
        fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no backup made"
    );
}

/// A symlink to a regular file is resolved once at open: the target is rotated, its
/// backups beside it, and the link keeps naming the live file.
#[cfg(unix)]
#[test]
fn a_symlink_to_a_regular_file_rotates_the_target_beside_it() {
    let (dir, real) = support::temp_path("real");
    fs::create_dir(&real).unwrap();
    let target = real.join("target.log");
    fs::write(&target, "").unwrap();
    let link = dir.path().join("app.log");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let mut handler = RotatingFile::new(&config(&link, Some(20), Rotation::Never, 2)).unwrap();
    let target = fs::canonicalize(&target).unwrap();
    assert_eq!(handler.path(), target);
    write_numbered(&mut handler, 0..5);
    handler.flush().unwrap();
    assert_eq!(fs::read_link(&link).unwrap(), real.join("target.log"));
    assert_eq!(read(&backup(&target, 2)), "line 0000\nline 0001\n");
    assert_eq!(read(&backup(&target, 1)), "line 0002\nline 0003\n");
    assert_eq!(read(&link), "line 0004\n");
    let names: Vec<_> = fs::read_dir(dir.path()).unwrap().flatten().collect();
    assert_eq!(names.len(), 2, "no backup beside the link: {names:?}");
}

/// A symlink to nothing is refused: rotation follows a link only to an existing regular
/// file, and creates nothing through it.
#[cfg(unix)]
#[test]
fn a_dangling_symlink_is_refused() {
    let (dir, link) = support::temp_path("app.log");
    let missing = dir.path().join("missing.log");
    std::os::unix::fs::symlink(&missing, &link).unwrap();
    let error = RotatingFile::new(&config(&link, Some(20), Rotation::Never, 2)).unwrap_err();
    let why = "is a symlink to a missing file (rotating_file follows a symlink only to an existing regular file)";
    assert_eq!(io_error(&error), refused("open", &link, why));
    assert!(fs::symlink_metadata(&missing).is_err());
}

/// The oldest backup slot replaced by a device after init (needs root for `mknod`): the
/// rotation that would have deleted it by renaming `.1` onto it is refused and reported;
/// every line goes on into the live file.
#[cfg(unix)]
#[test]
fn a_backup_replaced_by_a_device_is_neither_renamed_nor_deleted() {
    let (_dir, path) = support::temp_path("app.log");
    let mut handler = RotatingFile::new(&config(&path, Some(20), Rotation::Never, 2)).unwrap();
    write_numbered(&mut handler, 0..6);
    handler.flush().unwrap();
    let oldest = backup(&path, 2);
    assert_eq!(read(&oldest), "line 0000\nline 0001\n");
    fs::remove_file(&oldest).unwrap();
    if let Err(why) = support::mknod_null(&oldest) {
        return support::skipped(&format!(
            "a_backup_replaced_by_a_device_is_neither_renamed_nor_deleted: {why}"
        ));
    }
    let device = support::node(&oldest);
    let error = write(&mut handler, "line 0006\n").unwrap_err();
    let why = format!("is a character device, {LEFT_ALONE}");
    assert_eq!(io_error(&error), refused("rotate", &oldest, &why));
    handler.flush().unwrap();
    assert_eq!(support::node(&oldest), device);
    assert_eq!(read(&backup(&path, 1)), "line 0002\nline 0003\n");
    assert_eq!(read(&path), "line 0004\nline 0005\nline 0006\n");
    assert_eq!(handler.lost(), 0);
}

/// A backup replaced by a symlink after init: neither the link nor what it names is moved.
#[cfg(unix)]
#[test]
fn a_backup_replaced_by_a_symlink_is_left_alone() {
    let (dir, path) = support::temp_path("app.log");
    let victim = dir.path().join("victim.txt");
    fs::write(&victim, "not a log\n").unwrap();
    let mut handler = RotatingFile::new(&config(&path, Some(20), Rotation::Never, 3)).unwrap();
    write_numbered(&mut handler, 0..4);
    handler.flush().unwrap();
    let newest = backup(&path, 1);
    fs::remove_file(&newest).unwrap();
    std::os::unix::fs::symlink(&victim, &newest).unwrap();
    let error = write(&mut handler, "line 0004\n").unwrap_err();
    assert_eq!(
        io_error(&error),
        refused("rotate", &newest, &format!("is a symlink, {LEFT_ALONE}"))
    );
    handler.flush().unwrap();
    assert_eq!(fs::read_link(&newest).unwrap(), victim);
    assert_eq!(read(&victim), "not a log\n");
    assert!(fs::symlink_metadata(backup(&path, 2)).is_err());
    assert_eq!(read(&path), "line 0002\nline 0003\nline 0004\n");
}

/// The live path replaced by a symlink after init: the rotation does not rename the link
/// (with `reopen_check = 0`, lines go on to the open file), and a reopen does not follow it.
#[cfg(unix)]
#[test]
fn the_live_path_replaced_by_a_symlink_is_neither_renamed_nor_followed() {
    for reopen_check in [Duration::ZERO, Duration::from_millis(10)] {
        let (dir, path) = support::temp_path("app.log");
        let victim = dir.path().join("victim.txt");
        fs::write(&victim, "not a log\n").unwrap();
        let mut config = config(&path, Some(20), Rotation::Never, 2);
        config.file.reopen_check = reopen_check;
        let mut handler = RotatingFile::new(&config).unwrap();
        write(&mut handler, "line 0000\n").unwrap();
        handler.flush().unwrap();
        fs::remove_file(&path).unwrap();
        std::os::unix::fs::symlink(&victim, &path).unwrap();
        let error = if reopen_check.is_zero() {
            write(&mut handler, "line 0001\n").unwrap();
            write(&mut handler, "line 0002\n").unwrap_err()
        } else {
            // The handler looks at its path at a write once `reopen_check` has passed: the
            // interval itself is the condition.
            std::thread::sleep(reopen_check * 3);
            write(&mut handler, "line 0001\n").unwrap();
            handler.flush().unwrap_err()
        };
        let expected = if reopen_check.is_zero() {
            refused("rotate", &path, &format!("is a symlink, {LEFT_ALONE}"))
        } else {
            let why = "is now a symlink, which it was not at init: not followed";
            refused("reopen", &path, why)
        };
        assert_eq!(io_error(&error), expected);
        handler.flush().unwrap();
        assert_eq!(fs::read_link(&path).unwrap(), victim);
        assert_eq!(read(&victim), "not a log\n");
        assert!(fs::symlink_metadata(backup(&path, 1)).is_err());
    }
}
