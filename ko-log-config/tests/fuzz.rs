//! Property tests: arbitrary input into each parser (and the template parser) never
//! panics, and every refusal carries a location.
//!
//! Each property runs 256 cases; set `KO_LOG_FUZZ_CASES` for a longer hunt.

use ko_log_config::node::Node;
use ko_log_config::{Config, ConfigError, Format, Template};
use proptest::prelude::*;

const FORMATS: [Format; 3] = [Format::Toml, Format::Json, Format::Yaml];

fn fixture(format: Format) -> &'static str {
    match format {
        Format::Toml => include_str!("fixtures/full.toml"),
        Format::Json => include_str!("fixtures/full.json"),
        Format::Yaml => include_str!("fixtures/full.yaml"),
        other => panic!("no fixture for {other:?}"),
    }
}

#[track_caller]
fn assert_located(text: &str, result: Result<impl Sized, ConfigError>) {
    if let Err(e) = result {
        let location = e
            .location()
            .unwrap_or_else(|| panic!("no location for:\n{text:?}\n{e}"));
        let lines = text.split('\n').count();
        assert!(
            location.line >= 1 && location.line <= lines,
            "line out of range:\n{text:?}\n{e}"
        );
        assert!(location.column >= 1, "column 0:\n{text:?}\n{e}");
        // Rendering never panics either.
        let _ = e.to_string();
    }
}

/// Replaces `text[at..at + len]` (snapped to char boundaries) with `insert`.
fn mutate(text: &str, at: usize, len: usize, insert: &str) -> String {
    let snap = |mut i: usize| {
        i = i.min(text.len());
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let start = snap(at);
    let end = snap(start + len);
    format!("{}{insert}{}", &text[..start], &text[end..])
}

fn punctuation() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec![
            "{", "}", "[", "]", "\"", "'", ":", "=", ",", "-", "\n", " ", "#", "${", "$${", "&a",
            "*a", "!!str", "0640", "\u{e9}", "\t", "---", "type", "null", ".", "[[", "]]", "\\",
            "\r\n",
        ]),
        0..6,
    )
    .prop_map(|pieces| pieces.concat())
}

fn cases() -> u32 {
    std::env::var("KO_LOG_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(256)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        for format in FORMATS {
            assert_located(&text, Node::parse(&text, format));
            assert_located(&text, Config::from_str(&text, format));
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let text = String::from_utf8_lossy(&bytes);
        for format in FORMATS {
            assert_located(&text, Config::from_str(&text, format));
        }
    }

    #[test]
    fn mutated_fixtures_never_panic(at in 0usize..2500, len in 0usize..8, insert in punctuation()) {
        for format in FORMATS {
            let text = mutate(fixture(format), at, len, &insert);
            assert_located(&text, Config::from_str(&text, format));
        }
    }

    #[test]
    fn templates_never_panic(text in "[{}a-z:<>^0-9 ]{0,24}|\\PC{0,24}") {
        match Template::parse(&text) {
            Ok(template) => prop_assert_eq!(template.source(), text.as_str()),
            Err(e) => {
                prop_assert!(e.offset <= text.len(), "offset {} past {:?}", e.offset, text);
                prop_assert!(text.is_char_boundary(e.offset));
            }
        }
    }
}

#[test]
fn arbitrary_bytes_in_files_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 48,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let strategy = prop::collection::vec(any::<u8>(), 0..120);
    for (i, ext) in ["toml", "json", "yaml"].iter().enumerate() {
        let path = dir.path().join(format!("f{i}.{ext}"));
        runner
            .run(&strategy, |bytes| {
                std::fs::write(&path, &bytes).unwrap();
                if let Err(e) = Config::from_path(&path) {
                    prop_assert!(e.location().is_some(), "{}", e);
                }
                Ok(())
            })
            .unwrap();
    }
}

#[test]
fn deep_nesting_is_refused_not_overflowed() {
    let depth = 5000;
    let json = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let toml = format!("a = {}{}", "[".repeat(depth), "]".repeat(depth));
    let yaml = format!("a: {}{}", "[".repeat(depth), "]".repeat(depth));
    for (format, text) in [
        (Format::Json, json),
        (Format::Toml, toml),
        (Format::Yaml, yaml),
    ] {
        let e = Config::from_str(&text, format).unwrap_err();
        assert!(e.location().is_some(), "{e}");
    }
}
