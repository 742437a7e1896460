//! Figure 8 (PostgreSQL): three replicas on one database share one Pro account's rate budget.
//! `tokens` bots ask for join tokens of the account's meetings within `arrival`, three ways:
//! all at one replica, spread evenly, and spread evenly with one replica killed (SIGKILL)
//! after `kill_after`. A bot whose replica died before answering sends its request again to the
//! next replica, as a load balancer or the bot itself would; it counts as served if that answer
//! is a token. Every way should serve every bot with no 429 from Zoom, close to `tokens / 30` s.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::burst::{PRO_LIGHT_PER_SECOND, pro_account_meetings};
use super::{Context, Outcomes};
use crate::load::Arrival;
use crate::options::ReplicasSizes;
use crate::processes::DaemonProcess;
use crate::setup::{WorldConfig, join_token_url};
use anyhow::Result;

/// How the bots are sent to the replicas.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Way {
    AllAtOne,
    Spread,
    SpreadOneKilled,
}

impl Way {
    pub const ALL: [Way; 3] = [Self::AllAtOne, Self::Spread, Self::SpreadOneKilled];

    pub fn describe(self) -> &'static str {
        match self {
            Self::AllAtOne => "all at one replica",
            Self::Spread => "spread evenly",
            Self::SpreadOneKilled => "spread evenly, one replica killed (SIGKILL)",
        }
    }

    /// The replica bot `i` asks first.
    fn first_replica(self, i: usize, replicas: usize) -> usize {
        match self {
            Self::AllAtOne => 0,
            Self::Spread | Self::SpreadOneKilled => i % replicas,
        }
    }
}

#[derive(Clone, Debug)]
pub struct WayResult {
    pub way: Way,
    pub outcomes: Outcomes,
    /// Bots whose replica died before answering, sent again to another.
    pub resent: usize,
    /// 429s zoom-sim answered during the burst.
    pub rate_limited: u64,
}

#[derive(Clone, Debug)]
pub struct ReplicasResult {
    pub ways: Vec<WayResult>,
    /// `tokens / 30` seconds.
    pub bound: Duration,
}

impl ReplicasResult {
    pub fn ratio(&self, way: &WayResult) -> f64 {
        way.outcomes.time_to_last.as_secs_f64() / self.bound.as_secs_f64()
    }
}

pub async fn run(ctx: &Context<'_>, sizes: &ReplicasSizes) -> Result<ReplicasResult> {
    let world = ctx.world("replicas", WorldConfig::PRO).await?;
    let meetings = Arc::new(pro_account_meetings(&world, sizes.hosts, sizes.tokens).await?);
    let mut others: Vec<DaemonProcess> = vec![world.start_replica().await?, world.start_replica().await?];
    let mut bases = vec![world.daemon.base_url.clone()];
    bases.extend(others.iter().map(|d| d.base_url.clone()));
    let bases = Arc::new(bases);

    let mut ways = Vec::new();
    for way in Way::ALL {
        // Let the calls before leave every one-second window, at Zoom and in the budget.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let before = world.control.counters().await?;
        let burst = send_all(&world.http, &bases, &meetings, way, sizes.arrival);
        let (sent, ()) = tokio::join!(burst, async {
            if way == Way::SpreadOneKilled {
                tokio::time::sleep(sizes.kill_after).await;
                if let Some(last) = others.last_mut() {
                    last.kill();
                }
            }
        });
        let after = world.control.counters().await?;
        let (arrivals, resent): (Vec<Arrival>, Vec<bool>) = sent.into_iter().unzip();
        ways.push(WayResult {
            way,
            outcomes: Outcomes::of(&arrivals),
            resent: resent.into_iter().filter(|r| *r).count(),
            rate_limited: after.rate_limited - before.rate_limited,
        });
    }
    Ok(ReplicasResult { ways, bound: Duration::from_secs_f64(meetings.len() as f64 / PRO_LIGHT_PER_SECOND) })
}

/// Sends bot `i` of `meetings` at `spread * i / n` after the start to its first replica; one that
/// gets no answer (the replica is gone) tries the next replicas in turn. Returns each bot's
/// arrival and whether it was sent again.
async fn send_all(
    client: &reqwest::Client,
    bases: &Arc<Vec<String>>,
    meetings: &Arc<Vec<u64>>,
    way: Way,
    spread: Duration,
) -> Vec<(Arrival, bool)> {
    let start = Instant::now() + Duration::from_millis(20);
    let count = meetings.len();
    let tasks = (0..count).map(|i| {
        let (client, bases, meetings) = (client.clone(), Arc::clone(bases), Arc::clone(meetings));
        let at = start + spread.mul_f64(i as f64 / count.max(1) as f64);
        tokio::spawn(async move {
            tokio::time::sleep_until(at.into()).await;
            let sent = Instant::now();
            let first = way.first_replica(i, bases.len());
            let mut answer = (None, String::new());
            let mut tries = 0;
            for replica in (0..bases.len()).map(|k| (first + k) % bases.len()) {
                tries += 1;
                let url = join_token_url(&bases[replica], meetings[i]);
                match client.get(url).send().await {
                    Ok(response) => {
                        let status = response.status().as_u16();
                        answer = (Some(status), response.text().await.unwrap_or_default());
                        break;
                    }
                    Err(e) => answer = (None, e.to_string()),
                }
            }
            let (status, body) = answer;
            (Arrival { status, body, answered_after: start.elapsed(), latency: sent.elapsed() }, tries > 1)
        })
    });
    futures_util::future::join_all(tasks).await.into_iter().filter_map(Result::ok).collect()
}
