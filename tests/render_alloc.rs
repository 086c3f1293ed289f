//! The renderers allocate nothing per record once the output buffer has grown: the
//! dispatcher's hot loop renders into one reused `Vec`. Counted with a global allocator
//! that counts on the current thread only, so tests running in parallel do not interfere.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use ko_log::config::handler::Timezone;
use ko_log::config::render::TimeFormat;
use ko_log::config::Template;
use ko_log::render::{
    Colored, ColoredConfig, Json, JsonConfig, Logfmt, LogfmtConfig, Plain, PlainConfig, Renderer,
};
use ko_log::{ErrorValue, Event, Value};
use log::Level;

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

fn event() -> Event {
    let mut event = Event::new(
        Level::Info,
        "app::db",
        "Processing request\nwith \x1b escapes",
    );
    event.fields.insert("user_id", 123);
    event.fields.insert("name", "Ada Lovelace");
    event.fields.insert("ratio", 0.25);
    event.fields.insert("nan", f64::NAN);
    event.fields.insert(
        "err",
        Value::Error(Box::new(ErrorValue {
            message: "timed out".to_owned(),
            sources: vec!["connection reset".to_owned()],
        })),
    );
    event.fields.insert(
        "list",
        Value::List(vec![Value::from(1), Value::from("a b")]),
    );
    event
}

/// Allocations made by the second of two renders into the same buffer.
fn steady_state(renderer: &dyn Renderer) -> u64 {
    let event = event();
    let mut out = Vec::with_capacity(4096);
    renderer.render(&event, &mut out);
    out.clear();
    let before = allocations();
    renderer.render(&event, &mut out);
    allocations() - before
}

fn template() -> Template {
    Template::parse("{time} {level:<5} [{target}] {thread} {name:>14} {message}{kv}")
        .expect("template")
}

#[test]
fn plain_does_not_allocate() {
    for time_format in [
        TimeFormat::default(),
        TimeFormat::parse("rfc3339").expect("rfc3339"),
    ] {
        let renderer = Plain::new(&PlainConfig {
            format: template(),
            time_format,
            timezone: Timezone::Utc,
        });
        assert_eq!(steady_state(&renderer), 0);
    }
}

#[test]
fn colored_does_not_allocate() {
    let config = ColoredConfig {
        format: template(),
        timezone: Timezone::Utc,
        ..ColoredConfig::default()
    };
    assert_eq!(steady_state(&Colored::with_color(&config, true)), 0);
}

#[test]
fn json_does_not_allocate() {
    for pretty in [false, true] {
        let renderer = Json::new(&JsonConfig {
            pretty,
            timezone: Timezone::Utc,
            ..JsonConfig::default()
        });
        assert_eq!(steady_state(&renderer), 0, "pretty = {pretty}");
    }
}

#[test]
fn logfmt_does_not_allocate() {
    for time_format in [
        TimeFormat::default(),
        TimeFormat::parse("rfc3339").expect("rfc3339"),
        // Written in quotes.
        TimeFormat::parse("[year]-[month]-[day] [hour]:[minute]").expect("format"),
    ] {
        let renderer = Logfmt::new(&LogfmtConfig {
            time_format,
            timezone: Timezone::Utc,
            ..LogfmtConfig::default()
        });
        assert_eq!(steady_state(&renderer), 0);
    }
    // Sanitized keys and a field moved out of the way of `msg` (`fields.fields.msg`).
    let renderer = Logfmt::new(&LogfmtConfig {
        timezone: Timezone::Utc,
        ..LogfmtConfig::default()
    });
    let mut event = event();
    event.fields.insert("user name", "Ada");
    event.fields.insert("msg", "field");
    event.fields.insert("fields.msg", "taken");
    let mut out = Vec::with_capacity(4096);
    renderer.render(&event, &mut out);
    assert!(
        out.ends_with(b" user_name=Ada fields.fields.msg=field fields.msg=taken\n"),
        "{}",
        String::from_utf8_lossy(&out)
    );
    out.clear();
    let before = allocations();
    renderer.render(&event, &mut out);
    assert_eq!(allocations() - before, 0);
}
