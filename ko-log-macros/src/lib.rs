//! Procedural macros for ko-log (see the `ko-log` crate).
