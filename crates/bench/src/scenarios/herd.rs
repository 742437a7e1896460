//! Figure 2: the thundering herd. Every access token has expired (zoom-sim's clock jumps an
//! hour, the daemon's stored expiries are set in the past and it restarts, so nothing is
//! cached), then one bot per meeting arrives within `arrival`: how many are served, how many
//! refreshes Zoom sees (one per credential is the least possible), and when the last token
//! comes back.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Result, bail};
use zoom_sim::control::types::{AppKind, Role};

use super::{Context, Outcomes};
use crate::load::{self, Get};
use crate::options::HerdSizes;
use crate::setup::WorldConfig;

#[derive(Clone, Debug)]
pub struct HerdResult {
    pub credentials: usize,
    pub outcomes: Outcomes,
    pub refreshes: u64,
    pub invalid_grants: u64,
    /// Mints zoom-sim refused with 401 (an expired token used).
    pub rejected_tokens: u64,
}

pub async fn run(ctx: &Context<'_>, sizes: &HerdSizes) -> Result<HerdResult> {
    let mut world = ctx.world("herd", WorldConfig::UNLIMITED).await?;
    let account = world.account().await?;
    world.user(&account, Role::Owner).await?;
    let per_credential = sizes.bots.div_ceil(sizes.credentials);
    let bulk = world.bulk(&account, sizes.credentials, per_credential).await?;
    let app = world.app(AppKind::UserLevel).await?;
    let users: Vec<String> = bulk.users.iter().map(|u| u.id.clone()).collect();
    world.connect_all(&app, &users).await?;
    world.wait_for_backfills(&app, users.len(), Duration::from_secs(120)).await?;
    let meetings: Vec<u64> = bulk.meetings.into_iter().take(sizes.bots).collect();

    // Expire everything: at Zoom, in the database, and in the daemon's memory (a restart).
    world.control.advance_clock(3600.0).await?;
    world
        .restart_daemon(|w| {
            w.db.execute("UPDATE credentials SET access_token_expires_at = '2000-01-01 00:00:00';").map(drop)
        })
        .await?;
    let stale = world.db.count("credentials WHERE access_token_expires_at > '2001-01-01 00:00:00'")?;
    if stale != 0 {
        bail!("{stale} credentials still have an unexpired stored token");
    }

    let before = world.control.counters().await?;
    let get = Get { urls: Arc::new(meetings.iter().map(|m| world.join_token_url(*m)).collect()), bearer: None };
    let arrivals = load::arrivals(&world.http, &get, meetings.len(), sizes.arrival).await;
    let after = world.control.counters().await?;
    let route = "GET /v2/meetings/{meetingId}/jointoken/local_recording";
    Ok(HerdResult {
        credentials: users.len(),
        outcomes: Outcomes::of(&arrivals),
        refreshes: after.oauth.refresh - before.oauth.refresh,
        invalid_grants: after.oauth.invalid_grant - before.oauth.invalid_grant,
        rejected_tokens: after.count(route, "401") - before.count(route, "401"),
    })
}
