//! Checking a config for every mistake, not only the first: [`Config::check_str`] and
//! [`Config::check_file`].
//!
//! Loading ([`Config::from_str`], [`Config::from_path`]) stops at the first mistake. A
//! check runs the same code with the same rules, but where loading would stop it keeps
//! the error and goes on without the part at fault: a refused key is left out (so it
//! takes its default), a refused handler becomes a `null` handler under its name (so the
//! loggers naming it are not refused too), a refused renderer is the default one, a
//! refused processor is left out of its list. Each later error is then one that loading
//! the file with the earlier ones fixed would also report.
//!
//! One error is reported per key: an error at a key that already has one is taken to be
//! a consequence of it (a refused value whose key is then missing, a `${VAR}` that is
//! unset and so a bad level). Where a parser cannot recover (a TOML, JSON or YAML syntax
//! error, a file that is not UTF-8, an `env_file` that cannot be read) the check reports
//! that one error: what follows it cannot be read reliably. A check reports at most
//! [`MAX_ERRORS`] errors.

use std::collections::HashSet;

use crate::{Config, ConfigError};

/// The most errors a check reports.
pub const MAX_ERRORS: usize = 100;

/// What checking a config found: every error, in document order, and the config as far as
/// it could be built.
#[derive(Debug)]
#[non_exhaustive]
pub struct Checked {
    /// What the text builds with every refused part left out (see the module docs): the
    /// same as loading it gives when `errors` is empty, and enough for further checks
    /// (the runtime checks registered components' params on it) when it is not. `None`
    /// when the text could not be parsed at all.
    pub config: Option<Config>,
    /// Every error found, located as loading would report it; sorted by line and column
    /// (errors without a location last).
    pub errors: Vec<ConfigError>,
}

impl Checked {
    pub(crate) fn new(config: Option<Config>, collector: Collector) -> Checked {
        let mut checked = Checked {
            config,
            errors: collector.errors,
        };
        checked.sort();
        checked
    }

    /// Whether no error was found.
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }

    /// Adds an error found by a later check (the runtime's, on [`Checked::config`]) and
    /// keeps the list sorted; dropped when an error is already reported at the same
    /// (non-empty) key path, as a check's own errors are, or when there are
    /// [`MAX_ERRORS`] already.
    pub fn add(&mut self, error: ConfigError) {
        let path = error.key_path();
        let taken = !path.is_empty() && self.errors.iter().any(|e| e.key_path() == path);
        if !taken && self.errors.len() < MAX_ERRORS {
            self.errors.push(error);
            self.sort();
        }
    }

    fn sort(&mut self) {
        self.errors.sort_by_key(|e| {
            e.location()
                .map_or((usize::MAX, usize::MAX), |l| (l.line, l.column))
        });
    }
}

/// The errors of a check so far, one per key path.
#[derive(Debug, Default)]
pub(crate) struct Collector {
    errors: Vec<ConfigError>,
    paths: HashSet<String>,
}

impl Collector {
    /// Keeps `error` unless its key already has one (or the check is full).
    pub fn push(&mut self, error: ConfigError) {
        if self.is_full() {
            return;
        }
        let path = error.key_path();
        if !path.is_empty() && !self.paths.insert(path.to_owned()) {
            return;
        }
        self.errors.push(error);
    }

    /// Whether [`MAX_ERRORS`] are kept: the check then stops going on after an error.
    pub fn is_full(&self) -> bool {
        self.errors.len() >= MAX_ERRORS
    }
}
