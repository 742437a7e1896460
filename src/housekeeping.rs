//! Housekeeping: what grows with use is pruned by age, every few minutes, in small batches so
//! that no delete holds the database for long.
//!
//! | table | kept | why that long |
//! |---|---|---|
//! | `credential_logs` | 14 days | a line per minted token; two weeks answer "why did this bot fail" |
//! | `webhook_events` | 7 days | dedupe needs only Zoom's retry window (about 85 minutes) |
//! | `sync_runs` | 30 days | the console shows the latest run |
//! | `meeting_tombstones` | 90 days | a deleted meeting's late retries and stale backfills come within hours |

use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{credential_logs, meeting_tombstones, sync_runs, webhook_events};
use crate::db::{AnyConnection, Db, DbError};
use crate::time;

const EVERY: Duration = Duration::from_secs(600);
/// Rows one statement deletes at most; a larger backlog takes several passes.
const BATCH: i64 = 5_000;

/// Runs until the process ends.
pub async fn run(db: Db) {
    let mut tick = tokio::time::interval(EVERY);
    loop {
        tick.tick().await;
        match prune(&db).await {
            Ok(0) => {}
            Ok(removed) => tracing::info!(removed, "housekeeping pruned old rows"),
            Err(e) => tracing::warn!(error = %e, "housekeeping failed; will retry"),
        }
    }
}

/// One pass; returns how many rows went.
pub async fn prune(db: &Db) -> Result<usize, DbError> {
    let now = time::now();
    let mut removed = 0;
    for (table, keep_days) in [(Table::Logs, 14), (Table::Events, 7), (Table::Runs, 30), (Table::Tombstones, 90)] {
        let before = now - chrono::Duration::days(keep_days);
        loop {
            let gone = db.write(move |conn| table.prune(conn, before, BATCH).map_err(DbError::from)).await?;
            removed += gone;
            if (gone as i64) < BATCH {
                break;
            }
        }
    }
    Ok(removed)
}

#[derive(Clone, Copy)]
enum Table {
    Logs,
    Events,
    Runs,
    Tombstones,
}

impl Table {
    /// Deletes up to `limit` rows older than `before` (by id or key, since DELETE ... LIMIT is
    /// not portable).
    fn prune(self, conn: &mut AnyConnection, before: NaiveDateTime, limit: i64) -> QueryResult<usize> {
        match self {
            Self::Logs => {
                let ids: Vec<i64> = credential_logs::table
                    .filter(credential_logs::created_at.lt(before))
                    .select(credential_logs::id)
                    .limit(limit)
                    .load(conn)?;
                diesel::delete(credential_logs::table.filter(credential_logs::id.eq_any(ids))).execute(conn)
            }
            Self::Events => {
                let ids: Vec<i64> = webhook_events::table
                    .filter(webhook_events::received_at.lt(before))
                    .select(webhook_events::id)
                    .limit(limit)
                    .load(conn)?;
                diesel::delete(webhook_events::table.filter(webhook_events::id.eq_any(ids))).execute(conn)
            }
            Self::Runs => {
                let ids: Vec<i64> = sync_runs::table
                    .filter(sync_runs::started_at.lt(before))
                    .select(sync_runs::id)
                    .limit(limit)
                    .load(conn)?;
                diesel::delete(sync_runs::table.filter(sync_runs::id.eq_any(ids))).execute(conn)
            }
            Self::Tombstones => {
                let ids: Vec<i64> = meeting_tombstones::table
                    .filter(meeting_tombstones::deleted_at.lt(before))
                    .select(meeting_tombstones::meeting_id)
                    .limit(limit)
                    .load(conn)?;
                diesel::delete(meeting_tombstones::table.filter(meeting_tombstones::meeting_id.eq_any(ids)))
                    .execute(conn)
            }
        }
    }
}
