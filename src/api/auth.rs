//! Admin authentication: `Authorization: Bearer <admin_token>` (or `Token <admin_token>`, as
//! Recall's API takes it), compared in constant time.

use std::future::{Ready, ready};

use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header, web};
use secrecy::ExposeSecret;

use crate::crypto::secrets_equal;
use crate::error::AppError;
use crate::services::AppState;

/// Proof that the request carries the admin token. Take it as a handler argument.
pub struct Admin;

impl FromRequest for Admin {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(request))
    }
}

fn authenticate(request: &HttpRequest) -> Result<Admin, AppError> {
    let state = request
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("application state missing")))?;
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("Token ")))
        .map(str::trim)
        .ok_or_else(|| AppError::Unauthorized("an admin token is required (Authorization: Bearer <token>)".into()))?;
    if secrets_equal(presented, state.settings.secrets.admin_token.expose_secret()) {
        Ok(Admin)
    } else {
        Err(AppError::Unauthorized("the admin token is wrong".into()))
    }
}
