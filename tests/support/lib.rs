//! Helpers shared by ko-log's integration tests and examples.
//!
//! The `log` crate allows one global logger per process, so a test that installs ko-log
//! owns its test binary (one file per scenario), and a test that must watch the process's
//! stderr re-runs itself as a child with [`run_child_ok`] or [`child_only!`].

pub mod config;
pub mod rsyslog;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The environment variable that tells a test binary it runs as a child.
pub const CHILD_ENV: &str = "KO_LOG_TEST_CHILD";

/// Whether this process is the child started by [`run_child_ok`] for `test`.
pub fn is_child(test: &str) -> bool {
    std::env::var(CHILD_ENV).is_ok_and(|v| v == test)
}

/// The command that re-runs the current test binary with only `test` (exact name), as a
/// child process, run by the program `under` with its arguments (`env …`; empty: directly).
/// The child sees [`is_child`]`(test) == true`.
pub fn child_command(test: &str, under: &[&str]) -> Command {
    let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("/proc/self/exe"));
    let mut command = match under {
        [] => Command::new(&exe),
        [program, args @ ..] => {
            let mut command = Command::new(program);
            command.args(args).arg(&exe);
            command
        }
    };
    command
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, test);
    command
}

/// The rest of the calling test runs only in its child: in the parent this runs the
/// child (the test `$test` of this binary, with the extra environment `$env`), checks that
/// it passed ([`run_child_ok`]) and returns from the calling test.
#[macro_export]
macro_rules! child_only {
    ($test:expr) => {
        $crate::child_only!($test, [])
    };
    ($test:expr, $env:expr) => {
        if !$crate::is_child($test) {
            $crate::run_child_ok($test, &$env);
            return;
        }
    };
}

/// Prints a measurement as a `figure: NAME VALUE` line (for docs/RELIABILITY.md;
/// [`run_child_ok`] echoes it from a child).
pub fn figure(name: &str, value: impl std::fmt::Display) {
    println!("figure: {name} {value}");
}

/// Runs `body(t)` on `threads` threads at once (`t` from 0) and joins them all.
pub fn in_threads(threads: usize, body: impl Fn(usize) + Send + Sync + Copy + 'static) {
    let handles: Vec<_> = (0..threads)
        .map(|t| std::thread::spawn(move || body(t)))
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
}

/// Defines `static GATE: support::Gate` and a processor registered as `gate` that holds
/// the dispatcher at it while it is closed (see [`Gate`]).
#[macro_export]
macro_rules! gate_processor {
    () => {
        static GATE: support::Gate = support::Gate::new();

        /// Holds the dispatcher at the gate while it is closed.
        #[ko_log::processor(name = "gate")]
        fn gate() -> impl FnMut(&mut ko_log::Event) -> ko_log::Action + Send + 'static {
            |_| {
                GATE.pass();
                ko_log::Action::Keep
            }
        }
    };
}

/// The `N` of the `dropped=N` field of a warning record ko-log wrote when its queue dropped
/// records; panics on a line without one.
pub fn reported_drops(line: &str) -> u64 {
    let count = line
        .split(" dropped=")
        .nth(1)
        .unwrap_or_else(|| panic!("a foreign line: {line:?}"));
    count.split(' ').next().unwrap().parse().unwrap()
}

/// The names of this process's threads (Linux: `/proc/self/task/*/comm`; the dispatcher
/// is `ko-log`).
pub fn threads() -> Vec<String> {
    let tasks = std::fs::read_dir("/proc/self/task").expect("/proc/self/task");
    tasks
        .flatten()
        .map(|task| std::fs::read_to_string(task.path().join("comm")).unwrap_or_default())
        .map(|name| name.trim_end().to_owned())
        .collect()
}

/// Whether this process has a thread named `name` (see [`threads`]).
pub fn has_thread(name: &str) -> bool {
    threads().iter().any(|thread| thread == name)
}

/// What `renderer` writes for `event`, as text (the renderer tests' reader).
pub fn render(renderer: &dyn ko_log::render::Renderer, event: &ko_log::Event) -> String {
    let mut out = Vec::new();
    renderer.render(event, &mut out);
    String::from_utf8(out).expect("the renderer's output is UTF-8")
}

/// `render(level)` for each level, from `Error` to `Trace`.
pub fn per_level(mut render: impl FnMut(log::Level) -> String) -> Vec<String> {
    use log::Level::{Debug, Error, Info, Trace, Warn};
    [Error, Warn, Info, Debug, Trace].map(&mut render).to_vec()
}

/// The top-level keys of a JSON object, duplicates included (which `serde_json::Value`
/// would fold into one): `let Keys(keys) = serde_json::from_str(line)?`.
pub struct Keys(pub Vec<String>);

impl<'de> serde::Deserialize<'de> for Keys {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Keys, D::Error> {
        struct KeysVisitor;
        impl<'de> serde::de::Visitor<'de> for KeysVisitor {
            type Value = Keys;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Keys, A::Error> {
                let mut keys = Vec::new();
                while let Some((key, serde::de::IgnoredAny)) =
                    map.next_entry::<String, serde::de::IgnoredAny>()?
                {
                    keys.push(key);
                }
                Ok(Keys(keys))
            }
        }
        deserializer.deserialize_map(KeysVisitor)
    }
}

/// What logrotate's `copytruncate` does to the live file at `path`: copies it to `to`, then
/// truncates it behind the writer's back.
pub fn copytruncate(path: &Path, to: &Path) {
    std::fs::copy(path, to).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .unwrap()
        .set_len(0)
        .unwrap();
}

/// Checks that `stderr` holds 1 to 3 reports naming `what`: a failure repeated on every
/// flush is reported, rate limited.
pub fn assert_rate_limited(stderr: &str, what: &str) {
    let reports = stderr.matches(what).count();
    assert!(
        (1..=3).contains(&reports),
        "{reports} reports of {what}, rate limited:\n{stderr}"
    );
}

/// A fresh temporary directory and the path of `name` in it (not created); the file
/// lives as long as the directory does.
pub fn temp_path(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    (dir, path)
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

/// Creates a named pipe at `path` with `mkfifo`.
pub fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap_or_else(|e| panic!("mkfifo: {e}"));
    assert!(status.success(), "mkfifo failed");
}

/// Opens the FIFO at `path` for reading and writing, which on Linux never waits: the
/// FIFO then has a reader (ko-log opens a FIFO without waiting and refuses one nobody
/// reads), and this descriptor reads whatever is written to it.
pub fn fifo_reader(path: &Path) -> std::fs::File {
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .unwrap_or_else(|e| panic!("open fifo {}: {e}", path.display()))
}

/// A named pipe with a thread that opens it for reading but reads nothing until
/// [`StalledPipe::release`]; then it reads everything, until the writer closes the pipe. A
/// handler writing there stalls as soon as the pipe (64 KiB) and its own buffer are full: a
/// destination stalled on purpose.
pub struct StalledPipe {
    release: std::sync::mpsc::Sender<()>,
    reader: std::thread::JoinHandle<Vec<u8>>,
    path: PathBuf,
    _dir: Option<tempfile::TempDir>,
}

impl StalledPipe {
    /// Creates the pipe as `stalled.pipe` in a temp dir of its own (see [`StalledPipe::at`]).
    pub fn new() -> StalledPipe {
        let dir = tempfile::tempdir().expect("a temp dir");
        let mut pipe = StalledPipe::at(&dir.path().join("stalled.pipe"));
        pipe._dir = Some(dir);
        pipe
    }

    /// Creates the pipe at `path`. It has a reader when this returns, so a handler can
    /// open it at once.
    pub fn at(path: &Path) -> StalledPipe {
        mkfifo(path);
        // Holds a read end from now on; its write end lets the thread's read-only open
        // return at once. Dropped before reading, so the handler's close ends the read.
        let keeper = fifo_reader(path);
        let (path, read_path) = (path.to_owned(), path.to_owned());
        let (release, released) = std::sync::mpsc::channel::<()>();
        let reader = std::thread::spawn(move || {
            use std::io::Read;
            let mut fifo = std::fs::File::open(&read_path).expect("open fifo for reading");
            let _ = released.recv();
            drop(keeper);
            let mut all = Vec::new();
            let _ = fifo.read_to_end(&mut all);
            all
        });
        StalledPipe {
            release,
            reader,
            path,
            _dir: None,
        }
    }

    /// Where the pipe is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Lets the reader read.
    pub fn release(&self) {
        let _ = self.release.send(());
    }

    /// Everything written to the pipe, once the writer has closed it (after the guard is
    /// dropped); releases the reader first if that is not done yet.
    pub fn output(self) -> String {
        self.release();
        String::from_utf8(self.reader.join().unwrap()).expect("UTF-8 output")
    }
}

/// Says that a test could not stage what it checks (the reason is given) and passes
/// without checking: `skipped: REASON` on the process's real stderr, which the test
/// harness does not capture, so the line shows in every run.
pub fn skipped(reason: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "skipped: {reason}");
}

/// Makes a character device node at `path` with the numbers of `/dev/null` (1, 3), with
/// `mknod`; the error says why it could not (not root, no `mknod`, a container that
/// forbids it), for the test to print as its reason to skip.
pub fn mknod_null(path: &Path) -> Result<(), String> {
    run_tool(
        Command::new("mknod").arg(path).args(["c", "1", "3"]),
        "mknod c 1 3",
    )
}

/// Runs the system tool `command` (`what`: its words, for the error); the error says why it
/// could not run or what it said on stderr when it failed.
fn run_tool(command: &mut Command, what: &str) -> Result<(), String> {
    let program = command.get_program().to_string_lossy().into_owned();
    let output = command
        .output()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what} failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

/// What a path is, for a test that checks ko-log left it alone: its device, inode, file
/// type and device numbers, without following a symlink (Unix).
#[cfg(unix)]
pub fn node(path: &Path) -> (u64, u64, u32, u64) {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::symlink_metadata(path)
        .unwrap_or_else(|e| panic!("{} is gone: {e}", path.display()));
    (meta.dev(), meta.ino(), meta.mode() & 0o170000, meta.rdev())
}

/// Re-runs the current test binary with only `test` as a child process (see
/// [`child_command`]), with extra environment variables, and running the test even when it
/// is `#[ignore]`d (so an ignored test can re-run itself as a child).
pub fn run_child_with(test: &str, env: &[(&str, &str)]) -> Output {
    child_command(test, &[])
        .arg("--include-ignored")
        .envs(env.iter().copied())
        .output()
        .unwrap_or_else(|e| panic!("cannot run the child test {test}: {e}"))
}

/// Runs `test` as a child (see [`run_child_with`]), echoes the `figure:` lines it printed
/// (measurements for docs/RELIABILITY.md, shown with `--nocapture`) and its `skipped:`
/// lines (reasons a fault could not be staged, always shown), asserts it succeeded, and
/// returns its stderr.
pub fn run_child_ok(test: &str, env: &[(&str, &str)]) -> String {
    let output = run_child_with(test, env);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    // libtest prints `test NAME ... ` without a newline before the test's own output.
    for line in stdout.lines() {
        if let Some(at) = line.find("figure:") {
            println!("{}", &line[at..]);
        }
        // A skip must be seen: written to the real stderr, which libtest does not capture
        // (it captures only the print macros).
        if let Some(at) = line.find("skipped:") {
            use std::io::Write;
            let _ = writeln!(std::io::stderr(), "{}", &line[at..]);
        }
    }
    assert!(
        output.status.success(),
        "child {test} failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        output.status
    );
    stderr
}

/// One line of `/proc/self/status` (`VmRSS`, `VmHWM`, `Umask` …), its value's first word.
fn proc_status(key: &str) -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|line| {
        let rest = line.strip_prefix(key)?.strip_prefix(':')?;
        rest.split_whitespace().next().map(str::to_owned)
    })
}

/// The resident set size of this process in KiB (Linux; 0 elsewhere).
pub fn rss_kib() -> u64 {
    proc_status("VmRSS")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// The peak resident set size of this process in KiB since it started (Linux; 0 elsewhere).
pub fn peak_rss_kib() -> u64 {
    proc_status("VmHWM")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// The number of file descriptors this process has open (Linux; 0 elsewhere).
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |dir| dir.count())
}

/// This process's umask (Linux; `0o022` when it cannot be read).
pub fn umask() -> u32 {
    proc_status("Umask")
        .and_then(|v| u32::from_str_radix(&v, 8).ok())
        .unwrap_or(0o022)
}

/// A size-limited tmpfs mounted on a directory for the life of the value (a disk that
/// really fills up), unmounted (lazily) when dropped.
pub struct Tmpfs {
    dir: PathBuf,
}

impl Tmpfs {
    /// Mounts a tmpfs of `size` (as `mount` takes it: `64k`) on the existing directory
    /// `dir`; the error says why it could not (not root, no `mount`, a container that
    /// forbids it), for the test to print as its reason to skip.
    pub fn mount(dir: &Path, size: &str) -> Result<Tmpfs, String> {
        let mut mount = Command::new("mount");
        mount.args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"]);
        run_tool(mount.arg(dir), "mount -t tmpfs")?;
        Ok(Tmpfs {
            dir: dir.to_owned(),
        })
    }

    /// The mount point.
    pub fn path(&self) -> &Path {
        &self.dir
    }
}

impl Default for StalledPipe {
    fn default() -> Self {
        StalledPipe::new()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
    }
}

/// Sets (`+i`, `+a`) or clears (`-i`, `-a`) a file attribute with `chattr`; the error says
/// why it could not (no `chattr`, a file system without attributes, not root). These
/// attributes refuse writes and renames even to root, unlike permission bits.
pub fn chattr(flag: &str, path: &Path) -> Result<(), String> {
    run_tool(
        Command::new("chattr").arg(flag).arg(path),
        &format!("chattr {flag}"),
    )
}

/// A gate a test closes to hold the dispatcher on purpose: a processor calls
/// [`Gate::pass`] for each record, which waits while the gate is closed. Unlike a slow
/// destination, it stops the dispatcher at a known point, so what the queue then holds is
/// exact.
pub struct Gate {
    state: std::sync::Mutex<GateState>,
    changed: std::sync::Condvar,
}

struct GateState {
    closed: bool,
    waiting: usize,
}

impl Gate {
    /// An open gate (for a `static`).
    pub const fn new() -> Gate {
        Gate {
            state: std::sync::Mutex::new(GateState {
                closed: false,
                waiting: 0,
            }),
            changed: std::sync::Condvar::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, GateState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Closes the gate: the next [`Gate::pass`] waits.
    pub fn close(&self) {
        self.lock().closed = true;
    }

    /// Opens the gate and lets every waiter through.
    pub fn open(&self) {
        self.lock().closed = false;
        self.changed.notify_all();
    }

    /// Called by the held thread: returns at once when the gate is open, else when opened.
    pub fn pass(&self) {
        let mut state = self.lock();
        if !state.closed {
            return;
        }
        state.waiting += 1;
        self.changed.notify_all();
        while state.closed {
            state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner());
        }
        state.waiting -= 1;
    }

    /// Returns once a thread waits at the closed gate; panics after 60 s (the dispatcher
    /// never reached it: a test must fail, not hang).
    pub fn wait_until_held(&self) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let mut state = self.lock();
        while state.waiting == 0 {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            assert!(!left.is_zero(), "nothing reached the gate within 60 s");
            state = self
                .changed
                .wait_timeout(state, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}

impl Default for Gate {
    fn default() -> Self {
        Gate::new()
    }
}

/// Percentiles of `samples` (sorted in place): `(p50, p99, p99.9, max)`.
pub fn percentiles(samples: &mut [u64]) -> (u64, u64, u64, u64) {
    samples.sort_unstable();
    let at = |q: f64| {
        let last = samples.len().saturating_sub(1);
        let index = ((last as f64) * q).round() as usize;
        samples.get(index.min(last)).copied().unwrap_or(0)
    };
    (at(0.5), at(0.99), at(0.999), at(1.0))
}

/// A loopback address nothing listens on (bound, then released).
pub fn free_port() -> std::net::SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// Polls `done` every millisecond until it is true; panics naming `what` after 60 s, so
/// that a test waiting for the pipeline fails instead of hanging.
pub fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !done() {
        assert!(
            std::time::Instant::now() < deadline,
            "still waiting after 60 s: {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}

/// The config error `ko_log::init_from_str` refused the TOML `text` with: (message, key
/// path, line, column). Panics when init accepts it or the error is not a located config
/// error.
pub fn init_refusal(text: &str) -> (String, String, usize, usize) {
    let error = match ko_log::init_from_str(text, ko_log::config::Format::Toml) {
        Ok(_guard) => panic!("init accepted:\n{text}"),
        Err(error) => error,
    };
    assert_eq!(error.code(), "CONFIGURATION::Config::VALIDATION::ERROR");
    located(&error)
}

/// A located config error's (message, key path, line, column); panics when `error` is not
/// a config error or has no location.
pub fn located(error: &ko_log::Error) -> (String, String, usize, usize) {
    let ko_log::Error::Config(config) = error else {
        panic!("expected a config error, got {error:?}");
    };
    let location = config.location().expect("a location");
    (
        config.message().to_owned(),
        config.key_path().to_owned(),
        location.line,
        location.column,
    )
}

/// The JSON lines of `path` whose `message` contains `text`, after a `flush()` (which
/// also makes the handlers log the status records their threads queued).
pub fn json_lines_with(path: &Path, text: &str) -> Vec<serde_json::Value> {
    log::logger().flush();
    lines(path)
        .iter()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).expect("a JSON line"))
        .filter(|line| line["message"].as_str().is_some_and(|m| m.contains(text)))
        .collect()
}

/// Waits for the `unreachable` status record about `destination` in the JSON log at
/// `path`, checks the fields every network handler gives it, and returns it.
pub fn unreachable_status(path: &Path, destination: &str) -> serde_json::Value {
    let record = status_record(path, "is unreachable", "WARN", destination);
    assert!(record["error"].as_str().is_some_and(|e| !e.is_empty()));
    assert!(record["sender"].is_u64(), "{record}");
    record
}

/// Waits for the `back` status record about `destination` in the JSON log at `path` (the
/// one that follows `gone`, the `unreachable` one: same sender), checks the fields every
/// network handler gives it, `dropped` included, and returns it.
pub fn back_status(
    path: &Path,
    destination: &str,
    dropped: u64,
    gone: &serde_json::Value,
) -> serde_json::Value {
    let record = status_record(path, "is back after", "INFO", destination);
    assert_eq!(record["dropped"], dropped);
    assert!(record["down_ms"].is_u64(), "{record}");
    assert_eq!(record["sender"], gone["sender"]);
    record
}

/// Flushes `backend` until its handler `name` has counted a retry (a connection attempt
/// after a failed one): the destination was found down. `what` names the wait.
pub fn wait_for_retry(backend: &ko_log::Backend, name: &str, what: &str) {
    wait_until(what, || {
        log::Log::flush(backend);
        backend.stats().handler(name).expect("the handler").retries >= 1
    });
}

/// Waits for the first status record whose message contains `text` in the JSON log at
/// `path`, checks it is ko-log's, at `level`, about `destination`, and returns it.
fn status_record(path: &Path, text: &str, level: &str, destination: &str) -> serde_json::Value {
    let mut found = Vec::new();
    wait_until(&format!("the `{text}` record in the file"), || {
        found = json_lines_with(path, text);
        !found.is_empty()
    });
    let record = found.swap_remove(0);
    assert_eq!(record["level"], level);
    assert_eq!(record["target"], "ko_log");
    assert_eq!(record["destination"], destination);
    record
}

/// Checks that `backend`'s handler `name` sent `sent` records over its first connection:
/// none dropped, and no reconnection (a first connection is none). Waits for the count:
/// the receiver may read the records before the sender's write returns and counts them,
/// and a flush during an outage does not wait for a handler that was away.
pub fn assert_sent_on_first_connection(backend: &ko_log::Backend, name: &str, sent: u64) {
    wait_until(&format!("{sent} records counted as sent"), || {
        log::Log::flush(backend);
        backend.stats().handler(name).expect("the handler").sent >= sent
    });
    let stats = backend.stats().handler(name).expect("the handler");
    assert_eq!(
        (stats.sent, stats.dropped, stats.reconnects),
        (sent, 0, 0),
        "{stats:?}"
    );
}
