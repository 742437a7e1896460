//! Start-up options, shared by the library (`SimServer::start`) and the binary's flags.

use std::io;
use std::time::Duration;

use crate::control::types::{DailyLimits, RetryAfterFormat, RetryTimestamp, Settings};

/// How a simulator instance behaves. `SimOptions::default()` suits tests: loopback, a random
/// port, rate limits off, Zoom's real retry schedule.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// Interface to bind, e.g. `127.0.0.1` or `0.0.0.0`.
    pub host: String,
    /// TCP port; 0 picks a free one (read it back from `SimServer::base_url`).
    pub port: u16,
    /// Enforce Zoom's per-account rate limits from the start (also switchable at run time).
    pub rate_limits: bool,
    /// Multiplies the webhook retry delays (5, 20 and 60 minutes); 0.001 makes them 0.3 s,
    /// 1.2 s and 3.6 s.
    pub retry_scale: f64,
    /// Lifetime of refresh tokens (Zoom says 15 years; some sources say 90 days).
    pub refresh_token_ttl: Duration,
    /// How long a webhook receiver may take to answer (Zoom: 3 s).
    pub webhook_timeout: Duration,
    /// HTTP worker threads; 0 means one per CPU core.
    pub workers: usize,
    /// Let the server stop itself on SIGINT/SIGTERM (the binary); off for in-process use.
    pub handle_signals: bool,
    /// Which `x-zm-request-timestamp` a webhook retry carries: the first attempt's (default) or
    /// a fresh one. Switchable with `PATCH /_sim/settings`.
    pub retry_timestamp: RetryTimestamp,
    /// Whether a refresh ends the access tokens the grant handed out before it (default true;
    /// docs/zoom.md §2.3 leaves it unconfirmed).
    pub refresh_ends_access_token: bool,
    /// The status of `{code:124}` for an invalid or expired access token: 401 (default) or 400.
    pub token_error_status: u16,
    /// The status of an `invalid_client` OAuth answer: 400 (default) or 401.
    pub invalid_client_status: u16,
    /// The form of `Retry-After` on a 429 (default ISO 8601).
    pub retry_after: RetryAfterFormat,
    /// Daily caps per plan and category (default: Zoom's table, docs/zoom.md §4); they apply
    /// while rate limits are on. Changeable with `PUT /_sim/daily-limits/{plan}/{category}`.
    pub daily_limits: DailyLimits,
}

/// Zoom's documented refresh token lifetime: 15 years.
pub const DEFAULT_REFRESH_TOKEN_TTL_SECS: u64 = 15 * 365 * 24 * 3600;

impl Default for SimOptions {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".to_owned(),
            port: 0,
            rate_limits: false,
            retry_scale: 1.0,
            refresh_token_ttl: Duration::from_secs(DEFAULT_REFRESH_TOKEN_TTL_SECS),
            webhook_timeout: Duration::from_secs(3),
            workers: 0,
            handle_signals: false,
            retry_timestamp: RetryTimestamp::First,
            refresh_ends_access_token: true,
            token_error_status: 401,
            invalid_client_status: 400,
            retry_after: RetryAfterFormat::Iso8601,
            daily_limits: DailyLimits::default(),
        }
    }
}

impl SimOptions {
    /// Refuses values the simulator cannot run with, naming the option.
    pub(crate) fn validate(&self) -> io::Result<()> {
        let invalid = |msg: &str| Err(io::Error::new(io::ErrorKind::InvalidInput, msg.to_owned()));
        if !self.retry_scale.is_finite() || self.retry_scale < 0.0 {
            return invalid("retry_scale must be a finite number >= 0");
        }
        if self.webhook_timeout.is_zero() {
            return invalid("webhook_timeout must be > 0");
        }
        if self.refresh_token_ttl.is_zero() || self.refresh_token_ttl.as_secs() > 100 * 365 * 86_400 {
            return invalid("refresh_token_ttl must be between 1 s and 100 years");
        }
        crate::settings::check(&self.settings()).map_err(|msg| io::Error::new(io::ErrorKind::InvalidInput, msg))
    }

    /// The run-time switches these options start with.
    pub(crate) fn settings(&self) -> Settings {
        Settings {
            retry_timestamp: self.retry_timestamp,
            refresh_ends_access_token: self.refresh_ends_access_token,
            token_error_status: self.token_error_status,
            invalid_client_status: self.invalid_client_status,
            retry_after: self.retry_after,
        }
    }

    pub(crate) fn worker_count(&self) -> usize {
        if self.workers > 0 { self.workers } else { std::thread::available_parallelism().map_or(2, |n| n.get()) }
    }
}
