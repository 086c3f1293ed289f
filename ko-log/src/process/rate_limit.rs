//! `rate_limit`: at most `rate` records per key, with bursts up to `burst`; the others
//! are suppressed and counted, and every suppressed record is reported exactly once.
//!
//! ```toml
//! processors = [{ type = "rate_limit", rate = "100/s", burst = 200, per = "callsite" }]
//! ```
//!
//! Each key (`per`: the record's call site, its target, or its message) has a token
//! bucket holding up to `burst` records (default: the count of `rate`), refilled at
//! `rate`, by the records' own times (when they were logged, not when the dispatcher
//! sees them). A record that finds a token passes; one that finds none is suppressed:
//! the handler does not get it, and it is counted in
//! [`crate::HandlerStats::suppressed`]. The bucket works in exact integer arithmetic, so
//! a test can predict every decision from the records' times.
//!
//! Each suppressed record is reported once, either by the key's next record that passes,
//! which carries `suppressed = N` (those suppressed since the key's last report), or, if
//! none passes before the window ends, by a summary record of its own: a warning, target
//! `ko_log`, with the fields `suppressed`, `rate_limit_key` and `rate_limit_per`, written
//! to the same handler through the processors after this one. Windows are the rate's
//! period, aligned on the Unix epoch (`"100/s"`: every whole second); the dispatcher wakes
//! at a window's end even when no record comes, and says what is still pending when the
//! handler closes or a reload replaces the processor.
//!
//! Registered as a user's `#[ko_log::processor]` is (a registration naming a constructor
//! from located params), with no typed config in the config crate.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::time::{Duration, SystemTime};

use log::Level;

use super::{Action, Processor};
use crate::event::Event;
use crate::event::{Str, Value};
use crate::registry::{Constructor, Registration};

/// `rate = "COUNT/PERIOD"`: `"100/s"`, `"5/min"`, `"1000/h"`, `"20/10s"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Rate {
    count: u64,
    period: Duration,
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.count, period_text(self.period))
    }
}

impl Rate {
    fn parse(text: &str) -> Result<Rate, String> {
        let invalid = || {
            format!("invalid rate `{text}`: expected COUNT/PERIOD, like \"100/s\", \"5/min\" or \"20/10s\"")
        };
        let (count, period) = text.split_once('/').ok_or_else(invalid)?;
        let count: u64 = count.trim().parse().map_err(|_| invalid())?;
        let period = period.trim();
        // A bare unit is one of it: "s" is "1s".
        let period = if period.starts_with(|c: char| c.is_ascii_digit()) {
            ko_log_config::units::parse_duration(period)
                .map_err(|error| format!("invalid rate `{text}`: {error}"))?
        } else {
            ko_log_config::units::parse_duration(&format!("1{period}")).map_err(|_| {
                format!(
                    "invalid rate `{text}`: unknown period `{period}`, expected a unit (ms, s, min, h, d) or a duration like 10s"
                )
            })?
        };
        if count == 0 {
            return Err(format!(
                "invalid rate `{text}`: the count must be at least 1"
            ));
        }
        if period.is_zero() {
            return Err(format!(
                "invalid rate `{text}`: the period must be longer than 0"
            ));
        }
        Ok(Rate { count, period })
    }
}

impl<'de> serde::Deserialize<'de> for Rate {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Rate, D::Error> {
        // A visitor, so that an error is located at the value itself.
        struct Visit;
        impl serde::de::Visitor<'_> for Visit {
            type Value = Rate;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a rate like \"100/s\"")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Rate, E> {
                Rate::parse(text).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Visit)
    }
}

/// What a bucket is per.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
enum Per {
    /// The call site: file and line (else module and line, else target).
    #[default]
    Callsite,
    /// The target.
    Target,
    /// The message text.
    Message,
}

impl Per {
    fn as_str(self) -> &'static str {
        match self {
            Per::Callsite => "callsite",
            Per::Target => "target",
            Per::Message => "message",
        }
    }
}

/// The keys of a `rate_limit` entry.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RateLimitParams {
    rate: Rate,
    burst: Option<u64>,
    #[serde(default)]
    per: Per,
}

impl RateLimitParams {
    fn check(&self) -> Result<(), crate::error::ParamError> {
        if self.burst == Some(0) {
            return Err(crate::error::ParamError::new(
                &["burst"],
                "`burst` must be at least 1",
            ));
        }
        Ok(())
    }
}

/// A key's bucket. Credit is counted in units of 1/`count` of a nanosecond of the
/// period: a record costs `period` nanoseconds × 1, and every nanosecond adds `count`.
#[derive(Debug)]
struct Bucket {
    credit: u128,
    /// The time of the last refill, in nanoseconds since the epoch.
    last: i128,
    /// Records suppressed since the key's last report.
    pending: u64,
}

/// Suppresses the records of a key over its rate (module docs).
pub struct RateLimit {
    rate: Rate,
    per: Per,
    /// What one record costs: the period in nanoseconds.
    cost: u128,
    /// The most credit a bucket holds: `burst` records.
    cap: u128,
    buckets: HashMap<(Str, u32), Bucket>,
    /// Suppressed records not reported yet, over every key.
    pending: u64,
    /// The end of the window the oldest unreported suppression falls in (nanoseconds
    /// since the epoch), while `pending > 0`.
    window_end: Option<i128>,
    /// Buckets are swept of idle ones when there are more than this.
    sweep_at: usize,
}

impl fmt::Debug for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimit")
            .field("rate", &self.rate)
            .field("per", &self.per)
            .field("keys", &self.buckets.len())
            .field("pending", &self.pending)
            .finish_non_exhaustive()
    }
}

/// Fewest buckets kept before idle ones are swept.
const SWEEP_MIN: usize = 1024;

impl RateLimit {
    /// At most `count` records per `period` per key, in bursts of up to `burst`.
    fn new(rate: Rate, burst: u64, per: Per) -> RateLimit {
        let cost = rate.period.as_nanos();
        RateLimit {
            rate,
            per,
            cost,
            cap: cost.saturating_mul(u128::from(burst)),
            buckets: HashMap::new(),
            pending: 0,
            window_end: None,
            sweep_at: SWEEP_MIN,
        }
    }

    /// The key of `event`.
    fn key(&self, event: &Event) -> (Str, u32) {
        match self.per {
            Per::Callsite => match (&event.file, &event.module_path, event.line) {
                (Some(file), _, line) => (file.clone(), line.unwrap_or(0)),
                (None, Some(module), line) => (module.clone(), line.unwrap_or(0)),
                (None, None, line) => (event.target.clone(), line.unwrap_or(0)),
            },
            Per::Target => (event.target.clone(), 0),
            Per::Message => (event.message.clone(), 0),
        }
    }

    /// How the key reads in a summary.
    fn describe(&self, key: &(Str, u32)) -> String {
        match (self.per, key.1) {
            (Per::Callsite, line) if line > 0 => format!("{}:{line}", key.0),
            _ => key.0.to_string(),
        }
    }

    /// The end of the window `nanos` falls in.
    fn window_end(&self, nanos: i128) -> i128 {
        let period = self.cost as i128;
        (nanos.div_euclid(period) + 1) * period
    }

    /// Forgets the buckets that are full and owe no report: they are as if never used.
    fn sweep(&mut self, now: i128) {
        let (cap, count) = (self.cap, self.rate.count);
        self.buckets.retain(|_, bucket| {
            refill(bucket, now, count, cap);
            bucket.pending > 0 || bucket.credit < cap
        });
        self.sweep_at = (self.buckets.len() * 2).max(SWEEP_MIN);
    }
}

/// Adds the credit `bucket` earned from its last refill to `now` (never going back in
/// time), up to `cap`.
fn refill(bucket: &mut Bucket, now: i128, count: u64, cap: u128) {
    if now > bucket.last {
        let elapsed = (now - bucket.last) as u128;
        bucket.credit = bucket
            .credit
            .saturating_add(elapsed.saturating_mul(u128::from(count)))
            .min(cap);
        bucket.last = now;
    }
}

fn nanos(time: SystemTime) -> i128 {
    match time.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(after) => after.as_nanos() as i128,
        Err(before) => -(before.duration().as_nanos() as i128),
    }
}

impl Processor for RateLimit {
    fn process(&mut self, event: &mut Event) -> Action {
        let now = event.time.unix_timestamp_nanos();
        if self.buckets.len() >= self.sweep_at {
            self.sweep(now);
        }
        let key = self.key(event);
        let cap = self.cap;
        let bucket = self.buckets.entry(key).or_insert(Bucket {
            credit: cap,
            last: now,
            pending: 0,
        });
        refill(bucket, now, self.rate.count, cap);
        if bucket.credit >= self.cost {
            bucket.credit -= self.cost;
            if bucket.pending > 0 {
                event
                    .fields
                    .insert("suppressed", Value::U64(bucket.pending));
                self.pending -= bucket.pending;
                bucket.pending = 0;
                if self.pending == 0 {
                    self.window_end = None;
                }
            }
            Action::Keep
        } else {
            bucket.pending += 1;
            self.pending += 1;
            if self.window_end.is_none() {
                self.window_end = Some(self.window_end(now));
            }
            Action::Suppress
        }
    }

    fn due(&self) -> Option<SystemTime> {
        let end = self.window_end?;
        let end = u64::try_from(end).unwrap_or(0);
        Some(SystemTime::UNIX_EPOCH + Duration::from_nanos(end))
    }

    fn tick(&mut self, now: SystemTime, closing: bool, out: &mut Vec<Event>) {
        let now = nanos(now);
        let due = self.window_end.is_some_and(|end| now >= end);
        if self.pending > 0 && (due || closing) {
            let mut owed: Vec<(String, u64)> = self
                .buckets
                .iter()
                .filter(|(_, bucket)| bucket.pending > 0)
                .map(|(key, bucket)| (self.describe(key), bucket.pending))
                .collect();
            for bucket in self.buckets.values_mut() {
                bucket.pending = 0;
            }
            owed.sort();
            for (key, suppressed) in owed {
                let mut event = Event::new(
                    Level::Warn,
                    "ko_log",
                    format!(
                        "rate_limit: {suppressed} record{} of {} `{key}` suppressed (over {})",
                        if suppressed == 1 { "" } else { "s" },
                        self.per.as_str(),
                        self.rate
                    ),
                );
                event.fields.insert("suppressed", Value::U64(suppressed));
                event
                    .fields
                    .insert("rate_limit_key", Value::Str(Cow::Owned(key)));
                event.fields.insert("rate_limit_per", self.per.as_str());
                out.push(event);
            }
            self.pending = 0;
            self.window_end = None;
        }
        if due || closing {
            self.sweep(now);
        }
    }
}

/// A period as a config writes it: `1s`, `10s`, `1m`, `250ms`.
fn period_text(period: Duration) -> String {
    let nanos = period.as_nanos();
    for (unit, size) in [
        ("h", 3_600_000_000_000u128),
        ("m", 60_000_000_000),
        ("s", 1_000_000_000),
        ("ms", 1_000_000),
        ("us", 1_000),
    ] {
        if nanos % size == 0 {
            return format!("{}{unit}", nanos / size);
        }
    }
    format!("{nanos}ns")
}

fn params(params: &ko_log_config::node::Params) -> Result<RateLimitParams, crate::error::Error> {
    let typed: RateLimitParams = crate::registry::__private::params(params)?;
    crate::registry::__private::checked("processor", "rate_limit", params, typed.check())?;
    Ok(typed)
}

fn construct(
    params: &ko_log_config::node::Params,
) -> Result<Box<dyn Processor>, crate::error::Error> {
    let typed = self::params(params)?;
    Ok(Box::new(RateLimit::new(
        typed.rate,
        typed.burst.unwrap_or(typed.rate.count),
        typed.per,
    )))
}

fn schema() -> serde_json::Value {
    use ko_log_config::schema::{describe, integer, one_of, string, table, with};
    describe(
        table(
            &[
                (
                    "rate",
                    describe(
                        with(string(), serde_json::json!({"pattern": "^\\s*[0-9]+\\s*/\\s*[0-9A-Za-zµ. ]+$"})),
                        "COUNT/PERIOD: at most COUNT records per PERIOD per key (\"100/s\", \"5/min\", \"20/10s\").",
                    ),
                ),
                (
                    "burst",
                    describe(
                        with(integer(), serde_json::json!({"minimum": 1})),
                        "Records a key may log at once before the rate applies (default: the rate's COUNT).",
                    ),
                ),
                (
                    "per",
                    describe(
                        one_of(&["callsite", "target", "message"]),
                        "What a limit is per (default \"callsite\").",
                    ),
                ),
            ],
            &["rate"],
        ),
        "Suppress a key's records over its rate, counting them: the key's next record carries suppressed = N, and a summary record ends each window that has any left.",
    )
}

inventory::submit! {
    Registration {
        name: "rate_limit",
        construct: Constructor::Processor(construct),
        check: |p| params(p).map(drop),
        schema: Some(schema),
        function: "ko_log::process::rate_limit",
        file: file!(),
        line: line!(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(event: &mut Event, nanos: i64) {
        event.time = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(nanos)).unwrap();
    }

    fn record(nanos: i64, line: u32) -> Event {
        let mut event = Event::new(Level::Info, "app", "hello");
        event.file = Some(Cow::Borrowed("src/main.rs"));
        event.line = Some(line);
        at(&mut event, nanos);
        event
    }

    #[test]
    fn rates_parse_with_a_bare_unit_or_a_duration() {
        let rate = |text| Rate::parse(text);
        assert_eq!(
            rate("100/s"),
            Ok(Rate {
                count: 100,
                period: Duration::from_secs(1)
            })
        );
        assert_eq!(
            rate("5 / min"),
            Ok(Rate {
                count: 5,
                period: Duration::from_secs(60)
            })
        );
        assert_eq!(
            rate("20/10s"),
            Ok(Rate {
                count: 20,
                period: Duration::from_secs(10)
            })
        );
        assert_eq!(
            rate("0/s").unwrap_err(),
            "invalid rate `0/s`: the count must be at least 1"
        );
        assert!(rate("100")
            .unwrap_err()
            .starts_with("invalid rate `100`: expected COUNT/PERIOD"));
        assert!(rate("x/s").is_err());
        assert!(rate("1/parsec")
            .unwrap_err()
            .contains("unknown period `parsec`"));
        assert!(rate("1/10parsec")
            .unwrap_err()
            .contains("unknown unit `parsec`"));
    }

    /// 2 per second, bursts of 3: three pass at once, the fourth is suppressed, one more
    /// passes half a second later carrying the count, and a silent key gets a summary at
    /// the window's end.
    #[test]
    fn a_key_over_its_rate_is_suppressed_and_each_suppression_is_reported_once() {
        let mut limit = RateLimit::new(Rate::parse("2/s").unwrap(), 3, Per::Callsite);
        let t0 = 1_000_000_000_000i64; // a whole second
        let actions: Vec<Action> = (0..5).map(|_| limit.process(&mut record(t0, 7))).collect();
        assert_eq!(
            actions,
            [
                Action::Keep,
                Action::Keep,
                Action::Keep,
                Action::Suppress,
                Action::Suppress
            ]
        );
        // Another call site has its own bucket.
        assert_eq!(limit.process(&mut record(t0, 8)), Action::Keep);
        assert_eq!(
            limit.due(),
            Some(SystemTime::UNIX_EPOCH + Duration::from_nanos(t0 as u64 + 1_000_000_000))
        );
        // Half a second earns one record: it passes and carries the two.
        let mut next = record(t0 + 500_000_000, 7);
        assert_eq!(limit.process(&mut next), Action::Keep);
        assert_eq!(next.fields.get("suppressed"), Some(&Value::U64(2)));
        assert_eq!(limit.due(), None, "nothing left to report");
        assert_eq!(
            limit.process(&mut record(t0 + 500_000_001, 7)),
            Action::Suppress
        );
        // Before the window's end: nothing to say yet.
        let mut out = Vec::new();
        let end = SystemTime::UNIX_EPOCH + Duration::from_nanos(t0 as u64 + 1_000_000_000);
        limit.tick(end - Duration::from_nanos(1), false, &mut out);
        assert!(out.is_empty());
        limit.tick(end, false, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(
            out[0].message,
            "rate_limit: 1 record of callsite `src/main.rs:7` suppressed (over 2/1s)"
        );
        assert_eq!(out[0].fields.get("suppressed"), Some(&Value::U64(1)));
        assert_eq!(out[0].level, Level::Warn);
        assert_eq!(limit.due(), None);
        // Reported by the summary: the next record that passes carries nothing.
        let mut later = record(t0 + 2_000_000_000, 7);
        assert_eq!(limit.process(&mut later), Action::Keep);
        assert_eq!(later.fields.get("suppressed"), None);
    }

    #[test]
    fn closing_reports_what_is_pending() {
        let mut limit = RateLimit::new(Rate::parse("1/h").unwrap(), 1, Per::Message);
        assert_eq!(limit.process(&mut record(0, 1)), Action::Keep);
        assert_eq!(limit.process(&mut record(1, 2)), Action::Suppress);
        let mut out = Vec::new();
        limit.tick(SystemTime::UNIX_EPOCH, true, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(
            out[0].fields.get("rate_limit_key"),
            Some(&Value::from("hello"))
        );
        assert_eq!(
            out[0].fields.get("rate_limit_per"),
            Some(&Value::from("message"))
        );
    }

    #[test]
    fn idle_full_buckets_are_forgotten() {
        let mut limit = RateLimit::new(Rate::parse("1/s").unwrap(), 1, Per::Callsite);
        for line in 0..(SWEEP_MIN as u32) {
            assert_eq!(limit.process(&mut record(0, line)), Action::Keep);
        }
        assert_eq!(limit.buckets.len(), SWEEP_MIN);
        // A second later every bucket is full again: all are forgotten but the new one.
        assert_eq!(
            limit.process(&mut record(1_000_000_000, 99_999)),
            Action::Keep
        );
        assert_eq!(limit.buckets.len(), 1);
    }
}
