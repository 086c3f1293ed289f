//! Procedural macros for ko-log: `#[life]`, `life_guard!`, and the registration macros
//! `#[processor]`, `#[handler]` and `#[renderer]`.
//!
//! Use them through the `ko-log` crate (`#[ko_log::life]`, `ko_log::life_guard!`,
//! `#[ko_log::processor]`, `#[ko_log::handler]`, `#[ko_log::renderer]`), whose
//! `docs/MACROS.md` is the guide. The three registration macros share one implementation
//! (`component`), told apart by the kind of component they register. Each macro is split
//! by phase: `attr.rs` parses and validates its arguments, `validate.rs` (or `mod.rs`, for
//! `life`) checks the item, `expand.rs` generates the code; `mod.rs` strings them together
//! and, on error, still emits the user's item next to the errors so rustc reports the
//! rest. Every error is a [`syn::Error`] with the span of the offending tokens, all of
//! them collected; the macros never panic. Generated code reaches ko-log only through
//! `::ko_log::__private` and names its locals `__ko_log_*`.

#![warn(missing_docs)]
#![forbid(unsafe_code)]

use proc_macro::TokenStream;

mod component;
mod deferred;
mod errors;
mod life;
#[cfg(test)]
mod snapshots;

/// Times a function: logs `Begin: <label>` when it starts and `End (s.ss): <label>` when
/// it returns (also on early `return` and `?`), `Failed (s.ss): <label>` at error level
/// when it returns `Err`, `Panicked (s.ss): <label>` when a panic unwinds through it and,
/// for an `async fn` dropped before completing, `Cancelled (s.ss): <label>`.
///
/// ```ignore
/// #[ko_log::life("Database migration", level = "debug", fields(version, dry_run = opts.dry_run))]
/// fn migrate(version: u32, opts: &Options) -> Result<(), MigrationError> { .. }
/// ```
///
/// Arguments after the label (each at most once): `level = "debug"` (default `info`),
/// `target = "..."` (default the module path), `fields(...)` (key-values on every line:
/// `name`, `name = expr`, `name:% = expr` for `Display`, `name:? = expr` for `Debug`,
/// `name:err = expr` for an error), `err = false` (no `Failed` line: a `Result` ends with
/// `End` either way) or `err = true` (for a `Result` behind an alias not named `Result`).
///
/// When the level is disabled, the function runs as if undecorated but for one check:
/// no clock read, no field evaluated, no allocation.
#[proc_macro_attribute]
pub fn life(args: TokenStream, item: TokenStream) -> TokenStream {
    life::attribute(args.into(), item.into()).into()
}

/// A life for a block: `let _life = ko_log::life_guard!("Database query", fields(table = "users"));`
/// logs `Begin: Database query` now and `End (s.ss): Database query` when `_life` drops.
///
/// Takes the same arguments as `#[ko_log::life]` but `err`; evaluates to a `ko_log::Life`.
#[proc_macro]
pub fn life_guard(input: TokenStream) -> TokenStream {
    life::guard(input.into()).into()
}

/// Registers a function as a custom processor, named in configs by its name (or
/// `name = "..."`):
///
/// ```ignore
/// #[derive(serde::Deserialize)]
/// #[serde(deny_unknown_fields)]
/// struct RequestIdParams { header: String }
///
/// #[ko_log::processor]
/// fn add_request_id(params: &RequestIdParams) -> impl FnMut(&mut ko_log::Event) -> ko_log::Action + Send + 'static {
///     let header = params.header.clone();
///     move |event| { event.fields.insert_default("request_id", header.clone()); ko_log::Action::Keep }
/// }
/// ```
///
/// The function takes its params by reference (any `serde::de::DeserializeOwned` type, or
/// no argument for a processor without params) and returns the step run on every record.
/// A wrong signature fails to compile with an error at the offending tokens.
#[proc_macro_attribute]
pub fn processor(args: TokenStream, item: TokenStream) -> TokenStream {
    component::attribute(component::Kind::Processor, args.into(), item.into()).into()
}

/// Registers a function as a custom handler, named in configs by its name (or
/// `name = "..."`), its params beside `type` as a built-in handler's are:
///
/// ```ignore
/// #[derive(serde::Deserialize)]
/// #[serde(deny_unknown_fields)]
/// struct AuditParams { table: String }
///
/// #[ko_log::handler]                    // [handlers.audit] type = "audit_db", table = "log"
/// fn audit_db(params: &AuditParams) -> Result<AuditDb, std::io::Error> {
///     AuditDb::connect(&params.table)   // AuditDb: ko_log::Handler
/// }
/// ```
///
/// The function takes its params by reference (any `serde::de::DeserializeOwned` type, or
/// no argument for a handler without params: then any key but those every handler has,
/// `type`, `renderer`, `processors` and `level`, is refused) and returns the handler: a
/// type implementing `ko_log::Handler`, or a `Result` of one whose error is a
/// `std::error::Error + Send + Sync + 'static`. ko-log calls it once at init for each
/// handler table naming it; an `Err` refuses init with a config error located at that
/// table's `type`. A wrong signature fails to compile with an error at the offending
/// tokens.
#[proc_macro_attribute]
pub fn handler(args: TokenStream, item: TokenStream) -> TokenStream {
    component::attribute(component::Kind::Handler, args.into(), item.into()).into()
}

/// Registers a function as a custom renderer, named in configs by its name (or
/// `name = "..."`), its params beside `type` as a built-in renderer's are:
///
/// ```ignore
/// #[derive(serde::Deserialize)]
/// #[serde(deny_unknown_fields)]
/// struct CompactParams { width: usize }
///
/// #[ko_log::renderer]                   // renderer = { type = "compact", width = 80 }
/// fn compact(params: &CompactParams) -> Compact {
///     Compact { width: params.width }   // Compact: ko_log::Renderer
/// }
/// ```
///
/// The function takes its params by reference (any `serde::de::DeserializeOwned` type, or
/// no argument for a renderer without params: then any key but `type` is refused) and
/// returns the renderer: a type implementing `ko_log::Renderer`, or a `Result` of one whose
/// error is a `std::error::Error + Send + Sync + 'static`. ko-log calls it once at init
/// for each handler whose `renderer` names it; an `Err` refuses init with a config error
/// located at that renderer's `type`. A wrong signature fails to compile with an error at
/// the offending tokens.
#[proc_macro_attribute]
pub fn renderer(args: TokenStream, item: TokenStream) -> TokenStream {
    component::attribute(component::Kind::Renderer, args.into(), item.into()).into()
}

/// The deferred part of `ko_log::info!` and its siblings (called by `ko_log::log!` after
/// its level check; not public API): parses the format string and generates the code
/// that copies the arguments and the function that formats them on the dispatcher.
#[doc(hidden)]
#[proc_macro]
pub fn __deferred(input: TokenStream) -> TokenStream {
    deferred::expand(input.into()).into()
}
