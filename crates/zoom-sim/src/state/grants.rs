//! OAuth grants and their tokens (docs/zoom.md §2); authorization codes are in `codes.rs`.
//!
//! A grant is one authorization of an app: by a user (user-level), for an account
//! (account-level, server-to-server), or for the app alone (client_credentials). Tokens point at
//! their grant; a token works only while its grant is active, so ending a grant (revoke,
//! re-authorization, user deletion) kills all its tokens at once.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::json;
use subtle::ConstantTimeEq;

use super::World;
use crate::clock::{wall_ms, zoom_time};
use crate::control::types::{self, AppKind, GrantKind, Plan};
use crate::errors::{ApiError, ControlError, OAuthError};
use crate::ids;

/// Access tokens live 3599 s (docs/zoom.md §2.2, as observed).
pub const ACCESS_TOKEN_SECS: i64 = 3599;

#[derive(Clone, PartialEq, Eq, Hash)]
pub enum Subject {
    User(String),
    Account(String),
    App,
}

/// What a grant is current for: re-authorizing replaces the grant under the same key.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct GrantKey {
    pub client_id: String,
    pub subject: Subject,
}

/// The part of a grant that tokens and requests carry around, shared rather than copied.
pub struct GrantRef {
    pub id: String,
    pub client_id: String,
    pub account_id: String,
    pub user_id: Option<Arc<str>>,
}

pub struct Grant {
    pub id: String,
    pub client_id: String,
    /// The authorizing user (none for server-to-server and client_credentials).
    pub user_id: Option<String>,
    pub account_id: Option<String>,
    pub kind: GrantKind,
    pub scopes: Arc<[String]>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub seq: u64,
    pub shared: Arc<GrantRef>,
    /// How many refresh tokens this grant has issued, and when (wall clock) the newest was:
    /// what `/_sim/refresh-tokens/check` reports.
    pub refresh_generation: u64,
    pub refresh_issued_wall: Option<DateTime<Utc>>,
    /// Access tokens issued before this epoch are dead: a refresh raises it when
    /// `refresh_ends_access_token` is on (docs/zoom.md §2.3).
    pub access_epoch: u64,
    /// The `app_deauthorized` this grant's end announced, so that sending it again repeats it.
    pub deauthorization: Option<Deauthorization>,
}

/// One deauthorization as `app_deauthorized` tells it.
#[derive(Clone)]
pub struct Deauthorization {
    /// RFC 3339, wall clock (the receiving daemon compares it with its own clock).
    pub time: String,
    pub event_ts: i64,
    /// "A unique ID for each instance of app deauthorization" (docs/zoom.md §1.5).
    pub signature: String,
}

impl Deauthorization {
    fn now() -> Self {
        Self {
            time: Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            event_ts: wall_ms(),
            signature: ids::hex_secret(32),
        }
    }
}

impl Grant {
    pub fn view(&self) -> types::Grant {
        types::Grant {
            id: self.id.clone(),
            client_id: self.client_id.clone(),
            user_id: self.user_id.clone(),
            account_id: self.account_id.clone(),
            kind: self.kind,
            scopes: self.scopes.to_vec(),
            active: self.active,
            created_at: zoom_time(self.created_at),
        }
    }
}

pub struct AccessToken {
    pub grant_id: String,
    pub expires_at: DateTime<Utc>,
    /// The grant's `access_epoch` when issued.
    pub epoch: u64,
}

pub struct RefreshToken {
    pub grant_id: String,
    pub client_id: String,
    pub expires_at: DateTime<Utc>,
    /// Which of the grant's refresh tokens this is (1 for the first).
    pub generation: u64,
}

/// What `/oauth/token` hands out.
pub struct TokenSet {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub scope: String,
}

/// The authenticated side of a REST call.
#[derive(Clone)]
pub struct Caller {
    pub grant: Arc<GrantRef>,
    pub kind: GrantKind,
    pub plan: Plan,
    pub scopes: Arc<[String]>,
}

impl Caller {
    pub fn is_user_level(&self) -> bool {
        self.kind == GrantKind::UserLevel
    }

    /// The authorizing user (none for server-to-server grants).
    pub fn user_id(&self) -> Option<&str> {
        self.grant.user_id.as_deref()
    }

    pub fn account_id(&self) -> &str {
        &self.grant.account_id
    }
}

pub(super) fn ct_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

impl World {
    pub fn active_grant_for_user(&self, client_id: &str, user_id: &str) -> Option<&Grant> {
        self.current(client_id, Subject::User(user_id.to_owned()))
    }

    pub fn active_grant_for_account(&self, client_id: &str, account_id: &str) -> Option<&Grant> {
        self.current(client_id, Subject::Account(account_id.to_owned()))
    }

    fn current(&self, client_id: &str, subject: Subject) -> Option<&Grant> {
        let key = GrantKey { client_id: client_id.to_owned(), subject };
        self.current_grant.get(&key).and_then(|id| self.grants.get(id)).filter(|g| g.active)
    }

    /// Checks the client's secret (constant time).
    pub fn authenticate_client(&self, client_id: &str, secret: &str) -> Result<AppKind, OAuthError> {
        match self.apps.get(client_id) {
            Some(app) if ct_eq(&app.client_secret, secret) => Ok(app.kind),
            _ => Err(OAuthError::invalid_client()),
        }
    }

    /// Makes a new grant current under `key`, ending the previous one and all its tokens
    /// (docs/zoom.md §2.3, error 4741).
    pub(super) fn replace_grant(
        &mut self,
        key: GrantKey,
        kind: GrantKind,
        user_id: Option<String>,
        account_id: Option<String>,
        scopes: Arc<[String]>,
        now: DateTime<Utc>,
    ) -> String {
        if let Some(old) = self.current_grant.get(&key).and_then(|id| self.grants.get_mut(id)) {
            old.active = false;
        }
        let id = loop {
            let id = ids::entity_id();
            if !self.grants.contains_key(&id) {
                break id;
            }
        };
        let seq = self.next_seq();
        let shared = Arc::new(GrantRef {
            id: id.clone(),
            client_id: key.client_id.clone(),
            account_id: account_id.clone().unwrap_or_default(),
            user_id: user_id.as_deref().map(Arc::from),
        });
        let grant = Grant {
            seq,
            shared,
            id: id.clone(),
            client_id: key.client_id.clone(),
            user_id,
            account_id,
            kind,
            scopes,
            active: true,
            created_at: now,
            refresh_generation: 0,
            refresh_issued_wall: None,
            access_epoch: 0,
            deauthorization: None,
        };
        self.grants.insert(id.clone(), grant);
        self.current_grant.insert(key, id.clone());
        id
    }

    pub(super) fn issue_tokens(&mut self, grant_id: &str, with_refresh: bool, now: DateTime<Utc>) -> TokenSet {
        let (client_id, scope, epoch) = match self.grants.get(grant_id) {
            Some(g) => (g.client_id.clone(), g.scopes.join(" "), g.access_epoch),
            None => (String::new(), String::new(), 0),
        };
        let access_token = ids::bearer_token();
        self.access_tokens.insert(
            access_token.clone(),
            AccessToken {
                grant_id: grant_id.to_owned(),
                expires_at: now + TimeDelta::seconds(ACCESS_TOKEN_SECS),
                epoch,
            },
        );
        let refresh_token = with_refresh.then(|| {
            let token = ids::bearer_token();
            let generation = match self.grants.get_mut(grant_id) {
                Some(grant) => {
                    grant.refresh_generation += 1;
                    grant.refresh_issued_wall = Some(Utc::now());
                    grant.refresh_generation
                }
                None => 0,
            };
            self.refresh_tokens.insert(
                token.clone(),
                RefreshToken {
                    grant_id: grant_id.to_owned(),
                    client_id,
                    expires_at: now.checked_add_signed(self.refresh_ttl).unwrap_or(DateTime::<Utc>::MAX_UTC),
                    generation,
                },
            );
            token
        });
        TokenSet { access_token, refresh_token, scope }
    }

    /// `grant_type=refresh_token`: strict rotation, the presented token dies at once; with
    /// `end_old_access`, so do the access tokens the grant handed out before.
    pub fn refresh(
        &mut self,
        client_id: &str,
        token: &str,
        end_old_access: bool,
        now: DateTime<Utc>,
    ) -> Result<TokenSet, OAuthError> {
        match self.refresh_tokens.get(token) {
            Some(rt) if rt.client_id == client_id => {}
            _ => return Err(OAuthError::invalid_refresh()),
        }
        let Some(rt) = self.refresh_tokens.remove(token) else {
            return Err(OAuthError::invalid_refresh());
        };
        self.retired_refresh_tokens.insert(token.to_owned(), (rt.grant_id.clone(), rt.generation));
        let active = self.grants.get(&rt.grant_id).is_some_and(|g| g.active);
        if !active || now >= rt.expires_at {
            return Err(OAuthError::invalid_refresh());
        }
        if end_old_access && let Some(grant) = self.grants.get_mut(&rt.grant_id) {
            grant.access_epoch += 1;
        }
        Ok(self.issue_tokens(&rt.grant_id, true, now))
    }

    /// Whether `token` is its grant's current refresh token, without using it up.
    pub fn check_refresh_token(&self, token: &str) -> types::RefreshCheck {
        let (state, grant_id, generation) =
            match (self.refresh_tokens.get(token), self.retired_refresh_tokens.get(token)) {
                (Some(rt), _) => {
                    let active = self.grants.get(&rt.grant_id).is_some_and(|g| g.active);
                    let state = if active { types::RefreshState::Current } else { types::RefreshState::Revoked };
                    (state, Some(rt.grant_id.clone()), Some(rt.generation))
                }
                (None, Some((grant_id, generation))) => {
                    (types::RefreshState::Superseded, Some(grant_id.clone()), Some(*generation))
                }
                (None, None) => (types::RefreshState::Unknown, None, None),
            };
        let grant = grant_id.as_ref().and_then(|id| self.grants.get(id));
        types::RefreshCheck {
            state,
            grant_id,
            generation,
            current_generation: grant.map(|g| g.refresh_generation),
            current_issued_at: grant
                .and_then(|g| g.refresh_issued_wall)
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
        }
    }

    /// `grant_type=account_credentials` (server-to-server apps; no refresh token).
    pub fn account_credentials(
        &mut self,
        client_id: &str,
        account_id: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<TokenSet, OAuthError> {
        let app = self.apps.get(client_id).ok_or_else(OAuthError::invalid_client)?;
        if app.kind != AppKind::ServerToServer {
            return Err(OAuthError::new("unsupported_grant_type", "unsupported grant type"));
        }
        let Some(account_id) = account_id else {
            return Err(OAuthError::invalid_request("Missing account_id"));
        };
        if app.account_id.as_deref() != Some(account_id) {
            return Err(OAuthError::invalid_request("Invalid account_id"));
        }
        let scopes: Arc<[String]> = app.scopes.clone().into();
        let key = GrantKey { client_id: client_id.to_owned(), subject: Subject::Account(account_id.to_owned()) };
        let grant_id = match self.current_grant.get(&key).and_then(|id| self.grants.get_mut(id)) {
            Some(g) if g.active => {
                // Several tokens may be valid at once; each carries the app's current scopes.
                g.scopes = scopes;
                g.id.clone()
            }
            _ => self.replace_grant(key, GrantKind::ServerToServer, None, Some(account_id.to_owned()), scopes, now),
        };
        Ok(self.issue_tokens(&grant_id, false, now))
    }

    /// `grant_type=client_credentials`: an app-only token (no REST endpoint here accepts it).
    pub fn client_credentials(&mut self, client_id: &str, now: DateTime<Utc>) -> Result<TokenSet, OAuthError> {
        let app = self.apps.get(client_id).ok_or_else(OAuthError::invalid_client)?;
        let scopes: Arc<[String]> = app.scopes.clone().into();
        let account_id = app.account_id.clone();
        let key = GrantKey { client_id: client_id.to_owned(), subject: Subject::App };
        let grant_id = match self.current_grant.get(&key).and_then(|id| self.grants.get(id)) {
            Some(g) if g.active => g.id.clone(),
            _ => self.replace_grant(key, GrantKind::ClientCredentials, None, account_id, scopes, now),
        };
        Ok(self.issue_tokens(&grant_id, false, now))
    }

    /// `/oauth/revoke`: ends the grant behind an access or refresh token of this client.
    pub fn revoke_token(&mut self, client_id: &str, token: &str) -> Result<(), OAuthError> {
        let grant_id = self
            .access_tokens
            .get(token)
            .map(|t| t.grant_id.clone())
            .or_else(|| self.refresh_tokens.get(token).map(|t| t.grant_id.clone()));
        let grant = grant_id.as_deref().and_then(|id| self.grants.get(id));
        match grant {
            Some(g) if g.client_id == client_id && g.active => {
                let id = g.id.clone();
                self.end_grant(&id, true, Deauthorization::now());
                Ok(())
            }
            _ => Err(OAuthError::invalid_request("Invalid Token!")),
        }
    }

    /// Ends a grant from the control API; `notify` sends `app_deauthorized`, whose times the
    /// caller may choose (a late event's `deauthorization_time` lies in the past).
    pub fn revoke_grant(&mut self, grant_id: &str, req: &types::RevokeGrant) -> Result<types::Grant, ControlError> {
        if !self.grants.contains_key(grant_id) {
            return Err(ControlError::not_found(format!("no grant {grant_id}")));
        }
        let deauthorization =
            deauthorization_from(Deauthorization::now(), req.deauthorization_time.as_deref(), req.event_ts, None)?;
        self.end_grant(grant_id, req.notify.unwrap_or(true), deauthorization);
        self.grants.get(grant_id).map(Grant::view).ok_or_else(|| ControlError::not_found("grant vanished"))
    }

    /// Sends `app_deauthorized` for a grant again, or late, leaving the grant as it is: Zoom
    /// has been seen sending it late and twice (docs/zoom.md §1.4). By default it repeats the
    /// grant's own deauthorization (same time, `event_ts` and signature).
    pub fn send_app_deauthorized(
        &mut self,
        grant_id: &str,
        req: &types::AppDeauthorized,
    ) -> Result<types::DeauthorizationSent, ControlError> {
        let grant = self.grants.get(grant_id).ok_or_else(|| ControlError::not_found(format!("no grant {grant_id}")))?;
        let base = grant.deauthorization.clone().unwrap_or_else(Deauthorization::now);
        let deauthorization =
            deauthorization_from(base, req.deauthorization_time.as_deref(), req.event_ts, req.signature.as_deref())?;
        let payload = deauthorized_payload(grant, &deauthorization);
        let client_id = grant.client_id.clone();
        let sent = self.emit_to_app("app_deauthorized", &client_id, payload.clone());
        Ok(types::DeauthorizationSent { sent, payload })
    }

    /// Deactivates a grant and records how it ended; `notify` sends `app_deauthorized` to its
    /// app (docs/zoom.md §1.5) if the grant was still active.
    fn end_grant(&mut self, grant_id: &str, notify: bool, deauthorization: Deauthorization) {
        let Some(grant) = self.grants.get_mut(grant_id) else {
            return;
        };
        let was_active = grant.active;
        grant.active = false;
        if !was_active {
            return;
        }
        grant.deauthorization = Some(deauthorization.clone());
        if !notify {
            return;
        }
        let payload = deauthorized_payload(grant, &deauthorization);
        let client_id = grant.client_id.clone();
        self.emit_to_app("app_deauthorized", &client_id, payload);
    }

    /// Resolves a bearer token for the REST API.
    pub fn authenticate(&self, token: &str, now: DateTime<Utc>) -> Result<Caller, ApiError> {
        let at = self.access_tokens.get(token).ok_or_else(ApiError::invalid_token)?;
        let grant = self
            .grants
            .get(&at.grant_id)
            .filter(|g| g.active && at.epoch >= g.access_epoch)
            .ok_or_else(ApiError::invalid_token)?;
        if now >= at.expires_at {
            return Err(ApiError::expired_token());
        }
        if grant.kind == GrantKind::ClientCredentials {
            return Err(ApiError::not_me());
        }
        let plan = self.accounts.get(&grant.shared.account_id).map(|a| a.plan).ok_or_else(ApiError::invalid_token)?;
        Ok(Caller { grant: grant.shared.clone(), kind: grant.kind, plan, scopes: grant.scopes.clone() })
    }

    pub fn grants_view(&self, client_id: Option<&str>, user_id: Option<&str>) -> Vec<types::Grant> {
        let mut list: Vec<&Grant> = self
            .grants
            .values()
            .filter(|g| client_id.is_none_or(|c| g.client_id == c))
            .filter(|g| user_id.is_none_or(|u| g.user_id.as_deref() == Some(u)))
            .collect();
        list.sort_by_key(|g| g.seq);
        list.into_iter().map(Grant::view).collect()
    }
}

/// `base` with the caller's choices applied; a `deauthorization_time` must be RFC 3339 and is
/// sent as given.
fn deauthorization_from(
    base: Deauthorization,
    time: Option<&str>,
    event_ts: Option<i64>,
    signature: Option<&str>,
) -> Result<Deauthorization, ControlError> {
    if let Some(time) = time {
        super::parse_time("deauthorization_time", time)?;
    }
    Ok(Deauthorization {
        time: time.map_or(base.time, str::to_owned),
        event_ts: event_ts.unwrap_or(base.event_ts),
        signature: signature.map_or(base.signature, str::to_owned),
    })
}

/// The payload of `app_deauthorized` (docs/zoom.md §1.5; its `event_ts` sits in here).
fn deauthorized_payload(grant: &Grant, d: &Deauthorization) -> serde_json::Value {
    json!({
        "account_id": grant.account_id.clone().unwrap_or_default(),
        "user_id": grant.user_id.clone().unwrap_or_default(),
        "signature": d.signature,
        "deauthorization_time": d.time,
        "client_id": grant.client_id,
        "event_ts": d.event_ts,
    })
}
