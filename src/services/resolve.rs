//! Which credentials may mint for a meeting, in the order they are tried (docs/http.md): healthy
//! (and otherwise able) first, the host's own before account-level ones, then the most recently
//! synced. `explain`
//! shows the same list with the reason each would or would not be used.

use serde::Serialize;

use crate::db::models::apps::AppKind;
use crate::db::models::credentials::Health;
use crate::db::models::mappings::{self, Candidate, Source};
use crate::db::models::zoom_users;
use crate::error::AppError;
use crate::meeting_ref::MeetingRef;
use crate::scopes::Capability;
use crate::services::AppState;

#[derive(Clone, Debug)]
pub struct Ranked {
    pub candidate: Candidate,
    pub kind: AppKind,
    /// The host's own user-level credential.
    pub own: bool,
    /// Why this credential would be skipped, if it would be.
    pub skip: Option<String>,
}

impl Ranked {
    pub fn usable(&self) -> bool {
        self.skip.is_none()
    }
}

pub fn rank(candidates: Vec<Candidate>, capability: Capability) -> Vec<Ranked> {
    let mut ranked: Vec<Ranked> = candidates
        .into_iter()
        .map(|candidate| {
            let kind = candidate.app_kind;
            let own = kind == AppKind::UserLevel && candidate.credential_user_id == candidate.host_user_id;
            let skip = if candidate.status != Health::Healthy {
                Some(format!(
                    "unhealthy: {}",
                    candidate.status_detail.clone().unwrap_or_else(|| "reconnect needed".into())
                ))
            } else if kind == AppKind::UserLevel && !own {
                Some("a user-level credential of someone other than the host".into())
            } else {
                capability.missing(kind, &candidate.scopes).map(|scope| format!("missing scope {scope}"))
            };
            Ranked { candidate, kind, own, skip }
        })
        .collect();
    ranked.sort_by(|a, b| {
        let key = |r: &Ranked| (!r.usable(), !r.own);
        key(a).cmp(&key(b)).then(b.candidate.synced_at.cmp(&a.candidate.synced_at))
    });
    ranked
}

/// The meeting ID a reference names: itself, or the PMI of the user whose vanity name it is.
pub async fn meeting_id(state: &AppState, meeting: &MeetingRef) -> Result<Option<i64>, AppError> {
    match meeting {
        MeetingRef::Id(id) => Ok(Some(*id)),
        MeetingRef::Vanity(name) => {
            let name = name.clone();
            let user = state.db.read(move |conn| zoom_users::by_vanity_name(conn, &name)).await?;
            Ok(user.and_then(|u| u.pmi))
        }
    }
}

pub async fn candidates(state: &AppState, meeting_id: i64, capability: Capability) -> Result<Vec<Ranked>, AppError> {
    let found = state.db.read(move |conn| mappings::candidates(conn, meeting_id)).await?;
    Ok(rank(found, capability))
}

/// One line of `explain`.
#[derive(Debug, Serialize)]
pub struct Explained {
    pub credential: String,
    pub oauth_app: String,
    pub kind: AppKind,
    pub user_id: String,
    pub account_id: String,
    pub host_user_id: String,
    pub source: Source,
    pub status: Health,
    pub would_use: bool,
    pub reason: String,
}

pub fn explain(ranked: &[Ranked]) -> Vec<Explained> {
    let mut first_usable = true;
    ranked
        .iter()
        .map(|r| {
            let reason = match &r.skip {
                Some(why) => format!("skipped: {why}"),
                None => {
                    let what = if r.own {
                        "the host's own credential"
                    } else {
                        "an account-wide credential of the host's account"
                    };
                    if first_usable { format!("tried first: {what}") } else { format!("fallback: {what}") }
                }
            };
            if r.usable() {
                first_usable = false;
            }
            Explained {
                credential: r.candidate.credential_id.clone(),
                oauth_app: r.candidate.app_id.clone(),
                kind: r.kind,
                user_id: r.candidate.credential_user_id.clone(),
                account_id: r.candidate.credential_account_id.clone(),
                host_user_id: r.candidate.host_user_id.clone(),
                source: r.candidate.source,
                status: r.candidate.status,
                would_use: r.usable(),
                reason,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(id: &str, kind: &str, user: &str, status: &str, synced: i64) -> Candidate {
        Candidate {
            meeting_id: 1,
            host_user_id: "host".into(),
            source: Source::Sync,
            synced_at: chrono::DateTime::from_timestamp(synced, 0).unwrap().naive_utc(),
            credential_id: id.into(),
            credential_user_id: user.into(),
            credential_account_id: "acct".into(),
            status: Health::parse(status).unwrap(),
            status_detail: None,
            scopes: crate::scopes::Capability::recommended(AppKind::parse(kind).unwrap()).join(" "),
            app_id: "app".into(),
            app_kind: AppKind::parse(kind).unwrap(),
        }
    }

    #[test]
    fn usable_then_own_then_newest() {
        let ranked = rank(
            vec![
                candidate("account-old", "account_level", "admin", "healthy", 1),
                candidate("own-sick", "user_level", "host", "unhealthy", 9),
                candidate("account-new", "account_level", "admin", "healthy", 5),
                candidate("own", "user_level", "host", "healthy", 2),
                candidate("stranger", "user_level", "someone", "healthy", 8),
            ],
            Capability::JoinToken,
        );
        let order: Vec<&str> = ranked.iter().map(|r| r.candidate.credential_id.as_str()).collect();
        assert_eq!(order, ["own", "account-new", "account-old", "own-sick", "stranger"]);
        let usable: Vec<bool> = ranked.iter().map(Ranked::usable).collect();
        assert_eq!(usable, [true, true, true, false, false]);
    }

    #[test]
    fn a_missing_scope_is_a_reason_to_skip() {
        let mut c = candidate("own", "user_level", "host", "healthy", 1);
        c.scopes = "user:read:user".into();
        let ranked = rank(vec![c], Capability::JoinToken);
        assert_eq!(ranked[0].skip.as_deref(), Some("missing scope meeting:read:local_recording_token"));
    }
}
