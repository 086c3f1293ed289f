//! Records that a processor logs (on the dispatcher thread) while the queue is full under
//! `block`: the dispatcher cannot wait for room only it makes, so it sets them aside and
//! writes them after the batch. None is lost.

use ko_log::config::Format;
use ko_log::{Action, Event};

/// For each record of target `app`, logs two records of its own (target `audit`).
#[ko_log::processor]
fn audit_twice() -> impl FnMut(&mut Event) -> Action + Send + 'static {
    |event| {
        if event.target == "app" {
            log::info!(target: "audit", "audit 1 of {}", event.message);
            log::info!(target: "audit", "audit 2 of {}", event.message);
        }
        Action::Keep
    }
}

#[test]
fn records_logged_by_a_processor_under_block_are_all_written() {
    let (_dir, path) = support::temp_path("app.log");
    let config = format!(
        "[queue]\ncapacity = 4\nbackpressure = \"block\"\n\
         [loggers.root]\nhandlers = [\"file\"]\n\
         [handlers.file]\ntype = \"file\"\npath = \"{}\"\n\
         processors = [{{ type = \"audit_twice\" }}]\n\
         renderer = {{ type = \"plain\", format = \"{{target}} {{message}}\" }}\n",
        path.display()
    );
    let guard = ko_log::init_from_str(&config, Format::Toml).unwrap();
    for i in 0..1000 {
        log::info!(target: "app", "r{i}");
    }
    drop(guard);

    let lines = support::lines(&path);
    let app: Vec<&String> = lines.iter().filter(|l| l.starts_with("app ")).collect();
    let audit = lines.iter().filter(|l| l.starts_with("audit ")).count();
    assert_eq!(app.len(), 1000);
    assert_eq!(audit, 2000, "records logged by the processor were lost");
    for i in 0..1000 {
        for n in [1, 2] {
            let line = format!("audit audit {n} of r{i}");
            assert_eq!(lines.iter().filter(|l| **l == line).count(), 1, "{line}");
        }
    }
    let stats = ko_log::stats();
    assert_eq!((stats.written, stats.dropped), (3000, 0), "{stats:?}");
}
