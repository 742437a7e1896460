//! Access tokens: kept until shortly before they expire, refreshed on demand, never lost.
//!
//! Zoom rotates refresh tokens and honours only the newest (docs/zoom.md §2.3), so a refresh must
//! happen once, by one process, and its result must be stored before anything uses it:
//!
//! - In memory, each credential's token is cached while it has more than [`REFRESH_BEFORE`]
//!   left; a cache hit costs no database or Zoom call.
//! - In a process, concurrent callers for one credential queue on a per-credential mutex
//!   (single-flight): the first refreshes, the others find its token when they get the lock.
//! - Across processes (replicas on PostgreSQL, or the CLI beside the daemon), a refresh lease on
//!   the credential row decides who refreshes; the others poll the row until the winner's token
//!   appears. The lease expires, so a process killed mid-refresh blocks nobody for long.
//! - The refresh result (new refresh and access token) is committed in one statement before the
//!   access token is handed out. Only a crash between Zoom's answer and that commit can lose a
//!   refresh token; nothing else can.
//! - `invalid_grant` marks the credential unhealthy only after a re-read shows nobody stored a
//!   newer token meanwhile. A refresh that fails because Zoom is down leaves it healthy.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};

use super::credential_log::CredentialLog;
use crate::crypto::{Cipher, Field};
use crate::db::Db;
use crate::db::models::apps::{self, AppKind, Cloud};
use crate::db::models::credentials::{self, CredentialRow, Health};
use crate::error::AppError;
use crate::events::{self, Event};
use crate::metrics::RefreshOutcome;
use crate::time;
use crate::zoom::retry::with_retries_if_not_done;
use crate::zoom::types::TokenResponse;
use crate::zoom::{ClientCredentials, Clouds};

/// Refresh when less than this is left. Callers thus always get a token with at least this long
/// to live (the admin `access-token/` endpoint promises 120 s).
pub const REFRESH_BEFORE: Duration = Duration::from_secs(300);
/// What a handed-out access token is promised to live: 120 s (Recall asks that of its callback).
pub const HANDED_OUT_LIFE: Duration = Duration::from_secs(120);
/// How long a refresh lease lasts: longer than a refresh can take ([`REFRESH_DEADLINE`]).
const LEASE: Duration = Duration::from_secs(40);
/// A refresh, retries included, gives up after this: longer than one token call may take
/// (`TOKEN_CALL_TIMEOUT`), so a slow answer is still waited for. Bots do not wait this long:
/// the refresh runs on its own task and commits after they have had their 503.
const REFRESH_DEADLINE: Duration = Duration::from_secs(25);
/// A graceful stop waits at most this long for refreshes in flight to commit.
pub const DRAIN_LIMIT: Duration = Duration::from_secs(25);
/// After Zoom refused an app's client secret, its credentials do not ask again for this long
/// (unless the secret is replaced first).
const CLIENT_REFUSAL_PAUSE: Duration = Duration::from_secs(300);

fn client_refused_detail(zoom_said: Option<&str>) -> String {
    let said = zoom_said.map(|s| format!(" ({s})")).unwrap_or_default();
    format!(
        "Zoom refused the app's client secret{said}: fix the app's client_secret in zoomsync; the refresh token is kept and the user need not reconnect"
    )
}

/// How often a process waiting for another's refresh re-reads the row.
const POLL: Duration = Duration::from_millis(25);

#[derive(Clone)]
pub struct AccessToken {
    pub token: SecretString,
    pub expires_at: DateTime<Utc>,
    /// The row version the token was read from, to tell a rejected token from a newer one.
    pub version: i64,
    /// Where the credential's app lives: its calls go to that cloud.
    pub cloud: Cloud,
}

impl AccessToken {
    fn fresh(&self, now: DateTime<Utc>) -> bool {
        self.expires_at - now > chrono::Duration::from_std(REFRESH_BEFORE).unwrap_or_default()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    #[error("no such credential")]
    NotFound,
    /// The user must reconnect.
    #[error("the credential is unhealthy: {0}")]
    Unhealthy(String),
    /// Zoom refused the app's client secret: an admin must fix the app; the credential is fine.
    #[error("{0}")]
    AppRefused(String),
    /// Zoom down, slow or rate-limiting, or another process's refresh did not finish in time.
    #[error("{0}")]
    Transient(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<crate::db::DbError> for AccessError {
    fn from(error: crate::db::DbError) -> Self {
        if error.is_unavailable() {
            Self::Transient("the database is unavailable".into())
        } else {
            Self::Internal(error.into())
        }
    }
}

impl From<diesel::result::Error> for AccessError {
    fn from(error: diesel::result::Error) -> Self {
        crate::db::DbError::from(error).into()
    }
}

impl From<crate::crypto::CryptoError> for AccessError {
    fn from(error: crate::crypto::CryptoError) -> Self {
        Self::Internal(error.into())
    }
}

impl From<AccessError> for AppError {
    fn from(error: AccessError) -> Self {
        match error {
            AccessError::NotFound => AppError::not_found("no such credential"),
            AccessError::Unhealthy(detail) => AppError::Conflict(format!("the credential is unhealthy: {detail}")),
            AccessError::AppRefused(detail) => AppError::Conflict(detail),
            AccessError::Transient(detail) => AppError::Unavailable(detail),
            AccessError::Internal(e) => AppError::Internal(e),
        }
    }
}

pub struct AccessTokens {
    db: Db,
    zoom: Clouds,
    cipher: Cipher,
    log: CredentialLog,
    metrics: Arc<crate::metrics::Metrics>,
    /// This process's name on refresh leases.
    owner: String,
    cache: parking_lot::Mutex<HashMap<String, AccessToken>>,
    flights: parking_lot::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Credentials whose last refresh went unanswered (a timeout, a reset, a 5xx), and when:
    /// Zoom may have rotated then, which is what an `invalid_grant` right after would mean.
    unanswered: parking_lot::Mutex<HashMap<String, DateTime<Utc>>>,
    /// Refreshes between asking Zoom and storing its answer; a graceful stop waits for them.
    in_flight: tokio::sync::watch::Sender<usize>,
    /// The runtime the process serves from. Work that must outlive its caller runs here, not
    /// on the HTTP worker that asked: actix drops a worker's runtime, and every task spawned on
    /// it, when its graceful stop times out, while this one lives until the drain is done.
    runtime: tokio::runtime::Handle,
    /// Set by a graceful stop: no new refresh starts.
    stopping: std::sync::atomic::AtomicBool,
}

/// Counts one refresh in flight while it lives.
pub struct InFlight<'a>(&'a tokio::sync::watch::Sender<usize>);

impl<'a> InFlight<'a> {
    fn enter(counter: &'a tokio::sync::watch::Sender<usize>) -> Self {
        counter.send_modify(|n| *n += 1);
        Self(counter)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.send_modify(|n| *n = n.saturating_sub(1));
    }
}

impl AccessTokens {
    pub fn new(
        db: Db,
        zoom: Clouds,
        cipher: Cipher,
        log: CredentialLog,
        metrics: Arc<crate::metrics::Metrics>,
    ) -> Self {
        Self {
            db,
            zoom,
            cipher,
            log,
            metrics,
            owner: uuid::Uuid::new_v4().to_string(),
            cache: parking_lot::Mutex::new(HashMap::new()),
            flights: parking_lot::Mutex::new(HashMap::new()),
            unanswered: parking_lot::Mutex::new(HashMap::new()),
            in_flight: tokio::sync::watch::Sender::new(0),
            runtime: tokio::runtime::Handle::current(),
            stopping: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// A graceful stop: no refresh starts from now on, and those between asking Zoom and
    /// storing its answer get up to `limit` to commit (each has rotated a refresh token that
    /// only its answer holds). Returns how many were still in flight at the limit.
    pub async fn drain(&self, limit: Duration) -> usize {
        self.stopping.store(true, std::sync::atomic::Ordering::SeqCst);
        let mut watch = self.in_flight.subscribe();
        let waiting = *watch.borrow();
        if waiting > 0 {
            tracing::info!(refreshes = waiting, "waiting for token refreshes in flight to commit");
        }
        let _ = tokio::time::timeout(limit, watch.wait_for(|n| *n == 0)).await;
        let left = *self.in_flight.borrow();
        if left > 0 {
            tracing::error!(refreshes = left, "stopping with token refreshes still in flight");
        }
        left
    }

    /// For other calls whose answer holds a refresh token that exists nowhere else (a code
    /// exchange, an import's first refresh): held from asking Zoom until the answer is stored,
    /// so that a graceful stop waits for it as for a refresh. `None` once a stop has begun:
    /// start nothing then.
    pub fn rotation(&self) -> Option<InFlight<'_>> {
        let in_flight = InFlight::enter(&self.in_flight);
        (!self.stopping.load(std::sync::atomic::Ordering::SeqCst)).then_some(in_flight)
    }

    /// Refreshes between asking Zoom and storing its answer: what a kill -9 now would lose.
    pub fn refreshes_in_flight(&self) -> usize {
        *self.in_flight.borrow()
    }

    /// A token with at least [`REFRESH_BEFORE`] to live, refreshing if needed.
    pub async fn get(self: &Arc<Self>, credential_id: &str) -> Result<AccessToken, AccessError> {
        if let Some(token) = self.cached(credential_id) {
            return Ok(token);
        }
        self.obtain_detached(credential_id, Want::default()).await
    }

    /// A token to hand out (the admin `access-token/`, `/zoom/access-token`): one that lives at
    /// least [`HANDED_OUT_LIFE`] more *before* a planned refresh could replace it. Zoom may end
    /// the previous access token at each refresh (docs/zoom.md §7), and a refresh is planned
    /// once less than [`REFRESH_BEFORE`] is left, so a token is handed out only while it has
    /// more than both together; otherwise it is refreshed first.
    pub async fn get_to_hand_out(self: &Arc<Self>, credential_id: &str) -> Result<AccessToken, AccessError> {
        let token = self.get(credential_id).await?;
        let lasting = chrono::Duration::from_std(REFRESH_BEFORE + HANDED_OUT_LIFE).unwrap_or_default();
        if token.expires_at - Utc::now() > lasting {
            return Ok(token);
        }
        self.cache.lock().remove(credential_id);
        self.obtain_detached(credential_id, Want { rejected: Some(token.version), revive: false }).await
    }

    /// After Zoom refused `rejected` (401): a newer token if one was stored meanwhile, else a
    /// refreshed one.
    pub async fn replace_rejected(
        self: &Arc<Self>,
        credential_id: &str,
        rejected: &AccessToken,
    ) -> Result<AccessToken, AccessError> {
        {
            let mut cache = self.cache.lock();
            if cache.get(credential_id).is_some_and(|t| t.version == rejected.version) {
                cache.remove(credential_id);
            }
        }
        self.obtain_detached(credential_id, Want { rejected: Some(rejected.version), revive: false }).await
    }

    /// Runs the refresh on its own task: a caller that gives up (a bot's deadline, a dropped
    /// request) must not cancel a refresh between Zoom issuing new tokens and our storing them.
    async fn obtain_detached(self: &Arc<Self>, credential_id: &str, want: Want) -> Result<AccessToken, AccessError> {
        let this = Arc::clone(self);
        let id = credential_id.to_owned();
        self.detached(async move { this.obtain(&id, want).await })
            .await
            .map_err(|e| AccessError::Internal(anyhow::anyhow!("token task failed: {e}")))?
    }

    /// Runs `work` on the process's own runtime (see `runtime`): for work between Zoom issuing
    /// tokens and our storing them, which neither a caller giving up nor a stopping HTTP worker
    /// may cancel.
    pub fn detached<F>(&self, work: F) -> tokio::task::JoinHandle<F::Output>
    where
        F: std::future::Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.runtime.spawn(work)
    }

    /// Refreshes now, whatever the stored token's age (keep-alive of long-idle credentials).
    pub async fn refresh_now(self: &Arc<Self>, credential_id: &str) -> Result<AccessToken, AccessError> {
        let id = credential_id.to_owned();
        let row = self.db.read(move |conn| credentials::find(conn, &id)).await?;
        let version = row.ok_or(AccessError::NotFound)?.version;
        self.cache.lock().remove(credential_id);
        self.obtain_detached(credential_id, Want { rejected: Some(version), revive: false }).await
    }

    /// Refreshes a credential that was made unhealthy by something that has since been undone
    /// (`user.activated` after `user.deactivated`): healthy again if, and only if, Zoom takes its
    /// refresh token; `invalid_grant` keeps it unhealthy.
    pub async fn revive(self: &Arc<Self>, credential_id: &str) -> Result<AccessToken, AccessError> {
        self.cache.lock().remove(credential_id);
        self.obtain_detached(credential_id, Want { rejected: None, revive: true }).await
    }

    /// Forgets the cached token (the credential was deleted or reconnected).
    pub fn forget(&self, credential_id: &str) {
        self.cache.lock().remove(credential_id);
    }

    fn cached(&self, credential_id: &str) -> Option<AccessToken> {
        let now = Utc::now();
        self.cache.lock().get(credential_id).filter(|t| t.fresh(now)).cloned()
    }

    async fn obtain(&self, credential_id: &str, want: Want) -> Result<AccessToken, AccessError> {
        let flight = self.flights.lock().entry(credential_id.to_owned()).or_default().clone();
        let _turn = flight.lock().await;
        // Whoever held the turn before us may have refreshed already.
        if let Some(token) = self.cached(credential_id).filter(|t| Some(t.version) != want.rejected && !want.revive) {
            return Ok(token);
        }
        let deadline = Instant::now() + REFRESH_DEADLINE + LEASE;
        loop {
            let (row, cloud) = self.read(credential_id).await?;
            if let Some(token) = self.usable(&row, cloud, want)? {
                return Ok(self.remember(credential_id, token));
            }
            let now = time::now();
            let lease_until = now + chrono::Duration::from_std(LEASE).unwrap_or_default();
            let (id, owner) = (credential_id.to_owned(), self.owner.clone());
            let leased = self.db.write(move |conn| credentials::try_lease(conn, &id, &owner, now, lease_until)).await?;
            if leased {
                match self.refresh_under_lease(credential_id, want).await {
                    Err(Retry::Again) => continue,
                    Err(Retry::Fail(e)) => return Err(e),
                    Ok(token) => return Ok(self.remember(credential_id, token)),
                }
            }
            if Instant::now() >= deadline {
                return Err(AccessError::Transient("another process's token refresh did not finish in time".into()));
            }
            tokio::time::sleep(POLL).await;
        }
    }

    async fn read(&self, credential_id: &str) -> Result<(CredentialRow, Cloud), AccessError> {
        let id = credential_id.to_owned();
        self.db.read(move |conn| credentials::find_with_cloud(conn, &id)).await?.ok_or(AccessError::NotFound)
    }

    /// The row's stored token, if the credential is healthy and the token fresh and not the one
    /// just rejected.
    fn usable(&self, row: &CredentialRow, cloud: Cloud, want: Want) -> Result<Option<AccessToken>, AccessError> {
        if !row.is_healthy() {
            if want.revive {
                return Ok(None);
            }
            return Err(AccessError::Unhealthy(row.status_detail.clone().unwrap_or_else(|| "reconnect needed".into())));
        }
        let (Some(sealed), Some(expires_at)) = (&row.access_token, row.access_token_expires_at) else {
            return Ok(None);
        };
        let token = AccessToken {
            token: SecretString::from(String::new()),
            expires_at: time::utc(expires_at),
            version: row.version,
            cloud,
        };
        if !token.fresh(Utc::now()) || Some(row.version) == want.rejected {
            return Ok(None);
        }
        Ok(Some(AccessToken { token: self.cipher.open(Field::CredentialAccessToken, &row.id, sealed)?, ..token }))
    }

    fn remember(&self, credential_id: &str, token: AccessToken) -> AccessToken {
        self.cache.lock().insert(credential_id.to_owned(), token.clone());
        token
    }

    async fn refresh_under_lease(&self, credential_id: &str, want: Want) -> Result<AccessToken, Retry> {
        let result = self.refresh_leased(credential_id, want).await;
        if result.is_err() {
            let (id, owner) = (credential_id.to_owned(), self.owner.clone());
            let released = self.db.write(move |conn| credentials::release_lease(conn, &id, &owner)).await;
            if let Err(e) = released {
                tracing::warn!(credential = %credential_id, error = %e, "could not release a refresh lease");
            }
        }
        result
    }

    async fn refresh_leased(&self, credential_id: &str, want: Want) -> Result<AccessToken, Retry> {
        // Re-read inside the lease: a process that refreshed just before we took it has stored
        // a token we should use instead of refreshing again.
        let (row, cloud) = self.read(credential_id).await?;
        if let Some(token) = self.usable(&row, cloud, want)? {
            let (id, owner) = (credential_id.to_owned(), self.owner.clone());
            self.db.write(move |conn| credentials::release_lease(conn, &id, &owner)).await?;
            return Ok(token);
        }
        let app_id = row.app_id.clone();
        let app = self
            .db
            .read(move |conn| apps::find(conn, &app_id))
            .await?
            .ok_or_else(|| AccessError::Internal(anyhow::anyhow!("credential without an app")))?;
        // Zoom refused this client secret a moment ago: asking again with it only adds to the
        // app's error ratio. A new secret (PATCH) clears the mark; so does a later success.
        if let Some(at) = app.client_secret_refused_at
            && time::now() - at < chrono::Duration::from_std(CLIENT_REFUSAL_PAUSE).unwrap_or_default()
        {
            return Err(Retry::Fail(AccessError::AppRefused(client_refused_detail(None))));
        }
        let client_secret =
            self.cipher.open(Field::AppClientSecret, &app.id, &app.client_secret).map_err(AccessError::from)?;
        let client = ClientCredentials { client_id: &app.client_id, client_secret: &client_secret };

        let refresh_token = match (&row.refresh_token, app.kind) {
            (_, AppKind::ServerToServer) => None,
            (Some(sealed), _) => {
                Some(self.cipher.open(Field::CredentialRefreshToken, &row.id, sealed).map_err(AccessError::from)?)
            }
            (None, _) => {
                return Err(self.unhealthy(&row, "no refresh token is stored; reconnect the Zoom account").await);
            }
        };
        // From asking Zoom until its answer is stored, a graceful stop waits for us. Counted
        // before the stop flag is read, so a stop either sees this refresh or stops it here.
        let _in_flight = InFlight::enter(&self.in_flight);
        if self.stopping.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(Retry::Fail(AccessError::Transient("zoomsync is stopping; retry shortly".into())));
        }
        // Never sent twice once Zoom may have acted on it: a second refresh with the same token
        // after a rotation whose answer was lost would only get `invalid_grant`.
        let outcome = with_retries_if_not_done(REFRESH_DEADLINE, || async {
            match &refresh_token {
                Some(refresh_token) => self.zoom.on(app.cloud).refresh(&client, refresh_token).await,
                None => self.zoom.on(app.cloud).account_credentials(&client, &row.account_id).await,
            }
        })
        .await;
        let unanswered_before = match &outcome {
            Err(e) if e.outcome_unknown() => {
                self.unanswered.lock().insert(row.id.clone(), Utc::now());
                None
            }
            _ => self.unanswered.lock().remove(&row.id),
        };
        self.metrics.refresh(match &outcome {
            Ok(_) => RefreshOutcome::Ok,
            Err(e) if e.needs_reauthorization() => RefreshOutcome::Refused,
            Err(e) if e.is_client_rejected() => RefreshOutcome::ClientRefused,
            Err(_) => RefreshOutcome::Failed,
        });
        match outcome {
            Ok(tokens) => {
                if app.client_secret_refused_at.is_some() {
                    let id = app.id.clone();
                    self.db.write(move |conn| apps::set_client_secret_refused(conn, &id, None)).await?;
                }
                self.store(&row, app.cloud, tokens).await
            }
            Err(e) if e.is_client_rejected() => {
                // The app's fault: the refresh token was not looked at, so it is kept, and the
                // credential stays healthy; the app and the credential say what to fix.
                let detail = client_refused_detail(Some(&e.summary()));
                let (app_id, id, shown) = (app.id.clone(), row.id.clone(), detail.clone());
                self.db
                    .write(move |conn| {
                        let now = time::now();
                        let first = apps::find(conn, &app_id)?.is_some_and(|a| a.client_secret_refused_at.is_none());
                        apps::set_client_secret_refused(conn, &app_id, Some(now))?;
                        if first {
                            events::record(conn, &Event::AppSecretRejected { app: &app_id, detail: &shown })?;
                        }
                        credentials::set_status_detail(conn, &id, Some(&shown))
                    })
                    .await?;
                self.log.error(&row.id, detail.clone());
                tracing::warn!(credential = %row.id, app = %app.id, "Zoom refused the app's client secret");
                Err(Retry::Fail(AccessError::AppRefused(detail)))
            }
            Err(e) if e.needs_reauthorization() => {
                // Before blaming the token, check nobody stored a newer one meanwhile.
                let (now_row, _) = self.read(credential_id).await?;
                if now_row.version != row.version {
                    return Err(Retry::Again);
                }
                // Right after a refresh Zoom never answered, the likely story is that Zoom
                // rotated then and the answer was lost: say so, it is not the user's doing.
                let after = unanswered_before
                    .map(|at| {
                        format!(
                            ", right after a refresh at {} that Zoom did not answer (Zoom may have rotated the token then)",
                            at.format("%Y-%m-%d %H:%M:%S UTC")
                        )
                    })
                    .unwrap_or_default();
                let detail = format!(
                    "Zoom refused the {} ({}){after}; the Zoom user must reconnect",
                    if refresh_token.is_some() { "refresh token" } else { "app's client credentials" },
                    e.summary()
                );
                Err(self.unhealthy(&row, &detail).await)
            }
            Err(e) => {
                self.log.warning(&row.id, format!("token refresh failed, will retry on next use: {}", e.summary()));
                Err(Retry::Fail(AccessError::Transient(format!("refreshing the Zoom token failed: {}", e.summary()))))
            }
        }
    }

    async fn store(&self, row: &CredentialRow, cloud: Cloud, tokens: TokenResponse) -> Result<AccessToken, Retry> {
        let now = time::now();
        let expires_at = now + chrono::Duration::seconds(tokens.expires_in.max(0));
        let refresh = tokens
            .refresh_token
            .as_ref()
            .map(|t| self.cipher.seal(Field::CredentialRefreshToken, &row.id, t.expose_secret()))
            .transpose()
            .map_err(AccessError::from)?;
        let access = self
            .cipher
            .seal(Field::CredentialAccessToken, &row.id, tokens.access_token.expose_secret())
            .map_err(AccessError::from)?;
        let scopes = (!tokens.scope.trim().is_empty()).then(|| tokens.scope.trim().to_owned());
        // Zoom has rotated: the new refresh token exists only in this answer now. A busy or
        // briefly unreachable database is waited for (bounded), not a reason to drop it.
        let id = row.id.clone();
        let stored = self
            .db
            .write_patiently(crate::db::DbError::is_unavailable, move |conn| {
                let stored = |conn: &mut crate::db::AnyConnection| {
                    let was = credentials::health_of(conn, &id)?;
                    credentials::store_refreshed(
                        conn,
                        &id,
                        refresh.as_deref(),
                        &access,
                        expires_at,
                        scopes.as_deref(),
                        now,
                    )?;
                    // Unhealthy until now (a reactivated Zoom user): it works again, no reconnect.
                    if was == Some(Health::Unhealthy) {
                        events::record(conn, &Event::Healthy { credential: &id })?;
                    }
                    diesel::QueryResult::Ok(())
                };
                stored(conn).map_err(crate::db::DbError::from)
            })
            .await;
        if let Err(e) = stored {
            // Zoom has already retired the old refresh token: this is the one loss that cannot
            // be avoided, only kept to this single commit.
            tracing::error!(credential = %row.id, error = %e, "could not store a refreshed token");
            self.log.error(&row.id, "a refreshed token could not be stored; the user may need to reconnect");
            return Err(e.into());
        }
        self.log.info(&row.id, "access token refreshed");
        tracing::info!(credential = %row.id, "access token refreshed");
        Ok(AccessToken {
            token: tokens.access_token,
            expires_at: time::utc(expires_at),
            version: row.version + 1,
            cloud,
        })
    }

    async fn unhealthy(&self, row: &CredentialRow, detail: &str) -> Retry {
        let (id, detail_owned) = (row.id.clone(), detail.to_owned());
        let marked = self
            .db
            .write(move |conn| {
                if credentials::mark_unhealthy(conn, &id, &detail_owned, time::now())? {
                    events::record(conn, &Event::Unhealthy { credential: &id, user_must_act: true })?;
                }
                Ok(())
            })
            .await;
        if let Err(e) = marked {
            return e.into();
        }
        self.forget(&row.id);
        self.log.error(&row.id, format!("credential unhealthy: {detail}"));
        tracing::warn!(credential = %row.id, detail, "credential unhealthy");
        Retry::Fail(AccessError::Unhealthy(detail.to_owned()))
    }
}

/// What a caller needs of the stored token.
#[derive(Clone, Copy, Debug, Default)]
struct Want {
    /// Not this version: Zoom rejected it (or a refresh is wanted whatever its age).
    rejected: Option<i64>,
    /// Refresh even an unhealthy credential, to see whether Zoom takes it again.
    revive: bool,
}

enum Retry {
    /// Another process stored a newer token: start over with it.
    Again,
    Fail(AccessError),
}

impl From<crate::db::DbError> for Retry {
    fn from(error: crate::db::DbError) -> Self {
        Self::Fail(error.into())
    }
}

impl From<AccessError> for Retry {
    fn from(error: AccessError) -> Self {
        Self::Fail(error)
    }
}
