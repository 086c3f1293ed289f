use ko_log::{Action, Event};

#[ko_log::processor(nme = "a", name = "b", name = "c")]
fn a() -> impl FnMut(&mut Event) -> Action + Send + 'static {
    |_| Action::Keep
}

#[ko_log::processor(name = request_id)]
fn b() -> impl FnMut(&mut Event) -> Action + Send + 'static {
    |_| Action::Keep
}

#[ko_log::processor(name = "", "c")]
fn c() -> impl FnMut(&mut Event) -> Action + Send + 'static {
    |_| Action::Keep
}

#[ko_log::processor(name = "has space")]
fn d() -> impl FnMut(&mut Event) -> Action + Send + 'static {
    |_| Action::Keep
}

#[ko_log::processor(name)]
fn e() -> impl FnMut(&mut Event) -> Action + Send + 'static {
    |_| Action::Keep
}

fn main() {}
