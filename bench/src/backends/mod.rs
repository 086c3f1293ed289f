//! The backends: one module per crate family, each with a `run` per configuration that
//! sets the logger up in this (fresh) process, feeds it through [`Ctx::drive`], and
//! times its flush and shutdown.
//!
//! `log`-facade backends are fed with `log::info!` ([`drive_facade!`]); tracing, slog and
//! spdlog-rs are fed through their own macros, the way their users call them (each has a
//! `log` bridge too, which only adds a hop). The `native` scenarios feed the loggers whose
//! own macro is a different path from their `log` bridge (it copies the arguments as
//! they are and formats them on the writer thread): inqjet's and ticklog's macros, and
//! ko-log's own `ko_log::info!`. Every backend renders the line its own
//! native way, with timestamp, level, target (where it has one) and message, and writes
//! to a file in the run's fresh temporary directory.

use crate::workload::{Ctx, Scenario, Timings};

pub mod env_logger;
pub mod fast_log;
pub mod flexi;
pub mod floors;
pub mod ftlog;
pub mod inqjet;
pub mod kolog;
pub mod kolog_net;
pub mod log4rs;
pub mod logforth;
pub mod slog;
pub mod spdlog;
pub mod ticklog;
pub mod tracing;

/// One benchmarked configuration.
#[derive(Debug)]
pub struct Backend {
    /// The subcommand name.
    pub id: &'static str,
    /// Configured so that no record may be lost (blocking or unbounded queue, or sync).
    pub lossless: bool,
    /// Renders the `kv` scenario's key-values (so it runs that scenario).
    pub kv: bool,
    /// One of the two floors, not a peer.
    pub floor: bool,
    /// Fed through the logger's own macro: runs the `native` scenarios, and only those
    /// (its `log::info!` row, where it has one, is a backend of its own).
    pub native: bool,
    /// The crate family, for the versions table.
    pub krate: &'static str,
    pub describe: &'static str,
    pub run: fn(&Ctx) -> Result<Timings, String>,
}

pub static ALL: &[Backend] = &[
    Backend {
        id: "ko-log-block",
        lossless: true,
        kv: true,
        floor: false,
        native: false,
        krate: "ko-log",
        describe: "ko-log, queue 2048 a thread (default), backpressure = block, file handler, plain renderer",
        run: kolog::block,
    },
    Backend {
        id: "ko-log-drop",
        lossless: false,
        kv: true,
        floor: false,
        native: false,
        krate: "ko-log",
        describe: "ko-log, queue 2048 a thread (default), backpressure = drop, file handler, plain renderer",
        run: kolog::drop_policy,
    },
    Backend {
        id: "ko-log-native",
        lossless: true,
        kv: false,
        floor: false,
        native: true,
        krate: "ko-log",
        describe: "ko-log-block's configuration fed through ko_log::info!",
        run: kolog::native,
    },
    Backend {
        id: "tracing-lossless",
        lossless: true,
        kv: true,
        floor: false,
        native: false,
        krate: "tracing-appender",
        describe: "tracing + tracing-subscriber fmt + tracing-appender non_blocking(lossy=false) over BufWriter<File>",
        run: tracing::lossless,
    },
    Backend {
        id: "tracing-lossy",
        lossless: false,
        kv: false,
        floor: false,
        native: false,
        krate: "tracing-appender",
        describe: "the same with non_blocking's default (lossy, 128 000 lines)",
        run: tracing::lossy,
    },
    Backend {
        id: "log4rs",
        lossless: true,
        kv: true,
        floor: false,
        native: false,
        krate: "log4rs",
        describe: "log4rs FileAppender + PatternEncoder (synchronous on the caller)",
        run: log4rs::run,
    },
    Backend {
        id: "slog-block",
        lossless: true,
        kv: true,
        floor: false,
        native: false,
        krate: "slog-async",
        describe: "slog + slog-term FullFormat/PlainDecorator over BufWriter<File> + slog-async, OverflowStrategy::Block",
        run: slog::block,
    },
    Backend {
        id: "slog-default",
        lossless: false,
        kv: false,
        floor: false,
        native: false,
        krate: "slog-async",
        describe: "the same with slog-async's defaults (DropAndReport, 128 slots)",
        run: slog::default,
    },
    Backend {
        id: "spdlog-rs",
        lossless: true,
        kv: true,
        floor: false,
        native: false,
        krate: "spdlog-rs",
        describe: "spdlog-rs AsyncPoolSink (OverflowPolicy::Block, default 8192 slots) over FileSink",
        run: spdlog::run,
    },
    Backend {
        id: "ftlog-block",
        lossless: true,
        kv: false,
        floor: false,
        native: false,
        krate: "ftlog",
        describe: "ftlog FileAppender, bounded(100 000, block_when_full = true)",
        run: ftlog::block,
    },
    Backend {
        id: "ftlog-default",
        lossless: false,
        kv: false,
        floor: false,
        native: false,
        krate: "ftlog",
        describe: "ftlog FileAppender, defaults (bounded 100 000, discard when full)",
        run: ftlog::default,
    },
    Backend {
        id: "fast_log",
        lossless: true,
        kv: false,
        floor: false,
        native: false,
        krate: "fast_log",
        describe: "fast_log file appender, defaults (unbounded channel)",
        run: fast_log::run,
    },
    Backend {
        id: "flexi-async",
        lossless: true,
        kv: true,
        floor: false,
        native: false,
        krate: "flexi_logger",
        describe: "flexi_logger to file, WriteMode::Async (unbounded channel), custom format fn",
        run: flexi::async_mode,
    },
    Backend {
        id: "flexi-buffer",
        lossless: true,
        kv: true,
        floor: false,
        native: false,
        krate: "flexi_logger",
        describe: "flexi_logger to file, WriteMode::BufferAndFlush (synchronous into a shared buffer)",
        run: flexi::buffer_and_flush,
    },
    Backend {
        id: "env_logger",
        lossless: true,
        kv: true,
        floor: false,
        native: false,
        krate: "env_logger",
        describe: "env_logger, Target::Pipe(BufWriter<File>) (env_logger flushes the pipe after every record)",
        run: env_logger::run,
    },
    Backend {
        id: "logforth",
        lossless: true,
        kv: true,
        floor: false,
        native: false,
        krate: "logforth",
        describe: "logforth Async appender (defaults: unbounded channel, Block) over its File appender, TextLayout without colors",
        run: logforth::run,
    },
    Backend {
        id: "inqjet",
        lossless: true,
        kv: false,
        floor: false,
        native: false,
        krate: "inqjet",
        describe: "inqjet's log bridge (message formatted on the caller into its lock-free byte ring, default 64 KiB), BackpressureMode::Backoff, BufWriter<File>",
        run: inqjet::bridge,
    },
    Backend {
        id: "inqjet-native",
        lossless: true,
        kv: false,
        floor: false,
        native: true,
        krate: "inqjet",
        describe: "inqjet's own macro (arguments copied as raw bytes, formatted on its archiver thread), same ring, BackpressureMode::Backoff, BufWriter<File>",
        run: inqjet::native,
    },
    Backend {
        id: "ticklog",
        lossless: true,
        kv: false,
        floor: false,
        native: true,
        krate: "ticklog",
        describe: "ticklog's own macro (a 1 MiB ring per thread, binary arguments, formatted on its drain thread), Backpressure::Block, FileSink",
        run: ticklog::native,
    },
    Backend {
        id: "floor-bufwriter",
        lossless: true,
        kv: true,
        floor: true,
        native: false,
        krate: "",
        describe: "floor: format + write! into a Mutex<BufWriter<File>> on the caller (no queue)",
        run: floors::bufwriter,
    },
    Backend {
        id: "floor-flume",
        lossless: true,
        kv: true,
        floor: true,
        native: false,
        krate: "flume",
        describe: "floor: format into a String on the caller, flume::bounded(10 000) to a writer thread",
        run: floors::flume,
    },
];

/// ko-log with a network handler (issue 12): run by `ko-log-bench net`, not by `all`.
pub static NET: &[Backend] = &[
    net("ko-log-net-socket-tcp", "socket handler alone, TCP, backpressure = block, big buffer", kolog_net::socket_tcp),
    net("ko-log-net-socket-udp", "socket handler alone, UDP, backpressure = block, big buffer", kolog_net::socket_udp),
    net("ko-log-net-syslog-tcp", "syslog handler alone, TCP (octet counting), RFC 5424, backpressure = block, big buffer", kolog_net::syslog_tcp),
    net("ko-log-net-syslog-udp", "syslog handler alone, UDP, RFC 5424, backpressure = block, big buffer", kolog_net::syslog_udp),
    net("ko-log-net-otlp", "otlp handler alone, OTLP/HTTP protobuf, backpressure = block, big buffer", kolog_net::otlp),
    net("ko-log-file+otlp", "ko-log-block's file handler + an otlp handler (drop_oldest, buffer 10000) to a live receiver", kolog_net::file_otlp),
    net("ko-log-file+socket", "ko-log-block's file handler + a socket TCP handler (drop_oldest, buffer 10000) to a live receiver", kolog_net::file_socket),
    net("ko-log-file+otlp-dead", "ko-log-block's file handler + an otlp handler (drop_oldest, buffer 10000) to a dead loopback port", kolog_net::file_otlp_dead),
    net("ko-log-file+socket-dead", "ko-log-block's file handler + a socket TCP handler (drop_oldest, buffer 10000) to a dead loopback port", kolog_net::file_socket_dead),
    net("ko-log-file+otlp-spool", "ko-log-file+otlp with a disk spool (spool = { dir }) to a live receiver", kolog_net::file_otlp_spool),
    net("ko-log-file+otlp-spool-dead", "ko-log-file+otlp with a disk spool (spool = { dir }) to a dead loopback port: every record is spooled", kolog_net::file_otlp_spool_dead),
];

const fn net(
    id: &'static str,
    describe: &'static str,
    run: fn(&Ctx) -> Result<Timings, String>,
) -> Backend {
    Backend {
        id,
        // The file, where there is one, must get every record; the network side is
        // counted apart.
        lossless: true,
        kv: true,
        floor: false,
        native: false,
        krate: "ko-log",
        describe,
        run,
    }
}

impl Backend {
    /// Whether `all` runs this backend in `scenario` by default: the `native` scenarios
    /// for the backends fed through their own macro and the others for the rest; `kv`
    /// only for those that render key-values; `4t`, `8t` and `paced` only for the
    /// lossless configurations (the lossy twins drop most of a burst, and in `paced`
    /// nothing fills their queue, so they would repeat their lossless twin).
    pub fn runs(&self, scenario: Scenario) -> bool {
        if !self.fits(scenario) {
            return false;
        }
        match scenario.base() {
            Scenario::Kv => self.kv,
            Scenario::FourThreads | Scenario::EightThreads | Scenario::Paced => self.lossless,
            _ => true,
        }
    }

    /// Whether `scenario` is of this backend's family (`native` or not): it can run
    /// there at all, if asked to.
    pub fn fits(&self, scenario: Scenario) -> bool {
        self.native == scenario.native()
    }
}

pub fn find(id: &str) -> Option<&'static Backend> {
    ALL.iter().chain(NET).find(|b| b.id == id)
}

/// Feeds `$ctx` through the `log` facade: `log::info!` with target `bench`, plus two
/// key-values in the `kv` scenario.
macro_rules! drive_facade {
    ($ctx:expr) => {
        if $ctx.scenario.kv() {
            $ctx.drive(|i, user| {
                ::log::info!(target: "bench", user_id = i, path = "/api/v1/items";
                    "request {} handled for user {}", i, user)
            })
        } else {
            $ctx.drive(|i, user| {
                ::log::info!(target: "bench", "request {} handled for user {}", i, user)
            })
        }
    };
}
pub(crate) use drive_facade;

/// `log`'s level for the scenario: INFO, or WARN to filter the workload out.
pub fn facade_level(ctx: &Ctx) -> log::LevelFilter {
    if ctx.scenario.enabled() {
        log::LevelFilter::Info
    } else {
        log::LevelFilter::Warn
    }
}

pub fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}
