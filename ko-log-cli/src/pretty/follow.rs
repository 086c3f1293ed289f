//! `ko-log pretty --follow FILE...`: read each file to its end, then poll for more,
//! surviving truncation and rotation (see the parent module).

use std::fs::{File, Metadata};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::line::Lines;
use super::{Pretty, POLL};

/// One followed file.
struct Followed {
    path: PathBuf,
    file: File,
    /// Bytes read from `file` so far.
    read: u64,
    /// The file's identity (device and inode on Unix), to tell when `path` names
    /// another file.
    id: Option<(u64, u64)>,
    lines: Lines,
}

#[cfg(unix)]
fn identity(metadata: &Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((metadata.dev(), metadata.ino()))
}

#[cfg(not(unix))]
fn identity(_metadata: &Metadata) -> Option<(u64, u64)> {
    None
}

impl Followed {
    fn open(path: &Path) -> io::Result<Followed> {
        let file = File::open(path)?;
        let id = identity(&file.metadata()?);
        Ok(Followed {
            path: path.to_owned(),
            file,
            read: 0,
            id,
            lines: Lines::default(),
        })
    }

    /// Writes what was appended since the last call.
    fn read_more(
        &mut self,
        chunk: &mut [u8],
        pretty: &Pretty,
        out: &mut impl Write,
    ) -> io::Result<()> {
        loop {
            let n = match self.file.read(chunk) {
                Ok(0) => return Ok(()),
                Ok(n) => n,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => return Err(error),
            };
            self.read += n as u64;
            self.lines
                .feed(chunk.get(..n).unwrap_or_default(), pretty, out)?;
        }
    }

    /// After the file was read to its end: starts over when it was truncated, moves to
    /// the new file when `path` was replaced (after reading the rest of the old one).
    fn check(&mut self, chunk: &mut [u8], pretty: &Pretty, out: &mut impl Write) -> io::Result<()> {
        // Not there (rotated away, not yet created anew): keep the old file and wait.
        let Ok(now) = std::fs::metadata(&self.path) else {
            return Ok(());
        };
        let replaced = self.id.is_some() && identity(&now) != self.id;
        if replaced {
            let Ok(new) = Followed::open(&self.path) else {
                return Ok(());
            };
            // The old generation is still open: read it to its end, renamed or deleted.
            self.read_more(chunk, pretty, out)?;
            self.lines.finish(pretty, out)?;
            // Then the generations rotated in between (when rotation outpaced the poll),
            // oldest first, before the new file.
            let between = self.between(new.id, out)?;
            for mut generation in between {
                generation.read_more(chunk, pretty, out)?;
                generation.lines.finish(pretty, out)?;
            }
            *self = new;
            note(out, &self.path, "was replaced; following the new file")?;
            return self.read_more(chunk, pretty, out);
        }
        if now.len() < self.read {
            self.lines.finish(pretty, out)?;
            self.file.seek(SeekFrom::Start(0))?;
            self.read = 0;
            note(out, &self.path, "was truncated; reading it from the start")?;
            return self.read_more(chunk, pretty, out);
        }
        Ok(())
    }
}

impl Followed {
    /// The generations rotated out between this one (just read to its end) and `new`,
    /// the file `path` names now, oldest first, opened. They are found as numbered
    /// backups (`PATH.1` the newest, as ko-log's `rotating_file` and logrotate name
    /// them): those newer than this one, or all of them when this one is no longer among
    /// them, which is said on stderr, as generations may have been removed unread.
    fn between(&self, new: Option<(u64, u64)>, out: &mut impl Write) -> io::Result<Vec<Followed>> {
        let backups = backups(&self.path);
        // A rotation since `new` was opened makes it a backup too: only older ones count.
        let newest = backups
            .iter()
            .position(|(_, id)| *id == new)
            .map_or(0, |at| at + 1);
        let oldest = backups.iter().position(|(_, id)| *id == self.id);
        let listed = match oldest {
            Some(at) => backups.get(newest..at).unwrap_or_default(),
            None => backups.get(newest..).unwrap_or_default(),
        };
        if oldest.is_none() {
            if let Some((last, _)) = listed.last() {
                note(
                    out,
                    &self.path,
                    &format!(
                        "was rotated faster than it could be read: the generations between the one read last and {} may have been removed unread",
                        last.display()
                    ),
                )?;
            }
        }
        let mut opened = Vec::with_capacity(listed.len());
        for (path, id) in listed.iter().rev() {
            match Followed::open(path) {
                Ok(file) if file.id == *id => opened.push(file),
                // Rotated again, or removed, since it was listed.
                _ => note(out, path, "disappeared before it could be read")?,
            }
        }
        if !opened.is_empty() {
            let names: Vec<String> = opened
                .iter()
                .map(|f| f.path.display().to_string())
                .collect();
            note(
                out,
                &self.path,
                &format!(
                    "was rotated {} times since the last look; reading {} first",
                    opened.len() + 1,
                    names.join(", ")
                ),
            )?;
        }
        Ok(opened)
    }
}

/// Most numbered backups looked at (`PATH.1` … `PATH.MAX_BACKUPS`).
const MAX_BACKUPS: usize = 10_000;

/// The numbered backups of `path` (`PATH.1`, `PATH.2`, … up to the first missing one),
/// newest first, each with its identity.
fn backups(path: &Path) -> Vec<(PathBuf, Option<(u64, u64)>)> {
    let mut found = Vec::new();
    for n in 1..=MAX_BACKUPS {
        let mut name = path.as_os_str().to_owned();
        name.push(format!(".{n}"));
        let backup = PathBuf::from(name);
        match std::fs::metadata(&backup) {
            Ok(metadata) if metadata.is_file() => found.push((backup, identity(&metadata))),
            _ => break,
        }
    }
    found
}

/// Says on stderr what happened to a file, after what was written before it.
fn note(out: &mut impl Write, path: &Path, what: &str) -> io::Result<()> {
    out.flush()?;
    let _ = writeln!(io::stderr(), "ko-log: {} {what}", path.display());
    Ok(())
}

/// Follows `paths` until the output is closed. A file that cannot be opened at the start
/// is reported and the others followed; with none left, exits 1.
pub(crate) fn run(
    paths: &[PathBuf],
    pretty: &Pretty,
    out: &mut impl Write,
) -> io::Result<ExitCode> {
    let mut followed = Vec::new();
    for path in paths {
        match Followed::open(path) {
            Ok(file) => followed.push(file),
            Err(error) => {
                let _ = writeln!(io::stderr(), "ko-log: {}: {error}", path.display());
            }
        }
    }
    if followed.is_empty() {
        return Ok(ExitCode::FAILURE);
    }
    let mut chunk = vec![0; 64 * 1024];
    loop {
        for file in &mut followed {
            file.read_more(&mut chunk, pretty, out)?;
            file.check(&mut chunk, pretty, out)?;
        }
        out.flush()?;
        std::thread::sleep(POLL);
    }
}
