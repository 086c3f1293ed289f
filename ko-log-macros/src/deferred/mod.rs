//! `ko_log::info!` and its siblings: the part after the level check, which parses the
//! format string at compile time and generates the code that copies each argument on
//! the caller and the function that formats the message on the dispatcher.
//!
//! The input is what `ko_log::log!` passes on:
//! `$crate, level, target, key_values, "format", args…`. The first four are re-emitted
//! as they are. A format string that is not a literal, more than `MAX_ARGS`
//! placeholders, or a width or precision taken from an argument make the call format
//! its message on the caller instead (`submit_args`, the record `log`'s macros build).

mod format;

use proc_macro2::{TokenStream, TokenTree};
use quote::{format_ident, quote, quote_spanned};
use syn::parse::{Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{Expr, Ident, LitStr, Token};

use format::{ArgRef, Piece, Trait};

/// The most placeholders a deferred call site has (ko-log's `deferred::MAX_ARGS`).
const MAX_ARGS: usize = 8;

/// One argument after the format string: `expr` or `name = expr`.
struct FormatArg {
    name: Option<Ident>,
    expr: Expr,
}

impl Parse for FormatArg {
    fn parse(input: ParseStream<'_>) -> syn::Result<FormatArg> {
        if input.peek(Ident) && input.peek2(Token![=]) && !input.peek2(Token![==]) {
            let name: Ident = input.parse()?;
            input.parse::<Token![=]>()?;
            Ok(FormatArg {
                name: Some(name),
                expr: input.parse()?,
            })
        } else {
            Ok(FormatArg {
                name: None,
                expr: input.parse()?,
            })
        }
    }
}

/// Splits off the tokens before the next top-level comma.
fn leading(tokens: &mut std::vec::IntoIter<TokenTree>) -> TokenStream {
    let mut out = TokenStream::new();
    for token in tokens.by_ref() {
        if matches!(&token, TokenTree::Punct(p) if p.as_char() == ',') {
            break;
        }
        out.extend([token]);
    }
    out
}

/// Whether a target is the same at every call: a string literal, or `module_path!()`.
fn constant(target: TokenStream) -> bool {
    let mut expr: syn::Expr = match syn::parse2(target) {
        Ok(expr) => expr,
        Err(_) => return false,
    };
    loop {
        expr = match expr {
            syn::Expr::Group(group) => *group.expr,
            syn::Expr::Paren(paren) => *paren.expr,
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(_),
                ..
            }) => return true,
            syn::Expr::Macro(call) => {
                let names: Vec<String> = call
                    .mac
                    .path
                    .segments
                    .iter()
                    .map(|segment| segment.ident.to_string())
                    .collect();
                return matches!(
                    names.iter().map(String::as_str).collect::<Vec<_>>()[..],
                    ["module_path"] | ["core" | "std", "module_path"]
                );
            }
            _ => return false,
        }
    }
}

/// The macro's entry point.
pub fn expand(input: TokenStream) -> TokenStream {
    let mut tokens = input.into_iter().collect::<Vec<_>>().into_iter();
    let krate = leading(&mut tokens);
    let level = leading(&mut tokens);
    let target = leading(&mut tokens);
    let kvs = leading(&mut tokens);
    let rest: TokenStream = tokens.collect();
    let site = quote! {
        &(#target, ::core::module_path!(), ::core::file!(), ::core::line!())
    };
    // A constant target (a literal, or the module path `log!` defaults to) makes the whole
    // call site constant: it is interned once, in a `static` of its own.
    let cache = if constant(target.clone()) {
        quote! {{
            static __KO_LOG_SITE: #krate::__private::deferred::SiteCache =
                #krate::__private::deferred::SiteCache::new();
            ::core::option::Option::Some(&__KO_LOG_SITE)
        }}
    } else {
        quote!(::core::option::Option::None)
    };
    let eager = quote! {
        #krate::__private::deferred::submit_args(#level, #site, #kvs, ::core::format_args!(#rest))
    };
    match deferred(&krate, &level, (&site, &cache), &kvs, rest.clone()) {
        Ok(Some(code)) => code,
        Ok(None) => eager,
        Err(error) => error.to_compile_error(),
    }
}

/// The deferred call, or `None` when this call site formats on the caller.
fn deferred(
    krate: &TokenStream,
    level: &TokenStream,
    (site, cache): (&TokenStream, &TokenStream),
    kvs: &TokenStream,
    rest: TokenStream,
) -> syn::Result<Option<TokenStream>> {
    let parser = |input: ParseStream<'_>| -> syn::Result<Option<(LitStr, Vec<FormatArg>)>> {
        // A format string made by a macro (`concat!`) cannot be read here.
        if !input.peek(LitStr) {
            let _: TokenStream = input.parse()?;
            return Ok(None);
        }
        let format: LitStr = input.parse()?;
        if input.is_empty() {
            return Ok(Some((format, Vec::new())));
        }
        input.parse::<Token![,]>()?;
        let args = Punctuated::<FormatArg, Token![,]>::parse_terminated(input)?;
        Ok(Some((format, args.into_iter().collect())))
    };
    let Some((format, args)) = parser.parse2(rest)? else {
        return Ok(None);
    };
    let pieces = format::parse(&format.value()).map_err(|e| syn::Error::new(format.span(), e))?;
    let placeholders: Vec<&format::Placeholder> = pieces
        .iter()
        .filter_map(|piece| match piece {
            Piece::Placeholder(p) => Some(p),
            Piece::Text(_) => None,
        })
        .collect();
    if placeholders.is_empty()
        || placeholders.len() > MAX_ARGS
        || placeholders.iter().any(|p| p.takes_count_argument())
    {
        // A literal message is borrowed as it is; the others format now.
        return Ok(None);
    }

    // The arguments, evaluated once each in order (as `format_args!` does): the explicit
    // ones, then the variables the format string captures by name.
    let positional = args.iter().take_while(|a| a.name.is_none()).count();
    if let Some(misplaced) = args.iter().skip(positional).find(|a| a.name.is_none()) {
        return Err(syn::Error::new_spanned(
            &misplaced.expr,
            "positional arguments cannot follow named arguments",
        ));
    }
    let mut exprs: Vec<TokenStream> = args
        .iter()
        .map(|a| {
            let expr = &a.expr;
            quote!(#expr)
        })
        .collect();
    // Variables captured from the scope, each evaluated once however often it is named.
    let mut captured: Vec<(String, usize)> = Vec::new();
    let mut used = vec![false; args.len()];
    let mut slots = Vec::with_capacity(placeholders.len());
    for placeholder in &placeholders {
        let at = match &placeholder.arg {
            ArgRef::Index(index) => {
                if *index >= positional {
                    return Err(syn::Error::new(
                        format.span(),
                        format!(
                            "invalid reference to positional argument {index} ({})",
                            match positional {
                                0 => "no arguments were given".to_owned(),
                                1 => "there is 1 argument".to_owned(),
                                n => format!("there are {n} arguments"),
                            }
                        ),
                    ));
                }
                *index
            }
            ArgRef::Name(name) => {
                let named = args
                    .iter()
                    .position(|a| a.name.as_ref().is_some_and(|n| n == name));
                let seen = captured.iter().find(|(n, _)| n == name).map(|(_, at)| *at);
                match named.or(seen) {
                    Some(at) => at,
                    None => {
                        // Captured from the scope, as `format_args!` does.
                        let ident = Ident::new(name, format.span());
                        exprs.push(quote!(#ident));
                        used.push(true);
                        captured.push((name.clone(), exprs.len() - 1));
                        exprs.len() - 1
                    }
                }
            }
        };
        if let Some(used) = used.get_mut(at) {
            *used = true;
        }
        slots.push((at, *placeholder));
    }
    if let Some(unused) = used.iter().take(args.len()).position(|u| !u) {
        let arg = &args[unused];
        let what = if arg.name.is_some() {
            "named argument never used"
        } else {
            "argument never used"
        };
        return Err(syn::Error::new_spanned(&arg.expr, what));
    }
    let bound: Vec<Ident> = (0..exprs.len())
        .map(|i| format_ident!("__ko_log_a{}", i))
        .collect();

    let kinds: Vec<Ident> = (0..slots.len())
        .map(|i| format_ident!("__KoLogK{}", i))
        .collect();
    let views: Vec<Ident> = (0..slots.len())
        .map(|i| format_ident!("__ko_log_v{}", i))
        .collect();
    let keys: Vec<Ident> = (0..slots.len())
        .map(|i| format_ident!("__ko_log_k{}", i))
        .collect();
    let trait_ = format_ident!("Format{}", slots.len());
    // The message, piece by piece: a `{}` placeholder (or an argument the caller
    // formatted, its spec applied) through its kind's `display`, which skips `core::fmt`
    // for text and integers; one with a spec through `format_args!` with that spec.
    let mut slot = 0;
    let writes = pieces.iter().map(|piece| match piece {
        Piece::Text(text) => quote!(__ko_log_out.push_str(#text);),
        Piece::Placeholder(placeholder) => {
            let (kind, view) = (&kinds[slot], &views[slot]);
            slot += 1;
            if placeholder.spec.is_empty() || placeholder.trait_() == Trait::Other {
                quote! {
                    <#kind as #krate::__private::deferred::Kind>::display(#view, __ko_log_out)?;
                }
            } else {
                let spec = LitStr::new(&format!("{{:{}}}", placeholder.spec), format.span());
                quote! {
                    ::core::fmt::Write::write_fmt(__ko_log_out, ::core::format_args!(#spec, #view))?;
                }
            }
        }
    });
    let encodes = slots.iter().zip(&keys).map(|((at, placeholder), key)| {
        let arg = &bound[*at];
        let spec = LitStr::new(
            &if placeholder.spec.is_empty() {
                "{}".to_owned()
            } else {
                format!("{{:{}}}", placeholder.spec)
            },
            format.span(),
        );
        let write = quote_spanned! {format.span()=>
            |__ko_log_w, __ko_log_v| ::core::fmt::Write::write_fmt(
                __ko_log_w,
                ::core::format_args!(#spec, __ko_log_v),
            )
        };
        match placeholder.trait_() {
            Trait::DisplayOrDebug => quote! {
                let #key = (&&#krate::__private::deferred::Arg(#arg)).ko_encode(__ko_log_into, #write);
            },
            Trait::Other => quote! {
                let #key = #krate::__private::deferred::formatted(__ko_log_into, #arg, #write);
            },
        }
    });
    let render = quote! {
        struct __KoLogFormat;
        impl #krate::__private::deferred::#trait_ for __KoLogFormat {
            #[inline]
            fn render<#(#kinds: #krate::__private::deferred::Kind),*>(
                __ko_log_from: &mut #krate::__private::deferred::Decoder<'_>,
                __ko_log_out: &mut ::std::string::String,
            ) -> ::core::fmt::Result {
                #(let #views = __ko_log_from.arg::<#kinds>();)*
                #(#writes)*
                ::core::result::Result::Ok(())
            }
        }
    };
    Ok(Some(quote! {{
        #[allow(unused_imports)]
        use #krate::__private::deferred::{ViaCopy as _, ViaFormat as _, ViaLoggable as _};
        #render
        match (#(&(#exprs),)*) {
            (#(#bound,)*) => {
                #krate::__private::deferred::submit(#level, #site, #cache, #kvs, |__ko_log_into| {
                    #(#encodes)*
                    #krate::__private::deferred::render_fn::<__KoLogFormat, _>((#(#keys,)*))
                });
            }
        }
    }}))
}
