//! `type = "colored"`: the plain template with the level colored for terminals.

use crate::handler::Timezone;
use crate::render::TimeFormat;
use crate::Template;

/// When to emit color codes (key `color`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
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

/// The color of each level (key `colors`, a table `{ error = "red", ... }`; levels not
/// named keep their default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct LevelColors {
    pub error: Color,
    pub warn: Color,
    pub info: Color,
    pub debug: Color,
    pub trace: Color,
}

impl Default for LevelColors {
    fn default() -> Self {
        LevelColors {
            error: Color::Red,
            warn: Color::Yellow,
            info: Color::Green,
            debug: Color::Blue,
            trace: Color::Magenta,
        }
    }
}

/// Keys of the colored renderer.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ColoredConfig {
    /// The line template (key `format`, default [`Template::DEFAULT`]).
    pub format: Template,
    /// How `{time}` is written (key `time_format`).
    pub time_format: TimeFormat,
    /// Clock of `{time}` (key `timezone`, default `local`).
    pub timezone: Timezone,
    /// Level colors (key `colors`).
    pub colors: LevelColors,
    /// When to color (key `color`, default `auto`).
    pub color: ColorMode,
}
