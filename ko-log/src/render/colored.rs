//! `type = "colored"`: the plain rendering with the level in color, for terminals.
//!
//! Everything but the level is written exactly as [`Plain`] writes it (the same template
//! walk, the same escaping). When color is on, the level word is wrapped in an ANSI SGR
//! sequence (`ESC[31m` … `ESC[0m`, codes from the `colored` crate's `Color`); padding
//! from a width such as `{level:<8}` goes outside the color codes and counts only the
//! word.
//!
//! Color is on when `color = "always"`, or `color = "auto"` (the default) and the stream
//! is a terminal; it is always off when the `NO_COLOR` environment variable is set to a
//! non-empty value (<https://no-color.org>). Both the terminal check and `NO_COLOR` are
//! read once, when the renderer is built. `colored`'s process-wide override is not used.

use ko_log_config::render::{Color, ColorMode, ColoredConfig, LevelColors};
use log::Level;

use super::{Plain, Render};
use crate::Event;

/// The colored renderer.
#[derive(Debug, Clone)]
pub struct Colored {
    plain: Plain,
}

impl Colored {
    /// A renderer for the `colored` config writing to a stream that is a terminal or not;
    /// reads `NO_COLOR` now.
    pub fn new(config: &ColoredConfig, is_terminal: bool) -> Colored {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty());
        Colored::with_color(config, color_enabled(config.color, is_terminal, no_color))
    }

    /// A renderer that colors exactly when `enabled`, whatever `config.color`, the
    /// stream and `NO_COLOR` say (for callers that decide themselves, and for tests).
    pub fn with_color(config: &ColoredConfig, enabled: bool) -> Colored {
        let palette = enabled.then(|| Palette::new(&config.colors));
        Colored {
            plain: Plain::with_palette(
                &config.format,
                &config.time_format,
                config.timezone,
                palette,
            ),
        }
    }

    /// Whether this renderer writes color codes.
    pub fn is_enabled(&self) -> bool {
        self.plain.is_colored()
    }
}

impl Render for Colored {
    fn render(&self, event: &Event, out: &mut Vec<u8>) {
        self.plain.render(event, out);
    }
}

/// The color decision: `always`, or `auto` on a terminal; never with `NO_COLOR`.
fn color_enabled(mode: ColorMode, is_terminal: bool, no_color: bool) -> bool {
    !no_color
        && match mode {
            ColorMode::Always => true,
            ColorMode::Auto => is_terminal,
            ColorMode::Never => false,
        }
}

/// The escape sequence that starts each level's color, built once.
#[derive(Debug, Clone)]
pub(super) struct Palette {
    error: String,
    warn: String,
    info: String,
    debug: String,
    trace: String,
}

impl Palette {
    /// Resets all attributes.
    pub(super) const RESET: &'static str = "\x1b[0m";

    fn new(colors: &LevelColors) -> Palette {
        let start = |color: Color| format!("\x1b[{}m", ansi(color).to_fg_str());
        Palette {
            error: start(colors.error),
            warn: start(colors.warn),
            info: start(colors.info),
            debug: start(colors.debug),
            trace: start(colors.trace),
        }
    }

    /// The sequence starting `level`'s color.
    pub(super) fn start(&self, level: Level) -> &str {
        match level {
            Level::Error => &self.error,
            Level::Warn => &self.warn,
            Level::Info => &self.info,
            Level::Debug => &self.debug,
            Level::Trace => &self.trace,
        }
    }
}

/// The `colored` crate's color for a configured one. (`colored` turns a true color into
/// the nearest basic one unless `COLORTERM` is `truecolor` or `24bit`, read here once.)
fn ansi(color: Color) -> colored::Color {
    match color {
        Color::Black => colored::Color::Black,
        Color::Red => colored::Color::Red,
        Color::Green => colored::Color::Green,
        Color::Yellow => colored::Color::Yellow,
        Color::Blue => colored::Color::Blue,
        Color::Magenta => colored::Color::Magenta,
        Color::Cyan => colored::Color::Cyan,
        Color::White => colored::Color::White,
        Color::BrightBlack => colored::Color::BrightBlack,
        Color::BrightRed => colored::Color::BrightRed,
        Color::BrightGreen => colored::Color::BrightGreen,
        Color::BrightYellow => colored::Color::BrightYellow,
        Color::BrightBlue => colored::Color::BrightBlue,
        Color::BrightMagenta => colored::Color::BrightMagenta,
        Color::BrightCyan => colored::Color::BrightCyan,
        Color::BrightWhite => colored::Color::BrightWhite,
        Color::Rgb(r, g, b) => colored::Color::TrueColor { r, g, b },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decision_table() {
        for (mode, terminal, no_color, expected) in [
            (ColorMode::Always, false, false, true),
            (ColorMode::Always, true, true, false),
            (ColorMode::Auto, true, false, true),
            (ColorMode::Auto, false, false, false),
            (ColorMode::Auto, true, true, false),
            (ColorMode::Never, true, false, false),
        ] {
            assert_eq!(
                color_enabled(mode, terminal, no_color),
                expected,
                "{mode:?} {terminal} {no_color}"
            );
        }
    }

    #[test]
    fn default_palette() {
        let palette = Palette::new(&LevelColors::default());
        assert_eq!(palette.start(Level::Error), "\x1b[31m");
        assert_eq!(palette.start(Level::Warn), "\x1b[33m");
        assert_eq!(palette.start(Level::Info), "\x1b[32m");
        assert_eq!(palette.start(Level::Debug), "\x1b[34m");
        assert_eq!(palette.start(Level::Trace), "\x1b[35m");
    }
}
