//! Console sign-in: the admin token buys a session cookie, and every form carries a CSRF token
//! bound to that session.
//!
//! The session is a signed, expiring cookie (`v1.<expiry>.<nonce>.<mac>`), keyed by a key derived
//! from the admin token: any replica accepts it with no session store, and changing the admin
//! token signs everyone out. The cookie is HttpOnly, SameSite=Strict, scoped to `/console`, and
//! Secure when `server.public_url` is https. The CSRF token is a MAC of the session's nonce: a
//! form posted without it, or with another session's, is refused.
//!
//! A signed cookie cannot be taken back, so signing out also records the session's nonce (with
//! its expiry) in the shared `console_signouts` table, and every replica refuses a session listed
//! there: a copy of the cookie made before signing out stops working at once, not 8 hours later.
//! That is the only lookup a session costs, one row by primary key; housekeeping deletes a row
//! once its session would have expired anyway. When the database cannot answer, the session is
//! refused with a 503 (fail closed), never let through unchecked.

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::{FromRequest, HttpMessage as _, HttpRequest, dev::Payload, web};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::RngCore as _;
use secrecy::ExposeSecret;
use sha2::Sha256;

use crate::db::DbError;
use crate::db::models::console_signouts;
use crate::services::AppState;

pub const SESSION_COOKIE: &str = "zoomsync_session";
/// A pre-sign-in cookie whose value the login form must echo (login CSRF).
pub const LOGIN_COOKIE: &str = "zoomsync_login";
const LIFETIME_SECONDS: i64 = 8 * 3600;

fn key(state: &AppState) -> Vec<u8> {
    mac_bytes(state.settings.secrets.admin_token.expose_secret().as_bytes(), b"zoomsync console session key v1")
}

fn mac_bytes(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC takes any key"));
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn verify_mac(key: &[u8], data: &[u8], expected: &[u8]) -> bool {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC takes any key"));
    mac.update(data);
    mac.verify_slice(expected).is_ok()
}

fn random() -> String {
    let mut bytes = [0u8; 18];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn secure(state: &AppState) -> bool {
    crate::urls::is_https(&state.settings.public_url)
}

/// A signed-in admin, with the CSRF token for the forms of the page.
#[derive(Clone)]
pub struct Session {
    pub csrf: String,
    /// The cookie's nonce and expiry: what signing out records.
    nonce: String,
    expires_at: chrono::NaiveDateTime,
}

impl Session {
    /// True when `presented` is this session's CSRF token.
    pub fn csrf_ok(&self, presented: &str) -> bool {
        crate::crypto::secrets_equal(presented, &self.csrf)
    }
}

/// The session cookie for a new sign-in.
pub fn start(state: &AppState) -> Cookie<'static> {
    let expires = chrono::Utc::now().timestamp() + LIFETIME_SECONDS;
    let payload = format!("v1.{expires}.{}", random());
    let mac = URL_SAFE_NO_PAD.encode(mac_bytes(&key(state), payload.as_bytes()));
    Cookie::build(SESSION_COOKIE, format!("{payload}.{mac}"))
        .path("/console")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure(state))
        .max_age(CookieDuration::seconds(LIFETIME_SECONDS))
        .finish()
}

/// Ends `session` on every replica: its nonce is recorded as signed out until the cookie would
/// have expired. Clearing the browser's cookie alone would leave any copy of it working.
pub async fn sign_out(state: &AppState, session: &Session) -> Result<(), DbError> {
    let (nonce, expires_at) = (session.nonce.clone(), session.expires_at);
    state.db.write(move |conn| console_signouts::record(conn, &nonce, expires_at, crate::time::now())).await
}

/// A cookie that clears the session.
pub fn end(state: &AppState) -> Cookie<'static> {
    let mut cookie = Cookie::build(SESSION_COOKIE, "").path("/console").http_only(true).secure(secure(state)).finish();
    cookie.make_removal();
    cookie
}

/// The login form's anti-CSRF value and its cookie.
pub fn login_nonce(state: &AppState) -> (String, Cookie<'static>) {
    let nonce = random();
    let cookie = Cookie::build(LOGIN_COOKIE, nonce.clone())
        .path("/console")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure(state))
        .max_age(CookieDuration::minutes(30))
        .finish();
    (nonce, cookie)
}

pub fn login_nonce_ok(request: &HttpRequest, presented: &str) -> bool {
    request
        .cookie(LOGIN_COOKIE)
        .is_some_and(|c| !presented.is_empty() && crate::crypto::secrets_equal(c.value(), presented))
}

/// The session a cookie carries, if it is signed with this admin token and not expired (whether
/// it was signed out of is the database's to say).
fn parse(state: &AppState, value: &str) -> Option<Session> {
    let mut parts = value.rsplitn(2, '.');
    let mac = URL_SAFE_NO_PAD.decode(parts.next()?).ok()?;
    let payload = parts.next()?;
    let key = key(state);
    if !verify_mac(&key, payload.as_bytes(), &mac) {
        return None;
    }
    let mut fields = payload.split('.');
    let (Some("v1"), Some(expires), Some(nonce)) = (fields.next(), fields.next(), fields.next()) else { return None };
    let expires = expires.parse::<i64>().ok()?;
    if expires < chrono::Utc::now().timestamp() {
        return None;
    }
    let expires_at = chrono::DateTime::from_timestamp(expires, 0)?.naive_utc();
    let csrf = URL_SAFE_NO_PAD.encode(mac_bytes(&key, format!("csrf.{nonce}").as_bytes()));
    Some(Session { csrf, nonce: nonce.to_owned(), expires_at })
}

/// Why a request has no session.
#[derive(Debug)]
pub enum NoSession {
    /// No cookie, or one forged, expired or signed out of: the console redirects to its sign-in
    /// page.
    SignInFirst,
    /// The database could not say whether the session was signed out of. Refused (a 503), since
    /// letting it through would let a signed-out cookie in whenever the database falters.
    Unchecked,
}

impl std::fmt::Display for NoSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::SignInFirst => "sign in first",
            Self::Unchecked => "the session could not be checked: the database is unavailable",
        })
    }
}

impl actix_web::ResponseError for NoSession {
    fn status_code(&self) -> actix_web::http::StatusCode {
        match self {
            Self::SignInFirst => actix_web::http::StatusCode::SEE_OTHER,
            Self::Unchecked => actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> actix_web::HttpResponse {
        match self {
            Self::SignInFirst => {
                actix_web::HttpResponse::SeeOther().insert_header(("location", "/console/login")).finish()
            }
            Self::Unchecked => super::unavailable(
                "The database is unavailable, so zoomsync cannot check that this session is still signed in. Try again in a few seconds.",
            ),
        }
    }
}

/// A form posted by a signed-in admin, its CSRF token already checked. Every console form
/// handler takes its form this way, so no handler can forget the check.
pub struct Posted<T>(pub T);

/// A console form: each carries the CSRF token of the page that rendered it.
pub trait CarriesCsrf {
    fn csrf(&self) -> &str;
}

/// A form posted without its session's CSRF token.
#[derive(Debug)]
pub struct CsrfRefused;

impl std::fmt::Display for CsrfRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the form's CSRF token is missing or wrong")
    }
}

impl actix_web::ResponseError for CsrfRefused {
    fn status_code(&self) -> actix_web::http::StatusCode {
        actix_web::http::StatusCode::FORBIDDEN
    }

    fn error_response(&self) -> actix_web::HttpResponse {
        super::forbidden()
    }
}

impl<T: serde::de::DeserializeOwned + CarriesCsrf + 'static> FromRequest for Posted<T> {
    type Error = actix_web::Error;
    type Future = futures_util::future::LocalBoxFuture<'static, Result<Self, actix_web::Error>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let session = Session::from_request(request, payload);
        let form = web::Form::<T>::from_request(request, payload);
        Box::pin(async move {
            let session = session.await?;
            let form = form.await?.into_inner();
            if !session.csrf_ok(form.csrf()) {
                return Err(CsrfRefused.into());
            }
            Ok(Posted(form))
        })
    }
}

impl FromRequest for Session {
    type Error = NoSession;
    type Future = futures_util::future::LocalBoxFuture<'static, Result<Self, NoSession>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let request = request.clone();
        Box::pin(async move {
            // A handler that takes the session and a posted form extracts it twice: one lookup.
            if let Some(session) = request.extensions().get::<Session>() {
                return Ok(session.clone());
            }
            let state = request.app_data::<web::Data<AppState>>().ok_or(NoSession::SignInFirst)?.clone();
            let cookie = request.cookie(SESSION_COOKIE).ok_or(NoSession::SignInFirst)?;
            let session = parse(&state, cookie.value()).ok_or(NoSession::SignInFirst)?;
            let nonce = session.nonce.clone();
            match state.db.read(move |conn| console_signouts::signed_out(conn, &nonce)).await {
                Ok(false) => {}
                Ok(true) => return Err(NoSession::SignInFirst),
                Err(e) => {
                    tracing::warn!(error = %e, "could not check whether a console session was signed out; refusing it");
                    return Err(NoSession::Unchecked);
                }
            }
            request.extensions_mut().insert(session.clone());
            Ok(session)
        })
    }
}
