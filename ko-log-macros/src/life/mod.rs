//! `#[life]` and `life_guard!`: parse ([`attr`]), check the item, expand ([`expand`]); on
//! any error, the user's item unchanged plus every error.

use proc_macro2::TokenStream;
use quote::quote;
use syn::spanned::Spanned;
use syn::ItemFn;

use crate::errors::Errors;

mod attr;
mod expand;

use self::attr::Mode;

/// `#[life(args)] item`.
pub(crate) fn attribute(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let args = attr::parse(args, Mode::Attribute, &mut errors);
    let function = match syn::parse2::<ItemFn>(item.clone()) {
        Ok(function) => function,
        Err(_) => {
            errors.push(not_a_function(&item));
            let errors = errors.to_compile_errors();
            return quote!(#errors #item);
        }
    };
    if let Some(constness) = &function.sig.constness {
        errors.at(
            constness.span(),
            "#[ko_log::life] cannot time a `const fn`: it reads the clock at run time",
        );
    }
    let check_err = match &args.err {
        Some(err) => err.value.then(|| err.span()),
        None => expand::returns_result(&function.sig.output).then(|| function.sig.output.span()),
    };
    if !errors.is_empty() {
        let errors = errors.to_compile_errors();
        return quote!(#errors #item);
    }
    expand::function(&function, &args, check_err)
}

/// The error for an item that is not a function with a body.
fn not_a_function(item: &TokenStream) -> syn::Error {
    if let Ok(declaration) = syn::parse2::<syn::TraitItemFn>(item.clone()) {
        if declaration.default.is_none() {
            return syn::Error::new(
                declaration.sig.span(),
                "#[ko_log::life] needs a body to time: put it on the implementations of this method",
            );
        }
    }
    syn::Error::new(
        crate::errors::item_name_span(item),
        "#[ko_log::life] goes on a function or method: `#[ko_log::life(\"Database migration\")] fn migrate() { .. }`",
    )
}

/// `life_guard!(args)`.
pub(crate) fn guard(input: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let args = attr::parse(input, Mode::Guard, &mut errors);
    if !errors.is_empty() {
        let errors = errors.to_compile_errors();
        return quote! {
            {
                #errors
                ::ko_log::__private::life::Life::disabled()
            }
        };
    }
    expand::start(&args, false, proc_macro2::Span::call_site())
}
