//! The renderer shapes #[ko_log::renderer] accepts compile without warnings and register
//! under their names: a renderer, a `Result` of one with `std::io::Error` or an error of
//! one's own, `impl Renderer`, no params, another name, a raw identifier, a local function.

#![deny(warnings)]

use std::fmt;

use ko_log::{Event, Renderer};

/// The message, cut at `width` bytes.
#[derive(Debug)]
struct Compact {
    width: usize,
}

impl Renderer for Compact {
    fn render(&self, event: &Event, out: &mut Vec<u8>) {
        let message = event.message.as_bytes();
        out.extend_from_slice(&message[..message.len().min(self.width)]);
        out.push(b'\n');
    }
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CompactParams {
    width: usize,
}

#[derive(Debug)]
struct TooNarrow(usize);

impl fmt::Display for TooNarrow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "width {} is too narrow", self.0)
    }
}

impl std::error::Error for TooNarrow {}

#[ko_log::renderer]
fn compact(params: &CompactParams) -> Compact {
    Compact {
        width: params.width,
    }
}

#[ko_log::renderer]
fn compact_io(params: &CompactParams) -> Result<Compact, std::io::Error> {
    if params.width == 0 {
        return Err(std::io::Error::other("width 0"));
    }
    Ok(Compact {
        width: params.width,
    })
}

#[ko_log::renderer]
fn compact_checked(params: &CompactParams) -> Result<Compact, TooNarrow> {
    if params.width < 10 {
        return Err(TooNarrow(params.width));
    }
    Ok(Compact {
        width: params.width,
    })
}

#[ko_log::renderer(name = "one_line")]
fn fixed_width() -> Compact {
    Compact { width: 80 }
}

#[ko_log::renderer]
fn opaque<'a>(params: &'a CompactParams) -> impl Renderer {
    Compact {
        width: params.width,
    }
}

pub mod nested {
    #[ko_log::renderer]
    pub(crate) fn r#in() -> std::io::Result<super::Compact> {
        Ok(super::Compact { width: 1 })
    }
}

fn main() {
    #[ko_log::renderer]
    fn local() -> Compact {
        Compact { width: 2 }
    }
    let _ = local;
    let _ = compact;
    let _ = compact_io;
    let _ = compact_checked;
    let _ = fixed_width;
    let _ = opaque;
    let _ = nested::r#in;
}
