//! The expansions of a few typical uses, pretty-printed and pinned in
//! `tests/expand/*.expanded.rs` (what `cargo expand` would show for the macro's part).
//! `docs/MACROS.md` quotes them. After a deliberate change to the generated code, run
//! `KO_LOG_BLESS=1 cargo test -p ko-log-macros` and read the new files.

use proc_macro2::TokenStream;

/// Expands `#[ko_log::<macro>(args)] item` and compares it with the pinned snapshot.
fn check(name: &str, expanded: TokenStream) {
    let file = syn::parse2::<syn::File>(expanded).expect("the expansion parses as a file");
    let pretty = prettyplease::unparse(&file);
    let path = format!(
        "{}/tests/expand/{name}.expanded.rs",
        env!("CARGO_MANIFEST_DIR")
    );
    if std::env::var_os("KO_LOG_BLESS").is_some() {
        std::fs::write(&path, &pretty).expect("write the snapshot");
        return;
    }
    let pinned = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        pinned == pretty,
        "the expansion of {name} changed; run with KO_LOG_BLESS=1 to update {path}:\n{pretty}"
    );
}

fn tokens(text: &str) -> TokenStream {
    text.parse().expect("tokens")
}

#[test]
fn life_on_a_sync_function() {
    check(
        "life_sync",
        crate::life::attribute(
            tokens(r#""Database migration", level = "debug", fields(version, dry_run = !apply)"#),
            tokens("fn migrate(version: u32, apply: bool) -> usize { run(version, apply) }"),
        ),
    );
}

#[test]
fn life_on_a_result_function() {
    check(
        "life_result",
        crate::life::attribute(
            tokens(r#""Load schema""#),
            tokens(
                "fn load(path: &Path) -> Result<Schema, LoadError> { let text = read(path)?; parse(&text) }",
            ),
        ),
    );
}

#[test]
fn life_on_an_async_function() {
    check(
        "life_async",
        crate::life::attribute(
            tokens(r#""Fetch", fields(url:% = url)"#),
            tokens(
                "async fn fetch(url: &Url) -> std::io::Result<Bytes> { client().get(url).await }",
            ),
        ),
    );
}

#[test]
fn life_guard() {
    check("life_guard", {
        // An expression: shown in `let _life = ko_log::life_guard!(...);`.
        let guard = crate::life::guard(tokens(r#""Database query", fields(table = "users")"#));
        quote::quote!(fn query() { let _life = #guard; run_query(); })
    });
}

#[test]
fn processor() {
    check(
        "processor",
        crate::component::attribute(
            crate::component::Kind::Processor,
            TokenStream::new(),
            tokens(
                "fn add_request_id(params: &RequestIdParams) -> impl FnMut(&mut Event) -> Action + Send + 'static { let id = params.request_id.clone(); move |event| { event.fields.insert_default(\"request_id\", id.clone()); Action::Keep } }",
            ),
        ),
    );
}

#[test]
fn handler() {
    check(
        "handler",
        crate::component::attribute(
            crate::component::Kind::Handler,
            TokenStream::new(),
            tokens(
                "fn audit_db(params: &AuditParams) -> Result<AuditDb, std::io::Error> { AuditDb::connect(&params.table) }",
            ),
        ),
    );
}

#[test]
fn renderer() {
    check(
        "renderer",
        crate::component::attribute(
            crate::component::Kind::Renderer,
            tokens(r#"name = "compact""#),
            tokens("fn compact_renderer() -> Compact { Compact::default() }"),
        ),
    );
}

/// `docs/MACROS.md` quotes the expansions; each quote tagged `<!-- expansion: NAME ... -->`
/// must be the pinned snapshot, so the document cannot drift from what the macros emit.
#[test]
fn the_expansions_quoted_in_the_docs_are_the_pinned_ones() {
    let doc_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/MACROS.md");
    let doc = std::fs::read_to_string(doc_path).expect("docs/MACROS.md");
    let mut quoted = 0;
    for (at, _) in doc.match_indices("<!-- expansion: ") {
        let tag = &doc[at + "<!-- expansion: ".len()..];
        let name = tag.split([' ', '-']).next().unwrap_or_default();
        let block = tag
            .split_once("```rust,ignore\n")
            .and_then(|(_, rest)| rest.split_once("\n```"))
            .map(|(block, _)| block)
            .unwrap_or_default();
        let path = format!(
            "{}/tests/expand/{name}.expanded.rs",
            env!("CARGO_MANIFEST_DIR")
        );
        let pinned = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(
            block,
            pinned.trim_end(),
            "docs/MACROS.md quotes {name} wrongly"
        );
        quoted += 1;
    }
    assert_eq!(quoted, 5, "the five expansions are quoted");
}
