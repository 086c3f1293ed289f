//! ko-log with a network handler (issue 12), each to an in-process [`receiver`] on
//! loopback. Not peers: these are listed in [`super::NET`], run by `ko-log-bench net`
//! (and `ko-log-bench run <id> <scenario>`), never by `all`.
//!
//! Two families:
//!
//! - `ko-log-net-*`: the network handler alone (no file), `backpressure = "block"`, a
//!   `buffer` larger than the run and a long `write_timeout`, so that nothing is given up
//!   and the figure is the handler's own pace. The records are counted by the receiver
//!   ([`Timings::delivered`]), and the end of the run is the later of the guard's drop
//!   and the receiver's last byte.
//! - `ko-log-file+*`: the `file` handler of `ko-log-block` plus a network handler with
//!   `backpressure = "drop_oldest"` and `buffer = 10000` (the defaults of `socket`;
//!   `otlp`'s default is `block`), to a live receiver or to a dead port. The file is checked id by id as in every other run.
//! - `ko-log-file+otlp-spool*` (issue 21): the same with `spool = { dir }` on the `otlp`
//!   handler (a fresh directory under the system's temp dir, removed after the run), to a
//!   live receiver or to a dead port, where every record goes to the spool. The issue's
//!   bar: the file's pace beside the dead one is at most 1.2 times its pace beside the
//!   live one.

use std::time::Instant;

use super::{drive_facade, err, kolog};
use crate::receiver::{self, Kind, Receiver};
use crate::workload::{timed, Ctx, Timings};

/// The network handler of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Net {
    SocketTcp,
    SocketUdp,
    SyslogTcp,
    SyslogUdp,
    Otlp,
}

impl Net {
    fn receiver(self) -> Kind {
        match self {
            Net::SocketTcp => Kind::TcpLines,
            Net::SyslogTcp => Kind::TcpOctetCounted,
            Net::SocketUdp | Net::SyslogUdp => Kind::Udp,
            Net::Otlp => Kind::Http,
        }
    }

    /// The `[handlers.net]` table without its buffer keys.
    fn table(self, address: &str) -> String {
        match self {
            Net::SocketTcp | Net::SocketUdp => format!(
                "type = \"socket\"\ntransport = \"{}\"\naddress = \"{address}\"\n",
                if self == Net::SocketTcp { "tcp" } else { "udp" }
            ),
            Net::SyslogTcp | Net::SyslogUdp => format!(
                "type = \"syslog\"\ntransport = \"{}\"\naddress = \"{address}\"\napp_name = \"bench\"\n",
                if self == Net::SyslogTcp { "tcp" } else { "udp" }
            ),
            Net::Otlp => format!(
                "type = \"otlp\"\nendpoint = \"http://{address}/v1/logs\"\nencoding = \"protobuf\"\n"
            ),
        }
    }
}

/// Where the network handler sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum To {
    /// A receiver that reads everything.
    Live,
    /// A loopback port nothing listens on.
    Dead,
}

/// The configuration: the network handler alone (`file == false`), or beside the file,
/// spooling to `spool` when given.
fn config(
    ctx: &Ctx,
    net: Net,
    address: &str,
    file: bool,
    spool: Option<&std::path::Path>,
) -> String {
    let mut text = kolog::toml(ctx, "block");
    let table = net.table(address);
    if file {
        text = text.replace("handlers = [\"file\"]", "handlers = [\"file\", \"net\"]");
        // Spelled out: `otlp`'s own default is `block` (up to `write_timeout` per record
        // once its buffer is full), `socket`'s and `syslog`'s is `drop_oldest`.
        text.push_str(&format!(
            "\n[handlers.net]\n{table}buffer = 10000\nbackpressure = \"drop_oldest\"\n"
        ));
        if let Some(dir) = spool {
            text.push_str(&format!("spool = {{ dir = \"{}\" }}\n", dir.display()));
        }
    } else {
        // No file: cut its table, route to `net` alone.
        if let Some(at) = text.find("[handlers.file]") {
            text.truncate(at);
        }
        text = text.replace("handlers = [\"file\"]", "handlers = [\"net\"]");
        text = text.replace(
            "[queue]\n",
            "[queue]\ndrain_timeout = \"30s\"\n", // nothing given up at the guard's drop
        );
        text.push_str(&format!(
            "[handlers.net]\n{table}buffer = {}\nbackpressure = \"block\"\nwrite_timeout = \"10s\"\n",
            (ctx.records as usize).next_power_of_two().max(1 << 16)
        ));
    }
    text
}

fn run(ctx: &Ctx, net: Net, file: bool, to: To) -> Result<Timings, String> {
    run_spooled(ctx, net, file, to, false)
}

fn run_spooled(ctx: &Ctx, net: Net, file: bool, to: To, spooled: bool) -> Result<Timings, String> {
    let spool = spooled
        .then(|| std::env::temp_dir().join(format!("ko-log-bench-spool-{}", std::process::id())));
    if let Some(dir) = &spool {
        let _ = std::fs::remove_dir_all(dir);
    }
    let rx = match to {
        To::Live => Some(Receiver::start(net.receiver()).map_err(|e| format!("receiver: {e}"))?),
        To::Dead => None,
    };
    let address = match &rx {
        Some(rx) => rx.address(),
        None => receiver::dead_tcp_address().map_err(|e| format!("dead port: {e}"))?,
    };
    let text = config(ctx, net, &address, file, spool.as_deref());
    let guard = ko_log::init_from_str(&text, ko_log::config::Format::Toml).map_err(err)?;
    let produced = drive_facade!(ctx);
    let flush = timed(|| log::logger().flush());
    let drop = timed(|| std::mem::drop(guard));
    let s = ko_log::stats();
    let end = Instant::now();
    let h = s.handler("net").unwrap_or_default();
    let (delivered, requests) = match rx {
        Some(rx) => {
            let requests = rx.requests();
            (Some(rx.finish(end)), requests)
        }
        None => (None, 0),
    };
    let mut extra = format!(
        "flush_ms={:.1},drop_ms={:.1},net_written={},net_sent={},net_dropped={},net_retries={},net_reconnects={},queue_dropped={}",
        flush.as_secs_f64() * 1e3,
        drop.as_secs_f64() * 1e3,
        h.written,
        h.sent,
        h.dropped,
        h.retries,
        h.reconnects,
        s.dropped,
    );
    if let Some(dir) = &spool {
        extra.push_str(&format!(
            ",net_spooled={},net_replayed={},net_spool_bytes={}",
            h.spooled, h.replayed, h.spool_bytes
        ));
        let _ = std::fs::remove_dir_all(dir);
    }
    if let Some(d) = delivered {
        extra.push_str(&format!(
            ",rx_records={},rx_bytes={},rx_tail_ms={:.1}",
            d.records,
            d.bytes,
            d.tail.as_secs_f64() * 1e3
        ));
        if net == Net::Otlp {
            extra.push_str(&format!(",rx_requests={requests}"));
        }
    }
    Ok(Timings {
        produced,
        finish: flush + drop,
        extra,
        consumer_ns: 0,
        // The file is checked on disk when there is one; else the receiver's count.
        delivered: if file { None } else { delivered },
    })
}

pub fn socket_tcp(ctx: &Ctx) -> Result<Timings, String> {
    run(ctx, Net::SocketTcp, false, To::Live)
}

pub fn socket_udp(ctx: &Ctx) -> Result<Timings, String> {
    run(ctx, Net::SocketUdp, false, To::Live)
}

pub fn syslog_tcp(ctx: &Ctx) -> Result<Timings, String> {
    run(ctx, Net::SyslogTcp, false, To::Live)
}

pub fn syslog_udp(ctx: &Ctx) -> Result<Timings, String> {
    run(ctx, Net::SyslogUdp, false, To::Live)
}

pub fn otlp(ctx: &Ctx) -> Result<Timings, String> {
    run(ctx, Net::Otlp, false, To::Live)
}

pub fn file_otlp(ctx: &Ctx) -> Result<Timings, String> {
    run(ctx, Net::Otlp, true, To::Live)
}

pub fn file_socket(ctx: &Ctx) -> Result<Timings, String> {
    run(ctx, Net::SocketTcp, true, To::Live)
}

pub fn file_otlp_dead(ctx: &Ctx) -> Result<Timings, String> {
    run(ctx, Net::Otlp, true, To::Dead)
}

pub fn file_socket_dead(ctx: &Ctx) -> Result<Timings, String> {
    run(ctx, Net::SocketTcp, true, To::Dead)
}

pub fn file_otlp_spool(ctx: &Ctx) -> Result<Timings, String> {
    run_spooled(ctx, Net::Otlp, true, To::Live, true)
}

pub fn file_otlp_spool_dead(ctx: &Ctx) -> Result<Timings, String> {
    run_spooled(ctx, Net::Otlp, true, To::Dead, true)
}
