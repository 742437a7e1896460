//! `/api/v2/webhook-endpoints/`: where outbound events go (an extension), their deliveries,
//! "send again" and a test event.

use actix_web::{HttpResponse, web};

use super::Admin;
use crate::error::{AppError, ErrorBody};
use crate::pagination::{Page, PageParams};
use crate::services::AppState;
use crate::services::webhook_endpoints::{self, CreateEndpoint, DeliveryView, EndpointView, UpdateEndpoint};

/// Register an endpoint for outbound events. The answer shows its signing secret, once.
#[utoipa::path(post, path = "/api/v2/webhook-endpoints/", operation_id = "create_webhook_endpoint", tag = "events", request_body = CreateEndpoint,
    responses((status = 201, description = "Created; `secret` is shown only here", body = EndpointView), (status = 400, description = "Invalid input (a URL refused, an unknown event type); nothing created", body = ErrorBody<'static>),
        (status = 401, description = "No or wrong admin token", body = ErrorBody<'static>)))]
pub async fn create(
    _: Admin,
    state: web::Data<AppState>,
    body: web::Json<CreateEndpoint>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Created().json(webhook_endpoints::create(&state, body.into_inner()).await?))
}

/// Every endpoint, oldest first.
#[utoipa::path(get, path = "/api/v2/webhook-endpoints/", operation_id = "list_webhook_endpoints", tag = "events",
    responses((status = 200, description = "OK", body = Page<EndpointView>), (status = 401, description = "No or wrong admin token", body = ErrorBody<'static>)))]
pub async fn list(_: Admin, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let results = webhook_endpoints::list(&state).await?;
    Ok(HttpResponse::Ok().json(Page { next: None, results }))
}

/// One endpoint (without its secret).
#[utoipa::path(get, path = "/api/v2/webhook-endpoints/{id}/", operation_id = "get_webhook_endpoint", tag = "events", params(("id" = String, Path)),
    responses((status = 200, description = "OK", body = EndpointView), (status = 404, description = "Not found", body = ErrorBody<'static>), (status = 401, description = "No or wrong admin token", body = ErrorBody<'static>)))]
pub async fn get(_: Admin, state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(webhook_endpoints::get(&state, &id).await?))
}

/// Change the URL, the event types, the description, enable or disable, or rotate the secret
/// (`rotate_secret: true`; the answer shows the new one).
#[utoipa::path(patch, path = "/api/v2/webhook-endpoints/{id}/", operation_id = "update_webhook_endpoint", tag = "events", params(("id" = String, Path)), request_body = UpdateEndpoint,
    responses((status = 200, description = "OK", body = EndpointView), (status = 400, description = "Invalid input", body = ErrorBody<'static>), (status = 404, description = "Not found", body = ErrorBody<'static>), (status = 401, description = "No or wrong admin token", body = ErrorBody<'static>)))]
pub async fn update(
    _: Admin,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Json<UpdateEndpoint>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(webhook_endpoints::update(&state, &id, body.into_inner()).await?))
}

/// Delete an endpoint and its deliveries.
#[utoipa::path(delete, path = "/api/v2/webhook-endpoints/{id}/", operation_id = "delete_webhook_endpoint", tag = "events", params(("id" = String, Path)),
    responses((status = 204, description = "Deleted"), (status = 404, description = "Not found", body = ErrorBody<'static>), (status = 401, description = "No or wrong admin token", body = ErrorBody<'static>)))]
pub async fn delete(_: Admin, state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, AppError> {
    webhook_endpoints::delete(&state, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The endpoint's deliveries, newest first, each with its attempts.
#[utoipa::path(get, path = "/api/v2/webhook-endpoints/{id}/deliveries/", operation_id = "list_webhook_deliveries", tag = "events", params(("id" = String, Path), PageParams),
    responses((status = 200, description = "OK", body = Page<DeliveryView>), (status = 400, description = "Invalid input", body = ErrorBody<'static>), (status = 404, description = "Not found", body = ErrorBody<'static>), (status = 401, description = "No or wrong admin token", body = ErrorBody<'static>)))]
pub async fn deliveries(
    _: Admin,
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: web::Query<PageParams>,
) -> Result<HttpResponse, AppError> {
    let page_size = query.page_size()?;
    let (results, next) = webhook_endpoints::deliveries(&state, &id, query.cursor()?, page_size).await?;
    let list_url = format!("{}/api/v2/webhook-endpoints/{id}/deliveries/", state.settings.public_url);
    Ok(HttpResponse::Ok().json(Page::new(results, next, &list_url, &[], page_size)))
}

/// Send a delivery's event again (a new delivery, same `webhook-id`).
#[utoipa::path(post, path = "/api/v2/webhook-endpoints/{id}/deliveries/{delivery_id}/resend/", operation_id = "resend_webhook_delivery", tag = "events",
    params(("id" = String, Path), ("delivery_id" = String, Path)),
    responses((status = 202, description = "Queued", body = DeliveryView), (status = 404, description = "Not found", body = ErrorBody<'static>), (status = 401, description = "No or wrong admin token", body = ErrorBody<'static>)))]
pub async fn resend(
    _: Admin,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (id, delivery) = path.into_inner();
    let delivery: i64 = delivery.parse().map_err(|_| AppError::not_found("no such delivery for this endpoint"))?;
    Ok(HttpResponse::Accepted().json(webhook_endpoints::resend(&state, &id, delivery).await?))
}

/// Queue a `webhook.test` event for this endpoint only.
#[utoipa::path(post, path = "/api/v2/webhook-endpoints/{id}/test/", operation_id = "test_webhook_endpoint", tag = "events", params(("id" = String, Path)),
    responses((status = 202, description = "Queued", body = DeliveryView), (status = 404, description = "Not found", body = ErrorBody<'static>), (status = 401, description = "No or wrong admin token", body = ErrorBody<'static>)))]
pub async fn test(_: Admin, state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Accepted().json(webhook_endpoints::send_test(&state, &id).await?))
}
