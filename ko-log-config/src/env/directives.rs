//! Level directives from the environment: `KO_LOG` (or the variable `env_filter` names),
//! in env_logger's syntax, laid over the config's loggers at init.
//!
//! The grammar is env_logger's, `directive ("," directive)*`, with each directive one of:
//!
//! - `level`: the level of `root` (`warn`);
//! - `target=level`: the level of the logger `target` (`my_app::db=debug`);
//! - `target` or `target=`: that logger at `trace`, as env_logger does.
//!
//! Levels are those of config files (`off`, `error`, `warn` or `warning`, `info`,
//! `debug`, `trace`, in any case). Blank directives (`warn,,`) are skipped and spaces
//! around a target or a level are ignored; when a target is named twice, the later
//! directive wins (so `KO_LOG="$KO_LOG,hyper=off"` appends).
//!
//! Where ko-log differs from env_logger:
//!
//! - **Refused, not ignored.** env_logger prints a warning and drops a bad directive;
//!   here it is a [`DirectiveError`] with its byte offset in the value, which init reports
//!   as a [`ConfigError`] located in the variable (its excerpt and caret, and "did you
//!   mean" for a misspelt level). Bad: an unknown level (`my_app=verbose`), a second `=`,
//!   an empty target (`=debug`), whitespace inside a target (`warn my_app=debug`: a
//!   missing `,`), and a bare word one typo away from a level (`debgu`; write
//!   `debgu=trace` for a target of that name).
//! - **No `/regex`.** env_logger's message filter after a `/` is refused at the `/`.
//! - **Module-path boundaries.** `foo=debug` is `foo` and `foo::*`, not `foobar` (env_logger
//!   matches any prefix), exactly as ko-log's loggers match ([`crate::logger::owns`]).
//!
//! How the directives meet the config ([`Config::apply_directives`]): every target named
//! gets a logger (created when the config has none: no handlers of its own, so it writes to
//! its ancestors' handlers, with their context). Then every logger that a directive
//! matches takes the level of the most specific directive matching it; the rest keep the
//! config's levels. So for any target a directive matches, the environment decides its
//! level; the config decides the others. A handler's own `level` still applies.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use log::LevelFilter;

use crate::logger::owners;
use crate::source::Source;
use crate::suggest::{did_you_mean, one_of};
use crate::{level, Config, ConfigError, ConfigErrorKind, ROOT};

/// The variable read when the config does not name one with `env_filter`.
pub const DEFAULT_VARIABLE: &str = "KO_LOG";

/// One directive: a logger (`root` for a bare level) and its level.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Directive {
    /// The logger name: a target prefix, or [`ROOT`] for a bare level.
    pub target: String,
    /// The level it gets.
    pub level: LevelFilter,
}

/// Why a directive was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DirectiveError {
    /// Byte offset in the variable's value of what is wrong.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
    /// The level a misspelt one is probably a typo of.
    pub suggestion: Option<&'static str>,
    /// Another hint, when there is no suggestion.
    pub help: Option<String>,
}

impl fmt::Display for DirectiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at byte {}: {}", self.offset, self.message)
    }
}

impl std::error::Error for DirectiveError {}

impl DirectiveError {
    fn new(offset: usize, message: String) -> DirectiveError {
        DirectiveError {
            offset,
            message,
            suggestion: None,
            help: None,
        }
    }

    fn help(mut self, help: impl Into<String>) -> DirectiveError {
        self.help = Some(help.into());
        self
    }
}

/// Parses a directive list (see the module docs), in order, repeats included.
pub fn parse_directives(text: &str) -> Result<Vec<Directive>, DirectiveError> {
    if let Some(slash) = text.find('/') {
        return Err(DirectiveError::new(
            slash,
            "ko-log does not support env_logger's `/regex` message filter".to_owned(),
        )
        .help("write only `target=level` directives, separated by `,`"));
    }
    let mut directives = Vec::new();
    let mut start = 0;
    for piece in text.split(',') {
        if let Some(directive) = directive(piece, start)? {
            directives.push(directive);
        }
        start += piece.len() + 1;
    }
    Ok(directives)
}

/// `text` without surrounding whitespace, and the byte offset where that starts.
fn trimmed(text: &str) -> (usize, &str) {
    let start = text.trim_start();
    (text.len() - start.len(), start.trim_end())
}

/// One directive, `piece`, which starts at byte `at` of the value.
fn directive(piece: &str, at: usize) -> Result<Option<Directive>, DirectiveError> {
    let (lead, body) = trimmed(piece);
    if body.is_empty() {
        return Ok(None);
    }
    let at = at + lead;
    let Some(eq) = body.find('=') else {
        if let Some(level) = level::parse(body) {
            return Ok(Some(Directive {
                target: ROOT.to_owned(),
                level,
            }));
        }
        if let Some(near) = did_you_mean(body, level::NAMES.iter().copied()) {
            return Err(DirectiveError {
                suggestion: Some(near),
                ..DirectiveError::new(
                    at,
                    format!(
                        "unknown level `{body}` (a target of that name is written `{body}=trace`)"
                    ),
                )
            });
        }
        return Ok(Some(Directive {
            target: target(body, at)?.to_owned(),
            level: LevelFilter::Trace,
        }));
    };
    let (name, rest) = body.split_at(eq);
    let name = name.trim_end();
    if name.is_empty() {
        return Err(
            DirectiveError::new(at, "missing target before `=`".to_owned())
                .help("write `target=level`, or the level alone for `root` (`KO_LOG=debug`)"),
        );
    }
    let name = target(name, at)?;
    let value_at = at + eq + 1;
    let value = rest.get(1..).unwrap_or_default();
    if let Some(second) = value.find('=') {
        return Err(DirectiveError::new(
            value_at + second,
            "a second `=` in one directive".to_owned(),
        )
        .help("a directive is `target=level`; separate directives with `,`"));
    }
    let (lead, word) = trimmed(value);
    let level = if word.is_empty() {
        LevelFilter::Trace
    } else {
        level::parse(word).ok_or_else(|| DirectiveError {
            suggestion: did_you_mean(word, level::NAMES.iter().copied()),
            help: Some(format!("expected {}", one_of(level::NAMES.iter().copied()))),
            ..DirectiveError::new(value_at + lead, format!("unknown level `{word}`"))
        })?
    };
    Ok(Some(Directive {
        target: name.to_owned(),
        level,
    }))
}

/// A target written at byte `at`, checked: no whitespace inside it.
fn target(name: &str, at: usize) -> Result<&str, DirectiveError> {
    match name.char_indices().find(|(_, c)| c.is_whitespace()) {
        Some((i, _)) => Err(DirectiveError::new(
            at + i,
            format!("whitespace inside the target `{name}`"),
        )
        .help("separate directives with `,`: `warn,my_app=debug`")),
        None => Ok(name),
    }
}

/// The source `$NAME` that errors in the variable `NAME` point into.
fn source(variable: &str, value: &str) -> Source {
    Source::new(Some(PathBuf::from(format!("${variable}"))), value)
}

impl Config {
    /// Reads the variable [`Config::env_filter`] names (none when it is `None` or the
    /// variable is unset) and lays its directives over the loggers
    /// ([`Config::apply_directives`]).
    ///
    /// Every init function of `ko-log` that takes a config calls this before it builds
    /// anything; `Backend::new` does not (it is the environment-free way).
    pub fn apply_env_filter(&mut self) -> Result<(), ConfigError> {
        self.check_env_filter()
            .map_err(|violation| violation.error)?;
        let Some(variable) = self.env_filter.clone() else {
            return Ok(());
        };
        let Some(value) = std::env::var_os(&variable) else {
            return Ok(());
        };
        match String::from_utf8(value.into_encoded_bytes()) {
            Ok(text) => self.apply_directives(&variable, &text),
            Err(e) => {
                let valid = e.utf8_error().valid_up_to();
                let prefix = String::from_utf8_lossy(e.as_bytes().get(..valid).unwrap_or_default());
                let source = source(&variable, &prefix);
                Err(ConfigError::new(
                    ConfigErrorKind::Environment,
                    format!("the value of `{variable}` is not valid UTF-8"),
                )
                .at(&source, source.mark_at(valid)))
            }
        }
    }

    /// Lays the directives `value` (read from the variable `variable`, which errors name
    /// as their file, `$variable`) over the loggers: see the [module docs](self).
    ///
    /// ```
    /// use ko_log_config::{Config, Format};
    /// use log::LevelFilter;
    ///
    /// let mut config = Config::from_str(
    ///     "[loggers.root]\nlevel = \"info\"\n[loggers.app]\nlevel = \"warn\"\n",
    ///     Format::Toml,
    /// )?;
    /// config.apply_directives("KO_LOG", "error,app::db=debug")?;
    /// assert_eq!(config.loggers["root"].level, Some(LevelFilter::Error));
    /// assert_eq!(config.loggers["app"].level, Some(LevelFilter::Error));
    /// assert_eq!(config.loggers["app::db"].level, Some(LevelFilter::Debug));
    ///
    /// let error = config.apply_directives("KO_LOG", "warn,app=debgu").unwrap_err();
    /// assert_eq!(error.to_string(), "\
    /// error: unknown level `debgu`
    ///  --> $KO_LOG:1:10
    ///   |
    /// 1 | warn,app=debgu
    ///   |          ^
    ///   = help: did you mean `debug`?");
    /// # Ok::<(), ko_log_config::ConfigError>(())
    /// ```
    pub fn apply_directives(&mut self, variable: &str, value: &str) -> Result<(), ConfigError> {
        let directives = parse_directives(value).map_err(|e| {
            let source = source(variable, value);
            ConfigError::new(ConfigErrorKind::Environment, e.message.clone())
                .at(&source, source.mark_at(e.offset))
                .with_suggestion(e.suggestion)
                .with_help(e.help.clone())
                .with_source(e)
        })?;
        // The later of two directives for one target wins.
        let levels: BTreeMap<String, LevelFilter> = directives
            .into_iter()
            .map(|d| (d.target, d.level))
            .collect();
        for target in levels.keys() {
            self.loggers.entry(target.clone()).or_default();
        }
        for (name, logger) in &mut self.loggers {
            let most_specific = owners(name)
                .filter(|owner| *owner != ROOT)
                .chain([ROOT])
                .find_map(|owner| levels.get(owner));
            if let Some(level) = most_specific {
                logger.level = Some(*level);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Vec<(String, LevelFilter)> {
        parse_directives(text)
            .unwrap_or_else(|e| panic!("{text:?}: {e}"))
            .into_iter()
            .map(|d| (d.target, d.level))
            .collect()
    }

    fn refuse(text: &str) -> DirectiveError {
        parse_directives(text).expect_err(text)
    }

    fn d(target: &str, level: LevelFilter) -> (String, LevelFilter) {
        (target.to_owned(), level)
    }

    #[test]
    fn env_logger_syntax() {
        use LevelFilter::*;
        assert_eq!(
            parse("warn,my_app::db=debug,hyper=off"),
            [d("root", Warn), d("my_app::db", Debug), d("hyper", Off)]
        );
        assert_eq!(parse("my_app"), [d("my_app", Trace)]);
        assert_eq!(parse("my_app="), [d("my_app", Trace)]);
        assert_eq!(parse("WARN"), [d("root", Warn)]);
        assert_eq!(parse("wArNiNg"), [d("root", Warn)]);
        assert_eq!(parse(" a = info , b=ERROR "), [d("a", Info), d("b", Error)]);
        assert_eq!(parse("root=debug"), [d("root", Debug)]);
        assert_eq!(parse("x=info,x=warn"), [d("x", Info), d("x", Warn)]);
        assert_eq!(parse("my-app::é"), [d("my-app::é", Trace)]);
        for blank in ["", "   ", ",", ", ,", ",,warn,,"] {
            let expected = if blank.contains("warn") {
                vec![d("root", Warn)]
            } else {
                Vec::new()
            };
            assert_eq!(parse(blank), expected, "{blank:?}");
        }
    }

    #[test]
    fn mistakes_are_refused_at_their_byte_offset() {
        let e = refuse("warn,my_app=debgu");
        assert_eq!(
            (e.offset, e.message.as_str()),
            (12, "unknown level `debgu`")
        );
        assert_eq!(e.suggestion, Some("debug"));
        assert_eq!(
            e.help.as_deref(),
            Some("expected `off`, `error`, `warn`, `warning`, `info`, `debug` or `trace`")
        );

        let e = refuse("a=verbose");
        assert_eq!((e.offset, e.suggestion), (2, None));
        assert_eq!(e.message, "unknown level `verbose`");

        let e = refuse("info, tarce");
        assert_eq!(e.offset, 6);
        assert_eq!(e.suggestion, Some("trace"));
        assert_eq!(
            e.message,
            "unknown level `tarce` (a target of that name is written `tarce=trace`)"
        );
        assert_eq!(parse("tarce=trace"), [d("tarce", LevelFilter::Trace)]);

        let e = refuse("a=info=debug");
        assert_eq!(
            (e.offset, e.message.as_str()),
            (6, "a second `=` in one directive")
        );

        let e = refuse("warn, =debug");
        assert_eq!(
            (e.offset, e.message.as_str()),
            (6, "missing target before `=`")
        );

        let e = refuse("warn my_app=debug");
        assert_eq!(e.offset, 4);
        assert_eq!(e.message, "whitespace inside the target `warn my_app`");

        let e = refuse("info,my_app=debug/^GET ");
        assert_eq!(e.offset, 17);
        assert_eq!(
            e.message,
            "ko-log does not support env_logger's `/regex` message filter"
        );

        // Offsets are bytes: after a two-byte `é`.
        let e = refuse("é=infoo");
        assert_eq!((e.offset, e.suggestion), (3, Some("info")));
    }

    fn config(loggers: &[(&str, Option<LevelFilter>)]) -> Config {
        let mut config = Config::default();
        for (name, level) in loggers {
            let logger = config.loggers.entry((*name).to_owned()).or_default();
            logger.level = *level;
        }
        config
    }

    fn levels(config: &Config) -> Vec<(&str, Option<LevelFilter>)> {
        config
            .loggers
            .iter()
            .map(|(name, logger)| (name.as_str(), logger.level))
            .collect()
    }

    #[test]
    fn the_most_specific_directive_decides_every_logger_it_matches() {
        use LevelFilter::*;
        let mut c = config(&[
            ("root", Some(Info)),
            ("app", Some(Warn)),
            ("app::db", None),
            ("app::dbx", Some(Error)),
            ("hyper", Some(Warn)),
        ]);
        c.apply_directives("KO_LOG", "app::db=debug,app::db::pool=trace")
            .unwrap();
        assert_eq!(
            levels(&c),
            [
                ("app", Some(Warn)),
                ("app::db", Some(Debug)),
                ("app::db::pool", Some(Trace)),
                ("app::dbx", Some(Error)), // a boundary: not below `app::db`
                ("hyper", Some(Warn)),
                ("root", Some(Info)),
            ]
        );
        // A bare level matches every logger a more specific directive does not.
        c.apply_directives("KO_LOG", "off,app=info").unwrap();
        assert_eq!(
            levels(&c),
            [
                ("app", Some(Info)),
                ("app::db", Some(Info)),
                ("app::db::pool", Some(Info)),
                ("app::dbx", Some(Info)),
                ("hyper", Some(Off)),
                ("root", Some(Off)),
            ]
        );
    }

    #[test]
    fn a_new_logger_has_no_handlers_and_inherits_through_additive() {
        let mut c = Config::default();
        c.apply_directives("KO_LOG", "my_app=debug,my_app=warn")
            .unwrap();
        let logger = &c.loggers["my_app"];
        assert_eq!(logger.level, Some(LevelFilter::Warn), "the later wins");
        assert!(logger.handlers.is_empty() && logger.additive && logger.context.is_empty());
        assert_eq!(c.loggers["root"].level, None, "root is untouched");
        c.validate().unwrap();
    }

    #[test]
    fn an_empty_value_changes_nothing() {
        let mut c = Config::default();
        c.apply_directives("KO_LOG", " , ").unwrap();
        assert_eq!(c, Config::default());
    }

    #[test]
    fn errors_are_located_in_the_variable() {
        let mut c = Config::default();
        let e = c.apply_directives("RUST_LOG", "info,hyper=of").unwrap_err();
        assert_eq!(e.kind(), ConfigErrorKind::Environment);
        assert_eq!(e.code(), "CONFIGURATION::Config::ENVIRONMENT::ERROR");
        assert_eq!(e.file(), Some(std::path::Path::new("$RUST_LOG")));
        let at = e.location().map(|l| (l.line, l.column));
        assert_eq!(at, Some((1, 12)));
        assert_eq!(e.suggestion(), Some("off"));
        assert_eq!(
            e.to_string(),
            "error: unknown level `of`\n --> $RUST_LOG:1:12\n  |\n1 | info,hyper=of\n  |            ^\n  = help: did you mean `off`?"
        );
        assert_eq!(c, Config::default(), "a refused value changes nothing");
    }
}
