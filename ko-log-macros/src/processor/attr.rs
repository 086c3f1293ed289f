//! Parsing `#[processor(...)]`'s arguments and checking the function's shape:
//!
//! ```text
//! #[processor]                      registered under the function's name
//! #[processor(name = "request_id")] registered under another name
//! fn name(params: &Params) -> impl FnMut(&mut Event) -> Action + Send + 'static
//! fn name() -> impl FnMut(&mut Event) -> Action + Send + 'static   (no params)
//! ```
//!
//! What only the compiler can check (the params type is `DeserializeOwned`, the return
//! type is a step) is left to the generated code, spanned at those types.

use proc_macro2::{Span, TokenStream};
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, FnArg, Ident, ItemFn, Lit, LitStr, ReturnType, Token, Type};

use crate::errors::{did_you_mean, Errors};

/// The signature the errors suggest.
pub(crate) const SHAPE: &str =
    "fn name(params: &Params) -> impl FnMut(&mut ko_log::Event) -> ko_log::Action + Send + 'static";

/// The arguments.
#[derive(Default)]
pub(crate) struct ProcessorArgs {
    /// `name = "..."`.
    pub name: Option<LitStr>,
}

/// Parses `name = "..."`, collecting mistakes into `errors`.
pub(crate) fn parse(tokens: TokenStream, errors: &mut Errors) -> ProcessorArgs {
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
            return ProcessorArgs::default();
        }
    };
    let mut args = ProcessorArgs::default();
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
                if let Some(problem) = bad_name(&lit.value()) {
                    errors.at(lit.span(), problem);
                } else {
                    args.name = Some(lit);
                }
            }
            Some(other) => errors.at(
                other.span(),
                "expected the processor's `type` name as a string: `name = \"add_request_id\"`",
            ),
            None => errors.at(key.span(), "expected a value: `name = \"...\"`"),
        }
    }
    args
}

/// Why `name` cannot be a processor's `type`, if it cannot.
pub(crate) fn bad_name(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("the processor's name cannot be empty".to_owned());
    }
    if name.chars().any(char::is_whitespace) {
        return Some(format!(
            "the processor's name `{name}` cannot contain whitespace"
        ));
    }
    None
}

/// The checked shape of the function.
pub(crate) struct Shape {
    /// The params type (`MyParams` of `params: &MyParams`), or `None` for no params.
    pub params: Option<Type>,
    /// The return type.
    pub output: Type,
}

/// Checks `function` against the processor shape, collecting mistakes into `errors`.
pub(crate) fn shape(function: &ItemFn, errors: &mut Errors) -> Option<Shape> {
    let before = errors.is_empty();
    let sig = &function.sig;
    if let Some(asyncness) = &sig.asyncness {
        errors.at(
            asyncness.span(),
            "a processor cannot be `async`: it runs on the dispatcher thread, once per record",
        );
    }
    if let Some(unsafety) = &sig.unsafety {
        errors.at(
            unsafety.span(),
            "a processor cannot be `unsafe fn`: ko-log calls it from safe code",
        );
    }
    if let Some(param) = sig.generics.type_params().next() {
        errors.at(
            param.span(),
            "a processor cannot be generic: ko-log calls one instance, by name",
        );
    } else if let Some(param) = sig.generics.const_params().next() {
        errors.at(
            param.span(),
            "a processor cannot be generic: ko-log calls one instance, by name",
        );
    }
    if let Some(variadic) = &sig.variadic {
        errors.at(
            variadic.span(),
            format!("a processor has the shape `{SHAPE}`"),
        );
    }
    let mut params = None;
    for (index, input) in sig.inputs.iter().enumerate() {
        match input {
            FnArg::Receiver(receiver) => errors.at(
                receiver.span(),
                "a processor is a free function, not a method: ko-log calls it without a `self`",
            ),
            FnArg::Typed(_) if index > 0 => errors.at(
                input.span(),
                format!(
                    "a processor takes one argument, its params: `{SHAPE}` (or none, for a processor without params)"
                ),
            ),
            FnArg::Typed(typed) => match &*typed.ty {
                Type::Reference(reference) => {
                    if let Some(mutability) = &reference.mutability {
                        errors.at(
                            mutability.span(),
                            "a processor reads its params through a shared reference: `params: &Params`, not `&mut`",
                        );
                    } else {
                        params = Some((*reference.elem).clone());
                    }
                }
                other => errors.at(
                    other.span(),
                    "a processor takes its params by reference: `params: &Params`",
                ),
            },
        }
    }
    let output = match &sig.output {
        ReturnType::Type(_, ty) => Some((**ty).clone()),
        ReturnType::Default => {
            errors.at(
                sig.paren_token.span.close(),
                "a processor returns the step run on each record: add `-> impl FnMut(&mut ko_log::Event) -> ko_log::Action + Send + 'static`",
            );
            None
        }
    };
    match output {
        Some(output) if before && errors.is_empty() => Some(Shape { params, output }),
        _ => None,
    }
}

/// Where a bad item is reported: see [`crate::errors::item_name_span`].
pub(crate) fn item_span(item: &TokenStream) -> Span {
    crate::errors::item_name_span(item)
}
