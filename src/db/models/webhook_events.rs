use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::schema::webhook_events;
use crate::per_backend;

#[derive(Insertable)]
#[diesel(table_name = webhook_events)]
pub struct NewEvent<'a> {
    pub app_id: &'a str,
    pub dedupe_key: &'a str,
    pub event: &'a str,
    pub event_ts: i64,
    pub payload: &'a str,
    pub status: &'a str,
    pub received_at: NaiveDateTime,
}

/// Records an event unless one with the same dedupe key was recorded before: false for a
/// repeated delivery.
pub fn insert_new(conn: &mut AnyConnection, event: &NewEvent<'_>) -> QueryResult<bool> {
    let inserted = per_backend!(conn, |c| diesel::insert_into(webhook_events::table)
        .values(event)
        .on_conflict(webhook_events::dedupe_key)
        .do_nothing()
        .execute(c))?;
    Ok(inserted == 1)
}

pub fn set_result(
    conn: &mut AnyConnection,
    dedupe_key: &str,
    status: &str,
    outcome: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(webhook_events::table.filter(webhook_events::dedupe_key.eq(dedupe_key)))
        .set((
            webhook_events::status.eq(status),
            webhook_events::outcome.eq(Some(outcome)),
            webhook_events::applied_at.eq(Some(at)),
        ))
        .execute(conn)
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = webhook_events)]
pub struct EventRow {
    pub id: i64,
    pub app_id: String,
    pub dedupe_key: String,
    pub event: String,
    pub event_ts: i64,
    pub payload: String,
    pub status: String,
    pub outcome: Option<String>,
    pub received_at: NaiveDateTime,
    pub applied_at: Option<NaiveDateTime>,
}

pub fn count(conn: &mut AnyConnection) -> QueryResult<i64> {
    webhook_events::table.count().get_result(conn)
}
