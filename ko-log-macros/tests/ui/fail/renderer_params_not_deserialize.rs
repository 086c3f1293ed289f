use ko_log::{Event, Renderer};

#[derive(Debug)]
struct Compact;

impl Renderer for Compact {
    fn render(&self, _event: &Event, out: &mut Vec<u8>) {
        out.push(b'\n');
    }
}

struct CompactParams {
    width: usize,
}

#[ko_log::renderer]
fn compact(params: &CompactParams) -> Compact {
    let _ = params.width;
    Compact
}

fn main() {}
