//! A fresh, empty database per test: a temporary SQLite file, or a PostgreSQL schema of its
//! own (dropped afterwards) on the server `ZOOMSYNC_TEST_POSTGRES_URL` names.

use diesel::connection::SimpleConnection as _;
use diesel::{Connection as _, PgConnection};
use rand::Rng as _;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub fn postgres_base_url() -> String {
    std::env::var("ZOOMSYNC_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

pub struct TestDb {
    pub backend: Backend,
    /// What `database.url` should say.
    pub url: String,
    /// The SQLite file, or `None` on PostgreSQL.
    pub sqlite_path: Option<std::path::PathBuf>,
    /// The PostgreSQL schema, or `None` on SQLite.
    pub schema: Option<String>,
    /// Holds the SQLite directory (and anything else a test puts there) until the test ends.
    pub dir: tempfile::TempDir,
}

impl TestDb {
    pub fn new(backend: Backend) -> Self {
        zoomsync::init_process();
        let dir = tempfile::tempdir().expect("temporary directory");
        match backend {
            Backend::Sqlite => {
                let path = dir.path().join("zoomsync.db");
                Self {
                    backend,
                    url: format!("sqlite://{}", path.display()),
                    sqlite_path: Some(path),
                    schema: None,
                    dir,
                }
            }
            Backend::Postgres => {
                let schema = format!("zs_test_{:016x}", rand::rng().random::<u64>());
                let mut admin = PgConnection::establish(&postgres_base_url())
                    .expect("PostgreSQL must be reachable for the postgres half of the suite (see README)");
                admin.batch_execute(&format!("CREATE SCHEMA {schema}")).expect("create schema");
                let base = postgres_base_url();
                let separator = if base.contains('?') { '&' } else { '?' };
                Self {
                    backend,
                    url: format!("{base}{separator}options=-csearch_path%3D{schema}"),
                    sqlite_path: None,
                    schema: Some(schema),
                    dir,
                }
            }
        }
    }

    /// A pool on this database.
    pub fn handle(&self) -> zoomsync::db::Db {
        zoomsync::db::Db::connect(
            &zoomsync::db::DbTarget::parse(&self.url).expect("url"),
            &zoomsync::db::PoolOptions { max_size: 2, ..Default::default() },
        )
        .expect("database")
    }

    /// The same database for another replica: owns nothing to clean up, so this one still
    /// drops the PostgreSQL schema (the replica must stop first).
    pub fn shared(&self) -> Self {
        Self {
            backend: self.backend,
            url: self.url.clone(),
            sqlite_path: self.sqlite_path.clone(),
            schema: None,
            dir: tempfile::tempdir().expect("temporary directory"),
        }
    }

    /// An inert value to move out of a struct with (owns nothing to clean up).
    pub fn placeholder() -> Self {
        Self {
            backend: Backend::Sqlite,
            url: String::new(),
            sqlite_path: None,
            schema: None,
            dir: tempfile::tempdir().expect("temporary directory"),
        }
    }

    /// Every byte the database holds, as text: the raw SQLite files, or every PostgreSQL row
    /// rendered as text (bytea as hex). Used to prove no secret is stored in plaintext.
    pub fn dump(&self) -> Vec<u8> {
        match (&self.sqlite_path, &self.schema) {
            (Some(path), _) => {
                let mut bytes = Vec::new();
                for suffix in ["", "-wal"] {
                    let file = format!("{}{suffix}", path.display());
                    if let Ok(content) = std::fs::read(&file) {
                        bytes.extend(content);
                    }
                }
                bytes
            }
            (None, Some(schema)) => {
                use diesel::RunQueryDsl as _;
                #[derive(diesel::QueryableByName)]
                struct Line {
                    #[diesel(sql_type = diesel::sql_types::Text)]
                    line: String,
                }
                let mut conn = PgConnection::establish(&self.url).expect("connect");
                let tables: Vec<Line> = diesel::sql_query(format!(
                    "SELECT table_name::text AS line FROM information_schema.tables WHERE table_schema = '{schema}'"
                ))
                .load(&mut conn)
                .expect("tables");
                let mut bytes = Vec::new();
                for table in tables {
                    let rows: Vec<Line> =
                        diesel::sql_query(format!("SELECT t::text AS line FROM {schema}.{} t", table.line))
                            .load(&mut conn)
                            .expect("rows");
                    for row in rows {
                        bytes.extend(row.line.into_bytes());
                        bytes.push(b'\n');
                    }
                }
                bytes
            }
            (None, None) => Vec::new(),
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(schema) = &self.schema
            && let Ok(mut admin) = PgConnection::establish(&postgres_base_url())
        {
            let _ = admin.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
        }
    }
}

/// True when `haystack` contains `secret` as plain bytes or as lowercase hex (how PostgreSQL
/// renders bytea).
pub fn contains_secret(haystack: &[u8], secret: &str) -> bool {
    let hex = hex::encode(secret.as_bytes());
    [secret.as_bytes(), hex.as_bytes()].iter().any(|needle| haystack.windows(needle.len()).any(|w| w == *needle))
}
