//! Zoom webhooks: verify (`verify`, the policy, over `signature`, the HMACs), read (`event`),
//! record and apply durably (`ingest`, `apply`), with each app's webhook secrets cached (`keys`).
//! `services::webhooks` puts them together for the handler.

pub mod apply;
pub mod event;
pub mod ingest;
pub mod keys;
pub mod signature;
pub mod verify;
