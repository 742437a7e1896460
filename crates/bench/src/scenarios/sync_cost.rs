//! Figure 7: what staying in sync costs at Zoom, in calls per account-day under the default
//! schedule (`sync.schedule` every 30 minutes: 48 ticks a day), for the two shapes of issue 18:
//! one account-level credential of a 2,000-user account, and 2,000 user-level credentials of
//! one account.
//!
//! How it is computed: one full listing of each shape is measured against zoom-sim (at
//! `users` users, fewer in `--quick`), scaled linearly to 2,000 users, and multiplied by the
//! full listings a day each policy makes: before (every tick, `sync.full_listing_hours = 0`)
//! 48; after, with the defaults, 1 (`sync.full_listing_hours = 24`) for both: an account-wide
//! credential looks a bot's unknown meeting up, and a bot's unknown meeting lists a stale
//! user-level credential at once (`sync.catch_up_after_seconds = 1800`). The listings a day are
//! the daemon's policy (`src/sync/policy.rs`), not measured here. Traffic adds to them:
//! request-time lookups (one Light call per meeting a bot asks for that nothing maps), and, for
//! user-level credentials, a catch-up listing of each one not listed in the last 30 minutes per
//! such ask: at most 48 listings a day, today's figure, when bots ask for unknown meetings all
//! day long.

use std::time::Duration;

use anyhow::Result;
use zoom_sim::control::types::{AppKind, Counters, Role};

use super::Context;
use crate::options::SyncCostSizes;
use crate::setup::WorldConfig;

/// The account size.
pub const ACCOUNT_USERS: u64 = 2000;
/// Ticks a day of the default `sync.schedule` (every 30 minutes).
pub const TICKS_PER_DAY: u64 = 48;
/// Full listings a day of a credential that can look meetings up, under the defaults.
const AFTER_LOOKUP_CAPABLE_PER_DAY: u64 = 1;
/// Full listings a day of a user-level credential, under the defaults, on a day no bot asks
/// for a meeting nothing maps (each catch-up adds one; 48 at most).
const AFTER_USER_LEVEL_PER_DAY: u64 = 1;

/// One shape's figures.
#[derive(Clone, Debug)]
pub struct Shape {
    pub name: &'static str,
    /// Users measured (the scale is 2,000 / this).
    pub measured_users: u64,
    /// Medium and Light calls of one full listing, as measured.
    pub medium: u64,
    pub light: u64,
    pub listings_before: u64,
    pub listings_after: u64,
}

impl Shape {
    fn scaled(&self, calls: u64) -> f64 {
        calls as f64 * ACCOUNT_USERS as f64 / self.measured_users.max(1) as f64
    }

    /// Medium calls a day before and after, at 2,000 users.
    pub fn medium_per_day(&self) -> (f64, f64) {
        let one = self.scaled(self.medium);
        (one * self.listings_before as f64, one * self.listings_after as f64)
    }

    pub fn light_per_day(&self) -> (f64, f64) {
        let one = self.scaled(self.light);
        (one * self.listings_before as f64, one * self.listings_after as f64)
    }

    /// How many times fewer Zoom calls (Medium and Light) a day.
    pub fn cut(&self) -> f64 {
        let (mb, ma) = self.medium_per_day();
        let (lb, la) = self.light_per_day();
        (mb + lb) / (ma + la).max(1e-9)
    }
}

#[derive(Clone, Debug)]
pub struct SyncCostResult {
    pub shapes: Vec<Shape>,
}

fn medium(c: &Counters) -> u64 {
    c.total("GET /v2/users") + c.total("GET /v2/users/{userId}/meetings") + c.total("GET /v2/users/{userId}/webinars")
}

fn light(c: &Counters) -> u64 {
    c.total("GET /v2/users/me") + c.total("GET /v2/users/{userId}") + c.total("GET /v2/meetings/{meetingId}")
}

pub async fn run(ctx: &Context<'_>, sizes: &SyncCostSizes) -> Result<SyncCostResult> {
    let world = ctx.world("sync-cost", WorldConfig::UNLIMITED).await?;
    let timeout = Duration::from_secs(300);

    // One account-level credential: the owner plus `users` members.
    let account = world.account().await?;
    let owner = world.user(&account, Role::Owner).await?;
    world.bulk(&account, sizes.users, sizes.meetings_per_user).await?;
    let app = world.app(AppKind::AccountLevel).await?;
    let before = world.control.counters().await?;
    let credential = world.connect(&app, &owner).await?;
    world.wait_for_backfill(&credential, timeout).await?;
    let after = world.control.counters().await?;
    let account_level = Shape {
        name: "one account-level credential",
        measured_users: sizes.users as u64 + 1,
        medium: medium(&after) - medium(&before),
        light: light(&after) - light(&before),
        listings_before: TICKS_PER_DAY,
        listings_after: AFTER_LOOKUP_CAPABLE_PER_DAY,
    };

    // `users` user-level credentials of another account.
    let other = world.account().await?;
    let bulk = world.bulk(&other, sizes.users, sizes.meetings_per_user).await?;
    let users: Vec<String> = bulk.users.iter().map(|u| u.id.clone()).collect();
    let app = world.app(AppKind::UserLevel).await?;
    let before = world.control.counters().await?;
    world.connect_all(&app, &users).await?;
    world.wait_for_backfills(&app, users.len(), timeout).await?;
    let after = world.control.counters().await?;
    let user_level = Shape {
        name: "user-level credentials, one per user",
        measured_users: users.len() as u64,
        medium: medium(&after) - medium(&before),
        light: light(&after) - light(&before),
        listings_before: TICKS_PER_DAY,
        listings_after: AFTER_USER_LEVEL_PER_DAY,
    };
    Ok(SyncCostResult { shapes: vec![account_level, user_level] })
}
