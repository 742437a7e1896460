//! Finding a meeting nobody mapped, when a bot asks for it: each healthy account-wide credential
//! may try `GET /meetings/{id}`; a hit stores a `lookup` mapping. Misses are remembered, and
//! each credential has a small lookup allowance, so a flood of unknown IDs costs at most
//! [`BURST`] + one call per [`REFILL`] per account-wide credential, whatever its size.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::caller::Caller;
use crate::db::models::apps::AppKind;
use crate::db::models::credentials;
use crate::db::models::mappings::{self, MappingRow, Source};
use crate::error::AppError;
use crate::scopes::Capability;
use crate::services::budget::Category;
use crate::state::AppState;
use crate::time;

/// Lookups a credential may make at once...
pub const BURST: f64 = 5.0;
/// ...and one more per this long.
pub const REFILL: Duration = Duration::from_secs(12);
/// A meeting no credential could see is not looked up again for this long.
const MISS_TTL: Duration = Duration::from_secs(600);
/// Remembered misses at most (oldest forgotten first when full).
const MAX_MISSES: usize = 100_000;

#[derive(Default)]
pub struct Lookups {
    misses: parking_lot::Mutex<HashMap<i64, Instant>>,
    /// Per credential: (allowance left, when it was last topped up).
    allowance: parking_lot::Mutex<HashMap<String, (f64, Instant)>>,
}

impl Lookups {
    fn recently_missed(&self, meeting_id: i64) -> bool {
        self.misses.lock().get(&meeting_id).is_some_and(|at| at.elapsed() < MISS_TTL)
    }

    fn record_miss(&self, meeting_id: i64) {
        let mut misses = self.misses.lock();
        if misses.len() >= MAX_MISSES {
            misses.retain(|_, at| at.elapsed() < MISS_TTL);
            if misses.len() >= MAX_MISSES {
                misses.clear();
            }
        }
        misses.insert(meeting_id, Instant::now());
    }

    fn take(&self, credential_id: &str) -> bool {
        let mut allowance = self.allowance.lock();
        let (left, at) = allowance.entry(credential_id.to_owned()).or_insert((BURST, Instant::now()));
        *left = (*left + at.elapsed().as_secs_f64() / REFILL.as_secs_f64()).min(BURST);
        *at = Instant::now();
        if *left >= 1.0 {
            *left -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Looks a meeting up; true when it was found and mapped.
pub async fn find(state: &AppState, meeting_id: i64) -> Result<bool, AppError> {
    if state.syncs.lookups.recently_missed(meeting_id) {
        return Ok(false);
    }
    let candidates = state.db.read(|conn| credentials::healthy_with_kind(conn).map_err(AppError::from)).await?;
    for (credential, kind) in candidates {
        let Some(kind) = AppKind::parse(&kind).filter(|k| k.is_account_wide()) else { continue };
        if Capability::ReadMeeting.missing(kind, &credential.scopes).is_some()
            || !state.syncs.lookups.take(&credential.id)
        {
            continue;
        }
        let Ok(caller) =
            Caller::new(state, &credential.id, &credential.account_id, Duration::from_secs(2), Duration::from_secs(2))
                .await
        else {
            continue;
        };
        let Ok(meeting) =
            caller.call(Category::Light, |t| async move { state.zoom.meeting(&t, meeting_id).await }).await
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
                        source: Source::Lookup.as_str().into(),
                        synced_at: now,
                        event_ts: None,
                    };
                    mappings::upsert(conn, &row)?;
                }
                Ok::<_, AppError>(ids.len())
            })
            .await?;
        tracing::info!(meeting_id, mapped, "unmapped meeting found by lookup");
        return Ok(true);
    }
    state.syncs.lookups.record_miss(meeting_id);
    Ok(false)
}
