//! The `.env` format read by `env_file`.

use std::fmt;

use super::is_name;

/// Why a `.env` file was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DotenvError {
    /// 1-based line in the `.env` file.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for DotenvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for DotenvError {}

/// Parses a `.env` file into `(name, value)` pairs, in order.
///
/// One `NAME=value` per line, optionally after `export `. Blank lines and lines starting
/// with `#` are skipped. A value is taken as is after trimming, up to a ` #` comment; or
/// in single quotes, literally; or in double quotes, with the escapes `\n`, `\t`, `\r`,
/// `\"`, `\\` and `\$`. Values are not themselves interpolated; a value spans one line.
pub fn parse_dotenv(text: &str) -> Result<Vec<(String, String)>, DotenvError> {
    let mut pairs = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let error = |message: String| DotenvError { line, message };
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let statement = trimmed
            .strip_prefix("export")
            .filter(|rest| rest.starts_with(char::is_whitespace))
            .map_or(trimmed, str::trim_start);
        let (name, value) = statement
            .split_once('=')
            .ok_or_else(|| error(format!("expected `NAME=value`, found `{trimmed}`")))?;
        let name = name.trim();
        if !is_name(name) {
            return Err(error(format!("invalid variable name `{name}`")));
        }
        let value = parse_value(value.trim()).map_err(error)?;
        pairs.push((name.to_owned(), value));
    }
    Ok(pairs)
}

fn parse_value(value: &str) -> Result<String, String> {
    let (parsed, rest) = if let Some(body) = value.strip_prefix('\'') {
        let end = body.find('\'').ok_or("unclosed `'`")?;
        let (inside, rest) = body.split_at(end);
        (inside.to_owned(), rest.get(1..).unwrap_or_default())
    } else if let Some(body) = value.strip_prefix('"') {
        double_quoted(body)?
    } else {
        let end = value.find(" #").unwrap_or(value.len());
        let (inside, _) = value.split_at(end);
        return Ok(inside.trim_end().to_owned());
    };
    let rest = rest.trim_start();
    if rest.is_empty() || rest.starts_with('#') {
        Ok(parsed)
    } else {
        Err(format!("unexpected `{rest}` after the quoted value"))
    }
}

/// The value of a double-quoted string whose opening quote is gone, and what follows it.
fn double_quoted(body: &str) -> Result<(String, &str), String> {
    let mut out = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((out, body.get(i + 1..).unwrap_or_default())),
            '\\' => match chars.next().map(|(_, c)| c) {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some(c @ ('"' | '\\' | '$')) => out.push(c),
                Some(c) => return Err(format!("unknown escape `\\{c}`")),
                None => break,
            },
            c => out.push(c),
        }
    }
    Err("unclosed `\"`".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses() {
        let text =
            "# comment\n\nexport A=1\nB = two words # note\nC='lit ${X}'\nD=\"a\\nb\" # x\nE=\n";
        let pairs = parse_dotenv(text).unwrap();
        let expected = [
            ("A", "1"),
            ("B", "two words"),
            ("C", "lit ${X}"),
            ("D", "a\nb"),
            ("E", ""),
        ];
        assert_eq!(pairs.len(), expected.len());
        for ((name, value), (n, v)) in pairs.iter().zip(expected) {
            assert_eq!((name.as_str(), value.as_str()), (n, v));
        }
        assert_eq!(parse_dotenv("A=1\nnope\n").unwrap_err().line, 2);
        assert!(parse_dotenv("A=\"open\n").is_err());
        assert!(parse_dotenv("1A=x").is_err());
    }
}
