//! The delivery log, the per-app queues and the retry schedule.

use std::sync::Arc;

use actix_web::web::Bytes;
use tokio::sync::mpsc::UnboundedReceiver;

use super::Inner;
use crate::clock::zoom_time;
use crate::control::types::{self, Attempt, DeliveryStatus};

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

async fn send(inner: &Inner, d: &Request) -> Sent {
    let result = inner
        .client
        .post(&d.url)
        .header("content-type", "application/json; charset=utf-8")
        .header("x-zm-request-timestamp", &d.timestamp)
        .header("x-zm-signature", &d.signature)
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
    timestamp: String,
    signature: String,
    request_id: String,
}

fn request(inner: &Inner, id: u64) -> Option<Request> {
    let store = inner.store.lock();
    let d = store.get(id)?;
    Some(Request {
        url: d.url.clone(),
        body: d.body.clone(),
        timestamp: d.timestamp.clone(),
        signature: d.signature.clone(),
        request_id: d.request_id.clone(),
    })
}

fn record(inner: &Inner, id: u64, sent: &Sent, status: DeliveryStatus) {
    let mut store = inner.store.lock();
    if let Some(d) = store.get_mut(id) {
        d.attempts.push(Attempt { at: zoom_time(chrono::Utc::now()), status: sent.status, error: sent.error.clone() });
        d.status = status;
    }
}

/// One scheduled attempt; `last` marks the final retry.
async fn attempt(inner: &Inner, id: u64, last: bool) -> Option<Outcome> {
    let req = request(inner, id)?;
    let sent = send(inner, &req).await;
    let outcome = sent.outcome();
    let status = match (&outcome, last) {
        (Outcome::Delivered, _) => DeliveryStatus::Delivered,
        (Outcome::Refused, _) | (Outcome::Retryable, true) => DeliveryStatus::Failed,
        (Outcome::Retryable, false) => DeliveryStatus::Pending,
    };
    record(inner, id, &sent, status);
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
        if let Some(Outcome::Retryable) = attempt(&inner, id, false).await {
            let inner = inner.clone();
            tokio::spawn(async move { retry(&inner, id).await });
        }
    }
}

/// Zoom's schedule: 5 min after the first attempt, 20 min after the first retry, 60 min after
/// the second (docs/zoom.md §1.4).
async fn retry(inner: &Inner, id: u64) {
    let delays = inner.retry_delays;
    for (i, delay) in delays.iter().enumerate() {
        tokio::time::sleep(*delay).await;
        inner.counters.update(|c| c.webhooks.retries += 1);
        match attempt(inner, id, i + 1 == delays.len()).await {
            Some(Outcome::Retryable) => continue,
            _ => return,
        }
    }
}

/// Sends a delivery again, now, byte for byte.
pub async fn redeliver(inner: &Inner, id: u64) -> Option<types::Redelivery> {
    let req = request(inner, id)?;
    let sent = send(inner, &req).await;
    let delivered = matches!(sent.outcome(), Outcome::Delivered);
    let status = {
        let store = inner.store.lock();
        let current = store.get(id).map_or(DeliveryStatus::Failed, |d| d.status);
        if delivered { DeliveryStatus::Delivered } else { current }
    };
    record(inner, id, &sent, status);
    inner.counters.update(|c| {
        if delivered {
            c.webhooks.delivered += 1;
        } else {
            c.webhooks.failed_attempts += 1;
        }
    });
    Some(types::Redelivery { status: sent.status, error: sent.error })
}
