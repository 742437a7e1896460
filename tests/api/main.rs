//! zoomsync's integration suite: one binary (one link step), every test against a real server
//! on a real port and a real database, each test twice: on SQLite and on PostgreSQL.

// Panicking on a broken fixture is what a test should do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod apps;
mod backfill;
mod bots;
mod cli;
mod config;
mod connect;
mod console;
mod events;
mod fidelity;
mod hostile;
mod housekeeping;
mod import;
mod keys;
mod layers;
mod listeners;
mod metrics;
mod migrations;
mod properties;
mod refresh;
mod replicas;
mod startup;
mod tokens;
mod webhooks;
mod webinars;
