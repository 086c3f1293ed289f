use ko_log::{Event, Handler};

/// A handler, not a renderer.
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

#[ko_log::renderer]
fn returns_text() -> String {
    String::new()
}

#[ko_log::renderer]
fn returns_a_handler() -> Result<Memory, std::io::Error> {
    Ok(Memory)
}

fn main() {}
