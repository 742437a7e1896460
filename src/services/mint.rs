//! Minting the token a bot asked for, just in time, with the best credential that can.
//!
//! Each request mints afresh (join tokens are single-use and live 120 s). Candidates are tried
//! in `resolve` order; a Zoom refusal that another credential could avoid moves on to the next
//! one, a transient failure is retried within the deadline, and waiting for the account's rate
//! budget is bounded by `tokens.max_queue_seconds`. Every outcome goes to the credential's log,
//! never the token.

use std::time::{Duration, Instant};

use secrecy::SecretString;

use super::access::AccessError;
use super::budget::Category;
use super::resolve::{self, BotUser, Ranked};
use super::zoom_call::{CallError, Caller, Deadlines};
use crate::db::models::apps::AppKind;
use crate::db::models::mappings::MeetingKind;
use crate::error::AppError;
use crate::meeting_ref::MeetingRef;
use crate::metrics::TokenKindLabel;
use crate::scopes::Capability;
use crate::services::AppState;
use crate::zoom::{ZoomClient, ZoomError};

/// When Zoom fails or hangs, a bot has its answer within this (docs/http.md: 15 s).
pub const ZOOM_DEADLINE: Duration = Duration::from_secs(14);
/// What a 503 asks the bot to wait when nothing better is known.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(5);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// A join token for local recording.
    Join { bypass_waiting_room: bool },
    /// An on-behalf-of token for the meeting.
    Obf,
    /// A ZAK.
    Zak,
}

impl TokenKind {
    pub fn capability(self) -> Capability {
        match self {
            Self::Join { .. } => Capability::JoinToken,
            Self::Obf => Capability::ObfToken,
            Self::Zak => Capability::Zak,
        }
    }

    /// For people: credential logs, refusals.
    pub fn label(self) -> &'static str {
        self.names().1
    }

    /// For machines: the `kind` label of the token metrics.
    pub fn name(self) -> &'static str {
        self.metric().as_str()
    }

    pub fn metric(self) -> TokenKindLabel {
        self.names().0
    }

    /// The one list of the names of each kind.
    fn names(self) -> (TokenKindLabel, &'static str) {
        match self {
            Self::Join { .. } => (TokenKindLabel::Join, "join token"),
            Self::Obf => (TokenKindLabel::Obf, "OBF token"),
            Self::Zak => (TokenKindLabel::Zak, "ZAK"),
        }
    }
}

/// Whom the token is for.
#[derive(Clone, Debug)]
pub enum Target {
    /// The meeting's host: minted by the host's own credential, else by the host's account's.
    Meeting(MeetingRef),
    /// The bot's user (who sent it, usually not the host): minted by their own credential, else
    /// by their account's, for a meeting (OBF; a ZAK may name one too) or none (ZAK).
    BotUser { user: BotUser, meeting: Option<MeetingRef> },
}

#[derive(Debug, thiserror::Error)]
pub enum MintError {
    /// No credential can mint (none mapped, all unhealthy, Zoom refused): 404.
    #[error("{0}")]
    NotFound(String),
    /// Try again later (Zoom down or rate-limited past our budget, database down): 503.
    #[error("{detail}")]
    Unavailable { detail: String, retry_after: Duration },
}

impl From<crate::db::DbError> for MintError {
    fn from(error: crate::db::DbError) -> Self {
        AppError::from(error).into()
    }
}

impl From<AppError> for MintError {
    fn from(error: AppError) -> Self {
        match error {
            AppError::NotFound(detail) => Self::NotFound(detail),
            AppError::Unavailable(detail) => Self::Unavailable { detail, retry_after: DEFAULT_RETRY_AFTER },
            other => {
                tracing::error!(error = %other, "minting failed unexpectedly");
                Self::Unavailable { detail: "internal error".into(), retry_after: DEFAULT_RETRY_AFTER }
            }
        }
    }
}

/// How one candidate's attempt ended, when it did not produce a token.
enum Failure {
    /// This credential cannot mint here; the next one might.
    Refused(String),
    /// Zoom (or the database) failed in a way that may pass.
    Transient(String),
    /// The account must wait this long: its rate budget has no turn before the queue deadline,
    /// or Zoom's daily limit pauses it. No other credential of the account would fare better.
    Wait { why: &'static str, retry_after: Duration },
}

impl Failure {
    /// How an access token that could not be had ends this credential's attempt.
    fn of_access(error: AccessError) -> Self {
        match error {
            AccessError::NotFound => Self::Refused("the credential was deleted".into()),
            AccessError::Unhealthy(detail) => Self::Refused(format!("unhealthy: {detail}")),
            AccessError::AppRefused(detail) => Self::Refused(detail),
            AccessError::Transient(detail) => Self::Transient(detail),
            AccessError::Internal(e) => {
                tracing::error!(error = %e, "access token failure");
                Self::Transient("internal error".into())
            }
        }
    }
}

pub async fn mint(state: &AppState, kind: TokenKind, target: Target) -> Result<SecretString, MintError> {
    let deadlines =
        Deadlines { zoom: Instant::now() + ZOOM_DEADLINE, queue: Instant::now() + state.settings.token_max_queue };
    let (meeting_id, ranked) = match &target {
        Target::Meeting(meeting) => {
            let id = resolve::meeting_id(state, meeting)
                .await?
                .ok_or_else(|| MintError::NotFound("no known user has that personal link".into()))?;
            let mut ranked = resolve::candidates(state, id, kind.capability()).await?;
            // Nobody mapped it: an account-wide credential may still see it at Zoom.
            if ranked.is_empty() && super::lookup::find(state, id, meeting.likely_kind()).await? {
                ranked = resolve::candidates(state, id, kind.capability()).await?;
            }
            (Some(id), ranked)
        }
        Target::BotUser { user, meeting } => {
            let id = match meeting {
                Some(meeting) => Some(
                    resolve::meeting_id(state, meeting)
                        .await?
                        .ok_or_else(|| MintError::NotFound("no known user has that personal link".into()))?,
                ),
                None => None,
            };
            if id.is_none() && kind != TokenKind::Zak {
                return Err(MintError::NotFound(format!("a meeting is needed for an {}", kind.label())));
            }
            (id, resolve::for_user(state, user, kind.capability()).await?)
        }
    };
    if ranked.is_empty() {
        return Err(MintError::NotFound("no connected credential hosts this meeting".into()));
    }
    let mut refusals = Vec::new();
    let mut transient = None;
    let mut what = match meeting_id {
        Some(id) => format!("{} for meeting {id}", kind.label()),
        None => kind.label().to_owned(),
    };
    if let Target::BotUser { user, .. } = &target {
        what = format!("{what} for {user}");
    }
    for candidate in &ranked {
        let credential = &candidate.candidate.credential_id;
        if let Some(why) = &candidate.skip {
            // A refusal is told where an admin looks: the credential's log, and the answer.
            state.log.warning(credential, format!("could not mint {what}: {why}"));
            refusals.push(why.clone());
            continue;
        }
        match attempt(state, candidate, kind, meeting_id, deadlines).await {
            Ok(token) => {
                state.log.info(credential, format!("minted {what}"));
                return Ok(token);
            }
            Err(Failure::Refused(why)) => {
                state.log.warning(credential, format!("could not mint {what}: {why}"));
                refusals.push(why);
            }
            Err(Failure::Transient(why)) => {
                state.log.warning(credential, format!("could not mint {what} for now: {why}"));
                transient = Some(why);
            }
            Err(Failure::Wait { why, retry_after }) => {
                state.log.warning(credential, format!("could not mint {what}: {why}"));
                return Err(MintError::Unavailable {
                    detail: format!("{why}; retry after Retry-After"),
                    retry_after: retry_after.max(Duration::from_secs(1)),
                });
            }
        }
    }
    match transient {
        Some(why) => Err(MintError::Unavailable { detail: why, retry_after: DEFAULT_RETRY_AFTER }),
        None => Err(MintError::NotFound(format!("no credential could mint: {}", refusals.join("; ")))),
    }
}

async fn attempt(
    state: &AppState,
    ranked: &Ranked,
    kind: TokenKind,
    meeting_id: Option<i64>,
    deadlines: Deadlines,
) -> Result<SecretString, Failure> {
    let candidate = &ranked.candidate;
    // Who the token is for: a user-level credential's own user (`me`), or, for an account-wide
    // credential, the meeting's host or the bot's user, by id.
    let user = if ranked.kind == AppKind::UserLevel || candidate.host_user_id.is_empty() {
        "me"
    } else {
        candidate.host_user_id.as_str()
    };
    let zak_from_me =
        kind == TokenKind::Zak && user == "me" && crate::scopes::zak_from_me_only(ranked.kind, &candidate.scopes);
    let meeting = meeting_id.map(|id| (id, candidate.meeting_kind));
    let caller = Caller::new(state, &candidate.credential_id, &candidate.credential_account_id);
    caller
        .call_until(Category::Light, deadlines, |zoom, access| call(zoom, access, kind, meeting, user, zak_from_me))
        .await
        .map_err(|error| match error {
            CallError::OverBudget(wait) => {
                Failure::Wait { why: "the Zoom account's rate budget is full", retry_after: wait }
            }
            CallError::DailyLimit(left) => {
                Failure::Wait { why: "the Zoom account reached its daily limit for these calls", retry_after: left }
            }
            CallError::Access(error) => Failure::of_access(error),
            e if e.is_transient() => Failure::Transient(e.summary()),
            e => Failure::Refused(e.summary()),
        })
}

/// One mint call. `meeting` is the meeting's id and, from its mapping, whether it is a webinar
/// (whose join token has its own endpoint).
async fn call(
    zoom: &ZoomClient,
    access: SecretString,
    kind: TokenKind,
    meeting: Option<(i64, MeetingKind)>,
    user: &str,
    zak_from_me: bool,
) -> Result<SecretString, ZoomError> {
    let minted = match (kind, meeting) {
        (TokenKind::Join { bypass_waiting_room }, Some((id, meeting_kind))) => {
            zoom.join_token(&access, meeting_kind, id, bypass_waiting_room).await
        }
        (TokenKind::Obf, Some((id, _))) => zoom.obf_token(&access, user, id).await,
        (TokenKind::Zak, _) if zak_from_me => zoom.my_zak(&access).await,
        (TokenKind::Zak, _) => zoom.zak(&access, user).await,
        (_, None) => return Err(ZoomError::Decode("a meeting is required for this token".into())),
    };
    minted.map(|m| m.token)
}

/// `/zoom/access-token` answers within this (what Recall's customer-managed OAuth asks).
pub const ACCESS_TOKEN_DEADLINE: Duration = Duration::from_secs(5);

/// A credential's own Zoom access token, for Recall's customer-managed OAuth: the named
/// credential's, or the named user's own (user-level) credential's, never an account-wide
/// token for a user (that would hand out the whole account). It has at least five minutes to
/// live (`access`), more than the 120 s asked for.
pub async fn access_token(state: &AppState, user: &BotUser) -> Result<SecretString, MintError> {
    let ranked = resolve::for_user(state, user, crate::scopes::Capability::ReadUser).await?;
    let mine = |r: &&Ranked| match user {
        BotUser::Credential(id) => r.candidate.credential_id == *id,
        BotUser::User(_) => r.own,
    };
    let mut refusals = Vec::new();
    for candidate in ranked.iter().filter(mine) {
        let id = &candidate.candidate.credential_id;
        if candidate.candidate.status != crate::db::models::credentials::Health::Healthy {
            refusals.push(format!(
                "unhealthy: {}",
                candidate.candidate.status_detail.as_deref().unwrap_or("reconnect needed")
            ));
            continue;
        }
        let tokens = std::sync::Arc::clone(&state.tokens);
        let got = tokio::time::timeout(ACCESS_TOKEN_DEADLINE, tokens.get_to_hand_out(id)).await;
        match got {
            Ok(Ok(token)) => {
                state.log.info(id, "handed its access token to a bot (/zoom/access-token)");
                return Ok(token.token);
            }
            Ok(Err(error)) => match Failure::of_access(error) {
                Failure::Refused(why) => refusals.push(why),
                Failure::Transient(detail) => {
                    return Err(MintError::Unavailable { detail, retry_after: DEFAULT_RETRY_AFTER });
                }
                Failure::Wait { why, retry_after } => {
                    return Err(MintError::Unavailable { detail: why.into(), retry_after });
                }
            },
            Err(_) => {
                return Err(MintError::Unavailable {
                    detail: "refreshing the credential's Zoom token took too long".into(),
                    retry_after: DEFAULT_RETRY_AFTER,
                });
            }
        }
    }
    if refusals.is_empty() {
        return Err(MintError::NotFound(format!("{user} has no credential of their own")));
    }
    Err(MintError::NotFound(format!("no access token for {user}: {}", refusals.join("; "))))
}
