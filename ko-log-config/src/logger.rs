//! `[loggers.NAME]`: which records go to which handlers, and which targets a logger name
//! owns ([`owns`], [`owners`]: module-path boundaries, the one copy of that rule).

use std::collections::BTreeMap;

use log::LevelFilter;

use crate::Value;

/// One `[loggers.NAME]` table. `NAME` is a `log` target prefix or `root`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct LoggerConfig {
    /// Minimum level (key `level`); `None` inherits the nearest ancestor's, then
    /// `default_level`.
    pub level: Option<LevelFilter>,
    /// Names of the handlers this logger writes to (key `handlers`, default none).
    pub handlers: Vec<String>,
    /// Fields added to every record routed here (key `context`, default empty).
    pub context: BTreeMap<String, Value>,
    /// Also hand records to the ancestors' handlers (key `additive`, default `true`).
    pub additive: bool,
}

impl LoggerConfig {
    /// A logger writing to `handlers`, with no level of its own (it inherits one),
    /// no context, additive.
    pub fn new(handlers: &[&str]) -> LoggerConfig {
        LoggerConfig {
            handlers: handlers.iter().map(|h| (*h).to_owned()).collect(),
            ..LoggerConfig::default()
        }
    }

    /// This logger with its own `level`.
    pub fn with_level(mut self, level: LevelFilter) -> LoggerConfig {
        self.level = Some(level);
        self
    }
}

impl Default for LoggerConfig {
    fn default() -> Self {
        LoggerConfig {
            level: None,
            handlers: Vec::new(),
            context: BTreeMap::new(),
            additive: true,
        }
    }
}

/// Whether the logger `name` owns `target`: `target` is `name` or below it at a module-path
/// boundary (`my_app::db` owns `my_app::db` and `my_app::db::pool`, not `my_app::dbx`).
///
/// [`ROOT`](crate::ROOT) is not special here: the caller treats it as owning every target.
pub fn owns(name: &str, target: &str) -> bool {
    match target.strip_prefix(name) {
        Some(rest) => rest.is_empty() || rest.starts_with("::"),
        None => false,
    }
}

/// The only logger names that can own `target`, most specific first: `target` itself,
/// then each prefix of it that is followed by `::` (`a::b::c`, `a::b`, `a`).
pub fn owners(target: &str) -> impl Iterator<Item = &str> {
    let bytes = target.as_bytes();
    let cuts = (1..bytes.len().saturating_sub(1))
        .rev()
        .filter(move |&i| bytes[i] == b':' && bytes[i + 1] == b':');
    // `i` is at an ASCII `:`, so always a char boundary.
    std::iter::once(target).chain(cuts.filter_map(move |i| target.get(..i)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_are_the_target_and_its_prefixes_at_path_boundaries() {
        fn all(t: &str) -> Vec<&str> {
            owners(t).collect()
        }
        assert_eq!(all("a::b::c"), ["a::b::c", "a::b", "a"]);
        assert_eq!(all("app"), ["app"]);
        assert_eq!(all(""), [""]);
        assert_eq!(all("a:::b"), ["a:::b", "a:", "a"]);
        assert_eq!(all("::a"), ["::a"]);
        assert_eq!(all("é::ü"), ["é::ü", "é"]);
        for target in ["a::b::c", "a:::b", "x::y::", "::", "a::b::c::d::e"] {
            let candidates = all(target);
            for len in 0..=target.len() {
                if let Some(name) = target.get(..len) {
                    if !name.is_empty() {
                        assert_eq!(
                            owns(name, target),
                            candidates.contains(&name),
                            "{name} {target}"
                        );
                    }
                }
            }
        }
    }
}
