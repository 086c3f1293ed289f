//! The command line: `ko-log check|pretty|schema|spool ...`, parsed with `lexopt`.

use std::ffi::OsString;
use std::path::PathBuf;

use ko_log::config::Format;

/// The short usage, after a usage error.
pub(crate) const USAGE: &str = "\
usage: ko-log check [--format text|json] [--config-format toml|json|yaml] FILE
       ko-log pretty [--color auto|always|never] [-f|--follow] [FILE...]
       ko-log schema
       ko-log spool DIR
       ko-log --help | --version";

/// `ko-log --help`.
pub(crate) const HELP: &str = "\
ko-log: check ko-log config files, pretty-print ko-log's JSON logs, print the config schema,
read a network handler's disk spool

usage: ko-log check [--format text|json] [--config-format toml|json|yaml] FILE
       ko-log pretty [--color auto|always|never] [-f|--follow] [FILE...]
       ko-log schema
       ko-log spool DIR
       ko-log --help | --version

check FILE
    Checks FILE as init would, without opening any log file or socket. Prints every
    error with its file, line, column and key, and exits 1; or prints what the config
    does (queue, loggers, routes, handlers) and exits 0.
    --format text|json            the report's form (default text; json for CI)
    --config-format toml|json|yaml
                                  the file's syntax (default: from its extension)

pretty [FILE...]
    Reads JSON lines (ko-log's `json` renderer) from the FILEs, or standard input, and
    writes them as colored human lines. Lines that are not JSON log records are written
    unchanged.
    --color auto|always|never     auto (default): color on a terminal, unless NO_COLOR
                                  is set
    -f, --follow                  keep reading the FILEs as they grow, like `tail -f`;
                                  a file truncated or replaced (rotated) is read anew

schema
    Prints the JSON Schema (draft 2020-12) of config files: every built-in key and the
    handlers registered in this binary.

spool DIR
    Prints what the disk spool DIR (a network handler's `spool.dir`) holds: segment
    files, records not yet delivered, bytes, torn records, and the times of the oldest
    and newest record. Reads only; a running program may own the spool.

Exit status: 0 success, 1 an invalid config or an unreadable file, 2 a usage error.";

/// What to do.
#[derive(Debug, PartialEq)]
pub(crate) enum Command {
    Help,
    Version,
    Check(CheckOptions),
    Pretty(PrettyOptions),
    Schema,
    Spool(PathBuf),
}

/// `ko-log check`.
#[derive(Debug, PartialEq)]
pub(crate) struct CheckOptions {
    pub file: PathBuf,
    pub json: bool,
    pub format: Option<Format>,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Color {
    Auto,
    Always,
    Never,
}

/// `ko-log pretty`.
#[derive(Debug, PartialEq)]
pub(crate) struct PrettyOptions {
    pub files: Vec<PathBuf>,
    pub color: Color,
    pub follow: bool,
}

/// Parses the arguments (without the program name).
pub(crate) fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Command, lexopt::Error> {
    use lexopt::prelude::*;
    let mut parser = lexopt::Parser::from_args(args);
    let command = match parser.next()? {
        Some(Long("help") | Short('h')) => return Ok(Command::Help),
        Some(Long("version") | Short('V')) => return Ok(Command::Version),
        Some(Value(name)) => name.string()?,
        Some(other) => return Err(other.unexpected()),
        None => return Err("a command is needed: check, pretty, schema or spool".into()),
    };
    match command.as_str() {
        "check" => check(&mut parser),
        "pretty" => pretty(&mut parser),
        "schema" => match parser.next()? {
            None => Ok(Command::Schema),
            Some(Long("help") | Short('h')) => Ok(Command::Help),
            Some(other) => Err(other.unexpected()),
        },
        "spool" => spool(&mut parser),
        "help" => Ok(Command::Help),
        other => Err(
            format!("unknown command `{other}`: expected check, pretty, schema or spool").into(),
        ),
    }
}

fn check(parser: &mut lexopt::Parser) -> Result<Command, lexopt::Error> {
    use lexopt::prelude::*;
    let mut file = None;
    let mut json = false;
    let mut format = None;
    while let Some(arg) = parser.next()? {
        match arg {
            Long("help") | Short('h') => return Ok(Command::Help),
            Long("format") => {
                json = match parser.value()?.string()?.as_str() {
                    "text" => false,
                    "json" => true,
                    other => {
                        return Err(format!("--format: `{other}`: expected text or json").into())
                    }
                }
            }
            Long("config-format") => {
                let name = parser.value()?.string()?;
                format = Some(Format::from_extension(&name).ok_or_else(|| {
                    format!("--config-format: `{name}`: expected toml, json or yaml")
                })?);
            }
            Value(path) if file.is_none() => file = Some(PathBuf::from(path)),
            Value(path) => {
                return Err(format!(
                    "check takes one file, and `{}` is a second",
                    PathBuf::from(path).display()
                )
                .into())
            }
            other => return Err(other.unexpected()),
        }
    }
    let file = file.ok_or("check needs the config file to check")?;
    Ok(Command::Check(CheckOptions { file, json, format }))
}

fn spool(parser: &mut lexopt::Parser) -> Result<Command, lexopt::Error> {
    use lexopt::prelude::*;
    let mut dir = None;
    while let Some(arg) = parser.next()? {
        match arg {
            Long("help") | Short('h') => return Ok(Command::Help),
            Value(path) if dir.is_none() => dir = Some(PathBuf::from(path)),
            Value(path) => {
                return Err(format!(
                    "spool takes one directory, and `{}` is a second",
                    PathBuf::from(path).display()
                )
                .into())
            }
            other => return Err(other.unexpected()),
        }
    }
    Ok(Command::Spool(
        dir.ok_or("spool needs the spool directory")?,
    ))
}

fn pretty(parser: &mut lexopt::Parser) -> Result<Command, lexopt::Error> {
    use lexopt::prelude::*;
    let mut files = Vec::new();
    let mut color = Color::Auto;
    let mut follow = false;
    while let Some(arg) = parser.next()? {
        match arg {
            Long("help") | Short('h') => return Ok(Command::Help),
            Long("color") | Long("colour") => {
                color = match parser.value()?.string()?.as_str() {
                    "auto" => Color::Auto,
                    "always" => Color::Always,
                    "never" => Color::Never,
                    other => {
                        return Err(
                            format!("--color: `{other}`: expected auto, always or never").into(),
                        )
                    }
                }
            }
            Long("follow") | Short('f') => follow = true,
            Value(path) => files.push(PathBuf::from(path)),
            other => return Err(other.unexpected()),
        }
    }
    Ok(Command::Pretty(PrettyOptions {
        files,
        color,
        follow,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(args: &[&str]) -> Result<Command, String> {
        parse(args.iter().map(OsString::from)).map_err(|e| e.to_string())
    }

    #[test]
    fn commands() {
        assert_eq!(
            parse_str(&[
                "check",
                "--format=json",
                "--config-format",
                "yaml",
                "a.conf"
            ]),
            Ok(Command::Check(CheckOptions {
                file: "a.conf".into(),
                json: true,
                format: Some(Format::Yaml),
            }))
        );
        assert_eq!(
            parse_str(&["pretty", "-f", "--color", "never", "a.log", "b.log"]),
            Ok(Command::Pretty(PrettyOptions {
                files: vec!["a.log".into(), "b.log".into()],
                color: Color::Never,
                follow: true,
            }))
        );
        assert_eq!(parse_str(&["schema"]), Ok(Command::Schema));
        assert_eq!(
            parse_str(&["spool", "var/spool"]),
            Ok(Command::Spool("var/spool".into()))
        );
        assert_eq!(parse_str(&["--version"]), Ok(Command::Version));
        assert_eq!(parse_str(&["check", "--help"]), Ok(Command::Help));
    }

    #[test]
    fn mistakes() {
        assert_eq!(
            parse_str(&[]),
            Err("a command is needed: check, pretty, schema or spool".to_owned())
        );
        assert_eq!(
            parse_str(&["chek"]),
            Err("unknown command `chek`: expected check, pretty, schema or spool".to_owned())
        );
        assert_eq!(
            parse_str(&["check"]),
            Err("check needs the config file to check".to_owned())
        );
        assert_eq!(
            parse_str(&["spool"]),
            Err("spool needs the spool directory".to_owned())
        );
        assert_eq!(
            parse_str(&["check", "a", "b"]),
            Err("check takes one file, and `b` is a second".to_owned())
        );
        assert_eq!(
            parse_str(&["pretty", "--color=sometimes"]),
            Err("--color: `sometimes`: expected auto, always or never".to_owned())
        );
        assert_eq!(
            parse_str(&["pretty", "--colr"]),
            Err("invalid option '--colr'".to_owned())
        );
        assert_eq!(
            parse_str(&["check", "--config-format", "ini", "a"]),
            Err("--config-format: `ini`: expected toml, json or yaml".to_owned())
        );
    }
}
