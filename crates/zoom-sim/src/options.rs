//! Start-up options, shared by the library (`SimServer::start`) and the binary's flags.

use std::io;
use std::time::Duration;

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
        Ok(())
    }

    pub(crate) fn worker_count(&self) -> usize {
        if self.workers > 0 { self.workers } else { std::thread::available_parallelism().map_or(2, |n| n.get()) }
    }

    /// The webhook retry delays after the first attempt, scaled.
    pub(crate) fn retry_delays(&self) -> [Duration; 3] {
        [300.0, 1200.0, 3600.0].map(|secs: f64| Duration::from_secs_f64(secs * self.retry_scale))
    }
}
