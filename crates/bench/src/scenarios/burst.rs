//! Figure 3: a burst beyond the rate limit. `tokens` bots ask for join tokens of one Pro
//! account's meetings within `arrival`; the account may make 30 Light calls a second, so the
//! last token cannot come before `tokens / 30` seconds. Every bot should be served (queued
//! inside the daemon, not 429'd through to Zoom or turned away) close to that bound.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use zoom_sim::control::types::{AppKind, Role};

use super::{Context, Outcomes};
use crate::load::{self, Get};
use crate::options::BurstSizes;
use crate::setup::{World, WorldConfig};

/// Zoom Pro: Light calls per second per account (docs/zoom.md §4).
pub const PRO_LIGHT_PER_SECOND: f64 = 30.0;

#[derive(Clone, Debug)]
pub struct BurstResult {
    pub outcomes: Outcomes,
    /// 429s zoom-sim answered during the burst.
    pub rate_limited: u64,
    /// Zoom calls made during the burst.
    pub zoom_calls: u64,
    /// `tokens / 30` seconds.
    pub bound: Duration,
}

impl BurstResult {
    pub fn ratio(&self) -> f64 {
        self.outcomes.time_to_last.as_secs_f64() / self.bound.as_secs_f64()
    }
}

/// One Pro account whose `hosts` users are connected (user-level) and backfilled, holding at
/// least `tokens` meetings; returns `tokens` of them.
pub async fn pro_account_meetings(world: &World, hosts: usize, tokens: usize) -> Result<Vec<u64>> {
    let account = world.account().await?;
    world.user(&account, Role::Owner).await?;
    let bulk = world.bulk(&account, hosts, tokens.div_ceil(hosts)).await?;
    let app = world.app(AppKind::UserLevel).await?;
    let users: Vec<String> = bulk.users.iter().map(|u| u.id.clone()).collect();
    world.connect_all(&app, &users).await?;
    world.wait_for_backfills(&app, users.len(), Duration::from_secs(120)).await?;
    Ok(bulk.meetings.into_iter().take(tokens).collect())
}

pub async fn run(ctx: &Context<'_>, sizes: &BurstSizes) -> Result<BurstResult> {
    let world = ctx.world("burst", WorldConfig::PRO).await?;
    let meetings = pro_account_meetings(&world, sizes.hosts, sizes.tokens).await?;
    // Let the set-up's calls leave every one-second window, at Zoom and in the daemon.
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let get = Get { urls: Arc::new(meetings.iter().map(|m| world.join_token_url(*m)).collect()), bearer: None };
    let before = world.control.counters().await?;
    let calls_before = world.zoom_calls().await?;
    let arrivals = load::arrivals(&world.http, &get, meetings.len(), sizes.arrival).await;
    let after = world.control.counters().await?;
    Ok(BurstResult {
        outcomes: Outcomes::of(&arrivals),
        rate_limited: after.rate_limited - before.rate_limited,
        zoom_calls: world.zoom_calls().await? - calls_before,
        bound: Duration::from_secs_f64(meetings.len() as f64 / PRO_LIGHT_PER_SECOND),
    })
}
