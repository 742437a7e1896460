//! The `console_signouts` table: console sessions signed out of before they expired, by nonce.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::schema::console_signouts;
use crate::per_backend;

/// Records that the session with `nonce` ended. Signing out of the same session twice at once
/// (two tabs) is one sign-out, not a key conflict.
pub fn record(conn: &mut AnyConnection, nonce: &str, expires_at: NaiveDateTime, now: NaiveDateTime) -> QueryResult<()> {
    let row = (
        console_signouts::nonce.eq(nonce),
        console_signouts::expires_at.eq(expires_at),
        console_signouts::signed_out_at.eq(now),
    );
    per_backend!(conn, |c| diesel::insert_into(console_signouts::table)
        .values(row)
        .on_conflict(console_signouts::nonce)
        .do_nothing()
        .execute(c))?;
    Ok(())
}

/// True when the session with `nonce` was signed out of.
pub fn signed_out(conn: &mut AnyConnection, nonce: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(console_signouts::table.find(nonce))).get_result(conn)
}
