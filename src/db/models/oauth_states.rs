use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::schema::oauth_states;

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = oauth_states)]
pub struct OAuthStateRow {
    pub state: String,
    pub app_id: String,
    pub code_verifier: Vec<u8>,
    pub expires_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
}

pub fn insert(conn: &mut AnyConnection, row: &OAuthStateRow) -> QueryResult<()> {
    diesel::insert_into(oauth_states::table).values(row).execute(conn).map(drop)
}

/// Removes and returns the state: whoever takes it first owns the callback; a replay finds
/// nothing.
pub fn take(conn: &mut AnyConnection, state: &str) -> QueryResult<Option<OAuthStateRow>> {
    let row = oauth_states::table.find(state).select(OAuthStateRow::as_select()).first(conn).optional()?;
    if row.is_some() {
        let removed = diesel::delete(oauth_states::table.find(state)).execute(conn)?;
        if removed == 0 {
            return Ok(None);
        }
    }
    Ok(row)
}

/// Forgets flows that were never finished.
pub fn delete_expired(conn: &mut AnyConnection, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(oauth_states::table.filter(oauth_states::expires_at.lt(now))).execute(conn)
}
