//! `#[processor]`, `#[handler]` and `#[renderer]`: one implementation for the three
//! registration macros. Each turns a function that builds a component from its params
//! into a registration in ko-log's one registry of components; they differ only in the
//! words of their errors, the shape they ask for and what the registration builds, all
//! named by [`Kind`].
//!
//! Parse the arguments ([`attr`]), check the function's shape ([`validate`]), then
//! register it ([`expand`]); on any error, the user's item unchanged plus every error.

use proc_macro2::TokenStream;
use quote::quote;
use syn::ext::IdentExt;
use syn::{ItemFn, LitStr};

use crate::errors::Errors;

mod attr;
mod expand;
mod validate;

/// The kind of component a registration macro registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `#[processor]`: the function returns the step run on each record.
    Processor,
    /// `#[handler]`: the function returns a `ko_log::Handler` (or a `Result` of one).
    Handler,
    /// `#[renderer]`: the function returns a `ko_log::Renderer` (or a `Result` of one).
    Renderer,
}

impl Kind {
    /// The kind in the user's words, as the config and the macro's name say it.
    pub(crate) fn word(self) -> &'static str {
        match self {
            Kind::Processor => "processor",
            Kind::Handler => "handler",
            Kind::Renderer => "renderer",
        }
    }

    /// The signature the errors suggest.
    pub(crate) fn shape(self) -> &'static str {
        match self {
            Kind::Processor => {
                "fn name(params: &Params) -> impl FnMut(&mut ko_log::Event) -> ko_log::Action + Send + 'static"
            }
            Kind::Handler => "fn name(params: &Params) -> impl ko_log::Handler",
            Kind::Renderer => "fn name(params: &Params) -> impl ko_log::Renderer",
        }
    }

    /// A typical `type` name, for the example in an error.
    pub(crate) fn example_name(self) -> &'static str {
        match self {
            Kind::Processor => "add_request_id",
            Kind::Handler => "audit_db",
            Kind::Renderer => "compact",
        }
    }

    /// Why the function cannot be `async`.
    pub(crate) fn why_not_async(self) -> &'static str {
        match self {
            Kind::Processor => "it runs on the dispatcher thread, once per record",
            Kind::Handler | Kind::Renderer => "ko-log builds it once, at init, which cannot await",
        }
    }

    /// The error for a function without a return type.
    pub(crate) fn missing_return(self) -> &'static str {
        match self {
            Kind::Processor => {
                "a processor returns the step run on each record: add `-> impl FnMut(&mut ko_log::Event) -> ko_log::Action + Send + 'static`"
            }
            Kind::Handler => {
                "a handler function returns the handler it builds: add `-> MyHandler` or `-> Result<MyHandler, MyError>`, where `MyHandler` implements `ko_log::Handler`"
            }
            Kind::Renderer => {
                "a renderer function returns the renderer it builds: add `-> MyRenderer` or `-> Result<MyRenderer, MyError>`, where `MyRenderer` implements `ko_log::Renderer`"
            }
        }
    }
}

/// `#[processor(args)] item`, `#[handler(args)] item` or `#[renderer(args)] item`.
pub(crate) fn attribute(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let args = attr::parse(kind, args, &mut errors);
    let function = match syn::parse2::<ItemFn>(item.clone()) {
        Ok(function) => function,
        Err(_) => {
            errors.at(
                crate::errors::item_name_span(&item),
                format!(
                    "#[ko_log::{}] goes on a function of the shape `{}`",
                    kind.word(),
                    kind.shape()
                ),
            );
            return fallback(&errors, &item);
        }
    };
    let shape = validate::shape(kind, &function, &mut errors);
    if let (Some(check), Some(shape)) = (&args.check, &shape) {
        if shape.params.is_none() {
            errors.at(
                syn::spanned::Spanned::span(check),
                format!(
                    "`check` runs on the {}'s params, and this function takes none: add `params: &MyParams`, or remove `check`",
                    kind.word()
                ),
            );
        }
    }
    let name = match args.name.clone() {
        Some(name) => Some(name),
        None => {
            let ident = &function.sig.ident;
            let name = ident.unraw().to_string();
            match attr::bad_name(kind, &name) {
                Some(problem) => {
                    errors.at(ident.span(), problem);
                    None
                }
                None => Some(LitStr::new(&name, ident.span())),
            }
        }
    };
    match (shape, name) {
        (Some(shape), Some(name)) if errors.is_empty() => {
            expand::registration(kind, &function, &shape, &name, &args)
        }
        _ => fallback(&errors, &item),
    }
}

/// Every error, then the user's item unchanged, so rustc reports the rest.
fn fallback(errors: &Errors, item: &TokenStream) -> TokenStream {
    let errors = errors.to_compile_errors();
    quote!(#errors #item)
}
