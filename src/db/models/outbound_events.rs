//! The `outbound_events` table: each event zoomsync emitted, once, with the body every
//! endpoint gets.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::schema::outbound_events;
use crate::per_backend;

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = outbound_events)]
pub struct EventRow {
    pub id: String,
    pub event_type: String,
    pub order_key: String,
    pub dedupe_key: Option<String>,
    pub payload: String,
    pub created_at: NaiveDateTime,
}

/// Inserts the event; false when one with the same `dedupe_key` exists already (another replica
/// noticed the same thing first).
pub fn insert(conn: &mut AnyConnection, event: &EventRow) -> QueryResult<bool> {
    let inserted = per_backend!(conn, |c| diesel::insert_into(outbound_events::table)
        .values(event)
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(inserted == 1)
}

pub fn find(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<EventRow>> {
    outbound_events::table.find(id).select(EventRow::as_select()).first(conn).optional()
}
