use ko_log::{Action, Event};

#[derive(serde::Deserialize)]
struct Params {
    id: String,
}

#[ko_log::processor]
fn by_value(params: Params) -> impl FnMut(&mut Event) -> Action + Send + 'static {
    let _ = params.id;
    |_| Action::Keep
}

#[ko_log::processor]
fn by_mut(params: &mut Params) -> impl FnMut(&mut Event) -> Action + Send + 'static {
    params.id.clear();
    |_| Action::Keep
}

fn main() {}
