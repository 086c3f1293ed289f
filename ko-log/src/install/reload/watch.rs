//! `watch = true | "poll"`: the thread `ko-log-watch` reloads the config file when it
//! changes.
//!
//! - **What it watches**: the file's directory, not the file, since editors and
//!   deployment tools replace a file by renaming a new one over it (and Kubernetes swaps a
//!   symlinked directory). An event there makes it check the file at once, and it checks
//!   every second anyway; it reads the file when its identity, size or modification time
//!   changed, and reloads only when the bytes differ from the last ones it read.
//! - **Debounce**: after an event it waits until the directory has been quiet for
//!   [`QUIET`] (at most [`POLL`]), so a save in several writes is read once, whole.
//! - **Events** come from `notify` (feature `watch`). Without the feature, where the
//!   directory cannot be watched (no inotify instances left, a network file system), and
//!   with `watch = "poll"`, the check every second is all it has: a change is seen within
//!   about a second. The fallback is told once by a `warn` record.
//! - A file that is gone or unreadable keeps the running config, told once per spell by a
//!   `warn` record. A file that does not validate is refused like any reload (an `error`
//!   record, located). `watch = false` in a reloaded file pauses watching until a reload
//!   turns it back on. The thread ends when the guard is dropped.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use ko_log_config::Watch;

use crate::{caller::backend::Backend, report};

/// How often the file is checked without events, and the longest debounce.
const POLL: Duration = Duration::from_secs(1);

/// How long the directory must be quiet after an event before the file is read.
const QUIET: Duration = Duration::from_millis(100);

/// The file's identity, size and modification time, as a cheap change check.
pub(crate) type Stamp = Option<(u64, u64, Option<SystemTime>)>;

/// The [`Stamp`] of `path` now; taken before the file is read, so that a change made
/// after it is seen.
pub(crate) fn stamp(path: &Path) -> Stamp {
    let meta = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    let id = std::os::unix::fs::MetadataExt::ino(&meta);
    #[cfg(not(unix))]
    let id = 0;
    Some((id, meta.len(), meta.modified().ok()))
}

/// Starts watching `path` for `backend` (installed: it lives for the process), whose
/// running config was built from `text`, read after `stamp` was taken.
pub(crate) fn spawn(
    backend: &'static Backend,
    path: PathBuf,
    mode: Watch,
    stamp: Stamp,
    text: Vec<u8>,
) {
    let start = std::thread::Builder::new()
        .name("ko-log-watch".to_owned())
        .spawn(move || {
            crate::component::handle::mark_own_thread();
            run(backend, &path, mode, stamp, text)
        });
    if let Err(error) = start {
        report::report(
            "RUNTIME::Reload::THREAD::ERROR::RECOVERABLE",
            &format!("cannot start the thread that watches the config file ({error}); `watch` is off, ko_log::reload() still works"),
        );
    }
}

fn run(backend: &'static Backend, path: &Path, mode: Watch, mut last_stamp: Stamp, text: Vec<u8>) {
    // `_wake` keeps the channel open when nothing else sends on it (polling).
    let (_wake, events) = flume::unbounded();
    let _watcher = watch_events(path, mode, _wake.clone());
    let mut last_text = text;
    let mut missing = false;
    loop {
        let woken = events.recv_timeout(POLL).is_ok();
        if backend.shared.is_closed() {
            return;
        }
        if woken {
            let until = std::time::Instant::now() + POLL;
            while std::time::Instant::now() < until && events.recv_timeout(QUIET).is_ok() {}
        }
        // An event anywhere in the directory (ko-log's own log files may be there) only
        // makes the check come sooner.
        let now = stamp(path);
        if now == last_stamp {
            continue;
        }
        last_stamp = now;
        if backend.live().config.watch == Watch::Off {
            continue;
        }
        match std::fs::read(path) {
            Ok(text) => {
                missing = false;
                if last_text == text {
                    continue;
                }
                // Told by its own record, applied or refused.
                let _ = backend.reload_bytes(path, &text);
                last_text = text;
            }
            Err(error) if !missing => {
                missing = true;
                log::warn!(
                    target: "ko_log",
                    path = path.display().to_string().as_str(),
                    error = error.to_string().as_str();
                    "the config file {} cannot be read ({error}); the running config is kept",
                    path.display()
                );
            }
            Err(_) => {}
        }
    }
}

/// Sends on `wake` at each file-system event in `path`'s directory (feature `watch`,
/// `watch = true`); returns the watcher, which must live as long.
#[cfg(feature = "watch")]
fn watch_events(
    path: &Path,
    mode: Watch,
    wake: flume::Sender<()>,
) -> Option<notify::RecommendedWatcher> {
    use notify::Watcher as _;
    if mode != Watch::Events {
        return None;
    }
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    };
    let watcher = notify::recommended_watcher(move |_: notify::Result<notify::Event>| {
        let _ = wake.send(());
    })
    .and_then(|mut watcher| {
        watcher.watch(&dir, notify::RecursiveMode::NonRecursive)?;
        Ok(watcher)
    });
    match watcher {
        Ok(watcher) => Some(watcher),
        Err(error) => {
            polling(&format!(
                "cannot watch {} for changes ({error})",
                dir.display()
            ));
            None
        }
    }
}

#[cfg(not(feature = "watch"))]
fn watch_events(_path: &Path, mode: Watch, _wake: flume::Sender<()>) -> Option<()> {
    if mode == Watch::Events {
        polling("ko-log was built without its `watch` feature");
    }
    None
}

/// Says once that `watch = true` falls back to polling, and why.
fn polling(why: &str) {
    log::warn!(
        target: "ko_log",
        "watch = true: {why}; checking the config file every second instead"
    );
}
