//! Parsing and validating the arguments of `#[life(...)]` and `life_guard!(...)`:
//!
//! ```text
//! "label" [, level = "debug"] [, target = "my_app::db"] [, fields(a, b = expr, c:% = expr)] [, err = false]
//! ```
//!
//! Syntax errors stop the parse; every other mistake (unknown or duplicate argument, bad
//! level, reserved or repeated field name) is collected and the parse goes on.

use proc_macro2::{Span, TokenStream};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, Ident, Lit, LitBool, LitStr, Token};

use crate::errors::{did_you_mean, Errors};

/// Which macro the arguments belong to.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// `#[ko_log::life(...)]` on a function.
    Attribute,
    /// `ko_log::life_guard!(...)`.
    Guard,
}

impl Mode {
    fn example(self) -> &'static str {
        match self {
            Mode::Attribute => "#[ko_log::life(\"Database migration\")]",
            Mode::Guard => "ko_log::life_guard!(\"Database query\")",
        }
    }

    fn arguments(self) -> &'static [&'static str] {
        match self {
            Mode::Attribute => &["level", "target", "fields", "err"],
            Mode::Guard => &["level", "target", "fields"],
        }
    }

    fn expected(self) -> &'static str {
        match self {
            Mode::Attribute => {
                "expected `level = \"...\"`, `target = \"...\"`, `fields(...)` or `err = false`"
            }
            Mode::Guard => "expected `level = \"...\"`, `target = \"...\"` or `fields(...)`",
        }
    }
}

/// The validated arguments. Missing or bad ones are `None` (their error is collected).
#[derive(Default)]
pub(crate) struct LifeArgs {
    /// The label.
    pub label: Option<LitStr>,
    /// The `log::Level` variant (`Info`, `Debug`, ...), spanned at the level string.
    pub level: Option<Ident>,
    /// The target.
    pub target: Option<LitStr>,
    /// The fields, in order.
    pub fields: Vec<Field>,
    /// `err = true|false`.
    pub err: Option<LitBool>,
}

/// One `fields(...)` entry.
pub(crate) struct Field {
    /// The key as logged (raw identifiers without `r#`).
    pub key: String,
    /// The key's span.
    pub key_span: Span,
    /// How the value is captured.
    pub capture: Capture,
    /// The value (the key itself as a variable when no `= expr` is given).
    pub value: Expr,
}

/// How a field value is captured (`log`'s key-value capture syntax).
#[derive(Clone, Copy)]
pub(crate) enum Capture {
    /// `key = value`: `log::kv::ToValue`.
    Value,
    /// `key:% = value`: `Display`.
    Display,
    /// `key:? = value`: `Debug`.
    Debug,
    /// `key:err = value`: `std::error::Error + 'static`.
    Error,
}

/// Field names the end lines use themselves.
const RESERVED: &[&str] = &["elapsed_ms", "error"];

const LEVELS: &[(&str, &str)] = &[
    ("error", "Error"),
    ("warn", "Warn"),
    ("info", "Info"),
    ("debug", "Debug"),
    ("trace", "Trace"),
];

/// One comma-separated argument as written.
enum Entry {
    /// `"label"`.
    Label(LitStr),
    /// `key = value`.
    KeyValue(Ident, Expr),
    /// `key(...)`.
    List(Ident, TokenStream),
    /// `key` alone.
    Flag(Ident),
}

impl Parse for Entry {
    fn parse(input: ParseStream<'_>) -> syn::Result<Entry> {
        if input.peek(LitStr) {
            return Ok(Entry::Label(input.parse()?));
        }
        if !input.peek(Ident::peek_any) {
            return Err(input.error(
                "expected the label (a string literal) or an argument like `level = \"debug\"`",
            ));
        }
        let key = input.call(Ident::parse_any)?;
        if input.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            Ok(Entry::KeyValue(key, input.parse()?))
        } else if input.peek(syn::token::Paren) {
            let content;
            syn::parenthesized!(content in input);
            Ok(Entry::List(key, content.parse()?))
        } else {
            Ok(Entry::Flag(key))
        }
    }
}

/// Parses and validates `tokens`, collecting every mistake into `errors`.
pub(crate) fn parse(tokens: TokenStream, mode: Mode, errors: &mut Errors) -> LifeArgs {
    let entries = match Punctuated::<Entry, Token![,]>::parse_terminated.parse2(tokens) {
        Ok(entries) => entries,
        Err(error) => {
            errors.push(error);
            return LifeArgs::default();
        }
    };
    let mut args = LifeArgs::default();
    let mut label_hinted = false;
    let mut seen: Vec<String> = Vec::new();
    let mut duplicate = |key: &Ident, errors: &mut Errors| {
        let name = key.unraw().to_string();
        if seen.contains(&name) {
            errors.at(key.span(), format!("duplicate argument `{name}`"));
            true
        } else {
            seen.push(name);
            false
        }
    };
    for (index, entry) in entries.into_iter().enumerate() {
        match entry {
            Entry::Label(label) => {
                if args.label.is_some() {
                    errors.at(
                        label.span(),
                        "duplicate label: a life has one label, the first argument",
                    );
                } else {
                    if index > 0 {
                        errors.at(
                            label.span(),
                            format!("the label comes first: {}", mode.example()),
                        );
                    }
                    args.label = Some(label);
                }
            }
            Entry::KeyValue(key, value) => {
                let name = key.unraw().to_string();
                match name.as_str() {
                    "level" if !duplicate(&key, errors) => args.level = level(&value, errors),
                    "target" if !duplicate(&key, errors) => args.target = target(&value, errors),
                    "err" if mode == Mode::Attribute && !duplicate(&key, errors) => {
                        args.err = boolean(&value, errors);
                    }
                    "level" | "target" | "err" if mode.arguments().contains(&name.as_str()) => {}
                    "fields" => errors.at(
                        key.span(),
                        "fields are listed in parentheses: `fields(user_id, attempt = 2)`",
                    ),
                    _ => unknown(&key, mode, errors),
                }
            }
            Entry::List(key, content) => {
                if key.unraw() == "fields" {
                    if !duplicate(&key, errors) {
                        args.fields = fields(content, errors);
                    }
                } else {
                    unknown(&key, mode, errors);
                }
            }
            Entry::Flag(key) => {
                let name = key.unraw().to_string();
                match name.as_str() {
                    "fields" => errors.at(
                        key.span(),
                        "expected the fields in parentheses: `fields(user_id, attempt = 2)`",
                    ),
                    "err" if mode == Mode::Attribute => errors.at(
                        key.span(),
                        "expected `err = false` (no `Failed` line) or `err = true`",
                    ),
                    "level" | "target" => {
                        errors.at(key.span(), format!("expected a value: `{name} = \"...\"`"))
                    }
                    _ if index == 0 && args.label.is_none() => {
                        errors.at(
                            key.span(),
                            format!("the label is a string literal: \"{name}\""),
                        );
                        label_hinted = true;
                    }
                    _ => unknown(&key, mode, errors),
                }
            }
        }
    }
    if args.label.is_none() && !label_hinted {
        errors.at(
            Span::call_site(),
            format!(
                "expected the life's label, a string literal, first: {}",
                mode.example()
            ),
        );
    }
    args
}

fn unknown(key: &Ident, mode: Mode, errors: &mut Errors) {
    let name = key.unraw().to_string();
    let message = if name == "err" {
        "`err` applies only to #[ko_log::life] on a function returning `Result`".to_owned()
    } else {
        format!(
            "unknown argument `{name}`: {}{}",
            mode.expected(),
            did_you_mean(&name, mode.arguments())
        )
    };
    errors.at(key.span(), message);
}

fn string_literal<'a>(value: &'a Expr, what: &str, errors: &mut Errors) -> Option<&'a LitStr> {
    match value {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Str(lit), ..
        }) => Some(lit),
        _ => {
            errors.at(value.span(), format!("expected {what}"));
            None
        }
    }
}

fn level(value: &Expr, errors: &mut Errors) -> Option<Ident> {
    let lit = string_literal(
        value,
        "a level as a string: \"error\", \"warn\", \"info\", \"debug\" or \"trace\"",
        errors,
    )?;
    let text = lit.value().to_ascii_lowercase();
    match LEVELS.iter().find(|(name, _)| *name == text) {
        Some((_, variant)) => Some(Ident::new(variant, lit.span())),
        None => {
            let names: Vec<&str> = LEVELS.iter().map(|(name, _)| *name).collect();
            errors.at(
                lit.span(),
                format!(
                    "unknown level `{}`: expected \"error\", \"warn\", \"info\", \"debug\" or \"trace\"{}",
                    lit.value(),
                    did_you_mean(&text, &names)
                ),
            );
            None
        }
    }
}

fn target(value: &Expr, errors: &mut Errors) -> Option<LitStr> {
    let lit = string_literal(value, "a target as a string: \"my_app::db\"", errors)?;
    if lit.value().is_empty() {
        errors.at(lit.span(), "the target cannot be empty");
        return None;
    }
    Some(lit.clone())
}

fn boolean(value: &Expr, errors: &mut Errors) -> Option<LitBool> {
    match value {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Bool(lit),
            ..
        }) => Some(lit.clone()),
        _ => {
            errors.at(value.span(), "expected `true` or `false`");
            None
        }
    }
}

/// One `fields(...)` entry as written: `key[:capture][ = value]`.
struct FieldSyntax {
    key: Ident,
    capture: Capture,
    value: Option<Expr>,
}

impl Parse for FieldSyntax {
    fn parse(input: ParseStream<'_>) -> syn::Result<FieldSyntax> {
        if !input.peek(Ident::peek_any) {
            return Err(input.error(
            "expected a field: `name`, `name = value`, `name:% = value`, `name:? = value` or `name:err = value`",
        ));
        }
        let key = input.call(Ident::parse_any)?;
        let capture = if input.peek(Token![:]) && !input.peek(Token![::]) {
            input.parse::<Token![:]>()?;
            if input.peek(Token![%]) {
                input.parse::<Token![%]>()?;
                Capture::Display
            } else if input.peek(Token![?]) {
                input.parse::<Token![?]>()?;
                Capture::Debug
            } else if input.peek(Ident) && input.fork().parse::<Ident>()? == "err" {
                input.parse::<Ident>()?;
                Capture::Error
            } else {
                return Err(input.error(
                    "expected a capture after `:`: `%` (Display), `?` (Debug) or `err` (an error)",
                ));
            }
        } else {
            Capture::Value
        };
        let value = if input.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            Some(input.parse()?)
        } else {
            None
        };
        Ok(FieldSyntax {
            key,
            capture,
            value,
        })
    }
}

fn fields(content: TokenStream, errors: &mut Errors) -> Vec<Field> {
    let parsed = match Punctuated::<FieldSyntax, Token![,]>::parse_terminated.parse2(content) {
        Ok(parsed) => parsed,
        Err(error) => {
            errors.push(error);
            return Vec::new();
        }
    };
    let mut fields: Vec<Field> = Vec::new();
    for field in parsed {
        let key = field.key.unraw().to_string();
        let key_span = field.key.span();
        if RESERVED.contains(&key.as_str()) {
            errors.at(
                key_span,
                format!("`{key}` is a field of the life's own end lines; choose another name"),
            );
            continue;
        }
        if fields.iter().any(|f| f.key == key) {
            errors.at(key_span, format!("duplicate field `{key}`"));
            continue;
        }
        let value = field.value.unwrap_or_else(|| {
            Expr::Path(syn::ExprPath {
                attrs: Vec::new(),
                qself: None,
                path: field.key.clone().into(),
            })
        });
        fields.push(Field {
            key,
            key_span,
            capture: field.capture,
            value,
        });
    }
    fields
}
