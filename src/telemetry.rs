//! Logging: `tracing` to stderr, filtered by `RUST_LOG` (default `info`), as text or, with
//! `--log-json` / `ZOOMSYNC_LOG_FORMAT=json`, one JSON object per line.
//!
//! Nothing here may print a secret. In particular requests are logged by path only: bot token
//! URLs carry `secret=` in their query string, so the query is never logged.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use tracing_subscriber::EnvFilter;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl LogFormat {
    /// `--log-json` wins; otherwise `ZOOMSYNC_LOG_FORMAT=json` selects JSON.
    pub fn choose(json_flag: bool) -> Self {
        let from_env = std::env::var("ZOOMSYNC_LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json"));
        if json_flag || from_env { Self::Json } else { Self::Text }
    }
}

/// Installs the global subscriber. Safe to call more than once (later calls do nothing).
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // Colours only for a person at a terminal: a log file or journald would keep the escapes.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// Logs each request's method, path (never the query), status and duration.
pub async fn log_requests(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.path().to_owned();
    let response = next.call(request).await;
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    match &response {
        Ok(response) => {
            let status = response.status().as_u16();
            if status >= 500 {
                tracing::warn!(%method, %path, status, elapsed_ms, "request");
            } else {
                tracing::info!(%method, %path, status, elapsed_ms, "request");
            }
        }
        Err(error) => tracing::warn!(%method, %path, %error, elapsed_ms, "request failed"),
    }
    response
}
