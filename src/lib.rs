//! zoomsync: keeps Zoom hosts' OAuth credentials alive and mints the short-lived tokens meeting
//! bots need (join tokens for local recording, ZAKs, on-behalf tokens), keyed by meeting ID.
//!
//! Layout: `config` (what the operator sets), `db` (storage on SQLite or PostgreSQL), `crypto`
//! (encryption at rest), `services` (what the daemon does), `api` (HTTP routes over the
//! services), `cli` (the same services from the command line), `startup` (wiring).

pub mod api;
pub mod attendee;
pub mod cli;
pub mod config;
pub mod console;
pub mod crypto;
pub mod db;
pub mod error;
pub mod events;
pub mod housekeeping;
pub mod lenient;
pub mod meeting_ref;
pub mod metrics;
pub mod pagination;
pub mod recall;
pub mod scopes;
pub mod server_limits;
pub mod services;
pub mod startup;
pub mod sync;
pub mod sys;
pub mod telemetry;
pub mod time;
pub mod urls;
pub mod webhooks;
pub mod zoom;

/// Process-wide set-up, first thing in `main` (and in test harnesses).
///
/// OpenSSL is initialised here, through rust-openssl, so that it is initialised without an
/// `atexit` clean-up: libpq and the HTTP client share that OpenSSL, and its clean-up at exit
/// would pull it from under a pool thread still talking TLS to PostgreSQL (a segfault on exit).
/// A bus error (SQLite's `-shm` truncated under us) says what happened before it ends the process.
pub fn init_process() {
    openssl::init();
    sys::explain_bus_errors();
}
