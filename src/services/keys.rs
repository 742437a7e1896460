//! Key rotation: reseal every encrypted value still under a previous key with the current one.
//! After it reports nothing left, the previous key can be removed from the configuration.

use crate::crypto::{Cipher, Field};
use crate::db::models::{apps, credentials};
use crate::error::AppError;
use crate::services::AppState;

#[derive(Debug, Default, serde::Serialize)]
pub struct Reencrypted {
    pub values_resealed: usize,
    pub values_current: usize,
}

pub async fn reencrypt_all(state: &AppState) -> Result<Reencrypted, AppError> {
    let cipher = state.settings.secrets.cipher.clone();
    state
        .db
        .write_with(move |conn| {
            let mut report = Reencrypted::default();
            for app in apps::all(conn)? {
                let mut change = apps::SecretsChange {
                    client_secret: reseal(&cipher, Field::AppClientSecret, &app.id, &app.client_secret, &mut report)?,
                    webhook_secret: reseal(
                        &cipher,
                        Field::AppWebhookSecret,
                        &app.id,
                        &app.webhook_secret,
                        &mut report,
                    )?,
                    ..apps::SecretsChange::default()
                };
                if let Some(previous) = &app.previous_webhook_secret {
                    change.previous_webhook_secret =
                        reseal(&cipher, Field::AppPreviousWebhookSecret, &app.id, previous, &mut report)?.map(Some);
                }
                if change.client_secret.is_some()
                    || change.webhook_secret.is_some()
                    || change.previous_webhook_secret.is_some()
                {
                    apps::update_secrets(conn, &app.id, &change)?;
                }
            }
            for credential in credentials::all(conn)? {
                let refresh = credential
                    .refresh_token
                    .as_deref()
                    .map(|b| reseal(&cipher, Field::CredentialRefreshToken, &credential.id, b, &mut report))
                    .transpose()?
                    .flatten();
                let access = credential
                    .access_token
                    .as_deref()
                    .map(|b| reseal(&cipher, Field::CredentialAccessToken, &credential.id, b, &mut report))
                    .transpose()?
                    .flatten();
                if refresh.is_some() || access.is_some() {
                    credentials::set_ciphertexts(
                        conn,
                        &credential.id,
                        refresh.or(credential.refresh_token),
                        access.or(credential.access_token),
                    )?;
                }
            }
            Ok(report)
        })
        .await
}

/// `Some(new ciphertext)` when `blob` was under an old key, `None` when it is already current.
fn reseal(
    cipher: &Cipher,
    field: Field,
    row_id: &str,
    blob: &[u8],
    report: &mut Reencrypted,
) -> Result<Option<Vec<u8>>, AppError> {
    if cipher.needs_reencryption(blob) {
        report.values_resealed += 1;
        Ok(Some(cipher.reseal(field, row_id, blob)?))
    } else {
        report.values_current += 1;
        Ok(None)
    }
}
