//! Checking the registered function's shape, the same for every [`Kind`] but for the
//! return type each asks for:
//!
//! ```text
//! fn name(params: &Params) -> Component     a component with params
//! fn name() -> Component                    a component without params
//! fn name(params: &Params, handle: &Handle) a handler that uses its handle
//! ```
//!
//! What only the compiler can check (the params type is `DeserializeOwned`, the return
//! type is the right kind of component) is left to the generated code, spanned at those
//! types.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::visit_mut::VisitMut;
use syn::{FnArg, ItemFn, ReturnType, Type};

use super::Kind;
use crate::errors::Errors;

/// The checked shape of the function.
pub(crate) struct Shape {
    /// The params type (`MyParams` of `params: &MyParams`), or `None` for no params.
    pub params: Option<Type>,
    /// A handler takes its `ko_log::handler::Handle` too, by reference, after its params.
    pub handle: bool,
    /// The return type.
    pub output: Type,
}

/// Checks `function` against the shape of `kind`, collecting mistakes into `errors`.
pub(crate) fn shape(kind: Kind, function: &ItemFn, errors: &mut Errors) -> Option<Shape> {
    let before = errors.is_empty();
    let what = kind.word();
    let shape = kind.shape();
    let sig = &function.sig;
    if let Some(asyncness) = &sig.asyncness {
        errors.at(
            asyncness.span(),
            format!("a {what} cannot be `async`: {}", kind.why_not_async()),
        );
    }
    if let Some(unsafety) = &sig.unsafety {
        errors.at(
            unsafety.span(),
            format!("a {what} cannot be `unsafe fn`: ko-log calls it from safe code"),
        );
    }
    let generic = format!("a {what} cannot be generic: ko-log calls one instance, by name");
    if let Some(param) = sig.generics.type_params().next() {
        errors.at(param.span(), &generic);
    } else if let Some(param) = sig.generics.const_params().next() {
        errors.at(param.span(), &generic);
    }
    if let Some(variadic) = &sig.variadic {
        errors.at(variadic.span(), format!("a {what} has the shape `{shape}`"));
    }
    let mut params = None;
    let mut handle = false;
    for (index, input) in sig.inputs.iter().enumerate() {
        match input {
            FnArg::Receiver(receiver) => errors.at(
                receiver.span(),
                format!(
                    "a {what} is a free function, not a method: ko-log calls it without a `self`"
                ),
            ),
            FnArg::Typed(typed) if index == 1 && kind == Kind::Handler => match &*typed.ty {
                Type::Reference(reference) if reference.mutability.is_none() => handle = true,
                other => errors.at(
                    other.span(),
                    "a handler's second argument is its handle: `handle: &ko_log::handler::Handle`",
                ),
            },
            FnArg::Typed(_) if index > 1 && kind == Kind::Handler => errors.at(
                input.span(),
                "a handler takes its params and, optionally, its handle: `fn name(params: &Params, handle: &ko_log::handler::Handle) -> impl ko_log::Handler`",
            ),
            FnArg::Typed(_) if index > 0 => errors.at(
                input.span(),
                format!(
                    "a {what} takes one argument, its params: `{shape}` (or none, for a {what} without params)"
                ),
            ),
            FnArg::Typed(typed) => match &*typed.ty {
                Type::Reference(reference) => {
                    if let Some(mutability) = &reference.mutability {
                        errors.at(
                            mutability.span(),
                            format!(
                                "a {what} reads its params through a shared reference: `params: &Params`, not `&mut`"
                            ),
                        );
                    } else if let Some(span) = impl_trait(&reference.elem) {
                        // `params: &impl Trait` is a generic function in disguise.
                        errors.at(span, &generic);
                    } else {
                        params = Some((*reference.elem).clone());
                    }
                }
                other => errors.at(
                    other.span(),
                    format!("a {what} takes its params by reference: `params: &Params`"),
                ),
            },
        }
    }
    let output = match &sig.output {
        ReturnType::Type(_, ty) => Some((**ty).clone()),
        ReturnType::Default => {
            errors.at(sig.paren_token.span.close(), kind.missing_return());
            None
        }
    };
    match output {
        Some(output) if before && errors.is_empty() => Some(Shape {
            params,
            handle,
            output,
        }),
        _ => None,
    }
}

/// Where `ty` has an `impl Trait`, if it has one.
fn impl_trait(ty: &Type) -> Option<Span> {
    struct Find(Option<Span>);
    impl VisitMut for Find {
        fn visit_type_impl_trait_mut(&mut self, ty: &mut syn::TypeImplTrait) {
            self.0.get_or_insert(ty.impl_token.span);
        }
    }
    let mut find = Find(None);
    find.visit_type_mut(&mut ty.clone());
    find.0
}
