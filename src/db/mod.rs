//! Storage: a pool of [`AnyConnection`]s and the one way to use it from async code.
//!
//! Diesel is synchronous, so every database call goes through [`Db::read`] or [`Db::write`],
//! which run the closure on tokio's blocking pool: a connection is checked out, used and
//! returned inside one closure and is never held across an `.await` (docs/design.md §2). Repository
//! functions in [`models`] are plain `fn(&mut AnyConnection, ..) -> QueryResult<T>`.

mod changes;
pub mod conn;
pub mod migrate;
pub mod models;
pub mod schema;
mod text_enum;

use std::sync::Arc;
use std::time::Duration;

use diesel::QueryResult;
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::r2d2::{Pool, PooledConnection};
use tracing::Instrument as _;

pub use changes::ChangeWatch;
pub use conn::{AnyConnection, Backend, DbTarget, custom_plans_for_this_transaction};

/// Runs the same diesel expression on whichever backend `conn` is, for the few statements the
/// MultiConnection derive cannot express backend-neutrally (upserts with `ON CONFLICT`).
#[macro_export]
macro_rules! per_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::AnyConnection::Sqlite($c) => $body,
            $crate::db::AnyConnection::Postgresql($c) => $body,
        }
    };
}

/// Why a database call failed, sorted by what the caller should tell its client.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// No connection could be had (server down, pool exhausted): a 503, retry later.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    #[error("database task failed: {0}")]
    Task(String),
}

impl DbError {
    /// True for failures of the database itself rather than of the query: worth a 503.
    pub fn is_unavailable(&self) -> bool {
        use diesel::result::{DatabaseErrorKind, Error};
        match self {
            Self::Unavailable(_)
            | Self::Query(
                Error::DatabaseError(
                    DatabaseErrorKind::ClosedConnection
                    | DatabaseErrorKind::UnableToSendCommand
                    | DatabaseErrorKind::SerializationFailure,
                    _,
                )
                | Error::BrokenTransactionManager,
            ) => true,
            // A busy SQLite file or a PostgreSQL deadlock passes: worth a retry, not a verdict.
            Self::Query(Error::DatabaseError(_, info)) => {
                let message = info.message();
                message.contains("database is locked") || message.contains("deadlock detected")
            }
            _ => false,
        }
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::Query(diesel::result::Error::NotFound))
    }
}

#[derive(Clone, Debug)]
pub struct PoolOptions {
    pub max_size: u32,
    pub connection_timeout: Duration,
}

impl Default for PoolOptions {
    fn default() -> Self {
        Self { max_size: 10, connection_timeout: Duration::from_secs(5) }
    }
}

/// The database handle shared by the server, the background jobs and the CLI.
#[derive(Clone)]
pub struct Db {
    pool: Pool<conn::Manager>,
    reachability: Arc<conn::Reachability>,
    connection_timeout: Duration,
    /// SQLite: the database file as it was opened, to notice it deleted or replaced.
    sqlite_file: Option<Arc<SqliteFile>>,
    /// SQLite has one writer at a time. Queueing this process's writers on a mutex is fairer and
    /// faster than letting them poll SQLite's busy handler; `busy_timeout` still covers other
    /// processes. PostgreSQL needs no such lock.
    sqlite_writer: Option<Arc<parking_lot::Mutex<()>>>,
    /// Whether this handle's writes count in [`writes`] and are announced to other processes
    /// (see [`Db::unrelated_to_resolution`]).
    counted: bool,
    /// Where the pool connects: the change watch opens its own connection there.
    target: DbTarget,
}

/// Write transactions this process has committed that may change what a bot's meeting resolves
/// to, and those other processes announced (`changes`). A cache of resolutions
/// keeps the count it read before it queried and is stale once the count moved. Process-wide,
/// so every handle (the CLI's, a test's) moves it.
static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// See [`WRITES`].
pub fn writes() -> u64 {
    WRITES.load(std::sync::atomic::Ordering::Acquire)
}

fn count_write(counted: bool) {
    if counted {
        count_foreign_write();
    }
}

/// Another process wrote (or may have, unheard): what was read before is stale.
fn count_foreign_write() {
    WRITES.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
}

impl Db {
    /// Opens a pool on `target`. For SQLite the file and its directory are created if missing.
    pub fn connect(target: &DbTarget, options: &PoolOptions) -> Result<Self, DbError> {
        let sqlite_file = match target {
            DbTarget::Sqlite(path) => {
                private_sqlite_file(path)?;
                Some(Arc::new(SqliteFile::opened(path)?))
            }
            DbTarget::Postgres(_) => None,
        };
        let reachability = Arc::new(conn::Reachability::default());
        let pool = Pool::builder()
            .max_size(options.max_size)
            // Connections are opened on demand only. r2d2 opens them on its own threads, and a
            // background top-up still connecting when the process exits crashes inside libpq's
            // TLS/Kerberos clean-up; on demand, every connect is awaited by its caller.
            .min_idle(Some(0))
            // No `SELECT 1` before every use: that is a round trip per query on PostgreSQL. A
            // connection that died is found by the query that fails on it (a 503) and dropped by
            // `has_broken`.
            .test_on_check_out(false)
            .connection_timeout(options.connection_timeout)
            .build(conn::Manager::new(target.clone(), reachability.clone()))
            .map_err(|e| DbError::Unavailable(e.to_string()))?;
        let sqlite_writer = (target.backend() == Backend::Sqlite).then(|| Arc::new(parking_lot::Mutex::new(())));
        Ok(Self {
            pool,
            reachability,
            connection_timeout: options.connection_timeout,
            sqlite_file,
            sqlite_writer,
            counted: true,
            target: target.clone(),
        })
    }

    /// Starts hearing other processes' writes in [`writes`]. The watch holds a connection of its
    /// own, outside the pool, until it is dropped.
    pub fn watch_changes(&self) -> Arc<ChangeWatch> {
        ChangeWatch::start(&self.target)
    }

    /// The same pool, for writers that never touch meetings, credentials or apps (credential
    /// logs, outbound deliveries, heartbeats, rate-budget bookings): their writes leave cached
    /// resolutions valid. Every other write counts, so a writer forgotten here costs cache hits,
    /// never a stale answer.
    pub fn unrelated_to_resolution(&self) -> Self {
        Self { counted: false, ..self.clone() }
    }

    /// Which database this is (only SQLite has a writer lock of ours).
    pub fn backend(&self) -> Backend {
        if self.sqlite_writer.is_some() { Backend::Sqlite } else { Backend::Postgres }
    }

    /// Runs `f` on a pooled connection on the blocking pool, outside any transaction.
    pub async fn read<T, F>(&self, f: F) -> Result<T, DbError>
    where
        F: FnOnce(&mut AnyConnection) -> QueryResult<T> + Send + 'static,
        T: Send + 'static,
    {
        self.read_with(move |conn| f(conn).map_err(DbError::from)).await
    }

    /// Runs `f` inside one write transaction (`BEGIN IMMEDIATE` on SQLite, so the write lock is
    /// taken up front and a read-then-write never fails on a lock upgrade). `f` returning `Err`
    /// rolls everything back.
    pub async fn write<T, F>(&self, f: F) -> Result<T, DbError>
    where
        F: FnOnce(&mut AnyConnection) -> QueryResult<T> + Send + 'static,
        T: Send + 'static,
    {
        self.write_with(move |conn| f(conn).map_err(DbError::from)).await
    }

    /// [`Db::read`] for the token path's short, indexed reads. On SQLite, when a pooled
    /// connection is free at once, the read runs on the calling thread: handing it to the
    /// blocking pool and back (two thread wake-ups) costs more than the read itself. A WAL
    /// reader never waits for the writer, so the thread is held only for the read. Otherwise,
    /// and always on PostgreSQL (a network round trip must not hold an HTTP worker), it is
    /// [`Db::read`].
    pub async fn read_quick<T, F>(&self, f: F) -> Result<T, DbError>
    where
        F: FnOnce(&mut AnyConnection) -> QueryResult<T> + Send + 'static,
        T: Send + 'static,
    {
        if self.sqlite_file.is_some()
            && let Some(mut conn) = self.pool.try_get()
        {
            return f(&mut conn).map_err(DbError::from);
        }
        self.read(f).await
    }

    /// [`Db::read`] for a closure with failures of its own besides the database's.
    pub async fn read_with<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let checkout = self.checkout_fn();
        blocking(move || {
            let mut conn = checkout()?;
            f(&mut conn)
        })
        .await
    }

    /// [`Db::write`] for a closure with failures of its own (which roll back like the
    /// database's).
    pub async fn write_with<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let checkout = self.checkout_fn();
        let writer = self.sqlite_writer.clone();
        let file = self.sqlite_file.clone();
        let counted = self.counted;
        blocking(move || {
            // A write to a file nobody will open again would be acknowledged and then lost.
            if let Some(file) = &file {
                file.check()?;
            }
            let mut conn = checkout()?;
            let _turn = writer.as_ref().map(|w| w.lock());
            // Counted whatever the outcome: a commit whose answer was lost still changed things.
            let written = transaction(&mut conn, counted, f);
            count_write(counted);
            written
        })
        .await
    }

    /// [`Db::write_with`] for a write that must not be dropped for a moment's trouble (it holds
    /// tokens Zoom has just issued, which exist nowhere else): tried again while `retryable`
    /// says the failure may pass (a lock, a deadlock, the database briefly unreachable), for up
    /// to [`PATIENT_WRITE`].
    pub async fn write_patiently<T, E, F>(&self, retryable: impl Fn(&E) -> bool, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, E> + Clone + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + std::fmt::Display + Send + 'static,
    {
        let deadline = std::time::Instant::now() + PATIENT_WRITE;
        loop {
            match self.write_with(f.clone()).await {
                Err(e) if retryable(&e) && std::time::Instant::now() < deadline => {
                    tracing::warn!(error = %e, "a write that must not be lost failed for now; trying again");
                    tokio::time::sleep(PATIENT_RETRY).await;
                }
                other => return other,
            }
        }
    }

    /// The synchronous form of [`Db::write`], for code already on a blocking thread.
    pub fn write_blocking<T, F>(&self, f: F) -> Result<T, DbError>
    where
        F: FnOnce(&mut AnyConnection) -> QueryResult<T>,
    {
        self.check_storage()?;
        let mut conn = self.checkout()?;
        let _turn = self.sqlite_writer.as_ref().map(|w| w.lock());
        let written = transaction(&mut conn, self.counted, |conn| f(conn).map_err(DbError::from));
        count_write(self.counted);
        written
    }

    /// Whether the storage is still the one opened: on SQLite, that the database file is still
    /// at its path (not deleted, not replaced). `/readyz` asks.
    pub fn check_storage(&self) -> Result<(), DbError> {
        self.sqlite_file.as_ref().map_or(Ok(()), |file| file.check())
    }

    /// A connection for synchronous callers (migrations at start-up, tests).
    pub fn get(&self) -> Result<PooledConnection<conn::Manager>, DbError> {
        self.checkout()
    }

    /// A connection from the pool, waiting the pool's timeout for one, or only briefly while
    /// the database cannot be reached (see [`conn::Reachability`]).
    fn checkout(&self) -> Result<PooledConnection<conn::Manager>, DbError> {
        (self.checkout_fn())()
    }

    fn checkout_fn(&self) -> impl Fn() -> Result<PooledConnection<conn::Manager>, DbError> + Send + 'static {
        let (pool, reachability, timeout) = (self.pool.clone(), self.reachability.clone(), self.connection_timeout);
        move || {
            // In slices, so that a caller already waiting when the database goes away learns
            // it from the pool's first failed connection attempt, not at the timeout.
            let deadline = std::time::Instant::now() + timeout;
            loop {
                let left = deadline.saturating_duration_since(std::time::Instant::now());
                let wait = if reachability.is_unreachable() {
                    conn::Reachability::WAIT_WHILE_UNREACHABLE
                } else {
                    left.min(conn::Reachability::WAIT_WHILE_UNREACHABLE)
                };
                match pool.get_timeout(wait) {
                    Ok(conn) => return Ok(conn),
                    Err(e) if reachability.is_unreachable() || left <= wait => {
                        return Err(DbError::Unavailable(e.to_string()));
                    }
                    Err(_) => {}
                }
            }
        }
    }
}

/// The SQLite database's files (the database, its `-wal` and its `-shm`) as they were when the
/// pool was made: their identities (device and inode) and that their owner may write them.
/// SQLite keeps writing through descriptors it already holds, so without this check a file
/// deleted, replaced or made unwritable under the daemon answers ready and acknowledges writes
/// that a restart will not find (or cannot open).
struct SqliteFile {
    files: Vec<(std::path::PathBuf, (u64, u64))>,
    /// Held for the pool's life: SQLite deletes the `-wal` and `-shm` when the last connection
    /// to the database closes (the pool closes idle ones), and the files made again would have
    /// other identities. Held, they stay the files every connection of this process uses.
    _keeper: parking_lot::Mutex<conn::AnyConnection>,
}

impl SqliteFile {
    fn opened(path: &std::path::Path) -> Result<Self, DbError> {
        use diesel::connection::SimpleConnection as _;
        let mut keeper = conn::Manager::establish(&DbTarget::Sqlite(path.to_owned()))
            .map_err(|e| DbError::Unavailable(format!("cannot open the SQLite database {}: {e}", path.display())))?;
        // A first read opens (or creates) the `-wal` and `-shm`.
        keeper.batch_execute("SELECT count(*) FROM sqlite_master;").map_err(DbError::from)?;
        let files = [path.to_owned(), sibling(path, "-wal"), sibling(path, "-shm")]
            .into_iter()
            .map(|file| Self::identity_of(&file).map(|identity| (file, identity)))
            .collect::<Result<_, _>>()?;
        Ok(Self { files, _keeper: parking_lot::Mutex::new(keeper) })
    }

    fn identity_of(path: &std::path::Path) -> Result<(u64, u64), DbError> {
        use std::os::unix::fs::MetadataExt as _;
        let metadata = std::fs::metadata(path).map_err(|e| {
            DbError::Unavailable(format!("the SQLite file {} is gone ({e}); restart zoomsync", path.display()))
        })?;
        if metadata.mode() & 0o200 == 0 {
            return Err(DbError::Unavailable(format!(
                "the SQLite file {} is no longer writable (mode {:o}); make it writable by its owner and restart zoomsync",
                path.display(),
                metadata.mode() & 0o7777
            )));
        }
        Ok((metadata.dev(), metadata.ino()))
    }

    fn check(&self) -> Result<(), DbError> {
        for (path, identity) in &self.files {
            if Self::identity_of(path)? != *identity {
                return Err(DbError::Unavailable(format!(
                    "the SQLite file {} was replaced since zoomsync opened it; restart zoomsync",
                    path.display()
                )));
            }
        }
        Ok(())
    }
}

/// `path` with `suffix` appended to its file name, as SQLite names its `-wal` and `-shm`.
fn sibling(path: &std::path::Path, suffix: &str) -> std::path::PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    name.into()
}

/// How long [`Db::write_patiently`] keeps trying, and how long it waits between tries.
pub const PATIENT_WRITE: std::time::Duration = std::time::Duration::from_secs(20);
const PATIENT_RETRY: std::time::Duration = std::time::Duration::from_millis(200);

/// The SQLite file holds encrypted tokens but also who is connected and which meetings they
/// host: readable by its owner only. A directory we create is 0700; the file is created (or
/// tightened to) 0600, and SQLite gives its `-wal` and `-shm` files the file's permissions.
fn private_sqlite_file(path: &std::path::Path) -> Result<(), DbError> {
    use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
    let unavailable =
        |what: &std::path::Path, e: std::io::Error| DbError::Unavailable(format!("{}: {e}", what.display()));
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty() && !d.exists()) {
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir).map_err(|e| unavailable(dir, e))?;
    }
    std::fs::OpenOptions::new().create(true).append(true).mode(0o600).open(path).map_err(|e| unavailable(path, e))?;
    let mode = std::fs::metadata(path).map_err(|e| unavailable(path, e))?.permissions().mode();
    if mode & 0o077 != 0 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & 0o700))
            .map_err(|e| unavailable(path, e))?;
    }
    Ok(())
}

/// Diesel's `Connection::transaction`, except that SQLite begins with `BEGIN IMMEDIATE`, and that
/// with `announce` the transaction tells the other processes of itself at its commit
/// (`changes`).
fn transaction<T, E, F>(conn: &mut AnyConnection, announce: bool, f: F) -> Result<T, E>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, E>,
    E: From<DbError>,
{
    let begun = match conn {
        AnyConnection::Sqlite(c) if announce => {
            AnsiTransactionManager::begin_transaction_sql(c, changes::SQLITE_BEGIN_ANNOUNCED)
        }
        AnyConnection::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE"),
        AnyConnection::Postgresql(c) if announce => {
            AnsiTransactionManager::begin_transaction_sql(c, changes::POSTGRES_BEGIN_ANNOUNCED)
        }
        AnyConnection::Postgresql(c) => AnsiTransactionManager::begin_transaction(c),
    };
    begun.map_err(|e| E::from(DbError::from(e)))?;
    match f(conn) {
        Ok(value) => {
            AnyConnection::commit_transaction(conn).map_err(|e| E::from(DbError::from(e)))?;
            Ok(value)
        }
        Err(error) => {
            if let Err(rollback) = AnyConnection::rollback_transaction(conn) {
                // The pool's `has_broken` check discards the connection; the caller's error is
                // the one worth reporting.
                tracing::warn!(error = %rollback, "rollback failed");
            }
            Err(error)
        }
    }
}

/// `spawn_blocking` that keeps the caller's tracing span (crates.io `tasks.rs`).
async fn blocking<T, E, F>(f: F) -> Result<T, E>
where
    F: FnOnce() -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<DbError> + Send + 'static,
{
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || span.in_scope(f))
        .in_current_span()
        .await
        .map_err(|e| E::from(DbError::Task(e.to_string())))?
}
