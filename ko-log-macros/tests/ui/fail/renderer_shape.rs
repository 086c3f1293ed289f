use ko_log::{Event, Renderer};

#[derive(Debug)]
struct Compact;

impl Renderer for Compact {
    fn render(&self, _event: &Event, out: &mut Vec<u8>) {
        out.push(b'\n');
    }
}

#[derive(serde::Deserialize)]
struct CompactParams {
    width: usize,
}

#[ko_log::renderer]
async fn asynchronous() -> Compact {
    Compact
}

#[ko_log::renderer]
fn by_value(params: CompactParams) -> Compact {
    let _ = params.width;
    Compact
}

#[ko_log::renderer]
fn two(params: &CompactParams, extra: u8) -> Compact {
    let _ = (params.width, extra);
    Compact
}

#[ko_log::renderer]
fn forgot(params: &CompactParams) {
    let _ = params.width;
}

#[ko_log::renderer(name = compact, name = "compact")]
fn named() -> Compact {
    Compact
}

struct Renderers;

impl Renderers {
    #[ko_log::renderer]
    fn method(&self) -> Compact {
        Compact
    }
}

#[ko_log::renderer]
enum NotAFunction {}

fn main() {}
