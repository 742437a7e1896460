//! Marketplace apps: credentials, kind, scopes, redirect URIs, webhook subscription, and the
//! user who auto-consents at `/oauth/authorize`.

use chrono::{DateTime, Utc};

use super::{World, check_id};
use crate::clock::zoom_time;
use crate::control::types::{self, AppKind, AppPatch, GrantKind, NewApp};
use crate::errors::ControlError;
use crate::ids;

/// The granular scopes a user-managed app gets by default (docs/zoom.md §3.2 table).
pub const USER_SCOPES: &[&str] = &[
    "user:read:user",
    "user:read:token",
    "user:read:zak",
    "meeting:read:meeting",
    "meeting:read:list_meetings",
    "meeting:read:local_recording_token",
    "webinar:read:list_webinars",
    "webinar:read:webinar",
    "webinar:read:local_recording_token",
];

/// The `:admin` variants, for account-level and server-to-server apps.
pub const ADMIN_SCOPES: &[&str] = &[
    "user:read:user:admin",
    "user:read:list_users:admin",
    "user:read:token:admin",
    "user:read:zak:admin",
    "meeting:read:meeting:admin",
    "meeting:read:list_meetings:admin",
    "meeting:read:local_recording_token:admin",
    "webinar:read:list_webinars:admin",
    "webinar:read:webinar:admin",
    "webinar:read:local_recording_token:admin",
];

#[derive(Clone)]
pub struct Subscription {
    pub url: String,
    pub secret_token: String,
    pub enabled: bool,
}

pub struct App {
    pub client_id: String,
    pub client_secret: String,
    pub kind: AppKind,
    /// Server-to-server apps only.
    pub account_id: Option<String>,
    pub scopes: Vec<String>,
    /// `None`: any redirect URI is accepted.
    pub redirect_uris: Option<Vec<String>>,
    pub webhook: Option<Subscription>,
    pub authorizer: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl App {
    pub fn view(&self) -> types::App {
        types::App {
            client_id: self.client_id.clone(),
            client_secret: self.client_secret.clone(),
            kind: self.kind,
            account_id: self.account_id.clone(),
            scopes: self.scopes.clone(),
            redirect_uris: self.redirect_uris.clone(),
            webhook: self.webhook.as_ref().map(|w| types::Webhook {
                url: w.url.clone(),
                secret_token: w.secret_token.clone(),
                enabled: w.enabled,
            }),
            authorizer: self.authorizer.clone(),
            created_at: zoom_time(self.created_at),
        }
    }

    pub fn grant_kind(&self) -> GrantKind {
        match self.kind {
            AppKind::UserLevel => GrantKind::UserLevel,
            AppKind::AccountLevel => GrantKind::AccountLevel,
            AppKind::ServerToServer => GrantKind::ServerToServer,
        }
    }

    /// Whether an event about `subjects` in `account_id` reaches this app: a user-level app
    /// hears about users holding an active grant for it, an account-level app about accounts
    /// that installed it, a server-to-server app about its own account.
    pub fn hears_about(&self, world: &World, account_id: &str, subjects: &[&str]) -> bool {
        match self.kind {
            AppKind::ServerToServer => self.account_id.as_deref() == Some(account_id),
            AppKind::AccountLevel => world.active_grant_for_account(&self.client_id, account_id).is_some(),
            AppKind::UserLevel => subjects.iter().any(|u| world.active_grant_for_user(&self.client_id, u).is_some()),
        }
    }

    pub fn accepts_redirect(&self, uri: &str) -> bool {
        self.redirect_uris.as_ref().is_none_or(|list| list.iter().any(|u| u == uri))
    }
}

fn check_scopes(scopes: &[String]) -> Result<(), ControlError> {
    let ok = scopes.iter().all(|s| !s.is_empty() && s.len() <= 128 && !s.contains(char::is_whitespace));
    if ok { Ok(()) } else { Err(ControlError::bad_request("scopes must be non-empty strings without spaces")) }
}

fn check_redirects(uris: &[String]) -> Result<(), ControlError> {
    for uri in uris {
        url::Url::parse(uri).map_err(|_| ControlError::bad_request(format!("redirect_uri {uri:?} is not a URL")))?;
    }
    Ok(())
}

/// Webhook URLs must be absolute http(s) URLs (Zoom demands https; the simulator allows http so
/// tests can use loopback receivers).
pub fn check_webhook_url(url: &str) -> Result<(), ControlError> {
    match url::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(()),
        _ => Err(ControlError::bad_request(format!("webhook url {url:?} is not an http(s) URL"))),
    }
}

impl World {
    pub fn app(&self, client_id: &str) -> Result<&App, ControlError> {
        self.apps.get(client_id).ok_or_else(|| ControlError::not_found(format!("no app {client_id}")))
    }

    /// Checks a new app (without its webhook, which the caller validates over HTTP first) and
    /// returns the client id it will get.
    pub fn check_new_app(&self, req: &NewApp) -> Result<String, ControlError> {
        match (req.kind, &req.account_id) {
            (AppKind::ServerToServer, None) => {
                return Err(ControlError::bad_request("account_id is required for server_to_server apps"));
            }
            (AppKind::ServerToServer, Some(account)) => {
                self.account(account)?;
            }
            (_, Some(_)) => {
                return Err(ControlError::bad_request("account_id is only for server_to_server apps"));
            }
            (_, None) => {}
        }
        if let Some(scopes) = &req.scopes {
            check_scopes(scopes)?;
        }
        if let Some(uris) = &req.redirect_uris {
            check_redirects(uris)?;
        }
        if let Some(secret) = &req.client_secret
            && secret.is_empty()
        {
            return Err(ControlError::bad_request("client_secret must not be empty"));
        }
        if let Some(hook) = &req.webhook {
            check_webhook_url(&hook.url)?;
            if hook.secret_token.is_empty() {
                return Err(ControlError::bad_request("webhook secret_token must not be empty"));
            }
        }
        match &req.client_id {
            Some(id) => {
                check_id("client", id)?;
                if self.apps.contains_key(id) {
                    return Err(ControlError::conflict(format!("app {id} exists")));
                }
                Ok(id.clone())
            }
            None => Ok(loop {
                let id = ids::url_safe(22);
                if !self.apps.contains_key(&id) {
                    break id;
                }
            }),
        }
    }

    pub fn create_app(&mut self, client_id: String, req: NewApp, now: DateTime<Utc>) -> Result<&App, ControlError> {
        if self.apps.contains_key(&client_id) {
            return Err(ControlError::conflict(format!("app {client_id} exists")));
        }
        let defaults = if req.kind == AppKind::UserLevel { USER_SCOPES } else { ADMIN_SCOPES };
        let app = App {
            client_id: client_id.clone(),
            client_secret: req.client_secret.unwrap_or_else(|| ids::alnum(32)),
            kind: req.kind,
            account_id: req.account_id,
            scopes: req.scopes.unwrap_or_else(|| defaults.iter().map(|s| (*s).to_owned()).collect()),
            redirect_uris: req.redirect_uris,
            webhook: req.webhook.map(|w| Subscription {
                url: w.url,
                secret_token: w.secret_token,
                enabled: w.enabled.unwrap_or(true),
            }),
            authorizer: None,
            created_at: now,
        };
        Ok(self.apps.entry(client_id).or_insert(app))
    }

    /// The subscription `patch` would leave, and whether its URL (or secret) changed so that it
    /// must be validated first. Checks everything else in `patch`.
    pub fn plan_app_patch(
        &self,
        client_id: &str,
        patch: &AppPatch,
    ) -> Result<(Option<Subscription>, bool), ControlError> {
        let app = self.app(client_id)?;
        if let Some(scopes) = &patch.scopes {
            check_scopes(scopes)?;
        }
        if let Some(uris) = &patch.redirect_uris {
            check_redirects(uris)?;
        }
        let Some(hook) = &patch.webhook else {
            return Ok((app.webhook.clone(), false));
        };
        let current = app.webhook.clone();
        let url = hook.url.clone().or_else(|| current.as_ref().map(|c| c.url.clone()));
        let secret = hook.secret_token.clone().or_else(|| current.as_ref().map(|c| c.secret_token.clone()));
        let (Some(url), Some(secret_token)) = (url, secret) else {
            return Err(ControlError::bad_request("a new webhook needs both url and secret_token"));
        };
        check_webhook_url(&url)?;
        if secret_token.is_empty() {
            return Err(ControlError::bad_request("webhook secret_token must not be empty"));
        }
        let enabled = hook.enabled.or(current.as_ref().map(|c| c.enabled)).unwrap_or(true);
        let must_validate = current.as_ref().is_none_or(|c| c.url != url || c.secret_token != secret_token);
        Ok((Some(Subscription { url, secret_token, enabled }), must_validate))
    }

    pub fn apply_app_patch(
        &mut self,
        client_id: &str,
        patch: AppPatch,
        webhook: Option<Subscription>,
    ) -> Result<&App, ControlError> {
        let app = self.apps.get_mut(client_id).ok_or_else(|| ControlError::not_found(format!("no app {client_id}")))?;
        if let Some(scopes) = patch.scopes {
            app.scopes = scopes;
        }
        if let Some(uris) = patch.redirect_uris {
            app.redirect_uris = Some(uris);
        }
        app.webhook = webhook;
        Ok(app)
    }

    /// Deletes an app; its grants end (no `app_deauthorized`: the app is gone).
    pub fn delete_app(&mut self, client_id: &str) -> Result<(), ControlError> {
        self.apps.remove(client_id).ok_or_else(|| ControlError::not_found(format!("no app {client_id}")))?;
        for grant in self.grants.values_mut() {
            if grant.client_id == client_id {
                grant.active = false;
            }
        }
        self.current_grant.retain(|key, _| key.client_id != client_id);
        Ok(())
    }

    pub fn set_authorizer(&mut self, client_id: &str, user_id: Option<String>) -> Result<&App, ControlError> {
        if let Some(user_id) = &user_id {
            self.user(user_id)?;
        }
        let app = self.apps.get_mut(client_id).ok_or_else(|| ControlError::not_found(format!("no app {client_id}")))?;
        app.authorizer = user_id;
        Ok(app)
    }
}
