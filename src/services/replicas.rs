//! Replicas find each other through the database, so that together they keep inside Zoom's
//! per-account rate limits: each beats every few seconds and counts the replicas that beat
//! recently. With the shared budget the count is `/metrics`' and the fallback's: each replica
//! takes an even share (`Budget::set_replicas`) only while the shared schedule cannot be asked,
//! or when it is switched off. A replica that stops cleanly removes its row; one that dies stops
//! counting after [`STALE`].

use std::sync::Arc;
use std::time::Duration;

use crate::db::models::replicas;
use crate::db::{Db, DbError};
use crate::metrics::Metrics;
use crate::services::AppState;
use crate::services::budget::Budget;
use crate::time;

/// How often a replica beats.
pub const HEARTBEAT: Duration = Duration::from_secs(3);
/// A replica silent this long is no longer counted (three missed beats and a margin).
pub const STALE: Duration = Duration::from_secs(10);
/// Rows of replicas silent this long are deleted.
const FORGET: Duration = Duration::from_secs(3600);

/// This process's membership: its id, and what it updates on each beat.
#[derive(Clone)]
pub struct Membership {
    id: String,
    db: Db,
    budget: Arc<Budget>,
    metrics: Arc<Metrics>,
}

impl Membership {
    pub fn new(db: Db, budget: Arc<Budget>, metrics: Arc<Metrics>) -> Self {
        Self { id: uuid::Uuid::new_v4().to_string(), db, budget, metrics }
    }

    /// Beats until the process ends. A failed beat keeps the last known share: the database
    /// being away for a moment should not let every replica take the whole budget.
    async fn run(self) {
        let mut tick = tokio::time::interval(HEARTBEAT);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = self.beat().await {
                tracing::warn!(error = %e, "replica heartbeat failed; keeping the current rate-budget share");
            }
        }
    }

    /// Records this replica as alive and applies the share; returns the live count.
    pub async fn beat(&self) -> Result<usize, DbError> {
        let id = self.id.clone();
        let live = self
            .db
            .write(move |conn| {
                let now = time::now();
                replicas::heartbeat(conn, &id, now)?;
                replicas::prune(conn, now - seconds(FORGET))?;
                replicas::live(conn, now - seconds(STALE))
            })
            .await?;
        let live = usize::try_from(live).unwrap_or(1).max(1);
        if live != self.budget.replicas() {
            tracing::info!(replicas = live, "replicas sharing Zoom's rate limits changed");
        }
        self.budget.set_replicas(live);
        self.metrics.replicas.set(live as i64);
        Ok(live)
    }

    async fn leave(&self) {
        let id = self.id.clone();
        if let Err(e) = self.db.write(move |conn| replicas::remove(conn, &id)).await {
            tracing::warn!(error = %e, "could not remove this replica's row; it expires by itself");
        }
    }
}

/// Joins the replicas now, so that the share is right before the first Zoom call, and keeps
/// beating in the background until [`Joined::leave`]. A failed first beat is retried by the
/// heartbeat. The daemon joins for its lifetime; `zoomsync sync` for its run, since it spends
/// the same accounts' budgets.
pub async fn join(state: &AppState) -> Joined {
    let membership =
        Membership::new(state.db.unrelated_to_resolution(), Arc::clone(&state.budget), Arc::clone(&state.metrics));
    if let Err(e) = membership.beat().await {
        tracing::warn!(error = %e, "first replica heartbeat failed");
    }
    let heartbeat = tokio::spawn(membership.clone().run());
    Joined { membership, heartbeat }
}

/// A membership kept up by its heartbeat.
pub struct Joined {
    membership: Membership,
    heartbeat: tokio::task::JoinHandle<()>,
}

impl Joined {
    /// Says goodbye on a clean stop, so the others take this share at their next beat.
    pub async fn leave(self) {
        self.heartbeat.abort();
        self.membership.leave().await;
    }
}

fn seconds(d: Duration) -> chrono::Duration {
    chrono::Duration::seconds(d.as_secs() as i64)
}
