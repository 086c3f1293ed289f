//! Collecting errors: every mistake is reported, not only the first.

use std::fmt::Display;

use proc_macro2::{Span, TokenStream};

/// Errors found so far, combined into one [`syn::Error`].
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    /// Adds `error`.
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(error),
            None => self.0 = Some(error),
        }
    }

    /// Adds an error with `message` at `span`.
    pub(crate) fn at(&mut self, span: Span, message: impl Display) {
        self.push(syn::Error::new(span, message));
    }

    /// Whether an error was found.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    /// The `compile_error!`s of every error (nothing when there are none).
    pub(crate) fn to_compile_errors(&self) -> TokenStream {
        self.0
            .as_ref()
            .map(syn::Error::to_compile_error)
            .unwrap_or_default()
    }
}

/// Where to point at an item that is the wrong kind: its name when it has one, else its
/// first token.
pub(crate) fn item_name_span(item: &TokenStream) -> Span {
    let first = item
        .clone()
        .into_iter()
        .next()
        .map_or_else(Span::call_site, |token| token.span());
    match syn::parse2::<syn::Item>(item.clone()) {
        Ok(syn::Item::Struct(item)) => item.ident.span(),
        Ok(syn::Item::Enum(item)) => item.ident.span(),
        Ok(syn::Item::Union(item)) => item.ident.span(),
        Ok(syn::Item::Trait(item)) => item.ident.span(),
        Ok(syn::Item::Type(item)) => item.ident.span(),
        Ok(syn::Item::Const(item)) => item.ident.span(),
        Ok(syn::Item::Static(item)) => item.ident.span(),
        Ok(syn::Item::Mod(item)) => item.ident.span(),
        Ok(syn::Item::Impl(item)) => syn::spanned::Spanned::span(&item.impl_token),
        _ => first,
    }
}

/// ", did you mean `x`?" when one of `known` is near `name`.
pub(crate) fn did_you_mean(name: &str, known: &[&str]) -> String {
    known
        .iter()
        .map(|k| (distance(name, k), *k))
        .filter(|(d, k)| *d <= (k.len() / 3).max(1))
        .min()
        .map(|(_, k)| format!("; did you mean `{k}`?"))
        .unwrap_or_default()
}

/// The Levenshtein distance between `a` and `b`.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_near_names_only() {
        assert_eq!(
            did_you_mean("lvel", &["level", "target"]),
            "; did you mean `level`?"
        );
        assert_eq!(did_you_mean("xyz", &["level", "target"]), "");
        assert_eq!(distance("kitten", "sitting"), 3);
    }
}
