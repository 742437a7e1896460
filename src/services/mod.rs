//! What zoomsync does, independent of how it was asked (HTTP handler, CLI, scheduler).

pub mod access;
pub mod apps;
pub mod budget;
pub mod connect;
pub mod credential_log;
pub mod credentials;
pub mod keys;
pub mod mappings;
pub mod mint;
pub mod resolve;
pub mod webhooks;
