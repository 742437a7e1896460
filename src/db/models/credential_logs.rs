use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::schema::credential_logs;

crate::text_enum! {
    #[derive(serde::Serialize, utoipa::ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum Level {
        Info = "info",
        Warning = "warning",
        Error = "error",
    }
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = credential_logs)]
pub struct LogRow {
    pub id: i64,
    pub credential_id: String,
    pub level: Level,
    pub message: String,
    pub created_at: NaiveDateTime,
}

/// Every column always given (`treat_none_as_default_value = false`): diesel then writes a batch
/// as one multi-row `INSERT` on SQLite too, where otherwise it runs a statement per row inside
/// a savepoint (SQLite has no `DEFAULT` in `VALUES`). Per row, that was most of the log
/// writer's CPU, itself 14% of the daemon's on the token path.
#[derive(Insertable)]
#[diesel(table_name = credential_logs, treat_none_as_default_value = false)]
pub struct NewLine<'a> {
    pub credential_id: &'a str,
    pub level: Level,
    pub message: &'a str,
    pub created_at: NaiveDateTime,
}

/// Appends many lines in one statement (a multi-row insert: per backend, as the
/// MultiConnection derive cannot express it).
pub fn append_all(conn: &mut AnyConnection, lines: &[NewLine<'_>]) -> QueryResult<usize> {
    crate::per_backend!(conn, |c| diesel::insert_into(credential_logs::table).values(lines).execute(c))
}

/// Appends one line to a credential's log. Messages are written by our code, never copied from
/// a token or secret.
pub fn append_at(
    conn: &mut AnyConnection,
    credential_id: &str,
    level: Level,
    message: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(credential_logs::table)
        .values((
            credential_logs::credential_id.eq(credential_id),
            credential_logs::level.eq(level),
            credential_logs::message.eq(message),
            credential_logs::created_at.eq(at),
        ))
        .execute(conn)
        .map(drop)
}

/// Up to `limit` lines, newest first, older than line `before` when given.
pub fn page(
    conn: &mut AnyConnection,
    credential_id: &str,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<LogRow>> {
    let mut query = credential_logs::table
        .filter(credential_logs::credential_id.eq(credential_id))
        .select(LogRow::as_select())
        .into_boxed();
    if let Some(id) = before {
        query = query.filter(credential_logs::id.lt(id));
    }
    query.order(credential_logs::id.desc()).limit(limit).load(conn)
}
