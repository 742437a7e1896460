//! Durable, fast acknowledgement of webhook deliveries by group commit.
//!
//! Every accepted delivery goes to one writer thread, which records and applies whatever has
//! queued up in a single transaction (one commit for many events), then answers each waiting
//! request. A delivery is acknowledged only after its commit, so an acknowledged event survives
//! a crash; a repeated delivery finds its dedupe key taken and is acknowledged without being
//! applied again. Within a batch each event is applied in a savepoint: one that fails is
//! recorded as failed without losing the others.

use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use super::apply::{self, Outcome};
use super::event::Delivery;
use crate::db::models::apps::AppRow;
use crate::db::models::webhook_events::{self, NewEvent};
use crate::db::{Db, DbError};
use crate::error::AppError;
use crate::time;

/// Events one transaction takes at most; the rest wait for the next.
const MAX_BATCH: usize = 512;
/// Deliveries waiting for the writer; beyond it, senders wait (then get a 503, which Zoom
/// retries).
const QUEUE: usize = 16_384;
/// A delivery not committed within this is answered 503: Zoom wants an answer within 3 s and
/// retries 5xx.
const ANSWER_WITHIN: Duration = Duration::from_millis(2500);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Receipt {
    /// Recorded now, with what applying it did.
    Recorded { outcome: Outcome, deleted_credentials: Vec<String> },
    /// The same delivery was recorded before.
    Duplicate,
}

struct Job {
    app: AppRow,
    delivery: Delivery,
    reply: oneshot::Sender<Result<Receipt, String>>,
}

#[derive(Clone)]
pub struct Ingestor {
    tx: mpsc::Sender<Job>,
}

impl Ingestor {
    /// Starts the writer thread; it ends when the last handle is dropped.
    pub fn start(db: Db) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        let spawned = std::thread::Builder::new().name("webhook-writer".into()).spawn(move || run(&db, rx));
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot start the webhook writer");
        }
        Self { tx }
    }

    /// Records and applies one delivery, returning once it is committed.
    pub async fn submit(&self, app: AppRow, delivery: Delivery) -> Result<Receipt, AppError> {
        let (reply, answer) = oneshot::channel();
        let unavailable = || AppError::Unavailable("the event could not be recorded in time; Zoom will retry".into());
        self.tx.send_timeout(Job { app, delivery, reply }, ANSWER_WITHIN).await.map_err(|_| unavailable())?;
        match tokio::time::timeout(ANSWER_WITHIN, answer).await {
            Ok(Ok(Ok(receipt))) => Ok(receipt),
            Ok(Ok(Err(e))) => {
                tracing::warn!(error = %e, "recording a webhook event failed");
                Err(AppError::Unavailable("the event could not be recorded; Zoom will retry".into()))
            }
            Ok(Err(_)) | Err(_) => Err(unavailable()),
        }
    }
}

fn run(db: &Db, mut rx: mpsc::Receiver<Job>) {
    while let Some(first) = rx.blocking_recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let now = time::now();
        let result = db
            .write_blocking(|conn| batch.iter().map(|job| record(conn, job, now)).collect::<Result<Vec<_>, DbError>>());
        match result {
            Ok(receipts) => {
                for (job, receipt) in batch.into_iter().zip(receipts) {
                    let _ = job.reply.send(Ok(receipt));
                }
            }
            Err(e) => {
                let message = e.to_string();
                for job in batch {
                    let _ = job.reply.send(Err(message.clone()));
                }
            }
        }
    }
}

fn record(conn: &mut crate::db::AnyConnection, job: &Job, now: chrono::NaiveDateTime) -> Result<Receipt, DbError> {
    let delivery = &job.delivery;
    let key = delivery.dedupe_key(&job.app.id);
    let payload = serde_json::to_string(&delivery.change).unwrap_or_default();
    let new = NewEvent {
        app_id: &job.app.id,
        dedupe_key: &key,
        event: &delivery.event,
        event_ts: delivery.event_ts,
        payload: &payload,
        status: "pending",
        received_at: now,
    };
    if !webhook_events::insert_new(conn, &new)? {
        return Ok(Receipt::Duplicate);
    }
    let applied =
        diesel::Connection::transaction(conn, |c| apply::apply(c, &job.app, &delivery.change, delivery.event_ts, now));
    let receipt = match applied {
        Ok(applied) => {
            webhook_events::set_result(conn, &key, applied.outcome.status(), applied.outcome.detail(), now)?;
            Receipt::Recorded { outcome: applied.outcome, deleted_credentials: applied.deleted_credentials }
        }
        Err(e) => {
            tracing::warn!(event = %delivery.event, error = %e, "applying a webhook event failed");
            webhook_events::set_result(conn, &key, "failed", &e.to_string(), now)?;
            Receipt::Recorded { outcome: Outcome::Ignored(format!("failed: {e}")), deleted_credentials: Vec::new() }
        }
    };
    Ok(receipt)
}
