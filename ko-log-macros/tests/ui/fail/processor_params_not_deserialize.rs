use ko_log::{Action, Event};

struct Params {
    id: String,
}

#[ko_log::processor]
fn add_id(params: &Params) -> impl FnMut(&mut Event) -> Action + Send + 'static {
    let id = params.id.clone();
    move |event| {
        event.fields.insert("id", id.clone());
        Action::Keep
    }
}

fn main() {}
