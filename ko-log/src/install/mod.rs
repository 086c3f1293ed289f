//! Installation, above both sides: the init functions that claim `log`'s global logger
//! and install a backend (`init`), the [`Builder`](crate::Builder) that composes one in
//! code, a reload of the running config (`reload`), the signal watcher that drains before
//! SIGTERM or SIGINT ends the process (`signals`), and what the panic hook does for
//! `log_panics` (`panic`).

pub(crate) mod builder;
pub(crate) mod init;
pub(crate) mod panic;
pub(crate) mod reload;
#[cfg(unix)]
pub(crate) mod signals;
