//! The scheduled backfill, on `sync.schedule` (cron with seconds; empty disables it).

use tokio_cron_scheduler::{Job, JobScheduler};

use crate::services::AppState;

/// Starts the schedule, or nothing when it is disabled. Every replica runs it; the tick each
/// run is for is the schedule's own time (the same on every replica), so leases can tell a
/// tick already served.
pub async fn start(state: &AppState) -> anyhow::Result<Option<JobScheduler>> {
    let Some(schedule) = state.settings.sync_schedule.clone() else { return Ok(None) };
    let cron = croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Required)
        .dom_and_dow(true)
        .build()
        .parse(&schedule)?;
    let scheduler = JobScheduler::new().await?;
    let state = state.clone();
    scheduler
        .add(Job::new_async(schedule.as_str(), move |_, _| {
            let (state, cron) = (state.clone(), cron.clone());
            Box::pin(async move {
                let tick = nearest_occurrence(&cron, chrono::Utc::now());
                super::tick(&state, crate::time::truncate(tick.naive_utc())).await;
            })
        })?)
        .await?;
    scheduler.start().await?;
    tracing::info!(schedule, "scheduled backfill started");
    Ok(Some(scheduler))
}

/// The schedule time a firing is for: the occurrence nearest to now. The scheduler fires a few
/// milliseconds early or late, so "the previous occurrence" would sometimes name the slot
/// before, and replicas would disagree about the tick.
fn nearest_occurrence(cron: &croner::Cron, now: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
    // croner keeps the fraction of a second it is given; occurrences are whole seconds.
    let whole = chrono::SubsecRound::trunc_subsecs(now, 0);
    let previous = cron.find_previous_occurrence(&whole, true).ok();
    let next = cron.find_next_occurrence(&whole, false).ok();
    match (previous, next) {
        (Some(p), Some(n)) => {
            if now - p <= n - now {
                p
            } else {
                n
            }
        }
        (Some(t), None) | (None, Some(t)) => t,
        (None, None) => now,
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_firing_a_little_early_or_late_names_the_same_tick() {
        let cron = croner::parser::CronParser::builder()
            .seconds(croner::parser::Seconds::Required)
            .build()
            .parse("*/10 * * * * *")
            .unwrap();
        let tick = at("2026-11-25T10:00:10Z");
        for fired in ["2026-11-25T10:00:09.995Z", "2026-11-25T10:00:10Z", "2026-11-25T10:00:10.020Z"] {
            assert_eq!(nearest_occurrence(&cron, at(fired)), tick, "fired at {fired}");
        }
    }
}
