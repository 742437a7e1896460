//! The admin console under `/console/`: server-rendered pages (maud, compiled into the binary),
//! a little plain JavaScript, no build step. An admin signs in with the admin token, adds an
//! app, reads what to enter in Zoom's Marketplace, watches Zoom's URL validation arrive, hands
//! out the connect link, and sees each credential's health, backfills and log, and why a
//! meeting would (not) get a token. Every form is CSRF-protected; no page shows a secret or a
//! token. Pages call the same services as the admin API.

mod app_form;
mod apps;
mod credentials;
mod layout;
mod login;
mod meetings;
pub mod session;
mod webhooks;

use actix_web::{HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource(["/console", "/console/"]).get(home))
        .service(web::resource("/console/login").get(login::form).post(login::submit))
        .service(web::resource("/console/logout").post(login::logout))
        .service(web::resource("/console/apps").get(apps::list).post(apps::create))
        .service(web::resource("/console/apps/{id}").get(apps::show))
        .service(web::resource("/console/apps/{id}/status").get(apps::status))
        .service(web::resource("/console/apps/{id}/rotate").post(apps::rotate))
        .service(web::resource("/console/apps/{id}/delete").post(apps::delete))
        .service(web::resource("/console/apps/{id}/connect").post(apps::connect))
        .service(web::resource("/console/credentials/{id}/sync").post(credentials::sync))
        .service(web::resource("/console/credentials/{id}/delete").post(credentials::delete))
        .service(web::resource("/console/meetings").get(meetings::explain))
        .service(web::resource("/console/webhooks").get(webhooks::list).post(webhooks::create))
        .service(web::resource("/console/webhooks/{id}/toggle").post(webhooks::toggle))
        .service(web::resource("/console/webhooks/{id}/test").post(webhooks::test))
        .service(web::resource("/console/webhooks/{id}/delete").post(webhooks::delete))
        .service(web::resource("/console/webhooks/{id}/deliveries/{delivery}/resend").post(webhooks::resend));
}

/// Headers every console page (and the OAuth flow's pages) carries: its Content-Security-Policy,
/// no framing, no MIME sniffing, no referrer (console URLs name apps and credentials; the
/// callback's carries Zoom's code).
pub async fn security_headers(
    request: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    use actix_web::http::header::{self, HeaderValue};
    // The OAuth flow's pages share the console's inline style, so they take its policy too.
    let path = request.path();
    let console = path.starts_with("/console") || path.starts_with("/zoom/oauth/");
    let mut response = next.call(request).await?;
    if console {
        let headers = response.headers_mut();
        if let Ok(policy) = HeaderValue::from_str(layout::content_security_policy()) {
            headers.insert(header::CONTENT_SECURITY_POLICY, policy);
        }
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
        headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    }
    Ok(response)
}

/// The page a Zoom user sees at the end of the OAuth flow (connected, or why not): the console's
/// look, so the person connecting sees the same product the admin set up.
pub fn flow_page(title: &str, message: &str) -> Markup {
    layout::public_page(
        title,
        html! {
            section id="flow" {
                h1 { (title) }
                p { (message) }
            }
        },
    )
}

async fn home(_: session::Session) -> HttpResponse {
    back_to("/console/apps", None)
}

/// Every console form carries its session's CSRF token.
#[derive(Deserialize)]
pub struct CsrfForm {
    pub csrf: String,
    /// Where to go back to, when a form needs it.
    #[serde(default)]
    pub app: Option<String>,
}

impl session::CarriesCsrf for CsrfForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// A message carried across a redirect (`?notice=` or `?error=`); maud escapes it.
#[derive(Deserialize, Default)]
pub struct Notice {
    notice: Option<String>,
    error: Option<String>,
}

impl Notice {
    fn render(&self) -> Markup {
        html! {
            @if let Some(text) = &self.error { div.flash.bad role="alert" { (text) } }
            @if let Some(text) = &self.notice { div.flash role="status" { (text) } }
        }
    }
}

/// A 303 to `path`, with a message for the next page.
fn back_to(path: &str, message: Option<&str>) -> HttpResponse {
    let location = match message {
        Some(text) => {
            let query: String =
                url::form_urlencoded::Serializer::new(String::new()).append_pair("notice", text).finish();
            format!("{path}?{query}")
        }
        None => path.to_owned(),
    };
    HttpResponse::SeeOther().insert_header(("location", location)).finish()
}

/// A 303 back to `path`, whose page shows `text` as an error (an alert, not a notice).
fn back_with_error(path: &str, text: &str) -> HttpResponse {
    let query: String = url::form_urlencoded::Serializer::new(String::new()).append_pair("error", text).finish();
    HttpResponse::SeeOther().insert_header(("location", format!("{path}?{query}"))).finish()
}

/// After a form's action: to `success` with `message`, or back to `failure` with the error.
fn after<T>(result: Result<T, crate::error::AppError>, success: &str, message: &str, failure: &str) -> HttpResponse {
    match result {
        Ok(_) => back_to(success, Some(message)),
        Err(e) => back_with_error(failure, &e.to_string()),
    }
}

/// A form posted without its session's CSRF token.
pub(super) fn forbidden() -> HttpResponse {
    HttpResponse::Forbidden()
        .content_type("text/plain; charset=utf-8")
        .body("the form's CSRF token is missing or wrong")
}

/// The database could not answer for something the console must not guess (whether a session
/// was signed out of, recording a sign-out): a 503 page saying so, with `Retry-After`.
pub(super) fn unavailable(message: &str) -> HttpResponse {
    let body = layout::public_page(
        "Try again shortly",
        html! {
            section id="unavailable" {
                h1 { "Try again shortly" }
                p { (message) }
            }
        },
    );
    HttpResponse::ServiceUnavailable()
        .insert_header(("retry-after", crate::error::RETRY_AFTER_SECONDS.to_string()))
        .content_type("text/html; charset=utf-8")
        .body(body.into_string())
}
