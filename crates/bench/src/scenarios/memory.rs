//! Figure 6: memory. An account-level credential maps `users x meetings_per_user` meetings
//! (plus the users' PMIs) by its backfill; then one bot at a time asks for join tokens of random
//! meetings for `load`; the daemon's peak resident set (VmHWM) is read from /proc.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use rand::seq::SliceRandom as _;
use zoom_sim::control::types::{AppKind, Role};

use super::Context;
use crate::load::{self, Get};
use crate::options::MemorySizes;
use crate::setup::WorldConfig;
use crate::stats::Summary;

#[derive(Clone, Debug)]
pub struct MemoryResult {
    pub mappings: u64,
    pub backfill: Duration,
    pub load: Summary,
    /// KiB, over the daemon's whole life (start, backfill, load).
    pub peak_kib: u64,
    /// KiB, at the end of the load.
    pub rss_kib: u64,
}

pub async fn run(ctx: &Context<'_>, sizes: &MemorySizes) -> Result<MemoryResult> {
    let world = ctx.world("memory", WorldConfig::UNLIMITED).await?;
    let account = world.account().await?;
    let owner = world.user(&account, Role::Owner).await?;
    let bulk = world.bulk(&account, sizes.users, sizes.meetings_per_user).await?;
    let app = world.app(AppKind::AccountLevel).await?;
    let started = Instant::now();
    let credential = world.connect(&app, &owner).await?;
    world.wait_for_backfill(&credential, Duration::from_secs(900)).await?;
    let backfill = started.elapsed();
    let mappings = world.db.count("meeting_mappings")?;
    if mappings < bulk.meetings.len() as u64 {
        bail!("the backfill mapped {mappings} meetings, expected at least {}", bulk.meetings.len());
    }

    let mut meetings = bulk.meetings;
    meetings.shuffle(&mut rand::rng());
    let get = Get { urls: Arc::new(meetings.iter().map(|m| world.join_token_url(*m)).collect()), bearer: None };
    let samples = load::closed_loop(&world.http, &get, 1, sizes.load).await;
    let (peak_kib, rss_kib) = world.daemon.memory_kib()?;
    Ok(MemoryResult { mappings, backfill, load: samples.summary(), peak_kib, rss_kib })
}
