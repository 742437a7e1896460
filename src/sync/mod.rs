//! The backfill: webhooks miss things (meetings made before a user connected, lost deliveries,
//! subscriptions not set up yet), so every healthy credential is re-listed on a schedule, and a
//! new credential at once.
//!
//! - `run`: one backfill of one credential, its Zoom calls made through
//!   `services::zoom_call` like every other call on behalf of a credential;
//! - `worker`: drains the services' backfill queue (`services::backfill_queue`), a few runs at
//!   a time;
//! - `schedule`: the cron that runs [`tick`].
//!
//! This module uses the services; no service calls it. With several replicas, a lease on the
//! credential row (and the tick it was claimed for) makes each credential's backfill run once
//! per tick across the cluster; a crashed replica's lease expires.

pub mod policy;
pub mod run;
pub mod schedule;
mod worker;

use std::collections::HashSet;
use std::sync::OnceLock;

use chrono::NaiveDateTime;
use tokio::sync::watch;

use crate::db::models::apps::AppKind;
use crate::db::models::sync_runs::Figures;
use crate::db::models::{apps, credentials, webhook_events};
use crate::error::AppError;
use crate::services::AppState;
use crate::time;
pub use run::{Progress, SyncError};
pub use worker::start as start_worker;

/// Credentials not refreshed for this long are refreshed by the schedule, so a long-idle user's
/// refresh token does not quietly expire (its lifetime is not documented: docs/zoom.md §2).
const KEEP_ALIVE_DAYS: i64 = 30;

/// This process's name on backfill leases.
fn owner() -> &'static str {
    static OWNER: OnceLock<String> = OnceLock::new();
    OWNER.get_or_init(|| uuid::Uuid::new_v4().to_string())
}

/// Runs a backfill now, in the foreground (the CLI), reporting progress.
pub async fn run_now(
    state: &AppState,
    credential_id: &str,
    progress: Option<&watch::Sender<Progress>>,
) -> Result<Figures, SyncError> {
    claim_and_run(state, credential_id, None, progress).await
}

async fn claim_and_run(
    state: &AppState,
    credential_id: &str,
    tick: Option<NaiveDateTime>,
    progress: Option<&watch::Sender<Progress>>,
) -> Result<Figures, SyncError> {
    let id = credential_id.to_owned();
    let claimed = state
        .db
        .write(move |conn| {
            let now = time::now();
            let until = now + chrono::Duration::from_std(run::LEASE).unwrap_or_default();
            // No lease for a credential that does not exist: which of the two it was, is read
            // only then (the common path reads the row once).
            if !credentials::try_sync_lease(conn, &id, owner(), tick, now, until)? {
                return Ok(if credentials::find(conn, &id)?.is_some() { Ok(None) } else { Err(()) });
            }
            let Some(credential) = credentials::find(conn, &id)? else { return Ok(Err(())) };
            let kind = credentials::app_kind(conn, &credential.id)?;
            Ok(Ok(Some((credential, kind))))
        })
        .await?;
    let Ok(claimed) = claimed else {
        return Err(SyncError::App(AppError::not_found("no such credential")));
    };
    let Some((credential, kind)) = claimed else {
        return Err(SyncError::App(AppError::Conflict(
            "another process is backfilling this credential (or already did for this tick)".into(),
        )));
    };
    run::run(state, &credential, kind, owner(), tick, progress).await
}

/// One schedule tick: ask for a backfill of every healthy credential whose full listing is due
/// (`policy`; each claimed once across replicas) and refresh the long-idle ones.
pub async fn tick(state: &AppState, tick: NaiveDateTime) {
    let now = time::now();
    let healthy_within = state.settings.webhook_healthy_within;
    let read = state
        .db
        .read(move |conn| {
            let rows = credentials::healthy_with_kind(conn)?;
            let heard = match healthy_within {
                Some(within) => {
                    let since = now - chrono::Duration::from_std(within).unwrap_or(chrono::Duration::MAX);
                    let mut heard = webhook_events::apps_heard_since(conn, since)?;
                    heard.extend(apps::validated_since(conn, since)?);
                    heard
                }
                None => Vec::new(),
            };
            Ok((rows, heard))
        })
        .await;
    let (healthy, heard) = match read {
        Ok(read) => read,
        Err(e) => {
            tracing::warn!(error = %e, "scheduled backfill skipped: cannot list credentials");
            return;
        }
    };
    let heard: HashSet<String> = heard.into_iter().collect();
    let idle_since = now - chrono::Duration::days(KEEP_ALIVE_DAYS);
    let mut skipped = 0usize;
    for (credential, kind) in healthy {
        let can_look_up = crate::services::lookup::can_look_up(kind, &credential.scopes);
        let facts = policy::Facts {
            last_listed: credential.last_synced_at,
            can_look_up,
            webhooks_healthy: heard.contains(&credential.app_id),
            catches_up: !can_look_up && state.settings.catch_up_after.is_some(),
        };
        if policy::due(facts, state.settings.full_listing_every, now) {
            state.backfills.request_for(&credential.id, Some(tick));
        } else {
            skipped += 1;
        }
        let idle = credential.last_refreshed_at.is_none_or(|at| at < idle_since);
        if idle && kind != AppKind::ServerToServer {
            match state.tokens.refresh_now(&credential.id).await {
                Ok(_) => state
                    .log
                    .info(&credential.id, format!("refreshed to keep it alive (idle over {KEEP_ALIVE_DAYS} days)")),
                Err(e) => tracing::warn!(credential = %credential.id, error = %e, "keep-alive refresh failed"),
            }
        }
    }
    if skipped > 0 {
        tracing::debug!(skipped, "credentials not due for a full listing at this tick");
    }
}
