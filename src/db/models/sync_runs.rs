use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::models::credentials::SyncStatus;
use crate::db::schema::sync_runs;

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = sync_runs)]
pub struct SyncRunRow {
    pub id: i64,
    pub credential_id: String,
    pub tick: Option<NaiveDateTime>,
    pub started_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
    pub status: SyncStatus,
    pub pages: i64,
    pub users_seen: i64,
    pub meetings_seen: i64,
    pub added: i64,
    pub removed: i64,
    pub error: Option<String>,
}

/// The figures of a finished run.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Figures {
    pub pages: i64,
    pub users_seen: i64,
    pub meetings_seen: i64,
    pub added: i64,
    pub removed: i64,
}

/// Opens a run; returns its id.
pub fn start(
    conn: &mut AnyConnection,
    credential_id: &str,
    tick: Option<NaiveDateTime>,
    started_at: NaiveDateTime,
) -> QueryResult<i64> {
    diesel::insert_into(sync_runs::table)
        .values((
            sync_runs::credential_id.eq(credential_id),
            sync_runs::tick.eq(tick),
            sync_runs::started_at.eq(started_at),
            sync_runs::status.eq(SyncStatus::InProgress),
            sync_runs::pages.eq(0),
            sync_runs::users_seen.eq(0),
            sync_runs::meetings_seen.eq(0),
            sync_runs::added.eq(0),
            sync_runs::removed.eq(0),
        ))
        .returning(sync_runs::id)
        .get_result(conn)
}

pub fn finish(
    conn: &mut AnyConnection,
    id: i64,
    figures: &Figures,
    error: Option<&str>,
    finished_at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(sync_runs::table.find(id))
        .set((
            sync_runs::finished_at.eq(Some(finished_at)),
            sync_runs::status.eq(if error.is_some() { SyncStatus::Failed } else { SyncStatus::Completed }),
            sync_runs::pages.eq(figures.pages),
            sync_runs::users_seen.eq(figures.users_seen),
            sync_runs::meetings_seen.eq(figures.meetings_seen),
            sync_runs::added.eq(figures.added),
            sync_runs::removed.eq(figures.removed),
            sync_runs::error.eq(error),
        ))
        .execute(conn)
}

/// A credential's runs, newest first.
pub fn recent(conn: &mut AnyConnection, credential_id: &str, limit: i64) -> QueryResult<Vec<SyncRunRow>> {
    sync_runs::table
        .filter(sync_runs::credential_id.eq(credential_id))
        .order(sync_runs::id.desc())
        .limit(limit)
        .select(SyncRunRow::as_select())
        .load(conn)
}
