//! A second init is refused before it builds anything: the live log is not truncated by
//! its `append = false`, no file of its own is created, no second dispatcher is started.

use ko_log::config::Format;

/// How many dispatcher threads run.
fn dispatchers() -> usize {
    support::threads()
        .iter()
        .filter(|name| *name == "ko-log")
        .count()
}

#[test]
fn a_refused_second_init_leaves_the_live_log_and_the_disk_alone() {
    let (dir, live) = support::temp_path("live.log");
    let config = format!(
        "[loggers.root]\nhandlers = [\"live\"]\n\
         [handlers.live]\ntype = \"file\"\npath = \"{}\"\nappend = false\n\
         renderer = {{ type = \"plain\", format = \"{{message}}\" }}\n",
        live.display(),
    );
    let other = format!(
        "{config}[handlers.other]\ntype = \"file\"\npath = \"{}\"\n",
        dir.path().join("other.log").display()
    );
    let _guard = ko_log::init_from_str(&config, Format::Toml).unwrap();
    log::info!("first");
    log::logger().flush();
    assert_eq!(dispatchers(), 1);

    let again = ko_log::init_from_str(&other, Format::Toml);
    assert!(matches!(again, Err(ko_log::Error::AlreadyInitialized)));
    log::info!("second");
    log::logger().flush();
    assert_eq!(
        support::lines(&live),
        ["first", "second"],
        "the live log was truncated"
    );
    assert!(
        !dir.path().join("other.log").exists(),
        "the refused init created a file"
    );
    assert_eq!(dispatchers(), 1, "the refused init started a dispatcher");
}
