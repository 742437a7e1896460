//! The twin migration folders stay twins: same names, same tables and columns on both
//! backends, and every migration reverts cleanly.

use std::collections::BTreeSet;

use diesel::RunQueryDsl as _;
use diesel::sql_types::{BigInt, Text};
use zoomsync::db::{AnyConnection, Db, PoolOptions, migrate};

use crate::helpers::{Backend, TestDb};

fn folder_names(backend: &str) -> BTreeSet<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(backend);
    std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| !name.starts_with('.'))
        .collect()
}

#[test]
fn both_folders_hold_the_same_migration_names() {
    let sqlite = folder_names("sqlite");
    let postgres = folder_names("postgres");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, postgres);
    for name in &sqlite {
        for backend in ["sqlite", "postgres"] {
            for file in ["up.sql", "down.sql"] {
                let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("migrations")
                    .join(backend)
                    .join(name)
                    .join(file);
                assert!(path.is_file(), "{} is missing", path.display());
            }
        }
    }
}

/// (table, column, portable type, nullable) for every user table.
type Columns = BTreeSet<(String, String, String, bool)>;

#[derive(diesel::QueryableByName)]
struct Column {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = BigInt)]
    nullable: i64,
}

fn portable_type(declared: &str) -> String {
    match declared.to_ascii_lowercase().as_str() {
        "text" => "text",
        "blob" | "bytea" => "binary",
        "bigint" | "integer" => "integer",
        "timestamp" | "timestamp without time zone" => "timestamp",
        "boolean" => "boolean",
        other => return format!("unportable:{other}"),
    }
    .to_owned()
}

fn columns(conn: &mut AnyConnection) -> Columns {
    let rows: Vec<Column> = match conn {
        AnyConnection::Sqlite(c) => diesel::sql_query(
            "SELECT m.name AS table_name, p.name AS column_name, p.type AS data_type, \
             CAST(1 - p.\"notnull\" AS BIGINT) AS nullable \
             FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name != '__diesel_schema_migrations'",
        )
        .load(c)
        .unwrap(),
        AnyConnection::Postgresql(c) => diesel::sql_query(
            "SELECT table_name::text, column_name::text, data_type::text, \
             CASE WHEN is_nullable = 'YES' THEN 1::bigint ELSE 0::bigint END AS nullable \
             FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name != '__diesel_schema_migrations'",
        )
        .load(c)
        .unwrap(),
    };
    rows.into_iter().map(|c| (c.table_name, c.column_name, portable_type(&c.data_type), c.nullable == 1)).collect()
}

fn migrated_columns(db: &TestDb) -> Columns {
    let pool = Db::connect(&zoomsync::db::DbTarget::parse(&db.url).unwrap(), &PoolOptions::default()).unwrap();
    let mut conn = pool.get().unwrap();
    let applied = migrate::run_pending(&mut conn).unwrap();
    assert!(!applied.is_empty());
    assert!(!migrate::has_pending(&mut conn).unwrap());
    let first = columns(&mut conn);

    let reverted = migrate::revert_all(&mut conn).unwrap();
    assert_eq!(reverted.len(), applied.len());
    assert!(columns(&mut conn).is_empty(), "down.sql left tables behind on {:?}", db.backend);
    assert!(migrate::has_pending(&mut conn).unwrap());

    assert_eq!(migrate::run_pending(&mut conn).unwrap(), applied);
    assert_eq!(columns(&mut conn), first, "up -> down -> up changed the schema on {:?}", db.backend);
    assert!(migrate::run_pending(&mut conn).unwrap().is_empty(), "a second run applies nothing");
    first
}

#[test]
fn both_backends_migrate_up_down_up_to_the_same_tables_and_columns() {
    let sqlite = migrated_columns(&TestDb::new(Backend::Sqlite));
    let postgres = migrated_columns(&TestDb::new(Backend::Postgres));
    for (table, column, kind, _) in &sqlite {
        assert!(!kind.starts_with("unportable"), "{table}.{column} has an unportable type {kind}");
    }
    assert_eq!(sqlite, postgres);
    let tables: BTreeSet<&str> = sqlite.iter().map(|(t, ..)| t.as_str()).collect();
    for table in ["oauth_apps", "credentials", "meeting_mappings", "webhook_events", "credential_logs"] {
        assert!(tables.contains(table), "{table} is missing");
    }
}
