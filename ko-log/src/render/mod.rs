//! Renderers: how an [`Event`](crate::Event) becomes bytes, one module per format.
//!
//! A renderer appends exactly one record to a buffer the dispatcher reuses, and never
//! fails or panics:
//!
//! - [`Plain`] (`type = "plain"`): a text line from the compiled template;
//! - [`Colored`] (`type = "colored"`): the same line with the level in color;
//! - [`Json`] (`type = "json"`): one JSON object per line;
//! - [`Logfmt`] (`type = "logfmt"`): `key=value` pairs, quoted as go-logfmt does.
//!
//! Each is registered in its own file exactly as a user's `#[ko_log::renderer]` is: its
//! params type (read from the config's located params), defaults, check and schema live
//! there, and [`build`] finds it by name in the one registry. The plain and colored
//! renderers escape control characters in the message, keys and values (the rules are in
//! the `escape` module's docs: `\n`, `\r`, `\t`, `\x1b`, `\u{9b}` …), so user data can
//! neither forge a second line nor send escape sequences to a terminal; the JSON renderer
//! relies on JSON string escaping and keeps the record's own keys from being overwritten
//! by fields (see [`Json`]); the logfmt renderer quotes and escapes by go-logfmt's rules
//! and sanitizes keys (see [`Logfmt`]).

use ko_log_config::node::Params;
use ko_log_config::render::TimeFormat;
use ko_log_config::{ConfigError, RendererConfig, Template};

mod colored;
mod escape;
mod json;
mod logfmt;
mod plain;
mod timestamp;

/// Writes `n` in decimal, without `core::fmt` (a `{kv}` integer and `{line}` are
/// written per record), two digits at a time as `core` does.
pub(crate) fn write_u64(out: &mut Vec<u8>, mut n: u64) {
    const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
        2021222324252627282930313233343536373839\
        4041424344454647484950515253545556575859\
        6061626364656667686970717273747576777879\
        8081828384858687888990919293949596979899";
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    while n >= 100 {
        let pair = (n % 100) as usize * 2;
        n /= 100;
        at -= 2;
        if let (Some(slot), Some(pair)) = (digits.get_mut(at..at + 2), PAIRS.get(pair..pair + 2)) {
            slot.copy_from_slice(pair);
        }
    }
    if n >= 10 {
        let pair = n as usize * 2;
        at -= 2;
        if let (Some(slot), Some(pair)) = (digits.get_mut(at..at + 2), PAIRS.get(pair..pair + 2)) {
            slot.copy_from_slice(pair);
        }
    } else {
        at -= 1;
        if let Some(slot) = digits.get_mut(at) {
            *slot = b'0' + n as u8;
        }
    }
    out.extend_from_slice(digits.get(at..).unwrap_or_default());
}

/// Writes `n` in decimal (see [`write_u64`]).
pub(crate) fn write_i64(out: &mut Vec<u8>, n: i64) {
    if n < 0 {
        out.push(b'-');
    }
    write_u64(out, n.unsigned_abs());
}

pub use self::colored::{Colored, ColoredConfig, LevelColors};
pub use self::json::{Json, JsonConfig};
pub use self::logfmt::{is_key_char, Logfmt, LogfmtConfig};
pub use self::plain::{Plain, PlainConfig};
pub use crate::component::Renderer;

/// The renderer a handler's `renderer` config describes. `is_terminal` says whether the
/// handler writes to a terminal (it only matters to `colored` with `color = "auto"`).
///
/// The renderer is found by its `type` in the registry, ko-log's own and the
/// `#[ko_log::renderer]`s alike; an unknown name, params that do not fit or a
/// constructor error is a config error located in the renderer's table.
pub fn build(
    config: &RendererConfig,
    is_terminal: bool,
) -> Result<Box<dyn Renderer>, crate::error::Error> {
    let mut renderer = crate::registry::renderer(&config.name, &config.params)?;
    renderer.terminal(is_terminal);
    Ok(renderer)
}

/// The compiled template `text` of key `format` (the default without one), a mistake
/// located at its character.
fn template(params: &Params, text: Option<String>) -> Result<Template, ConfigError> {
    let Some(text) = text else {
        return Ok(Template::default());
    };
    Template::parse(&text).map_err(|e| {
        params
            .error_within(
                "format",
                e.offset,
                format!("invalid template: {}", e.message),
            )
            .with_cause(e)
    })
}

/// The compiled `time_format` (the default without one), a mistake located at its
/// character.
fn time_format(params: &Params, text: Option<String>) -> Result<TimeFormat, ConfigError> {
    let Some(text) = text else {
        return Ok(TimeFormat::default());
    };
    TimeFormat::parse(&text).map_err(|e| {
        let index = e.index;
        params
            .error_within("time_format", index, format!("invalid time format: {e}"))
            .with_cause(e)
    })
}

/// The schema of the keys plain and colored share.
fn text_keys() -> Vec<(&'static str, serde_json::Value)> {
    use ko_log_config::schema::{describe, one_of, string};
    use ko_log_config::values::TimezoneDe;
    vec![
        ("format", describe(string(), "The line template: {time} {level:<5} [{target}] {message}{kv} by default.")),
        ("time_format", describe(string(), "How {time} is written: \"rfc3339\", or a `time` crate format description, compiled at load.")),
        ("timezone", describe(one_of(TimezoneDe::NAMES), "Clock of {time} (default \"local\").")),
    ]
}

#[cfg(test)]
mod number_tests {
    #[test]
    fn integers_are_written_as_display_writes_them() {
        for n in [
            0u64,
            1,
            9,
            10,
            99,
            100,
            12_345,
            u64::from(u32::MAX),
            u64::MAX,
        ] {
            let mut out = Vec::new();
            super::write_u64(&mut out, n);
            assert_eq!(out, n.to_string().as_bytes());
        }
        for n in [0i64, -1, 7, -10, 1_000_000, i64::MIN, i64::MAX] {
            let mut out = Vec::new();
            super::write_i64(&mut out, n);
            assert_eq!(out, n.to_string().as_bytes());
        }
    }
}
