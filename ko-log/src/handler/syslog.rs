//! `type = "syslog"`: RFC 5424 (default) or RFC 3164 messages over UDP, TCP or a unix
//! socket, from the handler's own thread (see [`sender`](super::plumbing::sender) for buffering,
//! backpressure, reconnecting and shutdown).
//!
//! ```toml
//! [handlers.syslog]
//! type = "syslog"
//! transport = "unix"            # unix (default) | udp | tcp
//! address = "/dev/log"          # unix: /dev/log; udp: 127.0.0.1:514; tcp: 127.0.0.1:601
//! format = "rfc5424"            # rfc5424 | rfc3164
//! framing = "octet_counting"    # tcp only: octet_counting | lf
//! facility = "user"             # kern user mail daemon auth syslog lpr news uucp cron
//!                               # authpriv ftp ntp audit alert clock local0 … local7
//! app_name = "myapp"            # default: the executable's file name
//! hostname = "web-1"            # default: the machine's host name
//! sd_id = "ko@32473"            # the structured-data element of the fields
//! max_datagram = 2048           # udp and unix: longest message sent
//! spool = { dir = "var/spool/syslog" }   # see `spool`
//! ```
//!
//! **The message** (RFC 5424 §6):
//! `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD-ID key="value" …] MSG`.
//! PRI is `facility × 8 + severity` (error 3, warn 4, info 6, debug and trace 7);
//! TIMESTAMP is the record's own time (when it was logged, not when it was sent), in
//! UTC, RFC 3339 with microseconds; PROCID is the process id; MSGID is the record's
//! `msgid` field when it has one, else `-`. HOSTNAME (255), APP-NAME (48), PROCID (128)
//! and MSGID (32) keep only printable US-ASCII (others become `_`) and are cut to their
//! limits.
//!
//! **Fields** (the record's key-values and context) go into one structured-data element
//! `[SD-ID …]`. Names are cut to 32 bytes, every byte outside printable US-ASCII or
//! equal to `=`, space, `]` or `"` becomes `_`; values escape `\`, `"` and `]` with a
//! backslash (RFC 5424 §6.3.3) and write control characters as `\n`, `\r`, `\t` or
//! `\u{XX}`, so no value can close the element, start another or end the message.
//!
//! With a `spool` (module [`spool`](super::plumbing::spool)), the element also carries
//! `log.record.uid="UID"`, a unique id a receiver can drop duplicates by (delivery from
//! a spool is at least once); RFC 3164 has no structured data, so it has no id.
//! A record logged in a trace ([`crate::TraceContext`]) has a second element,
//! `[opentelemetry trace_id="…" span_id="…" trace_flags="…"]` (lowercase hex), after
//! the fields' one.
//!
//! **MSG** is the renderer's line without its final newline; the default renderer for
//! this handler is `plain` with the template `{message}` (set `renderer` to change it, as
//! for any handler: `{message}{kv}` repeats the fields in the text). Line breaks left in
//! it are written as `\n` and `\r`, so a record can never be read as two, whatever the
//! framing.
//!
//! **RFC 3164** (`format = "rfc3164"`): `<PRI>Mmm dd hh:mm:ss HOSTNAME TAG[PID]: MSG`,
//! the time in UTC (3164 has no zone), TAG the app name cut to 32 characters, no
//! structured data (put `{kv}` in the template to keep the fields).
//!
//! **Transports.** `udp`: one message per datagram. `tcp`: `framing = "octet_counting"`
//! (RFC 6587 §3.4.1, `LEN SP MSG`, the default: exact whatever the message holds) or
//! `"lf"` (each message ends with `\n`). `unix`: a datagram socket (`/dev/log`), or a
//! stream socket when the path is one (`EPROTOTYPE`), messages then ending with `\n`.
//! Over `udp` and `unix`, a message longer than `max_datagram` bytes (default 2048,
//! what RFC 5426 says receivers should accept) is cut: first the structured data is
//! left out (`-`) if the header and it alone would not fit, then MSG is cut on a UTF-8
//! boundary, so what arrives is always a well-formed message.

use std::fmt::Write as _;
use std::path::PathBuf;

use ko_log_config::units::HumanDuration;
use ko_log_config::Backpressure;
use log::Level;

use super::otlp::Refusal;
use super::plumbing::sender::{self, NetConfig, Reconnect, Sender};
use super::plumbing::spool::{self, Spool, SpoolParams};
use super::plumbing::transport::{Address, Transport};
use super::Handle;
use crate::{component::Handler, error::Error, event::Event};

/// The RFC 5424 limits of the header fields.
const HOSTNAME_MAX: usize = 255;
const APP_NAME_MAX: usize = 48;
const PROCID_MAX: usize = 128;
const MSGID_MAX: usize = 32;
const SD_NAME_MAX: usize = 32;
/// RFC 3164's TAG.
const TAG_MAX: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
enum SyslogTransport {
    Udp,
    Tcp,
    #[default]
    Unix,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
enum Format {
    #[default]
    Rfc5424,
    Rfc3164,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
enum Framing {
    #[default]
    OctetCounting,
    Lf,
}

/// The facility names of RFC 5424 §6.2.1, with their codes.
const FACILITIES: &[(&str, u8)] = &[
    ("kern", 0),
    ("user", 1),
    ("mail", 2),
    ("daemon", 3),
    ("auth", 4),
    ("syslog", 5),
    ("lpr", 6),
    ("news", 7),
    ("uucp", 8),
    ("cron", 9),
    ("authpriv", 10),
    ("ftp", 11),
    ("ntp", 12),
    ("audit", 13),
    ("alert", 14),
    ("clock", 15),
    ("local0", 16),
    ("local1", 17),
    ("local2", 18),
    ("local3", 19),
    ("local4", 20),
    ("local5", 21),
    ("local6", 22),
    ("local7", 23),
];

/// The keys of a `syslog` handler table.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct SyslogParams {
    #[serde(default)]
    transport: SyslogTransport,
    address: Option<String>,
    #[serde(default)]
    format: Format,
    framing: Option<Framing>,
    #[serde(default = "default_facility")]
    facility: String,
    app_name: Option<String>,
    hostname: Option<String>,
    #[serde(default = "default_sd_id")]
    sd_id: String,
    #[serde(default = "default_max_datagram")]
    max_datagram: usize,
    #[serde(default = "sender::default_buffer")]
    buffer: usize,
    #[serde(default = "sender::default_backpressure")]
    backpressure: Backpressure,
    #[serde(default = "sender::default_write_timeout")]
    write_timeout: HumanDuration,
    #[serde(default)]
    reconnect: Reconnect,
    #[serde(default)]
    spool: Option<SpoolParams>,
}

fn default_facility() -> String {
    "user".to_owned()
}

fn default_sd_id() -> String {
    "ko@32473".to_owned()
}

fn default_max_datagram() -> usize {
    2048
}

/// Sends each record as a syslog message (module docs).
#[derive(Debug)]
pub(crate) struct Syslog {
    sender: Sender<Vec<u8>>,
    format: Format,
    /// The TCP framing; `None` for the other transports.
    framing: Option<Framing>,
    /// Append `\n` (unix sockets: a stream fallback needs it, a datagram does no harm).
    terminator: bool,
    facility: u8,
    hostname: String,
    app_name: String,
    procid: String,
    sd_id: String,
    max_datagram: Option<usize>,
    /// Add `log.record.uid` to the structured data (the handler spools).
    uid: bool,
}

/// `value` with only printable US-ASCII (others `_`), cut to `max`, or `-` when empty.
fn header_field(value: &str, max: usize) -> String {
    let mut out: String = value
        .chars()
        .map(|c| if c.is_ascii_graphic() { c } else { '_' })
        .take(max)
        .collect();
    if out.is_empty() {
        out.push('-');
    }
    out
}

/// A structured-data name (SD-ID or PARAM-NAME): 1 to 32 printable US-ASCII characters,
/// none of `=`, space, `]`, `"`.
fn sd_name(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && !matches!(c, '=' | ']' | '"') {
                c
            } else {
                '_'
            }
        })
        .take(SD_NAME_MAX)
        .collect();
    if out.is_empty() {
        out.push('_');
    }
    out
}

/// Appends a PARAM-VALUE: `\`, `"` and `]` escaped, control characters spelled out.
fn sd_value(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '\\' | '"' | ']' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:02x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
}

/// The severity of a level (RFC 5424 §6.2.1).
fn severity(level: Level) -> u8 {
    match level {
        Level::Error => 3,
        Level::Warn => 4,
        Level::Info => 6,
        Level::Debug | Level::Trace => 7,
    }
}

/// The machine's host name, the default HOSTNAME.
fn host_name() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|path| {
            std::fs::read_to_string(path)
                .ok()
                .map(|text| text.trim().to_owned())
                .filter(|name| !name.is_empty())
        })
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "-".to_owned())
}

/// What [`SyslogParams::plan`] works out: everything but the thread.
struct Plan {
    config: NetConfig,
    facility: u8,
    address: Address,
    framing: Option<Framing>,
    terminator: bool,
    max_datagram: Option<usize>,
}

/// The JSON Schema of a `syslog` table's own keys.
fn schema() -> serde_json::Value {
    use ko_log_config::schema::{describe, integer, one_of, string, table, with};
    let facilities: Vec<&str> = FACILITIES.iter().map(|(name, _)| *name).collect();
    let mut keys = vec![
        (
            "transport",
            describe(
                one_of(&["unix", "udp", "tcp"]),
                "unix (default), udp or tcp.",
            ),
        ),
        (
            "address",
            describe(
                string(),
                "unix: /dev/log (default); udp: 127.0.0.1:514; tcp: 127.0.0.1:601.",
            ),
        ),
        (
            "format",
            describe(
                one_of(&["rfc5424", "rfc3164"]),
                "The message format (default rfc5424).",
            ),
        ),
        (
            "framing",
            describe(
                one_of(&["octet_counting", "lf"]),
                "tcp only: octet_counting (default) or lf.",
            ),
        ),
        (
            "facility",
            describe(one_of(&facilities), "The facility (default user)."),
        ),
        (
            "app_name",
            describe(string(), "APP-NAME (default: the executable's file name)."),
        ),
        (
            "hostname",
            describe(string(), "HOSTNAME (default: the machine's host name)."),
        ),
        (
            "sd_id",
            describe(
                string(),
                "The structured-data element of the fields (default ko@32473).",
            ),
        ),
        (
            "max_datagram",
            describe(
                with(
                    integer(),
                    serde_json::json!({"minimum": 480, "maximum": 65_507}),
                ),
                "udp and unix: the longest message sent (default 2048).",
            ),
        ),
    ];
    keys.extend(sender::schema_keys("drop_oldest"));
    keys.push(spool::schema_key());
    ko_log_config::schema::describe(
        table(&keys, &[]),
        "RFC 5424 (or 3164) messages over a unix socket, UDP or TCP, sent from the handler's own thread behind a bounded buffer.",
    )
}

impl SyslogParams {
    /// Everything [`Syslog::new`] checks, opening and starting nothing. Also what
    /// `ko_log::check` runs.
    fn plan(&self) -> Result<Plan, Refusal> {
        let params = self;
        let config = NetConfig::new(
            params.buffer,
            params.backpressure,
            params.write_timeout,
            params.reconnect,
            512,
        )?;
        spool::check(params.spool.as_ref())?;
        let facility = FACILITIES
            .iter()
            .find(|(name, _)| *name == params.facility)
            .map(|(_, code)| *code)
            .ok_or_else(|| {
                let names: Vec<&str> = FACILITIES.iter().map(|(n, _)| *n).collect();
                format!(
                    "unknown facility `{}`: expected one of {}",
                    params.facility,
                    names.join(", ")
                )
            })?;
        if sd_name(&params.sd_id) != params.sd_id {
            return Err(format!(
                "`sd_id` `{}` is not a structured-data ID: 1 to 32 printable US-ASCII characters, none of `=`, space, `]`, `\"`",
                params.sd_id
            )
            .into());
        }
        if params.max_datagram < 480 || params.max_datagram > 65_507 {
            return Err("`max_datagram` must be from 480 to 65507".into());
        }
        if params.framing.is_some() && params.transport != SyslogTransport::Tcp {
            return Err("`framing` applies to `transport = \"tcp\"` only".into());
        }
        let (address, framing, terminator, max_datagram) = match params.transport {
            SyslogTransport::Udp => (
                Address::Udp(params.address.clone().unwrap_or("127.0.0.1:514".into())),
                None,
                false,
                Some(params.max_datagram),
            ),
            SyslogTransport::Tcp => (
                Address::Tcp(params.address.clone().unwrap_or("127.0.0.1:601".into())),
                Some(params.framing.unwrap_or_default()),
                false,
                None,
            ),
            SyslogTransport::Unix => (
                Address::UnixAuto(PathBuf::from(
                    params.address.clone().unwrap_or("/dev/log".into()),
                )),
                None,
                true,
                Some(params.max_datagram),
            ),
        };
        Ok(Plan {
            config,
            facility,
            address,
            framing,
            terminator,
            max_datagram,
        })
    }
}

impl Syslog {
    /// Starts the handler's thread; nothing connects until the first record.
    pub fn new(params: &SyslogParams, handle: &Handle) -> Result<Syslog, Refusal> {
        let plan = params.plan()?;
        let spool = params.spool.as_ref().map(Spool::open).transpose()?;
        let uid = spool.is_some();
        let transport = Transport::new(plan.address, plan.config.write_timeout);
        let sender = Sender::spawn("syslog", transport, plan.config, spool, handle)
            .map_err(|e| format!("cannot start its thread: {e}"))?;
        let app_name = params
            .app_name
            .clone()
            .or_else(super::executable_name)
            .unwrap_or_else(|| "-".to_owned());
        let hostname = params.hostname.clone().unwrap_or_else(host_name);
        Ok(Syslog {
            sender,
            format: params.format,
            framing: plan.framing,
            terminator: plan.terminator,
            facility: plan.facility,
            hostname: header_field(&hostname, HOSTNAME_MAX),
            app_name: header_field(&app_name, APP_NAME_MAX),
            procid: header_field(&std::process::id().to_string(), PROCID_MAX),
            sd_id: params.sd_id.clone(),
            max_datagram: plan.max_datagram,
            uid,
        })
    }

    /// The header, up to and including the space before MSG (RFC 5424: before SD).
    fn header(&self, event: &Event) -> String {
        let pri = u16::from(self.facility) * 8 + u16::from(severity(event.level));
        let t = event.time.to_offset(time::UtcOffset::UTC);
        match self.format {
            Format::Rfc5424 => {
                let msgid = event.fields.get("msgid").map_or_else(
                    || "-".to_owned(),
                    |v| header_field(&v.to_string(), MSGID_MAX),
                );
                format!(
                    "<{pri}>1 {:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z {} {} {} {msgid} ",
                    t.year(),
                    u8::from(t.month()),
                    t.day(),
                    t.hour(),
                    t.minute(),
                    t.second(),
                    t.microsecond(),
                    self.hostname,
                    self.app_name,
                    self.procid,
                )
            }
            Format::Rfc3164 => {
                const MONTHS: [&str; 12] = [
                    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                    "Dec",
                ];
                let month = MONTHS[usize::from(u8::from(t.month()) - 1) % 12];
                let tag: String = self.app_name.chars().take(TAG_MAX).collect();
                format!(
                    "<{pri}>{month} {:>2} {:02}:{:02}:{:02} {} {tag}[{}]: ",
                    t.day(),
                    t.hour(),
                    t.minute(),
                    t.second(),
                    self.hostname,
                    self.procid,
                )
            }
        }
    }

    /// `[SD-ID name="value" … log.record.uid="UID"] ` or `- ` (RFC 5424 only; empty for
    /// 3164).
    fn structured_data(&self, event: &Event, uid: Option<&str>) -> String {
        if self.format == Format::Rfc3164 {
            return String::new();
        }
        if event.fields.is_empty() && uid.is_none() && event.trace.is_none() {
            return "- ".to_owned();
        }
        let mut sd = String::with_capacity(64);
        if !event.fields.is_empty() || uid.is_some() {
            sd.push('[');
            sd.push_str(&self.sd_id);
            for (key, value) in event.fields.iter() {
                sd.push(' ');
                sd.push_str(&sd_name(key));
                sd.push_str("=\"");
                sd_value(&mut sd, &value.to_string());
                sd.push('"');
            }
            if let Some(uid) = uid {
                sd.push_str(" log.record.uid=\"");
                sd_value(&mut sd, uid);
                sd.push('"');
            }
            sd.push(']');
        }
        if let Some(trace) = &event.trace {
            sd.push_str("[opentelemetry");
            for (key, hex) in trace.fields() {
                let _ = write!(sd, " {key}=\"{}\"", hex.as_str());
            }
            sd.push(']');
        }
        sd.push(' ');
        sd
    }

    /// One framed message for `event`, MSG from the rendered `line`.
    fn message(&self, line: &[u8], event: &Event) -> Vec<u8> {
        let header = self.header(event);
        let uid = self.uid.then(spool::next_uid);
        let mut sd = self.structured_data(event, uid.as_deref());
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        let mut msg = Vec::with_capacity(line.len());
        for &byte in line {
            match byte {
                b'\n' => msg.extend_from_slice(b"\\n"),
                b'\r' => msg.extend_from_slice(b"\\r"),
                byte => msg.push(byte),
            }
        }
        let terminator = usize::from(self.terminator);
        if let Some(max) = self.max_datagram {
            let room = max.saturating_sub(terminator);
            if header.len() + sd.len() > room && self.format == Format::Rfc5424 {
                sd = "- ".to_owned();
            }
            let left = room.saturating_sub(header.len() + sd.len());
            super::plumbing::transport::truncate(&mut msg, left, false);
        }
        let mut frame = Vec::with_capacity(header.len() + sd.len() + msg.len() + 12);
        let body_len = header.len() + sd.len() + msg.len();
        if self.framing == Some(Framing::OctetCounting) {
            frame.extend_from_slice(format!("{body_len} ").as_bytes());
        }
        frame.extend_from_slice(header.as_bytes());
        frame.extend_from_slice(sd.as_bytes());
        frame.extend_from_slice(&msg);
        if self.framing == Some(Framing::Lf) || self.terminator {
            frame.push(b'\n');
        }
        frame
    }
}

impl Handler for Syslog {
    /// The bare `{message}`: the syslog header and structured data carry the rest.
    fn default_renderer(&self) -> Option<ko_log_config::RendererConfig> {
        Some(ko_log_config::RendererConfig::new("plain").with("format", "{message}"))
    }

    fn write(&mut self, line: &[u8], event: &Event) -> Result<(), Error> {
        let message = self.message(line, event);
        self.sender.push(message);
        Ok(())
    }

    super::plumbing::sender::sent_by_sender!();
}

/// `[handlers.NAME]` with `type = "syslog"`: registered like a user's handler.
#[ko_log::handler(check = SyslogParams::plan, schema = schema)]
fn syslog(params: &SyslogParams, handle: &Handle) -> Result<Syslog, Refusal> {
    Syslog::new(params, handle)
}

crate::registry::schema_test!(schema, SyslogParams);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_sd_name_rules() {
        assert_eq!(sd_name("user id"), "user_id");
        assert_eq!(sd_name("a=b]c\"d"), "a_b_c_d");
        assert_eq!(sd_name(""), "_");
        assert_eq!(sd_name("é"), "_");
        assert_eq!(sd_name(&"x".repeat(40)).len(), 32);
    }

    #[test]
    fn values_cannot_close_the_element() {
        let mut out = String::new();
        sd_value(&mut out, "a\"] [x y=\"z\\\n\u{1b}");
        assert_eq!(out, "a\\\"\\] [x y=\\\"z\\\\\\n\\u{1b}");
    }

    #[test]
    fn header_fields_are_printable_and_bounded() {
        assert_eq!(header_field("my app", 48), "my_app");
        assert_eq!(header_field("", 48), "-");
        assert_eq!(header_field(&"h".repeat(300), HOSTNAME_MAX).len(), 255);
    }
}
