use ko_log::{Action, Event};

struct Steps;

impl Steps {
    #[ko_log::processor]
    fn method(&self) -> impl FnMut(&mut Event) -> Action + Send + 'static {
        |_| Action::Keep
    }
}

#[ko_log::processor]
async fn asynchronous() -> impl FnMut(&mut Event) -> Action + Send + 'static {
    |_| Action::Keep
}

#[ko_log::processor]
fn generic<P: serde::de::DeserializeOwned>(params: &P) -> impl FnMut(&mut Event) -> Action + Send + 'static {
    let _ = params;
    |_| Action::Keep
}

#[ko_log::processor]
unsafe fn dangerous() -> impl FnMut(&mut Event) -> Action + Send + 'static {
    |_| Action::Keep
}

fn main() {}
