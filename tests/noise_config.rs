//! Bad `rate_limit` and `on_error` settings are refused at init, each located at its own
//! key (path, line, column) with a message saying what is wrong.

use support::init_refusal;

/// A config whose handler `h` (line 3) has `extra` from line 5 on.
fn handler(extra: &str) -> String {
    format!("[loggers.root]\nhandlers = [\"h\"]\n[handlers.h]\ntype = \"null\"\n{extra}\n")
}

fn refused(extra: &str, message: &str, path: &str, line: usize, column: usize) {
    assert_eq!(
        init_refusal(&handler(extra)),
        (message.to_owned(), path.to_owned(), line, column),
        "{extra}"
    );
}

#[test]
fn bad_rate_limits_are_refused_at_their_key() {
    let rate = "handlers.h.processors[0].rate";
    refused(
        r#"processors = [{ type = "rate_limit", rate = "100" }]"#,
        r#"invalid rate `100`: expected COUNT/PERIOD, like "100/s", "5/min" or "20/10s""#,
        rate,
        5,
        45,
    );
    refused(
        r#"processors = [{ type = "rate_limit", rate = "0/s" }]"#,
        "invalid rate `0/s`: the count must be at least 1",
        rate,
        5,
        45,
    );
    refused(
        r#"processors = [{ type = "rate_limit", rate = "1/fortnight" }]"#,
        "invalid rate `1/fortnight`: unknown period `fortnight`, expected a unit (ms, s, min, h, d) or a duration like 10s",
        rate,
        5,
        45,
    );
    refused(
        r#"processors = [{ type = "rate_limit" }]"#,
        "missing key `rate`",
        rate,
        5,
        15,
    );
    refused(
        r#"processors = [{ type = "rate_limit", rate = "100/s", burst = 0 }]"#,
        "processor `rate_limit` cannot start: `burst` must be at least 1",
        "handlers.h.processors[0].burst",
        5,
        62,
    );
    refused(
        r#"processors = [{ type = "rate_limit", rate = "100/s", per = "thread" }]"#,
        "unknown value `thread`",
        "handlers.h.processors[0].per",
        5,
        60,
    );
    refused(
        r#"processors = [{ type = "rate_limit", rate = "100/s", brust = 200 }]"#,
        "unknown key `brust`",
        "handlers.h.processors[0].brust",
        5,
        54,
    );
}

#[test]
fn bad_on_error_settings_are_refused_at_their_key() {
    refused(
        "on_error = { keep = 10 }",
        r#"`on_error` keeps the records this handler's `level` skips, and it has none: set `level` (for example "info")"#,
        "handlers.h.on_error",
        5,
        12,
    );
    refused(
        "level = \"info\"\non_error = { keep = 0 }",
        "`keep` must be at least 1 (leave `on_error` out to keep nothing)",
        "handlers.h.on_error.keep",
        6,
        21,
    );
    refused(
        "level = \"info\"\non_error = { keep = 10, level = \"warn\" }",
        "`on_error.level` (warn) must be below the handler's `level` (info): it keeps records the handler skips",
        "handlers.h.on_error.level",
        6,
        33,
    );
    refused(
        "level = \"info\"\non_error = { keep = 10, level = \"info\" }",
        "`on_error.level` (info) must be below the handler's `level` (info): it keeps records the handler skips",
        "handlers.h.on_error.level",
        6,
        33,
    );
    refused(
        "level = \"info\"\non_error = { keep = 10, levle = \"debug\" }",
        "unknown key `levle`",
        "handlers.h.on_error.levle",
        6,
        25,
    );
    refused(
        "level = \"info\"\non_error = { level = \"debug\" }",
        "missing key `keep`",
        "handlers.h.on_error.keep",
        6,
        12,
    );
    refused(
        "level = \"info\"\non_error = 5",
        r#"expected a table like { keep = 200, level = "debug" }, found an integer"#,
        "handlers.h.on_error",
        6,
        12,
    );
}
