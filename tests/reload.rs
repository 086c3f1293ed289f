//! Hot reload (`ko_log::reload`, `ko_log::reconfigure`, `watch`): a writer logging through
//! 100 reloads that move a logger between two handlers and change its level, with every
//! record checked against the config in force when it was logged; refusals that keep the
//! running config; kept handlers not reopened, removed ones flushed and closed; settings
//! that cannot change live reported; the file watched for changes (events and polling).
//! Each test installs ko-log, so each runs as a child process of its own.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

/// Writes `text` as `log.toml` in `dir` and installs ko-log from that file; returns the
/// file's path and the guard.
fn init_from(dir: &Path, text: &str) -> (PathBuf, ko_log::Guard) {
    let path = dir.join("log.toml");
    replace(&path, text);
    let guard = ko_log::init_from_file(&path).unwrap();
    (path, guard)
}

/// Writes `text` to `path` as editors do: a new file renamed over the old one.
fn replace(path: &Path, text: &str) {
    let new = path.with_extension("toml.new");
    std::fs::write(&new, text).unwrap();
    std::fs::rename(&new, path).unwrap();
}

/// A file handler `name` writing bare messages to `dir/name.log`, truncated at open, so
/// that a handler reopened by mistake loses what it had written.
fn file_handler(dir: &Path, name: &str) -> String {
    format!(
        "[handlers.{name}]\ntype = \"file\"\npath = \"{}\"\nappend = false\n\
         renderer = {{ type = \"plain\", format = \"{{message}}\" }}\n",
        dir.join(format!("{name}.log")).display()
    )
}

/// Config A (`a`: `app::moving` at `debug` to handler `a`) or B (`info`, to `b`); the
/// `ko_log` target goes to handler `events`.
fn moving(dir: &Path, to_b: bool) -> String {
    let (level, handler) = if to_b { ("info", "b") } else { ("debug", "a") };
    format!(
        "[loggers.root]\nlevel = \"info\"\nhandlers = [\"events\"]\n\
         [loggers.\"app::moving\"]\nlevel = \"{level}\"\nhandlers = [\"{handler}\"]\nadditive = false\n\
         {}{}{}",
        file_handler(dir, "a"),
        file_handler(dir, "b"),
        file_handler(dir, "events"),
    )
}

/// The ids of the `r N` lines of `file`, in order.
fn ids(file: PathBuf) -> Vec<usize> {
    support::lines(file)
        .iter()
        .filter_map(|line| line.strip_prefix("r ")?.parse().ok())
        .collect()
}

/// Issue 13's acceptance test. A writer thread logs `r 0`, `r 1`, … to `app::moving`
/// without pause, even ids at `debug`, odd at `info`, and counts what it has logged.
/// The main thread makes 100 reloads between configs A and B, reading the count just
/// before and just after each `reload()`. A record logged before a reload began must be
/// routed by the config before it, one logged after `reload()` returned by the new one,
/// one logged meanwhile by either; under A it is in `a.log`, under B in `b.log` if it is
/// `info`, nowhere if `debug`. Every record is checked, and none may be in two places.
#[test]
fn a_hundred_reloads_under_a_writer_route_every_record_by_the_config_of_its_time() {
    support::child_only!(
        "a_hundred_reloads_under_a_writer_route_every_record_by_the_config_of_its_time"
    );
    let dir = tempfile::tempdir().unwrap();
    let (path, guard) = init_from(dir.path(), &moving(dir.path(), false));

    let logged = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (logged, stop) = (Arc::clone(&logged), Arc::clone(&stop));
        std::thread::spawn(move || {
            let mut i = 0;
            while !stop.load(Ordering::SeqCst) {
                let level = if i % 2 == 0 {
                    log::Level::Debug
                } else {
                    log::Level::Info
                };
                log::log!(target: "app::moving", level, "r {i}");
                i += 1;
                logged.store(i, Ordering::SeqCst);
            }
        })
    };
    // (first id that may be routed by the new config, first id that must be,
    // whether the new config is B)
    let mut reloads = Vec::new();
    let mut window = 0;
    for k in 1..=100 {
        let to_b = k % 2 == 1;
        // Some records under each config: more than the last reload's window
        // held, so that most records are checked against exactly one config
        // however fast the writer is against the reloads.
        let at = logged.load(Ordering::SeqCst);
        support::wait_until("the writer to log", || {
            logged.load(Ordering::SeqCst) >= at + 20 + 2 * window
        });
        replace(&path, &moving(dir.path(), to_b));
        let before = logged.load(Ordering::SeqCst);
        let reloaded = ko_log::reload().unwrap();
        let after = logged.load(Ordering::SeqCst);
        window = after - before;
        assert_eq!(reloaded.generation, k);
        assert_eq!(reloaded.kept, ["a", "b", "events"], "nothing reopened");
        assert!(reloaded.opened.is_empty() && reloaded.closed.is_empty());
        // Record `after` may have started before reload() returned.
        reloads.push((before, after + 1, to_b));
    }
    stop.store(true, Ordering::SeqCst);
    writer.join().unwrap();
    let total = logged.load(Ordering::SeqCst);
    log::logger().flush();
    drop(guard);

    let (a, b) = (ids(dir.path().join("a.log")), ids(dir.path().join("b.log")));
    let mut seen = vec![0u8; total];
    for &id in a.iter().chain(&b) {
        seen[id] += 1;
    }
    let in_a: std::collections::HashSet<usize> = a.iter().copied().collect();
    let mut definite = 0;
    for (id, &copies) in seen.iter().enumerate() {
        assert!(copies <= 1, "r {id} written {copies} times");
        // The configs record `id` may have been routed by: the one in force
        // before the first reload not finished before it, and possibly the next.
        let settled = reloads
            .iter()
            .take_while(|(_, must, _)| id >= *must)
            .count();
        let mut may = vec![settled.checked_sub(1).is_some_and(|k| reloads[k].2)];
        if let Some(&(from, _, to_b)) = reloads.get(settled) {
            if id >= from {
                may.push(to_b);
            } else {
                definite += 1;
            }
        } else {
            definite += 1;
        }
        let debug = id % 2 == 0;
        let ok = if in_a.contains(&id) {
            may.contains(&false)
        } else if copies == 1 {
            may.contains(&true) && !debug
        } else {
            may.contains(&true) && debug
        };
        if !ok {
            let near: Vec<_> = reloads
                .iter()
                .filter(|(from, must, _)| from.abs_diff(id) < 200 || must.abs_diff(id) < 200)
                .collect();
            let place = |i: usize| match (in_a.contains(&i), seen.get(i)) {
                (true, _) => "a",
                (false, Some(1)) => "b",
                _ => "-",
            };
            let around: String = (id.saturating_sub(10)..id + 10).map(place).collect();
            panic!("r {id} (debug: {debug}) misrouted; configs possible: {may:?} (false = A); reloads near: {near:?}; placed around: {around}");
        }
    }
    assert!(
        definite > total / 2,
        "{definite} of {total} records were checked exactly"
    );
    println!(
        "figure: reload: {total} records through 100 reloads ({} in a.log, {} in b.log), {definite} checked against exactly one config, {} inside a reload's window",
        a.len(),
        b.len(),
        total - definite
    );
    // Nothing is lost or duplicated in the books either.
    let stats = ko_log::stats();
    assert_eq!(stats.dropped, 0);
    assert_eq!(stats.handler("a").unwrap().written as usize, a.len());
    assert_eq!(stats.handler("b").unwrap().written as usize, b.len());
    let events = support::lines(dir.path().join("events.log"));
    let reloaded: Vec<_> = events
        .iter()
        .filter(|l| l.starts_with("config reloaded (generation "))
        .collect();
    assert_eq!(reloaded.len(), 100, "one record per reload");
}

/// A file that does not validate is refused with its location, told by an `error`
/// record on `ko_log`, and the running config goes on.
#[test]
fn a_config_that_does_not_validate_is_refused_located_and_the_old_one_keeps_running() {
    support::child_only!(
        "a_config_that_does_not_validate_is_refused_located_and_the_old_one_keeps_running"
    );
    let dir = tempfile::tempdir().unwrap();
    let (path, _guard) = init_from(dir.path(), &moving(dir.path(), false));
    log::debug!(target: "app::moving", "r 0");
    // `level = "verbose"` on line 5, column 9; and a new handler that cannot open.
    let bad = moving(dir.path(), true).replace(
        "level = \"info\"\nhandlers = [\"b\"]",
        "level = \"verbose\"\nhandlers = [\"b\"]",
    );
    replace(&path, &bad);
    let error = ko_log::reload().unwrap_err();
    let ko_log::Error::Config(config) = &error else {
        panic!("not a config error: {error:?}");
    };
    let location = config.location().unwrap();
    assert_eq!((location.line, location.column), (5, 9));
    assert_eq!(config.key_path(), "loggers.\"app::moving\".level");
    assert_eq!(location.file.as_deref(), Some(path.as_path()));

    let unopenable = format!(
        "{}[handlers.c]\ntype = \"file\"\npath = \"{}\"\ncreate_dirs = false\n",
        moving(dir.path(), true),
        dir.path().join("missing/c.log").display()
    );
    replace(&path, &unopenable);
    let error = ko_log::reload().unwrap_err();
    assert!(
        error.to_string().contains("handler `c` cannot start"),
        "{error}"
    );
    // A mistake in a second new handler's keys: the first new one is not opened.
    let fresh = dir.path().join("fresh.log");
    let second_bad = format!(
        "{}[handlers.c]\ntype = \"file\"\npath = {fresh:?}\n[handlers.d]\ntype = \"rotating_file\"\npath = {fresh:?}\nmax_bytes = 0\n",
        moving(dir.path(), true),
    );
    replace(&path, &second_bad);
    let error = ko_log::reload().unwrap_err();
    assert!(
        error.to_string().contains("handlers.d.max_bytes"),
        "{error}"
    );
    assert!(!fresh.exists(), "no handler opened for a refused reload");

    // The old config still runs: debug records of app::moving go to `a`.
    log::debug!(target: "app::moving", "r 1");
    log::logger().flush();
    assert_eq!(ids(dir.path().join("a.log")), [0, 1]);
    assert!(ids(dir.path().join("b.log")).is_empty());
    let events = support::lines(dir.path().join("events.log"));
    let refused: Vec<_> = events
        .iter()
        .filter(|l| l.starts_with("config reload refused, the running config is kept: "))
        .collect();
    assert_eq!(refused.len(), 3, "{events:?}");
    assert!(refused[0].contains("verbose"), "{}", refused[0]);
}

/// A kept handler is not reopened (its truncating open would empty the file); a removed
/// one gets every record routed to it before the reload, then is flushed and closed; a
/// new one is opened; a kept handler's new renderer applies.
#[test]
fn kept_handlers_stay_open_removed_ones_are_flushed_and_closed() {
    support::child_only!("kept_handlers_stay_open_removed_ones_are_flushed_and_closed");
    let dir = tempfile::tempdir().unwrap();
    let first = format!(
        "[loggers.root]\nhandlers = [\"keep\", \"gone\"]\n{}{}",
        file_handler(dir.path(), "keep"),
        file_handler(dir.path(), "gone")
    );
    let (path, _guard) = init_from(dir.path(), &first);
    for i in 0..1000 {
        log::info!("r {i}");
    }
    let second = format!(
        "[loggers.root]\nhandlers = [\"keep\", \"new\"]\n{}{}",
        file_handler(dir.path(), "keep").replace("{message}", "kept {message}"),
        file_handler(dir.path(), "new")
    );
    replace(&path, &second);
    let reloaded = ko_log::reload().unwrap();
    assert_eq!(reloaded.kept, ["keep"]);
    assert_eq!(reloaded.opened, ["new"]);
    assert_eq!(reloaded.closed, ["gone"]);
    assert!(reloaded.not_applied.is_empty());
    log::info!("r 1000");
    log::logger().flush();

    let gone = dir.path().join("gone.log");
    assert_eq!(ids(gone.clone()), (0..1000).collect::<Vec<_>>());
    // Its 1000 records, the reload's own record (rendered the new way), the next.
    let keep = support::lines(dir.path().join("keep.log"));
    assert_eq!(keep.len(), 1002, "reopened: {keep:?}");
    assert_eq!(
        ids(dir.path().join("keep.log")),
        (0..1000).collect::<Vec<_>>()
    );
    assert!(
        keep[1000].starts_with("kept config reloaded (generation 1)"),
        "{}",
        keep[1000]
    );
    assert_eq!(keep[1001], "kept r 1000");
    assert_eq!(ids(dir.path().join("new.log")), [1000]);
    // The reload's record went to the handlers of the new config only.
    assert!(!support::lines(&gone).iter().any(|l| l.contains("reloaded")));
    // `gone` is closed once the last record routed to it is written.
    let open = |file: &Path| {
        std::fs::read_dir("/proc/self/fd")
            .unwrap()
            .flatten()
            .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|target| target == file))
    };
    assert!(open(&dir.path().join("keep.log")));
    support::wait_until("gone.log closed", || !open(&gone));
    let stats = ko_log::stats();
    let names: Vec<&str> = stats.handlers().map(|(name, _)| name).collect();
    assert_eq!(names, ["keep", "new"]);
    assert_eq!(stats.handler("keep").unwrap().written, 1002);
}

/// The queue cannot change live: a reload applies the rest, and says so.
#[test]
fn settings_that_cannot_change_live_are_reported() {
    support::child_only!("settings_that_cannot_change_live_are_reported");
    let dir = tempfile::tempdir().unwrap();
    let config = moving(dir.path(), false);
    let (path, _guard) = init_from(dir.path(), &config);
    replace(
        &path,
        &format!("[queue]\ncapacity = 64\nbackpressure = \"drop\"\n{config}"),
    );
    let reloaded = ko_log::reload().unwrap();
    assert_eq!(
        reloaded.not_applied,
        ["queue.capacity", "queue.backpressure"]
    );
    log::logger().flush();
    let events = support::lines(dir.path().join("events.log"));
    assert!(
        events.iter().any(|l| l
            == "config reloaded, but queue.capacity, queue.backpressure cannot change while running: the running value is kept until the next start"),
        "{events:?}"
    );
}

/// Without a file there is nothing to read again; without ko-log, nothing to reload.
#[test]
fn reload_needs_an_installed_ko_log_read_from_a_file() {
    support::child_only!("reload_needs_an_installed_ko_log_read_from_a_file");
    let error = ko_log::reload().unwrap_err();
    assert_eq!(error.to_string(), "cannot reload: ko-log is not installed");
    assert_eq!(error.code(), "RUNTIME::Reload::STATE::ERROR");
    let _guard = ko_log::init_from_str("", ko_log::config::Format::Toml).unwrap();
    let error = ko_log::reload().unwrap_err();
    assert!(
        error.to_string().contains("not initialized from a file"),
        "{error}"
    );
    // A config built in Rust can still be applied.
    let reloaded = ko_log::reconfigure(ko_log::config::Config::default()).unwrap();
    assert_eq!(reloaded.kept, ["console"]);
}

/// `watch`: replacing the file (a rename, as editors do) reloads it; a broken save is
/// refused and the running config kept; the next good save applies.
fn watched(name: &str, watch: &str) {
    support::child_only!(name);
    let dir = tempfile::tempdir().unwrap();
    let config = |to_b| format!("watch = {watch}\n{}", moving(dir.path(), to_b));
    let (path, _guard) = init_from(dir.path(), &config(false));
    let mut n = 0;
    let mut arrive_in = |file: &str| {
        let file = dir.path().join(file);
        let events = dir.path().join("events.log");
        let start = std::time::Instant::now();
        support::wait_until("a record routed by the new config", || {
            if start.elapsed() > std::time::Duration::from_secs(50) {
                panic!(
                    "events: {:?}\nconfig: {}",
                    support::lines(&events),
                    std::fs::read_to_string(dir.path().join("log.toml")).unwrap()
                );
            }
            n += 1;
            log::info!(target: "app::moving", "r {n}");
            log::logger().flush();
            ids(file.clone()).contains(&n)
        });
    };
    arrive_in("a.log");
    let fallback = || {
        log::logger().flush();
        support::lines(dir.path().join("events.log"))
            .iter()
            .any(|l| l.contains("checking the config file every second instead"))
    };
    if watch == "true" && !cfg!(feature = "watch") {
        // The watcher thread says so as it starts.
        support::wait_until("the polling fallback's record", fallback);
    } else {
        assert!(!fallback(), "events were available");
    }
    replace(&path, &config(true));
    arrive_in("b.log");
    replace(&path, "watch = true\n[loggers.root\n");
    support::wait_until("the refusal record", || {
        log::logger().flush();
        support::lines(dir.path().join("events.log"))
            .iter()
            .any(|l| l.starts_with("config reload refused"))
    });
    replace(&path, &config(false));
    arrive_in("a.log");
}

#[test]
fn watch_true_reloads_a_replaced_file() {
    watched("watch_true_reloads_a_replaced_file", "true");
}

#[test]
fn watch_poll_reloads_a_replaced_file() {
    watched("watch_poll_reloads_a_replaced_file", "\"poll\"");
}
