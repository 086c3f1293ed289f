//! Trace context: the W3C `traceparent` ids a record carries, in every output format.
//!
//! A [`TraceContext`] is a trace id (16 bytes), a span id (8 bytes) and the trace flags
//! (1 byte). It reaches a record from a scope ([`crate::with_trace`],
//! [`crate::context::push_trace`]), from the tracing bridge, or (feature `opentelemetry`)
//! from the current OpenTelemetry span, and is rendered under the names the
//! OpenTelemetry spec "Trace Context in non-OTLP Log Formats" gives them: `trace_id`,
//! `span_id` and `trace_flags`, in lowercase hex. [`TraceContext::from_traceparent`]
//! parses a `traceparent` header and refuses it, with the reason, wherever the W3C Trace
//! Context recommendation does.

use std::fmt;

/// The trace a record belongs to: W3C trace id, span id and trace flags.
///
/// ```
/// let ctx = ko_log::TraceContext::from_traceparent(
///     "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
/// )?;
/// assert_eq!(ctx.trace_id_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
/// assert_eq!(ctx.span_id_hex(), "00f067aa0ba902b7");
/// assert_eq!(ctx.trace_flags_hex(), "01");
/// assert!(ctx.is_sampled());
/// # Ok::<(), ko_log::TraceparentError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TraceContext {
    trace_id: [u8; 16],
    span_id: [u8; 8],
    flags: u8,
}

/// Why a `traceparent` value was refused ([`TraceContext::from_traceparent`]); its
/// `Display` is the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TraceparentError {
    /// The version is `ff`, which W3C forbids.
    #[error("traceparent version `ff` is forbidden")]
    ForbiddenVersion,
    /// A field is not as long as W3C says (version 2, trace id 32, parent id 16, flags 2
    /// characters), or a field is missing.
    #[error("traceparent field `{field}` must be {expected} characters, found {found}")]
    Length {
        /// The field: `version`, `trace-id`, `parent-id` or `trace-flags`.
        field: &'static str,
        /// The length W3C requires.
        expected: usize,
        /// The length found.
        found: usize,
    },
    /// A field holds something other than lowercase hex digits (`0-9a-f`).
    #[error("traceparent field `{field}` must be lowercase hex (0-9a-f)")]
    NotLowercaseHex {
        /// The field: `version`, `trace-id`, `parent-id` or `trace-flags`.
        field: &'static str,
    },
    /// The trace id is all zeros.
    #[error("traceparent trace-id is all zeros")]
    ZeroTraceId,
    /// The parent (span) id is all zeros.
    #[error("traceparent parent-id is all zeros")]
    ZeroSpanId,
    /// A version-`00` value has more after its flags.
    #[error("traceparent version `00` has extra data after trace-flags")]
    ExtraFields,
}

impl TraceContext {
    /// A context from raw ids and flags; `None` when either id is all zeros (W3C's
    /// "invalid" ids, which no record carries).
    pub fn new(trace_id: [u8; 16], span_id: [u8; 8], flags: u8) -> Option<TraceContext> {
        (trace_id != [0; 16] && span_id != [0; 8]).then_some(TraceContext {
            trace_id,
            span_id,
            flags,
        })
    }

    /// Parses a W3C `traceparent` value (`00-<trace-id>-<parent-id>-<trace-flags>`).
    ///
    /// Refused, with the reason, where W3C refuses it: version `ff`; a field of the wrong
    /// length; anything but lowercase hex; an all-zero trace id or parent id; anything
    /// after the flags of a version-`00` value. A later version is read by its first
    /// four fields, as W3C asks, and what follows a `-` after them is ignored.
    pub fn from_traceparent(header: &str) -> Result<TraceContext, TraceparentError> {
        let mut parts = header.splitn(5, '-');
        let mut next = |field: &'static str, expected: usize| {
            let part = parts.next().unwrap_or_default();
            if part.len() != expected {
                return Err(TraceparentError::Length {
                    field,
                    expected,
                    found: part.len(),
                });
            }
            if !part.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
                return Err(TraceparentError::NotLowercaseHex { field });
            }
            Ok(part)
        };
        let version = next("version", 2)?;
        if version == "ff" {
            return Err(TraceparentError::ForbiddenVersion);
        }
        let trace = next("trace-id", 32)?;
        let span = next("parent-id", 16)?;
        let flags = next("trace-flags", 2)?;
        if parts.next().is_some() && version == "00" {
            return Err(TraceparentError::ExtraFields);
        }
        let mut trace_id = [0; 16];
        let mut span_id = [0; 8];
        let mut flag = [0; 1];
        decode_hex(trace, &mut trace_id);
        decode_hex(span, &mut span_id);
        decode_hex(flags, &mut flag);
        if trace_id == [0; 16] {
            return Err(TraceparentError::ZeroTraceId);
        }
        if span_id == [0; 8] {
            return Err(TraceparentError::ZeroSpanId);
        }
        Ok(TraceContext {
            trace_id,
            span_id,
            flags: flag[0],
        })
    }

    /// The trace id's 16 bytes.
    pub fn trace_id(&self) -> [u8; 16] {
        self.trace_id
    }

    /// The span id's 8 bytes.
    pub fn span_id(&self) -> [u8; 8] {
        self.span_id
    }

    /// The trace flags (bit 0: sampled).
    pub fn trace_flags(&self) -> u8 {
        self.flags
    }

    /// Whether the sampled flag is set.
    pub fn is_sampled(&self) -> bool {
        self.flags & 1 == 1
    }

    /// The trace id in lowercase hex (32 characters).
    pub fn trace_id_hex(&self) -> String {
        hex(&self.trace_id)
    }

    /// The span id in lowercase hex (16 characters).
    pub fn span_id_hex(&self) -> String {
        hex(&self.span_id)
    }

    /// The trace flags in lowercase hex (2 characters).
    pub fn trace_flags_hex(&self) -> String {
        hex(&[self.flags])
    }

    /// The three fields as the renderers write them, names first: `trace_id`, `span_id`,
    /// `trace_flags`, each in lowercase hex, without allocating.
    pub(crate) fn fields(&self) -> [(&'static str, HexBuf); 3] {
        [
            ("trace_id", HexBuf::of(&self.trace_id)),
            ("span_id", HexBuf::of(&self.span_id)),
            ("trace_flags", HexBuf::of(&[self.flags])),
        ]
    }
}

impl fmt::Display for TraceContext {
    /// The `traceparent` form: `00-<trace-id>-<span-id>-<flags>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "00-{}-{}-{}",
            self.trace_id_hex(),
            self.span_id_hex(),
            self.trace_flags_hex()
        )
    }
}

/// The current OpenTelemetry span's context, when there is a valid one (feature
/// `opentelemetry`): one thread-local read.
#[cfg(feature = "opentelemetry")]
pub(crate) fn opentelemetry_current() -> Option<TraceContext> {
    use opentelemetry::trace::TraceContextExt as _;
    opentelemetry::Context::map_current(|cx| {
        if !cx.has_active_span() {
            return None;
        }
        let span = cx.span();
        let span = span.span_context();
        if !span.is_valid() {
            return None;
        }
        TraceContext::new(
            span.trace_id().to_bytes(),
            span.span_id().to_bytes(),
            span.trace_flags().to_u8(),
        )
    })
}

/// The names the trace context's fields are written under.
pub(crate) const FIELD_NAMES: [&str; 3] = ["trace_id", "span_id", "trace_flags"];

/// Lowercase hex of up to 16 bytes, on the stack.
#[derive(Clone, Copy)]
pub(crate) struct HexBuf {
    bytes: [u8; 32],
    len: usize,
}

impl HexBuf {
    fn of(bytes: &[u8]) -> HexBuf {
        let mut out = HexBuf {
            bytes: [0; 32],
            len: 0,
        };
        for byte in bytes.iter().take(16) {
            for nibble in [byte >> 4, byte & 0xf] {
                if let Some(slot) = out.bytes.get_mut(out.len) {
                    *slot = DIGITS.get(usize::from(nibble)).copied().unwrap_or(b'0');
                    out.len += 1;
                }
            }
        }
        out
    }

    /// The hex text.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(self.bytes.get(..self.len).unwrap_or_default()).unwrap_or_default()
    }
}

const DIGITS: &[u8; 16] = b"0123456789abcdef";

fn hex(bytes: &[u8]) -> String {
    HexBuf::of(bytes).as_str().to_owned()
}

/// Decodes `text` (lowercase hex, already checked, twice `out`'s length) into `out`.
fn decode_hex(text: &str, out: &mut [u8]) {
    let value = |b: u8| match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        _ => 0,
    };
    for (slot, pair) in out.iter_mut().zip(text.as_bytes().chunks_exact(2)) {
        if let [high, low] = pair {
            *slot = value(*high) << 4 | value(*low);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn a_valid_traceparent_round_trips() {
        let ctx = TraceContext::from_traceparent(VALID).unwrap();
        assert_eq!(
            ctx.trace_id(),
            [
                0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e,
                0x47, 0x36
            ]
        );
        assert_eq!(
            ctx.span_id(),
            [0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7]
        );
        assert_eq!(ctx.trace_flags(), 1);
        assert_eq!(ctx.to_string(), VALID);
        let fields = ctx.fields().map(|(k, v)| (k, v.as_str().to_owned()));
        assert_eq!(
            fields,
            [
                ("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736".to_owned()),
                ("span_id", "00f067aa0ba902b7".to_owned()),
                ("trace_flags", "01".to_owned()),
            ]
        );
        let unsampled = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00";
        assert!(!TraceContext::from_traceparent(unsampled)
            .unwrap()
            .is_sampled());
    }

    #[test]
    fn a_later_version_is_read_by_its_first_four_fields() {
        let later = "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future-holds";
        let ctx = TraceContext::from_traceparent(later).unwrap();
        assert_eq!(ctx.to_string(), VALID);
        // But after the flags it must be a `-` (a longer flags field is a wrong length).
        assert_eq!(
            TraceContext::from_traceparent(
                "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x"
            ),
            Err(TraceparentError::Length {
                field: "trace-flags",
                expected: 2,
                found: 3
            })
        );
    }

    #[test]
    fn refusals_say_why() {
        use TraceparentError::*;
        let cases: [(&str, TraceparentError, &str); 10] = [
            (
                "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                ForbiddenVersion,
                "traceparent version `ff` is forbidden",
            ),
            (
                "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
                Length {
                    field: "trace-id",
                    expected: 32,
                    found: 31,
                },
                "traceparent field `trace-id` must be 32 characters, found 31",
            ),
            (
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b-01",
                Length {
                    field: "parent-id",
                    expected: 16,
                    found: 15,
                },
                "traceparent field `parent-id` must be 16 characters, found 15",
            ),
            (
                "0-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                Length {
                    field: "version",
                    expected: 2,
                    found: 1,
                },
                "traceparent field `version` must be 2 characters, found 1",
            ),
            (
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
                Length {
                    field: "trace-flags",
                    expected: 2,
                    found: 0,
                },
                "traceparent field `trace-flags` must be 2 characters, found 0",
            ),
            (
                "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
                NotLowercaseHex { field: "trace-id" },
                "traceparent field `trace-id` must be lowercase hex (0-9a-f)",
            ),
            (
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902g7-01",
                NotLowercaseHex { field: "parent-id" },
                "traceparent field `parent-id` must be lowercase hex (0-9a-f)",
            ),
            (
                "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
                ZeroTraceId,
                "traceparent trace-id is all zeros",
            ),
            (
                "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
                ZeroSpanId,
                "traceparent parent-id is all zeros",
            ),
            (
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
                ExtraFields,
                "traceparent version `00` has extra data after trace-flags",
            ),
        ];
        for (header, error, reason) in cases {
            let refused = TraceContext::from_traceparent(header);
            assert_eq!(refused, Err(error), "{header}");
            assert_eq!(refused.unwrap_err().to_string(), reason, "{header}");
        }
        // Uppercase flags and a non-hex version are refused too.
        assert_eq!(
            TraceContext::from_traceparent(
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0A"
            ),
            Err(NotLowercaseHex {
                field: "trace-flags"
            })
        );
        assert_eq!(
            TraceContext::from_traceparent(
                "0x-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
            ),
            Err(NotLowercaseHex { field: "version" })
        );
    }

    #[test]
    fn new_refuses_all_zero_ids() {
        assert!(TraceContext::new([0; 16], [1; 8], 1).is_none());
        assert!(TraceContext::new([1; 16], [0; 8], 1).is_none());
        let ctx = TraceContext::new([0xab; 16], [0x01; 8], 0).unwrap();
        assert_eq!(ctx.trace_id_hex(), "ab".repeat(16));
        assert_eq!(ctx.span_id_hex(), "01".repeat(8));
        assert_eq!(ctx.trace_flags_hex(), "00");
    }
}
