use ko_log::{Action, Event};

#[derive(serde::Deserialize)]
struct Params {
    id: String,
}

#[ko_log::processor]
fn two(params: &Params, extra: u8) -> impl FnMut(&mut Event) -> Action + Send + 'static {
    let id = params.id.clone();
    move |_| {
        let _ = (&id, extra);
        Action::Keep
    }
}

fn main() {}
