//! `/api/v2/zoom-oauth-credentials/`: connect (Recall's code exchange), list, read, delete,
//! access token.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::Admin;
use crate::db::models::credentials::ListFilter;
use crate::error::AppError;
use crate::pagination::{Page, PageParams};
use crate::services::{connect, credentials};
use crate::state::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    oauth_app: Option<String>,
    authorization_code: Option<AuthorizationCode>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorizationCode {
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
}

pub async fn create(
    _: Admin,
    state: web::Data<AppState>,
    body: web::Json<CreateBody>,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner();
    let app = body
        .oauth_app
        .filter(|a| !a.is_empty())
        .ok_or_else(|| AppError::bad_request("invalid_field", "`oauth_app` is required"))?;
    let connected = match body.authorization_code {
        None => connect::server_to_server(&state, &app).await?,
        Some(AuthorizationCode { code: Some(code), redirect_uri: Some(redirect_uri), code_verifier })
            if !code.is_empty() && !redirect_uri.is_empty() =>
        {
            connect::from_code(&state, &app, &code, &redirect_uri, code_verifier.as_deref()).await?
        }
        Some(_) => {
            return Err(AppError::bad_request(
                "invalid_field",
                "`authorization_code` needs `code` and `redirect_uri` (and `code_verifier` with PKCE)",
            ));
        }
    };
    let mut response = if connected.created { HttpResponse::Created() } else { HttpResponse::Ok() };
    Ok(response.json(connected.credential))
}

#[derive(Deserialize)]
pub struct ListQuery {
    oauth_app: Option<String>,
    status: Option<String>,
    user_id: Option<String>,
    #[serde(flatten)]
    page: PageParams,
}

pub async fn list(
    _: Admin,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let page_size = query.page.page_size()?;
    let filter = ListFilter {
        app_id: query.oauth_app.clone().filter(|v| !v.is_empty()),
        status: query.status.clone().filter(|v| !v.is_empty()),
        zoom_user_id: query.user_id.clone().filter(|v| !v.is_empty()),
    };
    let (results, next) = credentials::list(&state, filter, query.page.cursor()?, page_size).await?;
    let list_url = format!("{}/api/v2/zoom-oauth-credentials/", state.settings.public_url);
    let filters = [
        ("oauth_app", query.oauth_app.as_deref()),
        ("status", query.status.as_deref()),
        ("user_id", query.user_id.as_deref()),
    ];
    Ok(HttpResponse::Ok().json(Page::new(results, next, &list_url, &filters, page_size)))
}

pub async fn get(_: Admin, state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(credentials::get(&state, &id).await?))
}

pub async fn delete(_: Admin, state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, AppError> {
    credentials::delete(&state, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn access_token(
    _: Admin,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok()
        .insert_header(("cache-control", "no-store"))
        .json(credentials::access_token(&state, &id).await?))
}

pub async fn logs(
    _: Admin,
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: web::Query<PageParams>,
) -> Result<HttpResponse, AppError> {
    let page_size = query.page_size()?;
    let (results, next) = credentials::logs(&state, &id, query.cursor()?, page_size).await?;
    let list_url = format!("{}/api/v2/zoom-oauth-credentials/{id}/logs/", state.settings.public_url);
    Ok(HttpResponse::Ok().json(Page::new(results, next, &list_url, &[], page_size)))
}

pub async fn sync_meetings(
    _: Admin,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let credential = credentials::find(&state, &id).await?;
    let started = crate::sync::spawn(&state, &credential.id, None);
    Ok(HttpResponse::Accepted().json(serde_json::json!({
        "status": if started { "started" } else { "already_running" },
    })))
}
