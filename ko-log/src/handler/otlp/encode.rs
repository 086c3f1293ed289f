//! The protobuf encoding of an `ExportLogsServiceRequest`, written by hand.
//!
//! Only what ko-log sends is written, with the field numbers of
//! `opentelemetry/proto/collector/logs/v1` and `logs/v1` (checked against the official
//! definitions by `tests/otlp.rs`):
//!
//! ```text
//! ExportLogsServiceRequest { resource_logs = 1 }
//! ResourceLogs { resource = 1, scope_logs = 2 }       Resource { attributes = 1 }
//! ScopeLogs { scope = 1, log_records = 2 }            InstrumentationScope { name = 1, version = 2 }
//! LogRecord { time_unix_nano = 1 (fixed64), severity_number = 2, severity_text = 3,
//!             body = 5, attributes = 6, flags = 8 (fixed32), trace_id = 9, span_id = 10,
//!             observed_time_unix_nano = 11 (fixed64) }
//! KeyValue { key = 1, value = 2 }
//! AnyValue { string_value = 1, bool_value = 2, int_value = 3, double_value = 4,
//!            array_value = 5 (ArrayValue { values = 1 }) }
//! ```
//!
//! A nested message is encoded in place, right after its tag, and its length (a varint,
//! known only then) is put in front of it by moving its bytes up: no buffer is allocated
//! per message, which made the exporter's thread spend about 5,500 instructions a record
//! (callgrind) on `realloc` and `free` alone.

use super::record::Record;
use crate::event::Value;

const VARINT: u8 = 0;
const FIXED64: u8 = 1;
const LEN: u8 = 2;
const FIXED32: u8 = 5;

fn varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8 & 0x7f) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn key(out: &mut Vec<u8>, field: u32, wire: u8) {
    varint(out, u64::from(field << 3 | u32::from(wire)));
}

fn bytes(out: &mut Vec<u8>, field: u32, data: &[u8]) {
    key(out, field, LEN);
    varint(out, data.len() as u64);
    out.extend_from_slice(data);
}

fn fixed64(out: &mut Vec<u8>, field: u32, value: u64) {
    key(out, field, FIXED64);
    out.extend_from_slice(&value.to_le_bytes());
}

/// A nested message built by `build` in place, then given its length.
fn message(out: &mut Vec<u8>, field: u32, build: impl FnOnce(&mut Vec<u8>)) {
    key(out, field, LEN);
    let start = out.len();
    build(out);
    let len = out.len() - start;
    let mut prefix = [0u8; 10];
    let mut n = 0;
    let mut value = len as u64;
    while value >= 0x80 {
        prefix[n] = (value as u8 & 0x7f) | 0x80;
        value >>= 7;
        n += 1;
    }
    prefix[n] = value as u8;
    n += 1;
    out.extend_from_slice(&prefix[..n]);
    out[start..].rotate_right(n);
}

/// An `AnyValue` (a `u64` or an error is a string: see `record::attribute`).
fn any_value(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Null => {}
        Value::Str(s) => bytes(out, 1, s.as_bytes()),
        Value::Bool(b) => {
            key(out, 2, VARINT);
            varint(out, u64::from(*b));
        }
        Value::I64(i) => {
            key(out, 3, VARINT);
            // int64: two's complement, as a 64-bit varint.
            varint(out, *i as u64);
        }
        Value::F64(f) => fixed64(out, 4, f.to_bits()),
        Value::List(items) => message(out, 5, |array| {
            for item in items {
                message(array, 1, |inner| any_value(inner, item));
            }
        }),
        Value::U64(_) | Value::Error(_) => bytes(out, 1, value.to_string().as_bytes()),
    }
}

/// A `KeyValue` as field `field` of the enclosing message.
fn key_value(out: &mut Vec<u8>, field: u32, name: &str, value: &Value) {
    message(out, field, |kv| {
        bytes(kv, 1, name.as_bytes());
        message(kv, 2, |inner| any_value(inner, value));
    });
}

/// The encoded `Resource` message (its body, without tag) for `attributes`.
pub(crate) fn resource<K: AsRef<str>>(attributes: &[(K, Value)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, value) in attributes {
        key_value(&mut out, 1, name.as_ref(), value);
    }
    out
}

/// The encoded `InstrumentationScope` body: ko-log's name and version.
pub(crate) fn scope() -> Vec<u8> {
    let mut out = Vec::new();
    bytes(&mut out, 1, b"ko-log");
    bytes(&mut out, 2, env!("CARGO_PKG_VERSION").as_bytes());
    out
}

fn log_record(out: &mut Vec<u8>, record: &Record) {
    fixed64(out, 1, record.time_unix_nano);
    key(out, 2, VARINT);
    varint(out, u64::from(record.severity_number));
    bytes(out, 3, record.severity_text.as_bytes());
    message(out, 5, |body| bytes(body, 1, record.body.as_bytes()));
    for (name, value) in &record.attributes {
        key_value(out, 6, name, value);
    }
    if let Some(sequence) = record.uid {
        // A `KeyValue` whose `AnyValue` is a `string_value` (1), written in place.
        message(out, 6, |kv| {
            bytes(kv, 1, super::record::UID.as_bytes());
            message(kv, 2, |value| {
                message(value, 1, |text| {
                    crate::handler::plumbing::spool::write_uid(text, sequence)
                })
            });
        });
    }
    if let Some(flags) = record.flags {
        key(out, 8, FIXED32);
        out.extend_from_slice(&u32::from(flags).to_le_bytes());
    }
    if let Some(id) = &record.trace_id {
        bytes(out, 9, id);
    }
    if let Some(id) = &record.span_id {
        bytes(out, 10, id);
    }
    fixed64(out, 11, record.observed_time_unix_nano);
}

/// Encodes one request holding `records` under one resource and ko-log's scope, both
/// pre-encoded ([`resource`], [`scope`]), into `out` (cleared first).
pub(crate) fn request(out: &mut Vec<u8>, resource: &[u8], scope: &[u8], records: &[Record]) {
    out.clear();
    out.reserve(records.len() * 256);
    message(out, 1, |resource_logs| {
        bytes(resource_logs, 1, resource);
        message(resource_logs, 2, |scope_logs| {
            bytes(scope_logs, 1, scope);
            for record in records {
                message(scope_logs, 2, |inner| log_record(inner, record));
            }
        });
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_are_little_endian_base_128() {
        let mut out = Vec::new();
        varint(&mut out, 300);
        assert_eq!(out, [0xac, 0x02]);
        out.clear();
        any_value(&mut out, &Value::I64(-1));
        assert_eq!(out.len(), 1 + 10);
    }

    #[test]
    fn a_message_longer_than_127_bytes_has_a_two_byte_length() {
        let mut out = Vec::new();
        message(&mut out, 5, |inner| bytes(inner, 1, &[7; 200]));
        // Tag 5/LEN, length 203 (0xcb 0x01), then the inner field: tag 1/LEN, 200, bytes.
        assert_eq!(out[..5], [0x2a, 0xcb, 0x01, 0x0a, 0xc8]);
        assert_eq!(out.len(), 3 + 3 + 200);
    }

    #[test]
    fn a_string_value_is_tag_length_bytes() {
        let mut out = Vec::new();
        any_value(&mut out, &Value::from("hi"));
        assert_eq!(out, [0x0a, 2, b'h', b'i']);
    }
}
