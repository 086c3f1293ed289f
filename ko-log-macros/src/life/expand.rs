//! Code generation for `#[life]` and `life_guard!`.
//!
//! A sync function keeps its body and gains a guard in front of it; its drop logs `End`
//! (or `Panicked` while unwinding), which covers `return`, `?` and panics alike:
//!
//! ```text
//! fn migrate(version: u32) {
//!     let __ko_log_life = { static SITE; Life::start(&SITE, |fields| fields.push(("version", value(&version)))) };
//!     <the body's statements>
//! }
//! ```
//!
//! A function returning `Result` (unless `err = false`) runs its body through a closure
//! to see the value: on `Err` the guard ends with `Failed` and the error as a field. An
//! `async fn` runs its body in an inner `async move` block; the guard ends explicitly after
//! it, so a future dropped mid-way ends it with `Cancelled` instead.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::visit_mut::VisitMut;
use syn::{ItemFn, ReturnType, Type};

use super::attr::{Capture, LifeArgs};

/// `static __KO_LOG_SITE` and the guard's construction, as one block expression.
/// `file!()` and `line!()` are spanned at `at` (the function's name, or the macro call).
pub(crate) fn start(args: &LifeArgs, is_async: bool, at: Span) -> TokenStream {
    let label = &args.label;
    let level = match &args.level {
        Some(variant) => quote!(#variant),
        None => quote!(Info),
    };
    let target = match &args.target {
        Some(target) => quote!(#target),
        None => quote!(::core::module_path!()),
    };
    let file = quote_spanned!(at=> ::core::file!());
    let line = quote_spanned!(at=> ::core::line!());
    let start = if is_async {
        quote!(start_async)
    } else {
        quote!(start)
    };
    let pushes = args.fields.iter().map(|field| {
        let key = syn::LitStr::new(&field.key, field.key_span);
        let span = field.value.span();
        let value = &field.value;
        let value = match value {
            syn::Expr::Path(_)
            | syn::Expr::Lit(_)
            | syn::Expr::Field(_)
            | syn::Expr::MethodCall(_)
            | syn::Expr::Call(_)
            | syn::Expr::Index(_)
            | syn::Expr::Paren(_)
            | syn::Expr::Macro(_) => quote!(#value),
            _ => quote!((#value)),
        };
        let capture = match field.capture {
            Capture::Value => {
                quote_spanned!(span=> ::ko_log::__private::life::value(&#value))
            }
            Capture::Display => {
                quote_spanned!(span=> ::ko_log::__private::life::display(&#value))
            }
            Capture::Debug => {
                quote_spanned!(span=> ::ko_log::__private::life::debug(&#value))
            }
            Capture::Error => {
                quote_spanned!(span=> ::ko_log::__private::life::error(&#value))
            }
        };
        quote!(__ko_log_fields.push((#key, #capture));)
    });
    quote! {
        {
            static __KO_LOG_SITE: ::ko_log::__private::life::Site = ::ko_log::__private::life::Site {
                label: #label,
                level: ::ko_log::__private::log::Level::#level,
                target: #target,
                module_path: ::core::option::Option::Some(::core::module_path!()),
                file: #file,
                line: #line,
            };
            ::ko_log::__private::life::Life::#start(&__KO_LOG_SITE, |__ko_log_fields| {
                #(#pushes)*
            })
        }
    }
}

/// Whether the return type looks like a `Result` (its last path segment is `Result`:
/// `Result<T, E>`, `io::Result<T>`, `anyhow::Result<T>`).
pub(crate) fn returns_result(output: &ReturnType) -> bool {
    match output {
        ReturnType::Type(_, ty) => match &**ty {
            Type::Path(path) => path
                .path
                .segments
                .last()
                .is_some_and(|segment| segment.ident == "Result"),
            _ => false,
        },
        ReturnType::Default => false,
    }
}

/// The return type usable as a `let` annotation inside the body: `impl Trait` becomes
/// `_` (the compiler knows the concrete type there).
fn annotation(output: &ReturnType) -> TokenStream {
    struct ImplToInfer;
    impl VisitMut for ImplToInfer {
        fn visit_type_mut(&mut self, ty: &mut Type) {
            if let Type::ImplTrait(it) = ty {
                *ty = Type::Infer(syn::TypeInfer {
                    underscore_token: syn::Token![_](it.impl_token.span),
                });
            } else {
                syn::visit_mut::visit_type_mut(self, ty);
            }
        }
    }
    match output {
        ReturnType::Type(_, ty) => {
            let mut ty = (**ty).clone();
            ImplToInfer.visit_type_mut(&mut ty);
            quote!(#ty)
        }
        ReturnType::Default => quote!(()),
    }
}

/// The error on its way to the `Failed` line, chosen by what the error implements.
fn error_value() -> TokenStream {
    quote! {
        {
            #[allow(unused_imports)]
            use ::ko_log::__private::life::{
                ViaDebug as _, ViaDisplay as _, ViaError as _, ViaTypeName as _,
            };
            (&&&::ko_log::__private::life::ErrorField(__ko_log_error)).ko_log_error_value()
        }
    }
}

/// `Some(error)` when the result is an `Err`, through `LifeResult`, spanned at `at` (the
/// `err = true` argument or the return type) so a function that does not return a
/// `Result` is reported there.
fn result_error(at: Span) -> TokenStream {
    quote_spanned! {at=>
        ::ko_log::__private::life::LifeResult::life_error(&__ko_log_result)
    }
}

/// The function with its body wrapped. `check_err` is the span of what asked for the
/// `Failed` line (`err = true`, or the `Result` return type), if anything did.
pub(crate) fn function(item: &ItemFn, args: &LifeArgs, check_err: Option<Span>) -> TokenStream {
    let ItemFn {
        attrs,
        vis,
        sig,
        block,
    } = item;
    let is_async = sig.asyncness.is_some();
    let start = start(args, is_async, sig.ident.span());
    let ty = annotation(&sig.output);
    let body = if is_async {
        let end = if let Some(at) = check_err {
            let error = error_value();
            let result_error = result_error(at);
            quote! {
                __ko_log_life.finish(match #result_error {
                    ::core::option::Option::Some(__ko_log_error) => ::core::option::Option::Some(#error),
                    ::core::option::Option::None => ::core::option::Option::None,
                });
            }
        } else {
            quote!(__ko_log_life.finish(::core::option::Option::None);)
        };
        quote! {
            let __ko_log_life = #start;
            let __ko_log_result: #ty = async move #block.await;
            #end
            __ko_log_result
        }
    } else if let Some(at) = check_err {
        let error = error_value();
        let result_error = result_error(at);
        quote! {
            let __ko_log_life = #start;
            let __ko_log_result: #ty = ::ko_log::__private::life::call_once(move || #block);
            if let ::core::option::Option::Some(__ko_log_error) = #result_error {
                __ko_log_life.finish(::core::option::Option::Some(#error));
            }
            __ko_log_result
        }
    } else {
        let stmts = &block.stmts;
        quote! {
            let __ko_log_life = #start;
            #(#stmts)*
        }
    };
    quote! {
        #(#attrs)*
        #vis #sig {
            #body
        }
    }
}
