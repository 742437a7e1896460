//! Rows and the queries on them, one module per table. Functions take `&mut AnyConnection` and
//! return `QueryResult`; callers choose the transaction (`Db::read` / `Db::write`).

pub mod apps;
pub mod console_signouts;
pub mod credential_logs;
pub mod credentials;
pub mod mappings;
pub mod oauth_states;
pub mod outbound_events;
pub mod rate_slots;
pub mod replicas;
pub mod sync_runs;
pub mod tombstones;
pub mod webhook_deliveries;
pub mod webhook_endpoints;
pub mod webhook_events;
pub mod zoom_users;
