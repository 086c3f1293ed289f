//! The OTLP/JSON encoding of an `ExportLogsServiceRequest`: the proto3 JSON mapping with
//! OTLP's exceptions.
//!
//! Field names are lowerCamelCase (`resourceLogs`, `timeUnixNano`); 64-bit integers are
//! decimal strings (`"timeUnixNano": "1700000000000000000"`, `"intValue": "42"`);
//! `traceId` and `spanId` are lowercase hex, not base64 (OTLP's rule); `severityNumber`
//! is the enum's integer. Non-finite floats are written as the strings `"NaN"`,
//! `"Infinity"` and `"-Infinity"`, as proto3 JSON requires.

use serde_json::{json, Map, Value as Json};

use super::record::Record;
use crate::event::Value;

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

fn double(value: f64) -> Json {
    if value.is_nan() {
        json!("NaN")
    } else if value.is_infinite() {
        json!(if value > 0.0 { "Infinity" } else { "-Infinity" })
    } else {
        json!(value)
    }
}

/// An `AnyValue` (a `u64` or an error is a string: see `record::attribute`).
fn any_value(value: &Value) -> Json {
    match value {
        Value::Null => json!({}),
        Value::Str(s) => json!({ "stringValue": s }),
        Value::Bool(b) => json!({ "boolValue": b }),
        Value::I64(i) => json!({ "intValue": i.to_string() }),
        Value::F64(f) => json!({ "doubleValue": double(*f) }),
        Value::List(items) => {
            json!({ "arrayValue": { "values": items.iter().map(any_value).collect::<Vec<_>>() } })
        }
        Value::U64(_) | Value::Error(_) => json!({ "stringValue": value.to_string() }),
    }
}

/// `KeyValue`s as a JSON array.
pub(crate) fn attributes<K: AsRef<str>>(attributes: &[(K, Value)]) -> Json {
    Json::Array(
        attributes
            .iter()
            .map(|(key, value)| json!({ "key": key.as_ref(), "value": any_value(value) }))
            .collect(),
    )
}

fn log_record(record: &Record) -> Json {
    let mut out = Map::new();
    out.insert(
        "timeUnixNano".into(),
        json!(record.time_unix_nano.to_string()),
    );
    out.insert(
        "observedTimeUnixNano".into(),
        json!(record.observed_time_unix_nano.to_string()),
    );
    out.insert("severityNumber".into(), json!(record.severity_number));
    out.insert("severityText".into(), json!(record.severity_text));
    out.insert("body".into(), json!({ "stringValue": record.body }));
    let mut list = attributes(&record.attributes);
    if let (Some(uid), Json::Array(items)) = (record.uid(), &mut list) {
        items.push(json!({ "key": super::record::UID, "value": any_value(&uid) }));
    }
    out.insert("attributes".into(), list);
    if let Some(id) = &record.trace_id {
        out.insert("traceId".into(), json!(hex(id)));
    }
    if let Some(id) = &record.span_id {
        out.insert("spanId".into(), json!(hex(id)));
    }
    if let Some(flags) = record.flags {
        out.insert("flags".into(), json!(flags));
    }
    Json::Object(out)
}

/// Encodes one request holding `records` under one resource (its attributes, already
/// as JSON from [`attributes`]) and ko-log's scope, into `out` (cleared first).
pub(crate) fn request(out: &mut Vec<u8>, resource: &Json, records: &[Record]) {
    out.clear();
    let body = json!({
        "resourceLogs": [{
            "resource": { "attributes": resource },
            "scopeLogs": [{
                "scope": { "name": "ko-log", "version": env!("CARGO_PKG_VERSION") },
                "logRecords": records.iter().map(log_record).collect::<Vec<_>>(),
            }],
        }],
    });
    // Writing a `serde_json::Value` into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, &body);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_hex_and_integers_strings() {
        assert_eq!(hex(&[0x0a, 0xff]), "0aff");
        assert_eq!(any_value(&Value::I64(-5)), json!({ "intValue": "-5" }));
        assert_eq!(
            any_value(&Value::F64(f64::NAN)),
            json!({ "doubleValue": "NaN" })
        );
    }
}
