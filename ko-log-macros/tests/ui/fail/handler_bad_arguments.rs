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

#[ko_log::handler(nme = "a", name = "b", name = "c")]
fn a() -> Memory {
    Memory
}

#[ko_log::handler(name = audit_db)]
fn b() -> Memory {
    Memory
}

#[ko_log::handler(name = "")]
fn c() -> Memory {
    Memory
}

#[ko_log::handler(name = "audit db")]
fn d() -> Memory {
    Memory
}

#[ko_log::handler(table = "log")]
fn e() -> Memory {
    Memory
}

fn main() {}
