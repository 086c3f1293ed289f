//! How the file handlers open, reopen and rotate paths: never waiting at open, and never
//! harming a file ko-log does not own.
//!
//! [`File`](crate::handler::File) and [`RotatingFile`](crate::handler::RotatingFile) go through these
//! functions for every open and every rename, so the rules hold in one place:
//!
//! - **No open waits.** Every open is non-blocking (`O_NONBLOCK`), so a FIFO nobody reads is
//!   refused at once with "FIFO has no reader" instead of hanging `init` (or the dispatcher,
//!   at a reopen). The descriptor is switched back to blocking right after the open, so
//!   writes to a FIFO or a terminal wait for room as before.
//! - **A path under something that is not a directory** is reported naming that component
//!   (`logs is a regular file, not a directory`), not as `File exists` or `Not a directory`.
//! - **A reopen** ([`reopen`]) may open only what `path` was at init ([`Shape`]): it never
//!   creates a file through a symlink, follows a symlink only when `path` was one at init,
//!   and opens a device, FIFO or socket only when init opened one.
//! - **Rotation** renames and deletes only regular files: [`resolve_for_rotation`] refuses
//!   anything else at init (and resolves a symlink to its regular target), and
//!   [`check_regular`] runs before each rename.
//! - **Compression** of backups reads only a regular file, never through a symlink
//!   ([`open_backup`]), and writes only a file it has just created ([`create_temp`]).
//!
//! The checks and the operation they guard are separate system calls: they stop a
//! configuration mistake or a path changed by another tool, not a concurrent attacker
//! racing ko-log in a directory they can write.

use std::fs::{self, FileType, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

/// What `path` was when the handler first opened it, which bounds what a reopen may open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Shape {
    /// `path` was a symlink: a reopen follows it (to an existing file only).
    pub(crate) link: bool,
    /// The file opened was a regular file: a reopen opens nothing else.
    pub(crate) regular: bool,
}

impl Shape {
    /// What a rotating file may reopen: a regular file, never through a symlink.
    pub(crate) const ROTATING: Shape = Shape {
        link: false,
        regular: true,
    };
}

/// Opens `path` for appending the first time, as the user configured it: symlinks are
/// followed, and a missing file is created (with permissions `mode`).
pub(crate) fn first_open(path: &Path, mode: u32) -> io::Result<fs::File> {
    let mut options = OpenOptions::new();
    options.append(true).create(true);
    unix::prepare(&mut options, mode, false);
    let out = options.open(path).map_err(|e| explain(path, e))?;
    unix::set_blocking(&out)?;
    Ok(out)
}

/// Opens `path` for appending again (after a rotation, or when it names another file than
/// the one open), allowing only what `shape` says `path` was at init. A missing file is
/// created (permissions `mode`), never through a symlink.
pub(crate) fn reopen(path: &Path, mode: u32, shape: Shape) -> io::Result<fs::File> {
    let mut options = OpenOptions::new();
    options.append(true);
    unix::prepare(&mut options, mode, !shape.link);
    let out = match options.open(path) {
        Ok(out) => out,
        Err(e) if !shape.link && unix::is_loop(&e) && is_symlink(path) => {
            return Err(refused(
                "is now a symlink, which it was not at init: not followed",
            ));
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            if is_symlink(path) {
                return Err(refused(
                    "is a symlink to a missing file: no file is created through it",
                ));
            }
            // `create_new` is `O_EXCL`: it never follows a symlink made meanwhile.
            let mut options = OpenOptions::new();
            options.append(true).create_new(true);
            unix::prepare(&mut options, mode, true);
            options.open(path).map_err(|e| explain(path, e))?
        }
        Err(e) => return Err(explain(path, e)),
    };
    let file_type = out.metadata()?.file_type();
    if shape.regular && !file_type.is_file() {
        return Err(refused(&format!(
            "is now {}, not a regular file as at init: not written to",
            kind(&file_type)
        )));
    }
    unix::set_blocking(&out)?;
    Ok(out)
}

/// Creates the missing parent directories of `path`.
pub(crate) fn create_parents(path: &Path) -> io::Result<()> {
    match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(parent) => fs::create_dir_all(parent).map_err(|e| explain(path, e)),
        None => Ok(()),
    }
}

/// The path a `rotating_file` at `path` writes to: `path` itself when it is a regular file
/// or does not exist yet; the target when `path` is a symlink to a regular file (resolved
/// once, so the backups are made beside the target and the link keeps naming the live
/// file). Anything else is refused: a device, FIFO, socket or directory, a symlink to one
/// of them or to nothing.
pub(crate) fn resolve_for_rotation(path: &Path) -> io::Result<PathBuf> {
    // Missing: created at open. Cannot be looked at: the open reports why.
    let Ok(meta) = fs::symlink_metadata(path) else {
        return Ok(path.to_path_buf());
    };
    if meta.is_file() {
        return Ok(path.to_path_buf());
    }
    if !meta.file_type().is_symlink() {
        return Err(not_for_rotation(&format!("is {}", kind(&meta.file_type()))));
    }
    match fs::metadata(path) {
        Ok(target) if target.is_file() => fs::canonicalize(path),
        Ok(target) => Err(not_for_rotation(&format!(
            "is a symlink to {}",
            kind(&target.file_type())
        ))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Err(refused(
            "is a symlink to a missing file (rotating_file follows a symlink only to an existing regular file)",
        )),
        Err(e) => Err(e),
    }
}

/// Succeeds when `path` is a regular file or does not exist: what a rotation may rename,
/// or rename another file onto. Anything else (a device, a symlink, a directory put there
/// after init) is left alone and the rotation refused.
pub(crate) fn check_regular(path: &Path) -> io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_file() => Ok(()),
        Ok(meta) => Err(refused(&format!(
            "is {}, not a regular file: rotation leaves it alone",
            kind(&meta.file_type())
        ))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Opens `path` to read it, without waiting (a FIFO put there meanwhile).
pub(crate) fn open_to_read(path: &Path) -> io::Result<fs::File> {
    let mut options = OpenOptions::new();
    options.read(true);
    unix::prepare(&mut options, 0, false);
    options.open(path)
}

/// Opens the backup at `path` to compress it: without following a symlink and without
/// waiting, and only when it is a regular file (anything else is left alone).
pub(crate) fn open_backup(path: &Path) -> io::Result<(fs::File, fs::Metadata)> {
    check_regular(path)?;
    let mut options = OpenOptions::new();
    options.read(true);
    unix::prepare(&mut options, 0, true);
    let file = options.open(path).map_err(|e| {
        if unix::is_loop(&e) {
            refused("is a symlink, not a regular file: rotation leaves it alone")
        } else {
            e
        }
    })?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(refused(&format!(
            "is {}, not a regular file: rotation leaves it alone",
            kind(&meta.file_type())
        )));
    }
    Ok((file, meta))
}

/// Creates the file at `path` for writing, failing if anything is there already (so it
/// never follows a symlink nor reuses a file), with permissions `mode`.
pub(crate) fn create_temp(path: &Path, mode: u32) -> io::Result<fs::File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    unix::prepare(&mut options, mode, true);
    let out = options.open(path)?;
    unix::set_blocking(&out)?;
    Ok(out)
}

/// What kind of file `file_type` is, with its article (`a character device`).
pub(crate) fn kind(file_type: &FileType) -> &'static str {
    if file_type.is_file() {
        return "a regular file";
    }
    if file_type.is_dir() {
        return "a directory";
    }
    if file_type.is_symlink() {
        return "a symlink";
    }
    unix::special_kind(file_type).unwrap_or("not a regular file")
}

fn is_symlink(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|meta| meta.file_type().is_symlink())
}

fn refused(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}

fn not_for_rotation(what: &str) -> io::Error {
    refused(&format!(
        "{what}, not a regular file (rotating_file renames and deletes the files it rotates, so it writes only to regular files; a `file` handler can write to a device or FIFO)"
    ))
}

/// Says what an open or `create_dir_all` of `path` failure means, where the OS error
/// misleads: a FIFO with no reader (`ENXIO`), a component on the way that is not a
/// directory (`EEXIST` from `create_dir_all`, `ENOTDIR` from the open).
fn explain(path: &Path, error: io::Error) -> io::Error {
    if unix::is_no_reader(&error, path) {
        return io::Error::new(
            io::ErrorKind::NotConnected,
            "FIFO has no reader (ko-log does not wait for one: start the reader first)",
        );
    }
    if matches!(
        error.kind(),
        io::ErrorKind::AlreadyExists | io::ErrorKind::NotADirectory
    ) {
        if let Some(explained) = not_a_directory(path) {
            return explained;
        }
    }
    error
}

/// The first component above `path`, from the top, that exists but is not a directory.
fn not_a_directory(path: &Path) -> Option<io::Error> {
    let parent = path.parent()?;
    let mut ancestors: Vec<&Path> = parent
        .ancestors()
        .filter(|p| !p.as_os_str().is_empty())
        .collect();
    ancestors.reverse();
    for dir in ancestors {
        let what = match fs::metadata(dir) {
            Ok(meta) if meta.is_dir() => continue,
            Ok(meta) => kind(&meta.file_type()),
            Err(_) if is_symlink(dir) => "a symlink to a missing file",
            Err(_) => return None,
        };
        return Some(io::Error::new(
            io::ErrorKind::NotADirectory,
            format!("{} is {what}, not a directory", dir.display()),
        ));
    }
    None
}

#[cfg(unix)]
mod unix {
    use std::fs::{self, FileType, OpenOptions};
    use std::io;
    use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
    use std::path::Path;

    use rustix::fs::OFlags;
    use rustix::io::Errno;

    /// Non-blocking open (and `O_NOFOLLOW` when `no_follow`); `mode` for a created file.
    pub(super) fn prepare(options: &mut OpenOptions, mode: u32, no_follow: bool) {
        let mut flags = OFlags::NONBLOCK;
        if no_follow {
            flags |= OFlags::NOFOLLOW;
        }
        // The flags are small positive constants: the cast keeps their bits.
        options.mode(mode).custom_flags(flags.bits() as i32);
    }

    /// Clears `O_NONBLOCK` after the open, so writes wait for room in a FIFO or terminal.
    pub(super) fn set_blocking(out: &fs::File) -> io::Result<()> {
        let flags = rustix::fs::fcntl_getfl(out)?;
        if flags.contains(OFlags::NONBLOCK) {
            rustix::fs::fcntl_setfl(out, flags - OFlags::NONBLOCK)?;
        }
        Ok(())
    }

    /// `ELOOP`: with `O_NOFOLLOW`, the last component is a symlink.
    pub(super) fn is_loop(error: &io::Error) -> bool {
        error.raw_os_error() == Some(Errno::LOOP.raw_os_error())
    }

    /// `ENXIO` from a non-blocking open for writing of a FIFO: nobody has it open to read.
    pub(super) fn is_no_reader(error: &io::Error, path: &Path) -> bool {
        error.raw_os_error() == Some(Errno::NXIO.raw_os_error())
            && fs::metadata(path).is_ok_and(|meta| meta.file_type().is_fifo())
    }

    pub(super) fn special_kind(file_type: &FileType) -> Option<&'static str> {
        if file_type.is_char_device() {
            Some("a character device")
        } else if file_type.is_block_device() {
            Some("a block device")
        } else if file_type.is_fifo() {
            Some("a FIFO")
        } else if file_type.is_socket() {
            Some("a socket")
        } else {
            None
        }
    }
}

#[cfg(not(unix))]
mod unix {
    //! Elsewhere: plain opens (no FIFOs or device nodes to guard against).
    use std::fs::{self, FileType, OpenOptions};
    use std::io;
    use std::path::Path;

    pub(super) fn prepare(_: &mut OpenOptions, _: u32, _: bool) {}

    pub(super) fn set_blocking(_: &fs::File) -> io::Result<()> {
        Ok(())
    }

    pub(super) fn is_loop(_: &io::Error) -> bool {
        false
    }

    pub(super) fn is_no_reader(_: &io::Error, _: &Path) -> bool {
        false
    }

    pub(super) fn special_kind(_: &FileType) -> Option<&'static str> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_or_regular_path_is_rotated_as_given() {
        let dir = std::env::temp_dir().join(format!("ko-log-open-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let missing = dir.join("missing.log");
        assert_eq!(resolve_for_rotation(&missing).unwrap(), missing);
        let regular = dir.join("regular.log");
        fs::write(&regular, "").unwrap();
        assert_eq!(resolve_for_rotation(&regular).unwrap(), regular);
        assert_eq!(
            resolve_for_rotation(&dir).unwrap_err().to_string(),
            "is a directory, not a regular file (rotating_file renames and deletes the files it rotates, so it writes only to regular files; a `file` handler can write to a device or FIFO)"
        );
        check_regular(&missing).unwrap();
        check_regular(&regular).unwrap();
        assert_eq!(
            check_regular(&dir).unwrap_err().to_string(),
            "is a directory, not a regular file: rotation leaves it alone"
        );
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn only_a_component_that_exists_and_is_no_directory_is_named() {
        assert!(not_a_directory(Path::new("app.log")).is_none());
        assert!(not_a_directory(Path::new("/no-such-dir-ko-log/a/app.log")).is_none());
        let dir = std::env::temp_dir();
        assert!(not_a_directory(&dir.join("app.log")).is_none());
    }
}
