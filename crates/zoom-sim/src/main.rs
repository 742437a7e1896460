//! `zoom-sim`: run the Zoom simulator as a process.

use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use zoom_sim::{DEFAULT_REFRESH_TOKEN_TTL_SECS, SimOptions, SimServer};

/// A faithful in-memory Zoom (OAuth, REST, webhooks) for developing and testing zoomsync.
///
/// Prints `zoom-sim listening on http://HOST:PORT` as its first line, then serves until
/// interrupted. Point the daemon at it with `zoom.oauth_base_url=http://HOST:PORT` and
/// `zoom.api_base_url=http://HOST:PORT/v2`; set it up through the control API under `/_sim/`
/// (see the crate's README.md). Logs go to stderr (`RUST_LOG`, default `warn`).
#[derive(Debug, Parser)]
#[command(name = "zoom-sim", version)]
struct Args {
    /// Interface to listen on.
    #[arg(long, env = "ZOOM_SIM_HOST", default_value = "127.0.0.1")]
    host: String,

    /// TCP port; 0 picks a free one (the first stdout line names it).
    #[arg(long, env = "ZOOM_SIM_PORT", default_value_t = 0)]
    port: u16,

    /// Enforce Zoom's per-account rate limits from the start (they can also be switched at run
    /// time with `PUT /_sim/rate-limits`).
    #[arg(long, env = "ZOOM_SIM_RATE_LIMITS")]
    rate_limits: bool,

    /// Multiply the webhook retry delays (5, 20 and 60 minutes) by this factor; 0.001 turns
    /// them into 0.3, 1.2 and 3.6 seconds.
    #[arg(long, env = "ZOOM_SIM_RETRY_SCALE", default_value_t = 1.0)]
    retry_scale: f64,

    /// Refresh token lifetime in seconds (default: 15 years, as Zoom documents).
    #[arg(long, env = "ZOOM_SIM_REFRESH_TOKEN_TTL", default_value_t = DEFAULT_REFRESH_TOKEN_TTL_SECS)]
    refresh_token_ttl: u64,

    /// How long a webhook receiver may take to answer, in milliseconds (Zoom: 3000).
    #[arg(long, env = "ZOOM_SIM_WEBHOOK_TIMEOUT_MS", default_value_t = 3000)]
    webhook_timeout_ms: u64,

    /// HTTP worker threads; 0 means one per CPU core.
    #[arg(long, env = "ZOOM_SIM_WORKERS", default_value_t = 0)]
    workers: usize,
}

fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();

    let options = SimOptions {
        host: args.host,
        port: args.port,
        rate_limits: args.rate_limits,
        retry_scale: args.retry_scale,
        refresh_token_ttl: Duration::from_secs(args.refresh_token_ttl),
        webhook_timeout: Duration::from_millis(args.webhook_timeout_ms),
        workers: args.workers,
        handle_signals: true,
    };
    let server = match SimServer::start(options) {
        Ok(server) => server,
        Err(e) => {
            eprintln!("zoom-sim: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "zoom-sim listening on {}", server.base_url());
    let _ = stdout.flush();
    server.wait();
    ExitCode::SUCCESS
}
