//! The one registry of components: handlers, renderers and processors, looked up by the
//! `type` name a config gives them.
//!
//! Every renderer and processor, and every handler but the config crate's typed ones
//! (`file`, `rotating_file`, `stream`, `null`), is a registered component.
//! `#[ko_log::handler]`, `#[ko_log::renderer]` and `#[ko_log::processor]` each submit a
//! [`Registration`] to one [`inventory`] collection: the name, a [`Constructor`] of the
//! right kind, and where it was registered. ko-log's own components register the same
//! way, in their own files (the network handlers with the attribute, the renderers and
//! processors with [`register!`] and [`register_processor!`], whose hand-written check
//! can point into a string), so every name is written once, and every error that lists
//! valid names reads [`known_names`].
//!
//! Resolving a name at init ([`handler`], [`renderer`], [`processor`]):
//!
//! - no registration: a config error at the `type` value listing the known names, with
//!   "did you mean";
//! - one: its constructor's result (a params error is located at the offending key; a
//!   constructor's own error is located at the key a [`crate::ParamError`] names, else at
//!   the component's `type`);
//! - two or more (two crates picked one name): a config error at the `type` value naming
//!   every registration's function and source location.
//!
//! A user's registration under the name of one of ko-log's own components would never be
//! reached, or would make that name ambiguous: [`check`] refuses it at init, naming it.
//!
//! `inventory` rather than `linkme`: it works on every platform Rust targets (Linux,
//! macOS, Windows, wasm) with no linker-section support needed, and its cost — walking a
//! linked list — is paid once, at init, never on the logging path.

use std::fmt;

use ko_log_config::node::Params;
use ko_log_config::ConfigError;

use crate::component::{Action, Handle};
use crate::{
    component::{Handler, Processor, Renderer},
    error::Error,
    event::Event,
};

/// What `#[ko_log::handler]` registers: builds the handler from its params and handle.
pub type BuildHandler = fn(&Params, &Handle) -> Result<Box<dyn Handler>, Error>;

/// Builds a component from its config params: one variant per component kind.
#[derive(Debug, Clone, Copy)]
pub enum Constructor {
    /// `#[ko_log::handler]`: built with its params and its [`crate::component::Handle`].
    Handler(BuildHandler),
    /// `#[ko_log::renderer]`.
    Renderer(fn(&Params) -> Result<Box<dyn Renderer>, Error>),
    /// `#[ko_log::processor]`.
    Processor(fn(&Params) -> Result<Box<dyn Processor>, Error>),
}

/// A kind of component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Handler,
    Renderer,
    Processor,
}

impl Kind {
    /// The kind in the user's words (`handler`, `renderer`, `processor`).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Handler => "handler",
            Kind::Renderer => "renderer",
            Kind::Processor => "processor",
        }
    }

    /// The names of ko-log's own components of this kind (its own registrations).
    fn builtin(self) -> Vec<&'static str> {
        registrations(self)
            .filter(|r| r.is_builtin())
            .map(|r| r.name)
            .collect()
    }
}

impl Constructor {
    fn kind(&self) -> Kind {
        match self {
            Constructor::Handler(_) => Kind::Handler,
            Constructor::Renderer(_) => Kind::Renderer,
            Constructor::Processor(_) => Kind::Processor,
        }
    }
}

/// One registered component: submitted by a registration macro, collected with
/// `inventory`.
#[derive(Debug)]
pub struct Registration {
    /// The `type` name configs use.
    pub name: &'static str,
    /// Deserializes the params, runs the `check` function and calls the registered
    /// function.
    pub construct: Constructor,
    /// Deserializes the params and runs the `check` function, building nothing: what
    /// `ko_log::check` runs.
    pub check: fn(&Params) -> Result<(), Error>,
    /// The JSON Schema of the params (`schema = ...`), for `ko_log::schema`.
    pub schema: Option<fn() -> serde_json::Value>,
    /// The registered function's path (`my_app::log::audit_db`).
    pub function: &'static str,
    /// Where the attribute is.
    pub file: &'static str,
    /// Its line.
    pub line: u32,
}

inventory::collect!(Registration);

impl Registration {
    /// Whether ko-log registered it (one of its own components).
    fn is_builtin(&self) -> bool {
        self.function.starts_with("ko_log::")
    }
}

/// Registers one of ko-log's own components (`register!(Renderer, "plain", build, check,
/// schema)`): the [`Registration`] `#[ko_log::renderer]` or `#[ko_log::processor]`
/// submits for a user's, with a constructor, check and schema written by hand (they
/// report a template's mistake at its character, which a user's `check` cannot).
macro_rules! register {
    ($kind:ident, $name:literal, $build:path, $check:path, $schema:path) => {
        inventory::submit! {
            $crate::registry::Registration {
                name: $name,
                construct: $crate::registry::Constructor::$kind($build),
                check: $check,
                schema: Some($schema),
                function: concat!(module_path!(), "::", $name),
                file: file!(),
                line: line!(),
            }
        }
    };
}
pub(crate) use register;

/// Registers one of ko-log's own processors, `$ty`, built by its
/// `from_params(&Params) -> Result<$ty, ConfigError>` (see [`register!`]); with `$raw`,
/// the params type its schema must describe, key for key (a test checks it).
macro_rules! register_processor {
    ($name:literal, $ty:ty, $schema:ident $(, $raw:ident)?) => {
        const _: () = {
            use ko_log_config::node::Params;
            fn build(params: &Params) -> Result<Box<dyn $crate::component::Processor>, $crate::error::Error> {
                Ok(Box::new(<$ty>::from_params(params)?))
            }
            fn check(params: &Params) -> Result<(), $crate::error::Error> {
                <$ty>::from_params(params)?;
                Ok(())
            }
            $crate::registry::register!(Processor, $name, build, check, $schema);
        };
        $($crate::registry::schema_test!($schema, $raw);)?
    };
}
pub(crate) use register_processor;

/// Registers one of ko-log's own renderers: its params read and checked by
/// `$config::from_params(&Params)`, the renderer made by `$make(&config)` (see
/// [`register_processor!`] for `$raw`).
macro_rules! register_renderer {
    ($name:literal, $config:ty, $make:expr, $schema:ident $(, $raw:ident)?) => {
        const _: () = {
            use ko_log_config::node::Params;
            fn build(params: &Params) -> Result<Box<dyn $crate::component::Renderer>, $crate::error::Error> {
                Ok(Box::new(($make)(&<$config>::from_params(params)?)))
            }
            fn check(params: &Params) -> Result<(), $crate::error::Error> {
                <$config>::from_params(params)?;
                Ok(())
            }
            $crate::registry::register!(Renderer, $name, build, check, $schema);
        };
        $($crate::registry::schema_test!($schema, $raw);)?
    };
}
pub(crate) use register_renderer;

/// Registers one of ko-log's own handlers: its params read and checked by
/// `$config::from_params(&Params)`, the handler opened by `$open(&config, &handle)` (see
/// [`register_processor!`] for `$raw`). An error opening it (a file it cannot open) is
/// returned as it is, for the backend to place at the handler's `path`.
macro_rules! register_handler {
    ($name:literal, $config:ty, $open:expr, $schema:ident $(, $raw:ident)?) => {
        const _: () = {
            use ko_log_config::node::Params;
            fn build(
                params: &Params,
                handle: &$crate::component::Handle,
            ) -> Result<Box<dyn $crate::component::Handler>, $crate::error::Error> {
                Ok(Box::new(($open)(&<$config>::from_params(params)?, handle)?))
            }
            fn check(params: &Params) -> Result<(), $crate::error::Error> {
                <$config>::from_params(params)?;
                Ok(())
            }
            $crate::registry::register!(Handler, $name, build, check, $schema);
        };
        $($crate::registry::schema_test!($schema, $raw);)?
    };
}
pub(crate) use register_handler;

/// The test that a built-in's schema has exactly the keys of its params type.
macro_rules! schema_test {
    ($schema:ident, $raw:ident) => {
        #[cfg(test)]
        mod schema_tests {
            #[test]
            fn the_schema_has_the_keys_of_the_params() {
                $crate::registry::assert_schema_keys(
                    &super::$schema(),
                    ko_log_config::schema::fields_of::<super::$raw>(),
                );
            }
        }
    };
}
pub(crate) use schema_test;

impl fmt::Display for Registration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` ({}:{})", self.function, self.file, self.line)
    }
}

/// Every registration of `kind`, in no particular order.
fn registrations(kind: Kind) -> impl Iterator<Item = &'static Registration> {
    inventory::iter::<Registration>
        .into_iter()
        .filter(move |r| r.construct.kind() == kind)
}

/// The names a `type` of `kind` can take: built-in and registered, sorted, unique.
pub(crate) fn known_names(kind: Kind) -> Vec<&'static str> {
    let mut names: Vec<&'static str> = registrations(kind).map(|r| r.name).collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// Refuses registrations that could never be used: under the name of one of ko-log's
/// own components.
pub(crate) fn check() -> Result<(), Error> {
    match dead_registrations().next() {
        Some(error) => Err(error.into()),
        None => Ok(()),
    }
}

/// The error for each registration that could never be used (see [`check`]).
pub(crate) fn dead_registrations() -> impl Iterator<Item = ConfigError> {
    [Kind::Handler, Kind::Renderer, Kind::Processor]
        .into_iter()
        .flat_map(|kind| {
            let builtin = kind.builtin();
            registrations(kind)
                .filter(move |r| !r.is_builtin() && builtin.contains(&r.name))
                .map(move |dead| {
                    let what = kind.as_str();
                    ConfigError::validation(
                        "",
                        format!(
                            "{dead} registers a {what} named `{}`, which is a built-in {what} type, so it would never be used; give it another name with #[ko_log::{what}(name = \"...\")]",
                            dead.name
                        ),
                    )
                })
        })
}

/// Every registration, sorted by kind and name (for `ko_log::schema`).
pub(crate) fn all() -> Vec<(Kind, &'static Registration)> {
    let mut all: Vec<(Kind, &'static Registration)> = inventory::iter::<Registration>
        .into_iter()
        .map(|r| (r.construct.kind(), r))
        .collect();
    all.sort_by_key(|(kind, r)| (kind.as_str(), r.name, !r.is_builtin(), r.function));
    all
}

/// Checks the params of the component of `kind` registered under `name` as building it
/// would (the same lookup, the same params type, the same `check` function), building
/// nothing.
pub(crate) fn check_params(kind: Kind, name: &str, params: &Params) -> Result<(), Error> {
    let registration = resolve(kind, name, params)?;
    (registration.check)(params)
}

/// The check of handler `name`'s own params, its renderer and each of its processors, in
/// order: what [`Backend::new`](crate::Backend::new) runs before it opens any handler, so
/// that a mistake in one creates no file.
pub(crate) fn steps<'a>(
    name: &'a str,
    handler: &'a ko_log_config::HandlerConfig,
) -> impl Iterator<Item = Result<(), Error>> + 'a {
    let own = check_params(Kind::Handler, &handler.name, &placed_handler(handler, name));
    let renderer = placed_renderer(&handler.renderer, name);
    let renderer = check_params(Kind::Renderer, &renderer.name, &renderer.params);
    let processors = handler
        .processors
        .iter()
        .enumerate()
        .map(move |(index, p)| {
            let p = placed_processor(p, name, index);
            check_params(Kind::Processor, &p.name, &p.params)
        });
    [own, renderer].into_iter().chain(processors)
}

/// The one registration of `kind` under `name`, or the located error saying why not.
fn resolve(kind: Kind, name: &str, params: &Params) -> Result<&'static Registration, Error> {
    let what = kind.as_str();
    let mut found = registrations(kind).filter(|r| r.name == name);
    let Some(first) = found.next() else {
        return Err(params.unknown_type(what, &known_names(kind)).into());
    };
    let others: Vec<&Registration> = found.collect();
    if others.is_empty() {
        return Ok(first);
    }
    let mut all: Vec<String> = std::iter::once(first)
        .chain(others)
        .map(ToString::to_string)
        .collect();
    all.sort();
    Err(params
        .error(format!(
            "{what} type `{name}` is registered more than once: by {}; give all but one \
             another name with #[ko_log::{what}(name = \"...\")]",
            all.join(" and by ")
        ))
        .into())
}

/// Runs a constructor, turning a panic into an error located at the component's `type`.
fn construct<T>(
    kind: Kind,
    registration: &Registration,
    params: &Params,
    build: impl FnOnce() -> Result<T, Error>,
) -> Result<T, Error> {
    match crate::unwind::catch(build) {
        Ok(result) => result,
        Err(payload) => Err(params
            .error(format!(
                "{} `{}` ({registration}) panicked while being built: {}",
                kind.as_str(),
                registration.name,
                crate::unwind::panic_message(payload.as_ref())
            ))
            .into()),
    }
}

/// Builds the handler registered under `name` from `params`.
pub(crate) fn handler(
    name: &str,
    params: &Params,
    handle: &crate::component::Handle,
) -> Result<Box<dyn Handler>, Error> {
    let registration = resolve(Kind::Handler, name, params)?;
    match registration.construct {
        Constructor::Handler(build) => construct(Kind::Handler, registration, params, || {
            build(params, handle)
        }),
        _ => Err(params
            .unknown_type("handler", &known_names(Kind::Handler))
            .into()),
    }
}

/// Builds the renderer registered under `name` from `params`.
pub(crate) fn renderer(name: &str, params: &Params) -> Result<Box<dyn Renderer>, Error> {
    let registration = resolve(Kind::Renderer, name, params)?;
    match registration.construct {
        Constructor::Renderer(build) => {
            construct(Kind::Renderer, registration, params, || build(params))
        }
        _ => Err(params
            .unknown_type("renderer", &known_names(Kind::Renderer))
            .into()),
    }
}

/// Builds the processor registered under `name` from `params`.
pub(crate) fn processor(name: &str, params: &Params) -> Result<Box<dyn Processor>, Error> {
    let registration = resolve(Kind::Processor, name, params)?;
    match registration.construct {
        Constructor::Processor(build) => {
            construct(Kind::Processor, registration, params, || build(params))
        }
        _ => Err(params
            .unknown_type("processor", &known_names(Kind::Processor))
            .into()),
    }
}

/// Support for the code the registration macros generate; not public API (reached as
/// `ko_log::__private::component`).
#[doc(hidden)]
pub mod __private {
    use serde::de::DeserializeOwned;

    use crate::{
        component::{Action, Handler, Processor, Renderer},
        error::{Error, ParamError},
        event::Event,
    };

    pub use super::{Constructor, Registration};
    pub use ko_log_config::node::Params;

    /// Runs a registration's `check = ...` function on its params (its `Ok` value is
    /// dropped): an error refuses the component as its constructor's would, located at
    /// its `type`.
    pub fn checked<T, E: Into<Box<dyn std::error::Error + Send + Sync>>>(
        what: &str,
        name: &'static str,
        params: &Params,
        result: Result<T, E>,
    ) -> Result<(), Error> {
        result.map(drop).map_err(|error| {
            refused(
                params,
                format!("{what} `{name}` cannot start"),
                error.into(),
            )
        })
    }

    /// A registration's `schema = ...` function (the call carries its span, so a function
    /// of another type is reported there).
    pub const fn schema(schema: fn() -> serde_json::Value) -> fn() -> serde_json::Value {
        schema
    }

    /// The params of a component that takes none: any key but `type` is refused.
    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct NoParams {}

    /// Deserializes the component's params type. The generated call carries the span of
    /// that type, so a type that is not `DeserializeOwned` is reported there.
    pub fn params<P: DeserializeOwned>(params: &Params) -> Result<P, Error> {
        Ok(params.deserialize::<P>()?)
    }

    /// Boxes the step a processor function returned. The generated call carries the span
    /// of the function's return type, so a wrong one is reported there.
    pub fn step<F>(name: &'static str, step: F) -> Box<dyn Processor>
    where
        F: FnMut(&mut Event) -> Action + Send + 'static,
    {
        Box::new(super::Step::new(name, step))
    }

    /// What a `#[ko_log::handler]` function may return: a [`Handler`], or a `Result` of
    /// one whose error converts into `Box<dyn std::error::Error + Send + Sync>` (any such
    /// error type, a boxed one, `String`, `&str`).
    #[diagnostic::on_unimplemented(
        message = "`{Self}` is not a handler: a #[ko_log::handler] function returns a type that implements `ko_log::Handler`, or a `Result` of one",
        label = "not a `ko_log::Handler`, nor a `Result` of one"
    )]
    pub trait IntoHandler {
        /// The handler, or the constructor's error.
        fn into_handler(self)
            -> Result<Box<dyn Handler>, Box<dyn std::error::Error + Send + Sync>>;
    }

    impl<H: Handler> IntoHandler for H {
        fn into_handler(
            self,
        ) -> Result<Box<dyn Handler>, Box<dyn std::error::Error + Send + Sync>> {
            Ok(Box::new(self))
        }
    }

    impl<H: Handler, E: Into<Box<dyn std::error::Error + Send + Sync>>> IntoHandler for Result<H, E> {
        fn into_handler(
            self,
        ) -> Result<Box<dyn Handler>, Box<dyn std::error::Error + Send + Sync>> {
            match self {
                Ok(handler) => Ok(Box::new(handler)),
                Err(error) => Err(error.into()),
            }
        }
    }

    /// What a `#[ko_log::renderer]` function may return: a [`Renderer`], or a `Result` of
    /// one whose error converts into `Box<dyn std::error::Error + Send + Sync>`.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` is not a renderer: a #[ko_log::renderer] function returns a type that implements `ko_log::render::Renderer`, or a `Result` of one",
        label = "not a `ko_log::render::Renderer`, nor a `Result` of one"
    )]
    pub trait IntoRenderer {
        /// The renderer, or the constructor's error.
        fn into_renderer(
            self,
        ) -> Result<Box<dyn Renderer>, Box<dyn std::error::Error + Send + Sync>>;
    }

    impl<R: Renderer> IntoRenderer for R {
        fn into_renderer(
            self,
        ) -> Result<Box<dyn Renderer>, Box<dyn std::error::Error + Send + Sync>> {
            Ok(Box::new(self))
        }
    }

    impl<R: Renderer, E: Into<Box<dyn std::error::Error + Send + Sync>>> IntoRenderer for Result<R, E> {
        fn into_renderer(
            self,
        ) -> Result<Box<dyn Renderer>, Box<dyn std::error::Error + Send + Sync>> {
            match self {
                Ok(renderer) => Ok(Box::new(renderer)),
                Err(error) => Err(error.into()),
            }
        }
    }

    /// Boxes what a handler function returned; a constructor error refuses init, located
    /// at the key a [`ParamError`] names, else at the handler's `type`. The generated
    /// call carries the span of the function's return type, so a type that is not a
    /// handler is reported there.
    pub fn handler<R: IntoHandler>(
        name: &'static str,
        params: &Params,
        value: R,
    ) -> Result<Box<dyn Handler>, Error> {
        value.into_handler().map_err(|error| {
            // The handler's configured name (`[handlers.trail]`), which the user knows it
            // by, with its type when they differ.
            let what = match params.table_key() {
                Some(handler) if handler != name => {
                    format!("handler `{handler}` (type `{name}`) cannot start")
                }
                _ => format!("handler `{name}` cannot start"),
            };
            refused(params, what, error)
        })
    }

    /// The located error for a constructor's `error`: at the key of a [`ParamError`],
    /// else at the component's `type`.
    fn refused(
        params: &Params,
        what: String,
        error: Box<dyn std::error::Error + Send + Sync>,
    ) -> Error {
        // An `io::Error` names no file: when the component has a `path`, that is
        // almost always the file it failed on, so name it and point at it.
        let path = error
            .downcast_ref::<std::io::Error>()
            .and(params.node().get("path"))
            .and_then(|path| path.as_str());
        let located = match (error.downcast_ref::<ParamError>(), path) {
            (Some(at), _) => {
                let keys: Vec<&str> = at.keys().iter().map(String::as_str).collect();
                params.error_in(&keys, format!("{what}: {error}"))
            }
            (None, Some(path)) => params.error_at("path", format!("{what}: {path}: {error}")),
            (None, None) => params.error(format!("{what}: {error}")),
        };
        located.with_cause(error).into()
    }

    /// Boxes what a renderer function returned, as [`handler`] does.
    pub fn renderer<R: IntoRenderer>(
        name: &'static str,
        params: &Params,
        value: R,
    ) -> Result<Box<dyn Renderer>, Error> {
        value
            .into_renderer()
            .map_err(|error| refused(params, format!("renderer `{name}` cannot start"), error))
    }
}

/// The params of handler `handler`, placed at `handlers.HANDLER` when it was built in
/// Rust (read from a file, they know where they are), so that their errors name their key.
pub(crate) fn placed_handler(config: &ko_log_config::HandlerConfig, handler: &str) -> Params {
    let path = ko_log_config::node::KeyPath::root()
        .key("handlers")
        .key(handler);
    config.params.clone().under(path)
}

/// `config` of handler `handler`'s renderer, its params placed at
/// `handlers.HANDLER.renderer` when it was built in Rust (read from a file, they know
/// where they are), so that their errors name their key.
pub(crate) fn placed_renderer(
    config: &ko_log_config::RendererConfig,
    handler: &str,
) -> ko_log_config::RendererConfig {
    let path = ko_log_config::node::KeyPath::root()
        .key("handlers")
        .key(handler)
        .key("renderer");
    let mut config = config.clone();
    config.params = config.params.under(path);
    config
}

/// Entry `index` of handler `handler`'s processors, its params placed at
/// `handlers.HANDLER.processors[INDEX]` when it was built in Rust (read from a file, they
/// know where they are), so that their errors name their key.
pub(crate) fn placed_processor(
    config: &ko_log_config::ProcessorConfig,
    handler: &str,
    index: usize,
) -> ko_log_config::ProcessorConfig {
    let path = ko_log_config::node::KeyPath::root()
        .key("handlers")
        .key(handler)
        .key("processors")
        .index(index);
    let mut config = config.clone();
    config.params = config.params.under(path);
    config
}

/// A processor made of a registered function's step.
pub(crate) struct Step<F> {
    name: &'static str,
    step: F,
}

impl<F> Step<F> {
    pub(crate) fn new(name: &'static str, step: F) -> Step<F> {
        Step { name, step }
    }
}

impl<F> fmt::Debug for Step<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Processor")
            .field("type", &self.name)
            .finish_non_exhaustive()
    }
}

impl<F> Processor for Step<F>
where
    F: FnMut(&mut Event) -> Action + Send + 'static,
{
    fn process(&mut self, event: &mut Event) -> Action {
        (self.step)(event)
    }
}

/// Asserts that a component's params schema has exactly the keys its params type reads.
#[cfg(test)]
pub(crate) fn assert_schema_keys(schema: &serde_json::Value, fields: &[&str]) {
    let mut in_schema: Vec<&str> = schema["properties"]
        .as_object()
        .map(|p| p.keys().map(String::as_str).collect())
        .unwrap_or_default();
    in_schema.sort_unstable();
    let mut read = fields.to_vec();
    read.sort_unstable();
    assert_eq!(
        in_schema, read,
        "the schema's keys and the params type's fields differ"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Action, Event};
    use __private::Params;

    fn uppercase(params: &Params) -> Result<Box<dyn Processor>, crate::Error> {
        __private::params::<__private::NoParams>(params)?;
        Ok(__private::step("test_uppercase", |event: &mut Event| {
            event.message = event.message.to_uppercase().into();
            Action::Keep
        }))
    }

    fn twice_a(_: &Params) -> Result<Box<dyn Processor>, crate::Error> {
        Ok(__private::step("test_twice", |_: &mut Event| Action::Keep))
    }

    fn twice_b(_: &Params) -> Result<Box<dyn Processor>, crate::Error> {
        Ok(__private::step("test_twice", |_: &mut Event| Action::Drop))
    }

    fn panics(_: &Params) -> Result<Box<dyn Processor>, crate::Error> {
        panic!("no database")
    }

    inventory::submit! {
        Registration { name: "test_uppercase", construct: Constructor::Processor(uppercase), check: |_| Ok(()), schema: None, function: "tests::uppercase", file: "a.rs", line: 1 }
    }
    inventory::submit! {
        Registration { name: "test_twice", construct: Constructor::Processor(twice_a), check: |_| Ok(()), schema: None, function: "a::twice", file: "a.rs", line: 2 }
    }
    inventory::submit! {
        Registration { name: "test_twice", construct: Constructor::Processor(twice_b), check: |_| Ok(()), schema: None, function: "b::twice", file: "b.rs", line: 3 }
    }
    inventory::submit! {
        Registration { name: "test_panics", construct: Constructor::Processor(panics), check: |_| Ok(()), schema: None, function: "tests::panics", file: "a.rs", line: 4 }
    }

    #[test]
    fn a_registered_processor_is_built_and_runs() {
        let mut processor = processor("test_uppercase", &Params::default()).expect("registered");
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
        let names = known_names(Kind::Processor);
        assert!(names.contains(&"redact"));
        assert!(names.contains(&"test_uppercase"));
        assert_eq!(names.iter().filter(|n| **n == "test_twice").count(), 1);
        assert!(names.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn a_name_registered_twice_is_refused_naming_both() {
        let error = processor("test_twice", &Params::default()).expect_err("ambiguous");
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
        crate::unwind::install_hook();
        let result = processor("test_panics", &Params::default());
        let message = result.expect_err("panicked").to_string();
        assert!(
            message.contains("panicked while being built: no database"),
            "{message}"
        );
    }
}
