//! The backfill: webhooks miss things (meetings made before a user connected, lost deliveries,
//! subscriptions not set up yet), so every healthy credential is re-listed on a schedule, and a
//! new credential at once. Lookups find unmapped meetings on demand.
//!
//! - `run`: one backfill of one credential;
//! - `caller`: calling Zoom as a credential, inside the account's rate budget;
//! - `lookup`: `GET /meetings/{id}` for a meeting nobody mapped, bounded so that a flood of
//!   unknown IDs cannot spend the budget;
//! - `schedule`: the cron that runs `tick`.
//!
//! With several replicas, a lease on the credential row (and the tick it was claimed for) makes
//! each credential's backfill run once per tick across the cluster; a crashed replica's lease
//! expires.

mod caller;
pub mod lookup;
pub mod run;
pub mod schedule;

use std::collections::HashSet;
use std::sync::Arc;

use chrono::NaiveDateTime;
use tokio::sync::watch;

use crate::db::models::apps::AppKind;
use crate::db::models::credentials;
use crate::db::models::sync_runs::Figures;
use crate::error::AppError;
use crate::state::AppState;
use crate::time;
pub use run::{Progress, SyncError};

/// Credentials not refreshed for this long are refreshed by the schedule, so a long-idle user's
/// refresh token does not quietly expire (ZOOM.md §2.3: its lifetime is unconfirmed).
const KEEP_ALIVE_DAYS: i64 = 30;
/// Backfills one process runs at once.
const CONCURRENT_SYNCS: usize = 4;

pub struct Syncs {
    /// This process's name on backfill leases.
    owner: String,
    /// Credentials this process is backfilling now.
    running: parking_lot::Mutex<HashSet<String>>,
    slots: Arc<tokio::sync::Semaphore>,
    pub lookups: lookup::Lookups,
}

impl Default for Syncs {
    fn default() -> Self {
        Self {
            owner: uuid::Uuid::new_v4().to_string(),
            running: parking_lot::Mutex::new(HashSet::new()),
            slots: Arc::new(tokio::sync::Semaphore::new(CONCURRENT_SYNCS)),
            lookups: lookup::Lookups::default(),
        }
    }
}

/// Starts a backfill of one credential in the background. `tick` is the schedule tick it is for
/// (`None`: asked for now). False if this process is already backfilling it.
pub fn spawn(state: &AppState, credential_id: &str, tick: Option<NaiveDateTime>) -> bool {
    if !state.syncs.running.lock().insert(credential_id.to_owned()) {
        return false;
    }
    let (state, id) = (state.clone(), credential_id.to_owned());
    tokio::spawn(async move {
        let slot = Arc::clone(&state.syncs.slots).acquire_owned().await;
        if let Err(e) = claim_and_run(&state, &id, tick, None).await {
            tracing::debug!(credential = %id, error = %e, "backfill not run");
        }
        drop(slot);
        state.syncs.running.lock().remove(&id);
    });
    true
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
    let (id, owner) = (credential_id.to_owned(), state.syncs.owner.clone());
    let claimed = state
        .db
        .write(move |conn| {
            let now = time::now();
            let until = now + chrono::Duration::from_std(run::LEASE).unwrap_or_default();
            if !credentials::try_sync_lease(conn, &id, &owner, tick, now, until)? {
                return Ok(None);
            }
            let Some(credential) = credentials::find(conn, &id)? else { return Ok(None) };
            let app = crate::db::models::apps::find(conn, &credential.app_id)?;
            Ok::<_, AppError>(app.map(|app| (credential, app.kind())))
        })
        .await?;
    let Some((credential, kind)) = claimed else {
        return Err(SyncError::App(AppError::Conflict(
            "another process is backfilling this credential (or already did for this tick)".into(),
        )));
    };
    run::run(state, &credential, kind, &state.syncs.owner, tick, progress).await
}

/// One schedule tick: backfill every healthy credential (each claimed once across replicas) and
/// refresh the long-idle ones.
pub async fn tick(state: &AppState, tick: NaiveDateTime) {
    let healthy = state.db.read(|conn| credentials::healthy_with_kind(conn).map_err(AppError::from)).await;
    let healthy = match healthy {
        Ok(rows) => rows,
        Err(e) => {
            tracing::warn!(error = %e, "scheduled backfill skipped: cannot list credentials");
            return;
        }
    };
    let idle_since = time::now() - chrono::Duration::days(KEEP_ALIVE_DAYS);
    for (credential, kind) in healthy {
        spawn(state, &credential.id, Some(tick));
        let idle = credential.last_refreshed_at.is_none_or(|at| at < idle_since);
        if idle && AppKind::parse(&kind) != Some(AppKind::ServerToServer) {
            match state.tokens.refresh_now(&credential.id).await {
                Ok(_) => state
                    .log
                    .info(&credential.id, format!("refreshed to keep it alive (idle over {KEEP_ALIVE_DAYS} days)")),
                Err(e) => tracing::warn!(credential = %credential.id, error = %e, "keep-alive refresh failed"),
            }
        }
    }
}
