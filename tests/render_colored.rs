//! The colored renderer: the plain line with the level in color, when color is on
//! (`always`, or `auto` on a terminal; never with `NO_COLOR`), and hostile text that
//! cannot bring its own escape sequences. Tests that need a given environment re-run
//! themselves as a child process with it.

use ko_log::config::handler::Timezone;
use ko_log::config::render::{Color, ColorMode, TimeFormat};
use ko_log::config::Template;
use ko_log::render::{Colored, ColoredConfig, LevelColors, Plain, PlainConfig};
use ko_log::Event;
use log::Level;
use support::render;
use time::macros::datetime;

fn config(format: &str) -> ColoredConfig {
    ColoredConfig {
        format: Template::parse(format).expect("template"),
        time_format: TimeFormat::default(),
        timezone: Timezone::Utc,
        colors: LevelColors::default(),
        color: ColorMode::Auto,
    }
}

fn event(level: Level, message: &'static str) -> Event {
    let mut event = Event::new(level, "app", message);
    event.time = datetime!(2026-11-24 05:55:58.123 UTC);
    event
}

/// Whether this process runs with `NO_COLOR` set (then `new` never colors).
fn no_color_env() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

#[test]
fn default_colors_per_level() {
    let renderer = Colored::with_color(&config("{level} {message}"), true);
    assert!(renderer.is_enabled());
    assert_eq!(
        support::per_level(|level| render(&renderer, &event(level, "m"))),
        [
            "\x1b[31mERROR\x1b[0m m\n",
            "\x1b[33mWARN\x1b[0m m\n",
            "\x1b[32mINFO\x1b[0m m\n",
            "\x1b[34mDEBUG\x1b[0m m\n",
            "\x1b[35mTRACE\x1b[0m m\n",
        ]
    );
}

#[test]
fn the_whole_default_line() {
    let mut event = event(Level::Warn, "disk almost full");
    event.fields.insert("free", "1 GiB");
    let renderer = Colored::with_color(&config(Template::DEFAULT), true);
    assert_eq!(
        render(&renderer, &event),
        "2026-11-24T05:55:58.123+00:00 \x1b[33mWARN\x1b[0m  [app] disk almost full free=\"1 GiB\"\n"
    );
}

#[test]
fn padding_goes_outside_the_color() {
    let renderer = Colored::with_color(&config("|{level:<6}|{level:>6}|{level:^8}|"), true);
    assert_eq!(
        render(&renderer, &event(Level::Info, "m")),
        "|\x1b[32mINFO\x1b[0m  |  \x1b[32mINFO\x1b[0m|  \x1b[32mINFO\x1b[0m  |\n"
    );
}

#[test]
fn configured_colors() {
    let mut config = config("{level}");
    config.colors = LevelColors {
        error: Color::BrightRed,
        warn: Color::Cyan,
        info: Color::BrightWhite,
        debug: Color::Black,
        trace: Color::BrightBlack,
    };
    let renderer = Colored::with_color(&config, true);
    assert_eq!(
        support::per_level(|level| render(&renderer, &event(level, "m"))),
        [
            "\x1b[91mERROR\x1b[0m\n",
            "\x1b[36mWARN\x1b[0m\n",
            "\x1b[97mINFO\x1b[0m\n",
            "\x1b[30mDEBUG\x1b[0m\n",
            "\x1b[90mTRACE\x1b[0m\n",
        ]
    );
}

#[test]
fn true_color_when_the_terminal_says_so() {
    support::child_only!(
        "true_color_when_the_terminal_says_so",
        [("COLORTERM", "truecolor")]
    );
    let mut config = config("{level}");
    config.colors.info = Color::Rgb(255, 136, 0);
    let renderer = Colored::with_color(&config, true);
    assert_eq!(
        render(&renderer, &event(Level::Info, "m")),
        "\x1b[38;2;255;136;0mINFO\x1b[0m\n"
    );
}

#[test]
fn without_color_it_is_the_plain_line() {
    let format = "{time} {level:<5} [{target}] {message}{kv}";
    let mut event = event(Level::Error, "failed\n\x1b[2J");
    event.fields.insert("k", "v w");
    let plain = Plain::new(&PlainConfig {
        format: Template::parse(format).expect("template"),
        time_format: TimeFormat::default(),
        timezone: Timezone::Utc,
    });
    let colored = Colored::with_color(&config(format), false);
    assert!(!colored.is_enabled());
    assert_eq!(render(&colored, &event), render(&plain, &event));
    assert_eq!(
        render(&colored, &event),
        "2026-11-24T05:55:58.123+00:00 ERROR [app] failed\\n\\x1b[2J k=\"v w\"\n"
    );
}

#[test]
fn color_decision() {
    let mut config = config("{level}");
    let colored = "\x1b[32mINFO\x1b[0m\n";
    let plain = "INFO\n";
    let allowed = !no_color_env();
    for (mode, terminal, expected) in [
        (ColorMode::Never, true, plain),
        (ColorMode::Never, false, plain),
        (ColorMode::Auto, false, plain),
        (ColorMode::Auto, true, if allowed { colored } else { plain }),
        (
            ColorMode::Always,
            false,
            if allowed { colored } else { plain },
        ),
        (
            ColorMode::Always,
            true,
            if allowed { colored } else { plain },
        ),
    ] {
        config.color = mode;
        let renderer = Colored::new(&config, terminal);
        assert_eq!(
            render(&renderer, &event(Level::Info, "m")),
            expected,
            "{mode:?} terminal={terminal}"
        );
    }
}

#[test]
fn no_color_turns_color_off() {
    support::child_only!("no_color_turns_color_off", [("NO_COLOR", "1")]);
    let mut config = config("{level}");
    config.color = ColorMode::Always;
    let renderer = Colored::new(&config, true);
    assert!(!renderer.is_enabled());
    assert_eq!(render(&renderer, &event(Level::Info, "m")), "INFO\n");
}

#[test]
fn empty_no_color_is_ignored() {
    support::child_only!("empty_no_color_is_ignored", [("NO_COLOR", "")]);
    let mut config = config("{level}");
    config.color = ColorMode::Always;
    let renderer = Colored::new(&config, false);
    assert!(renderer.is_enabled());
    assert_eq!(
        render(&renderer, &event(Level::Info, "m")),
        "\x1b[32mINFO\x1b[0m\n"
    );
}

#[test]
fn only_the_level_writes_escape_sequences() {
    let mut event = event(Level::Info, "\x1b[31mfake\x1b[0m \u{9b}2J\nline2\r");
    event.fields.insert("v", "\x1b]8;;http://x\x07");
    let renderer = Colored::with_color(&config("{level} {message}{kv}"), true);
    let out = render(&renderer, &event);
    assert_eq!(
        out,
        "\x1b[32mINFO\x1b[0m \\x1b[31mfake\\x1b[0m \\u{9b}2J\\nline2\\r v=\"\\x1b]8;;http://x\\x07\"\n"
    );
    assert_eq!(out.matches('\x1b').count(), 2);
    assert_eq!(out.matches('\n').count(), 1);
}
