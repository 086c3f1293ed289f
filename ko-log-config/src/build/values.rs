//! Leaf values of the raw layer: each newtype reads one config value and refuses a bad
//! one with a message; the node deserializer places the error at that value.
//!
//! Public so that a component's own params type (read with
//! [`Params::deserialize`](crate::node::Params::deserialize)) reads a value with the same
//! syntax and the same words as every other key: `timezone: Option<TimezoneDe>`.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use log::LevelFilter;
use serde::de::{self, Deserialize, Deserializer, Unexpected, Visitor};

use crate::handler::{Compress, JournalPrefix, Rotation, Stream, Timezone};
use crate::process::CallsiteField;
use crate::queue::{Backpressure, QueueConfig};
use crate::render::{Color, ColorMode, COLOR_NAMES};
use crate::suggest::one_of;
use crate::{level, units, Value};

/// Implements `Deserialize` for a newtype by a visitor over a few value types.
macro_rules! visit {
    ($ty:ident, $expecting:expr, |$v:ident| $arms:tt) => {
        visit!($ty, $expecting, deserialize_any, |$v| $arms);
    };
    ($ty:ident, $expecting:expr, $via:ident, |$v:ident| {
        $( $method:ident($arg:ty) => $body:expr ),+ $(,)?
    }) => {
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = $ty;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str(&$expecting)
                    }
                    $(
                        fn $method<E: de::Error>(self, $v: $arg) -> Result<$ty, E> {
                            $body
                        }
                    )+
                }
                deserializer.$via(V)
            }
        }
    };
}

/// Implements `Deserialize` for a newtype over an enum written as one of a few names.
macro_rules! named {
    ($ty:ident($inner:ty), [$($name:literal => $value:expr),+ $(,)?]) => {
        #[doc = concat!("Reads a [`", stringify!($inner), "`] written as one of [`Self::NAMES`].")]
        pub struct $ty(pub $inner);

        impl $ty {
            /// The names accepted.
            pub const NAMES: &'static [&'static str] = &[$($name),+];
        }

        visit!($ty, format!("one of {}", one_of($ty::NAMES.iter().copied())), |v| {
            visit_str(&str) => match v {
                $($name => Ok($ty($value)),)+
                _ => Err(E::unknown_variant(v, $ty::NAMES)),
            },
        });
    };
}

named!(BackpressureDe(Backpressure), [
    "block" => Backpressure::Block,
    "drop" => Backpressure::Drop,
    "drop_oldest" => Backpressure::DropOldest,
]);

named!(RotationDe(Rotation), [
    "never" => Rotation::Never,
    "minutely" => Rotation::Minutely,
    "hourly" => Rotation::Hourly,
    "daily" => Rotation::Daily,
]);

named!(CompressDe(Compress), [
    "none" => Compress::None,
    "gzip" => Compress::Gzip,
    "zstd" => Compress::Zstd,
]);

named!(TimezoneDe(Timezone), ["local" => Timezone::Local, "utc" => Timezone::Utc]);

named!(StreamDe(Stream), ["stdout" => Stream::Stdout, "stderr" => Stream::Stderr]);

named!(JournalPrefixDe(JournalPrefix), [
    "auto" => JournalPrefix::Auto,
    "always" => JournalPrefix::Always,
    "never" => JournalPrefix::Never,
]);

named!(ColorModeDe(ColorMode), [
    "auto" => ColorMode::Auto,
    "always" => ColorMode::Always,
    "never" => ColorMode::Never,
]);

named!(CallsiteFieldDe(CallsiteField), [
    "file" => CallsiteField::File,
    "line" => CallsiteField::Line,
    "module" => CallsiteField::Module,
]);

/// `watch`: `true`, `false` or `"poll"`.
pub struct WatchDe(pub crate::Watch);

visit!(WatchDe, "`true`, `false` or \"poll\"", |v| {
    visit_bool(bool) => Ok(WatchDe(if v { crate::Watch::Events } else { crate::Watch::Off })),
    visit_str(&str) => match v {
        "poll" => Ok(WatchDe(crate::Watch::Poll)),
        _ => Err(E::invalid_value(Unexpected::Str(v), &"`true`, `false` or \"poll\"")),
    },
});

/// A level name (case-insensitive, `warning` = `warn`).
pub struct Level(pub LevelFilter);

visit!(Level, format!("a level ({})", one_of(["off", "error", "warn", "info", "debug", "trace"])), |v| {
    visit_str(&str) => level::parse(v).map(Level).ok_or_else(|| E::unknown_variant(v, level::NAMES)),
});

/// `env_filter`: a variable name, `true` (the default variable) or `false` (none). The
/// strings `"true"` and `"false"` read as the booleans (what `${VAR}` expands to); the
/// name itself is checked by [`crate::Config::validate`].
pub struct EnvFilterDe(pub Option<String>);

impl EnvFilterDe {
    fn of(on: bool) -> EnvFilterDe {
        EnvFilterDe(on.then(|| crate::env::directives::DEFAULT_VARIABLE.to_owned()))
    }
}

visit!(EnvFilterDe, "an environment variable name, or `false`", |v| {
    visit_bool(bool) => Ok(EnvFilterDe::of(v)),
    visit_str(&str) => Ok(match v {
        "true" => EnvFilterDe::of(true),
        "false" => EnvFilterDe::of(false),
        name => EnvFilterDe(Some(name.to_owned())),
    }),
});

/// A non-negative integer (`backup_count`, `indent`).
pub struct Count(pub usize);

fn count<E: de::Error>(v: i64) -> Result<usize, E> {
    usize::try_from(v)
        .map_err(|_| E::invalid_value(Unexpected::Signed(v), &"a non-negative integer"))
}

visit!(Count, "a non-negative integer", deserialize_u64, |v| {
    visit_i64(i64) => count(v).map(Count),
    visit_u64(u64) => usize::try_from(v).map(Count).map_err(|_| E::custom(format!("{v} is too large"))),
});

/// `queue.capacity`: an integer (its range is a rule of `Config::validate`, checked on the
/// built config; a value too large for `usize` is refused as too large here).
pub struct Capacity(pub usize);

fn capacity<E: de::Error>(n: u64) -> Result<Capacity, E> {
    usize::try_from(n)
        .map(Capacity)
        .map_err(|_| E::custom(QueueConfig::TOO_LARGE))
}

visit!(Capacity, "a positive integer", deserialize_u64, |v| {
    visit_i64(i64) => capacity(count(v)? as u64),
    visit_u64(u64) => capacity(v),
});

/// A size in bytes (`max_bytes`): an integer or `"10 MiB"` (that it is not 0 is the
/// component's rule).
pub struct Size(pub u64);

visit!(Size, "a size (an integer number of bytes, or a string like \"10 MiB\")", |v| {
    visit_i64(i64) => u64::try_from(v).map(Size).map_err(|_| E::custom(format!("the size must be greater than 0, found {v}"))),
    visit_u64(u64) => Ok(Size(v)),
    visit_str(&str) => Ok(Size(units::parse_size(v).map_err(E::custom)?)),
});

/// A duration: integer seconds or `"250ms"`.
pub struct DurationDe(pub Duration);

fn seconds<E: de::Error>(v: f64) -> Result<DurationDe, E> {
    Duration::try_from_secs_f64(v).map(DurationDe).map_err(|_| {
        E::custom(format!(
            "invalid duration {v}: expected a non-negative number of seconds"
        ))
    })
}

visit!(DurationDe, "a duration (integer seconds, or a string like \"5s\" or \"250ms\")", |v| {
    visit_i64(i64) => u64::try_from(v)
        .map(|s| DurationDe(Duration::from_secs(s)))
        .map_err(|_| E::custom(format!("invalid duration {v}: expected a non-negative number of seconds"))),
    visit_u64(u64) => Ok(DurationDe(Duration::from_secs(v))),
    visit_f64(f64) => seconds(v),
    visit_str(&str) => units::parse_duration(v).map(DurationDe).map_err(E::custom),
});

/// Unix permissions: an integer or an octal string (`"0640"`, `"0o640"`, `"640"`), at
/// most `0o777`.
pub struct FileMode(pub u32);

fn file_mode<E: de::Error>(mode: u32, written: &dyn fmt::Display) -> Result<FileMode, E> {
    if mode > 0o777 {
        Err(E::custom(format!(
            "file mode {written} is above 0o777; write the octal digits as a string, like \"0640\""
        )))
    } else {
        Ok(FileMode(mode))
    }
}

visit!(FileMode, "a file mode (an octal string like \"0640\", or an integer)", |v| {
    visit_i64(i64) => file_mode(u32::try_from(v).unwrap_or(u32::MAX), &v),
    visit_u64(u64) => file_mode(u32::try_from(v).unwrap_or(u32::MAX), &v),
    visit_str(&str) => {
        let digits = v.trim();
        let digits = digits.strip_prefix("0o").unwrap_or(digits);
        let mode = u32::from_str_radix(digits, 8)
            .map_err(|_| E::custom(format!("invalid file mode `{v}`: expected octal digits, like \"0640\"")))?;
        file_mode(mode, &format_args!("`{v}`"))
    },
});

/// A `path` or `fields_key` (that it is not empty is the component's rule).
pub struct NonEmpty(pub String);

visit!(NonEmpty, "a string", |v| {
    visit_str(&str) => Ok(NonEmpty(v.to_owned())),
});

impl NonEmpty {
    /// The string as a path.
    pub fn into_path(self) -> PathBuf {
        PathBuf::from(self.0)
    }
}

/// A scalar for `context` and `add_context_defaults`.
pub struct Scalar(pub Value);

visit!(Scalar, "a string, number or boolean", |v| {
    visit_bool(bool) => Ok(Scalar(Value::Bool(v))),
    visit_i64(i64) => Ok(Scalar(Value::Int(v))),
    visit_u64(u64) => i64::try_from(v).map(|i| Scalar(Value::Int(i))).map_err(|_| E::custom(format!("{v} is too large"))),
    visit_f64(f64) => Ok(Scalar(Value::Float(v))),
    visit_str(&str) => Ok(Scalar(Value::String(v.to_owned()))),
});

/// A color name or `"#rrggbb"`.
pub struct ColorDe(pub Color);

fn color_by_name(name: &str) -> Option<Color> {
    Some(match name.to_ascii_lowercase().as_str() {
        "black" => Color::Black,
        "red" => Color::Red,
        "green" => Color::Green,
        "yellow" => Color::Yellow,
        "blue" => Color::Blue,
        "magenta" => Color::Magenta,
        "cyan" => Color::Cyan,
        "white" => Color::White,
        "bright_black" => Color::BrightBlack,
        "bright_red" => Color::BrightRed,
        "bright_green" => Color::BrightGreen,
        "bright_yellow" => Color::BrightYellow,
        "bright_blue" => Color::BrightBlue,
        "bright_magenta" => Color::BrightMagenta,
        "bright_cyan" => Color::BrightCyan,
        "bright_white" => Color::BrightWhite,
        _ => return None,
    })
}

fn rgb(hex: &str) -> Option<Color> {
    if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let channel = |i: usize| {
        hex.get(i..i + 2)
            .and_then(|h| u8::from_str_radix(h, 16).ok())
    };
    Some(Color::Rgb(channel(0)?, channel(2)?, channel(4)?))
}

visit!(ColorDe, "a color name (like `red` or `bright_blue`) or \"#rrggbb\"", |v| {
    visit_str(&str) => match v.strip_prefix('#') {
        Some(hex) => rgb(hex)
            .map(ColorDe)
            .ok_or_else(|| E::custom(format!("invalid color `{v}`: expected `#rrggbb` with six hex digits"))),
        None => color_by_name(v).map(ColorDe).ok_or_else(|| E::unknown_variant(v, COLOR_NAMES)),
    },
});
