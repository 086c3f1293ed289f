//! The format string of a deferred call, parsed at compile time: its literal text and its
//! placeholders (`{}`, `{0}`, `{name}`, each with an optional `:spec`), as `format_args!`
//! reads them.

/// One `{…}` of a format string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placeholder {
    /// Which argument it formats.
    pub arg: ArgRef,
    /// What follows the `:`, as written (empty when there is none).
    pub spec: String,
}

/// How a placeholder names its argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArgRef {
    /// `{}` (numbered in order) or `{0}`.
    Index(usize),
    /// `{name}`: a named argument, or a variable captured from the scope.
    Name(String),
}

/// A piece of a format string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Text, with `{{` and `}}` already unescaped.
    Text(String),
    Placeholder(Placeholder),
}

/// What the dispatcher formats a placeholder's argument with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trait {
    /// `Display` or `Debug`: the argument can be copied and formatted later.
    DisplayOrDebug,
    /// Any other (`{:x}`, `{:e}`, `{:b}`, `{:x?}` …): formatted on the caller.
    Other,
}

impl Placeholder {
    /// The formatting trait its spec names.
    pub fn trait_(&self) -> Trait {
        let spec = self.spec.as_str();
        let debug_hex = spec.ends_with("x?") || spec.ends_with("X?");
        let other = matches!(spec.chars().last(), Some('x' | 'X' | 'o' | 'b' | 'e' | 'E'));
        if debug_hex || other {
            Trait::Other
        } else {
            Trait::DisplayOrDebug
        }
    }

    /// Whether its width or precision is taken from an argument (`{:1$}`, `{:.*}`,
    /// `{:width$}`): such a call site is formatted on the caller.
    pub fn takes_count_argument(&self) -> bool {
        self.spec.contains('$') || self.spec.contains('*')
    }
}

/// Parses `text`; an error says what is wrong, as `format_args!` would.
pub fn parse(text: &str) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut literal = String::new();
    let mut next_index = 0;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                literal.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                literal.push('}');
            }
            '}' => return Err("invalid format string: unmatched `}` found".to_owned()),
            '{' => {
                let mut inner = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some('{') | None => {
                            return Err("invalid format string: expected `}`".to_owned())
                        }
                        Some(c) => inner.push(c),
                    }
                }
                if !literal.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut literal)));
                }
                let (name, spec) = match inner.split_once(':') {
                    Some((name, spec)) => (name.trim(), spec.to_owned()),
                    None => (inner.trim(), String::new()),
                };
                let arg = if name.is_empty() {
                    next_index += 1;
                    ArgRef::Index(next_index - 1)
                } else if let Ok(index) = name.parse::<usize>() {
                    ArgRef::Index(index)
                } else if is_identifier(name) {
                    ArgRef::Name(name.to_owned())
                } else {
                    return Err(format!(
                        "invalid format string: invalid argument name `{name}`"
                    ));
                };
                pieces.push(Piece::Placeholder(Placeholder { arg, spec }));
            }
            c => literal.push(c),
        }
    }
    if !literal.is_empty() {
        pieces.push(Piece::Text(literal));
    }
    Ok(pieces)
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c == '_' || c.is_alphabetic())
        && chars.all(|c| c == '_' || c.is_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placeholder(arg: ArgRef, spec: &str) -> Piece {
        Piece::Placeholder(Placeholder {
            arg,
            spec: spec.to_owned(),
        })
    }

    #[test]
    fn positional_named_and_inline_placeholders_with_specs() {
        let pieces = parse("a {} b {:>8.2} {0} {name:?} {{x}} {}").expect("parses");
        assert_eq!(
            pieces,
            [
                Piece::Text("a ".into()),
                placeholder(ArgRef::Index(0), ""),
                Piece::Text(" b ".into()),
                placeholder(ArgRef::Index(1), ">8.2"),
                Piece::Text(" ".into()),
                placeholder(ArgRef::Index(0), ""),
                Piece::Text(" ".into()),
                placeholder(ArgRef::Name("name".into()), "?"),
                Piece::Text(" {x} ".into()),
                placeholder(ArgRef::Index(2), ""),
            ]
        );
    }

    #[test]
    fn traits_by_spec() {
        let trait_of = |spec: &str| {
            Placeholder {
                arg: ArgRef::Index(0),
                spec: spec.into(),
            }
            .trait_()
        };
        for spec in ["", "?", ">8", "x<8", ".2", "#?", "08.3"] {
            assert_eq!(trait_of(spec), Trait::DisplayOrDebug, "{spec}");
        }
        for spec in ["x", "#X", "o", "b", "e", "E", "x?", "#X?", "08x"] {
            assert_eq!(trait_of(spec), Trait::Other, "{spec}");
        }
    }

    #[test]
    fn unbalanced_braces_are_errors() {
        assert!(parse("a { b").is_err());
        assert!(parse("a } b").is_err());
        assert!(parse("{a b}").is_err());
    }
}
