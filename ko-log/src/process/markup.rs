//! `filter_markup`: strip rich-style markup tags from the message.
//!
//! The rule is the one of Python's `rich` markup, so messages written for it come out as
//! plain text:
//!
//! - a **tag** is `[`, then a lowercase ASCII letter, `#`, `/` or `@`, then any characters
//!   but `[` up to the first `]`: `[bold]`, `[/bold]`, `[/]`, `[red on white]`,
//!   `[#ff8800]`, `[link=https://example.com]`, `[rgb(1,2,3)]`. Tags are removed;
//! - anything else in brackets is text and is kept: `[1, 2]`, `[INFO]`, `[]`, `[ x]`;
//! - backslashes escape: before a tag, `\[bold]` is the text `[bold]` (the backslash is
//!   removed) and `\\[bold]` is a backslash followed by a removed tag (each `\\` pair is
//!   one backslash); backslashes not followed by a tag stay as they are.
//!
//! Like rich, this takes any bracketed lowercase word for a tag: `items[i]` becomes
//! `items`. Use the processor only for messages that are written with markup.

use std::borrow::Cow;

use ko_log_config::node::Params;
use ko_log_config::ConfigError;
use serde::Deserialize;

use super::{Action, Processor};
use crate::event::{Event, Str};

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a processor table")]
struct Raw {}

fn schema() -> serde_json::Value {
    use ko_log_config::schema::{describe, table};
    describe(
        table(&[], &[]),
        "Strip [bold]-style markup tags from the message.",
    )
}

crate::registry::register_processor!("filter_markup", FilterMarkup, schema, Raw);

/// Removes markup tags from the message (fields are left alone).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FilterMarkup;

impl FilterMarkup {
    /// Reads a `filter_markup` entry, which takes no keys.
    pub fn from_params(params: &Params) -> Result<FilterMarkup, ConfigError> {
        let Raw {} = params.deserialize()?;
        Ok(FilterMarkup::new())
    }
    /// The processor.
    pub fn new() -> FilterMarkup {
        FilterMarkup
    }
}

impl Processor for FilterMarkup {
    fn process(&mut self, event: &mut Event) -> Action {
        if let Cow::Owned(stripped) = strip_markup(&event.message) {
            event.message = Str::Owned(stripped);
        }
        Action::Keep
    }
}

/// The end (index of `]`) of the tag starting with the `[` at `open`, if it is one.
fn tag_end(bytes: &[u8], open: usize) -> Option<usize> {
    let rest = bytes.get(open + 1..)?;
    match rest.first() {
        Some(b'a'..=b'z' | b'#' | b'/' | b'@') => {}
        _ => return None,
    }
    let close = rest.iter().position(|&b| b == b']' || b == b'[')?;
    (rest.get(close) == Some(&b']')).then_some(open + 1 + close)
}

/// `text` without its markup tags (borrowed when there is none).
pub(crate) fn strip_markup(text: &str) -> Cow<'_, str> {
    if !text.contains('[') {
        return Cow::Borrowed(text);
    }
    let bytes = text.as_bytes();
    let mut out: Option<String> = None;
    // Text before `copied` is in `out` already.
    let mut copied = 0;
    let mut i = 0;
    while let Some(offset) = bytes
        .get(i..)
        .and_then(|rest| rest.iter().position(|&b| b == b'['))
    {
        let open = i + offset;
        let Some(close) = tag_end(bytes, open) else {
            i = open + 1;
            continue;
        };
        let backslashes = bytes.get(copied..open).map_or(0, |before| {
            before.iter().rev().take_while(|&&b| b == b'\\').count()
        });
        let out = out.get_or_insert_with(|| String::with_capacity(text.len()));
        // All the indices are at ASCII bytes, so on char boundaries.
        out.push_str(text.get(copied..open - backslashes).unwrap_or_default());
        out.extend(std::iter::repeat_n('\\', backslashes / 2));
        if backslashes % 2 == 1 {
            out.push_str(text.get(open..=close).unwrap_or_default());
        }
        copied = close + 1;
        i = close + 1;
    }
    match out {
        Some(mut out) => {
            out.push_str(text.get(copied..).unwrap_or_default());
            Cow::Owned(out)
        }
        None => Cow::Borrowed(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule() {
        for (input, expected) in [
            ("no markup", "no markup"),
            ("[bold]Hello[/bold] world", "Hello world"),
            ("[bold red on white]alert[/]", "alert"),
            ("[#ff8800]orange[/#ff8800]", "orange"),
            ("[link=https://example.com/a?b=c]site[/link]", "site"),
            ("[rgb(1,2,3)]x", "x"),
            ("[@click]go", "go"),
            ("list [1, 2] stays", "list [1, 2] stays"),
            ("[INFO] upper case is text", "[INFO] upper case is text"),
            ("[] and [ x] stay", "[] and [ x] stay"),
            ("unclosed [bold", "unclosed [bold"),
            ("[a[b]c", "[ac"),
            (r"\[bold] escaped", "[bold] escaped"),
            (r"\\[bold]backslash", r"\backslash"),
            (r"\\\[bold]", r"\[bold]"),
            (r"C:\dir [b]x", r"C:\dir x"),
            (r"trailing \", r"trailing \"),
            ("items[i] is a tag", "items is a tag"),
            ("[bold]é✓[/bold]日本", "é✓日本"),
            ("[", "["),
            ("]", "]"),
        ] {
            assert_eq!(strip_markup(input), expected, "{input:?}");
        }
    }

    #[test]
    fn borrowed_when_unchanged() {
        assert!(matches!(strip_markup("a [1] b"), Cow::Borrowed(_)));
        assert!(matches!(strip_markup("plain"), Cow::Borrowed(_)));
    }
}
