use ko_log::{Event, Handler};

#[derive(Debug)]
struct Memory;

impl Handler for Memory {
    fn write(&mut self, _line: &[u8], _event: &Event) -> Result<(), ko_log::Error> {
        Ok(())
    }

    fn flush(&mut self) -> Result<(), ko_log::Error> {
        Ok(())
    }
}

#[derive(serde::Deserialize)]
struct Params {
    table: String,
}

fn check_table(params: &Params) -> Result<(), String> {
    let _ = &params.table;
    Ok(())
}

fn check_number(_: &u32) -> Result<(), String> {
    Ok(())
}

fn not_a_schema() -> String {
    String::new()
}

#[ko_log::handler(check = check_table)]
fn no_params() -> Memory {
    Memory
}

#[ko_log::handler(check = check_number)]
fn wrong_check(_params: &Params) -> Memory {
    Memory
}

#[ko_log::handler(schema = not_a_schema)]
fn wrong_schema(_params: &Params) -> Memory {
    Memory
}

#[ko_log::handler(check, schema = not_a_schema, schema = not_a_schema)]
fn no_value(_params: &Params) -> Memory {
    Memory
}

fn main() {}
