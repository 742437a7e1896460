//! Calling Zoom as one credential, for the backfill and lookups: each call waits its turn in
//! the account's rate budget, transient failures and 429s are retried (Retry-After honoured),
//! and a token Zoom rejects is replaced once.

use std::time::{Duration, Instant};

use secrecy::SecretString;

use crate::services::access::{AccessError, AccessToken, with_retries};
use crate::services::budget::Category;
use crate::state::AppState;
use crate::zoom::ZoomError;

#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error(transparent)]
    Zoom(#[from] ZoomError),
    #[error(transparent)]
    Access(#[from] AccessError),
    #[error("the account's rate budget had no turn in time")]
    OverBudget,
}

pub struct Caller<'a> {
    state: &'a AppState,
    credential_id: &'a str,
    account_id: &'a str,
    access: tokio::sync::Mutex<AccessToken>,
    /// How long a call may wait for its turn in the budget.
    patience: Duration,
    /// How long retries of one call may go on.
    retry_budget: Duration,
}

impl<'a> Caller<'a> {
    pub async fn new(
        state: &'a AppState,
        credential_id: &'a str,
        account_id: &'a str,
        patience: Duration,
        retry_budget: Duration,
    ) -> Result<Self, CallError> {
        let access = state.tokens.get(credential_id).await?;
        Ok(Self { state, credential_id, account_id, access: tokio::sync::Mutex::new(access), patience, retry_budget })
    }

    pub async fn call<T, F, Fut>(&self, category: Category, f: F) -> Result<T, CallError>
    where
        F: Fn(SecretString) -> Fut,
        Fut: std::future::Future<Output = Result<T, ZoomError>>,
    {
        for round in 0..2 {
            self.state
                .budget
                .acquire(self.account_id, category, Instant::now() + self.patience)
                .await
                .map_err(|_| CallError::OverBudget)?;
            // (The retry budget starts now, after the turn came.)
            let token = self.access.lock().await.clone();
            match with_retries(self.retry_budget, || f(token.token.clone())).await {
                Ok(value) => return Ok(value),
                Err(e) if e.is_token_rejected() && round == 0 => {
                    let fresh = self.state.tokens.replace_rejected(self.credential_id, &token).await?;
                    *self.access.lock().await = fresh;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(CallError::Zoom(ZoomError::Api { status: 401, code: 124, message: "access token refused twice".into() }))
    }
}
