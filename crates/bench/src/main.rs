//! `bench`: zoomsync's benchmarks. Starts zoom-sim and the daemon (release binaries, separate
//! processes, loopback), drives them through eight scenarios on SQLite and on PostgreSQL, and
//! prints the figures as Markdown tables with each target met or missed. See BENCHMARKS.md.
//!
//! ```sh
//! cargo run --release -p bench -- --quick      # under two minutes
//! cargo run --release -p bench                 # the full sizes
//! ```

mod database;
mod load;
mod options;
mod processes;
mod report;
mod scenarios;
mod setup;
mod stats;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use anyhow::{Context as _, Result, anyhow, bail};
use clap::Parser as _;

use crate::options::{Options, Sizes};
use crate::scenarios::Context;

fn main() -> ExitCode {
    let options = Options::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("bench: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Ctrl-C ends the run through the normal path, so every child process is killed and every
    // schema dropped.
    let outcome = runtime.block_on(async {
        tokio::select! {
            outcome = run(&options) => outcome,
            _ = tokio::signal::ctrl_c() => Err(anyhow!("interrupted")),
        }
    });
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(options: &Options) -> Result<()> {
    let bin_dir = match &options.bin_dir {
        Some(dir) => dir.clone(),
        None => {
            let dir = own_dir()?;
            if !options.no_build {
                build(&dir)?;
            }
            dir
        }
    };
    let sizes = Sizes::of(options);
    settle();
    let load_before = load_average();
    let started = Instant::now();
    let mut reports = Vec::new();
    let mut failures = 0;
    for &backend in &options.backend {
        let ctx = Context { options, bin_dir: &bin_dir, backend };
        let results = scenarios::run_backend(&ctx, &sizes, &options.scenario).await;
        failures += results.failures();
        reports.push(report::render(backend, &sizes, options.quick, &results));
    }
    println!("## zoomsync benchmarks{}\n", if options.quick { " (--quick)" } else { "" });
    println!("{}", machine_line());
    println!("Load average (1 min) before: {load_before}, after: {}\n", load_average());
    for report in reports {
        println!("{report}");
    }
    println!("Total wall time: {:.0} s", started.elapsed().as_secs_f64());
    if failures > 0 {
        bail!("{failures} scenario(s) failed");
    }
    Ok(())
}

/// The directory of this executable: cargo's target/release when run through cargo.
fn own_dir() -> Result<PathBuf> {
    let exe = std::env::current_exe().context("locating the bench executable")?;
    exe.parent().map(Path::to_path_buf).ok_or_else(|| anyhow!("{} has no directory", exe.display()))
}

/// Builds the daemon and the simulator in release mode into the same target directory as this
/// executable (a no-op when they are up to date).
fn build(bin_dir: &Path) -> Result<()> {
    if bin_dir.file_name().and_then(|n| n.to_str()) != Some("release") {
        bail!(
            "{} is not a cargo release directory: pass --bin-dir with the zoomsync and zoom-sim binaries, or run through \
             `cargo run --release -p bench`",
            bin_dir.display()
        );
    }
    let target_dir = bin_dir.parent().ok_or_else(|| anyhow!("{} has no parent", bin_dir.display()))?;
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    eprintln!("building zoomsync, zoom-sim and the forwarder (release) ...");
    let status = Command::new(cargo)
        .current_dir(&workspace)
        .args([
            "build",
            "--release",
            "--quiet",
            "-p",
            "zoomsync",
            "-p",
            "zoom-sim",
            "-p",
            "bench",
            "--bins",
            "--target-dir",
        ])
        .arg(target_dir)
        .status()
        .context("running cargo build")?;
    if !status.success() {
        bail!("cargo build of zoomsync and zoom-sim failed ({status})");
    }
    Ok(())
}

/// Writes out what the kernel still holds dirty, before anything is measured. A build just
/// before (this bench's own, or one by hand) leaves 100 to 250 MB of freshly linked binaries
/// that the kernel would write back within the next half minute (`vm.dirty_expire_centisecs`),
/// on the two cores the join scenario measures. Hygiene: no run was seen to differ by it.
fn settle() {
    if let Err(e) = Command::new("sync").status() {
        eprintln!("could not run sync ({e}); the figures may carry a recent build's disk writes");
    }
}

/// The 1-minute load average: how busy the shared machine was.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

/// CPU, cores, memory and date, for the record.
fn machine_line() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name").and_then(|r| r.split(':').nth(1)))
        .map(str::trim)
        .unwrap_or("unknown CPU");
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    let memory = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|r| r.split_whitespace().next().and_then(|kib| kib.parse::<u64>().ok()))
        .map(|kib| format!("{:.0} GiB", kib as f64 / 1024.0 / 1024.0))
        .unwrap_or_else(|| "? GiB".into());
    format!("Machine: {model}, {cores} cores, {memory} RAM; {}", chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"))
}
