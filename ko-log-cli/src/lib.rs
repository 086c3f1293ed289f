//! The `ko-log` command: `check` a config file, `pretty`-print JSON log lines, print the
//! config's JSON `schema`, read a network handler's disk `spool`. docs/CLI.md in the repository is its guide.
//!
//! The command is this library's [`main`], so a program with components of its own
//! (`#[ko_log::handler]`, ...) can build a `ko-log` that knows them: a binary that links
//! the program's crate and calls `ko_log_cli::main()` checks configs naming them and
//! prints a schema that describes them.
//!
//! ```no_run
//! // src/bin/ko-log.rs of a program whose crate registers components:
//! use my_app as _; // links the registrations in
//! # mod my_app {}
//! fn main() -> std::process::ExitCode {
//!     ko_log_cli::main()
//! }
//! ```

#![warn(missing_docs, clippy::print_stdout, clippy::print_stderr)]
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod args;
mod check;
mod pretty;
mod spool;

use std::ffi::OsString;
use std::io::{self, Write};
use std::process::ExitCode;

use args::Command;

/// Runs the command with the process's arguments, standard streams and environment.
pub fn main() -> ExitCode {
    run(std::env::args_os().skip(1))
}

/// Runs the command with `args` (without the program name).
///
/// Exit codes: 0 success (a valid config, a pretty-print that read everything, a spool
/// read); 1 an invalid config, or a file `pretty` or a spool `spool` could not read; 2 a
/// usage error.
pub fn run(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let command = match args::parse(args) {
        Ok(command) => command,
        Err(error) => {
            let _ = writeln!(io::stderr(), "ko-log: {error}\n\n{}", args::USAGE);
            return ExitCode::from(2);
        }
    };
    let stdout = io::stdout();
    let result = match command {
        Command::Help => writeln!(stdout.lock(), "{}", args::HELP).map(|()| ExitCode::SUCCESS),
        Command::Version => writeln!(stdout.lock(), "ko-log {}", env!("CARGO_PKG_VERSION"))
            .map(|()| ExitCode::SUCCESS),
        // Buffered: a report is a line per logger, and stdout alone flushes each line.
        Command::Check(options) => {
            let mut out = io::BufWriter::new(stdout.lock());
            check::run(&options, &mut out).and_then(|code| out.flush().map(|()| code))
        }
        Command::Pretty(options) => pretty::run(&options, &mut io::stdin().lock(), &stdout),
        Command::Spool(dir) => spool::run(&dir, &mut stdout.lock()),
        Command::Schema => {
            let schema = ko_log::schema();
            let text = serde_json::to_string_pretty(&schema).unwrap_or_default();
            writeln!(stdout.lock(), "{text}").map(|()| ExitCode::SUCCESS)
        }
    };
    match result {
        Ok(code) => code,
        // `ko-log pretty app.log | head`: the reader is gone, so is the point of going on.
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(error) => {
            let _ = writeln!(io::stderr(), "ko-log: cannot write the output: {error}");
            ExitCode::FAILURE
        }
    }
}
