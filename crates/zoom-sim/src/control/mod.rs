//! The control API under `/_sim` (DESIGN.md "Control API"): tests and newcomers use it to set up
//! accounts, users, apps and meetings, move the clock, inject faults and read what happened.
//! [`Client`] is its typed client.

mod client;
pub(crate) mod routes;
pub mod types;

pub use client::{Client, ClientError};
