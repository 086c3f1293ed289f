//! Components of one's own, as a user writes them: a handler and a renderer registered
//! with `#[ko_log::handler]` and `#[ko_log::renderer]`, named in TOML, JSON and YAML
//! configs beside built-ins; the records each receives, in order, rendered by the
//! registered renderer; flushes; every refusal at its line; panics that leave the other
//! handlers whole and are counted.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use ko_log::config::{Config, Format};
use ko_log::render::Renderer;
use ko_log::{Backend, Event, Handler};
use log::Log;

/// Lines and flushes, by a `collect` handler's `name` param.
type Received = Mutex<HashMap<String, (Vec<String>, usize)>>;

/// What each `collect` handler received.
fn received() -> &'static Received {
    static RECEIVED: OnceLock<Received> = OnceLock::new();
    RECEIVED.get_or_init(Default::default)
}

fn lines_of(name: &str) -> Vec<String> {
    received()
        .lock()
        .unwrap()
        .get(name)
        .map(|r| r.0.clone())
        .unwrap_or_default()
}

fn flushes_of(name: &str) -> usize {
    received().lock().unwrap().get(name).map_or(0, |r| r.1)
}

#[derive(serde::Deserialize)]
struct CollectParams {
    name: String,
}

#[derive(Debug)]
struct Collect {
    name: String,
}

impl Handler for Collect {
    fn write(&mut self, line: &[u8], event: &Event) -> Result<(), ko_log::Error> {
        if event.message.contains("boom") {
            panic!("collect `{}` exploded", self.name);
        }
        let line = String::from_utf8_lossy(line).into_owned();
        received()
            .lock()
            .unwrap()
            .entry(self.name.clone())
            .or_default()
            .0
            .push(line);
        Ok(())
    }

    fn flush(&mut self) -> Result<(), ko_log::Error> {
        received()
            .lock()
            .unwrap()
            .entry(self.name.clone())
            .or_default()
            .1 += 1;
        Ok(())
    }
}

/// `type = "collect"`; refuses an empty name with an error of its own.
#[ko_log::handler]
fn collect(params: &CollectParams) -> Result<Collect, std::io::Error> {
    if params.name.is_empty() {
        return Err(std::io::Error::other("the collector needs a name"));
    }
    Ok(Collect {
        name: params.name.clone(),
    })
}

#[derive(serde::Deserialize)]
struct AppendParams {
    path: std::path::PathBuf,
}

/// Appends lines to its file.
#[derive(Debug)]
struct Append(std::fs::File);

impl Handler for Append {
    fn write(&mut self, line: &[u8], _: &Event) -> Result<(), ko_log::Error> {
        use std::io::Write;
        self.0
            .write_all(line)
            .map_err(|e| ko_log::Error::io("Append", "write", "<append>", e))
    }

    fn flush(&mut self) -> Result<(), ko_log::Error> {
        Ok(())
    }
}

/// `type = "append"`: opens its file and creates no directory, as the first version of
/// EXTENDING.md's `audit` handler did; its `io::Error` names no file.
#[ko_log::handler]
fn append(params: &AppendParams) -> Result<Append, std::io::Error> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&params.path)?;
    Ok(Append(file))
}

#[derive(serde::Deserialize)]
struct BracketParams {
    prefix: String,
    #[serde(default)]
    fail_on: Option<String>,
}

#[derive(Debug)]
struct Bracket {
    prefix: String,
    fail_on: Option<String>,
}

impl Renderer for Bracket {
    fn render(&self, event: &Event, out: &mut Vec<u8>) {
        if self
            .fail_on
            .as_deref()
            .is_some_and(|f| event.message.contains(f))
        {
            panic!("bracket cannot render this");
        }
        out.extend_from_slice(
            format!("{}[{}] {}\n", self.prefix, event.level, event.message).as_bytes(),
        );
    }
}

/// `renderer = { type = "bracket", prefix = "..." }`.
#[ko_log::renderer]
fn bracket(params: &BracketParams) -> Bracket {
    Bracket {
        prefix: params.prefix.clone(),
        fail_on: params.fail_on.clone(),
    }
}

/// The same config in the three formats: a registered handler with a registered renderer,
/// a built-in `file` handler, and a registered handler that panics on `boom`.
fn configs(file: &std::path::Path, tag: &str) -> [(Format, String); 3] {
    let file_table = support::config::file("file", file, &support::config::plain("{message}"));
    let file = file.display();
    [
        (
            Format::Toml,
            format!(
                r#"
[loggers.root]
handlers = ["mine", "file", "fragile"]

[handlers.mine]
type = "collect"
name = "{tag}-mine"
renderer = {{ type = "bracket", prefix = ">", fail_on = "shaky" }}

{file_table}
[handlers.fragile]
type = "collect"
name = "{tag}-fragile"
level = "warn"
"#
            ),
        ),
        (
            Format::Json,
            format!(
                r#"{{
  "loggers": {{ "root": {{ "handlers": ["mine", "file", "fragile"] }} }},
  "handlers": {{
    "mine": {{
      "type": "collect",
      "name": "{tag}-mine",
      "renderer": {{ "type": "bracket", "prefix": ">", "fail_on": "shaky" }}
    }},
    "file": {{
      "type": "file",
      "path": "{file}",
      "renderer": {{ "type": "plain", "format": "{{message}}" }}
    }},
    "fragile": {{ "type": "collect", "name": "{tag}-fragile", "level": "warn" }}
  }}
}}"#
            ),
        ),
        (
            Format::Yaml,
            format!(
                r#"
loggers:
  root:
    handlers: [mine, file, fragile]
handlers:
  mine:
    type: collect
    name: {tag}-mine
    renderer: {{ type: bracket, prefix: ">", fail_on: shaky }}
  file:
    type: file
    path: {file}
    renderer: {{ type: plain, format: "{{message}}" }}
  fragile:
    type: collect
    name: {tag}-fragile
    level: warn
"#
            ),
        ),
    ]
}

fn record<'a>(level: log::Level, args: std::fmt::Arguments<'a>) -> log::Record<'a> {
    log::Record::builder()
        .level(level)
        .target("components")
        .args(args)
        .build()
}

#[test]
fn registered_components_work_beside_builtins_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    for (index, format) in ["toml", "json", "yaml"].iter().enumerate() {
        let file = dir.path().join(format!("{format}.log"));
        let (fmt, text) = configs(&file, format)[index].clone();
        let config = Config::from_str(&text, fmt).unwrap();
        let (backend, guard) = Backend::new(config).unwrap();
        backend.log(&record(log::Level::Info, format_args!("first")));
        backend.log(&record(log::Level::Warn, format_args!("second")));
        backend.log(&record(log::Level::Info, format_args!("shaky record")));
        backend.log(&record(log::Level::Error, format_args!("boom")));
        backend.log(&record(log::Level::Info, format_args!("last")));
        backend.flush();
        let mine = format!("{format}-mine");
        let fragile = format!("{format}-fragile");
        assert_eq!(
            lines_of(&mine),
            [">[INFO] first\n", ">[WARN] second\n", ">[INFO] last\n"],
            "{format}: rendered by the registered renderer, in order; the record it \
             panicked on skipped, the one the handler panicked on too"
        );
        assert!(
            lines_of(&fragile)[0].ends_with("WARN  [components] second\n"),
            "{format}"
        );
        assert_eq!(
            lines_of(&fragile).len(),
            1,
            "{format}: its level floor is warn"
        );
        assert_eq!(
            support::lines(&file),
            ["first", "second", "shaky record", "boom", "last"],
            "{format}: the built-in handler beside them is whole"
        );
        assert!(flushes_of(&mine) >= 1, "{format}: flushed");

        let stats = guard.stats();
        let mine_stats = stats.handler("mine").unwrap();
        assert_eq!((mine_stats.written, mine_stats.errors), (3, 2), "{format}");
        let fragile_stats = stats.handler("fragile").unwrap();
        assert_eq!(
            (fragile_stats.written, fragile_stats.errors),
            (1, 1),
            "{format}"
        );
        assert_eq!(stats.handler("file").unwrap().written, 5);
        assert_eq!(stats.handler_errors, 3, "{format}");
        assert_eq!(
            stats.handlers().map(|(name, _)| name).collect::<Vec<_>>(),
            ["mine", "file", "fragile"],
            "{format}: listed in the order the file names them, not by name"
        );
        drop(guard);
    }
    // The three formats describe the same config (params compare by value).
    let file = dir.path().join("same.log");
    let [toml, json, yaml] = configs(&file, "same");
    let parse = |(format, text): (Format, String)| Config::from_str(&text, format).unwrap();
    let toml = parse(toml);
    assert_eq!(toml, parse(json));
    assert_eq!(toml, parse(yaml));
}

/// Builds `text` (TOML) and returns the refusal's message, key path, line and column.
fn refusal(text: &str) -> (String, String, usize, usize) {
    support::located(&support::config::refusal(text))
}

#[test]
fn every_refusal_is_located_at_its_line() {
    let handler = |extra: &str| format!("[handlers.h]\ntype = \"collect\"\n{extra}\n");

    let (message, key, line, column) = refusal("[handlers.h]\ntype = \"colect\"\nname = \"x\"\n");
    assert_eq!(message, "unknown handler type `colect`");
    assert_eq!((key.as_str(), line, column), ("handlers.h.type", 2, 8));
    let error =
        Backend::new(Config::from_str("[handlers.h]\ntype = \"colect\"\n", Format::Toml).unwrap())
            .unwrap_err();
    let ko_log::Error::Config(config) = &error else {
        panic!()
    };
    assert_eq!(
        config.suggestion(),
        Some("collect"),
        "did you mean, over registered names"
    );

    let (message, key, line, column) = refusal(
        "[handlers.h]\ntype = \"null\"\nrenderer = { type = \"brackt\", prefix = \">\" }\n",
    );
    assert_eq!(message, "unknown renderer type `brackt`");
    assert_eq!(
        (key.as_str(), line, column),
        ("handlers.h.renderer.type", 3, 21)
    );

    let (message, key, line, column) = refusal(&handler("name = 5"));
    assert!(message.contains("expected a string"), "{message}");
    assert_eq!((key.as_str(), line, column), ("handlers.h.name", 3, 8));

    let (message, key, line, column) = refusal(&handler("name = \"x\"\nnmae = \"y\""));
    assert!(message.starts_with("unknown key `nmae`"), "{message}");
    assert_eq!((key.as_str(), line, column), ("handlers.h.nmae", 4, 1));

    let (message, key, line, column) = refusal(&handler(""));
    assert_eq!(message, "missing key `name`");
    assert_eq!((key.as_str(), line, column), ("handlers.h.name", 1, 1));

    let (message, key, line, column) = refusal(&handler("name = \"\""));
    assert_eq!(
        message,
        "handler `h` (type `collect`) cannot start: the collector needs a name"
    );
    assert_eq!((key.as_str(), line, column), ("handlers.h", 2, 8));

    let (message, key, line, column) =
        refusal("[handlers.h]\ntype = \"null\"\nrenderer = { type = \"bracket\", prefix = 3 }\n");
    assert!(message.contains("expected a string"), "{message}");
    assert_eq!(
        (key.as_str(), line, column),
        ("handlers.h.renderer.prefix", 3, 41)
    );
}

/// A handler named before another in the file is opened before it: here the built-in
/// `file` handler creates `logs/`, which the `audit` handler named after it (and before it
/// by name) needs. In every format.
#[test]
fn handlers_open_in_the_order_the_file_names_them() {
    let dir = tempfile::tempdir().unwrap();
    for (format, name) in [
        (Format::Toml, "toml"),
        (Format::Json, "json"),
        (Format::Yaml, "yaml"),
    ] {
        let logs = dir.path().join(name).join("logs");
        let (app, audit) = (logs.join("app.log"), logs.join("audit.log"));
        let text = match format {
            Format::Toml => format!(
                "[loggers.root]\nhandlers = [\"file\", \"audit\", \"b\"]\n\
                 [handlers.file]\ntype = \"file\"\npath = \"{}\"\n\
                 [handlers.audit]\ntype = \"append\"\npath = \"{}\"\n\
                 [handlers.b]\ntype = \"null\"\n",
                app.display(),
                audit.display()
            ),
            Format::Json => format!(
                r#"{{"loggers": {{"root": {{"handlers": ["file", "audit", "b"]}}}},
                    "handlers": {{"file": {{"type": "file", "path": "{}"}},
                                  "audit": {{"type": "append", "path": "{}"}},
                                  "b": {{"type": "null"}}}}}}"#,
                app.display(),
                audit.display()
            ),
            Format::Yaml => format!(
                "loggers: {{root: {{handlers: [file, audit, b]}}}}\nhandlers:\n  \
                 file: {{type: file, path: \"{}\"}}\n  \
                 audit: {{type: append, path: \"{}\"}}\n  b: {{type: \"null\"}}\n",
                app.display(),
                audit.display()
            ),
            other => panic!("no text for {other:?}"),
        };
        let config = Config::from_str(&text, format).unwrap();
        assert_eq!(
            config.handlers.keys().collect::<Vec<_>>(),
            ["file", "audit", "b"],
            "{name}"
        );
        let (backend, guard) = Backend::new(config)
            .unwrap_or_else(|e| panic!("{name}: `audit` opened before `file`: {e}"));
        backend.log(&record(log::Level::Info, format_args!("both")));
        backend.flush();
        assert_eq!(support::lines(&audit).len(), 1, "{name}");
        assert_eq!(support::lines(&app).len(), 1, "{name}");
        assert_eq!(
            guard
                .stats()
                .handlers()
                .map(|(name, _)| name)
                .collect::<Vec<_>>(),
            ["file", "audit", "b"],
            "{name}"
        );
        drop(guard);
    }
}

/// A user's constructor that fails with a bare `io::Error` is reported with the handler's
/// configured name, its type, and the `path` it was given, located at that `path`.
#[test]
fn an_io_error_from_a_constructor_names_the_handler_and_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing").join("trail.log");
    let (message, key, line, column) = refusal(&format!(
        "[handlers.trail]\ntype = \"append\"\npath = \"{}\"\n",
        path.display()
    ));
    assert_eq!(
        message,
        format!(
            "handler `trail` (type `append`) cannot start: {}: No such file or directory (os error 2)",
            path.display()
        )
    );
    assert_eq!((key.as_str(), line, column), ("handlers.trail.path", 3, 8));
    // Named as its type, the handler is named once.
    let (message, ..) = refusal(&format!(
        "[handlers.append]\ntype = \"append\"\npath = \"{}\"\n",
        path.display()
    ));
    assert!(
        message.starts_with("handler `append` cannot start: "),
        "{message}"
    );
}
