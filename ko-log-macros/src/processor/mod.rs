//! `#[processor]`: parse the arguments and check the function's shape ([`attr`]), then
//! register it ([`expand`]); on any error, the user's item unchanged plus every error.

use proc_macro2::TokenStream;
use quote::quote;
use syn::ext::IdentExt;
use syn::{ItemFn, LitStr};

use crate::errors::Errors;

mod attr;
mod expand;

/// `#[processor(args)] item`.
pub(crate) fn attribute(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let args = attr::parse(args, &mut errors);
    let function = match syn::parse2::<ItemFn>(item.clone()) {
        Ok(function) => function,
        Err(_) => {
            errors.at(
                attr::item_span(&item),
                format!(
                    "#[ko_log::processor] goes on a function of the shape `{}`",
                    attr::SHAPE
                ),
            );
            let errors = errors.to_compile_errors();
            return quote!(#errors #item);
        }
    };
    let shape = attr::shape(&function, &mut errors);
    let name = match args.name {
        Some(name) => Some(name),
        None => {
            let ident = &function.sig.ident;
            let name = ident.unraw().to_string();
            match attr::bad_name(&name) {
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
            expand::registration(&function, &shape, &name)
        }
        _ => {
            let errors = errors.to_compile_errors();
            quote!(#errors #item)
        }
    }
}
