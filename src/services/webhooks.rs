//! A verified webhook delivery (`webhooks::verify`), read and acted on: a URL validation is
//! answered, an event is recorded and applied durably before it is acknowledged.

use secrecy::ExposeSecret;
use serde::Serialize;

use crate::error::AppError;
use crate::metrics::{WebhookOutcome, WebhookRefusal};
use crate::services::AppState;
use crate::webhooks::apply::Outcome;
use crate::webhooks::event::{self, EventName, Parsed};
use crate::webhooks::ingest::Receipt;
use crate::webhooks::keys::AppKeys;
use crate::webhooks::signature;
use crate::webhooks::verify::Verified;

/// What Zoom is answered (200).
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Answer {
    /// The `endpoint.url_validation` challenge, answered with the secret that signed it.
    #[serde(rename_all = "camelCase")]
    UrlValidation { plain_token: String, encrypted_token: String },
    /// The event was recorded (`applied`, `ignored`, ...) or had been before (`duplicate`).
    Recorded { status: &'static str },
}

/// Reads the verified `body` sent to the app `keys` belong to and acts on it.
pub async fn receive(
    state: &AppState,
    keys: &AppKeys,
    verified: Verified<'_>,
    body: &[u8],
) -> Result<Answer, AppError> {
    let app_id = &keys.app.id;
    let parsed = event::parse(body, verified.timestamp).map_err(|e| {
        state.metrics.webhook_refusal(WebhookRefusal::Malformed);
        AppError::bad_request("invalid_event", e.to_string())
    })?;
    match parsed {
        Parsed::UrlValidation { plain_token } => {
            let encrypted_token =
                signature::url_validation_token(verified.secret.expose_secret().as_bytes(), &plain_token);
            super::apps::record_validation(state, app_id).await?;
            state.metrics.webhook_event(EventName::UrlValidation.as_str(), WebhookOutcome::Answered);
            Ok(Answer::UrlValidation { plain_token, encrypted_token })
        }
        Parsed::Delivery(delivery) => {
            let name = delivery.event.clone();
            let receipt = state
                .ingest
                .submit(keys.app.clone(), delivery)
                .await
                .inspect_err(|_| state.metrics.webhook_event(&name, WebhookOutcome::Unavailable))?;
            let status = match &receipt {
                Receipt::Duplicate => WebhookOutcome::Duplicate,
                Receipt::Recorded { outcome, deleted_credentials, revived_credentials } => {
                    // Cached access tokens of credentials the event deleted must not be minted from.
                    for credential in deleted_credentials {
                        state.tokens.forget(credential);
                    }
                    // After the answer (Zoom wants one within 3 s): a refresh decides each one.
                    for credential in revived_credentials.clone() {
                        let state = state.clone();
                        tokio::spawn(async move {
                            match state.tokens.revive(&credential).await {
                                Ok(_) => state.log.info(&credential, "healthy again: the Zoom user was activated"),
                                Err(e) => tracing::info!(credential = %credential, error = %e, "not revived"),
                            }
                        });
                    }
                    match outcome {
                        Outcome::Applied(_) => WebhookOutcome::Applied,
                        Outcome::Ignored(_) => WebhookOutcome::Ignored,
                    }
                }
            };
            state.metrics.webhook_event(&name, status);
            let status = status.as_str();
            tracing::debug!(app = %app_id, event = %name, status, "webhook event");
            Ok(Answer::Recorded { status })
        }
    }
}
