//! `POST /api/v2/zoom-oauth-apps/{id}/webhook`: Zoom's event subscription endpoint.
//! Raw bytes are verified before anything is parsed; an event is acknowledged only once it is
//! durably recorded (and applied).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt as _;
use secrecy::ExposeSecret;
use serde_json::json;

use crate::error::{AppError, ErrorBody};
use crate::services::AppState;
use crate::webhooks::event::{self, Parsed};
use crate::webhooks::ingest::Receipt;
use crate::webhooks::signature;

/// Zoom's events are a few KiB; anything this large is not one.
pub const BODY_LIMIT: usize = 64 * 1024;

/// Zoom's event notification endpoint (signed; answers `endpoint.url_validation`).
#[utoipa::path(post, path = "/api/v2/zoom-oauth-apps/{id}/webhook", operation_id = "zoom_webhook", tag = "zoom", security(()),
    params(("id" = String, Path), ("x-zm-request-timestamp" = String, Header), ("x-zm-signature" = String, Header)),
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses((status = 200, description = "Recorded (or ignored, or a duplicate), or the validation answer"),
        (status = 400, description = "Malformed event", body = ErrorBody<'static>),
        (status = 401, description = "Bad or missing signature, or a stale timestamp", body = ErrorBody<'static>),
        (status = 404, description = "No such app", body = ErrorBody<'static>),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody<'static>),
        (status = 503, description = "Not recorded in time; Zoom retries", body = ErrorBody<'static>)))]
pub async fn receive(
    request: HttpRequest,
    state: web::Data<AppState>,
    app_id: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let Some(keys) = state.webhook_keys.get(&app_id).await? else {
        state.metrics.webhook_refusal("unknown_app");
        return Err(AppError::not_found("no such app"));
    };
    let body = read_limited(&request, payload).await.inspect_err(|_| state.metrics.webhook_refusal("body"))?;

    let header = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    let (Some(timestamp), Some(signature)) = (header("x-zm-request-timestamp"), header("x-zm-signature")) else {
        return Err(refuse(
            &state,
            &app_id,
            "headers",
            "the x-zm-request-timestamp and x-zm-signature headers are required",
        ));
    };
    let seconds: i64 = timestamp
        .parse()
        .map_err(|_| refuse(&state, &app_id, "timestamp", "the timestamp is not a number of seconds"))?;
    let skew = i64::try_from(state.settings.webhook_max_skew.as_secs()).unwrap_or(i64::MAX);
    if (chrono::Utc::now().timestamp() - seconds).abs() > skew {
        return Err(refuse(&state, &app_id, "timestamp", "the timestamp is too far from now"));
    }
    let secret = std::iter::once(&keys.current)
        .chain(keys.previous.as_ref())
        .find(|secret| signature::verify(secret.expose_secret().as_bytes(), timestamp, &body, signature))
        .ok_or_else(|| refuse(&state, &app_id, "signature", "the signature does not match"))?;

    let parsed = event::parse(&body, seconds).map_err(|e| {
        state.metrics.webhook_refusal("malformed");
        AppError::bad_request("invalid_event", e.to_string())
    })?;
    match parsed {
        Parsed::UrlValidation { plain_token } => {
            let encrypted = signature::url_validation_token(secret.expose_secret().as_bytes(), &plain_token);
            crate::services::apps::record_validation(&state, &app_id).await?;
            state.metrics.webhook_event("endpoint.url_validation", "answered");
            Ok(HttpResponse::Ok().json(json!({"plainToken": plain_token, "encryptedToken": encrypted})))
        }
        Parsed::Delivery(delivery) => {
            let name = delivery.event.clone();
            let receipt = state
                .ingest
                .submit(keys.app.clone(), delivery)
                .await
                .inspect_err(|_| state.metrics.webhook_event(&name, "unavailable"))?;
            let status = match &receipt {
                Receipt::Duplicate => "duplicate",
                Receipt::Recorded { outcome, deleted_credentials } => {
                    for credential in deleted_credentials {
                        state.tokens.forget(credential);
                    }
                    outcome.status().as_str()
                }
            };
            state.metrics.webhook_event(&name, status);
            tracing::debug!(app = %app_id, event = %name, status, "webhook event");
            Ok(HttpResponse::Ok().json(json!({"status": status})))
        }
    }
}

/// A 401, counted by `reason` (a fixed word) and logged with `why`.
fn refuse(state: &AppState, app_id: &str, reason: &str, why: &str) -> AppError {
    state.metrics.webhook_refusal(reason);
    tracing::warn!(app = %app_id, why, "webhook refused");
    AppError::Unauthorized(why.to_owned())
}

/// Reads the body, refusing (413) one over [`BODY_LIMIT`] without buffering it.
async fn read_limited(request: &HttpRequest, mut payload: web::Payload) -> Result<web::Bytes, AppError> {
    let too_large = || AppError::TooLarge(format!("webhook bodies are limited to {BODY_LIMIT} bytes"));
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > BODY_LIMIT) {
        return Err(too_large());
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| AppError::bad_request("invalid_body", format!("the body could not be read: {e}")))?;
        if body.len() + chunk.len() > BODY_LIMIT {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}
