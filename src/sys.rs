//! What zoomsync asks of the operating system and of SQLite's C library that no safe API
//! offers: a last word before a bus error ends the process, and a setting on every SQLite
//! connection that diesel gives no handle for. This is the crate's only `unsafe` code; each call
//! is a plain C call on values this module owns or SQLite hands it.
#![allow(unsafe_code)]

use std::sync::atomic::{AtomicBool, Ordering};

/// What a bus error says before it ends the process. SQLite maps its `-shm` file into memory,
/// and a read of that memory after the file was truncated (or could not be extended) raises
/// `SIGBUS`, which used to end the process without a word.
const BUS_ERROR: &[u8] = b"zoomsync: fatal: bus error (SIGBUS) reading a memory-mapped file. On SQLite this is \
the database's -shm file, truncated, replaced or made unwritable under the running daemon, or its disk is \
full. Check the data directory (its files' owner, permissions and free space), then restart zoomsync.\n";

/// Installs a `SIGBUS` handler that writes [`BUS_ERROR`] to standard error. The handler runs
/// once (`SA_RESETHAND`) and returns: the faulting access runs again and the default action
/// ends the process with `SIGBUS`, as before, so supervisors see the same exit.
pub fn explain_bus_errors() {
    extern "C" fn on_bus_error(_signal: libc::c_int) {
        // Only async-signal-safe calls here: one `write` of a static buffer.
        // SAFETY: the buffer is static and its length is passed with it.
        unsafe {
            libc::write(libc::STDERR_FILENO, BUS_ERROR.as_ptr().cast(), BUS_ERROR.len());
        }
    }
    // SAFETY: `action` is zeroed (a valid `sigaction`), then given a handler of the signature
    // `sa_handler` expects and an empty mask; `sigaction` copies it.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_bus_error as extern "C" fn(libc::c_int) as libc::sighandler_t;
        action.sa_flags = libc::SA_RESETHAND;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(libc::SIGBUS, &action, std::ptr::null_mut());
    }
}

/// Whether a SQLite connection of this process has been opened with plans that ignore bound
/// values (tests ask).
static STABLE_PLANS: AtomicBool = AtomicBool::new(false);

/// Makes every SQLite connection this process opens from now on plan its statements without
/// looking at bound values (`SQLITE_DBCONFIG_ENABLE_QPSG`, the query planner stability
/// guarantee). Without it a statement whose `LIMIT` is a parameter, as in every diesel
/// `.first()` and `.limit(n)`, is compiled again at each run: binding that parameter expires it,
/// whatever the value. Measured with callgrind, that was about 25,000 instructions per join
/// token in one run: most of it the SQLite change watch's looks, the rest the token's own reads. zoomsync never runs
/// `ANALYZE`, so no plan could gain from the values. Idempotent; the setting is made by an
/// auto-extension, which SQLite runs as each connection opens.
pub fn sqlite_stable_plans() {
    static REGISTER: std::sync::Once = std::sync::Once::new();
    unsafe extern "C" fn on_open(
        db: *mut libsqlite3_sys::sqlite3,
        _error: *mut *mut std::os::raw::c_char,
        _api: *const libsqlite3_sys::sqlite3_api_routines,
    ) -> std::os::raw::c_int {
        let mut now_on: std::os::raw::c_int = 0;
        // SAFETY: SQLite passes the connection it is opening; `ENABLE_QPSG` takes an int (1: on)
        // and a pointer to an int it writes the setting back to.
        let rc = unsafe {
            libsqlite3_sys::sqlite3_db_config(
                db,
                libsqlite3_sys::SQLITE_DBCONFIG_ENABLE_QPSG,
                1 as std::os::raw::c_int,
                &mut now_on as *mut std::os::raw::c_int,
            )
        };
        if rc == libsqlite3_sys::SQLITE_OK && now_on == 1 {
            STABLE_PLANS.store(true, Ordering::Relaxed);
        }
        // A connection without the setting still works (each run compiles again): never refuse it.
        libsqlite3_sys::SQLITE_OK
    }
    REGISTER.call_once(|| {
        // SAFETY: `on_open` has the signature SQLite calls auto-extensions with; registering
        // one is process-wide and may happen before any connection exists.
        unsafe {
            libsqlite3_sys::sqlite3_auto_extension(Some(on_open));
        }
    });
}

/// Whether [`sqlite_stable_plans`] took effect on a connection opened since.
pub fn sqlite_plans_are_stable() -> bool {
    STABLE_PLANS.load(Ordering::Relaxed)
}
