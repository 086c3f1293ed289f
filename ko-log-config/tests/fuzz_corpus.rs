//! Config fuzzing from a committed corpus (`tests/corpus/`): configs in every format and
//! templates, seeds chosen for what parsers get wrong (deep nesting, YAML aliases, BOM and
//! CRLF, invalid UTF-8, huge numbers, duplicate keys, comments, tags, unicode keys …).
//!
//! - The default suite replays the corpus: each file in its own format (from text and
//!   from its path) and in the two others, each of its prefixes at 64 cut points, and
//!   single-line deletions; then every template line. Nothing may panic, and every
//!   refusal must be a `ConfigError` with a location inside the text.
//! - The long run mutates the corpus with proptest (byte flips, token insertions,
//!   deletions, splices between files, duplications), 100,000 cases by default:
//!
//!   ```sh
//!   cargo test --release -p ko-log-config --test fuzz_corpus -- --ignored --nocapture
//!   ```
//!
//!   (`KO_LOG_FUZZ_CASES=1000000` for a longer one). A failure is shrunk by proptest and
//!   printed; add the input it prints to `tests/corpus/config/` so the default suite keeps
//!   it.

use std::path::{Path, PathBuf};
use std::time::Instant;

use ko_log_config::node::Node;
use ko_log_config::{Config, ConfigError, Format, Template};
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestCaseError, TestRunner};

const FORMATS: [Format; 3] = [Format::Toml, Format::Json, Format::Yaml];

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

/// The config seeds: path, format (by extension), text (lossy when not UTF-8).
fn configs() -> Vec<(PathBuf, Format, String)> {
    let mut files: Vec<_> = std::fs::read_dir(corpus_dir().join("config"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
            let format = Format::from_extension(ext)
                .unwrap_or_else(|| panic!("{}: unknown extension", path.display()));
            let bytes = std::fs::read(&path).unwrap();
            let text = String::from_utf8_lossy(&bytes).into_owned();
            (path, format, text)
        })
        .collect()
}

/// The template seeds.
fn templates() -> Vec<String> {
    std::fs::read_to_string(corpus_dir().join("templates.txt"))
        .unwrap()
        .lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

/// A refusal must be located inside `text`, and render without panicking.
fn check(text: &str, result: Result<impl Sized, ConfigError>) -> Result<(), String> {
    let Err(error) = result else { return Ok(()) };
    let rendered = error.to_string();
    let Some(location) = error.location() else {
        return Err(format!("no location: {rendered}\n--- input\n{text:?}"));
    };
    let lines = text.split('\n').count();
    if location.line < 1 || location.line > lines || location.column < 1 {
        return Err(format!(
            "location {}:{} outside the text ({lines} lines): {rendered}\n--- input\n{text:?}",
            location.line, location.column
        ));
    }
    Ok(())
}

/// Parses `text` in every format, both as a tree and as a config.
fn check_all_formats(text: &str) -> Result<(), String> {
    for format in FORMATS {
        check(text, Node::parse(text, format))?;
        check(text, Config::from_str(text, format))?;
    }
    Ok(())
}

fn check_template(text: &str) -> Result<(), String> {
    match Template::parse(text) {
        Ok(template) if template.source() == text => Ok(()),
        Ok(template) => Err(format!("{text:?} parsed as {:?}", template.source())),
        Err(e) if e.offset <= text.len() && text.is_char_boundary(e.offset) => Ok(()),
        Err(e) => Err(format!(
            "{text:?}: error offset {} is not in the text",
            e.offset
        )),
    }
}

/// Cuts `text` at a byte offset snapped down to a char boundary.
fn cut(text: &str, at: usize) -> &str {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    &text[..at]
}

#[test]
fn the_corpus_never_panics_and_every_refusal_is_located() {
    let start = Instant::now();
    let mut cases = 0;
    for (path, format, text) in configs() {
        let name = path.display();
        check(&text, Config::from_path(&path)).unwrap_or_else(|e| panic!("{name}: {e}"));
        check(&text, Config::from_str(&text, format)).unwrap_or_else(|e| panic!("{name}: {e}"));
        check_all_formats(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        for i in 0..64 {
            let prefix = cut(&text, text.len() * i / 64);
            check(prefix, Config::from_str(prefix, format))
                .unwrap_or_else(|e| panic!("{name} cut at {}: {e}", prefix.len()));
        }
        let lines: Vec<&str> = text.split('\n').collect();
        for skip in 0..lines.len() {
            let without: Vec<&str> = lines
                .iter()
                .enumerate()
                .filter(|&(i, _)| i != skip)
                .map(|(_, line)| *line)
                .collect();
            let text = without.join("\n");
            check(&text, Config::from_str(&text, format))
                .unwrap_or_else(|e| panic!("{name} without line {}: {e}", skip + 1));
        }
        cases += 3 + 6 + 64 + lines.len();
    }
    for template in templates() {
        check_template(&template).unwrap();
        for i in 0..=template.len() {
            if template.is_char_boundary(i) {
                check_template(&template[..i]).unwrap();
                cases += 1;
            }
        }
    }
    println!("corpus replay: {cases} cases in {:?}", start.elapsed());
}

/// The YAML seed with nine levels of nine aliases (the "billion laughs") must be refused
/// or loaded quickly, never expanded into 387 million nodes.
#[test]
fn yaml_alias_bombs_are_defused() {
    let text =
        std::fs::read_to_string(corpus_dir().join("config/yaml_billion_laughs.yaml")).unwrap();
    let start = Instant::now();
    let result = Config::from_str(&text, Format::Yaml);
    assert!(start.elapsed().as_secs() < 5, "took {:?}", start.elapsed());
    let error = result.as_ref().err().map(ToString::to_string);
    println!("alias bomb: {error:?} in {:?}", start.elapsed());
    check(&text, result).unwrap();
}

// ---------------------------------------------------------------------------------------
// The long run

/// One edit of a seed.
#[derive(Debug, Clone)]
enum Edit {
    /// Replace the byte at (a fraction of the length) with this one.
    Flip(u16, u8),
    /// Insert a token there.
    Insert(u16, &'static str),
    /// Delete this many bytes from there.
    Delete(u16, u8),
    /// Insert a slice of another seed there.
    Splice(u16, usize, u16, u16),
    /// Duplicate a slice in place.
    Duplicate(u16, u16),
}

const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "\"",
    "'",
    ":",
    "=",
    ",",
    "-",
    "\n",
    " ",
    "#",
    "${",
    "$${",
    "}}",
    "&a",
    "*a",
    "<<: *a",
    "!!str",
    "!!binary",
    "0640",
    "0o777",
    "1e999",
    "-0",
    "é",
    "\t",
    "---",
    "...",
    "type",
    "null",
    "~",
    ".",
    "[[",
    "]]",
    "\\",
    "\r\n",
    "\u{feff}",
    "\u{0}",
    "//",
    "/*",
    "*/",
    "\"\"\"",
    "'''",
    "{level:<",
    "{message}",
    "MiB",
    "ms",
    "inf",
    "nan",
    "true",
    "yes",
    "%YAML",
    "? ",
    "| ",
    "> ",
    "@",
    "`",
    "${A:-${B}}",
    "file_mode",
    "max_bytes",
    "handlers",
    "loggers",
];

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<u16>(), any::<u8>()).prop_map(|(at, b)| Edit::Flip(at, b)),
        (any::<u16>(), prop::sample::select(TOKENS)).prop_map(|(at, t)| Edit::Insert(at, t)),
        (any::<u16>(), 1u8..64).prop_map(|(at, n)| Edit::Delete(at, n)),
        (any::<u16>(), 0usize..64, any::<u16>(), any::<u16>())
            .prop_map(|(at, seed, from, len)| Edit::Splice(at, seed, from, len)),
        (any::<u16>(), any::<u16>()).prop_map(|(at, len)| Edit::Duplicate(at, len)),
    ]
}

/// The byte offset a `u16` fraction points at in `len` bytes.
fn offset(fraction: u16, len: usize) -> usize {
    len * usize::from(fraction) / usize::from(u16::MAX)
}

fn apply(text: &mut Vec<u8>, edit: &Edit, seeds: &[Vec<u8>]) {
    let len = text.len();
    match *edit {
        Edit::Flip(at, byte) => {
            if let Some(b) = text.get_mut(offset(at, len)) {
                *b = byte;
            }
        }
        Edit::Insert(at, token) => {
            let at = offset(at, len);
            text.splice(at..at, token.bytes());
        }
        Edit::Delete(at, n) => {
            let at = offset(at, len);
            let end = (at + usize::from(n)).min(len);
            text.drain(at..end);
        }
        Edit::Splice(at, seed, from, n) => {
            let other = &seeds[seed % seeds.len()];
            let from = offset(from, other.len());
            let end = (from + offset(n, 256)).min(other.len());
            let at = offset(at, len);
            text.splice(at..at, other[from..end].iter().copied());
        }
        Edit::Duplicate(at, n) => {
            let at = offset(at, len);
            let end = (at + offset(n, 512)).min(len);
            let copy = text[at..end].to_vec();
            text.splice(at..at, copy);
        }
    }
}

fn long_run_cases() -> u32 {
    std::env::var("KO_LOG_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000)
}

#[test]
#[ignore = "long: cargo test --release -p ko-log-config --test fuzz_corpus -- --ignored"]
fn mutated_corpus_never_panics() {
    let seeds: Vec<Vec<u8>> = configs()
        .into_iter()
        .map(|(_, _, text)| text.into_bytes())
        .chain(templates().into_iter().map(String::into_bytes))
        .collect();
    let cases = long_run_cases();
    let mut runner = TestRunner::new(ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let strategy = (0..seeds.len(), prop::collection::vec(edit(), 1..5));
    let start = Instant::now();
    runner
        .run(&strategy, |(seed, edits)| {
            let mut bytes = seeds[seed].clone();
            for edit in &edits {
                apply(&mut bytes, edit, &seeds);
            }
            let text = String::from_utf8_lossy(&bytes);
            check_all_formats(&text).map_err(TestCaseError::fail)?;
            for line in text.lines().take(8) {
                check_template(line).map_err(TestCaseError::fail)?;
            }
            Ok(())
        })
        .unwrap();
    println!(
        "figure: fuzz.mutated_corpus cases={cases} seeds={} formats=3 in {:?}",
        seeds.len(),
        start.elapsed()
    );
}
