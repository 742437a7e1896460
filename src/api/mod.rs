//! HTTP routes. Handlers are thin: extract, authenticate, call one service, respond.
//! Every path here is fixed by CONTRACT.md; admin paths answer with and without the trailing
//! slash.

mod apps;
mod auth;
mod bot;
mod credentials;
mod extractors;
mod health;
mod mappings;
mod oauth;
mod webhook;

use actix_web::{HttpResponse, web};

pub use auth::Admin;

use crate::error::ErrorBody;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(extractors::configure)
        .service(web::resource("/healthz").get(health::healthz))
        .service(web::resource("/readyz").get(health::readyz))
        .service(web::resource("/metrics").get(health::metrics))
        // Admin API (bearer token).
        .service(admin("/api/v2/zoom-oauth-apps").get(apps::list).post(apps::create))
        .service(admin("/api/v2/zoom-oauth-apps/{id}").get(apps::get).patch(apps::update).delete(apps::delete))
        .service(admin("/api/v2/zoom-oauth-credentials").get(credentials::list).post(credentials::create))
        .service(admin("/api/v2/zoom-oauth-credentials/{id}").get(credentials::get).delete(credentials::delete))
        .service(admin("/api/v2/zoom-oauth-credentials/{id}/access-token").get(credentials::access_token))
        .service(admin("/api/v2/zoom-oauth-credentials/{id}/sync-meetings").post(credentials::sync_meetings))
        .service(admin("/api/v2/zoom-oauth-credentials/{id}/logs").get(credentials::logs))
        .service(admin("/api/v2/zoom-meetings-to-credentials").get(mappings::list))
        // Zoom (signed webhooks, the OAuth redirect) and browsers.
        .service(web::resource("/api/v2/zoom-oauth-apps/{id}/webhook").post(webhook::receive))
        .service(web::resource("/zoom/oauth/start").get(oauth::start))
        .service(web::resource("/zoom/oauth/callback").get(oauth::callback))
        // Bots (the bot secret).
        .service(web::resource("/zoom/join-token").get(bot::join_token))
        .service(web::resource("/zoom/obf-token").get(bot::obf_token))
        .service(web::resource("/zoom/zak").get(bot::zak))
        .default_service(web::to(not_found));
}

/// An admin resource, answering at `path/` (CONTRACT.md's form) and at `path`.
fn admin(path: &str) -> actix_web::Resource {
    web::resource([format!("{path}/"), path.to_owned()])
}

async fn not_found() -> HttpResponse {
    HttpResponse::NotFound().json(ErrorBody { error: "not_found", detail: "no such endpoint" })
}
