//! Importing a refresh token a team already holds (issued to its own app before zoomsync), so
//! its users need not connect again. The token is refreshed at once: that proves it, and takes
//! over its rotation (Zoom honours only the newest refresh token, docs/zoom.md §2.3). From
//! Zoom's answer on, it is the code exchange's path: [`connect::store`].

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use super::connect::{self, Connected, Via};
use crate::crypto::Field;
use crate::db::models::apps::AppKind;
use crate::error::AppError;
use crate::services::AppState;
use crate::zoom::retry::with_retries_if_not_done;
use crate::zoom::{ClientCredentials, ZoomError};

/// The refresh, retries included, gives up after this (as a credential's own refresh does).
const REFRESH_DEADLINE: Duration = Duration::from_secs(25);

/// Imports `refresh_token` for the app `app_id`: creates the credential of the user (or, for an
/// account-level app, the account) it belongs to, or updates the one zoomsync already has.
///
/// Runs on its own task: a caller that goes away (a dropped HTTP request) must not cancel it
/// between Zoom rotating the token and our storing its successor.
pub async fn from_refresh_token(
    state: &AppState,
    app_id: &str,
    refresh_token: SecretString,
) -> Result<Connected, AppError> {
    let trimmed = refresh_token.expose_secret().trim();
    if trimmed.is_empty() {
        return Err(AppError::bad_request("invalid_field", "`refresh_token` is empty"));
    }
    let refresh_token = SecretString::from(trimmed);
    let (state, app_id) = (state.clone(), app_id.to_owned());
    let tokens = state.tokens.clone();
    tokens
        .detached(async move { import(&state, &app_id, &refresh_token).await })
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("import task failed: {e}")))?
}

async fn import(state: &AppState, app_id: &str, refresh_token: &SecretString) -> Result<Connected, AppError> {
    let app = connect::find_app(state, app_id).await?;
    if app.kind == AppKind::ServerToServer {
        return Err(AppError::bad_request(
            "invalid_app",
            "server-to-server apps have no refresh tokens; post {\"oauth_app\": id} alone to connect one",
        ));
    }
    let Some(_rotation) = state.tokens.rotation() else {
        return Err(AppError::Unavailable(
            "zoomsync is stopping; import again shortly (the token was not used)".into(),
        ));
    };
    let client_secret = state.settings.secrets.cipher.open(Field::AppClientSecret, &app.id, &app.client_secret)?;
    let client = ClientCredentials { client_id: &app.client_id, client_secret: &client_secret };
    // Sent again only when Zoom surely did not act on it: a second try after a rotation whose
    // answer was lost would only get `invalid_grant`.
    let tokens =
        with_retries_if_not_done(REFRESH_DEADLINE, || state.zoom.on(app.cloud).refresh(&client, refresh_token))
            .await
            .map_err(refresh_failure)?;
    connect::store(state, &app, tokens, Via::Import).await
}

/// What a failed refresh tells the caller, and whether the token they gave may still work.
fn refresh_failure(error: ZoomError) -> AppError {
    let summary = error.summary();
    if error.needs_reauthorization() {
        return AppError::bad_request(
            "zoom_refused",
            format!(
                "Zoom refused the refresh token ({summary}): it was revoked, already used (rotated) or never issued to this app; the Zoom user must connect again"
            ),
        );
    }
    if error.is_client_rejected() {
        return AppError::bad_request(
            "zoom_refused",
            format!(
                "Zoom refused the app's client credentials ({summary}); fix the app's client_secret and import again (the refresh token was not used)"
            ),
        );
    }
    if error.surely_not_done() {
        return AppError::Unavailable(format!(
            "Zoom is unavailable ({summary}); the refresh token was not used: import it again later"
        ));
    }
    if error.outcome_unknown() {
        return AppError::Unavailable(format!(
            "Zoom did not answer the refresh ({summary}); Zoom may have rotated the refresh token anyway: import it again later, and if Zoom then refuses it, the Zoom user must connect again"
        ));
    }
    if let ZoomError::Decode(_) = error {
        // Zoom answered, perhaps with new tokens we could not read: the old one may be spent.
        return AppError::bad_request(
            "zoom_refused",
            format!(
                "Zoom's answer to the refresh could not be read ({summary}); Zoom may have rotated the refresh token"
            ),
        );
    }
    AppError::bad_request("zoom_refused", format!("Zoom refused the refresh ({summary})"))
}
