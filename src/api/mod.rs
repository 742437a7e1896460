//! HTTP routes. Handlers are thin: extract, authenticate, call one service, respond.
//! Every path here is fixed by docs/http.md; admin paths answer with and without the trailing
//! slash.

mod apps;
mod attendee;
mod auth;
mod bot;
mod bot_urls;
mod credentials;
mod extractors;
mod health;
mod mappings;
mod oauth;
pub mod openapi;
mod webhook;

use actix_web::{HttpResponse, web};

pub use auth::Admin;

use crate::error::ErrorBody;

/// The route table, written once: it registers the handlers and lists every (method, path) in
/// [`ROUTES`], which a test holds against the OpenAPI document. `admin` paths answer with and
/// without their trailing slash (docs/http.md writes them with it).
macro_rules! routes {
    ($($kind:ident $path:literal { $($method:ident => $handler:path),+ $(,)? })*) => {
        /// Every (method, path) served, paths as the OpenAPI document writes them.
        pub const ROUTES: &[(&str, &str)] = &[$($((stringify!($method), routes!(@doc $kind $path)),)+)*];

        fn register(cfg: &mut web::ServiceConfig) {
            $(cfg.service(routes!(@resource $kind $path)$(.route(web::$method().to($handler)))+);)*
        }
    };
    (@doc admin $path:literal) => { concat!($path, "/") };
    (@doc plain $path:literal) => { $path };
    (@resource admin $path:literal) => { web::resource([concat!($path, "/"), $path]) };
    (@resource plain $path:literal) => { web::resource($path) };
}

routes! {
    plain "/healthz" { get => health::healthz }
    plain "/readyz" { get => health::readyz }
    plain "/metrics" { get => health::metrics }
    plain "/api/v2/openapi.json" { get => openapi::document }
    // Admin API (bearer token).
    admin "/api/v2/zoom-oauth-apps" { get => apps::list, post => apps::create }
    admin "/api/v2/zoom-oauth-apps/{id}" { get => apps::get, patch => apps::update, delete => apps::delete }
    admin "/api/v2/zoom-oauth-credentials" { get => credentials::list, post => credentials::create }
    admin "/api/v2/zoom-oauth-credentials/{id}" { get => credentials::get, delete => credentials::delete }
    admin "/api/v2/zoom-oauth-credentials/{id}/access-token" { get => credentials::access_token }
    admin "/api/v2/zoom-oauth-credentials/{id}/sync-meetings" { post => credentials::sync_meetings }
    admin "/api/v2/zoom-oauth-credentials/{id}/logs" { get => credentials::logs }
    admin "/api/v2/zoom-meetings-to-credentials" { get => mappings::list }
    admin "/api/v2/bot-token-urls" { post => bot_urls::create }
    // Zoom (signed webhooks, the OAuth redirect) and browsers.
    plain "/api/v2/zoom-oauth-apps/{id}/webhook" { post => webhook::receive }
    plain "/zoom/oauth/start" { get => oauth::start }
    plain "/zoom/oauth/callback" { get => oauth::callback }
    // Bots (the bot secret).
    plain "/zoom/join-token" { get => bot::join_token }
    plain "/zoom/obf-token" { get => bot::obf_token }
    plain "/zoom/zak" { get => bot::zak }
    plain "/zoom/access-token" { get => bot::access_token }
    plain "/attendee/zoom-tokens" { post => attendee::zoom_tokens }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(extractors::configure).configure(register).default_service(web::to(not_found));
}

async fn not_found() -> HttpResponse {
    HttpResponse::NotFound().json(ErrorBody { error: "not_found", detail: "no such endpoint" })
}
