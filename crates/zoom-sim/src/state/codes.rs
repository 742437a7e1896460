//! Authorization codes (docs/zoom.md §2.1): issued at `/oauth/authorize` (or by the control API),
//! single-use, valid 5 minutes, bound to a redirect URI and optionally to a PKCE challenge.

use std::sync::Arc;

use base64::Engine as _;
use chrono::{DateTime, TimeDelta, Utc};
use sha2::{Digest, Sha256};

use super::World;
use super::grants::{GrantKey, Subject, TokenSet, ct_eq};
use crate::control::types::{self, AppKind, GrantKind};
use crate::errors::{ControlError, OAuthError};
use crate::ids;

/// Authorization codes live 5 minutes (docs/zoom.md §2.1).
const CODE_SECS: i64 = 300;

pub enum PkceMethod {
    Plain,
    S256,
}

pub struct AuthCode {
    pub client_id: String,
    pub user_id: String,
    pub redirect_uri: String,
    pub challenge: Option<(String, PkceMethod)>,
    pub expires_at: DateTime<Utc>,
}

/// What `/oauth/authorize` (or the control API) asks a code for.
pub struct CodeRequest<'a> {
    pub client_id: &'a str,
    pub user_id: &'a str,
    pub redirect_uri: &'a str,
    pub code_challenge: Option<&'a str>,
    pub code_challenge_method: Option<&'a str>,
}

/// RFC 7636: 43-128 characters of `[A-Za-z0-9-._~]`.
fn pkce_shaped(s: &str) -> bool {
    (43..=128).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

impl World {
    /// Issues an authorization code as `/oauth/authorize` would, after the same checks.
    pub fn issue_code(&mut self, req: CodeRequest<'_>, now: DateTime<Utc>) -> Result<String, ControlError> {
        let app = self.app(req.client_id)?;
        if app.kind == AppKind::ServerToServer {
            return Err(ControlError::bad_request("server-to-server apps cannot be authorized by a user"));
        }
        if !app.accepts_redirect(req.redirect_uri) {
            return Err(ControlError::bad_request(format!(
                "redirect_uri {:?} is not registered for this app",
                req.redirect_uri
            )));
        }
        let kind = app.kind;
        let user = self.user(req.user_id)?;
        if user.status != types::UserStatus::Active {
            return Err(ControlError::bad_request(format!("user {} is not active", user.id)));
        }
        if kind == AppKind::AccountLevel && !user.is_admin() {
            return Err(ControlError::bad_request("only an account owner or admin can authorize an account-level app"));
        }
        let challenge = match (req.code_challenge, req.code_challenge_method) {
            (None, None) => None,
            (None, Some(_)) => return Err(ControlError::bad_request("code_challenge_method without code_challenge")),
            (Some(c), method) => {
                let method = match method {
                    None | Some("plain") => PkceMethod::Plain,
                    Some("S256") => PkceMethod::S256,
                    Some(other) => {
                        return Err(ControlError::bad_request(format!("unsupported code_challenge_method {other:?}")));
                    }
                };
                if !pkce_shaped(c) {
                    return Err(ControlError::bad_request(
                        "code_challenge must be 43-128 characters of [A-Za-z0-9-._~]",
                    ));
                }
                Some((c.to_owned(), method))
            }
        };
        let code = ids::opaque(32);
        self.codes.insert(
            code.clone(),
            AuthCode {
                client_id: req.client_id.to_owned(),
                user_id: req.user_id.to_owned(),
                redirect_uri: req.redirect_uri.to_owned(),
                challenge,
                expires_at: now + TimeDelta::seconds(CODE_SECS),
            },
        );
        Ok(code)
    }

    /// `grant_type=authorization_code`. The code is consumed by any attempt of its own client,
    /// successful or not.
    pub fn exchange_code(
        &mut self,
        client_id: &str,
        code: &str,
        redirect_uri: Option<&str>,
        verifier: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<TokenSet, OAuthError> {
        match self.codes.get(code) {
            Some(c) if c.client_id == client_id => {}
            _ => return Err(OAuthError::invalid_code()),
        }
        let Some(auth) = self.codes.remove(code) else {
            return Err(OAuthError::invalid_code());
        };
        if now >= auth.expires_at {
            return Err(OAuthError::invalid_code());
        }
        let Some(redirect_uri) = redirect_uri else {
            return Err(OAuthError::invalid_request("Missing redirect_uri"));
        };
        if redirect_uri != auth.redirect_uri {
            return Err(OAuthError::invalid_request("Redirect URI mismatch."));
        }
        match (&auth.challenge, verifier) {
            (None, None) => {}
            (None, Some(_)) => {
                return Err(OAuthError::invalid_request("code_verifier given, but no code_challenge was sent"));
            }
            (Some(_), None) => return Err(OAuthError::invalid_request("Missing code_verifier")),
            (Some((challenge, method)), Some(verifier)) => {
                let computed = match method {
                    PkceMethod::Plain => verifier.to_owned(),
                    PkceMethod::S256 => {
                        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
                    }
                };
                if !pkce_shaped(verifier) || !ct_eq(&computed, challenge) {
                    return Err(OAuthError::new("invalid_grant", "Invalid code_verifier"));
                }
            }
        }
        let (user_id, account_id, is_active) = match self.users.get(&auth.user_id) {
            Some(u) => (u.id.clone(), u.account_id.clone(), u.status == types::UserStatus::Active),
            None => return Err(OAuthError::invalid_code()),
        };
        let app = self.apps.get(client_id).ok_or_else(OAuthError::invalid_client)?;
        if !is_active {
            return Err(OAuthError::invalid_code());
        }
        let kind = app.grant_kind();
        let subject = if kind == GrantKind::AccountLevel {
            Subject::Account(account_id.clone())
        } else {
            Subject::User(user_id.clone())
        };
        let scopes: Arc<[String]> = app.scopes.clone().into();
        let grant_id = self.replace_grant(
            GrantKey { client_id: client_id.to_owned(), subject },
            kind,
            Some(user_id),
            Some(account_id),
            scopes,
            now,
        );
        Ok(self.issue_tokens(&grant_id, true, now))
    }
}
