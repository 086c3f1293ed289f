//! `ko-log-bench queues`: the record queue on its own, to choose its structure (issue 18).
//!
//! P producer threads each push `N` messages of ko-log's record size (256 bytes) to one
//! consumer thread, which takes them off and drops them, under `block` (a producer whose
//! queue is full waits). Three structures, each with the same capacity per queue:
//!
//! - `shared-flume`: one bounded `flume` channel for every producer (ko-log before issue 18);
//! - `lane-flume`: one bounded `flume` channel per producer, drained in turn (ko-log now);
//! - `lane-rtrb`: one lock-free single-producer ring (`rtrb`) per producer, drained in turn.
//!
//! Printed per structure and producer count: the median over the repetitions of the
//! throughput (messages per second, first push to last pop) and of the producers' mean
//! cost per push.

use std::time::{Duration, Instant};

/// A message the size of ko-log's queued record.
type Msg = [u64; 32];

const CAPACITY: usize = 10_000;

/// What one run measured.
struct Run {
    per_second: f64,
    push_ns: f64,
}

fn shared_flume(producers: usize, per_producer: usize) -> Run {
    let (tx, rx) = flume::bounded::<Msg>(CAPACITY);
    let start = Instant::now();
    let threads = spawn(vec![tx; producers], per_producer, |tx, msg| {
        let _ = tx.send(msg);
    });
    let mut taken = 0usize;
    while rx.recv().is_ok() {
        taken += 1;
    }
    finish(start, threads, taken, producers * per_producer)
}

/// Starts one producer per queue end in `ends`, each pushing `per_producer` messages
/// with `push`; each returns how long its pushes took. The ends are dropped as the
/// producers finish, which is how the consumer learns that they have.
fn spawn<E: Send + 'static>(
    ends: Vec<E>,
    per_producer: usize,
    push: fn(&mut E, Msg),
) -> Vec<std::thread::JoinHandle<Duration>> {
    ends.into_iter()
        .enumerate()
        .map(|(p, mut end)| {
            std::thread::spawn(move || {
                let start = Instant::now();
                for i in 0..per_producer {
                    push(&mut end, [(p * per_producer + i) as u64; 32]);
                }
                start.elapsed()
            })
        })
        .collect()
}

fn lane_flume(producers: usize, per_producer: usize) -> Run {
    let (txs, rxs): (Vec<_>, Vec<_>) = (0..producers)
        .map(|_| flume::bounded::<Msg>(CAPACITY))
        .unzip();
    let start = Instant::now();
    let threads = spawn(txs, per_producer, |tx, msg| {
        let _ = tx.send(msg);
    });
    let mut taken = 0usize;
    let mut open = rxs;
    while !open.is_empty() {
        let mut idle = true;
        for rx in &open {
            for _ in 0..256 {
                match rx.try_recv() {
                    Ok(_) => {
                        taken += 1;
                        idle = false;
                    }
                    Err(_) => break,
                }
            }
        }
        open.retain(|rx| !(rx.is_disconnected() && rx.is_empty()));
        if idle {
            std::thread::yield_now();
        }
    }
    finish(start, threads, taken, producers * per_producer)
}

fn lane_rtrb(producers: usize, per_producer: usize) -> Run {
    let (txs, rxs): (Vec<_>, Vec<_>) = (0..producers)
        .map(|_| rtrb::RingBuffer::<Msg>::new(CAPACITY))
        .unzip();
    let start = Instant::now();
    let threads = spawn(txs, per_producer, |tx, mut msg| {
        // `block`: wait for room, yielding (a ring has no sleeping send).
        while let Err(rtrb::PushError::Full(back)) = tx.push(msg) {
            msg = back;
            std::thread::yield_now();
        }
    });
    let mut taken = 0usize;
    let mut open = rxs;
    while !open.is_empty() {
        let mut idle = true;
        for rx in &mut open {
            let n = rx.slots().min(256);
            if n > 0 {
                if let Ok(chunk) = rx.read_chunk(n) {
                    taken += chunk.into_iter().count();
                    idle = false;
                }
            }
        }
        open.retain(|rx| !(rx.is_abandoned() && rx.is_empty()));
        if idle {
            std::thread::yield_now();
        }
    }
    finish(start, threads, taken, producers * per_producer)
}

fn finish(
    start: Instant,
    threads: Vec<std::thread::JoinHandle<Duration>>,
    taken: usize,
    sent: usize,
) -> Run {
    let pushing: Vec<Duration> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let elapsed = start.elapsed();
    assert_eq!(taken, sent, "every message arrives once");
    let per_producer = sent / pushing.len();
    let push_ns = pushing.iter().map(Duration::as_secs_f64).sum::<f64>() * 1e9
        / (pushing.len() * per_producer) as f64;
    Run {
        per_second: sent as f64 / elapsed.as_secs_f64(),
        push_ns,
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// `queues [--messages N] [--reps N]`.
pub fn main(args: &[String]) -> std::process::ExitCode {
    let mut messages = 2_000_000usize;
    let mut reps = 5usize;
    let mut rest = args.iter();
    while let Some(flag) = rest.next() {
        match (flag.as_str(), rest.next().and_then(|n| n.parse().ok())) {
            ("--messages", Some(n)) => messages = n,
            ("--reps", Some(n)) => reps = n,
            _ => {
                eprintln!("usage: ko-log-bench queues [--messages N] [--reps N]");
                return std::process::ExitCode::from(2);
            }
        }
    }
    println!("| structure | producers | M msgs/s (median of {reps}) | push mean ns |");
    println!("| --- | ---: | ---: | ---: |");
    type Structure = fn(usize, usize) -> Run;
    let structures: [(&str, Structure); 3] = [
        ("shared-flume", shared_flume),
        ("lane-flume", lane_flume),
        ("lane-rtrb", lane_rtrb),
    ];
    for producers in [1, 4, 8] {
        for (name, run) in structures {
            let runs: Vec<Run> = (0..reps)
                .map(|_| run(producers, messages / producers))
                .collect();
            println!(
                "| {name} | {producers} | {:.2} | {:.0} |",
                median(runs.iter().map(|r| r.per_second / 1e6).collect()),
                median(runs.iter().map(|r| r.push_ns).collect()),
            );
        }
    }
    std::process::ExitCode::SUCCESS
}
