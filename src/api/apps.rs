//! `/api/v2/zoom-oauth-apps/`: register, list, read, rename and rotate secrets, delete.

use actix_web::{HttpResponse, web};

use super::Admin;
use crate::error::{AppError, ErrorBody};
use crate::pagination::{Page, PageParams};
use crate::services::AppState;
use crate::services::apps::{self, AppView, CreateApp, UpdateApp};

/// Register a Zoom OAuth app.
#[utoipa::path(post, path = "/api/v2/zoom-oauth-apps/", operation_id = "create_app", tag = "apps", request_body = CreateApp,
    responses((status = 201, description = "Created", body = AppView), (status = 400, description = "Invalid input; nothing created", body = ErrorBody<'static>),
        (status = 409, description = "The client_id is already registered", body = ErrorBody<'static>), (status = 401, description = "No or wrong admin token", body = ErrorBody<'static>)))]
pub async fn create(
    _: Admin,
    state: web::Data<AppState>,
    body: web::Json<CreateApp>,
) -> Result<HttpResponse, AppError> {
    let app = apps::create(&state, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(app))
}

/// List registered apps, oldest first.
#[utoipa::path(get, path = "/api/v2/zoom-oauth-apps/", operation_id = "list_apps", tag = "apps", params(PageParams),
    responses((status = 200, description = "OK", body = Page<AppView>), (status = 400, description = "Invalid input", body = ErrorBody<'static>), (status = 401, description = "No or wrong admin token", body = ErrorBody<'static>)))]
pub async fn list(
    _: Admin,
    state: web::Data<AppState>,
    query: web::Query<PageParams>,
) -> Result<HttpResponse, AppError> {
    let page_size = query.page_size()?;
    let (results, next) = apps::list(&state, query.cursor()?, page_size).await?;
    let list_url = format!("{}/api/v2/zoom-oauth-apps/", state.settings.public_url);
    Ok(HttpResponse::Ok().json(Page::new(results, next, &list_url, &[], page_size)))
}

/// One app.
#[utoipa::path(get, path = "/api/v2/zoom-oauth-apps/{id}/", operation_id = "get_app", tag = "apps", params(("id" = String, Path)),
    responses((status = 200, description = "OK", body = AppView), (status = 404, description = "Not found", body = ErrorBody<'static>), (status = 401, description = "No or wrong admin token", body = ErrorBody<'static>)))]
pub async fn get(_: Admin, state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(apps::get(&state, &id).await?))
}

/// Rename the app (`name`, an extension; `null` removes it) and/or rotate the client secret and/or
/// the webhook secret (the old webhook secret stays valid for
/// `webhook.previous_secret_grace_seconds`).
// The operation id predates renaming; it stays, for the clients generated from it.
#[utoipa::path(patch, path = "/api/v2/zoom-oauth-apps/{id}/", operation_id = "rotate_app_secrets", tag = "apps", params(("id" = String, Path)), request_body = UpdateApp,
    responses((status = 200, description = "OK", body = AppView), (status = 400, description = "Invalid input", body = ErrorBody<'static>), (status = 404, description = "Not found", body = ErrorBody<'static>), (status = 401, description = "No or wrong admin token", body = ErrorBody<'static>)))]
pub async fn update(
    _: Admin,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Json<UpdateApp>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(apps::update(&state, &id, body.into_inner()).await?))
}

/// Delete an app that has no credentials left.
#[utoipa::path(delete, path = "/api/v2/zoom-oauth-apps/{id}/", operation_id = "delete_app", tag = "apps", params(("id" = String, Path)),
    responses((status = 204, description = "Deleted"), (status = 404, description = "Not found", body = ErrorBody<'static>),
        (status = 409, description = "The app still has credentials", body = ErrorBody<'static>), (status = 401, description = "No or wrong admin token", body = ErrorBody<'static>)))]
pub async fn delete(_: Admin, state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, AppError> {
    apps::delete(&state, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}
