//! Colors, as the colored renderer's keys and the CLI's `pretty` write them.

/// When to emit color codes (key `color`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ColorMode {
    /// `auto` (default): only when the stream is a terminal and `NO_COLOR` is unset.
    #[default]
    Auto,
    /// `always`: even into files and pipes (still off when `NO_COLOR` is set).
    Always,
    /// `never`.
    Never,
}

/// A terminal color, by name (`red`, `bright_blue`, …) or `"#rrggbb"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
#[non_exhaustive]
pub enum Color {
    Black,
    Red,
    Green,
    Yellow,
    Blue,
    Magenta,
    Cyan,
    White,
    BrightBlack,
    BrightRed,
    BrightGreen,
    BrightYellow,
    BrightBlue,
    BrightMagenta,
    BrightCyan,
    BrightWhite,
    /// `"#rrggbb"`.
    Rgb(u8, u8, u8),
}

/// The color names accepted in config files (besides `"#rrggbb"`), case-insensitive.
pub const COLOR_NAMES: &[&str] = &[
    "black",
    "red",
    "green",
    "yellow",
    "blue",
    "magenta",
    "cyan",
    "white",
    "bright_black",
    "bright_red",
    "bright_green",
    "bright_yellow",
    "bright_blue",
    "bright_magenta",
    "bright_cyan",
    "bright_white",
];
