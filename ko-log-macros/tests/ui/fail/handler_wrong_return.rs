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

#[ko_log::handler]
fn returns_text() -> String {
    String::new()
}

#[ko_log::handler]
fn ok_is_not_a_handler() -> Result<String, std::io::Error> {
    Ok(String::new())
}

/// Not a `std::error::Error`.
#[derive(Debug)]
struct NotAnError;

#[ko_log::handler]
fn err_is_not_an_error() -> Result<Memory, NotAnError> {
    Ok(Memory)
}

#[ko_log::handler]
fn returns_unit() -> () {}

fn main() {}
