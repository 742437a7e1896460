//! What zoomsync does, independent of how it was asked (HTTP handler, CLI, scheduler).
//!
//! The layer between the callers (`api`, `console`, `cli`, `sync`) and what they stand on
//! (`zoom`, `db`, `webhooks`, `crypto`): nothing here imports a caller. Every Zoom call made on
//! behalf of a credential goes through [`zoom_call`]; a backfill is requested through
//! [`backfill_queue`] and run by the `sync` module.

pub mod access;
pub mod apps;
pub mod attendee;
pub mod backfill_queue;
pub mod bot_urls;
pub mod budget;
pub mod connect;
pub mod credential_log;
pub mod credentials;
pub mod import;
pub mod keys;
pub mod lookup;
pub mod lookup_cache;
pub mod mappings;
pub mod mint;
pub mod replicas;
pub mod resolution_cache;
pub mod resolve;
pub mod sign_ins;
mod state;
pub mod webhook_endpoints;
pub mod webhooks;
pub mod zoom_call;

pub use state::AppState;
