//! Zoom webhooks: verify (`signature`), read (`event`), record and apply durably (`ingest`,
//! `apply`), with each app's webhook secrets cached (`keys`).

pub mod apply;
pub mod event;
pub mod ingest;
pub mod keys;
pub mod signature;
