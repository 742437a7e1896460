//! What keeps idle, slow or stalled clients from starving the endpoints bots and Zoom need:
//! a short wait for each request's headers, a deadline for its body, and as many connections as
//! the process's open-file limit allows (past it, new connections wait in the kernel's backlog
//! instead of failing the whole process with `EMFILE`).
//!
//! Two things were tried and taken out, measured with 2,000 idle connections and 500 stalled
//! bodies against 1,024 open files (`hostile::with_1024_open_files_...`):
//! - Deferred accept (`TCP_DEFER_ACCEPT`, which keeps a connection that has sent nothing from
//!   the process): a pooled client connection left unused for about 20 s lost its first request
//!   (its data dropped while the kernel still held the connection back), and a bot waited out
//!   its timeout.
//! - A 4,096 backlog: the idle crowd then queues ahead of a bot, which waited 3.6 s for the
//!   header deadline to recycle the slots. With the standard library's 128, the kernel turns
//!   the crowd's surplus away and the bot is served within the second.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::HttpMessage as _;
use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use futures_util::Stream;

/// A request's headers must arrive within this (actix's `client_request_timeout`).
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(2);
/// File descriptors kept for everything but client connections: database pool, Zoom clients,
/// log and data files.
const RESERVED_FILES: u64 = 128;
/// actix's own default, the most a worker takes when the limit is generous.
const MOST_CONNECTIONS: usize = 25_000;

/// Connections each of `workers` may hold: the open-file limit, less a reserve, shared out.
pub fn connections_per_worker(workers: usize) -> usize {
    let files = open_file_limit().unwrap_or(MOST_CONNECTIONS as u64 * workers as u64);
    let per_worker = files.saturating_sub(RESERVED_FILES) / workers.max(1) as u64;
    (per_worker as usize).clamp(16, MOST_CONNECTIONS)
}

/// The soft `RLIMIT_NOFILE`, read from `/proc/self/limits` (Linux); `None` elsewhere or when
/// unlimited.
fn open_file_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.trim_start_matches("Max open files").split_whitespace().next()?.parse().ok()
}

/// Middleware: the request's body must be read in full within `deadline` of the request's
/// start, else reading it fails (a 4xx from the extractor) and the connection closes.
pub async fn body_deadline(
    deadline: Duration,
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    // Requests without a body (every bot's GET) pay for no timer.
    if !has_body(&req) {
        return next.call(req).await;
    }
    let body = req.take_payload();
    let timer = Box::pin(tokio::time::sleep(deadline));
    req.set_payload(Payload::Stream { payload: Box::pin(Deadlined { body, timer }) });
    next.call(req).await
}

/// Whether the request announces a body: HTTP/1.1 has one only with `Transfer-Encoding` or a
/// non-zero `Content-Length`.
fn has_body(req: &ServiceRequest) -> bool {
    use actix_web::http::header::{CONTENT_LENGTH, TRANSFER_ENCODING};
    let headers = req.headers();
    if headers.contains_key(TRANSFER_ENCODING) {
        return true;
    }
    match headers.get(CONTENT_LENGTH) {
        Some(length) => length.to_str().map_or(true, |v| v.trim() != "0"),
        None => false,
    }
}

struct Deadlined {
    body: Payload,
    timer: Pin<Box<tokio::time::Sleep>>,
}

impl Stream for Deadlined {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Poll::Ready(next) = Pin::new(&mut self.body).poll_next(cx) {
            return Poll::Ready(next);
        }
        match self.timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the request body did not arrive in time",
            ))))),
            Poll::Pending => Poll::Pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_fit_inside_the_open_file_limit() {
        let per_worker = connections_per_worker(2);
        if let Some(files) = open_file_limit() {
            assert!(
                (per_worker as u64) * 2 + RESERVED_FILES <= files.max(RESERVED_FILES + 32),
                "{per_worker} of {files}"
            );
        }
        assert!((16..=MOST_CONNECTIONS).contains(&per_worker));
    }
}
