//! `ko_log::info!` and its siblings render byte for byte what the same call through
//! `log::info!` renders, in every built-in renderer: each pair of calls below sits on one
//! source line (so the two records share their line number), and every handler's output
//! must come in identical pairs. The times are written with a constant format.

use std::borrow::Cow;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A type with its own `Display` and no opt-in: formatted on the caller.
struct Celsius(f64);

impl fmt::Display for Celsius {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.1}°C", self.0)
    }
}

/// A type that opts in: copied as its `u64` and formatted on the dispatcher.
#[derive(Debug, Clone, Copy)]
struct UserId(u64);

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&format!("user-{}", self.0))
    }
}

impl ko_log::Loggable for UserId {
    type Repr = u64;
    fn to_repr(&self) -> u64 {
        self.0
    }
    fn from_repr(repr: u64) -> UserId {
        UserId(repr)
    }
}

/// Made by [`counted`], which counts how often it is called: an argument is evaluated
/// once per call.
struct Counted;

impl fmt::Display for Counted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "counted")
    }
}

fn counted(hits: &AtomicUsize) -> Counted {
    hits.fetch_add(1, Ordering::Relaxed);
    Counted
}

/// A `Display` that panics.
struct Panics;

impl fmt::Display for Panics {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        panic!("Display of Panics")
    }
}

/// A `Display` that returns an error.
struct Fails;

impl fmt::Display for Fails {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        Err(fmt::Error)
    }
}

#[derive(Debug)]
#[allow(dead_code)]
struct Request {
    path: &'static str,
    attempt: u8,
}

const CONFIG: &str = r#"
default_level = "trace"

[loggers.root]
level = "trace"
handlers = ["plain", "json", "logfmt", "colored"]

[handlers.plain]
type = "file"
path = "PATH/plain.log"
renderer = { type = "plain", format = "{time} {level:<5} [{target}] {message}{kv} {file}:{line} {module}", time_format = "T" }

[handlers.json]
type = "file"
path = "PATH/json.log"
renderer = { type = "json" }
processors = [{ type = "add_callsite", fields = ["file", "line", "module"] }]

[handlers.logfmt]
type = "file"
path = "PATH/logfmt.log"
renderer = { type = "logfmt", time_format = "T" }

[handlers.colored]
type = "file"
path = "PATH/colored.log"
renderer = { type = "colored", format = "{time} {level:<5} [{target}] {message}{kv}", time_format = "T" }
"#;

#[test]
fn every_renderer_writes_the_same_line_for_both_macros() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = CONFIG.replace("PATH", &dir.path().display().to_string());
    let guard =
        ko_log::init_from_str(&config, ko_log::config::Format::Toml).expect("the config loads");

    let i = 42_u64;
    let user = "ada";
    let name = String::from("Grace \"G\" Hopper\n");
    let long = "x".repeat(300);
    let hits = AtomicUsize::new(0);
    let request = Request {
        path: "/a",
        attempt: 2,
    };
    #[rustfmt::skip]
    {
        log::info!("request {} handled for user {}", i, user); ko_log::info!("request {} handled for user {}", i, user);
        log::warn!("{name} is {age:>5} years, pi {pi:.3} {0}", i, age = 36, pi = std::f64::consts::PI); ko_log::warn!("{name} is {age:>5} years, pi {pi:.3} {0}", i, age = 36, pi = std::f64::consts::PI);
        log::error!("{:?} {:?} {:>8}|{:<8}|{:^9}|", name, user, user, i, 'c'); ko_log::error!("{:?} {:?} {:>8}|{:<8}|{:^9}|", name, user, user, i, 'c');
        log::debug!("{:>10} and {:?}", Celsius(21.456), request); ko_log::debug!("{:>10} and {:?}", Celsius(21.456), request);
        log::trace!("{:#?}", request); ko_log::trace!("{:#?}", request);
        log::info!("{:#x} {:08b} {:e} {:X?} {:o}", 255, 5_u8, 1234.5_f64, [10_u8, 11], 8); ko_log::info!("{:#x} {:08b} {:e} {:X?} {:o}", 255, 5_u8, 1234.5_f64, [10_u8, 11], 8);
        log::info!(user_id = 7, who:? = user, ok = true; "kv {}", 1); ko_log::info!(user_id = 7, who:? = user, ok = true; "kv {}", 1);
        log::info!(target: "app::db", "target {}", 2); ko_log::info!(target: "app::db", "target {}", 2);
        log::info!(target: "app::db", elapsed_ms = 1.5; "both {}", 3); ko_log::info!(target: "app::db", elapsed_ms = 1.5; "both {}", 3);
        log::info!("plain literal"); ko_log::info!("plain literal");
        log::info!("{{braces}} {}", 1); ko_log::info!("{{braces}} {}", 1);
        log::info!("{} {} {} {} {} {}", -7_i128, 1.5_f32, usize::MAX, false, f64::NAN, -0.0_f64); ko_log::info!("{} {} {} {} {} {}", -7_i128, 1.5_f32, usize::MAX, false, f64::NAN, -0.0_f64);
        log::info!("{:>1$}|{:.*}", i, 6, 1.23456); ko_log::info!("{:>1$}|{:.*}", i, 6, 1.23456);
        log::info!("{} {} {} {} {} {} {} {} {}", 1, 2, 3, 4, 5, 6, 7, 8, 9); ko_log::info!("{} {} {} {} {} {} {} {} {}", 1, 2, 3, 4, 5, 6, 7, 8, 9);
        log::info!("long {long} and {} then {long:?}", long.len()); ko_log::info!("long {long} and {} then {long:?}", long.len());
        log::info!("id {} {:>10}|{:?}", UserId(9), UserId(10), UserId(11)); ko_log::info!("id {} {:>10}|{:?}", UserId(9), UserId(10), UserId(11));
        log::info!("same {0} {0:?} {0:>6}", user); ko_log::info!("same {0} {0:?} {0:>6}", user);
        log::info!("once {}", counted(&hits)); ko_log::info!("once {}", counted(&hits));
        log::info!("panics {} after", Panics); ko_log::info!("panics {} after", Panics);
        log::info!("{}", &&name); ko_log::info!("{}", &&name);
        log::info!("fails {} {}", 1, Fails); ko_log::info!("fails {} {}", 1, Fails);
        // A target that is not a constant is looked up per record, not cached per call site.
        for target in ["dyn::one", "dyn::two"] { log::info!(target: target, "dyn {}", 4); ko_log::info!(target: target, "dyn {}", 4); }
        // Integers and text skip `core::fmt` on the dispatcher: every width and sign.
        log::info!("{}|{}|{}|{}|{}|{}|{}|{}", i64::MIN, u128::MAX, 0_u8, i8::MIN, true, 'é', Cow::Borrowed("cow"), Box::<str>::from("")); ko_log::info!("{}|{}|{}|{}|{}|{}|{}|{}", i64::MIN, u128::MAX, 0_u8, i8::MIN, true, 'é', Cow::Borrowed("cow"), Box::<str>::from(""));
    };
    log::logger().flush();
    drop(guard);

    assert_eq!(
        hits.load(Ordering::Relaxed),
        2,
        "each call evaluates its argument once"
    );
    for file in ["plain.log", "json.log", "logfmt.log", "colored.log"] {
        let mut lines = support::lines(dir.path().join(file));
        if file == "json.log" {
            // The one renderer without a time format: the time is taken out.
            for line in &mut lines {
                let mut object: serde_json::Value = serde_json::from_str(line).expect("JSON");
                object.as_object_mut().map(|o| o.remove("timestamp"));
                *line = object.to_string();
            }
        }
        assert_eq!(lines.len(), 48, "{file}: {lines:#?}");
        for pair in lines.chunks(2) {
            assert_eq!(pair[0], pair[1], "{file}: log::info! then ko_log::info!");
        }
    }
    let plain = support::lines(dir.path().join("plain.log"));
    assert_eq!(
        plain[0],
        format!(
            "T INFO  [native_macros] request 42 handled for user ada tests/native_macros.rs:{} native_macros",
            plain[0].rsplit(':').next().and_then(|l| l.split(' ').next()).unwrap_or("?")
        )
    );
    assert!(plain[2].contains(r#"Grace "G" Hopper"#), "{}", plain[2]);
    // A failing or panicking `Display` replaces the whole message, as for a `log` record.
    assert!(
        plain[40].starts_with("T INFO  [native_macros] <formatting error> tests/"),
        "{}",
        plain[40]
    );
    assert!(
        plain[36].starts_with("T INFO  [native_macros] <panicked while formatting> tests/"),
        "{}",
        plain[36]
    );
    assert!(
        plain[42].starts_with("T INFO  [dyn::one] dyn 4 tests/"),
        "{}",
        plain[42]
    );
    assert!(
        plain[46].starts_with(&format!(
            "T INFO  [native_macros] {}|{}|0|-128|true|é|cow| tests/",
            i64::MIN,
            u128::MAX
        )),
        "{}",
        plain[46]
    );
    assert!(
        plain[44].starts_with("T INFO  [dyn::two] dyn 4 tests/"),
        "{}",
        plain[44]
    );
}
