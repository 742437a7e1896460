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
mod webhook_endpoints;

use actix_web::{HttpResponse, web};

pub use auth::Admin;

use crate::error::ErrorBody;

/// Which listener a request came in on (`server.admin_bind`): with one listener it serves
/// everything; with two, each serves its own surface (see [`Surface`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Listener {
    Combined,
    Public,
    Admin,
}

/// Who a route is for: `public` is Zoom, browsers and bots; `admin` is operators (the admin
/// API, the console, the OpenAPI document, `/metrics`); `probe` is the orchestrator's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Surface {
    Public,
    Admin,
    Probe,
}

impl Listener {
    pub fn serves(self, surface: Surface) -> bool {
        match (self, surface) {
            (Self::Combined, _) | (_, Surface::Probe) => true,
            (Self::Public, surface) => surface == Surface::Public,
            (Self::Admin, surface) => surface == Surface::Admin,
        }
    }
}

/// The route table, written once: it registers the handlers and lists every (method, path) in
/// [`ROUTES`], which a test holds against the OpenAPI document. `slash` paths answer with and
/// without their trailing slash (docs/http.md writes them with it).
macro_rules! routes {
    ($($surface:ident $kind:ident $path:literal { $($method:ident => $handler:path),+ $(,)? })*) => {
        /// Every (method, path) served, paths as the OpenAPI document writes them.
        pub const ROUTES: &[(&str, &str)] = &[$($((stringify!($method), routes!(@doc $kind $path)),)+)*];

        fn register(cfg: &mut web::ServiceConfig, listener: Listener) {
            $(if listener.serves(routes!(@surface $surface)) {
                cfg.service(routes!(@resource $kind $path)$(.route(web::$method().to($handler)))+);
            })*
        }
    };
    (@surface public) => { Surface::Public };
    (@surface admin) => { Surface::Admin };
    (@surface probe) => { Surface::Probe };
    (@doc slash $path:literal) => { concat!($path, "/") };
    (@doc plain $path:literal) => { $path };
    (@resource slash $path:literal) => { web::resource([concat!($path, "/"), $path]) };
    (@resource plain $path:literal) => { web::resource($path) };
}

routes! {
    // Bots (the bot secret). First: actix tries routes in this order, and a bot waiting for its
    // token should not pay for matching the admin API's patterns.
    public plain "/zoom/join-token" { get => bot::join_token }
    public plain "/zoom/obf-token" { get => bot::obf_token }
    public plain "/zoom/zak" { get => bot::zak }
    public plain "/zoom/access-token" { get => bot::access_token }
    public plain "/attendee/zoom-tokens" { post => attendee::zoom_tokens }
    // Zoom's signed webhooks, next: each pattern with a `{..}` before it costs every event a
    // regular-expression match (a fifth of the webhook path's CPU with the admin API first).
    public plain "/api/v2/zoom-oauth-apps/{id}/webhook" { post => webhook::receive }
    probe plain "/healthz" { get => health::healthz }
    probe plain "/readyz" { get => health::readyz }
    admin plain "/metrics" { get => health::metrics }
    admin plain "/api/v2/openapi.json" { get => openapi::document }
    // Admin API (bearer token).
    admin slash "/api/v2/zoom-oauth-apps" { get => apps::list, post => apps::create }
    admin slash "/api/v2/zoom-oauth-apps/{id}" { get => apps::get, patch => apps::update, delete => apps::delete }
    admin slash "/api/v2/zoom-oauth-credentials" { get => credentials::list, post => credentials::create }
    admin slash "/api/v2/zoom-oauth-credentials/{id}" { get => credentials::get, delete => credentials::delete }
    admin slash "/api/v2/zoom-oauth-credentials/{id}/access-token" { get => credentials::access_token }
    admin slash "/api/v2/zoom-oauth-credentials/{id}/sync-meetings" { post => credentials::sync_meetings }
    admin slash "/api/v2/zoom-oauth-credentials/{id}/logs" { get => credentials::logs }
    admin slash "/api/v2/zoom-meetings-to-credentials" { get => mappings::list }
    admin slash "/api/v2/bot-token-urls" { post => bot_urls::create }
    admin slash "/api/v2/webhook-endpoints" { get => webhook_endpoints::list, post => webhook_endpoints::create }
    admin slash "/api/v2/webhook-endpoints/{id}" { get => webhook_endpoints::get, patch => webhook_endpoints::update, delete => webhook_endpoints::delete }
    admin slash "/api/v2/webhook-endpoints/{id}/deliveries" { get => webhook_endpoints::deliveries }
    admin slash "/api/v2/webhook-endpoints/{id}/deliveries/{delivery_id}/resend" { post => webhook_endpoints::resend }
    admin slash "/api/v2/webhook-endpoints/{id}/test" { post => webhook_endpoints::test }
    // Zoom (the OAuth redirect) and browsers.
    public plain "/zoom/oauth/start" { get => oauth::start }
    public plain "/zoom/oauth/callback" { get => oauth::callback }
}

/// The routes `listener` serves (the console's are registered by `console::configure`).
pub fn configure(cfg: &mut web::ServiceConfig, listener: Listener) {
    cfg.configure(extractors::configure).configure(|cfg| register(cfg, listener)).default_service(web::to(not_found));
}

async fn not_found() -> HttpResponse {
    HttpResponse::NotFound().json(ErrorBody { error: "not_found", detail: "no such endpoint" })
}
