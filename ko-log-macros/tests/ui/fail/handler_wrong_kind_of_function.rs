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

struct Handlers;

impl Handlers {
    #[ko_log::handler]
    fn method(&self) -> Memory {
        Memory
    }
}

#[ko_log::handler]
async fn asynchronous() -> Memory {
    Memory
}

#[ko_log::handler]
fn generic<P: serde::de::DeserializeOwned>(params: &P) -> Memory {
    let _ = params;
    Memory
}

#[ko_log::handler]
fn generic_in_disguise(params: &impl serde::de::DeserializeOwned) -> Memory {
    let _ = params;
    Memory
}

#[ko_log::handler]
unsafe fn dangerous() -> Memory {
    Memory
}

fn main() {}
