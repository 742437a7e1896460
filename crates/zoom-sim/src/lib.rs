//! zoom-sim: an in-memory stand-in for Zoom's OAuth, REST and webhook APIs.
//!
//! It enforces what Zoom enforces (token rotation, expiry, scopes, paging tokens, rate limits,
//! signed webhooks with retries) so that the zoomsync daemon can be tested and benchmarked
//! without a Zoom account. See `DESIGN.md` and `README.md` in this crate for the behaviour and
//! the `/_sim/*` control API.
//!
//! ```no_run
//! let sim = zoom_sim::SimServer::start(zoom_sim::SimOptions::default())?;
//! println!("{}", sim.base_url());
//! # Ok::<(), std::io::Error>(())
//! ```

mod clock;
pub mod control;
mod counters;
mod errors;
mod faults;
mod http;
mod ids;
mod middleware;
mod oauth;
mod options;
mod ratelimit;
mod rest;
mod server;
mod settings;
pub mod signature;
mod sim;
mod state;
mod webhooks;

pub use control::types::{DailyLimits, RetryAfterFormat, RetryTimestamp};
pub use options::{DEFAULT_REFRESH_TOKEN_TTL_SECS, SimOptions};
pub use server::SimServer;
