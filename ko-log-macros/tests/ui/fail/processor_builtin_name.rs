use ko_log::{Action, Event};

#[ko_log::processor]
fn redact() -> impl FnMut(&mut Event) -> Action + Send + 'static {
    |_| Action::Keep
}

#[ko_log::processor(name = "filter_keys")]
fn my_filter() -> impl FnMut(&mut Event) -> Action + Send + 'static {
    |_| Action::Keep
}

fn main() {}
