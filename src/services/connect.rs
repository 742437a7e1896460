//! Connecting a Zoom user or account: the OAuth flow (state and PKCE kept in the database, so
//! any replica can finish what another started), the code exchange for apps that run their own
//! OAuth front end, and server-to-server apps, which connect without a user. Every way in ends
//! in [`store`], which also serves an imported refresh token (`services::import`).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Duration as ChronoDuration;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use rand::RngCore as _;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use super::credentials::{CredentialView, view};
use crate::crypto::Field;
use crate::db::models::apps::{self, AppKind, AppRow};
use crate::db::models::credentials::{self, Health, NewCredential, Reconnect, SyncStatus};
use crate::db::models::mappings::{self, MappingRow, MeetingKind, Source};
use crate::db::models::zoom_users;
use crate::error::AppError;
use crate::events::{self, Event};
use crate::scopes;
use crate::services::AppState;
use crate::time;
use crate::urls;
use crate::zoom::retry::with_retries;
use crate::zoom::types::{TokenResponse, User};
use crate::zoom::{ClientCredentials, ZoomError};

/// How long reading the connected user may take, retries included.
const ME_BUDGET: std::time::Duration = std::time::Duration::from_secs(10);

/// How long a user has to finish Zoom's consent screen.
const STATE_LIFETIME_MINUTES: i64 = 10;

pub struct Connected {
    pub credential: CredentialView,
    /// False when an existing credential (same user, or same account) was reconnected.
    pub created: bool,
}

fn random_url_safe(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

pub(super) async fn find_app(state: &AppState, app_id: &str) -> Result<AppRow, AppError> {
    let id = app_id.to_owned();
    state.db.read(move |conn| apps::find(conn, &id)).await?.ok_or_else(|| AppError::not_found("no such app"))
}

/// What an OAuth flow in progress must remember until Zoom redirects back: carried, sealed, in
/// the `state` parameter itself, so that starting a flow stores nothing (a stranger cannot grow
/// a table by following connect links).
#[derive(serde::Serialize, serde::Deserialize)]
struct Flow {
    app: String,
    /// Unix seconds after which the state is refused.
    expires: i64,
    /// The PKCE verifier whose challenge went to Zoom.
    verifier: String,
}

/// What the sealed flow is bound to: a state can be opened as nothing else.
const FLOW_CONTEXT: &str = "zoomsync OAuth flow state v1";

fn seal_flow(state: &AppState, flow: &Flow) -> Result<String, AppError> {
    let plain = serde_json::to_string(flow).map_err(|e| AppError::Internal(e.into()))?;
    Ok(URL_SAFE_NO_PAD.encode(state.settings.secrets.cipher.encrypt(FLOW_CONTEXT, &plain)?))
}

/// The flow a `state` carries, if it is one we sealed and it has not expired.
fn open_flow(state: &AppState, sealed: &str) -> Option<Flow> {
    let blob = URL_SAFE_NO_PAD.decode(sealed.trim()).ok()?;
    let plain = state.settings.secrets.cipher.decrypt(FLOW_CONTEXT, &blob).ok()?;
    let flow: Flow = serde_json::from_str(plain.expose_secret()).ok()?;
    (flow.expires > chrono::Utc::now().timestamp()).then_some(flow)
}

/// Begins the OAuth flow: seals the app and a fresh PKCE verifier into the state (expiring in
/// [`STATE_LIFETIME_MINUTES`]) and returns the Zoom authorize URL to send the browser to.
pub async fn start(state: &AppState, app_id: &str) -> Result<String, AppError> {
    let app = find_app(state, app_id).await?;
    if app.kind == AppKind::ServerToServer {
        return Err(AppError::bad_request("invalid_app", "server-to-server apps connect without a user flow"));
    }
    let verifier = random_url_safe(48);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let expires = (time::now() + ChronoDuration::minutes(STATE_LIFETIME_MINUTES)).and_utc().timestamp();
    let flow_state = seal_flow(state, &Flow { app: app.id.clone(), expires, verifier })?;
    let mut url = url::Url::parse(&format!("{}/oauth/authorize", state.zoom.on(app.cloud).oauth_base_url()))
        .map_err(|e| AppError::Internal(e.into()))?;
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &app.client_id)
        .append_pair("redirect_uri", &urls::oauth_redirect_uri(&state.settings.public_url))
        .append_pair("state", &flow_state)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    Ok(url.into())
}

/// Finishes the OAuth flow Zoom redirected back from. A state we did not seal, or one that
/// expired, is refused and nothing is stored. (A used state carries a used code, which Zoom
/// refuses: codes are single-use.)
pub async fn callback(state: &AppState, code: &str, flow_state: &str) -> Result<Connected, AppError> {
    let flow = open_flow(state, flow_state)
        .ok_or_else(|| AppError::bad_request("invalid_state", "the OAuth state is unknown or expired"))?;
    let app = find_app(state, &flow.app).await?;
    let redirect_uri = urls::oauth_redirect_uri(&state.settings.public_url);
    exchange(state, &app, code, &redirect_uri, Some(&flow.verifier)).await
}

/// The Recall-shaped `POST /api/v2/zoom-oauth-credentials/`: the caller ran the OAuth flow and
/// hands us the code.
pub async fn from_code(
    state: &AppState,
    app_id: &str,
    code: &str,
    redirect_uri: &str,
    code_verifier: Option<&str>,
) -> Result<Connected, AppError> {
    let app = find_app(state, app_id).await?;
    if app.kind == AppKind::ServerToServer {
        return Err(AppError::bad_request(
            "invalid_app",
            "server-to-server apps take no authorization code; post {\"oauth_app\": id} alone",
        ));
    }
    exchange(state, &app, code, redirect_uri, code_verifier).await
}

/// Exchanges the code on its own task: a browser or client that goes away must not cancel it
/// between Zoom's answer and our storing the refresh token only that answer holds.
async fn exchange(
    state: &AppState,
    app: &AppRow,
    code: &str,
    redirect_uri: &str,
    code_verifier: Option<&str>,
) -> Result<Connected, AppError> {
    let (state, app) = (state.clone(), app.clone());
    let (code, redirect_uri, code_verifier) =
        (code.to_owned(), redirect_uri.to_owned(), code_verifier.map(str::to_owned));
    let tokens = state.tokens.clone();
    tokens
        .detached(async move { exchange_now(&state, &app, &code, &redirect_uri, code_verifier.as_deref()).await })
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("code exchange task failed: {e}")))?
}

async fn exchange_now(
    state: &AppState,
    app: &AppRow,
    code: &str,
    redirect_uri: &str,
    code_verifier: Option<&str>,
) -> Result<Connected, AppError> {
    // A graceful stop waits for the exchange to store the tokens only its answer holds.
    let Some(_rotation) = state.tokens.rotation() else {
        return Err(AppError::Unavailable("zoomsync is stopping; connect again shortly".into()));
    };
    let client_secret = state.settings.secrets.cipher.open(Field::AppClientSecret, &app.id, &app.client_secret)?;
    let client = ClientCredentials { client_id: &app.client_id, client_secret: &client_secret };
    let tokens = state
        .zoom
        .on(app.cloud)
        .exchange_code(&client, code, redirect_uri, code_verifier)
        .await
        .map_err(|e| zoom_refusal("Zoom refused the authorization code", e))?;
    store(state, app, tokens, Via::Connect).await
}

/// Connects a server-to-server app's account: an `account_credentials` token, no user flow.
pub async fn server_to_server(state: &AppState, app_id: &str) -> Result<Connected, AppError> {
    let app = find_app(state, app_id).await?;
    let Some(account_id) = app.account_id.clone().filter(|_| app.kind == AppKind::ServerToServer) else {
        return Err(AppError::bad_request(
            "invalid_app",
            "only server-to-server apps connect without an authorization code",
        ));
    };
    let client_secret = state.settings.secrets.cipher.open(Field::AppClientSecret, &app.id, &app.client_secret)?;
    let client = ClientCredentials { client_id: &app.client_id, client_secret: &client_secret };
    let tokens = state
        .zoom
        .on(app.cloud)
        .account_credentials(&client, &account_id)
        .await
        .map_err(|e| zoom_refusal("Zoom refused the app's client credentials", e))?;
    store(state, &app, tokens, Via::Connect).await
}

fn zoom_refusal(what: &str, error: ZoomError) -> AppError {
    if error.is_transient() {
        AppError::Unavailable(format!("Zoom is unavailable: {}", error.summary()))
    } else {
        AppError::bad_request("zoom_refused", format!("{what}: {}", error.summary()))
    }
}

/// How the tokens [`store`] is given were obtained: it words the credential log, and what a
/// failure before the commit means for the caller.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Via {
    /// A code exchange or server-to-server grant: the caller may simply try again.
    Connect,
    /// A refresh with an imported refresh token: Zoom has rotated it, so the token the caller
    /// gave us is spent, and a failure before the commit loses the grant.
    Import,
}

impl Via {
    fn before_commit(self, error: AppError) -> AppError {
        const SPENT: &str = "; Zoom had already rotated the imported refresh token, so it no longer works and the \
                             Zoom user must connect again";
        match (self, error) {
            (Self::Connect, error) => error,
            (Self::Import, AppError::BadRequest { code, detail }) => {
                AppError::BadRequest { code, detail: detail + SPENT }
            }
            (Self::Import, AppError::Unavailable(detail)) => AppError::Unavailable(detail + SPENT),
            (Self::Import, AppError::Conflict(detail)) => AppError::Conflict(detail + SPENT),
            (Self::Import, other) => other,
        }
    }
}

/// Reads who the tokens belong to and stores (or updates) the credential: the one way a token
/// response becomes a credential, whether from a code, a server-to-server grant or an import.
pub(super) async fn store(
    state: &AppState,
    app: &AppRow,
    tokens: TokenResponse,
    via: Via,
) -> Result<Connected, AppError> {
    let (row, created) = commit(state, app, tokens).await.map_err(|e| via.before_commit(e))?;

    state.tokens.forget(&row.id);
    let who = row.email.clone().unwrap_or_else(|| row.zoom_user_id.clone());
    state.log.info(
        &row.id,
        match (via, created) {
            (Via::Connect, true) => format!("connected {who}"),
            (Via::Connect, false) => format!("reconnected {who}"),
            (Via::Import, true) => format!("imported {who} from a refresh token (zoomsync now rotates it)"),
            (Via::Import, false) => format!("reconnected {who} by importing a refresh token"),
        },
    );
    for (capability, scope) in scopes::missing_for_minting(app.kind, &row.scopes) {
        state
            .log
            .warning(&row.id, format!("missing scope {scope}: cannot mint {capability:?} tokens until it is added"));
    }
    tracing::info!(credential = %row.id, app = %row.app_id, created, imported = via == Via::Import, "credential connected");
    // A new or reconnected credential is backfilled at once.
    state.backfills.request(&row.id);
    Ok(Connected { credential: view(state, &row).await?, created })
}

/// Everything up to and including the commit of the tokens: whatever fails here, they are lost.
async fn commit(
    state: &AppState,
    app: &AppRow,
    tokens: TokenResponse,
) -> Result<(credentials::CredentialRow, bool), AppError> {
    let kind = app.kind;
    // A GET, safe to repeat: a blip here must not cost tokens that exist nowhere else yet.
    let me = with_retries(ME_BUDGET, || state.zoom.on(app.cloud).me(&tokens.access_token)).await;
    let user = match me {
        Ok(user) => Some(user),
        // A server-to-server token need not have a `me`; it acts for its account.
        Err(e) if kind == AppKind::ServerToServer && !e.is_transient() => None,
        Err(e) => return Err(zoom_refusal("reading the connected user (GET /users/me) failed", e)),
    };
    let account_id = match (&user, &app.account_id) {
        (Some(User { account_id: Some(account), .. }), _) => account.clone(),
        (_, Some(account)) if kind == AppKind::ServerToServer => account.clone(),
        _ => return Err(AppError::bad_request("zoom_refused", "Zoom did not say which account the user belongs to")),
    };
    let user_id = user.as_ref().map(|u| u.id.clone()).unwrap_or_default();
    let subject = if kind.is_account_wide() { account_id.clone() } else { user_id.clone() };
    if subject.is_empty() {
        return Err(AppError::bad_request("zoom_refused", "Zoom did not say who the token belongs to"));
    }
    let email = user.as_ref().and_then(|u| u.email.clone());
    let pmi = user.as_ref().and_then(|u| u.pmi);
    let vanity = user.as_ref().and_then(User::vanity_name);
    let scopes = tokens.scope.split_whitespace().collect::<Vec<_>>().join(" ");
    let expires_at = time::now() + ChronoDuration::seconds(tokens.expires_in.max(0));
    let cipher = state.settings.secrets.cipher.clone();
    let app_id = app.id.clone();
    let access = tokens.access_token;
    let refresh: Option<SecretString> = tokens.refresh_token;

    // The code (or the imported refresh token) is spent at Zoom: these tokens exist only here
    // now. A busy database (a lock, a deadlock with the backfill of a connection a moment ago)
    // is waited for, bounded.
    let write = move |conn: &mut crate::db::AnyConnection| {
        let now = time::now();
        let existing = credentials::find_by_subject(conn, &app_id, &subject)?;
        let id = existing.as_ref().map(|c| c.id.clone()).unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let access = cipher.seal(Field::CredentialAccessToken, &id, access.expose_secret())?;
        let refresh =
            refresh.map(|r| cipher.seal(Field::CredentialRefreshToken, &id, r.expose_secret())).transpose()?;
        match &existing {
            Some(_) => {
                credentials::reconnect(
                    conn,
                    &id,
                    &Reconnect {
                        zoom_user_id: &user_id,
                        account_id: &account_id,
                        email: email.as_deref(),
                        scopes: &scopes,
                        refresh_token: refresh.as_deref(),
                        access_token: Some(&access),
                        access_token_expires_at: Some(expires_at),
                        status: Health::Healthy,
                        status_detail: None,
                        last_refreshed_at: Some(now),
                        pmi,
                        vanity_name: vanity.as_deref(),
                        updated_at: now,
                        refresh_lease_owner: None,
                        refresh_lease_until: None,
                        connected_at: Some(now),
                        delete_requested_at: None,
                    },
                )?;
            }
            None => credentials::insert(
                conn,
                &NewCredential {
                    id: &id,
                    app_id: &app_id,
                    subject: &subject,
                    zoom_user_id: &user_id,
                    account_id: &account_id,
                    email: email.as_deref(),
                    scopes: &scopes,
                    refresh_token: refresh.as_deref(),
                    access_token: Some(&access),
                    access_token_expires_at: Some(expires_at),
                    status: Health::Healthy,
                    status_detail: None,
                    meeting_sync_status: SyncStatus::NotStarted,
                    last_refreshed_at: Some(now),
                    pmi,
                    vanity_name: vanity.as_deref(),
                    version: 0,
                    created_at: now,
                    updated_at: now,
                    connected_at: Some(now),
                },
            )
            .map_err(|e| match e {
                DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                    AppError::Conflict("this Zoom account was connected at the same moment; retry".into())
                }
                other => other.into(),
            })?,
        }
        if !user_id.is_empty() {
            zoom_users::upsert_from_api(conn, &user_id, &account_id, email.as_deref(), pmi, vanity.as_deref(), now)?;
            // The user's PMI, to every credential that can mint for it (this one, and the
            // account-wide credentials of the user's account).
            if let Some(pmi) = pmi {
                for credential_id in credentials::able_to_mint_for(conn, &user_id, &account_id)? {
                    mappings::upsert(
                        conn,
                        &MappingRow {
                            meeting_id: pmi,
                            credential_id,
                            host_user_id: user_id.clone(),
                            source: Source::Pmi,
                            synced_at: now,
                            event_ts: None,
                            kind: MeetingKind::Meeting,
                        },
                    )?;
                }
            }
        }
        let row =
            credentials::find(conn, &id)?.ok_or_else(|| AppError::Internal(anyhow::anyhow!("credential vanished")))?;
        let event = match existing {
            None => Event::Connected { credential: &id },
            Some(_) => Event::Reconnected { credential: &id },
        };
        events::record(conn, &event)?;
        Ok::<_, AppError>((row, existing.is_none()))
    };
    state.db.write_patiently(|e: &AppError| matches!(e, AppError::Unavailable(_)), write).await
}
