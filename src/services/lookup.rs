//! Finding a meeting nobody mapped, when a bot asks for it: each healthy account-wide credential
//! may try `GET /meetings/{id}`; a hit stores a `lookup` mapping. Misses are remembered, and
//! each credential has a small lookup allowance (both in `lookup_cache`), so a flood of unknown
//! IDs costs at most `BURST` + one call per `REFILL` per account-wide credential, whatever its
//! size.

use std::time::Duration;

use super::budget::Category;
use super::zoom_call::{Caller, Patience};
use crate::db::models::credentials;
use crate::db::models::mappings::{self, MappingRow, Source};
use crate::error::AppError;
use crate::scopes::Capability;
use crate::services::AppState;
use crate::time;

/// A lookup is a bot waiting: it gets little of the budget and little of Zoom's time.
const PATIENCE: Patience = Patience { queue: Duration::from_secs(2), zoom: Duration::from_secs(2) };

/// Looks a meeting up; true when it was found and mapped.
pub async fn find(state: &AppState, meeting_id: i64) -> Result<bool, AppError> {
    if state.lookups.recently_missed(meeting_id) {
        return Ok(false);
    }
    let candidates = state.db.read(credentials::healthy_with_kind).await?;
    for (credential, kind) in candidates {
        if !kind.is_account_wide() {
            continue;
        }
        if Capability::ReadMeeting.missing(kind, &credential.scopes).is_some() || !state.lookups.take(&credential.id) {
            continue;
        }
        let caller = Caller::new(state, &credential.id, &credential.account_id);
        let Ok(meeting) =
            caller.call(Category::Light, PATIENCE, |t| async move { state.zoom.meeting(&t, meeting_id).await }).await
        else {
            continue;
        };
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
                    };
                    mappings::upsert(conn, &row)?;
                }
                Ok(ids.len())
            })
            .await?;
        tracing::info!(meeting_id, mapped, "unmapped meeting found by lookup");
        return Ok(true);
    }
    state.lookups.record_miss(meeting_id);
    Ok(false)
}
