//! What the handlers share and no handler is: the line buffer of the file handlers
//! (`buffer`), opening and reopening a log file (`open`), rotation's pure rules
//! (`rotation`), the backups table and its compression thread (`backups`, `compress`),
//! the bounded buffer and sender thread behind every network handler (`sender`, with its
//! `transport`s and its disk `spool`), and the status records a handler says
//! (`status`). Each handler beside this folder is one destination; it builds on these.

pub(crate) mod backups;
pub(crate) mod buffer;
pub(crate) mod compress;
pub(crate) mod open;
pub(crate) mod rotation;
pub(crate) mod sender;
pub(crate) mod spool;
pub(crate) mod status;
pub(crate) mod transport;
