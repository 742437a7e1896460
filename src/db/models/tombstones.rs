use chrono::NaiveDateTime;
use diesel::prelude::*;

use diesel::upsert::excluded;

use crate::db::AnyConnection;
use crate::db::schema::meeting_tombstones;
use crate::per_backend;

/// The event time of the newest delete of `meeting_id`, if one was seen.
pub fn deleted_at(conn: &mut AnyConnection, meeting_id: i64) -> QueryResult<Option<i64>> {
    meeting_tombstones::table.find(meeting_id).select(meeting_tombstones::event_ts).first(conn).optional()
}

/// Records a delete, keeping the newest event time: one statement, so two replicas recording
/// the same delete cannot race to insert it.
pub fn record(conn: &mut AnyConnection, meeting_id: i64, event_ts: i64, now: NaiveDateTime) -> QueryResult<()> {
    let row = (
        meeting_tombstones::meeting_id.eq(meeting_id),
        meeting_tombstones::event_ts.eq(event_ts),
        meeting_tombstones::deleted_at.eq(now),
    );
    per_backend!(conn, |c| diesel::query_dsl::methods::FilterDsl::filter(
        diesel::insert_into(meeting_tombstones::table)
            .values(row)
            .on_conflict(meeting_tombstones::meeting_id)
            .do_update()
            .set((
                meeting_tombstones::event_ts.eq(excluded(meeting_tombstones::event_ts)),
                meeting_tombstones::deleted_at.eq(excluded(meeting_tombstones::deleted_at)),
            )),
        meeting_tombstones::event_ts.lt(event_ts),
    )
    .execute(c))?;
    Ok(())
}

/// Forgets a delete older than `event_ts` (the meeting was recovered after it). True when one was.
pub fn clear_before(conn: &mut AnyConnection, meeting_id: i64, event_ts: i64) -> QueryResult<bool> {
    diesel::delete(
        meeting_tombstones::table
            .filter(meeting_tombstones::meeting_id.eq(meeting_id))
            .filter(meeting_tombstones::event_ts.lt(event_ts)),
    )
    .execute(conn)
    .map(|n| n > 0)
}

/// The newest delete time of each of `meeting_ids` that was deleted: (meeting id, event_ts).
pub fn for_meetings(conn: &mut AnyConnection, meeting_ids: &[i64]) -> QueryResult<Vec<(i64, i64)>> {
    if meeting_ids.is_empty() {
        return Ok(Vec::new());
    }
    meeting_tombstones::table
        .filter(meeting_tombstones::meeting_id.eq_any(meeting_ids))
        .select((meeting_tombstones::meeting_id, meeting_tombstones::event_ts))
        .load(conn)
}

/// Which of `meeting_ids` a webhook deleted at or after `since` (event time, ms): a backfill that
/// began before the delete must not bring them back.
pub fn deleted_since(conn: &mut AnyConnection, meeting_ids: &[i64], since: i64) -> QueryResult<Vec<i64>> {
    meeting_tombstones::table
        .filter(meeting_tombstones::meeting_id.eq_any(meeting_ids))
        .filter(meeting_tombstones::event_ts.ge(since))
        .select(meeting_tombstones::meeting_id)
        .load(conn)
}
