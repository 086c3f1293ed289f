//! Code generation for `#[processor]`: the function unchanged, then, in an anonymous
//! `const`, a constructor and its `inventory` registration:
//!
//! ```text
//! fn add_request_id(params: &RequestIdParams) -> impl FnMut(&mut Event) -> Action + Send + 'static { .. }
//! const _: () = {
//!     fn __ko_log_construct(params: &Params) -> Result<Box<dyn Process>, ko_log::Error> {
//!         let params = params::<RequestIdParams>(params)?;   // spanned at RequestIdParams
//!         Ok(step("add_request_id", add_request_id(&params)))  // spanned at the return type
//!     }
//!     inventory::submit! { Registration { name: "add_request_id", construct: __ko_log_construct, .. } }
//! };
//! ```
//!
//! The two helper calls carry the spans of the params type and the return type, so a
//! type that does not deserialize, or a return type that is not a step, is reported at
//! its own tokens.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{ItemFn, LitStr};

use super::attr::Shape;

/// The function followed by its registration.
pub(crate) fn registration(function: &ItemFn, shape: &Shape, name: &LitStr) -> TokenStream {
    let ident = &function.sig.ident;
    let function_name = LitStr::new(&ident.unraw_string(), ident.span());
    let (params, call) = match &shape.params {
        Some(ty) => (
            quote_spanned! {ty.span()=>
                let __ko_log_params = ::ko_log::__private::component::params::<#ty>(__ko_log_params)?;
            },
            quote!(#ident(&__ko_log_params)),
        ),
        None => (
            quote! {
                ::ko_log::__private::component::params::<::ko_log::__private::component::NoParams>(
                    __ko_log_params,
                )?;
            },
            quote!(#ident()),
        ),
    };
    let output = &shape.output;
    // The argument carries the return type's span: rustc points there when the step
    // does not have the required bounds.
    let step = quote_spanned!(output.span()=> __ko_log_step);
    let line = quote_spanned!(ident.span()=> ::core::line!());
    let file = quote_spanned!(ident.span()=> ::core::file!());
    quote! {
        #function

        const _: () = {
            fn __ko_log_construct(
                __ko_log_params: &::ko_log::__private::component::Params,
            ) -> ::core::result::Result<
                ::std::boxed::Box<dyn ::ko_log::Process>,
                ::ko_log::Error,
            > {
                #params
                let __ko_log_step = #call;
                ::core::result::Result::Ok(::ko_log::__private::component::step(#name, #step))
            }
            ::ko_log::__private::inventory::submit! {
                ::ko_log::__private::component::Registration {
                    name: #name,
                    construct: ::ko_log::__private::component::Constructor::Processor(
                        __ko_log_construct,
                    ),
                    function: ::core::concat!(::core::module_path!(), "::", #function_name),
                    file: #file,
                    line: #line,
                }
            }
        };
    }
}

/// `r#type` → `type`.
trait UnrawString {
    fn unraw_string(&self) -> String;
}

impl UnrawString for syn::Ident {
    fn unraw_string(&self) -> String {
        syn::ext::IdentExt::unraw(self).to_string()
    }
}
