//! `type = "plain"`: a text line built from a compiled template.

use crate::handler::Timezone;
use crate::render::TimeFormat;
use crate::Template;

/// Keys of the plain renderer.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PlainConfig {
    /// The line template (key `format`, default [`Template::DEFAULT`]).
    pub format: Template,
    /// How `{time}` is written (key `time_format`, default [`TimeFormat::default`]).
    pub time_format: TimeFormat,
    /// Clock of `{time}` (key `timezone`, default `local`).
    pub timezone: Timezone,
}
