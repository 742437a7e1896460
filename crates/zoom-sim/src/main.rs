//! `zoom-sim`: run the Zoom simulator as a process.

use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use clap::{ArgAction, Parser, ValueEnum};
use zoom_sim::{DEFAULT_REFRESH_TOKEN_TTL_SECS, RetryAfterFormat, RetryTimestamp, SimOptions, SimServer};

/// `--retry-timestamp`, mirroring [`RetryTimestamp`] so the library types stay free of clap.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum RetryTimestampArg {
    First,
    Fresh,
}

/// `--retry-after`, mirroring [`RetryAfterFormat`].
#[derive(Clone, Copy, Debug, ValueEnum)]
enum RetryAfterArg {
    Iso8601,
    HttpDate,
    None,
}

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

    /// Which x-zm-request-timestamp a webhook retry carries: the first attempt's (as old on
    /// arrival as Zoom's would be, whatever --retry-scale) or a fresh one.
    #[arg(long, env = "ZOOM_SIM_RETRY_TIMESTAMP", value_enum, default_value = "first")]
    retry_timestamp: RetryTimestampArg,

    /// Whether refreshing an OAuth grant ends the access tokens it handed out before.
    #[arg(long, env = "ZOOM_SIM_REFRESH_ENDS_ACCESS_TOKEN", action = ArgAction::Set, default_value_t = true)]
    refresh_ends_access_token: bool,

    /// HTTP status of {code:124} for an invalid or expired access token (401 or 400).
    #[arg(long, env = "ZOOM_SIM_TOKEN_ERROR_STATUS", default_value_t = 401,
          value_parser = clap::value_parser!(u16).range(400..=401))]
    token_error_status: u16,

    /// HTTP status of an invalid_client answer from the token endpoint (400 or 401).
    #[arg(long, env = "ZOOM_SIM_INVALID_CLIENT_STATUS", default_value_t = 400,
          value_parser = clap::value_parser!(u16).range(400..=401))]
    invalid_client_status: u16,

    /// The form of Retry-After on a 429.
    #[arg(long, env = "ZOOM_SIM_RETRY_AFTER", value_enum, default_value = "iso8601")]
    retry_after: RetryAfterArg,
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
        retry_timestamp: match args.retry_timestamp {
            RetryTimestampArg::First => RetryTimestamp::First,
            RetryTimestampArg::Fresh => RetryTimestamp::Fresh,
        },
        refresh_ends_access_token: args.refresh_ends_access_token,
        token_error_status: args.token_error_status,
        invalid_client_status: args.invalid_client_status,
        retry_after: match args.retry_after {
            RetryAfterArg::Iso8601 => RetryAfterFormat::Iso8601,
            RetryAfterArg::HttpDate => RetryAfterFormat::HttpDate,
            RetryAfterArg::None => RetryAfterFormat::Absent,
        },
        daily_limits: Default::default(),
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
