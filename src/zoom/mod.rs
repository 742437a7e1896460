//! The Zoom client: OAuth (`<oauth_base>/oauth/*`) and REST (`<api_base>/*`) calls, each with a
//! timeout, answers sorted into [`ZoomError`]. No retries here: callers decide, because a bot
//! waiting for a token and a backfill have different budgets.
//!
//! Tokens travel only in headers and form bodies, never in URLs, and reqwest errors are stripped
//! of their URL before they are kept, so nothing here can leak a token into a log.

mod error;
pub mod retry;
pub mod types;

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{RequestBuilder, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;

pub use error::ZoomError;
use types::{Meeting, MeetingsPage, MintedToken, TokenResponse, User, UsersPage};

use crate::config::ZoomSettings;
use crate::db::models::apps::Cloud;
use crate::db::models::mappings::MeetingKind;
use crate::metrics::{Metrics, ZoomEndpoint as Endpoint};

/// One Zoom call may take this long before it counts as "Zoom unreachable". A bot's request
/// makes at most a few calls in sequence, inside its own overall deadline.
const CALL_TIMEOUT: Duration = Duration::from_secs(5);
/// The token endpoint gets longer: a refresh that Zoom completes slowly has rotated the refresh
/// token all the same, and an answer given up on is a refresh token lost (docs/zoom.md §7).
pub const TOKEN_CALL_TIMEOUT: Duration = Duration::from_secs(20);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// Zoom's page size maximum for the list endpoints we page through (docs/zoom.md §3.5).
pub const PAGE_SIZE: u32 = 300;

/// An app's client credentials, for the OAuth endpoints.
pub struct ClientCredentials<'a> {
    pub client_id: &'a str,
    pub client_secret: &'a SecretString,
}

/// One client per Zoom cloud, sharing one connection pool: an app's calls go to its cloud's
/// hosts (ZoomGov's for government accounts).
#[derive(Clone)]
pub struct Clouds {
    zoom: ZoomClient,
    gov: ZoomClient,
}

impl Clouds {
    pub fn new(settings: &ZoomSettings, metrics: std::sync::Arc<Metrics>) -> Result<Self, ZoomError> {
        let zoom = ZoomClient::new(settings, metrics)?;
        let gov = zoom.at(&settings.gov_oauth_base_url, &settings.gov_api_base_url)?;
        Ok(Self { zoom, gov })
    }

    pub fn on(&self, cloud: Cloud) -> &ZoomClient {
        match cloud {
            Cloud::Zoom => &self.zoom,
            Cloud::Zoomgov => &self.gov,
        }
    }
}

/// The HTTP clients Zoom is called with: one per thread, each with its own connection pool.
///
/// A pooled connection is driven by a task on the runtime that opened it. With one client for
/// the process, a bot's request on one HTTP worker would often borrow a connection another
/// worker opened, and every call would then cross threads twice (request and answer), waking
/// the other worker each time; a connection opened by a worker whose runtime has since stopped
/// would be dead for everyone. Per thread, a call stays on the thread that makes it.
///
/// The clients share one TLS set-up: making it (loading the system's root certificates) takes
/// tens of milliseconds, which a thread's first call would otherwise pay after its turn in the
/// rate budget had come.
#[derive(Clone)]
struct Http {
    tls: native_tls::TlsConnector,
    /// Built first, so that a client that cannot be built fails the start; it also serves a
    /// thread whose own client could not be built (not expected: the settings are the same).
    first: reqwest::Client,
    per_thread: std::sync::Arc<thread_local::ThreadLocal<reqwest::Client>>,
}

impl Http {
    fn new() -> Result<Self, String> {
        let tls = native_tls::TlsConnector::new().map_err(|e| e.to_string())?;
        let first = Self::build(&tls).map_err(|e| e.without_url().to_string())?;
        Ok(Self { tls, first, per_thread: Default::default() })
    }

    fn build(tls: &native_tls::TlsConnector) -> reqwest::Result<reqwest::Client> {
        reqwest::Client::builder()
            .tls_backend_preconfigured(tls.clone())
            // A redirect would re-send a refresh token or client secret to wherever it points.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(CALL_TIMEOUT)
            .pool_idle_timeout(Duration::from_secs(60))
            .user_agent(concat!("zoomsync/", env!("CARGO_PKG_VERSION")))
            .build()
    }

    /// This thread's client.
    fn client(&self) -> &reqwest::Client {
        self.per_thread.get_or(|| Self::build(&self.tls).unwrap_or_else(|_| self.first.clone()))
    }
}

#[derive(Clone)]
pub struct ZoomClient {
    http: Http,
    oauth_base: String,
    /// The REST base (`https://api.zoom.us/v2`), parsed once: each call's URL is a copy with a
    /// longer path, not a string parsed again host and all (about 5,000 of the 190,000
    /// instructions a join token costs the daemon, measured with callgrind). The configuration
    /// has checked it is an http(s) URL without query or fragment.
    api_base: reqwest::Url,
    metrics: std::sync::Arc<Metrics>,
}

impl ZoomClient {
    pub fn new(settings: &ZoomSettings, metrics: std::sync::Arc<Metrics>) -> Result<Self, ZoomError> {
        let http = Http::new().map_err(ZoomError::Unreachable)?;
        let api_base = api_base(&settings.api_base_url)?;
        Ok(Self { http, oauth_base: settings.oauth_base_url.clone(), api_base, metrics })
    }

    /// This client (its connections, its metrics) calling these hosts (its own, or another
    /// cloud's).
    fn at(&self, oauth_base: &str, api_base_url: &str) -> Result<Self, ZoomError> {
        Ok(Self { oauth_base: oauth_base.to_owned(), api_base: api_base(api_base_url)?, ..self.clone() })
    }

    /// Where this cloud's OAuth pages live (the authorize URL a browser is sent to).
    pub fn oauth_base_url(&self) -> &str {
        &self.oauth_base
    }

    /// `authorization_code` grant, with the PKCE verifier when the flow used one.
    pub async fn exchange_code(
        &self,
        app: &ClientCredentials<'_>,
        code: &str,
        redirect_uri: &str,
        code_verifier: Option<&str>,
    ) -> Result<TokenResponse, ZoomError> {
        let mut form = vec![("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirect_uri)];
        if let Some(verifier) = code_verifier {
            form.push(("code_verifier", verifier));
        }
        self.oauth_token(app, &form).await
    }

    /// `refresh_token` grant. Zoom answers with a new refresh token; the one sent is dead.
    pub async fn refresh(
        &self,
        app: &ClientCredentials<'_>,
        refresh_token: &SecretString,
    ) -> Result<TokenResponse, ZoomError> {
        self.oauth_token(app, &[("grant_type", "refresh_token"), ("refresh_token", refresh_token.expose_secret())])
            .await
    }

    /// `account_credentials` grant (Server-to-Server OAuth): no refresh token.
    pub async fn account_credentials(
        &self,
        app: &ClientCredentials<'_>,
        account_id: &str,
    ) -> Result<TokenResponse, ZoomError> {
        self.oauth_token(app, &[("grant_type", "account_credentials"), ("account_id", account_id)]).await
    }

    /// Revokes a token (and with it the user's authorization of the app).
    pub async fn revoke(&self, app: &ClientCredentials<'_>, token: &SecretString) -> Result<(), ZoomError> {
        let request = self
            .http
            .client()
            .post(format!("{}/oauth/revoke", self.oauth_base))
            .basic_auth(app.client_id, Some(app.client_secret.expose_secret()))
            .form(&[("token", token.expose_secret())]);
        self.send::<serde_json::Value>(Endpoint::OauthRevoke, request).await.map(drop)
    }

    async fn oauth_token(
        &self,
        app: &ClientCredentials<'_>,
        form: &[(&str, &str)],
    ) -> Result<TokenResponse, ZoomError> {
        let request = self
            .http
            .client()
            .post(format!("{}/oauth/token", self.oauth_base))
            .timeout(TOKEN_CALL_TIMEOUT)
            .basic_auth(app.client_id, Some(app.client_secret.expose_secret()))
            .form(form);
        self.send(Endpoint::OauthToken, request).await
    }

    fn get(&self, access_token: &SecretString, path: &str) -> RequestBuilder {
        self.http
            .client()
            .get(extended(&self.api_base, path))
            .bearer_auth(access_token.expose_secret())
            .header(reqwest::header::ACCEPT, "application/json")
    }

    /// `GET /users/me`.
    pub async fn me(&self, access_token: &SecretString) -> Result<User, ZoomError> {
        self.send(Endpoint::GetUser, self.get(access_token, "/users/me")).await
    }

    /// `GET /users?status=active&page_size=300[&next_page_token=]` (account-wide credentials).
    pub async fn list_users(
        &self,
        access_token: &SecretString,
        page_token: Option<&str>,
    ) -> Result<UsersPage, ZoomError> {
        let mut query = vec![("status", "active".to_owned()), ("page_size", PAGE_SIZE.to_string())];
        if let Some(token) = page_token {
            query.push(("next_page_token", token.to_owned()));
        }
        self.send(Endpoint::ListUsers, self.get(access_token, "/users").query(&query)).await
    }

    /// `GET /users/{user}/meetings?type=<kind>&page_size=300[&next_page_token=]`.
    pub async fn list_meetings(
        &self,
        access_token: &SecretString,
        user: &str,
        kind: &str,
        page_token: Option<&str>,
    ) -> Result<MeetingsPage, ZoomError> {
        let mut query = vec![("type", kind.to_owned()), ("page_size", PAGE_SIZE.to_string())];
        if let Some(token) = page_token {
            query.push(("next_page_token", token.to_owned()));
        }
        self.send(
            Endpoint::ListMeetings,
            self.get(access_token, &format!("/users/{}/meetings", path_segment(user))).query(&query),
        )
        .await
    }

    /// `GET /meetings/{id}`.
    pub async fn meeting(&self, access_token: &SecretString, meeting_id: i64) -> Result<Meeting, ZoomError> {
        self.send(Endpoint::GetMeeting, self.get(access_token, &format!("/meetings/{meeting_id}"))).await
    }

    /// `GET /users/{user}/webinars?page_size=300[&next_page_token=]`.
    pub async fn list_webinars(
        &self,
        access_token: &SecretString,
        user: &str,
        page_token: Option<&str>,
    ) -> Result<MeetingsPage, ZoomError> {
        let mut query = vec![("page_size", PAGE_SIZE.to_string())];
        if let Some(token) = page_token {
            query.push(("next_page_token", token.to_owned()));
        }
        self.send(
            Endpoint::ListWebinars,
            self.get(access_token, &format!("/users/{}/webinars", path_segment(user))).query(&query),
        )
        .await
    }

    /// `GET /meetings/{id}` or `GET /webinars/{id}`.
    pub async fn meeting_of_kind(
        &self,
        access_token: &SecretString,
        kind: MeetingKind,
        id: i64,
    ) -> Result<Meeting, ZoomError> {
        match kind {
            MeetingKind::Meeting => self.meeting(access_token, id).await,
            MeetingKind::Webinar => {
                self.send(Endpoint::GetWebinar, self.get(access_token, &format!("/webinars/{id}"))).await
            }
        }
    }

    /// `GET /meetings/{id}/jointoken/local_recording[?bypass_waiting_room=true]`, or the
    /// webinar endpoint's twin (`/webinars/{id}/...`).
    pub async fn join_token(
        &self,
        access_token: &SecretString,
        kind: MeetingKind,
        meeting_id: i64,
        bypass_waiting_room: bool,
    ) -> Result<MintedToken, ZoomError> {
        let (path, endpoint) = match kind {
            MeetingKind::Meeting => (format!("/meetings/{meeting_id}/jointoken/local_recording"), Endpoint::JoinToken),
            MeetingKind::Webinar => {
                (format!("/webinars/{meeting_id}/jointoken/local_recording"), Endpoint::WebinarJoinToken)
            }
        };
        let mut request = self.get(access_token, &path);
        if bypass_waiting_room {
            request = request.query(&[("bypass_waiting_room", "true")]);
        }
        self.send(endpoint, request).await
    }

    /// `GET /users/{user}/token?type=onbehalf&meeting_id=` (an OBF token).
    pub async fn obf_token(
        &self,
        access_token: &SecretString,
        user: &str,
        meeting_id: i64,
    ) -> Result<MintedToken, ZoomError> {
        let request = self
            .get(access_token, &format!("/users/{}/token", path_segment(user)))
            .query(&[("type", "onbehalf".to_owned()), ("meeting_id", meeting_id.to_string())]);
        self.send(Endpoint::ObfToken, request).await
    }

    /// `GET /users/me/zak`: the caller's own ZAK, valid five minutes; for credentials granted only
    /// the ZAK scope.
    pub async fn my_zak(&self, access_token: &SecretString) -> Result<MintedToken, ZoomError> {
        let request = self.get(access_token, "/users/me/zak");
        self.send(Endpoint::Zak, request).await
    }

    /// `GET /users/{user}/token?type=zak` (a ZAK valid two hours).
    pub async fn zak(&self, access_token: &SecretString, user: &str) -> Result<MintedToken, ZoomError> {
        let request = self.get(access_token, &format!("/users/{}/token", path_segment(user))).query(&[("type", "zak")]);
        self.send(Endpoint::Zak, request).await
    }
}

/// A configured REST base, parsed.
fn api_base(url: &str) -> Result<reqwest::Url, ZoomError> {
    reqwest::Url::parse(url).map_err(|e| ZoomError::Unreachable(format!("the Zoom API base {url:?}: {e}")))
}

/// `base` with `path` appended to its path: the URL that the string `base + path` parses to.
fn extended(base: &reqwest::Url, path: &str) -> reqwest::Url {
    let mut url = base.clone();
    url.set_path(&format!("{}{path}", base.path()));
    url
}

/// User ids and emails go into paths; keep them to one segment.
fn path_segment(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

impl ZoomClient {
    /// Sends a request and sorts the answer, counting it under `endpoint` in the metrics.
    async fn send<T: DeserializeOwned>(&self, endpoint: Endpoint, request: RequestBuilder) -> Result<T, ZoomError> {
        let started = std::time::Instant::now();
        let result = send(request).await;
        let status = match &result {
            Ok((status, _)) => Some(*status),
            Err(ZoomError::Server { status })
            | Err(ZoomError::OAuth { status, .. })
            | Err(ZoomError::Api { status, .. }) => Some(*status),
            Err(ZoomError::RateLimited { .. }) => Some(429),
            Err(ZoomError::NotSent(_)) | Err(ZoomError::Unreachable(_)) | Err(ZoomError::Decode(_)) => None,
        };
        self.metrics.zoom_call(endpoint, status, started.elapsed().as_secs_f64());
        result.map(|(_, value)| value)
    }
}

async fn send<T: DeserializeOwned>(request: RequestBuilder) -> Result<(u16, T), ZoomError> {
    let response = request.send().await.map_err(|e| {
        if e.is_connect() { ZoomError::NotSent(describe(e)) } else { ZoomError::Unreachable(describe(e)) }
    })?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.bytes().await.map_err(|e| ZoomError::Unreachable(describe(e)))?;
    if status.is_success() {
        return serde_json::from_slice(&body)
            .map(|v| (status.as_u16(), v))
            .map_err(|e| ZoomError::Decode(e.to_string()));
    }
    Err(classify(status, &headers, &body, Utc::now()))
}

/// A transport error with where it went and its causes ("https://api.zoom.us/v2/users/me:
/// error sending request: operation timed out"): the origin and path tell an operator which
/// address (a mistyped `zoom.api_base_url`, a proxy) could not be reached; the query string is
/// never named.
fn describe(error: reqwest::Error) -> String {
    let place = error.url().map(|url| format!("{}{}", url.origin().ascii_serialization(), url.path()));
    let error = error.without_url();
    let mut text = place.map(|place| format!("{place}: ")).unwrap_or_default();
    text.push_str(&error.to_string());
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn classify(status: StatusCode, headers: &HeaderMap, body: &[u8], now: DateTime<Utc>) -> ZoomError {
    if status == StatusCode::TOO_MANY_REQUESTS {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        return ZoomError::RateLimited {
            retry_after: header(RETRY_AFTER.as_str()).and_then(|v| parse_retry_after(&v, now)),
            kind: header("x-ratelimit-type").unwrap_or_else(|| "unspecified".into()),
        };
    }
    if status.is_server_error() {
        return ZoomError::Server { status: status.as_u16() };
    }
    #[derive(serde::Deserialize)]
    struct ApiError {
        code: serde_json::Value,
        #[serde(default)]
        message: String,
    }
    #[derive(serde::Deserialize)]
    struct OAuthError {
        error: String,
        #[serde(default)]
        reason: String,
    }
    if let Ok(e) = serde_json::from_slice::<OAuthError>(body) {
        return ZoomError::OAuth { status: status.as_u16(), error: e.error, reason: e.reason };
    }
    if let Ok(e) = serde_json::from_slice::<ApiError>(body) {
        let code = e.code.as_i64().or_else(|| e.code.as_str().and_then(|s| s.parse().ok())).unwrap_or(0);
        return ZoomError::Api { status: status.as_u16(), code, message: e.message };
    }
    ZoomError::Api { status: status.as_u16(), code: 0, message: status.canonical_reason().unwrap_or("").to_owned() }
}

/// The longest `Retry-After` believed: two days (a daily limit lifts within one).
const MAX_RETRY_AFTER: Duration = Duration::from_secs(2 * 86_400);

/// `Retry-After` as Zoom documents it (an ISO-8601 date-time), as HTTP allows it (seconds or an
/// HTTP date), converted to a wait from `now`. Unparseable: `None`.
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        // Bounded: a wait is added to an Instant, and an absurd one must not overflow it.
        return Some(Duration::from_secs(seconds.min(MAX_RETRY_AFTER.as_secs())));
    }
    let at = DateTime::parse_from_rfc3339(value).or_else(|_| DateTime::parse_from_rfc2822(value)).ok()?;
    Some((at.with_timezone(&Utc) - now).to_std().unwrap_or(Duration::ZERO).min(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn retry_after_in_every_documented_form() {
        let now = at("2026-11-25T10:00:00Z");
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after("2026-11-25T10:00:03Z", now), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after("Wed, 25 Nov 2026 10:00:02 GMT", now), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after("2026-11-25T09:00:00Z", now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after(&u64::MAX.to_string(), now), Some(MAX_RETRY_AFTER));
        assert_eq!(parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now), Some(MAX_RETRY_AFTER));
    }

    #[test]
    fn an_extended_base_is_the_url_its_string_would_parse_to() {
        let bases =
            ["https://api.zoom.us/v2", "http://127.0.0.1:8080/v2/", "http://[::1]:9/", "https://API.Zoom.US/v2"];
        let paths = ["/users/me", "/meetings/85746065432/jointoken/local_recording", "/users/a%40b.example+x/token"];
        for base in bases {
            for path in paths {
                let expected = reqwest::Url::parse(&format!("{base}{path}")).unwrap();
                assert_eq!(extended(&reqwest::Url::parse(base).unwrap(), path), expected, "{base} + {path}");
            }
        }
    }

    #[test]
    fn refusals_are_sorted() {
        let now = Utc::now();
        let none = HeaderMap::new();
        let oauth =
            classify(StatusCode::BAD_REQUEST, &none, br#"{"reason":"Invalid Token!","error":"invalid_grant"}"#, now);
        assert!(oauth.needs_reauthorization());
        let bare = classify(StatusCode::BAD_REQUEST, &none, br#"{"error":"invalid_grant"}"#, now);
        assert!(bare.needs_reauthorization());
        let api =
            classify(StatusCode::UNAUTHORIZED, &none, br#"{"code":124,"message":"Access token is expired."}"#, now);
        assert!(api.is_token_rejected() && !api.is_transient());
        let server = classify(StatusCode::BAD_GATEWAY, &none, b"<html>", now);
        assert!(server.is_transient());
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", "3".parse().unwrap());
        let limited = classify(StatusCode::TOO_MANY_REQUESTS, &headers, b"{}", now);
        assert!(matches!(limited, ZoomError::RateLimited { retry_after: Some(d), .. } if d == Duration::from_secs(3)));
    }
}
