//! One connection type for both backends, and the r2d2 manager that builds the right one from
//! the URL scheme (vaultwarden's `from_url`; diesel's own `establish` would try every variant).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::r2d2::{self, R2D2Connection};
use diesel::{Connection, PgConnection, SqliteConnection};

/// A connection to whichever backend `database.url` names. Repository functions take
/// `&mut AnyConnection` and stay backend-neutral; only upserts and a few locks `match`.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

/// Which database, parsed and validated from `database.url`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DbTarget {
    /// A file path (relative to the working directory, or absolute).
    Sqlite(PathBuf),
    /// A libpq connection URL, passed through unchanged.
    Postgres(String),
}

impl DbTarget {
    /// `sqlite://data/zoomsync.db` (relative), `sqlite:///var/lib/db.sqlite` (absolute), or
    /// `postgres://...` / `postgresql://...`.
    pub fn parse(url: &str) -> Result<Self, String> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err("a sqlite:// URL needs a file path, e.g. sqlite://data/zoomsync.db".into());
            }
            Ok(Self::Sqlite(PathBuf::from(path)))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres(url.to_owned()))
        } else {
            Err("expected a sqlite:// or postgres:// URL".into())
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Self::Sqlite(_) => Backend::Sqlite,
            Self::Postgres(_) => Backend::Postgres,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Per-connection SQLite settings. WAL lets readers run beside the writer; `synchronous=NORMAL`
/// in WAL mode survives a killed process (a commit has reached the OS when it returns), which is
/// the durability the webhook acknowledgement promises; `busy_timeout` covers other processes
/// (the CLI) writing at the same time.
// `busy_timeout` first: switching to WAL takes a lock another connection may hold a moment.
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 10000;
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
PRAGMA foreign_keys = ON;";

pub struct Manager {
    target: DbTarget,
    reachability: Arc<Reachability>,
}

/// Whether the database has been failing every attempt to connect for a while. While it has, a
/// caller waits only [`Reachability::WAIT_WHILE_UNREACHABLE`] for a connection rather than the
/// pool's whole timeout: with the database down, a bot's 503 and `/readyz`'s come at once, and a
/// returning database is found by the next attempt (every checkout still asks the pool, which
/// keeps trying to connect). A blip shorter than [`Reachability::GRACE`] (a refused connection
/// while the server restarts, too many clients for a moment) trips nothing: those callers wait
/// for the pool's retry as before.
#[derive(Debug, Default)]
pub struct Reachability {
    /// When the current run of failed attempts began, and whether it has been logged.
    failing: parking_lot::Mutex<Option<(Instant, bool)>>,
}

impl Reachability {
    pub const WAIT_WHILE_UNREACHABLE: Duration = Duration::from_millis(250);
    const GRACE: Duration = Duration::from_secs(1);

    pub fn is_unreachable(&self) -> bool {
        self.failing.lock().is_some_and(|(since, _)| since.elapsed() >= Self::GRACE)
    }

    fn record(&self, reached: bool) {
        let mut failing = self.failing.lock();
        match (*failing, reached) {
            (None, false) => *failing = Some((Instant::now(), false)),
            (Some((_, logged)), true) => {
                *failing = None;
                if logged {
                    tracing::info!("the database can be reached again");
                }
            }
            (Some((since, false)), false) if since.elapsed() >= Self::GRACE => {
                *failing = Some((since, true));
                tracing::warn!("the database cannot be reached; requests that need it get 503 at once");
            }
            _ => {}
        }
    }
}

impl Manager {
    pub fn new(target: DbTarget, reachability: Arc<Reachability>) -> Self {
        Self { target, reachability }
    }

    pub fn establish(target: &DbTarget) -> diesel::ConnectionResult<AnyConnection> {
        match target {
            DbTarget::Sqlite(path) => {
                let path = path.to_str().ok_or_else(|| {
                    diesel::ConnectionError::InvalidConnectionUrl("the SQLite path is not UTF-8".into())
                })?;
                crate::sys::sqlite_stable_plans();
                let mut conn = SqliteConnection::establish(path)?;
                conn.batch_execute(SQLITE_PRAGMAS).map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                Ok(AnyConnection::Sqlite(conn))
            }
            DbTarget::Postgres(url) => Ok(AnyConnection::Postgresql(PgConnection::establish(url)?)),
        }
    }
}

impl r2d2::ManageConnection for Manager {
    type Connection = AnyConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<AnyConnection, r2d2::Error> {
        let connected = Self::establish(&self.target);
        // Only a server can be unreachable. SQLite's connect fails for a moment while another
        // connection holds the lock its set-up needs ("database is locked"): r2d2's own retry
        // is the cure there, not a fast 503.
        if let DbTarget::Postgres(_) = self.target {
            self.reachability.record(connected.is_ok());
        }
        connected.map_err(r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), r2d2::Error> {
        conn.ping().map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut AnyConnection) -> bool {
        conn.is_broken()
    }
}

/// Makes PostgreSQL plan each statement of the current transaction for its actual values.
///
/// Diesel prepares its statements, and PostgreSQL may then reuse a generic plan made while a
/// table was still empty: the webhook batch's dedupe lookup (`dedupe_key IN (...)`) stayed a
/// sequential scan as `webhook_events` grew, 13 ms a query at 50,000 rows (measured). Custom plans
/// cost some planning per statement, so only the transactions that need them ask (the token path
/// keeps its cached plans: planning every statement there cost 0.3 ms a token). SQLite: nothing.
pub fn custom_plans_for_this_transaction(conn: &mut AnyConnection) -> diesel::QueryResult<()> {
    match conn {
        AnyConnection::Postgresql(c) => c.batch_execute("SET LOCAL plan_cache_mode = force_custom_plan"),
        AnyConnection::Sqlite(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A diesel `.first()` binds its `LIMIT`; unless plans ignore bound values, SQLite compiles
    /// such a statement again at every run (see `crate::sys::sqlite_stable_plans`).
    #[test]
    fn sqlite_connections_plan_without_bound_values() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let target = DbTarget::Sqlite(dir.path().join("plans.db"));
        let conn = Manager::establish(&target);
        assert!(conn.is_ok(), "the connection opens");
        assert!(crate::sys::sqlite_plans_are_stable(), "the connection was opened with SQLITE_DBCONFIG_ENABLE_QPSG");
    }
}
