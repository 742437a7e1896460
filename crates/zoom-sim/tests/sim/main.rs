//! Integration tests: each starts its own simulator on a random loopback port and talks to it
//! over real HTTP, as the daemon will.

// Test helpers outside `#[test]` functions fail loudly too (clippy.toml covers only the tests).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;
mod receiver;

mod control;
mod faults;
mod lifecycle;
mod oauth;
mod paging;
mod ratelimit;
mod rest;
mod tokens;
mod webhooks;
mod webinars;
