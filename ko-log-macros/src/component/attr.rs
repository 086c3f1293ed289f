//! Parsing a registration macro's arguments, the same for every [`Kind`]:
//!
//! ```text
//! #[handler]                      registered under the function's name
//! #[handler(name = "audit")]      registered under another name
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
}

/// Parses `name = "..."`, collecting mistakes into `errors`.
pub(crate) fn parse(kind: Kind, tokens: TokenStream, errors: &mut Errors) -> Args {
    let parser = |input: ParseStream<'_>| {
        Punctuated::<(Ident, Option<Expr>), Token![,]>::parse_terminated_with(input, |input| {
            if !input.peek(Ident::peek_any) {
                return Err(input.error("expected `name = \"...\"`"));
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
    let mut seen_name = false;
    for (key, value) in entries {
        let key_name = key.unraw().to_string();
        if key_name != "name" {
            errors.at(
                key.span(),
                format!(
                    "unknown argument `{key_name}`: expected `name = \"...\"`{}",
                    did_you_mean(&key_name, &["name"])
                ),
            );
            continue;
        }
        if seen_name {
            errors.at(key.span(), "duplicate argument `name`");
            continue;
        }
        seen_name = true;
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
