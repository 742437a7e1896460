//! `POST /api/v2/zoom-oauth-apps/{id}/webhook`: Zoom's event subscription endpoint.
//! Raw bytes are verified before anything is parsed; an event is acknowledged only once it is
//! durably recorded (and applied).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt as _;

use crate::error::{AppError, ErrorBody};
use crate::metrics::WebhookRefusal;
use crate::services;
use crate::services::AppState;
use crate::webhooks::verify::{Refusal, SignedHeaders, Window, verify};

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
        state.metrics.webhook_refusal(WebhookRefusal::UnknownApp);
        return Err(AppError::not_found("no such app"));
    };
    let body =
        read_limited(&request, payload).await.inspect_err(|_| state.metrics.webhook_refusal(WebhookRefusal::Body))?;
    let header = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok());
    let headers = SignedHeaders { timestamp: header("x-zm-request-timestamp"), signature: header("x-zm-signature") };
    let now = chrono::Utc::now().timestamp();
    let window = Window { ahead: state.settings.webhook_max_skew, behind: state.settings.webhook_max_age };
    let verified = verify(&keys.current, keys.previous.as_ref(), headers, &body, now, window)
        .map_err(|refusal| refuse(&state, &app_id, refusal))?;
    let answer = services::webhooks::receive(&state, &keys, verified, &body).await?;
    Ok(HttpResponse::Ok().json(answer))
}

/// A 401, counted by the refusal's reason and logged with what it was.
fn refuse(state: &AppState, app_id: &str, refusal: Refusal) -> AppError {
    state.metrics.webhook_refusal(refusal.into());
    let why = refusal.to_string();
    tracing::warn!(app = %app_id, why = why.as_str(), "webhook refused");
    AppError::Unauthorized(why)
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
