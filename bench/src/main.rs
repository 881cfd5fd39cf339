//! `akua-bench`: the authorizer's budget (DESIGN §5) measured end to end.
//!
//! - decisions against the embedded engine per credential kind: latency
//!   percentiles, DynamoDB reads and writes per 10,000 requests;
//! - the same decisions against an in-memory double: the overhead beyond
//!   the store call;
//! - JWT verification against `aws-jwt-verify` on the same tokens;
//! - cold start and peak memory of the release authorizer under a local
//!   Lambda Runtime API, and the size of every function binary;
//! - the cleanup sweep over tables of 10k and 100k credentials.
//!
//! Every target is printed as PASS or MISS at the end. `--quick` (for CI)
//! runs small sizes and skips the 100k table. See BENCHMARKS.md.

mod cleanup;
mod cold_start;
mod decisions;
mod jwt_compare;
mod requests;
mod stats;
mod targets;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;

use crate::targets::Targets;

#[derive(Parser)]
#[command(about = "Benchmarks of the Akua authorizer's hot path, cold start and cleanup")]
struct Args {
    /// Small sizes, no 100k table: well under a minute (CI).
    #[arg(long)]
    quick: bool,
    /// Requests per credential kind against the engine (default 10,000;
    /// 2,000 with --quick).
    #[arg(long)]
    requests: Option<usize>,
    /// Directory with the release function binaries (default: the
    /// directory this binary is in, i.e. target/release).
    #[arg(long)]
    bin_dir: Option<PathBuf>,
    /// Directory of the Node side of the JWT comparison.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/jwt-node"))]
    node_dir: PathBuf,
    /// Exit with status 1 when any target is missed.
    #[arg(long)]
    strict: bool,
    /// Skip the engine decision runs.
    #[arg(long)]
    skip_decisions: bool,
    /// Skip the JWT comparison.
    #[arg(long)]
    skip_jwt: bool,
    /// Skip the cold start and binary sizes.
    #[arg(long)]
    skip_cold_start: bool,
    /// Skip the cleanup sweeps.
    #[arg(long)]
    skip_cleanup: bool,
}

/// What this machine is, for the record next to the numbers.
fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|m| m.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_else(|| "unknown CPU".into());
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or("?".into(), |kib| {
            format!("{:.1} GiB", kib as f64 / 1048576.0)
        });
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!(
        "{model}, {cpus} CPUs, {memory} RAM, Linux {}",
        kernel.trim()
    )
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    let args = Args::parse();
    let began = Instant::now();
    let sizes = decisions::Sizes {
        requests: args
            .requests
            .unwrap_or(if args.quick { 2_000 } else { 10_000 }),
        distinct: if args.quick { 200 } else { 1_000 },
        memory_iterations: if args.quick { 20_000 } else { 200_000 },
    };
    let bin_dir = args.bin_dir.clone().unwrap_or_else(|| {
        std::env::current_exe()
            .ok()
            .and_then(|p| p.parent().map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("target/release"))
    });
    println!("akua-bench{}", if args.quick { " --quick" } else { "" });
    println!("machine: {}", machine());
    if cfg!(debug_assertions) {
        println!("WARNING: a debug build; run with --release for meaningful numbers");
    }
    let mut targets = Targets::default();

    let engine_overhead = if args.skip_decisions {
        Vec::new()
    } else {
        decisions::engine_runs(&sizes, &mut targets).await
    };
    decisions::memory_runs(&sizes, &engine_overhead, &mut targets).await;

    if !args.skip_jwt {
        let timing = if args.quick {
            jwt_compare::Timing {
                seconds: 1.0,
                warmup_seconds: 0.3,
            }
        } else {
            jwt_compare::Timing {
                seconds: 5.0,
                warmup_seconds: 1.0,
            }
        };
        jwt_compare::run(&args.node_dir, &timing, &mut targets).await;
    }

    if !args.skip_cold_start {
        cold_start::binary_sizes(&bin_dir, &mut targets);
        cold_start::run(&bin_dir, if args.quick { 5 } else { 20 }, &mut targets).await;
    }

    if !args.skip_cleanup {
        cleanup::run(args.quick, &mut targets).await;
    }

    targets.print();
    println!("total time: {:.1} s", began.elapsed().as_secs_f64());
    if args.strict && targets.misses() > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
