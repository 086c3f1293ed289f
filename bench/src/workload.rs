//! The workload and the caller-side timing: producer threads, sampled per-call latency,
//! and the one `RESULT` line a child process reports.
//!
//! Every backend is fed the same records: INFO, target `bench`, message
//! `request {i} handled for user {user}` with `i` the record id (unique across threads)
//! and `user` one of eight names; the `kv` scenario adds `user_id = i` and
//! `path = "/api/v1/items"`. The `native` scenarios repeat `1t`, `4t`, `8t` and `paced`
//! for the backends fed through their own macro instead of `log::info!`. A backend module sets its logger up, hands
//! [`Ctx::drive`] a closure that logs record `i` its native way, and times its own
//! shutdown; [`measure`] adds the memory reading and the check of the file on disk.

use std::path::PathBuf;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use crate::backends::Backend;
use crate::{sys, verify};

/// One call in this many is timed on its own (the rest only count toward the mean).
///
/// Odd, so that it shares no factor with a stall that comes every power-of-two calls (a
/// ring of 2048 records that its thread refills whole after each wait): with 32, such
/// stalls fall either all on timed calls or on none, and the p99.9 jumped between 1 µs
/// and 5 ms from one run to the next (ko-log with `capacity = 2048`: 3 of 4 runs at 4
/// and 8 threads; 2047 gave 1 µs in all 4).
pub const SAMPLE_EVERY: u64 = 31;

/// The user names of the message; record `i` names `USERS[i % 8]`.
pub const USERS: [&str; 8] = [
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi",
];

/// What is measured in one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// One producer thread.
    OneThread,
    /// Two producer threads, half the records each.
    TwoThreads,
    /// Four producer threads, a quarter of the records each.
    FourThreads,
    /// Eight producer threads, an eighth of the records each.
    EightThreads,
    /// One producer thread logging one record every [`PACE`] (spinning on the clock
    /// between calls), so that the queue never fills; every call is timed on its own.
    Paced,
    /// INFO is below the configured level: the cost of a filtered call.
    Disabled,
    /// One producer thread, two `log` key-values per record.
    Kv,
    /// `1t` through a backend's own macro (`native-1t`).
    NativeOneThread,
    /// `4t` through a backend's own macro (`native-4t`).
    NativeFourThreads,
    /// `8t` through a backend's own macro (`native-8t`).
    NativeEightThreads,
    /// `paced` through a backend's own macro (`native-paced`).
    NativePaced,
}

/// The interval between the slots of the `paced` scenario.
pub const PACE: Duration = Duration::from_micros(2);

impl Scenario {
    pub const ALL: [Scenario; 11] = [
        Scenario::OneThread,
        Scenario::TwoThreads,
        Scenario::FourThreads,
        Scenario::EightThreads,
        Scenario::Paced,
        Scenario::Disabled,
        Scenario::Kv,
        Scenario::NativeOneThread,
        Scenario::NativeFourThreads,
        Scenario::NativeEightThreads,
        Scenario::NativePaced,
    ];

    /// Whether the backend is fed through its own macro (the `native` family) rather
    /// than `log::info!` (or, for tracing, slog and spdlog-rs, their usual macro).
    pub fn native(self) -> bool {
        self.base() != self
    }

    /// The `log::info!` scenario a `native` one repeats (itself for the others): the
    /// same threads, records, pacing and timing.
    pub fn base(self) -> Scenario {
        match self {
            Scenario::NativeOneThread => Scenario::OneThread,
            Scenario::NativeFourThreads => Scenario::FourThreads,
            Scenario::NativeEightThreads => Scenario::EightThreads,
            Scenario::NativePaced => Scenario::Paced,
            other => other,
        }
    }

    pub fn id(self) -> &'static str {
        match self {
            Scenario::OneThread => "1t",
            Scenario::TwoThreads => "2t",
            Scenario::FourThreads => "4t",
            Scenario::EightThreads => "8t",
            Scenario::Paced => "paced",
            Scenario::Disabled => "off",
            Scenario::Kv => "kv",
            Scenario::NativeOneThread => "native-1t",
            Scenario::NativeFourThreads => "native-4t",
            Scenario::NativeEightThreads => "native-8t",
            Scenario::NativePaced => "native-paced",
        }
    }

    /// A heading for `records` calls in all.
    pub fn title(self, records: u64) -> String {
        let n = |n: u64| {
            let s = n.to_string();
            let mut out = String::new();
            for (k, c) in s.chars().enumerate() {
                if k > 0 && (s.len() - k).is_multiple_of(3) {
                    out.push(',');
                }
                out.push(c);
            }
            out
        };
        match self {
            Scenario::OneThread => format!("1 producer thread x {} records", n(records)),
            Scenario::TwoThreads | Scenario::FourThreads | Scenario::EightThreads => format!(
                "{} producer threads x {} records",
                self.threads(),
                n(records / self.threads())
            ),
            Scenario::Paced => format!(
                "1 producer thread x {} records, one every {} µs, every call timed",
                n(records),
                PACE.as_micros()
            ),
            Scenario::Disabled => format!(
                "level disabled (INFO filtered out), 1 thread x {} calls",
                n(records)
            ),
            Scenario::Kv => format!(
                "1 producer thread x {} records with 2 key-values",
                n(records)
            ),
            native => format!("{}, each backend's own macro", native.base().title(records)),
        }
    }

    pub fn parse(s: &str) -> Option<Scenario> {
        Scenario::ALL.into_iter().find(|sc| sc.id() == s)
    }

    pub fn threads(self) -> u64 {
        match self.base() {
            Scenario::TwoThreads => 2,
            Scenario::FourThreads => 4,
            Scenario::EightThreads => 8,
            _ => 1,
        }
    }

    /// Whether INFO records pass the backend's level filter.
    pub fn enabled(self) -> bool {
        self != Scenario::Disabled
    }

    pub fn kv(self) -> bool {
        self == Scenario::Kv
    }

    /// Calls per run (all threads together).
    pub fn default_records(self, quick: bool) -> u64 {
        match (self.base(), quick) {
            (Scenario::Disabled, false) => 10_000_000,
            (Scenario::Disabled, true) => 2_000_000,
            (Scenario::Paced, false) => PACED_RECORDS,
            (Scenario::Paced, true) => 100_000,
            (_, false) => 1_000_000,
            (_, true) => 100_000,
        }
    }
}

/// Records of a full `paced` run: 1 s of producing at one record per [`PACE`], so that
/// p99.9 rests on the 500 slowest calls.
pub const PACED_RECORDS: u64 = 500_000;

/// What a backend module gets: where to write and what to run.
#[derive(Debug)]
pub struct Ctx {
    /// A fresh, empty temporary directory; everything in it is scanned afterwards.
    pub dir: PathBuf,
    /// The file to log to, when the backend lets us name it (`<dir>/bench.log`).
    pub file: PathBuf,
    pub scenario: Scenario,
    /// Calls in all (all threads together).
    pub records: u64,
}

/// The caller side of a run, from [`Ctx::drive`].
#[derive(Debug, Default)]
pub struct Produced {
    /// Sum over threads of each thread's loop time.
    pub loop_time: Duration,
    /// From releasing the threads to the last one finishing its loop.
    pub wall: Duration,
    /// Individually timed calls, in nanoseconds (timer overhead included).
    pub samples: Vec<u32>,
    /// `paced`: calls that ended after the next slot was due (the next call then went
    /// at once instead of on its slot).
    pub overruns: u64,
}

/// What a backend module returns.
#[derive(Debug, Default)]
pub struct Timings {
    pub produced: Produced,
    /// Flush and shutdown (guard drop), after the producers are done.
    pub finish: Duration,
    /// Backend-specific counters worth reporting (e.g. ko-log's `stats()`), `k=v,k=v`.
    pub extra: String,
    /// CPU time of the backend's own consuming thread once everything was written (ko-log's
    /// dispatcher), ns; 0 when not measured.
    pub consumer_ns: u64,
    /// What a receiver other than a file got (the network-only runs of [`crate::net`]);
    /// `None`: the records are checked on disk.
    pub delivered: Option<Delivered>,
}

/// What an in-process receiver counted, for a run that writes no file.
#[derive(Debug, Default, Clone, Copy)]
pub struct Delivered {
    /// Records received (lines, frames, datagrams or OTLP log records).
    pub records: u64,
    pub bytes: u64,
    /// From the end of `finish` to the receiver's last byte, when that came later.
    pub tail: Duration,
}

impl Ctx {
    /// Runs the producer threads; `log(i, user)` logs record `i` through the backend.
    pub fn drive<F>(&self, log: F) -> Produced
    where
        F: Fn(u64, &'static str) + Sync,
    {
        let threads = self.scenario.threads();
        let per_thread = self.records / threads;
        let scenario = self.scenario;
        let barrier = Barrier::new(threads as usize + 1);
        let log = &log;
        let barrier = &barrier;
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    scope.spawn(move || {
                        let lo = t * per_thread;
                        produce(scenario, lo..lo + per_thread, barrier, log)
                    })
                })
                .collect();
            barrier.wait();
            let start = Instant::now();
            let mut produced = Produced::default();
            for handle in handles {
                let (elapsed, samples, overruns) = handle.join().expect("producer thread panicked");
                produced.loop_time += elapsed;
                produced.samples.extend(samples);
                produced.overruns += overruns;
            }
            produced.wall = start.elapsed();
            produced
        })
    }

    /// The record ids a lossless run leaves on disk: `0..expected`.
    pub fn expected(&self) -> u64 {
        if self.scenario.enabled() {
            self.records / self.scenario.threads() * self.scenario.threads()
        } else {
            0
        }
    }
}

/// One producer thread's loop over the ids `ids`: (loop time, timed calls, overruns).
///
/// - `off`: nothing is timed but the loop (the id goes through `black_box`).
/// - `paced`: before each call the thread spins on `Instant::now()` until the call's
///   slot ([`PACE`] after the previous slot), then times the call alone; the slot
///   reading doubles as the call's start. A call that ends after the next slot is due
///   is an overrun: the next call goes at once and the slots restart from there (no
///   burst to catch up).
/// - the rest: every [`SAMPLE_EVERY`]th call is timed on its own.
fn produce<F>(
    scenario: Scenario,
    ids: std::ops::Range<u64>,
    barrier: &Barrier,
    log: &F,
) -> (Duration, Vec<u32>, u64)
where
    F: Fn(u64, &'static str) + Sync,
{
    let n = ids.end - ids.start;
    let ns = |d: Duration| d.as_nanos().min(u32::MAX as u128) as u32;
    match scenario.base() {
        Scenario::Disabled => {
            barrier.wait();
            let start = Instant::now();
            for i in ids {
                log(std::hint::black_box(i), USERS[(i % 8) as usize]);
            }
            (start.elapsed(), Vec::new(), 0)
        }
        Scenario::Paced => {
            let mut samples = Vec::with_capacity(n as usize);
            let mut overruns = 0;
            barrier.wait();
            let start = Instant::now();
            let mut slot = start;
            for i in ids {
                let user = USERS[(i % 8) as usize];
                let mut t0 = Instant::now();
                while t0 < slot {
                    std::hint::spin_loop();
                    t0 = Instant::now();
                }
                log(i, user);
                let t1 = Instant::now();
                samples.push(ns(t1 - t0));
                slot += PACE;
                if slot < t1 {
                    overruns += 1;
                    slot = t1;
                }
            }
            (start.elapsed(), samples, overruns)
        }
        _ => {
            let mut samples = Vec::with_capacity((n / SAMPLE_EVERY + 1) as usize);
            barrier.wait();
            let start = Instant::now();
            for i in ids {
                let user = USERS[(i % 8) as usize];
                if i % SAMPLE_EVERY == 0 {
                    let t0 = Instant::now();
                    log(i, user);
                    samples.push(ns(t0.elapsed()));
                } else {
                    log(i, user);
                }
            }
            (start.elapsed(), samples, 0)
        }
    }
}

/// Times `finish` (flush and shutdown).
pub fn timed(finish: impl FnOnce()) -> Duration {
    let start = Instant::now();
    finish();
    start.elapsed()
}

/// The median cost of the timer pair around a sampled call.
pub fn timer_overhead() -> u32 {
    let mut v: Vec<u32> = (0..20_000)
        .map(|_| {
            let t0 = Instant::now();
            t0.elapsed().as_nanos() as u32
        })
        .collect();
    v.sort_unstable();
    v[v.len() / 2]
}

/// One run's figures, as the child reports them.
#[derive(Debug, Clone, Default)]
pub struct RunResult {
    pub backend: String,
    pub scenario: String,
    pub records: u64,
    pub threads: u64,
    /// Caller mean, ns per call: all loop time / all calls (sampling overhead included);
    /// in `paced`, the mean of the timed calls (the loop time is mostly spinning).
    pub mean_ns: f64,
    pub p50: u32,
    pub p99: u32,
    pub p999: u32,
    pub max: u32,
    pub samples: u64,
    /// `paced`: the achieved interval between calls, ns (loop time / calls per thread).
    pub interval_ns: f64,
    /// `paced`: calls that ended after the next slot was due.
    pub overruns: u64,
    pub timer_ns: u32,
    pub produce_s: f64,
    pub finish_s: f64,
    /// Distinct expected ids found on disk.
    pub found: u64,
    pub lost: u64,
    pub dup: u64,
    /// Lines that are not a benchmark record (drop reports, partial lines).
    pub other: u64,
    pub bytes: u64,
    pub rss_kb: u64,
    /// CPU time the child used in all, in clock ticks (to tell others' load apart).
    pub cpu_ticks: u64,
    /// See [`Timings::consumer_ns`].
    pub consumer_ns: u64,
    pub extra: String,
    pub sample_line: String,
}

fn percentile(sorted: &[u32], q: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

impl RunResult {
    /// Records per second of the consuming thread's CPU time (0: not measured).
    pub fn consumer_rate(&self) -> f64 {
        if self.consumer_ns > 0 {
            self.found as f64 / (self.consumer_ns as f64 / 1e9)
        } else {
            0.0
        }
    }

    /// End-to-end records per second: records found on disk over produce + finish time.
    pub fn e2e(&self) -> f64 {
        let total = self.produce_s + self.finish_s;
        if total > 0.0 {
            self.found as f64 / total
        } else {
            0.0
        }
    }

    pub fn to_line(&self) -> String {
        format!(
            "RESULT\tbackend={}\tscenario={}\trecords={}\tthreads={}\tmean_ns={:.2}\tp50={}\tp99={}\t\
             p999={}\tmax={}\tsamples={}\tinterval_ns={:.1}\toverruns={}\ttimer_ns={}\tproduce_s={:.6}\tfinish_s={:.6}\tfound={}\t\
             lost={}\tdup={}\tother={}\tbytes={}\trss_kb={}\tcpu_ticks={}\tconsumer_ns={}\textra={}\tsample_line={}",
            self.backend,
            self.scenario,
            self.records,
            self.threads,
            self.mean_ns,
            self.p50,
            self.p99,
            self.p999,
            self.max,
            self.samples,
            self.interval_ns,
            self.overruns,
            self.timer_ns,
            self.produce_s,
            self.finish_s,
            self.found,
            self.lost,
            self.dup,
            self.other,
            self.bytes,
            self.rss_kb,
            self.cpu_ticks,
            self.consumer_ns,
            self.extra,
            self.sample_line.replace(['\t', '\n', '\r'], " "),
        )
    }

    pub fn parse(line: &str) -> Option<RunResult> {
        let rest = line.strip_prefix("RESULT\t")?;
        let mut r = RunResult::default();
        for field in rest.split('\t') {
            let (k, v) = field.split_once('=')?;
            let num = |v: &str| v.parse::<u64>().unwrap_or(0);
            match k {
                "backend" => r.backend = v.to_owned(),
                "scenario" => r.scenario = v.to_owned(),
                "records" => r.records = num(v),
                "threads" => r.threads = num(v),
                "mean_ns" => r.mean_ns = v.parse().unwrap_or(0.0),
                "p50" => r.p50 = num(v) as u32,
                "p99" => r.p99 = num(v) as u32,
                "p999" => r.p999 = num(v) as u32,
                "max" => r.max = num(v) as u32,
                "samples" => r.samples = num(v),
                "interval_ns" => r.interval_ns = v.parse().unwrap_or(0.0),
                "overruns" => r.overruns = num(v),
                "timer_ns" => r.timer_ns = num(v) as u32,
                "produce_s" => r.produce_s = v.parse().unwrap_or(0.0),
                "finish_s" => r.finish_s = v.parse().unwrap_or(0.0),
                "found" => r.found = num(v),
                "lost" => r.lost = num(v),
                "dup" => r.dup = num(v),
                "other" => r.other = num(v),
                "bytes" => r.bytes = num(v),
                "rss_kb" => r.rss_kb = num(v),
                "cpu_ticks" => r.cpu_ticks = num(v),
                "consumer_ns" => r.consumer_ns = num(v),
                "extra" => r.extra = v.to_owned(),
                "sample_line" => r.sample_line = v.to_owned(),
                _ => {}
            }
        }
        Some(r)
    }
}

/// One measurement in this process: set up, feed, shut down, read back.
pub fn measure(backend: &Backend, scenario: Scenario, records: u64) -> Result<RunResult, String> {
    let dir = tempfile::Builder::new()
        .prefix("ko-log-bench-")
        .tempdir()
        .map_err(|e| format!("temp dir: {e}"))?;
    let ctx = Ctx {
        dir: dir.path().to_owned(),
        file: dir.path().join("bench.log"),
        scenario,
        records,
    };
    let timer_ns = timer_overhead();
    let timings = (backend.run)(&ctx)?;
    // What is on disk at the moment the shutdown returned: a writer thread that outlives
    // its guard (tracing-appender's 1 s limit, say) may still be appending.
    let sizes = verify::snapshot(&ctx.dir).map_err(|e| format!("snapshot: {e}"))?;
    let rss_kb = sys::vm_hwm_kb();
    let found = match timings.delivered {
        // Counted, not checked id by id: a receiver cannot see duplicates.
        Some(d) => verify::Found {
            unique: d.records.min(ctx.expected()),
            bytes: d.bytes,
            ..verify::Found::default()
        },
        None => verify::scan(&sizes, ctx.expected()).map_err(|e| format!("scan: {e}"))?,
    };
    let tail = timings.delivered.map_or(Duration::ZERO, |d| d.tail);

    let cpu_ticks = sys::self_cpu_ticks();
    let mut samples = timings.produced.samples;
    samples.sort_unstable();
    let threads = scenario.threads();
    let calls = records / threads * threads;
    let loop_ns = timings.produced.loop_time.as_nanos() as f64;
    let (mean_ns, interval_ns) = if scenario.base() == Scenario::Paced {
        let sum: u64 = samples.iter().map(|&s| u64::from(s)).sum();
        (
            sum as f64 / samples.len().max(1) as f64,
            loop_ns / calls.max(1) as f64,
        )
    } else {
        (loop_ns / calls.max(1) as f64, 0.0)
    };
    Ok(RunResult {
        backend: backend.id.to_owned(),
        scenario: scenario.id().to_owned(),
        records: calls,
        threads,
        mean_ns,
        p50: percentile(&samples, 0.50),
        p99: percentile(&samples, 0.99),
        p999: percentile(&samples, 0.999),
        max: samples.last().copied().unwrap_or(0),
        samples: samples.len() as u64,
        interval_ns,
        overruns: timings.produced.overruns,
        timer_ns,
        produce_s: timings.produced.wall.as_secs_f64(),
        finish_s: (timings.finish + tail).as_secs_f64(),
        found: found.unique,
        lost: ctx.expected() - found.unique,
        dup: found.dup,
        other: found.other,
        bytes: found.bytes,
        rss_kb,
        cpu_ticks,
        consumer_ns: timings.consumer_ns,
        extra: timings.extra,
        sample_line: found.sample_line,
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// Runs `produce` for `scenario` over `ids` with a logger that records each id.
    fn ids_logged(scenario: Scenario, ids: std::ops::Range<u64>) -> (Vec<u64>, usize, u64) {
        let seen = Mutex::new(Vec::new());
        let log = |i: u64, user: &'static str| {
            assert_eq!(user, USERS[(i % 8) as usize]);
            seen.lock().unwrap().push(i);
        };
        let (_, samples, overruns) = produce(scenario, ids, &Barrier::new(1), &log);
        (seen.into_inner().unwrap(), samples.len(), overruns)
    }

    #[test]
    fn paced_logs_every_id_once_in_order_and_times_every_call() {
        let (ids, samples, overruns) = ids_logged(Scenario::Paced, 40..1040);
        assert_eq!(ids, (40..1040).collect::<Vec<_>>());
        assert_eq!(samples, 1000);
        assert!(overruns <= 1000);
    }

    #[test]
    fn burst_samples_one_call_in_31_and_off_none() {
        let (ids, samples, overruns) = ids_logged(Scenario::EightThreads, 0..320);
        assert_eq!(ids, (0..320).collect::<Vec<_>>());
        assert_eq!((samples, overruns), (11, 0));
        let (ids, samples, _) = ids_logged(Scenario::Disabled, 5..10);
        assert_eq!((ids, samples), (vec![5, 6, 7, 8, 9], 0));
    }

    #[test]
    fn threads_split_the_records_into_unique_ids() {
        assert_eq!(
            Scenario::ALL.map(|s| (s.id(), s.threads())),
            [
                ("1t", 1),
                ("2t", 2),
                ("4t", 4),
                ("8t", 8),
                ("paced", 1),
                ("off", 1),
                ("kv", 1),
                ("native-1t", 1),
                ("native-4t", 4),
                ("native-8t", 8),
                ("native-paced", 1)
            ]
        );
        let ctx = Ctx {
            dir: PathBuf::new(),
            file: PathBuf::new(),
            scenario: Scenario::EightThreads,
            records: 1_000_003,
        };
        assert_eq!(ctx.expected(), 1_000_000);
        let seen = Mutex::new(Vec::new());
        let produced = ctx.drive(|i, _| seen.lock().unwrap().push(i));
        let mut seen = seen.into_inner().unwrap();
        seen.sort_unstable();
        assert_eq!(seen, (0..1_000_000).collect::<Vec<_>>());
        // Ids that are multiples of 31, whichever thread logs them.
        assert_eq!(produced.samples.len(), 32_259);
        assert_eq!(
            Scenario::EightThreads.title(1_000_000),
            "8 producer threads x 125,000 records"
        );
        assert_eq!(
            Scenario::Paced.title(500_000),
            "1 producer thread x 500,000 records, one every 2 µs, every call timed"
        );
    }

    #[test]
    fn native_scenarios_repeat_their_log_twins() {
        use Scenario::*;
        let native: Vec<Scenario> = Scenario::ALL.into_iter().filter(|s| s.native()).collect();
        assert_eq!(
            native,
            [
                NativeOneThread,
                NativeFourThreads,
                NativeEightThreads,
                NativePaced
            ]
        );
        assert_eq!(
            native.iter().map(|s| s.base()).collect::<Vec<_>>(),
            [OneThread, FourThreads, EightThreads, Paced]
        );
        for s in &native {
            assert_eq!(Scenario::parse(s.id()), Some(*s));
            assert!(s.enabled() && !s.kv());
            for quick in [false, true] {
                assert_eq!(s.default_records(quick), s.base().default_records(quick));
            }
        }
        assert_eq!(NativeOneThread.default_records(false), 1_000_000);
        assert_eq!(NativePaced.default_records(false), PACED_RECORDS);
        assert_eq!(
            NativeEightThreads.title(1_000_000),
            "8 producer threads x 125,000 records, each backend's own macro"
        );
        // Paced through the own macro: spins to each slot and times every call.
        let (ids, samples, _) = ids_logged(NativePaced, 0..500);
        assert_eq!((ids, samples), ((0..500).collect::<Vec<_>>(), 500));
        // A burst: one call in 31 timed, as in 8t.
        let (ids, samples, overruns) = ids_logged(NativeEightThreads, 0..320);
        assert_eq!(ids, (0..320).collect::<Vec<_>>());
        assert_eq!((samples, overruns), (11, 0));
        let ctx = Ctx {
            dir: PathBuf::new(),
            file: PathBuf::new(),
            scenario: NativeFourThreads,
            records: 1003,
        };
        assert_eq!(ctx.expected(), 1000);
        let seen = Mutex::new(Vec::new());
        ctx.drive(|i, _| seen.lock().unwrap().push(i));
        let mut seen = seen.into_inner().unwrap();
        seen.sort_unstable();
        assert_eq!(seen, (0..1000).collect::<Vec<_>>());
        for s in [OneThread, Paced, Disabled, Kv] {
            assert!(!s.native() && s.base() == s);
        }
    }

    #[test]
    fn result_line_round_trips_the_paced_fields() {
        let r = RunResult {
            backend: "ko-log-block".into(),
            scenario: "paced".into(),
            records: 500_000,
            interval_ns: 2143.5,
            overruns: 17,
            p999: 4100,
            ..RunResult::default()
        };
        let back = RunResult::parse(&r.to_line()).unwrap();
        assert_eq!(
            (
                back.scenario.as_str(),
                back.interval_ns,
                back.overruns,
                back.p999
            ),
            ("paced", 2143.5, 17, 4100)
        );
    }
}
