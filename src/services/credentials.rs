//! Connected Zoom users and accounts: list, read, delete (revoking at Zoom first), and the
//! access token Recall-style customer-managed OAuth asks for.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use crate::crypto::Field;
use crate::db::models::apps::{self, AppKind};
use crate::db::models::credential_logs::Level;
use crate::db::models::credentials::{self, CredentialRow, Health, ListFilter, SyncStatus};
use crate::error::AppError;
use crate::events::{self, DeleteReason, Event};
use crate::pagination::{self, Cursor};
use crate::scopes::{self, Capability};
use crate::services::AppState;
use crate::time::{self, utc};
use crate::zoom::ClientCredentials;

/// A credential as the API shows it (Recall's shape, plus what an admin needs to act on it).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CredentialView {
    pub id: String,
    pub oauth_app: String,
    pub user_id: String,
    pub account_id: String,
    pub email: Option<String>,
    pub status: Health,
    /// Why it is unhealthy (the user must reconnect).
    pub status_detail: Option<String>,
    pub meeting_sync_status: SyncStatus,
    pub last_synced_at: Option<DateTime<Utc>>,
    pub scopes: Vec<String>,
    /// Scopes to add in Zoom's Marketplace for what this credential cannot mint yet.
    pub missing_scopes: Vec<MissingScope>,
    /// *Extension*: until when Zoom's daily limit pauses calls for the credential's account
    /// (bots get 503 until then); `null` when it does not.
    pub daily_limited_until: Option<DateTime<Utc>>,
    /// *Extension*: an admin deleted it at this time, and Zoom has not confirmed revoking the
    /// grant yet: it mints nothing, and the revoke is retried until Zoom confirms (then the
    /// credential is gone). `null` otherwise.
    pub delete_requested_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct MissingScope {
    pub capability: Capability,
    pub scope: &'static str,
}

impl CredentialView {
    pub fn new(row: &CredentialRow, kind: AppKind) -> Self {
        Self {
            id: row.id.clone(),
            oauth_app: row.app_id.clone(),
            user_id: row.zoom_user_id.clone(),
            account_id: row.account_id.clone(),
            email: row.email.clone(),
            status: row.status,
            status_detail: row.status_detail.clone(),
            meeting_sync_status: row.meeting_sync_status,
            last_synced_at: row.last_synced_at.map(utc),
            scopes: row.scope_list().into_iter().map(str::to_owned).collect(),
            missing_scopes: scopes::missing_for_minting(kind, &row.scopes)
                .into_iter()
                .map(|(capability, scope)| MissingScope { capability, scope })
                .collect(),
            daily_limited_until: None,
            delete_requested_at: row.delete_requested_at.map(utc),
            created_at: utc(row.created_at),
            updated_at: utc(row.updated_at),
        }
    }
}

pub async fn view(state: &AppState, row: &CredentialRow) -> Result<CredentialView, AppError> {
    let id = row.id.clone();
    let kind = state.db.read(move |conn| credentials::app_kind(conn, &id)).await?;
    Ok(with_daily_limit(state, CredentialView::new(row, kind)))
}

/// The daily-limit pause of the credential's account, as this process knows it.
fn with_daily_limit(state: &AppState, mut view: CredentialView) -> CredentialView {
    view.daily_limited_until = state
        .budget
        .daily_limited_for(&view.account_id)
        .and_then(|left| chrono::Duration::from_std(left).ok())
        .map(|left| Utc::now() + left);
    view
}

pub async fn get(state: &AppState, id: &str) -> Result<CredentialView, AppError> {
    let row = find(state, id).await?;
    view(state, &row).await
}

pub async fn find(state: &AppState, id: &str) -> Result<CredentialRow, AppError> {
    let id = id.to_owned();
    state
        .db
        .read(move |conn| credentials::find(conn, &id))
        .await?
        .ok_or_else(|| AppError::not_found("no such credential"))
}

pub async fn list(
    state: &AppState,
    filter: ListFilter,
    after: Option<Cursor>,
    page_size: i64,
) -> Result<(Vec<CredentialView>, Option<Cursor>), AppError> {
    let rows = state
        .db
        .read(move |conn| credentials::list(conn, &filter, after.map(Cursor::after_time), page_size + 1))
        .await?;
    Ok(pagination::split_page(rows, page_size, |(row, kind)| {
        (with_daily_limit(state, CredentialView::new(row, *kind)), Cursor::new(row.created_at, &row.id))
    }))
}

/// The `status` filter of a list, as an admin typed it.
pub fn parse_status(text: &str) -> Result<Health, AppError> {
    Health::parse(text).ok_or_else(|| AppError::bad_request("invalid_query", "`status` must be healthy or unhealthy"))
}

/// How a deletion ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deletion {
    /// Revoked at Zoom (or nothing left to revoke there) and deleted.
    Done,
    /// Zoom could not be reached to revoke the grant: the credential mints nothing from now on
    /// and is deleted once a retried revoke succeeds. Says why.
    RevokePending(String),
}

/// Revokes the credential at Zoom, then deletes it with its mappings and log. While Zoom cannot
/// be reached the grant would stay active there, so the credential is kept, unable to mint,
/// and the revoke retried ([`retry_pending_deletes`]) until Zoom confirms.
pub async fn delete(state: &AppState, id: &str) -> Result<Deletion, AppError> {
    let row = find(state, id).await?;
    // The admin's request is noted (and the endpoints told) before Zoom is asked: whichever
    // path then removes the row (below, the revoke retry, Zoom's `app_deauthorized` answering
    // the revoke) reports nothing more. A second request for the same credential is no news.
    let noted = row.id.clone();
    state
        .db
        .write(move |conn| {
            if credentials::note_delete_requested(conn, &noted, time::now())? == 1
                && let Some(row) = credentials::find(conn, &noted)?
            {
                events::record(conn, &Event::Deleted { credential: &row, reason: DeleteReason::Admin })?;
            }
            diesel::QueryResult::Ok(())
        })
        .await?;
    if let Err(e) = revoke(state, &row).await {
        let detail = format!(
            "deleted by an admin; revoking the grant at Zoom failed for now ({e}) and is retried until Zoom confirms"
        );
        let (credential, shown) = (row.id.clone(), detail.clone());
        state.db.write(move |conn| credentials::request_delete(conn, &credential, &shown, time::now())).await?;
        state.tokens.forget(&row.id);
        state.log.warning(&row.id, detail.clone());
        tracing::warn!(credential = %row.id, error = %e, "revoking at Zoom failed; the credential is kept, unusable, until a retry succeeds");
        return Ok(Deletion::RevokePending(detail));
    }
    // Zoom answers a revoke with an `app_deauthorized` event, whose webhook may delete the
    // credential before we do: gone is what was asked for.
    match remove(state, &row.id).await {
        Err(AppError::NotFound(_)) | Ok(()) => Ok(Deletion::Done),
        Err(other) => Err(other),
    }
}

/// Retries the revokes that failed when admins deleted credentials, with backoff per
/// credential (`attempts` remembers them in this process); a confirmed one deletes the
/// credential. Returns how many went.
pub async fn retry_pending_deletes(state: &AppState, attempts: &mut HashMap<String, (u32, Instant)>) -> usize {
    let pending = match state.db.read(|conn| credentials::pending_deletes(conn, 100)).await {
        Ok(rows) => rows,
        Err(e) => {
            tracing::warn!(error = %e, "could not read the pending revokes; will retry");
            return 0;
        }
    };
    let mut done = 0;
    for row in pending {
        let (tries, next) = attempts.get(&row.id).copied().unwrap_or((0, Instant::now()));
        if Instant::now() < next {
            continue;
        }
        match revoke(state, &row).await {
            Ok(()) => {
                attempts.remove(&row.id);
                // Its `credential.deleted` went out when the admin asked.
                if remove(state, &row.id).await.is_ok() {
                    state.log.info(&row.id, "Zoom confirmed the revoke; credential deleted");
                    done += 1;
                }
            }
            Err(e) => {
                let wait = REVOKE_RETRY_FIRST.saturating_mul(2u32.saturating_pow(tries)).min(REVOKE_RETRY_MOST);
                attempts.insert(row.id.clone(), (tries + 1, Instant::now() + wait));
                tracing::debug!(credential = %row.id, error = %e, seconds = wait.as_secs(), "revoke still failing");
            }
        }
    }
    done
}

/// Runs [`retry_pending_deletes`] until the process ends.
pub async fn run_pending_deletes(state: AppState) {
    let mut attempts = HashMap::new();
    let mut tick = tokio::time::interval(REVOKE_RETRY_FIRST);
    loop {
        tick.tick().await;
        let done = retry_pending_deletes(&state, &mut attempts).await;
        if done > 0 {
            tracing::info!(deleted = done, "credentials deleted once Zoom confirmed their revoke");
        }
    }
}

/// The first retry of a failed revoke comes after this, each later one after twice as long,
/// at most [`REVOKE_RETRY_MOST`].
const REVOKE_RETRY_FIRST: Duration = Duration::from_secs(2);
const REVOKE_RETRY_MOST: Duration = Duration::from_secs(600);

/// Deletes a credential an admin asked to delete, once Zoom revoked it (its
/// `credential.deleted` went out when the admin asked).
async fn remove(state: &AppState, id: &str) -> Result<(), AppError> {
    let id = id.to_owned();
    let deleted = state.db.write({
        let id = id.clone();
        move |conn| credentials::delete(conn, &id)
    });
    if deleted.await? == 0 {
        return Err(AppError::not_found("no such credential"));
    }
    state.tokens.forget(&id);
    tracing::info!(credential = %id, "credential deleted");
    Ok(())
}

async fn revoke(state: &AppState, row: &CredentialRow) -> Result<(), AppError> {
    let app_id = row.app_id.clone();
    let app = state
        .db
        .read(move |conn| apps::find(conn, &app_id))
        .await?
        .ok_or_else(|| AppError::not_found("no such app"))?;
    let cipher = &state.settings.secrets.cipher;
    let client_secret = cipher.open(Field::AppClientSecret, &app.id, &app.client_secret)?;
    let client = ClientCredentials { client_id: &app.client_id, client_secret: &client_secret };
    // Revoking either token ends the authorization; prefer the access token, as Zoom documents.
    let tokens: Vec<SecretString> = [
        row.access_token.as_ref().map(|t| cipher.open(Field::CredentialAccessToken, &row.id, t)),
        row.refresh_token.as_ref().map(|t| cipher.open(Field::CredentialRefreshToken, &row.id, t)),
    ]
    .into_iter()
    .flatten()
    .collect::<Result<_, _>>()?;
    let mut last = None;
    for token in &tokens {
        match state.zoom.on(app.cloud).revoke(&client, token).await {
            Ok(()) => return Ok(()),
            Err(e) => last = Some(e),
        }
    }
    match last {
        // Zoom answered, and refused the token: none of ours is valid there any more, so there
        // is no grant left to revoke. (A refused client secret is the app's fault: the grant
        // stands, and the revoke waits for the secret to be fixed.)
        Some(e) if !e.is_transient() && !e.is_client_rejected() => {
            tracing::info!(credential = %row.id, error = %e.summary(), "Zoom holds no valid token of the credential to revoke");
            Ok(())
        }
        Some(e) => Err(AppError::Unavailable(format!("Zoom did not revoke the token: {}", e.summary()))),
        None => Ok(()),
    }
}

/// An access token valid for at least two more minutes (customer-managed OAuth, as Recall asks).
#[derive(Serialize, utoipa::ToSchema)]
pub struct AccessTokenView {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

pub async fn access_token(state: &AppState, id: &str) -> Result<AccessTokenView, AppError> {
    let token = state.tokens.get_to_hand_out(id).await?;
    state.log.info(id, "access token handed out through the admin API");
    Ok(AccessTokenView { token: token.token.expose_secret().to_owned(), expires_at: token.expires_at })
}

/// One line of a credential's log.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct LogView {
    pub id: i64,
    pub level: Level,
    pub message: String,
    pub created_at: DateTime<Utc>,
}

/// A credential's log, newest first.
pub async fn logs(
    state: &AppState,
    id: &str,
    after: Option<Cursor>,
    page_size: i64,
) -> Result<(Vec<LogView>, Option<Cursor>), AppError> {
    find(state, id).await?;
    let id = id.to_owned();
    let rows = state
        .db
        .read(move |conn| crate::db::models::credential_logs::page(conn, &id, after.map(|c| c.key), page_size + 1))
        .await?;
    Ok(pagination::split_page(rows, page_size, |row| {
        let view =
            LogView { id: row.id, level: row.level, message: row.message.clone(), created_at: utc(row.created_at) };
        (view, Cursor::number(row.id, ""))
    }))
}

/// The latest backfill's figures.
#[derive(Clone, Debug, Serialize)]
pub struct SyncRunView {
    pub status: SyncStatus,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub figures: crate::db::models::sync_runs::Figures,
    pub error: Option<String>,
}

/// Everything an admin looks at to understand one credential (the console's card).
pub struct Details {
    pub credential: CredentialView,
    pub last_run: Option<SyncRunView>,
    pub mappings: i64,
    pub logs: Vec<LogView>,
}

pub async fn details(state: &AppState, view: CredentialView, log_lines: i64) -> Result<Details, AppError> {
    let id = view.id.clone();
    let (run, mappings, logs) = state
        .db
        .read(move |conn| {
            let run = crate::db::models::sync_runs::recent(conn, &id, 1)?.into_iter().next();
            let mappings = crate::db::models::mappings::count_for_credential(conn, &id)?;
            let logs = crate::db::models::credential_logs::page(conn, &id, None, log_lines)?;
            Ok((run, mappings, logs))
        })
        .await?;
    Ok(Details {
        last_run: run.map(|r| SyncRunView {
            status: r.status,
            started_at: utc(r.started_at),
            finished_at: r.finished_at.map(utc),
            figures: crate::db::models::sync_runs::Figures {
                pages: r.pages,
                users_seen: r.users_seen,
                meetings_seen: r.meetings_seen,
                added: r.added,
                removed: r.removed,
            },
            error: r.error,
        }),
        mappings,
        logs: logs
            .into_iter()
            .map(|l| LogView { id: l.id, level: l.level, message: l.message, created_at: utc(l.created_at) })
            .collect(),
        credential: view,
    })
}
