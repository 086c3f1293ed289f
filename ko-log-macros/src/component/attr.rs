//! Parsing a registration macro's arguments, the same for every [`Kind`]:
//!
//! ```text
//! #[handler]                      registered under the function's name
//! #[handler(name = "audit")]      registered under another name
//! #[handler(check = check_fn)]    check_fn(&params) runs before the function, and in
//!                                 ko_log::check, which builds nothing
//! #[handler(schema = schema_fn)]  schema_fn() -> serde_json::Value: the JSON Schema of
//!                                 the params, for ko_log::schema
//! ```

use proc_macro2::TokenStream;
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, Ident, Lit, LitStr, Token};

use super::Kind;
use crate::errors::{did_you_mean, Errors};

/// The arguments.
#[derive(Default)]
pub(crate) struct Args {
    /// `name = "..."`.
    pub name: Option<LitStr>,
    /// `check = expr`: called with the params before the function.
    pub check: Option<Expr>,
    /// `schema = expr`: a `fn() -> serde_json::Value`.
    pub schema: Option<Expr>,
}

/// What the arguments can be, for the errors.
const EXPECTED: &str = "expected `name = \"...\"`, `check = path` or `schema = path`";

/// The argument names.
const ARGUMENTS: &[&str] = &["name", "check", "schema"];

/// Parses `name = "..."`, `check = expr` and `schema = expr`, collecting mistakes into
/// `errors`.
pub(crate) fn parse(kind: Kind, tokens: TokenStream, errors: &mut Errors) -> Args {
    let parser = |input: ParseStream<'_>| {
        Punctuated::<(Ident, Option<Expr>), Token![,]>::parse_terminated_with(input, |input| {
            if !input.peek(Ident::peek_any) {
                return Err(input.error(EXPECTED));
            }
            let key = input.call(Ident::parse_any)?;
            let value = if input.peek(Token![=]) {
                input.parse::<Token![=]>()?;
                Some(input.parse()?)
            } else {
                None
            };
            Ok((key, value))
        })
    };
    let entries = match parser.parse2(tokens) {
        Ok(entries) => entries,
        Err(error) => {
            errors.push(error);
            return Args::default();
        }
    };
    let mut args = Args::default();
    let mut seen: Vec<String> = Vec::new();
    for (key, value) in entries {
        let key_name = key.unraw().to_string();
        if !ARGUMENTS.contains(&key_name.as_str()) {
            errors.at(
                key.span(),
                format!(
                    "unknown argument `{key_name}`: {EXPECTED}{}",
                    did_you_mean(&key_name, ARGUMENTS)
                ),
            );
            continue;
        }
        if seen.contains(&key_name) {
            errors.at(key.span(), format!("duplicate argument `{key_name}`"));
            continue;
        }
        seen.push(key_name.clone());
        if key_name != "name" {
            match value {
                Some(value) if key_name == "check" => args.check = Some(value),
                Some(value) => args.schema = Some(value),
                None => errors.at(
                    key.span(),
                    format!("expected a value: `{key_name} = path::to::function`"),
                ),
            }
            continue;
        }
        match value {
            Some(Expr::Lit(syn::ExprLit {
                lit: Lit::Str(lit), ..
            })) => {
                if let Some(problem) = bad_name(kind, &lit.value()) {
                    errors.at(lit.span(), problem);
                } else {
                    args.name = Some(lit);
                }
            }
            Some(other) => errors.at(
                other.span(),
                format!(
                    "expected the {}'s `type` name as a string: `name = \"{}\"`",
                    kind.word(),
                    kind.example_name()
                ),
            ),
            None => errors.at(key.span(), "expected a value: `name = \"...\"`"),
        }
    }
    args
}

/// Why `name` cannot be a component's `type`, if it cannot.
pub(crate) fn bad_name(kind: Kind, name: &str) -> Option<String> {
    let what = kind.word();
    if name.is_empty() {
        return Some(format!("the {what}'s name cannot be empty"));
    }
    if name.chars().any(char::is_whitespace) {
        return Some(format!(
            "the {what}'s name `{name}` cannot contain whitespace"
        ));
    }
    None
}
