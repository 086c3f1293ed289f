//! The disk spool of the network handlers (`socket`, `syslog`, `otlp`; key `spool`): what
//! the memory buffer cannot hand to the destination goes to segment files under `dir`,
//! and is delivered from there, oldest first, once the destination answers — in this run
//! or the next one.
//!
//! ```toml
//! spool = { dir = "var/spool/otel", max_bytes = "1 GiB", sync = "batch" }   # none | batch | always
//! ```
//!
//! - **Who writes.** Only the handler's own thread ([`run`]), never the dispatcher or a
//!   caller. The memory buffer (module `sender`) comes first: while the spool is empty and
//!   the destination answers, batches go straight to it. A batch that fails, and every
//!   record after it while anything is spooled, is appended to the spool, so the order
//!   of delivery is the order of logging. So is what the thread holds when the memory is
//!   more than half full (a destination that answers, slower than records come): the
//!   memory absorbs what comes during one delivery attempt, the spool the rest; only a
//!   single attempt that outlasts the memory meets the memory's own `backpressure`.
//! - **Segments** `NNNNNNNNNNNNNNNNNNNN.seg` (a sequence number; `max_bytes / 8`, from
//!   4 KiB to 8 MiB each), created 0600 in a directory created 0700, opened with
//!   `O_NOFOLLOW`; a new process never appends to an old segment (its tail may be
//!   torn). Each record is a frame: `KOSR`, its length (u32 LE), a CRC-32 of the length
//!   and the payload (u32 LE), and the payload: the record's time (u64 LE, Unix
//!   nanoseconds) then the handler's own encoding of it ([`Spooled`]).
//! - **Torn frames** (a write cut by `kill -9` or a power cut) fail their length or CRC:
//!   the reader counts one `torn` record per damaged stretch, finds the next frame whose
//!   CRC holds, and reads on.
//! - **Acceptance.** A segment is deleted once every record in it was accepted (a 2xx
//!   for OTLP, a completed write for a stream). The position of the first record not yet
//!   accepted is kept in `cursor` (rewritten after every accepted batch), so a restart
//!   re-sends at most the one batch that was in flight.
//! - **`sync`**: `none` leaves writing back to the OS (survives a crash of the process,
//!   not of the machine); `batch` (default) is a group commit ([`Commits`]): the
//!   handler's thread writes and goes on, and a thread of the spool's own `fdatasync`s
//!   everything written since its last sync at once, so records count as resolved (a
//!   flush stops waiting) only once synced, and the thread taking from memory never
//!   waits for the disk; `always` syncs once per record, on the handler's thread.
//! - **A failed write** (a full disk, a file size limit) keeps the whole frames it
//!   wrote, counted as spooled, cuts the frame it tore off the file again, and counts
//!   the rest of the append as dropped (reported); the next append opens a new segment.
//! - **Full** (`max_bytes`): the handler's `backpressure` decides. `drop_oldest`
//!   deletes the oldest segment; `drop` refuses the new records; `block` stops taking
//!   from the memory buffer, whose hold then holds the callers routed here. Every record
//!   lost is counted in `dropped` and reported.
//! - **One process per `dir`**: the `lock` file is locked (`flock`) for the handler's
//!   life; a second handler or process on the same `dir` is refused at init.
//! - **Shutdown** spools what the memory buffer holds when the destination is away (or
//!   the deadline passed) and stops: what is undelivered stays for the next start.
//!
//! [`inspect`] reads a spool without changing it (`ko-log spool DIR`).

use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use ko_log_config::units::HumanSize;
use ko_log_config::Backpressure;

use super::sender::{Backoff, Buffer};
use crate::{error::ParamError, report};

/// The `spool` table of a network handler (`socket`, `syslog`, `otlp`): see the module
/// docs and docs/SHIPPING.md.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct SpoolParams {
    /// The directory of the segments (created 0700).
    pub dir: PathBuf,
    /// The most bytes of segments on disk (default 1 GiB).
    #[serde(default = "default_max_bytes")]
    pub max_bytes: HumanSize,
    /// When to `fdatasync` (default `batch`).
    #[serde(default)]
    pub sync: SpoolSync,
}

fn default_max_bytes() -> HumanSize {
    HumanSize(1 << 30)
}

/// `spool.sync`: when appended records are forced to the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum SpoolSync {
    /// Never: the OS writes back (survives the process, not the machine).
    None,
    /// A group commit: one `fdatasync`, on a thread of the spool's own, for everything
    /// appended since the last one.
    #[default]
    Batch,
    /// Once per record.
    Always,
}

/// Checks `spool`'s values, opening nothing (what `ko_log::check` runs too).
pub(crate) fn check(params: Option<&SpoolParams>) -> Result<(), ParamError> {
    match params {
        Some(params) if params.max_bytes.0 < MIN_BYTES => Err(ParamError::new(
            &["spool", "max_bytes"],
            format!("`spool.max_bytes` must be at least {MIN_BYTES} bytes (4 KiB)"),
        )),
        Some(params) if params.dir.as_os_str().is_empty() => Err(ParamError::new(
            &["spool", "dir"],
            "`spool.dir` must name a directory",
        )),
        _ => Ok(()),
    }
}

/// The smallest `max_bytes`.
const MIN_BYTES: u64 = 4 << 10;

/// The schema of the `spool` key, for the handlers that take it.
pub(crate) fn schema_key() -> (&'static str, serde_json::Value) {
    use ko_log_config::schema::{describe, one_of, size, string, table};
    (
        "spool",
        describe(
            table(
                &[
                    ("dir", describe(string(), "The directory of the segment files (created 0700).")),
                    ("max_bytes", describe(size(), "The most bytes of segments on disk (default \"1 GiB\"); when full, `backpressure` decides.")),
                    ("sync", describe(one_of(&["none", "batch", "always"]), "fdatasync: never (none), a group commit for what was appended since the last one (batch, default), once per record (always).")),
                ],
                &["dir"],
            ),
            "A disk spool for what the destination cannot take now: delivered oldest first, in this run or the next.",
        ),
    )
}

/// A record a network handler's buffer holds, as the spool writes and reads it back.
pub(crate) trait Spooled: Sized + Send + 'static {
    /// The record's time in Unix nanoseconds, when the item knows it (else the time it
    /// is spooled is written).
    fn time_unix_nano(&self) -> Option<u64>;
    /// Appends the item's bytes to `out`.
    fn encode(&self, out: &mut Vec<u8>);
    /// The item `encode` wrote; `None` when the bytes are not one.
    fn decode(bytes: &[u8]) -> Option<Self>;
}

impl Spooled for Vec<u8> {
    fn time_unix_nano(&self) -> Option<u64> {
        None
    }
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self);
    }
    fn decode(bytes: &[u8]) -> Option<Self> {
        Some(bytes.to_vec())
    }
}

/// Nanoseconds since the Unix epoch, now.
pub(crate) fn now_unix_nanos() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// A record's unique id, `log.record.uid`: this process's start (Unix nanoseconds, hex),
/// its id and a sequence number, so that a downstream can drop the duplicates an
/// at-least-once delivery may make.
pub(crate) fn next_uid() -> String {
    uid_text(next_uid_sequence())
}

/// The sequence number of the next `log.record.uid` (the text is [`uid_text`], which the
/// OTLP handler writes on its own thread, not on the dispatcher).
pub(crate) fn next_uid_sequence() -> u64 {
    static SEQUENCE: AtomicU64 = AtomicU64::new(0);
    SEQUENCE.fetch_add(1, Ordering::Relaxed)
}

/// The `log.record.uid` of sequence number `sequence`: `{start:x}-{pid}-{sequence}`.
pub(crate) fn uid_text(sequence: u64) -> String {
    let mut text = Vec::with_capacity(48);
    write_uid(&mut text, sequence);
    String::from_utf8(text).unwrap_or_default()
}

/// Appends the text of [`uid_text`] to `out`, allocating nothing (the OTLP encoders and
/// the spool write it once per record, on the handler's thread).
pub(crate) fn write_uid(out: &mut Vec<u8>, sequence: u64) {
    static PREFIX: OnceLock<String> = OnceLock::new();
    let prefix = PREFIX.get_or_init(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        format!("{nanos:x}-{}-", std::process::id())
    });
    // The digits by hand, without `fmt`.
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = sequence;
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    out.extend_from_slice(prefix.as_bytes());
    out.extend_from_slice(&digits[at..]);
}

const MAGIC: &[u8; 4] = b"KOSR";
/// Magic, length, CRC.
const HEADER: usize = 12;
/// The record's time before its bytes.
const TIME: usize = 8;
/// Longest payload a frame may claim (a larger length is damage).
const MAX_PAYLOAD: usize = 64 << 20;

/// Appends one frame for `item` (written by `write`) to `out`, in place: the header is
/// filled in once the item's bytes are there, so they are copied nowhere else.
fn frame_with(out: &mut Vec<u8>, time: u64, write: impl FnOnce(&mut Vec<u8>)) {
    let start = out.len();
    out.extend_from_slice(&[0; HEADER]);
    out.extend_from_slice(&time.to_le_bytes());
    write(out);
    let len = u32::try_from(out.len() - start - HEADER).unwrap_or(u32::MAX);
    let mut crc = crc32fast::Hasher::new();
    crc.update(&len.to_le_bytes());
    crc.update(&out[start + HEADER..]);
    let header = &mut out[start..start + HEADER];
    header[..4].copy_from_slice(MAGIC);
    header[4..8].copy_from_slice(&len.to_le_bytes());
    header[8..].copy_from_slice(&crc.finalize().to_le_bytes());
}

/// Appends one frame for `item` to `out`.
#[cfg(test)]
fn frame(out: &mut Vec<u8>, time: u64, item: &[u8]) {
    frame_with(out, time, |out| out.extend_from_slice(item));
}

/// One frame found in a segment: where its payload is and where the frame ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Frame {
    /// The record's time (Unix nanoseconds).
    pub time: u64,
    /// The item's bytes (after the time).
    pub item: (usize, usize),
    /// The offset just past the frame.
    pub end: usize,
}

/// The frame starting at `at` in `data`, if it is whole and its CRC holds.
fn frame_at(data: &[u8], at: usize) -> Option<Frame> {
    let header = data.get(at..at + HEADER)?;
    if &header[..4] != MAGIC {
        return None;
    }
    let len_bytes: [u8; 4] = header[4..8].try_into().ok()?;
    let len = u32::from_le_bytes(len_bytes) as usize;
    if !(TIME..=MAX_PAYLOAD).contains(&len) {
        return None;
    }
    let crc = u32::from_le_bytes(header[8..12].try_into().ok()?);
    let payload = data.get(at + HEADER..at + HEADER + len)?;
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&len_bytes);
    hasher.update(payload);
    if hasher.finalize() != crc {
        return None;
    }
    let time = u64::from_le_bytes(payload[..TIME].try_into().ok()?);
    Some(Frame {
        time,
        item: (at + HEADER + TIME, at + HEADER + len),
        end: at + HEADER + len,
    })
}

/// The frames of a segment from `from`, and how many damaged stretches (torn records)
/// lie between them: each is skipped up to the next frame whose CRC holds.
pub(crate) fn frames(data: &[u8], from: usize) -> (Vec<Frame>, u64) {
    let mut found = Vec::new();
    let mut torn = 0;
    let mut at = from;
    while at < data.len() {
        if let Some(frame) = frame_at(data, at) {
            found.push(frame);
            at = frame.end;
            continue;
        }
        torn += 1;
        // The next place a frame starts and checks out.
        let next = (at + 1..data.len())
            .filter(|&i| data[i..].starts_with(MAGIC))
            .find(|&i| frame_at(data, i).is_some());
        match next {
            Some(next) => at = next,
            None => break,
        }
    }
    (found, torn)
}

fn segment_name(seq: u64) -> String {
    format!("{seq:020}.seg")
}

fn segment_seq(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(".seg")?;
    (digits.len() == 20 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

/// Opens `path` without following a symlink, with mode 0600 when it creates it.
fn open_nofollow(path: &Path, options: &mut OpenOptions) -> io::Result<File> {
    options
        .mode(0o600)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
        .open(path)
}

/// The segments of `dir`, oldest first (regular files only: a symlink is never read).
fn list_segments(dir: &Path) -> io::Result<Vec<(u64, u64)>> {
    let mut segments = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let Some(seq) = entry.file_name().to_str().and_then(segment_seq) else {
            continue;
        };
        if entry.file_type()?.is_file() {
            segments.push((seq, entry.metadata()?.len()));
        }
    }
    segments.sort_unstable();
    Ok(segments)
}

/// `cursor`: the segment and offset of the first record not yet accepted, with a CRC.
fn read_cursor(dir: &Path) -> Option<(u64, u64)> {
    let mut bytes = [0u8; 20];
    let mut file = open_nofollow(&dir.join("cursor"), OpenOptions::new().read(true)).ok()?;
    file.read_exact(&mut bytes).ok()?;
    (crc32fast::hash(&bytes[..16]).to_le_bytes() == bytes[16..]).then(|| {
        let seq = u64::from_le_bytes(bytes[..8].try_into().unwrap_or_default());
        let offset = u64::from_le_bytes(bytes[8..16].try_into().unwrap_or_default());
        (seq, offset)
    })
}

/// What [`inspect`] finds in a spool directory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SpoolSummary {
    /// Segment files.
    pub segments: u64,
    /// Records not yet delivered (after the acceptance cursor).
    pub records: u64,
    /// Bytes of segment files.
    pub bytes: u64,
    /// Damaged stretches (torn records) found among them.
    pub torn: u64,
    /// The time of the oldest and newest record, in Unix nanoseconds.
    pub oldest: Option<u64>,
    /// See `oldest`.
    pub newest: Option<u64>,
}

/// Reads what the spool at `dir` holds, changing nothing (no lock is taken: a running
/// handler may own it).
pub fn inspect(dir: &Path) -> io::Result<SpoolSummary> {
    let mut summary = SpoolSummary::default();
    let cursor = read_cursor(dir);
    for (seq, _) in list_segments(dir)? {
        let mut data = Vec::new();
        match open_nofollow(&dir.join(segment_name(seq)), OpenOptions::new().read(true)) {
            Ok(mut file) => file.read_to_end(&mut data)?,
            Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
            Err(error) => return Err(error),
        };
        let from = match cursor {
            Some((at, offset)) if at == seq => usize::try_from(offset).unwrap_or(0),
            _ => 0,
        };
        let (found, torn) = frames(&data, from.min(data.len()));
        summary.segments += 1;
        summary.bytes += data.len() as u64;
        summary.records += found.len() as u64;
        summary.torn += torn;
        for frame in &found {
            summary.oldest = Some(summary.oldest.map_or(frame.time, |t| t.min(frame.time)));
            summary.newest = Some(summary.newest.map_or(frame.time, |t| t.max(frame.time)));
        }
    }
    Ok(summary)
}

/// The spool's figures, in the handler's [`crate::HandlerStats`].
#[derive(Debug, Default)]
pub(crate) struct SpoolCounts {
    pub spooled: AtomicU64,
    pub replayed: AtomicU64,
    pub bytes: AtomicU64,
    pub torn: AtomicU64,
}

/// One segment file.
#[derive(Debug)]
struct Segment {
    seq: u64,
    bytes: u64,
    /// Records in it not yet accepted (known once read; counted when dropped).
    records: u64,
}

/// The segment being replayed, read into memory.
#[derive(Debug)]
struct Reading {
    seq: u64,
    /// The offset in the file where `data` starts (frames' offsets are in `data`).
    base: u64,
    data: Vec<u8>,
    frames: VecDeque<Frame>,
}

/// A spool directory owned by one handler's thread (module docs).
#[derive(Debug)]
pub(crate) struct Spool {
    dir: PathBuf,
    /// Held (locked) for the spool's life.
    _lock: File,
    max_bytes: u64,
    segment_bytes: u64,
    sync: SpoolSync,
    /// Oldest first; the last one is written to while `writer` is set.
    segments: VecDeque<Segment>,
    writer: Option<Arc<File>>,
    next_seq: u64,
    /// Where the first segment's unaccepted records start (from `cursor`).
    start: (u64, u64),
    reading: Option<Reading>,
    cursor: Option<Arc<File>>,
    scratch: Vec<u8>,
    /// A record was refused or a segment deleted for room since the spool last had it.
    full_reported: bool,
    /// Why the last write failed, for the report of the append it belongs to.
    write_error: Option<io::Error>,
    /// `sync = "batch"`'s group commit, which a thread of its own syncs.
    commits: Arc<Commits>,
}

/// `sync = "batch"`'s group commit. The handler's thread writes and goes on taking from
/// memory: it never waits for the disk. A thread of the spool's own
/// (`ko-log-spool-sync`, for the life of [`run`]) `fdatasync`s every file written since
/// its last sync, as one, and only then resolves the records that made safe, so a
/// flush returns once they are on the disk. While one sync runs, the next group
/// gathers: the busier the spool, the more records one sync covers.
#[derive(Debug, Default)]
pub(crate) struct Commits {
    state: Mutex<Commit>,
    wake: Condvar,
}

/// What the next sync covers.
#[derive(Debug, Default)]
struct Commit {
    /// Files written since they were last synced (a segment, the segment before it when
    /// one was rolled, the cursor).
    files: Vec<Arc<File>>,
    /// Records appended meanwhile: resolved once `files` are synced.
    records: u64,
    /// [`run`] ends: sync what is left and stop.
    stop: bool,
}

impl Commits {
    fn lock(&self) -> MutexGuard<'_, Commit> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `file` was written to; `records` more appended records wait for the sync.
    fn add(&self, file: Option<&Arc<File>>, records: u64) {
        let mut commit = self.lock();
        if let Some(file) = file {
            if !commit.files.iter().any(|f| Arc::ptr_eq(f, file)) {
                commit.files.push(Arc::clone(file));
            }
        }
        commit.records += records;
        drop(commit);
        self.wake.notify_one();
    }

    /// Syncs what was written since the last sync, then `resolve`s its records; `false`
    /// when there was nothing.
    fn sync_now(&self, resolve: &dyn Fn(u64)) -> bool {
        let (files, records) = {
            let mut commit = self.lock();
            (
                std::mem::take(&mut commit.files),
                std::mem::take(&mut commit.records),
            )
        };
        if files.is_empty() && records == 0 {
            return false;
        }
        for file in &files {
            let _ = file.sync_data();
        }
        resolve(records);
        true
    }

    /// The syncing thread's loop, until `stop` and nothing is left.
    fn run(&self, resolve: &dyn Fn(u64)) {
        loop {
            {
                let mut commit = self.lock();
                while commit.files.is_empty() && commit.records == 0 && !commit.stop {
                    commit = self.wake.wait(commit).unwrap_or_else(|e| e.into_inner());
                }
            }
            if !self.sync_now(resolve) && self.lock().stop {
                return;
            }
        }
    }

    fn stop(&self) {
        self.lock().stop = true;
        self.wake.notify_one();
    }
}

impl Spool {
    /// Creates `dir` (0700) if needed and locks it. A mistake is a [`ParamError`] at
    /// `spool.dir`, so init is refused at that key.
    pub fn open(params: &SpoolParams) -> Result<Spool, ParamError> {
        let at = |message: String| ParamError::new(&["spool", "dir"], message);
        let dir = params.dir.clone();
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .map_err(|e| {
                at(format!(
                    "cannot create the spool directory {}: {e}",
                    dir.display()
                ))
            })?;
        let meta = std::fs::symlink_metadata(&dir).map_err(|e| {
            at(format!(
                "cannot read the spool directory {}: {e}",
                dir.display()
            ))
        })?;
        if !meta.is_dir() {
            return Err(at(format!("{} is not a directory", dir.display())));
        }
        let lock_path = dir.join("lock");
        let lock = open_nofollow(
            &lock_path,
            OpenOptions::new().read(true).write(true).create(true),
        )
        .map_err(|e| at(format!("cannot open {}: {e}", lock_path.display())))?;
        rustix::fs::flock(&lock, rustix::fs::FlockOperation::NonBlockingLockExclusive).map_err(
            |e| {
                at(format!(
                    "the spool directory {} is in use by another handler or process (its lock file {} is locked: {e})",
                    dir.display(),
                    lock_path.display()
                ))
            },
        )?;
        let listed = list_segments(&dir).map_err(|e| {
            at(format!(
                "cannot list the spool directory {}: {e}",
                dir.display()
            ))
        })?;
        let start = read_cursor(&dir)
            .filter(|(seq, _)| listed.first().is_some_and(|(first, _)| first == seq))
            .unwrap_or((listed.first().map_or(0, |(seq, _)| *seq), 0));
        let next_seq = listed.last().map_or(1, |(seq, _)| seq + 1);
        let max_bytes = params.max_bytes.0.max(1);
        Ok(Spool {
            dir,
            _lock: lock,
            max_bytes,
            segment_bytes: (max_bytes / 8).clamp(4 << 10, 8 << 20),
            sync: params.sync,
            segments: listed
                .into_iter()
                .map(|(seq, bytes)| Segment {
                    seq,
                    bytes,
                    records: 0,
                })
                .collect(),
            writer: None,
            next_seq,
            start,
            reading: None,
            cursor: None,
            scratch: Vec::new(),
            full_reported: false,
            write_error: None,
            commits: Arc::default(),
        })
    }

    /// Reads the segments a previous run left (on the handler's thread, not at init):
    /// counts their records, and their torn ones in `counts`.
    fn scan(&mut self, counts: &SpoolCounts) {
        let mut torn = 0;
        let mut gone = Vec::new();
        for segment in &mut self.segments {
            let path = self.dir.join(segment_name(segment.seq));
            let mut data = Vec::new();
            let read = open_nofollow(&path, OpenOptions::new().read(true))
                .and_then(|mut file| file.read_to_end(&mut data));
            if let Err(error) = read {
                report::report(
                    "HANDLER::Spool::IO::ERROR",
                    &format!(
                        "cannot read the spool segment {}: {error}; it is left alone",
                        path.display()
                    ),
                );
                gone.push(segment.seq);
                continue;
            }
            let from = if segment.seq == self.start.0 {
                self.start.1 as usize
            } else {
                0
            };
            let (found, damaged) = frames(&data, from.min(data.len()));
            segment.records = found.len() as u64;
            torn += damaged;
        }
        self.segments.retain(|s| !gone.contains(&s.seq));
        counts.torn.fetch_add(torn, Ordering::Relaxed);
        if torn > 0 {
            report::report(
                "HANDLER::Spool::TORN::WARNING",
                &format!(
                    "the spool {} held {torn} torn records (cut by a crash); they are skipped",
                    self.dir.display()
                ),
            );
        }
        self.publish(counts);
    }

    /// Whether nothing waits in the spool.
    pub fn is_empty(&self) -> bool {
        self.segments.iter().all(|s| s.records == 0)
            && self.reading.as_ref().is_none_or(|r| r.frames.is_empty())
    }

    fn bytes(&self) -> u64 {
        self.segments.iter().map(|s| s.bytes).sum()
    }

    fn publish(&self, counts: &SpoolCounts) {
        counts.bytes.store(self.bytes(), Ordering::Relaxed);
    }

    fn sync_dir(&self) {
        if self.sync != SpoolSync::None {
            if let Ok(dir) = File::open(&self.dir) {
                let _ = dir.sync_all();
            }
        }
    }

    /// Deletes the oldest segment for room; returns the records lost, or `None` when
    /// the oldest is the only one (nothing older to give up).
    fn evict_oldest(&mut self) -> Option<u64> {
        if self.segments.len() < 2 {
            return None;
        }
        let segment = self.segments.pop_front()?;
        // Its records not yet accepted, those appended since it was read included.
        let lost = segment.records;
        if self.reading.as_ref().is_some_and(|r| r.seq == segment.seq) {
            self.reading = None;
        }
        let _ = std::fs::remove_file(self.dir.join(segment_name(segment.seq)));
        if let Some(next) = self.segments.front() {
            self.start = (next.seq, 0);
        }
        Some(lost)
    }

    /// A new segment to append to.
    fn roll(&mut self) -> io::Result<()> {
        let seq = self.next_seq;
        let file = open_nofollow(
            &self.dir.join(segment_name(seq)),
            OpenOptions::new().append(true).create_new(true),
        )?;
        self.next_seq += 1;
        self.segments.push_back(Segment {
            seq,
            bytes: 0,
            records: 0,
        });
        self.writer = Some(Arc::new(file));
        self.sync_dir();
        Ok(())
    }

    /// Appends `items`, in order, under `policy` when full, with one `write` per batch
    /// and segment (per record under `sync = "always"`). Returns how many were spooled,
    /// how many dropped (counted by the caller), and, under `block`, the ones left for
    /// later (the spool is full).
    pub fn append<T: Spooled>(
        &mut self,
        items: Vec<T>,
        policy: Backpressure,
        counts: &SpoolCounts,
    ) -> (u64, u64, Vec<T>) {
        let (mut spooled, mut dropped) = (0u64, 0u64);
        let mut items = items.into_iter();
        let mut left = Vec::new();
        let mut failed: Option<io::Error> = None;
        // Frames not yet written to the segment being appended to (already counted in
        // it), and how many records they hold.
        let mut pending = std::mem::take(&mut self.scratch);
        pending.clear();
        let mut pending_records = 0u64;
        let now = now_unix_nanos();
        while let Some(item) = items.next() {
            // The frame goes straight after the pending ones; taken back if it is refused.
            let start = pending.len();
            frame_with(&mut pending, item.time_unix_nano().unwrap_or(now), |out| {
                item.encode(out)
            });
            let size = (pending.len() - start) as u64;
            // Room, under the policy.
            let mut room = Room::Fits;
            while self.bytes() + size > self.max_bytes {
                room = match policy {
                    Backpressure::DropOldest => match self.evict_oldest() {
                        Some(lost) => {
                            dropped += lost;
                            self.report_full(lost, "its oldest segment was deleted");
                            Room::Fits
                        }
                        None => Room::Refused,
                    },
                    // Waiting for room makes sense while a replay can make it: a record
                    // larger than the whole spool is refused.
                    Backpressure::Block if !self.is_empty() => Room::Wait,
                    _ => Room::Refused,
                };
                if room != Room::Fits {
                    break;
                }
            }
            match room {
                Room::Fits => {}
                Room::Wait => {
                    pending.truncate(start);
                    left.push(item);
                    left.extend(items.by_ref());
                    break;
                }
                Room::Refused => {
                    pending.truncate(start);
                    dropped += 1;
                    self.report_full(1, "new records are refused");
                    continue;
                }
            }
            let rolled = match self.segments.back() {
                Some(last) if self.writer.is_some() => last.bytes + size > self.segment_bytes,
                _ => true,
            };
            if rolled {
                // What is pending belongs to the segment before this frame.
                let lost = self.write_pending(&mut pending, start, &mut pending_records);
                spooled -= lost;
                dropped += lost;
                if let Err(error) = self.roll() {
                    pending.clear();
                    failed = Some(error);
                    dropped += 1;
                    break;
                }
            }
            pending_records += 1;
            if let Some(last) = self.segments.back_mut() {
                last.bytes += size;
                last.records += 1;
            }
            spooled += 1;
            self.full_reported = false;
            if self.sync == SpoolSync::Always {
                let lost = self.write_pending(&mut pending, usize::MAX, &mut pending_records);
                spooled -= lost;
                dropped += lost;
                if let (0, Some(file)) = (lost, &self.writer) {
                    let _ = file.sync_data();
                }
            }
        }
        let lost = self.write_pending(&mut pending, usize::MAX, &mut pending_records);
        spooled -= lost;
        dropped += lost;
        if let Some(error) = self.write_error.take() {
            failed.get_or_insert(error);
        }
        if failed.is_some() {
            // What was not written is lost: counted, with the reason.
            dropped += items.len() as u64;
        }
        if self.sync == SpoolSync::Batch && spooled > 0 {
            self.commits.add(None, spooled);
        }
        if let Some(error) = failed {
            report::report(
                "HANDLER::Spool::IO::ERROR",
                &format!(
                    "cannot write to the spool {}: {error}; records are dropped (counted)",
                    self.dir.display()
                ),
            );
        }
        self.scratch = pending;
        counts.spooled.fetch_add(spooled, Ordering::Relaxed);
        self.publish(counts);
        (spooled, dropped, left)
    }

    /// Whether appended records wait for a group commit (`sync = "batch"`) before they
    /// count as resolved.
    pub fn group_commit(&self) -> bool {
        self.sync == SpoolSync::Batch
    }

    /// Writes the first `upto` bytes of `pending` (`records` frames already counted in
    /// the last segment) to it, and removes them from `pending`. Returns how many records
    /// were lost to a failed write (a full disk, a file size limit): the whole frames
    /// written before the failure stay and count as spooled, a frame cut by it is cut
    /// off the file again (so the segment holds exactly what is counted), and the rest
    /// are uncounted from the segment, which is no longer appended to. The error is kept
    /// for the caller's report.
    fn write_pending(&mut self, pending: &mut Vec<u8>, upto: usize, records: &mut u64) -> u64 {
        let upto = upto.min(pending.len());
        if upto == 0 {
            return 0;
        }
        let mut done = 0;
        let written = match &self.writer {
            Some(file) => loop {
                match (&**file).write(&pending[done..upto]) {
                    Ok(_) if done == upto => break Ok(()),
                    Ok(0) => break Err(io::Error::from(io::ErrorKind::WriteZero)),
                    Ok(n) => {
                        done += n;
                        if done == upto {
                            break Ok(());
                        }
                    }
                    Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                    Err(error) => break Err(error),
                }
            },
            None => Err(io::Error::from(io::ErrorKind::NotFound)),
        };
        let lost = match written {
            Ok(()) => {
                if self.sync == SpoolSync::Batch {
                    self.commits.add(self.writer.as_ref(), 0);
                }
                0
            }
            Err(error) => {
                // The whole frames among the `done` bytes written.
                let (mut whole, mut kept) = (0usize, 0u64);
                while let Some(len) = pending
                    .get(whole + 4..whole + 8)
                    .and_then(|b| b.try_into().ok())
                    .map(|b: [u8; 4]| u32::from_le_bytes(b) as usize)
                {
                    let end = whole + HEADER + len;
                    if end > done {
                        break;
                    }
                    whole = end;
                    kept += 1;
                }
                if let Some(last) = self.segments.back_mut() {
                    let before = last.bytes.saturating_sub(upto as u64);
                    if let (true, Some(file)) = (done > whole, &self.writer) {
                        let _ = file.set_len(before + whole as u64);
                    }
                    last.bytes = before + whole as u64;
                    last.records = last.records.saturating_sub(*records - kept);
                }
                if self.sync == SpoolSync::Batch && kept > 0 {
                    self.commits.add(self.writer.as_ref(), 0);
                }
                self.writer = None;
                self.write_error = Some(error);
                *records - kept
            }
        };
        pending.drain(..upto);
        *records = 0;
        lost
    }

    fn report_full(&mut self, lost: u64, what: &str) {
        if !self.full_reported || what.starts_with("its oldest") {
            self.full_reported = true;
            report::report(
                "HANDLER::Spool::FULL::WARNING",
                &format!(
                    "the spool {} is full (max_bytes {}): {what}; {lost} records lost (counted in `dropped`)",
                    self.dir.display(),
                    self.max_bytes
                ),
            );
        }
    }

    /// Up to `max` of the oldest records not yet accepted, decoded (a frame that does
    /// not decode is counted torn and skipped).
    pub fn read<T: Spooled>(&mut self, max: usize, counts: &SpoolCounts) -> Vec<T> {
        let mut out = Vec::new();
        while out.is_empty() && !self.is_empty() {
            if self.reading.as_ref().is_none_or(|r| r.frames.is_empty()) {
                if !self.load_next() {
                    break;
                }
                continue;
            }
            let Some(reading) = &mut self.reading else {
                break;
            };
            for frame in reading.frames.iter().take(max) {
                match T::decode(&reading.data[frame.item.0..frame.item.1]) {
                    Some(item) => out.push(item),
                    None => {
                        counts.torn.fetch_add(1, Ordering::Relaxed);
                        out.clear();
                        // Drop the undecodable frame and read again.
                        let bad = *frame;
                        reading.frames.retain(|f| *f != bad);
                        if let Some(segment) = self.segments.front_mut() {
                            segment.records = segment.records.saturating_sub(1);
                        }
                        break;
                    }
                }
            }
        }
        out
    }

    /// Whether `seq` is the segment being appended to.
    fn is_writing(&self, seq: u64) -> bool {
        self.writer.is_some() && self.segments.back().is_some_and(|s| s.seq == seq)
    }

    /// Reads the records not yet accepted of the oldest segment that has some into
    /// memory (of the segment being written too: from the cursor on, again after
    /// appends); `false` when there are none.
    fn load_next(&mut self) -> bool {
        // Done with what was read of the oldest segment: records appended to it since
        // are read next, from the cursor (its count says whether there are any).
        self.reading = None;
        loop {
            let Some(front) = self.segments.front() else {
                return false;
            };
            let seq = front.seq;
            let writing = self.is_writing(seq);
            if front.records == 0 {
                if writing {
                    return false;
                }
                self.delete_front(seq);
                continue;
            }
            let from = if self.start.0 == seq { self.start.1 } else { 0 };
            let mut data = Vec::new();
            let read = open_nofollow(
                &self.dir.join(segment_name(seq)),
                OpenOptions::new().read(true),
            )
            .and_then(|mut file| {
                std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(from))?;
                file.read_to_end(&mut data)
            });
            let found = match read {
                Ok(_) => frames(&data, 0).0,
                Err(_) => Vec::new(),
            };
            if let Some(segment) = self.segments.front_mut() {
                segment.records = found.len() as u64;
            }
            if found.is_empty() {
                if writing {
                    return false;
                }
                self.delete_front(seq);
                continue;
            }
            self.reading = Some(Reading {
                seq,
                base: from,
                data,
                frames: found.into(),
            });
            return true;
        }
    }

    fn delete_front(&mut self, seq: u64) {
        if self.segments.front().is_some_and(|s| s.seq == seq) {
            self.segments.pop_front();
            let _ = std::fs::remove_file(self.dir.join(segment_name(seq)));
            match self.segments.front() {
                Some(next) => {
                    self.start = (next.seq, 0);
                    self.write_cursor();
                }
                None => {
                    let _ = std::fs::remove_file(self.dir.join("cursor"));
                    self.cursor = None;
                    self.start = (self.next_seq, 0);
                }
            }
        }
    }

    /// The `n` oldest records read were accepted: the cursor moves past them, and a
    /// segment all of whose records were accepted is deleted.
    pub fn accept(&mut self, n: usize, counts: &SpoolCounts) {
        let Some(reading) = &mut self.reading else {
            return;
        };
        let mut end = None;
        let mut popped = 0;
        for _ in 0..n {
            match reading.frames.pop_front() {
                Some(frame) => {
                    end = Some(reading.base + frame.end as u64);
                    popped += 1;
                }
                None => break,
            }
        }
        if let Some(segment) = self.segments.front_mut() {
            segment.records = segment.records.saturating_sub(popped);
        }
        let (seq, done) = (reading.seq, reading.frames.is_empty());
        let drained = done && self.segments.front().is_some_and(|s| s.records == 0);
        if drained {
            // Every record of the segment was accepted (of the one being appended to,
            // too: the spool is empty then, and the next record opens a new one).
            if self.is_writing(seq) {
                self.writer = None;
            }
            self.reading = None;
            self.delete_front(seq);
        } else if let Some(end) = end {
            self.start = (seq, end);
            self.write_cursor();
        }
        self.publish(counts);
    }

    /// Rewrites `cursor` with `start`.
    fn write_cursor(&mut self) {
        if self.cursor.is_none() {
            self.cursor = open_nofollow(
                &self.dir.join("cursor"),
                OpenOptions::new().write(true).create(true),
            )
            .ok()
            .map(Arc::new);
        }
        if let Some(file) = &self.cursor {
            let mut bytes = [0u8; 20];
            bytes[..8].copy_from_slice(&self.start.0.to_le_bytes());
            bytes[8..16].copy_from_slice(&self.start.1.to_le_bytes());
            let crc = crc32fast::hash(&bytes[..16]);
            bytes[16..].copy_from_slice(&crc.to_le_bytes());
            let _ = file.write_all_at(&bytes, 0);
            match self.sync {
                SpoolSync::Always => {
                    let _ = file.sync_data();
                }
                SpoolSync::Batch => self.commits.add(Some(file), 0),
                SpoolSync::None => {}
            }
        }
    }
}

/// Whether one more record fits in the spool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Room {
    Fits,
    /// `block`: later, once a replay made room.
    Wait,
    /// Dropped (counted).
    Refused,
}

/// What one attempt at delivering a batch came to (the attempt counts `sent`, and
/// `dropped` for a rejected batch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Every record accepted.
    Accepted,
    /// Refused for good (an OTLP 4xx): the batch is dropped, not tried again.
    Rejected,
    /// The first `sent` records were accepted and the rest were not; try them again,
    /// not before `wait` when the destination said so.
    Failed { sent: usize, wait: Option<Duration> },
}

/// The handler thread's loop with a spool: take from the memory buffer, deliver
/// directly while nothing is spooled and the destination answers, spool everything
/// else, replay the spool oldest first (module docs). `attempt` tries one batch once.
pub(crate) fn run<T: Spooled>(
    buffer: &Buffer<T>,
    spool: &mut Spool,
    interval: Duration,
    backoff: Backoff,
    attempt: &mut dyn FnMut(&[T], &Buffer<T>) -> Outcome,
) {
    let commits = Arc::clone(&spool.commits);
    let resolve = |records: u64| buffer.resolve(records as usize);
    std::thread::scope(|scope| {
        let syncer = spool.group_commit().then(|| {
            std::thread::Builder::new()
                .name("ko-log-spool-sync".to_owned())
                .spawn_scoped(scope, || commits.run(&resolve))
        });
        // Without its thread (it could not start), the loop syncs between batches.
        let inline_sync = matches!(syncer, Some(Err(_)));
        if let Some(Err(error)) = &syncer {
            report::report(
                "HANDLER::Spool::IO::ERROR",
                &format!(
                    "cannot start the spool's syncing thread ({error}); the handler's thread syncs"
                ),
            );
        }
        serve(buffer, spool, interval, backoff, attempt, inline_sync);
        commits.stop();
        if inline_sync {
            commits.sync_now(&resolve);
        }
    });
    buffer.finish();
}

/// [`run`]'s loop (`inline_sync`: the group commit is synced here, between batches).
fn serve<T: Spooled>(
    buffer: &Buffer<T>,
    spool: &mut Spool,
    interval: Duration,
    mut backoff: Backoff,
    attempt: &mut dyn FnMut(&[T], &Buffer<T>) -> Outcome,
    inline_sync: bool,
) {
    let resolve = |records: u64| buffer.resolve(records as usize);
    let counts = &buffer.counts.spool;
    spool.scan(counts);
    let policy = buffer.policy();
    let batch = buffer.batch_size();
    // Taken from the memory buffer under `block` while the spool was full.
    let mut held: Vec<T> = Vec::new();
    // The destination failed: the next attempt is not before this.
    let mut retry_at: Option<Instant> = None;
    let mut try_once = |items: &[T], buffer: &Buffer<T>| {
        crate::unwind::catch(|| attempt(items, buffer)).unwrap_or_else(|_| {
            buffer.drop_count(items.len() as u64);
            report::report(
                "HANDLER::Sender::PANIC::ERROR::RECOVERABLE",
                &format!("a handler's sender thread panicked while sending {} records; they are dropped and it carries on", items.len()),
            );
            Outcome::Rejected
        })
    };
    // Resolved now: what was dropped, and what was spooled unless it waits for the
    // group commit (`sync = "batch"`: resolved by the syncing thread).
    let spool_items = |spool: &mut Spool, items: Vec<T>, held: &mut Vec<T>| {
        let n = items.len();
        let (spooled, dropped, left) = spool.append(items, policy, counts);
        buffer.drop_count(dropped);
        let synced_later = if spool.group_commit() { spooled } else { 0 };
        buffer.resolve(n - left.len() - synced_later as usize);
        held.extend(left);
    };
    loop {
        if inline_sync {
            spool.commits.sync_now(&resolve);
        }
        // What was held for room goes first, as soon as there is room.
        if !held.is_empty() {
            let items = std::mem::take(&mut held);
            spool_items(spool, items, &mut held);
        }
        let closing = buffer.deadline();
        let now = Instant::now();
        let due = retry_at.is_none_or(|at| now >= at);
        let backlog = !spool.is_empty() || !held.is_empty();
        if let Some(deadline) = closing {
            if buffer.is_empty() && held.is_empty() {
                break;
            }
            if retry_at.is_some() || now >= deadline || backlog {
                // Shutdown with the destination away, past the deadline, or behind a
                // backlog: what memory holds joins the spool for the next start (no
                // push is accepted any more, so one take is all of it).
                let items = buffer
                    .take(interval, Some(now), usize::MAX)
                    .unwrap_or_default();
                spool_items(spool, items, &mut held);
                let lost = held.len();
                if lost > 0 {
                    buffer.drop_count(lost as u64);
                    buffer.resolve(lost);
                    report::report(
                        "HANDLER::Spool::SHUTDOWN::ERROR",
                        &format!(
                            "{lost} records did not fit in the full spool at shutdown and are lost"
                        ),
                    );
                }
                break;
            }
        }
        // Replay the spool while the destination answers, unless memory is filling and
        // the spool has room: then the records coming in go to the spool first, and the
        // replay waits until the burst is absorbed (a delivery is what the memory would
        // overflow during). A spool full under `block` replays to make room.
        let absorbing = held.is_empty() && buffer.filling();
        if backlog && due && closing.is_none() && !absorbing {
            let items: Vec<T> = spool.read(batch, counts);
            if !items.is_empty() {
                let n = items.len();
                match try_once(&items, buffer) {
                    Outcome::Accepted => {
                        spool.accept(n, counts);
                        counts.replayed.fetch_add(n as u64, Ordering::Relaxed);
                        backoff.reset();
                        retry_at = None;
                    }
                    Outcome::Rejected => spool.accept(n, counts),
                    Outcome::Failed { sent, wait } => {
                        spool.accept(sent, counts);
                        counts.replayed.fetch_add(sent as u64, Ordering::Relaxed);
                        let step = backoff.next().max(wait.unwrap_or_default());
                        retry_at = Some(Instant::now() + step);
                    }
                }
            }
        }
        // Take from memory: everything at once while records go to the spool.
        let backlog = !spool.is_empty() || !held.is_empty();
        let spooling = backlog || retry_at.is_some();
        if !held.is_empty() {
            // `block` with the spool full: nothing more is taken, so memory fills and
            // its hold holds the callers, until a replay makes room.
            if let Some(at) = retry_at {
                buffer.wait_closing_or(at);
            }
            continue;
        }
        let until = match (backlog, retry_at) {
            (true, Some(at)) => Some(at),
            (true, None) => Some(Instant::now()),
            (false, at) => at,
        };
        let max = if spooling { usize::MAX } else { batch };
        let Some(items) = buffer.take(interval, until, max) else {
            continue;
        };
        if items.is_empty() {
            continue;
        }
        let due = retry_at.is_none_or(|at| Instant::now() >= at);
        if backlog || !due {
            spool_items(spool, items, &mut held);
            continue;
        }
        // Nothing spooled and the destination answers: straight to it, `batch` at a
        // time; what fails, and what follows it, goes to the spool. So does what is left
        // when the memory is filling (more than half full: the destination answers, but
        // slower than the records come), before the memory's backpressure drops any.
        let mut rest = items;
        while !rest.is_empty() {
            if buffer.filling() {
                spool_items(spool, std::mem::take(&mut rest), &mut held);
                break;
            }
            let tail = rest.split_off(batch.min(rest.len()));
            let chunk = std::mem::replace(&mut rest, tail);
            let n = chunk.len();
            match try_once(&chunk, buffer) {
                Outcome::Accepted => {
                    backoff.reset();
                    retry_at = None;
                    buffer.resolve(n);
                }
                Outcome::Rejected => buffer.resolve(n),
                Outcome::Failed { sent, wait } => {
                    let step = backoff.next().max(wait.unwrap_or_default());
                    retry_at = Some(Instant::now() + step);
                    buffer.resolve(sent);
                    let mut unsent: Vec<T> = chunk.into_iter().skip(sent).collect();
                    unsent.append(&mut rest);
                    spool_items(spool, unsent, &mut held);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framed(items: &[&[u8]]) -> Vec<u8> {
        let mut data = Vec::new();
        for (i, item) in items.iter().enumerate() {
            frame(&mut data, i as u64, item);
        }
        data
    }

    #[test]
    fn frames_read_back_with_their_time_and_bytes() {
        let data = framed(&[b"one", b"", b"three"]);
        let (found, torn) = frames(&data, 0);
        assert_eq!(torn, 0);
        let items: Vec<&[u8]> = found.iter().map(|f| &data[f.item.0..f.item.1]).collect();
        assert_eq!(items, [&b"one"[..], b"", b"three"]);
        assert_eq!(found.iter().map(|f| f.time).collect::<Vec<_>>(), [0, 1, 2]);
        assert_eq!(found[2].end, data.len());
    }

    #[test]
    fn a_torn_tail_is_one_torn_record_and_the_rest_is_read() {
        let whole = framed(&[b"one", b"two", b"three"]);
        // Cut inside the third frame (kill -9 in the middle of a write).
        let (found, torn) = frames(&whole[..whole.len() - 2], 0);
        assert_eq!((found.len(), torn), (2, 1));
        // A damaged byte in the middle one: skipped and counted, the third is read.
        let mut damaged = whole.clone();
        let (frames_ok, _) = frames(&whole, 0);
        damaged[frames_ok[1].item.0] ^= 0xff;
        let (found, torn) = frames(&damaged, 0);
        assert_eq!(torn, 1);
        let items: Vec<&[u8]> = found.iter().map(|f| &damaged[f.item.0..f.item.1]).collect();
        assert_eq!(items, [&b"one"[..], b"three"]);
        // Zeros where a power cut left unwritten blocks, then a whole frame.
        let mut zeros = vec![0u8; 100];
        zeros.extend_from_slice(&framed(&[b"after"]));
        let (found, torn) = frames(&zeros, 0);
        assert_eq!((found.len(), torn), (1, 1));
    }

    #[test]
    fn a_uid_is_the_prefix_then_the_sequence_in_decimal() {
        let prefix = uid_text(0).strip_suffix('0').unwrap().to_owned();
        assert!(prefix.ends_with(&format!("-{}-", std::process::id())));
        for sequence in [7, 10, 1_234_567_890, u64::MAX] {
            assert_eq!(uid_text(sequence), format!("{prefix}{sequence}"));
        }
    }

    #[test]
    fn segment_names_round_trip_and_others_are_ignored() {
        assert_eq!(segment_seq(&segment_name(42)), Some(42));
        assert_eq!(segment_seq("lock"), None);
        assert_eq!(segment_seq("42.seg"), None);
    }

    fn params(dir: &Path, max_bytes: u64) -> SpoolParams {
        SpoolParams {
            dir: dir.to_owned(),
            max_bytes: HumanSize(max_bytes),
            sync: SpoolSync::None,
        }
    }

    /// Reads `per_read` records at a time, each batch accepted, until the spool is empty.
    fn drain(spool: &mut Spool, per_read: usize, counts: &SpoolCounts) -> Vec<Vec<u8>> {
        let mut all = Vec::new();
        loop {
            let batch: Vec<Vec<u8>> = spool.read(per_read, counts);
            if batch.is_empty() {
                return all;
            }
            spool.accept(batch.len(), counts);
            all.extend(batch);
        }
    }

    fn items(range: std::ops::Range<u32>) -> Vec<Vec<u8>> {
        range
            .map(|i| format!("record {i:05}").into_bytes())
            .collect()
    }

    /// A destination that answers, but slower than records come: once the memory is more
    /// than half full, the thread moves what it holds to the spool instead of letting
    /// the memory's `drop_oldest` evict; everything arrives, in order, none dropped.
    #[test]
    fn a_filling_memory_spills_to_the_spool_while_the_destination_answers() {
        let tmp = tempfile::tempdir().unwrap();
        let mut spool = Spool::open(&params(&tmp.path().join("spool"), 1 << 20)).unwrap();
        let buffer: Buffer<Vec<u8>> = Buffer::new(100, 10, Backpressure::DropOldest);
        let (entered_tx, entered) = std::sync::mpsc::channel::<()>();
        let (release, released) = std::sync::mpsc::channel::<()>();
        let delivered = std::sync::Mutex::new(Vec::new());
        std::thread::scope(|scope| {
            let (buffer, spool, delivered) = (&buffer, &mut spool, &delivered);
            let thread = scope.spawn(move || {
                let mut first = true;
                let mut attempt = |items: &[Vec<u8>], _: &Buffer<Vec<u8>>| {
                    if std::mem::take(&mut first) {
                        // The first request is slow: the memory fills meanwhile.
                        entered_tx.send(()).unwrap();
                        released.recv().unwrap();
                    }
                    delivered.lock().unwrap().extend_from_slice(items);
                    Outcome::Accepted
                };
                let backoff = Backoff::new(Duration::from_millis(1), Duration::from_millis(10));
                run(
                    buffer,
                    spool,
                    Duration::from_millis(1),
                    backoff,
                    &mut attempt,
                );
            });
            for item in items(0..10) {
                buffer.push(item);
            }
            entered.recv().unwrap();
            // 10 taken into the slow request; 70 more wait: over half of 100.
            for item in items(10..80) {
                buffer.push(item);
            }
            release.send(()).unwrap();
            buffer.close(
                Instant::now() + Duration::from_secs(60),
                Duration::ZERO,
                None,
            );
            thread.join().unwrap();
        });
        let spooled = buffer.counts.spool.spooled.load(Ordering::Relaxed);
        assert!(spooled > 0, "nothing went to the spool");
        assert_eq!(buffer.counts.dropped.load(Ordering::Relaxed), 0);
        // At shutdown the spool keeps what was not replayed yet, for the next start:
        // delivered + still spooled is everything, in order.
        let mut got = delivered.into_inner().unwrap();
        got.extend(drain(&mut spool, 512, &buffer.counts.spool));
        assert_eq!(got, items(0..80));
    }

    #[test]
    fn records_come_back_oldest_first_and_accepted_segments_are_deleted() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("spool");
        let counts = SpoolCounts::default();
        // 32 KiB segments: 3000 frames of 32 bytes fill 3.
        let mut spool = Spool::open(&params(&dir, 256 << 10)).unwrap();
        spool.scan(&counts);
        let (spooled, dropped, left) = spool.append(items(0..3000), Backpressure::Block, &counts);
        assert_eq!((spooled, dropped, left.len()), (3000, 0, 0));
        let segments = list_segments(&dir).unwrap().len();
        assert_eq!(segments, 3);
        let mode = std::fs::metadata(&dir).unwrap();
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o777,
            0o700
        );
        let mut got = Vec::new();
        got.extend(drain(&mut spool, 512, &counts));
        assert_eq!(got, items(0..3000));
        assert!(spool.is_empty());
        assert_eq!(list_segments(&dir).unwrap(), vec![]);
        assert_eq!(counts.bytes.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn a_second_spool_on_one_dir_is_refused_and_a_restart_resumes_after_the_cursor() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("spool");
        let counts = SpoolCounts::default();
        let mut spool = Spool::open(&params(&dir, 1 << 20)).unwrap();
        let refused = Spool::open(&params(&dir, 1 << 20)).unwrap_err();
        assert_eq!(refused.keys(), ["spool", "dir"]);
        assert!(
            refused.message().contains("is in use"),
            "{}",
            refused.message()
        );
        spool.scan(&counts);
        spool.append(items(0..100), Backpressure::Block, &counts);
        let first: Vec<Vec<u8>> = spool.read(30, &counts);
        spool.accept(30, &counts);
        assert_eq!(first, items(0..30));
        drop(spool);
        let summary = inspect(&dir).unwrap();
        assert_eq!((summary.records, summary.torn), (70, 0));
        let mut again = Spool::open(&params(&dir, 1 << 20)).unwrap();
        again.scan(&counts);
        let rest: Vec<Vec<u8>> = again.read(1000, &counts);
        assert_eq!(rest, items(30..100));
    }

    #[test]
    fn a_full_spool_follows_the_policy_and_counts_every_record() {
        for policy in [
            Backpressure::Drop,
            Backpressure::DropOldest,
            Backpressure::Block,
        ] {
            let tmp = tempfile::tempdir().unwrap();
            let counts = SpoolCounts::default();
            // 32 bytes a frame (12 + 8 + 12): 64 KiB holds 2048 of them.
            let mut spool = Spool::open(&params(tmp.path(), 64 << 10)).unwrap();
            spool.scan(&counts);
            let (spooled, dropped, left) = spool.append(items(0..10_000), policy, &counts);
            let held = inspect(tmp.path()).unwrap().records;
            // Every record is in the spool, dropped, or left to the caller: exactly.
            assert_eq!(held + dropped + left.len() as u64, 10_000, "{policy:?}");
            match policy {
                Backpressure::Drop => {
                    assert_eq!(held, spooled);
                    let first: Vec<Vec<u8>> = spool.read(1, &counts);
                    assert_eq!(first, items(0..1));
                }
                Backpressure::DropOldest => {
                    assert_eq!(spooled, 10_000);
                    let last = spool.segments.back().unwrap().records;
                    assert!(last > 0);
                    let first: Vec<Vec<u8>> = spool.read(1, &counts);
                    assert_ne!(first, items(0..1));
                }
                other => {
                    assert_eq!(other, Backpressure::Block);
                    assert_eq!((dropped, held + left.len() as u64), (0, 10_000));
                    assert_eq!(left[0], items(spooled as u32..spooled as u32 + 1)[0]);
                }
            }
            assert!(counts.bytes.load(Ordering::Relaxed) <= 64 << 10);
        }
    }

    /// Records appended to the segment being replayed (during an outage the newest
    /// segment is both) are read after what was read of it, and counted when it is
    /// deleted for room.
    #[test]
    fn records_appended_to_the_segment_being_read_are_neither_lost_nor_miscounted() {
        let tmp = tempfile::tempdir().unwrap();
        let counts = SpoolCounts::default();
        // 4 KiB segments: 128 frames of 32 bytes each.
        let mut spool = Spool::open(&params(tmp.path(), 32 << 10)).unwrap();
        spool.scan(&counts);
        spool.append(items(0..10), Backpressure::Block, &counts);
        let first: Vec<Vec<u8>> = spool.read(512, &counts);
        assert_eq!(first, items(0..10));
        // More go into the same segment, then into a second one.
        spool.append(items(10..210), Backpressure::Block, &counts);
        spool.accept(10, &counts);
        let mut rest = Vec::new();
        rest.extend(drain(&mut spool, 50, &counts));
        assert_eq!(rest, items(10..210));

        // The same, deleted for room under drop_oldest: all its records count.
        let tmp = tempfile::tempdir().unwrap();
        let mut spool = Spool::open(&params(tmp.path(), 8 << 10)).unwrap();
        spool.scan(&counts);
        spool.append(items(0..10), Backpressure::DropOldest, &counts);
        let _: Vec<Vec<u8>> = spool.read(512, &counts);
        let (_, dropped, _) = spool.append(items(10..300), Backpressure::DropOldest, &counts);
        let held = inspect(tmp.path()).unwrap().records;
        assert_eq!(held + dropped, 300);
    }

    /// During an outage every retry reads the oldest records, which are in the segment
    /// being written: reading it does not close it.
    #[test]
    fn retrying_during_an_outage_keeps_appending_to_one_segment() {
        let tmp = tempfile::tempdir().unwrap();
        let counts = SpoolCounts::default();
        let mut spool = Spool::open(&params(tmp.path(), 1 << 20)).unwrap();
        spool.scan(&counts);
        for i in 0..3 {
            spool.append(items(i..i + 1), Backpressure::Block, &counts);
            // A retry that fails: read, nothing accepted.
            let _: Vec<Vec<u8>> = spool.read(512, &counts);
            spool.accept(0, &counts);
        }
        assert_eq!(list_segments(tmp.path()).unwrap().len(), 1);
        // The destination is back: what was read first, then what was appended since.
        let mut all = Vec::new();
        all.extend(drain(&mut spool, 512, &counts));
        assert_eq!(all, items(0..3));
        assert_eq!(list_segments(tmp.path()).unwrap(), vec![]);
    }

    #[test]
    fn a_record_larger_than_the_spool_is_refused_even_under_block() {
        let tmp = tempfile::tempdir().unwrap();
        let counts = SpoolCounts::default();
        let mut spool = Spool::open(&params(tmp.path(), 4 << 10)).unwrap();
        spool.scan(&counts);
        let (spooled, dropped, left) = spool.append(
            vec![vec![b'x'; 5000], b"small".to_vec()],
            Backpressure::Block,
            &counts,
        );
        // Waiting for room could never end: it is dropped, and the next one is spooled.
        assert_eq!((spooled, dropped, left.len()), (1, 1, 0));
    }
}
