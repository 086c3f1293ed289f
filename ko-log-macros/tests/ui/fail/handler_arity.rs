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
struct AuditParams {
    table: String,
}

#[ko_log::handler]
fn two(params: &AuditParams, retries: u8) -> Memory {
    let _ = (&params.table, retries);
    Memory
}

#[ko_log::handler]
fn three(params: &AuditParams, handle: &ko_log::handler::Handle, retries: u8) -> Memory {
    let _ = (&params.table, handle, retries);
    Memory
}

fn main() {}
