//! The backups of a [`RotatingFile`](crate::handler::RotatingFile): shifting them at rotation,
//! retention by count and age, and compression on a thread of the handler's own.
//!
//! **One lock over the directory.** Every change to the backups (the shift of a rotation,
//! a removal by retention, a compressed file renamed into place and its plain file
//! removed) happens under one mutex, which also holds the compression jobs. The dispatcher
//! takes it for the renames of a rotation; the compression thread takes it only to open
//! its source and to put its result in place, never while it compresses. The jobs reach
//! the thread through the bounded buffer every handler thread uses (`sender`'s
//! [`Buffer`]), which also bounds the waits for them and the shutdown. A job names its
//! backup by number, and a rotation that shifts the backups moves the numbers of the jobs
//! with them, so a compression that finishes after a rotation puts `app.log.2.gz` beside
//! what is now `app.log.2`.
//!
//! **Crash safety.** A backup is compressed into `app.log.N.gz.tmp`, which is flushed to
//! disk (`fsync`), given the plain file's modification time, and renamed to `app.log.N.gz`
//! only when complete; the plain file is removed after that. A crash at any point leaves
//! the plain file, or the complete compressed file, under a backup's name; never a
//! truncated `.gz`. At startup ko-log removes the temporaries left by a crash (the plain
//! file is still there, and is compressed again); where a crash left both the plain file
//! and its compressed copy, the copy is checked to hold exactly the plain file's bytes
//! before the plain file is removed (if not, both are kept and the mismatch reported).
//!
//! **What it touches.** Only names of this rotation (`app.log.N`, `app.log.N.gz`,
//! `app.log.N.zst`, `app.log.N.gz.tmp`, `app.log.N.zst.tmp`), and of those only regular
//! files: a directory, FIFO, device or symlink under such a name is never renamed,
//! removed, read or replaced; it is reported and left alone. A compressed file is renamed
//! only onto a name that is free, and a plain file is removed only when it is still the
//! file that was compressed (same device, inode, size and modification time).
//!
//! **Failures** (a compression, a removal) are queued here and taken by the handler on
//! the dispatcher thread, which logs each as a record on the `ko_log` target and returns
//! it from its next flush, so it is counted in `stats().handler(NAME).errors`. A failed
//! compression keeps the plain file.

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use super::compress::{Codec, Outcome};
use super::open;
use super::rotation::{
    expired, kind_path, parse_name, rotation_plan, temp_path, Aged, Found, Kind, Name,
};
use super::sender::Buffer;
use crate::clock::WallClock;
use crate::error::Error;
use crate::handler::file::identity;

/// After a shutdown's deadline, how long the compression thread is given to notice that
/// it is cancelled (it checks between 64 KiB chunks) before it is left to end alone.
const CANCEL_WAIT: Duration = Duration::from_millis(100);

/// A backup operation that failed: compressing, or removing a file.
#[derive(Debug)]
pub(crate) struct Failure {
    /// `compress`, `delete`, or `list` (the directory could not be read at startup).
    pub op: &'static str,
    /// The file it was about.
    pub path: PathBuf,
    /// Why.
    pub error: io::Error,
}

impl Failure {
    fn new(op: &'static str, path: impl Into<PathBuf>, error: io::Error) -> Failure {
        Failure {
            op,
            path: path.into(),
            error,
        }
    }
}

/// What a job does to backup `n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Task {
    /// Compress the plain file.
    Compress(Codec),
    /// A compressed file of this codec is beside the plain file (a crash between rename
    /// and removal): remove the plain file if the compressed one holds its bytes.
    Check(Codec),
}

#[derive(Debug)]
struct Job {
    /// The backup's number now (read and changed under the lock); 0 once retention
    /// removed it.
    n: AtomicUsize,
    task: Task,
}

impl Job {
    fn number(&self) -> Option<usize> {
        Some(self.n.load(Ordering::Relaxed)).filter(|&n| n > 0)
    }
}

#[derive(Debug, Default)]
struct State {
    /// The jobs not finished, queued or in progress, in order.
    jobs: Vec<Arc<Job>>,
    failures: Vec<Failure>,
}

impl State {
    /// Forgets the jobs of backup `n` (removed).
    fn cancel(&mut self, n: usize) {
        for job in self.jobs.iter().filter(|job| job.number() == Some(n)) {
            job.n.store(0, Ordering::Relaxed);
        }
    }

    /// Backup `n` is now `n + 1`.
    fn moved(&mut self, n: usize) {
        for job in self.jobs.iter().filter(|job| job.number() == Some(n)) {
            job.n.store(n + 1, Ordering::Relaxed);
        }
    }

    /// Queues a job for backup `n`.
    fn queue(&mut self, jobs: &Buffer<Arc<Job>>, n: usize, task: Task) {
        let job = Arc::new(Job {
            n: AtomicUsize::new(n),
            task,
        });
        self.jobs.push(Arc::clone(&job));
        jobs.push(job);
    }

    /// Whether a job still has a backup to work on.
    fn pending(&self) -> bool {
        self.jobs.iter().any(|job| job.number().is_some())
    }
}

#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    /// The jobs, on their way to the thread.
    jobs: Buffer<Arc<Job>>,
    /// Raised past a shutdown's deadline: the thread stops between chunks.
    cancel: AtomicBool,
    /// Failures queued and not yet taken (read without the lock at every flush).
    failed: AtomicUsize,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn fail(&self, state: &mut State, failure: Failure) {
        state.failures.push(failure);
        self.failed.fetch_add(1, Ordering::Release);
    }
}

/// One file of a backup found in the directory.
#[derive(Debug, Clone, Copy)]
struct Entry {
    n: usize,
    kind: Kind,
    modified: Option<SystemTime>,
}

/// The backups of one live file and, when `compress` is set, the thread compressing them.
#[derive(Debug)]
pub(crate) struct Backups {
    live: PathBuf,
    backup_count: usize,
    max_age: Option<Duration>,
    clock: WallClock,
    codec: Option<Codec>,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// How [`Backups`] is set up.
#[derive(Debug, Clone)]
pub(crate) struct Policy {
    pub backup_count: usize,
    pub max_age: Option<Duration>,
    pub codec: Option<Codec>,
    /// Permissions of the compressed files (as of the live file).
    pub file_mode: u32,
}

impl Backups {
    /// The backups of the live file `live`: applies retention to what is there, queues
    /// the compression of the plain backups found (see the module's crash-safety rule),
    /// then starts the compression thread (when there is something to compress).
    pub(crate) fn open(
        live: &Path,
        policy: Policy,
        clock: WallClock,
        handle: &crate::handler::Handle,
    ) -> Result<Backups, Error> {
        let mut backups = Backups::new(live, &policy, clock);
        backups.startup();
        if backups.codec.is_some() {
            let shared = Arc::clone(&backups.shared);
            let owned = live.to_path_buf();
            let mode = policy.file_mode;
            let spawned = handle.spawn("compress", move || run(&shared, &owned, mode));
            backups.thread =
                Some(spawned.map_err(|e| Error::io("RotatingFile", "start compressing", live, e))?);
        }
        Ok(backups)
    }

    /// The backups of `live`, nothing looked at and no thread started yet.
    fn new(live: &Path, policy: &Policy, clock: WallClock) -> Backups {
        Backups {
            live: live.to_path_buf(),
            backup_count: policy.backup_count,
            max_age: policy.max_age,
            clock,
            codec: policy.codec.filter(|_| policy.backup_count > 0),
            shared: Arc::new(Shared {
                state: Mutex::new(State::default()),
                jobs: Buffer::new(usize::MAX, 1, ko_log_config::Backpressure::Block),
                cancel: AtomicBool::new(false),
                failed: AtomicUsize::new(0),
            }),
            thread: None,
        }
    }

    /// At startup: removes the temporaries a crash left, applies retention, and queues
    /// the compression (or the check) of every plain backup kept.
    fn startup(&self) {
        let mut state = self.shared.lock();
        let (entries, temps) = match self.list() {
            Ok(found) => found,
            Err(e) => {
                let dir = self.dir();
                self.shared.fail(&mut state, Failure::new("list", dir, e));
                return;
            }
        };
        for temp in temps {
            if let Err(e) = remove_regular(&temp) {
                self.shared
                    .fail(&mut state, Failure::new("delete", temp, e));
            }
        }
        let kept = self.retain(&mut state, entries);
        let Some(codec) = self.codec else {
            return;
        };
        let mut found = Found::new();
        for entry in kept {
            found.entry(entry.n).or_default().insert(entry.kind);
        }
        for (n, kinds) in found {
            // Above the count: its removal failed (reported); not worth compressing.
            if n > self.backup_count || !kinds.contains(&Kind::Plain) {
                continue;
            }
            let existing = kinds.iter().find_map(|&kind| Codec::of_kind(kind));
            let task = existing.map_or(Task::Compress(codec), Task::Check);
            state.queue(&self.shared.jobs, n, task);
        }
    }

    /// Rotates: shifts the backups (see [`rotation_plan`]), renames the live file to
    /// backup 1, applies retention and queues the compression of the new backup.
    ///
    /// Every file moved or removed by the shift, and the file a move would replace, must be
    /// a regular file (or missing): otherwise nothing is done and the error (`op`
    /// `rotate`) names it. A removal refused by retention is queued as a failure instead.
    pub(crate) fn rotate(&mut self) -> Result<(), Error> {
        let rotate_error = |path: &Path, e| Error::io("RotatingFile", "rotate", path, e);
        let shared = Arc::clone(&self.shared);
        let mut state = shared.lock();
        let (entries, _) = self.list().map_err(|e| rotate_error(&self.dir(), e))?;
        let mut found = Found::new();
        for entry in &entries {
            found.entry(entry.n).or_default().insert(entry.kind);
        }
        let plan = rotation_plan(&found, self.backup_count);
        let first = kind_path(&self.live, 1, Kind::Plain);
        // Nothing is touched while any of them is something else than a regular file,
        // and each is checked again just before it is touched.
        let check = |path: &Path| open::check_regular(path).map_err(|e| rotate_error(path, e));
        // Just before a rename: its target must be free (no rename replaces a file).
        let free = |path: &Path| match fs::symlink_metadata(path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(rotate_error(path, e)),
            Ok(_) => Err(rotate_error(
                path,
                io::Error::new(io::ErrorKind::AlreadyExists, "exists already: not replaced"),
            )),
        };
        for &(n, kind) in &plan.remove {
            check(&kind_path(&self.live, n, kind))?;
        }
        for &(n, kind) in &plan.shift {
            check(&kind_path(&self.live, n, kind))?;
            check(&kind_path(&self.live, n + 1, kind))?;
        }
        check(&self.live)?;
        check(&first)?;
        for &(n, kind) in &plan.remove {
            let path = kind_path(&self.live, n, kind);
            check(&path)?;
            match fs::remove_file(&path) {
                Ok(()) => state.cancel(n),
                Err(e) if e.kind() == io::ErrorKind::NotFound => state.cancel(n),
                Err(e) => return Err(rotate_error(&path, e)),
            }
        }
        for &(n, kind) in &plan.shift {
            let from = kind_path(&self.live, n, kind);
            let to = kind_path(&self.live, n + 1, kind);
            check(&from)?;
            free(&to)?;
            match fs::rename(&from, &to) {
                Ok(()) => {
                    if kind == Kind::Plain {
                        state.moved(n);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(rotate_error(&from, e)),
            }
        }
        check(&self.live)?;
        free(&first)?;
        let rotated = match fs::rename(&self.live, &first) {
            Ok(()) => true,
            // The live file was deleted outside: nothing to rotate.
            Err(e) if e.kind() == io::ErrorKind::NotFound => false,
            Err(e) => return Err(rotate_error(&self.live, e)),
        };
        // What is there now, for retention.
        let removed = |n: usize| plan.remove.iter().any(|&(m, _)| m == n);
        let shifted = |n: usize| plan.shift.iter().any(|&(m, _)| m == n);
        let mut now: Vec<Entry> = entries
            .into_iter()
            .filter(|entry| !removed(entry.n))
            .map(|entry| Entry {
                n: if shifted(entry.n) {
                    entry.n + 1
                } else {
                    entry.n
                },
                ..entry
            })
            .collect();
        if rotated {
            now.push(Entry {
                n: 1,
                kind: Kind::Plain,
                modified: fs::symlink_metadata(&first)
                    .and_then(|meta| meta.modified())
                    .ok(),
            });
        }
        let kept = self.retain(&mut state, now);
        let first_kept = kept.iter().any(|e| e.n == 1 && e.kind == Kind::Plain);
        if let (Some(codec), true, true) = (self.codec, rotated, first_kept) {
            state.queue(&self.shared.jobs, 1, Task::Compress(codec));
        }
        Ok(())
    }

    /// Removes the backups beyond `backup_count` or older than `max_age` among `entries`;
    /// returns the others (and those whose removal failed, reported).
    fn retain(&self, state: &mut State, entries: Vec<Entry>) -> Vec<Entry> {
        let aged: Vec<Aged> = entries
            .iter()
            .map(|e| Aged {
                n: e.n,
                kind: e.kind,
                modified: e.modified,
            })
            .collect();
        let doomed = expired(&aged, self.backup_count, self.max_age, self.clock.now());
        let mut kept = Vec::with_capacity(entries.len());
        for entry in entries {
            if !doomed.contains(&(entry.n, entry.kind)) {
                kept.push(entry);
                continue;
            }
            let path = kind_path(&self.live, entry.n, entry.kind);
            match remove_regular(&path) {
                Ok(()) => state.cancel(entry.n),
                Err(e) => {
                    self.shared.fail(state, Failure::new("delete", path, e));
                    kept.push(entry);
                }
            }
        }
        kept
    }

    /// The directory of the live file.
    fn dir(&self) -> PathBuf {
        match self.live.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        }
    }

    /// The backups of the live file in its directory, and the temporaries of unfinished
    /// compressions.
    fn list(&self) -> io::Result<(Vec<Entry>, Vec<PathBuf>)> {
        let Some(live_name) = self.live.file_name() else {
            return Ok((Vec::new(), Vec::new()));
        };
        let mut entries = Vec::new();
        let mut temps = Vec::new();
        for entry in fs::read_dir(self.dir())? {
            let Ok(entry) = entry else { continue };
            match parse_name(live_name, &entry.file_name()) {
                Some(Name::Backup(n, kind)) => entries.push(Entry {
                    n,
                    kind,
                    // Not following a symlink: its own time, and it is left alone anyway.
                    modified: entry.metadata().and_then(|meta| meta.modified()).ok(),
                }),
                Some(Name::Temp(n, kind)) => temps.push(temp_path(&self.live, n, kind)),
                None => {}
            }
        }
        entries.sort_by_key(|e| (e.n, e.kind));
        temps.sort();
        Ok((entries, temps))
    }

    /// Waits until no compression is pending, at most `limit`; returns whether none is.
    pub(crate) fn wait_idle(&self, limit: Duration) -> bool {
        if self.thread.is_some() {
            self.shared.jobs.flush(limit);
        }
        self.thread.is_none() || !self.shared.lock().pending()
    }

    /// The failures queued since the last call.
    pub(crate) fn take_failures(&self) -> Vec<Failure> {
        if self.shared.failed.load(Ordering::Acquire) == 0 {
            return Vec::new();
        }
        let mut state = self.shared.lock();
        self.shared.failed.store(0, Ordering::Release);
        std::mem::take(&mut state.failures)
    }

    /// Stops the compression thread: lets it finish the pending jobs until `deadline`,
    /// then cancels it. Returns the plain backups left uncompressed (kept as they are; the
    /// next start compresses them).
    pub(crate) fn shut_down(&mut self, deadline: Instant) -> Vec<PathBuf> {
        let jobs = &self.shared.jobs;
        if jobs.deadline().is_some() {
            return Vec::new();
        }
        let thread = self.thread.take();
        if thread.is_some() {
            jobs.flush(deadline.saturating_duration_since(Instant::now()));
        }
        self.shared.cancel.store(true, Ordering::Release);
        let grace = if thread.is_some() {
            CANCEL_WAIT
        } else {
            Duration::ZERO
        };
        let stuck = jobs.close(Instant::now(), grace, None) > 0;
        let mut left: Vec<PathBuf> = (self.shared.lock().jobs.iter())
            .filter_map(|job| job.number())
            .map(|n| kind_path(&self.live, n, Kind::Plain))
            .collect();
        left.sort();
        left.dedup();
        if let Some(thread) = thread.filter(|_| !stuck) {
            let _ = thread.join();
        }
        left
    }
}

impl Drop for Backups {
    fn drop(&mut self) {
        // The handler normally shuts down first (and reports); this only stops the thread
        // of a `Backups` dropped otherwise.
        let _ = self.shut_down(Instant::now());
    }
}

/// Removes the regular file at `path`; anything else there is refused (left alone). A
/// missing file is fine.
fn remove_regular(path: &Path) -> io::Result<()> {
    open::check_regular(path)?;
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// The compression thread: takes the jobs in order until the handler shuts down; a job
/// cancelled at the shutdown deadline is left (for the shutdown report and the next
/// start).
fn run(shared: &Shared, live: &Path, mode: u32) {
    shared.jobs.run(Duration::ZERO, &mut |batch, _| {
        for job in batch {
            if shared.cancel.load(Ordering::Acquire)
                || work(shared, live, mode, job) == Outcome::Cancelled
            {
                continue;
            }
            shared.lock().jobs.retain(|other| !Arc::ptr_eq(other, job));
        }
    });
}

/// What a source file was when its job started: a plain file is removed only if it is
/// still this file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Seen {
    identity: Option<(u64, u64)>,
    len: u64,
    modified: Option<SystemTime>,
}

impl Seen {
    fn of(meta: &fs::Metadata) -> Seen {
        Seen {
            identity: identity(meta),
            len: meta.len(),
            modified: meta.modified().ok(),
        }
    }

    /// Whether `path` is still a regular file and this one.
    fn still(&self, path: &Path) -> bool {
        fs::symlink_metadata(path).is_ok_and(|meta| meta.is_file() && Seen::of(&meta) == *self)
    }
}

/// Runs one job (already the active one).
fn work(shared: &Shared, live: &Path, mode: u32, job: &Job) -> Outcome {
    // The number is read and the file opened under the lock: a rotation may have moved
    // the job since it was taken.
    let state = shared.lock();
    let Some(n) = job.number() else {
        return Outcome::Done;
    };
    let plain = kind_path(live, n, Kind::Plain);
    let source = open::open_backup(&plain);
    let other = match job.task {
        Task::Check(codec) => Some(open::open_backup(&kind_path(live, n, codec.kind()))),
        Task::Compress(_) => None,
    };
    drop(state);
    let (mut source, meta) = match source {
        Ok(opened) => opened,
        Err(e) => return failed(shared, Failure::new("compress", plain, e)),
    };
    let seen = Seen::of(&meta);
    match job.task {
        Task::Compress(codec) => {
            let temp = temp_path(live, n, codec.kind());
            let written = write_temp(&temp, mode, codec, &mut source, &meta, &shared.cancel);
            let mut state = shared.lock();
            let at = job.number();
            match (written, at) {
                (Ok(Outcome::Done), Some(at)) => {
                    place(shared, &mut state, live, at, codec, &temp, seen)
                }
                (Ok(Outcome::Cancelled), _) => {
                    let _ = fs::remove_file(&temp);
                    return Outcome::Cancelled;
                }
                (Ok(Outcome::Done), None) => {
                    // Removed by retention meanwhile.
                    let _ = fs::remove_file(&temp);
                }
                (Err(e), at) => {
                    let _ = fs::remove_file(&temp);
                    let path = kind_path(live, at.unwrap_or(n), Kind::Plain);
                    shared.fail(&mut state, Failure::new("compress", path, e));
                }
            }
            Outcome::Done
        }
        Task::Check(codec) => {
            let compressed = match other {
                Some(Ok((file, _))) => file,
                Some(Err(e)) => {
                    let path = kind_path(live, n, codec.kind());
                    return failed(shared, Failure::new("compress", path, e));
                }
                None => return Outcome::Done,
            };
            let held = codec.holds(io::BufReader::new(compressed), &mut source, &shared.cancel);
            let mut state = shared.lock();
            let at = job.number();
            match (held, at) {
                (Err(e), _) if e.kind() == io::ErrorKind::Interrupted => Outcome::Cancelled,
                (_, None) => Outcome::Done,
                (Ok(true), Some(at)) => {
                    let plain = kind_path(live, at, Kind::Plain);
                    if !seen.still(&plain) {
                        let e = io::Error::other("changed while it was checked: left as it is");
                        shared.fail(&mut state, Failure::new("compress", plain, e));
                    } else if let Err(e) = fs::remove_file(&plain) {
                        shared.fail(&mut state, Failure::new("delete", plain, e));
                    }
                    Outcome::Done
                }
                (Ok(false), Some(at)) => {
                    let compressed = kind_path(live, at, codec.kind());
                    let e = io::Error::other(format!(
                        "{} is beside it and does not hold the same bytes: both are kept",
                        compressed.display()
                    ));
                    let plain = kind_path(live, at, Kind::Plain);
                    shared.fail(&mut state, Failure::new("compress", plain, e));
                    Outcome::Done
                }
                (Err(e), Some(at)) => {
                    let plain = kind_path(live, at, Kind::Plain);
                    shared.fail(&mut state, Failure::new("compress", plain, e));
                    Outcome::Done
                }
            }
        }
    }
}

fn failed(shared: &Shared, failure: Failure) -> Outcome {
    let mut state = shared.lock();
    shared.fail(&mut state, failure);
    Outcome::Done
}

/// Compresses `source` into a new file at `temp`, flushed to disk and given the source's
/// modification time. An incomplete result (an error, a cancel) is left for the caller
/// to remove.
fn write_temp(
    temp: &Path,
    mode: u32,
    codec: Codec,
    source: &mut fs::File,
    meta: &fs::Metadata,
    cancel: &AtomicBool,
) -> io::Result<Outcome> {
    let created = match open::create_temp(temp, mode) {
        // A temporary of an earlier attempt (its removal failed): ours by its name.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            remove_regular(temp).and_then(|()| open::create_temp(temp, mode))
        }
        other => other,
    };
    // The error names the temporary, not the backup it is about.
    let out = created.map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", temp.display())))?;
    let mut writer = BufWriter::with_capacity(64 * 1024, out);
    let outcome = codec.compress(&mut io::BufReader::new(source), &mut writer, cancel)?;
    if outcome == Outcome::Cancelled {
        return Ok(outcome);
    }
    writer.flush()?;
    let out = writer.into_inner().map_err(|e| e.into_error())?;
    if let Ok(modified) = meta.modified() {
        // Age is read from the modification time: the compressed file keeps the plain one's.
        out.set_modified(modified)?;
    }
    out.sync_all()?;
    Ok(Outcome::Done)
}

/// Puts the complete compressed file `temp` of backup `n` (its number now) in place and
/// removes the plain file, under the lock.
fn place(
    shared: &Shared,
    state: &mut State,
    live: &Path,
    n: usize,
    codec: Codec,
    temp: &Path,
    seen: Seen,
) {
    let plain = kind_path(live, n, Kind::Plain);
    let target = kind_path(live, n, codec.kind());
    let refused = if !seen.still(&plain) {
        Some(Failure::new(
            "compress",
            &plain,
            io::Error::other("changed while it was compressed: left as it is"),
        ))
    } else if fs::symlink_metadata(&target).is_ok() {
        Some(Failure::new(
            "compress",
            &plain,
            io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("{} exists already: not replaced", target.display()),
            ),
        ))
    } else {
        fs::rename(temp, &target)
            .err()
            .map(|e| Failure::new("compress", &plain, e))
    };
    if let Some(failure) = refused {
        let _ = fs::remove_file(temp);
        shared.fail(state, failure);
        return;
    }
    if let Err(e) = fs::remove_file(&plain) {
        let e = io::Error::new(
            e.kind(),
            format!(
                "compressed into {}, but the plain file could not be removed: {e}",
                target.display()
            ),
        );
        shared.fail(state, Failure::new("delete", plain, e));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU64;

    const DAY: u64 = 86_400;
    /// 2024-06-01 00:00 UTC.
    const T0: u64 = 1_717_200_000;

    /// A clock the test moves: seconds since the epoch.
    fn clock(at: &Arc<AtomicU64>) -> WallClock {
        let at = Arc::clone(at);
        WallClock::from_fn(move || {
            SystemTime::UNIX_EPOCH + Duration::from_secs(at.load(Ordering::Relaxed))
        })
    }

    fn touch(path: &Path, text: &str, secs: u64) {
        fs::write(path, text).unwrap();
        fs::File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
            .unwrap();
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }

    fn policy(backup_count: usize, max_age_days: Option<u64>, codec: Option<Codec>) -> Policy {
        Policy {
            backup_count,
            max_age: max_age_days.map(|d| Duration::from_secs(d * DAY)),
            codec,
            file_mode: 0o640,
        }
    }

    #[test]
    fn retention_by_age_at_startup_and_at_rotation_reads_the_injected_clock() {
        let dir = tempfile::tempdir().unwrap();
        let live = dir.path().join("app.log");
        touch(&live, "live\n", T0);
        touch(&kind_path(&live, 1, Kind::Plain), "1\n", T0 - DAY);
        touch(&kind_path(&live, 2, Kind::Gzip), "2\n", T0 - 10 * DAY);
        // Exactly 14 days old: kept; a second more: removed.
        touch(&kind_path(&live, 3, Kind::Plain), "3\n", T0 - 14 * DAY);
        touch(&kind_path(&live, 4, Kind::Zstd), "4\n", T0 - 14 * DAY - 1);
        let now = Arc::new(AtomicU64::new(T0));
        let mut backups = Backups::open(
            &live,
            policy(10, Some(14), None),
            clock(&now),
            &crate::component::Handle::detached(),
        )
        .unwrap();
        assert_eq!(
            names(dir.path()),
            ["app.log", "app.log.1", "app.log.2.gz", "app.log.3"]
        );
        assert!(backups.take_failures().is_empty());

        // Five days later (no sleep: the clock moves), a rotation: 3 → 4 is now 19 days
        // old and 2.gz → 3.gz 15 days: both go; 1 → 2 (6 days) and the new 1 stay.
        now.store(T0 + 5 * DAY, Ordering::Relaxed);
        touch(&live, "live\n", T0 + 5 * DAY);
        backups.rotate().unwrap();
        assert_eq!(names(dir.path()), ["app.log.1", "app.log.2"]);
        assert_eq!(
            fs::read_to_string(kind_path(&live, 1, Kind::Plain)).unwrap(),
            "live\n"
        );
        assert_eq!(
            fs::read_to_string(kind_path(&live, 2, Kind::Plain)).unwrap(),
            "1\n"
        );
        assert!(backups.take_failures().is_empty());
    }

    #[test]
    fn a_rotation_moves_the_pending_jobs_with_their_backups() {
        let dir = tempfile::tempdir().unwrap();
        let live = dir.path().join("app.log");
        fs::write(&live, "a\n").unwrap();
        fs::write(kind_path(&live, 1, Kind::Plain), "old\n").unwrap();
        fs::write(kind_path(&live, 2, Kind::Gzip), "older\n").unwrap();
        // No thread: the jobs stay queued, so where they point is exact.
        let now = Arc::new(AtomicU64::new(T0));
        let mut backups = Backups::new(&live, &policy(3, None, Some(Codec::Gzip)), clock(&now));
        backups.startup();
        let jobs = |b: &Backups| -> Vec<Option<usize>> {
            b.shared.lock().jobs.iter().map(|j| j.number()).collect()
        };
        assert_eq!(jobs(&backups), [Some(1)]);
        backups.rotate().unwrap();
        assert_eq!(jobs(&backups), [Some(2), Some(1)]);
        fs::write(&live, "b\n").unwrap();
        // The run reaches backup_count: 3.gz is removed, 2 (a job) moves to 3.
        backups.rotate().unwrap();
        assert_eq!(jobs(&backups), [Some(3), Some(2), Some(1)]);
        assert_eq!(names(dir.path()), ["app.log.1", "app.log.2", "app.log.3"]);
        fs::write(&live, "c\n").unwrap();
        // 3 is removed: its job is forgotten.
        backups.rotate().unwrap();
        assert_eq!(jobs(&backups), [None, Some(3), Some(2), Some(1)]);
        assert_eq!(
            backups.shut_down(Instant::now()),
            [1, 2, 3].map(|n| kind_path(&live, n, Kind::Plain))
        );
        assert_eq!(
            fs::read_to_string(kind_path(&live, 3, Kind::Plain)).unwrap(),
            "a\n"
        );
    }

    #[test]
    fn the_plain_backups_found_at_startup_are_queued_and_named_when_left() {
        let dir = tempfile::tempdir().unwrap();
        let live = dir.path().join("app.log");
        for name in ["app.log.1", "app.log.2.gz", "app.log.3", "app.log.3.gz"] {
            fs::write(dir.path().join(name), "x\n").unwrap();
        }
        let now = Arc::new(AtomicU64::new(T0));
        let mut backups = Backups::new(&live, &policy(5, None, Some(Codec::Gzip)), clock(&now));
        backups.startup();
        let tasks: Vec<(Option<usize>, Task)> = backups
            .shared
            .lock()
            .jobs
            .iter()
            .map(|j| (j.number(), j.task))
            .collect();
        assert_eq!(
            tasks,
            [
                (Some(1), Task::Compress(Codec::Gzip)),
                (Some(3), Task::Check(Codec::Gzip))
            ]
        );
        assert_eq!(
            backups.shut_down(Instant::now()),
            [
                kind_path(&live, 1, Kind::Plain),
                kind_path(&live, 3, Kind::Plain)
            ]
        );
        assert_eq!(backups.shut_down(Instant::now()), Vec::<PathBuf>::new());
    }
}
