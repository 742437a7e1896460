use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::schema::zoom_users;

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = zoom_users)]
pub struct ZoomUserRow {
    pub user_id: String,
    pub account_id: String,
    pub email: Option<String>,
    pub pmi: Option<i64>,
    pub vanity_name: Option<String>,
    pub event_ts: Option<i64>,
    pub updated_at: NaiveDateTime,
}

pub fn find(conn: &mut AnyConnection, user_id: &str) -> QueryResult<Option<ZoomUserRow>> {
    zoom_users::table.find(user_id).select(ZoomUserRow::as_select()).first(conn).optional()
}

pub fn by_vanity_name(conn: &mut AnyConnection, name: &str) -> QueryResult<Option<ZoomUserRow>> {
    zoom_users::table
        .filter(zoom_users::vanity_name.eq(name.to_ascii_lowercase()))
        .select(ZoomUserRow::as_select())
        .first(conn)
        .optional()
}

/// Records what an API read said about a user. API reads are current, so they replace the PMI
/// and vanity name, but keep the event_ts guard for webhooks.
pub fn upsert_from_api(
    conn: &mut AnyConnection,
    user_id: &str,
    account_id: &str,
    email: Option<&str>,
    pmi: Option<i64>,
    vanity_name: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let updated = diesel::update(zoom_users::table.find(user_id))
        .set((
            zoom_users::account_id.eq(account_id),
            zoom_users::email.eq(email),
            zoom_users::pmi.eq(pmi),
            zoom_users::vanity_name.eq(vanity_name),
            zoom_users::updated_at.eq(now),
        ))
        .execute(conn)?;
    if updated == 0 {
        insert(conn, &NewUser { user_id, account_id, email, pmi, vanity_name, event_ts: None, updated_at: now })?;
    }
    Ok(())
}

#[derive(Insertable)]
#[diesel(table_name = zoom_users)]
struct NewUser<'a> {
    user_id: &'a str,
    account_id: &'a str,
    email: Option<&'a str>,
    pmi: Option<i64>,
    vanity_name: Option<&'a str>,
    event_ts: Option<i64>,
    updated_at: NaiveDateTime,
}

fn insert(conn: &mut AnyConnection, user: &NewUser<'_>) -> QueryResult<usize> {
    diesel::insert_into(zoom_users::table).values(user).execute(conn)
}

/// Applies what a `user.updated` event says, unless a newer event already did. Returns false
/// (and changes nothing) for a stale event.
pub fn apply_event(
    conn: &mut AnyConnection,
    user_id: &str,
    account_id: &str,
    pmi: Option<i64>,
    vanity_name: Option<&str>,
    event_ts: i64,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    match find(conn, user_id)? {
        Some(row) if row.event_ts.is_some_and(|ts| ts > event_ts) => Ok(false),
        Some(row) => {
            diesel::update(zoom_users::table.find(user_id))
                .set((
                    zoom_users::pmi.eq(pmi.or(row.pmi)),
                    zoom_users::vanity_name.eq(vanity_name.map(str::to_owned).or(row.vanity_name)),
                    zoom_users::event_ts.eq(event_ts),
                    zoom_users::updated_at.eq(now),
                ))
                .execute(conn)?;
            Ok(true)
        }
        None => {
            let user = NewUser {
                user_id,
                account_id,
                email: None,
                pmi,
                vanity_name,
                event_ts: Some(event_ts),
                updated_at: now,
            };
            insert(conn, &user)?;
            Ok(true)
        }
    }
}

pub fn delete(conn: &mut AnyConnection, user_id: &str) -> QueryResult<usize> {
    diesel::delete(zoom_users::table.find(user_id)).execute(conn)
}
