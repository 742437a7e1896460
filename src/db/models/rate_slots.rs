//! The `rate_slots` table: each Zoom account's recent call times per rate category, shared by
//! every replica (see `services::budget`).

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use crate::db::AnyConnection;
use crate::db::schema::rate_slots;

#[derive(QueryableByName)]
struct Locked {
    #[diesel(sql_type = Text)]
    slots: String,
    #[diesel(sql_type = BigInt)]
    now_us: i64,
}

/// Locks the row of (`account_id`, `category`) for the rest of the transaction, making it if
/// missing, and returns its slots with the database's clock now, both in microseconds since
/// the Unix epoch. One clock for every replica: theirs may disagree.
pub fn lock(conn: &mut AnyConnection, account_id: &str, category: &str) -> QueryResult<(Vec<i64>, i64)> {
    // The no-op update makes the row come back (and locked) whether it was there or not.
    const UPSERT: &str = "INSERT INTO rate_slots (account_id, category, slots) VALUES ($1, $2, '') \
        ON CONFLICT (account_id, category) DO UPDATE SET slots = rate_slots.slots RETURNING slots, ";
    let locked: Locked = match conn {
        AnyConnection::Postgresql(c) => {
            diesel::sql_query(format!("{UPSERT}(EXTRACT(EPOCH FROM clock_timestamp()) * 1000000)::BIGINT AS now_us"))
                .bind::<Text, _>(account_id)
                .bind::<Text, _>(category)
                .get_result(c)?
        }
        AnyConnection::Sqlite(c) => diesel::sql_query(format!(
            "{}CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER) AS now_us",
            UPSERT.replace("$1", "?").replace("$2", "?")
        ))
        .bind::<Text, _>(account_id)
        .bind::<Text, _>(category)
        .get_result(c)?,
    };
    // Written only by `store`; anything unparsable is dropped rather than trusted.
    let slots = locked.slots.split(',').filter_map(|s| s.parse().ok()).collect();
    Ok((slots, locked.now_us))
}

/// Replaces the row's slots (locked by [`lock`] in the same transaction).
pub fn store(conn: &mut AnyConnection, account_id: &str, category: &str, slots: &[i64]) -> QueryResult<()> {
    let text = slots.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    diesel::update(rate_slots::table.find((account_id, category))).set(rate_slots::slots.eq(text)).execute(conn)?;
    Ok(())
}
