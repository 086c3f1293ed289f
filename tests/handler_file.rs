//! The `file`, `stream` and `null` handlers used directly: exact contents, open modes,
//! permissions, and the faults an outside world inflicts (deleted, renamed and truncated
//! files, a full disk, refused opens); FIFOs and devices (opening never waits, nothing but
//! a regular file is emptied), a parent that is not a directory, and paths replaced by a
//! symlink or a device behind the handler's back.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;
use support::init_refusal;

use ko_log::config::handler::Stream;
use ko_log::config::HandlerConfig;
use ko_log::handler::{build, File, FileConfig, Handler, Null, OpenMode, StdStream, StreamConfig};
use ko_log::{Error, Event};
use log::Level;

fn config(path: &Path) -> FileConfig {
    FileConfig::new(path)
}

fn write(handler: &mut (impl Handler + ?Sized), line: &str) -> Result<(), Error> {
    handler.write(line.as_bytes(), &Event::new(Level::Info, "test", "m"))
}

/// Writes `line` and flushes it, both of which must succeed.
fn written(handler: &mut (impl Handler + ?Sized), line: &str) {
    write(handler, line).unwrap();
    handler.flush().unwrap();
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap()
}

/// The message of a File handler that cannot `op` at `path` because `why`.
fn cannot(op: &str, path: &Path, why: &str) -> String {
    format!("File handler: cannot {op} {}: {why}", path.display())
}

/// The `op` and OS error kind of an [`Error::Io`].
fn io_parts(error: &Error) -> (&'static str, io::ErrorKind) {
    match error {
        Error::Io { op, source, .. } => (op, source.kind()),
        other => panic!("expected an Io error, got {other:?}"),
    }
}

#[test]
fn writes_exact_contents_on_flush() {
    let (_dir, path) = support::temp_path("app.log");
    let mut file = File::new(&config(&path)).unwrap();
    write(&mut file, "one\n").unwrap();
    write(&mut file, "two words\n").unwrap();
    assert_eq!(read(&path), "", "lines are buffered until flush");
    file.flush().unwrap();
    assert_eq!(read(&path), "one\ntwo words\n");
    written(&mut file, "three\n");
    assert_eq!(read(&path), "one\ntwo words\nthree\n");
    assert_eq!(file.lost(), 0);
}

#[test]
fn a_full_buffer_is_written_without_flush() {
    let (_dir, path) = support::temp_path("app.log");
    let mut file = File::new(&config(&path)).unwrap();
    let line = format!("{}\n", "x".repeat(1023));
    for _ in 0..64 {
        write(&mut file, &line).unwrap();
    }
    assert_eq!(fs::metadata(&path).unwrap().len(), 64 * 1024);
}

#[test]
fn dropping_the_handler_writes_its_buffer() {
    let (_dir, path) = support::temp_path("app.log");
    let mut file = File::new(&config(&path)).unwrap();
    write(&mut file, "kept\n").unwrap();
    drop(file);
    assert_eq!(read(&path), "kept\n");
}

/// What an open finds: kept (`append`), emptied at open (`truncate`), a torn last line
/// ended before appending, missing parent directories created.
#[test]
fn opening_appends_truncates_ends_a_torn_line_and_creates_parents() {
    for (name, existing, mode, expected) in [
        ("app.log", Some("old\n"), OpenMode::Append, "old\nnew\n"),
        ("app.log", Some("old\nolder\n"), OpenMode::Truncate, "new\n"),
        (
            "app.log",
            Some("whole\ntorn"),
            OpenMode::Append,
            "whole\ntorn\nnew\n",
        ),
        ("a/b/c/app.log", None, OpenMode::Append, "new\n"),
    ] {
        let (_dir, path) = support::temp_path(name);
        if let Some(existing) = existing {
            fs::write(&path, existing).unwrap();
        }
        let mut file = File::new(&FileConfig {
            mode,
            ..config(&path)
        })
        .unwrap();
        if mode == OpenMode::Truncate {
            assert_eq!(read(&path), "", "emptied at open");
        }
        written(&mut file, "new\n");
        assert_eq!(read(&path), expected, "{name} {existing:?} {mode:?}");
    }
}

#[test]
fn missing_parent_without_create_dirs_is_an_open_error() {
    let (dir, path) = support::temp_path("missing/app.log");
    let error = File::new(&FileConfig {
        create_dirs: false,
        ..config(&path)
    })
    .unwrap_err();
    assert_eq!(io_parts(&error), ("open", io::ErrorKind::NotFound));
    assert_eq!(error.code(), "HANDLER::File::IO::ERROR::RECOVERABLE");
    let why = "No such file or directory (os error 2)";
    assert_eq!(error.to_string(), cannot("open", &path, why));
    assert!(!dir.path().join("missing").exists());
}

#[test]
fn a_directory_as_path_is_an_open_error() {
    let dir = tempfile::tempdir().unwrap();
    let error = File::new(&config(dir.path())).unwrap_err();
    assert_eq!(io_parts(&error).0, "open");
    assert!(error.recoverable());
}

#[cfg(unix)]
#[test]
fn new_files_get_file_mode() {
    use std::os::unix::fs::PermissionsExt;
    let (dir, default) = support::temp_path("default.log");
    File::new(&config(&default)).unwrap();
    let mode = fs::metadata(&default).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o640);

    let private = dir.path().join("private.log");
    File::new(&FileConfig {
        file_mode: 0o600,
        ..config(&private)
    })
    .unwrap();
    let mode = fs::metadata(&private).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[cfg(unix)]
#[test]
fn existing_files_keep_their_mode() {
    use std::os::unix::fs::PermissionsExt;
    let (_dir, path) = support::temp_path("app.log");
    fs::write(&path, "").unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
    File::new(&config(&path)).unwrap();
    let mode = fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o644);
}

/// sysfs refuses to create files even for root, so this holds wherever the tests run.
#[cfg(target_os = "linux")]
#[test]
fn permission_denied_at_open_is_an_open_error() {
    if !Path::new("/sys/kernel").is_dir() {
        return; // no sysfs (some minimal containers): nothing to test against
    }
    let path = Path::new("/sys/kernel/ko-log-handler-test.log");
    let error = File::new(&FileConfig {
        create_dirs: false,
        ..config(path)
    })
    .unwrap_err();
    assert_eq!(io_parts(&error), ("open", io::ErrorKind::PermissionDenied));
    assert_eq!(error.code(), "HANDLER::File::IO::ERROR::RECOVERABLE");
}

#[cfg(unix)]
#[test]
#[ignore = "root bypasses directory permissions; run as a normal user with --ignored"]
fn permission_denied_in_a_read_only_directory() {
    use std::os::unix::fs::PermissionsExt;
    let (_dir, locked) = support::temp_path("locked");
    fs::create_dir(&locked).unwrap();
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o500)).unwrap();
    let error = File::new(&config(&locked.join("app.log"))).unwrap_err();
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o700)).unwrap();
    assert_eq!(io_parts(&error), ("open", io::ErrorKind::PermissionDenied));
}

fn quick_reopen(path: &Path) -> FileConfig {
    FileConfig {
        reopen_check: Duration::from_millis(10),
        ..config(path)
    }
}

/// The handler looks at its path at a write once `reopen_check` (10 ms) has passed since
/// its last look: the interval itself is the condition (three times it, for a loaded
/// machine).
fn wait_past_reopen_check() {
    std::thread::sleep(Duration::from_millis(30));
}

#[test]
fn a_deleted_file_is_recreated_after_reopen_check() {
    let (_dir, path) = support::temp_path("app.log");
    let mut file = File::new(&quick_reopen(&path)).unwrap();
    written(&mut file, "before\n");
    fs::remove_file(&path).unwrap();
    wait_past_reopen_check();
    written(&mut file, "after\n");
    assert_eq!(read(&path), "after\n");
    assert_eq!(file.lost(), 0);
}

#[test]
fn a_deleted_directory_is_recreated_with_create_dirs() {
    let (dir, path) = support::temp_path("logs/app.log");
    let mut file = File::new(&quick_reopen(&path)).unwrap();
    fs::remove_dir_all(dir.path().join("logs")).unwrap();
    wait_past_reopen_check();
    written(&mut file, "after\n");
    assert_eq!(read(&path), "after\n");
}

/// A renamed file is followed, after `reopen_check`, by the file at its path: the one
/// logrotate `create` makes itself (ko-log must then write into it), or a new one.
#[cfg(unix)]
#[test]
fn a_renamed_file_is_followed_by_logrotates_new_file_or_recreated() {
    for logrotate_creates in [true, false] {
        let (dir, path) = support::temp_path("app.log");
        let rotated = dir.path().join("app.log.1");
        let mut file = File::new(&quick_reopen(&path)).unwrap();
        written(&mut file, "one\n");
        fs::rename(&path, &rotated).unwrap();
        if logrotate_creates {
            fs::write(&path, "").unwrap();
        }
        wait_past_reopen_check();
        written(&mut file, "two\n");
        written(&mut file, "three\n");
        assert_eq!(read(&rotated), "one\n");
        assert_eq!(
            read(&path),
            "two\nthree\n",
            "logrotate created it: {logrotate_creates}"
        );
    }
}

/// Within `reopen_check` (an hour here), and always with `reopen_check = 0`, lines still
/// go to the open file.
#[cfg(unix)]
#[test]
fn within_reopen_check_or_with_zero_lines_still_go_to_the_open_file() {
    for reopen_check in [Duration::from_secs(3600), Duration::ZERO] {
        let (dir, path) = support::temp_path("app.log");
        let rotated = dir.path().join("app.log.1");
        let mut file = File::new(&FileConfig {
            reopen_check,
            ..config(&path)
        })
        .unwrap();
        fs::rename(&path, &rotated).unwrap();
        wait_past_reopen_check();
        written(&mut file, "late\n");
        assert_eq!(read(&rotated), "late\n", "{reopen_check:?}");
        assert!(!path.exists());
    }
}

#[test]
fn copytruncate_next_lines_land_at_the_start_without_holes() {
    let (dir, path) = support::temp_path("app.log");
    let mut file = File::new(&config(&path)).unwrap();
    for i in 0..100 {
        write(&mut file, &format!("before {i}\n")).unwrap();
    }
    file.flush().unwrap();
    // logrotate `copytruncate`: copy, then truncate the live file behind ko-log's back.
    support::copytruncate(&path, &dir.path().join("app.log.1"));
    written(&mut file, "after\n");
    let bytes = fs::read(&path).unwrap();
    assert_eq!(bytes, b"after\n", "no NUL hole before the new line");
}

#[cfg(target_os = "linux")]
#[test]
fn dev_full_is_a_recoverable_write_error_with_its_code() {
    let mut file = File::new(&config(Path::new("/dev/full"))).unwrap();
    write(&mut file, "one\n").unwrap();
    write(&mut file, "two\n").unwrap();
    let error = file.flush().unwrap_err();
    assert_eq!(error.code(), "HANDLER::File::IO::ERROR::RECOVERABLE");
    assert!(error.recoverable());
    assert_eq!(io_parts(&error), ("write", io::ErrorKind::StorageFull));
    assert_eq!(file.lost(), 2);
    // Nothing buffered: nothing to fail.
    file.flush().unwrap();
    // The handler keeps trying: a full buffer fails in `write` itself.
    let line = format!("{}\n", "x".repeat(1023));
    let failures = (0..64).filter(|_| write(&mut file, &line).is_err()).count();
    assert_eq!(failures, 1);
    assert_eq!(file.lost(), 2 + 64);
}

/// Disk full, then space again: the path is a symlink first to `/dev/full`, then to a
/// regular file whose last line a failed write had torn.
#[cfg(target_os = "linux")]
#[test]
fn recovers_after_disk_full_with_whole_lines() {
    let (dir, path) = support::temp_path("app.log");
    let real = dir.path().join("real.log");
    fs::write(&real, "written before\ntorn by the full disk").unwrap();
    std::os::unix::fs::symlink("/dev/full", &path).unwrap();

    let mut file = File::new(&config(&path)).unwrap();
    write(&mut file, "lost\n").unwrap();
    let error = file.flush().unwrap_err();
    assert_eq!(io_parts(&error).0, "write");
    assert_eq!(file.lost(), 1);

    fs::remove_file(&path).unwrap();
    std::os::unix::fs::symlink(&real, &path).unwrap();
    written(&mut file, "after recovery\n");
    written(&mut file, "and on\n");
    assert_eq!(
        read(&real),
        "written before\ntorn by the full disk\nafter recovery\nand on\n"
    );
    assert_eq!(file.lost(), 1);
}

/// The directory vanishes with `create_dirs = false`: the reopen fails (reported, lines
/// counted as lost) until the directory is back.
#[test]
fn reopen_failures_are_reported_and_recovered() {
    let (_dir, logs) = support::temp_path("logs");
    fs::create_dir(&logs).unwrap();
    let path = logs.join("app.log");
    let mut file = File::new(&FileConfig {
        create_dirs: false,
        ..quick_reopen(&path)
    })
    .unwrap();
    fs::remove_dir_all(&logs).unwrap();
    wait_past_reopen_check();
    write(&mut file, "lost\n").unwrap();
    let error = file.flush().unwrap_err();
    assert_eq!(io_parts(&error), ("reopen", io::ErrorKind::NotFound));
    assert_eq!(error.code(), "HANDLER::File::IO::ERROR::RECOVERABLE");
    assert_eq!(file.lost(), 1);

    fs::create_dir(&logs).unwrap();
    written(&mut file, "back\n");
    assert_eq!(read(&path), "back\n");
}

#[test]
fn file_handler_reports_its_path() {
    let (_dir, path) = support::temp_path("app.log");
    let file = File::new(&config(&path)).unwrap();
    assert_eq!(file.path(), path);
    assert!(!file.is_terminal());
}

#[test]
fn stream_handlers_write_without_error() {
    for stream in [Stream::Stdout, Stream::Stderr] {
        let mut handler = StdStream::new(&StreamConfig {
            stream,
            ..StreamConfig::default()
        });
        written(&mut handler, "ko-log StdStream test line\n");
        handler.flush().unwrap();
        assert_eq!(handler.lost(), 0);
    }
}

#[test]
fn null_discards_everything() {
    let mut null = Null::new();
    written(&mut null, "gone\n");
    assert!(!null.is_terminal());
}

#[test]
fn build_makes_each_kind() {
    let dir = tempfile::tempdir().unwrap();
    let path: PathBuf = dir.path().join("built.log");
    let mut file = build(&HandlerConfig::new("file").with("path", path.as_path())).unwrap();
    write(&mut *file, "via build\n").unwrap();
    file.flush().unwrap();
    assert_eq!(read(&path), "via build\n");

    for config in [
        HandlerConfig::new("null"),
        HandlerConfig::new("stream").with("stream", "stderr"),
    ] {
        let mut handler = build(&config).unwrap();
        handler.flush().unwrap();
    }

    let error = build(
        &HandlerConfig::new("file")
            .with("path", dir.path().join("missing/app.log"))
            .with("create_dirs", false),
    )
    .unwrap_err();
    assert_eq!(io_parts(&error).0, "open");
    let error = build(&HandlerConfig::new("fiel")).unwrap_err();
    assert!(
        error.to_string().contains("unknown handler type `fiel`"),
        "{error}"
    );
}

// ---------------------------------------------------------------------------------------
// Paths that are not plain files: FIFOs, devices, parents that are not directories, and
// paths replaced behind the handler's back. Nothing ko-log does may harm a file it does
// not own, and opening never waits.

/// Why a FIFO without a reader is not opened.
const NO_READER: &str = "FIFO has no reader (ko-log does not wait for one: start the reader first)";

/// How long a test waits for an open that must not block before it fails (instead of
/// hanging the test run).
const OPEN_GUARD: Duration = Duration::from_secs(30);

/// A config whose root logger writes to one `file` handler named `name` at `path`.
fn file_config_text(name: &str, path: &Path) -> String {
    format!(
        "[loggers.root]\nhandlers = [\"{name}\"]\n\n[handlers.{name}]\ntype = \"file\"\npath = \"{}\"\n",
        path.display()
    )
}

#[cfg(unix)]
#[test]
fn a_fifo_without_a_reader_is_refused_at_init_at_once() {
    let (_dir, path) = support::temp_path("pipe");
    support::mkfifo(&path);
    let text = file_config_text("fifo", &path);
    let (done, refused) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(init_refusal(&text));
    });
    let refusal = refused
        .recv_timeout(OPEN_GUARD)
        .expect("init was still waiting for a FIFO reader after 30 s");
    assert_eq!(
        refusal,
        (
            format!(
                "handler `fifo` cannot start: {}",
                cannot("open", &path, NO_READER)
            ),
            "handlers.fifo.path".to_owned(),
            6,
            8
        )
    );
    // Direct use says the same, with the error kind.
    let error = File::new(&config(&path)).unwrap_err();
    assert_eq!(io_parts(&error), ("open", io::ErrorKind::NotConnected));
}

/// `flags:` of this process's descriptors open write-only on `path` (`/proc/self/fdinfo`).
#[cfg(target_os = "linux")]
fn write_only_flags_on(path: &Path) -> Vec<u32> {
    let mut flags = Vec::new();
    for entry in fs::read_dir("/proc/self/fd").unwrap().flatten() {
        if fs::read_link(entry.path()).ok().as_deref() != Some(path) {
            continue;
        }
        let info = fs::read_to_string(Path::new("/proc/self/fdinfo").join(entry.file_name()));
        let Ok(info) = info else { continue };
        let line = info.lines().find_map(|l| l.strip_prefix("flags:")).unwrap();
        let value = u32::from_str_radix(line.trim(), 8).unwrap();
        if value & 0o3 == 0o1 {
            flags.push(value);
        }
    }
    flags
}

/// A FIFO with a reader opens, and the handler's descriptor blocks again after its
/// non-blocking open: 1 MiB, far more than the pipe holds, arrives whole while the reader
/// drains it (a non-blocking descriptor would fail with `WouldBlock` once the pipe is full).
#[cfg(target_os = "linux")]
#[test]
fn a_fifo_with_a_reader_gets_every_line_through_a_blocking_descriptor() {
    use std::io::Read;
    let (_dir, path) = support::temp_path("pipe");
    support::mkfifo(&path);
    let mut reader = support::fifo_reader(&path);
    let mut file = File::new(&config(&path)).unwrap();
    let flags = write_only_flags_on(&path);
    assert_eq!(flags.len(), 1, "one write-only descriptor on the FIFO");
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    assert_eq!(flags[0] & 0o4000, 0, "O_NONBLOCK cleared: {:o}", flags[0]);

    let line = format!("{}\n", "f".repeat(1023));
    let count = 1024;
    let drained = std::thread::spawn(move || {
        let mut all = vec![0u8; count * 1024];
        reader.read_exact(&mut all).unwrap();
        all
    });
    for _ in 0..count {
        write(&mut file, &line).unwrap();
    }
    file.flush().unwrap();
    assert_eq!(file.lost(), 0);
    let all = drained.join().unwrap();
    assert!(all.chunks(1024).all(|chunk| chunk == line.as_bytes()));
    use std::os::unix::fs::FileTypeExt;
    assert!(fs::symlink_metadata(&path).unwrap().file_type().is_fifo());
}

/// The reader goes away: the write fails (broken pipe), and the reopen that follows is
/// refused at once instead of blocking the dispatcher until a reader comes back.
#[cfg(unix)]
#[test]
fn a_fifo_whose_reader_left_is_refused_at_reopen_at_once() {
    let (_dir, path) = support::temp_path("pipe");
    support::mkfifo(&path);
    let reader = support::fifo_reader(&path);
    let mut file = File::new(&config(&path)).unwrap();
    drop(reader);
    let (done, errors) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut failures = Vec::new();
        for line in ["one\n", "two\n"] {
            write(&mut file, line).unwrap();
            let error = file.flush().unwrap_err();
            failures.push((io_parts(&error), error.to_string()));
        }
        let _ = done.send((failures, file.lost()));
    });
    let (failures, lost) = errors
        .recv_timeout(OPEN_GUARD)
        .expect("the reopen was still waiting for a FIFO reader after 30 s");
    assert_eq!(
        failures,
        [
            (
                ("write", io::ErrorKind::BrokenPipe),
                cannot("write", &path, "Broken pipe (os error 32)")
            ),
            (
                ("reopen", io::ErrorKind::NotConnected),
                cannot("reopen", &path, NO_READER)
            ),
        ]
    );
    assert_eq!(lost, 2);
}

/// `/dev/null`, directly and through a symlink (as `/dev/stdout` is one), is a fine
/// destination, also with `append = false`: only a regular file is ever emptied.
#[cfg(unix)]
#[test]
fn a_character_device_keeps_working_and_is_never_truncated() {
    let dir = tempfile::tempdir().unwrap();
    let null = Path::new("/dev/null");
    let before = support::node(null);
    let link = dir.path().join("stdout");
    std::os::unix::fs::symlink(null, &link).unwrap();
    for path in [null, link.as_path()] {
        let mut file = File::new(&FileConfig {
            mode: OpenMode::Truncate,
            ..config(path)
        })
        .unwrap();
        written(&mut file, "to the device\n");
        assert_eq!(file.lost(), 0);
    }
    assert_eq!(support::node(null), before);
    assert_eq!(fs::read_link(&link).unwrap(), null);
}

#[test]
fn a_parent_that_is_not_a_directory_is_named() {
    let (_dir, some_file) = support::temp_path("some_file");
    fs::write(&some_file, "mine\n").unwrap();
    let why = format!("{} is a regular file, not a directory", some_file.display());
    for create_dirs in [true, false] {
        for path in [some_file.join("app.log"), some_file.join("a/b/app.log")] {
            let error = File::new(&FileConfig {
                create_dirs,
                ..config(&path)
            })
            .unwrap_err();
            let expected = cannot("open", &path, &why);
            assert_eq!(error.to_string(), expected, "create_dirs = {create_dirs}");
            assert_eq!(io_parts(&error), ("open", io::ErrorKind::NotADirectory));
        }
    }
    assert_eq!(read(&some_file), "mine\n");

    let path = some_file.join("app.log");
    assert_eq!(
        init_refusal(&file_config_text("file", &path)),
        (
            format!(
                "handler `file` cannot start: {}",
                cannot("open", &path, &why)
            ),
            "handlers.file.path".to_owned(),
            6,
            8
        )
    );

    #[cfg(unix)]
    {
        let error = File::new(&config(Path::new("/dev/null/app.log"))).unwrap_err();
        assert_eq!(
            error.to_string(),
            "File handler: cannot open /dev/null/app.log: /dev/null is a character device, not a directory"
        );
    }
}

/// `path` was a regular file at init; a symlink put in its place later is not followed
/// (it could point at any file the process may write), until it is gone.
#[cfg(unix)]
#[test]
fn a_file_replaced_by_a_symlink_is_not_followed_at_reopen() {
    let (dir, path) = support::temp_path("app.log");
    let victim = dir.path().join("victim.txt");
    fs::write(&victim, "not a log\n").unwrap();
    let mut file = File::new(&quick_reopen(&path)).unwrap();
    written(&mut file, "one\n");
    fs::remove_file(&path).unwrap();
    std::os::unix::fs::symlink(&victim, &path).unwrap();
    wait_past_reopen_check();
    write(&mut file, "two\n").unwrap();
    let error = file.flush().unwrap_err();
    let why = "is now a symlink, which it was not at init: not followed";
    assert_eq!(error.to_string(), cannot("reopen", &path, why));
    assert_eq!(io_parts(&error).0, "reopen");
    assert_eq!(file.lost(), 1);
    assert_eq!(read(&victim), "not a log\n");
    assert_eq!(fs::read_link(&path).unwrap(), victim);

    fs::remove_file(&path).unwrap();
    written(&mut file, "three\n");
    assert_eq!(read(&path), "three\n");
    assert!(fs::symlink_metadata(&path).unwrap().is_file());
}

/// `path` was a regular file at init; a device node put in its place is not written to
/// (needs root for `mknod`).
#[cfg(unix)]
#[test]
fn a_file_replaced_by_a_device_is_not_written_at_reopen() {
    let (_dir, path) = support::temp_path("app.log");
    let mut file = File::new(&quick_reopen(&path)).unwrap();
    written(&mut file, "one\n");
    fs::remove_file(&path).unwrap();
    if let Err(why) = support::mknod_null(&path) {
        return support::skipped(&format!(
            "a_file_replaced_by_a_device_is_not_written_at_reopen: {why}"
        ));
    }
    let device = support::node(&path);
    wait_past_reopen_check();
    write(&mut file, "two\n").unwrap();
    let error = file.flush().unwrap_err();
    let why = "is now a character device, not a regular file as at init: not written to";
    assert_eq!(error.to_string(), cannot("reopen", &path, why));
    assert_eq!(file.lost(), 1);
    assert_eq!(support::node(&path), device);
}

/// `path` was a symlink at init (the user's choice): a reopen follows it to whatever
/// existing file it names now (a tool that keeps `current.log` pointing at the file of the
/// day), but never creates a file through it.
#[cfg(unix)]
#[test]
fn a_symlinked_path_follows_its_new_target_at_reopen_but_never_creates_through_it() {
    let (dir, link) = support::temp_path("current.log");
    let monday = dir.path().join("monday.log");
    let tuesday = dir.path().join("tuesday.log");
    let missing = dir.path().join("wednesday.log");
    fs::write(&monday, "").unwrap();
    fs::write(&tuesday, "").unwrap();
    std::os::unix::fs::symlink(&monday, &link).unwrap();
    let mut file = File::new(&quick_reopen(&link)).unwrap();
    written(&mut file, "one\n");

    fs::remove_file(&link).unwrap();
    std::os::unix::fs::symlink(&tuesday, &link).unwrap();
    wait_past_reopen_check();
    written(&mut file, "two\n");
    assert_eq!(read(&monday), "one\n");
    assert_eq!(read(&tuesday), "two\n");

    fs::remove_file(&link).unwrap();
    std::os::unix::fs::symlink(&missing, &link).unwrap();
    wait_past_reopen_check();
    write(&mut file, "three\n").unwrap();
    let error = file.flush().unwrap_err();
    let why = "is a symlink to a missing file: no file is created through it";
    assert_eq!(error.to_string(), cannot("reopen", &link, why));
    assert_eq!(file.lost(), 1);
    assert!(fs::symlink_metadata(&missing).is_err(), "nothing created");
    assert_eq!(read(&tuesday), "two\n");
}
