use ko_log::{Action, Event};

#[ko_log::processor]
fn returns_text() -> String {
    String::new()
}

#[ko_log::processor]
fn returns_bool() -> impl FnMut(&mut Event) -> bool + Send + 'static {
    |_| true
}

#[ko_log::processor]
fn not_send() -> impl FnMut(&mut Event) -> Action + 'static {
    let shared = std::rc::Rc::new(());
    move |_| {
        let _ = &shared;
        Action::Keep
    }
}

fn main() {}
