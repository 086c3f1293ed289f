//! Helpers shared by ko-log's integration tests and examples.
//!
//! The `log` crate allows one global logger per process, so a test that installs ko-log
//! owns its test binary (one file per scenario), and a test that must watch the process's
//! stderr re-runs itself as a child with [`run_child`].

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The environment variable that tells a test binary it runs as a child.
pub const CHILD_ENV: &str = "KO_LOG_TEST_CHILD";

/// Whether this process is the child started by [`run_child`] for `test`.
pub fn is_child(test: &str) -> bool {
    std::env::var(CHILD_ENV).is_ok_and(|v| v == test)
}

/// Re-runs the current test binary with only `test` (exact name), as a child process, and
/// returns its output. The child sees [`is_child`]`(test) == true`.
pub fn run_child(test: &str) -> Output {
    let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("/proc/self/exe"));
    Command::new(exe)
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, test)
        .output()
        .unwrap_or_else(|e| panic!("cannot run the child test {test}: {e}"))
}

/// The lines of a file (empty when it does not exist).
pub fn lines(path: impl AsRef<Path>) -> Vec<String> {
    std::fs::read_to_string(path)
        .map(|text| text.lines().map(str::to_owned).collect())
        .unwrap_or_default()
}

/// The lines of a rotated log in write order: `path.N` … `path.1`, then `path`.
pub fn rotated_lines(path: impl AsRef<Path>) -> Vec<String> {
    let path = path.as_ref();
    let mut backups: Vec<(usize, PathBuf)> = Vec::new();
    if let (Some(dir), Some(name)) = (path.parent(), path.file_name()) {
        let prefix = format!("{}.", name.to_string_lossy());
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let file = entry.file_name().to_string_lossy().into_owned();
            if let Some(n) = file.strip_prefix(&prefix).and_then(|n| n.parse().ok()) {
                backups.push((n, entry.path()));
            }
        }
    }
    backups.sort_by_key(|b| std::cmp::Reverse(b.0));
    let mut all = Vec::new();
    for (_, backup) in backups {
        all.extend(lines(backup));
    }
    all.extend(lines(path));
    all
}

/// Checks that `lines` hold each number `0..count` exactly once, where `number` extracts
/// it from a line; returns a description of the first problem found.
pub fn check_exactly_once(
    lines: &[String],
    count: usize,
    number: impl Fn(&str) -> Option<usize>,
) -> Result<(), String> {
    let mut seen = vec![0u32; count];
    for line in lines {
        let n = number(line).ok_or_else(|| format!("torn or foreign line: {line:?}"))?;
        let slot = seen
            .get_mut(n)
            .ok_or_else(|| format!("number out of range in {line:?}"))?;
        *slot += 1;
    }
    let missing = seen.iter().filter(|&&c| c == 0).count();
    let duplicated = seen.iter().filter(|&&c| c > 1).count();
    if missing > 0 || duplicated > 0 {
        return Err(format!(
            "{missing} numbers missing, {duplicated} duplicated"
        ));
    }
    Ok(())
}

/// Creates a named pipe at `path` and a thread that opens it for reading but reads
/// nothing until the returned sender is used (or dropped); then it reads everything and
/// returns it once the writer closes the pipe. A handler writing there stalls as soon as
/// the pipe (64 KiB) and its own buffer are full: a destination stalled on purpose.
pub fn stalled_fifo(
    path: &Path,
) -> (
    std::sync::mpsc::Sender<()>,
    std::thread::JoinHandle<Vec<u8>>,
) {
    let status = Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap_or_else(|e| panic!("mkfifo: {e}"));
    assert!(status.success(), "mkfifo failed");
    let path = path.to_owned();
    let (release, released) = std::sync::mpsc::channel::<()>();
    let reader = std::thread::spawn(move || {
        use std::io::Read;
        let mut fifo = std::fs::File::open(&path).expect("open fifo for reading");
        let _ = released.recv();
        let mut all = Vec::new();
        let _ = fifo.read_to_end(&mut all);
        all
    });
    (release, reader)
}
