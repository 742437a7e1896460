//! Webhook delivery (docs/zoom.md §1): events become signed deliveries, sent in order on one queue
//! per app and retried 5, 20 and 60 minutes after the first attempt (scaled by `--retry-scale`)
//! after a 5xx, a timeout or a connection error.
//!
//! All outbound HTTP runs on one small tokio runtime owned by the server thread, so that the
//! HTTP client's pooled connections always live on a runtime that keeps running.

mod delivery;
mod validation;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use actix_web::web::Bytes;
use parking_lot::Mutex;
use serde_json::{Value, json};
use tokio::sync::mpsc::UnboundedSender;

use self::delivery::{Delivery, Store};
use crate::clock::wall_ms;
use crate::control::types::{self, DeliveryStatus};
use crate::counters::Counters;
use crate::ids;
use crate::settings::Settings;
use crate::signature::sign_webhook;
use crate::state::{App, Subscription};

/// Where one event goes: an app's subscription as it was when the event happened.
pub struct Target {
    client_id: String,
    url: String,
    secret: String,
    enabled: bool,
}

impl Target {
    pub fn new(app: &App, sub: &Subscription) -> Self {
        Self {
            client_id: app.client_id.clone(),
            url: sub.url.clone(),
            secret: sub.secret_token.clone(),
            enabled: sub.enabled,
        }
    }
}

/// An event waiting to be turned into deliveries.
pub struct OutboundEvent {
    name: &'static str,
    payload: Value,
    targets: Vec<Target>,
}

impl OutboundEvent {
    pub fn new(name: &'static str, payload: Value, targets: Vec<Target>) -> Self {
        Self { name, payload, targets }
    }

    /// The compact JSON Zoom sends. `app_deauthorized` carries its `event_ts` inside the
    /// payload only (docs/zoom.md §1.5).
    fn body(&self) -> Bytes {
        let envelope = if self.name == "app_deauthorized" {
            json!({"event": self.name, "payload": self.payload})
        } else {
            json!({"event": self.name, "event_ts": wall_ms(), "payload": self.payload})
        };
        Bytes::from(serde_json::to_vec(&envelope).unwrap_or_default())
    }
}

pub struct Webhooks {
    inner: Arc<Inner>,
}

struct Inner {
    store: Mutex<Store>,
    queues: Mutex<HashMap<String, UnboundedSender<u64>>>,
    counters: Arc<Counters>,
    client: reqwest::Client,
    runtime: tokio::runtime::Handle,
    retry_scale: f64,
    settings: Arc<Settings>,
}

impl Webhooks {
    pub fn new(
        runtime: tokio::runtime::Handle,
        counters: Arc<Counters>,
        timeout: Duration,
        retry_scale: f64,
        settings: Arc<Settings>,
    ) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            // Zoom does not follow redirects: a 3xx is a failed delivery.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("Zoom Marketplace/1.0a")
            .build()?;
        let inner = Inner {
            store: Mutex::new(Store::default()),
            queues: Mutex::new(HashMap::new()),
            counters,
            client,
            runtime,
            retry_scale,
            settings,
        };
        Ok(Self { inner: Arc::new(inner) })
    }

    /// Records a delivery per target and queues it. Called under the world lock, so deliveries
    /// are queued in the order their changes happened.
    pub fn publish(&self, events: Vec<OutboundEvent>) {
        for event in events {
            let body = event.body();
            for target in event.targets {
                let timestamp = (wall_ms() / 1000).to_string();
                let signature = sign_webhook(&target.secret, &timestamp, &body);
                let status = if target.enabled { DeliveryStatus::Pending } else { DeliveryStatus::Dropped };
                let id = self.inner.store.lock().push(Delivery {
                    client_id: target.client_id.clone(),
                    event: event.name,
                    url: target.url,
                    status,
                    attempts: Vec::new(),
                    body: body.clone(),
                    timestamp,
                    signature,
                    request_id: ids::request_id(),
                    secret: target.secret,
                });
                if target.enabled {
                    self.enqueue(&target.client_id, id);
                } else {
                    // A disabled subscription: Zoom never sends it.
                    self.inner.counters.update(|c| c.webhooks.dropped += 1);
                }
            }
        }
    }

    fn enqueue(&self, client_id: &str, id: u64) {
        let mut queues = self.inner.queues.lock();
        if let Some(tx) = queues.get(client_id)
            && tx.send(id).is_ok()
        {
            return;
        }
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let _ = tx.send(id);
        self.inner.runtime.spawn(delivery::run_queue(self.inner.clone(), rx));
        queues.insert(client_id.to_owned(), tx);
    }

    pub fn list(&self, client_id: Option<&str>, event: Option<&str>) -> Vec<types::Delivery> {
        self.inner.store.lock().list(client_id, event)
    }

    /// Sends delivery `id` again now, with the same bytes and headers; `None` if unknown.
    pub async fn redeliver(&self, id: u64) -> Option<types::Redelivery> {
        let inner = self.inner.clone();
        let task = self.inner.runtime.spawn(async move { delivery::redeliver(&inner, id).await });
        task.await.ok().flatten()
    }

    /// Runs `endpoint.url_validation` against `url` now.
    pub async fn validate(&self, url: String, secret: String) -> types::Validation {
        let client = self.inner.client.clone();
        let task = self.inner.runtime.spawn(async move { validation::validate(&client, &url, &secret).await });
        task.await.unwrap_or_else(|e| types::Validation {
            ok: false,
            status: None,
            detail: format!("validation task failed: {e}"),
        })
    }
}
