//! The delivery log, the per-app queues and the retry schedule.

use std::sync::Arc;
use std::time::Duration;

use actix_web::web::Bytes;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::Instant;

use super::Inner;
use crate::clock::{wall_ms, zoom_time};
use crate::control::types::{self, Attempt, DeliveryStatus, RetryTimestamp};
use crate::signature::sign_webhook;

/// Zoom retries about 5, 20 and 60 minutes after the first attempt (docs/zoom.md §1.4, as the
/// December corrections read Zoom's schedule), each offset scaled by `--retry-scale`.
pub const RETRY_OFFSETS_SECS: [f64; 3] = [300.0, 1200.0, 3600.0];

pub struct Delivery {
    pub client_id: String,
    pub event: &'static str,
    pub url: String,
    pub status: DeliveryStatus,
    pub attempts: Vec<Attempt>,
    pub body: Bytes,
    pub timestamp: String,
    pub signature: String,
    pub request_id: String,
    /// The subscription's secret when the event happened, to sign retries stamped anew.
    pub secret: String,
}

/// Every delivery ever made; ids are 1-based positions.
#[derive(Default)]
pub struct Store {
    deliveries: Vec<Delivery>,
}

impl Store {
    pub fn push(&mut self, delivery: Delivery) -> u64 {
        self.deliveries.push(delivery);
        self.deliveries.len() as u64
    }

    fn get(&self, id: u64) -> Option<&Delivery> {
        self.deliveries.get(usize::try_from(id).ok()?.checked_sub(1)?)
    }

    fn get_mut(&mut self, id: u64) -> Option<&mut Delivery> {
        self.deliveries.get_mut(usize::try_from(id).ok()?.checked_sub(1)?)
    }

    pub fn list(&self, client_id: Option<&str>, event: Option<&str>) -> Vec<types::Delivery> {
        self.deliveries
            .iter()
            .enumerate()
            .filter(|(_, d)| client_id.is_none_or(|c| d.client_id == c))
            .filter(|(_, d)| event.is_none_or(|e| d.event == e))
            .map(|(i, d)| types::Delivery {
                id: i as u64 + 1,
                client_id: d.client_id.clone(),
                event: d.event.to_owned(),
                url: d.url.clone(),
                status: d.status,
                attempts: d.attempts.clone(),
                body: String::from_utf8_lossy(&d.body).into_owned(),
                timestamp: d.timestamp.clone(),
                signature: d.signature.clone(),
                request_id: d.request_id.clone(),
            })
            .collect()
    }
}

/// How one attempt went.
enum Outcome {
    Delivered,
    /// 3xx/4xx: Zoom does not retry.
    Refused,
    /// >= 500, timeout, connection error.
    Retryable,
}

struct Sent {
    status: Option<u16>,
    error: Option<String>,
}

impl Sent {
    fn outcome(&self) -> Outcome {
        match self.status {
            Some(s) if (200..300).contains(&s) => Outcome::Delivered,
            Some(s) if s < 500 => Outcome::Refused,
            _ => Outcome::Retryable,
        }
    }
}

async fn send(inner: &Inner, d: &Request, stamp: &Stamp) -> Sent {
    let result = inner
        .client
        .post(&d.url)
        .header("content-type", "application/json; charset=utf-8")
        .header("x-zm-request-timestamp", &stamp.timestamp)
        .header("x-zm-signature", &stamp.signature)
        .header("x-zm-request-id", &d.request_id)
        .body(d.body.clone())
        .send()
        .await;
    match result {
        Ok(res) => Sent { status: Some(res.status().as_u16()), error: None },
        Err(e) if e.is_timeout() => Sent { status: None, error: Some("timeout".to_owned()) },
        Err(e) if e.is_connect() => Sent { status: None, error: Some(format!("connection error: {e}")) },
        Err(e) => Sent { status: None, error: Some(format!("request error: {e}")) },
    }
}

/// What a send needs, copied out of the store so no lock is held across the request.
struct Request {
    url: String,
    body: Bytes,
    first: Stamp,
    request_id: String,
    secret: String,
}

/// The timestamp an attempt carries and the signature over it.
#[derive(Clone, PartialEq, Eq, Debug)]
struct Stamp {
    timestamp: String,
    signature: String,
}

fn request(inner: &Inner, id: u64) -> Option<Request> {
    let store = inner.store.lock();
    let d = store.get(id)?;
    Some(Request {
        url: d.url.clone(),
        body: d.body.clone(),
        first: Stamp { timestamp: d.timestamp.clone(), signature: d.signature.clone() },
        request_id: d.request_id.clone(),
        secret: d.secret.clone(),
    })
}

/// The first attempt's timestamp as it stands on the simulated timeline at retry `offset_secs`
/// (unscaled): with `scale` 1 it is the first attempt's own; with a smaller scale it is moved
/// back so that the retry arrives exactly as old as Zoom's would, which is what a receiver's
/// replay window has to survive.
fn first_on_sim_timeline(first: &str, offset_secs: f64, scale: f64) -> Option<String> {
    let first_secs: i64 = first.parse().ok()?;
    // Saturating casts: an absurd scale yields an absurd but harmless timestamp.
    let shift = (offset_secs * scale - offset_secs).round() as i64;
    Some(first_secs.saturating_add(shift).to_string())
}

/// What attempt `retry` (None for the first attempt, else the retry's index) carries.
fn stamp(inner: &Inner, req: &Request, retry: Option<usize>) -> Stamp {
    let Some(n) = retry else {
        return req.first.clone();
    };
    let timestamp = match inner.settings.retry_timestamp() {
        RetryTimestamp::Fresh => (wall_ms() / 1000).to_string(),
        RetryTimestamp::First => {
            let offset = RETRY_OFFSETS_SECS.get(n).copied().unwrap_or(0.0);
            first_on_sim_timeline(&req.first.timestamp, offset, inner.retry_scale)
                .unwrap_or_else(|| req.first.timestamp.clone())
        }
    };
    if timestamp == req.first.timestamp {
        return req.first.clone();
    }
    let signature = sign_webhook(&req.secret, &timestamp, &req.body);
    Stamp { timestamp, signature }
}

fn record(inner: &Inner, id: u64, sent: &Sent, stamp: Stamp, status: DeliveryStatus) {
    let mut store = inner.store.lock();
    if let Some(d) = store.get_mut(id) {
        d.attempts.push(Attempt {
            at: zoom_time(chrono::Utc::now()),
            status: sent.status,
            error: sent.error.clone(),
            timestamp: stamp.timestamp,
            signature: stamp.signature,
        });
        d.status = status;
    }
}

/// One scheduled attempt (`retry`: None for the first, else the retry's index); the third
/// retry is the last.
async fn attempt(inner: &Inner, id: u64, retry: Option<usize>) -> Option<Outcome> {
    let req = request(inner, id)?;
    let stamp = stamp(inner, &req, retry);
    let sent = send(inner, &req, &stamp).await;
    let outcome = sent.outcome();
    let last = retry.is_some_and(|n| n + 1 == RETRY_OFFSETS_SECS.len());
    let status = match (&outcome, last) {
        (Outcome::Delivered, _) => DeliveryStatus::Delivered,
        (Outcome::Refused, _) | (Outcome::Retryable, true) => DeliveryStatus::Failed,
        (Outcome::Retryable, false) => DeliveryStatus::Pending,
    };
    record(inner, id, &sent, stamp, status);
    inner.counters.update(|c| match outcome {
        Outcome::Delivered => c.webhooks.delivered += 1,
        _ => c.webhooks.failed_attempts += 1,
    });
    Some(outcome)
}

/// Sends one app's deliveries in order; failures are retried on their own schedule so that a
/// dead receiver does not hold back later events for an hour.
pub async fn run_queue(inner: Arc<Inner>, mut rx: UnboundedReceiver<u64>) {
    while let Some(id) = rx.recv().await {
        let first_sent = Instant::now();
        if let Some(Outcome::Retryable) = attempt(&inner, id, None).await {
            let inner = inner.clone();
            tokio::spawn(async move { retry(&inner, id, first_sent).await });
        }
    }
}

/// Zoom's schedule, counted from the first attempt: +5, +20 and +60 minutes, scaled.
async fn retry(inner: &Inner, id: u64, first_sent: Instant) {
    for (n, offset) in RETRY_OFFSETS_SECS.iter().enumerate() {
        let wait = Duration::try_from_secs_f64(offset * inner.retry_scale).unwrap_or(Duration::MAX);
        let Some(at) = first_sent.checked_add(wait) else {
            // Beyond any representable time: the retry would never come.
            return;
        };
        tokio::time::sleep_until(at).await;
        inner.counters.update(|c| c.webhooks.retries += 1);
        match attempt(inner, id, Some(n)).await {
            Some(Outcome::Retryable) => continue,
            _ => return,
        }
    }
}

/// Sends a delivery again, now, byte for byte (the first attempt's headers, whatever
/// `retry_timestamp` says: this is the same request seen twice).
pub async fn redeliver(inner: &Inner, id: u64) -> Option<types::Redelivery> {
    let req = request(inner, id)?;
    let stamp = req.first.clone();
    let sent = send(inner, &req, &stamp).await;
    let delivered = matches!(sent.outcome(), Outcome::Delivered);
    let status = {
        let store = inner.store.lock();
        let current = store.get(id).map_or(DeliveryStatus::Failed, |d| d.status);
        if delivered { DeliveryStatus::Delivered } else { current }
    };
    record(inner, id, &sent, stamp, status);
    inner.counters.update(|c| {
        if delivered {
            c.webhooks.delivered += 1;
        } else {
            c.webhooks.failed_attempts += 1;
        }
    });
    Some(types::Redelivery { status: sent.status, error: sent.error })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_full_scale_a_retry_keeps_the_first_timestamp() {
        for offset in RETRY_OFFSETS_SECS {
            assert_eq!(first_on_sim_timeline("1739923528", offset, 1.0).as_deref(), Some("1739923528"));
        }
    }

    #[test]
    fn under_a_scale_the_third_retry_arrives_an_hour_old() {
        // 3600 s scaled by 0.001 is 3.6 s of real time; the timestamp is moved back the rest.
        assert_eq!(first_on_sim_timeline("1739923528", 3600.0, 0.001).as_deref(), Some("1739919932"));
        assert_eq!(first_on_sim_timeline("1739923528", 300.0, 0.0).as_deref(), Some("1739923228"));
        assert_eq!(first_on_sim_timeline("not a number", 300.0, 0.5), None);
    }
}
