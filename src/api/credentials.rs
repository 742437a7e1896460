//! `/api/v2/zoom-oauth-credentials/`: connect (Recall's code exchange, or an imported refresh
//! token), list, read, delete, access token.

use actix_web::{HttpResponse, web};
use secrecy::SecretString;
use serde::Deserialize;

use super::Admin;
use crate::db::models::credentials::ListFilter;
use crate::error::{AppError, ErrorBody};
use crate::pagination::{Page, PageParams};
use crate::services::AppState;
use crate::services::credentials::{AccessTokenView, CredentialView, Deletion, LogView};
use crate::services::{connect, credentials, import};

/// Connect a Zoom user (or account) with an authorization code the caller obtained, or with a
/// refresh token it already holds (an extension: see `refresh_token`), or, for a
/// server-to-server app, with `oauth_app` alone.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    #[schema(value_type = String)]
    oauth_app: Option<String>,
    authorization_code: Option<AuthorizationCode>,
    /// An extension: a refresh token issued to this app before zoomsync, to import instead of
    /// an `authorization_code` (not both). zoomsync refreshes with it at once, which proves it
    /// and takes over its rotation: the token sent is spent afterwards, whatever the answer.
    /// Not for server-to-server apps.
    #[schema(value_type = Option<String>)]
    refresh_token: Option<SecretString>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthorizationCode {
    #[schema(value_type = String)]
    code: Option<String>,
    #[schema(value_type = String)]
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
}

/// Connect a Zoom user or account (Recall's code exchange), or import a refresh token.
///
/// With `refresh_token` (an extension) zoomsync refreshes at once and stores the rotated token
/// before it answers; a token Zoom refuses is a 400 `zoom_refused` and nothing is stored. A 503
/// says in its detail whether Zoom may have rotated the token anyway.
#[utoipa::path(post, path = "/api/v2/zoom-oauth-credentials/", operation_id = "connect_credential", tag = "credentials", request_body = CreateBody,
    responses((status = 201, description = "Connected (or imported)", body = CredentialView),
        (status = 200, description = "The same user (account) reconnected; the credential keeps its id", body = CredentialView),
        (status = 400, description = "Invalid input, or Zoom refused the code or refresh token (`zoom_refused`)", body = ErrorBody<'static>),
        (status = 404, description = "Not found", body = ErrorBody<'static>), (status = 503, description = "Unavailable; retry later", body = ErrorBody<'static>), (status = 401, description = "No or wrong admin token", body = ErrorBody<'static>)))]
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
    let connected = match (body.authorization_code, body.refresh_token) {
        (Some(_), Some(_)) => {
            return Err(AppError::bad_request(
                "invalid_field",
                "give either `authorization_code` or `refresh_token`, not both",
            ));
        }
        (None, Some(token)) => import::from_refresh_token(&state, &app, token).await?,
        (None, None) => connect::server_to_server(&state, &app).await?,
        (Some(AuthorizationCode { code: Some(code), redirect_uri: Some(redirect_uri), code_verifier }), None)
            if !code.is_empty() && !redirect_uri.is_empty() =>
        {
            connect::from_code(&state, &app, &code, &redirect_uri, code_verifier.as_deref()).await?
        }
        (Some(_), None) => {
            return Err(AppError::bad_request(
                "invalid_field",
                "`authorization_code` needs `code` and `redirect_uri` (and `code_verifier` with PKCE)",
            ));
        }
    };
    let mut response = if connected.created { HttpResponse::Created() } else { HttpResponse::Ok() };
    Ok(response.json(connected.credential))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    oauth_app: Option<String>,
    status: Option<String>,
    user_id: Option<String>,
    /// Documented as `PageParams` beside this.
    #[serde(flatten)]
    #[param(ignore)]
    page: PageParams,
}

/// List credentials, oldest first.
#[utoipa::path(get, path = "/api/v2/zoom-oauth-credentials/", operation_id = "list_credentials", tag = "credentials", params(ListQuery, PageParams),
    responses((status = 200, description = "OK", body = Page<CredentialView>), (status = 400, description = "Invalid input", body = ErrorBody<'static>), (status = 401, description = "No or wrong admin token", body = ErrorBody<'static>)))]
pub async fn list(
    _: Admin,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let page_size = query.page.page_size()?;
    let filter = ListFilter {
        app_id: query.oauth_app.clone().filter(|v| !v.is_empty()),
        status: query.status.as_deref().filter(|v| !v.is_empty()).map(credentials::parse_status).transpose()?,
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

/// One credential.
#[utoipa::path(get, path = "/api/v2/zoom-oauth-credentials/{id}/", operation_id = "get_credential", tag = "credentials", params(("id" = String, Path)),
    responses((status = 200, description = "OK", body = CredentialView), (status = 404, description = "Not found", body = ErrorBody<'static>), (status = 401, description = "No or wrong admin token", body = ErrorBody<'static>)))]
pub async fn get(_: Admin, state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(credentials::get(&state, &id).await?))
}

/// Revoke a credential at Zoom, then delete it with its mappings.
#[utoipa::path(delete, path = "/api/v2/zoom-oauth-credentials/{id}/", operation_id = "delete_credential", tag = "credentials", params(("id" = String, Path)),
    responses((status = 204, description = "Revoked at Zoom and deleted"),
        (status = 202, description = "Zoom could not revoke the grant for now: the credential mints nothing and is deleted once a retried revoke succeeds", body = RevokePending),
        (status = 404, description = "Not found", body = ErrorBody<'static>), (status = 401, description = "No or wrong admin token", body = ErrorBody<'static>)))]
pub async fn delete(_: Admin, state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, AppError> {
    Ok(match credentials::delete(&state, &id).await? {
        Deletion::Done => HttpResponse::NoContent().finish(),
        Deletion::RevokePending(detail) => HttpResponse::Accepted().json(RevokePending { revoke: "pending", detail }),
    })
}

/// The answer to a deletion whose revoke at Zoom is still to be confirmed.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct RevokePending {
    /// Always `pending`.
    pub revoke: &'static str,
    pub detail: String,
}

/// An access token valid at least 120 s more (customer-managed OAuth).
#[utoipa::path(get, path = "/api/v2/zoom-oauth-credentials/{id}/access-token/", operation_id = "get_access_token", tag = "credentials", params(("id" = String, Path)),
    responses((status = 200, description = "OK", body = AccessTokenView), (status = 404, description = "Not found", body = ErrorBody<'static>),
        (status = 409, description = "The credential is unhealthy", body = ErrorBody<'static>),
        (status = 503, description = "Zoom is unavailable", body = ErrorBody<'static>), (status = 401, description = "No or wrong admin token", body = ErrorBody<'static>)))]
pub async fn access_token(
    _: Admin,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok()
        .insert_header(("cache-control", "no-store"))
        .json(credentials::access_token(&state, &id).await?))
}

/// The credential's log, newest first.
#[utoipa::path(get, path = "/api/v2/zoom-oauth-credentials/{id}/logs/", operation_id = "list_credential_logs", tag = "credentials", params(("id" = String, Path), PageParams),
    responses((status = 200, description = "OK", body = Page<LogView>), (status = 404, description = "Not found", body = ErrorBody<'static>), (status = 401, description = "No or wrong admin token", body = ErrorBody<'static>)))]
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

/// Start a backfill of the credential's meetings now.
#[utoipa::path(post, path = "/api/v2/zoom-oauth-credentials/{id}/sync-meetings/", operation_id = "sync_credential_meetings", tag = "credentials", params(("id" = String, Path)),
    responses((status = 202, description = "Started (or already running)"), (status = 404, description = "Not found", body = ErrorBody<'static>), (status = 401, description = "No or wrong admin token", body = ErrorBody<'static>)))]
pub async fn sync_meetings(
    _: Admin,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let credential = credentials::find(&state, &id).await?;
    let started = state.backfills.request(&credential.id);
    Ok(HttpResponse::Accepted().json(serde_json::json!({
        "status": if started { "started" } else { "already_running" },
    })))
}
