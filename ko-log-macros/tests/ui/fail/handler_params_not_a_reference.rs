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
fn by_value(params: AuditParams) -> Memory {
    let _ = params.table;
    Memory
}

#[ko_log::handler]
fn by_mut(params: &mut AuditParams) -> Memory {
    params.table.clear();
    Memory
}

fn main() {}
