//! The scenarios, each on a fresh world (its own zoom-sim, daemon and database), and what
//! they share.

pub mod backfill;
pub mod burst;
pub mod herd;
pub mod join;
pub mod memory;
pub mod replicas;
pub mod sync_cost;
pub mod webhooks;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};

use crate::load::Arrival;
use crate::options::{Backend, Options, Scenario, Sizes};
use crate::setup::{World, WorldConfig};

/// What every scenario needs to start its world.
pub struct Context<'a> {
    pub options: &'a Options,
    pub bin_dir: &'a Path,
    pub backend: Backend,
}

impl Context<'_> {
    pub async fn world(&self, name: &str, config: WorldConfig) -> Result<World> {
        World::start(self.options, self.bin_dir, self.backend, name, config).await
    }
}

/// How a batch of scheduled requests ended.
#[derive(Clone, Debug, Default)]
pub struct Outcomes {
    pub requested: usize,
    pub ok: usize,
    /// Answers other than 200, by status ("error" when there was none).
    pub others: BTreeMap<String, usize>,
    /// From the first scheduled arrival to the last answer.
    pub time_to_last: Duration,
    pub p50: Duration,
    pub p99: Duration,
    /// The first answer other than 200 (its body, shortened) and how long it took.
    pub first_other: Option<(String, Duration)>,
}

impl Outcomes {
    pub fn of(arrivals: &[Arrival]) -> Self {
        let mut others = BTreeMap::new();
        let mut latencies = Vec::new();
        for arrival in arrivals {
            match arrival.status {
                Some(200) => latencies.push(arrival.latency),
                Some(status) => *others.entry(status.to_string()).or_default() += 1,
                None => *others.entry("error".to_owned()).or_default() += 1,
            }
        }
        latencies.sort_unstable();
        let first_other = arrivals.iter().find(|a| a.status != Some(200)).map(|a| {
            let body: String = a.body.chars().take(80).collect();
            (body.replace('|', "/"), a.latency)
        });
        Self {
            requested: arrivals.len(),
            ok: latencies.len(),
            others,
            time_to_last: arrivals.iter().map(|a| a.answered_after).max().unwrap_or_default(),
            p50: crate::stats::percentile(&latencies, 50.0),
            p99: crate::stats::percentile(&latencies, 99.0),
            first_other,
        }
    }

    pub fn success_rate(&self) -> f64 {
        if self.requested == 0 { 0.0 } else { self.ok as f64 / self.requested as f64 }
    }

    pub fn others_text(&self) -> String {
        if self.others.is_empty() {
            return "none".into();
        }
        let counts = self.others.iter().map(|(status, n)| format!("{n} x {status}")).collect::<Vec<_>>().join(", ");
        match &self.first_other {
            Some((body, latency)) => {
                format!("{counts} (e.g. \"{body}\" after {:.2} s)", latency.as_secs_f64())
            }
            None => counts,
        }
    }
}

/// Every figure of one backend; a scenario that failed keeps its error.
#[derive(Default)]
pub struct BackendResults {
    pub join: Option<Result<join::JoinResult>>,
    pub herd: Option<Result<herd::HerdResult>>,
    pub burst: Option<Result<burst::BurstResult>>,
    pub webhooks: Option<Result<webhooks::WebhookResult>>,
    pub backfill: Option<Result<backfill::BackfillResult>>,
    pub memory: Option<Result<memory::MemoryResult>>,
    pub sync_cost: Option<Result<sync_cost::SyncCostResult>>,
    pub replicas: Option<Result<replicas::ReplicasResult>>,
    pub took: Duration,
}

impl BackendResults {
    /// How many scenarios failed.
    pub fn failures(&self) -> usize {
        [
            self.join.as_ref().is_some_and(Result::is_err),
            self.herd.as_ref().is_some_and(Result::is_err),
            self.burst.as_ref().is_some_and(Result::is_err),
            self.webhooks.as_ref().is_some_and(Result::is_err),
            self.backfill.as_ref().is_some_and(Result::is_err),
            self.memory.as_ref().is_some_and(Result::is_err),
            self.sync_cost.as_ref().is_some_and(Result::is_err),
            self.replicas.as_ref().is_some_and(Result::is_err),
        ]
        .into_iter()
        .filter(|failed| *failed)
        .count()
    }
}

/// Runs the chosen scenarios on one backend, one after another, reporting progress on stderr.
pub async fn run_backend(ctx: &Context<'_>, sizes: &Sizes, scenarios: &[Scenario]) -> BackendResults {
    let started = Instant::now();
    let mut results = BackendResults::default();
    for scenario in Scenario::ALL {
        if !scenarios.contains(&scenario) {
            continue;
        }
        // Replicas share a database server; SQLite serves one process.
        if scenario == Scenario::Replicas && ctx.backend == Backend::Sqlite {
            continue;
        }
        let began = Instant::now();
        eprint!("[{}] {scenario:?} ... ", ctx.backend.name());
        let failed = match scenario {
            Scenario::Join => keep(&mut results.join, join::run(ctx, &sizes.join).await.context("join tokens")),
            Scenario::Herd => keep(&mut results.herd, herd::run(ctx, &sizes.herd).await.context("thundering herd")),
            Scenario::Burst => {
                keep(&mut results.burst, burst::run(ctx, &sizes.burst).await.context("rate-limited burst"))
            }
            Scenario::Webhooks => {
                keep(&mut results.webhooks, webhooks::run(ctx, &sizes.webhooks).await.context("webhook ingest"))
            }
            Scenario::Backfill => {
                keep(&mut results.backfill, backfill::run(ctx, &sizes.backfill).await.context("backfill"))
            }
            Scenario::Memory => keep(&mut results.memory, memory::run(ctx, &sizes.memory).await.context("memory")),
            Scenario::SyncCost => {
                keep(&mut results.sync_cost, sync_cost::run(ctx, &sizes.sync_cost).await.context("sync cost"))
            }
            Scenario::Replicas => {
                keep(&mut results.replicas, replicas::run(ctx, &sizes.replicas).await.context("replicas"))
            }
        };
        match failed {
            Some(error) => eprintln!("FAILED after {:.1} s: {error}", began.elapsed().as_secs_f64()),
            None => eprintln!("{:.1} s", began.elapsed().as_secs_f64()),
        }
    }
    results.took = started.elapsed();
    results
}

/// Stores a scenario's result; returns its error text if it failed.
fn keep<T>(slot: &mut Option<Result<T>>, result: Result<T>) -> Option<String> {
    let error = result.as_ref().err().map(|e| format!("{e:#}"));
    *slot = Some(result);
    error
}
