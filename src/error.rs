//! The error policy, in one place.
//!
//! - Repositories (`db::models`) return diesel's `QueryResult`; `Db` wraps failures in `DbError`.
//! - Services and handlers return [`AppError`], whose variants are the answers a client can get.
//!   It maps to HTTP here and nowhere else: `{"error": "<code>", "detail": "<text>"}`.
//! - A database that cannot be reached is a 503 with `Retry-After`, never a 500.
//! - Anything unexpected is `Internal`: logged with its cause chain, answered with a generic body
//!   (a cause may name internals; it is never echoed).
//! - Start-up and CLI plumbing use `anyhow` and print the chain.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::crypto::CryptoError;
use crate::db::DbError;
use crate::meeting_ref::ParseError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 400. `code` is a stable machine-readable word (`invalid_json`, `invalid_field`, ...).
    #[error("{detail}")]
    BadRequest { code: &'static str, detail: String },
    /// 401.
    #[error("{0}")]
    Unauthorized(String),
    /// 404.
    #[error("{0}")]
    NotFound(String),
    /// 409.
    #[error("{0}")]
    Conflict(String),
    /// 413.
    #[error("{0}")]
    TooLarge(String),
    /// 503: worth retrying later (database down, Zoom unreachable).
    #[error("{0}")]
    Unavailable(String),
    /// 500.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::BadRequest { code, detail: detail.into() }
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::NotFound(detail.into())
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest { code, .. } => code,
            Self::Unauthorized(_) => "unauthorized",
            Self::NotFound(_) => "not_found",
            Self::Conflict(_) => "conflict",
            Self::TooLarge(_) => "too_large",
            Self::Unavailable(_) => "unavailable",
            Self::Internal(_) => "internal",
        }
    }
}

impl From<DbError> for AppError {
    fn from(error: DbError) -> Self {
        if error.is_unavailable() {
            Self::Unavailable("the database is unavailable".into())
        } else if error.is_not_found() {
            Self::NotFound("not found".into())
        } else {
            Self::Internal(error.into())
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(error: diesel::result::Error) -> Self {
        DbError::from(error).into()
    }
}

impl From<ParseError> for AppError {
    fn from(error: ParseError) -> Self {
        Self::bad_request("invalid_meeting", error.to_string())
    }
}

impl From<CryptoError> for AppError {
    fn from(error: CryptoError) -> Self {
        Self::Internal(error.into())
    }
}

/// Every admin error: `{"error": "<code>", "detail": "<text>"}`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody<'a> {
    /// A stable word: `invalid_json`, `invalid_field`, `unauthorized`, `not_found`, `conflict`, ...
    pub error: &'a str,
    pub detail: &'a str,
}

/// Seconds a client should wait before retrying a 503.
pub const RETRY_AFTER_SECONDS: u32 = 5;

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let detail = match self {
            Self::Internal(cause) => {
                tracing::error!(error = %error_chain(cause.as_ref()), "internal error");
                "internal error".to_owned()
            }
            other => other.to_string(),
        };
        let mut response = HttpResponse::build(self.status_code());
        match self {
            Self::Unavailable(_) => {
                response.insert_header((header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS)));
            }
            Self::Unauthorized(_) => {
                response.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
            }
            _ => {}
        }
        response.json(ErrorBody { error: self.code(), detail: &detail })
    }
}

/// `error: cause: cause` on one line (z2p's `error_chain_fmt`).
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
