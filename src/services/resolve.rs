//! Which credentials may mint for a meeting, in the order they are tried (docs/http.md): healthy
//! (and otherwise able) first, the host's own before account-level ones, then the most recently
//! synced. `explain`
//! shows the same list with the reason each would or would not be used.

use std::sync::Arc;

use serde::Serialize;

use crate::db::models::apps::AppKind;
use crate::db::models::credentials::{self, Health};
use crate::db::models::mappings::{self, Candidate, MeetingKind, Source};
use crate::db::models::zoom_users;
use crate::error::AppError;
use crate::meeting_ref::MeetingRef;
use crate::scopes::Capability;
use crate::services::AppState;
use crate::services::mint::TokenKind;

#[derive(Clone, Debug)]
pub struct Ranked {
    /// Shared with the resolution cache: a bot's token clones no credential's scopes.
    pub candidate: Arc<Candidate>,
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

pub fn rank(candidates: Vec<Arc<Candidate>>, capability: Capability) -> Vec<Ranked> {
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
                capability
                    .for_kind(candidate.meeting_kind)
                    .missing(kind, &candidate.scopes)
                    .map(|scope| format!("missing scope {scope}"))
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
        MeetingRef::Id(id) | MeetingRef::Webinar(id) => Ok(Some(*id)),
        MeetingRef::Vanity(name) => {
            let name = name.clone();
            let user = state.db.read_quick(move |conn| zoom_users::by_vanity_name(conn, &name)).await?;
            Ok(user.and_then(|u| u.pmi))
        }
    }
}

pub async fn candidates(state: &AppState, meeting_id: i64, capability: Capability) -> Result<Vec<Ranked>, AppError> {
    if let Some(found) = state.resolutions.get(meeting_id) {
        return Ok(rank(found, capability));
    }
    // Taken before the read: a write committing meanwhile makes the entry stale at once.
    let (writes, read_at) = (crate::db::writes(), std::time::Instant::now());
    let found = state.db.read_quick(move |conn| mappings::candidates(conn, meeting_id)).await?;
    let found: Vec<Arc<Candidate>> = found.into_iter().map(Arc::new).collect();
    state.resolutions.put(meeting_id, &found, writes, read_at);
    Ok(rank(found, capability))
}

/// The user a bot acts for, as it named them (`user=` or `credential=`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BotUser {
    /// A Zoom user id, or an email (matched case-insensitively).
    User(String),
    /// A credential id: that credential's own user.
    Credential(String),
}

impl std::fmt::Display for BotUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::User(user) => write!(f, "user {user}"),
            Self::Credential(id) => write!(f, "the user of credential {id}"),
        }
    }
}

/// The credentials that may mint for the bot's user, in the order they are tried: usable first,
/// the user's own user-level credential before the account-wide ones of their account (which
/// mint for the user by id). No mapping is involved: the meeting may be hosted by anyone. Err:
/// nobody connected is that user, or their account (a 404 saying so).
pub async fn for_user(state: &AppState, user: &BotUser, capability: Capability) -> Result<Vec<Ranked>, AppError> {
    let named = user.clone();
    let found = state
        .db
        .read_quick(move |conn| {
            let who = match &named {
                BotUser::User(user) => zoom_users::named(conn, user)?,
                BotUser::Credential(id) => credentials::find(conn, id)?.map(|c| (c.zoom_user_id, c.account_id)),
            };
            let Some((user_id, account_id)) = who else { return Ok(None) };
            let rows = credentials::for_user(conn, &user_id, &account_id)?;
            Ok(Some((user_id, rows)))
        })
        .await?;
    let Some((user_id, rows)) = found else {
        return Err(AppError::not_found(match user {
            BotUser::User(user) => format!("unknown user: nobody connected Zoom user {user:?}"),
            BotUser::Credential(_) => "no such credential".to_owned(),
        }));
    };
    if rows.is_empty() {
        return Err(AppError::not_found(format!(
            "nobody connected Zoom user {user_id}, nor an account-wide app of their account"
        )));
    }
    let candidates = rows
        .into_iter()
        .map(|(row, kind)| {
            Arc::new(Candidate {
                meeting_id: 0,
                meeting_kind: MeetingKind::Meeting,
                host_user_id: user_id.clone(),
                source: None,
                synced_at: row.updated_at,
                credential_id: row.id,
                credential_user_id: row.zoom_user_id,
                credential_account_id: row.account_id,
                status: row.status,
                status_detail: row.status_detail,
                scopes: row.scopes,
                app_id: row.app_id,
                app_kind: kind,
            })
        })
        .collect();
    Ok(rank(candidates, capability))
}

/// One line of `explain`.
#[derive(Clone, Debug, Serialize)]
pub struct Explained {
    pub credential: String,
    pub oauth_app: String,
    pub kind: AppKind,
    pub user_id: String,
    pub account_id: String,
    /// Whom the token would be for: the meeting's host, or the bot's user.
    pub host_user_id: String,
    /// How the meeting was mapped; `None` for the bot's user's credentials.
    pub source: Option<Source>,
    pub status: Health,
    pub would_use: bool,
    pub reason: String,
}

/// Why each candidate would or would not be used; `whose` names the user tokens are for
/// ("host" for a meeting's host, "user" for the bot's user).
pub fn explain(ranked: &[Ranked], whose: &str) -> Vec<Explained> {
    let mut first_usable = true;
    ranked
        .iter()
        .map(|r| {
            let reason = match &r.skip {
                Some(why) => format!("skipped: {why}"),
                None => {
                    let what = if r.own {
                        format!("the {whose}'s own credential")
                    } else {
                        format!("an account-wide credential of the {whose}'s account")
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

/// For each kind of token, who it would be for and which credential would mint it, and why.
#[derive(Debug, Serialize)]
pub struct Explanation {
    pub meeting_id: i64,
    /// The bot's user, when one was named.
    pub user: Option<String>,
    /// The join-token candidates (the first question a bot's operator asks).
    pub candidates: Vec<Explained>,
    pub tokens: Vec<KindExplained>,
}

#[derive(Debug, Serialize)]
pub struct KindExplained {
    /// `join`, `obf` or `zak`.
    pub kind: &'static str,
    /// Whom it would be minted for.
    pub minted_for: String,
    pub candidates: Vec<Explained>,
    /// Why nobody can mint it at all (an unknown user, say).
    pub refusal: Option<String>,
}

pub async fn explain_meeting(
    state: &AppState,
    meeting_id: i64,
    user: Option<&BotUser>,
) -> Result<Explanation, AppError> {
    let mut tokens = Vec::new();
    for kind in [TokenKind::Join { bypass_waiting_room: true }, TokenKind::Obf, TokenKind::Zak] {
        let by_user = user.filter(|_| kind != TokenKind::Join { bypass_waiting_room: true });
        let (minted_for, found) = match by_user {
            Some(user) => (user.to_string(), for_user(state, user, kind.capability()).await),
            None => ("the meeting's host".to_owned(), candidates(state, meeting_id, kind.capability()).await),
        };
        let whose = if by_user.is_some() { "user" } else { "host" };
        let (candidates, refusal) = match found {
            Ok(ranked) => (explain(&ranked, whose), None),
            Err(AppError::NotFound(why)) => (Vec::new(), Some(why)),
            Err(e) => return Err(e),
        };
        tokens.push(KindExplained { kind: kind.name(), minted_for, candidates, refusal });
    }
    let candidates = tokens.first().map(|t| t.candidates.clone()).unwrap_or_default();
    Ok(Explanation { meeting_id, user: user.map(ToString::to_string), candidates, tokens })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(id: &str, kind: &str, user: &str, status: &str, synced: i64) -> Candidate {
        Candidate {
            meeting_id: 1,
            meeting_kind: MeetingKind::Meeting,
            host_user_id: "host".into(),
            source: Some(Source::Sync),
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
            [
                candidate("account-old", "account_level", "admin", "healthy", 1),
                candidate("own-sick", "user_level", "host", "unhealthy", 9),
                candidate("account-new", "account_level", "admin", "healthy", 5),
                candidate("own", "user_level", "host", "healthy", 2),
                candidate("stranger", "user_level", "someone", "healthy", 8),
            ]
            .into_iter()
            .map(Arc::new)
            .collect(),
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
        let ranked = rank(vec![Arc::new(c)], Capability::JoinToken);
        assert_eq!(ranked[0].skip.as_deref(), Some("missing scope meeting:read:local_recording_token"));
    }
}
