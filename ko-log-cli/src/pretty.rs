//! `ko-log pretty [FILE...]`: JSON lines in, human lines out.
//!
//! A line is rewritten when it is a JSON object whose `level` is a level (`ERROR` …
//! `TRACE`, any case, or `warning`): the shape ko-log's `json` renderer writes
//! (`timestamp`, `level`, `target`, `message`, then the fields). It becomes what ko-log's
//! own `colored` renderer writes, with the template
//! `{timestamp} {level:<5} [{target}] {message}{kv}`: the timestamp as written, the
//! level colored, the fields as ` key=value` in their order, nested objects and arrays
//! as compact JSON, an error value (`{"message": …, "sources": […]}`) as its message and
//! sources; text from the record is escaped by the renderer, so a record cannot send
//! control sequences to the terminal. Every other line (not JSON, not an object, no
//! level, not UTF-8, longer than [`line::MAX_LINE`] bytes) is written unchanged, byte for byte.
//!
//! With `--follow`, each file is read to its end and then polled every [`POLL`]: what is
//! appended is written as it comes, a line being written once it is complete. A file
//! whose size drops below what was read (truncated) is read again from its start; a path
//! that names another file than the one open (renamed away by a rotation, and created
//! anew) has the rest of the old file read, then the numbered backups rotated out since
//! (`PATH.N` … `PATH.1`, oldest first), then the new one from its start.

mod follow;
mod line;

use std::fs::File;
use std::io::{self, IsTerminal, Read, Write};
use std::process::ExitCode;
use std::time::Duration;

use crate::args::{Color, PrettyOptions};

pub(crate) use line::Pretty;

/// How often `--follow` looks for more.
pub(crate) const POLL: Duration = Duration::from_millis(100);

/// Runs `ko-log pretty`.
pub(crate) fn run(
    options: &PrettyOptions,
    stdin: &mut impl Read,
    stdout: &io::Stdout,
) -> io::Result<ExitCode> {
    let color = match options.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => {
            stdout.is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty())
        }
    };
    let pretty = Pretty::new(color);
    let mut out = io::BufWriter::new(stdout.lock());
    if options.files.is_empty() {
        copy(stdin, &pretty, &mut out)?;
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    if options.follow {
        return follow::run(&options.files, &pretty, &mut out);
    }
    let mut failed = false;
    for path in &options.files {
        match File::open(path) {
            Ok(mut file) => copy(&mut file, &pretty, &mut out)?,
            Err(error) => {
                out.flush()?;
                let _ = writeln!(io::stderr(), "ko-log: {}: {error}", path.display());
                failed = true;
            }
        }
    }
    out.flush()?;
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Pretty-prints everything `input` holds, flushing `out` after each read (so a pipe
/// shows lines as they come).
fn copy(input: &mut impl Read, pretty: &Pretty, out: &mut impl Write) -> io::Result<()> {
    let mut lines = line::Lines::default();
    let mut chunk = vec![0; 64 * 1024];
    loop {
        let n = match input.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        lines.feed(chunk.get(..n).unwrap_or_default(), pretty, out)?;
        out.flush()?;
    }
    lines.finish(pretty, out)
}
