//! Figure 1: the join-token endpoint. Throughput and p50/p99 latency at several concurrency
//! levels over `credentials x meetings_per_credential` meetings, each level measured in
//! alternating segments straight at zoom-sim, through the forwarder baseline and through the
//! daemon, in an order that turns every round (so that all three see the same machine noise), and the Zoom calls the daemon makes per minted token in steady state.

use std::sync::Arc;

use anyhow::{Result, bail};
use zoom_sim::control::types::{AppKind, Role};

use super::Context;
use crate::load::{self, Get};
use crate::options::JoinSizes;
use crate::setup::{Cpu, World, WorldConfig};
use crate::stats::{Samples, Summary};

#[derive(Clone, Debug)]
pub struct Level {
    pub concurrency: usize,
    pub direct: Summary,
    /// The forwarder baseline (`src/bin/forwarder.rs`): the floor of any process between a bot
    /// and Zoom on this machine.
    pub forwarder: Summary,
    pub daemon: Summary,
    /// What failed, as `Samples::failures_text` says it.
    pub direct_failures: String,
    pub forwarder_failures: String,
    pub daemon_failures: String,
    /// CPU used by each process during the direct segments, the forwarder's (its own in
    /// `daemon`) and the daemon's.
    pub direct_cpu: Cpu,
    pub forwarder_cpu: Cpu,
    pub daemon_cpu: Cpu,
}

#[derive(Clone, Debug)]
pub struct JoinResult {
    pub credentials: usize,
    pub meetings: usize,
    pub levels: Vec<Level>,
    /// Zoom calls (any endpoint) while the daemon minted `tokens` tokens in steady state.
    pub zoom_calls: u64,
    pub tokens: u64,
}

impl JoinResult {
    pub fn calls_per_token(&self) -> f64 {
        if self.tokens == 0 { f64::NAN } else { self.zoom_calls as f64 / self.tokens as f64 }
    }

    pub fn level(&self, concurrency: usize) -> Option<&Level> {
        self.levels.iter().find(|l| l.concurrency == concurrency)
    }
}

pub async fn run(ctx: &Context<'_>, sizes: &JoinSizes) -> Result<JoinResult> {
    let world = ctx.world("join", WorldConfig::UNLIMITED).await?;
    let account = world.account().await?;
    let owner = world.user(&account, Role::Owner).await?;
    let bulk = world.bulk(&account, sizes.credentials, sizes.meetings_per_credential).await?;
    let app = world.app(AppKind::UserLevel).await?;
    let users: Vec<String> = bulk.users.iter().map(|u| u.id.clone()).collect();
    world.connect_all(&app, &users).await?;
    world.wait_for_backfills(&app, users.len(), std::time::Duration::from_secs(120)).await?;
    let meetings = bulk.meetings;
    let mapped = world.db.count("meeting_mappings WHERE source = 'sync'")?;
    if mapped != meetings.len() as u64 {
        bail!("the backfills mapped {mapped} meetings, expected {}", meetings.len());
    }

    let access_token = world.direct_access_token(&owner).await?;
    let forwarder = world.start_forwarder(&access_token)?;
    let via_forwarder = Get {
        urls: Arc::new(
            meetings.iter().map(|m| format!("{}/zoom/join-token?meeting_id={m}", forwarder.base_url)).collect(),
        ),
        bearer: None,
    };
    let direct = Get {
        urls: Arc::new(meetings.iter().map(|m| world.direct_join_token_url(*m)).collect()),
        bearer: Some(access_token),
    };
    let daemon = Get { urls: Arc::new(meetings.iter().map(|m| world.join_token_url(*m)).collect()), bearer: None };
    warm_up(&world, &daemon, &meetings).await?;
    // Connections for the highest level, both ways, before anything is measured.
    let widest = sizes.concurrency.iter().copied().max().unwrap_or(1);
    load::closed_loop(&world.http, &direct, widest, std::time::Duration::from_millis(300)).await;
    load::closed_loop(&world.http, &via_forwarder, widest, std::time::Duration::from_millis(300)).await;
    load::closed_loop(&world.http, &daemon, widest, std::time::Duration::from_millis(300)).await;

    let mut levels = Vec::new();
    let (mut zoom_calls, mut tokens) = (0, 0);
    for &concurrency in &sizes.concurrency {
        let (mut on_direct, mut on_forwarder, mut on_daemon) =
            (Samples::default(), Samples::default(), Samples::default());
        let (mut direct_cpu, mut forwarder_cpu, mut daemon_cpu) = (Cpu::default(), Cpu::default(), Cpu::default());
        for round in 0..rounds_at(sizes, concurrency) {
            // The order turns every round (direct, forwarder, zoomsync; then zoomsync,
            // forwarder, direct), so that a drift of the machine's speed over a level weighs
            // on each way alike.
            let mut order = [Way::Direct, Way::Forwarder, Way::Daemon];
            if round % 2 == 1 {
                order.reverse();
            }
            for way in order {
                match way {
                    Way::Direct => {
                        let cpu = world.cpu()?;
                        on_direct.merge(load::closed_loop(&world.http, &direct, concurrency, sizes.segment).await);
                        direct_cpu.add(world.cpu()?.since(cpu));
                    }
                    Way::Forwarder => {
                        let cpu = world.cpu_with(forwarder.pid())?;
                        let segment = load::closed_loop(&world.http, &via_forwarder, concurrency, sizes.segment).await;
                        on_forwarder.merge(segment);
                        forwarder_cpu.add(world.cpu_with(forwarder.pid())?.since(cpu));
                    }
                    Way::Daemon => {
                        let before = world.zoom_calls().await?;
                        let cpu = world.cpu()?;
                        let segment = load::closed_loop(&world.http, &daemon, concurrency, sizes.segment).await;
                        daemon_cpu.add(world.cpu()?.since(cpu));
                        zoom_calls += world.zoom_calls().await? - before;
                        tokens += segment.ok();
                        on_daemon.merge(segment);
                    }
                }
            }
        }
        levels.push(Level {
            concurrency,
            direct: on_direct.summary(),
            forwarder: on_forwarder.summary(),
            daemon: on_daemon.summary(),
            direct_failures: on_direct.failures_text(),
            forwarder_failures: on_forwarder.failures_text(),
            daemon_failures: on_daemon.failures_text(),
            direct_cpu,
            forwarder_cpu,
            daemon_cpu,
        });
    }
    Ok(JoinResult { credentials: users.len(), meetings: meetings.len(), levels, zoom_calls, tokens })
}

/// The level whose p50 overhead over the forwarder has a target.
pub const LATENCY_LEVEL: usize = 1;
/// The level whose throughput and CPU per token against the forwarder's have targets.
pub const THROUGHPUT_LEVEL: usize = 64;

/// Rounds at `concurrency`: all of them where a target judges the level.
fn rounds_at(sizes: &JoinSizes, concurrency: usize) -> usize {
    if [LATENCY_LEVEL, THROUGHPUT_LEVEL].contains(&concurrency) { sizes.rounds } else { sizes.untargeted_rounds() }
}

/// The three ways a level's segments are sent.
#[derive(Clone, Copy)]
enum Way {
    Direct,
    Forwarder,
    Daemon,
}

/// One token per meeting through the daemon (every credential's access token is then in its
/// cache), a sample of them checked against zoom-sim.
async fn warm_up(world: &World, daemon: &Get, meetings: &[u64]) -> Result<()> {
    let answers = load::arrivals(&world.http, daemon, meetings.len(), std::time::Duration::ZERO).await;
    let failed: Vec<_> = answers.iter().filter(|a| a.status != Some(200)).collect();
    if let Some(first) = failed.first() {
        bail!("{} of {} warm-up mints failed, e.g. {:?}: {}", failed.len(), meetings.len(), first.status, first.body);
    }
    for (answer, meeting) in answers.iter().zip(meetings).step_by(97) {
        world.check_minted(&answer.body, *meeting).await?;
    }
    Ok(())
}
