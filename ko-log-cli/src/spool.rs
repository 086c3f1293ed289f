//! `ko-log spool DIR`: what a network handler's disk spool holds, read with
//! `ko_log::handler::inspect_spool` (which changes nothing and takes no lock).

use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;

/// Prints the summary of the spool at `dir` to `out`; exit 1 (said on stderr) when it
/// cannot be read.
pub(crate) fn run(dir: &Path, out: &mut impl Write) -> io::Result<ExitCode> {
    let summary = match ko_log::handler::inspect_spool(dir) {
        Ok(summary) => summary,
        Err(error) => {
            let _ = writeln!(
                io::stderr(),
                "ko-log: cannot read the spool {}: {error}",
                dir.display()
            );
            return Ok(ExitCode::FAILURE);
        }
    };
    writeln!(out, "spool:    {}", dir.display())?;
    writeln!(out, "segments: {}", summary.segments)?;
    writeln!(out, "records:  {}", summary.records)?;
    writeln!(out, "bytes:    {}", summary.bytes)?;
    writeln!(out, "torn:     {}", summary.torn)?;
    writeln!(out, "oldest:   {}", time(summary.oldest))?;
    writeln!(out, "newest:   {}", time(summary.newest))?;
    Ok(ExitCode::SUCCESS)
}

/// RFC 3339 in UTC with microseconds, or `-` for none.
fn time(nanos: Option<u64>) -> String {
    nanos
        .and_then(|n| time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(n)).ok())
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| "-".to_owned())
}
