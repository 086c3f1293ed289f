//! ko-log's stderr reports: rate limited per failure, never hiding a different failure of
//! the same code and handler, and never losing the count of what was suppressed. The
//! test re-runs itself as a child (its stderr is what is checked) that stages two
//! failures of one `rotating_file` handler, one after the other, with the real handler:
//! a backup that is a symlink (`cannot rotate …app.log.2`), then the live file replaced
//! by a symlink (`cannot reopen …app.log`).
#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use support::config;

const TWO: &str = "a_second_failure_of_the_same_code_and_handler_is_printed_and_counts_at_shutdown";
const DIR_ENV: &str = "KO_LOG_REPORTS_DIR";

#[test]
fn a_second_failure_of_the_same_code_and_handler_is_printed_and_counts_at_shutdown() {
    if support::is_child(TWO) {
        return child(&PathBuf::from(std::env::var_os(DIR_ENV).unwrap()));
    }
    let dir = tempfile::tempdir().unwrap();
    let dir_text = dir.path().display().to_string();
    let stderr = support::run_child_ok(TWO, &[(DIR_ENV, &dir_text)]);
    let app = dir.path().join("app.log");
    let code = "[HANDLER::RotatingFile::IO::ERROR::RECOVERABLE]";
    let rotate = format!(
        "ko-log: {code} handler `app`: RotatingFile handler: cannot rotate {}.2:",
        app.display()
    );
    let reopen = format!(
        "ko-log: {code} handler `app`: RotatingFile handler: cannot reopen {}: is now a symlink",
        app.display()
    );
    let lines: Vec<&str> = stderr.lines().collect();
    let first = |prefix: &str| {
        lines
            .iter()
            .position(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no `{prefix}` in stderr:\n{stderr}"))
    };
    // Both failures are printed, in the order they happened, each once.
    assert!(first(&rotate) < first(&reopen), "{stderr}");
    assert_eq!(
        lines.iter().filter(|l| l.starts_with(&rotate)).count(),
        1,
        "{stderr}"
    );
    assert_eq!(
        lines.iter().filter(|l| l.starts_with(&reopen)).count(),
        1,
        "{stderr}"
    );
    // The rest were counted, and the counts printed at shutdown (the child ran for far
    // less than the 10 s window): printed reports plus suppressed counts are exactly the
    // handler's errors.
    let suppressed: u64 = lines
        .iter()
        .filter(|l| l.starts_with(&format!("ko-log: {code} ")) && l.contains(" suppressed in "))
        .map(|l| {
            let rest = &l[format!("ko-log: {code} ").len()..];
            rest.split(' ').next().unwrap().parse::<u64>().unwrap()
        })
        .sum();
    let errors: u64 = std::fs::read_to_string(dir.path().join("errors"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let printed = lines
        .iter()
        .filter(|l| l.starts_with(&format!("ko-log: {code} ")) && !l.contains(" suppressed in "))
        .count() as u64;
    println!(
        "figure: {errors} handler errors: {printed} printed, {suppressed} counted at shutdown"
    );
    assert!(
        suppressed > 0,
        "the staging repeats each failure:\n{stderr}"
    );
    assert_eq!(printed + suppressed, errors, "{stderr}");
}

fn child(dir: &Path) {
    let app = dir.join("app.log");
    let limits = "max_bytes = 100\nbackup_count = 3\nreopen_check = \"10ms\"\n";
    let table = config::rotating("app", &app, limits);
    let guard = config::init(&(config::root(&["app"]) + &table));
    let line = "x".repeat(60);
    // Two rotations make app.log.1; the next one must shift it onto app.log.2, a symlink.
    std::os::unix::fs::symlink(dir.join("elsewhere"), dir.join("app.log.2")).unwrap();
    // A failed rotation is tried again a second later (`RotatingFile::RETRY`): wait for
    // the second attempt, which is suppressed.
    let errors = || ko_log::stats().handler("app").unwrap().errors;
    support::wait_until("a second rotation attempt", || {
        log::info!("{line}");
        log::logger().flush();
        errors() >= 2
    });
    let rotate_errors = errors();
    // Then the live file becomes a symlink: not followed at the next reopen check.
    std::fs::remove_file(dir.join("app.log.2")).unwrap();
    std::fs::remove_file(&app).unwrap();
    std::os::unix::fs::symlink(dir.join("victim"), &app).unwrap();
    std::thread::sleep(Duration::from_millis(30)); // past reopen_check: the condition itself
    for _ in 0..20 {
        log::info!("short");
        log::logger().flush();
    }
    assert!(errors() > rotate_errors + 2, "{} errors", errors());
    drop(guard);
    let errors = errors();
    std::fs::write(dir.join("errors"), errors.to_string()).unwrap();
}
