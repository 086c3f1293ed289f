//! `[queue]`: the bounded queue between caller threads and the dispatcher.

use std::time::Duration;

/// What a caller does when the queue is full (key `queue.backpressure`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Backpressure {
    /// `block` (default): the caller waits for room; nothing is ever dropped.
    #[default]
    Block,
    /// `drop`: the new record is discarded and counted.
    Drop,
    /// `drop_oldest`: the oldest queued record is discarded and counted, the new one queued.
    DropOldest,
}

impl Backpressure {
    /// The name used in config files and reports (`block`, `drop`, `drop_oldest`).
    pub fn as_str(self) -> &'static str {
        match self {
            Backpressure::Block => "block",
            Backpressure::Drop => "drop",
            Backpressure::DropOldest => "drop_oldest",
        }
    }
}

/// Reads `"block"`, `"drop"` or `"drop_oldest"`, so a component's params type can take a
/// `backpressure` key (ko-log's network handlers do); anything else is refused listing the
/// three names.
impl<'de> serde::Deserialize<'de> for Backpressure {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        crate::build::BackpressureValue::deserialize(deserializer).map(|b| b.0)
    }
}

/// The `[queue]` table.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct QueueConfig {
    /// Records each producer thread's lane holds (key `capacity`, default 2048, from 1 to
    /// [`QueueConfig::MAX_CAPACITY`]): every thread that logs has a lane of its own. Under
    /// `block` a thread whose lane is full waits until the dispatcher has emptied it, so
    /// it waits at most once per `capacity` records.
    pub capacity: usize,
    /// Policy when full (key `backpressure`, default `block`).
    pub backpressure: Backpressure,
    /// How long dropping the guard may spend writing what is still queued
    /// (key `drain_timeout`, default `"5s"`).
    pub drain_timeout: Duration,
}

impl QueueConfig {
    /// The largest `capacity` accepted: 1,048,576 (2^20) records, far more than a
    /// dispatcher that keeps up needs, and small enough that a typo (an extra zero or
    /// five) cannot reserve gigabytes. Larger values are refused when a file is loaded
    /// and by [`Config::validate`](crate::Config::validate).
    pub const MAX_CAPACITY: usize = 1 << 20;

    /// The message for a capacity of 0.
    pub(crate) const TOO_SMALL: &'static str = "the queue capacity must be at least 1";

    /// The message for a capacity above [`QueueConfig::MAX_CAPACITY`].
    pub(crate) const TOO_LARGE: &'static str = "the queue capacity must be at most 1048576 (2^20)";
}

impl Default for QueueConfig {
    fn default() -> Self {
        QueueConfig {
            capacity: 2048,
            backpressure: Backpressure::Block,
            drain_timeout: Duration::from_secs(5),
        }
    }
}
