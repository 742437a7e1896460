//! `/api/v2/zoom-oauth-apps/`: register, list, read, rotate secrets, delete.

use actix_web::{HttpResponse, web};

use super::Admin;
use crate::error::AppError;
use crate::pagination::{Page, PageParams};
use crate::services::apps::{self, CreateApp, RotateSecrets};
use crate::state::AppState;

pub async fn create(
    _: Admin,
    state: web::Data<AppState>,
    body: web::Json<CreateApp>,
) -> Result<HttpResponse, AppError> {
    let app = apps::create(&state, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(app))
}

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

pub async fn get(_: Admin, state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(apps::get(&state, &id).await?))
}

pub async fn update(
    _: Admin,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Json<RotateSecrets>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(apps::rotate_secrets(&state, &id, body.into_inner()).await?))
}

pub async fn delete(_: Admin, state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, AppError> {
    apps::delete(&state, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}
