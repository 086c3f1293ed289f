//! The registry of custom processors, looked up by their `type` name.
//!
//! A config entry whose `type` is not a built-in processor names a custom one, registered
//! in code with `#[ko_log::processor]`. The macro submits a [`Registration`] to an
//! [`inventory`] collection: a name, where it was registered, and a constructor that
//! deserializes the processor's own params type from the entry's other keys
//! ([`Params::deserialize`], so a mistake is reported at its own line) and calls the
//! user's function. [`build`] resolves a name at init:
//!
//! - no registration: a config error at the `type` value listing the built-in and
//!   registered names, with "did you mean";
//! - one: its constructor's result (a params error is located at the offending key);
//! - two or more (two crates picked one name): a config error at the `type` value naming
//!   every registration's function and source location.
//!
//! `inventory` rather than `linkme`: it works on every platform Rust targets (Linux,
//! macOS, Windows, wasm) with no linker-section support needed, and its cost — walking a
//! linked list — is paid once, at init, never on the logging path.

use std::fmt;

use ko_log_config::node::Params;

use super::{Action, Process};
use crate::Event;

/// Builds a custom processor from its config params.
pub type Constructor = fn(&Params) -> Result<Box<dyn Process>, crate::Error>;

/// One `#[ko_log::processor]`: submitted by the macro, collected with `inventory`.
#[derive(Debug)]
pub struct Registration {
    /// The `type` name configs use.
    pub name: &'static str,
    /// Deserializes the params and calls the user's function.
    pub construct: Constructor,
    /// The registered function's path (`my_app::log::add_request_id`).
    pub function: &'static str,
    /// Where the attribute is.
    pub file: &'static str,
    /// Its line.
    pub line: u32,
}

inventory::collect!(Registration);

impl fmt::Display for Registration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` ({}:{})", self.function, self.file, self.line)
    }
}

/// Every registration, in no particular order.
fn registrations() -> impl Iterator<Item = &'static Registration> {
    inventory::iter::<Registration>.into_iter()
}

/// The names a processor `type` can take: built-in and registered, sorted, unique.
pub(crate) fn known_names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = ko_log_config::process::BUILTIN.to_vec();
    names.extend(registrations().map(|r| r.name));
    names.sort_unstable();
    names.dedup();
    names
}

/// Builds the custom processor registered under `name` from `params`.
pub(crate) fn build(name: &str, params: &Params) -> Result<Box<dyn Process>, crate::Error> {
    let mut found = registrations().filter(|r| r.name == name);
    let Some(first) = found.next() else {
        return Err(params.unknown_type(&known_names()).into());
    };
    let others: Vec<&Registration> = found.collect();
    if !others.is_empty() {
        let mut all: Vec<String> = std::iter::once(first)
            .chain(others)
            .map(ToString::to_string)
            .collect();
        all.sort();
        return Err(params
            .error(format!(
                "processor type `{name}` is registered more than once: by {}; give all but one \
                 another name with #[ko_log::processor(name = \"...\")]",
                all.join(" and by ")
            ))
            .into());
    }
    match crate::panic::catch(|| (first.construct)(params)) {
        Ok(result) => result,
        Err(payload) => Err(params
            .error(format!(
                "processor `{name}` ({first}) panicked while being built: {}",
                crate::dispatch::worker::panic_message(payload.as_ref())
            ))
            .into()),
    }
}

/// Support for the code `#[ko_log::processor]` generates; not public API (reached as
/// `ko_log::__private::processor`).
#[doc(hidden)]
pub mod __private {
    use serde::de::DeserializeOwned;

    use super::Step;
    use crate::{Action, Event, Process};

    pub use super::{Constructor, Registration};
    pub use ko_log_config::node::Params;

    /// The params of a processor that takes none: any key but `type` is refused.
    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct NoParams {}

    /// Deserializes the processor's params type. The generated call carries the span of
    /// that type, so a type that is not `DeserializeOwned` is reported there.
    pub fn params<P: DeserializeOwned>(params: &Params) -> Result<P, crate::Error> {
        Ok(params.deserialize::<P>()?)
    }

    /// Boxes the step a processor function returned. The generated call carries the span
    /// of the function's return type, so a wrong one is reported there.
    pub fn step<F>(name: &'static str, step: F) -> Box<dyn Process>
    where
        F: FnMut(&mut Event) -> Action + Send + 'static,
    {
        Box::new(Step { name, step })
    }
}

/// A processor made of a registered function's step.
struct Step<F> {
    name: &'static str,
    step: F,
}

impl<F> fmt::Debug for Step<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Processor")
            .field("type", &self.name)
            .finish_non_exhaustive()
    }
}

impl<F> Process for Step<F>
where
    F: FnMut(&mut Event) -> Action + Send + 'static,
{
    fn process(&mut self, event: &mut Event) -> Action {
        (self.step)(event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uppercase(params: &Params) -> Result<Box<dyn Process>, crate::Error> {
        __private::params::<__private::NoParams>(params)?;
        Ok(__private::step("test_uppercase", |event: &mut Event| {
            event.message = event.message.to_uppercase().into();
            Action::Keep
        }))
    }

    fn twice_a(_: &Params) -> Result<Box<dyn Process>, crate::Error> {
        Ok(__private::step("test_twice", |_: &mut Event| Action::Keep))
    }

    fn twice_b(_: &Params) -> Result<Box<dyn Process>, crate::Error> {
        Ok(__private::step("test_twice", |_: &mut Event| Action::Drop))
    }

    fn panics(_: &Params) -> Result<Box<dyn Process>, crate::Error> {
        panic!("no database")
    }

    inventory::submit! {
        Registration { name: "test_uppercase", construct: uppercase, function: "tests::uppercase", file: "a.rs", line: 1 }
    }
    inventory::submit! {
        Registration { name: "test_twice", construct: twice_a, function: "a::twice", file: "a.rs", line: 2 }
    }
    inventory::submit! {
        Registration { name: "test_twice", construct: twice_b, function: "b::twice", file: "b.rs", line: 3 }
    }
    inventory::submit! {
        Registration { name: "test_panics", construct: panics, function: "tests::panics", file: "a.rs", line: 4 }
    }

    #[test]
    fn a_registered_processor_is_built_and_runs() {
        let mut processor = build("test_uppercase", &Params::default()).expect("registered");
        let mut event = Event::new(log::Level::Info, "app", "hello");
        assert_eq!(processor.process(&mut event), Action::Keep);
        assert_eq!(event.message, "HELLO");
        assert_eq!(
            format!("{processor:?}"),
            "Processor { type: \"test_uppercase\", .. }"
        );
    }

    #[test]
    fn known_names_merge_builtin_and_registered() {
        let names = known_names();
        assert!(names.contains(&"redact"));
        assert!(names.contains(&"test_uppercase"));
        assert_eq!(names.iter().filter(|n| **n == "test_twice").count(), 1);
        assert!(names.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn a_name_registered_twice_is_refused_naming_both() {
        let error = build("test_twice", &Params::default()).expect_err("ambiguous");
        let message = error.to_string();
        assert!(
            message.contains("`a::twice` (a.rs:2) and by `b::twice` (b.rs:3)"),
            "{message}"
        );
    }

    #[test]
    fn a_constructor_that_panics_is_an_error() {
        // The quiet hook (never swapped: other tests may panic meanwhile) keeps the
        // caught panic off stderr.
        crate::panic::install_hook();
        let result = build("test_panics", &Params::default());
        let message = result.expect_err("panicked").to_string();
        assert!(
            message.contains("panicked while being built: no database"),
            "{message}"
        );
    }
}
