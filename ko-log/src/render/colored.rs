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

use ko_log_config::handler::Timezone;
use ko_log_config::node::Params;
use ko_log_config::render::{Color, ColorMode, TimeFormat};
use ko_log_config::values::{ColorDe, ColorModeDe, TimezoneDe};
use ko_log_config::{ConfigError, Template};
use log::Level;
use serde::Deserialize;

use super::{Plain, Renderer};
use crate::event::Event;

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a renderer table")]
struct Raw {
    format: Option<String>,
    time_format: Option<String>,
    timezone: Option<TimezoneDe>,
    colors: Option<RawColors>,
    color: Option<ColorModeDe>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table of level colors")]
struct RawColors {
    error: Option<ColorDe>,
    #[serde(alias = "warning")]
    warn: Option<ColorDe>,
    info: Option<ColorDe>,
    debug: Option<ColorDe>,
    trace: Option<ColorDe>,
}

impl ColoredConfig {
    /// Reads the keys of a `colored` renderer's table; a mistake is located at its key
    /// (a template's at its character).
    pub fn from_params(params: &Params) -> Result<ColoredConfig, ConfigError> {
        let raw: Raw = params.deserialize()?;
        let defaults = LevelColors::default();
        let colors = raw.colors.map_or(defaults, |c| LevelColors {
            error: c.error.map_or(defaults.error, |c| c.0),
            warn: c.warn.map_or(defaults.warn, |c| c.0),
            info: c.info.map_or(defaults.info, |c| c.0),
            debug: c.debug.map_or(defaults.debug, |c| c.0),
            trace: c.trace.map_or(defaults.trace, |c| c.0),
        });
        Ok(ColoredConfig {
            format: super::template(params, raw.format)?,
            time_format: super::time_format(params, raw.time_format)?,
            timezone: raw.timezone.map(|t| t.0).unwrap_or_default(),
            colors,
            color: raw.color.map(|c| c.0).unwrap_or_default(),
        })
    }
}

fn schema() -> serde_json::Value {
    use ko_log_config::schema::{color, describe, one_of, table};
    let color = |level| describe(color(), level);
    let mut keys = super::text_keys();
    keys.extend([
        ("color", describe(one_of(ColorModeDe::NAMES), "auto: only on a terminal (default); NO_COLOR turns color off in every mode.")),
        ("colors", describe(table(&[
            ("error", color("Color of ERROR (default red).")),
            ("warn", color("Color of WARN (default yellow).")),
            ("warning", color("Same as warn.")),
            ("info", color("Color of INFO (default green).")),
            ("debug", color("Color of DEBUG (default blue).")),
            ("trace", color("Color of TRACE (default magenta).")),
        ], &[]), "Level colors: a name (red, bright_blue …) or \"#rrggbb\"; unnamed levels keep their default.")),
    ]);
    describe(table(&keys, &[]), "Like plain, with the level in color.")
}

crate::registry::register_renderer!(
    "colored",
    ColoredConfig,
    |config| Colored::new(config, false),
    schema
);

/// The colored renderer.
#[derive(Debug, Clone)]
pub struct Colored {
    plain: Plain,
    /// The config, when the color follows its `color` mode (not fixed by
    /// [`Colored::with_color`]): the renderer is built again when told it writes to a
    /// terminal after all.
    config: Option<Box<ColoredConfig>>,
}

impl Colored {
    /// A renderer for the `colored` config writing to a stream that is a terminal or not;
    /// reads `NO_COLOR` now.
    pub fn new(config: &ColoredConfig, is_terminal: bool) -> Colored {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty());
        Colored {
            config: Some(Box::new(config.clone())),
            ..Colored::with_color(config, color_enabled(config.color, is_terminal, no_color))
        }
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
            config: None,
        }
    }

    /// Whether this renderer writes color codes.
    pub fn is_enabled(&self) -> bool {
        self.plain.is_colored()
    }
}

impl Renderer for Colored {
    fn render(&self, event: &Event, out: &mut Vec<u8>) {
        self.plain.render(event, out);
    }

    fn terminal(&mut self, is_terminal: bool) {
        if let Some(config) = self.config.take() {
            *self = Colored::new(&config, is_terminal);
        }
    }
}

/// The color decision: `always`, or `auto` on a terminal; never with `NO_COLOR`.
fn color_enabled(mode: ColorMode, is_terminal: bool, no_color: bool) -> bool {
    !no_color
        && match mode {
            ColorMode::Always => true,
            ColorMode::Auto => is_terminal,
            _ => false,
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
        _ => colored::Color::White,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Built by name from the registry, `color = "auto"` colors exactly when the handler
    /// says it writes to a terminal (and `NO_COLOR` is unset): `Renderer::terminal`.
    #[test]
    fn the_registered_renderer_is_told_about_the_terminal() {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let config = ko_log_config::RendererConfig::new("colored");
        for is_terminal in [false, true] {
            let renderer = crate::render::build(&config, is_terminal).unwrap();
            let mut out = Vec::new();
            renderer.render(&Event::new(Level::Error, "app", "m"), &mut out);
            let colored = out.windows(2).any(|w| w == b"\x1b[");
            assert_eq!(colored, is_terminal && !no_color, "terminal: {is_terminal}");
        }
    }

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

#[cfg(test)]
mod schema_tests {
    use ko_log_config::schema::fields_of;

    #[test]
    fn the_schema_has_the_keys_of_the_params() {
        let schema = super::schema();
        crate::registry::assert_schema_keys(&schema, fields_of::<super::Raw>());
        let colors = &schema["properties"]["colors"]["anyOf"][0];
        crate::registry::assert_schema_keys(colors, fields_of::<super::RawColors>());
    }
}
