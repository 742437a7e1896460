//! Housekeeping: what grows with use is pruned by age, every few minutes, in small batches so
//! that no delete holds the database for long.
//!
//! | table | kept | why that long |
//! |---|---|---|
//! | `credential_logs` | 14 days | a line per minted token; two weeks answer "why did this bot fail" |
//! | `webhook_events` | 7 days | dedupe needs only Zoom's retry window (about 85 minutes) |
//! | `sync_runs` | 30 days | the console shows the latest run |
//! | `meeting_tombstones` | 90 days | a deleted meeting's late retries and stale backfills come within hours |
//! | `console_signouts` | until the session expires | after that the cookie's own expiry refuses it |
//! | `webhook_deliveries`, `outbound_events` | 30 days, once delivered or given up | a pending delivery is never pruned; a month of history answers "did the product hear of it" |

use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{console_signouts, credential_logs, meeting_tombstones, sync_runs, webhook_events};
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
    // Sign-outs are aged by when their session expires, not when they were written: kept 0 days
    // past that.
    let tables = [
        (Table::Logs, 14),
        (Table::Events, 7),
        (Table::Runs, 30),
        (Table::Tombstones, 90),
        (Table::Signouts, 0),
        (Table::Deliveries, 30),
    ];
    for (table, keep_days) in tables {
        let before = now - chrono::Duration::days(keep_days);
        loop {
            let gone = db.write(move |conn| table.prune(conn, before, BATCH)).await?;
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
    Signouts,
    Deliveries,
}

impl Table {
    /// Deletes up to `limit` rows older than `before` (by id or key, since DELETE ... LIMIT is
    /// not portable).
    fn prune(self, conn: &mut AnyConnection, before: NaiveDateTime, limit: i64) -> QueryResult<usize> {
        // The same two statements for each table; diesel's table types differ, hence a macro.
        macro_rules! prune {
            ($table:ident, $age:ident, $key:ident: $key_type:ty) => {{
                let keys: Vec<$key_type> =
                    $table::table.filter($table::$age.lt(before)).select($table::$key).limit(limit).load(conn)?;
                diesel::delete($table::table.filter($table::$key.eq_any(keys))).execute(conn)
            }};
        }
        match self {
            Self::Logs => prune!(credential_logs, created_at, id: i64),
            Self::Events => prune!(webhook_events, received_at, id: i64),
            Self::Runs => prune!(sync_runs, started_at, id: i64),
            Self::Tombstones => prune!(meeting_tombstones, deleted_at, meeting_id: i64),
            Self::Signouts => prune!(console_signouts, expires_at, nonce: String),
            Self::Deliveries => crate::db::models::webhook_deliveries::prune_finished(conn, before, limit),
        }
    }
}
