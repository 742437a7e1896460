//! The printed report: per backend, one Markdown table per figure and one of the targets (met
//! or missed), readable on a terminal and pasteable into BENCHMARKS.md as it is.

use std::fmt::Write as _;
use std::time::Duration;

use anyhow::Result;

use crate::options::{Backend, Sizes};
use crate::scenarios::BackendResults;
use crate::scenarios::{backfill, burst, herd, join, memory, replicas, sync_cost, webhooks};
use crate::stats::ms;

/// One target of the issue, checked against a figure.
struct Check {
    what: &'static str,
    goal: String,
    measured: String,
    met: bool,
}

pub fn render(backend: Backend, sizes: &Sizes, quick: bool, results: &BackendResults) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "### {}{} ({:.0} s)\n",
        backend.name(),
        if quick { ", quick sizes" } else { "" },
        results.took.as_secs_f64()
    );
    let mut checks = Vec::new();
    section(&mut out, &results.join, |out, r| join_table(out, sizes, r, backend, &mut checks));
    section(&mut out, &results.herd, |out, r| herd_table(out, r, &mut checks));
    section(&mut out, &results.burst, |out, r| burst_table(out, r, &mut checks));
    section(&mut out, &results.webhooks, |out, r| webhook_table(out, r, backend, &mut checks));
    section(&mut out, &results.backfill, |out, r| backfill_table(out, r, &mut checks));
    section(&mut out, &results.memory, |out, r| memory_table(out, r, &mut checks));
    section(&mut out, &results.sync_cost, |out, r| sync_cost_table(out, r, &mut checks));
    section(&mut out, &results.replicas, |out, r| replicas_table(out, sizes, r, &mut checks));
    if !checks.is_empty() {
        let _ = writeln!(out, "**Targets ({})**\n", backend.name());
        let _ = writeln!(out, "| target | goal | measured | |\n|---|---|---|---|");
        for check in &checks {
            let verdict = if check.met { "met" } else { "**missed**" };
            let _ = writeln!(out, "| {} | {} | {} | {verdict} |", check.what, check.goal, check.measured);
        }
        out.push('\n');
    }
    out
}

fn section<T>(out: &mut String, result: &Option<Result<T>>, table: impl FnOnce(&mut String, &T)) {
    match result {
        None => {}
        Some(Ok(result)) => table(out, result),
        Some(Err(e)) => {
            let _ = writeln!(out, "**FAILED**: {e:#}\n");
        }
    }
}

fn ms2(d: Duration) -> String {
    format!("{:.2}", ms(d))
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

fn join_table(out: &mut String, sizes: &Sizes, r: &join::JoinResult, backend: Backend, checks: &mut Vec<Check>) {
    let j = &sizes.join;
    let _ = writeln!(
        out,
        "**1. Join-token endpoint**: {} meetings of {} credentials; per level {} round(s) ({} at levels without a \
         target) of a {:.2} s segment straight at zoom-sim, one through the forwarder baseline (actix-web + reqwest, one fixed access token, no \
         database) and one through zoomsync, in an order that turns every round\n",
        r.meetings,
        r.credentials,
        j.rounds,
        j.untargeted_rounds(),
        j.segment.as_secs_f64()
    );
    let _ = writeln!(
        out,
        "| concurrency | direct tokens/s | direct p50 ms | forwarder tokens/s | forwarder p50 ms | forwarder p99 ms | \
         zoomsync tokens/s | zoomsync p50 ms | zoomsync p99 ms | zoomsync / forwarder | p50 over forwarder ms | \
         failed (direct / forwarder / zoomsync) |\n|---|---|---|---|---|---|---|---|---|---|---|---|"
    );
    for level in &r.levels {
        let (d, f, z) = (&level.direct, &level.forwarder, &level.daemon);
        let _ = writeln!(
            out,
            "| {} | {:.0} | {} | {:.0} | {} | {} | {:.0} | {} | {} | {:.2} | {:.3} | {} / {} / {} |",
            level.concurrency,
            d.per_second,
            ms2(d.p50),
            f.per_second,
            ms2(f.p50),
            ms2(f.p99),
            z.per_second,
            ms2(z.p50),
            ms2(z.p99),
            z.per_second / f.per_second,
            ms(z.p50) - ms(f.p50),
            level.direct_failures,
            level.forwarder_failures,
            level.daemon_failures,
        );
    }
    let _ = writeln!(
        out,
        "\nCPU time per token, in microseconds (from /proc/<pid>/stat over the same segments; the processes share {} \
         cores):\n",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0)
    );
    let _ = writeln!(
        out,
        "| concurrency | direct: bench | direct: zoom-sim | forwarder: bench | forwarder: zoom-sim | forwarder | via \
         zoomsync: bench | via zoomsync: zoom-sim | zoomsync | zoomsync / forwarder | cores busy (forwarder / \
         zoomsync) |\n|---|---|---|---|---|---|---|---|---|---|---|"
    );
    for level in &r.levels {
        let (d, f, z) = (&level.direct_cpu, &level.forwarder_cpu, &level.daemon_cpu);
        let (fwd, daemon) = (per_token(f.daemon, level.forwarder.ok), per_token(z.daemon, level.daemon.ok));
        let busy = |cpu: &crate::setup::Cpu, elapsed: Duration| {
            (cpu.bench + cpu.sim + cpu.daemon).as_secs_f64() / elapsed.as_secs_f64().max(1e-9)
        };
        let _ = writeln!(
            out,
            "| {} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.2} | {:.2} / {:.2} |",
            level.concurrency,
            per_token(d.bench, level.direct.ok),
            per_token(d.sim, level.direct.ok),
            per_token(f.bench, level.forwarder.ok),
            per_token(f.sim, level.forwarder.ok),
            fwd,
            per_token(z.bench, level.daemon.ok),
            per_token(z.sim, level.daemon.ok),
            daemon,
            daemon / fwd.max(1e-9),
            busy(f, level.forwarder.elapsed),
            busy(z, level.daemon.elapsed),
        );
    }
    let _ = writeln!(
        out,
        "\nZoom calls per minted token in steady state: **{:.3}** ({} calls for {} tokens)\n",
        r.calls_per_token(),
        r.zoom_calls,
        r.tokens
    );
    checks.push(Check {
        what: "Zoom calls per token",
        goal: "1.00".into(),
        measured: format!("{:.3}", r.calls_per_token()),
        met: r.calls_per_token() < 1.005,
    });
    let failed: u64 = r.levels.iter().map(|level| level.daemon.failed).sum();
    let widest = r.levels.iter().map(|level| level.concurrency).max().unwrap_or(0);
    checks.push(Check {
        what: "failed requests through zoomsync, every concurrency",
        goal: format!("0 (up to concurrency {widest})"),
        measured: if failed == 0 {
            "0".into()
        } else {
            let failing = r.levels.iter().filter(|level| level.daemon.failed > 0);
            failing
                .map(|level| format!("c{}: {}", level.concurrency, level.daemon_failures))
                .collect::<Vec<_>>()
                .join("; ")
        },
        met: failed == 0,
    });
    // The targets hold zoomsync against the forwarder: what it adds over the least any process
    // between a bot and Zoom costs on the same machine, in the same run.
    let (ratio_goal, overhead_goal) = match backend {
        Backend::Sqlite => (0.7, 0.10),
        Backend::Postgres => (0.5, 0.20),
    };
    if let Some(level) = r.level(join::LATENCY_LEVEL) {
        let overhead = ms(level.daemon.p50) - ms(level.forwarder.p50);
        checks.push(Check {
            what: "p50 over the forwarder's, concurrency 1",
            goal: format!("<= {overhead_goal:.2} ms"),
            measured: format!("{overhead:.3} ms ({} - {})", ms2(level.daemon.p50), ms2(level.forwarder.p50)),
            met: overhead <= overhead_goal,
        });
    }
    if let Some(level) = r.level(join::THROUGHPUT_LEVEL) {
        let ratio = level.daemon.per_second / level.forwarder.per_second;
        checks.push(Check {
            what: "throughput zoomsync / forwarder, concurrency 64",
            goal: format!(">= {ratio_goal:.2}"),
            measured: format!(
                "{ratio:.2} ({:.0} / {:.0} tokens/s)",
                level.daemon.per_second, level.forwarder.per_second
            ),
            met: ratio >= ratio_goal,
        });
        let (fwd, daemon) = (
            per_token(level.forwarder_cpu.daemon, level.forwarder.ok),
            per_token(level.daemon_cpu.daemon, level.daemon.ok),
        );
        checks.push(Check {
            what: "daemon CPU per token / forwarder's, concurrency 64",
            goal: "<= 2.0".into(),
            measured: format!("{:.2} ({daemon:.0} / {fwd:.0} us)", daemon / fwd.max(1e-9)),
            met: daemon <= 2.0 * fwd,
        });
    }
}

/// Microseconds of `cpu` per token.
fn per_token(cpu: Duration, tokens: u64) -> f64 {
    if tokens == 0 { 0.0 } else { cpu.as_secs_f64() * 1e6 / tokens as f64 }
}

fn herd_table(out: &mut String, r: &herd::HerdResult, checks: &mut Vec<Check>) {
    let o = &r.outcomes;
    let _ = writeln!(
        out,
        "**2. Thundering herd**: {} bots for {} meetings of {} credentials, every access token expired, arriving \
         within 1 s\n",
        o.requested, o.requested, r.credentials
    );
    let _ = writeln!(
        out,
        "| success | refreshes | invalid_grant | expired tokens used (401) | time until last token | p50 ms | p99 ms | \
         other answers |\n|---|---|---|---|---|---|---|---|"
    );
    let _ = writeln!(
        out,
        "| {}/{} ({:.1}%) | {} | {} | {} | {} | {} | {} | {} |\n",
        o.ok,
        o.requested,
        100.0 * o.success_rate(),
        r.refreshes,
        r.invalid_grants,
        r.rejected_tokens,
        secs(o.time_to_last),
        ms2(o.p50),
        ms2(o.p99),
        o.others_text()
    );
    checks.push(Check {
        what: "herd: success, refreshes",
        goal: format!("100%, exactly {} (one per credential)", r.credentials),
        measured: format!("{:.1}%, {}", 100.0 * o.success_rate(), r.refreshes),
        met: o.ok == o.requested && r.refreshes == r.credentials as u64 && r.invalid_grants == 0,
    });
}

fn burst_table(out: &mut String, r: &burst::BurstResult, checks: &mut Vec<Check>) {
    let o = &r.outcomes;
    let _ = writeln!(
        out,
        "**3. Rate-limited burst**: {} join tokens for meetings of one Pro account (Light: 30/s), arriving within 1 s\n",
        o.requested
    );
    let _ = writeln!(
        out,
        "| served | other answers | 429s from Zoom | Zoom calls | time until last token | bound ({}/30 s) | ratio |\n\
         |---|---|---|---|---|---|---|",
        o.requested
    );
    let _ = writeln!(
        out,
        "| {}/{} | {} | {} | {} | {} | {} | {:.2} |\n",
        o.ok,
        o.requested,
        o.others_text(),
        r.rate_limited,
        r.zoom_calls,
        secs(o.time_to_last),
        secs(r.bound),
        r.ratio()
    );
    checks.push(Check {
        what: "burst: served, time vs bound",
        goal: "100%, <= 1.2x".into(),
        measured: format!("{:.1}%, {:.2}x ({} 429s)", 100.0 * o.success_rate(), r.ratio(), r.rate_limited),
        met: o.ok == o.requested && r.ratio() <= 1.2 && r.rate_limited == 0,
    });
}

fn webhook_table(out: &mut String, r: &webhooks::WebhookResult, backend: Backend, checks: &mut Vec<Check>) {
    let a = &r.acked;
    let _ = writeln!(
        out,
        "**4. Webhook ingest**: {} signed meeting.created deliveries from {} senders\n",
        a.ok + a.failed,
        r.senders
    );
    let _ = writeln!(
        out,
        "| acknowledged | events/s | p50 ms | p99 ms | max ms | time to last ack | applied | time until all applied |\n\
         |---|---|---|---|---|---|---|---|"
    );
    let _ = writeln!(
        out,
        "| {}/{} | {:.0} | {} | {} | {} | {} | {} | {} |\n",
        a.ok,
        a.ok + a.failed,
        a.per_second,
        ms2(a.p50),
        ms2(a.p99),
        ms2(a.max),
        secs(r.time_to_last_ack),
        r.applied,
        secs(r.time_to_applied)
    );
    let per_event = |cpu: Duration| if a.ok == 0 { 0.0 } else { cpu.as_secs_f64() * 1e6 / a.ok as f64 };
    let _ = writeln!(
        out,
        "CPU time per event: zoomsync {:.0} us (of which its webhook writer thread {:.0} us, busy {:.0}% of the \
         time), bench (senders) {:.0} us; cores busy {:.2}\n",
        per_event(r.cpu.daemon),
        per_event(r.writer_cpu),
        100.0 * r.writer_cpu.as_secs_f64() / r.time_to_last_ack.as_secs_f64().max(1e-9),
        per_event(r.cpu.bench),
        (r.cpu.daemon + r.cpu.bench + r.cpu.sim).as_secs_f64() / r.time_to_last_ack.as_secs_f64().max(1e-9)
    );
    let goal = match backend {
        Backend::Sqlite => 10_000.0,
        Backend::Postgres => 5_000.0,
    };
    checks.push(Check {
        what: "webhooks acknowledged durably",
        goal: format!(">= {goal:.0}/s"),
        measured: format!("{:.0}/s (p99 {} ms)", a.per_second, ms2(a.p99)),
        met: a.per_second >= goal && a.failed == 0,
    });
}

fn backfill_table(out: &mut String, r: &backfill::BackfillResult, checks: &mut Vec<Check>) {
    let _ = writeln!(
        out,
        "**5. Backfill**: an account-level credential of a Pro account (Medium: 20/s) with {} users and {} meetings\n",
        r.users + 1,
        r.meetings
    );
    let _ = writeln!(
        out,
        "| mapped | Medium calls needed / made | 429s | wall time | bound (calls / 20 per s) | ratio |\n|---|---|---|---|---|---|"
    );
    let _ = writeln!(
        out,
        "| {} | {} / {} | {} | {} | {} | {:.2} |\n",
        r.mappings,
        r.medium_calls_needed,
        r.medium_calls,
        r.rate_limited,
        secs(r.took),
        secs(r.bound),
        r.ratio()
    );
    checks.push(Check {
        what: "backfill wall time vs bound",
        goal: "<= 1.25x".into(),
        measured: format!("{:.2}x ({} / {})", r.ratio(), secs(r.took), secs(r.bound)),
        met: r.ratio() <= 1.25,
    });
}

fn memory_table(out: &mut String, r: &memory::MemoryResult, checks: &mut Vec<Check>) {
    let mb = |kib: u64| kib as f64 * 1024.0 / 1e6;
    let _ = writeln!(out, "**6. Memory**: {} mappings, then join tokens at concurrency 1\n", r.mappings);
    let _ = writeln!(
        out,
        "| mappings | backfill | tokens/s at concurrency 1 | peak RSS (VmHWM) | RSS after the load |\n|---|---|---|---|---|"
    );
    let _ = writeln!(
        out,
        "| {} | {} | {:.0} | {:.1} MB | {:.1} MB |\n",
        r.mappings,
        secs(r.backfill),
        r.load.per_second,
        mb(r.peak_kib),
        mb(r.rss_kib)
    );
    checks.push(Check {
        what: "daemon peak RSS",
        goal: "< 64 MB".into(),
        measured: format!("{:.1} MB ({} mappings)", mb(r.peak_kib), r.mappings),
        met: mb(r.peak_kib) < 64.0,
    });
}

fn sync_cost_table(out: &mut String, r: &sync_cost::SyncCostResult, checks: &mut Vec<Check>) {
    let _ = writeln!(
        out,
        "**7. Sync cost**: Zoom calls per account-day under the default schedule ({} ticks a day), for a {}-user \
         account; one full listing measured at the users shown and scaled linearly, times the full listings a day \
         each policy makes (before: every tick; after: the defaults, `src/sync/policy.rs`) on a day no bot asks \
         for a meeting nothing maps; request-time lookups and catch-up listings (a stale user-level credential \
         listed when a bot asks for such a meeting: at most the 48 a day of before) not included\n",
        sync_cost::TICKS_PER_DAY,
        sync_cost::ACCOUNT_USERS
    );
    let _ = writeln!(
        out,
        "| shape | users measured | one listing: Medium / Light | listings a day before / after | Medium a day \
         before | Medium a day after | Light a day before / after | cut |\n|---|---|---|---|---|---|---|---|"
    );
    for shape in &r.shapes {
        let (mb, ma) = shape.medium_per_day();
        let (lb, la) = shape.light_per_day();
        let _ = writeln!(
            out,
            "| {} | {} | {} / {} | {} / {} | {mb:.0} | {ma:.0} | {lb:.0} / {la:.0} | {:.1}x |",
            shape.name,
            shape.measured_users,
            shape.medium,
            shape.light,
            shape.listings_before,
            shape.listings_after,
            shape.cut()
        );
        checks.push(Check {
            what: "sync cost cut by the defaults",
            goal: ">= 5x".into(),
            measured: format!("{:.1}x ({})", shape.cut(), shape.name),
            met: shape.cut() >= 5.0,
        });
    }
    out.push('\n');
}

fn replicas_table(out: &mut String, sizes: &Sizes, r: &replicas::ReplicasResult, checks: &mut Vec<Check>) {
    let _ = writeln!(
        out,
        "**8. Replicas**: three daemons on one database, {} join tokens for meetings of one Pro account (Light: \
         30/s) arriving within 1 s; the killed replica dies {} s in, and its bots ask the next one\n",
        sizes.replicas.tokens,
        sizes.replicas.kill_after.as_secs()
    );
    let _ = writeln!(
        out,
        "| way | served | sent again | other answers | 429s from Zoom | time until last token | bound ({}/30 s) | ratio |\n\
         |---|---|---|---|---|---|---|---|",
        sizes.replicas.tokens
    );
    for way in &r.ways {
        let o = &way.outcomes;
        let _ = writeln!(
            out,
            "| {} | {}/{} | {} | {} | {} | {} | {} | {:.2} |",
            way.way.describe(),
            o.ok,
            o.requested,
            way.resent,
            o.others_text(),
            way.rate_limited,
            secs(o.time_to_last),
            secs(r.bound),
            r.ratio(way)
        );
        checks.push(Check {
            what: match way.way {
                replicas::Way::AllAtOne => "replicas, all at one: served, 429s, time vs bound",
                replicas::Way::Spread => "replicas, spread: served, 429s, time vs bound",
                replicas::Way::SpreadOneKilled => "replicas, one killed: served, 429s, time vs bound",
            },
            goal: "100%, 0, <= 1.2x".into(),
            measured: format!("{:.1}%, {}, {:.2}x", 100.0 * o.success_rate(), way.rate_limited, r.ratio(way)),
            met: o.ok == o.requested && way.rate_limited == 0 && r.ratio(way) <= 1.2,
        });
    }
    out.push('\n');
}
