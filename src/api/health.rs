//! Liveness and readiness.

use actix_web::{HttpResponse, web};

use crate::db::{DbError, migrate};
use crate::error::AppError;
use crate::state::AppState;

/// The process is alive and serving HTTP.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

/// The database answers and has every migration this binary knows.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let pending = state
        .db
        .read(|conn| migrate::has_pending(conn).map_err(|e| AppError::from(DbError::Unavailable(e.to_string()))))
        .await;
    match pending {
        Ok(false) => HttpResponse::Ok().json(serde_json::json!({"status": "ready"})),
        Ok(true) => HttpResponse::ServiceUnavailable().json(serde_json::json!({"status": "migrations pending"})),
        Err(_) => HttpResponse::ServiceUnavailable().json(serde_json::json!({"status": "database unavailable"})),
    }
}
