//! The delivery worker: every process runs one. It claims due deliveries from the outbox
//! with a lease (so that each is attempted by one worker at a time across replicas), sends
//! each as a signed Standard Webhook, records the attempt, and schedules the next one after a
//! failure by `webhooks_out.retry_schedule` (more than a day by default); once the schedule is
//! used up the delivery is `failed` and the next one of its credential goes.
//!
//! Delivery is at least once: a receiver that took an event but whose answer we never saw
//! (a crash, a timeout) gets it again with the same `webhook-id`, which is what receivers
//! deduplicate on.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use secrecy::ExposeSecret as _;

use super::{signature, target};
use crate::config::OutboundSettings;
use crate::crypto::{Cipher, Field};
use crate::db::Db;
use crate::db::models::outbound_events;
use crate::db::models::webhook_deliveries::{self, Attempt, DeliveryRow};
use crate::db::models::webhook_endpoints;
use crate::time;

/// How often an idle worker looks for due deliveries (a retry due, another replica's event).
const POLL: Duration = Duration::from_secs(1);
/// Deliveries one round claims at most; they go out concurrently.
const BATCH: i64 = 32;
/// An error or status shown for an attempt is cut to this many characters.
const SHOWN: usize = 300;

/// A claimed delivery's lease outlives its attempt by this: a worker killed mid-attempt holds it
/// up for no longer than the attempt's timeout and this.
const LEASE_MARGIN: Duration = Duration::from_secs(5);

static WAKE: tokio::sync::Notify = tokio::sync::Notify::const_new();

/// Tells the workers of this process that an event was recorded (they look at once, and
/// otherwise within [`POLL`]).
pub fn wake() {
    WAKE.notify_waiters();
}

/// What one attempt came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attempted {
    Delivered,
    /// Not taken; another attempt is scheduled.
    Retry,
    /// Not taken, and the retries are used up.
    GivenUp,
}

pub type Observer = Arc<dyn Fn(Attempted) + Send + Sync>;

pub struct Deliverer {
    db: Db,
    cipher: Cipher,
    client: reqwest::Client,
    settings: OutboundSettings,
    /// Told of every attempt's outcome (the process's metrics, wired by `startup`: this
    /// module does not import `metrics`, which stands above `webhooks`).
    observe: Observer,
    /// This process's name on delivery leases.
    owner: String,
}

impl Deliverer {
    pub fn new(db: Db, cipher: Cipher, settings: OutboundSettings, observe: Observer) -> anyhow::Result<Arc<Self>> {
        let client = target::client(settings.allow_private_addresses, settings.timeout)?;
        Ok(Arc::new(Self { db, cipher, client, settings, observe, owner: uuid::Uuid::new_v4().to_string() }))
    }

    /// Runs until the process ends.
    pub async fn run(self: Arc<Self>) {
        loop {
            let attempted = match self.round().await {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!(error = %e, "outbound event delivery: could not read the outbox; will retry");
                    0
                }
            };
            if attempted == 0 {
                let woken = WAKE.notified();
                tokio::select! {
                    () = woken => {
                        // The event is recorded inside its transaction: give it a moment to commit.
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                    () = tokio::time::sleep(POLL) => {}
                }
            }
        }
    }

    /// Claims what is due and attempts it; returns how many were attempted.
    pub async fn round(self: &Arc<Self>) -> Result<usize, crate::db::DbError> {
        let now = time::now();
        let due = self.db.read(move |conn| webhook_deliveries::claimable(conn, now, BATCH)).await?;
        let lease = now + chrono::Duration::from_std(self.settings.timeout + LEASE_MARGIN).unwrap_or_default();
        let mut claimed = Vec::new();
        for delivery in due {
            let (id, owner) = (delivery.id, self.owner.clone());
            if self.db.write(move |conn| webhook_deliveries::try_claim(conn, id, &owner, now, lease)).await? {
                claimed.push(delivery);
            }
        }
        let attempted = claimed.len();
        let attempts = claimed.into_iter().map(|delivery| {
            let worker = Arc::clone(self);
            async move { worker.attempt(delivery).await }
        });
        futures_util::future::join_all(attempts).await;
        Ok(attempted)
    }

    async fn attempt(&self, delivery: DeliveryRow) {
        let (event_id, endpoint_id) = (delivery.event_id.clone(), delivery.endpoint_id.clone());
        let rows = self
            .db
            .read(move |conn| {
                Ok((outbound_events::find(conn, &event_id)?, webhook_endpoints::find(conn, &endpoint_id)?))
            })
            .await;
        let (event, endpoint) = match rows {
            Ok((Some(event), Some(endpoint))) => (event, endpoint),
            // Deleted meanwhile (the cascade takes the delivery with it).
            Ok(_) => return,
            Err(e) => {
                tracing::warn!(delivery = delivery.id, error = %e, "could not read an outbound event; will retry");
                return;
            }
        };
        let started = Instant::now();
        let at = time::now();
        let outcome = self.send(&event, &endpoint).await;
        let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let (status_code, error) = match &outcome {
            Ok(status) if status.is_success() => (Some(i32::from(status.as_u16())), None),
            Ok(status) if status.is_redirection() => (
                Some(i32::from(status.as_u16())),
                Some("the receiver answered a redirect, which is not followed".to_owned()),
            ),
            Ok(status) => (Some(i32::from(status.as_u16())), Some(format!("the receiver answered {status}"))),
            Err(why) => (None, Some(why.chars().take(SHOWN).collect())),
        };
        let delivered = matches!(&outcome, Ok(status) if status.is_success());
        let retry_at = (!delivered).then(|| self.retry_at(delivery.attempts, at)).flatten();
        let attempt = Attempt { at, status_code, error: error.clone(), duration_ms, delivered, retry_at };
        let (id, owner) = (delivery.id, self.owner.clone());
        let recorded = self
            .db
            .write_patiently(crate::db::DbError::is_unavailable, move |conn| {
                webhook_deliveries::record_attempt(conn, id, &owner, &attempt).map_err(crate::db::DbError::from)
            })
            .await;
        (self.observe)(match (delivered, retry_at) {
            (true, _) => Attempted::Delivered,
            (false, Some(_)) => Attempted::Retry,
            (false, None) => Attempted::GivenUp,
        });
        let host =
            url::Url::parse(&endpoint.url).ok().and_then(|u| u.host_str().map(str::to_owned)).unwrap_or_default();
        match (&recorded, delivered, retry_at) {
            (Err(e), ..) => {
                tracing::warn!(delivery = delivery.id, error = %e, "could not record an outbound event attempt; it will be sent again")
            }
            (Ok(_), true, _) => {
                tracing::info!(event = %event.id, r#type = %event.event_type, endpoint = %endpoint.id, %host, "outbound event delivered")
            }
            (Ok(_), false, Some(next)) => {
                tracing::info!(event = %event.id, endpoint = %endpoint.id, %host, error = error.as_deref().unwrap_or_default(), retry_at = %next, "outbound event not delivered; will retry")
            }
            (Ok(_), false, None) => {
                tracing::warn!(event = %event.id, endpoint = %endpoint.id, %host, error = error.as_deref().unwrap_or_default(), attempts = delivery.attempts + 1, "outbound event given up after its last retry")
            }
        }
    }

    /// When to try again after attempt number `attempts_before + 1` failed, if at all.
    fn retry_at(&self, attempts_before: i32, now: NaiveDateTime) -> Option<NaiveDateTime> {
        let delay = self.settings.retry_schedule.get(usize::try_from(attempts_before).ok()?)?;
        Some(now + chrono::Duration::from_std(*delay).ok()?)
    }

    /// One POST; the receiver's status, or why none came. Never says the URL (it may hold a
    /// token of the receiver's) or the secret.
    async fn send(
        &self,
        event: &outbound_events::EventRow,
        endpoint: &webhook_endpoints::EndpointRow,
    ) -> Result<reqwest::StatusCode, String> {
        let url = target::check(&endpoint.url, self.settings.allow_private_addresses)?;
        let secret = self
            .cipher
            .open(Field::WebhookEndpointSecret, &endpoint.id, &endpoint.secret)
            .map_err(|e| format!("the endpoint's secret cannot be read: {e}"))?;
        let timestamp = chrono::Utc::now().timestamp();
        let signed =
            signature::sign(secret.expose_secret(), &event.id, timestamp, &event.payload).map_err(|e| e.to_string())?;
        let response = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("webhook-id", &event.id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signed)
            .body(event.payload.clone())
            .send()
            .await
            .map_err(|e| describe(&e))?;
        Ok(response.status())
    }
}

fn describe(error: &reqwest::Error) -> String {
    use std::error::Error as _;
    let what = if error.is_timeout() {
        "the receiver did not answer in time"
    } else if error.is_connect() {
        "could not connect to the receiver"
    } else {
        "the request failed"
    };
    // The innermost cause says why (refused, a private address, a TLS failure), and not the URL.
    let mut cause: Option<&dyn std::error::Error> = error.source();
    let mut last = None;
    while let Some(c) = cause {
        last = Some(c.to_string());
        cause = c.source();
    }
    match last {
        Some(why) => format!("{what}: {why}"),
        None => what.to_owned(),
    }
}
