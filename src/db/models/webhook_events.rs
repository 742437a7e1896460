use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::schema::webhook_events;

crate::text_enum! {
    /// What became of a recorded delivery.
    #[derive(serde::Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum EventStatus {
        Pending = "pending",
        Applied = "applied",
        Ignored = "ignored",
        Failed = "failed",
    }
}

#[derive(Insertable)]
#[diesel(table_name = webhook_events)]
pub struct NewEvent<'a> {
    pub app_id: &'a str,
    pub dedupe_key: &'a str,
    pub event: &'a str,
    pub event_ts: i64,
    pub payload: &'a str,
    pub status: EventStatus,
    pub outcome: Option<&'a str>,
    pub received_at: NaiveDateTime,
    pub applied_at: Option<NaiveDateTime>,
}

/// Which of `keys` are recorded already (repeated deliveries), with how each ended.
pub fn existing_keys(conn: &mut AnyConnection, keys: &[String]) -> QueryResult<Vec<(String, EventStatus)>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    webhook_events::table
        .filter(webhook_events::dedupe_key.eq_any(keys))
        .select((webhook_events::dedupe_key, webhook_events::status))
        .load(conn)
}

/// Forgets the failed records of `keys`, which are being applied again.
pub fn forget_failed(conn: &mut AnyConnection, keys: &[&str]) -> QueryResult<usize> {
    if keys.is_empty() {
        return Ok(0);
    }
    diesel::delete(
        webhook_events::table
            .filter(webhook_events::dedupe_key.eq_any(keys))
            .filter(webhook_events::status.eq(EventStatus::Failed)),
    )
    .execute(conn)
}

/// Records events in one statement; one whose key another process recorded meanwhile is skipped.
pub fn insert_all(conn: &mut AnyConnection, events: &[NewEvent<'_>]) -> QueryResult<usize> {
    if events.is_empty() {
        return Ok(0);
    }
    match conn {
        // diesel's SQLite batch insert takes no ON CONFLICT clause, so OR IGNORE. (It would
        // also skip a row breaking the status CHECK, but statuses here are our own constants.)
        AnyConnection::Sqlite(c) => diesel::insert_or_ignore_into(webhook_events::table).values(events).execute(c),
        AnyConnection::Postgresql(c) => diesel::insert_into(webhook_events::table)
            .values(events)
            .on_conflict(webhook_events::dedupe_key)
            .do_nothing()
            .execute(c),
    }
}

pub fn count(conn: &mut AnyConnection) -> QueryResult<i64> {
    webhook_events::table.count().get_result(conn)
}

/// The apps that recorded a verified delivery at or after `since` (the sync policy's webhook
/// health), through the `received_at` index.
pub fn apps_heard_since(conn: &mut AnyConnection, since: NaiveDateTime) -> QueryResult<Vec<String>> {
    webhook_events::table
        .filter(webhook_events::received_at.ge(since))
        .select(webhook_events::app_id)
        .distinct()
        .load(conn)
}
