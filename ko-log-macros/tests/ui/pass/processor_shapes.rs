//! The processor shapes #[ko_log::processor] accepts compile without warnings and
//! register under their names.

#![deny(warnings)]

use ko_log::{Action, Event};

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestIdParams {
    request_id: String,
}

#[ko_log::processor]
fn add_request_id(params: &RequestIdParams) -> impl FnMut(&mut Event) -> Action + Send + 'static {
    let request_id = params.request_id.clone();
    move |event| {
        event
            .fields
            .insert_default("request_id", request_id.clone());
        Action::Keep
    }
}

#[ko_log::processor(name = "drop_debug")]
fn only_info_and_above() -> impl FnMut(&mut Event) -> Action + Send + 'static {
    |event| {
        if event.level > log::Level::Info {
            Action::Drop
        } else {
            Action::Keep
        }
    }
}

#[ko_log::processor]
fn boxed_step<'a>(_params: &'a RequestIdParams) -> Box<dyn FnMut(&mut Event) -> Action + Send> {
    Box::new(|_| Action::Keep)
}

pub mod nested {
    #[ko_log::processor]
    pub(crate) fn r#in() -> fn(&mut ko_log::Event) -> ko_log::Action {
        fn keep(_: &mut ko_log::Event) -> ko_log::Action {
            ko_log::Action::Keep
        }
        keep
    }
}

fn main() {
    #[ko_log::processor]
    fn local() -> impl FnMut(&mut Event) -> Action + Send + 'static {
        |_| Action::Keep
    }
    let _ = local;
    let _ = add_request_id;
    let _ = only_info_and_above;
    let _ = boxed_step;
    let _ = nested::r#in;
}
