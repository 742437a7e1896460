//! Finding a meeting nobody mapped, when a bot asks for it: each healthy account-wide credential
//! may try `GET /meetings/{id}`, then `GET /webinars/{id}` (webinar first for a `/w/` URL) when
//! granted the scope; a hit stores a `lookup` mapping of that kind. Misses are remembered, and
//! each credential has a small lookup allowance (both in `lookup_cache`), so a flood of unknown
//! IDs costs at most `BURST` + one call per `REFILL` per account-wide credential, whatever its
//! size.

use std::time::Duration;

use super::budget::Category;
use super::zoom_call::{Caller, Patience};
use crate::db::models::apps::AppKind;
use crate::db::models::credentials;
use crate::db::models::mappings::{self, MappingRow, MeetingKind, Source};
use crate::error::AppError;
use crate::scopes::Capability;
use crate::services::AppState;
use crate::time;

/// A lookup is a bot waiting: it gets little of the budget and little of Zoom's time.
const PATIENCE: Patience = Patience { queue: Duration::from_secs(2), zoom: Duration::from_secs(2) };

/// Looks a meeting up; true when it was found and mapped. A miss is remembered only when every
/// credential that could look answered for sure (Zoom said no such meeting); when one could not
/// ask (its allowance used up) or Zoom failed for now, nothing is remembered and the answer is a
/// 503, so the bot asks again rather than being told "no" for ten minutes.
pub async fn find(state: &AppState, meeting_id: i64, likely: MeetingKind) -> Result<bool, AppError> {
    if state.lookups.recently_missed(meeting_id) {
        return Ok(false);
    }
    let candidates = state.db.read(credentials::healthy_account_wide).await?;
    let order = match likely {
        MeetingKind::Meeting => [MeetingKind::Meeting, MeetingKind::Webinar],
        MeetingKind::Webinar => [MeetingKind::Webinar, MeetingKind::Meeting],
    };
    let mut unsure = None;
    for (credential, app_kind) in candidates {
        let kinds: Vec<MeetingKind> = order
            .into_iter()
            .filter(|kind| Capability::ReadMeeting.for_kind(*kind).missing(app_kind, &credential.scopes).is_none())
            .collect();
        if kinds.is_empty() {
            continue;
        }
        let caller = Caller::new(state, &credential.id, &credential.account_id);
        let mut found = None;
        for kind in kinds {
            if !state.lookups.take(&credential.id) {
                unsure = Some("looking unknown meetings up at Zoom is paused for a moment; retry shortly".to_owned());
                break;
            }
            match caller
                .call(
                    Category::Light,
                    PATIENCE,
                    |zoom, t| async move { zoom.meeting_of_kind(&t, kind, meeting_id).await },
                )
                .await
            {
                Ok(meeting) => {
                    found = Some((meeting, kind));
                    break;
                }
                Err(e) if e.is_transient() => {
                    unsure = Some(format!("looking the meeting up at Zoom failed for now: {}", e.summary()));
                    break;
                }
                Err(_) => continue,
            }
        }
        let Some((meeting, kind)) = found else { continue };
        let Some(host) = meeting.host_id.filter(|h| !h.is_empty()) else { continue };
        let account = credential.account_id.clone();
        let mapped = state
            .db
            .write(move |conn| {
                let now = time::now();
                let mut ids = credentials::able_to_mint_for(conn, &host, &account)?;
                if !ids.contains(&credential.id) {
                    ids.push(credential.id.clone());
                }
                for credential_id in &ids {
                    let row = MappingRow {
                        meeting_id,
                        credential_id: credential_id.clone(),
                        host_user_id: host.clone(),
                        source: Source::Lookup,
                        synced_at: now,
                        event_ts: None,
                        kind,
                    };
                    mappings::upsert(conn, &row)?;
                }
                Ok(ids.len())
            })
            .await?;
        tracing::info!(meeting_id, %kind, mapped, "unmapped meeting found by lookup");
        return Ok(true);
    }
    // Nothing maps it and no lookup found it: a meeting whose webhook was lost may still be
    // hosted by a user whose credential cannot look it up. List those that are stale.
    catch_up(state);
    if let Some(why) = unsure {
        return Err(AppError::Unavailable(why));
    }
    state.lookups.record_miss(meeting_id);
    Ok(false)
}

/// True when a credential of this kind with these scopes can look an unknown meeting up
/// (`GET /meetings/{id}` for any host of its account): account-wide, with the read scope.
pub fn can_look_up(kind: AppKind, scopes: &str) -> bool {
    kind != AppKind::UserLevel && Capability::ReadMeeting.missing(kind, scopes).is_none()
}

/// Requests, on its own task, a listing of every healthy credential that cannot look meetings
/// up and was not listed within `sync.catch_up_after_seconds`: what a bot's meeting nothing
/// maps calls for. At most one pass per minute (or per that interval, if shorter) per process,
/// and a credential already queued is not queued again, so a flood of unknown meetings costs
/// Zoom no more than listing each such credential once per interval, as the old every-tick
/// schedule did.
fn catch_up(state: &AppState) {
    let Some(after) = state.settings.catch_up_after else { return };
    if !state.lookups.catch_up_due(after.min(CATCH_UP_EVERY)) {
        return;
    }
    let state = state.clone();
    tokio::spawn(async move {
        let stale_before = time::now() - chrono::Duration::from_std(after).unwrap_or(chrono::Duration::MAX);
        let rows = match state.db.read(move |conn| credentials::healthy_listed_before(conn, stale_before)).await {
            Ok(rows) => rows,
            Err(e) => {
                tracing::warn!(error = %e, "could not read the credentials to catch up");
                return;
            }
        };
        let mut requested = 0;
        for (credential, kind) in rows {
            if !can_look_up(kind, &credential.scopes) && state.backfills.request(&credential.id) {
                requested += 1;
            }
        }
        if requested > 0 {
            tracing::info!(
                requested,
                "a bot asked for a meeting nothing maps: listing stale credentials that cannot look it up"
            );
        }
    });
}

/// Catch-up passes come at most this often per process.
const CATCH_UP_EVERY: Duration = Duration::from_secs(60);
