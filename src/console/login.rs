//! Signing in with the admin token, and out.

use actix_web::{HttpRequest, HttpResponse, web};
use maud::html;
use secrecy::ExposeSecret;
use serde::Deserialize;

use super::layout::page;
use super::session::{self, Posted, Session};
use super::{CsrfForm, Notice, forbidden, unavailable};
use crate::services::AppState;

pub async fn form(state: web::Data<AppState>, notice: web::Query<Notice>) -> HttpResponse {
    let (nonce, cookie) = session::login_nonce(&state);
    let body = page(
        &state.settings,
        "Sign in",
        None,
        html! {
            (notice.render())
            section {
                h1 { "Sign in" }
                form method="post" action="/console/login" {
                    input type="hidden" name="nonce" value=(nonce);
                    label for="token" { "Admin token" }
                    input id="token" name="token" type="password" required autocomplete="current-password";
                    p { button.primary type="submit" id="sign-in" { "Sign in" } }
                }
                // Markup, not markdown: backticks would reach the page as they are.
                p.muted { "The admin token is " code { "security.admin_token" } "; zoomsync printed it on its first start (on SQLite, a generated one is kept in the " code { ".secrets.toml" } " file beside the database)." }
            }
        },
    );
    HttpResponse::Ok().cookie(cookie).content_type("text/html; charset=utf-8").body(body.into_string())
}

#[derive(Deserialize)]
pub struct LoginForm {
    token: String,
    nonce: String,
}

pub async fn submit(request: HttpRequest, state: web::Data<AppState>, form: web::Form<LoginForm>) -> HttpResponse {
    if !session::login_nonce_ok(&request, &form.nonce) {
        return forbidden();
    }
    let address = request.peer_addr().map(|a| a.ip());
    if let Some(Err(wait)) = address.map(|a| state.sign_ins.check(a)) {
        let seconds = wait.as_secs().max(1);
        return HttpResponse::TooManyRequests()
            .insert_header(("retry-after", seconds.to_string()))
            .content_type("text/plain; charset=utf-8")
            .body(format!("Too many wrong admin tokens from this address: try again in {seconds} s."));
    }
    if !crate::crypto::secrets_equal(&form.token, state.settings.secrets.admin_token.expose_secret()) {
        if let Some(address) = address {
            state.sign_ins.failed(address);
        }
        tracing::warn!("console sign-in with a wrong admin token");
        return HttpResponse::SeeOther()
            .insert_header(("location", "/console/login?error=That+is+not+the+admin+token."))
            .finish();
    }
    HttpResponse::SeeOther().cookie(session::start(&state)).insert_header(("location", "/console/apps")).finish()
}

pub async fn logout(state: web::Data<AppState>, session: Session, _: Posted<CsrfForm>) -> HttpResponse {
    // Signed out only once every replica will refuse the cookie: if that cannot be recorded, the
    // admin is told so and keeps the cookie to try again.
    if let Err(e) = session::sign_out(&state, &session).await {
        tracing::warn!(error = %e, "console sign-out could not be recorded");
        return unavailable(
            "The database is unavailable, so zoomsync could not sign you out. Try again in a few seconds.",
        );
    }
    HttpResponse::SeeOther().cookie(session::end(&state)).insert_header(("location", "/console/login")).finish()
}
