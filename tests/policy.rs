//! The project's policies, checked rather than only kept: no `unsafe` in the libraries,
//! no `unwrap`/`expect`/`panic!` on ko-log's non-test code (clippy denies them; this
//! checks the lint stays on), and ko-log pinned to its macro crate's exact version.

fn read(path: &str) -> String {
    let full = format!("{}/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

/// The crate-level attributes of a crate root (each `#![...]`, white space removed, so
/// rustfmt's line breaks do not matter).
fn inner_attributes(lib: &str) -> Vec<String> {
    let text: String = read(lib).split_whitespace().collect();
    text.split("#![")
        .skip(1)
        .map(|rest| {
            let mut depth = 1;
            let end = rest
                .char_indices()
                .find(|&(_, c)| {
                    depth += match c {
                        '[' => 1,
                        ']' => -1,
                        _ => 0,
                    };
                    depth == 0
                })
                .map_or(rest.len(), |(at, _)| at);
            format!("#![{}]", &rest[..end])
        })
        .collect()
}

#[test]
fn the_libraries_forbid_unsafe_code() {
    for lib in [
        "ko-log/src/lib.rs",
        "ko-log-config/src/lib.rs",
        "ko-log-macros/src/lib.rs",
        "ko-log-cli/src/lib.rs",
    ] {
        assert!(
            inner_attributes(lib)
                .iter()
                .any(|a| a == "#![forbid(unsafe_code)]"),
            "{lib} does not forbid unsafe code"
        );
    }
}

#[test]
fn ko_log_denies_unwrap_expect_and_panic_outside_tests() {
    for lib in ["ko-log/src/lib.rs", "ko-log-cli/src/lib.rs"] {
        assert!(
            inner_attributes(lib).iter().any(|a| {
                a
                == "#![cfg_attr(not(test),deny(clippy::unwrap_used,clippy::expect_used,clippy::panic))]"
            }),
            "{lib} lost its clippy denials"
        );
    }
}

#[test]
fn ko_log_pins_its_macro_crate_exactly() {
    let manifest = read("ko-log/Cargo.toml");
    let line = manifest
        .lines()
        .find(|line| line.starts_with("ko-log-macros"))
        .expect("ko-log depends on ko-log-macros");
    let version = read("ko-log-macros/Cargo.toml");
    let workspace = read("Cargo.toml");
    let current = workspace
        .lines()
        .find_map(|l| l.strip_prefix("version = \""))
        .and_then(|v| v.strip_suffix('"'))
        .expect("the workspace version");
    assert!(version.contains("version.workspace = true"));
    assert!(
        line.contains(&format!("version = \"={current}\"")),
        "not pinned with `=`: {line}"
    );
}
