//! Which arguments `ko_log::info!` formats where: a type that is neither plain nor opted
//! in is formatted on the caller's thread, at the call (later changes do not show); a
//! disabled level evaluates no argument; and records from these macros reach the test
//! `Sink` like any other.

use std::cell::Cell;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use ko_log::testing::{self, Sink};

/// Shows its value and the thread that formats it.
struct Probe<'a>(&'a Cell<u32>);

impl fmt::Display for Probe<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let thread = std::thread::current();
        write!(f, "{} on {}", self.0.get(), thread.name().unwrap_or("?"))
    }
}

/// Held by the test that narrows `log`'s global level and by a test that logs below it:
/// the tests of a file run in parallel.
static MAX_LEVEL: Mutex<()> = Mutex::new(());

#[test]
fn other_types_are_formatted_on_the_caller_at_the_call() {
    testing::init();
    let sink = Sink::new().with_format("{message}").unwrap();
    let _capture = sink.capture();
    let value = Cell::new(1);
    std::thread::Builder::new()
        .name("caller".into())
        .spawn(|| {
            let value = Cell::new(1);
            ko_log::info!("probe {:>2}|{}", Probe(&value), 7);
            value.set(2);
            ko_log::info!("probe {}", Probe(&value));
        })
        .unwrap()
        .join()
        .unwrap();
    value.set(3);
    assert_eq!(
        sink.lines(),
        Vec::<String>::new(),
        "another thread's records"
    );

    ko_log::info!("probe {}|{:?}", Probe(&value), "q");
    value.set(4);
    log::logger().flush();
    let here = std::thread::current().name().unwrap_or("?").to_owned();
    assert_eq!(sink.lines(), [format!("probe 3 on {here}|\"q\"")]);
}

#[test]
fn a_disabled_level_evaluates_no_argument() {
    testing::init();
    let sink = Sink::new().with_format("{level} {message}").unwrap();
    let _capture = sink.capture();
    let evaluated = AtomicUsize::new(0);
    let arg = || evaluated.fetch_add(1, Ordering::Relaxed);
    let _level = MAX_LEVEL.lock().unwrap_or_else(|e| e.into_inner());
    // `testing::init` sets the loosest level to `trace`; narrow `log`'s for this check.
    let before = log::max_level();
    log::set_max_level(log::LevelFilter::Info);
    ko_log::debug!("never {}", arg());
    ko_log::trace!(key = arg(); "never {}", arg());
    ko_log::info!("once {}", arg());
    log::set_max_level(before);
    log::logger().flush();
    assert_eq!(evaluated.load(Ordering::Relaxed), 1);
    assert_eq!(sink.lines(), ["INFO once 0"]);
}

#[test]
fn sinks_capture_records_of_the_native_macros_with_their_fields() {
    testing::init();
    let sink = Sink::attach("native::sink")
        .with_format("{target} {level} {message}{kv}")
        .unwrap();
    let level = MAX_LEVEL.lock().unwrap_or_else(|e| e.into_inner());
    ko_log::warn!(target: "native::sink", user_id = 7, name:? = "ada"; "disk {}% full", 91);
    ko_log::log!(target: "native::sink::pool", log::Level::Debug, "pool {} of {}", 3, 10_u8);
    drop(level);
    assert_eq!(
        sink.lines(),
        [
            // `:?` captures the Debug text (quoted), which `{kv}` quotes again.
            r#"native::sink WARN disk 91% full user_id=7 name="\"ada\"""#,
            "native::sink::pool DEBUG pool 3 of 10"
        ]
    );
    let events = sink.events();
    assert_eq!(
        events[0].fields.get("user_id"),
        Some(&ko_log::Value::I64(7))
    );
}
