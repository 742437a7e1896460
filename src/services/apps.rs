//! Registering Zoom OAuth apps: create, list, read, rename and rotate secrets, delete. The admin API and
//! `zoomsync app ...` both call these, so validation and storage happen in one place.

use chrono::{DateTime, Utc};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use crate::crypto::Field;
use crate::db::models::apps::{self, AppKind, AppRow, Cloud, NewApp, SecretsChange};
use crate::error::AppError;
use crate::services::AppState;
use crate::time::{self, utc};
use crate::urls;

/// An app as the API shows it: never a secret.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AppView {
    pub id: String,
    /// The admin's name for the app, or `null` (an extension: shown instead of the client id).
    pub name: Option<String>,
    pub kind: AppKind,
    /// `zoom`, or `zoomgov` for an app of a government account on ZoomGov.
    pub cloud: Cloud,
    pub client_id: String,
    /// The Zoom account of a server-to-server app.
    pub account_id: Option<String>,
    /// Where Zoom sends this app's events: enter it in Zoom's Marketplace.
    pub webhook_url: String,
    /// The link a user follows to connect; `null` for server-to-server apps, which connect
    /// without a user flow.
    pub oauth_start_url: Option<String>,
    pub webhook_last_validation: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When Zoom last refused the app's client secret (`invalid_client`); `null` while it works.
    /// Fix it with a PATCH of `client_secret`: the credentials keep their refresh tokens.
    pub client_secret_refused_at: Option<DateTime<Utc>>,
}

impl AppView {
    pub fn kind_str(&self) -> &'static str {
        self.kind.as_str()
    }

    /// What a person calls the app: its name, else its client id.
    pub fn title(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.client_id)
    }

    pub fn new(row: &AppRow, public_url: &str) -> Self {
        let kind = row.kind;
        Self {
            id: row.id.clone(),
            name: row.name.clone(),
            kind,
            cloud: row.cloud,
            client_id: row.client_id.clone(),
            account_id: row.account_id.clone(),
            webhook_url: urls::webhook_url(public_url, &row.id),
            oauth_start_url: (kind != AppKind::ServerToServer).then(|| urls::oauth_start_url(public_url, &row.id)),
            webhook_last_validation: row.webhook_last_validation.map(utc),
            created_at: utc(row.created_at),
            updated_at: utc(row.updated_at),
            client_secret_refused_at: row.client_secret_refused_at.map(utc),
        }
    }
}

/// What an admin submits. Fields are optional here so that a missing one gets our own clear
/// error rather than a deserializer's.
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApp {
    #[schema(value_type = AppKind)]
    pub kind: Option<String>,
    /// A name for people (an extension): 1 to 100 characters once trimmed; omit it or send
    /// `null` for none.
    #[schema(value_type = Option<String>, min_length = 1, max_length = 100, pattern = r"\S")]
    pub name: Option<String>,
    #[schema(value_type = String, min_length = 1, pattern = r"\S")]
    pub client_id: Option<String>,
    #[schema(value_type = String, format = Password, min_length = 1, pattern = r"\S")]
    pub client_secret: Option<SecretString>,
    /// The "Secret Token" of the app's event subscription.
    #[schema(value_type = String, format = Password, min_length = 1, pattern = r"\S")]
    pub webhook_secret: Option<SecretString>,
    /// The Zoom account (server-to-server apps only).
    pub account_id: Option<String>,
    /// `zoom` (the default) or `zoomgov`: where the app's OAuth and REST calls go. Fixed once
    /// registered.
    #[schema(value_type = Option<Cloud>)]
    pub cloud: Option<String>,
}

/// A PATCH: rename the app and/or rotate its secrets. Absent fields stay as they are.
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateApp {
    /// A new name (an extension), or `null` to remove it; absent: unchanged.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 100, pattern = r"\S")]
    pub name: Option<Option<String>>,
    #[schema(value_type = Option<String>, format = Password, min_length = 1, pattern = r"\S")]
    pub client_secret: Option<SecretString>,
    #[schema(value_type = Option<String>, format = Password, min_length = 1, pattern = r"\S")]
    pub webhook_secret: Option<SecretString>,
}

/// Tells a field sent as `null` (`Some(None)`) from one left out (`None`, by `default`).
fn present<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<Option<String>>, D::Error> {
    <Option<String> as serde::Deserialize>::deserialize(deserializer).map(Some)
}

/// The longest app name, in characters: room for "Recording bots (EU, production)", short
/// enough for a table cell.
pub const MAX_NAME_CHARS: usize = 100;

/// An app's name as it is stored: trimmed, 1 to [`MAX_NAME_CHARS`] characters, no control
/// characters (a NUL would not even fit PostgreSQL's TEXT).
pub fn app_name(value: &str) -> Result<String, AppError> {
    let name = value.trim();
    let length = name.chars().count();
    if length == 0 || length > MAX_NAME_CHARS {
        return Err(AppError::bad_request(
            "invalid_field",
            format!(
                "`name` must be 1 to {MAX_NAME_CHARS} characters once trimmed, not {length}; leave it out for none"
            ),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(AppError::bad_request("invalid_field", "`name` must not contain control characters"));
    }
    Ok(name.to_owned())
}

fn required_text(name: &str, value: Option<&str>) -> Result<String, AppError> {
    match value.map(str::trim) {
        Some(v) if !v.is_empty() => Ok(v.to_owned()),
        _ => Err(AppError::bad_request("invalid_field", format!("`{name}` is required and must not be empty"))),
    }
}

fn required_secret(name: &str, value: Option<&SecretString>) -> Result<SecretString, AppError> {
    required_text(name, value.map(ExposeSecret::expose_secret)).map(SecretString::from)
}

pub async fn create(state: &AppState, input: CreateApp) -> Result<AppView, AppError> {
    let kind_text = required_text("kind", input.kind.as_deref())?;
    let kind = AppKind::parse(&kind_text).ok_or_else(|| {
        AppError::bad_request(
            "invalid_field",
            format!("`kind` must be one of user_level, account_level, server_to_server, not {kind_text:?}"),
        )
    })?;
    let cloud = match input.cloud.as_deref().map(str::trim) {
        None | Some("") => Cloud::Zoom,
        Some(text) => Cloud::parse(text).ok_or_else(|| {
            AppError::bad_request("invalid_field", format!("`cloud` must be zoom or zoomgov, not {text:?}"))
        })?,
    };
    let client_id = required_text("client_id", input.client_id.as_deref())?;
    let name = input.name.as_deref().map(app_name).transpose()?;
    let client_secret = required_secret("client_secret", input.client_secret.as_ref())?;
    let webhook_secret = required_secret("webhook_secret", input.webhook_secret.as_ref())?;
    let account_id = match (kind, input.account_id.as_deref().map(str::trim)) {
        (AppKind::ServerToServer, Some(id)) if !id.is_empty() => Some(id.to_owned()),
        (AppKind::ServerToServer, _) => {
            return Err(AppError::bad_request("invalid_field", "`account_id` is required for server_to_server apps"));
        }
        (_, None) => None,
        (_, Some(_)) => {
            return Err(AppError::bad_request("invalid_field", "`account_id` applies to server_to_server apps only"));
        }
    };

    let id = uuid::Uuid::new_v4().to_string();
    let cipher = &state.settings.secrets.cipher;
    let client_secret = cipher.seal(Field::AppClientSecret, &id, client_secret.expose_secret())?;
    let webhook_secret = cipher.seal(Field::AppWebhookSecret, &id, webhook_secret.expose_secret())?;
    let now = time::now();
    let row = state
        .db
        .write_with(move |conn| {
            apps::insert(
                conn,
                &NewApp {
                    id: &id,
                    kind,
                    client_id: &client_id,
                    client_secret: &client_secret,
                    webhook_secret: &webhook_secret,
                    account_id: account_id.as_deref(),
                    created_at: now,
                    updated_at: now,
                    cloud,
                    name: name.as_deref(),
                },
            )
            .map_err(|e| match e {
                DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                    AppError::Conflict(format!("an app with client_id {client_id:?} is already registered"))
                }
                other => other.into(),
            })?;
            apps::find(conn, &id)?.ok_or_else(|| AppError::Internal(anyhow::anyhow!("inserted app vanished")))
        })
        .await?;
    tracing::info!(app = %row.id, kind = kind.as_str(), "app registered");
    Ok(AppView::new(&row, &state.settings.public_url))
}

pub async fn get(state: &AppState, id: &str) -> Result<AppView, AppError> {
    let id = id.to_owned();
    let row = state.db.read(move |conn| apps::find(conn, &id)).await?;
    row.map(|row| AppView::new(&row, &state.settings.public_url)).ok_or_else(|| AppError::not_found("no such app"))
}

/// One page of apps in creation order; `after` is the previous page's cursor.
pub async fn list(
    state: &AppState,
    after: Option<crate::pagination::Cursor>,
    page_size: i64,
) -> Result<(Vec<AppView>, Option<crate::pagination::Cursor>), AppError> {
    let rows = state
        .db
        .read(move |conn| apps::list(conn, after.map(crate::pagination::Cursor::after_time), page_size + 1))
        .await?;
    Ok(crate::pagination::split_page(rows, page_size, |row| {
        (AppView::new(row, &state.settings.public_url), crate::pagination::Cursor::new(row.created_at, &row.id))
    }))
}

/// Renames the app and/or replaces its client secret and/or webhook secret, in one transaction.
/// The webhook secret being replaced is still accepted for
/// `webhook.previous_secret_grace_seconds`, so Zoom deliveries signed before the admin updated
/// Zoom's side are not lost.
pub async fn update(state: &AppState, id: &str, input: UpdateApp) -> Result<AppView, AppError> {
    let name = input.name.map(|name| name.as_deref().map(app_name).transpose()).transpose()?;
    let client_secret = input.client_secret.as_ref().map(|s| required_secret("client_secret", Some(s))).transpose()?;
    let webhook_secret =
        input.webhook_secret.as_ref().map(|s| required_secret("webhook_secret", Some(s))).transpose()?;
    if name.is_none() && client_secret.is_none() && webhook_secret.is_none() {
        return Err(AppError::bad_request(
            "invalid_field",
            "give `name`, `client_secret` and/or `webhook_secret` to change",
        ));
    }
    let rotates = client_secret.is_some() || webhook_secret.is_some();
    let id = id.to_owned();
    let cipher = state.settings.secrets.cipher.clone();
    let grace = chrono::Duration::from_std(state.settings.webhook_secret_grace).unwrap_or(chrono::Duration::zero());
    let row = state
        .db
        .write_with(move |conn| {
            let row = apps::find(conn, &id)?.ok_or_else(|| AppError::not_found("no such app"))?;
            let now = time::now();
            if let Some(name) = &name {
                apps::set_name(conn, &id, name.as_deref(), now)?;
            }
            if !rotates {
                return apps::find(conn, &id)?.ok_or_else(|| AppError::not_found("no such app"));
            }
            let mut change = SecretsChange { updated_at: Some(now), ..SecretsChange::default() };
            if let Some(secret) = client_secret {
                change.client_secret = Some(cipher.seal(Field::AppClientSecret, &id, secret.expose_secret())?);
                change.client_secret_refused_at = Some(None);
            }
            if let Some(secret) = webhook_secret {
                let old = cipher.open(Field::AppWebhookSecret, &id, &row.webhook_secret)?;
                change.previous_webhook_secret =
                    Some(Some(cipher.seal(Field::AppPreviousWebhookSecret, &id, old.expose_secret())?));
                change.previous_webhook_secret_expires_at = Some(Some(now + grace));
                change.webhook_secret = Some(cipher.seal(Field::AppWebhookSecret, &id, secret.expose_secret())?);
            }
            apps::update_secrets(conn, &id, &change)?;
            apps::find(conn, &id)?.ok_or_else(|| AppError::not_found("no such app"))
        })
        .await?;
    if rotates {
        state.webhook_keys.invalidate(&row.id);
        tracing::info!(app = %row.id, "app secrets rotated");
    } else {
        tracing::info!(app = %row.id, "app renamed");
    }
    Ok(AppView::new(&row, &state.settings.public_url))
}

/// Deletes an app that no longer has credentials (409 otherwise: delete those first, which
/// revokes them at Zoom).
pub async fn delete(state: &AppState, id: &str) -> Result<(), AppError> {
    let id = id.to_owned();
    state
        .db
        .write_with(move |conn| {
            if apps::find(conn, &id)?.is_none() {
                return Err(AppError::not_found("no such app"));
            }
            let credentials = apps::credential_count(conn, &id)?;
            if credentials > 0 {
                return Err(AppError::Conflict(format!(
                    "the app still has {credentials} credential(s); delete them first"
                )));
            }
            apps::delete(conn, &id)?;
            tracing::info!(app = %id, "app deleted");
            Ok(id)
        })
        .await
        .map(|id| state.webhook_keys.invalidate(&id))
}

/// Zoom validated the app's webhook URL (`endpoint.url_validation`) just now.
pub async fn record_validation(state: &AppState, id: &str) -> Result<(), AppError> {
    let id = id.to_owned();
    state.db.write(move |conn| apps::set_webhook_last_validation(conn, &id, time::now()).map(drop)).await?;
    Ok(())
}
