//! Key paths (`handlers.file.processors[2].type`) as errors print them.

use std::fmt;

/// The path from the document root to a key or list item.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyPath(Vec<Segment>);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Key(String),
    Index(usize),
}

impl KeyPath {
    /// The path of the document itself (prints as the empty string).
    pub fn root() -> KeyPath {
        KeyPath::default()
    }

    /// The path of `key` inside the table at `self`.
    pub fn key(&self, key: &str) -> KeyPath {
        let mut segments = self.0.clone();
        segments.push(Segment::Key(key.to_owned()));
        KeyPath(segments)
    }

    /// The segments: `Some(key)`, or `None` for a list item.
    pub fn keys(&self) -> Vec<Option<&str>> {
        self.0
            .iter()
            .map(|segment| match segment {
                Segment::Key(key) => Some(key.as_str()),
                Segment::Index(_) => None,
            })
            .collect()
    }

    /// The last segment, when it is a key (not a list index).
    pub fn last_key(&self) -> Option<&str> {
        match self.0.last()? {
            Segment::Key(key) => Some(key),
            Segment::Index(_) => None,
        }
    }

    /// The path of item `index` of the list at `self`.
    pub fn index(&self, index: usize) -> KeyPath {
        let mut segments = self.0.clone();
        segments.push(Segment::Index(index));
        KeyPath(segments)
    }
}

impl KeyPath {
    /// Where this path leads in `root`: the node it names (or, with `key`, the map key
    /// of its last segment), else the deepest node on the way that exists.
    pub(crate) fn mark_in(&self, root: &super::Node, key: bool) -> crate::source::Mark {
        let mut node = root;
        let mut mark = root.mark();
        for (i, segment) in self.0.iter().enumerate() {
            let last = i + 1 == self.0.len();
            let next = match segment {
                Segment::Key(name) => node.entry(name).map(|(k, v)| {
                    if last && key {
                        mark = k.mark();
                    }
                    v
                }),
                Segment::Index(index) => match &node.value {
                    super::NodeValue::Seq(items) => items.get(*index),
                    _ => None,
                },
            };
            match next {
                Some(child) => {
                    node = child;
                    if !(last && key) {
                        mark = child.mark();
                    }
                }
                None => break,
            }
        }
        mark
    }
}

impl KeyPath {
    /// Removes from `node` (the table at `base`) the deepest table entry on the way to
    /// `self`: what a check that goes on after an error at `self` leaves out. A list on
    /// the way is left out whole (removing one item would renumber the others). `false`
    /// when there is nothing to remove: `self` is not below `base`, or names a key that
    /// is absent (a missing key), or `base` itself.
    pub(crate) fn remove_in(&self, base: &KeyPath, node: &mut super::Node) -> bool {
        let Some(below) = self.0.strip_prefix(base.0.as_slice()) else {
            return false;
        };
        let mut deepest = None;
        let mut at: &super::Node = node;
        for (depth, segment) in below.iter().enumerate() {
            let Segment::Key(name) = segment else { break };
            match at.get(name) {
                Some(child) => {
                    deepest = Some(depth);
                    at = child;
                }
                None => break,
            }
        }
        let Some(deepest) = deepest else {
            return false;
        };
        let mut parent = node;
        for segment in &below[..deepest] {
            let Segment::Key(name) = segment else {
                return false;
            };
            let super::NodeValue::Map(entries) = &mut parent.value else {
                return false;
            };
            match entries.iter_mut().find(|(key, _)| key.name == *name) {
                Some((_, child)) => parent = child,
                None => return false,
            }
        }
        let (Some(Segment::Key(name)), super::NodeValue::Map(entries)) =
            (below.get(deepest), &mut parent.value)
        else {
            return false;
        };
        let before = entries.len();
        entries.retain(|(key, _)| key.name != *name);
        entries.len() < before
    }
}

/// Whether a key prints without quotes.
fn is_bare(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Index(index) => write!(f, "[{index}]")?,
                Segment::Key(key) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    if is_bare(key) {
                        f.write_str(key)?;
                    } else {
                        write!(f, "{key:?}")?;
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display() {
        let root = KeyPath::root();
        assert_eq!(root.to_string(), "");
        assert_eq!(
            root.key("loggers")
                .key("my_app::db")
                .key("level")
                .to_string(),
            "loggers.\"my_app::db\".level"
        );
        assert_eq!(
            root.key("handlers")
                .key("f")
                .key("processors")
                .index(2)
                .key("type")
                .to_string(),
            "handlers.f.processors[2].type"
        );
    }
}
