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

/// The header a request's id travels in: taken from the client (a proxy or a bot that made
/// one) when it is a sane token, else made here; returned on the answer either way.
pub const REQUEST_ID: &str = "x-request-id";

/// Logs each request's method, path (never the query), status and duration, with every log line
/// written while handling it carrying its `request_id`.
pub async fn log_requests(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    use tracing::Instrument as _;
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.path().to_owned();
    let id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_request_id(v))
        .map_or_else(new_request_id, str::to_owned);
    let span = tracing::info_span!("request", request_id = %id);
    let mut response = next.call(request).instrument(span.clone()).await;
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    let _in_span = span.enter();
    match &mut response {
        Ok(response) => {
            let status = response.status().as_u16();
            if status >= 500 {
                tracing::warn!(%method, %path, status, elapsed_ms, "request");
            } else {
                tracing::info!(%method, %path, status, elapsed_ms, "request");
            }
            if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&id) {
                response.headers_mut().insert(actix_web::http::header::HeaderName::from_static(REQUEST_ID), value);
            }
        }
        Err(error) => tracing::warn!(%method, %path, %error, elapsed_ms, "request failed"),
    }
    response
}

/// A random id for a request that brought none: from the thread's random generator, not
/// `Uuid::new_v4`, which asks the kernel (a system call) on every request.
fn new_request_id() -> String {
    uuid::Builder::from_random_bytes(rand::random()).into_uuid().simple().to_string()
}

/// 1 to 128 of `A-Z a-z 0-9 . _ : -`: what ids from proxies and tracing systems look like, and
/// nothing a log line could be forged with.
fn is_request_id(value: &str) -> bool {
    (1..=128).contains(&value.len())
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}
