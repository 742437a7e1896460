//! One backfill of one credential: list what Zoom says the credential can mint for, map it,
//! and (only after a complete listing) drop what Zoom no longer lists.
//!
//! - User-level: `GET /users/me` (PMI, vanity name), then `GET /users/me/meetings` with
//!   `type=scheduled` and `type=upcoming`, every page.
//! - Account-level and server-to-server: `GET /users` (active, every page), then each user's
//!   scheduled meetings, several users at a time, inside the account's Medium budget. Zoom's
//!   `scheduled` already includes the upcoming meetings, so one listing per user is enough.
//! - Either way, each user's webinars (`GET /users/{id}/webinars`) when the credential was
//!   granted the scope for it; without it, webinars are not listed (nor mapped by backfills).
//!
//! Mappings are written page by page as `sync` (meetings) or `pmi` (personal meeting IDs). A
//! meeting a webhook deleted after the run began is not brought back; a mapping a webhook wrote
//! meanwhile is not removed.

use std::future::Future;
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use secrecy::SecretString;
use tokio::sync::watch;

use crate::db::models::apps::AppKind;
use crate::db::models::credentials::{self, CredentialRow, SyncStatus};
use crate::db::models::mappings::{self, MappingRow, MeetingKind, Source};
use crate::db::models::sync_runs::{self, Figures};
use crate::db::models::{tombstones, zoom_users};
use crate::error::AppError;
use crate::metrics::SyncOutcome;
use crate::scopes::Capability;
use crate::services::AppState;
use crate::services::budget::Category;
use crate::services::zoom_call::{CallError, Caller, Patience};
use crate::time;
use crate::zoom::types::{Paged, User};
use crate::zoom::{ZoomClient, ZoomError};

/// Users listed at once by an account-wide backfill.
const CONCURRENT_USERS: usize = 8;
/// A backfill call waits up to ten minutes for its turn in the budget (it yields to bots), then
/// retries 5xx and 429s for a minute before the run fails.
const PATIENCE: Patience = Patience { queue: Duration::from_secs(600), zoom: Duration::from_secs(60) };
/// Lookup mappings older than this are dropped by a complete backfill (looked up again if
/// still wanted).
const LOOKUP_LIFETIME_HOURS: i64 = 24;
/// A backfill lease lasts this long and is renewed while the run goes on.
pub const LEASE: Duration = Duration::from_secs(300);

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    pub users_total: u64,
    pub users_done: u64,
    pub meetings_seen: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("{0}")]
    Zoom(#[from] CallError),
    #[error("{0}")]
    App(#[from] AppError),
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
    #[error("the backfill lease was lost to another process")]
    LeaseLost,
}

/// What one page of results maps: (id, host, meeting or webinar), and PMIs (id, host).
struct Found {
    meetings: Vec<(i64, String, MeetingKind)>,
    pmis: Vec<(i64, String)>,
}

/// The listings a backfill walks for each user: meetings, and webinars when granted.
fn listings(kind: AppKind, scopes: &str) -> Vec<MeetingKind> {
    let mut kinds = vec![MeetingKind::Meeting];
    if Capability::ListWebinars.missing(kind, scopes).is_none() {
        kinds.push(MeetingKind::Webinar);
    }
    kinds
}

/// Runs a backfill for a credential whose lease `owner` holds; records the run and releases the
/// lease whatever happens.
pub async fn run(
    state: &AppState,
    credential: &CredentialRow,
    kind: AppKind,
    owner: &str,
    tick: Option<NaiveDateTime>,
    progress: Option<&watch::Sender<Progress>>,
) -> Result<Figures, SyncError> {
    let started = time::now();
    let id = credential.id.clone();
    let run_id = state
        .db
        .write(move |conn| {
            credentials::set_sync_status(conn, &id, "", SyncStatus::InProgress, None, false)?;
            sync_runs::start(conn, &id, tick, started)
        })
        .await?;
    let clock = Instant::now();
    let mut figures = Figures::default();
    let result = list_and_map(state, credential, kind, owner, started, &mut figures, progress).await;
    let removed = match &result {
        Ok(()) => remove_stale(state, &credential.id, listings(kind, &credential.scopes), started).await,
        Err(_) => Ok(0),
    };
    let result = result.and(removed.map(|removed| figures.removed = removed as i64));

    let error = result.as_ref().err().map(ToString::to_string);
    let took = clock.elapsed().as_secs_f64();
    state.metrics.sync_run(
        if error.is_some() { SyncOutcome::Failed } else { SyncOutcome::Completed },
        took,
        figures.meetings_seen,
        figures.added,
        figures.removed,
    );
    // The log line goes out before the final status is stored, so that whoever sees the run
    // finished also finds it in the credential log.
    match &error {
        None => {
            state.log.info(
                &credential.id,
                format!(
                    "backfill completed in {took:.1}s: {} user(s), {} meeting(s) seen, {} added, {} removed, {} page(s)",
                    figures.users_seen, figures.meetings_seen, figures.added, figures.removed, figures.pages
                ),
            );
            tracing::info!(credential = %credential.id, took, meetings = figures.meetings_seen, added = figures.added, removed = figures.removed, "backfill completed");
        }
        Some(e) => {
            state.log.error(&credential.id, format!("backfill failed after {took:.1}s (nothing removed): {e}"));
            tracing::warn!(credential = %credential.id, error = %e, "backfill failed");
        }
    }
    let (id, owner_owned, figures_owned, error_owned) =
        (credential.id.clone(), owner.to_owned(), figures.clone(), error.clone());
    let status = if error.is_some() { SyncStatus::Failed } else { SyncStatus::Completed };
    // Endpoints hear of the first failure, not of every tick's while Zoom stays unreachable.
    let failed_before = credential.meeting_sync_status == SyncStatus::Failed;
    state
        .db
        .write(move |conn| {
            let now = time::now();
            let synced_at = error_owned.is_none().then_some(now);
            credentials::set_sync_status(conn, &id, &owner_owned, status, synced_at, true)?;
            if let Some(error) = error_owned.as_deref().filter(|_| !failed_before) {
                crate::events::record(conn, &crate::events::Event::SyncFailed { credential: &id, error })?;
            }
            sync_runs::finish(conn, run_id, &figures_owned, error_owned.as_deref(), now)
        })
        .await?;
    result.map(|()| figures)
}

/// Users an account-wide listing records per transaction.
const USERS_PER_WRITE: usize = 500;

async fn list_and_map(
    state: &AppState,
    credential: &CredentialRow,
    kind: AppKind,
    owner: &str,
    started: NaiveDateTime,
    figures: &mut Figures,
    progress: Option<&watch::Sender<Progress>>,
) -> Result<(), SyncError> {
    let caller = Caller::new(state, &credential.id, &credential.account_id);
    let started_ms = started.and_utc().timestamp_millis();
    let mut lease_renewed = Instant::now();
    if kind == AppKind::UserLevel {
        let me = caller.call(Category::Light, PATIENCE, |zoom, t| async move { zoom.me(&t).await }).await?;
        record_user(state, &me, &credential.account_id, Some(&credential.id)).await?;
        figures.users_seen = 1;
        let pmis: Vec<(i64, String)> = me.pmi.map(|p| (p, me.id.clone())).into_iter().collect();
        figures.added += map(state, &credential.id, Found { meetings: Vec::new(), pmis }, started_ms).await?;
        // The two meeting listings overlap (upcoming meetings are scheduled too): count each once.
        let mut seen = std::collections::HashSet::new();
        let mut walks = vec![(MeetingKind::Meeting, "scheduled"), (MeetingKind::Meeting, "upcoming")];
        if listings(kind, &credential.scopes).contains(&MeetingKind::Webinar) {
            walks.push((MeetingKind::Webinar, ""));
        }
        for (listed, listing) in walks {
            let mut pages = Pages::default();
            while let Some(page) = pages
                .next(&caller, |zoom, t, next| async move {
                    match listed {
                        MeetingKind::Meeting => zoom.list_meetings(&t, "me", listing, next.as_deref()).await,
                        MeetingKind::Webinar => zoom.list_webinars(&t, "me", next.as_deref()).await,
                    }
                })
                .await?
            {
                figures.pages += 1;
                seen.extend(page.meetings.iter().map(|m| m.id));
                figures.meetings_seen = seen.len() as i64;
                let meetings = page
                    .meetings
                    .iter()
                    .map(|m| (m.id, m.host_id.clone().unwrap_or_else(|| me.id.clone()), listed))
                    .collect();
                figures.added += map(state, &credential.id, Found { meetings, pmis: Vec::new() }, started_ms).await?;
                report(progress, 1, 0, figures.meetings_seen);
                renew(state, &credential.id, owner, &mut lease_renewed).await?;
            }
        }
        report(progress, 1, 1, figures.meetings_seen);
        return Ok(());
    }

    // Account-wide: every active user, then each one's meetings.
    let mut users = Vec::new();
    let mut pages = Pages::default();
    while let Some(page) =
        pages.next(&caller, |zoom, t, next| async move { zoom.list_users(&t, next.as_deref()).await }).await?
    {
        figures.pages += 1;
        users.extend(page.users);
        report(progress, users.len() as u64, 0, 0);
    }
    figures.users_seen = users.len() as i64;
    for chunk in users.chunks(USERS_PER_WRITE) {
        record_users(state, chunk, &credential.account_id).await?;
    }
    let pmis: Vec<(i64, String)> = users.iter().filter_map(|u| u.pmi.map(|p| (p, u.id.clone()))).collect();
    figures.added += map(state, &credential.id, Found { meetings: Vec::new(), pmis }, started_ms).await?;

    let total = users.len() as u64;
    let mut done = 0u64;
    let kinds = listings(kind, &credential.scopes);
    let mut queue = users.into_iter();
    let mut running = futures_util::stream::FuturesUnordered::new();
    loop {
        while running.len() < CONCURRENT_USERS {
            let Some(user) = queue.next() else { break };
            let kinds = &kinds;
            running.push(async move { list_user_meetings(caller, &user.id, kinds).await });
        }
        let Some(listed) = futures_util::StreamExt::next(&mut running).await else { break };
        let (meetings, pages) = listed?;
        figures.pages += pages;
        figures.meetings_seen += meetings.len() as i64;
        figures.added += map(state, &credential.id, Found { meetings, pmis: Vec::new() }, started_ms).await?;
        done += 1;
        report(progress, total, done, figures.meetings_seen);
        renew(state, &credential.id, owner, &mut lease_renewed).await?;
    }
    Ok(())
}

/// Every scheduled meeting (and webinar, when `kinds` has it) of one user: (id, host, kind) and
/// the pages it took.
async fn list_user_meetings(
    caller: Caller<'_>,
    user_id: &str,
    kinds: &[MeetingKind],
) -> Result<(Vec<(i64, String, MeetingKind)>, i64), SyncError> {
    let mut meetings = Vec::new();
    let mut count = 0;
    for &listed in kinds {
        let mut pages = Pages::default();
        while let Some(page) = pages
            .next(&caller, |zoom, t, next| async move {
                match listed {
                    MeetingKind::Meeting => zoom.list_meetings(&t, user_id, "scheduled", next.as_deref()).await,
                    MeetingKind::Webinar => zoom.list_webinars(&t, user_id, next.as_deref()).await,
                }
            })
            .await?
        {
            count += 1;
            meetings.extend(
                page.meetings.iter().map(|m| (m.id, m.host_id.clone().unwrap_or_else(|| user_id.to_owned()), listed)),
            );
        }
    }
    Ok((meetings, count))
}

/// Walks one Zoom listing, a page per [`Pages::next`], each page a Medium call.
#[derive(Default)]
struct Pages {
    next: Option<String>,
    done: bool,
}

impl Pages {
    /// The next page, or `None` after the last. `fetch` gets the access token and the page
    /// token (`None` for the first page).
    async fn next<'a, P, F, Fut>(&mut self, caller: &Caller<'a>, fetch: F) -> Result<Option<P>, CallError>
    where
        P: Paged,
        F: Fn(&'a ZoomClient, SecretString, Option<String>) -> Fut,
        Fut: Future<Output = Result<P, ZoomError>>,
    {
        if self.done {
            return Ok(None);
        }
        let token = self.next.take();
        let page = caller.call(Category::Medium, PATIENCE, |zoom, t| fetch(zoom, t, token.clone())).await?;
        self.next = page.next_page().map(str::to_owned);
        self.done = self.next.is_none();
        Ok(Some(page))
    }
}

/// Writes one batch of mappings for `credential_id`; returns how many are new.
async fn map(state: &AppState, credential_id: &str, found: Found, started_ms: i64) -> Result<i64, SyncError> {
    if found.meetings.is_empty() && found.pmis.is_empty() {
        return Ok(0);
    }
    let credential_id = credential_id.to_owned();
    let added = state
        .db
        .write(move |conn| {
            let now = time::now();
            let ids: Vec<i64> = found.meetings.iter().map(|(id, ..)| *id).collect();
            let deleted = tombstones::deleted_since(conn, &ids, started_ms)?;
            let rows: Vec<MappingRow> = found
                .meetings
                .into_iter()
                .filter(|(id, ..)| !deleted.contains(id))
                .map(|m| (m, Source::Sync))
                .chain(found.pmis.into_iter().map(|(id, host)| ((id, host, MeetingKind::Meeting), Source::Pmi)))
                .map(|((meeting_id, host, kind), source)| MappingRow {
                    meeting_id,
                    credential_id: credential_id.clone(),
                    host_user_id: host,
                    source,
                    synced_at: now,
                    event_ts: None,
                    kind,
                })
                .collect();
            Ok(mappings::upsert_many(conn, &rows)? as i64)
        })
        .await?;
    Ok(added)
}

async fn record_user(
    state: &AppState,
    user: &User,
    account_id: &str,
    credential_id: Option<&str>,
) -> Result<(), SyncError> {
    let (user, account_id, credential_id) = (user.clone(), account_id.to_owned(), credential_id.map(str::to_owned));
    state
        .db
        .write(move |conn| {
            let vanity = store_user(conn, &user, &account_id)?;
            if let Some(id) = credential_id {
                credentials::set_profile(conn, &id, user.pmi, vanity.as_deref())?;
            }
            Ok(())
        })
        .await?;
    Ok(())
}

/// An account-wide listing's users, in one transaction: a commit each would cost a round trip
/// and a flush per user on PostgreSQL.
async fn record_users(state: &AppState, users: &[User], account_id: &str) -> Result<(), SyncError> {
    let (users, account_id) = (users.to_vec(), account_id.to_owned());
    state
        .db
        .write(move |conn| {
            for user in &users {
                store_user(conn, user, &account_id)?;
            }
            Ok(())
        })
        .await?;
    Ok(())
}

/// One user as Zoom listed it; returns their vanity name.
fn store_user(
    conn: &mut crate::db::AnyConnection,
    user: &User,
    account_id: &str,
) -> diesel::QueryResult<Option<String>> {
    let vanity = user.vanity_name();
    let account = user.account_id.as_deref().unwrap_or(account_id);
    zoom_users::upsert_from_api(
        conn,
        &user.id,
        account,
        user.email.as_deref(),
        user.pmi,
        vanity.as_deref(),
        time::now(),
    )?;
    Ok(vanity)
}

async fn remove_stale(
    state: &AppState,
    credential_id: &str,
    listed: Vec<MeetingKind>,
    started: NaiveDateTime,
) -> Result<usize, SyncError> {
    let id = credential_id.to_owned();
    let cutoff = time::now() - chrono::Duration::hours(LOOKUP_LIFETIME_HOURS);
    Ok(state.db.write(move |conn| mappings::delete_stale(conn, &id, &listed, started, cutoff)).await?)
}

/// Keeps the lease alive on long runs; a run that lost it stops (another process took over).
async fn renew(state: &AppState, credential_id: &str, owner: &str, last: &mut Instant) -> Result<(), SyncError> {
    if last.elapsed() < LEASE / 3 || owner.is_empty() {
        return Ok(());
    }
    *last = Instant::now();
    let (id, owner) = (credential_id.to_owned(), owner.to_owned());
    let until = time::now() + chrono::Duration::from_std(LEASE).unwrap_or_default();
    let kept = state.db.write(move |conn| credentials::renew_sync_lease(conn, &id, &owner, until)).await?;
    if kept { Ok(()) } else { Err(SyncError::LeaseLost) }
}

fn report(progress: Option<&watch::Sender<Progress>>, users_total: u64, users_done: u64, meetings_seen: i64) {
    if let Some(progress) = progress {
        let _ = progress.send(Progress { users_total, users_done, meetings_seen: meetings_seen.max(0) as u64 });
    }
}
