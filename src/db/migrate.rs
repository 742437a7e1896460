//! Embedded migrations for both backends, applied at start-up and by `zoomsync migrate`.
//!
//! `migrations/sqlite` and `migrations/postgres` hold the same directory names (a test checks
//! it); each backend runs its own folder. On PostgreSQL the run happens under a session advisory
//! lock, so replicas starting together apply each migration once and the others wait, then find
//! nothing pending.

use diesel::RunQueryDsl;
use diesel::migration::MigrationVersion;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::AnyConnection;

pub const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Arbitrary but fixed: the advisory-lock key every zoomsync process agrees on ("zoomsync").
const PG_MIGRATION_LOCK: i64 = 0x7a6f_6f6d_7379_6e63;

type MigrationError = Box<dyn std::error::Error + Send + Sync>;

/// Applies every pending migration; returns the versions it applied (empty if none were due).
pub fn run_pending(conn: &mut AnyConnection) -> Result<Vec<String>, MigrationError> {
    let names = |versions: Vec<MigrationVersion<'_>>| versions.iter().map(ToString::to_string).collect();
    match conn {
        AnyConnection::Sqlite(c) => Ok(names(c.run_pending_migrations(SQLITE)?)),
        AnyConnection::Postgresql(c) => {
            diesel::sql_query(format!("SELECT pg_advisory_lock({PG_MIGRATION_LOCK})")).execute(c)?;
            let applied: Result<Vec<String>, MigrationError> = c.run_pending_migrations(POSTGRES).map(names);
            let unlocked = diesel::sql_query(format!("SELECT pg_advisory_unlock({PG_MIGRATION_LOCK})")).execute(c);
            let applied = applied?;
            unlocked?;
            Ok(applied)
        }
    }
}

/// True when the database lacks a migration this binary knows (`/readyz` answers 503 then).
pub fn has_pending(conn: &mut AnyConnection) -> Result<bool, MigrationError> {
    Ok(match conn {
        AnyConnection::Sqlite(c) => c.has_pending_migration(SQLITE)?,
        AnyConnection::Postgresql(c) => c.has_pending_migration(POSTGRES)?,
    })
}

/// Reverts every migration (the migration tests run down and up again).
pub fn revert_all(conn: &mut AnyConnection) -> Result<Vec<String>, MigrationError> {
    let reverted = match conn {
        AnyConnection::Sqlite(c) => c.revert_all_migrations(SQLITE)?,
        AnyConnection::Postgresql(c) => c.revert_all_migrations(POSTGRES)?,
    };
    Ok(reverted.iter().map(ToString::to_string).collect())
}
