//! `#[ko_log::life]` on sync functions and methods, and `ko_log::life_guard!`: the exact
//! Begin/End/Failed/Panicked lines and their fields, through the ordinary pipeline.

mod life_lines;

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};

use ko_log::{Life, Value};
use life_lines::{lines, normalize, normalize_with_ms, sink};

#[ko_log::life("Migrate", fields(version, dry_run = !apply))]
fn migrate(version: u32, apply: bool) -> u32 {
    log::info!("applying");
    version + 1
}

#[test]
fn a_function_logs_begin_and_end_with_its_fields() {
    let sink = sink();
    let _capture = sink.capture();
    assert_eq!(migrate(3, true), 4);
    assert_eq!(
        lines(&sink),
        [
            "INFO Begin: Migrate version=3 dry_run=false",
            "INFO applying",
            "INFO End (s.ss): Migrate version=3 dry_run=false elapsed_ms=<ms>",
        ]
    );
}

#[test]
fn the_end_line_carries_the_exact_elapsed_time_as_a_float() {
    #[ko_log::life("Nap")]
    fn nap() {
        // The timed work: the end line must carry at least these 20 ms.
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let sink = sink();
    let _capture = sink.capture();
    nap();
    let events = sink.events();
    let Some(Value::F64(ms)) = events[1].fields.get("elapsed_ms") else {
        panic!("elapsed_ms is not an f64: {:?}", events[1].fields);
    };
    assert!(*ms >= 20.0, "{ms}");
    let (line, from_line) = normalize_with_ms(&sink.lines()[1]);
    assert_eq!(line, "INFO End (s.ss): Nap elapsed_ms=<ms>");
    assert_eq!(from_line, *ms);
}

#[ko_log::life("Lookup", fields(key))]
fn lookup(key: &str) -> Option<usize> {
    if key.is_empty() {
        return None;
    }
    Some(key.len())
}

#[test]
fn an_early_return_ends_the_life() {
    let sink = sink();
    let _capture = sink.capture();
    assert_eq!(lookup(""), None);
    assert_eq!(lookup("ab"), Some(2));
    assert_eq!(
        lines(&sink),
        [
            "INFO Begin: Lookup key=\"\"",
            "INFO End (s.ss): Lookup key=\"\" elapsed_ms=<ms>",
            "INFO Begin: Lookup key=ab",
            "INFO End (s.ss): Lookup key=ab elapsed_ms=<ms>",
        ]
    );
}

#[derive(Debug)]
struct MigrationError(std::io::Error);

impl fmt::Display for MigrationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("cannot read the schema")
    }
}

impl std::error::Error for MigrationError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

fn read_schema(fail: bool) -> Result<u32, MigrationError> {
    if fail {
        Err(MigrationError(std::io::Error::other("disk unplugged")))
    } else {
        Ok(7)
    }
}

#[ko_log::life("Load schema", fields(fail))]
fn load_schema(fail: bool) -> Result<u32, MigrationError> {
    let version = read_schema(fail)?;
    Ok(version * 2)
}

#[test]
fn an_err_through_question_mark_logs_failed_with_the_error_and_its_chain() {
    let sink = sink();
    let _capture = sink.capture();
    assert_eq!(load_schema(false).ok(), Some(14));
    assert!(load_schema(true).is_err());
    assert_eq!(
        lines(&sink),
        [
            "INFO Begin: Load schema fail=false",
            "INFO End (s.ss): Load schema fail=false elapsed_ms=<ms>",
            "INFO Begin: Load schema fail=true",
            "ERROR Failed (s.ss): Load schema fail=true elapsed_ms=<ms> error=\"cannot read the schema: disk unplugged\"",
        ]
    );
    let events = sink.events();
    assert_eq!(
        events[3].fields.get("error"),
        Some(&Value::Error(Box::new(ko_log::ErrorValue {
            message: "cannot read the schema".to_owned(),
            sources: vec!["disk unplugged".to_owned()],
        })))
    );
}

#[ko_log::life("Parse")]
fn parse(text: &str) -> Result<i64, String> {
    text.trim()
        .parse::<i64>()
        .map_err(|e| format!("bad number {text:?}: {e}"))
}

#[ko_log::life("Parse quietly", err = false)]
fn parse_quietly(text: &str) -> Result<i64, String> {
    text.parse::<i64>().map_err(|e| e.to_string())
}

#[test]
fn an_error_that_is_not_an_error_type_is_logged_as_text_and_err_false_opts_out() {
    let sink = sink();
    let _capture = sink.capture();
    assert!(parse("x").is_err());
    assert!(parse_quietly("x").is_err());
    assert_eq!(
        lines(&sink),
        [
            "INFO Begin: Parse",
            "ERROR Failed (s.ss): Parse elapsed_ms=<ms> error=\"bad number \\\"x\\\": invalid digit found in string\"",
            "INFO Begin: Parse quietly",
            "INFO End (s.ss): Parse quietly elapsed_ms=<ms>",
        ]
    );
}

#[ko_log::life("Sweep", level = "debug", target = "app::jobs")]
fn sweep() {}

#[test]
fn level_and_target_apply_to_both_lines() {
    ko_log::testing::init();
    let sink = ko_log::testing::Sink::new()
        .with_format("{level} [{target}] {message}")
        .unwrap();
    let _capture = sink.capture();
    sweep();
    let lines: Vec<String> = sink.lines().iter().map(|l| normalize_no_kv(l)).collect();
    assert_eq!(
        lines,
        [
            "DEBUG [app::jobs] Begin: Sweep",
            "DEBUG [app::jobs] End (s.ss): Sweep"
        ]
    );
    let events = sink.events();
    assert_eq!(events[0].module_path.as_deref(), Some("life_sync"));
    assert_eq!(events[0].file.as_deref(), Some("tests/life_sync.rs"));
}

#[test]
fn the_default_target_is_the_module_path() {
    ko_log::testing::init();
    let sink = ko_log::testing::Sink::new()
        .with_format("[{target}] {message}")
        .unwrap();
    let _capture = sink.capture();
    nested::work();
    let lines: Vec<String> = sink.lines().iter().map(|l| normalize_no_kv(l)).collect();
    assert_eq!(
        lines,
        [
            "[life_sync::nested] Begin: Nested work",
            "[life_sync::nested] End (s.ss): Nested work"
        ]
    );
}

mod nested {
    #[ko_log::life("Nested work")]
    pub fn work() {}
}

/// Replaces the seconds of an end line that has no `elapsed_ms` in its template.
fn normalize_no_kv(line: &str) -> String {
    match line.find(" (") {
        Some(open) => {
            let close = open + line[open..].find("): ").expect("(s.ss): ");
            format!("{}(s.ss){}", &line[..open + 1], &line[close + 1..])
        }
        None => line.to_owned(),
    }
}

struct Account {
    id: u64,
    balance: i64,
}

impl Account {
    #[ko_log::life("Read balance", fields(id = self.id))]
    fn balance(&self) -> i64 {
        self.balance
    }

    #[ko_log::life("Deposit", fields(id = self.id, amount))]
    fn deposit(&mut self, amount: i64) -> Result<&mut i64, String> {
        if amount <= 0 {
            return Err(format!("cannot deposit {amount}"));
        }
        self.balance += amount;
        Ok(&mut self.balance)
    }

    #[ko_log::life("Close", fields(id = self.id))]
    fn close(self) -> i64 {
        self.balance
    }

    #[ko_log::life("Open")]
    fn open(id: u64) -> Self {
        Account { id, balance: 0 }
    }
}

#[test]
fn methods_taking_self_by_reference_mutable_reference_and_value() {
    let sink = sink();
    let _capture = sink.capture();
    let mut account = Account::open(9);
    *account.deposit(5).expect("deposited") += 1;
    assert!(account.deposit(0).is_err());
    assert_eq!(account.balance(), 6);
    assert_eq!(account.close(), 6);
    assert_eq!(
        lines(&sink),
        [
            "INFO Begin: Open",
            "INFO End (s.ss): Open elapsed_ms=<ms>",
            "INFO Begin: Deposit id=9 amount=5",
            "INFO End (s.ss): Deposit id=9 amount=5 elapsed_ms=<ms>",
            "INFO Begin: Deposit id=9 amount=0",
            "ERROR Failed (s.ss): Deposit id=9 amount=0 elapsed_ms=<ms> error=\"cannot deposit 0\"",
            "INFO Begin: Read balance id=9",
            "INFO End (s.ss): Read balance id=9 elapsed_ms=<ms>",
            "INFO Begin: Close id=9",
            "INFO End (s.ss): Close id=9 elapsed_ms=<ms>",
        ]
    );
}

#[ko_log::life("Largest", fields(count = items.len()))]
fn largest<T: PartialOrd + Copy>(items: &[T]) -> Option<T> {
    let mut best = *items.first()?;
    for &item in items {
        if item > best {
            best = item;
        }
    }
    Some(best)
}

#[ko_log::life("Evens", fields(limit))]
fn evens(limit: u32) -> impl Iterator<Item = u32> {
    (0..limit).filter(|n| n % 2 == 0)
}

#[ko_log::life("Parse all")]
fn parse_all<'a>(
    texts: &'a [&'a str],
) -> Result<impl Iterator<Item = i64> + 'a, std::num::ParseIntError> {
    for text in texts {
        text.parse::<i64>()?;
    }
    Ok(texts.iter().map(|t| t.parse::<i64>().unwrap_or_default()))
}

#[test]
fn generic_functions_and_impl_trait_returns() {
    let sink = sink();
    let _capture = sink.capture();
    assert_eq!(largest(&[3, 9, 2]), Some(9));
    assert_eq!(largest::<u8>(&[]), None);
    assert_eq!(evens(5).collect::<Vec<_>>(), [0, 2, 4]);
    assert_eq!(parse_all(&["1", "2"]).map(Iterator::sum::<i64>), Ok(3));
    assert!(parse_all(&["1", "x"]).is_err());
    assert_eq!(
        lines(&sink),
        [
            "INFO Begin: Largest count=3",
            "INFO End (s.ss): Largest count=3 elapsed_ms=<ms>",
            "INFO Begin: Largest count=0",
            "INFO End (s.ss): Largest count=0 elapsed_ms=<ms>",
            "INFO Begin: Evens limit=5",
            "INFO End (s.ss): Evens limit=5 elapsed_ms=<ms>",
            "INFO Begin: Parse all",
            "INFO End (s.ss): Parse all elapsed_ms=<ms>",
            "INFO Begin: Parse all",
            "ERROR Failed (s.ss): Parse all elapsed_ms=<ms> error=\"invalid digit found in string\"",
        ]
    );
}

#[ko_log::life("Explode", fields(depth))]
fn explode(depth: u32) {
    if depth > 0 {
        panic!("boom at {depth}");
    }
}

#[test]
fn a_panic_unwinding_through_logs_panicked() {
    let sink = sink();
    let _capture = sink.capture();
    assert!(std::panic::catch_unwind(|| explode(2)).is_err());
    explode(0);
    assert_eq!(
        lines(&sink),
        [
            "INFO Begin: Explode depth=2",
            "ERROR Panicked (s.ss): Explode depth=2 elapsed_ms=<ms>",
            "INFO Begin: Explode depth=0",
            "INFO End (s.ss): Explode depth=0 elapsed_ms=<ms>",
        ]
    );
}

#[test]
fn the_guard_form_times_a_block_with_every_capture() {
    let sink = sink();
    let _capture = sink.capture();
    let user = String::from("ana");
    let addr = std::net::Ipv4Addr::new(10, 0, 0, 1);
    let err = std::io::Error::other("stale cache");
    {
        let _life = ko_log::life_guard!(
            "Database query",
            fields(table = "users", user, addr:% = addr, ids:? = [1, 2], cause:err = err)
        );
        log::info!("querying");
    }
    assert_eq!(user, "ana", "fields are borrowed, not moved");
    assert_eq!(
        lines(&sink),
        [
            "INFO Begin: Database query table=users user=ana addr=10.0.0.1 ids=\"[1, 2]\" cause=\"stale cache\"",
            "INFO querying",
            "INFO End (s.ss): Database query table=users user=ana addr=10.0.0.1 ids=\"[1, 2]\" cause=\"stale cache\" elapsed_ms=<ms>",
        ]
    );
    let events = sink.events();
    assert!(matches!(
        events[0].fields.get("cause"),
        Some(Value::Error(_))
    ));
    assert_eq!(events[0].fields.get("table"), Some(&Value::from("users")));
}

#[test]
fn fields_are_evaluated_once_for_both_lines() {
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    fn next() -> usize {
        CALLS.fetch_add(1, Ordering::Relaxed) + 1
    }
    let sink = sink();
    let _capture = sink.capture();
    {
        let _life = ko_log::life_guard!("Counted", fields(call = next()));
    }
    assert_eq!(CALLS.load(Ordering::Relaxed), 1);
    assert_eq!(
        lines(&sink),
        [
            "INFO Begin: Counted call=1",
            "INFO End (s.ss): Counted call=1 elapsed_ms=<ms>"
        ]
    );
}

#[test]
fn a_guard_can_be_ended_or_failed_explicitly() {
    let sink = sink();
    let _capture = sink.capture();
    let life = ko_log::life_guard!("Step one");
    assert!(life.is_enabled());
    life.end();
    let life: Life = ko_log::life_guard!("Step two", level = "warn");
    life.fail(&std::io::Error::other("no route"));
    assert_eq!(
        lines(&sink),
        [
            "INFO Begin: Step one",
            "INFO End (s.ss): Step one elapsed_ms=<ms>",
            "WARN Begin: Step two",
            "ERROR Failed (s.ss): Step two elapsed_ms=<ms> error=\"no route\"",
        ]
    );
}

#[test]
fn scoped_context_is_captured_on_both_lines() {
    let sink = sink();
    let _capture = sink.capture();
    let _ctx = ko_log::context!(request_id = "r-1");
    {
        let _life = ko_log::life_guard!("Handle", fields(attempt = 2));
    }
    assert_eq!(
        lines(&sink),
        [
            "INFO Begin: Handle attempt=2 request_id=r-1",
            "INFO End (s.ss): Handle attempt=2 elapsed_ms=<ms> request_id=r-1",
        ]
    );
}

#[test]
fn lives_nest() {
    #[ko_log::life("Outer")]
    fn outer() {
        inner();
    }
    #[ko_log::life("Inner", level = "trace")]
    fn inner() {}
    let sink = sink();
    let _capture = sink.capture();
    outer();
    assert_eq!(
        lines(&sink),
        [
            "INFO Begin: Outer",
            "TRACE Begin: Inner",
            "TRACE End (s.ss): Inner elapsed_ms=<ms>",
            "INFO End (s.ss): Outer elapsed_ms=<ms>",
        ]
    );
}

#[test]
fn normalize_rejects_a_malformed_figure() {
    let result = std::panic::catch_unwind(|| normalize("INFO End (0.5): X elapsed_ms=500"));
    assert!(result.is_err());
    let result = std::panic::catch_unwind(|| normalize("INFO End (0.50): X elapsed_ms=900"));
    assert!(result.is_err());
}
