//! `ko-log-bench`: ko-log side by side with the peer logging backends.
//!
//! One binary, one subcommand per backend. The `log` crate allows one logger per process,
//! so every measurement runs in a fresh child process: `all` spawns
//! `ko-log-bench run <backend> <scenario>` once per backend x scenario x repetition,
//! collects the one `RESULT` line each child prints, takes the median per cell and
//! regenerates `docs/BENCHMARKS.md`.
//!
//! ```text
//! cargo run --release --manifest-path bench/Cargo.toml -- all            # full run, 3 repetitions
//! cargo run --release --manifest-path bench/Cargo.toml -- all --quick    # smoke run, < 2 minutes
//! cargo run --release --manifest-path bench/Cargo.toml -- net            # network handlers (issue 12)
//! cargo run --release --manifest-path bench/Cargo.toml -- queues         # the queue alone (issue 18)
//! cargo run --release --manifest-path bench/Cargo.toml -- list
//! cargo run --release --manifest-path bench/Cargo.toml -- run ko-log-block 1t
//! cargo run --release --manifest-path bench/Cargo.toml -- ko-log-block 1t   # same as `run`
//! ```
//!
//! Modules: [`workload`] drives the producer threads and times calls; [`verify`] reads the
//! files back and checks every record id; [`backends`] sets up, feeds and shuts down each
//! backend; [`report`] aggregates and writes the Markdown; [`sys`] reads the machine;
//! [`net`] runs the network-handler cases against the in-process [`receiver`]s;
//! [`queues`] measures the record queue's structure on its own.

mod backends;
mod net;
mod queues;
mod receiver;
mod report;
mod sys;
mod verify;
mod workload;

use std::process::ExitCode;

use workload::Scenario;

fn usage() -> ExitCode {
    eprintln!(
        "usage:\n  ko-log-bench all [--quick] [--reps N] [--only a,b] [--scenarios 1t,...,native-paced] [--no-doc] [--wait|--no-wait]\n  \
         ko-log-bench net [--reps N] [--records N] [--file-records N] [--no-doc] [--no-wait]\n  \
         ko-log-bench queues [--messages N] [--reps N]\n  \
         ko-log-bench run <backend> <scenario> [--records N]\n  \
         ko-log-bench <backend> <scenario> [--records N]\n  ko-log-bench list\n\n\
         scenarios: {}\nbackends: {}",
        Scenario::ALL.iter().map(|s| s.id()).collect::<Vec<_>>().join(", "),
        backends::ALL.iter().map(|b| b.id).collect::<Vec<_>>().join(", ")
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(command) = args.first() else {
        return usage();
    };
    match command.as_str() {
        "all" => match report::Plan::parse(&args[1..]) {
            Ok(plan) => report::all(plan),
            Err(e) => {
                eprintln!("{e}");
                usage()
            }
        },
        "list" => {
            for b in backends::ALL.iter().chain(backends::NET) {
                println!(
                    "{:<18} {:<9} kv={:<5} {:<8} {}",
                    b.id,
                    if b.lossless { "lossless" } else { "lossy" },
                    b.kv,
                    if b.native { "native" } else { "log" },
                    b.describe
                );
            }
            ExitCode::SUCCESS
        }
        "net" => net::main(&args[1..]),
        "queues" => queues::main(&args[1..]),
        "run" => run_child(&args[1..]),
        "-h" | "--help" | "help" => usage(),
        _ => run_child(&args),
    }
}

/// Feeds ticklog with its own `info!` (see [`backends::ticklog`]). Here, in the crate
/// root, because ticklog's macros read the level and backpressure that
/// `ticklog::configure!` sets through macros it exports at the crate root, and only the
/// crate root can name those.
fn ticklog_drive(ctx: &workload::Ctx) -> workload::Produced {
    ctx.drive(|i, user| ticklog::info!("request {} handled for user {}", i, user))
}

/// `run <backend> <scenario> [--records N]`: one measurement, in this process.
fn run_child(args: &[String]) -> ExitCode {
    let (Some(backend), Some(scenario)) = (args.first(), args.get(1)) else {
        return usage();
    };
    let Some(backend) = backends::find(backend) else {
        eprintln!("unknown backend `{backend}`");
        return usage();
    };
    let Some(scenario) = Scenario::parse(scenario) else {
        eprintln!("unknown scenario `{scenario}`");
        return usage();
    };
    let mut records = None;
    let mut rest = args[2..].iter();
    while let Some(flag) = rest.next() {
        match (flag.as_str(), rest.next()) {
            ("--records", Some(n)) => records = n.parse().ok(),
            _ => return usage(),
        }
    }
    if scenario == Scenario::Kv && !backend.kv {
        eprintln!("{} does not render log key-values; no kv run", backend.id);
        return ExitCode::from(3);
    }
    if !backend.fits(scenario) {
        eprintln!(
            "{} runs {} scenarios only; `{}` is not one",
            backend.id,
            if backend.native {
                "the native"
            } else {
                "the log::info!"
            },
            scenario.id()
        );
        return ExitCode::from(3);
    }
    let records = records.unwrap_or(scenario.default_records(false));
    match workload::measure(backend, scenario, records) {
        Ok(result) => {
            println!("{}", result.to_line());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{}: {e}", backend.id);
            ExitCode::FAILURE
        }
    }
}
