//! The handler shapes #[ko_log::handler] accepts compile without warnings and register
//! under their names: a handler, a `Result` of one with `std::io::Error` or an error of
//! one's own, `impl Handler`, no params, another name, a raw identifier, a local function,
//! a `check` function (a path or a closure), a `schema` function, and the handle after
//! the params.

#![deny(warnings)]

use std::fmt;

use ko_log::{Event, Handler};

/// Keeps every line in memory.
#[derive(Debug, Default)]
struct Memory {
    lines: Vec<Vec<u8>>,
}

impl Handler for Memory {
    fn write(&mut self, line: &[u8], _event: &Event) -> Result<(), ko_log::Error> {
        self.lines.push(line.to_vec());
        Ok(())
    }

    fn flush(&mut self) -> Result<(), ko_log::Error> {
        Ok(())
    }
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditParams {
    table: String,
}

#[derive(Debug)]
struct ConnectError(String);

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot connect to table `{}`", self.0)
    }
}

impl std::error::Error for ConnectError {}

#[ko_log::handler]
fn memory(params: &AuditParams) -> Memory {
    let _ = &params.table;
    Memory::default()
}

#[ko_log::handler]
fn audit_db(params: &AuditParams) -> Result<Memory, std::io::Error> {
    if params.table.is_empty() {
        return Err(std::io::Error::other("no table"));
    }
    Ok(Memory::default())
}

#[ko_log::handler]
fn io_result(_params: &AuditParams) -> std::io::Result<Memory> {
    Ok(Memory::default())
}

#[ko_log::handler]
fn own_error(params: &AuditParams) -> Result<Memory, ConnectError> {
    Err(ConnectError(params.table.clone()))
}

#[ko_log::handler(name = "discard")]
fn discard_everything() -> Memory {
    Memory::default()
}

#[ko_log::handler]
fn opaque<'a>(_params: &'a AuditParams) -> impl Handler {
    Memory::default()
}

/// Refuses an empty table before anything is built (also in `ko_log::check`).
fn check_table(params: &AuditParams) -> Result<(), String> {
    if params.table.is_empty() {
        return Err("`table` must not be empty".to_owned());
    }
    Ok(())
}

fn audit_schema() -> serde_json::Value {
    use ko_log::config::schema::{string, table};
    table(&[("table", string())], &["table"])
}

#[ko_log::handler(check = check_table, schema = audit_schema)]
fn checked(params: &AuditParams) -> Memory {
    let _ = &params.table;
    Memory::default()
}

#[ko_log::handler(
    name = "checked_by_closure",
    check = |params: &AuditParams| std::fs::metadata(&params.table).map(drop),
    schema = || serde_json::json!({"type": "object"}),
)]
fn closure_checked(_params: &AuditParams) -> Memory {
    Memory::default()
}

#[ko_log::handler]
fn with_handle(_params: &AuditParams, handle: &ko_log::handler::Handle) -> Memory {
    handle.wake();
    Memory::default()
}

pub mod nested {
    #[ko_log::handler]
    pub(crate) fn r#in() -> Result<super::Memory, super::ConnectError> {
        Ok(super::Memory::default())
    }
}

fn main() {
    #[ko_log::handler]
    fn local() -> Memory {
        Memory::default()
    }
    let _ = local;
    let _ = memory;
    let _ = audit_db;
    let _ = io_result;
    let _ = own_error;
    let _ = discard_everything;
    let _ = opaque;
    let _ = nested::r#in;
    let _ = checked;
    let _ = closure_checked;
    let _ = with_handle;
}
