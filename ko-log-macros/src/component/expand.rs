//! Code generation for the registration macros: the function unchanged, then, in an
//! anonymous `const`, the reading of its params, a check and a constructor, and their
//! `inventory` registration. For a handler:
//!
//! ```text
//! fn audit_db(params: &AuditParams) -> Result<AuditDb, io::Error> { .. }
//! const _: () = {
//!     fn __ko_log_params_of(params: &Params) -> Result<AuditParams, ko_log::Error> {
//!         let typed = params::<AuditParams>(params)?;       // spanned at AuditParams
//!         checked("handler", "audit_db", params, check_fn(&typed))?;   // with `check = check_fn`
//!         Ok(typed)
//!     }
//!     fn __ko_log_check(params: &Params) -> Result<(), ko_log::Error> { .. }  // the same, dropped
//!     fn __ko_log_construct(params: &Params, handle: &Handle) -> Result<Box<dyn Handler>, ko_log::Error> {
//!         let typed = __ko_log_params_of(params)?;
//!         let value = audit_db(&typed);                     // or audit_db(&typed, handle)
//!         handler("audit_db", params, value)                 // spanned at the return type
//!     }
//!     inventory::submit! { Registration { name: "audit_db", construct: Constructor::Handler(__ko_log_construct), check: __ko_log_check, schema: None, .. } }
//! };
//! ```
//!
//! A renderer is the same with `renderer` and `Renderer`; a processor ends with
//! `Ok(step("add_request_id", value))`, its argument spanned at the return type. The
//! helper calls carry the spans of the params type, the return type and the `check` and
//! `schema` arguments, so a type that does not deserialize, a return type that is not the
//! right kind of component, or a check or schema function of the wrong type, is reported
//! at its own tokens.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{ItemFn, LitStr};

use super::attr::Args;
use super::validate::Shape;
use super::Kind;

/// The function followed by its registration.
pub(crate) fn registration(
    kind: Kind,
    function: &ItemFn,
    shape: &Shape,
    name: &LitStr,
    args: &Args,
) -> TokenStream {
    let ident = &function.sig.ident;
    let function_name = LitStr::new(&ident.unraw().to_string(), ident.span());
    let word = kind.word();
    let ty = match &shape.params {
        Some(ty) => quote!(#ty),
        None => quote!(::ko_log::__private::component::NoParams),
    };
    let read = match &shape.params {
        Some(ty) => quote_spanned! {ty.span()=>
            let __ko_log_typed = ::ko_log::__private::component::params::<#ty>(__ko_log_params)?;
        },
        None => quote! {
            let __ko_log_typed = ::ko_log::__private::component::params::<
                ::ko_log::__private::component::NoParams,
            >(__ko_log_params)?;
        },
    };
    let check = args.check.as_ref().map(|check| {
        quote_spanned! {check.span()=>
            ::ko_log::__private::component::checked(
                #word,
                #name,
                __ko_log_params,
                (#check)(&__ko_log_typed),
            )?;
        }
    });
    let schema = match &args.schema {
        Some(schema) => quote_spanned! {schema.span()=>
            ::core::option::Option::Some(::ko_log::__private::component::schema(#schema))
        },
        None => quote!(::core::option::Option::None),
    };
    let call = match (&shape.params, shape.handle) {
        (Some(_), true) => quote!(#ident(&__ko_log_typed, __ko_log_handle)),
        (Some(_), false) => quote!(#ident(&__ko_log_typed)),
        (None, _) => quote!(#ident()),
    };
    // A handler's constructor is given the handler's handle, used or not.
    let handle = match kind {
        Kind::Handler => quote!(, __ko_log_handle: &::ko_log::handler::Handle),
        _ => quote!(),
    };
    let unused = (kind == Kind::Handler && !shape.handle).then(|| quote!(let _ = __ko_log_handle;));
    let params = quote! {
        let __ko_log_typed = __ko_log_params_of(__ko_log_params)?;
    };
    // The call that boxes the function's result carries the return type's span: rustc
    // points there when the result is not the right kind of component.
    let output = shape.output.span();
    let (component, variant, value, built) = match kind {
        Kind::Processor => (
            quote!(::ko_log::Processor),
            quote!(Processor),
            quote!(__ko_log_step),
            {
                let step = quote_spanned!(output=> __ko_log_step);
                quote! {
                    ::core::result::Result::Ok(::ko_log::__private::component::step(#name, #step))
                }
            },
        ),
        Kind::Handler => (
            quote!(::ko_log::Handler),
            quote!(Handler),
            quote!(__ko_log_handler),
            quote_spanned! {output=>
                ::ko_log::__private::component::handler(#name, __ko_log_params, __ko_log_handler)
            },
        ),
        Kind::Renderer => (
            quote!(::ko_log::Renderer),
            quote!(Renderer),
            quote!(__ko_log_renderer),
            quote_spanned! {output=>
                ::ko_log::__private::component::renderer(#name, __ko_log_params, __ko_log_renderer)
            },
        ),
    };
    let line = quote_spanned!(ident.span()=> ::core::line!());
    let file = quote_spanned!(ident.span()=> ::core::file!());
    quote! {
        #function

        const _: () = {
            fn __ko_log_params_of(
                __ko_log_params: &::ko_log::__private::component::Params,
            ) -> ::core::result::Result<#ty, ::ko_log::Error> {
                #read
                #check
                ::core::result::Result::Ok(__ko_log_typed)
            }
            fn __ko_log_check(
                __ko_log_params: &::ko_log::__private::component::Params,
            ) -> ::core::result::Result<(), ::ko_log::Error> {
                __ko_log_params_of(__ko_log_params).map(::core::mem::drop)
            }
            fn __ko_log_construct(
                __ko_log_params: &::ko_log::__private::component::Params
                #handle
            ) -> ::core::result::Result<
                ::std::boxed::Box<dyn #component>,
                ::ko_log::Error,
            > {
                #unused
                #params
                let #value = #call;
                #built
            }
            ::ko_log::__private::inventory::submit! {
                ::ko_log::__private::component::Registration {
                    name: #name,
                    construct: ::ko_log::__private::component::Constructor::#variant(
                        __ko_log_construct,
                    ),
                    check: __ko_log_check,
                    schema: #schema,
                    function: ::core::concat!(::core::module_path!(), "::", #function_name),
                    file: #file,
                    line: #line,
                }
            }
        };
    }
}
