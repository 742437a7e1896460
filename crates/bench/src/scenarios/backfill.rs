//! Figure 5: the backfill of a big account at Pro limits. An account-level credential of an
//! account with `users` users and `meetings_per_user` meetings each is connected; its first
//! backfill lists every active user (pages of 300) and then each user's meetings and webinars
//! (zoom-sim grants the webinar listing scope, as a real app asking for it would have), all
//! Medium calls, 20 a second on Pro. The wall time from connecting to a completed backfill is
//! compared with that bound.

use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use zoom_sim::control::types::{AppKind, Role};

use super::Context;
use crate::options::BackfillSizes;
use crate::setup::WorldConfig;

/// Zoom Pro: Medium calls per second per account (docs/zoom.md §4).
pub const PRO_MEDIUM_PER_SECOND: f64 = 20.0;
/// What the daemon asks for per page of users.
const USERS_PAGE: usize = 300;
/// Each user's meetings and webinars: the credential was granted both listing scopes.
const LISTINGS_PER_USER: usize = 2;

#[derive(Clone, Debug)]
pub struct BackfillResult {
    pub users: usize,
    pub meetings: usize,
    pub mappings: u64,
    /// Medium calls the backfill needs at least: user pages plus two listings per user
    /// (meetings, webinars).
    pub medium_calls_needed: u64,
    /// Medium calls zoom-sim answered.
    pub medium_calls: u64,
    pub rate_limited: u64,
    pub took: Duration,
    pub bound: Duration,
}

impl BackfillResult {
    pub fn ratio(&self) -> f64 {
        self.took.as_secs_f64() / self.bound.as_secs_f64()
    }
}

pub async fn run(ctx: &Context<'_>, sizes: &BackfillSizes) -> Result<BackfillResult> {
    let world = ctx.world("backfill", WorldConfig::PRO).await?;
    let account = world.account().await?;
    let owner = world.user(&account, Role::Owner).await?;
    let bulk = world.bulk(&account, sizes.users, sizes.meetings_per_user).await?;
    let app = world.app(AppKind::AccountLevel).await?;
    // The owner is an active user too.
    let active_users = bulk.users.len() + 1;
    let medium_calls_needed = (active_users.div_ceil(USERS_PAGE) + LISTINGS_PER_USER * active_users) as u64;
    // Let the set-up leave every one-second window.
    tokio::time::sleep(Duration::from_millis(1100)).await;

    let before = world.control.counters().await?;
    let started = Instant::now();
    let credential = world.connect(&app, &owner).await?;
    let done = world.wait_for_backfill(&credential, Duration::from_secs(900)).await?;
    let took = done - started;
    let after = world.control.counters().await?;
    let medium = |c: &zoom_sim::control::types::Counters| {
        c.total("GET /v2/users")
            + c.total("GET /v2/users/{userId}/meetings")
            + c.total("GET /v2/users/{userId}/webinars")
    };
    let mappings =
        world.db.count(&format!("meeting_mappings WHERE credential_id = '{credential}' AND source = 'sync'"))?;
    if mappings != bulk.meetings.len() as u64 {
        bail!("the backfill mapped {mappings} meetings, expected {}", bulk.meetings.len());
    }
    Ok(BackfillResult {
        users: bulk.users.len(),
        meetings: bulk.meetings.len(),
        mappings,
        medium_calls_needed,
        medium_calls: medium(&after) - medium(&before),
        rate_limited: after.rate_limited - before.rate_limited,
        took,
        bound: Duration::from_secs_f64(medium_calls_needed as f64 / PRO_MEDIUM_PER_SECOND),
    })
}
