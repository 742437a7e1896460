//! Error replies, one type per surface, each rendering the body shape that surface uses:
//!
//! - REST (`/v2`): `{"code": <int>, "message": "..."}` ([`ApiError`]);
//! - OAuth token/revoke (`/oauth`): `{"reason": "...", "error": "<oauth error>"}` ([`OAuthError`]);
//! - OAuth authorize (a browser page): a small HTML page ([`PageError`]);
//! - control (`/_sim`): `{"error": "<code>", "detail": "..."}` ([`ControlError`]).
//!
//! Handlers return `Result<HttpResponse, XError>`; nothing here panics or echoes internals.

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

/// A Zoom REST error.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: i64,
    pub message: String,
    /// Extra headers (rate-limit replies).
    pub headers: Vec<(HeaderName, String)>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: i64, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), headers: Vec::new() }
    }

    pub fn no_token() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, 124, "Requires an access token.")
    }
    pub fn invalid_token() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, 124, "Invalid access token.")
    }
    pub fn expired_token() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, 124, "Access token is expired.")
    }
    /// A user-level grant naming someone other than `me` (docs/zoom.md §2.5).
    pub fn not_me() -> Self {
        Self::new(StatusCode::BAD_REQUEST, 124, "Invalid access token.")
    }
    pub fn missing_scope(scope: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, 4711, format!("Invalid access token, does not contain scopes:[{scope}]."))
    }
    pub fn user_not_found(id: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, 1001, format!("User does not exist: {id}."))
    }
    pub fn meeting_not_found(id: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, 3001, format!("Meeting does not exist: {id}."))
    }
    pub fn invalid_meeting_id() -> Self {
        Self::new(StatusCode::BAD_REQUEST, 300, "Invalid meeting ID.")
    }
    pub fn webinar_not_found(id: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, 3001, format!("Webinar does not exist: {id}."))
    }
    pub fn invalid_webinar_id() -> Self {
        Self::new(StatusCode::BAD_REQUEST, 300, "Invalid webinar ID.")
    }
    /// A meeting endpoint given a webinar's id (docs/zoom.md §3.7).
    pub fn webinar_on_meeting_endpoint() -> Self {
        Self::new(StatusCode::BAD_REQUEST, 3000, "Cannot access webinar information.")
    }
    pub fn bad_page_token() -> Self {
        Self::new(StatusCode::BAD_REQUEST, 300, "The next page token is invalid or expired.")
    }
    pub fn invalid_param(name: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, 300, format!("Invalid parameter: {name}."))
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.message)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }
    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status);
        for (name, value) in &self.headers {
            if let Ok(value) = HeaderValue::from_str(value) {
                res.insert_header((name.clone(), value));
            }
        }
        res.json(json!({"code": self.code, "message": self.message}))
    }
}

/// An OAuth token-endpoint error.
#[derive(Debug, Clone)]
pub struct OAuthError {
    pub error: &'static str,
    pub reason: String,
    /// 400 unless the handler says otherwise (`invalid_client_status`).
    pub status: StatusCode,
}

impl OAuthError {
    pub fn new(error: &'static str, reason: impl Into<String>) -> Self {
        // Zoom answers every OAuth error with 400 since mid-2022 (docs/zoom.md §2.4).
        Self { error, reason: reason.into(), status: StatusCode::BAD_REQUEST }
    }
    pub fn invalid_client() -> Self {
        Self::new("invalid_client", "Invalid client_id or client_secret")
    }
    pub fn missing_client() -> Self {
        Self::new("invalid_client", "Client ID or client secret is missing in the header or in the request parameter.")
    }
    pub fn invalid_request(reason: impl Into<String>) -> Self {
        Self::new("invalid_request", reason)
    }
    pub fn invalid_code() -> Self {
        Self::new("invalid_grant", "Invalid authorization code")
    }
    pub fn invalid_refresh() -> Self {
        Self::new("invalid_grant", "Invalid Token!")
    }
}

impl fmt::Display for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.error, self.reason)
    }
}

impl ResponseError for OAuthError {
    fn status_code(&self) -> StatusCode {
        self.status
    }
    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status).json(json!({"reason": self.reason, "error": self.error}))
    }
}

/// An error on the browser-facing authorize page: Zoom shows a page rather than redirecting
/// when it cannot trust the redirect URI.
#[derive(Debug, Clone)]
pub struct PageError(pub String);

impl PageError {
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

impl fmt::Display for PageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        StatusCode::BAD_REQUEST
    }
    fn error_response(&self) -> HttpResponse {
        let body = format!(
            "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>Zoom - Error</title></head>\
             <body><h1>Invalid request</h1><p id=\"error\">{}</p></body></html>\n",
            crate::http::html_escape(&self.0)
        );
        HttpResponse::BadRequest().insert_header((CONTENT_TYPE, "text/html; charset=utf-8")).body(body)
    }
}

/// A control-API error: 400 bad_request, 404 not_found, 409 conflict.
#[derive(Debug, Clone)]
pub struct ControlError {
    pub status: StatusCode,
    pub error: &'static str,
    pub detail: String,
}

impl ControlError {
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self { status: StatusCode::BAD_REQUEST, error: "bad_request", detail: detail.into() }
    }
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self { status: StatusCode::NOT_FOUND, error: "not_found", detail: detail.into() }
    }
    pub fn conflict(detail: impl Into<String>) -> Self {
        Self { status: StatusCode::CONFLICT, error: "conflict", detail: detail.into() }
    }
}

impl fmt::Display for ControlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.error, self.detail)
    }
}

impl ResponseError for ControlError {
    fn status_code(&self) -> StatusCode {
        self.status
    }
    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status).json(json!({"error": self.error, "detail": self.detail}))
    }
}
