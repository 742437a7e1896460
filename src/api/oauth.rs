//! The browser side of connecting a Zoom account: `/zoom/oauth/start` sends the user to Zoom,
//! `/zoom/oauth/callback` finishes and says who was connected.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::error::AppError;
use crate::services::AppState;
use crate::services::connect;

#[derive(Deserialize)]
pub struct StartQuery {
    app: Option<String>,
}

/// Send the browser to Zoom's consent screen (state and PKCE S256).
#[utoipa::path(get, path = "/zoom/oauth/start", operation_id = "oauth_start", tag = "zoom", security(()), params(("app" = String, Query)),
    responses((status = 302, description = "To Zoom's authorize URL"), (status = 400, description = "HTML error page"), (status = 404, description = "No such app")))]
pub async fn start(state: web::Data<AppState>, query: web::Query<StartQuery>) -> HttpResponse {
    let Some(app) = query.app.as_deref().filter(|a| !a.is_empty()) else {
        return page(StatusCode::BAD_REQUEST, "Cannot connect", "The link is missing its app.");
    };
    match connect::start(&state, app).await {
        Ok(url) => HttpResponse::Found().insert_header((header::LOCATION, url)).finish(),
        Err(e) => error_page(&e),
    }
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// Where Zoom sends the browser back: exchanges the code and shows who was connected.
#[utoipa::path(get, path = "/zoom/oauth/callback", operation_id = "oauth_callback", tag = "zoom", security(()),
    params(("code" = Option<String>, Query), ("state" = Option<String>, Query), ("error" = Option<String>, Query)),
    responses((status = 200, description = "HTML: connected"), (status = 400, description = "HTML: bad or replayed state, or Zoom refused")))]
pub async fn callback(state: web::Data<AppState>, query: web::Query<CallbackQuery>) -> HttpResponse {
    if let Some(error) = &query.error {
        return page(StatusCode::BAD_REQUEST, "Not connected", &format!("Zoom reported: {error}."));
    }
    let (Some(code), Some(flow_state)) = (query.code.as_deref(), query.state.as_deref()) else {
        return page(StatusCode::BAD_REQUEST, "Not connected", "Zoom's answer is missing its code or state.");
    };
    match connect::callback(&state, code, flow_state).await {
        Ok(connected) => {
            let who = connected.credential.email.clone().unwrap_or_else(|| connected.credential.user_id.clone());
            let verb = if connected.created { "connected" } else { "reconnected" };
            page(StatusCode::OK, "Connected", &format!("Zoom account {who} is {verb}. You can close this page."))
        }
        Err(e) => error_page(&e),
    }
}

fn error_page(error: &AppError) -> HttpResponse {
    let status = actix_web::ResponseError::status_code(error);
    let detail = if status.is_server_error() { "Try again in a moment.".to_owned() } else { error.to_string() };
    if let AppError::Internal(cause) = error {
        tracing::error!(error = %cause, "OAuth flow failed");
    }
    page(status, "Not connected", &detail)
}

/// The page the Zoom user lands on, in the console's look (maud escapes the email and Zoom's
/// error text).
fn page(status: StatusCode, title: &str, message: &str) -> HttpResponse {
    let body = crate::console::flow_page(title, message);
    HttpResponse::build(status).content_type(ContentType::html()).body(body.into_string())
}
