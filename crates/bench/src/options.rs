//! Command-line options and the sizes of each scenario (full, or `--quick` for CI and a first
//! look).

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};

/// Benchmarks zoomsync against zoom-sim, both as release processes on loopback, and prints one
/// table per database backend with each target met or missed (see BENCHMARKS.md).
#[derive(Debug, Parser)]
#[command(name = "bench")]
pub struct Options {
    /// Smaller sizes for everything (the whole run takes under two minutes).
    #[arg(long)]
    pub quick: bool,

    /// Database backends to run on.
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [Backend::Sqlite, Backend::Postgres])]
    pub backend: Vec<Backend>,

    /// Scenarios to run (default: all).
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = Scenario::ALL)]
    pub scenario: Vec<Scenario>,

    /// Where the `zoomsync` and `zoom-sim` release binaries are. Default: this executable's own
    /// directory (cargo's target/release), after `cargo build --release` of both.
    #[arg(long, env = "BENCH_BIN_DIR")]
    pub bin_dir: Option<PathBuf>,

    /// Do not build `zoomsync` and `zoom-sim` first; use the binaries found in the bin dir as
    /// they are. (Without --bin-dir, the bench runs `cargo build --release` of both first.)
    #[arg(long)]
    pub no_build: bool,

    /// PostgreSQL server; each scenario gets a schema of its own there, dropped afterwards.
    #[arg(long, env = "ZOOMSYNC_TEST_POSTGRES_URL", default_value = "postgres://postgres@127.0.0.1:5432/test")]
    pub postgres_url: String,

    /// The daemon's RUST_LOG (its default, info, is what production runs with).
    #[arg(long, default_value = "info")]
    pub daemon_log: String,

    /// More configuration for the daemon, as `ZOOMSYNC__SECTION__KEY=value` (repeatable): to
    /// compare a setting's cost in the same build (e.g. `ZOOMSYNC__TOKENS__RESOLUTION_CACHE_MS=0`).
    #[arg(long = "daemon-env", value_parser = parse_daemon_env)]
    pub daemon_env: Vec<(String, String)>,

    /// Join-token concurrency levels instead of 1,16,64,256 (e.g. a single level to profile).
    #[arg(long, value_delimiter = ',')]
    pub concurrency: Option<Vec<usize>>,

    /// Length in seconds of one join-token segment instead of the size's default.
    #[arg(long)]
    pub segment_seconds: Option<f64>,

    /// Rounds of join-token segments at the levels with a target instead of the size's default
    /// (the other levels run a third as many).
    #[arg(long)]
    pub rounds: Option<usize>,

    /// Print the processes' ids and addresses as they start (to attach perf or a debugger).
    #[arg(long)]
    pub verbose: bool,

    /// Keep the working directory (daemon and simulator logs, the SQLite files) and print it.
    #[arg(long)]
    pub keep: bool,
}

fn parse_daemon_env(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if name.starts_with("ZOOMSYNC__") => Ok((name.to_owned(), value.to_owned())),
        _ => Err(format!("{text:?} is not ZOOMSYNC__SECTION__KEY=value")),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "SQLite",
            Self::Postgres => "PostgreSQL",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Scenario {
    Join,
    Herd,
    Burst,
    Webhooks,
    Backfill,
    Memory,
    SyncCost,
    /// PostgreSQL only.
    Replicas,
}

impl Scenario {
    pub const ALL: [Scenario; 8] = [
        Self::Join,
        Self::Herd,
        Self::Burst,
        Self::Webhooks,
        Self::Backfill,
        Self::Memory,
        Self::SyncCost,
        Self::Replicas,
    ];
}

/// How big each scenario is.
#[derive(Clone, Debug)]
pub struct Sizes {
    pub join: JoinSizes,
    pub herd: HerdSizes,
    pub burst: BurstSizes,
    pub webhooks: WebhookSizes,
    pub backfill: BackfillSizes,
    pub memory: MemorySizes,
    pub sync_cost: SyncCostSizes,
    pub replicas: ReplicasSizes,
}

/// Three replicas, one Pro account's burst, three ways (all at one, spread, one killed).
#[derive(Clone, Debug)]
pub struct ReplicasSizes {
    pub hosts: usize,
    pub tokens: usize,
    pub arrival: Duration,
    /// When the third replica is killed (SIGKILL) in the third way.
    pub kill_after: Duration,
}

#[derive(Clone, Debug)]
pub struct JoinSizes {
    pub credentials: usize,
    pub meetings_per_credential: usize,
    pub concurrency: Vec<usize>,
    /// Rounds of alternating segments (direct, forwarder, zoomsync) at a concurrency level with
    /// a target (`scenarios::join::LATENCY_LEVEL`, `THROUGHPUT_LEVEL`);
    /// the other levels, reported but not judged, run a third as many: the run's time goes where
    /// a figure is judged, whose spread the rounds narrow.
    pub rounds: usize,
    /// Length of one segment.
    pub segment: Duration,
}

impl JoinSizes {
    /// Rounds at a level without a target.
    pub fn untargeted_rounds(&self) -> usize {
        (self.rounds / 3).max(1)
    }
}

#[derive(Clone, Debug)]
pub struct HerdSizes {
    pub credentials: usize,
    pub bots: usize,
    pub arrival: Duration,
}

#[derive(Clone, Debug)]
pub struct BurstSizes {
    pub hosts: usize,
    pub tokens: usize,
    pub arrival: Duration,
}

#[derive(Clone, Debug)]
pub struct WebhookSizes {
    pub events: usize,
    pub senders: usize,
}

#[derive(Clone, Debug)]
pub struct BackfillSizes {
    pub users: usize,
    pub meetings_per_user: usize,
}

/// Users measured by the sync-cost scenario (scaled to 2,000 in its table).
#[derive(Clone, Debug)]
pub struct SyncCostSizes {
    pub users: usize,
    pub meetings_per_user: usize,
}

#[derive(Clone, Debug)]
pub struct MemorySizes {
    pub users: usize,
    pub meetings_per_user: usize,
    pub load: Duration,
}

impl Sizes {
    /// The sizes `options` ask for.
    pub fn of(options: &Options) -> Self {
        let mut sizes = if options.quick { Self::quick() } else { Self::full() };
        if let Some(levels) = &options.concurrency {
            sizes.join.concurrency = levels.clone();
        }
        if let Some(rounds) = options.rounds {
            sizes.join.rounds = rounds.max(1);
        }
        if let Some(seconds) = options.segment_seconds {
            sizes.join.segment = Duration::from_secs_f64(seconds);
        }
        sizes
    }

    /// The sizes the issue asks for.
    pub fn full() -> Self {
        Self {
            join: JoinSizes {
                credentials: 100,
                meetings_per_credential: 10,
                concurrency: vec![1, 16, 64, 256],
                // 9 + 3 + 9 + 3 rounds: the time of 6 at each level.
                rounds: 9,
                segment: Duration::from_millis(1500),
            },
            herd: HerdSizes { credentials: 50, bots: 1000, arrival: Duration::from_secs(1) },
            burst: BurstSizes { hosts: 10, tokens: 500, arrival: Duration::from_secs(1) },
            webhooks: WebhookSizes { events: 50_000, senders: 32 },
            backfill: BackfillSizes { users: 2000, meetings_per_user: 10 },
            memory: MemorySizes { users: 1000, meetings_per_user: 100, load: Duration::from_secs(10) },
            sync_cost: SyncCostSizes { users: 2000, meetings_per_user: 2 },
            replicas: ReplicasSizes {
                hosts: 10,
                tokens: 300,
                arrival: Duration::from_secs(1),
                kill_after: Duration::from_secs(3),
            },
        }
    }

    /// Small enough that both backends and every scenario finish in under two minutes.
    pub fn quick() -> Self {
        Self {
            join: JoinSizes {
                credentials: 100,
                meetings_per_credential: 10,
                concurrency: vec![1, 16, 64, 256],
                // Many short rounds rather than one long one: this machine's speed drifts by a
                // fifth within a second, and each way must see the same drift. 6 + 2 + 6 + 2
                // rounds: the time of 4 at each level.
                rounds: 6,
                segment: Duration::from_millis(175),
            },
            herd: HerdSizes { credentials: 50, bots: 1000, arrival: Duration::from_secs(1) },
            burst: BurstSizes { hosts: 4, tokens: 120, arrival: Duration::from_secs(1) },
            webhooks: WebhookSizes { events: 10_000, senders: 32 },
            backfill: BackfillSizes { users: 100, meetings_per_user: 10 },
            memory: MemorySizes { users: 1000, meetings_per_user: 100, load: Duration::from_secs(2) },
            sync_cost: SyncCostSizes { users: 50, meetings_per_user: 2 },
            // Half the tokens (5 s a way at 30/s), so that the whole run stays under two minutes.
            replicas: ReplicasSizes {
                hosts: 5,
                tokens: 150,
                arrival: Duration::from_secs(1),
                kill_after: Duration::from_secs(3),
            },
        }
    }
}
