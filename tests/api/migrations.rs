//! The twin migration folders stay twins: same names, the same statements once each backend's
//! type spellings are mapped, the same tables and columns on both backends, and every migration
//! reverts cleanly. And `src/db/schema.rs`, kept by hand, matches what they create.

use std::collections::BTreeSet;

use diesel::RunQueryDsl as _;
use diesel::sql_types::{BigInt, Text};
use zoomsync::db::{AnyConnection, Db, PoolOptions, migrate};

use crate::both_backends;
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

// ---------------------------------------------------------------------------------------------
// Statement parity: the two folders say the same thing, statement by statement.

/// Migrations whose SQLite and PostgreSQL files may legitimately differ (a SQLite table rebuild
/// where PostgreSQL has an `ALTER`, say), each with the reason. None so far.
const DIVERGENT: &[(&str, &str)] = &[];

/// One SQL file as its statements, each a list of tokens: comments and layout gone, words
/// lowercased (SQL keywords and unquoted identifiers are case-insensitive on both backends),
/// string literals and quoted identifiers kept as written.
fn statements(sql: &str) -> Vec<Vec<String>> {
    let mut statements = Vec::new();
    let mut current: Vec<String> = Vec::new();
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '-' if chars.peek() == Some(&'-') => {
                chars.by_ref().take_while(|&c| c != '\n').for_each(drop);
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut previous = ' ';
                for c in chars.by_ref() {
                    if previous == '*' && c == '/' {
                        break;
                    }
                    previous = c;
                }
            }
            '\'' | '"' => {
                let mut quoted = String::from(c);
                loop {
                    match chars.next() {
                        Some(q) if q == c && chars.peek() == Some(&c) => {
                            chars.next();
                            quoted.extend([c, c]);
                        }
                        Some(q) if q == c => {
                            quoted.push(c);
                            break;
                        }
                        Some(other) => quoted.push(other),
                        None => panic!("unterminated {c} in {sql}"),
                    }
                }
                current.push(quoted);
            }
            ';' => {
                if !current.is_empty() {
                    statements.push(std::mem::take(&mut current));
                }
            }
            c if c.is_whitespace() => {}
            c if c.is_alphanumeric() || c == '_' => {
                let mut word: String = c.to_lowercase().collect();
                while let Some(&next) = chars.peek()
                    && (next.is_alphanumeric() || next == '_')
                {
                    word.extend(next.to_lowercase());
                    chars.next();
                }
                current.push(word);
            }
            other => current.push(other.to_string()),
        }
    }
    if !current.is_empty() {
        statements.push(current);
    }
    statements
}

/// Each backend's spelling of the types the two folders share, and the neutral word it
/// becomes. Only the folder's own backend's spellings are mapped, so a PostgreSQL type in the
/// SQLite folder (where it would get the wrong affinity) still differs.
const SQLITE_SPELLINGS: &[(&[&str], &[&str])] = &[
    (&["integer", "primary", "key", "autoincrement"], &["serial", "primary", "key"]),
    (&["blob"], &["binary"]),
    (&["datetime"], &["timestamp"]),
    (&["bool"], &["boolean"]),
    (&["real"], &["double"]),
];
const POSTGRES_SPELLINGS: &[(&[&str], &[&str])] = &[
    (&["bigserial", "primary", "key"], &["serial", "primary", "key"]),
    (&["bytea"], &["binary"]),
    (&["timestamp", "without", "time", "zone"], &["timestamp"]),
    (&["bool"], &["boolean"]),
    (&["double", "precision"], &["double"]),
];

fn portable(tokens: &[String], spellings: &[(&[&str], &[&str])]) -> String {
    let mut out: Vec<&str> = Vec::with_capacity(tokens.len());
    let mut i = 0;
    'tokens: while i < tokens.len() {
        for (spelling, neutral) in spellings {
            if tokens[i..].iter().map(String::as_str).take(spelling.len()).eq(spelling.iter().copied()) {
                out.extend(neutral.iter().copied());
                i += spelling.len();
                continue 'tokens;
            }
        }
        out.push(&tokens[i]);
        i += 1;
    }
    out.join(" ")
}

fn portable_statements(backend: &str, migration: &str, file: &str) -> Vec<String> {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(backend).join(migration).join(file);
    let sql = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let spellings = if backend == "sqlite" { SQLITE_SPELLINGS } else { POSTGRES_SPELLINGS };
    statements(&sql).iter().map(|tokens| portable(tokens, spellings)).collect()
}

/// What differs between the two lists of statements of one file, or `None`.
fn statement_difference(sqlite: &[String], postgres: &[String]) -> Option<String> {
    if sqlite == postgres {
        return None;
    }
    let mut lines = Vec::new();
    for (side, these, those) in [("sqlite", sqlite, postgres), ("postgres", postgres, sqlite)] {
        let only: Vec<&String> = these.iter().filter(|s| !those.contains(s)).collect();
        if !only.is_empty() {
            lines.push(format!("  only in {side}:"));
            lines.extend(only.iter().map(|s| format!("    {s}")));
        }
    }
    if lines.is_empty() {
        lines.push("  the same statements, in another order or repeated".to_owned());
    }
    // Where the lists first part, and the words around the first difference there, so that a
    // lost UNIQUE in a long CREATE TABLE is easy to spot.
    let at = sqlite.iter().zip(postgres).position(|(a, b)| a != b).unwrap_or(sqlite.len().min(postgres.len()));
    fn words(list: &[String], at: usize) -> Vec<&str> {
        list.get(at).map(|s| s.split(' ').collect()).unwrap_or_default()
    }
    let (a, b) = (words(sqlite, at), words(postgres, at));
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let around = |w: &[&str]| match w {
        [] => "(no statement)".to_owned(),
        w => format!("... {} ...", w[common.saturating_sub(4)..(common + 4).min(w.len())].join(" ")),
    };
    lines.push(format!("  statement {} is the first to differ:", at + 1));
    lines.push(format!("    sqlite:   {}", around(&a)));
    lines.push(format!("    postgres: {}", around(&b)));
    Some(lines.join("\n"))
}

#[test]
fn both_folders_hold_the_same_statements_once_type_spellings_are_mapped() {
    let mut differences = Vec::new();
    let mut compared = 0;
    for migration in &folder_names("sqlite") {
        if DIVERGENT.iter().any(|(name, _)| name == migration) {
            continue;
        }
        for file in ["up.sql", "down.sql"] {
            let sqlite = portable_statements("sqlite", migration, file);
            let postgres = portable_statements("postgres", migration, file);
            assert!(!sqlite.is_empty(), "{migration}/{file} holds no statement");
            compared += sqlite.len();
            if let Some(difference) = statement_difference(&sqlite, &postgres) {
                differences.push(format!("{migration}/{file}:\n{difference}"));
            }
        }
    }
    assert!(compared > 0);
    assert!(
        differences.is_empty(),
        "migrations/sqlite and migrations/postgres differ beyond type spellings:\n{}",
        differences.join("\n")
    );
}

#[test]
fn statement_normalisation_maps_only_type_spellings() {
    let sqlite = "-- a comment\nCREATE TABLE t (\n  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, -- why\n  b BLOB,\n  k TEXT CHECK (k IN ('A', 'it''s'))\n);\nCREATE INDEX t_b ON t (b);";
    let postgres = "create table t (id bigserial primary key not null, b bytea, k text check (k in ('A', 'it''s')));\n/* block */ create index t_b on t(b)";
    let normalised = |sql: &str, spellings: &[(&[&str], &[&str])]| {
        statements(sql).iter().map(|s| portable(s, spellings)).collect::<Vec<_>>()
    };
    let (a, b) = (normalised(sqlite, SQLITE_SPELLINGS), normalised(postgres, POSTGRES_SPELLINGS));
    assert_eq!(a, b);
    assert_eq!(
        a[0],
        "create table t ( id serial primary key not null , b binary , k text check ( k in ( 'A' , 'it''s' ) ) )"
    );
    assert_eq!(a[1], "create index t_b on t ( b )");
    // A literal keeps its case, and a type spelt for the other backend is not mapped.
    assert_ne!(
        normalised("CHECK (k IN ('a'))", SQLITE_SPELLINGS),
        normalised("CHECK (k IN ('A'))", POSTGRES_SPELLINGS)
    );
    assert_ne!(normalised("b BYTEA", SQLITE_SPELLINGS), normalised("b BYTEA", POSTGRES_SPELLINGS));
    let extra_index = statement_difference(&a, &b[..1]).unwrap();
    assert!(extra_index.contains("only in sqlite:\n    create index t_b on t ( b )"), "{extra_index}");
}

// ---------------------------------------------------------------------------------------------
// src/db/schema.rs against the migrated database.

/// A column as `src/db/schema.rs` declares it.
#[derive(Debug)]
struct DeclaredColumn {
    name: String,
    /// The diesel SQL type without `Nullable<...>` or a path: `Text`, `BigInt`, ...
    sql_type: String,
    nullable: bool,
}

#[derive(Debug)]
struct DeclaredTable {
    name: String,
    primary_key: Vec<String>,
    columns: Vec<DeclaredColumn>,
}

/// The `diesel::table!` blocks of `src/db/schema.rs`, read as text. A line this does not
/// understand fails the test rather than being skipped, so the check cannot quietly go blind.
fn schema_rs_tables() -> Vec<DeclaredTable> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/db/schema.rs");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut tables = Vec::new();
    for block in text.split("diesel::table! {").skip(1) {
        let body = &block[..block.find("\n}").expect("a table! block ends with `}` on its own line")];
        let mut lines =
            body.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with("//") && !l.starts_with("#["));
        let header = lines.next().expect("a table name");
        let (name, rest) = header.split_once('(').unwrap_or_else(|| panic!("cannot read table header `{header}`"));
        let (key, _) = rest.split_once(')').unwrap_or_else(|| panic!("cannot read table header `{header}`"));
        let mut table = DeclaredTable {
            name: name.trim().to_owned(),
            primary_key: key.split(',').map(|k| k.trim().to_owned()).collect(),
            columns: Vec::new(),
        };
        for line in lines {
            if line == "}" {
                break;
            }
            let (column, sql_type) = line
                .trim_end_matches(',')
                .split_once("->")
                .unwrap_or_else(|| panic!("cannot read `{line}` in table {}", table.name));
            let sql_type = sql_type.trim();
            let (sql_type, nullable) = match sql_type.strip_prefix("Nullable<").and_then(|t| t.strip_suffix('>')) {
                Some(inner) => (inner, true),
                None => (sql_type, false),
            };
            let sql_type = sql_type.rsplit("::").next().unwrap_or(sql_type).trim();
            table.columns.push(DeclaredColumn {
                name: column.trim().to_owned(),
                sql_type: sql_type.to_owned(),
                nullable,
            });
        }
        assert!(!table.columns.is_empty(), "table {} declares no column", table.name);
        tables.push(table);
    }
    assert!(!tables.is_empty(), "no diesel::table! block in {}", path.display());
    tables
}

/// The diesel SQL types a column declared as `declared` can be read as on `backend`.
fn diesel_types(backend: Backend, declared: &str) -> &'static [&'static str] {
    match (backend, declared.to_ascii_lowercase().as_str()) {
        (_, "text") => &["Text"],
        (_, "bigint") => &["BigInt"],
        // SQLite's INTEGER holds 64 bits, and an autoincrement key has to be spelt INTEGER.
        (Backend::Sqlite, "integer") => &["BigInt", "Integer"],
        (Backend::Postgres, "integer") => &["Integer"],
        (_, "smallint") => &["SmallInt"],
        (Backend::Sqlite, "blob") | (Backend::Postgres, "bytea") => &["Binary"],
        (Backend::Sqlite, "timestamp" | "datetime") | (Backend::Postgres, "timestamp without time zone") => {
            &["Timestamp"]
        }
        (_, "boolean") => &["Bool"],
        (Backend::Sqlite, "real" | "double") | (Backend::Postgres, "double precision") => &["Double"],
        (Backend::Postgres, "real") => &["Float"],
        (_, "date") => &["Date"],
        _ => &[],
    }
}

#[derive(diesel::QueryableByName)]
struct IntrospectedColumn {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = BigInt)]
    nullable: i64,
    /// Position in the primary key, from 1; 0 when not part of it.
    #[diesel(sql_type = BigInt)]
    key_position: i64,
}

/// Every column of every user table, with its declared type, nullability and place in the
/// primary key.
fn introspect(conn: &mut AnyConnection, db: &TestDb) -> Vec<IntrospectedColumn> {
    match conn {
        AnyConnection::Sqlite(c) => diesel::sql_query(
            "SELECT m.name AS table_name, p.name AS column_name, p.type AS data_type, \
             CAST(1 - p.\"notnull\" AS BIGINT) AS nullable, CAST(p.pk AS BIGINT) AS key_position \
             FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name != '__diesel_schema_migrations' \
             ORDER BY m.name, p.cid",
        )
        .load(c)
        .unwrap(),
        AnyConnection::Postgresql(c) => diesel::sql_query(
            "SELECT c.table_name::text AS table_name, c.column_name::text AS column_name, \
             c.data_type::text AS data_type, \
             CASE WHEN c.is_nullable = 'YES' THEN 1::bigint ELSE 0::bigint END AS nullable, \
             COALESCE((SELECT k.ordinal_position::bigint FROM information_schema.key_column_usage k \
                 JOIN information_schema.table_constraints t \
                   ON t.constraint_schema = k.constraint_schema AND t.constraint_name = k.constraint_name \
                 WHERE t.constraint_type = 'PRIMARY KEY' AND k.table_schema = c.table_schema \
                   AND k.table_name = c.table_name AND k.column_name = c.column_name), 0) AS key_position \
             FROM information_schema.columns c \
             WHERE c.table_schema = $1 AND c.table_name != '__diesel_schema_migrations' \
             ORDER BY c.table_name, c.ordinal_position",
        )
        .bind::<Text, _>(db.schema.as_deref().expect("a PostgreSQL test database has a schema"))
        .load(c)
        .unwrap(),
    }
}

/// Everything on which `schema.rs` and the database migrated on `db` disagree, one line each,
/// naming the table and column.
fn schema_rs_drift(db: &TestDb) -> Vec<String> {
    let pool = db.handle();
    let mut conn = pool.get().unwrap();
    assert!(!migrate::run_pending(&mut conn).unwrap().is_empty());
    let columns = introspect(&mut conn, db);
    assert!(!columns.is_empty());
    let backend = format!("{:?}", db.backend).to_lowercase();
    let declared = schema_rs_tables();

    let mut drift = Vec::new();
    let migrated_tables: BTreeSet<&str> = columns.iter().map(|c| c.table_name.as_str()).collect();
    for table in &migrated_tables {
        if !declared.iter().any(|t| t.name == *table) {
            drift.push(format!("table {table}: created by the {backend} migrations, missing from schema.rs"));
        }
    }
    for table in &declared {
        if !migrated_tables.contains(table.name.as_str()) {
            drift.push(format!("table {}: declared in schema.rs, not created by the {backend} migrations", table.name));
            continue;
        }
        let migrated: Vec<&IntrospectedColumn> = columns.iter().filter(|c| c.table_name == table.name).collect();
        for column in &migrated {
            if !table.columns.iter().any(|c| c.name == column.column_name) {
                drift.push(format!(
                    "{}.{}: a {backend} column ({} {}), missing from schema.rs",
                    table.name,
                    column.column_name,
                    column.data_type,
                    if column.nullable == 1 { "NULL" } else { "NOT NULL" }
                ));
            }
        }
        for column in &table.columns {
            let Some(found) = migrated.iter().find(|c| c.column_name == column.name) else {
                drift.push(format!(
                    "{}.{}: declared in schema.rs, not created by the {backend} migrations",
                    table.name, column.name
                ));
                continue;
            };
            if !diesel_types(db.backend, &found.data_type).contains(&column.sql_type.as_str()) {
                drift.push(format!(
                    "{}.{}: schema.rs says {}, the {backend} column is {}",
                    table.name, column.name, column.sql_type, found.data_type
                ));
            }
            if column.nullable != (found.nullable == 1) {
                drift.push(format!(
                    "{}.{}: schema.rs says {}, the {backend} column is {}",
                    table.name,
                    column.name,
                    if column.nullable { "Nullable" } else { "not Nullable" },
                    if found.nullable == 1 { "NULL" } else { "NOT NULL" }
                ));
            }
        }
        let mut key: Vec<(i64, &str)> =
            migrated.iter().filter(|c| c.key_position > 0).map(|c| (c.key_position, c.column_name.as_str())).collect();
        key.sort_unstable();
        let key: Vec<&str> = key.into_iter().map(|(_, name)| name).collect();
        if key != table.primary_key {
            drift.push(format!(
                "table {}: schema.rs says primary key ({}), the {backend} table has ({})",
                table.name,
                table.primary_key.join(", "),
                key.join(", ")
            ));
        }
    }
    drift
}

both_backends! {
    async fn schema_rs_matches_the_migrated_database(backend) {
        let db = TestDb::new(backend);
        let drift = schema_rs_drift(&db);
        assert!(drift.is_empty(), "src/db/schema.rs does not match the migrated database:\n{}", drift.join("\n"));
    }
}

#[test]
fn schema_rs_is_read_as_declared() {
    let tables = schema_rs_tables();
    let mappings = tables.iter().find(|t| t.name == "meeting_mappings").unwrap();
    assert_eq!(mappings.primary_key, ["meeting_id", "credential_id"]);
    let credentials = tables.iter().find(|t| t.name == "credentials").unwrap();
    let pmi = credentials.columns.iter().find(|c| c.name == "pmi").unwrap();
    assert_eq!((pmi.sql_type.as_str(), pmi.nullable), ("BigInt", true));
    let id = credentials.columns.iter().find(|c| c.name == "id").unwrap();
    assert_eq!((id.sql_type.as_str(), id.nullable), ("Text", false));
}
