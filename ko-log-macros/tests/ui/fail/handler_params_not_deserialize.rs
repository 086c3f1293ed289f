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

struct AuditParams {
    table: String,
}

#[ko_log::handler]
fn audit_db(params: &AuditParams) -> Result<Memory, std::io::Error> {
    let _ = &params.table;
    Ok(Memory)
}

fn main() {}
