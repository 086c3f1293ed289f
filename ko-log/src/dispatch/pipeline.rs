//! Pipeline construction, shared by the backend at init and by a reload: a handler's
//! pipeline (the handler opened with its handle, its renderer, its processors, its
//! `on_error` ring) built from its config, and the table of the running pipelines by
//! name ([`Live`]) that a reload compares a new config against.

use std::path::PathBuf;
use std::sync::Arc;

use ko_log_config::{Config, HandlerConfig, RendererConfig};

use super::worker::Pipeline;
use crate::handler::{self, Hold};
use crate::route::Routes;
use crate::stats::HandlerCounters;
use crate::{error::Error, process, render};

/// A handler value built in code, with its renderer (`None`: the config's).
#[derive(Debug)]
pub(crate) struct Instance {
    pub name: String,
    pub handler: Box<dyn crate::component::Handler>,
    pub renderer: Option<Box<dyn crate::component::Renderer>>,
}

/// The pipeline of a handler value built in code, whose handle is made on `core`; its
/// renderer, processors and level come from `config` unless the instance brings a
/// renderer.
pub(crate) fn instance_pipeline(
    config: &HandlerConfig,
    instance: Instance,
    core: &Arc<crate::component::handle::Core>,
) -> Result<Pipeline, Error> {
    let renderer = match instance.renderer {
        Some(renderer) => renderer,
        None => render::build(
            &crate::registry::placed_renderer(
                &renderer_config(config, instance.handler.as_ref()),
                &instance.name,
            ),
            instance.handler.is_terminal(),
        )?,
    };
    let processors = processors(&instance.name, config)?;
    Ok(Pipeline {
        structured: instance.handler.structured(),
        name: instance.name,
        processors,
        renderer,
        handler: instance.handler,
        counters: Arc::default(),
        handle: handler::Handle::new(core),
        keep: config.on_error.map(crate::dispatch::keep::Keep::new),
    })
}

/// The handler's renderer: the one its config names, or, when none was written (in a
/// file: no `renderer` key; in Rust: left at the default), the handler's own default.
fn renderer_config(
    config: &HandlerConfig,
    handler: &dyn crate::component::Handler,
) -> RendererConfig {
    effective_renderer(config, handler.default_renderer())
}

/// The renderer `config` asks for, or, when none was written (in a file: no `renderer`
/// key; in Rust: left at the default), the handler's own `preferred` one.
pub(crate) fn effective_renderer(
    config: &HandlerConfig,
    preferred: Option<RendererConfig>,
) -> RendererConfig {
    let unset = config
        .has_key("renderer")
        .map_or(config.renderer == RendererConfig::default(), |written| {
            !written
        });
    match preferred {
        Some(preferred) if unset => preferred,
        _ => config.renderer.clone(),
    }
}

/// The processors handler `name`'s `config` lists, built.
pub(crate) fn processors(
    name: &str,
    config: &HandlerConfig,
) -> Result<crate::dispatch::worker::Processors, Error> {
    config
        .processors
        .iter()
        .enumerate()
        .map(|(index, p)| {
            let built = process::build(&crate::registry::placed_processor(p, name, index))?;
            Ok((p.type_name().to_owned(), built))
        })
        .collect()
}

/// The pipeline of handler `name`, whose handle is made on `core`.
pub(crate) fn build_pipeline(
    name: &str,
    config: &HandlerConfig,
    core: &Arc<crate::component::handle::Core>,
) -> Result<Pipeline, Error> {
    let handle = handler::Handle::new(core);
    let params = crate::registry::placed_handler(config, name);
    let opened = crate::registry::handler(&config.name, &params, &handle);
    let handler = opened.map_err(|error| match error {
        // Already located (an unknown `type`, bad params, a constructor's error).
        Error::Config(located) => Error::Config(located),
        // A handler that cannot start (a file it cannot open) is a mistake in the config
        // like any other: located at its `path`, through where the table was written.
        source => {
            let message = format!("handler `{name}` cannot start: {source}");
            match config.params.is_located() {
                true => Error::Config(params.error_at("path", message).with_cause(source)),
                false => Error::Handler {
                    name: name.to_owned(),
                    source: Box::new(source),
                },
            }
        }
    })?;
    let renderer = render::build(
        &crate::registry::placed_renderer(&renderer_config(config, handler.as_ref()), name),
        handler.is_terminal(),
    )?;
    let processors = processors(name, config)?;
    Ok(Pipeline {
        structured: handler.structured(),
        name: name.to_owned(),
        processors,
        renderer,
        handler,
        counters: Arc::default(),
        handle,
        keep: config.on_error.map(crate::dispatch::keep::Keep::new),
    })
}

/// The running config, and for each of its handlers what a reload needs to know.
#[derive(Debug)]
pub(crate) struct Live {
    pub config: Config,
    /// In configuration order.
    pub slots: Vec<Slot>,
    /// The dispatcher slot the next opened handler gets (slots are never reused).
    pub next_slot: usize,
    pub generation: u32,
    /// The file the config was read from, for `ko_log::reload` and `watch`.
    pub source: Option<PathBuf>,
    /// Whether a reload applies `env_filter` (`KO_LOG`) as init did: set by the init
    /// functions that read it, not for a backend built and installed by hand.
    pub reads_env: bool,
}

/// One running handler, by name.
#[derive(Debug, Clone)]
pub(crate) struct Slot {
    pub name: String,
    pub slot: usize,
    pub config: HandlerConfig,
    pub hold: Option<Hold>,
    /// The handler's own default renderer and whether it writes to a terminal, for
    /// building a kept handler's new renderer without asking the handler.
    pub preferred: Option<RendererConfig>,
    pub terminal: bool,
    pub counters: Arc<HandlerCounters>,
}

impl Slot {
    pub fn of(name: &str, slot: usize, config: &HandlerConfig, pipeline: &Pipeline) -> Slot {
        Slot {
            name: name.to_owned(),
            slot,
            config: config.clone(),
            hold: pipeline.handler.hold(),
            preferred: pipeline.handler.default_renderer(),
            terminal: pipeline.handler.is_terminal(),
            counters: Arc::clone(&pipeline.counters),
        }
    }
}

impl Live {
    /// The state of a backend just built from `config`, its handlers in `pipelines`
    /// (slot `i` is `pipelines[i]`, in configuration order).
    pub fn new(config: &Config, pipelines: &[Pipeline]) -> Live {
        let slots = config
            .handlers
            .iter()
            .zip(pipelines)
            .enumerate()
            .map(|(slot, ((name, handler), pipeline))| Slot::of(name, slot, handler, pipeline))
            .collect();
        Live {
            config: config.clone(),
            slots,
            next_slot: pipelines.len(),
            generation: 0,
            source: None,
            reads_env: false,
        }
    }

    /// The routes of `config` over these slots, as generation `generation`.
    pub fn routes(&self, config: &Config, generation: u32) -> Routes {
        routes_over(&self.slots, config, generation)
    }

    /// The handlers' counters, for [`crate::Stats::handlers`].
    pub fn counters(&self) -> Vec<(String, Arc<HandlerCounters>)> {
        self.slots
            .iter()
            .map(|slot| (slot.name.clone(), Arc::clone(&slot.counters)))
            .collect()
    }

    /// The holds of the handlers that have one.
    pub fn holds(&self) -> impl Iterator<Item = Hold> + '_ {
        self.slots.iter().filter_map(|slot| slot.hold.clone())
    }
}

pub(crate) fn routes_over(slots: &[Slot], config: &Config, generation: u32) -> Routes {
    let mut routes = Routes::new(config, |name| {
        slots.iter().find(|s| s.name == name).map(|s| s.slot)
    })
    .with_generation(generation)
    .with_slots(slots.iter().map(|s| s.slot).collect());
    routes.attach_holds(|slot| {
        slots
            .iter()
            .find(|s| s.slot == slot)
            .and_then(|s| s.hold.clone())
    });
    routes
}
