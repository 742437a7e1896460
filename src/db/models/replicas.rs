//! The `replicas` table: one row per live daemon process, refreshed by its heartbeat.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::schema::replicas;

/// Records that replica `id` is alive at `now` (inserting its row on the first beat).
pub fn heartbeat(conn: &mut AnyConnection, id: &str, now: NaiveDateTime) -> QueryResult<()> {
    let updated = diesel::update(replicas::table.find(id)).set(replicas::last_seen.eq(now)).execute(conn)?;
    if updated == 0 {
        diesel::insert_into(replicas::table)
            .values((replicas::id.eq(id), replicas::started_at.eq(now), replicas::last_seen.eq(now)))
            .execute(conn)?;
    }
    Ok(())
}

/// How many replicas have beaten since `since`.
pub fn live(conn: &mut AnyConnection, since: NaiveDateTime) -> QueryResult<i64> {
    replicas::table.filter(replicas::last_seen.ge(since)).count().get_result(conn)
}

/// Removes rows not refreshed since `before`: replicas that died without saying goodbye.
pub fn prune(conn: &mut AnyConnection, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(replicas::table.filter(replicas::last_seen.lt(before))).execute(conn)
}

/// A replica stopping cleanly says goodbye, so the others take its share at once.
pub fn remove(conn: &mut AnyConnection, id: &str) -> QueryResult<usize> {
    diesel::delete(replicas::table.find(id)).execute(conn)
}
