//! Durable, fast acknowledgement of webhook deliveries by group commit.
//!
//! Every accepted delivery goes to one writer thread, which records and applies whatever has
//! queued up in a single transaction (one commit for many events), then answers each waiting
//! request. A delivery is acknowledged only after its commit, so an acknowledged event survives
//! a crash; a repeated delivery finds its dedupe key taken and is acknowledged without being
//! applied again.
//!
//! A batch costs few round trips to the database, which matters on PostgreSQL: one query finds
//! the repeated deliveries, one the tombstones, the host-to-credential lookups are shared, and
//! one multi-row insert records every event with its outcome. If anything in a batch fails, its
//! deliveries are retried one transaction each, so one bad event cannot sink the others; one
//! that still fails is recorded as failed.

use std::collections::HashSet;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use super::apply::{self, Outcome};
use super::event::Delivery;
use crate::db::models::apps::AppRow;
use crate::db::models::webhook_events::{self, EventStatus, NewEvent};
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
    Recorded { outcome: Outcome, deleted_credentials: Vec<String>, revived_credentials: Vec<String> },
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
    db: Db,
    /// The writer's queue, made (and the writer thread started) by the first delivery: a CLI
    /// command never receives one, so it never starts the thread.
    tx: Arc<OnceLock<mpsc::Sender<Job>>>,
}

impl Ingestor {
    pub fn new(db: Db) -> Self {
        Self { db, tx: Arc::default() }
    }

    fn writer(&self) -> &mpsc::Sender<Job> {
        self.tx.get_or_init(|| {
            let (tx, rx) = mpsc::channel(QUEUE);
            let db = self.db.clone();
            let spawned = std::thread::Builder::new().name("webhook-writer".into()).spawn(move || run(&db, rx));
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start the webhook writer");
            }
            tx
        })
    }

    /// Records and applies one delivery, returning once it is committed.
    pub async fn submit(&self, app: AppRow, delivery: Delivery) -> Result<Receipt, AppError> {
        let (reply, answer) = oneshot::channel();
        let unavailable = || AppError::Unavailable("the event could not be recorded in time; Zoom will retry".into());
        self.writer().send_timeout(Job { app, delivery, reply }, ANSWER_WITHIN).await.map_err(|_| unavailable())?;
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
        let receipts = match db.write_blocking(|conn| record(conn, &batch, now)) {
            Ok(receipts) => receipts.into_iter().map(Ok).collect(),
            Err(_) if batch.len() > 1 => batch.iter().map(|job| record_alone(db, job, now)).collect(),
            Err(e) => vec![record_failed(db, &batch[0], now, &e)],
        };
        for (job, receipt) in batch.into_iter().zip(receipts) {
            let _ = job.reply.send(receipt);
        }
    }
}

/// One delivery in a transaction of its own (after its batch failed).
fn record_alone(db: &Db, job: &Job, now: chrono::NaiveDateTime) -> Result<Receipt, String> {
    match db.write_blocking(|conn| record(conn, std::slice::from_ref(job), now)) {
        Ok(mut receipts) => receipts.pop().ok_or_else(|| "no receipt".to_owned()),
        Err(e) => record_failed(db, job, now, &e),
    }
}

/// A delivery that cannot be applied is still recorded (as failed), so it is acknowledged and
/// not retried forever. If even that fails, the database is down: the caller answers 503.
fn record_failed(db: &Db, job: &Job, now: chrono::NaiveDateTime, error: &DbError) -> Result<Receipt, String> {
    if error.is_unavailable() {
        return Err(error.to_string());
    }
    tracing::warn!(event = %job.delivery.event, error = %error, "applying a webhook event failed");
    let key = job.delivery.dedupe_key(&job.app.id);
    let payload = serde_json::to_string(&job.delivery.change).unwrap_or_default();
    let detail = error.to_string();
    let row = NewEvent {
        app_id: &job.app.id,
        dedupe_key: &key,
        event: &job.delivery.event,
        event_ts: job.delivery.event_ts,
        payload: &payload,
        status: EventStatus::Failed,
        outcome: Some(&detail),
        received_at: now,
        applied_at: Some(now),
    };
    db.write_blocking(|conn| webhook_events::insert_all(conn, std::slice::from_ref(&row)))
        .map(|_| Receipt::Recorded {
            outcome: Outcome::Ignored(format!("failed: {detail}")),
            deleted_credentials: Vec::new(),
            revived_credentials: Vec::new(),
        })
        .map_err(|e| e.to_string())
}

/// Records and applies a batch in the caller's transaction; one receipt per job, in order.
fn record(
    conn: &mut crate::db::AnyConnection,
    jobs: &[Job],
    now: chrono::NaiveDateTime,
) -> diesel::QueryResult<Vec<Receipt>> {
    crate::db::custom_plans_for_this_transaction(conn)?;
    let keys: Vec<String> = jobs.iter().map(|job| job.delivery.dedupe_key(&job.app.id)).collect();
    // A delivery recorded as `failed` is no duplicate: Zoom's retry of it is applied (and its
    // record replaced), so one failure never loses an event for good.
    let existing = webhook_events::existing_keys(conn, &keys)?;
    let failed: HashSet<&str> =
        existing.iter().filter(|(_, status)| *status == EventStatus::Failed).map(|(key, _)| key.as_str()).collect();
    let mut seen: HashSet<String> =
        existing.iter().filter(|(key, _)| !failed.contains(key.as_str())).map(|(key, _)| key.clone()).collect();
    let mut shared = apply::Batch::load(conn, jobs.iter().map(|job| &job.delivery.change))?;
    let mut receipts = Vec::with_capacity(jobs.len());
    let mut recorded = Vec::with_capacity(jobs.len());
    for (job, key) in jobs.iter().zip(&keys) {
        // Repeated: recorded before, or earlier in this batch.
        if !seen.insert(key.clone()) {
            receipts.push(Receipt::Duplicate);
            continue;
        }
        let delivery = &job.delivery;
        let applied = apply::apply(conn, &mut shared, &job.app, &delivery.change, delivery.event_ts, now)?;
        recorded.push((job, key, serde_json::to_string(&delivery.change).unwrap_or_default(), applied.outcome.clone()));
        receipts.push(Receipt::Recorded {
            outcome: applied.outcome,
            deleted_credentials: applied.deleted_credentials,
            revived_credentials: applied.revived_credentials,
        });
    }
    shared.flush(conn)?;
    if !failed.is_empty() {
        let retried: Vec<&str> = failed.iter().copied().collect();
        webhook_events::forget_failed(conn, &retried)?;
    }
    let rows: Vec<NewEvent<'_>> = recorded
        .iter()
        .map(|(job, key, payload, outcome)| NewEvent {
            app_id: &job.app.id,
            dedupe_key: key,
            event: &job.delivery.event,
            event_ts: job.delivery.event_ts,
            payload,
            status: outcome.status(),
            outcome: Some(outcome.detail()),
            received_at: now,
            applied_at: Some(now),
        })
        .collect();
    webhook_events::insert_all(conn, &rows)?;
    Ok(receipts)
}
