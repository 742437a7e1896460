use chrono::NaiveDateTime;
use diesel::prelude::*;

use diesel::upsert::excluded;

use crate::db::AnyConnection;
use crate::db::schema::zoom_users;
use crate::per_backend;

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

diesel::define_sql_function! {
    /// `LOWER(x)`, for emails, which Zoom treats case-insensitively.
    fn lower(x: diesel::sql_types::Nullable<diesel::sql_types::Text>) -> diesel::sql_types::Nullable<diesel::sql_types::Text>;
}

/// The Zoom user a bot names, as (user id, account id): by Zoom user id, or by email matched
/// case-insensitively. Connected credentials are asked first (they know their own user), then
/// the users backfills and webhooks recorded.
pub fn named(conn: &mut AnyConnection, user: &str) -> QueryResult<Option<(String, String)>> {
    use crate::db::schema::credentials;
    let columns = (credentials::zoom_user_id, credentials::account_id);
    let user_columns = (zoom_users::user_id, zoom_users::account_id);
    if user.contains('@') {
        let email = user.to_lowercase();
        let connected = credentials::table
            .filter(lower(credentials::email).eq(&email))
            .order(credentials::updated_at.desc())
            .select(columns)
            .first(conn)
            .optional()?;
        if connected.is_some() {
            return Ok(connected);
        }
        return zoom_users::table
            .filter(lower(zoom_users::email).eq(&email))
            .select(user_columns)
            .first(conn)
            .optional();
    }
    let connected = credentials::table
        .filter(credentials::zoom_user_id.eq(user))
        .order(credentials::updated_at.desc())
        .select(columns)
        .first(conn)
        .optional()?;
    if connected.is_some() {
        return Ok(connected);
    }
    zoom_users::table.find(user).select(user_columns).first(conn).optional()
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

diesel::define_sql_function! {
    /// `COALESCE(a, b)`: a field an event or a listing does not carry keeps what is stored.
    fn coalesce<T: diesel::sql_types::SqlType + diesel::sql_types::SingleValue>(
        a: diesel::sql_types::Nullable<T>,
        b: diesel::sql_types::Nullable<T>,
    ) -> diesel::sql_types::Nullable<T>;
}

/// Records what an API read said about a user. A field the read does not carry keeps what is
/// stored: `GET /users` has no `vanity_url`, and a listing that lacks a field says nothing about
/// it (docs/zoom.md §7). The event_ts guard for webhooks is kept. One statement, so two replicas
/// recording the same user cannot both find it missing and race to insert it.
pub fn upsert_from_api(
    conn: &mut AnyConnection,
    user_id: &str,
    account_id: &str,
    email: Option<&str>,
    pmi: Option<i64>,
    vanity_name: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let user = NewUser { user_id, account_id, email, pmi, vanity_name, event_ts: None, updated_at: now };
    per_backend!(conn, |c| diesel::insert_into(zoom_users::table)
        .values(&user)
        .on_conflict(zoom_users::user_id)
        .do_update()
        .set((
            zoom_users::account_id.eq(excluded(zoom_users::account_id)),
            zoom_users::email.eq(coalesce(excluded(zoom_users::email), zoom_users::email)),
            zoom_users::pmi.eq(coalesce(excluded(zoom_users::pmi), zoom_users::pmi)),
            zoom_users::vanity_name.eq(coalesce(excluded(zoom_users::vanity_name), zoom_users::vanity_name)),
            zoom_users::updated_at.eq(excluded(zoom_users::updated_at)),
        ))
        .execute(c))?;
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

/// Applies what a `user.updated` event says, unless a newer event already did: one statement
/// whose update is conditional on the stored event time. Returns false (and changes nothing)
/// for a stale event.
pub fn apply_event(
    conn: &mut AnyConnection,
    user_id: &str,
    account_id: &str,
    pmi: Option<i64>,
    vanity_name: Option<&str>,
    event_ts: i64,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let user =
        NewUser { user_id, account_id, email: None, pmi, vanity_name, event_ts: Some(event_ts), updated_at: now };
    let written = per_backend!(conn, |c| diesel::query_dsl::methods::FilterDsl::filter(
        diesel::insert_into(zoom_users::table).values(&user).on_conflict(zoom_users::user_id).do_update().set((
            zoom_users::pmi.eq(coalesce(excluded(zoom_users::pmi), zoom_users::pmi)),
            zoom_users::vanity_name.eq(coalesce(excluded(zoom_users::vanity_name), zoom_users::vanity_name)),
            zoom_users::event_ts.eq(excluded(zoom_users::event_ts)),
            zoom_users::updated_at.eq(excluded(zoom_users::updated_at)),
        )),
        zoom_users::event_ts.is_null().or(zoom_users::event_ts.le(event_ts)),
    )
    .execute(c))?;
    Ok(written > 0)
}

pub fn delete(conn: &mut AnyConnection, user_id: &str) -> QueryResult<usize> {
    diesel::delete(zoom_users::table.find(user_id)).execute(conn)
}
