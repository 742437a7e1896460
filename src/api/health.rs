//! Liveness, readiness and metrics.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::db::models::credentials::Health;
use crate::db::{DbError, migrate};
use crate::services::AppState;

/// The process is alive and serving HTTP.
#[utoipa::path(get, path = "/healthz", operation_id = "healthz", tag = "operations", security(()), responses((status = 200, description = "Alive")))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

/// The database answers and has every migration this binary knows.
#[utoipa::path(get, path = "/readyz", operation_id = "readyz", tag = "operations", security(()),
    responses((status = 200, description = "Ready"), (status = 503, description = "Database unreachable or migrations pending")))]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    if let Err(e) = state.db.check_storage() {
        tracing::error!(error = %e, "not ready");
        return HttpResponse::ServiceUnavailable().json(serde_json::json!({"status": "database unavailable"}));
    }
    let pending =
        state.db.read_with(|conn| migrate::has_pending(conn).map_err(|e| DbError::Unavailable(e.to_string()))).await;
    match pending {
        Ok(false) => HttpResponse::Ok().json(serde_json::json!({"status": "ready"})),
        Ok(true) => HttpResponse::ServiceUnavailable().json(serde_json::json!({"status": "migrations pending"})),
        Err(_) => HttpResponse::ServiceUnavailable().json(serde_json::json!({"status": "database unavailable"})),
    }
}

/// Prometheus metrics: the classic text format, or OpenMetrics when `Accept` asks for it. Gauges
/// of stored state are read from the database at scrape time.
#[utoipa::path(get, path = "/metrics", operation_id = "metrics", tag = "operations", security(()),
    responses((status = 200, description = "Metrics (text/plain; version=0.0.4, or application/openmetrics-text when asked)", content_type = "text/plain")))]
pub async fn metrics(request: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let counts = state
        .db
        .read(|conn| {
            let mappings = crate::db::models::mappings::count_all(conn)?;
            let credentials = crate::db::models::credentials::count_by_status(conn)?;
            let pending = crate::db::models::webhook_deliveries::count_pending(conn)?;
            Ok((mappings, credentials, pending))
        })
        .await;
    if let Ok((mappings, credentials, pending)) = counts {
        state.metrics.mappings.set(mappings);
        state.metrics.outbound_pending.set(pending);
        for status in Health::ALL {
            let n = credentials.iter().find(|(s, _)| s == status).map_or(0, |(_, n)| *n);
            state
                .metrics
                .credentials
                .get_or_create(&crate::metrics::StatusLabel { status: status.as_str().into() })
                .set(n);
        }
    }
    state.metrics.daily_limited.set(state.budget.daily_limited_count() as i64);
    state.metrics.refreshes_in_flight.set(state.tokens.refreshes_in_flight() as i64);
    // OpenMetrics for a scraper that asks for it; the classic text format for everyone else
    // (older Prometheus versions and most other scrapers parse only that).
    let accept = request.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if accept.contains("application/openmetrics-text") {
        HttpResponse::Ok()
            .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
            .body(state.metrics.encode())
    } else {
        HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(state.metrics.encode_classic())
    }
}
