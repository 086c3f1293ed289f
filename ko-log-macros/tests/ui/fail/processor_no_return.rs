use ko_log::Event;

#[derive(serde::Deserialize)]
struct Params {}

#[ko_log::processor]
fn forgot(params: &Params) {
    let _ = params;
    let _ = |_: &mut Event| {};
}

fn main() {}
