//! `ko-log check FILE`: every error of a config, or what the config does.
//!
//! The check is `ko_log::check::file` (see its docs for what is checked without opening
//! anything, and what only init can tell). The report is built once ([`Report`]) and
//! written as text or as JSON.

use std::collections::HashMap;
use std::io::{self, Write};
use std::process::ExitCode;

use ko_log::check::Route;
use ko_log::config::handler::COMMON;
use ko_log::config::node::{Node, NodeValue};
use ko_log::config::{Config, ConfigError, HandlerConfig, ROOT};
use log::LevelFilter;
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::args::CheckOptions;

/// Runs the check and writes the report to `out`.
pub(crate) fn run(options: &CheckOptions, out: &mut impl Write) -> io::Result<ExitCode> {
    let checked = ko_log::check::file(&options.file, options.format);
    let file = options.file.display().to_string();
    let code = if checked.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    };
    match (&checked.config, checked.errors.is_empty()) {
        (Some(config), true) => {
            let report = describe(config);
            if options.json {
                let valid = Valid {
                    config: report.json(),
                    errors: [],
                    file: &file,
                    valid: true,
                };
                serde_json::to_writer_pretty(&mut *out, &valid)?;
                writeln!(out)?;
            } else {
                writeln!(out, "{file}: valid\n")?;
                report.write_text(out)?;
            }
        }
        _ => {
            if options.json {
                let errors: Vec<Value> = checked.errors.iter().map(error_json).collect();
                let value = json!({"file": file, "valid": false, "errors": errors});
                writeln!(
                    out,
                    "{}",
                    serde_json::to_string_pretty(&value).unwrap_or_default()
                )?;
            } else {
                for error in &checked.errors {
                    writeln!(out, "{error}\n")?;
                }
                let n = checked.errors.len();
                writeln!(out, "{file}: {n} error{}", if n == 1 { "" } else { "s" })?;
            }
        }
    }
    Ok(code)
}

/// An error as CI reads it.
fn error_json(error: &ConfigError) -> Value {
    let location = error.location();
    json!({
        "file": error.file().map(|f| f.display().to_string()),
        "line": location.map(|l| l.line),
        "column": location.map(|l| l.column),
        "key": error.key_path(),
        "message": error.message(),
        "code": error.code(),
        "kind": format!("{:?}", error.kind()),
        "suggestion": error.suggestion(),
        "help": error.help(),
        "text": error.to_string(),
    })
}

/// What a valid config does.
struct Report {
    default_level: LevelFilter,
    queue: Vec<(&'static str, Value)>,
    flush_on_signals: bool,
    loggers: Vec<Logger>,
    /// How many loggers other than `root` there are.
    others: usize,
    routes: Vec<Route>,
    handlers: Vec<Handler>,
}

struct Logger {
    name: String,
    own_level: Option<LevelFilter>,
    /// Its route, an index into `Report::routes`.
    route: Option<usize>,
    handlers: Vec<String>,
    additive: bool,
    context: Vec<(String, Value)>,
}

struct Handler {
    name: String,
    kind: String,
    renderer: String,
    level: Option<LevelFilter>,
    processors: Vec<String>,
    params: Vec<(String, Value)>,
    used_by: Vec<String>,
}

/// What `config` does. Each logger's route and each handler's loggers are looked up in
/// maps built once, so the report is linear in the number of loggers.
fn describe(config: &Config) -> Report {
    let routes = ko_log::check::routes(config);
    let route_of: HashMap<&str, usize> = routes
        .iter()
        .enumerate()
        .map(|(index, route)| (route.logger.as_str(), index))
        .collect();
    let mut used_by: HashMap<&str, Vec<String>> = HashMap::new();
    for (name, logger) in &config.loggers {
        for handler in &logger.handlers {
            let users = used_by.entry(handler.as_str()).or_default();
            // A logger naming a handler twice is one user.
            if users.last() != Some(name) {
                users.push(name.clone());
            }
        }
    }
    let loggers = config
        .loggers
        .iter()
        .map(|(name, logger)| Logger {
            name: name.clone(),
            own_level: logger.level,
            route: route_of.get(name.as_str()).copied(),
            handlers: logger.handlers.clone(),
            additive: logger.additive,
            context: logger
                .context
                .iter()
                .map(|(k, v)| (k.clone(), scalar(v)))
                .collect(),
        })
        .collect();
    let schema = ko_log::schema();
    let handlers = config
        .handlers
        .iter()
        .map(|(name, handler)| Handler {
            name: name.clone(),
            kind: handler.type_name().to_owned(),
            renderer: renderer_name(handler),
            level: handler.level,
            processors: handler
                .processors
                .iter()
                .map(|p| p.type_name().to_owned())
                .collect(),
            params: params(handler, &schema),
            used_by: used_by.remove(name.as_str()).unwrap_or_default(),
        })
        .collect();
    Report {
        default_level: config.default_level,
        queue: vec![
            ("capacity", json!(config.queue.capacity)),
            ("backpressure", json!(config.queue.backpressure.as_str())),
            ("drain_timeout", json!(duration(config.queue.drain_timeout))),
        ],
        flush_on_signals: config.flush_on_signals,
        others: config.loggers.keys().filter(|name| *name != ROOT).count(),
        loggers,
        routes,
        handlers,
    }
}

/// The renderer a handler gets: its own, or, when none was written, the handler's own
/// default (only building the handler can tell which: `plain` unless it prefers another).
fn renderer_name(handler: &HandlerConfig) -> String {
    match handler.has_key("renderer") {
        Some(false) => format!("{}'s default", handler.type_name()),
        _ => handler.renderer.type_name().to_owned(),
    }
}

fn level_name(level: LevelFilter) -> &'static str {
    ko_log::config::level::name(level)
}

/// `5s`, `250ms`, `1.5s`.
fn duration(duration: std::time::Duration) -> String {
    format!("{duration:?}")
}

fn scalar(value: &ko_log::config::Value) -> Value {
    match value {
        ko_log::config::Value::Bool(b) => json!(b),
        ko_log::config::Value::Int(i) => json!(i),
        ko_log::config::Value::Float(f) => json!(f),
        ko_log::config::Value::String(s) => json!(s),
        _ => Value::Null,
    }
}

/// A handler's own keys, with the values it will use: as written (secrets masked), then
/// each key left out whose schema in the registry (`schema`, [`ko_log::schema`]) gives a
/// `default`.
fn params(handler: &HandlerConfig, schema: &Value) -> Vec<(String, Value)> {
    let written: Vec<(String, Value)> = match &handler.params.node().value {
        NodeValue::Map(entries) => entries
            .iter()
            .filter(|(key, _)| !COMMON.contains(&key.name.as_str()))
            .map(|(key, value)| (key.name.clone(), masked(&key.name, value)))
            .collect(),
        _ => Vec::new(),
    };
    let branch = schema
        .pointer("/$defs/handler/oneOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|b| b.pointer("/properties/type/const") == Some(&json!(handler.type_name())));
    let defaults = branch
        .and_then(|b| b.get("properties"))
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter(|(key, _)| !written.iter().any(|(k, _)| k == *key))
        .filter_map(|(key, property)| {
            let default = property
                .get("default")
                .or_else(|| property.pointer("/anyOf/0/default"))?;
            Some((key.clone(), default.clone()))
        })
        .collect::<Vec<_>>();
    written.into_iter().chain(defaults).collect()
}

/// Whether a key, header or query parameter named `name` looks like it holds a
/// credential: its lowercase name contains `password`, `passwd`, `secret`, `token`,
/// `auth`, `credential`, `signature`, `cookie`, `session` or `apikey`, or one of its
/// words (split at anything but a letter or digit) is `pass`, `pwd` or `sig` or ends in
/// `key` (`x-api-key`, `api_key`, `private-key`).
fn is_secret(name: &str) -> bool {
    const WITHIN: &[&str] = &[
        "password",
        "passwd",
        "secret",
        "token",
        "auth",
        "credential",
        "signature",
        "cookie",
        "session",
        "apikey",
    ];
    const WORDS: &[&str] = &["pass", "pwd", "sig"];
    let lower = name.to_ascii_lowercase();
    WITHIN.iter().any(|s| lower.contains(s))
        || lower
            .split(|c: char| !c.is_ascii_alphanumeric())
            .any(|word| WORDS.contains(&word) || word.ends_with("key"))
}

/// A node as JSON, with what could be a credential replaced by `***` (a check's report
/// goes into CI logs): the value of a key that [`is_secret`] (a header, a param), and in
/// URLs the userinfo and the values of secret-looking query parameters ([`masked_url`]).
/// Both formats of the report show these values.
fn masked(key: &str, node: &Node) -> Value {
    if is_secret(key) && !matches!(node.value, NodeValue::Map(_)) {
        return json!("***");
    }
    match &node.value {
        NodeValue::Null => Value::Null,
        NodeValue::Bool(b) => json!(b),
        NodeValue::Int(i) => json!(i),
        NodeValue::Float(f) => json!(f),
        NodeValue::String(s) => json!(masked_url(s)),
        NodeValue::Seq(items) => Value::Array(items.iter().map(|item| masked(key, item)).collect()),
        NodeValue::Map(entries) => Value::Object(
            entries
                .iter()
                .map(|(k, v)| (k.name.clone(), masked(&k.name, v)))
                .collect::<Map<String, Value>>(),
        ),
    }
}

/// `scheme://user:password@host/path?token=t&a=b` as
/// `scheme://***@host/path?token=***&a=b`: the userinfo, and the value of each query
/// parameter whose name [`is_secret`]. Text without `://` is returned as it is.
fn masked_url(text: &str) -> String {
    let Some(scheme_end) = text.find("://") else {
        return text.to_owned();
    };
    let (head, rest) = text.split_at(scheme_end + 3);
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, rest) = rest.split_at(authority_end);
    let mut out = head.to_owned();
    match authority.rfind('@') {
        Some(at) => {
            out.push_str("***");
            out.push_str(authority.get(at..).unwrap_or_default());
        }
        None => out.push_str(authority),
    }
    let query_end = rest.find('#').unwrap_or(rest.len());
    let (before_fragment, fragment) = rest.split_at(query_end);
    match before_fragment.split_once('?') {
        Some((path, query)) => {
            out.push_str(path);
            out.push('?');
            let pairs: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((name, _)) if is_secret(name) => format!("{name}=***"),
                    _ => pair.to_owned(),
                })
                .collect();
            out.push_str(&pairs.join("&"));
        }
        None => out.push_str(before_fragment),
    }
    out.push_str(fragment);
    out
}

/// Which targets a route takes, in words.
fn targets(route: &Route, loggers: usize) -> String {
    let mut text = if route.logger == ROOT {
        if loggers == 0 {
            "every target".to_owned()
        } else {
            "every other target".to_owned()
        }
    } else {
        format!("{} and below", route.logger)
    };
    if !route.except.is_empty() && route.logger != ROOT {
        text.push_str(&format!(", except {}", route.except.join(", ")));
    }
    text
}

fn level_words(level: LevelFilter) -> String {
    match level {
        LevelFilter::Off => "off".to_owned(),
        level => format!("{} and above", level_name(level)),
    }
}

fn list(names: &[String]) -> String {
    if names.is_empty() {
        "(none)".to_owned()
    } else {
        names.join(", ")
    }
}

/// Rows padded so their columns line up (the last column is not padded).
fn columns(rows: &[Vec<String>]) -> Vec<String> {
    let mut widths: Vec<usize> = Vec::new();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            let width = cell.chars().count();
            match widths.get_mut(i) {
                Some(w) => *w = (*w).max(width),
                None => widths.push(width),
            }
        }
    }
    rows.iter()
        .map(|row| {
            let mut line = String::new();
            for (i, cell) in row.iter().enumerate() {
                if i + 1 == row.len() {
                    line.push_str(cell);
                } else {
                    let pad = widths.get(i).copied().unwrap_or(0) - cell.chars().count();
                    line.push_str(cell);
                    line.push_str(&" ".repeat(pad + 2));
                }
            }
            line.trim_end().to_owned()
        })
        .collect()
}

impl Report {
    fn write_text(&self, out: &mut impl Write) -> io::Result<()> {
        let queue: Vec<String> = self
            .queue
            .iter()
            .map(|(k, v)| {
                format!(
                    "{k} {}",
                    v.as_str().map_or_else(|| v.to_string(), str::to_owned)
                )
            })
            .collect();
        for line in columns(&[
            vec![
                "default_level".to_owned(),
                level_name(self.default_level).to_owned(),
            ],
            vec!["queue".to_owned(), queue.join(", ")],
            vec![
                "flush_on_signals".to_owned(),
                self.flush_on_signals.to_string(),
            ],
        ]) {
            writeln!(out, "{line}")?;
        }

        writeln!(out, "\nloggers")?;
        if self.loggers.is_empty() {
            writeln!(out, "  (none: nothing is logged)")?;
        }
        let rows: Vec<Vec<String>> = self
            .loggers
            .iter()
            .map(|logger| {
                let route = logger.route.and_then(|index| self.routes.get(index));
                let level = match (&logger.own_level, route) {
                    (Some(level), _) => format!("level {}", level_name(*level)),
                    (None, Some(route)) => format!(
                        "level {} (from {})",
                        level_name(route.level),
                        route.level_from.as_deref().unwrap_or("default_level")
                    ),
                    (None, None) => "level -".to_owned(),
                };
                let mut rest = format!("handlers {}", list(&logger.handlers));
                if !logger.additive {
                    rest.push_str(", not additive");
                }
                if !logger.context.is_empty() {
                    let context: Vec<String> = logger
                        .context
                        .iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect();
                    rest.push_str(&format!(", context {}", context.join(" ")));
                }
                vec![format!("  {}", logger.name), level, rest]
            })
            .collect();
        for line in columns(&rows) {
            writeln!(out, "{line}")?;
        }

        writeln!(out, "\nroutes")?;
        let rows: Vec<Vec<String>> = self
            .routes
            .iter()
            .map(|route| {
                let handlers = if route.handlers.is_empty() || route.level == LevelFilter::Off {
                    "-> nothing".to_owned()
                } else {
                    format!("-> {}", route.handlers.join(", "))
                };
                vec![
                    format!("  {}", targets(route, self.others)),
                    level_words(route.level),
                    handlers,
                ]
            })
            .collect();
        for line in columns(&rows) {
            writeln!(out, "{line}")?;
        }

        writeln!(out, "\nhandlers")?;
        if self.handlers.is_empty() {
            writeln!(out, "  (none)")?;
        }
        for handler in &self.handlers {
            let mut line = format!(
                "  {}: {}, renderer {}",
                handler.name, handler.kind, handler.renderer
            );
            if let Some(level) = handler.level {
                line.push_str(&format!(", level {}", level_name(level)));
            }
            if !handler.processors.is_empty() {
                line.push_str(&format!(", processors {}", handler.processors.join(", ")));
            }
            if handler.used_by.is_empty() {
                line.push_str(" (no logger names it: it receives nothing)");
            }
            writeln!(out, "{line}")?;
            for (key, value) in &handler.params {
                writeln!(out, "    {key} = {value}")?;
            }
        }
        Ok(())
    }

    /// The JSON form, serialized as it is written (no `serde_json::Value` tree of the
    /// whole config).
    fn json(&self) -> ReportJson<'_> {
        let loggers = self
            .loggers
            .iter()
            .map(|logger| {
                let route = logger.route.and_then(|index| self.routes.get(index));
                LoggerJson {
                    additive: logger.additive,
                    context: Pairs(&logger.context),
                    handlers: &logger.handlers,
                    level: route.map(|r| level_name(r.level)),
                    level_from: route.map(|r| r.level_from.as_deref().unwrap_or("default_level")),
                    name: &logger.name,
                    own_level: logger.own_level.map(level_name),
                }
            })
            .collect();
        let routes = self
            .routes
            .iter()
            .map(|route| RouteJson {
                except: &route.except,
                handlers: &route.handlers,
                level: level_name(route.level),
                level_from: route.level_from.as_deref().unwrap_or("default_level"),
                logger: &route.logger,
                targets: targets(route, self.others),
            })
            .collect();
        let handlers = self
            .handlers
            .iter()
            .map(|handler| HandlerJson {
                level: handler.level.map(level_name),
                name: &handler.name,
                params: Pairs(&handler.params),
                processors: &handler.processors,
                renderer: &handler.renderer,
                kind: &handler.kind,
                used_by: &handler.used_by,
            })
            .collect();
        ReportJson {
            default_level: level_name(self.default_level),
            flush_on_signals: self.flush_on_signals,
            handlers,
            loggers,
            queue: Pairs(&self.queue),
            routes,
        }
    }
}

// The JSON report. Fields are in name order, as a `serde_json::Map` orders its keys.

/// `ko-log check --format json` of a valid config.
#[derive(Serialize)]
struct Valid<'a> {
    config: ReportJson<'a>,
    errors: [Value; 0],
    file: &'a str,
    valid: bool,
}

/// `config` of [`Valid`].
#[derive(Serialize)]
struct ReportJson<'a> {
    default_level: &'static str,
    flush_on_signals: bool,
    handlers: Vec<HandlerJson<'a>>,
    loggers: Vec<LoggerJson<'a>>,
    queue: Pairs<'a, &'static str>,
    routes: Vec<RouteJson<'a>>,
}

#[derive(Serialize)]
struct LoggerJson<'a> {
    additive: bool,
    context: Pairs<'a, String>,
    handlers: &'a [String],
    level: Option<&'static str>,
    level_from: Option<&'a str>,
    name: &'a str,
    own_level: Option<&'static str>,
}

#[derive(Serialize)]
struct RouteJson<'a> {
    except: &'a [String],
    handlers: &'a [String],
    level: &'static str,
    level_from: &'a str,
    logger: &'a str,
    targets: String,
}

#[derive(Serialize)]
struct HandlerJson<'a> {
    level: Option<&'static str>,
    name: &'a str,
    params: Pairs<'a, String>,
    processors: &'a [String],
    renderer: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    used_by: &'a [String],
}

/// Key-value pairs as a JSON object, keys in name order; of a repeated key, the last.
struct Pairs<'a, K>(&'a [(K, Value)]);

impl<K: AsRef<str>> Serialize for Pairs<'_, K> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut pairs: Vec<(&str, &Value)> = self.0.iter().map(|(k, v)| (k.as_ref(), v)).collect();
        // Stable: of a repeated key, the last one written stays last.
        pairs.sort_by(|a, b| a.0.cmp(b.0));
        pairs.dedup_by(|later, earlier| {
            let same = later.0 == earlier.0;
            if same {
                *earlier = *later;
            }
            same
        });
        serializer.collect_map(pairs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A handler of one's own whose params hold a URL, as a program with its own
    /// components (docs/CLI.md) would register: no built-in handler takes userinfo.
    #[derive(Debug)]
    struct Webhook;

    impl ko_log::Handler for Webhook {
        fn write(&mut self, _line: &[u8], _event: &ko_log::Event) -> Result<(), ko_log::Error> {
            Ok(())
        }

        fn flush(&mut self) -> Result<(), ko_log::Error> {
            Ok(())
        }
    }

    #[derive(serde::Deserialize)]
    struct WebhookParams {
        url: String,
    }

    #[ko_log::handler]
    fn webhook(params: &WebhookParams) -> Webhook {
        let _ = &params.url;
        Webhook
    }

    /// The report of a config whose `webhook` handler posts to `url`, as text or JSON.
    fn report_of_url(url: &str, json: bool) -> String {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("log.toml");
        let config = format!(
            "[loggers.root]\nhandlers = [\"hook\"]\n[handlers.hook]\ntype = \"webhook\"\nurl = \"{url}\"\n"
        );
        std::fs::write(&file, config).unwrap();
        let options = CheckOptions {
            file,
            json,
            format: None,
        };
        let mut out = Vec::new();
        let code = run(&options, &mut out).unwrap();
        let out = String::from_utf8(out).unwrap();
        assert_eq!(code, ExitCode::SUCCESS, "{out}");
        out
    }

    #[test]
    fn userinfo_is_masked_in_text_and_json() {
        let url = "https://bot:hunter2@hooks.example/post?channel=ops";
        let text = report_of_url(url, false);
        assert!(
            text.ends_with("  hook: webhook, renderer webhook's default\n    url = \"https://***@hooks.example/post?channel=ops\"\n"),
            "{text}"
        );
        let json: Value = serde_json::from_str(&report_of_url(url, true)).unwrap();
        assert_eq!(
            json["config"]["handlers"][0]["params"],
            json!({"url": "https://***@hooks.example/post?channel=ops"})
        );
        let token_only = report_of_url("https://ghp_1234@hooks.example/", false);
        assert!(!token_only.contains("ghp_1234"), "{token_only}");
    }

    #[test]
    fn credentials_in_urls_are_masked() {
        assert_eq!(
            masked_url("https://me:hunter2@collector:4318/v1/logs"),
            "https://***@collector:4318/v1/logs"
        );
        assert_eq!(
            masked_url("https://ghp_token@collector?x=1"),
            "https://***@collector?x=1"
        );
        assert_eq!(
            masked_url("https://c/v1/logs?token=t1&tenant=a&X-Amz-Signature=s&api_key=k&sig=z#top"),
            "https://c/v1/logs?token=***&tenant=a&X-Amz-Signature=***&api_key=***&sig=***#top"
        );
        assert_eq!(
            masked_url("http://collector:4318/v1/logs?page=2&flag"),
            "http://collector:4318/v1/logs?page=2&flag"
        );
        assert_eq!(masked_url("user@host:514"), "user@host:514");
        assert_eq!(masked_url("https://h/a@b"), "https://h/a@b");
    }

    #[test]
    fn credential_names() {
        for name in [
            "key",
            "x-api-key",
            "api_key",
            "apiKey",
            "X-API-KEY",
            "private-key",
            "token",
            "access-token",
            "x_access_token",
            "secret",
            "client_secret",
            "password",
            "passwd",
            "pwd",
            "pass",
            "auth",
            "x-auth",
            "authorization",
            "proxy-authorization",
            "signature",
            "x-amz-signature",
            "sig",
            "cookie",
            "set-cookie",
            "session",
            "x-session-id",
            "sessionid",
            "credentials",
        ] {
            assert!(is_secret(name), "{name}");
        }
        for name in [
            "tenant",
            "x-scope-orgid",
            "address",
            "keys",
            "content-type",
            "page",
        ] {
            assert!(!is_secret(name), "{name}");
        }
    }
}
