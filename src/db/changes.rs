//! Writes of other processes on the same database, as this process learns of them.
//!
//! Every write transaction that counts in [`super::writes`] also tells the other processes of
//! itself, at its commit and not at all on rollback:
//! - on PostgreSQL it sends a notice on [`CHANNEL`] naming its schema (no extra round trip:
//!   the notice travels with the `BEGIN`);
//! - on SQLite (the daemon, and the CLI beside it) it adds one to the single row of
//!   `resolution_changes`.
//!
//! A [`ChangeWatch`] holds a connection of its own: on PostgreSQL it listens and moves this
//! process's count when a notice for its own schema arrives (deployments in other schemas of the
//! database are not its business); on SQLite it reads the row every [`POLL`] and moves the
//! count when it changed. Either way a process's remembered resolutions end within
//! milliseconds of another process's commit instead of at their time limit.
//!
//! What the watch cannot hear, it must not let pass for silence: while its connection is down,
//! and until it has confirmed the connection within [`CONFIRMED_WITHIN`], it is not
//! [`ChangeWatch::listening`], and callers fall back to their short time limit. Each (re)connect
//! moves the count once, for whatever was committed while nobody listened.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use diesel::RunQueryDsl as _;
use diesel::connection::SimpleConnection as _;

use super::conn::{AnyConnection, Manager};
use super::{DbTarget, count_foreign_write};

/// The channel zoomsync's writers notify and its watches listen on (a macro, for `concat!`).
macro_rules! channel {
    () => {
        "zoomsync_resolutions"
    };
}
pub const CHANNEL: &str = channel!();
/// How often the watch looks: on PostgreSQL it reads what has arrived (no query: the socket is
/// only read), on SQLite it reads the counter row (a new read transaction each time; an idle
/// daemon's whole CPU, watch and all, measured at 1.0% of a core, 1.7% before statements stopped
/// being compiled again at each run: `crate::sys::sqlite_stable_plans`). A change waits at most
/// this long; an idle daemon wakes 100 times a second for it.
const POLL: Duration = Duration::from_millis(10);
/// How often the PostgreSQL watch asks the server something, to notice a connection that died
/// silently (SQLite's confirms at every look).
const CONFIRM_EVERY: Duration = Duration::from_millis(500);
/// A watch that has not confirmed its connection within this is not listening.
pub const CONFIRMED_WITHIN: Duration = Duration::from_secs(2);
/// Between reconnect attempts.
const RECONNECT_AFTER: Duration = Duration::from_secs(1);

/// How a PostgreSQL write transaction that announces itself begins: the notice travels with the
/// `BEGIN` (one round trip for both) and goes out at the commit, or not at all.
pub(super) const POSTGRES_BEGIN_ANNOUNCED: &str =
    concat!("BEGIN; SELECT pg_notify('", channel!(), "', current_schema())");
/// How a SQLite write transaction that announces itself begins: it takes the write lock (as
/// every SQLite write of ours does) and moves the counter, which commits with the rest or not
/// at all. The lock is held already, so the row costs no wait.
pub(super) const SQLITE_BEGIN_ANNOUNCED: &str = "BEGIN IMMEDIATE; UPDATE resolution_changes SET changes = changes + 1";

/// Listens for other processes' writes while it lives (a thread with one connection).
pub struct ChangeWatch {
    /// When the connection was last known to be listening, in milliseconds after `started`
    /// (plus one, so that 0 can mean "not listening"): read on every bot's token, so an atomic
    /// rather than a lock.
    confirmed_at: AtomicU64,
    started: Instant,
}

impl ChangeWatch {
    /// Starts watching `target` on a thread of its own.
    pub fn start(target: &DbTarget) -> Arc<Self> {
        let watch = Arc::new(Self { confirmed_at: AtomicU64::new(0), started: Instant::now() });
        let (weak, target) = (Arc::downgrade(&watch), target.clone());
        let spawned = std::thread::Builder::new().name("db-change-watch".into()).spawn(move || listen(&weak, &target));
        if let Err(e) = spawned {
            // Never listening: callers keep their short time limit.
            tracing::error!(error = %e, "cannot start the database change watch");
        }
        watch
    }

    /// Whether every write of another process since the last [`super::writes`] change would
    /// have been heard by now.
    pub fn listening(&self) -> bool {
        match self.confirmed_at.load(Ordering::Acquire) {
            0 => false,
            at => self.millis_now() < at - 1 + CONFIRMED_WITHIN.as_millis() as u64,
        }
    }

    fn confirm(&self, listening: bool) {
        self.confirmed_at.store(if listening { self.millis_now() + 1 } else { 0 }, Ordering::Release);
    }

    fn millis_now(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX - 1)
    }
}

/// `target` with the watch's application name, `zoomsync-change-watch-<process id>` (what
/// `pg_stat_activity` shows), in the URL or key-value form it was given in.
fn named(target: &DbTarget) -> DbTarget {
    let name = format!("zoomsync-change-watch-{}", std::process::id());
    match target {
        DbTarget::Postgres(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            let joint = if url.contains('?') { '&' } else { '?' };
            DbTarget::Postgres(format!("{url}{joint}application_name={name}"))
        }
        DbTarget::Postgres(conninfo) => DbTarget::Postgres(format!("{conninfo} application_name={name}")),
        other => other.clone(),
    }
}

/// The watch thread: runs until the watch is dropped.
fn listen(watch: &Weak<ChangeWatch>, target: &DbTarget) {
    let mut warned = false;
    while watch.strong_count() > 0 {
        match heed(watch, target, &mut warned) {
            Ok(()) => return,
            Err(e) => {
                if let Some(watch) = watch.upgrade() {
                    watch.confirm(false);
                }
                // Once per outage: the database being away is logged by its other users too.
                if !warned {
                    tracing::warn!(error = %e, "the database change watch lost its connection; reconnecting");
                    warned = true;
                }
                std::thread::sleep(RECONNECT_AFTER);
            }
        }
    }
}

/// One connection's life: `Ok` when the watch was dropped, `Err` when the connection failed.
fn heed(watch: &Weak<ChangeWatch>, target: &DbTarget, warned: &mut bool) -> Result<(), String> {
    let mut conn = Manager::establish(&named(target)).map_err(|e| e.to_string())?;
    let mut look = Look::begin(&mut conn)?;
    // Whatever was committed before the watch began went unheard.
    count_foreign_write();
    let mut confirmed = Instant::now();
    match watch.upgrade() {
        Some(watch) => watch.confirm(true),
        None => return Ok(()),
    }
    if std::mem::take(warned) {
        tracing::info!("the database change watch is listening again");
    }
    loop {
        std::thread::sleep(POLL);
        let Some(watch) = watch.upgrade() else { return Ok(()) };
        if look.changed(&mut conn)? {
            count_foreign_write();
        }
        if look.confirms() {
            watch.confirm(true);
        } else if confirmed.elapsed() >= CONFIRM_EVERY {
            diesel::sql_query("SELECT 1").execute(&mut conn).map_err(|e| e.to_string())?;
            confirmed = Instant::now();
            watch.confirm(true);
        }
    }
}

/// How the watch learns of other processes' commits on its backend.
enum Look {
    /// The notices that arrived for this schema.
    Listen { schema: String },
    /// The counter row, as last read.
    Count { seen: i64 },
}

impl Look {
    fn begin(conn: &mut AnyConnection) -> Result<Self, String> {
        match conn {
            AnyConnection::Postgresql(pg) => {
                pg.batch_execute(&format!("LISTEN {CHANNEL}")).map_err(|e| e.to_string())?;
                let schema = diesel::select(diesel::dsl::sql::<diesel::sql_types::Text>("current_schema()"))
                    .get_result::<String>(pg)
                    .map_err(|e| e.to_string())?;
                Ok(Self::Listen { schema })
            }
            AnyConnection::Sqlite(_) => Ok(Self::Count { seen: counted(conn)? }),
        }
    }

    /// Whether another process committed a counted write since the last look.
    fn changed(&mut self, conn: &mut AnyConnection) -> Result<bool, String> {
        match (self, conn) {
            (Self::Listen { schema }, AnyConnection::Postgresql(pg)) => {
                let mut heard = false;
                for notification in pg.notifications_iter() {
                    heard |= notification.map_err(|e| e.to_string())?.payload == *schema;
                }
                Ok(heard)
            }
            (Self::Count { seen }, conn) => {
                let now = counted(conn)?;
                Ok(std::mem::replace(seen, now) != now)
            }
            (Self::Listen { .. }, AnyConnection::Sqlite(_)) => Err("a PostgreSQL watch on SQLite".into()),
        }
    }

    /// Whether each look is itself a query that succeeded (SQLite's), confirming the connection
    /// without a `SELECT 1`.
    fn confirms(&self) -> bool {
        matches!(self, Self::Count { .. })
    }
}

/// SQLite's count of announced writes (`resolution_changes`).
fn counted(conn: &mut AnyConnection) -> Result<i64, String> {
    use super::schema::resolution_changes;
    use diesel::QueryDsl as _;
    resolution_changes::table.select(resolution_changes::changes).first::<i64>(conn).map_err(|e| e.to_string())
}
