//! The owned, compact form of one log record that crosses the OTLP handler's buffer.
//!
//! The dispatcher converts each [`Event`] into a [`Record`] in `write` (typed attributes,
//! severity, trace context), so the exporter thread only encodes. That conversion is the
//! dispatcher's whole per-record cost for an `otlp` handler, so it copies as little as it
//! can: keys and strings that are `'static` in the event (the attribute names, a target,
//! a module path, a literal message) stay borrowed, and the `log.record.uid` of a spooling
//! handler is kept as its sequence number and written out by the encoders, on the
//! exporter's thread. The mapping follows the OpenTelemetry log data model and semantic
//! conventions:
//!
//! - severity: TRACE=1, DEBUG=5, INFO=9, WARN=13, ERROR=17, text the level name;
//! - body: the message, a string;
//! - `log.target` (the `log` target), `code.namespace` (module path), `code.filepath`,
//!   `code.lineno`, `thread.name`;
//! - key-values: integers as `intValue` (a `u64` above `i64::MAX` as its decimal string),
//!   floats as `doubleValue`, booleans, strings, lists as `arrayValue`, `null` as an
//!   empty value;
//! - the first error value as `exception.message`, with its `source()` chain as
//!   `exception.stacktrace` (one `caused by: …` line per source); `exception.type` is not
//!   set, since a captured error keeps no type name. Further error values are strings
//!   under their own key;
//! - the record's trace context ([`crate::TraceContext`]: `with_trace`, the tracing
//!   bridge, the current OpenTelemetry span) is the LogRecord's `trace_id`, `span_id` and
//!   `flags` (bytes, not attributes). Without one, `trace_id` (32 hex digits) and
//!   `span_id` (16 hex digits) fields become the record's trace context and are not
//!   repeated as attributes; a malformed one stays an attribute (as do such fields of a
//!   record that has a trace context).

use crate::event::{Event, Str, Value};

/// One log record, owned, ready to encode.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Record {
    /// When the record was captured, in nanoseconds since the Unix epoch.
    pub time_unix_nano: u64,
    /// When the handler received it.
    pub observed_time_unix_nano: u64,
    /// The OTel severity number.
    pub severity_number: u8,
    /// The level name.
    pub severity_text: &'static str,
    /// The message.
    pub body: Str,
    /// Typed attributes, in the event's order, each a value OTLP's `AnyValue` holds as it
    /// is (see [`attribute`]).
    pub attributes: Vec<(Str, Value)>,
    /// The sequence number of the record's `log.record.uid` (a spooling handler's): the
    /// encoders write the attribute, last ([`Record::uid`]).
    pub uid: Option<u64>,
    /// From the `trace_id` field.
    pub trace_id: Option<[u8; 16]>,
    /// From the `span_id` field.
    pub span_id: Option<[u8; 8]>,
    /// The W3C trace flags, from the trace context.
    pub flags: Option<u8>,
}

/// The OTel severity number of a `log` level.
pub(crate) fn severity_number(level: log::Level) -> u8 {
    match level {
        log::Level::Trace => 1,
        log::Level::Debug => 5,
        log::Level::Info => 9,
        log::Level::Warn => 13,
        log::Level::Error => 17,
    }
}

fn unix_nanos(time: time::OffsetDateTime) -> u64 {
    u64::try_from(time.unix_timestamp_nanos()).unwrap_or(0)
}

/// `value` as OTLP's `AnyValue` can hold it: a `u64` above `i64::MAX` and an error become
/// strings (OTLP has no unsigned integer and no error value); the encoders write the
/// other kinds as they are.
fn attribute(value: &Value) -> Value {
    match value {
        Value::U64(u) => match i64::try_from(*u) {
            Ok(i) => Value::I64(i),
            Err(_) => Value::from(u.to_string()),
        },
        Value::Error(_) => Value::from(value.to_string()),
        Value::List(items) => Value::List(items.iter().map(attribute).collect()),
        other => other.clone(),
    }
}

/// Decodes exactly `N` bytes from `2 * N` hex digits; `None` for anything else (and for
/// the all-zero id, which OTLP reads as "no id").
pub(crate) fn hex_id<const N: usize>(text: &str) -> Option<[u8; N]> {
    let digits = text.as_bytes();
    if digits.len() != 2 * N {
        return None;
    }
    let mut out = [0u8; N];
    for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        let high = char::from(pair[0]).to_digit(16)?;
        let low = char::from(pair[1]).to_digit(16)?;
        *byte = u8::try_from(high * 16 + low).ok()?;
    }
    (out != [0u8; N]).then_some(out)
}

impl Record {
    /// The record for `event`, observed at `observed` (nanoseconds since the epoch).
    pub fn from_event(event: &Event, observed: u64) -> Record {
        let mut attributes: Vec<(Str, Value)> = Vec::with_capacity(event.fields.len() + 5);
        attributes.push(("log.target".into(), Value::Str(event.target.clone())));
        if let Some(module) = &event.module_path {
            attributes.push(("code.namespace".into(), Value::Str(module.clone())));
        }
        if let Some(file) = &event.file {
            attributes.push(("code.filepath".into(), Value::Str(file.clone())));
        }
        if let Some(line) = event.line {
            attributes.push(("code.lineno".into(), Value::I64(i64::from(line))));
        }
        // `String::from`, not `to_string`: no formatting machinery on the dispatcher.
        attributes.push((
            "thread.name".into(),
            Value::from(String::from(&*event.thread)),
        ));
        let mut trace_id = event.trace.map(|trace| trace.trace_id());
        let mut span_id = event.trace.map(|trace| trace.span_id());
        let mut exception = false;
        for (key, value) in event.fields.entries() {
            match (key.as_ref(), value) {
                ("trace_id", Value::Str(text)) if trace_id.is_none() => {
                    if let Some(id) = hex_id::<16>(text) {
                        trace_id = Some(id);
                        continue;
                    }
                }
                ("span_id", Value::Str(text)) if span_id.is_none() => {
                    if let Some(id) = hex_id::<8>(text) {
                        span_id = Some(id);
                        continue;
                    }
                }
                (_, Value::Error(error)) if !exception => {
                    exception = true;
                    attributes.push((
                        "exception.message".into(),
                        Value::from(error.message.clone()),
                    ));
                    if !error.sources.is_empty() {
                        let chain: Vec<String> = error
                            .sources
                            .iter()
                            .map(|source| format!("caused by: {source}"))
                            .collect();
                        attributes
                            .push(("exception.stacktrace".into(), Value::from(chain.join("\n"))));
                    }
                    continue;
                }
                _ => {}
            }
            attributes.push((key.clone(), attribute(value)));
        }
        Record {
            time_unix_nano: unix_nanos(event.time),
            observed_time_unix_nano: observed,
            severity_number: severity_number(event.level),
            severity_text: event.level.as_str(),
            body: event.message.clone(),
            attributes,
            uid: None,
            trace_id,
            span_id,
            flags: event.trace.map(|trace| trace.trace_flags()),
        }
    }

    /// The `log.record.uid` attribute's value, when the record has one.
    pub fn uid(&self) -> Option<Value> {
        self.uid
            .map(|sequence| Value::from(crate::handler::plumbing::spool::uid_text(sequence)))
    }
}

/// A record in the disk spool (module `handler::spool`): a compact binary form, read
/// back only by the same build family (a frame that does not decode is counted torn).
///
/// `time, observed` (u64 LE), `severity_number` (u8), a byte of flags (1: trace id, 2:
/// span id, 4: trace flags), the ids and trace flags present, the body, the attribute
/// count (u32 LE) and each key and value; a string is its length (u32 LE) and bytes; a
/// value is a tag (0 empty, 1 string, 2 bool, 3 int, 4 double, 5 array) and its content.
impl crate::handler::plumbing::spool::Spooled for Record {
    fn time_unix_nano(&self) -> Option<u64> {
        Some(self.time_unix_nano)
    }

    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.time_unix_nano.to_le_bytes());
        out.extend_from_slice(&self.observed_time_unix_nano.to_le_bytes());
        out.push(self.severity_number);
        out.push(
            u8::from(self.trace_id.is_some())
                | u8::from(self.span_id.is_some()) << 1
                | u8::from(self.flags.is_some()) << 2,
        );
        if let Some(id) = &self.trace_id {
            out.extend_from_slice(id);
        }
        if let Some(id) = &self.span_id {
            out.extend_from_slice(id);
        }
        if let Some(flags) = self.flags {
            out.push(flags);
        }
        put_str(out, &self.body);
        let count = self.attributes.len() + usize::from(self.uid.is_some());
        out.extend_from_slice(&(count as u32).to_le_bytes());
        for (key, value) in &self.attributes {
            put_str(out, key);
            put_value(out, value);
        }
        if let Some(sequence) = self.uid {
            // A string value (tag 1), its length filled in once the text is written.
            put_str(out, UID);
            out.push(1);
            let at = out.len();
            out.extend_from_slice(&[0; 4]);
            crate::handler::plumbing::spool::write_uid(out, sequence);
            let len = (out.len() - at - 4) as u32;
            out[at..at + 4].copy_from_slice(&len.to_le_bytes());
        }
    }

    fn decode(bytes: &[u8]) -> Option<Record> {
        let mut r = Reader(bytes);
        let time_unix_nano = r.u64()?;
        let observed_time_unix_nano = r.u64()?;
        let severity_number = r.u8()?;
        let flags = r.u8()?;
        let trace_id = if flags & 1 != 0 {
            Some(r.take(16)?.try_into().ok()?)
        } else {
            None
        };
        let span_id = if flags & 2 != 0 {
            Some(r.take(8)?.try_into().ok()?)
        } else {
            None
        };
        let trace_flags = if flags & 4 != 0 { Some(r.u8()?) } else { None };
        let body = r.str()?;
        let count = r.u32()? as usize;
        let mut attributes = Vec::with_capacity(count.min(1024));
        for _ in 0..count {
            let key = r.str()?;
            attributes.push((Str::from(key), r.value(0)?));
        }
        let severity_text = match severity_number {
            1 => "TRACE",
            5 => "DEBUG",
            9 => "INFO",
            13 => "WARN",
            _ => "ERROR",
        };
        r.0.is_empty().then_some(Record {
            time_unix_nano,
            observed_time_unix_nano,
            severity_number,
            severity_text,
            body: Str::from(body),
            attributes,
            uid: None,
            trace_id,
            span_id,
            flags: trace_flags,
        })
    }
}

/// The attribute name of a record's unique id.
pub(crate) const UID: &str = "log.record.uid";

fn put_str(out: &mut Vec<u8>, text: &str) {
    out.extend_from_slice(&(text.len() as u32).to_le_bytes());
    out.extend_from_slice(text.as_bytes());
}

/// Writes an attribute value ([`attribute`] has made it one of the OTLP kinds; any other
/// is written as its text).
fn put_value(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Null => out.push(0),
        Value::Str(text) => {
            out.push(1);
            put_str(out, text);
        }
        Value::Bool(b) => out.extend_from_slice(&[2, u8::from(*b)]),
        Value::I64(i) => {
            out.push(3);
            out.extend_from_slice(&i.to_le_bytes());
        }
        Value::F64(f) => {
            out.push(4);
            out.extend_from_slice(&f.to_bits().to_le_bytes());
        }
        Value::List(items) => {
            out.push(5);
            out.extend_from_slice(&(items.len() as u32).to_le_bytes());
            for item in items {
                put_value(out, item);
            }
        }
        Value::U64(_) | Value::Error(_) => {
            out.push(1);
            put_str(out, &value.to_string());
        }
    }
}

/// Reads what [`Record`]'s `encode` wrote; `None` at the first thing out of place.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }
    fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn str(&mut self) -> Option<String> {
        let len = self.u32()? as usize;
        String::from_utf8(self.take(len)?.to_vec()).ok()
    }
    fn value(&mut self, depth: usize) -> Option<Value> {
        Some(match self.u8()? {
            0 => Value::Null,
            1 => Value::from(self.str()?),
            2 => Value::Bool(self.u8()? != 0),
            3 => Value::I64(self.u64()? as i64),
            4 => Value::F64(f64::from_bits(self.u64()?)),
            5 if depth < 64 => {
                let count = self.u32()? as usize;
                let mut items = Vec::with_capacity(count.min(1024));
                for _ in 0..count {
                    items.push(self.value(depth + 1)?);
                }
                Value::List(items)
            }
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorValue;

    #[test]
    fn fields_become_typed_attributes_and_trace_context() {
        let mut event = Event::new(log::Level::Warn, "app::db", "slow");
        event.fields.insert("rows", 3_i64);
        event.fields.insert("big", u64::MAX);
        event.fields.insert("ratio", 0.5_f64);
        event.fields.insert("ok", true);
        event
            .fields
            .insert("trace_id", "0af7651916cd43dd8448eb211c80319c");
        event.fields.insert("span_id", "b7ad6b7169203331");
        event.fields.insert(
            "err",
            Value::Error(Box::new(ErrorValue {
                message: "timeout".into(),
                sources: vec!["io".into()],
            })),
        );
        let record = Record::from_event(&event, 7);
        assert_eq!(record.severity_number, 13);
        assert_eq!(record.severity_text, "WARN");
        assert_eq!(record.trace_id.map(|id| id[0]), Some(0x0a));
        assert_eq!(record.span_id.map(|id| id[7]), Some(0x31));
        let get = |k: &str| {
            record
                .attributes
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(get("rows"), Some(Value::I64(3)));
        assert_eq!(get("big"), Some(Value::from(u64::MAX.to_string())));
        assert_eq!(get("ratio"), Some(Value::F64(0.5)));
        assert_eq!(get("ok"), Some(Value::Bool(true)));
        assert_eq!(get("trace_id"), None);
        assert_eq!(get("exception.message"), Some(Value::from("timeout")));
        assert_eq!(
            get("exception.stacktrace"),
            Some(Value::from("caused by: io"))
        );
        assert_eq!(get("log.target"), Some(Value::from("app::db")));
    }

    #[test]
    fn a_record_reads_back_from_its_spool_form_exactly() {
        use crate::handler::plumbing::spool::Spooled;
        let mut event = Event::new(log::Level::Debug, "app", "héllo");
        event.fields.insert("n", -3_i64);
        event.fields.insert("ratio", f64::NAN);
        event
            .fields
            .insert("list", Value::List(vec![Value::Bool(true), Value::Null]));
        event
            .fields
            .insert("trace_id", "0af7651916cd43dd8448eb211c80319c");
        let record = Record::from_event(&event, 9);
        let mut bytes = Vec::new();
        record.encode(&mut bytes);
        let back = Record::decode(&bytes).expect("decodes");
        // NaN != NaN: compare the rest, and the bits of the double.
        assert_eq!(back.body, record.body);
        assert_eq!(back.severity_text, "DEBUG");
        assert_eq!(back.trace_id, record.trace_id);
        assert_eq!(
            format!("{:?}", back.attributes),
            format!("{:?}", record.attributes)
        );
        assert_eq!(Record::decode(&bytes[..bytes.len() - 1]), None);
        // A spooling handler's uid, kept as its sequence number, reads back as the
        // attribute's text, last.
        let mut with_uid = record.clone();
        with_uid.uid = Some(42);
        let mut bytes = Vec::new();
        with_uid.encode(&mut bytes);
        let back = Record::decode(&bytes).expect("decodes");
        assert_eq!(
            back.attributes.last(),
            Some(&(
                Str::from(UID),
                Value::from(crate::handler::plumbing::spool::uid_text(42))
            ))
        );
        assert_eq!(back.attributes.len(), record.attributes.len() + 1);
        // A record logged in a trace keeps its ids and flags through the spool.
        event.trace = crate::TraceContext::new([7; 16], [9; 8], 1);
        let record = Record::from_event(&event, 9);
        let mut bytes = Vec::new();
        record.encode(&mut bytes);
        let back = Record::decode(&bytes).expect("decodes");
        assert_eq!(
            (back.trace_id, back.span_id, back.flags),
            (Some([7; 16]), Some([9; 8]), Some(1))
        );
    }

    #[test]
    fn malformed_ids_stay_attributes() {
        assert_eq!(hex_id::<8>("b7ad6b716920333"), None);
        assert_eq!(hex_id::<8>("0000000000000000"), None);
        assert_eq!(hex_id::<8>("zzad6b7169203331"), None);
    }
}
