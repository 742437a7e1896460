//! Calling Zoom on behalf of one credential: the one protocol that minting, lookups and
//! backfills share, so that a fix to it is made once.
//!
//! Each call
//! 1. takes the credential's access token (refreshing it if needed, see `access`) within the
//!    Zoom deadline;
//! 2. waits its turn in the account's rate budget (`budget`), bounded by the queue deadline;
//!    the wait moves the Zoom deadline back, because the Zoom deadline is about Zoom's own
//!    slowness, not about our queue;
//! 3. retries transient failures and honours 429's `Retry-After` until the Zoom deadline
//!    (`zoom::retry`);
//! 4. replaces an access token Zoom rejected, once: a newer one if another caller stored it
//!    meanwhile, else a refreshed one;
//! 5. after a daily-limit 429, makes no call for that account and category until its
//!    `Retry-After` (else the next 00:00 UTC, when Zoom's days turn): each would only fail and
//!    raise the error ratio Zoom may disable an app for.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use secrecy::SecretString;

use super::AppState;
use super::access::{AccessError, AccessToken};
use super::budget::Category;
use crate::zoom::retry::with_retries;
use crate::zoom::{ZoomClient, ZoomError};

/// How long one call may wait for its turn in the budget, and how long Zoom may then take.
#[derive(Clone, Copy, Debug)]
pub struct Patience {
    pub queue: Duration,
    pub zoom: Duration,
}

/// The same as instants, for a caller (a bot's request) whose deadlines span several calls.
#[derive(Clone, Copy, Debug)]
pub struct Deadlines {
    pub queue: Instant,
    pub zoom: Instant,
}

impl Deadlines {
    pub fn from_now(patience: Patience) -> Self {
        let now = Instant::now();
        Self { queue: now + patience.queue, zoom: now + patience.zoom }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// Zoom answered with an error, or did not answer in time.
    #[error(transparent)]
    Zoom(#[from] ZoomError),
    /// No usable access token: the credential is gone or unhealthy, or its refresh failed.
    #[error(transparent)]
    Access(#[from] AccessError),
    /// The account's rate budget has no turn before the queue deadline; `0` is the wait it
    /// would have needed.
    #[error("the Zoom account's rate budget is full")]
    OverBudget(Duration),
    /// The account reached Zoom's daily limit for this category; `0` is how long until it lifts.
    #[error("the Zoom account reached its daily limit for these calls")]
    DailyLimit(Duration),
    /// The access token could not be had (a refresh hanging) before the Zoom deadline.
    #[error("refreshing the credential's Zoom token took too long")]
    TimedOut,
}

impl CallError {
    /// Worth trying again later, rather than a refusal.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Zoom(e) => e.is_transient(),
            Self::Access(e) => matches!(e, AccessError::Transient(_) | AccessError::Internal(_)),
            Self::OverBudget(_) | Self::DailyLimit(_) | Self::TimedOut => true,
        }
    }

    /// A short, token-free description for credential logs and answers.
    pub fn summary(&self) -> String {
        match self {
            Self::Zoom(e) => e.summary(),
            other => other.to_string(),
        }
    }
}

/// Calls Zoom as one credential, inside its account's rate budget.
#[derive(Clone, Copy)]
pub struct Caller<'a> {
    state: &'a AppState,
    credential_id: &'a str,
    account_id: &'a str,
}

impl<'a> Caller<'a> {
    pub fn new(state: &'a AppState, credential_id: &'a str, account_id: &'a str) -> Self {
        Self { state, credential_id, account_id }
    }

    /// One call with `patience` from now.
    pub async fn call<T, F, Fut>(&self, category: Category, patience: Patience, f: F) -> Result<T, CallError>
    where
        F: Fn(&'a ZoomClient, SecretString) -> Fut,
        Fut: Future<Output = Result<T, ZoomError>>,
    {
        self.call_until(category, Deadlines::from_now(patience), f).await
    }

    /// One call that must end by `deadlines`. `f` makes the request with the client of the
    /// credential's cloud and the access token it is given; it may run several times (retries,
    /// a replaced token).
    pub async fn call_until<T, F, Fut>(&self, category: Category, deadlines: Deadlines, f: F) -> Result<T, CallError>
    where
        F: Fn(&'a ZoomClient, SecretString) -> Fut,
        Fut: Future<Output = Result<T, ZoomError>>,
    {
        let budget = &self.state.budget;
        if let Some(left) = budget.daily_limit_left(self.account_id, category, Instant::now()) {
            return Err(CallError::DailyLimit(left));
        }
        let mut zoom_deadline = deadlines.zoom;
        let tokens = Arc::clone(&self.state.tokens);
        let mut access = within(zoom_deadline, tokens.get(self.credential_id)).await?;
        for round in 0..2 {
            let waited = self
                .state
                .budget
                .acquire(self.account_id, category, deadlines.queue)
                .await
                .map_err(|over| CallError::OverBudget(over.retry_after))?;
            zoom_deadline += waited;
            let remaining = zoom_deadline.saturating_duration_since(Instant::now());
            let zoom = self.state.zoom.on(access.cloud);
            match with_retries(remaining, || f(zoom, access.token.clone())).await {
                Ok(value) => return Ok(value),
                Err(e) if e.is_token_rejected() && round == 0 => {
                    access = within(zoom_deadline, tokens.replace_rejected(self.credential_id, &access)).await?;
                }
                Err(e) if e.is_daily_limit() => {
                    let left = e.retry_after().unwrap_or_else(until_next_utc_midnight);
                    budget.block_until(self.account_id, category, Instant::now() + left);
                    tracing::warn!(account = %self.account_id, ?category, seconds = left.as_secs(), "Zoom's daily limit reached; no calls until it lifts");
                    report_daily_limit(self.state, self.account_id, category, Some(left));
                    return Err(CallError::DailyLimit(left));
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(CallError::Zoom(ZoomError::Api {
            status: 401,
            code: 124,
            message: "Zoom refused the credential's access token twice".into(),
        }))
    }
}

/// Tells the endpoints that `account_id` reached (`left`: for how long) or is clear of Zoom's
/// daily limit in `category`. On its own task: the bot that met the limit does not wait for it.
fn report_daily_limit(state: &AppState, account_id: &str, category: Category, left: Option<Duration>) {
    let (db, account) = (state.db.clone(), account_id.to_owned());
    let until = chrono::Utc::now() + chrono::Duration::from_std(left.unwrap_or_default()).unwrap_or_default();
    tokio::spawn(async move {
        let category_name = category.name();
        let event = move |conn: &mut crate::db::AnyConnection| {
            crate::events::record(
                conn,
                &crate::events::Event::DailyLimit {
                    account: &account,
                    category: category_name,
                    reached: left.is_some(),
                    until,
                },
            )
        };
        if let Err(e) = db.write(event).await {
            tracing::warn!(error = %e, "could not record a daily-limit event");
        }
    });
}

/// Every few seconds, reports the daily-limit pauses that have ended. Runs until the process
/// ends.
pub async fn run_daily_limit_watch(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(5));
    loop {
        tick.tick().await;
        for (account, category) in state.budget.take_lifted(Instant::now()) {
            tracing::info!(%account, ?category, "Zoom's daily limit lifted");
            report_daily_limit(&state, &account, category, None);
        }
    }
}

/// Zoom's days turn at 00:00 UTC.
fn until_next_utc_midnight() -> Duration {
    let now = chrono::Utc::now();
    let midnight = (now.date_naive() + chrono::Days::new(1)).and_time(chrono::NaiveTime::MIN).and_utc();
    (midnight - now).to_std().unwrap_or(Duration::from_secs(3600))
}

/// An access-token step, cut off at the Zoom deadline. The refresh itself runs on its own task
/// (see `access`), so giving up here never interrupts a refresh between Zoom's answer and our
/// storing it.
async fn within(
    deadline: Instant,
    step: impl Future<Output = Result<AccessToken, AccessError>>,
) -> Result<AccessToken, CallError> {
    let remaining = deadline.saturating_duration_since(Instant::now());
    match tokio::time::timeout(remaining, step).await {
        Ok(result) => Ok(result?),
        Err(_) => Err(CallError::TimedOut),
    }
}
